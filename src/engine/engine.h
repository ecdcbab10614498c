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
    bool progress; /* a progress line on stderr */
    int last_stage; /* enum engine_stage: stages after it are skipped (benchmarks, diagnosis) */
    unsigned eve_types; /* bit (1 << ENG_EV_x) per event type written; alert and stats always */
    /* Indicators, allowlist and beacon configuration (intel/intel.h); NULL: no intel stage. Not
     * owned; must outlive the workers. */
    const struct intel_ctx *intel;
    /* Compiled rules (detect/detect.h); NULL: no rule matching. Not owned; must outlive the
     * workers. */
    const struct detect_engine *detect;
    /* Tamper detector configuration (tamper/tamper.h); NULL: tamper_config_default. Not owned. */
    const struct tamper_config *tamper;
};

/* Pipeline stages, in order; `vigil analyze --stop-after STAGE` runs the pipeline up to STAGE. */
enum engine_stage { ENG_STAGE_DECODE, ENG_STAGE_FLOW, ENG_STAGE_STREAM, ENG_STAGE_APP,
                    ENG_STAGE_ALL };

/* Per-event-type counts for the summary. */
enum { ENG_EV_FLOW, ENG_EV_ANOMALY, ENG_EV_ALERT, ENG_EV_HTTP, ENG_EV_DNS, ENG_EV_TLS, ENG_EV_SSH,
       ENG_EV_STATS,
       ENG_EV_COUNT };

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
    /* The first findings, one line each, for the human summary. */
    unsigned n_notable;
    char notable[10][320];
};

/* worker_init builds the per-worker state; events go to eve (not owned). */
int worker_init(struct worker *w, const struct engine_config *cfg, struct eve_sink *eve);
/* worker_packet runs one packet through the whole pipeline (the function that reads as the
 * pipeline; see worker.c). */
void worker_packet(struct worker *w, struct packet *p);
/* worker_finish ends every flow (reason shutdown) and writes the final stats event. */
void worker_finish(struct worker *w, const struct eve_stats_in *extra);
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

#endif
