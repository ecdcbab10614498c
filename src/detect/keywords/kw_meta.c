/* kw_meta.c - the rule's identity and description: msg, sid, rev, gid, classtype, priority,
 * reference, metadata, target; and the classification table behind classtype.
 *
 * Suricata semantics (detect-msg.c, detect-sid.c, detect-classtype.c, ...): sid is required
 * (checked at finalisation) and non-zero; sid, rev, gid, msg, classtype and priority may appear
 * once; classtype must name a known class and gives the priority unless priority: is present
 * (in any order); the default priority is 3.
 *
 * classification.config lines: "config classification: shortname,description,priority". The
 * built-in table is Suricata's default file (the one ET Open ships); kw_meta_classes_load adds to
 * or replaces entries of a table from a file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

/* ---- classification table ------------------------------------------------------------------- */

struct rule_class_ent {
    char *name;
    char *desc;
    int prio;
};

struct rule_classes {
    struct rule_class_ent *c;
    size_t n, cap;
    bool owned; /* strings are heap copies (false for the built-in table) */
};

#define CLS(n, d, p)                                                                               \
    {                                                                                              \
        (char *)(uintptr_t)(n), (char *)(uintptr_t)(d), p                                          \
    }
static struct rule_class_ent builtin_classes[] = {
    CLS("not-suspicious", "Not Suspicious Traffic", 3),
    CLS("unknown", "Unknown Traffic", 3),
    CLS("bad-unknown", "Potentially Bad Traffic", 2),
    CLS("attempted-recon", "Attempted Information Leak", 2),
    CLS("successful-recon-limited", "Information Leak", 2),
    CLS("successful-recon-largescale", "Large Scale Information Leak", 2),
    CLS("attempted-dos", "Attempted Denial of Service", 2),
    CLS("successful-dos", "Denial of Service", 2),
    CLS("attempted-user", "Attempted User Privilege Gain", 1),
    CLS("unsuccessful-user", "Unsuccessful User Privilege Gain", 1),
    CLS("successful-user", "Successful User Privilege Gain", 1),
    CLS("attempted-admin", "Attempted Administrator Privilege Gain", 1),
    CLS("successful-admin", "Successful Administrator Privilege Gain", 1),
    CLS("rpc-portmap-decode", "Decode of an RPC Query", 2),
    CLS("shellcode-detect", "Executable code was detected", 1),
    CLS("string-detect", "A suspicious string was detected", 3),
    CLS("suspicious-filename-detect", "A suspicious filename was detected", 2),
    CLS("suspicious-login", "An attempted login using a suspicious username was detected", 2),
    CLS("system-call-detect", "A system call was detected", 2),
    CLS("tcp-connection", "A TCP connection was detected", 4),
    CLS("trojan-activity", "A Network Trojan was detected", 1),
    CLS("unusual-client-port-connection", "A client was using an unusual port", 2),
    CLS("network-scan", "Detection of a Network Scan", 3),
    CLS("denial-of-service", "Detection of a Denial of Service Attack", 2),
    CLS("non-standard-protocol", "Detection of a non-standard protocol or event", 2),
    CLS("protocol-command-decode", "Generic Protocol Command Decode", 3),
    CLS("web-application-activity", "access to a potentially vulnerable web application", 2),
    CLS("web-application-attack", "Web Application Attack", 1),
    CLS("misc-activity", "Misc activity", 3),
    CLS("misc-attack", "Misc Attack", 2),
    CLS("icmp-event", "Generic ICMP event", 3),
    CLS("inappropriate-content", "Inappropriate Content was Detected", 1),
    CLS("policy-violation", "Potential Corporate Privacy Violation", 1),
    CLS("default-login-attempt", "Attempt to login by a default username and password", 2),
    CLS("targeted-activity", "Targeted Malicious Activity was Detected", 1),
    CLS("exploit-kit", "Exploit Kit Activity Detected", 1),
    CLS("external-ip-check", "Device Retrieving External IP Address Detected", 2),
    CLS("domain-c2", "Domain Observed Used for C2 Detected", 1),
    CLS("pup-activity", "Possibly Unwanted Program Detected", 2),
    CLS("credential-theft", "Successful Credential Theft Detected", 1),
    CLS("social-engineering", "Possible Social Engineering Attempted", 2),
    CLS("coin-mining", "Crypto Currency Mining Activity Detected", 2),
    CLS("command-and-control", "Malware Command and Control Activity Detected", 1),
};
#undef CLS

static const struct rule_classes builtin_table = {
    builtin_classes, sizeof builtin_classes / sizeof builtin_classes[0],
    sizeof builtin_classes / sizeof builtin_classes[0], false};

const struct rule_classes *kw_meta__classes_default(void)
{
    return &builtin_table;
}

static int classes_put(struct rule_classes *c, const char *name, size_t nlen, const char *desc,
                       size_t dlen, int prio)
{
    char *nm = rule__strndup(name, nlen), *ds = rule__strndup(desc, dlen);
    if (!nm || !ds) {
        vg_free(nm);
        vg_free(ds);
        return VG_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->c[i].name, nm) == 0) {
            vg_free(c->c[i].name);
            vg_free(c->c[i].desc);
            c->c[i] = (struct rule_class_ent){nm, ds, prio};
            return VG_OK;
        }
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct rule_class_ent *ne = vg_realloc(c->c, cap * sizeof *ne);
        if (!ne) {
            vg_free(nm);
            vg_free(ds);
            return VG_ERR_NOMEM;
        }
        c->c = ne;
        c->cap = cap;
    }
    c->c[c->n++] = (struct rule_class_ent){nm, ds, prio};
    return VG_OK;
}

struct rule_classes *kw_meta_classes_new(void)
{
    struct rule_classes *c = vg_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->owned = true;
    for (size_t i = 0; i < builtin_table.n; i++) {
        const struct rule_class_ent *e = &builtin_table.c[i];
        if (classes_put(c, e->name, strlen(e->name), e->desc, strlen(e->desc), e->prio) != VG_OK) {
            kw_meta_classes_free(c);
            return NULL;
        }
    }
    return c;
}

void kw_meta_classes_free(struct rule_classes *c)
{
    if (!c || !c->owned) return;
    for (size_t i = 0; i < c->n; i++) {
        vg_free(c->c[i].name);
        vg_free(c->c[i].desc);
    }
    vg_free(c->c);
    vg_free(c);
}

int kw_meta_classes_lookup(const struct rule_classes *c, const char *name, const char **desc)
{
    if (!c) c = &builtin_table;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->c[i].name, name) == 0) {
            if (desc) *desc = c->c[i].desc;
            return c->c[i].prio;
        }
    }
    if (desc) *desc = NULL;
    return -1;
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && isspace((unsigned char)*p))
        p++;
    return p;
}

static const char *trim_end(const char *b, const char *e)
{
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    return e;
}

int kw_meta_classes_load(struct rule_classes *c, const char *path, struct rule_error *err)
{
    memset(err, 0, sizeof *err);
    err->file = path;
    if (!c || !c->owned) {
        snprintf(err->msg, sizeof err->msg, "classification table is read-only");
        return VG_ERR_USAGE;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "cannot open classification file");
        return VG_ERR_IO;
    }
    char line[4096];
    uint32_t ln = 0;
    int rc = VG_OK;
    static const char key[] = "config classification:";
    while (rc == VG_OK && fgets(line, sizeof line, f)) {
        ln++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            err->line = ln;
            snprintf(err->msg, sizeof err->msg, "line too long");
            rc = VG_ERR_FORMAT;
            break;
        }
        const char *b = skip_ws(line, line + n), *e = trim_end(b, line + n);
        if (b == e || *b == '#') continue;
        if ((size_t)(e - b) < sizeof key - 1 || strncmp(b, key, sizeof key - 1) != 0) {
            if (strncmp(b, "config ", 7) == 0) continue; /* another config directive */
            err->line = ln;
            err->col = (uint32_t)(b - line) + 1;
            snprintf(err->msg, sizeof err->msg,
                     "expected 'config classification: name,description,priority'");
            rc = VG_ERR_FORMAT;
            break;
        }
        const char *p = skip_ws(b + sizeof key - 1, e);
        const char *c1 = memchr(p, ',', (size_t)(e - p));
        const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(e - c1 - 1)) : NULL;
        /* the description may itself hold commas: the priority is after the last one */
        if (c2) {
            const char *last = e;
            while (last > c2 && last[-1] != ',')
                last--;
            c2 = last - 1;
        }
        if (!c1 || !c2) {
            err->line = ln;
            err->col = (uint32_t)(p - line) + 1;
            snprintf(err->msg, sizeof err->msg, "expected 'name,description,priority'");
            rc = VG_ERR_FORMAT;
            break;
        }
        const char *ne = trim_end(p, c1);
        const char *ds = skip_ws(c1 + 1, c2), *de = trim_end(ds, c2);
        const char *ps = skip_ws(c2 + 1, e);
        char *end;
        long prio = strtol(ps, &end, 10);
        if (ne == p || end == ps || trim_end(end, e) != end || prio < 1 || prio > 255) {
            err->line = ln;
            err->col = (uint32_t)(p - line) + 1;
            snprintf(err->msg, sizeof err->msg,
                     "invalid classification (empty name or priority not 1..255)");
            rc = VG_ERR_FORMAT;
            break;
        }
        rc = classes_put(c, p, (size_t)(ne - p), ds, (size_t)(de - ds), (int)prio);
        if (rc != VG_OK) snprintf(err->msg, sizeof err->msg, "out of memory");
    }
    if (rc == VG_OK && ferror(f)) {
        snprintf(err->msg, sizeof err->msg, "read error");
        rc = VG_ERR_IO;
    }
    fclose(f);
    return rc;
}

/* ---- keywords ------------------------------------------------------------------------------- */

static int once(struct rule_pc *pc, const struct rule_opt *o, uint32_t bit)
{
    if (pc->seen & bit) return rule__kwfail(pc, o->name.off, "may appear only once in a rule");
    pc->seen |= bit;
    return VG_OK;
}

static int kw_msg(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (once(pc, o, RULE_SEEN_MSG)) return pc->status;
    size_t n;
    char *m = rule__unquote(pc, o->val, &n);
    if (!m) return pc->status;
    pc->r->msg = m;
    return VG_OK;
}

static int kw_u32(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    static const uint32_t bits[] = {RULE_SEEN_SID, RULE_SEEN_REV, RULE_SEEN_GID};
    if (once(pc, o, bits[arg])) return pc->status;
    uint64_t v;
    if (!rule__parse_u64(pc->s, o->val, false, UINT32_MAX, &v) || (arg == 0 && v == 0))
        return rule__kwfail(pc, o->val.off, "invalid value '%.*s' (must be %s..4294967295)",
                            (int)(o->val.len > 32 ? 32 : o->val.len), pc->s + o->val.off,
                            arg == 0 ? "1" : "0");
    if (arg == 0)
        pc->r->sid = (uint32_t)v;
    else if (arg == 1)
        pc->r->rev = (uint32_t)v;
    else
        pc->r->gid = (uint32_t)v;
    return VG_OK;
}

static int kw_classtype(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (once(pc, o, RULE_SEEN_CLASSTYPE)) return pc->status;
    char *name = rule__strndup(pc->s + o->val.off, o->val.len);
    if (!name) return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
    const char *desc;
    int prio = kw_meta_classes_lookup(pc->classes, name, &desc);
    if (prio < 0) {
        rule__kwfail(pc, o->val.off, "unknown classtype '%.*s'",
                     (int)(o->val.len > 64 ? 64 : o->val.len), name);
        vg_free(name);
        return pc->status;
    }
    pc->r->classtype = name;
    pc->r->class_desc = desc ? vg_strdup(desc) : NULL;
    if (desc && !pc->r->class_desc)
        return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
    if (!(pc->r->flags & RULE_F_PRIORITY_SET)) pc->r->priority = (uint8_t)prio;
    return VG_OK;
}

static int kw_priority(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (once(pc, o, RULE_SEEN_PRIORITY)) return pc->status;
    uint64_t v;
    if (!rule__parse_u64(pc->s, o->val, false, 255, &v) || v == 0)
        return rule__kwfail(pc, o->val.off, "invalid value '%.*s' (must be 1..255)",
                            (int)(o->val.len > 32 ? 32 : o->val.len), pc->s + o->val.off);
    pc->r->priority = (uint8_t)v;
    pc->r->flags |= RULE_F_PRIORITY_SET;
    return VG_OK;
}

static int kw_reference(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    const char *p = pc->s + o->val.off;
    const char *comma = memchr(p, ',', o->val.len);
    if (!comma) return rule__kwfail(pc, o->val.off, "expected 'type,value'");
    struct rule_tok ty = rule__trim(pc->s, (struct rule_tok){o->val.off, (size_t)(comma - p)});
    struct rule_tok va = rule__trim(pc->s, (struct rule_tok){o->val.off + (size_t)(comma - p) + 1,
                                                             o->val.len - (size_t)(comma - p) - 1});
    if (ty.len == 0 || va.len == 0) return rule__kwfail(pc, o->val.off, "expected 'type,value'");
    struct rule *r = pc->r;
    struct rule_reference *nr = vg_realloc(r->ref, (r->nref + 1) * sizeof *nr);
    if (!nr) return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
    r->ref = nr;
    nr[r->nref].type = rule__strndup(pc->s + ty.off, ty.len);
    nr[r->nref].value = rule__strndup(pc->s + va.off, va.len);
    r->nref++;
    if (!nr[r->nref - 1].type || !nr[r->nref - 1].value)
        return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
    return VG_OK;
}

static int kw_metadata(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule *r = pc->r;
    size_t st = o->val.off, end = o->val.off + o->val.len;
    for (size_t i = o->val.off; i <= end; i++) {
        if (i < end && pc->s[i] != ',') continue;
        struct rule_tok e = rule__trim(pc->s, (struct rule_tok){st, i - st});
        st = i + 1;
        if (e.len == 0) continue;
        size_t k = 0;
        while (k < e.len && !isspace((unsigned char)pc->s[e.off + k]))
            k++;
        struct rule_tok val = rule__trim(pc->s, (struct rule_tok){e.off + k, e.len - k});
        struct rule_metadata *nm = vg_realloc(r->meta, (r->nmeta + 1) * sizeof *nm);
        if (!nm) return rule__fail(pc, e.off, VG_ERR_NOMEM, "out of memory");
        r->meta = nm;
        nm[r->nmeta].key = rule__strndup(pc->s + e.off, k);
        nm[r->nmeta].value = rule__strndup(pc->s + val.off, val.len);
        r->nmeta++;
        if (!nm[r->nmeta - 1].key || !nm[r->nmeta - 1].value)
            return rule__fail(pc, e.off, VG_ERR_NOMEM, "out of memory");
    }
    return VG_OK;
}

static int kw_target(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (once(pc, o, RULE_SEEN_TARGET)) return pc->status;
    if (rule__tok_eq(pc->s, o->val, "src_ip"))
        pc->r->target = RULE_TARGET_SRC;
    else if (rule__tok_eq(pc->s, o->val, "dest_ip"))
        pc->r->target = RULE_TARGET_DST;
    else
        return rule__kwfail(pc, o->val.off, "expected 'src_ip' or 'dest_ip'");
    return VG_OK;
}

const struct rule_kw kw_meta__table[] = {
    {"msg", kw_msg, 0, RULE_KW_VAL},
    {"sid", kw_u32, 0, RULE_KW_VAL},
    {"rev", kw_u32, 1, RULE_KW_VAL},
    {"gid", kw_u32, 2, RULE_KW_VAL},
    {"classtype", kw_classtype, 0, RULE_KW_VAL},
    {"priority", kw_priority, 0, RULE_KW_VAL},
    {"reference", kw_reference, 0, RULE_KW_VAL},
    {"metadata", kw_metadata, 0, RULE_KW_VAL},
    {"target", kw_target, 0, RULE_KW_VAL},
    {NULL, NULL, 0, 0},
};
