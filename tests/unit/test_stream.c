/* test_stream.c - TCP tracking and reassembly: handshake, ordering, retransmissions, overlaps with
 * different data (the injection facts), SYN/ACK races, wrap-around, gaps, caps, mid-stream and
 * one-sided captures, keep-alives, zero-window probes, offload-sized segments, RST/FIN anomalies
 * and the memcaps. Packets are built directly as decoded structs and go through the real flow
 * table. */
#include <stdlib.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "flow/flow.h"
#include "stream/stream.h"
#include "stream/stream_int.h" /* stream__flow_memuse, the slab size: white-box memory checks */
#include "vg_test.h"

/* ---- a tiny driver: one flow table + one stream ctx, collected in-order bytes per direction -- */

#define COLL_MAX (1u << 20)

struct coll {
    uint8_t *buf;
    uint64_t end; /* stream offset after the last delivered byte / gap */
    uint64_t gaps;
};

struct tenv {
    struct flow_table *ft;
    struct stream_ctx *sc;
    uint64_t pcap_cnt;
    int64_t usec;
    struct coll coll[2];
    struct flow *f;           /* flow of the last packet */
    struct packet p;          /* the last packet (anomalies) */
    struct stream_result res; /* the last result */
    int dir;
    uint8_t ttl; /* TTL / IP ID of the next packet */
    uint16_t ip_id;
    uint16_t win;     /* window of the next packet */
    int wscale;       /* >= 0: put a window-scale option on SYNs */
    uint8_t cli_last; /* last octet of the client address (distinct flows) */
    uint16_t cli_port;
    bool many_flows; /* the collectors are per direction, not per flow: skip them */
};

static void on_end(struct flow *f, void *ud)
{
    struct tenv *T = ud;
    stream_flow_free(T->sc, f);
}

static void env_init(struct tenv *T, const struct stream_config *cfg)
{
    memset(T, 0, sizeof *T);
    T->ft = flow_table_new(NULL, on_end, T);
    struct stream_config c;
    stream_config_default(&c);
    T->sc = stream_ctx_new(cfg ? cfg : &c);
    for (int d = 0; d < 2; d++)
        T->coll[d].buf = calloc(1, COLL_MAX);
    T->ttl = 64;
    T->win = 65535;
    T->wscale = -1;
    T->cli_last = 1;
    T->cli_port = 40000;
}

static void env_fini(struct tenv *T)
{
    flow_table_flush(T->ft, FLOW_END_SHUTDOWN);
    flow_table_free(T->ft);
    stream_ctx_free(T->sc);
    for (int d = 0; d < 2; d++)
        free(T->coll[d].buf);
}

enum { C2S = 0, S2C = 1 };
#define A VG_TCP_ACK
#define S VG_TCP_SYN
#define F VG_TCP_FIN
#define R VG_TCP_RST
#define P VG_TCP_PSH

/* send one packet from the client (C2S) or the server (S2C); collects the delivered bytes and
 * checks that offsets are continuous (offset == previous end + gap). Returns the flow. */
static struct flow *tx(struct tenv *T, int from, uint32_t seq, uint32_t ack, uint8_t flags,
                       const void *data, uint32_t len)
{
    struct packet *p = &T->p;
    memset(p, 0, sizeof *p);
    p->ip_ver = 4;
    p->src.family = p->dst.family = 4;
    struct vg_addr cli = {4, {10, 0, 0, T->cli_last}}, srv = {4, {10, 0, 0, 200}};
    p->src = from == C2S ? cli : srv;
    p->dst = from == C2S ? srv : cli;
    p->sport = from == C2S ? T->cli_port : 80;
    p->dport = from == C2S ? 80 : T->cli_port;
    p->proto = 6;
    p->tcp_seq = seq;
    p->tcp_ack = (flags & A) ? ack : 0;
    p->tcp_flags = flags;
    p->tcp_win = T->win;
    if ((flags & S) && T->wscale >= 0) {
        p->tcp_opts.has_wscale = true;
        p->tcp_opts.wscale = (uint8_t)T->wscale;
    }
    p->ttl = T->ttl;
    p->ip_id = T->ip_id++;
    p->payload = len ? data : NULL;
    p->payload_len = len;
    p->pcap_cnt = ++T->pcap_cnt;
    T->usec += 1000;
    p->ts.sec = 1700000000 + T->usec / 1000000;
    p->ts.nsec = (uint32_t)(T->usec % 1000000) * 1000;
    p->caplen = 54 + len;
    int dir = -1;
    T->f = flow_table_get(T->ft, p, &dir);
    T->dir = dir;
    stream_packet(T->sc, T->f, p, dir, &T->res);
    const struct stream_result *r = &T->res;
    struct coll *c = &T->coll[dir];
    if (!T->many_flows && (r->data_len || r->gap_len)) {
        CHECK_EQ_U(r->data_offset, c->end + r->gap_len);
        c->gaps += r->gap_len;
        if (r->data_offset + r->data_len <= COLL_MAX && r->data_len)
            memcpy(c->buf + r->data_offset, r->data, r->data_len);
        c->end = r->data_offset + r->data_len;
    }
    return T->f;
}

static bool has_anom(const struct packet *p, int id)
{
    for (unsigned i = 0; i < p->n_anom; i++)
        if (p->anom[i] == id) return true;
    return false;
}

static bool data_is(const struct stream_result *r, const char *s)
{
    size_t n = strlen(s);
    return r->data_len == n && r->data && memcmp(r->data, s, n) == 0;
}

static bool coll_is(const struct tenv *T, int dir, const char *s)
{
    size_t n = strlen(s);
    return T->coll[dir].end == n && memcmp(T->coll[dir].buf, s, n) == 0;
}

/* The usual start: client ISN ci, server ISN si. */
static void handshake(struct tenv *T, uint32_t ci, uint32_t si)
{
    tx(T, C2S, ci, 0, S, NULL, 0);
    tx(T, S2C, si, ci + 1, S | A, NULL, 0);
    tx(T, C2S, ci + 1, si + 1, A, NULL, 0);
}

static const struct stream_counters *ctr(const struct tenv *T)
{
    return stream_counters(T->sc);
}

/* ---- tests ------------------------------------------------------------------------------------
 */

static void test_handshake_inorder(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    tx(&T, C2S, 1001, 5001, A | P, "GET / HTTP/1.0\r\n\r\n", 18);
    CHECK_EQ_U(T.dir, C2S);
    CHECK(data_is(&T.res, "GET / HTTP/1.0\r\n\r\n"));
    CHECK_EQ_U(T.res.data_offset, 0);
    CHECK_EQ_U(T.res.gap_len, 0);
    tx(&T, S2C, 5001, 1019, A | P, "HTTP/1.0 200 OK\r\n", 17);
    CHECK_EQ_U(T.dir, S2C);
    CHECK(data_is(&T.res, "HTTP/1.0 200 OK\r\n"));
    CHECK_EQ_U(T.res.data_offset, 0);
    tx(&T, S2C, 5018, 1019, A | P, "\r\nhello", 7);
    CHECK(data_is(&T.res, "\r\nhello"));
    CHECK_EQ_U(T.res.data_offset, 17);
    tx(&T, C2S, 1019, 5025, A, NULL, 0);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK(coll_is(&T, C2S, "GET / HTTP/1.0\r\n\r\n"));
    CHECK(coll_is(&T, S2C, "HTTP/1.0 200 OK\r\n\r\nhello"));

    struct stream_dir_info di;
    CHECK(stream_dir_info(T.f, C2S, &di));
    CHECK(di.isn_known);
    CHECK_EQ_U(di.isn, 1000);
    CHECK_EQ_U(di.next_seq, 1019);
    CHECK_EQ_U(di.max_seq, 1019);
    CHECK_EQ_U(di.last_ack, 5025);
    CHECK_EQ_U(di.delivered, 18);
    CHECK(!di.fin_seen && !di.rst_seen && !di.midstream);
    CHECK(stream_dir_info(T.f, S2C, &di));
    CHECK_EQ_U(di.isn, 5000);
    CHECK_EQ_U(di.next_seq, 5025);
    CHECK_EQ_U(di.delivered, 24);
    CHECK(di.window_known);
    CHECK_EQ_U(di.window, 65535);

    /* FIN both ways: fin_seq is the sequence number of the FIN itself. */
    tx(&T, C2S, 1019, 5025, A | F, NULL, 0);
    tx(&T, S2C, 5025, 1020, A | F, NULL, 0);
    CHECK(stream_dir_info(T.f, C2S, &di));
    CHECK(di.fin_seen);
    CHECK_EQ_U(di.fin_seq, 1019);
    CHECK_EQ_U(di.max_seq, 1020);

    const struct stream_counters *c = ctr(&T);
    CHECK_EQ_U(c->sessions, 1);
    CHECK_EQ_U(c->segments, 9);
    CHECK_EQ_U(c->midstream_pickups, 0);
    CHECK_EQ_U(c->invalid, 0);
    CHECK_EQ_U(c->overlaps_different, 0);
    CHECK_EQ_U(c->gaps, 0);
    CHECK_EQ_U(c->retransmissions, 0);
    CHECK(c->memuse > 0 && c->memuse <= c->memuse_max);
    env_fini(&T);
}

static void test_ooo_then_fill(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    tx(&T, C2S, 1011, 5001, A, "bbbbbbbbbb", 10);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(ctr(&T)->queued_segments, 1);
    tx(&T, C2S, 1021, 5001, A, "cccccccccc", 10);
    CHECK_EQ_U(T.res.data_len, 0);
    tx(&T, C2S, 1001, 5001, A, "aaaaaaaaaa", 10);
    CHECK(data_is(&T.res, "aaaaaaaaaabbbbbbbbbbcccccccccc"));
    CHECK_EQ_U(T.res.data_offset, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(ctr(&T)->queued_segments, 2);
    tx(&T, C2S, 1031, 5001, A, "dd", 2);
    CHECK(data_is(&T.res, "dd"));
    CHECK_EQ_U(T.res.data_offset, 30);
    CHECK_EQ_U(ctr(&T)->retransmissions, 0);
    env_fini(&T);
}

static void test_retransmission_identical(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    tx(&T, C2S, 1001, 5001, A, "0123456789", 10);
    tx(&T, C2S, 1001, 5001, A, "0123456789", 10);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(T.res.retransmitted, 10);
    CHECK_EQ_U(T.res.n_facts, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(ctr(&T)->retransmissions, 1);
    CHECK_EQ_U(ctr(&T)->retransmitted_bytes, 10);
    /* Partial overlap with identical bytes: silent, the new tail is delivered. */
    tx(&T, C2S, 1006, 5001, A, "56789abcde", 10);
    CHECK(data_is(&T.res, "abcde"));
    CHECK_EQ_U(T.res.data_offset, 10);
    CHECK_EQ_U(T.res.retransmitted, 5);
    CHECK_EQ_U(T.res.n_facts, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    /* A retransmission of a queued (out-of-order) segment is silent too. */
    tx(&T, C2S, 1031, 5001, A, "QQQQ", 4);
    tx(&T, C2S, 1031, 5001, A, "QQQQ", 4);
    CHECK_EQ_U(T.res.retransmitted, 4);
    CHECK_EQ_U(T.res.n_facts, 0);
    CHECK_EQ_U(ctr(&T)->retransmissions, 3);
    CHECK_EQ_U(ctr(&T)->retransmitted_bytes, 19);
    CHECK_EQ_U(ctr(&T)->overlaps_different, 0);
    CHECK(coll_is(&T, C2S, "0123456789abcde"));
    env_fini(&T);
}

static void test_overlap_same_len_different(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    T.ttl = 64;
    T.ip_id = 100;
    tx(&T, S2C, 5001, 1001, A | P, "HTTP/1.1 302 Found", 18); /* the injected one wins the race */
    uint64_t first_cnt = T.p.pcap_cnt;
    CHECK(data_is(&T.res, "HTTP/1.1 302 Found"));
    T.ttl = 51;
    T.ip_id = 7;
    tx(&T, S2C, 5001, 1001, A | P, "HTTP/1.1 200 OK\r\nX", 18);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(T.res.n_facts, 1);
    const struct stream_fact *f = &T.res.facts[0];
    CHECK_EQ_U(f->kind, STREAM_FACT_DATA_OVERLAP);
    CHECK_EQ_U(f->dir, S2C);
    CHECK_EQ_U(f->first.pcap_cnt, first_cnt);
    CHECK_EQ_U(f->first.ttl, 64);
    CHECK_EQ_U(f->first.ip_id, 100);
    CHECK_EQ_U(f->first.seq, 5001);
    CHECK_EQ_U(f->first.len, 18);
    CHECK_EQ_U(f->second.pcap_cnt, T.p.pcap_cnt);
    CHECK_EQ_U(f->second.ttl, 51);
    CHECK_EQ_U(f->second.ip_id, 7);
    CHECK_EQ_U(f->second.seq, 5001);
    CHECK_EQ_U(f->second.len, 18);
    CHECK_EQ_U(f->ov_seq, 5001);
    CHECK_EQ_U(f->ov_len, 18);
    /* "302 Found" vs "200 OK\r\nX": positions 9, 11 and 13..17 differ. */
    CHECK_EQ_U(f->diff_bytes, 7);
    CHECK_EQ_U(f->first_data_seq, 5001);
    CHECK_EQ_U(f->first_data_len, 18);
    CHECK(f->first_data && memcmp(f->first_data, "HTTP/1.1 302 Found", 18) == 0);
    CHECK_EQ_U(f->second_data_len, 18);
    CHECK(f->second_data && memcmp(f->second_data, "HTTP/1.1 200 OK\r\nX", 18) == 0);
    CHECK(f->first_delivered);
    CHECK(!f->at_close);
    CHECK(has_anom(&T.p, ANOM_STREAM_OVERLAP_DIFFERENT_DATA));
    CHECK_EQ_U(T.res.retransmitted, 11);
    CHECK_EQ_U(ctr(&T)->overlaps_different, 1);
    CHECK_EQ_U(ctr(&T)->anomalies[ANOM_STREAM_OVERLAP_DIFFERENT_DATA - STREAM_ANOM_FIRST], 1);
    /* First wins: the app layer keeps seeing the first bytes. */
    CHECK(coll_is(&T, S2C, "HTTP/1.1 302 Found"));
    env_fini(&T);
}

static void test_overlap_different_length(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    tx(&T, C2S, 1001, 5001, A, "0123456789", 10);
    tx(&T, C2S, 1001, 5001, A, "01234XXXXXabcdefghij", 20);
    CHECK(data_is(&T.res, "abcdefghij"));
    CHECK_EQ_U(T.res.data_offset, 10);
    CHECK_EQ_U(T.res.n_facts, 1);
    CHECK_EQ_U(T.res.facts[0].ov_seq, 1001);
    CHECK_EQ_U(T.res.facts[0].ov_len, 10);
    CHECK_EQ_U(T.res.facts[0].diff_bytes, 5);
    CHECK_EQ_U(T.res.facts[0].first.len, 10);
    CHECK_EQ_U(T.res.facts[0].second.len, 20);
    CHECK_EQ_U(T.res.facts[0].second_data_len, 20);
    CHECK_EQ_U(T.res.retransmitted, 5);
    /* Shorter, starting inside: compares [1003, 1008) against the first segment only. */
    tx(&T, C2S, 1003, 5001, A, "2zz56", 5);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(T.res.n_facts, 1);
    CHECK_EQ_U(T.res.facts[0].ov_seq, 1003);
    CHECK_EQ_U(T.res.facts[0].ov_len, 5);
    CHECK_EQ_U(T.res.facts[0].diff_bytes, 2);
    CHECK_EQ_U(T.res.facts[0].first.seq, 1001);
    CHECK_EQ_U(T.res.facts[0].first_data_len, 10);
    CHECK(memcmp(T.res.facts[0].first_data, "0123456789", 10) == 0);
    /* Spanning two held segments, differing in the second only: the fact names the second. */
    tx(&T, C2S, 1009, 5001, A, "89abZd", 6);
    CHECK_EQ_U(T.res.n_facts, 1);
    CHECK_EQ_U(T.res.facts[0].first.seq, 1001);
    CHECK_EQ_U(T.res.facts[0].first.len, 20);
    CHECK_EQ_U(T.res.facts[0].ov_seq, 1011);
    CHECK_EQ_U(T.res.facts[0].ov_len, 4);
    CHECK_EQ_U(T.res.facts[0].diff_bytes, 1);
    /* The second segment's held bytes are the ones it contributed within its wire range. */
    CHECK_EQ_U(T.res.facts[0].first_data_seq, 1001);
    CHECK_EQ_U(T.res.facts[0].first_data_len, 20);
    CHECK_EQ_U(T.res.retransmitted, 5);
    CHECK(coll_is(&T, C2S, "0123456789abcdefghij"));
    CHECK_EQ_U(ctr(&T)->overlaps_different, 3);
    env_fini(&T);
}

static void test_overlap_queued_coalesce(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    /* The injected segment arrives first and out of order ... */
    T.ttl = 40;
    tx(&T, S2C, 5011, 1001, A, "FFFFFFFFFF", 10);
    uint64_t inj = T.p.pcap_cnt;
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(T.res.n_facts, 0);
    /* ... then the genuine one covering the hole and the injected range. */
    T.ttl = 58;
    tx(&T, S2C, 5001, 1001, A, "ggggggggggGGGGGGGGGGhh", 22);
    CHECK_EQ_U(T.res.n_facts, 1);
    const struct stream_fact *f = &T.res.facts[0];
    CHECK_EQ_U(f->first.pcap_cnt, inj);
    CHECK_EQ_U(f->first.ttl, 40);
    CHECK_EQ_U(f->second.ttl, 58);
    CHECK(!f->first_delivered);
    CHECK_EQ_U(f->ov_seq, 5011);
    CHECK_EQ_U(f->ov_len, 10);
    CHECK_EQ_U(f->diff_bytes, 10);
    CHECK_EQ_U(f->first_data_seq, 5011);
    CHECK_EQ_U(f->first_data_len, 10);
    CHECK(memcmp(f->first_data, "FFFFFFFFFF", 10) == 0);
    CHECK_EQ_U(f->second_data_len, 22);
    /* First wins: the queued bytes are delivered, the genuine ones fill around them. */
    CHECK(data_is(&T.res, "ggggggggggFFFFFFFFFFhh"));
    CHECK_EQ_U(T.res.data_offset, 0);
    CHECK(has_anom(&T.p, ANOM_STREAM_OVERLAP_DIFFERENT_DATA));
    env_fini(&T);
}

static void test_overlap_at_fin(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    tx(&T, S2C, 5001, 1001, A | P | F, "0123456789", 10);
    CHECK(data_is(&T.res, "0123456789"));
    struct stream_dir_info di;
    stream_dir_info(T.f, S2C, &di);
    CHECK(di.fin_seen);
    CHECK_EQ_U(di.fin_seq, 5011);
    tx(&T, S2C, 5006, 1001, A | P, "XXXXX", 5);
    CHECK_EQ_U(T.res.n_facts, 1);
    CHECK(T.res.facts[0].at_close);
    CHECK_EQ_U(T.res.facts[0].ov_seq, 5006);
    CHECK_EQ_U(T.res.facts[0].ov_len, 5);
    CHECK(!has_anom(&T.p, ANOM_STREAM_DATA_AFTER_FIN));
    /* Not touching the FIN: not at close. */
    tx(&T, S2C, 5001, 1001, A | P, "01", 2);
    CHECK_EQ_U(T.res.n_facts, 0);
    tx(&T, S2C, 5001, 1001, A | P, "0Z", 2);
    CHECK_EQ_U(T.res.n_facts, 1);
    CHECK(!T.res.facts[0].at_close);
    /* Data beyond the FIN from the same sender. */
    tx(&T, S2C, 5011, 1001, A | P, "more", 4);
    CHECK(has_anom(&T.p, ANOM_STREAM_DATA_AFTER_FIN));
    env_fini(&T);
}

static void test_synack_race(void)
{
    struct tenv T;
    env_init(&T, NULL);
    tx(&T, C2S, 1000, 0, S, NULL, 0);
    T.ttl = 60;
    tx(&T, S2C, 5000, 1001, S | A, NULL, 0);
    uint64_t first = T.p.pcap_cnt;
    CHECK_EQ_U(T.res.n_facts, 0);
    T.ttl = 44;
    tx(&T, S2C, 7777, 1001, S | A, NULL, 0);
    CHECK_EQ_U(T.res.n_facts, 1);
    const struct stream_fact *f = &T.res.facts[0];
    CHECK_EQ_U(f->kind, STREAM_FACT_SYNACK_RACE);
    CHECK_EQ_U(f->dir, S2C);
    CHECK_EQ_U(f->first.seq, 5000);
    CHECK_EQ_U(f->first.pcap_cnt, first);
    CHECK_EQ_U(f->first.ttl, 60);
    CHECK_EQ_U(f->second.seq, 7777);
    CHECK_EQ_U(f->second.ttl, 44);
    CHECK(f->first_data == NULL && f->second_data == NULL);
    CHECK(has_anom(&T.p, ANOM_STREAM_3WHS_SYNACK_RACE));
    CHECK_EQ_U(ctr(&T)->synack_races, 1);
    /* Retransmissions of either contestant are silent. */
    tx(&T, S2C, 5000, 1001, S | A, NULL, 0);
    CHECK_EQ_U(T.res.n_facts, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    tx(&T, S2C, 7777, 1001, S | A, NULL, 0);
    CHECK_EQ_U(T.res.n_facts, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(ctr(&T)->synack_races, 1);
    /* The client's ACK picks the second one: the server's stream follows it. */
    tx(&T, C2S, 1001, 7778, A, NULL, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    struct stream_dir_info di;
    stream_dir_info(T.f, S2C, &di);
    CHECK_EQ_U(di.isn, 7777);
    CHECK_EQ_U(di.next_seq, 7778);
    /* A late copy of the losing SYN/ACK changes nothing. */
    tx(&T, S2C, 5000, 1001, S | A, NULL, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(T.res.n_facts, 0);
    stream_dir_info(T.f, S2C, &di);
    CHECK_EQ_U(di.isn, 7777);
    tx(&T, S2C, 7778, 1001, A, "hi", 2);
    CHECK(data_is(&T.res, "hi"));
    CHECK_EQ_U(T.res.data_offset, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    env_fini(&T);

    /* Only an identical retransmitted SYN/ACK: nothing. */
    env_init(&T, NULL);
    tx(&T, C2S, 1000, 0, S, NULL, 0);
    tx(&T, S2C, 5000, 1001, S | A, NULL, 0);
    tx(&T, S2C, 5000, 1001, S | A, NULL, 0);
    CHECK_EQ_U(T.res.n_facts, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    tx(&T, C2S, 1001, 5001, A, NULL, 0);
    CHECK_EQ_U(ctr(&T)->synack_races, 0);
    /* A SYN/ACK acknowledging another ISN is flagged, not followed. */
    tx(&T, S2C, 6000, 2001, S | A, NULL, 0);
    CHECK(has_anom(&T.p, ANOM_STREAM_3WHS_SYNACK_WRONG_ACK));
    CHECK_EQ_U(T.res.n_facts, 0);
    env_fini(&T);
}

static void test_simultaneous_open(void)
{
    struct tenv T;
    env_init(&T, NULL);
    tx(&T, C2S, 1000, 0, S, NULL, 0);
    tx(&T, S2C, 5000, 0, S, NULL, 0);
    tx(&T, C2S, 1000, 5001, S | A, NULL, 0);
    tx(&T, S2C, 5000, 1001, S | A, NULL, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(T.res.n_facts, 0);
    tx(&T, C2S, 1001, 5001, A, "ab", 2);
    CHECK(data_is(&T.res, "ab"));
    tx(&T, S2C, 5001, 1003, A, "cd", 2);
    CHECK(data_is(&T.res, "cd"));
    CHECK_EQ_U(ctr(&T)->invalid, 0);
    CHECK_EQ_U(ctr(&T)->synack_races, 0);
    env_fini(&T);
}

static void test_wraparound(void)
{
    struct tenv T;
    env_init(&T, NULL);
    uint32_t ci = 0xFFFFFF00u;
    handshake(&T, ci, 5000);
    static uint8_t d[512];
    for (unsigned i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(i * 7 + 3);
    /* [ci+1, ci+0x81) then [0x81 before wrap .. 0x01) then [0x01, ..): sent 1, 3, 2. */
    tx(&T, C2S, ci + 1, 5001, A, d, 0x80);
    CHECK_EQ_U(T.res.data_len, 0x80);
    tx(&T, C2S, 1u, 5001, A, d + 0x100, 0x100);
    CHECK_EQ_U(T.res.data_len, 0);
    tx(&T, C2S, ci + 0x81, 5001, A, d + 0x80, 0x80);
    CHECK_EQ_U(T.res.data_len, 0x180);
    CHECK_EQ_U(T.res.data_offset, 0x80);
    CHECK(T.res.data && memcmp(T.res.data, d + 0x80, 0x180) == 0);
    CHECK_EQ_U(T.coll[C2S].end, 0x200);
    CHECK(memcmp(T.coll[C2S].buf, d, 0x200) == 0);
    struct stream_dir_info di;
    stream_dir_info(T.f, C2S, &di);
    CHECK_EQ_U(di.next_seq, 0x101);
    /* An overlap straddling 2^32 with one byte changed on each side of it: one fact against the
     * segment before the wrap, one against the segment after it. */
    uint8_t x[0x20];
    memcpy(x, d + 0xF0, sizeof x);
    x[0x05] ^= 0xFF;
    x[0x12] ^= 0xFF;
    tx(&T, C2S, ci + 0xF1, 5001, A, x, sizeof x);
    CHECK_EQ_U(T.res.n_facts, 2);
    CHECK_EQ_U(T.res.facts[0].diff_bytes, 1);
    CHECK_EQ_U(T.res.facts[0].ov_seq, ci + 0xF1);
    CHECK_EQ_U(T.res.facts[0].ov_len, 0x10);
    CHECK_EQ_U(T.res.facts[0].first.seq, ci + 0x81);
    CHECK_EQ_U(T.res.facts[0].first_data_seq, ci + 0x81);
    CHECK_EQ_U(T.res.facts[0].first_data_len, 0x80);
    CHECK(memcmp(T.res.facts[0].first_data, d + 0x80, 0x80) == 0);
    CHECK_EQ_U(T.res.facts[1].diff_bytes, 1);
    CHECK_EQ_U(T.res.facts[1].ov_seq, 1);
    CHECK_EQ_U(T.res.facts[1].ov_len, 0x10);
    CHECK_EQ_U(T.res.facts[1].first.seq, 1);
    CHECK_EQ_U(T.res.facts[1].first_data_len, 0x100);
    CHECK(memcmp(T.res.facts[1].first_data, d + 0x100, 0x100) == 0);
    CHECK_EQ_U(T.res.retransmitted, 0x1E);
    CHECK_EQ_U(ctr(&T)->gaps, 0);
    env_fini(&T);
}

static void test_gap_acked(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    static char a[100], b[100], c[100];
    memset(a, 'a', 100);
    memset(b, 'b', 100);
    memset(c, 'c', 100);
    tx(&T, C2S, 1001, 5001, A, a, 100);
    CHECK_EQ_U(T.res.data_len, 100);
    /* [1101, 1201) is lost by the capture; [1201, 1301) waits in the queue. */
    tx(&T, C2S, 1201, 5001, A, c, 100);
    CHECK_EQ_U(T.res.data_len, 0);
    /* The server acknowledges everything: the hole was lost by us, not by it. */
    tx(&T, S2C, 5001, 1301, A, NULL, 0);
    CHECK_EQ_U(T.res.gap_len, 0);
    tx(&T, C2S, 1301, 5001, A, NULL, 0);
    CHECK_EQ_U(T.res.gap_len, 100);
    CHECK_EQ_U(T.res.data_len, 100);
    CHECK_EQ_U(T.res.data_offset, 200);
    CHECK(T.res.data && T.res.data[0] == 'c' && T.res.data[99] == 'c');
    CHECK(has_anom(&T.p, ANOM_STREAM_SEQ_GAP));
    CHECK_EQ_U(ctr(&T)->gaps, 1);
    CHECK_EQ_U(ctr(&T)->gap_bytes, 100);
    tx(&T, C2S, 1301, 5001, A, "d", 1);
    CHECK_EQ_U(T.res.data_offset, 300);
    CHECK_EQ_U(T.res.gap_len, 0);
    /* The lost segment shows up late: nothing to deliver, nothing held to compare with. */
    tx(&T, C2S, 1101, 5001, A, b, 100);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(T.res.n_facts, 0);
    CHECK_EQ_U(ctr(&T)->unverified_bytes, 100);
    struct stream_dir_info di;
    stream_dir_info(T.f, C2S, &di);
    CHECK_EQ_U(di.delivered, 201);
    CHECK_EQ_U(di.offset, 301);

    /* When the ACK arrives before the data that fills the hole (span-port reordering), the
     * filling segment is taken, not skipped. */
    tx(&T, C2S, 1402, 5001, A, "f", 1);
    tx(&T, S2C, 5001, 1403, A, NULL, 0);
    tx(&T, C2S, 1302, 5001, A, b, 100);
    CHECK_EQ_U(T.res.gap_len, 0);
    CHECK_EQ_U(T.res.data_len, 101);
    CHECK_EQ_U(ctr(&T)->gaps, 1);
    env_fini(&T);
}

static void test_queue_cap(void)
{
    struct stream_config cfg;
    stream_config_default(&cfg);
    cfg.max_queued_segs = 4;
    struct tenv T;
    env_init(&T, &cfg);
    handshake(&T, 1000, 5000);
    /* Four out-of-order segments with holes between them fill the queue. */
    tx(&T, C2S, 1101, 5001, A, "1111111111", 10);
    tx(&T, C2S, 1121, 5001, A, "2222222222", 10);
    tx(&T, C2S, 1141, 5001, A, "3333333333", 10);
    tx(&T, C2S, 1161, 5001, A, "4444444444", 10);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(T.coll[C2S].end, 0);
    /* The fifth: the first hole is given up, delivery resumes after it. */
    tx(&T, C2S, 1181, 5001, A, "5555555555", 10);
    CHECK(has_anom(&T.p, ANOM_STREAM_QUEUE_FULL));
    CHECK(has_anom(&T.p, ANOM_STREAM_SEQ_GAP));
    CHECK_EQ_U(T.res.gap_len, 100);
    CHECK(data_is(&T.res, "1111111111"));
    CHECK_EQ_U(T.res.data_offset, 100);
    CHECK_EQ_U(ctr(&T)->queue_full, 1);
    CHECK_EQ_U(ctr(&T)->queue_drops, 0);
    /* Filling the next hole delivers the rest in order. */
    tx(&T, C2S, 1111, 5001, A, "aaaaaaaaaa", 10);
    CHECK(data_is(&T.res, "aaaaaaaaaa2222222222"));
    CHECK_EQ_U(T.res.data_offset, 110);
    env_fini(&T);

    /* A queue of zero: every out-of-order segment is a skip (or a drop when one was already made
     * in the same call). */
    stream_config_default(&cfg);
    cfg.max_queued_segs = 0;
    env_init(&T, &cfg);
    handshake(&T, 1000, 5000);
    tx(&T, C2S, 1011, 5001, A, "bbbbbbbbbb", 10);
    CHECK_EQ_U(T.res.gap_len, 10);
    CHECK(data_is(&T.res, "bbbbbbbbbb"));
    CHECK_EQ_U(T.res.data_offset, 10);
    env_fini(&T);
}

static void test_midstream(void)
{
    struct tenv T;
    env_init(&T, NULL);
    tx(&T, C2S, 5000, 9000, A | P, "hello", 5);
    CHECK(data_is(&T.res, "hello"));
    CHECK_EQ_U(T.res.data_offset, 0);
    CHECK_EQ_U(ctr(&T)->midstream_pickups, 1);
    tx(&T, S2C, 9000, 5005, A | P, "world", 5);
    CHECK(data_is(&T.res, "world"));
    CHECK_EQ_U(T.res.data_offset, 0);
    tx(&T, C2S, 5005, 9005, A | P, "!", 1);
    CHECK_EQ_U(T.res.data_offset, 5);
    struct stream_dir_info di;
    CHECK(stream_dir_info(T.f, C2S, &di));
    CHECK(di.midstream);
    CHECK(!di.isn_known);
    CHECK(!di.window_known); /* window scale unknown without the SYNs */
    CHECK_EQ_U(T.p.n_anom, 0);
    env_fini(&T);

    struct stream_config cfg;
    stream_config_default(&cfg);
    cfg.midstream = false;
    env_init(&T, &cfg);
    tx(&T, C2S, 5000, 9000, A | P, "hello", 5);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK(T.f->tcp == NULL);
    CHECK(!stream_dir_info(T.f, C2S, &di));
    CHECK_EQ_U(ctr(&T)->midstream_refused, 1);
    CHECK_EQ_U(ctr(&T)->sessions, 0);
    env_fini(&T);
}

static void test_one_sided(void)
{
    struct tenv T;
    env_init(&T, NULL);
    tx(&T, C2S, 1000, 0, S, NULL, 0);
    tx(&T, C2S, 1001, 7001, A, NULL, 0);
    tx(&T, C2S, 1001, 7001, A | P, "abc", 3);
    CHECK(data_is(&T.res, "abc"));
    tx(&T, C2S, 1004, 7050, A | P, "def", 3);
    CHECK(data_is(&T.res, "def"));
    tx(&T, C2S, 1007, 7090, A | F, NULL, 0);
    CHECK(coll_is(&T, C2S, "abcdef"));
    CHECK_EQ_U(T.coll[S2C].end, 0);
    CHECK_EQ_U(ctr(&T)->invalid, 0);
    CHECK_EQ_U(ctr(&T)->anomalies[ANOM_STREAM_PKT_OUTSIDE_WINDOW - STREAM_ANOM_FIRST], 0);
    env_fini(&T);

    /* Only the server side (SYN/ACK then data). */
    env_init(&T, NULL);
    tx(&T, S2C, 5000, 1001, S | A, NULL, 0);
    tx(&T, S2C, 5001, 1001, A, "xyz", 3);
    CHECK(data_is(&T.res, "xyz"));
    CHECK_EQ_U(T.res.data_offset, 0);
    struct stream_dir_info di;
    stream_dir_info(T.f, C2S, &di);
    CHECK(di.isn_known);
    CHECK_EQ_U(di.isn, 1000); /* inferred from the SYN/ACK's ACK */
    CHECK_EQ_U(ctr(&T)->invalid, 0);
    env_fini(&T);
}

static void test_span_duplicates(void)
{
    struct tenv T;
    env_init(&T, NULL);
    struct {
        int from;
        uint32_t seq, ack;
        uint8_t fl;
        const char *d;
    } pk[] = {
        {C2S, 1000, 0, S, NULL},        {S2C, 5000, 1001, S | A, NULL},
        {C2S, 1001, 5001, A, NULL},     {C2S, 1001, 5001, A | P, "req-1;"},
        {S2C, 5001, 1007, A, "resp-"},  {S2C, 5011, 1007, A, "tail"},
        {S2C, 5006, 1007, A, "part2"},  {C2S, 1007, 5015, A | F, NULL},
        {S2C, 5015, 1008, A | F, NULL},
    };
    for (unsigned i = 0; i < sizeof pk / sizeof pk[0]; i++)
        for (int k = 0; k < 2; k++) {
            uint32_t n = pk[i].d ? (uint32_t)strlen(pk[i].d) : 0;
            tx(&T, pk[i].from, pk[i].seq, pk[i].ack, pk[i].fl, pk[i].d, n);
            CHECK_EQ_U(T.p.n_anom, 0);
            CHECK_EQ_U(T.res.n_facts, 0);
        }
    CHECK(coll_is(&T, C2S, "req-1;"));
    CHECK(coll_is(&T, S2C, "resp-part2tail"));
    CHECK_EQ_U(ctr(&T)->overlaps_different, 0);
    CHECK_EQ_U(ctr(&T)->synack_races, 0);
    CHECK_EQ_U(ctr(&T)->retransmissions, 4);
    CHECK_EQ_U(ctr(&T)->retransmitted_bytes, 20);
    CHECK_EQ_U(ctr(&T)->invalid, 0);
    env_fini(&T);
}

static void test_keepalive_and_zero_window(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    tx(&T, C2S, 1001, 5001, A, "0123456789", 10);
    /* Keep-alives: seq = next - 1 with one garbage byte, or none. */
    tx(&T, C2S, 1010, 5001, A, "\0", 1);
    CHECK_EQ_U(T.res.n_facts, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(T.res.data_len, 0);
    tx(&T, C2S, 1010, 5001, A, NULL, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(ctr(&T)->keepalives, 2);
    /* The server closes its window; the client probes with the next byte. */
    T.win = 0;
    tx(&T, S2C, 5001, 1011, A, NULL, 0);
    T.win = 65535;
    tx(&T, C2S, 1011, 5001, A, "a", 1);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(T.p.n_anom, 0);
    tx(&T, C2S, 1011, 5001, A, "a", 1);
    CHECK_EQ_U(T.p.n_anom, 0);
    CHECK_EQ_U(ctr(&T)->zero_window_probes, 2);
    /* The window opens: the byte comes again, with more. */
    tx(&T, S2C, 5001, 1011, A, NULL, 0);
    tx(&T, C2S, 1011, 5001, A, "abcdef", 6);
    CHECK(data_is(&T.res, "abcdef"));
    CHECK_EQ_U(T.res.data_offset, 10);
    CHECK_EQ_U(ctr(&T)->overlaps_different, 0);
    CHECK(coll_is(&T, C2S, "0123456789abcdef"));
    env_fini(&T);
}

static void test_offload_segments(void)
{
    struct tenv T;
    env_init(&T, NULL);
    T.wscale = 7;
    handshake(&T, 1000, 5000);
    T.wscale = -1;
    tx(&T, S2C, 5001, 1001, A, NULL, 0); /* window 65535 << 7 */
    static uint8_t big[65000];
    for (unsigned i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 31 + (i >> 8));
    uint32_t seq = 1001;
    for (int k = 0; k < 4; k++) {
        tx(&T, C2S, seq, 5001, A, big, sizeof big);
        CHECK_EQ_U(T.res.data_len, sizeof big);
        CHECK_EQ_U(T.res.data_offset, (uint64_t)k * sizeof big);
        CHECK(T.res.data && memcmp(T.res.data, big, sizeof big) == 0);
        CHECK_EQ_U(T.p.n_anom, 0);
        seq += sizeof big;
    }
    /* The last 64 KiB are retained: an overlap there is still compared. */
    tx(&T, C2S, seq - 100, 5001, A, big + sizeof big - 100, 100);
    CHECK_EQ_U(T.res.retransmitted, 100);
    CHECK(stream__flow_memuse(T.f) <= 1u << 20);
    CHECK(stream__flow_memuse(T.f) >= 2 * 65536u); /* the buffer had to grow past 64 KiB */
    env_fini(&T);
}

static void test_ring_and_fact_limits(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    /* 300 one-byte segments: the ring keeps the last 256 records, the first 44 bytes lose theirs.
     */
    char s[301];
    for (int i = 0; i < 300; i++) {
        s[i] = (char)('a' + i % 26);
        tx(&T, C2S, 1001u + (uint32_t)i, 5001, A, &s[i], 1);
        CHECK_EQ_U(T.res.data_len, 1);
    }
    s[300] = 0;
    CHECK_EQ_U(ctr(&T)->meta_evicted, 300 - 256);
    tx(&T, C2S, 1001, 5001, A, "#", 1);
    CHECK_EQ_U(T.res.n_facts, 1);
    CHECK_EQ_U(T.res.facts[0].first.pcap_cnt, 0); /* held, but its segment is forgotten */
    CHECK_EQ_U(T.res.facts[0].first.seq, 1001);
    CHECK_EQ_U(T.res.facts[0].first_data_len, 1);
    CHECK(T.res.facts[0].first_data[0] == 'a');
    /* Six differing held segments in one packet: four facts, in order; two counted as dropped. */
    char x[10];
    memset(x, '#', sizeof x);
    tx(&T, C2S, 1001 + 290, 5001, A, x, 6);
    CHECK_EQ_U(T.res.n_facts, STREAM_MAX_FACTS);
    CHECK_EQ_U(T.res.facts[0].ov_seq, 1291);
    CHECK_EQ_U(T.res.facts[3].ov_seq, 1294);
    CHECK_EQ_U(T.res.facts[0].first.len, 1);
    CHECK(T.res.facts[0].first.pcap_cnt != 0);
    CHECK_EQ_U(ctr(&T)->facts_dropped, 2);
    CHECK_EQ_U(ctr(&T)->overlaps_different, 7);
    CHECK(coll_is(&T, C2S, s));
    env_fini(&T);
}

static void test_alloc_failure(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    /* The buffer allocation fails (not the memcap): treated like a memcap hit. */
    vg_alloc_fail_after(0);
    tx(&T, C2S, 1001, 5001, A, "abc", 3);
    vg_alloc_fail_after(-1);
    CHECK(has_anom(&T.p, ANOM_STREAM_MEMCAP));
    CHECK(data_is(&T.res, "abc"));
    CHECK(T.res.data == T.p.payload);
    tx(&T, C2S, 1004, 5001, A, "def", 3);
    CHECK(data_is(&T.res, "def"));
    CHECK(coll_is(&T, C2S, "abcdef"));
    env_fini(&T);

    /* A ring that cannot be allocated only loses metadata: the bytes are still held. */
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    vg_alloc_fail_after(1); /* the buffer succeeds, the ring after it fails */
    tx(&T, C2S, 1001, 5001, A, "abc", 3);
    vg_alloc_fail_after(-1);
    CHECK(data_is(&T.res, "abc"));
    CHECK(T.res.data != T.p.payload);
    CHECK(!has_anom(&T.p, ANOM_STREAM_MEMCAP));
    tx(&T, C2S, 1001, 5001, A, "aXc", 3);
    CHECK_EQ_U(T.res.n_facts, 1);
    CHECK_EQ_U(T.res.facts[0].first.pcap_cnt, 0);
    CHECK_EQ_U(T.res.facts[0].diff_bytes, 1);
    CHECK(memcmp(T.res.facts[0].first_data, "abc", 3) == 0);
    tx(&T, C2S, 1004, 5001, A, "def", 3);
    CHECK(data_is(&T.res, "def"));
    env_fini(&T);
}

static void test_window_and_rst(void)
{
    struct tenv T;
    env_init(&T, NULL);
    handshake(&T, 1000, 5000);
    T.win = 1000;
    tx(&T, S2C, 5001, 1001, A, NULL, 0);
    T.win = 65535;
    /* Far beyond the receiver's window: flagged, still held. */
    tx(&T, C2S, 1001 + 5000, 5001, A, "zz", 2);
    CHECK(has_anom(&T.p, ANOM_STREAM_PKT_OUTSIDE_WINDOW));
    CHECK_EQ_U(ctr(&T)->queued_segments, 1);
    /* Data after RST from the same sender. */
    tx(&T, C2S, 1001, 5001, R | A, NULL, 0);
    struct stream_dir_info di;
    stream_dir_info(T.f, C2S, &di);
    CHECK(di.rst_seen);
    tx(&T, C2S, 1001, 5001, A, "after", 5);
    CHECK(has_anom(&T.p, ANOM_STREAM_DATA_AFTER_RST));
    CHECK(data_is(&T.res, "after")); /* flagged, not dropped: the RST may be the forged one */
    env_fini(&T);
}

static void test_flow_memcap(void)
{
    struct stream_config cfg;
    stream_config_default(&cfg);
    cfg.flow_memcap = 8192;
    struct tenv T;
    env_init(&T, &cfg);
    handshake(&T, 1000, 5000);
    static uint8_t d[3000];
    memset(d, 'x', sizeof d);
    tx(&T, C2S, 1001, 5001, A, d, 1000);
    CHECK_EQ_U(T.res.data_len, 1000);
    /* Out of order beyond what 8 KiB may hold: the flow stops retaining and queueing; with
     * nothing to queue into, the segment (inside the window) is taken after a gap, straight from
     * the packet. */
    tx(&T, C2S, 1001 + 6000, 5001, A, d, 3000);
    CHECK(has_anom(&T.p, ANOM_STREAM_MEMCAP));
    CHECK(ctr(&T)->flow_memcap_hits >= 1);
    CHECK(stream__flow_memuse(T.f) <= 8192);
    CHECK_EQ_U(stream__flow_memuse(T.f), sizeof(struct stream_tcp));
    CHECK_EQ_U(T.res.gap_len, 5000);
    CHECK_EQ_U(T.res.data_len, 3000);
    CHECK(T.res.data == T.p.payload);
    /* In-order data comes straight from the packet; nothing is compared any more. */
    tx(&T, C2S, 1001 + 9000, 5001, A, d, 500);
    CHECK_EQ_U(T.res.data_len, 500);
    CHECK_EQ_U(T.res.data_offset, 9000);
    CHECK(T.res.data == T.p.payload);
    CHECK(!has_anom(&T.p, ANOM_STREAM_MEMCAP)); /* once per flow */
    tx(&T, C2S, 1001 + 9000, 5001, A, d, 500);
    CHECK_EQ_U(T.res.data_len, 0);
    CHECK_EQ_U(T.res.retransmitted, 0);
    CHECK(stream__flow_memuse(T.f) <= 8192);
    CHECK_EQ_U(ctr(&T)->anomalies[ANOM_STREAM_MEMCAP - STREAM_ANOM_FIRST], 1);
    env_fini(&T);
}

static void test_global_memcap_flood(void)
{
    struct stream_config cfg;
    stream_config_default(&cfg);
    cfg.memcap = 1u << 20;
    struct tenv T;
    env_init(&T, &cfg);
    T.many_flows = true;
    static uint8_t d[1200];
    memset(d, 'q', sizeof d);
    for (unsigned i = 0; i < 100000; i++) {
        T.cli_last = (uint8_t)(1 + i % 250);
        T.cli_port = (uint16_t)(1024 + i / 250);
        tx(&T, C2S, 1000 + i, 0, S, NULL, 0);
        if (i % 4 == 0) tx(&T, C2S, 1000 + i + 5000, 0, A, d, sizeof d);
        if (ctr(&T)->memuse > cfg.memcap) break;
    }
    const struct stream_counters *c = ctr(&T);
    CHECK(c->memuse <= cfg.memcap);
    CHECK(c->memuse_max <= cfg.memcap);
    CHECK(c->ssn_memcap_drops > 0);
    CHECK(c->memcap_hits > 0);
    CHECK(c->sessions >= 64);
    CHECK(c->sessions < 100000);
    flow_table_flush(T.ft, FLOW_END_SHUTDOWN);
    /* Everything but the pool slabs is given back. */
    CHECK(c->memuse <= cfg.memcap && c->memuse % sizeof(struct stream__slab) == 0);
    env_fini(&T);
}

int main(void)
{
    RUN(test_handshake_inorder);
    RUN(test_ooo_then_fill);
    RUN(test_retransmission_identical);
    RUN(test_overlap_same_len_different);
    RUN(test_overlap_different_length);
    RUN(test_overlap_queued_coalesce);
    RUN(test_overlap_at_fin);
    RUN(test_synack_race);
    RUN(test_simultaneous_open);
    RUN(test_wraparound);
    RUN(test_gap_acked);
    RUN(test_queue_cap);
    RUN(test_midstream);
    RUN(test_one_sided);
    RUN(test_span_duplicates);
    RUN(test_keepalive_and_zero_window);
    RUN(test_offload_segments);
    RUN(test_ring_and_fact_limits);
    RUN(test_alloc_failure);
    RUN(test_window_and_rst);
    RUN(test_flow_memcap);
    RUN(test_global_memcap_flood);
    return vg_test_done("stream");
}
