/* kw_content.c - content and its modifiers: nocase, depth, offset, distance, within, startswith,
 * endswith, fast_pattern (plain, :only, :offset,length), rawbytes; uricontent; and the checks made
 * once a rule is complete (buffer lists, relative chains, dsize/bsize reachability).
 *
 * Value: [!]"text|41 42|text" with the escapes \" \\ \; \: (any other escape is an error, as in
 * Suricata); hex digits pair up across blanks inside |...|. Positions in messages point at the
 * offending byte.
 *
 * Modifier rules (Suricata 7, detect-depth.c, detect-distance.c, detect-within.c, ...): each
 * modifier applies to the most recent content of the rule and needs one; each may appear once per
 * content; relative (distance, within) and absolute (depth, offset) modifiers do not mix;
 * startswith excludes all four; depth and within may not be smaller than the content;
 * distance/within lie in [-1048576, 1048576], depth/offset in [0, 65535]; values may name a
 * byte_extract variable. fast_pattern: one content per rule; :only excludes every positional
 * modifier and negation; a negated fast_pattern content may not carry positional modifiers.
 * A content whose distance/within has no earlier match in its buffer is relative to the start
 * of the buffer (Suricata does the same); a relative modifier with no content at all is an error.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

#define CONTENT_MAX 65535
#define REL_LIMIT 1048576

void kw_content__free(struct rule_content *c)
{
    vg_free(c->pat);
    c->pat = NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int kw_content(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    const char *s = pc->s;
    if (++pc->ncontents > pc->lim->max_contents)
        return rule__fail(pc, o->name.off, VG_ERR_LIMIT, "more than %u content matches",
                          pc->lim->max_contents);
    size_t p = o->val.off, end = o->val.off + o->val.len;
    bool neg = false;
    if (p < end && s[p] == '!') {
        neg = true;
        p++;
        while (p < end && isspace((unsigned char)s[p]))
            p++;
    }
    if (p >= end || s[p] != '"') return rule__kwfail(pc, p, "value must be double quoted");
    /* the closing quote: the last unescaped '"' */
    size_t close = 0;
    bool have_close = false;
    for (size_t i = p + 1; i < end; i++) {
        if (s[i] == '\\' && i + 1 < end) {
            i++;
            continue;
        }
        if (s[i] == '"') {
            close = i;
            have_close = true;
        }
    }
    if (!have_close) return rule__kwfail(pc, p, "missing closing quote");
    if (close + 1 < end)
        return rule__kwfail(pc, close + 1,
                            "unexpected text after the closing quote (possible missing ';')");
    uint8_t *out = vg_malloc(close - p + 1);
    if (!out) return rule__fail(pc, p, VG_ERR_NOMEM, "out of memory");
    size_t n = 0;
    bool hex = false;
    size_t hex_start = 0;
    int nib = -1;
    size_t nib_pos = 0;
    int rc = VG_OK;
    for (size_t i = p + 1; i < close && rc == VG_OK; i++) {
        char c = s[i];
        if (hex) {
            if (c == '|') {
                if (nib >= 0)
                    rc = rule__kwfail(pc, nib_pos, "incomplete hex byte (odd number of digits)");
                hex = false;
            } else if (isspace((unsigned char)c)) {
                continue;
            } else if (hexval(c) >= 0) {
                if (nib < 0) {
                    nib = hexval(c);
                    nib_pos = i;
                } else {
                    out[n++] = (uint8_t)(nib << 4 | hexval(c));
                    nib = -1;
                }
            } else {
                rc = isprint((unsigned char)c)
                         ? rule__kwfail(pc, i, "invalid hex digit '%c'", c)
                         : rule__kwfail(pc, i, "invalid hex digit (byte 0x%02x)", (unsigned char)c);
            }
            continue;
        }
        if (c == '\\') {
            char d = i + 1 < close ? s[i + 1] : '\0';
            if (d == '\\' || d == '"' || d == ';' || d == ':') {
                out[n++] = (uint8_t)d;
                i++;
            } else {
                rc = rule__kwfail(pc, i,
                                  "invalid escape '\\%c' (only \\\\ \\\" \\; \\: are allowed)",
                                  isprint((unsigned char)d) ? d : '?');
            }
            continue;
        }
        if (c == '"') {
            rc = rule__kwfail(pc, i, "unescaped double quote inside the content");
            continue;
        }
        if (c == '|') {
            hex = true;
            hex_start = i;
            nib = -1;
            continue;
        }
        out[n++] = (uint8_t)c;
    }
    if (rc == VG_OK && hex) rc = rule__kwfail(pc, hex_start, "unterminated hex block");
    if (rc == VG_OK && n == 0) rc = rule__kwfail(pc, p, "empty content");
    if (rc == VG_OK && n > CONTENT_MAX)
        rc = rule__fail(pc, p, VG_ERR_LIMIT, "content: longer than %u bytes", CONTENT_MAX);
    if (rc != VG_OK) {
        vg_free(out);
        return pc->status;
    }
    out[n] = '\0';
    if (arg == 1) pc->override = RULE_BUF_HTTP_URI; /* uricontent */
    long idx = rule__add_match(pc, RULE_M_CONTENT, o->name.off);
    pc->override = -1;
    if (idx < 0) {
        vg_free(out);
        return pc->status;
    }
    struct rule_content *ct = &pc->m[idx].u.content;
    ct->pat = out;
    ct->len = (uint32_t)n;
    ct->flags = neg ? RULE_CONTENT_NEGATED : 0;
    ct->depth.var = ct->offset.var = ct->distance.var = ct->within.var = -1;
    pc->last_content = idx;
    return VG_OK;
}

/* The content a modifier applies to, or NULL (error set). */
static struct rule_content *last_content(struct rule_pc *pc, const struct rule_opt *o)
{
    if (pc->last_content < 0) {
        rule__kwfail(pc, o->name.off, "needs a preceding content");
        return NULL;
    }
    return &pc->m[pc->last_content].u.content;
}

#define POS_FLAGS                                                                                  \
    (RULE_CONTENT_DEPTH | RULE_CONTENT_OFFSET | RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN)

static int kw_nocase(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_content *c = last_content(pc, o);
    if (!c) return pc->status;
    if (c->flags & RULE_CONTENT_NOCASE)
        return rule__kwfail(pc, o->name.off,
                            "can't use multiple nocase modifiers on the same content");
    c->flags |= RULE_CONTENT_NOCASE;
    return VG_OK;
}

static int kw_rawbytes(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_content *c = last_content(pc, o);
    if (!c) return pc->status;
    if (pc->m[pc->last_content].buf != RULE_BUF_PKT)
        return rule__kwfail(pc, o->name.off,
                            "only valid on payload content, not in a sticky buffer");
    c->flags |= RULE_CONTENT_RAWBYTES;
    return VG_OK;
}

enum { MOD_DEPTH, MOD_OFFSET, MOD_DISTANCE, MOD_WITHIN };

static int kw_position(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    static const char *const names[] = {"depth", "offset", "distance", "within"};
    static const uint32_t flags[] = {RULE_CONTENT_DEPTH, RULE_CONTENT_OFFSET, RULE_CONTENT_DISTANCE,
                                     RULE_CONTENT_WITHIN};
    struct rule_content *c = last_content(pc, o);
    if (!c) return pc->status;
    uint32_t f = flags[arg];
    bool relative = arg == MOD_DISTANCE || arg == MOD_WITHIN;
    if (c->flags & RULE_CONTENT_STARTSWITH)
        return rule__kwfail(pc, o->name.off, "can't be used with startswith on the same content");
    if (c->flags & f)
        return rule__kwfail(pc, o->name.off, "can't use multiple %ss for the same content",
                            names[arg]);
    if (relative ? (c->flags & (RULE_CONTENT_DEPTH | RULE_CONTENT_OFFSET))
                 : (c->flags & (RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN)))
        return rule__kwfail(pc, o->name.off,
                            "can't mix relative (distance/within) and absolute (depth/offset) "
                            "modifiers on the same content");
    if (c->flags & RULE_CONTENT_FAST_PATTERN_ONLY)
        return rule__kwfail(pc, o->name.off,
                            "can't have a positional modifier along with 'fast_pattern:only'");
    if ((c->flags & RULE_CONTENT_NEGATED) && (c->flags & RULE_CONTENT_FAST_PATTERN))
        return rule__kwfail(pc, o->name.off,
                            "can't have a positional modifier on a negated fast_pattern content");
    struct rule_num num;
    int64_t lo = relative ? -REL_LIMIT : 0, hi = relative ? REL_LIMIT : 65535;
    if (rule__parse_num(pc, o->val, lo, hi, &num, NULL) != VG_OK) return pc->status;
    if (num.var < 0) {
        if (arg == MOD_DEPTH && num.v < (int64_t)c->len)
            return rule__kwfail(pc, o->val.off, "%lld is smaller than the content length %u",
                                (long long)num.v, c->len);
        if (arg == MOD_WITHIN && num.v < (int64_t)c->len)
            return rule__kwfail(pc, o->val.off, "%lld is less than the content length %u",
                                (long long)num.v, c->len);
    }
    c->flags |= f;
    switch (arg) {
    case MOD_DEPTH:
        c->depth = num;
        break;
    case MOD_OFFSET:
        c->offset = num;
        break;
    case MOD_DISTANCE:
        c->distance = num;
        break;
    default:
        c->within = num;
        break;
    }
    return VG_OK;
}

static int kw_startswith(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_content *c = last_content(pc, o);
    if (!c) return pc->status;
    if (c->flags & RULE_CONTENT_STARTSWITH)
        return rule__kwfail(pc, o->name.off, "can't use multiple startswith on the same content");
    if (c->flags & POS_FLAGS)
        return rule__kwfail(pc, o->name.off,
                            "can't be mixed with depth, offset, distance or within");
    if (c->flags & RULE_CONTENT_FAST_PATTERN_ONLY)
        return rule__kwfail(pc, o->name.off, "can't be used with 'fast_pattern:only'");
    c->flags |= RULE_CONTENT_STARTSWITH | RULE_CONTENT_DEPTH | RULE_CONTENT_OFFSET;
    c->depth = (struct rule_num){c->len, -1};
    c->offset = (struct rule_num){0, -1};
    return VG_OK;
}

static int kw_endswith(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_content *c = last_content(pc, o);
    if (!c) return pc->status;
    if (c->flags & RULE_CONTENT_ENDSWITH)
        return rule__kwfail(pc, o->name.off, "can't use multiple endswith on the same content");
    c->flags |= RULE_CONTENT_ENDSWITH;
    return VG_OK;
}

static int kw_fast_pattern(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_content *c = last_content(pc, o);
    if (!c) return pc->status;
    if (pc->fp_match >= 0 && pc->fp_match != pc->last_content)
        return rule__kwfail(pc, o->name.off, "can be set on only one content per rule");
    if (c->flags & RULE_CONTENT_FAST_PATTERN)
        return rule__kwfail(pc, o->name.off, "set twice on the same content");
    uint32_t add = RULE_CONTENT_FAST_PATTERN;
    if (o->has_val && o->val.len) {
        if (rule__tok_eq(pc->s, o->val, "only")) {
            add |= RULE_CONTENT_FAST_PATTERN_ONLY;
            if (c->flags & RULE_CONTENT_NEGATED)
                return rule__kwfail(pc, o->val.off, "'only' can't be used on a negated content");
            if (c->flags & (POS_FLAGS | RULE_CONTENT_STARTSWITH))
                return rule__kwfail(
                    pc, o->val.off,
                    "can't have a positional modifier along with 'fast_pattern:only'");
        } else {
            struct rule_tok f[3];
            uint64_t fo, fl;
            if (rule__split(pc->s, o->val, ',', f, 3) != 2 ||
                !rule__parse_u64(pc->s, f[0], false, 65535, &fo) ||
                !rule__parse_u64(pc->s, f[1], false, 65535, &fl) || fl == 0)
                return rule__kwfail(pc, o->val.off, "expected 'only' or 'offset,length'");
            if (fo + fl > c->len)
                return rule__kwfail(pc, o->val.off,
                                    "offset + length (%llu) exceeds the content length %u",
                                    (unsigned long long)(fo + fl), c->len);
            add |= RULE_CONTENT_FAST_PATTERN_CHOP;
            c->fp_off = (uint16_t)fo;
            c->fp_len = (uint16_t)fl;
        }
    }
    if ((c->flags & RULE_CONTENT_NEGATED) && (c->flags & POS_FLAGS))
        return rule__kwfail(pc, o->name.off,
                            "can't have a positional modifier on a negated fast_pattern content");
    c->flags |= add;
    pc->fp_match = pc->last_content;
    pc->fp_off = o->name.off;
    return VG_OK;
}

const struct rule_kw kw_content__table[] = {
    {"content", kw_content, 0, RULE_KW_VAL},
    {"uricontent", kw_content, 1, RULE_KW_VAL},
    {"nocase", kw_nocase, 0, RULE_KW_NOVAL},
    {"rawbytes", kw_rawbytes, 0, RULE_KW_NOVAL},
    {"depth", kw_position, MOD_DEPTH, RULE_KW_VAL},
    {"offset", kw_position, MOD_OFFSET, RULE_KW_VAL},
    {"distance", kw_position, MOD_DISTANCE, RULE_KW_VAL},
    {"within", kw_position, MOD_WITHIN, RULE_KW_VAL},
    {"startswith", kw_startswith, 0, RULE_KW_NOVAL},
    {"endswith", kw_endswith, 0, RULE_KW_NOVAL},
    {"fast_pattern", kw_fast_pattern, 0, RULE_KW_OPTVAL},
    {NULL, NULL, 0, 0},
};

/* ---- finalisation --------------------------------------------------------------------------- */

/* Largest buffer size a dsize/bsize condition allows, or -1 when unbounded; *shown is the bound
 * as written (Suricata's messages quote it). */
static int64_t cmp_max(const struct rule_cmp *c, char *shown, size_t n)
{
    switch (c->op) {
    case RULE_CMP_EQ:
    case RULE_CMP_LE:
        snprintf(shown, n, "value %llu", (unsigned long long)c->a);
        return (int64_t)c->a;
    case RULE_CMP_LT:
        snprintf(shown, n, "value %llu", (unsigned long long)c->a);
        return (int64_t)c->a - 1;
    case RULE_CMP_RANGE:
        snprintf(shown, n, "range %llu-%llu", (unsigned long long)c->a, (unsigned long long)c->b);
        return (int64_t)c->b - 1;
    default:
        return -1;
    }
}

/* A lower bound of the bytes a buffer must hold for its matches to succeed: each positive
 * content ends at least at (offset or previous end + distance) + length. Negated contents need
 * nothing; matches that may move the cursor backwards reset the chain. */
static int64_t required_len(const struct rule_buffer *b)
{
    int64_t need = 0, prev_end = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        const struct rule_match *m = &b->m[i];
        switch (m->kind) {
        case RULE_M_CONTENT: {
            const struct rule_content *c = &m->u.content;
            if (c->flags & RULE_CONTENT_NEGATED) break;
            int64_t start;
            if (c->flags & (RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN)) {
                int64_t d =
                    (c->flags & RULE_CONTENT_DISTANCE) && c->distance.var < 0 ? c->distance.v : 0;
                start = prev_end + d;
                if (start < 0) start = 0;
            } else {
                start = (c->flags & RULE_CONTENT_OFFSET) && c->offset.var < 0 ? c->offset.v : 0;
            }
            int64_t end = start + (int64_t)c->len;
            if (end > need) need = end;
            prev_end = end;
            break;
        }
        case RULE_M_PCRE:
            if (!(m->u.pcre.flags & RULE_PCRE_RELATIVE)) prev_end = 0;
            break;
        case RULE_M_BYTE_JUMP:
        case RULE_M_BYTE_EXTRACT:
        case RULE_M_BASE64_DECODE:
            prev_end = 0;
            break;
        default:
            break;
        }
    }
    return need;
}

int kw_content__finalize(struct rule_pc *pc)
{
    struct rule *r = pc->r;
    /* 1. group the matches by list (buffer + transforms), in order of first use */
    uint32_t count[RULE_MAX_LISTS] = {0};
    uint32_t nbuf = pc->ninst;
    for (size_t i = 0; i < pc->nm; i++)
        count[pc->m[i].list]++;
    if (nbuf) {
        r->buf = vg_calloc(nbuf, sizeof *r->buf);
        if (!r->buf) return rule__fail(pc, 0, VG_ERR_NOMEM, "out of memory");
        r->nbuf = nbuf;
        for (uint32_t b = 0; b < nbuf; b++) {
            struct rule_buffer *rb = &r->buf[b];
            rb->id = pc->inst[b].id;
            rb->ntx = pc->inst[b].ntx;
            memcpy(rb->tx, pc->inst[b].tx, sizeof rb->tx);
            rb->m = count[b] ? vg_malloc(count[b] * sizeof *rb->m) : NULL;
            if (count[b] && !rb->m) {
                /* nothing moved yet: free the lists, the matches stay with pc */
                for (uint32_t k = 0; k < nbuf; k++)
                    vg_free(r->buf[k].m);
                vg_free(r->buf);
                r->buf = NULL;
                r->nbuf = 0;
                return rule__fail(pc, 0, VG_ERR_NOMEM, "out of memory");
            }
        }
        for (size_t i = 0; i < pc->nm; i++) {
            struct rule_buffer *rb = &r->buf[pc->m[i].list];
            if ((long)i == pc->fp_match) {
                r->fp_buf = pc->m[i].list;
                r->fp_idx = (int32_t)rb->n;
            }
            rb->m[rb->n++] = pc->m[i];
        }
        pc->nm = 0; /* the rule owns them now */
        /* lists left empty (a content moved away by a legacy modifier) are dropped */
        uint32_t w = 0;
        uint8_t remap[RULE_MAX_LISTS];
        for (uint32_t b = 0; b < nbuf; b++) {
            remap[b] = (uint8_t)w;
            if (r->buf[b].n == 0) {
                vg_free(r->buf[b].m);
                continue;
            }
            r->buf[w++] = r->buf[b];
        }
        r->nbuf = w;
        for (uint32_t b = 0; b < w; b++) {
            for (uint32_t i = 0; i < r->buf[b].n; i++)
                r->buf[b].m[i].list = (uint8_t)b;
        }
        if (r->fp_buf >= 0) r->fp_buf = remap[r->fp_buf];
    }

    /* 2. per-buffer checks */
    for (uint32_t b = 0; b < r->nbuf; b++) {
        const struct rule_buffer *rb = &r->buf[b];
        for (uint32_t i = 0; i < rb->n; i++) {
            const struct rule_match *m = &rb->m[i];
            if (m->kind == RULE_M_CONTENT && rb->id == RULE_BUF_HTTP_HOST &&
                !(m->u.content.flags & RULE_CONTENT_NOCASE)) {
                for (uint32_t k = 0; k < m->u.content.len; k++) {
                    if (isupper(m->u.content.pat[k]))
                        return rule__fail(pc, m->src_off, VG_ERR_FORMAT,
                                          "content: uppercase pattern for http.host, which is "
                                          "normalised to lowercase");
                }
            }
            if (m->kind == RULE_M_BSIZE) {
                char shown[64];
                int64_t max = cmp_max(&m->u.bsize, shown, sizeof shown);
                int64_t need = required_len(rb);
                if (max >= 0 && need > max)
                    return rule__fail(pc, m->src_off, VG_ERR_FORMAT,
                                      "signature can't match as required content length %lld "
                                      "exceeds bsize %s",
                                      (long long)need, shown);
            }
        }
        if (rb->id == RULE_BUF_PKT && rb->ntx == 0 && pc->dsize_pm >= 0) {
            char shown[64];
            const struct rule_cmp *dc = &r->pm[pc->dsize_pm].u.cmp;
            int64_t max = cmp_max(dc, shown, sizeof shown);
            int64_t need = required_len(rb);
            if (dc->op == RULE_CMP_RANGE) /* Suricata quotes the upper bound for dsize */
                snprintf(shown, sizeof shown, "value %llu", (unsigned long long)dc->b);
            if (max >= 0 && need > max)
                return rule__fail(pc, pc->dsize_off, VG_ERR_FORMAT,
                                  "signature can't match as required content length %lld exceeds "
                                  "dsize %s",
                                  (long long)need, shown);
        }
    }
    return VG_OK;
}
