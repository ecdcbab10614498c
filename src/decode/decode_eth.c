/* decode_eth.c - Ethernet II frames.
 *
 * References: IEEE 802.3-2018 clause 3.2.6 (a Length/Type value >= 0x0600 is an EtherType,
 * smaller values are an 802.3 length followed by LLC), RFC 894 (IPv4 over Ethernet), RFC 2464
 * (IPv6 over Ethernet). The FCS is normally not captured; when it is, the IP total length trims it
 * together with the padding.
 */
#include "decode/decode_int.h"

int decode__eth(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint16_t type;

    ctx->cnt.ethernet++;
    decode__rd(&r, p, c);
    if (!vg_rd_skip(&r, 12) || !vg_rd_be16(&r, &type))
        return decode__invalid(ctx, p, ANOM_ETH_PKT_TOO_SMALL);
    /* Innermost Ethernet header wins (VXLAN, GRE-TEB): the MACs that go with the packet fields. */
    p->has_eth = true;
    p->l2_off = (uint16_t)c->off;
    c->off += 14;
    int next = decode__ethertype(ctx, p, type);
    if (next < 0) {
        decode_add_anomaly(ctx, p, ANOM_ETH_UNKNOWN_ETHERTYPE);
        return DL_DONE;
    }
    return next;
}
