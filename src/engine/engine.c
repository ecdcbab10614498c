/* engine.c - reads capture files into a worker; progress line; stop on signal. */
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "core/vg_log.h"
#include "core/vg_status.h"

volatile sig_atomic_t engine_stop_requested;

/* A file whose records keep failing is abandoned after this many errors in a row. */
#define MAX_CONSECUTIVE_ERRORS 1000

void engine_config_default(struct engine_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    decode_config_default(&cfg->decode);
    flow_config_default(&cfg->flow);
    stream_config_default(&cfg->stream);
    tamper_config_default(&cfg->tamper);
    cfg->last_stage = ENG_STAGE_ALL;
    cfg->eve_types = ~0u;
}

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

struct progress {
    bool on;
    double start, last;
    uint64_t total_bytes, done_before; /* bytes of all files; of the files already finished */
};

static void progress_show(struct progress *pg, const struct capture *c, uint64_t frames, bool final)
{
    double now = mono_now();
    if (!final && now - pg->last < 0.5) return;
    pg->last = now;
    uint64_t done = pg->done_before + capture_offset(c);
    double el = now - pg->start, mb = done / 1e6, rate = el > 0 ? mb / el : 0;
    double eta = rate > 0 ? (pg->total_bytes / 1e6 - mb) / rate : 0;
    fprintf(stderr, "\r%8.1f / %.1f MB  %10llu pkts  %7.1f MB/s  ETA %4.0fs ", mb,
            pg->total_bytes / 1e6, (unsigned long long)frames, rate, eta < 0 ? 0 : eta);
    if (final) fputc('\n', stderr);
}

static void analyze_one(struct worker *w, struct capture *c, struct engine_result *res,
                        struct progress *pg)
{
    const char *path = capture_path(c);
    struct capture_frame fr;
    unsigned consecutive = 0;
    int warned_link = -1;
    for (;;) {
        if (engine_stop_requested) {
            res->interrupted = true;
            return;
        }
        int rc = capture_next(c, &fr);
        if (rc == VG_EOF) break;
        if (rc < 0) {
            res->capture_errors++;
            vg_warn("%s", capture_errmsg(c));
            if (++consecutive >= MAX_CONSECUTIVE_ERRORS) {
                vg_err("%s: too many malformed records in a row, giving up on this file", path);
                break;
            }
            continue;
        }
        consecutive = 0;
        /* Only the caller's fields: decode_packet() zeroes all the others itself (a second memset
         * of the whole struct here cost ~5 % of a decode-only run). */
        struct packet p;
        p.data = fr.data;
        p.caplen = fr.caplen;
        p.wirelen = fr.wirelen;
        p.ts = fr.ts;
        p.linktype = fr.linktype;
        p.iface = fr.iface;
        p.pcap_cnt = ++w->pcap_cnt;
        worker_packet(w, &p);
        if (p.n_anom && p.anom[0] == ANOM_UNSUPPORTED_LINKTYPE && warned_link != fr.linktype) {
            warned_link = fr.linktype;
            vg_warn("%s: packet %llu: link type %d is not supported; such packets are counted and "
                    "skipped",
                    path, (unsigned long long)fr.record_no, fr.linktype);
        }
        res->frames++;
        res->bytes += fr.caplen;
        if (pg->on && (res->frames & 4095) == 0) progress_show(pg, c, res->frames, false);
    }
}

int engine_analyze_files(const struct engine_config *cfg, char *const *files, int nfiles,
                         struct eve_sink *eve, struct worker *w, struct engine_result *res)
{
    memset(res, 0, sizeof *res);
    struct progress pg = {0};
    for (int i = 0; i < nfiles; i++) {
        struct stat st;
        if (stat(files[i], &st) == 0) pg.total_bytes += (uint64_t)st.st_size;
    }
    /* Only worth a line for inputs that take a while. */
    pg.on = cfg->progress && isatty(STDERR_FILENO) && pg.total_bytes >= (64u << 20);
    pg.start = pg.last = mono_now();

    for (int i = 0; i < nfiles && !engine_stop_requested; i++) {
        char err[512];
        struct capture *c = NULL;
        int rc = capture_open_file(files[i], &c, err, sizeof err);
        if (rc < 0) {
            vg_err("%s", err);
            res->files_failed++;
            continue;
        }
        res->files_ok++;
        analyze_one(w, c, res, &pg);
        if (pg.on) progress_show(&pg, c, res->frames, i == nfiles - 1 || engine_stop_requested);
        pg.done_before += capture_size(c);
        capture_close(c);
    }
    if (engine_stop_requested) res->interrupted = true;
    struct eve_stats_in extra = {0};
    extra.capture_errors = res->capture_errors;
    extra.files_ok = res->files_ok;
    extra.files_failed = res->files_failed;
    worker_finish(w, &extra);
    return res->files_ok ? VG_OK : VG_ERR_IO;
}
