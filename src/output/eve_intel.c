/* eve_intel.c - EVE alert events for indicator matches and beacons (EVE-EXTENSIONS.md, docs/eve.md,
 * docs/intel.md). Everything outside the `ioc` / `beacon` keys follows Suricata's alert event
 * (etc/schema.json). */
#include "output/eve_intel.h"

#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "core/vg_addr.h"
#include "core/vg_time.h"
#include "output/eve.h"

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

static void put_alert(struct jw *w, uint32_t sid, const char *category, unsigned severity)
{
    jw_obj_open(w, "alert");
    jw_str(w, "action", "allowed");
    jw_uint(w, "gid", INTEL_GID);
    jw_uint(w, "signature_id", sid);
    jw_uint(w, "rev", 1);
    jw_str(w, "signature", intel_sig_msg(sid));
    jw_str(w, "category", category);
    jw_uint(w, "severity", severity);
    jw_obj_close(w);
}

void eve_intel_ioc_alert(struct jw *w, const struct flow *f, const struct intel_hit *h)
{
    char a[VG_ADDR_STRLEN], p8[8];
    bool ts = h->dir != FLOW_TOCLIENT;
    const struct vg_addr *src = ts ? &f->src : &f->dst, *dst = ts ? &f->dst : &f->src;
    uint16_t sport = ts ? f->sport : f->dport, dport = ts ? f->dport : f->sport;

    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", h->ts);
    jw_uint(w, "flow_id", f->flow_id);
    if (h->pcap_cnt) jw_uint(w, "pcap_cnt", h->pcap_cnt);
    jw_str(w, "event_type", "alert");
    if (f->vlan_cnt) {
        jw_arr_open(w, "vlan");
        for (unsigned i = 0; i < f->vlan_cnt && i < 2; i++)
            jw_uint(w, NULL, f->vlan[i]);
        jw_arr_close(w);
    }
    jw_str(w, "src_ip", vg_addr_str(src, a));
    if (has_ports(f->proto)) jw_uint(w, "src_port", sport);
    jw_str(w, "dest_ip", vg_addr_str(dst, a));
    if (has_ports(f->proto)) jw_uint(w, "dest_port", dport);
    jw_str(w, "proto", eve_proto_name(f->proto, p8));
    if (app_proto_name(f->app_proto)) jw_str(w, "app_proto", app_proto_name(f->app_proto));
    jw_str(w, "direction", ts ? "to_server" : "to_client");

    put_alert(w, INTEL_SID_IOC_BASE + (uint32_t)(h->type >= 0 ? h->type : 0), INTEL_CATEGORY_IOC,
              1);

    jw_obj_open(w, "flow");
    jw_uint(w, "pkts_toserver", f->pkts[FLOW_TOSERVER]);
    jw_uint(w, "pkts_toclient", f->pkts[FLOW_TOCLIENT]);
    jw_uint(w, "bytes_toserver", f->bytes[FLOW_TOSERVER]);
    jw_uint(w, "bytes_toclient", f->bytes[FLOW_TOCLIENT]);
    put_ts(w, "start", f->start);
    jw_str(w, "src_ip", vg_addr_str(&f->src, a));
    if (has_ports(f->proto)) jw_uint(w, "src_port", f->sport);
    jw_str(w, "dest_ip", vg_addr_str(&f->dst, a));
    if (has_ports(f->proto)) jw_uint(w, "dest_port", f->dport);
    jw_obj_close(w);

    jw_obj_open(w, "ioc");
    jw_str(w, "indicator", h->indicator);
    jw_str(w, "type", ioc_type_name(h->type));
    jw_str(w, "source", h->source);
    jw_str(w, "matched_on", h->matched_on);
    jw_obj_close(w);
    jw_obj_close(w);
}

void eve_intel_beacon_alert(struct jw *w, const struct beacon_finding *b)
{
    char a[VG_ADDR_STRLEN], p8[8];
    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", b->last_seen);
    jw_uint(w, "flow_id", b->flow_id);
    jw_str(w, "event_type", "alert");
    jw_str(w, "src_ip", vg_addr_str(&b->client, a));
    jw_str(w, "dest_ip", vg_addr_str(&b->server, a));
    if (has_ports(b->proto)) jw_uint(w, "dest_port", b->dport);
    jw_str(w, "proto", eve_proto_name(b->proto, p8));
    jw_str(w, "direction", "to_server");

    put_alert(w, b->by_name ? INTEL_SID_BEACON_NAME : INTEL_SID_BEACON_ADDR, INTEL_CATEGORY_BEACON,
              2);

    jw_obj_open(w, "beacon");
    jw_double(w, "score", b->s.score, 3);
    jw_obj_open(w, "scores");
    jw_double(w, "interval", b->s.interval, 3);
    jw_double(w, "size", b->s.size, 3);
    jw_double(w, "duration", b->s.duration, 3);
    jw_double(w, "histogram", b->s.histogram, 3);
    jw_obj_close(w);
    jw_uint(w, "connections", b->s.connections);
    jw_double(w, "period_s", b->s.period_s, 3);
    jw_double(w, "jitter_pct", b->s.jitter_pct, 1);
    jw_uint(w, "bytes_median", b->s.bytes_median);
    put_ts(w, "first_seen", b->first_seen);
    put_ts(w, "last_seen", b->last_seen);
    if (b->server_name)
        jw_str(w, "server_name", b->server_name);
    else
        jw_null(w, "server_name");
    jw_obj_close(w);
    jw_obj_close(w);
}
