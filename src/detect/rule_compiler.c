/* rule_compiler.c - turns the parsed rules into the immutable engine the matcher runs:
 *
 *   1. classify: what each rule is evaluated on (packets, HTTP transactions, DNS messages, tamper
 *      findings), which L4 protocols it applies to, how a TCP rule's payload is inspected
 *      (stream, packet, both: Suricata's SIG_FLAG_REQUIRE_STREAM / _PACKET), which directions an
 *      app-layer rule can be inspected in; rules vigil's layers can never satisfy are inactive
 *      and counted by reason;
 *   2. order: Suricata's signature order - action (pass, drop, reject, alert), flowbits (setters,
 *      setter+readers, readers, others), priority (1 first), then load order - so that within
 *      one packet a rule that sets a flowbit is evaluated before the rules that test it;
 *   3. fast pattern: the content marked fast_pattern, else the longest positive content of the
 *      highest-priority buffer (application buffers before the payload; ties: more distinct
 *      bytes, then the first); negated contents never; fast_pattern:o,l chops;
 *   4. groups: one Vectorscan database per (context, direction[, buffer list]) holding the fast
 *      patterns of its rules; rules without a usable fast pattern go to the always lists of
 *      their context; header-only rules whose source or destination is a small IPv4 set are
 *      found through an address index instead (ET's reputation lists);
 *   5. cache: the databases are serialised to CACHE_DIR/<sha256>.hsdb, keyed by everything that
 *      goes into them (vigil version, Vectorscan version, every group's patterns and flags), so a
 *      restart with the same rules skips compilation. The key covers the compiler input rather
 *      than the raw rule text: two rule files that give the same patterns share a cache file,
 *      and any change that alters a pattern changes the key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "app/app.h"
#include "core/vg_alloc.h"
#include "core/vg_fs.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0"
#endif

static const char *const inactive_names[DE_IN_COUNT] = {
    "protocol not published by vigil",
    "tls.certs (the TLS parser keeps no certificate DER)",
    "file.data outside http",
    "buffers of two application protocols",
};

const char *detect_inactive_reason(int i)
{
    return i >= 0 && i < DE_IN_COUNT ? inactive_names[i] : NULL;
}

/* ---- keyword placement -------------------------------------------------------------------------
 */

static bool relative_item(const struct rule_match *m)
{
    switch (m->kind) {
    case RULE_M_BASE64_DECODE:
        return true; /* Suricata: always the list of the last content */
    case RULE_M_BYTE_TEST:
    case RULE_M_BYTE_JUMP:
    case RULE_M_BYTE_EXTRACT:
        return (m->u.byte.flags & RULE_BYTE_RELATIVE) != 0;
    case RULE_M_ISDATAAT:
        return m->u.isdataat.relative;
    default:
        return false;
    }
}

/* Suricata puts base64_decode, and a relative byte_* / isdataat, written with no sticky buffer
 * in force, into the list of the last content or pcre before it - which may have been moved into
 * an HTTP buffer by a legacy modifier (`content:"x"; http_uri; base64_decode:relative;`). The
 * parser leaves them in pkt_data; this moves them where Suricata has them. Rules are modified
 * in place once (idempotent). Returns VG_OK or VG_ERR_NOMEM. */
static int normalize_rule(struct rule *r)
{
    int lp = -1;
    for (uint32_t b = 0; b < r->nbuf; b++)
        if (r->buf[b].id == RULE_BUF_PKT && r->buf[b].ntx == 0) lp = (int)b;
    if (lp < 0 || r->nbuf < 2) return VG_OK;
    struct rule_buffer *L = &r->buf[lp];
    for (uint32_t i = 0; i < L->n;) {
        const struct rule_match *m = &L->m[i];
        bool own = false; /* a content/pcre of pkt_data precedes it */
        for (uint32_t k = 0; k < i && !own; k++)
            own = L->m[k].kind == RULE_M_CONTENT || L->m[k].kind == RULE_M_PCRE;
        if (own || !relative_item(m)) {
            i++;
            continue;
        }
        /* the last content/pcre before it, in rule text order */
        int xl = -1;
        uint32_t best = 0;
        for (uint32_t b = 0; b < r->nbuf; b++) {
            if ((int)b == lp) continue;
            for (uint32_t k = 0; k < r->buf[b].n; k++) {
                const struct rule_match *c = &r->buf[b].m[k];
                if ((c->kind == RULE_M_CONTENT || c->kind == RULE_M_PCRE) &&
                    c->src_off < m->src_off && (xl < 0 || c->src_off >= best)) {
                    xl = (int)b;
                    best = c->src_off;
                }
            }
        }
        if (xl < 0 || rule_buf_info(r->buf[xl].id)->family == RULE_BF_BASE64) {
            i++;
            continue;
        }
        struct rule_buffer *X = &r->buf[xl];
        struct rule_match *nm = vg_realloc(X->m, (X->n + 1) * sizeof *nm);
        if (!nm) return VG_ERR_NOMEM;
        X->m = nm;
        uint32_t pos = X->n;
        while (pos > 0 && X->m[pos - 1].src_off > m->src_off)
            pos--;
        memmove(&X->m[pos + 1], &X->m[pos], (X->n - pos) * sizeof *X->m);
        X->m[pos] = *m;
        X->m[pos].buf = X->id;
        X->m[pos].list = (uint8_t)xl;
        X->n++;
        if (r->fp_buf == xl && r->fp_idx >= (int32_t)pos) r->fp_idx++;
        if (r->fp_buf == lp && r->fp_idx > (int32_t)i) r->fp_idx--;
        memmove(&L->m[i], &L->m[i + 1], (L->n - i - 1) * sizeof *L->m);
        L->n--;
    }
    if (L->n == 0) {
        vg_free(L->m);
        memmove(&r->buf[lp], &r->buf[lp + 1], (r->nbuf - lp - 1) * sizeof *r->buf);
        r->nbuf--;
        if (r->fp_buf > lp) r->fp_buf--;
        for (uint32_t b = 0; b < r->nbuf; b++)
            for (uint32_t k = 0; k < r->buf[b].n; k++)
                r->buf[b].m[k].list = (uint8_t)b;
    }
    return VG_OK;
}

/* ---- classification ---------------------------------------------------------------------------
 */

static uint8_t l4_of_proto(int proto)
{
    const struct rule_proto_info *pi = rule_proto_info(proto);
    switch (proto) {
    case RULE_PROTO_TCP:
    case RULE_PROTO_TCP_PKT:
    case RULE_PROTO_TCP_STREAM:
        return DE_L4_TCP;
    case RULE_PROTO_UDP:
        return DE_L4_UDP;
    case RULE_PROTO_ICMP:
        return DE_L4_ICMP4 | DE_L4_ICMP6; /* Suricata: icmp is both */
    case RULE_PROTO_ICMPV4:
        return DE_L4_ICMP4;
    case RULE_PROTO_ICMPV6:
        return DE_L4_ICMP6;
    default:
        break;
    }
    if (pi && pi->kind == RULE_PK_APP) {
        if (pi->ipproto == 6) return DE_L4_TCP;
        if (pi->ipproto == 17) return DE_L4_UDP;
        return DE_L4_TCP | DE_L4_UDP;
    }
    return DE_L4_TCP | DE_L4_UDP | DE_L4_ICMP4 | DE_L4_ICMP6 | DE_L4_OTHER;
}

static uint8_t app_id_of(int rp)
{
    switch (rp) {
    case RULE_PROTO_HTTP:
    case RULE_PROTO_HTTP1:
        return APP_PROTO_HTTP;
    case RULE_PROTO_DNS:
        return APP_PROTO_DNS;
    case RULE_PROTO_TLS:
        return APP_PROTO_TLS;
    case RULE_PROTO_SSH:
        return APP_PROTO_SSH;
    default:
        return 0;
    }
}

static bool has_pm(const struct rule *r, int kind)
{
    for (uint32_t i = 0; i < r->npm; i++)
        if (r->pm[i].kind == kind) return true;
    return false;
}

/* Whether an address set looks like a negation (Suricata's "contains negation"): the parsed
 * sets are resolved ranges, so a set covering more than half of the IPv4 space without being
 * `any` is taken as written with '!'. */
static bool addr_negated(const struct rule_addr *a)
{
    if (a->any) return false;
    uint64_t n = 0;
    for (uint32_t i = 0; i < a->n4; i++)
        n += (uint64_t)a->v4[i].hi - a->v4[i].lo + 1;
    return n > (1ull << 31);
}

static void classify(struct de_rule *d)
{
    const struct rule *r = d->r;
    const struct rule_proto_info *pi = rule_proto_info(r->proto);
    d->kind = DE_K_PKT;
    d->pkt_list = -1;
    d->l4 = l4_of_proto(r->proto);
    d->app = r->app != RULE_PROTO_COUNT ? app_id_of(r->app) : 0;
    d->header_only = r->nbuf == 0;
    bool http = false, file = false, dns = false, tls = false, ssh = false;
    for (uint32_t b = 0; b < r->nbuf; b++) {
        const struct rule_buf_info *bi = rule_buf_info(r->buf[b].id);
        switch (bi->family) {
        case RULE_BF_PKT:
            if (r->buf[b].ntx == 0) d->pkt_list = (int8_t)b;
            break;
        case RULE_BF_HTTP:
            http = true;
            break;
        case RULE_BF_FILE:
            file = true;
            break;
        case RULE_BF_DNS:
            dns = true;
            break;
        case RULE_BF_TLS:
            tls = true;
            break;
        case RULE_BF_SSH:
            ssh = true;
            break;
        default:
            break;
        }
    }
    for (uint32_t i = 0; i < r->nev; i++) {
        if (r->ev[i].kind == RULE_EV_TAMPER)
            d->has_tamper = true;
        else
            d->has_events = true;
    }
    /* ip_proto:N narrows the L4 classes (an `ip` rule for protocol 41 never sees TCP) */
    for (uint32_t i = 0; i < r->npm; i++) {
        const struct rule_pmatch *pm = &r->pm[i];
        if (pm->kind != RULE_P_IP_PROTO || pm->u.cmp.op != RULE_CMP_EQ) continue;
        uint64_t v = pm->u.cmp.a;
        uint8_t c = v == 6    ? DE_L4_TCP
                    : v == 17 ? DE_L4_UDP
                    : v == 1  ? DE_L4_ICMP4
                    : v == 58 ? DE_L4_ICMP6
                              : DE_L4_OTHER;
        d->l4 &= c;
    }
    /* app-layer-protocol */
    if (r->app_proto != RULE_PROTO_COUNT) {
        uint8_t a = app_id_of(r->app_proto);
        d->app_proto_kw = a ? a : 0xff;
    }
    if (!pi || !pi->vigil || (r->app != RULE_PROTO_COUNT && !rule_proto_info(r->app)->vigil)) {
        d->kind = DE_K_NONE;
        d->inactive = DE_IN_PROTO;
        return;
    }
    if ((tls || ssh) && (http || file || dns)) {
        d->kind = DE_K_NONE;
        d->inactive = DE_IN_MIXED_APP;
        return;
    }
    if (tls && ssh) {
        d->kind = DE_K_NONE;
        d->inactive = DE_IN_MIXED_APP;
        return;
    }
    for (uint32_t b = 0; b < r->nbuf; b++)
        if (r->buf[b].id == RULE_BUF_TLS_CERTS) {
            d->kind = DE_K_NONE;
            d->inactive = DE_IN_TLS_SSH;
            return;
        }
    if (http || file) {
        if (file && d->app && d->app != APP_PROTO_HTTP) {
            d->kind = DE_K_NONE;
            d->inactive = DE_IN_FILE;
            return;
        }
        if (dns) {
            d->kind = DE_K_NONE;
            d->inactive = DE_IN_MIXED_APP;
            return;
        }
        d->kind = DE_K_HTTP;
        d->app = APP_PROTO_HTTP;
        d->l4 = DE_L4_TCP;
        d->mixed_pkt = d->pkt_list >= 0;
    } else if (dns) {
        d->kind = DE_K_DNS;
        d->app = APP_PROTO_DNS;
        d->l4 &= DE_L4_TCP | DE_L4_UDP;
        d->mixed_pkt = d->pkt_list >= 0;
    } else if (tls || ssh || (r->tls_version >= 0 && d->app == APP_PROTO_TLS)) {
        d->kind = ssh ? DE_K_SSH : DE_K_TLS;
        d->app = ssh ? APP_PROTO_SSH : APP_PROTO_TLS;
        d->l4 = DE_L4_TCP;
        d->mixed_pkt = d->pkt_list >= 0;
    } else if (d->has_tamper) {
        d->kind = DE_K_TAMPER;
    }
    /* Suricata's IP-only rules (SignatureIsIPOnly): no buffers, no app protocol, no flow keyword
     * (or both directions), no packet keyword or event, flowbits only "set", any ports, and no
     * negated address (those are "like IP-only": every packet). */
    if (d->kind == DE_K_PKT && d->header_only && !d->app && !d->app_proto_kw && !r->app_not &&
        !r->flow && !r->npm && !r->nev && !addr_negated(&r->src) && !addr_negated(&r->dst) &&
        r->sport.any && r->dport.any) {
        bool ok = true;
        for (uint32_t i = 0; i < r->nflowbits; i++)
            ok &= r->flowbits[i].cmd == RULE_FB_SET;
        d->iponly = ok;
    }
    /* PD-only (SignatureIsPDOnly): app-layer-protocol plus at most flow direction and flowbits
     * set */
    if (d->kind == DE_K_PKT && d->header_only && !d->app && (d->app_proto_kw || r->app_not) &&
        !(r->flow & ~(uint32_t)(RULE_FLOW_TO_SERVER | RULE_FLOW_TO_CLIENT)) && !r->npm && !r->nev) {
        bool ok = true;
        for (uint32_t i = 0; i < r->nflowbits; i++)
            ok &= r->flowbits[i].cmd == RULE_FB_SET;
        d->pdonly = ok;
    }
    /* TCP payload inspection mode */
    if (r->proto == RULE_PROTO_TCP_PKT || (r->flow & RULE_FLOW_NO_STREAM) ||
        has_pm(r, RULE_P_DSIZE))
        d->tcp_mode = DE_TCP_PKT_ONLY;
    else if (r->proto == RULE_PROTO_TCP_STREAM || (r->flow & RULE_FLOW_ONLY_STREAM))
        d->tcp_mode = DE_TCP_STREAM_ONLY;
    else
        d->tcp_mode = DE_TCP_STREAM_THEN_PKT;
    /* directions an app-layer rule can be inspected in */
    if (d->kind == DE_K_HTTP || d->kind == DE_K_DNS || d->kind == DE_K_TLS || d->kind == DE_K_SSH) {
        bool need_ts = false, need_tc = false;
        for (uint32_t b = 0; b < r->nbuf; b++) {
            uint8_t dir = rule_buf_info(r->buf[b].id)->dir;
            /* file.data (http.response_body): the response body, the request's only with an
             * explicit flow:to_server */
            if (r->buf[b].id == RULE_BUF_FILE_DATA && !(r->flow & RULE_FLOW_TO_SERVER)) dir = 2;
            need_ts |= dir == 1;
            need_tc |= dir == 2;
        }
        if (r->flow & RULE_FLOW_TO_CLIENT)
            d->dirs = 2;
        else if (r->flow & RULE_FLOW_TO_SERVER)
            d->dirs = 1;
        else if (need_tc)
            d->dirs = 2;
        else if (need_ts)
            d->dirs = 1;
        else
            d->dirs = 3;
    } else {
        d->dirs = 3;
        if (r->flow & RULE_FLOW_TO_SERVER) d->dirs = 1;
        if (r->flow & RULE_FLOW_TO_CLIENT) d->dirs = 2;
    }
}

static uint8_t fbtype_of(const struct rule *r)
{
    bool set = false, read = false;
    for (uint32_t i = 0; i < r->nflowbits; i++) {
        uint8_t c = r->flowbits[i].cmd;
        if (c == RULE_FB_SET || c == RULE_FB_UNSET || c == RULE_FB_TOGGLE)
            set = true;
        else
            read = true;
    }
    if (set && read) return DE_FB_SET_READ;
    if (set) return DE_FB_SET;
    if (read) return DE_FB_READ;
    return DE_FB_NONE;
}

static int action_rank(uint8_t a)
{
    switch (a) {
    case RULE_ACTION_PASS:
        return 0;
    case RULE_ACTION_DROP:
        return 1;
    case RULE_ACTION_REJECT:
    case RULE_ACTION_REJECTSRC:
    case RULE_ACTION_REJECTDST:
    case RULE_ACTION_REJECTBOTH:
        return 2;
    default:
        return 3;
    }
}

struct order_key {
    uint32_t load;
    uint8_t action, fbtype, prio;
};

static int cmp_order(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    if (x->action != y->action) return x->action < y->action ? -1 : 1;
    if (x->fbtype != y->fbtype) return x->fbtype < y->fbtype ? -1 : 1;
    if (x->prio != y->prio) return x->prio < y->prio ? -1 : 1;
    return x->load < y->load ? -1 : x->load > y->load;
}

/* ---- flowbit names ----------------------------------------------------------------------------
 */

struct name_map {
    char **names; /* not owned (point into the rules) */
    uint32_t *ids;
    uint32_t cap, n;
};

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int name_id(struct name_map *m, char *name, uint32_t *id)
{
    if (m->n * 2 >= m->cap) {
        uint32_t ncap = m->cap ? m->cap * 2 : 64;
        char **nn = vg_calloc(ncap, sizeof *nn);
        uint32_t *ni = vg_calloc(ncap, sizeof *ni);
        if (!nn || !ni) {
            vg_free(nn);
            vg_free(ni);
            return VG_ERR_NOMEM;
        }
        for (uint32_t i = 0; i < m->cap; i++) {
            if (!m->names[i]) continue;
            uint32_t k = (uint32_t)str_hash(m->names[i]) & (ncap - 1);
            while (nn[k])
                k = (k + 1) & (ncap - 1);
            nn[k] = m->names[i];
            ni[k] = m->ids[i];
        }
        vg_free(m->names);
        vg_free(m->ids);
        m->names = nn;
        m->ids = ni;
        m->cap = ncap;
    }
    uint32_t k = (uint32_t)str_hash(name) & (m->cap - 1);
    while (m->names[k]) {
        if (strcmp(m->names[k], name) == 0) {
            *id = m->ids[k];
            return VG_OK;
        }
        k = (k + 1) & (m->cap - 1);
    }
    m->names[k] = name;
    m->ids[k] = m->n;
    *id = m->n++;
    return VG_OK;
}

/* ---- fast pattern -----------------------------------------------------------------------------
 */

/* Whether list b of rule d can be scanned by a prefilter in the rule's context. */
static bool list_scannable(const struct de_rule *d, const struct rule_buffer *b)
{
    const struct rule_buf_info *bi = rule_buf_info(b->id);
    switch (d->kind) {
    case DE_K_PKT:
        return b->id == RULE_BUF_PKT && b->ntx == 0;
    case DE_K_HTTP:
        return bi->family == RULE_BF_HTTP || bi->family == RULE_BF_FILE;
    case DE_K_DNS:
        return bi->family == RULE_BF_DNS;
    case DE_K_TLS:
        return bi->family == RULE_BF_TLS && b->id != RULE_BUF_TLS_CERTS;
    case DE_K_SSH:
        return bi->family == RULE_BF_SSH;
    default:
        return false;
    }
}

/* A content usable as a fast pattern: positive, and required (not after a base64_decode of the
 * same list, which ends the list). */
static bool content_usable(const struct rule_buffer *b, uint32_t idx)
{
    const struct rule_match *m = &b->m[idx];
    if (m->kind != RULE_M_CONTENT || (m->u.content.flags & RULE_CONTENT_NEGATED)) return false;
    for (uint32_t i = 0; i < idx; i++)
        if (b->m[i].kind == RULE_M_BASE64_DECODE) return false;
    return true;
}

static unsigned strength(const struct rule_content *c)
{
    uint8_t seen[256] = {0};
    unsigned n = 0;
    for (uint32_t i = 0; i < c->len; i++)
        if (!seen[c->pat[i]]++) n++;
    return n;
}

/* Chooses the fast pattern of d: *list / *idx, or false. */
static bool choose_fp(const struct de_rule *d, int *list, int *idx)
{
    const struct rule *r = d->r;
    if (r->fp_buf >= 0 && (uint32_t)r->fp_buf < r->nbuf && list_scannable(d, &r->buf[r->fp_buf]) &&
        content_usable(&r->buf[r->fp_buf], (uint32_t)r->fp_idx)) {
        *list = r->fp_buf;
        *idx = r->fp_idx;
        return true;
    }
    int best_l = -1, best_i = -1, best_pri = -1; /* application buffers before the payload */
    uint32_t best_len = 0;
    unsigned best_str = 0;
    for (uint32_t b = 0; b < r->nbuf; b++) {
        const struct rule_buffer *rb = &r->buf[b];
        if (!list_scannable(d, rb)) continue;
        int pri = rb->id == RULE_BUF_PKT ? 1 : 2;
        for (uint32_t i = 0; i < rb->n; i++) {
            if (!content_usable(rb, i)) continue;
            const struct rule_content *c = &rb->m[i].u.content;
            uint32_t len = (c->flags & RULE_CONTENT_FAST_PATTERN_CHOP) ? c->fp_len : c->len;
            unsigned st = strength(c);
            bool better = pri > best_pri || (pri == best_pri && len > best_len) ||
                          (pri == best_pri && len == best_len && st > best_str);
            if (better) {
                best_pri = pri;
                best_len = len;
                best_str = st;
                best_l = (int)b;
                best_i = (int)i;
            }
        }
    }
    if (best_l < 0) return false;
    *list = best_l;
    *idx = best_i;
    return true;
}

/* Length of the pattern a content contributes to a prefilter. */
static uint32_t fp_len(const struct rule_content *c)
{
    return (c->flags & RULE_CONTENT_FAST_PATTERN_CHOP) ? c->fp_len : c->len;
}

/* ---- groups -----------------------------------------------------------------------------------
 */

struct bgroup {
    struct de_group g;
    struct pf_pattern *pats;
    uint32_t cap;
};

struct build {
    struct detect_engine *de;
    struct bgroup *bg;
    uint32_t nbg, capbg;
    struct {
        uint32_t *id;
        uint32_t n, cap;
    } always[DE_A_COUNT][2];
    struct de_ipent *ipe[2][2]; /* [src/dst][narrow/wide] */
    uint32_t ipn[2][2], ipcap[2][2];
    struct de_ip6ent *ip6[2][2]; /* [src/dst][single/range] */
    uint32_t ip6n[2][2], ip6cap[2][2];
    struct de_portent *pe[2];
    uint32_t pen[2], pecap[2];
};

static struct bgroup *group_get(struct build *b, uint8_t cls, uint8_t dir,
                                const struct rule_buffer *rb)
{
    uint8_t buf = rb ? rb->id : 0, ntx = rb ? rb->ntx : 0;
    for (uint32_t i = 0; i < b->nbg; i++) {
        struct de_group *g = &b->bg[i].g;
        if (g->cls == cls && g->dir == dir && g->buf == buf && g->ntx == ntx &&
            (ntx == 0 || memcmp(g->tx, rb->tx, ntx) == 0))
            return &b->bg[i];
    }
    if (b->nbg == b->capbg) {
        uint32_t nc = b->capbg ? b->capbg * 2 : 16;
        struct bgroup *n = vg_realloc(b->bg, nc * sizeof *n);
        if (!n) return NULL;
        b->bg = n;
        b->capbg = nc;
    }
    struct bgroup *g = &b->bg[b->nbg++];
    memset(g, 0, sizeof *g);
    g->g.cls = cls;
    g->g.dir = dir;
    g->g.buf = buf;
    g->g.ntx = ntx;
    if (ntx) memcpy(g->g.tx, rb->tx, ntx);
    return g;
}

static int group_add(struct build *b, uint8_t cls, uint8_t dir, const struct rule_buffer *rb,
                     const struct rule_content *c, uint32_t rule)
{
    struct bgroup *g = group_get(b, cls, dir, cls >= DE_C_HTTP ? rb : NULL);
    if (!g) return VG_ERR_NOMEM;
    if (g->g.n == g->cap) {
        uint32_t nc = g->cap ? g->cap * 2 : 64;
        struct pf_pattern *np = vg_realloc(g->pats, nc * sizeof *np);
        uint32_t *nr = vg_realloc(g->g.rule_of, nc * sizeof *nr);
        if (np) g->pats = np;
        if (nr) g->g.rule_of = nr;
        if (!np || !nr) return VG_ERR_NOMEM;
        g->cap = nc;
    }
    struct pf_pattern *p = &g->pats[g->g.n];
    if (c->flags & RULE_CONTENT_FAST_PATTERN_CHOP) {
        p->p = c->pat + c->fp_off;
        p->len = c->fp_len;
    } else {
        p->p = c->pat;
        p->len = c->len;
    }
    p->nocase = (c->flags & RULE_CONTENT_NOCASE) != 0;
    if (p->len > g->g.max_len) g->g.max_len = p->len;
    g->g.rule_of[g->g.n++] = rule;
    return VG_OK;
}

static int always_add(struct build *b, int a, int dir, uint32_t rule)
{
    if (b->always[a][dir].n == b->always[a][dir].cap) {
        uint32_t nc = b->always[a][dir].cap ? b->always[a][dir].cap * 2 : 16;
        uint32_t *n = vg_realloc(b->always[a][dir].id, nc * sizeof *n);
        if (!n) return VG_ERR_NOMEM;
        b->always[a][dir].id = n;
        b->always[a][dir].cap = nc;
    }
    b->always[a][dir].id[b->always[a][dir].n++] = rule;
    return VG_OK;
}

static uint32_t port_count(const struct rule_ports *p)
{
    if (p->any) return UINT32_MAX;
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->n; i++)
        n += (uint32_t)p->r[i].hi - p->r[i].lo + 1;
    return n;
}

/* Puts rule into the port index of direction dir for context ctx when one of its port sets is
 * small. Returns true when indexed. */
static bool port_add(struct build *b, const struct rule *r, int ctx, int dir, uint32_t rule,
                     int *rc)
{
    if (r->flags & RULE_F_BIDIR) return false;
    uint32_t nd = port_count(&r->dport), ns = port_count(&r->sport);
    int side;
    const struct rule_ports *ps;
    if (nd <= DE_PORT_SMALL) {
        side = 0;
        ps = &r->dport;
    } else if (ns <= DE_PORT_SMALL) {
        side = 1;
        ps = &r->sport;
    } else {
        return false;
    }
    for (uint32_t i = 0; i < ps->n; i++)
        for (uint32_t port = ps->r[i].lo; port <= ps->r[i].hi; port++) {
            if (b->pen[dir] == b->pecap[dir]) {
                uint32_t nc = b->pecap[dir] ? b->pecap[dir] * 2 : 64;
                struct de_portent *n = vg_realloc(b->pe[dir], nc * sizeof *n);
                if (!n) {
                    *rc = VG_ERR_NOMEM;
                    return true;
                }
                b->pe[dir] = n;
                b->pecap[dir] = nc;
            }
            b->pe[dir][b->pen[dir]++] =
                (struct de_portent){(uint16_t)port, (uint8_t)side, (uint8_t)ctx, rule};
        }
    return true;
}

static int cmp_portent(const void *a, const void *b)
{
    const struct de_portent *x = a, *y = b;
    if (x->side != y->side) return x->side < y->side ? -1 : 1;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Always list, or the port index when the rule's ports allow. */
static int always_or_port(struct build *b, const struct rule *r, int a, int dir, uint32_t rule)
{
    int rc = VG_OK;
    if (port_add(b, r, a, dir, rule, &rc)) return rc;
    return always_add(b, a, dir, rule);
}

static int always_dirs(struct build *b, int a, uint8_t dirs, uint32_t rule)
{
    int rc = VG_OK;
    if (dirs & 1) rc = always_add(b, a, 0, rule);
    if (rc == VG_OK && (dirs & 2)) rc = always_add(b, a, 1, rule);
    return rc;
}

/* A measure of how many addresses a set holds (IPv4 addresses; an IPv6 range counts as one
 * when it lies within one /64), or UINT64_MAX when it is any, empty, or has a wider IPv6 range:
 * only small sets go to the address index. */
static uint64_t addr_count(const struct rule_addr *a)
{
    if (a->any || (a->n4 == 0 && a->n6 == 0)) return UINT64_MAX;
    uint64_t n = 0;
    for (uint32_t i = 0; i < a->n4; i++)
        n += (uint64_t)a->v4[i].hi - a->v4[i].lo + 1;
    for (uint32_t i = 0; i < a->n6; i++) {
        if (memcmp(a->v6[i].lo, a->v6[i].hi, 8) != 0) return UINT64_MAX;
        n++;
    }
    return n;
}

static int ip6_add(struct build *b, int side, const struct rule_addr *a, uint32_t rule)
{
    for (uint32_t i = 0; i < a->n6; i++) {
        int w = memcmp(a->v6[i].lo, a->v6[i].hi, 16) != 0;
        if (b->ip6n[side][w] == b->ip6cap[side][w]) {
            uint32_t nc = b->ip6cap[side][w] ? b->ip6cap[side][w] * 2 : 64;
            struct de_ip6ent *n = vg_realloc(b->ip6[side][w], nc * sizeof *n);
            if (!n) return VG_ERR_NOMEM;
            b->ip6[side][w] = n;
            b->ip6cap[side][w] = nc;
        }
        struct de_ip6ent *e = &b->ip6[side][w][b->ip6n[side][w]++];
        memcpy(e->lo, a->v6[i].lo, 16);
        memcpy(e->hi, a->v6[i].hi, 16);
        e->rule = rule;
    }
    return VG_OK;
}

static int ip_add(struct build *b, int side, const struct rule_addr *a, uint32_t rule)
{
    if (ip6_add(b, side, a, rule) != VG_OK) return VG_ERR_NOMEM;
    for (uint32_t i = 0; i < a->n4; i++) {
        int w = (uint64_t)a->v4[i].hi - a->v4[i].lo >= DE_IP_NARROW;
        if (b->ipn[side][w] == b->ipcap[side][w]) {
            uint32_t nc = b->ipcap[side][w] ? b->ipcap[side][w] * 2 : 256;
            struct de_ipent *n = vg_realloc(b->ipe[side][w], nc * sizeof *n);
            if (!n) return VG_ERR_NOMEM;
            b->ipe[side][w] = n;
            b->ipcap[side][w] = nc;
        }
        b->ipe[side][w][b->ipn[side][w]++] = (struct de_ipent){a->v4[i].lo, a->v4[i].hi, rule};
    }
    return VG_OK;
}

static int cmp_ipent(const void *a, const void *b)
{
    const struct de_ipent *x = a, *y = b;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

#define IP_SELECTIVE (1ull << 24)

/* Puts one active rule in its groups, always lists or the address index. */
static int place_rule(struct build *b, struct de_rule *d, struct detect_build_info *info)
{
    const struct rule *r = d->r;
    int rc = VG_OK;
    int list, idx;
    switch (d->kind) {
    case DE_K_PKT: {
        if (d->header_only) {
            uint64_t ns = (r->flags & RULE_F_BIDIR) ? UINT64_MAX : addr_count(&r->src);
            uint64_t nd = (r->flags & RULE_F_BIDIR) ? UINT64_MAX : addr_count(&r->dst);
            if (ns <= IP_SELECTIVE && ns <= nd) {
                info->ip_indexed++;
                return ip_add(b, 0, &r->src, d->id);
            }
            if (nd <= IP_SELECTIVE) {
                info->ip_indexed++;
                return ip_add(b, 1, &r->dst, d->id);
            }
            for (int dir = 0; dir < 2 && rc == VG_OK; dir++) {
                if (!(d->dirs & (1 << dir))) continue;
                if (d->l4 & DE_L4_TCP) rc = always_or_port(b, r, DE_A_HDR_TCP, dir, d->id);
                if (rc == VG_OK && (d->l4 & ~DE_L4_TCP))
                    rc = always_or_port(b, r, DE_A_HDR_OTHER, dir, d->id);
            }
            return rc;
        }
        bool fp = d->pkt_list >= 0 && choose_fp(d, &list, &idx);
        bool fp_short = fp && fp_len(&r->buf[list].m[idx].u.content) <= DE_FP_SHORT;
        if (!fp) info->no_fast_pattern++;
        if (d->pkt_list < 0) {
            /* only lists that are not scanned (base64_data without pkt_data...): evaluated
             * like a header-only rule */
            if (d->l4 & DE_L4_TCP) rc = always_dirs(b, DE_A_HDR_TCP, d->dirs, d->id);
            if (rc == VG_OK && (d->l4 & ~DE_L4_TCP))
                rc = always_dirs(b, DE_A_HDR_OTHER, d->dirs, d->id);
            return rc;
        }
        for (int dir = 0; dir < 2 && rc == VG_OK; dir++) {
            if (!(d->dirs & (1 << dir))) continue;
            if (d->l4 & DE_L4_TCP) {
                int a = d->tcp_mode == DE_TCP_PKT_ONLY ? DE_A_TCP_PKT : DE_A_TCP_STREAM;
                int prc = VG_OK;
                if ((!fp || fp_short) && port_add(b, r, a, dir, d->id, &prc)) {
                    rc = prc;
                } else if (fp) {
                    rc = group_add(b, DE_C_TCP_STREAM, (uint8_t)dir, &r->buf[list],
                                   &r->buf[list].m[idx].u.content, d->id);
                    if (rc == VG_OK) info->patterns++;
                } else {
                    rc = always_add(b, a, dir, d->id);
                }
            }
            if (rc == VG_OK && (d->l4 & ~DE_L4_TCP)) {
                int prc = VG_OK;
                if ((!fp || fp_short) && port_add(b, r, DE_A_OTHER_PKT, dir, d->id, &prc)) {
                    rc = prc;
                } else if (fp) {
                    rc = group_add(b, DE_C_OTHER_PKT, (uint8_t)dir, &r->buf[list],
                                   &r->buf[list].m[idx].u.content, d->id);
                    if (rc == VG_OK) info->patterns++;
                } else {
                    rc = always_add(b, DE_A_OTHER_PKT, dir, d->id);
                }
            }
        }
        if (d->tcp_mode != DE_TCP_PKT_ONLY && (d->l4 & DE_L4_TCP)) b->de->has_stream_rules = true;
        return rc;
    }
    case DE_K_HTTP:
    case DE_K_DNS:
    case DE_K_TLS:
    case DE_K_SSH: {
        int a = d->kind == DE_K_HTTP  ? DE_A_HTTP
                : d->kind == DE_K_DNS ? DE_A_DNS
                : d->kind == DE_K_TLS ? DE_A_TLS
                                      : DE_A_SSH;
        uint8_t cls = d->kind == DE_K_HTTP  ? DE_C_HTTP
                      : d->kind == DE_K_DNS ? DE_C_DNS
                      : d->kind == DE_K_TLS ? DE_C_TLS
                                            : DE_C_SSH;
        if (!choose_fp(d, &list, &idx)) {
            info->no_fast_pattern++;
            return always_add(b, a, 0, d->id);
        }
        const struct rule_buffer *rb = &r->buf[list];
        uint8_t bdir = rule_buf_info(rb->id)->dir;
        /* the buffer instance (slot) the pattern is scanned in: its own side, or for buffers
         * of both sides the directions the rule is inspected in */
        for (int slot = 0; slot < 2 && rc == VG_OK; slot++) {
            bool use = bdir ? bdir == slot + 1 : (d->dirs & (1 << slot)) != 0;
            if (!use) continue;
            rc = group_add(b, cls, (uint8_t)slot, rb, &rb->m[idx].u.content, d->id);
            if (rc == VG_OK) info->patterns++;
        }
        return rc;
    }
    case DE_K_TAMPER:
        return always_add(b, DE_A_TAMPER, 0, d->id);
    default:
        return VG_OK;
    }
}

static int ipidx_finish(struct de_ipidx *x, struct de_ipent *narrow, uint32_t nn,
                        struct de_ipent *wide, uint32_t nw)
{
    if (nn) qsort(narrow, nn, sizeof *narrow, cmp_ipent);
    x->e = narrow;
    x->n = nn;
    x->maxspan = 0;
    for (uint32_t i = 0; i < nn; i++)
        if (narrow[i].hi - narrow[i].lo > x->maxspan) x->maxspan = narrow[i].hi - narrow[i].lo;
    x->wide = wide;
    x->nwide = nw;
    return VG_OK;
}

static int cmp_ip6ent(const void *a, const void *b)
{
    const struct de_ip6ent *x = a, *y = b;
    int c = memcmp(x->lo, y->lo, 16);
    if (c) return c;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void ip6idx_finish(struct de_ip6idx *x, struct de_ip6ent *single, uint32_t ns,
                          struct de_ip6ent *ranges, uint32_t nr)
{
    if (ns) qsort(single, ns, sizeof *single, cmp_ip6ent);
    x->single = single;
    x->nsingle = ns;
    x->ranges = ranges;
    x->nranges = nr;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- cache key and directory ------------------------------------------------------------------
 */

static void cache_key(const struct build *b, uint8_t key[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int l = 0;
    memset(key, 0, 32);
    if (!c) return;
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    const char *hdr = "vigil-prefilter-cache-1\n" VIGIL_VERSION "\n";
    EVP_DigestUpdate(c, hdr, strlen(hdr));
    const char *hv = prefilter__version();
    EVP_DigestUpdate(c, hv, strlen(hv));
    uint32_t n = b->nbg;
    EVP_DigestUpdate(c, &n, sizeof n);
    for (uint32_t i = 0; i < b->nbg; i++) {
        const struct de_group *g = &b->bg[i].g;
        uint8_t h[4 + RULE_MAX_TX] = {g->cls, g->dir, g->buf, g->ntx};
        memcpy(h + 4, g->tx, RULE_MAX_TX);
        EVP_DigestUpdate(c, h, sizeof h);
        EVP_DigestUpdate(c, &g->n, sizeof g->n);
        for (uint32_t k = 0; k < g->n; k++) {
            const struct pf_pattern *p = &b->bg[i].pats[k];
            uint8_t f = p->nocase;
            EVP_DigestUpdate(c, &p->len, sizeof p->len);
            EVP_DigestUpdate(c, &f, 1);
            EVP_DigestUpdate(c, p->p, p->len);
        }
    }
    EVP_DigestFinal_ex(c, key, &l);
    EVP_MD_CTX_free(c);
}

static bool cache_dir(const struct detect_build_cfg *cfg, char *out, size_t n)
{
    if (cfg && cfg->cache_dir && cfg->cache_dir[0])
        return (size_t)snprintf(out, n, "%s", cfg->cache_dir) < n;
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && x[0]) return (size_t)snprintf(out, n, "%s/vigil", x) < n;
    const char *h = getenv("HOME");
    if (h && h[0]) return (size_t)snprintf(out, n, "%s/.cache/vigil", h) < n;
    return false;
}

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- build ------------------------------------------------------------------------------------
 */

void detect_engine_free(struct detect_engine *de)
{
    if (!de) return;
    for (uint32_t i = 0; i < de->ngroups; i++) {
        prefilter__db_free(de->groups[i].db);
        vg_free(de->groups[i].rule_of);
    }
    vg_free(de->groups);
    for (int a = 0; a < DE_A_COUNT; a++)
        for (int d = 0; d < 2; d++)
            vg_free(de->always[a][d].id);
    vg_free(de->ip_src.e);
    vg_free(de->ip_src.wide);
    vg_free(de->ip_dst.e);
    vg_free(de->ip_dst.wide);
    vg_free(de->ip6_src.single);
    vg_free(de->ip6_src.ranges);
    vg_free(de->ip6_dst.single);
    vg_free(de->ip6_dst.ranges);
    vg_free(de->ports[0].e);
    vg_free(de->ports[1].e);
    vg_free(de->rules);
    vg_free(de->fbs);
    vg_free(de->fb_ids);
    vg_free(de);
}

static void build_fini(struct build *b)
{
    for (uint32_t i = 0; i < b->nbg; i++) {
        vg_free(b->bg[i].pats);
        vg_free(b->bg[i].g.rule_of);
        prefilter__db_free(b->bg[i].g.db);
    }
    vg_free(b->bg);
    for (int a = 0; a < DE_A_COUNT; a++)
        for (int d = 0; d < 2; d++)
            vg_free(b->always[a][d].id);
    for (int s = 0; s < 2; s++)
        for (int w = 0; w < 2; w++) {
            vg_free(b->ipe[s][w]);
            vg_free(b->ip6[s][w]);
        }
    vg_free(b->pe[0]);
    vg_free(b->pe[1]);
}

static int intern_flowbits(struct detect_engine *de)
{
    struct name_map m = {0};
    uint32_t nfb = 0, nids = 0;
    for (uint32_t i = 0; i < de->nrules; i++) {
        const struct rule *r = de->rules[i].r;
        nfb += r->nflowbits;
        for (uint32_t k = 0; k < r->nflowbits; k++)
            nids += r->flowbits[k].n;
    }
    de->fbs = vg_calloc(nfb ? nfb : 1, sizeof *de->fbs);
    de->fb_ids = vg_calloc(nids ? nids : 1, sizeof *de->fb_ids);
    if (!de->fbs || !de->fb_ids) return VG_ERR_NOMEM;
    for (uint32_t i = 0; i < de->nrules; i++) {
        struct de_rule *d = &de->rules[i];
        const struct rule *r = d->r;
        d->fb_off = de->nfbs;
        d->fb_n = r->nflowbits;
        for (uint32_t k = 0; k < r->nflowbits; k++) {
            struct de_fb *f = &de->fbs[de->nfbs++];
            f->cmd = r->flowbits[k].cmd;
            f->op = r->flowbits[k].op;
            f->n = r->flowbits[k].n;
            f->off = de->nfb_ids;
            for (uint32_t j = 0; j < f->n; j++) {
                uint32_t id;
                if (name_id(&m, r->flowbits[k].names[j], &id) != VG_OK) {
                    vg_free(m.names);
                    vg_free(m.ids);
                    return VG_ERR_NOMEM;
                }
                de->fb_ids[de->nfb_ids++] = id;
            }
        }
    }
    de->nbits = m.n;
    de->fb_words = (m.n + 63) / 64;
    vg_free(m.names);
    vg_free(m.ids);
    return VG_OK;
}

int detect_engine_build(struct rule *const *rules, size_t n, const struct detect_build_cfg *cfg,
                        struct detect_engine **out, struct detect_build_info *info, char *err,
                        size_t errlen)
{
    struct detect_build_info dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    *out = NULL;
    if (errlen) err[0] = '\0';
    struct detect_engine *de = vg_calloc(1, sizeof *de);
    struct order_key *keys = vg_calloc(n ? n : 1, sizeof *keys);
    struct build b;
    memset(&b, 0, sizeof b);
    b.de = de;
    int rc = VG_ERR_NOMEM;
    if (!de || !keys) goto fail;
    de->flow_state_max = cfg && cfg->flow_state_max ? cfg->flow_state_max : 65536;
    de->threshold_max = cfg && cfg->threshold_max ? cfg->threshold_max : 65536;
    de->rules_failed = cfg ? cfg->rules_failed : 0;
    info->rules = (uint32_t)n;

    /* 1-2: order */
    for (size_t i = 0; i < n; i++) {
        keys[i].load = (uint32_t)i;
        keys[i].action = (uint8_t)action_rank(rules[i]->action);
        keys[i].fbtype = fbtype_of(rules[i]);
        keys[i].prio = rules[i]->priority;
    }
    qsort(keys, n, sizeof *keys, cmp_order);
    de->rules = vg_calloc(n ? n : 1, sizeof *de->rules);
    if (!de->rules) goto fail;
    de->nrules = (uint32_t)n;
    for (uint32_t i = 0; i < de->nrules; i++) {
        struct de_rule *d = &de->rules[i];
        if (normalize_rule(rules[keys[i].load]) != VG_OK) goto fail;
        d->r = rules[keys[i].load];
        d->id = i;
        d->fbtype = keys[i].fbtype;
        classify(d);
        if (d->pdonly) de->has_pdonly = true;
        if (d->r->action == RULE_ACTION_PASS && d->kind != DE_K_NONE) de->has_pass = true;
        for (uint32_t k = 0; k < d->r->nbuf; k++)
            if (d->r->buf[k].n > de->max_list) de->max_list = d->r->buf[k].n;
        if (d->kind == DE_K_NONE) {
            info->inactive++;
            info->inactive_by_reason[d->inactive]++;
        } else {
            info->active++;
            if (d->kind == DE_K_TLS || d->kind == DE_K_SSH) {
                de->has_tls_rules = true;
                info->tls_ssh++;
            }
        }
    }
    if (intern_flowbits(de) != VG_OK) goto fail;

    /* 3-4: fast patterns, groups, always lists, address index */
    for (uint32_t i = 0; i < de->nrules; i++) {
        rc = place_rule(&b, &de->rules[i], info);
        if (rc != VG_OK) goto fail;
    }
    rc = VG_ERR_NOMEM;
    for (int a = 0; a < DE_A_COUNT; a++)
        for (int d = 0; d < 2; d++) {
            de->always[a][d].id = b.always[a][d].id;
            de->always[a][d].n = b.always[a][d].n;
            b.always[a][d].id = NULL;
            if (de->always[a][d].n)
                qsort(de->always[a][d].id, de->always[a][d].n, sizeof(uint32_t), cmp_u32);
        }
    ipidx_finish(&de->ip_src, b.ipe[0][0], b.ipn[0][0], b.ipe[0][1], b.ipn[0][1]);
    ipidx_finish(&de->ip_dst, b.ipe[1][0], b.ipn[1][0], b.ipe[1][1], b.ipn[1][1]);
    memset(b.ipe, 0, sizeof b.ipe);
    ip6idx_finish(&de->ip6_src, b.ip6[0][0], b.ip6n[0][0], b.ip6[0][1], b.ip6n[0][1]);
    ip6idx_finish(&de->ip6_dst, b.ip6[1][0], b.ip6n[1][0], b.ip6[1][1], b.ip6n[1][1]);
    memset(b.ip6, 0, sizeof b.ip6);
    for (int d = 0; d < 2; d++) {
        if (b.pen[d]) qsort(b.pe[d], b.pen[d], sizeof *b.pe[d], cmp_portent);
        de->ports[d].e = b.pe[d];
        de->ports[d].n = b.pen[d];
        b.pe[d] = NULL;
    }

    /* 5: databases, from the cache or compiled */
    struct hs_database **dbs = vg_calloc(b.nbg ? b.nbg : 1, sizeof *dbs);
    if (!dbs) goto fail;
    uint8_t key[32];
    cache_key(&b, key);
    char dir[400];
    bool use_cache = !(cfg && cfg->no_cache) && cache_dir(cfg, dir, sizeof dir);
    if (cfg && cfg->no_cache)
        snprintf(info->cache_note, sizeof info->cache_note, "cache disabled");
    else if (!use_cache)
        snprintf(info->cache_note, sizeof info->cache_note, "no cache directory (set HOME)");
    bool loaded = false;
    if (use_cache) {
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", key[i]);
        snprintf(info->cache_path, sizeof info->cache_path, "%s/%s.hsdb", dir, hex);
        char why[160];
        if (prefilter__cache_load(info->cache_path, key, dbs, b.nbg, why, sizeof why) == VG_OK) {
            loaded = true;
            info->cache_used = true;
        } else {
            snprintf(info->cache_note, sizeof info->cache_note, "%s", why);
        }
    }
    if (!loaded) {
        double t0 = mono();
        for (uint32_t i = 0; i < b.nbg; i++) {
            rc = prefilter__compile(b.bg[i].pats, b.bg[i].g.n, &dbs[i], err, errlen);
            if (rc != VG_OK) {
                for (uint32_t k = 0; k < i; k++)
                    prefilter__db_free(dbs[k]);
                vg_free(dbs);
                goto fail;
            }
        }
        info->compile_s = mono() - t0;
        if (use_cache) {
            char why[160];
            if (vg_mkdir_p(dir) != 0)
                snprintf(info->cache_note, sizeof info->cache_note,
                         "cannot create cache directory %.100s: %s", dir, strerror(errno));
            else if (prefilter__cache_store(info->cache_path, key, dbs, b.nbg, why, sizeof why) ==
                     VG_OK) {
                info->cache_written = true;
                info->cache_note[0] = '\0';
            } else
                snprintf(info->cache_note, sizeof info->cache_note, "%s", why);
        }
    }
    rc = VG_ERR_NOMEM;
    de->groups = vg_calloc(b.nbg ? b.nbg : 1, sizeof *de->groups);
    if (!de->groups) {
        for (uint32_t k = 0; k < b.nbg; k++)
            prefilter__db_free(dbs[k]);
        vg_free(dbs);
        goto fail;
    }
    for (uint32_t i = 0; i < b.nbg; i++) {
        de->groups[i] = b.bg[i].g;
        de->groups[i].db = dbs[i];
        b.bg[i].g.rule_of = NULL;
    }
    de->ngroups = b.nbg;
    info->groups = b.nbg;
    vg_free(dbs);
    build_fini(&b);
    vg_free(keys);
    *out = de;
    return VG_OK;
fail:
    if (rc == VG_ERR_NOMEM && errlen && !err[0]) snprintf(err, errlen, "out of memory");
    build_fini(&b);
    vg_free(keys);
    detect_engine_free(de);
    return rc;
}
