/* stream_int.h - what the files of the stream module share and nobody else needs (libuv's `x__`
 * habit): the per-flow TCP state, the context, sequence arithmetic and the per-call scratch.
 *
 * Sequence numbers are 32-bit and wrap (RFC 9293 section 3.4): every comparison goes through the
 * SEQ_* macros, which look at the signed 32-bit difference, so "a before b" holds as long as the
 * two are less than 2^31 apart. Distances (b - a) are plain uint32_t subtractions, valid when a <=
 * b.
 */
#ifndef VG_STREAM_INT_H
#define VG_STREAM_INT_H

#include "stream/stream.h"

#define SEQ_DIFF(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define SEQ_LT(a, b) (SEQ_DIFF(a, b) < 0)
#define SEQ_LEQ(a, b) (SEQ_DIFF(a, b) <= 0)
#define SEQ_GT(a, b) (SEQ_DIFF(a, b) > 0)
#define SEQ_GEQ(a, b) (SEQ_DIFF(a, b) >= 0)

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
    return SEQ_GT(a, b) ? a : b;
}
static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
    return SEQ_LT(a, b) ? a : b;
}

/* Smallest retained/queue buffer; buffers grow by doubling from here. */
#define STREAM_BUF_MIN 1024u
/* Initial and maximal number of metadata records in the ring of delivered segments (per
 * direction). 256 records cover the 64 KiB retention at 256-byte segments; with smaller segments
 * the oldest retained bytes lose their metadata (a fact then carries pcap_cnt 0 for them). */
#define STREAM_RING_MIN 8u
#define STREAM_RING_MAX 256u
#define STREAM_QUEUE_MIN 4u
/* Hard bound on max_queued_segs (the queue index is 16-bit). */
#define STREAM_QUEUE_LIMIT 4096u
/* RFC 7323 section 2.3: a window shift above 14 is treated as 14; the largest window is 2^30. */
#define STREAM_WSCALE_MAX 14u
#define STREAM_MAX_WINDOW (1u << 30)
/* Larger payloads are not TCP segments we can follow (IPv4/IPv6 carry at most 64 KiB; Linux "BIG
 * TCP" GRO aggregates reach 512 KiB): counted as invalid. */
#define STREAM_MAX_SEGMENT (1u << 20)
/* Stream state structs are handed out from slabs of this many. */
#define STREAM_SLAB_ITEMS 64u

/* One held segment contribution: the bytes [cseq, cseq + clen) of the buffer came from the
 * segment described by m (m.seq/m.len are the segment as it was on the wire, which may be larger
 * when part of it overlapped bytes already held). */
struct stream__rec {
    uint32_t cseq, clen;
    struct stream_seg_meta m;
};

/* stream_half.flags */
enum {
    HALF_INIT = 1u << 0,   /* next_seq is meaningful */
    HALF_ISN = 1u << 1,    /* isn is known (SYN seen, or inferred from the SYN/ACK's ACK) */
    HALF_SYN = 1u << 2,    /* this side's SYN (or SYN/ACK) was seen */
    HALF_WSCALE = 1u << 3, /* its SYN carried a window-scale option */
    HALF_ACK = 1u << 4,    /* last_ack is meaningful */
    HALF_WIN = 1u << 5,    /* win is meaningful (scaled) */
    HALF_FIN = 1u << 6,
    HALF_RST = 1u << 7,
    HALF_SKIP = 1u << 8,  /* the receiver ACKed past a hole: skip to skip_to */
    HALF_DATA = 1u << 9,  /* max_data is meaningful */
    HALF_ZWIN = 1u << 10, /* its last ACK advertised a zero window */
};

/* One direction of a connection: the sender's sequence space as seen on the wire.
 *
 * Buffer layout: buf[0] holds sequence number base_seq. [hold_seq, next_seq) are delivered bytes
 * kept for comparison (retained); beyond next_seq, the bytes of the queued out-of-order records
 * sit at their own positions (the rest of that area is unused). Invariants:
 *   base_seq <= hold_seq <= next_seq; every queued record starts after next_seq and ends within
 *   base_seq + cap; records are sorted and do not overlap; ring records are sorted, lie in
 *   [base_seq, next_seq) and do not overlap; buf == NULL implies cap == 0, no records and
 *   hold_seq == next_seq. */
struct stream_half {
    uint32_t isn, next_seq, max_seq, max_data, last_ack, fin_seq;
    uint32_t base_seq, hold_seq, skip_to;
    uint32_t win;             /* last window advertised by this side, scaled */
    uint32_t cap;             /* bytes at buf */
    uint16_t flags;           /* HALF_* */
    uint8_t wscale;           /* shift from its SYN option (valid with HALF_WSCALE) */
    uint16_t qhead, nq, qcap; /* queue: records q[qhead .. qhead + nq) */
    uint16_t rhead, rn, rcap; /* ring: records ring[(rhead + i) % rcap], i < rn */
    uint64_t next_off;        /* stream offset of next_seq (delivered + skipped bytes) */
    uint64_t delivered;
    uint8_t *buf;
    struct stream__rec *q;
    struct stream__rec *ring;
};

/* stream_tcp.state */
enum { TCP_NONE, TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED, TCP_CLOSED };

/* stream_tcp.flags */
enum {
    TCP_MIDSTREAM = 1u << 0,       /* picked up without seeing the handshake */
    TCP_SYNACK_SEEN = 1u << 1,     /* synack holds the first SYN/ACK */
    TCP_SYNACK_ALT = 1u << 2,      /* a racing SYN/ACK with seq synack_alt was seen */
    TCP_NORETAIN = 1u << 3,        /* a memcap was hit: no retention/queueing from now on */
    TCP_MEMCAP_ANOM = 1u << 4,     /* ANOM_STREAM_MEMCAP already raised for this flow */
    TCP_RELEASE_PENDING = 1u << 5, /* buffers still referenced by the last result; free them on
                                      the next call */
};

/* flow->tcp: the TCP state of one flow. Kept small (no payload = this struct only). */
struct stream_tcp {
    struct stream_half half[2];    /* [FLOW_TOSERVER], [FLOW_TOCLIENT] */
    struct stream_seg_meta synack; /* the first SYN/ACK (seq = its ISN) */
    uint32_t synack_ack, synack_alt;
    uint32_t memuse; /* bytes charged to this flow, the struct included */
    uint8_t state;   /* TCP_* */
    uint8_t flags;   /* TCP_* flags */
    uint8_t synack_dir;
    struct stream_tcp *pool_next; /* free-list link while in the pool */
};

struct stream__slab {
    struct stream__slab *next;
    struct stream_tcp items[STREAM_SLAB_ITEMS];
};

struct stream_ctx {
    struct stream_config cfg;
    struct stream_counters ctr;
    uint32_t buf_max; /* largest buffer per direction for out-of-order holding */
    struct stream__slab *slabs;
    struct stream_tcp *free_list;
};

/* The scratch of one stream_packet call. */
struct stream__call {
    struct stream_ctx *ctx;
    struct stream_tcp *t;
    struct packet *p;
    struct stream_result *res;
    struct stream_half *h, *o; /* the sender's and the receiver's half */
    int dir;
    const uint8_t *pl;  /* payload */
    uint32_t len, s, e; /* payload length and its sequence range [s, e) */
    struct stream_seg_meta meta;
    bool res_in_buf; /* res->data lies in h->buf at res_seq */
    uint32_t res_seq;
    bool skipped;                        /* a gap was already reported in this call */
    uint8_t n_buf_facts;                 /* facts whose first_data lies in h->buf */
    uint32_t fact_seq[STREAM_MAX_FACTS]; /* first_data_seq of facts, resolved at the end */
};

static inline struct stream__rec *stream__q_at(const struct stream_half *h, unsigned i)
{
    return &h->q[h->qhead + i];
}
static inline struct stream__rec *stream__ring_at(const struct stream_half *h, unsigned i)
{
    return &h->ring[(h->rhead + i) % h->rcap];
}

/* stream.c */
void stream__add_anomaly(struct stream_ctx *ctx, struct packet *p, int id);
bool stream__mem_reserve(struct stream_ctx *ctx, struct stream_tcp *t, size_t n);
void stream__mem_release(struct stream_ctx *ctx, struct stream_tcp *t, size_t n);
struct stream_tcp *stream__tcp_get(struct stream_ctx *ctx);
void stream__tcp_put(struct stream_ctx *ctx, struct stream_tcp *t);
uint32_t stream__flow_memuse(const struct flow *f);

/* stream_segments.c */
void stream__half_init(struct stream_half *h, uint32_t next_seq);
void stream__half_release(struct stream_ctx *ctx, struct stream_tcp *t, struct stream_half *h);
void stream__release_all(struct stream_ctx *ctx, struct stream_tcp *t);
void stream__apply_skip(struct stream__call *c);
void stream__data(struct stream__call *c);
void stream__finish(struct stream__call *c);
bool stream__window_ok(const struct stream__call *c, uint32_t seq);

/* stream_overlap.c */
void stream__overlap_retained(struct stream__call *c, uint32_t lo, uint32_t hi);
void stream__overlap_queued(struct stream__call *c, const struct stream__rec *r, uint32_t lo,
                            uint32_t hi);
void stream__fact_synack(struct stream__call *c);

#endif
