/* decode_icmp.c - ICMP for IPv4 and ICMPv6.
 *
 * References: RFC 792 (ICMP: types, codes, echo id/sequence, error messages quoting the IP header
 * and the first 64 bits of the offending datagram), RFC 1122 3.2.2, RFC 1812 4.3.2.3 (newer
 * unreachable codes up to 15), RFC 4443 (ICMPv6, pseudo-header checksum, error types 1-4, echo
 * 128/129, types 100/101/200/201 private experimentation), IANA "ICMPv6 Parameters".
 *
 * p->sport = type, p->dport = code (Suricata's convention for the flow key). The quoted header of
 * an error goes to p->icmp_inner only: it never replaces the outer fields, so a forged quote
 * cannot move the packet to another flow.
 */
#include "decode/decode_int.h"

#include <string.h>

/* Reads the first bytes of the quoted datagram: its addresses, protocol and TCP/UDP ports. */
static void quoted_ports(struct packet *p, struct vg_reader *r)
{
    uint16_t sport, dport;
    if ((p->icmp_inner.proto == 6 || p->icmp_inner.proto == 17) && vg_rd_be16(r, &sport) &&
        vg_rd_be16(r, &dport)) {
        p->icmp_inner.sport = sport;
        p->icmp_inner.dport = dport;
    }
}

static void icmpv4_quote(struct decode_ctx *ctx, struct packet *p, const uint8_t *q, uint32_t n)
{
    struct vg_reader r;
    uint8_t vihl, proto;
    const uint8_t *src, *dst;

    vg_rd_init(&r, q, n);
    if (!vg_rd_u8(&r, &vihl) || !vg_rd_skip(&r, 8) || !vg_rd_u8(&r, &proto) || !vg_rd_skip(&r, 2) ||
        !vg_rd_bytes(&r, 4, &src) || !vg_rd_bytes(&r, 4, &dst)) {
        decode_add_anomaly(ctx, p, ANOM_ICMPV4_IPV4_TRUNC_PKT);
        return;
    }
    if (vihl >> 4 != 4) {
        decode_add_anomaly(ctx, p, ANOM_ICMPV4_IPV4_UNKNOWN_VER);
        return;
    }
    unsigned hlen = (vihl & 0x0f) * 4u;
    if (hlen < 20 || !vg_rd_skip(&r, hlen - 20)) {
        decode_add_anomaly(ctx, p, ANOM_ICMPV4_IPV4_TRUNC_PKT);
        return;
    }
    p->flags |= VG_PKT_ICMP_INNER;
    p->icmp_inner.proto = proto;
    p->icmp_inner.src.family = p->icmp_inner.dst.family = 4;
    memcpy(p->icmp_inner.src.a, src, 4);
    memcpy(p->icmp_inner.dst.a, dst, 4);
    quoted_ports(p, &r);
}

static void icmpv6_quote(struct decode_ctx *ctx, struct packet *p, const uint8_t *q, uint32_t n)
{
    struct vg_reader r;
    uint8_t v, nh;
    const uint8_t *src, *dst;

    vg_rd_init(&r, q, n);
    if (!vg_rd_u8(&r, &v) || !vg_rd_skip(&r, 5) || !vg_rd_u8(&r, &nh) || !vg_rd_skip(&r, 1) ||
        !vg_rd_bytes(&r, 16, &src) || !vg_rd_bytes(&r, 16, &dst)) {
        decode_add_anomaly(ctx, p, ANOM_ICMPV6_IPV6_TRUNC_PKT);
        return;
    }
    if (v >> 4 != 6) {
        decode_add_anomaly(ctx, p, ANOM_ICMPV6_IPV6_UNKNOWN_VERSION);
        return;
    }
    p->flags |= VG_PKT_ICMP_INNER;
    /* The quote's extension headers are not walked: the quote may be cut anywhere, and the flow
     * lookup only needs the common case of TCP/UDP right after the fixed header. */
    p->icmp_inner.proto = nh;
    p->icmp_inner.src.family = p->icmp_inner.dst.family = 6;
    memcpy(p->icmp_inner.src.a, src, 16);
    memcpy(p->icmp_inner.dst.a, dst, 16);
    quoted_ports(p, &r);
}

/* Reads the 8-byte header common to both versions; false (and the anomaly) when short. */
static bool icmp_header(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c, int anom,
                        uint16_t *id, uint16_t *seq)
{
    struct vg_reader r;
    uint16_t csum;

    p->l4_off = (uint16_t)c->off;
    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &p->icmp_type) || !vg_rd_u8(&r, &p->icmp_code) || !vg_rd_be16(&r, &csum) ||
        !vg_rd_be16(&r, id) || !vg_rd_be16(&r, seq)) {
        (void)decode__invalid(ctx, p, anom);
        return false;
    }
    p->sport = p->icmp_type;
    p->dport = p->icmp_code;
    p->payload = p->data + c->off + 8;
    p->payload_len = c->end - c->off - 8;
    return true;
}

int decode__icmpv4(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    uint16_t id, seq;

    ctx->cnt.icmpv4++;
    if (!icmp_header(ctx, p, c, ANOM_ICMPV4_PKT_TOO_SMALL, &id, &seq)) return DL_DONE;
    uint8_t code = p->icmp_code;
    int max_code = 0; /* the largest code defined for the type; -1 for an unknown type */
    bool error = false, echo = false;
    switch (p->icmp_type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
        echo = true; /* echo, timestamp, information, address mask: all carry id/sequence */
        break;
    case 3:
        error = true;
        max_code = 15;
        break;
    case 4:
        error = true;
        break;
    case 5:
        error = true;
        max_code = 3;
        break;
    case 11:
        error = true;
        max_code = 1;
        break;
    case 12:
        error = true;
        max_code = 2;
        break;
    case 9: /* router advertisement: code 0, or 16 for mobility agents (RFC 2002) */
        max_code = 16;
        break;
    case 10:
        break;
    default:
        max_code = -1;
        break;
    }
    if (max_code < 0)
        decode_add_anomaly(ctx, p, ANOM_ICMPV4_UNKNOWN_TYPE);
    else if (code > max_code)
        decode_add_anomaly(ctx, p, ANOM_ICMPV4_UNKNOWN_CODE);
    if (echo) {
        p->icmp_id = id;
        p->icmp_seq = seq;
    }
    if (error) icmpv4_quote(ctx, p, p->payload, p->payload_len);

    uint32_t len = c->end - c->off;
    if (len == ctx->l4.l4_len) {
        p->flags |= VG_PKT_L4_CSUM_CHECKED;
        if (decode__csum_fold(decode__csum_add(0, p->data + c->off, len)) != 0xffff) {
            p->flags |= VG_PKT_L4_CSUM_BAD;
            ctx->cnt.l4_csum_bad++;
        }
    }
    return DL_DONE;
}

int decode__icmpv6(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    uint16_t id, seq;

    ctx->cnt.icmpv6++;
    if (!icmp_header(ctx, p, c, ANOM_ICMPV6_PKT_TOO_SMALL, &id, &seq)) return DL_DONE;
    uint8_t type = p->icmp_type, code = p->icmp_code;
    switch (type) {
    case 1: /* destination unreachable: codes 0-8 (RFC 4443, RFC 7112, RFC 8754) */
    case 2: /* packet too big */
    case 3: /* time exceeded */
    case 4: /* parameter problem: codes 0-10 (RFC 4443, RFC 7112, RFC 8883) */
        if ((type == 1 && code > 8) || (type == 2 && code != 0) || (type == 3 && code > 1) ||
            (type == 4 && code > 10))
            decode_add_anomaly(ctx, p, ANOM_ICMPV6_UNKNOWN_CODE);
        icmpv6_quote(ctx, p, p->payload, p->payload_len);
        break;
    case 128:
    case 129:
        if (code != 0) decode_add_anomaly(ctx, p, ANOM_ICMPV6_UNKNOWN_CODE);
        p->icmp_id = id;
        p->icmp_seq = seq;
        break;
    case 133: /* Neighbor Discovery (RFC 4861): the LAN spoofing detector reads these */
    case 134:
    case 135:
    case 136:
        if (code != 0) decode_add_anomaly(ctx, p, ANOM_ICMPV6_UNKNOWN_CODE);
        decode__icmpv6_nd(ctx, p);
        break;
    case 100:
    case 101:
    case 200:
    case 201:
        decode_add_anomaly(ctx, p, ANOM_ICMPV6_EXPERIMENTATION_TYPE);
        break;
    default:
        /* Informational types IANA has assigned: 130-162 (MLD, ND, RPL, ...) and 127 reserved
         * for expansion of errors. Everything else is not sent by any stack. */
        if (type < 127 || type > 162) decode_add_anomaly(ctx, p, ANOM_ICMPV6_UNKNOWN_TYPE);
        break;
    }
    uint32_t len = c->end - c->off;
    if (len == ctx->l4.l4_len) decode__l4_csum(ctx, p, p->data + c->off, len, 58);
    return DL_DONE;
}

/* Neighbor Discovery (RFC 4861 sections 4.1-4.4 and 4.6): the message body after the 4-byte
 * ICMPv6 header, then options of 8-byte units. A message whose fixed part or options do not fit
 * is an anomaly and leaves p->lan empty; the hop limit must be 255 (section 6.1.2/7.1.1: a
 * message from off-link) - flagged, and still decoded so that the detector sees it. */
void decode__icmpv6_nd(struct decode_ctx *ctx, struct packet *p)
{
    /* p->payload starts 8 bytes into the ICMPv6 header; ND bodies start at byte 4. */
    if (!p->payload) return;
    const uint8_t *body = p->payload - 4;
    uint32_t n = p->payload_len + 4;
    uint8_t type = p->icmp_type;
    uint32_t fixed = type == 133 ? 4 : type == 134 ? 12 : 20; /* RS, RA, NS/NA */
    struct vg_lan *l = &p->lan;
    if (n < fixed) {
        decode_add_anomaly(ctx, p, ANOM_ICMPV6_ND_PKT_TOO_SMALL);
        return;
    }
    if (p->ttl != 255) decode_add_anomaly(ctx, p, ANOM_ICMPV6_ND_INVALID_HL);
    struct vg_lan tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.kind = VG_LAN_ND;
    if (type == 134) {
        tmp.ra_hop_limit = body[0];
        tmp.nd_flags = body[1];
        tmp.ra_lifetime = vg_load_be16(body + 2);
    } else if (type == 135 || type == 136) {
        if (type == 136) tmp.nd_flags = body[0] & 0xe0;
        memcpy(tmp.target, body + 4, 16);
    }
    struct vg_reader r;
    vg_rd_init(&r, body + fixed, n - fixed);
    while (vg_rd_left(&r) >= 2) { /* every option is >= 8 bytes: at most n/8 rounds */
        const uint8_t *o = vg_rd_ptr(&r);
        uint32_t olen = (uint32_t)o[1] * 8;
        if (olen == 0 || !vg_rd_skip(&r, olen)) {
            decode_add_anomaly(ctx, p, ANOM_ICMPV6_ND_OPT_INVALID_LEN);
            return; /* RFC 4861 4.6: a zero-length option invalidates the message */
        }
        if ((o[0] == 1 && type != 136) || (o[0] == 2 && type == 136)) {
            if (olen < 8) continue;
            tmp.has_lladdr = true;
            memcpy(tmp.sha, o + 2, 6);
        } else if (o[0] == 3 && type == 134) {
            if (olen != 32) {
                decode_add_anomaly(ctx, p, ANOM_ICMPV6_ND_OPT_INVALID_LEN);
                return;
            }
            if (tmp.n_prefix++ == 0) {
                tmp.prefix_len = o[2];
                tmp.prefix_valid = vg_load_be32(o + 4);
                tmp.prefix_preferred = vg_load_be32(o + 8);
                memcpy(tmp.prefix, o + 16, 16);
            }
            if (tmp.n_prefix == 255) tmp.n_prefix = 254; /* saturate */
        }
    }
    if (vg_rd_left(&r)) { /* 1 trailing byte: not a whole option */
        decode_add_anomaly(ctx, p, ANOM_ICMPV6_ND_OPT_INVALID_LEN);
        return;
    }
    *l = tmp;
}
