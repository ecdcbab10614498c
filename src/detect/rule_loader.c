/* rule_loader.c - loads rule files into a set of parsed rules; never aborts on a bad rule.
 *
 * Each logical rule (rule_lexer.c) is parsed (rule_parser.c); a rule that fails is skipped and
 * recorded with file, line, column, sid and reason; a later rule with a gid:sid already loaded is
 * skipped as a duplicate (the first one stays). Skips are grouped by reason for reports: the
 * group key is the reason up to its first " (", with quoted tokens and numbers generalised -
 * except for "unsupported ..." reasons, whose keyword/protocol/event names are the point.
 *
 * Bounds (struct rule_limits): a logical line longer than max_line is skipped without being
 * buffered; options, contents and group nesting are capped by the parser; after max_rules rules
 * the rest of the input is counted as skipped, not parsed; at most max_skips skips are recorded
 * one by one (the rest are counted and grouped). A file is read through mmap (regular files) or
 * read() up to 1 GiB (pipes), so memory does not depend on what the file holds.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

#define READ_MAX (1u << 30)

struct sid_ent {
    uint64_t key; /* gid << 32 | sid; 0 = empty (sid 0 is never loaded) */
    uint32_t idx; /* rule index */
};

struct grp_ent {
    char *key;
    uint64_t count;
};

struct rule_loader {
    struct rule_limits lim;
    struct rule_vars *vars;
    struct rule_classes *classes;
    struct rule **rules;
    size_t n, cap;
    struct rule_skip *skips;
    size_t nskip, capskip;
    struct rule_loader_stats st;
    char **files;
    size_t nfiles;
    struct sid_ent *sids;
    size_t nsids, capsids; /* capsids: power of two */
    struct grp_ent *grps;  /* open addressing on key */
    size_t ngrps, capgrps;
    struct rule_skip_group *groups_out;
};

struct rule_loader *rule_loader_new(const struct rule_loader_cfg *cfg)
{
    struct rule_loader *ld = vg_calloc(1, sizeof *ld);
    if (!ld) return NULL;
    if (cfg && cfg->limits)
        ld->lim = *cfg->limits;
    else
        rule_limits_default(&ld->lim);
    ld->vars = rule_vars_new();
    ld->classes = kw_meta_classes_new();
    if (!ld->vars || !ld->classes) {
        rule_loader_free(ld);
        return NULL;
    }
    return ld;
}

void rule_loader_free(struct rule_loader *ld)
{
    if (!ld) return;
    for (size_t i = 0; i < ld->n; i++)
        rule_free(ld->rules[i]);
    vg_free(ld->rules);
    for (size_t i = 0; i < ld->nskip; i++)
        vg_free(ld->skips[i].reason);
    vg_free(ld->skips);
    for (size_t i = 0; i < ld->nfiles; i++)
        vg_free(ld->files[i]);
    vg_free(ld->files);
    vg_free(ld->sids);
    for (size_t i = 0; i < ld->capgrps; i++)
        vg_free(ld->grps[i].key);
    vg_free(ld->grps);
    vg_free(ld->groups_out);
    rule_vars_free(ld->vars);
    kw_meta_classes_free(ld->classes);
    vg_free(ld);
}

int rule_loader_set_var(struct rule_loader *ld, const char *name, const char *value,
                        struct rule_error *err)
{
    memset(err, 0, sizeof *err);
    if (!ld || !name || !value) return VG_ERR_USAGE;
    /* keep the old value until the new one is known to be usable */
    const char *old = rule_vars_get(ld->vars, name);
    char *saved = old ? vg_strdup(old) : NULL;
    if (old && !saved) return VG_ERR_NOMEM;
    int rc = rule_vars_set(ld->vars, name, value);
    if (rc != VG_OK) {
        vg_free(saved);
        snprintf(err->msg, sizeof err->msg, "%s",
                 rc == VG_ERR_USAGE   ? "invalid variable name"
                 : rc == VG_ERR_LIMIT ? "too many variables or value too long"
                                      : "out of memory");
        return rc;
    }
    char why[RULE_ERR_MSG], why2[RULE_ERR_MSG];
    size_t off;
    struct rule_addr a;
    struct rule_ports p;
    int ra = rule_vars__addr(ld->vars, value, strlen(value), ld->lim.max_depth, &a, why, sizeof why,
                             &off);
    rule_vars__addr_fini(&a);
    int rp = VG_ERR_FORMAT;
    if (ra != VG_OK) {
        rp = rule_vars__ports(ld->vars, value, strlen(value), ld->lim.max_depth, &p, why2,
                              sizeof why2, &off);
        rule_vars__ports_fini(&p);
    }
    if (ra != VG_OK && rp != VG_OK) {
        snprintf(err->msg, sizeof err->msg, "$%.40s: not an address or port group: %.180s",
                 name[0] == '$' ? name + 1 : name, why);
        if (saved) rule_vars_set(ld->vars, name, saved);
        vg_free(saved);
        return VG_ERR_FORMAT;
    }
    vg_free(saved);
    return VG_OK;
}

int rule_loader_load_classification(struct rule_loader *ld, const char *path,
                                    struct rule_error *err)
{
    return kw_meta_classes_load(ld->classes, path, err);
}

const struct rule_loader_stats *rule_loader_stats(const struct rule_loader *ld)
{
    return &ld->st;
}

struct rule *const *rule_loader_rules(const struct rule_loader *ld, size_t *n)
{
    *n = ld->n;
    return ld->rules;
}

const struct rule_skip *rule_loader_skips(const struct rule_loader *ld, size_t *n)
{
    *n = ld->nskip;
    return ld->skips;
}

/* ---- reason groups -------------------------------------------------------------------------- */

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Group key: the reason up to " (", quoted tokens -> '*', standalone numbers -> 'N' (both kept
 * for "unsupported ..." reasons). */
static void group_key(const char *reason, bool unsupported, char *out, size_t outlen)
{
    size_t n = 0;
    bool keep = unsupported || strncmp(reason, "unsupported", 11) == 0;
    for (size_t i = 0; reason[i] && n + 2 < outlen; i++) {
        char c = reason[i];
        if (c == ' ' && reason[i + 1] == '(') break;
        /* a quoted token opens after a blank (not inside "can't") and closes before a
         * non-alphanumeric byte */
        if (!keep && c == '\'' && (i == 0 || reason[i - 1] == ' ')) {
            const char *e = strchr(reason + i + 1, '\'');
            while (e && (isalnum((unsigned char)e[1]) || e[1] == '_'))
                e = strchr(e + 1, '\'');
            if (e) {
                out[n++] = '\'';
                out[n++] = '*';
                if (n + 1 < outlen) out[n++] = '\'';
                i = (size_t)(e - reason);
                continue;
            }
        }
        if (!keep && c >= '0' && c <= '9' &&
            (i == 0 || reason[i - 1] == ' ' || reason[i - 1] == '-')) {
            size_t j = i;
            while (reason[j] >= '0' && reason[j] <= '9')
                j++;
            if (reason[j] == '\0' || reason[j] == ' ' || reason[j] == ',' || reason[j] == ')') {
                out[n++] = 'N';
                i = j - 1;
                continue;
            }
        }
        out[n++] = c;
    }
    out[n] = '\0';
}

static int grp_add(struct rule_loader *ld, const char *reason, bool unsupported)
{
    char key[RULE_ERR_MSG];
    group_key(reason, unsupported, key, sizeof key);
    if (ld->ngrps * 2 >= ld->capgrps) {
        size_t cap = ld->capgrps ? ld->capgrps * 2 : 64;
        struct grp_ent *ng = vg_calloc(cap, sizeof *ng);
        if (!ng) return VG_ERR_NOMEM;
        for (size_t i = 0; i < ld->capgrps; i++) {
            if (!ld->grps[i].key) continue;
            size_t h = fnv(ld->grps[i].key) & (cap - 1);
            while (ng[h].key)
                h = (h + 1) & (cap - 1);
            ng[h] = ld->grps[i];
        }
        vg_free(ld->grps);
        ld->grps = ng;
        ld->capgrps = cap;
    }
    size_t h = fnv(key) & (ld->capgrps - 1);
    while (ld->grps[h].key) {
        if (strcmp(ld->grps[h].key, key) == 0) {
            ld->grps[h].count++;
            return VG_OK;
        }
        h = (h + 1) & (ld->capgrps - 1);
    }
    ld->grps[h].key = vg_strdup(key);
    if (!ld->grps[h].key) return VG_ERR_NOMEM;
    ld->grps[h].count = 1;
    ld->ngrps++;
    return VG_OK;
}

static int grp_cmp(const void *a, const void *b)
{
    const struct rule_skip_group *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->reason, y->reason);
}

size_t rule_loader_skip_groups(struct rule_loader *ld, const struct rule_skip_group **groups)
{
    vg_free(ld->groups_out);
    ld->groups_out = NULL;
    *groups = NULL;
    if (ld->ngrps == 0) return 0;
    ld->groups_out = vg_malloc(ld->ngrps * sizeof *ld->groups_out);
    if (!ld->groups_out) return 0;
    size_t k = 0;
    for (size_t i = 0; i < ld->capgrps; i++) {
        if (ld->grps[i].key)
            ld->groups_out[k++] = (struct rule_skip_group){ld->grps[i].key, ld->grps[i].count};
    }
    qsort(ld->groups_out, k, sizeof *ld->groups_out, grp_cmp);
    *groups = ld->groups_out;
    return k;
}

/* ---- recording ------------------------------------------------------------------------------ */

static int record_skip(struct rule_loader *ld, const char *file, uint32_t line, uint32_t col,
                       uint32_t sid, bool unsupported, const char *reason)
{
    ld->st.skipped++;
    if (unsupported) ld->st.unsupported++;
    int rc = grp_add(ld, reason, unsupported);
    if (rc) return rc;
    if (ld->nskip >= ld->lim.max_skips) {
        ld->st.skips_dropped++;
        return VG_OK;
    }
    if (ld->nskip == ld->capskip) {
        size_t cap = ld->capskip ? ld->capskip * 2 : 64;
        struct rule_skip *ns = vg_realloc(ld->skips, cap * sizeof *ns);
        if (!ns) return VG_ERR_NOMEM;
        ld->skips = ns;
        ld->capskip = cap;
    }
    char *r = vg_strdup(reason);
    if (!r) return VG_ERR_NOMEM;
    ld->skips[ld->nskip++] = (struct rule_skip){file, line, col, sid, unsupported, r};
    return VG_OK;
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

/* Index of the rule with this key, or -1; inserts idx when absent and idx >= 0. */
static long sid_find_or_add(struct rule_loader *ld, uint64_t key, long idx, int *rc)
{
    *rc = VG_OK;
    if (ld->nsids * 2 >= ld->capsids) {
        size_t cap = ld->capsids ? ld->capsids * 2 : 1024;
        struct sid_ent *ns = vg_calloc(cap, sizeof *ns);
        if (!ns) {
            *rc = VG_ERR_NOMEM;
            return -1;
        }
        for (size_t i = 0; i < ld->capsids; i++) {
            if (!ld->sids[i].key) continue;
            size_t h = mix(ld->sids[i].key) & (cap - 1);
            while (ns[h].key)
                h = (h + 1) & (cap - 1);
            ns[h] = ld->sids[i];
        }
        vg_free(ld->sids);
        ld->sids = ns;
        ld->capsids = cap;
    }
    size_t h = mix(key) & (ld->capsids - 1);
    while (ld->sids[h].key) {
        if (ld->sids[h].key == key) return (long)ld->sids[h].idx;
        h = (h + 1) & (ld->capsids - 1);
    }
    if (idx >= 0) {
        ld->sids[h].key = key;
        ld->sids[h].idx = (uint32_t)idx;
        ld->nsids++;
    }
    return -1;
}

static const char *intern_file(struct rule_loader *ld, const char *name)
{
    for (size_t i = 0; i < ld->nfiles; i++) {
        if (strcmp(ld->files[i], name) == 0) return ld->files[i];
    }
    char **nf = vg_realloc(ld->files, (ld->nfiles + 1) * sizeof *nf);
    if (!nf) return NULL;
    ld->files = nf;
    char *c = vg_strdup(name);
    if (!c) return NULL;
    ld->files[ld->nfiles++] = c;
    return c;
}

static int add_rule(struct rule_loader *ld, struct rule *r, const char *file)
{
    uint64_t key = (uint64_t)r->gid << 32 | r->sid;
    int rc;
    long prev = sid_find_or_add(ld, key, -1, &rc);
    if (rc) return rc;
    if (prev >= 0) {
        const struct rule *p = ld->rules[prev];
        char reason[RULE_ERR_MSG];
        snprintf(reason, sizeof reason, "duplicate gid:sid (%u:%u, first at %s:%u)", r->gid, r->sid,
                 p->file ? p->file : "?", p->line);
        ld->st.duplicates++;
        rc = record_skip(ld, file, r->line, 1, r->sid, false, reason);
        rule_free(r);
        return rc;
    }
    if (ld->n == ld->cap) {
        size_t cap = ld->cap ? ld->cap * 2 : 1024;
        struct rule **nr = vg_realloc(ld->rules, cap * sizeof *nr);
        if (!nr) {
            rule_free(r);
            return VG_ERR_NOMEM;
        }
        ld->rules = nr;
        ld->cap = cap;
    }
    sid_find_or_add(ld, key, (long)ld->n, &rc);
    if (rc) {
        rule_free(r);
        return rc;
    }
    ld->rules[ld->n++] = r;
    ld->st.loaded++;
    return VG_OK;
}

/* ---- loading -------------------------------------------------------------------------------- */

int rule_loader_load_buffer(struct rule_loader *ld, const char *name, const char *data, size_t len)
{
    const char *file = intern_file(ld, name ? name : "(buffer)");
    if (!file) return VG_ERR_NOMEM;
    ld->st.files++;
    struct rule_lexer lx;
    rule_lexer__init(&lx, data, len, ld->lim.max_line);
    struct rule_text t;
    rule_lexer__text_init(&t);
    struct rule_parse_cfg cfg = {ld->vars, ld->classes, &ld->lim, file, 0};
    int rc = VG_OK;
    for (;;) {
        int kind;
        int lr = rule_lexer__next(&lx, &t, &kind);
        if (lr == VG_EOF) break;
        if (lr != VG_OK) {
            rc = lr;
            break;
        }
        uint32_t line = t.nseg ? t.seg[0].line : 0, col = t.nseg ? t.seg[0].col : 0;
        if (kind == RULE_LEX_TOOLONG) {
            char reason[96];
            snprintf(reason, sizeof reason, "rule longer than %u bytes (continuations included)",
                     ld->lim.max_line);
            rc = record_skip(ld, file, line, col, 0, false, reason);
        } else if (kind == RULE_LEX_BINARY) {
            rc = record_skip(ld, file, line, col, 0, false, "line holds a NUL byte");
        } else if (ld->n >= ld->lim.max_rules) {
            char reason[96];
            snprintf(reason, sizeof reason, "more than %u rules loaded", ld->lim.max_rules);
            rc = record_skip(ld, file, line, col, 0, false, reason);
        } else {
            struct rule *r = NULL;
            struct rule_error err;
            int pr = rule_parser__parse_text(&t, &cfg, &r, &err);
            if (pr == VG_OK)
                rc = add_rule(ld, r, file);
            else if (pr == VG_ERR_NOMEM)
                rc = pr;
            else
                rc = record_skip(ld, file, err.line, err.col, err.sid, err.unsupported, err.msg);
        }
        if (rc != VG_OK) break;
    }
    rule_lexer__text_fini(&t);
    return rc;
}

int rule_loader_load_file(struct rule_loader *ld, const char *path, struct rule_error *err)
{
    memset(err, 0, sizeof *err);
    err->file = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err->msg, sizeof err->msg, "cannot open: %s", strerror(errno));
        ld->st.files_failed++;
        return VG_ERR_IO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        snprintf(err->msg, sizeof err->msg, "cannot stat: %s", strerror(errno));
        close(fd);
        ld->st.files_failed++;
        return VG_ERR_IO;
    }
    if (S_ISDIR(sb.st_mode)) {
        snprintf(err->msg, sizeof err->msg, "is a directory");
        close(fd);
        ld->st.files_failed++;
        return VG_ERR_IO;
    }
    int rc;
    if (S_ISREG(sb.st_mode)) {
        size_t len = (size_t)sb.st_size;
        if (len == 0) {
            close(fd);
            return rule_loader_load_buffer(ld, path, "", 0);
        }
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (m == MAP_FAILED) {
            snprintf(err->msg, sizeof err->msg, "cannot map: %s", strerror(errno));
            ld->st.files_failed++;
            return VG_ERR_IO;
        }
        madvise(m, len, MADV_SEQUENTIAL);
        rc = rule_loader_load_buffer(ld, path, m, len);
        munmap(m, len);
    } else {
        /* pipe or device: read up to READ_MAX */
        size_t cap = 1 << 16, len = 0;
        char *buf = vg_malloc(cap);
        rc = buf ? VG_OK : VG_ERR_NOMEM;
        while (rc == VG_OK) {
            if (len == cap) {
                if (cap >= READ_MAX) {
                    snprintf(err->msg, sizeof err->msg, "input larger than %u bytes", READ_MAX);
                    rc = VG_ERR_IO;
                    break;
                }
                char *nb = vg_realloc(buf, cap * 2);
                if (!nb) {
                    rc = VG_ERR_NOMEM;
                    break;
                }
                buf = nb;
                cap *= 2;
            }
            ssize_t k = read(fd, buf + len, cap - len);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) {
                snprintf(err->msg, sizeof err->msg, "read error: %s", strerror(errno));
                rc = VG_ERR_IO;
                break;
            }
            if (k == 0) break;
            len += (size_t)k;
        }
        close(fd);
        if (rc == VG_OK)
            rc = rule_loader_load_buffer(ld, path, buf, len);
        else
            ld->st.files_failed++;
        vg_free(buf);
    }
    if (rc == VG_ERR_NOMEM) snprintf(err->msg, sizeof err->msg, "out of memory");
    return rc;
}
