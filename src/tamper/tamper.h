/* tamper.h - path-integrity detectors: someone on the path changed the traffic.
 *
 * The engine calls, per worker:
 *   - tamper_ctx_new/free;
 *   - tamper_packet for every packet that has a flow, after stream_packet and app_packet (TCP
 *     packets come with their struct stream_result, others with NULL);
 *   - tamper_dns_pair from the app layer's dns_pair hook (a second response to one DNS question),
 *     during app_packet of the packet that carried it, so just before that packet's tamper_packet;
 *   - tamper_flow_end from the flow-end hook: it judges the flow's held findings, emits each one
 *     through the callback (eve_tamper_alert writes the EVE alert), then frees flow->tamper;
 *   - tamper_counters for the stats event.
 *
 * What is detected (docs/tamper.md has the signals and how to confirm each by hand):
 *   - class "tcp_injection_race": two versions of the same TCP sequence range from one direction
 *     (QUANTUM INSERT and HoneyBadger-style injection). Subtypes: handshake_hijack (two SYN/ACKs),
 *     segment_veto (same seq, same length, different bytes), sloppy_injection (same seq, different
 *     length), coalesce_injection (out-of-order coalescing: contestants start at different
 *     sequence numbers, the first was queued out of order, or the overlap lies in bytes that a
 *     gap-filling segment released), close_injection (the overlap touches a FIN's sequence, or a
 *     sender's data lies past its own FIN).
 *   - class "forged_rst" (Weaver, Sommer, Paxson, "Detecting Forged TCP Reset Packets", NDSS
 *     2009): data_after_rst, rst_seq_jump, rst_ack_change, rst_race.
 *   - class "dns_race" (tamper_dns.c): one DNS query over UDP answered twice with different
 *     answers (same id and question): an on-path forger answers first, the resolver second.
 *   - class "http_race" (tamper_http.c): two versions of one TCP range that both start an HTTP
 *     response: one request answered by two different responses. Reported in addition to the
 *     tcp_injection_race finding of the same overlap (that one says a segment was raced, this one
 *     what the victim was answered).
 *   - class "inpath_rewrite" (tamper_inpath.c): an implant in the path rewrote or answered a
 *     response with its own IP/TCP stack: flow_departure (against the server's earlier packets
 *     in the flow), server_departure (against the server's earlier flows, host table).
 *   - class "injected_redirect" (tamper_inpath.c): a redirect to another registrable domain in
 *     departing packets (departing_redirect) or shaped like an injected answer (injected_shape).
 *     HTTP transactions reach it through tamper_http_tx (app hook http_tx).
 *   - classes "arp_spoof" and "nd_spoof" (tamper_lan.c, tamper_lan.h): an address claimed by a
 *     second MAC, a MAC asking for an address it claimed, gratuitous ARP storms, rogue or spoofed
 *     router advertisements, NA overrides. These have no flow: tamper_lan_packet judges every
 *     decoded packet and emits at once through its own callback (struct tamper_lan_finding).
 * Each finding carries both contestants, a verdict per contestant ("forged", "genuine",
 * "unknown") from comparing each one with the sender's baseline built WITHOUT the contestants (see
 * tamper_baseline.c), a 0-100 confidence and the reasons behind it.
 *
 * Findings are held per flow, one per signature (class, subtype) with a repeat count; the first
 * occurrence is the one reported. They are judged and emitted when the flow ends, so each carries
 * its final count and a baseline that includes the packets that followed the race.
 *
 * Memory: per-flow state comes from a pool and findings from a second pool, both sized at
 * tamper_ctx_new (calloc'd once, pages mapped lazily by the kernel); exhaustion is counted
 * (tamper_counters) and the flow or finding is skipped, never fatal.
 */
#ifndef VG_TAMPER_H
#define VG_TAMPER_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/packet.h"
#include "flow/flow.h"
#include "stream/stream.h"
#include "tamper/tamper_lan.h"

/* Built-in signatures, gid 1 (EVE-EXTENSIONS.md: sids 8,800,000-8,899,999). One row per
 * (class, subtype): X(id, sid, rev, class, subtype, severity, signature text). Subtypes are unique
 * (the stats event counts findings by subtype).
 * Severity 1 for different-bytes races (TCP, DNS answers, HTTP responses); 2 for forged resets,
 * whose evidence is behavioural and weaker (a middlebox may send them on purpose). */
#define TAMPER_SIG_MAP(X)                                                                          \
    X(TAMPER_SIG_HANDSHAKE_HIJACK, 8800001, 1, "tcp_injection_race", "handshake_hijack", 1,        \
      "VIGIL TAMPER TCP injection race: handshake hijack")                                         \
    X(TAMPER_SIG_SEGMENT_VETO, 8800002, 1, "tcp_injection_race", "segment_veto", 1,                \
      "VIGIL TAMPER TCP injection race: segment veto")                                             \
    X(TAMPER_SIG_SLOPPY_INJECTION, 8800003, 1, "tcp_injection_race", "sloppy_injection", 1,        \
      "VIGIL TAMPER TCP injection race: sloppy injection")                                         \
    X(TAMPER_SIG_COALESCE_INJECTION, 8800004, 1, "tcp_injection_race", "coalesce_injection", 1,    \
      "VIGIL TAMPER TCP injection race: out-of-order coalesce injection")                          \
    X(TAMPER_SIG_CLOSE_INJECTION, 8800005, 1, "tcp_injection_race", "close_injection", 1,          \
      "VIGIL TAMPER TCP injection race: injection at connection close")                            \
    X(TAMPER_SIG_RST_DATA_AFTER, 8800006, 1, "forged_rst", "data_after_rst", 2,                    \
      "VIGIL TAMPER forged TCP reset: sender continued after its reset")                           \
    X(TAMPER_SIG_RST_SEQ_JUMP, 8800007, 1, "forged_rst", "rst_seq_jump", 2,                        \
      "VIGIL TAMPER forged TCP reset: reset sequence jumps past data sent")                        \
    X(TAMPER_SIG_RST_ACK_CHANGE, 8800008, 1, "forged_rst", "rst_ack_change", 2,                    \
      "VIGIL TAMPER forged TCP reset: resets with differing acknowledgements")                     \
    X(TAMPER_SIG_RST_RACE, 8800009, 1, "forged_rst", "rst_race", 2,                                \
      "VIGIL TAMPER forged TCP reset: reset raced by data at its sequence")                        \
    X(TAMPER_SIG_DNS_RACE, 8800020, 1, "dns_race", "dns_answer_mismatch", 1,                       \
      "VIGIL TAMPER DNS race: two different answers to one query")                                 \
    X(TAMPER_SIG_HTTP_RACE, 8800021, 1, "http_race", "http_response_mismatch", 1,                  \
      "VIGIL TAMPER HTTP race: one request answered twice")                                        \
    X(TAMPER_SIG_INPATH_FLOW, 8800030, 1, "inpath_rewrite", "flow_departure", 1,                   \
      "VIGIL TAMPER in-path rewrite: response from another stack than the rest of the flow")       \
    X(TAMPER_SIG_INPATH_SERVER, 8800031, 1, "inpath_rewrite", "server_departure", 2,               \
      "VIGIL TAMPER in-path rewrite: server answered from another stack than its baseline")        \
    X(TAMPER_SIG_REDIRECT_DEPARTING, 8800032, 1, "injected_redirect", "departing_redirect", 1,     \
      "VIGIL TAMPER injected redirect: cross-domain redirect in departing packets")                \
    X(TAMPER_SIG_REDIRECT_SHAPE, 8800033, 1, "injected_redirect", "injected_shape", 2,             \
      "VIGIL TAMPER injected redirect: cross-domain redirect shaped like an injected answer")       \
    X(TAMPER_SIG_ARP_MAC_CHANGE, 8800040, 1, "arp_spoof", "mac_change", 1,                         \
      "VIGIL TAMPER ARP spoofing: address claimed by a second MAC")                                \
    X(TAMPER_SIG_ARP_STORM, 8800041, 1, "arp_spoof", "gratuitous_storm", 1,                        \
      "VIGIL TAMPER ARP spoofing: gratuitous/unsolicited ARP storm")                               \
    X(TAMPER_SIG_ARP_IMPERSONATION, 8800042, 1, "arp_spoof", "impersonation", 1,                   \
      "VIGIL TAMPER ARP spoofing: a MAC asks for an address it claimed")                           \
    X(TAMPER_SIG_ND_ROGUE_RA, 8800045, 1, "nd_spoof", "rogue_ra", 1,                               \
      "VIGIL TAMPER ND spoofing: rogue router advertisement")                                      \
    X(TAMPER_SIG_ND_RA_SPOOF, 8800046, 1, "nd_spoof", "ra_spoof", 1,                               \
      "VIGIL TAMPER ND spoofing: router advertisement from another MAC")                           \
    X(TAMPER_SIG_ND_NA_OVERRIDE, 8800047, 1, "nd_spoof", "na_override", 1,                         \
      "VIGIL TAMPER ND spoofing: neighbor advertisement overrides a binding")

enum tamper_sig {
#define TAMPER_SIG_ENUM(id, sid, rev, cls, sub, sev, msg) id,
    TAMPER_SIG_MAP(TAMPER_SIG_ENUM)
#undef TAMPER_SIG_ENUM
        TAMPER_SIG_COUNT
};

#define TAMPER_GID 1
#define TAMPER_CATEGORY "Traffic tampering"

/* Signature table lookups; an out-of-range id gives 0 / "" (never NULL). */
uint32_t tamper_sig_sid(int sig);
uint32_t tamper_sig_rev(int sig);
const char *tamper_sig_class(int sig);
const char *tamper_sig_subtype(int sig);
int tamper_sig_severity(int sig);
const char *tamper_sig_msg(int sig);

enum tamper_verdict { TAMPER_VERDICT_UNKNOWN, TAMPER_VERDICT_GENUINE, TAMPER_VERDICT_FORGED };
const char *tamper_verdict_str(int verdict); /* "unknown", "genuine", "forged" */

/* Fields in which a contestant departs from its sender's baseline (bit mask), in EVE order. */
#define TAMPER_FIELD_MAP(X)                                                                        \
    X(TAMPER_DEP_TTL, 0, "ttl")                                                                    \
    X(TAMPER_DEP_IP_ID, 1, "ip_id")                                                                \
    X(TAMPER_DEP_DF, 2, "df")                                                                      \
    X(TAMPER_DEP_TCP_OPTIONS, 3, "tcp_options")                                                    \
    X(TAMPER_DEP_WINDOW, 4, "window")                                                              \
    X(TAMPER_DEP_TS, 5, "ts")

enum tamper_field {
#define TAMPER_FIELD_ENUM(id, bit, name) id = 1u << (bit),
    TAMPER_FIELD_MAP(TAMPER_FIELD_ENUM)
#undef TAMPER_FIELD_ENUM
};
#define TAMPER_FIELD_COUNT 6
const char *tamper_field_name(unsigned bit_index); /* 0..5 -> "ttl" ... "ts"; else "" */

/* Payload bytes kept per contestant; longer payloads are cut and marked payload_truncated. */
#define TAMPER_PAYLOAD_MAX 4096
/* Application-layer text kept per contestant (dns_race answers, http_race Location) and the
 * question of a dns_race; longer text is cut and marked app_text_truncated. */
#define TAMPER_DNS_ANSWERS_MAX 384 /* = DNS_TXN_TEXT_MAX (app/dns/dns.h) */
#define TAMPER_HTTP_LOCATION_MAX 256
#define TAMPER_QNAME_MAX 256
#define TAMPER_MAX_REASONS 8
#define TAMPER_REASON_LEN 384

/* One version of the contested sequence range (or the RST / FIN / data packet of a forged_rst or
 * close finding), as it looked on the wire. */
struct tamper_contestant {
    uint64_t pcap_cnt;
    struct vg_ts ts;
    uint32_t seq; /* absolute sequence number (tshark: tcp.seq_raw) */
    uint32_t ack; /* absolute ack number; meaningful when tcp_flags has ACK (0 if unknown) */
    uint32_t len; /* TCP payload length on the wire */
    uint8_t ttl;
    uint8_t tcp_flags;
    uint16_t ip_id;
    bool df;
    uint16_t window; /* raw window field */
    struct vg_tcp_opts opts;
    uint8_t verdict;        /* enum tamper_verdict */
    uint8_t departs;        /* enum tamper_field bits */
    bool payload_truncated; /* payload holds fewer bytes than len (cap, or only partly held) */
    uint32_t payload_seq;   /* sequence number of payload[0] */
    uint32_t payload_len;
    /* Application layer: dns_race (UDP; the TCP fields above are zero) and http_race. */
    bool app_text_truncated; /* dns_answers or http_location was cut */
    uint8_t dns_rcode;       /* dns_race: response code (extended, capped at 255) */
    uint16_t dns_nanswers;   /* dns_race: answer records (OPT excluded) */
    int64_t delay_us;        /* dns_race: time since the query; -1 when the query was not seen */
    char dns_answers[TAMPER_DNS_ANSWERS_MAX];     /* "owner TYPE rdata; ..." in wire order */
    int32_t http_status;                          /* http_race: status code, 0 when not parsed */
    int64_t http_content_length;                  /* http_race: -1 when absent */
    char http_location[TAMPER_HTTP_LOCATION_MAX]; /* http_race: Location header, "" when absent */
    uint8_t payload[TAMPER_PAYLOAD_MAX];
};

/* The sender's baseline as reported with a finding (what the contestants were judged against). */
struct tamper_baseline_summary {
    uint32_t samples;        /* packets of the sender in the flow, contestants excluded */
    uint32_t samples_before; /* of those, sent before the first contestant */
    uint8_t n_ttl;
    uint8_t ttl[4];      /* TTL values seen, most frequent first */
    uint8_t initial_ttl; /* 32/64/128/255 inferred from ttl[0]; 0 when unknown */
    uint8_t hops;        /* initial_ttl - ttl[0] */
    const char *ip_id;   /* "incrementing", "zero", "random", "copies_peer", "unknown" */
    int8_t df;           /* -1 unknown, 0, 1 (majority) */
    bool has_options;
    uint8_t layout_len; /* most frequent option layout of non-SYN segments */
    uint8_t layout[16];
    bool has_window;
    uint16_t window; /* most frequent raw window of non-SYN segments */
    int16_t wscale;  /* from the sender's SYN / SYN-ACK; -1 when not seen */
    uint32_t ts_hz;  /* timestamp clock estimate; 0 when unknown */
};

struct tamper_finding {
    int sig;            /* enum tamper_sig */
    int dir;            /* FLOW_TOSERVER / FLOW_TOCLIENT: the contestants' direction */
    uint32_t count;     /* occurrences of this signature in the flow (>= 1) */
    uint8_t confidence; /* 0-100 */
    /* Races: the overlapping range and how many of its bytes differ (0 when not applicable). */
    uint32_t ov_seq, ov_len, diff_bytes;
    struct tamper_contestant c[2]; /* c[0] arrived first */
    struct tamper_baseline_summary baseline;
    uint8_t n_reasons;
    char reasons[TAMPER_MAX_REASONS][TAMPER_REASON_LEN];
    /* 0: both contestants are reported; 1: only c[0] (an in-path finding whose flow has no
     * genuine packet of the sender to show, e.g. a server_departure). */
    uint8_t n_contestants;
    /* inpath_rewrite / injected_redirect: the server's baseline over earlier flows (host table)
     * and the redirect. */
    struct {
        bool valid;
        uint32_t flows;      /* earlier flows of the server that agreed */
        uint8_t initial_ttl; /* their fingerprint */
        uint8_t hops_min, hops_max;
        int8_t df, ts; /* -1 unknown */
        uint32_t http_responses;
        char tcp_options[64];
        char server_header[64];
    } host;
    struct {
        bool valid;
        int32_t status;
        const char *kind; /* "http_30x", "meta_refresh", "script" */
        char location[TAMPER_HTTP_LOCATION_MAX];
        char target_domain[96];
        char host_domain[96];
    } redirect;
    /* dns_race: the question both responses answer. */
    struct {
        bool query_seen;
        uint16_t id, qtype, qclass;
        uint64_t query_pcap_cnt; /* 0 when the query was not seen */
        struct vg_ts query_ts;
        char qname[TAMPER_QNAME_MAX];
    } dns;
};

typedef void (*tamper_emit_fn)(const struct flow *f, const struct tamper_finding *fd, void *ud);

struct tamper_config {
    uint32_t max_flows;      /* TCP flows with tamper state at once; default 65536 */
    uint32_t max_findings;   /* findings held at once (all flows); default 4096 */
    uint32_t race_window_ms; /* "shortly after" for rst_race; default 1000 */
    uint32_t reorder_ms;     /* data after a RST within this time and below its seq is tolerated as
                              * reordering; default 200 */
    uint32_t max_dns_flows;  /* of max_flows, UDP DNS flows with tamper state at once (so that
                              * DNS traffic cannot starve TCP flows); default 16384 */
    uint8_t min_confidence;  /* findings below it are counted (below_threshold), not emitted;
                              * default 0 (see docs/tamper.md, "Threshold") */
    uint32_t max_hosts;      /* server host table entries (in-path baselines); default 4096 */
    uint32_t host_age_s;     /* a host entry idle this long (packet time) is stale; default 900 */
    uint32_t lan_max_bindings; /* IP->MAC bindings held at once (tamper_lan.c); default 4096 */
    uint32_t lan_max_macs;     /* MACs tracked at once; default 4096 */
};

struct tamper_counters {
    uint64_t flows;         /* flows that got tamper state */
    uint64_t no_state_pkts; /* TCP packets seen without tamper state (flow pool exhausted) */
    uint64_t finding_pool_exhausted; /* findings dropped for want of a slot */
    uint64_t facts;                  /* stream facts received */
    uint64_t keepalive_overlaps;     /* 1-byte keep-alive probes whose garbage octet differed */
    uint64_t synack_after_syn_retransmit; /* SYN/ACK races explained by a retransmitted SYN */
    uint64_t findings[TAMPER_SIG_COUNT];  /* distinct findings emitted, per signature */
    uint64_t repeats;                     /* occurrences folded into an existing finding's count */
    uint64_t dns_pairs;                   /* second responses to one DNS question (dns_pair hook) */
    uint64_t dns_pairs_identical; /* of those: identical answer sets (duplicates, retries) */
    uint64_t dns_pairs_skipped;   /* different, but not a race: see tamper_dns.c (TCP, mDNS,
                                   * truncated or malformed responses) */
    uint64_t dns_no_state_pkts;   /* packets of UDP DNS flows left without tamper state (the
                                   * max_dns_flows cap, or the pool) */
    uint64_t http_parse_nomem;    /* http_race heads not parsed: no parser state */
    uint64_t below_threshold;     /* findings judged below cfg.min_confidence: not emitted */
    /* in-path detectors (tamper_inpath.c) */
    uint64_t inpath_candidates;   /* candidates held (departing packets, cross-domain redirects) */
    uint64_t inpath_dismissed;    /* candidates that did not pass their gate at flow end */
    uint64_t host_entries;        /* server host table: entries in use now */
    uint64_t host_capacity;       /* its fixed number of entries */
    uint64_t host_memory_bytes;   /* its memory (allocated once) */
    uint64_t host_inserts;        /* servers entered */
    uint64_t host_evictions;      /* entries replaced (stale or displaced) */
    uint64_t host_cap_hits;       /* inserts that displaced a fresh entry (table full) */
    struct tamper_lan_counters lan; /* ARP / ND spoofing (tamper_lan.c) */
};

struct tamper_ctx;

void tamper_config_default(struct tamper_config *cfg);

/* tamper_ctx_new allocates the context and its pools (cfg NULL: defaults). NULL on OOM.
 * tamper_ctx_free(NULL) is a no-op; flows must have been ended first (their state lives in the
 * pools being freed). */
struct tamper_ctx *tamper_ctx_new(void);
struct tamper_ctx *tamper_ctx_new_with(const struct tamper_config *cfg);
void tamper_ctx_free(struct tamper_ctx *ctx);

/* tamper_packet: p has flow f (never NULL here) in direction dir; sr is the stream result for TCP
 * packets and NULL otherwise. Allocates f->tamper from the pool on the first TCP packet, and on
 * the first packet of a UDP flow that the app layer detected as DNS (f->app_proto, set by
 * app_packet, which runs first): the resolver's baseline must be fed from the start. The payload
 * pointers of sr and p are used only during the call (contestant bytes are copied). */
void tamper_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir,
                   const struct stream_result *sr);

/* tamper_dns_pair takes a second (or later) response to one DNS question of flow f, as the DNS
 * pairing reports it (app/dns/dns.h; the pair and its strings are only read during the call).
 * Identical answer sets stay silent (counted); different ones over UDP become one dns_race finding
 * per flow (repeats counted). The pair does not say which side sent it: the finding is completed
 * by the tamper_packet call of the packet that carried the second response (pcap_cnt), which the
 * engine makes right after app_packet returns. */
struct dns_response_pair;
void tamper_dns_pair(struct tamper_ctx *ctx, struct flow *f, const struct dns_response_pair *pair);

/* tamper_flow_end judges and emits f's findings (if any) through emit (which may be NULL to drop
 * them), in signature order, then returns f->tamper to the pool and sets it NULL. The finding
 * passed to emit is valid only during the call. */
void tamper_flow_end(struct tamper_ctx *ctx, struct flow *f, tamper_emit_fn emit, void *ud);

const struct tamper_counters *tamper_counters(const struct tamper_ctx *ctx);

/* tamper_http_tx takes a completed HTTP transaction of flow f (app hook http_tx; p is the packet
 * during whose app_packet call it completed, before that packet's tamper_packet). It feeds the
 * server's header fingerprint in the host table and holds a cross-domain redirect (30x Location,
 * meta refresh, script navigation) as an injected_redirect candidate, judged at flow end. */
struct http_tx;
void tamper_http_tx(struct tamper_ctx *ctx, struct flow *f, const struct packet *p,
                    const struct http_tx *tx);

/* tamper_take_trigger: true once after a tamper_packet / tamper_http_tx call that raised an
 * in-path candidate (the engine then keeps the flow's packets as evidence). */
bool tamper_take_trigger(struct tamper_ctx *ctx);

/* tamper_options_str writes an option layout as "MSS,NOP,WS,NOP,NOP,TS" into buf (size n, at
 * least 1) and returns buf; an empty layout gives "". */
const char *tamper_options_str(const uint8_t *layout, unsigned len, char *buf, unsigned n);

#endif
