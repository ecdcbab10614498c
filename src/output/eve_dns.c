/* eve_dns.c - see eve_dns.h. Suricata 8 EVE DNS v3: rust/src/dns/log.rs (log_json). */
#include "output/eve_dns.h"

#include <stdio.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------------------- */

static void put_ts(struct jw *w, const char *key, struct vg_ts ts)
{
    char b[VG_TS_BUFLEN];
    size_t n = vg_ts_format(ts, b);
    jw_strn(w, key, b, n);
}

/* Suricata's address text: dotted quad, or eight zero-padded groups ("2a00:1450:...:0000:200e"). */
static void put_addr(struct jw *w, const char *key, const struct dns_rr *rr)
{
    char b[48];
    const uint8_t *a = rr->u.addr;
    if (rr->type == DNS_TYPE_A) {
        snprintf(b, sizeof b, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    } else {
        size_t n = 0;
        for (int i = 0; i < 16; i += 2)
            n += (size_t)snprintf(b + n, sizeof b - n, "%s%02x%02x", i ? ":" : "", a[i], a[i + 1]);
    }
    jw_str(w, key, b);
}

static bool rr_ok(const struct dns_rr *rr)
{
    return !(rr->flags & DNS_RR_BAD_RDATA);
}

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 when invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t l;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        l = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        l = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        l = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (l > n) return 0;
    for (size_t i = 1; i < l; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((l == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (l == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return l;
}

/* NULL rdata as Suricata writes bytes: valid UTF-8 as is, otherwise each byte >= 0x80 as the
 * text \xNN and the others as is (the JSON writer escapes control characters). */
static void put_null_rdata(struct jw *w, const char *key, const struct dns_rr *rr)
{
    const uint8_t *p = rr->u.raw.p;
    size_t n = rr->u.raw.len;
    if (!p) {
        jw_str(w, key, n ? rr->rdata : "");
        return;
    }
    bool valid = true;
    for (size_t i = 0; i < n && valid;) {
        size_t l = utf8_seq(p + i, n - i);
        valid = l != 0;
        i += l;
    }
    if (valid) {
        jw_strn(w, key, p, n);
        return;
    }
    char b[2048];
    size_t o = 0;
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n && o + 4 <= sizeof b; i++) {
        if (p[i] < 0x80) {
            b[o++] = (char)p[i];
        } else {
            b[o++] = '\\';
            b[o++] = 'x';
            b[o++] = hx[p[i] >> 4];
            b[o++] = hx[p[i] & 15];
        }
    }
    jw_strn(w, key, b, o);
}

/* Fingerprint "19:8c:34:..." from the parser's hex. */
static void put_fingerprint(struct jw *w, const char *hex)
{
    char b[2 * 3 * 64];
    size_t n = 0, l = strlen(hex);
    for (size_t i = 0; i + 1 < l && n + 4 <= sizeof b; i += 2) {
        if (n) b[n++] = ':';
        b[n++] = hex[i];
        b[n++] = hex[i + 1];
    }
    jw_strn(w, "fingerprint", b, n);
}

static void put_soa(struct jw *w, const char *key, const struct dns_rr *rr)
{
    jw_obj_open(w, key);
    jw_str(w, "mname", rr->u.soa.mname);
    jw_str(w, "rname", rr->u.soa.rname);
    jw_uint(w, "serial", rr->u.soa.serial);
    jw_uint(w, "refresh", rr->u.soa.refresh);
    jw_uint(w, "retry", rr->u.soa.retry);
    jw_uint(w, "expire", rr->u.soa.expire);
    jw_uint(w, "minimum", rr->u.soa.minimum);
    jw_obj_close(w);
}

static void put_srv(struct jw *w, const char *key, const struct dns_rr *rr)
{
    jw_obj_open(w, key);
    jw_uint(w, "priority", rr->u.srv.priority);
    jw_uint(w, "weight", rr->u.srv.weight);
    jw_uint(w, "port", rr->u.srv.port);
    jw_str(w, "name", rr->u.srv.target);
    jw_obj_close(w);
}

static void put_sshfp(struct jw *w, const char *key, const struct dns_rr *rr)
{
    jw_obj_open(w, key);
    put_fingerprint(w, rr->u.sshfp.hex);
    jw_uint(w, "algo", rr->u.sshfp.algo);
    jw_uint(w, "type", rr->u.sshfp.fptype);
    jw_obj_close(w);
}

/* ---- records --------------------------------------------------------------------------------- */

/* How many array entries a record becomes (TXT: one per string; OPT: one when it has options and
 * sits in the additional section, as Suricata logs it; else one). */
static unsigned rr_entries(const struct dns_rr *rr, int sec)
{
    if (!rr_ok(rr)) return 1;
    if (rr->type == DNS_TYPE_TXT) return rr->u.txt.count;
    if (rr->type == DNS_TYPE_OPT && sec == DNS_SEC_ADDITIONAL) return rr->u.opt.count ? 1 : 0;
    return 1;
}

static void put_rr_head(struct jw *w, const struct dns_rr *rr, int sec)
{
    char tb[8];
    jw_str(w, "rrname", rr->name);
    if (sec == DNS_SEC_AUTHORITY && (rr->flags & DNS_RR_NAME_TRUNC))
        jw_bool(w, "rrname_truncated", true);
    jw_str(w, "rrtype", dns_rrtype_str(rr->type, tb));
    jw_uint(w, "ttl", rr->ttl);
}

/* Appends the entries of one record to the open array. The schema allows soa in answers and
 * authorities, srv and sshfp in answers only, rdata_truncated in authorities only. */
static void put_rr(struct jw *w, const struct dns_rr *rr, int sec)
{
    if (rr_ok(rr) && rr->type == DNS_TYPE_TXT) {
        for (unsigned i = 0; i < rr->u.txt.count; i++) {
            jw_obj_open(w, NULL);
            put_rr_head(w, rr, sec);
            jw_str(w, "rdata", rr->u.txt.s[i]);
            jw_obj_close(w);
        }
        return;
    }
    if (rr_ok(rr) && rr->type == DNS_TYPE_OPT && sec == DNS_SEC_ADDITIONAL) {
        if (!rr->u.opt.count) return;
        jw_obj_open(w, NULL);
        put_rr_head(w, rr, sec);
        jw_arr_open(w, "opt");
        for (unsigned i = 0; i < rr->u.opt.count; i++) {
            jw_obj_open(w, NULL);
            jw_uint(w, "code", rr->u.opt.opts[i].code);
            jw_str(w, "data", rr->u.opt.opts[i].hex);
            jw_obj_close(w);
        }
        jw_arr_close(w);
        jw_obj_close(w);
        return;
    }
    jw_obj_open(w, NULL);
    put_rr_head(w, rr, sec);
    bool name_rdata = false;
    if (!rr_ok(rr)) {
        jw_str(w, "rdata", rr->rdata);
    } else {
        switch (rr->type) {
        case DNS_TYPE_A:
        case DNS_TYPE_AAAA:
            put_addr(w, "rdata", rr);
            break;
        case DNS_TYPE_CNAME:
        case DNS_TYPE_NS:
        case DNS_TYPE_PTR:
            jw_str(w, "rdata", rr->u.target);
            name_rdata = true;
            break;
        case DNS_TYPE_MX:
            jw_str(w, "rdata", rr->u.mx.exchange);
            name_rdata = true;
            break;
        case DNS_TYPE_SOA:
            if (sec == DNS_SEC_ADDITIONAL) {
                jw_str(w, "rdata", rr->rdata);
            } else {
                put_soa(w, "soa", rr);
            }
            break;
        case DNS_TYPE_SRV:
            if (sec == DNS_SEC_ANSWER) {
                put_srv(w, "srv", rr);
            } else {
                jw_str(w, "rdata", rr->rdata);
            }
            break;
        case DNS_TYPE_NULL:
            put_null_rdata(w, "rdata", rr);
            break;
        case DNS_TYPE_SSHFP:
            if (sec == DNS_SEC_ANSWER) {
                put_sshfp(w, "sshfp", rr);
            } else {
                jw_str(w, "rdata", rr->rdata);
            }
            break;
        default:
            jw_str(w, "rdata", rr->rdata);
            break;
        }
    }
    if (name_rdata && sec == DNS_SEC_AUTHORITY && (rr->flags & DNS_RR_RDATA_TRUNC))
        jw_bool(w, "rdata_truncated", true);
    jw_obj_close(w);
}

static void put_section(struct jw *w, const char *key, const struct dns_msg *m, int sec)
{
    unsigned total = 0;
    for (unsigned i = 0; i < m->nrr[sec]; i++)
        total += rr_entries(&m->rr[sec][i], sec);
    if (!total) return; /* the schema wants minItems 1 */
    jw_arr_open(w, key);
    for (unsigned i = 0; i < m->nrr[sec]; i++)
        put_rr(w, &m->rr[sec][i], sec);
    jw_arr_close(w);
}

/* ---- grouped --------------------------------------------------------------------------------- */

static bool groupable(uint16_t t)
{
    switch (t) {
    case DNS_TYPE_A:
    case DNS_TYPE_AAAA:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_MX:
    case DNS_TYPE_NS:
    case DNS_TYPE_NULL:
    case DNS_TYPE_PTR:
    case DNS_TYPE_SOA:
    case DNS_TYPE_SRV:
    case DNS_TYPE_SSHFP:
    case DNS_TYPE_TXT:
        return true;
    }
    return false;
}

static unsigned group_values(const struct dns_rr *rr)
{
    if (!rr_ok(rr)) return 0;
    return rr->type == DNS_TYPE_TXT ? rr->u.txt.count : 1;
}

static void put_group_value(struct jw *w, const struct dns_rr *rr)
{
    switch (rr->type) {
    case DNS_TYPE_A:
    case DNS_TYPE_AAAA:
        put_addr(w, NULL, rr);
        break;
    case DNS_TYPE_CNAME:
    case DNS_TYPE_NS:
    case DNS_TYPE_PTR:
        jw_str(w, NULL, rr->u.target);
        break;
    case DNS_TYPE_MX:
        jw_str(w, NULL, rr->u.mx.exchange);
        break;
    case DNS_TYPE_TXT:
        for (unsigned i = 0; i < rr->u.txt.count; i++)
            jw_str(w, NULL, rr->u.txt.s[i]);
        break;
    case DNS_TYPE_SOA:
        put_soa(w, NULL, rr);
        break;
    case DNS_TYPE_SRV:
        put_srv(w, NULL, rr);
        break;
    case DNS_TYPE_SSHFP:
        put_sshfp(w, NULL, rr);
        break;
    default:
        put_null_rdata(w, NULL, rr);
        break; /* NULL */
    }
}

static void put_grouped(struct jw *w, const struct dns_msg *m)
{
    const struct dns_rr *an = m->rr[DNS_SEC_ANSWER];
    unsigned n = m->nrr[DNS_SEC_ANSWER];
    bool open = false;
    for (unsigned i = 0; i < n; i++) {
        uint16_t t = an[i].type;
        if (!groupable(t)) continue;
        bool seen = false; /* a group is written at its type's first appearance */
        for (unsigned k = 0; k < i && !seen; k++)
            seen = an[k].type == t;
        if (seen) continue;
        unsigned vals = 0;
        for (unsigned k = i; k < n; k++)
            if (an[k].type == t) vals += group_values(&an[k]);
        if (!vals) continue;
        if (!open) {
            jw_obj_open(w, "grouped");
            open = true;
        }
        char tb[8];
        jw_arr_open(w, dns_rrtype_str(t, tb));
        for (unsigned k = i; k < n; k++)
            if (an[k].type == t && group_values(&an[k])) put_group_value(w, &an[k]);
        jw_arr_close(w);
    }
    if (open) jw_obj_close(w);
}

/* ---- the dns object -------------------------------------------------------------------------- */

static void put_dns(struct jw *w, const struct dns_msg *m, const struct dns_log_ctx *ctx)
{
    char b[8];
    jw_obj_open(w, "dns");
    jw_int(w, "version", 3);
    jw_str(w, "type", m->qr ? "response" : "request");
    if (ctx) jw_uint(w, "tx_id", ctx->tx_id);
    jw_uint(w, "id", m->id);
    char fl[8];
    snprintf(fl, sizeof fl, "%x", m->flags);
    jw_str(w, "flags", fl);
    if (m->qr) jw_bool(w, "qr", true);
    if (m->aa) jw_bool(w, "aa", true);
    if (m->tc) jw_bool(w, "tc", true);
    if (m->rd) jw_bool(w, "rd", true);
    if (m->ra) jw_bool(w, "ra", true);
    if (m->z) jw_bool(w, "z", true);
    jw_uint(w, "opcode", m->opcode);
    jw_str(w, "rcode", dns_rcode_str(m->rcode, b));
    if (m->nq) {
        jw_arr_open(w, "queries");
        for (unsigned i = 0; i < m->nq; i++) {
            jw_obj_open(w, NULL);
            jw_str(w, "rrname", m->q[i].name);
            jw_str(w, "rrtype", dns_rrtype_str(m->q[i].type, b));
            if (m->q[i].flags & DNS_RR_NAME_TRUNC) jw_bool(w, "rrname_truncated", true);
            jw_obj_close(w);
        }
        jw_arr_close(w);
    }
    put_section(w, "answers", m, DNS_SEC_ANSWER);
    put_grouped(w, m);
    put_section(w, "authorities", m, DNS_SEC_AUTHORITY);
    put_section(w, "additionals", m, DNS_SEC_ADDITIONAL);
    jw_obj_close(w);
}

void eve_dns_fields(struct jw *w, const struct dns_msg *m)
{
    put_dns(w, m, NULL);
}

void eve_dns(struct jw *w, const struct flow *f, const struct dns_msg *m,
             const struct dns_log_ctx *ctx)
{
    char a[VG_ADDR_STRLEN];
    bool toclient = ctx->dir == FLOW_TOCLIENT;
    const struct vg_addr *src = toclient ? &f->dst : &f->src, *dst = toclient ? &f->src : &f->dst;
    uint16_t sport = toclient ? f->dport : f->sport, dport = toclient ? f->sport : f->dport;

    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", ctx->ts);
    jw_uint(w, "flow_id", f->flow_id);
    jw_uint(w, "pcap_cnt", ctx->pcap_cnt);
    jw_str(w, "event_type", "dns");
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
    jw_str(w, "proto", f->proto == 6 ? "TCP" : "UDP");
    put_dns(w, m, ctx);
    jw_obj_close(w);
}
