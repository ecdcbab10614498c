/* eve.c - EVE event builders. Field names and shapes follow Suricata's EVE output
 * (etc/schema.json); see docs/eve.md for vigil's own keys. */
#include "output/eve.h"

#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "core/vg_anomaly.h"
#include "output/eve_alert.h"

const char *eve_proto_name(uint8_t proto, char *buf8)
{
    switch (proto) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "IPv6-ICMP";
    case 89: return "OSPF";
    case 103: return "PIM";
    case 112: return "VRRP";
    case 132: return "SCTP";
    }
    snprintf(buf8, 8, "%u", proto);
    return buf8;
}

/* Timestamps, IPv4 addresses and TCP flags are formatted straight into the event (digits need
 * no escaping): with the writer's own costs these were most of the cost of a flow event, and a
 * flow event is written for every flow. */
static void put_ts(struct jw *w, const char *key, struct vg_ts ts)
{
    char *o = jw__str_open(w, key, VG_TS_BUFLEN);
    if (o) jw__str_close(w, o + vg_ts_format(ts, o));
}

/* A timestamp formatted earlier (text of n bytes). */
static void put_ts_text(struct jw *w, const char *key, const char *text, size_t n)
{
    char *o = jw__str_open(w, key, n);
    if (!o) return;
    memcpy(o, text, n);
    jw__str_close(w, o + n);
}

static void put_addr(struct jw *w, const char *key, const struct vg_addr *a)
{
    if (a->family != 4) { /* IPv6 (and unset): vg_addr_str's inet_ntop */
        char b[VG_ADDR_STRLEN];
        jw_str(w, key, vg_addr_str(a, b));
        return;
    }
    char *o = jw__str_open(w, key, 16);
    if (!o) return;
    for (int i = 0; i < 4; i++) {
        unsigned v = a->a[i];
        if (v >= 100) {
            *o++ = (char)('0' + v / 100);
            v %= 100;
            *o++ = (char)('0' + v / 10);
        } else if (v >= 10) {
            *o++ = (char)('0' + v / 10);
        }
        *o++ = (char)('0' + v % 10);
        *o++ = '.';
    }
    jw__str_close(w, o - 1);
}

static bool has_ports(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132; }

/* The tuple of an event, in the orientation given (client → server for flows). */
static void put_tuple(struct jw *w, const struct vg_addr *src, uint16_t sport,
                      const struct vg_addr *dst, uint16_t dport, uint8_t proto)
{
    char p8[8];
    put_addr(w, "src_ip", src);
    if (has_ports(proto)) jw_uint(w, "src_port", sport);
    put_addr(w, "dest_ip", dst);
    if (has_ports(proto)) jw_uint(w, "dest_port", dport);
    jw_str_plain(w, "proto", eve_proto_name(proto, p8));
}

static void put_tcp_flags(struct jw *w, const char *key, uint8_t fl)
{
    static const char hex[] = "0123456789abcdef";
    char *o = jw__str_open(w, key, 2);
    if (!o) return;
    o[0] = hex[fl >> 4];
    o[1] = hex[fl & 15];
    jw__str_close(w, o + 2);
}

static void put_vlan(struct jw *w, const uint16_t *vlan, unsigned n)
{
    if (!n) return;
    jw_arr_open(w, "vlan");
    for (unsigned i = 0; i < n; i++) jw_uint(w, NULL, vlan[i]);
    jw_arr_close(w);
}

void eve_flow(struct jw *w, const struct flow *f)
{
    /* "timestamp" and "flow.end" are both f->last: formatted once. */
    char last[VG_TS_BUFLEN];
    size_t last_n = vg_ts_format(f->last, last);
    jw_obj_open(w, NULL);
    put_ts_text(w, "timestamp", last, last_n);
    jw_uint(w, "flow_id", f->flow_id);
    jw_str_plain(w, "event_type", "flow");
    put_vlan(w, f->vlan, f->vlan_cnt);
    put_tuple(w, &f->src, f->sport, &f->dst, f->dport, f->proto);
    if (app_proto_name(f->app_proto)) jw_str_plain(w, "app_proto", app_proto_name(f->app_proto));
    if (f->proto == 1 || f->proto == 58) {
        jw_uint(w, "icmp_type", f->icmp_type);
        jw_uint(w, "icmp_code", f->icmp_code);
        if (f->resp_icmp_seen) {
            jw_uint(w, "response_icmp_type", f->resp_icmp_type);
            jw_uint(w, "response_icmp_code", f->resp_icmp_code);
        }
    }
    jw_obj_open(w, "flow");
    jw_uint(w, "pkts_toserver", f->pkts[FLOW_TOSERVER]);
    jw_uint(w, "pkts_toclient", f->pkts[FLOW_TOCLIENT]);
    jw_uint(w, "bytes_toserver", f->bytes[FLOW_TOSERVER]);
    jw_uint(w, "bytes_toclient", f->bytes[FLOW_TOCLIENT]);
    put_ts(w, "start", f->start);
    put_ts_text(w, "end", last, last_n);
    jw_uint(w, "age", (uint64_t)(f->last.sec - f->start.sec));
    jw_str_plain(w, "state", flow_state_str(f));
    jw_str_plain(w, "reason", flow_end_reason_str(f->end_reason));
    jw_bool(w, "alerted", f->alerted);
    jw_obj_close(w);
    if (f->proto == 6) {
        uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
        jw_obj_open(w, "tcp");
        put_tcp_flags(w, "tcp_flags", all);
        put_tcp_flags(w, "tcp_flags_ts", f->tcp_flags[FLOW_TOSERVER]);
        put_tcp_flags(w, "tcp_flags_tc", f->tcp_flags[FLOW_TOCLIENT]);
        static const struct {
            uint8_t bit;
            const char *name;
        } names[] = {{VG_TCP_FIN, "fin"}, {VG_TCP_SYN, "syn"}, {VG_TCP_RST, "rst"},
                     {VG_TCP_PSH, "psh"}, {VG_TCP_ACK, "ack"}, {VG_TCP_URG, "urg"},
                     {VG_TCP_ECE, "ecn"}, {VG_TCP_CWR, "cwr"}};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (all & names[i].bit) jw_bool(w, names[i].name, true);
        jw_str_plain(w, "state", flow_tcp_state_str(f->tcp_state));
        jw_obj_close(w);
    }
    jw_obj_close(w);
}

void eve_anomaly(struct jw *w, const struct packet *p, const struct flow *f, int anom)
{
    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", p ? p->ts : f->last);
    if (f) jw_uint(w, "flow_id", f->flow_id);
    if (p) jw_uint(w, "pcap_cnt", p->pcap_cnt);
    jw_str(w, "event_type", "anomaly");
    if (p) {
        put_vlan(w, p->vlan, p->vlan_cnt > VG_PKT_MAX_VLAN ? VG_PKT_MAX_VLAN : p->vlan_cnt);
        if (p->ip_ver) put_tuple(w, &p->src, p->sport, &p->dst, p->dport, p->proto);
    } else if (f) {
        put_vlan(w, f->vlan, f->vlan_cnt);
        put_tuple(w, &f->src, f->sport, &f->dst, f->dport, f->proto);
    }
    const char *type = vg_anomaly_type(anom);
    jw_obj_open(w, "anomaly");
    if (f && type && strcmp(type, "applayer") == 0 && app_proto_name(f->app_proto))
        jw_str(w, "app_proto", app_proto_name(f->app_proto));
    jw_str(w, "type", type);
    jw_str(w, "event", vg_anomaly_name(anom));
    jw_obj_close(w);
    jw_obj_close(w);
}

/* Writes the Suricata-known anomaly counters as stats.decoder.event.<layer>.<name>, grouped by
 * layer (the table lists each layer's entries together). */
static void put_decoder_events(struct jw *w, const struct decode_counters *d)
{
    jw_obj_open(w, "event");
    char layer[32] = "";
    bool open = false;
    for (int i = 0; i < VG_ANOMALY_COUNT; i++) {
        if (!vg_anomaly_suricata_known(i)) continue;
        const char *name = vg_anomaly_name(i); /* "decoder.<layer>.<event>" */
        const char *l = strchr(name, '.');
        const char *e = l ? strchr(l + 1, '.') : NULL;
        if (!l || !e || (size_t)(e - l - 1) >= sizeof layer) continue;
        if (strncmp(layer, l + 1, (size_t)(e - l - 1)) != 0 || layer[e - l - 1] != '\0') {
            if (open) jw_obj_close(w);
            memcpy(layer, l + 1, (size_t)(e - l - 1));
            layer[e - l - 1] = '\0';
            jw_obj_open(w, layer);
            open = true;
        }
        jw_uint(w, e + 1, d->anomalies[i]);
    }
    if (open) jw_obj_close(w);
    jw_obj_close(w);
}

void eve_stats(struct jw *w, const struct eve_stats_in *in)
{
    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", in->ts);
    jw_str(w, "event_type", "stats");
    jw_obj_open(w, "stats");
    jw_uint(w, "uptime", in->uptime_s);
    const struct decode_counters *d = in->dec;
    if (d) {
        jw_obj_open(w, "decoder");
        jw_uint(w, "pkts", d->pkts);
        jw_uint(w, "bytes", d->bytes);
        jw_uint(w, "invalid", d->invalid);
        jw_uint(w, "ethernet", d->ethernet);
        jw_uint(w, "vlan", d->vlan);
        jw_uint(w, "vlan_qinq", d->vlan_qinq);
        jw_uint(w, "mpls", d->mpls);
        jw_uint(w, "pppoe", d->pppoe);
        jw_uint(w, "ppp", d->ppp);
        jw_uint(w, "sll", d->sll);
        jw_uint(w, "sll2", d->sll2);
        jw_uint(w, "null", d->null);
        jw_uint(w, "raw", d->raw);
        jw_uint(w, "ipv4", d->ipv4);
        jw_uint(w, "ipv6", d->ipv6);
        jw_uint(w, "tcp", d->tcp);
        jw_uint(w, "udp", d->udp);
        jw_uint(w, "icmpv4", d->icmpv4);
        jw_uint(w, "icmpv6", d->icmpv6);
        jw_uint(w, "gre", d->gre);
        jw_uint(w, "vxlan", d->vxlan);
        jw_uint(w, "avg_pkt_size", d->pkts ? d->bytes / d->pkts : 0);
        put_decoder_events(w, d);
        jw_obj_close(w);
        jw_obj_open(w, "defrag");
        jw_obj_open(w, "ipv4");
        jw_uint(w, "fragments", d->frag_ipv4);
        jw_uint(w, "reassembled", d->reasm_ipv4);
        jw_obj_close(w);
        jw_obj_open(w, "ipv6");
        jw_uint(w, "fragments", d->frag_ipv6);
        jw_uint(w, "reassembled", d->reasm_ipv6);
        jw_obj_close(w);
        jw_uint(w, "max_trackers_reached", d->frag_memcap_drops);
        jw_uint(w, "memuse", d->frag_memuse);
        jw_obj_close(w);
    }
    const struct flow_counters *fc = in->flow;
    if (fc) {
        jw_obj_open(w, "flow");
        jw_uint(w, "total", fc->total);
        jw_uint(w, "active", fc->active);
        jw_uint(w, "tcp", fc->tcp);
        jw_uint(w, "udp", fc->udp);
        jw_uint(w, "icmpv4", fc->icmpv4);
        jw_uint(w, "icmpv6", fc->icmpv6);
        jw_uint(w, "memcap", fc->memcap_hits);
        jw_obj_close(w);
    }
    const struct stream_counters *sc = in->stream;
    if (sc) {
        jw_obj_open(w, "tcp");
        jw_uint(w, "sessions", sc->sessions);
        jw_uint(w, "midstream_pickups", sc->midstream_pickups);
        jw_uint(w, "ssn_memcap_drop", sc->ssn_memcap_drops);
        jw_uint(w, "segment_memcap_drop", sc->queue_drops);
        jw_uint(w, "reassembly_gap", sc->gaps);
        jw_uint(w, "overlap", sc->retransmissions + sc->overlaps_different);
        jw_uint(w, "overlap_diff_data", sc->overlaps_different);
        jw_uint(w, "memuse", sc->memuse);
        jw_obj_close(w);
    }
    if (in->detect) eve_alert_stats(w, in->detect);
    if (in->live) {
        jw_obj_open(w, "capture");
        jw_uint(w, "kernel_packets", in->live->kernel_packets);
        jw_uint(w, "kernel_drops", in->live->kernel_drops);
        jw_uint(w, "kernel_ifdrops", in->live->kernel_ifdrops);
        jw_obj_close(w);
    }
    jw_obj_close(w); /* stats */

    /* vigil's own counters: everything Suricata's schema has no place for. */
    jw_obj_open(w, "vigil");
    jw_obj_open(w, "stats");
    if (d) {
        jw_obj_open(w, "anomalies");
        for (int i = 0; i < VG_ANOMALY_COUNT; i++)
            if (d->anomalies[i]) jw_uint(w, vg_anomaly_name(i), d->anomalies[i]);
        jw_obj_close(w);
        jw_uint(w, "ipv4_checksum_bad", d->ipv4_csum_bad);
        jw_uint(w, "l4_checksum_bad", d->l4_csum_bad);
        jw_uint(w, "unsupported_linktype", d->unsupported_linktype);
        jw_uint(w, "defrag_timeouts", d->frag_timeouts);
        jw_uint(w, "defrag_memcap_drops", d->frag_memcap_drops);
    }
    if (fc) {
        jw_uint(w, "flows_ended_timeout", fc->ended_timeout);
        jw_uint(w, "flows_ended_forced", fc->ended_forced);
        jw_uint(w, "flows_ended_shutdown", fc->ended_shutdown);
        jw_uint(w, "flows_ended_tcp_reuse", fc->ended_tcp_reuse);
        jw_uint(w, "packets_without_flow", fc->no_flow);
        jw_uint(w, "flows_active_max", fc->active_max);
    }
    if (sc) {
        jw_obj_open(w, "stream");
        jw_uint(w, "segments", sc->segments);
        jw_uint(w, "retransmissions", sc->retransmissions);
        jw_uint(w, "retransmitted_bytes", sc->retransmitted_bytes);
        jw_uint(w, "synack_races", sc->synack_races);
        jw_uint(w, "gap_bytes", sc->gap_bytes);
        jw_uint(w, "queued_segments", sc->queued_segments);
        jw_uint(w, "queue_full", sc->queue_full);
        jw_uint(w, "memcap_hits", sc->memcap_hits);
        jw_uint(w, "flow_memcap_hits", sc->flow_memcap_hits);
        jw_uint(w, "memuse_max", sc->memuse_max);
        jw_uint(w, "invalid", sc->invalid);
        jw_uint(w, "keepalives", sc->keepalives);
        jw_uint(w, "zero_window_probes", sc->zero_window_probes);
        jw_uint(w, "unverified_bytes", sc->unverified_bytes);
        jw_uint(w, "facts_dropped", sc->facts_dropped);
        jw_obj_close(w);
    }
    const struct app_counters *ac = in->app;
    if (ac) {
        jw_obj_open(w, "app_layer");
        for (int i = 1; i < APP_PROTO_COUNT; i++) jw_uint(w, app_proto_name(i), ac->flows[i]);
        jw_uint(w, "state_nomem", ac->state_nomem);
        jw_uint(w, "probe_buffer_full", ac->probe_bytes_max);
        jw_obj_close(w);
    }
    const struct tamper_counters *tc = in->tamper;
    if (tc) {
        jw_obj_open(w, "tamper");
        jw_uint(w, "flows", tc->flows);
        jw_uint(w, "facts", tc->facts);
        jw_uint(w, "repeats", tc->repeats);
        jw_uint(w, "no_state_pkts", tc->no_state_pkts);
        jw_uint(w, "finding_pool_exhausted", tc->finding_pool_exhausted);
        jw_uint(w, "keepalive_overlaps", tc->keepalive_overlaps);
        jw_uint(w, "synack_after_syn_retransmit", tc->synack_after_syn_retransmit);
        jw_uint(w, "below_threshold", tc->below_threshold);
        jw_obj_open(w, "inpath");
        jw_uint(w, "candidates", tc->inpath_candidates);
        jw_uint(w, "dismissed", tc->inpath_dismissed);
        jw_obj_open(w, "hosts");
        jw_uint(w, "entries", tc->host_entries);
        jw_uint(w, "capacity", tc->host_capacity);
        jw_uint(w, "memory_bytes", tc->host_memory_bytes);
        jw_uint(w, "inserts", tc->host_inserts);
        jw_uint(w, "evictions", tc->host_evictions);
        jw_uint(w, "cap_hits", tc->host_cap_hits);
        jw_obj_close(w);
        jw_obj_close(w);
        jw_obj_open(w, "findings");
        for (int i = 0; i < TAMPER_SIG_COUNT; i++)
            if (tc->findings[i]) jw_uint(w, tamper_sig_subtype(i), tc->findings[i]);
        jw_obj_close(w);
        const struct tamper_lan_counters *lc = &tc->lan;
        jw_obj_open(w, "lan");
        jw_uint(w, "arp", lc->arp);
        jw_uint(w, "nd", lc->nd);
        jw_uint(w, "bindings", lc->bindings);
        jw_uint(w, "bind_cap", lc->bind_cap);
        jw_uint(w, "bind_evictions", lc->bind_evictions);
        jw_uint(w, "bind_aged", lc->bind_aged);
        jw_uint(w, "macs", lc->macs);
        jw_uint(w, "mac_evictions", lc->mac_evictions);
        jw_uint(w, "routers", lc->routers);
        jw_uint(w, "router_cap_hits", lc->router_cap_hits);
        jw_uint(w, "changes", lc->changes);
        jw_uint(w, "rebinds", lc->rebinds);
        jw_uint(w, "virtual_mac", lc->virtual_mac);
        jw_uint(w, "ra_changes", lc->ra_changes);
        jw_uint(w, "below_threshold", lc->below_threshold);
        jw_uint(w, "max_below", lc->max_below);
        jw_uint(w, "repeats", lc->repeats);
        jw_obj_close(w);
        jw_obj_close(w);
    }
    if (in->detect) eve_alert_stats_vigil(w, in->detect);
    jw_uint(w, "capture_errors", in->capture_errors);
    jw_uint(w, "files_ok", in->files_ok);
    jw_uint(w, "files_failed", in->files_failed);
    if (in->output_json && in->output_json_len) jw_raw(w, "output", in->output_json, in->output_json_len);
    if (in->live) {
        jw_obj_open(w, "capture");
        jw_uint(w, "freeze_q_cnt", in->live->freeze_q);
        jw_uint(w, "worker", in->live->worker);
        jw_uint(w, "workers", in->live->workers);
        jw_uint(w, "reloads", in->live->reloads);
        jw_uint(w, "reload_failures", in->live->reload_failures);
        jw_uint(w, "rules_generation", in->live->rules_generation);
        jw_obj_close(w);
    }
    jw_obj_close(w);
    jw_obj_close(w);
    jw_obj_close(w);
}
