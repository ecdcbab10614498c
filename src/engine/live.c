/* live.c - the run loop of `vigil run` (engine/live.h): worker threads over live sources, stats,
 * reload and signals. Signals are blocked in every thread and taken synchronously by the main
 * thread with sigtimedwait, so nothing runs in a signal handler.
 *
 * Rule generations: a generation holds one struct live_rules and a reference count (the main
 * thread's "current" reference plus one per worker on it), changed under gen_mu only. A worker
 * compares the current generation number (atomic) with its own between batches of packets; when
 * they differ it takes a reference on the current one, rebuilds its matcher and indicator state
 * for it (worker_set_rules) and drops its reference on the old one; the last reference frees it.
 *
 * The workers share nothing on the packet path: each owns its rings, flows and matcher state. The
 * EVE sink takes one event at a time from any thread (output/eve_sink_file.c: a mutex per event,
 * never a split line), and the Redis output hangs off it; evidence contexts (live_config.evidence)
 * are one per worker and take no lock. */

#include "engine/live.h"

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/vg_alloc.h"
#include "core/vg_log.h"
#include "core/vg_status.h"

#define MAX_SOURCES 64   /* interfaces per worker */
#define MAX_WORKERS 64
#define BATCH 1024       /* frames per source per pass (bounded latency for stats/reload) */
#define POLL_MS 100
#define EXPIRE_BUDGET 4096

struct gen {
    struct live_rules rules;
    uint64_t no;
    unsigned refs; /* under gen_mu */
};

struct shared {
    const struct live_config *cfg;
    pthread_mutex_t gen_mu;
    struct gen *cur;          /* under gen_mu */
    _Atomic uint64_t cur_no;  /* cur->no, read without the lock */
    _Atomic uint64_t stats_req;
    _Atomic uint64_t reloads, reload_failures;
    atomic_bool stop;
    atomic_bool failed;
    _Atomic int gens_alive; /* generations not yet freed: 0 at the end, or a reference leaked */
    double start;
};

struct lworker {
    struct worker w;
    struct evidence_ctx *ev; /* NULL: no evidence; owned, freed after the worker */
    struct shared *sh;
    struct live_src *src[MAX_SOURCES];
    int nsrc;
    int idx;
    struct gen *gen;
    uint64_t stats_seen;
    double next_stats;
    uint64_t frames, bytes;
    struct live_kstats ks;
    pthread_t th;
    bool started;
};

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static struct vg_ts wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct vg_ts ts = {t.tv_sec, (uint32_t)t.tv_nsec};
    return ts;
}

/* Drops one reference (under gen_mu); returns the generation to free (outside the lock) or NULL. */
static struct gen *gen_unref_locked(struct gen *g)
{
    if (!g) return NULL;
    return --g->refs == 0 ? g : NULL;
}

static void gen_free(struct shared *sh, struct gen *g)
{
    if (!g) return;
    if (sh->cfg->rules_free) sh->cfg->rules_free(sh->cfg->ud, &g->rules);
    vg_free(g);
    atomic_fetch_sub(&sh->gens_alive, 1);
    /* A rule engine is large and was built by another thread than the one freeing it: give the
     * freed pages back (glibc keeps them in the arenas otherwise, and RSS climbs over reloads). */
    malloc_trim(0);
}

static void kstats_sum(struct lworker *lw)
{
    struct live_kstats sum = {0};
    for (int i = 0; i < lw->nsrc; i++) {
        struct live_kstats k;
        live_kstats(lw->src[i], &k);
        sum.packets += k.packets;
        sum.drops += k.drops;
        sum.ifdrops += k.ifdrops;
        sum.freeze_q += k.freeze_q;
    }
    lw->ks = sum;
}

static void fill_extra(struct lworker *lw, struct eve_stats_in *in, struct eve_live_stats *ls)
{
    struct shared *sh = lw->sh;
    kstats_sum(lw);
    memset(in, 0, sizeof *in);
    memset(ls, 0, sizeof *ls);
    in->ts = wall_now();
    double up = mono_now() - sh->start;
    in->uptime_s = up > 0 ? (uint64_t)up : 0;
    ls->kernel_packets = lw->ks.packets;
    ls->kernel_drops = lw->ks.drops;
    ls->kernel_ifdrops = lw->ks.ifdrops;
    ls->freeze_q = lw->ks.freeze_q;
    ls->worker = (uint32_t)lw->idx;
    ls->workers = (uint32_t)sh->cfg->workers;
    ls->reloads = atomic_load(&sh->reloads);
    ls->reload_failures = atomic_load(&sh->reload_failures);
    ls->rules_generation = lw->gen ? lw->gen->no : 0;
    in->live = ls;
}

static void write_stats(struct lworker *lw)
{
    struct eve_stats_in in;
    struct eve_live_stats ls;
    fill_extra(lw, &in, &ls);
    worker_stats(&lw->w, &in);
}

/* Between packets: move to the current rule generation if it changed. */
static void maybe_switch(struct lworker *lw)
{
    struct shared *sh = lw->sh;
    if (atomic_load_explicit(&sh->cur_no, memory_order_acquire) == lw->gen->no) return;
    pthread_mutex_lock(&sh->gen_mu);
    struct gen *g = sh->cur;
    g->refs++;
    pthread_mutex_unlock(&sh->gen_mu);
    if (worker_set_rules(&lw->w, g->rules.de, g->rules.intel) != VG_OK) {
        vg_err("worker %d: out of memory switching to rules generation %llu; keeping generation "
               "%llu", lw->idx, (unsigned long long)g->no, (unsigned long long)lw->gen->no);
        pthread_mutex_lock(&sh->gen_mu);
        struct gen *fr = gen_unref_locked(g);
        pthread_mutex_unlock(&sh->gen_mu);
        gen_free(sh, fr);
        return;
    }
    struct gen *old = lw->gen;
    lw->gen = g;
    pthread_mutex_lock(&sh->gen_mu);
    struct gen *fr = gen_unref_locked(old);
    pthread_mutex_unlock(&sh->gen_mu);
    gen_free(sh, fr);
}

static void one_frame(struct lworker *lw, const struct capture_frame *fr, uint32_t iface)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.data = fr->data;
    p.caplen = fr->caplen;
    p.wirelen = fr->wirelen;
    p.ts = fr->ts;
    p.linktype = fr->linktype;
    p.iface = iface;
    p.pcap_cnt = ++lw->w.pcap_cnt;
    worker_packet(&lw->w, &p);
    lw->frames++;
    lw->bytes += fr->caplen;
}

static void *worker_main(void *arg)
{
    struct lworker *lw = arg;
    struct shared *sh = lw->sh;
    const struct live_config *cfg = sh->cfg;
    struct pollfd pfd[MAX_SOURCES];
    for (int i = 0; i < lw->nsrc; i++) {
        pfd[i].fd = live_fd(lw->src[i]);
        pfd[i].events = POLLIN;
    }
    double last_busy = mono_now();
    double last_expire = last_busy;
    lw->next_stats = cfg->stats_interval_s ? last_busy + cfg->stats_interval_s : 0;
    while (!atomic_load(&sh->stop)) {
        maybe_switch(lw);
        double now = mono_now();
        uint64_t req = atomic_load(&sh->stats_req);
        if (req != lw->stats_seen || (lw->next_stats && now >= lw->next_stats)) {
            lw->stats_seen = req;
            if (lw->next_stats && now >= lw->next_stats)
                lw->next_stats = now + cfg->stats_interval_s;
            write_stats(lw);
        }
        unsigned got = 0;
        for (int i = 0; i < lw->nsrc; i++) {
            for (unsigned n = 0; n < BATCH; n++) {
                struct capture_frame fr;
                int rc = live_next(lw->src[i], &fr);
                if (rc == VG_AGAIN) break;
                if (rc != VG_OK) {
                    vg_err("worker %d: %s", lw->idx, live_errmsg(lw->src[i]));
                    atomic_store(&sh->failed, true);
                    atomic_store(&sh->stop, true);
                    break;
                }
                one_frame(lw, &fr, (uint32_t)i);
                got++;
            }
        }
        /* Idle: packet time stands still, so idle flows are expired by the wall clock (kernel
         * timestamps are wall-clock time too). */
        if (!got && now - last_busy >= 1.0 && now - last_expire >= 1.0) {
            struct vg_ts wn = wall_now();
            if (vg_ts_cmp(wn, lw->w.now) > 0) lw->w.now = wn;
            flow_table_expire(lw->w.flows, lw->w.now, EXPIRE_BUDGET);
            decode_expire(lw->w.dec, lw->w.now, EXPIRE_BUDGET);
            last_expire = now;
        }
        if (got) {
            last_busy = now;
            continue;
        }
        for (int i = 0; i < lw->nsrc; i++) live_release(lw->src[i]);
        int to = POLL_MS;
        if (lw->next_stats) {
            double left = (lw->next_stats - mono_now()) * 1000;
            if (left < to) to = left < 0 ? 0 : (int)left;
        }
        if (poll(pfd, (nfds_t)lw->nsrc, to) < 0 && errno != EINTR) {
            vg_err("worker %d: poll: %s", lw->idx, strerror(errno));
            atomic_store(&sh->failed, true);
            atomic_store(&sh->stop, true);
        }
    }
    /* Stop: what the kernel already handed over is still read (bounded: one ring's worth), then
     * every flow ends and the last stats event goes out with the kernel counters. */
    struct eve_stats_in in;
    struct eve_live_stats ls;
    for (int i = 0; i < lw->nsrc && !atomic_load(&sh->failed); i++) {
        struct capture_frame fr;
        for (unsigned n = 0; n < (1u << 20) && live_next(lw->src[i], &fr) == VG_OK; n++)
            one_frame(lw, &fr, (uint32_t)i);
    }
    fill_extra(lw, &in, &ls);
    worker_finish(&lw->w, &in);
    return NULL;
}

static int drop_privileges(const char *user, const struct evidence_config *ev, char *err,
                           size_t errlen)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "--user %s: %s", user, errno ? strerror(errno) : "no such user");
        return VG_ERR_USAGE;
    }
    if (ev && ev->dir) { /* the evidence files are created later, by the user */
        char evdir[4200];
        snprintf(evdir, sizeof evdir, "%.4000s/evidence", ev->dir);
        if (chown(evdir, pw->pw_uid, pw->pw_gid) != 0)
            vg_warn("%s: cannot give it to %s: %s; evidence files may not be written", evdir,
                    user, strerror(errno));
    }
    if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "--user %s: cannot switch to uid %u gid %u: %s", user,
                 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, strerror(errno));
        return VG_ERR_USAGE;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "--user %s: privileges could be regained; refusing to run", user);
        return VG_ERR_USAGE;
    }
    return VG_OK;
}

static void do_reload(struct shared *sh)
{
    const struct live_config *cfg = sh->cfg;
    if (!cfg->reload) return;
    double t0 = mono_now();
    struct live_rules nr;
    memset(&nr, 0, sizeof nr);
    if (cfg->reload(cfg->ud, &nr) != 0) {
        atomic_fetch_add(&sh->reload_failures, 1);
        vg_err("reload failed: the running rules and indicators stay in use");
        return;
    }
    struct gen *g = vg_calloc(1, sizeof *g);
    if (!g) {
        if (cfg->rules_free) cfg->rules_free(cfg->ud, &nr);
        atomic_fetch_add(&sh->reload_failures, 1);
        vg_err("reload failed: out of memory; the running rules stay in use");
        return;
    }
    g->rules = nr;
    g->refs = 1;
    atomic_fetch_add(&sh->gens_alive, 1);
    pthread_mutex_lock(&sh->gen_mu);
    struct gen *old = sh->cur;
    g->no = old->no + 1;
    sh->cur = g;
    atomic_store_explicit(&sh->cur_no, g->no, memory_order_release);
    struct gen *fr = gen_unref_locked(old);
    pthread_mutex_unlock(&sh->gen_mu);
    gen_free(sh, fr);
    atomic_fetch_add(&sh->reloads, 1);
    if (!cfg->quiet)
        fprintf(stderr, "vigil: reload: rules generation %llu ready in %.2f s; workers switch at "
                        "their next packet\n",
                (unsigned long long)g->no, mono_now() - t0);
}

int live_run(const struct live_config *cfg, const struct live_rules *initial,
             struct live_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    int nw = cfg->workers < 1 ? 1 : cfg->workers;
    if (nw > MAX_WORKERS) {
        snprintf(err, errlen, "at most %d workers", MAX_WORKERS);
        return VG_ERR_USAGE;
    }
    if (cfg->n_ifaces < 1 || cfg->n_ifaces > MAX_SOURCES) {
        snprintf(err, errlen, "between 1 and %d interfaces", MAX_SOURCES);
        return VG_ERR_USAGE;
    }
    if (cfg->kind == LIVE_PCAP && nw != 1) {
        snprintf(err, errlen, "--capture pcap runs one worker (no fanout); use afpacket for more");
        return VG_ERR_USAGE;
    }
    struct shared sh;
    memset(&sh, 0, sizeof sh);
    sh.cfg = cfg;
    pthread_mutex_init(&sh.gen_mu, NULL);
    sh.start = mono_now();
    struct gen *g0 = vg_calloc(1, sizeof *g0);
    struct lworker *ws = vg_calloc((size_t)nw, sizeof *ws);
    int rc = VG_OK;
    if (!g0 || !ws) {
        vg_free(g0);
        vg_free(ws);
        if (cfg->rules_free) cfg->rules_free(cfg->ud, (struct live_rules *)initial);
        snprintf(err, errlen, "out of memory");
        return VG_ERR_NOMEM;
    }
    g0->rules = *initial;
    g0->refs = 1 + (unsigned)nw;
    atomic_store(&sh.gens_alive, 1);
    sh.cur = g0;

    /* 1. open every source: worker k reads ring k of every interface; the fanout group of an
     * interface is shared by its rings only (an id from the pid, different per interface) */
    for (int k = 0; k < nw && rc == VG_OK; k++) {
        ws[k].sh = &sh;
        ws[k].idx = k;
        ws[k].gen = g0;
        for (int i = 0; i < cfg->n_ifaces; i++) {
            struct live_opts o = cfg->opts;
            o.iface = cfg->ifaces[i];
            o.fanout_group = nw > 1 ? (uint16_t)(((unsigned)getpid() * 31u + (unsigned)i) % 65535u + 1u) : 0;
            rc = cfg->kind == LIVE_PCAP ? live_pcap_open(&o, &ws[k].src[i], err, errlen)
                                        : live_afpacket_open(&o, &ws[k].src[i], err, errlen);
            if (rc != VG_OK) break;
            ws[k].nsrc++;
        }
    }
    /* 2. the pipelines, then 3. privileges go: everything that needed them is open */
    for (int k = 0; k < nw && rc == VG_OK; k++) {
        struct engine_config ec = *cfg->ecfg;
        ec.detect = g0->rules.de;
        ec.intel = g0->rules.intel;
        ec.progress = false;
        if (worker_init(&ws[k].w, &ec, cfg->eve) != VG_OK) {
            snprintf(err, errlen, "out of memory setting up worker %d", k);
            rc = VG_ERR_NOMEM;
            break;
        }
        if (cfg->evidence) { /* one per worker: evidence contexts take no locks */
            ws[k].ev = evidence_ctx_new(cfg->evidence, err, errlen);
            if (!ws[k].ev) {
                rc = VG_ERR_IO;
                break;
            }
            ws[k].w.evidence = ws[k].ev;
        }
    }
    if (rc == VG_OK && cfg->user) rc = drop_privileges(cfg->user, cfg->evidence, err, errlen);

    /* 4. signals: blocked here and in every thread (inherited), taken by sigtimedwait below */
    sigset_t set, oldset;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, &oldset);

    int started = 0;
    for (int k = 0; k < nw && rc == VG_OK; k++) {
        if (pthread_create(&ws[k].th, NULL, worker_main, &ws[k]) != 0) {
            snprintf(err, errlen, "cannot start worker thread %d", k);
            rc = VG_ERR_NOMEM;
            break;
        }
        ws[k].started = true;
        started++;
    }
    if (rc == VG_OK && !cfg->quiet) {
        fprintf(stderr, "vigil: capturing on");
        for (int i = 0; i < cfg->n_ifaces; i++) fprintf(stderr, " %s", cfg->ifaces[i]);
        fprintf(stderr, " (%s, %d worker%s)%s%s\n", cfg->kind == LIVE_PCAP ? "pcap" : "afpacket",
                nw, nw == 1 ? "" : "s", cfg->user ? ", running as " : "",
                cfg->user ? cfg->user : "");
    }

    /* 5. the main thread waits for signals */
    while (rc == VG_OK && !atomic_load(&sh.stop)) {
        struct timespec to = {0, 200 * 1000 * 1000};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &to);
        if (sig < 0) continue; /* timeout or EINTR */
        if (sig == SIGINT || sig == SIGTERM) {
            engine_stop_requested = 1;
            atomic_store(&sh.stop, true);
        } else if (sig == SIGHUP) {
            do_reload(&sh);
        } else if (sig == SIGUSR1) {
            atomic_fetch_add(&sh.stats_req, 1);
        }
    }
    atomic_store(&sh.stop, true);
    for (int k = 0; k < nw; k++)
        if (ws[k].started) pthread_join(ws[k].th, NULL);
    pthread_sigmask(SIG_SETMASK, &oldset, NULL);

    /* 6. the result, then everything is freed: sources, workers, generations */
    for (int k = 0; k < nw; k++) {
        struct lworker *lw = &ws[k];
        if (lw->started) {
            res->frames += lw->frames;
            res->bytes += lw->bytes;
            res->kernel_packets += lw->ks.packets;
            res->kernel_drops += lw->ks.drops;
            res->kernel_ifdrops += lw->ks.ifdrops;
            res->alerts += lw->w.events[ENG_EV_ALERT];
            for (int t = 0; t < ENG_EV_COUNT; t++) res->events += lw->w.events[t];
            res->write_errors += lw->w.write_errors;
        }
        for (int i = 0; i < lw->nsrc; i++) live_close(lw->src[i]);
        if (lw->w.flows) worker_fini(&lw->w);
        if (lw->ev) {
            const struct evidence_counters *ec = evidence_counters(lw->ev);
            res->evidence_files += ec->files_written;
            res->evidence_memcap_drops += ec->memcap_drops;
            evidence_ctx_free(lw->ev); /* after the worker: its last flows were written */
        }
    }
    /* each worker held a reference on its generation; the main thread on the current one */
    struct gen *to_free[MAX_WORKERS + 1];
    unsigned nf = 0;
    pthread_mutex_lock(&sh.gen_mu);
    for (int k = 0; k < nw; k++) {
        struct gen *fr = gen_unref_locked(ws[k].gen);
        if (fr && nf < sizeof to_free / sizeof to_free[0]) to_free[nf++] = fr;
    }
    struct gen *fr = gen_unref_locked(sh.cur);
    if (fr && nf < sizeof to_free / sizeof to_free[0]) to_free[nf++] = fr;
    pthread_mutex_unlock(&sh.gen_mu);
    for (unsigned i = 0; i < nf; i++) gen_free(&sh, to_free[i]);
    if (atomic_load(&sh.gens_alive) != 0)
        vg_err("internal: %d rule generation(s) not freed", atomic_load(&sh.gens_alive));
    res->reloads = atomic_load(&sh.reloads);
    res->reload_failures = atomic_load(&sh.reload_failures);
    res->capture_failed = atomic_load(&sh.failed);
    vg_free(ws);
    pthread_mutex_destroy(&sh.gen_mu);
    return rc;
}
