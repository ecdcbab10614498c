/* fuzz_http.c - libFuzzer harness for the HTTP/1.x parser (src/app/http).
 *
 * Input: [ctrl][client bytes]["\xff\xfe"][server bytes]. The control byte seeds the schedule: which
 * direction gets the next piece, how long pieces are (1 byte, a few bytes, packet-sized), whether a
 * piece is dropped and reported as a gap, and which configuration is used (default, or tiny limits
 * so that header, body, decompression and pipelining limits are reached). Without the separator all
 * bytes go to the client side. Every string, header and body excerpt of every handed-over
 * transaction is read in full (and its terminating NUL checked) so that ASan sees any bad pointer.
 *
 * Differential check: the same schedule is replayed with consecutive pieces of one direction
 * merged into one call; both runs must hand over identical transactions (hashed field by field),
 * raise the same flow-level anomalies and end with the same counters. The only split-dependent
 * fact is whether a decompression limit hit is also a bomb (the ratio uses the compressed bytes
 * inflate had consumed), so http.compression_bomb and the bombs counter are left out.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/http/http.h"
#include "core/vg_anomaly.h"

static volatile uint32_t g_sink;

static void touch(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + b[i];
    g_sink += h;
}

static void touch_str(struct http_str s)
{
    if (!s.p) {
        if (s.len) __builtin_trap();
        return;
    }
    touch(s.p, s.len);
    if (s.p[s.len] != 0) __builtin_trap(); /* the documented NUL after every string */
}

static void touch_headers(const struct http_header *h, unsigned n)
{
    if (n && !h) __builtin_trap();
    if (n > HTTP_MAX_HEADERS) __builtin_trap();
    for (unsigned i = 0; i < n; i++) {
        touch_str(h[i].name);
        touch_str(h[i].value);
    }
}

struct run {
    uint64_t h; /* FNV-1a over every handed-over transaction */
    uint32_t ntx;
    uint8_t sanom[VG_ANOMALY_COUNT];
};

static void mix(struct run *r, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        r->h = (r->h ^ b[i]) * 0x100000001b3ull;
}

static void mix_str(struct run *r, struct http_str s)
{
    uint32_t tag = s.p ? s.len : 0xffffffffu;
    mix(r, &tag, sizeof tag);
    if (s.p) mix(r, s.p, s.len);
}

static void mix_u64(struct run *r, uint64_t v)
{
    mix(r, &v, sizeof v);
}

static void mix_headers(struct run *r, const struct http_header *h, unsigned n)
{
    mix_u64(r, n);
    for (unsigned i = 0; i < n; i++) {
        mix_str(r, h[i].name);
        mix_str(r, h[i].value);
    }
}

static void on_tx(void *ud, const struct http_tx *tx)
{
    struct run *r = ud;
    touch_str(tx->method);
    touch_str(tx->uri);
    touch_str(tx->protocol);
    touch_str(tx->host);
    touch_str(tx->hostname);
    touch_str(tx->user_agent);
    touch_str(tx->referer);
    touch_str(tx->cookie);
    touch_str(tx->req_content_type);
    touch_str(tx->req_header_order);
    touch_headers(tx->req_headers, tx->n_req_headers);
    touch_str(tx->resp_protocol);
    touch_str(tx->status_str);
    touch_str(tx->status_msg);
    touch_str(tx->location);
    touch_str(tx->server);
    touch_str(tx->resp_content_type);
    touch_str(tx->resp_header_order);
    touch_headers(tx->resp_headers, tx->n_resp_headers);
    if (tx->req_body) touch(tx->req_body, tx->req_body_kept);
    if (tx->resp_body) touch(tx->resp_body, tx->resp_body_kept);
    if (tx->req_body_kept > tx->req_body_decoded || tx->resp_body_kept > tx->resp_body_decoded)
        __builtin_trap();
    if (tx->n_anomalies > HTTP_MAX_ANOMALIES) __builtin_trap();
    for (unsigned i = 0; i < tx->n_anomalies; i++) {
        if (tx->anomalies[i] >= VG_ANOMALY_COUNT) __builtin_trap();
        touch(vg_anomaly_name(tx->anomalies[i]), 1);
    }
    g_sink += (uint32_t)tx->status + (uint32_t)tx->flags;

    r->ntx++;
    mix_u64(r, tx->tx_id);
    mix_u64(r, tx->flags);
    mix_u64(r, (uint64_t)tx->req_ts.sec ^ tx->req_ts.nsec);
    mix_u64(r, (uint64_t)tx->resp_ts.sec ^ tx->resp_ts.nsec);
    const struct http_str *strs[] = {&tx->method,           &tx->uri,
                                     &tx->protocol,         &tx->host,
                                     &tx->hostname,         &tx->user_agent,
                                     &tx->referer,          &tx->cookie,
                                     &tx->req_content_type, &tx->req_header_order,
                                     &tx->resp_protocol,    &tx->status_str,
                                     &tx->status_msg,       &tx->location,
                                     &tx->server,           &tx->resp_content_type,
                                     &tx->resp_header_order};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        mix_str(r, *strs[i]);
    mix_headers(r, tx->req_headers, tx->n_req_headers);
    mix_headers(r, tx->resp_headers, tx->n_resp_headers);
    uint64_t nums[] = {(uint64_t)tx->host_port,
                       (uint64_t)tx->req_content_length,
                       tx->req_headers_dropped,
                       tx->req_body_wire,
                       tx->req_body_len,
                       tx->req_body_decoded,
                       tx->req_body_kept,
                       (uint64_t)tx->status,
                       (uint64_t)tx->resp_content_length,
                       tx->resp_headers_dropped,
                       tx->resp_body_wire,
                       tx->resp_body_len,
                       tx->resp_body_decoded,
                       tx->resp_body_kept};
    mix(r, nums, sizeof nums);
    if (tx->req_body) mix(r, tx->req_body, tx->req_body_kept);
    if (tx->resp_body) mix(r, tx->resp_body, tx->resp_body_kept);
    if (tx->n_anomalies < HTTP_MAX_ANOMALIES) { /* a full list may differ in what it dropped */
        uint8_t set[VG_ANOMALY_COUNT] = {0};
        for (unsigned i = 0; i < tx->n_anomalies; i++)
            if (tx->anomalies[i] != ANOM_HTTP_COMPRESSION_BOMB) set[tx->anomalies[i]] = 1;
        mix(r, set, sizeof set);
    }
}

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void drain_anomalies(struct http_state *st, struct run *r)
{
    uint16_t a[8];
    unsigned n;
    while ((n = http_take_anomalies(st, a, 8)) > 0) {
        for (unsigned i = 0; i < n; i++) {
            if (a[i] >= VG_ANOMALY_COUNT) __builtin_trap();
            r->sanom[a[i]] = 1;
        }
    }
}

struct piece {
    uint8_t dir, gap;
    size_t off, len;
};

/* Feeds the schedule; merge != 0 joins consecutive data pieces of one direction into one call. */
static void replay(const struct http_config *cfg, const uint8_t *const stream[2],
                   const struct piece *pc, size_t npc, int merge, struct run *r,
                   struct http_counters *c)
{
    memset(r, 0, sizeof *r);
    r->h = 0xcbf29ce484222325ull;
    struct http_state *st = http_state_new(cfg);
    if (!st) __builtin_trap();
    struct vg_ts ts = {1700000000, 0};
    for (size_t i = 0; i < npc; i++) {
        const struct piece *p = &pc[i];
        if (p->gap) {
            http_gap(st, p->dir, p->len);
        } else {
            size_t len = p->len;
            while (merge && i + 1 < npc && !pc[i + 1].gap && pc[i + 1].dir == p->dir)
                len += pc[++i].len;
            (void)http_parse(st, p->dir, stream[p->dir] + p->off, len, ts, on_tx, r);
        }
        drain_anomalies(st, r);
    }
    http_flush(st, on_tx, r);
    drain_anomalies(st, r);
    *c = *http_counters(st);
    c->bombs = 0;
    http_state_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t ctrl = data[0];
    const uint8_t *rest = data + 1;
    size_t rn = size - 1;

    const uint8_t *stream[2] = {rest, rest + rn};
    size_t len[2] = {rn, 0};
    for (size_t i = 0; i + 1 < rn; i++) {
        if (rest[i] == 0xff && rest[i + 1] == 0xfe) {
            len[0] = i;
            stream[1] = rest + i + 2;
            len[1] = rn - i - 2;
            break;
        }
    }

    (void)http_probe(stream[0], len[0], HTTP_DIR_TOSERVER);
    (void)http_probe(stream[1], len[1], HTTP_DIR_TOCLIENT);
    (void)http_probe(rest, rn, -1);

    struct http_config cfg;
    http_config_default(&cfg);
    if (ctrl & 0x80) { /* tiny limits */
        cfg.header_buf_max = 300;
        cfg.body_keep = 16;
        cfg.decomp_limit = 200;
        cfg.bomb_ratio = 3;
        cfg.max_open_tx = 2;
    }

    /* the schedule */
    static const size_t maxpiece[4] = {1, 7, 64, 1460};
    size_t maxp = maxpiece[ctrl & 3];
    bool gaps = (ctrl & 0x40) != 0;
    uint32_t seed = 0x9e3779b9u ^ ((uint32_t)ctrl * 2654435761u);
    size_t off[2] = {0, 0}, npc = 0;
    struct piece *pc = malloc((rn + 1) * sizeof *pc);
    if (!pc) return 0;
    while (off[0] < len[0] || off[1] < len[1]) {
        uint32_t r = rng_next(&seed);
        int dir = (int)(r & 1);
        if ((ctrl & 0x20) == 0) dir = (int)((r >> 1) % 3 == 0); /* mostly client first */
        if (off[dir] >= len[dir]) dir ^= 1;
        size_t piece = 1 + (size_t)(rng_next(&seed) % maxp);
        if (piece > len[dir] - off[dir]) piece = len[dir] - off[dir];
        pc[npc].dir = (uint8_t)dir;
        pc[npc].gap = gaps && rng_next(&seed) % 23 == 0;
        pc[npc].off = off[dir];
        pc[npc].len = piece;
        npc++;
        off[dir] += piece;
    }

    struct run a, b;
    struct http_counters ca, cb;
    replay(&cfg, stream, pc, npc, 0, &a, &ca);
    replay(&cfg, stream, pc, npc, 1, &b, &cb);
    free(pc);
    a.sanom[ANOM_HTTP_COMPRESSION_BOMB] = b.sanom[ANOM_HTTP_COMPRESSION_BOMB] = 0;
    if (a.h != b.h || a.ntx != b.ntx || memcmp(a.sanom, b.sanom, sizeof a.sanom) != 0 ||
        memcmp(&ca, &cb, sizeof ca) != 0)
        __builtin_trap(); /* the result depends on how the bytes were split */
    g_sink += a.ntx;
    return 0;
}
