/* decode_raw.c - raw IP link types: LINKTYPE_RAW (101) and its BSD DLT aliases 12 and 14, where
 * the version nibble of the first byte picks IPv4 or IPv6. LINKTYPE_IPV4 (228) and
 * LINKTYPE_IPV6 (229) go straight to their decoder from decode.c.
 *
 * References: https://www.tcpdump.org/linktypes/LINKTYPE_RAW.html.
 */
#include "decode/decode_int.h"

int decode__raw(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t first;

    ctx->cnt.raw++;
    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &first)) return decode__invalid(ctx, p, ANOM_IPV4_PKT_TOO_SMALL);
    switch (first >> 4) {
    case 4:
        return DL_IPV4;
    case 6:
        return DL_IPV6;
    default:
        return decode__invalid(ctx, p, ANOM_RAW_INVALID_IP_VERSION);
    }
}
