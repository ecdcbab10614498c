/* decode_ppp.c - PPP frames (LINKTYPE_PPP 9) and the PPP protocol dispatch shared with PPPoE.
 *
 * References: RFC 1661 (PPP; protocol field values: 0x0xxx-0x3xxx network layer, 0x8xxx-0xbxxx
 * network control, 0xcxxx-0xfxxx link control; protocol-field compression), RFC 1662 (HDLC-like
 * framing: address 0xff, control 0x03, which LINKTYPE_PPP captures may or may not include),
 * RFC 1332 (IPv4 0x0021), RFC 5072 (IPv6 0x0057), RFC 3032 (MPLS 0x0281/0x0283).
 */
#include "decode/decode_int.h"

int decode__ppp_proto(struct decode_ctx *ctx, struct packet *p, uint16_t proto)
{
    switch (proto) {
    case 0x0021:
        p->eth_type = 0x0800;
        return DL_IPV4;
    case 0x0057:
        p->eth_type = 0x86dd;
        return DL_IPV6;
    case 0x0281:
    case 0x0283:
        p->eth_type = 0x8847;
        return DL_MPLS;
    default:
        /* Control protocols (LCP, IPCP, IPV6CP, CHAP, PAP, CCP ...) are normal PPP chatter and are
         * not decoded; an unknown network-layer protocol is worth an event. */
        if (proto < 0x8000) decode_add_anomaly(ctx, p, ANOM_PPP_UNSUP_PROTO);
        return DL_DONE;
    }
}

int decode__ppp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t b0, b1;

    ctx->cnt.ppp++;
    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &b0)) return decode__invalid(ctx, p, ANOM_PPP_PKT_TOO_SMALL);
    if (b0 == 0xff) {
        /* Address and control (RFC 1662 3.1); 0xff is never a valid first protocol byte. */
        if (!vg_rd_u8(&r, &b1) || !vg_rd_u8(&r, &b0))
            return decode__invalid(ctx, p, ANOM_PPP_PKT_TOO_SMALL);
    }
    uint16_t proto = b0;
    if (!(b0 & 1)) {
        if (!vg_rd_u8(&r, &b1)) return decode__invalid(ctx, p, ANOM_PPP_PKT_TOO_SMALL);
        proto = (uint16_t)(b0 << 8 | b1);
    }
    c->off += (uint32_t)r.off;
    return decode__ppp_proto(ctx, p, proto);
}
