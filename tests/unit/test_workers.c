/* test_workers.c - the pieces of --workers N: frame dispatch (symmetric, fragments, link layers,
 * tunnels, bounds) and the EVE sink under concurrent writers (whole lines, rotation). */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vg_status.h"
#include "engine/engine.h"
#include "output/eve.h"
#include "output/json_writer.h"
#include "vg_test.h"

/* ---- frame builders ---- */

static size_t put_ipv4(uint8_t *o, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                       uint16_t frag, size_t payload)
{
    memset(o, 0, 20);
    o[0] = 0x45;
    o[2] = (uint8_t)((20 + payload) >> 8);
    o[3] = (uint8_t)(20 + payload);
    o[6] = (uint8_t)(frag >> 8);
    o[7] = (uint8_t)frag;
    o[8] = 64;
    o[9] = proto;
    memcpy(o + 12, src, 4);
    memcpy(o + 16, dst, 4);
    return 20;
}

static size_t put_tcp(uint8_t *o, uint16_t sp, uint16_t dp)
{
    memset(o, 0, 20);
    o[0] = (uint8_t)(sp >> 8);
    o[1] = (uint8_t)sp;
    o[2] = (uint8_t)(dp >> 8);
    o[3] = (uint8_t)dp;
    o[12] = 0x50;
    o[13] = 0x02;
    return 20;
}

static size_t put_eth(uint8_t *o, uint16_t type)
{
    memset(o, 0, 12);
    o[0] = 2;
    o[6] = 4;
    o[12] = (uint8_t)(type >> 8);
    o[13] = (uint8_t)type;
    return 14;
}

static const uint8_t A[4] = {10, 0, 0, 1}, B[4] = {192, 0, 2, 80};
static const uint8_t OA[4] = {198, 51, 100, 1}, OB[4] = {198, 51, 100, 2};

static uint64_t h_of(const uint8_t *f, size_t n, int lt, bool *ok)
{
    return engine_dispatch_hash(f, (uint32_t)n, lt, ok);
}

/* Ethernet/IPv4/TCP a->b. */
static size_t frame_tcp(uint8_t *f, const uint8_t *s, const uint8_t *d)
{
    size_t n = put_eth(f, 0x0800);
    n += put_ipv4(f + n, s, d, 6, 0, 20);
    n += put_tcp(f + n, 40000, 80);
    return n;
}

static void test_symmetric_and_fragments(void)
{
    uint8_t f[256], g[256];
    bool ok1, ok2;
    size_t n1 = frame_tcp(f, A, B), n2 = frame_tcp(g, B, A);
    uint64_t h1 = h_of(f, n1, VG_LINK_ETHERNET, &ok1), h2 = h_of(g, n2, VG_LINK_ETHERNET, &ok2);
    CHECK(ok1 && ok2);
    CHECK_EQ_U(h1, h2);
    for (unsigned n = 2; n <= 8; n++)
        CHECK_EQ_U(engine_dispatch(f, (uint32_t)n1, VG_LINK_ETHERNET, n),
                   engine_dispatch(g, (uint32_t)n2, VG_LINK_ETHERNET, n));
    /* a later fragment (offset 185, no L4 header): the same worker */
    size_t n = put_eth(g, 0x0800);
    n += put_ipv4(g + n, A, B, 6, 185, 8);
    memset(g + n, 0xee, 8);
    n += 8;
    CHECK_EQ_U(h_of(g, n, VG_LINK_ETHERNET, &ok2), h1);
    CHECK(ok2);
    /* another pair: (almost surely) another hash */
    uint8_t C[4] = {10, 0, 0, 2};
    n = frame_tcp(g, C, B);
    CHECK(h_of(g, n, VG_LINK_ETHERNET, &ok2) != h1);
}

static void test_link_layers(void)
{
    uint8_t ip[64], f[256];
    bool ok;
    size_t ipn = put_ipv4(ip, A, B, 6, 0, 20);
    ipn += put_tcp(ip + ipn, 40000, 80);
    size_t n = frame_tcp(f, A, B);
    uint64_t want = h_of(f, n, VG_LINK_ETHERNET, &ok);

    /* 802.1Q + 802.1ad (QinQ) */
    n = put_eth(f, 0x88a8);
    f[n++] = 0, f[n++] = 10, f[n++] = 0x81, f[n++] = 0x00;
    f[n++] = 0, f[n++] = 20, f[n++] = 0x08, f[n++] = 0x00;
    memcpy(f + n, ip, ipn);
    CHECK_EQ_U(h_of(f, n + ipn, VG_LINK_ETHERNET, &ok), want);
    CHECK(ok);
    /* MPLS, two labels, bottom of stack on the second */
    n = put_eth(f, 0x8847);
    f[n++] = 0, f[n++] = 0x01, f[n++] = 0x00, f[n++] = 64;
    f[n++] = 0, f[n++] = 0x02, f[n++] = 0x01, f[n++] = 64;
    memcpy(f + n, ip, ipn);
    CHECK_EQ_U(h_of(f, n + ipn, VG_LINK_ETHERNET, &ok), want);
    /* PPPoE session, PPP IPv4 */
    n = put_eth(f, 0x8864);
    f[n++] = 0x11, f[n++] = 0, f[n++] = 0, f[n++] = 1, f[n++] = 0, f[n++] = (uint8_t)(ipn + 2);
    f[n++] = 0x00, f[n++] = 0x21;
    memcpy(f + n, ip, ipn);
    CHECK_EQ_U(h_of(f, n + ipn, VG_LINK_ETHERNET, &ok), want);
    /* Linux SLL: protocol at 14 */
    memset(f, 0, 16);
    f[14] = 0x08;
    memcpy(f + 16, ip, ipn);
    CHECK_EQ_U(h_of(f, 16 + ipn, VG_LINK_SLL, &ok), want);
    /* SLL2: protocol at 0 */
    memset(f, 0, 20);
    f[0] = 0x08;
    memcpy(f + 20, ip, ipn);
    CHECK_EQ_U(h_of(f, 20 + ipn, VG_LINK_SLL2, &ok), want);
    /* BSD NULL (family 2, host order) and raw IP */
    memset(f, 0, 4);
    f[0] = 2;
    memcpy(f + 4, ip, ipn);
    CHECK_EQ_U(h_of(f, 4 + ipn, VG_LINK_NULL, &ok), want);
    CHECK_EQ_U(h_of(ip, ipn, VG_LINK_RAW, &ok), want);
    /* ARP: no IP, worker 0 */
    n = put_eth(f, 0x0806);
    memset(f + n, 0, 28);
    CHECK_EQ_U(h_of(f, n + 28, VG_LINK_ETHERNET, &ok), 0);
    CHECK(!ok);
    for (unsigned k = 1; k <= 8; k++) CHECK_EQ_U(engine_dispatch(f, (uint32_t)(n + 28), VG_LINK_ETHERNET, k), 0);
    /* an unknown link type */
    CHECK_EQ_U(engine_dispatch(ip, (uint32_t)ipn, 147, 4), 0);
}

static void test_tunnels(void)
{
    uint8_t f[512];
    bool ok;
    size_t n = frame_tcp(f, A, B);
    uint64_t inner = h_of(f, n, VG_LINK_ETHERNET, &ok);
    n = frame_tcp(f, OA, OB);
    uint64_t outer = h_of(f, n, VG_LINK_ETHERNET, &ok);

    /* GRE (key present) carrying IPv4: the inner pair, as the flow key */
    n = put_eth(f, 0x0800);
    n += put_ipv4(f + n, OA, OB, 47, 0, 8 + 40);
    f[n++] = 0x20, f[n++] = 0x00, f[n++] = 0x08, f[n++] = 0x00;
    f[n++] = 0, f[n++] = 0, f[n++] = 0, f[n++] = 7;
    n += put_ipv4(f + n, B, A, 6, 0, 20);
    n += put_tcp(f + n, 80, 40000);
    CHECK_EQ_U(h_of(f, n, VG_LINK_ETHERNET, &ok), inner);
    /* the same GRE packet as an outer fragment (MF): the outer pair */
    f[14 + 6] = 0x20;
    CHECK_EQ_U(h_of(f, n, VG_LINK_ETHERNET, &ok), outer);
    /* GRE with an unknown payload (WCCP 0x883e): the outer pair, as the decoder keys it */
    f[14 + 6] = 0;
    f[14 + 20 + 2] = 0x88, f[14 + 20 + 3] = 0x3e;
    CHECK_EQ_U(h_of(f, n, VG_LINK_ETHERNET, &ok), outer);

    /* VXLAN (UDP 4789, I flag) carrying Ethernet/IPv4/TCP */
    n = put_eth(f, 0x0800);
    n += put_ipv4(f + n, OA, OB, 17, 0, 8 + 8 + 14 + 40);
    f[n++] = 0x30, f[n++] = 0x39, f[n++] = 0x12, f[n++] = 0xb5; /* 12345 -> 4789 */
    f[n++] = 0, f[n++] = 8 + 8 + 14 + 40, f[n++] = 0, f[n++] = 0;
    memset(f + n, 0, 8);
    f[n] = 0x08;
    f[n + 6] = 42;
    n += 8;
    n += put_eth(f + n, 0x0800);
    n += put_ipv4(f + n, A, B, 6, 0, 20);
    n += put_tcp(f + n, 40000, 80);
    CHECK_EQ_U(h_of(f, n, VG_LINK_ETHERNET, &ok), inner);
}

/* Every prefix of a frame is read within bounds (ASan checks) and ends with some worker. */
static void test_truncated(void)
{
    uint8_t f[512];
    size_t n = put_eth(f, 0x8100);
    f[n++] = 0, f[n++] = 5, f[n++] = 0x08, f[n++] = 0x00;
    n += put_ipv4(f + n, OA, OB, 47, 0, 48);
    f[n++] = 0x00, f[n++] = 0x00, f[n++] = 0x65, f[n++] = 0x58; /* GRE TEB */
    n += put_eth(f + n, 0x86dd);
    memset(f + n, 0, 40);
    f[n] = 0x60;
    f[n + 6] = 6;
    n += 40;
    for (size_t len = 0; len <= n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, f, len);
        unsigned w = engine_dispatch(copy, (uint32_t)len, VG_LINK_ETHERNET, 4);
        CHECK(w < 4);
        free(copy);
    }
}

/* Many address pairs spread over 4 workers roughly evenly. */
static void test_spread(void)
{
    unsigned cnt[4] = {0};
    uint8_t f[128];
    for (unsigned i = 0; i < 4000; i++) {
        uint8_t s[4] = {10, (uint8_t)(i >> 8), (uint8_t)i, 1}, d[4] = {192, 0, 2, (uint8_t)(i % 7)};
        size_t n = frame_tcp(f, s, d);
        cnt[engine_dispatch(f, (uint32_t)n, VG_LINK_ETHERNET, 4)]++;
    }
    for (int i = 0; i < 4; i++) CHECK(cnt[i] > 800 && cnt[i] < 1200);
}

/* ---- the sink under concurrent writers ---- */

#define WRITERS 4
#define EVENTS_PER_WRITER 20000

struct wr_arg {
    struct eve_sink *s;
    int id;
};

static void *writer(void *arg)
{
    struct wr_arg *a = arg;
    struct jw w;
    jw_init(&w);
    for (int i = 0; i < EVENTS_PER_WRITER; i++) {
        jw_obj_open(&w, NULL);
        jw_str(&w, "event_type", "flow");
        jw_uint(&w, "writer", (uint64_t)a->id);
        jw_uint(&w, "n", (uint64_t)i);
        jw_str(&w, "pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        jw_obj_close(&w);
        eve_sink_write(a->s, &w);
        jw_reset(&w);
    }
    jw_fini(&w);
    return NULL;
}

static void test_sink_concurrent(void)
{
    char dir[] = "/tmp/vigil-test-workers-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/eve.json", dir);
    struct eve_sink_config cfg;
    eve_sink_config_default(&cfg);
    cfg.path = path;
    cfg.rotate_size = 256 * 1024; /* rotations while the writers run */
    struct eve_sink *s = eve_sink_open_cfg(&cfg, err, sizeof err);
    CHECK(s != NULL);
    if (!s) return;
    pthread_t t[WRITERS];
    struct wr_arg a[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        a[i].s = s;
        a[i].id = i;
        pthread_create(&t[i], NULL, writer, &a[i]);
    }
    for (int i = 0; i < WRITERS; i++) pthread_join(t[i], NULL);
    struct eve_sink_stats st;
    eve_sink_get_stats(s, &st);
    CHECK_EQ_U(st.events, WRITERS * EVENTS_PER_WRITER);
    CHECK(st.rotations > 0);
    size_t nfiles = eve_sink_file_count(s);
    char **names = calloc(nfiles, sizeof *names);
    for (size_t i = 0; i < nfiles; i++) names[i] = strdup(eve_sink_file_path(s, i));
    CHECK_EQ_U(eve_sink_close(s), VG_OK);
    /* every line whole; per writer, its events in order and none missing */
    int next[WRITERS] = {0};
    unsigned bad = 0, lines = 0;
    char line[512];
    for (size_t i = 0; i < nfiles; i++) {
        FILE *fp = fopen(names[i], "r");
        CHECK(fp != NULL);
        while (fp && fgets(line, sizeof line, fp)) {
            int wid, n;
            lines++;
            if (sscanf(line, "{\"event_type\":\"flow\",\"writer\":%d,\"n\":%d,", &wid, &n) != 2 ||
                wid < 0 || wid >= WRITERS || n != next[wid] || line[strlen(line) - 2] != '}') {
                bad++;
                continue;
            }
            next[wid]++;
        }
        if (fp) fclose(fp);
        unlink(names[i]);
        free(names[i]);
    }
    free(names);
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(lines, WRITERS * EVENTS_PER_WRITER);
    for (int i = 0; i < WRITERS; i++) CHECK_EQ_U(next[i], EVENTS_PER_WRITER);
    rmdir(dir);
}

/* ---- the API a live capture uses: worker i on thread i, then one finish ---- */

#define LIVE_PAIRS 64
#define LIVE_WORKERS 3

struct live_arg {
    struct engine_workers *ew;
    unsigned idx;
};

static void *live_thread(void *arg)
{
    struct live_arg *a = arg;
    struct worker *w = engine_workers_get(a->ew, a->idx);
    uint8_t f[128];
    /* every thread walks the same frames and runs its own (as a fanout ring would give them) */
    for (unsigned i = 0; i < LIVE_PAIRS; i++) {
        uint8_t s[4] = {10, 1, 0, (uint8_t)i}, d[4] = {192, 0, 2, 1};
        for (int k = 0; k < 2; k++) {
            size_t n = k ? frame_tcp(f, d, s) : frame_tcp(f, s, d);
            if (k) { /* the answer: ports swapped, SYN+ACK */
                f[34] = 0, f[35] = 80, f[36] = 0x9c, f[37] = 0x40;
                f[47] = 0x12;
            }
            if (engine_dispatch(f, (uint32_t)n, VG_LINK_ETHERNET, LIVE_WORKERS) != a->idx) continue;
            struct packet p;
            memset(&p, 0, sizeof p);
            p.data = f;
            p.caplen = p.wirelen = (uint32_t)n;
            p.ts.sec = 1700000000 + i;
            p.linktype = VG_LINK_ETHERNET;
            p.pcap_cnt = 2 * i + (unsigned)k + 1;
            worker_packet(w, &p);
        }
    }
    worker_tick(w, (struct vg_ts){1700000000 + LIVE_PAIRS, 0});
    return NULL;
}

static void test_live_api(void)
{
    char dir[] = "/tmp/vigil-test-live-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/eve.json", dir);
    struct eve_sink *sink = eve_sink_open(path, err, sizeof err);
    CHECK(sink != NULL);
    if (!sink) return;
    struct engine_config cfg;
    engine_config_default(&cfg);
    struct engine_workers *ew = engine_workers_new(&cfg, sink, LIVE_WORKERS, NULL, err, sizeof err);
    CHECK(ew != NULL);
    if (!ew) return;
    CHECK_EQ_U(engine_workers_count(ew), LIVE_WORKERS);
    CHECK(engine_workers_get(ew, LIVE_WORKERS) == NULL);
    pthread_t t[LIVE_WORKERS];
    struct live_arg a[LIVE_WORKERS];
    for (unsigned i = 0; i < LIVE_WORKERS; i++) {
        a[i].ew = ew;
        a[i].idx = i;
        pthread_create(&t[i], NULL, live_thread, &a[i]);
    }
    for (unsigned i = 0; i < LIVE_WORKERS; i++) pthread_join(t[i], NULL);
    engine_workers_finish(ew, NULL);
    struct engine_summary sum;
    engine_workers_summary(ew, &sum);
    CHECK_EQ_U(sum.flow.total, LIVE_PAIRS);
    CHECK_EQ_U(sum.events[ENG_EV_FLOW], LIVE_PAIRS);
    CHECK_EQ_U(sum.events[ENG_EV_STATS], 1);
    unsigned busy = 0;
    for (unsigned i = 0; i < LIVE_WORKERS; i++)
        busy += flow_table_counters(engine_workers_get(ew, i)->flows)->total > 0;
    CHECK_EQ_U(busy, LIVE_WORKERS); /* 64 pairs over 3 workers: each got some */
    engine_workers_free(ew);
    CHECK_EQ_U(eve_sink_close(sink), VG_OK);
    /* one stats event, last, with the summed packet count; 64 flow events with both directions */
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    char line[8192];
    unsigned flows = 0, stats = 0, both = 0, last_is_stats = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        last_is_stats = strstr(line, "\"event_type\":\"stats\"") != NULL;
        if (last_is_stats) {
            stats++;
            CHECK(strstr(line, "\"decoder\":{\"pkts\":128,") != NULL);
            CHECK(strstr(line, "\"flow\":{\"tcp\":64") != NULL || strstr(line, "\"tcp\":64") != NULL);
        }
        if (strstr(line, "\"event_type\":\"flow\"")) {
            flows++;
            both += strstr(line, "\"pkts_toserver\":1,\"pkts_toclient\":1") != NULL;
        }
    }
    if (fp) fclose(fp);
    CHECK_EQ_U(flows, LIVE_PAIRS);
    CHECK_EQ_U(both, LIVE_PAIRS);
    CHECK_EQ_U(stats, 1);
    CHECK(last_is_stats);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_symmetric_and_fragments);
    RUN(test_link_layers);
    RUN(test_tunnels);
    RUN(test_truncated);
    RUN(test_spread);
    RUN(test_sink_concurrent);
    RUN(test_live_api);
    return vg_test_done("workers");
}
