/* eve.h - EVE JSON events (Suricata's field names and event types) and the file sink.
 *
 * One function per event type fills a struct jw with one complete event; eve_sink_write appends it
 * as one line. vigil's own data lives under its own top-level keys (`vigil`, `tamper`, `beacon`,
 * `ioc`, `evidence`), never under Suricata's names; see docs/eve.md.
 */
#ifndef VG_EVE_H
#define VG_EVE_H

#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "output/json_writer.h"
#include "app/app.h"
#include "stream/stream.h"
#include "tamper/tamper.h"

struct eve_sink;

/* Where a sink writes (docs/outputs.md). One sink fans out to every output configured here: the
 * EVE file(s), with optional rotation and one file per event type, and a Redis stream or list
 * (sink_redis.h). The worker only ever sees struct eve_sink. */
enum eve_redis_mode { EVE_REDIS_OFF, EVE_REDIS_STREAM, EVE_REDIS_LIST };
struct eve_sink_config {
    const char *path;            /* the EVE file, e.g. DIR/eve.json (required) */
    bool split_types;            /* DIR/eve.<event_type>.json instead of one file */
    uint64_t rotate_size;        /* rotate a file before it would exceed this many bytes; 0 off */
    uint32_t rotate_interval_s;  /* rotate a non-empty file this often (at its next event); 0 off */
    /* Redis: off unless redis_mode is set. */
    int redis_mode;              /* enum eve_redis_mode */
    const char *redis_host;
    uint16_t redis_port;
    const char *redis_key;       /* stream or list name */
    uint64_t redis_maxlen;       /* XADD MAXLEN ~ N; 0 = no trimming */
    size_t redis_spool;          /* bytes of events held while Redis is slow or away */
    uint32_t redis_drain_ms;     /* at close, how long to keep trying to deliver the spool */
};
/* Defaults: rotation off, one file, Redis off, MAXLEN ~ 1000000, spool 64 MiB, drain 30 s. */
void eve_sink_config_default(struct eve_sink_config *cfg);

/* Output counters (stats event vigil.stats.output, and the CLI summary). */
struct eve_sink_stats {
    uint64_t events;          /* events written */
    uint64_t files_opened;    /* EVE files created (first files + one per rotation) */
    uint64_t rotations;
    bool redis;               /* a Redis output is configured */
    bool redis_connected;
    uint64_t redis_sent;      /* events Redis acknowledged */
    uint64_t redis_dropped;   /* events lost: spool full, or still spooled when the drain ended */
    uint64_t redis_errors;    /* events Redis answered with an error (e.g. WRONGTYPE), not resent */
    uint64_t redis_connects;  /* successful connections (1 + reconnections) */
    uint64_t redis_connect_failures;
    uint64_t redis_spooled;   /* events waiting now */
    uint64_t redis_spool_bytes_max; /* high-water mark of the spool */
};

/* eve_sink_open_cfg opens every output of cfg (the files are created/truncated now; Redis is
 * connected in the background, so a server that is down at start loses nothing: its events wait
 * in the spool). Returns NULL and fills errbuf when a file cannot be created. */
struct eve_sink *eve_sink_open_cfg(const struct eve_sink_config *cfg, char *errbuf, size_t errlen);
/* eve_sink_open creates (truncates) path for writing: eve_sink_open_cfg with defaults. Returns NULL
 * and fills errbuf on failure. */
struct eve_sink *eve_sink_open(const char *path, char *errbuf, size_t errlen);
/* Counters so far (safe to call while the sink is open; Redis numbers are read under its lock). */
void eve_sink_get_stats(const struct eve_sink *s, struct eve_sink_stats *st);
/* The EVE files written so far, oldest first per file (rotated files, then the live one); with
 * split_types, every type's files. Valid until eve_sink_close. The report reads these. */
size_t eve_sink_file_count(const struct eve_sink *s);
const char *eve_sink_file_path(const struct eve_sink *s, size_t i);
/* eve_sink_close_stats: eve_sink_close that also reports the final counters (Redis drained or
 * given up) into st (may be NULL). */
int eve_sink_close_stats(struct eve_sink *s, struct eve_sink_stats *st);
/* eve_sink_write appends w's event plus a newline. Events are never split: a line is written
 * whole into the sink buffer (written with write(2) when full, and on eve_sink_flush/close).
 * Returns VG_OK or VG_ERR_IO. */
int eve_sink_write(struct eve_sink *s, const struct jw *w);
int eve_sink_flush(struct eve_sink *s);
uint64_t eve_sink_events(const struct eve_sink *s);
int eve_sink_close(struct eve_sink *s); /* flushes; NULL is a no-op */

/* EVE "proto" strings: "TCP", "UDP", "ICMP", "IPv6-ICMP", "GRE", ... or the number. */
const char *eve_proto_name(uint8_t proto, char *buf8);

/* A flow event at the flow's end. */
void eve_flow(struct jw *w, const struct flow *f);

/* An anomaly event for anomaly id `anom` met on packet p (flow may be NULL), or found at the end
 * of flow f (p NULL). App-layer anomalies carry the flow's app_proto. */
void eve_anomaly(struct jw *w, const struct packet *p, const struct flow *f, int anom);

struct detect_counters;

/* Totals for the final stats event. Any pointer may be NULL. */
struct eve_stats_in {
    struct vg_ts ts;
    uint64_t uptime_s;
    const struct decode_counters *dec;
    const struct flow_counters *flow;
    const struct stream_counters *stream;
    const struct tamper_counters *tamper;
    const struct app_counters *app;
    uint64_t capture_errors, files_ok, files_failed;
    uint64_t events_by_type[8]; /* unused for now */
    /* Already-valid JSON object written as vigil.stats.output (the output counters: sink, Redis,
     * evidence); NULL for none. */
    const char *output_json;
    size_t output_json_len;
    const struct detect_counters *detect; /* rule engine (stats.detect, vigil.stats.detect) */
    const struct eve_live_stats *live;    /* live capture (`vigil run`); NULL for files */
};
/* Live capture counters of one worker (its rings): stats.capture.kernel_packets/kernel_drops/
 * kernel_ifdrops (Suricata's names) and vigil.stats.capture for the rest. */
struct eve_live_stats {
    uint64_t kernel_packets, kernel_drops, kernel_ifdrops, freeze_q;
    uint32_t worker, workers;     /* this worker's index, of how many */
    uint64_t reloads, reload_failures;
    uint64_t rules_generation;    /* 0: the rules loaded at start; +1 per successful reload */
};
void eve_stats(struct jw *w, const struct eve_stats_in *in);

#endif
