/* decode_ipv4.c - IPv4 headers and options; fragments are handed to defrag.c.
 *
 * References: RFC 791 (header, options, fragmentation), RFC 1071 (header checksum), RFC 1122
 * 3.2.1 (what a host checks), RFC 6864 (the ID field), IANA "IP Option Numbers" (RFC 1108 SEC,
 * RFC 1393 traceroute, RFC 2113 router alert, RFC 4782 quick-start, CIPSO).
 *
 * What is checked and what it becomes:
 *   fewer than 20 bytes, version != 4, IHL < 5, total length < IHL: invalid, decoding stops;
 *   the header not captured whole: decoder.ipv4.trunc_pkt, invalid;
 *   total length > bytes present: decoder.ipv4.trunc_pkt + VG_PKT_TRUNCATED, decoding goes on
 *     with what is there (a snaplen cut is the usual cause and the ports are still wanted);
 *   bad header checksum: VG_PKT_IPV4_CSUM_BAD and ipv4_csum_bad, flagged, not enforced (the
 *     stream layer decides; offloading NICs make bad checksums common on the capturing host);
 *   options: walked and validated (length, duplicates, unknown types, route/timestamp pointers).
 */
#include "decode/decode_int.h"

#include <string.h>

enum {
    IPOPT_EOL = 0,
    IPOPT_NOP = 1,
    IPOPT_RR = 7,
    IPOPT_QS = 25,
    IPOPT_TS = 68,
    IPOPT_SEC = 130,
    IPOPT_LSRR = 131,
    IPOPT_CIPSO = 134,
    IPOPT_SID = 136,
    IPOPT_SSRR = 137,
    IPOPT_RTRALT = 148,
    IPOPT_TRACEROUTE = 82,
};

void decode__ip_reset(struct decode_ctx *ctx, struct packet *p)
{
    /* Only what an outer layer can have set: a UDP tunnel's ports and payload, its L4 checksum
     * verdict. TCP/ICMP never carry an inner IP header, so their fields are still zero. */
    p->sport = p->dport = 0;
    p->l4_off = 0;
    p->payload = NULL;
    p->payload_len = 0;
    p->ip_id = 0;
    p->df = false;
    p->flags &= ~(uint32_t)(VG_PKT_L4_CSUM_CHECKED | VG_PKT_L4_CSUM_BAD);
    ctx->l4.ip6_final_dst = false;
    ctx->l4.l4_len = 0;
}

/* Walks the options of one header: every type/length pair must fit, fixed-size options must have
 * their size, and an option may appear once (RFC 791 does not say so for all of them, but no stack
 * sends duplicates and they are an evasion lever: which copy does the receiver honour?). */
static void ipv4_options(struct decode_ctx *ctx, struct packet *p, const uint8_t *opt, unsigned n)
{
    struct vg_reader r;
    uint64_t seen[4] = {0, 0, 0, 0};
    uint8_t type, len, ptr;

    vg_rd_init(&r, opt, n);
    while (vg_rd_u8(&r, &type)) {
        if (type == IPOPT_EOL) break;
        if (type == IPOPT_NOP) continue;
        if (!vg_rd_u8(&r, &len)) {
            decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_MALFORMED);
            return;
        }
        struct vg_reader body;
        const uint8_t *b;
        if (len < 2 || !vg_rd_bytes(&r, (size_t)len - 2, &b)) {
            decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_INVALID_LEN);
            return;
        }
        vg_rd_init(&body, b, (size_t)len - 2);
        if (seen[type >> 6] & (1ull << (type & 63)))
            decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_DUPLICATE);
        seen[type >> 6] |= 1ull << (type & 63);

        switch (type) {
        case IPOPT_RR:
        case IPOPT_LSRR:
        case IPOPT_SSRR:
            /* pointer, then route data in 4-byte addresses; pointer >= 4 (RFC 791 p.20) */
            if (len < 3) {
                decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_INVALID_LEN);
            } else if (!vg_rd_u8(&body, &ptr) || ptr < 4 || (len - 3) % 4 != 0) {
                decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_MALFORMED);
            }
            break;
        case IPOPT_TS:
            /* pointer, overflow/flags, then timestamps; pointer >= 5 */
            if (len < 4)
                decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_INVALID_LEN);
            else if (!vg_rd_u8(&body, &ptr) || ptr < 5)
                decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_MALFORMED);
            break;
        case IPOPT_SEC:
            if (len < 3) decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_INVALID_LEN);
            break;
        case IPOPT_CIPSO:
            if (len < 6) decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_INVALID_LEN);
            break;
        case IPOPT_SID:
        case IPOPT_RTRALT:
            if (len != 4) decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_INVALID_LEN);
            break;
        case IPOPT_QS:
            if (len != 8) decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_INVALID_LEN);
            break;
        case IPOPT_TRACEROUTE:
            if (len != 12) decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_INVALID_LEN);
            break;
        default:
            decode_add_anomaly(ctx, p, ANOM_IPV4_OPT_UNKNOWN);
            break;
        }
    }
}

int decode__ipv4(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t vihl, tos, ttl, proto;
    uint16_t totlen, id, frag, csum;
    const uint8_t *src, *dst;

    ctx->cnt.ipv4++;
    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &vihl) || !vg_rd_u8(&r, &tos) || !vg_rd_be16(&r, &totlen) ||
        !vg_rd_be16(&r, &id) || !vg_rd_be16(&r, &frag) || !vg_rd_u8(&r, &ttl) ||
        !vg_rd_u8(&r, &proto) || !vg_rd_be16(&r, &csum) || !vg_rd_bytes(&r, 4, &src) ||
        !vg_rd_bytes(&r, 4, &dst))
        return decode__invalid(ctx, p, ANOM_IPV4_PKT_TOO_SMALL);
    if (vihl >> 4 != 4) return decode__invalid(ctx, p, ANOM_IPV4_WRONG_IP_VERSION);
    unsigned hlen = (vihl & 0x0f) * 4u;
    if (hlen < 20) return decode__invalid(ctx, p, ANOM_IPV4_HLEN_TOO_SMALL);
    if (totlen < hlen) return decode__invalid(ctx, p, ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN);
    const uint8_t *opt;
    if (!vg_rd_bytes(&r, hlen - 20, &opt)) return decode__invalid(ctx, p, ANOM_IPV4_TRUNC_PKT);

    /* The header is sound: from here on it owns the packet fields (innermost IP wins). */
    decode__ip_reset(ctx, p);
    const uint8_t *h = p->data + c->off;
    p->ip_ver = 4;
    p->l3_off = (uint16_t)c->off;
    p->ip_hlen = (uint16_t)hlen;
    p->ttl = ttl;
    p->ip_id = id;
    p->df = (frag & 0x4000) != 0;
    p->proto = proto;
    memset(&p->src, 0, sizeof(p->src));
    memset(&p->dst, 0, sizeof(p->dst));
    p->src.family = p->dst.family = 4;
    memcpy(p->src.a, src, 4);
    memcpy(p->dst.a, dst, 4);

    /* The header without options (nearly every packet) is summed inline as five words: the
     * generic decode__csum_add call, its loops and tail handling cost more than the sum. */
    uint64_t hsum;
    if (hlen == 20) {
        uint32_t w[5];
        memcpy(w, h, 20);
        hsum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
    } else {
        hsum = decode__csum_add(0, h, hlen);
    }
    if (decode__csum_fold(hsum) != 0xffff) {
        p->flags |= VG_PKT_IPV4_CSUM_BAD;
        ctx->cnt.ipv4_csum_bad++;
    }
    uint32_t avail = c->end - c->off;
    if (totlen > avail) {
        p->flags |= VG_PKT_TRUNCATED;
        /* A frame captured whole whose IP header claims more bytes is malformed (no flow, as in
         * Suricata); a frame cut by the snapshot length is only truncated and still tracked. */
        if (p->caplen >= p->wirelen) p->flags |= VG_PKT_INVALID;
        decode_add_anomaly(ctx, p, ANOM_IPV4_TRUNC_PKT);
    } else {
        c->end = c->off + totlen; /* drops Ethernet padding and a captured FCS */
    }
    p->l3_len = (uint16_t)(c->end - c->off);
    if (hlen > 20) ipv4_options(ctx, p, opt, hlen - 20);
    c->off += hlen;

    uint32_t frag_off = (uint32_t)(frag & 0x1fff) * 8;
    bool more = (frag & 0x2000) != 0;
    if (more || frag_off) {
        ctx->cnt.frag_ipv4++;
        p->flags |= VG_PKT_FRAGMENT;
        /* A fragment cut by the snaplen cannot be reassembled: its bytes are not all there. */
        if (totlen > avail) return DL_DONE;
        if (frag_off + (totlen - hlen) + hlen > 65535) {
            decode_add_anomaly(ctx, p, ANOM_IPV4_FRAG_PKT_TOO_LARGE);
            return DL_DONE;
        }
        if (!decode__defrag_ipv4(ctx, p, c, hlen, frag_off, more)) return DL_DONE;
        /* p->data is now the reassembled datagram; proto is unchanged (part of the key). */
    } else {
        ctx->l4.l4_len = totlen - hlen;
    }
    return decode__ipproto(ctx, p, proto);
}
