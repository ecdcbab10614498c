/* worker.c - one packet through the pipeline. This file is the map of vigil: every stage that a
 * packet passes is one call in worker_packet, in order (Suricata's flow-worker habit). */
#include "engine/engine.h"

#include <string.h>

#include "core/vg_status.h"

/* Housekeeping is bounded work per call (STYLE habit 8): at most this many flows are examined for
 * expiry per packet-time second. */
#define EXPIRE_BUDGET 256

static void emit(struct worker *w, int type)
{
    if (eve_sink_write(w->eve, &w->jw) != VG_OK) w->write_errors++;
    w->events[type]++;
    jw_reset(&w->jw);
}

static void on_flow_end(struct flow *f, void *ud)
{
    struct worker *w = ud;
    eve_flow(&w->jw, f);
    emit(w, ENG_EV_FLOW);
}

int worker_init(struct worker *w, const struct engine_config *cfg, struct eve_sink *eve)
{
    memset(w, 0, sizeof *w);
    w->eve = eve;
    jw_init(&w->jw);
    w->dec = decode_ctx_new(&cfg->decode);
    w->flows = flow_table_new(&cfg->flow, on_flow_end, w);
    w->last_expire_sec = INT64_MIN;
    if (!w->dec || !w->flows) {
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
    struct flow *f = flow_table_get(w->flows, p, &dir);

    /* 3. stream → app → detect / tamper / intel hang here (later stages). */

    /* 4. output: the packet's anomalies */
    for (unsigned i = 0; i < p->n_anom; i++) {
        eve_anomaly(&w->jw, p, f, p->anom[i]);
        emit(w, ENG_EV_ANOMALY);
    }

    /* 5. housekeeping: expire idle flows and fragment trackers, bounded */
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
    eve_stats(&w->jw, &in);
    emit(w, ENG_EV_STATS);
}

void worker_fini(struct worker *w)
{
    decode_ctx_free(w->dec);
    flow_table_free(w->flows);
    jw_fini(&w->jw);
    w->dec = NULL;
    w->flows = NULL;
}
