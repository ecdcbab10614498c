/* fuzz_tamper_lan.c - libFuzzer harness for the LAN spoofing detector (src/tamper/tamper_lan.c)
 * behind the ARP / ND decoders, with the EVE writer of its findings.
 *
 * Input: a sequence of frames, each a 1-byte time step (x 100 ms) and a 1-byte length followed
 * by that many bytes of an Ethernet frame. One context lives across inputs with tiny tables
 * (16 bindings, 16 MACs), so eviction, rebinding and the router cap are exercised by sequences.
 * Every finding is written as EVE JSON (eve_tamper_lan_alert without evidence).
 *   make build-fuzz && build-fuzz/fuzz_tamper_lan -max_total_time=60
 */
#include <stdint.h>
#include <string.h>

#include "decode/decode.h"
#include "output/eve_tamper_lan.h"
#include "output/json_writer.h"
#include "tamper/tamper.h"

static struct decode_ctx *g_dec;
static struct tamper_ctx *g_ctx;
static struct jw g_jw;
static int64_t g_us = 1700000000LL * 1000000;
static uint64_t g_cnt;

static void on_finding(const struct tamper_lan_finding *fd, void *ud)
{
    (void)ud;
    if (fd->confidence > 100) __builtin_trap();
    eve_tamper_lan_alert(&g_jw, fd, NULL);
    jw_reset(&g_jw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ctx) {
        struct decode_config dc;
        decode_config_default(&dc);
        g_dec = decode_ctx_new(&dc);
        struct tamper_config tc;
        tamper_config_default(&tc);
        tc.lan_max_bindings = 16;
        tc.lan_max_macs = 16;
        g_ctx = tamper_ctx_new_with(&tc);
        jw_init(&g_jw);
    }
    size_t off = 0;
    while (off + 2 <= size) {
        g_us += (int64_t)data[off] * 100000;
        size_t n = data[off + 1];
        off += 2;
        if (n > size - off) n = size - off;
        struct packet p;
        memset(&p, 0, sizeof p);
        p.data = data + off;
        p.caplen = p.wirelen = (uint32_t)n;
        p.ts.sec = g_us / 1000000;
        p.ts.nsec = (uint32_t)(g_us % 1000000) * 1000;
        p.pcap_cnt = ++g_cnt;
        p.linktype = 1;
        decode_packet(g_dec, &p);
        tamper_lan_packet(g_ctx, &p, on_finding, NULL);
        off += n;
    }
    const struct tamper_lan_counters *c = tamper_lan_counters(g_ctx);
    if (c->bindings > 16 || c->macs > 16 || c->routers > 16) __builtin_trap();
    return 0;
}
