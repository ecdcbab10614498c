/* decode_vlan.c - IEEE 802.1Q VLAN tags (0x8100), 802.1ad service tags (0x88a8) and the
 * pre-standard QinQ EtherType 0x9100.
 *
 * References: IEEE 802.1Q-2018 clause 9.6 (TCI: PCP 3 bits, DEI 1 bit, VID 12 bits).
 * One tag per call of the layer loop; a stack of tags is a sequence of loop steps. Up to
 * VG_PKT_MAX_VLAN tags per packet (tunnelled inner frames included) as Suricata does; one more is
 * decoder.vlan.too_many_layers and ends decoding.
 */
#include "decode/decode_int.h"

int decode__vlan(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint16_t tci, type;

    if (p->vlan_cnt >= VG_PKT_MAX_VLAN) return decode__invalid(ctx, p, ANOM_VLAN_TOO_MANY_LAYERS);
    decode__rd(&r, p, c);
    if (!vg_rd_be16(&r, &tci) || !vg_rd_be16(&r, &type))
        return decode__invalid(ctx, p, ANOM_VLAN_HEADER_TOO_SMALL);
    p->vlan[p->vlan_cnt++] = tci & 0x0fff;
    /* Suricata's counters: decoder.vlan counts tagged packets, vlan_qinq double-tagged ones. */
    if (p->vlan_cnt == 1)
        ctx->cnt.vlan++;
    else if (p->vlan_cnt == 2)
        ctx->cnt.vlan_qinq++;
    else
        ctx->cnt.vlan_qinqinq++;
    c->off += 4;
    int next = decode__ethertype(ctx, p, type);
    if (next < 0) {
        decode_add_anomaly(ctx, p, ANOM_ETH_UNKNOWN_ETHERTYPE);
        decode_add_anomaly(ctx, p, ANOM_VLAN_UNKNOWN_TYPE);
        return DL_DONE;
    }
    return next;
}
