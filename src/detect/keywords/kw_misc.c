/* kw_misc.c - the remaining keywords: app-layer-protocol, noalert, tag (accepted, ignored),
 * prefilter, stream_size, the event keywords app-layer-event / decode-event / stream-event, and
 * vigil's own vigil.anomaly and vigil.tamper.
 *
 * Events are matched against what vigil raises: core/vg_anomaly.h names every anomaly once, with
 * Suricata's names ("decoder.ipv4.trunc_pkt", "stream.pkt_invalid_ack", "http.request_field_too
 * _long"). decode-event:X is "decoder.X" there, stream-event:X is "stream.X", app-layer-event:X is
 * X itself. An event Suricata knows but vigil never raises makes the rule unsupported (skipped
 * with "unsupported decode-event 'ipv4.opt_eol_required'"), never silently dead.
 *
 *   vigil.anomaly:<name>              any name of the anomaly table ("dns.malformed_data")
 *   vigil.tamper:<class>[,<subtype>]  a tamper finding (tamper/tamper.h: tcp_injection_race,
 *                                     forged_rst and their subtypes)
 *   stream_size:<server|client|both|either>,<op>,<n>   op: < > = != <= >=
 *   app-layer-protocol:[!]<proto>     a protocol name of the header table, of kind app
 */
#include <ctype.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"
#include "tamper/tamper.h" /* only the TAMPER_SIG_MAP table */

#define TOKA(pc, t) (int)((t).len > 60 ? 60 : (t).len), (pc)->s + (t).off

_Static_assert(RULE_PROTO_COUNT <= 64, "app_not is a 64-bit mask");

static int kw_app_proto(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_tok t = o->val;
    bool neg = false;
    if (t.len && pc->s[t.off] == '!') {
        neg = true;
        t = rule__trim(pc->s, (struct rule_tok){t.off + 1, t.len - 1});
    }
    if (memchr(pc->s + t.off, ',', t.len) || memchr(pc->s + t.off, '|', t.len))
        return rule__fail(pc, t.off, VG_ERR_UNSUPPORTED,
                          "unsupported app-layer-protocol list or mode in '%.*s'", TOKA(pc, t));
    int p = rule_proto_lookup(pc->s + t.off, t.len);
    if (p < 0 || rule_proto_info(p)->kind != RULE_PK_APP) {
        if (rule__tok_eq(pc->s, t, "failed") || rule__tok_eq(pc->s, t, "unknown"))
            return rule__fail(pc, t.off, VG_ERR_UNSUPPORTED,
                              "unsupported app-layer-protocol '%.*s'", TOKA(pc, t));
        return rule__kwfail(pc, t.off, "unknown protocol '%.*s'", TOKA(pc, t));
    }
    struct rule *r = pc->r;
    if (neg) {
        if (r->app_not & (1ull << p))
            return rule__kwfail(pc, t.off, "'%.*s' excluded twice", TOKA(pc, t));
        r->app_not |= 1ull << p;
    } else {
        if (pc->seen & RULE_SEEN_APP_PROTO)
            return rule__kwfail(pc, o->name.off, "only one positive protocol per rule");
        pc->seen |= RULE_SEEN_APP_PROTO;
        r->app_proto = (uint8_t)p;
    }
    if (r->app_proto != RULE_PROTO_COUNT && (r->app_not & (1ull << r->app_proto)))
        return rule__kwfail(pc, t.off, "'%s' both required and excluded",
                            rule_proto_info(r->app_proto)->name);
    return VG_OK;
}

static int kw_flag(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    pc->r->flags |= (uint32_t)arg;
    return VG_OK;
}

static int kw_tag(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_tok f[5];
    int n = rule__split(pc->s, o->val, ',', f, 5);
    if (n < 1 || !(rule__tok_eq(pc->s, f[0], "session") || rule__tok_eq(pc->s, f[0], "host")))
        return rule__kwfail(pc, o->val.off, "expected 'session' or 'host' first");
    pc->r->flags |= RULE_F_TAG;
    return VG_OK;
}

static int kw_prefilter(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    pc->r->flags |= RULE_F_PREFILTER; /* a hint for the compiler; it may ignore it */
    return VG_OK;
}

static int kw_stream_size(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    const char *s = pc->s;
    struct rule_tok f[4];
    if (rule__split(s, o->val, ',', f, 4) != 3)
        return rule__kwfail(pc, o->val.off, "expected '<server|client|both|either>,<op>,<n>'");
    static const char *const sides[] = {"server", "client", "both", "either"};
    int side = -1;
    for (int i = 0; i < 4; i++) {
        if (rule__tok_eq(s, f[0], sides[i])) side = i;
    }
    if (side < 0) return rule__kwfail(pc, f[0].off, "invalid side '%.*s'", TOKA(pc, f[0]));
    static const struct {
        const char *t;
        uint8_t op;
    } ops[] = {{"<", RULE_CMP_LT},  {">", RULE_CMP_GT},  {"=", RULE_CMP_EQ},
               {"!=", RULE_CMP_NE}, {"<=", RULE_CMP_LE}, {">=", RULE_CMP_GE}};
    int op = -1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (rule__tok_eq(s, f[1], ops[i].t)) op = ops[i].op;
    }
    if (op < 0) return rule__kwfail(pc, f[1].off, "invalid operator '%.*s'", TOKA(pc, f[1]));
    uint64_t v;
    if (!rule__parse_u64(s, f[2], false, UINT32_MAX, &v))
        return rule__kwfail(pc, f[2].off, "invalid value '%.*s'", TOKA(pc, f[2]));
    struct rule_pmatch *p = rule__add_pmatch(pc, RULE_P_STREAM_SIZE);
    if (!p) return pc->status;
    p->u.stream_size.side = (uint8_t)side;
    p->u.stream_size.cmp = (struct rule_cmp){(uint8_t)op, v, 0};
    return VG_OK;
}

static struct rule_event *add_event(struct rule_pc *pc, size_t off)
{
    struct rule *r = pc->r;
    struct rule_event *ne = vg_realloc(r->ev, (r->nev + 1) * sizeof *ne);
    if (!ne) {
        rule__fail(pc, off, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    r->ev = ne;
    memset(&ne[r->nev], 0, sizeof ne[r->nev]);
    return &ne[r->nev++];
}

/* Anomaly id whose EVE name is prefix + name (and whose type is `type` when not NULL). */
static int find_anomaly(const char *type, const char *prefix, const char *name, size_t n)
{
    size_t pl = strlen(prefix);
    for (int id = 0; id < VG_ANOMALY_COUNT; id++) {
        const char *an = vg_anomaly_name(id);
        if (!an || (type && strcmp(vg_anomaly_type(id), type) != 0)) continue;
        if (strlen(an) == pl + n && strncmp(an, prefix, pl) == 0 && memcmp(an + pl, name, n) == 0)
            return id;
    }
    return -1;
}

enum { EV_APP, EV_DECODE, EV_STREAM, EV_VIGIL };

static int kw_event(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    static const char *const kw[] = {"app-layer-event", "decode-event", "stream-event",
                                     "vigil.anomaly"};
    struct rule_tok t = o->val;
    const char *s = pc->s;
    if (t.len == 0 || t.len > 128) return rule__kwfail(pc, t.off, "invalid event name");
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)s[t.off + i];
        if (!(isalnum(c) || c == '_' || c == '.' || c == '-'))
            return rule__kwfail(pc, t.off + i, "invalid event name '%.*s'", TOKA(pc, t));
    }
    int id = -1;
    switch (arg) {
    case EV_APP:
        id = find_anomaly("applayer", "", s + t.off, t.len);
        break;
    case EV_DECODE:
        id = find_anomaly("decode", "decoder.", s + t.off, t.len);
        if (id < 0) id = find_anomaly("decode", "", s + t.off, t.len);
        break;
    case EV_STREAM:
        id = find_anomaly("stream", "stream.", s + t.off, t.len);
        if (id < 0) id = find_anomaly("stream", "", s + t.off, t.len);
        break;
    default:
        id = find_anomaly(NULL, "", s + t.off, t.len);
        if (id < 0) return rule__kwfail(pc, t.off, "unknown anomaly '%.*s'", TOKA(pc, t));
        break;
    }
    if (id < 0)
        return rule__fail(pc, t.off, VG_ERR_UNSUPPORTED, "unsupported %s '%.*s'", kw[arg],
                          TOKA(pc, t));
    if (arg == EV_APP) {
        /* the event's protocol is the rule's application protocol */
        const char *dot = memchr(s + t.off, '.', t.len);
        int app = dot ? rule_proto_lookup(s + t.off, (size_t)(dot - (s + t.off))) : -1;
        struct rule *r = pc->r;
        if (app >= 0 && rule_proto_info(app)->kind == RULE_PK_APP) {
            bool http = app == RULE_PROTO_HTTP &&
                        (r->app == RULE_PROTO_HTTP1 || r->app == RULE_PROTO_HTTP2);
            if (r->app != RULE_PROTO_COUNT && r->app != app && !http)
                return rule__kwfail(pc, t.off, "event of protocol '%s' in a '%s' rule",
                                    rule_proto_info(app)->name, rule_proto_info(r->app)->name);
            if (r->app == RULE_PROTO_COUNT) r->app = (uint8_t)app;
        }
    }
    struct rule_event *e = add_event(pc, t.off);
    if (!e) return pc->status;
    e->kind = RULE_EV_ANOMALY;
    e->anomaly = id;
    return VG_OK;
}

static const struct {
    const char *cls, *sub;
} tamper_sigs[] = {
#define TAMPER_ROW(id, sid, rev, cls, sub, sev, msg) {cls, sub},
    TAMPER_SIG_MAP(TAMPER_ROW)
#undef TAMPER_ROW
};

static int kw_tamper(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    const char *s = pc->s;
    struct rule_tok f[3];
    int n = rule__split(s, o->val, ',', f, 3);
    if (n < 1 || n > 2 || f[0].len == 0)
        return rule__kwfail(pc, o->val.off, "expected '<class>[,<subtype>]'");
    bool cls_ok = false, sub_ok = n == 1;
    for (size_t i = 0; i < sizeof tamper_sigs / sizeof tamper_sigs[0]; i++) {
        if (!rule__tok_eq(s, f[0], tamper_sigs[i].cls)) continue;
        cls_ok = true;
        if (n == 2 && rule__tok_eq(s, f[1], tamper_sigs[i].sub)) sub_ok = true;
    }
    if (!cls_ok) return rule__kwfail(pc, f[0].off, "unknown tamper class '%.*s'", TOKA(pc, f[0]));
    if (!sub_ok)
        return rule__kwfail(pc, f[1].off, "unknown subtype '%.*s' of class '%.*s'", TOKA(pc, f[1]),
                            TOKA(pc, f[0]));
    struct rule_event *e = add_event(pc, o->val.off);
    if (!e) return pc->status;
    e->kind = RULE_EV_TAMPER;
    e->anomaly = -1;
    e->tclass = rule__strndup(s + f[0].off, f[0].len);
    if (n == 2) e->tsubtype = rule__strndup(s + f[1].off, f[1].len);
    if (!e->tclass || (n == 2 && !e->tsubtype))
        return rule__fail(pc, o->val.off, VG_ERR_NOMEM, "out of memory");
    return VG_OK;
}

const struct rule_kw kw_misc__table[] = {
    {"app-layer-protocol", kw_app_proto, 0, RULE_KW_VAL},
    {"noalert", kw_flag, RULE_F_NOALERT, RULE_KW_NOVAL},
    {"tag", kw_tag, 0, RULE_KW_VAL},
    {"prefilter", kw_prefilter, 0, RULE_KW_NOVAL},
    {"stream_size", kw_stream_size, 0, RULE_KW_VAL},
    {"app-layer-event", kw_event, EV_APP, RULE_KW_VAL},
    {"decode-event", kw_event, EV_DECODE, RULE_KW_VAL},
    {"stream-event", kw_event, EV_STREAM, RULE_KW_VAL},
    {"vigil.anomaly", kw_event, EV_VIGIL, RULE_KW_VAL},
    {"vigil.tamper", kw_tamper, 0, RULE_KW_VAL},
    {NULL, NULL, 0, 0},
};
