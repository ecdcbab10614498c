/* test_tls.c - unit tests of src/app/tls (records, hellos, certificates, JA3/JA3S/JA4) and of the
 * EVE `tls` event (src/output/eve_tls.c), validated against Suricata's schema with
 * /usr/bin/python3 + jsonschema when they are there.
 *
 * Every handshake is built here byte by byte, fed whole, one byte at a time, split at every point
 * of each direction, and with its handshake messages spread over records of every size from 1 byte
 * up: the session and the events must be the same each time. Expected values:
 *   - JA4 of FoxIO's published example (technical_details/JA4.md "Example" and "Raw Output", read
 *     through the search tool: the cipher list 1301,...,0035, the extension list 001b,0000,...,0015
 *     and the signature algorithms 0403,...,0601 give t13d1516h2_8daaf6152771_e5627efa2ab1 and the
 *     JA4_r printed there), and its "no signature algorithms" value 6d807ffa2a79;
 *   - JA3 / JA3S MD5s computed with python3 hashlib.md5 over the strings in the comments; the JA3S
 *     "771,49199,65281-0-11-16-23" = 5d79edf64e03689ff559a54e9d9487bc is also the value
 *     suricata-verify's tls-ja3s test expects;
 *   - the certificate fields from `openssl x509` (tests/unit/test_tls_cert.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/tls/tls.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "output/eve_tls.h"
#include "output/json_writer.h"
#include "test_tls_cert.h"
#include "vg_test.h"

/* ---- a byte builder ---- */

struct bb {
    uint8_t b[16384];
    size_t n;
};

static void b_u8(struct bb *b, unsigned v)
{
    b->b[b->n++] = (uint8_t)v;
}
static void b_u16(struct bb *b, unsigned v)
{
    b_u8(b, v >> 8);
    b_u8(b, v);
}
static void b_u24(struct bb *b, unsigned v)
{
    b_u8(b, v >> 16);
    b_u16(b, v);
}
static void b_bytes(struct bb *b, const void *p, size_t n)
{
    memcpy(b->b + b->n, p, n);
    b->n += n;
}
static void b_str(struct bb *b, const char *s)
{
    b_bytes(b, s, strlen(s));
}
/* length placeholders: open returns the position, close fills in the length of what followed */
static size_t b_open(struct bb *b, int width)
{
    size_t at = b->n;
    for (int i = 0; i < width; i++)
        b_u8(b, 0);
    return at;
}
static void b_close(struct bb *b, size_t at, int width)
{
    size_t len = b->n - at - (size_t)width;
    for (int i = width - 1; i >= 0; i--) {
        b->b[at + (size_t)i] = (uint8_t)len;
        len >>= 8;
    }
}
static void b_u16s(struct bb *b, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b_u16(b, v[i]);
}

/* Appends one handshake message (type + 24-bit length + body). */
static void hs_msg(struct bb *out, uint8_t type, const struct bb *body)
{
    b_u8(out, type);
    b_u24(out, (unsigned)body->n);
    b_bytes(out, body->b, body->n);
}

/* Wraps n bytes of content type `type` into records of at most `frag` bytes. */
static void records(struct bb *out, uint8_t type, uint16_t version, const uint8_t *p, size_t n,
                    size_t frag)
{
    size_t off = 0;
    do {
        size_t k = n - off < frag ? n - off : frag;
        b_u8(out, type);
        b_u16(out, version);
        b_u16(out, (unsigned)k);
        b_bytes(out, p + off, k);
        off += k;
    } while (off < n);
}

/* ---- the ClientHello of FoxIO's JA4 example, with GREASE added everywhere ---- */

static const uint16_t g_ex_ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                        0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                        0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t g_ex_exts[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017,
                                     0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
                                     0xff01, 0x000b, 0x000a, 0x0015};
static const uint16_t g_ex_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                        0x0805, 0x0501, 0x0806, 0x0601};
#define JA4_EXAMPLE "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define JA4_R_EXAMPLE                                                                              \
    "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,"  \
    "000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,"   \
    "0501,0806,0601"
/* JA3 string of the hello below (GREASE removed) and its python3 hashlib.md5 */
#define JA3_EXAMPLE                                                                                \
    "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,27-0-51-16-" \
    "17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0"
#define JA3_EXAMPLE_MD5 "c000e2caf3a25423f9de6c8a4b12a975"

/* Builds the ClientHello body. sni: host name or NULL; tls13: offer 1.3 in supported_versions. */
static void client_hello_body(struct bb *b, const char *sni, bool tls13, uint8_t rnd)
{
    b_u16(b, 0x0303);
    for (int i = 0; i < 32; i++)
        b_u8(b, (unsigned)(rnd + i));
    b_u8(b, 32); /* session id */
    for (int i = 0; i < 32; i++)
        b_u8(b, 0x55);
    size_t cl = b_open(b, 2);
    b_u16(b, 0x0a0a); /* GREASE first, as Chrome does */
    b_u16s(b, g_ex_ciphers, sizeof g_ex_ciphers / 2);
    b_close(b, cl, 2);
    b_u8(b, 1);
    b_u8(b, 0);
    size_t el = b_open(b, 2);
    b_u16(b, 0x0a0a); /* GREASE extension, empty */
    b_u16(b, 0);
    for (size_t e = 0; e < sizeof g_ex_exts / 2; e++) {
        uint16_t t = g_ex_exts[e];
        b_u16(b, t);
        size_t l = b_open(b, 2);
        switch (t) {
        case 0x0000:
            if (sni) {
                size_t ll = b_open(b, 2);
                b_u8(b, 0);
                b_u16(b, (unsigned)strlen(sni));
                b_str(b, sni);
                b_close(b, ll, 2);
            }
            break;
        case 0x0010: {
            size_t ll = b_open(b, 2);
            b_u8(b, 2);
            b_str(b, "h2");
            b_u8(b, 8);
            b_str(b, "http/1.1");
            b_close(b, ll, 2);
            break;
        }
        case 0x000d: {
            size_t ll = b_open(b, 2);
            b_u16s(b, g_ex_sigalgs, sizeof g_ex_sigalgs / 2);
            b_close(b, ll, 2);
            break;
        }
        case 0x002b:
            b_u8(b, tls13 ? 6 : 4);
            b_u16(b, 0x1a1a);
            if (tls13) b_u16(b, 0x0304);
            b_u16(b, 0x0303);
            break;
        case 0x000b:
            b_u8(b, 1);
            b_u8(b, 0);
            break;
        case 0x000a:
            b_u16(b, 8);
            b_u16(b, 0x2a2a);
            b_u16(b, 0x001d);
            b_u16(b, 0x0017);
            b_u16(b, 0x0018);
            break;
        case 0x0033: {
            size_t ll = b_open(b, 2);
            b_u16(b, 0x2a2a);
            b_u16(b, 1);
            b_u8(b, 0);
            b_u16(b, 0x001d);
            b_u16(b, 32);
            for (int i = 0; i < 32; i++)
                b_u8(b, 0x11);
            b_close(b, ll, 2);
            break;
        }
        case 0x002d:
            b_u8(b, 1);
            b_u8(b, 1);
            break;
        case 0x0015:
            for (int i = 0; i < 10; i++)
                b_u8(b, 0);
            break;
        default:
            break;
        }
        b_close(b, l, 2);
    }
    b_u16(b, 0x3a3a); /* GREASE last, with one byte of data */
    b_u16(b, 1);
    b_u8(b, 0);
    b_close(b, el, 2);
}

/* The ServerHello of suricata-verify's tls-ja3s test: TLS 1.2, cipher 0xc02f, extensions
 * ff01, 0000, 000b, 0010 (h2), 0017. JA3S "771,49199,65281-0-11-16-23". */
static void server_hello12_body(struct bb *b, bool echo_sid)
{
    b_u16(b, 0x0303);
    for (int i = 0; i < 32; i++)
        b_u8(b, (unsigned)(0xa0 + i));
    b_u8(b, 32);
    for (int i = 0; i < 32; i++)
        b_u8(b, echo_sid ? 0x55 : 0x66);
    b_u16(b, 0xc02f);
    b_u8(b, 0);
    size_t el = b_open(b, 2);
    b_u16(b, 0xff01);
    b_u16(b, 1);
    b_u8(b, 0);
    b_u16(b, 0x0000);
    b_u16(b, 0);
    b_u16(b, 0x000b);
    b_u16(b, 2);
    b_u8(b, 1);
    b_u8(b, 0);
    b_u16(b, 0x0010);
    size_t l = b_open(b, 2);
    size_t ll = b_open(b, 2);
    b_u8(b, 2);
    b_str(b, "h2");
    b_close(b, ll, 2);
    b_close(b, l, 2);
    b_u16(b, 0x0017);
    b_u16(b, 0);
    b_close(b, el, 2);
}
#define JA3S_12 "771,49199,65281-0-11-16-23"
#define JA3S_12_MD5 "5d79edf64e03689ff559a54e9d9487bc"

/* TLS 1.3 ServerHello (or HelloRetryRequest): supported_versions 0x0304, key_share. JA3S
 * "771,4865,43-51" = f4febc55ea12b31ae17cfb7e614afda8. */
static const uint8_t g_hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

static void server_hello13_body(struct bb *b, bool hrr)
{
    b_u16(b, 0x0303);
    if (hrr)
        b_bytes(b, g_hrr_random, 32);
    else
        for (int i = 0; i < 32; i++)
            b_u8(b, (unsigned)(0x10 + i));
    b_u8(b, 32);
    for (int i = 0; i < 32; i++)
        b_u8(b, 0x55);
    b_u16(b, 0x1301);
    b_u8(b, 0);
    size_t el = b_open(b, 2);
    b_u16(b, 0x002b);
    b_u16(b, 2);
    b_u16(b, 0x0304);
    b_u16(b, 0x0033);
    if (hrr) {
        b_u16(b, 2);
        b_u16(b, 0x0017);
    } else {
        b_u16(b, 36);
        b_u16(b, 0x001d);
        b_u16(b, 32);
        for (int i = 0; i < 32; i++)
            b_u8(b, 0x22);
    }
    b_close(b, el, 2);
}
#define JA3S_13_MD5 "f4febc55ea12b31ae17cfb7e614afda8"

/* Certificate message body with the given DER blobs. */
static void certificate_body(struct bb *b, const uint8_t *const *der, const size_t *len, int n)
{
    size_t cl = b_open(b, 3);
    for (int i = 0; i < n; i++) {
        b_u24(b, (unsigned)len[i]);
        b_bytes(b, der[i], len[i]);
    }
    b_close(b, cl, 3);
}

/* ---- running a flow ---- */

struct seg {
    int dir;
    const uint8_t *p;
    size_t n;
};

/* A digest of everything handed over, to compare runs. */
struct result {
    char text[16384];
    size_t len;
    int n_ch, n_sh, n_cert, n_log;
    int events[64];
    int n_events;
    uint16_t anoms[32];
    unsigned n_anoms;
};

/* Appends pre, s and post (s may be NULL). */
static void r_put(struct result *r, const char *pre, const char *s, const char *post)
{
    int k = snprintf(r->text + r->len, sizeof r->text - r->len, "%s%s%s", pre, s ? s : "", post);
    if (k > 0 && (size_t)k < sizeof r->text - r->len) r->len += (size_t)k;
}

static void r_num(struct result *r, const char *name, unsigned long long v)
{
    char t[64];
    snprintf(t, sizeof t, "%s=%llu;", name, v);
    r_put(r, "", t, "");
}

static void on_ev(void *ud, const struct tls_session *s, const struct tls_event *ev)
{
    struct result *r = ud;
    if (r->n_events < 64) r->events[r->n_events++] = ev->kind;
    switch (ev->kind) {
    case TLS_EV_CLIENT_HELLO:
        r->n_ch++;
        r_put(r, "CH ", ev->ch->ja3_str, " ");
        r_put(r, "", ev->ch->ja3_hash, " ");
        r_put(r, "", ev->ch->ja4, " ");
        r_put(r, "", ev->ch->sni, ";");
        break;
    case TLS_EV_SERVER_HELLO:
        r->n_sh++;
        r_put(r, "SH ", ev->sh->ja3s_str, " ");
        r_put(r, "", ev->sh->ja3s_hash, ";");
        break;
    case TLS_EV_CERTIFICATE:
        r->n_cert++;
        r_num(r, "chain", ev->chain_len);
        if (ev->cert) r_put(r, "CERT ", ev->cert->subject, ";");
        break;
    case TLS_EV_LOG: {
        r->n_log++;
        char vb[TLS_VERSION_STR_MAX];
        r_put(r, "LOG ", tls_version_str(s->version, vb), ";");
        r_num(r, "flags", s->flags);
        break;
    }
    }
}

struct runcfg {
    int mode; /* 0 whole, 1 byte by byte, 2 split every segment at `at` */
    size_t at;
    const struct tls_config *cfg;
};

static struct tls_state *run(const struct seg *segs, int n, const struct runcfg *rc,
                             struct result *r, bool flush)
{
    memset(r, 0, sizeof *r);
    struct tls_state *st = tls_state_new(rc ? rc->cfg : NULL);
    if (!st) return NULL;
    struct vg_ts ts = {1700000000, 0};
    for (int i = 0; i < n; i++) {
        const struct seg *g = &segs[i];
        ts.sec++;
        int mode = rc ? rc->mode : 0;
        if (mode == 1) {
            for (size_t k = 0; k < g->n; k++)
                tls_parse(st, g->dir, g->p + k, 1, ts, on_ev, r);
        } else if (mode == 2 && rc->at < g->n) {
            tls_parse(st, g->dir, g->p, rc->at, ts, on_ev, r);
            tls_parse(st, g->dir, g->p + rc->at, g->n - rc->at, ts, on_ev, r);
        } else {
            tls_parse(st, g->dir, g->p, g->n, ts, on_ev, r);
        }
        r->n_anoms += tls_take_anomalies(st, r->anoms + r->n_anoms, 32 - r->n_anoms);
    }
    if (flush) tls_flush(st, on_ev, r);
    r->n_anoms += tls_take_anomalies(st, r->anoms + r->n_anoms, 32 - r->n_anoms);
    const struct tls_session *s = tls_session(st);
    r_num(r, "S.flags", s->flags);
    r_num(r, "S.version", s->version);
    r_put(r, "S.ja3=", s->ch.ja3_str, ";");
    r_put(r, "S.ja4=", s->ch.ja4, ";");
    r_put(r, "S.ja3s=", s->sh.ja3s_str, ";");
    if (s->server_cert) r_put(r, "S.cert=", s->server_cert->fingerprint, ";");
    const struct tls_counters *c = tls_counters(st);
    r_num(r, "rec0", c->records[0]);
    r_num(r, "rec1", c->records[1]);
    r_num(r, "enc0", c->encrypted_records[0]);
    r_num(r, "enc1", c->encrypted_records[1]);
    r_num(r, "encb0", c->encrypted_bytes[0]);
    r_num(r, "encb1", c->encrypted_bytes[1]);
    return st;
}

static bool has_anom(const struct result *r, int id)
{
    for (unsigned i = 0; i < r->n_anoms; i++)
        if (r->anoms[i] == id) return true;
    return false;
}

/* Runs the flow whole, byte by byte and split at every point of every segment; all must agree. */
static void check_splits(const struct seg *segs, int n, const struct result *whole)
{
    static struct result r;
    struct runcfg rc = {1, 0, NULL};
    struct tls_state *st = run(segs, n, &rc, &r, true);
    CHECK(st != NULL);
    CHECK(r.len == whole->len && memcmp(r.text, whole->text, r.len) == 0);
    tls_state_free(st);
    size_t maxn = 0;
    for (int i = 0; i < n; i++)
        if (segs[i].n > maxn) maxn = segs[i].n;
    int bad = 0;
    for (size_t at = 1; at < maxn; at++) {
        struct runcfg rs = {2, at, NULL};
        st = run(segs, n, &rs, &r, true);
        if (!st || r.len != whole->len || memcmp(r.text, whole->text, r.len) != 0) bad++;
        tls_state_free(st);
    }
    CHECK_EQ_U(bad, 0);
}

/* ---- the TLS 1.2 full handshake ---- */

struct flow12 {
    struct bb c1, s1, c2, s2, c3; /* client hello, server flight, client flight, server CCS, data */
};

static void build_flow12(struct flow12 *f, size_t frag, const char *sni)
{
    memset(f, 0, sizeof *f);
    struct bb body, msgs;
    memset(&body, 0, sizeof body);
    memset(&msgs, 0, sizeof msgs);
    client_hello_body(&body, sni, false, 0x30);
    hs_msg(&msgs, TLS_HS_CLIENT_HELLO, &body);
    records(&f->c1, 22, 0x0301, msgs.b, msgs.n, frag);

    /* ServerHello, Certificate (the test cert, then garbage as an "intermediate"),
     * ServerHelloDone: all in one message stream over records of `frag` bytes */
    msgs.n = 0;
    body.n = 0;
    server_hello12_body(&body, false);
    hs_msg(&msgs, TLS_HS_SERVER_HELLO, &body);
    body.n = 0;
    static const uint8_t junk[40] = {0x30, 0x26, 1, 2, 3};
    const uint8_t *der[2] = {g_test_cert_der, junk};
    size_t len[2] = {sizeof g_test_cert_der, sizeof junk};
    certificate_body(&body, der, len, 2);
    hs_msg(&msgs, TLS_HS_CERTIFICATE, &body);
    body.n = 0;
    hs_msg(&msgs, TLS_HS_SERVER_HELLO_DONE, &body);
    records(&f->s1, 22, 0x0303, msgs.b, msgs.n, frag);

    /* ClientKeyExchange, CCS, encrypted Finished */
    msgs.n = 0;
    body.n = 0;
    b_u8(&body, 32);
    for (int i = 0; i < 32; i++)
        b_u8(&body, 0x77);
    hs_msg(&msgs, TLS_HS_CLIENT_KEY_EXCHANGE, &body);
    records(&f->c2, 22, 0x0303, msgs.b, msgs.n, frag);
    b_bytes(&f->c2, "\x14\x03\x03\x00\x01\x01", 6);
    b_bytes(&f->c2, "\x16\x03\x03\x00\x28", 5); /* encrypted Finished: 40 random bytes */
    for (int i = 0; i < 40; i++)
        b_u8(&f->c2, (unsigned)(i * 37));
    /* server CCS + encrypted Finished */
    b_bytes(&f->s2, "\x14\x03\x03\x00\x01\x01", 6);
    b_bytes(&f->s2, "\x16\x03\x03\x00\x28", 5);
    for (int i = 0; i < 40; i++)
        b_u8(&f->s2, (unsigned)(i * 91));
    /* application data */
    b_bytes(&f->c3, "\x17\x03\x03\x00\x10", 5);
    for (int i = 0; i < 16; i++)
        b_u8(&f->c3, 0xee);
}

static int flow12_segs(const struct flow12 *f, struct seg *segs)
{
    segs[0] = (struct seg){TLS_DIR_TOSERVER, f->c1.b, f->c1.n};
    segs[1] = (struct seg){TLS_DIR_TOCLIENT, f->s1.b, f->s1.n};
    segs[2] = (struct seg){TLS_DIR_TOSERVER, f->c2.b, f->c2.n};
    segs[3] = (struct seg){TLS_DIR_TOCLIENT, f->s2.b, f->s2.n};
    segs[4] = (struct seg){TLS_DIR_TOSERVER, f->c3.b, f->c3.n};
    return 5;
}

static void test_tls12_handshake(void)
{
    static struct flow12 f;
    static struct result r;
    struct seg segs[5];
    build_flow12(&f, 16384, "www.example.com");
    int n = flow12_segs(&f, segs);
    struct tls_state *st = run(segs, n, NULL, &r, false);
    CHECK(st != NULL);
    const struct tls_session *s = tls_session(st);
    CHECK(s->flags & TLS_SF_CLIENT_HELLO);
    CHECK(s->flags & TLS_SF_SERVER_HELLO);
    CHECK(s->flags & TLS_SF_HANDSHAKE_DONE);
    CHECK(tls_handshake_done(st));
    CHECK(!(s->flags & TLS_SF_TLS13));
    CHECK_EQ_U(s->version, TLS_VERSION_12);
    CHECK_STR(s->ch.ja3_str, JA3_EXAMPLE);
    CHECK_STR(s->ch.ja3_hash, JA3_EXAMPLE_MD5);
    /* the same hello offering no 1.3: JA4 version 12 */
    CHECK_STR(s->ch.ja4, "t12d1516h2_8daaf6152771_e5627efa2ab1");
    CHECK_STR(s->ch.sni, "www.example.com");
    CHECK_EQ_U(s->ch.sni_len, 15);
    CHECK_EQ_U(s->ch.n_ciphers, 16); /* GREASE kept in the raw list */
    CHECK_EQ_U(s->ch.ciphers[0], 0x0a0a);
    CHECK_EQ_U(s->ch.n_exts, 18);
    CHECK_EQ_U(s->ch.n_sigalgs, 8);
    CHECK_EQ_U(s->ch.n_groups, 4);
    CHECK_EQ_U(s->ch.n_point_formats, 1);
    CHECK_EQ_U(s->ch.n_versions, 2);
    CHECK_EQ_U(s->ch.ja4_version, 0x0303);
    CHECK_EQ_U(s->ch.alpn.n, 2);
    CHECK_STR(s->ch.alpn.buf + s->ch.alpn.off[0], "h2");
    CHECK_STR(s->ch.alpn.buf + s->ch.alpn.off[1], "http/1.1");
    CHECK(s->ch.flags & TLS_CHF_KEY_SHARE);
    CHECK_EQ_U(s->ch.n_key_shares, 2);
    CHECK_EQ_U(s->ch.key_share_groups[1], 0x001d);
    CHECK_EQ_U(s->ch.session_id_len, 32);
    CHECK_EQ_U(s->ch.random[0], 0x30);
    CHECK_STR(s->sh.ja3s_str, JA3S_12);
    CHECK_STR(s->sh.ja3s_hash, JA3S_12_MD5);
    CHECK_EQ_U(s->sh.cipher, 0xc02f);
    CHECK_EQ_U(s->sh.alpn.n, 1);
    CHECK_STR(s->sh.alpn.buf, "h2");
    CHECK(!(s->flags & TLS_SF_RESUMED));
    /* the certificate */
    CHECK(s->server_cert != NULL);
    CHECK(s->client_cert == NULL);
    CHECK_EQ_U(s->server_chain_len, 2);
    if (s->server_cert) {
        const struct tls_cert *c = s->server_cert;
        CHECK_STR(c->subject, TEST_CERT_SUBJECT);
        CHECK_STR(c->issuer, TEST_CERT_ISSUER);
        CHECK_STR(c->serial, TEST_CERT_SERIAL);
        CHECK_STR(c->fingerprint, TEST_CERT_FINGERPRINT);
        CHECK_STR(c->not_before, TEST_CERT_NOTBEFORE);
        CHECK_STR(c->not_after, TEST_CERT_NOTAFTER);
        CHECK(c->not_before_s == TEST_CERT_NOTBEFORE_S);
        CHECK(c->not_after_s == TEST_CERT_NOTAFTER_S);
        CHECK_EQ_U(c->n_san, 3); /* the IP address entry is not a dNSName */
        CHECK_STR(c->san + c->san_off[0], "tls.vigil.test");
        CHECK_STR(c->san + c->san_off[1], "*.vigil.test");
        CHECK_STR(c->san + c->san_off[2], "xn--j1ahhq.vigil.test");
        CHECK_EQ_U(c->der_len, sizeof g_test_cert_der);
    }
    /* events: CH, SH, CERT, LOG (when both sides were encrypted) */
    CHECK_EQ_U(r.n_events, 4);
    CHECK(r.events[0] == TLS_EV_CLIENT_HELLO && r.events[1] == TLS_EV_SERVER_HELLO &&
          r.events[2] == TLS_EV_CERTIFICATE && r.events[3] == TLS_EV_LOG);
    const struct tls_counters *c = tls_counters(st);
    CHECK_EQ_U(c->client_hellos, 1);
    CHECK_EQ_U(c->certificates, 2);
    CHECK_EQ_U(c->cert_decoded, 1);
    CHECK_EQ_U(c->encrypted_records[0], 2); /* Finished + application data */
    CHECK_EQ_U(c->encrypted_records[1], 1);
    CHECK_EQ_U(c->encrypted_bytes[0], 56);
    CHECK_EQ_U(r.n_anoms, 0);
    /* nothing more is logged at flush */
    tls_flush(st, on_ev, &r);
    CHECK_EQ_U(r.n_log, 1);
    CHECK(tls_parse(st, 0, f.c3.b, f.c3.n, (struct vg_ts){0, 0}, on_ev, &r) == VG_DECLINED);
    tls_state_free(st);

    /* every split, and every record size: same result */
    static struct result whole;
    build_flow12(&f, 16384, "www.example.com");
    n = flow12_segs(&f, segs);
    st = run(segs, n, NULL, &whole, true);
    tls_state_free(st);
    check_splits(segs, n, &whole);
    int bad = 0;
    for (size_t frag = 1; frag <= 700; frag += (frag < 40 ? 1 : 37)) {
        build_flow12(&f, frag, "www.example.com");
        n = flow12_segs(&f, segs);
        st = run(segs, n, NULL, &r, true);
        /* record counts differ with the record size; the rest must not */
        const char *cut = strstr(r.text, "rec0=");
        const char *wcut = strstr(whole.text, "rec0=");
        if (!st || !cut || !wcut || cut - r.text != wcut - whole.text ||
            memcmp(r.text, whole.text, (size_t)(cut - r.text)) != 0)
            bad++;
        tls_state_free(st);
    }
    CHECK_EQ_U(bad, 0);
    /* one fragmented layout also split at every point */
    build_flow12(&f, 7, "www.example.com");
    n = flow12_segs(&f, segs);
    st = run(segs, n, NULL, &whole, true);
    tls_state_free(st);
    check_splits(segs, n, &whole);
}

/* ---- TLS 1.3 with HelloRetryRequest and middlebox-compatibility CCS ---- */

static void test_tls13_hrr(void)
{
    static struct bb c1, s1, c2, s2, c3;
    struct bb body, msgs;
    memset(&c1, 0, sizeof c1);
    memset(&s1, 0, sizeof s1);
    memset(&c2, 0, sizeof c2);
    memset(&s2, 0, sizeof s2);
    memset(&c3, 0, sizeof c3);
    body.n = msgs.n = 0;
    client_hello_body(&body, "tls13.example", true, 1);
    hs_msg(&msgs, TLS_HS_CLIENT_HELLO, &body);
    records(&c1, 22, 0x0301, msgs.b, msgs.n, 16384);
    /* HRR + CCS */
    body.n = msgs.n = 0;
    server_hello13_body(&body, true);
    hs_msg(&msgs, TLS_HS_SERVER_HELLO, &body);
    records(&s1, 22, 0x0303, msgs.b, msgs.n, 16384);
    b_bytes(&s1, "\x14\x03\x03\x00\x01\x01", 6);
    /* client: CCS, second ClientHello (in the clear) */
    b_bytes(&c2, "\x14\x03\x03\x00\x01\x01", 6);
    body.n = msgs.n = 0;
    client_hello_body(&body, "tls13.example", true, 2);
    hs_msg(&msgs, TLS_HS_CLIENT_HELLO, &body);
    records(&c2, 22, 0x0303, msgs.b, msgs.n, 16384);
    /* ServerHello, then encrypted records */
    body.n = msgs.n = 0;
    server_hello13_body(&body, false);
    hs_msg(&msgs, TLS_HS_SERVER_HELLO, &body);
    records(&s2, 22, 0x0303, msgs.b, msgs.n, 16384);
    b_bytes(&s2, "\x17\x03\x03\x00\x05\x01\x02\x03\x04\x05", 10);
    b_bytes(&s2, "\x17\x03\x03\x00\x03\x01\x02\x03", 8);
    /* client Finished (encrypted) */
    b_bytes(&c3, "\x17\x03\x03\x00\x04\x09\x09\x09\x09", 9);
    struct seg segs[5] = {
        {0, c1.b, c1.n}, {1, s1.b, s1.n}, {0, c2.b, c2.n}, {1, s2.b, s2.n}, {0, c3.b, c3.n}};
    static struct result r;
    struct tls_state *st = run(segs, 5, NULL, &r, true);
    const struct tls_session *s = tls_session(st);
    CHECK(s->flags & TLS_SF_HRR);
    CHECK(s->flags & TLS_SF_SERVER_HELLO);
    CHECK(s->flags & TLS_SF_TLS13);
    CHECK(s->flags & TLS_SF_HANDSHAKE_DONE);
    CHECK_EQ_U(s->version, TLS_VERSION_13);
    CHECK_EQ_U(s->n_client_hellos, 2);
    CHECK_EQ_U(s->n_server_hellos, 2);
    CHECK_EQ_U(r.n_ch, 2);
    CHECK_EQ_U(r.n_sh, 2);
    CHECK_EQ_U(r.n_log, 1);
    CHECK_EQ_U(s->ch.random[0], 1); /* the session keeps the first hello */
    CHECK_STR(s->ch.ja4, JA4_EXAMPLE);
    CHECK_EQ_U(s->ch.ja4_version, 0x0304);
    CHECK(!(s->sh.flags & TLS_SHF_HRR));
    CHECK_STR(s->sh.ja3s_hash, JA3S_13_MD5);
    CHECK_EQ_U(s->sh.selected_version, 0x0304);
    CHECK_EQ_U(tls_counters(st)->encrypted_records[1], 2);
    CHECK_EQ_U(tls_counters(st)->encrypted_records[0], 1);
    CHECK_EQ_U(tls_counters(st)->hello_retries, 1);
    CHECK_EQ_U(r.n_anoms, 0);
    char vb[TLS_VERSION_STR_MAX];
    CHECK_STR(tls_version_str(s->version, vb), "TLS 1.3");
    tls_state_free(st);
    check_splits(segs, 5, &r);

    /* without a ServerHello the version is the client's (Suricata >= 8.0.3) */
    st = run(segs, 1, NULL, &r, true);
    CHECK_EQ_U(tls_session(st)->version, TLS_VERSION_13);
    CHECK_EQ_U(r.n_log, 1);
    CHECK(strstr(r.text, "LOG TLS 1.3;") != NULL);
    tls_state_free(st);
}

/* ---- fingerprints ---- */

static void test_grease(void)
{
    int n = 0;
    for (unsigned v = 0; v <= 0xffff; v++)
        n += tls_is_grease((uint16_t)v);
    CHECK_EQ_U(n, 16);
    for (unsigned k = 0; k < 16; k++)
        CHECK(tls_is_grease((uint16_t)(k * 0x1010 + 0x0a0a)));
    CHECK(!tls_is_grease(0x0a1a));
    CHECK(!tls_is_grease(0x1a0a));
    CHECK(!tls_is_grease(0x0a0b));
    CHECK(!tls_is_grease(0x0000));
    CHECK(!tls_is_grease(0xfafb));
}

static void test_ja4_spec(void)
{
    /* FoxIO JA4.md: the example's raw lists (no GREASE) */
    static const uint16_t versions[] = {0x0304, 0x0303};
    const uint8_t h2[] = "h2";
    struct tls_ja4_input in = {'t', 0x0303, versions,     2, true, g_ex_ciphers, 15, g_ex_exts, 16,
                               h2,  2,      g_ex_sigalgs, 8};
    char out[TLS_JA4_LEN + 1], raw[1024];
    size_t n = tls_ja4(&in, out, raw, sizeof raw);
    CHECK_STR(out, JA4_EXAMPLE);
    CHECK_STR(raw, JA4_R_EXAMPLE);
    CHECK_EQ_U(n, strlen(JA4_R_EXAMPLE));
    /* GREASE anywhere changes nothing */
    uint16_t gc[17], ge[18], gs[9], gv[3] = {0x2a2a, 0x0304, 0x0303};
    gc[0] = 0x5a5a;
    memcpy(gc + 1, g_ex_ciphers, sizeof g_ex_ciphers);
    ge[0] = 0xbaba;
    memcpy(ge + 1, g_ex_exts, sizeof g_ex_exts);
    ge[17] = 0xfafa;
    memcpy(gs, g_ex_sigalgs, sizeof g_ex_sigalgs);
    gs[8] = 0x0a0a;
    struct tls_ja4_input gin = {'t', 0x0303, gv, 3, true, gc, 16, ge, 18, h2, 2, gs, 9};
    tls_ja4(&gin, out, NULL, 0);
    CHECK_STR(out, JA4_EXAMPLE);
    /* "If there are no signature algorithms ... the string ends without an underscore":
     * 0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01 = 6d807ffa2a79 */
    in.n_sigalgs = 0;
    tls_ja4(&in, out, raw, sizeof raw);
    CHECK_STR(out, "t13d1516h2_8daaf6152771_6d807ffa2a79");
    in.n_sigalgs = 8;
    /* no SNI, no ALPN, no supported_versions: i, 00, version from the hello */
    in.has_sni = false;
    in.alpn = NULL;
    in.alpn_len = 0;
    in.n_versions = 0;
    tls_ja4(&in, out, NULL, 0);
    CHECK(strncmp(out, "t12i151600_8daaf6152771_", 24) == 0);
    /* empty lists: 000000000000 */
    struct tls_ja4_input e = {'t', 0x0301, NULL, 0, false, NULL, 0, NULL, 0, NULL, 0, NULL, 0};
    tls_ja4(&e, out, raw, sizeof raw);
    CHECK_STR(out, "t10i000000_000000000000_000000000000");
    /* only SNI and ALPN: the sorted list is empty although the count is 2 */
    static const uint16_t sa[] = {0x0000, 0x0010};
    e.exts = sa;
    e.n_exts = 2;
    tls_ja4(&e, out, NULL, 0);
    CHECK_STR(out, "t10i000200_000000000000_000000000000");
    /* versions: s3, s2, d1-d3, unknown 00; QUIC 'q' */
    static const struct {
        uint16_t v;
        const char *s;
    } vm[] = {{0x0300, "s3"}, {0x0002, "s2"}, {0xfeff, "d1"}, {0xfefd, "d2"},
              {0xfefc, "d3"}, {0x7f1c, "00"}, {0x0305, "00"}};
    for (size_t i = 0; i < sizeof vm / sizeof vm[0]; i++) {
        struct tls_ja4_input v = {'q', vm[i].v, NULL, 0, true, NULL, 0, NULL, 0, NULL, 0, NULL, 0};
        tls_ja4(&v, out, NULL, 0);
        CHECK(out[0] == 'q' && out[1] == vm[i].s[0] && out[2] == vm[i].s[1]);
    }
    /* counts cap at 99 */
    static uint16_t many[150];
    for (int i = 0; i < 150; i++)
        many[i] = (uint16_t)(0x0100 + i);
    struct tls_ja4_input m = {'t', 0x0303, NULL, 0, true, many, 150, many, 120, NULL, 0, NULL, 0};
    tls_ja4(&m, out, NULL, 0);
    CHECK(strncmp(out, "t12d999900_", 11) == 0);
    /* ALPN characters (JA4.md): alphanumeric ends as they are, else the hex form's ends */
    static const struct {
        const char *a;
        size_t n;
        const char *want;
    } al[] = {{"h2", 2, "h2"},
              {"http/1.1", 8, "h1"},
              {"x", 1, "xx"},
              {"\xab", 1, "ab"},
              {"\xab\xcd", 2, "ad"},
              {"\x30\xab", 2, "3b"},
              {"\x30\x31\xab\xcd", 4, "3d"},
              {"\x30\xab\xcd\x31", 4, "01"},
              {"", 0, "00"},
              {"spdy/3.1", 8, "s1"}};
    for (size_t i = 0; i < sizeof al / sizeof al[0]; i++) {
        struct tls_ja4_input a = {'t',     0x0303, NULL, 0, true,
                                  NULL,    0,      NULL, 0, (const uint8_t *)al[i].a,
                                  al[i].n, NULL,   0};
        tls_ja4(&a, out, NULL, 0);
        CHECK(out[8] == al[i].want[0] && out[9] == al[i].want[1]);
        if (out[8] != al[i].want[0] || out[9] != al[i].want[1])
            fprintf(stderr, "  alpn case %zu: got %.2s want %s\n", i, out + 8, al[i].want);
    }
}

static void test_ja3(void)
{
    /* JA3 over a hand-made hello: empty lists give empty fields, and every list drops GREASE.
     * "769,,,," = python3 hashlib.md5 -> f5d1076d0d11b5cd81c4c4e8e8ee881a */
    static struct tls_client_hello ch;
    memset(&ch, 0, sizeof ch);
    ch.version = 0x0301;
    char s[TLS_JA3_STR_MAX], h[TLS_HASH_HEX];
    size_t n = tls_ja3(&ch, s, sizeof s, h);
    CHECK_STR(s, "769,,,,");
    CHECK_EQ_U(n, 7);
    CHECK_STR(h, "f5d1076d0d11b5cd81c4c4e8e8ee881a");
    ch.n_ciphers = 3;
    ch.ciphers[0] = 0xdada;
    ch.ciphers[1] = 0x002f;
    ch.ciphers[2] = 0x0035;
    ch.n_groups = 2;
    ch.groups[0] = 0x3a3a;
    ch.groups[1] = 0x0017;
    ch.n_exts = 1;
    ch.exts[0] = 0x1a1a;
    ch.n_point_formats = 3;
    ch.point_formats[0] = 0;
    ch.point_formats[1] = 1;
    ch.point_formats[2] = 2;
    /* "769,47-53,,23,0-1-2" -> 7241f7c48e1c01904473df4648ac98a2 */
    tls_ja3(&ch, s, sizeof s, h);
    CHECK_STR(s, "769,47-53,,23,0-1-2");
    CHECK_STR(h, "7241f7c48e1c01904473df4648ac98a2");
    /* cut storage, full hash */
    char small[8];
    n = tls_ja3(&ch, small, sizeof small, h);
    CHECK_STR(small, "769,47-");
    CHECK_EQ_U(n, 19);
    CHECK_STR(h, "7241f7c48e1c01904473df4648ac98a2");
    /* JA3S */
    static struct tls_server_hello sh;
    memset(&sh, 0, sizeof sh);
    sh.version = 0x0303;
    sh.cipher = 0xc02f;
    static const uint16_t ex[] = {0xff01, 0x0000, 0x000b, 0x0010, 0x0017, 0x0a0a};
    memcpy(sh.exts, ex, sizeof ex);
    sh.n_exts = 6;
    tls_ja3s(&sh, s, sizeof s, h);
    CHECK_STR(s, JA3S_12);
    CHECK_STR(h, JA3S_12_MD5);
}

/* ---- SSLv2-compatible hello, probes, anomalies ---- */

static void test_sslv2(void)
{
    /* CLIENT-HELLO: version 0x0301, 3 cipher specs (one SSLv2-only), no session id, 16-byte
     * challenge */
    struct bb b;
    b.n = 0;
    size_t at = b.n;
    b_u16(&b, 0);
    b_u8(&b, 1);
    b_u16(&b, 0x0301);
    b_u16(&b, 9);
    b_u16(&b, 0);
    b_u16(&b, 16);
    b_bytes(&b, "\x00\x00\x2f\x00\x00\x35\x07\x00\xc0", 9);
    for (int i = 0; i < 16; i++)
        b_u8(&b, (unsigned)i);
    unsigned len = (unsigned)(b.n - 2);
    b.b[at] = (uint8_t)(0x80 | (len >> 8));
    b.b[at + 1] = (uint8_t)len;
    CHECK(tls_probe(b.b, b.n, TLS_DIR_TOSERVER) == VG_OK);
    CHECK(tls_probe(b.b, 4, TLS_DIR_TOSERVER) == VG_AGAIN);
    CHECK(tls_probe(b.b, b.n, TLS_DIR_TOCLIENT) == VG_DECLINED);
    /* the server answers with TLS records: a TLS 1.0 ServerHello */
    struct bb sb, body, msgs;
    sb.n = body.n = msgs.n = 0;
    server_hello12_body(&body, false);
    body.b[1] = 0x01; /* version 0x0301 */
    hs_msg(&msgs, TLS_HS_SERVER_HELLO, &body);
    records(&sb, 22, 0x0301, msgs.b, msgs.n, 16384);
    struct seg segs[2] = {{0, b.b, b.n}, {1, sb.b, sb.n}};
    static struct result r;
    struct tls_state *st = run(segs, 2, NULL, &r, true);
    const struct tls_session *s = tls_session(st);
    CHECK(s->flags & TLS_SF_SSLV2);
    CHECK(s->ch.flags & TLS_CHF_SSLV2);
    CHECK_EQ_U(s->ch.version, 0x0301);
    CHECK_EQ_U(s->ch.n_ciphers, 2);
    CHECK_EQ_U(s->ch.n_sslv2_ciphers, 1);
    CHECK_EQ_U(s->ch.random[31], 15);
    CHECK_STR(s->ch.ja3_hash, ""); /* no JA3 for SSLv2 hellos (as tshark) */
    CHECK_STR(s->ch.ja4, "");
    CHECK_EQ_U(s->version, TLS_VERSION_10);
    CHECK_EQ_U(tls_counters(st)->sslv2_hellos, 1);
    CHECK_EQ_U(r.n_log, 1);
    char vb[TLS_VERSION_STR_MAX];
    CHECK_STR(tls_version_str(s->version, vb), "TLSv1");
    tls_state_free(st);
    check_splits(segs, 2, &r);

    /* an SSLv2 SERVER-HELLO (with the test certificate) while the client's SSLv2 record is still
     * being collected: the session is SSLv2, the rest of the client record is only counted */
    struct bb v2s;
    v2s.n = 0;
    at = v2s.n;
    b_u16(&v2s, 0);
    b_u8(&v2s, 4);
    b_u8(&v2s, 0);
    b_u8(&v2s, 1);
    b_u16(&v2s, 0x0002);
    b_u16(&v2s, sizeof g_test_cert_der);
    b_u16(&v2s, 3);
    b_u16(&v2s, 16);
    b_bytes(&v2s, g_test_cert_der, sizeof g_test_cert_der);
    b_bytes(&v2s, "\x07\x00\xc0", 3);
    for (int i = 0; i < 16; i++)
        b_u8(&v2s, (unsigned)i);
    len = (unsigned)(v2s.n - 2);
    v2s.b[at] = (uint8_t)(0x80 | (len >> 8));
    v2s.b[at + 1] = (uint8_t)len;
    CHECK(tls_probe(v2s.b, v2s.n, TLS_DIR_TOCLIENT) == VG_OK);
    struct seg segs2[3] = {{0, b.b, 10}, {1, v2s.b, v2s.n}, {0, b.b + 10, b.n - 10}};
    st = run(segs2, 3, NULL, &r, true);
    s = tls_session(st);
    CHECK_EQ_U(s->version, TLS_VERSION_SSL2);
    CHECK(s->sh.flags & TLS_SHF_SSLV2);
    CHECK(s->server_cert != NULL);
    CHECK(s->flags & TLS_SF_HANDSHAKE_DONE);
    CHECK(!(s->flags & TLS_SF_CLIENT_HELLO)); /* its hello was cut by the switch */
    CHECK_STR(tls_version_str(s->version, vb), "SSLv2");
    tls_state_free(st);
    struct seg segs3[2] = {{0, b.b, b.n}, {1, v2s.b, v2s.n}};
    st = run(segs3, 2, NULL, &r, true);
    CHECK(tls_session(st)->flags & TLS_SF_CLIENT_HELLO);
    CHECK(tls_session(st)->server_cert != NULL);
    CHECK_EQ_U(tls_session(st)->server_chain_len, 1);
    CHECK_EQ_U(r.n_log, 1);
    tls_state_free(st);
    check_splits(segs3, 2, &r);
}

static void test_probe(void)
{
    static struct flow12 f;
    build_flow12(&f, 16384, "x.example");
    CHECK(tls_probe(f.c1.b, f.c1.n, TLS_DIR_TOSERVER) == VG_OK);
    CHECK(tls_probe(f.c1.b, f.c1.n, -1) == VG_OK);
    CHECK(tls_probe(f.c1.b, f.c1.n, TLS_DIR_TOCLIENT) == VG_DECLINED);
    CHECK(tls_probe(f.s1.b, f.s1.n, TLS_DIR_TOCLIENT) == VG_OK);
    CHECK(tls_probe(f.s1.b, f.s1.n, TLS_DIR_TOSERVER) == VG_DECLINED);
    for (size_t k = 0; k < 11; k++)
        CHECK(tls_probe(f.c1.b, k, TLS_DIR_TOSERVER) == VG_AGAIN);
    static const char *no[] = {"GET / HTTP/1.1\r\n",       "SSH-2.0-OpenSSH_9.6\r\n",
                               "\x16\x02\x01\x00\x10\x01", "\x16\x03\x05\x00\x10\x01",
                               "\x16\x03\x01\x00\x00\x01", "\x16\x03\x01\x48\x01\x01",
                               "\x17\x03\x03\x00\x10\x01", "\x16\x03\x01\x00\x40\x0b"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CHECK(tls_probe((const uint8_t *)no[i], strlen(no[i]) < 6 ? 6 : strlen(no[i]), -1) ==
              VG_DECLINED);
    /* implausible message length / version */
    uint8_t bad[11];
    memcpy(bad, f.c1.b, 11);
    bad[6] = 0;
    bad[7] = 0;
    bad[8] = 10; /* 10-byte ClientHello */
    CHECK(tls_probe(bad, 11, 0) == VG_DECLINED);
    memcpy(bad, f.c1.b, 11);
    bad[9] = 0x01; /* version 0x0103 */
    CHECK(tls_probe(bad, 11, 0) == VG_DECLINED);
    /* a handshake header spanning records: decided on the type byte */
    const uint8_t tiny[] = {0x16, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00};
    CHECK(tls_probe(tiny, sizeof tiny, 0) == VG_OK);
    CHECK(tls_probe(NULL, 0, 0) == VG_AGAIN);
}

static void test_anomalies(void)
{
    static struct result r;
    /* not TLS: invalid record type, direction given up */
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    struct seg s1[1] = {{0, (const uint8_t *)http, strlen(http)}};
    struct tls_state *st = run(s1, 1, NULL, &r, true);
    CHECK(has_anom(&r, ANOM_TLS_INVALID_RECORD_TYPE));
    CHECK(tls_session(st)->flags & TLS_SF_GAVE_UP);
    CHECK(tls_parse(st, 0, (const uint8_t *)"x", 1, (struct vg_ts){0, 0}, NULL, NULL) ==
          VG_DECLINED);
    CHECK_EQ_U(r.n_log, 0);
    tls_state_free(st);
    /* bad record version */
    const uint8_t v[] = {0x16, 0x02, 0x00, 0x00, 0x01, 0x00};
    struct seg s2[1] = {{0, v, sizeof v}};
    st = run(s2, 1, NULL, &r, true);
    CHECK(has_anom(&r, ANOM_TLS_INVALID_RECORD_VERSION));
    tls_state_free(st);

    /* SNI: too long, wrong type, twice; record too long; heartbeat overflow; bad alert */
    struct bb body, msgs, c;
    body.n = msgs.n = c.n = 0;
    b_u16(&body, 0x0303);
    for (int i = 0; i < 32; i++)
        b_u8(&body, 0);
    b_u8(&body, 0);
    b_u16(&body, 2);
    b_u16(&body, 0x002f);
    b_u8(&body, 1);
    b_u8(&body, 0);
    size_t el = b_open(&body, 2);
    b_u16(&body, 0); /* SNI of 256 bytes */
    size_t l = b_open(&body, 2);
    size_t ll = b_open(&body, 2);
    b_u8(&body, 0);
    b_u16(&body, 256);
    for (int i = 0; i < 256; i++)
        b_u8(&body, 'a');
    b_close(&body, ll, 2);
    b_close(&body, l, 2);
    b_u16(&body, 0); /* a second SNI extension, of type 1 */
    l = b_open(&body, 2);
    ll = b_open(&body, 2);
    b_u8(&body, 1);
    b_u16(&body, 1);
    b_u8(&body, 'b');
    b_close(&body, ll, 2);
    b_close(&body, l, 2);
    b_close(&body, el, 2);
    hs_msg(&msgs, TLS_HS_CLIENT_HELLO, &body);
    records(&c, 22, 0x0301, msgs.b, msgs.n, 16384);
    b_bytes(&c, "\x18\x03\x03\x00\x13\x01\x40\x00", 8); /* heartbeat claiming 16 KiB */
    for (int i = 0; i < 16; i++)
        b_u8(&c, 0);
    b_bytes(&c, "\x15\x03\x03\x00\x03\x02\x28\x00", 8); /* alert of 3 bytes */
    b_u8(&c, 0x17);                                     /* application data record of 20000 bytes */
    b_u16(&c, 0x0303);
    b_u16(&c, 20000);
    struct seg s3[1] = {{0, c.b, c.n}};
    st = run(s3, 1, NULL, &r, true);
    CHECK(has_anom(&r, ANOM_TLS_INVALID_SNI_LENGTH));
    CHECK(has_anom(&r, ANOM_TLS_MULTIPLE_SNI_EXTENSIONS));
    CHECK(has_anom(&r, ANOM_TLS_HEARTBEAT_MESSAGE));
    CHECK(has_anom(&r, ANOM_TLS_OVERFLOW_HEARTBEAT_MESSAGE));
    CHECK(has_anom(&r, ANOM_TLS_INVALID_ALERT_MESSAGE));
    CHECK(has_anom(&r, ANOM_TLS_INVALID_RECORD_LENGTH));
    CHECK(tls_session(st)->ch.flags & TLS_CHF_HAS_SNI_EXT);
    CHECK_EQ_U(tls_session(st)->ch.sni_len, 0);
    CHECK(tls_session(st)->flags & TLS_SF_ALERT_TS);
    CHECK_EQ_U(tls_session(st)->alert_desc[0], 0x28);
    /* JA4 still says 'd': the extension is there */
    CHECK(tls_session(st)->ch.ja4[3] == 'd');
    tls_state_free(st);

    /* a message over msg_max is skipped, counted, and parsing goes on */
    struct tls_config cfg;
    tls_config_default(&cfg);
    cfg.msg_max = 1024;
    struct bb big;
    big.n = msgs.n = body.n = 0;
    for (int i = 0; i < 2000; i++)
        b_u8(&body, 0);
    hs_msg(&msgs, 23, &body); /* supplemental_data, 2000 bytes */
    body.n = 0;
    client_hello_body(&body, "after.big", false, 9);
    hs_msg(&msgs, TLS_HS_CLIENT_HELLO, &body);
    records(&big, 22, 0x0301, msgs.b, msgs.n, 300);
    struct seg s4[1] = {{0, big.b, big.n}};
    struct runcfg rc = {1, 0, &cfg};
    st = run(s4, 1, &rc, &r, true);
    CHECK(has_anom(&r, ANOM_TLS_HANDSHAKE_MESSAGE_TOO_LONG));
    CHECK_EQ_U(tls_counters(st)->msg_too_long, 1);
    CHECK_STR(tls_session(st)->ch.sni, "after.big");
    tls_state_free(st);

    /* certificate: bad DER, lengths that do not add up, unknown handshake type */
    struct bb s;
    s.n = msgs.n = body.n = 0;
    static const uint8_t junk[8] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
    b_u24(&body, 100); /* chain length says 100 */
    b_u24(&body, sizeof junk);
    b_bytes(&body, junk, sizeof junk);
    hs_msg(&msgs, TLS_HS_CERTIFICATE, &body);
    body.n = 0;
    hs_msg(&msgs, 99, &body);
    records(&s, 22, 0x0303, msgs.b, msgs.n, 16384);
    struct seg s5[1] = {{1, s.b, s.n}};
    st = run(s5, 1, NULL, &r, true);
    CHECK(has_anom(&r, ANOM_TLS_CERTIFICATE_INVALID_LENGTH));
    CHECK(has_anom(&r, ANOM_TLS_CERTIFICATE_INVALID_DER));
    CHECK(has_anom(&r, ANOM_TLS_INVALID_HANDSHAKE_MESSAGE));
    CHECK(tls_session(st)->server_cert == NULL);
    CHECK_EQ_U(tls_session(st)->server_chain_len, 1);
    CHECK_EQ_U(r.n_log, 0); /* no hello: nothing to log */
    tls_state_free(st);

    /* a ClientHello sent by the server is refused */
    static struct flow12 f;
    build_flow12(&f, 16384, "x");
    struct seg s6[1] = {{1, f.c1.b, f.c1.n}};
    st = run(s6, 1, NULL, &r, true);
    CHECK(has_anom(&r, ANOM_TLS_INVALID_HANDSHAKE_MESSAGE));
    CHECK(!(tls_session(st)->flags & TLS_SF_CLIENT_HELLO));
    tls_state_free(st);
    /* each anomaly once per flow */
    static struct result r2;
    struct seg s7[2] = {{1, f.c1.b, f.c1.n}, {1, f.c1.b, f.c1.n}};
    st = run(s7, 2, NULL, &r2, true);
    CHECK_EQ_U(r2.n_anoms, 1);
    tls_state_free(st);
}

/* Every prefix of the handshake, and every truncation of each hello body (the message and record
 * lengths adjusted to the cut): no crash, no read out of bounds (ASan), sane flags. */
static void test_truncation(void)
{
    static struct flow12 f;
    build_flow12(&f, 16384, "trunc.example");
    static struct result r;
    struct seg segs[5];
    flow12_segs(&f, segs);
    for (int i = 0; i < 5; i++) {
        for (size_t k = 0; k <= segs[i].n; k++) {
            struct seg cut[5];
            memcpy(cut, segs, sizeof cut);
            cut[i].n = k;
            struct tls_state *st = run(cut, i + 1, NULL, &r, true);
            CHECK(st != NULL);
            tls_state_free(st);
        }
    }
    struct bb body;
    body.n = 0;
    client_hello_body(&body, "trunc.example", true, 3);
    int malformed = 0, complete = 0;
    for (size_t k = 0; k <= body.n; k++) {
        struct bb part, msgs, rec;
        part.n = msgs.n = rec.n = 0;
        b_bytes(&part, body.b, k);
        hs_msg(&msgs, TLS_HS_CLIENT_HELLO, &part);
        records(&rec, 22, 0x0301, msgs.b, msgs.n, 16384);
        struct seg s[1] = {{0, rec.b, rec.n}};
        struct tls_state *st = run(s, 1, NULL, &r, true);
        const struct tls_session *ss = tls_session(st);
        if (ss->ch.flags & TLS_CHF_MALFORMED) malformed++;
        if (!(ss->ch.flags & TLS_CHF_MALFORMED)) complete++;
        tls_state_free(st);
    }
    /* cut before the extensions block the hello is complete (RFC 5246 7.4.1.2: extensions are
     * optional), and the full body too; everything else is malformed */
    CHECK_EQ_U(complete, 2);
    CHECK_EQ_U(malformed, (int)body.n + 1 - 2);
    body.n = 0;
    server_hello12_body(&body, true);
    for (size_t k = 0; k <= body.n; k++) {
        struct bb part, msgs, rec;
        part.n = msgs.n = rec.n = 0;
        b_bytes(&part, body.b, k);
        hs_msg(&msgs, TLS_HS_SERVER_HELLO, &part);
        records(&rec, 22, 0x0303, msgs.b, msgs.n, 16384);
        struct seg s[1] = {{1, rec.b, rec.n}};
        struct tls_state *st = run(s, 1, NULL, &r, true);
        CHECK(st != NULL);
        tls_state_free(st);
    }
    body.n = 0;
    const uint8_t *der[1] = {g_test_cert_der};
    size_t len[1] = {sizeof g_test_cert_der};
    certificate_body(&body, der, len, 1);
    int decoded = 0;
    for (size_t k = 0; k <= body.n; k++) {
        struct bb part, msgs, rec;
        part.n = msgs.n = rec.n = 0;
        b_bytes(&part, body.b, k);
        hs_msg(&msgs, TLS_HS_CERTIFICATE, &part);
        records(&rec, 22, 0x0303, msgs.b, msgs.n, 16384);
        struct seg s[1] = {{1, rec.b, rec.n}};
        struct tls_state *st = run(s, 1, NULL, &r, true);
        decoded += tls_session(st)->server_cert != NULL;
        tls_state_free(st);
    }
    CHECK_EQ_U(decoded, 1);
}

static void test_gap(void)
{
    static struct flow12 f;
    build_flow12(&f, 16384, "gap.example");
    static struct result r;
    memset(&r, 0, sizeof r);
    struct tls_state *st = tls_state_new(NULL);
    struct vg_ts ts = {1, 0};
    tls_parse(st, 0, f.c1.b, f.c1.n, ts, on_ev, &r);
    tls_parse(st, 1, f.s1.b, f.s1.n, ts, on_ev, &r);
    tls_parse(st, 0, f.c2.b, f.c2.n, ts, on_ev, &r);
    /* a 100-byte application data record with 60 bytes lost in its body: framing kept */
    struct bb a;
    a.n = 0;
    b_bytes(&a, "\x17\x03\x03\x00\x64", 5);
    for (int i = 0; i < 100; i++)
        b_u8(&a, 1);
    b_bytes(&a, "\x17\x03\x03\x00\x02\x01\x01", 7);
    tls_parse(st, 0, a.b, 25, ts, on_ev, &r);
    tls_gap(st, 0, 60);
    tls_parse(st, 0, a.b + 85, a.n - 85, ts, on_ev, &r);
    CHECK_EQ_U(tls_counters(st)->encrypted_records[0], 3);
    CHECK_EQ_U(tls_counters(st)->resyncs, 0);
    /* the server loses bytes in its CCS: resync on the next chunk that starts a record */
    tls_gap(st, 1, 3);
    tls_parse(st, 1, (const uint8_t *)"\x01\x02\x03", 3, ts, on_ev, &r);
    CHECK_EQ_U(tls_counters(st)->resync_drops, 1);
    tls_parse(st, 1, f.s2.b, f.s2.n, ts, on_ev, &r);
    CHECK_EQ_U(tls_counters(st)->resyncs, 1);
    CHECK(tls_handshake_done(st));
    CHECK_EQ_U(r.n_log, 1);
    tls_state_free(st);

    /* a gap in the middle of the server's Certificate: the message is lost, the next record
     * start resynchronises */
    memset(&r, 0, sizeof r);
    st = tls_state_new(NULL);
    tls_parse(st, 0, f.c1.b, f.c1.n, ts, on_ev, &r);
    tls_parse(st, 1, f.s1.b, 300, ts, on_ev, &r);
    tls_gap(st, 1, f.s1.n - 300);
    tls_parse(st, 1, f.s2.b, f.s2.n, ts, on_ev, &r);
    CHECK(tls_session(st)->server_cert == NULL);
    CHECK(tls_session(st)->flags & TLS_SF_SERVER_HELLO);
    CHECK(tls_session(st)->flags & TLS_SF_ENCRYPTED_TC);
    CHECK_EQ_U(tls_counters(st)->gaps, 1);
    tls_flush(st, on_ev, &r);
    CHECK_EQ_U(r.n_log, 1);
    tls_state_free(st);
    /* usage errors */
    CHECK(tls_parse(NULL, 0, NULL, 0, ts, NULL, NULL) == VG_ERR_USAGE);
    st = tls_state_new(NULL);
    CHECK(tls_parse(st, 2, a.b, 1, ts, NULL, NULL) == VG_ERR_USAGE);
    CHECK(tls_gap(st, 5, 1) == VG_ERR_USAGE);
    tls_flush(NULL, NULL, NULL);
    tls_state_free(st);
    tls_state_free(NULL);
}

static void test_versions(void)
{
    char b[TLS_VERSION_STR_MAX];
    CHECK_STR(tls_version_str(0, b), "UNDETERMINED");
    CHECK_STR(tls_version_str(0x0002, b), "SSLv2");
    CHECK_STR(tls_version_str(0x0300, b), "SSLv3");
    CHECK_STR(tls_version_str(0x0301, b), "TLSv1");
    CHECK_STR(tls_version_str(0x0302, b), "TLS 1.1");
    CHECK_STR(tls_version_str(0x0303, b), "TLS 1.2");
    CHECK_STR(tls_version_str(0x0304, b), "TLS 1.3");
    CHECK_STR(tls_version_str(0x7f1c, b), "TLS 1.3 draft-28");
    CHECK_STR(tls_version_str(0x7f10, b), "TLS 1.3 draft-16");
    CHECK_STR(tls_version_str(0x7f01, b), "TLS 1.3 draft-<16");
    CHECK_STR(tls_version_str(0xfb17, b), "TLS 1.3 draft-23-fb");
    CHECK_STR(tls_version_str(0x7e02, b), "0x7e02");
}

/* ---- EVE ---- */

static char g_eve[65536];
static size_t g_eve_len;

static void keep(const struct jw *w)
{
    if (g_eve_len + w->len + 2 < sizeof g_eve) {
        memcpy(g_eve + g_eve_len, w->buf, w->len);
        g_eve_len += w->len;
        g_eve[g_eve_len++] = '\n';
        g_eve[g_eve_len] = 0;
    }
}

static bool has(const struct jw *w, const char *s)
{
    return memmem(w->buf, w->len, s, strlen(s)) != NULL;
}

static void test_eve(void)
{
    static struct flow12 f;
    static struct result r;
    struct seg segs[5];
    build_flow12(&f, 16384, "www.example.com");
    int n = flow12_segs(&f, segs);
    struct tls_state *st = run(segs, n, NULL, &r, true);
    struct flow fl;
    memset(&fl, 0, sizeof fl);
    fl.src.family = 4;
    fl.dst.family = 4;
    fl.src.a[0] = 10;
    fl.src.a[3] = 1;
    fl.dst.a[0] = 10;
    fl.dst.a[3] = 2;
    fl.sport = 51000;
    fl.dport = 443;
    fl.proto = 6;
    fl.flow_id = 12345;
    struct jw w;
    jw_init(&w);
    eve_tls(&w, &fl, tls_session(st));
    CHECK(has(&w, "\"event_type\":\"tls\""));
    CHECK(has(&w, "\"tls\":{\"subject\":\"" TEST_CERT_SUBJECT "\""));
    CHECK(has(&w, "\"issuerdn\":\"" TEST_CERT_ISSUER "\""));
    CHECK(has(&w, "\"subjectaltname\":[\"tls.vigil.test\",\"*.vigil.test\","
                  "\"xn--j1ahhq.vigil.test\"]"));
    CHECK(has(&w, "\"serial\":\"" TEST_CERT_SERIAL "\""));
    CHECK(has(&w, "\"fingerprint\":\"" TEST_CERT_FINGERPRINT "\""));
    CHECK(has(&w, "\"sni\":\"www.example.com\""));
    CHECK(has(&w, "\"version\":\"TLS 1.2\""));
    CHECK(has(&w, "\"notbefore\":\"" TEST_CERT_NOTBEFORE "\""));
    CHECK(has(&w, "\"notafter\":\"" TEST_CERT_NOTAFTER "\""));
    CHECK(has(&w, "\"ja3\":{\"hash\":\"" JA3_EXAMPLE_MD5 "\",\"string\":\"" JA3_EXAMPLE "\"}"));
    CHECK(has(&w, "\"ja3s\":{\"hash\":\"" JA3S_12_MD5 "\",\"string\":\"" JA3S_12 "\"}"));
    CHECK(has(&w, "\"ja4\":\"t12d1516h2_8daaf6152771_e5627efa2ab1\""));
    CHECK(has(&w, "\"client_alpns\":[\"h2\",\"http/1.1\"]"));
    CHECK(has(&w, "\"server_alpns\":[\"h2\"]"));
    CHECK(has(&w, "\"vigil\":{\"tls\":{\"flags\":["));
    CHECK(!w.oom);
    keep(&w);

    /* the alert form */
    jw_reset(&w);
    jw_obj_open(&w, NULL);
    jw_str(&w, "timestamp", "2024-01-01T00:00:00.000000+0000");
    jw_str(&w, "event_type", "alert");
    eve_tls_fields(&w, tls_session(st));
    jw_obj_close(&w);
    CHECK(has(&w, "\"event_type\":\"alert\",\"tls\":{\"subject\":"));
    keep(&w);
    tls_state_free(st);

    /* a client certificate, a client-only flow, an SSLv2 flow and a TLS 1.3 flow */
    static struct bb c;
    struct bb body, msgs;
    c.n = body.n = msgs.n = 0;
    const uint8_t *der[1] = {g_test_cert_der};
    size_t len[1] = {sizeof g_test_cert_der};
    certificate_body(&body, der, len, 1);
    hs_msg(&msgs, TLS_HS_CERTIFICATE, &body);
    records(&c, 22, 0x0303, msgs.b, msgs.n, 16384);
    struct seg cs[4] = {segs[0], segs[1], {0, c.b, c.n}, segs[2]};
    st = run(cs, 4, NULL, &r, true);
    CHECK(tls_session(st)->client_cert != NULL);
    CHECK_EQ_U(tls_session(st)->client_chain_len, 1);
    jw_reset(&w);
    eve_tls(&w, &fl, tls_session(st));
    CHECK(has(&w, "\"client\":{\"subject\":\"" TEST_CERT_SUBJECT "\""));
    keep(&w);
    tls_state_free(st);

    st = run(segs, 1, NULL, &r, true);
    jw_reset(&w);
    eve_tls(&w, &fl, tls_session(st));
    CHECK(has(&w, "\"version\":\"TLS 1.2\"")); /* the client's, no ServerHello */
    CHECK(!has(&w, "\"ja3s\""));
    CHECK(!has(&w, "\"subject\""));
    keep(&w);
    tls_state_free(st);

    jw_fini(&w);

    /* Validate the events against Suricata's schema when python3 + jsonschema are there. */
    const char *corp = getenv("VIGIL_CORPUS");
    char schema[512];
    snprintf(schema, sizeof schema, "%s/schema/suricata-eve-schema.json",
             corp ? corp : "../shared/corpus");
    FILE *sf = fopen(schema, "r");
    if (!sf) {
        snprintf(schema, sizeof schema, "/work/shared/corpus/schema/suricata-eve-schema.json");
        sf = fopen(schema, "r");
    }
    if (!sf || access("/usr/bin/python3", X_OK) != 0) {
        if (sf) fclose(sf);
        printf("test_eve: schema or python3 not found, schema validation skipped\n");
        return;
    }
    fclose(sf);
    char evp[] = "/tmp/test_tls_eve_XXXXXX";
    int fd = mkstemp(evp);
    if (fd < 0) return;
    FILE *ef = fdopen(fd, "w");
    fputs(g_eve, ef);
    fclose(ef);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '\n"
             "import json, sys\n"
             "try:\n"
             "    import jsonschema\n"
             "except ImportError:\n"
             "    sys.exit(3)\n"
             "s = json.load(open(sys.argv[1]))\n"
             "v = jsonschema.validators.validator_for(s)(s)\n"
             "bad = n = 0\n"
             "for line in open(sys.argv[2]):\n"
             "    e = json.loads(line)\n"
             "    e.pop(\"vigil\", None)\n"
             "    n += 1\n"
             "    for err in v.iter_errors(e):\n"
             "        bad += 1\n"
             "        print(\"line\", n, list(err.absolute_path), err.message[:200])\n"
             "sys.exit(1 if bad or n != 4 else 0)\n' '%s' '%s'",
             schema, evp);
    int rc = system(cmd);
    unlink(evp);
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
        printf("test_eve: jsonschema missing, schema validation skipped\n");
        return;
    }
    CHECK(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

int main(void)
{
    RUN(test_grease);
    RUN(test_ja3);
    RUN(test_ja4_spec);
    RUN(test_tls12_handshake);
    RUN(test_tls13_hrr);
    RUN(test_sslv2);
    RUN(test_probe);
    RUN(test_anomalies);
    RUN(test_truncation);
    RUN(test_gap);
    RUN(test_versions);
    RUN(test_eve);
    return vg_test_done("tls");
}
