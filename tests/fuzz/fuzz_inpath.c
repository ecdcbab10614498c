/* fuzz_inpath.c - libFuzzer harness for the in-path detectors (src/tamper/tamper_inpath.c).
 *
 * Input: [ctrl 4 bytes][hostname] "\n" [location] "\n" [header lines "Name: value\n"...] "\n"
 * [body]. The control bytes choose the server (one of 8 addresses, so the host table fills, ages
 * and evicts with a table of 16 entries), the status code, and the fields of the server's SYN/ACK
 * and of the answer packet (TTL, DF, IP ID, timestamps, options, window). Per input one flow runs:
 * SYN/ACK, the answer packet carrying the body bytes (through tamper_packet, so the flow-departure
 * rules and the response-head check read them), a transaction built from the pieces (through
 * tamper_http_tx: header fingerprint, 30x / meta refresh / script redirect parsing, libpsl), then
 * tamper_flow_end writes every finding as EVE. The context lives across inputs so that server
 * baselines build up.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/http/http.h"
#include "output/eve_tamper.h"
#include "output/json_writer.h"
#include "tamper/tamper.h"

static struct tamper_ctx *g_ctx;
static uint64_t g_cnt;
static int64_t g_sec = 1700000000;

static void emit(const struct flow *f, const struct tamper_finding *fd, void *ud)
{
    (void)ud;
    struct jw w;
    jw_init(&w);
    eve_tamper_alert(&w, f, fd);
    if (w.len && w.buf[0] != '{') __builtin_trap();
    jw_fini(&w);
}

/* The next piece up to '\n' (or the end): returns its length and advances. */
static size_t piece(const uint8_t **d, size_t *n, char *out, size_t cap)
{
    size_t i = 0;
    while (i < *n && (*d)[i] != '\n')
        i++;
    size_t k = i < cap - 1 ? i : cap - 1;
    memcpy(out, *d, k);
    out[k] = '\0';
    *d += i < *n ? i + 1 : i;
    *n -= i < *n ? i + 1 : i;
    return k;
}

static struct packet mkpkt(struct flow *f, uint8_t flags, uint8_t c, const uint8_t *pl, size_t n)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.pcap_cnt = ++g_cnt;
    p.ts.sec = g_sec;
    p.ts.nsec = (uint32_t)(g_cnt % 1000) * 1000000u;
    p.ip_ver = 4;
    p.proto = 6;
    p.src = f->dst;
    p.dst = f->src;
    p.sport = f->dport;
    p.dport = f->sport;
    p.ttl = (uint8_t)(c & 0x80 ? 250 - (c & 7) : 60 - (c & 7));
    p.df = (c & 0x40) != 0;
    p.ip_id = (uint16_t)(c & 0x20 ? 0 : 0x1000 + c);
    p.tcp_flags = flags;
    p.tcp_win = (uint16_t)(c & 0x10 ? 8192 : 502);
    if (c & 0x08) {
        static const uint8_t lay[] = {1, 1, 8};
        memcpy(p.tcp_opts.layout, lay, sizeof lay);
        p.tcp_opts.layout_len = sizeof lay;
        p.tcp_opts.has_ts = true;
        p.tcp_opts.ts_val = (uint32_t)(g_cnt * (c & 0x04 ? 1000003u : 1u));
    }
    if (flags & VG_TCP_SYN) {
        p.tcp_opts.has_mss = true;
        p.tcp_opts.mss = (uint16_t)(1400 + (c & 3) * 20);
        p.tcp_opts.has_wscale = (c & 1) != 0;
        p.tcp_opts.wscale = (uint8_t)(c & 15);
    }
    p.payload = n ? pl : NULL;
    p.payload_len = (uint32_t)n;
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ctx) {
        struct tamper_config cfg;
        tamper_config_default(&cfg);
        cfg.max_hosts = 16;
        cfg.host_age_s = 30;
        cfg.max_flows = 4;
        cfg.max_findings = 16;
        g_ctx = tamper_ctx_new_with(&cfg);
        if (!g_ctx) abort();
    }
    if (size < 4) return 0;
    uint8_t c0 = data[0], c1 = data[1], c2 = data[2], c3 = data[3];
    const uint8_t *d = data + 4;
    size_t n = size - 4;
    g_sec += c3 & 15;

    struct flow f;
    memset(&f, 0, sizeof f);
    f.src.family = f.dst.family = 4;
    memcpy(f.src.a, "\x0a\x00\x00\x01", 4);
    memcpy(f.dst.a, "\xcb\x00\x71\x00", 4);
    f.dst.a[3] = (uint8_t)(c0 & 7);
    f.sport = (uint16_t)(40000 + c3);
    f.dport = 80;
    f.proto = 6;
    f.app_proto = APP_PROTO_HTTP;
    f.flow_id = g_cnt;

    char host[128], loc[512];
    piece(&d, &n, host, sizeof host);
    size_t ll = piece(&d, &n, loc, sizeof loc);
    /* header lines until an empty one */
    static char hbuf[16][2][96];
    struct http_header hdr[16];
    unsigned nh = 0;
    while (n && nh < 16) {
        char line[200];
        size_t l = piece(&d, &n, line, sizeof line);
        if (!l) break;
        char *colon = memchr(line, ':', l);
        size_t nl = colon ? (size_t)(colon - line) : l;
        if (nl > 95) nl = 95;
        memcpy(hbuf[nh][0], line, nl);
        hbuf[nh][0][nl] = '\0';
        const char *v = colon ? colon + 1 : "";
        while (*v == ' ')
            v++;
        size_t vl = strlen(v) > 95 ? 95 : strlen(v);
        memcpy(hbuf[nh][1], v, vl);
        hbuf[nh][1][vl] = '\0';
        hdr[nh].name.p = hbuf[nh][0];
        hdr[nh].name.len = (uint32_t)nl;
        hdr[nh].value.p = hbuf[nh][1];
        hdr[nh].value.len = (uint32_t)vl;
        nh++;
    }
    /* the body: a private copy (the tx contract: p[len] is NUL) */
    uint8_t *body = malloc(n + 1);
    if (!body) return 0;
    if (n) memcpy(body, d, n);
    body[n] = 0;

    struct packet p = mkpkt(&f, VG_TCP_SYN | VG_TCP_ACK, c1, NULL, 0);
    struct stream_result sr;
    memset(&sr, 0, sizeof sr);
    sr.dir = FLOW_TOCLIENT;
    tamper_packet(g_ctx, &f, &p, FLOW_TOCLIENT, &sr);
    p = mkpkt(&f, VG_TCP_ACK, c1, NULL, 0);
    tamper_packet(g_ctx, &f, &p, FLOW_TOCLIENT, &sr);
    p = mkpkt(&f, VG_TCP_ACK | VG_TCP_PSH, c2, body, n);

    static const int32_t codes[] = {200, 301, 302, 303, 307, 308, 304, 404};
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.status = codes[c3 >> 5];
    tx.resp_ts = p.ts;
    tx.hostname.p = host;
    tx.hostname.len = (uint32_t)strlen(host);
    if (ll || (c0 & 8)) {
        tx.location.p = loc;
        tx.location.len = (uint32_t)ll;
    }
    tx.resp_headers = hdr;
    tx.n_resp_headers = (uint16_t)nh;
    tx.resp_content_length = (c0 & 16) ? 0 : (int64_t)n;
    tx.resp_body = body;
    tx.resp_body_kept = (uint32_t)n;
    tx.resp_body_len = n;
    tamper_http_tx(g_ctx, &f, &p,
                   &tx); /* as the app hook does: before the packet's tamper_packet */
    tamper_packet(g_ctx, &f, &p, FLOW_TOCLIENT, &sr);
    (void)tamper_take_trigger(g_ctx);
    tamper_flow_end(g_ctx, &f, emit, NULL);
    free(body);
    return 0;
}
