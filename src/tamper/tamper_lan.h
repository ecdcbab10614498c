/* tamper_lan.h - LAN spoofing findings: ARP spoofing (class arp_spoof) and IPv6 Neighbor
 * Discovery spoofing (class nd_spoof). Included by tamper.h; implemented in tamper_lan.c.
 *
 * Unlike the flow detectors, these findings have no flow: ARP has none, and an ND message speaks
 * for the whole link. The engine calls tamper_lan_packet for every decoded packet (after decode,
 * flow or not); a finding is emitted through the callback as soon as its confidence reaches the
 * report floor (TAMPER_LAN_FLOOR, and cfg.min_confidence when higher), once per binding/router/
 * sender; later occurrences are counted (tamper_counters.lan.repeats).
 *
 * Memory: three tables sized at tamper_ctx_new (IP->MAC bindings, MACs, IPv6 routers), open
 * addressing with a bounded probe; a full probe window evicts its least recently seen entry
 * (counted: lan.bind_evictions / lan.mac_evictions / lan.router_cap_hits). Nothing is allocated
 * per packet.
 */
#ifndef VG_TAMPER_LAN_H
#define VG_TAMPER_LAN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vg_addr.h"
#include "core/vg_time.h"

/* Link-layer bytes kept per contestant (ARP frames are 42-60 bytes, ND messages ~ 70-150). */
#define TAMPER_LAN_FRAME_MAX 160
/* Findings below this confidence are never reported, whatever cfg.min_confidence says. */
#define TAMPER_LAN_FLOOR 60

/* One packet of a LAN finding: the one that established the old binding (or router), and the one
 * that claimed the new one. */
struct tamper_lan_contestant {
    uint64_t pcap_cnt; /* 0: slot unused */
    struct vg_ts ts;
    uint8_t src_mac[6];   /* Ethernet source */
    uint8_t dst_mac[6];   /* Ethernet destination */
    uint8_t claim_mac[6]; /* the MAC claimed for the address (ARP sha, ND link-layer option) */
    uint8_t kind;         /* VG_LAN_ARP / VG_LAN_ND */
    uint8_t icmp_type;    /* ND: 134 RA, 135 NS, 136 NA */
    uint16_t arp_op;
    uint8_t nd_flags;
    bool unsolicited;              /* an ARP reply / NA that answered no request seen */
    struct vg_addr sender, target; /* ARP spa/tpa; ND: IPv6 source, NS/NA target */
    uint16_t ra_lifetime;
    uint32_t wire_len;
    uint16_t frame_len;
    int linktype;
    uint8_t frame[TAMPER_LAN_FRAME_MAX];
};

struct tamper_lan_finding {
    int sig;           /* enum tamper_sig */
    uint64_t pcap_cnt; /* the packet whose evidence made the finding reach the floor */
    struct vg_ts ts;
    uint8_t confidence;
    uint8_t n_reasons;
    char reasons[8][192];
    struct vg_addr ip;     /* the contested address (router link-local for RA findings) */
    struct vg_addr victim; /* ARP tpa / NA destination of the claim, family 0 when none */
    bool has_old;
    uint8_t old_mac[6], new_mac[6];
    bool gateway;         /* the address carries off-link traffic / is a router */
    uint32_t flips;       /* binding changes back and forth */
    uint32_t unsolicited; /* unsolicited replies / NAs by the challenger */
    uint32_t announcements;
    uint32_t ips_claimed; /* addresses the challenger took from a live owner */
    uint32_t rate;        /* gratuitous_storm: frames in the window */
    uint32_t window_s;
    /* RA findings */
    bool is_ra;
    uint16_t old_lifetime, new_lifetime;
    uint8_t prefix_len;
    struct vg_addr prefix; /* family 0 when the RA carried none */
    bool prefix_new;
    uint32_t new_routers; /* new routers seen within the flood window */
    bool forged_first;    /* ra_spoof: the established RA was the forgery (the link-local is the
                           * EUI-64 of the challenger's MAC): verdicts are swapped */
    struct tamper_lan_contestant c[2]; /* c[0] the established binding, c[1] the challenger */
};

/* Counters of the LAN detector, under stats.vigil.tamper.lan. */
struct tamper_lan_counters {
    uint64_t arp;            /* ARP frames judged */
    uint64_t nd;             /* ND messages judged */
    uint64_t bindings;       /* IP->MAC bindings held now */
    uint64_t bind_cap;       /* table size */
    uint64_t bind_evictions; /* a full probe window evicted its oldest binding */
    uint64_t bind_aged;      /* a binding past its age was reused */
    uint64_t macs;           /* MACs tracked now */
    uint64_t mac_evictions;
    uint64_t routers;         /* IPv6 routers tracked now */
    uint64_t router_cap_hits; /* a new router found the router table full */
    uint64_t changes;         /* an address claimed by another MAC */
    uint64_t rebinds;         /* of those: the old MAC was silent (DHCP reuse, NIC swap) */
    uint64_t virtual_mac;     /* of those: a VRRP/HSRP/CARP virtual MAC was involved */
    uint64_t ra_changes;      /* an established router changed its lifetime or prefix */
    uint64_t below_threshold; /* candidates judged and not reported (confidence too low) */
    uint64_t max_below;       /* the highest confidence among those (the closest call) */
    uint64_t repeats;         /* evidence added to an already reported finding */
};

struct tamper_ctx;
struct packet;
typedef void (*tamper_lan_emit_fn)(const struct tamper_lan_finding *fd, void *ud);

/* tamper_lan_packet judges one decoded packet: every Ethernet frame refreshes its source MAC,
 * ARP and ND messages update the bindings and may emit a finding (valid only during the call). */
void tamper_lan_packet(struct tamper_ctx *ctx, const struct packet *p, tamper_lan_emit_fn emit,
                       void *ud);
/* tamper_lan_seen is the part of tamper_lan_packet that every Ethernet frame feeds (its source MAC
 * is alive; the IPv4 source address src4 of a plain, untunnelled IPv4 packet, else NULL), for a
 * frame that is not decoded here: with several workers, the LAN detector lives in worker 0 and is
 * told about the other workers' frames this way (engine/worker.c: worker_lan_foreign). seg is the
 * link segment key tamper_lan_packet derives from the VLAN ids (vlan[0] | vlan[1] << 12). */
struct vg_ts;
struct vg_addr;
void tamper_lan_seen(struct tamper_ctx *ctx, struct vg_ts ts, uint32_t seg, const uint8_t l2src[6],
                     const struct vg_addr *src4);
const struct tamper_lan_counters *tamper_lan_counters(const struct tamper_ctx *ctx);

/* "aa:bb:cc:dd:ee:ff" into buf (18 bytes); returns buf. */
const char *tamper_mac_str(const uint8_t mac[6], char *buf);

#endif
