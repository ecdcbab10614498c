/* kw_byte.c - byte_test, byte_jump, byte_extract, isdataat; and the size keywords dsize, urilen,
 * bsize.
 *
 *   byte_test:<n>,[!]<op>,<value>,<offset>[,relative][,big|little][,string[,hex|dec|oct]][,dce]
 *             [,bitmask <m>]                    op: < > = <= >= & ^   (n: 1..8, 1..23 as string)
 *   byte_jump:<n>,<offset>[,relative][,multiplier <m>][,big|little][,string[,hex|dec|oct]]
 *             [,align][,from_beginning|from_end][,post_offset <o>][,dce][,bitmask <m>]
 *   byte_extract:<n>,<offset>,<name>[,relative][,multiplier <m>][,big|little]
 *             [,string[,hex|dec|oct]][,align 2|4][,dce][,bitmask <m>]
 *   isdataat:[!]<n>[,relative][,rawbytes]
 *   dsize / bsize / urilen: N, <N, >N, <=N, >=N, !N, A<>B   (urilen adds ",norm" or ",raw")
 * value and offset (and the number of bytes of byte_test/byte_jump) may name a byte_extract
 * variable defined earlier in the rule (Suricata: "unknown byte_ keyword var"). byte_extract
 * defines at most RULE_MAX_VARS names per rule. bsize needs a sticky buffer; urilen is bsize on
 * http.uri (or http.uri.raw with ",raw").
 */
#include <ctype.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

enum { BT_TEST, BT_JUMP, BT_EXTRACT };

#define TOKA(pc, t) (int)((t).len > 40 ? 40 : (t).len), (pc)->s + (t).off

/* Options common to the three byte keywords. Returns VG_OK or fails. */
static int byte_opts(struct rule_pc *pc, int kind, struct rule_tok *f, int n, int first,
                     struct rule_byte *b)
{
    const char *s = pc->s;
    bool endian = false, base = false;
    for (int i = first; i < n; i++) {
        struct rule_tok t = f[i];
        /* "keyword value" options */
        size_t k = 0;
        while (k < t.len && !isspace((unsigned char)s[t.off + k]))
            k++;
        struct rule_tok w = {t.off, k};
        struct rule_tok arg = rule__trim(s, (struct rule_tok){t.off + k, t.len - k});
        bool has_arg = arg.len > 0;
        uint32_t add = 0;
        if (rule__tok_eq(s, w, "relative")) {
            add = RULE_BYTE_RELATIVE;
        } else if (rule__tok_eq(s, w, "big") || rule__tok_eq(s, w, "little")) {
            if (endian) return rule__kwfail(pc, t.off, "endianness given twice");
            endian = true;
            if (s[w.off] == 'l') b->flags |= RULE_BYTE_LITTLE;
        } else if (rule__tok_eq(s, w, "dce")) {
            add = RULE_BYTE_DCE;
        } else if (rule__tok_eq(s, w, "string")) {
            add = RULE_BYTE_STRING;
        } else if (rule__tok_eq(s, w, "hex") || rule__tok_eq(s, w, "dec") ||
                   rule__tok_eq(s, w, "oct")) {
            if (base) return rule__kwfail(pc, t.off, "number base given twice");
            base = true;
            b->base = s[w.off] == 'h' ? 16 : s[w.off] == 'd' ? 10 : 8;
        } else if (rule__tok_eq(s, w, "bitmask")) {
            uint64_t m;
            if (!has_arg || !rule__parse_u64(s, arg, true, UINT32_MAX, &m) || m == 0)
                return rule__kwfail(pc, t.off, "invalid bitmask");
            b->bitmask = (uint32_t)m;
            add = RULE_BYTE_BITMASK;
            has_arg = false;
        } else if (kind != BT_TEST && rule__tok_eq(s, w, "multiplier")) {
            int64_t m;
            if (!has_arg || !rule__parse_i64(s, arg, 1, 65535, &m))
                return rule__kwfail(pc, t.off, "invalid multiplier (1..65535)");
            b->multiplier = (int32_t)m;
            has_arg = false;
        } else if (kind == BT_JUMP && rule__tok_eq(s, w, "align")) {
            add = RULE_BYTE_ALIGN;
            b->align = 4;
        } else if (kind == BT_EXTRACT && rule__tok_eq(s, w, "align")) {
            int64_t a;
            if (!has_arg || !rule__parse_i64(s, arg, 2, 4, &a) || a == 3)
                return rule__kwfail(pc, t.off, "align must be 2 or 4");
            b->align = (uint8_t)a;
            add = RULE_BYTE_ALIGN;
            has_arg = false;
        } else if (kind == BT_JUMP && rule__tok_eq(s, w, "from_beginning")) {
            add = RULE_BYTE_FROM_BEGINNING;
        } else if (kind == BT_JUMP && rule__tok_eq(s, w, "from_end")) {
            add = RULE_BYTE_FROM_END;
        } else if (kind == BT_JUMP && rule__tok_eq(s, w, "post_offset")) {
            int64_t po;
            if (!has_arg || !rule__parse_i64(s, arg, -65535, 65535, &po))
                return rule__kwfail(pc, t.off, "invalid post_offset (-65535..65535)");
            b->post_offset = (int32_t)po;
            has_arg = false;
        } else {
            return rule__kwfail(pc, t.off, "unknown option '%.*s'", TOKA(pc, t));
        }
        if (has_arg) return rule__kwfail(pc, arg.off, "option '%.*s' takes no value", TOKA(pc, w));
        if (add & b->flags & ~(uint32_t)RULE_BYTE_LITTLE)
            return rule__kwfail(pc, t.off, "option '%.*s' given twice", TOKA(pc, w));
        b->flags |= add;
    }
    if (base && !(b->flags & RULE_BYTE_STRING))
        return rule__kwfail(pc, f[first].off, "hex/dec/oct need 'string'");
    if ((b->flags & RULE_BYTE_STRING) && !base) b->base = 10;
    if ((b->flags & RULE_BYTE_DCE) && (endian || (b->flags & RULE_BYTE_STRING)))
        return rule__kwfail(pc, f[first].off, "dce can't be combined with big/little or string");
    if ((b->flags & RULE_BYTE_FROM_BEGINNING) && (b->flags & RULE_BYTE_FROM_END))
        return rule__kwfail(pc, f[first].off, "from_beginning and from_end exclude each other");
    /* Suricata's limits: 8 bytes binary; as a string 23 octal, 20 decimal, 14 hex digits */
    uint64_t maxn = 8;
    if (b->flags & RULE_BYTE_STRING) maxn = b->base == 8 ? 23 : b->base == 16 ? 14 : 20;
    if (b->nbytes > maxn)
        return rule__kwfail(
            pc, f[0].off, "number of bytes must be 1..%llu%s", (unsigned long long)maxn,
            (b->flags & RULE_BYTE_STRING) ? " for this base" : " (more with string)");
    /* Suricata accepts byte_test:0,...,string (ET Open uses it) and byte_jump:0 (a pure
     * post_offset move) */
    if (b->nbytes == 0 && b->nbytes_var < 0 &&
        !(kind == BT_TEST && (b->flags & RULE_BYTE_STRING)) && kind != BT_JUMP)
        return rule__kwfail(pc, f[0].off, "invalid number of bytes '0'");
    if ((b->flags & RULE_BYTE_DCE) && b->nbytes != 1 && b->nbytes != 2 && b->nbytes != 4)
        return rule__kwfail(pc, f[0].off, "with dce the number of bytes must be 1, 2 or 4");
    return VG_OK;
}

static int kw_bytekw(struct rule_pc *pc, const struct rule_opt *o, int kind)
{
    const char *s = pc->s;
    struct rule_tok f[16];
    int n = rule__split(s, o->val, ',', f, 16);
    static const int minf[] = {4, 2, 3};
    static const char *const usage[] = {"'<bytes>,<op>,<value>,<offset>[,options]'",
                                        "'<bytes>,<offset>[,options]'",
                                        "'<bytes>,<offset>,<name>[,options]'"};
    if (n < minf[kind]) return rule__kwfail(pc, o->val.off, "expected %s", usage[kind]);
    struct rule_byte b;
    memset(&b, 0, sizeof b);
    b.multiplier = 1;
    b.var = -1;
    b.value.var = b.offset.var = -1;
    uint64_t nb;
    b.nbytes_var = -1;
    if (kind != BT_EXTRACT && f[0].len &&
        (isalpha((unsigned char)s[f[0].off]) || s[f[0].off] == '_')) {
        /* Suricata 7: the number of bytes may come from a byte_extract variable */
        struct rule_num nv;
        if (rule__parse_num(pc, f[0], 0, 0, &nv, NULL) != VG_OK) return pc->status;
        b.nbytes_var = nv.var;
        b.nbytes = 8;
    } else if (!rule__parse_u64(s, f[0], false, 64, &nb)) {
        return rule__kwfail(pc, f[0].off, "invalid number of bytes '%.*s'", TOKA(pc, f[0]));
    } else {
        b.nbytes = (uint8_t)nb;
    }
    int first;
    if (kind == BT_TEST) {
        struct rule_tok op = f[1];
        if (op.len && s[op.off] == '!') {
            b.flags |= RULE_BYTE_NEGATED;
            op.off++;
            op.len--;
            op = rule__trim(s, op);
        }
        static const struct {
            const char *t;
            uint8_t op;
        } ops[] = {{"<", RULE_BT_LT},  {">", RULE_BT_GT},  {"=", RULE_BT_EQ}, {"<=", RULE_BT_LE},
                   {">=", RULE_BT_GE}, {"&", RULE_BT_AND}, {"^", RULE_BT_XOR}};
        bool ok = false;
        if (op.len == 0 && (b.flags & RULE_BYTE_NEGATED)) {
            b.op = RULE_BT_EQ; /* "!" alone: not equal */
            ok = true;
        }
        for (size_t i = 0; i < sizeof ops / sizeof ops[0] && !ok; i++) {
            if (rule__tok_eq(s, op, ops[i].t)) {
                b.op = ops[i].op;
                ok = true;
            }
        }
        if (!ok) return rule__kwfail(pc, f[1].off, "invalid operator '%.*s'", TOKA(pc, f[1]));
        if (rule__parse_num(pc, f[2], 0, INT64_MAX, &b.value, "value") != VG_OK) return pc->status;
        if (rule__parse_num(pc, f[3], -65535, 65535, &b.offset, "offset") != VG_OK)
            return pc->status;
        first = 4;
    } else {
        if (rule__parse_num(pc, f[1], -65535, 65535, &b.offset, "offset") != VG_OK)
            return pc->status;
        first = kind == BT_JUMP ? 2 : 3;
    }
    if (kind == BT_EXTRACT) {
        struct rule_tok nm = f[2];
        bool ok =
            nm.len > 0 && nm.len <= 64 && (isalpha((unsigned char)s[nm.off]) || s[nm.off] == '_');
        for (size_t i = 0; ok && i < nm.len; i++) {
            unsigned char c = (unsigned char)s[nm.off + i];
            if (!(isalnum(c) || c == '_')) ok = false;
        }
        if (!ok) return rule__kwfail(pc, nm.off, "invalid variable name '%.*s'", TOKA(pc, nm));
        for (uint32_t i = 0; i < pc->r->nvars; i++) {
            if (rule__tok_eq(s, nm, pc->r->vars[i]))
                return rule__kwfail(pc, nm.off, "variable '%.*s' defined twice", TOKA(pc, nm));
        }
        if (pc->r->nvars >= RULE_MAX_VARS)
            return rule__fail(pc, nm.off, VG_ERR_LIMIT, "byte_extract: more than %d variables",
                              RULE_MAX_VARS);
    }
    if (byte_opts(pc, kind, f, n, first, &b) != VG_OK) return pc->status;
    if (kind == BT_EXTRACT) {
        char *name = rule__strndup(s + f[2].off, f[2].len);
        if (!name) return rule__fail(pc, f[2].off, VG_ERR_NOMEM, "out of memory");
        b.var = (int16_t)pc->r->nvars;
        pc->r->vars[pc->r->nvars++] = name;
    }
    static const uint8_t kinds[] = {RULE_M_BYTE_TEST, RULE_M_BYTE_JUMP, RULE_M_BYTE_EXTRACT};
    long idx = rule__add_match(pc, kinds[kind], o->name.off);
    if (idx < 0) return pc->status;
    pc->m[idx].u.byte = b;
    return VG_OK;
}

static int kw_isdataat(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    const char *s = pc->s;
    struct rule_tok f[4];
    int n = rule__split(s, o->val, ',', f, 4);
    if (n < 1) return rule__kwfail(pc, o->val.off, "expected '[!]<n>[,relative][,rawbytes]'");
    struct rule_isdataat d;
    memset(&d, 0, sizeof d);
    struct rule_tok v = f[0];
    if (v.len && s[v.off] == '!') {
        d.negated = true;
        v = rule__trim(s, (struct rule_tok){v.off + 1, v.len - 1});
    }
    if (rule__parse_num(pc, v, 0, 65535, &d.n, NULL) != VG_OK) return pc->status;
    for (int i = 1; i < n; i++) {
        if (rule__tok_eq(s, f[i], "relative") && !d.relative)
            d.relative = true;
        else if (rule__tok_eq(s, f[i], "rawbytes") && !d.rawbytes)
            d.rawbytes = true;
        else
            return rule__kwfail(pc, f[i].off, "unknown or repeated option '%.*s'", TOKA(pc, f[i]));
    }
    long idx = rule__add_match(pc, RULE_M_ISDATAAT, o->name.off);
    if (idx < 0) return pc->status;
    pc->m[idx].u.isdataat = d;
    return VG_OK;
}

static int kw_dsize(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (pc->seen & RULE_SEEN_DSIZE)
        return rule__kwfail(pc, o->name.off, "may appear only once in a rule");
    pc->seen |= RULE_SEEN_DSIZE;
    struct rule_cmp c;
    const char *why;
    if (!rule__parse_cmp(pc->s, o->val, 65535, true, &c, &why))
        return rule__kwfail(pc, o->val.off, "%s '%.*s'", why, TOKA(pc, o->val));
    struct rule_pmatch *p = rule__add_pmatch(pc, RULE_P_DSIZE);
    if (!p) return pc->status;
    p->u.cmp = c;
    pc->dsize_pm = (long)(pc->r->npm - 1);
    pc->dsize_off = o->name.off;
    return VG_OK;
}

static int kw_urilen(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_tok f[3];
    int n = rule__split(pc->s, o->val, ',', f, 3);
    if (n < 1 || n > 2) return rule__kwfail(pc, o->val.off, "expected '<size>[,norm|raw]'");
    uint8_t buf = RULE_BUF_HTTP_URI;
    if (n == 2) {
        if (rule__tok_eq(pc->s, f[1], "raw"))
            buf = RULE_BUF_HTTP_URI_RAW;
        else if (!rule__tok_eq(pc->s, f[1], "norm"))
            return rule__kwfail(pc, f[1].off, "expected 'norm' or 'raw'");
    }
    struct rule_cmp c;
    const char *why;
    if (!rule__parse_cmp(pc->s, f[0], 65535, true, &c, &why))
        return rule__kwfail(pc, f[0].off, "%s '%.*s'", why, TOKA(pc, f[0]));
    pc->override = buf;
    long idx = rule__add_match(pc, RULE_M_BSIZE, o->name.off);
    pc->override = -1;
    if (idx < 0) return pc->status;
    pc->m[idx].u.bsize = c;
    return VG_OK;
}

static int kw_bsize(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (!pc->sticky_set || pc->sticky == RULE_BUF_PKT)
        return rule__kwfail(pc, o->name.off, "needs a sticky buffer");
    struct rule_cmp c;
    const char *why;
    if (!rule__parse_cmp(pc->s, o->val, UINT32_MAX, true, &c, &why))
        return rule__kwfail(pc, o->val.off, "%s '%.*s'", why, TOKA(pc, o->val));
    long idx = rule__add_match(pc, RULE_M_BSIZE, o->name.off);
    if (idx < 0) return pc->status;
    pc->m[idx].u.bsize = c;
    return VG_OK;
}

const struct rule_kw kw_byte__table[] = {
    {"byte_test", kw_bytekw, BT_TEST, RULE_KW_VAL},
    {"byte_jump", kw_bytekw, BT_JUMP, RULE_KW_VAL},
    {"byte_extract", kw_bytekw, BT_EXTRACT, RULE_KW_VAL},
    {"isdataat", kw_isdataat, 0, RULE_KW_VAL},
    {"dsize", kw_dsize, 0, RULE_KW_VAL},
    {"urilen", kw_urilen, 0, RULE_KW_VAL},
    {"bsize", kw_bsize, 0, RULE_KW_VAL},
    {NULL, NULL, 0, 0},
};
