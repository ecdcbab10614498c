/* test_tamper.c - unit tests of the tamper module: tamper_packet driven with synthetic packets and
 * stream facts (as the stream module would report them), findings collected at tamper_flow_end,
 * and the EVE alert written by eve_tamper_alert. */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/dns/dns.h"
#include "core/vg_alloc.h"
#include "output/eve_tamper.h"
#include "output/json_writer.h"
#include "tamper/tamper.h"
#include "tamper/tamper_int.h"
#include "vg_test.h"

/* ---- fixture: one TCP connection, client 10.0.0.1:40000 -> server 93.184.216.34:80 ---------- */

struct side {
    uint8_t ttl;
    bool df;
    uint16_t id; /* next IP ID */
    uint16_t win;
    bool ts;
    uint32_t tsval0; /* TS clock at t = 0, 1000 Hz */
    uint32_t nxt;    /* next sequence number */
    uint32_t last_tsval;
};

#define MAXGOT 10
struct fx {
    struct tamper_ctx *ctx;
    struct flow f;
    uint64_t cnt;
    int64_t t_us;
    struct side s[2];
    int n_got;
    struct tamper_finding got[MAXGOT];
    char json[MAXGOT][40000];
};

static struct fx X;

static void fx_init_cfg(const struct tamper_config *cfg)
{
    if (X.ctx) tamper_ctx_free(X.ctx);
    memset(&X, 0, sizeof X);
    X.ctx = cfg ? tamper_ctx_new_with(cfg) : tamper_ctx_new();
    X.f.src.family = X.f.dst.family = 4;
    memcpy(X.f.src.a, "\x0a\x00\x00\x01", 4);
    memcpy(X.f.dst.a, "\x5d\xb8\xd8\x22", 4);
    X.f.sport = 40000;
    X.f.dport = 80;
    X.f.proto = 6;
    X.f.flow_id = 1234567;
    X.f.start.sec = 1700000000;
    X.t_us = 0;
    X.s[FLOW_TOSERVER] = (struct side){64, true, 0x1000, 502, true, 100000, 1000, 0};
    X.s[FLOW_TOCLIENT] = (struct side){54, true, 0x4000, 235, true, 900000, 5000, 0};
}

static void fx_init(void)
{
    fx_init_cfg(NULL);
}

static struct vg_ts now_ts(void)
{
    struct vg_ts ts = {1700000000 + X.t_us / 1000000, (uint32_t)(X.t_us % 1000000) * 1000};
    return ts;
}

/* A packet as the genuine sender of direction dir would send it (advances its IP ID; the caller
 * decides seq/ack). */
static struct packet genuine(int dir, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                             uint32_t len)
{
    struct side *s = &X.s[dir], *peer = &X.s[dir ^ 1];
    struct packet p;
    memset(&p, 0, sizeof p);
    X.t_us += 1000;
    p.pcap_cnt = ++X.cnt;
    p.ts = now_ts();
    p.ip_ver = 4;
    p.proto = 6;
    p.src = dir == FLOW_TOSERVER ? X.f.src : X.f.dst;
    p.dst = dir == FLOW_TOSERVER ? X.f.dst : X.f.src;
    p.sport = dir == FLOW_TOSERVER ? X.f.sport : X.f.dport;
    p.dport = dir == FLOW_TOSERVER ? X.f.dport : X.f.sport;
    p.ttl = s->ttl;
    p.df = s->df;
    p.ip_id = s->id++;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_win = (flags & VG_TCP_SYN) ? 64240 : s->win;
    if (s->ts) {
        p.tcp_opts.has_ts = true;
        p.tcp_opts.ts_val = s->tsval0 + (uint32_t)(X.t_us / 1000);
        p.tcp_opts.ts_ecr = (flags & VG_TCP_ACK) ? peer->last_tsval : 0;
        s->last_tsval = p.tcp_opts.ts_val;
        if (flags & VG_TCP_SYN) {
            static const uint8_t syn_lay[] = {2, 4, 8, 1, 3};
            memcpy(p.tcp_opts.layout, syn_lay, sizeof syn_lay);
            p.tcp_opts.layout_len = sizeof syn_lay;
            p.tcp_opts.has_mss = p.tcp_opts.has_wscale = p.tcp_opts.sack_perm = true;
            p.tcp_opts.mss = 1460;
            p.tcp_opts.wscale = 7;
        } else {
            static const uint8_t lay[] = {1, 1, 8};
            memcpy(p.tcp_opts.layout, lay, sizeof lay);
            p.tcp_opts.layout_len = sizeof lay;
        }
    }
    p.payload = len ? data : NULL;
    p.payload_len = len;
    return p;
}

/* The same packet as a typical injector crafts it: another TTL, IP ID 1, no DF, no options,
 * window 8192 (the Fox-IT QUANTUMINSERT captures). */
static struct packet forged(int dir, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                            uint32_t len)
{
    struct packet p = genuine(dir, flags, seq, ack, data, len);
    X.s[dir].id--; /* the genuine sender's counter did not move */
    p.ttl = 58;
    p.ip_id = 1;
    p.df = false;
    memset(&p.tcp_opts, 0, sizeof p.tcp_opts);
    p.tcp_win = 8192;
    return p;
}

static struct stream_seg_meta meta_of(const struct packet *p)
{
    struct stream_seg_meta m;
    memset(&m, 0, sizeof m);
    m.pcap_cnt = p->pcap_cnt;
    m.ts = p->ts;
    m.seq = p->tcp_seq;
    m.len = p->payload_len;
    m.ttl = p->ttl;
    m.tcp_flags = p->tcp_flags;
    m.ip_id = p->ip_id;
    m.df = p->df;
    m.window = p->tcp_win;
    m.opts = p->tcp_opts;
    return m;
}

static void flow_note(const struct packet *p, int dir)
{
    X.f.pkts[dir]++;
    X.f.bytes[dir] += 54 + p->payload_len;
    X.f.last = p->ts;
}

/* Feeds p with a stream result that delivers its payload in order (unless deliver is false). */
static void feed_sr(struct packet *p, int dir, struct stream_result *sr)
{
    flow_note(p, dir);
    tamper_packet(X.ctx, &X.f, p, dir, sr);
}

static void feed(struct packet *p, int dir, bool deliver)
{
    struct stream_result sr;
    memset(&sr, 0, sizeof sr);
    sr.dir = dir;
    if (deliver && p->payload_len) {
        sr.data = p->payload;
        sr.data_len = p->payload_len;
    }
    feed_sr(p, dir, &sr);
}

/* Feeds `second` with an overlap fact against `first`. */
static void feed_overlap(struct packet *first, struct packet *second, int dir, bool first_delivered,
                         bool at_close)
{
    struct stream_result sr;
    memset(&sr, 0, sizeof sr);
    sr.dir = dir;
    sr.n_facts = 1;
    struct stream_fact *fa = &sr.facts[0];
    fa->kind = STREAM_FACT_DATA_OVERLAP;
    fa->dir = dir;
    fa->first = meta_of(first);
    fa->second = meta_of(second);
    uint32_t s = first->tcp_seq > second->tcp_seq ? first->tcp_seq : second->tcp_seq;
    uint32_t e1 = first->tcp_seq + first->payload_len, e2 = second->tcp_seq + second->payload_len;
    uint32_t e = e1 < e2 ? e1 : e2;
    fa->ov_seq = s;
    fa->ov_len = e - s;
    uint32_t diff = 0;
    for (uint32_t q = s; q < e; q++)
        if (((const uint8_t *)first->payload)[q - first->tcp_seq] !=
            ((const uint8_t *)second->payload)[q - second->tcp_seq])
            diff++;
    fa->diff_bytes = diff;
    fa->first_data = first->payload;
    fa->first_data_len = first->payload_len;
    fa->first_data_seq = first->tcp_seq;
    fa->second_data = second->payload;
    fa->second_data_len = second->payload_len;
    fa->first_delivered = first_delivered;
    fa->at_close = at_close;
    feed_sr(second, dir, &sr);
}

static void emit_cb(const struct flow *f, const struct tamper_finding *fd, void *ud)
{
    (void)ud;
    if (X.n_got >= MAXGOT) return;
    X.got[X.n_got] = *fd;
    struct jw w;
    jw_init(&w);
    eve_tamper_alert(&w, f, fd);
    size_t n = w.len < sizeof X.json[0] - 1 ? w.len : sizeof X.json[0] - 1;
    memcpy(X.json[X.n_got], w.buf, n);
    X.json[X.n_got][n] = '\0';
    jw_fini(&w);
    X.n_got++;
}

static void end_flow(void)
{
    tamper_flow_end(X.ctx, &X.f, emit_cb, NULL);
    if (getenv("TAMPER_TEST_DUMP"))
        for (int i = 0; i < X.n_got; i++)
            fprintf(stderr, "[%s] %s\n", vg_test_current, X.json[i]);
}

static const struct tamper_finding *find_sig(int sig)
{
    for (int i = 0; i < X.n_got; i++)
        if (X.got[i].sig == sig) return &X.got[i];
    return NULL;
}

static bool has_reason(const struct tamper_finding *fd, const char *sub)
{
    for (unsigned i = 0; i < fd->n_reasons; i++)
        if (strstr(fd->reasons[i], sub)) return true;
    return false;
}

/* Client SYN, server SYN/ACK, client ACK + request. Afterwards X.s[*].nxt are the next seqs. */
static const char REQ[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
static void handshake_and_request(void)
{
    struct side *c = &X.s[FLOW_TOSERVER], *s = &X.s[FLOW_TOCLIENT];
    struct packet p = genuine(FLOW_TOSERVER, VG_TCP_SYN, c->nxt, 0, NULL, 0);
    feed(&p, FLOW_TOSERVER, true);
    c->nxt++;
    p = genuine(FLOW_TOCLIENT, VG_TCP_SYN | VG_TCP_ACK, s->nxt, c->nxt, NULL, 0);
    feed(&p, FLOW_TOCLIENT, true);
    s->nxt++;
    p = genuine(FLOW_TOSERVER, VG_TCP_ACK, c->nxt, s->nxt, NULL, 0);
    feed(&p, FLOW_TOSERVER, true);
    p = genuine(FLOW_TOSERVER, VG_TCP_ACK | VG_TCP_PSH, c->nxt, s->nxt, REQ, sizeof REQ - 1);
    feed(&p, FLOW_TOSERVER, true);
    c->nxt += sizeof REQ - 1;
}

/* More genuine server data after the race so that the baseline has packets on both sides. */
static void server_tail(int n)
{
    static const char body[] = "0123456789abcdef0123456789abcdef";
    for (int i = 0; i < n; i++) {
        struct packet p = genuine(FLOW_TOCLIENT, VG_TCP_ACK, X.s[1].nxt, X.s[0].nxt, body, 32);
        feed(&p, FLOW_TOCLIENT, true);
        X.s[1].nxt += 32;
        p = genuine(FLOW_TOSERVER, VG_TCP_ACK, X.s[0].nxt, X.s[1].nxt, NULL, 0);
        feed(&p, FLOW_TOSERVER, true);
    }
}

static const char INJ[] = "HTTP/1.1 302 Found\r\nLocation: http://evil.example/x.exe\r\n\r\n";
static const char GEN[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\n"
                          "hello";

/* ---- races ----------------------------------------------------------------------------------- */

static void test_segment_veto_forged_first(void)
{
    fx_init();
    handshake_and_request();
    static char inj[sizeof GEN];
    memset(inj, 'X', sizeof inj);
    memcpy(inj, "HTTP/1.1 302 Found\r\n", 20);
    uint32_t seq = X.s[1].nxt;
    struct packet a =
        forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, inj, sizeof GEN - 1);
    feed(&a, FLOW_TOCLIENT, true);
    struct packet ack =
        genuine(FLOW_TOSERVER, VG_TCP_ACK, X.s[0].nxt, seq + sizeof GEN - 1, NULL, 0);
    feed(&ack, FLOW_TOSERVER, true);
    struct packet b =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    X.s[1].nxt += sizeof GEN - 1;
    server_tail(3);
    end_flow();
    CHECK_EQ_U(X.n_got, 2); /* and the http_race of the same overlap (test_http_race) */
    CHECK(find_sig(TAMPER_SIG_HTTP_RACE) != NULL);
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_SEGMENT_VETO);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->count, 1);
    CHECK_EQ_U(fd->dir, FLOW_TOCLIENT);
    CHECK_EQ_U(fd->c[0].pcap_cnt, a.pcap_cnt);
    CHECK_EQ_U(fd->c[1].pcap_cnt, b.pcap_cnt);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
    CHECK_EQ_U(fd->c[0].departs, TAMPER_DEP_TTL | TAMPER_DEP_IP_ID | TAMPER_DEP_DF |
                                     TAMPER_DEP_TCP_OPTIONS | TAMPER_DEP_WINDOW);
    CHECK_EQ_U(fd->c[1].departs, 0);
    CHECK(fd->confidence >= 80 && fd->confidence <= 100);
    CHECK(has_reason(fd, "overlapping bytes differ"));
    CHECK(has_reason(fd, "starts an HTTP response"));
    CHECK(has_reason(fd, "TTL 58"));
    CHECK_EQ_U(fd->baseline.n_ttl, 1);
    CHECK_EQ_U(fd->baseline.ttl[0], 54);
    CHECK_EQ_U(fd->baseline.initial_ttl, 64);
    CHECK_EQ_U(fd->baseline.hops, 10);
    CHECK_STR(fd->baseline.ip_id, "incrementing");
    CHECK_EQ_U(fd->baseline.wscale, 7);
    CHECK_EQ_U(fd->baseline.df, 1);
    CHECK_EQ_U(fd->c[0].payload_len, sizeof GEN - 1);
    CHECK(memcmp(fd->c[1].payload, GEN, sizeof GEN - 1) == 0);
    CHECK(!fd->c[0].payload_truncated);
    CHECK(X.f.tamper == NULL);
}

/* The attacker lost the race: the genuine segment came first, the forged one second. */
static void test_segment_veto_genuine_first(void)
{
    fx_init();
    handshake_and_request();
    static char inj[sizeof GEN];
    memset(inj, 'Y', sizeof inj);
    uint32_t seq = X.s[1].nxt;
    struct packet a =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed(&a, FLOW_TOCLIENT, true);
    struct packet b =
        forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, inj, sizeof GEN - 1);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    X.s[1].nxt += sizeof GEN - 1;
    server_tail(2);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_SEGMENT_VETO);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_GENUINE);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_FORGED);
    CHECK(fd->c[1].departs & TAMPER_DEP_IP_ID);
    CHECK(has_reason(fd, "starts an HTTP response")); /* the genuine response came first */
}

static void test_sloppy_injection(void)
{
    fx_init();
    handshake_and_request();
    uint32_t seq = X.s[1].nxt;
    struct packet a =
        forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, INJ, sizeof INJ - 1);
    feed(&a, FLOW_TOCLIENT, true);
    struct packet b =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    X.s[1].nxt = seq + sizeof INJ - 1;
    server_tail(2);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_SLOPPY_INJECTION);
    CHECK(fd != NULL);
    CHECK_EQ_U(X.n_got, 2); /* both versions start an HTTP response: an http_race too */
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
    CHECK(has_reason(fd, "lengths"));
}

static void test_coalesce_different_start(void)
{
    fx_init();
    handshake_and_request();
    uint32_t seq = X.s[1].nxt;
    /* an injected segment parked ahead of a gap (not delivered), then a genuine one overlapping
     * it from an earlier start */
    struct packet a = forged(FLOW_TOCLIENT, VG_TCP_ACK, seq + 10, X.s[0].nxt, INJ, sizeof INJ - 1);
    feed(&a, FLOW_TOCLIENT, false);
    struct packet b = genuine(FLOW_TOCLIENT, VG_TCP_ACK, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&a, &b, FLOW_TOCLIENT, false, false);
    X.s[1].nxt = seq + sizeof GEN - 1;
    server_tail(2);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_COALESCE_INJECTION);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK(has_reason(fd, "different sequence numbers"));
    CHECK(has_reason(fd, "held out of order"));
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
}

/* HoneyBadger's ordered coalesce: a filler releases queued injected bytes; later the genuine
 * sender's segment at the same sequence number overlaps them. */
static void test_coalesce_released_by_filler(void)
{
    fx_init();
    handshake_and_request();
    uint32_t seq = X.s[1].nxt;
    static const char tail[] = "Privacy is necessary for an open society";
    /* HoneyBadger's injector copies the sender's last packet: TTL, DF, window, options, TS - and
     * its IP ID, which an incrementing sender never repeats. */
    struct packet q =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK, seq + 12, X.s[0].nxt, tail, sizeof tail - 1);
    X.s[1].id--;
    q.ip_id = (uint16_t)(X.s[1].id - 1);
    feed(&q, FLOW_TOCLIENT, false);
    struct packet fill = genuine(FLOW_TOCLIENT, VG_TCP_ACK, seq, X.s[0].nxt, "meowmeowmeow", 12);
    X.s[1].id--;
    fill.ip_id = q.ip_id;
    fill.tcp_opts.ts_val = q.tcp_opts.ts_val;
    struct stream_result sr;
    memset(&sr, 0, sizeof sr);
    sr.dir = FLOW_TOCLIENT;
    sr.data_len = 12 + sizeof tail - 1; /* the filler released the queued segment */
    feed_sr(&fill, FLOW_TOCLIENT, &sr);
    struct packet ack = genuine(FLOW_TOSERVER, VG_TCP_ACK, X.s[0].nxt, seq + sr.data_len, NULL, 0);
    feed(&ack, FLOW_TOSERVER, true);
    struct packet g = genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, "3\n", 2);
    feed_overlap(&fill, &g, FLOW_TOCLIENT, true, false);
    X.s[1].nxt = seq + 2;
    server_tail(1);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_COALESCE_INJECTION);
    CHECK(fd != NULL);
    CHECK(find_sig(TAMPER_SIG_SLOPPY_INJECTION) == NULL);
    if (!fd) return;
    CHECK(has_reason(fd, "filled a gap"));
    CHECK_EQ_U(fd->c[0].pcap_cnt, fill.pcap_cnt);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[0].departs, TAMPER_DEP_IP_ID);
    CHECK_EQ_U(fd->c[1].departs, 0);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
}

static void test_close_injection_at_close(void)
{
    fx_init();
    handshake_and_request();
    uint32_t seq = X.s[1].nxt;
    struct packet a = forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_FIN, seq, X.s[0].nxt, "bye!", 4);
    feed(&a, FLOW_TOCLIENT, true);
    struct packet b = genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_FIN, seq, X.s[0].nxt, "data", 4);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, true);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_CLOSE_INJECTION);
    CHECK(fd != NULL);
    CHECK_EQ_U(X.n_got, 1);
    if (!fd) return;
    CHECK(has_reason(fd, "FIN"));
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
}

/* A forged early FIN, then the genuine sender's data past it. */
static void test_close_injection_data_past_fin(void)
{
    fx_init();
    handshake_and_request();
    uint32_t seq = X.s[1].nxt;
    struct packet fin = forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_FIN, seq, X.s[0].nxt, NULL, 0);
    feed(&fin, FLOW_TOCLIENT, true);
    struct packet d =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed(&d, FLOW_TOCLIENT, true);
    X.s[1].nxt = seq + sizeof GEN - 1;
    server_tail(2);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_CLOSE_INJECTION);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK(has_reason(fd, "past the sender's FIN"));
    CHECK_EQ_U(fd->c[0].pcap_cnt, fin.pcap_cnt);
    CHECK_EQ_U(fd->c[1].pcap_cnt, d.pcap_cnt);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
    CHECK_EQ_U(fd->c[1].payload_len, sizeof GEN - 1);
}

/* Benign: FIN retransmitted (same position), data then FIN in separate segments reordered. */
static void test_fin_benign(void)
{
    fx_init();
    handshake_and_request();
    uint32_t seq = X.s[1].nxt;
    struct packet d = genuine(FLOW_TOCLIENT, VG_TCP_ACK, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    struct packet fin =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_FIN, seq + sizeof GEN - 1, X.s[0].nxt, NULL, 0);
    feed(&fin, FLOW_TOCLIENT, false); /* the FIN overtook the data */
    feed(&d, FLOW_TOCLIENT, true);
    struct packet fin2 =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_FIN, seq + sizeof GEN - 1, X.s[0].nxt, NULL, 0);
    feed(&fin2, FLOW_TOCLIENT, true);
    end_flow();
    CHECK_EQ_U(X.n_got, 0);
}

/* HoneyBadger's handshake hijack: a second SYN/ACK copying the client's IP ID and SYN options
 * (TS echo 0). */
static void test_handshake_hijack(void)
{
    fx_init();
    X.s[1].df = true;
    struct side *c = &X.s[0], *s = &X.s[1];
    struct packet syn = genuine(FLOW_TOSERVER, VG_TCP_SYN, c->nxt, 0, NULL, 0);
    feed(&syn, FLOW_TOSERVER, true);
    c->nxt++;
    struct packet sa = genuine(FLOW_TOCLIENT, VG_TCP_SYN | VG_TCP_ACK, s->nxt, c->nxt, NULL, 0);
    sa.ip_id = 0; /* Linux answers SYNs with IP ID 0 */
    feed(&sa, FLOW_TOCLIENT, true);
    struct packet ack = genuine(FLOW_TOSERVER, VG_TCP_ACK, c->nxt, s->nxt + 1, NULL, 0);
    feed(&ack, FLOW_TOSERVER, true);
    struct packet sa2 = genuine(FLOW_TOCLIENT, VG_TCP_SYN | VG_TCP_ACK, 777777, c->nxt, NULL, 0);
    X.s[1].id--;
    sa2.ip_id = syn.ip_id;
    sa2.ttl = 54;
    sa2.tcp_opts = syn.tcp_opts; /* copied from the SYN: TS echo 0 */
    struct stream_result sr;
    memset(&sr, 0, sizeof sr);
    sr.dir = FLOW_TOCLIENT;
    sr.n_facts = 1;
    sr.facts[0].kind = STREAM_FACT_SYNACK_RACE;
    sr.facts[0].dir = FLOW_TOCLIENT;
    sr.facts[0].first = meta_of(&sa);
    sr.facts[0].second = meta_of(&sa2);
    feed_sr(&sa2, FLOW_TOCLIENT, &sr);
    s->nxt++;
    {
        struct packet p =
            genuine(FLOW_TOSERVER, VG_TCP_ACK | VG_TCP_PSH, c->nxt, s->nxt, REQ, sizeof REQ - 1);
        feed(&p, FLOW_TOSERVER, true);
        c->nxt += sizeof REQ - 1;
    }
    server_tail(3);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_HANDSHAKE_HIJACK);
    CHECK(fd != NULL);
    CHECK_EQ_U(X.n_got, 1);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].pcap_cnt, sa.pcap_cnt);
    CHECK_EQ_U(fd->c[1].pcap_cnt, sa2.pcap_cnt);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_GENUINE);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].departs, TAMPER_DEP_IP_ID | TAMPER_DEP_TS);
    CHECK(has_reason(fd, "copies one the peer just sent"));
    CHECK(has_reason(fd, "TS echo 0"));
    CHECK(has_reason(fd, "two SYN/ACKs"));
}

/* One field at a time decides the verdict. */
static void one_field_case(int field)
{
    fx_init();
    handshake_and_request();
    static char inj[sizeof GEN];
    memset(inj, 'Z', sizeof inj);
    uint32_t seq = X.s[1].nxt;
    struct packet a =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, inj, sizeof GEN - 1);
    X.s[1].id--;
    if (field == TAMPER_DEP_TTL) a.ttl = 61;
    if (field == TAMPER_DEP_IP_ID) a.ip_id = 0x9999;
    if (field == TAMPER_DEP_TCP_OPTIONS) {
        static const uint8_t lay[] = {8, 1, 1};
        memcpy(a.tcp_opts.layout, lay, 3);
    }
    feed(&a, FLOW_TOCLIENT, true);
    struct packet b =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    X.s[1].nxt += sizeof GEN - 1;
    server_tail(3);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_SEGMENT_VETO);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].departs, (unsigned)field);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
    CHECK_EQ_U(fd->c[1].departs, 0);
}

static void test_verdict_by_ttl(void)
{
    one_field_case(TAMPER_DEP_TTL);
}
static void test_verdict_by_ip_id(void)
{
    one_field_case(TAMPER_DEP_IP_ID);
}
static void test_verdict_by_options(void)
{
    one_field_case(TAMPER_DEP_TCP_OPTIONS);
}

/* Both contestants look like the sender: verdicts unknown, and a reason says so. */
static void test_neither_departs(void)
{
    fx_init();
    handshake_and_request();
    static char other[sizeof GEN];
    memset(other, 'Q', sizeof other);
    uint32_t seq = X.s[1].nxt;
    struct packet a =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, other, sizeof GEN - 1);
    feed(&a, FLOW_TOCLIENT, true);
    struct packet b =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    X.s[1].nxt += sizeof GEN - 1;
    server_tail(2);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_SEGMENT_VETO);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_UNKNOWN);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_UNKNOWN);
    CHECK_EQ_U(fd->c[0].departs | fd->c[1].departs, 0);
    CHECK(has_reason(fd, "neither contestant departs"));
    CHECK(fd->confidence < 80);
}

/* The injector sends more packets than the genuine sender (BroCon 2015 capture): the baseline
 * before the race still tells them apart. */
static void test_injector_outnumbers(void)
{
    fx_init();
    handshake_and_request();
    static char inj[1400];
    memset(inj, 'J', sizeof inj);
    uint32_t seq = X.s[1].nxt;
    struct packet first =
        forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, inj, 1400);
    feed(&first, FLOW_TOCLIENT, true);
    for (int i = 1; i < 6; i++) {
        struct packet k = forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq + 1400u * (unsigned)i,
                                 X.s[0].nxt, inj, 1400);
        feed(&k, FLOW_TOCLIENT, true);
    }
    struct packet g =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&first, &g, FLOW_TOCLIENT, true, false);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_SLOPPY_INJECTION);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
    CHECK(fd->c[0].departs & TAMPER_DEP_TTL);
}

/* Repeats fold into one finding with a count. */
static void test_count(void)
{
    fx_init();
    handshake_and_request();
    static char inj[sizeof GEN];
    memset(inj, 'R', sizeof inj);
    uint32_t seq = X.s[1].nxt;
    struct packet a =
        forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, inj, sizeof GEN - 1);
    feed(&a, FLOW_TOCLIENT, true);
    struct packet b =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    struct packet b2 =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&a, &b2, FLOW_TOCLIENT, true, false);
    end_flow();
    CHECK_EQ_U(X.n_got, 1);
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_SEGMENT_VETO);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->count, 2);
    CHECK_EQ_U(fd->c[1].pcap_cnt, b.pcap_cnt); /* the first occurrence is reported */
    CHECK(strstr(X.json[0], "\"count\":2") != NULL);
    CHECK_EQ_U(tamper_counters(X.ctx)->repeats, 1);
    CHECK_EQ_U(tamper_counters(X.ctx)->findings[TAMPER_SIG_SEGMENT_VETO], 1);
}

/* ---- forged resets ------------------------------------------------------------------------- */

static void data_exchange(void)
{
    handshake_and_request();
    server_tail(2);
}

static void test_rst_race(void)
{
    fx_init();
    data_exchange();
    uint32_t seq = X.s[1].nxt;
    struct packet r = forged(FLOW_TOCLIENT, VG_TCP_RST | VG_TCP_ACK, seq, X.s[0].nxt, NULL, 0);
    feed(&r, FLOW_TOCLIENT, true);
    struct packet d =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed(&d, FLOW_TOCLIENT, true);
    end_flow();
    CHECK_EQ_U(X.n_got, 1);
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_RST_RACE);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].pcap_cnt, r.pcap_cnt);
    CHECK_EQ_U(fd->c[1].pcap_cnt, d.pcap_cnt);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
    CHECK(fd->confidence <= 70);
    CHECK_EQ_U(tamper_sig_severity(fd->sig), 2);
    CHECK(strstr(X.json[0], "\"class\":\"forged_rst\"") != NULL);
    CHECK(strstr(X.json[0], "\"severity\":2") != NULL);
}

static void test_rst_data_after(void)
{
    fx_init();
    data_exchange();
    uint32_t seq = X.s[1].nxt;
    struct packet r =
        genuine(FLOW_TOCLIENT, VG_TCP_RST | VG_TCP_ACK, seq + 100, X.s[0].nxt, NULL, 0);
    feed(&r, FLOW_TOCLIENT, true);
    X.t_us += 3000000; /* 3 s later the "reset" sender retransmits old data */
    struct packet d = genuine(FLOW_TOCLIENT, VG_TCP_ACK, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed(&d, FLOW_TOCLIENT, true);
    end_flow();
    CHECK_EQ_U(X.n_got, 1);
    CHECK(find_sig(TAMPER_SIG_RST_DATA_AFTER) != NULL);
}

static void test_rst_seq_jump(void)
{
    fx_init();
    data_exchange();
    uint32_t seq = X.s[1].nxt;
    struct packet r1 = forged(FLOW_TOCLIENT, VG_TCP_RST, seq, 0, NULL, 0);
    feed(&r1, FLOW_TOCLIENT, true);
    struct packet r2 = forged(FLOW_TOCLIENT, VG_TCP_RST, seq + 1460, 0, NULL, 0);
    feed(&r2, FLOW_TOCLIENT, true);
    struct packet r3 = forged(FLOW_TOCLIENT, VG_TCP_RST, seq + 4380, 0, NULL, 0);
    feed(&r3, FLOW_TOCLIENT, true);
    end_flow();
    CHECK_EQ_U(X.n_got, 1);
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_RST_SEQ_JUMP);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->count, 2);
    CHECK_EQ_U(fd->c[0].pcap_cnt, r1.pcap_cnt);
    CHECK_EQ_U(fd->c[1].pcap_cnt, r2.pcap_cnt);
}

static void test_rst_ack_change(void)
{
    fx_init();
    data_exchange();
    uint32_t seq = X.s[1].nxt;
    struct packet r1 = forged(FLOW_TOCLIENT, VG_TCP_RST | VG_TCP_ACK, seq, X.s[0].nxt, NULL, 0);
    feed(&r1, FLOW_TOCLIENT, true);
    struct packet r2 =
        forged(FLOW_TOCLIENT, VG_TCP_RST | VG_TCP_ACK, seq, X.s[0].nxt + 1000, NULL, 0);
    feed(&r2, FLOW_TOCLIENT, true);
    end_flow();
    CHECK_EQ_U(X.n_got, 1);
    CHECK(find_sig(TAMPER_SIG_RST_ACK_CHANGE) != NULL);
}

/* Benign: FIN exchange, then a RST at FIN+1 (and a second one answering a late segment). */
static void test_rst_after_fin_benign(void)
{
    fx_init();
    data_exchange();
    struct packet f1 =
        genuine(FLOW_TOSERVER, VG_TCP_FIN | VG_TCP_ACK, X.s[0].nxt, X.s[1].nxt, NULL, 0);
    feed(&f1, FLOW_TOSERVER, true);
    X.s[0].nxt++;
    struct packet f2 =
        genuine(FLOW_TOCLIENT, VG_TCP_FIN | VG_TCP_ACK, X.s[1].nxt, X.s[0].nxt, NULL, 0);
    feed(&f2, FLOW_TOCLIENT, true);
    X.s[1].nxt++;
    struct packet r = genuine(FLOW_TOSERVER, VG_TCP_RST, X.s[0].nxt, 0, NULL, 0);
    feed(&r, FLOW_TOSERVER, true);
    struct packet late =
        genuine(FLOW_TOCLIENT, VG_TCP_FIN | VG_TCP_ACK, X.s[1].nxt - 1, X.s[0].nxt, NULL, 0);
    feed(&late, FLOW_TOCLIENT, true);
    struct packet r2 = genuine(FLOW_TOSERVER, VG_TCP_RST, X.s[0].nxt, 0, NULL, 0);
    feed(&r2, FLOW_TOSERVER, true);
    end_flow();
    CHECK_EQ_U(X.n_got, 0);
}

/* Benign: a SYN to a closed port answered by RST+ACK. */
static void test_rst_answering_syn_benign(void)
{
    fx_init();
    struct packet syn = genuine(FLOW_TOSERVER, VG_TCP_SYN, X.s[0].nxt, 0, NULL, 0);
    feed(&syn, FLOW_TOSERVER, true);
    struct packet r = genuine(FLOW_TOCLIENT, VG_TCP_RST | VG_TCP_ACK, 0, X.s[0].nxt + 1, NULL, 0);
    feed(&r, FLOW_TOCLIENT, true);
    struct packet syn2 = genuine(FLOW_TOSERVER, VG_TCP_SYN, X.s[0].nxt, 0, NULL, 0);
    feed(&syn2, FLOW_TOSERVER, true);
    end_flow();
    CHECK_EQ_U(X.n_got, 0);
}

/* Benign: an abortive close (RST+ACK at the right seq) and socket-less RSTs answering the data
 * that was in flight (same seq, no ACK bit), plus in-flight client data reordered behind. */
static void test_rst_ack_correct_benign(void)
{
    fx_init();
    data_exchange();
    struct packet inflight = genuine(FLOW_TOSERVER, VG_TCP_ACK, X.s[0].nxt, X.s[1].nxt, "abc", 3);
    X.s[0].nxt += 3;
    struct packet r =
        genuine(FLOW_TOSERVER, VG_TCP_RST | VG_TCP_ACK, X.s[0].nxt, X.s[1].nxt, NULL, 0);
    feed(&r, FLOW_TOSERVER, true);
    feed(&inflight, FLOW_TOSERVER, true); /* reordered behind the RST: seq below it */
    struct packet d =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK, X.s[1].nxt, X.s[0].nxt - 3, GEN, sizeof GEN - 1);
    feed(&d, FLOW_TOCLIENT, true);
    struct packet r2 = genuine(FLOW_TOSERVER, VG_TCP_RST, X.s[0].nxt, 0, NULL, 0);
    feed(&r2, FLOW_TOSERVER, true);
    struct packet d2 = genuine(FLOW_TOCLIENT, VG_TCP_ACK, X.s[1].nxt + sizeof GEN - 1,
                               X.s[0].nxt - 3, GEN, sizeof GEN - 1);
    feed(&d2, FLOW_TOCLIENT, true);
    struct packet r3 = genuine(FLOW_TOSERVER, VG_TCP_RST, X.s[0].nxt, 0, NULL, 0);
    feed(&r3, FLOW_TOSERVER, true);
    end_flow();
    CHECK_EQ_U(X.n_got, 0);
}

/* Benign: a RST burst answering each segment still in flight (a stack, or a firewall that saw the
 * first RST): every ACK is the end of one of the peer's segments. */
static void test_rst_answers_segments_benign(void)
{
    fx_init();
    data_exchange();
    uint32_t s0 = X.s[1].nxt;
    struct packet d[3];
    for (int i = 0; i < 3; i++) {
        d[i] = genuine(FLOW_TOCLIENT, VG_TCP_ACK, s0 + 100u * (unsigned)i, X.s[0].nxt, GEN, 100);
        feed(&d[i], FLOW_TOCLIENT, true);
    }
    X.s[1].nxt = s0 + 300;
    for (int i = 0; i < 3; i++) {
        struct packet r = genuine(FLOW_TOSERVER, VG_TCP_RST | VG_TCP_ACK, X.s[0].nxt,
                                  s0 + 100u * (unsigned)(i + 1), NULL, 0);
        r.ttl = 244; /* a firewall in the path */
        feed(&r, FLOW_TOSERVER, true);
    }
    end_flow();
    CHECK_EQ_U(X.n_got, 0);
}

/* Benign: the client retransmits its SYN and the server answers with a new ISN (SYN cookies, a
 * load balancer): two SYN/ACKs, explained. */
static void test_synack_after_syn_retransmit_benign(void)
{
    fx_init();
    struct packet syn = genuine(FLOW_TOSERVER, VG_TCP_SYN, X.s[0].nxt, 0, NULL, 0);
    feed(&syn, FLOW_TOSERVER, true);
    struct packet sa =
        genuine(FLOW_TOCLIENT, VG_TCP_SYN | VG_TCP_ACK, 5000, X.s[0].nxt + 1, NULL, 0);
    feed(&sa, FLOW_TOCLIENT, true);
    struct packet syn2 = genuine(FLOW_TOSERVER, VG_TCP_SYN, X.s[0].nxt, 0, NULL, 0);
    feed(&syn2, FLOW_TOSERVER, true);
    struct packet sa2 =
        genuine(FLOW_TOCLIENT, VG_TCP_SYN | VG_TCP_ACK, 99000, X.s[0].nxt + 1, NULL, 0);
    struct stream_result sr;
    memset(&sr, 0, sizeof sr);
    sr.dir = FLOW_TOCLIENT;
    sr.n_facts = 1;
    sr.facts[0].kind = STREAM_FACT_SYNACK_RACE;
    sr.facts[0].dir = FLOW_TOCLIENT;
    sr.facts[0].first = meta_of(&sa);
    sr.facts[0].second = meta_of(&sa2);
    feed_sr(&sa2, FLOW_TOCLIENT, &sr);
    end_flow();
    CHECK_EQ_U(X.n_got, 0);
    CHECK_EQ_U(tamper_counters(X.ctx)->synack_after_syn_retransmit, 1);
}

/* Benign: a keep-alive probe with one garbage octet at SND.NXT-1 differs from the byte sent. */
static void test_keepalive_garbage_benign(void)
{
    fx_init();
    handshake_and_request();
    struct packet last =
        genuine(FLOW_TOSERVER, VG_TCP_ACK, X.s[0].nxt - 1, X.s[1].nxt, &REQ[sizeof REQ - 2], 1);
    X.s[0].id--;
    struct packet ka = genuine(FLOW_TOSERVER, VG_TCP_ACK, X.s[0].nxt - 1, X.s[1].nxt, "\0", 1);
    feed_overlap(&last, &ka, FLOW_TOSERVER, true, false);
    end_flow();
    CHECK_EQ_U(X.n_got, 0);
    CHECK_EQ_U(tamper_counters(X.ctx)->keepalive_overlaps, 1);
}

/* ---- EVE output, pools, odds and ends ------------------------------------------------------ */

static void test_eve_alert(void)
{
    fx_init();
    handshake_and_request();
    static char big_a[5000], big_b[5000];
    memset(big_a, 'A', sizeof big_a);
    memcpy(big_a, "HTTP/1.1 302 Found\r\n\x01\x02", 22);
    memset(big_b, 'B', sizeof big_b);
    uint32_t seq = X.s[1].nxt;
    struct packet a = forged(FLOW_TOCLIENT, VG_TCP_ACK, seq, X.s[0].nxt, big_a, sizeof big_a);
    feed(&a, FLOW_TOCLIENT, true);
    struct packet b = genuine(FLOW_TOCLIENT, VG_TCP_ACK, seq, X.s[0].nxt, big_b, sizeof big_b);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    X.s[1].nxt += sizeof big_a;
    server_tail(1);
    end_flow();
    CHECK_EQ_U(X.n_got, 1);
    const char *j = X.json[0];
    CHECK(strncmp(j, "{\"timestamp\":\"2023-11-14T22:13:20.", 34) == 0);
    CHECK(strstr(j, "\"event_type\":\"alert\"") != NULL);
    CHECK(strstr(j, "\"flow_id\":1234567") != NULL);
    /* oriented by packet: the server sent the contestants */
    CHECK(strstr(j, "\"src_ip\":\"93.184.216.34\",\"src_port\":80,\"dest_ip\":\"10.0.0.1\","
                    "\"dest_port\":40000,\"proto\":\"TCP\",\"direction\":\"to_client\"") != NULL);
    CHECK(strstr(j,
                 "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":8800002,\"rev\":1,"
                 "\"signature\":\"VIGIL TAMPER TCP injection race: segment veto\","
                 "\"category\":\"Traffic tampering\",\"severity\":1}") != NULL);
    CHECK(strstr(j, "\"flow\":{\"pkts_toserver\":") != NULL);
    CHECK(strstr(j, "\"tamper\":{\"class\":\"tcp_injection_race\",\"subtype\":\"segment_veto\","
                    "\"confidence\":") != NULL);
    CHECK(strstr(j, "\"contestants\":[{\"verdict\":\"forged\"") != NULL);
    CHECK(strstr(j, "\"departs\":[\"ttl\",\"ip_id\",\"df\",\"tcp_options\",\"window\"]") != NULL);
    CHECK(strstr(j, "\"tcp_options\":\"\"") != NULL);
    CHECK(strstr(j, "\"tcp_options\":\"NOP,NOP,TS\"") != NULL);
    /* base64 of "HTTP/1.1 302 Found\r\n\x01\x02AA" begins SFRUUC8xLjEgMzAyIEZvdW5kDQoBAkFB */
    CHECK(strstr(j, "\"payload\":\"SFRUUC8xLjEgMzAyIEZvdW5kDQoBAkFB") != NULL);
    CHECK(strstr(j, "\"payload_printable\":\"HTTP/1.1 302 Found\\r\\n..AAA") != NULL);
    CHECK(strstr(j, "\"payload_truncated\":true") != NULL);
    CHECK(strstr(j,
                 "\"baseline\":{\"ttl\":[54],\"initial_ttl\":64,\"hops\":10,"
                 "\"ip_id\":\"incrementing\",\"df\":true,\"tcp_options\":\"NOP,NOP,TS\"") != NULL);
    CHECK(strstr(j, "\"count\":1}}") != NULL);
    CHECK(X.got[0].c[0].payload_len == TAMPER_PAYLOAD_MAX);
}

static void test_finding_pool_exhausted(void)
{
    struct tamper_config cfg;
    tamper_config_default(&cfg);
    cfg.max_findings = 1;
    fx_init_cfg(&cfg);
    data_exchange();
    uint32_t seq = X.s[1].nxt;
    struct packet r1 = forged(FLOW_TOCLIENT, VG_TCP_RST | VG_TCP_ACK, seq, X.s[0].nxt, NULL, 0);
    feed(&r1, FLOW_TOCLIENT, true);
    struct packet r2 =
        forged(FLOW_TOCLIENT, VG_TCP_RST | VG_TCP_ACK, seq + 5000, X.s[0].nxt + 1000, NULL, 0);
    feed(&r2, FLOW_TOCLIENT, true); /* seq jump and ack change: two signatures, one slot */
    end_flow();
    CHECK_EQ_U(X.n_got, 1);
    CHECK_EQ_U(tamper_counters(X.ctx)->finding_pool_exhausted, 1);
}

static void test_flow_pool_exhausted(void)
{
    struct tamper_config cfg;
    tamper_config_default(&cfg);
    cfg.max_flows = 1;
    fx_init_cfg(&cfg);
    struct packet p = genuine(FLOW_TOSERVER, VG_TCP_SYN, 1, 0, NULL, 0);
    feed(&p, FLOW_TOSERVER, true);
    CHECK(X.f.tamper != NULL);
    struct flow other = X.f;
    other.tamper = NULL;
    struct stream_result sr;
    memset(&sr, 0, sizeof sr);
    tamper_packet(X.ctx, &other, &p, FLOW_TOSERVER, &sr);
    CHECK(other.tamper == NULL);
    CHECK_EQ_U(tamper_counters(X.ctx)->no_state_pkts, 1);
    end_flow();
    tamper_packet(X.ctx, &other, &p, FLOW_TOSERVER, &sr); /* the slot came back */
    CHECK(other.tamper != NULL);
    tamper_flow_end(X.ctx, &other, NULL, NULL);
    CHECK(other.tamper == NULL);
}

/* ---- dns_race: a UDP DNS flow, stub 10.0.0.1:53001 -> resolver 93.184.216.34:53 -------------- */

static void dns_fx(const struct tamper_config *cfg)
{
    fx_init_cfg(cfg);
    X.f.proto = 17;
    X.f.sport = 53001;
    X.f.dport = 53;
    X.f.app_proto = APP_PROTO_DNS;
    X.s[FLOW_TOSERVER] = (struct side){64, false, 0x2a00, 0, false, 0, 0, 0};
    X.s[FLOW_TOCLIENT] = (struct side){57, true, 0x4c10, 0, false, 0, 0, 0};
}

/* One datagram of direction dir, 1 ms after the previous one, as its genuine sender sends it;
 * ttl (0: the sender's), ip_id and df (-1: the sender's) make a forger's. */
static struct packet dns_pkt(int dir, uint8_t ttl, int ip_id, int df)
{
    static const uint8_t body[40];
    struct side *sd = &X.s[dir];
    struct packet p;
    memset(&p, 0, sizeof p);
    X.t_us += 1000;
    p.pcap_cnt = ++X.cnt;
    p.ts = now_ts();
    p.ip_ver = 4;
    p.proto = 17;
    p.src = dir == FLOW_TOSERVER ? X.f.src : X.f.dst;
    p.dst = dir == FLOW_TOSERVER ? X.f.dst : X.f.src;
    p.sport = dir == FLOW_TOSERVER ? X.f.sport : X.f.dport;
    p.dport = dir == FLOW_TOSERVER ? X.f.dport : X.f.sport;
    p.ttl = ttl ? ttl : sd->ttl;
    p.df = df < 0 ? sd->df : df != 0;
    p.ip_id = ip_id < 0 ? sd->id++ : (uint16_t)ip_id;
    p.payload = body;
    p.payload_len = sizeof body;
    return p;
}

static void udp_feed(struct packet *p, int dir)
{
    flow_note(p, dir);
    tamper_packet(X.ctx, &X.f, p, dir, NULL);
}

static struct dns_resp_info resp_of(const struct packet *p, const char *answers)
{
    struct dns_resp_info r;
    memset(&r, 0, sizeof r);
    r.meta.ts = p->ts;
    r.meta.pcap_cnt = p->pcap_cnt;
    r.meta.ip_ver = 4;
    r.meta.ttl = p->ttl;
    r.meta.ip_id = p->ip_id;
    r.flags = 0x8180;
    r.nanswers = answers[0] ? 1 : 0;
    r.answers = answers;
    for (const char *c = answers; *c; c++)
        r.digest = r.digest * 31 + (uint8_t)*c;
    return r;
}

static const char BANK_FORGED[] = "www.example-bank.com A 203.0.113.66";
static const char BANK_REAL[] = "www.example-bank.com A 93.184.216.34";

/* The pair the DNS pairing reports for responses a and b to query q (NULL: not seen). */
static struct dns_response_pair make_pair(const struct packet *q, const struct packet *a,
                                          const char *aa, const struct packet *b, const char *ba)
{
    struct dns_response_pair pr;
    memset(&pr, 0, sizeof pr);
    pr.id = 0x3104;
    pr.qtype = DNS_TYPE_A;
    pr.qclass = 1;
    pr.qname = "www.example-bank.com";
    pr.query_seen = q != NULL;
    if (q) {
        pr.query_ts = q->ts;
        pr.query_pcap_cnt = q->pcap_cnt;
    }
    pr.nth = 2;
    pr.first = resp_of(a, aa);
    pr.second = resp_of(b, ba);
    pr.identical = strcmp(aa, ba) == 0;
    return pr;
}

/* The second response: the pair is reported during app_packet, then tamper_packet runs. */
static void race_second(struct packet *b, const struct dns_response_pair *pr)
{
    tamper_dns_pair(X.ctx, &X.f, pr);
    udp_feed(b, FLOW_TOCLIENT);
}

static void dns_lookups(int n)
{
    for (int i = 0; i < n; i++) {
        struct packet q = dns_pkt(FLOW_TOSERVER, 0, -1, -1);
        udp_feed(&q, FLOW_TOSERVER);
        X.t_us += 20000;
        struct packet r = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
        udp_feed(&r, FLOW_TOCLIENT);
    }
}

static void test_dns_race_baseline(void)
{
    dns_fx(NULL);
    dns_lookups(3);
    struct packet q = dns_pkt(FLOW_TOSERVER, 0, -1, -1);
    udp_feed(&q, FLOW_TOSERVER);
    CHECK(X.f.tamper != NULL);
    struct packet a = dns_pkt(FLOW_TOCLIENT, 61, 0xd3f1, -1); /* the forger: 1 ms */
    udp_feed(&a, FLOW_TOCLIENT);
    X.t_us += 20000;
    struct packet b = dns_pkt(FLOW_TOCLIENT, 0, -1, -1); /* the resolver: 22 ms */
    struct dns_response_pair pr = make_pair(&q, &a, BANK_FORGED, &b, BANK_REAL);
    race_second(&b, &pr);
    dns_lookups(1);
    end_flow();
    CHECK_EQ_U(X.n_got, 1);
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_DNS_RACE);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->dir, FLOW_TOCLIENT);
    CHECK_EQ_U(fd->count, 1);
    CHECK_EQ_U(fd->c[0].pcap_cnt, a.pcap_cnt);
    CHECK_EQ_U(fd->c[1].pcap_cnt, b.pcap_cnt);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
    CHECK_EQ_U(fd->c[0].departs, TAMPER_DEP_TTL | TAMPER_DEP_IP_ID);
    CHECK_EQ_U(fd->c[1].departs, 0);
    CHECK(fd->c[0].df && fd->c[1].df); /* from the baseline records */
    CHECK_STR(fd->c[0].dns_answers, BANK_FORGED);
    CHECK_STR(fd->c[1].dns_answers, BANK_REAL);
    CHECK_EQ_U(fd->c[0].delay_us, 1000);
    CHECK_EQ_U(fd->c[1].delay_us, 22000);
    CHECK_EQ_U(fd->dns.id, 0x3104);
    CHECK_STR(fd->dns.qname, "www.example-bank.com");
    CHECK_EQ_U(fd->dns.query_pcap_cnt, q.pcap_cnt);
    CHECK(has_reason(fd, "no record in common"));
    CHECK(has_reason(fd, "answered 1.000 ms after the query"));
    CHECK(has_reason(fd, "TTL 61"));
    CHECK(fd->confidence >= 80 && fd->confidence <= 95);
    CHECK_EQ_U(fd->baseline.ttl[0], 57);
    CHECK_STR(fd->baseline.ip_id, "incrementing");
    CHECK_EQ_U(tamper_counters(X.ctx)->dns_pairs, 1);
    const char *j = X.json[0];
    CHECK(strstr(j, "\"src_ip\":\"93.184.216.34\",\"src_port\":53,\"dest_ip\":\"10.0.0.1\","
                    "\"dest_port\":53001,\"proto\":\"UDP\",\"direction\":\"to_client\"") != NULL);
    CHECK(strstr(j, "\"signature_id\":8800020") != NULL);
    CHECK(strstr(j, "\"tamper\":{\"class\":\"dns_race\",\"subtype\":\"dns_answer_mismatch\"") !=
          NULL);
    CHECK(strstr(j, "\"dns\":{\"id\":12548,\"rrname\":\"www.example-bank.com\",\"rrtype\":\"A\","
                    "\"query_pcap_cnt\":7,") != NULL);
    CHECK(strstr(j, "{\"verdict\":\"forged\",\"pcap_cnt\":8,") != NULL);
    CHECK(strstr(j, "\"ttl\":61,\"ip_id\":54257,\"df\":true,\"departs\":[\"ttl\",\"ip_id\"],"
                    "\"rcode\":\"NOERROR\",\"dns_answer_count\":1,\"dns_answers\":"
                    "\"www.example-bank.com A 203.0.113.66\",\"dns_answers_truncated\":false}") !=
          NULL);
    CHECK(strstr(j, "\"delay_ms\":") != NULL);
    CHECK(strstr(j, "\"seq\":") == NULL); /* no TCP fields for a UDP contestant */
    const char *bl = strstr(j, "\"baseline\":{\"ttl\":[57]");
    CHECK(bl != NULL);
    if (bl) CHECK(strstr(bl, "tcp_options") == NULL && strstr(bl, "window") == NULL);
    CHECK(X.f.tamper == NULL);
}

static void test_dns_identical_silent(void)
{
    dns_fx(NULL);
    struct packet q = dns_pkt(FLOW_TOSERVER, 0, -1, -1);
    udp_feed(&q, FLOW_TOSERVER);
    struct packet a = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    udp_feed(&a, FLOW_TOCLIENT);
    struct packet b = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    struct dns_response_pair pr = make_pair(&q, &a, BANK_REAL, &b, BANK_REAL);
    race_second(&b, &pr);
    end_flow();
    CHECK_EQ_U(X.n_got, 0);
    CHECK_EQ_U(tamper_counters(X.ctx)->dns_pairs, 1);
    CHECK_EQ_U(tamper_counters(X.ctx)->dns_pairs_identical, 1);
}

/* Different answers that are not a race: TC set, a malformed response, mDNS, DNS over TCP. */
static void test_dns_skipped(void)
{
    for (int k = 0; k < 5; k++) {
        dns_fx(NULL);
        struct packet q = dns_pkt(FLOW_TOSERVER, 0, -1, -1);
        udp_feed(&q, FLOW_TOSERVER);
        struct packet a = dns_pkt(FLOW_TOCLIENT, 61, 1, 0);
        udp_feed(&a, FLOW_TOCLIENT);
        struct packet b = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
        struct dns_response_pair pr = make_pair(&q, &a, BANK_FORGED, &b, BANK_REAL);
        if (k == 0) pr.second.flags |= 0x0200; /* TC */
        if (k == 1) pr.first.incomplete = true;
        if (k == 2) X.f.sport = X.f.dport = 5353;
        if (k == 3) memcpy(X.f.dst.a, "\xe0\x00\x00\xfb", 4); /* 224.0.0.251 */
        if (k == 4) X.f.proto = 6;
        race_second(&b, &pr);
        X.f.proto = 17;
        end_flow();
        CHECK_EQ_U(X.n_got, 0);
        CHECK_EQ_U(tamper_counters(X.ctx)->dns_pairs_skipped, 1);
    }
}

/* No baseline (one query, two answers): two senders, the first one fast -> forged by order. */
static void test_dns_arrival_order(void)
{
    dns_fx(NULL);
    struct packet q = dns_pkt(FLOW_TOSERVER, 0, -1, -1);
    udp_feed(&q, FLOW_TOSERVER);
    struct packet a = dns_pkt(FLOW_TOCLIENT, 61, 1, 0);
    udp_feed(&a, FLOW_TOCLIENT);
    X.t_us += 28000;
    struct packet b = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    struct dns_response_pair pr = make_pair(&q, &a, BANK_FORGED, &b, BANK_REAL);
    race_second(&b, &pr);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_DNS_RACE);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_UNKNOWN);
    CHECK_EQ_U(fd->c[0].departs, 0);
    CHECK(!fd->c[0].df && fd->c[1].df);
    CHECK(has_reason(fd, "verdict by arrival order"));
    CHECK(has_reason(fd, "neither contestant departs"));
    CHECK_EQ_U(fd->baseline.samples, 0);
}

/* No baseline and both responses look like the resolver's: verdicts stay unknown. */
static void test_dns_same_sender(void)
{
    dns_fx(NULL);
    struct packet q = dns_pkt(FLOW_TOSERVER, 0, -1, -1);
    udp_feed(&q, FLOW_TOSERVER);
    struct packet a = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    udp_feed(&a, FLOW_TOCLIENT);
    struct packet b = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    struct dns_response_pair pr = make_pair(&q, &a, BANK_FORGED, &b, BANK_REAL);
    race_second(&b, &pr);
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_DNS_RACE);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_UNKNOWN);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_UNKNOWN);
    CHECK(has_reason(fd, "look like one sender"));
    CHECK(fd->confidence < 70);
}

/* A third different response counts; a pair whose second packet never reaches tamper_packet is
 * settled at flow end; a query not seen gives no delays; another rcode is a reason. */
static void test_dns_count_and_settle(void)
{
    dns_fx(NULL);
    struct packet a = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    udp_feed(&a, FLOW_TOCLIENT);
    struct packet b = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    struct dns_response_pair pr = make_pair(NULL, &a, BANK_FORGED, &b, "");
    pr.second.rcode = 3; /* NXDOMAIN */
    race_second(&b, &pr);
    struct packet c = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    pr = make_pair(NULL, &a, BANK_FORGED, &c, BANK_REAL);
    pr.nth = 3;
    tamper_dns_pair(X.ctx, &X.f, &pr); /* its packet never comes: settled at flow end */
    end_flow();
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_DNS_RACE);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->count, 2);
    CHECK_EQ_U(fd->c[1].pcap_cnt, b.pcap_cnt);
    CHECK_EQ_U(fd->c[1].dns_rcode, 3);
    CHECK(fd->c[0].delay_us < 0);
    CHECK(has_reason(fd, "the response codes differ (NOERROR vs NXDOMAIN)"));
    CHECK(has_reason(fd, "the query was not seen"));
    CHECK(strstr(X.json[0], "\"delay_ms\"") == NULL);
    CHECK(strstr(X.json[0], "\"query_pcap_cnt\"") == NULL);
    CHECK(strstr(X.json[0], "\"rcode\":\"NXDOMAIN\",\"dns_answer_count\":0,\"dns_answers\":\"\"") !=
          NULL);

    /* settled: the pair arrives, the packet's tamper_packet never comes */
    dns_fx(NULL);
    a = dns_pkt(FLOW_TOCLIENT, 61, 7, 0);
    udp_feed(&a, FLOW_TOCLIENT);
    b = dns_pkt(FLOW_TOCLIENT, 0, -1, -1);
    pr = make_pair(NULL, &a, BANK_FORGED, &b, BANK_REAL);
    tamper_dns_pair(X.ctx, &X.f, &pr);
    end_flow();
    fd = find_sig(TAMPER_SIG_DNS_RACE);
    CHECK(fd != NULL);
    if (fd) CHECK_EQ_U(fd->dir, FLOW_TOCLIENT);
}

/* UDP flows get state only when detected as DNS, and at most max_dns_flows of them. */
static void test_dns_state_cap(void)
{
    struct tamper_config cfg;
    tamper_config_default(&cfg);
    cfg.max_dns_flows = 1;
    dns_fx(&cfg);
    struct packet q = dns_pkt(FLOW_TOSERVER, 0, -1, -1);
    udp_feed(&q, FLOW_TOSERVER);
    CHECK(X.f.tamper != NULL);
    struct flow other = X.f;
    other.tamper = NULL;
    tamper_packet(X.ctx, &other, &q, FLOW_TOSERVER, NULL);
    CHECK(other.tamper == NULL);
    CHECK_EQ_U(tamper_counters(X.ctx)->dns_no_state_pkts, 1);
    other.app_proto = APP_PROTO_FAILED; /* not DNS: no state, nothing counted */
    tamper_packet(X.ctx, &other, &q, FLOW_TOSERVER, NULL);
    CHECK(other.tamper == NULL);
    CHECK_EQ_U(tamper_counters(X.ctx)->dns_no_state_pkts, 1);
    end_flow();
    other.app_proto = APP_PROTO_DNS;
    tamper_packet(X.ctx, &other, &q, FLOW_TOSERVER, NULL); /* the DNS flow's share came back */
    CHECK(other.tamper != NULL);
    tamper_flow_end(X.ctx, &other, NULL, NULL);
    tamper_dns_pair(X.ctx, &X.f, NULL); /* NULL arguments: no-op */
    tamper_dns_pair(NULL, &X.f, NULL);
    CHECK_EQ_U(tamper_counters(X.ctx)->dns_pairs, 0);
}

/* ---- http_race ----------------------------------------------------------------------------- */

static void test_http_race(void)
{
    fx_init();
    handshake_and_request();
    uint32_t seq = X.s[1].nxt;
    struct packet a =
        forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, INJ, sizeof INJ - 1);
    feed(&a, FLOW_TOCLIENT, true);
    struct packet b =
        genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    X.s[1].nxt = seq + sizeof INJ - 1;
    server_tail(2);
    end_flow();
    CHECK_EQ_U(X.n_got, 2);
    CHECK(X.got[0].sig == TAMPER_SIG_SLOPPY_INJECTION && X.got[1].sig == TAMPER_SIG_HTTP_RACE);
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_HTTP_RACE);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->dir, FLOW_TOCLIENT);
    CHECK_EQ_U(fd->c[0].pcap_cnt, a.pcap_cnt);
    CHECK_EQ_U(fd->c[1].pcap_cnt, b.pcap_cnt);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].verdict, TAMPER_VERDICT_GENUINE);
    CHECK_EQ_U(fd->c[0].http_status, 302);
    CHECK_STR(fd->c[0].http_location, "http://evil.example/x.exe");
    CHECK(fd->c[0].http_content_length == -1);
    CHECK_EQ_U(fd->c[1].http_status, 200);
    CHECK_STR(fd->c[1].http_location, "");
    CHECK_EQ_U(fd->c[1].http_content_length, 5);
    CHECK(has_reason(fd, "start an HTTP response"));
    CHECK(has_reason(fd, "HTTP 302, Location http://evil.example/x.exe; pcap_cnt"));
    CHECK(has_reason(fd, "HTTP 200, Content-Length 5"));
    CHECK(has_reason(fd, "the status codes differ (302 vs 200)"));
    CHECK(has_reason(fd, "redirects to evil.example"));
    CHECK(fd->confidence >= 90);
    CHECK_EQ_U(fd->ov_len, sizeof INJ - 1);
    const char *j = X.json[1];
    CHECK(strstr(j, "\"signature_id\":8800021") != NULL);
    CHECK(strstr(j, "\"tamper\":{\"class\":\"http_race\",\"subtype\":\"http_response_mismatch\"") !=
          NULL);
    CHECK(strstr(j, "\"http_status\":302,\"http_location\":\"http://evil.example/x.exe\","
                    "\"payload\":") != NULL);
    CHECK(strstr(j, "\"http_status\":200,\"http_content_length\":5,\"payload\":") != NULL);
    CHECK(strstr(X.json[0], "http_status") == NULL); /* not on the TCP finding */

    /* no parser state for the heads: the status codes still come from the status lines */
    fx_init();
    handshake_and_request();
    seq = X.s[1].nxt;
    a = forged(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, INJ, sizeof INJ - 1);
    feed(&a, FLOW_TOCLIENT, true);
    b = genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, seq, X.s[0].nxt, GEN, sizeof GEN - 1);
    vg_alloc_fail_after(0);
    feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
    vg_alloc_fail_after(-1);
    end_flow();
    CHECK(tamper_counters(X.ctx)->http_parse_nomem >= 1);
    fd = find_sig(TAMPER_SIG_HTTP_RACE);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(fd->c[0].http_status, 302);
    CHECK_STR(fd->c[0].http_location, ""); /* the parser did not run */
}

/* Only when both versions start an HTTP response ("HTTP/1.x NNN"). */
static void test_http_race_needs_both(void)
{
    static const char NOT_HTTP[] = "HTTP/1.1 2OO OK\r\nContent-Length: 5\r\n\r\nhello.....";
    for (int k = 0; k < 2; k++) {
        fx_init();
        handshake_and_request();
        uint32_t seq = X.s[1].nxt;
        const char *first = k ? GEN : NOT_HTTP, *second = k ? NOT_HTTP : GEN;
        struct packet a = forged(FLOW_TOCLIENT, VG_TCP_ACK, seq, X.s[0].nxt, first, 40);
        feed(&a, FLOW_TOCLIENT, true);
        struct packet b = genuine(FLOW_TOCLIENT, VG_TCP_ACK, seq, X.s[0].nxt, second, 40);
        feed_overlap(&a, &b, FLOW_TOCLIENT, true, false);
        X.s[1].nxt = seq + 40;
        server_tail(1);
        end_flow();
        CHECK_EQ_U(X.n_got, 1);
        CHECK(find_sig(TAMPER_SIG_SEGMENT_VETO) != NULL);
        CHECK(find_sig(TAMPER_SIG_HTTP_RACE) == NULL);
    }
}

static void test_misc(void)
{
    tamper_ctx_free(NULL);
    fx_init();
    tamper_flow_end(X.ctx, &X.f, emit_cb, NULL); /* no state: no-op */
    CHECK_EQ_U(X.n_got, 0);
    struct packet p = genuine(FLOW_TOSERVER, VG_TCP_SYN, 1, 0, NULL, 0);
    tamper_packet(X.ctx, &X.f, &p, FLOW_TOSERVER, NULL); /* non-TCP path: ignored */
    CHECK(X.f.tamper == NULL);
    char buf[64];
    static const uint8_t lay[] = {2, 1, 3, 1, 1, 8, 4, 5, 99};
    CHECK_STR(tamper_options_str(lay, sizeof lay, buf, sizeof buf),
              "MSS,NOP,WS,NOP,NOP,TS,SACK_PERM,SACK,OPT99");
    CHECK_STR(tamper_options_str(lay, 0, buf, sizeof buf), "");
    CHECK_STR(tamper_options_str(lay, sizeof lay, buf, 8), "MSS,NOP");
    CHECK_EQ_U(tamper_sig_sid(TAMPER_SIG_HANDSHAKE_HIJACK), 8800001);
    CHECK_EQ_U(tamper_sig_sid(TAMPER_SIG_RST_RACE), 8800009);
    CHECK_EQ_U(tamper_sig_sid(TAMPER_SIG_DNS_RACE), 8800020);
    CHECK_EQ_U(tamper_sig_sid(TAMPER_SIG_HTTP_RACE), 8800021);
    CHECK_STR(tamper_sig_class(TAMPER_SIG_DNS_RACE), "dns_race");
    CHECK_STR(tamper_sig_class(TAMPER_SIG_HTTP_RACE), "http_race");
    for (int a = 0; a < TAMPER_SIG_COUNT; a++) /* the stats event counts findings by subtype */
        for (int b = a + 1; b < TAMPER_SIG_COUNT; b++)
            CHECK(strcmp(tamper_sig_subtype(a), tamper_sig_subtype(b)) != 0);
    CHECK_STR(tamper_sig_subtype(TAMPER_SIG_COALESCE_INJECTION), "coalesce_injection");
    CHECK_STR(tamper_sig_class(99), "");
    CHECK_EQ_U(tamper_sig_sid(-1), 0);
    CHECK_STR(tamper_verdict_str(TAMPER_VERDICT_FORGED), "forged");
    CHECK_STR(tamper_field_name(5), "ts");
    CHECK_STR(tamper_field_name(6), "");
    for (int s = 0; s < TAMPER_SIG_COUNT; s++) {
        CHECK(strncmp(tamper_sig_msg(s), "VIGIL TAMPER ", 13) == 0);
        /* severity 2: behavioural evidence (forged resets, a server's other stack, a redirect's
         * shape); 1: different bytes or departing packets */
        bool weak = strcmp(tamper_sig_class(s), "forged_rst") == 0 ||
                    strcmp(tamper_sig_subtype(s), "server_departure") == 0 ||
                    strcmp(tamper_sig_subtype(s), "injected_shape") == 0;
        CHECK_EQ_U(tamper_sig_severity(s), weak ? 2 : 1);
    }
    /* allocation failure at start-up */
    vg_alloc_fail_after(1);
    CHECK(tamper_ctx_new() == NULL);
    vg_alloc_fail_after(-1);
    tamper_ctx_free(X.ctx);
    X.ctx = NULL;
}


/* ---- in-path rewrite (tamper_inpath.c) ------------------------------------------------------- */

static const char RESP[] = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello";

/* Handshake, request, the server's ACK; then a response head built by `how`: 0 genuine, 1 an
 * implant's stack (other initial TTL, no DF, IP ID 1, no timestamps), 2 the genuine stack after a
 * route change (TTL only), 3 the implant with the server's TTL, DF and IP ID counter (one stack
 * signal: the missing timestamps). */
static void inpath_flow(int how)
{
    X.f.app_proto = APP_PROTO_HTTP;
    handshake_and_request();
    struct packet p = genuine(FLOW_TOCLIENT, VG_TCP_ACK, X.s[1].nxt, X.s[0].nxt, NULL, 0);
    feed(&p, FLOW_TOCLIENT, true);
    p = genuine(FLOW_TOCLIENT, VG_TCP_ACK | VG_TCP_PSH, X.s[1].nxt, X.s[0].nxt, RESP,
                sizeof RESP - 1);
    if (how == 1 || how == 3) {
        if (how == 1) {
            X.s[1].id--;
            p.ip_id = 1;
        }
        p.ttl = how == 1 ? 120 : X.s[1].ttl;
        p.df = how == 1 ? false : true;
        memset(&p.tcp_opts, 0, sizeof p.tcp_opts);
        p.tcp_win = 8192;
    } else if (how == 2) {
        p.ttl = (uint8_t)(X.s[1].ttl - 3);
        X.s[1].ttl = p.ttl; /* and stays */
    }
    feed(&p, FLOW_TOCLIENT, true);
    X.s[1].nxt += sizeof RESP - 1;
    server_tail(2);
    end_flow();
}

static void test_inpath_flow_departure(void)
{
    fx_init();
    inpath_flow(1);
    const struct tamper_finding *fd = find_sig(TAMPER_SIG_INPATH_FLOW);
    CHECK(fd != NULL);
    if (!fd) return;
    CHECK_EQ_U(X.n_got, 1);
    CHECK_EQ_U(fd->c[0].pcap_cnt, 6);
    CHECK_EQ_U(fd->c[0].verdict, TAMPER_VERDICT_FORGED);
    CHECK_EQ_U(fd->c[1].pcap_cnt, 5); /* the server's ACK just before: a genuine packet */
    CHECK(fd->confidence >= 80);
    CHECK(has_reason(fd, "initial 128"));
    CHECK(has_reason(fd, "no TCP timestamp though the handshake negotiated them"));
    CHECK(has_reason(fd, "later packets look like its packets before"));
    CHECK(strstr(X.json[0], "\"class\":\"inpath_rewrite\",\"subtype\":\"flow_departure\"") != NULL);
    CHECK(strstr(X.json[0], "\"signature_id\":8800030") != NULL);
    CHECK_EQ_U(tamper_counters(X.ctx)->findings[TAMPER_SIG_INPATH_FLOW], 1);
}

static void test_inpath_benign(void)
{
    fx_init();
    inpath_flow(0); /* genuine */
    CHECK_EQ_U(X.n_got, 0);
    fx_init();
    inpath_flow(2); /* route change: TTL steps once and stays */
    CHECK_EQ_U(X.n_got, 0);
    fx_init();
    inpath_flow(3); /* one stack signal and no weak ones: below the gate */
    CHECK_EQ_U(X.n_got, 0);
}

static void test_inpath_threshold(void)
{
    struct tamper_config cfg;
    tamper_config_default(&cfg);
    CHECK_EQ_U(cfg.min_confidence, 0);
    cfg.min_confidence = 100;
    fx_init_cfg(&cfg);
    inpath_flow(1);
    CHECK_EQ_U(X.n_got, 0);
    CHECK_EQ_U(tamper_counters(X.ctx)->below_threshold, 1);
    CHECK_EQ_U(tamper_counters(X.ctx)->findings[TAMPER_SIG_INPATH_FLOW], 0);
}

/* A flood of distinct servers: the host table keeps its fixed size and counts what it does. */
static void test_host_table_flood(void)
{
    struct tamper_config cfg;
    tamper_config_default(&cfg);
    cfg.max_hosts = 1000; /* rounded up to 1024 */
    cfg.host_age_s = 60;
    fx_init_cfg(&cfg);
    struct vg_addr a;
    memset(&a, 0, sizeof a);
    a.family = 4;
    const uint32_t n = 200000;
    bool fresh = false, all_fresh = true;
    for (uint32_t i = 0; i < n; i++) {
        a.a[0] = 10;
        a.a[1] = (uint8_t)(i >> 16);
        a.a[2] = (uint8_t)(i >> 8);
        a.a[3] = (uint8_t)i;
        struct tamper__host *e = tamper__host_get(X.ctx, &a, 80, 6, 1000 + i / 1000, &fresh);
        all_fresh = all_fresh && e != NULL && fresh;
    }
    CHECK(all_fresh);
    const struct tamper_counters *c = tamper_counters(X.ctx);
    CHECK_EQ_U(c->host_capacity, 1024);
    CHECK(c->host_entries <= 1024);
    CHECK(c->host_entries >= 1000); /* the window probe fills the table */
    CHECK_EQ_U(c->host_inserts, n);
    CHECK_EQ_U(c->host_evictions, n - c->host_entries);
    CHECK(c->host_cap_hits > 0 && c->host_cap_hits <= c->host_evictions);
    CHECK_EQ_U(c->host_memory_bytes, 1024 * sizeof(struct tamper__host));
    /* a known server is found again, not re-inserted */
    tamper__host_get(X.ctx, &a, 80, 6, 1000 + n / 1000, &fresh);
    CHECK(!fresh);
    CHECK_EQ_U(c->host_inserts, n);
    /* aging: a long pause later every entry is stale; a new server reuses one without a cap hit */
    uint64_t hits = c->host_cap_hits;
    a.a[0] = 11;
    tamper__host_get(X.ctx, &a, 80, 6, 100000, &fresh);
    CHECK(fresh);
    CHECK_EQ_U(c->host_cap_hits, hits);
}

int main(void)
{
    RUN(test_segment_veto_forged_first);
    RUN(test_segment_veto_genuine_first);
    RUN(test_sloppy_injection);
    RUN(test_coalesce_different_start);
    RUN(test_coalesce_released_by_filler);
    RUN(test_close_injection_at_close);
    RUN(test_close_injection_data_past_fin);
    RUN(test_fin_benign);
    RUN(test_handshake_hijack);
    RUN(test_verdict_by_ttl);
    RUN(test_verdict_by_ip_id);
    RUN(test_verdict_by_options);
    RUN(test_neither_departs);
    RUN(test_injector_outnumbers);
    RUN(test_count);
    RUN(test_rst_race);
    RUN(test_rst_data_after);
    RUN(test_rst_seq_jump);
    RUN(test_rst_ack_change);
    RUN(test_rst_after_fin_benign);
    RUN(test_rst_answering_syn_benign);
    RUN(test_rst_ack_correct_benign);
    RUN(test_rst_answers_segments_benign);
    RUN(test_synack_after_syn_retransmit_benign);
    RUN(test_keepalive_garbage_benign);
    RUN(test_eve_alert);
    RUN(test_finding_pool_exhausted);
    RUN(test_flow_pool_exhausted);
    RUN(test_dns_race_baseline);
    RUN(test_dns_identical_silent);
    RUN(test_dns_skipped);
    RUN(test_dns_arrival_order);
    RUN(test_dns_same_sender);
    RUN(test_dns_count_and_settle);
    RUN(test_dns_state_cap);
    RUN(test_http_race);
    RUN(test_http_race_needs_both);
    RUN(test_misc);
    RUN(test_inpath_flow_departure);
    RUN(test_inpath_benign);
    RUN(test_inpath_threshold);
    RUN(test_host_table_flood);
    if (X.ctx) tamper_ctx_free(X.ctx);
    return vg_test_done("tamper");
}
