/* kw_buffers.c - inspection buffers: sticky buffer keywords (http.uri, dns.query, tls.sni,
 * ja3.hash, ssh.proto, file.data, pkt_data, base64_data, ...), their older spellings (dns_query,
 * tls_sni, file_data, ...), the legacy content modifiers that move the previous content into a
 * buffer (http_uri, http_header, http_client_body, ...), base64_decode and tls.version.
 *
 * The buffer list itself is the RULE_BUF_MAP table of rule.h; this file only turns it into
 * keywords. Semantics (Suricata 7):
 *   - a sticky buffer applies to every following content/pcre/byte_/isdataat/bsize until the
 *     next sticky buffer or pkt_data; a sticky buffer that receives no match is an error;
 *   - a content modifier applies to the most recent content, which must still be a payload
 *     content (not already in a sticky buffer, not rawbytes);
 *   - base64_data needs a base64_decode before it;
 *   - whether the buffer fits the rule's protocol is checked at finalisation (rule_parser.c).
 * Transforms (dotprefix, strip_whitespace, to_lowercase, to_sha256, url_decode, ...) follow a
 * sticky buffer directly and make a list of their own: "dns.query; dotprefix; content:...".
 * Transforms with arguments (xor, pcrexform, from_base64) are not supported.
 * http.response_body and http_server_body are the file.data buffer (see rule.h).
 */
#include <ctype.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

int kw_buffers__check_empty(struct rule_pc *pc)
{
    if (pc->sticky_set && pc->sticky_count == 0) {
        const struct rule_buf_info *bi = rule_buf_info(pc->sticky);
        return rule__fail(pc, pc->sticky_off, VG_ERR_FORMAT, "%s: sticky buffer has no matches",
                          bi->name);
    }
    return VG_OK;
}

int kw_buffers__sticky(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (kw_buffers__check_empty(pc) != VG_OK) return pc->status;
    if (arg == RULE_BUF_BASE64_DATA) {
        bool have = false;
        for (size_t i = 0; i < pc->nm && !have; i++)
            have = pc->m[i].kind == RULE_M_BASE64_DECODE;
        if (!have) return rule__kwfail(pc, o->name.off, "needs a preceding base64_decode");
    }
    pc->sticky = (uint8_t)arg;
    pc->sticky_set = arg != RULE_BUF_PKT;
    pc->sticky_off = o->name.off;
    pc->sticky_count = 0;
    pc->ntx = 0;
    return VG_OK;
}

static int kw_transform(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (!pc->sticky_set)
        return rule__kwfail(pc, o->name.off, "transforms need a sticky buffer before them");
    if (pc->sticky_count)
        return rule__kwfail(
            pc, o->name.off,
            "transforms must directly follow the sticky buffer, before its matches");
    if (pc->ntx >= RULE_MAX_TX)
        return rule__kwfail(pc, o->name.off, "more than %d transforms", RULE_MAX_TX);
    pc->tx[pc->ntx++] = (uint8_t)arg;
    return VG_OK;
}

static int kw_modifier(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (pc->last_content < 0) return rule__kwfail(pc, o->name.off, "needs a preceding content");
    struct rule_match *m = &pc->m[pc->last_content];
    if (m->buf == arg)
        return rule__kwfail(pc, o->name.off, "the content is already in this buffer");
    if (m->buf != RULE_BUF_PKT)
        return rule__kwfail(pc, o->name.off,
                            "can't move a content that is in a sticky buffer (%s); use the "
                            "sticky buffer '%s' instead",
                            rule_buf_info(m->buf)->name, rule_buf_info(arg)->name);
    if (m->u.content.flags & RULE_CONTENT_RAWBYTES)
        return rule__kwfail(pc, o->name.off, "can't be used with rawbytes");
    int list = rule__list_for(pc, (uint8_t)arg, false, o->name.off);
    if (list < 0) return pc->status;
    m->buf = (uint8_t)arg;
    m->list = (uint8_t)list;
    return VG_OK;
}

int kw_buffers__lookup(const char *name, size_t len)
{
    for (int b = 0; b < RULE_BUF_COUNT; b++) {
        const struct rule_buf_info *bi = rule_buf_info(b);
        if ((strlen(bi->name) == len && memcmp(bi->name, name, len) == 0) ||
            (bi->alias && strlen(bi->alias) == len && memcmp(bi->alias, name, len) == 0))
            return b;
    }
    if (len == 18 && memcmp(name, "http.response_body", 18) == 0) return RULE_BUF_FILE_DATA;
    return -1;
}

static int kw_base64_decode(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    struct rule_base64 d = {0, 0, false};
    if (o->has_val && o->val.len) {
        struct rule_tok f[4];
        int n = rule__split(pc->s, o->val, ',', f, 4);
        if (n < 0) return rule__kwfail(pc, o->val.off, "too many options");
        bool seen_b = false, seen_o = false;
        for (int i = 0; i < n; i++) {
            const char *p = pc->s + f[i].off;
            uint64_t v;
            if (rule__tok_eq(pc->s, f[i], "relative") && !d.relative) {
                d.relative = true;
            } else if (f[i].len > 6 && memcmp(p, "bytes", 5) == 0 && isspace((unsigned char)p[5]) &&
                       !seen_b) {
                if (!rule__parse_u64(pc->s, (struct rule_tok){f[i].off + 6, f[i].len - 6}, false,
                                     65535, &v) ||
                    v == 0)
                    return rule__kwfail(pc, f[i].off, "invalid bytes value");
                d.bytes = (uint32_t)v;
                seen_b = true;
            } else if (f[i].len > 7 && memcmp(p, "offset", 6) == 0 &&
                       isspace((unsigned char)p[6]) && !seen_o) {
                if (!rule__parse_u64(pc->s, (struct rule_tok){f[i].off + 7, f[i].len - 7}, false,
                                     65535, &v))
                    return rule__kwfail(pc, f[i].off, "invalid offset value");
                d.offset = (uint32_t)v;
                seen_o = true;
            } else {
                return rule__kwfail(pc, f[i].off, "unknown or repeated option '%.*s'",
                                    (int)(f[i].len > 40 ? 40 : f[i].len), p);
            }
        }
    }
    long idx = rule__add_match(pc, RULE_M_BASE64_DECODE, o->name.off);
    if (idx < 0) return pc->status;
    pc->m[idx].u.base64 = d;
    return VG_OK;
}

static int kw_tls_version(struct rule_pc *pc, const struct rule_opt *o, int arg)
{
    if (pc->seen & RULE_SEEN_TLS_VERSION)
        return rule__kwfail(pc, o->name.off, "may appear only once in a rule");
    pc->seen |= RULE_SEEN_TLS_VERSION;
    static const struct {
        const char *t;
        int v;
    } vers[] = {
        {"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304}, {"3.0", 0x0300}};
    int v = -1;
    for (size_t i = 0; i < sizeof vers / sizeof vers[0]; i++) {
        if (rule__tok_eq(pc->s, o->val, vers[i].t)) v = vers[i].v;
    }
    uint64_t x;
    if (v < 0 && o->val.len > 2 && pc->s[o->val.off] == '0' &&
        rule__parse_u64(pc->s, o->val, true, 0xffff, &x))
        v = (int)x;
    if (v < 0) return rule__kwfail(pc, o->val.off, "expected 1.0, 1.1, 1.2, 1.3 or a 0x value");
    struct rule *r = pc->r;
    if (r->app != RULE_PROTO_COUNT && r->app != RULE_PROTO_TLS)
        return rule__kwfail(pc, o->name.off, "not available for protocol '%s'",
                            rule_proto_info(r->app)->name);
    if (r->app == RULE_PROTO_COUNT) {
        if (r->proto != RULE_PROTO_TCP && r->proto != RULE_PROTO_IP &&
            r->proto != RULE_PROTO_IPV4 && r->proto != RULE_PROTO_IPV6 &&
            r->proto != RULE_PROTO_TCP_PKT && r->proto != RULE_PROTO_TCP_STREAM)
            return rule__kwfail(pc, o->name.off, "not available for protocol '%s'",
                                rule_proto_info(r->proto)->name);
        r->app = RULE_PROTO_TLS;
    }
    r->tls_version = v;
    return VG_OK;
}

#define KW_STICKY(id, name, alias, modifier, flag, desc, family, dir)                              \
    {name, kw_buffers__sticky, id, RULE_KW_NOVAL}, {alias, kw_buffers__sticky, id, RULE_KW_NOVAL}, \
        {modifier, kw_modifier, id, RULE_KW_NOVAL},

#define KW_TX(id, name) {name, kw_transform, id, RULE_KW_NOVAL},

const struct rule_kw kw_buffers__table[] = {
    RULE_BUF_MAP(KW_STICKY) RULE_TRANSFORM_MAP(KW_TX){"http.response_body", kw_buffers__sticky,
                                                      RULE_BUF_FILE_DATA, RULE_KW_NOVAL},
    {"base64_decode", kw_base64_decode, 0, RULE_KW_OPTVAL},
    {"tls.version", kw_tls_version, 0, RULE_KW_VAL},
    {NULL, NULL, 0, 0},
};
