/* flow.h - the bidirectional flow table.
 *
 * A flow is keyed by the unordered pair of (address, port) ends plus IP protocol, VLAN ids and
 * tunnel id (so that two VLANs or two VXLAN segments reusing the same addresses stay apart). The key
 * is hashed symmetrically (XXH3 over the normalised key), so both directions find the same flow.
 * The client is the side that sent the first packet, except that a first TCP packet with SYN+ACK
 * makes its receiver the client.
 *
 * Storage: one preallocated array of struct flow (the pool, `max_flows` entries, mapped lazily by
 * the kernel), an open-addressing index of 32-bit pool positions with linear probing and
 * backward-shift deletion (no tombstones) that grows with the active flows, and one LRU list per
 * timeout class so that the oldest flow
 * of a class is always at its head: expiry is O(expired) and emergency eviction is O(1).
 * Owned by one worker; no locks.
 */
#ifndef VG_FLOW_H
#define VG_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vg_addr.h"
#include "core/vg_time.h"
#include "decode/packet.h"

/* Timeout classes; each has its own LRU list and timeout. */
enum flow_tclass {
    FLOW_TC_TCP_NEW,    /* handshake not complete */
    FLOW_TC_TCP_EST,    /* established */
    FLOW_TC_TCP_CLOSED, /* FIN both ways or RST */
    FLOW_TC_UDP_NEW,    /* UDP, one direction seen */
    FLOW_TC_UDP_EST,    /* UDP, both directions */
    FLOW_TC_ICMP,
    FLOW_TC_OTHER,
    FLOW_TC_COUNT
};

enum flow_end_reason { FLOW_END_NONE, FLOW_END_TIMEOUT, FLOW_END_FORCED, FLOW_END_SHUTDOWN,
                       FLOW_END_TCP_REUSE };

/* Simplified TCP connection state, as far as the flow layer sees it from flags (the stream module
 * tracks the real state machine). Names follow Suricata's tcp.state values. */
enum flow_tcp_state { FLOW_TCP_NONE, FLOW_TCP_SYN_SENT, FLOW_TCP_SYN_RECV, FLOW_TCP_ESTABLISHED,
                      FLOW_TCP_FIN_WAIT1, FLOW_TCP_CLOSING, FLOW_TCP_CLOSED };

/* Packet direction relative to the flow. */
enum { FLOW_TOSERVER = 0, FLOW_TOCLIENT = 1 };

struct stream_tcp;   /* stream/stream.h: TCP state and reassembly of this flow */
struct tamper_flow;  /* tamper/tamper.h: baselines and findings of this flow */
struct app_flow;     /* app/app.h: protocol detection and parser state of this flow */

struct flow {
    /* Key, oriented client → server. */
    struct vg_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto;
    uint8_t vlan_cnt;
    uint16_t vlan[2];
    uint32_t tunnel_id;
    uint64_t hash;

    uint64_t flow_id;        /* EVE flow_id: stable for the same key and start time */
    struct vg_ts start, last;
    uint64_t pkts[2], bytes[2]; /* [FLOW_TOSERVER], [FLOW_TOCLIENT]; bytes = caplen, as Suricata */
    uint8_t tcp_flags[2];       /* flags ORed per direction */
    uint8_t tcp_state;          /* enum flow_tcp_state */
    uint8_t tclass;             /* enum flow_tclass: which LRU list it is on */
    uint8_t end_reason;         /* enum flow_end_reason, set when it ends */
    uint8_t icmp_type, icmp_code, resp_icmp_type, resp_icmp_code;
    bool resp_icmp_seen;
    bool alerted;
    uint64_t first_pcap_cnt;

    /* Per-flow state of later stages, owned by those modules and freed from the flow-end hook. */
    struct stream_tcp *tcp;
    struct tamper_flow *tamper;
    struct app_flow *app;
    uint8_t app_proto;          /* enum app_proto_id (app/app.h) */

    /* Table bookkeeping (flow_table.c only). */
    uint32_t lru_prev, lru_next;
    uint32_t slot;
};

struct flow_config {
    uint32_t max_flows;                 /* the memcap, in flows; default 262144 */
    uint32_t timeout_s[FLOW_TC_COUNT];  /* seconds of inactivity per class */
};

struct flow_counters {
    uint64_t total, tcp, udp, icmpv4, icmpv6, other; /* flows created */
    uint64_t active;                                /* flows in the table now */
    uint64_t active_max;                            /* most flows in the table at once */
    uint64_t ended_timeout, ended_forced, ended_shutdown, ended_tcp_reuse;
    uint64_t memcap_hits;                           /* creations that had to evict (emergency) */
    uint64_t no_flow;                               /* packets that cannot have a flow (no IP) */
};

struct flow_table;

/* Called for every flow that ends (timeout, eviction, reuse, shutdown) just before its slot is
 * reused; the flow is valid only during the call. */
typedef void (*flow_end_fn)(struct flow *f, void *ud);

void flow_config_default(struct flow_config *cfg);

/* flow_table_new allocates the pool and the index; cfg NULL means defaults. on_end may be NULL. */
struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn on_end, void *ud);
void flow_table_free(struct flow_table *ft); /* does not call on_end; flush first */

/* flow_table_get finds or creates the flow of a decoded packet, updates its counters, flags and
 * timeout class, and sets *dir. Returns NULL for packets that have no flow (no IP layer, or a
 * fragment that was not reassembled). Ending flows (reuse, eviction) go through on_end first. */
struct flow *flow_table_get(struct flow_table *ft, const struct packet *p, int *dir);

/* flow_table_expire ends flows idle past their class timeout at packet time `now`; it examines at
 * most `budget` flows (bounded work per call) and returns how many it ended. */
unsigned flow_table_expire(struct flow_table *ft, struct vg_ts now, unsigned budget);

/* flow_table_flush ends every flow with reason `reason` (FLOW_END_SHUTDOWN at end of input), in
 * order of last activity (oldest first, deterministic). */
void flow_table_flush(struct flow_table *ft, int reason);

const struct flow_counters *flow_table_counters(const struct flow_table *ft);

/* Strings for EVE: "timeout", "forced", "shutdown", "tcp_reuse"; "new"/"established"/"closed";
 * Suricata's tcp.state names. */
const char *flow_end_reason_str(int reason);
const char *flow_state_str(const struct flow *f);
const char *flow_tcp_state_str(int tcp_state);

#endif
