/* analyze.c - `vigil analyze [-o DIR] [--rules FILE]... FILE...`: read capture files, write
 * DIR/eve.json, print a summary. */
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
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_log.h"
#include "engine/engine.h"

static void analyze_usage(FILE *out)
{
    fputs("usage: vigil analyze [options] FILE...\n"
          "\n"
          "Reads pcap and pcapng files in the order given and writes EVE JSON events.\n"
          "\n"
          "options:\n"
          "  -o, --output DIR     output folder (default vigil-out); eve.json is written there\n"
          "  -r FILE              a capture file to read (repeatable; same as a FILE argument)\n"
          "      --rules FILE     a Suricata rule file (repeatable)\n"
          "      --no-progress    no progress line on stderr\n"
          "      --stop-after STAGE  run the pipeline only up to decode, flow, stream or app\n"
          "                       (benchmarks and diagnosis)\n"
          "  -q, --quiet          no summary, errors only\n"
          "  -v, --verbose        more messages on stderr\n"
          "  -h, --help           this help\n"
          "\n"
          "Exit codes: 0 ok, 1 output could not be written, 2 usage error,\n"
          "3 no input could be read.\n",
          out);
}

static void on_signal(int sig)
{
    (void)sig;
    engine_stop_requested = 1;
}

/* mkdir -p for the output folder. */
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

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void print_summary(const struct worker *w, const struct engine_result *res,
                          const char *eve_path, double secs)
{
    const struct flow_counters *fc = flow_table_counters(w->flows);
    printf("vigil analyze: %llu file(s) read, %llu failed%s\n", (unsigned long long)res->files_ok,
           (unsigned long long)res->files_failed, res->interrupted ? " (interrupted)" : "");
    printf("  packets   %llu (%.1f MB) in %.2f s", (unsigned long long)res->frames,
           res->bytes / 1e6, secs);
    if (secs > 0) printf(", %.1f MB/s", res->bytes / 1e6 / secs);
    printf("\n  flows     %llu (tcp %llu, udp %llu, icmp %llu, other %llu)\n",
           (unsigned long long)fc->total, (unsigned long long)fc->tcp, (unsigned long long)fc->udp,
           (unsigned long long)(fc->icmpv4 + fc->icmpv6), (unsigned long long)fc->other);
    printf("  events    alert %llu, http %llu, dns %llu, flow %llu, anomaly %llu, stats %llu\n",
           (unsigned long long)w->events[ENG_EV_ALERT], (unsigned long long)w->events[ENG_EV_HTTP],
           (unsigned long long)w->events[ENG_EV_DNS], (unsigned long long)w->events[ENG_EV_FLOW],
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

int cli_analyze(int argc, char **argv)
{
    enum { OPT_RULES = 256, OPT_NO_PROGRESS, OPT_STOP_AFTER };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},      {"rules", required_argument, NULL, OPT_RULES},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS}, {"quiet", no_argument, NULL, 'q'},
        {"stop-after", required_argument, NULL, OPT_STOP_AFTER},
        {"verbose", no_argument, NULL, 'v'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *outdir = "vigil-out";
    char **files = vg_calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0, nrules = 0;
    bool quiet = false, progress = true;
    int last_stage = ENG_STAGE_ALL;
    if (!files) return CLI_EXIT_RUNTIME;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:r:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'r': files[nfiles++] = optarg; break;
        case OPT_RULES:
            if (access(optarg, R_OK) != 0) {
                fprintf(stderr, "vigil: error: --rules %s: %s\n", optarg, strerror(errno));
                vg_free(files);
                return CLI_EXIT_USAGE;
            }
            nrules++;
            break;
        case OPT_NO_PROGRESS: progress = false; break;
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
    if (nrules)
        vg_warn("--rules: the rule engine is not part of this build yet; %d rule file(s) were "
                "checked for readability but will not raise alerts",
                nrules);
    if (make_dirs(outdir) != 0) {
        fprintf(stderr, "vigil: error: %s: cannot create output folder: %s\n", outdir,
                strerror(errno));
        vg_free(files);
        return CLI_EXIT_RUNTIME;
    }
    char eve_path[4200], err[512];
    snprintf(eve_path, sizeof eve_path, "%s/eve.json", outdir);
    struct eve_sink *eve = eve_sink_open(eve_path, err, sizeof err);
    if (!eve) {
        fprintf(stderr, "vigil: error: %s\n", err);
        vg_free(files);
        return CLI_EXIT_RUNTIME;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct engine_config cfg;
    engine_config_default(&cfg);
    cfg.progress = progress && !quiet;
    cfg.last_stage = last_stage;
    struct worker w;
    if (worker_init(&w, &cfg, eve) != 0) {
        fprintf(stderr, "vigil: error: out of memory setting up the pipeline\n");
        eve_sink_close(eve);
        vg_free(files);
        return CLI_EXIT_RUNTIME;
    }
    double t0 = mono_now();
    struct engine_result res;
    engine_analyze_files(&cfg, files, nfiles, eve, &w, &res);
    double secs = mono_now() - t0;
    int close_rc = eve_sink_close(eve);
    if (!quiet) print_summary(&w, &res, eve_path, secs);
    int rc = CLI_EXIT_OK;
    if (w.write_errors || close_rc != 0) {
        fprintf(stderr, "vigil: error: %s: events could not be written\n", eve_path);
        rc = CLI_EXIT_RUNTIME;
    } else if (res.files_ok == 0) {
        rc = CLI_EXIT_NO_INPUT;
    }
    worker_fini(&w);
    vg_free(files);
    return rc;
}
