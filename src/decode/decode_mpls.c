/* decode_mpls.c - MPLS label stacks (EtherType 0x8847 / 0x8848, PPP 0x0281, GRE).
 *
 * References: RFC 3032 (label stack entry: label 20 bits, TC 3, S 1, TTL 8), RFC 7274 / RFC 3032
 * section 2.1 (reserved labels 0-15), RFC 4385 (pseudowire control word: first nibble 0),
 * RFC 4448 (Ethernet over MPLS).
 *
 * MPLS does not say what it carries. After the bottom-of-stack entry the payload is guessed the
 * way Suricata and Wireshark do: explicit-null labels name IPv4/IPv6, otherwise the version
 * nibble 4 or 6 means IP and 0 means a pseudowire control word followed by Ethernet.
 */
#include "decode/decode_int.h"

enum {
    MPLS_LABEL_IPV4_NULL = 0,
    MPLS_LABEL_ROUTER_ALERT = 1,
    MPLS_LABEL_IPV6_NULL = 2,
    MPLS_LABEL_IMPLICIT_NULL = 3,
    MPLS_LABEL_MAX_RESERVED = 15
};

int decode__mpls(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint32_t entry = 0;
    unsigned n = 0;

    ctx->cnt.mpls++;
    decode__rd(&r, p, c);
    do {
        if (++n > DECODE__MAX_MPLS_LABELS) return decode__invalid(ctx, p, ANOM_TOO_MANY_LAYERS);
        if (!vg_rd_be32(&r, &entry)) return decode__invalid(ctx, p, ANOM_MPLS_HEADER_TOO_SMALL);
    } while (!(entry & 0x100));
    c->off += (uint32_t)r.off;

    uint32_t label = entry >> 12;
    switch (label) {
    case MPLS_LABEL_IPV4_NULL:
        p->eth_type = 0x0800;
        return DL_IPV4;
    case MPLS_LABEL_IPV6_NULL:
        p->eth_type = 0x86dd;
        return DL_IPV6;
    case MPLS_LABEL_ROUTER_ALERT:
        decode_add_anomaly(ctx, p, ANOM_MPLS_BAD_LABEL_ROUTER_ALERT);
        return DL_DONE;
    case MPLS_LABEL_IMPLICIT_NULL:
        /* Implicit null is signalled, never sent (RFC 3032 2.1): on the wire it is forged. */
        decode_add_anomaly(ctx, p, ANOM_MPLS_BAD_LABEL_IMPLICIT_NULL);
        return DL_DONE;
    default:
        if (label <= MPLS_LABEL_MAX_RESERVED) {
            decode_add_anomaly(ctx, p, ANOM_MPLS_BAD_LABEL_RESERVED);
            return DL_DONE;
        }
        break;
    }

    uint8_t first;
    if (!vg_rd_u8(&r, &first)) return decode__invalid(ctx, p, ANOM_MPLS_PKT_TOO_SMALL);
    switch (first >> 4) {
    case 4:
        p->eth_type = 0x0800;
        return DL_IPV4;
    case 6:
        p->eth_type = 0x86dd;
        return DL_IPV6;
    case 0:
        /* Pseudowire control word (4 bytes), then an Ethernet frame (RFC 4448 section 4.6). */
        if (c->end - c->off < 4 + 14) return decode__invalid(ctx, p, ANOM_MPLS_PKT_TOO_SMALL);
        c->off += 4;
        return DL_ETH;
    default:
        decode_add_anomaly(ctx, p, ANOM_MPLS_UNKNOWN_PAYLOAD);
        return DL_DONE;
    }
}
