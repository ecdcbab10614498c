/* dns.h - DNS over UDP and TCP: message parser, TCP framing, probes, query/response pairing.
 *
 * RFC 1035 (messages, names, compression), RFC 3596 (AAAA), RFC 2782 (SRV), RFC 9460 (SVCB/HTTPS),
 * RFC 6891 (EDNS0 OPT), RFC 7766 (DNS over TCP: 2-byte length prefix), RFC 3597 (unknown types as
 * "\# len hex"), RFC 4034 / 4255 (SSHFP text form).
 *
 * Three layers, each usable alone:
 *   - dns_parse_message: one complete message (a UDP payload, or a TCP message without its length
 *     prefix) into a struct dns_msg whose strings live in a caller-provided arena (no malloc).
 *   - dns_tcp_*: the per-flow TCP framing state; bytes may arrive in any split, one at a time.
 *   - dns_txn_*: per-flow pairing of responses with queries, and the report of a second response
 *     to the same question (identical duplicate, or different answers: a DNS race for tamper).
 * Hostile input never crashes or aborts: it becomes anomaly ids (core/vg_anomaly.h, type
 * "applayer", names as Suricata's DNS events) listed in the message.
 *
 * Text forms (all strings are NUL-terminated, printable ASCII):
 *   - names: labels joined by '.', without the trailing dot; the root is "" (as Suricata logs it);
 *     label bytes outside 0x21..0x7e are written as \DDD (decimal, like dig), and '.' and '\'
 *     inside a label as "\." and "\\". Case is kept as on the wire.
 *   - rdata: A "192.0.2.1"; AAAA as inet_ntop (RFC 5952); CNAME/NS/PTR/DNAME the name; MX
 *     "pref exchange"; TXT each string in double quotes, separated by one space, with '"' and '\'
 *     escaped and other bytes outside 0x20..0x7e as \DDD (dig's form); SOA "mname rname serial
 *     refresh retry expire minimum"; SRV "priority weight port target"; SVCB/HTTPS "priority
 *     target key=value..." with alpn, no-default-alpn, port, ipv4hint, ipv6hint, ech (base64),
 *     mandatory, others "keyN=hex"; SSHFP "algo type hex"; OPT "udp=N ext_rcode=N version=N
 *     flags=HEX[ opt<code>=hex...]"; every other type, and any rdata that does not decode,
 *     "\# <len> <hex>" (RFC 3597). In composite rdata (MX, SRV, SOA, SVCB) the root name is ".".
 */
#ifndef VG_DNS_H
#define VG_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vg_time.h"

/* Record types with a decoder (others are kept as RFC 3597 text). */
enum dns_rrtype {
    DNS_TYPE_A = 1,
    DNS_TYPE_NS = 2,
    DNS_TYPE_CNAME = 5,
    DNS_TYPE_SOA = 6,
    DNS_TYPE_NULL = 10,
    DNS_TYPE_PTR = 12,
    DNS_TYPE_MX = 15,
    DNS_TYPE_TXT = 16,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_SRV = 33,
    DNS_TYPE_DNAME = 39,
    DNS_TYPE_OPT = 41,
    DNS_TYPE_SSHFP = 44,
    DNS_TYPE_SVCB = 64,
    DNS_TYPE_HTTPS = 65,
};

/* Limits. A message that exceeds one is parsed as far as the limit, flagged `truncated`, and gets
 * an anomaly; nothing is ever written past a bound. */
#define DNS_MAX_QUESTIONS 8 /* questions kept (the rest are parsed and skipped) */
#define DNS_MAX_RRS 256     /* records kept per section */
#define DNS_MAX_ANOMALIES 8 /* distinct anomaly ids kept per message */
#define DNS_NAME_MAX 255    /* wire length of a name, RFC 1035 2.3.4 */
#define DNS_LABEL_MAX 63
#define DNS_HOP_LIMIT 64                 /* compression pointers followed per name */
#define DNS_ARENA_DEFAULT (256u * 1024u) /* suggested arena size: any sane message fits */

/* Directions, equal to flow.h's FLOW_TOSERVER / FLOW_TOCLIENT. */
enum { DNS_TOSERVER = 0, DNS_TOCLIENT = 1 };

/* ---- arena -------------------------------------------------------------------------------- */

/* A bump allocator over a caller-owned buffer. dns_parse_message allocates its strings and record
 * arrays here and never resets it: reset before each message whose predecessor is no longer
 * needed. When the buffer is full, allocations fail, `full` is set, and the parser degrades
 * (strings cut short or empty, records dropped), flags the message `truncated` and raises
 * dns.arena_full. */
struct dns_arena {
    uint8_t *buf; /* not owned */
    size_t cap, used;
    bool full; /* an allocation failed since the last reset */
};

void dns_arena_init(struct dns_arena *a, void *buf, size_t cap);
static inline void dns_arena_reset(struct dns_arena *a)
{
    a->used = 0;
    a->full = false;
}

/* ---- parsed message ----------------------------------------------------------------------- */

/* Flags of a question or record. */
#define DNS_RR_NAME_TRUNC 0x01  /* owner name longer than 255 bytes: text cut short */
#define DNS_RR_RDATA_TRUNC 0x02 /* a name in the rdata was too long, or the arena was full */
#define DNS_RR_BAD_RDATA 0x04   /* rdata did not decode for its type: text is "\# len hex" */

struct dns_question {
    const char *name; /* arena */
    uint16_t type, qclass;
    uint8_t flags; /* DNS_RR_* */
};

struct dns_edns_opt {
    uint16_t code;
    const char *hex; /* option data, lowercase hex ("" when empty) */
};

enum dns_section { DNS_SEC_ANSWER, DNS_SEC_AUTHORITY, DNS_SEC_ADDITIONAL, DNS_SEC_COUNT };

struct dns_rr {
    const char *name;      /* owner name (arena) */
    const char *rdata;     /* rdata as text (arena), see the top of this file */
    uint32_t ttl;          /* for OPT: the raw 32 bits (ext_rcode, version, flags) */
    uint16_t type, rclass; /* for OPT: rclass is the UDP payload size */
    uint16_t rdlen;        /* rdata length on the wire */
    uint8_t flags;         /* DNS_RR_* */
    /* Typed views for the EVE writer and detectors; valid for the type named (and only when
     * DNS_RR_BAD_RDATA is clear). Strings point into the arena, often into `rdata` itself. */
    union {
        uint8_t addr[16];   /* A (first 4 bytes), AAAA */
        const char *target; /* CNAME, NS, PTR, DNAME */
        struct {
            uint16_t pref;
            const char *exchange;
        } mx;
        struct {
            uint16_t count;
            const char *const *s; /* each string escaped as \DDD / "\\", without quotes */
        } txt;
        struct {
            const char *mname, *rname;
            uint32_t serial, refresh, retry, expire, minimum;
        } soa;
        struct {
            uint16_t priority, weight, port;
            const char *target;
        } srv;
        struct {
            uint16_t priority;
            const char *target;
            const char *params; /* "key=value ..." or "" */
        } svcb;
        struct {
            uint8_t algo, fptype;
            const char *hex; /* fingerprint, lowercase hex */
        } sshfp;
        struct {
            uint16_t count;
            const struct dns_edns_opt *opts;
        } opt;
        struct {
            const uint8_t *p; /* NULL (type 10): the rdata bytes, copied to the arena */
            uint16_t len;
        } raw;
    } u;
};

struct dns_msg {
    /* Header (RFC 1035 4.1.1). */
    uint16_t id;
    uint16_t flags; /* the raw flags word */
    bool qr, aa, tc, rd, ra, z, ad, cd;
    uint8_t opcode;
    uint8_t rcode;                               /* the header's 4 bits */
    uint16_t qdcount, ancount, nscount, arcount; /* as declared */

    uint16_t nq; /* questions kept, <= DNS_MAX_QUESTIONS */
    struct dns_question q[DNS_MAX_QUESTIONS];

    /* Records per section (arena arrays); OPT stays in the additional section. */
    struct dns_rr *rr[DNS_SEC_COUNT];
    uint16_t nrr[DNS_SEC_COUNT];

    /* EDNS (RFC 6891), from the first OPT record. */
    bool has_edns, edns_do;
    uint8_t edns_version;
    uint16_t edns_udp_size;
    uint16_t ext_rcode; /* 12-bit rcode: (OPT's upper 8 bits << 4) | rcode */

    bool malformed;  /* parsing stopped early: the sections after the fault are missing */
    bool truncated;  /* arena or record limits: some data was parsed but not kept */
    size_t wire_len; /* bytes of the message actually parsed */

    uint8_t nanom;
    uint16_t anom[DNS_MAX_ANOMALIES]; /* enum vg_anomaly ids, each at most once */
};

/* dns_parse_message parses one DNS message of len bytes into *out (overwritten) with strings and
 * arrays in `arena`. `msg` is only read during the call; nothing in *out points into it.
 * Returns VG_OK when the header and the questions parsed (later faults are anomalies with
 * out->malformed set, and what was parsed before them is kept), VG_ERR_FORMAT when a question
 * did not parse (header and earlier questions are kept), VG_ERR_TRUNCATED when the 12-byte header
 * is not there. Every path fills out->anom; none allocates outside the arena. */
int dns_parse_message(const uint8_t *msg, size_t len, struct dns_msg *out, struct dns_arena *arena);

/* dns_msg_check_dir raises dns.not_a_request for a response sent to the server and
 * dns.not_a_response for a query sent to the client (dir: DNS_TOSERVER / DNS_TOCLIENT). */
void dns_msg_check_dir(struct dns_msg *m, int dir);

/* dns_msg_add_anomaly records anomaly id `anom` once (silently dropped beyond DNS_MAX_ANOMALIES);
 * dns_msg_has_anomaly tells whether it is recorded. */
void dns_msg_add_anomaly(struct dns_msg *m, int anom);
bool dns_msg_has_anomaly(const struct dns_msg *m, int anom);

/* Names for EVE: "A", "AAAA", "HTTPS" ... as Suricata writes them, or the number ("65534") for a
 * type Suricata has no name for; "NOERROR", "NXDOMAIN" ... or the number. buf holds 8 bytes. */
const char *dns_rrtype_str(uint16_t type, char *buf8);
const char *dns_rcode_str(uint8_t rcode, char *buf8);

/* ---- probes -------------------------------------------------------------------------------- */

/* Content heuristics, whatever the port: a sane header (opcode 0,1,2,4,5; 1..8 questions; record
 * counts that fit the length; a query carries no answers) and a first question that parses with a
 * known class. dns_probe_udp gets one datagram: VG_OK or VG_DECLINED. dns_probe_tcp gets the
 * first bytes of a stream (length prefix included): VG_OK, VG_DECLINED, or VG_AGAIN while the
 * prefix, the header or the first question is still incomplete. */
int dns_probe_udp(const uint8_t *data, size_t len);
int dns_probe_tcp(const uint8_t *data, size_t len);

/* ---- TCP framing (RFC 7766) ---------------------------------------------------------------- */

struct dns_tcp_state;

struct dns_tcp_counters {
    uint64_t msgs;         /* messages framed and parsed */
    uint64_t zero_len;     /* length prefixes of 0 (skipped) */
    uint64_t lost_partial; /* partial messages dropped at a gap */
    uint64_t resyncs;      /* framing regained by probing after a gap */
    uint64_t resync_drops; /* chunks dropped while the framing was lost */
    uint64_t nomem;        /* messages skipped because the message buffer could not grow */
};

/* emit receives each complete message of direction dir: m is the parse result (status as
 * dns_parse_message returned, with dns_msg_check_dir applied) and raw/rawlen its bytes without the
 * prefix. m, its strings and raw are valid only during the call (the arena is reset before the
 * next message). */
typedef void (*dns_emit_fn)(void *ud, int dir, struct dns_msg *m, int status, const uint8_t *raw,
                            size_t rawlen);

/* dns_tcp_state_new: per-flow framing state (one allocation; the message buffer of each direction
 * grows on demand to the largest split message seen, at most 65535 bytes). `arena` is the
 * worker's parse arena: not owned, reset before each message. NULL on allocation failure. */
struct dns_tcp_state *dns_tcp_state_new(struct dns_arena *arena);
void dns_tcp_state_free(struct dns_tcp_state *st); /* NULL is a no-op */

/* dns_tcp_parse feeds in-order stream bytes of one direction; any split is fine. A message that
 * lies whole inside `data` is parsed in place (no copy); a split one is collected first. `ts` is
 * the time of the segment. Returns VG_OK, or VG_ERR_USAGE for a bad argument. */
int dns_tcp_parse(struct dns_tcp_state *st, int dir, const uint8_t *data, size_t len,
                  struct vg_ts ts, dns_emit_fn emit, void *ud);

/* dns_tcp_gap: len bytes of direction dir were lost. Inside a message whose end lies beyond the
 * gap, the partial message is dropped and the rest of it skipped (framing kept); otherwise the
 * framing is lost and the next chunk is accepted only when dns_probe_tcp accepts its start
 * (Suricata's behaviour); chunks it declines are dropped and counted. */
void dns_tcp_gap(struct dns_tcp_state *st, int dir, size_t len);

const struct dns_tcp_counters *dns_tcp_counters(const struct dns_tcp_state *st);

/* ---- pairing and races --------------------------------------------------------------------- */

/* What the caller knows about the packet that carried a message (the last segment for TCP). */
struct dns_pkt_meta {
    struct vg_ts ts;
    uint64_t pcap_cnt;
    uint8_t ip_ver; /* 4 or 6 */
    uint8_t ttl;    /* IPv4 TTL / IPv6 hop limit */
    uint16_t ip_id; /* IPv4 identification; 0 for IPv6 */
};

#define DNS_TXN_TEXT_MAX 384 /* answer-set text kept per response, NUL included */

/* One contestant of a response pair. */
struct dns_resp_info {
    struct dns_pkt_meta meta;
    uint16_t flags; /* raw header flags */
    uint8_t rcode;
    uint16_t nanswers;      /* answer records (OPT excluded) */
    uint64_t digest;        /* of rcode + the answer set, independent of record order and TTLs */
    const char *answers;    /* "owner TYPE rdata; ..." in wire order; valid during the callback */
    bool answers_truncated; /* text cut at DNS_TXN_TEXT_MAX (the digest covers everything) */
    bool incomplete;        /* the message was malformed or truncated: its set may be partial */
};

/* A second (or later) response to the same (id, question) in one flow. `identical` is true when
 * rcode and the set of (owner, type, rdata) are equal - names compared case-insensitively, TTLs
 * and order ignored: a duplicate (retransmission, resolver retry) that tamper keeps silent; false
 * means the answers differ: a DNS race (one of the two was likely forged). */
struct dns_response_pair {
    uint16_t id;
    uint16_t qtype, qclass;
    const char *qname;     /* from the latest response */
    bool query_seen;       /* false when both responses came without a query */
    struct vg_ts query_ts; /* valid when query_seen */
    uint64_t query_pcap_cnt;
    unsigned nth; /* 2 for the second response, 3 for the third ... */
    bool identical;
    struct dns_resp_info first, second; /* `second` is the one that just arrived */
};

typedef void (*dns_race_fn)(void *ud, const struct dns_response_pair *pair);

struct dns_txn_config {
    uint16_t max_entries; /* outstanding questions per flow; default 64, at most 1024 */
    uint32_t timeout_ms;  /* an entry lives this long after its query (or first response) */
};

struct dns_txn_counters {
    uint64_t queries, retransmits, responses;
    uint64_t unsolicited;   /* responses to no known query */
    uint64_t dup_identical; /* later responses with the same answers */
    uint64_t dup_different; /* later responses with different answers (races) */
    uint64_t evicted;       /* entries pushed out by a full table */
    uint64_t expired_unanswered;
    uint64_t ignored; /* messages without a question to key on */
};

enum dns_txn_kind {
    DNS_TXN_IGNORED = 0,          /* no question to key on (or no table) */
    DNS_TXN_QUERY,                /* a new outstanding query */
    DNS_TXN_QUERY_RETRANSMIT,     /* the same (id, question) again */
    DNS_TXN_RESPONSE,             /* the first response to a known query */
    DNS_TXN_RESPONSE_DUP,         /* a later response: the pair went to on_pair */
    DNS_TXN_RESPONSE_UNSOLICITED, /* no query seen (dns.unsolicited_response) */
};

struct dns_txn_result {
    int kind;       /* enum dns_txn_kind */
    int64_t rtt_us; /* DNS_TXN_RESPONSE with its query seen: response time - query time */
    bool identical; /* DNS_TXN_RESPONSE_DUP: as in the pair */
};

struct dns_txn_table;

void dns_txn_config_default(struct dns_txn_config *cfg);

/* dns_txn_new: per-flow table (cfg NULL = defaults). Starts with room for 4 entries and doubles up
 * to max_entries (a handful of allocations over a flow's life, never one per message). */
struct dns_txn_table *dns_txn_new(const struct dns_txn_config *cfg);
void dns_txn_free(struct dns_txn_table *t); /* NULL is a no-op */

/* dns_txn_observe records a parsed message of the flow: a query (QR=0) becomes an outstanding
 * entry keyed by (id, first qname case-insensitively, qtype, qclass); a response (QR=1) is matched
 * to its entry (by id alone when it carries no question). The first response is remembered (rcode,
 * answer digest and text, packet meta) until the entry times out, so that a second response to
 * the same question is reported through on_pair (may be NULL) with both contestants, identical or
 * not. A response to no query is flagged (dns.unsolicited_response) and remembered too, so that
 * two unsolicited responses still pair. A full table evicts its oldest entry (dns.flooded).
 * Anomalies are added to m. Entries older than timeout_ms at meta->ts are dropped first (at most
 * max_entries looked at). Returns VG_OK, or VG_ERR_USAGE for NULL arguments. */
int dns_txn_observe(struct dns_txn_table *t, struct dns_msg *m, const struct dns_pkt_meta *meta,
                    dns_race_fn on_pair, void *ud, struct dns_txn_result *res);

/* Entries held now, and the counters. */
unsigned dns_txn_pending(const struct dns_txn_table *t);
const struct dns_txn_counters *dns_txn_counters(const struct dns_txn_table *t);

/* dns_answers_text writes the answer set of m as "owner TYPE rdata; ..." (OPT excluded) into
 * buf (cap bytes, NUL-terminated) and returns true when it fit whole. dns_answers_digest returns
 * the order- and TTL-independent digest used for `identical`. Shared with tamper and tests. */
bool dns_answers_text(const struct dns_msg *m, char *buf, size_t cap);
uint64_t dns_answers_digest(const struct dns_msg *m);

#endif
