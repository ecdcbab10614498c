/* ioc_load.c - indicator files: plain lists, CSV with a type column, STIX 2.1 bundles.
 *
 * Plain list: one indicator per line; blank lines and lines starting with '#' are skipped, and
 * " #..." after an indicator is a comment. The type is guessed (ioc.c). A line with more than one
 * token is malformed (it is more often a mistake than a second column worth ignoring).
 * CSV (RFC 4180 without multi-line fields): a header naming the indicator column ("indicator",
 * "value" or "ioc") and optionally a "type" column (ioc_type_parse names; empty = guess); other
 * columns are ignored. '#' lines are comments.
 * STIX 2.1 (OASIS STIX 2.1, section 9 patterning): a bundle (or one object, or an array of
 * objects) parsed with jansson; objects of type "indicator" with pattern_type "stix" (or none) and
 * a pattern made of equality comparisons joined by OR, inside one or several [...] observation
 * expressions: ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value,
 * x509-certificate:hashes.'SHA-1' (or SHA1), and for TLS fingerprints the custom objects
 * x-ja3:hash / x-ja3:value / x-ja3-hash:value and x-ja4:fingerprint / x-ja4:value /
 * x-ja4-fingerprint:value, or a network-traffic extension property named ja3 / ja3_hash / ja4
 * (network-traffic:extensions.'x-tls'.ja3). Revoked indicators and other pattern types are
 * skipped; other operators (AND, LIKE, MATCHES, qualifiers) make the indicator malformed. The
 * source line of a STIX indicator is the line of its "id".
 * Every malformed line or object is reported with file:line and skipped; the rest loads.
 */
#include "intel/intel.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

struct loader {
    struct ioc_set *s;
    const char *name;
    int src;
    unsigned allowed;
    ioc_error_fn on_err;
    void *ud;
    struct ioc_load_stats *st;
};

static void report(struct loader *L, unsigned line, unsigned col, bool warning, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

static void report(struct loader *L, unsigned line, unsigned col, bool warning, const char *fmt,
                   ...)
{
    if (warning)
        L->st->skipped++;
    else
        L->st->errors++;
    if (!L->on_err) return;
    struct ioc_error e;
    e.file = L->name;
    e.line = line;
    e.col = col;
    e.warning = warning;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    L->on_err(L->ud, &e);
}

/* Adds one indicator of the given type (or guessed); reports errors. Types outside L->allowed
 * are refused before anything is added. Returns VG_ERR_NOMEM to stop, else VG_OK. */
static int add_checked(struct loader *L, int type, const char *t, size_t n, unsigned line,
                       unsigned col)
{
    char err[160];
    int shown = (int)(n > 80 ? 80 : n);
    if (L->allowed) {
        int got = ioc_classify(type, t, n, err, sizeof err);
        if (got < 0) {
            report(L, line, col, false, "%s: '%.*s%s'", err, shown, t, n > 80 ? "..." : "");
            return VG_OK;
        }
        if (!(L->allowed & (1u << got))) {
            report(L, line, col, false,
                   "%s indicators are not accepted here (addresses, CIDRs and domains only)",
                   ioc_type_name(got));
            return VG_OK;
        }
    }
    int got = -1;
    int rc = ioc_set_add(L->s, type, t, n, L->src, line, &got, err, sizeof err);
    if (rc == VG_ERR_NOMEM) return rc;
    if (rc == VG_ERR_FORMAT || rc == VG_ERR_USAGE) {
        report(L, line, col, false, "%s: '%.*s%s'", rc == VG_ERR_USAGE ? "set is frozen" : err,
               shown, t, n > 80 ? "..." : "");
        return VG_OK;
    }
    if (rc == VG_DECLINED) {
        L->st->duplicates++;
        return VG_OK;
    }
    L->st->added++;
    if (got >= 0 && got < IOC_TYPE_COUNT) {
        L->st->by_type[got]++;
        const char *sl = memchr(t, '/', n);
        if ((got == IOC_IPV4 || got == IOC_IPV6) && sl) {
            /* "/32" and "/128" are host addresses, not prefixes */
            size_t pl = n - (size_t)(sl + 1 - t);
            bool host =
                (got == IOC_IPV4 && pl == 2 && sl[1] == '3' && sl[2] == '2') ||
                (got == IOC_IPV6 && pl == 3 && sl[1] == '1' && sl[2] == '2' && sl[3] == '8');
            if (!host) L->st->prefixes++;
        }
    }
    return VG_OK;
}

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* ---- plain list ---- */

static int load_list(struct loader *L, const char *d, size_t len)
{
    unsigned line = 0;
    const char *p = d, *end = d + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        const char *ls = p, *a = p, *b = le;
        p = nl ? nl + 1 : end;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        if (a == b || *a == '#') continue;
        L->st->lines++;
        /* the token, then an optional comment */
        const char *te = a;
        while (te < b && !is_space(*te))
            te++;
        const char *rest = te;
        while (rest < b && is_space(*rest))
            rest++;
        if (rest < b && *rest != '#') {
            report(L, line, (unsigned)(rest - ls) + 1, false,
                   "unexpected text after the indicator: '%.*s'",
                   (int)((b - rest) > 60 ? 60 : (b - rest)), rest);
            continue;
        }
        if (add_checked(L, IOC_TYPE_GUESS, a, (size_t)(te - a), line, (unsigned)(a - ls) + 1) ==
            VG_ERR_NOMEM)
            return VG_ERR_NOMEM;
    }
    return VG_OK;
}

/* ---- CSV ---- */

#define CSV_MAX_FIELDS 64

struct csv_field {
    const char *p;
    size_t n;
    bool quoted; /* unescaping needed ("" → ") */
};

/* Splits one line into fields. Returns the field count, or -1 for an unterminated quote. */
static int csv_split(const char *a, const char *b, struct csv_field *f, int max)
{
    int n = 0;
    const char *p = a;
    for (;;) {
        if (n == max) return n;
        while (p < b && (*p == ' ' || *p == '\t'))
            p++;
        if (p < b && *p == '"') {
            const char *q = p + 1;
            for (;;) {
                if (q >= b) return -1;
                if (*q == '"') {
                    if (q + 1 < b && q[1] == '"') {
                        q += 2;
                        continue;
                    }
                    break;
                }
                q++;
            }
            f[n].p = p + 1;
            f[n].n = (size_t)(q - p - 1);
            f[n].quoted = true;
            n++;
            p = q + 1;
            while (p < b && *p != ',')
                p++;
        } else {
            const char *q = p;
            while (q < b && *q != ',')
                q++;
            const char *e = q;
            while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
            f[n].p = p;
            f[n].n = (size_t)(e - p);
            f[n].quoted = false;
            n++;
            p = q;
        }
        if (p >= b) return n;
        p++; /* the comma */
    }
}

static size_t csv_value(const struct csv_field *f, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < f->n && o + 1 < cap; i++) {
        out[o++] = f->p[i];
        if (f->quoted && f->p[i] == '"' && i + 1 < f->n && f->p[i + 1] == '"') i++;
    }
    out[o] = '\0';
    return o;
}

static bool name_is(const struct csv_field *f, const char *lit)
{
    size_t m = strlen(lit);
    if (f->n != m) return false;
    for (size_t i = 0; i < m; i++) {
        char c = f->p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return false;
    }
    return true;
}

static int load_csv(struct loader *L, const char *d, size_t len)
{
    unsigned line = 0;
    const char *p = d, *end = d + len;
    int col_ind = -1, col_type = -1;
    bool header = false;
    struct csv_field f[CSV_MAX_FIELDS];
    char val[4096];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        const char *a = p, *b = le;
        p = nl ? nl + 1 : end;
        while (b > a && (b[-1] == '\r' || b[-1] == ' ' || b[-1] == '\t'))
            b--;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        if (a == b || *a == '#') continue;
        int nf = csv_split(a, b, f, CSV_MAX_FIELDS);
        if (!header) {
            header = true;
            for (int i = 0; i < nf; i++) {
                if (col_ind < 0 && (name_is(&f[i], "indicator") || name_is(&f[i], "value") ||
                                    name_is(&f[i], "ioc")))
                    col_ind = i;
                else if (col_type < 0 && name_is(&f[i], "type"))
                    col_type = i;
            }
            if (col_ind < 0) {
                report(L, line, 1, false,
                       "CSV header names no indicator column (indicator, value or ioc)");
                return VG_ERR_FORMAT;
            }
            continue;
        }
        L->st->lines++;
        if (nf < 0) {
            report(L, line, 1, false, "unterminated quoted field");
            continue;
        }
        if (col_ind >= nf || f[col_ind].n == 0) {
            report(L, line, 1, false, "no value in the indicator column");
            continue;
        }
        int type = IOC_TYPE_GUESS;
        if (col_type >= 0 && col_type < nf) {
            size_t tn = csv_value(&f[col_type], val, sizeof val);
            type = ioc_type_parse(val, tn);
            if (type == -2) {
                report(L, line, (unsigned)(f[col_type].p - a) + 1, false,
                       "unknown indicator type '%.*s'", (int)(tn > 40 ? 40 : tn), val);
                continue;
            }
        }
        size_t vn = csv_value(&f[col_ind], val, sizeof val);
        if (add_checked(L, type, val, vn, line, (unsigned)(f[col_ind].p - a) + 1) == VG_ERR_NOMEM)
            return VG_ERR_NOMEM;
    }
    if (!header) return VG_OK; /* an empty file */
    return VG_OK;
}

/* ---- STIX 2.1 ---- */

struct line_cursor {
    const char *base;
    size_t len;
    size_t pos;
    unsigned line;
};

/* The line of the first occurrence of needle at or after the cursor (else from the start). */
static unsigned line_of(struct line_cursor *c, const char *needle)
{
    size_t nn = strlen(needle);
    if (!nn) return 1;
    const char *hit = memmem(c->base + c->pos, c->len - c->pos, needle, nn);
    if (!hit) {
        hit = memmem(c->base, c->len, needle, nn);
        if (!hit) return 1;
        c->pos = 0;
        c->line = 1;
    }
    size_t at = (size_t)(hit - c->base);
    for (size_t i = c->pos; i < at; i++)
        c->line += c->base[i] == '\n';
    c->pos = at;
    return c->line;
}

/* STIX pattern tokens */
struct pat {
    const char *p, *end;
};

static void skip_ws(struct pat *t)
{
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r'))
        t->p++;
}

static bool kw(struct pat *t, const char *k)
{
    skip_ws(t);
    size_t n = strlen(k);
    if ((size_t)(t->end - t->p) < n || strncmp(t->p, k, n) != 0) return false;
    char nx = t->p + n < t->end ? t->p[n] : ' ';
    if ((nx >= 'A' && nx <= 'Z') || (nx >= 'a' && nx <= 'z') || nx == '_') return false;
    t->p += n;
    return true;
}

/* Maps an object path to a type; -2 unsupported. */
static int stix_path_type(const char *path, size_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(path, lit, n) == 0)
    if (IS("ipv4-addr:value")) return IOC_IPV4;
    if (IS("ipv6-addr:value")) return IOC_IPV6;
    if (IS("domain-name:value")) return IOC_DOMAIN;
    if (IS("url:value")) return IOC_URL;
    if (IS("x509-certificate:hashes.'SHA-1'") || IS("x509-certificate:hashes.SHA1") ||
        IS("x509-certificate:hashes.'SHA1'") || IS("x509-certificate:hashes.\"SHA-1\"") ||
        IS("x509-certificate:hashes.'sha1'") || IS("x509-certificate:hashes.'sha-1'"))
        return IOC_CERT_SHA1;
    if (IS("x-ja3:hash") || IS("x-ja3:value") || IS("x-ja3-hash:value")) return IOC_JA3;
    if (IS("x-ja4:fingerprint") || IS("x-ja4:value") || IS("x-ja4-fingerprint:value"))
        return IOC_JA4;
#undef IS
    static const char nt[] = "network-traffic:extensions.";
    if (n > sizeof nt - 1 && memcmp(path, nt, sizeof nt - 1) == 0) {
        const char *dot = NULL;
        for (size_t i = n; i > sizeof nt - 1; i--)
            if (path[i - 1] == '.') {
                dot = path + i - 1;
                break;
            }
        if (dot && dot > path + sizeof nt - 1) {
            size_t pl = (size_t)(path + n - dot - 1);
            if ((pl == 3 && memcmp(dot + 1, "ja3", 3) == 0) ||
                (pl == 8 && memcmp(dot + 1, "ja3_hash", 8) == 0))
                return IOC_JA3;
            if (pl == 3 && memcmp(dot + 1, "ja4", 3) == 0) return IOC_JA4;
        }
    }
    return -2;
}

/* One comparison "path = 'value'". dry: only checks the syntax; else adds the indicator (an
 * unsupported observable is reported as a warning). Returns 1 ok, 0 syntax error (msg), -1 OOM. */
static int stix_comparison(struct loader *L, struct pat *t, unsigned line, bool dry, char *msg,
                           size_t ml)
{
    skip_ws(t);
    const char *ps = t->p;
    while (t->p < t->end) { /* the object path: up to whitespace or an operator */
        char c = *t->p;
        if (c == '\'') { /* a quoted property name: hashes.'SHA-1' */
            t->p++;
            while (t->p < t->end && *t->p != '\'')
                t->p++;
            if (t->p < t->end) t->p++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '=' || c == '!' || c == '<' || c == '>' || c == ']' ||
            c == '\n' || c == '\r')
            break;
        t->p++;
    }
    const char *pe = t->p;
    if (pe == ps || !memchr(ps, ':', (size_t)(pe - ps))) {
        snprintf(msg, ml, "pattern: expected an object path (type:property)");
        return 0;
    }
    skip_ws(t);
    if (t->p >= t->end || *t->p != '=' || (t->p + 1 < t->end && t->p[1] == '=')) {
        snprintf(msg, ml,
                 "pattern: only equality comparisons ([type:property = 'value']) are supported");
        return 0;
    }
    t->p++;
    skip_ws(t);
    if (t->p >= t->end || *t->p != '\'') {
        snprintf(msg, ml, "pattern: expected a quoted string after '='");
        return 0;
    }
    t->p++;
    char val[4096];
    size_t vn = 0;
    for (;;) {
        if (t->p >= t->end) {
            snprintf(msg, ml, "pattern: unterminated string");
            return 0;
        }
        char c = *t->p++;
        if (c == '\'') break;
        if (c == '\\' && t->p < t->end) c = *t->p++;
        if (vn < sizeof val - 1) val[vn++] = c;
    }
    if (dry) return 1;
    int type = stix_path_type(ps, (size_t)(pe - ps));
    if (type == -2) {
        report(L, line, 0, true, "STIX observable '%.*s' is not supported: skipped",
               (int)((pe - ps) > 60 ? 60 : (pe - ps)), ps);
        return 1;
    }
    if (add_checked(L, type, val, vn, line, 0) == VG_ERR_NOMEM) return -1;
    return 1;
}

/* The whole pattern: obs (OR obs)*, obs = '[' cmp (OR cmp)* ']'. Checked whole first (dry), so
 * that a malformed pattern adds nothing. 1 ok, 0 syntax error, -1 OOM. */
static int stix_pattern(struct loader *L, const char *pattern, unsigned line, char *msg, size_t ml)
{
    for (int pass = 0; pass < 2; pass++) {
        bool dry = pass == 0;
        struct pat t = {pattern, pattern + strlen(pattern)};
        for (;;) {
            skip_ws(&t);
            if (t.p >= t.end || *t.p != '[') {
                snprintf(msg, ml, "pattern: expected '['");
                return 0;
            }
            t.p++;
            for (;;) {
                int r = stix_comparison(L, &t, line, dry, msg, ml);
                if (r <= 0) return r;
                if (kw(&t, "OR")) continue;
                skip_ws(&t);
                if (t.p < t.end && *t.p == ']') {
                    t.p++;
                    break;
                }
                snprintf(msg, ml,
                         "pattern: only comparisons joined by OR are supported (no AND, no other "
                         "operators)");
                return 0;
            }
            skip_ws(&t);
            if (t.p >= t.end) break;
            if (kw(&t, "OR")) continue;
            snprintf(msg, ml,
                     "pattern: only observations joined by OR are supported (no AND, FOLLOWEDBY "
                     "or qualifiers)");
            return 0;
        }
    }
    return 1;
}

static int stix_object(struct loader *L, json_t *o, struct line_cursor *lc)
{
    if (!json_is_object(o)) return VG_OK;
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type || strcmp(type, "indicator") != 0) return VG_OK;
    L->st->lines++;
    const char *id = json_string_value(json_object_get(o, "id"));
    unsigned line = id ? line_of(lc, id) : 1;
    if (json_is_true(json_object_get(o, "revoked"))) {
        L->st->skipped++;
        return VG_OK;
    }
    const char *ptype = json_string_value(json_object_get(o, "pattern_type"));
    if (ptype && strcmp(ptype, "stix") != 0) {
        L->st->skipped++;
        return VG_OK;
    }
    const char *pattern = json_string_value(json_object_get(o, "pattern"));
    if (!pattern) {
        report(L, line, 0, false, "indicator %s has no pattern string", id ? id : "(no id)");
        return VG_OK;
    }
    char msg[160];
    int r = stix_pattern(L, pattern, line, msg, sizeof msg);
    if (r < 0) return VG_ERR_NOMEM;
    if (r == 0) report(L, line, 0, false, "%s in \"%.60s\"", msg, pattern);
    return VG_OK;
}

static int load_stix(struct loader *L, const char *d, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(d, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        report(L, (unsigned)(je.line > 0 ? je.line : 0), (unsigned)(je.column > 0 ? je.column : 0),
               false, "not valid JSON: %s", je.text);
        return VG_ERR_FORMAT;
    }
    struct line_cursor lc = {d, len, 0, 1};
    int rc = VG_OK;
    json_t *objs = NULL;
    if (json_is_array(root))
        objs = root;
    else if (json_is_object(root))
        objs = json_object_get(root, "objects");
    if (json_is_array(objs)) {
        size_t i;
        json_t *o;
        json_array_foreach(objs, i, o)
        {
            rc = stix_object(L, o, &lc);
            if (rc != VG_OK) break;
        }
    } else if (json_is_object(root) && json_object_get(root, "pattern")) {
        rc = stix_object(L, root, &lc);
    } else {
        report(L, 1, 0, false,
               "JSON is neither a STIX bundle, an array of objects nor an indicator");
        rc = VG_ERR_FORMAT;
    }
    json_decref(root);
    return rc;
}

/* ---- entry points ---- */

static bool starts_header(const char *d, size_t len)
{
    const char *p = d, *end = d + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *a = p;
        while (a < le && is_space(*a))
            a++;
        if (a < le && *a != '#') {
            static const char *const heads[] = {"indicator,", "value,", "ioc,", "\"indicator\",",
                                                "type,"};
            for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
                size_t hn = strlen(heads[i]);
                if ((size_t)(le - a) >= hn && strncasecmp(a, heads[i], hn) == 0) return true;
            }
            return false;
        }
        p = nl ? nl + 1 : end;
    }
    return false;
}

int ioc_load_buffer(struct ioc_set *s, const char *name, const char *data, size_t len, int fmt,
                    unsigned allowed, ioc_error_fn on_err, void *ud, struct ioc_load_stats *st)
{
    struct ioc_load_stats dummy;
    if (!st) {
        memset(&dummy, 0, sizeof dummy);
        st = &dummy;
    }
    if (!s || (!data && len)) return VG_ERR_USAGE;
    struct loader L = {s, name ? name : "-", 0, allowed, on_err, ud, st};
    L.src = ioc_set_source(s, L.name);
    if (L.src < 0) return VG_ERR_NOMEM;
    if (fmt == IOC_FMT_AUTO) {
        size_t i = 0;
        if (len >= 3 && (unsigned char)data[0] == 0xef && (unsigned char)data[1] == 0xbb &&
            (unsigned char)data[2] == 0xbf)
            i = 3; /* UTF-8 BOM */
        while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
            i++;
        if (i < len && (data[i] == '{' || data[i] == '['))
            fmt = IOC_FMT_STIX;
        else if (starts_header(data + i, len - i))
            fmt = IOC_FMT_CSV;
        else
            fmt = IOC_FMT_LIST;
    }
    if (len >= 3 && (unsigned char)data[0] == 0xef && (unsigned char)data[1] == 0xbb &&
        (unsigned char)data[2] == 0xbf && fmt != IOC_FMT_STIX) {
        data += 3;
        len -= 3;
    }
    switch (fmt) {
    case IOC_FMT_LIST:
        return load_list(&L, data, len);
    case IOC_FMT_CSV:
        return load_csv(&L, data, len);
    case IOC_FMT_STIX:
        return load_stix(&L, data, len);
    default:
        return VG_ERR_USAGE;
    }
}

int ioc_load_file(struct ioc_set *s, const char *path, int fmt, unsigned allowed,
                  ioc_error_fn on_err, void *ud, struct ioc_load_stats *st)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!fp) goto ioerr;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 1 << 16;
            char *nb = vg_realloc(buf, nc + 1);
            if (!nb) {
                fclose(fp);
                vg_free(buf);
                return VG_ERR_NOMEM;
            }
            buf = nb;
            cap = nc;
        }
        size_t r = fread(buf + len, 1, cap - len, fp);
        len += r;
        if (r == 0) break;
    }
    if (ferror(fp)) {
        fclose(fp);
        goto ioerr;
    }
    fclose(fp);
    buf[len] = '\0';
    int rc = ioc_load_buffer(s, path, buf, len, fmt, allowed, on_err, ud, st);
    vg_free(buf);
    return rc;
ioerr:
    vg_free(buf);
    if (on_err) {
        struct ioc_error e;
        e.file = path;
        e.line = 0;
        e.col = 0;
        e.warning = false;
        snprintf(e.msg, sizeof e.msg, "cannot read: %s", strerror(errno));
        on_err(ud, &e);
    }
    if (st) st->errors++;
    return VG_ERR_IO;
}
