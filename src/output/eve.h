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

/* eve_sink_open creates (truncates) path for writing. Returns NULL and fills errbuf on failure. */
struct eve_sink *eve_sink_open(const char *path, char *errbuf, size_t errlen);
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
};
void eve_stats(struct jw *w, const struct eve_stats_in *in);

#endif
