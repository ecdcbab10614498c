/* run.c - `vigil run -i IFACE [-i IFACE]... [-o DIR] [--workers N]`: the live sensor. Loads the
 * rules and indicators, opens the EVE output and the capture, then hands over to engine/live.c
 * (threads, signals, stats, reload). docs/cli.md, docs/live.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/vg_alloc.h"
#include "core/vg_log.h"
#include "core/vg_status.h"
#include "detect/detect.h"
#include "engine/live.h"
#include "intel/intel.h"

#define RUN_FILES_MAX 64
#define RULE_ERRORS_SHOWN 20

static void run_usage(FILE *out)
{
    fputs("usage: vigil run -i IFACE [-i IFACE]... [options]\n"
          "\n"
          "Captures live traffic and writes EVE JSON events until SIGINT/SIGTERM.\n"
          "\n"
          "capture:\n"
          "  -i, --interface IFACE  interface to capture on (repeatable)\n"
          "      --capture KIND   afpacket (default: TPACKET_V3 rings with fanout) or pcap\n"
          "      --workers N      worker threads, one AF_PACKET ring each per interface\n"
          "                       (default 1; pcap: 1)\n"
          "  -f, --bpf EXPR       BPF filter (tcpdump syntax)\n"
          "      --snaplen N      bytes kept per frame (default 65535)\n"
          "      --no-promisc     do not put the interfaces in promiscuous mode\n"
          "      --ring-size MB   ring (afpacket) or buffer (pcap) per socket, MiB (default 32)\n"
          "      --user USER      drop privileges to USER once the capture and outputs are open\n"
          "\n"
          "output:\n"
          "  -o, --output DIR     output folder (default vigil-out); eve.json is written there\n"
          "      --stats-interval S  a stats event every S seconds per worker (default 60; 0 off)\n"
          "      --eve-types LIST  flow, anomaly, http, dns, tls, ssh (alert and stats always)\n"
          "      --eve-rotate-size SIZE, --eve-rotate-interval DUR, --eve-split-types\n"
          "                       as for vigil analyze (docs/outputs.md)\n"
          "\n"
          "detection (reloaded on SIGHUP):\n"
          "      --rules FILE     a Suricata rule file (repeatable)\n"
          "      --rules-cache DIR, --no-rules-cache  as for vigil analyze\n"
          "      --ioc FILE       indicators (repeatable)\n"
          "      --beacon-allowlist FILE  never scored as beacons (repeatable)\n"
          "      --no-beacons     do not score beacons (scored at exit otherwise)\n"
          "\n"
          "  -q, --quiet          errors only\n"
          "  -v, --verbose        more messages on stderr\n"
          "  -h, --help           this help\n"
          "\n"
          "Signals: SIGINT/SIGTERM stop (every flow flushed, exit 0); SIGHUP reloads rules and\n"
          "indicators (a broken rule file keeps the running ones); SIGUSR1 writes a stats event.\n"
          "Exit codes: 0 ok, 1 runtime failure, 2 usage error (bad flag, interface, filter, user).\n",
          out);
}

/* ---- rules and indicators: one generation ---- */

struct run_ctx {
    char *rule_paths[RUN_FILES_MAX];
    int n_rules;
    char *ioc_paths[RUN_FILES_MAX], *allow_paths[RUN_FILES_MAX];
    int n_ioc, n_allow;
    struct detect_build_cfg dbc;
    bool beacons, quiet;
    uint64_t invalid_accepted; /* invalid rules in the running set: a reload may not add more */
};

struct run_gen {
    struct rule_loader *ld;
    struct detect_engine *de;
    struct intel_ctx *intel;
};

static void gen_free(void *ud, struct live_rules *r)
{
    (void)ud;
    struct run_gen *g = r->owner;
    if (!g) return;
    detect_engine_free(g->de); /* the engine points into the loader's rules */
    rule_loader_free(g->ld);
    intel_ctx_free(g->intel);
    vg_free(g);
    r->owner = NULL;
}

struct ioc_report {
    unsigned shown;
};

static void on_ioc_error(void *ud, const struct ioc_error *e)
{
    struct ioc_report *r = ud;
    if (r->shown++ >= RULE_ERRORS_SHOWN) return;
    fprintf(stderr, "vigil: %s: %s:%u: %s\n", e->warning ? "warning" : "error", e->file, e->line,
            e->msg);
}

/* Loads every rule and indicator file into a new generation. Returns 0, or -1 having printed
 * why (file:line and the reason for a broken rule). strict: refuse rule files with more invalid
 * rules than the running set accepted (a reload). */
static int gen_load(struct run_ctx *rc, bool strict, struct live_rules *out)
{
    memset(out, 0, sizeof *out);
    struct run_gen *g = vg_calloc(1, sizeof *g);
    if (!g) {
        fprintf(stderr, "vigil: error: out of memory loading rules\n");
        return -1;
    }
    struct live_rules tmp = {NULL, NULL, g};
    g->intel = intel_ctx_new();
    if (!g->intel) goto nomem;
    g->intel->beacon_enabled = rc->beacons;
    for (int i = 0; i < rc->n_ioc + rc->n_allow; i++) {
        bool allow = i >= rc->n_ioc;
        const char *path = allow ? rc->allow_paths[i - rc->n_ioc] : rc->ioc_paths[i];
        struct ioc_load_stats st;
        memset(&st, 0, sizeof st);
        struct ioc_report r = {0};
        int lrc = allow ? intel_ctx_load_allowlist(g->intel, path, on_ioc_error, &r, &st)
                        : intel_ctx_load_ioc(g->intel, path, on_ioc_error, &r, &st);
        if (lrc == VG_ERR_IO || lrc == VG_ERR_NOMEM) {
            fprintf(stderr, "vigil: error: %s %s: %s\n", allow ? "--beacon-allowlist" : "--ioc",
                    path, lrc == VG_ERR_IO ? "cannot be read" : "out of memory");
            goto fail;
        }
        if (!rc->quiet)
            fprintf(stderr, "vigil: %s %s: %llu loaded, %llu malformed skipped\n",
                    allow ? "--beacon-allowlist" : "--ioc", path, (unsigned long long)st.added,
                    (unsigned long long)st.errors);
    }
    if (intel_ctx_build(g->intel) != VG_OK) goto nomem;
    if (rc->n_rules) {
        g->ld = rule_loader_new(NULL);
        if (!g->ld) goto nomem;
        for (int i = 0; i < rc->n_rules; i++) {
            struct rule_error re;
            int lrc = rule_loader_load_file(g->ld, rc->rule_paths[i], &re);
            if (lrc != VG_OK) {
                fprintf(stderr, "vigil: error: --rules %s: %s\n", rc->rule_paths[i],
                        lrc == VG_ERR_IO ? re.msg : "out of memory");
                goto fail;
            }
        }
        const struct rule_loader_stats *st = rule_loader_stats(g->ld);
        uint64_t not_invalid = st->unsupported + st->duplicates;
        uint64_t invalid = st->skipped > not_invalid ? st->skipped - not_invalid : 0;
        size_t nskip, nr;
        const struct rule_skip *sk = rule_loader_skips(g->ld, &nskip);
        bool refuse = strict && invalid > rc->invalid_accepted;
        unsigned shown = 0;
        for (size_t i = 0; i < nskip; i++) {
            if (refuse && !sk[i].unsupported && shown < RULE_ERRORS_SHOWN) {
                fprintf(stderr, "vigil: error: %s:%u: %s\n", sk[i].file ? sk[i].file : "?",
                        sk[i].line, sk[i].reason);
                shown++;
            } else {
                vg_info("rules: %s:%u: %s%s", sk[i].file ? sk[i].file : "?", sk[i].line,
                        sk[i].reason, sk[i].unsupported ? " (unsupported)" : "");
            }
        }
        if (refuse) {
            fprintf(stderr, "vigil: error: rules: %llu invalid rule(s), the running set had %llu\n",
                    (unsigned long long)invalid, (unsigned long long)rc->invalid_accepted);
            goto fail;
        }
        struct rule *const *rules = rule_loader_rules(g->ld, &nr);
        struct detect_build_cfg cfg = rc->dbc;
        cfg.rules_failed = (uint32_t)st->skipped;
        struct detect_build_info info;
        char err[512];
        if (detect_engine_build(rules, nr, &cfg, &g->de, &info, err, sizeof err) != VG_OK) {
            fprintf(stderr, "vigil: error: rules: %s\n", err);
            goto fail;
        }
        if (!rc->quiet)
            fprintf(stderr, "vigil: rules: %llu loaded, %llu skipped (%llu unsupported, %llu "
                            "invalid) from %d file(s)%s\n",
                    (unsigned long long)st->loaded, (unsigned long long)st->skipped,
                    (unsigned long long)st->unsupported, (unsigned long long)invalid, rc->n_rules,
                    info.cache_used ? "; cache hit" : "");
        rc->invalid_accepted = invalid;
    }
    out->de = g->de;
    out->intel = g->intel;
    out->owner = g;
    return 0;
nomem:
    fprintf(stderr, "vigil: error: out of memory loading rules and indicators\n");
fail:
    gen_free(NULL, &tmp);
    return -1;
}

static int gen_reload(void *ud, struct live_rules *out)
{
    struct run_ctx *rc = ud;
    if (!rc->quiet) fprintf(stderr, "vigil: SIGHUP: reloading rules and indicators\n");
    return gen_load(rc, true, out);
}

/* ---- flags ---- */

static int make_dirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static bool parse_u(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* "100M", "64k": bytes; "1h", "30s": seconds (as vigil analyze). */
static bool parse_scaled(const char *s, bool duration, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-') return false;
    uint64_t mul = 1;
    if (duration) {
        if (*end == 's') end++;
        else if (*end == 'm') mul = 60, end++;
        else if (*end == 'h') mul = 3600, end++;
        else if (*end == 'd') mul = 86400, end++;
    } else {
        if (*end == 'k' || *end == 'K') mul = 1ull << 10, end++;
        else if (*end == 'm' || *end == 'M') mul = 1ull << 20, end++;
        else if (*end == 'g' || *end == 'G') mul = 1ull << 30, end++;
    }
    if (*end != '\0' || v > UINT32_MAX) return false;
    *out = v * mul;
    return true;
}

static int parse_eve_types(const char *list, unsigned *out)
{
    static const struct {
        const char *name;
        int type;
    } names[] = {{"flow", ENG_EV_FLOW}, {"anomaly", ENG_EV_ANOMALY}, {"http", ENG_EV_HTTP},
                 {"dns", ENG_EV_DNS},   {"tls", ENG_EV_TLS},         {"ssh", ENG_EV_SSH},
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
            fprintf(stderr, "vigil: error: --eve-types: unknown event type '%.*s'\n", (int)n, p);
            return -1;
        }
        p += n;
        if (*p == ',') p++;
    }
    *out = mask;
    return 0;
}

static int bad(const char *opt, const char *arg, const char *what)
{
    fprintf(stderr, "vigil: error: %s: expected %s, not '%s'\n", opt, what, arg);
    return CLI_EXIT_USAGE;
}

int cli_run(int argc, char **argv)
{
    enum { OPT_CAPTURE = 256, OPT_WORKERS, OPT_SNAPLEN, OPT_NO_PROMISC, OPT_RING, OPT_USER,
           OPT_STATS, OPT_EVE_TYPES, OPT_ROT_SIZE, OPT_ROT_INT, OPT_SPLIT, OPT_RULES,
           OPT_RULES_CACHE, OPT_NO_RULES_CACHE, OPT_IOC, OPT_ALLOW, OPT_NO_BEACONS };
    static const struct option opts[] = {
        {"interface", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"capture", required_argument, NULL, OPT_CAPTURE},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"bpf", required_argument, NULL, 'f'},
        {"snaplen", required_argument, NULL, OPT_SNAPLEN},
        {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
        {"ring-size", required_argument, NULL, OPT_RING},
        {"user", required_argument, NULL, OPT_USER},
        {"stats-interval", required_argument, NULL, OPT_STATS},
        {"eve-types", required_argument, NULL, OPT_EVE_TYPES},
        {"eve-rotate-size", required_argument, NULL, OPT_ROT_SIZE},
        {"eve-rotate-interval", required_argument, NULL, OPT_ROT_INT},
        {"eve-split-types", no_argument, NULL, OPT_SPLIT},
        {"rules", required_argument, NULL, OPT_RULES},
        {"rules-cache", required_argument, NULL, OPT_RULES_CACHE},
        {"no-rules-cache", no_argument, NULL, OPT_NO_RULES_CACHE},
        {"ioc", required_argument, NULL, OPT_IOC},
        {"beacon-allowlist", required_argument, NULL, OPT_ALLOW},
        {"no-beacons", no_argument, NULL, OPT_NO_BEACONS},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static struct run_ctx rc; /* reachable from the reload callback for the whole run */
    memset(&rc, 0, sizeof rc);
    rc.beacons = true;
    char *ifaces[RUN_FILES_MAX];
    int n_if = 0;
    const char *outdir = "vigil-out", *user = NULL;
    struct live_config lc;
    memset(&lc, 0, sizeof lc);
    lc.kind = LIVE_AFPACKET;
    lc.workers = 1;
    lc.opts.snaplen = 65535;
    lc.opts.promisc = true;
    lc.stats_interval_s = 60;
    unsigned eve_types = ~0u;
    struct eve_sink_config scfg;
    eve_sink_config_default(&scfg);
    unsigned long ul;
    uint64_t v;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "i:o:f:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (n_if >= RUN_FILES_MAX) return bad("-i", optarg, "at most 64 interfaces");
            ifaces[n_if++] = optarg;
            break;
        case 'o': outdir = optarg; break;
        case 'f': lc.opts.bpf = optarg; break;
        case OPT_CAPTURE:
            if (strcmp(optarg, "afpacket") == 0) lc.kind = LIVE_AFPACKET;
            else if (strcmp(optarg, "pcap") == 0) lc.kind = LIVE_PCAP;
            else return bad("--capture", optarg, "afpacket or pcap");
            break;
        case OPT_WORKERS:
            if (!parse_u(optarg, 1, 64, &ul)) return bad("--workers", optarg, "1 to 64");
            lc.workers = (int)ul;
            break;
        case OPT_SNAPLEN:
            if (!parse_u(optarg, 64, 262144, &ul)) return bad("--snaplen", optarg, "64 to 262144");
            lc.opts.snaplen = (uint32_t)ul;
            break;
        case OPT_NO_PROMISC: lc.opts.promisc = false; break;
        case OPT_RING:
            if (!parse_u(optarg, 1, 4096, &ul)) return bad("--ring-size", optarg, "1 to 4096 (MiB)");
            lc.opts.ring_mb = (uint32_t)ul;
            break;
        case OPT_USER: user = optarg; break;
        case OPT_STATS:
            if (!parse_u(optarg, 0, 86400, &ul)) return bad("--stats-interval", optarg, "0 to 86400 seconds");
            lc.stats_interval_s = (unsigned)ul;
            break;
        case OPT_EVE_TYPES:
            if (parse_eve_types(optarg, &eve_types) != 0) return CLI_EXIT_USAGE;
            break;
        case OPT_ROT_SIZE:
            if (!parse_scaled(optarg, false, &v) || v < 4096) return bad("--eve-rotate-size", optarg, "a size of at least 4K");
            scfg.rotate_size = v;
            break;
        case OPT_ROT_INT:
            if (!parse_scaled(optarg, true, &v) || v == 0) return bad("--eve-rotate-interval", optarg, "a duration (1h, 15m, 30s)");
            scfg.rotate_interval_s = (uint32_t)v;
            break;
        case OPT_SPLIT: scfg.split_types = true; break;
        case OPT_RULES:
        case OPT_IOC:
        case OPT_ALLOW: {
            int *n = c == OPT_RULES ? &rc.n_rules : c == OPT_IOC ? &rc.n_ioc : &rc.n_allow;
            char **list = c == OPT_RULES ? rc.rule_paths : c == OPT_IOC ? rc.ioc_paths : rc.allow_paths;
            if (*n >= RUN_FILES_MAX) return bad("--rules/--ioc", optarg, "at most 64 files");
            if (access(optarg, R_OK) != 0) {
                fprintf(stderr, "vigil: error: %s: %s\n", optarg, strerror(errno));
                return CLI_EXIT_USAGE;
            }
            list[(*n)++] = optarg;
            break;
        }
        case OPT_RULES_CACHE: rc.dbc.cache_dir = optarg; break;
        case OPT_NO_RULES_CACHE: rc.dbc.no_cache = true; break;
        case OPT_NO_BEACONS: rc.beacons = false; break;
        case 'q': rc.quiet = true; vg_log_set_level(VG_LOG_ERROR); break;
        case 'v': vg_log_set_level(VG_LOG_INFO); break;
        case 'h': run_usage(stdout); return CLI_EXIT_OK;
        default: run_usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vigil: error: unexpected argument '%s' (a filter goes in --bpf)\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (n_if == 0) {
        fprintf(stderr, "vigil: error: run needs at least one interface (-i IFACE)\n");
        run_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (lc.kind == LIVE_PCAP && lc.workers != 1) {
        fprintf(stderr, "vigil: error: --capture pcap runs one worker (no fanout); use "
                        "--capture afpacket for --workers %d\n", lc.workers);
        return CLI_EXIT_USAGE;
    }
    /* The rules and indicators first: a bad file is reported before anything is opened. */
    struct live_rules first;
    if (gen_load(&rc, false, &first) != 0) return CLI_EXIT_USAGE;
    if (make_dirs(outdir) != 0) {
        fprintf(stderr, "vigil: error: %s: cannot create output folder: %s\n", outdir, strerror(errno));
        gen_free(NULL, &first);
        return CLI_EXIT_RUNTIME;
    }
    char eve_path[4200], err[512];
    snprintf(eve_path, sizeof eve_path, "%s/eve.json", outdir);
    scfg.path = eve_path;
    struct eve_sink *eve = eve_sink_open_cfg(&scfg, err, sizeof err);
    if (!eve) {
        fprintf(stderr, "vigil: error: %s\n", err);
        gen_free(NULL, &first);
        return CLI_EXIT_RUNTIME;
    }
    struct engine_config ecfg;
    engine_config_default(&ecfg);
    ecfg.eve_types = eve_types;
    lc.ecfg = &ecfg;
    lc.ifaces = ifaces;
    lc.n_ifaces = n_if;
    lc.eve = eve;
    lc.user = user;
    lc.quiet = rc.quiet;
    lc.reload = gen_reload;
    lc.rules_free = gen_free;
    lc.ud = &rc;
    struct live_result res;
    int lrc = live_run(&lc, &first, &res, err, sizeof err);
    int close_rc = eve_sink_close(eve);
    if (lrc != VG_OK) {
        fprintf(stderr, "vigil: error: %s\n", err);
        return lrc == VG_ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    if (!rc.quiet)
        fprintf(stderr,
                "vigil run: %llu packets (%.1f MB), kernel: %llu received, %llu dropped%s; %llu "
                "alert(s), %llu event(s); %llu reload(s), %llu refused\n",
                (unsigned long long)res.frames, res.bytes / 1e6,
                (unsigned long long)res.kernel_packets, (unsigned long long)res.kernel_drops,
                res.kernel_ifdrops ? " (and by the interface)" : "",
                (unsigned long long)res.alerts, (unsigned long long)res.events,
                (unsigned long long)res.reloads, (unsigned long long)res.reload_failures);
    if (res.write_errors || close_rc != 0) {
        fprintf(stderr, "vigil: error: %s: events could not be written\n", eve_path);
        return CLI_EXIT_RUNTIME;
    }
    if (res.capture_failed) return CLI_EXIT_RUNTIME;
    return CLI_EXIT_OK;
}
