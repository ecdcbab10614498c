/* test_detect.c - unit tests of the rule matcher (src/detect: rule_compiler.c, prefilter.c,
 * match.c, detect_engine.c).
 *
 * Two levels: match__list on one buffer (the content inspection engine: depth, offset,
 * distance, within with their off-by-one boundaries on both sides, startswith/endswith,
 * negation, nocase, Suricata's backtracking of relative matches, pcre with /R, byte_test,
 * byte_jump, byte_extract, isdataat, bsize, transforms), and the engine on hand-made packets and
 * transactions (prefilter, rules without a fast pattern, header, flow, flowbits ordering,
 * thresholds, detection_filter, pass, HTTP and DNS buffers, the database cache).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "app/dns/dns.h"
#include "app/http/http.h"
#include "app/ssh/ssh.h"
#include "app/tls/tls.h"
#include "core/vg_status.h"
#include "decode/packet.h"
#include "detect/detect_int.h"
#include "flow/flow.h"
#include "vg_test.h"

/* ---- level 1: one list against one buffer ------------------------------------------------------
 */

/* Parses one rule and matches its first list against buf (len bytes, origin 0). Returns 1 match,
 * 0 no match, -1 when the rule does not parse. */
static int m_len(const char *rule, const void *buf, size_t len)
{
    struct rule *r = NULL;
    struct rule_error e;
    if (rule_parser_parse(rule, strlen(rule), NULL, &r, &e) != VG_OK) {
        fprintf(stderr, "  rule does not parse: %s: %s\n", rule, e.msg);
        return -1;
    }
    struct match_ctx *mc = match__ctx_new(NULL);
    int rc = -1;
    if (mc && r->nbuf) {
        match__rule_begin(mc);
        struct match_buf mb = {buf, (uint32_t)len, 0};
        rc = match__list(mc, r, &r->buf[0], &mb, NULL) ? 1 : 0;
    }
    match__ctx_free(mc);
    rule_free(r);
    return rc;
}

static int m(const char *rule, const char *buf)
{
    return m_len(rule, buf, strlen(buf));
}

#define R(opts) "alert tcp any any -> any any (" opts " sid:1;)"

static void test_content_basic(void)
{
    CHECK_EQ_U(m(R("content:\"abc\";"), "xxabcxx"), 1);
    CHECK_EQ_U(m(R("content:\"abd\";"), "xxabcxx"), 0);
    CHECK_EQ_U(m(R("content:\"|61 62|c\";"), "abc"), 1);
    CHECK_EQ_U(m(R("content:\"ABC\";"), "xxabcxx"), 0);
    CHECK_EQ_U(m(R("content:\"ABC\"; nocase;"), "xxabcxx"), 1);
    CHECK_EQ_U(m(R("content:\"aBc\"; nocase;"), "xxAbCxx"), 1);
    CHECK_EQ_U(m_len(R("content:\"|00 01|\";"), "a\0\1b", 4), 1);
    CHECK_EQ_U(m(R("content:\"abc\";"), "ab"), 0); /* buffer shorter than the pattern */
}

static void test_depth_offset(void)
{
    /* depth: the match must end within depth bytes */
    CHECK_EQ_U(m(R("content:\"abc\"; depth:3;"), "abcx"), 1);
    CHECK_EQ_U(m(R("content:\"abc\"; depth:3;"), "xabc"), 0); /* ends at 4 > 3 */
    CHECK_EQ_U(m(R("content:\"abc\"; depth:4;"), "xabc"), 1); /* ends at 4 == 4 */
    /* offset: the match starts at offset or later */
    CHECK_EQ_U(m(R("content:\"abc\"; offset:1;"), "xabc"), 1); /* starts at 1 */
    CHECK_EQ_U(m(R("content:\"abc\"; offset:2;"), "xabc"), 0); /* starts at 1 < 2 */
    CHECK_EQ_U(m(R("content:\"abc\"; offset:2;"), "xabcabc"), 1);
    /* offset + depth: depth counts from offset (window [offset, offset+depth)) */
    CHECK_EQ_U(m(R("content:\"abc\"; offset:2; depth:3;"), "xxabc"), 1);
    CHECK_EQ_U(m(R("content:\"abc\"; offset:2; depth:3;"), "xxxabc"), 0);
    CHECK_EQ_U(m(R("content:\"abc\"; offset:2; depth:4;"), "xxxabc"), 1);
    CHECK_EQ_U(m(R("content:\"abc\"; offset:1; depth:3;"), "abc"), 0);
    /* startswith = depth len, offset 0; endswith anchors at the end */
    CHECK_EQ_U(m(R("content:\"abc\"; startswith;"), "abcd"), 1);
    CHECK_EQ_U(m(R("content:\"abc\"; startswith;"), "xabc"), 0);
    CHECK_EQ_U(m(R("content:\"abc\"; endswith;"), "xxabc"), 1);
    CHECK_EQ_U(m(R("content:\"abc\"; endswith;"), "abcx"), 0);
    CHECK_EQ_U(m(R("content:\"abc\"; endswith;"), "abcxabc"), 1); /* second occurrence ends */
    CHECK_EQ_U(m(R("content:\"abc\"; startswith; endswith;"), "abc"), 1);
}

static void test_distance_within(void)
{
    /* distance: B starts at least `distance` bytes after the end of A */
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; distance:0;"), "abcd"), 1);
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; distance:1;"), "abcd"), 0);
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; distance:1;"), "abxcd"), 1);
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; distance:2;"), "abxcd"), 0);
    /* negative distance reaches back */
    CHECK_EQ_U(m(R("content:\"cd\"; content:\"bc\"; distance:-3;"), "abcd"), 1);
    CHECK_EQ_U(m(R("content:\"cd\"; content:\"ab\"; distance:-3;"), "abcd"), 0);
    /* within: B ends at most `within` bytes after the end of A */
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; within:2;"), "abcd"), 1);
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; within:2;"), "abxcd"), 0);
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; within:3;"), "abxcd"), 1);
    /* distance + within: window [end+distance, end+distance+within) */
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; distance:1; within:2;"), "abxcd"), 1);
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; distance:1; within:2;"), "abxxcd"), 0);
    CHECK_EQ_U(m(R("content:\"ab\"; content:\"cd\"; distance:1; within:3;"), "abxxcd"), 1);
    /* relative first match: relative to the buffer start */
    CHECK_EQ_U(m(R("content:\"ab\"; distance:1;"), "xab"), 1);
    CHECK_EQ_U(m(R("content:\"ab\"; distance:1;"), "ab"), 0);
}

static void test_negation(void)
{
    CHECK_EQ_U(m(R("content:\"abc\"; content:!\"xyz\";"), "abc"), 1);
    CHECK_EQ_U(m(R("content:\"abc\"; content:!\"xyz\";"), "abcxyz"), 0);
    CHECK_EQ_U(m(R("content:!\"xyz\"; depth:3;"), "abxyz"), 1); /* outside the window */
    CHECK_EQ_U(m(R("content:!\"xyz\"; depth:5;"), "abxyz"), 0);
    CHECK_EQ_U(m(R("content:\"ab\"; content:!\"cd\"; within:2;"), "abxcd"), 1);
    CHECK_EQ_U(m(R("content:\"ab\"; content:!\"cd\"; within:2;"), "abcd"), 0);
    CHECK_EQ_U(m(R("content:!\"abc\"; endswith;"), "abcx"), 1);
    CHECK_EQ_U(m(R("content:!\"abc\"; endswith;"), "xabc"), 0);
}

static void test_backtracking(void)
{
    /* the first "A" has no "B" within 2: the engine retries the next "A" */
    CHECK_EQ_U(m(R("content:\"A\"; content:\"B\"; within:2;"), "AxxxAB"), 1);
    CHECK_EQ_U(m(R("content:\"A\"; content:\"B\"; within:2;"), "AxxxAxxB"), 0);
    /* three levels: retry the middle, then the first */
    CHECK_EQ_U(m(R("content:\"a\"; content:\"b\"; within:3; content:\"c\"; within:2;"), "ab..a.bc"),
               1);
    /* a pcre /R after a content retries the content */
    CHECK_EQ_U(m(R("content:\"k=\"; pcre:\"/^[0-9]+\\;/R\";"), "k=x;k=12;"), 1);
    CHECK_EQ_U(m(R("content:\"k=\"; pcre:\"/^[0-9]+\\;/R\";"), "k=x;k=y;"), 0);
    /* a relative byte_test after a content retries the content */
    CHECK_EQ_U(m_len(R("content:\"T\"; byte_test:1,=,7,0,relative;"), "T\x01T\x07", 4), 1);
    /* distance-only next content: Suricata gives up instead of retrying (a later "A" cannot
     * help); with within it retries */
    CHECK_EQ_U(m(R("content:\"A\"; content:!\"B\"; distance:0;"), "AxBA"), 0);
    CHECK_EQ_U(m(R("content:\"A\"; content:!\"B\"; distance:0; within:5;"), "AxBxxxxxA"), 1);
}

static void test_pcre(void)
{
    CHECK_EQ_U(m(R("pcre:\"/a[0-9]+b/\";"), "xxa123b"), 1);
    CHECK_EQ_U(m(R("pcre:\"/A[0-9]+B/i\";"), "xxa123b"), 1);
    CHECK_EQ_U(m(R("pcre:\"/^xx/\";"), "axx"), 0);
    CHECK_EQ_U(m(R("pcre:!\"/zz/\";"), "axx"), 1);
    CHECK_EQ_U(m(R("pcre:!\"/xx/\";"), "axx"), 0);
    /* /R: anchored at the end of the previous match */
    CHECK_EQ_U(m(R("content:\"GET \"; pcre:\"/^\\/admin/R\";"), "GET /admin"), 1);
    CHECK_EQ_U(m(R("content:\"GET \"; pcre:\"/^\\/admin/R\";"), "GET /x/admin"), 0);
    /* a content relative to a pcre match */
    CHECK_EQ_U(m(R("pcre:\"/id=[0-9]+/\"; content:\"&\"; within:1;"), "id=42&x"), 1);
    CHECK_EQ_U(m(R("pcre:\"/id=[0-9]+/\"; content:\"&\"; within:1;"), "id=42x&"), 0);
}

static void test_byte_keywords(void)
{
    const char pkt[] = "\x00\x05hello\x02\x10rest";
    size_t n = sizeof pkt - 1;
    CHECK_EQ_U(m_len(R("byte_test:2,=,5,0;"), pkt, n), 1);
    CHECK_EQ_U(m_len(R("byte_test:2,>,5,0;"), pkt, n), 0);
    CHECK_EQ_U(m_len(R("byte_test:2,!=,5,0;"), pkt, n), 0);
    CHECK_EQ_U(m_len(R("byte_test:1,&,0x10,8;"), pkt, n), 1);
    CHECK_EQ_U(m_len(R("byte_test:2,=,0x0005,0,little;"), pkt, n), 0);
    CHECK_EQ_U(m_len(R("byte_test:2,=,1280,0,little;"), pkt, n), 1);
    CHECK_EQ_U(n, 13);
    CHECK_EQ_U(m_len(R("byte_test:2,=,0x7374,11;"), pkt, n), 1); /* the last two bytes */
    CHECK_EQ_U(m_len(R("byte_test:2,=,0x7374,12;"), pkt, n), 0); /* one past the end */
    CHECK_EQ_U(m_len(R("byte_test:1,=,0x74,12;"), pkt, n), 1);
    CHECK_EQ_U(m_len(R("byte_test:1,=,0x74,13;"), pkt, n), 0);
    /* byte_jump: skip the length-prefixed string */
    CHECK_EQ_U(m_len(R("byte_jump:2,0; content:\"|02|\"; within:1;"), pkt, n), 1);
    CHECK_EQ_U(m_len(R("byte_jump:2,0; content:\"hello\"; within:5;"), pkt, n), 0);
    /* byte_extract into a variable used by a later keyword */
    CHECK_EQ_U(m_len(R("byte_extract:2,0,len; content:\"|02|\"; distance:len; within:1;"), pkt, n),
               1);
    CHECK_EQ_U(m_len(R("byte_extract:2,0,len; byte_test:1,=,len,0,relative;"), "\x00\x05\x05", 3),
               1);
    /* string numbers */
    CHECK_EQ_U(m(R("byte_test:3,>,99,0,string,dec;"), "123abc"), 1);
    CHECK_EQ_U(m(R("byte_test:3,<,99,0,string,dec;"), "123abc"), 0);
    CHECK_EQ_U(m(R("byte_jump:2,0,string,dec; content:\"X\"; within:1;"), "03abcX"), 1);
    /* isdataat */
    /* relative: at least n bytes after the previous match (Suricata: offset + n <= len) */
    CHECK_EQ_U(m(R("content:\"ab\"; isdataat:2,relative;"), "abcd"), 1);
    CHECK_EQ_U(m(R("content:\"ab\"; isdataat:3,relative;"), "abcd"), 0);
    CHECK_EQ_U(m(R("content:\"ab\"; isdataat:!3,relative;"), "abcd"), 1);
    CHECK_EQ_U(m(R("content:\"ab\"; isdataat:!2,relative;"), "abcd"), 0);
    CHECK_EQ_U(m(R("isdataat:3;"), "abcd"), 1);
    CHECK_EQ_U(m(R("isdataat:4;"), "abcd"), 0);
}

static void test_app_lists(void)
{
    /* bsize and transforms on a sticky buffer (first list) */
    CHECK_EQ_U(m("alert http any any -> any any (http.uri; bsize:4; sid:1;)", "/abc"), 1);
    CHECK_EQ_U(m("alert http any any -> any any (http.uri; bsize:4; sid:1;)", "/abcd"), 0);
    CHECK_EQ_U(
        m("alert http any any -> any any (http.uri; content:\"/a\"; bsize:<10; sid:1;)", "/abc"),
        1);
}

static void test_transforms(void)
{
    struct rule *r = NULL;
    struct rule_error e;
    const char *t = "alert dns any any -> any any (dns.query; dotprefix; to_lowercase; "
                    "content:\".example.com\"; endswith; sid:1;)";
    CHECK(rule_parser_parse(t, strlen(t), NULL, &r, &e) == VG_OK);
    if (!r) return;
    struct match_ctx *mc = match__ctx_new(NULL);
    uint32_t len;
    const uint8_t *p =
        match__transform(mc, 0, &r->buf[0], (const uint8_t *)"WWW.Example.COM", 15, &len, NULL);
    CHECK_EQ_U(len, 16);
    CHECK(memcmp(p, ".www.example.com", 16) == 0);
    struct match_buf mb = {p, len, 0};
    CHECK(match__list(mc, r, &r->buf[0], &mb, NULL));
    /* compress_whitespace keeps the first blank of a run; url_decode */
    struct rule_buffer b;
    memset(&b, 0, sizeof b);
    b.ntx = 1;
    b.tx[0] = RULE_TX_COMPRESS_WHITESPACE;
    p = match__transform(mc, 0, &b, (const uint8_t *)"a  \t b", 6, &len, NULL);
    CHECK_EQ_U(len, 3);
    CHECK(memcmp(p, "a b", 3) == 0);
    b.tx[0] = RULE_TX_URL_DECODE;
    p = match__transform(mc, 0, &b, (const uint8_t *)"%41+b%4", 7, &len, NULL);
    CHECK_EQ_U(len, 5);
    CHECK(memcmp(p, "A b%4", 5) == 0);
    match__ctx_free(mc);
    rule_free(r);
}

static void test_origin(void)
{
    /* a stream chunk: 4 bytes of look-behind then new bytes. Depth counts from the origin; an
     * unanchored content may start in the look-behind but must reach the new bytes. */
    struct rule *r = NULL;
    struct rule_error e;
    const char *rules[] = {R("content:\"abcd\";"), R("content:\"cdx\"; depth:3;"),
                           R("content:\"xy\"; depth:2;"), R("content:\"ab\";")};
    int want[] = {1, 1, 0, 0};
    for (int i = 0; i < 4; i++) {
        CHECK(rule_parser_parse(rules[i], strlen(rules[i]), NULL, &r, &e) == VG_OK);
        if (!r) continue;
        struct match_ctx *mc = match__ctx_new(NULL);
        struct match_buf mb = {(const uint8_t *)"..abcdxy", 8, 4};
        CHECK_EQ_U(match__list(mc, r, &r->buf[0], &mb, NULL), want[i]);
        match__ctx_free(mc);
        rule_free(r);
        r = NULL;
    }
}

/* ---- level 2: the engine ------------------------------------------------------------------------
 */

static uint32_t g_sids[64];
static unsigned g_nalerts;
static int g_last_src;

static void on_alert(void *ud, const struct detect_alert *a)
{
    (void)ud;
    if (g_nalerts < 64) g_sids[g_nalerts] = a->r->sid;
    g_nalerts++;
    g_last_src = a->src;
}

static unsigned fired(uint32_t sid)
{
    unsigned n = 0;
    for (unsigned i = 0; i < g_nalerts && i < 64; i++)
        n += g_sids[i] == sid;
    return n;
}

struct env {
    struct rule_loader *ld;
    struct detect_engine *de;
    struct detect_thread *dt;
    struct detect_build_info info;
};

static bool env_init(struct env *v, const char *rules, const char *cache_dir, bool no_cache)
{
    memset(v, 0, sizeof *v);
    g_nalerts = 0;
    v->ld = rule_loader_new(NULL);
    if (!v->ld) return false;
    rule_loader_load_buffer(v->ld, "t.rules", rules, strlen(rules));
    size_t n, ns;
    struct rule *const *rs = rule_loader_rules(v->ld, &n);
    const struct rule_skip *sk = rule_loader_skips(v->ld, &ns);
    for (size_t i = 0; i < ns; i++)
        fprintf(stderr, "  skipped: line %u: %s\n", sk[i].line, sk[i].reason);
    struct detect_build_cfg bc = {0};
    bc.cache_dir = cache_dir;
    bc.no_cache = no_cache;
    char err[256];
    if (detect_engine_build(rs, n, &bc, &v->de, &v->info, err, sizeof err) != VG_OK) {
        fprintf(stderr, "  build: %s\n", err);
        return false;
    }
    v->dt = detect_thread_new(v->de, on_alert, NULL);
    return v->dt != NULL;
}

static void env_fini(struct env *v)
{
    detect_thread_free(v->dt);
    detect_engine_free(v->de);
    rule_loader_free(v->ld);
}

static void set_addr(struct vg_addr *a, uint8_t a0, uint8_t a1, uint8_t a2, uint8_t a3)
{
    memset(a, 0, sizeof *a);
    a->family = 4;
    a->a[0] = a0;
    a->a[1] = a1;
    a->a[2] = a2;
    a->a[3] = a3;
}

/* A TCP flow 10.0.0.1:40000 -> 10.0.0.2:80 with its handshake done. */
static void mk_flow(struct flow *f, uint8_t proto)
{
    memset(f, 0, sizeof *f);
    set_addr(&f->src, 10, 0, 0, 1);
    set_addr(&f->dst, 10, 0, 0, 2);
    f->sport = 40000;
    f->dport = 80;
    f->proto = proto;
    f->flow_id = 77;
    f->pkts[0] = 3;
    f->pkts[1] = 2;
    if (proto == 6) {
        f->tcp_state = FLOW_TCP_ESTABLISHED;
        f->tcp_flags[0] = VG_TCP_SYN | VG_TCP_ACK | VG_TCP_PSH;
        f->tcp_flags[1] = VG_TCP_SYN | VG_TCP_ACK;
    }
}

static void mk_pkt(struct packet *p, const struct flow *f, int dir, const char *payload,
                   uint64_t cnt)
{
    memset(p, 0, sizeof *p);
    p->ip_ver = 4;
    p->proto = f->proto;
    p->src = dir == FLOW_TOSERVER ? f->src : f->dst;
    p->dst = dir == FLOW_TOSERVER ? f->dst : f->src;
    p->sport = dir == FLOW_TOSERVER ? f->sport : f->dport;
    p->dport = dir == FLOW_TOSERVER ? f->dport : f->sport;
    p->ttl = 64;
    p->tcp_flags = VG_TCP_ACK | VG_TCP_PSH;
    p->payload = (const uint8_t *)payload;
    p->payload_len = payload ? (uint32_t)strlen(payload) : 0;
    p->pcap_cnt = cnt;
    p->ts.sec = 1000 + (int64_t)cnt;
}

static void test_engine_prefilter(void)
{
    struct env v;
    const char *rules = "alert tcp any any -> any any (content:\"needle\"; sid:1;)\n"
                        "alert tcp any any -> any any (pcre:\"/ha+y/\"; sid:2;)\n"
                        "alert tcp any any -> any any (content:\"other\"; sid:3;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    CHECK_EQ_U(v.info.no_fast_pattern, 1); /* sid 2 */
    struct flow f;
    struct packet p;
    mk_flow(&f, 6);
    mk_pkt(&p, &f, FLOW_TOSERVER, "a haaay stack", 1);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(2), 1);
    CHECK_EQ_U(fired(1), 0);
    /* the fast pattern of 1 and 3 is absent: neither reaches verification */
    CHECK_EQ_U(detect_counters(v.dt)->candidates, 1);
    mk_pkt(&p, &f, FLOW_TOSERVER, "a needle in a stack", 2);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 1);
    CHECK_EQ_U(fired(2), 1);
    CHECK_EQ_U(detect_counters(v.dt)->candidates, 3);
    CHECK(f.alerted);
    env_fini(&v);
}

static void test_engine_header_flow(void)
{
    struct env v;
    const char *rules =
        "alert tcp 10.0.0.0/8 any -> any 80 (content:\"x\"; flow:to_server,established; sid:1;)\n"
        "alert tcp any 80 -> any any (content:\"x\"; flow:to_client; sid:2;)\n"
        "alert tcp any any <> 10.0.0.1 40000 (content:\"x\"; sid:3;)\n"
        "alert udp any any -> any any (content:\"x\"; sid:4;)\n"
        "alert tcp any any -> any 81 (content:\"x\"; sid:5;)\n"
        "alert tcp any any -> any any (content:\"x\"; ttl:<10; sid:6;)\n"
        "alert tcp any any -> any any (content:\"x\"; flags:PA; sid:7;)\n"
        "alert tcp any any -> any any (content:\"x\"; dsize:>100; sid:8;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    struct flow f;
    struct packet p;
    mk_flow(&f, 6);
    mk_pkt(&p, &f, FLOW_TOSERVER, "x", 1);
    /* established is the state before the packet: the first packet only records it */
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 0);
    CHECK_EQ_U(fired(7), 1);
    mk_pkt(&p, &f, FLOW_TOSERVER, "x", 2);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 1);
    CHECK_EQ_U(fired(2), 0);
    CHECK_EQ_U(fired(3), 2); /* bidirectional header: the reverse tuple matches */
    CHECK_EQ_U(fired(4), 0);
    CHECK_EQ_U(fired(5), 0);
    CHECK_EQ_U(fired(6), 0);
    CHECK_EQ_U(fired(8), 0);
    mk_pkt(&p, &f, FLOW_TOCLIENT, "x", 3);
    detect_packet(v.dt, &f, &p, FLOW_TOCLIENT, NULL);
    CHECK_EQ_U(fired(2), 1);
    CHECK_EQ_U(fired(1), 1);
    detect_flow_end(v.dt, &f);
    env_fini(&v);
}

static void test_engine_flowbits(void)
{
    struct env v;
    /* the reader comes first in the file: Suricata's order evaluates the setter first */
    const char *rules = "alert tcp any any -> any any (content:\"login\"; flowbits:isset,seen; "
                        "sid:2;)\n"
                        "alert tcp any any -> any any (content:\"login\"; flowbits:set,seen; "
                        "flowbits:noalert; sid:1;)\n"
                        "alert tcp any any -> any any (content:\"bye\"; flowbits:isnotset,seen; "
                        "sid:3;)\n"
                        "alert tcp any any -> any any (content:\"bye\"; flowbits:unset,seen; "
                        "sid:4;)\n"
                        "alert tcp any any -> any any (content:\"again\"; flowbits:isset,seen; "
                        "sid:5;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    struct flow f;
    struct packet p;
    mk_flow(&f, 6);
    mk_pkt(&p, &f, FLOW_TOSERVER, "login", 1);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 0); /* noalert */
    CHECK_EQ_U(fired(2), 1); /* saw the bit set earlier in the same packet */
    CHECK_EQ_U(detect_counters(v.dt)->noalert_matches, 1);
    mk_pkt(&p, &f, FLOW_TOSERVER, "bye", 2);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(4), 1);
    CHECK_EQ_U(fired(3), 1); /* setters (unset) first, then the reader */
    mk_pkt(&p, &f, FLOW_TOSERVER, "again", 3);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(5), 0);
    /* another flow does not see this one's bits */
    struct flow g;
    mk_flow(&g, 6);
    g.sport = 40001;
    mk_pkt(&p, &g, FLOW_TOSERVER, "again", 4);
    detect_packet(v.dt, &g, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(5), 0);
    detect_flow_end(v.dt, &f);
    detect_flow_end(v.dt, &g);
    env_fini(&v);
}

static void test_engine_thresholds(void)
{
    struct env v;
    const char *rules =
        "alert tcp any any -> any any (content:\"L\"; threshold:type limit, track by_src, "
        "count 2, seconds 60; sid:1;)\n"
        "alert tcp any any -> any any (content:\"T\"; threshold:type threshold, track by_src, "
        "count 3, seconds 60; sid:2;)\n"
        "alert tcp any any -> any any (content:\"B\"; threshold:type both, track by_dst, "
        "count 2, seconds 60; sid:3;)\n"
        "alert tcp any any -> any any (content:\"D\"; detection_filter:track by_src, count 2, "
        "seconds 60; sid:4;)\n"
        "alert tcp any any -> any any (content:\"K\"; threshold:type backoff, track by_flow, "
        "count 1, multiplier 2; sid:5;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    struct flow f;
    struct packet p;
    mk_flow(&f, 6);
    for (unsigned i = 1; i <= 6; i++) {
        mk_pkt(&p, &f, FLOW_TOSERVER, "LTBDK", i);
        detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    }
    CHECK_EQ_U(fired(1), 2); /* limit: the first 2 */
    CHECK_EQ_U(fired(2), 2); /* threshold: every 3rd (3, 6) */
    CHECK_EQ_U(fired(3), 1); /* both: once, at the 2nd */
    CHECK_EQ_U(fired(4), 4); /* detection_filter: from the 3rd on */
    CHECK_EQ_U(fired(5), 3); /* backoff 1, 2, 4 */
    CHECK(detect_counters(v.dt)->alerts_suppressed > 0);
    /* the window ends: limit alerts again */
    mk_pkt(&p, &f, FLOW_TOSERVER, "L", 100);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 3);
    detect_flow_end(v.dt, &f);
    env_fini(&v);
}

static void test_engine_pass(void)
{
    struct env v;
    const char *rules = "alert tcp any any -> any any (content:\"evil\"; sid:1;)\n"
                        "pass tcp any any -> any any (content:\"allowed\"; sid:2;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    struct flow f;
    struct packet p;
    mk_flow(&f, 6);
    mk_pkt(&p, &f, FLOW_TOSERVER, "evil", 1);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 1);
    mk_pkt(&p, &f, FLOW_TOSERVER, "allowed evil", 2);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 1); /* the pass rule came first and passed the flow */
    CHECK_EQ_U(fired(2), 0);
    mk_pkt(&p, &f, FLOW_TOSERVER, "evil", 3);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 1);
    detect_flow_end(v.dt, &f);
    env_fini(&v);
}

static void test_engine_http(void)
{
    struct env v;
    const char *rules =
        "alert http any any -> any any (http.method; content:\"POST\"; http.uri; "
        "content:\"/login\"; startswith; sid:1;)\n"
        "alert http any any -> any any (http.host; content:\"example.com\"; endswith; sid:2;)\n"
        "alert http any any -> any any (http.header; content:\"X-Test|3a| 1|0d 0a|\"; sid:3;)\n"
        "alert http any any -> any any (http.header; content:\"Cookie\"; sid:4;)\n"
        "alert http any any -> any any (http.cookie; content:\"sess=1\"; sid:5;)\n"
        "alert http any any -> any any (http.stat_code; content:\"404\"; sid:6;)\n"
        "alert http any any -> any any (file.data; content:\"not found\"; sid:7;)\n"
        "alert http any any -> any any (http.user_agent; content:\"curl\"; sid:8;)\n"
        "alert http any any -> any any (http.request_line; content:\"POST /login?x=1 HTTP/1.1\"; "
        "sid:9;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    struct flow f;
    mk_flow(&f, 6);
    struct http_header rq[2] = {{{"X-Test", 6}, {"1", 1}}, {{"Cookie", 6}, {"sess=1", 6}}};
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.method = (struct http_str){"POST", 4};
    tx.uri = (struct http_str){"/login?x=1", 10};
    tx.protocol = (struct http_str){"HTTP/1.1", 8};
    tx.hostname = (struct http_str){"www.example.com", 15};
    tx.cookie = (struct http_str){"sess=1", 6};
    tx.user_agent = (struct http_str){"Mozilla", 7};
    tx.req_headers = rq;
    tx.n_req_headers = 2;
    tx.resp_protocol = (struct http_str){"HTTP/1.1", 8};
    tx.status_str = (struct http_str){"404", 3};
    tx.resp_body = (const uint8_t *)"page not found";
    tx.resp_body_kept = 14;
    detect_http_tx(v.dt, &f, NULL, &tx);
    CHECK_EQ_U(fired(1), 1);
    CHECK_EQ_U(fired(2), 1);
    CHECK_EQ_U(fired(3), 1);
    CHECK_EQ_U(fired(4), 0); /* http.header leaves Cookie out */
    CHECK_EQ_U(fired(5), 1);
    CHECK_EQ_U(fired(6), 1);
    CHECK_EQ_U(fired(7), 1);
    CHECK_EQ_U(fired(8), 0);
    CHECK_EQ_U(fired(9), 1);
    CHECK_EQ_U(g_last_src, DETECT_SRC_HTTP);
    detect_flow_end(v.dt, &f);
    env_fini(&v);
}

static void test_engine_dns(void)
{
    struct env v;
    const char *rules = "alert dns any any -> any any (dns.query; content:\"evil\"; sid:1;)\n"
                        "alert dns any any -> any any (dns.query; dotprefix; "
                        "content:\".bad.example\"; endswith; sid:2;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    struct flow f;
    mk_flow(&f, 17);
    f.dport = 53;
    struct dns_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.nq = 2;
    msg.q[0].name = "www.example.com";
    msg.q[1].name = "x.bad.example";
    detect_dns_msg(v.dt, &f, NULL, FLOW_TOSERVER, &msg, 0);
    CHECK_EQ_U(fired(1), 0);
    CHECK_EQ_U(fired(2), 1);
    msg.q[0].name = "evil.org";
    detect_dns_msg(v.dt, &f, NULL, FLOW_TOCLIENT, &msg, 1); /* a response: dns.query is the
                                                               request's */
    CHECK_EQ_U(fired(1), 0);
    detect_dns_msg(v.dt, &f, NULL, FLOW_TOSERVER, &msg, 2);
    CHECK_EQ_U(fired(1), 1);
    detect_flow_end(v.dt, &f);
    env_fini(&v);
}

static void test_engine_tls_ssh(void)
{
    struct env v;
    const char *rules =
        "alert tls any any -> any any (tls.sni; content:\"evil.example\"; endswith; sid:1;)\n"
        "alert tls any any -> any any (ja3.hash; content:\"e7d705a3286e19ea42f587b344ee6865\"; "
        "sid:2;)\n"
        "alert tls any any -> any any (tls.cert_subject; content:\"CN=bad\"; sid:3;)\n"
        "alert tls any any -> any any (tls.sni; content:\"good\"; sid:4;)\n"
        "alert tls any any -> any any (tls.version:1.2; sid:5;)\n"
        "alert ssh any any -> any any (ssh.software; content:\"libssh\"; sid:6;)\n"
        "alert ssh any any -> any any (flow:to_client; ssh.software; content:\"OpenSSH\"; "
        "sid:7;)\n"
        "alert ssh any any -> any any (ssh.hassh; content:\"ec7378c1a92f5a8dde7e8b7a1ddf33d1\"; "
        "sid:8;)\n"
        "alert tls any any -> any any (tls.certs; content:\"|30 82|\"; sid:9;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    CHECK_EQ_U(v.info.inactive, 1); /* tls.certs */
    struct flow f;
    mk_flow(&f, 6);
    f.dport = 443;
    static struct tls_session ts;
    static struct tls_cert cert;
    memset(&ts, 0, sizeof ts);
    memset(&cert, 0, sizeof cert);
    ts.flags = TLS_SF_CLIENT_HELLO | TLS_SF_SERVER_HELLO;
    ts.version = 0x0303;
    strcpy(ts.ch.sni, "www.evil.example");
    ts.ch.sni_len = (uint16_t)strlen(ts.ch.sni);
    strcpy(ts.ch.ja3_hash, "e7d705a3286e19ea42f587b344ee6865");
    strcpy(cert.subject, "C=US, CN=bad");
    cert.subject_len = (uint16_t)strlen(cert.subject);
    ts.server_cert = &cert;
    detect_tls_session(v.dt, &f, NULL, &ts);
    CHECK_EQ_U(fired(1), 1);
    CHECK_EQ_U(fired(2), 1);
    CHECK_EQ_U(fired(3), 1);
    CHECK_EQ_U(fired(4), 0);
    CHECK_EQ_U(fired(5), 1);
    CHECK_EQ_U(g_last_src, DETECT_SRC_TLS);
    static struct ssh_session ss;
    memset(&ss, 0, sizeof ss);
    ss.client.flags = SSH_SIDE_BANNER | SSH_SIDE_KEXINIT;
    strcpy(ss.client.software_version, "libssh_0.9");
    strcpy(ss.client.hassh, "ec7378c1a92f5a8dde7e8b7a1ddf33d1");
    ss.server.flags = SSH_SIDE_BANNER;
    strcpy(ss.server.software_version, "OpenSSH_8.9");
    struct flow g;
    mk_flow(&g, 6);
    g.dport = 22;
    detect_ssh_session(v.dt, &g, NULL, &ss);
    CHECK_EQ_U(fired(6), 1); /* no direction: the client side's software */
    CHECK_EQ_U(fired(7), 1); /* to_client: the server's */
    CHECK_EQ_U(fired(8), 1);
    detect_flow_end(v.dt, &f);
    detect_flow_end(v.dt, &g);
    env_fini(&v);
}

static void test_engine_iponly(void)
{
    struct env v;
    const char *rules = "alert ip [10.0.0.1,192.0.2.7] any -> any any (msg:\"rep\"; sid:1;)\n"
                        "alert ip any any -> [2001:db8::5] any (msg:\"rep6\"; sid:2;)\n";
    CHECK(env_init(&v, rules, NULL, true));
    if (!v.dt) return;
    CHECK_EQ_U(v.info.ip_indexed, 2);
    struct flow f;
    struct packet p;
    mk_flow(&f, 6);
    f.pkts[0] = 1;
    mk_pkt(&p, &f, FLOW_TOSERVER, NULL, 1);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 1);
    f.pkts[0] = 2; /* IP-only rules: the first packet of each direction only */
    mk_pkt(&p, &f, FLOW_TOSERVER, NULL, 2);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 1);
    detect_flow_end(v.dt, &f);
    env_fini(&v);
}

static void test_cache(void)
{
    char dir[] = "/tmp/vigil-test-cache-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    const char *rules = "alert tcp any any -> any any (content:\"cache me\"; sid:1;)\n";
    struct env v;
    CHECK(env_init(&v, rules, dir, false));
    CHECK(!v.info.cache_used);
    CHECK(v.info.cache_written);
    char path[600];
    snprintf(path, sizeof path, "%s", v.info.cache_path);
    env_fini(&v);
    CHECK(env_init(&v, rules, dir, false));
    CHECK(v.info.cache_used);
    env_fini(&v);
    /* a corrupt file is refused and rebuilt */
    FILE *fp = fopen(path, "r+b");
    CHECK(fp != NULL);
    if (fp) {
        fseek(fp, 100, SEEK_SET);
        fputc(0x5a, fp);
        fclose(fp);
    }
    CHECK(env_init(&v, rules, dir, false));
    CHECK(!v.info.cache_used);
    CHECK(strstr(v.info.cache_note, "corrupt") != NULL || v.info.cache_written);
    struct flow f;
    struct packet p;
    mk_flow(&f, 6);
    mk_pkt(&p, &f, FLOW_TOSERVER, "please cache me", 1);
    detect_packet(v.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(1), 1);
    detect_flow_end(v.dt, &f);
    env_fini(&v);
    /* other rules: another key, another file */
    CHECK(env_init(&v, "alert tcp any any -> any any (content:\"other\"; sid:2;)\n", dir, false));
    CHECK(!v.info.cache_used);
    CHECK(strcmp(path, v.info.cache_path) != 0);
    env_fini(&v);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", dir);
}

/* A reload (vigil run, SIGHUP): the per-flow state of a thread of the old engine goes to a thread
 * of the new one (detect_thread_adopt). Flowbits are matched by name: the new rules number them
 * differently; a bit the new rules no longer use is gone. "established" is kept. */
static void test_engine_adopt(void)
{
    struct env a, b;
    const char *old_rules =
        "alert tcp any any -> any any (content:\"login\"; flowbits:set,seen; flowbits:set,gone; "
        "flowbits:noalert; sid:1;)\n";
    /* other bits first, so that "seen" gets another number here */
    const char *new_rules =
        "alert tcp any any -> any any (content:\"zz\"; flowbits:set,aaa; flowbits:set,bbb; sid:9;)\n"
        "alert tcp any any -> any any (content:\"again\"; flowbits:isset,seen; sid:5;)\n"
        "alert tcp any any -> any any (content:\"again\"; flowbits:isset,bbb; sid:6;)\n"
        "alert tcp any any -> any any (content:\"est\"; flow:established; sid:7;)\n";
    CHECK(env_init(&a, old_rules, NULL, true));
    struct detect_thread *old_dt = a.dt;
    struct detect_engine *old_de = a.de;
    struct rule_loader *old_ld = a.ld;
    CHECK(env_init(&b, new_rules, NULL, true)); /* resets the alert log */
    if (!old_dt || !b.dt) return;
    struct flow f, g;
    struct packet p;
    mk_flow(&f, 6);
    mk_flow(&g, 6);
    g.sport = 40002;
    mk_pkt(&p, &f, FLOW_TOSERVER, "login", 1); /* sets seen and gone; established from now on */
    detect_packet(old_dt, &f, &p, FLOW_TOSERVER, NULL);
    uint64_t old_inspected = detect_counters(old_dt)->packets;
    CHECK_EQ_U(detect_thread_adopt(b.dt, old_dt), VG_OK);
    detect_thread_free(old_dt);
    detect_engine_free(old_de);
    rule_loader_free(old_ld);
    CHECK_EQ_U(detect_counters(b.dt)->packets, old_inspected); /* counters go on */
    mk_pkt(&p, &f, FLOW_TOSERVER, "again est", 2);
    detect_packet(b.dt, &f, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(5), 1); /* seen came over under its new number */
    CHECK_EQ_U(fired(6), 0); /* bbb was never set on this flow */
    CHECK_EQ_U(fired(7), 1); /* established came over */
    /* a flow the old thread never saw has nothing */
    mk_pkt(&p, &g, FLOW_TOSERVER, "again est", 3);
    detect_packet(b.dt, &g, &p, FLOW_TOSERVER, NULL);
    CHECK_EQ_U(fired(5), 1);
    CHECK_EQ_U(fired(7), 1); /* first packet of g in this thread: not yet established */
    detect_flow_end(b.dt, &f);
    detect_flow_end(b.dt, &g);
    env_fini(&b);
}

int main(void)
{
    RUN(test_content_basic);
    RUN(test_depth_offset);
    RUN(test_distance_within);
    RUN(test_negation);
    RUN(test_backtracking);
    RUN(test_pcre);
    RUN(test_byte_keywords);
    RUN(test_app_lists);
    RUN(test_transforms);
    RUN(test_origin);
    RUN(test_engine_prefilter);
    RUN(test_engine_header_flow);
    RUN(test_engine_flowbits);
    RUN(test_engine_thresholds);
    RUN(test_engine_pass);
    RUN(test_engine_http);
    RUN(test_engine_dns);
    RUN(test_engine_tls_ssh);
    RUN(test_engine_iponly);
    RUN(test_cache);
    RUN(test_engine_adopt);
    return vg_test_done("detect");
}
