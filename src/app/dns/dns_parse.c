/* dns_parse.c - one DNS message into a struct dns_msg, and the content probes.
 *
 * RFC 1035 4.1 (header, question, resource records), 4.1.4 (compression), 2.3.4 (size limits);
 * RFC 3596 (AAAA), RFC 2782 (SRV), RFC 9460 (SVCB/HTTPS and their SvcParams), RFC 6891 (OPT),
 * RFC 3597 (unknown types), RFC 4255 (SSHFP).
 *
 * Every read of message bytes goes through core/vg_reader.h or an explicit bound check right next
 * to it. Names are read iteratively (never recursion): each compression pointer must point
 * strictly before the start of the segment that contains it, so targets strictly decrease and
 * the walk ends; DNS_HOP_LIMIT caps the hops and DNS_NAME_MAX the bytes copied, which bounds the
 * work per name whatever the input. Text is built straight into the arena (no intermediate copy).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "app/dns/dns.h"
#include "core/vg_anomaly.h"
#include "core/vg_reader.h"
#include "core/vg_status.h"

/* ---- arena ---------------------------------------------------------------------------------- */

void dns_arena_init(struct dns_arena *a, void *buf, size_t cap)
{
    a->buf = (uint8_t *)buf;
    a->cap = buf ? cap : 0;
    a->used = 0;
    a->full = false;
}

/* arena_alloc returns n bytes aligned for any struct of this module, or NULL (sets full). */
static void *arena_alloc(struct dns_arena *a, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    uintptr_t base = (uintptr_t)a->buf;
    size_t off = a->used;
    size_t pad = (size_t)((align - ((base + off) % align)) % align);
    if (pad > a->cap - off || n > a->cap - off - pad) {
        a->full = true;
        return NULL;
    }
    void *p = a->buf + off + pad;
    a->used = off + pad + n;
    return p;
}

struct arena_mark {
    size_t used;
    bool full;
};

static struct arena_mark arena_mark(const struct dns_arena *a)
{
    return (struct arena_mark){a->used, a->full};
}

static void arena_rollback(struct dns_arena *a, struct arena_mark m)
{
    a->used = m.used;
    a->full = m.full;
}

/* A string built in place at the arena's end; one builder at a time. One byte stays reserved for
 * the terminating NUL, so a builder that runs out still yields a valid (shortened) string. */
struct sb {
    struct dns_arena *a;
    size_t start;
    bool over;
};

static void sb_begin(struct sb *b, struct dns_arena *a)
{
    b->a = a;
    b->start = a->used;
    b->over = a->used >= a->cap;
    if (b->over) a->full = true;
}

static void sb_putc(struct sb *b, char c)
{
    if (!b || b->over) return;
    struct dns_arena *a = b->a;
    if (a->cap - a->used < 2) {
        b->over = true;
        a->full = true;
        return;
    }
    a->buf[a->used++] = (uint8_t)c;
}

static void sb_puts(struct sb *b, const char *s)
{
    while (b && *s)
        sb_putc(b, *s++);
}

static void sb_printf_u(struct sb *b, unsigned long v)
{
    char t[24];
    snprintf(t, sizeof t, "%lu", v);
    sb_puts(b, t);
}

static const char hexdig[] = "0123456789abcdef";

static void sb_hex(struct sb *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sb_putc(b, hexdig[p[i] >> 4]);
        sb_putc(b, hexdig[p[i] & 15]);
    }
}

static void sb_ddd(struct sb *b, uint8_t c)
{
    sb_putc(b, '\\');
    sb_putc(b, (char)('0' + c / 100));
    sb_putc(b, (char)('0' + (c / 10) % 10));
    sb_putc(b, (char)('0' + c % 10));
}

/* sb_end terminates the string and returns it ("" when not even the NUL fit). */
static const char *sb_end(struct sb *b)
{
    struct dns_arena *a = b->a;
    if (b->start >= a->cap) return "";
    if (a->used >= a->cap) { /* cannot happen: sb_putc keeps one byte */
        a->used = a->cap - 1;
    }
    a->buf[a->used++] = 0;
    return (const char *)a->buf + b->start;
}

/* Offset of the builder's current end, relative to its start (for pointers into the string). */
static size_t sb_len(const struct sb *b)
{
    return b->a->used - b->start;
}

/* ---- anomalies ------------------------------------------------------------------------------ */

void dns_msg_add_anomaly(struct dns_msg *m, int anom)
{
    if (!m) return;
    for (unsigned i = 0; i < m->nanom; i++)
        if (m->anom[i] == anom) return;
    if (m->nanom < DNS_MAX_ANOMALIES) m->anom[m->nanom++] = (uint16_t)anom;
}

bool dns_msg_has_anomaly(const struct dns_msg *m, int anom)
{
    for (unsigned i = 0; i < m->nanom; i++)
        if (m->anom[i] == anom) return true;
    return false;
}

void dns_msg_check_dir(struct dns_msg *m, int dir)
{
    if (dir == DNS_TOSERVER && m->qr) dns_msg_add_anomaly(m, ANOM_DNS_NOT_A_REQUEST);
    if (dir == DNS_TOCLIENT && !m->qr) dns_msg_add_anomaly(m, ANOM_DNS_NOT_A_RESPONSE);
}

/* ---- names ----------------------------------------------------------------------------------- */

enum name_rc { NAME_OK = 0, NAME_SHORT, NAME_BAD };

static void put_label(struct sb *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '.' || c == '\\') {
            sb_putc(b, '\\');
            sb_putc(b, (char)c);
        } else if (c > 0x20 && c < 0x7f) {
            sb_putc(b, (char)c);
        } else {
            sb_ddd(b, c);
        }
    }
}

/* read_name reads the name at msg[off]. Inline labels (before the first pointer) must end before
 * inline_end; labels reached through pointers may lie anywhere before len. On success *end is
 * the offset just past the name in its original place and *too_long tells whether the text was cut
 * at DNS_NAME_MAX. Text (if b) is appended to b; `root_dot` writes "." for the root name.
 * Anomalies go to m (may be NULL). NAME_SHORT: the bytes ran out (the probe may wait for more). */
static int read_name(const uint8_t *msg, size_t len, size_t off, size_t inline_end, struct sb *b,
                     bool root_dot, size_t *end, bool *too_long, struct dns_msg *m)
{
    size_t pos = off, seg = off;
    bool jumped = false, cut = false, any = false;
    unsigned hops = 0, wire = 1; /* the root's zero byte */
    *end = 0;
    *too_long = false;
    for (;;) {
        size_t lim = jumped ? len : inline_end;
        if (pos >= lim) {
            dns_msg_add_anomaly(m, ANOM_DNS_MALFORMED_DATA);
            return NAME_SHORT;
        }
        uint8_t c = msg[pos];
        if (c == 0) {
            if (!jumped) *end = pos + 1;
            break;
        }
        if ((c & 0xc0) == 0xc0) {
            if (pos + 1 >= lim) {
                dns_msg_add_anomaly(m, ANOM_DNS_MALFORMED_DATA);
                return NAME_SHORT;
            }
            size_t target = ((size_t)(c & 0x3f) << 8) | msg[pos + 1];
            if (!jumped) {
                *end = pos + 2;
                jumped = true;
            }
            /* Strictly before the current segment: forward pointers, self pointers and loops
             * (which need a pointer to a later or equal offset somewhere) all fail here. */
            if (target < 12) { /* into the header: no name lives there */
                dns_msg_add_anomaly(m, ANOM_DNS_MALFORMED_DATA);
                return NAME_BAD;
            }
            if (target >= seg || ++hops > DNS_HOP_LIMIT) {
                dns_msg_add_anomaly(m, ANOM_DNS_INFINITE_LOOP);
                return NAME_BAD;
            }
            if (cut) break; /* the end is known and the text is already cut */
            pos = seg = target;
            continue;
        }
        if (c & 0xc0) { /* 0x40 extended and 0x80 reserved label types (RFC 6891 obsoleted 0x40) */
            dns_msg_add_anomaly(m, ANOM_DNS_MALFORMED_DATA);
            return NAME_BAD;
        }
        if (c > lim - pos - 1) {
            dns_msg_add_anomaly(m, ANOM_DNS_MALFORMED_DATA);
            return NAME_SHORT;
        }
        if (!cut) {
            wire += 1u + c;
            if (wire > DNS_NAME_MAX) {
                cut = true;
                *too_long = true;
                dns_msg_add_anomaly(m, ANOM_DNS_NAME_TOO_LONG);
                if (jumped) break; /* end known; stop walking */
            } else {
                if (any) sb_putc(b, '.');
                put_label(b, msg + pos + 1, c);
                any = true;
            }
        }
        pos += 1u + c;
    }
    if (!any && root_dot) sb_putc(b, '.');
    return NAME_OK;
}

/* A name as its own arena string. On failure returns NULL (the arena is rolled back). */
static const char *name_str(const uint8_t *msg, size_t len, size_t off, size_t inline_end,
                            struct dns_arena *a, size_t *end, uint8_t *flags, uint8_t trunc_flag,
                            struct dns_msg *m)
{
    struct arena_mark mk = arena_mark(a);
    struct sb b;
    bool too_long;
    sb_begin(&b, a);
    if (read_name(msg, len, off, inline_end, &b, false, end, &too_long, m) != NAME_OK) {
        arena_rollback(a, mk);
        return NULL;
    }
    if (too_long) *flags |= trunc_flag;
    return sb_end(&b);
}

/* ---- type and rcode names ------------------------------------------------------------------- */

const char *dns_rrtype_str(uint16_t type, char *buf8)
{
    static const struct {
        uint16_t t;
        const char *s;
    } names[] = {
        {1, "A"},      {2, "NS"},        {3, "MD"},          {4, "MF"},     {5, "CNAME"},
        {6, "SOA"},    {7, "MB"},        {8, "MG"},          {9, "MR"},     {10, "NULL"},
        {11, "WKS"},   {12, "PTR"},      {13, "HINFO"},      {14, "MINFO"}, {15, "MX"},
        {16, "TXT"},   {17, "RP"},       {18, "AFSDB"},      {19, "X25"},   {20, "ISDN"},
        {21, "RT"},    {22, "NSAP"},     {23, "NSAPPTR"},    {24, "SIG"},   {25, "KEY"},
        {26, "PX"},    {27, "GPOS"},     {28, "AAAA"},       {29, "LOC"},   {30, "NXT"},
        {33, "SRV"},   {34, "ATMA"},     {35, "NAPTR"},      {36, "KX"},    {37, "CERT"},
        {38, "A6"},    {39, "DNAME"},    {41, "OPT"},        {42, "APL"},   {43, "DS"},
        {44, "SSHFP"}, {45, "IPSECKEY"}, {46, "RRSIG"},      {47, "NSEC"},  {48, "DNSKEY"},
        {49, "DHCID"}, {50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},  {55, "HIP"},
        {59, "CDS"},   {60, "CDNSKEY"},  {64, "SVCB"},       {65, "HTTPS"}, {99, "SPF"},
        {249, "TKEY"}, {250, "TSIG"},    {254, "MAILA"},     {255, "ANY"},  {256, "URI"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].t == type) return names[i].s;
    snprintf(buf8, 8, "%u", type);
    return buf8;
}

const char *dns_rcode_str(uint8_t rcode, char *buf8)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                        "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                        "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (rcode < sizeof names / sizeof names[0]) return names[rcode];
    snprintf(buf8, 8, "%u", rcode);
    return buf8;
}

/* ---- rdata ----------------------------------------------------------------------------------- */

/* The parse context of one message. */
struct pctx {
    const uint8_t *msg;
    size_t len;
    struct dns_arena *a;
    struct dns_msg *m;
};

/* RFC 3597 generic form into a fresh string. */
static const char *generic_rdata(struct pctx *c, const uint8_t *p, size_t n)
{
    struct sb b;
    sb_begin(&b, c->a);
    sb_puts(&b, "\\# ");
    sb_printf_u(&b, n);
    if (n) {
        sb_putc(&b, ' ');
        sb_hex(&b, p, n);
    }
    return sb_end(&b);
}

static void put_addr(struct sb *b, int af, const uint8_t *p)
{
    char t[INET6_ADDRSTRLEN];
    if (inet_ntop(af, p, t, sizeof t)) sb_puts(b, t);
}

static void base64(struct sb *b, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        sb_putc(b, tab[v >> 18]);
        sb_putc(b, tab[(v >> 12) & 63]);
        sb_putc(b, tab[(v >> 6) & 63]);
        sb_putc(b, tab[v & 63]);
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        sb_putc(b, tab[v >> 18]);
        sb_putc(b, tab[(v >> 12) & 63]);
        sb_putc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
        sb_putc(b, '=');
    }
}

static const char *svc_key_name(uint16_t key)
{
    switch (key) {
    case 0:
        return "mandatory";
    case 1:
        return "alpn";
    case 2:
        return "no-default-alpn";
    case 3:
        return "port";
    case 4:
        return "ipv4hint";
    case 5:
        return "ech";
    case 6:
        return "ipv6hint";
    }
    return NULL;
}

static void put_svc_key(struct sb *b, uint16_t key)
{
    const char *s = svc_key_name(key);
    if (s) {
        sb_puts(b, s);
    } else {
        sb_puts(b, "key");
        sb_printf_u(b, key);
    }
}

/* SvcParams (RFC 9460 2.2) as "key=value" words; false when malformed. */
static bool svc_params(struct sb *b, struct vg_reader *r)
{
    bool first = true;
    while (vg_rd_left(r) > 0) {
        uint16_t key, vlen;
        const uint8_t *v;
        if (!vg_rd_be16(r, &key) || !vg_rd_be16(r, &vlen) || !vg_rd_bytes(r, vlen, &v))
            return false;
        if (!first) sb_putc(b, ' ');
        first = false;
        put_svc_key(b, key);
        switch (key) {
        case 0: /* mandatory: list of keys */
            if (vlen == 0 || vlen % 2) return false;
            sb_putc(b, '=');
            for (size_t i = 0; i < vlen; i += 2) {
                if (i) sb_putc(b, ',');
                put_svc_key(b, vg_load_be16(v + i));
            }
            break;
        case 1: { /* alpn: length-prefixed ids */
            if (vlen == 0) return false;
            sb_putc(b, '=');
            size_t i = 0;
            while (i < vlen) {
                size_t l = v[i];
                if (l == 0 || l > vlen - i - 1) return false;
                if (i) sb_putc(b, ',');
                for (size_t k = 0; k < l; k++) {
                    uint8_t ch = v[i + 1 + k];
                    if (ch == ',' || ch == '\\') {
                        sb_putc(b, '\\');
                        sb_putc(b, (char)ch);
                    } else if (ch > 0x20 && ch < 0x7f) {
                        sb_putc(b, (char)ch);
                    } else {
                        sb_ddd(b, ch);
                    }
                }
                i += 1 + l;
            }
            break;
        }
        case 2: /* no-default-alpn: empty */
            if (vlen != 0) return false;
            break;
        case 3: /* port */
            if (vlen != 2) return false;
            sb_putc(b, '=');
            sb_printf_u(b, vg_load_be16(v));
            break;
        case 4: /* ipv4hint */
            if (vlen == 0 || vlen % 4) return false;
            sb_putc(b, '=');
            for (size_t i = 0; i < vlen; i += 4) {
                if (i) sb_putc(b, ',');
                put_addr(b, AF_INET, v + i);
            }
            break;
        case 5: /* ech: ECHConfigList, base64 as in presentation format */
            sb_putc(b, '=');
            base64(b, v, vlen);
            break;
        case 6: /* ipv6hint */
            if (vlen == 0 || vlen % 16) return false;
            sb_putc(b, '=');
            for (size_t i = 0; i < vlen; i += 16) {
                if (i) sb_putc(b, ',');
                put_addr(b, AF_INET6, v + i);
            }
            break;
        default:
            if (vlen) {
                sb_putc(b, '=');
                sb_hex(b, v, vlen);
            }
            break;
        }
    }
    return true;
}

/* decode_rdata fills rr->rdata and rr->u from the rdata at [rs, rs + rdlen). Returns false when
 * the rdata does not decode for its type (the caller falls back to the generic form). */
static bool decode_rdata(struct pctx *c, struct dns_rr *rr, size_t rs, size_t rdlen)
{
    const uint8_t *p = c->msg + rs;
    size_t re = rs + rdlen;
    struct dns_arena *a = c->a;
    struct sb b;
    size_t end;
    bool too_long;
    struct vg_reader r;
    vg_rd_init(&r, p, rdlen);

    switch (rr->type) {
    case DNS_TYPE_A:
        if (rdlen != 4) return false;
        memcpy(rr->u.addr, p, 4);
        sb_begin(&b, a);
        put_addr(&b, AF_INET, p);
        rr->rdata = sb_end(&b);
        return true;
    case DNS_TYPE_AAAA:
        if (rdlen != 16) return false;
        memcpy(rr->u.addr, p, 16);
        sb_begin(&b, a);
        put_addr(&b, AF_INET6, p);
        rr->rdata = sb_end(&b);
        return true;
    case DNS_TYPE_CNAME:
    case DNS_TYPE_NS:
    case DNS_TYPE_PTR:
    case DNS_TYPE_DNAME:
    case 3:
    case 4:
    case 7:
    case 8:
    case 9: /* MD MF MB MG MR: one name */
        rr->rdata = name_str(c->msg, c->len, rs, re, a, &end, &rr->flags, DNS_RR_RDATA_TRUNC, c->m);
        if (!rr->rdata || end != re) return false;
        rr->u.target = rr->rdata;
        return true;
    case DNS_TYPE_MX: {
        uint16_t pref;
        if (!vg_rd_be16(&r, &pref)) return false;
        sb_begin(&b, a);
        sb_printf_u(&b, pref);
        sb_putc(&b, ' ');
        size_t at = sb_len(&b);
        if (read_name(c->msg, c->len, rs + 2, re, &b, true, &end, &too_long, c->m) != NAME_OK ||
            end != re)
            return false;
        if (too_long) rr->flags |= DNS_RR_RDATA_TRUNC;
        rr->rdata = sb_end(&b);
        rr->u.mx.pref = pref;
        rr->u.mx.exchange = strlen(rr->rdata) >= at ? rr->rdata + at : "";
        return true;
    }
    case DNS_TYPE_TXT: {
        /* Count the strings first, so that the pointer array precedes the text. */
        size_t n = 0, i = 0;
        while (i < rdlen) {
            if (p[i] > rdlen - i - 1) return false;
            i += 1u + p[i];
            n++;
        }
        const char **arr = NULL;
        if (n) {
            arr = arena_alloc(a, n * sizeof *arr);
            if (!arr) {
                rr->flags |= DNS_RR_RDATA_TRUNC;
                n = 0;
            }
        }
        i = 0;
        for (size_t k = 0; k < n; k++) {
            size_t l = p[i];
            sb_begin(&b, a);
            for (size_t j = 0; j < l; j++) {
                uint8_t ch = p[i + 1 + j];
                if (ch == '\\') {
                    sb_putc(&b, '\\');
                    sb_putc(&b, '\\');
                } else if (ch >= 0x20 && ch < 0x7f) {
                    sb_putc(&b, (char)ch);
                } else {
                    sb_ddd(&b, ch);
                }
            }
            arr[k] = sb_end(&b);
            i += 1 + l;
        }
        rr->u.txt.count = (uint16_t)n;
        rr->u.txt.s = arr;
        /* dig's presentation: "a" "b" */
        sb_begin(&b, a);
        i = 0;
        while (i < rdlen) {
            size_t l = p[i];
            if (i) sb_putc(&b, ' ');
            sb_putc(&b, '"');
            for (size_t j = 0; j < l; j++) {
                uint8_t ch = p[i + 1 + j];
                if (ch == '"' || ch == '\\') {
                    sb_putc(&b, '\\');
                    sb_putc(&b, (char)ch);
                } else if (ch >= 0x20 && ch < 0x7f) {
                    sb_putc(&b, (char)ch);
                } else {
                    sb_ddd(&b, ch);
                }
            }
            sb_putc(&b, '"');
            i += 1 + l;
        }
        rr->rdata = sb_end(&b);
        return true;
    }
    case DNS_TYPE_SOA: {
        uint8_t fl = 0;
        size_t e1, e2;
        const char *mname = name_str(c->msg, c->len, rs, re, a, &e1, &fl, DNS_RR_RDATA_TRUNC, c->m);
        if (!mname) return false;
        const char *rname = name_str(c->msg, c->len, e1, re, a, &e2, &fl, DNS_RR_RDATA_TRUNC, c->m);
        if (!rname) return false;
        struct vg_reader t;
        vg_rd_init(&t, c->msg, re);
        t.off = e2;
        uint32_t v[5];
        for (int k = 0; k < 5; k++)
            if (!vg_rd_be32(&t, &v[k])) return false;
        if (vg_rd_left(&t) != 0) return false;
        rr->flags |= fl;
        rr->u.soa.mname = mname;
        rr->u.soa.rname = rname;
        rr->u.soa.serial = v[0];
        rr->u.soa.refresh = v[1];
        rr->u.soa.retry = v[2];
        rr->u.soa.expire = v[3];
        rr->u.soa.minimum = v[4];
        sb_begin(&b, a);
        sb_puts(&b, *mname ? mname : ".");
        sb_putc(&b, ' ');
        sb_puts(&b, *rname ? rname : ".");
        for (int k = 0; k < 5; k++) {
            sb_putc(&b, ' ');
            sb_printf_u(&b, v[k]);
        }
        rr->rdata = sb_end(&b);
        return true;
    }
    case DNS_TYPE_SRV: {
        uint16_t pr, w, port;
        if (!vg_rd_be16(&r, &pr) || !vg_rd_be16(&r, &w) || !vg_rd_be16(&r, &port)) return false;
        sb_begin(&b, a);
        sb_printf_u(&b, pr);
        sb_putc(&b, ' ');
        sb_printf_u(&b, w);
        sb_putc(&b, ' ');
        sb_printf_u(&b, port);
        sb_putc(&b, ' ');
        size_t at = sb_len(&b);
        if (read_name(c->msg, c->len, rs + 6, re, &b, true, &end, &too_long, c->m) != NAME_OK ||
            end != re)
            return false;
        if (too_long) rr->flags |= DNS_RR_RDATA_TRUNC;
        rr->rdata = sb_end(&b);
        rr->u.srv.priority = pr;
        rr->u.srv.weight = w;
        rr->u.srv.port = port;
        rr->u.srv.target = strlen(rr->rdata) >= at ? rr->rdata + at : "";
        return true;
    }
    case DNS_TYPE_SVCB:
    case DNS_TYPE_HTTPS: {
        uint16_t pr;
        if (!vg_rd_be16(&r, &pr)) return false;
        sb_begin(&b, a);
        sb_printf_u(&b, pr);
        sb_putc(&b, ' ');
        size_t at = sb_len(&b);
        if (read_name(c->msg, c->len, rs + 2, re, &b, true, &end, &too_long, c->m) != NAME_OK)
            return false;
        if (too_long) rr->flags |= DNS_RR_RDATA_TRUNC;
        size_t tend = sb_len(&b);
        struct vg_reader pr_r;
        vg_rd_init(&pr_r, c->msg + end, re - end);
        size_t pat = 0;
        if (vg_rd_left(&pr_r) > 0) {
            sb_putc(&b, ' ');
            pat = sb_len(&b);
            if (!svc_params(&b, &pr_r)) return false;
        }
        rr->rdata = sb_end(&b);
        size_t tl = strlen(rr->rdata);
        rr->u.svcb.priority = pr;
        /* target and params are views into rdata; the target gets its own copy (rdata goes on). */
        struct sb tb;
        sb_begin(&tb, a);
        for (size_t k = at; k < tend && k < tl; k++)
            sb_putc(&tb, rr->rdata[k]);
        rr->u.svcb.target = sb_end(&tb);
        rr->u.svcb.params = pat && pat <= tl ? rr->rdata + pat : "";
        return true;
    }
    case DNS_TYPE_SSHFP: {
        uint8_t algo, fpt;
        if (!vg_rd_u8(&r, &algo) || !vg_rd_u8(&r, &fpt)) return false;
        sb_begin(&b, a);
        sb_printf_u(&b, algo);
        sb_putc(&b, ' ');
        sb_printf_u(&b, fpt);
        sb_putc(&b, ' ');
        size_t at = sb_len(&b);
        sb_hex(&b, p + 2, rdlen - 2);
        rr->rdata = sb_end(&b);
        rr->u.sshfp.algo = algo;
        rr->u.sshfp.fptype = fpt;
        rr->u.sshfp.hex = strlen(rr->rdata) >= at ? rr->rdata + at : "";
        return true;
    }
    case DNS_TYPE_OPT: {
        /* Count the options, then keep them as (code, hex). */
        size_t n = 0;
        struct vg_reader t = r;
        while (vg_rd_left(&t) > 0) {
            uint16_t code, olen;
            if (!vg_rd_be16(&t, &code) || !vg_rd_be16(&t, &olen) || !vg_rd_skip(&t, olen))
                return false;
            n++;
        }
        struct dns_edns_opt *opts = NULL;
        if (n) {
            opts = arena_alloc(a, n * sizeof *opts);
            if (!opts) {
                rr->flags |= DNS_RR_RDATA_TRUNC;
                n = 0;
            }
        }
        for (size_t k = 0; k < n; k++) {
            uint16_t code = 0, olen = 0;
            const uint8_t *od = NULL;
            (void)(vg_rd_be16(&r, &code) && vg_rd_be16(&r, &olen) && vg_rd_bytes(&r, olen, &od));
            opts[k].code = code;
            sb_begin(&b, a);
            sb_hex(&b, od, olen);
            opts[k].hex = sb_end(&b);
        }
        rr->u.opt.count = (uint16_t)n;
        rr->u.opt.opts = opts;
        sb_begin(&b, a);
        sb_puts(&b, "udp=");
        sb_printf_u(&b, rr->rclass);
        sb_puts(&b, " ext_rcode=");
        sb_printf_u(&b, rr->ttl >> 24);
        sb_puts(&b, " version=");
        sb_printf_u(&b, (rr->ttl >> 16) & 0xff);
        sb_puts(&b, " flags=");
        sb_hex(&b, (const uint8_t[]){(uint8_t)(rr->ttl >> 8), (uint8_t)rr->ttl}, 2);
        for (size_t k = 0; k < n; k++) {
            sb_puts(&b, " opt");
            sb_printf_u(&b, opts[k].code);
            sb_putc(&b, '=');
            sb_puts(&b, opts[k].hex);
        }
        rr->rdata = sb_end(&b);
        return true;
    }
    case DNS_TYPE_NULL: /* opaque: text in generic form, bytes kept for EVE (Suricata logs them) */
        if (rdlen) {
            uint8_t *cp = arena_alloc(a, rdlen);
            if (cp) {
                memcpy(cp, p, rdlen);
                rr->u.raw.p = cp;
                rr->u.raw.len = (uint16_t)rdlen;
            } else {
                rr->flags |= DNS_RR_RDATA_TRUNC;
            }
        }
        rr->rdata = generic_rdata(c, p, rdlen);
        return true;
    default:
        rr->rdata = generic_rdata(c, p, rdlen);
        return true;
    }
}

/* ---- records --------------------------------------------------------------------------------- */

static const int section_anomaly[DNS_SEC_COUNT] = {
    ANOM_DNS_MALFORMED_DATA, ANOM_DNS_INVALID_AUTHORITIES, ANOM_DNS_INVALID_ADDITIONALS};

/* parse_rr reads the record at r->off into rr (NULL: parse and drop). false: the framing of the
 * message is lost (owner name or fixed fields or rdata length bad) and parsing must stop. */
static bool parse_rr(struct pctx *c, struct vg_reader *r, int sec, struct dns_rr *rr)
{
    struct dns_msg *m = c->m;
    size_t end, nstart = r->off;
    uint8_t flags = 0;
    const char *name = NULL;
    if (rr) {
        name = name_str(c->msg, c->len, r->off, c->len, c->a, &end, &flags, DNS_RR_NAME_TRUNC, m);
        if (!name) return false;
    } else {
        bool tl;
        if (read_name(c->msg, c->len, r->off, c->len, NULL, false, &end, &tl, m) != NAME_OK)
            return false;
    }
    r->off = end;
    uint16_t type, rclass, rdlen;
    uint32_t ttl;
    if (!vg_rd_be16(r, &type) || !vg_rd_be16(r, &rclass) || !vg_rd_be32(r, &ttl) ||
        !vg_rd_be16(r, &rdlen) || !vg_rd_has(r, rdlen)) {
        dns_msg_add_anomaly(m, section_anomaly[sec]);
        return false;
    }
    size_t rs = r->off;
    r->off += rdlen;

    if (type == DNS_TYPE_OPT) {
        if (sec != DNS_SEC_ADDITIONAL || m->has_edns || c->msg[nstart] != 0) {
            /* RFC 6891 6.1.1: one OPT, owner root, additional section only. */
            dns_msg_add_anomaly(m, ANOM_DNS_INVALID_ADDITIONALS);
        } else {
            m->has_edns = true;
            m->edns_udp_size = rclass;
            m->edns_version = (uint8_t)(ttl >> 16);
            m->edns_do = (ttl & 0x8000) != 0;
            m->ext_rcode = (uint16_t)(((ttl >> 24) << 4) | m->rcode);
        }
    }
    if (!rr) return true;

    memset(rr, 0, sizeof *rr);
    rr->name = name;
    rr->type = type;
    rr->rclass = rclass;
    rr->ttl = ttl;
    rr->rdlen = rdlen;
    rr->flags = flags;
    struct arena_mark mk = arena_mark(c->a);
    if (!decode_rdata(c, rr, rs, rdlen)) {
        /* Framing is intact (rdlength was in bounds): keep the record in generic form. */
        arena_rollback(c->a, mk);
        memset(&rr->u, 0, sizeof rr->u);
        rr->flags |= DNS_RR_BAD_RDATA;
        rr->flags &= (uint8_t)~DNS_RR_RDATA_TRUNC;
        dns_msg_add_anomaly(m, ANOM_DNS_MALFORMED_DATA);
        rr->rdata = generic_rdata(c, c->msg + rs, rdlen);
    }
    if (c->a->full) rr->flags |= DNS_RR_RDATA_TRUNC;
    return true;
}

/* ---- message --------------------------------------------------------------------------------- */

int dns_parse_message(const uint8_t *msg, size_t len, struct dns_msg *out, struct dns_arena *arena)
{
    memset(out, 0, sizeof *out);
    if (!msg || !arena) {
        if (!msg) len = 0;
        if (!arena) return VG_ERR_USAGE;
    }
    struct vg_reader r;
    vg_rd_init(&r, msg, len);
    uint16_t id, flags, qd, an, ns, ar;
    if (!vg_rd_be16(&r, &id) || !vg_rd_be16(&r, &flags) || !vg_rd_be16(&r, &qd) ||
        !vg_rd_be16(&r, &an) || !vg_rd_be16(&r, &ns) || !vg_rd_be16(&r, &ar)) {
        dns_msg_add_anomaly(out, ANOM_DNS_MALFORMED_DATA);
        out->malformed = true;
        out->wire_len = len;
        return VG_ERR_TRUNCATED;
    }
    out->id = id;
    out->flags = flags;
    out->qr = (flags & 0x8000) != 0;
    out->opcode = (uint8_t)((flags >> 11) & 0xf);
    out->aa = (flags & 0x0400) != 0;
    out->tc = (flags & 0x0200) != 0;
    out->rd = (flags & 0x0100) != 0;
    out->ra = (flags & 0x0080) != 0;
    out->z = (flags & 0x0040) != 0;
    out->ad = (flags & 0x0020) != 0;
    out->cd = (flags & 0x0010) != 0;
    out->rcode = (uint8_t)(flags & 0xf);
    out->ext_rcode = out->rcode;
    out->qdcount = qd;
    out->ancount = an;
    out->nscount = ns;
    out->arcount = ar;
    if (out->z) dns_msg_add_anomaly(out, ANOM_DNS_Z_FLAG_SET);
    if (out->opcode == 3 || out->opcode > 6) dns_msg_add_anomaly(out, ANOM_DNS_INVALID_OPCODE);

    struct pctx c = {msg, len, arena, out};
    bool prev_full = arena->full; /* `full` now tracks this message only */
    arena->full = false;
    for (unsigned i = 0; i < qd; i++) {
        size_t end;
        uint8_t fl = 0;
        const char *name = NULL;
        bool keep = i < DNS_MAX_QUESTIONS;
        if (keep) {
            name = name_str(msg, len, r.off, len, arena, &end, &fl, DNS_RR_NAME_TRUNC, out);
            if (!name) goto bad_question;
        } else {
            bool tl;
            if (read_name(msg, len, r.off, len, NULL, false, &end, &tl, out) != NAME_OK)
                goto bad_question;
            if (!out->truncated) dns_msg_add_anomaly(out, ANOM_DNS_TOO_MANY_RECORDS);
            out->truncated = true;
        }
        r.off = end;
        uint16_t qt, qc;
        if (!vg_rd_be16(&r, &qt) || !vg_rd_be16(&r, &qc)) {
            dns_msg_add_anomaly(out, ANOM_DNS_MALFORMED_DATA);
            goto bad_question;
        }
        if (keep) {
            struct dns_question *q = &out->q[out->nq++];
            q->name = name;
            q->type = qt;
            q->qclass = qc;
            q->flags = fl;
        }
    }

    const uint16_t counts[DNS_SEC_COUNT] = {an, ns, ar};
    for (int s = 0; s < DNS_SEC_COUNT; s++) {
        unsigned want = counts[s];
        if (!want) continue;
        /* Each record takes at least 11 bytes: more than fit cannot all be real. */
        size_t fit = vg_rd_left(&r) / 11;
        size_t nalloc = want;
        if (nalloc > DNS_MAX_RRS) nalloc = DNS_MAX_RRS;
        if (nalloc > fit) nalloc = fit;
        struct dns_rr *arr = nalloc ? arena_alloc(arena, nalloc * sizeof *arr) : NULL;
        if (!arr) nalloc = 0;
        out->rr[s] = arr;
        for (unsigned i = 0; i < want; i++) {
            struct dns_rr *rr = i < nalloc ? &arr[out->nrr[s]] : NULL;
            if (!parse_rr(&c, &r, s, rr)) {
                dns_msg_add_anomaly(out, section_anomaly[s]);
                out->malformed = true;
                goto done;
            }
            if (rr) {
                out->nrr[s]++;
            } else if (!dns_msg_has_anomaly(out, ANOM_DNS_TOO_MANY_RECORDS)) {
                /* parsed but not kept: the per-section cap (or the arena, seen below) */
                if (i >= DNS_MAX_RRS) dns_msg_add_anomaly(out, ANOM_DNS_TOO_MANY_RECORDS);
                out->truncated = true;
            }
        }
    }
done:
    if (arena->full) {
        out->truncated = true;
        dns_msg_add_anomaly(out, ANOM_DNS_ARENA_FULL);
    }
    arena->full = arena->full || prev_full;
    out->wire_len = r.off;
    return VG_OK;

bad_question:
    dns_msg_add_anomaly(out, ANOM_DNS_MALFORMED_DATA);
    out->malformed = true;
    if (arena->full) {
        out->truncated = true;
        dns_msg_add_anomaly(out, ANOM_DNS_ARENA_FULL);
    }
    arena->full = arena->full || prev_full;
    out->wire_len = r.off;
    return VG_ERR_FORMAT;
}

/* ---- probes ---------------------------------------------------------------------------------- */

static bool known_class(uint16_t qc)
{
    qc &= 0x7fff; /* mDNS unicast-response bit */
    return qc == 1 || qc == 3 || qc == 4 || qc == 254 || qc == 255;
}

/* probe_msg looks at the first `avail` bytes of a message of `msglen` bytes. */
static int probe_msg(const uint8_t *d, size_t avail, size_t msglen)
{
    if (msglen < 12) return VG_DECLINED;
    if (avail < 12) return VG_AGAIN;
    uint16_t flags = vg_load_be16(d + 2), qd = vg_load_be16(d + 4), an = vg_load_be16(d + 6),
             ns = vg_load_be16(d + 8), ar = vg_load_be16(d + 10);
    unsigned opcode = (flags >> 11) & 0xf;
    bool qr = (flags & 0x8000) != 0;
    if (opcode > 5 || opcode == 3) return VG_DECLINED;
    if (qd == 0 || qd > DNS_MAX_QUESTIONS) return VG_DECLINED;
    /* Every question takes >= 5 bytes, every record >= 11. */
    if ((size_t)qd * 5 + ((size_t)an + ns + ar) * 11 > msglen - 12) return VG_DECLINED;
    if (!qr && opcode == 0 && (an || ns || ar > 2 || (flags & 0xf))) return VG_DECLINED;
    size_t end;
    bool tl;
    int rc = read_name(d, avail, 12, avail, NULL, false, &end, &tl, NULL);
    if (rc == NAME_SHORT) return avail < msglen ? VG_AGAIN : VG_DECLINED;
    if (rc != NAME_OK) return VG_DECLINED;
    if (avail - end < 4) return avail < msglen ? VG_AGAIN : VG_DECLINED;
    uint16_t qt = vg_load_be16(d + end), qc = vg_load_be16(d + end + 2);
    if (qt == 0 || !known_class(qc)) return VG_DECLINED;
    return VG_OK;
}

int dns_probe_udp(const uint8_t *data, size_t len)
{
    if (!data || len < 12) return VG_DECLINED;
    return probe_msg(data, len, len);
}

int dns_probe_tcp(const uint8_t *data, size_t len)
{
    if (!data || len < 2) return VG_AGAIN;
    size_t msglen = vg_load_be16(data);
    size_t avail = len - 2 < msglen ? len - 2 : msglen;
    return probe_msg(data + 2, avail, msglen);
}
