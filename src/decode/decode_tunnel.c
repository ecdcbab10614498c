/* decode_tunnel.c - tunnels: GRE, VXLAN, GENEVE, ERSPAN, and the bookkeeping of IP-in-IP.
 *
 * References: RFC 2784 (GRE), RFC 2890 (GRE key and sequence number), RFC 1701 (the older flags:
 * routing, strict source route, recursion control), RFC 2637 (PPTP's enhanced GRE, version 1),
 * RFC 7348 (VXLAN), RFC 8926 (GENEVE), draft-foschiano-erspan (ERSPAN types II and III),
 * RFC 2003 (IPv4-in-IPv4), RFC 4213 (IPv6-in-IPv4), RFC 2473 (generic IPv6 tunnels).
 *
 * The innermost packet wins the packet fields; the outermost IP header is kept in
 * p->outer_src/outer_dst/outer_proto. p->tunnel_depth counts the encapsulations and
 * p->tunnel_id holds the VNI or GRE key of the innermost tunnel that has one. Every tunnel payload
 * is a new iteration of the layer loop in decode.c, limited to DECODE__MAX_TUNNELS.
 */
#include "decode/decode_int.h"

bool decode__tunnel_enter(struct decode_ctx *ctx, struct packet *p)
{
    if (p->tunnel_depth >= DECODE__MAX_TUNNELS) {
        (void)decode__invalid(ctx, p, ANOM_TOO_MANY_LAYERS);
        return false;
    }
    if (p->tunnel_depth == 0) {
        p->outer_src = p->src;
        p->outer_dst = p->dst;
        p->outer_proto = p->proto;
    }
    p->tunnel_depth++;
    return true;
}

/* GRE header bits (RFC 2784 / RFC 1701 / RFC 2637). */
enum {
    GRE_C = 0x8000,
    GRE_R = 0x4000,
    GRE_K = 0x2000,
    GRE_S = 0x1000,
    GRE_SSR = 0x0800,
    GRE_RECUR = 0x0700,
    GRE_A = 0x0080,
    GRE_FLAGS = 0x0078,
    GRE_VER = 0x0007,
};

enum {
    GRE_PROTO_TEB = 0x6558,
    GRE_PROTO_ERSPAN2 = 0x88be,
    GRE_PROTO_ERSPAN3 = 0x22eb,
    GRE_PROTO_PPP = 0x880b
};

/* RFC 1701 source route entries: address family 2, SRE offset 1, SRE length 1, then the route;
 * the list ends with family 0 and length 0. */
static bool gre_skip_sre(struct vg_reader *r)
{
    uint16_t af;
    uint8_t off, len;
    for (;;) {
        if (!vg_rd_be16(r, &af) || !vg_rd_u8(r, &off) || !vg_rd_u8(r, &len)) return false;
        if (af == 0 && len == 0) return true;
        if (!vg_rd_skip(r, len)) return false; /* each turn consumes >= 4 bytes: it ends */
    }
}

int decode__gre(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint16_t fl, proto;
    uint32_t key = 0;

    ctx->cnt.gre++;
    p->l4_off = (uint16_t)c->off;
    decode__rd(&r, p, c);
    if (!vg_rd_be16(&r, &fl) || !vg_rd_be16(&r, &proto))
        return decode__invalid(ctx, p, ANOM_GRE_PKT_TOO_SMALL);

    switch (fl & GRE_VER) {
    case 0:
        if (fl & GRE_RECUR) return decode__invalid(ctx, p, ANOM_GRE_VERSION0_RECUR);
        if (fl & (GRE_FLAGS | GRE_A)) return decode__invalid(ctx, p, ANOM_GRE_VERSION0_FLAGS);
        if (((fl & (GRE_C | GRE_R)) && !vg_rd_skip(&r, 4)) ||
            ((fl & GRE_K) && !vg_rd_be32(&r, &key)) || ((fl & GRE_S) && !vg_rd_skip(&r, 4)))
            return decode__invalid(ctx, p, ANOM_GRE_VERSION0_HDR_TOO_BIG);
        if ((fl & GRE_R) && !gre_skip_sre(&r))
            return decode__invalid(ctx, p, ANOM_GRE_VERSION0_MALFORMED_SRE_HDR);
        break;
    case 1:
        /* PPTP (RFC 2637 4.1): key present (payload length + call id), no checksum or
         * routing, protocol PPP. Counted; the PPP inside is usually compressed or encrypted
         * (MPPE) and is not decoded. */
        if (fl & GRE_C) return decode__invalid(ctx, p, ANOM_GRE_VERSION1_CHKSUM);
        if (fl & GRE_R) return decode__invalid(ctx, p, ANOM_GRE_VERSION1_ROUTE);
        if (fl & GRE_SSR) return decode__invalid(ctx, p, ANOM_GRE_VERSION1_SSR);
        if (fl & GRE_RECUR) return decode__invalid(ctx, p, ANOM_GRE_VERSION1_RECUR);
        if (fl & GRE_FLAGS) return decode__invalid(ctx, p, ANOM_GRE_VERSION1_FLAGS);
        if (!(fl & GRE_K)) return decode__invalid(ctx, p, ANOM_GRE_VERSION1_NO_KEY);
        if (proto != GRE_PROTO_PPP)
            return decode__invalid(ctx, p, ANOM_GRE_VERSION1_WRONG_PROTOCOL);
        if (!vg_rd_skip(&r, 4) || ((fl & GRE_S) && !vg_rd_skip(&r, 4)) ||
            ((fl & GRE_A) && !vg_rd_skip(&r, 4)))
            return decode__invalid(ctx, p, ANOM_GRE_VERSION1_HDR_TOO_BIG);
        ctx->cnt.gre_pptp++;
        p->payload = p->data + c->off + r.off;
        p->payload_len = c->end - c->off - (uint32_t)r.off;
        return DL_DONE;
    default:
        return decode__invalid(ctx, p, ANOM_GRE_WRONG_VERSION);
    }

    c->off += (uint32_t)r.off;
    /* What the tunnel carries, in case it is not decoded below. */
    p->payload = p->data + c->off;
    p->payload_len = c->end - c->off;

    int next;
    switch (proto) {
    case GRE_PROTO_TEB:
        next = DL_ETH;
        break;
    /* ERSPAN type II has a sequence number; type I has neither it nor an ERSPAN header. */
    case GRE_PROTO_ERSPAN2:
        next = (fl & GRE_S) ? DL_ERSPAN2 : DL_ETH;
        break;
    case GRE_PROTO_ERSPAN3:
        next = DL_ERSPAN3;
        break;
    default:
        next = decode__ethertype(ctx, p, proto);
        /* GRE carries many payloads vigil does not decode (WCCP, NHRP, ...): no event, as in
         * Suricata. */
        if (next <= DL_DONE) return DL_DONE;
        break;
    }
    if (!decode__tunnel_enter(ctx, p)) return DL_DONE;
    if (fl & GRE_K) p->tunnel_id = key;
    return next;
}

/* VXLAN (RFC 7348 5): flags 8 bits (I = 0x08: the VNI is valid), reserved 24, VNI 24,
 * reserved 8, then an Ethernet frame. A UDP/4789 payload without the I flag is left alone. */
int decode__vxlan(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t flags, vni_lo;
    uint16_t vni_hi, inner_type;

    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &flags) || !vg_rd_skip(&r, 3) || !vg_rd_be16(&r, &vni_hi) ||
        !vg_rd_u8(&r, &vni_lo) || !vg_rd_skip(&r, 1)) {
        decode_add_anomaly(ctx, p, ANOM_VXLAN_PKT_TOO_SMALL);
        return DL_DONE;
    }
    if (!(flags & 0x08)) return DL_DONE;
    if (!vg_rd_skip(&r, 12) || !vg_rd_be16(&r, &inner_type)) {
        decode_add_anomaly(ctx, p, ANOM_VXLAN_PKT_TOO_SMALL);
        return DL_DONE;
    }
    /* Suricata only follows VXLAN into the Ethernet types it knows; so does vigil. */
    switch (inner_type) {
    case 0x0800:
    case 0x86dd:
    case 0x0806:
    case 0x8100:
    case 0x88a8:
    case 0x9100:
        break;
    default:
        decode_add_anomaly(ctx, p, ANOM_VXLAN_UNKNOWN_PAYLOAD);
        return DL_DONE;
    }
    if (!decode__tunnel_enter(ctx, p)) return DL_DONE;
    ctx->cnt.vxlan++;
    p->tunnel_id = (uint32_t)vni_hi << 8 | vni_lo;
    c->off += 8;
    return DL_ETH;
}

/* GENEVE (RFC 8926 3.1): version 2 bits, option length 6 bits (4-byte units), O, C, reserved 6,
 * protocol type 16, VNI 24, reserved 8, options. */
int decode__geneve(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t vo, fl, vni_lo;
    uint16_t proto, vni_hi;

    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &vo) || !vg_rd_u8(&r, &fl) || !vg_rd_be16(&r, &proto) ||
        !vg_rd_be16(&r, &vni_hi) || !vg_rd_u8(&r, &vni_lo) || !vg_rd_skip(&r, 1)) {
        decode_add_anomaly(ctx, p, ANOM_GENEVE_PKT_TOO_SMALL);
        return DL_DONE;
    }
    if (vo >> 6 != 0) return DL_DONE; /* not GENEVE version 0: leave it as UDP */
    if (!vg_rd_skip(&r, (vo & 0x3fu) * 4)) {
        decode_add_anomaly(ctx, p, ANOM_GENEVE_PKT_TOO_SMALL);
        return DL_DONE;
    }
    int next;
    switch (proto) {
    case GRE_PROTO_TEB:
        next = DL_ETH;
        break;
    case 0x0800:
        next = DL_IPV4;
        break;
    case 0x86dd:
        next = DL_IPV6;
        break;
    default:
        decode_add_anomaly(ctx, p, ANOM_GENEVE_UNKNOWN_PAYLOAD);
        return DL_DONE;
    }
    if (!decode__tunnel_enter(ctx, p)) return DL_DONE;
    ctx->cnt.geneve++;
    p->tunnel_id = (uint32_t)vni_hi << 8 | vni_lo;
    c->off += (uint32_t)r.off;
    return next;
}

/* ERSPAN type II: version 4 (= 1), VLAN 12, COS 3, En 2, T 1, session id 10, reserved 12,
 * index 20; then the mirrored Ethernet frame. */
int decode__erspan2(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t ver;

    ctx->cnt.erspan++;
    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &ver) || !vg_rd_skip(&r, 7))
        return decode__invalid(ctx, p, ANOM_ERSPAN_HEADER_TOO_SMALL);
    if (ver >> 4 != 1) return decode__invalid(ctx, p, ANOM_ERSPAN_UNSUPPORTED_VERSION);
    c->off += 8;
    return DL_ETH;
}

/* ERSPAN type III: version 4 (= 2), VLAN 12, COS 3, BSO 2, T 1, session id 10, timestamp 32,
 * SGT 16, P 1, FT 5, HW id 6, D 1, Gra 2, O 1; with O set an 8-byte platform sub-header follows.
 * FT 0 is Ethernet; other frame types are not decoded. */
int decode__erspan3(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t ver, b10, b11;

    ctx->cnt.erspan++;
    decode__rd(&r, p, c);
    if (!vg_rd_u8(&r, &ver) || !vg_rd_skip(&r, 9) || !vg_rd_u8(&r, &b10) || !vg_rd_u8(&r, &b11))
        return decode__invalid(ctx, p, ANOM_ERSPAN_HEADER_TOO_SMALL);
    if (ver >> 4 != 2) return decode__invalid(ctx, p, ANOM_ERSPAN_UNSUPPORTED_VERSION);
    if ((b11 & 1) && !vg_rd_skip(&r, 8))
        return decode__invalid(ctx, p, ANOM_ERSPAN_HEADER_TOO_SMALL);
    c->off += (uint32_t)r.off;
    if (((b10 >> 2) & 0x1f) != 0) return DL_DONE;
    return DL_ETH;
}
