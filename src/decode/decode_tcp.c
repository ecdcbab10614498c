/* decode_tcp.c - TCP header, options and checksum.
 *
 * References: RFC 9293 (header 3.1, data offset, options 3.2: EOL 0, NOP 1, MSS 2 len 4,
 * checksum with the pseudo-header 3.1), RFC 7323 (window scale 3 len 3, timestamps 8 len 10),
 * RFC 2018 (SACK-permitted 4 len 2, SACK 5 len 2+8n), RFC 8200 8.1 (IPv6 pseudo-header).
 *
 * The fields are filled as soon as the fixed 20 bytes are there, so that the flow layer can place
 * a short or malformed segment even when it is marked invalid. The checksum is verified only when
 * the whole segment (as the IP length says) was captured; a bad one is flagged and counted, not
 * enforced: checksum offload makes them common on the capturing host, and the stream layer
 * decides what to trust.
 */
#include "decode/decode_int.h"

enum {
    TCPOPT_EOL = 0,
    TCPOPT_NOP = 1,
    TCPOPT_MSS = 2,
    TCPOPT_WS = 3,
    TCPOPT_SACKOK = 4,
    TCPOPT_SACK = 5,
    TCPOPT_TS = 8
};

/* Walks the options, fills p->tcp_opts and the layout fingerprint (kinds in wire order, NOP
 * included, EOL included as the last entry when present: "2,1,3,1,1,4" and "2,1,3,1,1,4,0" are
 * different stacks). */
static void tcp_options(struct decode_ctx *ctx, struct packet *p, const uint8_t *opt, unsigned n)
{
    struct vg_tcp_opts *o = &p->tcp_opts;
    struct vg_reader r, b;
    uint8_t kind, len;
    const uint8_t *body;
    bool sack_seen = false;

    vg_rd_init(&r, opt, n);
    while (vg_rd_u8(&r, &kind)) {
        if (o->layout_len < sizeof(o->layout)) o->layout[o->layout_len++] = kind;
        if (kind == TCPOPT_EOL) break;
        if (kind == TCPOPT_NOP) continue;
        if (!vg_rd_u8(&r, &len) || len < 2 || !vg_rd_bytes(&r, len - 2u, &body)) {
            /* A length that cannot be right leaves no way to find the next option; Suricata
             * marks such a segment invalid too. */
            (void)decode__invalid(ctx, p, ANOM_TCP_OPT_INVALID_LEN);
            return;
        }
        vg_rd_init(&b, body, len - 2u);
        switch (kind) {
        case TCPOPT_MSS:
            if (len != 4) {
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_INVALID_LEN);
            } else if (o->has_mss) {
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_DUPLICATE);
            } else {
                (void)vg_rd_be16(&b, &o->mss);
                o->has_mss = true;
            }
            break;
        case TCPOPT_WS:
            if (len != 3) {
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_INVALID_LEN);
            } else if (o->has_wscale) {
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_DUPLICATE);
            } else {
                (void)vg_rd_u8(&b, &o->wscale);
                o->has_wscale = true;
            }
            break;
        case TCPOPT_SACKOK:
            if (len != 2)
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_INVALID_LEN);
            else if (o->sack_perm)
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_DUPLICATE);
            else
                o->sack_perm = true;
            break;
        case TCPOPT_SACK:
            if (len < 10 || (len - 2) % 8 != 0) {
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_INVALID_LEN);
            } else if (sack_seen) {
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_DUPLICATE);
            } else {
                o->sack_blocks = (uint8_t)((len - 2) / 8);
                sack_seen = true;
            }
            break;
        case TCPOPT_TS:
            if (len != 10) {
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_INVALID_LEN);
            } else if (o->has_ts) {
                decode_add_anomaly(ctx, p, ANOM_TCP_OPT_DUPLICATE);
            } else {
                (void)vg_rd_be32(&b, &o->ts_val);
                (void)vg_rd_be32(&b, &o->ts_ecr);
                o->has_ts = true;
            }
            break;
        default:
            break; /* MD5 (19), MPTCP (30), TFO (34), AO (29) ...: in the layout only */
        }
    }
}

int decode__tcp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint8_t offres, flags;
    uint16_t csum;
    const uint8_t *opt;

    ctx->cnt.tcp++;
    p->l4_off = (uint16_t)c->off;
    decode__rd(&r, p, c);
    if (!vg_rd_be16(&r, &p->sport) || !vg_rd_be16(&r, &p->dport) || !vg_rd_be32(&r, &p->tcp_seq) ||
        !vg_rd_be32(&r, &p->tcp_ack) || !vg_rd_u8(&r, &offres) || !vg_rd_u8(&r, &flags) ||
        !vg_rd_be16(&r, &p->tcp_win) || !vg_rd_be16(&r, &csum) || !vg_rd_be16(&r, &p->tcp_urp))
        return decode__invalid(ctx, p, ANOM_TCP_PKT_TOO_SMALL);
    p->tcp_flags = flags;
    unsigned hlen = (offres >> 4) * 4u;
    p->tcp_hlen = (uint8_t)hlen;
    if (hlen < 20) return decode__invalid(ctx, p, ANOM_TCP_HLEN_TOO_SMALL);
    if (!vg_rd_bytes(&r, hlen - 20, &opt)) return decode__invalid(ctx, p, ANOM_TCP_PKT_TOO_SMALL);
    if (hlen > 20) tcp_options(ctx, p, opt, hlen - 20);

    uint32_t seg = c->end - c->off;
    p->payload = p->data + c->off + hlen;
    p->payload_len = seg - hlen;
    if (seg == ctx->l4.l4_len) decode__l4_csum(ctx, p, p->data + c->off, seg, 6);
    return DL_DONE;
}
