/* tamper_inpath.c - classes inpath_rewrite and injected_redirect: an implant on the path (a border
 * router, a firewall) rewrites a response instead of racing it. There is no second version of the
 * bytes to compare; what it cannot hide is that the rewritten packets are built by another IP/TCP
 * stack than the rest of the flow, or than the server's other flows.
 *
 * Path fingerprint of a sender: inferred initial TTL (32/64/128/255) and hop count, IP ID
 * behaviour, DF, TCP option layout, TCP timestamps (RFC 7323: once negotiated in the SYNs, every
 * non-RST segment carries one, and TSval follows one clock), window; for HTTP servers the Server
 * header, the presence of Date (RFC 9110 section 6.6.1: an origin server with a clock MUST send
 * it) and the relative order of common header fields.
 *
 * Subtypes (sids 8800030-8800033, docs/tamper.md has the responder's view):
 *   - flow_departure: a server packet carrying a decisive payload (an HTTP response head or body,
 *     a DNS answer) departs from the flow's own baseline (the server's packets before it, the
 *     SYN/ACK at least) in at least two independent "stack" signals: initial TTL, TS presence,
 *     TS clock, option layout, IP ID sequence. A hop-count change alone is a route change
 *     (tolerated: it keeps the stack), DF alone a DF-clearing middlebox, and neither counts as a
 *     stack signal. Whether the server's later packets look like the baseline again (the implant
 *     rewrote only some packets) adds confidence.
 *   - server_departure: a flow whose first answer departs from the server's baseline over its
 *     earlier flows (host table; the baseline must be stable: at least TAMPER_HOST_MIN_AGREE
 *     earlier flows, all agreeing): the initial TTL changed plus another stack field (DF, TS,
 *     option layout, zero IP ID) and, for HTTP, the response headers (Server value, Date, header
 *     order) depart from what the server always sent. Load balancers and anycast vary hop counts
 *     (tolerated); a server IP whose flows disagree once is never used as a baseline again.
 *   - departing_redirect: a 30x Location, a meta refresh or a script navigation to another
 *     registrable domain (libpsl) than the request's Host, carried by departing packets (the
 *     flow_departure rule). Reported instead of the flow_departure of the same flow.
 *   - injected_shape: such a cross-domain redirect whose packets do not depart but whose headers
 *     have the shape of an injected answer: headers the server always sends are missing or changed
 *     (needs the server's header baseline) and the answer is minimal (Content-Length 0 or
 *     Connection: close).
 *
 * Memory: per-flow state lives in struct tamper_flow (fixed size); candidates use the finding pool;
 * the host table is one array of cfg.max_hosts entries allocated at tamper_ctx_new, open
 * addressing with a probe window of TAMPER__HOST_PROBE: an insert takes a free or stale entry of
 * its window, else evicts the oldest one (counted as a cap hit). Per worker: with several workers a
 * server's flows are split between tables, which only delays its baseline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>
#include <xxhash.h>

#include "app/app.h"
#include "app/http/http.h"
#include "core/vg_alloc.h"
#include "tamper/tamper_int.h"

#define TAMPER__HOST_PROBE 8
#define TAMPER_HOST_MIN_AGREE 3 /* earlier flows agreeing after the first: 4 flows in all */
#define TAMPER_HDR_MIN 3        /* earlier HTTP responses for a header baseline */

/* Signals (bit mask) and their weights in the confidence. */
enum {
    SG_ITTL = 1u << 0,     /* initial TTL class changed */
    SG_HOPS = 1u << 1,     /* same initial TTL, other hop count (route change: weak) */
    SG_DF = 1u << 2,       /* DF differs (middleboxes clear it: weak) */
    SG_TSPRES = 1u << 3,   /* TCP timestamp present/absent against the negotiation or the sender */
    SG_TSCLK = 1u << 4,    /* TSval off the sender's clock */
    SG_OPTS = 1u << 5,     /* TCP option layout never used by the sender */
    SG_IPID = 1u << 6,     /* IP ID outside the sender's sequence (known pattern) */
    SG_IPIDW = 1u << 7,    /* IP ID far from the sender's only earlier ID (weak) */
    SG_WIN = 1u << 8,      /* window far from any the sender used (weak) */
    SG_IDZERO = 1u << 9,   /* server baseline: zero / non-zero IP IDs swapped */
    SG_HSERVER = 1u << 10, /* Server header differs from the one the server always sent */
    SG_HDATE = 1u << 11,   /* Date missing where the server always sent it */
    SG_HORDER = 1u << 12,  /* header fields in an order the server never used */
    SG_SYNOPT = 1u << 13,  /* server baseline: SYN/ACK MSS or window scale differ */
};
#define SG_STRONG (SG_ITTL | SG_TSPRES | SG_TSCLK | SG_OPTS | SG_IPID)
#define SG_HDR (SG_HSERVER | SG_HDATE | SG_HORDER)

static const struct {
    uint16_t bit;
    uint8_t weight;
    const char *name;
} sg_tab[] = {
    {SG_ITTL, 30, "initial_ttl"},
    {SG_HOPS, 5, "hops"},
    {SG_DF, 5, "df"},
    {SG_TSPRES, 30, "ts_presence"},
    {SG_TSCLK, 25, "ts_clock"},
    {SG_OPTS, 15, "tcp_options"},
    {SG_IPID, 20, "ip_id"},
    {SG_IPIDW, 5, "ip_id_jump"},
    {SG_WIN, 5, "window"},
    {SG_IDZERO, 15, "ip_id_zero"},
    {SG_HSERVER, 20, "server_header"},
    {SG_HDATE, 15, "date_header"},
    {SG_HORDER, 15, "header_order"},
    {SG_SYNOPT, 15, "synack_options"},
};

static unsigned popcount16(unsigned v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

static int sg_score(unsigned sig)
{
    int sc = 0;
    for (size_t i = 0; i < sizeof sg_tab / sizeof sg_tab[0]; i++)
        if (sig & sg_tab[i].bit) sc += sg_tab[i].weight;
    return sc;
}

/* "initial_ttl+30, ts_presence+30" */
static void sg_list(unsigned sig, char *buf, size_t n)
{
    size_t l = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof sg_tab / sizeof sg_tab[0]; i++) {
        if (!(sig & sg_tab[i].bit)) continue;
        int w =
            snprintf(buf + l, n - l, "%s%s +%u", l ? ", " : "", sg_tab[i].name, sg_tab[i].weight);
        if (w < 0 || (size_t)w >= n - l) break;
        l += (size_t)w;
    }
}

bool tamper__inpath_sig(int sig)
{
    return sig == TAMPER_SIG_INPATH_FLOW || sig == TAMPER_SIG_INPATH_SERVER ||
           sig == TAMPER_SIG_REDIRECT_DEPARTING || sig == TAMPER_SIG_REDIRECT_SHAPE;
}

/* ---- host table ---------------------------------------------------------------------------- */

int tamper__hosts_init(struct tamper__hosts *h, uint32_t cap)
{
    memset(h, 0, sizeof *h);
    if (cap < TAMPER__HOST_PROBE) cap = TAMPER__HOST_PROBE;
    if (cap > (1u << 24)) cap = 1u << 24;
    uint32_t c = 1;
    while (c < cap)
        c <<= 1;
    h->e = vg_calloc(c, sizeof *h->e);
    if (!h->e) return -1;
    h->cap = c;
    h->mask = c - 1;
    return 0;
}

void tamper__hosts_free(struct tamper__hosts *h)
{
    vg_free(h->e);
    memset(h, 0, sizeof *h);
}

struct tamper__host *tamper__host_get(struct tamper_ctx *ctx, const struct vg_addr *addr,
                                      uint16_t port, uint8_t proto, int64_t now_sec, bool *fresh)
{
    struct tamper__hosts *h = &ctx->hosts;
    ctx->cnt.host_capacity = h->cap;
    ctx->cnt.host_memory_bytes = (uint64_t)h->cap * sizeof *h->e;
    uint8_t key[20];
    key[0] = addr->family;
    memcpy(key + 1, addr->a, 16);
    key[17] = (uint8_t)(port >> 8);
    key[18] = (uint8_t)port;
    key[19] = proto;
    uint32_t at = (uint32_t)XXH3_64bits(key, sizeof key) & h->mask;
    struct tamper__host *pick = NULL, *oldest = NULL;
    for (unsigned i = 0; i < TAMPER__HOST_PROBE; i++) {
        struct tamper__host *e = &h->e[(at + i) & h->mask];
        bool stale = e->used && now_sec - e->last_sec > (int64_t)ctx->cfg.host_age_s;
        if (e->used && !stale && e->port == port && e->proto == proto &&
            vg_addr_eq(&e->addr, addr)) {
            if (now_sec > e->last_sec) e->last_sec = now_sec;
            *fresh = false;
            return e;
        }
        if (!pick && (!e->used || stale)) pick = e;
        if (!oldest || e->last_sec < oldest->last_sec) oldest = e;
    }
    if (pick) {
        if (pick->used)
            ctx->cnt.host_evictions++; /* stale */
        else
            ctx->cnt.host_entries++;
    } else {
        pick = oldest;
        ctx->cnt.host_evictions++;
        ctx->cnt.host_cap_hits++;
    }
    memset(pick, 0, sizeof *pick);
    pick->used = true;
    pick->addr = *addr;
    pick->port = port;
    pick->proto = proto;
    pick->last_sec = now_sec;
    ctx->cnt.host_inserts++;
    *fresh = true;
    return pick;
}

/* ---- registrable domains (libpsl) ---------------------------------------------------------- */

static const psl_ctx_t *psl(void)
{
    /* psl_builtin() returns a static, immutable context: safe to share between workers. */
    return psl_builtin();
}

/* The registrable domain of host (lowercase, no port), or the host itself for IP literals and
 * names libpsl has no answer for. */
static void reg_domain(const char *host, char *out, size_t n)
{
    const char *r = NULL;
    const psl_ctx_t *ctx = psl();
    if (ctx && host[0] && host[0] != '[' &&
        !(host[0] >= '0' && host[0] <= '9' && strspn(host, "0123456789.") == strlen(host)))
        r = psl_registrable_domain(ctx, host);
    snprintf(out, n, "%s", r ? r : host);
}

/* The host of an absolute URL ("scheme://[userinfo@]host[:port]/...", also "//host/..."),
 * lowercased, into host; false when url is relative. */
static bool url_host(const char *url, size_t len, char *host, size_t n)
{
    size_t i = 0;
    while (i < len && (url[i] == ' ' || url[i] == '\t' || url[i] == '\'' || url[i] == '"'))
        i++;
    const char *p = url + i;
    size_t rest = len - i;
    const char *h = NULL;
    for (size_t k = 0; k + 2 < rest && k < 12; k++)
        if (p[k] == ':' && p[k + 1] == '/' && p[k + 2] == '/') {
            h = p + k + 3;
            break;
        }
    if (!h && rest >= 2 && p[0] == '/' && p[1] == '/') h = p + 2;
    if (!h) return false;
    size_t hl = rest - (size_t)(h - p);
    /* skip userinfo */
    for (size_t k = 0; k < hl; k++) {
        if (h[k] == '/' || h[k] == '?' || h[k] == '#') break;
        if (h[k] == '@') {
            h += k + 1;
            hl -= k + 1;
            break;
        }
    }
    size_t o = 0;
    for (size_t k = 0; k < hl && o + 1 < n; k++) {
        char c = h[k];
        if (c == '/' || c == ':' || c == '?' || c == '#' || c == '"' || c == '\'' || c == ' ' ||
            c == ';' || c == '>' || c == '\\' || c == ')')
            break;
        host[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    host[o] = '\0';
    while (o && host[o - 1] == '.')
        host[--o] = '\0';
    return o > 0;
}

static const uint8_t *find_ci(const uint8_t *d, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m) {
            uint8_t c = d[i + k];
            if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
            if (c != (uint8_t)needle[k]) break;
            k++;
        }
        if (k == m) return d + i;
    }
    return NULL;
}

/* A navigation target in an HTML body: <meta http-equiv="refresh" content="0; url=..."> or a
 * script assignment location=..., location.href=..., location.replace("...") (also
 * window./document./top. prefixed). Writes the URL (up to n-1 bytes) and the kind. */
static bool body_redirect(const uint8_t *b, size_t n, char *url, size_t un, const char **kind)
{
    const uint8_t *m = find_ci(b, n, "http-equiv");
    if (m) {
        const uint8_t *end = b + n;
        const uint8_t *r = find_ci(m, (size_t)(end - m) > 64 ? 64 : (size_t)(end - m), "refresh");
        const uint8_t *u =
            r ? find_ci(r, (size_t)(end - r) > 200 ? 200 : (size_t)(end - r), "url=") : NULL;
        if (u) {
            u += 4;
            size_t k = 0;
            while (u + k < end && k + 1 < un && u[k] != '"' && u[k] != '>' && u[k] != '\'') {
                url[k] = (char)u[k];
                k++;
            }
            url[k] = '\0';
            *kind = "meta_refresh";
            return k > 0;
        }
    }
    const uint8_t *at = b, *end = b + n;
    while (at < end) {
        const uint8_t *l = find_ci(at, (size_t)(end - at), "location");
        if (!l) break;
        const uint8_t *q = l + 8;
        if (q + 5 <= end && (memcmp(q, ".href", 5) == 0))
            q += 5;
        else if (q + 8 <= end && memcmp(q, ".replace", 8) == 0)
            q += 8;
        else if (q + 7 <= end && memcmp(q, ".assign", 7) == 0)
            q += 7;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (q < end && (*q == '=' || *q == '(')) {
            q++;
            while (q < end && (*q == ' ' || *q == '\t'))
                q++;
            if (q < end && (*q == '"' || *q == '\'')) {
                uint8_t quote = *q++;
                size_t k = 0;
                while (q + k < end && k + 1 < un && q[k] != quote) {
                    url[k] = (char)q[k];
                    k++;
                }
                url[k] = '\0';
                *kind = "script";
                if (k) return true;
            }
        }
        at = l + 8;
    }
    return false;
}

/* ---- fingerprints -------------------------------------------------------------------------- */

static bool is_status_line(const uint8_t *d, uint32_t n)
{
    return d && n >= 12 && memcmp(d, "HTTP/1.", 7) == 0 && d[8] == ' ' && d[9] >= '1' &&
           d[9] <= '5';
}

static bool dns_answer(const struct packet *p)
{
    return p->payload && p->payload_len >= 12 && (p->payload[2] & 0x80);
}

/* The flow-departure signals of server packet p against the server's packets before it (b). */
static unsigned flow_signals(const struct tamper__base *b, const struct tamper__inpath *ip,
                             const struct packet *p, char *why, size_t n)
{
    const struct tamper__stats *st = &b->st;
    unsigned s = 0;
    why[0] = '\0';
    if (!st->n) return 0;
    uint8_t top = tamper__stats_ttl_top(st);
    if (top && !tamper__stats_ttl_count(st, p->ttl)) {
        uint8_t i1 = tamper__initial_ttl(p->ttl), i0 = tamper__initial_ttl(top);
        if (i1 != i0) {
            s |= SG_ITTL;
            tamper__add_txt(why, n, "TTL %u (initial %u, %u hops) vs %u (initial %u, %u hops)", p->ttl, i1,
                    i1 - p->ttl, top, i0, i0 - top);
        } else {
            s |= SG_HOPS;
            tamper__add_txt(why, n, "TTL %u vs %u (same initial TTL %u)", p->ttl, top, i0);
        }
    }
    if (p->ip_ver == 4 && !st->df[p->df ? 1 : 0]) {
        s |= SG_DF;
        tamper__add_txt(why, n, "DF %d vs %d", p->df ? 1 : 0, p->df ? 0 : 1);
    }
    if (p->proto == 6) {
        const struct vg_tcp_opts *o = &p->tcp_opts;
        bool negotiated = ip->synack_seen ? ip->synack_ts : b->ts_have;
        if (negotiated && !o->has_ts) {
            s |= SG_TSPRES;
            tamper__add_txt(why, n, "no TCP timestamp though the %s",
                    ip->synack_seen ? "handshake negotiated them (RFC 7323)"
                                    : "sender's earlier segments carried them");
        } else if (!negotiated && o->has_ts && ip->synack_seen) {
            s |= SG_TSPRES;
            tamper__add_txt(why, n, "a TCP timestamp though the sender's SYN/ACK offered none");
        } else if (o->has_ts && b->ts_have) {
            int64_t dt_us = vg_ts_diff_us(p->ts, b->ts_last_t);
            if (dt_us < 0) dt_us = 0;
            uint32_t hz = tamper__base_ts_hz(b);
            if (!hz) hz = 1000; /* the fastest common clock: the widest tolerance */
            int64_t d = (int64_t)(int32_t)(o->ts_val - b->ts_last_val);
            int64_t hi = (int64_t)hz * dt_us / 1000000 * 5 / 4 + (int64_t)hz * 2 + 100;
            if (d < -((int64_t)hz * 2 + 100) || d > hi) {
                s |= SG_TSCLK;
                tamper__add_txt(why, n, "TSval %u off the sender's clock (last %u, %lld ticks apart)",
                        o->ts_val, b->ts_last_val, (long long)d);
            }
        }
        if (st->lay_n && !(s & SG_TSPRES)) {
            uint8_t len = o->layout_len > 16 ? 16 : o->layout_len;
            if (!tamper__stats_has_layout(st, o->layout, len)) {
                char a[80];
                tamper_options_str(o->layout, len, a, sizeof a);
                s |= SG_OPTS;
                tamper__add_txt(why, n, "TCP options \"%s\" never used by the sender", a);
            }
        }
        if (st->win_n >= 2) {
            unsigned wb = 0;
            for (uint16_t w = p->tcp_win; w; w >>= 1)
                wb++;
            uint32_t near = st->win_b[wb];
            if (wb > 0) near += st->win_b[wb - 1];
            if (wb + 1 < TAMPER__WIN_BUCKETS) near += st->win_b[wb + 1];
            if (!near) {
                s |= SG_WIN;
                tamper__add_txt(why, n, "window %u far from the sender's", p->tcp_win);
            }
        }
    }
    if (p->ip_ver == 4) {
        const char *pat = tamper__stats_id_pattern(st);
        if (strcmp(pat, "zero") == 0 && p->ip_id != 0) {
            s |= SG_IPID;
            tamper__add_txt(why, n, "IP ID 0x%04x where the sender uses 0", p->ip_id);
        } else if (strcmp(pat, "incrementing") == 0 && b->have_last_nz) {
            uint16_t d = (uint16_t)(p->ip_id - b->last_nz_id);
            uint16_t bound = tamper__stats_id_bound(st);
            if (p->ip_id == 0 && !st->id_zero && st->id_nz >= 3) {
                s |= SG_IPID;
                tamper__add_txt(why, n, "IP ID 0 where the sender counts (last 0x%04x)", b->last_nz_id);
            } else if (p->ip_id != 0 && d > bound) {
                s |= SG_IPID;
                tamper__add_txt(why, n,
                        "IP ID 0x%04x outside the sender's sequence (last 0x%04x, steps up to %u)",
                        p->ip_id, b->last_nz_id, bound);
            }
        } else if (b->have_last_nz && st->id_nz == 1 && p->ip_id != 0) {
            uint16_t d = (uint16_t)(p->ip_id - b->last_nz_id);
            if (d > 12288) {
                s |= SG_IPIDW;
                tamper__add_txt(why, n, "IP ID 0x%04x far from the sender's 0x%04x", p->ip_id,
                        b->last_nz_id);
            }
        }
    }
    return s;
}

/* Server-departure signals of packet p against host entry e (stable baseline). */
static unsigned host_signals(const struct tamper__host *e, const struct tamper__inpath *ip,
                             const struct packet *p, char *why, size_t n)
{
    unsigned s = 0;
    if (p->proto == 6 && e->syn_set && ip->synack_seen &&
        (ip->synack_mss != e->syn_mss || ip->synack_ws != e->syn_ws)) {
        s |= SG_SYNOPT;
        tamper__add_txt(why, n,
                "SYN/ACK MSS %u, window scale %d where the server's flows had MSS %u, "
                "window scale %d",
                ip->synack_mss, ip->synack_ws, e->syn_mss, e->syn_ws);
    }
    uint8_t it = tamper__initial_ttl(p->ttl);
    if (it != e->ittl) {
        s |= SG_ITTL;
        tamper__add_txt(why, n, "TTL %u (initial %u) where the server's flows had initial %u (%u-%u hops)",
                p->ttl, it, e->ittl, e->hops_min, e->hops_max);
    }
    if (p->ip_ver == 4 && p->df != e->df) {
        s |= SG_DF;
        tamper__add_txt(why, n, "DF %d where the server's flows had %d", p->df, e->df);
    }
    if (p->ip_ver == 4 && (p->ip_id == 0) != e->idzero) {
        s |= SG_IDZERO;
        tamper__add_txt(why, n, "IP ID 0x%04x where the server's flows %s", p->ip_id,
                e->idzero ? "used 0" : "used non-zero IDs");
    }
    if (p->proto == 6) {
        if (p->tcp_opts.has_ts != e->ts) {
            s |= SG_TSPRES;
            tamper__add_txt(why, n, "TCP timestamps %s where the server's flows %s",
                    p->tcp_opts.has_ts ? "used" : "absent", e->ts ? "used them" : "had none");
        } else {
            uint8_t len = p->tcp_opts.layout_len > 16 ? 16 : p->tcp_opts.layout_len;
            if (len != e->lay_len || memcmp(p->tcp_opts.layout, e->lay, len) != 0) {
                char a[80], b2[80];
                s |= SG_OPTS;
                tamper__add_txt(why, n, "TCP options \"%s\" where the server's flows used \"%s\"",
                        tamper_options_str(p->tcp_opts.layout, len, a, sizeof a),
                        tamper_options_str(e->lay, e->lay_len, b2, sizeof b2));
            }
        }
    }
    return s;
}

static bool host_stable(const struct tamper__host *e)
{
    return e->agree >= TAMPER_HOST_MIN_AGREE && !e->disagree;
}

/* The flow's first answer goes into the server's entry. */
static void host_learn(struct tamper__host *e, const struct tamper__inpath *ip,
                       const struct packet *p, bool departs)
{
    if (!e->syn_set && ip->synack_seen && !departs) {
        e->syn_set = true;
        e->syn_mss = ip->synack_mss;
        e->syn_ws = ip->synack_ws;
    }
    uint8_t it = tamper__initial_ttl(p->ttl), hops = (uint8_t)(it - p->ttl);
    uint8_t len = p->tcp_opts.layout_len > 16 ? 16 : p->tcp_opts.layout_len;
    if (!e->fp_set) {
        e->fp_set = true;
        e->ittl = it;
        e->hops_min = e->hops_max = hops;
        e->df = p->df;
        e->idzero = p->ip_ver == 4 && p->ip_id == 0;
        e->ts = p->proto == 6 && p->tcp_opts.has_ts;
        e->lay_len = p->proto == 6 ? len : 0;
        if (e->lay_len) memcpy(e->lay, p->tcp_opts.layout, len);
        return;
    }
    if (departs) {
        e->disagree++;
        return;
    }
    e->agree++;
    if (hops < e->hops_min) e->hops_min = hops;
    if (hops > e->hops_max) e->hops_max = hops;
}

/* Header pairs: names tracked for the order fingerprint. */
static const char *const hdr_names[] = {"date",           "server",     "content-type",
                                        "content-length", "connection", "location"};
#define N_HDR (sizeof hdr_names / sizeof hdr_names[0])

static bool name_eq(const struct http_str *s, const char *lc)
{
    size_t n = strlen(lc);
    if (!s->p || s->len != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s->p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != lc[i]) return false;
    }
    return true;
}

/* Pair bits: bit (i*N_HDR+j) compact index for i<j; fwd when i came first. */
static void header_order(const struct http_tx *tx, uint16_t *fwd, uint16_t *rev)
{
    int pos[N_HDR];
    for (size_t i = 0; i < N_HDR; i++)
        pos[i] = -1;
    for (unsigned h = 0; h < tx->n_resp_headers; h++)
        for (size_t i = 0; i < N_HDR; i++)
            if (pos[i] < 0 && name_eq(&tx->resp_headers[h].name, hdr_names[i])) pos[i] = (int)h;
    *fwd = *rev = 0;
    unsigned bit = 0;
    for (size_t i = 0; i < N_HDR; i++)
        for (size_t j = i + 1; j < N_HDR; j++, bit++) {
            if (pos[i] < 0 || pos[j] < 0) continue;
            if (pos[i] < pos[j])
                *fwd |= (uint16_t)(1u << bit);
            else
                *rev |= (uint16_t)(1u << bit);
        }
}

static const struct http_header *resp_header(const struct http_tx *tx, const char *lc)
{
    for (unsigned h = 0; h < tx->n_resp_headers; h++)
        if (name_eq(&tx->resp_headers[h].name, lc)) return &tx->resp_headers[h];
    return NULL;
}

/* The flow-departure gate: two stack signals; or one plus two weak ones, when the one is a
 * violation of this flow's own TS negotiation or when the server's baseline holds more than its
 * SYN/ACK. A SYN proxy or handshake offload (a DDoS scrubber, a load balancer answering SYNs)
 * hands the handshake to one machine and the data to another: after a SYN/ACK-only baseline, one
 * changed stack field with a changed DF and IP ID is what that looks like (seen in real traffic),
 * but no such device breaks the TS option the handshake negotiated. */
static bool departs_gate(unsigned sig, const struct tamper__stats *st)
{
    unsigned ns = popcount16(sig & SG_STRONG), nw = popcount16(sig & ~SG_STRONG);
    if (ns >= 2) return true;
    return ns == 1 && nw >= 2 && ((sig & SG_TSPRES) || st->lay_n >= 1);
}

/* ---- per packet ---------------------------------------------------------------------------- */

static void contestant_from_packet(struct tamper_contestant *c, const struct packet *p)
{
    struct tamper__pkt m;
    tamper__pkt_from_packet(&m, p);
    tamper__contestant_from_pkt(c, &m);
    c->http_content_length = -1;
    if (p->payload && p->payload_len)
        tamper__contestant_payload(c, p->payload, p->payload_len, p->tcp_seq);
}

/* c[1]: the sender's latest packet before the departing one (a genuine one to compare with). */
static bool genuine_from_ring(struct tamper_contestant *c, const struct tamper__base *b)
{
    if (!b->ring_n) return false;
    const struct tamper__rec *r = &b->ring[(b->ring_pos + TAMPER__RING - 1) % TAMPER__RING];
    memset(c, 0, offsetof(struct tamper_contestant, payload));
    c->pcap_cnt = r->pcap_cnt;
    c->ts = r->ts;
    c->ttl = r->ttl;
    c->ip_id = r->ip_id;
    c->df = r->df;
    c->window = r->window;
    c->tcp_flags = r->tcp_flags;
    c->ack = r->ack;
    c->http_content_length = -1;
    c->opts.has_ts = r->has_ts;
    c->opts.ts_val = r->ts_val;
    c->verdict = TAMPER_VERDICT_GENUINE;
    return true;
}

void tamper__inpath_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir)
{
    struct tamper_flow *tf = f->tamper;
    if (!tf || dir != FLOW_TOCLIENT) return;
    struct tamper__inpath *ip = &tf->ip;
    struct tamper__base *b = &tf->d[dir].b;
    bool tcp = p->proto == 6;
    if (tcp && (p->tcp_flags & (VG_TCP_SYN | VG_TCP_ACK)) == (VG_TCP_SYN | VG_TCP_ACK) &&
        !ip->synack_seen) {
        ip->synack_seen = true;
        ip->synack_ts = p->tcp_opts.has_ts;
        ip->synack_mss = p->tcp_opts.has_mss ? p->tcp_opts.mss : 0;
        ip->synack_ws = p->tcp_opts.has_wscale ? (int16_t)p->tcp_opts.wscale : -1;
        return;
    }
    if (tcp && (p->tcp_flags & VG_TCP_RST)) return;

    /* after a departure: does the sender look like before again? */
    if (ip->departed && tf->slot[TAMPER_SIG_INPATH_FLOW]) {
        struct tamper__slot *s = &ctx->slots[tf->slot[TAMPER_SIG_INPATH_FLOW] - 1];
        ip->after_n++;
        if (tamper__stats_ttl_count(&s->pd.pre, p->ttl) &&
            (!tcp || p->tcp_opts.has_ts == (s->pd.pre.ts_n > 0 || ip->synack_ts)))
            ip->after_back++;
    }

    bool decisive;
    bool head = false;
    if (tcp) {
        if (!p->payload_len) return;
        head = is_status_line(p->payload, p->payload_len);
        decisive = head || f->app_proto == APP_PROTO_HTTP;
    } else {
        decisive = f->app_proto == APP_PROTO_DNS && dns_answer(p);
    }
    if (!decisive) return;

    /* flow departure */
    char why[TAMPER_REASON_LEN];
    unsigned sig = flow_signals(b, ip, p, why, sizeof why);
    bool departs = departs_gate(sig, &b->st);
    if (departs && !ip->departed) {
        struct tamper__slot *s = tamper__finding(ctx, f, TAMPER_SIG_INPATH_FLOW, dir);
        if (s) {
            ip->departed = true;
            ctx->cnt.inpath_candidates++;
            ctx->trigger = true;
            struct tamper_finding *fd = &s->fd;
            contestant_from_packet(&fd->c[0], p);
            fd->c[0].verdict = TAMPER_VERDICT_FORGED;
            if (!genuine_from_ring(&fd->c[1], b)) fd->n_contestants = 1;
            s->pd.pre = b->st;
            s->pd.score = sg_score(sig);
            s->pd.ip_sig = (uint16_t)sig;
            tamper__summary_from_stats(&fd->baseline, &b->st, b);
            tamper__reason(fd,
                           "pcap_cnt %llu carries %s and departs from the server's %u earlier "
                           "packet%s in this flow: %s",
                           (unsigned long long)p->pcap_cnt,
                           tcp ? (head ? "an HTTP response head" : "HTTP response bytes")
                               : "a DNS answer",
                           b->st.n, b->st.n == 1 ? "" : "s", why);
        }
    }

    /* server departure: the flow's first answer against the server's earlier flows */
    if (!ip->host_done && (head || !tcp)) {
        ip->host_done = true;
        bool fresh;
        struct tamper__host *e =
            tamper__host_get(ctx, &f->dst, f->dport, f->proto, p->ts.sec, &fresh);
        unsigned hs = 0;
        char hwhy[TAMPER_REASON_LEN];
        hwhy[0] = '\0';
        (void)fresh;
        /* every field counts for agreement (a baseline is stable only when its flows agreed on
         * all of them); the finding needs the stable baseline */
        unsigned hs_all = e->fp_set ? host_signals(e, ip, p, hwhy, sizeof hwhy) : 0;
        if (host_stable(e)) hs = hs_all;
        bool hdeparts =
            (hs & SG_ITTL) && (hs & (SG_DF | SG_IDZERO | SG_TSPRES | SG_OPTS | SG_SYNOPT));
        ip->host_sig = (uint16_t)hs;
        if (hdeparts && !departs) {
            struct tamper__slot *s = tamper__finding(ctx, f, TAMPER_SIG_INPATH_SERVER, dir);
            if (s) {
                ctx->cnt.inpath_candidates++;
                ctx->trigger = true;
                struct tamper_finding *fd = &s->fd;
                contestant_from_packet(&fd->c[0], p);
                fd->c[0].verdict = TAMPER_VERDICT_FORGED;
                fd->n_contestants = 1;
                s->pd.score = sg_score(hs);
                fd->host.valid = true;
                fd->host.flows = e->agree + 1;
                fd->host.initial_ttl = e->ittl;
                fd->host.hops_min = e->hops_min;
                fd->host.hops_max = e->hops_max;
                fd->host.df = (int8_t)e->df;
                fd->host.ts = tcp ? (int8_t)e->ts : -1;
                fd->host.http_responses = e->hdr_n;
                tamper_options_str(e->lay, e->lay_len, fd->host.tcp_options,
                                   sizeof fd->host.tcp_options);
                snprintf(fd->host.server_header, sizeof fd->host.server_header, "%s", e->server);
                tamper__summary_from_stats(&fd->baseline, &b->st, b);
                tamper__reason(fd,
                               "pcap_cnt %llu, the flow's first %s, departs from the server's "
                               "%u earlier flows, which all agreed: %s",
                               (unsigned long long)p->pcap_cnt,
                               tcp ? "HTTP response" : "DNS answer", e->agree + 1, hwhy);
            }
        }
        host_learn(e, ip, p,
                   departs ||
                       (hs_all & (SG_ITTL | SG_DF | SG_IDZERO | SG_TSPRES | SG_OPTS | SG_SYNOPT)));
    }
}

/* ---- HTTP transactions --------------------------------------------------------------------- */

enum { SHAPE_CL0 = 1, SHAPE_CLOSE = 2 };

void tamper_http_tx(struct tamper_ctx *ctx, struct flow *f, const struct packet *p,
                    const struct http_tx *tx)
{
    if (!ctx || !f || !tx || !tx->status || f->proto != 6) return;
    struct tamper_flow *tf = f->tamper;
    if (!tf) return;
    struct tamper__inpath *ip = &tf->ip;
    int64_t now = p ? p->ts.sec : f->last.sec;

    /* 1. header fingerprint against the server's, then learned */
    bool fresh;
    struct tamper__host *e = tamper__host_get(ctx, &f->dst, f->dport, 6, now, &fresh);
    const struct http_header *srv = resp_header(tx, "server");
    const struct http_header *date = resp_header(tx, "date");
    uint64_t sh = srv && srv->value.p ? XXH3_64bits(srv->value.p, srv->value.len) : 0;
    uint16_t fwd, rev;
    header_order(tx, &fwd, &rev);
    unsigned hs = 0;
    char hwhy[TAMPER_REASON_LEN];
    hwhy[0] = '\0';
    bool stable_srv = e->hdr_n >= TAMPER_HDR_MIN && e->server_n == e->hdr_n && e->server_hash;
    if (stable_srv && sh != e->server_hash) {
        hs |= SG_HSERVER;
        tamper__add_txt(hwhy, sizeof hwhy,
                "Server \"%.60s\" where the server's %u earlier responses "
                "said \"%s\"",
                srv && srv->value.p ? srv->value.p : "(none)", e->hdr_n, e->server);
    }
    if (e->hdr_n >= TAMPER_HDR_MIN && e->date_n == e->hdr_n && !date) {
        hs |= SG_HDATE;
        tamper__add_txt(hwhy, sizeof hwhy,
                "no Date header where the server's %u earlier responses all "
                "had one",
                e->hdr_n);
    }
    if (e->hdr_n >= TAMPER_HDR_MIN &&
        ((fwd & e->order_rev & ~e->order_fwd) || (rev & e->order_fwd & ~e->order_rev))) {
        hs |= SG_HORDER;
        tamper__add_txt(hwhy, sizeof hwhy, "header fields in an order the server never used");
    }
    if (!ip->hdr_done) {
        ip->hdr_done = true;
        ip->hdr_sig = (uint16_t)hs;
    }
    if (e->hdr_n == 0 && sh) {
        e->server_hash = sh;
        snprintf(e->server, sizeof e->server, "%.*s",
                 (int)(srv->value.len < 63 ? srv->value.len : 63), srv->value.p);
    }
    if (!hs) { /* a departing response does not teach the baseline */
        e->hdr_n++;
        if (date) e->date_n++;
        if (sh && sh == e->server_hash) e->server_n++;
        e->order_fwd |= fwd;
        e->order_rev |= rev;
    }
    if (tf->slot[TAMPER_SIG_INPATH_SERVER] && hs) {
        struct tamper__slot *s = &ctx->slots[tf->slot[TAMPER_SIG_INPATH_SERVER] - 1];
        if (!s->pd.ip_hdr_noted) {
            s->pd.ip_hdr_noted = true;
            s->pd.score += sg_score(hs);
            tamper__reason(&s->fd, "its response headers depart from the server's: %s", hwhy);
        }
    }

    /* 2. a cross-domain redirect */
    if (tf->slot[TAMPER_SIG_REDIRECT_DEPARTING] || !tx->hostname.p || !tx->hostname.len) return;
    char url[TAMPER_HTTP_LOCATION_MAX];
    const char *kind = NULL;
    url[0] = '\0';
    if (tx->status >= 300 && tx->status <= 308 && tx->status != 304 && tx->location.p) {
        snprintf(url, sizeof url, "%.*s",
                 (int)(tx->location.len < sizeof url - 1 ? tx->location.len : sizeof url - 1),
                 tx->location.p);
        kind = "http_30x";
    } else if (tx->status == 200 && tx->resp_body && tx->resp_body_kept) {
        if (!body_redirect(tx->resp_body, tx->resp_body_kept, url, sizeof url, &kind)) return;
    } else {
        return;
    }
    char th[128], hd[96], td[96], hostname[128];
    if (!url_host(url, strlen(url), th, sizeof th)) return;
    snprintf(hostname, sizeof hostname, "%.*s",
             (int)(tx->hostname.len < 127 ? tx->hostname.len : 127), tx->hostname.p);
    reg_domain(hostname, hd, sizeof hd);
    reg_domain(th, td, sizeof td);
    if (strcmp(hd, td) == 0) return;

    struct tamper__slot *s = tamper__finding(ctx, f, TAMPER_SIG_REDIRECT_DEPARTING, FLOW_TOCLIENT);
    if (!s) return;
    ctx->cnt.inpath_candidates++;
    ctx->trigger = true;
    struct tamper_finding *fd = &s->fd;
    fd->redirect.valid = true;
    fd->redirect.status = tx->status;
    fd->redirect.kind = kind;
    snprintf(fd->redirect.location, sizeof fd->redirect.location, "%s", url);
    snprintf(fd->redirect.target_domain, sizeof fd->redirect.target_domain, "%s", td);
    snprintf(fd->redirect.host_domain, sizeof fd->redirect.host_domain, "%s", hd);
    /* c[0]: the packet that completed the response (the head itself for a one-packet answer),
     * when the server sent it (a transaction can also complete on a client packet, e.g. the end
     * of a request body the server answered early, or at flow end without a packet) */
    bool from_server = p && p->sport == f->dport && vg_addr_eq(&p->src, &f->dst);
    if (from_server) {
        contestant_from_packet(&fd->c[0], p);
        fd->c[0].http_status = tx->status;
        fd->c[0].http_content_length = tx->resp_content_length;
        snprintf(fd->c[0].http_location, sizeof fd->c[0].http_location, "%s", url);
        /* its flow-departure signals, judged now: tamper_packet has not counted it yet */
        char why[TAMPER_REASON_LEN];
        unsigned sg = flow_signals(&tf->d[FLOW_TOCLIENT].b, ip, p, why, sizeof why);
        s->pd.ip_sig = (uint16_t)sg;
        s->pd.ip_gate = departs_gate(sg, &tf->d[FLOW_TOCLIENT].b.st);
        if (sg) tamper__reason(fd, "pcap_cnt %llu: %s", (unsigned long long)p->pcap_cnt, why);
    }
    fd->n_contestants = genuine_from_ring(&fd->c[1], &tf->d[FLOW_TOCLIENT].b) ? 0 : 1;
    tamper__summary_from_stats(&fd->baseline, &tf->d[FLOW_TOCLIENT].b.st, &tf->d[FLOW_TOCLIENT].b);
    uint8_t shape = 0;
    const struct http_header *conn = resp_header(tx, "connection");
    if (tx->resp_content_length == 0 || (kind[0] == 'h' && tx->resp_body_len == 0))
        shape |= SHAPE_CL0;
    if (conn && conn->value.p && conn->value.len == 5 &&
        strncasecmp(conn->value.p, "close", 5) == 0)
        shape |= SHAPE_CLOSE;
    ip->shape = shape;
    s->pd.ip_hdr = (uint16_t)hs;
    tamper__reason(fd, "HTTP %d for %s navigates (%s) to %.120s: registrable domain %s, not %s",
                   (int)tx->status, hostname, kind, url, td, hd);
    if (hs) tamper__reason(fd, "its headers depart from the server's: %s", hwhy);
}

/* ---- flow end ------------------------------------------------------------------------------ */

static uint8_t clamp_conf(int v, int cap)
{
    if (v > cap) v = cap;
    if (v < 1) v = 1;
    return (uint8_t)v;
}

void tamper__inpath_flow_end(struct tamper_ctx *ctx, struct flow *f)
{
    struct tamper_flow *tf = f->tamper;
    if (!tf) return;
    struct tamper__inpath *ip = &tf->ip;
    char list[256];
    /* A raced flow: the race detectors report the injected packets (two versions of the bytes
     * are stronger evidence than a departing fingerprint); the in-path candidates are dropped. */
    static const int races[] = {TAMPER_SIG_HANDSHAKE_HIJACK, TAMPER_SIG_SEGMENT_VETO,
                                TAMPER_SIG_SLOPPY_INJECTION, TAMPER_SIG_COALESCE_INJECTION,
                                TAMPER_SIG_CLOSE_INJECTION,  TAMPER_SIG_HTTP_RACE};
    for (size_t i = 0; i < sizeof races / sizeof races[0]; i++) {
        if (!tf->slot[races[i]]) continue;
        static const int mine[] = {TAMPER_SIG_INPATH_FLOW, TAMPER_SIG_INPATH_SERVER,
                                   TAMPER_SIG_REDIRECT_DEPARTING};
        for (size_t k = 0; k < sizeof mine / sizeof mine[0]; k++)
            if (tf->slot[mine[k]]) {
                ctx->cnt.inpath_dismissed++;
                tamper__finding_drop(ctx, f, mine[k]);
            }
        return;
    }
    struct tamper__slot *fs =
        tf->slot[TAMPER_SIG_INPATH_FLOW] ? &ctx->slots[tf->slot[TAMPER_SIG_INPATH_FLOW] - 1] : NULL;
    unsigned fsig = fs ? fs->pd.ip_sig : 0;

    /* redirect candidate */
    if (tf->slot[TAMPER_SIG_REDIRECT_DEPARTING]) {
        struct tamper__slot *s = &ctx->slots[tf->slot[TAMPER_SIG_REDIRECT_DEPARTING] - 1];
        struct tamper_finding *fd = &s->fd;
        unsigned own = s->pd.ip_sig, hdr = s->pd.ip_hdr;
        /* departing: the redirect's own packet departs in two stack signals, or in one plus two
         * weak ones (the redirect is itself decisive), or the flow already departed */
        unsigned dep = s->pd.ip_gate ? own : fsig;
        if (dep) {
            fd->sig = TAMPER_SIG_REDIRECT_DEPARTING;
            fd->c[0].verdict = TAMPER_VERDICT_FORGED;
            if (fs && dep == fsig) {
                /* the departing packet is the flow_departure's: report it as the contestant */
                struct tamper_contestant keep = fd->c[0];
                fd->c[0] = fs->fd.c[0];
                fd->c[0].http_status = keep.http_status;
                fd->c[0].http_content_length = keep.http_content_length;
                memcpy(fd->c[0].http_location, keep.http_location, sizeof keep.http_location);
                for (unsigned i = 0; i < fs->fd.n_reasons && fd->n_reasons < TAMPER_MAX_REASONS;
                     i++)
                    tamper__reason(fd, "%s", fs->fd.reasons[i]);
                fd->baseline = fs->fd.baseline;
            }
            sg_list(dep | hdr, list, sizeof list);
            int sc = 45 + sg_score(dep | hdr) / 2;
            if (ip->shape) sc += 5;
            fd->confidence = clamp_conf(sc, 95);
            tamper__reason(fd,
                           "the redirect arrived in packets that depart from the server's "
                           "baseline; signals: %s",
                           list);
            if (fs) tamper__finding_drop(ctx, f, TAMPER_SIG_INPATH_FLOW);
            tamper__finding_drop(ctx, f, TAMPER_SIG_INPATH_SERVER);
            fs = NULL;
        } else if ((hdr & (SG_HDATE | SG_HSERVER)) && ip->shape) {
            fd->sig = TAMPER_SIG_REDIRECT_SHAPE;
            fd->c[0].verdict = TAMPER_VERDICT_FORGED;
            sg_list(hdr, list, sizeof list);
            int sc = 35 + sg_score(hdr) / 2 + ((ip->shape & SHAPE_CL0) ? 5 : 0) +
                     ((ip->shape & SHAPE_CLOSE) ? 5 : 0);
            fd->confidence = clamp_conf(sc, 80);
            tamper__reason(fd, "the answer has the shape of an injected one:%s%s; signals: %s",
                           (ip->shape & SHAPE_CL0) ? " empty body (Content-Length 0)" : "",
                           (ip->shape & SHAPE_CLOSE) ? " Connection: close" : "", list);
            tamper__finding_drop(ctx, f, TAMPER_SIG_INPATH_SERVER);
        } else {
            ctx->cnt.inpath_dismissed++;
            tamper__finding_drop(ctx, f, TAMPER_SIG_REDIRECT_DEPARTING);
        }
    }

    if (fs) {
        struct tamper_finding *fd = &fs->fd;
        int sc = 20 + sg_score(fsig);
        if (ip->after_back) {
            sc += 10;
            tamper__reason(fd,
                           "%u of the server's %u later packets look like its packets before "
                           "again: the departing ones were rewritten on the path",
                           ip->after_back, ip->after_n);
        } else if (ip->after_n) {
            tamper__reason(fd,
                           "the server's %u later packets keep the new fingerprint "
                           "(the implant answers for the rest of the flow)",
                           ip->after_n);
        }
        sg_list(fsig, list, sizeof list);
        tamper__reason(fd, "signals: %s", list);
        fd->confidence = clamp_conf(sc, 95);
        if (tf->slot[TAMPER_SIG_INPATH_SERVER])
            tamper__finding_drop(ctx, f, TAMPER_SIG_INPATH_SERVER);
    }

    if (tf->slot[TAMPER_SIG_INPATH_SERVER]) {
        struct tamper__slot *s = &ctx->slots[tf->slot[TAMPER_SIG_INPATH_SERVER] - 1];
        struct tamper_finding *fd = &s->fd;
        bool http = f->proto == 6;
        unsigned all = (unsigned)ip->host_sig | (http ? ip->hdr_sig : 0);
        if (http && !(ip->hdr_sig & SG_HDR)) {
            ctx->cnt.inpath_dismissed++;
            tamper__finding_drop(ctx, f, TAMPER_SIG_INPATH_SERVER);
        } else {
            sg_list(all, list, sizeof list);
            tamper__reason(fd, "signals: %s", list);
            int sc = 20 + sg_score(all) + (fd->host.flows >= 8 ? 5 : 0);
            fd->confidence = clamp_conf(sc, 90);
        }
    }
}
