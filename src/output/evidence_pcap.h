/* evidence_pcap.h - the packets behind a finding, as a pcap file per flow.
 *
 * For every flow that ends with a finding (an alert), vigil writes DIR/evidence/<flow_id>.pcap: a
 * classic pcap (nanosecond timestamps, the flow's original link type, the captured frames byte for
 * byte) holding the flow's first `first_n` packets, its latest `last_m`, and the packets that made
 * it interesting (pinned). The alert says where: "evidence": {"pcap": "evidence/<id>.pcap",
 * "packets": [7, 11]} with the contestants' numbers counted from 1 within that file
 * (EVE-EXTENSIONS.md, docs/eve.md).
 *
 * Writing: a file is written in pieces. A finding judged at flow end writes it whole
 * (evidence_flow_write); an alert raised mid-flow writes what is held so far (evidence_flow_flush),
 * and the rest is appended when the flow ends. Written packets are released; what the alerts and
 * the report need of them (packet numbers, TTL / IP ID / window series) is kept as metadata.
 *
 * Memory design (docs/eve.md "evidence"): findings are only known at flow end, but copying every
 * packet of every flow until then would cost memory per flow. Instead:
 *   1. a look-back ring holds copies of the last `lookback` packets of ALL flows (bounded: one
 *      entry per packet, recycled in order) - the recent past of a flow that turns interesting;
 *   2. a flow is recorded only from its first trigger: a stream overlap fact, a TCP reset, a
 *      packet anomaly, a DNS answer pair, or evidence_trigger() from a detector. Then its packets
 *      still in the look-back ring are adopted (moved, not copied) and later ones are kept as first
 *      N + a ring of the latest M, plus pinned trigger packets (and the few same-direction packets
 *      before each trigger: the first contestant of a race) that the ring may not evict;
 *   3. all copies come from one pool of 2 KiB slots sized by `memcap` (allocated once); when it
 *      runs out, look-back entries are reclaimed first, then the packet is not kept (counted).
 * A flow that ends with a finding but was never triggered gets what the look-back ring still holds.
 *
 * Threads: one context per worker, no locks. Flows are identified by (pointer, flow_id).
 */
#ifndef VG_EVIDENCE_PCAP_H
#define VG_EVIDENCE_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"
#include "flow/flow.h"
#include "output/json_writer.h"

struct evidence_config {
    const char *dir;    /* output folder; files go to DIR/evidence/ (created by evidence_ctx_new) */
    uint32_t first_n;   /* first packets kept per recorded flow; default 32 */
    uint32_t last_m;    /* latest packets kept per recorded flow (ring); default 64 */
    uint32_t pin_max;   /* pinned packets per flow beyond those; default 16 */
    uint32_t lookback;  /* look-back ring entries (packets of all flows); default 1024 */
    uint32_t max_flows; /* flows recorded at once; default 4096 */
    size_t memcap;      /* bytes of packet copies (look-back + flows); default 64 MiB */
};

struct evidence_counters {
    uint64_t flows_recorded;      /* flows that were triggered and recorded */
    uint64_t flow_pool_exhausted; /* triggers ignored: max_flows flows recorded already */
    uint64_t files_written;
    uint64_t file_errors;
    uint64_t packets_copied;     /* packets copied (look-back or flow) */
    uint64_t memcap_drops;       /* packets not kept: no slot even after reclaiming look-back */
    uint64_t ring_evictions;     /* packets of recorded flows pushed out by the ring */
    uint64_t linktype_skipped;   /* packets left out of a file: another link type than its first */
    uint64_t memuse, memuse_max; /* bytes of slots in use */
};

struct evidence_ctx;

void evidence_config_default(struct evidence_config *cfg);

/* evidence_ctx_new allocates the slot pool, the look-back ring and the flow records (pages are
 * mapped lazily) and creates DIR/evidence. NULL with errbuf filled on failure. */
struct evidence_ctx *evidence_ctx_new(const struct evidence_config *cfg, char *errbuf,
                                      size_t errlen);
void evidence_ctx_free(struct evidence_ctx *ev); /* NULL is a no-op */

/* evidence_packet keeps packet p (of flow f, direction dir) after the pipeline has seen it: in f's
 * record when f is recorded (or trigger is true: f becomes recorded now and p is pinned), else in
 * the look-back ring. The frame bytes (p->frame, p->frame_len) are copied. */
void evidence_packet(struct evidence_ctx *ev, const struct flow *f, int dir, const struct packet *p,
                     bool trigger);

/* evidence_trigger starts recording f (adopting its packets from the look-back ring) if it is not
 * recorded yet. For detectors that know a flow matters before a packet says so. */
void evidence_trigger(struct evidence_ctx *ev, const struct flow *f);

/* evidence_mark: f has a finding that was reported before the flow ended (a rule or indicator
 * alert on a packet): record f from now on (adopting from the look-back ring) and write its file
 * when it ends (evidence_flow_end), at DIR/evidence/<flow_id>.pcap. */
void evidence_mark(struct evidence_ctx *ev, const struct flow *f);

/* evidence_flow_flush writes what is held of f now (starting to record f if it was not): the file
 * is created on the first call and later calls append the packets kept since, in packet order.
 * For an alert raised before the flow ends (a rule or an indicator): the alert can then name the
 * file and its packet's number in it, which stays true as the file grows. Returns VG_OK once the
 * file holds packets, VG_DECLINED when nothing is kept, VG_ERR_IO when writing failed. */
int evidence_flow_flush(struct evidence_ctx *ev, const struct flow *f);

/* evidence_flow_write finishes f's evidence file: the last piece is written and no packet is added
 * after it (later calls return the same result). Call from the flow-end hook before the flow's
 * findings are written. Returns as evidence_flow_flush. */
int evidence_flow_write(struct evidence_ctx *ev, const struct flow *f);

/* The number (from 1) of the packet with run number pcap_cnt in f's written file; 0 when it is
 * not in the file or no file was written. */
uint32_t evidence_packet_number(const struct evidence_ctx *ev, const struct flow *f,
                                uint64_t pcap_cnt);

/* evidence_put_json writes the member "evidence": {"pcap": "evidence/<id>.pcap", "packets": [..],
 * "packets_in_file": N, "flow_packets": N} into the open object of w, with the file numbers of the
 * n packets pcap_cnt[] (null for one that is not in the file). packets_in_file counts what the file
 * holds now (a file started by a mid-flow alert grows until the flow ends). Writes nothing when f
 * has no written file. */
void evidence_put_json(const struct evidence_ctx *ev, const struct flow *f, struct jw *w,
                       const uint64_t *pcap_cnt, unsigned n);

/* evidence_put_series writes the member "series": {...} - the kept packets of direction dir:
 * "pcap_cnt", "t_us" (since the flow's start), "ttl", "ip_id", "window" (TCP), "len" (payload
 * bytes), arrays of equal length in time order - into the open object of w. Nothing when f has
 * no written file. */
void evidence_put_series(const struct evidence_ctx *ev, const struct flow *f, struct jw *w,
                         int dir);

/* evidence_flow_end writes f's file if f was marked and it is not written yet, then releases f's
 * record and its packets (call at the end of the flow-end hook, for every flow). */
void evidence_flow_end(struct evidence_ctx *ev, const struct flow *f);

/* Flowless findings (ARP / ND spoofing): the contested frames themselves, written at once to
 * DIR/evidence/<name>.pcap (name: [A-Za-z0-9_-], at most 48 characters) in the given order, with
 * the link type `linktype`. Returns VG_OK or VG_ERR_IO (counted as file_errors). */
struct evidence_frame {
    struct vg_ts ts;
    const uint8_t *data;
    uint32_t caplen, wirelen;
};
int evidence_frames_write(struct evidence_ctx *ev, const char *name, int linktype,
                          const struct evidence_frame *fr, unsigned n);
/* The directory evidence_frames_write writes under ("" when ev is NULL). */
const char *evidence_dir(const struct evidence_ctx *ev);

const struct evidence_counters *evidence_counters(const struct evidence_ctx *ev);

/* evidence_counters_json writes the counters as one JSON object (the stats event's
 * vigil.stats.output.evidence). */
void evidence_counters_json(const struct evidence_ctx *ev, struct jw *w, const char *key);
/* The same object from counters (e.g. summed over workers). */
void evidence_counters_json_c(const struct evidence_counters *c, struct jw *w, const char *key);

#endif
