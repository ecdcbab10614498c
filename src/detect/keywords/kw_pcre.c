/* kw_pcre.c - pcre:[!]"/expression/modifiers" (quotes optional), compiled with PCRE2 (and
 * JIT-compiled when the library supports it) so that a bad expression is rejected at load time,
 * with the position of the error inside the rule.
 *
 * Modifiers (Suricata 7, detect-pcre.c):
 *   i s m x    PCRE2_CASELESS, _DOTALL, _MULTILINE, _EXTENDED
 *   A E G      PCRE2_ANCHORED, _DOLLAR_ENDONLY, _UNGREEDY
 *   R          relative to the previous match in the same buffer
 *   O          no match limits
 *   B          rawbytes (accepted, like Suricata)
 *   buffers    U http.uri, I http.uri.raw, P http.request_body, Q file.data, H http.header,
 *              D http.header.raw, M http.method, C http.cookie (K too: Snort's raw cookie),
 *              S http.stat_code, Y http.stat_msg, V http.user_agent, W http.host, Z http.host.raw
 * With a sticky buffer in force a buffer modifier must name that same buffer, else the rule is
 * rejected with Suricata's advice ("Expression seen with a sticky buffer still set; ...").
 * The escapes of the rule language (\; \" \\ \:) are left to PCRE2, which reads them as the
 * literal characters.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

void kw_pcre__free(struct rule_pcre *p)
{
    pcre2_code_free((pcre2_code *)p->code);
    vg_free(p->src);
    vg_free(p->flags_str);
    memset(p, 0, sizeof *p);
}

static int buf_for_flag(char f)
{
    if (f == 'K') return RULE_BUF_HTTP_COOKIE;
    for (int b = 0; b < RULE_BUF_COUNT; b++) {
        const struct rule_buf_info *bi = rule_buf_info(b);
        if (bi->pcre_flag && bi->pcre_flag == f) return b;
    }
    return -1;
}

static int kw_pcre(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    const char *s = pc->s;
    size_t p = o->val.off, end = o->val.off + o->val.len;
    uint32_t flags = 0;
    if (p < end && s[p] == '!') {
        flags |= RULE_PCRE_NEGATED;
        p++;
        while (p < end && (s[p] == ' ' || s[p] == '\t'))
            p++;
    }
    size_t q0, q1; /* the expression with its modifiers: quoted, or bare as Suricata allows */
    if (p < end && s[p] == '"') {
        if (end - p < 2 || s[end - 1] != '"') return rule__kwfail(pc, p, "missing closing quote");
        q0 = p + 1;
        q1 = end - 1;
    } else {
        q0 = p;
        q1 = end;
    }

    if (q0 >= q1 || s[q0] != '/') return rule__kwfail(pc, q0, "expected \"/expression/modifiers\"");
    size_t slash = q1;
    while (slash > q0 && s[slash - 1] != '/')
        slash--;
    if (slash <= q0 + 1) return rule__kwfail(pc, q0, "missing closing '/'");
    slash--; /* at the closing '/' */
    size_t rs = q0 + 1, rl = slash - rs;

    uint32_t opts = 0;
    int buf = -1;
    for (size_t i = slash + 1; i < q1; i++) {
        char c = s[i];
        if (c == ',' || c == ' ')
            return rule__fail(pc, i, VG_ERR_UNSUPPORTED, "unsupported pcre capture into variables");
        switch (c) {
        case 'i':
            opts |= PCRE2_CASELESS;
            break;
        case 's':
            opts |= PCRE2_DOTALL;
            break;
        case 'm':
            opts |= PCRE2_MULTILINE;
            break;
        case 'x':
            opts |= PCRE2_EXTENDED;
            break;
        case 'A':
            opts |= PCRE2_ANCHORED;
            break;
        case 'E':
            opts |= PCRE2_DOLLAR_ENDONLY;
            break;
        case 'G':
            opts |= PCRE2_UNGREEDY;
            break;
        case 'R':
            flags |= RULE_PCRE_RELATIVE;
            break;
        case 'O':
            flags |= RULE_PCRE_NO_LIMIT;
            break;
        case 'B':
            flags |= RULE_PCRE_RAWBYTES;
            break;
        default: {
            int b = buf_for_flag(c);
            if (b < 0)
                return rule__kwfail(pc, i, "unknown modifier '%c'", c >= 32 && c < 127 ? c : '?');
            if (buf >= 0 && buf != b)
                return rule__kwfail(pc, i, "more than one buffer modifier ('%c' and '%c')",
                                    rule_buf_info(buf)->pcre_flag, c);
            buf = b;
            break;
        }
        }
    }
    if (buf >= 0 && pc->sticky_set && pc->sticky != buf)
        return rule__kwfail(
            pc, o->val.off,
            "Expression seen with a sticky buffer still set; either (1) reset "
            "sticky buffer with pkt_data or (2) use a sticky buffer providing \"%s\"",
            rule_buf_info(buf)->desc);
    /* Suricata: without a sticky buffer, /R needs an earlier content or pcre in the same list */
    if ((flags & RULE_PCRE_RELATIVE) && !pc->sticky_set) {
        uint8_t target = buf >= 0 ? (uint8_t)buf : pc->sticky;
        bool prev = false;
        for (size_t i = 0; i < pc->nm && !prev; i++)
            prev = pc->m[i].buf == target &&
                   (pc->m[i].kind == RULE_M_CONTENT || pc->m[i].kind == RULE_M_PCRE);
        if (!prev)
            return rule__kwfail(pc, o->val.off,
                                "/R (relative) needs a preceding match in the same buffer");
    }
    if (buf >= 0 && (flags & RULE_PCRE_RAWBYTES))
        return rule__kwfail(pc, o->val.off, "'B' (rawbytes) can't be used with a buffer modifier");

    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(s + rs), rl, opts, &errcode, &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0) strcpy((char *)msg, "error");
        if (erroff > rl) erroff = rl;
        return rule__kwfail(pc, rs + erroff, "invalid expression: %s", (const char *)msg);
    }
    if (pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0) flags |= RULE_PCRE_JIT;

    pc->override = buf;
    long idx = rule__add_match(pc, RULE_M_PCRE, o->name.off);
    pc->override = -1;
    if (idx < 0) {
        pcre2_code_free(code);
        return pc->status;
    }
    struct rule_pcre *rp = &pc->m[idx].u.pcre;
    rp->code = (struct pcre2_real_code_8 *)code;
    rp->flags = flags;
    rp->options = opts;
    rp->src = rule__strndup(s + rs, rl);
    rp->flags_str = rule__strndup(s + slash + 1, q1 - slash - 1);
    if (!rp->src || !rp->flags_str)
        return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
    return VG_OK;
}

const struct rule_kw kw_pcre__table[] = {
    {"pcre", kw_pcre, 0, RULE_KW_VAL},
    {NULL, NULL, 0, 0},
};
