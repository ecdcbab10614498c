/* intel.c - the intel module's engine glue: the immutable context (indicators, allowlist, beacon
 * configuration) and the per-worker state driven by the engine's hooks.
 *
 * Per-flow state lives here, not in struct flow (which this module does not own): a small open-
 * addressing table keyed by the flow's address (the flow is valid from creation to its end hook,
 * where its entry is removed; backward-shift deletion, no tombstones). An entry exists only for a
 * flow that matched an indicator (to report each (flow, indicator) once) or that named its server
 * (HTTP Host, TLS SNI) for beacon pairing; most flows never get one.
 */
#include "intel/intel.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

#define FSTATE_MAX (1u << 20) /* flows with intel state at once */
#define HITS_INLINE 4

const char *intel_sig_msg(uint32_t sid)
{
    switch (sid) {
    case INTEL_SID_IOC_BASE + IOC_IPV4:
        return "VIGIL INTEL known-bad IPv4 address";
    case INTEL_SID_IOC_BASE + IOC_IPV6:
        return "VIGIL INTEL known-bad IPv6 address";
    case INTEL_SID_IOC_BASE + IOC_DOMAIN:
        return "VIGIL INTEL known-bad domain";
    case INTEL_SID_IOC_BASE + IOC_URL:
        return "VIGIL INTEL known-bad URL";
    case INTEL_SID_IOC_BASE + IOC_JA3:
        return "VIGIL INTEL known-bad JA3 fingerprint";
    case INTEL_SID_IOC_BASE + IOC_JA4:
        return "VIGIL INTEL known-bad JA4 fingerprint";
    case INTEL_SID_IOC_BASE + IOC_CERT_SHA1:
        return "VIGIL INTEL known-bad certificate";
    case INTEL_SID_BEACON_ADDR:
        return "VIGIL C2 beacon: regular connections to one server";
    case INTEL_SID_BEACON_NAME:
        return "VIGIL C2 beacon: regular connections to one server name";
    }
    return "VIGIL INTEL";
}

/* ---- context ---- */

struct intel_ctx *intel_ctx_new(void)
{
    struct intel_ctx *c = vg_calloc(1, sizeof *c);
    if (!c) return NULL;
    beacon_config_default(&c->beacon);
    c->beacon_enabled = true;
    return c;
}

void intel_ctx_free(struct intel_ctx *ctx)
{
    if (!ctx) return;
    ioc_set_free(ctx->iocs);
    ioc_set_free(ctx->allow);
    vg_free(ctx);
}

int intel_ctx_load_ioc(struct intel_ctx *ctx, const char *path, ioc_error_fn on_err, void *ud,
                       struct ioc_load_stats *st)
{
    if (!ctx) return VG_ERR_USAGE;
    if (!ctx->iocs && !(ctx->iocs = ioc_set_new())) return VG_ERR_NOMEM;
    return ioc_load_file(ctx->iocs, path, IOC_FMT_AUTO, 0, on_err, ud, st);
}

int intel_ctx_load_allowlist(struct intel_ctx *ctx, const char *path, ioc_error_fn on_err, void *ud,
                             struct ioc_load_stats *st)
{
    if (!ctx) return VG_ERR_USAGE;
    if (!ctx->allow && !(ctx->allow = ioc_set_new())) return VG_ERR_NOMEM;
    unsigned allowed = (1u << IOC_IPV4) | (1u << IOC_IPV6) | (1u << IOC_DOMAIN);
    return ioc_load_file(ctx->allow, path, IOC_FMT_AUTO, allowed, on_err, ud, st);
}

int intel_ctx_build(struct intel_ctx *ctx)
{
    if (!ctx) return VG_ERR_USAGE;
    int rc = ctx->iocs ? ioc_set_build(ctx->iocs) : VG_OK;
    if (rc == VG_OK && ctx->allow) rc = ioc_set_build(ctx->allow);
    return rc;
}

/* ---- per-worker state ---- */

struct fstate {
    const struct flow *f; /* NULL: empty slot */
    uint64_t flow_id;
    uint32_t name_ref; /* beacon (client, name) pair, IOC_NONE until named */
    uint32_t nhits, caphits;
    uint32_t *hits; /* inl, or heap when more than HITS_INLINE */
    uint32_t inl[HITS_INLINE];
};

/* The beacon table of several workers (intel.h: intel_shared_new). Taken at flow granularity
 * only: a server name, a flow end; flow starts widen a per-worker span merged at intel_finish. */
struct intel_shared {
    struct beacon_table *beacons; /* NULL when beacons are off */
    pthread_mutex_t mu;
    bool scored;
};

struct intel_worker {
    const struct intel_ctx *ctx;
    struct intel_hooks hooks;
    struct beacon_table *beacons; /* NULL when beacons are off; sh->beacons when shared */
    struct intel_shared *sh;      /* NULL: the table is this worker's own */
    struct vg_ts span_lo, span_hi; /* shared: flow starts seen, merged into the table at finish */
    bool span_set;
    struct fstate *fs;
    size_t n_fs, cap_fs; /* cap: power of two */
    bool finished;
    struct intel_counters c;
};

struct intel_shared *intel_shared_new(const struct intel_ctx *ctx)
{
    if (!ctx) return NULL;
    struct intel_shared *sh = vg_calloc(1, sizeof *sh);
    if (!sh) return NULL;
    if (ctx->beacon_enabled) {
        sh->beacons = beacon_table_new(&ctx->beacon, ctx->allow);
        if (!sh->beacons) {
            vg_free(sh);
            return NULL;
        }
    }
    pthread_mutex_init(&sh->mu, NULL);
    return sh;
}

void intel_shared_free(struct intel_shared *sh)
{
    if (!sh) return;
    beacon_table_free(sh->beacons);
    pthread_mutex_destroy(&sh->mu);
    vg_free(sh);
}

static void sh_lock(struct intel_worker *w)
{
    if (w->sh) pthread_mutex_lock(&w->sh->mu);
}

static void sh_unlock(struct intel_worker *w)
{
    if (w->sh) pthread_mutex_unlock(&w->sh->mu);
}

struct intel_worker *intel_worker_new(const struct intel_ctx *ctx, const struct intel_hooks *hooks)
{
    return intel_worker_new_shared(ctx, hooks, NULL);
}

struct intel_worker *intel_worker_new_shared(const struct intel_ctx *ctx,
                                             const struct intel_hooks *hooks,
                                             struct intel_shared *sh)
{
    if (!ctx) return NULL;
    struct intel_worker *w = vg_calloc(1, sizeof *w);
    if (!w) return NULL;
    w->ctx = ctx;
    if (hooks) w->hooks = *hooks;
    w->cap_fs = 1024;
    w->fs = vg_calloc(w->cap_fs, sizeof *w->fs);
    if (!w->fs) goto fail;
    if (sh) {
        w->sh = sh;
        w->beacons = sh->beacons;
    } else if (ctx->beacon_enabled) {
        w->beacons = beacon_table_new(&ctx->beacon, ctx->allow);
        if (!w->beacons) goto fail;
    }
    return w;
fail:
    intel_worker_free(w);
    return NULL;
}

void intel_worker_free(struct intel_worker *w)
{
    if (!w) return;
    if (w->fs)
        for (size_t i = 0; i < w->cap_fs; i++)
            if (w->fs[i].f && w->fs[i].hits != w->fs[i].inl) vg_free(w->fs[i].hits);
    vg_free(w->fs);
    if (!w->sh) beacon_table_free(w->beacons);
    vg_free(w);
}

const struct intel_counters *intel_counters(const struct intel_worker *w)
{
    return w ? &w->c : NULL;
}

const struct beacon_counters *intel_beacon_counters(const struct intel_worker *w)
{
    return w ? beacon_counters(w->beacons) : NULL;
}

static inline size_t fs_home(const struct intel_worker *w, const struct flow *f)
{
    uint64_t h = (uint64_t)(uintptr_t)f * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (w->cap_fs - 1);
}

static struct fstate *fs_find(struct intel_worker *w, const struct flow *f)
{
    size_t mask = w->cap_fs - 1;
    for (size_t i = fs_home(w, f);; i = (i + 1) & mask) {
        if (!w->fs[i].f) return NULL;
        if (w->fs[i].f == f) return w->fs[i].flow_id == f->flow_id ? &w->fs[i] : NULL;
    }
}

static int fs_grow(struct intel_worker *w)
{
    size_t nc = w->cap_fs * 2;
    struct fstate *old = w->fs;
    size_t oc = w->cap_fs;
    struct fstate *nf = vg_calloc(nc, sizeof *nf);
    if (!nf) return VG_ERR_NOMEM;
    w->fs = nf;
    w->cap_fs = nc;
    for (size_t i = 0; i < oc; i++) {
        if (!old[i].f) continue;
        size_t j = fs_home(w, old[i].f);
        while (nf[j].f)
            j = (j + 1) & (nc - 1);
        nf[j] = old[i];
        if (old[i].hits == old[i].inl) nf[j].hits = nf[j].inl;
    }
    vg_free(old);
    return VG_OK;
}

static struct fstate *fs_get(struct intel_worker *w, const struct flow *f)
{
    struct fstate *s = fs_find(w, f);
    if (s) return s;
    if (w->n_fs >= FSTATE_MAX) {
        w->c.flow_state_full++;
        return NULL;
    }
    if ((w->n_fs + 1) * 2 > w->cap_fs && fs_grow(w) != VG_OK) {
        w->c.flow_state_full++;
        return NULL;
    }
    size_t mask = w->cap_fs - 1, i = fs_home(w, f);
    while (w->fs[i].f) {
        if (w->fs[i].f == f) { /* a stale entry of an earlier flow in this slot: reuse it */
            s = &w->fs[i];
            if (s->hits != s->inl) vg_free(s->hits);
            w->n_fs--;
            break;
        }
        i = (i + 1) & mask;
    }
    s = &w->fs[i];
    memset(s, 0, sizeof *s);
    s->f = f;
    s->flow_id = f->flow_id;
    s->name_ref = IOC_NONE;
    s->hits = s->inl;
    s->caphits = HITS_INLINE;
    w->n_fs++;
    return s;
}

static void fs_remove(struct intel_worker *w, const struct flow *f)
{
    size_t mask = w->cap_fs - 1, i = fs_home(w, f);
    for (;; i = (i + 1) & mask) {
        if (!w->fs[i].f) return;
        if (w->fs[i].f == f) break;
    }
    if (w->fs[i].hits != w->fs[i].inl) vg_free(w->fs[i].hits);
    memset(&w->fs[i], 0, sizeof w->fs[i]);
    w->n_fs--;
    /* backward-shift deletion */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; w->fs[j].f; j = (j + 1) & mask) {
        size_t home = fs_home(w, w->fs[j].f);
        /* move j into the hole when its home is not in (hole, j] (cyclically) */
        bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (between) continue;
        w->fs[hole] = w->fs[j];
        if (w->fs[j].hits == w->fs[j].inl) w->fs[hole].hits = w->fs[hole].inl;
        memset(&w->fs[j], 0, sizeof w->fs[j]);
        hole = j;
    }
}

/* ---- hits ---- */

/* Reports entry id matched on `on` in flow f once per (flow, indicator). */
static void hit(struct intel_worker *w, struct flow *f, const struct packet *p, int dir,
                uint32_t id, const char *on)
{
    if (id == IOC_NONE) return;
    w->c.hits++;
    struct fstate *s = fs_get(w, f);
    if (s) {
        for (uint32_t i = 0; i < s->nhits; i++)
            if (s->hits[i] == id) return;
        if (s->nhits == s->caphits) {
            uint32_t nc = s->caphits * 2;
            uint32_t *nh = vg_malloc(nc * sizeof *nh);
            if (nh) {
                memcpy(nh, s->hits, s->nhits * sizeof *nh);
                if (s->hits != s->inl) vg_free(s->hits);
                s->hits = nh;
                s->caphits = nc;
            }
        }
        if (s->nhits < s->caphits) s->hits[s->nhits++] = id;
    }
    const struct ioc_set *set = w->ctx->iocs;
    char src[300];
    struct intel_hit h;
    h.ioc = id;
    h.type = ioc_entry_type(set, id);
    h.indicator = ioc_entry_text(set, id);
    h.source = ioc_entry_source(set, id, src, sizeof src);
    h.matched_on = on;
    h.ts = p ? p->ts : f->last;
    h.pcap_cnt = p ? p->pcap_cnt : 0;
    h.dir = dir;
    w->c.alerts++;
    if (w->hooks.ioc) w->hooks.ioc(w->hooks.ud, f, &h);
}

static inline bool have(const struct intel_worker *w, int type)
{
    return w->ctx->iocs && ioc_set_count_type(w->ctx->iocs, type) > 0;
}

static void check_domain(struct intel_worker *w, struct flow *f, const struct packet *p, int dir,
                         const char *name, size_t len, const char *on)
{
    if (!name || !len) return;
    if (len >= 2 && name[0] == '*' && name[1] == '.') name += 2, len -= 2; /* wildcard names */
    w->c.lookups++;
    hit(w, f, p, dir, ioc_match_domain(w->ctx->iocs, name, len), on);
}

static void name_server(struct intel_worker *w, const struct flow *f, const char *name, size_t len)
{
    if (!w->beacons || !name || !len) return;
    struct fstate *s = fs_get(w, f);
    if (!s || s->name_ref != IOC_NONE) return;
    sh_lock(w);
    s->name_ref = beacon_name_ref(w->beacons, &f->src, name, len);
    sh_unlock(w);
}

void intel_flow_new(struct intel_worker *w, struct flow *f, const struct packet *p)
{
    if (!w || !f) return;
    if (w->beacons && w->sh) {
        if (!w->span_set || vg_ts_cmp(f->start, w->span_lo) < 0) w->span_lo = f->start;
        if (!w->span_set || vg_ts_cmp(f->start, w->span_hi) > 0) w->span_hi = f->start;
        w->span_set = true;
    } else if (w->beacons) {
        beacon_table_time(w->beacons, f->start);
    }
    if (!have(w, IOC_IPV4) && !have(w, IOC_IPV6)) return;
    w->c.lookups += 2;
    hit(w, f, p, FLOW_TOSERVER, ioc_match_addr(w->ctx->iocs, &f->src), "src_ip");
    hit(w, f, p, FLOW_TOSERVER, ioc_match_addr(w->ctx->iocs, &f->dst), "dest_ip");
}

void intel_http(struct intel_worker *w, struct flow *f, const struct packet *p,
                const struct http_tx *tx)
{
    if (!w || !f || !tx || !tx->hostname.p || !tx->hostname.len) return;
    const char *host = tx->hostname.p;
    size_t hl = tx->hostname.len;
    if (have(w, IOC_DOMAIN)) check_domain(w, f, p, FLOW_TOSERVER, host, hl, "http.host");
    if (have(w, IOC_URL) && tx->uri.p) {
        w->c.lookups++;
        hit(w, f, p, FLOW_TOSERVER, ioc_match_url(w->ctx->iocs, host, hl, tx->uri.p, tx->uri.len),
            "http.url");
    }
    name_server(w, f, host, hl);
}

void intel_dns(struct intel_worker *w, struct flow *f, const struct packet *p, int dir,
               const struct dns_msg *m)
{
    if (!w || !f || !m || !w->ctx->iocs) return;
    bool dom = have(w, IOC_DOMAIN), addr = have(w, IOC_IPV4) || have(w, IOC_IPV6);
    if (!dom && !addr) return;
    if (dom)
        for (unsigned i = 0; i < m->nq && i < DNS_MAX_QUESTIONS; i++)
            if (m->q[i].name)
                check_domain(w, f, p, dir, m->q[i].name, strlen(m->q[i].name), "dns.query");
    const struct dns_rr *rr = m->rr[DNS_SEC_ANSWER];
    for (unsigned i = 0; rr && i < m->nrr[DNS_SEC_ANSWER]; i++) {
        const struct dns_rr *r = &rr[i];
        if (dom && r->name) check_domain(w, f, p, dir, r->name, strlen(r->name), "dns.answer");
        if (r->flags & DNS_RR_BAD_RDATA) continue;
        switch (r->type) {
        case DNS_TYPE_CNAME:
        case DNS_TYPE_DNAME:
            if (dom && r->u.target)
                check_domain(w, f, p, dir, r->u.target, strlen(r->u.target), "dns.answer");
            break;
        case DNS_TYPE_A:
        case DNS_TYPE_AAAA:
            if (addr) {
                struct vg_addr a;
                memset(&a, 0, sizeof a);
                a.family = r->type == DNS_TYPE_A ? 4 : 6;
                memcpy(a.a, r->u.addr, a.family == 4 ? 4 : 16);
                w->c.lookups++;
                hit(w, f, p, dir, ioc_match_addr(w->ctx->iocs, &a), "dns.answer");
            }
            break;
        default:
            break;
        }
    }
}

/* The CN value of a Suricata-formatted subject ("C=US, O=x, CN=host"), or NULL. */
static const char *subject_cn(const char *subj, size_t *len)
{
    const char *p = subj;
    while (p && *p) {
        if ((p == subj || p[-1] == ' ') && p[0] == 'C' && p[1] == 'N' && p[2] == '=') {
            const char *v = p + 3, *e = v;
            while (*e && *e != ',' && !(*e == ' ' && e[1] == '+'))
                e++;
            *len = (size_t)(e - v);
            return v;
        }
        p = strchr(p + 1, 'C');
    }
    return NULL;
}

void intel_tls(struct intel_worker *w, struct flow *f, const struct packet *p,
               const struct tls_session *s)
{
    if (!w || !f || !s) return;
    const struct ioc_set *set = w->ctx->iocs;
    if (s->flags & TLS_SF_CLIENT_HELLO) {
        const struct tls_client_hello *ch = &s->ch;
        size_t sl = strnlen(ch->sni, sizeof ch->sni);
        if (sl && have(w, IOC_DOMAIN)) check_domain(w, f, p, FLOW_TOSERVER, ch->sni, sl, "tls.sni");
        if (sl) name_server(w, f, ch->sni, sl);
        if (ch->ja3_hash[0] && have(w, IOC_JA3)) {
            w->c.lookups++;
            hit(w, f, p, FLOW_TOSERVER,
                ioc_match_hash(set, IOC_JA3, ch->ja3_hash, strnlen(ch->ja3_hash, TLS_HASH_HEX)),
                "tls.ja3");
        }
        if (ch->ja4[0] && have(w, IOC_JA4)) {
            w->c.lookups++;
            hit(w, f, p, FLOW_TOSERVER,
                ioc_match_hash(set, IOC_JA4, ch->ja4, strnlen(ch->ja4, sizeof ch->ja4)), "tls.ja4");
        }
    }
    const struct tls_cert *c = s->server_cert;
    if (!c) return;
    if (c->fingerprint[0] && have(w, IOC_CERT_SHA1)) {
        w->c.lookups++;
        hit(w, f, p, FLOW_TOCLIENT,
            ioc_match_hash(set, IOC_CERT_SHA1, c->fingerprint,
                           strnlen(c->fingerprint, sizeof c->fingerprint)),
            "tls.fingerprint");
    }
    if (!have(w, IOC_DOMAIN)) return;
    size_t cl = 0;
    const char *cn = subject_cn(c->subject, &cl);
    if (cn) check_domain(w, f, p, FLOW_TOCLIENT, cn, cl, "tls.certificate");
    for (unsigned i = 0; i < c->n_san && i < TLS_MAX_SAN; i++) {
        if (c->san_off[i] >= TLS_SAN_BUF || c->san_len[i] > TLS_SAN_BUF - c->san_off[i]) break;
        check_domain(w, f, p, FLOW_TOCLIENT, c->san + c->san_off[i], c->san_len[i],
                     "tls.certificate");
    }
}

void intel_flow_end(struct intel_worker *w, struct flow *f)
{
    if (!w || !f) return;
    struct fstate *s = w->n_fs ? fs_find(w, f) : NULL;
    if (w->beacons) {
        sh_lock(w);
        beacon_table_add(w->beacons, f, s ? s->name_ref : IOC_NONE);
        sh_unlock(w);
    }
    if (s) fs_remove(w, f);
}

static void on_beacon(void *ud, const struct beacon_finding *b)
{
    struct intel_worker *w = ud;
    w->c.beacons++;
    if (w->hooks.beacon) w->hooks.beacon(w->hooks.ud, b);
}

void intel_finish(struct intel_worker *w)
{
    if (!w || w->finished) return;
    w->finished = true;
    if (w->sh) { /* shared: the span joins the table; intel_finish_shared scores */
        if (w->beacons && w->span_set) {
            sh_lock(w);
            beacon_table_time(w->beacons, w->span_lo);
            beacon_table_time(w->beacons, w->span_hi);
            sh_unlock(w);
        }
        return;
    }
    if (w->beacons) beacon_table_score(w->beacons, on_beacon, w);
}

void intel_finish_shared(struct intel_worker *w)
{
    if (!w || !w->sh) return;
    sh_lock(w);
    bool first = !w->sh->scored;
    w->sh->scored = true;
    if (first && w->beacons) beacon_table_score(w->beacons, on_beacon, w);
    sh_unlock(w);
}
