/* tamper_http.c - class http_race: one HTTP request answered by two different responses.
 *
 * RFC 9112 section 4 (status line), RFC 9110 sections 8.6 (Content-Length) and 10.2.2
 * (Location). QUANTUM INSERT (Fox-IT, 2015) and similar on-path shooters answer an HTTP request
 * before the server does, typically with a 302 to another host; the genuine response follows
 * with the same sequence numbers. The stream delivers first-wins (src/stream/README.md): the
 * second response's overlapping bytes never reach the HTTP parser, so the app layer logs one
 * transaction, the forged one. The evidence is the stream's STREAM_FACT_DATA_OVERLAP, which
 * tamper_race.c turns into a tcp_injection_race finding: "someone raced a segment". When both
 * contestants' payloads start an HTTP response ("HTTP/1.x NNN"), this file adds an http_race
 * finding that says what the victim was answered: both status codes, Locations and
 * Content-Lengths, e.g. a 302 to another domain against the server's 200. Both are reported
 * because they answer different questions (and a responder filtering on either sees the event):
 * the TCP finding carries the transport evidence and its subtype (how the segment was raced), the
 * HTTP finding the application consequence.
 *
 * The two heads are read by the app layer's own HTTP parser (app/http), each fed into a throwaway
 * per-call parser state as a response without a request and flushed; no second HTTP parser here.
 * The state is allocated when a flow's first http_race is found (at most once per flow and finding
 * slot, never per packet) and freed at once; when it cannot be had, only the status code from the
 * status line is kept (counted in http_parse_nomem).
 */
#include <stdio.h>
#include <string.h>

#include "app/http/http.h"
#include "tamper/tamper_int.h"

/* "HTTP/1.x NNN": the start of an HTTP/1 status line (RFC 9112 section 4). */
static bool status_line(const uint8_t *d, uint32_t n)
{
    if (!d || n < 12 || memcmp(d, "HTTP/1.", 7) != 0) return false;
    if (d[7] < '0' || d[7] > '9' || d[8] != ' ') return false;
    for (int i = 9; i < 12; i++)
        if (d[i] < '0' || d[i] > '9') return false;
    return true;
}

struct head_ctx {
    struct tamper_contestant *c;
    bool done; /* the first response with a status is the contestant's (more may follow) */
};

static void on_head(void *ud, const struct http_tx *tx)
{
    struct head_ctx *h = ud;
    struct tamper_contestant *c = h->c;
    if (h->done || !tx->status) return;
    h->done = true;
    c->http_status = tx->status;
    c->http_content_length = tx->resp_content_length;
    if (tx->location.p) {
        uint32_t n = tx->location.len;
        if (n >= sizeof c->http_location) {
            n = sizeof c->http_location - 1;
            c->app_text_truncated = true;
        }
        memcpy(c->http_location, tx->location.p, n);
        c->http_location[n] = '\0';
    }
}

static void parse_head(struct tamper_ctx *ctx, struct tamper_contestant *c)
{
    const uint8_t *d = c->payload;
    c->http_status = (d[9] - '0') * 100 + (d[10] - '0') * 10 + (d[11] - '0');
    c->http_content_length = -1;
    struct http_config cfg;
    http_config_default(&cfg);
    cfg.header_buf_max = TAMPER_PAYLOAD_MAX;
    cfg.body_keep = 0;
    cfg.max_open_tx = 1;
    struct http_state *st = http_state_new(&cfg);
    if (!st) {
        ctx->cnt.http_parse_nomem++;
        return;
    }
    struct head_ctx h = {c, false};
    http_parse(st, HTTP_DIR_TOCLIENT, c->payload, c->payload_len, c->ts, on_head, &h);
    http_flush(st, on_head, &h);
    http_state_free(st);
}

/* "HTTP 302, Location http://x/, Content-Length 0" */
static void describe(const struct tamper_contestant *c, char *buf, size_t n)
{
    int l = snprintf(buf, n, "HTTP %d", (int)c->http_status);
    if (l < 0 || (size_t)l >= n) return;
    if (c->http_location[0])
        l += snprintf(buf + l, n - (size_t)l, ", Location %.120s%s", c->http_location,
                      c->app_text_truncated ? "..." : "");
    if (l < 0 || (size_t)l >= n) return;
    if (c->http_content_length >= 0)
        snprintf(buf + l, n - (size_t)l, ", Content-Length %lld",
                 (long long)c->http_content_length);
}

/* The host part of an absolute Location ("scheme://host[:port]/..."), lowercased; "" otherwise. */
static void location_host(const char *loc, char *host, size_t n)
{
    host[0] = '\0';
    const char *p = strstr(loc, "://");
    if (!p) return;
    p += 3;
    size_t i = 0;
    while (p[i] && p[i] != '/' && p[i] != ':' && p[i] != '?' && p[i] != '#' && i + 1 < n) {
        char ch = p[i];
        host[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        i++;
    }
    host[i] = '\0';
}

void tamper__http_fact(struct tamper_ctx *ctx, struct flow *f, const struct packet *p,
                       const struct stream_fact *fa)
{
    if (fa->kind != STREAM_FACT_DATA_OVERLAP || !fa->first_data ||
        fa->first_data_seq != fa->first.seq || !status_line(fa->first_data, fa->first_data_len) ||
        !status_line(fa->second_data, fa->second_data_len))
        return;
    struct tamper__slot *s = tamper__finding(ctx, f, TAMPER_SIG_HTTP_RACE, fa->dir);
    if (!s) return;
    struct tamper_finding *fd = &s->fd;
    tamper__contestant_from_meta(&fd->c[0], &fa->first);
    tamper__contestant_from_meta(&fd->c[1], &fa->second);
    tamper__contestant_payload(&fd->c[0], fa->first_data, fa->first_data_len, fa->first_data_seq);
    tamper__contestant_payload(&fd->c[1], fa->second_data, fa->second_data_len, fa->second.seq);
    tamper__pending_init(&s->pd, &f->tamper->d[fa->dir].b, fa->dir, fa->first.pcap_cnt,
                         fa->second.pcap_cnt);
    if (s->pd.rec_valid[0]) fd->c[0].ack = s->pd.rec[0].ack;
    if (s->pd.rec_valid[1]) fd->c[1].ack = s->pd.rec[1].ack;
    if (fa->second.pcap_cnt == p->pcap_cnt) fd->c[1].ack = p->tcp_ack;
    fd->ov_seq = fa->ov_seq;
    fd->ov_len = fa->ov_len;
    fd->diff_bytes = fa->diff_bytes;
    parse_head(ctx, &fd->c[0]);
    parse_head(ctx, &fd->c[1]);

    const struct tamper_contestant *c0 = &fd->c[0], *c1 = &fd->c[1];
    char d0[160], d1[160];
    describe(c0, d0, sizeof d0);
    describe(c1, d1, sizeof d1);
    s->pd.score = 50;
    s->pd.score_cap = 95;
    tamper__reason(fd, "both versions of seq %u start an HTTP response: one request answered twice",
                   fa->ov_seq);
    tamper__reason(fd, "pcap_cnt %llu: %s; pcap_cnt %llu: %s", (unsigned long long)c0->pcap_cnt, d0,
                   (unsigned long long)c1->pcap_cnt, d1);
    char h0[128], h1[128];
    location_host(c0->http_location, h0, sizeof h0);
    location_host(c1->http_location, h1, sizeof h1);
    if (c0->http_status != c1->http_status) {
        s->pd.score += 10;
        tamper__reason(fd, "the status codes differ (%d vs %d)", (int)c0->http_status,
                       (int)c1->http_status);
    }
    if (h0[0] && strcmp(h0, h1) != 0) {
        s->pd.score += 10;
        tamper__reason(fd, "the first response redirects to %s, which the other does not", h0);
    }
    tamper__reason(fd,
                   "the client's stack keeps the first version (pcap_cnt %llu, the one vigil's "
                   "http event logs); pcap_cnt %llu arrived %.3f ms later",
                   (unsigned long long)c0->pcap_cnt, (unsigned long long)c1->pcap_cnt,
                   (double)vg_ts_diff_us(c1->ts, c0->ts) / 1000.0);
}
