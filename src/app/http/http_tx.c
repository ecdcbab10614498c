/* http_tx.c - HTTP transactions: building them from parsed header blocks, and pairing requests with
 * responses on a persistent, possibly pipelined connection (RFC 9112 §9.3, §9.3.2: responses come
 * in the order of the requests).
 *
 * Open transactions form a FIFO in request order. A request joins it when its header block ends;
 * a final response (not 1xx) matches the oldest transaction that has no response yet; a response
 * with no such transaction gets a transaction of its own and the anomaly
 * http.unable_to_match_response_to_request. A transaction is handed over when both its messages
 * have ended, or earlier when it must be (a newer response starts while its request is still being
 * sent, the FIFO is full, a tunnel starts, the flow ends).
 *
 * Ownership: a request's strings live in its transaction (one allocation holding the copied header
 * block and the body excerpt; recycled through a short free list). A response's strings stay in the
 * response direction's buffer, which is not touched again until the next response starts, and a
 * response never starts before the previous one's transaction has been handed over.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "app/http/http_int.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"

#define TXN_FREE_MAX 4

void http__tx_add_anom(struct http_tx *tx, int id)
{
    for (unsigned i = 0; i < tx->n_anomalies; i++)
        if (tx->anomalies[i] == id) return;
    if (tx->n_anomalies < HTTP_MAX_ANOMALIES)
        tx->anomalies[tx->n_anomalies++] = (uint16_t)id;
    else if (tx->n_anomalies_dropped < 255)
        tx->n_anomalies_dropped++;
}

/* The anomalies a message collected before it had a transaction. */
static void take_pending(struct http__dir *d, struct http_tx *tx)
{
    for (unsigned i = 0; i < d->nanom; i++)
        http__tx_add_anom(tx, d->anom[i]);
    unsigned dropped = tx->n_anomalies_dropped + d->nanom_dropped;
    tx->n_anomalies_dropped = (uint8_t)(dropped > 255 ? 255 : dropped);
    d->nanom = d->nanom_dropped = 0;
}

static void pending_to_state(struct http_state *st, struct http__dir *d)
{
    for (unsigned i = 0; i < d->nanom; i++)
        http__state_anom(st, d->anom[i]);
    d->nanom = d->nanom_dropped = 0;
}

/* ---- allocation ---- */

static struct http__txn *txn_get(struct http_state *st, size_t need)
{
    struct http__txn *t = st->free_list;
    if (t && t->cap >= need) {
        st->free_list = t->next;
        st->n_free--;
    } else {
        size_t cap = need < 256 ? 256 : (need + 255) & ~(size_t)255;
        if (cap > UINT32_MAX) return NULL;
        t = vg_malloc(sizeof *t + cap);
        if (!t) {
            st->c.nomem++;
            return NULL;
        }
        t->cap = (uint32_t)cap;
    }
    uint32_t cap = t->cap;
    memset(t, 0, offsetof(struct http__txn, arena));
    t->cap = cap;
    t->tx.host_port = -1;
    t->tx.req_content_length = -1;
    t->tx.resp_content_length = -1;
    return t;
}

static void txn_put(struct http_state *st, struct http__txn *t)
{
    if (st->n_free < TXN_FREE_MAX) {
        t->next = st->free_list;
        st->free_list = t;
        st->n_free++;
    } else {
        vg_free(t);
    }
}

void http__txn_free_all(struct http_state *st)
{
    if (st->resp_cur && !st->resp_cur->in_fifo) vg_free(st->resp_cur);
    while (st->head) {
        struct http__txn *t = st->head;
        st->head = t->next;
        vg_free(t);
    }
    while (st->free_list) {
        struct http__txn *t = st->free_list;
        st->free_list = t->next;
        vg_free(t);
    }
    st->tail = NULL;
    st->req_cur = st->resp_cur = NULL;
    st->n_open = st->n_free = 0;
}

/* ---- the state of each side copied into the transaction ---- */

static void sync_req(struct http_state *st, struct http__txn *t)
{
    const struct http__dir *d = &st->d[HTTP_DIR_TOSERVER];
    struct http_tx *tx = &t->tx;
    tx->flags |= d->mflags | d->xflags;
    tx->req_body_wire = d->wire;
    tx->req_body_len = d->body.len;
    tx->req_body_decoded = d->body.decoded;
    tx->req_body_kept = d->body.keep ? d->body.kept : 0;
    tx->req_body = tx->req_body_kept ? d->body.keep : NULL;
    if (tx->req_body_decoded > tx->req_body_kept) tx->flags |= HTTP_TXF_REQ_BODY_TRUNC;
    tx->req_headers_dropped = d->dropped;
}

static void sync_resp(struct http_state *st, struct http__txn *t)
{
    const struct http__dir *d = &st->d[HTTP_DIR_TOCLIENT];
    struct http_tx *tx = &t->tx;
    tx->flags |= (d->mflags << 1) | d->xflags;
    tx->resp_body_wire = d->wire;
    tx->resp_body_len = d->body.len;
    tx->resp_body_decoded = d->body.decoded;
    tx->resp_body_kept = d->body.keep ? d->body.kept : 0;
    tx->resp_body = tx->resp_body_kept ? d->body.keep : NULL;
    if (tx->resp_body_decoded > tx->resp_body_kept) tx->flags |= HTTP_TXF_RESP_BODY_TRUNC;
    tx->resp_headers_dropped = d->dropped;
}

/* ---- the FIFO ---- */

static void unlink_txn(struct http_state *st, struct http__txn *t)
{
    struct http__txn **pp = &st->head, *prev = NULL;
    while (*pp && *pp != t) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp) return;
    *pp = t->next;
    if (st->tail == t) st->tail = prev;
    t->next = NULL;
    t->in_fifo = 0;
    st->n_open--;
}

/* Hands t to the callback and recycles it; a side still in progress is closed as incomplete. */
static void emit_unlink(struct http_state *st, struct http__txn *t)
{
    if (t == st->req_cur) {
        sync_req(st, t);
        t->tx.flags |= HTTP_TXF_REQ_INCOMPLETE;
        st->d[HTTP_DIR_TOSERVER].body.keep = NULL; /* the excerpt storage goes away with t */
        st->d[HTTP_DIR_TOSERVER].body.keep_cap = 0;
        st->req_cur = NULL;
    }
    if (t == st->resp_cur) {
        sync_resp(st, t);
        t->tx.flags |= HTTP_TXF_RESP_INCOMPLETE;
        st->resp_cur = NULL;
    }
    if (!t->resp_matched) t->tx.flags |= HTTP_TXF_NO_RESPONSE;
    if (t->in_fifo) unlink_txn(st, t);
    st->c.txs++;
    if (st->emit) st->emit(st->ud, &t->tx);
    txn_put(st, t);
}

static void enqueue(struct http_state *st, struct http__txn *t)
{
    if (st->n_open >= st->cfg.max_open_tx) {
        struct http__txn *old = st->head;
        while (old && (old == st->resp_cur || old == st->req_cur))
            old = old->next;
        if (old) {
            st->c.evicted++;
            emit_unlink(st, old);
        }
    }
    t->next = NULL;
    t->in_fifo = 1;
    if (st->tail)
        st->tail->next = t;
    else
        st->head = t;
    st->tail = t;
    st->n_open++;
}

void http__emit_all(struct http_state *st)
{
    if (st->resp_cur && !st->resp_cur->in_fifo) emit_unlink(st, st->resp_cur);
    while (st->head)
        emit_unlink(st, st->head);
}

/* ---- strings derived from a header block, appended to the direction's buffer ---- */

static inline char lower(char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static bool append_room(struct http_state *st, struct http__dir *d, uint32_t extra)
{
    uint64_t need = (uint64_t)d->len + extra + 1;
    if (need > UINT32_MAX / 2) return false;
    if (need <= d->cap) return true;
    uint32_t nc = d->cap ? d->cap : 512;
    while (nc < need)
        nc *= 2;
    char *nb = vg_realloc(d->buf, nc);
    if (!nb) {
        st->c.nomem++;
        return false;
    }
    d->buf = nb;
    d->cap = nc;
    return true;
}

static int32_t parse_port(const char *s, uint32_t n)
{
    if (n == 0 || n > 5) return -1;
    int32_t v = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') return -1;
        v = v * 10 + (s[k] - '0');
    }
    return v <= 65535 ? v : -1;
}

/* The normalised host name (RFC 9110 §4.2.3, §7.2): from an absolute-form request-target or a
 * CONNECT authority, else from Host; userinfo and port removed, lowercased, no trailing dot. */
static bool derive_hostname(struct http_state *st, struct http__dir *d, bool connect, uint32_t *off,
                            uint32_t *len, int32_t *port)
{
    const char *b = d->buf;
    uint32_t uo = d->f_off[1], ul = d->f_end[1] - d->f_off[1];
    uint32_t a = 0, an = 0;
    bool have = false;
    if (connect && ul) {
        a = uo;
        an = ul;
        have = true;
    } else {
        uint32_t skip = 0;
        if (ul >= 7 && strncasecmp(b + uo, "http://", 7) == 0) skip = 7;
        if (ul >= 8 && strncasecmp(b + uo, "https://", 8) == 0) skip = 8;
        if (skip) {
            a = uo + skip;
            while (a + an < uo + ul && b[a + an] != '/' && b[a + an] != '?' && b[a + an] != '#')
                an++;
            have = true;
        }
    }
    if (!have && d->known[HK_HOST].set) {
        a = d->known[HK_HOST].off;
        an = d->known[HK_HOST].len;
        have = true;
    }
    if (!have) return false;
    for (uint32_t k = an; k > 0; k--) {
        if (b[a + k - 1] == '@') {
            a += k;
            an -= k;
            break;
        }
    }
    uint32_t hl = an;
    int32_t pt = -1;
    if (an && b[a] == '[') {
        uint32_t rb = 0;
        while (rb < an && b[a + rb] != ']')
            rb++;
        if (rb < an) {
            hl = rb + 1;
            if (hl < an && b[a + hl] == ':') pt = parse_port(b + a + hl + 1, an - hl - 1);
        }
    } else {
        uint32_t colons = 0, last = 0;
        for (uint32_t k = 0; k < an; k++)
            if (b[a + k] == ':') colons++, last = k;
        if (colons == 1) {
            hl = last;
            pt = parse_port(b + a + last + 1, an - last - 1);
        }
    }
    while (hl && b[a + hl - 1] == '.')
        hl--;
    if (!hl || !append_room(st, d, hl)) return false;
    b = d->buf; /* may have moved */
    *off = d->len;
    for (uint32_t k = 0; k < hl; k++)
        d->buf[d->len++] = lower(b[a + k]);
    d->buf[d->len++] = 0;
    *len = hl;
    *port = pt;
    return true;
}

/* "host,user-agent,accept": the lowercased names of the kept fields in order (header-order
 * fingerprint for the tamper module). */
static bool derive_order(struct http_state *st, struct http__dir *d, uint32_t *off, uint32_t *len)
{
    if (!d->nh) return false;
    uint32_t total = 0;
    for (unsigned k = 0; k < d->nh; k++)
        total += d->h[k].nl + 1;
    if (!append_room(st, d, total)) return false;
    *off = d->len;
    for (unsigned k = 0; k < d->nh; k++) {
        if (k) d->buf[d->len++] = ',';
        for (uint32_t j = 0; j < d->h[k].nl; j++)
            d->buf[d->len++] = lower(d->buf[d->h[k].no + j]);
    }
    *len = d->len - *off;
    d->buf[d->len++] = 0;
    return true;
}

static inline struct http_str mk(const char *base, uint32_t off, uint32_t len)
{
    struct http_str s = {base + off, len};
    return s;
}

static struct http_str known(const char *base, const struct http__dir *d, int k)
{
    struct http_str s = {NULL, 0};
    if (d->known[k].set) s = mk(base, d->known[k].off, d->known[k].len);
    return s;
}

static void fill_headers(struct http_header *out, const char *base, const struct http__dir *d)
{
    for (unsigned k = 0; k < d->nh; k++) {
        out[k].name = mk(base, d->h[k].no, d->h[k].nl);
        out[k].value = mk(base, d->h[k].vo, d->h[k].vl);
    }
}

/* ---- request side ---- */

void http__req_head_done(struct http_state *st, struct http__dir *d)
{
    st->c.requests++;
    bool strings = d->buf && !d->nomem;
    bool connect = strings && d->f_end[0] == 7 && memcmp(d->buf, "CONNECT", 7) == 0;
    uint32_t hn_off = 0, hn_len = 0, ho_off = 0, ho_len = 0;
    int32_t port = -1;
    bool hn = strings && derive_hostname(st, d, connect, &hn_off, &hn_len, &port);
    bool ho = strings && derive_order(st, d, &ho_off, &ho_len);
    bool body = !connect && (d->te_present || d->cl > 0 || d->cl_bad);
    uint32_t keep = body ? st->cfg.body_keep : 0;
    uint32_t head = strings ? d->len : 0;
    size_t harr = strings ? d->nh * sizeof(struct http_header) : 0; /* multiple of 16 */

    struct http__txn *t = txn_get(st, harr + head + keep);
    if (!t) {
        pending_to_state(st, d);
        st->req_cur = NULL;
        return;
    }
    struct http_tx *tx = &t->tx;
    tx->tx_id = st->next_id++;
    tx->req_ts = d->ts;
    tx->req_content_length = d->cl_bad ? -1 : d->cl;
    if (strings) {
        struct http_header *hdrs = (struct http_header *)(void *)t->arena;
        char *b = t->arena + harr;
        memcpy(b, d->buf, head);
        tx->method = mk(b, d->f_off[0], d->f_end[0] - d->f_off[0]);
        tx->uri = mk(b, d->f_off[1], d->f_end[1] - d->f_off[1]);
        if (d->f_end[2] > d->f_off[2]) tx->protocol = mk(b, d->f_off[2], d->f_end[2] - d->f_off[2]);
        tx->host = known(b, d, HK_HOST);
        tx->user_agent = known(b, d, HK_UA);
        tx->referer = known(b, d, HK_REFERER);
        tx->cookie = known(b, d, HK_COOKIE);
        tx->req_content_type = known(b, d, HK_CTYPE);
        if (hn) {
            tx->hostname = mk(b, hn_off, hn_len);
            tx->host_port = port;
        }
        fill_headers(hdrs, b, d);
        tx->req_headers = d->nh ? hdrs : NULL;
        tx->n_req_headers = d->nh;
        if (ho) tx->req_header_order = mk(b, ho_off, ho_len);
    }
    t->keep = keep ? (uint8_t *)t->arena + harr + head : NULL;
    t->keep_cap = keep;
    take_pending(d, tx);
    enqueue(st, t);
    st->req_cur = t;
}

void http__req_done(struct http_state *st, struct http__dir *d, uint32_t flags)
{
    d->mflags |= flags;
    struct http__txn *t = st->req_cur;
    if (!t) return;
    sync_req(st, t);
    t->req_done = 1;
    st->req_cur = NULL;
    if (t->resp_done) emit_unlink(st, t);
}

/* ---- response side ---- */

/* A response starts: transactions still waiting for their request to end are handed over now,
 * because this response will reuse the buffer their response strings live in. */
void http__resp_msg_start(struct http_state *st)
{
    while (st->head && st->head->resp_done)
        emit_unlink(st, st->head);
}

void http__interim_done(struct http_state *st, struct http__dir *d)
{
    st->c.interim++;
    struct http__txn *t = st->head;
    if (!t || t->resp_matched) {
        pending_to_state(st, d);
        return;
    }
    take_pending(d, &t->tx);
    if (d->status == 100) {
        if (t->tx.flags & HTTP_TXF_CONTINUE)
            http__tx_add_anom(&t->tx, ANOM_HTTP_100_CONTINUE_ALREADY_SEEN);
    }
    t->tx.flags |= HTTP_TXF_CONTINUE;
}

void http__resp_head_done(struct http_state *st, struct http__dir *d)
{
    st->c.responses++;
    http__resp_msg_start(st); /* normally done already when the status line started */
    struct http__txn *t = st->head;
    if (t && t->resp_matched)
        t = NULL; /* defensive: the head is answered by a response in progress */
    if (!t) {
        t = txn_get(st, 0);
        if (!t) {
            pending_to_state(st, d);
            st->resp_cur = NULL;
            return;
        }
        t->tx.tx_id = st->next_id++;
        t->tx.flags |= HTTP_TXF_NO_REQUEST;
        t->req_done = 1;
        st->c.unmatched_responses++;
        http__tx_add_anom(&t->tx, ANOM_HTTP_UNMATCHED_RESPONSE);
    }
    t->resp_matched = 1;
    st->resp_cur = t;
    struct http_tx *tx = &t->tx;
    tx->resp_ts = d->ts;
    tx->status = d->status;
    tx->resp_content_length = d->cl_bad ? -1 : d->cl;
    take_pending(d, tx);

    uint32_t ho_off = 0, ho_len = 0;
    bool strings = d->buf && !d->nomem;
    bool ho = strings && derive_order(st, d, &ho_off, &ho_len);
    if (!strings) return;
    const char *b = d->buf;
    tx->resp_protocol = mk(b, d->f_off[0], d->f_end[0] - d->f_off[0]);
    if (d->f_end[1] > d->f_off[1]) tx->status_str = mk(b, d->f_off[1], d->f_end[1] - d->f_off[1]);
    tx->status_msg = mk(b, d->f_off[2], d->f_end[2] - d->f_off[2]);
    tx->location = known(b, d, HK_LOCATION);
    tx->server = known(b, d, HK_SERVER);
    tx->resp_content_type = known(b, d, HK_CTYPE);
    fill_headers(st->resp_h, b, d);
    tx->resp_headers = d->nh ? st->resp_h : NULL;
    tx->n_resp_headers = d->nh;
    if (ho) tx->resp_header_order = mk(b, ho_off, ho_len);
}

void http__resp_done(struct http_state *st, struct http__dir *d, int force)
{
    (void)d;
    struct http__txn *t = st->resp_cur;
    if (!t) return;
    sync_resp(st, t);
    t->resp_done = 1;
    st->resp_cur = NULL;
    if (t->req_done || force) emit_unlink(st, t);
}
