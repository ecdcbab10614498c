/* http_body.c - message bodies after transfer decoding: content decoding (gzip, deflate) with zlib,
 * the excerpt kept for rules (http.request_body / http.response_body), and the body counters.
 *
 * RFC 9110 §8.4.1 (content codings), RFC 1950 (zlib), RFC 1951 (deflate), RFC 1952 (gzip).
 * "deflate" is meant to be zlib-wrapped but many servers send raw deflate, and some label gzip data
 * as deflate: the first two body bytes decide (gzip magic 1f 8b, a valid zlib header, else raw), as
 * libhtp and browsers do.
 *
 * Limits: at most cfg.decomp_limit bytes are produced per body. inflate is never given more output
 * room than is left, so the bytes produced are the same whatever the split of the input; when the
 * limit is reached and the stream would still produce more, the body is marked
 * (HTTP_TXF_*_DECODE_LIMIT, http.body_size_limit) and decoding stops, and if the ratio of produced
 * to consumed bytes is at least cfg.bomb_ratio it is also a compression bomb
 * (http.compression_bomb). One z_stream per direction, created on first use and reset per body: no
 * allocation per body.
 */
#include <string.h>

#include "app/http/http_int.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"

enum { Z_COLLECT = 0, Z_RUN = 1, Z_ENDED = 2, Z_STOPPED = 3 };

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return vg_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf addr)
{
    (void)opaque;
    vg_free(addr);
}

static void keep_bytes(struct http__body *b, const uint8_t *p, size_t n)
{
    if (!b->keep || b->kept >= b->keep_cap) return;
    size_t room = b->keep_cap - b->kept;
    if (n > room) n = room;
    memcpy(b->keep + b->kept, p, n);
    b->kept += (uint32_t)n;
}

void http__body_begin(struct http_state *st, struct http__dir *d, uint8_t *keep, uint32_t keep_cap)
{
    struct http__body *b = &d->body;
    memset(b, 0, sizeof *b);
    b->enc = d->enc;
    b->keep = keep;
    b->keep_cap = keep ? keep_cap : 0;
    d->in_body = 1;
    if (b->enc == HENC_GZIP) {
        d->mflags |= HTTP_TXF_REQ_GZIP;
        st->c.gzip++;
    } else if (b->enc == HENC_DEFLATE) {
        d->mflags |= HTTP_TXF_REQ_DEFLATE;
        st->c.deflate++;
    }
}

static void decode_failed(struct http_state *st, struct http__dir *d)
{
    d->body.zmode = Z_STOPPED;
    d->mflags |= HTTP_TXF_REQ_DECODE_ERROR;
    st->c.decode_errors++;
    http__anom(st, d, ANOM_HTTP_GZIP_DECOMPRESSION_FAILED);
}

/* Prepares d->zs for the format the first two bytes announce. */
static bool z_start(struct http_state *st, struct http__dir *d)
{
    const uint8_t *pre = d->body.pre;
    int wbits;
    if (pre[0] == 0x1f && pre[1] == 0x8b)
        wbits = 15 + 16; /* gzip */
    else if ((pre[0] & 0x0f) == 8 && (pre[0] >> 4) <= 7 && ((pre[0] << 8) | pre[1]) % 31 == 0)
        wbits = 15; /* zlib */
    else
        wbits = -15; /* raw deflate */
    if (!d->zs) {
        d->zs = vg_calloc(1, sizeof *d->zs);
        if (!d->zs) {
            st->c.nomem++;
            return false;
        }
        d->zs->zalloc = z_alloc;
        d->zs->zfree = z_free;
        d->zs->opaque = Z_NULL;
        d->zinit = 0;
    }
    if (!d->zinit) {
        if (inflateInit2(d->zs, wbits) != Z_OK) {
            st->c.nomem++;
            return false;
        }
        d->zinit = 1;
        return true;
    }
    if (inflateReset2(d->zs, wbits) != Z_OK) {
        inflateEnd(d->zs);
        d->zinit = 0;
        return false;
    }
    return true;
}

static void limit_hit(struct http_state *st, struct http__dir *d)
{
    struct http__body *b = &d->body;
    b->zmode = Z_STOPPED;
    d->mflags |= HTTP_TXF_REQ_DECODE_LIMIT;
    st->c.decode_limits++;
    http__anom(st, d, ANOM_HTTP_BODY_SIZE_LIMIT);
    if (b->zin && b->decoded / b->zin >= st->cfg.bomb_ratio) {
        st->c.bombs++;
        http__anom(st, d, ANOM_HTTP_COMPRESSION_BOMB);
    }
}

static void inflate_feed(struct http_state *st, struct http__dir *d, const uint8_t *in, size_t n)
{
    struct http__body *b = &d->body;
    z_stream *z = d->zs;
    uint8_t out[8192], probe = 0;
    while (n && b->zmode == Z_RUN) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        z->next_in = (Bytef *)(uintptr_t)in;
        z->avail_in = chunk;
        uint64_t room = st->cfg.decomp_limit - b->decoded;
        bool probing = room == 0;
        z->next_out = probing ? &probe : out;
        z->avail_out = probing ? 1 : (uInt)(room < sizeof out ? room : sizeof out);
        uInt out0 = z->avail_out;
        int rc = inflate(z, Z_NO_FLUSH);
        size_t produced = out0 - z->avail_out, consumed = chunk - z->avail_in;
        in += consumed;
        n -= consumed;
        b->zin += consumed;
        if (probing) {
            if (produced) {
                limit_hit(st, d);
                return;
            }
        } else {
            keep_bytes(b, out, produced);
            b->decoded += produced;
        }
        if (rc == Z_STREAM_END) {
            b->zmode = Z_ENDED;
            return;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            decode_failed(st, d);
            return;
        }
        if (!produced && !consumed) return; /* needs more input (or room) */
    }
    /* all input consumed: the stream may still hold output (inflate stops when out is full) */
    while (b->zmode == Z_RUN) {
        uint64_t room = st->cfg.decomp_limit - b->decoded;
        bool probing = room == 0;
        z->next_in = (Bytef *)(uintptr_t)in;
        z->avail_in = 0;
        z->next_out = probing ? &probe : out;
        z->avail_out = probing ? 1 : (uInt)(room < sizeof out ? room : sizeof out);
        uInt out0 = z->avail_out;
        int rc = inflate(z, Z_NO_FLUSH);
        size_t produced = out0 - z->avail_out;
        if (probing) {
            if (produced) limit_hit(st, d);
        } else {
            keep_bytes(b, out, produced);
            b->decoded += produced;
        }
        if (rc == Z_STREAM_END) {
            if (b->zmode == Z_RUN) b->zmode = Z_ENDED;
            return;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            if (b->zmode == Z_RUN) decode_failed(st, d);
            return;
        }
        if (!produced) return;
    }
}

void http__body_data(struct http_state *st, struct http__dir *d, const uint8_t *p, size_t n)
{
    struct http__body *b = &d->body;
    b->len += n;
    if (b->enc != HENC_GZIP && b->enc != HENC_DEFLATE) {
        keep_bytes(b, p, n);
        b->decoded += n;
        return;
    }
    if (b->zmode == Z_COLLECT) {
        while (n && b->npre < 2) {
            b->pre[b->npre++] = *p++;
            n--;
        }
        if (b->npre < 2) return;
        if (!z_start(st, d)) {
            b->zmode = Z_STOPPED;
            return;
        }
        b->zmode = Z_RUN;
        inflate_feed(st, d, b->pre, 2);
    }
    if (n && b->zmode == Z_RUN) inflate_feed(st, d, p, n);
}

void http__body_gap(struct http_state *st, struct http__dir *d, uint64_t n)
{
    (void)st;
    struct http__body *b = &d->body;
    b->len += n;
    if (b->enc == HENC_GZIP || b->enc == HENC_DEFLATE) {
        if (b->zmode == Z_COLLECT || b->zmode == Z_RUN) b->zmode = Z_STOPPED;
    } else {
        b->decoded += n;
    }
    b->keep_cap = b->kept; /* an excerpt with a hole would mislead rules: freeze it */
}

void http__body_fini(struct http__dir *d)
{
    (void)d; /* nothing to release: the stream is reset when the next body starts */
}
