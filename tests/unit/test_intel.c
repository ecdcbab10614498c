/* test_intel.c - unit tests of the intel module: indicator classification and normalisation,
 * CIDR edges and longest-prefix matching (IPv4 and IPv6), domains against subdomains and look-alike
 * suffixes, URLs, fingerprints, duplicates, the three file formats with their file:line errors,
 * the allowlist type mask, allocation failures; RITA's beacon statistics on series with known
 * answers (computed by hand from activecm/rita analysis/beacons.go), the pair table (failed
 * connections, allowlist, name pairs taking their connections out of address pairs, caps); the
 * per-worker glue (one alert per flow and indicator) and the EVE alerts. */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "intel/intel.h"
#include "output/eve_intel.h"
#include "output/json_writer.h"
#include "vg_test.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)
#define CHECK_NEAR(a, b)                                                                           \
    do {                                                                                           \
        double va_ = (a), vb_ = (b);                                                               \
        if (fabs(va_ - vb_) < 1e-6) {                                                              \
            vg_test_passed++;                                                                      \
        } else {                                                                                   \
            vg_test_failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d [%s]: %s == %s (%.9f != %.9f)\n", __FILE__, __LINE__,      \
                    vg_test_current, #a, #b, va_, vb_);                                            \
        }                                                                                          \
    } while (0)

/* ---- helpers ---- */

static struct ioc_set *set_of(const char *const *items, int src_needed)
{
    struct ioc_set *s = ioc_set_new();
    int src = ioc_set_source(s, "t.txt");
    (void)src_needed;
    for (unsigned i = 0; items[i]; i++)
        ioc_set_add(s, IOC_TYPE_GUESS, items[i], strlen(items[i]), src, i + 1, NULL, NULL, 0);
    ioc_set_build(s);
    return s;
}

static struct vg_addr addr(const char *text)
{
    struct vg_addr a;
    memset(&a, 0, sizeof a);
    if (strchr(text, ':')) {
        a.family = 6;
        inet_pton(AF_INET6, text, a.a);
    } else {
        a.family = 4;
        inet_pton(AF_INET, text, a.a);
    }
    return a;
}

static const char *match_addr(const struct ioc_set *s, const char *text)
{
    struct vg_addr a = addr(text);
    uint32_t id = ioc_match_addr(s, &a);
    return id == IOC_NONE ? "-" : ioc_entry_text(s, id);
}

static const char *match_dom(const struct ioc_set *s, const char *name)
{
    uint32_t id = ioc_match_domain(s, name, strlen(name));
    return id == IOC_NONE ? "-" : ioc_entry_text(s, id);
}

/* The normalised text and type of one indicator (guessed), or "ERR". */
static char norm_buf[4200];
static int norm_type;
static const char *norm(const char *text)
{
    struct ioc_set *s = ioc_set_new();
    int src = ioc_set_source(s, "n");
    int t = -1;
    char err[160];
    int rc = ioc_set_add(s, IOC_TYPE_GUESS, text, strlen(text), src, 1, &t, err, sizeof err);
    norm_type = t;
    snprintf(norm_buf, sizeof norm_buf, "%s", rc == VG_OK ? ioc_entry_text(s, 0) : "ERR");
    ioc_set_free(s);
    return norm_buf;
}

/* ---- classification and normalisation ---- */

static void test_classify(void)
{
    CHECK_STR(norm("192.0.2.1"), "192.0.2.1");
    CHECK_EQ_U(norm_type, IOC_IPV4);
    CHECK_STR(norm("10.1.2.3/8"), "10.0.0.0/8"); /* host bits cleared */
    CHECK_STR(norm("10.1.2.3/32"), "10.1.2.3");  /* /32 is a host */
    CHECK_STR(norm("0.0.0.0/0"), "0.0.0.0/0");
    CHECK_STR(norm("10.0.0.0/33"), "ERR");
    CHECK_STR(norm("1.2.3.256"), "ERR");
    CHECK_STR(norm("1.2.3"), "ERR"); /* neither an address nor a domain (numeric TLD) */
    CHECK_STR(norm("2001:DB8:0:0::1"), "2001:db8::1");
    CHECK_EQ_U(norm_type, IOC_IPV6);
    CHECK_STR(norm("2001:db8:abcd:12ff::/48"), "2001:db8:abcd::/48");
    CHECK_STR(norm("::/0"), "::/0");
    CHECK_STR(norm("2001:db8::7/128"), "2001:db8::7");
    CHECK_STR(norm("2001:db8::/129"), "ERR");
    CHECK_STR(norm("2001:db8::zz"), "ERR");
    CHECK_STR(norm("Evil.COM."), "evil.com");
    CHECK_EQ_U(norm_type, IOC_DOMAIN);
    CHECK_STR(norm("*.evil.com"), "evil.com");
    CHECK_STR(norm("xn--bcher-kva.example"), "xn--bcher-kva.example"); /* punycode as is */
    CHECK_STR(norm("b\xc3\xbc"
                   "cher.example"),
              "ERR"); /* raw UTF-8 IDN */
    CHECK_STR(norm("evil..com"), "ERR");
    CHECK_STR(norm("localhost"), "ERR"); /* one label: not guessed as a domain */
    CHECK_STR(norm("evil[.]com"), "evil.com");
    CHECK_STR(norm("hxxps://Evil.com:8443/a/b?c=1#frag"), "evil.com/a/b?c=1");
    CHECK_EQ_U(norm_type, IOC_URL);
    CHECK_STR(norm("http://user@evil.com"), "evil.com/");
    CHECK_STR(norm("evil.com/gate.php"), "evil.com/gate.php");
    CHECK_STR(norm("http://192.0.2.9/x"), "192.0.2.9/x");
    CHECK_STR(norm("E7D705A3286E19EA42F587B344EE6865"), "e7d705a3286e19ea42f587b344ee6865");
    CHECK_EQ_U(norm_type, IOC_JA3);
    CHECK_STR(norm("t13d1516h2_8daaf6152771_e5627efa2ab1"), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    CHECK_EQ_U(norm_type, IOC_JA4);
    CHECK_STR(norm("AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"),
              "aabbccddeeff00112233445566778899aabbccdd");
    CHECK_EQ_U(norm_type, IOC_CERT_SHA1);
    CHECK_STR(norm("0123456789abcdef0123456789abcdef01234567"),
              "0123456789abcdef0123456789abcdef01234567");
    CHECK_EQ_U(norm_type, IOC_CERT_SHA1);
    CHECK_STR(norm(""), "ERR");
    CHECK_STR(norm("a\tb"), "ERR");
    /* explicit types */
    char err[160];
    CHECK(ioc_classify(IOC_DOMAIN, "localhost", 9, err, sizeof err) == IOC_DOMAIN);
    CHECK(ioc_classify(IOC_IPV4, "2001:db8::1", 11, err, sizeof err) == -1);
    CHECK(strstr(err, "IPv4") != NULL);
    CHECK(ioc_classify(IOC_JA3, "abc", 3, err, sizeof err) == -1);
    CHECK(ioc_type_parse("IPv4-Addr", 9) == IOC_IPV4);
    CHECK(ioc_type_parse("domain-name", 11) == IOC_DOMAIN);
    CHECK(ioc_type_parse("", 0) == IOC_TYPE_GUESS);
    CHECK(ioc_type_parse("bogus", 5) == -2);
}

static void test_duplicates(void)
{
    struct ioc_set *s = ioc_set_new();
    int a = ioc_set_source(s, "a.txt"), b = ioc_set_source(s, "b.txt");
    CHECK(ioc_set_add(s, IOC_TYPE_GUESS, "evil.com", 8, a, 3, NULL, NULL, 0) == VG_OK);
    CHECK(ioc_set_add(s, IOC_TYPE_GUESS, "EVIL.com.", 9, b, 9, NULL, NULL, 0) == VG_DECLINED);
    CHECK(ioc_set_add(s, IOC_TYPE_GUESS, "10.0.0.1", 8, a, 4, NULL, NULL, 0) == VG_OK);
    CHECK(ioc_set_add(s, IOC_TYPE_GUESS, "10.0.0.1/32", 11, b, 5, NULL, NULL, 0) == VG_DECLINED);
    CHECK(ioc_set_add(s, IOC_TYPE_GUESS, "10.9.9.9/8", 10, a, 6, NULL, NULL, 0) == VG_OK);
    CHECK(ioc_set_add(s, IOC_TYPE_GUESS, "10.0.0.0/8", 10, b, 7, NULL, NULL, 0) == VG_DECLINED);
    /* the same text as another type is another indicator */
    CHECK(ioc_set_add(s, IOC_URL, "evil.com/", 9, a, 8, NULL, NULL, 0) == VG_OK);
    CHECK_EQ_U(ioc_set_count(s), 4);
    ioc_set_build(s);
    uint32_t id = ioc_match_domain(s, "x.evil.com", 10);
    char src[64];
    CHECK_STR(ioc_entry_source(s, id, src, sizeof src), "a.txt:3"); /* the first source is kept */
    CHECK(ioc_set_add(s, IOC_TYPE_GUESS, "new.com", 7, a, 9, NULL, NULL, 0) == VG_ERR_USAGE);
    ioc_set_free(s);
}

/* ---- addresses ---- */

static void test_cidr_edges(void)
{
    const char *items[] = {"10.0.0.0/8",   "10.1.0.0/16",     "10.1.2.3",
                           "192.0.2.0/31", "255.255.255.255", NULL};
    struct ioc_set *s = set_of(items, 1);
    CHECK_STR(match_addr(s, "9.255.255.255"), "-");
    CHECK_STR(match_addr(s, "10.0.0.0"), "10.0.0.0/8");
    CHECK_STR(match_addr(s, "10.0.255.255"), "10.0.0.0/8");
    CHECK_STR(match_addr(s, "10.1.0.0"), "10.1.0.0/16"); /* longest prefix wins */
    CHECK_STR(match_addr(s, "10.1.2.2"), "10.1.0.0/16");
    CHECK_STR(match_addr(s, "10.1.2.3"), "10.1.2.3");
    CHECK_STR(match_addr(s, "10.1.2.4"), "10.1.0.0/16");
    CHECK_STR(match_addr(s, "10.1.255.255"), "10.1.0.0/16");
    CHECK_STR(match_addr(s, "10.2.0.0"), "10.0.0.0/8"); /* back in the outer prefix */
    CHECK_STR(match_addr(s, "10.255.255.255"), "10.0.0.0/8");
    CHECK_STR(match_addr(s, "11.0.0.0"), "-");
    CHECK_STR(match_addr(s, "192.0.2.1"), "192.0.2.0/31");
    CHECK_STR(match_addr(s, "192.0.2.2"), "-");
    CHECK_STR(match_addr(s, "255.255.255.255"), "255.255.255.255");
    CHECK_STR(match_addr(s, "255.255.255.254"), "-");
    CHECK_STR(match_addr(s, "::1"), "-"); /* no IPv6 entries */
    ioc_set_free(s);

    const char *all[] = {"0.0.0.0/0", "203.0.113.0/24", "255.255.255.255/32", NULL};
    s = set_of(all, 1);
    CHECK_STR(match_addr(s, "0.0.0.0"), "0.0.0.0/0");
    CHECK_STR(match_addr(s, "203.0.113.9"), "203.0.113.0/24");
    CHECK_STR(match_addr(s, "203.0.114.0"), "0.0.0.0/0");
    CHECK_STR(match_addr(s, "255.255.255.254"), "0.0.0.0/0");
    CHECK_STR(match_addr(s, "255.255.255.255"), "255.255.255.255"); /* innermost at the very top */
    CHECK_STR(match_addr(s, "2001:db8::1"), "-");                   /* IPv4 /0 is not IPv6 */
    CHECK_STR(ioc_entry_text(s, ioc_match_addr_text(s, "8.8.8.8", 7)), "0.0.0.0/0");
    CHECK(ioc_match_addr_text(s, "not-an-ip", 9) == IOC_NONE);
    ioc_set_free(s);
}

static void test_ipv6(void)
{
    const char *items[] = {"2001:db8::/32",
                           "2001:db8:bad::/48",
                           "2001:db8:bad::1/128",
                           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "::/0",
                           "192.0.2.7",
                           NULL};
    struct ioc_set *s = set_of(items, 1);
    CHECK_STR(match_addr(s, "2001:db8:1::1"), "2001:db8::/32");
    CHECK_STR(match_addr(s, "2001:db8:bad::2"), "2001:db8:bad::/48");
    CHECK_STR(match_addr(s, "2001:db8:bad::1"), "2001:db8:bad::1");
    CHECK_STR(match_addr(s, "2001:db8:bad:ffff:ffff:ffff:ffff:ffff"), "2001:db8:bad::/48");
    CHECK_STR(match_addr(s, "2001:db8:bae::"), "2001:db8::/32");
    CHECK_STR(match_addr(s, "2001:db9::"), "::/0");
    CHECK_STR(match_addr(s, "::"), "::/0");
    CHECK_STR(match_addr(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    CHECK_STR(match_addr(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), "::/0");
    CHECK_STR(match_addr(s, "192.0.2.7"), "192.0.2.7");
    CHECK_STR(match_addr(s, "192.0.2.8"), "-");
    CHECK_STR(ioc_entry_text(s, ioc_match_addr_text(s, "2001:DB8:BAD::1", 15)), "2001:db8:bad::1");
    ioc_set_free(s);
}

/* Many random prefixes: the range structure agrees with a linear longest-prefix search. */
static void test_lpm_random(void)
{
    enum { N = 3000, Q = 20000 };
    static uint32_t net[N];
    static uint8_t len[N];
    struct ioc_set *s = ioc_set_new();
    int src = ioc_set_source(s, "r");
    uint64_t x = 88172645463325252ull;
    unsigned n = 0;
    for (unsigned i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint8_t l = (uint8_t)(8 + x % 25);
        uint32_t a = (uint32_t)(x >> 32) & 0x0fffffffu; /* dense in 0.0.0.0/4: many nestings */
        a &= l == 32 ? 0xffffffffu : ~(0xffffffffu >> l);
        char t[32];
        snprintf(t, sizeof t, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
                 l);
        if (ioc_set_add(s, IOC_IPV4, t, strlen(t), src, i + 1, NULL, NULL, 0) == VG_OK) {
            net[n] = a;
            len[n] = l;
            n++;
        }
    }
    CHECK(ioc_set_build(s) == VG_OK);
    int bad = 0;
    for (unsigned q = 0; q < Q; q++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t a = (uint32_t)(x >> 32) & 0x0fffffffu;
        if (q % 3 == 0) a = net[x % n] + (uint32_t)(x % 7); /* near the edges */
        int best = -1;
        for (unsigned i = 0; i < n; i++) {
            uint32_t m = len[i] == 32 ? 0xffffffffu : ~(0xffffffffu >> len[i]);
            if ((a & m) == net[i] && (best < 0 || len[i] > len[best])) best = (int)i;
        }
        struct vg_addr va = {
            4, {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a}};
        uint32_t id = ioc_match_addr(s, &va);
        char want[32] = "-";
        if (best >= 0) {
            uint32_t b = net[best];
            if (len[best] == 32)
                snprintf(want, sizeof want, "%u.%u.%u.%u", b >> 24, (b >> 16) & 255, (b >> 8) & 255,
                         b & 255);
            else
                snprintf(want, sizeof want, "%u.%u.%u.%u/%u", b >> 24, (b >> 16) & 255,
                         (b >> 8) & 255, b & 255, len[best]);
        }
        const char *got = id == IOC_NONE ? "-" : ioc_entry_text(s, id);
        if (strcmp(got, want) != 0 && bad++ < 5)
            fprintf(stderr, "  lpm mismatch for %u.%u.%u.%u: got %s want %s\n", a >> 24,
                    (a >> 16) & 255, (a >> 8) & 255, a & 255, got, want);
    }
    CHECK_EQ_U(bad, 0);
    ioc_set_free(s);
}

/* The same for IPv6 prefixes that all share 2001:db8::/32 (the index then keys on the bits after
 * that shared prefix), queried inside and outside it. */
static void test_lpm_random6(void)
{
    enum { N = 1500, Q = 8000 };
    static uint32_t net[N]; /* bits 32..63 of the prefix */
    static uint8_t len[N];  /* 33..64 */
    struct ioc_set *s = ioc_set_new();
    int src = ioc_set_source(s, "r6");
    uint64_t x = 0x2545F4914F6CDD1Dull;
    unsigned n = 0;
    for (unsigned i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint8_t l = (uint8_t)(33 + x % 32);
        uint32_t a = (uint32_t)(x >> 32) & 0x00ffffffu; /* dense: many nestings */
        unsigned hb = l - 32;                           /* bits of `a` that are prefix */
        a &= hb >= 32 ? 0xffffffffu : ~(0xffffffffu >> hb);
        char t[64];
        snprintf(t, sizeof t, "2001:db8:%x:%x::/%u", a >> 16, a & 0xffff, l);
        if (ioc_set_add(s, IOC_IPV6, t, strlen(t), src, i + 1, NULL, NULL, 0) == VG_OK) {
            net[n] = a;
            len[n] = l;
            n++;
        }
    }
    CHECK(ioc_set_build(s) == VG_OK);
    int bad = 0;
    for (unsigned q = 0; q < Q; q++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t a = (uint32_t)(x >> 32) & 0x00ffffffu;
        if (q % 3 == 0) a = net[x % n] + (uint32_t)(x % 5);
        struct vg_addr va;
        memset(&va, 0, sizeof va);
        va.family = 6;
        va.a[0] = 0x20, va.a[1] = 0x01, va.a[2] = 0x0d, va.a[3] = 0xb8;
        if (q % 11 == 0) va.a[3] = (q % 2) ? 0xb9 : 0xb7; /* outside the shared prefix */
        va.a[4] = (uint8_t)(a >> 24), va.a[5] = (uint8_t)(a >> 16);
        va.a[6] = (uint8_t)(a >> 8), va.a[7] = (uint8_t)a;
        va.a[15] = (uint8_t)q;
        int best = -1;
        if (va.a[3] == 0xb8)
            for (unsigned i = 0; i < n; i++) {
                unsigned hb = len[i] - 32;
                uint32_t m = hb >= 32 ? 0xffffffffu : ~(0xffffffffu >> hb);
                if ((a & m) == net[i] && (best < 0 || len[i] > len[best])) best = (int)i;
            }
        uint32_t id = ioc_match_addr(s, &va);
        char want[64] = "-";
        if (best >= 0) {
            char t[64];
            snprintf(t, sizeof t, "2001:db8:%x:%x::/%u", net[best] >> 16, net[best] & 0xffff,
                     len[best]);
            snprintf(want, sizeof want, "%s", norm(t));
        }
        const char *got = id == IOC_NONE ? "-" : ioc_entry_text(s, id);
        if (strcmp(got, want) != 0 && bad++ < 5)
            fprintf(stderr, "  lpm6 mismatch (query %u): got %s want %s\n", q, got, want);
    }
    CHECK_EQ_U(bad, 0);
    ioc_set_free(s);
}

/* ---- names, URLs, fingerprints ---- */

static void test_domains(void)
{
    const char *items[] = {"evil.com", "xn--bcher-kva.example", "co.uk.attacker.net", NULL};
    struct ioc_set *s = set_of(items, 1);
    CHECK_STR(match_dom(s, "evil.com"), "evil.com");
    CHECK_STR(match_dom(s, "EVIL.COM."), "evil.com");
    CHECK_STR(match_dom(s, "a.b.Evil.Com"), "evil.com");
    CHECK_STR(match_dom(s, "notevil.com"), "-"); /* a look-alike suffix is not a subdomain */
    CHECK_STR(match_dom(s, "evil.com.attacker.net"), "-");
    CHECK_STR(match_dom(s, "evil.co"), "-");
    CHECK_STR(match_dom(s, "com"), "-");
    CHECK_STR(match_dom(s, "www.xn--bcher-kva.example"), "xn--bcher-kva.example");
    CHECK_STR(match_dom(s, "co.uk"), "-");
    CHECK_STR(match_dom(s, ""), "-");
    CHECK_STR(match_dom(s, "."), "-");
    ioc_set_free(s);
}

static void test_urls_hashes(void)
{
    const char *items[] = {"http://evil.com/gate.php",
                           "https://evil.com/x?y=1",
                           "e7d705a3286e19ea42f587b344ee6865",
                           "t13d1516h2_8daaf6152771_e5627efa2ab1",
                           "aabbccddeeff00112233445566778899aabbccdd",
                           NULL};
    struct ioc_set *s = set_of(items, 1);
    CHECK(ioc_match_url(s, "evil.com", 8, "/gate.php", 9) != IOC_NONE);
    CHECK(ioc_match_url(s, "EVIL.com", 8, "/gate.php?id=42", 15) != IOC_NONE); /* query cut */
    CHECK(ioc_match_url(s, "evil.com", 8, "http://evil.com/gate.php", 24) != IOC_NONE);
    CHECK(ioc_match_url(s, "evil.com", 8, "/gate.phpx", 10) == IOC_NONE);
    CHECK(ioc_match_url(s, "evil.com", 8, "/x?y=1", 6) != IOC_NONE);
    CHECK(ioc_match_url(s, "evil.com", 8, "/x?y=2", 6) == IOC_NONE);
    CHECK(ioc_match_url(s, "sub.evil.com", 12, "/gate.php", 9) == IOC_NONE); /* hosts are exact */
    CHECK(ioc_match_hash(s, IOC_JA3, "E7D705A3286E19EA42F587B344EE6865", 32) != IOC_NONE);
    CHECK(ioc_match_hash(s, IOC_JA3, "e7d705a3286e19ea42f587b344ee6866", 32) == IOC_NONE);
    CHECK(ioc_match_hash(s, IOC_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", 36) != IOC_NONE);
    const char *fp = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd";
    CHECK(ioc_match_hash(s, IOC_CERT_SHA1, fp, strlen(fp)) != IOC_NONE);
    CHECK(ioc_match_hash(s, IOC_JA3, fp, strlen(fp)) == IOC_NONE); /* types stay apart */
    CHECK(ioc_match_domain(s, "evil.com", 8) == IOC_NONE);         /* a URL is not a domain */
    ioc_set_free(s);
}

/* ---- loading ---- */

struct errs {
    int n, warnings;
    unsigned line[16];
    char msg[16][300];
};

static void on_err(void *ud, const struct ioc_error *e)
{
    struct errs *x = ud;
    if (e->warning) x->warnings++;
    if (x->n < 16) {
        x->line[x->n] = e->line;
        snprintf(x->msg[x->n], sizeof x->msg[0], "%s:%u: %s", e->file, e->line, e->msg);
    }
    x->n++;
}

static void test_load_list(void)
{
    const char *text = "# feed\n"
                       "\n"
                       "evil.com   # the C2\n"
                       "  10.0.0.0/8\r\n"
                       "bad line here\n"
                       "1.2.3.4.5\n"
                       "EVIL.COM\n"
                       "2001:db8::/32\n"
                       "e7d705a3286e19ea42f587b344ee6865"; /* no final newline */
    struct ioc_set *s = ioc_set_new();
    struct errs e = {0};
    struct ioc_load_stats st = {0};
    CHECK(ioc_load_buffer(s, "feed.txt", text, strlen(text), IOC_FMT_AUTO, 0, on_err, &e, &st) ==
          VG_OK);
    CHECK_EQ_U(st.added, 4);
    CHECK_EQ_U(st.duplicates, 1);
    CHECK_EQ_U(st.errors, 2);
    CHECK_EQ_U(st.by_type[IOC_DOMAIN], 1);
    CHECK_EQ_U(st.by_type[IOC_IPV4], 1);
    CHECK_EQ_U(st.by_type[IOC_IPV6], 1);
    CHECK_EQ_U(st.by_type[IOC_JA3], 1);
    CHECK_EQ_U(st.prefixes, 2);
    CHECK_EQ_U(e.n, 2);
    CHECK_EQ_U(e.line[0], 5);
    CHECK(strncmp(e.msg[0], "feed.txt:5:", 11) == 0);
    CHECK_EQ_U(e.line[1], 6);
    ioc_set_build(s);
    char src[64];
    CHECK_STR(ioc_entry_source(s, ioc_match_domain(s, "evil.com", 8), src, sizeof src),
              "feed.txt:3");
    CHECK_STR(ioc_entry_source(s, ioc_match_addr_text(s, "10.9.9.9", 8), src, sizeof src),
              "feed.txt:4");
    ioc_set_free(s);
}

static void test_load_csv(void)
{
    const char *text = "Indicator,Type,Comment\n"
                       "\"evil.org\",domain,\"a, quoted comment\"\n"
                       "198.51.100.0/24,ipv4,lab\n"
                       "localhost,hostname,single label allowed with a type\n"
                       "1.2.3.4,domain,wrong type\n"
                       "5.6.7.8,bogus,unknown type\n"
                       ",ipv4,empty\n"
                       "\"unterminated,ipv4\n"
                       "e7d705a3286e19ea42f587b344ee6865,,guessed\n";
    struct ioc_set *s = ioc_set_new();
    struct errs e = {0};
    struct ioc_load_stats st = {0};
    CHECK(ioc_load_buffer(s, "f.csv", text, strlen(text), IOC_FMT_AUTO, 0, on_err, &e, &st) ==
          VG_OK);
    CHECK_EQ_U(st.added, 4);
    CHECK_EQ_U(st.errors, 4);
    CHECK_EQ_U(e.n, 4);
    CHECK_EQ_U(e.line[0], 5);
    CHECK_EQ_U(e.line[1], 6);
    CHECK(strstr(e.msg[1], "unknown indicator type 'bogus'") != NULL);
    CHECK_EQ_U(e.line[2], 7);
    CHECK_EQ_U(e.line[3], 8);
    ioc_set_build(s);
    CHECK(ioc_match_domain(s, "www.evil.org", 12) != IOC_NONE);
    CHECK(ioc_match_domain(s, "localhost", 9) != IOC_NONE);
    ioc_set_free(s);

    /* no indicator column: the file is unusable */
    s = ioc_set_new();
    memset(&e, 0, sizeof e);
    const char *bad = "value1,type\nx,y\n";
    CHECK(ioc_load_buffer(s, "g.csv", bad, strlen(bad), IOC_FMT_CSV, 0, on_err, &e, NULL) ==
          VG_ERR_FORMAT);
    CHECK_EQ_U(e.line[0], 1);
    ioc_set_free(s);
}

static void test_load_stix(void)
{
    const char *text =
        "{\n"
        "  \"type\": \"bundle\",\n"
        "  \"id\": \"bundle--1\",\n"
        "  \"objects\": [\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--a\", \"pattern_type\": \"stix\",\n"
        "     \"pattern\": \"[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = "
        "'x.example' OR domain-name:value = 'y.example']\"},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--b\",\n"
        "     \"pattern\": \"[x509-certificate:hashes.'SHA-1' = "
        "'AABBCCDDEEFF00112233445566778899AABBCCDD']\"},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--c\", \"pattern\": \"[x-ja3:hash = "
        "'e7d705a3286e19ea42f587b344ee6865']\"},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--d\", \"pattern\": "
        "\"[network-traffic:extensions.'x-tls'.ja4 = 't13d1516h2_8daaf6152771_e5627efa2ab1']\"},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--e\", \"pattern\": \"[url:value = "
        "'http://evil.example/it\\\\'s']\"},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--f\", \"pattern\": \"[ipv4-addr:value = "
        "'1.1.1.1' AND ipv4-addr:value = '2.2.2.2']\"},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--g\", \"pattern\": \"[file:hashes.MD5 = "
        "'e7d705a3286e19ea42f587b344ee6865']\"},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--h\", \"pattern\": \"[ipv4-addr:value = "
        "'3.3.3.3']\", \"revoked\": true},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--i\", \"pattern\": \"rule x {}\", "
        "\"pattern_type\": \"yara\"},\n"
        "    {\"type\": \"indicator\", \"id\": \"indicator--j\", \"pattern\": \"[ipv4-addr:value = "
        "'999.1.1.1']\"},\n"
        "    {\"type\": \"malware\", \"id\": \"malware--k\", \"name\": \"x\"}\n"
        "  ]\n"
        "}\n";
    struct ioc_set *s = ioc_set_new();
    struct errs e = {0};
    struct ioc_load_stats st = {0};
    CHECK(ioc_load_buffer(s, "b.json", text, strlen(text), IOC_FMT_AUTO, 0, on_err, &e, &st) ==
          VG_OK);
    CHECK_EQ_U(st.added, 7);
    CHECK_EQ_U(st.errors, 2);  /* AND, bad address */
    CHECK_EQ_U(st.skipped, 3); /* file hash (reported as a warning), revoked, yara */
    CHECK_EQ_U(e.warnings, 1);
    CHECK_EQ_U(st.lines, 10);
    ioc_set_build(s);
    char src[64];
    uint32_t id = ioc_match_domain(s, "y.example", 9);
    CHECK(id != IOC_NONE);
    CHECK_STR(ioc_entry_source(s, id, src, sizeof src), "b.json:5"); /* the line of its "id" */
    CHECK(ioc_match_addr_text(s, "198.51.100.1", 12) != IOC_NONE);
    CHECK(ioc_match_hash(s, IOC_CERT_SHA1, "aabbccddeeff00112233445566778899aabbccdd", 40) !=
          IOC_NONE);
    CHECK(ioc_match_hash(s, IOC_JA3, "e7d705a3286e19ea42f587b344ee6865", 32) != IOC_NONE);
    CHECK(ioc_match_hash(s, IOC_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", 36) != IOC_NONE);
    CHECK(ioc_match_url(s, "evil.example", 12, "/it's", 5) != IOC_NONE);
    CHECK(ioc_match_addr_text(s, "1.1.1.1", 7) == IOC_NONE);
    CHECK(ioc_match_addr_text(s, "3.3.3.3", 7) == IOC_NONE);
    /* errors name the line of the indicator */
    int found_and = 0;
    for (int i = 0; i < e.n && i < 16; i++)
        if (strstr(e.msg[i], "b.json:12:") && strstr(e.msg[i], "OR")) found_and = 1;
    CHECK(found_and);
    ioc_set_free(s);

    /* not JSON: one error with line and column, nothing loaded */
    s = ioc_set_new();
    memset(&e, 0, sizeof e);
    const char *bad = "{\n  \"type\": \"bundle\",\n  \"objects\": [ {,} ]\n}\n";
    CHECK(ioc_load_buffer(s, "bad.json", bad, strlen(bad), IOC_FMT_AUTO, 0, on_err, &e, NULL) ==
          VG_ERR_FORMAT);
    CHECK_EQ_U(e.n, 1);
    CHECK_EQ_U(e.line[0], 3);
    ioc_set_free(s);
}

static void test_allow_mask(void)
{
    const char *text =
        "10.0.0.0/8\nntp.example.org\ne7d705a3286e19ea42f587b344ee6865\nhttp://x.example/\n";
    struct ioc_set *s = ioc_set_new();
    struct errs e = {0};
    struct ioc_load_stats st = {0};
    unsigned allowed = (1u << IOC_IPV4) | (1u << IOC_IPV6) | (1u << IOC_DOMAIN);
    ioc_load_buffer(s, "allow.txt", text, strlen(text), IOC_FMT_AUTO, allowed, on_err, &e, &st);
    CHECK_EQ_U(st.added, 2);
    CHECK_EQ_U(st.errors, 2);
    CHECK_EQ_U(ioc_set_count(s), 2);
    CHECK(strstr(e.msg[0], "allow.txt:3:") && strstr(e.msg[0], "ja3"));
    ioc_set_free(s);
}

static void test_alloc_failures(void)
{
    const char *text = "evil.com\n10.0.0.0/8\n2001:db8::/32\nhttp://x.example/a\n1.2.3.4\n";
    for (long n = 0; n < 40; n++) {
        vg_alloc_fail_after(n);
        struct ioc_set *s = ioc_set_new();
        if (s) {
            ioc_load_buffer(s, "f", text, strlen(text), IOC_FMT_AUTO, 0, NULL, NULL, NULL);
            ioc_set_build(s);
            ioc_match_domain(s, "a.evil.com", 10);
            ioc_match_addr_text(s, "10.1.1.1", 8);
            ioc_set_free(s);
        }
        vg_alloc_fail_after(-1);
    }
    CHECK(1); /* reaching here without a crash (ASan: without a leak) is the test */
}

/* ---- RITA's statistics ---- */

static void test_rita_stats(void)
{
    /* Bowley: [10,20,30,40,100]: Q1 = 15, Q2 = 30, Q3 = 70 → skew (15+70-60)/55 */
    double v1[] = {10, 20, 30, 40, 100};
    double skew;
    CHECK_NEAR(beacon_bowley_score(v1, 5, &skew), 1 - 25.0 / 55.0);
    CHECK_NEAR(skew, 25.0 / 55.0);
    /* even n: [1..8] → Q1 = 2.5, Q2 = 4.5, Q3 = 6.5; IQR 4 < 10 → skew 0 */
    double v2[] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_NEAR(beacon_bowley_score(v2, 8, &skew), 1.0);
    CHECK_NEAR(skew, 0);
    /* median equal to Q1 → skew 0 */
    double v3[] = {10, 10, 10, 50, 90};
    CHECK_NEAR(beacon_bowley_score(v3, 5, NULL), 1.0);
    /* left skew: [0,80,90,95,100]: Q1 = 40, Q2 = 90, Q3 = 97.5 → (40+97.5-180)/57.5 */
    double v4[] = {0, 80, 90, 95, 100};
    CHECK_NEAR(beacon_bowley_score(v4, 5, &skew), 1 - 42.5 / 57.5);
    CHECK_NEAR(skew, -42.5 / 57.5);

    /* MAD: [1,2,3,4,100]: median 3, deviations [2,1,0,1,97] → MAD 1 → (3-1)/3 */
    double m1[] = {1, 2, 3, 4, 100};
    double mad;
    CHECK_NEAR(beacon_mad_score(m1, 5, 1, &mad), 2.0 / 3.0);
    CHECK_NEAR(mad, 1);
    double m2[] = {60, 60, 60, 60};
    CHECK_NEAR(beacon_mad_score(m2, 4, 1, &mad), 1.0);
    double m3[] = {0, 0, 0.5};
    CHECK_NEAR(beacon_mad_score(m3, 3, 0, NULL), 0.0); /* median < 1: the default */
    CHECK_NEAR(beacon_mad_score(m3, 3, 1, NULL), 1.0);
    double m4[] = {1, 1, 100, 100, 100}; /* MAD 0 around median 100 → 1 */
    CHECK_NEAR(beacon_mad_score(m4, 5, 0, NULL), 1.0);
    double m5[] = {2, 4, 100}; /* median 4, deviations [2,0,96] → MAD 2 → 0.5 */
    CHECK_NEAR(beacon_mad_score(m5, 3, 0, NULL), 0.5);
    /* stat score = round3((bowley + mad) / 2) */
    /* m1: Q1 1.5, Q2 3, Q3 52 → bowley 1 - 47.5/50.5; MAD score 2/3 → 0.363 */
    CHECK_NEAR(beacon_stat_score(m1, 5, 1), 0.363);
    /* v1: bowley 1 - 25/55; median 30, deviations [0,10,10,20,70] → MAD 10 → 2/3 → 0.606 */
    CHECK_NEAR(beacon_stat_score(v1, 5, 1), 0.606);
}

static void test_rita_histogram_duration(void)
{
    struct beacon_config cfg;
    beacon_config_default(&cfg);
    static int64_t ts[2000];
    double score;
    int bars, run;
    /* every 100 s over [0, 2400): 24 bins of 100 s, one connection each: flat, CV 0 */
    for (int i = 0; i < 24; i++)
        ts[i] = i * 100;
    CHECK(beacon_histogram_score(&cfg, 0, 2400, ts, 24, &score, &bars, &run) == VG_OK);
    CHECK_NEAR(score, 1.0);
    CHECK_EQ_U(bars, 24);
    CHECK_EQ_U(run, 24);
    CHECK_NEAR(beacon_duration_score(&cfg, 0, 2400, 0, 2300, bars, run), 1.0);
    /* ten connections in the first bin only: CV > 1 → 0, too few bars for bimodal → 0 */
    for (int i = 0; i < 10; i++)
        ts[i] = i;
    CHECK(beacon_histogram_score(&cfg, 0, 2400, ts, 10, &score, &bars, &run) == VG_OK);
    CHECK_NEAR(score, 0.0);
    CHECK_EQ_U(bars, 1);
    CHECK_NEAR(beacon_duration_score(&cfg, 0, 2400, 0, 9, bars, run), 0.0); /* < 6 bars */
    /* alternating bars of 10 and 20: CV = 5/15 → 0.667; bimodal: 12 + 12 over 24 - 1 → 1 */
    int n = 0;
    for (int b = 0; b < 24; b++)
        for (int k = 0; k < (b % 2 ? 20 : 10); k++)
            ts[n++] = b * 100 + k;
    CHECK(beacon_histogram_score(&cfg, 0, 2400, ts, (size_t)n, &score, &bars, &run) == VG_OK);
    CHECK_NEAR(score, 1.0);
    cfg.hist_bimodal_min_bins = 30; /* bimodal needs more bars than there are: CV alone */
    CHECK(beacon_histogram_score(&cfg, 0, 2400, ts, (size_t)n, &score, &bars, &run) == VG_OK);
    CHECK_NEAR(score, round((1.0 - 5.0 / 15.0) * 1000) / 1000);
    beacon_config_default(&cfg);
    /* the last timestamp equal to the dataset end falls in the last bin */
    ts[0] = 0;
    ts[1] = 2400;
    CHECK(beacon_histogram_score(&cfg, 0, 2400, ts, 2, &score, &bars, &run) == VG_OK);
    CHECK_EQ_U(bars, 2);
    CHECK_EQ_U(run, 2); /* bins 23 and 0 are consecutive when wrapping around */
    /* duration: coverage (500/1000 = 0.5) vs consistency (3/12 = 0.25) */
    CHECK_NEAR(beacon_duration_score(&cfg, 0, 1000, 0, 500, 6, 3), 0.5);
    CHECK_NEAR(beacon_duration_score(&cfg, 0, 1000, 0, 100, 6, 9), 0.75);
    CHECK_NEAR(beacon_duration_score(&cfg, 0, 1000, 0, 1000, 5, 24), 0.0);
    CHECK_NEAR(beacon_duration_score(&cfg, 0, 3, 0, 1, 6, 1), 0.334); /* ceil to 3 decimals */
}

static void test_rita_series(void)
{
    struct beacon_config cfg;
    beacon_config_default(&cfg);
    static int64_t ts[3000];
    static uint32_t by[3000];
    struct beacon_scores s;
    /* a perfect beacon: every 60 s for a day, same size */
    for (int i = 0; i < 1440; i++) {
        ts[i] = (int64_t)i * 60 * 1000000;
        by[i] = 300;
    }
    CHECK(beacon_score_series(&cfg, 0, 86340, ts, by, 1440, &s) == VG_OK);
    CHECK_NEAR(s.score, 1.0);
    CHECK_NEAR(s.interval, 1.0);
    CHECK_NEAR(s.size, 1.0);
    CHECK_NEAR(s.duration, 1.0);
    CHECK_NEAR(s.histogram, 1.0);
    CHECK_NEAR(s.period_s, 60.0);
    CHECK_NEAR(s.jitter_pct, 0.0);
    CHECK_EQ_U(s.bytes_median, 300);
    CHECK_EQ_U(s.connections, 1440);
    /* order does not matter */
    int64_t t2 = ts[5];
    ts[5] = ts[700];
    ts[700] = t2;
    CHECK(beacon_score_series(&cfg, 0, 86340, ts, by, 1440, &s) == VG_OK);
    CHECK_NEAR(s.score, 1.0);

    /* a hand-computed small series over [0, 1000]: starts 0, 100, 150, 300, 310 (s)
     * intervals sorted [10, 50, 100, 150]: Q1 30, Q2 75, Q3 125 → skew (30+125-150)/95 = 5/95;
     * median 75, deviations [65,25,25,75] → MAD 45 → (75-45)/75 = 0.4;
     * interval = round3((1 - 5/95 + 0.4) / 2) = 0.674.
     * bytes [100, 100, 100, 100, 5000]: Q1 100, Q2 100 → skew 0 → 1; MAD 0 → 1; size = 1.
     * histogram: 24 bins of 41.67 s: counts in bins 0, 2, 3, 7, 7 → bars 4, CV of
     * [1,0,1,1,0,0,0,2,0...] = sd/mean with mean 5/24 → > 1 → 0; bimodal needs 11 bars → 0.
     * duration: 4 bars < 6 → 0. score = round3(0.25 * (0.674 + 1 + 0 + 0)) = 0.419 (0.4185). */
    int64_t t5[] = {0, 100000000, 150000000, 300000000, 310000000};
    uint32_t b5[] = {100, 100, 100, 5000, 100};
    CHECK(beacon_score_series(&cfg, 0, 1000, t5, b5, 5, &s) == VG_OK);
    CHECK_NEAR(s.interval, 0.674);
    CHECK_NEAR(s.size, 1.0);
    CHECK_NEAR(s.histogram, 0.0);
    CHECK_NEAR(s.duration, 0.0);
    CHECK_NEAR(s.score, round(0.25 * 1.674 * 1000) / 1000);
    CHECK_NEAR(s.period_s, 75.0);
    CHECK_NEAR(s.jitter_pct, 100.0 * (125.0 - 30.0) / 75.0);
    CHECK_EQ_U(s.bytes_median, 100);
    /* weights: interval only */
    cfg.w_interval = 1;
    cfg.w_size = cfg.w_duration = cfg.w_histogram = 0;
    CHECK(beacon_score_series(&cfg, 0, 1000, t5, b5, 5, &s) == VG_OK);
    CHECK_NEAR(s.score, 0.674);
    char err[128];
    CHECK(beacon_config_check(&cfg, err, sizeof err) == VG_OK);
    cfg.w_size = 0.5;
    CHECK(beacon_config_check(&cfg, err, sizeof err) == VG_ERR_USAGE);
    beacon_config_default(&cfg);

    /* declined: too few connections, too few distinct seconds, too few non-zero intervals */
    CHECK(beacon_score_series(&cfg, 0, 1000, t5, b5, 3, &s) == VG_DECLINED);
    int64_t same[] = {1000000, 1000001, 1000002, 1000003, 1000004};
    CHECK(beacon_score_series(&cfg, 0, 1000, same, b5, 5, &s) == VG_DECLINED);
    int64_t three[] = {0, 0, 10000000, 20000000, 20000000}; /* 3 distinct seconds */
    CHECK(beacon_score_series(&cfg, 0, 1000, three, b5, 5, &s) == VG_DECLINED);
    CHECK(beacon_score_series(&cfg, 5, 5, t5, b5, 5, &s) == VG_DECLINED); /* empty span */

    /* jitter: uniform +-30 % around 100 s gives a jitter near 30 % and scores above 0.8 with
     * flat sizes over a day */
    uint64_t x = 12345;
    int64_t t = 0;
    int n = 0;
    while (t < 86400LL * 1000000 && n < 3000) {
        ts[n] = t;
        by[n] = 400;
        n++;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double u = (double)(x % 1000000) / 1000000.0;
        t += (int64_t)(100e6 * (0.7 + 0.6 * u));
    }
    CHECK(beacon_score_series(&cfg, 0, 86400, ts, by, (size_t)n, &s) == VG_OK);
    CHECK(s.jitter_pct > 25 && s.jitter_pct < 35);
    CHECK(s.period_s > 95 && s.period_s < 105);
    CHECK(s.score >= 0.8);
    /* uniform +-30 %: MAD 15 % of the median → 0.85, Bowley skew ~0 → 1: interval ~0.925 */
    CHECK(s.interval > 0.9 && s.interval < 0.95);
}

/* ---- the pair table ---- */

static struct flow mkflow(const char *c, const char *sv, uint8_t proto, int64_t start_s, bool ok,
                          uint64_t bytes)
{
    static uint64_t fid = 1000;
    struct flow f;
    memset(&f, 0, sizeof f);
    f.src = addr(c);
    f.dst = addr(sv);
    f.sport = 40000;
    f.dport = 443;
    f.proto = proto;
    f.start.sec = start_s;
    f.last.sec = start_s + 1;
    f.flow_id = fid++;
    f.pkts[0] = 3;
    f.pkts[1] = ok ? 3 : 0;
    f.bytes[0] = bytes;
    if (proto == 6) {
        f.tcp_flags[0] = VG_TCP_SYN | VG_TCP_ACK;
        f.tcp_flags[1] = ok ? (VG_TCP_SYN | VG_TCP_ACK) : 0;
    }
    return f;
}

struct got_beacons {
    int n;
    struct beacon_finding b[8];
    char names[8][64];
};

static void on_b(void *ud, const struct beacon_finding *b)
{
    struct got_beacons *g = ud;
    if (g->n < 8) {
        g->b[g->n] = *b;
        snprintf(g->names[g->n], sizeof g->names[0], "%s", b->server_name ? b->server_name : "");
    }
    g->n++;
}

static void test_pair_table(void)
{
    struct beacon_config cfg;
    beacon_config_default(&cfg);
    const char *allow_items[] = {"192.0.2.123", "allowed.example", NULL};
    struct ioc_set *allow = set_of(allow_items, 1);
    struct beacon_table *t = beacon_table_new(&cfg, allow);
    struct vg_ts t0 = {0, 0};
    beacon_table_time(t, t0);
    for (int i = 0; i < 200; i++) {
        /* a 60 s TCP beacon */
        struct flow f = mkflow("10.0.0.1", "203.0.113.1", 6, i * 60, true, 300);
        beacon_table_add(t, &f, IOC_NONE);
        /* the same rhythm but failed (no SYN+ACK): never scored */
        f = mkflow("10.0.0.2", "203.0.113.2", 6, i * 60, false, 300);
        beacon_table_add(t, &f, IOC_NONE);
        /* UDP without replies: excluded */
        f = mkflow("10.0.0.3", "203.0.113.3", 17, i * 60, false, 300);
        beacon_table_add(t, &f, IOC_NONE);
        /* an allowlisted server */
        f = mkflow("10.0.0.4", "192.0.2.123", 17, i * 60, true, 90);
        beacon_table_add(t, &f, IOC_NONE);
        /* a name beacon over rotating addresses: the name pair scores, the address pairs lose
         * these connections */
        const char *rot[] = {"198.51.100.1", "198.51.100.2", "198.51.100.3"};
        f = mkflow("10.0.0.5", rot[i % 3], 6, i * 60 + 7, true, 500);
        uint32_t ref = beacon_name_ref(t, &f.src, "C2.Example.", 11);
        beacon_table_add(t, &f, ref);
        /* an allowlisted name: no name pair */
        CHECK(beacon_name_ref(t, &f.src, "cdn.allowed.example", 19) == IOC_NONE);
        CHECK(beacon_name_ref(t, &f.src, "10.0.0.9", 8) == IOC_NONE); /* an address as a name */
    }
    struct got_beacons g = {0};
    unsigned n = beacon_table_score(t, on_b, &g);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(g.n, 2);
    const struct beacon_counters *c = beacon_counters(t);
    CHECK_EQ_U(c->failed, 400);
    CHECK_EQ_U(c->allowlisted, 200 + 200);
    CHECK_EQ_U(c->connections, 400);
    CHECK_EQ_U(c->findings, 2);
    bool addr_found = false, name_found = false;
    for (int i = 0; i < 2; i++) {
        char a[VG_ADDR_STRLEN];
        if (!g.b[i].by_name && strcmp(vg_addr_str(&g.b[i].client, a), "10.0.0.1") == 0) {
            addr_found = true;
            CHECK_EQ_U(g.b[i].s.connections, 200);
            CHECK_NEAR(g.b[i].s.period_s, 60);
        }
        if (g.b[i].by_name) {
            name_found = true;
            CHECK_STR(g.names[i], "c2.example");
            CHECK_EQ_U(g.b[i].s.connections, 200);
            CHECK_EQ_U(g.b[i].first_seen.sec, 7);
            CHECK_EQ_U(g.b[i].last_seen.sec, 199 * 60 + 7);
        }
    }
    CHECK(addr_found && name_found);
    CHECK_EQ_U(beacon_table_score(t, on_b, &g), 0); /* once */
    beacon_table_free(t);

    /* caps: 5 connections per pair, 2 pairs */
    cfg.max_per_pair = 5;
    cfg.max_pairs = 2;
    t = beacon_table_new(&cfg, NULL);
    for (int i = 0; i < 10; i++) {
        struct flow f = mkflow("10.0.0.1", "203.0.113.1", 6, i * 60, true, 300);
        beacon_table_add(t, &f, IOC_NONE);
        f = mkflow("10.0.0.1", "203.0.113.2", 6, i * 60, true, 300);
        beacon_table_add(t, &f, IOC_NONE);
        f = mkflow("10.0.0.1", "203.0.113.3", 6, i * 60, true, 300);
        beacon_table_add(t, &f, IOC_NONE);
    }
    c = beacon_counters(t);
    CHECK_EQ_U(c->pairs, 2);
    CHECK_EQ_U(c->pairs_dropped, 10);
    CHECK_EQ_U(c->capped_per_pair, 10);
    beacon_table_free(t);
    ioc_set_free(allow);
}

/* ---- the worker glue and the EVE alerts ---- */

struct got_hits {
    int n;
    char on[16][32];
    char ind[16][64];
    char json[4096];
};

static void on_hit(void *ud, struct flow *f, const struct intel_hit *h)
{
    struct got_hits *g = ud;
    if (g->n < 16) {
        snprintf(g->on[g->n], sizeof g->on[0], "%s", h->matched_on);
        snprintf(g->ind[g->n], sizeof g->ind[0], "%s", h->indicator);
    }
    g->n++;
    struct jw w;
    jw_init(&w);
    eve_intel_ioc_alert(&w, f, h);
    if (w.len < sizeof g->json) {
        memcpy(g->json, w.buf, w.len);
        g->json[w.len] = '\0';
    }
    jw_fini(&w);
}

static void test_worker(void)
{
    struct intel_ctx *ctx = intel_ctx_new();
    const char *text = "203.0.113.0/24\n10.0.0.1\nevil.example\nhttp://evil.example/gate\n";
    ctx->iocs = ioc_set_new();
    ioc_load_buffer(ctx->iocs, "f.txt", text, strlen(text), IOC_FMT_AUTO, 0, NULL, NULL, NULL);
    intel_ctx_build(ctx);
    ctx->beacon_enabled = false;
    struct got_hits g = {0};
    struct intel_hooks hk = {on_hit, NULL, &g};
    struct intel_worker *w = intel_worker_new(ctx, &hk);
    CHECK(w != NULL);
    struct flow f = mkflow("10.0.0.1", "203.0.113.7", 6, 100, true, 10);
    struct packet p;
    memset(&p, 0, sizeof p);
    p.pcap_cnt = 5;
    p.ts.sec = 100;
    intel_flow_new(w, &f, &p);
    CHECK_EQ_U(g.n, 2);
    CHECK_STR(g.on[0], "src_ip");
    CHECK_STR(g.ind[0], "10.0.0.1");
    CHECK_STR(g.on[1], "dest_ip");
    CHECK_STR(g.ind[1], "203.0.113.0/24");
    CHECK(strstr(g.json, "\"ioc\":{\"indicator\":\"203.0.113.0/24\",\"type\":\"ipv4\",\"source\":"
                         "\"f.txt:1\",\"matched_on\":\"dest_ip\"}") != NULL);
    CHECK(strstr(g.json, "\"signature_id\":8810000") != NULL);
    CHECK(strstr(g.json, "\"category\":\"Indicator match\"") != NULL);
    CHECK(strstr(g.json, "\"pcap_cnt\":5") != NULL);
    /* an HTTP transaction: host and URL; repeated, nothing new */
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.hostname = (struct http_str){"evil.example", 12};
    tx.uri = (struct http_str){"/gate?x=1", 9};
    intel_http(w, &f, &p, &tx);
    CHECK_EQ_U(g.n, 4);
    CHECK_STR(g.on[2], "http.host");
    CHECK_STR(g.on[3], "http.url");
    intel_http(w, &f, &p, &tx);
    intel_flow_new(w, &f, &p);
    CHECK_EQ_U(g.n, 4); /* one alert per (flow, indicator) */
    /* the flow ends; a new flow in the same slot alerts again */
    intel_flow_end(w, &f);
    f.flow_id++;
    intel_flow_new(w, &f, &p);
    CHECK_EQ_U(g.n, 6);
    /* DNS: question, answer names, CNAME targets, A records */
    struct dns_msg m;
    memset(&m, 0, sizeof m);
    m.nq = 1;
    m.q[0].name = "a.Evil.Example";
    struct dns_rr rr[2];
    memset(rr, 0, sizeof rr);
    rr[0].name = "a.Evil.Example";
    rr[0].type = DNS_TYPE_CNAME;
    rr[0].u.target = "cdn.other.example";
    rr[1].name = "cdn.other.example";
    rr[1].type = DNS_TYPE_A;
    uint8_t a4[4] = {203, 0, 113, 200};
    memcpy(rr[1].u.addr, a4, 4);
    m.rr[DNS_SEC_ANSWER] = rr;
    m.nrr[DNS_SEC_ANSWER] = 2;
    struct flow d = mkflow("10.9.9.9", "10.9.9.53", 17, 100, true, 10);
    intel_dns(w, &d, &p, FLOW_TOCLIENT, &m);
    CHECK_EQ_U(g.n, 8);
    CHECK_STR(g.on[6], "dns.query");
    CHECK_STR(g.on[7], "dns.answer");
    CHECK_STR(g.ind[7], "203.0.113.0/24");
    CHECK(strstr(g.json, "\"direction\":\"to_client\"") != NULL);
    CHECK(strstr(g.json, "\"src_ip\":\"10.9.9.53\"") != NULL); /* oriented by the packet */
    CHECK_EQ_U(intel_counters(w)->alerts, 8);
    intel_flow_end(w, &d);
    intel_flow_end(w, &f);
    intel_finish(w);
    intel_worker_free(w);
    intel_ctx_free(ctx);
}

static void test_tls(void)
{
    struct intel_ctx *ctx = intel_ctx_new();
    const char *text = "sni.example\ncert-cn.example\nsan.example\n"
                       "e7d705a3286e19ea42f587b344ee6865\nt13d1516h2_8daaf6152771_e5627efa2ab1\n"
                       "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD\n";
    ctx->iocs = ioc_set_new();
    ioc_load_buffer(ctx->iocs, "tls.txt", text, strlen(text), IOC_FMT_AUTO, 0, NULL, NULL, NULL);
    intel_ctx_build(ctx);
    struct got_hits g = {0};
    struct intel_hooks hk = {on_hit, NULL, &g};
    struct intel_worker *w = intel_worker_new(ctx, &hk);
    static struct tls_session s;
    static struct tls_cert c;
    memset(&s, 0, sizeof s);
    memset(&c, 0, sizeof c);
    s.flags = TLS_SF_CLIENT_HELLO;
    snprintf(s.ch.sni, sizeof s.ch.sni, "www.SNI.example");
    s.ch.sni_len = (uint16_t)strlen(s.ch.sni);
    snprintf(s.ch.ja3_hash, sizeof s.ch.ja3_hash, "e7d705a3286e19ea42f587b344ee6865");
    snprintf(s.ch.ja4, sizeof s.ch.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    snprintf(c.subject, sizeof c.subject, "C=US, O=Evil Inc, CN=*.cert-cn.example");
    snprintf(c.fingerprint, sizeof c.fingerprint,
             "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd");
    const char *san = "alt.san.example";
    memcpy(c.san, san, strlen(san) + 1);
    c.n_san = 1;
    c.san_off[0] = 0;
    c.san_len[0] = (uint16_t)strlen(san);
    s.server_cert = &c;
    struct flow f = mkflow("10.0.0.1", "198.51.100.9", 6, 100, true, 10);
    intel_tls(w, &f, NULL, &s);
    CHECK_EQ_U(g.n, 6);
    CHECK_STR(g.on[0], "tls.sni");
    CHECK_STR(g.ind[0], "sni.example");
    CHECK_STR(g.on[1], "tls.ja3");
    CHECK_STR(g.on[2], "tls.ja4");
    CHECK_STR(g.on[3], "tls.fingerprint");
    CHECK_STR(g.ind[3], "aabbccddeeff00112233445566778899aabbccdd");
    CHECK_STR(g.on[4], "tls.certificate");
    CHECK_STR(g.ind[4], "cert-cn.example");
    CHECK_STR(g.on[5], "tls.certificate");
    CHECK_STR(g.ind[5], "san.example");
    intel_tls(w, &f, NULL, &s); /* the session again (a later event): nothing new */
    CHECK_EQ_U(g.n, 6);
    intel_flow_end(w, &f);
    intel_worker_free(w);
    intel_ctx_free(ctx);
}

static void test_beacon_eve(void)
{
    struct beacon_finding b;
    memset(&b, 0, sizeof b);
    b.client = addr("10.0.0.1");
    b.server = addr("203.0.113.1");
    b.proto = 6;
    b.dport = 443;
    b.flow_id = 77;
    b.first_seen.sec = 1700000000;
    b.last_seen.sec = 1700086400;
    b.s.score = 0.93;
    b.s.interval = 0.97;
    b.s.size = 0.95;
    b.s.duration = 0.9;
    b.s.histogram = 0.9;
    b.s.connections = 180;
    b.s.period_s = 60.1;
    b.s.jitter_pct = 4.8;
    b.s.bytes_median = 312;
    struct jw w;
    static char out[4096];
    jw_init(&w);
    eve_intel_beacon_alert(&w, &b);
    snprintf(out, sizeof out, "%.*s", (int)w.len, w.buf);
    CHECK(strstr(out, "\"beacon\":{\"score\":0.930,\"scores\":{\"interval\":0.970,\"size\":0.950,"
                      "\"duration\":0.900,\"histogram\":0.900},\"connections\":180,\"period_s\":"
                      "60.100,\"jitter_pct\":4.8,\"bytes_median\":312,\"first_seen\":\"2023-11-14T"
                      "22:13:20.000000+0000\",\"last_seen\":\"2023-11-15T22:13:20.000000+0000\","
                      "\"server_name\":null}") != NULL);
    CHECK(strstr(out, "\"signature_id\":8810100") != NULL);
    CHECK(strstr(out, "\"category\":\"Command and control\"") != NULL);
    jw_reset(&w);
    b.by_name = true;
    b.server_name = "c2.example";
    eve_intel_beacon_alert(&w, &b);
    snprintf(out, sizeof out, "%.*s", (int)w.len, w.buf);
    CHECK(strstr(out, "\"server_name\":\"c2.example\"}") != NULL);
    CHECK(strstr(out, "\"signature_id\":8810101") != NULL);
    jw_fini(&w);
}

int main(void)
{
    RUN(test_classify);
    RUN(test_duplicates);
    RUN(test_cidr_edges);
    RUN(test_ipv6);
    RUN(test_lpm_random);
    RUN(test_lpm_random6);
    RUN(test_domains);
    RUN(test_urls_hashes);
    RUN(test_load_list);
    RUN(test_load_csv);
    RUN(test_load_stix);
    RUN(test_allow_mask);
    RUN(test_alloc_failures);
    RUN(test_rita_stats);
    RUN(test_rita_histogram_duration);
    RUN(test_rita_series);
    RUN(test_pair_table);
    RUN(test_worker);
    RUN(test_tls);
    RUN(test_beacon_eve);
    return vg_test_done("intel");
}
