/* workers.c - N workers on N threads (vigil analyze --workers N; the engine pieces vigil run uses).
 *
 * Each worker owns its flows: engine_dispatch (dispatch.c) maps a frame to one worker by its outer
 * address pair, so nothing on the per-packet path is shared or locked. Shared, at coarser grain:
 * the EVE sink (one mutex per event, eve_sink_file.c) and the beacon table (one mutex per flow end
 * or server name, intel.c). Design and measurements: README.md in this folder.
 *
 * Regular files: every worker thread opens and walks the whole (memory-mapped) file itself and
 * runs the frames that hash to it; for the others it only advances its packet clock
 * (worker_tick), so flows expire at the same packet times as with one worker. No dispatcher, no
 * queues, no copies. Pipes and FIFOs: the calling thread reads and copies each frame into the
 * owning worker's bounded single-producer ring (struct fring); clock ticks are sent to the other
 * workers when the packet-time second changes (housekeeping works per second).
 */
#include "engine/engine.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "core/vg_alloc.h"
#include "core/vg_log.h"
#include "core/vg_status.h"

#define MAX_CONSECUTIVE_ERRORS 1000 /* as engine.c */

/* ---- the pipe path's ring: one producer (the reader), one consumer (a worker) ---- */

#define FRING_BYTES (8u << 20)
/* REC_LAN: a copy of another worker's frame for worker 0's LAN detector (worker_lan_foreign). */
enum { REC_FRAME = 1, REC_TICK, REC_WRAP, REC_END, REC_LAN };

struct rec_hdr { /* followed by caplen bytes, padded to 8 */
    uint32_t kind, caplen;
    uint32_t wirelen, iface;
    int32_t linktype, pad;
    struct vg_ts ts;
    uint64_t pcap_cnt;
};

struct fring {
    uint8_t *buf;
    _Atomic uint64_t head; /* bytes written (producer) */
    _Atomic uint64_t tail; /* bytes consumed (consumer) */
    uint64_t waits_full;   /* producer waits (for the README's measurements) */
};

static void pause_briefly(unsigned *spins)
{
    if (++*spins < 64) {
        sched_yield();
        return;
    }
    struct timespec ts = {0, 50000}; /* 50 us */
    nanosleep(&ts, NULL);
}

static size_t rec_size(uint32_t caplen) { return sizeof(struct rec_hdr) + ((caplen + 7u) & ~7u); }

/* Producer: room for n contiguous bytes (a wrap record is written when the end is too near). */
static uint8_t *fring_reserve(struct fring *r, size_t n)
{
    unsigned spins = 0;
    for (;;) {
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        size_t pos = (size_t)(head % FRING_BYTES), to_end = FRING_BYTES - pos;
        size_t need = n <= to_end ? n : to_end + n; /* skip the end when it is too short */
        if (FRING_BYTES - (head - tail) >= need + sizeof(struct rec_hdr)) {
            if (n > to_end) {
                /* Too short for a header: the consumer skips such an end on its own. */
                if (to_end >= sizeof(struct rec_hdr)) {
                    struct rec_hdr wr;
                    memset(&wr, 0, sizeof wr);
                    wr.kind = REC_WRAP;
                    memcpy(r->buf + pos, &wr, sizeof wr);
                }
                atomic_store_explicit(&r->head, head + to_end, memory_order_release);
                pos = 0;
            }
            return r->buf + pos;
        }
        r->waits_full++;
        pause_briefly(&spins);
    }
}

static void fring_publish(struct fring *r, size_t n)
{
    atomic_store_explicit(&r->head, atomic_load_explicit(&r->head, memory_order_relaxed) + n,
                          memory_order_release);
}

/* ---- the set of workers ---- */

struct engine_workers {
    const struct engine_config *cfg;
    struct eve_sink *eve;
    unsigned n;
    struct worker *w;                /* n */
    struct evidence_ctx **ev;        /* n, NULL entries when evidence is off */
    struct intel_shared *intel_sh;   /* NULL when cfg->intel is NULL */
    bool *ended;                     /* n: worker_end_flows done */
    bool finished;
    struct fring *rings;             /* n, pipe mode only */
};

struct engine_workers *engine_workers_new(const struct engine_config *cfg, struct eve_sink *eve,
                                          unsigned n, const struct evidence_config *ecfg,
                                          char *err, size_t errlen)
{
    if (n < 1 || n > ENGINE_MAX_WORKERS) {
        snprintf(err, errlen, "workers: %u is not between 1 and %d", n, ENGINE_MAX_WORKERS);
        return NULL;
    }
    struct engine_workers *ew = vg_calloc(1, sizeof *ew);
    if (!ew) goto oom;
    ew->cfg = cfg;
    ew->eve = eve;
    ew->w = vg_calloc(n, sizeof *ew->w);
    ew->ev = vg_calloc(n, sizeof *ew->ev);
    ew->ended = vg_calloc(n, sizeof *ew->ended);
    if (!ew->w || !ew->ev || !ew->ended) goto oom;
    if (cfg->intel && cfg->last_stage >= ENG_STAGE_ALL && n > 1) {
        ew->intel_sh = intel_shared_new(cfg->intel);
        if (!ew->intel_sh) goto oom;
    }
    for (unsigned i = 0; i < n; i++) {
        if (worker_init(&ew->w[i], cfg, eve) != VG_OK) goto oom;
        ew->n = i + 1;
        /* the LAN detector judges the whole link: worker 0 only, told of the others' frames */
        ew->w[i].lan = i == 0 && cfg->last_stage >= ENG_STAGE_ALL;
        if (ew->intel_sh && ew->w[i].intel) {
            /* The worker's own table is replaced by the shared one (same hooks). */
            intel_worker_free(ew->w[i].intel);
            struct intel_hooks ih;
            worker_intel_hooks(&ew->w[i], &ih);
            ew->w[i].intel = intel_worker_new_shared(cfg->intel, &ih, ew->intel_sh);
            if (!ew->w[i].intel) goto oom;
        }
        if (ecfg) {
            struct evidence_config ec = *ecfg;
            ec.memcap = ecfg->memcap / n; /* the memory budget is for the whole run */
            if (ec.memcap < (1u << 20)) ec.memcap = 1u << 20;
            ew->ev[i] = evidence_ctx_new(&ec, err, errlen);
            if (!ew->ev[i]) {
                engine_workers_free(ew);
                return NULL;
            }
            ew->w[i].evidence = ew->ev[i];
        }
    }
    return ew;
oom:
    snprintf(err, errlen, "out of memory setting up %u workers", n);
    engine_workers_free(ew);
    return NULL;
}

unsigned engine_workers_count(const struct engine_workers *ew) { return ew->n; }

struct worker *engine_workers_get(struct engine_workers *ew, unsigned i)
{
    return i < ew->n ? &ew->w[i] : NULL;
}

void engine_workers_free(struct engine_workers *ew)
{
    if (!ew) return;
    for (unsigned i = 0; i < ew->n; i++) worker_fini(&ew->w[i]);
    for (unsigned i = 0; ew->ev && i < ew->n; i++) evidence_ctx_free(ew->ev[i]);
    intel_shared_free(ew->intel_sh);
    if (ew->rings)
        for (unsigned i = 0; i < ew->n; i++) vg_free(ew->rings[i].buf);
    vg_free(ew->rings);
    vg_free(ew->w);
    vg_free(ew->ev);
    vg_free(ew->ended);
    vg_free(ew);
}

/* ---- counters summed over workers ---- */

/* Every counter struct is all uint64_t: summed field by field. The few that are not totals are
 * fixed up by the caller (peaks are summed: an upper bound of the true peak). */
static void sum_u64(void *dst, const void *src, size_t size)
{
    uint64_t *d = dst;
    const uint64_t *s = src;
    for (size_t i = 0; i < size / sizeof(uint64_t); i++) d[i] += s[i];
}

_Static_assert(sizeof(struct decode_counters) % 8 == 0, "decode_counters: uint64_t only");
_Static_assert(sizeof(struct flow_counters) % 8 == 0, "flow_counters: uint64_t only");
_Static_assert(sizeof(struct stream_counters) % 8 == 0, "stream_counters: uint64_t only");
_Static_assert(sizeof(struct tamper_counters) % 8 == 0, "tamper_counters: uint64_t only");
_Static_assert(sizeof(struct app_counters) % 8 == 0, "app_counters: uint64_t only");
_Static_assert(sizeof(struct detect_counters) % 8 == 0, "detect_counters: uint64_t only");
_Static_assert(sizeof(struct evidence_counters) % 8 == 0, "evidence_counters: uint64_t only");
_Static_assert(sizeof(struct intel_counters) % 8 == 0, "intel_counters: uint64_t only");

void engine_summary_of(struct worker *const *ws, unsigned n, struct engine_summary *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < n; i++) {
        const struct worker *w = ws[i];
        sum_u64(&out->flow, flow_table_counters(w->flows), sizeof out->flow);
        for (int t = 0; t < ENG_EV_COUNT; t++) out->events[t] += w->events[t];
        for (int a = 0; a < VG_ANOMALY_COUNT; a++) out->anomalies[a] += w->anomalies[a];
        out->write_errors += w->write_errors;
        for (unsigned k = 0; k < w->n_notable && out->n_notable < ENGINE_NOTABLE_MAX; k++)
            memcpy(out->notable[out->n_notable++], w->notable[k], sizeof out->notable[0]);
        if (w->intel) {
            out->has_intel = true;
            sum_u64(&out->intel, intel_counters(w->intel), sizeof out->intel);
            /* Shared table: every worker points at the same counters. Own tables (1 worker):
             * one. */
            if (!out->beacons) out->beacons = intel_beacon_counters(w->intel);
        }
        if (w->evidence) {
            out->has_evidence = true;
            sum_u64(&out->evidence, evidence_counters(w->evidence), sizeof out->evidence);
        }
    }
}

void engine_workers_summary(const struct engine_workers *ew, struct engine_summary *out)
{
    struct worker *ws[ENGINE_MAX_WORKERS];
    for (unsigned i = 0; i < ew->n; i++) ws[i] = &ew->w[i];
    engine_summary_of(ws, ew->n, out);
}

void engine_workers_finish(struct engine_workers *ew, const struct eve_stats_in *extra)
{
    if (ew->finished) return;
    ew->finished = true;
    for (unsigned i = 0; i < ew->n; i++)
        if (!ew->ended[i]) {
            worker_end_flows(&ew->w[i]);
            ew->ended[i] = true;
        }
    struct worker *w0 = &ew->w[0];
    if (ew->intel_sh && w0->intel) intel_finish_shared(w0->intel); /* beacon alerts: worker 0 */

    struct decode_counters dec;
    struct flow_counters flow;
    struct stream_counters stream;
    struct tamper_counters tamper;
    struct app_counters app;
    struct detect_counters det;
    struct evidence_counters evc;
    memset(&dec, 0, sizeof dec);
    memset(&flow, 0, sizeof flow);
    memset(&stream, 0, sizeof stream);
    memset(&tamper, 0, sizeof tamper);
    memset(&app, 0, sizeof app);
    memset(&det, 0, sizeof det);
    memset(&evc, 0, sizeof evc);
    struct eve_stats_in in;
    memset(&in, 0, sizeof in);
    if (extra) in = *extra;
    in.ts = w0->now;
    for (unsigned i = 0; i < ew->n; i++) {
        struct worker *w = &ew->w[i];
        if (vg_ts_cmp(w->now, in.ts) > 0) in.ts = w->now;
        sum_u64(&dec, decode_counters(w->dec), sizeof dec);
        sum_u64(&flow, flow_table_counters(w->flows), sizeof flow);
        sum_u64(&stream, stream_counters(w->stream), sizeof stream);
        sum_u64(&tamper, tamper_counters(w->tamper), sizeof tamper);
        sum_u64(&app, app_counters(w->app), sizeof app);
        if (w->det) sum_u64(&det, detect_counters(w->det), sizeof det);
        if (w->evidence) sum_u64(&evc, evidence_counters(w->evidence), sizeof evc);
    }
    if (w0->det) { /* the rule set is the same for every worker: not a sum */
        det.rules_loaded = detect_counters(w0->det)->rules_loaded;
        det.rules_failed = detect_counters(w0->det)->rules_failed;
    }
    in.dec = &dec;
    in.flow = &flow;
    in.stream = &stream;
    in.tamper = &tamper;
    in.app = &app;
    if (w0->det) in.detect = &det;
    worker_write_stats(w0, &in, w0->evidence ? &evc : NULL);
}

/* ---- regular files: every thread walks the file ---- */

/* One read-only mapping per file, shared by the threads (capture_open_mem on it): the pages are
 * faulted in once, not once per worker. NULL: the thread opens the file itself. */
struct fmap {
    void *p;
    size_t len;
};

struct wthread {
    struct engine_workers *ew;
    unsigned idx;
    char *const *files;
    const struct fmap *maps;
    int nfiles;
    struct engine_result res; /* thread 0's is the run's */
    bool progress;
    double cpu_s; /* this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), for -v */
    pthread_t tid;
};

static double thread_cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void fill_packet(struct packet *p, const struct capture_frame *fr, uint64_t cnt)
{
    memset(p, 0, sizeof *p);
    p->data = fr->data;
    p->caplen = fr->caplen;
    p->wirelen = fr->wirelen;
    p->ts = fr->ts;
    p->linktype = fr->linktype;
    p->iface = fr->iface;
    p->pcap_cnt = cnt;
}

static void *file_thread(void *arg)
{
    struct wthread *t = arg;
    struct engine_workers *ew = t->ew;
    struct worker *w = &ew->w[t->idx];
    const unsigned n = ew->n, me = t->idx;
    const bool lead = me == 0; /* reports errors and progress; its counts are the run's */
    const double cpu0 = thread_cpu_now();
    uint64_t cnt = 0;          /* frame number in the input: the same in every thread */
    uint64_t total_bytes = 0, done_before = 0;
    double start = mono_now(), last = start;
    for (int i = 0; i < t->nfiles; i++) {
        struct stat st;
        if (stat(t->files[i], &st) == 0) total_bytes += (uint64_t)st.st_size;
    }
    for (int i = 0; i < t->nfiles && !engine_stop_requested; i++) {
        char err[512];
        struct capture *c = NULL;
        if (!lead) vg_log_mute_thread(1); /* the reader's warnings: worker 0 prints them */
        int orc = t->maps && t->maps[i].p
                      ? capture_open_mem(t->maps[i].p, t->maps[i].len, t->files[i], &c, err,
                                         sizeof err)
                      : capture_open_file(t->files[i], &c, err, sizeof err);
        vg_log_mute_thread(0);
        if (orc < 0) {
            if (lead) vg_err("%s", err);
            t->res.files_failed++;
            continue;
        }
        t->res.files_ok++;
        const char *path = capture_path(c);
        struct capture_frame fr;
        unsigned consecutive = 0;
        int warned_link = -1;
        for (;;) {
            if (engine_stop_requested) {
                t->res.interrupted = true;
                break;
            }
            if (!lead) vg_log_mute_thread(1);
            int rc = capture_next(c, &fr);
            vg_log_mute_thread(0);
            if (rc == VG_EOF) break;
            if (rc < 0) {
                t->res.capture_errors++;
                if (lead) vg_warn("%s", capture_errmsg(c));
                if (++consecutive >= MAX_CONSECUTIVE_ERRORS) {
                    if (lead)
                        vg_err("%s: too many malformed records in a row, giving up on this file",
                               path);
                    break;
                }
                continue;
            }
            consecutive = 0;
            cnt++;
            t->res.frames++;
            t->res.bytes += fr.caplen;
            if (engine_dispatch(fr.data, fr.caplen, fr.linktype, n) != me) {
                if (w->lan) worker_lan_foreign(w, &fr, cnt); /* worker 0: the whole link */
                worker_tick(w, fr.ts);
                continue;
            }
            struct packet p;
            fill_packet(&p, &fr, cnt);
            w->pcap_cnt = cnt;
            worker_packet(w, &p);
            if (p.n_anom && p.anom[0] == ANOM_UNSUPPORTED_LINKTYPE && warned_link != fr.linktype) {
                warned_link = fr.linktype;
                vg_warn("%s: packet %llu: link type %d is not supported; such packets are "
                        "counted and skipped",
                        path, (unsigned long long)fr.record_no, fr.linktype);
            }
            if (lead && t->progress && (t->res.frames & 4095) == 0) {
                double now = mono_now();
                if (now - last >= 0.5) {
                    last = now;
                    double mb = (done_before + capture_offset(c)) / 1e6, el = now - start;
                    fprintf(stderr, "\r%8.1f / %.1f MB  %10llu pkts  %7.1f MB/s  (%u workers) ", mb,
                            total_bytes / 1e6, (unsigned long long)t->res.frames,
                            el > 0 ? mb / el : 0, n);
                }
            }
        }
        done_before += capture_size(c);
        capture_close(c);
    }
    if (lead && t->progress) fputc('\n', stderr);
    /* End this worker's flows here, in parallel with the others. */
    worker_end_flows(w);
    ew->ended[me] = true;
    t->cpu_s = thread_cpu_now() - cpu0;
    return NULL;
}

/* ---- pipes: one reader, a ring per worker ---- */

struct pthread_arg {
    struct engine_workers *ew;
    unsigned idx;
    pthread_t tid;
};

static void *ring_thread(void *arg)
{
    struct pthread_arg *a = arg;
    struct engine_workers *ew = a->ew;
    struct worker *w = &ew->w[a->idx];
    struct fring *r = &ew->rings[a->idx];
    unsigned spins = 0;
    for (;;) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        if (tail == head) {
            pause_briefly(&spins);
            continue;
        }
        spins = 0;
        const uint8_t *at = r->buf + tail % FRING_BYTES;
        struct rec_hdr h;
        if (FRING_BYTES - tail % FRING_BYTES < sizeof h)
            h.kind = REC_WRAP;
        else
            memcpy(&h, at, sizeof h);
        if (h.kind == REC_WRAP) {
            atomic_store_explicit(&r->tail, tail + (FRING_BYTES - tail % FRING_BYTES),
                                  memory_order_release);
            continue;
        }
        if (h.kind == REC_END) break;
        if (h.kind == REC_TICK) {
            worker_tick(w, h.ts);
        } else {
            struct capture_frame fr = {.data = at + sizeof h, .caplen = h.caplen,
                                       .wirelen = h.wirelen, .ts = h.ts, .linktype = h.linktype,
                                       .iface = h.iface};
            if (h.kind == REC_LAN) {
                worker_lan_foreign(w, &fr, h.pcap_cnt);
                worker_tick(w, h.ts); /* as the file path: the frame, then the clock */
            } else {
                struct packet p;
                fill_packet(&p, &fr, h.pcap_cnt);
                w->pcap_cnt = h.pcap_cnt;
                worker_packet(w, &p);
            }
        }
        atomic_store_explicit(&r->tail,
                              tail + rec_size(h.kind == REC_FRAME || h.kind == REC_LAN ? h.caplen : 0),
                              memory_order_release);
    }
    worker_end_flows(w);
    ew->ended[a->idx] = true;
    return NULL;
}

static void ring_put(struct fring *r, uint32_t kind, const struct capture_frame *fr, uint64_t cnt)
{
    uint32_t caplen = kind == REC_FRAME || kind == REC_LAN ? fr->caplen : 0;
    size_t sz = rec_size(caplen);
    uint8_t *at = fring_reserve(r, sz);
    struct rec_hdr h;
    memset(&h, 0, sizeof h);
    h.kind = kind;
    h.caplen = caplen;
    if (fr) {
        h.wirelen = fr->wirelen;
        h.iface = fr->iface;
        h.linktype = fr->linktype;
        h.ts = fr->ts;
    }
    h.pcap_cnt = cnt;
    memcpy(at, &h, sizeof h);
    if (caplen) memcpy(at + sizeof h, fr->data, caplen);
    fring_publish(r, sz);
}

static void read_pipe(struct engine_workers *ew, struct capture *c, uint64_t *cnt,
                      int64_t *last_sec, struct engine_result *res)
{
    const char *path = capture_path(c);
    struct capture_frame fr;
    unsigned consecutive = 0;
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
        /* Frames larger than a quarter of the ring cannot be queued; capture caps caplen far
         * below that (256 KiB). Counted as a capture error rather than blocking forever. */
        if (rec_size(fr.caplen) > FRING_BYTES / 4) {
            res->capture_errors++;
            continue;
        }
        ++*cnt;
        res->frames++;
        res->bytes += fr.caplen;
        unsigned owner = engine_dispatch(fr.data, fr.caplen, fr.linktype, ew->n);
        /* The other workers' clocks: housekeeping acts once per packet-time second, so a tick
         * when the second changes gives them the same expiry points as one worker would have. */
        if (fr.ts.sec != *last_sec) {
            *last_sec = fr.ts.sec;
            for (unsigned i = 0; i < ew->n; i++)
                if (i != owner && !(i == 0 && ew->w[0].lan)) ring_put(&ew->rings[i], REC_TICK, &fr, 0);
        }
        /* worker 0's LAN detector sees every frame: another worker's frame reaches it as REC_LAN
         * (which also advances its clock, in place of the tick) */
        if (owner != 0 && ew->w[0].lan) ring_put(&ew->rings[0], REC_LAN, &fr, *cnt);
        ring_put(&ew->rings[owner], REC_FRAME, &fr, *cnt);
    }
}

static bool is_mappable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

int engine_workers_analyze_files(struct engine_workers *ew, char *const *files, int nfiles,
                                 struct engine_result *res)
{
    memset(res, 0, sizeof *res);
    const struct engine_config *cfg = ew->cfg;
    bool all_files = true;
    for (int i = 0; i < nfiles; i++) all_files = all_files && is_mappable(files[i]);

    if (all_files || ew->n == 1) {
        struct wthread *ts = vg_calloc(ew->n, sizeof *ts);
        struct fmap *maps = ew->n > 1 ? vg_calloc((size_t)nfiles + 1, sizeof *maps) : NULL;
        if (!ts) {
            vg_free(maps);
            return VG_ERR_NOMEM;
        }
        for (int i = 0; maps && i < nfiles; i++) {
            int fd = open(files[i], O_RDONLY | O_CLOEXEC);
            struct stat st;
            if (fd < 0) continue;
            if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
                (uint64_t)st.st_size <= SIZE_MAX) {
                void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (p != MAP_FAILED) {
                    (void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL); /* advice only */
                    maps[i].p = p;
                    maps[i].len = (size_t)st.st_size;
                }
            }
            close(fd);
        }
        unsigned started = 0;
        for (unsigned i = 0; i < ew->n; i++) {
            ts[i].ew = ew;
            ts[i].idx = i;
            ts[i].files = files;
            ts[i].maps = maps;
            ts[i].nfiles = nfiles;
            ts[i].progress = cfg->progress && isatty(STDERR_FILENO);
            if (i == 0) continue; /* the calling thread is worker 0 */
            if (pthread_create(&ts[i].tid, NULL, file_thread, &ts[i]) != 0) {
                vg_err("workers: cannot start thread %u: %s", i, strerror(errno));
                engine_stop_requested = 1;
                break;
            }
            started = i;
        }
        file_thread(&ts[0]);
        for (unsigned i = 1; i <= started; i++) pthread_join(ts[i].tid, NULL);
        /* -v: the work of each thread. On a machine with a free core per worker the wall time is
         * about the largest of these (bench/workers.sh reads them). */
        for (unsigned i = 0; i <= started; i++)
            vg_info("workers: worker %u: %llu packets, %.3f s CPU", i,
                    (unsigned long long)decode_counters(ew->w[i].dec)->pkts, ts[i].cpu_s);
        *res = ts[0].res;
        vg_free(ts);
        for (int i = 0; maps && i < nfiles; i++)
            if (maps[i].p) munmap(maps[i].p, maps[i].len);
        vg_free(maps);
    } else {
        ew->rings = vg_calloc(ew->n, sizeof *ew->rings);
        if (!ew->rings) return VG_ERR_NOMEM;
        for (unsigned i = 0; i < ew->n; i++) {
            ew->rings[i].buf = vg_malloc(FRING_BYTES);
            if (!ew->rings[i].buf) return VG_ERR_NOMEM;
        }
        struct pthread_arg *as = vg_calloc(ew->n, sizeof *as);
        if (!as) return VG_ERR_NOMEM;
        unsigned started = 0;
        for (unsigned i = 0; i < ew->n; i++) {
            as[i].ew = ew;
            as[i].idx = i;
            if (pthread_create(&as[i].tid, NULL, ring_thread, &as[i]) != 0) {
                vg_err("workers: cannot start thread %u: %s", i, strerror(errno));
                break;
            }
            started = i + 1;
        }
        uint64_t cnt = 0;
        int64_t last_sec = INT64_MIN;
        for (int i = 0; i < nfiles && !engine_stop_requested && started == ew->n; i++) {
            char err[512];
            struct capture *c = NULL;
            if (capture_open_file(files[i], &c, err, sizeof err) < 0) {
                vg_err("%s", err);
                res->files_failed++;
                continue;
            }
            res->files_ok++;
            read_pipe(ew, c, &cnt, &last_sec, res);
            capture_close(c);
        }
        for (unsigned i = 0; i < started; i++) ring_put(&ew->rings[i], REC_END, NULL, 0);
        for (unsigned i = 0; i < started; i++) pthread_join(as[i].tid, NULL);
        vg_free(as);
    }
    if (engine_stop_requested) res->interrupted = true;
    struct eve_stats_in extra;
    memset(&extra, 0, sizeof extra);
    extra.capture_errors = res->capture_errors;
    extra.files_ok = res->files_ok;
    extra.files_failed = res->files_failed;
    engine_workers_finish(ew, &extra);
    return res->files_ok ? VG_OK : VG_ERR_IO;
}
