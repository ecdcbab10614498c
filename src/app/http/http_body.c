/* http_body.c - message bodies after transfer decoding: content decoding (gzip, deflate) with zlib,
 * the excerpt kept for rules (http.request_body / http.response_body), and the body counters.
 *
 * RFC 9110 §8.4.1 (content codings), RFC 1950 (zlib), RFC 1951 (deflate), RFC 1952 (gzip).
 *
 * Content codings are undone the way libhtp (Suricata's HTTP parser) and browsers do, since that
 * is what an evasion has to defeat (noxxi.de "HTTP evader"):
 *   - up to HTTP_CE_LAYERS codings, listed in one or several Content-Encoding fields, are undone
 *     in reverse order (the last listed was applied last);
 *   - each layer picks the format from its first bytes: gzip magic 1f 8b 08, a valid zlib header,
 *     else raw deflate, whatever the label ("deflate" is meant to be zlib-wrapped, many servers
 *     send raw deflate, some label gzip as deflate);
 *   - the gzip header is parsed here, leniently (reserved flag bits, any header CRC), then the
 *     deflate data is inflated raw: the trailer's CRC and length are not checked;
 *   - when a format fails before the layer produced anything, the other formats are tried on the
 *     same bytes (the layer holds its first HTTP_ZHOLD input bytes until it has output); when all
 *     fail, the layer passes its bytes through unchanged (libhtp's
 *     passthrough: a body labelled gzip that is not compressed reaches the rules as it is); a
 *     failure after output stops the layer. Either is counted (decode error,
 *     http.gzip_decompression_failed);
 *   - bytes after the end of a compressed stream are ignored.
 *
 * Limits: at most cfg.decomp_limit bytes are produced per body (the excerpt and `decoded` stop
 * there); when more would come the body is marked (HTTP_TXF_*_DECODE_LIMIT, http.body_size_limit)
 * and decoding stops, and if the ratio of produced bytes to the body's length is at least
 * cfg.bomb_ratio it is also a compression bomb (http.compression_bomb, decided when the body ends). Layers pass data to the next through an
 * 8 KiB stack buffer; the call depth is bounded by HTTP_CE_LAYERS. One z_stream per layer and
 * direction, created on first use and reset per body: no allocation per body.
 */
#include <string.h>

#include "app/http/http_int.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"

enum { ZL_START = 0, ZL_GZHDR, ZL_RUN, ZL_PASS, ZL_ENDED, ZL_STOPPED };
enum { ZF_GZIP = 1, ZF_ZLIB = 2, ZF_RAW = 4 };

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
    b->keep = keep;
    b->keep_cap = keep ? keep_cap : 0;
    d->in_body = 1;
    unsigned n = d->nenc < HTTP_CE_LAYERS ? d->nenc : HTTP_CE_LAYERS;
    for (unsigned i = 0; i < n; i++) {
        if (d->encs[i] != HENC_GZIP && d->encs[i] != HENC_DEFLATE) continue;
        b->layers[b->nlayers].enc = d->encs[i];
        b->layers[b->nlayers].mode = ZL_START;
        b->nlayers++;
    }
    b->enc = b->nlayers ? b->layers[0].enc : HENC_NONE;
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
    if (d->mflags & HTTP_TXF_REQ_DECODE_ERROR) return; /* once per body */
    d->mflags |= HTTP_TXF_REQ_DECODE_ERROR;
    st->c.decode_errors++;
    http__anom(st, d, ANOM_HTTP_GZIP_DECOMPRESSION_FAILED);
}

static void limit_hit(struct http_state *st, struct http__dir *d)
{
    struct http__body *b = &d->body;
    b->stop = 1;
    d->mflags |= HTTP_TXF_REQ_DECODE_LIMIT;
    st->c.decode_limits++;
    http__anom(st, d, ANOM_HTTP_BODY_SIZE_LIMIT);
    /* whether it is a bomb is decided when the body ends (http__body_fini), on the whole body:
     * the bytes received when the limit is hit depend on how they were split */
}

/* The decoded body: counted and kept up to cfg.decomp_limit. */
static void sink(struct http_state *st, struct http__dir *d, const uint8_t *p, size_t n)
{
    struct http__body *b = &d->body;
    if (b->stop || !n) return;
    uint64_t room = st->cfg.decomp_limit - b->decoded;
    if (n > room) {
        keep_bytes(b, p, (size_t)room);
        b->decoded += room;
        limit_hit(st, d);
        return;
    }
    keep_bytes(b, p, n);
    b->decoded += n;
}

static void layer_feed(struct http_state *st, struct http__dir *d, int li, const uint8_t *p,
                       size_t n);

/* Output of layer li goes to the layer below it, or to the sink. */
static void emit_down(struct http_state *st, struct http__dir *d, int li, const uint8_t *p, size_t n)
{
    if (li > 0)
        layer_feed(st, d, li - 1, p, n);
    else
        sink(st, d, p, n);
}

/* Length of a gzip header at the start of p[0..n): > 0 complete, 0 needs more bytes, -1 not gzip.
 * Lenient like browsers and libhtp: reserved flag bits and the header CRC are not checked. */
static int gzip_header_len(const uint8_t *p, size_t n)
{
    if (n >= 1 && p[0] != 0x1f) return -1;
    if (n >= 2 && p[1] != 0x8b) return -1;
    if (n >= 3 && p[2] != 8) return -1;
    if (n < 10) return 0;
    uint8_t flg = p[3];
    size_t k = 10;
    if (flg & 0x04) { /* FEXTRA */
        if (n < k + 2) return 0;
        k += 2 + (size_t)(p[k] | (p[k + 1] << 8));
        if (n < k) return 0;
    }
    for (int bit = 0x08; bit <= 0x10; bit <<= 1) { /* FNAME, FCOMMENT: NUL-terminated */
        if (!(flg & bit)) continue;
        const uint8_t *z = k < n ? memchr(p + k, 0, n - k) : NULL;
        if (!z) return 0;
        k = (size_t)(z - p) + 1;
    }
    if (flg & 0x02) k += 2; /* FHCRC */
    if (n < k) return 0;
    return (int)k;
}

static bool zl_init(struct http_state *st, struct http__dir *d, int li, int wbits)
{
    if (!d->zs[li]) {
        d->zs[li] = vg_calloc(1, sizeof *d->zs[li]);
        if (!d->zs[li]) {
            st->c.nomem++;
            return false;
        }
        d->zs[li]->zalloc = z_alloc;
        d->zs[li]->zfree = z_free;
        d->zs[li]->opaque = Z_NULL;
        d->zinit[li] = 0;
    }
    if (!d->zinit[li]) {
        if (inflateInit2(d->zs[li], wbits) != Z_OK) {
            st->c.nomem++;
            return false;
        }
        d->zinit[li] = 1;
        return true;
    }
    if (inflateReset2(d->zs[li], wbits) != Z_OK) {
        inflateEnd(d->zs[li]);
        d->zinit[li] = 0;
        return false;
    }
    return true;
}

/* Inflates in[0..n) of layer li. Returns 1 while fine, 0 at the stream's end (the rest of the
 * input is ignored), -1 on a data error; *used gets the input bytes consumed. */
static int zl_inflate(struct http_state *st, struct http__dir *d, int li, const uint8_t *in,
                      size_t n, size_t *used)
{
    struct http__zl *z = &d->body.layers[li];
    z_stream *zs = d->zs[li];
    uint8_t out[8192];
    *used = 0;
    for (;;) {
        if (d->body.stop) return 0;
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        zs->next_in = (Bytef *)(uintptr_t)in;
        zs->avail_in = chunk;
        zs->next_out = out;
        zs->avail_out = sizeof out;
        int rc = inflate(zs, Z_NO_FLUSH);
        size_t produced = sizeof out - zs->avail_out, consumed = chunk - zs->avail_in;
        in += consumed;
        n -= consumed;
        *used += consumed;
        z->out += produced;
        if (produced) emit_down(st, d, li, out, produced);
        /* the limit wins over an error in the same call: a split run would have stopped at the
         * limit before reaching the error */
        if (d->body.stop) return 0;
        if (rc == Z_STREAM_END) return 0;
        if (rc != Z_OK && rc != Z_BUF_ERROR) return -1;
        if (!produced && (!consumed || !n)) return 1; /* needs more input */
    }
}

/* Starts format fmt on layer li and runs it over the held bytes. Returns like zl_inflate. */
static int zl_try(struct http_state *st, struct http__dir *d, int li, int fmt)
{
    struct http__zl *z = &d->body.layers[li];
    z->fmt = (uint8_t)fmt;
    z->tried |= (uint8_t)fmt;
    size_t used, skip = 0;
    if (fmt == ZF_GZIP) {
        int h = gzip_header_len(z->hold, z->nhold);
        if (h < 0) return -1;
        if (h == 0) {
            if (z->hold_ovf) return -1;
            z->mode = ZL_GZHDR;
            return 1;
        }
        skip = (size_t)h;
    }
    if (!zl_init(st, d, li, fmt == ZF_ZLIB ? 15 : -15)) return -1;
    z->mode = ZL_RUN;
    z->pos = skip;
    int rc = zl_inflate(st, d, li, z->hold + skip, z->nhold - skip, &used);
    z->pos += used;
    return rc;
}

/* A format failed. When it failed inside the held bytes without output, the other formats are tried
 * on them, and when none fits the bytes pass through; otherwise the layer stops. Whether a failure
 * is inside the hold depends only on where it is, not on how the bytes arrived: the bytes before
 * the call that shows it are all held, the rest is in that call (the caller feeds them on). */
static void zl_fallback(struct http_state *st, struct http__dir *d, int li)
{
    struct http__zl *z = &d->body.layers[li];
    decode_failed(st, d);
    if (!z->out && z->pos <= HTTP_ZHOLD) {
        static const int order[3] = {ZF_GZIP, ZF_RAW, ZF_ZLIB};
        for (int k = 0; k < 3; k++) {
            if (z->tried & order[k]) continue;
            int rc = zl_try(st, d, li, order[k]);
            if (rc >= 0) {
                if (rc == 0) z->mode = ZL_ENDED;
                return;
            }
            if (z->out) break; /* produced output, then failed */
        }
    }
    if (z->out || z->pos > HTTP_ZHOLD) { /* output, or a failure past the hold: stop */
        z->mode = ZL_STOPPED;
        return;
    }
    z->mode = ZL_PASS;
    emit_down(st, d, li, z->hold, z->nhold);
}

static void layer_feed(struct http_state *st, struct http__dir *d, int li, const uint8_t *p,
                       size_t n)
{
    struct http__zl *z = &d->body.layers[li];
    if (!n || d->body.stop) return;
    if (z->mode == ZL_PASS) {
        emit_down(st, d, li, p, n);
        return;
    }
    if (z->mode == ZL_ENDED || z->mode == ZL_STOPPED) return;
    /* keep the first bytes while nothing came out, for another format or the passthrough */
    size_t held = 0;
    if (!z->out && !z->hold_ovf) {
        held = n < (size_t)(HTTP_ZHOLD - z->nhold) ? n : (size_t)(HTTP_ZHOLD - z->nhold);
        memcpy(z->hold + z->nhold, p, held);
        z->nhold = (uint16_t)(z->nhold + held);
        if (held < n) z->hold_ovf = 1;
    }
    if (z->mode == ZL_START || z->mode == ZL_GZHDR) {
        int rc;
        if (z->mode == ZL_START) {
            if (z->nhold < 2 && !z->hold_ovf) return; /* the format needs the first bytes */
            const uint8_t *h = z->hold;
            int fmt = ZF_RAW;
            if (h[0] == 0x1f && h[1] == 0x8b)
                fmt = ZF_GZIP;
            else if ((h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && ((h[0] << 8) | h[1]) % 31 == 0)
                fmt = ZF_ZLIB;
            rc = zl_try(st, d, li, fmt);
        } else {
            int h = gzip_header_len(z->hold, z->nhold);
            if (h == 0 && !z->hold_ovf) return;
            rc = h > 0 ? zl_try(st, d, li, ZF_GZIP) : -1;
        }
        if (rc < 0) zl_fallback(st, d, li);
        if (rc == 0) z->mode = ZL_ENDED;
        if (held < n) { /* bytes beyond the hold: to the format that now runs, or through */
            if (z->mode == ZL_RUN)
                layer_feed(st, d, li, p + held, n - held);
            else if (z->mode == ZL_PASS)
                emit_down(st, d, li, p + held, n - held);
        }
        return;
    }
    /* ZL_RUN */
    size_t used;
    int rc = zl_inflate(st, d, li, p, n, &used);
    z->pos += used;
    if (rc == 0) {
        z->mode = ZL_ENDED;
    } else if (rc < 0) {
        if (!z->out && z->pos <= HTTP_ZHOLD) {
            zl_fallback(st, d, li);
            if (held < n) { /* bytes beyond the hold: to the new format, or through */
                if (z->mode == ZL_RUN)
                    layer_feed(st, d, li, p + held, n - held);
                else if (z->mode == ZL_PASS)
                    emit_down(st, d, li, p + held, n - held);
            }
        } else {
            /* failed after output: decoding stops (libhtp would restart on the rest and pass it
             * through; the point of failure, and so what would pass, depends on how the bytes
             * were split, which vigil's results must not) */
            decode_failed(st, d);
            z->mode = ZL_STOPPED;
        }
    }
}

void http__body_data(struct http_state *st, struct http__dir *d, const uint8_t *p, size_t n)
{
    struct http__body *b = &d->body;
    b->len += n;
    if (!b->nlayers) {
        sink(st, d, p, n);
        return;
    }
    layer_feed(st, d, b->nlayers - 1, p, n);
}

void http__body_gap(struct http_state *st, struct http__dir *d, uint64_t n)
{
    (void)st;
    struct http__body *b = &d->body;
    b->len += n;
    if (b->nlayers) {
        for (unsigned i = 0; i < b->nlayers; i++)
            if (b->layers[i].mode != ZL_PASS) b->layers[i].mode = ZL_STOPPED;
    } else {
        b->decoded += n;
    }
    b->keep_cap = b->kept; /* an excerpt with a hole would mislead rules: freeze it */
}

void http__body_fini(struct http_state *st, struct http__dir *d)
{
    /* a layer still waiting for its first bytes (a body shorter than the format test) or for the
     * rest of a gzip header: the held bytes are what the body is. Outermost layer first: what it
     * passes may leave the next one waiting too. */
    struct http__body *b = &d->body;
    for (int li = (int)b->nlayers - 1; li >= 0; li--) {
        struct http__zl *z = &b->layers[li];
        if ((z->mode == ZL_START || z->mode == ZL_GZHDR) && z->nhold) {
            decode_failed(st, d);
            z->mode = ZL_PASS;
            if (!z->out) emit_down(st, d, li, z->hold, z->nhold);
        }
    }
    if ((d->mflags & HTTP_TXF_REQ_DECODE_LIMIT) && b->len &&
        b->decoded / b->len >= st->cfg.bomb_ratio) {
        st->c.bombs++;
        http__anom(st, d, ANOM_HTTP_COMPRESSION_BOMB);
    }
}
