/* fuzz_decode.c - libFuzzer harness for src/decode.
 *
 * Input: the first byte picks a link type from g_links (modulo its size), the rest is the frame.
 * One decode context lives across inputs, with small defragmentation limits, so that fragment
 * trackers, the memcap and the tracker cap are exercised by sequences of inputs; packet time
 * advances slowly and decode_expire() runs every 64 inputs.
 *
 * Besides ASan/UBSan, the harness checks the invariants the rest of vigil relies on: offsets and
 * the payload lie inside the bytes at p.data, the anomaly list is bounded, and a reassembled
 * packet's data is the context's buffer. A violation traps.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc src/core/\*.c \
 *       src/decode/\*.c tests/fuzz/fuzz_decode.c -o /tmp/fuzz_decode
 *   /tmp/fuzz_decode -max_total_time=180 tests/fuzz/seeds/decode
 * Seeds: tests/fuzz/make_decode_seeds.py (keep its link order in step with g_links).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/decode.h"

static const int g_links[] = {
    VG_LINK_ETHERNET, VG_LINK_NULL, VG_LINK_LOOP, VG_LINK_PPP, VG_LINK_RAW,  VG_LINK_RAW_OLD,
    VG_LINK_RAW_OLD2, VG_LINK_IPV4, VG_LINK_IPV6, VG_LINK_SLL, VG_LINK_SLL2,
};

static struct decode_ctx *g_ctx;
static uint64_t g_n;

#define REQUIRE(x)                                                                                 \
    do {                                                                                           \
        if (!(x)) __builtin_trap();                                                                \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ctx) {
        struct decode_config cfg = {
            .defrag_memcap = 64 * 1024, .defrag_max_trackers = 32, .defrag_timeout_s = 2};
        g_ctx = decode_ctx_new(&cfg);
        if (!g_ctx) return 0;
    }
    if (size < 1) return 0;
    struct packet p;
    memset(&p, 0, sizeof(p));
    p.data = data + 1;
    p.caplen = p.wirelen = (uint32_t)(size - 1);
    p.linktype = g_links[data[0] % (sizeof(g_links) / sizeof(g_links[0]))];
    p.ts.sec = (int64_t)(g_n / 32);
    p.pcap_cnt = ++g_n;
    (void)decode_packet(g_ctx, &p);

    REQUIRE(p.n_anom <= VG_PKT_MAX_ANOM);
    REQUIRE(p.l3_off <= p.caplen && p.l4_off <= p.caplen);
    REQUIRE(p.vlan_cnt <= VG_PKT_MAX_VLAN);
    if (p.flags & VG_PKT_REASSEMBLED) REQUIRE(p.frame == data + 1);
    if (p.payload) {
        REQUIRE(p.payload >= p.data && p.payload + p.payload_len <= p.data + p.caplen);
        if (p.payload_len) {
            /* touch both ends: ASan checks the pointer is live memory */
            volatile uint8_t x = p.payload[0];
            x ^= p.payload[p.payload_len - 1];
            (void)x;
        }
    }
    if (p.ip_ver) REQUIRE(p.src.family == p.ip_ver && p.dst.family == p.ip_ver);
    if ((g_n & 63) == 0) decode_expire(g_ctx, p.ts, 16);
    return 0;
}
