/* analyze.c - `vigil analyze [-o DIR] [--rules FILE]... FILE...`: read capture files, write
 * DIR/eve.json (optionally rotated, split by type, copied to Redis), evidence pcaps and the HTML
 * report, print a summary. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
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
#include "core/vg_anomaly.h"
#include "core/vg_log.h"
#include "core/vg_status.h"
#include "detect/detect.h"
#include "engine/engine.h"
#include "intel/intel.h"
#include "output/evidence_pcap.h"
#include "output/report/report.h"

static void analyze_usage(FILE *out)
{
    fputs("usage: vigil analyze [options] FILE...\n"
          "\n"
          "Reads pcap and pcapng files in the order given and writes EVE JSON events.\n"
          "\n"
          "options:\n"
          "  -c, --config FILE    a vigil.yaml configuration (docs/config.md); the flags below\n"
          "                       win over the file's values, --rules/--ioc/--beacon-allowlist\n"
          "                       files are added to the file's lists\n"
          "  -o, --output DIR     output folder (default vigil-out); eve.json is written there\n"
          "  -r FILE              a capture file to read (repeatable; same as a FILE argument)\n"
          "      --rules FILE     a Suricata rule file (repeatable)\n"
          "      --rules-cache DIR  where compiled rule databases are cached (default\n"
          "                       $XDG_CACHE_HOME/vigil, else ~/.cache/vigil)\n"
          "      --no-rules-cache   compile the rules every time, never read or write the cache\n"
          "      --no-progress    no progress line on stderr\n"
          "      --eve-types LIST  event types to write, comma-separated: flow, anomaly, http,\n"
          "                       dns (alert and stats are always written; default: all)\n"
          "      --stop-after STAGE  run the pipeline only up to decode, flow, stream or app\n"
          "                       (benchmarks and diagnosis)\n"
          "\n"
          "evidence and report:\n"
          "      --evidence       write DIR/evidence/<flow_id>.pcap for every flow with a finding\n"
          "      --evidence-packets N,M  keep the first N and the latest M packets of such a flow\n"
          "                       (default 32,64)\n"
          "      --evidence-memcap SIZE  memory for packet copies (default 64M)\n"
          "      --report         write DIR/report.html (implies --evidence)\n"
          "\n"
          "outputs (docs/outputs.md):\n"
          "      --eve-rotate-size SIZE      rotate eve.json before it exceeds SIZE (e.g. 100M)\n"
          "      --eve-rotate-interval DUR   rotate eve.json every DUR (e.g. 1h, 15m, 30s)\n"
          "                       rotated files are eve.json.1, eve.json.2, ... (oldest first)\n"
          "      --eve-split-types  one file per event type: eve.alert.json, eve.flow.json, ...\n"
          "      --redis HOST:PORT  also send every event to Redis\n"
          "      --redis-stream NAME  XADD to stream NAME (default vigil:eve)\n"
          "      --redis-list NAME    RPUSH to list NAME instead\n"
          "      --redis-maxlen N     stream MAXLEN ~ N (default 1000000; 0 = no trimming)\n"
          "      --redis-spool SIZE   events held while Redis is away (default 64M)\n"
          "      --redis-drain-timeout DUR  at exit, how long to wait for Redis (default 30s)\n"
          "\n"
          "intelligence (docs/intel.md):\n"
          "      --ioc FILE       indicators to match (repeatable): a plain list, a CSV file with\n"
          "                       a type column, or a STIX 2.1 bundle\n"
          "      --beacon-allowlist FILE  addresses, CIDRs and domains never scored as beacons\n"
          "                       (repeatable; same formats)\n"
          "      --beacon-threshold X  report beacons scoring at least X, 0..1 (default 0.8)\n"
          "      --beacon-weights I,S,D,H  weights of the interval, size, duration and histogram\n"
          "                       scores, summing to 1 (default 0.25,0.25,0.25,0.25)\n"
          "      --no-beacons     do not score beacons\n"
          "\n"
          "tampering (docs/tamper.md):\n"
          "      --tamper-threshold N  emit tamper findings of confidence N or more, 0..100\n"
          "                       (default 0: every finding; the rest are counted in stats)\n"
          "\n"
          "  -q, --quiet          no summary, errors only\n"
          "      --workers N      N worker threads (1-64; 0: one per CPU; default 1); flows are split\n"
          "                       among them by address pair, the events are the same as with one\n"
          "                       worker\n"
          "  -v, --verbose        more messages on stderr\n"
          "  -h, --help           this help\n"
          "\n"
          "Exit codes: 0 ok, 1 output could not be written, 2 usage error,\n"
          "3 no input could be read.\n",
          out);
}

/* ---- intelligence: indicator files and beacon options ---- */

#define INTEL_FILES_MAX CLI_INTEL_FILES_MAX

/* The context outlives every early return (it is reachable from here, so leak checkers stay quiet
 * on error paths); freed after the worker. */
static struct intel_ctx *g_intel;
/* The -c configuration, for the same reason (freed at the end of cli_analyze). */
static struct vg_config g_conf;
/* "0.25,0.25,0.25,0.25" into the four weights. */
static bool parse_weights(const char *s, struct beacon_config *b)
{
    double v[4];
    char *end;
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        errno = 0;
        v[i] = strtod(p, &end);
        if (errno || end == p) return false;
        if (i < 3) {
            if (*end != ',') return false;
            p = end + 1;
        } else if (*end != '\0') {
            return false;
        }
    }
    b->w_interval = v[0];
    b->w_size = v[1];
    b->w_duration = v[2];
    b->w_histogram = v[3];
    return true;
}

static void print_intel_summary(const struct engine_summary *sum)
{
    const struct intel_counters *ic = sum->has_intel ? &sum->intel : NULL;
    const struct beacon_counters *bc = sum->beacons;
    if (!ic) return;
    printf("  intel     %llu indicator alert(s)", (unsigned long long)ic->alerts);
    if (bc)
        printf(", %llu beacon(s) from %llu pair(s) scored (%llu connections, %llu failed "
               "excluded)",
               (unsigned long long)bc->findings, (unsigned long long)bc->scored,
               (unsigned long long)bc->connections, (unsigned long long)bc->failed);
    printf("\n");
    if (bc && (bc->pairs_dropped || bc->capped_per_pair || bc->capped_total))
        printf("            beacon table capped: %llu connection(s) of new pairs dropped, %llu over "
               "the per-pair cap, %llu over the total cap\n",
               (unsigned long long)bc->pairs_dropped, (unsigned long long)bc->capped_per_pair,
               (unsigned long long)bc->capped_total);
}

static void on_signal(int sig)
{
    (void)sig;
    engine_stop_requested = 1;
}

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void print_summary(const struct engine_summary *w, const struct engine_result *res,
                          const char *eve_path, double secs, unsigned workers)
{
    const struct flow_counters *fc = &w->flow;
    printf("vigil analyze: %llu file(s) read, %llu failed%s\n", (unsigned long long)res->files_ok,
           (unsigned long long)res->files_failed, res->interrupted ? " (interrupted)" : "");
    printf("  packets   %llu (%.1f MB) in %.2f s", (unsigned long long)res->frames,
           res->bytes / 1e6, secs);
    if (secs > 0) printf(", %.1f MB/s", res->bytes / 1e6 / secs);
    if (workers > 1) printf(", %u workers", workers);
    printf("\n  flows     %llu (tcp %llu, udp %llu, icmp %llu, other %llu)\n",
           (unsigned long long)fc->total, (unsigned long long)fc->tcp, (unsigned long long)fc->udp,
           (unsigned long long)(fc->icmpv4 + fc->icmpv6), (unsigned long long)fc->other);
    printf("  events    alert %llu, http %llu, dns %llu, tls %llu, ssh %llu, flow %llu, anomaly %llu, "
           "stats %llu\n",
           (unsigned long long)w->events[ENG_EV_ALERT], (unsigned long long)w->events[ENG_EV_HTTP],
           (unsigned long long)w->events[ENG_EV_DNS], (unsigned long long)w->events[ENG_EV_TLS],
           (unsigned long long)w->events[ENG_EV_SSH], (unsigned long long)w->events[ENG_EV_FLOW],
           (unsigned long long)w->events[ENG_EV_ANOMALY], (unsigned long long)w->events[ENG_EV_STATS]);
    printf("  output    %s\n", eve_path);
    const uint64_t *an = w->anomalies;
    printf("  anomalies %llu\n", (unsigned long long)w->events[ENG_EV_ANOMALY]);
    /* The five most frequent, most frequent first (ties by table order: deterministic). */
    bool shown[VG_ANOMALY_COUNT] = {false};
    for (int k = 0; k < 5; k++) {
        int best = -1;
        for (int i = 0; i < VG_ANOMALY_COUNT; i++)
            if (!shown[i] && an[i] && (best < 0 || an[i] > an[best]))
                best = i;
        if (best < 0) break;
        shown[best] = true;
        printf("    %-44s %llu\n", vg_anomaly_name(best), (unsigned long long)an[best]);
    }
    if (w->events[ENG_EV_ALERT]) {
        printf("  findings  %llu\n", (unsigned long long)w->events[ENG_EV_ALERT]);
        for (unsigned i = 0; i < w->n_notable; i++) printf("    %s\n", w->notable[i]);
        if (w->events[ENG_EV_ALERT] > w->n_notable)
            printf("    ... (every finding is an alert event in the EVE file)\n");
    }
    if (res->capture_errors)
        printf("  capture errors %llu (see messages above)\n",
               (unsigned long long)res->capture_errors);
}

static int usage_error(char **files, const char *opt, const char *arg, const char *what)
{
    fprintf(stderr, "vigil: error: %s: expected %s, not '%s'\n", opt, what, arg);
    vg_free(files);
    return CLI_EXIT_USAGE;
}

int cli_analyze(int argc, char **argv)
{
    enum { OPT_RULES = 256, OPT_NO_PROGRESS, OPT_STOP_AFTER, OPT_EVE_TYPES, OPT_EVIDENCE, OPT_EVIDENCE_PACKETS,
           OPT_EVIDENCE_MEMCAP, OPT_REPORT, OPT_ROT_SIZE, OPT_ROT_INT, OPT_SPLIT, OPT_REDIS,
           OPT_REDIS_STREAM, OPT_REDIS_LIST, OPT_REDIS_MAXLEN, OPT_REDIS_SPOOL, OPT_REDIS_DRAIN };
    enum { OPT_IOC = 512, OPT_BEACON_ALLOWLIST, OPT_BEACON_THRESHOLD, OPT_BEACON_WEIGHTS,
           OPT_NO_BEACONS };
    enum { OPT_RULES_CACHE = 768, OPT_NO_RULES_CACHE, OPT_WORKERS };
    enum { OPT_TAMPER_THRESHOLD = 1024 };
    struct detect_build_cfg dbc;
    memset(&dbc, 0, sizeof dbc);
    char *ioc_paths[INTEL_FILES_MAX], *allow_paths[INTEL_FILES_MAX];
    int n_ioc = 0, n_allow = 0;
    struct beacon_config bcfg;
    beacon_config_default(&bcfg);
    bool beacons = true;
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},      {"rules", required_argument, NULL, OPT_RULES},
        {"config", required_argument, NULL, 'c'},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS}, {"quiet", no_argument, NULL, 'q'},
        {"stop-after", required_argument, NULL, OPT_STOP_AFTER},
        {"eve-types", required_argument, NULL, OPT_EVE_TYPES},
        {"evidence", no_argument, NULL, OPT_EVIDENCE},
        {"evidence-packets", required_argument, NULL, OPT_EVIDENCE_PACKETS},
        {"evidence-memcap", required_argument, NULL, OPT_EVIDENCE_MEMCAP},
        {"report", no_argument, NULL, OPT_REPORT},
        {"eve-rotate-size", required_argument, NULL, OPT_ROT_SIZE},
        {"eve-rotate-interval", required_argument, NULL, OPT_ROT_INT},
        {"eve-split-types", no_argument, NULL, OPT_SPLIT},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"redis-stream", required_argument, NULL, OPT_REDIS_STREAM},
        {"redis-list", required_argument, NULL, OPT_REDIS_LIST},
        {"redis-maxlen", required_argument, NULL, OPT_REDIS_MAXLEN},
        {"redis-spool", required_argument, NULL, OPT_REDIS_SPOOL},
        {"redis-drain-timeout", required_argument, NULL, OPT_REDIS_DRAIN},
        {"ioc", required_argument, NULL, OPT_IOC},
        {"beacon-allowlist", required_argument, NULL, OPT_BEACON_ALLOWLIST},
        {"beacon-threshold", required_argument, NULL, OPT_BEACON_THRESHOLD},
        {"beacon-weights", required_argument, NULL, OPT_BEACON_WEIGHTS},
        {"no-beacons", no_argument, NULL, OPT_NO_BEACONS},
        {"rules-cache", required_argument, NULL, OPT_RULES_CACHE},
        {"no-rules-cache", no_argument, NULL, OPT_NO_RULES_CACHE},
        {"tamper-threshold", required_argument, NULL, OPT_TAMPER_THRESHOLD},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"verbose", no_argument, NULL, 'v'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct eve_sink_config scfg;
    eve_sink_config_default(&scfg);
    struct evidence_config ecfg;
    evidence_config_default(&ecfg);
    int tamper_threshold = -1; /* --tamper-threshold; -1: the config's or the default */
    bool evidence = false, report = false;
    char redis_host[256] = "";
    const char *redis_key = NULL;
    int redis_mode = EVE_REDIS_STREAM;
    uint64_t v;
    const char *outdir = "vigil-out";
    /* The configuration file first: its values are the defaults the flags overwrite. */
    vg_config_fini(&g_conf); /* (an initialised struct: a second call in one process) */
    bool conf_missing;
    const char *conf_path = cli_find_config_arg(argc, argv, "or", &conf_missing);
    if (conf_missing) {
        fprintf(stderr, "vigil: error: -c/--config needs a FILE\n");
        return CLI_EXIT_USAGE;
    }
    if (conf_path) {
        int crc = cli_config_load(conf_path, &g_conf);
        if (crc != CLI_EXIT_OK) return crc;
    }
    if (g_conf.log_dir) outdir = g_conf.log_dir;
    vg_config_apply_eve(&g_conf, &scfg);
    if (scfg.redis_mode) {
        snprintf(redis_host, sizeof redis_host, "%s", scfg.redis_host);
        redis_key = scfg.redis_key;
        redis_mode = scfg.redis_mode;
    }
    ecfg = g_conf.evidence;
    report = g_conf.report_enabled;
    evidence = g_conf.evidence_enabled || report;
    bcfg = g_conf.beacon;
    beacons = g_conf.beacons_enabled;
    dbc.cache_dir = g_conf.rule_cache_dir;
    dbc.no_cache = !g_conf.rule_cache_enabled;
    /* One allocation for the two lists (capture files, --rules files), so that every early
     * return that frees `files` frees them both. The configuration's rule files are loaded
     * first by cli_load_rules. */
    char **files = vg_calloc(2 * ((size_t)argc + 1), sizeof *files);
    char **rule_paths = files ? files + argc + 1 : NULL;
    struct rule_loader *rules_ld = NULL;
    struct detect_engine *rules_de = NULL;
    int nfiles = 0, nrules = 0;
    bool quiet = false, progress = true;
    unsigned n_workers = 1;
    if (conf_path) { /* the config's workers (0: one per online CPU); --workers wins */
        long nc = g_conf.workers ? (long)g_conf.workers : sysconf(_SC_NPROCESSORS_ONLN);
        n_workers = nc < 1 ? 1 : nc > ENGINE_MAX_WORKERS ? ENGINE_MAX_WORKERS : (unsigned)nc;
    }
    int last_stage = ENG_STAGE_ALL;
    unsigned eve_types = g_conf.eve_types;
    if (!files || !rule_paths) {
        vg_free(files);
        return CLI_EXIT_RUNTIME;
    }
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:o:r:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': break; /* loaded above */
        case 'o': outdir = optarg; break;
        case 'r': files[nfiles++] = optarg; break;
        case OPT_RULES:
            if (access(optarg, R_OK) != 0) {
                fprintf(stderr, "vigil: error: --rules %s: %s\n", optarg, strerror(errno));
                vg_free(files);
                return CLI_EXIT_USAGE;
            }
            rule_paths[nrules++] = optarg;
            break;
        case OPT_RULES_CACHE: dbc.cache_dir = optarg; break;
        case OPT_NO_RULES_CACHE: dbc.no_cache = true; break;
        case OPT_WORKERS: {
            char *end;
            errno = 0;
            unsigned long nw = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || nw > ENGINE_MAX_WORKERS)
                return usage_error(files, "--workers", optarg, "a number from 0 to 64");
            if (nw == 0) { /* one per online CPU */
                long nc = sysconf(_SC_NPROCESSORS_ONLN);
                nw = nc < 1 ? 1 : nc > ENGINE_MAX_WORKERS ? ENGINE_MAX_WORKERS : (unsigned long)nc;
            }
            n_workers = (unsigned)nw;
            break;
        }
        case OPT_NO_PROGRESS: progress = false; break;
        case OPT_EVE_TYPES:
            if (cli_parse_eve_types(optarg, &eve_types) != 0) {
                vg_free(files);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_STOP_AFTER:
            if (strcmp(optarg, "decode") == 0)
                last_stage = ENG_STAGE_DECODE;
            else if (strcmp(optarg, "flow") == 0)
                last_stage = ENG_STAGE_FLOW;
            else if (strcmp(optarg, "stream") == 0)
                last_stage = ENG_STAGE_STREAM;
            else if (strcmp(optarg, "app") == 0)
                last_stage = ENG_STAGE_APP;
            else {
                fprintf(stderr, "vigil: error: --stop-after: expected decode, flow, stream or app, not '%s'\n",
                        optarg);
                vg_free(files);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_EVIDENCE: evidence = true; break;
        case OPT_REPORT: report = evidence = true; break;
        case OPT_EVIDENCE_PACKETS: {
            unsigned a, b;
            char tail;
            if (sscanf(optarg, "%u,%u%c", &a, &b, &tail) != 2 || a > 100000 || b > 100000 ||
                a + b == 0)
                return usage_error(files, "--evidence-packets", optarg, "N,M (e.g. 32,64)");
            ecfg.first_n = a;
            ecfg.last_m = b;
            evidence = true;
            break;
        }
        case OPT_EVIDENCE_MEMCAP:
            if (!vg_config_parse_size(optarg, &v) || v < (1u << 20))
                return usage_error(files, "--evidence-memcap", optarg, "a size of at least 1M");
            ecfg.memcap = (size_t)v;
            evidence = true;
            break;
        case OPT_ROT_SIZE:
            if (!vg_config_parse_size(optarg, &v) || v < 4096)
                return usage_error(files, "--eve-rotate-size", optarg, "a size of at least 4K (e.g. 100M)");
            scfg.rotate_size = v;
            break;
        case OPT_ROT_INT:
            if (!vg_config_parse_duration(optarg, &v) || v == 0)
                return usage_error(files, "--eve-rotate-interval", optarg, "a duration (e.g. 1h, 15m, 30s)");
            scfg.rotate_interval_s = (uint32_t)v;
            break;
        case OPT_SPLIT: scfg.split_types = true; break;
        case OPT_REDIS:
            if (!cli_parse_hostport(optarg, redis_host, sizeof redis_host, &scfg.redis_port))
                return usage_error(files, "--redis", optarg, "HOST:PORT");
            break;
        case OPT_REDIS_STREAM: redis_key = optarg; redis_mode = EVE_REDIS_STREAM; break;
        case OPT_REDIS_LIST: redis_key = optarg; redis_mode = EVE_REDIS_LIST; break;
        case OPT_REDIS_MAXLEN:
            if (!vg_config_parse_size(optarg, &v)) return usage_error(files, "--redis-maxlen", optarg, "a number");
            scfg.redis_maxlen = v;
            break;
        case OPT_REDIS_SPOOL:
            if (!vg_config_parse_size(optarg, &v) || v < (1u << 20))
                return usage_error(files, "--redis-spool", optarg, "a size of at least 1M");
            scfg.redis_spool = (size_t)v;
            break;
        case OPT_REDIS_DRAIN:
            if (!vg_config_parse_duration(optarg, &v))
                return usage_error(files, "--redis-drain-timeout", optarg, "a duration (e.g. 30s)");
            scfg.redis_drain_ms = (uint32_t)(v * 1000);
            break;
        case OPT_IOC:
        case OPT_BEACON_ALLOWLIST: {
            bool is_ioc = c == OPT_IOC;
            if ((size_t)(is_ioc ? n_ioc : n_allow) +
                    (is_ioc ? g_conf.ioc_files.n : g_conf.allowlist_files.n) >=
                (size_t)INTEL_FILES_MAX)
                return usage_error(files, is_ioc ? "--ioc" : "--beacon-allowlist", optarg,
                                   "at most 64 files");
            if (is_ioc)
                ioc_paths[n_ioc++] = optarg;
            else
                allow_paths[n_allow++] = optarg;
            break;
        }
        case OPT_TAMPER_THRESHOLD: {
            char *end;
            errno = 0;
            long x = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || x < 0 || x > 100)
                return usage_error(files, "--tamper-threshold", optarg, "an integer from 0 to 100");
            tamper_threshold = (int)x;
            break;
        }
        case OPT_BEACON_THRESHOLD: {
            char *end;
            errno = 0;
            double x = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(x >= 0 && x <= 1))
                return usage_error(files, "--beacon-threshold", optarg, "a number from 0 to 1");
            bcfg.threshold = x;
            break;
        }
        case OPT_BEACON_WEIGHTS: {
            char why[160];
            if (!parse_weights(optarg, &bcfg) || beacon_config_check(&bcfg, why, sizeof why) != 0)
                return usage_error(files, "--beacon-weights", optarg,
                                   "four weights I,S,D,H from 0 to 1 summing to 1");
            break;
        }
        case OPT_NO_BEACONS: beacons = false; break;
        case 'q': quiet = true; vg_log_set_level(VG_LOG_ERROR); break;
        case 'v': vg_log_set_level(VG_LOG_INFO); break;
        case 'h':
            analyze_usage(stdout);
            vg_free(files);
            return CLI_EXIT_OK;
        default:
            analyze_usage(stderr);
            vg_free(files);
            return CLI_EXIT_USAGE;
        }
    }
    for (int i = optind; i < argc; i++) files[nfiles++] = argv[i];
    if (nfiles == 0) {
        fprintf(stderr, "vigil: error: analyze needs at least one capture file\n");
        analyze_usage(stderr);
        vg_free(files);
        return CLI_EXIT_USAGE;
    }
    /* Indicators and the allowlist: loaded before any output exists. A malformed line is reported
     * and skipped; an unreadable file is a usage error, as an unreadable --rules file. */
    g_intel = intel_ctx_new();
    if (!g_intel) {
        fprintf(stderr, "vigil: error: out of memory\n");
        vg_free(files);
        return CLI_EXIT_RUNTIME;
    }
    g_intel->beacon = bcfg;
    g_intel->beacon_enabled = beacons;
    {
        int lrc = cli_load_intel(g_intel, &g_conf, ioc_paths, n_ioc, allow_paths, n_allow, quiet);
        if (lrc == VG_ERR_IO || lrc == VG_ERR_NOMEM) {
            vg_free(files);
            return lrc == VG_ERR_IO ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
        }
    }
    if (intel_ctx_build(g_intel) != VG_OK) {
        fprintf(stderr, "vigil: error: out of memory building the indicator set\n");
        vg_free(files);
        return CLI_EXIT_RUNTIME;
    }
    {
        struct cli_rules_opts ro = {&g_conf, &dbc, quiet, false, 0};
        int lrc = cli_load_rules(&ro, rule_paths, nrules, &rules_ld, &rules_de, NULL);
        if (lrc != CLI_EXIT_OK) {
            intel_ctx_free(g_intel);
            g_intel = NULL;
            vg_free(files);
            return lrc;
        }
    }
    if (vg_mkdir_p(outdir) != 0) {
        fprintf(stderr, "vigil: error: %s: cannot create output folder: %s\n", outdir,
                strerror(errno));
        vg_free(files);
        return CLI_EXIT_RUNTIME;
    }
    if (redis_key && !redis_host[0]) {
        fprintf(stderr, "vigil: error: --redis-stream/--redis-list need --redis HOST:PORT\n");
        vg_free(files);
        return CLI_EXIT_USAGE;
    }
    char eve_path[4200], err[512];
    cli_eve_path(eve_path, sizeof eve_path, outdir, g_conf.eve_filename);
    scfg.path = eve_path;
    if (redis_host[0]) {
        scfg.redis_mode = redis_mode;
        scfg.redis_host = redis_host;
        scfg.redis_key = redis_key ? redis_key : "vigil:eve";
    }
    struct eve_sink *eve = eve_sink_open_cfg(&scfg, err, sizeof err);
    if (!eve) {
        fprintf(stderr, "vigil: error: %s\n", err);
        vg_free(files);
        return CLI_EXIT_RUNTIME;
    }
    struct evidence_ctx *ev = NULL;
    if (evidence) ecfg.dir = outdir;
    if (evidence && n_workers == 1) {
        ecfg.dir = outdir;
        ev = evidence_ctx_new(&ecfg, err, sizeof err);
        if (!ev) {
            fprintf(stderr, "vigil: error: %s\n", err);
            eve_sink_close(eve);
            vg_free(files);
            return CLI_EXIT_RUNTIME;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct engine_config cfg;
    engine_config_default(&cfg);
    vg_config_apply_engine(&g_conf, &cfg); /* decode, flow, stream, tamper; defaults without -c */
    cfg.progress = progress && !quiet;
    cfg.last_stage = last_stage;
    cfg.eve_types = eve_types;
    cfg.intel = g_intel;
    cfg.detect = rules_de;
    if (tamper_threshold >= 0) cfg.tamper.min_confidence = (uint8_t)tamper_threshold;
    /* One worker: the single-threaded path (engine.c). More: workers.c (threads). */
    struct worker w;
    struct engine_workers *ew = NULL;
    struct engine_result res;
    double t0 = mono_now();
    if (n_workers == 1) {
        if (worker_init(&w, &cfg, eve) != 0) {
            fprintf(stderr, "vigil: error: out of memory setting up the pipeline\n");
            eve_sink_close(eve);
            evidence_ctx_free(ev);
            vg_free(files);
            return CLI_EXIT_RUNTIME;
        }
        w.evidence = ev;
        t0 = mono_now();
        engine_analyze_files(&cfg, files, nfiles, eve, &w, &res);
    } else {
        ew = engine_workers_new(&cfg, eve, n_workers, evidence ? &ecfg : NULL, err, sizeof err);
        if (!ew) {
            fprintf(stderr, "vigil: error: %s\n", err);
            eve_sink_close(eve);
            vg_free(files);
            return CLI_EXIT_RUNTIME;
        }
        t0 = mono_now();
        engine_workers_analyze_files(ew, files, nfiles, &res);
    }
    double secs = mono_now() - t0;
    struct engine_summary sum;
    if (ew) {
        engine_workers_summary(ew, &sum);
    } else {
        struct worker *wp = &w;
        engine_summary_of(&wp, 1, &sum);
    }
    /* The files the report reads: every EVE file of the run (rotated ones too), copied before
     * the sink (which owns the names) is closed. */
    size_t n_eve = eve_sink_file_count(eve);
    char **eve_files = report ? vg_calloc(n_eve + 1, sizeof *eve_files) : NULL;
    for (size_t i = 0; eve_files && i < n_eve; i++) eve_files[i] = vg_strdup(eve_sink_file_path(eve, i));
    struct eve_sink_stats sst;
    memset(&sst, 0, sizeof sst);
    int close_rc = eve_sink_close_stats(eve, &sst);
    if (!quiet) {
        print_summary(&sum, &res, eve_path, secs, n_workers);
        print_intel_summary(&sum);
        if (scfg.split_types || sst.rotations)
            printf("  files     %llu EVE file(s)%s, %llu rotation(s)\n",
                   (unsigned long long)sst.files_opened,
                   scfg.split_types ? " (one per event type)" : "", (unsigned long long)sst.rotations);
        if (sst.redis)
            printf("  redis     %s:%u %s: %llu sent, %llu dropped, %llu errors, %llu reconnect(s)\n",
                   redis_host, scfg.redis_port, scfg.redis_key, (unsigned long long)sst.redis_sent,
                   (unsigned long long)sst.redis_dropped, (unsigned long long)sst.redis_errors,
                   (unsigned long long)(sst.redis_connects ? sst.redis_connects - 1 : 0));
        if (sum.has_evidence) {
            const struct evidence_counters *ec = &sum.evidence;
            printf("  evidence  %llu pcap file(s) in %s/evidence", (unsigned long long)ec->files_written,
                   outdir);
            if (ec->memcap_drops) printf(" (%llu packets not kept: memcap)", (unsigned long long)ec->memcap_drops);
            printf("\n");
        }
    }
    int rc = CLI_EXIT_OK;
    if (sum.write_errors || close_rc != 0) {
        fprintf(stderr, "vigil: error: %s: events could not be written\n", eve_path);
        rc = CLI_EXIT_RUNTIME;
    } else if (res.files_ok == 0) {
        rc = CLI_EXIT_NO_INPUT;
    }
    if (sst.redis && sst.redis_dropped)
        fprintf(stderr, "vigil: warning: redis: %llu event(s) were not delivered\n",
                (unsigned long long)sst.redis_dropped);
    if (ew)
        engine_workers_free(ew);
    else
        worker_fini(&w);
    intel_ctx_free(g_intel);
    g_intel = NULL;
    detect_engine_free(rules_de); /* after the workers: they point into it */
    rule_loader_free(rules_ld);
    evidence_ctx_free(ev);
    if (report && eve_files && rc != CLI_EXIT_RUNTIME) {
        char html[4300];
        snprintf(html, sizeof html, "%s/report.html", outdir);
        struct report_options ro;
        report_options_default(&ro);
        ro.captures = (const char *const *)files;
        ro.n_captures = (size_t)nfiles;
        if (report_write((const char *const *)eve_files, n_eve, html, &ro, err, sizeof err) != 0) {
            fprintf(stderr, "vigil: error: report: %s\n", err);
            rc = CLI_EXIT_RUNTIME;
        } else if (!quiet) {
            printf("  report    %s\n", html);
        }
    }
    for (size_t i = 0; eve_files && i < n_eve; i++) vg_free(eve_files[i]);
    vg_free(eve_files);
    vg_free(files);
    vg_config_fini(&g_conf);
    return rc;
}
