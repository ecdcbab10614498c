/* stream_tcp.c - TCP connection tracking for a passive observer: the three-way handshake and
 * simultaneous open (RFC 9293 section 3.5), mid-stream pick-up, FIN/RST, window bookkeeping with
 * window scaling (RFC 7323 section 2), keep-alives (RFC 1122 section 4.2.3.6) and zero-window
 * probes (RFC 9293 section 3.8.6.1), and the SYN/ACK race fact. stream_packet is the entry point;
 * the payload goes on to stream_segments.c.
 *
 * A sensor is not an endpoint: it sees packets the receiver may never accept, and misses packets
 * the receiver got. So nothing here drops: impossible things are flagged (anomaly + counter) and
 * the state moves on as permissively as the byte stream allows. Window checks only flag, and
 * segments larger than the MSS (TSO/GRO "offload" captures of up to 64 KiB) are normal.
 */
#include <string.h>

#include "stream/stream_int.h"

static void meta_from_packet(const struct packet *p, uint32_t seq, uint32_t len,
                             struct stream_seg_meta *m)
{
    m->pcap_cnt = p->pcap_cnt;
    m->ts = p->ts;
    m->seq = seq;
    m->len = len;
    m->ttl = p->ttl;
    m->tcp_flags = p->tcp_flags;
    m->ip_id = p->ip_id;
    m->df = p->df;
    m->window = p->tcp_win;
    m->opts = p->tcp_opts;
}

/* RFC 7323 section 2.2: window scaling is in effect only when both SYNs carried the option; the
 * window field of a SYN is never scaled. Without both SYNs the scale is unknown. */
static bool scale_known(const struct stream_tcp *t)
{
    return (t->half[0].flags & HALF_SYN) && (t->half[1].flags & HALF_SYN);
}

static uint32_t scale_of(const struct stream_tcp *t, const struct stream_half *h)
{
    if ((t->half[0].flags & HALF_WSCALE) && (t->half[1].flags & HALF_WSCALE)) return h->wscale;
    return 0;
}

/* half_restart starts h's sequence space at a SYN with sequence number isn. What h's sender said
 * about the other direction (ACK, window) is kept; its SYN options are set by the caller. */
static void half_restart(struct stream__call *c, struct stream_half *h, uint32_t isn)
{
    stream__half_release(c->ctx, c->t, h);
    uint16_t keep = h->flags & (HALF_ACK | HALF_WIN | HALF_ZWIN | HALF_WSCALE);
    uint32_t last_ack = h->last_ack, win = h->win;
    uint8_t wscale = h->wscale;
    memset(h, 0, sizeof *h);
    h->flags = keep;
    h->last_ack = last_ack;
    h->win = win;
    h->wscale = wscale;
    h->isn = isn;
    stream__half_init(h, isn + 1);
    h->flags |= HALF_ISN | HALF_SYN;
}

static void half_syn(struct stream__call *c, uint32_t isn)
{
    struct stream_half *h = c->h;
    const struct packet *p = c->p;
    half_restart(c, h, isn);
    h->flags &= (uint16_t)~HALF_WSCALE;
    if (p->tcp_opts.has_wscale) {
        h->flags |= HALF_WSCALE;
        h->wscale = p->tcp_opts.wscale > STREAM_WSCALE_MAX ? STREAM_WSCALE_MAX : p->tcp_opts.wscale;
    }
}

/* handle_syn: a SYN or SYN/ACK. Returns false when the rest of the packet must be ignored (a
 * racing or wrong SYN/ACK, a SYN in the middle of a data stream). */
static bool handle_syn(struct stream__call *c)
{
    struct stream_tcp *t = c->t;
    struct stream_half *h = c->h, *o = c->o;
    const struct packet *p = c->p;
    struct stream_ctx *ctx = c->ctx;
    uint32_t seq = p->tcp_seq;

    if (p->tcp_flags & VG_TCP_ACK) {
        uint32_t a = p->tcp_ack;
        /* The SYN/ACK must acknowledge the SYN we saw (RFC 9293 3.5, step "SYN-SENT"). */
        if ((o->flags & HALF_SYN) && a != o->isn + 1) {
            stream__add_anomaly(ctx, c->p, ANOM_STREAM_3WHS_SYNACK_WRONG_ACK);
            ctx->ctr.invalid++;
            return false;
        }
        if (!(t->flags & TCP_SYNACK_SEEN)) {
            t->flags |= TCP_SYNACK_SEEN;
            t->synack_dir = (uint8_t)c->dir;
            t->synack_ack = a;
            meta_from_packet(p, seq, c->len, &t->synack);
        } else if ((unsigned)c->dir == t->synack_dir) {
            if (a != t->synack_ack) { /* acknowledges another SYN: not this connection's */
                ctx->ctr.invalid++;
                return false;
            }
            bool known =
                seq == t->synack.seq || ((t->flags & TCP_SYNACK_ALT) && seq == t->synack_alt);
            if (!known) {
                /* Two responders for one SYN. Retransmissions of either contestant are silent. */
                stream__fact_synack(c);
                t->synack_alt = seq;
                t->flags |= TCP_SYNACK_ALT;
                return false; /* first wins until the client's ACK picks one */
            }
            /* A retransmission of the contestant that is not followed changes nothing. */
            if ((h->flags & HALF_ISN) && seq != h->isn) return false;
        }
        if (t->state < TCP_SYN_RECV) t->state = TCP_SYN_RECV;
    } else if (t->state == TCP_NONE) {
        t->state = TCP_SYN_SENT;
    }

    if ((h->flags & HALF_ISN) && h->isn == seq && (h->flags & HALF_SYN)) {
        /* A retransmitted SYN (or SYN/ACK): nothing changes; its payload (TFO) is compared. */
        return true;
    }
    if (!(h->flags & HALF_INIT) || (h->delivered == 0 && h->nq == 0 && h->next_off == 0)) {
        half_syn(c, seq);
        return true;
    }
    ctx->ctr.invalid++; /* a SYN inside a running data stream: not a new start we can follow */
    return false;
}

/* The client's ACK completing the handshake picks the server ISN it believed: when two SYN/ACKs
 * raced, switch to the second one if that is the one acknowledged (and nothing was delivered yet
 * from the first). */
static void third_ack(struct stream__call *c, uint32_t a)
{
    struct stream_tcp *t = c->t;
    struct stream_half *o = c->o;
    if ((t->flags & TCP_SYNACK_ALT) && a == t->synack_alt + 1 && o->delivered == 0 && o->nq == 0) {
        half_restart(c, o, t->synack_alt);
    } else if (SEQ_LT(a, o->isn + 1) || a - (o->isn + 1) > STREAM_MAX_WINDOW) {
        /* Acknowledges something before the server's SYN or beyond any window after it (an ACK
         * beyond data we saw is only capture loss). */
        stream__add_anomaly(c->ctx, c->p, ANOM_STREAM_PKT_INVALID_ACK);
        c->ctx->ctr.invalid++;
    }
    t->state = TCP_ESTABLISHED;
}

/* handle_ack: what an ACK tells about the other direction: how far the receiver got (which may
 * reveal a hole we never saw), and its window. */
static void handle_ack(struct stream__call *c)
{
    struct stream_tcp *t = c->t;
    struct stream_half *h = c->h, *o = c->o;
    const struct packet *p = c->p;
    uint32_t a = p->tcp_ack;

    if (!(h->flags & HALF_ACK) || SEQ_GT(a, h->last_ack)) h->last_ack = a;
    h->flags |= HALF_ACK;
    if (p->tcp_win == 0)
        h->flags |= HALF_ZWIN;
    else
        h->flags &= (uint16_t)~HALF_ZWIN;
    if (p->tcp_flags & VG_TCP_SYN) {
        h->win = p->tcp_win;
        h->flags |= HALF_WIN;
    } else if (scale_known(t)) {
        h->win = (uint32_t)p->tcp_win << scale_of(t, h);
        h->flags |= HALF_WIN;
    } else {
        h->flags &= (uint16_t)~HALF_WIN;
    }

    if (!(o->flags & HALF_INIT)) {
        /* The other side was not seen yet: its data is expected where this ACK points. */
        stream__half_init(o, a);
        if (p->tcp_flags & VG_TCP_SYN) {
            o->isn = a - 1;
            o->flags |= HALF_ISN;
        }
    }
    if (t->state == TCP_SYN_RECV && !(p->tcp_flags & VG_TCP_SYN) && (t->flags & TCP_SYNACK_SEEN) &&
        (unsigned)c->dir != t->synack_dir)
        third_ack(c, a);

    /* The receiver has everything up to a: a hole before that in the other direction was lost by
     * the capture, not by the receiver. Skip it at that direction's next packet, but never past
     * data we saw (an ACK beyond it says nothing about where the next segment starts). */
    if ((o->flags & HALF_DATA) && SEQ_GT(a, o->next_seq) && SEQ_GT(o->max_data, o->next_seq)) {
        uint32_t target = seq_min(a, o->max_data);
        if (!(o->flags & HALF_SKIP) || SEQ_GT(target, o->skip_to)) o->skip_to = target;
        o->flags |= HALF_SKIP;
    }
}

static void result_init(struct stream_result *res, int dir)
{
    res->dir = dir;
    res->data = NULL;
    res->data_len = 0;
    res->data_offset = 0;
    res->gap_len = 0;
    res->n_facts = 0;
    res->retransmitted = 0;
}

void stream_packet(struct stream_ctx *ctx, struct flow *f, struct packet *p, int dir,
                   struct stream_result *res)
{
    result_init(res, dir);
    if (!ctx || !f || !p || p->proto != 6 || (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)) return;
    uint8_t fl = p->tcp_flags;
    struct stream_tcp *t = f->tcp;
    if (!t) {
        if (!(fl & VG_TCP_SYN) && !ctx->cfg.midstream) {
            ctx->ctr.midstream_refused++;
            return;
        }
        t = stream__tcp_get(ctx);
        if (!t) {
            ctx->ctr.ssn_memcap_drops++;
            return;
        }
        f->tcp = t;
        ctx->ctr.sessions++;
        if (!(fl & VG_TCP_SYN)) {
            t->flags |= TCP_MIDSTREAM;
            t->state = TCP_ESTABLISHED;
            ctx->ctr.midstream_pickups++;
        }
    }
    if (t->flags & TCP_RELEASE_PENDING) stream__release_all(ctx, t);
    ctx->ctr.segments++;

    struct stream__call c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.t = t;
    c.p = p;
    c.res = res;
    c.dir = dir;
    c.h = &t->half[dir];
    c.o = &t->half[dir ^ 1];
    c.pl = p->payload;
    c.len = p->payload ? p->payload_len : 0;
    c.s = p->tcp_seq + ((fl & VG_TCP_SYN) ? 1u : 0u); /* the SYN occupies one sequence number */
    c.e = c.s + c.len;
    meta_from_packet(p, c.s, c.len, &c.meta);
    struct stream_half *h = c.h;

    /* Impossible flag combinations: counted, not followed. */
    if ((fl & VG_TCP_SYN) && (fl & (VG_TCP_RST | VG_TCP_FIN))) {
        ctx->ctr.invalid++;
        return;
    }
    if (fl & VG_TCP_RST) {
        /* Its payload (RFC 9293 3.5.3 allows diagnostic text) is not stream data; whether the RST
         * is genuine is tamper's question (stream_dir_info + the packet). */
        h->flags |= HALF_RST;
        t->state = TCP_CLOSED;
        stream__finish(&c);
        return;
    }
    if (fl & VG_TCP_SYN) {
        if (!handle_syn(&c)) {
            stream__finish(&c);
            return;
        }
    } else if (!(h->flags & HALF_INIT)) {
        /* First packet of this side without its SYN: start where the other side's ACK expects
         * it, else at this segment. */
        stream__half_init(h, (c.o->flags & HALF_ACK) ? c.o->last_ack : c.s);
    }
    if (!(fl & (VG_TCP_ACK | VG_TCP_SYN))) ctx->ctr.invalid++; /* RFC 9293: ACK is always on */

    /* A segment more than the largest possible window (2^30, RFC 7323) away from where this side
     * is cannot belong to this stream (a blind injection, another incarnation): flagged, and it
     * changes nothing - no FIN, no ACK, no data. This also keeps every SEQ_* comparison of the
     * reassembly unambiguous (all values within 2^31 of each other). Larger payloads than any
     * TCP segment can be are refused the same way. */
    if (c.s - h->next_seq + STREAM_MAX_WINDOW > 2 * STREAM_MAX_WINDOW ||
        c.len > STREAM_MAX_SEGMENT) {
        ctx->ctr.invalid++;
        stream__add_anomaly(ctx, p, ANOM_STREAM_PKT_OUTSIDE_WINDOW);
        stream__finish(&c);
        return;
    }

    bool had_fin = h->flags & HALF_FIN, had_rst = h->flags & HALF_RST;
    if (fl & VG_TCP_ACK) handle_ack(&c);
    if (fl & VG_TCP_FIN) {
        if (!had_fin) {
            h->fin_seq = c.e;
            h->flags |= HALF_FIN;
        } else if (c.e != h->fin_seq) {
            ctx->ctr.invalid++; /* a second FIN elsewhere: the first one stands */
        }
        if (c.o->flags & HALF_FIN) t->state = TCP_CLOSED;
    }
    uint32_t end = c.e + ((fl & VG_TCP_FIN) ? 1u : 0u);
    if (SEQ_GT(end, h->max_seq)) h->max_seq = end;
    if (c.len > 0 && (!(h->flags & HALF_DATA) || SEQ_GT(c.e, h->max_data))) {
        h->max_data = c.e;
        h->flags |= HALF_DATA;
    }

    stream__apply_skip(&c);
    if (c.len > 0) {
        if (had_rst) stream__add_anomaly(ctx, p, ANOM_STREAM_DATA_AFTER_RST);
        if (had_fin && SEQ_GT(c.e, h->fin_seq))
            stream__add_anomaly(ctx, p, ANOM_STREAM_DATA_AFTER_FIN);
        const struct stream_half *o = c.o;
        if ((o->flags & (HALF_ACK | HALF_WIN)) == (HALF_ACK | HALF_WIN) &&
            SEQ_GT(c.s, o->last_ack + o->win)) {
            stream__add_anomaly(ctx, p, ANOM_STREAM_PKT_OUTSIDE_WINDOW);
            ctx->ctr.invalid++;
        }
        bool plain = !(fl & (VG_TCP_SYN | VG_TCP_FIN | VG_TCP_RST));
        if (plain && c.len == 1 && c.s == h->next_seq - 1) {
            /* Keep-alive: one garbage byte below next_seq (RFC 1122 4.2.3.6); comparing it would
             * be a false overlap. */
            ctx->ctr.keepalives++;
        } else if (plain && c.len == 1 && (o->flags & HALF_ZWIN) && (o->flags & HALF_ACK) &&
                   c.s == o->last_ack) {
            /* Zero-window probe: the receiver discards it (RFC 9293 3.8.6.1); the byte comes
             * again when the window opens. */
            ctx->ctr.zero_window_probes++;
        } else {
            stream__data(&c);
        }
    } else if (!(fl & (VG_TCP_SYN | VG_TCP_FIN)) && (h->flags & HALF_INIT) &&
               p->tcp_seq == h->next_seq - 1) {
        ctx->ctr.keepalives++;
    }
    stream__finish(&c);
}
