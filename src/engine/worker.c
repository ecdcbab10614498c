/* worker.c - one packet through the pipeline. This file is the map of vigil: every stage that a
 * packet passes is one call in worker_packet, in order (Suricata's flow-worker habit). */
#include "engine/engine.h"

#include <string.h>

#include "core/vg_status.h"
#include "output/eve_tamper.h"

/* Housekeeping is bounded work per call (STYLE habit 8): at most this many flows are examined for
 * expiry per packet-time second. */
#define EXPIRE_BUDGET 256

static void emit(struct worker *w, int type)
{
    if (!w->eve) { /* after worker_fini started: nowhere to write */
        jw_reset(&w->jw);
        return;
    }
    if (eve_sink_write(w->eve, &w->jw) != VG_OK) w->write_errors++;
    w->events[type]++;
    jw_reset(&w->jw);
}

static void on_tamper_finding(const struct flow *f, const struct tamper_finding *fd, void *ud)
{
    struct worker *w = ud;
    eve_tamper_alert(&w->jw, f, fd);
    emit(w, ENG_EV_ALERT);
    w->flow_alerts++;
}

/* The flow-end hook: the flow's held findings, then its flow event, then its state is freed. */
static void on_flow_end(struct flow *f, void *ud)
{
    struct worker *w = ud;
    w->flow_alerts = 0;
    tamper_flow_end(w->tamper, f, on_tamper_finding, w);
    if (w->flow_alerts) f->alerted = true;
    eve_flow(&w->jw, f);
    emit(w, ENG_EV_FLOW);
    stream_flow_free(w->stream, f);
}

int worker_init(struct worker *w, const struct engine_config *cfg, struct eve_sink *eve)
{
    memset(w, 0, sizeof *w);
    w->eve = eve;
    w->last_stage = cfg->last_stage;
    jw_init(&w->jw);
    w->dec = decode_ctx_new(&cfg->decode);
    w->flows = flow_table_new(&cfg->flow, on_flow_end, w);
    w->stream = stream_ctx_new(&cfg->stream);
    w->tamper = tamper_ctx_new();
    w->last_expire_sec = INT64_MIN;
    if (!w->dec || !w->flows || !w->stream || !w->tamper) {
        worker_fini(w);
        return VG_ERR_NOMEM;
    }
    return VG_OK;
}

static void housekeeping(struct worker *w)
{
    if (w->now.sec == w->last_expire_sec) return;
    w->last_expire_sec = w->now.sec;
    flow_table_expire(w->flows, w->now, EXPIRE_BUDGET);
    decode_expire(w->dec, w->now, EXPIRE_BUDGET);
}

void worker_packet(struct worker *w, struct packet *p)
{
    if (vg_ts_cmp(p->ts, w->now) > 0) w->now = p->ts;

    /* 1. decode: link → network (defragmentation) → transport */
    decode_packet(w->dec, p);

    /* 2. flow: find or create the connection this packet belongs to */
    int dir = FLOW_TOSERVER;
    struct flow *f = NULL;
    if (w->last_stage >= ENG_STAGE_FLOW) f = flow_table_get(w->flows, p, &dir);

    /* 3. stream: TCP state, reassembly, overlap facts */
    struct stream_result sr;
    bool tcp = f && p->proto == 6 && !(p->flags & VG_PKT_INVALID) &&
               w->last_stage >= ENG_STAGE_STREAM;
    if (tcp) stream_packet(w->stream, f, p, dir, &sr);

    /* 4. app → detect → intel hang here (later stages). */

    /* 5. tamper: path integrity (races, forged resets) */
    if (f && w->last_stage >= ENG_STAGE_ALL) tamper_packet(w->tamper, f, p, dir, tcp ? &sr : NULL);

    /* 6. output: the packet's anomalies (decoder and stream) */
    for (unsigned i = 0; i < p->n_anom; i++) {
        eve_anomaly(&w->jw, p, f, p->anom[i]);
        emit(w, ENG_EV_ANOMALY);
    }

    /* 7. housekeeping: expire idle flows and fragment trackers, bounded */
    housekeeping(w);
}

void worker_finish(struct worker *w, const struct eve_stats_in *extra)
{
    flow_table_flush(w->flows, FLOW_END_SHUTDOWN);
    struct eve_stats_in in;
    memset(&in, 0, sizeof in);
    if (extra) in = *extra;
    in.ts = w->now;
    in.dec = decode_counters(w->dec);
    in.flow = flow_table_counters(w->flows);
    in.stream = stream_counters(w->stream);
    in.tamper = tamper_counters(w->tamper);
    eve_stats(&w->jw, &in);
    emit(w, ENG_EV_STATS);
}

void worker_fini(struct worker *w)
{
    /* Flows hold stream and tamper state: end them before freeing those pools. The sink may be
     * closed already, so nothing more is written. */
    w->eve = NULL;
    if (w->flows) flow_table_flush(w->flows, FLOW_END_SHUTDOWN);
    decode_ctx_free(w->dec);
    flow_table_free(w->flows);
    stream_ctx_free(w->stream);
    tamper_ctx_free(w->tamper);
    jw_fini(&w->jw);
    w->dec = NULL;
    w->flows = NULL;
    w->stream = NULL;
    w->tamper = NULL;
}
