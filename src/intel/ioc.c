/* ioc.c - the indicator set: classification and normalisation of one indicator, de-duplication,
 * and matching.
 *
 * Storage (sized for millions of entries, no allocation when matching):
 *   - entries: one 16-byte record each (type, prefix length, source index and line, offset and
 *     length of the normalised text in one text arena);
 *   - one open-addressing hash table (linear probing, load <= 1/2) over (type, normalised text):
 *     de-duplication while loading, and the lookup of domains, URLs and fingerprints;
 *   - addresses: after ioc_set_build, every IPv4 (IPv6) prefix becomes part of a sorted list of
 *     disjoint ranges, each labelled with the longest prefix that covers it (a sweep over the
 *     prefixes sorted by start, nested ones on a stack). A lookup is a binary search for the last
 *     range starting at or before the address, within the slice that a 2^16-entry first-level index
 *     (by the address's top 16 bits) gives; so the longest prefix wins in O(log n) with no trie
 *     nodes (a binary trie would need up to 32 nodes per /32, hundreds of MB for a million).
 * References: RFC 4632 (CIDR), RFC 4291 (IPv6 prefixes), RFC 5952 (IPv6 text), RFC 1035 / RFC
 * 1123 (host names), RFC 3492 (punycode: compared as written), RFC 3986 (URIs).
 */
#include "intel/intel.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

#define IOC_TEXT_MAX 2048 /* longest indicator accepted (URLs) */
#define IOC_SOURCES_MAX 65535

typedef unsigned __int128 u128;

struct ioc_entry {
    uint32_t text_off; /* into s->text; the text is NUL-terminated */
    uint16_t text_len;
    uint16_t src; /* index into s->src */
    uint32_t line;
    uint8_t type; /* enum ioc_type */
    uint8_t plen; /* IPv4/IPv6: prefix length */
};

struct ioc_set {
    struct ioc_entry *e;
    size_t n, cap;
    char *text;
    size_t text_len, text_cap;
    char **src;
    size_t n_src;
    uint64_t *slots; /* (hash high 32 bits << 32) | (entry id + 1); 0 = empty */
    size_t n_slots;  /* power of two */
    size_t by_type[IOC_TYPE_COUNT];
    bool built;
    /* address ranges (ioc_set_build) */
    uint32_t *v4_lo, *v4_hi, *v4_id;
    size_t n_v4;
    u128 *v6_lo, *v6_hi;
    uint32_t *v6_id;
    size_t n_v6;
    uint32_t *v4_idx, *v6_idx; /* 65537 entries: first range whose key bits are >= k */
    /* IPv6 key bits: the 16 bits after the prefix that every range start shares (v6_cp bits,
     * value v6_pfx), so that lists inside 2001:db8::/32 still spread over the index */
    unsigned v6_cp, v6_shift;
    u128 v6_pfx;
};

/* ---- names ---- */

static const char *const type_names[IOC_TYPE_COUNT] = {"ipv4", "ipv6", "domain",   "url",
                                                       "ja3",  "ja4",  "cert_sha1"};

const char *ioc_type_name(int type)
{
    return type >= 0 && type < IOC_TYPE_COUNT ? type_names[type] : "unknown";
}

static bool eq_nocase(const char *a, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m) return false;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return false;
    }
    return true;
}

int ioc_type_parse(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int type;
    } map[] = {
        {"", IOC_TYPE_GUESS},
        {"auto", IOC_TYPE_GUESS},
        {"ip", IOC_TYPE_GUESS},
        {"cidr", IOC_TYPE_GUESS},
        {"ip-dst", IOC_TYPE_GUESS},
        {"ip-src", IOC_TYPE_GUESS},
        {"ipv4", IOC_IPV4},
        {"ipv4-addr", IOC_IPV4},
        {"ipv6", IOC_IPV6},
        {"ipv6-addr", IOC_IPV6},
        {"domain", IOC_DOMAIN},
        {"domain-name", IOC_DOMAIN},
        {"hostname", IOC_DOMAIN},
        {"fqdn", IOC_DOMAIN},
        {"url", IOC_URL},
        {"uri", IOC_URL},
        {"link", IOC_URL},
        {"ja3", IOC_JA3},
        {"ja3-fingerprint-md5", IOC_JA3},
        {"ja3_hash", IOC_JA3},
        {"ja4", IOC_JA4},
        {"ja4-fingerprint", IOC_JA4},
        {"cert_sha1", IOC_CERT_SHA1},
        {"cert-sha1", IOC_CERT_SHA1},
        {"sha1", IOC_CERT_SHA1},
        {"x509-fingerprint-sha1", IOC_CERT_SHA1},
        {"certificate_sha1", IOC_CERT_SHA1},
    };
    while (n && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (eq_nocase(s, n, map[i].name)) return map[i].type;
    return -2;
}

/* ---- set lifetime ---- */

struct ioc_set *ioc_set_new(void)
{
    struct ioc_set *s = vg_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_slots = 1024;
    s->slots = vg_calloc(s->n_slots, sizeof *s->slots);
    if (!s->slots) {
        vg_free(s);
        return NULL;
    }
    return s;
}

static void free_ranges(struct ioc_set *s)
{
    vg_free(s->v4_lo);
    vg_free(s->v4_hi);
    vg_free(s->v4_id);
    vg_free(s->v6_lo);
    vg_free(s->v6_hi);
    vg_free(s->v6_id);
    vg_free(s->v4_idx);
    vg_free(s->v6_idx);
    s->v4_lo = s->v4_hi = s->v4_id = s->v6_id = s->v4_idx = s->v6_idx = NULL;
    s->v6_lo = s->v6_hi = NULL;
    s->n_v4 = s->n_v6 = 0;
}

void ioc_set_free(struct ioc_set *s)
{
    if (!s) return;
    free_ranges(s);
    for (size_t i = 0; i < s->n_src; i++)
        vg_free(s->src[i]);
    vg_free(s->src);
    vg_free(s->e);
    vg_free(s->text);
    vg_free(s->slots);
    vg_free(s);
}

int ioc_set_source(struct ioc_set *s, const char *name)
{
    if (!s || s->n_src >= IOC_SOURCES_MAX) return -1;
    char **n = vg_realloc(s->src, (s->n_src + 1) * sizeof *n);
    if (!n) return -1;
    s->src = n;
    s->src[s->n_src] = vg_strdup(name ? name : "-");
    if (!s->src[s->n_src]) return -1;
    return (int)s->n_src++;
}

size_t ioc_set_count(const struct ioc_set *s)
{
    return s ? s->n : 0;
}

size_t ioc_set_count_type(const struct ioc_set *s, int type)
{
    return s && type >= 0 && type < IOC_TYPE_COUNT ? s->by_type[type] : 0;
}

size_t ioc_set_memory(const struct ioc_set *s)
{
    if (!s) return 0;
    return sizeof *s + s->cap * sizeof *s->e + s->text_cap + s->n_slots * sizeof *s->slots +
           s->n_v4 * 12 + s->n_v6 * (2 * sizeof(u128) + 4) + (s->v4_idx ? 65537 * 4 : 0) +
           (s->v6_idx ? 65537 * 4 : 0);
}

const char *ioc_entry_text(const struct ioc_set *s, uint32_t id)
{
    return s && id < s->n ? s->text + s->e[id].text_off : "";
}

int ioc_entry_type(const struct ioc_set *s, uint32_t id)
{
    return s && id < s->n ? s->e[id].type : -1;
}

const char *ioc_entry_source(const struct ioc_set *s, uint32_t id, char *buf, size_t cap)
{
    if (!cap) return buf;
    if (!s || id >= s->n) {
        buf[0] = '\0';
        return buf;
    }
    const struct ioc_entry *e = &s->e[id];
    snprintf(buf, cap, "%s:%u", e->src < s->n_src ? s->src[e->src] : "-", e->line);
    return buf;
}

/* ---- hash table ---- */

static inline uint64_t key_hash(int type, const char *t, size_t n)
{
    return XXH3_64bits_withSeed(t, n, (uint64_t)type * 0x9E3779B97F4A7C15ull + 1);
}

/* The slot holding (type, t) or the empty slot where it would go. */
static size_t find_slot(const struct ioc_set *s, int type, const char *t, size_t n, uint64_t h)
{
    size_t mask = s->n_slots - 1, i = (size_t)h & mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (;;) {
        uint64_t v = s->slots[i];
        if (!v) return i;
        if ((uint32_t)(v >> 32) == tag) {
            const struct ioc_entry *e = &s->e[(uint32_t)v - 1];
            if (e->type == type && e->text_len == n && memcmp(s->text + e->text_off, t, n) == 0)
                return i;
        }
        i = (i + 1) & mask;
    }
}

static uint32_t lookup(const struct ioc_set *s, int type, const char *t, size_t n)
{
    if (!s || !s->by_type[type]) return IOC_NONE;
    uint64_t h = key_hash(type, t, n);
    uint64_t v = s->slots[find_slot(s, type, t, n, h)];
    return v ? (uint32_t)v - 1 : IOC_NONE;
}

static int grow_slots(struct ioc_set *s)
{
    size_t ns = s->n_slots * 2;
    uint64_t *nt = vg_calloc(ns, sizeof *nt);
    if (!nt) return VG_ERR_NOMEM;
    for (size_t i = 0; i < s->n_slots; i++) {
        uint64_t v = s->slots[i];
        if (!v) continue;
        const struct ioc_entry *e = &s->e[(uint32_t)v - 1];
        uint64_t h = key_hash(e->type, s->text + e->text_off, e->text_len);
        size_t j = (size_t)h & (ns - 1);
        while (nt[j])
            j = (j + 1) & (ns - 1);
        nt[j] = v;
    }
    vg_free(s->slots);
    s->slots = nt;
    s->n_slots = ns;
    return VG_OK;
}

/* ---- classification and normalisation ---- */

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}
static inline bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static inline bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

/* Refangs defanged indicators: "hxxp" → "http" at the start, "[.]" "(.)" "{.}" → ".",
 * "[:]" → ":", "[://]" → "://". Returns the new length (out holds cap bytes). */
static size_t refang(const char *in, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    if (n >= 4 && (in[0] == 'h' || in[0] == 'H') && (in[1] == 'x' || in[1] == 'X') &&
        (in[2] == 'x' || in[2] == 'X') && (in[3] == 'p' || in[3] == 'P')) {
        memcpy(out, "http", 4);
        o = 4;
        i = 4;
    }
    while (i < n && o + 3 < cap) {
        if (i + 2 < n && in[i + 1] == '.' &&
            ((in[i] == '[' && in[i + 2] == ']') || (in[i] == '(' && in[i + 2] == ')') ||
             (in[i] == '{' && in[i + 2] == '}'))) {
            out[o++] = '.';
            i += 3;
        } else if (i + 2 < n && in[i] == '[' && in[i + 1] == ':' && in[i + 2] == ']') {
            out[o++] = ':';
            i += 3;
        } else if (i + 4 < n && memcmp(in + i, "[://]", 5) == 0) {
            memcpy(out + o, "://", 3);
            o += 3;
            i += 5;
        } else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
    return o;
}

/* An address or CIDR: 1 parsed (family, bytes masked, plen), 0 not address-shaped, -1 address-
 * shaped but invalid (err set). */
static int parse_ip(const char *t, size_t n, int *family, uint8_t a[16], unsigned *plen, char *err,
                    size_t errlen)
{
    char buf[64];
    const char *slash = memchr(t, '/', n);
    size_t alen = slash ? (size_t)(slash - t) : n;
    if (alen == 0 || alen >= sizeof buf) return 0;
    bool colon = memchr(t, ':', alen) != NULL;
    for (size_t i = 0; i < alen; i++) {
        char c = t[i];
        if (!(is_hex(c) || c == '.' || c == ':')) return 0;
        if (!colon && !(is_digit(c) || c == '.')) return 0;
    }
    memcpy(buf, t, alen);
    buf[alen] = '\0';
    memset(a, 0, 16);
    if (colon) {
        if (inet_pton(AF_INET6, buf, a) != 1) {
            set_err(err, errlen, "not a valid IPv6 address");
            return -1;
        }
        *family = 6;
    } else {
        /* dotted quads only: four decimal parts 0..255 (inet_pton rejects "1.2.3" and octal) */
        unsigned dots = 0;
        for (size_t i = 0; i < alen; i++)
            dots += buf[i] == '.';
        if (dots != 3) return 0; /* "1.2.3" or "10.1" could be a malformed domain too */
        if (inet_pton(AF_INET, buf, a) != 1) {
            set_err(err, errlen, "not a valid IPv4 address");
            return -1;
        }
        *family = 4;
    }
    unsigned maxp = *family == 4 ? 32 : 128;
    *plen = maxp;
    if (slash) {
        const char *p = slash + 1;
        size_t pn = n - alen - 1;
        if (pn == 0 || pn > 3) {
            set_err(err, errlen, "bad CIDR prefix length");
            return -1;
        }
        unsigned v = 0;
        for (size_t i = 0; i < pn; i++) {
            if (!is_digit(p[i])) {
                set_err(err, errlen, "bad CIDR prefix length");
                return -1;
            }
            v = v * 10 + (unsigned)(p[i] - '0');
        }
        if (v > maxp) {
            snprintf(err, errlen, "CIDR prefix length %u is longer than %u", v, maxp);
            return -1;
        }
        *plen = v;
        /* clear the host bits (RFC 4632 writes the network address) */
        unsigned bytes = maxp / 8;
        for (unsigned i = 0; i < bytes; i++) {
            unsigned lo = i * 8;
            if (lo >= v)
                a[i] = 0;
            else if (lo + 8 > v)
                a[i] &= (uint8_t)(0xff00u >> (v - lo));
        }
    }
    return 1;
}

/* A host name: lowercased into out (cap >= 256), without a trailing dot or a leading "*." / ".".
 * need_dot: at least two labels (when guessing). Returns the length, 0 when the text is not
 * name-shaped (err set when it is a near miss worth explaining), -1 malformed (err set). */
static int norm_domain(const char *t, size_t n, char *out, bool need_dot, char *err, size_t errlen)
{
    if (n >= 2 && t[0] == '*' && t[1] == '.') t += 2, n -= 2;
    while (n && t[0] == '.')
        t++, n--;
    if (n && t[n - 1] == '.') n--;
    if (n == 0) {
        set_err(err, errlen, "empty domain name");
        return -1;
    }
    if (n > 253) {
        set_err(err, errlen, "domain name longer than 253 characters");
        return -1;
    }
    size_t label = 0, labels = 1, last_start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c >= 0x80) {
            set_err(err, errlen, "non-ASCII domain name: write IDNs in punycode (xn--...)");
            return -1;
        }
        if (c == '.') {
            if (label == 0) {
                set_err(err, errlen, "empty label in domain name");
                return -1;
            }
            label = 0;
            labels++;
            last_start = i + 1;
            out[i] = '.';
            continue;
        }
        if (!(is_alnum((char)c) || c == '-' || c == '_')) return 0;
        if (++label > 63) {
            set_err(err, errlen, "domain label longer than 63 characters");
            return -1;
        }
        out[i] = lower((char)c);
    }
    if (label == 0) {
        set_err(err, errlen, "empty label in domain name");
        return -1;
    }
    if (need_dot && labels < 2) return 0;
    bool numeric = true;
    for (size_t i = last_start; i < n; i++)
        if (!is_digit(out[i])) numeric = false;
    if (numeric) {
        set_err(err, errlen, "top-level label is numeric (a malformed IPv4 address?)");
        return -1;
    }
    out[n] = '\0';
    return (int)n;
}

/* A URL: "host" + path-and-query (at least "/") into out (cap IOC_TEXT_MAX + 1); the scheme,
 * userinfo, port and fragment are dropped and the host lowercased. need_scheme false: the text
 * has none ("evil.com/gate.php"). Returns the length, 0 not URL-shaped, -1 malformed (err). */
static int norm_url(const char *t, size_t n, char *out, size_t cap, char *err, size_t errlen)
{
    const char *p = t, *end = t + n;
    const char *sep = NULL;
    for (const char *q = t; q + 2 < end; q++)
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            sep = q;
            break;
        }
    if (sep) {
        if (sep == t) {
            set_err(err, errlen, "URL without a scheme before ://");
            return -1;
        }
        for (const char *q = t; q < sep; q++)
            if (!(is_alnum(*q) || *q == '+' || *q == '-' || *q == '.')) return 0;
        p = sep + 3;
    }
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    if (!sep && auth_end == end) return 0; /* no scheme and no path: not a URL */
    const char *h = p, *he = auth_end;
    const char *at = NULL;
    for (const char *q = h; q < he; q++)
        if (*q == '@') at = q;
    if (at) h = at + 1;
    if (h < he && *h == '[') { /* [IPv6]:port */
        const char *rb = memchr(h, ']', (size_t)(he - h));
        if (!rb) {
            set_err(err, errlen, "URL host: unterminated [IPv6] literal");
            return -1;
        }
        he = rb + 1;
    } else {
        const char *colon = memchr(h, ':', (size_t)(he - h));
        if (colon) {
            for (const char *q = colon + 1; q < he; q++)
                if (!is_digit(*q)) {
                    set_err(err, errlen, "URL host: bad port");
                    return -1;
                }
            he = colon;
        }
    }
    if (h == he) {
        set_err(err, errlen, "URL without a host");
        return -1;
    }
    size_t hl = (size_t)(he - h);
    size_t o;
    char hostbuf[256];
    if (*h == '[') {
        if (hl > 60) {
            set_err(err, errlen, "URL host: bad IPv6 literal");
            return -1;
        }
        for (size_t i = 0; i < hl; i++)
            out[i] = lower(h[i]);
        o = hl;
    } else {
        int fam;
        uint8_t a[16];
        unsigned pl;
        char e2[8];
        if (hl < 64 && parse_ip(h, hl, &fam, a, &pl, e2, sizeof e2) == 1 && fam == 4 &&
            !memchr(h, '/', hl)) {
            memcpy(out, h, hl);
            o = hl;
        } else {
            int dl = norm_domain(h, hl, hostbuf, !sep, err, errlen);
            if (dl == 0 && !sep) return 0;
            if (dl <= 0) {
                if (dl == 0) set_err(err, errlen, "URL host is not a valid host name");
                return -1;
            }
            memcpy(out, hostbuf, (size_t)dl);
            o = (size_t)dl;
        }
    }
    /* path and query, fragment dropped */
    const char *r = auth_end, *re = end;
    const char *hash = memchr(r, '#', (size_t)(re - r));
    if (hash) re = hash;
    if (r == re || *r != '/') {
        if (o + 1 >= cap) goto toolong;
        out[o++] = '/';
    }
    if (o + (size_t)(re - r) >= cap) goto toolong;
    for (const char *q = r; q < re; q++) {
        if ((unsigned char)*q <= 0x20 || *q == 0x7f) {
            set_err(err, errlen, "URL holds a space or control character");
            return -1;
        }
        out[o++] = *q;
    }
    out[o] = '\0';
    return (int)o;
toolong:
    set_err(err, errlen, "URL too long");
    return -1;
}

static bool ja4_shape(const char *t, size_t n)
{
    if (n != 36) return false;
    char c0 = lower(t[0]);
    if (c0 != 't' && c0 != 'q' && c0 != 'd') return false;
    if (!is_alnum(t[1]) || !is_alnum(t[2])) return false;
    char d = lower(t[3]);
    if (d != 'd' && d != 'i') return false;
    for (int i = 4; i < 8; i++)
        if (!is_digit(t[i])) return false;
    if (!is_alnum(t[8]) || !is_alnum(t[9]) || t[10] != '_' || t[23] != '_') return false;
    for (int i = 11; i < 36; i++)
        if (i != 23 && !is_hex(t[i])) return false;
    return true;
}

static bool all_hex(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_hex(t[i])) return false;
    return true;
}

/* A certificate SHA-1: 40 hex digits, or 20 hex pairs joined by ':' (Suricata's tls.fingerprint).
 * Writes 40 lowercase hex digits; false when not that shape. */
static bool norm_sha1(const char *t, size_t n, char *out)
{
    if (n == 40 && all_hex(t, 40)) {
        for (int i = 0; i < 40; i++)
            out[i] = lower(t[i]);
        out[40] = '\0';
        return true;
    }
    if (n != 59) return false;
    for (int i = 0; i < 20; i++) {
        if (!is_hex(t[i * 3]) || !is_hex(t[i * 3 + 1])) return false;
        if (i < 19 && t[i * 3 + 2] != ':') return false;
        out[i * 2] = lower(t[i * 3]);
        out[i * 2 + 1] = lower(t[i * 3 + 1]);
    }
    out[40] = '\0';
    return true;
}

static int guess_type(const char *t, size_t n)
{
    if (n >= 3) {
        for (size_t i = 0; i + 2 < n; i++)
            if (t[i] == ':' && t[i + 1] == '/' && t[i + 2] == '/') return IOC_URL;
    }
    if (ja4_shape(t, n)) return IOC_JA4;
    if (n == 32 && all_hex(t, n)) return IOC_JA3;
    if ((n == 40 && all_hex(t, n)) || (n == 59 && t[2] == ':')) return IOC_CERT_SHA1;
    return IOC_TYPE_GUESS; /* address, domain or scheme-less URL: decided by the parsers */
}

/* Normalises text of the given type (or guesses) into out; fills the type and, for addresses,
 * family/bytes/plen. Returns the normalised length or -1 (err set). */
static int normalise(int type, const char *t, size_t n, char *out, int *type_out, uint8_t a[16],
                     unsigned *plen, char *err, size_t errlen)
{
    int fam = 0, r;
    if (type == IOC_TYPE_GUESS) type = guess_type(t, n);
    switch (type) {
    case IOC_TYPE_GUESS:
        r = parse_ip(t, n, &fam, a, plen, err, errlen);
        if (r < 0) return -1;
        if (r == 1) {
            type = fam == 4 ? IOC_IPV4 : IOC_IPV6;
            break;
        }
        if (memchr(t, '/', n)) {
            r = norm_url(t, n, out, IOC_TEXT_MAX + 1, err, errlen);
            if (r > 0) {
                *type_out = IOC_URL;
                return r;
            }
            if (r < 0) return -1;
        }
        if (n > 253) {
            set_err(err, errlen, "not an indicator: too long for a domain name");
            return -1;
        }
        err[0] = '\0';
        r = norm_domain(t, n, out, true, err, errlen);
        if (r > 0) {
            *type_out = IOC_DOMAIN;
            return r;
        }
        if (r == 0 || !err[0])
            set_err(err, errlen,
                    "not an IP address, CIDR, domain, URL, JA3, JA4 or certificate SHA-1");
        return -1;
    case IOC_IPV4:
    case IOC_IPV6:
        r = parse_ip(t, n, &fam, a, plen, err, errlen);
        if (r <= 0 || fam != (type == IOC_IPV4 ? 4 : 6)) {
            if (r >= 0 || fam)
                snprintf(err, errlen, "not an %s address or CIDR",
                         type == IOC_IPV4 ? "IPv4" : "IPv6");
            return -1;
        }
        break;
    case IOC_DOMAIN:
        if (n > 253 + 3) {
            set_err(err, errlen, "domain name longer than 253 characters");
            return -1;
        }
        r = norm_domain(t, n, out, false, err, errlen);
        if (r <= 0) {
            if (r == 0) set_err(err, errlen, "not a valid domain name");
            return -1;
        }
        *type_out = IOC_DOMAIN;
        return r;
    case IOC_URL:
        r = norm_url(t, n, out, IOC_TEXT_MAX + 1, err, errlen);
        if (r <= 0) {
            if (r == 0) set_err(err, errlen, "not a URL");
            return -1;
        }
        *type_out = IOC_URL;
        return r;
    case IOC_JA3:
        if (n != 32 || !all_hex(t, n)) {
            set_err(err, errlen, "a JA3 hash is 32 hex digits");
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            out[i] = lower(t[i]);
        out[n] = '\0';
        *type_out = IOC_JA3;
        return (int)n;
    case IOC_JA4:
        if (!ja4_shape(t, n)) {
            set_err(err, errlen, "not a JA4 fingerprint (t13d1516h2_8daaf6152771_e5627efa2ab1)");
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            out[i] = lower(t[i]);
        out[n] = '\0';
        *type_out = IOC_JA4;
        return (int)n;
    case IOC_CERT_SHA1:
        if (!norm_sha1(t, n, out)) {
            set_err(err, errlen, "a certificate SHA-1 is 40 hex digits (colons allowed)");
            return -1;
        }
        *type_out = IOC_CERT_SHA1;
        return 40;
    default:
        set_err(err, errlen, "unknown indicator type");
        return -1;
    }
    /* an address: canonical text */
    char abuf[INET6_ADDRSTRLEN];
    if (!inet_ntop(type == IOC_IPV4 ? AF_INET : AF_INET6, a, abuf, sizeof abuf)) {
        set_err(err, errlen, "address could not be written");
        return -1;
    }
    unsigned maxp = type == IOC_IPV4 ? 32 : 128;
    int len =
        *plen == maxp ? snprintf(out, 64, "%s", abuf) : snprintf(out, 64, "%s/%u", abuf, *plen);
    *type_out = type;
    return len;
}

/* The prefix length of a normalised address entry ("10.0.0.0/8" → 8, "1.2.3.4" → 32). */
static unsigned entry_plen(int type, const char *norm)
{
    if (type != IOC_IPV4 && type != IOC_IPV6) return 0;
    const char *sl = strchr(norm, '/');
    if (!sl) return type == IOC_IPV4 ? 32u : 128u;
    unsigned v = 0;
    for (const char *q = sl + 1; *q >= '0' && *q <= '9'; q++)
        v = v * 10 + (unsigned)(*q - '0');
    return v;
}

/* Trims, checks, refangs and normalises one indicator into norm (IOC_TEXT_MAX + 8 bytes).
 * Returns the normalised length, or -1 with err set. */
static int prepare(int type, const char *text, size_t len, char *norm, int *t, char *err,
                   size_t errlen)
{
    while (len && (text[0] == ' ' || text[0] == '\t' || text[0] == '\r'))
        text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r'))
        len--;
    if (len == 0) {
        set_err(err, errlen, "empty indicator");
        return -1;
    }
    if (len > IOC_TEXT_MAX) {
        set_err(err, errlen, "indicator longer than 2048 characters");
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
            set_err(err, errlen, "control character in indicator");
            return -1;
        }
    char rf[IOC_TEXT_MAX + 8];
    size_t rn = refang(text, len, rf, sizeof rf);
    uint8_t a[16];
    unsigned plen = 0;
    int nl = normalise(type, rf, rn, norm, t, a, &plen, err, errlen);
    return nl > 0 ? nl : -1;
}

int ioc_classify(int type, const char *text, size_t len, char *err, size_t errlen)
{
    char ebuf[8], norm[IOC_TEXT_MAX + 8];
    if (!err || !errlen) err = ebuf, errlen = sizeof ebuf;
    err[0] = '\0';
    int t = -1;
    if (!text || prepare(type, text, len, norm, &t, err, errlen) < 0) return -1;
    return t;
}

int ioc_set_add(struct ioc_set *s, int type, const char *text, size_t len, int source,
                uint32_t line, int *type_out, char *err, size_t errlen)
{
    char ebuf[8];
    if (!err || !errlen) err = ebuf, errlen = sizeof ebuf;
    err[0] = '\0';
    if (!s || s->built || source < 0 || (size_t)source >= s->n_src || !text) return VG_ERR_USAGE;
    char norm[IOC_TEXT_MAX + 8];
    int t = -1;
    int nl = prepare(type, text, len, norm, &t, err, errlen);
    if (nl <= 0) return VG_ERR_FORMAT;
    if (type_out) *type_out = t;

    uint64_t h = key_hash(t, norm, (size_t)nl);
    size_t slot = find_slot(s, t, norm, (size_t)nl, h);
    if (s->slots[slot]) return VG_DECLINED;

    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        struct ioc_entry *ne = vg_realloc(s->e, nc * sizeof *ne);
        if (!ne) return VG_ERR_NOMEM;
        s->e = ne;
        s->cap = nc;
    }
    if (s->text_len + (size_t)nl + 1 > s->text_cap) {
        size_t nc = s->text_cap ? s->text_cap * 2 : 16384;
        while (nc < s->text_len + (size_t)nl + 1)
            nc *= 2;
        if (nc > UINT32_MAX) return VG_ERR_NOMEM;
        char *nt = vg_realloc(s->text, nc);
        if (!nt) return VG_ERR_NOMEM;
        s->text = nt;
        s->text_cap = nc;
    }
    if (s->n >= UINT32_MAX - 1) return VG_ERR_NOMEM;
    struct ioc_entry *e = &s->e[s->n];
    e->text_off = (uint32_t)s->text_len;
    e->text_len = (uint16_t)nl;
    e->src = (uint16_t)source;
    e->line = line;
    e->type = (uint8_t)t;
    e->plen = (uint8_t)entry_plen(t, norm);
    memcpy(s->text + s->text_len, norm, (size_t)nl + 1);
    s->text_len += (size_t)nl + 1;
    s->slots[slot] = ((h >> 32) << 32) | (uint64_t)(s->n + 1);
    s->n++;
    s->by_type[t]++;
    if (s->n * 2 > s->n_slots && grow_slots(s) != VG_OK) return VG_ERR_NOMEM;
    return VG_OK;
}

/* ---- address ranges ---- */

struct pfx {
    u128 lo, hi;
    uint32_t id;
    uint8_t plen;
};

static int pfx_cmp(const void *a, const void *b)
{
    const struct pfx *x = a, *y = b;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    if (x->plen != y->plen) return x->plen < y->plen ? -1 : 1; /* the containing prefix first */
    return 0;
}

struct rng_out {
    u128 *lo, *hi;
    uint32_t *id;
    size_t n;
};

static void emit(struct rng_out *o, u128 lo, u128 hi, uint32_t id)
{
    /* merge with the previous range when it is adjacent and has the same label */
    if (o->n && o->id[o->n - 1] == id && o->hi[o->n - 1] + 1 == lo) {
        o->hi[o->n - 1] = hi;
        return;
    }
    o->lo[o->n] = lo;
    o->hi[o->n] = hi;
    o->id[o->n] = id;
    o->n++;
}

/* The sweep: prefixes sorted by (start, length) are either nested or disjoint (CIDR blocks never
 * partly overlap), so a stack of the open ones gives, for each stretch of addresses, the innermost
 * (longest) prefix that covers it. Writes at most 2n ranges. */
static void sweep(const struct pfx *p, size_t n, u128 max, struct rng_out *o)
{
    struct pfx stack[130];
    size_t sp = 0;
    u128 cur = 0;
    bool exhausted = false; /* cur passed the last address */
    for (size_t i = 0; i < n; i++) {
        while (sp && stack[sp - 1].hi < p[i].lo) {
            struct pfx t = stack[--sp];
            if (!exhausted && cur <= t.hi) emit(o, cur, t.hi, t.id);
            cur = t.hi + 1; /* t.hi < p[i].lo <= max: no overflow */
        }
        if (sp && cur < p[i].lo) emit(o, cur, p[i].lo - 1, stack[sp - 1].id);
        cur = p[i].lo;
        exhausted = false;
        if (sp < sizeof stack / sizeof stack[0]) stack[sp++] = p[i];
    }
    while (sp) {
        struct pfx t = stack[--sp];
        if (!exhausted && cur <= t.hi) emit(o, cur, t.hi, t.id);
        if (t.hi == max)
            exhausted = true;
        else
            cur = t.hi + 1;
    }
}

static u128 bytes_to_u128(const uint8_t *a, unsigned nbytes)
{
    u128 v = 0;
    for (unsigned i = 0; i < nbytes; i++)
        v = (v << 8) | a[i];
    return v;
}

static int build_family(struct ioc_set *s, int fam)
{
    int type = fam == 4 ? IOC_IPV4 : IOC_IPV6;
    size_t cnt = s->by_type[type];
    if (!cnt) return VG_OK;
    unsigned bits = fam == 4 ? 32 : 128;
    u128 max = fam == 4 ? (u128)0xffffffffu : ~(u128)0;
    struct pfx *p = vg_malloc(cnt * sizeof *p);
    struct rng_out o = {vg_malloc(2 * cnt * sizeof(u128)), vg_malloc(2 * cnt * sizeof(u128)),
                        vg_malloc(2 * cnt * sizeof(uint32_t)), 0};
    uint32_t *idx = vg_malloc(65537 * sizeof *idx);
    if (!p || !o.lo || !o.hi || !o.id || !idx) goto nomem;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct ioc_entry *e = &s->e[i];
        if (e->type != type) continue;
        uint8_t a[16];
        const char *t = s->text + e->text_off;
        char buf[64];
        const char *slash = strchr(t, '/');
        size_t al = slash ? (size_t)(slash - t) : strlen(t);
        memcpy(buf, t, al);
        buf[al] = '\0';
        memset(a, 0, sizeof a);
        if (inet_pton(fam == 4 ? AF_INET : AF_INET6, buf, a) != 1) continue;
        u128 lo = bytes_to_u128(a, bits / 8);
        u128 hostmask = e->plen >= bits ? 0 : (max >> e->plen);
        p[k].lo = lo & ~hostmask & max;
        p[k].hi = p[k].lo | hostmask;
        p[k].id = (uint32_t)i;
        p[k].plen = e->plen;
        k++;
    }
    qsort(p, k, sizeof *p, pfx_cmp);
    sweep(p, k, max, &o);
    vg_free(p);
    p = NULL;
    /* first-level index on 16 bits of each range's start: the top 16 (IPv4), or for IPv6 the 16
     * after the prefix that all starts share (sorted: the first and the last share it) */
    unsigned shift = bits - 16, cp = 0;
    if (fam == 6 && o.n) {
        u128 diff = o.lo[0] ^ o.lo[o.n - 1];
        while (cp < 112 && !(diff >> (127 - cp) & 1))
            cp++;
        shift = 128 - cp - 16;
        s->v6_cp = cp;
        s->v6_shift = shift;
        s->v6_pfx = cp ? o.lo[0] >> (128 - cp) : 0;
    }
    size_t r = 0;
    for (uint32_t b = 0; b <= 65536; b++) {
        while (r < o.n && (uint32_t)((o.lo[r] >> shift) & 0xffff) < b)
            r++;
        idx[b] = (uint32_t)r;
    }
    if (fam == 4) {
        s->v4_lo = vg_malloc((o.n ? o.n : 1) * sizeof *s->v4_lo);
        s->v4_hi = vg_malloc((o.n ? o.n : 1) * sizeof *s->v4_hi);
        if (!s->v4_lo || !s->v4_hi) goto nomem;
        for (size_t i = 0; i < o.n; i++) {
            s->v4_lo[i] = (uint32_t)o.lo[i];
            s->v4_hi[i] = (uint32_t)o.hi[i];
        }
        s->v4_id = vg_realloc(o.id, (o.n ? o.n : 1) * sizeof *o.id);
        if (!s->v4_id) goto nomem;
        o.id = NULL;
        vg_free(o.lo);
        vg_free(o.hi);
        s->n_v4 = o.n;
        s->v4_idx = idx;
    } else {
        s->v6_lo = vg_realloc(o.lo, (o.n ? o.n : 1) * sizeof(u128));
        if (!s->v6_lo) goto nomem;
        o.lo = NULL;
        s->v6_hi = vg_realloc(o.hi, (o.n ? o.n : 1) * sizeof(u128));
        if (!s->v6_hi) goto nomem;
        o.hi = NULL;
        s->v6_id = vg_realloc(o.id, (o.n ? o.n : 1) * sizeof *o.id);
        if (!s->v6_id) goto nomem;
        o.id = NULL;
        s->n_v6 = o.n;
        s->v6_idx = idx;
    }
    return VG_OK;
nomem:
    vg_free(p);
    vg_free(o.lo);
    vg_free(o.hi);
    vg_free(o.id);
    if (s->v4_idx != idx && s->v6_idx != idx) vg_free(idx);
    return VG_ERR_NOMEM;
}

int ioc_set_build(struct ioc_set *s)
{
    if (!s) return VG_ERR_USAGE;
    if (s->built) return VG_OK;
    free_ranges(s);
    int rc = build_family(s, 4);
    if (rc == VG_OK) rc = build_family(s, 6);
    if (rc != VG_OK) {
        free_ranges(s);
        return rc;
    }
    s->built = true;
    return VG_OK;
}

/* ---- matching ---- */

uint32_t ioc_match_addr(const struct ioc_set *s, const struct vg_addr *a)
{
    if (!s || !a) return IOC_NONE;
    if (a->family == 4) {
        if (!s->n_v4) return IOC_NONE;
        uint32_t x = ((uint32_t)a->a[0] << 24) | ((uint32_t)a->a[1] << 16) |
                     ((uint32_t)a->a[2] << 8) | a->a[3];
        uint32_t top = x >> 16;
        size_t lo = s->v4_idx[top], hi = s->v4_idx[top + 1]; /* ranges starting in this block */
        /* the last range with start <= x: in [lo, hi) or, when none there, lo - 1 */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->v4_lo[mid] <= x)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0) return IOC_NONE;
        size_t r = lo - 1;
        return x <= s->v4_hi[r] && x >= s->v4_lo[r] ? s->v4_id[r] : IOC_NONE;
    }
    if (a->family == 6) {
        if (!s->n_v6) return IOC_NONE;
        u128 x = bytes_to_u128(a->a, 16);
        if (s->v6_cp && (x >> (128 - s->v6_cp)) != s->v6_pfx) {
            /* outside the shared prefix: below every range, or after the last one */
            if (x < s->v6_lo[0]) return IOC_NONE;
            size_t r = s->n_v6 - 1;
            return x <= s->v6_hi[r] ? s->v6_id[r] : IOC_NONE;
        }
        uint32_t top = (uint32_t)((x >> s->v6_shift) & 0xffff);
        size_t lo = s->v6_idx[top], hi = s->v6_idx[top + 1];
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->v6_lo[mid] <= x)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0) return IOC_NONE;
        size_t r = lo - 1;
        return x <= s->v6_hi[r] && x >= s->v6_lo[r] ? s->v6_id[r] : IOC_NONE;
    }
    return IOC_NONE;
}

uint32_t ioc_match_addr_text(const struct ioc_set *s, const char *text, size_t len)
{
    if (!s || (!s->n_v4 && !s->n_v6) || len == 0 || len >= INET6_ADDRSTRLEN) return IOC_NONE;
    char buf[INET6_ADDRSTRLEN];
    memcpy(buf, text, len);
    buf[len] = '\0';
    struct vg_addr a;
    memset(&a, 0, sizeof a);
    if (memchr(text, ':', len)) {
        if (!s->n_v6 || inet_pton(AF_INET6, buf, a.a) != 1) return IOC_NONE;
        a.family = 6;
    } else {
        if (!s->n_v4 || inet_pton(AF_INET, buf, a.a) != 1) return IOC_NONE;
        a.family = 4;
    }
    return ioc_match_addr(s, &a);
}

uint32_t ioc_match_domain(const struct ioc_set *s, const char *name, size_t len)
{
    if (!s || !s->by_type[IOC_DOMAIN] || !name) return IOC_NONE;
    while (len && name[len - 1] == '.')
        len--;
    if (len == 0 || len > 253) return IOC_NONE;
    char buf[256];
    for (size_t i = 0; i < len; i++)
        buf[i] = lower(name[i]);
    const char *p = buf;
    size_t n = len;
    for (;;) {
        uint32_t id = lookup(s, IOC_DOMAIN, p, n);
        if (id != IOC_NONE) return id;
        const char *dot = memchr(p, '.', n);
        if (!dot) return IOC_NONE;
        n -= (size_t)(dot + 1 - p);
        p = dot + 1;
    }
}

uint32_t ioc_match_url(const struct ioc_set *s, const char *host, size_t hlen, const char *uri,
                       size_t ulen)
{
    if (!s || !s->by_type[IOC_URL] || !host || !uri || hlen == 0 || hlen > 255) return IOC_NONE;
    /* absolute-form: skip scheme://authority */
    for (size_t i = 0; i + 2 < ulen && i < 16; i++) {
        if (uri[i] == ':' && uri[i + 1] == '/' && uri[i + 2] == '/') {
            size_t j = i + 3;
            while (j < ulen && uri[j] != '/' && uri[j] != '?')
                j++;
            uri += j;
            ulen -= j;
            break;
        }
        if (uri[i] == '/') break;
    }
    char buf[IOC_TEXT_MAX + 8];
    while (hlen && host[hlen - 1] == '.')
        hlen--;
    if (hlen + ulen + 1 > IOC_TEXT_MAX) return IOC_NONE;
    for (size_t i = 0; i < hlen; i++)
        buf[i] = lower(host[i]);
    size_t o = hlen;
    if (ulen == 0 || uri[0] != '/') buf[o++] = '/';
    memcpy(buf + o, uri, ulen);
    o += ulen;
    uint32_t id = lookup(s, IOC_URL, buf, o);
    if (id != IOC_NONE) return id;
    const char *q = memchr(buf + hlen, '?', o - hlen);
    if (q) return lookup(s, IOC_URL, buf, (size_t)(q - buf));
    return IOC_NONE;
}

uint32_t ioc_match_hash(const struct ioc_set *s, int type, const char *text, size_t len)
{
    if (!s || type < IOC_JA3 || type > IOC_CERT_SHA1 || !s->by_type[type] || !text) return IOC_NONE;
    char buf[64];
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ':') continue;
        if (o >= sizeof buf - 1) return IOC_NONE;
        buf[o++] = lower(text[i]);
    }
    return lookup(s, type, buf, o);
}
