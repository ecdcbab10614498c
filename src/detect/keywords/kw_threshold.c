/* kw_threshold.c - alert rate control: threshold and detection_filter (Suricata 7,
 * detect-threshold.c, detect-detection-filter.c).
 *
 *   threshold: type <limit|threshold|both>, track <by_src|by_dst|by_rule|by_both|by_flow>,
 *              count <N>, seconds <T>
 *   threshold: type backoff, track <...>, count <N>, multiplier <M>      (Suricata 7.0.3+)
 *   detection_filter: track <by_src|by_dst|by_rule|by_both|by_flow>, count <N>, seconds <T>
 * Parts in any order, each exactly once; count, seconds, multiplier >= 1. One of them per rule
 * (both together is rejected at finalisation).
 */
#include <ctype.h>
#include <string.h>

#include "core/vg_status.h"
#include "detect/detect_int.h"

#define TOKA(pc, t) (int)((t).len > 40 ? 40 : (t).len), (pc)->s + (t).off

static int kw_threshold(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    bool df = arg == 1;
    struct rule *r = pc->r;
    uint32_t have = df ? RULE_F_HAS_DETECTION_FILTER : RULE_F_HAS_THRESHOLD;
    if (r->flags & have) return rule__kwfail(pc, o->name.off, "may appear only once in a rule");
    const char *s = pc->s;
    struct rule_tok f[8];
    int n = rule__split(s, o->val, ',', f, 8);
    if (n < 0) return rule__kwfail(pc, o->val.off, "too many parts");
    struct rule_threshold t = {df ? RULE_THR_DETECTION_FILTER : RULE_THR_LIMIT, 0, 0, 0, 0};
    unsigned seen = 0;
    for (int i = 0; i < n; i++) {
        size_t k = 0;
        while (k < f[i].len && !isspace((unsigned char)s[f[i].off + k]))
            k++;
        struct rule_tok w = {f[i].off, k};
        struct rule_tok v = rule__trim(s, (struct rule_tok){f[i].off + k, f[i].len - k});
        unsigned bit;
        if (!df && rule__tok_eq(s, w, "type")) {
            bit = 1;
            if (rule__tok_eq(s, v, "limit"))
                t.type = RULE_THR_LIMIT;
            else if (rule__tok_eq(s, v, "threshold"))
                t.type = RULE_THR_THRESHOLD;
            else if (rule__tok_eq(s, v, "both"))
                t.type = RULE_THR_BOTH;
            else if (rule__tok_eq(s, v, "backoff"))
                t.type = RULE_THR_BACKOFF;
            else
                return rule__kwfail(pc, v.off,
                                    "invalid type '%.*s' (limit, threshold, both, backoff)",
                                    TOKA(pc, v));
        } else if (rule__tok_eq(s, w, "track")) {
            bit = 2;
            if (rule__tok_eq(s, v, "by_src"))
                t.track = RULE_TRACK_BY_SRC;
            else if (rule__tok_eq(s, v, "by_dst"))
                t.track = RULE_TRACK_BY_DST;
            else if (rule__tok_eq(s, v, "by_rule"))
                t.track = RULE_TRACK_BY_RULE;
            else if (rule__tok_eq(s, v, "by_both"))
                t.track = RULE_TRACK_BY_BOTH;
            else if (rule__tok_eq(s, v, "by_flow"))
                t.track = RULE_TRACK_BY_FLOW;
            else
                return rule__kwfail(pc, v.off,
                                    "invalid track '%.*s' (by_src, by_dst, by_rule, by_both, "
                                    "by_flow)",
                                    TOKA(pc, v));
        } else if (rule__tok_eq(s, w, "count") || rule__tok_eq(s, w, "seconds") ||
                   (!df && rule__tok_eq(s, w, "multiplier"))) {
            char which = s[w.off];
            bit = which == 'c' ? 4 : which == 's' ? 8 : 16;
            uint64_t x;
            if (!rule__parse_u64(s, v, false, UINT32_MAX, &x) || x == 0)
                return rule__kwfail(pc, v.off, "invalid %.*s '%.*s'", TOKA(pc, w), TOKA(pc, v));
            if (which == 'c')
                t.count = (uint32_t)x;
            else if (which == 's')
                t.seconds = (uint32_t)x;
            else
                t.multiplier = (uint32_t)x;
        } else if (rule__tok_eq(s, w, "unique_on")) {
            return rule__fail(pc, f[i].off, VG_ERR_UNSUPPORTED, "unsupported %s option 'unique_on'",
                              df ? "detection_filter" : "threshold");
        } else {
            return rule__kwfail(pc, f[i].off, "unknown part '%.*s'", TOKA(pc, f[i]));
        }
        if (seen & bit) return rule__kwfail(pc, f[i].off, "'%.*s' given twice", TOKA(pc, w));
        seen |= bit;
    }
    bool backoff = !df && t.type == RULE_THR_BACKOFF;
    unsigned need = df ? (2 | 4 | 8) : backoff ? (1 | 2 | 4 | 16) : (1 | 2 | 4 | 8);
    if (seen != need)
        return rule__kwfail(pc, o->val.off,
                            df        ? "needs track, count and seconds"
                            : backoff ? "type backoff needs track, count and multiplier"
                                      : "needs type, track, count and seconds");
    if (df)
        r->detection_filter = t;
    else
        r->threshold = t;
    r->flags |= have;
    return VG_OK;
}

const struct rule_kw kw_threshold__table[] = {
    {"threshold", kw_threshold, 0, RULE_KW_VAL},
    {"detection_filter", kw_threshold, 1, RULE_KW_VAL},
    {NULL, NULL, 0, 0},
};
