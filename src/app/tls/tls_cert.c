/* tls_cert.c - the fields of one X.509 certificate (RFC 5280) that the rule engine and the EVE
 * `tls` event use, decoded by OpenSSL (d2i_X509 and accessors; no ASN.1 is parsed here) and
 * rendered the way Suricata renders them (Suricata decodes with the Rust x509-parser crate):
 *   - names: x509-parser's Display of X509Name: RDNs joined by ", ", the attributes of one
 *     multi-valued RDN by " + ", each "TYPE=value". TYPE is C, ST, L, O, OU, CN, DC or Email,
 *     else the oid-registry short name (serialNumber, streetAddress, businessCategory,
 *     msJurisdictionCountry ...), else "OID(a.b.c)". String values are copied as they are (they
 *     must be UTF-8, else the whole name reads "<X509Error: Invalid X.509 name>"); values of other
 *     ASN.1 types are written as uppercase hex;
 *   - serial: the content bytes of the DER INTEGER (so a positive serial with its top bit set keeps
 *     its leading 00), uppercase hex joined by ':';
 *   - fingerprint: SHA-1 over the certificate's DER bytes as sent, lowercase hex joined by ':';
 *   - validity: "YYYY-MM-DDTHH:MM:SS" (UTC) and seconds since the epoch;
 *   - subjectAltName: the dNSName entries.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "app/tls/tls_int.h"

/* ---- a bounded text buffer ---- */

struct tb {
    char *p;
    size_t cap, len;
    bool cut;
};

static void tb_put(struct tb *t, const void *s, size_t n)
{
    size_t room = t->cap - 1 - t->len;
    if (n > room) {
        n = room;
        t->cut = true;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

static void tb_puts(struct tb *t, const char *s)
{
    tb_put(t, s, strlen(s));
}

static void tb_hex(struct tb *t, const uint8_t *b, size_t n, bool upper, char sep)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char h[3] = {digits[b[i] >> 4], digits[b[i] & 15], sep};
        if (i) tb_put(t, &h[2], sep ? 1 : 0);
        tb_put(t, h, 2);
    }
}

/* ---- names ---- */

static const struct {
    const char *oid, *name;
} g_attr_names[] = {
    /* x509-parser's abbreviations first */
    {"2.5.4.3", "CN"},
    {"2.5.4.6", "C"},
    {"2.5.4.7", "L"},
    {"2.5.4.8", "ST"},
    {"2.5.4.10", "O"},
    {"2.5.4.11", "OU"},
    {"0.9.2342.19200300.100.1.25", "DC"},
    {"1.2.840.113549.1.9.1", "Email"},
    /* then the short names of oid-registry's database (assets/oid_db.txt) */
    {"2.5.4.0", "objectClass"},
    {"2.5.4.1", "aliasedEntryName"},
    {"2.5.4.2", "knowledgeInformation"},
    {"2.5.4.4", "surname"},
    {"2.5.4.5", "serialNumber"},
    {"2.5.4.9", "streetAddress"},
    {"2.5.4.12", "title"},
    {"2.5.4.13", "description"},
    {"2.5.4.14", "searchGuide"},
    {"2.5.4.15", "businessCategory"},
    {"2.5.4.16", "postalAddress"},
    {"2.5.4.17", "postalCode"},
    {"2.5.4.41", "name"},
    {"2.5.4.42", "givenName"},
    {"2.5.4.43", "initials"},
    {"2.5.4.44", "generationQualifier"},
    {"2.5.4.45", "uniqueIdentifier"},
    {"2.5.4.46", "dnQualifier"},
    {"1.2.840.113549.1.9.2", "unstructuredName"},
    {"1.2.840.113549.1.9.3", "contentType"},
    {"1.2.840.113549.1.9.20", "friendlyName"},
    {"1.3.6.1.4.1.311.60.2.1.1", "msJurisdictionLocality"},
    {"1.3.6.1.4.1.311.60.2.1.2", "msJurisdictionStateOrProvince"},
    {"1.3.6.1.4.1.311.60.2.1.3", "msJurisdictionCountry"},
};

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            k = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + k >= n) return false; /* the sequence runs past the end */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

/* The ASN.1 string types x509-parser prints as text. */
static bool is_text_type(int type)
{
    switch (type) {
    case V_ASN1_NUMERICSTRING:
    case V_ASN1_BMPSTRING:
    case V_ASN1_VISIBLESTRING:
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_GENERALSTRING:
    case V_ASN1_OBJECT_DESCRIPTOR:
    case V_ASN1_GRAPHICSTRING:
    case V_ASN1_T61STRING:
    case V_ASN1_VIDEOTEXSTRING:
    case V_ASN1_UTF8STRING:
    case V_ASN1_IA5STRING:
        return true;
    }
    return false;
}

static void name_text(const X509_NAME *name, char *out, size_t cap, uint16_t *outlen,
                      uint32_t *flags)
{
    struct tb t = {out, cap, 0, false};
    out[0] = 0;
    int n = name ? X509_NAME_entry_count(name) : 0;
    int prev_set = -1;
    for (int i = 0; i < n; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        if (!e) continue;
        int set = X509_NAME_ENTRY_set(e);
        if (i) tb_puts(&t, set == prev_set ? " + " : ", ");
        prev_set = set;

        char oid[128];
        const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
        int ol = obj ? OBJ_obj2txt(oid, sizeof oid, obj, 1) : -1;
        if (ol < 0 || ol >= (int)sizeof oid) strcpy(oid, "?");
        const char *key = NULL;
        for (size_t k = 0; k < sizeof g_attr_names / sizeof g_attr_names[0]; k++)
            if (strcmp(oid, g_attr_names[k].oid) == 0) key = g_attr_names[k].name;
        if (key) {
            tb_puts(&t, key);
        } else {
            tb_puts(&t, "OID(");
            tb_puts(&t, oid);
            tb_puts(&t, ")");
        }
        tb_puts(&t, "=");

        const ASN1_STRING *d = X509_NAME_ENTRY_get_data(e);
        const uint8_t *v = d ? ASN1_STRING_get0_data(d) : NULL;
        int vl = d ? ASN1_STRING_length(d) : 0;
        if (!v || vl < 0) vl = 0;
        if (d && is_text_type(ASN1_STRING_type(d))) {
            if (!utf8_valid(v, (size_t)vl)) {
                *flags |= TLS_CERTF_BAD_NAME;
                t.len = 0;
                t.cut = false;
                out[0] = 0;
                tb_puts(&t, "<X509Error: Invalid X.509 name>");
                break;
            }
            if (vl) tb_put(&t, v, (size_t)vl);
        } else if (vl) {
            tb_hex(&t, v, (size_t)vl, true, 0);
        }
    }
    if (t.cut) *flags |= TLS_CERTF_CUT;
    *outlen = (uint16_t)t.len;
}

/* ---- serial, dates, SAN ---- */

static void serial_text(const X509 *x, struct tls_cert *c)
{
    struct tb t = {c->serial, sizeof c->serial, 0, false};
    c->serial[0] = 0;
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    if (!sn) return;
    /* re-encode with OpenSSL and take the content octets back out of the TLV it wrote */
    unsigned char buf[160];
    int n = i2d_ASN1_INTEGER(sn, NULL);
    if (n <= 2 || n > (int)sizeof buf) {
        c->flags |= TLS_CERTF_CUT;
        return;
    }
    unsigned char *p = buf;
    if (i2d_ASN1_INTEGER(sn, &p) != n) return;
    size_t hl = 2, cl = buf[1];
    if (buf[1] & 0x80) {
        size_t k = buf[1] & 0x7f;
        if (k == 0 || k > 2 || 2 + k > (size_t)n) return;
        cl = 0;
        for (size_t i = 0; i < k; i++)
            cl = (cl << 8) | buf[2 + i];
        hl = 2 + k;
    }
    if (hl + cl != (size_t)n) return;
    tb_hex(&t, buf + hl, cl, true, ':');
    if (t.cut) c->flags |= TLS_CERTF_CUT;
    c->serial_len = (uint16_t)t.len;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void time_text(const ASN1_TIME *at, char out[20], int64_t *secs)
{
    struct tm tm;
    out[0] = 0;
    *secs = 0;
    if (!at || !ASN1_TIME_to_tm(at, &tm)) return;
    int64_t y = (int64_t)tm.tm_year + 1900;
    if (y < 0 || y > 9999 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
        tm.tm_sec > 60)
        return;
    snprintf(out, 20, "%04u-%02u-%02uT%02u:%02u:%02u", (unsigned)y % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
    *secs = days_from_civil(y, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
            tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

static void san_list(const X509 *x, struct tls_cert *c)
{
    int crit = 0;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    if (!gens) {
        c->flags |= TLS_CERTF_NO_SAN;
        return;
    }
    size_t used = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (!g || g->type != GEN_DNS || !g->d.dNSName) continue;
        const uint8_t *v = ASN1_STRING_get0_data(g->d.dNSName);
        int vl = ASN1_STRING_length(g->d.dNSName);
        if (!v || vl < 0) continue;
        if (c->n_san >= TLS_MAX_SAN || used + (size_t)vl + 1 > sizeof c->san) {
            c->flags |= TLS_CERTF_CUT;
            break;
        }
        memcpy(c->san + used, v, (size_t)vl);
        c->san[used + (size_t)vl] = 0;
        c->san_off[c->n_san] = (uint16_t)used;
        c->san_len[c->n_san++] = (uint16_t)vl;
        used += (size_t)vl + 1;
    }
    GENERAL_NAMES_free(gens);
}

bool tls__cert_decode(const uint8_t *der, size_t len, struct tls_cert *c)
{
    memset(c, 0, sizeof *c);
    c->der_len = (uint32_t)len;
    if (len == 0 || len > 0x7fffffff) return false;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x) {
        ERR_clear_error();
        return false;
    }
    name_text(X509_get_subject_name(x), c->subject, sizeof c->subject, &c->subject_len, &c->flags);
    name_text(X509_get_issuer_name(x), c->issuer, sizeof c->issuer, &c->issuer_len, &c->flags);
    serial_text(x, c);

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(der, len, md, &mdlen, EVP_sha1(), NULL) && mdlen == 20) {
        struct tb t = {c->fingerprint, sizeof c->fingerprint, 0, false};
        tb_hex(&t, md, 20, false, ':');
    }
    time_text(X509_get0_notBefore(x), c->not_before, &c->not_before_s);
    time_text(X509_get0_notAfter(x), c->not_after, &c->not_after_s);
    san_list(x, c);
    X509_free(x);
    ERR_clear_error();
    return true;
}
