/* dispatch.c - which worker owns a frame (engine.h: engine_dispatch).
 *
 * Every packet of a flow and every fragment of a datagram must reach the same worker, and a frame
 * must be placed without decoding it (decode is the worker's job, and it is stateful: fragments).
 * So the key is the unordered pair of network addresses: fragments carry no ports, and both
 * directions of a connection carry the same pair. Which pair: the flow table keys a tunnelled
 * packet by its innermost header (the outer addresses are not in the key: decode_tunnel.c), so
 * the peek follows the tunnels the decoder enters (IP-in-IP, GRE incl. ERSPAN, VXLAN, GENEVE) to
 * the innermost IP header, except that an IP fragment stops the walk (its payload may be in
 * another fragment): a fragment is placed by its own pair, the pair the decoder reassembles by.
 * The link layers walked are the decoder's (Ethernet, 802.1Q/802.1ad/QinQ, MPLS with or without a
 * pseudowire control word, PPPoE session, PPP, Linux SLL/SLL2, BSD NULL/LOOP, raw IP). Bounded: at
 * most PEEK_STEPS headers, every read checked against caplen. Frames without an IP header (ARP,
 * LLC, unknown link types, truncated frames) go to worker 0.
 *
 * Known limit: a tunnelled flow whose outer packets are SOMETIMES fragmented has its reassembled
 * packets placed by the outer pair and the others by the inner pair: with several workers it can
 * be split in two flows.
 *
 * Hand-written rather than calling decode_packet: decode_packet writes per-worker state (counters,
 * the fragment table), and this runs on every frame in every worker thread (workers.c), so it has
 * to cost a few dozen instructions. The hash is XXH3 (libxxhash), over (lower, higher) address.
 */
#include "engine/engine.h"

#include <string.h>
#include <xxhash.h>

#define PEEK_STEPS 16

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

enum { P_ETH, P_ETYPE, P_IP, P_MPLS, P_PPP, P_DONE };

/* GRE version 0 as decode__gre accepts it; *off (the GRE header) moves past it. Returns the next
 * state (*etype set for P_ETYPE), or -1 when the decoder would not enter the tunnel. */
static int peek_gre(const uint8_t *d, uint32_t len, uint32_t *off, uint16_t *etype)
{
    uint32_t o = *off;
    if (len < o + 4) return -1;
    uint16_t fl = be16(d + o), proto = be16(d + o + 2);
    if ((fl & 0x0007) != 0 || (fl & 0x0700) || (fl & 0x00f8)) return -1; /* version 0 only */
    o += 4;
    if (fl & 0xc000) o += 4; /* checksum / routing present */
    if (fl & 0x2000) o += 4; /* key */
    if (fl & 0x1000) o += 4; /* sequence */
    if (fl & 0x4000) {       /* RFC 1701 source route entries */
        for (unsigned i = 0;; i++) {
            if (i >= PEEK_STEPS || len < o + 4) return -1;
            uint16_t af = be16(d + o);
            uint8_t sl = d[o + 3];
            o += 4 + sl;
            if (af == 0 && sl == 0) break;
        }
    }
    if (len < o) return -1;
    int next;
    switch (proto) {
    case 0x6558: next = P_ETH; break;
    case 0x88be: /* ERSPAN II (with a sequence number) or I */
        if (fl & 0x1000) {
            if (len < o + 8 || (d[o] >> 4) != 1) return -1;
            o += 8;
        }
        next = P_ETH;
        break;
    case 0x22eb: /* ERSPAN III */
        if (len < o + 12 || (d[o] >> 4) != 2) return -1;
        if (((d[o + 10] >> 2) & 0x1f) != 0) return -1;
        o += 12 + ((d[o + 11] & 1) ? 8 : 0);
        next = P_ETH;
        break;
    case 0x0800:
    case 0x86dd:
    case 0x8100:
    case 0x88a8:
    case 0x9100:
    case 0x8847:
    case 0x8848:
    case 0x8864:
        *etype = proto;
        next = P_ETYPE;
        break;
    default: return -1;
    }
    *off = o;
    return next;
}

/* The hash of the frame's outer address pair; 0 (and *ok false) when it has no IP header. */
uint64_t engine_dispatch_hash(const uint8_t *d, uint32_t len, int linktype, bool *ok)
{
    *ok = false;
    uint64_t best = 0; /* the innermost pair found so far */
    uint32_t off = 0;
    uint16_t etype = 0;
    int st;
    switch (linktype) {
    case VG_LINK_ETHERNET: st = P_ETH; break;
    case VG_LINK_NULL:
    case VG_LINK_LOOP: off = 4; st = P_IP; break;
    case VG_LINK_PPP: st = P_PPP; break;
    case VG_LINK_SLL:
        if (len < 16) return 0;
        etype = be16(d + 14);
        off = 16;
        st = P_ETYPE;
        break;
    case VG_LINK_SLL2:
        if (len < 20) return 0;
        etype = be16(d);
        off = 20;
        st = P_ETYPE;
        break;
    case VG_LINK_RAW:
    case VG_LINK_RAW_OLD:
    case VG_LINK_RAW_OLD2:
    case VG_LINK_IPV4:
    case VG_LINK_IPV6: st = P_IP; break;
    default: return 0;
    }
    for (unsigned steps = 0; steps < PEEK_STEPS; steps++) {
        switch (st) {
        case P_ETH:
            if (len < off + 14) return best;
            etype = be16(d + off + 12);
            off += 14;
            st = P_ETYPE;
            break;
        case P_ETYPE:
            switch (etype) {
            case 0x0800:
            case 0x86dd: st = P_IP; break;
            case 0x8100:
            case 0x88a8:
            case 0x9100:
                if (len < off + 4) return best;
                etype = be16(d + off + 2);
                off += 4;
                break;
            case 0x8847:
            case 0x8848: st = P_MPLS; break;
            case 0x8864: /* PPPoE session: 6-byte header, then the PPP protocol */
                if (len < off + 8) return best;
                off += 6;
                st = P_PPP;
                break;
            default: return best;
            }
            break;
        case P_PPP: {
            if (len < off + 1) return best;
            if (d[off] == 0xff) { /* address and control */
                if (len < off + 2) return best;
                off += 2;
            }
            if (len < off + 1) return best;
            uint16_t proto;
            if (d[off] & 1) { /* protocol field compression: one byte */
                proto = d[off];
                off += 1;
            } else {
                if (len < off + 2) return best;
                proto = be16(d + off);
                off += 2;
            }
            if (proto == 0x0021 || proto == 0x0057)
                st = P_IP;
            else if (proto == 0x0281 || proto == 0x0283)
                st = P_MPLS;
            else
                return best;
            break;
        }
        case P_MPLS: {
            bool bottom = false;
            for (unsigned i = 0; i < PEEK_STEPS && !bottom; i++) {
                if (len < off + 4) return best;
                bottom = d[off + 2] & 1;
                off += 4;
            }
            if (!bottom || len < off + 1) return best;
            if ((d[off] >> 4) == 0) { /* pseudowire control word, then Ethernet */
                off += 4;
                st = P_ETH;
            } else {
                st = P_IP;
            }
            break;
        }
        case P_IP: {
            if (len < off + 1) return best;
            unsigned ver = d[off] >> 4;
            const uint8_t *a, *b;
            size_t alen;
            uint8_t proto;
            uint32_t l4;
            bool frag;
            if (ver == 4) {
                if (len < off + 20) return best;
                a = d + off + 12;
                b = d + off + 16;
                alen = 4;
                proto = d[off + 9];
                l4 = off + (d[off] & 0x0fu) * 4;
                frag = (be16(d + off + 6) & 0x3fff) != 0; /* MF or an offset */
            } else if (ver == 6) {
                if (len < off + 40) return best;
                a = d + off + 8;
                b = d + off + 24;
                alen = 16;
                proto = d[off + 6];
                l4 = off + 40;
                frag = false;
                /* Extension headers up to the payload (a fragment header ends the walk). */
                for (unsigned i = 0; i < PEEK_STEPS; i++) {
                    if (proto == 44) {
                        frag = true;
                        break;
                    }
                    if (proto != 0 && proto != 43 && proto != 60) break;
                    if (len < l4 + 2) {
                        frag = true; /* cannot see the payload: keep this pair */
                        break;
                    }
                    proto = d[l4];
                    l4 += ((uint32_t)d[l4 + 1] + 1) * 8;
                }
            } else {
                return best;
            }
            uint8_t key[32];
            if (memcmp(a, b, alen) > 0) {
                const uint8_t *t = a;
                a = b;
                b = t;
            }
            memcpy(key, a, alen);
            memcpy(key + alen, b, alen);
            *ok = true;
            best = XXH3_64bits(key, 2 * alen);
            /* A fragment: its payload (a tunnel's inner header) may be elsewhere; this pair. */
            if (frag) return best;
            /* Tunnels the decoder enters (decode_tunnel.c): the flow is keyed by the innermost
             * packet, so the innermost pair decides. */
            if (proto == 4 || proto == 41) {
                off = l4;
            } else if (proto == 47) {
                int next = peek_gre(d, len, &l4, &etype);
                if (next < 0) return best;
                off = l4;
                st = next;
            } else if (proto == 17) {
                if (len < l4 + 8) return best;
                uint16_t dport = be16(d + l4 + 2);
                uint32_t u = l4 + 8;
                if (dport == 4789) { /* VXLAN: I flag, then Ethernet of a known type */
                    if (len < u + 22 || !(d[u] & 0x08)) return best;
                    uint16_t it = be16(d + u + 20);
                    if (it != 0x0800 && it != 0x86dd && it != 0x0806 && it != 0x8100 &&
                        it != 0x88a8 && it != 0x9100)
                        return best;
                    off = u + 8;
                    st = P_ETH;
                } else if (dport == 6081) { /* GENEVE version 0 */
                    if (len < u + 8 || (d[u] >> 6) != 0) return best;
                    uint16_t gp = be16(d + u + 2);
                    off = u + 8 + (d[u] & 0x3fu) * 4;
                    if (gp == 0x6558)
                        st = P_ETH;
                    else if (gp != 0x0800 && gp != 0x86dd)
                        return best;
                } else {
                    return best;
                }
            } else {
                return best;
            }
            break;
        }
        default: return best;
        }
    }
    return best;
}

unsigned engine_dispatch(const uint8_t *data, uint32_t caplen, int linktype, unsigned n)
{
    if (n <= 1) return 0;
    bool ok;
    uint64_t h = engine_dispatch_hash(data, caplen, linktype, &ok);
    if (!ok) return 0;
    /* Lemire's multiply-shift range reduction on the high half: no division per frame. */
    return (unsigned)(((h >> 32) * (uint64_t)n) >> 32);
}
