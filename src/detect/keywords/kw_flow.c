/* kw_flow.c - flow and flowbits.
 *
 * flow:<opt>[,<opt>]...  established, not_established, stateless, to_server/from_client,
 * to_client/from_server, only_stream, no_stream, only_frag, no_frag. Contradictions (to_server
 * with to_client, established with not_established or stateless, only_ with no_) are errors;
 * an option given twice is an error, as in Suricata (detect-flow.c).
 *
 * flowbits:<cmd>[,<name>]  set, isset, isnotset, unset, toggle with a name; noalert alone.
 * Names may be grouped with '|' (any of) or '&' (all of), not both. Names are 1..256 bytes of
 * printable non-blank characters. isset and isnotset of the same name in one rule is rejected at
 * finalisation (Suricata 7: "invalid flowbit command combination").
 * flowint and xbits are left unsupported (the loader skips such rules with that reason).
 */
#include <ctype.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

static const struct {
    const char *name;
    uint32_t flag;
} flow_opts[] = {
    {"established", RULE_FLOW_ESTABLISHED}, {"not_established", RULE_FLOW_NOT_ESTABLISHED},
    {"stateless", RULE_FLOW_STATELESS},     {"to_server", RULE_FLOW_TO_SERVER},
    {"from_client", RULE_FLOW_TO_SERVER},   {"to_client", RULE_FLOW_TO_CLIENT},
    {"from_server", RULE_FLOW_TO_CLIENT},   {"only_stream", RULE_FLOW_ONLY_STREAM},
    {"no_stream", RULE_FLOW_NO_STREAM},     {"only_frag", RULE_FLOW_ONLY_FRAG},
    {"no_frag", RULE_FLOW_NO_FRAG},
};

static int kw_flow(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_tok f[16];
    int n = rule__split(pc->s, o->val, ',', f, 16);
    if (n < 0) return rule__kwfail(pc, o->val.off, "too many options");
    uint32_t flags = pc->r->flow;
    for (int i = 0; i < n; i++) {
        uint32_t add = 0;
        for (size_t k = 0; k < sizeof flow_opts / sizeof flow_opts[0]; k++) {
            if (rule__tok_eq(pc->s, f[i], flow_opts[k].name)) add = flow_opts[k].flag;
        }
        if (!add)
            return rule__kwfail(pc, f[i].off, "invalid option '%.*s'",
                                (int)(f[i].len > 40 ? 40 : f[i].len), pc->s + f[i].off);
        if (flags & add)
            return rule__kwfail(pc, f[i].off, "option '%.*s' given twice",
                                (int)(f[i].len > 40 ? 40 : f[i].len), pc->s + f[i].off);
        flags |= add;
        static const uint32_t pairs[][2] = {
            {RULE_FLOW_TO_SERVER, RULE_FLOW_TO_CLIENT},
            {RULE_FLOW_ESTABLISHED, RULE_FLOW_NOT_ESTABLISHED},
            {RULE_FLOW_ESTABLISHED, RULE_FLOW_STATELESS},
            {RULE_FLOW_NOT_ESTABLISHED, RULE_FLOW_STATELESS},
            {RULE_FLOW_ONLY_STREAM, RULE_FLOW_NO_STREAM},
            {RULE_FLOW_ONLY_FRAG, RULE_FLOW_NO_FRAG},
        };
        for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
            if ((flags & pairs[k][0]) && (flags & pairs[k][1]))
                return rule__kwfail(pc, f[i].off, "'%.*s' contradicts an earlier option",
                                    (int)(f[i].len > 40 ? 40 : f[i].len), pc->s + f[i].off);
        }
    }
    if (n == 0) return rule__kwfail(pc, o->val.off, "needs a value");
    pc->r->flow = flags;
    return VG_OK;
}

static const struct {
    const char *name;
    uint8_t cmd;
} fb_cmds[] = {
    {"set", RULE_FB_SET},     {"isset", RULE_FB_ISSET},   {"isnotset", RULE_FB_ISNOTSET},
    {"unset", RULE_FB_UNSET}, {"toggle", RULE_FB_TOGGLE},
};

#define FB_NAME_MAX 256
#define FB_NAMES_MAX 32

static int kw_flowbits(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    const char *s = pc->s;
    struct rule_tok f[3];
    int n = rule__split(s, o->val, ',', f, 3);
    if (n < 1 || n > 2) return rule__kwfail(pc, o->val.off, "expected '<command>[,<name>]'");
    if (rule__tok_eq(s, f[0], "noalert")) {
        if (n != 1) return rule__kwfail(pc, f[1].off, "noalert takes no name");
        pc->r->flags |= RULE_F_NOALERT;
        return VG_OK;
    }
    int cmd = -1;
    for (size_t k = 0; k < sizeof fb_cmds / sizeof fb_cmds[0]; k++) {
        if (rule__tok_eq(s, f[0], fb_cmds[k].name)) cmd = fb_cmds[k].cmd;
    }
    if (cmd < 0)
        return rule__kwfail(pc, f[0].off, "invalid command '%.*s'",
                            (int)(f[0].len > 40 ? 40 : f[0].len), s + f[0].off);
    if (n != 2 || f[1].len == 0)
        return rule__kwfail(pc, o->val.off, "'%s' needs a name", fb_cmds[cmd].name);
    /* split the names at '|' or '&' */
    char op = 0;
    for (size_t i = 0; i < f[1].len; i++) {
        char c = s[f[1].off + i];
        if (c == '|' || c == '&') {
            if (op && op != c)
                return rule__kwfail(pc, f[1].off + i, "can't mix '|' and '&' in one flowbits");
            op = c;
        }
    }
    struct rule_tok names[FB_NAMES_MAX];
    int nn = op ? rule__split(s, f[1], op, names, FB_NAMES_MAX) : 1;
    if (!op) names[0] = f[1];
    if (nn < 0) return rule__kwfail(pc, f[1].off, "more than %d names", FB_NAMES_MAX);
    for (int i = 0; i < nn; i++) {
        if (names[i].len == 0) return rule__kwfail(pc, f[1].off, "empty name");
        if (names[i].len > FB_NAME_MAX)
            return rule__kwfail(pc, names[i].off, "name longer than %d bytes", FB_NAME_MAX);
        for (size_t k = 0; k < names[i].len; k++) {
            unsigned char c = (unsigned char)s[names[i].off + k];
            if (!isgraph(c)) return rule__kwfail(pc, names[i].off + k, "invalid character in name");
        }
    }
    struct rule *r = pc->r;
    struct rule_flowbit *nf = vg_realloc(r->flowbits, (r->nflowbits + 1) * sizeof *nf);
    if (!nf) return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
    r->flowbits = nf;
    struct rule_flowbit *fb = &nf[r->nflowbits++];
    memset(fb, 0, sizeof *fb);
    fb->cmd = (uint8_t)cmd;
    fb->op = (uint8_t)(nn > 1 ? op : 0);
    fb->names = vg_calloc((size_t)nn, sizeof *fb->names);
    if (!fb->names) return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
    for (int i = 0; i < nn; i++) {
        fb->names[i] = rule__strndup(s + names[i].off, names[i].len);
        if (!fb->names[i]) return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
        fb->n++;
    }
    return VG_OK;
}

const struct rule_kw kw_flow__table[] = {
    {"flow", kw_flow, 0, RULE_KW_VAL},
    {"flowbits", kw_flowbits, 0, RULE_KW_VAL},
    {NULL, NULL, 0, 0},
};
