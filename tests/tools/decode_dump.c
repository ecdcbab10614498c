/* decode_dump.c - prints what src/decode makes of every frame of a capture, one tab-separated line
 * per frame, for tests/tools/decode_vs_tshark.py to compare with tshark.
 *
 * Columns: frame number, ip src, ip dst, ip proto, ttl, ip id, sport, dport, tcp seq (absolute),
 * tcp ack, tcp flags (hex), tcp window, payload length, vlan ids (comma-separated), and, not
 * compared, the anomaly names and the packet flags. A column that does not apply is empty (no IP
 * header: all IP columns; not TCP: the TCP columns; ports only for TCP, UDP and ICMP, where ICMP's
 * are type and code).
 *
 *   usage: decode_dump FILE
 *   build: gcc -std=gnu11 -O2 -D_GNU_SOURCE -Isrc src/core/\*.c src/capture/\*.c src/decode/\*.c \
 *              tests/tools/decode_dump.c -o /tmp/decode_dump
 * Frame numbers count the frames the capture module returns, as tshark's frame.number does.
 */
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "core/vg_addr.h"
#include "core/vg_status.h"
#include "decode/decode.h"

static void print_packet(uint64_t no, const struct packet *p)
{
    printf("%llu", (unsigned long long)no);
    if (p->ip_ver) {
        char src[VG_ADDR_STRLEN], dst[VG_ADDR_STRLEN];
        vg_addr_str(&p->src, src);
        vg_addr_str(&p->dst, dst);
        printf("\t%s\t%s\t%u\t%u\t%u", src, dst, p->proto, p->ttl, p->ip_id);
    } else {
        printf("\t\t\t\t\t");
    }
    bool l4 = p->ip_ver && !(p->flags & VG_PKT_FRAGMENT) && p->l4_off &&
              (p->proto == 6 || p->proto == 17 || p->proto == 1 || p->proto == 58);
    bool tcp = l4 && p->proto == 6 && p->tcp_hlen >= 20;
    if (l4)
        printf("\t%u\t%u", p->sport, p->dport);
    else
        printf("\t\t");
    if (tcp)
        printf("\t%u\t%u\t0x%02x\t%u", p->tcp_seq, p->tcp_ack, p->tcp_flags, p->tcp_win);
    else
        printf("\t\t\t\t");
    if (l4)
        printf("\t%u", p->payload_len);
    else
        printf("\t");
    printf("\t");
    for (unsigned i = 0; i < p->vlan_cnt; i++)
        printf("%s%u", i ? "," : "", p->vlan[i]);
    printf("\t");
    for (unsigned i = 0; i < p->n_anom; i++)
        printf("%s%s", i ? "," : "", vg_anomaly_name(p->anom[i]));
    printf("\t0x%x\n", p->flags);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    char err[512];
    struct capture *c;
    if (capture_open_file(argv[1], &c, err, sizeof(err)) != VG_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct decode_ctx *ctx = decode_ctx_new(NULL);
    if (!ctx) {
        capture_close(c);
        return 1;
    }
    struct capture_frame f;
    uint64_t no = 0;
    int st;
    while ((st = capture_next(c, &f)) != VG_EOF) {
        if (st != VG_OK) {
            fprintf(stderr, "%s\n", capture_errmsg(c));
            continue;
        }
        struct packet p;
        memset(&p, 0, sizeof(p));
        p.data = f.data;
        p.caplen = f.caplen;
        p.wirelen = f.wirelen;
        p.ts = f.ts;
        p.linktype = f.linktype;
        p.iface = f.iface;
        p.pcap_cnt = ++no;
        (void)decode_packet(ctx, &p);
        print_packet(no, &p);
    }
    decode_ctx_free(ctx);
    capture_close(c);
    return 0;
}
