/* tls_fingerprint.c - JA3, JA3S and JA4 (TLS client) fingerprints of parsed hellos.
 *
 * JA3 / JA3S: Salesforce, https://github.com/salesforce/ja3 (README and ja3.py): the decimal
 * fields "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats" of a ClientHello
 * ("SSLVersion,Cipher,Extensions" of a ServerHello), list values joined by '-', GREASE values
 * (RFC 8701) removed from every list, then the lowercase hex MD5 of the string.
 * JA4: FoxIO, https://github.com/FoxIO-LLC/ja4 technical_details/JA4.md (BSD 3-Clause):
 *   a = proto (t/q/d) + version (highest non-GREASE supported_versions entry, else the hello's
 *       version: 13 12 11 10 s3 s2 d1 d2 d3, else 00) + d/i (SNI extension present or not) +
 *       2-digit cipher count + 2-digit extension count (GREASE excluded, at most 99) + first and
 *       last character of the first ALPN value ("00" when none or empty; when either end byte is
 *       not alphanumeric, the first and last characters of the value's hex form);
 *   b = first 12 hex digits of SHA-256 of the sorted cipher list (4 lowercase hex digits each,
 *       comma-joined), "000000000000" when empty;
 *   c = the same over the sorted extension list without SNI (0x0000) and ALPN (0x0010), then '_'
 *       and the signature algorithms in wire order (no '_' when there are none);
 *       "000000000000" when the sorted extension list is empty.
 * MD5 and SHA-256 come from OpenSSL's EVP_Digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "app/tls/tls.h"
#include "app/tls/tls_int.h"
#include "core/vg_alloc.h"

static const char g_hex[] = "0123456789abcdef";

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = g_hex[b[i] >> 4];
        out[2 * i + 1] = g_hex[b[i] & 15];
    }
    out[2 * n] = 0;
}

bool tls__md5_hex(const void *buf, size_t len, char hex[TLS_HASH_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(buf, len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16) {
        hex[0] = 0;
        return false;
    }
    to_hex(md, 16, hex);
    return true;
}

bool tls__sha256_12(const void *buf, size_t len, char hex[13])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        hex[0] = 0;
        return false;
    }
    char full[65];
    to_hex(md, 32, full);
    memcpy(hex, full, 12);
    hex[12] = 0;
    return true;
}

/* ---- a bounded string builder ---- */

struct sb {
    char *p;
    size_t cap, len; /* len may exceed cap-1: what did not fit is counted, not written */
};

static void sb_putc(struct sb *b, char c)
{
    if (b->len + 1 < b->cap) b->p[b->len] = c;
    b->len++;
}

static void sb_puts(struct sb *b, const char *s)
{
    while (*s)
        sb_putc(b, *s++);
}

static void sb_dec(struct sb *b, unsigned v)
{
    char t[12];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        sb_putc(b, t[--n]);
}

static void sb_hex4(struct sb *b, uint16_t v)
{
    sb_putc(b, g_hex[(v >> 12) & 15]);
    sb_putc(b, g_hex[(v >> 8) & 15]);
    sb_putc(b, g_hex[(v >> 4) & 15]);
    sb_putc(b, g_hex[v & 15]);
}

static void sb_end(struct sb *b)
{
    if (b->cap) b->p[b->len < b->cap ? b->len : b->cap - 1] = 0;
}

static void sb_dec_list16(struct sb *b, const uint16_t *v, size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (tls_is_grease(v[i])) continue;
        if (!first) sb_putc(b, '-');
        sb_dec(b, v[i]);
        first = false;
    }
}

/* The longest JA3 string the ClientHello caps allow: 5-digit version, four commas, and each kept
 * value as at most 5 digits plus a separator. */
#define JA3_FULL_MAX                                                                               \
    (8 + 6 * (TLS_MAX_CIPHERS + TLS_MAX_EXTS + TLS_MAX_GROUPS + TLS_MAX_POINT_FORMATS) + 8)

/* Copies the full string of fb into out (cap bytes, NUL included), hashes it, returns its length.
 */
static size_t finish(const struct sb *fb, char *out, size_t cap, char hash[TLS_HASH_HEX])
{
    size_t n = fb->len < fb->cap ? fb->len : fb->cap - 1; /* always whole: fb is sized for it */
    tls__md5_hex(fb->p, n, hash);
    if (cap) {
        size_t k = n < cap ? n : cap - 1;
        memcpy(out, fb->p, k);
        out[k] = 0;
    }
    return n;
}

size_t tls_ja3(const struct tls_client_hello *ch, char *str, size_t cap, char hash[TLS_HASH_HEX])
{
    char full[JA3_FULL_MAX];
    struct sb b = {full, sizeof full, 0};
    sb_dec(&b, ch->version);
    sb_putc(&b, ',');
    sb_dec_list16(&b, ch->ciphers, ch->n_ciphers);
    sb_putc(&b, ',');
    sb_dec_list16(&b, ch->exts, ch->n_exts);
    sb_putc(&b, ',');
    sb_dec_list16(&b, ch->groups, ch->n_groups);
    sb_putc(&b, ',');
    for (unsigned i = 0; i < ch->n_point_formats; i++) {
        if (i) sb_putc(&b, '-');
        sb_dec(&b, ch->point_formats[i]);
    }
    sb_end(&b);
    return finish(&b, str, cap, hash);
}

size_t tls_ja3s(const struct tls_server_hello *sh, char *str, size_t cap, char hash[TLS_HASH_HEX])
{
    char full[16 + 6 * TLS_MAX_EXTS];
    struct sb b = {full, sizeof full, 0};
    sb_dec(&b, sh->version);
    sb_putc(&b, ',');
    sb_dec(&b, sh->cipher);
    sb_putc(&b, ',');
    sb_dec_list16(&b, sh->exts, sh->n_exts);
    sb_end(&b);
    return finish(&b, str, cap, hash);
}

/* ---- JA4 ---- */

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return x < y ? -1 : x > y;
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    default:
        return "00";
    }
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Collects the non-GREASE values of v (minus `skip` values) into out; returns how many. */
static size_t filter(const uint16_t *v, size_t n, uint16_t *out, bool drop_sni_alpn)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (tls_is_grease(v[i])) continue;
        if (drop_sni_alpn && (v[i] == 0x0000 || v[i] == 0x0010)) continue;
        out[k++] = v[i];
    }
    return k;
}

static void hex_list(struct sb *b, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) sb_putc(b, ',');
        sb_hex4(b, v[i]);
    }
}

/* SHA-256 (12 digits) of what was appended to b since `from`. */
static void hash_tail(const struct sb *b, size_t from, char out[13])
{
    tls__sha256_12(b->p + from, b->len - from, out);
}

size_t tls_ja4(const struct tls_ja4_input *in, char out[TLS_JA4_LEN + 1], char *raw, size_t cap)
{
    /* version */
    uint16_t ver = in->version;
    bool have = false;
    uint16_t best = 0;
    for (size_t i = 0; i < in->n_versions; i++) {
        if (tls_is_grease(in->versions[i])) continue;
        if (!have || in->versions[i] > best) best = in->versions[i];
        have = true;
    }
    if (have) ver = best;

    /* counts (GREASE excluded, SNI and ALPN included) */
    size_t nc = 0, ne = 0;
    for (size_t i = 0; i < in->n_ciphers; i++)
        nc += !tls_is_grease(in->ciphers[i]);
    for (size_t i = 0; i < in->n_exts; i++)
        ne += !tls_is_grease(in->exts[i]);

    /* ALPN characters */
    char alpn[3] = "00";
    if (in->alpn && in->alpn_len) {
        uint8_t f = in->alpn[0], l = in->alpn[in->alpn_len - 1];
        if (is_alnum(f) && is_alnum(l)) {
            alpn[0] = (char)f;
            alpn[1] = (char)l;
        } else {
            alpn[0] = g_hex[f >> 4];
            alpn[1] = g_hex[l & 15];
        }
    }

    char a[11];
    snprintf(a, sizeof a, "%c%s%c%02u%02u%c%c", in->proto ? in->proto : 't', ja4_version(ver),
             in->has_sni ? 'd' : 'i', (unsigned)(nc > 99 ? 99 : nc), (unsigned)(ne > 99 ? 99 : ne),
             alpn[0], alpn[1]);

    /* sorted lists; the caller's lists are bounded by the ClientHello caps, but this function is
     * public: lists of any length are handled with one heap copy */
    size_t ncap = in->n_ciphers + in->n_exts + in->n_sigalgs;
    uint16_t stackbuf[TLS_MAX_CIPHERS + TLS_MAX_EXTS + TLS_MAX_SIGALGS];
    uint16_t *tmp = stackbuf;
    if (ncap > sizeof stackbuf / sizeof stackbuf[0]) {
        tmp = vg_malloc(ncap * sizeof *tmp);
        if (!tmp) {
            memset(out, 0, TLS_JA4_LEN + 1);
            if (raw && cap) raw[0] = 0;
            return 0;
        }
    }
    uint16_t *cs = tmp;
    size_t ncs = filter(in->ciphers, in->n_ciphers, cs, false);
    qsort(cs, ncs, sizeof *cs, cmp_u16);
    uint16_t *es = cs + ncs;
    size_t nes = filter(in->exts, in->n_exts, es, true);
    qsort(es, nes, sizeof *es, cmp_u16);
    uint16_t *sg = es + nes;
    size_t nsg = filter(in->sigalgs, in->n_sigalgs, sg, false);

    /* the raw form "a_ciphers_exts[_sigalgs]" is built whole; b and c hash parts of it */
    size_t need = 16 + 5 * (ncs + nes + nsg) + 4;
    char sbuf[16 + 5 * (TLS_MAX_CIPHERS + TLS_MAX_EXTS + TLS_MAX_SIGALGS) + 4];
    char *rb = sbuf;
    if (need > sizeof sbuf) {
        rb = vg_malloc(need);
        if (!rb) {
            if (tmp != stackbuf) vg_free(tmp);
            memset(out, 0, TLS_JA4_LEN + 1);
            if (raw && cap) raw[0] = 0;
            return 0;
        }
    }
    struct sb b = {rb, need, 0};
    sb_puts(&b, a);
    sb_putc(&b, '_');
    size_t bfrom = b.len;
    hex_list(&b, cs, ncs);
    char hb[13] = "000000000000", hc[13] = "000000000000";
    if (ncs) hash_tail(&b, bfrom, hb);
    sb_putc(&b, '_');
    size_t cfrom = b.len;
    hex_list(&b, es, nes);
    if (nsg) {
        sb_putc(&b, '_');
        hex_list(&b, sg, nsg);
    }
    if (nes) hash_tail(&b, cfrom, hc);
    sb_end(&b);

    snprintf(out, TLS_JA4_LEN + 1, "%s_%s_%s", a, hb, hc);
    if (raw && cap) {
        size_t k = b.len < cap ? b.len : cap - 1;
        memcpy(raw, rb, k);
        raw[k] = 0;
    }
    size_t total = b.len;
    if (rb != sbuf) vg_free(rb);
    if (tmp != stackbuf) vg_free(tmp);
    return total;
}

void tls_ja4_input_from_hello(const struct tls_client_hello *ch, struct tls_ja4_input *in)
{
    memset(in, 0, sizeof *in);
    in->proto = 't';
    in->version = ch->version;
    in->versions = ch->versions;
    in->n_versions = (ch->flags & TLS_CHF_HAS_VERSIONS) ? ch->n_versions : 0;
    in->has_sni = (ch->flags & TLS_CHF_HAS_SNI_EXT) != 0;
    in->ciphers = ch->ciphers;
    in->n_ciphers = ch->n_ciphers;
    in->exts = ch->exts;
    in->n_exts = ch->n_exts;
    if (ch->alpn.n) {
        in->alpn = (const uint8_t *)ch->alpn.buf + ch->alpn.off[0];
        in->alpn_len = ch->alpn.len[0];
    }
    in->sigalgs = ch->sigalgs;
    in->n_sigalgs = ch->n_sigalgs;
}
