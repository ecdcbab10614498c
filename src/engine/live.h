/* live.h - `vigil run`: live capture through N workers, each owning one ring per interface
 * (AF_PACKET fanout) or the one libpcap handle, with the lifecycle of a sensor: periodic stats
 * with kernel drop counters, SIGHUP reload of rules and indicators (the old engine runs until the
 * new one is built; workers switch between packets; the old one is freed once every worker has
 * left it), SIGUSR1 stats now, SIGINT/SIGTERM stop with every flow flushed, privilege drop after
 * the capture is open. docs/live.md. */
#ifndef VG_ENGINE_LIVE_H
#define VG_ENGINE_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/live.h"
#include "engine/engine.h"
#include "output/evidence_pcap.h"

/* One set of rules and indicators (a generation). The engine never builds or frees one itself:
 * it calls the config's reload and free callbacks. */
struct live_rules {
    const struct detect_engine *de; /* NULL: no rules */
    const struct intel_ctx *intel;  /* NULL: no intel stage */
    void *owner;                    /* whatever the callbacks need to free it */
};

struct live_config {
    const struct engine_config *ecfg; /* template for the workers; detect/intel come from rules */
    int kind;                         /* enum live_kind */
    char *const *ifaces;
    int n_ifaces;
    int workers;                      /* AF_PACKET: rings per interface; pcap: must be 1 */
    struct live_opts opts;            /* iface and fanout_group are set per source */
    unsigned stats_interval_s;        /* 0: no periodic stats */
    struct eve_sink *eve;
    const char *user;                 /* drop privileges to this user after opening; NULL: no */
    /* Evidence pcaps: NULL off; else one context per worker is made from it (its memcap is per
     * worker) and DIR/evidence is handed to `user` before privileges are dropped. */
    const struct evidence_config *evidence;
    bool quiet;
    /* Called on SIGHUP, in the main thread, while the workers go on with the old rules. Returns 0
     * with *out filled, or -1 (it logged why): the old rules stay. */
    int (*reload)(void *ud, struct live_rules *out);
    void (*rules_free)(void *ud, struct live_rules *r);
    void *ud;
};

struct live_result {
    uint64_t frames, bytes;
    uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
    uint64_t reloads, reload_failures;
    uint64_t alerts, events, write_errors;
    uint64_t evidence_files, evidence_memcap_drops; /* summed over the workers' contexts */
    bool capture_failed; /* a source failed while running */
};

/* live_run opens every source, drops privileges, runs until SIGINT/SIGTERM (or a capture error)
 * and flushes every flow. initial is handed over (freed through rules_free). Returns VG_OK, or
 * an error before the capture started (err says why; VG_ERR_USAGE for a bad interface, filter or
 * user). */
int live_run(const struct live_config *cfg, const struct live_rules *initial,
             struct live_result *res, char *err, size_t errlen);

#endif
