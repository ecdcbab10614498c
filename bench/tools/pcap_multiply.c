/* pcap_multiply.c - benchmark helper: writes COPIES copies of a classic little-endian Ethernet pcap,
 * one after the other, copy k shifted by k*SHIFT seconds and with every IPv4 address XOR-ed with
 * (k << 8) in its second and third octets, so that every copy's flows are distinct flows. Header
 * and TCP/UDP checksums are patched incrementally (RFC 1624), so nothing else about a packet
 * changes (unlike tcprewrite, which also rewrites the IP length of padded frames and so turns
 * Ethernet padding into payload).
 *
 * usage: pcap_multiply IN OUT COPIES SHIFT_SECONDS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word changing from m to m'. */
static uint16_t csum_update(uint16_t hc, uint16_t m, uint16_t m2)
{
    uint32_t s = (uint16_t)~hc + (uint16_t)~m + m2;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void rewrite(uint8_t *f, uint32_t caplen, unsigned k)
{
    if (caplen < 14 + 20 || rd16(f + 12) != 0x0800) return;
    uint8_t *ip = f + 14;
    unsigned ihl = (ip[0] & 15) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < 20 || caplen < 14 + ihl) return;
    uint16_t x = (uint16_t)(k & 0xffff);
    uint8_t *l4 = ip + ihl;
    unsigned proto = ip[9];
    int l4csum = -1; /* offset of the L4 checksum, when it is present and not fragmented */
    if ((rd16(ip + 6) & 0x1fff) == 0) {
        if (proto == 6 && caplen >= 14 + ihl + 18) l4csum = 16;
        if (proto == 17 && caplen >= 14 + ihl + 8 && rd16(l4 + 6) != 0) l4csum = 6;
    }
    for (int a = 12; a <= 16; a += 4) { /* src and dst: each address XOR (0, k>>8, k, 0) */
        uint16_t w = rd16(ip + a), w2 = rd16(ip + a + 2);
        uint16_t nw = (uint16_t)(w ^ (x >> 8)), nw2 = (uint16_t)(w2 ^ (uint16_t)(x << 8));
        wr16(ip + 10, csum_update(rd16(ip + 10), w, nw));
        wr16(ip + 10, csum_update(rd16(ip + 10), w2, nw2));
        if (l4csum >= 0) {
            wr16(l4 + l4csum, csum_update(rd16(l4 + l4csum), w, nw));
            wr16(l4 + l4csum, csum_update(rd16(l4 + l4csum), w2, nw2));
        }
        wr16(ip + a, nw);
        wr16(ip + a + 2, nw2);
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s IN OUT COPIES SHIFT_SECONDS\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) { perror(argv[1]); return 1; }
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n), *frame = malloc(262144);
    if (!buf || !frame || fread(buf, 1, (size_t)n, in) != (size_t)n || n < 24) return 1;
    fclose(in);
    uint32_t magic;
    memcpy(&magic, buf, 4);
    if (magic != 0xa1b2c3d4 || buf[20] != 1) {
        fprintf(stderr, "%s: need a little-endian microsecond Ethernet pcap\n", argv[1]);
        return 1;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out) { perror(argv[2]); return 1; }
    fwrite(buf, 1, 24, out);
    unsigned copies = (unsigned)atoi(argv[3]);
    uint32_t shift = (uint32_t)atoi(argv[4]);
    for (unsigned k = 0; k < copies; k++) {
        for (long off = 24; off + 16 <= n;) {
            uint32_t hdr[4];
            memcpy(hdr, buf + off, 16);
            uint32_t caplen = hdr[2];
            if (caplen > 262144 || off + 16 + caplen > n) break;
            hdr[0] += k * shift;
            memcpy(frame, buf + off + 16, caplen);
            if (k) rewrite(frame, caplen, k);
            fwrite(hdr, 1, 16, out);
            fwrite(frame, 1, caplen, out);
            off += 16 + caplen;
        }
    }
    return fclose(out) == 0 ? 0 : 1;
}
