/* fuzz_dns.c - libFuzzer harness for src/app/dns: the input as one UDP message (default and tiny
 * arenas), through the probes, as a TCP byte stream cut into pieces chosen by the input (and byte
 * by byte for short inputs, with a gap), and through query/response pairing (the input, then the
 * input with QR flipped, then again: duplicates and races). Every string produced is read whole.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc with every .c of
 * src/core and src/app/dns plus this file; run: fuzz_dns -max_total_time=180 tests/fuzz/seeds/dns
 * (seeds from tests/fuzz/make_dns_seeds.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/dns/dns.h"

static uint8_t arena_buf[DNS_ARENA_DEFAULT];
static volatile size_t sink;

static void touch(const char *s)
{
    size_t h = 0;
    for (; *s; s++)
        h = h * 31 + (unsigned char)*s;
    sink += h;
}

static void touch_msg(const struct dns_msg *m)
{
    char tb[8];
    for (unsigned i = 0; i < m->nq; i++) {
        touch(m->q[i].name);
        touch(dns_rrtype_str(m->q[i].type, tb));
    }
    touch(dns_rcode_str(m->rcode, tb));
    for (int s = 0; s < DNS_SEC_COUNT; s++) {
        for (unsigned i = 0; i < m->nrr[s]; i++) {
            const struct dns_rr *rr = &m->rr[s][i];
            touch(rr->name);
            touch(rr->rdata);
            touch(dns_rrtype_str(rr->type, tb));
            if (rr->flags & DNS_RR_BAD_RDATA) continue;
            switch (rr->type) {
            case DNS_TYPE_CNAME:
            case DNS_TYPE_NS:
            case DNS_TYPE_PTR:
            case DNS_TYPE_DNAME:
                touch(rr->u.target);
                break;
            case DNS_TYPE_MX:
                touch(rr->u.mx.exchange);
                break;
            case DNS_TYPE_TXT:
                for (unsigned k = 0; k < rr->u.txt.count; k++)
                    touch(rr->u.txt.s[k]);
                break;
            case DNS_TYPE_SOA:
                touch(rr->u.soa.mname);
                touch(rr->u.soa.rname);
                break;
            case DNS_TYPE_SRV:
                touch(rr->u.srv.target);
                break;
            case DNS_TYPE_SVCB:
            case DNS_TYPE_HTTPS:
                touch(rr->u.svcb.target);
                touch(rr->u.svcb.params);
                break;
            case DNS_TYPE_SSHFP:
                touch(rr->u.sshfp.hex);
                break;
            case DNS_TYPE_OPT:
                for (unsigned k = 0; k < rr->u.opt.count; k++)
                    touch(rr->u.opt.opts[k].hex);
                break;
            default:
                sink += rr->u.addr[0];
                break;
            }
        }
    }
    char text[DNS_TXN_TEXT_MAX];
    dns_answers_text(m, text, sizeof text);
    touch(text);
    sink += dns_answers_digest(m);
}

static void on_pair(void *ud, const struct dns_response_pair *p)
{
    (void)ud;
    touch(p->qname);
    touch(p->first.answers);
    touch(p->second.answers);
    sink += p->identical + p->nth;
}

static struct dns_txn_table *g_txn;

static void on_msg(void *ud, int dir, struct dns_msg *m, int status, const uint8_t *raw,
                   size_t rawlen)
{
    (void)ud;
    (void)dir;
    (void)status;
    touch_msg(m);
    if (rawlen) sink += raw[0] + raw[rawlen - 1];
    struct dns_pkt_meta meta = {{1, 0}, 1, 4, 64, 1};
    struct dns_txn_result res;
    dns_txn_observe(g_txn, m, &meta, on_pair, NULL, &res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_arena a;
    struct dns_msg m;
    struct dns_txn_result res;
    struct dns_pkt_meta meta = {{1, 0}, 1, 4, 64, 1};

    /* one UDP message */
    dns_arena_init(&a, arena_buf, sizeof arena_buf);
    dns_parse_message(data, size, &m, &a);
    touch_msg(&m);
    sink += (size_t)dns_probe_udp(data, size) + (size_t)dns_probe_tcp(data, size);

    /* a tiny arena: every degradation path */
    dns_arena_init(&a, arena_buf, size ? (size_t)data[size - 1] * 4 : 0);
    dns_parse_message(data, size, &m, &a);
    touch_msg(&m);

    /* pairing: as is, QR flipped, again (duplicates), with two arenas live at once */
    g_txn = dns_txn_new(NULL);
    uint8_t *copy = malloc(size ? size : 1);
    if (copy && g_txn) {
        memcpy(copy, data, size);
        for (int round = 0; round < 3; round++) {
            dns_arena_init(&a, arena_buf, sizeof arena_buf);
            if (size > 2 && round == 1) copy[2] ^= 0x80;
            dns_parse_message(copy, size, &m, &a);
            meta.pcap_cnt = (uint64_t)round + 1;
            dns_txn_observe(g_txn, &m, &meta, on_pair, NULL, &res);
            touch_msg(&m);
        }
    }
    free(copy);

    /* TCP: pieces of sizes taken from the input, then byte by byte with a gap */
    dns_arena_init(&a, arena_buf, sizeof arena_buf);
    struct dns_tcp_state *st = dns_tcp_state_new(&a);
    if (st && g_txn) {
        struct vg_ts ts = {1, 0};
        size_t off = 0, k = 0;
        while (off < size) {
            size_t n = 1 + (size_t)(data[k++ % size] % 61);
            if (n > size - off) n = size - off;
            dns_tcp_parse(st, DNS_TOSERVER, data + off, n, ts, on_msg, NULL);
            off += n;
        }
        if (size < 4096) {
            for (size_t i = 0; i < size; i++) {
                if (i == size / 2 && size > 8) {
                    dns_tcp_gap(st, DNS_TOCLIENT, data[0] % 32 + 1u);
                    i += data[0] % 32 + 1u;
                    if (i >= size) break;
                }
                dns_tcp_parse(st, DNS_TOCLIENT, data + i, 1, ts, on_msg, NULL);
            }
        }
        const struct dns_tcp_counters *c = dns_tcp_counters(st);
        sink += c->msgs + c->resyncs;
    }
    dns_tcp_state_free(st);
    if (g_txn) sink += dns_txn_pending(g_txn) + dns_txn_counters(g_txn)->responses;
    dns_txn_free(g_txn);
    g_txn = NULL;
    return 0;
}
