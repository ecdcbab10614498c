/* rule_parser.c - builds a struct rule from one logical rule (Suricata 7 syntax).
 *
 *   action proto src sport dir dst dport (keyword[:value]; ...)
 *
 * The header is parsed here (addresses and ports through rule_vars.c); each option is handed to
 * its keyword family in keywords/kw_*.c through one dispatch table. When all options are in,
 * the rule is finalised: buffer lists are built, relative chains and dsize/bsize bounds are
 * checked (kw_content__finalize), the application protocol is inferred from the buffers, and
 * flowbits/threshold combinations are validated.
 *
 * Every error carries the position of the offending byte (file, line, column, continuations
 * mapped back) and a message "keyword: what is wrong". The first error wins; parsing stops at
 * it. Valid Suricata that vigil does not handle (keywords, protocols, events) is reported as
 * unsupported: the loader skips such rules without calling them invalid.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

/* ---- tables --------------------------------------------------------------------------------- */

static const struct rule_proto_info proto_table[] = {
#define RULE_PROTO_ROW(id, name, kind, ipproto, vigil) {name, kind, ipproto, vigil},
    RULE_PROTO_MAP(RULE_PROTO_ROW)
#undef RULE_PROTO_ROW
};

const struct rule_proto_info *rule_proto_info(int proto)
{
    if (proto < 0 || proto >= RULE_PROTO_COUNT) return NULL;
    return &proto_table[proto];
}

int rule_proto_lookup(const char *name, size_t len)
{
    for (int i = 0; i < RULE_PROTO_COUNT; i++) {
        if (strlen(proto_table[i].name) == len && strncasecmp(proto_table[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

static const struct rule_buf_info buf_table[] = {
#define RULE_BUF_ROW(id, name, alias, modifier, pcre_flag, desc, family, dir)                      \
    {name, alias, modifier, pcre_flag, desc, family, dir},
    RULE_BUF_MAP(RULE_BUF_ROW)
#undef RULE_BUF_ROW
};

const struct rule_buf_info *rule_buf_info(int buf)
{
    if (buf < 0 || buf >= RULE_BUF_COUNT) return NULL;
    return &buf_table[buf];
}

void rule_limits_default(struct rule_limits *l)
{
    l->max_line = 65536;
    l->max_options = 256;
    l->max_contents = 128;
    l->max_rules = 2000000;
    l->max_depth = 16;
    l->max_skips = 200000;
}

/* ---- errors and small helpers --------------------------------------------------------------- */

__attribute__((format(printf, 5, 0))) static void
set_err(struct rule_pc *pc, size_t off, int status, const char *prefix, const char *fmt, va_list ap)
{
    if (pc->status != VG_OK) return;
    pc->status = status;
    struct rule_error *e = pc->err;
    size_t n = 0;
    if (prefix) n = (size_t)snprintf(e->msg, sizeof e->msg, "%s: ", prefix);
    if (n >= sizeof e->msg) n = sizeof e->msg - 1;
    vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
    rule_lexer__text_pos(pc->t, off, &e->line, &e->col);
    e->unsupported = status == VG_ERR_UNSUPPORTED;
}

int rule__fail(struct rule_pc *pc, size_t off, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_err(pc, off, status, NULL, fmt, ap);
    va_end(ap);
    return pc->status;
}

int rule__kwfail(struct rule_pc *pc, size_t off, const char *fmt, ...)
{
    char kw[48];
    size_t n = pc->opt_name.len < sizeof kw - 1 ? pc->opt_name.len : sizeof kw - 1;
    memcpy(kw, pc->s + pc->opt_name.off, n);
    kw[n] = '\0';
    va_list ap;
    va_start(ap, fmt);
    set_err(pc, off, VG_ERR_FORMAT, kw, fmt, ap);
    va_end(ap);
    return pc->status;
}

char *rule__strndup(const char *p, size_t n)
{
    char *s = vg_malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

struct rule_tok rule__trim(const char *s, struct rule_tok t)
{
    while (t.len && isspace((unsigned char)s[t.off])) {
        t.off++;
        t.len--;
    }
    while (t.len && isspace((unsigned char)s[t.off + t.len - 1]))
        t.len--;
    return t;
}

bool rule__tok_eq(const char *s, struct rule_tok t, const char *word)
{
    return strlen(word) == t.len && memcmp(s + t.off, word, t.len) == 0;
}

bool rule__tok_ieq(const char *s, struct rule_tok t, const char *word)
{
    return strlen(word) == t.len && strncasecmp(s + t.off, word, t.len) == 0;
}

int rule__split(const char *s, struct rule_tok val, char sep, struct rule_tok *out, int max)
{
    int n = 0;
    size_t st = val.off, end = val.off + val.len;
    for (size_t i = val.off; i <= end; i++) {
        if (i == end || s[i] == sep) {
            if (n == max) return -1;
            out[n++] = rule__trim(s, (struct rule_tok){st, i - st});
            st = i + 1;
        }
    }
    return n;
}

bool rule__parse_u64(const char *s, struct rule_tok t, bool hex_ok, uint64_t max, uint64_t *v)
{
    t = rule__trim(s, t);
    if (t.len == 0) return false;
    const char *p = s + t.off;
    size_t n = t.len;
    uint64_t x = 0;
    if (hex_ok && n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        for (size_t i = 2; i < n; i++) {
            int d;
            char c = p[i];
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return false;
            if (x > (UINT64_MAX >> 4)) return false;
            x = x << 4 | (uint64_t)d;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)p[i])) return false;
            uint64_t d = (uint64_t)(p[i] - '0');
            if (x > (UINT64_MAX - d) / 10) return false;
            x = x * 10 + d;
        }
    }
    if (x > max) return false;
    *v = x;
    return true;
}

bool rule__parse_i64(const char *s, struct rule_tok t, int64_t lo, int64_t hi, int64_t *v)
{
    t = rule__trim(s, t);
    bool neg = false;
    if (t.len && (s[t.off] == '-' || s[t.off] == '+')) {
        neg = s[t.off] == '-';
        t.off++;
        t.len--;
    }
    uint64_t u;
    if (!rule__parse_u64(s, t, true, (uint64_t)INT64_MAX, &u)) return false;
    int64_t x = neg ? -(int64_t)u : (int64_t)u;
    if (x < lo || x > hi) return false;
    *v = x;
    return true;
}

bool rule__parse_cmp(const char *s, struct rule_tok t, uint64_t max, bool dash_range,
                     struct rule_cmp *c, const char **why)
{
    t = rule__trim(s, t);
    memset(c, 0, sizeof *c);
    *why = "invalid value";
    if (t.len == 0) {
        *why = "missing value";
        return false;
    }
    const char *p = s + t.off;
    size_t skip = 0;
    uint8_t op = RULE_CMP_EQ;
    if (t.len >= 2 && p[0] == '!' && p[1] == '=') {
        op = RULE_CMP_NE;
        skip = 2;
    } else if (p[0] == '!') {
        op = RULE_CMP_NE;
        skip = 1;
    } else if (t.len >= 2 && p[0] == '<' && p[1] == '=') {
        op = RULE_CMP_LE;
        skip = 2;
    } else if (t.len >= 2 && p[0] == '>' && p[1] == '=') {
        op = RULE_CMP_GE;
        skip = 2;
    } else if (t.len >= 2 && p[0] == '<' && p[1] == '>') {
        return false;
    } else if (p[0] == '<') {
        op = RULE_CMP_LT;
        skip = 1;
    } else if (p[0] == '>') {
        op = RULE_CMP_GT;
        skip = 1;
    } else if (p[0] == '=') {
        op = RULE_CMP_EQ;
        skip = 1;
    }
    struct rule_tok rest = {t.off + skip, t.len - skip};
    if (skip == 0) {
        /* a range? */
        const char *r = NULL;
        size_t rl = 0;
        for (size_t i = 0; i + 1 < t.len; i++) {
            if (p[i] == '<' && p[i + 1] == '>') {
                r = p + i;
                rl = 2;
                break;
            }
        }
        if (!r && dash_range) {
            const char *d = memchr(p + 1, '-', t.len - 1);
            if (d) {
                r = d;
                rl = 1;
            }
        }
        if (r) {
            struct rule_tok a = {t.off, (size_t)(r - p)};
            struct rule_tok b = {t.off + (size_t)(r - p) + rl, t.len - (size_t)(r - p) - rl};
            if (!rule__parse_u64(s, a, false, max, &c->a) ||
                !rule__parse_u64(s, b, false, max, &c->b)) {
                *why = "invalid range";
                return false;
            }
            if (c->a >= c->b) {
                *why = "range must be ascending";
                return false;
            }
            c->op = RULE_CMP_RANGE;
            return true;
        }
    }
    if (!rule__parse_u64(s, rest, false, max, &c->a)) {
        *why = "invalid value";
        return false;
    }
    if (op == RULE_CMP_LT && c->a == 0) {
        *why = "'<0' can never match";
        return false;
    }
    if (op == RULE_CMP_GT && c->a == max) {
        *why = "value out of range";
        return false;
    }
    c->op = op;
    return true;
}

int rule__parse_num(struct rule_pc *pc, struct rule_tok t, int64_t lo, int64_t hi,
                    struct rule_num *n, const char *what)
{
    t = rule__trim(pc->s, t);
    n->var = -1;
    n->v = 0;
    if (t.len && (isalpha((unsigned char)pc->s[t.off]) || pc->s[t.off] == '_')) {
        for (uint32_t i = 0; i < pc->r->nvars; i++) {
            if (rule__tok_eq(pc->s, t, pc->r->vars[i])) {
                n->var = (int16_t)i;
                return VG_OK;
            }
        }
        return rule__kwfail(pc, t.off, "unknown byte_extract variable '%.*s'",
                            (int)(t.len > 64 ? 64 : t.len), pc->s + t.off);
    }
    int64_t v;
    if (!rule__parse_i64(pc->s, t, lo, hi, &v)) {
        if (what)
            return rule__kwfail(pc, t.off, "invalid %s '%.*s' (must be %lld..%lld)", what,
                                (int)(t.len > 32 ? 32 : t.len), pc->s + t.off, (long long)lo,
                                (long long)hi);
        return rule__kwfail(pc, t.off, "invalid value '%.*s' (must be %lld..%lld)",
                            (int)(t.len > 32 ? 32 : t.len), pc->s + t.off, (long long)lo,
                            (long long)hi);
    }
    n->v = v;
    return VG_OK;
}

char *rule__unquote(struct rule_pc *pc, struct rule_tok val, size_t *out_len)
{
    val = rule__trim(pc->s, val);
    const char *p = pc->s + val.off;
    if (val.len < 2 || p[0] != '"' || p[val.len - 1] != '"') {
        rule__kwfail(pc, val.off, "value must be double quoted");
        return NULL;
    }
    char *out = vg_malloc(val.len);
    if (!out) {
        rule__fail(pc, val.off, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 1; i + 1 < val.len; i++) {
        char c = p[i];
        if (c == '\\' && i + 2 < val.len) {
            char d = p[i + 1];
            if (d == '"' || d == '\\' || d == ';' || d == ':') {
                out[n++] = d;
                i++;
                continue;
            }
            out[n++] = c;
            continue;
        }
        if (c == '"') {
            vg_free(out);
            rule__kwfail(pc, val.off + i, "unescaped double quote inside the value");
            return NULL;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    if (out_len) *out_len = n;
    return out;
}

int rule__list_for(struct rule_pc *pc, uint8_t id, bool with_tx, size_t off)
{
    uint8_t ntx = with_tx ? pc->ntx : 0;
    for (uint32_t i = 0; i < pc->ninst; i++) {
        if (pc->inst[i].id == id && pc->inst[i].ntx == ntx &&
            (ntx == 0 || memcmp(pc->inst[i].tx, pc->tx, ntx) == 0))
            return (int)i;
    }
    if (pc->ninst >= RULE_MAX_LISTS) {
        rule__fail(pc, off, VG_ERR_LIMIT, "more than %d buffer lists", RULE_MAX_LISTS);
        return -1;
    }
    pc->inst[pc->ninst].id = id;
    pc->inst[pc->ninst].ntx = ntx;
    if (ntx) memcpy(pc->inst[pc->ninst].tx, pc->tx, ntx);
    return (int)pc->ninst++;
}

long rule__add_match(struct rule_pc *pc, uint8_t kind, size_t off)
{
    uint8_t buf = pc->override >= 0 ? (uint8_t)pc->override : pc->sticky;
    bool in_sticky = pc->sticky_set && buf == pc->sticky;
    int list = rule__list_for(pc, buf, in_sticky, off);
    if (list < 0) return -1;
    if (pc->nm == pc->capm) {
        size_t cap = pc->capm ? pc->capm * 2 : 16;
        struct rule_match *nm = vg_realloc(pc->m, cap * sizeof *nm);
        if (!nm) {
            rule__fail(pc, off, VG_ERR_NOMEM, "out of memory");
            return -1;
        }
        pc->m = nm;
        pc->capm = cap;
    }
    struct rule_match *m = &pc->m[pc->nm];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->buf = buf;
    m->list = (uint8_t)list;
    m->src_off = (uint32_t)off;
    if (in_sticky) pc->sticky_count++;
    pc->last_match = (long)pc->nm;
    return (long)pc->nm++;
}

struct rule_pmatch *rule__add_pmatch(struct rule_pc *pc, uint8_t kind)
{
    struct rule *r = pc->r;
    if ((r->npm & (r->npm - 1)) == 0 || r->npm == 0) {
        size_t cap = r->npm ? (size_t)r->npm * 2 : 4;
        struct rule_pmatch *np = vg_realloc(r->pm, cap * sizeof *np);
        if (!np) {
            rule__fail(pc, pc->opt_name.off, VG_ERR_NOMEM, "out of memory");
            return NULL;
        }
        r->pm = np;
    }
    struct rule_pmatch *p = &r->pm[r->npm++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    return p;
}

/* ---- freeing -------------------------------------------------------------------------------- */

static void match_fini(struct rule_match *m)
{
    if (m->kind == RULE_M_CONTENT)
        kw_content__free(&m->u.content);
    else if (m->kind == RULE_M_PCRE)
        kw_pcre__free(&m->u.pcre);
}

void rule_free(struct rule *r)
{
    if (!r) return;
    rule_vars__addr_fini(&r->src);
    rule_vars__addr_fini(&r->dst);
    rule_vars__ports_fini(&r->sport);
    rule_vars__ports_fini(&r->dport);
    vg_free(r->msg);
    vg_free(r->classtype);
    vg_free(r->class_desc);
    for (uint32_t i = 0; i < r->nref; i++) {
        vg_free(r->ref[i].type);
        vg_free(r->ref[i].value);
    }
    vg_free(r->ref);
    for (uint32_t i = 0; i < r->nmeta; i++) {
        vg_free(r->meta[i].key);
        vg_free(r->meta[i].value);
    }
    vg_free(r->meta);
    for (uint32_t b = 0; b < r->nbuf; b++) {
        for (uint32_t i = 0; i < r->buf[b].n; i++)
            match_fini(&r->buf[b].m[i]);
        vg_free(r->buf[b].m);
    }
    vg_free(r->buf);
    vg_free(r->pm);
    for (uint32_t i = 0; i < r->nflowbits; i++) {
        for (uint32_t k = 0; k < r->flowbits[i].n; k++)
            vg_free(r->flowbits[i].names[k]);
        vg_free(r->flowbits[i].names);
    }
    vg_free(r->flowbits);
    for (uint32_t i = 0; i < r->nev; i++) {
        vg_free(r->ev[i].tclass);
        vg_free(r->ev[i].tsubtype);
    }
    vg_free(r->ev);
    for (uint32_t i = 0; i < r->nvars; i++)
        vg_free(r->vars[i]);
    vg_free(r->file);
    vg_free(r);
}

/* ---- keyword dispatch ----------------------------------------------------------------------- */

static const struct rule_kw *const kw_tables[] = {
    kw_meta__table,    kw_content__table, kw_pcre__table,      kw_flow__table, kw_byte__table,
    kw_buffers__table, kw_packet__table,  kw_threshold__table, kw_misc__table,
};

static const struct rule_kw *kw_find(const char *name, size_t n)
{
    for (size_t t = 0; t < sizeof kw_tables / sizeof kw_tables[0]; t++) {
        for (const struct rule_kw *k = kw_tables[t]; k->fn; k++) {
            if (k->name && k->name[0] == name[0] && strlen(k->name) == n &&
                memcmp(k->name, name, n) == 0)
                return k;
        }
    }
    return NULL;
}

static int parse_option(struct rule_pc *pc, const struct rule_opt *o)
{
    const char *name = pc->s + o->name.off;
    pc->opt_name = o->name;
    const struct rule_kw *k = kw_find(name, o->name.len);
    if (!k) {
        bool plausible = true;
        for (size_t i = 0; i < o->name.len; i++) {
            unsigned char c = (unsigned char)name[i];
            if (!(isalnum(c) || c == '_' || c == '.' || c == '-')) plausible = false;
        }
        if (!plausible || o->name.len > 40)
            return rule__fail(pc, o->name.off, VG_ERR_FORMAT,
                              "invalid option '%.*s' (possible missing ';')",
                              (int)(o->name.len > 40 ? 40 : o->name.len), name);
        return rule__fail(pc, o->name.off, VG_ERR_UNSUPPORTED, "unsupported keyword '%.*s'",
                          (int)o->name.len, name);
    }
    if ((k->flags & RULE_KW_NOVAL) && o->has_val)
        return rule__kwfail(pc, o->val.off, "takes no value");
    if ((k->flags & RULE_KW_VAL) && (!o->has_val || o->val.len == 0))
        return rule__kwfail(pc, o->has_val ? o->val.off : o->name.off + o->name.len,
                            "needs a value");
    return k->fn(pc, o, k->arg);
}

/* ---- header --------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint8_t action;
} actions[] = {
    {"alert", RULE_ACTION_ALERT},
    {"pass", RULE_ACTION_PASS},
    {"drop", RULE_ACTION_DROP},
    {"reject", RULE_ACTION_REJECT},
    {"rejectsrc", RULE_ACTION_REJECTSRC},
    {"rejectdst", RULE_ACTION_REJECTDST},
    {"rejectboth", RULE_ACTION_REJECTBOTH},
};

#define TOKP(pc, t) (int)((t).len > 40 ? 40 : (t).len), (pc)->s + (t).off

static int parse_header(struct rule_pc *pc, size_t *pos)
{
    struct rule *r = pc->r;
    const char *s = pc->s;
    size_t len = pc->t->len;
    struct rule_tok w[7];
    static const char *const what[7] = {"action",          "protocol",  "source address",
                                        "source port",     "direction", "destination address",
                                        "destination port"};
    for (int i = 0; i < 7; i++) {
        size_t deep_at;
        bool open;
        if (!rule_lexer__word(s, len, pos, &w[i], pc->lim->max_depth, &deep_at, &open))
            return rule__fail(pc, *pos, VG_ERR_FORMAT, "missing %s in the rule header", what[i]);
        /* bracket nesting is checked here, before anything recurses on it */
        if (deep_at != SIZE_MAX)
            return rule__fail(pc, deep_at, VG_ERR_LIMIT, "%s: groups nested deeper than %u",
                              what[i], pc->lim->max_depth);
        if (open) return rule__fail(pc, w[i].off, VG_ERR_FORMAT, "%s: missing ']'", what[i]);
        /* each field is checked as soon as it is read: garbage fails on its first word */
        if (i == 0) {
            bool found = false;
            for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++) {
                if (rule__tok_ieq(s, w[0], actions[k].name)) {
                    r->action = actions[k].action;
                    found = true;
                }
            }
            if (!found)
                return rule__fail(pc, w[0].off, VG_ERR_FORMAT, "invalid action '%.*s'",
                                  TOKP(pc, w[0]));
        } else if (i == 1) {
            int proto = rule_proto_lookup(s + w[1].off, w[1].len);
            if (proto < 0) {
                if (memchr(s + w[1].off, ':', w[1].len))
                    return rule__fail(pc, w[1].off, VG_ERR_UNSUPPORTED,
                                      "unsupported protocol hook '%.*s'", TOKP(pc, w[1]));
                return rule__fail(pc, w[1].off, VG_ERR_UNSUPPORTED, "unsupported protocol '%.*s'",
                                  TOKP(pc, w[1]));
            }
            r->proto = (uint8_t)proto;
            r->app = proto_table[proto].kind == RULE_PK_APP ? (uint8_t)proto : RULE_PROTO_COUNT;
        } else if (i == 4) {
            if (rule__tok_eq(s, w[4], "<>")) {
                r->flags |= RULE_F_BIDIR;
            } else if (rule__tok_eq(s, w[4], "=>")) {
                return rule__fail(pc, w[4].off, VG_ERR_UNSUPPORTED,
                                  "unsupported direction '=>' (transactional)");
            } else if (rule__tok_eq(s, w[4], "<-")) {
                return rule__fail(pc, w[4].off, VG_ERR_FORMAT,
                                  "direction '<-' is not supported; use '->'");
            } else if (!rule__tok_eq(s, w[4], "->")) {
                return rule__fail(pc, w[4].off, VG_ERR_FORMAT, "invalid direction '%.*s'",
                                  TOKP(pc, w[4]));
            }
        }
    }
    /* addresses and ports */
    char why[RULE_ERR_MSG];
    size_t woff = 0;
    unsigned depth = pc->lim->max_depth;
    const int idx[4] = {2, 3, 5, 6};
    for (int k = 0; k < 4; k++) {
        struct rule_tok t = w[idx[k]];
        int rc;
        why[0] = '\0';
        if (k == 0 || k == 2)
            rc = rule_vars__addr(pc->vars, s + t.off, t.len, depth, k == 0 ? &r->src : &r->dst, why,
                                 sizeof why, &woff);
        else
            rc = rule_vars__ports(pc->vars, s + t.off, t.len, depth, k == 1 ? &r->sport : &r->dport,
                                  why, sizeof why, &woff);
        if (rc != VG_OK)
            return rule__fail(pc, t.off + (woff < t.len ? woff : 0), rc, "%s: %s", what[idx[k]],
                              why);
    }
    return VG_OK;
}

/* ---- finalisation --------------------------------------------------------------------------- */

static bool app_compatible(int app, int family)
{
    switch (family) {
    case RULE_BF_HTTP:
        return app == RULE_PROTO_HTTP || app == RULE_PROTO_HTTP1 || app == RULE_PROTO_HTTP2;
    case RULE_BF_DNS:
        return app == RULE_PROTO_DNS || app == RULE_PROTO_DOH2 || app == RULE_PROTO_MDNS;
    case RULE_BF_TLS:
        return app == RULE_PROTO_TLS || app == RULE_PROTO_QUIC;
    case RULE_BF_SSH:
        return app == RULE_PROTO_SSH;
    case RULE_BF_FILE:
        return app == RULE_PROTO_HTTP || app == RULE_PROTO_HTTP1 || app == RULE_PROTO_HTTP2 ||
               app == RULE_PROTO_SMTP || app == RULE_PROTO_SMB || app == RULE_PROTO_FTP ||
               app == RULE_PROTO_FTP_DATA || app == RULE_PROTO_NFS || app == RULE_PROTO_IMAP ||
               app == RULE_PROTO_POP3 || app == RULE_PROTO_SMB2;
    default:
        return true;
    }
}

static int family_app(int family)
{
    switch (family) {
    case RULE_BF_HTTP:
        return RULE_PROTO_HTTP;
    case RULE_BF_DNS:
        return RULE_PROTO_DNS;
    case RULE_BF_TLS:
        return RULE_PROTO_TLS;
    case RULE_BF_SSH:
        return RULE_PROTO_SSH;
    default:
        return -1;
    }
}

/* The application protocol follows from the buffers when the header names only a transport. */
static int infer_app(struct rule_pc *pc)
{
    struct rule *r = pc->r;
    for (uint32_t b = 0; b < r->nbuf; b++) {
        const struct rule_buf_info *bi = &buf_table[r->buf[b].id];
        if (bi->family == RULE_BF_PKT || bi->family == RULE_BF_BASE64) continue;
        size_t off = r->buf[b].n ? r->buf[b].m[0].src_off : 0;
        if (r->app != RULE_PROTO_COUNT) {
            if (!app_compatible(r->app, bi->family))
                return rule__fail(pc, off, VG_ERR_FORMAT,
                                  "%s: buffer not available for protocol '%s'", bi->name,
                                  proto_table[r->app].name);
            continue;
        }
        int app = family_app(bi->family);
        if (app < 0) continue; /* file data: any protocol that carries files */
        uint8_t l4 = proto_table[r->proto].ipproto;
        uint8_t need = proto_table[app].ipproto;
        if (proto_table[r->proto].kind == RULE_PK_LINK || (l4 && need && l4 != need) ||
            (proto_table[r->proto].kind == RULE_PK_L4 && r->proto != RULE_PROTO_TCP &&
             r->proto != RULE_PROTO_UDP && r->proto != RULE_PROTO_TCP_STREAM &&
             r->proto != RULE_PROTO_TCP_PKT))
            return rule__fail(pc, off, VG_ERR_FORMAT, "%s: buffer not available for protocol '%s'",
                              bi->name, proto_table[r->proto].name);
        r->app = (uint8_t)app;
    }
    return VG_OK;
}

static int check_flowbits(struct rule_pc *pc)
{
    struct rule *r = pc->r;
    for (uint32_t i = 0; i < r->nflowbits; i++) {
        for (uint32_t j = i + 1; j < r->nflowbits; j++) {
            const struct rule_flowbit *a = &r->flowbits[i], *b = &r->flowbits[j];
            bool conflict = (a->cmd == RULE_FB_ISSET && b->cmd == RULE_FB_ISNOTSET) ||
                            (a->cmd == RULE_FB_ISNOTSET && b->cmd == RULE_FB_ISSET);
            if (!conflict) continue;
            for (uint32_t x = 0; x < a->n; x++) {
                for (uint32_t y = 0; y < b->n; y++) {
                    if (strcmp(a->names[x], b->names[y]) == 0)
                        return rule__fail(pc, 0, VG_ERR_FORMAT,
                                          "flowbits: invalid combination in the same rule: "
                                          "isset and isnotset of '%s'",
                                          a->names[x]);
                }
            }
        }
    }
    return VG_OK;
}

static int finalize(struct rule_pc *pc, size_t end_off)
{
    struct rule *r = pc->r;
    if (!(pc->seen & RULE_SEEN_SID))
        return rule__fail(pc, end_off, VG_ERR_FORMAT, "rule has no sid");
    int rc = kw_buffers__check_empty(pc);
    if (rc) return rc;
    rc = kw_content__finalize(pc);
    if (rc) return rc;
    rc = infer_app(pc);
    if (rc) return rc;
    rc = check_flowbits(pc);
    if (rc) return rc;
    if ((r->flags & RULE_F_HAS_THRESHOLD) && (r->flags & RULE_F_HAS_DETECTION_FILTER))
        return rule__fail(pc, end_off, VG_ERR_FORMAT,
                          "threshold and detection_filter cannot be used in the same rule");
    if (!r->msg) {
        r->msg = vg_strdup("");
        if (!r->msg) return rule__fail(pc, 0, VG_ERR_NOMEM, "out of memory");
    }
    return VG_OK;
}

/* Best effort: the sid of a rule that failed, for the skip report. */
static uint32_t find_sid(const char *s, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++) {
        if (memcmp(s + i, "sid", 3) != 0) continue;
        if (i > 0 && s[i - 1] != ';' && s[i - 1] != '(' && !isspace((unsigned char)s[i - 1]))
            continue;
        size_t j = i + 3;
        while (j < len && isspace((unsigned char)s[j]))
            j++;
        if (j >= len || s[j] != ':') continue;
        j++;
        while (j < len && isspace((unsigned char)s[j]))
            j++;
        uint64_t v = 0;
        size_t d = 0;
        while (j < len && isdigit((unsigned char)s[j]) && d < 11) {
            v = v * 10 + (uint64_t)(s[j++] - '0');
            d++;
        }
        if (d && v <= UINT32_MAX) return (uint32_t)v;
    }
    return 0;
}

int rule_parser__parse_text(const struct rule_text *t, const struct rule_parse_cfg *cfg,
                            struct rule **out, struct rule_error *err)
{
    static const struct rule_parse_cfg no_cfg;
    struct rule_limits deflim;
    if (!cfg) cfg = &no_cfg;
    rule_limits_default(&deflim);
    memset(err, 0, sizeof *err);
    err->file = cfg->file;
    *out = NULL;

    struct rule_pc pc;
    memset(&pc, 0, sizeof pc);
    pc.t = t;
    pc.s = t->buf ? t->buf : "";
    pc.cfg = cfg;
    pc.lim = cfg->limits ? cfg->limits : &deflim;
    pc.vars = cfg->vars ? cfg->vars : rule_vars__default();
    pc.classes = cfg->classes ? cfg->classes : kw_meta__classes_default();
    pc.err = err;
    pc.last_content = -1;
    pc.last_match = -1;
    pc.fp_match = -1;
    pc.dsize_pm = -1;
    pc.sticky = RULE_BUF_PKT;
    pc.override = -1;

    struct rule *r = vg_calloc(1, sizeof *r);
    if (!r) {
        rule__fail(&pc, 0, VG_ERR_NOMEM, "out of memory");
        return VG_ERR_NOMEM;
    }
    pc.r = r;
    r->gid = 1;
    r->priority = 3;
    r->app_proto = RULE_PROTO_COUNT;
    r->fp_buf = r->fp_idx = -1;
    r->tls_version = -1;

    const char *s = pc.s;
    size_t len = t->len;
    size_t pos = 0;
    int rc = VG_OK;
    if (len > pc.lim->max_line)
        rc = rule__fail(&pc, 0, VG_ERR_LIMIT, "rule longer than %u bytes", pc.lim->max_line);
    if (rc == VG_OK) rc = parse_header(&pc, &pos);
    size_t open = pos, close = len;
    if (rc == VG_OK) {
        while (open < len && isspace((unsigned char)s[open]))
            open++;
        if (open >= len || s[open] != '(')
            rc = rule__fail(&pc, open, VG_ERR_FORMAT,
                            open >= len ? "missing '(' and options"
                                        : "expected '(' after the header");
    }
    if (rc == VG_OK) {
        while (close > open + 1 && isspace((unsigned char)s[close - 1]))
            close--;
        if (close <= open + 1 || s[close - 1] != ')')
            rc = rule__fail(&pc, close, VG_ERR_FORMAT, "missing ')' at the end of the rule");
        else
            close--;
    }
    if (rc == VG_OK) {
        size_t p = open + 1;
        uint32_t nopt = 0;
        for (;;) {
            struct rule_opt o;
            int k = rule_lexer__option(s, close, &p, &o);
            if (k == 0) break;
            if (k < 0) {
                rc = rule__fail(&pc, o.name.off, VG_ERR_FORMAT, "empty option (stray ';')");
                break;
            }
            if (++nopt > pc.lim->max_options) {
                rc = rule__fail(&pc, o.name.off, VG_ERR_LIMIT, "more than %u options",
                                pc.lim->max_options);
                break;
            }
            rc = parse_option(&pc, &o);
            if (rc) break;
        }
    }
    if (rc == VG_OK) rc = finalize(&pc, close);
    /* matches still in pc.m (not moved into r->buf) are owned here */
    for (size_t i = 0; i < pc.nm; i++)
        match_fini(&pc.m[i]);
    vg_free(pc.m);
    if (rc == VG_OK && pc.status == VG_OK) {
        if (cfg->file) {
            r->file = vg_strdup(cfg->file);
            if (!r->file) rc = rule__fail(&pc, 0, VG_ERR_NOMEM, "out of memory");
        }
        r->line = t->nseg ? t->seg[0].line : (cfg->line ? cfg->line : 1);
    }
    if (rc != VG_OK || pc.status != VG_OK) {
        err->sid = r->sid ? r->sid : find_sid(s, len);
        rule_free(r);
        return pc.status != VG_OK ? pc.status : rc;
    }
    *out = r;
    return VG_OK;
}

int rule_parser_parse(const char *text, size_t len, const struct rule_parse_cfg *cfg,
                      struct rule **out, struct rule_error *err)
{
    struct rule_text t;
    rule_lexer__text_init(&t);
    uint32_t line = cfg && cfg->line ? cfg->line : 1;
    int rc = rule_lexer__text_append(&t, text ? text : "", text ? len : 0, line, 1);
    if (rc != VG_OK) {
        rule_lexer__text_fini(&t);
        memset(err, 0, sizeof *err);
        err->file = cfg ? cfg->file : NULL;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        *out = NULL;
        return rc;
    }
    rc = rule_parser__parse_text(&t, cfg, out, err);
    rule_lexer__text_fini(&t);
    return rc;
}
