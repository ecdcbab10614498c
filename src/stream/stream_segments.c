/* stream_segments.c - per-direction reassembly: the retained linear buffer, the out-of-order queue,
 * the metadata ring, gap skipping and the memcap fallback (RFC 9293 section 3.10.7.4: segments
 * are processed in sequence order; the receiver holds out-of-order data until the hole fills).
 *
 * One buffer per direction maps sequence space linearly (buf[i] is base_seq + i). Delivered bytes
 * stay in it (the "retained" range [hold_seq, next_seq)) so that a later segment for the same
 * sequence numbers can be compared byte for byte; out-of-order segments are written at their own
 * position beyond next_seq and described by queue records. When a hole fills, delivery is just
 * advancing next_seq: the in-order bytes of a result are one contiguous slice of the buffer, no
 * matter how many queued segments joined. The buffer grows by doubling up to ctx->buf_max
 * (>= 2 * retain_bytes) and compacts by memmove, keeping at least retain_bytes behind next_seq.
 *
 * Holes are skipped (reported as gap_len + ANOM_STREAM_SEQ_GAP) when the receiver ACKs past them,
 * or when the queue is full / the segment lies beyond what the buffer may hold. A result carries
 * one contiguous run of bytes, so at most one hole is skipped per call; the rest waits for the next
 * packet of that direction.
 *
 * Memcap: when a buffer, queue or ring cannot grow under the flow or global memcap, the flow stops
 * retaining and queueing (TCP_NORETAIN, ANOM_STREAM_MEMCAP once): its held memory is released and
 * in-order data is delivered straight from the packet; out-of-order data is then a gap.
 */
#include <string.h>

#include "core/vg_alloc.h"
#include "stream/stream_int.h"

enum { CAP_OK, CAP_FULL, CAP_MEMCAP };

static uint32_t rec_end(const struct stream__rec *r)
{
    return r->cseq + r->clen;
}

void stream__half_init(struct stream_half *h, uint32_t next_seq)
{
    h->next_seq = h->max_seq = h->base_seq = h->hold_seq = next_seq;
    h->flags |= HALF_INIT;
}

void stream__half_release(struct stream_ctx *ctx, struct stream_tcp *t, struct stream_half *h)
{
    if (h->buf) {
        vg_free(h->buf);
        stream__mem_release(ctx, t, h->cap);
    }
    if (h->q) {
        vg_free(h->q);
        stream__mem_release(ctx, t, (size_t)h->qcap * sizeof(struct stream__rec));
    }
    if (h->ring) {
        vg_free(h->ring);
        stream__mem_release(ctx, t, (size_t)h->rcap * sizeof(struct stream__rec));
    }
    h->buf = NULL;
    h->cap = 0;
    h->q = NULL;
    h->qhead = h->nq = h->qcap = 0;
    h->ring = NULL;
    h->rhead = h->rn = h->rcap = 0;
    h->base_seq = h->hold_seq = h->next_seq;
}

void stream__release_all(struct stream_ctx *ctx, struct stream_tcp *t)
{
    stream__half_release(ctx, t, &t->half[0]);
    stream__half_release(ctx, t, &t->half[1]);
    t->flags &= (uint8_t)~TCP_RELEASE_PENDING;
}

/* ---- metadata ring of delivered segments -------------------------------------------------- */

static bool ring_grow(struct stream__call *c)
{
    struct stream_half *h = c->h;
    if (h->rcap >= STREAM_RING_MAX) return false;
    uint32_t ncap = h->rcap ? h->rcap * 2u : STREAM_RING_MIN;
    if (ncap > STREAM_RING_MAX) ncap = STREAM_RING_MAX;
    size_t delta = (size_t)(ncap - h->rcap) * sizeof(struct stream__rec);
    if (!stream__mem_reserve(c->ctx, c->t, delta)) return false;
    struct stream__rec *n = vg_malloc((size_t)ncap * sizeof *n);
    if (!n) {
        stream__mem_release(c->ctx, c->t, delta);
        return false;
    }
    for (unsigned i = 0; i < h->rn; i++)
        n[i] = *stream__ring_at(h, i);
    vg_free(h->ring);
    h->ring = n;
    h->rcap = (uint16_t)ncap;
    h->rhead = 0;
    return true;
}

/* ring_push records that [cseq, cseq + clen) was delivered from segment m. A full ring that cannot
 * grow forgets its oldest record (counted): metadata is evidence, not a reason to degrade
 * reassembly. */
static void ring_push(struct stream__call *c, uint32_t cseq, uint32_t clen,
                      const struct stream_seg_meta *m)
{
    struct stream_half *h = c->h;
    if (h->rn == h->rcap && !ring_grow(c)) {
        if (h->rcap == 0) return; /* no ring at all: this metadata is lost */
        h->rhead = (uint16_t)((h->rhead + 1u) % h->rcap);
        h->rn--;
        c->ctx->ctr.meta_evicted++;
    }
    if (h->rn >= h->rcap) return; /* defensive: cannot happen after the block above */
    struct stream__rec *r = &h->ring[(h->rhead + h->rn) % h->rcap];
    r->cseq = cseq;
    r->clen = clen;
    r->m = *m;
    h->rn++;
}

/* Forget records wholly before the buffer's first byte. */
static void ring_trim(struct stream_half *h)
{
    while (h->rn > 0 && SEQ_LEQ(rec_end(stream__ring_at(h, 0)), h->base_seq)) {
        h->rhead = (uint16_t)((h->rhead + 1u) % h->rcap);
        h->rn--;
    }
    if (h->rn == 0) h->rhead = 0;
}

/* ---- delivery and gaps -------------------------------------------------------------------- */

/* deliver marks the n bytes at next_seq (already in the buffer) as in order. */
static void deliver(struct stream__call *c, uint32_t n)
{
    struct stream_half *h = c->h;
    struct stream_result *res = c->res;
    if (!c->res_in_buf) {
        c->res_in_buf = true;
        c->res_seq = h->next_seq;
        res->data_offset = h->next_off;
    }
    res->data_len += n;
    h->next_seq += n;
    h->next_off += n;
    h->delivered += n;
}

/* deliver_run delivers the queued records that now follow next_seq without a hole. */
static void deliver_run(struct stream__call *c)
{
    struct stream_half *h = c->h;
    while (h->nq > 0) {
        struct stream__rec *r = stream__q_at(h, 0);
        if (r->cseq != h->next_seq) break;
        ring_push(c, r->cseq, r->clen, &r->m);
        deliver(c, r->clen);
        h->qhead++;
        h->nq--;
    }
    if (h->nq == 0) h->qhead = 0;
}

/* skip_to gives up the bytes [next_seq, target): they were never seen. The retained bytes before
 * the hole are dropped too (the retained range is one contiguous run). Only one skip per call: the
 * result describes one gap followed by one run of bytes. */
static void skip_to(struct stream__call *c, uint32_t target)
{
    struct stream_half *h = c->h;
    uint32_t gap = target - h->next_seq;
    c->skipped = true;
    c->res->gap_len = gap;
    c->ctx->ctr.gaps++;
    c->ctx->ctr.gap_bytes += gap;
    stream__add_anomaly(c->ctx, c->p, ANOM_STREAM_SEQ_GAP);
    h->next_seq = target;
    h->next_off += gap;
    h->hold_seq = target;
    h->rn = h->rhead = 0;
    if (h->nq == 0) h->base_seq = target; /* nothing held beyond: restart the buffer here */
    if ((h->flags & HALF_SKIP) && SEQ_GEQ(h->next_seq, h->skip_to))
        h->flags &= (uint16_t)~HALF_SKIP;
}

/* stream__window_ok tells whether a sender may legitimately have jumped to seq: inside the
 * receiver's advertised window when that is known, else within the largest window TCP allows
 * (RFC 7323: 2^30). Used before skipping a hole that nobody ACKed. */
bool stream__window_ok(const struct stream__call *c, uint32_t seq)
{
    const struct stream_half *o = c->o;
    if ((o->flags & (HALF_ACK | HALF_WIN)) == (HALF_ACK | HALF_WIN))
        return SEQ_GEQ(seq, o->last_ack) && SEQ_LEQ(seq, o->last_ack + o->win);
    return SEQ_GEQ(seq, c->h->next_seq) && seq - c->h->next_seq <= STREAM_MAX_WINDOW;
}

/* stream__apply_skip: the receiver ACKed past a hole in this direction (see stream_tcp.c). Skip
 * the first hole now, unless this very packet fills it (an ACK captured before the data it
 * acknowledges, as happens on span ports). */
void stream__apply_skip(struct stream__call *c)
{
    struct stream_half *h = c->h;
    if (!(h->flags & HALF_SKIP)) return;
    if (SEQ_GEQ(h->next_seq, h->skip_to)) {
        h->flags &= (uint16_t)~HALF_SKIP;
        return;
    }
    if (c->len > 0 && SEQ_LEQ(c->s, h->next_seq) && SEQ_GT(c->e, h->next_seq)) return;
    uint32_t target = h->skip_to;
    if (h->nq > 0 && SEQ_LT(stream__q_at(h, 0)->cseq, target)) target = stream__q_at(h, 0)->cseq;
    skip_to(c, target);
    deliver_run(c);
    if (SEQ_GEQ(h->next_seq, h->skip_to)) h->flags &= (uint16_t)~HALF_SKIP;
}

/* ---- buffer space ------------------------------------------------------------------------- */

/* The first sequence number the buffer must keep during this call: retain_bytes behind next_seq
 * (nothing before hold_seq is valid), and whatever this call's result or facts point at. */
static uint32_t keep_floor(const struct stream__call *c)
{
    const struct stream_half *h = c->h;
    uint32_t k = h->next_seq - c->ctx->cfg.retain_bytes;
    if (SEQ_LT(k, h->hold_seq)) k = h->hold_seq;
    if (c->res_in_buf && SEQ_LT(c->res_seq, k)) k = c->res_seq;
    for (unsigned i = 0; i < c->res->n_facts; i++)
        if (c->res->facts[i].first_data_len && SEQ_LT(c->fact_seq[i], k)) k = c->fact_seq[i];
    if (SEQ_LT(k, h->base_seq)) k = h->base_seq;
    return k;
}

static void compact(struct stream__call *c, uint32_t shift)
{
    struct stream_half *h = c->h;
    if (!h->buf || shift == 0) return; /* defensive: callers only compact a non-empty buffer */
    uint32_t used_end = h->next_seq;
    if (h->nq > 0) used_end = seq_max(used_end, rec_end(stream__q_at(h, h->nq - 1u)));
    uint32_t keep = used_end - h->base_seq - shift;
    memmove(h->buf, h->buf + shift, keep);
    h->base_seq += shift;
    if (SEQ_LT(h->hold_seq, h->base_seq)) h->hold_seq = h->base_seq;
    ring_trim(h);
}

/* grow doubles the buffer until it covers need bytes: up to buf_max for out-of-order data
 * (CAP_FULL beyond), and as far as one in-order segment requires (one oversized segment must still
 * be deliverable), within the memcaps (CAP_MEMCAP). */
static int grow(struct stream__call *c, uint32_t need, bool inorder)
{
    struct stream_half *h = c->h;
    uint64_t ncap = h->cap ? h->cap : STREAM_BUF_MIN;
    while (ncap < need)
        ncap *= 2;
    if (ncap > c->ctx->buf_max) ncap = inorder && need > c->ctx->buf_max ? need : c->ctx->buf_max;
    if (ncap < need) return CAP_FULL;
    size_t delta = (size_t)(ncap - h->cap);
    if (!stream__mem_reserve(c->ctx, c->t, delta)) return CAP_MEMCAP;
    uint8_t *nb = vg_realloc(h->buf, (size_t)ncap);
    if (!nb) {
        stream__mem_release(c->ctx, c->t, delta);
        return CAP_MEMCAP;
    }
    h->buf = nb;
    h->cap = (uint32_t)ncap;
    return CAP_OK;
}

/* ensure_cap makes buf cover [base_seq, end). Compaction is preferred when it frees a quarter of
 * the buffer, or when growing cannot help (at or beyond the bound); otherwise the buffer doubles,
 * so that memmove stays amortised O(1) per byte even while much is queued. */
static int ensure_cap(struct stream__call *c, uint32_t end, bool inorder)
{
    struct stream_half *h = c->h;
    if (!h->buf) h->base_seq = h->hold_seq = h->next_seq;
    uint32_t need = end - h->base_seq;
    if (need <= h->cap) return CAP_OK;
    uint32_t shift = keep_floor(c) - h->base_seq;
    uint32_t bmax = c->ctx->buf_max;
    if (shift > 0 && (shift >= h->cap / 4 || h->cap >= bmax || need > bmax)) {
        compact(c, shift);
        shift = 0;
        need = end - h->base_seq;
        if (need <= h->cap) return CAP_OK;
    }
    int rc = grow(c, need, inorder);
    if (rc != CAP_OK && shift > 0) { /* growing was refused: compaction may still be enough */
        compact(c, shift);
        if (end - h->base_seq <= h->cap) return CAP_OK;
    }
    return rc;
}

static bool q_reserve(struct stream__call *c, uint32_t n)
{
    struct stream_half *h = c->h;
    if (n <= h->qcap) return true;
    uint32_t ncap = h->qcap ? h->qcap : STREAM_QUEUE_MIN;
    while (ncap < n)
        ncap *= 2;
    if (ncap > c->ctx->cfg.max_queued_segs) ncap = c->ctx->cfg.max_queued_segs;
    if (ncap < n) return false;
    size_t delta = (size_t)(ncap - h->qcap) * sizeof(struct stream__rec);
    if (!stream__mem_reserve(c->ctx, c->t, delta)) return false;
    struct stream__rec *nq = vg_realloc(h->q, (size_t)ncap * sizeof *nq);
    if (!nq) {
        stream__mem_release(c->ctx, c->t, delta);
        return false;
    }
    h->q = nq;
    h->qcap = (uint16_t)ncap;
    return true;
}

/* q_insert puts a record at queue position i (capacity was reserved). */
static void q_insert(struct stream_half *h, unsigned i, uint32_t cseq, uint32_t clen,
                     const struct stream_seg_meta *m)
{
    if (h->qhead + h->nq == h->qcap) {
        memmove(h->q, h->q + h->qhead, (size_t)h->nq * sizeof *h->q);
        h->qhead = 0;
    }
    struct stream__rec *b = h->q + h->qhead;
    memmove(b + i + 1, b + i, (size_t)(h->nq - i) * sizeof *b);
    b[i].cseq = cseq;
    b[i].clen = clen;
    b[i].m = *m;
    h->nq++;
}

/* Index of the first queued record ending after seq (nq when none). */
static unsigned q_find(const struct stream_half *h, uint32_t seq)
{
    unsigned i = 0;
    while (i < h->nq && SEQ_LEQ(rec_end(stream__q_at(h, i)), seq))
        i++;
    return i;
}

/* How many new pieces [cur, e) splits into around the queued records. */
static unsigned count_pieces(const struct stream_half *h, uint32_t cur, uint32_t e)
{
    unsigned n = 0;
    for (unsigned i = q_find(h, cur); i < h->nq && SEQ_LT(cur, e); i++) {
        const struct stream__rec *r = stream__q_at(h, i);
        if (SEQ_GEQ(r->cseq, e)) break;
        if (SEQ_LT(cur, r->cseq)) n++;
        cur = rec_end(r);
    }
    if (SEQ_LT(cur, e)) n++;
    return n;
}

/* Can [cur, e), out of order, be held: queue slots and buffer bound. */
static bool fits(const struct stream__call *c, unsigned pieces)
{
    const struct stream_half *h = c->h;
    if (h->nq + pieces > c->ctx->cfg.max_queued_segs) return false;
    return c->e - keep_floor(c) <= c->ctx->buf_max;
}

/* ---- placing a segment -------------------------------------------------------------------- */

/* Pass-through (after a memcap hit): no buffer; in-order bytes come straight from the packet. */
static void passthrough(struct stream__call *c, bool count_old)
{
    struct stream_half *h = c->h;
    struct stream_result *res = c->res;
    if (SEQ_LEQ(c->e, h->next_seq)) {
        if (count_old) c->ctx->ctr.unverified_bytes += c->len;
        return;
    }
    if (SEQ_GT(c->s, h->next_seq)) {
        if (c->skipped || res->data_len > 0 || !stream__window_ok(c, c->s)) {
            c->ctx->ctr.queue_drops++;
            return;
        }
        skip_to(c, c->s);
    }
    uint32_t off = h->next_seq - c->s;
    if (count_old) c->ctx->ctr.unverified_bytes += off;
    uint32_t n = c->e - h->next_seq;
    res->data = c->pl + off;
    res->data_len = n;
    res->data_offset = h->next_off;
    h->next_seq += n;
    h->next_off += n;
    h->delivered += n;
    h->base_seq = h->hold_seq = h->next_seq; /* nothing is held */
}

/* The flow hit a memcap: stop retaining and queueing. The held memory is released now unless this
 * call's result still points into it (then at the start of the next call, and this packet's new
 * bytes are lost: they will show as a gap). */
static void degrade(struct stream__call *c)
{
    struct stream_tcp *t = c->t;
    t->flags |= TCP_NORETAIN;
    if (!(t->flags & TCP_MEMCAP_ANOM)) {
        t->flags |= TCP_MEMCAP_ANOM;
        stream__add_anomaly(c->ctx, c->p, ANOM_STREAM_MEMCAP);
    }
    if (c->res_in_buf || c->n_buf_facts) {
        t->flags |= TCP_RELEASE_PENDING;
        c->ctx->ctr.queue_drops++;
        return;
    }
    stream__release_all(c->ctx, t);
    passthrough(c, false);
}

/* place_pieces writes the bytes of [cur, e) that no queued record holds ("first wins"): pieces at
 * next_seq are delivered (and the queue behind them), the others are queued. */
static void place_pieces(struct stream__call *c, uint32_t cur)
{
    struct stream_half *h = c->h;
    bool queued = false;
    while (SEQ_LT(cur, c->e)) {
        /* Records delivered by deliver_run below are held now: never overwrite them. */
        if (SEQ_LT(cur, h->next_seq)) {
            cur = h->next_seq;
            continue;
        }
        unsigned i = q_find(h, cur);
        const struct stream__rec *r = i < h->nq ? stream__q_at(h, i) : NULL;
        if (r && SEQ_LEQ(r->cseq, cur)) {
            cur = seq_min(c->e, rec_end(r));
            continue;
        }
        uint32_t pe = r && SEQ_LT(r->cseq, c->e) ? r->cseq : c->e;
        uint32_t n = pe - cur;
        memcpy(h->buf + (cur - h->base_seq), c->pl + (cur - c->s), n);
        if (cur == h->next_seq) {
            ring_push(c, cur, n, &c->meta);
            deliver(c, n);
            deliver_run(c);
        } else {
            q_insert(h, i, cur, n, &c->meta);
            queued = true;
        }
        cur = pe;
    }
    if (queued) c->ctx->ctr.queued_segments++;
}

/* stream__data handles the payload of one segment: skip a hole if the queue cannot take it,
 * compare what overlaps held bytes, then place the new bytes. */
void stream__data(struct stream__call *c)
{
    struct stream_half *h = c->h;
    struct stream_ctx *ctx = c->ctx;
    /* stream_packet refused segments further than 2^30 from next_seq or longer than
     * STREAM_MAX_SEGMENT: all sequence numbers below lie within 2^31 of each other. */
    if (c->t->flags & TCP_NORETAIN) {
        passthrough(c, true);
        return;
    }

    /* 1. An out-of-order segment that cannot be held: skip the first hole (or jump to the segment
     *    when nothing is queued and the jump is plausible), or drop it from reassembly. */
    bool place = SEQ_GT(c->e, h->next_seq);
    uint32_t cur = seq_max(c->s, h->next_seq);
    unsigned pieces = 0;
    if (place && cur != h->next_seq) {
        pieces = count_pieces(h, cur, c->e);
        if (!fits(c, pieces)) {
            if (h->nq + pieces > ctx->cfg.max_queued_segs) {
                ctx->ctr.queue_full++;
                stream__add_anomaly(ctx, c->p, ANOM_STREAM_QUEUE_FULL);
            }
            uint32_t target = cur;
            if (h->nq > 0 && SEQ_LT(stream__q_at(h, 0)->cseq, cur))
                target = stream__q_at(h, 0)->cseq;
            bool can =
                !c->skipped && c->res->data_len == 0 && (h->nq > 0 || stream__window_ok(c, cur));
            if (can) {
                skip_to(c, target);
                deliver_run(c);
                place = SEQ_GT(c->e, h->next_seq);
                cur = seq_max(c->s, h->next_seq);
                if (place && cur != h->next_seq) {
                    pieces = count_pieces(h, cur, c->e);
                    if (!fits(c, pieces)) {
                        ctx->ctr.queue_drops++;
                        place = false;
                    }
                }
            } else {
                ctx->ctr.queue_drops++;
                place = false;
            }
        }
    }

    /* 2. Compare with what is held: delivered-and-retained bytes, then queued ones. */
    if (SEQ_LT(c->s, h->next_seq)) {
        uint32_t hi = seq_min(c->e, h->next_seq);
        uint32_t lo = seq_max(c->s, h->hold_seq);
        if (SEQ_LT(c->s, h->hold_seq)) ctx->ctr.unverified_bytes += seq_min(hi, h->hold_seq) - c->s;
        if (SEQ_LT(lo, hi)) stream__overlap_retained(c, lo, hi);
    }
    if (SEQ_GT(c->e, h->next_seq)) {
        uint32_t lo = seq_max(c->s, h->next_seq);
        for (unsigned i = q_find(h, lo); i < h->nq; i++) {
            const struct stream__rec *r = stream__q_at(h, i);
            if (SEQ_GEQ(r->cseq, c->e)) break;
            stream__overlap_queued(c, r, seq_max(lo, r->cseq), seq_min(c->e, rec_end(r)));
        }
    }
    if (!place) return;

    /* 3. Room for the new bytes, then place them. */
    bool inorder = cur == h->next_seq;
    int rc = ensure_cap(c, c->e, inorder);
    if (rc == CAP_OK && !inorder && !q_reserve(c, h->nq + pieces)) rc = CAP_MEMCAP;
    if (rc == CAP_FULL) {
        ctx->ctr.queue_drops++;
        return;
    }
    if (rc == CAP_MEMCAP) {
        degrade(c);
        return;
    }
    place_pieces(c, cur);
}

/* stream__finish resolves the result's pointers into the buffer now that it will not move again
 * before the next call. */
void stream__finish(struct stream__call *c)
{
    struct stream_result *res = c->res;
    struct stream_half *h = c->h;
    if (c->res_in_buf) res->data = h->buf + (c->res_seq - h->base_seq);
    if (res->data_len == 0) {
        res->data = NULL;
        res->data_offset = h->next_off;
    }
    for (unsigned i = 0; i < res->n_facts; i++) {
        struct stream_fact *f = &res->facts[i];
        if (f->kind == STREAM_FACT_DATA_OVERLAP && f->first_data_len)
            f->first_data = h->buf + (c->fact_seq[i] - h->base_seq);
    }
    if (res->retransmitted) c->ctx->ctr.retransmissions++;
}
