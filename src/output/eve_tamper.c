/* eve_tamper.c - EVE alert events for tamper findings (EVE-EXTENSIONS.md, docs/tamper.md).
 * Everything outside the `tamper` key follows Suricata's alert event (etc/schema.json).
 * Contestants of TCP findings (races, resets, http_race) carry the segment fields and payload;
 * those of a dns_race (UDP) carry the IP fields and the response instead (rcode, answers). */
#include "output/eve_tamper.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "app/dns/dns.h"
#include "core/vg_addr.h"
#include "core/vg_time.h"
#include "output/evidence_pcap.h"


void eve_tamper_put_alert(struct jw *w, int sig)
{
    jw_obj_open(w, "alert");
    jw_str(w, "action", "allowed");
    jw_uint(w, "gid", TAMPER_GID);
    jw_uint(w, "signature_id", tamper_sig_sid(sig));
    jw_uint(w, "rev", tamper_sig_rev(sig));
    jw_str(w, "signature", tamper_sig_msg(sig));
    jw_str(w, "category", TAMPER_CATEGORY);
    jw_uint(w, "severity", (uint64_t)tamper_sig_severity(sig));
    jw_obj_close(w);
}
static void put_ts(struct jw *w, const char *key, struct vg_ts ts)
{
    char b[VG_TS_BUFLEN];
    size_t n = vg_ts_format(ts, b);
    jw_strn(w, key, b, n);
}

static const char *proto_name(uint8_t proto, char *buf8)
{
    switch (proto) {
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 1:
        return "ICMP";
    case 58:
        return "IPv6-ICMP";
    }
    snprintf(buf8, 8, "%u", proto);
    return buf8;
}

static void put_hex8(struct jw *w, const char *key, uint8_t v)
{
    static const char hex[] = "0123456789abcdef";
    char b[3] = {hex[v >> 4], hex[v & 15], 0};
    jw_str(w, key, b);
}

static void put_payload(struct jw *w, const struct tamper_contestant *c)
{
    /* On the stack (about 10 KiB): workers are threads, so no static scratch. */
    unsigned char b64[4 * ((TAMPER_PAYLOAD_MAX + 2) / 3) + 1];
    char printable[TAMPER_PAYLOAD_MAX];
    uint32_t n = c->payload_len > TAMPER_PAYLOAD_MAX ? TAMPER_PAYLOAD_MAX : c->payload_len;
    b64[0] = '\0';
    int bl = n ? EVP_EncodeBlock(b64, c->payload, (int)n) : 0;
    jw_strn(w, "payload", b64, bl > 0 ? (size_t)bl : 0);
    /* Suricata's PrintStringsToBuffer: isprint() bytes, CR and LF kept, the rest '.' */
    for (uint32_t i = 0; i < n; i++) {
        unsigned char ch = c->payload[i];
        printable[i] = (isprint(ch) || ch == '\n' || ch == '\r') ? (char)ch : '.';
    }
    jw_strn(w, "payload_printable", printable, n);
    jw_bool(w, "payload_truncated", c->payload_truncated || c->payload_len > TAMPER_PAYLOAD_MAX);
    if (n && c->payload_seq != c->seq) jw_uint(w, "payload_seq", c->payload_seq);
}

static void put_departs(struct jw *w, const struct tamper_contestant *c)
{
    jw_arr_open(w, "departs");
    for (unsigned i = 0; i < TAMPER_FIELD_COUNT; i++)
        if (c->departs & (1u << i)) jw_str(w, NULL, tamper_field_name(i));
    jw_arr_close(w);
}

/* A dns_race contestant: one UDP response as it looked on the wire and what it answered. */
static void put_dns_contestant(struct jw *w, const struct tamper_contestant *c)
{
    char b[8];
    jw_obj_open(w, NULL);
    jw_str(w, "verdict", tamper_verdict_str(c->verdict));
    jw_uint(w, "pcap_cnt", c->pcap_cnt);
    put_ts(w, "timestamp", c->ts);
    if (c->delay_us >= 0) jw_double(w, "delay_ms", (double)c->delay_us / 1000.0, 3);
    jw_uint(w, "ttl", c->ttl);
    jw_uint(w, "ip_id", c->ip_id);
    jw_bool(w, "df", c->df);
    put_departs(w, c);
    jw_str(w, "rcode", dns_rcode_str(c->dns_rcode, b));
    jw_uint(w, "dns_answer_count", c->dns_nanswers);
    jw_strn(w, "dns_answers", c->dns_answers, strnlen(c->dns_answers, sizeof c->dns_answers));
    jw_bool(w, "dns_answers_truncated", c->app_text_truncated);
    jw_obj_close(w);
}

static void put_contestant(struct jw *w, const struct tamper_contestant *c, bool http)
{
    char opts[128];
    jw_obj_open(w, NULL);
    jw_str(w, "verdict", tamper_verdict_str(c->verdict));
    jw_uint(w, "pcap_cnt", c->pcap_cnt);
    put_ts(w, "timestamp", c->ts);
    jw_uint(w, "seq", c->seq);
    if (c->tcp_flags & VG_TCP_ACK) jw_uint(w, "ack", c->ack);
    jw_uint(w, "len", c->len);
    put_hex8(w, "tcp_flags", c->tcp_flags);
    jw_uint(w, "ttl", c->ttl);
    jw_uint(w, "ip_id", c->ip_id);
    jw_bool(w, "df", c->df);
    tamper_options_str(c->opts.layout, c->opts.layout_len, opts, sizeof opts);
    jw_str(w, "tcp_options", opts);
    jw_uint(w, "window", c->window);
    if (c->opts.has_ts) {
        jw_uint(w, "tsval", c->opts.ts_val);
        jw_uint(w, "tsecr", c->opts.ts_ecr);
    }
    put_departs(w, c);
    if (http) {
        if (c->http_status) jw_uint(w, "http_status", (uint64_t)c->http_status);
        if (c->http_location[0])
            jw_strn(w, "http_location", c->http_location,
                    strnlen(c->http_location, sizeof c->http_location));
        if (c->http_content_length >= 0)
            jw_uint(w, "http_content_length", (uint64_t)c->http_content_length);
    }
    put_payload(w, c);
    jw_obj_close(w);
}

/* An in-path contestant of a UDP flow (a DNS answer): the IP fields and the payload. */
static void put_udp_contestant(struct jw *w, const struct tamper_contestant *c)
{
    jw_obj_open(w, NULL);
    jw_str(w, "verdict", tamper_verdict_str(c->verdict));
    jw_uint(w, "pcap_cnt", c->pcap_cnt);
    put_ts(w, "timestamp", c->ts);
    jw_uint(w, "ttl", c->ttl);
    jw_uint(w, "ip_id", c->ip_id);
    jw_bool(w, "df", c->df);
    jw_uint(w, "len", c->payload_len);
    put_payload(w, c);
    jw_obj_close(w);
}

/* inpath_rewrite / injected_redirect: the server's baseline over its earlier flows and the
 * redirect (docs/tamper.md). */
static void put_inpath(struct jw *w, const struct tamper_finding *fd)
{
    if (fd->host.valid) {
        jw_obj_open(w, "server_baseline");
        jw_uint(w, "flows", fd->host.flows);
        jw_uint(w, "initial_ttl", fd->host.initial_ttl);
        jw_uint(w, "hops_min", fd->host.hops_min);
        jw_uint(w, "hops_max", fd->host.hops_max);
        if (fd->host.df >= 0) jw_bool(w, "df", fd->host.df == 1);
        if (fd->host.ts >= 0) {
            jw_bool(w, "tcp_timestamps", fd->host.ts == 1);
            jw_str(w, "tcp_options", fd->host.tcp_options);
        }
        if (fd->host.http_responses) {
            jw_uint(w, "http_responses", fd->host.http_responses);
            if (fd->host.server_header[0]) jw_str(w, "http_server", fd->host.server_header);
        }
        jw_obj_close(w);
    }
    if (fd->redirect.valid) {
        jw_obj_open(w, "redirect");
        jw_str(w, "kind", fd->redirect.kind ? fd->redirect.kind : "");
        jw_uint(w, "status", (uint64_t)fd->redirect.status);
        jw_strn(w, "location", fd->redirect.location,
                strnlen(fd->redirect.location, sizeof fd->redirect.location));
        jw_str(w, "target_domain", fd->redirect.target_domain);
        jw_str(w, "host_domain", fd->redirect.host_domain);
        jw_obj_close(w);
    }
}

/* tcp false (a dns_race over UDP): the TCP-only fields are left out. */
static void put_baseline(struct jw *w, const struct tamper_baseline_summary *b, bool tcp)
{
    jw_obj_open(w, "baseline");
    jw_arr_open(w, "ttl");
    for (unsigned i = 0; i < b->n_ttl && i < 4; i++)
        jw_uint(w, NULL, b->ttl[i]);
    jw_arr_close(w);
    if (b->n_ttl) {
        jw_uint(w, "initial_ttl", b->initial_ttl);
        jw_uint(w, "hops", b->hops);
    }
    jw_str(w, "ip_id", b->ip_id ? b->ip_id : "unknown");
    if (b->df >= 0) jw_bool(w, "df", b->df == 1);
    if (tcp && b->has_options) {
        char opts[128];
        tamper_options_str(b->layout, b->layout_len, opts, sizeof opts);
        jw_str(w, "tcp_options", opts);
    }
    if (tcp && b->has_window) jw_uint(w, "window", b->window);
    if (tcp && b->wscale >= 0) jw_uint(w, "wscale", (uint64_t)b->wscale);
    if (tcp && b->ts_hz) jw_uint(w, "ts_hz", b->ts_hz);
    jw_uint(w, "samples", b->samples);
    jw_uint(w, "samples_before_race", b->samples_before);
    jw_obj_close(w);
}

void eve_tamper_alert_ev(struct jw *w, const struct flow *f, const struct tamper_finding *fd,
                         const struct evidence_ctx *ev)
{
    char a[VG_ADDR_STRLEN], p8[8];
    /* the event is stamped with the later contestant (the only one of a one-contestant finding) */
    const struct tamper_contestant *last = &fd->c[1];
    if (fd->n_contestants == 1 || fd->c[0].pcap_cnt > fd->c[1].pcap_cnt) last = &fd->c[0];
    bool toserver = fd->dir == FLOW_TOSERVER;
    const struct vg_addr *src = toserver ? &f->src : &f->dst, *dst = toserver ? &f->dst : &f->src;
    uint16_t sport = toserver ? f->sport : f->dport, dport = toserver ? f->dport : f->sport;
    const char *dirs = toserver ? "to_server" : "to_client";

    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", last->ts);
    jw_uint(w, "flow_id", f->flow_id);
    jw_uint(w, "pcap_cnt", last->pcap_cnt);
    jw_str(w, "event_type", "alert");
    if (f->vlan_cnt) {
        jw_arr_open(w, "vlan");
        for (unsigned i = 0; i < f->vlan_cnt && i < 2; i++)
            jw_uint(w, NULL, f->vlan[i]);
        jw_arr_close(w);
    }
    jw_str(w, "src_ip", vg_addr_str(src, a));
    jw_uint(w, "src_port", sport);
    jw_str(w, "dest_ip", vg_addr_str(dst, a));
    jw_uint(w, "dest_port", dport);
    jw_str(w, "proto", proto_name(f->proto, p8));
    jw_str(w, "direction", dirs);

    eve_tamper_put_alert(w, fd->sig);

    jw_obj_open(w, "flow");
    jw_uint(w, "pkts_toserver", f->pkts[FLOW_TOSERVER]);
    jw_uint(w, "pkts_toclient", f->pkts[FLOW_TOCLIENT]);
    jw_uint(w, "bytes_toserver", f->bytes[FLOW_TOSERVER]);
    jw_uint(w, "bytes_toclient", f->bytes[FLOW_TOCLIENT]);
    put_ts(w, "start", f->start);
    jw_str(w, "src_ip", vg_addr_str(&f->src, a));
    jw_uint(w, "src_port", f->sport);
    jw_str(w, "dest_ip", vg_addr_str(&f->dst, a));
    jw_uint(w, "dest_port", f->dport);
    jw_obj_close(w);

    jw_obj_open(w, "tamper");
    jw_str(w, "class", tamper_sig_class(fd->sig));
    jw_str(w, "subtype", tamper_sig_subtype(fd->sig));
    jw_uint(w, "confidence", fd->confidence);
    jw_arr_open(w, "reasons");
    for (unsigned i = 0; i < fd->n_reasons && i < TAMPER_MAX_REASONS; i++)
        jw_strn(w, NULL, fd->reasons[i], strnlen(fd->reasons[i], TAMPER_REASON_LEN));
    jw_arr_close(w);
    jw_str(w, "direction", dirs);
    if (fd->ov_len) {
        jw_obj_open(w, "overlap");
        jw_uint(w, "seq", fd->ov_seq);
        jw_uint(w, "len", fd->ov_len);
        jw_uint(w, "differing_bytes", fd->diff_bytes);
        jw_obj_close(w);
    }
    if (fd->sig == TAMPER_SIG_DNS_RACE) {
        char t[8];
        jw_obj_open(w, "dns");
        jw_uint(w, "id", fd->dns.id);
        jw_strn(w, "rrname", fd->dns.qname, strnlen(fd->dns.qname, sizeof fd->dns.qname));
        jw_str(w, "rrtype", dns_rrtype_str(fd->dns.qtype, t));
        if (fd->dns.query_seen) {
            jw_uint(w, "query_pcap_cnt", fd->dns.query_pcap_cnt);
            put_ts(w, "query_timestamp", fd->dns.query_ts);
        }
        jw_obj_close(w);
    }
    put_inpath(w, fd);
    jw_arr_open(w, "contestants");
    int nc = fd->n_contestants == 1 ? 1 : 2;
    bool http = fd->sig == TAMPER_SIG_HTTP_RACE || fd->redirect.valid;
    for (int i = 0; i < nc; i++) {
        if (fd->sig == TAMPER_SIG_DNS_RACE)
            put_dns_contestant(w, &fd->c[i]);
        else if (f->proto == 17)
            put_udp_contestant(w, &fd->c[i]);
        else
            put_contestant(w, &fd->c[i], http);
    }
    jw_arr_close(w);
    put_baseline(w, &fd->baseline, f->proto == 6);
    jw_uint(w, "count", fd->count);
    /* The sender's packets as kept in the evidence file (TTL / IP ID / window over time): what
     * the report plots. Only when evidence is on. */
    if (ev) evidence_put_series(ev, f, w, fd->dir);
    jw_obj_close(w);

    if (ev) {
        uint64_t cnt[2] = {fd->c[0].pcap_cnt, fd->c[1].pcap_cnt};
        evidence_put_json(ev, f, w, cnt, fd->n_contestants == 1 ? 1 : 2);
    }
    jw_obj_close(w);
}

void eve_tamper_alert(struct jw *w, const struct flow *f, const struct tamper_finding *fd)
{
    eve_tamper_alert_ev(w, f, fd, NULL);
}
