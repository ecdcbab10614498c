/* decode_ipv6.c - IPv6 headers and extension headers; fragments are handed to defrag.c.
 *
 * References: RFC 8200 (header, extension headers and their order, options TLV, fragment header,
 * pseudo-header with a routing header in 8.1), RFC 4302 (AH: Payload Len counts 32-bit words
 * minus 2, unlike the other extension headers' 8-octet units), RFC 4303 (ESP ends the clear
 * text), RFC 5095 (type 0 routing header deprecated), RFC 6275 (type 2), RFC 8754 (segment
 * routing header, type 4), RFC 2675 (jumbograms), RFC 6946 (atomic fragments), IANA "IPv6
 * Extension Header Types" and "Destination Options and Hop-by-Hop Options".
 *
 * The extension-header chain is a bounded loop (DECODE__MAX_IPV6_EXTHDRS); every header length is
 * checked against the bytes the payload length allows. When a Fragment header completes a
 * datagram, the loop goes on in the reassembled buffer with what followed the Fragment header.
 */
#include "decode/decode_int.h"

#include <string.h>

enum {
    NH_HOPOPTS = 0,
    NH_ROUTING = 43,
    NH_FRAGMENT = 44,
    NH_ESP = 50,
    NH_AH = 51,
    NH_NONE = 59,
    NH_DSTOPTS = 60,
};

/* Options IANA has assigned for Hop-by-Hop / Destination Options headers; anything else is the
 * "unknown option" event (Suricata's hopopts_unknown_opt / dstopts_unknown_opt). */
static bool ipv6_opt_known(uint8_t type)
{
    switch (type) {
    case 0x04: /* tunnel encapsulation limit, RFC 2473 */
    case 0x05: /* router alert, RFC 2711 */
    case 0x07: /* CALIPSO, RFC 5570 */
    case 0x08: /* SMF_DPD, RFC 7731 */
    case 0x11: /* IOAM, RFC 9486 */
    case 0x26: /* quick-start, RFC 4782 */
    case 0x31: /* IOAM, RFC 9486 */
    case 0x63: /* RPL, RFC 6553 */
    case 0x6d: /* MPL, RFC 7731 */
    case 0x8b: /* ILNP nonce, RFC 6744 */
    case 0x8c: /* line identification, RFC 6788 */
    case 0xc2: /* jumbo payload, RFC 2675 */
    case 0xc9: /* home address, RFC 6275 */
    case 0xee: /* IPv6 DFF, RFC 6971 */
        return true;
    default:
        return false;
    }
}

/* Walks the TLV options of a Hop-by-Hop or Destination Options header (RFC 8200 4.2). */
static void ipv6_options(struct decode_ctx *ctx, struct packet *p, const uint8_t *opt, unsigned n,
                         bool hbh)
{
    struct vg_reader r;
    uint8_t type, len;
    bool only_padding = true;

    vg_rd_init(&r, opt, n);
    while (vg_rd_u8(&r, &type)) {
        if (type == 0) continue; /* Pad1 */
        if (!vg_rd_u8(&r, &len) || !vg_rd_skip(&r, len)) {
            decode_add_anomaly(ctx, p, ANOM_IPV6_EXTHDR_INVALID_OPTLEN);
            return;
        }
        if (type == 1) { /* PadN */
            if (len == 0) decode_add_anomaly(ctx, p, ANOM_IPV6_ZERO_LEN_PADN);
            continue;
        }
        only_padding = false;
        if (!ipv6_opt_known(type))
            decode_add_anomaly(ctx, p,
                               hbh ? ANOM_IPV6_HOPOPTS_UNKNOWN_OPT : ANOM_IPV6_DSTOPTS_UNKNOWN_OPT);
    }
    /* A header of nothing but padding has no reason to exist: a covert channel or a filler. */
    if (only_padding)
        decode_add_anomaly(ctx, p,
                           hbh ? ANOM_IPV6_HOPOPTS_ONLY_PADDING : ANOM_IPV6_DSTOPTS_ONLY_PADDING);
}

/* Routing header (RFC 8200 4.4): with segments left, the upper-layer checksum is computed by the
 * sender against the final destination, which the header names. */
static void ipv6_routing(struct decode_ctx *ctx, struct packet *p, const uint8_t *h, unsigned size)
{
    struct vg_reader r;
    uint8_t type, left;
    const uint8_t *a;

    vg_rd_init(&r, h, size);
    if (!vg_rd_skip(&r, 2) || !vg_rd_u8(&r, &type) || !vg_rd_u8(&r, &left)) return;
    if (type == 0) decode_add_anomaly(ctx, p, ANOM_IPV6_RH_TYPE_0);
    if (left == 0) return;
    switch (type) {
    case 0: /* addresses from offset 8; the last one is the final destination */
        if (size >= 8 + 16 && vg_rd_skip(&r, 4 + ((size - 8) / 16 - 1) * 16) &&
            vg_rd_bytes(&r, 16, &a))
            break;
        return;
    case 2: /* one home address at offset 8 */
    case 4: /* SRH: segment list[0] (the last segment) at offset 8 */
        if (vg_rd_skip(&r, 4) && vg_rd_bytes(&r, 16, &a)) break;
        return;
    default:
        return;
    }
    ctx->l4.ip6_final_dst = true;
    memcpy(ctx->l4.ip6_dst, a, 16);
}

/* IANA: 144-252 unassigned, 255 reserved. */
static bool ipv6_nh_unknown(uint8_t nh)
{
    return (nh >= 144 && nh <= 252) || nh == 255;
}

int decode__ipv6(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint32_t vtcfl;
    uint16_t plen;
    uint8_t nh, hlim;
    const uint8_t *src, *dst;

    ctx->cnt.ipv6++;
    decode__rd(&r, p, c);
    if (!vg_rd_be32(&r, &vtcfl) || !vg_rd_be16(&r, &plen) || !vg_rd_u8(&r, &nh) ||
        !vg_rd_u8(&r, &hlim) || !vg_rd_bytes(&r, 16, &src) || !vg_rd_bytes(&r, 16, &dst))
        return decode__invalid(ctx, p, ANOM_IPV6_PKT_TOO_SMALL);
    if (vtcfl >> 28 != 6) return decode__invalid(ctx, p, ANOM_IPV6_WRONG_IP_VERSION);

    decode__ip_reset(ctx, p);
    p->ip_ver = 6;
    p->l3_off = (uint16_t)c->off;
    p->ttl = hlim;
    p->src.family = p->dst.family = 6;
    memcpy(p->src.a, src, 16);
    memcpy(p->dst.a, dst, 16);

    uint32_t avail = c->end - c->off;
    uint32_t total = 40u + plen;
    /* Payload length 0 with a hop-by-hop header is a jumbogram (RFC 2675): its length is in an
     * option; take what was captured. */
    if (plen == 0 && nh == NH_HOPOPTS) total = avail;
    bool cut = total > avail; /* this datagram is not all there (a snaplen, or a lying length) */
    if (cut) {
        p->flags |= VG_PKT_TRUNCATED;
        if (p->caplen >= p->wirelen) p->flags |= VG_PKT_INVALID; /* see decode_ipv4.c */
        decode_add_anomaly(ctx, p, ANOM_IPV6_TRUNC_PKT);
    } else {
        c->end = c->off + total;
    }
    uint32_t ip_end = c->off + total; /* where the IP length says the datagram ends */
    p->l3_len = (uint16_t)(c->end - c->off > 0xffff ? 0xffff : c->end - c->off);

    uint32_t off = c->off + 40;
    unsigned nh_off = 6; /* offset, from l3_off, of the next-header byte naming `nh` */
    bool seen_hh = false, seen_rh = false, seen_fh = false, seen_ah = false;
    unsigned dstopts = 0;
    for (unsigned n = 0;; n++) {
        if (n > DECODE__MAX_IPV6_EXTHDRS)
            return decode__invalid(ctx, p, ANOM_IPV6_TOO_MANY_EXTHDRS);
        const uint8_t *h = p->data + off;
        uint8_t next, hl;
        unsigned size;
        vg_rd_init(&r, h, c->end - off);
        switch (nh) {
        case NH_HOPOPTS:
        case NH_DSTOPTS:
        case NH_ROUTING:
            if (!vg_rd_u8(&r, &next) || !vg_rd_u8(&r, &hl))
                return decode__invalid(ctx, p, ANOM_IPV6_TRUNC_EXTHDR);
            size = (hl + 1u) * 8;
            if (!vg_rd_has(&r, size - 2)) return decode__invalid(ctx, p, ANOM_IPV6_TRUNC_EXTHDR);
            if (nh == NH_HOPOPTS) {
                if (seen_hh) decode_add_anomaly(ctx, p, ANOM_IPV6_EXTHDR_DUPL_HH);
                seen_hh = true;
                ipv6_options(ctx, p, h + 2, size - 2, true);
            } else if (nh == NH_DSTOPTS) {
                /* Two are legal: one before a routing header, one before the upper layer. */
                if (++dstopts > 2) decode_add_anomaly(ctx, p, ANOM_IPV6_EXTHDR_DUPL_DH);
                ipv6_options(ctx, p, h + 2, size - 2, false);
            } else {
                if (seen_rh) decode_add_anomaly(ctx, p, ANOM_IPV6_EXTHDR_DUPL_RH);
                seen_rh = true;
                ipv6_routing(ctx, p, h, size);
            }
            break;
        case NH_AH: {
            uint16_t reserved;
            if (!vg_rd_u8(&r, &next) || !vg_rd_u8(&r, &hl) || !vg_rd_be16(&r, &reserved))
                return decode__invalid(ctx, p, ANOM_IPV6_TRUNC_EXTHDR);
            size = (hl + 2u) * 4; /* RFC 4302 2.2: 32-bit words, minus 2 */
            if (size < 12 || !vg_rd_has(&r, size - 4))
                return decode__invalid(ctx, p, ANOM_IPV6_TRUNC_EXTHDR);
            if (seen_ah) decode_add_anomaly(ctx, p, ANOM_IPV6_EXTHDR_DUPL_AH);
            seen_ah = true;
            if (reserved) decode_add_anomaly(ctx, p, ANOM_IPV6_EXTHDR_AH_RES_NOT_NULL);
            break;
        }
        case NH_FRAGMENT: {
            uint8_t res;
            uint16_t offflags;
            uint32_t id;
            if (!vg_rd_u8(&r, &next) || !vg_rd_u8(&r, &res) || !vg_rd_be16(&r, &offflags) ||
                !vg_rd_be32(&r, &id))
                return decode__invalid(ctx, p, ANOM_IPV6_TRUNC_EXTHDR);
            size = 8;
            if (seen_fh) decode_add_anomaly(ctx, p, ANOM_IPV6_EXTHDR_DUPL_FH);
            seen_fh = true;
            if (res || (offflags & 0x0006))
                decode_add_anomaly(ctx, p, ANOM_IPV6_FH_NON_ZERO_RESERVED_FIELD);
            p->ip_id = (uint16_t)id;
            uint32_t frag_off = offflags & 0xfff8;
            bool more = offflags & 1;
            if (frag_off == 0 && !more) {
                /* An atomic fragment (RFC 6946): the whole datagram, decoded in place. */
                decode_add_anomaly(ctx, p, ANOM_IPV6_EXTHDR_USELESS_FH);
                break;
            }
            ctx->cnt.frag_ipv6++;
            p->flags |= VG_PKT_FRAGMENT;
            p->proto = next;
            p->ip_hlen = (uint16_t)(off + 8 - c->off);
            uint32_t unfrag = off - p->l3_off;
            uint32_t dlen = c->end - (off + 8);
            if (more && dlen % 8) {
                /* RFC 8200 4.5: every fragment but the last is a multiple of 8 octets long. */
                decode_add_anomaly(ctx, p, ANOM_IPV6_FRAG_INVALID_LENGTH);
                return DL_DONE;
            }
            if (cut) return DL_DONE; /* its bytes are not all there: cannot be reassembled */
            if ((unfrag - 40) + frag_off + dlen > 65535) {
                decode_add_anomaly(ctx, p, ANOM_IPV6_FRAG_PKT_TOO_LARGE);
                return DL_DONE;
            }
            c->off = off + 8;
            if (!decode__defrag_ipv6(ctx, p, c, unfrag, nh_off, next, id, frag_off, more))
                return DL_DONE;
            /* Go on in the reassembled datagram, after where the Fragment header was. */
            off = c->off;
            ip_end = c->end;
            nh = next; /* nh_off stays: defrag patched that byte to name `next` */
            continue;
        }
        case NH_NONE:
            /* No Next Header: anything after it is smuggled (RFC 8200 4.7 says ignore it). */
            if (off < c->end) decode_add_anomaly(ctx, p, ANOM_IPV6_DATA_AFTER_NONE_HEADER);
            p->proto = nh;
            p->ip_hlen = (uint16_t)(off - p->l3_off);
            p->l4_off = (uint16_t)off;
            c->off = off;
            return DL_DONE;
        default:
            p->proto = nh;
            p->ip_hlen = (uint16_t)(off - p->l3_off);
            c->off = off;
            ctx->l4.l4_len = ip_end > off ? ip_end - off : 0;
            if (ipv6_nh_unknown(nh)) decode_add_anomaly(ctx, p, ANOM_IPV6_UNKNOWN_NEXT_HEADER);
            return decode__ipproto(ctx, p, nh);
        }
        nh_off = off - p->l3_off;
        nh = next;
        off += size;
    }
}
