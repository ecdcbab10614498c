/* stream.h - TCP connection tracking and per-direction reassembly (RFC 9293).
 *
 * For every TCP packet of a flow, stream_packet() updates the connection state, places the payload
 * in sequence order, and reports in a struct stream_result what the later stages need:
 *   - the bytes that became in-order in one direction (for the app layer), with any gap before them;
 *   - overlap facts: a segment that covers bytes already held (delivered-and-retained, or queued
 *     out of order) is compared byte for byte; identical bytes are a retransmission (counted,
 *     silent), different bytes are a fact for the tamper module, with both contestants' metadata and
 *     bytes; a second SYN/ACK acknowledging the same client ISN with another sequence number is a
 *     fact too;
 *   - stream anomalies, appended to the packet's anomaly list (EVE anomaly type "stream").
 * The stream module never judges: deciding which contestant is forged is tamper's job.
 *
 * Retained bytes: each direction keeps the bytes already delivered in one linear buffer covering at
 * least the last `retain_bytes` (default 64 KiB: a typical receive window behind the last ACK) so
 * that a late contestant can be compared with the early one, plus a ring of metadata records of the
 * segments that carried them (for the contestants' TTL, IP ID, options ...). The in-order bytes of
 * a stream_result point into that buffer. Memory is accounted against a per-flow cap and a global
 * memcap; hitting either stops retention/queueing for that flow (counted, never fatal): data is then
 * delivered straight from the packet and overlaps can no longer be compared.
 *
 * Ownership: per-flow state hangs off flow->tcp and is freed with stream_flow_free() when the flow
 * ends. Pointers in a stream_result are valid until the next stream_packet() call on that flow.
 */
#ifndef VG_STREAM_H
#define VG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vg_anomaly.h"
#include "decode/packet.h"
#include "flow/flow.h"

struct stream_config {
    size_t memcap;             /* bytes of all retained + queued data and state; default 256 MiB */
    size_t flow_memcap;        /* bytes per flow (both directions); default 1 MiB */
    uint32_t retain_bytes;     /* delivered bytes kept per direction for comparison; default 65536 */
    uint32_t max_queued_segs;  /* out-of-order segments held per direction; default 256 */
    bool midstream;            /* pick up connections whose handshake was not seen; default true */
};

/* What a segment looked like on the wire: enough to tell two contestants apart. */
struct stream_seg_meta {
    uint64_t pcap_cnt;
    struct vg_ts ts;
    uint32_t seq;     /* absolute sequence number of the first payload byte */
    uint32_t len;     /* payload length */
    uint8_t ttl;
    uint8_t tcp_flags;
    uint16_t ip_id;
    bool df;
    uint16_t window;
    struct vg_tcp_opts opts;
};

enum stream_fact_kind {
    STREAM_FACT_DATA_OVERLAP,  /* new segment's bytes differ from bytes held for the same seq */
    STREAM_FACT_SYNACK_RACE,   /* two SYN/ACKs acknowledge the client ISN+1 with different seqs */
};

struct stream_fact {
    int kind;          /* enum stream_fact_kind */
    int dir;           /* FLOW_TOSERVER / FLOW_TOCLIENT: the direction of both contestants */
    struct stream_seg_meta first;  /* the contestant that arrived first (held or delivered) */
    struct stream_seg_meta second; /* the one that arrived now */
    /* Data overlaps: the overlapping sequence range and how many of its bytes differ. */
    uint32_t ov_seq, ov_len, diff_bytes;
    /* The contestants' payloads as far as they are held (first: from the retained buffer or the
     * queue, possibly partial; second: the packet's payload). */
    const uint8_t *first_data, *second_data;
    uint32_t first_data_len, second_data_len;
    uint32_t first_data_seq;       /* sequence number of first_data[0] */
    bool first_delivered;          /* the first contestant had already been delivered in order */
    bool at_close;                 /* the overlap touches the sequence of a FIN seen in this dir */
};
/* Notes on facts (stream module): for STREAM_FACT_SYNACK_RACE, first.seq/second.seq are the two
 * SYN/ACKs' sequence numbers (the competing ISNs) and no data is attached. For data overlaps,
 * first.pcap_cnt == 0 means the held bytes' metadata is no longer known (the ring of records is
 * bounded); first.seq/len then describe the held range. Delivery policy: "first wins" - bytes
 * already held are never replaced by a later contestant (see src/stream/README.md).
 * second_data, and data after a memcap hit (no retention), point into the packet itself: valid
 * for this packet's pass through the pipeline only. */

#define STREAM_MAX_FACTS 4

struct stream_result {
    int dir;                 /* direction of the packet */
    const uint8_t *data;     /* bytes that became in-order in `dir` because of this packet */
    uint32_t data_len;
    uint64_t data_offset;    /* stream offset of data[0] (bytes since the start of the direction) */
    uint32_t gap_len;        /* bytes skipped (never seen) just before data, 0 when none */
    uint8_t n_facts;
    struct stream_fact facts[STREAM_MAX_FACTS];
    uint32_t retransmitted;  /* payload bytes of this packet identical to bytes already held */
};

/* Per-direction view for detectors (read-only). */
struct stream_dir_info {
    bool isn_known;
    uint32_t isn;            /* initial sequence number (SYN's seq) */
    uint32_t next_seq;       /* next in-order sequence number expected */
    uint32_t max_seq;        /* highest sequence number sent (seq + len, FIN counts) */
    uint32_t last_ack;       /* highest ACK this direction's sender has sent */
    bool fin_seen, rst_seen;
    uint32_t fin_seq;
    uint64_t delivered;      /* bytes delivered in order */
    /* Added by the stream module (not in the first contract): */
    bool window_known;       /* false before this side's first ACK, or when the window scale is
                                unknown (handshake not seen) */
    uint32_t window;         /* last window advertised by this direction's sender, scaled */
    bool midstream;          /* the flow was picked up without its handshake */
    uint64_t offset;         /* stream offset of next_seq: delivered + skipped (gap) bytes */
};

/* The stream anomaly ids are one contiguous block of vg_anomaly.h. */
#define STREAM_ANOM_FIRST ANOM_STREAM_3WHS_SYNACK_WRONG_ACK
#define STREAM_ANOM_COUNT (ANOM_STREAM_MEMCAP - ANOM_STREAM_3WHS_SYNACK_WRONG_ACK + 1)

struct stream_counters {
    uint64_t sessions, midstream_pickups;
    uint64_t segments, retransmissions, retransmitted_bytes;
    uint64_t overlaps_different;          /* STREAM_FACT_DATA_OVERLAP facts */
    uint64_t synack_races;
    uint64_t gaps, gap_bytes;
    uint64_t queued_segments, queue_drops; /* out-of-order segments held; dropped at the cap */
    uint64_t memcap_hits, flow_memcap_hits;
    uint64_t memuse, memuse_max;           /* bytes currently / at most in use */
    uint64_t invalid;                      /* segments outside the window, bad ACKs, ... */
    /* Added by the stream module (not in the first contract): */
    uint64_t ssn_memcap_drops;    /* flows left untracked: no state could be had under memcap */
    uint64_t midstream_refused;   /* packets of flows not picked up (config.midstream = false) */
    uint64_t queue_full;          /* times max_queued_segs / the buffer bound forced a skip */
    uint64_t keepalives, zero_window_probes; /* recognised and ignored for reassembly */
    uint64_t unverified_bytes;    /* old payload bytes no longer held: could not be compared */
    uint64_t facts_dropped;       /* overlap facts beyond STREAM_MAX_FACTS in one result */
    uint64_t meta_evicted;        /* metadata records overwritten in a full ring */
    uint64_t anomalies[STREAM_ANOM_COUNT]; /* per stream anomaly, index id - STREAM_ANOM_FIRST */
};

struct stream_ctx;

void stream_config_default(struct stream_config *cfg);
struct stream_ctx *stream_ctx_new(const struct stream_config *cfg);
void stream_ctx_free(struct stream_ctx *ctx);

/* stream_packet processes one decoded TCP packet (p->proto == 6) of flow f in direction dir and
 * fills *res. Allocates f->tcp on the first packet. Anomalies go onto p (stream_add_anomaly). */
void stream_packet(struct stream_ctx *ctx, struct flow *f, struct packet *p, int dir,
                   struct stream_result *res);

/* stream_flow_end flushes nothing more (vigil does not deliver queued data past a gap at the end)
 * and frees f->tcp; called from the flow-end hook. NULL state is a no-op. */
void stream_flow_free(struct stream_ctx *ctx, struct flow *f);

/* stream_dir_info fills the per-direction view; returns false when the flow has no TCP state. */
bool stream_dir_info(const struct flow *f, int dir, struct stream_dir_info *out);

const struct stream_counters *stream_counters(const struct stream_ctx *ctx);

#endif
