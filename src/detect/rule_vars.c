/* rule_vars.c - rule variables ($HOME_NET, $HTTP_PORTS, ...) and the address and port groups of
 * the rule header, resolved into sorted range sets.
 *
 * Grammar (Suricata's, detect-engine-address.c / detect-engine-port.c):
 *   spec    := element | element (',' element)*            (a top-level list needs no brackets)
 *   element := '!'* ( '[' spec ']' | '$' NAME | 'any' | value )
 *   address value: a.b.c.d[/len|/mask], a.b.c.d-e.f.g.h, IPv6[/len], IPv6-IPv6
 *   port value:    N, N:M, N:, :M (0..65535)
 * A group is the union of its plain elements (or everything when it has none) minus the union
 * of its negated elements: [1.2.3.0/24,![1.2.3.4,1.2.3.5]] is the /24 without two hosts, and
 * !$HOME_NET is everything outside HOME_NET. A group that leaves nothing is an error.
 *
 * Bounds: nesting of brackets and of variables inside variables is capped by max_depth (the
 * recursion is on that cap, never on input length); a variable that refers back to itself is
 * reported as a loop; set operations are O(n log n) in the number of elements, and the number of
 * elements is bounded by the line cap.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

/* ---- the variable table --------------------------------------------------------------------- */

#define VARS_MAX 1024
#define VAR_VALUE_MAX 65536
#define VAR_NAME_MAX 64

struct rule_var {
    char *name;
    char *value;
};

struct rule_vars {
    struct rule_var *v;
    size_t n, cap;
};

/* suricata.yaml (7.0) vars: address-groups and port-groups. SIP_SERVERS/SIP_PORTS are not in
 * suricata.yaml but ET Open uses them: $HOME_NET and 5060/5061. */
static struct rule_var default_vars[] = {
    {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
    {"EXTERNAL_NET", "!$HOME_NET"},
    {"HTTP_SERVERS", "$HOME_NET"},
    {"SMTP_SERVERS", "$HOME_NET"},
    {"SQL_SERVERS", "$HOME_NET"},
    {"DNS_SERVERS", "$HOME_NET"},
    {"TELNET_SERVERS", "$HOME_NET"},
    {"AIM_SERVERS", "$EXTERNAL_NET"},
    {"DC_SERVERS", "$HOME_NET"},
    {"DNP3_SERVER", "$HOME_NET"},
    {"DNP3_CLIENT", "$HOME_NET"},
    {"MODBUS_CLIENT", "$HOME_NET"},
    {"MODBUS_SERVER", "$HOME_NET"},
    {"ENIP_CLIENT", "$HOME_NET"},
    {"ENIP_SERVER", "$HOME_NET"},
    {"SIP_SERVERS", "$HOME_NET"},
    {"HTTP_PORTS", "80"},
    {"SHELLCODE_PORTS", "!80"},
    {"ORACLE_PORTS", "1521"},
    {"SSH_PORTS", "22"},
    {"DNP3_PORTS", "20000"},
    {"MODBUS_PORTS", "502"},
    {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
    {"FTP_PORTS", "21"},
    {"GENEVE_PORTS", "6081"},
    {"VXLAN_PORTS", "4789"},
    {"TEREDO_PORTS", "3544"},
    {"SIP_PORTS", "[5060,5061]"},
};

static const struct rule_vars g_defaults = {default_vars,
                                            sizeof default_vars / sizeof default_vars[0],
                                            sizeof default_vars / sizeof default_vars[0]};

/* Read-only: nothing writes through the table (rule_vars_set works on copies from
 * rule_vars_new); it is non-const only because struct rule_var holds plain pointers. */
const struct rule_vars *rule_vars__default(void)
{
    return &g_defaults;
}

static bool valid_var_name(const char *name, size_t n)
{
    if (n == 0 || n > VAR_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
    }
    return true;
}

struct rule_vars *rule_vars_new(void)
{
    struct rule_vars *v = vg_calloc(1, sizeof *v);
    if (!v) return NULL;
    const struct rule_vars *d = rule_vars__default();
    for (size_t i = 0; i < d->n; i++) {
        if (rule_vars_set(v, d->v[i].name, d->v[i].value) != VG_OK) {
            rule_vars_free(v);
            return NULL;
        }
    }
    return v;
}

void rule_vars_free(struct rule_vars *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        vg_free(v->v[i].name);
        vg_free(v->v[i].value);
    }
    vg_free(v->v);
    vg_free(v);
}

static struct rule_var *find_var(const struct rule_vars *v, const char *name, size_t n)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strlen(v->v[i].name) == n && memcmp(v->v[i].name, name, n) == 0) return &v->v[i];
    }
    return NULL;
}

int rule_vars_set(struct rule_vars *v, const char *name, const char *value)
{
    if (!v || !name || !value) return VG_ERR_USAGE;
    if (name[0] == '$') name++;
    size_t n = strlen(name);
    if (!valid_var_name(name, n)) return VG_ERR_USAGE;
    if (strlen(value) > VAR_VALUE_MAX) return VG_ERR_LIMIT;
    char *val = vg_strdup(value);
    if (!val) return VG_ERR_NOMEM;
    struct rule_var *e = find_var(v, name, n);
    if (e) {
        vg_free(e->value);
        e->value = val;
        return VG_OK;
    }
    if (v->n >= VARS_MAX) {
        vg_free(val);
        return VG_ERR_LIMIT;
    }
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        struct rule_var *nv = vg_realloc(v->v, cap * sizeof *nv);
        if (!nv) {
            vg_free(val);
            return VG_ERR_NOMEM;
        }
        v->v = nv;
        v->cap = cap;
    }
    char *nm = vg_strdup(name);
    if (!nm) {
        vg_free(val);
        return VG_ERR_NOMEM;
    }
    v->v[v->n].name = nm;
    v->v[v->n].value = val;
    v->n++;
    return VG_OK;
}

const char *rule_vars_get(const struct rule_vars *v, const char *name)
{
    if (!v || !name) return NULL;
    if (name[0] == '$') name++;
    const struct rule_var *e = find_var(v, name, strlen(name));
    return e ? e->value : NULL;
}

/* ---- range sets ----------------------------------------------------------------------------- */

struct u128 {
    uint64_t hi, lo;
};

static inline int u128_cmp(struct u128 a, struct u128 b)
{
    if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
    return 0;
}

static inline struct u128 u128_inc(struct u128 a)
{
    a.lo++;
    if (a.lo == 0) a.hi++;
    return a;
}

static inline struct u128 u128_dec(struct u128 a)
{
    if (a.lo == 0) a.hi--;
    a.lo--;
    return a;
}

struct rr {
    struct u128 lo, hi;
};

struct rset {
    struct rr *r;
    size_t n, cap;
};

static void rset_fini(struct rset *s)
{
    vg_free(s->r);
    memset(s, 0, sizeof *s);
}

#define RSET_MAX (1u << 20) /* ranges in one set: bounds memory whatever the variables hold */

static int rset_add(struct rset *s, struct u128 lo, struct u128 hi)
{
    if (s->n >= RSET_MAX) return VG_ERR_LIMIT;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct rr *nr = vg_realloc(s->r, cap * sizeof *nr);
        if (!nr) return VG_ERR_NOMEM;
        s->r = nr;
        s->cap = cap;
    }
    s->r[s->n].lo = lo;
    s->r[s->n].hi = hi;
    s->n++;
    return VG_OK;
}

static int rr_cmp(const void *a, const void *b)
{
    return u128_cmp(((const struct rr *)a)->lo, ((const struct rr *)b)->lo);
}

/* Sorts and merges overlapping or adjacent ranges. */
static void rset_norm(struct rset *s)
{
    if (s->n < 2) return;
    qsort(s->r, s->n, sizeof *s->r, rr_cmp);
    size_t w = 0;
    for (size_t i = 1; i < s->n; i++) {
        struct rr *cur = &s->r[w];
        const struct rr *nx = &s->r[i];
        /* adjacent when nx.lo <= cur.hi + 1 (careful with the all-ones top) */
        bool touch =
            u128_cmp(nx->lo, cur->hi) <= 0 || (cur->hi.hi != UINT64_MAX || cur->hi.lo != UINT64_MAX
                                                   ? u128_cmp(nx->lo, u128_inc(cur->hi)) == 0
                                                   : true);
        if (touch) {
            if (u128_cmp(nx->hi, cur->hi) > 0) cur->hi = nx->hi;
        } else {
            s->r[++w] = *nx;
        }
    }
    s->n = w + 1;
}

/* out = [0, max] minus s (s normalised). */
static int rset_complement(const struct rset *s, struct u128 max, struct rset *out)
{
    struct u128 next = {0, 0};
    bool done = false;
    for (size_t i = 0; i < s->n && !done; i++) {
        if (u128_cmp(s->r[i].lo, next) > 0) {
            int rc = rset_add(out, next, u128_dec(s->r[i].lo));
            if (rc) return rc;
        }
        if (u128_cmp(s->r[i].hi, max) >= 0)
            done = true;
        else
            next = u128_inc(s->r[i].hi);
    }
    if (!done) return rset_add(out, next, max);
    return VG_OK;
}

/* out = a minus b (both normalised): a intersected with the complement of b. */
static int rset_subtract(const struct rset *a, const struct rset *b, struct u128 max,
                         struct rset *out)
{
    struct rset nb = {0};
    int rc = rset_complement(b, max, &nb);
    size_t i = 0, j = 0;
    while (rc == VG_OK && i < a->n && j < nb.n) {
        struct u128 lo = u128_cmp(a->r[i].lo, nb.r[j].lo) > 0 ? a->r[i].lo : nb.r[j].lo;
        struct u128 hi = u128_cmp(a->r[i].hi, nb.r[j].hi) < 0 ? a->r[i].hi : nb.r[j].hi;
        if (u128_cmp(lo, hi) <= 0) rc = rset_add(out, lo, hi);
        if (u128_cmp(a->r[i].hi, nb.r[j].hi) < 0)
            i++;
        else
            j++;
    }
    rset_fini(&nb);
    return rc;
}

static int rset_append(struct rset *dst, const struct rset *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = rset_add(dst, src->r[i].lo, src->r[i].hi);
        if (rc) return rc;
    }
    return VG_OK;
}

/* ---- the group evaluator -------------------------------------------------------------------- */

enum { FAM4, FAM6, FAMS }; /* addresses use both families, ports only FAM4 with max 65535 */

struct gval {
    struct rset f[FAMS];
};

static void gval_fini(struct gval *g)
{
    for (int i = 0; i < FAMS; i++)
        rset_fini(&g->f[i]);
}

struct gctx {
    const struct rule_vars *vars;
    bool ports;
    unsigned max_depth;
    const char *stack[32]; /* variables being expanded, for loop detection */
    unsigned nstack;
    struct gval *cache; /* per variable (index in vars): its value, evaluated once per spec, so
                           that variables built from variables cost linear, not exponential, work */
    bool *cached;
    char *why;
    size_t whylen;
    size_t why_off; /* offset in the outermost spec */
    int status;
};

static struct u128 fam_max(const struct gctx *c, int fam)
{
    if (c->ports) return (struct u128){0, 65535};
    return fam == FAM4 ? (struct u128){0, 0xffffffffu} : (struct u128){UINT64_MAX, UINT64_MAX};
}

#define TOK(n) ((int)((n) > 64 ? 64 : (n)))

static int fail(struct gctx *c, size_t off, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct gctx *c, size_t off, int status, const char *fmt, ...)
{
    if (c->status == VG_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why, c->whylen, fmt, ap);
        va_end(ap);
        c->why_off = off;
        c->status = status;
    }
    return c->status;
}

static int gval_any(struct gctx *c, struct gval *g)
{
    int rc = rset_add(&g->f[FAM4], (struct u128){0, 0}, fam_max(c, FAM4));
    if (rc == VG_OK && !c->ports) rc = rset_add(&g->f[FAM6], (struct u128){0, 0}, fam_max(c, FAM6));
    return rc;
}

/* Parses one address literal s[0..n). */
static int parse_addr_value(struct gctx *c, const char *s, size_t n, size_t off, struct gval *g)
{
    char buf[128];
    if (n == 0) return fail(c, off, VG_ERR_FORMAT, "empty address");
    if (n >= sizeof buf) return fail(c, off, VG_ERR_FORMAT, "invalid address '%.*s'", TOK(n), s);
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *dash = strchr(buf, '-');
    char *slash = strchr(buf, '/');
    struct in_addr a4, b4;
    struct in6_addr a6, b6;
    if (dash) {
        *dash = '\0';
        const char *b = dash + 1;
        if (inet_pton(AF_INET, buf, &a4) == 1 && inet_pton(AF_INET, b, &b4) == 1) {
            uint32_t lo = ntohl(a4.s_addr), hi = ntohl(b4.s_addr);
            if (lo > hi)
                return fail(c, off, VG_ERR_FORMAT, "address range '%.*s' is reversed", TOK(n), s);
            return rset_add(&g->f[FAM4], (struct u128){0, lo}, (struct u128){0, hi});
        }
        if (inet_pton(AF_INET6, buf, &a6) == 1 && inet_pton(AF_INET6, b, &b6) == 1) {
            struct u128 lo = {0, 0}, hi = {0, 0};
            for (int i = 0; i < 8; i++) {
                lo.hi = lo.hi << 8 | a6.s6_addr[i];
                lo.lo = lo.lo << 8 | a6.s6_addr[i + 8];
                hi.hi = hi.hi << 8 | b6.s6_addr[i];
                hi.lo = hi.lo << 8 | b6.s6_addr[i + 8];
            }
            if (u128_cmp(lo, hi) > 0)
                return fail(c, off, VG_ERR_FORMAT, "address range '%.*s' is reversed", TOK(n), s);
            return rset_add(&g->f[FAM6], lo, hi);
        }
        return fail(c, off, VG_ERR_FORMAT, "invalid address range '%.*s'", TOK(n), s);
    }
    int plen = -1;
    const char *mask = NULL;
    if (slash) {
        *slash = '\0';
        mask = slash + 1;
    }
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        uint32_t a = ntohl(a4.s_addr);
        if (mask) {
            struct in_addr m4;
            char *end;
            if (strchr(mask, '.')) {
                if (inet_pton(AF_INET, mask, &m4) != 1)
                    return fail(c, off, VG_ERR_FORMAT, "invalid netmask in '%.*s'", TOK(n), s);
                uint32_t m = ntohl(m4.s_addr);
                if (m != 0 && (~m & (~m + 1)) != 0) /* not of the form 1..10..0 */
                    return fail(c, off, VG_ERR_FORMAT, "non-contiguous netmask in '%.*s'", TOK(n),
                                s);
                plen = 0;
                while (plen < 32 && (m & (0x80000000u >> plen)))
                    plen++;
            } else {
                if (!isdigit((unsigned char)mask[0]))
                    return fail(c, off, VG_ERR_FORMAT, "invalid prefix length in '%.*s'", TOK(n),
                                s);
                long v = strtol(mask, &end, 10);
                if (*end || v < 0 || v > 32)
                    return fail(c, off, VG_ERR_FORMAT, "invalid prefix length in '%.*s'", TOK(n),
                                s);
                plen = (int)v;
            }
        } else {
            plen = 32;
        }
        uint32_t m = plen == 0 ? 0 : 0xffffffffu << (32 - plen);
        uint32_t lo = a & m, hi = lo | ~m;
        return rset_add(&g->f[FAM4], (struct u128){0, lo}, (struct u128){0, hi});
    }
    if (inet_pton(AF_INET6, buf, &a6) == 1) {
        if (mask) {
            char *end;
            if (!isdigit((unsigned char)mask[0]))
                return fail(c, off, VG_ERR_FORMAT, "invalid prefix length in '%.*s'", TOK(n), s);
            long v = strtol(mask, &end, 10);
            if (*end || v < 0 || v > 128)
                return fail(c, off, VG_ERR_FORMAT, "invalid prefix length in '%.*s'", TOK(n), s);
            plen = (int)v;
        } else {
            plen = 128;
        }
        struct u128 lo = {0, 0};
        for (int i = 0; i < 8; i++) {
            lo.hi = lo.hi << 8 | a6.s6_addr[i];
            lo.lo = lo.lo << 8 | a6.s6_addr[i + 8];
        }
        uint64_t mh, ml;
        if (plen >= 64) {
            mh = UINT64_MAX;
            ml = plen == 128 ? UINT64_MAX : (plen == 64 ? 0 : UINT64_MAX << (128 - plen));
        } else {
            mh = plen == 0 ? 0 : UINT64_MAX << (64 - plen);
            ml = 0;
        }
        struct u128 l = {lo.hi & mh, lo.lo & ml};
        struct u128 h = {l.hi | ~mh, l.lo | ~ml};
        return rset_add(&g->f[FAM6], l, h);
    }
    return fail(c, off, VG_ERR_FORMAT, "invalid address '%.*s'", TOK(n), s);
}

static bool parse_port_num(const char *s, size_t n, uint32_t *v)
{
    if (n == 0 || n > 5) return false;
    uint32_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        x = x * 10 + (uint32_t)(s[i] - '0');
    }
    if (x > 65535) return false;
    *v = x;
    return true;
}

static int parse_port_value(struct gctx *c, const char *s, size_t n, size_t off, struct gval *g)
{
    if (n == 0) return fail(c, off, VG_ERR_FORMAT, "empty port");
    const char *colon = memchr(s, ':', n);
    uint32_t lo, hi;
    if (!colon) {
        if (!parse_port_num(s, n, &lo))
            return fail(c, off, VG_ERR_FORMAT, "invalid port '%.*s'", TOK(n), s);
        hi = lo;
    } else {
        size_t ln = (size_t)(colon - s), rn = n - ln - 1;
        if (ln == 0 && rn == 0)
            return fail(c, off, VG_ERR_FORMAT, "invalid port range '%.*s'", TOK(n), s);
        if (ln == 0)
            lo = 0;
        else if (!parse_port_num(s, ln, &lo))
            return fail(c, off, VG_ERR_FORMAT, "invalid port range '%.*s'", TOK(n), s);
        if (rn == 0)
            hi = 65535;
        else if (!parse_port_num(colon + 1, rn, &hi))
            return fail(c, off, VG_ERR_FORMAT, "invalid port range '%.*s'", TOK(n), s);
        if (lo > hi) return fail(c, off, VG_ERR_FORMAT, "port range '%.*s' is reversed", TOK(n), s);
    }
    return rset_add(&g->f[FAM4], (struct u128){0, lo}, (struct u128){0, hi});
}

static int eval_list(struct gctx *c, const char *s, size_t n, size_t *p, size_t base,
                     unsigned depth, bool bracketed, struct gval *out);

static int gval_copy(struct gval *dst, const struct gval *src)
{
    for (int f = 0; f < FAMS; f++) {
        int rc = rset_append(&dst->f[f], &src->f[f]);
        if (rc) return rc;
    }
    return VG_OK;
}

/* Expands $NAME: the value is parsed as a spec of its own, one level deeper. */
static int eval_var(struct gctx *c, const char *name, size_t nlen, size_t off, unsigned depth,
                    struct gval *out)
{
    const struct rule_var *v = find_var(c->vars, name, nlen);
    if (!v) return fail(c, off, VG_ERR_FORMAT, "undefined variable '$%.*s'", TOK(nlen), name);
    size_t idx = (size_t)(v - c->vars->v);
    if (c->cached && c->cached[idx]) return gval_copy(out, &c->cache[idx]);
    for (unsigned i = 0; i < c->nstack; i++) {
        if (c->stack[i] == v->name)
            return fail(c, off, VG_ERR_FORMAT, "variable '$%.*s' refers to itself", TOK(nlen),
                        name);
    }
    if (depth + 1 > c->max_depth || c->nstack >= sizeof c->stack / sizeof c->stack[0])
        return fail(c, off, VG_ERR_LIMIT, "variables nested too deeply at '$%.*s'", TOK(nlen),
                    name);
    if (!c->cache) {
        c->cache = vg_calloc(c->vars->n, sizeof *c->cache);
        c->cached = vg_calloc(c->vars->n, sizeof *c->cached);
        if (!c->cache || !c->cached) return fail(c, off, VG_ERR_NOMEM, "out of memory");
    }
    c->stack[c->nstack++] = v->name;
    size_t p = 0, vlen = strlen(v->value);
    struct gval val = {0};
    int rc = eval_list(c, v->value, vlen, &p, off, depth + 1, false, &val);
    c->nstack--;
    if (rc != VG_OK && c->why_off == off && c->status == rc) {
        /* name the variable in errors that come from its value */
        char tmp[RULE_ERR_MSG];
        snprintf(tmp, sizeof tmp, "in $%.*s: %s", TOK(nlen), name, c->why);
        snprintf(c->why, c->whylen, "%s", tmp);
    }
    if (rc == VG_OK) {
        while (p < vlen && isspace((unsigned char)v->value[p]))
            p++;
        if (p < vlen) rc = fail(c, off, VG_ERR_FORMAT, "invalid value of '$%.*s'", TOK(nlen), name);
    }
    if (rc == VG_OK) {
        for (int f = 0; f < FAMS; f++)
            rset_norm(&val.f[f]);
        rc = gval_copy(out, &val);
    }
    if (rc == VG_OK) {
        c->cache[idx] = val;
        c->cached[idx] = true;
    } else {
        gval_fini(&val);
    }
    return rc;
}

/* One element at s[*p]: '!'* ( '[' list ']' | '$' NAME | any | value ). Positions in messages
 * are base + offset when base is not SIZE_MAX (inside a variable all errors point at the
 * variable in the rule). */
static int eval_elem(struct gctx *c, const char *s, size_t n, size_t *p, size_t base,
                     unsigned depth, struct gval *out, bool *neg)
{
    size_t i = *p;
    *neg = false;
    while (i < n && (s[i] == '!' || isspace((unsigned char)s[i]))) {
        if (s[i] == '!') *neg = !*neg;
        i++;
    }
    size_t at = base != SIZE_MAX ? base : i;
    if (i >= n)
        return fail(c, at, VG_ERR_FORMAT, "missing %s after '!' or ','",
                    c->ports ? "port" : "address");
    if (s[i] == '[') {
        if (depth + 1 > c->max_depth)
            return fail(c, at, VG_ERR_LIMIT, "groups nested deeper than the limit");
        i++;
        int rc = eval_list(c, s, n, &i, base, depth + 1, true, out);
        if (rc) return rc;
        if (i >= n || s[i] != ']')
            return fail(c, base != SIZE_MAX ? base : i, VG_ERR_FORMAT, "missing ']'");
        *p = i + 1;
        return VG_OK;
    }
    size_t st = i;
    while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '[' && !isspace((unsigned char)s[i]))
        i++;
    *p = i;
    size_t tl = i - st;
    if (tl == 0) return fail(c, at, VG_ERR_FORMAT, "unexpected '%c'", s[st]);
    if (s[st] == '$') return eval_var(c, s + st + 1, tl - 1, at, depth, out);
    if (tl == 3 && strncasecmp(s + st, "any", 3) == 0) return gval_any(c, out);
    if (c->ports) return parse_port_value(c, s + st, tl, at, out);
    return parse_addr_value(c, s + st, tl, at, out);
}

static int eval_list(struct gctx *c, const char *s, size_t n, size_t *p, size_t base,
                     unsigned depth, bool bracketed, struct gval *out)
{
    struct gval pos = {0}, neg = {0};
    bool have_pos = false, have_any = false;
    size_t i = *p;
    int rc = VG_OK;
    for (;;) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i < n && s[i] == ']' && bracketed && !have_pos && !have_any) {
            rc = fail(c, base != SIZE_MAX ? base : i, VG_ERR_FORMAT, "empty group");
            break;
        }
        struct gval e = {0};
        bool en;
        rc = eval_elem(c, s, n, &i, base, depth, &e, &en);
        if (rc == VG_OK) {
            struct gval *dst = en ? &neg : &pos;
            for (int f = 0; f < FAMS && rc == VG_OK; f++)
                rc = rset_append(&dst->f[f], &e.f[f]);
            if (en)
                have_any = true;
            else
                have_pos = true;
        }
        gval_fini(&e);
        if (rc) break;
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        break;
    }
    *p = i;
    if (rc == VG_OK && bracketed && (i >= n || s[i] != ']'))
        rc = i >= n ? fail(c, base != SIZE_MAX ? base : i, VG_ERR_FORMAT, "missing ']'")
                    : fail(c, base != SIZE_MAX ? base : i, VG_ERR_FORMAT, "unexpected '%c'", s[i]);
    if (rc == VG_OK && !have_pos) rc = gval_any(c, &pos);
    for (int f = 0; f < FAMS && rc == VG_OK; f++) {
        rset_norm(&pos.f[f]);
        rset_norm(&neg.f[f]);
        if (neg.f[f].n == 0) {
            rc = rset_append(&out->f[f], &pos.f[f]);
        } else {
            rc = rset_subtract(&pos.f[f], &neg.f[f], fam_max(c, f), &out->f[f]);
        }
    }
    gval_fini(&pos);
    gval_fini(&neg);
    return rc;
}

static int eval_spec(struct gctx *c, const char *spec, size_t len, struct gval *g)
{
    size_t p = 0;
    int rc = eval_list(c, spec, len, &p, SIZE_MAX, 0, false, g);
    if (rc == VG_OK) {
        while (p < len && isspace((unsigned char)spec[p]))
            p++;
        if (p < len) rc = fail(c, p, VG_ERR_FORMAT, "unexpected '%c'", spec[p]);
    }
    if (rc == VG_OK) {
        for (int f = 0; f < FAMS; f++)
            rset_norm(&g->f[f]);
        if (g->f[FAM4].n == 0 && g->f[FAM6].n == 0)
            rc = fail(c, 0, VG_ERR_FORMAT, "%s group matches nothing",
                      c->ports ? "port" : "address");
    }
    return rc;
}

/* Releases the variable cache; gives a message to failures that have none (a set cap, memory). */
static int gctx_done(struct gctx *c, int rc)
{
    if (c->cache && c->cached) {
        for (size_t i = 0; i < c->vars->n; i++) {
            if (c->cached[i]) gval_fini(&c->cache[i]);
        }
    }
    vg_free(c->cache);
    vg_free(c->cached);
    if (rc != VG_OK && c->status == VG_OK) {
        snprintf(c->why, c->whylen, "%s",
                 rc == VG_ERR_LIMIT ? "group too large (more than 1048576 ranges)"
                                    : "out of memory");
        c->why_off = 0;
    }
    return rc;
}

static bool is_full(const struct rset *s, struct u128 max)
{
    return s->n == 1 && s->r[0].lo.hi == 0 && s->r[0].lo.lo == 0 && u128_cmp(s->r[0].hi, max) == 0;
}

int rule_vars__addr(const struct rule_vars *v, const char *spec, size_t len, unsigned max_depth,
                    struct rule_addr *out, char *why, size_t whylen, size_t *why_off)
{
    struct gctx c = {0};
    c.vars = v ? v : rule_vars__default();
    c.max_depth = max_depth ? max_depth : 16;
    c.why = why;
    c.whylen = whylen;
    memset(out, 0, sizeof *out);
    struct gval g = {0};
    int rc = eval_spec(&c, spec, len, &g);
    if (rc == VG_OK) {
        out->n4 = (uint32_t)g.f[FAM4].n;
        out->n6 = (uint32_t)g.f[FAM6].n;
        out->v4 = out->n4 ? vg_malloc(out->n4 * sizeof *out->v4) : NULL;
        out->v6 = out->n6 ? vg_malloc(out->n6 * sizeof *out->v6) : NULL;
        if ((out->n4 && !out->v4) || (out->n6 && !out->v6)) {
            rule_vars__addr_fini(out);
            rc = VG_ERR_NOMEM;
            snprintf(why, whylen, "out of memory");
        }
    }
    if (rc == VG_OK) {
        for (uint32_t i = 0; i < out->n4; i++) {
            out->v4[i].lo = (uint32_t)g.f[FAM4].r[i].lo.lo;
            out->v4[i].hi = (uint32_t)g.f[FAM4].r[i].hi.lo;
        }
        for (uint32_t i = 0; i < out->n6; i++) {
            for (int b = 0; b < 8; b++) {
                out->v6[i].lo[b] = (uint8_t)(g.f[FAM6].r[i].lo.hi >> (56 - 8 * b));
                out->v6[i].lo[b + 8] = (uint8_t)(g.f[FAM6].r[i].lo.lo >> (56 - 8 * b));
                out->v6[i].hi[b] = (uint8_t)(g.f[FAM6].r[i].hi.hi >> (56 - 8 * b));
                out->v6[i].hi[b + 8] = (uint8_t)(g.f[FAM6].r[i].hi.lo >> (56 - 8 * b));
            }
        }
        out->any = is_full(&g.f[FAM4], fam_max(&c, FAM4)) && is_full(&g.f[FAM6], fam_max(&c, FAM6));
    }
    rc = gctx_done(&c, rc);
    if (why_off) *why_off = c.why_off;
    gval_fini(&g);
    return rc;
}

int rule_vars__ports(const struct rule_vars *v, const char *spec, size_t len, unsigned max_depth,
                     struct rule_ports *out, char *why, size_t whylen, size_t *why_off)
{
    struct gctx c = {0};
    c.vars = v ? v : rule_vars__default();
    c.ports = true;
    c.max_depth = max_depth ? max_depth : 16;
    c.why = why;
    c.whylen = whylen;
    memset(out, 0, sizeof *out);
    struct gval g = {0};
    int rc = eval_spec(&c, spec, len, &g);
    if (rc == VG_OK) {
        out->n = (uint32_t)g.f[FAM4].n;
        out->r = vg_malloc(out->n * sizeof *out->r);
        if (!out->r) {
            rc = VG_ERR_NOMEM;
            snprintf(why, whylen, "out of memory");
        } else {
            for (uint32_t i = 0; i < out->n; i++) {
                out->r[i].lo = (uint16_t)g.f[FAM4].r[i].lo.lo;
                out->r[i].hi = (uint16_t)g.f[FAM4].r[i].hi.lo;
            }
            out->any = is_full(&g.f[FAM4], fam_max(&c, FAM4));
        }
    }
    rc = gctx_done(&c, rc);
    if (why_off) *why_off = c.why_off;
    gval_fini(&g);
    return rc;
}

void rule_vars__addr_fini(struct rule_addr *a)
{
    if (!a) return;
    vg_free(a->v4);
    vg_free(a->v6);
    memset(a, 0, sizeof *a);
}

void rule_vars__ports_fini(struct rule_ports *p)
{
    if (!p) return;
    vg_free(p->r);
    memset(p, 0, sizeof *p);
}
