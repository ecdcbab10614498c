/* test_http.c - the HTTP/1.x parser: every case is fed whole, one byte at a time, and split in two
 * at every point of every data step, and each run must hand over the same transactions (compared
 * field by field through a canonical dump), the same flow-level anomalies and the same counters.
 * The whole-feed run is then checked against what the case expects. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "app/http/http.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "vg_test.h"

#define TOSERVER HTTP_DIR_TOSERVER
#define TOCLIENT HTTP_DIR_TOCLIENT

/* ---- scripts: a sequence of data (or gap) steps per direction ---- */

struct step {
    int dir;
    const uint8_t *p;
    size_t n;
    size_t gap; /* > 0: http_gap instead of data */
};

struct script {
    struct step s[32];
    int n;
    int flush; /* call http_flush at the end */
};

static void add(struct script *sc, int dir, const void *p, size_t n)
{
    struct step *s = &sc->s[sc->n++];
    s->dir = dir;
    s->p = p;
    s->n = n;
    s->gap = 0;
}
static void adds(struct script *sc, int dir, const char *str)
{
    add(sc, dir, str, strlen(str));
}
static void addgap(struct script *sc, int dir, size_t n)
{
    struct step *s = &sc->s[sc->n++];
    s->dir = dir;
    s->p = NULL;
    s->n = 0;
    s->gap = n;
}

/* ---- a growable string ---- */

struct sb {
    char *p;
    size_t n, cap;
};

static void sb_put(struct sb *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 1024;
        while (c < b->n + n + 1)
            c *= 2;
        b->p = realloc(b->p, c);
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0) sb_put(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

static void sb_str(struct sb *b, const char *name, struct http_str s)
{
    sb_printf(b, " %s=", name);
    if (!s.p) {
        sb_put(b, "(null)", 6);
        return;
    }
    sb_printf(b, "%u:", (unsigned)s.len);
    sb_put(b, s.p, s.len);
}

/* ---- captured transactions (deep copies) ---- */

#define MAXTX 80

struct result {
    struct http_tx tx[MAXTX];
    int ntx;
    struct sb dump;
    unsigned char sanom[VG_ANOMALY_COUNT]; /* flow-level anomalies seen */
    int rc[2];                             /* last return code per direction */
    struct http_counters c;
};

static struct http_str dup_str(struct http_str s)
{
    if (!s.p) return s;
    char *p = malloc(s.len + 1);
    memcpy(p, s.p, s.len);
    p[s.len] = 0;
    struct http_str r = {p, s.len};
    return r;
}

static const struct http_header *dup_headers(const struct http_header *h, unsigned n)
{
    if (!n) return NULL;
    struct http_header *o = calloc(n, sizeof *o);
    for (unsigned k = 0; k < n; k++) {
        o[k].name = dup_str(h[k].name);
        o[k].value = dup_str(h[k].value);
    }
    return o;
}

static void dump_tx(struct sb *b, const struct http_tx *t)
{
    sb_printf(b, "tx %llu req_ts=%lld.%u resp_ts=%lld.%u flags=%x", (unsigned long long)t->tx_id,
              (long long)t->req_ts.sec, t->req_ts.nsec, (long long)t->resp_ts.sec, t->resp_ts.nsec,
              t->flags);
    sb_str(b, "method", t->method);
    sb_str(b, "uri", t->uri);
    sb_str(b, "proto", t->protocol);
    sb_str(b, "host", t->host);
    sb_str(b, "hostname", t->hostname);
    sb_printf(b, " port=%d", t->host_port);
    sb_str(b, "ua", t->user_agent);
    sb_str(b, "referer", t->referer);
    sb_str(b, "cookie", t->cookie);
    sb_str(b, "req_ct", t->req_content_type);
    sb_printf(b, " req_cl=%lld", (long long)t->req_content_length);
    for (unsigned k = 0; k < t->n_req_headers; k++) {
        sb_str(b, "rqh", t->req_headers[k].name);
        sb_str(b, ":", t->req_headers[k].value);
    }
    sb_printf(b, " rqdrop=%u", t->req_headers_dropped);
    sb_str(b, "rqorder", t->req_header_order);
    sb_printf(b, " rqbody=%llu/%llu/%llu kept=%u:", (unsigned long long)t->req_body_wire,
              (unsigned long long)t->req_body_len, (unsigned long long)t->req_body_decoded,
              t->req_body_kept);
    if (t->req_body) sb_put(b, t->req_body, t->req_body_kept);
    sb_str(b, "rproto", t->resp_protocol);
    sb_str(b, "status_str", t->status_str);
    sb_printf(b, " status=%d", t->status);
    sb_str(b, "msg", t->status_msg);
    sb_str(b, "location", t->location);
    sb_str(b, "server", t->server);
    sb_str(b, "resp_ct", t->resp_content_type);
    sb_printf(b, " resp_cl=%lld", (long long)t->resp_content_length);
    for (unsigned k = 0; k < t->n_resp_headers; k++) {
        sb_str(b, "rsh", t->resp_headers[k].name);
        sb_str(b, ":", t->resp_headers[k].value);
    }
    sb_printf(b, " rsdrop=%u", t->resp_headers_dropped);
    sb_str(b, "rsorder", t->resp_header_order);
    sb_printf(b, " rsbody=%llu/%llu/%llu kept=%u:", (unsigned long long)t->resp_body_wire,
              (unsigned long long)t->resp_body_len, (unsigned long long)t->resp_body_decoded,
              t->resp_body_kept);
    if (t->resp_body) sb_put(b, t->resp_body, t->resp_body_kept);
    sb_printf(b, " anoms=");
    for (unsigned k = 0; k < t->n_anomalies; k++)
        sb_printf(b, "%s,", vg_anomaly_name(t->anomalies[k]));
    sb_printf(b, "+%u\n", t->n_anomalies_dropped);
}

static void on_tx(void *ud, const struct http_tx *tx)
{
    struct result *r = ud;
    dump_tx(&r->dump, tx);
    if (r->ntx >= MAXTX) return;
    struct http_tx *c = &r->tx[r->ntx++];
    *c = *tx;
    c->method = dup_str(tx->method);
    c->uri = dup_str(tx->uri);
    c->protocol = dup_str(tx->protocol);
    c->host = dup_str(tx->host);
    c->hostname = dup_str(tx->hostname);
    c->user_agent = dup_str(tx->user_agent);
    c->referer = dup_str(tx->referer);
    c->cookie = dup_str(tx->cookie);
    c->req_content_type = dup_str(tx->req_content_type);
    c->req_headers = dup_headers(tx->req_headers, tx->n_req_headers);
    c->req_header_order = dup_str(tx->req_header_order);
    c->resp_protocol = dup_str(tx->resp_protocol);
    c->status_str = dup_str(tx->status_str);
    c->status_msg = dup_str(tx->status_msg);
    c->location = dup_str(tx->location);
    c->server = dup_str(tx->server);
    c->resp_content_type = dup_str(tx->resp_content_type);
    c->resp_headers = dup_headers(tx->resp_headers, tx->n_resp_headers);
    c->resp_header_order = dup_str(tx->resp_header_order);
    if (tx->req_body) {
        uint8_t *p = malloc(tx->req_body_kept);
        memcpy(p, tx->req_body, tx->req_body_kept);
        c->req_body = p;
    }
    if (tx->resp_body) {
        uint8_t *p = malloc(tx->resp_body_kept);
        memcpy(p, tx->resp_body, tx->resp_body_kept);
        c->resp_body = p;
    }
}

static void free_headers(const struct http_header *h, unsigned n)
{
    for (unsigned k = 0; h && k < n; k++) {
        free((void *)h[k].name.p);
        free((void *)h[k].value.p);
    }
    free((void *)h);
}

static void result_free(struct result *r)
{
    for (int i = 0; i < r->ntx; i++) {
        struct http_tx *t = &r->tx[i];
        const struct http_str *s[] = {&t->method,           &t->uri,
                                      &t->protocol,         &t->host,
                                      &t->hostname,         &t->user_agent,
                                      &t->referer,          &t->cookie,
                                      &t->req_content_type, &t->req_header_order,
                                      &t->resp_protocol,    &t->status_str,
                                      &t->status_msg,       &t->location,
                                      &t->server,           &t->resp_content_type,
                                      &t->resp_header_order};
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            free((void *)s[k]->p);
        free_headers(t->req_headers, t->n_req_headers);
        free_headers(t->resp_headers, t->n_resp_headers);
        free((void *)t->req_body);
        free((void *)t->resp_body);
    }
    free(r->dump.p);
    memset(r, 0, sizeof *r);
}

/* ---- running a script ---- */

enum { MODE_WHOLE, MODE_BYTES, MODE_SPLIT };

static void take_anoms(struct http_state *st, struct result *r)
{
    uint16_t a[32];
    unsigned n;
    while ((n = http_take_anomalies(st, a, 32)) > 0)
        for (unsigned k = 0; k < n; k++)
            r->sanom[a[k]] = 1;
}

static void feed(struct http_state *st, int dir, const uint8_t *p, size_t n, struct vg_ts ts,
                 struct result *r)
{
    r->rc[dir] = http_parse(st, dir, p, n, ts, on_tx, r);
    take_anoms(st, r);
}

static void run_script(const struct script *sc, const struct http_config *cfg, int mode,
                       int at_step, size_t at, struct result *r)
{
    memset(r, 0, sizeof *r);
    struct http_state *st = http_state_new(cfg);
    for (int i = 0; i < sc->n; i++) {
        const struct step *s = &sc->s[i];
        struct vg_ts ts = {1000 + i, (uint32_t)i * 1000};
        if (s->gap) {
            http_gap(st, s->dir, s->gap);
            continue;
        }
        if (mode == MODE_BYTES) {
            for (size_t k = 0; k < s->n; k++)
                feed(st, s->dir, s->p + k, 1, ts, r);
        } else if (mode == MODE_SPLIT && i == at_step) {
            feed(st, s->dir, s->p, at, ts, r);
            feed(st, s->dir, s->p + at, s->n - at, ts, r);
        } else {
            feed(st, s->dir, s->p, s->n, ts, r);
        }
    }
    if (sc->flush) {
        http_flush(st, on_tx, r);
        take_anoms(st, r);
    }
    r->c = *http_counters(st);
    http_state_free(st);
}

static int same(const struct result *a, const struct result *b)
{
    if (a->dump.n != b->dump.n || (a->dump.n && memcmp(a->dump.p, b->dump.p, a->dump.n) != 0))
        return 0;
    if (memcmp(a->sanom, b->sanom, sizeof a->sanom) != 0) return 0;
    if (a->rc[0] != b->rc[0] || a->rc[1] != b->rc[1]) return 0;
    return memcmp(&a->c, &b->c, sizeof a->c) == 0;
}

static unsigned long g_runs;

/* Runs sc whole into *out, then byte by byte and at every split point, each compared to *out. */
static void run_all(const struct script *sc, const struct http_config *cfg, struct result *out)
{
    run_script(sc, cfg, MODE_WHOLE, -1, 0, out);
    g_runs++;
    if (getenv("HTTP_TEST_DUMP")) /* HTTP_TEST_DUMP=1 prints every case's transactions */
        fprintf(stderr, "== %s\n%s", vg_test_current, out->dump.p ? out->dump.p : "(none)\n");
    struct result r;
    int ok = 1;
    char where[96] = "";
    run_script(sc, cfg, MODE_BYTES, -1, 0, &r);
    g_runs++;
    if (!same(out, &r)) {
        ok = 0;
        snprintf(where, sizeof where, "byte by byte");
        fprintf(stderr, "whole:\n%s\nbytes:\n%s\n", out->dump.p ? out->dump.p : "",
                r.dump.p ? r.dump.p : "");
    }
    result_free(&r);
    for (int i = 0; ok && i < sc->n; i++) {
        size_t n = sc->s[i].n;
        /* every split point; long steps (compressed bodies) every few bytes plus both ends */
        size_t stride = n > 1500 ? n / 700 : 1;
        for (size_t k = 1; ok && k < n; k += (k < 64 || k + 64 > n) ? 1 : stride) {
            run_script(sc, cfg, MODE_SPLIT, i, k, &r);
            g_runs++;
            if (!same(out, &r)) {
                ok = 0;
                snprintf(where, sizeof where, "step %d split at %zu", i, k);
                fprintf(stderr, "whole:\n%s\nsplit:\n%s\n", out->dump.p ? out->dump.p : "",
                        r.dump.p ? r.dump.p : "");
            }
            result_free(&r);
        }
    }
    if (!ok) fprintf(stderr, "[%s] split mismatch: %s\n", vg_test_current, where);
    CHECK(ok);
}

static int has_anom(const struct http_tx *t, int id)
{
    for (unsigned k = 0; k < t->n_anomalies; k++)
        if (t->anomalies[k] == id) return 1;
    return 0;
}

static const char *hv(const struct http_tx *t, int resp, const char *name)
{
    const struct http_header *h = resp ? t->resp_headers : t->req_headers;
    unsigned n = resp ? t->n_resp_headers : t->n_req_headers;
    for (unsigned k = 0; k < n; k++)
        if (strcasecmp(h[k].name.p, name) == 0) return h[k].value.p;
    return NULL;
}

/* ---- cases ---- */

static void test_get_200(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "GET /index.html?a=1 HTTP/1.1\r\nHost: Example.COM\r\nUser-Agent: curl/8.0\r\n"
         "Referer: http://ref.example/\r\nCookie: s=1\r\nAccept: */*\r\n\r\n");
    adds(&sc, TOCLIENT,
         "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\n"
         "Content-Length: 5\r\n\r\nhello");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    const struct http_tx *t = &r.tx[0];
    CHECK_EQ_U(t->tx_id, 0);
    CHECK_STR(t->method.p, "GET");
    CHECK_STR(t->uri.p, "/index.html?a=1");
    CHECK_STR(t->protocol.p, "HTTP/1.1");
    CHECK_STR(t->host.p, "Example.COM");
    CHECK_STR(t->hostname.p, "example.com");
    CHECK(t->host_port == -1);
    CHECK_STR(t->user_agent.p, "curl/8.0");
    CHECK_STR(t->referer.p, "http://ref.example/");
    CHECK_STR(t->cookie.p, "s=1");
    CHECK_EQ_U(t->n_req_headers, 5);
    CHECK_STR(t->req_headers[4].name.p, "Accept");
    CHECK_STR(t->req_headers[4].value.p, "*/*");
    CHECK_STR(t->req_header_order.p, "host,user-agent,referer,cookie,accept");
    CHECK_STR(t->resp_protocol.p, "HTTP/1.1");
    CHECK_EQ_U(t->status, 200);
    CHECK_STR(t->status_str.p, "200");
    CHECK_STR(t->status_msg.p, "OK");
    CHECK_STR(t->server.p, "nginx");
    CHECK_STR(t->resp_content_type.p, "text/html; charset=utf-8");
    CHECK_EQ_U(t->resp_content_length, 5);
    CHECK_EQ_U(t->resp_body_wire, 5);
    CHECK_EQ_U(t->resp_body_kept, 5);
    CHECK(t->resp_body && memcmp(t->resp_body, "hello", 5) == 0);
    CHECK_STR(t->resp_header_order.p, "server,content-type,content-length");
    CHECK_EQ_U(t->req_ts.sec, 1000);
    CHECK_EQ_U(t->resp_ts.sec, 1001);
    CHECK_EQ_U(t->n_anomalies, 0);
    CHECK_EQ_U(t->flags, 0);
    CHECK_EQ_U(r.c.requests, 1);
    CHECK_EQ_U(r.c.responses, 1);
    CHECK_EQ_U(r.rc[0], VG_OK);
    result_free(&r);
}

static void test_post_cl(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "POST /login HTTP/1.1\r\nHost: a.example:8080\r\nContent-Type: application/x-www-form-"
         "urlencoded\r\nContent-Length: 17\r\n\r\nuser=bob&pass=x1y");
    adds(&sc, TOCLIENT, "HTTP/1.1 302 Found\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n");
    adds(&sc, TOSERVER, "GET /home HTTP/1.1\r\nHost: a.example:8080\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    const struct http_tx *t = &r.tx[0];
    CHECK_STR(t->method.p, "POST");
    CHECK_STR(t->hostname.p, "a.example");
    CHECK_EQ_U(t->host_port, 8080);
    CHECK_STR(t->req_content_type.p, "application/x-www-form-urlencoded");
    CHECK_EQ_U(t->req_content_length, 17);
    CHECK_EQ_U(t->req_body_len, 17);
    CHECK_EQ_U(t->req_body_kept, 17);
    CHECK(t->req_body && memcmp(t->req_body, "user=bob&pass=x1y", 17) == 0);
    CHECK_EQ_U(t->status, 302);
    CHECK_STR(t->location.p, "/home");
    CHECK_EQ_U(t->resp_body_len, 0);
    CHECK_STR(r.tx[1].uri.p, "/home");
    CHECK_EQ_U(r.tx[1].tx_id, 1);
    CHECK(r.tx[1].resp_body && memcmp(r.tx[1].resp_body, "ok", 2) == 0);
    result_free(&r);
}

static void test_chunked_trailers(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT,
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
         "5\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 42\r\nX-Other: y\r\n\r\n");
    adds(&sc, TOSERVER, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 204 No Content\r\n\r\n");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    const struct http_tx *t = &r.tx[0];
    CHECK(t->flags & HTTP_TXF_RESP_CHUNKED);
    CHECK_EQ_U(t->resp_body_len, 12);
    CHECK_EQ_U(t->resp_body_decoded, 12);
    CHECK(t->resp_body && memcmp(t->resp_body, "hello, world", 12) == 0);
    /* framing: 5\r\n hello \r\n 7\r\n , world \r\n 0\r\n trailers \r\n */
    CHECK_EQ_U(t->resp_body_wire, 3 + 7 + 3 + 9 + 3 + 11 + 12 + 2);
    CHECK_EQ_U(t->resp_content_length, (uint64_t)-1);
    CHECK_EQ_U(t->n_anomalies, 0);
    CHECK_STR(r.tx[1].uri.p, "/next");
    CHECK_EQ_U(r.tx[1].status, 204);
    CHECK(r.tx[1].flags & HTTP_TXF_BODILESS);
    result_free(&r);
}

static void test_chunk_ext(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4;name=value\r\nabcd\r\n3 ; x=\"y;z\"\r\nefg\r\nA\r\n0123456789\r\n0;last\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    const struct http_tx *t = &r.tx[0];
    CHECK(t->flags & HTTP_TXF_REQ_CHUNKED);
    CHECK_EQ_U(t->req_body_len, 17);
    CHECK(t->req_body && memcmp(t->req_body, "abcdefg0123456789", 17) == 0);
    CHECK(has_anom(t, ANOM_HTTP_REQUEST_CHUNK_EXTENSION));
    CHECK_EQ_U(t->status, 201);
    result_free(&r);
}

/* zlib helpers: gzip (wbits 31), zlib (15) or raw deflate (-15) of src. */
static size_t zpack(const void *src, size_t n, uint8_t *dst, size_t cap, int wbits)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t out = cap - z.avail_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : 0;
}

static char g_text[6000];
static uint8_t g_z[3][8000];
static char g_hdr[3][128];

static void test_gzip_deflate(void)
{
    for (size_t k = 0; k < sizeof g_text; k++)
        g_text[k] = "the quick brown fox jumps over the lazy dog\n"[k % 44];
    static const int wb[3] = {31, 15, -15};
    static const char *ce[3] = {"gzip", "deflate", "deflate"};
    for (int v = 0; v < 3; v++) {
        size_t zn = zpack(g_text, sizeof g_text, g_z[v], sizeof g_z[v], wb[v]);
        CHECK(zn > 0 && zn < 1000);
        snprintf(g_hdr[v], sizeof g_hdr[v],
                 "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n", ce[v],
                 zn);
        struct script sc = {0};
        adds(&sc, TOSERVER, "GET /z HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip, deflate\r\n\r\n");
        adds(&sc, TOCLIENT, g_hdr[v]);
        add(&sc, TOCLIENT, g_z[v], zn);
        struct result r;
        run_all(&sc, NULL, &r);
        CHECK_EQ_U(r.ntx, 1);
        const struct http_tx *t = &r.tx[0];
        CHECK(t->flags & (v == 0 ? HTTP_TXF_RESP_GZIP : HTTP_TXF_RESP_DEFLATE));
        CHECK_EQ_U(t->resp_body_len, zn);
        CHECK_EQ_U(t->resp_body_wire, zn);
        CHECK_EQ_U(t->resp_body_decoded, sizeof g_text);
        CHECK_EQ_U(t->resp_body_kept, 4096);
        CHECK(t->resp_body && memcmp(t->resp_body, g_text, 4096) == 0);
        CHECK(t->flags & HTTP_TXF_RESP_BODY_TRUNC);
        CHECK(!(t->flags & HTTP_TXF_RESP_DECODE_ERROR));
        CHECK_EQ_U(t->n_anomalies, 0);
        CHECK_EQ_U(v == 0 ? r.c.gzip : r.c.deflate, 1);
        result_free(&r);
    }
    /* corrupt gzip: decoding fails, the body is still framed */
    static uint8_t bad[512];
    size_t zn = zpack(g_text, 200, bad, sizeof bad, 31);
    CHECK(zn > 20);
    for (size_t k = 12; k < zn; k++)
        bad[k] ^= 0x5a;
    static char hdr[128];
    snprintf(hdr, sizeof hdr,
             "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
    struct script sc = {0};
    adds(&sc, TOSERVER, "GET /bad HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT, hdr);
    add(&sc, TOCLIENT, bad, zn);
    adds(&sc, TOSERVER, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK(r.tx[0].flags & HTTP_TXF_RESP_DECODE_ERROR);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_GZIP_DECOMPRESSION_FAILED));
    CHECK_EQ_U(r.tx[0].resp_body_len, zn);
    CHECK_STR(r.tx[1].uri.p, "/after");
    CHECK_EQ_U(r.c.decode_errors, 1);
    result_free(&r);
}

static uint8_t g_bomb[8192];

static void test_gzip_bomb(void)
{
    size_t big = 3u << 20; /* 3 MiB of zeros: ~3 KiB of gzip */
    uint8_t *zeros = calloc(1, big);
    size_t zn = zpack(zeros, big, g_bomb, sizeof g_bomb, 31);
    free(zeros);
    CHECK(zn > 0);
    static char hdr[160];
    snprintf(hdr, sizeof hdr,
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
             "Content-Length: %zu\r\n\r\n",
             zn);
    struct script sc = {0};
    adds(&sc, TOSERVER, "GET /bomb HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT, hdr);
    add(&sc, TOCLIENT, g_bomb, zn);
    adds(&sc, TOSERVER, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    const struct http_tx *t = &r.tx[0];
    CHECK(t->flags & HTTP_TXF_RESP_DECODE_LIMIT);
    CHECK_EQ_U(t->resp_body_decoded, 1u << 20);
    CHECK_EQ_U(t->resp_body_len, zn);
    CHECK(has_anom(t, ANOM_HTTP_BODY_SIZE_LIMIT));
    CHECK(has_anom(t, ANOM_HTTP_COMPRESSION_BOMB));
    CHECK_EQ_U(r.c.decode_limits, 1);
    CHECK_EQ_U(r.c.bombs, 1);
    CHECK_STR(r.tx[1].uri.p, "/after");
    CHECK_EQ_U(r.tx[1].resp_body_len, 1);
    result_free(&r);

    /* a small limit without a high ratio: limit hit, not a bomb */
    struct http_config cfg;
    http_config_default(&cfg);
    cfg.decomp_limit = 1000;
    size_t tn = zpack(g_text, 3000, g_z[0], sizeof g_z[0], 31);
    static char hdr2[128];
    snprintf(hdr2, sizeof hdr2,
             "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", tn);
    struct script s2 = {0};
    adds(&s2, TOSERVER, "GET /t HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&s2, TOCLIENT, hdr2);
    add(&s2, TOCLIENT, g_z[0], tn);
    run_all(&s2, &cfg, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK_EQ_U(r.tx[0].resp_body_decoded, 1000);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_BODY_SIZE_LIMIT));
    CHECK(!has_anom(&r.tx[0], ANOM_HTTP_COMPRESSION_BOMB));
    result_free(&r);
}

static void test_pipelined(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
         "POST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
    adds(&sc, TOCLIENT,
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
         "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nBB"
         "HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\nCCC");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 3);
    CHECK_STR(r.tx[0].uri.p, "/1");
    CHECK_EQ_U(r.tx[0].status, 200);
    CHECK_STR(r.tx[1].uri.p, "/2");
    CHECK_EQ_U(r.tx[1].status, 404);
    CHECK_STR(r.tx[1].status_msg.p, "Not Found");
    CHECK_STR(r.tx[2].uri.p, "/3");
    CHECK_EQ_U(r.tx[2].status, 500);
    CHECK(r.tx[2].resp_body && memcmp(r.tx[2].resp_body, "CCC", 3) == 0);
    CHECK(r.tx[2].req_body && memcmp(r.tx[2].req_body, "abc", 3) == 0);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_U(r.tx[i].tx_id, (unsigned)i);
        CHECK_EQ_U(r.tx[i].n_anomalies, 0);
    }
    result_free(&r);
}

static void test_100_continue(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 100 Continue\r\n\r\n");
    adds(&sc, TOSERVER, "data");
    adds(&sc, TOCLIENT, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    const struct http_tx *t = &r.tx[0];
    CHECK(t->flags & HTTP_TXF_CONTINUE);
    CHECK_EQ_U(t->status, 201);
    CHECK_STR(t->status_msg.p, "Created");
    CHECK_EQ_U(t->resp_ts.sec, 1003);
    CHECK(t->req_body && memcmp(t->req_body, "data", 4) == 0);
    CHECK_EQ_U(r.c.interim, 1);
    CHECK_EQ_U(t->n_anomalies, 0);
    result_free(&r);

    /* two 100s before the final response */
    struct script s2 = {0};
    adds(&s2, TOSERVER, "POST /g HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nz");
    adds(&s2, TOCLIENT,
         "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
         "Content-Length: 0\r\n\r\n");
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_100_CONTINUE_ALREADY_SEEN));
    CHECK_EQ_U(r.tx[0].status, 200);
    result_free(&r);
}

static void test_head_204_304(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "HEAD /big HTTP/1.1\r\nHost: h\r\n\r\nGET /nc HTTP/1.1\r\nHost: h\r\n\r\n"
         "GET /nm HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\nGET /last HTTP/1.1\r\nHost: "
         "h\r\n\r\n");
    adds(&sc, TOCLIENT,
         "HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n"
         "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
         "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 4);
    CHECK_STR(r.tx[0].method.p, "HEAD");
    CHECK_EQ_U(r.tx[0].resp_content_length, 123456);
    CHECK_EQ_U(r.tx[0].resp_body_len, 0);
    CHECK(r.tx[0].flags & HTTP_TXF_BODILESS);
    CHECK_EQ_U(r.tx[1].status, 204);
    CHECK_EQ_U(r.tx[2].status, 304);
    CHECK_EQ_U(r.tx[2].resp_body_len, 0);
    CHECK_EQ_U(r.tx[3].status, 200);
    CHECK(r.tx[3].resp_body && memcmp(r.tx[3].resp_body, "last", 4) == 0);
    result_free(&r);
}

static void test_close_delimited(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER, "GET /old HTTP/1.0\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst part, ");
    adds(&sc, TOCLIENT, "second part");
    sc.flush = 1;
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    const struct http_tx *t = &r.tx[0];
    CHECK_STR(t->protocol.p, "HTTP/1.0");
    CHECK(t->flags & HTTP_TXF_RESP_CLOSE_DELIMITED);
    CHECK(!(t->flags & HTTP_TXF_RESP_INCOMPLETE));
    CHECK_EQ_U(t->resp_body_len, 23);
    CHECK_EQ_U(t->resp_body_wire, 23);
    CHECK(t->resp_body && memcmp(t->resp_body, "first part, second part", 23) == 0);
    CHECK(!t->host.p);
    CHECK(!has_anom(t, ANOM_HTTP_MISSING_HOST_HEADER)); /* HTTP/1.0 needs none */
    result_free(&r);

    /* without flush nothing is handed over */
    sc.flush = 0;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 0);
    result_free(&r);
}

static const uint8_t g_tls[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00};

static void test_connect(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 200 Connection established\r\n\r\n");
    add(&sc, TOSERVER, g_tls, sizeof g_tls);
    add(&sc, TOCLIENT, g_tls, sizeof g_tls);
    sc.flush = 1;
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    const struct http_tx *t = &r.tx[0];
    CHECK_STR(t->method.p, "CONNECT");
    CHECK_STR(t->uri.p, "www.example.com:443");
    CHECK_STR(t->hostname.p, "www.example.com");
    CHECK_EQ_U(t->host_port, 443);
    CHECK(t->flags & HTTP_TXF_TUNNEL);
    CHECK_EQ_U(t->status, 200);
    CHECK_EQ_U(t->n_anomalies, 0);
    CHECK_EQ_U(r.rc[0], VG_DECLINED);
    CHECK_EQ_U(r.rc[1], VG_DECLINED);
    int any = 0;
    for (int k = 0; k < VG_ANOMALY_COUNT; k++)
        any |= r.sanom[k];
    CHECK(!any);
    CHECK_EQ_U(r.c.tunnels, 1);
    result_free(&r);

    /* refused CONNECT: the connection stays HTTP */
    struct script s2 = {0};
    adds(&s2, TOSERVER, "CONNECT evil:25 HTTP/1.1\r\nHost: evil:25\r\n\r\n");
    adds(&s2, TOCLIENT, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    adds(&s2, TOSERVER, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&s2, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK_EQ_U(r.tx[0].status, 403);
    CHECK(!(r.tx[0].flags & HTTP_TXF_TUNNEL));
    CHECK_STR(r.tx[1].uri.p, "/");
    CHECK_EQ_U(r.rc[0], VG_OK);
    result_free(&r);

    /* 101 Switching Protocols */
    struct script s3 = {0};
    adds(&s3, TOSERVER,
         "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    adds(&s3, TOCLIENT, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
    add(&s3, TOCLIENT, g_tls, sizeof g_tls);
    run_all(&s3, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(r.tx[0].flags & HTTP_TXF_UPGRADE);
    CHECK_EQ_U(r.rc[1], VG_DECLINED);
    result_free(&r);
}

static void test_obs_fold(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "GET /f HTTP/1.1\r\nHost: h\r\nX-Folded: first  \r\n   second\r\n\tthird\r\n"
         "User-Agent: Mozilla/5.0\r\n (X11)\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    const struct http_tx *t = &r.tx[0];
    CHECK(t->flags & HTTP_TXF_FOLDED);
    CHECK_STR(hv(t, 0, "X-Folded"), "first second third");
    CHECK_STR(t->user_agent.p, "Mozilla/5.0 (X11)");
    CHECK_EQ_U(t->n_req_headers, 3);
    result_free(&r);

    /* a fold on the first field line is invalid */
    struct script s2 = {0};
    adds(&s2, TOSERVER, "GET /g HTTP/1.1\r\n folded: x\r\nHost: h\r\n\r\n");
    run_all(&s2, NULL, &r);
    s2.flush = 1;
    result_free(&r);
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_INVALID_REQUEST_FIELD_FOLDING));
    CHECK_STR(r.tx[0].host.p, "h");
    CHECK(r.tx[0].flags & HTTP_TXF_NO_RESPONSE);
    result_free(&r);
}

static char g_long[20100];
static char g_many[4096];

static void test_header_too_long(void)
{
    int k = snprintf(g_long, sizeof g_long, "POST /l HTTP/1.1\r\nX-Big: ");
    memset(g_long + k, 'A', 20000);
    k += 20000;
    snprintf(g_long + k, sizeof g_long - (size_t)k,
             "\r\nHost: late.example\r\nContent-Length: 3\r\n\r\nxyz");
    struct script sc = {0};
    adds(&sc, TOSERVER, g_long);
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    const struct http_tx *t = &r.tx[0];
    CHECK(has_anom(t, ANOM_HTTP_REQUEST_FIELD_TOO_LONG));
    CHECK(t->flags & HTTP_TXF_REQ_HDR_TRUNC);
    CHECK_EQ_U(t->req_headers_dropped, 1);
    CHECK_STR(t->host.p, "late.example"); /* fields after the long one are kept */
    CHECK_EQ_U(t->req_content_length, 3);
    CHECK(t->req_body && memcmp(t->req_body, "xyz", 3) == 0);
    CHECK_EQ_U(t->status, 200);
    CHECK_EQ_U(r.c.header_overflows, 1);
    result_free(&r);

    /* too many fields */
    int m = snprintf(g_many, sizeof g_many, "GET /m HTTP/1.1\r\n");
    for (int i = 0; i < 70; i++)
        m += snprintf(g_many + m, sizeof g_many - (size_t)m, "X-H%d: %d\r\n", i, i);
    snprintf(g_many + m, sizeof g_many - (size_t)m, "Host: h\r\n\r\n");
    struct script s2 = {0};
    adds(&s2, TOSERVER, g_many);
    s2.flush = 1;
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK_EQ_U(r.tx[0].n_req_headers, HTTP_MAX_HEADERS);
    CHECK_EQ_U(r.tx[0].req_headers_dropped, 71 - HTTP_MAX_HEADERS);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_REQUEST_TOO_MANY_HEADERS));
    CHECK_STR(r.tx[0].host.p, "h"); /* named fields survive the count limit */
    result_free(&r);
}

static void test_invalid_cl(void)
{
    struct script sc = {0};
    adds(&sc, TOSERVER, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12abc\r\n\r\nbody");
    adds(&sc, TOCLIENT, "HTTP/1.1 400 Bad Request\r\nContent-Length: zz\r\n\r\nerror page");
    sc.flush = 1;
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    const struct http_tx *t = &r.tx[0];
    CHECK(has_anom(t, ANOM_HTTP_INVALID_CL_REQUEST));
    CHECK(has_anom(t, ANOM_HTTP_INVALID_CL_RESPONSE));
    CHECK_EQ_U(t->req_content_length, (uint64_t)-1);
    CHECK_EQ_U(t->req_body_len, 4); /* read to the end of the connection */
    CHECK_EQ_U(t->req_body_wire, 4);
    CHECK_EQ_U(t->resp_body_len, 10);
    CHECK(t->flags & HTTP_TXF_RESP_CLOSE_DELIMITED);
    result_free(&r);

    /* conflicting and duplicated values; TE + CL */
    struct script s2 = {0};
    adds(&s2, TOSERVER,
         "POST /d HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc"
         "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
         "1\r\nq\r\n0\r\n\r\n");
    adds(&s2, TOCLIENT,
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
         "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    s2.flush = 1;
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_DUPLICATE_CL_REQUEST));
    CHECK_EQ_U(r.tx[0].req_content_length, 3);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_INVALID_CL_RESPONSE));
    CHECK(has_anom(&r.tx[1], ANOM_HTTP_TE_WITH_CL));
    CHECK_EQ_U(r.tx[1].req_body_len, 1);
    CHECK(r.tx[1].flags & HTTP_TXF_REQ_CHUNKED);
    result_free(&r);

    /* invalid transfer-coding */
    struct script s3 = {0};
    adds(&s3, TOSERVER, "POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, zork\r\n\r\n");
    s3.flush = 1;
    run_all(&s3, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_INVALID_TE_REQUEST));
    result_free(&r);
}

static void test_unmatched_response(void)
{
    struct script sc = {0};
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: x\r\n\r\nabc");
    adds(&sc, TOSERVER, "GET /late HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK(r.tx[0].flags & HTTP_TXF_NO_REQUEST);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_UNMATCHED_RESPONSE));
    CHECK(!r.tx[0].method.p);
    CHECK_EQ_U(r.tx[0].status, 200);
    CHECK_STR(r.tx[0].server.p, "x");
    CHECK_STR(r.tx[1].uri.p, "/late");
    CHECK_EQ_U(r.tx[1].status, 404);
    CHECK_EQ_U(r.c.unmatched_responses, 1);
    result_free(&r);
}

static void test_gap(void)
{
    /* a gap inside a body of known length: skipped, the next request parses */
    struct script sc = {0};
    adds(&sc, TOSERVER, "POST /g HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\n0123");
    addgap(&sc, TOSERVER, 10);
    adds(&sc, TOSERVER, "EFGHIJGET /n HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n");
    addgap(&sc, TOCLIENT, 6);
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    const struct http_tx *t = &r.tx[0];
    CHECK(t->flags & HTTP_TXF_REQ_GAP);
    CHECK(t->flags & HTTP_TXF_RESP_GAP);
    CHECK(!(t->flags & HTTP_TXF_REQ_INCOMPLETE));
    CHECK_EQ_U(t->req_body_len, 20);
    CHECK_EQ_U(t->req_body_kept, 4); /* the excerpt stops at the hole */
    CHECK_EQ_U(t->resp_body_len, 6);
    CHECK_STR(r.tx[1].uri.p, "/n");
    CHECK_EQ_U(r.tx[1].status, 200);
    CHECK_EQ_U(r.c.gaps, 2);
    result_free(&r);

    /* a gap that swallows the end of a body and the start of the next request: resync */
    struct script s2 = {0};
    adds(&s2, TOSERVER, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n01");
    addgap(&s2, TOSERVER, 30);
    adds(&s2, TOSERVER, "ost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n");
    s2.flush = 1;
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK(r.tx[0].flags & HTTP_TXF_REQ_GAP);
    CHECK(r.tx[0].flags & HTTP_TXF_REQ_INCOMPLETE);
    CHECK_STR(r.tx[1].uri.p, "/c");
    int any = 0;
    for (int k = 0; k < VG_ANOMALY_COUNT; k++)
        any |= r.sanom[k];
    CHECK(!any); /* resync skips junk quietly */
    result_free(&r);

    /* once back in step, junk is junk again */
    adds(&s2, TOSERVER, "\x16\x03\x01 not http\r\n");
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK(r.sanom[ANOM_HTTP_REQUEST_LINE_INVALID]);
    CHECK_EQ_U(r.rc[0], VG_DECLINED);
    result_free(&r);

    /* a gap inside a header block: the partial request still pairs with its response */
    struct script s3 = {0};
    adds(&s3, TOSERVER, "GET /p HTTP/1.1\r\nHost: h\r\nX-A: 1");
    addgap(&s3, TOSERVER, 100);
    adds(&s3, TOSERVER, "GET /q HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(
        &s3, TOCLIENT,
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 201 OK\r\nContent-Length: 0\r\n\r\n");
    run_all(&s3, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK_STR(r.tx[0].uri.p, "/p");
    CHECK_STR(hv(&r.tx[0], 0, "X-A"), "1");
    CHECK(r.tx[0].flags & HTTP_TXF_REQ_INCOMPLETE);
    CHECK_EQ_U(r.tx[0].status, 200);
    CHECK_STR(r.tx[1].uri.p, "/q");
    CHECK_EQ_U(r.tx[1].status, 201);
    result_free(&r);
}

static uint8_t g_junk[600];

static void test_junk(void)
{
    uint32_t x = 12345;
    for (size_t k = 0; k < sizeof g_junk; k++) {
        x = x * 1103515245u + 12345u;
        g_junk[k] = (uint8_t)(x >> 16);
    }
    g_junk[0] = 0x16; /* not a token character */
    struct script sc = {0};
    add(&sc, TOSERVER, g_junk, sizeof g_junk);
    add(&sc, TOCLIENT, g_junk + 100, 300);
    sc.flush = 1;
    struct result r;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 0);
    CHECK(r.sanom[ANOM_HTTP_REQUEST_LINE_INVALID]);
    CHECK(r.sanom[ANOM_HTTP_RESPONSE_INVALID_PROTOCOL]);
    CHECK_EQ_U(r.rc[0], VG_DECLINED);
    CHECK_EQ_U(r.c.gave_up, 2);
    result_free(&r);

    /* HTTP/0.9-ish request line and text that is not HTTP */
    struct script s2 = {0};
    adds(&s2, TOSERVER, "GET /\r\n\r\n");
    adds(&s2, TOCLIENT, "<html>hello</html>");
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 0);
    CHECK(r.sanom[ANOM_HTTP_REQUEST_LINE_MISSING_PROTOCOL]);
    CHECK(r.sanom[ANOM_HTTP_RESPONSE_INVALID_PROTOCOL]);
    result_free(&r);

    /* bad field lines inside an otherwise fine request */
    struct script s3 = {0};
    adds(&s3, TOSERVER,
         "GET /h HTTP/1.1\r\nHost : spaced\r\nNoColon\r\nBad\x01Name: v\r\nHost: h2\r\n\r\n");
    adds(&s3, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    run_all(&s3, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_REQUEST_HEADER_INVALID));
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_REQUEST_FIELD_MISSING_COLON));
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_HOST_HEADER_AMBIGUOUS));
    CHECK_STR(r.tx[0].host.p, "spaced");
    CHECK_EQ_U(r.tx[0].n_req_headers, 2);
    result_free(&r);
}

static void test_misc(void)
{
    struct result r;
    /* absolute-form target, userinfo, IPv6 literal, lowercase protocol, missing Host */
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "GET http://user:pw@WWW.Example.ORG.:8081/p?q HTTP/1.1\r\nHost: other\r\n\r\n"
         "GET / http/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"
         "GET /nohost HTTP/1.1\r\n\r\n"
         "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    sc.flush = 1;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 4);
    CHECK_STR(r.tx[0].hostname.p, "www.example.org");
    CHECK_EQ_U(r.tx[0].host_port, 8081);
    CHECK_STR(r.tx[0].host.p, "other");
    CHECK(r.tx[0].flags & HTTP_TXF_NO_RESPONSE);
    CHECK_STR(r.tx[1].hostname.p, "[2001:db8::1]");
    CHECK_EQ_U(r.tx[1].host_port, 8443);
    CHECK_STR(r.tx[1].protocol.p, "http/1.1");
    CHECK(has_anom(&r.tx[2], ANOM_HTTP_MISSING_HOST_HEADER));
    CHECK(!r.tx[2].hostname.p);
    CHECK_STR(r.tx[3].uri.p, "*");
    result_free(&r);

    /* a space inside the target, tab delimiters, status without reason, odd status */
    struct script s2 = {0};
    adds(&s2, TOSERVER, "GET /a b HTTP/1.1\r\nHost: h\r\n\r\nGET\t/t HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(
        &s2, TOCLIENT,
        "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\nHTTP/1.1 2XX Weird\r\nContent-Length: 0\r\n\r\n");
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK_STR(r.tx[0].uri.p, "/a b");
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_URI_DELIM_NON_COMPLIANT));
    CHECK_EQ_U(r.tx[0].status, 200);
    CHECK_STR(r.tx[0].status_msg.p, "");
    CHECK(has_anom(&r.tx[1], ANOM_HTTP_METHOD_DELIM_NON_COMPLIANT));
    CHECK_EQ_U(r.tx[1].status, 0);
    CHECK_STR(r.tx[1].status_str.p, "2XX");
    CHECK(has_anom(&r.tx[1], ANOM_HTTP_RESPONSE_INVALID_STATUS));
    result_free(&r);

    /* a big body: the excerpt is cfg.body_keep bytes, lengths are exact */
    static char big[12000];
    int k =
        snprintf(big, sizeof big, "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 10000\r\n\r\n");
    for (int i = 0; i < 10000; i++)
        big[k + i] = (char)('a' + i % 26);
    big[k + 10000] = 0;
    struct script s3 = {0};
    adds(&s3, TOSERVER, big);
    adds(&s3, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    run_all(&s3, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK_EQ_U(r.tx[0].req_body_len, 10000);
    CHECK_EQ_U(r.tx[0].req_body_kept, 4096);
    CHECK(r.tx[0].flags & HTTP_TXF_REQ_BODY_TRUNC);
    result_free(&r);

    /* many unanswered requests: the oldest are handed over without a response */
    static char many[64 * 40];
    int m = 0;
    for (int i = 0; i < 40; i++)
        m += snprintf(many + m, sizeof many - (size_t)m, "GET /%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
    struct script s4 = {0};
    adds(&s4, TOSERVER, many);
    s4.flush = 1;
    run_all(&s4, NULL, &r);
    CHECK_EQ_U(r.ntx, 40);
    CHECK_EQ_U(r.c.evicted, 8);
    CHECK_STR(r.tx[0].uri.p, "/0");
    CHECK_STR(r.tx[39].uri.p, "/39");
    result_free(&r);
}

static void test_probe(void)
{
    const char *yes_req[] = {"GET / HTTP/1.1\r\n",     "POST /x",
                             "PROPFIND /dav HTTP/1.1", "MKCOL /a/b HTTP/1.1",
                             "CONNECT a:443 HTTP/1.1", "GET /"};
    for (size_t i = 0; i < sizeof yes_req / sizeof yes_req[0]; i++)
        CHECK_EQ_U(http_probe((const uint8_t *)yes_req[i], strlen(yes_req[i]), TOSERVER), VG_OK);
    const char *no_req[] = {"\x16\x03\x01",    "get / HTTP/1.1",
                            "SSH-2.0-OpenSSH", "GET  /",
                            "FOO /x\r\n",      "ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1"};
    for (size_t i = 0; i < sizeof no_req / sizeof no_req[0]; i++)
        CHECK_EQ_U(http_probe((const uint8_t *)no_req[i], strlen(no_req[i]), TOSERVER),
                   VG_DECLINED);
    const char *again_req[] = {"GE", "GET", "GET ", "MKCOL /a/b HTT"};
    for (size_t i = 0; i < sizeof again_req / sizeof again_req[0]; i++)
        CHECK_EQ_U(http_probe((const uint8_t *)again_req[i], strlen(again_req[i]), TOSERVER),
                   VG_AGAIN);
    CHECK_EQ_U(http_probe((const uint8_t *)"HTTP/1.1 200 OK", 15, TOCLIENT), VG_OK);
    CHECK_EQ_U(http_probe((const uint8_t *)"HTTP/1", 6, TOCLIENT), VG_AGAIN);
    CHECK_EQ_U(http_probe((const uint8_t *)"HTTP/2.0", 8, TOCLIENT), VG_DECLINED);
    CHECK_EQ_U(http_probe((const uint8_t *)"SSH-2.0", 7, TOCLIENT), VG_DECLINED);
    CHECK_EQ_U(http_probe((const uint8_t *)"HTTP/1.0 200", 12, -1), VG_OK);
    CHECK_EQ_U(http_probe((const uint8_t *)"GET / HTTP/1.0", 14, -1), VG_OK);
}

/* Allocation failure injection (SQLite's habit): every allocation of a busy flow fails in turn;
 * the parser degrades (counts nomem, drops what it cannot keep) and never crashes or leaks. */
static void test_alloc_failures(void)
{
    size_t zn = zpack(g_text, sizeof g_text, g_z[1], sizeof g_z[1], 31);
    static char hdr[160];
    snprintf(hdr, sizeof hdr,
             "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
    struct script sc = {0};
    adds(&sc, TOSERVER,
         "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: "
         "h\r\n\r\n"
         "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT,
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n");
    adds(&sc, TOCLIENT, hdr);
    add(&sc, TOCLIENT, g_z[1], zn);
    sc.flush = 1;
    struct result r;
    int completed = 0;
    for (long n = 0; n < 40; n++) {
        vg_alloc_fail_after(n);
        memset(&r, 0, sizeof r);
        struct http_state *st = http_state_new(NULL);
        if (st) {
            struct vg_ts ts = {1, 0};
            for (int i = 0; i < sc.n; i++)
                feed(st, sc.s[i].dir, sc.s[i].p, sc.s[i].n, ts, &r);
            http_flush(st, on_tx, &r);
            take_anoms(st, &r);
            if (r.ntx == 3 && http_counters(st)->nomem == 0) completed++;
            http_state_free(st);
        }
        vg_alloc_fail_after(-1);
        result_free(&r);
    }
    CHECK(completed > 0); /* with enough allocations the flow parses completely */
}

static void test_api_edges(void)
{
    http_state_free(NULL);
    struct vg_ts ts = {0, 0};
    CHECK(http_parse(NULL, 0, (const uint8_t *)"x", 1, ts, NULL, NULL) == VG_ERR_USAGE);
    struct http_state *st = http_state_new(NULL);
    CHECK(st != NULL);
    CHECK(http_parse(st, 2, (const uint8_t *)"x", 1, ts, NULL, NULL) == VG_ERR_USAGE);
    /* emit may be NULL: transactions are dropped */
    CHECK_EQ_U(http_parse(st, 0, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, ts, NULL, NULL),
               VG_OK);
    http_flush(st, NULL, NULL);
    CHECK_EQ_U(http_counters(st)->txs, 1);
    CHECK_EQ_U(http_parse(st, 0, (const uint8_t *)"GET", 3, ts, NULL, NULL), VG_DECLINED);
    http_state_free(st);
}

/* ---- libhtp-compatible leniency (what the http-evader captures of suricata-verify test) ---- */

static const char g_eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
static uint8_t g_l1[512], g_l2[512];
static char g_lh[4][256];

/* The response body of the first transaction of a one-request script. */
static void run_resp(const char *head, const void *body, size_t bn, struct result *r)
{
    struct script sc = {0};
    adds(&sc, TOSERVER, "GET /e HTTP/1.1\r\nHost: h\r\n\r\n");
    adds(&sc, TOCLIENT, head);
    if (bn) add(&sc, TOCLIENT, body, bn);
    sc.flush = 1;
    run_all(&sc, NULL, r);
}

static bool body_is(const struct http_tx *t, const void *want, size_t n)
{
    return t->resp_body && t->resp_body_kept == n && memcmp(t->resp_body, want, n) == 0;
}

static void test_ce_layers(void)
{
    size_t en = strlen(g_eicar);
    /* gzip applied first, then deflate: "gzip, deflate" in one field or two fields */
    size_t n1 = zpack(g_eicar, en, g_l1, sizeof g_l1, 31);
    size_t n2 = zpack(g_l1, n1, g_l2, sizeof g_l2, 15);
    CHECK(n1 && n2);
    static const char *forms[2] = {"Content-Encoding: gzip, deflate\r\n",
                                   "Content-Encoding: gzip\r\nContent-Encoding: deflate\r\n"};
    for (int f = 0; f < 2; f++) {
        snprintf(g_lh[f], sizeof g_lh[f], "HTTP/1.1 200 OK\r\n%sContent-Length: %zu\r\n\r\n",
                 forms[f], n2);
        struct result r;
        run_resp(g_lh[f], g_l2, n2, &r);
        CHECK_EQ_U(r.ntx, 1);
        CHECK(body_is(&r.tx[0], g_eicar, en));
        CHECK(!(r.tx[0].flags & HTTP_TXF_RESP_DECODE_ERROR));
        result_free(&r);
    }
    /* two codings declared, only gzip applied: the deflate layer finds gzip and decodes it, the
     * gzip layer then finds plain text and passes it through (counted as a decode error) */
    snprintf(g_lh[2], sizeof g_lh[2],
             "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Encoding: deflate\r\n"
             "Content-Length: %zu\r\n\r\n", n1);
    struct result r;
    run_resp(g_lh[2], g_l1, n1, &r);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    CHECK(r.tx[0].flags & HTTP_TXF_RESP_DECODE_ERROR);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_GZIP_DECOMPRESSION_FAILED));
    result_free(&r);
    /* labelled gzip, sent plain: passthrough */
    run_resp("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 68\r\n\r\n", g_eicar,
             en, &r);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    CHECK(r.tx[0].flags & HTTP_TXF_RESP_DECODE_ERROR);
    result_free(&r);
    /* names with junk: NUL inside, x-/suffix, a control byte before: still gzip */
    static const char *names[3] = {"gz\0ip", "gzip_x", "\x0bx-gzip"};
    static const size_t nlen[3] = {5, 6, 7};
    for (int k = 0; k < 3; k++) {
        int hl = snprintf(g_lh[3], sizeof g_lh[3], "HTTP/1.1 200 OK\r\nContent-Encoding: ");
        memcpy(g_lh[3] + hl, names[k], nlen[k]);
        hl += (int)nlen[k];
        hl += snprintf(g_lh[3] + hl, sizeof g_lh[3] - (size_t)hl, "\r\nContent-Length: %zu\r\n\r\n",
                       n1);
        struct script sc = {0};
        adds(&sc, TOSERVER, "GET /e HTTP/1.1\r\nHost: h\r\n\r\n");
        add(&sc, TOCLIENT, g_lh[3], (size_t)hl);
        add(&sc, TOCLIENT, g_l1, n1);
        run_all(&sc, NULL, &r);
        CHECK_EQ_U(r.ntx, 1);
        CHECK(body_is(&r.tx[0], g_eicar, en));
        CHECK(r.tx[0].flags & HTTP_TXF_RESP_GZIP);
        CHECK(!(r.tx[0].flags & HTTP_TXF_RESP_DECODE_ERROR));
        result_free(&r);
    }
    /* a gzip header with reserved flag bits and a header CRC (zlib refuses both) */
    static uint8_t gz[600];
    memcpy(gz, g_l1, 10);
    gz[3] = 0x80 | 0x02;
    gz[10] = 0x12;
    gz[11] = 0x34; /* FHCRC: any value */
    memcpy(gz + 12, g_l1 + 10, n1 - 10);
    snprintf(g_lh[3], sizeof g_lh[3],
             "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", n1 + 2);
    run_resp(g_lh[3], gz, n1 + 2, &r);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    CHECK(!(r.tx[0].flags & HTTP_TXF_RESP_DECODE_ERROR));
    result_free(&r);
    /* "deflate" label on raw deflate and on zlib data */
    size_t n3 = zpack(g_eicar, en, g_l2, sizeof g_l2, -15);
    snprintf(g_lh[3], sizeof g_lh[3],
             "HTTP/1.1 200 OK\r\nContent-Encoding: x-deflate\r\nContent-Length: %zu\r\n\r\n", n3);
    run_resp(g_lh[3], g_l2, n3, &r);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    result_free(&r);
}

static void test_lenient_chunked(void)
{
    size_t en = strlen(g_eicar);
    struct result r;
    /* a Transfer-Encoding that only contains "chunked" */
    run_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n"
             "20\r\nX5O!P%@AP[4\\PZX54(P^)7CC)7}$EICA\r\n24\r\nR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\r\n"
             "0\r\n\r\n",
             NULL, 0, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(r.tx[0].flags & HTTP_TXF_RESP_CHUNKED);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_INVALID_TE_RESPONSE));
    result_free(&r);
    /* chunk sizes with leading space, junk after the digits, a bare CR ending the line */
    run_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
             " 20x\rX5O!P%@AP[4\\PZX54(P^)7CC)7}$EICA\r\n\t24 \r\nR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\r\n"
             "0\r\n\r\n",
             NULL, 0, &r);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    result_free(&r);
    /* declared chunked, sent plain: read to the end of the connection */
    snprintf(g_lh[0], sizeof g_lh[0], "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%s",
             g_eicar);
    run_resp(g_lh[0], NULL, 0, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    CHECK(r.tx[0].flags & HTTP_TXF_RESP_CLOSE_DELIMITED);
    CHECK(r.tx[0].flags & HTTP_TXF_LAX_FRAMING);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_INVALID_RESPONSE_CHUNK_LEN));
    result_free(&r);
    /* requests stay strict: a bad chunk size is a framing error */
    struct script sc = {0};
    adds(&sc, TOSERVER, "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    sc.flush = 1;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_INVALID_REQUEST_CHUNK_LEN));
    result_free(&r);
}

static void test_lenient_heads(void)
{
    size_t en = strlen(g_eicar);
    struct result r;
    /* "HTTP/1.10", leading whitespace line and spaces before the status line */
    snprintf(g_lh[0], sizeof g_lh[0], " \r\n  HTTP/1.10 200 ok\r\nContent-Length: 68\r\n\r\n%s",
             g_eicar);
    run_resp(g_lh[0], NULL, 0, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK_EQ_U(r.tx[0].status, 200);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    CHECK(r.tx[0].flags & HTTP_TXF_LAX_FRAMING);
    result_free(&r);
    /* a header block ended by "SP LF", a header line ended by a bare CR */
    snprintf(g_lh[1], sizeof g_lh[1],
             "HTTP/1.1 200 ok\r\nX-A: b\rContent-Length: 68\n \n%s", g_eicar);
    run_resp(g_lh[1], NULL, 0, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK_EQ_U(r.tx[0].resp_content_length, 68);
    CHECK(body_is(&r.tx[0], g_eicar, en));
    CHECK(r.tx[0].flags & HTTP_TXF_LAX_FRAMING);
    result_free(&r);
    /* bytes after a 204: the body of a response without status line */
    snprintf(g_lh[2], sizeof g_lh[2], "HTTP/1.1 204 No Content\r\nContent-Length: 68\r\n\r\n%s",
             g_eicar);
    run_resp(g_lh[2], NULL, 0, &r);
    CHECK_EQ_U(r.ntx, 2);
    CHECK_EQ_U(r.tx[0].status, 204);
    CHECK(r.tx[1].flags & HTTP_TXF_NO_REQUEST);
    CHECK(body_is(&r.tx[1], g_eicar, en));
    result_free(&r);
    /* but junk where no response is due makes no transaction */
    struct script sc = {0};
    adds(&sc, TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxjunk junk\r\n");
    sc.flush = 1;
    run_all(&sc, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    result_free(&r);
    /* NUL and VT in a header name (libhtp matches names without NULs) */
    static const char h[] = "HTTP/1.1 200 ok\r\nTransfer-\0Encoding\x0b: chunked\r\n\r\n"
                            "4\r\nabcd\r\n0\r\n\r\n";
    struct script s2 = {0};
    adds(&s2, TOSERVER, "GET /e HTTP/1.1\r\nHost: h\r\n\r\n");
    add(&s2, TOCLIENT, h, sizeof h - 1);
    run_all(&s2, NULL, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(r.tx[0].flags & HTTP_TXF_RESP_CHUNKED);
    CHECK(body_is(&r.tx[0], "abcd", 4));
    result_free(&r);
    /* a name line without colon continued by folded lines: "Transfer-Encoding\r\n :chunked" */
    static const char *folds[2] = {"Transfer-Encoding\r\n :chunked\r\n",
                                   "Transfer-Encoding\r\n \r\n :\r\n chunked\r\n"};
    for (int k = 0; k < 2; k++) {
        snprintf(g_lh[3], sizeof g_lh[3], "HTTP/1.1 200 ok\r\nX-A: b\r\n%s\r\n4\r\nabcd\r\n0\r\n\r\n",
                 folds[k]);
        run_resp(g_lh[3], NULL, 0, &r);
        CHECK_EQ_U(r.ntx, 1);
        CHECK(r.tx[0].flags & HTTP_TXF_RESP_CHUNKED);
        CHECK(body_is(&r.tx[0], "abcd", 4));
        CHECK(has_anom(&r.tx[0], ANOM_HTTP_INVALID_RESPONSE_FIELD_FOLDING));
        result_free(&r);
    }
    /* "f CR CR LF" size lines; "SP LF LF" ends the block at the second LF; a "CR CR LF" line is
     * junk, not the end of the block */
    run_resp("HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n4\r\r\nabcd\r\n0\r\n\r\n",
             NULL, 0, &r);
    CHECK(body_is(&r.tx[0], "abcd", 4));
    result_free(&r);
    run_resp("HTTP/1.1 200 ok\r\nContent-Length: 2\n \n\nab", NULL, 0, &r);
    CHECK(body_is(&r.tx[0], "ab", 2));
    result_free(&r);
    run_resp("HTTP/1.1 200 ok\r\nX: y\r\n\r\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
             NULL, 0, &r);
    CHECK(r.tx[0].flags & HTTP_TXF_RESP_CHUNKED);
    CHECK(body_is(&r.tx[0], "ab", 2));
    result_free(&r);
    /* without a fold the colon-less line is dropped */
    run_resp("HTTP/1.1 200 ok\r\nTransfer-Encoding\r\nContent-Length: 2\r\n\r\nab", NULL, 0, &r);
    CHECK_EQ_U(r.ntx, 1);
    CHECK(!(r.tx[0].flags & HTTP_TXF_RESP_CHUNKED));
    CHECK(body_is(&r.tx[0], "ab", 2));
    CHECK(has_anom(&r.tx[0], ANOM_HTTP_RESPONSE_FIELD_MISSING_COLON));
    result_free(&r);
}

int main(void)
{
    RUN(test_get_200);
    RUN(test_post_cl);
    RUN(test_chunked_trailers);
    RUN(test_chunk_ext);
    RUN(test_gzip_deflate);
    RUN(test_gzip_bomb);
    RUN(test_pipelined);
    RUN(test_100_continue);
    RUN(test_head_204_304);
    RUN(test_close_delimited);
    RUN(test_connect);
    RUN(test_obs_fold);
    RUN(test_header_too_long);
    RUN(test_invalid_cl);
    RUN(test_unmatched_response);
    RUN(test_gap);
    RUN(test_junk);
    RUN(test_misc);
    RUN(test_probe);
    RUN(test_alloc_failures);
    RUN(test_api_edges);
    RUN(test_ce_layers);
    RUN(test_lenient_chunked);
    RUN(test_lenient_heads);
    fprintf(stderr, "http: %lu feed runs compared\n", g_runs);
    return vg_test_done("http");
}
