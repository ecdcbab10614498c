/* fuzz_detect.c - libFuzzer harness for the rule matcher (src/detect: rule_compiler.c,
 * prefilter.c, match.c, detect_engine.c).
 *
 * A fixed rule set, compiled once (no cache), exercises every keyword family of the content
 * inspection engine: content with depth/offset/distance/within/startswith/endswith/negation/
 * nocase, backtracking chains, pcre with /R, byte_test/byte_jump/byte_extract with variables,
 * isdataat, base64_decode, transforms, flowbits, thresholds, HTTP and DNS buffers.
 *
 * Input: the first byte picks the context (bit 0-1: TCP to server, TCP to client, UDP, HTTP
 * transaction + DNS message; bit 2: split the rest in two packets of one flow), the rest is the
 * payload (or the URI / header value / body / question name). Every alert is read in full. The
 * per-flow state is released after each input (detect_flow_end), so leaks show.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/dns/dns.h"
#include "app/http/http.h"
#include "core/vg_status.h"
#include "decode/packet.h"
#include "detect/detect.h"
#include "flow/flow.h"

static const char RULES[] =
    "alert tcp any any -> any any (content:\"GET\"; depth:3; content:\"/admin\"; distance:1; "
    "within:7; sid:1;)\n"
    "alert tcp any any -> any any (content:\"A\"; content:\"B\"; within:2; content:!\"C\"; "
    "distance:0; within:4; sid:2;)\n"
    "alert tcp any any -> any any (content:\"k=\"; pcre:\"/^[0-9]+\\;/R\"; sid:3;)\n"
    "alert tcp any any -> any any (content:\"|00|\"; byte_extract:1,0,n,relative; "
    "byte_test:1,>,n,0,relative; byte_jump:1,0,relative,post_offset -1; isdataat:1,relative; "
    "sid:4;)\n"
    "alert tcp any any -> any any (content:\"Question?\"; byte_jump:2,0,relative,string,from_end,"
    "post_offset -26, bitmask 0xfe; content:\"ll\"; distance:0; sid:5;)\n"
    "alert tcp any any -> any any (content:\"uid=\"; nocase; pcre:\"/uid=\\d+\\(\\w+\\)/\"; "
    "flowbits:set,id; sid:6;)\n"
    "alert tcp any any -> any any (content:\"gid\"; flowbits:isset,id; threshold:type limit, "
    "track by_src, count 1, seconds 60; sid:7;)\n"
    "alert tcp any any -> any any (content:\"xyz\"; startswith; content:\"zyx\"; endswith; "
    "sid:8;)\n"
    "alert tcp any any -> any any (content:\"b64:\"; base64_decode:bytes 64, relative; "
    "base64_data; content:\"secret\"; sid:9;)\n"
    "alert udp any any -> any any (content:\"|01 00|\"; offset:2; depth:2; byte_test:2,>,0,4; "
    "sid:10;)\n"
    "alert udp any any -> any any (pcre:!\"/zzz/\"; dsize:>3; sid:11;)\n"
    "alert http any any -> any any (http.uri; content:\"/login\"; nocase; http.user_agent; "
    "content:!\"Mozilla\"; sid:12;)\n"
    "alert http any any -> any any (http.header; to_lowercase; content:\"x-test\"; sid:13;)\n"
    "alert http any any -> any any (file.data; content:\"MZ\"; depth:2; pcre:\"/PE\\x00\\x00/R\"; "
    "sid:14;)\n"
    "alert dns any any -> any any (dns.query; dotprefix; content:\".example\"; nocase; sid:15;)\n"
    "alert dns any any -> any any (dns.query; strip_whitespace; url_decode; bsize:<40; "
    "content:\"a\"; sid:16;)\n"
    "alert tcp any any -> any any (content:\"aa\"; content:\"aa\"; distance:-1; within:3; "
    "content:\"aa\"; within:4; content:\"b\"; within:3; sid:17;)\n";

static struct rule_loader *g_ld;
static struct detect_engine *g_de;
static struct detect_thread *g_dt;
static volatile uint64_t g_sink;

static void on_alert(void *ud, const struct detect_alert *a)
{
    (void)ud;
    g_sink += a->r->sid + a->dir + a->src + (a->r->msg ? strlen(a->r->msg) : 0);
}

static void setup(void)
{
    g_ld = rule_loader_new(NULL);
    if (!g_ld) abort();
    rule_loader_load_buffer(g_ld, "fuzz.rules", RULES, sizeof RULES - 1);
    size_t n;
    struct rule *const *rules = rule_loader_rules(g_ld, &n);
    struct detect_build_cfg bc = {0};
    bc.no_cache = true;
    bc.flow_state_max = 64;
    bc.threshold_max = 64;
    char err[256];
    if (detect_engine_build(rules, n, &bc, &g_de, NULL, err, sizeof err) != VG_OK) abort();
    g_dt = detect_thread_new(g_de, on_alert, NULL);
    if (!g_dt) abort();
}

static void mk_flow(struct flow *f, uint8_t proto)
{
    memset(f, 0, sizeof *f);
    f->src.family = f->dst.family = 4;
    f->src.a[0] = 10;
    f->src.a[3] = 1;
    f->dst.a[0] = 10;
    f->dst.a[3] = 2;
    f->sport = 40000;
    f->dport = proto == 17 ? 53 : 80;
    f->proto = proto;
    f->pkts[0] = f->pkts[1] = 2;
    f->tcp_state = FLOW_TCP_ESTABLISHED;
    f->tcp_flags[0] = f->tcp_flags[1] = 0x12;
}

static void packet(struct flow *f, int dir, const uint8_t *d, size_t n, uint64_t cnt)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.ip_ver = 4;
    p.proto = f->proto;
    p.src = dir ? f->dst : f->src;
    p.dst = dir ? f->src : f->dst;
    p.sport = dir ? f->dport : f->sport;
    p.dport = dir ? f->sport : f->dport;
    p.payload = n ? d : NULL;
    p.payload_len = (uint32_t)n;
    p.pcap_cnt = cnt;
    p.ts.sec = (int64_t)cnt;
    detect_packet(g_dt, f, &p, dir, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_dt) setup();
    if (size < 1 || size > 65536) return 0;
    uint8_t ctl = data[0];
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    struct flow f;
    int ctx = ctl & 3;
    mk_flow(&f, ctx == 2 ? 17 : 6);
    if (ctx <= 2) {
        int dir = ctx == 1;
        if ((ctl & 4) && n > 1) {
            packet(&f, dir, d, n / 2, 1);
            packet(&f, dir, d + n / 2, n - n / 2, 2);
        } else {
            packet(&f, dir, d, n, 1);
        }
    } else {
        /* the same bytes as URI, User-Agent, a header value, the response body, a question */
        char *s = malloc(n + 1);
        if (!s) return 0;
        memcpy(s, d, n);
        s[n] = '\0';
        struct http_header h = {{"X-Test", 6}, {s, (uint32_t)n}};
        struct http_tx tx;
        memset(&tx, 0, sizeof tx);
        tx.method = (struct http_str){"GET", 3};
        tx.uri = (struct http_str){s, (uint32_t)n};
        tx.user_agent = (struct http_str){s, (uint32_t)n};
        tx.req_headers = &h;
        tx.n_req_headers = 1;
        tx.resp_protocol = (struct http_str){"HTTP/1.1", 8};
        tx.status_str = (struct http_str){"200", 3};
        tx.resp_body = d;
        tx.resp_body_kept = (uint32_t)n;
        detect_http_tx(g_dt, &f, NULL, &tx);
        struct flow g;
        mk_flow(&g, 17);
        struct dns_msg m;
        memset(&m, 0, sizeof m);
        m.nq = 1;
        m.q[0].name = s;
        detect_dns_msg(g_dt, &g, NULL, 0, &m, 0);
        detect_flow_end(g_dt, &g);
        free(s);
    }
    detect_flow_end(g_dt, &f);
    return 0;
}
