/* test_evidence.c - unit tests of src/output/evidence_pcap.c: the pcap file is written byte for
 * byte (header, records, frames longer than one slot), packet numbers within the file, the first-N
 * + ring-of-M window with its wrap, pinned trigger packets, adoption from the look-back ring, the
 * memcap (drops counted, never more memory than the cap), and the JSON the alert carries. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vg_status.h"
#include "output/evidence_pcap.h"
#include "output/json_writer.h"
#include "vg_test.h"

static char g_dir[64];

static void make_flow(struct flow *f, uint64_t id)
{
    memset(f, 0, sizeof *f);
    f->flow_id = id;
    f->proto = 6;
    f->start.sec = 1429582740;
}

/* A packet whose frame is `len` bytes of a pattern seeded by n. */
static uint8_t g_frames[64][5000];
static void make_pkt(struct packet *p, uint64_t n, uint32_t len)
{
    memset(p, 0, sizeof *p);
    uint8_t *b = g_frames[n % 64];
    for (uint32_t i = 0; i < len; i++)
        b[i] = (uint8_t)(n * 31 + i * 7);
    p->data = p->frame = b;
    p->caplen = p->frame_len = len;
    p->wirelen = len + 4; /* as if the capture cut 4 bytes */
    p->ts.sec = 1429582740 + (int64_t)n;
    p->ts.nsec = (uint32_t)(n * 1000 + 7);
    p->pcap_cnt = n;
    p->linktype = 1;
    p->ttl = (uint8_t)(60 + n);
    p->ip_id = (uint16_t)(100 + n);
    p->tcp_win = 512;
    p->proto = 6;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long l = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)l + 1);
    *n = fread(b, 1, (size_t)l, fp);
    fclose(fp);
    return b;
}

static uint32_t rd32(const unsigned char *b)
{
    uint32_t v;
    memcpy(&v, b, 4);
    return v;
}

/* Checks the file of flow id: its records are exactly the packets numbered want[0..n). */
static void check_file(uint64_t id, const uint64_t *want, unsigned n, const uint32_t *lens)
{
    char path[256];
    snprintf(path, sizeof path, "%s/evidence/%llu.pcap", g_dir, (unsigned long long)id);
    size_t len = 0;
    unsigned char *b = slurp(path, &len);
    CHECK(b != NULL);
    if (!b) return;
    CHECK(len >= 24);
    CHECK_EQ_U(rd32(b), 0xa1b23c4du);
    CHECK_EQ_U(b[4] | b[5] << 8, 2);
    CHECK_EQ_U(b[6] | b[7] << 8, 4);
    CHECK_EQ_U(rd32(b + 16), 262144);
    CHECK_EQ_U(rd32(b + 20), 1);
    size_t off = 24;
    for (unsigned i = 0; i < n; i++) {
        CHECK(off + 16 <= len);
        if (off + 16 > len) break;
        uint64_t k = want[i];
        CHECK_EQ_U(rd32(b + off), 1429582740u + k);
        CHECK_EQ_U(rd32(b + off + 4), k * 1000 + 7);
        uint32_t cl = rd32(b + off + 8);
        CHECK_EQ_U(cl, lens[i]);
        CHECK_EQ_U(rd32(b + off + 12), lens[i] + 4);
        off += 16;
        CHECK(off + cl <= len);
        if (off + cl > len) break;
        bool same = true;
        for (uint32_t j = 0; j < cl; j++)
            if (b[off + j] != (uint8_t)(k * 31 + j * 7)) same = false;
        CHECK(same);
        off += cl;
    }
    CHECK_EQ_U(off, len); /* nothing else in the file */
    free(b);
}

static struct evidence_ctx *new_ctx(uint32_t first, uint32_t last, uint32_t pin, uint32_t lookback,
                                    size_t memcap)
{
    struct evidence_config c;
    evidence_config_default(&c);
    c.dir = g_dir;
    c.first_n = first;
    c.last_m = last;
    c.pin_max = pin;
    c.lookback = lookback;
    c.memcap = memcap;
    c.max_flows = 8;
    char err[256];
    struct evidence_ctx *ev = evidence_ctx_new(&c, err, sizeof err);
    if (!ev) fprintf(stderr, "evidence_ctx_new: %s\n", err);
    return ev;
}

static void test_bytes_exact(void)
{
    struct evidence_ctx *ev = new_ctx(32, 64, 16, 64, 1 << 20);
    CHECK(ev != NULL);
    if (!ev) return;
    struct flow f;
    make_flow(&f, 1001);
    /* lengths around the 2 KiB slot size, one that needs three slots, and an empty frame */
    uint32_t lens[] = {60, 2047, 2048, 2049, 4500, 0, 1514};
    uint64_t want[7];
    struct packet p;
    for (unsigned i = 0; i < 7; i++) {
        make_pkt(&p, i + 1, lens[i]);
        evidence_packet(ev, &f, (int)(i & 1), &p, i == 0);
        want[i] = i + 1;
    }
    CHECK_EQ_U(evidence_flow_write(ev, &f), VG_OK);
    CHECK_EQ_U(evidence_flow_write(ev, &f), VG_OK); /* once: the same answer */
    check_file(1001, want, 7, lens);
    CHECK_EQ_U(evidence_packet_number(ev, &f, 5), 5);
    CHECK_EQ_U(evidence_packet_number(ev, &f, 99), 0);
    /* the JSON the alert carries */
    struct jw w;
    jw_init(&w);
    jw_obj_open(&w, NULL);
    uint64_t cnt[2] = {2, 77};
    evidence_put_json(ev, &f, &w, cnt, 2);
    jw_obj_close(&w);
    w.buf[w.len] = '\0';
    CHECK_STR(w.buf, "{\"evidence\":{\"pcap\":\"evidence/1001.pcap\",\"packets\":[2,null],"
                     "\"packets_in_file\":7,\"flow_packets\":0}}");
    jw_reset(&w);
    jw_obj_open(&w, NULL);
    evidence_put_series(ev, &f, &w, 1);
    jw_obj_close(&w);
    w.buf[w.len] = '\0';
    CHECK_STR(w.buf,
              "{\"series\":{\"direction\":\"to_client\",\"pcap_cnt\":[2,4,6],"
              "\"t_us\":[2000002,4000004,6000006],\"ttl\":[62,64,66],\"ip_id\":[102,104,106],"
              "\"window\":[512,512,512],\"len\":[0,0,0]}}");
    jw_fini(&w);
    evidence_flow_end(ev, &f);
    CHECK_EQ_U(evidence_counters(ev)->memuse, 0); /* every slot back */
    CHECK_EQ_U(evidence_counters(ev)->files_written, 1);
    evidence_ctx_free(ev);
}

static void test_ring_wrap(void)
{
    struct evidence_ctx *ev = new_ctx(2, 3, 0, 16, 1 << 20);
    CHECK(ev != NULL);
    if (!ev) return;
    struct flow f;
    make_flow(&f, 1002);
    struct packet p;
    for (uint64_t n = 1; n <= 10; n++) {
        make_pkt(&p, n, 100);
        evidence_packet(ev, &f, 0, &p, n == 1);
    }
    CHECK_EQ_U(evidence_flow_write(ev, &f), VG_OK);
    uint64_t want[] = {1, 2, 8, 9, 10};
    uint32_t lens[] = {100, 100, 100, 100, 100};
    check_file(1002, want, 5, lens);
    CHECK_EQ_U(evidence_packet_number(ev, &f, 9), 4);
    CHECK_EQ_U(evidence_packet_number(ev, &f, 5), 0);
    CHECK_EQ_U(evidence_counters(ev)->ring_evictions, 5);
    evidence_flow_end(ev, &f);
    CHECK_EQ_U(evidence_counters(ev)->memuse, 0);
    evidence_ctx_free(ev);
}

static void test_pin_and_lookback(void)
{
    /* packets 1-4 go to the look-back ring (no trigger); 5 triggers: 1-4 are adopted, 5 is pinned
     * with the same-direction packets before it; 6-12 push the ring; pins survive */
    struct evidence_ctx *ev = new_ctx(1, 2, 8, 16, 1 << 20);
    CHECK(ev != NULL);
    if (!ev) return;
    struct flow f, g;
    make_flow(&f, 1003);
    make_flow(&g, 1004);
    struct packet p;
    for (uint64_t n = 1; n <= 12; n++) {
        make_pkt(&p, n, 80);
        evidence_packet(ev, n == 3 ? &g : &f, n == 4 ? 1 : 0, &p, n == 5);
    }
    CHECK_EQ_U(evidence_flow_write(ev, &f), VG_OK);
    /* first: 1; pinned with 5: 2 (same direction; 4 is the other direction, evicted); ring: 11 12
     */
    uint64_t want[] = {1, 2, 5, 11, 12};
    uint32_t lens[] = {80, 80, 80, 80, 80};
    check_file(1003, want, 5, lens);
    /* g was never triggered: its packet 3 is still in the look-back ring, adopted at write */
    CHECK_EQ_U(evidence_flow_write(ev, &g), VG_OK);
    uint64_t wg[] = {3};
    check_file(1004, wg, 1, lens);
    evidence_flow_end(ev, &f);
    evidence_flow_end(ev, &g);
    /* a flow with nothing kept declines */
    struct flow h;
    make_flow(&h, 1005);
    CHECK_EQ_U(evidence_flow_write(ev, &h), VG_DECLINED);
    evidence_flow_end(ev, &h);
    evidence_ctx_free(ev);
}

static void test_memcap(void)
{
    /* 128 KiB of slots (the minimum: 64 slots); 1500-byte frames take one slot each */
    struct evidence_ctx *ev = new_ctx(32, 64, 16, 32, 64 * 2048);
    CHECK(ev != NULL);
    if (!ev) return;
    struct flow f[3];
    struct packet p;
    for (int k = 0; k < 3; k++)
        make_flow(&f[k], 2000 + (uint64_t)k);
    for (uint64_t n = 1; n <= 300; n++) {
        make_pkt(&p, n, 1500);
        evidence_packet(ev, &f[n % 3], 0, &p, n <= 3);
        CHECK(evidence_counters(ev)->memuse <= 64 * 2048);
    }
    const struct evidence_counters *c = evidence_counters(ev);
    CHECK(c->memcap_drops > 0);
    CHECK(c->memuse_max <= 64 * 2048);
    CHECK_EQ_U(c->flows_recorded, 3);
    CHECK_EQ_U(evidence_flow_write(ev, &f[0]), VG_OK);
    /* the file holds whole packets only: what it has is a valid pcap */
    char path[256];
    snprintf(path, sizeof path, "%s/evidence/2000.pcap", g_dir);
    size_t len = 0;
    unsigned char *b = slurp(path, &len);
    CHECK(b && len > 24 && (len - 24) % (16 + 1500) == 0);
    free(b);
    for (int k = 0; k < 3; k++)
        evidence_flow_end(ev, &f[k]);
    evidence_ctx_free(ev);
}

static void test_pool_exhausted(void)
{
    struct evidence_ctx *ev = new_ctx(4, 4, 0, 4, 1 << 20); /* max_flows 8 */
    struct flow f[10];
    struct packet p;
    for (int k = 0; k < 10; k++) {
        make_flow(&f[k], 3000 + (uint64_t)k);
        make_pkt(&p, (uint64_t)k + 1, 64);
        evidence_packet(ev, &f[k], 0, &p, true);
    }
    CHECK_EQ_U(evidence_counters(ev)->flows_recorded, 8);
    CHECK_EQ_U(evidence_counters(ev)->flow_pool_exhausted, 2);
    for (int k = 0; k < 10; k++)
        evidence_flow_end(ev, &f[k]);
    /* records are reusable after their flows ended */
    make_pkt(&p, 50, 64);
    evidence_packet(ev, &f[9], 0, &p, true);
    CHECK_EQ_U(evidence_counters(ev)->flows_recorded, 9);
    evidence_flow_end(ev, &f[9]);
    /* what is left: flow 8's packet, still in the look-back ring (one slot) */
    CHECK_EQ_U(evidence_counters(ev)->memuse, 2048);
    evidence_ctx_free(ev);
}

static void test_mark(void)
{
    /* a rule alert on packet 3 marks the flow: its file is written when the flow ends */
    struct evidence_ctx *ev = new_ctx(8, 8, 4, 16, 1 << 20);
    struct flow f;
    make_flow(&f, 1006);
    struct packet p;
    for (uint64_t n = 1; n <= 5; n++) {
        make_pkt(&p, n, 90);
        if (n == 3) evidence_mark(ev, &f);
        evidence_packet(ev, &f, 0, &p, false);
    }
    evidence_flow_end(ev, &f);
    uint64_t want[] = {1, 2, 3, 4, 5};
    uint32_t lens[] = {90, 90, 90, 90, 90};
    check_file(1006, want, 5, lens);
    CHECK_EQ_U(evidence_counters(ev)->memuse, 0);
    evidence_ctx_free(ev);
}

/* A mid-flow alert (rule or indicator) on packet 4: the file is written up to it and the alert's
 * packet number is final; the ring then wraps (packets 5-7 pushed out before the flow ends) and the
 * rest is appended at flow end without renumbering what was written. */
static void test_flush_mid_flow(void)
{
    struct evidence_ctx *ev = new_ctx(2, 3, 4, 16, 1 << 20);
    CHECK(ev != NULL);
    if (!ev) return;
    struct flow f;
    make_flow(&f, 1007);
    struct packet p;
    for (uint64_t n = 1; n <= 4; n++) {
        make_pkt(&p, n, 80 + (uint32_t)n);
        evidence_packet(ev, &f, 0, &p, n == 4);
    }
    CHECK_EQ_U(evidence_flow_flush(ev, &f), VG_OK);
    CHECK_EQ_U(evidence_packet_number(ev, &f, 4), 4);
    uint64_t want1[] = {1, 2, 3, 4};
    uint32_t lens1[] = {81, 82, 83, 84};
    check_file(1007, want1, 4, lens1);
    struct jw w;
    jw_init(&w);
    jw_obj_open(&w, NULL);
    jw_str(&w, "event_type", "alert");
    jw_obj_close(&w);
    CHECK(jw_reopen(&w));
    uint64_t cnt = 4;
    evidence_put_json(ev, &f, &w, &cnt, 1);
    jw_obj_close(&w);
    w.buf[w.len] = '\0';
    CHECK_STR(w.buf, "{\"event_type\":\"alert\",\"evidence\":{\"pcap\":\"evidence/1007.pcap\","
                     "\"packets\":[4],\"packets_in_file\":4,\"flow_packets\":0}}");
    jw_fini(&w);
    CHECK_EQ_U(evidence_counters(ev)->memuse, 0); /* written packets are released */
    for (uint64_t n = 5; n <= 10; n++) {
        make_pkt(&p, n, 80 + (uint32_t)n);
        evidence_packet(ev, &f, 0, &p, false);
    }
    evidence_flow_end(ev, &f); /* marked by the flush: the rest is appended */
    uint64_t want2[] = {1, 2, 3, 4, 8, 9, 10};
    uint32_t lens2[] = {81, 82, 83, 84, 88, 89, 90};
    check_file(1007, want2, 7, lens2);
    CHECK_EQ_U(evidence_counters(ev)->files_written, 1);
    CHECK_EQ_U(evidence_counters(ev)->memuse, 0);
    evidence_ctx_free(ev);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/vigil-test-evidence-XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_bytes_exact);
    RUN(test_ring_wrap);
    RUN(test_pin_and_lookback);
    RUN(test_memcap);
    RUN(test_pool_exhausted);
    RUN(test_mark);
    RUN(test_flush_mid_flow);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return vg_test_done("evidence");
}
