/* decode_arp.c - ARP over Ethernet for IPv4 (RFC 826, RFC 5227 for probes and announcements).
 *
 * Only the one format vigil's LAN spoofing detector judges is decoded: hardware type 1
 * (Ethernet), protocol 0x0800, 6-byte hardware and 4-byte protocol addresses. Anything else is
 * named with Suricata's decoder.arp.* events and left undecoded (p->lan.kind stays NONE).
 * Opcodes 1 (request) and 2 (reply) are decoded; RARP/InARP opcodes (3-9) are valid ARP that
 * carries no IPv4 binding the detector uses, so they are counted as unsupported_opcode.
 */
#include <string.h>

#include "decode/decode_int.h"

int decode__arp(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c)
{
    struct vg_reader r;
    uint16_t htype, ptype, op;
    uint8_t hlen, plen;
    const uint8_t *b;

    decode__rd(&r, p, c);
    if (!vg_rd_be16(&r, &htype) || !vg_rd_be16(&r, &ptype) || !vg_rd_u8(&r, &hlen) ||
        !vg_rd_u8(&r, &plen) || !vg_rd_be16(&r, &op))
        return decode__invalid(ctx, p, ANOM_ARP_PKT_TOO_SMALL);
    if (htype != 1) return decode__invalid(ctx, p, ANOM_ARP_UNSUPPORTED_HARDWARE);
    if (ptype != 0x0800) return decode__invalid(ctx, p, ANOM_ARP_UNSUPPORTED_PROTOCOL);
    if (hlen != 6) return decode__invalid(ctx, p, ANOM_ARP_INVALID_HARDWARE_SIZE);
    if (plen != 4) return decode__invalid(ctx, p, ANOM_ARP_INVALID_PROTOCOL_SIZE);
    if (!vg_rd_bytes(&r, 20, &b)) return decode__invalid(ctx, p, ANOM_ARP_PKT_TOO_SMALL);
    if (op != 1 && op != 2) return decode__invalid(ctx, p, ANOM_ARP_UNSUPPORTED_OPCODE);
    p->lan.kind = VG_LAN_ARP;
    p->lan.arp_op = op;
    memcpy(p->lan.sha, b, 6);
    memcpy(p->lan.spa, b + 6, 4);
    memcpy(p->lan.tha, b + 10, 6);
    memcpy(p->lan.tpa, b + 16, 4);
    c->off += 28;
    return DL_DONE;
}
