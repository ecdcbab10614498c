/* decode_null.c - BSD loopback encapsulations: LINKTYPE_NULL (0), a 4-byte address family in the
 * byte order of the machine that captured, and LINKTYPE_LOOP (108), the same in network order.
 *
 * References: https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html. Like libpcap, a host-order
 * value with bits set in its upper half is taken to be byte-swapped (a capture from a machine of
 * the other endianness). IPv6 has a different AF_INET6 on every BSD: 24 (NetBSD, OpenBSD, BSD/OS),
 * 28 (FreeBSD, DragonFly), 30 (Darwin), and 10 (Linux, rare here).
 */
#include "decode/decode_int.h"

static int null_family(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c,
                       uint32_t family)
{
    c->off += 4;
    switch (family) {
    case 2:
        return DL_IPV4;
    case 10:
    case 24:
    case 28:
    case 30:
        return DL_IPV6;
    default:
        decode_add_anomaly(ctx, p, ANOM_NULL_UNSUPPORTED_TYPE);
        return DL_DONE;
    }
}

int decode__null(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint32_t family;

    ctx->cnt.null++;
    decode__rd(&r, p, c);
    if (!vg_rd_le32(&r, &family)) return decode__invalid(ctx, p, ANOM_NULL_PKT_TOO_SMALL);
    if (family & 0xffff0000u) family = __builtin_bswap32(family);
    return null_family(ctx, p, c, family);
}

int decode__loop(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint32_t family;

    ctx->cnt.null++;
    decode__rd(&r, p, c);
    if (!vg_rd_be32(&r, &family)) return decode__invalid(ctx, p, ANOM_NULL_PKT_TOO_SMALL);
    return null_family(ctx, p, c, family);
}
