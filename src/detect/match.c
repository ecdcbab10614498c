/* match.c - verification of one buffer list of a rule against one buffer: content (nocase, depth,
 * offset, distance, within, startswith, endswith, negation), pcre (PCRE2 JIT, /R), byte_test,
 * byte_jump, byte_extract, isdataat, bsize/urilen, base64_decode + base64_data; transforms; and
 * the address/port/number helpers of the rule header.
 *
 * Semantics are those of Suricata's DetectEngineContentInspection (detect-engine-content-
 * inspection.c), item for item, including its backtracking: when a content (or pcre) matched and
 * the rest of the list then fails, the content is searched again from one byte after the start of
 * its previous match - but only when the next match depends on it through `within` or a relative
 * non-content keyword (Suricata's WITHIN_NEXT / RELATIVE_NEXT); a content followed only by a
 * `distance` content gives up, as later occurrences cannot help. A positive absolute content that
 * is not found at all ends the whole list ("discontinue").
 *
 * Suricata recurses once per keyword; here the recursion is an explicit stack of frames (one per
 * content/pcre that may be retried), bounded by the list length, and the total work is capped at
 * MATCH_STEP_LIMIT steps (Suricata's inspection-recursion-limit, 3000): a rule that needs more is
 * a no-match and is counted.
 *
 * Stream chunks that start with a tail of already inspected bytes pass an origin (struct
 * match_buf): absolute positions count from it, and a match only counts when it reads beyond it,
 * so a match that lies wholly in bytes inspected before is not reported twice; in that mode every
 * content/pcre is retried at its next occurrence. (Suricata inspects raw stream chunks with
 * depth measured from the chunk start, as here from the new bytes.)
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

#define MATCH_STEP_LIMIT 3000
#define TX_SLOTS 4
#define TX_BUF_MAX (256u * 1024u)
#define B64_MAX (64u * 1024u)
#define PCRE_MATCH_LIMIT 3500 /* Suricata's default pcre match limit */
#define PCRE_DEPTH_LIMIT 1500 /* and its recursion limit */

struct frame {
    uint32_t idx;     /* item of the list */
    uint32_t pbo;     /* buffer offset when the item was first evaluated */
    uint32_t retry;   /* content: next search position; pcre: next start + 0 */
    uint32_t max_end; /* furthest byte read before this item */
};

struct match_ctx {
    const struct detect_engine *de;
    uint64_t vars[RULE_MAX_VARS];
    pcre2_match_data *md;
    pcre2_match_context *mctx, *mctx_nolimit;
    pcre2_jit_stack *jit;
    uint64_t pcre_errors;
    struct frame *stack;
    uint32_t stack_cap;
    uint8_t *b64;
    uint32_t b64_len;
    uint8_t *txb[TX_SLOTS][2];
    /* per inspection */
    uint32_t off;     /* Suricata's det_ctx->buffer_offset */
    uint32_t origin;  /* start of the buffer proper (struct match_buf) */
    uint32_t max_end; /* furthest byte of the buffer a positive match read */
    uint32_t steps;
    bool limited;
    int depth; /* base64_data nesting */
};

struct match_ctx *match__ctx_new(const struct detect_engine *de)
{
    struct match_ctx *mc = vg_calloc(1, sizeof *mc);
    if (!mc) return NULL;
    mc->de = de;
    mc->stack_cap = 2 * ((de ? de->max_list : 0) + 2) + 16;
    mc->stack = vg_calloc(mc->stack_cap, sizeof *mc->stack);
    mc->b64 = vg_malloc(B64_MAX);
    mc->md = pcre2_match_data_create(1, NULL);
    mc->mctx = pcre2_match_context_create(NULL);
    mc->mctx_nolimit = pcre2_match_context_create(NULL);
    mc->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    bool ok = mc->stack && mc->b64 && mc->md && mc->mctx && mc->mctx_nolimit && mc->jit;
    for (int s = 0; s < TX_SLOTS && ok; s++)
        for (int k = 0; k < 2 && ok; k++) {
            mc->txb[s][k] = vg_malloc(TX_BUF_MAX + 1);
            ok = mc->txb[s][k] != NULL;
        }
    if (!ok) {
        match__ctx_free(mc);
        return NULL;
    }
    pcre2_set_match_limit(mc->mctx, PCRE_MATCH_LIMIT);
    pcre2_set_depth_limit(mc->mctx, PCRE_DEPTH_LIMIT);
    pcre2_jit_stack_assign(mc->mctx, NULL, mc->jit);
    pcre2_jit_stack_assign(mc->mctx_nolimit, NULL, mc->jit);
    return mc;
}

void match__ctx_free(struct match_ctx *mc)
{
    if (!mc) return;
    vg_free(mc->stack);
    vg_free(mc->b64);
    for (int s = 0; s < TX_SLOTS; s++)
        for (int k = 0; k < 2; k++)
            vg_free(mc->txb[s][k]);
    pcre2_match_data_free(mc->md);
    pcre2_match_context_free(mc->mctx);
    pcre2_match_context_free(mc->mctx_nolimit);
    pcre2_jit_stack_free(mc->jit);
    vg_free(mc);
}

void match__rule_begin(struct match_ctx *mc)
{
    memset(mc->vars, 0, sizeof mc->vars);
}

uint64_t match__pcre_errors(const struct match_ctx *mc)
{
    return mc->pcre_errors;
}

/* ---- numbers, addresses, ports ----------------------------------------------------------------
 */

bool match__cmp(const struct rule_cmp *c, uint64_t x)
{
    switch (c->op) {
    case RULE_CMP_EQ:
        return x == c->a;
    case RULE_CMP_NE:
        return x != c->a;
    case RULE_CMP_LT:
        return x < c->a;
    case RULE_CMP_LE:
        return x <= c->a;
    case RULE_CMP_GT:
        return x > c->a;
    case RULE_CMP_GE:
        return x >= c->a;
    case RULE_CMP_RANGE:
        return x > c->a && x < c->b;
    }
    return false;
}

bool match__addr(const struct rule_addr *a, const struct vg_addr *x)
{
    if (a->any) return true;
    if (x->family == 4) {
        uint32_t v =
            (uint32_t)x->a[0] << 24 | (uint32_t)x->a[1] << 16 | (uint32_t)x->a[2] << 8 | x->a[3];
        uint32_t lo = 0, hi = a->n4;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (a->v4[mid].hi < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < a->n4 && a->v4[lo].lo <= v;
    }
    if (x->family == 6) {
        uint32_t lo = 0, hi = a->n6;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (memcmp(a->v6[mid].hi, x->a, 16) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < a->n6 && memcmp(a->v6[lo].lo, x->a, 16) <= 0;
    }
    return false;
}

bool match__port(const struct rule_ports *p, uint16_t x)
{
    if (p->any) return true;
    uint32_t lo = 0, hi = p->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (p->r[mid].hi < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n && p->r[lo].lo <= x;
}

/* ---- transforms -------------------------------------------------------------------------------
 */

static int hexv(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static uint32_t digest(const EVP_MD *md, const uint8_t *in, uint32_t n, uint8_t *out)
{
    unsigned int l = 0;
    if (EVP_Digest(in, n, out, &l, md, NULL) != 1) return 0;
    return l;
}

/* One transform of in[0..n) into out (room for TX_BUF_MAX + 1); returns the new length. */
static uint32_t transform1(uint8_t t, const uint8_t *in, uint32_t n, uint8_t *out)
{
    uint32_t o = 0;
    switch (t) {
    case RULE_TX_DOTPREFIX:
        out[o++] = '.';
        memcpy(out + o, in, n);
        return n + 1;
    case RULE_TX_STRIP_WHITESPACE:
        for (uint32_t i = 0; i < n; i++)
            if (!isspace(in[i])) out[o++] = in[i];
        return o;
    case RULE_TX_COMPRESS_WHITESPACE: /* a run of blanks keeps its first byte */
        for (uint32_t i = 0; i < n; i++)
            if (!isspace(in[i]) || i == 0 || !isspace(in[i - 1])) out[o++] = in[i];
        return o;
    case RULE_TX_TO_LOWERCASE:
        for (uint32_t i = 0; i < n; i++)
            out[i] = (uint8_t)tolower(in[i]);
        return n;
    case RULE_TX_TO_UPPERCASE:
        for (uint32_t i = 0; i < n; i++)
            out[i] = (uint8_t)toupper(in[i]);
        return n;
    case RULE_TX_TO_MD5:
        return digest(EVP_md5(), in, n, out);
    case RULE_TX_TO_SHA1:
        return digest(EVP_sha1(), in, n, out);
    case RULE_TX_TO_SHA256:
        return digest(EVP_sha256(), in, n, out);
    case RULE_TX_URL_DECODE:
        for (uint32_t i = 0; i < n; i++) {
            if (in[i] == '%' && i + 2 < n + 0 && hexv(in[i + 1]) >= 0 && hexv(in[i + 2]) >= 0) {
                out[o++] = (uint8_t)(hexv(in[i + 1]) << 4 | hexv(in[i + 2]));
                i += 2;
            } else if (in[i] == '+') {
                out[o++] = ' ';
            } else {
                out[o++] = in[i];
            }
        }
        return o;
    case RULE_TX_HEADER_LOWERCASE: {
        bool name = true;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t c = in[i];
            if (c == '\n')
                name = true;
            else if (c == ':')
                name = false;
            out[i] = name ? (uint8_t)tolower(c) : c;
        }
        return n;
    }
    case RULE_TX_STRIP_PSEUDO_HEADERS: {
        uint32_t i = 0;
        while (i < n) {
            uint32_t e = i;
            while (e < n && in[e] != '\n')
                e++;
            if (e < n) e++;
            if (in[i] != ':') {
                memcpy(out + o, in + i, e - i);
                o += e - i;
            }
            i = e;
        }
        return o;
    }
    default:
        memcpy(out, in, n);
        return n;
    }
}

const uint8_t *match__transform(struct match_ctx *mc, int slot, const struct rule_buffer *b,
                                const uint8_t *in, uint32_t len, uint32_t *out_len, bool *trunc)
{
    *out_len = len;
    if (!b || b->ntx == 0) return in;
    if (slot < 0 || slot >= TX_SLOTS) slot = 0;
    if (len > TX_BUF_MAX - 1) {
        len = TX_BUF_MAX - 1;
        if (trunc) *trunc = true;
    }
    const uint8_t *cur = in;
    for (uint32_t k = 0; k < b->ntx; k++) {
        uint8_t *out = mc->txb[slot][k & 1];
        len = transform1(b->tx[k], cur, len, out);
        if (len > TX_BUF_MAX - 1) len = TX_BUF_MAX - 1;
        cur = out;
    }
    *out_len = len;
    return cur;
}

/* ---- items ------------------------------------------------------------------------------------
 */

static inline int64_t num(const struct match_ctx *mc, const struct rule_num *n)
{
    return n->var >= 0 && n->var < RULE_MAX_VARS ? (int64_t)mc->vars[n->var] : n->v;
}

static const uint8_t *find_nocase(const uint8_t *h, uint32_t hl, const uint8_t *p, uint32_t pl)
{
    if (pl == 0 || pl > hl) return NULL;
    uint8_t a = (uint8_t)tolower(p[0]), b = (uint8_t)toupper(p[0]);
    for (uint32_t i = 0; i + pl <= hl; i++) {
        if (h[i] != a && h[i] != b) continue;
        uint32_t k = 1;
        while (k < pl && tolower(h[i + k]) == tolower(p[k]))
            k++;
        if (k == pl) return h + i;
    }
    return NULL;
}

/* Whether a later item depends on item i through `within` or a relative non-content keyword
 * (Suricata's WITHIN_NEXT | RELATIVE_NEXT, set on the last content/pcre before it). */
static bool retry_useful(const struct rule_buffer *b, uint32_t i)
{
    for (uint32_t j = i + 1; j < b->n; j++) {
        const struct rule_match *m = &b->m[j];
        switch (m->kind) {
        case RULE_M_CONTENT:
            return (m->u.content.flags & RULE_CONTENT_WITHIN) != 0;
        case RULE_M_PCRE:
            return (m->u.pcre.flags & RULE_PCRE_RELATIVE) != 0;
        case RULE_M_BYTE_TEST:
        case RULE_M_BYTE_JUMP:
        case RULE_M_BYTE_EXTRACT:
            if (m->u.byte.flags & RULE_BYTE_RELATIVE) return true;
            break;
        case RULE_M_ISDATAAT:
            if (m->u.isdataat.relative) return true;
            break;
        case RULE_M_BASE64_DECODE:
            if (m->u.base64.relative) return true;
            break;
        default:
            break;
        }
    }
    return false;
}

/* Outcomes of one evaluation of an item. */
enum { R_FOUND, R_NEXT, R_NOMATCH, R_DISCONTINUE, R_DONE };

/* Suricata's content loop: searches from the window the modifiers give (or from `retry` when it
 * is not 0) until a match that satisfies endswith; *mend is its end. Absolute windows (depth,
 * offset) count from mc->origin; an unanchored content may start in the look-behind. */
static int content_eval(struct match_ctx *mc, const struct rule_content *c, uint32_t pbo,
                        uint32_t retry, const uint8_t *buf, uint32_t blen, uint32_t *mend)
{
    uint32_t prev_off = retry;
    const bool neg = c->flags & RULE_CONTENT_NEGATED;
    const bool rel = c->flags & (RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN);
    const uint32_t org = mc->origin;
    for (;;) {
        if (++mc->steps > MATCH_STEP_LIMIT) {
            mc->limited = true;
            return R_DISCONTINUE;
        }
        uint32_t depth = blen, offset = 0;
        if (rel) {
            offset = pbo;
            int64_t distance = (c->flags & RULE_CONTENT_DISTANCE) ? num(mc, &c->distance) : 0;
            if (c->flags & RULE_CONTENT_DISTANCE) {
                if (distance < 0 && (uint64_t)(-distance) > offset)
                    offset = 0;
                else
                    offset = (uint32_t)((int64_t)offset + distance);
            }
            if (c->flags & RULE_CONTENT_WITHIN) {
                int64_t lim = (int64_t)pbo + num(mc, &c->within) + distance;
                /* Suricata compares as int32: a negative end leaves the depth at the buffer end */
                if ((int32_t)depth > (int32_t)lim) depth = (uint32_t)lim;
            }
        } else if (c->flags & (RULE_CONTENT_DEPTH | RULE_CONTENT_OFFSET)) {
            int64_t o = (c->flags & RULE_CONTENT_OFFSET) ? num(mc, &c->offset) : 0;
            if (o < 0) o = 0;
            o += org;
            if (c->flags & RULE_CONTENT_DEPTH) {
                int64_t d = num(mc, &c->depth) + o;
                if (d > UINT32_MAX) d = UINT32_MAX;
                depth = d > 0 ? (uint32_t)d : 0;
            }
            offset = o > UINT32_MAX ? UINT32_MAX : (uint32_t)o;
        }
        if (prev_off != 0) offset = prev_off;
        if (depth > blen) depth = blen;
        if (offset > depth || depth == 0) return neg ? R_NEXT : R_NOMATCH;
        const uint8_t *sb = buf + offset;
        uint32_t sl = depth - offset;
        const uint8_t *found = NULL;
        if ((c->flags & RULE_CONTENT_ENDSWITH) && depth < blen)
            found = NULL;
        else if (c->len > sl)
            found = NULL;
        else if (c->flags & RULE_CONTENT_NOCASE)
            found = find_nocase(sb, sl, c->pat, c->len);
        else
            found = memmem(sb, sl, c->pat, c->len);
        if (!found) {
            if (neg) return R_NEXT;
            return rel ? R_NOMATCH : R_DISCONTINUE;
        }
        uint32_t mo = (uint32_t)(found - buf) + c->len;
        if (neg) {
            if ((c->flags & RULE_CONTENT_ENDSWITH) && sl != mo) return R_NEXT;
            bool single = !(c->flags & (RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN |
                                        RULE_CONTENT_DEPTH | RULE_CONTENT_OFFSET));
            return single ? R_DISCONTINUE : R_NOMATCH;
        }
        if (!(c->flags & RULE_CONTENT_ENDSWITH) || mo == blen) {
            *mend = mo;
            return R_FOUND;
        }
        prev_off = mo - (c->len - 1);
    }
}

/* Suricata's DetectPcrePayloadMatch: from the buffer offset (R) or the start; `retry` is the
 * absolute position to restart at (start of the previous match + 1), 0 for the first search. */
static int pcre_eval(struct match_ctx *mc, const struct rule_pcre *pe, const uint8_t *buf,
                     uint32_t blen, uint32_t retry, uint32_t *mstart1, uint32_t *mend)
{
    if (++mc->steps > MATCH_STEP_LIMIT) {
        mc->limited = true;
        return R_DISCONTINUE;
    }
    uint32_t base = (pe->flags & RULE_PCRE_RELATIVE) ? mc->off : mc->origin;
    if (base > blen) base = blen;
    uint32_t start = retry ? retry - base : 0;
    if (retry && retry < base) start = 0;
    if (start > blen - base) return (pe->flags & RULE_PCRE_NEGATED) ? R_NEXT : R_NOMATCH;
    int rc = pcre2_match((const pcre2_code *)pe->code, buf + base, blen - base, start, 0, mc->md,
                         (pe->flags & RULE_PCRE_NO_LIMIT) ? mc->mctx_nolimit : mc->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) return (pe->flags & RULE_PCRE_NEGATED) ? R_NEXT : R_NOMATCH;
    if (rc < 0 && rc != PCRE2_ERROR_PARTIAL) {
        mc->pcre_errors++;
        return R_NOMATCH;
    }
    if (pe->flags & RULE_PCRE_NEGATED) return R_NOMATCH;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(mc->md);
    *mend = base + (uint32_t)ov[1];
    *mstart1 = base + (uint32_t)ov[0] + 1;
    return R_FOUND;
}

/* strtoull over at most n characters in base (Suricata's ByteExtractStringUint64): leading
 * blanks, an optional sign and, in base 16, an optional 0x are accepted. Returns the characters
 * consumed, 0 when there is no digit, -1 on overflow. */
static int str_num(const uint8_t *p, uint32_t n, int base, uint64_t *v)
{
    uint32_t i = 0;
    *v = 0;
    while (i < n && isspace(p[i]))
        i++;
    bool neg = false;
    if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
    if (base == 16 && i + 1 < n && p[i] == '0' && (p[i + 1] == 'x' || p[i + 1] == 'X') &&
        i + 2 < n && hexv(p[i + 2]) >= 0)
        i += 2;
    uint32_t d0 = i;
    uint64_t x = 0;
    for (; i < n; i++) {
        int d = hexv(p[i]);
        if (d < 0 || d >= base) break;
        if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return -1;
        x = x * (uint64_t)base + (uint64_t)d;
    }
    if (i == d0) return 0;
    *v = neg ? (uint64_t)(-(int64_t)x) : x;
    return (int)i;
}

/* Reads nbytes at ptr (already bounds checked) as a number; returns bytes consumed or <= 0. */
static int extract(const struct rule_byte *bt, uint32_t flags, uint32_t nbytes, const uint8_t *ptr,
                   uint64_t *val)
{
    if (flags & RULE_BYTE_STRING) return str_num(ptr, nbytes, bt->base ? bt->base : 10, val);
    if (nbytes > 8) return -1;
    uint64_t v = 0;
    if (flags & RULE_BYTE_LITTLE) {
        for (uint32_t i = nbytes; i > 0; i--)
            v = v << 8 | ptr[i - 1];
    } else {
        for (uint32_t i = 0; i < nbytes; i++)
            v = v << 8 | ptr[i];
    }
    *val = v;
    return (int)nbytes;
}

static int byte_test(struct match_ctx *mc, const struct rule_byte *bt, const uint8_t *buf,
                     uint32_t blen)
{
    if (blen == 0) return R_NOMATCH;
    int64_t offset = num(mc, &bt->offset);
    int64_t nbytes = bt->nbytes_var >= 0 ? (int64_t)mc->vars[bt->nbytes_var] : bt->nbytes;
    uint64_t value = (uint64_t)num(mc, &bt->value);
    int64_t start, len;
    if (bt->flags & RULE_BYTE_RELATIVE) {
        start = (int64_t)mc->off + offset;
        len = (int64_t)blen - start;
        if (len <= 0) return R_NOMATCH;
    } else {
        start = offset + mc->origin;
        len = (int64_t)blen - start;
    }
    if (start < 0 || nbytes > len || nbytes > 23) return R_NOMATCH;
    uint64_t val = 0;
    int ext = extract(bt, bt->flags, (uint32_t)nbytes, buf + start, &val);
    if (ext <= 0) return R_NOMATCH;
    if (start + ext > (int64_t)mc->max_end) mc->max_end = (uint32_t)(start + ext);
    if (bt->flags & RULE_BYTE_BITMASK) {
        val &= bt->bitmask;
        uint32_t m = bt->bitmask, sh = 0;
        while (m && !(m & 1)) {
            m >>= 1;
            sh++;
        }
        if (val && sh) val >>= sh;
    }
    bool ok = false;
    switch (bt->op) {
    case RULE_BT_EQ:
        ok = val == value;
        break;
    case RULE_BT_LT:
        ok = val < value;
        break;
    case RULE_BT_GT:
        ok = val > value;
        break;
    case RULE_BT_LE:
        ok = val <= value;
        break;
    case RULE_BT_GE:
        ok = val >= value;
        break;
    case RULE_BT_AND:
        ok = (val & value) != 0;
        break;
    case RULE_BT_XOR:
        ok = (val ^ value) != 0;
        break;
    }
    if (bt->flags & RULE_BYTE_NEGATED) ok = !ok;
    return ok ? R_NEXT : R_NOMATCH;
}

static int byte_jump(struct match_ctx *mc, const struct rule_byte *bj, const uint8_t *buf,
                     uint32_t blen)
{
    if (blen == 0) return R_NOMATCH;
    int64_t offset = num(mc, &bj->offset);
    int64_t nbytes = bj->nbytes_var >= 0 ? (int64_t)mc->vars[bj->nbytes_var] : bj->nbytes;
    if (nbytes > ((bj->flags & RULE_BYTE_STRING) ? 23 : 8) || nbytes < 0) return R_NOMATCH;
    int64_t ptr = offset, len = (int64_t)blen - offset;
    if (bj->flags & RULE_BYTE_RELATIVE) {
        ptr += mc->off;
        len -= mc->off;
        if (nbytes && len <= 0) return R_NOMATCH;
    } else {
        ptr += mc->origin;
        len -= mc->origin;
    }
    if (ptr < 0 || nbytes > len) return R_NOMATCH;
    uint64_t val = 0;
    int ext = 0;
    if (nbytes) {
        ext = extract(bj, bj->flags, (uint32_t)nbytes, buf + ptr, &val);
        if ((bj->flags & RULE_BYTE_STRING) ? ext <= 0 : ext != nbytes) return R_NOMATCH;
    }
    if (ptr + ext > (int64_t)mc->max_end) mc->max_end = (uint32_t)(ptr + ext);
    if (bj->flags & RULE_BYTE_BITMASK) {
        val &= bj->bitmask;
        uint32_t m = bj->bitmask, sh = 0;
        while (m && !(m & 1)) {
            m >>= 1;
            sh++;
        }
        if (val && sh) val >>= sh;
    }
    val *= (uint64_t)(bj->multiplier ? bj->multiplier : 1);
    if ((bj->flags & RULE_BYTE_ALIGN) && (val % 4) != 0) val += 4 - (val % 4);
    int64_t sval = (int64_t)val + bj->post_offset;
    int64_t jump;
    if (bj->flags & RULE_BYTE_FROM_BEGINNING)
        jump = (int64_t)mc->origin + sval;
    else if (bj->flags & RULE_BYTE_FROM_END)
        jump = (int64_t)blen + sval;
    else
        jump = ptr + sval + ext;
    if (jump < (int64_t)mc->origin)
        jump = mc->origin;
    else if (jump > (int64_t)blen)
        return R_NOMATCH;
    mc->off = (uint32_t)jump;
    return R_NEXT;
}

static int byte_extract(struct match_ctx *mc, const struct rule_byte *be, const uint8_t *buf,
                        uint32_t blen)
{
    if (blen == 0) return R_NOMATCH;
    int64_t offset = num(mc, &be->offset);
    int64_t ptr = offset, len;
    if (be->flags & RULE_BYTE_RELATIVE) {
        ptr = (int64_t)mc->off + offset;
        len = (int64_t)blen - ptr;
        if (len <= 0) return R_NOMATCH;
    } else {
        ptr = offset + mc->origin;
        len = (int64_t)blen - ptr;
    }
    if (ptr < 0 || be->nbytes > len) return R_NOMATCH;
    uint64_t val = 0;
    int ext = extract(be, be->flags, be->nbytes, buf + ptr, &val);
    if ((be->flags & RULE_BYTE_STRING) ? ext <= 0 : ext != be->nbytes) return R_NOMATCH;
    if (be->flags & RULE_BYTE_BITMASK) {
        val &= be->bitmask;
        uint32_t m = be->bitmask, sh = 0;
        while (m && !(m & 1)) {
            m >>= 1;
            sh++;
        }
        if (val && sh) val >>= sh;
    }
    val *= (uint64_t)(be->multiplier ? be->multiplier : 1);
    if ((be->flags & RULE_BYTE_ALIGN) && be->align && (val % be->align) != 0)
        val += be->align - (val % be->align);
    mc->off = (uint32_t)(ptr + ext);
    if (mc->off > mc->max_end) mc->max_end = mc->off;
    if (be->var >= 0 && be->var < RULE_MAX_VARS) mc->vars[be->var] = val;
    return R_NEXT;
}

static int isdataat(struct match_ctx *mc, const struct rule_isdataat *id, uint32_t blen)
{
    int64_t dataat = num(mc, &id->n);
    bool var = id->n.var >= 0;
    if (var && (uint64_t)dataat >= 100000000) return id->negated ? R_NEXT : R_NOMATCH;
    if (id->relative) {
        if ((int64_t)mc->off + dataat > (int64_t)blen) {
            if (id->negated) return R_NEXT;
            return var ? R_NOMATCH : R_DISCONTINUE;
        }
        return id->negated ? R_NOMATCH : R_NEXT;
    }
    if (dataat + mc->origin < (int64_t)blen) {
        if (id->negated) return var ? R_NOMATCH : R_DISCONTINUE;
        return R_NEXT;
    }
    if (id->negated) return R_NEXT;
    return var ? R_NOMATCH : R_DISCONTINUE;
}

/* RFC 4648 base64 (Suricata's BASE64_MODE_RFC4648): decodes complete quads from the start up to
 * the first character outside the alphabet; a final partial quad of 2 or 3 characters yields its
 * whole bytes. */
static uint32_t b64_decode(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t cap)
{
    uint32_t o = 0, q = 0, acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            break;
        acc = acc << 6 | (uint32_t)v;
        if (++q == 4) {
            if (o + 3 > cap) return o;
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            q = 0;
            acc = 0;
        }
    }
    if (q == 2 && o + 1 <= cap) {
        out[o++] = (uint8_t)(acc >> 4);
    } else if (q == 3 && o + 2 <= cap) {
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    return o;
}

static const struct rule_buffer *base64_list(const struct rule *r)
{
    for (uint32_t b = 0; b < r->nbuf; b++)
        if (r->buf[b].id == RULE_BUF_BASE64_DATA) return &r->buf[b];
    return NULL;
}

static int run_list(struct match_ctx *mc, const struct rule *r, const struct rule_buffer *b,
                    const uint8_t *buf, uint32_t blen, uint32_t min_end, uint32_t sbase);

static int base64_item(struct match_ctx *mc, const struct rule *r, const struct rule_base64 *d,
                       const uint8_t *buf, uint32_t blen, uint32_t sbase)
{
    const uint8_t *p = buf;
    uint32_t n = blen;
    uint32_t start = d->relative ? mc->off : mc->origin;
    if (start > n) return R_NOMATCH;
    p += start;
    n -= start;
    if (d->offset) {
        if (d->offset >= n) return R_NOMATCH;
        p += d->offset;
        n -= d->offset;
    }
    if (d->bytes && d->bytes < n) n = d->bytes;
    uint32_t dl = b64_decode(p, n, mc->b64, B64_MAX);
    const struct rule_buffer *bl = base64_list(r);
    if (!dl || !bl || mc->depth > 0) return R_NOMATCH;
    mc->depth++;
    uint32_t saved_off = mc->off, saved_org = mc->origin, saved_max = mc->max_end;
    mc->off = 0;
    mc->origin = 0;
    int rc = run_list(mc, r, bl, mc->b64, dl, 0, sbase);
    mc->off = saved_off;
    mc->origin = saved_org;
    mc->max_end = saved_max;
    mc->depth--;
    return rc == 1 ? R_DONE : R_NOMATCH;
}

/* ---- the engine -------------------------------------------------------------------------------
 */

/* Evaluates item i of b fresh. For content and pcre, R_FOUND sets *mend and *mstart1. */
static int eval_item(struct match_ctx *mc, const struct rule *r, const struct rule_buffer *b,
                     uint32_t i, const uint8_t *buf, uint32_t blen, uint32_t sbase, uint32_t *mend,
                     uint32_t *mstart1)
{
    const struct rule_match *m = &b->m[i];
    switch (m->kind) {
    case RULE_M_CONTENT:
        return content_eval(mc, &m->u.content, mc->off, 0, buf, blen, mend);
    case RULE_M_PCRE:
        return pcre_eval(mc, &m->u.pcre, buf, blen, 0, mstart1, mend);
    case RULE_M_BYTE_TEST:
        if (++mc->steps > MATCH_STEP_LIMIT) return R_DISCONTINUE;
        return byte_test(mc, &m->u.byte, buf, blen);
    case RULE_M_BYTE_JUMP:
        if (++mc->steps > MATCH_STEP_LIMIT) return R_DISCONTINUE;
        return byte_jump(mc, &m->u.byte, buf, blen);
    case RULE_M_BYTE_EXTRACT:
        if (++mc->steps > MATCH_STEP_LIMIT) return R_DISCONTINUE;
        return byte_extract(mc, &m->u.byte, buf, blen);
    case RULE_M_ISDATAAT:
        if (++mc->steps > MATCH_STEP_LIMIT) return R_DISCONTINUE;
        return isdataat(mc, &m->u.isdataat, blen);
    case RULE_M_BSIZE: {
        uint64_t size = (uint64_t)blen - mc->origin;
        if (match__cmp(&m->u.bsize, size)) return R_NEXT;
        return R_DISCONTINUE;
    }
    case RULE_M_BASE64_DECODE:
        return base64_item(mc, r, &m->u.base64, buf, blen, sbase);
    default:
        return R_NOMATCH;
    }
}

/* Returns 1 match, 0 no match, -1 no match and stop (Suricata's return values). Frames are taken
 * from mc->stack starting at sbase. */
static int run_list(struct match_ctx *mc, const struct rule *r, const struct rule_buffer *b,
                    const uint8_t *buf, uint32_t blen, uint32_t min_end, uint32_t sbase)
{
    if (b->n == 0) return 1;
    const bool force = min_end > 0;
    uint32_t sp = sbase; /* next free frame */
    uint32_t i = 0;
    int r_out;
    mc->max_end = 0;
descend:
    for (;;) {
        const struct rule_match *m = &b->m[i];
        uint32_t mend = 0, mstart1 = 0;
        uint32_t pbo = mc->off, saved_max = mc->max_end;
        int o = eval_item(mc, r, b, i, buf, blen, sp, &mend, &mstart1);
        if (o == R_DONE) {
            r_out = 1;
            goto finish;
        }
        if (o == R_NOMATCH || o == R_DISCONTINUE) {
            r_out = o == R_NOMATCH ? 0 : -1;
            break;
        }
        if (o == R_FOUND) {
            mc->off = mend;
            if (mend > mc->max_end) mc->max_end = mend;
            bool retry = force || (m->kind == RULE_M_CONTENT
                                       ? retry_useful(b, i)
                                       : (m->kind == RULE_M_PCRE && retry_useful(b, i)));
            if (i + 1 == b->n) {
                if (!force || mc->max_end > min_end) {
                    r_out = 1;
                    goto finish;
                }
                /* only old bytes: look for a later occurrence */
                if (sp < mc->stack_cap) {
                    struct frame *f = &mc->stack[sp++];
                    f->idx = i;
                    f->pbo = pbo;
                    f->retry = m->kind == RULE_M_CONTENT ? mend - (m->u.content.len - 1) : mstart1;
                    f->max_end = saved_max;
                }
                r_out = 0;
                break;
            }
            if (retry && sp < mc->stack_cap) {
                struct frame *f = &mc->stack[sp++];
                f->idx = i;
                f->pbo = pbo;
                f->retry = m->kind == RULE_M_CONTENT ? mend - (m->u.content.len - 1) : mstart1;
                f->max_end = saved_max;
            } else if (!retry && m->kind == RULE_M_CONTENT) {
                /* no retry: a failure below gives up the list (Suricata returns -1) */
                if (sp < mc->stack_cap) {
                    struct frame *f = &mc->stack[sp++];
                    f->idx = i;
                    f->pbo = pbo;
                    f->retry = 0; /* marks "give up" */
                    f->max_end = saved_max;
                }
            }
            i++;
            continue;
        }
        /* R_NEXT: matched without a retry point */
        if (i + 1 == b->n) {
            if (!force || mc->max_end > min_end) {
                r_out = 1;
                goto finish;
            }
            r_out = 0;
            break;
        }
        i++;
    }
    /* ascend: the rest of the list failed with r_out (0 or -1) */
    while (sp > sbase) {
        if (r_out == -1) {
            sp = sbase;
            break;
        }
        struct frame *f = &mc->stack[sp - 1];
        const struct rule_match *m = &b->m[f->idx];
        if (f->retry == 0) { /* content that does not retry: Suricata gives up here */
            sp--;
            r_out = -1;
            continue;
        }
        uint32_t mend = 0, mstart1 = 0;
        int o;
        mc->off = f->pbo;
        mc->max_end = f->max_end;
        if (m->kind == RULE_M_CONTENT)
            o = content_eval(mc, &m->u.content, f->pbo, f->retry, buf, blen, &mend);
        else
            o = pcre_eval(mc, &m->u.pcre, buf, blen, f->retry, &mstart1, &mend);
        if (o != R_FOUND) {
            sp--;
            /* a retry that finds nothing more: Suricata's "no_match" (0), or -1 */
            r_out = o == R_DISCONTINUE ? -1 : 0;
            if (m->kind == RULE_M_CONTENT && o == R_NOMATCH) r_out = 0;
            continue;
        }
        f->retry = m->kind == RULE_M_CONTENT ? mend - (m->u.content.len - 1) : mstart1;
        mc->off = mend;
        if (mend > mc->max_end) mc->max_end = mend;
        if (f->idx + 1 == b->n) {
            if (!force || mc->max_end > min_end) {
                r_out = 1;
                goto finish;
            }
            r_out = 0;
            continue;
        }
        i = f->idx + 1;
        goto descend;
    }
    return r_out;
finish:
    return r_out;
}

bool match__list(struct match_ctx *mc, const struct rule *r, const struct rule_buffer *b,
                 const struct match_buf *buf, bool *limited)
{
    mc->origin = buf->origin <= buf->len ? buf->origin : buf->len;
    mc->off = mc->origin;
    mc->steps = 0;
    mc->limited = false;
    mc->depth = 0;
    int rc = run_list(mc, r, b, buf->p, buf->len, mc->origin, 0);
    if (limited) *limited = mc->limited;
    return rc == 1;
}
