/* worker.c - one packet through the pipeline. This file is the map of vigil: every stage that a
 * packet passes is one call in worker_packet, in order (Suricata's flow-worker habit). */
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

#include "core/vg_status.h"
#include "output/eve_dns.h"
#include "output/eve_http.h"
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

/* One line for the human summary: signature, the contestants' direction, the verdict. */
static void note_finding(struct worker *w, const struct flow *f, const struct tamper_finding *fd)
{
    if (w->n_notable >= sizeof w->notable / sizeof w->notable[0]) return;
    char a[VG_ADDR_STRLEN], b[VG_ADDR_STRLEN];
    bool tc = fd->dir == FLOW_TOCLIENT;
    const char *verdict = "neither contestant departs from the sender's baseline";
    char vbuf[96];
    for (int i = 0; i < 2; i++)
        if (fd->c[i].verdict == TAMPER_VERDICT_FORGED) {
            snprintf(vbuf, sizeof vbuf, "forged: packet %llu", (unsigned long long)fd->c[i].pcap_cnt);
            verdict = vbuf;
        }
    snprintf(w->notable[w->n_notable++], sizeof w->notable[0], "%s  %s:%u -> %s:%u  %s (confidence %u)",
             tamper_sig_msg(fd->sig), vg_addr_str(tc ? &f->dst : &f->src, a),
             tc ? f->dport : f->sport, vg_addr_str(tc ? &f->src : &f->dst, b),
             tc ? f->sport : f->dport, verdict, fd->confidence);
}

static void on_tamper_finding(const struct flow *f, const struct tamper_finding *fd, void *ud)
{
    struct worker *w = ud;
    eve_tamper_alert(&w->jw, f, fd);
    emit(w, ENG_EV_ALERT);
    w->flow_alerts++;
    note_finding(w, f, fd);
}

/* ---- app-layer hooks: transactions become EVE events ---- */

static void on_http_tx(void *ud, struct flow *f, const struct packet *p, const struct http_tx *tx)
{
    struct worker *w = ud;
    (void)p;
    eve_http(&w->jw, f, tx);
    emit(w, ENG_EV_HTTP);
}

static void on_dns_msg(void *ud, struct flow *f, const struct packet *p, int dir,
                       const struct dns_msg *m, uint64_t tx_id)
{
    struct worker *w = ud;
    struct dns_log_ctx lc = {p ? p->ts : f->last, p ? p->pcap_cnt : 0, dir, tx_id};
    eve_dns(&w->jw, f, m, &lc);
    emit(w, ENG_EV_DNS);
}

/* A second response to one DNS question (identical or not): the tamper module judges it. Only
 * when the tamper stage runs, since its tamper_packet call completes the finding. */
static void on_dns_pair(void *ud, struct flow *f, const struct dns_response_pair *pair)
{
    struct worker *w = ud;
    if (w->last_stage >= ENG_STAGE_ALL) tamper_dns_pair(w->tamper, f, pair);
}

static void on_app_anomaly(void *ud, struct flow *f, const struct packet *p, int id)
{
    struct worker *w = ud;
    eve_anomaly(&w->jw, p, f, id);
    emit(w, ENG_EV_ANOMALY);
    if (id >= 0 && id < VG_ANOMALY_COUNT) w->anomalies[id]++;
}

/* The flow-end hook: the flow's last transactions, its held findings, then its flow event, then
 * its state is freed. */
static void on_flow_end(struct flow *f, void *ud)
{
    struct worker *w = ud;
    app_flow_end(w->app, f);
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
    struct app_hooks hooks = {on_http_tx, on_dns_msg, on_dns_pair, on_app_anomaly, w};
    w->app = app_ctx_new(&hooks);
    w->last_expire_sec = INT64_MIN;
    if (!w->dec || !w->flows || !w->stream || !w->tamper || !w->app) {
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

    /* 4. app: protocol detection and parsers (transactions are logged through the hooks) */
    if (f && w->last_stage >= ENG_STAGE_APP) app_packet(w->app, f, p, dir, tcp ? &sr : NULL);

    /* detect → intel hang here (later stages). */

    /* 5. tamper: path integrity (races, forged resets) */
    if (f && w->last_stage >= ENG_STAGE_ALL) tamper_packet(w->tamper, f, p, dir, tcp ? &sr : NULL);

    /* 6. output: the packet's anomalies (decoder and stream) */
    for (unsigned i = 0; i < p->n_anom; i++) {
        eve_anomaly(&w->jw, p, f, p->anom[i]);
        emit(w, ENG_EV_ANOMALY);
        if (p->anom[i] < VG_ANOMALY_COUNT) w->anomalies[p->anom[i]]++;
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
    in.app = app_counters(w->app);
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
    app_ctx_free(w->app);
    jw_fini(&w->jw);
    w->dec = NULL;
    w->flows = NULL;
    w->stream = NULL;
    w->tamper = NULL;
    w->app = NULL;
}
