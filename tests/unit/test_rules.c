/* test_rules.c - unit tests of src/detect: the rule language parsed into struct rule.
 *
 * Per keyword family: valid forms and the values they produce, invalid forms with the exact
 * position and message; content boundary cases Suricata rejects or accepts (suricata-verify's
 * test-bad-* rules among them); address/port groups with negation and variables; line
 * continuations, comments, duplicate sids and the loader's caps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "detect/detect.h"
#include "vg_test.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static struct rule_vars *g_vars; /* NULL: built-in defaults */

static int parse(const char *text, struct rule **r, struct rule_error *e)
{
    struct rule_parse_cfg cfg = {0};
    cfg.vars = g_vars;
    cfg.file = "t.rules";
    cfg.line = 1;
    return rule_parser_parse(text, strlen(text), &cfg, r, e);
}

/* Parses a rule that must be valid; returns it (rule_free) or NULL. */
static struct rule *ok(const char *text)
{
    struct rule *r = NULL;
    struct rule_error e;
    int rc = parse(text, &r, &e);
    CHECK(rc == VG_OK);
    if (rc != VG_OK)
        fprintf(stderr, "  rule: %s\n  error: %u:%u: %s\n", text, e.line, e.col, e.msg);
    return r;
}

/* Parses a rule that must fail with `status` at column col (0: any) with message msg. */
static void bad_st(const char *text, int status, unsigned col, const char *msg)
{
    struct rule *r = NULL;
    struct rule_error e;
    int rc = parse(text, &r, &e);
    CHECK(rc == status);
    CHECK(r == NULL);
    if (col) CHECK_EQ_U(e.col, col);
    CHECK_STR(e.msg, msg);
    if (rc != status || (col && e.col != col) || strcmp(e.msg, msg) != 0)
        fprintf(stderr, "  rule: %s\n  got: rc %d col %u '%s'\n", text, rc, e.col, e.msg);
    rule_free(r);
}

static void bad(const char *text, unsigned col, const char *msg)
{
    bad_st(text, VG_ERR_FORMAT, col, msg);
}

/* 1-based column of the first occurrence of needle in text, plus add. */
static unsigned colof(const char *text, const char *needle, int add)
{
    const char *p = strstr(text, needle);
    if (!p) {
        fprintf(stderr, "colof: '%s' not in '%s'\n", needle, text);
        return 0;
    }
    return (unsigned)(p - text) + 1 + (unsigned)add;
}

static const struct rule_buffer *find_buf(const struct rule *r, int id)
{
    for (uint32_t i = 0; r && i < r->nbuf; i++) {
        if (r->buf[i].id == id) return &r->buf[i];
    }
    return NULL;
}

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

#define HDR "alert tcp any any -> any any "

/* ---- header --------------------------------------------------------------------------------- */

static void test_header(void)
{
    static const char *const acts[] = {"alert",     "pass",      "drop",      "reject",
                                       "rejectsrc", "rejectdst", "rejectboth"};
    for (int i = 0; i < 7; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s tcp any any -> any any (sid:1;)", acts[i]);
        struct rule *r = ok(buf);
        if (r) CHECK_EQ_U(r->action, RULE_ACTION_ALERT + i);
        rule_free(r);
    }
    bad("alrt tcp any any -> any any (sid:1;)", 1, "invalid action 'alrt'");
    bad_st("alert foo any any -> any any (sid:1;)", VG_ERR_UNSUPPORTED, 7,
           "unsupported protocol 'foo'");
    bad_st("alert tls:server_hello any any -> any any (sid:1;)", VG_ERR_UNSUPPORTED, 7,
           "unsupported protocol hook 'tls:server_hello'");
    bad("alert tcp any any <- any any (sid:1;)", 19, "direction '<-' is not supported; use '->'");
    bad("alert tcp any any >> any any (sid:1;)", 19, "invalid direction '>>'");
    bad("alert tcp any any -> any", 25, "missing destination port in the rule header");
    bad("alert tcp any any -> any any", 29, "missing '(' and options");
    bad("alert tcp any any -> any any sid:1;", 30, "expected '(' after the header");
    bad("alert tcp any any -> any any (sid:1;", 37, "missing ')' at the end of the rule");
    bad("alert tcp any any -> any any (msg:\"x\";)", 39, "rule has no sid");

    struct rule *r = ok("alert IP any any <> any any (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->proto, RULE_PROTO_IP);
        CHECK(r->flags & RULE_F_BIDIR);
        CHECK(r->src.any && r->dst.any && r->sport.any && r->dport.any);
        CHECK_EQ_U(r->gid, 1);
        CHECK_EQ_U(r->priority, 3);
        CHECK_STR(r->msg, "");
        CHECK_STR(r->file, "t.rules");
        CHECK_EQ_U(r->line, 1);
    }
    rule_free(r);
    /* every protocol name Suricata knows is accepted; vigil says which it can match */
    static const char *const protos[] = {
        "ip",  "tcp",  "udp", "icmp", "icmpv6", "http",    "http1",      "http2", "dns",  "tls",
        "ssh", "smtp", "ftp", "smb",  "pkthdr", "tcp-pkt", "tcp-stream", "ike",   "mqtt", "dcerpc"};
    for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "alert %s any any -> any any (sid:1;)", protos[i]);
        r = ok(buf);
        if (r) CHECK_STR(rule_proto_info(r->proto)->name, protos[i]);
        rule_free(r);
    }
    CHECK(rule_proto_info(RULE_PROTO_HTTP)->vigil == 1);
    CHECK(rule_proto_info(RULE_PROTO_SMB)->vigil == 0);
    CHECK(rule_proto_info(RULE_PROTO_COUNT) == NULL);
    r = ok("alert http any any -> any any (sid:1;)");
    if (r) CHECK_EQ_U(r->app, RULE_PROTO_HTTP);
    rule_free(r);
    /* Suricata 8's transactional direction is reported as unsupported, not invalid */
    bad_st("alert http any any => any any (sid:1;)", VG_ERR_UNSUPPORTED, 20,
           "unsupported direction '=>' (transactional)");
}

/* ---- addresses and ports -------------------------------------------------------------------- */

static void test_addresses(void)
{
    struct rule *r = ok("alert tcp [1.2.3.0/24,![1.2.3.4,1.2.3.5]] any -> 10.0.0.1 any (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->src.n4, 2);
        CHECK_EQ_U(r->src.n6, 0);
        CHECK(!r->src.any);
        if (r->src.n4 == 2) {
            CHECK_EQ_U(r->src.v4[0].lo, ip4(1, 2, 3, 0));
            CHECK_EQ_U(r->src.v4[0].hi, ip4(1, 2, 3, 3));
            CHECK_EQ_U(r->src.v4[1].lo, ip4(1, 2, 3, 6));
            CHECK_EQ_U(r->src.v4[1].hi, ip4(1, 2, 3, 255));
        }
        CHECK_EQ_U(r->dst.n4, 1);
        if (r->dst.n4) CHECK_EQ_U(r->dst.v4[0].lo, ip4(10, 0, 0, 1));
    }
    rule_free(r);

    /* HOME_NET / EXTERNAL_NET defaults (suricata.yaml) */
    r = ok("alert tcp $HOME_NET any -> $EXTERNAL_NET any (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->src.n4, 3);
        if (r->src.n4 == 3) {
            CHECK_EQ_U(r->src.v4[0].lo, ip4(10, 0, 0, 0));
            CHECK_EQ_U(r->src.v4[0].hi, ip4(10, 255, 255, 255));
            CHECK_EQ_U(r->src.v4[1].lo, ip4(172, 16, 0, 0));
            CHECK_EQ_U(r->src.v4[2].hi, ip4(192, 168, 255, 255));
        }
        /* !$HOME_NET: the other IPv4 space and all of IPv6 */
        CHECK_EQ_U(r->dst.n4, 4);
        CHECK_EQ_U(r->dst.n6, 1);
        if (r->dst.n4 == 4) {
            CHECK_EQ_U(r->dst.v4[0].lo, 0);
            CHECK_EQ_U(r->dst.v4[0].hi, ip4(9, 255, 255, 255));
            CHECK_EQ_U(r->dst.v4[3].lo, ip4(192, 169, 0, 0));
            CHECK_EQ_U(r->dst.v4[3].hi, 0xffffffffu);
        }
    }
    rule_free(r);

    /* IPv6, masks, ranges, $HTTP_SERVERS (= $HOME_NET) in a group */
    r = ok("alert tcp [2001:db8::/32,::1] any -> [1.2.3.4/255.255.255.0,5.6.7.8-5.6.7.10,"
           "$HTTP_SERVERS] any (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->src.n4, 0);
        CHECK_EQ_U(r->src.n6, 2);
        if (r->src.n6 == 2) {
            CHECK(r->src.v6[0].lo[15] == 1 && r->src.v6[0].hi[15] == 1); /* ::1 sorts first */
            CHECK(r->src.v6[1].lo[0] == 0x20 && r->src.v6[1].lo[1] == 0x01);
            CHECK(r->src.v6[1].hi[4] == 0xff && r->src.v6[1].hi[15] == 0xff);
        }
        CHECK_EQ_U(r->dst.n4, 5);
        if (r->dst.n4 == 5) {
            CHECK_EQ_U(r->dst.v4[0].lo, ip4(1, 2, 3, 0));
            CHECK_EQ_U(r->dst.v4[0].hi, ip4(1, 2, 3, 255));
            CHECK_EQ_U(r->dst.v4[1].lo, ip4(5, 6, 7, 8));
            CHECK_EQ_U(r->dst.v4[1].hi, ip4(5, 6, 7, 10));
        }
    }
    rule_free(r);
    /* overlapping and adjacent entries merge */
    r = ok("alert tcp [10.0.0.0/25,10.0.0.128/25,10.0.0.7] any -> any any (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->src.n4, 1);
        if (r->src.n4) CHECK_EQ_U(r->src.v4[0].hi, ip4(10, 0, 0, 255));
    }
    rule_free(r);
    /* blanks inside brackets */
    r = ok("alert tcp [1.1.1.1, 2.2.2.2] any -> any any (sid:1;)");
    if (r) CHECK_EQ_U(r->src.n4, 2);
    rule_free(r);

    bad("alert tcp 1.2.3.4/33 any -> any any (sid:1;)", 11,
        "source address: invalid prefix length in '1.2.3.4/33'");
    bad("alert tcp 1.2.3.256 any -> any any (sid:1;)", 11,
        "source address: invalid address '1.2.3.256'");
    bad("alert tcp any any -> [1.2.3.4,!1.2.3.4] any (sid:1;)", 22,
        "destination address: address group matches nothing");
    bad("alert tcp !any any -> any any (sid:1;)", 11,
        "source address: address group matches nothing");
    bad("alert tcp [] any -> any any (sid:1;)", 12, "source address: empty group");
    bad("alert tcp [1.2.3.4 any -> any any (sid:1;)", 11, "source address: missing ']'");
    bad("alert tcp $NOPE any -> any any (sid:1;)", 11,
        "source address: undefined variable '$NOPE'");
    bad("alert tcp 5.6.7.10-5.6.7.8 any -> any any (sid:1;)", 11,
        "source address: address range '5.6.7.10-5.6.7.8' is reversed");

    /* nesting: 16 levels are fine, 17 hit the cap; 10,000 fail fast */
    char deep[64000];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n, "alert tcp ");
    for (int i = 0; i < 16; i++)
        deep[n++] = '[';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "1.2.3.4");
    for (int i = 0; i < 16; i++)
        deep[n++] = ']';
    snprintf(deep + n, sizeof deep - n, " any -> any any (sid:1;)");
    r = ok(deep);
    rule_free(r);
    n = (size_t)snprintf(deep, sizeof deep, "alert tcp ");
    for (int i = 0; i < 17; i++)
        deep[n++] = '[';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "1.2.3.4");
    for (int i = 0; i < 17; i++)
        deep[n++] = ']';
    snprintf(deep + n, sizeof deep - n, " any -> any any (sid:1;)");
    bad_st(deep, VG_ERR_LIMIT, 27, "source address: groups nested deeper than 16");
    n = (size_t)snprintf(deep, sizeof deep, "alert tcp ");
    for (int i = 0; i < 10000; i++)
        deep[n++] = '[';
    snprintf(deep + n, sizeof deep - n, " any -> any any (sid:1;)");
    bad_st(deep, VG_ERR_LIMIT, 27, "source address: groups nested deeper than 16");
    /* inside a variable the evaluator's own cap applies */
    struct rule_vars *v = rule_vars_new();
    if (v) {
        char val[200];
        size_t k = 0;
        for (int i = 0; i < 20; i++)
            val[k++] = '[';
        val[k++] = '1';
        for (int i = 0; i < 20; i++)
            val[k++] = ']';
        val[k] = '\0';
        CHECK_EQ_U(rule_vars_set(v, "DEEP", val), VG_OK);
        g_vars = v;
        bad_st("alert tcp $DEEP any -> any any (sid:1;)", VG_ERR_LIMIT, 11,
               "source address: in $DEEP: groups nested deeper than the limit");
        g_vars = NULL;
        rule_vars_free(v);
    }
}

static void test_variables(void)
{
    struct rule_vars *v = rule_vars_new();
    CHECK(v != NULL);
    if (!v) return;
    CHECK_STR(rule_vars_get(v, "HOME_NET"), "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
    CHECK_STR(rule_vars_get(v, "$EXTERNAL_NET"), "!$HOME_NET");
    CHECK_STR(rule_vars_get(v, "HTTP_PORTS"), "80");
    CHECK(rule_vars_get(v, "NOPE") == NULL);
    CHECK_EQ_U(rule_vars_set(v, "HOME_NET", "[10.1.0.0/16]"), VG_OK);
    CHECK_EQ_U(rule_vars_set(v, "A", "$B"), VG_OK);
    CHECK_EQ_U(rule_vars_set(v, "B", "[1.1.1.1,$A]"), VG_OK);
    CHECK_EQ_U(rule_vars_set(v, "bad name", "1"), VG_ERR_USAGE);
    CHECK_EQ_U(rule_vars_set(v, "HTTP_PORTS", "[80,8080:8090]"), VG_OK);
    g_vars = v;
    struct rule *r = ok("alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->dst.n4, 1);
        if (r->dst.n4) CHECK_EQ_U(r->dst.v4[0].lo, ip4(10, 1, 0, 0));
        CHECK_EQ_U(r->src.n4, 2);
        CHECK_EQ_U(r->dport.n, 2);
        if (r->dport.n == 2) {
            CHECK_EQ_U(r->dport.r[1].lo, 8080);
            CHECK_EQ_U(r->dport.r[1].hi, 8090);
        }
    }
    rule_free(r);
    /* variables tripling each other 15 times (3^15 leaves): each is evaluated once */
    CHECK_EQ_U(rule_vars_set(v, "V0", "1.1.1.1,2.2.2.2"), VG_OK);
    for (int i = 1; i <= 15; i++) {
        char name[16], val[64];
        snprintf(name, sizeof name, "V%d", i);
        snprintf(val, sizeof val, "$V%d,$V%d,$V%d", i - 1, i - 1, i - 1);
        CHECK_EQ_U(rule_vars_set(v, name, val), VG_OK);
    }
    r = ok("alert tcp $V15,$V15 any -> $V15 any (sid:1;)");
    if (r) CHECK_EQ_U(r->src.n4, 2);
    rule_free(r);
    /* a loop between variables is caught, with the chain in the message */
    bad("alert tcp $A any -> any any (sid:1;)", 11,
        "source address: in $A: in $B: variable '$A' refers to itself");
    g_vars = NULL;
    rule_vars_free(v);
    rule_vars_free(NULL);
}

static void test_ports(void)
{
    struct rule *r = ok("alert tcp any [1024:,!2000:2010] -> any [:1023,!22] (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->sport.n, 2);
        if (r->sport.n == 2) {
            CHECK_EQ_U(r->sport.r[0].lo, 1024);
            CHECK_EQ_U(r->sport.r[0].hi, 1999);
            CHECK_EQ_U(r->sport.r[1].lo, 2011);
            CHECK_EQ_U(r->sport.r[1].hi, 65535);
        }
        CHECK_EQ_U(r->dport.n, 2);
        if (r->dport.n == 2) {
            CHECK_EQ_U(r->dport.r[0].hi, 21);
            CHECK_EQ_U(r->dport.r[1].lo, 23);
            CHECK_EQ_U(r->dport.r[1].hi, 1023);
        }
    }
    rule_free(r);
    r = ok("alert tcp any 1:1024 -> any $HTTP_PORTS (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->sport.r[0].lo, 1);
        CHECK_EQ_U(r->sport.r[0].hi, 1024);
        CHECK_EQ_U(r->dport.n, 1);
        CHECK_EQ_U(r->dport.r[0].lo, 80);
    }
    rule_free(r);
    r = ok("alert tcp any $SHELLCODE_PORTS -> any [$HTTP_PORTS,443] (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->sport.n, 2); /* !80 */
        CHECK_EQ_U(r->dport.n, 2);
    }
    rule_free(r);
    r = ok("drop ip :: 0 <> :: 2 (sid:1;)");
    if (r) {
        CHECK_EQ_U(r->src.n6, 1);
        CHECK_EQ_U(r->sport.r[0].hi, 0);
    }
    rule_free(r);
    bad("alert tcp any any -> any 65536 (sid:1;)", 26, "destination port: invalid port '65536'");
    bad("alert tcp any 2000:1000 -> any any (sid:1;)", 15,
        "source port: port range '2000:1000' is reversed");
    bad("alert tcp any [80,!80] -> any any (sid:1;)", 15,
        "source port: port group matches nothing");
    bad("alert tcp any : -> any any (sid:1;)", 15, "source port: invalid port range ':'");
}

/* ---- meta ----------------------------------------------------------------------------------- */

static void test_meta(void)
{
    struct rule *r = ok(HDR "(msg:\"a \\\"quoted\\\" \\; \\\\ b\"; sid:2000001; rev:7; gid:3; "
                            "classtype:trojan-activity; reference:url,example.com/x; "
                            "reference:cve,2021-44228; metadata:created_at 2024_01_01, "
                            "former_category MALWARE; target:dest_ip;)");
    if (r) {
        CHECK_STR(r->msg, "a \"quoted\" ; \\ b");
        CHECK_EQ_U(r->sid, 2000001);
        CHECK_EQ_U(r->rev, 7);
        CHECK_EQ_U(r->gid, 3);
        CHECK_STR(r->classtype, "trojan-activity");
        CHECK_STR(r->class_desc, "A Network Trojan was detected");
        CHECK_EQ_U(r->priority, 1);
        CHECK_EQ_U(r->nref, 2);
        if (r->nref == 2) {
            CHECK_STR(r->ref[0].type, "url");
            CHECK_STR(r->ref[0].value, "example.com/x");
            CHECK_STR(r->ref[1].value, "2021-44228");
        }
        CHECK_EQ_U(r->nmeta, 2);
        if (r->nmeta == 2) {
            CHECK_STR(r->meta[0].key, "created_at");
            CHECK_STR(r->meta[0].value, "2024_01_01");
            CHECK_STR(r->meta[1].key, "former_category");
        }
        CHECK_EQ_U(r->target, RULE_TARGET_DST);
    }
    rule_free(r);
    /* priority: overrides classtype in either order */
    r = ok(HDR "(priority:4; classtype:trojan-activity; sid:1;)");
    if (r) CHECK_EQ_U(r->priority, 4);
    rule_free(r);
    r = ok(HDR "(classtype:misc-activity; priority:2; sid:1;)");
    if (r) CHECK_EQ_U(r->priority, 2);
    rule_free(r);

    const char *t = HDR "(sid:0;)";
    bad(t, colof(t, "0;", 0), "sid: invalid value '0' (must be 1..4294967295)");
    t = HDR "(sid:1; sid:2;)";
    bad(t, colof(t, "sid:2", 0), "sid: may appear only once in a rule");
    t = HDR "(sid:abc;)";
    bad(t, colof(t, "abc", 0), "sid: invalid value 'abc' (must be 1..4294967295)");
    t = HDR "(classtype:no-such-class; sid:1;)";
    bad(t, colof(t, "no-such", 0), "classtype: unknown classtype 'no-such-class'");
    t = HDR "(priority:0; sid:1;)";
    bad(t, colof(t, "0;", 0), "priority: invalid value '0' (must be 1..255)");
    t = HDR "(reference:nocomma; sid:1;)";
    bad(t, colof(t, "nocomma", 0), "reference: expected 'type,value'");
    t = HDR "(msg:unquoted; sid:1;)";
    bad(t, colof(t, "unquoted", 0), "msg: value must be double quoted");
    t = HDR "(msg:\"a\"b\"; sid:1;)";
    bad(t, colof(t, "\"b", 0), "msg: unescaped double quote inside the value");
    t = HDR "(target:both; sid:1;)";
    bad(t, colof(t, "both", 0), "target: expected 'src_ip' or 'dest_ip'");
    t = HDR "(sid;)";
    bad(t, colof(t, "sid", 3), "sid: needs a value");
    t = HDR "(nocase:1; sid:1;)";
    bad(t, colof(t, "1; sid", 0), "nocase: takes no value");
    /* unknown keywords make the rule unsupported, not invalid */
    t = HDR "(xbits:set,a,track ip_src; sid:1;)";
    bad_st(t, VG_ERR_UNSUPPORTED, colof(t, "xbits", 0), "unsupported keyword 'xbits'");
    t = HDR "(sid:1; content:\"a\";; nocase;)";
    bad(t, colof(t, ";; nocase", 1), "empty option (stray ';')");

    /* classification tables */
    struct rule_classes *c = kw_meta_classes_new();
    CHECK(c != NULL);
    const char *desc;
    CHECK_EQ_U(kw_meta_classes_lookup(c, "attempted-admin", &desc), 1);
    CHECK_STR(desc, "Attempted Administrator Privilege Gain");
    CHECK(kw_meta_classes_lookup(c, "nope", NULL) < 0);
    char path[] = "/tmp/vigil_test_classXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        const char *txt = "# comment\n\nconfig classification: my-class,My, own class,4\n"
                          "config classification: attempted-admin,Changed,2\n";
        CHECK(write(fd, txt, strlen(txt)) == (ssize_t)strlen(txt));
        close(fd);
        struct rule_error e;
        CHECK_EQ_U(kw_meta_classes_load(c, path, &e), VG_OK);
        CHECK_EQ_U(kw_meta_classes_lookup(c, "my-class", &desc), 4);
        CHECK_STR(desc, "My, own class");
        CHECK_EQ_U(kw_meta_classes_lookup(c, "attempted-admin", NULL), 2);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs("config classification: x,y\n", f);
            fclose(f);
        }
        CHECK_EQ_U(kw_meta_classes_load(c, path, &e), VG_ERR_FORMAT);
        CHECK_EQ_U(e.line, 1);
        CHECK_STR(e.msg, "expected 'name,description,priority'");
        unlink(path);
        CHECK_EQ_U(kw_meta_classes_load(c, "/nonexistent/x", &e), VG_ERR_IO);
    }
    kw_meta_classes_free(c);
}

/* ---- content -------------------------------------------------------------------------------- */

static void test_content(void)
{
    struct rule *r =
        ok(HDR "(content:\"A|42 43|\\\"\\;\\:\\\\z\"; content:!\"|0d 0A|x\"; nocase; sid:1;)");
    if (r) {
        const struct rule_buffer *b = find_buf(r, RULE_BUF_PKT);
        CHECK(b && b->n == 2);
        if (b && b->n == 2) {
            const struct rule_content *c = &b->m[0].u.content;
            CHECK_EQ_U(c->len, 8);
            CHECK(memcmp(c->pat, "ABC\";:\\z", 8) == 0);
            CHECK_EQ_U(c->flags, 0);
            c = &b->m[1].u.content;
            CHECK_EQ_U(c->len, 3);
            CHECK(memcmp(c->pat, "\r\nx", 3) == 0);
            CHECK_EQ_U(c->flags, RULE_CONTENT_NEGATED | RULE_CONTENT_NOCASE);
        }
    }
    rule_free(r);
    /* hex digits pair across blanks, as in Suricata */
    r = ok(HDR "(content:\"|4 1|\"; sid:1;)");
    if (r) CHECK(r->buf[0].m[0].u.content.pat[0] == 0x41);
    rule_free(r);

    const char *t;
    t = HDR "(msg:\"invalid hex test rule\"; content:\"|l0 01 01|\"; sid:12345; rev:1;)";
    bad(t, colof(t, "l0", 0), "content: invalid hex digit 'l'");
    t = HDR "(content:\"|22 2 22|\"; sid:12346;)";
    bad(t, colof(t, "2 22|", 3), "content: incomplete hex byte (odd number of digits)");
    t = HDR "(content:\"|01 10 0j|\"; sid:12346;)";
    bad(t, colof(t, "j|", 0), "content: invalid hex digit 'j'");
    t = HDR "(content:\"|1\"; sid:1232222;)";
    bad(t, colof(t, "|1", 0), "content: unterminated hex block");
    t = HDR "(content:\"thisisbad\"\"; sid:1;)";
    bad(t, colof(t, "\"\";", 0), "content: unescaped double quote inside the content");
    t = HDR "(content:AA; sid:1;)";
    bad(t, colof(t, "AA", 0), "content: value must be double quoted");
    t = "alert udp any any -> any any (content:\"AA\" depth:20; sid:6666666;)";
    bad(t, colof(t, " depth", 0),
        "content: unexpected text after the closing quote (possible missing ';')");
    t = HDR "(content:\"a\\x\"; sid:1;)";
    bad(t, colof(t, "\\x", 0),
        "content: invalid escape '\\x' (only \\\\ \\\" \\; \\: are allowed)");
    t = HDR "(content:\"\"; sid:1;)";
    bad(t, colof(t, "\"\"", 0), "content: empty content");
    t = HDR "(content:\"abc; sid:1;)";
    bad(t, colof(t, "\"abc", 0), "content: missing closing quote");
}

static void test_content_modifiers(void)
{
    struct rule *r =
        ok(HDR "(content:\"abc\"; offset:2; depth:10; content:\"de\"; distance:-2; "
               "within:8; content:\"GET\"; startswith; content:\"x\"; endswith; sid:1;)");
    if (r) {
        const struct rule_buffer *b = find_buf(r, RULE_BUF_PKT);
        CHECK(b && b->n == 4);
        if (b && b->n == 4) {
            const struct rule_content *c = &b->m[0].u.content;
            CHECK_EQ_U(c->flags, RULE_CONTENT_OFFSET | RULE_CONTENT_DEPTH);
            CHECK_EQ_U(c->offset.v, 2);
            CHECK_EQ_U(c->depth.v, 10);
            c = &b->m[1].u.content;
            CHECK_EQ_U(c->flags, RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN);
            CHECK(c->distance.v == -2);
            CHECK_EQ_U(c->within.v, 8);
            c = &b->m[2].u.content;
            CHECK(c->flags & RULE_CONTENT_STARTSWITH);
            CHECK_EQ_U(c->depth.v, 3);
            CHECK(b->m[3].u.content.flags & RULE_CONTENT_ENDSWITH);
        }
    }
    rule_free(r);
    /* a relative content first in its buffer is relative to the buffer start (Suricata) */
    r = ok(HDR "(content:\"a\"; distance:0; sid:1;)");
    rule_free(r);

    const char *t;
    t = "alert udp any any -> any any (msg:\"x\"; depth:50; sid:5555551; rev:1;)";
    bad(t, colof(t, "depth", 0), "depth: needs a preceding content");
    t = "alert udp any any -> any any (within:5; sid:1;)";
    bad(t, colof(t, "within", 0), "within: needs a preceding content");
    t = "alert udp any any -> any any (content:\"AA\"; depth:50; depth:20; sid:5555554;)";
    bad(t, colof(t, "depth:20", 0), "depth: can't use multiple depths for the same content");
    t = "alert udp any any -> any any (content:\"AA\"; offset:20; offset:20; sid:5555559;)";
    bad(t, colof(t, "offset:20; s", 0), "offset: can't use multiple offsets for the same content");
    t = "alert udp any any -> any any (content:\"AA\"; content:\"BB\"; within:3; within:3; sid:5;)";
    bad(t, colof(t, "within:3; s", 0), "within: can't use multiple withins for the same content");
    static const char *const mixes[] = {
        "alert udp any any -> any any (content:\"AA\"; depth:50; distance:5; sid:5555556;)",
        "alert udp any any -> any any (content:\"AA\"; content:\"BB\"; depth:50; distance:5; "
        "sid:7;)",
        "alert udp any any -> any any (content:\"AA\"; content:\"BB\"; offset:20; distance:5; "
        "sid:6;)",
        "alert udp any any -> any any (content:\"AA\"; content:\"BB\"; offset:10; within:5; "
        "sid:5;)",
        "alert udp any any -> any any (content:\"AA\"; content:\"BB\"; depth:50; within:5; sid:3;)",
        "alert udp any any -> any any (content:\"AA\"; content:\"BB\"; within:5; offset:1; sid:3;)",
    };
    for (size_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++) {
        const char *kw =
            i == 5 ? "offset:1" : (strstr(mixes[i], "distance") ? "distance" : "within");
        char msg[200];
        snprintf(msg, sizeof msg,
                 "%.*s: can't mix relative (distance/within) and absolute (depth/offset) "
                 "modifiers on the same content",
                 (int)(strchr(kw, ':') ? strchr(kw, ':') - kw : (long)strlen(kw)), kw);
        bad(mixes[i], colof(mixes[i], kw, 0), msg);
    }
    t = HDR "(content:\"abcd\"; depth:3; sid:1;)";
    bad(t, colof(t, "3;", 0), "depth: 3 is smaller than the content length 4");
    t = HDR "(content:\"abcd\"; depth:4; sid:1;)";
    rule_free(ok(t));
    t = HDR "(content:\"a\"; content:\"abcd\"; within:3; sid:1;)";
    bad(t, colof(t, "3;", 0), "within: 3 is less than the content length 4");
    t = HDR "(content:\"a\"; depth:-5; sid:1;)";
    bad(t, colof(t, "-5", 0), "depth: invalid value '-5' (must be 0..65535)");
    t = HDR "(content:\" \"; within:1048577; sid:1;)";
    bad(t, colof(t, "1048577", 0), "within: invalid value '1048577' (must be -1048576..1048576)");
    t = HDR "(content:\" \"; distance:-1048577; sid:1;)";
    bad(t, colof(t, "-1048577", 0),
        "distance: invalid value '-1048577' (must be -1048576..1048576)");
    rule_free(ok(HDR "(content:\" \"; distance:-1048576; sid:1;)"));
    t = HDR "(content:\"a\"; depth:d; sid:1;)";
    bad(t, colof(t, "d;", 0), "depth: unknown byte_extract variable 'd'");
    t = HDR "(content:\"GET\"; startswith; depth:3; sid:1;)";
    bad(t, colof(t, "depth", 0), "depth: can't be used with startswith on the same content");
    t = HDR "(content:\"GET\"; offset:1; startswith; sid:1;)";
    bad(t, colof(t, "startswith", 0),
        "startswith: can't be mixed with depth, offset, distance or within");
    t = HDR "(content:\"a\"; nocase; nocase; sid:1;)";
    bad(t, colof(t, "nocase; s", 0),
        "nocase: can't use multiple nocase modifiers on the same content");

    /* fast_pattern */
    r = ok(HDR "(content:\"abc\"; content:\"0123456789\"; fast_pattern:2,4; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->fp_buf, 0);
        CHECK_EQ_U(r->fp_idx, 1);
        const struct rule_content *c = &r->buf[0].m[1].u.content;
        CHECK(c->flags & RULE_CONTENT_FAST_PATTERN_CHOP);
        CHECK_EQ_U(c->fp_off, 2);
        CHECK_EQ_U(c->fp_len, 4);
    }
    rule_free(r);
    r = ok(HDR "(content:\"abc\"; fast_pattern:only; sid:1;)");
    if (r) CHECK(r->buf[0].m[0].u.content.flags & RULE_CONTENT_FAST_PATTERN_ONLY);
    rule_free(r);
    t = HDR "(content:\"first\"; content:\"second\"; fast_pattern:only; offset:6; sid:5542341;)";
    bad(t, colof(t, "offset", 0),
        "offset: can't have a positional modifier along with 'fast_pattern:only'");
    t = HDR "(content:\"first\"; distance:1; fast_pattern:only; sid:1;)";
    bad(t, colof(t, "only", 0),
        "fast_pattern: can't have a positional modifier along with 'fast_pattern:only'");
    t = HDR "(content:\"first\"; content:!\"second\"; fast_pattern; offset:6; sid:5542341;)";
    bad(t, colof(t, "offset", 0),
        "offset: can't have a positional modifier on a negated fast_pattern content");
    t = HDR "(content:!\"x\"; fast_pattern:only; sid:1;)";
    bad(t, colof(t, "only", 0), "fast_pattern: 'only' can't be used on a negated content");
    t = HDR "(content:\"a\"; fast_pattern; content:\"b\"; fast_pattern; sid:1;)";
    bad(t, colof(t, "fast_pattern; sid", 0),
        "fast_pattern: can be set on only one content per rule");
    t = HDR "(content:\"abc\"; fast_pattern:2,4; sid:1;)";
    bad(t, colof(t, "2,4", 0), "fast_pattern: offset + length (6) exceeds the content length 3");
    t = HDR "(content:\"abc\"; fast_pattern:x; sid:1;)";
    bad(t, colof(t, "x;", 0), "fast_pattern: expected 'only' or 'offset,length'");
    t = HDR "(fast_pattern; sid:1;)";
    bad(t, colof(t, "fast", 0), "fast_pattern: needs a preceding content");

    /* rawbytes: payload content only */
    rule_free(ok(HDR "(content:\"a\"; rawbytes; sid:1;)"));
    t = "alert http any any -> any any (http.uri; content:\"a\"; rawbytes; sid:1;)";
    bad(t, colof(t, "rawbytes", 0),
        "rawbytes: only valid on payload content, not in a sticky buffer");
    /* uricontent is content + http_uri */
    r = ok("alert tcp any any -> any any (uricontent:\"/x\"; sid:1;)");
    if (r) {
        CHECK(find_buf(r, RULE_BUF_HTTP_URI) != NULL);
        CHECK_EQ_U(r->app, RULE_PROTO_HTTP);
    }
    rule_free(r);
}

static void test_dsize_bsize_bounds(void)
{
    /* suricata-verify test-unreachable-distance-1 and test-bad-*-dsize-* */
    const char *t;
    t = "alert udp any any -> any any (dsize:10; content:\"boom\"; content:\"loom\"; distance:10; "
        "sid:1;)";
    bad(t, colof(t, "dsize", 0),
        "signature can't match as required content length 18 exceeds dsize value 10");
    t = "alert udp any any -> any any (dsize:6; content:\"boom\"; content:\"loom\"; distance:3; "
        "sid:2;)";
    bad(t, colof(t, "dsize", 0),
        "signature can't match as required content length 11 exceeds dsize value 6");
    t = "alert udp any any -> any any (dsize:6; content:\"boom\"; content:\"loom\"; distance:2; "
        "sid:3;)";
    bad(t, colof(t, "dsize", 0),
        "signature can't match as required content length 10 exceeds dsize value 6");
    rule_free(ok("alert udp any any -> any any (dsize:10; content:\"boom\"; content:\"loom\"; "
                 "distance:-10; sid:4;)"));
    rule_free(ok("alert udp any any -> any any (dsize:10; content:\"boom\"; content:\"loom\"; "
                 "distance:-15; sid:5;)"));
    t = "alert udp any any -> any any (dsize:10; content:\"thisstringisgreaterthan10bytes\"; "
        "sid:6;)";
    bad(t, colof(t, "dsize", 0),
        "signature can't match as required content length 30 exceeds dsize value 10");
    t = "alert udp any any -> any any (dsize:50; content:\"AA\"; offset:100; sid:7;)";
    bad(t, colof(t, "dsize", 0),
        "signature can't match as required content length 102 exceeds dsize value 50");
    t = "alert udp any any -> any any (dsize:5<>10; content:\"AAAA\"; offset:8; sid:8;)";
    bad(t, colof(t, "dsize", 0),
        "signature can't match as required content length 12 exceeds dsize value 10");
    /* content after the dsize keyword or before: same check; > and != are unbounded */
    t = "alert udp any any -> any any (content:\"abcdef\"; dsize:<6; sid:9;)";
    bad(t, colof(t, "dsize", 0),
        "signature can't match as required content length 6 exceeds dsize value 6");
    rule_free(ok("alert udp any any -> any any (content:\"abcdef\"; dsize:<7; sid:9;)"));
    rule_free(ok("alert udp any any -> any any (content:\"abcdef\"; dsize:>2; sid:10;)"));
    /* negated contents need no bytes */
    rule_free(ok("alert udp any any -> any any (dsize:3; content:!\"abcdef\"; sid:11;)"));

    /* bsize: only in a sticky buffer; bounds like dsize */
    t = "alert http any any -> any any (http.uri; content:\"abcdefgh123456\"; bsize:2; sid:1;)";
    bad(t, colof(t, "bsize", 0),
        "signature can't match as required content length 14 exceeds bsize value 2");
    t = "alert http any any -> any any (http.uri; content:\"abcdefgh123456\"; bsize:<13; sid:2;)";
    bad(t, colof(t, "bsize", 0),
        "signature can't match as required content length 14 exceeds bsize value 13");
    t = "alert http any any -> any any (http.uri; content:\"abcdefgh123456\"; bsize:10<>13; "
        "sid:3;)";
    bad(t, colof(t, "bsize", 0),
        "signature can't match as required content length 14 exceeds bsize range 10-13");
    struct rule *r =
        ok("alert http any any -> any any (http.uri; content:\"abc\"; bsize:>=3; sid:4;)");
    if (r) {
        const struct rule_buffer *b = find_buf(r, RULE_BUF_HTTP_URI);
        CHECK(b && b->n == 2 && b->m[1].kind == RULE_M_BSIZE);
        if (b && b->n == 2) {
            CHECK_EQ_U(b->m[1].u.bsize.op, RULE_CMP_GE);
            CHECK_EQ_U(b->m[1].u.bsize.a, 3);
        }
    }
    rule_free(r);
    t = HDR "(content:\"a\"; bsize:3; sid:1;)";
    bad(t, colof(t, "bsize", 0), "bsize: needs a sticky buffer");
    t = "alert http any any -> any any (http.uri; bsize:10<>5; sid:1;)";
    bad(t, colof(t, "10<>5", 0), "bsize: range must be ascending '10<>5'");
    /* urilen is bsize on the uri buffer */
    r = ok("alert http any any -> any any (urilen:<100; urilen:5<>10,raw; sid:1;)");
    if (r) {
        CHECK(find_buf(r, RULE_BUF_HTTP_URI) != NULL);
        CHECK(find_buf(r, RULE_BUF_HTTP_URI_RAW) != NULL);
    }
    rule_free(r);
    /* dsize forms */
    r = ok("alert udp any any -> any any (dsize:!5; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->npm, 1);
        CHECK_EQ_U(r->pm[0].kind, RULE_P_DSIZE);
        CHECK_EQ_U(r->pm[0].u.cmp.op, RULE_CMP_NE);
    }
    rule_free(r);
    t = "alert udp any any -> any any (dsize:70000; sid:1;)";
    bad(t, colof(t, "70000", 0), "dsize: invalid value '70000'");
    t = "alert udp any any -> any any (dsize:1; dsize:2; sid:1;)";
    bad(t, colof(t, "dsize:2", 0), "dsize: may appear only once in a rule");
}

/* ---- pcre ----------------------------------------------------------------------------------- */

static void test_pcre(void)
{
    struct rule *r = ok("alert http any any -> any any (content:\"x\"; http_uri; "
                        "pcre:\"/^\\/a\\;b\\\"c[0-9]+/UiR\"; pcre:!\"/evil/smxAEGOB\"; sid:1;)");
    if (r) {
        const struct rule_buffer *u = find_buf(r, RULE_BUF_HTTP_URI);
        CHECK(u && u->n == 2);
        if (u && u->n == 2) {
            const struct rule_pcre *p = &u->m[1].u.pcre;
            CHECK(p->code != NULL);
            CHECK_STR(p->src, "^\\/a\\;b\\\"c[0-9]+");
            CHECK_STR(p->flags_str, "UiR");
            CHECK(p->flags & RULE_PCRE_RELATIVE);
            CHECK(!(p->flags & RULE_PCRE_NEGATED));
        }
        const struct rule_buffer *pk = find_buf(r, RULE_BUF_PKT);
        CHECK(pk && pk->n == 1);
        if (pk && pk->n == 1) {
            CHECK(pk->m[0].u.pcre.flags & RULE_PCRE_NEGATED);
            CHECK(pk->m[0].u.pcre.flags & RULE_PCRE_RAWBYTES);
            CHECK(pk->m[0].u.pcre.flags & RULE_PCRE_NO_LIMIT);
        }
    }
    rule_free(r);
    /* bare form, as Suricata accepts */
    rule_free(ok(HDR "(pcre:/one/i; sid:1;)"));
    const char *t;
    t = HDR "(pcre:\"/ab(c/\"; sid:1;)";
    bad(t, colof(t, "ab(c", 4), "pcre: invalid expression: missing closing parenthesis");
    t = HDR "(pcre:\"/abc/q\"; sid:1;)";
    bad(t, colof(t, "q\"", 0), "pcre: unknown modifier 'q'");
    t = HDR "(pcre:\"abc\"; sid:1;)";
    bad(t, colof(t, "abc", 0), "pcre: expected \"/expression/modifiers\"");
    t = HDR "(pcre:\"/abc\"; sid:1;)";
    bad(t, colof(t, "/abc", 0), "pcre: missing closing '/'");
    t = HDR "(pcre:\"/abc/UH\"; sid:1;)";
    bad(t, colof(t, "H\"", 0), "pcre: more than one buffer modifier ('U' and 'H')");
    t = HDR "(pcre:\"/abc/R\"; sid:1;)";
    bad(t, colof(t, "\"/abc", 0), "pcre: /R (relative) needs a preceding match in the same buffer");
    /* with a sticky buffer /R may come first (relative to the buffer start) */
    rule_free(ok("alert http any any -> any any (http.response_body; pcre:\"/one/R\"; sid:2;)"));
    /* suricata-verify pcre-invalid-rule-01: buffer modifiers against the sticky buffer */
    t = "alert http any any -> any any (http.header; content:\"a\"; pcre:\"/x/P\"; sid:1;)";
    bad(t, colof(t, "\"/x", 0),
        "pcre: Expression seen with a sticky buffer still set; either (1) reset sticky buffer with "
        "pkt_data or (2) use a sticky buffer providing \"http request body\"");
    t = "alert http any any -> any any (http.request_body; pcre:\"/x/Q\"; sid:4;)";
    bad(t, colof(t, "\"/x", 0),
        "pcre: Expression seen with a sticky buffer still set; either (1) reset sticky buffer with "
        "pkt_data or (2) use a sticky buffer providing \"data from tracked files\"");
    static const char *const good[] = {
        "http.request_body; pcre:\"/x/P\"",  "http.uri.raw; pcre:\"/x/I\"",
        "http.response_body; pcre:\"/x/Q\"", "http.header.raw; pcre:\"/x/D\"",
        "http.header; pcre:\"/x/H\"",        "http.cookie; pcre:\"/x/C\"",
        "http.stat_code; pcre:\"/x/S\"",     "http.stat_msg; pcre:\"/x/Y\"",
        "http.user_agent; pcre:\"/x/V\"",    "http.host; pcre:\"/x/W\"",
        "http.method; pcre:\"/x/M\"",        "pkt_data; pcre:\"/x/U\"",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "alert http any any -> any any (%s; sid:1;)", good[i]);
        rule_free(ok(buf));
    }
}

/* ---- flow, flowbits ------------------------------------------------------------------------- */

static void test_flow(void)
{
    struct rule *r = ok(HDR "(flow:established,to_server,no_frag; sid:1;)");
    if (r) CHECK_EQ_U(r->flow, RULE_FLOW_ESTABLISHED | RULE_FLOW_TO_SERVER | RULE_FLOW_NO_FRAG);
    rule_free(r);
    r = ok(HDR "(flow:from_server, only_stream; flow:stateless; sid:1;)");
    if (r) CHECK_EQ_U(r->flow, RULE_FLOW_TO_CLIENT | RULE_FLOW_ONLY_STREAM | RULE_FLOW_STATELESS);
    rule_free(r);
    const char *t;
    t = HDR "(flow:to_server,to_client; sid:1;)";
    bad(t, colof(t, "to_client", 0), "flow: 'to_client' contradicts an earlier option");
    t = HDR "(flow:established,not_established; sid:1;)";
    bad(t, colof(t, "not_est", 0), "flow: 'not_established' contradicts an earlier option");
    t = HDR "(flow:to_server,from_client; sid:1;)";
    bad(t, colof(t, "from_client", 0), "flow: option 'from_client' given twice");
    t = HDR "(flow:sideways; sid:1;)";
    bad(t, colof(t, "sideways", 0), "flow: invalid option 'sideways'");

    r = ok(HDR "(flowbits:set,ET.foo; flowbits:isset,a|b|c; flowbits:isnotset,x&y; "
               "flowbits:toggle,t; flowbits:unset,u; flowbits:noalert; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->nflowbits, 5);
        CHECK(r->flags & RULE_F_NOALERT);
        if (r->nflowbits == 5) {
            CHECK_EQ_U(r->flowbits[0].cmd, RULE_FB_SET);
            CHECK_STR(r->flowbits[0].names[0], "ET.foo");
            CHECK_EQ_U(r->flowbits[1].n, 3);
            CHECK_EQ_U(r->flowbits[1].op, '|');
            CHECK_STR(r->flowbits[1].names[2], "c");
            CHECK_EQ_U(r->flowbits[2].op, '&');
            CHECK_EQ_U(r->flowbits[3].cmd, RULE_FB_TOGGLE);
            CHECK_EQ_U(r->flowbits[4].cmd, RULE_FB_UNSET);
        }
    }
    rule_free(r);
    t = HDR "(flowbits:isset,a|b&c; sid:1;)";
    bad(t, colof(t, "&c", 0), "flowbits: can't mix '|' and '&' in one flowbits");
    t = HDR "(flowbits:frob,a; sid:1;)";
    bad(t, colof(t, "frob", 0), "flowbits: invalid command 'frob'");
    t = HDR "(flowbits:set; sid:1;)";
    bad(t, colof(t, "set;", 0), "flowbits: 'set' needs a name");
    t = HDR "(flowbits:noalert,x; sid:1;)";
    bad(t, colof(t, "x;", 0), "flowbits: noalert takes no name");
    t = HDR "(flowbits:isset,fb1; flowbits:isnotset,fb1; sid:111;)";
    bad(t, 1, "flowbits: invalid combination in the same rule: isset and isnotset of 'fb1'");
    t = HDR "(flowint:x,+,1; sid:1;)";
    bad_st(t, VG_ERR_UNSUPPORTED, colof(t, "flowint", 0), "unsupported keyword 'flowint'");
}

/* ---- byte keywords -------------------------------------------------------------------------- */

static void test_byte(void)
{
    struct rule *r = ok(HDR "(content:\"x\"; byte_test:1,!&,128,6,relative; "
                            "byte_test:4,>=,0x10,-16,relative,little; "
                            "byte_test:3,=,100,0,string,dec; byte_test:2,&,1,0,bitmask 0x3ff; "
                            "byte_jump:2,-17,relative,from_beginning,little,post_offset -3; "
                            "byte_jump:4,4,relative,align,multiplier 2; "
                            "byte_extract:2,1,size,relative,little; content:\"y\"; within:size; "
                            "byte_test:1,<,size,0; isdataat:!1,relative; isdataat:size; sid:1;)");
    if (r) {
        const struct rule_buffer *b = find_buf(r, RULE_BUF_PKT);
        CHECK(b && b->n == 12);
        if (b && b->n == 12) {
            const struct rule_byte *t = &b->m[1].u.byte;
            CHECK_EQ_U(b->m[1].kind, RULE_M_BYTE_TEST);
            CHECK_EQ_U(t->nbytes, 1);
            CHECK_EQ_U(t->op, RULE_BT_AND);
            CHECK_EQ_U(t->flags, RULE_BYTE_NEGATED | RULE_BYTE_RELATIVE);
            CHECK_EQ_U(t->value.v, 128);
            CHECK_EQ_U(t->offset.v, 6);
            t = &b->m[2].u.byte;
            CHECK_EQ_U(t->op, RULE_BT_GE);
            CHECK_EQ_U(t->value.v, 16);
            CHECK(t->offset.v == -16);
            CHECK(t->flags & RULE_BYTE_LITTLE);
            CHECK_EQ_U(b->m[3].u.byte.base, 10);
            CHECK(b->m[3].u.byte.flags & RULE_BYTE_STRING);
            CHECK_EQ_U(b->m[4].u.byte.bitmask, 0x3ff);
            t = &b->m[5].u.byte;
            CHECK_EQ_U(b->m[5].kind, RULE_M_BYTE_JUMP);
            CHECK(t->flags & RULE_BYTE_FROM_BEGINNING);
            CHECK(t->post_offset == -3);
            CHECK_EQ_U(b->m[6].u.byte.multiplier, 2);
            CHECK(b->m[6].u.byte.flags & RULE_BYTE_ALIGN);
            CHECK_EQ_U(b->m[7].kind, RULE_M_BYTE_EXTRACT);
            CHECK_EQ_U(b->m[7].u.byte.var, 0);
            CHECK_EQ_U(b->m[8].u.content.within.var, 0);
            CHECK_EQ_U(b->m[9].u.byte.value.var, 0);
            CHECK(b->m[10].u.isdataat.negated && b->m[10].u.isdataat.relative);
            CHECK_EQ_U(b->m[11].u.isdataat.n.var, 0);
        }
        CHECK_EQ_U(r->nvars, 1);
        CHECK_STR(r->vars[0], "size");
    }
    rule_free(r);
    const char *t;
    t = HDR "(byte_test:1,~,1,0; sid:1;)";
    bad(t, colof(t, "~", 0), "byte_test: invalid operator '~'");
    t = HDR "(byte_test:9,=,1,0; sid:1;)";
    bad(t, colof(t, "9,", 0), "byte_test: number of bytes must be 1..8 (more with string)");
    t = HDR "(byte_test:1,=,1; sid:1;)";
    bad(t, colof(t, "1,=", 0), "byte_test: expected '<bytes>,<op>,<value>,<offset>[,options]'");
    t = HDR "(byte_test:1,=,1,0,relative,relative; sid:1;)";
    bad(t, colof(t, "relative; s", 0), "byte_test: option 'relative' given twice");
    t = HDR "(byte_test:1,=,1,0,big,little; sid:1;)";
    bad(t, colof(t, "little", 0), "byte_test: endianness given twice");
    t = HDR "(byte_test:1,=,1,0,hex; sid:1;)";
    bad(t, colof(t, "hex", 0), "byte_test: hex/dec/oct need 'string'");
    t = HDR "(byte_test:1,=,1,0,sideways; sid:1;)";
    bad(t, colof(t, "sideways", 0), "byte_test: unknown option 'sideways'");
    t = HDR "(byte_test:1,=,nope,0; sid:1;)";
    bad(t, colof(t, "nope", 0), "byte_test: unknown byte_extract variable 'nope'");
    t = HDR "(byte_jump:2,0,from_beginning,from_end; sid:1;)";
    bad(t, colof(t, "from_beginning", 0),
        "byte_jump: from_beginning and from_end exclude each other");
    t = HDR "(byte_extract:2,0,1bad; sid:1;)";
    bad(t, colof(t, "1bad", 0), "byte_extract: invalid variable name '1bad'");
    t = HDR "(byte_extract:2,0,v; byte_extract:1,0,v; sid:1;)";
    bad(t, colof(t, "v; sid", 0), "byte_extract: variable 'v' defined twice");
    t = HDR "(byte_extract:0,0,v; sid:1;)";
    bad(t, colof(t, "0,0", 0), "byte_extract: invalid number of bytes '0'");
    t = HDR "(isdataat:1,sideways; sid:1;)";
    bad(t, colof(t, "sideways", 0), "isdataat: unknown or repeated option 'sideways'");
    /* Suricata accepts these (ET Open uses the first) */
    rule_free(ok(HDR "(content:\"a\"; byte_test:0,=,0,0,string,dec; sid:1;)"));
    rule_free(ok(HDR "(content:\"a\"; byte_jump:0,0,relative,post_offset -8; sid:1;)"));
    rule_free(ok(HDR "(byte_extract:1,5,len; byte_test:len,=,0x01,5,bitmask 0xFF; sid:1;)"));
}

/* ---- buffers -------------------------------------------------------------------------------- */

static void test_buffers(void)
{
    struct rule *r = ok("alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"x\"; "
                        "flow:established,to_server; http.method; content:\"POST\"; http.uri; "
                        "content:\"/gate.php\"; fast_pattern; http.header; content:\"X-A|3a|\"; "
                        "pkt_data; content:\"raw\"; http.user_agent; content:\"curl\"; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->nbuf, 5);
        if (r->nbuf == 5) {
            CHECK_EQ_U(r->buf[0].id, RULE_BUF_HTTP_METHOD);
            CHECK_EQ_U(r->buf[1].id, RULE_BUF_HTTP_URI);
            CHECK_EQ_U(r->buf[2].id, RULE_BUF_HTTP_HEADER);
            CHECK_EQ_U(r->buf[3].id, RULE_BUF_PKT);
            CHECK_EQ_U(r->buf[4].id, RULE_BUF_HTTP_USER_AGENT);
            CHECK_EQ_U(r->buf[1].m[0].list, 1);
        }
        CHECK_EQ_U(r->fp_buf, 1);
        CHECK_EQ_U(r->fp_idx, 0);
    }
    rule_free(r);
    /* legacy content modifiers move the previous content; modifier order is free */
    r = ok("alert tcp any any -> any $HTTP_PORTS (content:\"GET\"; http_method; content:\"/x\"; "
           "nocase; http_uri; content:\"a\"; http_client_body; content:\"b\"; http_server_body; "
           "content:\"c\"; distance:0; http_cookie; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->app, RULE_PROTO_HTTP); /* inferred from the buffers */
        CHECK(find_buf(r, RULE_BUF_HTTP_METHOD) && find_buf(r, RULE_BUF_HTTP_URI));
        CHECK(find_buf(r, RULE_BUF_HTTP_REQUEST_BODY) && find_buf(r, RULE_BUF_FILE_DATA));
        CHECK(find_buf(r, RULE_BUF_HTTP_COOKIE) != NULL);
        CHECK(find_buf(r, RULE_BUF_PKT) == NULL);
        const struct rule_buffer *u = find_buf(r, RULE_BUF_HTTP_URI);
        if (u) CHECK(u->m[0].u.content.flags & RULE_CONTENT_NOCASE);
    }
    rule_free(r);
    /* older sticky spellings */
    r = ok("alert dns any any -> any any (dns_query; content:\"x\"; sid:1;)");
    if (r) CHECK(find_buf(r, RULE_BUF_DNS_QUERY) != NULL);
    rule_free(r);
    r = ok("alert tls any any -> any any (tls_sni; content:\"a\"; tls.cert_subject; content:\"b\"; "
           "ja3_hash; content:\"c\"; ja3.string; content:\"d\"; ja3s.hash; content:\"e\"; "
           "ja4.hash; content:\"f\"; tls.version:1.2; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->nbuf, 6);
        CHECK_EQ_U(r->tls_version, 0x0303);
    }
    rule_free(r);
    r = ok("alert tcp any any -> any any (ssh.proto; content:\"2.0\"; ssh.software; content:\"x\"; "
           "ssh.hassh; content:\"y\"; sid:1;)");
    if (r) CHECK_EQ_U(r->app, RULE_PROTO_SSH);
    rule_free(r);
    r = ok("alert http any any -> any any (file_data; content:\"MZ\"; http.response_body; "
           "content:\"PE\"; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->nbuf, 1); /* one buffer under two names */
        if (r->nbuf == 1) CHECK_EQ_U(r->buf[0].n, 2);
    }
    rule_free(r);
    /* transforms make a list of their own */
    r = ok(
        "alert dns any any -> any any (dns.query; dotprefix; to_lowercase; content:\".evil.com\"; "
        "endswith; dns.query; content:\"evil\"; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->nbuf, 2);
        if (r->nbuf == 2) {
            CHECK_EQ_U(r->buf[0].ntx, 2);
            CHECK_EQ_U(r->buf[0].tx[0], RULE_TX_DOTPREFIX);
            CHECK_EQ_U(r->buf[0].tx[1], RULE_TX_TO_LOWERCASE);
            CHECK_EQ_U(r->buf[1].ntx, 0);
        }
    }
    rule_free(r);
    r = ok("alert http any any -> any any (http.request_body; content:\"a\"; "
           "base64_decode:bytes 64, offset 2, relative; base64_data; content:\"b\"; sid:1;)");
    if (r) {
        const struct rule_buffer *b = find_buf(r, RULE_BUF_HTTP_REQUEST_BODY);
        CHECK(b && b->n == 2 && b->m[1].kind == RULE_M_BASE64_DECODE);
        if (b && b->n == 2) {
            CHECK_EQ_U(b->m[1].u.base64.bytes, 64);
            CHECK_EQ_U(b->m[1].u.base64.offset, 2);
            CHECK(b->m[1].u.base64.relative);
        }
        CHECK(find_buf(r, RULE_BUF_BASE64_DATA) != NULL);
    }
    rule_free(r);

    const char *t;
    t = "alert http any any -> any any (dns.query; content:\"x\"; sid:1;)";
    bad(t, colof(t, "content", 0), "dns.query: buffer not available for protocol 'http'");
    t = "alert udp any any -> any any (http.uri; content:\"x\"; sid:1;)";
    bad(t, colof(t, "content", 0), "http.uri: buffer not available for protocol 'udp'");
    t = "alert http any any -> any any (http.uri; content:\"x\"; http_header; sid:1;)";
    bad(t, colof(t, "http_header", 0),
        "http_header: can't move a content that is in a sticky buffer (http.uri); use the sticky "
        "buffer 'http.header' instead");
    t = HDR "(http_uri; sid:1;)";
    bad(t, colof(t, "http_uri", 0), "http_uri: needs a preceding content");
    t = HDR "(content:\"a\"; rawbytes; http_uri; sid:1;)";
    bad(t, colof(t, "http_uri", 0), "http_uri: can't be used with rawbytes");
    t = "alert http any any -> any any (http.uri; http.host; content:\"x\"; sid:1;)";
    bad(t, colof(t, "http.uri", 0), "http.uri: sticky buffer has no matches");
    t = "alert http any any -> any any (http.uri; sid:1;)";
    bad(t, colof(t, "http.uri", 0), "http.uri: sticky buffer has no matches");
    t = "alert http any any -> any any (base64_data; content:\"x\"; sid:1;)";
    bad(t, colof(t, "base64_data", 0), "base64_data: needs a preceding base64_decode");
    t = "alert dns any any -> any any (dns.query; content:\"x\"; dotprefix; content:\".y\"; "
        "sid:1;)";
    bad(t, colof(t, "dotprefix", 0),
        "dotprefix: transforms must directly follow the sticky buffer, before its matches");
    t = HDR "(dotprefix; content:\"x\"; sid:1;)";
    bad(t, colof(t, "dotprefix", 0), "dotprefix: transforms need a sticky buffer before them");
    t = "alert http any any -> any any (http.host; content:\"ALLCAPS.COM\"; sid:1111;)";
    bad(t, colof(t, "content", 0),
        "content: uppercase pattern for http.host, which is normalised to lowercase");
    rule_free(ok("alert http any any -> any any (http.host; content:\"stan|2E|ru\"; sid:1;)"));
    t = "alert dns any any -> any any (tls.version:1.2; sid:1;)";
    bad(t, colof(t, "tls.version", 0), "tls.version: not available for protocol 'dns'");
    t = "alert tls any any -> any any (tls.version:2.0; sid:1;)";
    bad(t, colof(t, "2.0", 0), "tls.version: expected 1.0, 1.1, 1.2, 1.3 or a 0x value");
    t = HDR "(from_base64; sid:1;)";
    bad_st(t, VG_ERR_UNSUPPORTED, colof(t, "from_base64", 0), "unsupported keyword 'from_base64'");
}

/* ---- packet keywords ------------------------------------------------------------------------ */

static void test_packet(void)
{
    struct rule *r = ok(HDR "(flags:S,12; ttl:<5; itype:10<>20; icode:0; window:!1024; tos:0x10; "
                            "id:5; ip_proto:!tcp; seq:0; ack:1; fragbits:+D; fragoffset:>100; "
                            "tcp.mss:<536; icmp_id:7; icmp_seq:8; ipopts:lsrr; ttl:3-6; "
                            "flags:*SA; flags:0; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->npm, 19);
        if (r->npm == 19) {
            CHECK_EQ_U(r->pm[0].kind, RULE_P_TCP_FLAGS);
            CHECK_EQ_U(r->pm[0].u.flags.bits, 0x02);
            CHECK_EQ_U(r->pm[0].u.flags.ignore, 0xc0);
            CHECK_EQ_U(r->pm[0].u.flags.mode, RULE_FLAGS_EXACT);
            CHECK_EQ_U(r->pm[1].u.cmp.op, RULE_CMP_LT);
            CHECK_EQ_U(r->pm[2].u.cmp.op, RULE_CMP_RANGE);
            CHECK_EQ_U(r->pm[2].u.cmp.b, 20);
            CHECK_EQ_U(r->pm[4].u.cmp.op, RULE_CMP_NE);
            CHECK_EQ_U(r->pm[5].u.cmp.a, 0x10);
            CHECK_EQ_U(r->pm[7].u.cmp.op, RULE_CMP_NE);
            CHECK_EQ_U(r->pm[7].u.cmp.a, 6);
            CHECK_EQ_U(r->pm[10].u.flags.bits, 0x4000);
            CHECK_EQ_U(r->pm[10].u.flags.mode, RULE_FLAGS_PLUS);
            CHECK_EQ_U(r->pm[15].u.ipopt, RULE_IPOPT_LSRR);
            CHECK_EQ_U(r->pm[16].u.cmp.op, RULE_CMP_RANGE);
            CHECK_EQ_U(r->pm[17].u.flags.mode, RULE_FLAGS_ANY);
            CHECK_EQ_U(r->pm[17].u.flags.bits, 0x12);
            CHECK_EQ_U(r->pm[18].u.flags.bits, 0);
        }
    }
    rule_free(r);
    const char *t;
    t = HDR "(flags:SX; sid:1;)";
    bad(t, colof(t, "X", 0), "flags: invalid flag 'X'");
    t = HDR "(flags:SS; sid:1;)";
    bad(t, colof(t, "SS", 1), "flags: flag 'S' given twice");
    t = HDR "(flags:+*S; sid:1;)";
    bad(t, colof(t, "*S", 0), "flags: more than one modifier");
    t = HDR "(flags:0S; sid:1;)";
    bad(t, colof(t, "0S", 0), "flags: '0' (no flags) stands alone");
    t = HDR "(ttl:256; sid:1;)";
    bad(t, colof(t, "256", 0), "ttl: invalid value '256'");
    t = HDR "(ip_proto:nope; sid:1;)";
    bad(t, colof(t, "nope", 0), "ip_proto: unknown protocol 'nope'");
    t = HDR "(ip_proto:295; sid:1;)";
    bad(t, colof(t, "295", 0), "ip_proto: invalid value '295'");
    t = HDR "(ipopts:foo; sid:1;)";
    bad(t, colof(t, "foo", 0), "ipopts: unknown option 'foo'");
    t = HDR "(fragbits:X; sid:1;)";
    bad(t, colof(t, "X", 0), "fragbits: invalid flag 'X'");
    t = HDR "(itype:20<>10; sid:1;)";
    bad(t, colof(t, "20<>10", 0), "itype: range must be ascending '20<>10'");
}

/* ---- threshold, misc ------------------------------------------------------------------------ */

static void test_threshold(void)
{
    struct rule *r = ok(HDR "(threshold: type limit, track by_src, seconds 60, count 1; sid:1;)");
    if (r) {
        CHECK(r->flags & RULE_F_HAS_THRESHOLD);
        CHECK_EQ_U(r->threshold.type, RULE_THR_LIMIT);
        CHECK_EQ_U(r->threshold.track, RULE_TRACK_BY_SRC);
        CHECK_EQ_U(r->threshold.seconds, 60);
        CHECK_EQ_U(r->threshold.count, 1);
    }
    rule_free(r);
    r = ok(HDR "(threshold:type both,count 1,seconds 600,track by_dst; sid:1;)");
    if (r) CHECK_EQ_U(r->threshold.type, RULE_THR_BOTH);
    rule_free(r);
    r = ok(HDR "(detection_filter:track by_rule, count 15, seconds 2; sid:1;)");
    if (r) {
        CHECK(r->flags & RULE_F_HAS_DETECTION_FILTER);
        CHECK_EQ_U(r->detection_filter.track, RULE_TRACK_BY_RULE);
        CHECK_EQ_U(r->detection_filter.count, 15);
    }
    rule_free(r);
    r = ok(HDR "(threshold:type backoff, track by_flow, count 1, multiplier 2; sid:1;)");
    if (r) CHECK_EQ_U(r->threshold.multiplier, 2);
    rule_free(r);
    const char *t;
    t = HDR "(threshold: type limit, track by_src, count 1; sid:1;)";
    bad(t, colof(t, "type", 0), "threshold: needs type, track, count and seconds");
    t = HDR "(threshold: type limit, track by_nobody, count 1, seconds 1; sid:1;)";
    bad(t, colof(t, "by_nobody", 0),
        "threshold: invalid track 'by_nobody' (by_src, by_dst, by_rule, by_both, by_flow)");
    t = HDR "(threshold: type limit, track by_src, count 0, seconds 1; sid:1;)";
    bad(t, colof(t, "0, sec", 0), "threshold: invalid count '0'");
    t = HDR "(threshold: type limit, type both, track by_src, count 1, seconds 1; sid:1;)";
    bad(t, colof(t, "type both", 0), "threshold: 'type' given twice");
    t = HDR "(detection_filter:track by_src, count 1, seconds 1; threshold:type limit, "
            "track by_src, count 1, seconds 1; sid:1;)";
    bad(t, colof(t, "sid:1;)", 6),
        "threshold and detection_filter cannot be used in the same rule");
}

static void test_misc(void)
{
    struct rule *r = ok(HDR "(app-layer-protocol:!http; app-layer-protocol:!tls; noalert; "
                            "tag:session,5,packets; stream_size:server,<,5; prefilter; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->app_not, (1ull << RULE_PROTO_HTTP) | (1ull << RULE_PROTO_TLS));
        CHECK_EQ_U(r->app_proto, RULE_PROTO_COUNT);
        CHECK(r->flags & RULE_F_NOALERT);
        CHECK(r->flags & RULE_F_TAG);
        CHECK_EQ_U(r->npm, 1);
        if (r->npm) CHECK_EQ_U(r->pm[0].u.stream_size.cmp.op, RULE_CMP_LT);
    }
    rule_free(r);
    r = ok(HDR "(app-layer-protocol:dns; sid:1;)");
    if (r) CHECK_EQ_U(r->app_proto, RULE_PROTO_DNS);
    rule_free(r);
    const char *t;
    t = HDR "(app-layer-protocol:nope; sid:1;)";
    bad(t, colof(t, "nope", 0), "app-layer-protocol: unknown protocol 'nope'");
    t = HDR "(app-layer-protocol:http; app-layer-protocol:dns; sid:1;)";
    bad(t, colof(t, "app-layer-protocol:dns", 0),
        "app-layer-protocol: only one positive protocol per rule");
    t = HDR "(stream_size:sideways,<,5; sid:1;)";
    bad(t, colof(t, "sideways", 0), "stream_size: invalid side 'sideways'");

    /* events map onto vigil's anomaly table */
    r = ok("alert pkthdr any any -> any any (decode-event:ipv4.trunc_pkt; "
           "stream-event:pkt_invalid_ack; app-layer-event:http.request_field_too_long; "
           "vigil.anomaly:dns.malformed_data; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->nev, 4);
        if (r->nev == 4) {
            CHECK_EQ_U(r->ev[0].anomaly, ANOM_IPV4_TRUNC_PKT);
            CHECK_EQ_U(r->ev[1].anomaly, ANOM_STREAM_PKT_INVALID_ACK);
            CHECK_EQ_U(r->ev[2].anomaly, ANOM_HTTP_REQUEST_FIELD_TOO_LONG);
            CHECK_EQ_U(r->ev[3].anomaly, ANOM_DNS_MALFORMED_DATA);
        }
        CHECK_EQ_U(r->app, RULE_PROTO_HTTP);
    }
    rule_free(r);
    t = "alert pkthdr any any -> any any (decode-event:ipv4.opt_eol_required; sid:1;)";
    bad_st(t, VG_ERR_UNSUPPORTED, colof(t, "ipv4.opt", 0),
           "unsupported decode-event 'ipv4.opt_eol_required'");
    t = HDR "(app-layer-event:applayer_mismatch_protocol_both_directions; sid:1;)";
    bad_st(t, VG_ERR_UNSUPPORTED, colof(t, "applayer_", 0),
           "unsupported app-layer-event 'applayer_mismatch_protocol_both_directions'");
    t = HDR "(vigil.anomaly:no.such.thing; sid:1;)";
    bad(t, colof(t, "no.such", 0), "vigil.anomaly: unknown anomaly 'no.such.thing'");
    t = "alert dns any any -> any any (app-layer-event:http.request_field_too_long; sid:1;)";
    bad(t, colof(t, "http.req", 0), "app-layer-event: event of protocol 'http' in a 'dns' rule");

    r = ok(HDR "(vigil.tamper:forged_rst; vigil.tamper:tcp_injection_race,segment_veto; sid:1;)");
    if (r) {
        CHECK_EQ_U(r->nev, 2);
        if (r->nev == 2) {
            CHECK_EQ_U(r->ev[0].kind, RULE_EV_TAMPER);
            CHECK_STR(r->ev[0].tclass, "forged_rst");
            CHECK(r->ev[0].tsubtype == NULL);
            CHECK_STR(r->ev[1].tsubtype, "segment_veto");
        }
    }
    rule_free(r);
    t = HDR "(vigil.tamper:dns_magic; sid:1;)";
    bad(t, colof(t, "dns_magic", 0), "vigil.tamper: unknown tamper class 'dns_magic'");
    t = HDR "(vigil.tamper:forged_rst,segment_veto; sid:1;)";
    bad(t, colof(t, "segment_veto", 0),
        "vigil.tamper: unknown subtype 'segment_veto' of class 'forged_rst'");
}

/* ---- limits --------------------------------------------------------------------------------- */

static void test_limits(void)
{
    /* 300 options: over the cap of 256 */
    size_t cap = 64 * 1024;
    char *buf = malloc(cap);
    if (!buf) return;
    size_t n = (size_t)snprintf(buf, cap, HDR "(");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(buf + n, cap - n, "metadata:k%d v; ", i);
    snprintf(buf + n, cap - n, "sid:1;)");
    bad_st(buf, VG_ERR_LIMIT, 0, "more than 256 options");
    /* 129 contents: over the cap of 128 */
    n = (size_t)snprintf(buf, cap, HDR "(");
    for (int i = 0; i < 129; i++)
        n += (size_t)snprintf(buf + n, cap - n, "content:\"a\"; ");
    snprintf(buf + n, cap - n, "sid:1;)");
    bad_st(buf, VG_ERR_LIMIT, 0, "more than 128 content matches");
    /* a 60 KiB content is fine */
    n = (size_t)snprintf(buf, cap, HDR "(content:\"");
    for (int i = 0; i < 60 * 1024; i++)
        buf[n++] = 'A';
    snprintf(buf + n, cap - n, "\"; sid:1;)");
    struct rule *r = ok(buf);
    if (r) CHECK_EQ_U(r->buf[0].m[0].u.content.len, 60 * 1024);
    rule_free(r);
    free(buf);
}

/* ---- loader --------------------------------------------------------------------------------- */

static void test_loader(void)
{
    struct rule_loader *ld = rule_loader_new(NULL);
    CHECK(ld != NULL);
    if (!ld) return;
    const char *text =
        "# a comment\n"
        "\n"
        "   # an indented comment\n"
        "alert tcp any any -> any any (msg:\"one\"; sid:1;)\n"        /* line 4 */
        "alert tcp any any -> any any (msg:\"two\"; \\\n"             /* line 5 */
        "    content:\"|zz|\"; sid:2;)\n"                             /* line 6: error */
        "alert tcp any any -> any any (msg:\"dup\"; sid:1;)\n"        /* line 7: duplicate */
        "alert tcp any any -> any any (msg:\"gid\"; sid:1; gid:2;)\n" /* line 8: another gid */
        "alert tcp any any -> any any (xbits:set,a; sid:9;)\n"        /* line 9: unsupported */
        "alert tcp any any \\\n"                                      /* line 10 */
        "  -> any any \\\n"
        "  (sid:10; \\\n"
        "   content:\"abc\";)\r\n"                      /* CRLF */
        "# alert tcp any any -> any any (sid:11;) \\\n" /* a comment continues? no */
        "alert tcp any any -> any any (sid:12;)\n"
        "garbage line here\n"; /* line 16 */
    CHECK_EQ_U(rule_loader_load_buffer(ld, "mem.rules", text, strlen(text)), VG_OK);
    const struct rule_loader_stats *st = rule_loader_stats(ld);
    CHECK_EQ_U(st->loaded, 4);
    CHECK_EQ_U(st->skipped, 4);
    CHECK_EQ_U(st->unsupported, 1);
    CHECK_EQ_U(st->duplicates, 1);
    size_t n;
    struct rule *const *rules = rule_loader_rules(ld, &n);
    CHECK_EQ_U(n, 4);
    if (n == 4) {
        CHECK_EQ_U(rules[0]->sid, 1);
        CHECK_EQ_U(rules[0]->line, 4);
        CHECK_EQ_U(rules[1]->gid, 2);
        CHECK_EQ_U(rules[2]->sid, 10);
        CHECK_EQ_U(rules[2]->line, 10);
        CHECK_EQ_U(rules[3]->sid, 12);
        CHECK_STR(rules[3]->file, "mem.rules");
    }
    const struct rule_skip *sk = rule_loader_skips(ld, &n);
    CHECK_EQ_U(n, 4);
    if (n == 4) {
        /* the error on the continued line points into line 6 */
        CHECK_STR(sk[0].file, "mem.rules");
        CHECK_EQ_U(sk[0].line, 6);
        CHECK_EQ_U(sk[0].col, 15);
        CHECK_EQ_U(sk[0].sid, 2);
        CHECK_STR(sk[0].reason, "content: invalid hex digit 'z'");
        CHECK_EQ_U(sk[1].line, 7);
        CHECK_STR(sk[1].reason, "duplicate gid:sid (1:1, first at mem.rules:4)");
        CHECK_EQ_U(sk[2].sid, 9);
        CHECK(sk[2].unsupported);
        CHECK_STR(sk[2].reason, "unsupported keyword 'xbits'");
        CHECK_EQ_U(sk[3].line, 16);
        CHECK_EQ_U(sk[3].sid, 0);
        CHECK_STR(sk[3].reason, "invalid action 'garbage'");
    }
    const struct rule_skip_group *g;
    size_t ng = rule_loader_skip_groups(ld, &g);
    CHECK_EQ_U(ng, 4);
    if (ng == 4) {
        CHECK_EQ_U(g[0].count, 1);
        CHECK_STR(g[0].reason, "content: invalid hex digit '*'");
        CHECK_STR(g[1].reason, "duplicate gid:sid");
        CHECK_STR(g[2].reason, "invalid action '*'");
        CHECK_STR(g[3].reason, "unsupported keyword 'xbits'");
    }

    /* variables through the loader: checked when set */
    struct rule_error e;
    CHECK_EQ_U(rule_loader_set_var(ld, "HOME_NET", "[10.9.0.0/16]", &e), VG_OK);
    CHECK_EQ_U(rule_loader_set_var(ld, "MY_PORTS", "[1:100,!50]", &e), VG_OK);
    CHECK_EQ_U(rule_loader_set_var(ld, "HOME_NET", "[10.9.0.0/99]", &e), VG_ERR_FORMAT);
    CHECK_STR(e.msg,
              "$HOME_NET: not an address or port group: invalid prefix length in '10.9.0.0/99'");
    const char *t2 = "alert tcp $HOME_NET any -> any $MY_PORTS (sid:100;)\n";
    CHECK_EQ_U(rule_loader_load_buffer(ld, "b.rules", t2, strlen(t2)), VG_OK);
    rules = rule_loader_rules(ld, &n);
    CHECK_EQ_U(n, 5);
    if (n == 5) {
        CHECK_EQ_U(rules[4]->src.v4[0].lo, ip4(10, 9, 0, 0)); /* the old value was kept */
        CHECK_EQ_U(rules[4]->dport.n, 2);
    }
    CHECK_EQ_U(rule_loader_load_file(ld, "/nonexistent/file.rules", &e), VG_ERR_IO);
    CHECK_EQ_U(rule_loader_stats(ld)->files_failed, 1);
    rule_loader_free(ld);
    rule_loader_free(NULL);

    /* caps: a line over max_line, a NUL byte, the rule count */
    struct rule_limits lim;
    rule_limits_default(&lim);
    lim.max_line = 100;
    lim.max_rules = 2;
    lim.max_skips = 2;
    struct rule_loader_cfg cfg = {&lim};
    ld = rule_loader_new(&cfg);
    CHECK(ld != NULL);
    if (!ld) return;
    char big[600];
    size_t k = (size_t)snprintf(big, sizeof big, "alert tcp any any -> any any (msg:\"");
    while (k < 300)
        big[k++] = 'x';
    k += (size_t)snprintf(big + k, sizeof big - k, "\"; sid:1;)\n");
    const char tail[] = "alert tcp any any -> any any (sid:2;)\n"
                        "alert tcp any any -> any any (sid:3;)\n"
                        "alert tcp any any -> any any (sid:4;)\n"
                        "alert \0 nul\n";
    memcpy(big + k, tail, sizeof tail - 1);
    k += sizeof tail - 1;
    CHECK_EQ_U(rule_loader_load_buffer(ld, "cap.rules", big, k), VG_OK);
    st = rule_loader_stats(ld);
    CHECK_EQ_U(st->loaded, 2);
    CHECK_EQ_U(st->skipped, 3);
    CHECK_EQ_U(st->skips_dropped, 1);
    sk = rule_loader_skips(ld, &n);
    CHECK_EQ_U(n, 2);
    if (n == 2) {
        CHECK_EQ_U(sk[0].line, 1);
        CHECK_STR(sk[0].reason, "rule longer than 100 bytes (continuations included)");
        CHECK_STR(sk[1].reason, "more than 2 rules loaded");
    }
    ng = rule_loader_skip_groups(ld, &g);
    CHECK_EQ_U(ng, 3); /* the NUL line is counted and grouped though not listed */
    rule_loader_free(ld);
}

/* Every allocation failing in turn: no crash, no leak (run under ASan), clean errors. */
static void test_alloc_failures(void)
{
    const char *t = "alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:\"x\"; "
                    "flow:established,to_server; http.uri; content:\"/a\"; pcre:\"/b+/R\"; "
                    "flowbits:set,x; metadata:a b; reference:url,x; classtype:misc-activity; "
                    "byte_extract:1,0,v; vigil.tamper:forged_rst,rst_race; sid:1;)";
    int fails = 0;
    for (long i = 0; i < 400; i++) {
        vg_alloc_fail_after(i);
        struct rule *r = NULL;
        struct rule_error e;
        int rc = parse(t, &r, &e);
        vg_alloc_fail_after(-1);
        if (rc == VG_OK) {
            rule_free(r);
            break;
        }
        if (rc == VG_ERR_NOMEM) fails++;
    }
    CHECK(fails > 10);
}

int main(void)
{
    RUN(test_header);
    RUN(test_addresses);
    RUN(test_variables);
    RUN(test_ports);
    RUN(test_meta);
    RUN(test_content);
    RUN(test_content_modifiers);
    RUN(test_dsize_bsize_bounds);
    RUN(test_pcre);
    RUN(test_flow);
    RUN(test_byte);
    RUN(test_buffers);
    RUN(test_packet);
    RUN(test_threshold);
    RUN(test_misc);
    RUN(test_limits);
    RUN(test_loader);
    RUN(test_alloc_failures);
    return vg_test_done("rules");
}
