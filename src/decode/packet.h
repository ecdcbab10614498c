/* packet.h - one captured frame and everything the decoders learned about it.
 *
 * A packet points into the capture buffer (never copied); the decoders fill offsets and fields.
 * Lifetime: one pass of the pipeline. When IP defragmentation completes a datagram, `data` is
 * switched to a reassembly buffer owned by the decode context (valid until the next decode_packet
 * call on that context) and VG_PKT_REASSEMBLED is set.
 * All offsets are relative to `data`.
 */
#ifndef VG_PACKET_H
#define VG_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vg_addr.h"
#include "core/vg_time.h"

/* LINKTYPE_* values from pcap-linktype(7) that vigil decodes. */
enum {
    VG_LINK_NULL = 0,       /* BSD loopback, host-order 4-byte family */
    VG_LINK_ETHERNET = 1,
    VG_LINK_PPP = 9,
    VG_LINK_RAW = 101,      /* raw IPv4 or IPv6, version nibble decides */
    VG_LINK_RAW_OLD = 12,   /* DLT_RAW on OpenBSD-era captures; same as RAW */
    VG_LINK_RAW_OLD2 = 14,  /* DLT_RAW on some BSDs; same as RAW */
    VG_LINK_LOOP = 108,     /* OpenBSD loopback, network-order family */
    VG_LINK_SLL = 113,
    VG_LINK_IPV4 = 228,
    VG_LINK_IPV6 = 229,
    VG_LINK_SLL2 = 276,
};

enum {
    VG_TCP_FIN = 0x01, VG_TCP_SYN = 0x02, VG_TCP_RST = 0x04, VG_TCP_PSH = 0x08,
    VG_TCP_ACK = 0x10, VG_TCP_URG = 0x20, VG_TCP_ECE = 0x40, VG_TCP_CWR = 0x80,
};

/* packet.flags */
enum {
    VG_PKT_IPV4_CSUM_BAD = 1u << 0,
    VG_PKT_L4_CSUM_BAD = 1u << 1,   /* TCP/UDP/ICMP checksum did not verify (often NIC offload) */
    VG_PKT_FRAGMENT = 1u << 2,      /* an IP fragment that was absorbed by defrag; no L4 decoded */
    VG_PKT_REASSEMBLED = 1u << 3,   /* data points at a defragmented datagram */
    VG_PKT_TRUNCATED = 1u << 4,     /* caplen < wire length or IP total length */
    VG_PKT_INVALID = 1u << 5,       /* a header could not be decoded; see anomalies */
    VG_PKT_ICMP_INNER = 1u << 6,    /* icmp_inner holds the quoted header of an ICMP error */
    VG_PKT_L4_CSUM_CHECKED = 1u << 7,
};

#define VG_PKT_MAX_VLAN 3
#define VG_PKT_MAX_ANOM 8

struct vg_tcp_opts {
    uint16_t mss;
    uint8_t wscale;        /* valid when has_wscale */
    uint8_t sack_blocks;   /* number of SACK blocks */
    bool has_mss, has_wscale, sack_perm, has_ts;
    uint32_t ts_val, ts_ecr;
    /* Option kinds in wire order (NOP=1 included, EOL=0 ends it), up to 16: the "option layout"
     * fingerprint used by the tamper detectors. */
    uint8_t layout[16];
    uint8_t layout_len;
};

/* The quoted header inside an ICMP error (RFC 792 / RFC 4443). */
struct vg_icmp_inner {
    struct vg_addr src, dst;
    uint8_t proto;
    uint16_t sport, dport; /* 0 when the quote is too short or not TCP/UDP */
};

/* ARP (RFC 826, Ethernet/IPv4 only) and IPv6 Neighbor Discovery (RFC 4861) as decoded for the
 * LAN spoofing detector (tamper_lan.c). packet.lan.kind says which one is filled. */
enum { VG_LAN_NONE = 0, VG_LAN_ARP = 1, VG_LAN_ND = 2 };
struct vg_lan {
    uint8_t kind;        /* VG_LAN_* */
    uint8_t nd_flags;    /* NA: R 0x80, S 0x40, O 0x20; RA: M 0x80, O 0x40, Prf bits 0x18 */
    uint16_t arp_op;     /* ARP opcode (1 request, 2 reply) */
    uint8_t sha[6];      /* ARP sender MAC; ND: the link-layer address option (source for
                          * NS/RA/RS, target for NA), when has_lladdr */
    uint8_t tha[6];      /* ARP target MAC */
    uint8_t spa[4], tpa[4]; /* ARP sender / target IPv4 address */
    bool has_lladdr;     /* ND: a source/target link-layer address option was present */
    uint8_t ra_hop_limit;
    uint16_t ra_lifetime; /* RA router lifetime, seconds */
    uint8_t target[16];   /* NS/NA target address */
    uint8_t n_prefix;     /* RA prefix information options seen (the first one is kept) */
    uint8_t prefix_len;
    uint8_t prefix[16];
    uint32_t prefix_valid, prefix_preferred; /* lifetimes of the first prefix, seconds */
};

struct packet {
    /* Filled by the capture edge before decode_packet(). */
    const uint8_t *data;
    uint32_t caplen;   /* bytes present at data */
    uint32_t wirelen;  /* original length on the wire */
    struct vg_ts ts;
    uint64_t pcap_cnt; /* 1-based number of the frame in the run (Suricata's pcap_cnt) */
    int linktype;
    uint32_t iface;    /* pcapng interface index; 0 otherwise */

    /* Filled by decode_packet(). */
    uint32_t flags;
    /* The frame as the caller handed it in (data/caplen on entry). Reassembly switches `data` to a
     * datagram; these keep pointing at the captured bytes (evidence pcaps, hex dumps). */
    const uint8_t *frame;
    uint32_t frame_len;
    /* Reassembled datagrams: link-layer bytes in front of the IP header of the frame that completed
     * it. Flow byte counts add them, as Suricata counts the reassembled packet with the first
     * fragment's link header. */
    uint16_t reasm_l2_len;
    uint8_t vlan_cnt;
    uint16_t vlan[VG_PKT_MAX_VLAN];
    uint16_t l2_off;        /* start of the (innermost) Ethernet header, when there is one; a
                             * reassembly clears has_eth (that header is in `frame`, not `data`) */
    bool has_eth;
    uint16_t eth_type;      /* last EtherType before L3 (after VLAN/MPLS/PPPoE) */

    uint8_t ip_ver;         /* 0 (no IP), 4 or 6 — innermost IP header */
    uint16_t l3_off;
    uint16_t l3_len;        /* IP header + payload as the IP length says (clamped to caplen) */
    struct vg_addr src, dst;
    uint8_t ttl;            /* TTL or hop limit */
    uint16_t ip_id;         /* IPv4 identification; IPv6: low 16 bits of the fragment id, else 0 */
    bool df;                /* IPv4 don't-fragment */
    uint16_t ip_hlen;       /* IPv4 header length in bytes; IPv6 40 + extension headers (was
                             * uint8_t: IPv6 extension headers can exceed 255 bytes) */
    uint8_t proto;          /* L4 protocol number after IPv6 extension headers */

    uint16_t l4_off;
    uint16_t sport, dport;  /* TCP/UDP ports; ICMP: sport = type, dport = code */
    /* TCP */
    uint32_t tcp_seq, tcp_ack;
    uint8_t tcp_flags;
    uint8_t tcp_hlen;
    uint16_t tcp_win;
    uint16_t tcp_urp;
    struct vg_tcp_opts tcp_opts;
    /* ICMP / ICMPv6 */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq; /* echo request/reply */
    struct vg_icmp_inner icmp_inner;

    const uint8_t *payload; /* L4 payload (or L3 payload for other protocols); NULL when none */
    uint32_t payload_len;

    /* Tunnels: the innermost packet wins the fields above; the outermost IP pair is kept here. */
    uint8_t tunnel_depth;
    uint32_t tunnel_id;     /* VXLAN VNI or GRE key, 0 when none; part of the flow key */
    struct vg_addr outer_src, outer_dst;
    uint8_t outer_proto;

    uint8_t n_anom;
    uint16_t anom[VG_PKT_MAX_ANOM]; /* enum vg_anomaly ids, in the order they were met */

    /* ARP / Neighbor Discovery fields (lan.kind != VG_LAN_NONE); the Ethernet source MAC of the
     * frame is at data + l2_off + 6 when has_eth. */
    struct vg_lan lan;
};

#endif
