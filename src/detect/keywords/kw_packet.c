/* kw_packet.c - conditions on packet headers: ip_proto, ttl, tos, id, ipopts, fragbits,
 * fragoffset (IPv4, RFC 791); flags, seq, ack, window, tcp.mss (TCP, RFC 9293); itype, icode,
 * icmp_id, icmp_seq (ICMP, RFC 792 / RFC 4443).
 *
 * Value forms (Suricata 7): numbers take the comparison forms of rule__parse_cmp (N, <N, >N, <=N,
 * >=N, !N, A<>B, A-B) where Suricata allows them (ttl, itype, icode, ip_proto, tcp.mss,
 * fragoffset, id), exact values elsewhere (seq, ack, icmp_id, icmp_seq), [!]N for tos and window.
 * flags:[+*!]<FSRPAUCE0 12>[+*!][,<mask>] (1 and 2 are the old names of CWR and ECE);
 * fragbits:[+*!]<MDR>; ipopts:<rr|eol|nop|ts|sec|esec|lsrr|ssrr|satid|any>.
 */
#include <ctype.h>
#include <string.h>

#include "core/vg_status.h"
#include "detect/detect_int.h"

#define TOKA(pc, t) (int)((t).len > 40 ? 40 : (t).len), (pc)->s + (t).off

enum {
    PK_TTL,
    PK_ID,
    PK_ITYPE,
    PK_ICODE,
    PK_MSS,
    PK_FRAGOFF,
    PK_SEQ,
    PK_ACK,
    PK_ICMP_ID,
    PK_ICMP_SEQ,
};

static const struct {
    uint8_t kind;
    uint64_t max;
    bool cmp; /* comparisons allowed (else exact value) */
} pk_num[] = {
    [PK_TTL] = {RULE_P_TTL, 255, true},
    [PK_ID] = {RULE_P_IP_ID, 65535, true},
    [PK_ITYPE] = {RULE_P_ICMP_TYPE, 255, true},
    [PK_ICODE] = {RULE_P_ICMP_CODE, 255, true},
    [PK_MSS] = {RULE_P_TCP_MSS, 65535, true},
    [PK_FRAGOFF] = {RULE_P_FRAGOFFSET, 65535, true},
    [PK_SEQ] = {RULE_P_TCP_SEQ, UINT32_MAX, false},
    [PK_ACK] = {RULE_P_TCP_ACK, UINT32_MAX, false},
    [PK_ICMP_ID] = {RULE_P_ICMP_ID, 65535, false},
    [PK_ICMP_SEQ] = {RULE_P_ICMP_SEQ, 65535, false},
};

static int kw_num(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_cmp c;
    const char *why = "invalid value";
    bool ok;
    if (pk_num[arg].cmp) {
        ok = rule__parse_cmp(pc->s, o->val, pk_num[arg].max, true, &c, &why);
    } else {
        memset(&c, 0, sizeof c);
        c.op = RULE_CMP_EQ;
        ok = rule__parse_u64(pc->s, o->val, false, pk_num[arg].max, &c.a);
    }
    if (!ok) return rule__kwfail(pc, o->val.off, "%s '%.*s'", why, TOKA(pc, o->val));
    struct rule_pmatch *p = rule__add_pmatch(pc, pk_num[arg].kind);
    if (!p) return pc->status;
    p->u.cmp = c;
    return VG_OK;
}

/* [!]N with N decimal or 0x hex (tos, window). */
static int kw_neg_num(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_tok t = o->val;
    struct rule_cmp c = {RULE_CMP_EQ, 0, 0};
    if (t.len && pc->s[t.off] == '!') {
        c.op = RULE_CMP_NE;
        t = rule__trim(pc->s, (struct rule_tok){t.off + 1, t.len - 1});
    }
    uint64_t max = arg == RULE_P_TOS ? 255 : 65535;
    if (!rule__parse_u64(pc->s, t, true, max, &c.a))
        return rule__kwfail(pc, o->val.off, "invalid value '%.*s' (0..%llu)", TOKA(pc, o->val),
                            (unsigned long long)max);
    struct rule_pmatch *p = rule__add_pmatch(pc, (uint8_t)arg);
    if (!p) return pc->status;
    p->u.cmp = c;
    return VG_OK;
}

static const struct {
    const char *name;
    uint8_t num;
} ip_protos[] = {
    {"ip", 0},     {"icmp", 1},        {"igmp", 2},       {"ggp", 3},         {"ipencap", 4},
    {"tcp", 6},    {"egp", 8},         {"pup", 12},       {"udp", 17},        {"idp", 22},
    {"ipv6", 41},  {"ipv6-route", 43}, {"ipv6-frag", 44}, {"rsvp", 46},       {"gre", 47},
    {"esp", 50},   {"ah", 51},         {"ipv6-icmp", 58}, {"ipv6-nonxt", 59}, {"ipv6-opts", 60},
    {"eigrp", 88}, {"ospf", 89},       {"pim", 103},      {"vrrp", 112},      {"l2tp", 115},
    {"sctp", 132},
};

static int kw_ip_proto(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_tok t = o->val;
    const char *s = pc->s;
    struct rule_cmp c;
    const char *why;
    if (t.len && isalpha((unsigned char)s[t.off])) {
        for (size_t i = 0; i < sizeof ip_protos / sizeof ip_protos[0]; i++) {
            if (rule__tok_ieq(s, t, ip_protos[i].name)) {
                struct rule_pmatch *p = rule__add_pmatch(pc, RULE_P_IP_PROTO);
                if (!p) return pc->status;
                p->u.cmp = (struct rule_cmp){RULE_CMP_EQ, ip_protos[i].num, 0};
                return VG_OK;
            }
        }
        return rule__kwfail(pc, t.off, "unknown protocol '%.*s'", TOKA(pc, t));
    }
    if (t.len && s[t.off] == '!' && t.len > 1 && isalpha((unsigned char)s[t.off + 1])) {
        struct rule_tok n = rule__trim(s, (struct rule_tok){t.off + 1, t.len - 1});
        for (size_t i = 0; i < sizeof ip_protos / sizeof ip_protos[0]; i++) {
            if (rule__tok_ieq(s, n, ip_protos[i].name)) {
                struct rule_pmatch *p = rule__add_pmatch(pc, RULE_P_IP_PROTO);
                if (!p) return pc->status;
                p->u.cmp = (struct rule_cmp){RULE_CMP_NE, ip_protos[i].num, 0};
                return VG_OK;
            }
        }
        return rule__kwfail(pc, n.off, "unknown protocol '%.*s'", TOKA(pc, n));
    }
    if (!rule__parse_cmp(s, t, 255, false, &c, &why))
        return rule__kwfail(pc, t.off, "%s '%.*s'", why, TOKA(pc, t));
    struct rule_pmatch *p = rule__add_pmatch(pc, RULE_P_IP_PROTO);
    if (!p) return pc->status;
    p->u.cmp = c;
    return VG_OK;
}

static int flag_bit(char c, bool tcp)
{
    if (tcp) {
        switch (c) {
        case 'F':
            return 0x01;
        case 'S':
            return 0x02;
        case 'R':
            return 0x04;
        case 'P':
            return 0x08;
        case 'A':
            return 0x10;
        case 'U':
            return 0x20;
        case 'E':
        case '2':
            return 0x40;
        case 'C':
        case '1':
            return 0x80;
        default:
            return -1;
        }
    }
    switch (c) {
    case 'M':
        return 0x2000;
    case 'D':
        return 0x4000;
    case 'R':
        return 0x8000;
    default:
        return -1;
    }
}

/* flags / fragbits */
static int kw_flags(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    bool tcp = arg == RULE_P_TCP_FLAGS;
    const char *s = pc->s;
    struct rule_tok f[3];
    int n = rule__split(s, o->val, ',', f, 3);
    if (n < 1 || n > 2 || f[0].len == 0)
        return rule__kwfail(pc, o->val.off, "expected '[+*!]<flags>[,<mask>]'");
    struct rule_flags fl = {RULE_FLAGS_EXACT, 0, 0};
    bool mod = false, zero = false;
    for (size_t i = 0; i < f[0].len; i++) {
        char c = s[f[0].off + i];
        if (c == '+' || c == '*' || c == '!') {
            if (mod) return rule__kwfail(pc, f[0].off + i, "more than one modifier");
            mod = true;
            fl.mode = c == '+' ? RULE_FLAGS_PLUS : c == '*' ? RULE_FLAGS_ANY : RULE_FLAGS_NOT;
            continue;
        }
        if (tcp && c == '0') {
            zero = true;
            continue;
        }
        if (isspace((unsigned char)c)) continue;
        int b = flag_bit(c, tcp);
        if (b < 0)
            return rule__kwfail(pc, f[0].off + i, "invalid flag '%c'",
                                isprint((unsigned char)c) ? c : '?');
        if (fl.bits & b) return rule__kwfail(pc, f[0].off + i, "flag '%c' given twice", c);
        fl.bits |= (uint16_t)b;
    }
    if (zero && (fl.bits || mod)) return rule__kwfail(pc, f[0].off, "'0' (no flags) stands alone");
    if (!zero && !fl.bits) return rule__kwfail(pc, f[0].off, "no flags given");
    if (n == 2) {
        if (!tcp) return rule__kwfail(pc, f[1].off, "takes no mask");
        for (size_t i = 0; i < f[1].len; i++) {
            char c = s[f[1].off + i];
            int b = flag_bit(c, true);
            if (b < 0)
                return rule__kwfail(pc, f[1].off + i, "invalid mask flag '%c'",
                                    isprint((unsigned char)c) ? c : '?');
            fl.ignore |= (uint16_t)b;
        }
    }
    struct rule_pmatch *p = rule__add_pmatch(pc, (uint8_t)arg);
    if (!p) return pc->status;
    p->u.flags = fl;
    return VG_OK;
}

static int kw_ipopts(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    static const char *const names[] = {"rr",   "eol",  "nop",  "ts",    "sec",
                                        "esec", "lsrr", "ssrr", "satid", "any"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (rule__tok_eq(pc->s, o->val, names[i])) {
            struct rule_pmatch *p = rule__add_pmatch(pc, RULE_P_IPOPTS);
            if (!p) return pc->status;
            p->u.ipopt = (uint8_t)i;
            return VG_OK;
        }
    }
    return rule__kwfail(pc, o->val.off, "unknown option '%.*s'", TOKA(pc, o->val));
}

const struct rule_kw kw_packet__table[] = {
    {"ip_proto", kw_ip_proto, 0, RULE_KW_VAL},
    {"ttl", kw_num, PK_TTL, RULE_KW_VAL},
    {"tos", kw_neg_num, RULE_P_TOS, RULE_KW_VAL},
    {"id", kw_num, PK_ID, RULE_KW_VAL},
    {"ipopts", kw_ipopts, 0, RULE_KW_VAL},
    {"fragbits", kw_flags, RULE_P_FRAGBITS, RULE_KW_VAL},
    {"fragoffset", kw_num, PK_FRAGOFF, RULE_KW_VAL},
    {"flags", kw_flags, RULE_P_TCP_FLAGS, RULE_KW_VAL},
    {"tcp.flags", kw_flags, RULE_P_TCP_FLAGS, RULE_KW_VAL},
    {"seq", kw_num, PK_SEQ, RULE_KW_VAL},
    {"ack", kw_num, PK_ACK, RULE_KW_VAL},
    {"window", kw_neg_num, RULE_P_TCP_WINDOW, RULE_KW_VAL},
    {"tcp.mss", kw_num, PK_MSS, RULE_KW_VAL},
    {"itype", kw_num, PK_ITYPE, RULE_KW_VAL},
    {"icode", kw_num, PK_ICODE, RULE_KW_VAL},
    {"icmp_id", kw_num, PK_ICMP_ID, RULE_KW_VAL},
    {"icmp_seq", kw_num, PK_ICMP_SEQ, RULE_KW_VAL},
    {NULL, NULL, 0, 0},
};
