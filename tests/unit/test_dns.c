/* test_dns.c - DNS parser (every decoded type, names and compression, truncation, limits), TCP
 * framing in every split, pairing and response-pair (race) reports, probes, EVE v3 shape
 * (validated against Suricata's schema with /usr/bin/python3 + jsonschema when available). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/dns/dns.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "output/eve_dns.h"
#include "output/json_writer.h"
#include "vg_test.h"

/* ---- a tiny message builder ------------------------------------------------------------------ */

struct mb {
    uint8_t b[16384];
    size_t n;
};

static void u8(struct mb *m, unsigned v)
{
    m->b[m->n++] = (uint8_t)v;
}
static void u16(struct mb *m, unsigned v)
{
    u8(m, v >> 8);
    u8(m, v & 0xff);
}
static void u32(struct mb *m, uint32_t v)
{
    u16(m, v >> 16);
    u16(m, v & 0xffff);
}
static void raw(struct mb *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}
static void label(struct mb *m, const void *p, size_t n)
{
    u8(m, (unsigned)n);
    raw(m, p, n);
}
/* "www.example.com" as uncompressed labels plus the root; "" is the root alone. */
static void name(struct mb *m, const char *s)
{
    while (*s) {
        const char *d = strchr(s, '.');
        size_t l = d ? (size_t)(d - s) : strlen(s);
        label(m, s, l);
        s += l + (d ? 1 : 0);
    }
    u8(m, 0);
}
static void ptr(struct mb *m, unsigned off)
{
    u16(m, 0xc000 | off);
}
static void hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                unsigned ar)
{
    m->n = 0;
    u16(m, id);
    u16(m, flags);
    u16(m, qd);
    u16(m, an);
    u16(m, ns);
    u16(m, ar);
}
static void question(struct mb *m, const char *qn, unsigned type, unsigned cls)
{
    name(m, qn);
    u16(m, type);
    u16(m, cls);
}
/* Fixed part of a record after its owner name; returns where rdlength is, for rr_end. */
static size_t rr_fixed(struct mb *m, unsigned type, unsigned cls, uint32_t ttl)
{
    u16(m, type);
    u16(m, cls);
    u32(m, ttl);
    size_t at = m->n;
    u16(m, 0);
    return at;
}
static void rr_end(struct mb *m, size_t at)
{
    size_t l = m->n - at - 2;
    m->b[at] = (uint8_t)(l >> 8);
    m->b[at + 1] = (uint8_t)l;
}

static uint8_t arena_buf[DNS_ARENA_DEFAULT];
static struct dns_arena arena;

static int parse(const struct mb *b, struct dns_msg *m)
{
    dns_arena_init(&arena, arena_buf, sizeof arena_buf);
    /* An exact-size heap copy, so that ASan sees any read past the message. */
    uint8_t *copy = malloc(b->n ? b->n : 1);
    memcpy(copy, b->b, b->n);
    int rc = dns_parse_message(copy, b->n, m, &arena);
    free(copy);
    return rc;
}

static const struct dns_rr *an(const struct dns_msg *m, unsigned i)
{
    return i < m->nrr[DNS_SEC_ANSWER] ? &m->rr[DNS_SEC_ANSWER][i] : NULL;
}

/* ---- header ---------------------------------------------------------------------------------- */

static void test_header(void)
{
    struct mb b;
    struct dns_msg m;
    hdr(&b, 0xbeef, 0x0120, 1, 0, 0, 0);
    question(&b, "www.example.com", 1, 1);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK_EQ_U(m.id, 0xbeef);
    CHECK(!m.qr && m.rd && !m.ra && m.ad && !m.z && !m.cd);
    CHECK_EQ_U(m.opcode, 0);
    CHECK_EQ_U(m.nq, 1);
    CHECK_STR(m.q[0].name, "www.example.com");
    CHECK_EQ_U(m.q[0].type, 1);
    CHECK_EQ_U(m.q[0].qclass, 1);
    CHECK_EQ_U(m.nanom, 0);
    CHECK_EQ_U(m.wire_len, b.n);
    CHECK(!m.malformed && !m.truncated);

    /* response flags 8180 + z + opcode 9 (invalid) */
    hdr(&b, 1, 0x8180 | 0x0040 | (9u << 11), 1, 0, 0, 0);
    question(&b, "a.b", 1, 1);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(m.qr && m.rd && m.ra && m.z);
    CHECK_EQ_U(m.opcode, 9);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_Z_FLAG_SET));
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_INVALID_OPCODE));
    dns_msg_check_dir(&m, DNS_TOSERVER);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_NOT_A_REQUEST));
    CHECK(!dns_msg_has_anomaly(&m, ANOM_DNS_NOT_A_RESPONSE));

    hdr(&b, 1, 0x0100, 1, 0, 0, 0);
    question(&b, "a.b", 1, 1);
    parse(&b, &m);
    dns_msg_check_dir(&m, DNS_TOCLIENT);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_NOT_A_RESPONSE));

    /* rcode names */
    char t[8];
    CHECK_STR(dns_rcode_str(3, t), "NXDOMAIN");
    CHECK_STR(dns_rcode_str(13, t), "13");
    CHECK_STR(dns_rrtype_str(65, t), "HTTPS");
    CHECK_STR(dns_rrtype_str(65534, t), "65534");

    /* shorter than a header */
    CHECK_EQ_U(parse(&(struct mb){.n = 0}, &m), VG_ERR_TRUNCATED);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_MALFORMED_DATA));
}

/* ---- every record type --------------------------------------------------------------------- */

/* A response carrying one record of each decoded type. Offsets: qname at 12. */
static void build_all_types(struct mb *b)
{
    size_t at;
    hdr(b, 0x1234, 0x8180, 1, 17, 1, 1);
    question(b, "www.example.com", 1, 1);

    ptr(b, 12); /* A */
    at = rr_fixed(b, 1, 1, 300);
    raw(b, "\xc0\x00\x02\x01", 4);
    rr_end(b, at);

    ptr(b, 12); /* AAAA 2001:db8::1 */
    at = rr_fixed(b, 28, 1, 300);
    raw(b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    rr_end(b, at);

    ptr(b, 12); /* CNAME with a compressed suffix: "cdn." + example.com (offset 16) */
    at = rr_fixed(b, 5, 1, 60);
    label(b, "cdn", 3);
    ptr(b, 16);
    rr_end(b, at);

    ptr(b, 16); /* NS */
    at = rr_fixed(b, 2, 1, 3600);
    name(b, "ns1.example.com");
    rr_end(b, at);

    name(b, "1.2.0.192.in-addr.arpa"); /* PTR */
    at = rr_fixed(b, 12, 1, 3600);
    name(b, "host.example.com");
    rr_end(b, at);

    ptr(b, 16); /* MX */
    at = rr_fixed(b, 15, 1, 3600);
    u16(b, 10);
    label(b, "mail", 4);
    ptr(b, 16);
    rr_end(b, at);

    ptr(b, 16); /* TXT: three strings with characters to escape */
    at = rr_fixed(b, 16, 1, 3600);
    label(b, "hello world", 11);
    label(b, "a\"b\\c", 5);
    label(b, "\x01\xff", 2);
    rr_end(b, at);

    ptr(b, 16); /* SOA */
    at = rr_fixed(b, 6, 1, 900);
    name(b, "ns1.example.com");
    name(b, "hostmaster.example.com");
    u32(b, 2024010101);
    u32(b, 7200);
    u32(b, 900);
    u32(b, 1209600);
    u32(b, 86400);
    rr_end(b, at);

    name(b, "_sip._udp.example.com"); /* SRV */
    at = rr_fixed(b, 33, 1, 86400);
    u16(b, 10);
    u16(b, 60);
    u16(b, 5060);
    name(b, "sip.example.com");
    rr_end(b, at);

    ptr(b, 16); /* HTTPS with every decoded SvcParam */
    at = rr_fixed(b, 65, 1, 300);
    u16(b, 1);
    u8(b, 0);  /* target "." */
    u16(b, 1); /* alpn */
    u16(b, 6);
    raw(b, "\x02h2\x02h3", 6);
    u16(b, 3); /* port */
    u16(b, 2);
    u16(b, 443);
    u16(b, 4); /* ipv4hint */
    u16(b, 8);
    raw(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    u16(b, 5); /* ech */
    u16(b, 3);
    raw(b, "\x00\x01\x02", 3);
    u16(b, 6); /* ipv6hint */
    u16(b, 16);
    raw(b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    u16(b, 2); /* no-default-alpn */
    u16(b, 0);
    u16(b, 9999); /* unknown key */
    u16(b, 2);
    raw(b, "\xab\xcd", 2);
    rr_end(b, at);

    name(b, "_svc.example.net"); /* SVCB alias form */
    at = rr_fixed(b, 64, 1, 300);
    u16(b, 0);
    name(b, "svc.example.net");
    rr_end(b, at);

    ptr(b, 12); /* SSHFP */
    at = rr_fixed(b, 44, 1, 300);
    u8(b, 1);
    u8(b, 1);
    raw(b, "\x19\x8c\x34\xa9\x2f\xc0\xb2\xab\x1d\xa5\x2b\x68\x8c\x2f\x19\x1d\x2d\x96\x0c\x09", 20);
    rr_end(b, at);

    ptr(b, 12); /* unknown type 65280 */
    at = rr_fixed(b, 65280, 1, 5);
    raw(b, "\xde\xad\xbe\xef", 4);
    rr_end(b, at);

    ptr(b, 12); /* NULL */
    at = rr_fixed(b, 10, 1, 5);
    raw(b, "ab", 2);
    rr_end(b, at);

    ptr(b, 12); /* DNAME */
    at = rr_fixed(b, 39, 1, 5);
    name(b, "example.org");
    rr_end(b, at);

    /* owner with escapes: "a.b" (dot inside), "x y\xff", "com" */
    label(b, "a.b", 3);
    label(b, "x y\xff", 4);
    label(b, "com", 3);
    u8(b, 0);
    at = rr_fixed(b, 1, 1, 1);
    raw(b, "\x0a\x00\x00\x01", 4);
    rr_end(b, at);

    ptr(b, 12); /* A with a bad length: kept in generic form */
    at = rr_fixed(b, 1, 1, 1);
    raw(b, "\x01\x02\x03", 3);
    rr_end(b, at);

    /* authority: SOA for the zone */
    ptr(b, 16);
    at = rr_fixed(b, 6, 1, 899);
    name(b, "ns-110.awsdns-13.com");
    name(b, "awsdns-hostmaster.amazon.com");
    u32(b, 1);
    u32(b, 7200);
    u32(b, 900);
    u32(b, 1209600);
    u32(b, 86400);
    rr_end(b, at);

    /* additional: OPT, udp 1232, DO, a cookie option */
    u8(b, 0);
    at = rr_fixed(b, 41, 1232, 0x00008000);
    u16(b, 10);
    u16(b, 8);
    raw(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    rr_end(b, at);
}

static void test_types(void)
{
    struct mb b;
    struct dns_msg m;
    build_all_types(&b);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(!m.malformed && !m.truncated);
    CHECK_EQ_U(m.wire_len, b.n);
    CHECK_EQ_U(m.nrr[DNS_SEC_ANSWER], 17);
    CHECK_EQ_U(m.nrr[DNS_SEC_AUTHORITY], 1);
    CHECK_EQ_U(m.nrr[DNS_SEC_ADDITIONAL], 1);
    if (m.nrr[DNS_SEC_ANSWER] != 17) return;

    CHECK_STR(an(&m, 0)->name, "www.example.com");
    CHECK_STR(an(&m, 0)->rdata, "192.0.2.1");
    CHECK_EQ_U(an(&m, 0)->ttl, 300);
    CHECK_STR(an(&m, 1)->rdata, "2001:db8::1");
    CHECK_EQ_U(an(&m, 1)->u.addr[15], 1);
    CHECK_STR(an(&m, 2)->rdata, "cdn.example.com");
    CHECK_STR(an(&m, 2)->u.target, "cdn.example.com");
    CHECK_STR(an(&m, 3)->name, "example.com");
    CHECK_STR(an(&m, 3)->rdata, "ns1.example.com");
    CHECK_STR(an(&m, 4)->name, "1.2.0.192.in-addr.arpa");
    CHECK_STR(an(&m, 4)->rdata, "host.example.com");
    CHECK_STR(an(&m, 5)->rdata, "10 mail.example.com");
    CHECK_EQ_U(an(&m, 5)->u.mx.pref, 10);
    CHECK_STR(an(&m, 5)->u.mx.exchange, "mail.example.com");
    CHECK_STR(an(&m, 6)->rdata, "\"hello world\" \"a\\\"b\\\\c\" \"\\001\\255\"");
    CHECK_EQ_U(an(&m, 6)->u.txt.count, 3);
    CHECK_STR(an(&m, 6)->u.txt.s[0], "hello world");
    CHECK_STR(an(&m, 6)->u.txt.s[1], "a\"b\\\\c");
    CHECK_STR(an(&m, 6)->u.txt.s[2], "\\001\\255");
    CHECK_STR(an(&m, 7)->rdata,
              "ns1.example.com hostmaster.example.com 2024010101 7200 900 1209600 86400");
    CHECK_STR(an(&m, 7)->u.soa.mname, "ns1.example.com");
    CHECK_STR(an(&m, 7)->u.soa.rname, "hostmaster.example.com");
    CHECK_EQ_U(an(&m, 7)->u.soa.serial, 2024010101u);
    CHECK_EQ_U(an(&m, 7)->u.soa.minimum, 86400);
    CHECK_STR(an(&m, 8)->name, "_sip._udp.example.com");
    CHECK_STR(an(&m, 8)->rdata, "10 60 5060 sip.example.com");
    CHECK_EQ_U(an(&m, 8)->u.srv.port, 5060);
    CHECK_STR(an(&m, 8)->u.srv.target, "sip.example.com");
    CHECK_STR(an(&m, 9)->rdata, "1 . alpn=h2,h3 port=443 ipv4hint=1.2.3.4,5.6.7.8 ech=AAEC "
                                "ipv6hint=2001:db8::1 no-default-alpn key9999=abcd");
    CHECK_EQ_U(an(&m, 9)->u.svcb.priority, 1);
    CHECK_STR(an(&m, 9)->u.svcb.target, ".");
    CHECK_STR(an(&m, 9)->u.svcb.params, "alpn=h2,h3 port=443 ipv4hint=1.2.3.4,5.6.7.8 ech=AAEC "
                                        "ipv6hint=2001:db8::1 no-default-alpn key9999=abcd");
    CHECK_STR(an(&m, 10)->rdata, "0 svc.example.net");
    CHECK_STR(an(&m, 10)->u.svcb.target, "svc.example.net");
    CHECK_STR(an(&m, 10)->u.svcb.params, "");
    CHECK_STR(an(&m, 11)->rdata, "1 1 198c34a92fc0b2ab1da52b688c2f191d2d960c09");
    CHECK_STR(an(&m, 11)->u.sshfp.hex, "198c34a92fc0b2ab1da52b688c2f191d2d960c09");
    CHECK_EQ_U(an(&m, 12)->type, 65280);
    CHECK_STR(an(&m, 12)->rdata, "\\# 4 deadbeef");
    CHECK_STR(an(&m, 13)->rdata, "\\# 2 6162");
    CHECK_STR(an(&m, 14)->rdata, "example.org");
    CHECK_STR(an(&m, 15)->name, "a\\.b.x\\032y\\255.com");
    CHECK_STR(an(&m, 15)->rdata, "10.0.0.1");
    CHECK_STR(an(&m, 16)->rdata, "\\# 3 010203");
    CHECK(an(&m, 16)->flags & DNS_RR_BAD_RDATA);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_MALFORMED_DATA));
    CHECK_EQ_U(m.nanom, 1);

    const struct dns_rr *soa = &m.rr[DNS_SEC_AUTHORITY][0];
    CHECK_STR(soa->u.soa.mname, "ns-110.awsdns-13.com");
    CHECK_EQ_U(soa->ttl, 899);
    const struct dns_rr *opt = &m.rr[DNS_SEC_ADDITIONAL][0];
    CHECK_EQ_U(opt->type, DNS_TYPE_OPT);
    CHECK_STR(opt->name, "");
    CHECK_STR(opt->rdata, "udp=1232 ext_rcode=0 version=0 flags=8000 opt10=0102030405060708");
    CHECK_EQ_U(opt->u.opt.count, 1);
    CHECK_EQ_U(opt->u.opt.opts[0].code, 10);
    CHECK_STR(opt->u.opt.opts[0].hex, "0102030405060708");
    CHECK(m.has_edns && m.edns_do);
    CHECK_EQ_U(m.edns_udp_size, 1232);
    CHECK_EQ_U(m.edns_version, 0);
}

static void test_opt_rules(void)
{
    struct mb b;
    struct dns_msg m;
    size_t at;
    /* two OPT records, the second with a non-root owner and extended rcode 1 (BADVERS = 16) */
    hdr(&b, 7, 0x8000, 1, 0, 0, 2);
    question(&b, "x.y", 1, 1);
    u8(&b, 0);
    at = rr_fixed(&b, 41, 512, 0x01000000);
    rr_end(&b, at);
    ptr(&b, 12);
    at = rr_fixed(&b, 41, 512, 0);
    rr_end(&b, at);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(m.has_edns);
    CHECK_EQ_U(m.ext_rcode, 16);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_INVALID_ADDITIONALS));
    CHECK_EQ_U(m.nrr[DNS_SEC_ADDITIONAL], 2);
    CHECK_STR(m.rr[DNS_SEC_ADDITIONAL][0].rdata, "udp=512 ext_rcode=1 version=0 flags=0000");
}

/* ---- names ----------------------------------------------------------------------------------- */

/* A response whose answer 0 is an unknown-type record holding a chain of `hops` pointers (each to
 * the previous one, the first to the qname) and whose answer 1 is a CNAME pointing at the last. */
static void build_chain(struct mb *b, unsigned hops)
{
    hdr(b, 9, 0x8180, 1, 2, 0, 0);
    question(b, "q.example", 1, 1);
    ptr(b, 12);
    size_t at = rr_fixed(b, 65280, 1, 1);
    unsigned prev = 12;
    for (unsigned i = 0; i < hops; i++) {
        unsigned here = (unsigned)b->n;
        ptr(b, prev);
        prev = here;
    }
    rr_end(b, at);
    ptr(b, 12);
    at = rr_fixed(b, 5, 1, 1);
    ptr(b, prev);
    rr_end(b, at);
}

static void test_compression(void)
{
    struct mb b;
    struct dns_msg m;

    /* chains: the CNAME walks hops+1 pointers */
    build_chain(&b, 10);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK_EQ_U(m.nrr[DNS_SEC_ANSWER], 2);
    if (m.nrr[DNS_SEC_ANSWER] == 2) CHECK_STR(an(&m, 1)->rdata, "q.example");
    build_chain(&b, DNS_HOP_LIMIT - 1);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(!dns_msg_has_anomaly(&m, ANOM_DNS_INFINITE_LOOP));
    if (m.nrr[DNS_SEC_ANSWER] == 2) CHECK_STR(an(&m, 1)->rdata, "q.example");
    build_chain(&b, DNS_HOP_LIMIT + 5); /* longer than the hop limit */
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_INFINITE_LOOP));
    CHECK_EQ_U(m.nrr[DNS_SEC_ANSWER], 2);
    if (m.nrr[DNS_SEC_ANSWER] == 2) CHECK(an(&m, 1)->flags & DNS_RR_BAD_RDATA);

    /* forward pointer in the question: rejected */
    hdr(&b, 1, 0, 1, 0, 0, 0);
    label(&b, "a", 1);
    ptr(&b, 20);
    u16(&b, 1);
    u16(&b, 1);
    label(&b, "b", 1);
    u8(&b, 0);
    CHECK_EQ_U(parse(&b, &m), VG_ERR_FORMAT);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_INFINITE_LOOP));
    CHECK_EQ_U(m.nq, 0);

    /* self pointer */
    hdr(&b, 1, 0, 1, 0, 0, 0);
    ptr(&b, 12);
    u16(&b, 1);
    u16(&b, 1);
    CHECK_EQ_U(parse(&b, &m), VG_ERR_FORMAT);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_INFINITE_LOOP));

    /* a loop: qname "a" + pointer at 14 to 20; at 20 label "b" + pointer back to 12 */
    hdr(&b, 1, 0x8000, 1, 1, 0, 0);
    question(&b, "a.b", 1, 1); /* 12..20, qname ends at 16 */
    size_t loop_at = b.n;      /* owner of the answer: label + pointer to its own label */
    label(&b, "x", 1);
    ptr(&b, (unsigned)loop_at);
    size_t at = rr_fixed(&b, 1, 1, 1);
    raw(&b, "\x01\x02\x03\x04", 4);
    rr_end(&b, at);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(m.malformed);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_INFINITE_LOOP));
    CHECK_EQ_U(m.nq, 1);
    CHECK_EQ_U(m.nrr[DNS_SEC_ANSWER], 0);

    /* a pointer into the header */
    hdr(&b, 1, 0x8000, 1, 1, 0, 0);
    question(&b, "a.b", 1, 1);
    ptr(&b, 2);
    at = rr_fixed(&b, 1, 1, 1);
    raw(&b, "\x01\x02\x03\x04", 4);
    rr_end(&b, at);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(m.malformed && dns_msg_has_anomaly(&m, ANOM_DNS_MALFORMED_DATA));

    /* label types 0x40 and 0x80 (a "label longer than 63") */
    for (unsigned lt = 0x40; lt <= 0x80; lt += 0x40) {
        hdr(&b, 1, 0, 1, 0, 0, 0);
        u8(&b, lt);
        raw(&b, "abc", 3);
        u8(&b, 0);
        u16(&b, 1);
        u16(&b, 1);
        CHECK_EQ_U(parse(&b, &m), VG_ERR_FORMAT);
        CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_MALFORMED_DATA));
    }

    /* a name of exactly 255 bytes (3 x 63 + 61 + lengths + root) is fine; 256+ is too long */
    char l63[64], l61[62];
    memset(l63, 'a', 63);
    memset(l61, 'b', 61);
    hdr(&b, 1, 0, 1, 0, 0, 0);
    for (int i = 0; i < 3; i++)
        label(&b, l63, 63);
    label(&b, l61, 61);
    u8(&b, 0);
    u16(&b, 1);
    u16(&b, 1);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(!dns_msg_has_anomaly(&m, ANOM_DNS_NAME_TOO_LONG));
    CHECK_EQ_U(strlen(m.q[0].name), 3 * 64 + 61);
    CHECK(!(m.q[0].flags & DNS_RR_NAME_TRUNC));

    hdr(&b, 1, 0, 1, 0, 0, 0);
    for (int i = 0; i < 5; i++)
        label(&b, l63, 63);
    u8(&b, 0);
    u16(&b, 28);
    u16(&b, 1);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_NAME_TOO_LONG));
    CHECK(m.q[0].flags & DNS_RR_NAME_TRUNC);
    CHECK_EQ_U(m.q[0].type, 28); /* the end of the name was still found */
    CHECK_EQ_U(strlen(m.q[0].name), 3 * 64 - 1);

    /* too long through a pointer: the owner is "c" x63 (x2) + pointer to a 3x63 name */
    hdr(&b, 1, 0x8000, 1, 1, 0, 0);
    for (int i = 0; i < 3; i++)
        label(&b, l63, 63);
    u8(&b, 0);
    u16(&b, 1);
    u16(&b, 1);
    label(&b, l63, 63);
    label(&b, l63, 63);
    ptr(&b, 12);
    at = rr_fixed(&b, 1, 1, 1);
    raw(&b, "\x01\x02\x03\x04", 4);
    rr_end(&b, at);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK_EQ_U(m.nrr[DNS_SEC_ANSWER], 1);
    if (m.nrr[DNS_SEC_ANSWER]) {
        CHECK(an(&m, 0)->flags & DNS_RR_NAME_TRUNC);
        CHECK_STR(an(&m, 0)->rdata, "1.2.3.4");
    }
    CHECK(!m.malformed);
}

/* ---- truncation and limits ------------------------------------------------------------------ */

static void test_truncation(void)
{
    struct mb full, b;
    struct dns_msg m;
    build_all_types(&full);
    unsigned bad = 0;
    for (size_t n = 0; n < full.n; n++) {
        b = full;
        b.n = n;
        int rc = parse(&b, &m);
        if (!(rc != VG_OK || m.malformed)) bad++;
        if (m.nanom == 0) bad++;
        /* whatever was kept is consistent */
        for (unsigned i = 0; i < m.nrr[DNS_SEC_ANSWER]; i++)
            if (!an(&m, i)->name || !an(&m, i)->rdata) bad++;
    }
    CHECK_EQ_U(bad, 0);
    /* answers parsed before the cut survive */
    b = full;
    b.n = full.n - 3;
    parse(&b, &m);
    CHECK_EQ_U(m.nrr[DNS_SEC_ANSWER], 17);
    CHECK(m.malformed && dns_msg_has_anomaly(&m, ANOM_DNS_INVALID_ADDITIONALS));

    /* a broken authority section keeps the answers */
    hdr(&b, 3, 0x8180, 1, 1, 1, 0);
    question(&b, "a.b", 1, 1);
    ptr(&b, 12);
    size_t at = rr_fixed(&b, 1, 1, 1);
    raw(&b, "\x01\x02\x03\x04", 4);
    rr_end(&b, at);
    ptr(&b, 12);
    u16(&b, 6);
    u16(&b, 1);
    u32(&b, 1);
    u16(&b, 200); /* rdlength past the end */
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK_EQ_U(m.nrr[DNS_SEC_ANSWER], 1);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_INVALID_AUTHORITIES));
}

static void test_arena_limits(void)
{
    struct mb full;
    struct dns_msg m;
    build_all_types(&full);
    static uint8_t small[4096];
    unsigned bad = 0, truncated = 0;
    for (size_t cap = 0; cap <= sizeof small; cap += 7) {
        struct dns_arena a;
        memset(small, 0x5a, sizeof small);
        dns_arena_init(&a, small, cap);
        int rc = dns_parse_message(full.b, full.n, &m, &a);
        if (rc != VG_OK) bad++;
        if (a.used > cap) bad++;
        if (m.truncated) {
            truncated++;
            if (!dns_msg_has_anomaly(&m, ANOM_DNS_ARENA_FULL)) bad++;
        }
        for (unsigned i = 0; i < m.nq; i++)
            if (!m.q[i].name) bad++;
        for (int s = 0; s < DNS_SEC_COUNT; s++)
            for (unsigned i = 0; i < m.nrr[s]; i++) {
                const struct dns_rr *rr = &m.rr[s][i];
                if (!rr->name || !rr->rdata)
                    bad++;
                else if (strlen(rr->name) > 1100 || strlen(rr->rdata) > 4096)
                    bad++;
            }
    }
    CHECK_EQ_U(bad, 0);
    CHECK(truncated > 0);
    /* the default arena is ample */
    CHECK_EQ_U(parse(&full, &m), VG_OK);
    CHECK(!m.truncated);

    /* more records than DNS_MAX_RRS */
    struct mb b;
    hdr(&b, 1, 0x8180, 1, 300, 0, 0);
    question(&b, "many.example", 1, 1);
    for (unsigned i = 0; i < 300; i++) {
        ptr(&b, 12);
        size_t at = rr_fixed(&b, 1, 1, 1);
        u32(&b, 0x0a000000u + i);
        rr_end(&b, at);
    }
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK_EQ_U(m.nrr[DNS_SEC_ANSWER], DNS_MAX_RRS);
    CHECK(m.truncated && !m.malformed);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_TOO_MANY_RECORDS));
    CHECK_EQ_U(m.wire_len, b.n);

    /* more questions than DNS_MAX_QUESTIONS */
    hdr(&b, 1, 0, 10, 0, 0, 0);
    for (int i = 0; i < 10; i++)
        question(&b, "q.example", 1, 1);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK_EQ_U(m.nq, DNS_MAX_QUESTIONS);
    CHECK(m.truncated);

    /* counts that cannot fit */
    hdr(&b, 1, 0x8180, 1, 65535, 65535, 65535);
    question(&b, "q.example", 1, 1);
    CHECK_EQ_U(parse(&b, &m), VG_OK);
    CHECK(m.malformed);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_MALFORMED_DATA));
}

/* ---- probes ---------------------------------------------------------------------------------- */

static void test_probe(void)
{
    struct mb b, r;
    hdr(&b, 0x4242, 0x0100, 1, 0, 0, 1);
    question(&b, "www.example.com", 1, 1);
    u8(&b, 0);
    size_t at = rr_fixed(&b, 41, 4096, 0);
    rr_end(&b, at);
    CHECK_EQ_U(dns_probe_udp(b.b, b.n), VG_OK);
    build_all_types(&r);
    CHECK_EQ_U(dns_probe_udp(r.b, r.n), VG_OK);
    CHECK_EQ_U(dns_probe_udp(b.b, 11), VG_DECLINED);
    CHECK_EQ_U(dns_probe_udp(b.b, 20), VG_DECLINED); /* question cut */
    CHECK_EQ_U(dns_probe_udp((const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27),
               VG_DECLINED);
    struct mb x = b;
    x.b[2] = (uint8_t)(x.b[2] | (3u << 3)); /* opcode 3 */
    CHECK_EQ_U(dns_probe_udp(x.b, x.n), VG_DECLINED);
    x = b;
    x.b[5] = 0; /* qdcount 0 */
    CHECK_EQ_U(dns_probe_udp(x.b, x.n), VG_DECLINED);
    x = b;
    x.b[7] = 5; /* a query with answers */
    CHECK_EQ_U(dns_probe_udp(x.b, x.n), VG_DECLINED);
    x = b;
    x.b[b.n - 12] = 77; /* qclass 77 (low byte; an OPT record of 11 bytes follows) */
    CHECK_EQ_U(dns_probe_udp(x.b, x.n), VG_DECLINED);

    /* TCP: prefix + message, cut anywhere */
    uint8_t t[600];
    t[0] = (uint8_t)(b.n >> 8);
    t[1] = (uint8_t)b.n;
    memcpy(t + 2, b.b, b.n);
    CHECK_EQ_U(dns_probe_tcp(t, 1), VG_AGAIN);
    CHECK_EQ_U(dns_probe_tcp(t, 10), VG_AGAIN);
    CHECK_EQ_U(dns_probe_tcp(t, 20), VG_AGAIN);
    CHECK_EQ_U(dns_probe_tcp(t, b.n + 2), VG_OK);
    CHECK_EQ_U(dns_probe_tcp(t, 2 + 12 + 17 + 4), VG_OK);
    t[0] = 0;
    t[1] = 5;
    CHECK_EQ_U(dns_probe_tcp(t, b.n + 2), VG_DECLINED);
    CHECK_EQ_U(dns_probe_tcp((const uint8_t *)"SSH-2.0-OpenSSH_9.0\r\n", 21), VG_DECLINED);
}

/* ---- TCP framing ----------------------------------------------------------------------------- */

struct got {
    unsigned n;
    uint16_t id[16];
    int dir[16];
    int status[16];
    size_t nans[16];
    char first[16][64];
};

static void on_msg(void *ud, int dir, struct dns_msg *m, int status, const uint8_t *raw_,
                   size_t rawlen)
{
    struct got *g = ud;
    (void)raw_;
    (void)rawlen;
    if (g->n >= 16) return;
    g->id[g->n] = m->id;
    g->dir[g->n] = dir;
    g->status[g->n] = status;
    g->nans[g->n] = m->nrr[DNS_SEC_ANSWER];
    snprintf(g->first[g->n], sizeof g->first[0], "%s", m->nq ? m->q[0].name : "-");
    g->n++;
}

/* Two framed messages (a query and the all-types response) in one buffer. */
static size_t build_stream(uint8_t *s)
{
    struct mb q, r;
    hdr(&q, 0x1111, 0x0100, 1, 0, 0, 0);
    question(&q, "tcp.example", 1, 1);
    build_all_types(&r);
    size_t n = 0;
    s[n++] = (uint8_t)(q.n >> 8);
    s[n++] = (uint8_t)q.n;
    memcpy(s + n, q.b, q.n);
    n += q.n;
    s[n++] = (uint8_t)(r.n >> 8);
    s[n++] = (uint8_t)r.n;
    memcpy(s + n, r.b, r.n);
    return n + r.n;
}

static bool stream_ok(const struct got *g)
{
    return g->n == 2 && g->id[0] == 0x1111 && g->id[1] == 0x1234 && g->status[0] == VG_OK &&
           g->status[1] == VG_OK && g->nans[1] == 17 && strcmp(g->first[0], "tcp.example") == 0 &&
           strcmp(g->first[1], "www.example.com") == 0;
}

static void test_tcp(void)
{
    static uint8_t s[4096];
    size_t n = build_stream(s);
    struct vg_ts ts = {1, 0};
    struct dns_arena a;
    dns_arena_init(&a, arena_buf, sizeof arena_buf);

    /* in one piece */
    struct dns_tcp_state *st = dns_tcp_state_new(&a);
    struct got g = {0};
    CHECK_EQ_U(dns_tcp_parse(st, DNS_TOSERVER, s, n, ts, on_msg, &g), VG_OK);
    CHECK(stream_ok(&g));
    CHECK_EQ_U(g.dir[0], DNS_TOSERVER);
    CHECK_EQ_U(dns_tcp_counters(st)->msgs, 2);
    dns_tcp_state_free(st);

    /* every split into two pieces */
    unsigned bad = 0;
    for (size_t i = 0; i <= n; i++) {
        st = dns_tcp_state_new(&a);
        memset(&g, 0, sizeof g);
        dns_tcp_parse(st, DNS_TOCLIENT, s, i, ts, on_msg, &g);
        dns_tcp_parse(st, DNS_TOCLIENT, s + i, n - i, ts, on_msg, &g);
        if (!stream_ok(&g)) bad++;
        dns_tcp_state_free(st);
    }
    CHECK_EQ_U(bad, 0);

    /* every split into three pieces (i, j) */
    bad = 0;
    for (size_t i = 0; i <= n; i += 3)
        for (size_t j = i; j <= n; j += 5) {
            st = dns_tcp_state_new(&a);
            memset(&g, 0, sizeof g);
            dns_tcp_parse(st, DNS_TOSERVER, s, i, ts, on_msg, &g);
            dns_tcp_parse(st, DNS_TOSERVER, s + i, j - i, ts, on_msg, &g);
            dns_tcp_parse(st, DNS_TOSERVER, s + j, n - j, ts, on_msg, &g);
            if (!stream_ok(&g)) bad++;
            dns_tcp_state_free(st);
        }
    CHECK_EQ_U(bad, 0);

    /* byte by byte, both directions interleaved */
    st = dns_tcp_state_new(&a);
    struct got g2 = {0};
    memset(&g, 0, sizeof g);
    for (size_t i = 0; i < n; i++) {
        dns_tcp_parse(st, DNS_TOSERVER, s + i, 1, ts, on_msg, &g);
        dns_tcp_parse(st, DNS_TOCLIENT, s + i, 1, ts, on_msg, &g2);
    }
    CHECK(stream_ok(&g));
    CHECK(stream_ok(&g2));
    dns_tcp_state_free(st);

    /* zero-length prefix is skipped */
    st = dns_tcp_state_new(&a);
    memset(&g, 0, sizeof g);
    dns_tcp_parse(st, DNS_TOSERVER, (const uint8_t *)"\0\0", 2, ts, on_msg, &g);
    dns_tcp_parse(st, DNS_TOSERVER, s, n, ts, on_msg, &g);
    CHECK(stream_ok(&g));
    CHECK_EQ_U(dns_tcp_counters(st)->zero_len, 1);
    dns_tcp_state_free(st);

    /* a gap inside the first message whose end is beyond it: that message is lost, the second
     * parses */
    size_t first_len = 2 + (size_t)((s[0] << 8) | s[1]);
    st = dns_tcp_state_new(&a);
    memset(&g, 0, sizeof g);
    dns_tcp_parse(st, DNS_TOSERVER, s, 5, ts, on_msg, &g);
    dns_tcp_gap(st, DNS_TOSERVER, 4);
    dns_tcp_parse(st, DNS_TOSERVER, s + 9, n - 9, ts, on_msg, &g);
    CHECK_EQ_U(g.n, 1);
    CHECK_EQ_U(g.id[0], 0x1234);
    CHECK_EQ_U(dns_tcp_counters(st)->lost_partial, 1);
    dns_tcp_state_free(st);

    /* a gap across the boundary: framing lost; a chunk that does not start a message is dropped,
     * one that does is accepted */
    st = dns_tcp_state_new(&a);
    memset(&g, 0, sizeof g);
    dns_tcp_parse(st, DNS_TOSERVER, s, 5, ts, on_msg, &g);
    dns_tcp_gap(st, DNS_TOSERVER, first_len + 10);
    dns_tcp_parse(st, DNS_TOSERVER, s + first_len + 15, 40, ts, on_msg, &g); /* mid-message */
    CHECK_EQ_U(g.n, 0);
    dns_tcp_parse(st, DNS_TOSERVER, s + first_len, n - first_len, ts, on_msg, &g);
    CHECK_EQ_U(g.n, 1);
    CHECK_EQ_U(g.id[0], 0x1234);
    CHECK_EQ_U(dns_tcp_counters(st)->resync_drops, 1);
    CHECK_EQ_U(dns_tcp_counters(st)->resyncs, 1);
    dns_tcp_state_free(st);

    /* a gap exactly to the end of the first message keeps the framing */
    st = dns_tcp_state_new(&a);
    memset(&g, 0, sizeof g);
    dns_tcp_parse(st, DNS_TOSERVER, s, 5, ts, on_msg, &g);
    dns_tcp_gap(st, DNS_TOSERVER, first_len - 5);
    dns_tcp_parse(st, DNS_TOSERVER, s + first_len, 7, ts, on_msg, &g);
    dns_tcp_parse(st, DNS_TOSERVER, s + first_len + 7, n - first_len - 7, ts, on_msg, &g);
    CHECK_EQ_U(g.n, 1);
    CHECK_EQ_U(dns_tcp_counters(st)->resyncs, 0);
    dns_tcp_state_free(st);

    dns_tcp_state_free(NULL);
    CHECK(dns_tcp_state_new(NULL) == NULL);
    CHECK_EQ_U(dns_tcp_parse(NULL, 0, s, 1, ts, on_msg, &g), VG_ERR_USAGE);
}

/* ---- pairing and races ----------------------------------------------------------------------- */

struct pairs {
    unsigned n;
    struct dns_response_pair last;
    char first_text[DNS_TXN_TEXT_MAX], second_text[DNS_TXN_TEXT_MAX], qname[300];
};

static void on_pair(void *ud, const struct dns_response_pair *p)
{
    struct pairs *ps = ud;
    ps->n++;
    ps->last = *p;
    snprintf(ps->first_text, sizeof ps->first_text, "%s", p->first.answers);
    snprintf(ps->second_text, sizeof ps->second_text, "%s", p->second.answers);
    snprintf(ps->qname, sizeof ps->qname, "%s", p->qname);
}

static void build_query(struct mb *b, unsigned id, const char *qn)
{
    hdr(b, id, 0x0100, 1, 0, 0, 0);
    question(b, qn, 1, 1);
}

/* A response with A records (ttl, addresses given) in the given order. */
static void build_answer(struct mb *b, unsigned id, const char *qn, uint32_t ttl, unsigned rcode,
                         const uint32_t *addrs, unsigned n)
{
    hdr(b, id, 0x8180 | rcode, 1, n, 0, 0);
    question(b, qn, 1, 1);
    for (unsigned i = 0; i < n; i++) {
        ptr(b, 12);
        size_t at = rr_fixed(b, 1, 1, ttl);
        u32(b, addrs[i]);
        rr_end(b, at);
    }
}

static struct dns_pkt_meta meta_at(int64_t sec, uint64_t cnt, uint8_t ttl, uint16_t ipid)
{
    struct dns_pkt_meta mt = {{sec, 0}, cnt, 4, ttl, ipid};
    return mt;
}

static void test_pairing(void)
{
    struct dns_txn_table *t = dns_txn_new(NULL);
    struct pairs ps = {0};
    struct dns_txn_result res;
    struct mb b;
    struct dns_msg m;
    struct dns_pkt_meta mt;
    const uint32_t real[2] = {0x5db8d822, 0x5db8d823}, forged[1] = {0x0a0a0a0a};
    const uint32_t real_rev[2] = {0x5db8d823, 0x5db8d822};

    build_query(&b, 0x100, "www.Example.com");
    parse(&b, &m);
    mt = meta_at(100, 1, 64, 10);
    CHECK_EQ_U(dns_txn_observe(t, &m, &mt, on_pair, &ps, &res), VG_OK);
    CHECK_EQ_U(res.kind, DNS_TXN_QUERY);
    CHECK_EQ_U(dns_txn_pending(t), 1);
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_QUERY_RETRANSMIT);

    /* first response (0x20 case change in the echoed name still matches) */
    build_answer(&b, 0x100, "www.example.COM", 300, 0, real, 2);
    parse(&b, &m);
    mt = (struct dns_pkt_meta){{100, 20000}, 2, 4, 57, 4242};
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE);
    CHECK_EQ_U(res.rtt_us, 20);
    CHECK_EQ_U(ps.n, 0);

    /* the same answers again, other order and TTL: identical duplicate */
    build_answer(&b, 0x100, "www.example.com", 299, 0, real_rev, 2);
    parse(&b, &m);
    mt = meta_at(101, 3, 57, 4243);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE_DUP);
    CHECK(res.identical);
    CHECK_EQ_U(ps.n, 1);
    CHECK(ps.last.identical);
    CHECK_EQ_U(ps.last.nth, 2);
    CHECK_EQ_U(ps.last.first.meta.pcap_cnt, 2);
    CHECK_EQ_U(ps.last.second.meta.pcap_cnt, 3);
    CHECK(ps.last.query_seen);
    CHECK_EQ_U(ps.last.query_pcap_cnt, 1);

    /* different answers: a race, both sides reported with their packet meta */
    build_answer(&b, 0x100, "www.example.com", 60, 0, forged, 1);
    parse(&b, &m);
    mt = meta_at(101, 4, 250, 1);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE_DUP);
    CHECK(!res.identical);
    CHECK_EQ_U(ps.n, 2);
    CHECK(!ps.last.identical);
    CHECK_EQ_U(ps.last.nth, 3);
    CHECK_EQ_U(ps.last.id, 0x100);
    CHECK_EQ_U(ps.last.qtype, 1);
    CHECK_STR(ps.qname, "www.example.com");
    CHECK_STR(ps.first_text, "www.example.COM A 93.184.216.34; www.example.COM A 93.184.216.35");
    CHECK_STR(ps.second_text, "www.example.com A 10.10.10.10");
    CHECK_EQ_U(ps.last.first.meta.ttl, 57);
    CHECK_EQ_U(ps.last.first.meta.ip_id, 4242);
    CHECK_EQ_U(ps.last.second.meta.ttl, 250);
    CHECK_EQ_U(ps.last.second.meta.ip_id, 1);
    CHECK_EQ_U(ps.last.first.nanswers, 2);
    CHECK_EQ_U(ps.last.second.nanswers, 1);
    CHECK(!ps.last.first.incomplete && !ps.last.second.incomplete);

    /* NXDOMAIN vs NOERROR with no answers: different */
    build_query(&b, 0x200, "nx.example");
    parse(&b, &m);
    mt = meta_at(102, 5, 64, 11);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    build_answer(&b, 0x200, "nx.example", 1, 3, NULL, 0);
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE);
    build_answer(&b, 0x200, "nx.example", 1, 0, NULL, 0);
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE_DUP);
    CHECK(!res.identical);
    CHECK_EQ_U(ps.last.first.rcode, 3);
    CHECK_EQ_U(ps.last.second.rcode, 0);

    /* response to no query */
    build_answer(&b, 0x300, "orphan.example", 1, 0, real, 1);
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE_UNSOLICITED);
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_UNSOLICITED_RESPONSE));
    /* ... and a second one with other answers still pairs */
    build_answer(&b, 0x300, "orphan.example", 1, 0, forged, 1);
    parse(&b, &m);
    unsigned before = ps.n;
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE_DUP);
    CHECK_EQ_U(ps.n, before + 1);
    CHECK(!ps.last.query_seen && !ps.last.identical);

    /* same id, other question: unsolicited, not a duplicate */
    build_answer(&b, 0x100, "other.example", 1, 0, real, 1);
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE_UNSOLICITED);

    /* a response without a question matches by id */
    build_query(&b, 0x400, "noq.example");
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    hdr(&b, 0x400, 0x8182, 0, 0, 0, 0); /* SERVFAIL, no question */
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE);

    const struct dns_txn_counters *c = dns_txn_counters(t);
    CHECK_EQ_U(c->dup_identical, 1);
    CHECK_EQ_U(c->dup_different, 3);
    CHECK_EQ_U(c->unsolicited, 2);

    /* timeout: 11 s later everything is gone and the response is unsolicited */
    build_query(&b, 0x500, "late.example");
    parse(&b, &m);
    mt = meta_at(200, 9, 64, 1);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    build_answer(&b, 0x500, "late.example", 1, 0, real, 1);
    parse(&b, &m);
    mt = meta_at(211, 10, 64, 1);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE_UNSOLICITED);
    CHECK(dns_txn_counters(t)->expired_unanswered >= 1);
    dns_txn_free(t);

    /* a full table evicts the oldest and flags the flood */
    struct dns_txn_config cfg;
    dns_txn_config_default(&cfg);
    cfg.max_entries = 8;
    t = dns_txn_new(&cfg);
    mt = meta_at(1, 1, 64, 1);
    for (unsigned i = 0; i < 9; i++) {
        build_query(&b, i, "flood.example");
        parse(&b, &m);
        dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    }
    CHECK(dns_msg_has_anomaly(&m, ANOM_DNS_FLOODED));
    CHECK_EQ_U(dns_txn_pending(t), 8);
    CHECK_EQ_U(dns_txn_counters(t)->evicted, 1);
    build_answer(&b, 0, "flood.example", 1, 0, real, 1);
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE_UNSOLICITED); /* id 0 was evicted */
    build_answer(&b, 8, "flood.example", 1, 0, real, 1);
    parse(&b, &m);
    dns_txn_observe(t, &m, &mt, on_pair, &ps, &res);
    CHECK_EQ_U(res.kind, DNS_TXN_RESPONSE);
    dns_txn_free(t);
    dns_txn_free(NULL);
    CHECK_EQ_U(dns_txn_observe(NULL, &m, &mt, NULL, NULL, &res), VG_ERR_USAGE);
}

static void test_answers_text(void)
{
    struct mb b;
    struct dns_msg m;
    const uint32_t a2[2] = {1, 2};
    build_answer(&b, 1, "t.example", 5, 0, a2, 2);
    parse(&b, &m);
    char small[20];
    CHECK(!dns_answers_text(&m, small, sizeof small));
    CHECK_EQ_U(strlen(small), sizeof small - 1);
    char big[200];
    CHECK(dns_answers_text(&m, big, sizeof big));
    CHECK_STR(big, "t.example A 0.0.0.1; t.example A 0.0.0.2");
    uint64_t d1 = dns_answers_digest(&m);
    const uint32_t a3[3] = {1, 2, 2};
    build_answer(&b, 1, "t.example", 5, 0, a3, 3);
    parse(&b, &m);
    CHECK(dns_answers_digest(&m) != d1); /* multiplicity counts */
}

/* ---- EVE ------------------------------------------------------------------------------------- */

static char eve_lines[1 << 16];
static size_t eve_len;

static void eve_keep(const struct jw *w)
{
    if (eve_len + w->len + 2 < sizeof eve_lines) {
        memcpy(eve_lines + eve_len, w->buf, w->len);
        eve_len += w->len;
        eve_lines[eve_len++] = '\n';
        eve_lines[eve_len] = 0;
    }
}

static bool has(const struct jw *w, const char *needle)
{
    char *s = strndup(w->buf, w->len);
    bool ok = s && strstr(s, needle);
    if (!ok) fprintf(stderr, "missing %s in %s\n", needle, s ? s : "(null)");
    free(s);
    return ok;
}

static void test_eve(void)
{
    struct flow f;
    memset(&f, 0, sizeof f);
    f.src.family = 4;
    memcpy(f.src.a, "\x0a\x10\x01\x0b", 4);
    f.dst.family = 4;
    memcpy(f.dst.a, "\x08\x08\x08\x08", 4);
    f.sport = 54888;
    f.dport = 53;
    f.proto = 17;
    f.flow_id = 12345;
    struct dns_log_ctx ctx = {{1497000000, 5000}, 2, FLOW_TOCLIENT, 1};
    struct jw w;
    jw_init(&w);
    struct mb b;
    struct dns_msg m;

    /* request */
    build_query(&b, 0x8d2c, "www.suricata-ids.org");
    parse(&b, &m);
    struct dns_log_ctx qctx = {{1497000000, 0}, 1, FLOW_TOSERVER, 0};
    eve_dns(&w, &f, &m, &qctx);
    CHECK(!w.oom);
    CHECK(has(&w, "\"event_type\":\"dns\",\"src_ip\":\"10.16.1.11\",\"src_port\":54888,"
                  "\"dest_ip\":\"8.8.8.8\",\"dest_port\":53,\"proto\":\"UDP\""));
    CHECK(has(&w, "\"dns\":{\"version\":3,\"type\":\"request\",\"tx_id\":0,\"id\":36140,"
                  "\"flags\":\"100\",\"rd\":true,\"opcode\":0,\"rcode\":\"NOERROR\","
                  "\"queries\":[{\"rrname\":\"www.suricata-ids.org\",\"rrtype\":\"A\"}]}"));
    eve_keep(&w);

    /* the all-types response */
    jw_reset(&w);
    build_all_types(&b);
    parse(&b, &m);
    eve_dns(&w, &f, &m, &ctx);
    CHECK(!w.oom);
    CHECK(has(&w, "\"src_ip\":\"8.8.8.8\",\"src_port\":53,\"dest_ip\":\"10.16.1.11\""));
    CHECK(has(&w, "\"type\":\"response\",\"tx_id\":1,\"id\":4660,\"flags\":\"8180\","
                  "\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,\"rcode\":\"NOERROR\""));
    CHECK(has(&w, "{\"rrname\":\"www.example.com\",\"rrtype\":\"A\",\"ttl\":300,"
                  "\"rdata\":\"192.0.2.1\"}"));
    CHECK(has(&w, "\"rdata\":\"2001:0db8:0000:0000:0000:0000:0000:0001\""));
    CHECK(has(&w, "{\"rrname\":\"example.com\",\"rrtype\":\"MX\",\"ttl\":3600,"
                  "\"rdata\":\"mail.example.com\"}"));
    CHECK(has(&w, "\"rrtype\":\"TXT\",\"ttl\":3600,\"rdata\":\"hello world\"}"));
    CHECK(has(&w, "\"rrtype\":\"TXT\",\"ttl\":3600,\"rdata\":\"\\\\001\\\\255\"}"));
    CHECK(has(&w, "\"soa\":{\"mname\":\"ns1.example.com\",\"rname\":\"hostmaster.example.com\","
                  "\"serial\":2024010101,\"refresh\":7200,\"retry\":900,\"expire\":1209600,"
                  "\"minimum\":86400}"));
    CHECK(has(&w, "\"srv\":{\"priority\":10,\"weight\":60,\"port\":5060,"
                  "\"name\":\"sip.example.com\"}"));
    CHECK(has(&w, "\"sshfp\":{\"fingerprint\":\"19:8c:34:a9:2f:c0:b2:ab:1d:a5:2b:68:8c:2f:19:"
                  "1d:2d:96:0c:09\",\"algo\":1,\"type\":1}"));
    CHECK(has(&w, "\"rrtype\":\"HTTPS\",\"ttl\":300,\"rdata\":\"1 . alpn=h2,h3"));
    CHECK(has(&w, "\"rrtype\":\"65280\",\"ttl\":5,\"rdata\":\"\\\\# 4 deadbeef\"}"));
    CHECK(has(&w, "\"grouped\":{\"A\":[\"192.0.2.1\",\"10.0.0.1\"],\"AAAA\":[\"2001:0db8:"));
    CHECK(has(&w, "\"CNAME\":[\"cdn.example.com\"],\"NS\":[\"ns1.example.com\"],"
                  "\"PTR\":[\"host.example.com\"],\"MX\":[\"mail.example.com\"],"
                  "\"TXT\":[\"hello world\",\"a\\\"b\\\\\\\\c\",\"\\\\001\\\\255\"],\"SOA\":[{"));
    CHECK(has(&w, "\"authorities\":[{\"rrname\":\"example.com\",\"rrtype\":\"SOA\",\"ttl\":899,"
                  "\"soa\":{\"mname\":\"ns-110.awsdns-13.com\""));
    CHECK(has(&w, "\"additionals\":[{\"rrname\":\"\",\"rrtype\":\"OPT\",\"ttl\":32768,"
                  "\"opt\":[{\"code\":10,\"data\":\"0102030405060708\"}]}]"));
    eve_keep(&w);

    /* a response whose OPT has no options logs no additionals; NXDOMAIN; TCP; vlan */
    jw_reset(&w);
    hdr(&b, 7, 0x8183, 1, 0, 0, 1);
    question(&b, "dne.oisf.net", 1, 1);
    u8(&b, 0);
    size_t at = rr_fixed(&b, 41, 512, 0);
    rr_end(&b, at);
    parse(&b, &m);
    f.proto = 6;
    f.vlan_cnt = 1;
    f.vlan[0] = 10;
    eve_dns(&w, &f, &m, &ctx);
    CHECK(has(&w, "\"rcode\":\"NXDOMAIN\""));
    CHECK(has(&w, "\"vlan\":[10]"));
    CHECK(has(&w, "\"proto\":\"TCP\""));
    char *ev = strndup(w.buf, w.len);
    CHECK(ev && !strstr(ev, "additionals"));
    free(ev);
    eve_keep(&w);

    /* a truncated (too long) query name */
    jw_reset(&w);
    char l63[64];
    memset(l63, 'a', 63);
    hdr(&b, 1, 0, 1, 0, 0, 0);
    for (int i = 0; i < 5; i++)
        label(&b, l63, 63);
    u8(&b, 0);
    u16(&b, 1);
    u16(&b, 1);
    parse(&b, &m);
    eve_dns(&w, &f, &m, &qctx);
    CHECK(has(&w, "\"rrname_truncated\":true"));
    eve_keep(&w);

    /* NULL rdata as Suricata writes it (suricata-verify dns-udp-null) */
    jw_reset(&w);
    hdr(&b, 4784, 0x8400, 1, 1, 0, 0);
    question(&b, "vaaaakardli.pirate.sea", 10, 1);
    ptr(&b, 12);
    at = rr_fixed(&b, 10, 1, 0);
    raw(&b, "VACKD\x03\xc5\xe9\x01", 9);
    rr_end(&b, at);
    parse(&b, &m);
    CHECK_STR(an(&m, 0)->rdata, "\\# 9 5641434b4403c5e901");
    eve_dns(&w, &f, &m, &ctx);
    CHECK(has(&w, "\"rdata\":\"VACKD\\u0003\\\\xc5\\\\xe9\\u0001\"}"));
    CHECK(has(&w, "\"grouped\":{\"NULL\":[\"VACKD\\u0003"));
    eve_keep(&w);

    /* alert form: just the dns member */
    jw_reset(&w);
    jw_obj_open(&w, NULL);
    jw_str(&w, "event_type", "alert");
    build_answer(&b, 5, "x.example", 1, 0, (const uint32_t[]){7}, 1);
    parse(&b, &m);
    eve_dns_fields(&w, &m);
    jw_obj_close(&w);
    CHECK(has(&w, "{\"event_type\":\"alert\",\"dns\":{\"version\":3,\"type\":\"response\","
                  "\"id\":5,"));
    jw_fini(&w);

    /* Validate the events against Suricata's schema when python3 + jsonschema are there. */
    const char *corp = getenv("VIGIL_CORPUS");
    char schema[512];
    snprintf(schema, sizeof schema, "%s/schema/suricata-eve-schema.json",
             corp ? corp : "../shared/corpus");
    FILE *sf = fopen(schema, "r");
    if (!sf) {
        snprintf(schema, sizeof schema, "/work/shared/corpus/schema/suricata-eve-schema.json");
        sf = fopen(schema, "r");
    }
    if (!sf || access("/usr/bin/python3", X_OK) != 0) {
        if (sf) fclose(sf);
        printf("test_eve: schema or python3 not found, schema validation skipped\n");
        return;
    }
    fclose(sf);
    char evp[] = "/tmp/test_dns_eve_XXXXXX";
    int fd = mkstemp(evp);
    if (fd < 0) return;
    FILE *ef = fdopen(fd, "w");
    fputs(eve_lines, ef);
    fclose(ef);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '\n"
             "import json, sys\n"
             "try:\n"
             "    import jsonschema\n"
             "except ImportError:\n"
             "    sys.exit(3)\n"
             "s = json.load(open(sys.argv[1]))\n"
             "v = jsonschema.validators.validator_for(s)(s)\n"
             "bad = 0\n"
             "for n, line in enumerate(open(sys.argv[2]), 1):\n"
             "    for e in v.iter_errors(json.loads(line)):\n"
             "        bad += 1\n"
             "        print(\"line\", n, list(e.absolute_path), e.message[:200])\n"
             "sys.exit(1 if bad else 0)\n' '%s' '%s'",
             schema, evp);
    int rc = system(cmd);
    unlink(evp);
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
        printf("test_eve: jsonschema missing, schema validation skipped\n");
        return;
    }
    CHECK(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

int main(void)
{
    RUN(test_header);
    RUN(test_types);
    RUN(test_opt_rules);
    RUN(test_compression);
    RUN(test_truncation);
    RUN(test_arena_limits);
    RUN(test_probe);
    RUN(test_tcp);
    RUN(test_pairing);
    RUN(test_answers_text);
    RUN(test_eve);
    return vg_test_done("dns");
}
