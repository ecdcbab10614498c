/* eve_alert.c - EVE alert events of rule matches. Field names follow Suricata's
 * output-json-alert.c (AlertJsonHeader, the app-layer and flow sections). */
#include "output/eve_alert.h"

#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "core/vg_addr.h"
#include "core/vg_anomaly.h"
#include "core/vg_time.h"
#include "decode/packet.h"
#include "flow/flow.h"
#include "output/eve.h"
#include "output/eve_dns.h"
#include "output/eve_http.h"
#include "output/eve_ssh.h"
#include "output/eve_tls.h"

static void put_ts(struct jw *w, const char *key, struct vg_ts ts)
{
    char b[VG_TS_BUFLEN];
    size_t n = vg_ts_format(ts, b);
    jw_strn(w, key, b, n);
}

static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

static void put_tuple(struct jw *w, const struct vg_addr *s, uint16_t sp, const struct vg_addr *d,
                      uint16_t dp, uint8_t proto)
{
    char a[VG_ADDR_STRLEN], p8[8];
    jw_str(w, "src_ip", vg_addr_str(s, a));
    if (has_ports(proto)) jw_uint(w, "src_port", sp);
    jw_str(w, "dest_ip", vg_addr_str(d, a));
    if (has_ports(proto)) jw_uint(w, "dest_port", dp);
    jw_str(w, "proto", eve_proto_name(proto, p8));
}

/* The IP header itself was malformed (truncated, too short): the addresses are not trusted. */
static bool ip_layer_broken(const struct packet *p)
{
    if (!(p->flags & VG_PKT_INVALID)) return false;
    for (unsigned i = 0; i < p->n_anom; i++) {
        switch (p->anom[i]) {
        case ANOM_IPV4_PKT_TOO_SMALL:
        case ANOM_IPV4_HLEN_TOO_SMALL:
        case ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN:
        case ANOM_IPV4_TRUNC_PKT:
        case ANOM_IPV6_PKT_TOO_SMALL:
        case ANOM_IPV6_TRUNC_PKT:
            return true;
        default:
            break;
        }
    }
    return false;
}

void eve_alert(struct jw *w, const struct detect_alert *a)
{
    const struct rule *r = a->r;
    const struct flow *f = a->f;
    const struct packet *p = a->p;
    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", p ? p->ts : (f ? f->last : (struct vg_ts){0, 0}));
    if (f) jw_uint(w, "flow_id", f->flow_id);
    if (p) jw_uint(w, "pcap_cnt", p->pcap_cnt);
    jw_str(w, "event_type", "alert");
    if (p && p->vlan_cnt) {
        jw_arr_open(w, "vlan");
        for (unsigned i = 0; i < p->vlan_cnt && i < VG_PKT_MAX_VLAN; i++)
            jw_uint(w, NULL, p->vlan[i]);
        jw_arr_close(w);
    } else if (!p && f && f->vlan_cnt) {
        jw_arr_open(w, "vlan");
        for (unsigned i = 0; i < f->vlan_cnt && i < 2; i++)
            jw_uint(w, NULL, f->vlan[i]);
        jw_arr_close(w);
    }
    if (a->src == DETECT_SRC_PACKET && p && p->ip_ver && ip_layer_broken(p)) {
        /* Suricata logs no tuple for a packet whose IP header did not decode */
    } else if (a->src == DETECT_SRC_PACKET && p && p->ip_ver) {
        put_tuple(w, &p->src, p->sport, &p->dst, p->dport, p->proto);
    } else if (f) {
        if (a->dir == FLOW_TOCLIENT)
            put_tuple(w, &f->dst, f->dport, &f->src, f->sport, f->proto);
        else
            put_tuple(w, &f->src, f->sport, &f->dst, f->dport, f->proto);
    }
    if (a->src == DETECT_SRC_HTTP || a->src == DETECT_SRC_DNS) jw_uint(w, "tx_id", a->tx_id);
    if (a->src == DETECT_SRC_TLS || a->src == DETECT_SRC_SSH) jw_uint(w, "tx_id", 0);
    if (f) jw_str(w, "direction", a->dir == FLOW_TOCLIENT ? "to_client" : "to_server");

    jw_obj_open(w, "alert");
    jw_str(w, "action", "allowed");
    jw_uint(w, "gid", r->gid);
    jw_uint(w, "signature_id", r->sid);
    jw_uint(w, "rev", r->rev);
    jw_str(w, "signature", r->msg ? r->msg : "");
    if (r->class_desc) jw_str(w, "category", r->class_desc);
    jw_uint(w, "severity", r->priority);
    if (r->nmeta) {
        jw_obj_open(w, "metadata");
        for (uint32_t i = 0; i < r->nmeta; i++) {
            bool seen = false;
            for (uint32_t k = 0; k < i && !seen; k++)
                seen = strcmp(r->meta[k].key, r->meta[i].key) == 0;
            if (seen) continue;
            /* keys come from rule text: written escaped through an empty-key trick is not
             * possible with jw (keys are literals), so the member is written by hand */
            jw__begin(w, NULL);
            jw__put_escaped(w, (const unsigned char *)r->meta[i].key, strlen(r->meta[i].key));
            if (jw__reserve(w, 1)) w->buf[w->len++] = ':';
            w->first[w->depth] = true; /* the array below starts a value, not a member */
            jw_arr_open(w, NULL);
            for (uint32_t k = i; k < r->nmeta; k++)
                if (strcmp(r->meta[k].key, r->meta[i].key) == 0)
                    jw_str(w, NULL, r->meta[k].value ? r->meta[k].value : "");
            jw_arr_close(w);
            w->first[w->depth] = false;
        }
        jw_obj_close(w);
    }
    jw_obj_close(w);

    if (f && app_proto_name(f->app_proto)) jw_str(w, "app_proto", app_proto_name(f->app_proto));
    if (a->http) eve_http_fields(w, a->http);
    if (a->dns) eve_dns_fields(w, a->dns);
    if (a->tls) eve_tls_fields(w, a->tls);
    if (a->ssh) eve_ssh_fields(w, a->ssh);
    if (f) {
        jw_obj_open(w, "flow");
        jw_uint(w, "pkts_toserver", f->pkts[FLOW_TOSERVER]);
        jw_uint(w, "pkts_toclient", f->pkts[FLOW_TOCLIENT]);
        jw_uint(w, "bytes_toserver", f->bytes[FLOW_TOSERVER]);
        jw_uint(w, "bytes_toclient", f->bytes[FLOW_TOCLIENT]);
        put_ts(w, "start", f->start);
        jw_obj_close(w);
    }
    jw_obj_close(w);
}

void eve_alert_stats(struct jw *w, const struct detect_counters *c)
{
    jw_obj_open(w, "detect");
    jw_arr_open(w, "engines");
    jw_obj_open(w, NULL);
    jw_uint(w, "id", 0);
    jw_uint(w, "rules_loaded", c->rules_loaded);
    jw_uint(w, "rules_failed", c->rules_failed);
    jw_obj_close(w);
    jw_arr_close(w);
    jw_uint(w, "alert", c->alerts);
    jw_uint(w, "alert_queue_overflow", 0);
    jw_uint(w, "alerts_suppressed", c->alerts_suppressed);
    jw_obj_close(w);
}

void eve_alert_stats_vigil(struct jw *w, const struct detect_counters *c)
{
    jw_obj_open(w, "detect");
    jw_uint(w, "packets", c->packets);
    jw_uint(w, "stream_chunks", c->stream_chunks);
    jw_uint(w, "http_txs", c->http_txs);
    jw_uint(w, "dns_msgs", c->dns_msgs);
    jw_uint(w, "tls_sessions", c->tls_sessions);
    jw_uint(w, "ssh_sessions", c->ssh_sessions);
    jw_uint(w, "tamper_findings", c->tamper_findings);
    jw_uint(w, "prefilter_scans", c->prefilter_scans);
    jw_uint(w, "candidates", c->candidates);
    jw_uint(w, "matches", c->matches);
    jw_uint(w, "noalert_matches", c->noalert_matches);
    jw_uint(w, "pass_matches", c->pass_matches);
    jw_uint(w, "pass_suppressed", c->pass_suppressed);
    jw_uint(w, "backtrack_limit", c->backtrack_limit);
    jw_uint(w, "pcre_errors", c->pcre_errors);
    jw_uint(w, "scan_errors", c->scan_errors);
    jw_uint(w, "flow_state_full", c->flow_state_full);
    jw_uint(w, "threshold_full", c->threshold_full);
    jw_uint(w, "buffer_truncated", c->buffer_truncated);
    jw_uint(w, "tls_unbound", c->tls_unbound);
    jw_obj_close(w);
}
