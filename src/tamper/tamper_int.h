/* tamper_int.h - what the files of the tamper module share (prefix tamper__). Not for other
 * modules: the public contract is tamper.h. */
#ifndef VG_TAMPER_INT_H
#define VG_TAMPER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamper/tamper.h"

/* ---- sequence arithmetic (RFC 9293 section 3.4: modulo 2^32) ----------------------------------
 */
static inline bool tamper__seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}
static inline bool tamper__seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}
static inline bool tamper__seq_geq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}

/* ---- baseline (tamper_baseline.c) ---------------------------------------------------------- */
#define TAMPER__TTL_SLOTS 6
#define TAMPER__LAY_SLOTS 4
#define TAMPER__WIN_SLOTS 4
#define TAMPER__WIN_BUCKETS 17 /* bit length of the raw window: 0..16 */
#define TAMPER__RING 16        /* recent packets per direction, to rebuild the pre-race baseline */
#define TAMPER__RECENT_IDS 4   /* the sender's last IP IDs, for the peer's "copies" check */

/* Observations made when a packet arrives (its record keeps them). */
enum {
    TAMPER__PF_TS_ECR_ZERO = 1u << 0,   /* ACK with a TS option echoing 0 while the peer sends TS */
    TAMPER__PF_TS_ECR_UNSENT = 1u << 1, /* TS echo of a value the peer has not sent yet */
    TAMPER__PF_ID_COPIES_PEER = 1u << 2, /* non-zero IP ID equal to one of the peer's last IDs */
};

/* What a packet added to the IP ID counters. */
enum {
    TAMPER__ID_NONE,
    TAMPER__ID_ZERO,
    TAMPER__ID_FIRST,
    TAMPER__ID_INC,
    TAMPER__ID_DUP,
    TAMPER__ID_OTHER
};

/* Counters of one sender. Everything here can be added to and subtracted from packet by packet,
 * which is what lets a contestant be judged without its own contribution. */
struct tamper__stats {
    uint32_t n; /* packets counted */
    uint8_t ttl_v[TAMPER__TTL_SLOTS];
    uint32_t ttl_c[TAMPER__TTL_SLOTS], ttl_other;
    uint8_t ttl_used;
    uint32_t df[2];
    /* option layouts of non-SYN, non-RST segments */
    uint8_t lay[TAMPER__LAY_SLOTS][16];
    uint8_t lay_len[TAMPER__LAY_SLOTS];
    uint32_t lay_c[TAMPER__LAY_SLOTS], lay_other, lay_n;
    uint8_t lay_used;
    uint32_t ts_n; /* of lay_n: segments carrying a TS option */
    /* raw windows of non-SYN, non-RST segments */
    uint32_t win_b[TAMPER__WIN_BUCKETS], win_n;
    uint16_t winv[TAMPER__WIN_SLOTS];
    uint32_t winv_c[TAMPER__WIN_SLOTS];
    uint8_t winv_used;
    /* IP ID (RSTs and zero-ID SYNs excluded: other code paths of the sender's stack) */
    uint32_t id_zero, id_nz, id_inc, id_dup, id_other, id_copy;
    uint32_t id_step[17]; /* incrementing steps by bit length */
};

/* One packet of the sender as the baseline counted it. */
struct tamper__rec {
    uint64_t pcap_cnt;
    struct vg_ts ts;
    uint32_t ts_val, ack;
    uint16_t ip_id, window;
    uint8_t ttl, tcp_flags;
    uint8_t lay_slot; /* slot index, TAMPER__SLOT_OTHER, or TAMPER__SLOT_NONE (not counted) */
    uint8_t win_slot; /* likewise for the exact-window table */
    uint8_t id_class; /* TAMPER__ID_* */
    uint8_t id_step;  /* bit length of the step when id_class is TAMPER__ID_INC */
    uint8_t pflags;   /* TAMPER__PF_* */
    bool df, has_ts, id_copy;
};
#define TAMPER__SLOT_OTHER 0xfe
#define TAMPER__SLOT_NONE 0xff

struct tamper__base {
    struct tamper__stats st;
    int16_t wscale; /* -1 until a SYN with WS is seen */
    bool have_last_nz, have_prev_nz;
    uint16_t last_nz_id, prev_nz_id; /* the last two distinct non-zero IP IDs */
    bool ts_have;                    /* TS clock samples */
    uint32_t ts_first_val, ts_last_val, ts_max;
    struct vg_ts ts_first_t, ts_last_t;
    uint16_t recent_id[TAMPER__RECENT_IDS];
    uint8_t recent_n, recent_pos;
    struct tamper__rec ring[TAMPER__RING];
    uint8_t ring_n, ring_pos; /* ring_pos: where the next record goes */
};

void tamper__base_init(struct tamper__base *b);
/* Counts packet p of this sender (peer: the other direction's baseline, for the per-packet
 * observations) and returns its record (valid until the ring wraps). */
const struct tamper__rec *tamper__base_add(struct tamper__base *b, const struct tamper__base *peer,
                                           const struct packet *p);
/* The record of packet pcap_cnt if still in the ring, else NULL. */
const struct tamper__rec *tamper__base_find(const struct tamper__base *b, uint64_t pcap_cnt);
/* Removes one record's contribution from st (st may be a copy of b->st). */
void tamper__stats_sub(struct tamper__stats *st, const struct tamper__rec *r);
/* Copies b->st minus every ring record with pcap_cnt >= from; false when the ring no longer
 * reaches back to `from` (the copy then lacks only what the ring still holds). */
bool tamper__base_before(const struct tamper__base *b, uint64_t from, struct tamper__stats *out);
/* TS clock estimate in Hz (0 when unknown). */
uint32_t tamper__base_ts_hz(const struct tamper__base *b);
const char *tamper__stats_id_pattern(const struct tamper__stats *st);

/* Everything a finding needs at flow end to judge its two contestants. Built at detection time
 * (tamper__pending_init) and completed by the packets that follow (tamper__pending_packet). */
struct tamper__pending {
    int dir;
    struct tamper__stats pre; /* the sender before the first contestant */
    bool pre_exact;
    struct tamper__rec rec[2]; /* the contestants' own contributions */
    bool rec_valid[2];
    bool have_prev_id, have_between_id, have_post_id;
    uint16_t prev_id; /* last non-zero IP ID before the first contestant */
    uint16_t between_first_id, between_last_id; /* non-zero IP IDs between the contestants */
    uint16_t post_id; /* first non-zero IP ID after the second contestant */
    bool have_prev_ts;
    uint32_t prev_ts_val;
    struct vg_ts prev_ts_t;
    int score; /* confidence gathered at detection time */
    int score_cap;
    bool is_rst; /* forged_rst: c[0] is the (first) RST */
    /* in-path candidates (tamper_inpath.c): the departing packet's signals, the response
     * headers' signals, and whether the latter were already told */
    uint16_t ip_sig, ip_hdr;
    bool ip_hdr_noted, ip_gate;
};

/* Small reads of a sender's counters (tamper_inpath.c uses them). */
uint8_t tamper__initial_ttl(uint8_t ttl);          /* 32/64/128/255 */
uint8_t tamper__stats_ttl_top(const struct tamper__stats *st);
uint32_t tamper__stats_ttl_count(const struct tamper__stats *st, uint8_t ttl);
/* true when the layout is among the counted ones (or the counters overflowed: unknown) */
bool tamper__stats_has_layout(const struct tamper__stats *st, const uint8_t *lay, uint8_t len);
uint16_t tamper__stats_id_bound(const struct tamper__stats *st);
/* fd->baseline from the sender's counters st (b: its wscale and TS clock) */
void tamper__summary_from_stats(struct tamper_baseline_summary *s, const struct tamper__stats *st,
                                const struct tamper__base *b);

/* Fills pd from the sender's baseline at the moment the second contestant arrived. */
void tamper__pending_init(struct tamper__pending *pd, const struct tamper__base *b, int dir,
                          uint64_t first_cnt, uint64_t second_cnt);
/* A later packet of the same direction (already counted in the baseline). */
void tamper__pending_packet(struct tamper__pending *pd, const struct packet *p);
/* Judges fd's contestants against the final baseline b (verdicts, departs, reasons, confidence,
 * baseline summary). */
void tamper__judge(struct tamper_finding *fd, const struct tamper__pending *pd,
                   const struct tamper__base *b);

/* ---- per-flow state (tamper.c) ------------------------------------------------------------- */
/* A packet's metadata without payload (what a later finding needs from an earlier packet). */
struct tamper__pkt {
    uint64_t pcap_cnt;
    struct vg_ts ts;
    uint32_t seq, ack, len;
    uint8_t ttl, tcp_flags;
    uint16_t ip_id, window;
    bool df;
    struct vg_tcp_opts opts;
};

struct tamper__dir {
    struct tamper__base b;
    bool seq_known;
    uint32_t max_seq; /* highest sequence sent: seq + len (+1 for SYN, FIN); RSTs excluded */
    bool ack_known;
    uint32_t max_ack; /* highest ACK this sender has sent */
    bool dlv_known;
    uint32_t dlv_end; /* sequence after the last byte the stream delivered in order */
    struct {
        bool valid;
        uint32_t start, end;
        uint64_t pcap_cnt;
    } coal[2];
    uint8_t coal_pos;
    bool fin_valid;
    uint32_t fin_pos; /* sequence number the sender's first FIN occupies */
    struct tamper__pkt fin;
    bool rst_valid;
    struct tamper__pkt rst; /* the sender's latest RST */
    uint32_t peer_pkts_since_rst;
    uint32_t seg_end[8]; /* seq + len of the sender's last data/SYN/FIN segments */
    uint8_t seg_end_n, seg_end_pos;
    uint64_t last_syn_cnt; /* pcap_cnt of the sender's latest SYN without ACK (0: none) */
};

/* In-path state of a flow (tamper_inpath.c). */
struct tamper__inpath {
    bool synack_seen, synack_ts; /* the server's SYN/ACK, and whether it carried a TS option */
    uint16_t synack_mss;          /* its MSS option (0: none) */
    int16_t synack_ws;            /* its window scale (-1: none) */
    bool host_done;              /* the flow's server fingerprint went to the host table */
    bool hdr_done;               /* its header fingerprint too */
    bool departed;               /* a flow_departure candidate is held */
    uint16_t host_sig;           /* server-departure signals of the first answer (packet level) */
    uint16_t hdr_sig;            /* server-departure signals of the response headers */
    uint32_t after_n, after_back; /* server packets after the departing one; of those, like before */
    uint8_t shape;                /* injected-shape bits of the redirect (TAMPER__SHAPE_*) */
};

struct tamper_flow {
    struct tamper__dir d[2];
    struct tamper__inpath ip;
    uint32_t slot[TAMPER_SIG_COUNT]; /* finding slot + 1 per signature; 0: none */
    uint32_t next_free;              /* pool free list */
    bool udp_dns;                    /* a UDP DNS flow: counted against cfg.max_dns_flows */
    uint64_t dns_wait_cnt; /* the dns_race finding waits for this packet's tamper_packet call to
                              learn its direction (0: nothing waits), see tamper_dns.c */
};

struct tamper__slot {
    struct tamper_finding fd;
    struct tamper__pending pd;
    uint32_t next_free;
};

/* One server (address, port, protocol) in the host table: the fingerprint its flows agreed on. */
struct tamper__host {
    struct vg_addr addr;
    uint16_t port;
    uint8_t proto;
    bool used;
    int64_t last_sec;
    /* packet fingerprint of its answers, one per flow */
    uint8_t ittl, hops_min, hops_max, lay_len;
    bool df, ts, idzero;
    bool fp_set; /* the packet fingerprint above was taken (from the first flow's answer) */
    bool syn_set; /* the SYN/ACK fingerprint below was taken */
    uint16_t syn_mss;
    int16_t syn_ws;
    uint8_t lay[16];
    uint32_t agree, disagree; /* flows after the first that matched / did not */
    /* HTTP response headers */
    uint32_t hdr_n, date_n, server_n; /* responses; with Date; with the first Server value */
    uint64_t server_hash;
    char server[64];
    uint16_t order_fwd, order_rev; /* header pairs seen in list order / reversed */
};

struct tamper__hosts {
    struct tamper__host *e;
    uint32_t cap, mask; /* cap: a power of two */
};

struct tamper_ctx {
    struct tamper_config cfg;
    struct tamper__hosts hosts;
    bool trigger; /* tamper_take_trigger */
    struct tamper_flow *flows;     /* cfg.max_flows entries */
    uint32_t flows_hw, flows_free; /* high-water mark; free list head + 1 (0: empty) */
    struct tamper__slot *slots;    /* cfg.max_findings entries */
    uint32_t slots_hw, slots_free;
    uint32_t dns_flows; /* UDP DNS flows holding state now (<= cfg.max_dns_flows) */
    struct tamper_counters cnt;
    struct tamper__lan *lan; /* ARP / ND binding tables (tamper_lan.c) */
};

/* tamper_lan.c: the LAN tables, sized from cfg (NULL on OOM); free(NULL) is a no-op. */
struct tamper__lan;
struct tamper__lan *tamper__lan_new(const struct tamper_config *cfg);
void tamper__lan_free(struct tamper__lan *lan);

/* Finds or creates flow f's finding for sig. When the flow already holds one, its count goes up
 * and NULL is returned (the first occurrence is the one reported); NULL too when the pool is
 * exhausted (counted). A new finding comes zeroed with sig, dir and count 1. */
struct tamper__slot *tamper__finding(struct tamper_ctx *ctx, struct flow *f, int sig, int dir);
/* Appends a reason (printf format); silently dropped past TAMPER_MAX_REASONS. */
void tamper__reason(struct tamper_finding *fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tamper__pkt_from_packet(struct tamper__pkt *m, const struct packet *p);
void tamper__contestant_from_pkt(struct tamper_contestant *c, const struct tamper__pkt *m);
void tamper__contestant_from_meta(struct tamper_contestant *c, const struct stream_seg_meta *m);
/* Copies payload bytes (at most TAMPER_PAYLOAD_MAX) into c; marks truncation against c->len. */
void tamper__contestant_payload(struct tamper_contestant *c, const uint8_t *data, uint32_t len,
                                uint32_t seq);

/* Drops flow f's finding for sig (no emission), returning its slot to the pool. */
void tamper__finding_drop(struct tamper_ctx *ctx, struct flow *f, int sig);

/* ---- detectors ----------------------------------------------------------------------------- */
/* tamper_race.c: stream facts, coalescing, data past the sender's FIN. */
void tamper__race_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir,
                         const struct stream_result *sr);
/* tamper_reset.c: forged RST rules. Runs before the direction's RST/seq state is updated. */
void tamper__reset_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir);
/* tamper_dns.c: completes a waiting dns_race finding when p is the packet that carried its second
 * response (after the baseline counted p); tamper__dns_settle does it at flow end when that call
 * never came (direction then assumed to_client). tamper__dns_judge adds the arrival-order
 * reasoning after tamper__judge. */
void tamper__dns_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir);
void tamper__dns_settle(struct tamper_ctx *ctx, struct flow *f);
void tamper__dns_judge(struct tamper_finding *fd);
/* tamper_http.c: an overlap fact whose two contestants both start an HTTP response becomes an
 * http_race finding (next to the tcp_injection_race one that on_fact makes of the same fact). */
void tamper__http_fact(struct tamper_ctx *ctx, struct flow *f, const struct packet *p,
                       const struct stream_fact *fa);

/* tamper_inpath.c: in-path rewrites and injected redirects. tamper__inpath_packet runs before the
 * packet is counted in its sender's baseline (so the packet is judged against the flow without
 * it); tamper__inpath_flow_end resolves the flow's candidates (drops those below their gate, sets
 * confidences) before the findings are emitted. */
void tamper__inpath_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir);
void tamper__inpath_flow_end(struct tamper_ctx *ctx, struct flow *f);
bool tamper__inpath_sig(int sig);
int tamper__hosts_init(struct tamper__hosts *h, uint32_t cap);
void tamper__hosts_free(struct tamper__hosts *h);
/* The entry of (addr, port, proto), created when absent (evicting a stale or the oldest entry of
 * its probe window, counted); *fresh says whether it was just created. Never NULL. */
struct tamper__host *tamper__host_get(struct tamper_ctx *ctx, const struct vg_addr *addr,
                                      uint16_t port, uint8_t proto, int64_t now_sec, bool *fresh);

/* Appends "; "-separated printf text to buf (size n), silently cut when full (tamper_baseline.c). */
void tamper__add_txt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
