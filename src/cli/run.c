/* run.c - `vigil run [-c FILE] -i IFACE [-i IFACE]... [-o DIR] [--workers N]`: the live sensor.
 * Loads the configuration (as vigil analyze does: cli_common.c), the rules and indicators, opens
 * the EVE output (file, Redis) and the capture, then hands over to engine/live.c (threads, signals,
 * stats, reload, evidence per worker). docs/cli.md, docs/live.md, docs/config.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_common.h"
#include "core/vg_fs.h"
#include "config/config.h"
#include "core/vg_alloc.h"
#include "core/vg_log.h"
#include "core/vg_status.h"
#include "detect/detect.h"
#include "engine/live.h"
#include "intel/intel.h"

#define RUN_FILES_MAX 64

static void run_usage(FILE *out)
{
    fputs("usage: vigil run [-c FILE] -i IFACE [-i IFACE]... [options]\n"
          "\n"
          "Captures live traffic and writes EVE JSON events until SIGINT/SIGTERM.\n"
          "\n"
          "  -c, --config FILE    a vigil.yaml configuration (docs/config.md): variables, rule and\n"
          "                       indicator files, outputs, evidence, memcaps, timeouts, workers,\n"
          "                       capture; the flags below win, --rules/--ioc/--beacon-allowlist\n"
          "                       files are added to the file's lists\n"
          "\n"
          "capture:\n"
          "  -i, --interface IFACE  interface to capture on (repeatable; replaces the\n"
          "                       configuration's capture.interfaces)\n"
          "      --capture KIND   afpacket (default: TPACKET_V3 rings with fanout) or pcap\n"
          "      --workers N      worker threads, one AF_PACKET ring each per interface\n"
          "                       (default 1; with -c: the file's workers, 0 = one per core;\n"
          "                       pcap: 1)\n"
          "  -f, --bpf EXPR       BPF filter (tcpdump syntax)\n"
          "      --snaplen N      bytes kept per frame (default 65535)\n"
          "      --no-promisc     do not put the interfaces in promiscuous mode\n"
          "      --ring-size MB   ring (afpacket) or buffer (pcap) per socket, MiB (default 32)\n"
          "      --user USER      drop privileges to USER once the capture and outputs are open\n"
          "\n"
          "output:\n"
          "  -o, --output DIR     output folder (default vigil-out); eve.json is written there\n"
          "      --stats-interval S  a stats event every S seconds per worker (default 60, with\n"
          "                       -c the file's stats-interval; 0 off)\n"
          "      --eve-types LIST  flow, anomaly, http, dns, tls, ssh (alert and stats always)\n"
          "      --eve-rotate-size SIZE, --eve-rotate-interval DUR, --eve-split-types\n"
          "      --redis HOST:PORT, --redis-stream NAME, --redis-list NAME, --redis-maxlen N,\n"
          "      --redis-spool SIZE, --redis-drain-timeout DUR\n"
          "                       as for vigil analyze (docs/outputs.md)\n"
          "      --evidence       write DIR/evidence/<flow_id>.pcap for every flow with a finding\n"
          "      --evidence-packets N,M, --evidence-memcap SIZE  as for vigil analyze (the memcap\n"
          "                       is per worker)\n"
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
          "indicators, and with -c the file's variables, rule-files and intel lists (a broken\n"
          "rule or configuration file keeps the running set); SIGUSR1 writes a stats event.\n"
          "Exit codes: 0 ok, 1 runtime failure, 2 usage error (bad flag, configuration,\n"
          "interface, filter, user).\n",
          out);
}

/* ---- rules and indicators: one generation ---- */

struct run_ctx {
    char *rule_paths[RUN_FILES_MAX];
    int n_rules;
    char *ioc_paths[RUN_FILES_MAX], *allow_paths[RUN_FILES_MAX];
    int n_ioc, n_allow;
    struct detect_build_cfg dbc;
    bool no_beacons, quiet;
    const char *conf_path;     /* -c FILE; NULL: none (SIGHUP re-reads only the flag files) */
    const struct vg_config *conf; /* the startup configuration (vg_config_init'ed without -c) */
    uint64_t invalid_accepted; /* invalid rules in the running set: a reload may not add more */
};

struct run_gen {
    struct rule_loader *ld;
    struct detect_engine *de;
    struct intel_ctx *intel;
    struct vg_config *conf; /* a configuration re-read on SIGHUP (owned); NULL: the startup one */
};

static void gen_free(void *ud, struct live_rules *r)
{
    (void)ud;
    struct run_gen *g = r->owner;
    if (!g) return;
    detect_engine_free(g->de); /* the engine points into the loader's rules */
    rule_loader_free(g->ld);
    intel_ctx_free(g->intel);
    if (g->conf) {
        vg_config_fini(g->conf);
        vg_free(g->conf);
    }
    vg_free(g);
    r->owner = NULL;
}

/* Loads the rule and indicator files of conf (with its variables, classification file and beacon
 * settings), then those given as flags, into a new generation. Returns 0, or -1 having printed
 * why (file:line and the reason for a broken rule). strict: refuse rule files with more invalid
 * rules than the running set accepted (a reload). */
static int gen_load(struct run_ctx *rc, const struct vg_config *conf, bool strict,
                    struct live_rules *out)
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
    g->intel->beacon = conf->beacon;
    g->intel->beacon_enabled = conf->beacons_enabled && !rc->no_beacons;
    int lrc = cli_load_intel(g->intel, conf, rc->ioc_paths, rc->n_ioc, rc->allow_paths,
                             rc->n_allow, rc->quiet);
    if (lrc == VG_ERR_NOMEM) goto nomem;
    if (lrc != VG_OK) goto fail;
    if (intel_ctx_build(g->intel) != VG_OK) goto nomem;
    struct cli_rules_opts ro = {conf, &rc->dbc, rc->quiet, strict, rc->invalid_accepted};
    uint64_t invalid = 0;
    if (cli_load_rules(&ro, rc->rule_paths, rc->n_rules, &g->ld, &g->de, &invalid) != CLI_EXIT_OK)
        goto fail;
    rc->invalid_accepted = invalid;
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

/* SIGHUP: with -c, the configuration file is read again and its variables, rule-files,
 * classification file, indicator and allowlist files and beacon settings are used (a file with
 * errors keeps the running set); the other keys need a restart. Then every file is re-read. */
static int gen_reload(void *ud, struct live_rules *out)
{
    struct run_ctx *rc = ud;
    if (!rc->quiet)
        fprintf(stderr, "vigil: SIGHUP: reloading %s%srules and indicators\n",
                rc->conf_path ? rc->conf_path : "", rc->conf_path ? ", " : "");
    if (!rc->conf_path) return gen_load(rc, rc->conf, true, out);
    struct vg_config *nc = vg_calloc(1, sizeof *nc);
    if (!nc) {
        fprintf(stderr, "vigil: error: out of memory reloading %s\n", rc->conf_path);
        return -1;
    }
    vg_config_init(nc);
    if (cli_config_load(rc->conf_path, nc) != CLI_EXIT_OK) {
        vg_config_fini(nc);
        vg_free(nc);
        return -1;
    }
    if (gen_load(rc, nc, true, out) != 0) {
        vg_config_fini(nc);
        vg_free(nc);
        return -1;
    }
    ((struct run_gen *)out->owner)->conf = nc;
    return 0;
}

/* ---- flags ---- */

static bool parse_u(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int bad(const char *opt, const char *arg, const char *what)
{
    fprintf(stderr, "vigil: error: %s: expected %s, not '%s'\n", opt, what, arg);
    return CLI_EXIT_USAGE;
}

/* One worker per online CPU (at most 64): the configuration's `workers: 0`. */
static int cpu_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* The configuration, reachable for the whole run: the EVE sink's Redis host and key and the
 * interface names point into it. */
static struct vg_config g_conf;

int cli_run(int argc, char **argv)
{
    enum { OPT_CAPTURE = 256, OPT_WORKERS, OPT_SNAPLEN, OPT_NO_PROMISC, OPT_RING, OPT_USER,
           OPT_STATS, OPT_EVE_TYPES, OPT_ROT_SIZE, OPT_ROT_INT, OPT_SPLIT, OPT_RULES,
           OPT_RULES_CACHE, OPT_NO_RULES_CACHE, OPT_IOC, OPT_ALLOW, OPT_NO_BEACONS,
           OPT_EVIDENCE, OPT_EVIDENCE_PACKETS, OPT_EVIDENCE_MEMCAP, OPT_REDIS, OPT_REDIS_STREAM,
           OPT_REDIS_LIST, OPT_REDIS_MAXLEN, OPT_REDIS_SPOOL, OPT_REDIS_DRAIN };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
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
        {"evidence", no_argument, NULL, OPT_EVIDENCE},
        {"evidence-packets", required_argument, NULL, OPT_EVIDENCE_PACKETS},
        {"evidence-memcap", required_argument, NULL, OPT_EVIDENCE_MEMCAP},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"redis-stream", required_argument, NULL, OPT_REDIS_STREAM},
        {"redis-list", required_argument, NULL, OPT_REDIS_LIST},
        {"redis-maxlen", required_argument, NULL, OPT_REDIS_MAXLEN},
        {"redis-spool", required_argument, NULL, OPT_REDIS_SPOOL},
        {"redis-drain-timeout", required_argument, NULL, OPT_REDIS_DRAIN},
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
    struct eve_sink_config scfg;
    eve_sink_config_default(&scfg);
    struct evidence_config evcfg;
    evidence_config_default(&evcfg);
    bool evidence = false;
    char redis_host[256] = "";
    const char *redis_key = NULL;
    int redis_mode = EVE_REDIS_STREAM;
    unsigned long ul;
    uint64_t v;

    /* The configuration file first (as vigil analyze): its values are the defaults the flags
     * then overwrite. Without -c, g_conf holds every module's defaults. */
    vg_config_fini(&g_conf);
    vg_config_init(&g_conf);
    bool conf_missing;
    const char *conf_path = cli_find_config_arg(argc, argv, "iof", &conf_missing);
    if (conf_missing) {
        fprintf(stderr, "vigil: error: -c/--config needs a FILE\n");
        return CLI_EXIT_USAGE;
    }
    if (conf_path) {
        int crc = cli_config_load(conf_path, &g_conf);
        if (crc != CLI_EXIT_OK) return crc;
        rc.conf_path = conf_path;
        if (g_conf.log_dir) outdir = g_conf.log_dir;
        vg_config_apply_eve(&g_conf, &scfg);
        if (scfg.redis_mode) {
            snprintf(redis_host, sizeof redis_host, "%s", scfg.redis_host);
            redis_key = scfg.redis_key;
            redis_mode = scfg.redis_mode;
        }
        evcfg = g_conf.evidence;
        evidence = g_conf.evidence_enabled;
        rc.dbc.cache_dir = g_conf.rule_cache_dir;
        rc.dbc.no_cache = !g_conf.rule_cache_enabled;
        /* the keys only run uses (docs/config.md "Live capture and workers") */
        if (g_conf.capture_method == VG_CAPTURE_PCAP) lc.kind = LIVE_PCAP;
        if (g_conf.snaplen) lc.opts.snaplen = g_conf.snaplen;
        lc.opts.bpf = g_conf.bpf;
        lc.opts.promisc = g_conf.promisc;
        user = g_conf.user;
        lc.stats_interval_s = g_conf.stats_interval_s;
        lc.workers = (int)g_conf.workers; /* 0: one per core, decided below */
    }
    rc.conf = &g_conf;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:i:o:f:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': break; /* loaded above */
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
            if (cli_parse_eve_types(optarg, &g_conf.eve_types) != 0) return CLI_EXIT_USAGE;
            break;
        case OPT_ROT_SIZE:
            if (!vg_config_parse_size(optarg, &v) || v < 4096) return bad("--eve-rotate-size", optarg, "a size of at least 4K");
            scfg.rotate_size = v;
            break;
        case OPT_ROT_INT:
            if (!vg_config_parse_duration(optarg, &v) || v == 0) return bad("--eve-rotate-interval", optarg, "a duration (1h, 15m, 30s)");
            scfg.rotate_interval_s = (uint32_t)v;
            break;
        case OPT_SPLIT: scfg.split_types = true; break;
        case OPT_EVIDENCE: evidence = true; break;
        case OPT_EVIDENCE_PACKETS: {
            unsigned a, b;
            char tail;
            if (sscanf(optarg, "%u,%u%c", &a, &b, &tail) != 2 || a > 100000 || b > 100000 || a + b == 0)
                return bad("--evidence-packets", optarg, "N,M (e.g. 32,64)");
            evcfg.first_n = a;
            evcfg.last_m = b;
            evidence = true;
            break;
        }
        case OPT_EVIDENCE_MEMCAP:
            if (!vg_config_parse_size(optarg, &v) || v < (1u << 20))
                return bad("--evidence-memcap", optarg, "a size of at least 1M");
            evcfg.memcap = (size_t)v;
            evidence = true;
            break;
        case OPT_REDIS:
            if (!cli_parse_hostport(optarg, redis_host, sizeof redis_host, &scfg.redis_port))
                return bad("--redis", optarg, "HOST:PORT");
            break;
        case OPT_REDIS_STREAM: redis_key = optarg; redis_mode = EVE_REDIS_STREAM; break;
        case OPT_REDIS_LIST: redis_key = optarg; redis_mode = EVE_REDIS_LIST; break;
        case OPT_REDIS_MAXLEN:
            if (!vg_config_parse_size(optarg, &v)) return bad("--redis-maxlen", optarg, "a number");
            scfg.redis_maxlen = v;
            break;
        case OPT_REDIS_SPOOL:
            if (!vg_config_parse_size(optarg, &v) || v < (1u << 20))
                return bad("--redis-spool", optarg, "a size of at least 1M");
            scfg.redis_spool = (size_t)v;
            break;
        case OPT_REDIS_DRAIN:
            if (!vg_config_parse_duration(optarg, &v))
                return bad("--redis-drain-timeout", optarg, "a duration (e.g. 30s)");
            scfg.redis_drain_ms = (uint32_t)(v * 1000);
            break;
        case OPT_RULES:
        case OPT_IOC:
        case OPT_ALLOW: {
            int *n = c == OPT_RULES ? &rc.n_rules : c == OPT_IOC ? &rc.n_ioc : &rc.n_allow;
            char **list = c == OPT_RULES ? rc.rule_paths : c == OPT_IOC ? rc.ioc_paths : rc.allow_paths;
            size_t nconf = c == OPT_IOC ? g_conf.ioc_files.n : c == OPT_ALLOW ? g_conf.allowlist_files.n : 0;
            if (*n >= RUN_FILES_MAX || (size_t)*n + nconf >= CLI_INTEL_FILES_MAX)
                return bad("--rules/--ioc", optarg, "at most 64 files");
            if (access(optarg, R_OK) != 0) {
                fprintf(stderr, "vigil: error: %s: %s\n", optarg, strerror(errno));
                return CLI_EXIT_USAGE;
            }
            list[(*n)++] = optarg;
            break;
        }
        case OPT_RULES_CACHE: rc.dbc.cache_dir = optarg; break;
        case OPT_NO_RULES_CACHE: rc.dbc.no_cache = true; break;
        case OPT_NO_BEACONS: rc.no_beacons = true; break;
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
    /* -i flags replace the configuration's capture.interfaces */
    for (size_t i = 0; n_if == 0 && i < g_conf.interfaces.n; i++) {
        if (i >= RUN_FILES_MAX) {
            fprintf(stderr, "vigil: error: %s:%u:%u: capture.interfaces: at most %d interfaces\n",
                    g_conf.path, g_conf.interfaces.v[i].line, g_conf.interfaces.v[i].col,
                    RUN_FILES_MAX);
            return CLI_EXIT_USAGE;
        }
        ifaces[i] = g_conf.interfaces.v[i].s;
        if (i + 1 == g_conf.interfaces.n) n_if = (int)g_conf.interfaces.n;
    }
    if (n_if == 0) {
        fprintf(stderr, "vigil: error: run needs at least one interface (-i IFACE, or "
                        "capture.interfaces in the configuration)\n");
        run_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (lc.workers == 0) lc.workers = lc.kind == LIVE_PCAP ? 1 : cpu_workers();
    if (lc.kind == LIVE_PCAP && lc.workers != 1) {
        fprintf(stderr, "vigil: error: pcap capture (--capture / capture.method) runs one worker "
                        "(no fanout); use afpacket for %d workers\n", lc.workers);
        return CLI_EXIT_USAGE;
    }
    if (redis_key && !redis_host[0]) {
        fprintf(stderr, "vigil: error: --redis-stream/--redis-list need --redis HOST:PORT\n");
        return CLI_EXIT_USAGE;
    }
    /* The rules and indicators first: a bad file is reported before anything is opened. */
    struct live_rules first;
    if (gen_load(&rc, &g_conf, false, &first) != 0) return CLI_EXIT_USAGE;
    if (vg_mkdir_p(outdir) != 0) {
        fprintf(stderr, "vigil: error: %s: cannot create output folder: %s\n", outdir, strerror(errno));
        gen_free(NULL, &first);
        return CLI_EXIT_RUNTIME;
    }
    char eve_path[4200], err[512];
    cli_eve_path(eve_path, sizeof eve_path, outdir, g_conf.eve_filename);
    scfg.path = eve_path;
    if (redis_host[0]) {
        scfg.redis_mode = redis_mode;
        scfg.redis_host = redis_host;
        scfg.redis_key = redis_key ? redis_key : "vigil:eve";
    }
    /* One sink for every worker: live.c runs each worker's pipeline under its sink lock, so the
     * file and the Redis spool (which has its own sender thread and lock) see one writer. */
    struct eve_sink *eve = eve_sink_open_cfg(&scfg, err, sizeof err);
    if (!eve) {
        fprintf(stderr, "vigil: error: %s\n", err);
        gen_free(NULL, &first);
        return CLI_EXIT_RUNTIME;
    }
    struct engine_config ecfg;
    engine_config_default(&ecfg);
    vg_config_apply_engine(&g_conf, &ecfg); /* decode, flow, stream, tamper, EVE types */
    if (evidence) {
        evcfg.dir = outdir;
        lc.evidence = &evcfg; /* one context per worker, made by live_run */
    }
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
    struct eve_sink_stats sst;
    memset(&sst, 0, sizeof sst);
    int close_rc = eve_sink_close_stats(eve, &sst);
    if (lrc != VG_OK) {
        fprintf(stderr, "vigil: error: %s\n", err);
        vg_config_fini(&g_conf);
        return lrc == VG_ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    if (!rc.quiet) {
        fprintf(stderr,
                "vigil run: %llu packets (%.1f MB), kernel: %llu received, %llu dropped%s; %llu "
                "alert(s), %llu event(s); %llu reload(s), %llu refused\n",
                (unsigned long long)res.frames, res.bytes / 1e6,
                (unsigned long long)res.kernel_packets, (unsigned long long)res.kernel_drops,
                res.kernel_ifdrops ? " (and by the interface)" : "",
                (unsigned long long)res.alerts, (unsigned long long)res.events,
                (unsigned long long)res.reloads, (unsigned long long)res.reload_failures);
        if (evidence)
            fprintf(stderr, "vigil run: evidence: %llu pcap file(s) in %s/evidence%s\n",
                    (unsigned long long)res.evidence_files, outdir,
                    res.evidence_memcap_drops ? " (packets not kept: memcap)" : "");
        if (sst.redis)
            fprintf(stderr, "vigil run: redis %s:%u %s: %llu sent, %llu dropped, %llu errors, "
                            "%llu reconnect(s)\n",
                    redis_host, scfg.redis_port, scfg.redis_key, (unsigned long long)sst.redis_sent,
                    (unsigned long long)sst.redis_dropped, (unsigned long long)sst.redis_errors,
                    (unsigned long long)(sst.redis_connects ? sst.redis_connects - 1 : 0));
    }
    if (sst.redis && sst.redis_dropped)
        fprintf(stderr, "vigil: warning: redis: %llu event(s) were not delivered\n",
                (unsigned long long)sst.redis_dropped);
    vg_config_fini(&g_conf);
    if (res.write_errors || close_rc != 0) {
        fprintf(stderr, "vigil: error: %s: events could not be written\n", eve_path);
        return CLI_EXIT_RUNTIME;
    }
    if (res.capture_failed) return CLI_EXIT_RUNTIME;
    return CLI_EXIT_OK;
}
