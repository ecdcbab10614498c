/* http_parser.c - the byte state machines of HTTP/1.x: request line, status line, field lines with
 * obs-fold, message framing (Content-Length, chunked with extensions and trailers, close-delimited,
 * bodiless responses, CONNECT and 101), gaps and resynchronisation, and the public entry points.
 *
 * RFC 9112 §2.2 (leading empty lines ignored), §3 (request line), §4 (status line), §5 (field
 * lines, obs-fold §5.2), §6.1 (Transfer-Encoding), §6.3 (message body length), §7.1 (chunked);
 * RFC 9110 §5.6.2 (tokens), §8.6 (Content-Length), §9.3.6 (CONNECT), §15.2 (1xx).
 *
 * nginx's ngx_http_parse.c habit: each direction keeps `state`; every byte is looked at once and
 * the machine can stop after any byte and resume on the next call. What must outlive a call is
 * written into the direction's header buffer (start line and field lines, NUL-terminated, capped at
 * cfg.header_buf_max) or into small fixed scratch fields (the lowercased field name, the value of a
 * Content-Length field, the current Transfer-/Content-Encoding token), so that framing never
 * depends on what the capped buffer could keep. Hostile input becomes an anomaly id, never a crash.
 */
#include <string.h>

#include "app/http/http_int.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"

#define METHOD_MAX 32 /* longest method token the parser accepts */

/* ---- character classes ---- */

static inline bool is_tchar(unsigned c)
{
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    if (c >= '0' && c <= '9') return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    }
    return false;
}

static inline int hexval(unsigned c)
{
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (int)((c | 0x20) - 'a' + 10);
    return -1;
}

static inline char lower(unsigned c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}
static inline bool is_ws(unsigned c)
{
    return c == ' ' || c == '\t';
}

/* ---- anomalies ---- */

static void anom_push(uint16_t *arr, uint8_t *n, uint8_t *dropped, unsigned max, int id)
{
    for (unsigned i = 0; i < *n; i++)
        if (arr[i] == id) return;
    if (*n < max)
        arr[(*n)++] = (uint16_t)id;
    else if (*dropped < 255)
        (*dropped)++;
}

void http__state_anom(struct http_state *st, int id)
{
    uint8_t dropped = 0;
    anom_push(st->anom, &st->nanom, &dropped, sizeof st->anom / sizeof st->anom[0], id);
}

/* http__anom records an anomaly of the message in progress in direction d: on its transaction when
 * it has one, else on the message until it gets one. */
void http__anom(struct http_state *st, struct http__dir *d, int id)
{
    struct http__txn *t = d->is_resp ? st->resp_cur : st->req_cur;
    if (t) {
        http__tx_add_anom(&t->tx, id);
        return;
    }
    if (d->in_body) { /* the message's transaction is gone already (handed over, or no memory) */
        http__state_anom(st, id);
        return;
    }
    anom_push(d->anom, &d->nanom, &d->nanom_dropped, HTTP_MAX_ANOMALIES, id);
}

/* Anomalies of a message that will never have a transaction go to the flow. */
static void anom_to_state(struct http_state *st, struct http__dir *d)
{
    for (unsigned i = 0; i < d->nanom; i++)
        http__state_anom(st, d->anom[i]);
    d->nanom = d->nanom_dropped = 0;
}

/* Request- and response-side variants of the same event. */
static inline int side(const struct http__dir *d, int req_id, int resp_id)
{
    return d->is_resp ? resp_id : req_id;
}

/* ---- the header buffer ---- */

static bool grow(struct http_state *st, struct http__dir *d, uint32_t need)
{
    if (need <= d->cap) return true;
    uint32_t top = st->cfg.header_buf_max + 16; /* the cap plus room for NULs */
    uint32_t nc = d->cap ? d->cap : 512;
    while (nc < need)
        nc *= 2;
    if (nc > top && need <= top) nc = top;
    char *nb = vg_realloc(d->buf, nc);
    if (!nb) {
        st->c.nomem++;
        d->nomem = 1;
        return false;
    }
    d->buf = nb;
    d->cap = nc;
    return true;
}

static void field_too_long(struct http_state *st, struct http__dir *d)
{
    if (!d->hdr_trunc) {
        d->hdr_trunc = 1;
        d->mflags |= HTTP_TXF_REQ_HDR_TRUNC;
        st->c.header_overflows++;
        http__anom(st, d,
                   side(d, ANOM_HTTP_REQUEST_FIELD_TOO_LONG, ANOM_HTTP_RESPONSE_FIELD_TOO_LONG));
    }
}

/* A start-line byte; past the cap it is dropped (the field is kept truncated). */
static void put_sl(struct http_state *st, struct http__dir *d, uint8_t c)
{
    if (d->len >= st->cfg.header_buf_max || !grow(st, d, d->len + 2)) {
        if (!d->sl_ovf) {
            d->sl_ovf = 1;
            field_too_long(st, d);
        }
        return;
    }
    d->buf[d->len++] = (char)c;
}

/* A field-line byte; past the cap the whole line is dropped at its end (line_ovf). */
static void put_hdr(struct http_state *st, struct http__dir *d, uint8_t c)
{
    if (d->line_ovf) return;
    if (d->len >= st->cfg.header_buf_max || !grow(st, d, d->len + 2)) {
        d->line_ovf = 1;
        field_too_long(st, d);
        return;
    }
    d->buf[d->len++] = (char)c;
}

/* NUL at pos (<= len); appended when pos == len. */
static void term_at(struct http_state *st, struct http__dir *d, uint32_t pos)
{
    if (pos >= d->cap && !grow(st, d, pos + 1)) return;
    d->buf[pos] = 0;
    if (pos == d->len) d->len++;
}

/* ---- messages ---- */

static void msg_start(struct http_state *st, struct http__dir *d)
{
    if (d->is_resp) http__resp_msg_start(st);
    d->ts = st->now;
    d->len = 0;
    d->nh = d->dropped = d->n_trailers = 0;
    d->status = 0;
    memset(d->known, 0, sizeof d->known);
    memset(d->f_off, 0, sizeof d->f_off);
    memset(d->f_end, 0, sizeof d->f_end);
    d->sl_ovf = d->hdr_trunc = d->too_many = d->nomem = 0;
    d->hdr_open = d->in_trailer = d->in_body = d->line_ovf = d->fold_sp = 0;
    d->sp_count = d->pidx = d->major = d->minor = 0;
    d->cl = -1;
    d->cl_bad = d->te_present = d->te_chunked_last = d->te_bad = d->ce_count = 0;
    d->enc = HENC_NONE;
    d->te_m = d->te_has_chunked = d->ce_mg = d->ce_md = d->ce_tok = 0;
    d->nenc = d->enc_over = 0;
    d->mflags = d->xflags = 0;
    d->nanom = d->nanom_dropped = 0;
    d->wire = d->remaining = d->chunk_size = 0;
    d->chunk_digits = d->chunk_ext = 0;
    memset(&d->body, 0, sizeof d->body);
}

/* The bytes at a message start are not HTTP: give up on the direction, or, while resynchronising
 * after a gap, skip to the next line quietly. The caller does not consume the current byte. */
static void give_up(struct http_state *st, struct http__dir *d, int id)
{
    if (d->resync) {
        d->nanom = d->nanom_dropped = 0;
        d->state = HS_RESYNC;
        return;
    }
    anom_to_state(st, d);
    http__state_anom(st, id);
    st->c.gave_up++;
    d->state = HS_DEAD;
}

static void msg_done(struct http_state *st, struct http__dir *d, uint32_t flags)
{
    http__body_fini(st, d);
    d->in_body = 0;
    d->in_trailer = 0;
    d->mflags |= flags;
    d->state = HS_IDLE;
    if (d->is_resp)
        http__resp_done(st, d, 0);
    else
        http__req_done(st, d, 0);
}

/* A framing error inside a body: close the message and look for the next one. */
static void body_error(struct http_state *st, struct http__dir *d, int id)
{
    http__anom(st, d, id);
    msg_done(st, d, HTTP_TXF_REQ_INCOMPLETE);
    d->resync = 1;
    d->state = HS_RESYNC;
}

static void chunk_error(struct http_state *st, struct http__dir *d)
{
    body_error(st, d,
               side(d, ANOM_HTTP_INVALID_REQUEST_CHUNK_LEN, ANOM_HTTP_INVALID_RESPONSE_CHUNK_LEN));
}

static void begin_body(struct http_state *st, struct http__dir *d, int state)
{
    uint8_t *keep = NULL;
    uint32_t keep_cap = 0;
    if (d->is_resp) {
        if (!d->keep && st->cfg.body_keep) {
            d->keep = vg_malloc(st->cfg.body_keep);
            if (!d->keep) st->c.nomem++;
        }
        keep = d->keep;
        keep_cap = d->keep ? st->cfg.body_keep : 0;
    } else if (st->req_cur) {
        keep = st->req_cur->keep;
        keep_cap = st->req_cur->keep_cap;
    }
    http__body_begin(st, d, keep, keep_cap);
    d->state = (uint8_t)state;
    if (state == HS_C_SIZE) {
        d->chunk_size = 0;
        d->chunk_digits = 0;
        d->mflags |= HTTP_TXF_REQ_CHUNKED;
    }
}

static bool method_is(const struct http_state *st, const struct http__txn *t, const char *m)
{
    (void)st;
    return t && t->tx.method.p && strcmp(t->tx.method.p, m) == 0;
}

/* Request framing, RFC 9112 §6.3 items 3-6 (requests). A request whose length cannot be determined
 * (a bad Transfer-Encoding or Content-Length) is read to the end of the connection, which is what
 * the server does after its 400. */
static void frame_request(struct http_state *st, struct http__dir *d)
{
    if (d->f_end[0] == 7 && memcmp(d->buf, "CONNECT", 7) == 0) {
        msg_done(st, d, 0);
        if (d->state == HS_IDLE) d->state = HS_CONNECT_WAIT;
        return;
    }
    if (d->te_present) {
        if (d->cl >= 0 || d->cl_bad) http__anom(st, d, ANOM_HTTP_TE_WITH_CL);
        if (d->te_chunked_last && !d->te_bad) {
            begin_body(st, d, HS_C_SIZE);
            return;
        }
        http__anom(st, d, ANOM_HTTP_INVALID_TE_REQUEST);
        begin_body(st, d, HS_B_CLOSE);
        return;
    }
    if (d->cl_bad) {
        begin_body(st, d, HS_B_CLOSE);
        return;
    }
    if (d->cl > 0) {
        d->remaining = (uint64_t)d->cl;
        begin_body(st, d, HS_B_LENGTH);
        return;
    }
    msg_done(st, d, 0);
}

/* The connection stops being HTTP (CONNECT 2xx, 101): both directions stop. */
static void tunnel(struct http_state *st, struct http__dir *d, uint32_t flag)
{
    d->xflags |= flag;
    d->in_body = 0;
    st->c.tunnels++;
    http__resp_done(st, d, 1);
    st->d[HTTP_DIR_TOSERVER].state = HS_DEAD;
    st->d[HTTP_DIR_TOCLIENT].state = HS_DEAD;
}

/* Response framing, RFC 9112 §6.3 items 1-7. */
static void frame_response(struct http_state *st, struct http__dir *d)
{
    struct http__txn *t = st->resp_cur;
    int status = d->status;
    struct http__dir *rq = &st->d[HTTP_DIR_TOSERVER];
    bool connect = method_is(st, t, "CONNECT");

    if (status == 101) {
        tunnel(st, d, HTTP_TXF_UPGRADE);
        return;
    }
    if (connect && status >= 200 && status < 300) {
        tunnel(st, d, HTTP_TXF_TUNNEL);
        return;
    }
    if (connect && rq->state == HS_CONNECT_WAIT) rq->state = HS_IDLE;
    d->after_bodiless = 0;
    if (method_is(st, t, "HEAD") || status == 204 || status == 304) {
        d->after_bodiless = 1;
        d->xflags |= HTTP_TXF_BODILESS;
        msg_done(st, d, 0);
        return;
    }
    /* Like libhtp (and browsers): a response is chunked when its Transfer-Encoding values contain
     * "chunked" anywhere (case and NUL bytes ignored: "xchunked", "chu\0nked", a list ending in
     * another coding); chunked framing the body does not follow falls back to reading it to the
     * end of the connection (HS_C_SIZE). A Transfer-Encoding without it leaves Content-Length in
     * charge. */
    if (d->te_present && d->te_has_chunked) {
        if (d->cl >= 0 || d->cl_bad) http__anom(st, d, ANOM_HTTP_TE_WITH_CL);
        if (!d->te_chunked_last || d->te_bad) http__anom(st, d, ANOM_HTTP_INVALID_TE_RESPONSE);
        if (d->major == 1 && d->minor == 0)
            http__anom(st, d, ANOM_HTTP_RESPONSE_CHUNKED_OLD_PROTO);
        begin_body(st, d, HS_C_SIZE);
        return;
    }
    if (d->te_present) http__anom(st, d, ANOM_HTTP_INVALID_TE_RESPONSE);
    if (!d->cl_bad && d->cl >= 0) {
        if (d->cl == 0) {
            msg_done(st, d, 0);
            return;
        }
        d->remaining = (uint64_t)d->cl;
        begin_body(st, d, HS_B_LENGTH);
        return;
    }
    d->xflags |= HTTP_TXF_RESP_CLOSE_DELIMITED;
    begin_body(st, d, HS_B_CLOSE);
}

static void head_end(struct http_state *st, struct http__dir *d)
{
    if (d->in_trailer) {
        msg_done(st, d, 0);
        return;
    }
    if (!d->is_resp) {
        if (d->major == 1 && d->minor >= 1 && !d->known[HK_HOST].set)
            http__anom(st, d, ANOM_HTTP_MISSING_HOST_HEADER);
        http__req_head_done(st, d);
        frame_request(st, d);
        return;
    }
    if (d->status >= 100 && d->status < 200 && d->status != 101) {
        http__interim_done(st, d);
        d->state = HS_IDLE;
        return;
    }
    http__resp_head_done(st, d);
    frame_response(st, d);
}

/* ---- field values the parser itself needs ---- */

static bool tok_is(const char *t, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(t, s, n) == 0;
}

/* End of one element of a Transfer-Encoding or Content-Encoding list. */
static void tok_end(struct http_state *st, struct http__dir *d)
{
    const char *t = d->tok;
    size_t n = d->tok_len;
    bool ovf = d->tok_ovf;
    d->tok_len = d->tok_ovf = 0;
    for (size_t k = 0; k < n; k++)
        if (t[k] == ';') n = k; /* parameters */
    while (n && is_ws((uint8_t)t[0]))
        t++, n--;
    while (n && is_ws((uint8_t)t[n - 1]))
        n--;
    if (!n && !ovf) return; /* empty list element */
    if (d->kind == HK_TE) {
        if (d->te_chunked_last) d->te_bad = 1; /* chunked must be the last coding */
        d->te_chunked_last = !ovf && tok_is(t, n, "chunked");
        if (ovf || !(d->te_chunked_last || tok_is(t, n, "gzip") || tok_is(t, n, "x-gzip") ||
                     tok_is(t, n, "deflate") || tok_is(t, n, "compress") ||
                     tok_is(t, n, "x-compress") || tok_is(t, n, "identity"))) {
            d->te_bad = 1;
        }
        if (d->te_bad)
            http__anom(st, d, side(d, ANOM_HTTP_INVALID_TE_REQUEST, ANOM_HTTP_INVALID_TE_RESPONSE));
        return;
    }
}

/* Content-Encoding values, as libhtp reads them: the values of all Content-Encoding fields form one
 * list split at ',' and SP (a bare CR or a fold reads as SP); NUL bytes and case are ignored; an
 * element containing "gzip" is gzip, one containing "deflate" is deflate (x-gzip, "gzip_x", junk
 * around the name ...), anything else (identity, br, unknown) is not decoded. */
static void ce_tok_end(struct http__dir *d)
{
    if (!d->ce_tok) return;
    uint8_t enc = d->ce_mg == 4 ? HENC_GZIP : d->ce_md == 7 ? HENC_DEFLATE : HENC_NONE;
    d->ce_tok = d->ce_mg = d->ce_md = 0;
    if (enc == HENC_NONE) return;
    if (d->nenc < HTTP_CE_LAYERS)
        d->encs[d->nenc++] = enc;
    else
        d->enc_over = 1;
}

/* Advances a matcher of a word whose first letter does not occur again in it. */
static uint8_t word_step(const char *w, uint8_t len, uint8_t m, char c)
{
    if (m >= len) return m;
    if (c == w[m]) return (uint8_t)(m + 1);
    return c == w[0] ? 1 : 0;
}

static void ce_feed(struct http__dir *d, uint8_t c)
{
    if (c == ',' || c == ' ' || c == '\t') {
        ce_tok_end(d);
        return;
    }
    if (c == 0) return;
    char l = lower(c);
    d->ce_tok = 1;
    d->ce_mg = word_step("gzip", 4, d->ce_mg, l);
    d->ce_md = word_step("deflate", 7, d->ce_md, l);
}

/* Content-Length: 1*DIGIT, or a list of identical values ("5, 5", RFC 9110 §8.6). */
static void cl_end(struct http_state *st, struct http__dir *d)
{
    const char *s = d->cv;
    size_t n = d->cv_len, k = 0;
    int64_t val = -1;
    unsigned items = 0;
    bool bad = d->cv_bad;
    while (!bad && k < n) {
        while (k < n && is_ws((uint8_t)s[k]))
            k++;
        size_t start = k;
        int64_t v = 0;
        while (k < n && s[k] >= '0' && s[k] <= '9') {
            if (k - start >= 18) {
                bad = true;
                break;
            }
            v = v * 10 + (s[k] - '0');
            k++;
        }
        if (bad) break;
        if (k == start) {
            bad = true;
            break;
        }
        while (k < n && is_ws((uint8_t)s[k]))
            k++;
        if (k < n && s[k] != ',') {
            bad = true;
            break;
        }
        if (k < n) k++; /* the comma */
        if (items++ && v != val) bad = true;
        val = v;
    }
    if (!items) bad = true;
    int inv = side(d, ANOM_HTTP_INVALID_CL_REQUEST, ANOM_HTTP_INVALID_CL_RESPONSE);
    int dup = side(d, ANOM_HTTP_DUPLICATE_CL_REQUEST, ANOM_HTTP_DUPLICATE_CL_RESPONSE);
    if (bad) {
        http__anom(st, d, inv);
        d->cl_bad = 1;
        return;
    }
    if (items > 1) http__anom(st, d, dup);
    if (d->cl >= 0) {
        if (d->cl != val) {
            http__anom(st, d, inv);
            d->cl_bad = 1;
        } else {
            http__anom(st, d, dup);
        }
    }
    d->cl = val;
}

static void crit_feed(struct http__dir *d, uint8_t c)
{
    switch (d->kind) {
    case HK_CL:
        if (d->cv_len < sizeof d->cv)
            d->cv[d->cv_len++] = (char)c;
        else
            d->cv_bad = 1;
        break;
    case HK_CE:
        ce_feed(d, c);
        break;
    case HK_TE:
        if (c) d->te_m = word_step("chunked", 7, d->te_m, lower(c));
        if (d->te_m == 7) d->te_has_chunked = 1;
        if (c == ',') {
            /* handled by the caller (needs st) */
        } else if (d->tok_len < sizeof d->tok) {
            d->tok[d->tok_len++] = lower(c);
        } else {
            d->tok_ovf = 1;
        }
        break;
    }
}

static int kind_of(const char *nm, size_t n)
{
    switch (n) {
    case 4:
        return memcmp(nm, "host", 4) == 0 ? HK_HOST : HK_NONE;
    case 6:
        if (memcmp(nm, "cookie", 6) == 0) return HK_COOKIE;
        if (memcmp(nm, "server", 6) == 0) return HK_SERVER;
        return HK_NONE;
    case 7:
        return memcmp(nm, "referer", 7) == 0 ? HK_REFERER : HK_NONE;
    case 8:
        return memcmp(nm, "location", 8) == 0 ? HK_LOCATION : HK_NONE;
    case 10:
        return memcmp(nm, "user-agent", 10) == 0 ? HK_UA : HK_NONE;
    case 12:
        return memcmp(nm, "content-type", 12) == 0 ? HK_CTYPE : HK_NONE;
    case 14:
        return memcmp(nm, "content-length", 14) == 0 ? HK_CL : HK_NONE;
    case 16:
        return memcmp(nm, "content-encoding", 16) == 0 ? HK_CE : HK_NONE;
    case 17:
        return memcmp(nm, "transfer-encoding", 17) == 0 ? HK_TE : HK_NONE;
    }
    return HK_NONE;
}

/* The open field line is complete (the next line does not continue it): record it. */
static void hdr_close(struct http_state *st, struct http__dir *d)
{
    if (!d->hdr_open) return;
    d->hdr_open = 0;
    if (d->in_trailer) {
        d->n_trailers++;
        d->len = d->line_off;
        return;
    }
    switch (d->kind) {
    case HK_CL:
        cl_end(st, d);
        break;
    case HK_TE:
        d->te_present = 1;
        tok_end(st, d);
        break;
    case HK_CE:
        ce_tok_end(d);
        if (d->enc_over)
            http__anom(st, d, side(d, ANOM_HTTP_REQUEST_HEADER_INVALID,
                                   ANOM_HTTP_RESPONSE_HEADER_INVALID));
        d->enc_over = 0;
        break;
    }
    if (d->line_ovf) {
        d->len = d->line_off;
        d->dropped++;
        return;
    }
    d->len = d->trim_end;
    term_at(st, d, d->len);
    uint32_t vo = d->val_off, vl = d->trim_end - d->val_off;
    bool keep = false;
    int k = d->kind;
    if (k == HK_HOST && d->known[HK_HOST].set) {
        uint32_t o = d->known[HK_HOST].off, l = d->known[HK_HOST].len;
        if (l != vl || strncasecmp(d->buf + o, d->buf + vo, vl) != 0)
            http__anom(st, d, ANOM_HTTP_HOST_HEADER_AMBIGUOUS);
    } else if (k != HK_NONE && k != HK_CL && k != HK_TE && k != HK_CE && !d->known[k].set) {
        d->known[k].off = vo;
        d->known[k].len = vl;
        d->known[k].set = 1;
        keep = true;
    }
    if (d->nh < HTTP_MAX_HEADERS) {
        struct http__hdr *h = &d->h[d->nh++];
        h->no = d->name_off;
        h->nl = d->val_off - 1 - d->name_off; /* the name's NUL sits before the value */
        h->vo = vo;
        h->vl = vl;
        keep = true;
    } else {
        if (!d->too_many) {
            d->too_many = 1;
            d->mflags |= HTTP_TXF_REQ_HDR_TRUNC;
            http__anom(
                st, d,
                side(d, ANOM_HTTP_REQUEST_TOO_MANY_HEADERS, ANOM_HTTP_RESPONSE_TOO_MANY_HEADERS));
        }
        d->dropped++;
    }
    if (!keep) d->len = d->line_off;
}

/* ---- start lines ---- */

static void req_line_done(struct http_state *st, struct http__dir *d)
{
    term_at(st, d, d->f_end[1]); /* over the SP after the URI, or appended */
    if (d->f_off[2] > d->len) d->f_off[2] = d->len;
    if (d->f_end[2] > d->len) d->f_end[2] = d->len;
    term_at(st, d, d->f_end[2]);
    d->hdr_open = 0;
    d->resync = 0; /* back in step */
    d->state = HS_H_LINE;
}

static void status_line_done(struct http_state *st, struct http__dir *d)
{
    term_at(st, d, d->f_end[2]);
    const char *s = d->buf ? d->buf + d->f_off[1] : "";
    uint32_t n = d->f_end[1] - d->f_off[1];
    if (n == 3 && s[0] >= '1' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
        s[2] <= '9') {
        d->status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    } else {
        d->status = 0;
        http__anom(st, d, ANOM_HTTP_RESPONSE_INVALID_STATUS);
    }
    d->hdr_open = 0;
    d->resync = 0;
    d->state = HS_H_LINE;
}

/* "HTTP/d.d" matcher shared by both start lines: returns 1 when c extends the match (stored), 0 on
 * a mismatch, 2 when the version is complete and c is not part of it. */
static int proto_step(struct http_state *st, struct http__dir *d, uint8_t c)
{
    static const char want[] = "HTTP/";
    if (d->pidx < 5) {
        uint8_t u = (uint8_t)(d->pidx < 4 ? (c & 0xDF) : c);
        if (u != (uint8_t)want[d->pidx]) return 0;
    } else if (d->pidx == 5 || d->pidx == 7) {
        if (c < '0' || c > '9') return 0;
        if (d->pidx == 5)
            d->major = (uint8_t)(c - '0');
        else
            d->minor = (uint8_t)(c - '0');
    } else if (d->pidx == 6) {
        if (c != '.') return 0;
    } else {
        return 2;
    }
    d->pidx++;
    put_sl(st, d, c);
    return 1;
}

/* ---- the machine ---- */

/* Close a header block that ends early (gap, flush): whatever start line and fields are complete
 * become the message's head. Returns false when too little arrived to make a transaction. */
static bool head_close_partial(struct http_state *st, struct http__dir *d)
{
    switch (d->state) {
    case HS_RQ_METHOD:
        return false;
    case HS_RQ_SP1:
        d->f_off[1] = d->f_end[1] = d->len;
        d->f_off[2] = d->f_end[2] = d->len;
        req_line_done(st, d);
        return true;
    case HS_RQ_URI:
    case HS_RQ_SP2:
    case HS_RQ_PROTO:
        d->f_off[2] = d->f_end[2] = d->len;
        req_line_done(st, d);
        return true;
    case HS_RQ_TAIL:
    case HS_RQ_CR:
        req_line_done(st, d);
        return true;
    case HS_RS_PROTO:
        return false;
    case HS_RS_PJUNK:
        d->f_end[0] = d->len;
        term_at(st, d, d->len);
        d->f_off[1] = d->f_end[1] = d->f_off[2] = d->f_end[2] = d->len;
        status_line_done(st, d);
        return true;
    case HS_RS_SP1:
        d->f_off[1] = d->f_end[1] = d->f_off[2] = d->f_end[2] = d->len;
        status_line_done(st, d);
        return true;
    case HS_RS_STATUS:
        d->f_end[1] = d->len;
        term_at(st, d, d->len);
        d->f_off[2] = d->f_end[2] = d->len;
        status_line_done(st, d);
        return true;
    case HS_RS_REASON:
    case HS_RS_CR:
        d->f_end[2] = d->len;
        status_line_done(st, d);
        return true;
    case HS_H_NAME:
    case HS_H_NAME_WS:
    case HS_H_NAME_CR:
    case HS_H_NAME_NL:
        d->len = d->line_off;
        return true;
    case HS_H_LINE:
    case HS_H_LWS:
    case HS_H_OWS:
    case HS_H_VALUE:
    case HS_H_CR:
        hdr_close(st, d);
        return true;
    default:
        return true;
    }
}

/* The message in progress ends now (gap without resync, end of flow): close it as incomplete. */
static void abandon(struct http_state *st, struct http__dir *d, uint32_t flags)
{
    int s = d->state;
    if (s == HS_IDLE || s == HS_RESYNC || s == HS_DEAD || s == HS_CONNECT_WAIT) return;
    if (d->in_body) {
        msg_done(st, d, flags);
        return;
    }
    /* still in the header block */
    if (!head_close_partial(st, d)) {
        anom_to_state(st, d);
        d->state = HS_IDLE;
        return;
    }
    d->mflags |= flags;
    if (!d->is_resp) {
        http__req_head_done(st, d);
        msg_done(st, d, 0);
        return;
    }
    if (d->status >= 100 && d->status < 200 && d->status != 101) {
        http__interim_done(st, d);
        d->state = HS_IDLE;
        return;
    }
    http__resp_head_done(st, d);
    msg_done(st, d, 0);
}

/* Consumes k bytes; bytes consumed inside a body (chunk framing and trailers included) count as
 * body wire bytes. Called before any boundary action, so that a message's count is complete when
 * it ends. */
#define EAT(k)                                                                                     \
    do {                                                                                           \
        size_t eat_ = (k);                                                                         \
        i += eat_;                                                                                 \
        if (d->in_body) d->wire += eat_;                                                           \
    } while (0)

static void run(struct http_state *st, struct http__dir *d, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        switch (d->state) {
        case HS_DEAD:
            return;

        case HS_IDLE:
            if (c == '\r' || c == '\n') {
                i++;
                break;
            }
            if (d->is_resp && !d->resync && (is_ws(c) || c == 0 || c == 0x0b || c == 0x0c)) {
                /* libhtp: whitespace-only lines before a status line are ignored, and so is
                 * whitespace (or NUL) before "HTTP" */
                i++;
                break;
            }
            msg_start(st, d);
            d->state = d->is_resp ? HS_RS_PROTO : HS_RQ_METHOD;
            break;

        case HS_RESYNC: {
            const uint8_t *lf = memchr(p + i, '\n', n - i);
            if (!lf) return;
            i = (size_t)(lf - p) + 1;
            d->state = HS_IDLE;
            break;
        }

        /* request line: method SP request-target SP HTTP-version CRLF */
        case HS_RQ_METHOD:
            if (is_tchar(c)) {
                if (d->len >= METHOD_MAX) {
                    give_up(st, d, ANOM_HTTP_REQUEST_LINE_INVALID);
                    break;
                }
                put_sl(st, d, c);
                i++;
                break;
            }
            if (is_ws(c)) {
                if (d->len == 0) {
                    http__anom(st, d, ANOM_HTTP_REQUEST_LINE_LEADING_WS);
                    i++;
                    break;
                }
                d->f_end[0] = d->len;
                term_at(st, d, d->len);
                if (c == '\t') http__anom(st, d, ANOM_HTTP_METHOD_DELIM_NON_COMPLIANT);
                d->state = HS_RQ_SP1;
                i++;
                break;
            }
            give_up(st, d, ANOM_HTTP_REQUEST_LINE_INVALID);
            break;

        case HS_RQ_SP1:
            if (is_ws(c)) {
                http__anom(st, d, ANOM_HTTP_METHOD_DELIM_NON_COMPLIANT);
                i++;
                break;
            }
            if (c < 0x20 || c == 0x7f) {
                give_up(st, d,
                        c == '\r' || c == '\n' ? ANOM_HTTP_REQUEST_LINE_MISSING_PROTOCOL
                                               : ANOM_HTTP_REQUEST_LINE_INVALID);
                break;
            }
            d->f_off[1] = d->f_end[1] = d->len;
            d->state = HS_RQ_URI;
            break;

        case HS_RQ_URI:
            while (i < n && p[i] > 0x20 && p[i] != 0x7f) {
                put_sl(st, d, p[i]);
                i++;
            }
            d->f_end[1] = d->len;
            if (i == n) break;
            c = p[i];
            if (is_ws(c)) {
                if (c == '\t') http__anom(st, d, ANOM_HTTP_URI_DELIM_NON_COMPLIANT);
                put_sl(st, d, ' ');
                d->state = HS_RQ_SP2;
                i++;
                break;
            }
            give_up(st, d,
                    c == '\r' || c == '\n' ? ANOM_HTTP_REQUEST_LINE_MISSING_PROTOCOL
                                           : ANOM_HTTP_REQUEST_LINE_INVALID);
            break;

        case HS_RQ_SP2:
            if (is_ws(c)) {
                http__anom(st, d, ANOM_HTTP_URI_DELIM_NON_COMPLIANT);
                put_sl(st, d, ' ');
                i++;
                break;
            }
            if ((c & 0xDF) == 'H') {
                d->f_off[2] = d->len;
                d->pidx = 0;
                d->state = HS_RQ_PROTO;
                break;
            }
            if (c == '\r' || c == '\n' || c < 0x20 || c == 0x7f) {
                give_up(st, d, ANOM_HTTP_REQUEST_LINE_MISSING_PROTOCOL);
                break;
            }
            /* a space inside the request-target */
            http__anom(st, d, ANOM_HTTP_URI_DELIM_NON_COMPLIANT);
            d->state = HS_RQ_URI;
            break;

        case HS_RQ_PROTO: {
            int r = proto_step(st, d, c);
            if (r == 1) {
                i++;
                break;
            }
            if (r == 2 && (c == '\r' || c == '\n' || is_ws(c))) {
                d->f_end[2] = d->len;
                d->state = HS_RQ_TAIL;
                break;
            }
            /* not a version after all: the bytes belong to the request-target */
            http__anom(st, d, ANOM_HTTP_URI_DELIM_NON_COMPLIANT);
            d->state = HS_RQ_URI;
            break;
        }

        case HS_RQ_TAIL:
            if (c == '\r') {
                d->state = HS_RQ_CR;
            } else if (c == '\n') {
                req_line_done(st, d);
            } else if (!is_ws(c)) {
                http__anom(st, d, ANOM_HTTP_REQUEST_LINE_INVALID);
            }
            i++;
            break;

        case HS_RQ_CR:
            if (c == '\n') {
                i++;
            } else {
                http__anom(st, d, ANOM_HTTP_REQUEST_LINE_INVALID);
            }
            req_line_done(st, d);
            break;

        /* status line: HTTP-version SP status-code SP [reason-phrase] CRLF */
        case HS_RS_PROTO: {
            int r = proto_step(st, d, c);
            if (r == 1) {
                i++;
                break;
            }
            if (r == 2 && (is_ws(c) || c == '\r' || c == '\n')) {
                d->f_end[0] = d->len;
                term_at(st, d, d->len);
                d->state = HS_RS_SP1;
                if (is_ws(c)) i++;
                break;
            }
            if (!d->resync && d->pidx >= 4) {
                /* "HTTP" and then not "/d.d" ("HTTP/1.10", "HTTP/1.1foobar", a NUL): libhtp
                 * (like browsers) takes any line starting with "http" as a status line; the
                 * version token is read to the next whitespace and the message goes on */
                http__anom(st, d, ANOM_HTTP_RESPONSE_INVALID_PROTOCOL);
                d->xflags |= HTTP_TXF_LAX_FRAMING;
                d->state = HS_RS_PJUNK;
                break;
            }
            if (!d->resync && d->pidx == 0 &&
                ((st->head && !st->head->resp_matched) || d->after_bodiless)) {
                /* not a status line at all, where a response is due (a request waits) or where
                 * the last response had no body by rule (bytes after a 204): libhtp (and browsers) read
                 * the bytes as the body of a response without status line or headers, to the
                 * end of the connection */
                http__anom(st, d, ANOM_HTTP_RESPONSE_INVALID_PROTOCOL);
                d->status = 0;
                d->xflags |= HTTP_TXF_RESP_CLOSE_DELIMITED | HTTP_TXF_LAX_FRAMING;
                for (int k = 0; k < 3; k++)
                    d->f_off[k] = d->f_end[k] = d->len; /* empty protocol, status, reason */
                term_at(st, d, d->len);
                http__resp_head_done(st, d);
                begin_body(st, d, HS_B_CLOSE);
                break;
            }
            give_up(st, d, ANOM_HTTP_RESPONSE_INVALID_PROTOCOL);
            break;
        }

        case HS_RS_PJUNK:
            if (is_ws(c) || c == '\r' || c == '\n') {
                d->f_end[0] = d->len;
                term_at(st, d, d->len);
                d->state = HS_RS_SP1;
                if (is_ws(c)) i++;
                break;
            }
            put_sl(st, d, c);
            i++;
            break;

        case HS_RS_SP1:
            if (is_ws(c)) {
                i++;
                break;
            }
            d->f_off[1] = d->len;
            if (c == '\r' || c == '\n') {
                d->f_end[1] = d->len;
                term_at(st, d, d->len);
                d->f_off[2] = d->f_end[2] = d->len;
                d->state = HS_RS_CR;
                i++;
                if (c == '\n') status_line_done(st, d);
                break;
            }
            d->state = HS_RS_STATUS;
            break;

        case HS_RS_STATUS:
            if (is_ws(c) || c == '\r' || c == '\n') {
                d->f_end[1] = d->len;
                term_at(st, d, d->len);
                d->f_off[2] = d->f_end[2] = d->len;
                i++;
                if (c == '\n') {
                    status_line_done(st, d);
                } else {
                    d->state = c == '\r' ? HS_RS_CR : HS_RS_REASON;
                }
                break;
            }
            put_sl(st, d, c);
            i++;
            break;

        case HS_RS_REASON:
            while (i < n && p[i] != '\r' && p[i] != '\n') {
                put_sl(st, d, p[i]);
                i++;
            }
            d->f_end[2] = d->len;
            if (i == n) break;
            if (p[i] == '\n') {
                i++;
                status_line_done(st, d);
            } else {
                i++;
                d->state = HS_RS_CR;
            }
            break;

        case HS_RS_CR:
            if (c == '\n') i++;
            status_line_done(st, d);
            break;

        /* field lines: field-name ":" OWS field-value OWS CRLF, obs-fold, empty line */
        case HS_H_LINE:
            if (is_ws(c)) {
                d->state = HS_H_LWS;
                EAT(1);
                break;
            }
            goto h_line;

        case HS_H_LWS:
            if (c == '\n' && !d->in_trailer) {
                /* a line of one SP or HT then LF ends the header block (libhtp's terminator
                 * rule, which Apache and IIS share) */
                http__anom(
                    st, d,
                    side(d, ANOM_HTTP_REQUEST_HEADER_INVALID, ANOM_HTTP_RESPONSE_HEADER_INVALID));
                d->xflags |= HTTP_TXF_LAX_FRAMING;
                hdr_close(st, d);
                EAT(1);
                d->state = HS_H_LWS_NL;
                break;
            }
            {
                if (d->hdr_open) { /* obs-fold: the value goes on */
                    d->xflags |= HTTP_TXF_FOLDED;
                    if (!d->line_ovf) {
                        d->len = d->trim_end;
                        d->fold_sp = d->trim_end > d->val_off;
                    }
                    crit_feed(d, ' ');
                    d->state = HS_H_OWS; /* the SP/HT was eaten in HS_H_LINE */
                    break;
                }
                http__anom(st, d,
                           side(d, ANOM_HTTP_INVALID_REQUEST_FIELD_FOLDING,
                                ANOM_HTTP_INVALID_RESPONSE_FIELD_FOLDING));
                d->state = HS_H_SKIP;
                break;
            }
        h_line:
            hdr_close(st, d);
            if (c == '\r') {
                d->state = HS_H_END_CR;
                EAT(1);
                break;
            }
            if (c == '\n') {
                EAT(1);
                head_end(st, d);
                break;
            }
            d->line_off = d->name_off = d->len;
            d->nm_len = 0;
            d->line_ovf = d->in_trailer;
            d->kind = HK_NONE;
            d->state = HS_H_NAME;
            break;

        case HS_H_LWS_NL:
            /* libhtp: "SP LF" ends the block, or the LF right after it does */
            if (c == '\n') EAT(1);
            head_end(st, d);
            break;

        case HS_H_NAME:
            if (is_tchar(c)) {
                put_hdr(st, d, c);
                if (d->nm_len < sizeof d->nm) d->nm[d->nm_len++] = lower(c);
                EAT(1);
                break;
            }
            if (c == ':' && d->nm_len) {
                put_hdr(st, d, 0);
                d->kind = d->in_trailer ? HK_NONE : (uint8_t)kind_of(d->nm, d->nm_len);
                d->val_off = d->trim_end = d->len;
                d->cv_len = d->cv_bad = 0;
                d->tok_len = d->tok_ovf = 0;
                d->fold_sp = 0;
                d->hdr_open = 1;
                d->state = HS_H_OWS;
                EAT(1);
                break;
            }
            if (c == 0 && d->nm_len) { /* a NUL in a name: ignored, as libhtp matches names */
                http__anom(
                    st, d,
                    side(d, ANOM_HTTP_REQUEST_HEADER_INVALID, ANOM_HTTP_RESPONSE_HEADER_INVALID));
                EAT(1);
                break;
            }
            if ((is_ws(c) || c == 0x0b || c == 0x0c) && d->nm_len) {
                /* whitespace before the colon (RFC 9112 §5.1; VT and FF too, as libhtp) */
                http__anom(
                    st, d,
                    side(d, ANOM_HTTP_REQUEST_HEADER_INVALID, ANOM_HTTP_RESPONSE_HEADER_INVALID));
                d->state = HS_H_NAME_WS;
                EAT(1);
                break;
            }
            if ((c == '\r' || c == '\n') && d->nm_len && !d->in_trailer) {
                /* no colon yet: libhtp folds a following line that starts with SP/HT into this
                 * one before it splits name and value ("Transfer-Encoding\r\n :chunked") */
                d->state = c == '\r' ? HS_H_NAME_CR : HS_H_NAME_NL;
                EAT(1);
                break;
            }
            d->len = d->line_off;
            if (c == '\r' || c == '\n') {
                http__anom(st, d,
                           side(d, ANOM_HTTP_REQUEST_FIELD_MISSING_COLON,
                                ANOM_HTTP_RESPONSE_FIELD_MISSING_COLON));
            } else {
                http__anom(
                    st, d,
                    side(d, ANOM_HTTP_REQUEST_HEADER_INVALID, ANOM_HTTP_RESPONSE_HEADER_INVALID));
            }
            d->state = HS_H_SKIP;
            break;

        case HS_H_NAME_WS:
            if (is_ws(c) || c == 0x0b || c == 0x0c) {
                EAT(1);
            } else if (c == ':') {
                d->state = HS_H_NAME;
            } else if ((c == '\r' || c == '\n') && !d->in_trailer) {
                d->state = c == '\r' ? HS_H_NAME_CR : HS_H_NAME_NL;
                EAT(1);
            } else {
                d->len = d->line_off;
                if (c == '\r' || c == '\n')
                    http__anom(st, d,
                               side(d, ANOM_HTTP_REQUEST_FIELD_MISSING_COLON,
                                    ANOM_HTTP_RESPONSE_FIELD_MISSING_COLON));
                d->state = HS_H_SKIP;
            }
            break;

        case HS_H_NAME_CR:
            if (c == '\n') {
                d->state = HS_H_NAME_NL;
                EAT(1);
            } else if (d->is_resp) {
                d->state = HS_H_NAME_NL; /* a bare CR ends a response line */
            } else {
                d->len = d->line_off;
                http__anom(st, d, ANOM_HTTP_REQUEST_HEADER_INVALID);
                d->state = HS_H_SKIP;
            }
            break;

        case HS_H_NAME_NL:
            if (is_ws(c)) { /* folded: the name goes on, the colon may come */
                http__anom(st, d,
                           side(d, ANOM_HTTP_INVALID_REQUEST_FIELD_FOLDING,
                                ANOM_HTTP_INVALID_RESPONSE_FIELD_FOLDING));
                d->state = HS_H_NAME_WS;
                EAT(1);
                break;
            }
            d->len = d->line_off;
            http__anom(st, d,
                       side(d, ANOM_HTTP_REQUEST_FIELD_MISSING_COLON,
                            ANOM_HTTP_RESPONSE_FIELD_MISSING_COLON));
            d->state = HS_H_LINE;
            break;

        case HS_H_OWS:
            if (is_ws(c)) {
                EAT(1);
                break;
            }
            if (c == '\r' || c == '\n') {
                d->state = HS_H_VALUE;
                break;
            }
            if (d->fold_sp) {
                d->fold_sp = 0;
                put_hdr(st, d, ' ');
            }
            d->state = HS_H_VALUE;
            break;

        case HS_H_VALUE: {
            size_t i0 = i;
            while (i < n && p[i] != '\r' && p[i] != '\n') {
                uint8_t v = p[i++];
                put_hdr(st, d, v);
                if (!is_ws(v)) d->trim_end = d->len;
                if (v == ',' && d->kind == HK_TE) {
                    crit_feed(d, v);
                    tok_end(st, d);
                } else if (d->kind != HK_NONE) {
                    crit_feed(d, v);
                }
            }
            if (d->in_body) d->wire += i - i0;
            if (i == n) break;
            d->state = p[i] == '\r' ? HS_H_CR : HS_H_LINE;
            EAT(1);
            break;
        }

        case HS_H_CR:
            if (c == '\n') {
                d->state = HS_H_LINE;
                EAT(1);
                break;
            }
            if (d->is_resp) {
                /* response: a bare CR ends the line, as in libhtp (and browsers) */
                http__anom(st, d, ANOM_HTTP_RESPONSE_HEADER_INVALID);
                d->xflags |= HTTP_TXF_LAX_FRAMING;
                d->state = HS_H_LINE;
                break;
            }
            /* request: a bare CR inside a value is read as SP (RFC 9112 §2.2) */
            http__anom(
                st, d,
                side(d, ANOM_HTTP_REQUEST_HEADER_INVALID, ANOM_HTTP_RESPONSE_HEADER_INVALID));
            put_hdr(st, d, ' ');
            if (d->kind != HK_NONE) crit_feed(d, ' ');
            d->state = HS_H_VALUE;
            break;

        case HS_H_END_CR:
            if (c == '\r' && d->is_resp) { /* "CR CR ...": a junk line, not the end (libhtp) */
                http__anom(st, d, ANOM_HTTP_RESPONSE_HEADER_INVALID);
                d->xflags |= HTTP_TXF_LAX_FRAMING;
                d->state = HS_H_SKIP;
                break;
            }
            if (c == '\n' || d->is_resp) { /* response: a bare CR line ends the block too */
                if (c == '\n')
                    EAT(1);
                else
                    d->xflags |= HTTP_TXF_LAX_FRAMING;
                head_end(st, d);
                break;
            }
            http__anom(
                st, d,
                side(d, ANOM_HTTP_REQUEST_HEADER_INVALID, ANOM_HTTP_RESPONSE_HEADER_INVALID));
            d->state = HS_H_SKIP;
            break;

        case HS_H_SKIP: {
            const uint8_t *lf = memchr(p + i, '\n', n - i);
            size_t k = lf ? (size_t)(lf - p) + 1 - i : n - i;
            if (lf) d->state = HS_H_LINE;
            EAT(k);
            break;
        }

        /* bodies */
        case HS_B_LENGTH: {
            size_t take = n - i;
            if (take > d->remaining) take = (size_t)d->remaining;
            http__body_data(st, d, p + i, take);
            d->remaining -= take;
            EAT(take);
            if (!d->remaining) msg_done(st, d, 0);
            break;
        }

        case HS_B_CLOSE:
            http__body_data(st, d, p + i, n - i);
            EAT(n - i);
            break;

        case HS_C_SIZE: {
            int v = hexval(c);
            if (v >= 0) {
                if (d->chunk_size > (UINT64_MAX >> 4)) {
                    chunk_error(st, d);
                    break;
                }
                d->chunk_size = d->chunk_size * 16 + (uint64_t)v;
                d->chunk_digits = 1;
                EAT(1);
                break;
            }
            if (!d->chunk_digits) {
                if (d->is_resp) {
                    /* libhtp: control characters before the size are skipped; a size line
                     * that does not start with a hex digit means the body is not chunked
                     * after all: it is read to the end of the connection, this byte
                     * included */
                    if (c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == 0x0b ||
                        c == 0x0c) {
                        EAT(1);
                        break;
                    }
                    http__anom(st, d, ANOM_HTTP_INVALID_RESPONSE_CHUNK_LEN);
                    d->mflags &= ~(uint32_t)HTTP_TXF_REQ_CHUNKED;
                    d->xflags |= HTTP_TXF_RESP_CLOSE_DELIMITED | HTTP_TXF_LAX_FRAMING;
                    d->state = HS_B_CLOSE;
                    break;
                }
                chunk_error(st, d);
                break;
            }
            d->state = HS_C_SIZE_WS;
            break;
        }

        case HS_C_SIZE_WS:
        case HS_C_EXT:
        case HS_C_SIZE_CR:
            if (d->state == HS_C_SIZE_CR && c != '\n') {
                if (!d->is_resp) {
                    chunk_error(st, d);
                    break;
                }
                if (c == '\r') { /* "f\r\r\n": the line goes on to its LF (libhtp) */
                    EAT(1);
                    break;
                }
                /* response: a bare CR ends the size line too (libhtp) */
            }
            if (c == '\n' || d->state == HS_C_SIZE_CR) {
                if (c == '\n') EAT(1);
                if (d->chunk_size == 0) {
                    d->in_trailer = 1;
                    d->hdr_open = 0;
                    d->state = HS_H_LINE;
                } else {
                    d->remaining = d->chunk_size;
                    d->state = HS_C_DATA;
                }
                d->chunk_size = 0;
                d->chunk_digits = 0;
                break;
            }
            if (c == '\r') {
                d->state = HS_C_SIZE_CR;
                EAT(1);
                break;
            }
            if (d->state == HS_C_EXT) {
                EAT(1);
                break;
            }
            if (is_ws(c)) { /* BWS before a chunk extension */
                EAT(1);
                break;
            }
            if (d->is_resp && c != ';') { /* libhtp ignores what follows the size digits */
                http__anom(st, d, ANOM_HTTP_INVALID_RESPONSE_CHUNK_LEN);
                d->state = HS_C_EXT;
                EAT(1);
                break;
            }
            if (c == ';') {
                if (!d->chunk_ext) {
                    d->chunk_ext = 1;
                    http__anom(st, d,
                               side(d, ANOM_HTTP_REQUEST_CHUNK_EXTENSION,
                                    ANOM_HTTP_RESPONSE_CHUNK_EXTENSION));
                }
                d->state = HS_C_EXT;
                EAT(1);
                break;
            }
            chunk_error(st, d);
            break;

        case HS_C_DATA: {
            size_t take = n - i;
            if (take > d->remaining) take = (size_t)d->remaining;
            http__body_data(st, d, p + i, take);
            d->remaining -= take;
            EAT(take);
            if (!d->remaining) d->state = HS_C_DATA_CR;
            break;
        }

        case HS_C_DATA_CR:
            if (c == '\r') {
                d->state = HS_C_DATA_LF;
                EAT(1);
            } else if (c == '\n') {
                d->state = HS_C_SIZE;
                EAT(1);
            } else if (d->is_resp) {
                /* response: the size line follows directly (libhtp reads on) */
                http__anom(st, d, ANOM_HTTP_INVALID_RESPONSE_CHUNK_LEN);
                d->state = HS_C_SIZE;
            } else {
                chunk_error(st, d);
            }
            break;

        case HS_C_DATA_LF:
            if (c == '\n') {
                d->state = HS_C_SIZE;
                EAT(1);
            } else if (d->is_resp) {
                d->state = HS_C_SIZE; /* a bare CR after the data */
            } else {
                chunk_error(st, d);
            }
            break;

        case HS_CONNECT_WAIT:
            /* the client talks before the answer: an optimistic tunnel */
            d->state = HS_DEAD;
            return;

        default:
            d->state = HS_DEAD;
            return;
        }
    }
}

/* A gap waiting for this direction (see http_gap) is applied before its next bytes. */
static void apply_gap(struct http_state *st, struct http__dir *d)
{
    uint64_t len = d->pending_gap;
    if (!len) return;
    d->pending_gap = 0;
    st->c.gaps++;
    switch (d->state) {
    case HS_DEAD:
        return;
    case HS_B_LENGTH:
    case HS_C_DATA:
        if (len <= d->remaining) {
            http__body_gap(st, d, len);
            d->wire += len;
            d->remaining -= len;
            d->mflags |= HTTP_TXF_REQ_GAP;
            if (!d->remaining) {
                if (d->state == HS_B_LENGTH)
                    msg_done(st, d, 0);
                else
                    d->state = HS_C_DATA_CR;
            }
            return;
        }
        break;
    case HS_B_CLOSE:
        http__body_gap(st, d, len);
        d->wire += len;
        d->mflags |= HTTP_TXF_REQ_GAP;
        return;
    case HS_IDLE:
    case HS_RESYNC:
        d->resync = 1;
        d->state = HS_IDLE;
        return;
    case HS_CONNECT_WAIT:
        d->state = HS_DEAD;
        return;
    default:
        break;
    }
    abandon(st, d, HTTP_TXF_REQ_GAP | HTTP_TXF_REQ_INCOMPLETE);
    if (d->state != HS_DEAD) {
        d->resync = 1;
        d->state = HS_IDLE;
    }
}

/* ---- public API ---- */

void http_config_default(struct http_config *cfg)
{
    cfg->header_buf_max = 16384;
    cfg->body_keep = 4096;
    cfg->decomp_limit = 1u << 20;
    cfg->bomb_ratio = 100;
    cfg->max_open_tx = 32;
}

static bool is_method_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

static int probe_request(const uint8_t *s, size_t n)
{
    static const char *const common[] = {"GET",     "POST",    "HEAD",  "PUT",   "DELETE",
                                         "OPTIONS", "CONNECT", "TRACE", "PATCH", "PROPFIND"};
    size_t m = 0;
    while (m < n && m <= 20 && is_method_char(s[m]))
        m++;
    if (m > 20) return VG_DECLINED;
    if (m == n) return VG_AGAIN;
    if (m == 0 || s[m] != ' ') return VG_DECLINED;
    size_t u = m + 1;
    if (u == n) return VG_AGAIN;
    if (s[u] <= 0x20 || s[u] == 0x7f) return VG_DECLINED;
    for (size_t k = 0; k < sizeof common / sizeof common[0]; k++) {
        if (strlen(common[k]) == m && memcmp(s, common[k], m) == 0 &&
            (s[u] == '/' || (m == 7 && s[u] != ' '))) /* CONNECT takes an authority */
            return VG_OK;
    }
    static const char ver[] = " HTTP/";
    for (size_t j = u; j < n && j < 8192; j++) {
        uint8_t c = s[j];
        if (c == '\r' || c == '\n') return VG_DECLINED;
        if (c < 0x20 && c != '\t') return VG_DECLINED;
        if (c == ' ') {
            size_t k = 0;
            while (k < 6 && j + k < n && s[j + k] == (uint8_t)ver[k])
                k++;
            if (k == 6) return VG_OK;
            if (j + k == n) return VG_AGAIN;
        }
    }
    return n >= 8192 ? VG_DECLINED : VG_AGAIN;
}

static int probe_response(const uint8_t *s, size_t n)
{
    static const char want[] = "HTTP/1.";
    size_t k = n < 7 ? n : 7;
    if (memcmp(s, want, k) != 0) return VG_DECLINED;
    return n < 7 ? VG_AGAIN : VG_OK;
}

int http_probe(const uint8_t *data, size_t len, int dir)
{
    if (!data || !len) return VG_AGAIN;
    if (dir == HTTP_DIR_TOSERVER) return probe_request(data, len);
    if (dir == HTTP_DIR_TOCLIENT) return probe_response(data, len);
    int a = probe_request(data, len), b = probe_response(data, len);
    if (a == VG_OK || b == VG_OK) return VG_OK;
    if (a == VG_DECLINED && b == VG_DECLINED) return VG_DECLINED;
    return VG_AGAIN;
}

struct http_state *http_state_new(const struct http_config *cfg)
{
    struct http_state *st = vg_calloc(1, sizeof *st);
    if (!st) return NULL;
    if (cfg)
        st->cfg = *cfg;
    else
        http_config_default(&st->cfg);
    if (st->cfg.header_buf_max < 256) st->cfg.header_buf_max = 256;
    if (st->cfg.header_buf_max > (1u << 24)) st->cfg.header_buf_max = 1u << 24;
    if (st->cfg.body_keep > (1u << 24)) st->cfg.body_keep = 1u << 24;
    if (st->cfg.decomp_limit == 0) st->cfg.decomp_limit = 1;
    if (st->cfg.max_open_tx == 0) st->cfg.max_open_tx = 1;
    st->d[HTTP_DIR_TOSERVER].is_resp = 0;
    st->d[HTTP_DIR_TOCLIENT].is_resp = 1;
    st->d[0].state = st->d[1].state = HS_IDLE;
    st->d[0].cl = st->d[1].cl = -1;
    return st;
}

void http_state_free(struct http_state *st)
{
    if (!st) return;
    http__txn_free_all(st);
    for (int k = 0; k < 2; k++) {
        struct http__dir *d = &st->d[k];
        vg_free(d->buf);
        vg_free(d->keep);
        for (int li = 0; li < HTTP_CE_LAYERS; li++) {
            if (!d->zs[li]) continue;
            if (d->zinit[li]) inflateEnd(d->zs[li]);
            vg_free(d->zs[li]);
        }
    }
    vg_free(st);
}

int http_parse(struct http_state *st, int dir, const uint8_t *data, size_t len, struct vg_ts ts,
               http_tx_fn emit, void *ud)
{
    if (!st || (dir != HTTP_DIR_TOSERVER && dir != HTTP_DIR_TOCLIENT)) return VG_ERR_USAGE;
    struct http__dir *d = &st->d[dir];
    st->emit = emit;
    st->ud = ud;
    st->now = ts;
    apply_gap(st, d);
    if (data && len) run(st, d, data, len);
    return d->state == HS_DEAD ? VG_DECLINED : VG_OK;
}

int http_gap(struct http_state *st, int dir, size_t len)
{
    if (!st || (dir != HTTP_DIR_TOSERVER && dir != HTTP_DIR_TOCLIENT)) return VG_ERR_USAGE;
    struct http__dir *d = &st->d[dir];
    if (d->state == HS_DEAD) return VG_DECLINED;
    d->pending_gap += len;
    return VG_OK;
}

void http_flush(struct http_state *st, http_tx_fn emit, void *ud)
{
    if (!st) return;
    st->emit = emit;
    st->ud = ud;
    struct http__dir *rq = &st->d[HTTP_DIR_TOSERVER], *rs = &st->d[HTTP_DIR_TOCLIENT];
    apply_gap(st, rq);
    apply_gap(st, rs);
    /* requests first, so that a response in progress finds its request */
    if (rq->state == HS_B_CLOSE)
        msg_done(st, rq, 0);
    else
        abandon(st, rq, HTTP_TXF_REQ_INCOMPLETE);
    if (rs->state == HS_B_CLOSE)
        msg_done(st, rs, 0);
    else
        abandon(st, rs, HTTP_TXF_REQ_INCOMPLETE);
    http__emit_all(st);
    anom_to_state(st, rq);
    anom_to_state(st, rs);
    rq->state = rs->state = HS_DEAD;
}

unsigned http_take_anomalies(struct http_state *st, uint16_t *out, unsigned max)
{
    if (!st) return 0;
    unsigned n = st->nanom < max ? st->nanom : max;
    memcpy(out, st->anom, n * sizeof *out);
    memmove(st->anom, st->anom + n, (st->nanom - n) * sizeof *out);
    st->nanom = (uint8_t)(st->nanom - n);
    return n;
}

const struct http_counters *http_counters(const struct http_state *st)
{
    return &st->c;
}
