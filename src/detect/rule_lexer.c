/* rule_lexer.c - from bytes to logical rules and tokens, with exact positions.
 *
 * Lines (Suricata's rule-file conventions, detect-engine-loader.c):
 *   - a physical line whose first non-blank byte is '#' is a comment; blank lines are ignored;
 *   - a line whose last non-blank byte is a backslash continues on the next line: the backslash
 *     (and the blanks after it) are removed and the next line is appended as it is;
 *   - every logical line is capped (max_line bytes, continuations included); a longer one is
 *     skipped up to its end and reported, never buffered.
 * Differences from Suricata: a rule may start after blanks (Suricata ignores such lines
 * silently), and CR before LF is dropped.
 *
 * Tokens: header words (blanks inside [ ] belong to the word) and options split at the first ';'
 * that no backslash escapes. Quotes do not protect ';' - as in Suricata, a ';' inside a string
 * must be written "\;". Values are handed on raw (escapes kept): each keyword decodes its own.
 * Nothing here recurses; work is linear in the input.
 */
#include <ctype.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

void rule_lexer__text_init(struct rule_text *t)
{
    memset(t, 0, sizeof *t);
}

void rule_lexer__text_fini(struct rule_text *t)
{
    vg_free(t->buf);
    vg_free(t->seg);
    memset(t, 0, sizeof *t);
}

void rule_lexer__text_reset(struct rule_text *t)
{
    t->len = 0;
    t->nseg = 0;
    if (t->buf) t->buf[0] = '\0';
}

int rule_lexer__text_append(struct rule_text *t, const char *p, size_t n, uint32_t line,
                            uint32_t col)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *nb = vg_realloc(t->buf, cap);
        if (!nb) return VG_ERR_NOMEM;
        t->buf = nb;
        t->cap = cap;
    }
    if (t->nseg == t->segcap) {
        uint32_t cap = t->segcap ? t->segcap * 2 : 4;
        struct rule_seg *ns = vg_realloc(t->seg, cap * sizeof *ns);
        if (!ns) return VG_ERR_NOMEM;
        t->seg = ns;
        t->segcap = cap;
    }
    t->seg[t->nseg++] = (struct rule_seg){(uint32_t)t->len, line, col};
    if (n) memcpy(t->buf + t->len, p, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return VG_OK;
}

void rule_lexer__text_pos(const struct rule_text *t, size_t off, uint32_t *line, uint32_t *col)
{
    if (t->nseg == 0) {
        *line = 1;
        *col = (uint32_t)off + 1;
        return;
    }
    if (off > t->len) off = t->len;
    uint32_t i = 0;
    /* binary search: last segment that starts at or before off */
    uint32_t lo = 0, hi = t->nseg;
    while (lo + 1 < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->seg[mid].off <= off)
            lo = mid;
        else
            hi = mid;
    }
    i = lo;
    *line = t->seg[i].line;
    *col = t->seg[i].col + (uint32_t)(off - t->seg[i].off);
}

void rule_lexer__init(struct rule_lexer *lx, const char *data, size_t len, uint32_t max_line)
{
    lx->data = data;
    lx->len = len;
    lx->pos = 0;
    lx->line = 1;
    lx->max_line = max_line ? max_line : 65536;
}

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Next physical line: [*b, *e) without the newline; advances. False at the end of data. */
static bool next_phys(struct rule_lexer *lx, size_t *b, size_t *e)
{
    if (lx->pos >= lx->len) return false;
    const char *p = lx->data + lx->pos;
    const char *nl = memchr(p, '\n', lx->len - lx->pos);
    *b = lx->pos;
    *e = nl ? (size_t)(nl - lx->data) : lx->len;
    lx->pos = nl ? *e + 1 : lx->len;
    lx->line++;
    return true;
}

int rule_lexer__next(struct rule_lexer *lx, struct rule_text *t, int *kind)
{
    rule_lexer__text_reset(t);
    size_t b, e;
    for (;;) {
        uint32_t line = lx->line;
        if (!next_phys(lx, &b, &e)) return VG_EOF;
        size_t s = b;
        while (s < e && (is_blank(lx->data[s])))
            s++;
        if (s == e || lx->data[s] == '#') continue; /* blank or comment */

        bool toolong = false, binary = false;
        uint32_t first_line = line, first_col = (uint32_t)(s - b) + 1;
        size_t total = 0;
        for (;;) {
            size_t end = e;
            while (end > s && is_blank(lx->data[end - 1]))
                end--;
            bool cont = end > s && lx->data[end - 1] == '\\';
            if (cont) end--;
            size_t n = end - s;
            total += n;
            if (total > lx->max_line) toolong = true;
            if (!toolong && !binary && memchr(lx->data + s, '\0', n)) binary = true;
            if (!toolong && !binary) {
                int rc = rule_lexer__text_append(t, lx->data + s, n, line, (uint32_t)(s - b) + 1);
                if (rc != VG_OK) return rc;
            }
            if (!cont) break;
            line = lx->line;
            if (!next_phys(lx, &b, &e)) break;
            s = b;
        }
        if (toolong || binary) {
            rule_lexer__text_reset(t);
            int rc = rule_lexer__text_append(t, "", 0, first_line, first_col);
            if (rc != VG_OK) return rc;
            *kind = toolong ? RULE_LEX_TOOLONG : RULE_LEX_BINARY;
            return VG_OK;
        }
        *kind = RULE_LEX_RULE;
        return VG_OK;
    }
}

bool rule_lexer__word(const char *s, size_t len, size_t *pos, struct rule_tok *tok,
                      unsigned max_depth, size_t *deep_at, bool *open)
{
    size_t p = *pos;
    *deep_at = SIZE_MAX;
    *open = false;
    while (p < len && isspace((unsigned char)s[p]))
        p++;
    if (p >= len || s[p] == '(') {
        *pos = p;
        return false;
    }
    size_t start = p;
    size_t depth = 0;
    for (; p < len; p++) {
        char c = s[p];
        if (c == '[') {
            if (++depth > max_depth && *deep_at == SIZE_MAX) *deep_at = p;
        } else if (c == ']') {
            if (depth) depth--;
        } else if (depth == 0 && (isspace((unsigned char)c) || c == '(')) {
            break;
        }
    }
    *open = depth > 0;
    tok->off = start;
    tok->len = p - start;
    *pos = p;
    return true;
}

int rule_lexer__option(const char *s, size_t end, size_t *pos, struct rule_opt *o)
{
    size_t p = *pos;
    while (p < end && isspace((unsigned char)s[p]))
        p++;
    if (p >= end) {
        *pos = p;
        return 0;
    }
    memset(o, 0, sizeof *o);
    size_t ns = p;
    while (p < end && s[p] != ':' && s[p] != ';')
        p++;
    size_t ne = p;
    while (ne > ns && isspace((unsigned char)s[ne - 1]))
        ne--;
    o->name.off = ns;
    o->name.len = ne - ns;
    if (p < end && s[p] == ':') {
        size_t vs = ++p;
        while (p < end && s[p] != ';') {
            if (s[p] == '\\' && p + 1 < end)
                p += 2;
            else
                p++;
        }
        if (p > end) p = end;
        size_t ve = p;
        while (vs < ve && isspace((unsigned char)s[vs]))
            vs++;
        while (ve > vs && isspace((unsigned char)s[ve - 1]))
            ve--;
        o->val.off = vs;
        o->val.len = ve - vs;
        o->has_val = true;
    }
    if (p < end && s[p] == ';') p++;
    *pos = p;
    if (o->name.len == 0) return -1;
    return 1;
}
