/* stream_overlap.c - comparing a segment with the bytes already held for the same sequence numbers,
 * and the facts this produces for the tamper module.
 *
 * Why compare at all: TCP says a receiver keeps the first copy of a byte and discards later ones
 * (RFC 9293 section 3.10.7.4 trims segments to the window, and in practice the data already queued
 * or delivered wins). An on-path injector (QUANTUM INSERT, Great Cannon-style, or an IDS evasion
 * attempt per Ptacek & Newsham 1998) races a forged segment ahead of the real one: both carry the
 * same sequence numbers but different bytes. The receiver sees only the winner; a sensor that
 * compares sees both. Identical bytes are an ordinary retransmission (counted, silent).
 *
 * Policy: "first wins". Held bytes are never replaced by a later contestant; the later one is only
 * compared. This is what most stacks do for retransmitted data already received (and what
 * Suricata's default "bsd"/"linux" policies do for fully overlapping segments), so the app layer
 * sees what the receiver most likely saw, and a forged first contestant is reported rather than
 * silently "corrected" (an attacker could otherwise win the sensor's view by sending second).
 * Deciding which contestant was forged is tamper's job (TTL, IP ID, timing).
 *
 * Facts are per held contestant: a new segment overlapping several held segments that differ from
 * it yields one fact per contestant, in sequence order, up to STREAM_MAX_FACTS per result (the rest
 * are counted in facts_dropped).
 */
#include <string.h>

#include "stream/stream_int.h"

/* emit_fact records that [a, b) of this packet differs (diff bytes) from held bytes of contestant
 * first; [fd_lo, fd_hi) is the range of first's bytes that are held (returned as first_data). */
static void emit_fact(struct stream__call *c, const struct stream_seg_meta *first, uint32_t a,
                      uint32_t b, uint32_t diff, bool delivered, uint32_t fd_lo, uint32_t fd_hi)
{
    struct stream_result *res = c->res;
    const struct stream_half *h = c->h;
    stream__add_anomaly(c->ctx, c->p, ANOM_STREAM_OVERLAP_DIFFERENT_DATA);
    c->ctx->ctr.overlaps_different++;
    if (res->n_facts == STREAM_MAX_FACTS) {
        c->ctx->ctr.facts_dropped++;
        return;
    }
    unsigned i = res->n_facts++;
    struct stream_fact *f = &res->facts[i];
    memset(f, 0, sizeof *f);
    f->kind = STREAM_FACT_DATA_OVERLAP;
    f->dir = c->dir;
    f->first = *first;
    f->second = c->meta;
    f->ov_seq = a;
    f->ov_len = b - a;
    f->diff_bytes = diff;
    f->first_data_seq = fd_lo;
    f->first_data_len = fd_hi - fd_lo;
    c->fact_seq[i] = fd_lo;
    c->n_buf_facts++;
    f->second_data = c->pl;
    f->second_data_len = c->len;
    f->first_delivered = delivered;
    f->at_close = (h->flags & HALF_FIN) && SEQ_GEQ(b, h->fin_seq);
}

/* compare compares this packet's bytes [a, b) with the held ones; identical bytes count as
 * retransmitted, differing ones make a fact against `first`. */
static void compare(struct stream__call *c, const struct stream_seg_meta *first, uint32_t a,
                    uint32_t b, bool delivered, uint32_t fd_lo, uint32_t fd_hi)
{
    const struct stream_half *h = c->h;
    const uint8_t *held = h->buf + (a - h->base_seq);
    const uint8_t *now = c->pl + (a - c->s);
    uint32_t n = b - a, diff = 0;
    if (memcmp(held, now, n) != 0)
        for (uint32_t i = 0; i < n; i++)
            diff += held[i] != now[i];
    c->res->retransmitted += n - diff;
    c->ctx->ctr.retransmitted_bytes += n - diff;
    if (diff) emit_fact(c, first, a, b, diff, delivered, fd_lo, fd_hi);
}

/* Held bytes whose segment record was forgotten (bounded ring): an anonymous contestant. */
static void compare_unknown(struct stream__call *c, uint32_t a, uint32_t b)
{
    struct stream_seg_meta m;
    memset(&m, 0, sizeof m);
    m.seq = a;
    m.len = b - a;
    compare(c, &m, a, b, true, a, b);
}

/* stream__overlap_retained compares [lo, hi), which lies in the retained range [hold_seq,
 * next_seq), contestant by contestant along the ring of delivered segments. */
void stream__overlap_retained(struct stream__call *c, uint32_t lo, uint32_t hi)
{
    const struct stream_half *h = c->h;
    /* Binary search: first ring record ending after lo (records are sorted, disjoint). */
    unsigned l = 0, r = h->rn;
    while (l < r) {
        unsigned mid = (l + r) / 2;
        const struct stream__rec *x = stream__ring_at(h, mid);
        if (SEQ_LEQ(x->cseq + x->clen, lo))
            l = mid + 1;
        else
            r = mid;
    }
    uint32_t x = lo;
    for (unsigned j = l; SEQ_LT(x, hi);) {
        if (j >= h->rn) {
            compare_unknown(c, x, hi);
            break;
        }
        const struct stream__rec *rec = stream__ring_at(h, j);
        if (SEQ_LT(x, rec->cseq)) {
            uint32_t y = seq_min(hi, rec->cseq);
            compare_unknown(c, x, y);
            x = y;
            continue;
        }
        uint32_t y = seq_min(hi, rec->cseq + rec->clen);
        /* The first contestant's bytes as far as they are held: its wire range clipped to the
         * retained range. */
        uint32_t fd_lo = seq_max(rec->m.seq, h->hold_seq);
        uint32_t fd_hi = seq_min(rec->m.seq + rec->m.len, h->next_seq);
        if (SEQ_GT(fd_lo, x)) fd_lo = x; /* defensive: the record lies within its segment */
        if (SEQ_LT(fd_hi, y)) fd_hi = y;
        compare(c, &rec->m, x, y, true, fd_lo, fd_hi);
        x = y;
        j++;
    }
}

/* stream__overlap_queued compares [lo, hi) with the queued (not yet delivered) record r. */
void stream__overlap_queued(struct stream__call *c, const struct stream__rec *r, uint32_t lo,
                            uint32_t hi)
{
    compare(c, &r->m, lo, hi, false, r->cseq, r->cseq + r->clen);
}

/* stream__fact_synack: a second SYN/ACK acknowledges the same client ISN with another sequence
 * number (RFC 9293 allows one ISN per connection; two means two responders, e.g. an injector
 * racing the server). */
void stream__fact_synack(struct stream__call *c)
{
    struct stream_result *res = c->res;
    struct stream_ctx *ctx = c->ctx;
    ctx->ctr.synack_races++;
    stream__add_anomaly(ctx, c->p, ANOM_STREAM_3WHS_SYNACK_RACE);
    if (res->n_facts == STREAM_MAX_FACTS) {
        ctx->ctr.facts_dropped++;
        return;
    }
    struct stream_fact *f = &res->facts[res->n_facts++];
    memset(f, 0, sizeof *f);
    f->kind = STREAM_FACT_SYNACK_RACE;
    f->dir = c->dir;
    f->first = c->t->synack;
    f->second = c->meta;
    f->second.seq = c->p->tcp_seq;
}
