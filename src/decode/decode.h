/* decode.h - link, network and transport decoders (Ethernet, 802.1Q/802.1ad, MPLS, PPPoE, SLL,
 * SLL2, NULL/LOOP, raw IP, IPv4, IPv6 + extension headers, IPv4/IPv6 defragmentation, TCP, UDP,
 * ICMP/ICMPv6, GRE, VXLAN).
 *
 * Hand-written on purpose: a general dissector library (libwireshark) would cost an order of
 * magnitude in speed and allocate per packet. Every read goes through core/vg_reader.h.
 * Malformed input never fails the call: it becomes anomaly ids on the packet and counters here.
 */
#ifndef VG_DECODE_H
#define VG_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/vg_anomaly.h"
#include "core/vg_time.h"
#include "decode/packet.h"

struct decode_config {
    size_t defrag_memcap;          /* bytes held by all fragment trackers; default 32 MiB */
    uint32_t defrag_max_trackers;  /* datagrams being reassembled at once; default 65536 */
    uint32_t defrag_timeout_s;     /* a tracker older than this is dropped; default 60 */
};

/* Counters of one decode context. Names mirror Suricata's stats.decoder.* where they exist. */
struct decode_counters {
    uint64_t pkts, bytes, invalid;
    uint64_t ethernet, vlan, vlan_qinq, mpls, pppoe, ppp, sll, sll2, null, raw;
    uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6, gre, vxlan, other_l4;
    uint64_t ipv4_csum_bad, l4_csum_bad;
    uint64_t unsupported_linktype;
    /* Added with the decoders: frames counted but not decoded further, and the rarer tunnels. */
    uint64_t llc;          /* 802.3 length frames (LLC/SNAP, STP...), SLL non-EtherType frames */
    uint64_t arp;          /* ARP frames (decode_arp.c; malformed ones raise decoder.arp.*) */
    uint64_t vlan_qinqinq; /* packets with three VLAN tags (Suricata's decoder.vlan_qinqinq) */
    uint64_t gre_pptp;     /* GRE version 1 (PPTP, RFC 2637): counted, payload not decoded */
    uint64_t geneve, erspan;
    /* defragmentation (Suricata's stats.defrag.*) */
    uint64_t frag_ipv4, frag_ipv6;            /* fragments seen */
    uint64_t reasm_ipv4, reasm_ipv6;          /* datagrams reassembled */
    uint64_t frag_timeouts;                   /* trackers dropped on timeout */
    uint64_t frag_memcap_drops;               /* fragments dropped: memcap or tracker cap hit */
    uint64_t frag_memuse;                     /* bytes currently held */
    uint64_t anomalies[VG_ANOMALY_COUNT];
};

struct decode_ctx;

/* decode_config_default fills the defaults above. */
void decode_config_default(struct decode_config *cfg);

/* decode_ctx_new makes a per-worker decode context (defragmentation state and counters).
 * cfg may be NULL for defaults; a zero field of cfg also takes its default. All memory (the
 * defrag memcap included) is allocated here, none per packet. NULL on allocation failure. */
struct decode_ctx *decode_ctx_new(const struct decode_config *cfg);
void decode_ctx_free(struct decode_ctx *ctx); /* NULL is a no-op */

/* decode_packet decodes p (data, caplen, wirelen, ts, linktype set by the caller) and fills the
 * other fields. It always returns VG_OK, except VG_ERR_UNSUPPORTED for a link type it does not
 * know (the packet is still counted). Malformed headers set VG_PKT_INVALID and anomaly ids.
 * A fragment that does not complete a datagram sets VG_PKT_FRAGMENT and leaves proto/ports as
 * far as they are known; the fragment that completes one switches p->data to the reassembled
 * datagram (see packet.h) and decodes L4 from it. */
int decode_packet(struct decode_ctx *ctx, struct packet *p);

/* decode_expire drops fragment trackers idle for longer than the timeout, relative to `now`
 * (packet time). Bounded work: at most `budget` trackers are examined per call. */
void decode_expire(struct decode_ctx *ctx, struct vg_ts now, unsigned budget);

const struct decode_counters *decode_counters(const struct decode_ctx *ctx);

/* decode_add_anomaly records an anomaly on the packet (up to VG_PKT_MAX_ANOM; more are counted
 * but not listed) and bumps its counter. Shared by all decoders. */
void decode_add_anomaly(struct decode_ctx *ctx, struct packet *p, int anomaly_id);

#endif
