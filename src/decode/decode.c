/* decode.c - the decode entry point: link-type dispatch, the layer loop, the EtherType and IP
 * protocol dispatch tables, counters, anomalies, and the Internet checksum (RFC 1071, RFC 1624)
 * shared by the IPv4, TCP, UDP and ICMP decoders.
 *
 * References: pcap-linktype(7) for link types, IEEE 802.3 for EtherType vs length, IANA
 * "Protocol Numbers" for the IP protocol dispatch.
 *
 * The loop in decode_packet() is the only place where one layer leads to another: a layer
 * function returns the id of the next one and the loop calls it, with a step budget. Nothing here
 * recurses on packet data, so a frame of 1,000 VLAN tags or nested tunnels costs a bounded amount.
 */
#include "decode/decode_int.h"

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/vg_alloc.h"
#include "core/vg_status.h"

static const decode__layer_fn g_layers[DL_COUNT] = {
    [DL_ETH] = decode__eth,
    [DL_VLAN] = decode__vlan,
    [DL_MPLS] = decode__mpls,
    [DL_PPPOE_SESS] = decode__pppoe_sess,
    [DL_PPPOE_DISC] = decode__pppoe_disc,
    [DL_PPP] = decode__ppp,
    [DL_SLL] = decode__sll,
    [DL_SLL2] = decode__sll2,
    [DL_NULL] = decode__null,
    [DL_LOOP] = decode__loop,
    [DL_RAW] = decode__raw,
    [DL_IPV4] = decode__ipv4,
    [DL_IPV6] = decode__ipv6,
    [DL_TCP] = decode__tcp,
    [DL_UDP] = decode__udp,
    [DL_ICMPV4] = decode__icmpv4,
    [DL_ICMPV6] = decode__icmpv6,
    [DL_GRE] = decode__gre,
    [DL_VXLAN] = decode__vxlan,
    [DL_GENEVE] = decode__geneve,
    [DL_ERSPAN2] = decode__erspan2,
    [DL_ERSPAN3] = decode__erspan3,
    [DL_ESP] = decode__esp,
    [DL_OTHER_L4] = decode__other_l4,
    [DL_ARP] = decode__arp,
};

void decode_config_default(struct decode_config *cfg)
{
    cfg->defrag_memcap = (size_t)32 << 20;
    cfg->defrag_max_trackers = 65536;
    cfg->defrag_timeout_s = 60;
}

struct decode_ctx *decode_ctx_new(const struct decode_config *cfg)
{
    struct decode_ctx *ctx = vg_calloc(1, sizeof(*ctx));
    if (!ctx) return NULL;
    decode_config_default(&ctx->cfg);
    if (cfg) {
        /* A zero field keeps its default: a caller that only sets the memcap gets sane limits. */
        if (cfg->defrag_memcap) ctx->cfg.defrag_memcap = cfg->defrag_memcap;
        if (cfg->defrag_max_trackers) ctx->cfg.defrag_max_trackers = cfg->defrag_max_trackers;
        if (cfg->defrag_timeout_s) ctx->cfg.defrag_timeout_s = cfg->defrag_timeout_s;
    }
    ctx->reasm = vg_malloc(DECODE__REASM_SIZE);
    ctx->defrag = decode__defrag_new(&ctx->cfg);
    if (!ctx->reasm || !ctx->defrag) {
        decode_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

void decode_ctx_free(struct decode_ctx *ctx)
{
    if (!ctx) return;
    decode__defrag_free(ctx->defrag);
    vg_free(ctx->reasm);
    vg_free(ctx);
}

const struct decode_counters *decode_counters(const struct decode_ctx *ctx)
{
    return &ctx->cnt;
}

void decode_expire(struct decode_ctx *ctx, struct vg_ts now, unsigned budget)
{
    decode__defrag_expire(ctx, now, budget);
}

void decode_add_anomaly(struct decode_ctx *ctx, struct packet *p, int anomaly_id)
{
    if (anomaly_id < 0 || anomaly_id >= VG_ANOMALY_COUNT) return;
    /* One packet reports one condition once (Suricata's ENGINE_SET_EVENT does the same): a TCP
     * header with five bad options is one opt_invalid_len event, not five. */
    for (unsigned i = 0; i < p->n_anom; i++)
        if (p->anom[i] == anomaly_id) return;
    ctx->cnt.anomalies[anomaly_id]++;
    if (p->n_anom < VG_PKT_MAX_ANOM) p->anom[p->n_anom++] = (uint16_t)anomaly_id;
}

/* First layer for a link type; counts the link-layer-less types here because they have no
 * decoder of their own. DL_DONE for link types vigil does not decode. */
static int link_layer(struct decode_ctx *ctx, int linktype)
{
    switch (linktype) {
    case VG_LINK_ETHERNET:
        return DL_ETH;
    case VG_LINK_NULL:
        return DL_NULL;
    case VG_LINK_LOOP:
        return DL_LOOP;
    case VG_LINK_PPP:
        return DL_PPP;
    case VG_LINK_SLL:
        return DL_SLL;
    case VG_LINK_SLL2:
        return DL_SLL2;
    case VG_LINK_RAW:
    case VG_LINK_RAW_OLD:
    case VG_LINK_RAW_OLD2:
        return DL_RAW;
    case VG_LINK_IPV4:
        ctx->cnt.raw++;
        return DL_IPV4;
    case VG_LINK_IPV6:
        ctx->cnt.raw++;
        return DL_IPV6;
    default:
        return DL_DONE;
    }
}

/* Everything after the caller's fields is decode output; zeroing it all is far cheaper than the
 * bugs of stale fields left by the previous packet. How: GCC expands this fixed-size memset (264
 * bytes) to `rep stosq`, whose start-up cost on current x86 cores (tens of cycles) made it about a
 * tenth of the decode-only profile of the bench capture; unrolled 16-byte stores cost a few cycles.
 * Clang calls memset(), whose small-size path already uses vector stores. */
static inline void clear_output(struct packet *p)
{
    unsigned char *b = (unsigned char *)&p->flags;
    const size_t n = sizeof(*p) - offsetof(struct packet, flags);
#if defined(__SSE2__) && defined(__GNUC__) && !defined(__clang__)
    const __m128i z = _mm_setzero_si128();
    size_t i = 0;
#pragma GCC unroll 32
    for (; i + 16 <= n; i += 16) _mm_storeu_si128((__m128i *)(void *)(b + i), z);
    memset(b + i, 0, n - i);
#else
    memset(b, 0, n);
#endif
}

int decode_packet(struct decode_ctx *ctx, struct packet *p)
{
    clear_output(p);
    p->frame = p->data;
    p->frame_len = p->caplen;
    ctx->cnt.pkts++;
    ctx->cnt.bytes += p->caplen;
    if (p->caplen < p->wirelen) p->flags |= VG_PKT_TRUNCATED;

    int layer = link_layer(ctx, p->linktype);
    if (layer == DL_DONE) {
        ctx->cnt.unsupported_linktype++;
        decode_add_anomaly(ctx, p, ANOM_UNSUPPORTED_LINKTYPE);
        return VG_ERR_UNSUPPORTED;
    }
    struct decode__cur c = {0, p->caplen};
    for (unsigned steps = 0; layer != DL_DONE; steps++) {
        /* Offsets in struct packet are 16-bit: a header stack deeper than 64 KiB can only be
         * built on purpose, so it ends like any other over-deep stack. */
        if (steps >= DECODE__MAX_STEPS || c.off > UINT16_MAX) {
            decode__invalid(ctx, p, ANOM_TOO_MANY_LAYERS);
            break;
        }
        layer = g_layers[layer](ctx, p, &c);
    }
    if (p->flags & VG_PKT_INVALID) ctx->cnt.invalid++;
    return VG_OK;
}

int decode__ethertype(struct decode_ctx *ctx, struct packet *p, uint16_t type)
{
    p->eth_type = type;
    switch (type) {
    case 0x0800:
        return DL_IPV4;
    case 0x86dd:
        return DL_IPV6;
    case 0x8100: /* 802.1Q */
    case 0x88a8: /* 802.1ad */
    case 0x9100: /* pre-standard QinQ */
        return DL_VLAN;
    case 0x8847: /* MPLS unicast */
    case 0x8848: /* MPLS multicast */
        return DL_MPLS;
    case 0x8864:
        return DL_PPPOE_SESS;
    case 0x8863:
        return DL_PPPOE_DISC;
    case 0x0806:
        ctx->cnt.arp++;
        return DL_ARP; /* decode_arp.c: the LAN spoofing detector reads it */
    default:
        /* Values below 0x0600 are an 802.3 length (or an SLL pseudo protocol): LLC/SNAP, STP,
         * IPX... counted, not decoded, not an anomaly. */
        if (type < 0x0600) {
            ctx->cnt.llc++;
            return DL_DONE;
        }
        return -1;
    }
}

int decode__ipproto(struct decode_ctx *ctx, struct packet *p, uint8_t proto)
{
    switch (proto) {
    case 6:
        return DL_TCP;
    case 17:
        return DL_UDP;
    case 1:
        if (p->ip_ver == 4) return DL_ICMPV4;
        decode_add_anomaly(ctx, p, ANOM_IPV6_ICMPV4); /* ICMPv4 inside IPv6: nobody sends it */
        return DL_OTHER_L4;
    case 58:
        if (p->ip_ver == 6) return DL_ICMPV6;
        decode_add_anomaly(ctx, p, ANOM_IPV4_ICMPV6);
        return DL_OTHER_L4;
    case 47:
        return DL_GRE;
    case 50:
        return DL_ESP;
    case 4: /* IPv4-in-IP (RFC 2003) */
        return decode__tunnel_enter(ctx, p) ? DL_IPV4 : DL_DONE;
    case 41: /* IPv6-in-IP (RFC 4213 / RFC 2473) */
        return decode__tunnel_enter(ctx, p) ? DL_IPV6 : DL_DONE;
    default:
        return DL_OTHER_L4;
    }
}

/* An IP payload vigil does not decode (OSPF, SCTP, PIM ...): the flow table still keys it by
 * address pair and protocol, and the payload is the rest of the datagram. */
int decode__other_l4(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    ctx->cnt.other_l4++;
    p->l4_off = (uint16_t)c->off;
    p->payload = p->data + c->off;
    p->payload_len = c->end - c->off;
    return DL_DONE;
}

/* ESP (RFC 4303): the SPI and sequence number are clear text, the rest is not decodable. */
int decode__esp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    ctx->cnt.other_l4++;
    p->l4_off = (uint16_t)c->off;
    if (c->end - c->off < 8) return decode__invalid(ctx, p, ANOM_ESP_PKT_TOO_SMALL);
    p->payload = p->data + c->off + 8;
    p->payload_len = c->end - c->off - 8;
    return DL_DONE;
}

uint64_t decode__csum_add(uint64_t sum, const uint8_t *b, size_t n)
{
    /* 32-bit words into 64-bit accumulators: 2^32 words before one could overflow, far beyond a
     * datagram. Loads are host order; the fold below is byte-order neutral for the 0xffff test
     * (RFC 1071, "byte order independence"). This loop is the largest single cost of decoding a
     * full-sized segment, hence SSE2 where the compiler has it (every x86-64): 32 bytes per turn
     * widened to 64-bit lanes, about 1.5x the scalar loop. */
#if defined(__SSE2__)
    __m128i z = _mm_setzero_si128(), a0 = z, a1 = z;
    while (n >= 32) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)b);
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + 16));
        a0 = _mm_add_epi64(a0, _mm_add_epi64(_mm_unpacklo_epi32(x, z), _mm_unpackhi_epi32(x, z)));
        a1 = _mm_add_epi64(a1, _mm_add_epi64(_mm_unpacklo_epi32(y, z), _mm_unpackhi_epi32(y, z)));
        b += 32;
        n -= 32;
    }
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)(void *)lanes, _mm_add_epi64(a0, a1));
    sum += lanes[0] + lanes[1];
#endif
    uint64_t s2 = 0;
    while (n >= 16) {
        uint32_t w[4];
        memcpy(w, b, 16);
        sum += (uint64_t)w[0] + w[1];
        s2 += (uint64_t)w[2] + w[3];
        b += 16;
        n -= 16;
    }
    sum += s2;
    while (n >= 4) {
        uint32_t w;
        memcpy(&w, b, 4);
        sum += w;
        b += 4;
        n -= 4;
    }
    /* The last 1..3 bytes as 16-bit units in host order (a 32-bit word is the sum of its two
     * 16-bit halves modulo 0xffff, so the result is the same), an odd final byte padded with a
     * zero byte as RFC 1071 says. Built in registers: copying them into a zeroed 4-byte array and
     * loading that as one word stalled on failed store forwarding for every odd-sized segment. */
    if (n >= 2) {
        uint16_t h;
        memcpy(&h, b, 2);
        sum += h;
        b += 2;
        n -= 2;
    }
    if (n) {
        const uint8_t t[2] = {b[0], 0};
        uint16_t h;
        memcpy(&h, t, 2);
        sum += h;
    }
    return sum;
}

static inline uint32_t load32(const uint8_t *b)
{
    uint32_t w;
    memcpy(&w, b, 4);
    return w;
}

void decode__l4_csum(struct decode_ctx *ctx, struct packet *p, const uint8_t *l4, uint32_t len,
                     uint8_t proto)
{
    /* The pseudo-header (RFC 793 / RFC 768 for IPv4, RFC 8200 8.1 for IPv6) summed word by word
     * in registers, in the same host order as decode__csum_add: building it in a byte array
     * and summing that stalled on failed store forwarding (the bytes were stored one by one and
     * loaded as words), a visible cost on every TCP and UDP packet. */
    uint64_t sum;
    if (p->ip_ver == 4) {
        const uint8_t t[4] = {0, proto, (uint8_t)(len >> 8), (uint8_t)len};
        sum = (uint64_t)load32(p->src.a) + load32(p->dst.a) + load32(t);
    } else {
        /* RFC 8200 8.1: with a routing header the pseudo-header names the final destination. */
        const uint8_t *dst = ctx->l4.ip6_final_dst ? ctx->l4.ip6_dst : p->dst.a;
        const uint8_t tl[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                               (uint8_t)len};
        const uint8_t tp[4] = {0, 0, 0, proto};
        sum = (uint64_t)load32(tl) + load32(tp);
        for (int i = 0; i < 16; i += 4) sum += (uint64_t)load32(p->src.a + i) + load32(dst + i);
    }
    sum = decode__csum_add(sum, l4, len);
    p->flags |= VG_PKT_L4_CSUM_CHECKED;
    if (decode__csum_fold(sum) != 0xffff) {
        p->flags |= VG_PKT_L4_CSUM_BAD;
        ctx->cnt.l4_csum_bad++;
    }
}
