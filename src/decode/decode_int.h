/* decode_int.h - what the decoder files share inside the decode module (never included outside).
 *
 * The decoders form one loop in decode_packet(): each layer function reads its header at
 * `c->off`, fills packet fields, moves `c->off` past its header and returns the id of the next
 * layer (chosen by a switch on EtherType, PPP protocol, IP protocol or UDP port), or DL_DONE.
 * No decoder calls another decoder on packet data: VLAN stacks, MPLS, and tunnels are iterations
 * of that loop, which has a step budget, so a hostile frame cannot recurse or loop forever.
 */
#ifndef VG_DECODE_INT_H
#define VG_DECODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vg_reader.h"
#include "decode/decode.h"

/* Layer ids: index into the dispatch table of decode.c. */
enum decode__layer {
    DL_DONE = 0,
    DL_ETH,
    DL_VLAN,
    DL_MPLS,
    DL_PPPOE_SESS,
    DL_PPPOE_DISC,
    DL_PPP, /* PPP protocol field (LINKTYPE_PPP, after the optional ff 03) */
    DL_SLL,
    DL_SLL2,
    DL_NULL, /* 4-byte address family, host order of the capturing machine */
    DL_LOOP, /* 4-byte address family, network order */
    DL_RAW,  /* IPv4 or IPv6 by the version nibble */
    DL_IPV4,
    DL_IPV6,
    DL_TCP,
    DL_UDP,
    DL_ICMPV4,
    DL_ICMPV6,
    DL_GRE,
    DL_VXLAN,
    DL_GENEVE,
    DL_ERSPAN2,
    DL_ERSPAN3,
    DL_ESP,
    DL_OTHER_L4, /* an IP protocol that is not decoded: payload = rest of the datagram */
    DL_ARP,      /* ARP over Ethernet/IPv4 (decode_arp.c) */
    DL_COUNT
};

/* Limits of the layer loop. A tunnel is an encapsulation that restarts at L2 or L3 below an
 * IP header (IP-in-IP, GRE, VXLAN, GENEVE, ERSPAN). */
#define DECODE__MAX_TUNNELS 8
#define DECODE__MAX_STEPS 64
#define DECODE__MAX_MPLS_LABELS 16
#define DECODE__MAX_IPV6_EXTHDRS 16

/* The cursor of the layer loop: where the next layer starts and where its bytes end (an IP total
 * length shrinks `end`, which drops Ethernet padding). Both are offsets into p->data,
 * off <= end <= p->caplen always. */
struct decode__cur {
    uint32_t off;
    uint32_t end;
};

typedef int (*decode__layer_fn)(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);

struct decode__defrag; /* defrag.c */

/* Scratch the IP decoders leave for the L4 decoders of the same packet. */
struct decode__l4_scratch {
    uint32_t l4_len;    /* L4 bytes as the IP header says (may exceed what was captured) */
    bool ip6_final_dst; /* a routing header named a final destination (pseudo-header) */
    uint8_t ip6_dst[16];
};

struct decode_ctx {
    struct decode_config cfg;
    struct decode_counters cnt;
    struct decode__defrag *defrag;
    uint8_t *reasm; /* reassembled datagrams; DECODE__REASM_SIZE bytes */
    struct decode__l4_scratch l4;
};

/* Largest datagram defrag builds: an IPv6 header plus a maximal payload (IPv4 stops at 65535). */
#define DECODE__REASM_SIZE (40u + 65535u)

/* Bounded reader over the bytes of the current layer. */
static inline void decode__rd(struct vg_reader *r, const struct packet *p,
                              const struct decode__cur *c)
{
    vg_rd_init(r, p->data + c->off, c->end - c->off);
}

/* Marks the packet invalid and records the anomaly: the shape of "hostile input is an event".
 * Returns DL_DONE so that a layer can `return decode__invalid(...)`. */
static inline int decode__invalid(struct decode_ctx *ctx, struct packet *p, int anomaly)
{
    p->flags |= VG_PKT_INVALID;
    decode_add_anomaly(ctx, p, anomaly);
    return DL_DONE;
}

/* decode.c: next layer for an EtherType; records it in p->eth_type, counts ARP and 802.3 length
 * values (DL_DONE for those). Returns -1 for a type it does not know, so that the caller raises
 * the anomaly of its own layer (or none: GRE carries many types silently, as Suricata does). */
int decode__ethertype(struct decode_ctx *ctx, struct packet *p, uint16_t type);
/* decode.c: next layer for an IP protocol number (TCP, UDP, ICMP, GRE, IP-in-IP, ...). The IP
 * decoder has set p->proto (IP-in-IP needs it for the outer fields). */
int decode__ipproto(struct decode_ctx *ctx, struct packet *p, uint8_t proto);
/* decode.c: Internet checksum helpers (RFC 1071). The partial sum is in host byte order; only
 * decode__csum_fold(...) == 0xffff (which is byte-order neutral) is meaningful to callers, and
 * every chunk but the last must have a length that is a multiple of 4. */
uint64_t decode__csum_add(uint64_t sum, const uint8_t *b, size_t n);
/* Inline: it runs twice per TCP/UDP packet (IPv4 header and L4). */
static inline uint16_t decode__csum_fold(uint64_t sum)
{
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)sum;
}
/* decode.c: verifies the TCP/UDP/ICMPv6 checksum of `len` bytes at `l4` with the pseudo-header of
 * the innermost IP header; sets VG_PKT_L4_CSUM_CHECKED and, on mismatch, VG_PKT_L4_CSUM_BAD plus
 * the counter. The caller has established that all `len` bytes are present. */
void decode__l4_csum(struct decode_ctx *ctx, struct packet *p, const uint8_t *l4, uint32_t len,
                     uint8_t proto);
/* decode_ipv4.c: clears what an outer IP layer left in the L3/L4 fields before an inner IP header
 * (tunnels: the innermost packet wins). */
void decode__ip_reset(struct decode_ctx *ctx, struct packet *p);

/* decode_ppp.c: next layer for a PPP protocol number (RFC 1661; shared by PPPoE and PPP). */
int decode__ppp_proto(struct decode_ctx *ctx, struct packet *p, uint16_t proto);

/* decode_tunnel.c: called where a tunnel payload starts. Saves the outermost IP pair on the first
 * tunnel, bumps p->tunnel_depth, and returns false (with decoder.too_many_layers) past the
 * limit. */
bool decode__tunnel_enter(struct decode_ctx *ctx, struct packet *p);

struct decode__defrag *decode__defrag_new(const struct decode_config *cfg);
void decode__defrag_free(struct decode__defrag *d);
/* Offers one IPv4 fragment: its header is at p->data + p->l3_off (`hlen` bytes), its data at
 * p->data + c->off .. c->end, at byte `off` of the datagram; `more` is the MF flag. Returns false
 * while the datagram is incomplete or when the fragment was dropped (anomalies and counters say
 * why). Returns true when this fragment completed it: p->data/caplen then point at the datagram in
 * ctx->reasm (p->l3_off = 0, VG_PKT_REASSEMBLED, TTL/DF/header length from the first fragment),
 * *c spans its payload and ctx->l4.l4_len is set. Every byte is copied into the tracker before the
 * datagram is built, so the current data may itself live in ctx->reasm (a fragment inside a
 * reassembled tunnel datagram). */
bool decode__defrag_ipv4(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c,
                         unsigned hlen, uint32_t off, bool more);
/* The IPv6 counterpart: `unfrag` bytes at p->data + p->l3_off are the IPv6 header and the
 * extension headers before the Fragment header, `nh_off` is the offset (within them) of the
 * next-header byte that names the Fragment header, `nh` and `id` come from the Fragment header,
 * and the fragment data is p->data + c->off .. c->end. On true, the datagram has the Fragment
 * header removed, *c spans what followed it (extension headers or L4) and the caller goes on
 * decoding `nh` at c->off. */
bool decode__defrag_ipv6(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c,
                         unsigned unfrag, unsigned nh_off, uint8_t nh, uint32_t id, uint32_t off,
                         bool more);
void decode__defrag_expire(struct decode_ctx *ctx, struct vg_ts now, unsigned budget);

/* Layer functions, one per file (decode_<layer>.c). */
int decode__eth(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__vlan(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__mpls(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__pppoe_sess(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__pppoe_disc(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__ppp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__sll(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__sll2(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__null(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__loop(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__raw(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__ipv4(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__ipv6(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__tcp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__udp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__icmpv4(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__icmpv6(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__gre(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__vxlan(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__geneve(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__erspan2(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__erspan3(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__esp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__other_l4(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
int decode__arp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c);
/* decode_icmp.c: the Neighbor Discovery body (RFC 4861) of an ICMPv6 message of type 133-137 at
 * p->payload; fills p->lan (kind VG_LAN_ND) or raises a decoder.icmpv6.nd_* anomaly. */
void decode__icmpv6_nd(struct decode_ctx *ctx, struct packet *p);

#endif
