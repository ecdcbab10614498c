/* decode_sll.c - Linux "cooked" capture headers, SLL (LINKTYPE_LINUX_SLL 113) and SLL2
 * (LINKTYPE_LINUX_SLL2 276).
 *
 * References: https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and
 * LINKTYPE_LINUX_SLL2.html. SLL: packet type 2, ARPHRD type 2, address length 2, address 8,
 * protocol 2 (16 bytes). SLL2: protocol 2, reserved 2, interface index 4, ARPHRD type 2, packet
 * type 1, address length 1, address 8 (20 bytes). The protocol is an EtherType, or below 0x0600 a
 * Linux pseudo protocol (ETH_P_802_3, ETH_P_802_2, CAN ...) that is counted as LLC.
 */
#include "decode/decode_int.h"

/* ARPHRD types whose protocol field is not an EtherType. */
enum { ARPHRD_NETLINK = 824 };

static int sll_next(struct decode_ctx *ctx, struct packet *p, uint16_t hatype, uint16_t proto)
{
    if (hatype == ARPHRD_NETLINK) return DL_DONE; /* netlink messages, no network layer */
    int next = decode__ethertype(ctx, p, proto);
    if (next < 0) {
        decode_add_anomaly(ctx, p, ANOM_ETH_UNKNOWN_ETHERTYPE);
        return DL_DONE;
    }
    return next;
}

int decode__sll(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint16_t hatype, proto;

    ctx->cnt.sll++;
    decode__rd(&r, p, c);
    if (!vg_rd_skip(&r, 2) || !vg_rd_be16(&r, &hatype) || !vg_rd_skip(&r, 10) ||
        !vg_rd_be16(&r, &proto))
        return decode__invalid(ctx, p, ANOM_SLL_PKT_TOO_SMALL);
    c->off += 16;
    return sll_next(ctx, p, hatype, proto);
}

int decode__sll2(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint16_t hatype, proto;

    ctx->cnt.sll2++;
    decode__rd(&r, p, c);
    if (!vg_rd_be16(&r, &proto) || !vg_rd_skip(&r, 6) || !vg_rd_be16(&r, &hatype) ||
        !vg_rd_skip(&r, 10))
        return decode__invalid(ctx, p, ANOM_SLL2_PKT_TOO_SMALL);
    c->off += 20;
    return sll_next(ctx, p, hatype, proto);
}
