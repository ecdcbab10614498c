/* worker.c - one packet through the pipeline. This file is the map of vigil: every stage that a
 * packet passes is one call in worker_packet, in order (Suricata's flow-worker habit). */
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

#include "core/vg_status.h"
#include "output/eve_alert.h"
#include "output/eve_dns.h"
#include "output/eve_http.h"
#include "output/eve_ssh.h"
#include "output/eve_tls.h"
#include "output/eve_intel.h"
#include "output/eve_tamper.h"
#include "output/eve_tamper_lan.h"
#include "output/evidence_pcap.h"

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

/* Evidence of an alert raised before its flow ended (a rule or an indicator match): the flow is
 * recorded from now on, the packet that matched is kept (pinned) and the file is written with what
 * is held so far, so that the alert in w->jw can name the file and the packet's number in it. The
 * rest of the flow is appended when it ends. pcap_cnt is 0 for an alert without a packet. */
static void alert_evidence(struct worker *w, const struct flow *f, uint64_t pcap_cnt)
{
    if (!w->evidence || !f) return;
    evidence_mark(w->evidence, f);
    const struct packet *p = w->cur_p;
    if (p && w->cur_f == f && pcap_cnt == p->pcap_cnt && w->ev_kept != p) {
        evidence_packet(w->evidence, f, w->cur_dir, p, true);
        w->ev_kept = p; /* stage 5b must not keep it twice */
    }
    if (evidence_flow_flush(w->evidence, f) == VG_OK && jw_reopen(&w->jw)) {
        evidence_put_json(w->evidence, f, &w->jw, &pcap_cnt, pcap_cnt ? 1 : 0);
        jw_obj_close(&w->jw);
    }
}

/* A rule matched (detect stage): one alert event. */
static void on_rule_alert(void *ud, const struct detect_alert *a)
{
    struct worker *w = ud;
    eve_alert(&w->jw, a);
    alert_evidence(w, a->f, a->p ? a->p->pcap_cnt : 0);
    emit(w, ENG_EV_ALERT);
}

static void on_tamper_finding(const struct flow *f, const struct tamper_finding *fd, void *ud)
{
    struct worker *w = ud;
    if (w->det) detect_tamper_finding(w->det, (struct flow *)f, fd); /* vigil.tamper rules */
    /* The flow's evidence file is written before its first alert, which names it. */
    if (w->evidence && w->eve && !w->ev_written) {
        evidence_flow_write(w->evidence, f);
        w->ev_written = true;
    }
    eve_tamper_alert_ev(&w->jw, f, fd, w->evidence);
    emit(w, ENG_EV_ALERT);
    w->flow_alerts++;
    note_finding(w, f, fd);
}

/* An ARP / ND spoofing finding (no flow): written at once, with its contested frames as
 * evidence. */
static void on_lan_finding(const struct tamper_lan_finding *fd, void *ud)
{
    struct worker *w = ud;
    eve_tamper_lan_alert(&w->jw, fd, w->eve ? w->evidence : NULL);
    emit(w, ENG_EV_ALERT);
    if (w->n_notable < sizeof w->notable / sizeof w->notable[0]) {
        char a[VG_ADDR_STRLEN], m[18];
        snprintf(w->notable[w->n_notable++], sizeof w->notable[0],
                 "%s  %s claimed by %s  (confidence %u)", tamper_sig_msg(fd->sig),
                 vg_addr_str(&fd->ip, a), tamper_mac_str(fd->new_mac, m), fd->confidence);
    }
}

/* ---- intel hooks: indicator matches and beacons become alerts ---- */

static void note_intel(struct worker *w, const char *sig, const char *src, const char *dst,
                       const char *what)
{
    if (w->n_notable >= sizeof w->notable / sizeof w->notable[0]) return;
    snprintf(w->notable[w->n_notable++], sizeof w->notable[0], "%s  %s -> %s  %s", sig, src, dst,
             what);
}

static void on_intel_ioc(void *ud, struct flow *f, const struct intel_hit *h)
{
    struct worker *w = ud;
    eve_intel_ioc_alert(&w->jw, f, h);
    alert_evidence(w, f, h->pcap_cnt);
    emit(w, ENG_EV_ALERT);
    f->alerted = true;
    char a[VG_ADDR_STRLEN], b[VG_ADDR_STRLEN], what[200];
    snprintf(what, sizeof what, "%s on %s (%s)", h->indicator, h->matched_on, h->source);
    note_intel(w, intel_sig_msg(INTEL_SID_IOC_BASE + (uint32_t)h->type), vg_addr_str(&f->src, a),
               vg_addr_str(&f->dst, b), what);
}

static void on_intel_beacon(void *ud, const struct beacon_finding *bf)
{
    struct worker *w = ud;
    eve_intel_beacon_alert(&w->jw, bf);
    emit(w, ENG_EV_ALERT);
    char a[VG_ADDR_STRLEN], b[VG_ADDR_STRLEN], what[200];
    snprintf(what, sizeof what, "score %.3f, %u connections every %.1f s (jitter %.1f %%)",
             bf->s.score, bf->s.connections, bf->s.period_s, bf->s.jitter_pct);
    note_intel(w, intel_sig_msg(bf->by_name ? INTEL_SID_BEACON_NAME : INTEL_SID_BEACON_ADDR),
               vg_addr_str(&bf->client, a), bf->server_name ? bf->server_name : vg_addr_str(&bf->server, b),
               what);
}

/* ---- app-layer hooks: transactions become EVE events ---- */

static void on_http_tx(void *ud, struct flow *f, const struct packet *p, const struct http_tx *tx)
{
    struct worker *w = ud;
    if (w->det) detect_http_tx(w->det, f, p, tx);
    if (w->last_stage >= ENG_STAGE_ALL) {
        tamper_http_tx(w->tamper, f, p, tx); /* in-path: header fingerprint, redirects */
        if (tamper_take_trigger(w->tamper)) w->ev_trigger = true;
    }
    if (w->eve_types & (1u << ENG_EV_HTTP)) {
        eve_http(&w->jw, f, tx);
        emit(w, ENG_EV_HTTP);
    }
    if (w->intel && w->last_stage >= ENG_STAGE_ALL) intel_http(w->intel, f, p, tx);
}

static void on_dns_msg(void *ud, struct flow *f, const struct packet *p, int dir,
                       const struct dns_msg *m, uint64_t tx_id)
{
    struct worker *w = ud;
    struct dns_log_ctx lc = {p ? p->ts : f->last, p ? p->pcap_cnt : 0, dir, tx_id};
    if (w->det) detect_dns_msg(w->det, f, p, dir, m, tx_id);
    if (w->eve_types & (1u << ENG_EV_DNS)) {
        eve_dns(&w->jw, f, m, &lc);
        emit(w, ENG_EV_DNS);
    }
    if (w->intel && w->last_stage >= ENG_STAGE_ALL) intel_dns(w->intel, f, p, dir, m);
}

/* A second response to one DNS question (identical or not): the tamper module judges it. Only
 * when the tamper stage runs, since its tamper_packet call completes the finding. */
static void on_dns_pair(void *ud, struct flow *f, const struct dns_response_pair *pair)
{
    struct worker *w = ud;
    if (w->last_stage >= ENG_STAGE_ALL) tamper_dns_pair(w->tamper, f, pair);
    w->ev_trigger = true; /* a second answer: keep this flow's packets as evidence */
}

/* A TLS / SSH session complete (app layer): the rules on its buffers. */
static void on_tls_session(void *ud, struct flow *f, const struct packet *p,
                           const struct tls_session *s)
{
    struct worker *w = ud;
    if (w->det) detect_tls_session(w->det, f, p, s);
    if (w->eve_types & (1u << ENG_EV_TLS)) {
        eve_tls(&w->jw, f, s);
        emit(w, ENG_EV_TLS);
    }
    if (w->intel && w->last_stage >= ENG_STAGE_ALL) intel_tls(w->intel, f, p, s);
}

static void on_ssh_session(void *ud, struct flow *f, const struct packet *p,
                           const struct ssh_session *s)
{
    struct worker *w = ud;
    if (w->det) detect_ssh_session(w->det, f, p, s);
    if (w->eve_types & (1u << ENG_EV_SSH)) {
        eve_ssh(&w->jw, f, s);
        emit(w, ENG_EV_SSH);
    }
}

static void on_app_anomaly(void *ud, struct flow *f, const struct packet *p, int id)
{
    struct worker *w = ud;
    if (w->det && p) detect_app_anomaly(w->det, p, id);
    if (w->eve_types & (1u << ENG_EV_ANOMALY)) {
        eve_anomaly(&w->jw, p, f, id);
        emit(w, ENG_EV_ANOMALY);
    }
    if (id >= 0 && id < VG_ANOMALY_COUNT) w->anomalies[id]++;
}

/* The flow-end hook: the flow's last transactions, its held findings, then its flow event, then
 * its state is freed. */
static void on_flow_end(struct flow *f, void *ud)
{
    struct worker *w = ud;
    app_flow_end(w->app, f);
    w->flow_alerts = 0;
    w->ev_written = false;
    tamper_flow_end(w->tamper, f, on_tamper_finding, w);
    if (w->flow_alerts) f->alerted = true;
    if (w->det) detect_flow_end(w->det, f);
    if (w->intel && w->last_stage >= ENG_STAGE_ALL)
        intel_flow_end(w->intel, f); /* the connection joins its beacon pairs */
    if (w->eve_types & (1u << ENG_EV_FLOW)) {
        eve_flow(&w->jw, f);
        emit(w, ENG_EV_FLOW);
    }
    stream_flow_free(w->stream, f);
    if (w->evidence) evidence_flow_end(w->evidence, f);
}

void worker_intel_hooks(struct worker *w, struct intel_hooks *ih)
{
    ih->ioc = on_intel_ioc;
    ih->beacon = on_intel_beacon;
    ih->ud = w;
}

int worker_init(struct worker *w, const struct engine_config *cfg, struct eve_sink *eve)
{
    memset(w, 0, sizeof *w);
    w->eve = eve;
    w->last_stage = cfg->last_stage;
    w->eve_types = cfg->eve_types | (1u << ENG_EV_ALERT) | (1u << ENG_EV_STATS);
    jw_init(&w->jw);
    w->dec = decode_ctx_new(&cfg->decode);
    w->dec_cfg = cfg->decode;
    w->lan = true;
    w->flows = flow_table_new(&cfg->flow, on_flow_end, w);
    w->stream = stream_ctx_new(&cfg->stream);
    w->tamper = tamper_ctx_new_with(&cfg->tamper);
    struct app_hooks hooks = {.http_tx = on_http_tx,
                              .dns_msg = on_dns_msg,
                              .dns_pair = on_dns_pair,
                              .anomaly = on_app_anomaly,
                              .ud = w,
                              .tls_session = on_tls_session,
                              .ssh_session = on_ssh_session};
    w->app = app_ctx_new(&hooks);
    w->last_expire_sec = INT64_MIN;
    if (cfg->intel) {
        struct intel_hooks ih;
        worker_intel_hooks(w, &ih);
        w->intel = intel_worker_new(cfg->intel, &ih);
    }
    /* The rule matcher runs in the full pipeline only (detect hangs after app). */
    if (cfg->detect && cfg->last_stage >= ENG_STAGE_ALL)
        w->det = detect_thread_new(cfg->detect, on_rule_alert, w);
    if (!w->dec || !w->flows || !w->stream || !w->tamper || !w->app || (cfg->intel && !w->intel) ||
        (cfg->detect && cfg->last_stage >= ENG_STAGE_ALL && !w->det)) {
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
    if (w->lan_dec) decode_expire(w->lan_dec, w->now, EXPIRE_BUDGET);
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
    w->cur_p = p; /* for the hooks below (evidence of mid-flow alerts) */
    w->cur_f = f;
    w->cur_dir = dir;

    /* 3. stream: TCP state, reassembly, overlap facts */
    struct stream_result sr;
    bool tcp = f && p->proto == 6 && !(p->flags & VG_PKT_INVALID) &&
               w->last_stage >= ENG_STAGE_STREAM;
    if (tcp) stream_packet(w->stream, f, p, dir, &sr);

    /* 4. app: protocol detection and parsers (transactions are logged through the hooks) */
    if (f && w->last_stage >= ENG_STAGE_APP) app_packet(w->app, f, p, dir, tcp ? &sr : NULL);

    /* 5. detect: the rules on the packet payload, the reassembled stream and the headers
     * (transactions were inspected in the app hooks above) */
    if (w->det) detect_packet(w->det, f, p, dir, tcp ? &sr : NULL);

    /* 4c. intel: a new flow's two addresses against the indicators (names, URLs and fingerprints
     * are checked in the app-layer hooks above; beacons are scored from flow ends) */
    if (f && w->intel && w->last_stage >= ENG_STAGE_ALL && f->pkts[0] + f->pkts[1] == 1)
        intel_flow_new(w->intel, f, p);

    /* 6. tamper: path integrity (races, forged resets) */
    if (f && w->last_stage >= ENG_STAGE_ALL) tamper_packet(w->tamper, f, p, dir, tcp ? &sr : NULL);
    if (tamper_take_trigger(w->tamper)) w->ev_trigger = true; /* an in-path candidate */
    /* 6b. tamper, LAN: ARP / ND bindings (flow or not: ARP has none) */
    if (w->lan && w->last_stage >= ENG_STAGE_ALL)
        tamper_lan_packet(w->tamper, p, on_lan_finding, w);

    /* 5b. evidence: keep the packet for a flow that may end with a finding (evidence_pcap.h);
     * a reset, a stream overlap fact, an anomaly or a DNS answer pair starts recording a flow. */
    if (f && w->evidence && w->ev_kept != p) {
        bool trig = w->ev_trigger || p->n_anom || (tcp && sr.n_facts) ||
                    (p->proto == 6 && (p->tcp_flags & VG_TCP_RST));
        evidence_packet(w->evidence, f, dir, p, trig);
    }
    w->ev_trigger = false;
    w->ev_kept = NULL;

    /* 7. output: the packet's anomalies (decoder and stream) */
    for (unsigned i = 0; i < p->n_anom; i++) {
        if (w->eve_types & (1u << ENG_EV_ANOMALY)) {
            eve_anomaly(&w->jw, p, f, p->anom[i]);
            emit(w, ENG_EV_ANOMALY);
        }
        if (p->anom[i] < VG_ANOMALY_COUNT) w->anomalies[p->anom[i]]++;
    }

    /* 8. housekeeping: expire idle flows and fragment trackers, bounded */
    housekeeping(w);
    w->cur_p = NULL;
    w->cur_f = NULL;
}

void worker_tick(struct worker *w, struct vg_ts ts)
{
    if (vg_ts_cmp(ts, w->now) > 0) w->now = ts;
    housekeeping(w);
}

void worker_end_flows(struct worker *w)
{
    flow_table_flush(w->flows, FLOW_END_SHUTDOWN);
    if (w->intel && w->last_stage >= ENG_STAGE_ALL)
        intel_finish(w->intel); /* beacon scoring over every connection seen */
}

void worker_write_stats(struct worker *w, const struct eve_stats_in *in_counters,
                        const struct evidence_counters *evc)
{
    struct eve_stats_in in = *in_counters;
    if (!evc && w->evidence) evc = evidence_counters(w->evidence);
    /* vigil.stats.output: the sink's and the evidence writer's counters, as one object */
    struct jw oj;
    jw_init(&oj);
    if (w->eve || evc) {
        jw_obj_open(&oj, NULL);
        if (w->eve) {
            struct eve_sink_stats st;
            eve_sink_get_stats(w->eve, &st);
            jw_obj_open(&oj, "eve");
            jw_uint(&oj, "events", st.events);
            jw_uint(&oj, "files_opened", st.files_opened);
            jw_uint(&oj, "rotations", st.rotations);
            jw_obj_close(&oj);
            if (st.redis) {
                jw_obj_open(&oj, "redis");
                jw_uint(&oj, "sent", st.redis_sent);
                jw_uint(&oj, "spooled", st.redis_spooled);
                jw_uint(&oj, "dropped", st.redis_dropped);
                jw_uint(&oj, "errors", st.redis_errors);
                jw_uint(&oj, "connects", st.redis_connects);
                jw_uint(&oj, "connect_failures", st.redis_connect_failures);
                jw_uint(&oj, "spool_bytes_max", st.redis_spool_bytes_max);
                jw_obj_close(&oj);
            }
        }
        if (evc) evidence_counters_json_c(evc, &oj, "evidence");
        jw_obj_close(&oj);
        if (!oj.oom) {
            in.output_json = oj.buf;
            in.output_json_len = oj.len;
        }
    }
    eve_stats(&w->jw, &in);
    jw_fini(&oj);
    emit(w, ENG_EV_STATS);
}

void worker_stats(struct worker *w, const struct eve_stats_in *extra)
{
    struct eve_stats_in in;
    memset(&in, 0, sizeof in);
    if (extra) in = *extra;
    if (in.ts.sec == 0 && in.ts.nsec == 0) in.ts = w->now;
    in.dec = decode_counters(w->dec);
    in.flow = flow_table_counters(w->flows);
    in.stream = stream_counters(w->stream);
    in.tamper = tamper_counters(w->tamper);
    in.app = app_counters(w->app);
    if (w->det) in.detect = detect_counters(w->det);
    worker_write_stats(w, &in, NULL);
}

void worker_finish(struct worker *w, const struct eve_stats_in *extra)
{
    worker_end_flows(w);
    worker_stats(w, extra);
}

/* Reads what tamper_lan_packet would take from a plain Ethernet / IPv4 frame (at most two VLAN
 * tags, a sound unfragmented header, TCP or ICMP) without decoding it; false for anything else,
 * which goes through the decoder. Hand-written: it runs on every frame of the other workers, and
 * the decoder would cost worker 0 about a tenth of its time (src/engine/README.md). */
static bool lan_plain_ipv4(struct worker *w, const struct capture_frame *fr)
{
    const uint8_t *d = fr->data;
    uint32_t n = fr->caplen, off = 14;
    if (fr->linktype != 1 || n < 14) return false; /* LINKTYPE_ETHERNET */
    uint16_t et = (uint16_t)(d[12] << 8 | d[13]), vl[2] = {0, 0};
    unsigned nv = 0;
    while (et == 0x8100 || et == 0x88a8 || et == 0x9100) {
        if (nv == 2 || off + 4 > n) return false;
        vl[nv++] = (uint16_t)((d[off] << 8 | d[off + 1]) & 0x0fff);
        et = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
        off += 4;
    }
    if (et != 0x0800 || off + 20 > n) return false;
    const uint8_t *ip = d + off;
    uint32_t ihl = (ip[0] & 15u) * 4u, tot = (uint32_t)(ip[2] << 8 | ip[3]);
    if (ip[0] >> 4 != 4 || ihl < 20 || tot < ihl || off + tot > n) return false;
    if ((ip[6] << 8 | ip[7]) & 0x3fff) return false; /* a fragment: defragmentation decides */
    if (ip[9] != 6 && ip[9] != 1) return false;      /* tunnels (IP-in-IP, GRE, UDP) decode */
    struct vg_addr src;
    memset(&src, 0, sizeof src);
    src.family = 4;
    memcpy(src.a, ip + 12, 4);
    tamper_lan_seen(w->tamper, fr->ts, nv ? vl[0] | (uint32_t)(nv > 1 ? vl[1] : 0) << 12 : 0, d + 6,
                    &src);
    return true;
}

void worker_lan_foreign(struct worker *w, const struct capture_frame *fr, uint64_t pcap_cnt)
{
    if (!w->lan || w->last_stage < ENG_STAGE_ALL) return;
    if (vg_ts_cmp(fr->ts, w->now) > 0) w->now = fr->ts;
    if (lan_plain_ipv4(w, fr)) return; /* most frames: no struct packet is built */
    if (!w->lan_dec && !(w->lan_dec = decode_ctx_new(&w->dec_cfg))) return;
    struct packet p;
    memset(&p, 0, sizeof p);
    p.data = fr->data;
    p.caplen = fr->caplen;
    p.wirelen = fr->wirelen;
    p.ts = fr->ts;
    p.linktype = fr->linktype;
    p.iface = fr->iface;
    p.pcap_cnt = pcap_cnt;
    w->pcap_cnt = pcap_cnt;
    decode_packet(w->lan_dec, &p);
    tamper_lan_packet(w->tamper, &p, on_lan_finding, w);
}

void worker_fini(struct worker *w)
{
    /* Flows hold stream and tamper state: end them before freeing those pools. The sink may be
     * closed already, so nothing more is written. */
    w->eve = NULL;
    if (w->flows) flow_table_flush(w->flows, FLOW_END_SHUTDOWN);
    decode_ctx_free(w->dec);
    decode_ctx_free(w->lan_dec);
    w->lan_dec = NULL;
    flow_table_free(w->flows);
    stream_ctx_free(w->stream);
    tamper_ctx_free(w->tamper);
    app_ctx_free(w->app);
    intel_worker_free(w->intel);
    detect_thread_free(w->det); /* after the flush: flow ends still reach the matcher */
    jw_fini(&w->jw);
    w->dec = NULL;
    w->flows = NULL;
    w->stream = NULL;
    w->tamper = NULL;
    w->app = NULL;
    w->intel = NULL;
    w->det = NULL;
}

int worker_set_rules(struct worker *w, const struct detect_engine *de, const struct intel_ctx *ic)
{
    struct detect_thread *dt = NULL;
    struct intel_worker *iw = NULL;
    if (de && w->last_stage >= ENG_STAGE_ALL) {
        dt = detect_thread_new(de, on_rule_alert, w);
        if (!dt) return VG_ERR_NOMEM;
        /* flows in progress keep their matcher state (established, flowbits, stream tails) */
        if (detect_thread_adopt(dt, w->det) != VG_OK) {
            detect_thread_free(dt);
            return VG_ERR_NOMEM;
        }
    }
    if (ic) {
        struct intel_hooks ih = {on_intel_ioc, on_intel_beacon, w};
        iw = intel_worker_new(ic, &ih);
        if (!iw) {
            detect_thread_free(dt);
            return VG_ERR_NOMEM;
        }
    }
    /* The indicator state of flows in progress (de-duplication, beacon records) starts afresh
     * under the new context. */
    detect_thread_free(w->det);
    intel_worker_free(w->intel);
    w->det = dt;
    w->intel = iw;
    return VG_OK;
}
