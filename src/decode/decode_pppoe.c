/* decode_pppoe.c - PPP over Ethernet, session (0x8864) and discovery (0x8863) stages.
 *
 * References: RFC 2516 (header: VER 4 bits = 1, TYPE 4 bits = 1, CODE 8, SESSION_ID 16,
 * LENGTH 16; session data has CODE 0; discovery codes PADI 0x09, PADO 0x07, PADR 0x19,
 * PADS 0x65, PADT 0xa7), RFC 1661 section 2 (PPP protocol field, possibly compressed to one byte).
 */
#include "decode/decode_int.h"

enum { PPPOE_HDR_LEN = 6 };

int decode__pppoe_sess(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t vt, code, b0, b1;
    uint16_t sid, len;

    ctx->cnt.pppoe++;
    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &vt) || !vg_rd_u8(&r, &code) || !vg_rd_be16(&r, &sid) ||
        !vg_rd_be16(&r, &len))
        return decode__invalid(ctx, p, ANOM_PPPOE_PKT_TOO_SMALL);
    if (vt != 0x11) return decode__invalid(ctx, p, ANOM_PPPOE_WRONG_VERSION);
    if (code != 0) return decode__invalid(ctx, p, ANOM_PPPOE_WRONG_CODE);
    /* LENGTH covers the PPP frame; what follows it is Ethernet padding. A LENGTH beyond the frame
     * is left to the IP decoder, which will see its own total length cut short. */
    if (len < vg_rd_left(&r)) {
        c->end = c->off + PPPOE_HDR_LEN + len;
        vg_rd_init(&r, p->data + c->off + PPPOE_HDR_LEN, len); /* protocol inside LENGTH too */
    } else {
        vg_rd_init(&r, p->data + c->off + PPPOE_HDR_LEN, c->end - c->off - PPPOE_HDR_LEN);
    }
    if (!vg_rd_u8(&r, &b0)) return decode__invalid(ctx, p, ANOM_PPPOE_PKT_TOO_SMALL);
    uint16_t proto = b0;
    /* Protocol-field compression (RFC 1661 6.5): a one-byte field is the one with an odd value. */
    if (!(b0 & 1)) {
        if (!vg_rd_u8(&r, &b1)) return decode__invalid(ctx, p, ANOM_PPPOE_PKT_TOO_SMALL);
        proto = (uint16_t)(b0 << 8 | b1);
    }
    c->off += PPPOE_HDR_LEN + (uint32_t)r.off;
    return decode__ppp_proto(ctx, p, proto);
}

int decode__pppoe_disc(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t vt, code;

    ctx->cnt.pppoe++;
    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &vt) || !vg_rd_u8(&r, &code) || !vg_rd_skip(&r, 4))
        return decode__invalid(ctx, p, ANOM_PPPOE_PKT_TOO_SMALL);
    if (vt != 0x11) return decode__invalid(ctx, p, ANOM_PPPOE_WRONG_VERSION);
    switch (code) {
    case 0x09:
    case 0x07:
    case 0x19:
    case 0x65:
    case 0xa7:
        break;
    default:
        return decode__invalid(ctx, p, ANOM_PPPOE_WRONG_CODE);
    }
    /* Discovery is counted only: the tags (service name, AC name, cookies) are not needed yet. */
    p->payload = p->data + c->off + PPPOE_HDR_LEN;
    p->payload_len = c->end - c->off - PPPOE_HDR_LEN;
    return DL_DONE;
}
