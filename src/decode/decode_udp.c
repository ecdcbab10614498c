/* decode_udp.c - UDP header, length and checksum; VXLAN and GENEVE by destination port.
 *
 * References: RFC 768 (header, checksum, zero = none over IPv4), RFC 8200 8.1 (a zero checksum
 * is invalid over IPv6), RFC 6935/6936 (zero checksums allowed for tunnels over IPv6),
 * RFC 7348 (VXLAN on 4789), RFC 8926 (GENEVE on 6081).
 *
 * Length rules (Suricata's names): fewer than 8 bytes present: udp.hlen_too_small; UDP length
 * below 8: udp.len_invalid; UDP length beyond the IP payload: udp.pkt_too_small (all three mark
 * the packet invalid, ports kept when present); UDP length shorter than the IP payload:
 * udp.hlen_invalid, and the payload is cut at the UDP length.
 */
#include "decode/decode_int.h"

enum { UDP_PORT_VXLAN = 4789, UDP_PORT_GENEVE = 6081 };

int decode__udp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint16_t ulen, csum;

    ctx->cnt.udp++;
    p->l4_off = (uint16_t)c->off;
    decode__rd(&r, p, c);
    if (!vg_rd_be16(&r, &p->sport) || !vg_rd_be16(&r, &p->dport) || !vg_rd_be16(&r, &ulen) ||
        !vg_rd_be16(&r, &csum))
        return decode__invalid(ctx, p, ANOM_UDP_HLEN_TOO_SMALL);
    uint32_t iplen = ctx->l4.l4_len;
    if (ulen < 8) return decode__invalid(ctx, p, ANOM_UDP_LEN_INVALID);
    if (ulen > iplen) return decode__invalid(ctx, p, ANOM_UDP_PKT_TOO_SMALL);
    if (ulen < iplen) decode_add_anomaly(ctx, p, ANOM_UDP_HLEN_INVALID);

    uint32_t present = c->end - c->off;
    if (present >= ulen) {
        c->end = c->off + ulen;
        present = ulen;
        /* Zero means "no checksum" over IPv4; over IPv6 only tunnels may do that. */
        bool tunnel = p->dport == UDP_PORT_VXLAN || p->dport == UDP_PORT_GENEVE;
        if (csum != 0 || (p->ip_ver == 6 && !tunnel))
            decode__l4_csum(ctx, p, p->data + c->off, ulen, 17);
    }
    p->payload = p->data + c->off + 8;
    p->payload_len = present - 8;
    c->off += 8;
    switch (p->dport) {
    case UDP_PORT_VXLAN:
        return DL_VXLAN;
    case UDP_PORT_GENEVE:
        return DL_GENEVE;
    default:
        return DL_DONE;
    }
}
