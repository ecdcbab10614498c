/* fuzz_tls.c - libFuzzer harness for the TLS parser (src/app/tls) and the EVE tls writer.
 *
 * Input: [ctrl][client bytes]["\xff\xfe"][server bytes]. The control byte seeds the schedule:
 * which direction gets the next piece, how long pieces are (1 byte, a few bytes, record-sized,
 * segment-sized), whether pieces are dropped and reported as gaps, and whether a small message
 * limit is used (so that tls.handshake_message_too_long is reached). Without the separator all
 * bytes go to the client side. Every string of every event (JA3/JA3S/JA4, SNI, ALPN, certificate
 * fields) is read in full and its terminating NUL checked, so that ASan sees any bad pointer; the
 * session is written as an EVE event; the probe and the fingerprint functions get the raw bytes.
 *
 * Differential check (schedules without gaps): the same pieces replayed with consecutive pieces of
 * one direction merged into one call must give identical events, session and counters.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/tls/tls.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "output/eve_tls.h"
#include "output/json_writer.h"

static volatile uint32_t g_sink;

static void touch(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + b[i];
    g_sink += h;
}

/* a NUL-terminated string inside a buffer of cap bytes */
static size_t cstr(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap) __builtin_trap();
    touch(s, n);
    return n;
}

struct run {
    uint64_t h;
    uint32_t nev;
    uint8_t anom[VG_ANOMALY_COUNT];
};

static void mix(struct run *r, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        r->h = (r->h ^ b[i]) * 0x100000001b3ull;
}

static void check_alpn(struct run *r, const struct tls_alpn *a)
{
    if (a->n > TLS_MAX_ALPN) __builtin_trap();
    for (unsigned i = 0; i < a->n; i++) {
        if (a->off[i] + a->len[i] >= TLS_ALPN_BUF) __builtin_trap();
        if (a->buf[a->off[i] + a->len[i]] != 0) __builtin_trap();
        mix(r, a->buf + a->off[i], a->len[i]);
    }
}

static void check_ch(struct run *r, const struct tls_client_hello *ch)
{
    mix(r, ch->ja3_str, cstr(ch->ja3_str, sizeof ch->ja3_str));
    mix(r, ch->ja3_hash, cstr(ch->ja3_hash, sizeof ch->ja3_hash));
    mix(r, ch->ja4, cstr(ch->ja4, sizeof ch->ja4));
    if (ch->sni_len > TLS_SNI_MAX || ch->sni[ch->sni_len] != 0) __builtin_trap();
    mix(r, ch->sni, ch->sni_len);
    if (ch->n_ciphers > TLS_MAX_CIPHERS || ch->n_exts > TLS_MAX_EXTS ||
        ch->n_groups > TLS_MAX_GROUPS || ch->n_sigalgs > TLS_MAX_SIGALGS ||
        ch->n_point_formats > TLS_MAX_POINT_FORMATS || ch->n_versions > TLS_MAX_VERSIONS ||
        ch->n_key_shares > TLS_MAX_KEY_SHARES || ch->n_compression > TLS_MAX_COMPRESSION)
        __builtin_trap();
    mix(r, ch->ciphers, ch->n_ciphers * 2u);
    mix(r, ch->exts, ch->n_exts * 2u);
    check_alpn(r, &ch->alpn);
    if (ch->ja3_hash[0] && strlen(ch->ja3_hash) != 32) __builtin_trap();
    if (ch->ja4[0] && strlen(ch->ja4) != TLS_JA4_LEN) __builtin_trap();
    /* recompute: the stored fingerprints are functions of the stored lists */
    char s[TLS_JA3_STR_MAX], h[TLS_HASH_HEX], j4[TLS_JA4_LEN + 1];
    if (!(ch->flags & TLS_CHF_SSLV2)) {
        tls_ja3(ch, s, sizeof s, h);
        if (strcmp(s, ch->ja3_str) != 0 || strcmp(h, ch->ja3_hash) != 0) __builtin_trap();
        struct tls_ja4_input in;
        tls_ja4_input_from_hello(ch, &in);
        tls_ja4(&in, j4, NULL, 0);
        if (strcmp(j4, ch->ja4) != 0) __builtin_trap();
    }
}

static void check_cert(struct run *r, const struct tls_cert *c)
{
    if (!c) return;
    if (c->subject_len >= TLS_DN_MAX || c->subject[c->subject_len] != 0) __builtin_trap();
    if (c->issuer_len >= TLS_DN_MAX || c->issuer[c->issuer_len] != 0) __builtin_trap();
    mix(r, c->subject, c->subject_len);
    mix(r, c->issuer, c->issuer_len);
    mix(r, c->serial, cstr(c->serial, sizeof c->serial));
    mix(r, c->fingerprint, cstr(c->fingerprint, sizeof c->fingerprint));
    cstr(c->not_before, sizeof c->not_before);
    cstr(c->not_after, sizeof c->not_after);
    if (c->n_san > TLS_MAX_SAN) __builtin_trap();
    for (unsigned i = 0; i < c->n_san; i++) {
        if (c->san_off[i] + c->san_len[i] >= TLS_SAN_BUF) __builtin_trap();
        if (c->san[c->san_off[i] + c->san_len[i]] != 0) __builtin_trap();
        mix(r, c->san + c->san_off[i], c->san_len[i]);
    }
}

static void on_ev(void *ud, const struct tls_session *s, const struct tls_event *ev)
{
    struct run *r = ud;
    r->nev++;
    mix(r, &ev->kind, sizeof ev->kind);
    mix(r, &ev->dir, sizeof ev->dir);
    switch (ev->kind) {
    case TLS_EV_CLIENT_HELLO:
        check_ch(r, ev->ch);
        break;
    case TLS_EV_SERVER_HELLO:
        mix(r, ev->sh->ja3s_str, cstr(ev->sh->ja3s_str, sizeof ev->sh->ja3s_str));
        mix(r, ev->sh->ja3s_hash, cstr(ev->sh->ja3s_hash, sizeof ev->sh->ja3s_hash));
        check_alpn(r, &ev->sh->alpn);
        break;
    case TLS_EV_CERTIFICATE:
        check_cert(r, ev->cert);
        mix(r, &ev->chain_len, sizeof ev->chain_len);
        break;
    case TLS_EV_LOG: {
        struct flow f;
        memset(&f, 0, sizeof f);
        f.src.family = f.dst.family = 4;
        struct jw w;
        jw_init(&w);
        eve_tls(&w, &f, s);
        if (!w.oom) touch(w.buf, w.len);
        jw_fini(&w);
        break;
    }
    }
    if (s->flags & TLS_SF_CLIENT_HELLO) check_ch(r, &s->ch);
    check_cert(r, s->server_cert);
    check_cert(r, s->client_cert);
}

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

struct piece {
    uint8_t dir, gap;
    size_t off, len;
};

static void drain(struct tls_state *st, struct run *r)
{
    uint16_t a[8];
    unsigned n;
    while ((n = tls_take_anomalies(st, a, 8)) > 0)
        for (unsigned i = 0; i < n; i++) {
            if (a[i] >= VG_ANOMALY_COUNT) __builtin_trap();
            r->anom[a[i]] = 1;
        }
}

static void replay(const struct tls_config *cfg, const uint8_t *const stream[2],
                   const struct piece *pc, size_t npc, int merge, struct run *r,
                   struct tls_counters *c, struct tls_session *sess)
{
    memset(r, 0, sizeof *r);
    r->h = 0xcbf29ce484222325ull;
    struct tls_state *st = tls_state_new(cfg);
    if (!st) __builtin_trap();
    struct vg_ts ts = {1700000000, 0};
    for (size_t i = 0; i < npc; i++) {
        const struct piece *p = &pc[i];
        if (p->gap) {
            tls_gap(st, p->dir, p->len);
        } else {
            size_t len = p->len;
            while (merge && i + 1 < npc && !pc[i + 1].gap && pc[i + 1].dir == p->dir)
                len += pc[++i].len;
            (void)tls_parse(st, p->dir, stream[p->dir] + p->off, len, ts, on_ev, r);
        }
        drain(st, r);
    }
    tls_flush(st, on_ev, r);
    drain(st, r);
    *c = *tls_counters(st);
    memcpy(sess, tls_session(st), sizeof *sess);
    sess->server_cert = sess->client_cert = NULL;
    memset(&sess->ts_first, 0, sizeof sess->ts_first);
    memset(&sess->ts_last, 0, sizeof sess->ts_last);
    tls_state_free(st);
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
    (void)tls_probe(stream[0], len[0], TLS_DIR_TOSERVER);
    (void)tls_probe(stream[1], len[1], TLS_DIR_TOCLIENT);
    (void)tls_probe(rest, rn, -1);
    char vb[TLS_VERSION_STR_MAX];
    if (rn >= 2) touch(tls_version_str((uint16_t)(rest[0] << 8 | rest[1]), vb), 1);

    /* the raw bytes as JA4 lists too */
    struct tls_ja4_input in = {'t',
                               0x0303,
                               (const uint16_t *)NULL,
                               0,
                               (ctrl & 1) != 0,
                               NULL,
                               0,
                               NULL,
                               0,
                               rest,
                               rn < 8 ? rn : 8,
                               NULL,
                               0};
    static uint16_t lists[3][200];
    size_t k = rn / 2 < 600 ? rn / 2 : 600;
    for (size_t i = 0; i < k; i++)
        lists[i / 200][i % 200] = (uint16_t)(rest[2 * i] << 8 | rest[2 * i + 1]);
    in.ciphers = lists[0];
    in.n_ciphers = k < 200 ? k : 200;
    in.exts = lists[1];
    in.n_exts = k > 200 ? (k - 200 < 200 ? k - 200 : 200) : 0;
    in.sigalgs = lists[2];
    in.n_sigalgs = k > 400 ? k - 400 : 0;
    char j4[TLS_JA4_LEN + 1], raw[256];
    tls_ja4(&in, j4, raw, sizeof raw);
    if (strlen(j4) != TLS_JA4_LEN) __builtin_trap();

    struct tls_config cfg;
    tls_config_default(&cfg);
    if (ctrl & 0x80) cfg.msg_max = 300;

    static const size_t maxpiece[4] = {1, 7, 300, 1460};
    size_t maxp = maxpiece[ctrl & 3];
    bool gaps = (ctrl & 0x40) != 0;
    uint32_t seed = 0x9e3779b9u ^ ((uint32_t)ctrl * 2654435761u);
    size_t off[2] = {0, 0}, npc = 0;
    struct piece *pc = malloc((rn + 1) * sizeof *pc);
    if (!pc) return 0;
    while (off[0] < len[0] || off[1] < len[1]) {
        uint32_t x = rng_next(&seed);
        int dir = (int)(x & 1);
        if ((ctrl & 0x20) == 0) dir = (int)((x >> 1) % 3 == 0);
        if (off[dir] >= len[dir]) dir ^= 1;
        size_t piece = 1 + (size_t)(rng_next(&seed) % maxp);
        if (piece > len[dir] - off[dir]) piece = len[dir] - off[dir];
        pc[npc].dir = (uint8_t)dir;
        pc[npc].gap = gaps && rng_next(&seed) % 17 == 0;
        pc[npc].off = off[dir];
        pc[npc].len = piece;
        npc++;
        off[dir] += piece;
    }

    static struct run a, b;
    static struct tls_counters ca, cb;
    static struct tls_session sa, sb;
    replay(&cfg, stream, pc, npc, 0, &a, &ca, &sa);
    if (!gaps) {
        replay(&cfg, stream, pc, npc, 1, &b, &cb, &sb);
        if (a.h != b.h || a.nev != b.nev || memcmp(a.anom, b.anom, sizeof a.anom) != 0 ||
            memcmp(&ca, &cb, sizeof ca) != 0 || memcmp(&sa, &sb, sizeof sa) != 0)
            __builtin_trap(); /* the result depends on how the bytes were split */
    }
    free(pc);
    g_sink += a.nev;
    return 0;
}
