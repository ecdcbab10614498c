/* test_decode.c - unit tests of src/decode: every link type and layer, checksums, tunnels, ICMP
 * quotes, IPv4/IPv6 reassembly and its limits, one test per anomaly, and truncation at every
 * length.
 *
 * Packets are crafted byte by byte with the small builders below; their checksums are computed
 * by a deliberately naive RFC 1071 implementation (16-bit big-endian words), independent of the
 * decoder's 32-bit one.
 */
#include <stdlib.h>
#include <string.h>

#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "decode/decode.h"
#include "vg_test.h"

/* --- byte builders ----------------------------------------------------------------------- */

static const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {192, 168, 7, 2};
static const uint8_t C4[4] = {172, 16, 0, 1}, D4[4] = {172, 16, 0, 2};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t H6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99};

static void wr16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}
static void wr32(uint8_t *b, uint32_t v)
{
    wr16(b, (uint16_t)(v >> 16));
    wr16(b + 2, (uint16_t)v);
}

static uint32_t ref_sum(const uint8_t *b, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1) s += (uint32_t)b[n - 1] << 8;
    return s;
}
static uint16_t ref_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}
static uint32_t pseudo(int v, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t len)
{
    size_t al = v == 4 ? 4 : 16;
    uint32_t s = ref_sum(src, al, 0);
    s = ref_sum(dst, al, s);
    return s + proto + (len >> 16) + (len & 0xffff);
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + i * 7);
}

/* TCP segment with `paylen` pattern bytes; checksum against (src, dst). */
static size_t mk_tcp(uint8_t *o, int v, const uint8_t *src, const uint8_t *dst, uint16_t sp,
                     uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opt,
                     size_t optlen, size_t paylen)
{
    size_t hl = 20 + optlen;
    memset(o, 0, hl);
    wr16(o, sp);
    wr16(o + 2, dp);
    wr32(o + 4, seq);
    wr32(o + 8, ack);
    o[12] = (uint8_t)((hl / 4) << 4);
    o[13] = flags;
    wr16(o + 14, 29200);
    wr16(o + 18, 0);
    if (optlen) memcpy(o + 20, opt, optlen);
    fill(o + hl, paylen, 'a');
    size_t n = hl + paylen;
    wr16(o + 16, ref_fold(ref_sum(o, n, pseudo(v, src, dst, 6, (uint32_t)n))));
    return n;
}

static size_t mk_udp(uint8_t *o, int v, const uint8_t *src, const uint8_t *dst, uint16_t sp,
                     uint16_t dp, const uint8_t *pl, size_t plen)
{
    if (plen) memmove(o + 8, pl, plen);
    size_t n = 8 + plen;
    wr16(o, sp);
    wr16(o + 2, dp);
    wr16(o + 4, (uint16_t)n);
    wr16(o + 6, 0);
    uint16_t c = ref_fold(ref_sum(o, n, pseudo(v, src, dst, 17, (uint32_t)n)));
    wr16(o + 6, c ? c : 0xffff);
    return n;
}

static size_t mk_icmp4(uint8_t *o, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
                       const uint8_t *body, size_t blen)
{
    if (blen) memmove(o + 8, body, blen);
    o[0] = type;
    o[1] = code;
    wr16(o + 2, 0);
    wr16(o + 4, id);
    wr16(o + 6, seq);
    wr16(o + 2, ref_fold(ref_sum(o, 8 + blen, 0)));
    return 8 + blen;
}

static size_t mk_icmp6(uint8_t *o, const uint8_t *src, const uint8_t *dst, uint8_t type,
                       uint8_t code, uint16_t id, uint16_t seq, const uint8_t *body, size_t blen)
{
    if (blen) memmove(o + 8, body, blen);
    o[0] = type;
    o[1] = code;
    wr16(o + 2, 0);
    wr16(o + 4, id);
    wr16(o + 6, seq);
    size_t n = 8 + blen;
    wr16(o + 2, ref_fold(ref_sum(o, n, pseudo(6, src, dst, 58, (uint32_t)n))));
    return n;
}

static size_t mk_ip4(uint8_t *o, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t id,
                     uint16_t frag, uint8_t ttl, const uint8_t *opt, size_t optlen,
                     const uint8_t *pl, size_t plen)
{
    size_t hl = 20 + optlen;
    if (plen) memmove(o + hl, pl, plen);
    memset(o, 0, 20);
    o[0] = (uint8_t)(0x40 | hl / 4);
    wr16(o + 2, (uint16_t)(hl + plen));
    wr16(o + 4, id);
    wr16(o + 6, frag);
    o[8] = ttl;
    o[9] = proto;
    memcpy(o + 12, src, 4);
    memcpy(o + 16, dst, 4);
    if (optlen) memcpy(o + 20, opt, optlen);
    wr16(o + 10, ref_fold(ref_sum(o, hl, 0)));
    return hl + plen;
}

static size_t mk_ip6(uint8_t *o, const uint8_t *src, const uint8_t *dst, uint8_t nh, uint8_t hlim,
                     const uint8_t *pl, size_t plen)
{
    if (plen) memmove(o + 40, pl, plen);
    memset(o, 0, 8);
    o[0] = 0x60;
    wr16(o + 4, (uint16_t)plen);
    o[6] = nh;
    o[7] = hlim;
    memcpy(o + 8, src, 16);
    memcpy(o + 24, dst, 16);
    return 40 + plen;
}

static size_t mk_eth(uint8_t *o, uint16_t type, const uint8_t *pl, size_t plen)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
    if (plen) memmove(o + 14, pl, plen);
    memcpy(o, macs, 12);
    wr16(o + 12, type);
    return 14 + plen;
}

/* Prepends `hl` bytes of header `h` to the `n` bytes at o. */
static size_t prepend(uint8_t *o, const uint8_t *h, size_t hl, size_t n)
{
    memmove(o + hl, o, n);
    memcpy(o, h, hl);
    return hl + n;
}

/* A complete Ethernet/IPv4/TCP frame (used by many tests). */
static size_t frame_tcp4(uint8_t *o, size_t paylen)
{
    static const uint8_t opt[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                    0, 1, 0,    0,    0, 2, 1, 3,  3, 7};
    uint8_t l4[2048];
    size_t n = mk_tcp(l4, 4, A4, B4, 40000, 80, 0x11223344, 0x55667788, 0x18, opt, 20, paylen);
    n = mk_ip4(o, A4, B4, 6, 0x1234, 0x4000, 64, NULL, 0, l4, n);
    return mk_eth(o, 0x0800, o, n);
}

/* --- decoding helpers -------------------------------------------------------------------- */

static struct decode_ctx *g_ctx;
static struct packet g_p;
static uint8_t g_covered[VG_ANOMALY_COUNT];

static struct packet *dec_ts(int link, const uint8_t *d, size_t n, int64_t sec)
{
    memset(&g_p, 0, sizeof(g_p));
    g_p.data = d;
    g_p.caplen = g_p.wirelen = (uint32_t)n;
    g_p.linktype = link;
    g_p.ts.sec = sec;
    g_p.pcap_cnt = 1;
    (void)decode_packet(g_ctx, &g_p);
    return &g_p;
}
static struct packet *dec(int link, const uint8_t *d, size_t n)
{
    return dec_ts(link, d, n, 1000);
}

static bool has_anom(const struct packet *p, int id)
{
    for (unsigned i = 0; i < p->n_anom; i++)
        if (p->anom[i] == id) return true;
    return false;
}

static uint64_t anom_cnt(int id)
{
    return decode_counters(g_ctx)->anomalies[id];
}
static const struct decode_counters *cnt(void)
{
    return decode_counters(g_ctx);
}

/* Decodes and checks that `id` is raised on the packet and its counter moves by one. */
#define EXPECT_ANOM(link, buf, len, id)                                                            \
    do {                                                                                           \
        uint64_t before_ = anom_cnt(id);                                                           \
        struct packet *p_ = dec(link, buf, len);                                                   \
        CHECK(has_anom(p_, id));                                                                   \
        CHECK_EQ_U(anom_cnt(id), before_ + 1);                                                     \
        if (!has_anom(p_, id)) fprintf(stderr, "  expected %s\n", vg_anomaly_name(id));            \
        g_covered[id] = 1;                                                                         \
    } while (0)

static bool addr_is(const struct vg_addr *a, int fam, const uint8_t *bytes)
{
    return a->family == fam && memcmp(a->a, bytes, fam == 4 ? 4 : 16) == 0;
}

static uint8_t F[70000], G[70000], L[70000]; /* frame, scratch */

/* --- link layers --------------------------------------------------------------------------- */

static void test_eth_ipv4_tcp(void)
{
    size_t n = frame_tcp4(F, 100);
    uint64_t pk = cnt()->pkts, by = cnt()->bytes, tcp = cnt()->tcp;
    struct packet *p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->flags & (VG_PKT_INVALID | VG_PKT_TRUNCATED | VG_PKT_L4_CSUM_BAD), 0);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(p->has_eth);
    CHECK_EQ_U(p->l2_off, 0);
    CHECK_EQ_U(p->eth_type, 0x0800);
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK_EQ_U(p->l3_off, 14);
    CHECK_EQ_U(p->l3_len, 20 + 40 + 100);
    CHECK(addr_is(&p->src, 4, A4));
    CHECK(addr_is(&p->dst, 4, B4));
    CHECK_EQ_U(p->ttl, 64);
    CHECK_EQ_U(p->ip_id, 0x1234);
    CHECK(p->df);
    CHECK_EQ_U(p->ip_hlen, 20);
    CHECK_EQ_U(p->proto, 6);
    CHECK_EQ_U(p->l4_off, 34);
    CHECK_EQ_U(p->sport, 40000);
    CHECK_EQ_U(p->dport, 80);
    CHECK_EQ_U(p->tcp_seq, 0x11223344);
    CHECK_EQ_U(p->tcp_ack, 0x55667788);
    CHECK_EQ_U(p->tcp_flags, VG_TCP_PSH | VG_TCP_ACK);
    CHECK_EQ_U(p->tcp_hlen, 40);
    CHECK_EQ_U(p->tcp_win, 29200);
    CHECK(p->tcp_opts.has_mss);
    CHECK_EQ_U(p->tcp_opts.mss, 1460);
    CHECK(p->tcp_opts.sack_perm);
    CHECK(p->tcp_opts.has_ts);
    CHECK_EQ_U(p->tcp_opts.ts_val, 1);
    CHECK_EQ_U(p->tcp_opts.ts_ecr, 2);
    CHECK(p->tcp_opts.has_wscale);
    CHECK_EQ_U(p->tcp_opts.wscale, 7);
    static const uint8_t layout[] = {2, 4, 8, 1, 3};
    CHECK_EQ_U(p->tcp_opts.layout_len, 5);
    CHECK(memcmp(p->tcp_opts.layout, layout, 5) == 0);
    CHECK_EQ_U(p->payload_len, 100);
    CHECK(p->payload == F + 14 + 20 + 40);
    CHECK_EQ_U(p->n_anom, 0);
    CHECK(p->frame == F);
    CHECK_EQ_U(p->frame_len, n);
    CHECK_EQ_U(cnt()->pkts, pk + 1);
    CHECK_EQ_U(cnt()->bytes, by + n);
    CHECK_EQ_U(cnt()->tcp, tcp + 1);
    CHECK_EQ_U(p->tunnel_depth, 0);
    CHECK_EQ_U(p->vlan_cnt, 0);
}

static void test_eth_padding_and_trunc(void)
{
    /* A SYN padded to 60 bytes: the padding is not payload. */
    size_t n = mk_tcp(L, 4, A4, B4, 1, 2, 0, 0, VG_TCP_SYN, NULL, 0, 0);
    n = mk_ip4(G, A4, B4, 6, 1, 0, 64, NULL, 0, L, n);
    n = mk_eth(F, 0x0800, G, n);
    memset(F + n, 0xee, 60 - n);
    struct packet *p = dec(VG_LINK_ETHERNET, F, 60);
    CHECK_EQ_U(p->payload_len, 0);
    CHECK_EQ_U(p->l3_len, 40);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    CHECK(!p->df);

    /* snaplen cut: caplen < wirelen, IP length beyond the bytes; ports still decoded */
    n = frame_tcp4(F, 200);
    memset(&g_p, 0, sizeof(g_p));
    g_p.data = F;
    g_p.caplen = 14 + 20 + 40 + 10;
    g_p.wirelen = (uint32_t)n;
    g_p.linktype = VG_LINK_ETHERNET;
    decode_packet(g_ctx, &g_p);
    CHECK(g_p.flags & VG_PKT_TRUNCATED);
    CHECK(has_anom(&g_p, ANOM_IPV4_TRUNC_PKT));
    CHECK_EQ_U(g_p.dport, 80);
    CHECK_EQ_U(g_p.payload_len, 10);
    CHECK(!(g_p.flags & VG_PKT_L4_CSUM_CHECKED));
    CHECK(!(g_p.flags & VG_PKT_INVALID));
}

static void test_llc_arp(void)
{
    uint64_t llc = cnt()->llc, arp = cnt()->arp;
    memset(G, 0x42, 40);
    size_t n = mk_eth(F, 40, G, 40); /* 802.3 length 40 */
    struct packet *p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(cnt()->llc, llc + 1);
    CHECK_EQ_U(p->n_anom, 0);
    CHECK_EQ_U(p->ip_ver, 0);
    n = mk_eth(F, 0x0806, G, 28);
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(cnt()->arp, arp + 1);
    CHECK_EQ_U(p->eth_type, 0x0806);
    /* ARP is decoded now (test_arp_nd): 0x4242 is no hardware type it knows */
    CHECK(p->n_anom == 1 && p->anom[0] == ANOM_ARP_UNSUPPORTED_HARDWARE);
}

static void test_vlan(void)
{
    size_t n = mk_tcp(L, 4, A4, B4, 1000, 443, 1, 2, VG_TCP_ACK, NULL, 0, 5);
    n = mk_ip4(G, A4, B4, 6, 7, 0, 63, NULL, 0, L, n);
    uint8_t tag[4];
    wr16(tag, 0x2000 | 100); /* PCP 1, VID 100 */
    wr16(tag + 2, 0x0800);
    n = prepend(G, tag, 4, n);
    n = mk_eth(F, 0x8100, G, n);
    uint64_t v = cnt()->vlan;
    struct packet *p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->vlan_cnt, 1);
    CHECK_EQ_U(p->vlan[0], 100);
    CHECK_EQ_U(p->eth_type, 0x0800);
    CHECK_EQ_U(p->l3_off, 18);
    CHECK_EQ_U(p->dport, 443);
    CHECK_EQ_U(cnt()->vlan, v + 1);

    /* QinQ: 802.1ad S-tag 10, 802.1Q C-tag 20 */
    n = mk_tcp(L, 4, A4, B4, 1000, 443, 1, 2, VG_TCP_ACK, NULL, 0, 5);
    n = mk_ip4(G, A4, B4, 6, 7, 0, 63, NULL, 0, L, n);
    wr16(tag, 20);
    wr16(tag + 2, 0x0800);
    n = prepend(G, tag, 4, n);
    wr16(tag, 10);
    wr16(tag + 2, 0x8100);
    n = prepend(G, tag, 4, n);
    n = mk_eth(F, 0x88a8, G, n);
    uint64_t q = cnt()->vlan_qinq;
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->vlan_cnt, 2);
    CHECK_EQ_U(p->vlan[0], 10);
    CHECK_EQ_U(p->vlan[1], 20);
    CHECK_EQ_U(p->l3_off, 22);
    CHECK_EQ_U(p->sport, 1000);
    CHECK_EQ_U(cnt()->vlan_qinq, q + 1);

    /* three tags with 0x9100 outermost */
    wr16(tag, 5);
    wr16(tag + 2, 0x88a8);
    n = prepend(F + 14, tag, 4, n - 14);
    wr16(F + 12, 0x9100);
    n += 14;
    uint64_t qqq = cnt()->vlan_qinqinq;
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->vlan_cnt, 3);
    CHECK_EQ_U(p->vlan[0], 5);
    CHECK_EQ_U(p->vlan[1], 10);
    CHECK_EQ_U(p->vlan[2], 20);
    CHECK_EQ_U(p->dport, 443);
    CHECK_EQ_U(cnt()->vlan_qinqinq, qqq + 1);

    /* a fourth tag is one too many */
    wr16(tag, 6);
    wr16(tag + 2, 0x9100);
    n = prepend(F + 14, tag, 4, n - 14);
    wr16(F + 12, 0x8100);
    n += 14;
    EXPECT_ANOM(VG_LINK_ETHERNET, F, n, ANOM_VLAN_TOO_MANY_LAYERS);
    CHECK(g_p.flags & VG_PKT_INVALID);
}

static void test_mpls(void)
{
    size_t n = mk_tcp(L, 4, A4, B4, 5, 6, 1, 2, VG_TCP_ACK, NULL, 0, 3);
    n = mk_ip4(G, A4, B4, 6, 7, 0, 63, NULL, 0, L, n);
    uint8_t lab[8];
    wr32(lab, 1000u << 12 | 64);             /* label 1000, not bottom */
    wr32(lab + 4, 2000u << 12 | 0x100 | 64); /* label 2000, bottom */
    n = prepend(G, lab, 8, n);
    n = mk_eth(F, 0x8847, G, n);
    uint64_t m = cnt()->mpls;
    struct packet *p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(cnt()->mpls, m + 1);
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK_EQ_U(p->l3_off, 22);
    CHECK_EQ_U(p->dport, 6);
    CHECK_EQ_U(p->n_anom, 0);

    /* IPv6 explicit null */
    n = mk_udp(L, 6, A6, B6, 53, 5353, (const uint8_t *)"hello", 5);
    n = mk_ip6(G, A6, B6, 17, 9, L, n);
    wr32(lab, 2u << 12 | 0x100 | 1);
    n = prepend(G, lab, 4, n);
    n = mk_eth(F, 0x8847, G, n);
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->ip_ver, 6);
    CHECK_EQ_U(p->proto, 17);
    CHECK_EQ_U(p->dport, 5353);
    CHECK_EQ_U(p->eth_type, 0x86dd);

    /* pseudowire with control word, then Ethernet, then IPv4 */
    n = mk_tcp(L, 4, C4, D4, 7, 8, 1, 2, VG_TCP_SYN, NULL, 0, 0);
    n = mk_ip4(G, C4, D4, 6, 7, 0, 63, NULL, 0, L, n);
    n = mk_eth(L, 0x0800, G, n);
    uint8_t cw[8];
    wr32(cw, 3000u << 12 | 0x100 | 64);
    wr32(cw + 4, 0);
    n = prepend(L, cw, 8, n);
    n = mk_eth(F, 0x8847, L, n);
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK(addr_is(&p->src, 4, C4));
    CHECK_EQ_U(p->l2_off, 22);
    CHECK_EQ_U(p->l3_off, 36);
    CHECK_EQ_U(p->tcp_flags, VG_TCP_SYN);
}

static void test_pppoe_ppp(void)
{
    size_t n = mk_udp(L, 4, A4, B4, 68, 67, (const uint8_t *)"x", 1);
    n = mk_ip4(G, A4, B4, 17, 7, 0, 63, NULL, 0, L, n);
    size_t ipn = n;
    uint8_t h[8] = {0x11, 0x00, 0x12, 0x34, 0, 0, 0x00, 0x21};
    wr16(h + 4, (uint16_t)(ipn + 2));
    n = prepend(G, h, 8, n);
    n = mk_eth(F, 0x8864, G, n);
    memset(F + n, 0, 8); /* Ethernet padding beyond PPPoE LENGTH */
    uint64_t pp = cnt()->pppoe;
    struct packet *p = dec(VG_LINK_ETHERNET, F, n + 8);
    CHECK_EQ_U(cnt()->pppoe, pp + 1);
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK_EQ_U(p->dport, 67);
    CHECK_EQ_U(p->payload_len, 1);
    CHECK_EQ_U(p->eth_type, 0x0800);
    CHECK_EQ_U(p->l3_off, 22);

    /* IPv6 over PPPoE */
    n = mk_tcp(L, 6, A6, B6, 1, 2, 3, 4, VG_TCP_SYN, NULL, 0, 0);
    n = mk_ip6(G, A6, B6, 6, 64, L, n);
    h[6] = 0x00;
    h[7] = 0x57;
    wr16(h + 4, (uint16_t)(n + 2));
    n = prepend(G, h, 8, n);
    n = mk_eth(F, 0x8864, G, n);
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->ip_ver, 6);
    CHECK_EQ_U(p->dport, 2);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));

    /* discovery: PADI counted only */
    uint8_t padi[10] = {0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0};
    n = mk_eth(F, 0x8863, padi, 10);
    pp = cnt()->pppoe;
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(cnt()->pppoe, pp + 1);
    CHECK_EQ_U(p->n_anom, 0);
    CHECK_EQ_U(p->ip_ver, 0);

    /* LCP over PPPoE: no event */
    uint8_t lcp[12] = {0x11, 0, 0, 1, 0, 6, 0xc0, 0x21, 1, 1, 0, 4};
    n = mk_eth(F, 0x8864, lcp, 12);
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->n_anom, 0);

    /* LINKTYPE_PPP: with ff 03, without, and with a compressed protocol field */
    n = mk_udp(L, 4, A4, B4, 1, 2, (const uint8_t *)"abc", 3);
    n = mk_ip4(G, A4, B4, 17, 7, 0, 63, NULL, 0, L, n);
    size_t base = n;
    uint8_t ppp[4] = {0xff, 0x03, 0x00, 0x21};
    memcpy(L, G, base);
    n = prepend(G, ppp, 4, base);
    uint64_t c9 = cnt()->ppp;
    p = dec(VG_LINK_PPP, G, n);
    CHECK_EQ_U(cnt()->ppp, c9 + 1);
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK_EQ_U(p->l3_off, 4);
    CHECK_EQ_U(p->dport, 2);
    memcpy(G, L, base);
    n = prepend(G, ppp + 2, 2, base);
    p = dec(VG_LINK_PPP, G, n);
    CHECK_EQ_U(p->l3_off, 2);
    CHECK_EQ_U(p->dport, 2);
    memcpy(G, L, base);
    n = prepend(G, ppp + 3, 1, base); /* PFC: 0x21 alone */
    p = dec(VG_LINK_PPP, G, n);
    CHECK_EQ_U(p->l3_off, 1);
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK_EQ_U(p->dport, 2);
}

static void test_sll(void)
{
    size_t n = mk_tcp(L, 4, A4, B4, 1, 22, 3, 4, VG_TCP_SYN, NULL, 0, 0);
    n = mk_ip4(G, A4, B4, 6, 7, 0, 63, NULL, 0, L, n);
    uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
    n = prepend(G, sll, 16, n);
    uint64_t s = cnt()->sll;
    struct packet *p = dec(VG_LINK_SLL, G, n);
    CHECK_EQ_U(cnt()->sll, s + 1);
    CHECK_EQ_U(p->l3_off, 16);
    CHECK_EQ_U(p->dport, 22);
    CHECK(!p->has_eth);
    CHECK_EQ_U(p->eth_type, 0x0800);

    n = mk_udp(L, 6, A6, B6, 1, 53, (const uint8_t *)"q", 1);
    n = mk_ip6(G, A6, B6, 17, 255, L, n);
    uint8_t sll2[20] = {0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
    n = prepend(G, sll2, 20, n);
    s = cnt()->sll2;
    p = dec(VG_LINK_SLL2, G, n);
    CHECK_EQ_U(cnt()->sll2, s + 1);
    CHECK_EQ_U(p->l3_off, 20);
    CHECK_EQ_U(p->ip_ver, 6);
    CHECK_EQ_U(p->ttl, 255);
    CHECK_EQ_U(p->dport, 53);

    /* SLL with a Linux pseudo protocol (ETH_P_802_2): counted as LLC */
    memset(G, 0, 40);
    memcpy(G, sll, 16);
    wr16(G + 14, 0x0004);
    uint64_t llc = cnt()->llc;
    p = dec(VG_LINK_SLL, G, 40);
    CHECK_EQ_U(cnt()->llc, llc + 1);
    CHECK_EQ_U(p->n_anom, 0);
}

static void test_null_loop_raw(void)
{
    size_t n4 = mk_udp(L, 4, A4, B4, 1, 2, (const uint8_t *)"zz", 2);
    n4 = mk_ip4(G, A4, B4, 17, 7, 0, 63, NULL, 0, L, n4);
    uint8_t v4[200];
    memcpy(v4, G, n4);
    size_t n6 = mk_udp(L, 6, A6, B6, 3, 4, (const uint8_t *)"zz", 2);
    n6 = mk_ip6(G, A6, B6, 17, 1, L, n6);
    uint8_t v6[200];
    memcpy(v6, G, n6);

    static const uint8_t le2[4] = {2, 0, 0, 0}, be2[4] = {0, 0, 0, 2};
    uint64_t nl = cnt()->null;
    memcpy(F, v4, n4);
    size_t n = prepend(F, le2, 4, n4);
    struct packet *p = dec(VG_LINK_NULL, F, n);
    CHECK_EQ_U(cnt()->null, nl + 1);
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK_EQ_U(p->dport, 2);
    memcpy(F, v4, n4);
    n = prepend(F, be2, 4, n4); /* a big-endian capturer: swapped */
    p = dec(VG_LINK_NULL, F, n);
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK_EQ_U(p->n_anom, 0);
    static const uint8_t fams[4] = {10, 24, 28, 30};
    for (unsigned i = 0; i < 4; i++) {
        uint8_t h[4] = {fams[i], 0, 0, 0};
        memcpy(F, v6, n6);
        n = prepend(F, h, 4, n6);
        p = dec(VG_LINK_NULL, F, n);
        CHECK_EQ_U(p->ip_ver, 6);
        CHECK_EQ_U(p->dport, 4);
    }
    /* LOOP: network order */
    uint8_t lo[4] = {0, 0, 0, 24};
    memcpy(F, v6, n6);
    n = prepend(F, lo, 4, n6);
    p = dec(VG_LINK_LOOP, F, n);
    CHECK_EQ_U(p->ip_ver, 6);
    memcpy(F, v4, n4);
    n = prepend(F, be2, 4, n4);
    p = dec(VG_LINK_LOOP, F, n);
    CHECK_EQ_U(p->ip_ver, 4);

    /* raw IP link types */
    static const int raws[3] = {VG_LINK_RAW, VG_LINK_RAW_OLD, VG_LINK_RAW_OLD2};
    uint64_t rw = cnt()->raw;
    for (unsigned i = 0; i < 3; i++) {
        p = dec(raws[i], v4, n4);
        CHECK_EQ_U(p->ip_ver, 4);
        CHECK_EQ_U(p->l3_off, 0);
        CHECK_EQ_U(p->dport, 2);
        p = dec(raws[i], v6, n6);
        CHECK_EQ_U(p->ip_ver, 6);
        CHECK_EQ_U(p->dport, 4);
    }
    p = dec(VG_LINK_IPV4, v4, n4);
    CHECK_EQ_U(p->ip_ver, 4);
    p = dec(VG_LINK_IPV6, v6, n6);
    CHECK_EQ_U(p->ip_ver, 6);
    CHECK_EQ_U(cnt()->raw, rw + 8);
}

static void test_unsupported_linktype(void)
{
    uint64_t u = cnt()->unsupported_linktype;
    uint64_t before = anom_cnt(ANOM_UNSUPPORTED_LINKTYPE);
    memset(&g_p, 0, sizeof(g_p));
    g_p.data = F;
    g_p.caplen = g_p.wirelen = 20;
    g_p.linktype = 147;
    CHECK(decode_packet(g_ctx, &g_p) == VG_ERR_UNSUPPORTED);
    CHECK_EQ_U(cnt()->unsupported_linktype, u + 1);
    CHECK(has_anom(&g_p, ANOM_UNSUPPORTED_LINKTYPE));
    CHECK_EQ_U(anom_cnt(ANOM_UNSUPPORTED_LINKTYPE), before + 1);
    g_covered[ANOM_UNSUPPORTED_LINKTYPE] = 1;
}

/* --- IPv4 / IPv6 details ----------------------------------------------------------------- */

static void test_ipv4_options_and_csum(void)
{
    /* RR with a valid pointer and a router alert: no anomaly */
    uint8_t opt[12] = {7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 1};
    size_t n = mk_udp(L, 4, A4, B4, 1, 2, (const uint8_t *)"o", 1);
    n = mk_ip4(G, A4, B4, 17, 7, 0, 63, opt, 12, L, n);
    struct packet *p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->n_anom, 0);
    CHECK_EQ_U(p->ip_hlen, 32);
    CHECK_EQ_U(p->l4_off, 32);
    CHECK_EQ_U(p->dport, 2);
    CHECK(!(p->flags & VG_PKT_IPV4_CSUM_BAD));

    uint64_t bad = cnt()->ipv4_csum_bad;
    G[10] ^= 0x55;
    p = dec(VG_LINK_RAW, G, n);
    CHECK(p->flags & VG_PKT_IPV4_CSUM_BAD);
    CHECK_EQ_U(cnt()->ipv4_csum_bad, bad + 1);
    CHECK_EQ_U(p->dport, 2); /* flagged, not enforced */
}

static void test_l4_checksums(void)
{
    size_t n = frame_tcp4(F, 33);
    uint64_t bad = cnt()->l4_csum_bad;
    F[n - 1] ^= 1;
    struct packet *p = dec(VG_LINK_ETHERNET, F, n);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(p->flags & VG_PKT_L4_CSUM_BAD);
    CHECK_EQ_U(cnt()->l4_csum_bad, bad + 1);

    /* UDP over IPv4 with checksum 0: not computed */
    n = mk_udp(L, 4, A4, B4, 1, 2, (const uint8_t *)"abcde", 5);
    wr16(L + 6, 0);
    n = mk_ip4(G, A4, B4, 17, 7, 0, 63, NULL, 0, L, n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_CHECKED));
    /* UDP over IPv6, good then bad */
    n = mk_udp(L, 6, A6, B6, 1, 2, (const uint8_t *)"abcde", 5);
    n = mk_ip6(G, A6, B6, 17, 64, L, n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    CHECK_EQ_U(p->payload_len, 5);
    G[n - 1] ^= 0xff;
    p = dec(VG_LINK_RAW, G, n);
    CHECK(p->flags & VG_PKT_L4_CSUM_BAD);
    /* odd-length TCP payload over IPv6 */
    n = mk_tcp(L, 6, A6, B6, 9, 10, 1, 1, VG_TCP_ACK, NULL, 0, 13);
    n = mk_ip6(G, A6, B6, 6, 64, L, n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    CHECK_EQ_U(p->payload_len, 13);
    /* ICMPv4 good and bad */
    n = mk_icmp4(L, 8, 0, 0x4242, 7, (const uint8_t *)"ping!", 5);
    n = mk_ip4(G, A4, B4, 1, 7, 0, 63, NULL, 0, L, n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    G[n - 1] ^= 1;
    p = dec(VG_LINK_RAW, G, n);
    CHECK(p->flags & VG_PKT_L4_CSUM_BAD);
}

static void test_ipv6_exthdrs(void)
{
    /* HBH (router alert) + DST (PadN) + RH type 2 (home address H6, 1 segment left) + TCP whose
     * checksum uses H6: RFC 8200 8.1. */
    uint8_t ext[64];
    size_t e = 0;
    uint8_t hbh[8] = {60, 0, 5, 2, 0, 0, 1, 0};
    memcpy(ext + e, hbh, 8);
    e += 8;
    uint8_t dst[8] = {43, 0, 0x26, 2, 0, 0, 1, 0}; /* quick-start, then PadN len 0 */
    dst[6] = 1;
    dst[7] = 0;
    memcpy(ext + e, dst, 8);
    e += 8;
    uint8_t rh[24] = {6, 2, 2, 1, 0, 0, 0, 0};
    memcpy(rh + 8, H6, 16);
    memcpy(ext + e, rh, 24);
    e += 24;
    size_t n = mk_tcp(L, 6, A6, H6, 4444, 80, 10, 20, VG_TCP_SYN, NULL, 0, 0);
    memmove(L + e, L, n);
    memcpy(L, ext, e);
    n = mk_ip6(G, A6, B6, 0, 64, L, e + n);
    struct packet *p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->proto, 6);
    CHECK_EQ_U(p->ip_hlen, 40 + e);
    CHECK_EQ_U(p->l4_off, 40 + e);
    CHECK_EQ_U(p->dport, 80);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    CHECK(addr_is(&p->dst, 6, B6)); /* the packet's own destination is unchanged */
    CHECK(has_anom(p, ANOM_IPV6_ZERO_LEN_PADN));

    /* AH (RFC 4302 units: (len + 2) * 4) then UDP */
    uint8_t ah[24] = {17, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9};
    n = mk_udp(L, 6, A6, B6, 500, 4500, (const uint8_t *)"ike", 3);
    memmove(L + 24, L, n);
    memcpy(L, ah, 24);
    n = mk_ip6(G, A6, B6, 51, 64, L, 24 + n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->proto, 17);
    CHECK_EQ_U(p->l4_off, 64);
    CHECK_EQ_U(p->dport, 4500);
    CHECK_EQ_U(p->n_anom, 0);

    /* ESP stops the chain */
    uint8_t esp[24] = {0, 0, 1, 0, 0, 0, 0, 5};
    n = mk_ip6(G, A6, B6, 50, 64, esp, 24);
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->proto, 50);
    CHECK_EQ_U(p->payload_len, 16);
    CHECK_EQ_U(p->l4_off, 40);

    /* No next header without trailing data: fine */
    n = mk_ip6(G, A6, B6, 59, 64, NULL, 0);
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->proto, 59);
    CHECK_EQ_U(p->n_anom, 0);

    /* Atomic fragment (offset 0, M = 0): decoded in place, ip_id from the header */
    uint8_t fh[8] = {17, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    n = mk_udp(L, 6, A6, B6, 7, 8, (const uint8_t *)"atom", 4);
    memmove(L + 8, L, n);
    memcpy(L, fh, 8);
    n = mk_ip6(G, A6, B6, 44, 64, L, 8 + n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->dport, 8);
    CHECK_EQ_U(p->ip_id, 0xbeef);
    CHECK(has_anom(p, ANOM_IPV6_EXTHDR_USELESS_FH));
    g_covered[ANOM_IPV6_EXTHDR_USELESS_FH] = 1;
    CHECK(!(p->flags & VG_PKT_FRAGMENT));
}

/* --- tunnels -------------------------------------------------------------------------------- */

static size_t inner_tcp4(uint8_t *o)
{
    uint8_t l4[256];
    size_t n = mk_tcp(l4, 4, C4, D4, 3333, 8080, 100, 200, VG_TCP_ACK, NULL, 0, 7);
    return mk_ip4(o, C4, D4, 6, 0x0777, 0, 30, NULL, 0, l4, n);
}

static void test_gre(void)
{
    /* GRE with checksum, key and sequence number, carrying IPv4 */
    uint8_t in[512];
    size_t n = inner_tcp4(in);
    uint8_t gre[16] = {0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0x30, 0x39, 0, 0, 0, 1};
    memcpy(L, gre, 16);
    memcpy(L + 16, in, n);
    n = mk_ip4(G, A4, B4, 47, 9, 0, 64, NULL, 0, L, 16 + n);
    n = mk_eth(F, 0x0800, G, n);
    uint64_t g = cnt()->gre;
    struct packet *p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(cnt()->gre, g + 1);
    CHECK_EQ_U(p->tunnel_depth, 1);
    CHECK_EQ_U(p->tunnel_id, 12345);
    CHECK(addr_is(&p->outer_src, 4, A4));
    CHECK(addr_is(&p->outer_dst, 4, B4));
    CHECK_EQ_U(p->outer_proto, 47);
    CHECK(addr_is(&p->src, 4, C4));
    CHECK(addr_is(&p->dst, 4, D4));
    CHECK_EQ_U(p->proto, 6);
    CHECK_EQ_U(p->ttl, 30);
    CHECK_EQ_U(p->ip_id, 0x0777);
    CHECK_EQ_U(p->sport, 3333);
    CHECK_EQ_U(p->dport, 8080);
    CHECK_EQ_U(p->l3_off, 14 + 20 + 16);
    CHECK_EQ_U(p->payload_len, 7);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    CHECK_EQ_U(p->n_anom, 0);

    /* transparent Ethernet bridging (0x6558) */
    size_t kin = inner_tcp4(in);
    size_t m = mk_eth(L + 4, 0x0800, in, kin);
    uint8_t teb[4] = {0, 0, 0x65, 0x58};
    memcpy(L, teb, 4);
    n = mk_ip4(G, A4, B4, 47, 9, 0, 64, NULL, 0, L, 4 + m);
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->tunnel_depth, 1);
    CHECK_EQ_U(p->tunnel_id, 0);
    CHECK(p->has_eth);
    CHECK_EQ_U(p->l2_off, 24);
    CHECK_EQ_U(p->dport, 8080);

    /* ERSPAN type II: GRE with S flag, protocol 0x88be, 8-byte header, then Ethernet */
    uint8_t er[16] = {0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x64, 0, 5, 0, 0, 0, 0};
    memcpy(L, er, 16);
    kin = inner_tcp4(in);
    m = mk_eth(L + 16, 0x0800, in, kin);
    n = mk_ip4(G, A4, B4, 47, 9, 0, 64, NULL, 0, L, 16 + m);
    uint64_t e = cnt()->erspan;
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(cnt()->erspan, e + 1);
    CHECK_EQ_U(p->dport, 8080);
    CHECK_EQ_U(p->l2_off, 36);

    /* GRE version 1 (PPTP): counted, not decoded */
    uint8_t v1[12] = {0x30, 0x01, 0x88, 0x0b, 0, 4, 0, 7, 0, 0, 0, 1};
    memcpy(L, v1, 12);
    memset(L + 12, 0xfd, 4);
    n = mk_ip4(G, A4, B4, 47, 9, 0, 64, NULL, 0, L, 16);
    uint64_t pp = cnt()->gre_pptp;
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(cnt()->gre_pptp, pp + 1);
    CHECK_EQ_U(p->tunnel_depth, 0);
    CHECK_EQ_U(p->payload_len, 4);
    CHECK_EQ_U(p->n_anom, 0);
}

static void test_vxlan_geneve(void)
{
    uint8_t in[512];
    size_t kin = inner_tcp4(in);
    size_t m = mk_eth(L + 8, 0x0800, in, kin);
    uint8_t vx[8] = {0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0};
    memcpy(L, vx, 8);
    size_t n = mk_udp(G, 4, A4, B4, 54321, 4789, L, 8 + m);
    n = mk_ip4(L, A4, B4, 17, 9, 0, 64, NULL, 0, G, n);
    n = mk_eth(F, 0x0800, L, n);
    uint64_t v = cnt()->vxlan;
    struct packet *p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(cnt()->vxlan, v + 1);
    CHECK_EQ_U(p->tunnel_depth, 1);
    CHECK_EQ_U(p->tunnel_id, 0x123456);
    CHECK_EQ_U(p->outer_proto, 17);
    CHECK(addr_is(&p->outer_src, 4, A4));
    CHECK(addr_is(&p->src, 4, C4));
    CHECK_EQ_U(p->sport, 3333);
    CHECK_EQ_U(p->dport, 8080);
    CHECK_EQ_U(p->proto, 6);
    CHECK_EQ_U(p->l2_off, 14 + 20 + 8 + 8);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED); /* the inner TCP's verdict */
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    CHECK_EQ_U(p->n_anom, 0);

    /* without the I flag it stays a UDP packet */
    F[14 + 20 + 8] = 0;
    p = dec(VG_LINK_ETHERNET, F, n);
    CHECK_EQ_U(p->tunnel_depth, 0);
    CHECK_EQ_U(p->dport, 4789);

    /* GENEVE carrying IPv4 directly, 4 bytes of options */
    uint8_t gv[12] = {0x01, 0, 0x08, 0x00, 0xab, 0xcd, 0xef, 0, 0, 0, 0, 0};
    memcpy(L, gv, 12);
    size_t k = inner_tcp4(L + 12);
    n = mk_udp(G, 4, A4, B4, 1, 6081, L, 12 + k);
    n = mk_ip4(L, A4, B4, 17, 9, 0, 64, NULL, 0, G, n);
    uint64_t gc = cnt()->geneve;
    p = dec(VG_LINK_RAW, L, n);
    CHECK_EQ_U(cnt()->geneve, gc + 1);
    CHECK_EQ_U(p->tunnel_id, 0xabcdef);
    CHECK_EQ_U(p->dport, 8080);
    CHECK_EQ_U(p->l3_off, 20 + 8 + 12);
}

static void test_ip_in_ip(void)
{
    uint8_t in[512];
    size_t k = inner_tcp4(in);
    /* IPv4-in-IPv4 */
    size_t n = mk_ip4(G, A4, B4, 4, 1, 0, 64, NULL, 0, in, k);
    struct packet *p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->tunnel_depth, 1);
    CHECK_EQ_U(p->outer_proto, 4);
    CHECK(addr_is(&p->outer_dst, 4, B4));
    CHECK(addr_is(&p->dst, 4, D4));
    CHECK_EQ_U(p->dport, 8080);
    /* IPv4-in-IPv6 */
    n = mk_ip6(G, A6, B6, 4, 64, in, k);
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->tunnel_depth, 1);
    CHECK(addr_is(&p->outer_src, 6, A6));
    CHECK_EQ_U(p->ip_ver, 4);
    CHECK_EQ_U(p->l3_off, 40);
    /* IPv6-in-IPv4 (6in4) */
    size_t m = mk_tcp(L, 6, A6, B6, 1, 2, 3, 4, VG_TCP_SYN, NULL, 0, 0);
    m = mk_ip6(in, A6, B6, 6, 60, L, m);
    n = mk_ip4(G, A4, B4, 41, 1, 0, 64, NULL, 0, in, m);
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->tunnel_depth, 1);
    CHECK_EQ_U(p->outer_proto, 41);
    CHECK_EQ_U(p->ip_ver, 6);
    CHECK_EQ_U(p->ttl, 60);
    CHECK_EQ_U(p->dport, 2);
    /* IPv6-in-IPv6 */
    n = mk_ip6(G, H6, B6, 41, 64, in, m);
    p = dec(VG_LINK_RAW, G, n);
    CHECK(addr_is(&p->outer_src, 6, H6));
    CHECK(addr_is(&p->src, 6, A6));
    CHECK_EQ_U(p->dport, 2);
    /* nine nested IPv4-in-IPv4: the ninth tunnel is one too many */
    n = inner_tcp4(G);
    for (int i = 0; i < 9; i++) {
        memcpy(L, G, n);
        n = mk_ip4(G, A4, B4, 4, 1, 0, 64, NULL, 0, L, n);
    }
    EXPECT_ANOM(VG_LINK_RAW, G, n, ANOM_TOO_MANY_LAYERS);
    CHECK(g_p.flags & VG_PKT_INVALID);
    CHECK_EQ_U(g_p.tunnel_depth, 8);
}

/* --- ICMP ------------------------------------------------------------------------------------ */

static void test_icmp(void)
{
    /* echo */
    size_t n = mk_icmp4(L, 8, 0, 0xbeef, 3, (const uint8_t *)"abcdefgh", 8);
    n = mk_ip4(G, A4, B4, 1, 7, 0, 63, NULL, 0, L, n);
    struct packet *p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->icmp_type, 8);
    CHECK_EQ_U(p->icmp_code, 0);
    CHECK_EQ_U(p->sport, 8);
    CHECK_EQ_U(p->dport, 0);
    CHECK_EQ_U(p->icmp_id, 0xbeef);
    CHECK_EQ_U(p->icmp_seq, 3);
    CHECK_EQ_U(p->payload_len, 8);

    /* port unreachable quoting a UDP datagram from D4 to C4 */
    uint8_t q[64];
    size_t qn = mk_udp(L, 4, D4, C4, 5353, 53, (const uint8_t *)"query", 5);
    (void)mk_ip4(q, D4, C4, 17, 0x99, 0, 1, NULL, 0, L, qn); /* 28 bytes quoted */
    n = mk_icmp4(L, 3, 3, 0, 0, q, 28);                      /* header + the first 8 bytes */
    n = mk_ip4(G, A4, B4, 1, 7, 0, 63, NULL, 0, L, n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK(p->flags & VG_PKT_ICMP_INNER);
    CHECK(addr_is(&p->src, 4, A4)); /* the outer fields are the ICMP packet's */
    CHECK(addr_is(&p->dst, 4, B4));
    CHECK_EQ_U(p->proto, 1);
    CHECK_EQ_U(p->sport, 3);
    CHECK_EQ_U(p->dport, 3);
    CHECK_EQ_U(p->ip_id, 7);
    CHECK(addr_is(&p->icmp_inner.src, 4, D4));
    CHECK(addr_is(&p->icmp_inner.dst, 4, C4));
    CHECK_EQ_U(p->icmp_inner.proto, 17);
    CHECK_EQ_U(p->icmp_inner.sport, 5353);
    CHECK_EQ_U(p->icmp_inner.dport, 53);
    CHECK_EQ_U(p->n_anom, 0);

    /* ICMPv6 echo and destination unreachable quoting TCP */
    n = mk_icmp6(L, A6, B6, 128, 0, 0x0102, 0x0304, (const uint8_t *)"x", 1);
    n = mk_ip6(G, A6, B6, 58, 64, L, n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK_EQ_U(p->icmp_type, 128);
    CHECK_EQ_U(p->icmp_id, 0x0102);
    CHECK_EQ_U(p->icmp_seq, 0x0304);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    qn = mk_tcp(L, 6, B6, H6, 443, 55555, 1, 2, VG_TCP_ACK, NULL, 0, 0);
    (void)mk_ip6(q, B6, H6, 6, 3, L, qn); /* only the first 48 bytes are quoted */
    n = mk_icmp6(L, A6, B6, 1, 4, 0, 0, q, 48);
    n = mk_ip6(G, A6, B6, 58, 64, L, n);
    p = dec(VG_LINK_RAW, G, n);
    CHECK(p->flags & VG_PKT_ICMP_INNER);
    CHECK(addr_is(&p->icmp_inner.src, 6, B6));
    CHECK(addr_is(&p->icmp_inner.dst, 6, H6));
    CHECK_EQ_U(p->icmp_inner.proto, 6);
    CHECK_EQ_U(p->icmp_inner.sport, 443);
    CHECK_EQ_U(p->icmp_inner.dport, 55555);
    CHECK(addr_is(&p->src, 6, A6));
    CHECK_EQ_U(p->sport, 1);
    CHECK_EQ_U(p->dport, 4);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    CHECK_EQ_U(p->n_anom, 0);
}

/* --- defragmentation --------------------------------------------------------------------- */

/* Splits an IPv4 datagram (header 20 bytes) at the payload offsets in cuts[] (multiples of 8) and
 * writes fragment i into frags[i] (with Ethernet). Returns the number of fragments. */
static size_t frag4(const uint8_t *dgram, size_t dlen, const size_t *cuts, size_t ncuts,
                    uint8_t frags[][1600], size_t *flen, uint16_t id)
{
    size_t pl = dlen - 20;
    size_t start = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : pl;
        uint16_t ff = (uint16_t)((start / 8) | (i < ncuts ? 0x2000 : 0));
        uint8_t ip[1600];
        size_t n = mk_ip4(ip, dgram + 12, dgram + 16, dgram[9], id, ff, dgram[8], NULL, 0,
                          dgram + 20 + start, end - start);
        flen[i] = mk_eth(frags[i], 0x0800, ip, n);
        start = end;
    }
    return ncuts + 1;
}

static uint8_t FR[8][1600];
static size_t FL[8];

static void check_reassembled_tcp(const struct packet *p, size_t paylen)
{
    CHECK(p->flags & VG_PKT_REASSEMBLED);
    CHECK(!(p->flags & VG_PKT_FRAGMENT));
    CHECK_EQ_U(p->l3_off, 0);
    CHECK_EQ_U(p->proto, 6);
    CHECK_EQ_U(p->sport, 40000);
    CHECK_EQ_U(p->dport, 80);
    CHECK_EQ_U(p->payload_len, paylen);
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
}

static void test_defrag_ipv4(void)
{
    size_t n = frame_tcp4(G, 1000); /* 20 + 40 + 1000 */
    const uint8_t *dg = G + 14;
    size_t dl = n - 14;
    size_t cuts[2] = {400, 800};
    size_t nf = frag4(dg, dl, cuts, 2, FR, FL, 0x4321);
    uint64_t r4 = cnt()->reasm_ipv4, f4 = cnt()->frag_ipv4;

    /* in order */
    struct packet *p = dec(VG_LINK_ETHERNET, FR[0], FL[0]);
    CHECK(p->flags & VG_PKT_FRAGMENT);
    CHECK_EQ_U(p->sport, 0);
    CHECK_EQ_U(p->proto, 6);
    CHECK(cnt()->frag_memuse > 0);
    p = dec(VG_LINK_ETHERNET, FR[1], FL[1]);
    CHECK(p->flags & VG_PKT_FRAGMENT);
    p = dec(VG_LINK_ETHERNET, FR[2], FL[2]);
    check_reassembled_tcp(p, 1000);
    CHECK_EQ_U(p->caplen, dl);
    CHECK_EQ_U(p->ip_id, 0x4321);
    CHECK(p->frame == FR[2]);
    CHECK(!p->has_eth);               /* the Ethernet header stayed in the frame */
    CHECK_EQ_U(p->data[6] & 0x3f, 0); /* no MF, no offset in the built header */
    CHECK(memcmp(p->data + 20, dg + 20, dl - 20) == 0);
    CHECK_EQ_U(cnt()->reasm_ipv4, r4 + 1);
    CHECK_EQ_U(cnt()->frag_ipv4, f4 + 3);
    CHECK_EQ_U(cnt()->frag_memuse, 0);

    /* reverse order */
    for (size_t i = nf; i-- > 0;)
        p = dec(VG_LINK_ETHERNET, FR[i], FL[i]);
    check_reassembled_tcp(p, 1000);
    CHECK_EQ_U(cnt()->reasm_ipv4, r4 + 2);

    /* overlap with the same bytes: frag_overlap only */
    size_t cuts2[1] = {520};
    uint8_t O[2][1600];
    size_t OL[2];
    frag4(dg, dl, cuts2, 1, O, OL, 0x4322);
    frag4(dg, dl, cuts, 2, FR, FL, 0x4322);
    dec(VG_LINK_ETHERNET, FR[0], FL[0]);    /* 0..400 */
    dec(VG_LINK_ETHERNET, FR[1], FL[1]);    /* 400..800 */
    p = dec(VG_LINK_ETHERNET, O[1], OL[1]); /* 520..end overlaps 520..800 */
    CHECK(has_anom(p, ANOM_IPV4_FRAG_OVERLAP));
    CHECK(!has_anom(p, ANOM_IPV4_FRAG_OVERLAP_DIFFERENT));
    check_reassembled_tcp(p, 1000);

    /* overlap with different bytes: first bytes win, both anomalies */
    frag4(dg, dl, cuts, 2, FR, FL, 0x4323);
    frag4(dg, dl, cuts2, 1, O, OL, 0x4323);
    /* tamper with the second copy of bytes 520..527 (offset 520 in the payload) */
    O[1][14 + 20 + 0] ^= 0xff;
    size_t h = 14;
    O[1][h + 10] = O[1][h + 11] = 0;
    uint16_t s = ref_fold(ref_sum(O[1] + h, 20, 0));
    wr16(O[1] + h + 10, s);
    uint64_t od = anom_cnt(ANOM_IPV4_FRAG_OVERLAP_DIFFERENT);
    dec(VG_LINK_ETHERNET, FR[0], FL[0]);
    dec(VG_LINK_ETHERNET, FR[1], FL[1]);
    p = dec(VG_LINK_ETHERNET, O[1], OL[1]);
    CHECK(has_anom(p, ANOM_IPV4_FRAG_OVERLAP));
    CHECK(has_anom(p, ANOM_IPV4_FRAG_OVERLAP_DIFFERENT));
    CHECK_EQ_U(anom_cnt(ANOM_IPV4_FRAG_OVERLAP_DIFFERENT), od + 1);
    g_covered[ANOM_IPV4_FRAG_OVERLAP] = g_covered[ANOM_IPV4_FRAG_OVERLAP_DIFFERENT] = 1;
    check_reassembled_tcp(p, 1000); /* the original bytes were kept: checksum still good */
    CHECK(memcmp(p->data + 20, dg + 20, dl - 20) == 0);
    CHECK_EQ_U(cnt()->frag_memuse, 0);
}

static void test_defrag_ipv4_nested_tunnel(void)
{
    /* An outer IPv4 datagram carrying IPv4-in-IPv4, fragmented; the inner datagram is itself two
     * fragments carried by two such outer datagrams. The inner reassembly happens in the buffer
     * the outer reassembly just built. */
    size_t n = frame_tcp4(G, 600);
    const uint8_t *dg = G + 14;
    size_t dl = n - 14;
    size_t cut[1] = {304};
    uint8_t IN[2][1600];
    size_t INL[2];
    frag4(dg, dl, cut, 1, IN, INL, 0x0a0a);
    struct packet *p = NULL;
    for (int i = 0; i < 2; i++) {
        uint8_t outer[1600];
        size_t on = mk_ip4(outer, C4, D4, 4, (uint16_t)(0x0b00 + i), 0, 64, NULL, 0, IN[i] + 14,
                           INL[i] - 14);
        uint8_t OF[2][1600];
        size_t OFL[2];
        size_t oc[1] = {160};
        frag4(outer, on, oc, 1, OF, OFL, (uint16_t)(0x0b00 + i));
        p = dec(VG_LINK_ETHERNET, OF[0], OFL[0]);
        CHECK(p->flags & VG_PKT_FRAGMENT);
        p = dec(VG_LINK_ETHERNET, OF[1], OFL[1]);
        CHECK_EQ_U(p->tunnel_depth, 1);
    }
    check_reassembled_tcp(p, 600);
    CHECK(addr_is(&p->outer_src, 4, C4));
    CHECK(addr_is(&p->src, 4, A4));
}

static void test_defrag_ipv4_limits(void)
{
    /* timeout: a lone first fragment is expired by decode_expire */
    size_t n = frame_tcp4(G, 1000);
    size_t cuts[1] = {512};
    frag4(G + 14, n - 14, cuts, 1, FR, FL, 0x7001);
    uint64_t to = cnt()->frag_timeouts;
    dec_ts(VG_LINK_ETHERNET, FR[0], FL[0], 5000);
    CHECK(cnt()->frag_memuse > 0);
    decode_expire(g_ctx, (struct vg_ts){5030, 0}, 1000000);
    CHECK_EQ_U(cnt()->frag_timeouts, to);
    decode_expire(g_ctx, (struct vg_ts){5061, 0}, 1000000);
    CHECK_EQ_U(cnt()->frag_timeouts, to + 1);
    CHECK_EQ_U(cnt()->frag_memuse, 0);
    /* the second half arriving later starts a new datagram, which does not complete */
    struct packet *p = dec_ts(VG_LINK_ETHERNET, FR[1], FL[1], 5062);
    CHECK(p->flags & VG_PKT_FRAGMENT);
    CHECK(!(p->flags & VG_PKT_REASSEMBLED));
    /* a tracker met again after its timeout is dropped on the spot */
    p = dec_ts(VG_LINK_ETHERNET, FR[0], FL[0], 5200);
    CHECK_EQ_U(cnt()->frag_timeouts, to + 2);
    CHECK(!(p->flags & VG_PKT_REASSEMBLED));
    decode_expire(g_ctx, (struct vg_ts){9999, 0}, 1000000);

    /* a separate small context for the memcap and the tracker cap */
    struct decode_ctx *saved = g_ctx;
    struct decode_config cfg = {
        .defrag_memcap = 4096, .defrag_max_trackers = 2, .defrag_timeout_s = 60};
    g_ctx = decode_ctx_new(&cfg);
    CHECK(g_ctx != NULL);
    /* memcap: 16 blocks of 256 bytes; each 512-byte first fragment takes 2 + 1 (header) */
    uint64_t before = anom_cnt(ANOM_IPV4_FRAG_IGNORED);
    for (int i = 0; i < 2; i++) {
        frag4(G + 14, n - 14, cuts, 1, FR, FL, (uint16_t)(0x8000 + i));
        dec(VG_LINK_ETHERNET, FR[0], FL[0]);
    }
    CHECK_EQ_U(cnt()->frag_memcap_drops, 0);
    /* third datagram: no tracker left */
    frag4(G + 14, n - 14, cuts, 1, FR, FL, 0x8002);
    p = dec(VG_LINK_ETHERNET, FR[0], FL[0]);
    CHECK_EQ_U(cnt()->frag_memcap_drops, 1);
    CHECK(has_anom(p, ANOM_IPV4_FRAG_IGNORED));
    CHECK_EQ_U(anom_cnt(ANOM_IPV4_FRAG_IGNORED), before + 1);
    g_covered[ANOM_IPV4_FRAG_IGNORED] = 1;
    decode_ctx_free(g_ctx);

    cfg.defrag_max_trackers = 100;
    g_ctx = decode_ctx_new(&cfg);
    size_t big = frame_tcp4(G, 1400);
    size_t c2[1] = {1200};
    int dropped_at = -1;
    for (int i = 0; i < 8; i++) {
        frag4(G + 14, big - 14, c2, 1, FR, FL, (uint16_t)(0x9000 + i));
        dec(VG_LINK_ETHERNET, FR[0], FL[0]);
        if (dropped_at < 0 && cnt()->frag_memcap_drops) dropped_at = i;
    }
    CHECK(dropped_at == 2); /* 5 data blocks + 1 header block each: the third does not fit in 16 */
    CHECK(cnt()->frag_memuse <= 4096);
    decode_ctx_free(g_ctx);
    g_ctx = saved;

    /* datagram > 65535 */
    uint8_t ip[96];
    uint8_t data[48] = {0};
    size_t k = mk_ip4(ip, A4, B4, 17, 1, 8190, 64, NULL, 0, data, 48); /* offset 65520 + 48 */
    n = mk_eth(F, 0x0800, ip, k);
    EXPECT_ANOM(VG_LINK_ETHERNET, F, n, ANOM_IPV4_FRAG_PKT_TOO_LARGE);
}

/* IPv6 fragments of an UDP datagram: unfragmentable part = IPv6 header (+ optional DST). */
static size_t frag6(const uint8_t *data, size_t off, size_t len, bool more, uint32_t id, uint8_t *o,
                    bool with_dst)
{
    uint8_t pl[1600];
    size_t e = 0;
    uint8_t nh = 44;
    if (with_dst) {
        /* tunnel encapsulation limit (type 4, len 1), then PadN of one byte */
        uint8_t dsto[8] = {44, 0, 0x04, 1, 4, 0x01, 0x01, 0x00};
        memcpy(pl, dsto, 8);
        e = 8;
        nh = 60;
    }
    uint8_t fh[8] = {17, 0, 0, 0};
    wr16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
    wr32(fh + 4, id);
    memcpy(pl + e, fh, 8);
    memcpy(pl + e + 8, data, len);
    return mk_ip6(o, A6, B6, nh, 64, pl, e + 8 + len);
}

static void test_defrag_ipv6(void)
{
    uint8_t pay[1200];
    fill(pay, sizeof(pay), 3);
    uint8_t udp[1300];
    size_t ul = mk_udp(udp, 6, A6, B6, 1111, 2222, pay, 1000);
    uint8_t f[3][1600];
    size_t fl[3];
    uint64_t r6 = cnt()->reasm_ipv6, f6 = cnt()->frag_ipv6;
    fl[0] = frag6(udp + 0, 0, 400, true, 0xabc, f[0], true);
    fl[1] = frag6(udp + 400, 400, 400, true, 0xabc, f[1], true);
    fl[2] = frag6(udp + 800, 800, ul - 800, false, 0xabc, f[2], true);
    struct packet *p = dec(VG_LINK_RAW, f[0], fl[0]);
    CHECK(p->flags & VG_PKT_FRAGMENT);
    CHECK_EQ_U(p->proto, 17);
    CHECK_EQ_U(p->ip_id, 0xabc);
    CHECK_EQ_U(p->n_anom, 0);
    dec(VG_LINK_RAW, f[1], fl[1]);
    p = dec(VG_LINK_RAW, f[2], fl[2]);
    CHECK(p->flags & VG_PKT_REASSEMBLED);
    CHECK_EQ_U(p->ip_ver, 6);
    CHECK_EQ_U(p->proto, 17);
    CHECK_EQ_U(p->sport, 1111);
    CHECK_EQ_U(p->dport, 2222);
    CHECK_EQ_U(p->payload_len, 1000);
    CHECK_EQ_U(p->caplen, 40 + 8 + ul);
    CHECK_EQ_U(p->ip_hlen, 48);
    CHECK_EQ_U(p->data[6], 60);  /* IPv6 header still names DST */
    CHECK_EQ_U(p->data[40], 17); /* DST now names UDP */
    CHECK(p->flags & VG_PKT_L4_CSUM_CHECKED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));
    CHECK(memcmp(p->payload, pay, 1000) == 0);
    CHECK_EQ_U(cnt()->reasm_ipv6, r6 + 1);
    CHECK_EQ_U(cnt()->frag_ipv6, f6 + 3);

    /* reverse order, no DST */
    fl[0] = frag6(udp + 0, 0, 400, true, 0xabd, f[0], false);
    fl[1] = frag6(udp + 400, 400, 400, true, 0xabd, f[1], false);
    fl[2] = frag6(udp + 800, 800, ul - 800, false, 0xabd, f[2], false);
    for (int i = 2; i >= 0; i--)
        p = dec(VG_LINK_RAW, f[i], fl[i]);
    CHECK(p->flags & VG_PKT_REASSEMBLED);
    CHECK_EQ_U(p->data[6], 17);
    CHECK_EQ_U(p->dport, 2222);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));

    /* overlap, same bytes then different bytes */
    uint8_t o[1600];
    fl[0] = frag6(udp + 0, 0, 400, true, 0xabe, f[0], false);
    fl[1] = frag6(udp + 400, 400, ul - 400, false, 0xabe, f[1], false);
    size_t ol = frag6(udp + 200, 200, 400, true, 0xabe, o, false);
    dec(VG_LINK_RAW, f[0], fl[0]);
    p = dec(VG_LINK_RAW, o, ol);
    CHECK(has_anom(p, ANOM_IPV6_FRAG_OVERLAP));
    CHECK(!has_anom(p, ANOM_IPV6_FRAG_OVERLAP_DIFFERENT));
    p = dec(VG_LINK_RAW, f[1], fl[1]);
    CHECK(has_anom(p, ANOM_IPV6_FRAG_OVERLAP));
    CHECK(p->flags & VG_PKT_REASSEMBLED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD));

    uint64_t od = anom_cnt(ANOM_IPV6_FRAG_OVERLAP_DIFFERENT);
    fl[0] = frag6(udp + 0, 0, 400, true, 0xac0, f[0], false);
    fl[1] = frag6(udp + 400, 400, ul - 400, false, 0xac0, f[1], false);
    ol = frag6(udp + 200, 200, 400, true, 0xac0, o, false);
    o[48 + 100] ^= 0x5a; /* datagram byte 300: inside the first fragment's range */
    dec(VG_LINK_RAW, f[0], fl[0]);
    p = dec(VG_LINK_RAW, o, ol);
    CHECK(has_anom(p, ANOM_IPV6_FRAG_OVERLAP_DIFFERENT));
    CHECK_EQ_U(anom_cnt(ANOM_IPV6_FRAG_OVERLAP_DIFFERENT), od + 1);
    g_covered[ANOM_IPV6_FRAG_OVERLAP] = g_covered[ANOM_IPV6_FRAG_OVERLAP_DIFFERENT] = 1;
    p = dec(VG_LINK_RAW, f[1], fl[1]);
    CHECK(p->flags & VG_PKT_REASSEMBLED);
    CHECK(!(p->flags & VG_PKT_L4_CSUM_BAD)); /* first bytes kept */
    CHECK(memcmp(p->payload, pay, 1000) == 0);

    /* timeout */
    uint64_t to = cnt()->frag_timeouts;
    fl[0] = frag6(udp + 0, 0, 400, true, 0xac1, f[0], false);
    dec_ts(VG_LINK_RAW, f[0], fl[0], 7000);
    decode_expire(g_ctx, (struct vg_ts){7100, 0}, 1000000);
    CHECK_EQ_U(cnt()->frag_timeouts, to + 1);
    CHECK_EQ_U(cnt()->frag_memuse, 0);

    /* invalid length: M set and not a multiple of 8 */
    fl[0] = frag6(udp + 0, 0, 401, true, 0xac2, f[0], false);
    EXPECT_ANOM(VG_LINK_RAW, f[0], fl[0], ANOM_IPV6_FRAG_INVALID_LENGTH);
    /* too large */
    fl[0] = frag6(pay, 65528, 16, false, 0xac3, f[0], false);
    EXPECT_ANOM(VG_LINK_RAW, f[0], fl[0], ANOM_IPV6_FRAG_PKT_TOO_LARGE);

    /* tracker cap in a small context */
    struct decode_ctx *saved = g_ctx;
    struct decode_config cfg = {.defrag_memcap = 1 << 20, .defrag_max_trackers = 1};
    g_ctx = decode_ctx_new(&cfg);
    fl[0] = frag6(udp + 0, 0, 400, true, 1, f[0], false);
    dec(VG_LINK_RAW, f[0], fl[0]);
    fl[0] = frag6(udp + 0, 0, 400, true, 2, f[0], false);
    p = dec(VG_LINK_RAW, f[0], fl[0]);
    CHECK(has_anom(p, ANOM_IPV6_FRAG_IGNORED));
    CHECK_EQ_U(cnt()->frag_memcap_drops, 1);
    g_covered[ANOM_IPV6_FRAG_IGNORED] = 1;
    decode_ctx_free(g_ctx);
    g_ctx = saved;
}

/* --- one test per anomaly ---------------------------------------------------------------- */

static size_t ip4_with(uint8_t *o, uint8_t proto, const uint8_t *l4, size_t n)
{
    return mk_ip4(o, A4, B4, proto, 1, 0, 64, NULL, 0, l4, n);
}
static size_t ip6_with(uint8_t *o, uint8_t nh, const uint8_t *pl, size_t n)
{
    return mk_ip6(o, A6, B6, nh, 64, pl, n);
}

static void test_anomalies_link(void)
{
    uint8_t b[256];
    memset(b, 0, sizeof(b));
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 10, ANOM_ETH_PKT_TOO_SMALL);
    wr16(b + 12, 0x1234);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_ETH_UNKNOWN_ETHERTYPE);
    wr16(b + 12, 0x8100);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 16, ANOM_VLAN_HEADER_TOO_SMALL);
    wr16(b + 16, 0x1234);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_VLAN_UNKNOWN_TYPE);
    wr16(b + 12, 0x8847);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 16, ANOM_MPLS_HEADER_TOO_SMALL);
    wr32(b + 14, 100u << 12 | 0x100 | 64);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 18, ANOM_MPLS_PKT_TOO_SMALL);
    b[18] = 0x55;
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_MPLS_UNKNOWN_PAYLOAD);
    wr32(b + 14, 3u << 12 | 0x100 | 64);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_MPLS_BAD_LABEL_IMPLICIT_NULL);
    wr32(b + 14, 7u << 12 | 0x100 | 64);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_MPLS_BAD_LABEL_RESERVED);
    wr32(b + 14, 1u << 12 | 0x100 | 64);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_MPLS_BAD_LABEL_ROUTER_ALERT);
    for (int i = 0; i < 20; i++)
        wr32(b + 14 + 4 * i, 100u << 12);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 14 + 80, ANOM_TOO_MANY_LAYERS);

    memset(b, 0, sizeof(b));
    wr16(b + 12, 0x8864);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 17, ANOM_PPPOE_PKT_TOO_SMALL);
    b[14] = 0x11;
    b[15] = 0x09;
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_PPPOE_WRONG_CODE);
    b[14] = 0x22;
    b[15] = 0;
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_PPPOE_WRONG_VERSION);
    b[14] = 0x11;
    wr16(b + 18, 4);
    wr16(b + 20, 0x0033);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, 40, ANOM_PPP_UNSUP_PROTO);
    EXPECT_ANOM(VG_LINK_PPP, b, 0, ANOM_PPP_PKT_TOO_SMALL);
    EXPECT_ANOM(VG_LINK_SLL, b, 15, ANOM_SLL_PKT_TOO_SMALL);
    EXPECT_ANOM(VG_LINK_SLL2, b, 19, ANOM_SLL2_PKT_TOO_SMALL);
    EXPECT_ANOM(VG_LINK_NULL, b, 3, ANOM_NULL_PKT_TOO_SMALL);
    b[0] = 7;
    EXPECT_ANOM(VG_LINK_NULL, b, 40, ANOM_NULL_UNSUPPORTED_TYPE);
    b[0] = 0x55;
    EXPECT_ANOM(VG_LINK_RAW, b, 40, ANOM_RAW_INVALID_IP_VERSION);
}

static void test_anomalies_ipv4(void)
{
    uint8_t b[256], l4[64];
    memset(l4, 0, sizeof(l4));
    size_t n = ip4_with(b, 17, l4, 0);
    EXPECT_ANOM(VG_LINK_RAW, b, 19, ANOM_IPV4_PKT_TOO_SMALL);
    b[0] = 0x44;
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV4_HLEN_TOO_SMALL);
    b[0] = 0x45;
    wr16(b + 2, 10);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN);
    wr16(b + 2, 100);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV4_TRUNC_PKT);
    b[0] = 0x65;
    EXPECT_ANOM(VG_LINK_IPV4, b, n, ANOM_IPV4_WRONG_IP_VERSION);

    uint8_t o1[4] = {0x99, 1, 0, 0}; /* length 1 */
    n = mk_ip4(b, A4, B4, 17, 1, 0, 64, o1, 4, l4, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV4_OPT_INVALID_LEN);
    uint8_t o2[8] = {7, 7, 2, 0, 0, 0, 0, 0}; /* RR pointer 2 */
    n = mk_ip4(b, A4, B4, 17, 1, 0, 64, o2, 8, l4, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV4_OPT_MALFORMED);
    uint8_t o3[8] = {148, 4, 0, 0, 148, 4, 0, 0};
    n = mk_ip4(b, A4, B4, 17, 1, 0, 64, o3, 8, l4, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV4_OPT_DUPLICATE);
    uint8_t o4[4] = {0x9f, 4, 0, 0};
    n = mk_ip4(b, A4, B4, 17, 1, 0, 64, o4, 4, l4, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV4_OPT_UNKNOWN);
    size_t k = mk_icmp6(l4, A6, B6, 128, 0, 1, 1, NULL, 0);
    n = ip4_with(b, 58, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV4_ICMPV6);
}

static void test_anomalies_ipv6(void)
{
    uint8_t b[512], pl[256];
    memset(pl, 0, sizeof(pl));
    size_t n = ip6_with(b, 59, pl, 0);
    EXPECT_ANOM(VG_LINK_RAW, b, 39, ANOM_IPV6_PKT_TOO_SMALL);
    b[0] = 0x40;
    EXPECT_ANOM(VG_LINK_IPV6, b, n, ANOM_IPV6_WRONG_IP_VERSION);
    n = ip6_with(b, 59, pl, 20);
    EXPECT_ANOM(VG_LINK_RAW, b, n - 1, ANOM_IPV6_TRUNC_PKT);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_DATA_AFTER_NONE_HEADER);
    /* HBH claiming 16 bytes with 8 present */
    uint8_t h1[8] = {59, 1, 1, 4, 0, 0, 0, 0};
    n = ip6_with(b, 0, h1, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_TRUNC_EXTHDR);
    uint8_t h2[16] = {0, 0, 5, 2, 0, 0, 1, 0, 59, 0, 5, 2, 0, 0, 1, 0};
    n = ip6_with(b, 0, h2, 16);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_EXTHDR_DUPL_HH);
    uint8_t r2[16] = {43, 0, 4, 0, 0, 0, 0, 0, 59, 0, 4, 0, 0, 0, 0, 0};
    n = ip6_with(b, 43, r2, 16);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_EXTHDR_DUPL_RH);
    uint8_t r0[8] = {59, 0, 0, 0, 0, 0, 0, 0};
    n = ip6_with(b, 43, r0, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_RH_TYPE_0);
    uint8_t d3[24] = {60, 0, 4, 1, 0, 1, 0, 0, 60, 0, 4, 1, 0, 1, 0, 0, 59, 0, 4, 1, 0, 1, 0, 0};
    n = ip6_with(b, 60, d3, 24);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_EXTHDR_DUPL_DH);
    uint8_t a2[24] = {51, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 59, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};
    n = ip6_with(b, 51, a2, 24);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_EXTHDR_DUPL_AH);
    uint8_t a1[12] = {59, 1, 0, 7, 0, 0, 0, 1, 0, 0, 0, 1};
    n = ip6_with(b, 51, a1, 12);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_EXTHDR_AH_RES_NOT_NULL);
    uint8_t f2[24] = {44, 0, 0, 0, 0, 0, 0, 1, 59, 0, 0, 0, 0, 0, 0, 1};
    n = ip6_with(b, 44, f2, 16);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_EXTHDR_DUPL_FH);
    uint8_t f1[8] = {59, 5, 0, 0, 0, 0, 0, 1};
    n = ip6_with(b, 44, f1, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_FH_NON_ZERO_RESERVED_FIELD);
    uint8_t pn[8] = {59, 0, 1, 0, 1, 2, 0, 0};
    n = ip6_with(b, 60, pn, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_ZERO_LEN_PADN);
    uint8_t hu[8] = {59, 0, 0x3e, 4, 0, 0, 0, 0};
    n = ip6_with(b, 0, hu, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_HOPOPTS_UNKNOWN_OPT);
    uint8_t hp[8] = {59, 0, 1, 4, 0, 0, 0, 0};
    n = ip6_with(b, 0, hp, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_HOPOPTS_ONLY_PADDING);
    n = ip6_with(b, 60, hu, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_DSTOPTS_UNKNOWN_OPT);
    n = ip6_with(b, 60, hp, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_DSTOPTS_ONLY_PADDING);
    uint8_t bo[8] = {59, 0, 0x05, 9, 0, 0, 0, 0};
    n = ip6_with(b, 0, bo, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_EXTHDR_INVALID_OPTLEN);
    uint8_t many[8 * 20];
    for (int i = 0; i < 20; i++) {
        uint8_t d[8] = {60, 0, 4, 1, 0, 1, 0, 0};
        if (i == 19) d[0] = 59;
        memcpy(many + 8 * i, d, 8);
    }
    n = ip6_with(b, 60, many, sizeof(many));
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_TOO_MANY_EXTHDRS);
    n = ip6_with(b, 200, pl, 8);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_UNKNOWN_NEXT_HEADER);
    uint8_t ic[8];
    size_t k = mk_icmp4(ic, 8, 0, 1, 1, NULL, 0);
    n = ip6_with(b, 1, ic, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_IPV6_ICMPV4);
}

static void test_anomalies_l4(void)
{
    uint8_t b[512], l4[256];
    size_t k = mk_tcp(l4, 4, A4, B4, 1, 2, 3, 4, VG_TCP_SYN, NULL, 0, 0);
    size_t n = ip4_with(b, 6, l4, 19);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_TCP_PKT_TOO_SMALL);
    l4[12] = 0x40;
    n = ip4_with(b, 6, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_TCP_HLEN_TOO_SMALL);
    uint8_t o1[4] = {2, 1, 0, 0};
    k = mk_tcp(l4, 4, A4, B4, 1, 2, 3, 4, VG_TCP_SYN, o1, 4, 0);
    n = ip4_with(b, 6, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_TCP_OPT_INVALID_LEN);
    CHECK(g_p.flags & VG_PKT_INVALID);
    uint8_t o2[8] = {2, 4, 5, 0xb4, 2, 4, 5, 0xb4};
    k = mk_tcp(l4, 4, A4, B4, 1, 2, 3, 4, VG_TCP_SYN, o2, 8, 0);
    n = ip4_with(b, 6, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_TCP_OPT_DUPLICATE);
    CHECK_EQ_U(g_p.tcp_opts.mss, 1460);
    uint8_t o3[4] = {3, 4, 7, 0}; /* window scale with length 4: wrong */
    k = mk_tcp(l4, 4, A4, B4, 1, 2, 3, 4, VG_TCP_SYN, o3, 4, 0);
    n = ip4_with(b, 6, l4, k);
    struct packet *p = dec(VG_LINK_RAW, b, n);
    CHECK(has_anom(p, ANOM_TCP_OPT_INVALID_LEN));
    CHECK(!p->tcp_opts.has_wscale);

    k = mk_udp(l4, 4, A4, B4, 1, 2, (const uint8_t *)"abcd", 4);
    n = ip4_with(b, 17, l4, 7);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_UDP_HLEN_TOO_SMALL);
    wr16(l4 + 4, 6);
    n = ip4_with(b, 17, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_UDP_LEN_INVALID);
    wr16(l4 + 4, 40);
    n = ip4_with(b, 17, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_UDP_PKT_TOO_SMALL);
    CHECK_EQ_U(g_p.dport, 2);
    wr16(l4 + 4, 10);
    n = ip4_with(b, 17, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_UDP_HLEN_INVALID);
    CHECK_EQ_U(g_p.payload_len, 2);

    (void)mk_icmp4(l4, 8, 0, 1, 1, NULL, 0);
    n = ip4_with(b, 1, l4, 7);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV4_PKT_TOO_SMALL);
    uint8_t q[40];
    memset(q, 0, sizeof(q));
    q[0] = 0x45;
    k = mk_icmp4(l4, 3, 1, 0, 0, q, 12);
    n = ip4_with(b, 1, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV4_IPV4_TRUNC_PKT);
    q[0] = 0x65;
    k = mk_icmp4(l4, 3, 1, 0, 0, q, 28);
    n = ip4_with(b, 1, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV4_IPV4_UNKNOWN_VER);
    k = mk_icmp4(l4, 99, 0, 0, 0, NULL, 0);
    n = ip4_with(b, 1, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV4_UNKNOWN_TYPE);
    k = mk_icmp4(l4, 11, 5, 0, 0, NULL, 0);
    n = ip4_with(b, 1, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV4_UNKNOWN_CODE);

    (void)mk_icmp6(l4, A6, B6, 128, 0, 1, 1, NULL, 0);
    n = ip6_with(b, 58, l4, 6);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_PKT_TOO_SMALL);
    memset(q, 0, sizeof(q));
    q[0] = 0x60;
    k = mk_icmp6(l4, A6, B6, 3, 0, 0, 0, q, 30);
    n = ip6_with(b, 58, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_IPV6_TRUNC_PKT);
    q[0] = 0x40;
    k = mk_icmp6(l4, A6, B6, 3, 0, 0, 0, q, 40);
    n = ip6_with(b, 58, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_IPV6_UNKNOWN_VERSION);
    k = mk_icmp6(l4, A6, B6, 50, 0, 0, 0, NULL, 0);
    n = ip6_with(b, 58, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_UNKNOWN_TYPE);
    k = mk_icmp6(l4, A6, B6, 129, 3, 0, 0, NULL, 0);
    n = ip6_with(b, 58, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_UNKNOWN_CODE);
    k = mk_icmp6(l4, A6, B6, 200, 0, 0, 0, NULL, 0);
    n = ip6_with(b, 58, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_EXPERIMENTATION_TYPE);
    memset(l4, 0, 8);
    n = ip4_with(b, 50, l4, 7);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ESP_PKT_TOO_SMALL);
}

static void test_anomalies_tunnels(void)
{
    uint8_t b[512], g[128];
    memset(g, 0, sizeof(g));
    size_t n = ip4_with(b, 47, g, 3);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_GRE_PKT_TOO_SMALL);
    static const struct {
        uint16_t flags, proto;
        size_t len;
        int anom;
    } cases[] = {
        {0x0002, 0x0800, 24, ANOM_GRE_WRONG_VERSION},
        {0x0100, 0x0800, 24, ANOM_GRE_VERSION0_RECUR},
        {0x0008, 0x0800, 24, ANOM_GRE_VERSION0_FLAGS},
        {0xb000, 0x0800, 8, ANOM_GRE_VERSION0_HDR_TOO_BIG},
        {0x4000, 0x0800, 12, ANOM_GRE_VERSION0_MALFORMED_SRE_HDR},
        {0xa001, 0x880b, 24, ANOM_GRE_VERSION1_CHKSUM},
        {0x6001, 0x880b, 24, ANOM_GRE_VERSION1_ROUTE},
        {0x2801, 0x880b, 24, ANOM_GRE_VERSION1_SSR},
        {0x2101, 0x880b, 24, ANOM_GRE_VERSION1_RECUR},
        {0x2009, 0x880b, 24, ANOM_GRE_VERSION1_FLAGS},
        {0x0001, 0x880b, 24, ANOM_GRE_VERSION1_NO_KEY},
        {0x2001, 0x0800, 24, ANOM_GRE_VERSION1_WRONG_PROTOCOL},
        {0x3081, 0x880b, 12, ANOM_GRE_VERSION1_HDR_TOO_BIG},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(g, 0, sizeof(g));
        wr16(g, cases[i].flags);
        wr16(g + 2, cases[i].proto);
        if (cases[i].anom == ANOM_GRE_VERSION0_MALFORMED_SRE_HDR) {
            wr16(g + 8, 0x0800); /* an SRE of family 0x0800 and length 200 in 4 bytes */
            g[11] = 200;
        }
        n = ip4_with(b, 47, g, cases[i].len);
        EXPECT_ANOM(VG_LINK_RAW, b, n, cases[i].anom);
    }
    /* ERSPAN II header too small and wrong version */
    uint8_t er[24] = {0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0, 0, 0};
    n = ip4_with(b, 47, er, 12);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ERSPAN_HEADER_TOO_SMALL);
    er[8] = 0x30;
    n = ip4_with(b, 47, er, 24);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ERSPAN_UNSUPPORTED_VERSION);

    /* VXLAN: short, and an inner EtherType it does not follow */
    uint8_t vx[32] = {0x08, 0, 0, 0, 0, 0, 1, 0};
    uint8_t u[64];
    size_t k = mk_udp(u, 4, A4, B4, 1, 4789, vx, 4);
    n = ip4_with(b, 17, u, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_VXLAN_PKT_TOO_SMALL);
    wr16(vx + 8 + 12, 0x1234);
    k = mk_udp(u, 4, A4, B4, 1, 4789, vx, 32);
    n = ip4_with(b, 17, u, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_VXLAN_UNKNOWN_PAYLOAD);
    /* GENEVE: short, and an unknown protocol */
    uint8_t gv[16] = {0x02, 0, 0x08, 0x00};
    k = mk_udp(u, 4, A4, B4, 1, 6081, gv, 12);
    n = ip4_with(b, 17, u, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_GENEVE_PKT_TOO_SMALL);
    gv[0] = 0;
    wr16(gv + 2, 0x1234);
    k = mk_udp(u, 4, A4, B4, 1, 6081, gv, 16);
    n = ip4_with(b, 17, u, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_GENEVE_UNKNOWN_PAYLOAD);
}

/* ARP (decode_arp.c) and Neighbor Discovery (decode_icmp.c): the decoded fields and every
 * malformation. */
static void test_arp_nd(void)
{
    uint8_t b[256], a[28] = {0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
                             2, 0, 0, 0, 0, 2, 10, 0, 0, 2};
    size_t n = mk_eth(b, 0x0806, a, 28);
    struct packet *p = dec(VG_LINK_ETHERNET, b, n);
    CHECK_EQ_U(p->lan.kind, VG_LAN_ARP);
    CHECK_EQ_U(p->lan.arp_op, 2);
    CHECK(p->lan.spa[3] == 1 && p->lan.tpa[3] == 2 && p->lan.sha[5] == 1 && p->lan.tha[5] == 2);
    CHECK_EQ_U(p->n_anom, 0);
    n = mk_eth(b, 0x0806, a, 27);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, n, ANOM_ARP_PKT_TOO_SMALL);
    n = mk_eth(b, 0x0806, a, 7);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, n, ANOM_ARP_PKT_TOO_SMALL);
    a[1] = 6;
    n = mk_eth(b, 0x0806, a, 28);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, n, ANOM_ARP_UNSUPPORTED_HARDWARE);
    a[1] = 1, a[2] = 0x86, a[3] = 0xdd;
    n = mk_eth(b, 0x0806, a, 28);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, n, ANOM_ARP_UNSUPPORTED_PROTOCOL);
    a[2] = 8, a[3] = 0, a[4] = 8;
    n = mk_eth(b, 0x0806, a, 28);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, n, ANOM_ARP_INVALID_HARDWARE_SIZE);
    a[4] = 6, a[5] = 16;
    n = mk_eth(b, 0x0806, a, 28);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, n, ANOM_ARP_INVALID_PROTOCOL_SIZE);
    a[5] = 4, a[7] = 3; /* RARP request */
    n = mk_eth(b, 0x0806, a, 28);
    EXPECT_ANOM(VG_LINK_ETHERNET, b, n, ANOM_ARP_UNSUPPORTED_OPCODE);

    /* NA: flags, target, target link-layer option; hop limit 255 */
    uint8_t l4[128], body[40];
    memset(body, 0, sizeof body);
    /* the 4 bytes after the ICMPv6 header go through mk_icmp6's id/seq: R|S|O = 0xe0 */
    memcpy(body, A6, 16);
    body[16] = 2, body[17] = 1, body[18] = 0x02, body[23] = 0x99;
    size_t k = mk_icmp6(l4, B6, A6, 136, 0, 0xe000, 0, body, 24);
    n = mk_ip6(b, B6, A6, 58, 255, l4, k);
    p = dec(VG_LINK_RAW, b, n);
    CHECK_EQ_U(p->lan.kind, VG_LAN_ND);
    CHECK_EQ_U(p->lan.nd_flags, 0xe0);
    CHECK(p->lan.has_lladdr && p->lan.sha[5] == 0x99 && p->lan.sha[0] == 0x02);
    CHECK(memcmp(p->lan.target, A6, 16) == 0);
    CHECK_EQ_U(p->n_anom, 0);
    /* the same NA with hop limit 64: flagged (RFC 4861 7.1.2), still decoded */
    n = mk_ip6(b, B6, A6, 58, 64, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_ND_INVALID_HL);
    CHECK_EQ_U(g_p.lan.kind, VG_LAN_ND);
    /* an NA too short for its target */
    k = mk_icmp6(l4, B6, A6, 136, 0, 0, 0, body, 4);
    n = mk_ip6(b, B6, A6, 58, 255, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_ND_PKT_TOO_SMALL);
    /* an RS whose option has length 0 */
    uint8_t rs[8] = {1, 0};
    k = mk_icmp6(l4, B6, A6, 133, 0, 0, 0, rs, 8);
    n = mk_ip6(b, B6, A6, 58, 255, l4, k);
    EXPECT_ANOM(VG_LINK_RAW, b, n, ANOM_ICMPV6_ND_OPT_INVALID_LEN);
    CHECK_EQ_U(g_p.lan.kind, VG_LAN_NONE);
}

/* Every anomaly of the table has a test above, except the ones listed here with the reason. */
static void test_anomaly_coverage(void)
{
    g_covered[ANOM_TCP_INVALID_OPTLEN] = 1; /* options > 40 bytes: impossible with a 4-bit offset */
    /* known=1 must mean Suricata's schema has the counter: spot-check the naming rule */
    for (int i = 0; i < VG_ANOMALY_COUNT; i++) {
        if (strcmp(vg_anomaly_type(i), "decode") != 0) continue; /* other modules' anomalies */
        if (!g_covered[i]) fprintf(stderr, "  anomaly without a test: %s\n", vg_anomaly_name(i));
        CHECK(g_covered[i]);
        CHECK(strncmp(vg_anomaly_name(i), "decoder.", 8) == 0);
    }
}

static void test_many_anomalies_listed_once(void)
{
    /* more anomalies than VG_PKT_MAX_ANOM: the list holds 8, all are counted */
    uint8_t o[40];
    for (int i = 0; i < 10; i++) {
        o[4 * i] = (uint8_t)(0x90 + i); /* ten unknown options... */
        o[4 * i + 1] = 4;
        o[4 * i + 2] = o[4 * i + 3] = 0;
    }
    uint8_t b[128], l4[8] = {0};
    size_t n = mk_ip4(b, A4, B4, 17, 1, 0, 64, o, 40, l4, 0);
    struct packet *p = dec(VG_LINK_RAW, b, n);
    CHECK(has_anom(p, ANOM_IPV4_OPT_UNKNOWN)); /* ...one event */
    CHECK(p->n_anom <= VG_PKT_MAX_ANOM);
}

/* --- truncation at every length ------------------------------------------------------------ */

struct sample {
    int link;
    uint8_t b[1600];
    size_t n;
};

static void test_truncation(void)
{
    static struct sample s[16];
    size_t ns = 0;
    uint8_t in[512];
    s[ns].link = VG_LINK_ETHERNET;
    s[ns].n = frame_tcp4(s[ns].b, 30);
    ns++;
    /* VLAN + IPv6 ext headers + UDP */
    {
        uint8_t ext[16] = {60, 0, 5, 2, 0, 0, 0, 0, 17, 0, 4, 1, 0, 1, 1, 0};
        size_t k = mk_udp(L, 6, A6, B6, 1, 2, (const uint8_t *)"abc", 3);
        memmove(L + 16, L, k);
        memcpy(L, ext, 16);
        k = mk_ip6(G, A6, B6, 0, 64, L, 16 + k);
        uint8_t tag[4] = {0, 9, 0x86, 0xdd};
        k = prepend(G, tag, 4, k);
        s[ns].link = VG_LINK_ETHERNET;
        s[ns].n = mk_eth(s[ns].b, 0x8100, G, k);
        ns++;
    }
    /* VXLAN */
    {
        size_t kin = inner_tcp4(in);
        size_t m = mk_eth(L + 8, 0x0800, in, kin);
        uint8_t vx[8] = {0x08, 0, 0, 0, 0, 0, 7, 0};
        memcpy(L, vx, 8);
        size_t k = mk_udp(G, 4, A4, B4, 1, 4789, L, 8 + m);
        k = mk_ip4(L, A4, B4, 17, 9, 0, 64, NULL, 0, G, k);
        s[ns].link = VG_LINK_ETHERNET;
        s[ns].n = mk_eth(s[ns].b, 0x0800, L, k);
        ns++;
    }
    /* GRE key + IPv6-in-IPv4 */
    {
        size_t k = inner_tcp4(in);
        uint8_t gre[8] = {0x20, 0, 0x08, 0x00, 0, 0, 0, 5};
        memcpy(L, gre, 8);
        memcpy(L + 8, in, k);
        k = mk_ip4(s[ns].b, A4, B4, 47, 1, 0, 64, NULL, 0, L, 8 + k);
        s[ns].link = VG_LINK_RAW;
        s[ns].n = k;
        ns++;
    }
    /* ICMP error with quote, over SLL */
    {
        uint8_t q[64];
        size_t qn = mk_udp(L, 4, D4, C4, 5353, 53, (const uint8_t *)"query", 5);
        (void)mk_ip4(q, D4, C4, 17, 0x99, 0, 1, NULL, 0, L, qn); /* 28 bytes quoted */
        size_t k = mk_icmp4(L, 3, 3, 0, 0, q, 28);
        k = mk_ip4(G, A4, B4, 1, 7, 0, 63, NULL, 0, L, k);
        uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
        k = prepend(G, sll, 16, k);
        s[ns].link = VG_LINK_SLL;
        memcpy(s[ns].b, G, k);
        s[ns].n = k;
        ns++;
    }
    /* PPPoE + MPLS-free IPv4 TCP, and MPLS + IPv4 */
    {
        size_t k = inner_tcp4(G);
        uint8_t h[8] = {0x11, 0, 0, 1, 0, 0, 0x00, 0x21};
        wr16(h + 4, (uint16_t)(k + 2));
        k = prepend(G, h, 8, k);
        s[ns].link = VG_LINK_ETHERNET;
        s[ns].n = mk_eth(s[ns].b, 0x8864, G, k);
        ns++;
        k = inner_tcp4(G);
        uint8_t lab[4];
        wr32(lab, 99u << 12 | 0x100 | 1);
        k = prepend(G, lab, 4, k);
        s[ns].link = VG_LINK_ETHERNET;
        s[ns].n = mk_eth(s[ns].b, 0x8847, G, k);
        ns++;
    }
    /* ICMPv6 error over NULL */
    {
        uint8_t q[64];
        size_t qn = mk_tcp(L, 6, B6, H6, 443, 55555, 1, 2, VG_TCP_ACK, NULL, 0, 0);
        (void)mk_ip6(q, B6, H6, 6, 3, L, qn); /* only the first 48 bytes are quoted */
        size_t k = mk_icmp6(L, A6, B6, 1, 4, 0, 0, q, 48);
        k = mk_ip6(G, A6, B6, 58, 64, L, k);
        uint8_t nl[4] = {30, 0, 0, 0};
        k = prepend(G, nl, 4, k);
        s[ns].link = VG_LINK_NULL;
        memcpy(s[ns].b, G, k);
        s[ns].n = k;
        ns++;
    }
    for (size_t i = 0; i < ns; i++) {
        /* the full frame is clean */
        struct packet *p = dec(s[i].link, s[i].b, s[i].n);
        CHECK_EQ_U(p->n_anom, 0);
        if (p->n_anom) fprintf(stderr, "  sample %zu: %s\n", i, vg_anomaly_name(p->anom[0]));
        CHECK(!(p->flags & (VG_PKT_INVALID | VG_PKT_TRUNCATED)));
        unsigned misses = 0;
        for (size_t len = 0; len < s[i].n; len++) {
            /* a copy of exactly len bytes, so that ASan sees any read beyond it */
            uint8_t *c = malloc(len ? len : 1);
            memcpy(c, s[i].b, len);
            p = dec(s[i].link, c, len);
            if (p->n_anom == 0) misses++;
            free(c);
        }
        if (misses)
            fprintf(stderr, "  sample %zu: %u truncated lengths without anomaly\n", i, misses);
        CHECK_EQ_U(misses, 0);
    }
}

int main(void)
{
    g_ctx = decode_ctx_new(NULL);
    if (!g_ctx) return 2;
    RUN(test_eth_ipv4_tcp);
    RUN(test_eth_padding_and_trunc);
    RUN(test_llc_arp);
    RUN(test_vlan);
    RUN(test_mpls);
    RUN(test_pppoe_ppp);
    RUN(test_sll);
    RUN(test_null_loop_raw);
    RUN(test_unsupported_linktype);
    RUN(test_ipv4_options_and_csum);
    RUN(test_l4_checksums);
    RUN(test_ipv6_exthdrs);
    RUN(test_gre);
    RUN(test_vxlan_geneve);
    RUN(test_ip_in_ip);
    RUN(test_icmp);
    RUN(test_defrag_ipv4);
    RUN(test_defrag_ipv4_nested_tunnel);
    RUN(test_defrag_ipv4_limits);
    RUN(test_defrag_ipv6);
    RUN(test_anomalies_link);
    RUN(test_anomalies_ipv4);
    RUN(test_anomalies_ipv6);
    RUN(test_anomalies_l4);
    RUN(test_anomalies_tunnels);
    RUN(test_many_anomalies_listed_once);
    RUN(test_truncation);
    RUN(test_arp_nd);
    RUN(test_anomaly_coverage);
    decode_ctx_free(g_ctx);
    decode_ctx_free(NULL);
    return vg_test_done("decode");
}
