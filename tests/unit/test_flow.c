/* test_flow.c - flow table: symmetric lookup, client orientation, counters, timeouts, TCP reuse,
 * memcap eviction, deterministic flush order. Packets are built directly as decoded structs. */
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "vg_test.h"

static struct packet mk(uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint8_t proto,
                        uint8_t flags, int64_t sec)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.ip_ver = 4;
    p.src.family = p.dst.family = 4;
    p.src.a[0] = 10;
    p.src.a[3] = a;
    p.dst.a[0] = 10;
    p.dst.a[3] = b;
    p.sport = sp;
    p.dport = dp;
    p.proto = proto;
    p.tcp_flags = flags;
    p.ts.sec = sec;
    p.caplen = 100;
    return p;
}

struct ended {
    int n;
    int reasons[64];
    uint64_t pkts[64][2];
    uint16_t sport[64];
    char state[64][16];
};

static void on_end(struct flow *f, void *ud)
{
    struct ended *e = ud;
    if (e->n < 64) {
        e->reasons[e->n] = f->end_reason;
        e->pkts[e->n][0] = f->pkts[0];
        e->pkts[e->n][1] = f->pkts[1];
        e->sport[e->n] = f->sport;
        strncpy(e->state[e->n], flow_state_str(f), 15);
    }
    e->n++;
}

static void test_symmetric(void)
{
    struct ended e = {0};
    struct flow_table *ft = flow_table_new(NULL, on_end, &e);
    int dir = -1;
    struct packet p1 = mk(1, 40000, 2, 80, 6, VG_TCP_SYN, 100);
    struct packet p2 = mk(2, 80, 1, 40000, 6, VG_TCP_SYN | VG_TCP_ACK, 100);
    struct packet p3 = mk(1, 40000, 2, 80, 6, VG_TCP_ACK, 100);
    struct flow *f1 = flow_table_get(ft, &p1, &dir);
    CHECK(f1 != NULL);
    CHECK_EQ_U(dir, FLOW_TOSERVER);
    struct flow *f2 = flow_table_get(ft, &p2, &dir);
    CHECK(f1 == f2);
    CHECK_EQ_U(dir, FLOW_TOCLIENT);
    flow_table_get(ft, &p3, &dir);
    CHECK_EQ_U(f1->pkts[0], 2);
    CHECK_EQ_U(f1->pkts[1], 1);
    CHECK_EQ_U(f1->bytes[0], 200);
    CHECK_EQ_U(f1->sport, 40000);
    CHECK_EQ_U(f1->tcp_state, FLOW_TCP_ESTABLISHED);
    CHECK_STR(flow_state_str(f1), "established");
    CHECK_EQ_U(flow_table_counters(ft)->total, 1);
    /* A different VLAN is a different flow. */
    struct packet p4 = p1;
    p4.vlan_cnt = 1;
    p4.vlan[0] = 7;
    CHECK(flow_table_get(ft, &p4, &dir) != f1);
    CHECK_EQ_U(flow_table_counters(ft)->total, 2);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    CHECK_EQ_U(e.n, 2);
    CHECK_EQ_U(e.reasons[0], FLOW_END_SHUTDOWN);
    CHECK_EQ_U(flow_table_counters(ft)->active, 0);
    flow_table_free(ft);
}

static void test_synack_first_orients_client(void)
{
    struct flow_table *ft = flow_table_new(NULL, NULL, NULL);
    int dir;
    struct packet p = mk(2, 80, 1, 40000, 6, VG_TCP_SYN | VG_TCP_ACK, 5);
    struct flow *f = flow_table_get(ft, &p, &dir);
    CHECK_EQ_U(dir, FLOW_TOCLIENT);
    CHECK_EQ_U(f->sport, 40000);
    CHECK_EQ_U(f->dport, 80);
    CHECK_EQ_U(f->src.a[3], 1);
    flow_table_free(ft);
}

static void test_timeouts(void)
{
    struct ended e = {0};
    struct flow_config cfg;
    flow_config_default(&cfg);
    struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
    int dir;
    struct packet u1 = mk(1, 5000, 2, 53, 17, 0, 1000);
    flow_table_get(ft, &u1, &dir);
    struct packet t1 = mk(3, 6000, 4, 443, 6, VG_TCP_SYN, 1000);
    flow_table_get(ft, &t1, &dir);
    /* UDP new times out after 30 s, TCP new after 60 s. */
    CHECK_EQ_U(flow_table_expire(ft, (struct vg_ts){1029, 0}, 100), 0);
    CHECK_EQ_U(flow_table_expire(ft, (struct vg_ts){1030, 0}, 100), 1);
    CHECK_EQ_U(e.n, 1);
    CHECK_EQ_U(e.reasons[0], FLOW_END_TIMEOUT);
    CHECK_EQ_U(e.sport[0], 5000);
    CHECK_EQ_U(flow_table_expire(ft, (struct vg_ts){1060, 0}, 100), 1);
    /* A packet arriving after the timeout starts a new flow even without an expire pass. */
    struct packet u2 = mk(1, 5000, 2, 53, 17, 0, 2000);
    flow_table_get(ft, &u2, &dir);
    u2.ts.sec = 2031;
    flow_table_get(ft, &u2, &dir);
    CHECK_EQ_U(e.n, 3);
    CHECK_EQ_U(flow_table_counters(ft)->total, 4);
    CHECK_EQ_U(flow_table_counters(ft)->ended_timeout, 3);
    /* Budget bounds the work. */
    for (int i = 0; i < 10; i++) {
        struct packet q = mk(9, (uint16_t)(100 + i), 8, 53, 17, 0, 3000);
        flow_table_get(ft, &q, &dir);
    }
    CHECK_EQ_U(flow_table_expire(ft, (struct vg_ts){4000, 0}, 4), 4);
    flow_table_free(ft);
}

static void test_tcp_reuse(void)
{
    struct ended e = {0};
    struct flow_table *ft = flow_table_new(NULL, on_end, &e);
    int dir;
    struct packet a = mk(1, 1234, 2, 80, 6, VG_TCP_SYN, 10);
    flow_table_get(ft, &a, &dir);
    struct packet r = mk(2, 80, 1, 1234, 6, VG_TCP_RST | VG_TCP_ACK, 10);
    struct flow *f = flow_table_get(ft, &r, &dir);
    CHECK_EQ_U(f->tcp_state, FLOW_TCP_CLOSED);
    struct packet b = mk(1, 1234, 2, 80, 6, VG_TCP_SYN, 11);
    flow_table_get(ft, &b, &dir);
    CHECK_EQ_U(e.n, 1);
    CHECK_EQ_U(e.reasons[0], FLOW_END_TCP_REUSE);
    CHECK_STR(e.state[0], "closed");
    CHECK_EQ_U(flow_table_counters(ft)->total, 2);
    flow_table_free(ft);
}

static void test_memcap(void)
{
    struct ended e = {0};
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.max_flows = 16;
    struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
    int dir;
    for (int i = 0; i < 40; i++) {
        struct packet q = mk(1, (uint16_t)(1000 + i), 2, 53, 17, 0, 100 + i);
        CHECK(flow_table_get(ft, &q, &dir) != NULL);
    }
    const struct flow_counters *c = flow_table_counters(ft);
    CHECK_EQ_U(c->active, 16);
    CHECK_EQ_U(c->memcap_hits, 24);
    CHECK_EQ_U(c->ended_forced, 24);
    /* The oldest were evicted first. */
    CHECK_EQ_U(e.sport[0], 1000);
    CHECK_EQ_U(e.sport[23], 1023);
    /* Survivors are still found (index consistent after many backward-shift deletions). */
    for (int i = 24; i < 40; i++) {
        struct packet q = mk(2, 53, 1, (uint16_t)(1000 + i), 17, 0, 140);
        struct flow *f = flow_table_get(ft, &q, &dir);
        CHECK(f && dir == FLOW_TOCLIENT && f->pkts[0] == 1);
    }
    CHECK_EQ_U(c->total, 40);
    flow_table_free(ft);
}

/* Random insert/lookup/expire churn checked against a simple array model. */
static void test_churn(void)
{
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.max_flows = 512;
    struct flow_table *ft = flow_table_new(&cfg, NULL, NULL);
    srand(7);
    int dir;
    uint64_t created_model = 0;
    static int64_t last_seen[2000];
    memset(last_seen, 0, sizeof last_seen);
    for (int step = 0; step < 20000; step++) {
        int port = rand() % 400; /* < max_flows: no eviction, only timeouts */
        int64_t now = 1000 + step / 10;
        struct packet q = mk(1, (uint16_t)(2000 + port), 2, 53, 17, 0, now);
        if (last_seen[port] == 0 || now - last_seen[port] >= 30) created_model++;
        last_seen[port] = now;
        struct flow *f = flow_table_get(ft, &q, &dir);
        CHECK(f != NULL && f->sport == 2000 + port);
        if (step % 97 == 0) flow_table_expire(ft, (struct vg_ts){now, 0}, 16);
    }
    CHECK_EQ_U(flow_table_counters(ft)->total, created_model);
    flow_table_free(ft);
}

/* The index starts small and doubles as flows arrive (flow_table.c, index_grow): 70,000 flows
 * take it through several growths; every flow must still be found from both directions, after
 * growth and after half of them expired (backward-shift deletions in the grown index). */
static void test_index_growth(void)
{
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.max_flows = 100000;
    struct flow_table *ft = flow_table_new(&cfg, NULL, NULL);
    enum { N = 70000 };
    static struct flow *seen[N];
    int dir;
    unsigned bad = 0;
    for (int i = 0; i < N; i++) {
        /* the first half at t=100, the second at t=200 */
        struct packet q = mk((uint8_t)(1 + i / 60000), (uint16_t)(1000 + i % 60000), 2, 53, 17, 0,
                             i < N / 2 ? 100 : 200);
        seen[i] = flow_table_get(ft, &q, &dir);
        if (!seen[i] || dir != FLOW_TOSERVER) bad++;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(flow_table_counters(ft)->active, N);
    for (int i = 0; i < N; i++) {
        struct packet q = mk(2, 53, (uint8_t)(1 + i / 60000), (uint16_t)(1000 + i % 60000), 17, 0,
                             i < N / 2 ? 100 : 200);
        struct flow *f = flow_table_get(ft, &q, &dir);
        if (f != seen[i] || dir != FLOW_TOCLIENT || f->pkts[0] != 1 || f->pkts[1] != 1) bad++;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(flow_table_counters(ft)->total, N);
    /* the first half expires (both directions seen: UDP established, 300 s; budget large enough
     * for all of them) */
    CHECK_EQ_U(flow_table_expire(ft, (struct vg_ts){401, 0}, N), N / 2);
    CHECK_EQ_U(flow_table_counters(ft)->active, N - N / 2);
    for (int i = N / 2; i < N; i++) {
        struct packet q = mk((uint8_t)(1 + i / 60000), (uint16_t)(1000 + i % 60000), 2, 53, 17, 0,
                             402);
        struct flow *f = flow_table_get(ft, &q, &dir);
        if (f != seen[i] || dir != FLOW_TOSERVER || f->pkts[0] != 2) bad++;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(flow_table_counters(ft)->total, N); /* nothing was created again */
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    CHECK_EQ_U(flow_table_counters(ft)->active, 0);
    flow_table_free(ft);
}

int main(void)
{
    RUN(test_symmetric);
    RUN(test_synack_first_orients_client);
    RUN(test_timeouts);
    RUN(test_tcp_reuse);
    RUN(test_memcap);
    RUN(test_churn);
    RUN(test_index_growth);
    return vg_test_done("flow");
}
