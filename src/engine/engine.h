/* engine.h - the pipeline driver: a worker owns one decode context, one flow table and the event
 * writer, and runs every packet through decode → flow → (stream → app → detect/tamper/intel) →
 * output. engine_analyze_files feeds it the frames of capture files in order. */
#ifndef VG_ENGINE_H
#define VG_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "intel/intel.h"
#include "output/eve.h"
#include "output/evidence_pcap.h"
#include "output/json_writer.h"
#include "app/app.h"
#include "stream/stream.h"
#include "tamper/tamper.h"

struct engine_config {
    struct decode_config decode;
    struct flow_config flow;
    struct stream_config stream;
    struct tamper_config tamper; /* table sizes and windows (tamper/tamper.h) */
    bool progress; /* a progress line on stderr */
    int last_stage; /* enum engine_stage: stages after it are skipped (benchmarks, diagnosis) */
    unsigned eve_types; /* bit (1 << ENG_EV_x) per event type written; alert and stats always */
    /* Indicators, allowlist and beacon configuration (intel/intel.h); NULL: no intel stage. Not
     * owned; must outlive the workers. */
    const struct intel_ctx *intel;
    /* Compiled rules (detect/detect.h); NULL: no rule matching. Not owned; must outlive the
     * workers. */
    const struct detect_engine *detect;
};

/* Pipeline stages, in order; `vigil analyze --stop-after STAGE` runs the pipeline up to STAGE. */
enum engine_stage { ENG_STAGE_DECODE, ENG_STAGE_FLOW, ENG_STAGE_STREAM, ENG_STAGE_APP,
                    ENG_STAGE_ALL };

/* Per-event-type counts for the summary. */
enum { ENG_EV_FLOW, ENG_EV_ANOMALY, ENG_EV_ALERT, ENG_EV_HTTP, ENG_EV_DNS, ENG_EV_TLS, ENG_EV_SSH,
       ENG_EV_STATS,
       ENG_EV_COUNT };

#define ENGINE_NOTABLE_MAX 10
#define ENGINE_MAX_WORKERS 64

struct worker {
    struct decode_ctx *dec;
    struct flow_table *flows;
    struct stream_ctx *stream;
    struct tamper_ctx *tamper;
    struct app_ctx *app;
    struct intel_worker *intel; /* NULL when cfg->intel is NULL */
    struct detect_thread *det;  /* rule matcher state; NULL when cfg->detect is NULL */
    struct eve_sink *eve;
    struct jw jw;
    struct vg_ts now;        /* time of the latest packet */
    int64_t last_expire_sec; /* packet-time second of the last housekeeping pass */
    uint64_t pcap_cnt;
    uint64_t events[ENG_EV_COUNT];
    uint64_t write_errors;
    uint32_t flow_alerts; /* alerts written for the flow that is ending (flow-end hook) */
    int last_stage;       /* enum engine_stage */
    unsigned eve_types;   /* as engine_config.eve_types */
    uint64_t anomalies[VG_ANOMALY_COUNT]; /* anomaly events written, per id */
    /* Evidence pcaps (output/evidence_pcap.h): NULL when off. Set by the caller after
     * worker_init and owned by it; freed after worker_fini. */
    struct evidence_ctx *evidence;
    bool ev_trigger; /* this packet made its flow interesting (set by hooks during the pass) */
    bool ev_written; /* the ending flow's evidence file was written (flow-end hook) */
    const struct packet *ev_kept; /* the packet already kept as evidence by an alert hook */
    /* The LAN spoofing detector (tamper_lan) judges the whole link, so with several workers only
     * worker 0 runs it, and is told about the other workers' frames (worker_lan_foreign). */
    bool lan;
    struct decode_ctx *lan_dec; /* decodes foreign frames that need it (worker_lan_foreign) */
    struct decode_config dec_cfg;
    /* The packet in the pipeline, its flow and direction (NULL outside worker_packet). */
    const struct packet *cur_p;
    const struct flow *cur_f;
    int cur_dir;
    /* The first findings, one line each, for the human summary. */
    unsigned n_notable;
    char notable[ENGINE_NOTABLE_MAX][320];
};

/* worker_init builds the per-worker state; events go to eve (not owned). */
int worker_init(struct worker *w, const struct engine_config *cfg, struct eve_sink *eve);
/* worker_packet runs one packet through the whole pipeline (the function that reads as the
 * pipeline; see worker.c). */
void worker_packet(struct worker *w, struct packet *p);
/* worker_finish ends every flow (reason shutdown) and writes the final stats event. It is
 * worker_end_flows then worker_write_stats with this worker's counters. */
void worker_finish(struct worker *w, const struct eve_stats_in *extra);
/* worker_stats writes a stats event of the worker's counters now, without ending any flow
 * (periodic stats of `vigil run`); extra->ts, when set, is the event's time (else the latest
 * packet's). */
void worker_stats(struct worker *w, const struct eve_stats_in *extra);
/* worker_set_rules switches the worker to another rule engine and indicator context (a reload):
 * its matcher state and indicator state are rebuilt for them; the previous ones are freed, so the
 * caller may free the previous engine/context once every worker has switched. Between packets
 * only. Returns VG_OK or VG_ERR_NOMEM (the worker keeps the previous ones). */
int worker_set_rules(struct worker *w, const struct detect_engine *de, const struct intel_ctx *ic);
/* worker_tick advances the worker's packet clock to ts (if later) and runs its housekeeping
 * (flow and fragment expiry), as a packet at ts would, without a packet: a worker that skips a
 * frame owned by another worker still expires its own flows at the same packet times. */
void worker_tick(struct worker *w, struct vg_ts ts);
/* worker_end_flows ends every flow (reason shutdown) and closes the intel stage (its beacon
 * table is scored then, unless shared: see intel_finish_shared). */
void worker_end_flows(struct worker *w);
/* worker_write_stats writes one stats event from in (counters filled by the caller, e.g. summed
 * over workers); the output object gets the sink's counters and evc (NULL: w's evidence
 * writer's, if any). */
void worker_write_stats(struct worker *w, const struct eve_stats_in *in,
                        const struct evidence_counters *evc);
/* worker_lan_foreign tells this worker's LAN spoofing detector about a frame another worker owns
 * (frame number pcap_cnt; only when w->lan): its source MAC and IPv4 source are noted and
 * an ARP / ND message is judged, as worker_packet would, so that the LAN findings with N workers
 * are those of one worker. Plain IPv4 TCP/ICMP frames are read directly; the rest is decoded by a
 * decode context of its own (lan_dec: nothing of it reaches the stats). */
struct capture_frame;
void worker_lan_foreign(struct worker *w, const struct capture_frame *fr, uint64_t pcap_cnt);
void worker_fini(struct worker *w);

struct engine_result {
    uint64_t files_ok, files_failed;
    uint64_t capture_errors;
    uint64_t frames, bytes;
    bool interrupted;
};

/* Set by the CLI's SIGINT/SIGTERM handler: reading stops, and everything is flushed. */
extern volatile sig_atomic_t engine_stop_requested;

/* engine_analyze_files reads every file in order through one worker writing to eve, then finishes
 * it. Messages about bad input go to stderr naming the file and the record. */
int engine_analyze_files(const struct engine_config *cfg, char *const *files, int nfiles,
                         struct eve_sink *eve, struct worker *w, struct engine_result *res);

void engine_config_default(struct engine_config *cfg);

/* worker_intel_hooks fills the intel hooks worker_init gives the intel stage (so that an intel
 * worker can be rebuilt around a shared beacon table: workers.c). */
void worker_intel_hooks(struct worker *w, struct intel_hooks *ih);

/* ==== several workers (workers.c, dispatch.c; design: src/engine/README.md) ==================
 *
 * A frame belongs to one worker, chosen by engine_dispatch from the unordered pair of its outer
 * IPv4/IPv6 addresses (every packet of a flow and every fragment of a datagram on one worker);
 * frames without an IP header go to worker 0. Each worker owns its flows, stream, app, detect,
 * tamper and evidence state and runs worker_packet without locks. Shared: the EVE sink (a mutex
 * per event) and, with intel, the beacon table (a mutex per flow end / server name).
 *
 * For a live capture (vigil run --workers N), with one packet source per worker (e.g. an
 * AF_PACKET fanout ring each):
 *     struct engine_workers *ew = engine_workers_new(&cfg, sink, n, ecfg_or_NULL, err, sizeof err);
 *     thread i:  struct worker *w = engine_workers_get(ew, i);
 *                for each packet: p.pcap_cnt = ++w->pcap_cnt (or a global number);
 *                                 worker_packet(w, &p);
 *                when idle: worker_tick(w, now) keeps expiring flows without packets;
 *                at the end: worker_end_flows(w) (optional; finish does it otherwise)
 *     after every thread has stopped: engine_workers_finish(ew, &extra)  (one merged stats event)
 *     engine_workers_summary(ew, &sum) for the human summary; engine_workers_free(ew) after the
 *     sink is closed or before, as for worker_fini.
 * The fanout must keep both directions of an address pair and the fragments of a datagram on one
 * ring (PACKET_FANOUT_HASH with PACKET_FANOUT_FLAG_DEFRAG, or a BPF program calling the same
 * address-pair rule); engine_dispatch is the rule the file path uses. */

/* engine_dispatch returns the worker (0..n-1) that owns a frame; 0 when n <= 1 or the frame has no
 * IP header. engine_dispatch_hash is the symmetric XXH3 hash of the outer address pair behind it
 * (*ok false and 0 for frames without IP). Reads at most the headers up to the first IP header. */
unsigned engine_dispatch(const uint8_t *data, uint32_t caplen, int linktype, unsigned n);
uint64_t engine_dispatch_hash(const uint8_t *data, uint32_t caplen, int linktype, bool *ok);

struct engine_workers;
struct evidence_config;

/* engine_workers_new makes n workers (1..ENGINE_MAX_WORKERS) writing to eve (not owned; its
 * writes are thread-safe). ecfg non-NULL: each worker gets its own evidence writer (same folder;
 * file names are flow ids, which are unique) with memcap / n. cfg must outlive the set. NULL with
 * a message in err on failure. */
struct engine_workers *engine_workers_new(const struct engine_config *cfg, struct eve_sink *eve,
                                          unsigned n, const struct evidence_config *ecfg,
                                          char *err, size_t errlen);
unsigned engine_workers_count(const struct engine_workers *ew);
/* Worker i (0-based), or NULL. Only one thread at a time may use a worker. */
struct worker *engine_workers_get(struct engine_workers *ew, unsigned i);
/* engine_workers_analyze_files reads the capture files with every worker (threads 1..n-1 are
 * started; the caller's thread is worker 0), then calls engine_workers_finish. Regular files: each
 * thread walks the mapped file and runs its own frames; pipes: a reader copies frames into a
 * bounded ring per worker. pcap_cnt is the frame's number in the input, as with one worker. */
int engine_workers_analyze_files(struct engine_workers *ew, char *const *files, int nfiles,
                                 struct engine_result *res);
/* engine_workers_finish ends the flows of every worker not ended yet, scores the shared beacon
 * table (alerts written by worker 0), and writes ONE stats event with the counters summed over
 * the workers (peaks such as flow.active_max and memuse_max are summed: an upper bound). Call
 * once, after every worker thread has stopped. */
void engine_workers_finish(struct engine_workers *ew, const struct eve_stats_in *extra);
void engine_workers_free(struct engine_workers *ew); /* NULL is a no-op */

/* What the human summary shows, summed over workers. */
struct engine_summary {
    struct flow_counters flow;
    uint64_t events[ENG_EV_COUNT];
    uint64_t anomalies[VG_ANOMALY_COUNT];
    uint64_t write_errors;
    unsigned n_notable; /* the workers' first findings, worker 0's first */
    char notable[ENGINE_NOTABLE_MAX][320];
    bool has_intel, has_evidence;
    struct intel_counters intel;
    const struct beacon_counters *beacons; /* NULL when beacons are off */
    struct evidence_counters evidence;
};
void engine_summary_of(struct worker *const *ws, unsigned n, struct engine_summary *out);
void engine_workers_summary(const struct engine_workers *ew, struct engine_summary *out);

#endif
