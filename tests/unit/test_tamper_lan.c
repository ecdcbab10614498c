/* test_tamper_lan.c - the ARP / Neighbor Discovery decoders and the LAN spoofing detector
 * (tamper_lan.c): frames built byte by byte, decoded with decode_packet, judged with
 * tamper_lan_packet; findings collected through the callback and written with
 * eve_tamper_lan_alert. Includes the bounded-memory test: a flood of distinct addresses keeps the
 * binding table at its cap and counts the evictions. */
#include <stdlib.h>
#include <string.h>

#include "core/vg_anomaly.h"
#include "decode/decode.h"
#include "output/eve_tamper_lan.h"
#include "output/json_writer.h"
#include "tamper/tamper.h"
#include "vg_test.h"

#define MAXGOT 8
static struct {
    struct decode_ctx *dec;
    struct tamper_ctx *ctx;
    uint64_t cnt;
    int n_got;
    struct tamper_lan_finding got[MAXGOT];
    char json[MAXGOT][8192];
    uint8_t buf[256];
} X;

static void on_finding(const struct tamper_lan_finding *fd, void *ud)
{
    (void)ud;
    if (X.n_got >= MAXGOT) return;
    X.got[X.n_got] = *fd;
    struct jw w;
    jw_init(&w);
    eve_tamper_lan_alert(&w, fd, NULL);
    size_t n = w.len < sizeof X.json[0] - 1 ? w.len : sizeof X.json[0] - 1;
    memcpy(X.json[X.n_got], w.buf, n);
    X.json[X.n_got][n] = 0;
    jw_fini(&w);
    X.n_got++;
}

static void setup(uint32_t max_bindings)
{
    struct decode_config dc;
    decode_config_default(&dc);
    X.dec = decode_ctx_new(&dc);
    struct tamper_config tc;
    tamper_config_default(&tc);
    if (max_bindings) tc.lan_max_bindings = max_bindings;
    X.ctx = tamper_ctx_new_with(&tc);
    X.cnt = 0;
    X.n_got = 0;
}

static void teardown(void)
{
    tamper_ctx_free(X.ctx);
    decode_ctx_free(X.dec);
}

static void mac_set(uint8_t *d, uint32_t v)
{
    d[0] = 0x02;
    d[1] = 0;
    d[2] = (uint8_t)(v >> 24);
    d[3] = (uint8_t)(v >> 16);
    d[4] = (uint8_t)(v >> 8);
    d[5] = (uint8_t)v;
}

/* Feeds one frame of n bytes at time t (seconds); returns the decoded packet. */
static struct packet feed(const uint8_t *b, uint32_t n, double t)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.data = b;
    p.caplen = p.wirelen = n;
    p.ts.sec = 1700000000 + (int64_t)t;
    p.ts.nsec = (uint32_t)((t - (int64_t)t) * 1e9);
    p.pcap_cnt = ++X.cnt;
    p.linktype = VG_LINK_ETHERNET;
    decode_packet(X.dec, &p);
    tamper_lan_packet(X.ctx, &p, on_finding, NULL);
    return p;
}

/* ARP: eth src = sha; dst broadcast when dst_mac is 0. */
static struct packet arp(double t, uint16_t op, uint32_t sha, uint32_t spa, uint32_t tha,
                         uint32_t tpa)
{
    uint8_t *b = X.buf;
    memset(b, 0, 60);
    if (tha)
        mac_set(b, tha);
    else
        memset(b, 0xff, 6);
    mac_set(b + 6, sha);
    b[12] = 0x08, b[13] = 0x06;
    uint8_t h[8] = {0, 1, 8, 0, 6, 4, 0, (uint8_t)op};
    memcpy(b + 14, h, 8);
    mac_set(b + 22, sha);
    b[28] = 10, b[29] = 0, b[30] = (uint8_t)(spa >> 8), b[31] = (uint8_t)spa;
    if (tha) mac_set(b + 32, tha);
    b[38] = 10, b[39] = 0, b[40] = (uint8_t)(tpa >> 8), b[41] = (uint8_t)tpa;
    return feed(b, 60, t);
}

/* An IPv4 frame from MAC `mac` with source 10.0.x.y or an outside address (a router forwards). */
static void ipv4(double t, uint32_t mac, uint32_t src_ip)
{
    uint8_t *b = X.buf;
    memset(b, 0, 60);
    mac_set(b, 0xeeee);
    mac_set(b + 6, mac);
    b[12] = 0x08, b[13] = 0x00;
    uint8_t ip[20] = {0x45, 0, 0, 20, 0, 1, 0, 0, 64, 253, 0, 0, 0, 0, 0, 0, 10, 0, 0, 9};
    ip[12] = (uint8_t)(src_ip >> 24), ip[13] = (uint8_t)(src_ip >> 16);
    ip[14] = (uint8_t)(src_ip >> 8), ip[15] = (uint8_t)src_ip;
    memcpy(b + 14, ip, 20);
    feed(b, 60, t);
}

static void test_arp_decode(void)
{
    setup(0);
    struct packet p = arp(0, 2, 0x11, 0x0105, 0x22, 0x0109);
    CHECK_EQ_U(p.lan.kind, VG_LAN_ARP);
    CHECK_EQ_U(p.lan.arp_op, 2);
    CHECK_EQ_U(p.lan.spa[3], 5);
    CHECK_EQ_U(p.lan.tpa[3], 9);
    CHECK_EQ_U(p.lan.sha[5], 0x11);
    CHECK_EQ_U(p.lan.tha[5], 0x22);
    CHECK_EQ_U(p.n_anom, 0);
    /* malformed: truncated, wrong sizes, unknown opcode */
    uint8_t b[60];
    memcpy(b, X.buf, 60);
    struct packet q;
    memset(&q, 0, sizeof q);
    q.data = b, q.caplen = q.wirelen = 14 + 10, q.linktype = VG_LINK_ETHERNET;
    decode_packet(X.dec, &q);
    CHECK_EQ_U(q.lan.kind, VG_LAN_NONE);
    CHECK(q.n_anom == 1 && q.anom[0] == ANOM_ARP_PKT_TOO_SMALL);
    b[18] = 8; /* hlen */
    q.caplen = q.wirelen = 60;
    decode_packet(X.dec, &q);
    CHECK(q.n_anom == 1 && q.anom[0] == ANOM_ARP_INVALID_HARDWARE_SIZE);
    b[18] = 6;
    b[21] = 9; /* opcode 9 */
    decode_packet(X.dec, &q);
    CHECK(q.n_anom == 1 && q.anom[0] == ANOM_ARP_UNSUPPORTED_OPCODE);
    b[21] = 1;
    b[15] = 6; /* htype 6 (IEEE 802) */
    decode_packet(X.dec, &q);
    CHECK(q.n_anom == 1 && q.anom[0] == ANOM_ARP_UNSUPPORTED_HARDWARE);
    teardown();
}

/* An IPv6 ND frame: type, body (after the 4-byte ICMPv6 header), hop limit. */
static struct packet nd(double t, uint32_t src_mac, const uint8_t *src6, uint8_t type,
                        const uint8_t *body, uint32_t blen, uint8_t hlim)
{
    uint8_t *b = X.buf;
    memset(b, 0, sizeof X.buf);
    b[0] = 0x33, b[1] = 0x33, b[5] = 1;
    mac_set(b + 6, src_mac);
    b[12] = 0x86, b[13] = 0xdd;
    uint8_t *ip = b + 14;
    ip[0] = 0x60;
    uint32_t plen = 4 + blen;
    ip[4] = (uint8_t)(plen >> 8), ip[5] = (uint8_t)plen, ip[6] = 58, ip[7] = hlim;
    memcpy(ip + 8, src6, 16);
    ip[24] = 0xff, ip[25] = 0x02, ip[39] = 1;
    uint8_t *icmp = ip + 40;
    icmp[0] = type;
    memcpy(icmp + 4, body, blen);
    return feed(b, 14 + 40 + plen, t);
}

static const uint8_t LL_R[16] = {0xfe, 0x80, [15] = 1};
static const uint8_t LL_A[16] = {0xfe, 0x80, [15] = 0x66};

static uint32_t ra_body(uint8_t *body, uint16_t lifetime, uint32_t mac, uint8_t pfx_byte)
{
    memset(body, 0, 64);
    body[0] = 64, body[1] = 0, body[2] = (uint8_t)(lifetime >> 8), body[3] = (uint8_t)lifetime;
    uint8_t *o = body + 12;
    o[0] = 1, o[1] = 1;
    mac_set(o + 2, mac);
    o += 8;
    o[0] = 3, o[1] = 4, o[2] = 64, o[3] = 0xc0;
    o[4] = 0, o[5] = 1, o[6] = 0x51, o[7] = 0x80; /* valid 86400 */
    o[11] = 100;
    o[16] = 0x20, o[17] = 0x01, o[18] = 0x0d, o[19] = 0xb8, o[20] = pfx_byte;
    return 12 + 8 + 32;
}

static void test_nd_decode(void)
{
    setup(0);
    uint8_t body[64];
    uint32_t n = ra_body(body, 1800, 0x77, 5);
    struct packet p = nd(0, 0x77, LL_R, 134, body, n, 255);
    CHECK_EQ_U(p.lan.kind, VG_LAN_ND);
    CHECK_EQ_U(p.lan.ra_lifetime, 1800);
    CHECK(p.lan.has_lladdr && p.lan.sha[5] == 0x77);
    CHECK_EQ_U(p.lan.n_prefix, 1);
    CHECK_EQ_U(p.lan.prefix_len, 64);
    CHECK_EQ_U(p.lan.prefix_valid, 86400);
    CHECK_EQ_U(p.lan.prefix[4], 5);
    CHECK_EQ_U(p.n_anom, 0);
    /* a zero-length option invalidates the message (RFC 4861 4.6) */
    body[13] = 0;
    p = nd(1, 0x77, LL_R, 134, body, n, 255);
    CHECK_EQ_U(p.lan.kind, VG_LAN_NONE);
    CHECK(p.n_anom >= 1 && p.anom[p.n_anom - 1] == ANOM_ICMPV6_ND_OPT_INVALID_LEN);
    /* hop limit != 255: flagged, still decoded */
    n = ra_body(body, 1800, 0x77, 5);
    p = nd(2, 0x77, LL_R, 134, body, n, 64);
    CHECK_EQ_U(p.lan.kind, VG_LAN_ND);
    CHECK(p.n_anom == 1 && p.anom[0] == ANOM_ICMPV6_ND_INVALID_HL);
    /* an NA too short for its target */
    p = nd(3, 0x77, LL_R, 136, body, 8, 255);
    CHECK(p.n_anom == 1 && p.anom[0] == ANOM_ICMPV6_ND_PKT_TOO_SMALL);
    teardown();
}

/* arpspoof: the gateway (10.0.0.1, MAC 0x01) forwards traffic; an attacker (0x66) repeats
 * unsolicited replies to the victim (10.0.0.9, 0x09). */
static void test_arp_gateway_poisoning(void)
{
    setup(0);
    arp(0.0, 1, 0x09, 0x0009, 0, 0x0001);
    arp(0.001, 2, 0x01, 0x0001, 0x09, 0x0009);
    for (int i = 0; i < 5; i++)
        ipv4(0.5 + i * 0.1, 0x01, 0x5db80000u + (uint32_t)i);
    double t = 5;
    for (int i = 0; i < 6; i++, t += 2) {
        arp(t, 2, 0x66, 0x0001, 0x09, 0x0009);
        ipv4(t + 0.5, 0x01, 0x5db80010u);
    }
    CHECK_EQ_U(X.n_got, 1);
    const struct tamper_lan_finding *fd = &X.got[0];
    CHECK_EQ_U(fd->sig, TAMPER_SIG_ARP_MAC_CHANGE);
    CHECK(fd->confidence >= TAMPER_LAN_FLOOR);
    CHECK(fd->gateway);
    CHECK_EQ_U(fd->old_mac[5], 0x01);
    CHECK_EQ_U(fd->new_mac[5], 0x66);
    CHECK_EQ_U(fd->c[0].pcap_cnt, 2); /* the gateway's reply established the binding */
    CHECK(fd->c[1].unsolicited);
    CHECK(strstr(X.json[0], "\"class\":\"arp_spoof\"") != NULL);
    CHECK(strstr(X.json[0], "\"subtype\":\"mac_change\"") != NULL);
    CHECK(strstr(X.json[0], "\"arp\":{\"hw_type\":\"ethernet\"") != NULL);
    CHECK(strstr(X.json[0], "\"old_mac\":\"02:00:00:00:00:01\"") != NULL);
    CHECK(strstr(X.json[0], "\"signature_id\":8800040") != NULL);
    teardown();
}

/* A NIC replaced: the old MAC goes silent, the new one announces itself: a rebind, no finding.
 * A VRRP failover between virtual and physical MAC: no finding. */
static void test_arp_benign(void)
{
    setup(0);
    arp(0, 1, 0x20, 0x0020, 0, 0x0001);
    ipv4(1, 0x20, 0x0a000020);
    for (int k = 0; k < 3; k++)
        arp(100 + k, 1, 0x21, 0x0020, 0, 0x0020);
    CHECK_EQ_U(X.n_got, 0);
    CHECK_EQ_U(tamper_counters(X.ctx)->lan.rebinds, 1);
    /* keepalived-like: 5 gratuitous from the backup while the master lives, then silence */
    arp(200, 1, 0x30, 0x00fe, 0, 0x0001);
    for (int k = 0; k < 5; k++)
        arp(201 + k * 0.01, 2, 0x31, 0x00fe, 0, 0x00fe);
    ipv4(210, 0x30, 0x0a0000fe);
    arp(211, 1, 0x40, 0x0040, 0, 0x00fe);
    CHECK_EQ_U(X.n_got, 0);
    CHECK(tamper_counters(X.ctx)->lan.below_threshold >= 1);
    teardown();
}

/* The attacker claims the gateway to the victim, then asks who has it under its own address; the
 * same question two minutes later from a host whose lease moved stays silent. */
static void test_arp_impersonation(void)
{
    setup(0);
    arp(1, 2, 0x66, 0x0001, 0x09, 0x0009); /* unsolicited: 10.0.0.1 is at 0x66 */
    arp(3, 2, 0x66, 0x0001, 0x09, 0x0009);
    arp(5, 1, 0x66, 0x0077, 0, 0x0001); /* who has 10.0.0.1, tell 10.0.0.119 */
    CHECK_EQ_U(X.n_got, 1);
    CHECK_EQ_U(X.got[0].sig, TAMPER_SIG_ARP_IMPERSONATION);
    CHECK_EQ_U(X.got[0].unsolicited, 2);
    CHECK_EQ_U(X.got[0].c[0].pcap_cnt, 1);
    CHECK_EQ_U(X.got[0].c[1].pcap_cnt, 3);
    CHECK(strstr(X.json[0], "\"subtype\":\"impersonation\"") != NULL);
    CHECK(strstr(X.json[0], "\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.9\"") != NULL);
    arp(6, 1, 0x66, 0x0077, 0, 0x0001); /* asked again: a repeat, not a second finding */
    CHECK_EQ_U(X.n_got, 1);
    /* a lease that moved: 0x55 had 10.0.0.80, asks for it as 10.0.0.81 five minutes later */
    arp(10, 1, 0x55, 0x0050, 0, 0x0001);
    arp(310, 1, 0x55, 0x0051, 0, 0x0050);
    CHECK_EQ_U(X.n_got, 1);
    teardown();
}

static void test_arp_storm(void)
{
    setup(0);
    for (int i = 0; i < 30; i++)
        arp(1 + i * 0.1, 2, 0x66, (uint32_t)(0x0100 + i), 0, (uint32_t)(0x0100 + i));
    CHECK_EQ_U(X.n_got, 1);
    CHECK_EQ_U(X.got[0].sig, TAMPER_SIG_ARP_STORM);
    CHECK_EQ_U(X.got[0].rate, 20);
    teardown();
}

/* A rogue RA with a new prefix after an established router; an RA from the router's link-local
 * with another MAC and lifetime 0. */
static void test_nd_rogue_and_spoof(void)
{
    setup(0);
    uint8_t body[64];
    uint32_t n = ra_body(body, 1800, 0x01, 5);
    nd(0, 0x01, LL_R, 134, body, n, 255);
    nd(10, 0x01, LL_R, 134, body, n, 255);
    nd(40, 0x01, LL_R, 134, body, n, 255);
    CHECK_EQ_U(X.n_got, 0);
    n = ra_body(body, 9000, 0x66, 9);
    nd(45, 0x66, LL_A, 134, body, n, 255);
    CHECK_EQ_U(X.n_got, 1);
    CHECK_EQ_U(X.got[0].sig, TAMPER_SIG_ND_ROGUE_RA);
    CHECK(X.got[0].prefix_new);
    n = ra_body(body, 0, 0x67, 5);
    nd(50, 0x67, LL_R, 134, body, n, 255);
    CHECK_EQ_U(X.n_got, 2);
    CHECK_EQ_U(X.got[1].sig, TAMPER_SIG_ND_RA_SPOOF);
    CHECK_EQ_U(X.got[1].new_lifetime, 0);
    CHECK_EQ_U(X.got[1].old_lifetime, 1800);
    CHECK(strstr(X.json[1], "\"class\":\"nd_spoof\"") != NULL);
    CHECK(strstr(X.json[1], "\"icmp_type\":134") != NULL);
    teardown();
}

/* A flood of distinct addresses: the binding table stays at its cap and counts evictions. */
static void test_flood_bounded(void)
{
    setup(256);
    for (uint32_t i = 0; i < 20000; i++) {
        uint8_t *b = X.buf;
        memset(b, 0, 60);
        memset(b, 0xff, 6);
        mac_set(b + 6, 0x1000 + (i & 0xff));
        b[12] = 0x08, b[13] = 0x06;
        uint8_t h[8] = {0, 1, 8, 0, 6, 4, 0, 1};
        memcpy(b + 14, h, 8);
        mac_set(b + 22, 0x1000 + (i & 0xff));
        b[28] = 10, b[29] = (uint8_t)(i >> 16), b[30] = (uint8_t)(i >> 8), b[31] = (uint8_t)i;
        b[38] = 10, b[41] = 1;
        feed(b, 60, 1 + i * 0.0001);
    }
    const struct tamper_lan_counters *c = &tamper_counters(X.ctx)->lan;
    CHECK(c->bindings <= 256);
    CHECK_EQ_U(c->bind_cap, 256);
    CHECK(c->bind_evictions >= 20000 - 256);
    CHECK(c->macs <= 4096);
    teardown();
}

int main(void)
{
    RUN(test_arp_decode);
    RUN(test_nd_decode);
    RUN(test_arp_gateway_poisoning);
    RUN(test_arp_benign);
    RUN(test_arp_impersonation);
    RUN(test_arp_storm);
    RUN(test_nd_rogue_and_spoof);
    RUN(test_flood_bounded);
    return vg_test_done("test_tamper_lan");
}
