/* cli_common.c - configuration, rule and indicator loading shared by `vigil analyze` and
 * `vigil run` (cli_common.h). */
#include "cli/cli_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/vg_alloc.h"
#include "core/vg_log.h"
#include "core/vg_status.h"
#include "engine/engine.h"

#define INTEL_ERRORS_SHOWN 50 /* malformed lines printed per file; the rest are counted */
#define RULE_ERRORS_SHOWN 20  /* invalid rules printed when a reload is refused */

const char *cli_find_config_arg(int argc, char **argv, const char *short_with_arg, bool *missing)
{
    const char *path = NULL;
    *missing = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) return NULL; /* help wins */
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                *missing = true;
                return NULL;
            }
            path = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            path = a + 9;
        } else if (a[0] == '-' && a[1] && a[1] != '-') {
            /* a cluster of short options, as getopt reads it: -qc FILE, -cFILE, -o DIR */
            for (const char *q = a + 1; *q; q++) {
                if (strchr(short_with_arg, *q)) {
                    if (!q[1]) i++; /* its argument is the next word */
                    break;
                }
                if (*q == 'c') {
                    if (q[1]) {
                        path = q + 1;
                    } else if (i + 1 < argc) {
                        path = argv[++i];
                    } else {
                        *missing = true;
                        return NULL;
                    }
                    break;
                }
            }
        }
    }
    return path;
}

int cli_config_load(const char *path, struct vg_config *c)
{
    struct vg_config_errors cerrs;
    int crc = vg_config_load(path, c, &cerrs);
    vg_config_errors_print(&cerrs, stderr);
    if (crc != VG_OK) {
        if (crc == VG_ERR_NOMEM) fprintf(stderr, "vigil: error: out of memory\n");
        vg_config_fini(c);
        vg_config_init(c);
        return crc == VG_ERR_NOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
    }
    if (c->ioc_files.n > CLI_INTEL_FILES_MAX || c->allowlist_files.n > CLI_INTEL_FILES_MAX) {
        fprintf(stderr, "vigil: error: %s: at most %d indicator and %d allowlist files\n", path,
                CLI_INTEL_FILES_MAX, CLI_INTEL_FILES_MAX);
        vg_config_fini(c);
        vg_config_init(c);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* "vigil.yaml:12:5: rule-files" for a file named in the configuration. */
static void conf_label(char *buf, size_t len, const struct vg_config *conf,
                       const struct vg_config_str *s, const char *key)
{
    snprintf(buf, len, "%.400s:%u:%u: %s", conf->path ? conf->path : "config", s->line, s->col,
             key);
}

/* ---- indicators ---- */

struct intel_load_report {
    unsigned shown;
};

static void on_ioc_error(void *ud, const struct ioc_error *e)
{
    struct intel_load_report *r = ud;
    if (r->shown++ >= INTEL_ERRORS_SHOWN) return;
    if (e->line)
        fprintf(stderr, "vigil: %s: %s:%u%s%.0u: %s\n", e->warning ? "warning" : "error", e->file,
                e->line, e->col ? ":" : "", e->col, e->msg);
    else
        fprintf(stderr, "vigil: %s: %s: %s\n", e->warning ? "warning" : "error", e->file, e->msg);
}

/* Loads one indicator or allowlist file and prints its counts on stderr. Returns VG_OK, or the
 * load's error (VG_ERR_IO: unreadable; VG_ERR_FORMAT: unusable as a whole; VG_ERR_NOMEM). */
static int load_intel_file(struct intel_ctx *ctx, const char *opt, const char *path, bool allow,
                           bool quiet)
{
    struct ioc_load_stats st;
    memset(&st, 0, sizeof st);
    struct intel_load_report r = {0};
    int rc = allow ? intel_ctx_load_allowlist(ctx, path, on_ioc_error, &r, &st)
                   : intel_ctx_load_ioc(ctx, path, on_ioc_error, &r, &st);
    if (r.shown > INTEL_ERRORS_SHOWN)
        fprintf(stderr, "vigil: error: %s: %u more malformed line(s) not shown\n", path,
                r.shown - INTEL_ERRORS_SHOWN);
    if (rc == VG_ERR_IO) return rc;
    if (!quiet || st.errors) {
        fprintf(stderr, "vigil: %s %s: %llu loaded (", opt, path, (unsigned long long)st.added);
        bool first = true;
        for (int t = 0; t < IOC_TYPE_COUNT; t++) {
            if (!st.by_type[t]) continue;
            fprintf(stderr, "%s%s %llu", first ? "" : ", ", ioc_type_name(t),
                    (unsigned long long)st.by_type[t]);
            first = false;
        }
        if (st.prefixes) fprintf(stderr, "; %llu CIDR prefixes", (unsigned long long)st.prefixes);
        fprintf(stderr, "%s), %llu duplicate(s) merged, %llu malformed skipped",
                first ? "none" : "", (unsigned long long)st.duplicates,
                (unsigned long long)st.errors);
        if (st.skipped) fprintf(stderr, ", %llu not applicable", (unsigned long long)st.skipped);
        fprintf(stderr, "\n");
    }
    return rc;
}

int cli_load_intel(struct intel_ctx *ctx, const struct vg_config *conf, char *const *ioc, int n_ioc,
                   char *const *allow, int n_allow, bool quiet)
{
    for (int a = 0; a < 2; a++) {
        const struct vg_config_list *l = !conf ? NULL
                                         : a   ? &conf->allowlist_files
                                               : &conf->ioc_files;
        const char *key = a ? "intel.allowlist-files" : "intel.ioc-files";
        size_t nconf = l ? l->n : 0;
        int nflag = a ? n_allow : n_ioc;
        for (size_t i = 0; i < nconf + (size_t)nflag; i++) {
            char label[600];
            const char *path;
            if (i < nconf) {
                conf_label(label, sizeof label, conf, &l->v[i], key);
                path = l->v[i].s;
            } else {
                snprintf(label, sizeof label, "%s", a ? "--beacon-allowlist" : "--ioc");
                path = (a ? allow : ioc)[i - nconf];
            }
            int rc = load_intel_file(ctx, label, path, a == 1, quiet);
            if (rc == VG_ERR_IO || rc == VG_ERR_NOMEM) {
                if (rc == VG_ERR_IO) {
                    if (i < nconf) /* the reader named the file; this names the config entry */
                        fprintf(stderr, "vigil: error: %s: %s could not be read\n", label, path);
                } else
                    fprintf(stderr, "vigil: error: %s %s: out of memory\n", label, path);
                return rc;
            }
        }
    }
    return VG_OK;
}

/* ---- rules ---- */

int cli_load_rules(const struct cli_rules_opts *o, char *const *paths, int n,
                   struct rule_loader **ldp, struct detect_engine **dep, uint64_t *invalid_out)
{
    *ldp = NULL;
    *dep = NULL;
    if (invalid_out) *invalid_out = 0;
    const struct vg_config *conf = o->conf;
    size_t nconf = conf ? conf->rule_files.n : 0;
    if (nconf + (size_t)n == 0) return CLI_EXIT_OK;
    struct rule_loader *ld = rule_loader_new(NULL);
    if (!ld) {
        fprintf(stderr, "vigil: error: out of memory loading rules\n");
        return CLI_EXIT_RUNTIME;
    }
    /* The configuration's variables ($HOME_NET...) and classification file, before any rule. */
    if (conf) {
        struct rule_error cre;
        memset(&cre, 0, sizeof cre);
        int crc = vg_config_apply_rules(conf, ld, &cre);
        if (crc != VG_OK) {
            fprintf(stderr, "vigil: error: %s\n", cre.msg);
            rule_loader_free(ld);
            return crc == VG_ERR_NOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < nconf + (size_t)n; i++) {
        struct rule_error re;
        char label[600];
        const char *path;
        if (i < nconf) {
            conf_label(label, sizeof label, conf, &conf->rule_files.v[i], "rule-files");
            path = conf->rule_files.v[i].s;
        } else {
            snprintf(label, sizeof label, "--rules");
            path = paths[i - nconf];
        }
        int rc = rule_loader_load_file(ld, path, &re);
        if (rc == VG_ERR_IO) {
            fprintf(stderr, "vigil: error: %s %s: %s\n", label, path, re.msg);
            rule_loader_free(ld);
            return CLI_EXIT_USAGE;
        }
        if (rc != VG_OK) {
            fprintf(stderr, "vigil: error: %s %s: out of memory\n", label, path);
            rule_loader_free(ld);
            return CLI_EXIT_RUNTIME;
        }
    }
    const struct rule_loader_stats *st = rule_loader_stats(ld);
    uint64_t not_invalid = st->unsupported + st->duplicates;
    uint64_t invalid = st->skipped > not_invalid ? st->skipped - not_invalid : 0;
    bool refuse = o->strict && invalid > o->max_invalid;
    size_t nskip, nr;
    const struct rule_skip *sk = rule_loader_skips(ld, &nskip);
    unsigned shown = 0;
    for (size_t i = 0; i < nskip; i++) {
        if (refuse && !sk[i].unsupported && shown < RULE_ERRORS_SHOWN) {
            fprintf(stderr, "vigil: error: %s:%u: %s\n", sk[i].file ? sk[i].file : "?", sk[i].line,
                    sk[i].reason);
            shown++;
        } else {
            vg_info("rules: %s:%u: %s%s", sk[i].file ? sk[i].file : "?", sk[i].line, sk[i].reason,
                    sk[i].unsupported ? " (unsupported)" : "");
        }
    }
    if (refuse) {
        fprintf(stderr, "vigil: error: rules: %llu invalid rule(s), the running set had %llu\n",
                (unsigned long long)invalid, (unsigned long long)o->max_invalid);
        rule_loader_free(ld);
        return CLI_EXIT_USAGE;
    }
    struct rule *const *rules = rule_loader_rules(ld, &nr);
    char err[512];
    struct detect_build_info info;
    struct detect_build_cfg cfg = *o->dbc;
    cfg.rules_failed = (uint32_t)st->skipped;
    if (detect_engine_build(rules, nr, &cfg, dep, &info, err, sizeof err) != VG_OK) {
        fprintf(stderr, "vigil: error: rules: %s\n", err);
        rule_loader_free(ld);
        return CLI_EXIT_RUNTIME;
    }
    *ldp = ld;
    if (invalid_out) *invalid_out = invalid;
    if (!o->quiet) {
        fprintf(stderr,
                "vigil: rules: %llu loaded, %llu skipped (%llu unsupported) from %llu file(s); "
                "%u inactive; %u prefilter database(s), %u pattern(s), %u rule(s) without a fast "
                "pattern, %u by address; ",
                (unsigned long long)st->loaded, (unsigned long long)st->skipped,
                (unsigned long long)st->unsupported, (unsigned long long)st->files, info.inactive,
                info.groups, info.patterns, info.no_fast_pattern, info.ip_indexed);
        if (info.cache_used)
            fprintf(stderr, "cache hit %s\n", info.cache_path);
        else
            fprintf(stderr, "compiled in %.2f s%s%s%s%s\n", info.compile_s,
                    info.cache_written ? ", cached in " : "",
                    info.cache_written ? info.cache_path : "",
                    info.cache_note[0] ? "; cache: " : "", info.cache_note);
        for (int i = 0; detect_inactive_reason(i); i++)
            if (info.inactive_by_reason[i])
                vg_info("rules: %u inactive: %s", info.inactive_by_reason[i],
                        detect_inactive_reason(i));
    }
    if (st->loaded == 0) vg_warn("rules: no rule loaded from %zu file(s)", nconf + (size_t)n);
    return CLI_EXIT_OK;
}

/* ---- value syntaxes ---- */

void cli_eve_path(char *buf, size_t n, const char *outdir, const char *filename)
{
    const char *name = filename ? filename : "eve.json";
    if (name[0] == '/')
        snprintf(buf, n, "%.4000s", name);
    else
        snprintf(buf, n, "%.2000s/%.2000s", outdir, name);
}

bool cli_parse_hostport(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    if (!colon) return false;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    size_t hl = (size_t)(colon - s);
    if (errno || hl == 0 || hl >= hostlen || *end || end == colon + 1 || p == 0 || p > 65535)
        return false;
    if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') { /* [::1]:6379 */
        memcpy(host, s + 1, hl - 2);
        host[hl - 2] = '\0';
    } else {
        memcpy(host, s, hl);
        host[hl] = '\0';
    }
    if (!host[0]) return false;
    *port = (uint16_t)p;
    return true;
}

int cli_parse_eve_types(const char *list, unsigned *out)
{
    static const struct {
        const char *name;
        int type;
    } names[] = {{"flow", ENG_EV_FLOW},   {"anomaly", ENG_EV_ANOMALY}, {"http", ENG_EV_HTTP},
                 {"dns", ENG_EV_DNS},     {"tls", ENG_EV_TLS},         {"ssh", ENG_EV_SSH},
                 {"alert", ENG_EV_ALERT}, {"stats", ENG_EV_STATS}};
    unsigned mask = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0) {
                mask |= 1u << names[i].type;
                found = true;
            }
        if (!found && n) {
            fprintf(stderr,
                    "vigil: error: --eve-types: unknown event type '%.*s' (flow, anomaly, "
                    "http, dns, tls, ssh, alert, stats)\n",
                    (int)n, p);
            return -1;
        }
        p += n;
        if (*p == ',') p++;
    }
    *out = mask;
    return 0;
}

