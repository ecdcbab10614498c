/* detect_engine.c - the matcher: per-worker state and the entry points the pipeline calls.
 *
 * For a packet (after the app layer), an HTTP transaction, a DNS message or a tamper finding:
 *   1. prefilter - the buffers of the context are scanned with the Vectorscan databases of their
 *      groups (one scan per buffer and group), the always lists of the context are added, and for
 *      packets the address index gives the header-only rules of the packet's addresses; the
 *      candidates are deduplicated (generation stamps) and sorted into evaluation order;
 *   2. verification - each candidate is checked fully: protocol, header (addresses, ports,
 *      direction, `<>`), flow keyword, app-layer protocol, packet keywords, events, flowbits
 *      conditions, then its buffer lists (match.c);
 *   3. effects - a match applies its flowbits actions (so later rules of the same packet see
 *      them), then threshold/detection_filter, then raises one alert (unless noalert, or a pass
 *      rule matched earlier on this packet/transaction).
 *
 * TCP payload: Suricata inspects the reassembled stream for TCP rules and falls back to the
 * packet payload only when the packet's data was not added to the stream; rules with no_stream,
 * dsize or tcp-pkt inspect packets only, only_stream/tcp-stream the stream only. Here the stream
 * is the in-order chunk the stream module delivered for this packet, prefixed with a tail of up
 * to DF_TAIL bytes of the same direction's previous chunk (kept per flow) as look-behind, so that
 * a pattern split across two segments is found; a match that lies wholly in the tail is not
 * reported again, and depth/offset count from the new bytes. TLS application data is not
 * inspected (Suricata's encryption-handling default).
 *
 * HTTP/DNS rules are inspected once per transaction/message when the app layer completes it
 * (http: request and response together). An HTTP rule is inspected in its direction (to_server
 * for request buffers or flow:to_server, to_client for response buffers or flow:to_client; both
 * when nothing says), which orients its header, its flow keyword and the alert. http.uri is the
 * raw URI (vigil has no URI normaliser yet). http.header is Suricata's "Name: value\r\n" block
 * without Cookie/Set-Cookie and without the final CRLF.
 *
 * vigil.tamper: tamper findings are known at flow end; a rule with vigil.tamper is evaluated once
 * per finding then, on its header (oriented like the finding), flow direction and flowbits; such
 * rules cannot carry buffer matches.
 *
 * TLS/SSH rules run on a session handed over by the app layer's tls_session / ssh_session hooks
 * (once per session); until the app layer calls them they never fire (counted as tls_unbound
 * when a TLS/SSH flow ends).
 *
 * Per-flow state (flowbits, stream tails, established/pass/encrypted flags) lives in records
 * found by the flow's address (a per-worker open-addressing table), released by
 * detect_flow_end; records come in chunks of DF_CHUNK up to flow_state_max.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/dns/dns.h"
#include "app/http/http.h"
#include "app/ssh/ssh.h"
#include "app/tls/tls.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "decode/packet.h"
#include "detect/detect_int.h"
#include "flow/flow.h"
#include "stream/stream.h"
#include "tamper/tamper.h"

#define DF_TAIL 256
#define DF_CHUNK 1024
#define SBUF_MAX (1u << 20)
#define SYNTH_MAX (128u * 1024u)
#define APP_ANOM_MAX 16

/* ---- per-flow state -----------------------------------------------------------------------------
 */

enum {
    DF_EST = 1u << 0,   /* TCP: established as of an earlier packet (Suricata sets it before
                           the packet that completes the handshake is tracked) */
    DF_PD = 1u << 1, /* protocol seen decided (PD-only rules fire once per flow) */
    DF_PASS = 1u << 3,   /* a pass rule matched: the flow is not inspected any more */
    DF_ENC_TS = 1u << 4, /* TLS application data seen to server / to client: encrypted */
    DF_ENC_TC = 1u << 5,
    DF_SESS = 1u << 6, /* the flow's TLS/SSH session reached the matcher */
};

struct dflow {
    const struct flow *key;
    uint32_t next_free;
    uint8_t flags; /* DF_* */
    uint16_t tail_len[2];
    uint64_t tail_end[2]; /* stream offset just after the tail */
    uint8_t tail[2][DF_TAIL];
    uint64_t bits[]; /* flowbits, de->fb_words words */
};

struct thr_ent {
    uint32_t rule; /* rule id + 1; 0: free */
    uint8_t kind;  /* 0 threshold, 1 detection_filter */
    uint8_t klen;
    uint8_t key[32];
    int64_t sec; /* window start */
    uint32_t usec;
    uint32_t count;
    uint64_t next; /* backoff: next count that alerts */
};

struct detect_thread {
    const struct detect_engine *de;
    detect_alert_fn fn;
    void *ud;
    struct hs_scratch *scratch;
    struct match_ctx *mc;
    uint32_t *seen, gen;
    uint32_t *cand, ncand;
    /* flow records */
    uint8_t **chunks;
    uint32_t nchunks, chunk_cap;
    size_t rec_size;
    uint32_t nrec, free_head; /* records handed out so far; free list (index + 1) */
    uint32_t *slot, slot_mask;
    uint32_t cap;
    /* thresholds */
    struct thr_ent *thr;
    uint32_t thr_mask;
    /* app-layer anomalies of the packet being processed */
    const struct packet *anom_pkt;
    uint64_t anom_pcap_cnt;
    uint16_t app_anom[APP_ANOM_MAX];
    uint8_t n_app_anom;
    uint8_t *sbuf;   /* stream chunk assembly */
    uint8_t *synth;  /* HTTP buffers built from parts */
    uint8_t *synth2; /* the raw message of a side, for the payload list of an HTTP rule */
    struct detect_counters ctr;
};

static uint32_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (uint32_t)x;
}

static inline struct dflow *rec_at(struct detect_thread *dt, uint32_t i)
{
    return (struct dflow *)(dt->chunks[i / DF_CHUNK] + (size_t)(i % DF_CHUNK) * dt->rec_size);
}

static struct dflow *flow_find(struct detect_thread *dt, const struct flow *f)
{
    if (!f || !dt->slot) return NULL;
    uint32_t k = hash_ptr(f) & dt->slot_mask;
    while (dt->slot[k]) {
        struct dflow *r = rec_at(dt, dt->slot[k] - 1);
        if (r->key == f) return r;
        k = (k + 1) & dt->slot_mask;
    }
    return NULL;
}

static struct dflow *flow_get(struct detect_thread *dt, const struct flow *f)
{
    if (!f) return NULL;
    struct dflow *r = flow_find(dt, f);
    if (r) return r;
    uint32_t idx;
    if (dt->free_head) {
        idx = dt->free_head - 1;
        dt->free_head = rec_at(dt, idx)->next_free;
    } else {
        if (dt->nrec >= dt->cap) {
            dt->ctr.flow_state_full++;
            return NULL;
        }
        if (dt->nrec / DF_CHUNK >= dt->nchunks) {
            /* a new chunk of records: one allocation per DF_CHUNK flows, up to the cap */
            uint8_t *c = vg_malloc(dt->rec_size * DF_CHUNK);
            if (!c) {
                dt->ctr.flow_state_full++;
                return NULL;
            }
            dt->chunks[dt->nchunks++] = c;
        }
        idx = dt->nrec++;
    }
    r = rec_at(dt, idx);
    memset(r, 0, dt->rec_size);
    r->key = f;
    uint32_t k = hash_ptr(f) & dt->slot_mask;
    while (dt->slot[k])
        k = (k + 1) & dt->slot_mask;
    dt->slot[k] = idx + 1;
    return r;
}

void detect_flow_end(struct detect_thread *dt, struct flow *f)
{
    if (!dt || !f || !dt->slot) return;
    if (dt->de->has_tls_rules && (f->app_proto == APP_PROTO_TLS || f->app_proto == APP_PROTO_SSH)) {
        const struct dflow *sdf = flow_find(dt, f);
        if (!sdf || !(sdf->flags & DF_SESS)) dt->ctr.tls_unbound++;
    }
    uint32_t k = hash_ptr(f) & dt->slot_mask;
    while (dt->slot[k]) {
        uint32_t idx = dt->slot[k] - 1;
        struct dflow *r = rec_at(dt, idx);
        if (r->key == f) break;
        k = (k + 1) & dt->slot_mask;
    }
    if (!dt->slot[k]) return;
    uint32_t idx = dt->slot[k] - 1;
    struct dflow *r = rec_at(dt, idx);
    r->key = NULL;
    r->next_free = dt->free_head;
    dt->free_head = idx + 1;
    /* backward-shift deletion */
    uint32_t hole = k, j = k;
    dt->slot[hole] = 0;
    for (;;) {
        j = (j + 1) & dt->slot_mask;
        if (!dt->slot[j]) break;
        uint32_t home = hash_ptr(rec_at(dt, dt->slot[j] - 1)->key) & dt->slot_mask;
        bool move = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (move) {
            dt->slot[hole] = dt->slot[j];
            dt->slot[j] = 0;
            hole = j;
        }
    }
}

/* ---- thread context -----------------------------------------------------------------------------
 */

static uint32_t pow2_at_least(uint64_t n)
{
    uint32_t p = 16;
    while (p < n && p < (1u << 30))
        p <<= 1;
    return p;
}

void detect_thread_free(struct detect_thread *dt)
{
    if (!dt) return;
    prefilter__scratch_free(dt->scratch);
    match__ctx_free(dt->mc);
    vg_free(dt->seen);
    vg_free(dt->cand);
    for (uint32_t i = 0; i < dt->nchunks; i++)
        vg_free(dt->chunks[i]);
    vg_free(dt->chunks);
    vg_free(dt->slot);
    vg_free(dt->thr);
    vg_free(dt->sbuf);
    vg_free(dt->synth);
    vg_free(dt->synth2);
    vg_free(dt);
}

struct detect_thread *detect_thread_new(const struct detect_engine *de, detect_alert_fn fn,
                                        void *ud)
{
    if (!de) return NULL;
    struct detect_thread *dt = vg_calloc(1, sizeof *dt);
    if (!dt) return NULL;
    dt->de = de;
    dt->fn = fn;
    dt->ud = ud;
    for (uint32_t i = 0; i < de->ngroups; i++)
        if (prefilter__scratch_for(&dt->scratch, de->groups[i].db) != VG_OK) goto fail;
    dt->mc = match__ctx_new(de);
    dt->seen = vg_calloc(de->nrules ? de->nrules : 1, sizeof *dt->seen);
    dt->cand = vg_calloc(de->nrules ? de->nrules : 1, sizeof *dt->cand);
    dt->cap = de->flow_state_max;
    dt->chunk_cap = (dt->cap + DF_CHUNK - 1) / DF_CHUNK;
    dt->chunks = vg_calloc(dt->chunk_cap ? dt->chunk_cap : 1, sizeof *dt->chunks);
    dt->rec_size = (sizeof(struct dflow) + (size_t)de->fb_words * 8 + 7) & ~(size_t)7;
    uint32_t ns = pow2_at_least((uint64_t)dt->cap * 2);
    dt->slot = vg_calloc(ns, sizeof *dt->slot);
    dt->slot_mask = ns - 1;
    uint32_t nt = pow2_at_least((uint64_t)de->threshold_max * 2);
    dt->thr = vg_calloc(nt, sizeof *dt->thr);
    dt->thr_mask = nt - 1;
    dt->sbuf = vg_malloc(SBUF_MAX + DF_TAIL);
    dt->synth = vg_malloc(SYNTH_MAX);
    dt->synth2 = vg_malloc(SYNTH_MAX);
    dt->gen = 1;
    if (!dt->mc || !dt->seen || !dt->cand || !dt->chunks || !dt->slot || !dt->thr || !dt->sbuf ||
        !dt->synth || !dt->synth2)
        goto fail;
    return dt;
fail:
    detect_thread_free(dt);
    return NULL;
}

const struct detect_counters *detect_counters(const struct detect_thread *dt)
{
    struct detect_thread *w = (struct detect_thread *)dt;
    w->ctr.pcre_errors = match__pcre_errors(dt->mc);
    w->ctr.rules_loaded = dt->de->nrules;
    w->ctr.rules_failed = dt->de->rules_failed;
    return &dt->ctr;
}

/* ---- candidates ---------------------------------------------------------------------------------
 */

static void cand_begin(struct detect_thread *dt)
{
    dt->ncand = 0;
    if (++dt->gen == 0) {
        memset(dt->seen, 0, (size_t)dt->de->nrules * sizeof *dt->seen);
        dt->gen = 1;
    }
}

static inline void cand_add(struct detect_thread *dt, uint32_t id)
{
    if (dt->seen[id] == dt->gen) return;
    dt->seen[id] = dt->gen;
    dt->cand[dt->ncand++] = id;
}

struct scan_cb {
    struct detect_thread *dt;
    const struct de_group *g;
};

static void on_pf_match(void *ctx, uint32_t id)
{
    struct scan_cb *sc = ctx;
    if (id < sc->g->n) cand_add(sc->dt, sc->g->rule_of[id]);
}

static void scan(struct detect_thread *dt, const struct de_group *g, const uint8_t *buf,
                 uint32_t len)
{
    if (!g || !g->db || !len) return;
    struct scan_cb sc = {dt, g};
    dt->ctr.prefilter_scans++;
    if (prefilter__scan(g->db, dt->scratch, buf, len, on_pf_match, &sc) != VG_OK)
        dt->ctr.scan_errors++;
}

static const struct de_group *find_group(const struct detect_engine *de, uint8_t cls, int dir)
{
    for (uint32_t i = 0; i < de->ngroups; i++)
        if (de->groups[i].cls == cls && de->groups[i].dir == dir) return &de->groups[i];
    return NULL;
}

static void add_always(struct detect_thread *dt, int a, int dir)
{
    const struct de_list *l = &dt->de->always[a][dir];
    for (uint32_t i = 0; i < l->n; i++)
        cand_add(dt, l->id[i]);
}

static void ip_stab(struct detect_thread *dt, const struct de_ipidx *x, const struct vg_addr *a)
{
    if (a->family != 4 || (!x->n && !x->nwide)) return;
    uint32_t v =
        (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 | (uint32_t)a->a[2] << 8 | a->a[3];
    /* first entry with lo > v */
    uint32_t lo = 0, hi = x->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (x->e[mid].lo <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t floor = (uint64_t)v >= x->maxspan ? (uint64_t)v - x->maxspan : 0;
    for (uint32_t i = lo; i > 0; i--) {
        const struct de_ipent *e = &x->e[i - 1];
        if (e->lo < floor) break;
        if (e->hi >= v) cand_add(dt, e->rule);
    }
    for (uint32_t i = 0; i < x->nwide; i++)
        if (x->wide[i].lo <= v && v <= x->wide[i].hi) cand_add(dt, x->wide[i].rule);
}

static void ip6_stab(struct detect_thread *dt, const struct de_ip6idx *x, const struct vg_addr *a)
{
    if (a->family != 6) return;
    uint32_t lo = 0, hi = x->nsingle;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (memcmp(x->single[mid].lo, a->a, 16) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint32_t i = lo; i < x->nsingle && memcmp(x->single[i].lo, a->a, 16) == 0; i++)
        cand_add(dt, x->single[i].rule);
    for (uint32_t i = 0; i < x->nranges; i++)
        if (memcmp(x->ranges[i].lo, a->a, 16) <= 0 && memcmp(a->a, x->ranges[i].hi, 16) <= 0)
            cand_add(dt, x->ranges[i].rule);
}

/* Rules of the port index for this packet's ports, in the contexts ctx_mask allows. */
static void port_stab(struct detect_thread *dt, const struct de_portidx *x, uint8_t side,
                      uint16_t port, uint32_t ctx_mask)
{
    uint32_t lo = 0, hi = x->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        const struct de_portent *e = &x->e[mid];
        if (e->side < side || (e->side == side && e->port < port))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint32_t i = lo; i < x->n && x->e[i].side == side && x->e[i].port == port; i++)
        if (ctx_mask & (1u << x->e[i].ctx)) cand_add(dt, x->e[i].rule);
}

static void sift_down(uint32_t *c, uint32_t i, uint32_t n)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < n && c[l] > c[m]) m = l;
        if (l + 1 < n && c[l + 1] > c[m]) m = l + 1;
        if (m == i) return;
        uint32_t t = c[i];
        c[i] = c[m];
        c[m] = t;
        i = m;
    }
}

/* Evaluation order = rule id order. In place and allocation-free (glibc's qsort may malloc):
 * insertion sort for the usual handful, heapsort beyond. */
static void cand_sort(struct detect_thread *dt)
{
    uint32_t n = dt->ncand;
    uint32_t *c = dt->cand;
    if (n < 32) {
        for (uint32_t i = 1; i < n; i++) {
            uint32_t v = c[i], j = i;
            while (j > 0 && c[j - 1] > v) {
                c[j] = c[j - 1];
                j--;
            }
            c[j] = v;
        }
    } else {
        for (uint32_t i = n / 2; i > 0; i--)
            sift_down(c, i - 1, n);
        for (uint32_t end = n - 1; end > 0; end--) {
            uint32_t t = c[0];
            c[0] = c[end];
            c[end] = t;
            sift_down(c, 0, end);
        }
    }
    dt->ctr.candidates += n;
}

/* ---- common checks ------------------------------------------------------------------------------
 */

/* Evaluation context shared by the verifiers of one packet / transaction / message. */
struct ectx {
    struct detect_thread *dt;
    struct flow *f;
    const struct packet *p;
    struct dflow *df; /* looked up lazily */
    bool df_looked;
    int dir;     /* packet direction (packets) */
    int src;     /* enum detect_alert_src */
    bool passed; /* a pass rule matched: no more alerts from this context */
    uint64_t tx_id;
    const struct http_tx *http;
    const struct dns_msg *dns;
    const struct tamper_finding *tamper;
    const struct tls_session *tls;
    const struct ssh_session *ssh;
    /* packet buffers */
    struct match_buf pay, stream;
    bool has_stream, pay_added;
    /* the stream chunk is tail + new bytes; it is copied into one buffer only when a rule needs
     * it (stream_buf): scanning reads the new bytes in place plus a small boundary buffer */
    bool stream_lazy;
    const uint8_t *tail, *data;
    uint32_t tail_len, data_len;
    bool stream_match; /* the last verified rule matched on the stream */
    uint8_t ctx_app;   /* APP_PROTO_* the inspected transaction/message proves, or 0 */
    bool df_full;      /* the flow has no state record because the pool is exhausted */
    bool pd_now;       /* this packet is the first of its direction with the protocol known */
};

static struct dflow *ectx_df(struct ectx *e, bool create)
{
    if (!e->df && (!e->df_looked || create)) {
        e->df = create ? flow_get(e->dt, e->f) : flow_find(e->dt, e->f);
        e->df_looked = true;
        if (create && !e->df && e->f) e->df_full = true;
    }
    return e->df;
}

/* The TCP handshake (or a mid-stream pickup with both sides talking) is complete as of now. */
static bool tcp_handshake_done(const struct flow *f)
{
    if (f->tcp_state < FLOW_TCP_ESTABLISHED) return false;
    uint8_t c = f->tcp_flags[FLOW_TOSERVER], s = f->tcp_flags[FLOW_TOCLIENT];
    /* picked up mid-stream: both sides talked (a bare RST is not talking) */
    if (!(c & VG_TCP_SYN) && !(s & VG_TCP_SYN)) return (c & VG_TCP_ACK) && (s & VG_TCP_ACK);
    return (c & VG_TCP_SYN) && (s & VG_TCP_SYN) && (s & VG_TCP_ACK) && (c & VG_TCP_ACK);
}

static struct dflow *ectx_df(struct ectx *e, bool create);

/* flow:established - UDP/ICMP: both directions seen; TCP: as Suricata, the state before this
 * packet (the ACK that completes the handshake is not yet established), kept per flow. */
static bool established(struct ectx *e)
{
    const struct flow *f = e->f;
    if (!f) return false;
    if (f->proto != 6) return f->pkts[0] && f->pkts[1];
    const struct dflow *df = ectx_df(e, false);
    if (df) return (df->flags & DF_EST) != 0;
    if (e->df_full) return tcp_handshake_done(f); /* no state record: best effort */
    return false;
}

static bool flow_kw_ok(struct ectx *e, const struct rule *r, int dir, const struct packet *p)
{
    const struct flow *f = e->f;
    uint32_t fl = r->flow;
    if (!fl) return true;
    if ((fl & RULE_FLOW_TO_SERVER) && (!f || dir != FLOW_TOSERVER)) return false;
    if ((fl & RULE_FLOW_TO_CLIENT) && (!f || dir != FLOW_TOCLIENT)) return false;
    if ((fl & RULE_FLOW_ESTABLISHED) && !established(e)) return false;
    if ((fl & RULE_FLOW_NOT_ESTABLISHED) && established(e)) return false;
    if (p) {
        if ((fl & RULE_FLOW_ONLY_FRAG) && !(p->flags & VG_PKT_REASSEMBLED)) return false;
        if ((fl & RULE_FLOW_NO_FRAG) && (p->flags & VG_PKT_REASSEMBLED)) return false;
    }
    return true;
}

static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

static bool hdr_one(const struct rule *r, const struct vg_addr *s, uint16_t sp,
                    const struct vg_addr *d, uint16_t dp, bool ports)
{
    if (!match__addr(&r->src, s) || !match__addr(&r->dst, d)) return false;
    if (!r->sport.any || !r->dport.any) {
        if (!ports) return false;
        if (!match__port(&r->sport, sp) || !match__port(&r->dport, dp)) return false;
    }
    return true;
}

static bool hdr_ok(const struct rule *r, const struct vg_addr *s, uint16_t sp,
                   const struct vg_addr *d, uint16_t dp, uint8_t proto)
{
    bool ports = has_ports(proto);
    if (hdr_one(r, s, sp, d, dp, ports)) return true;
    return (r->flags & RULE_F_BIDIR) && hdr_one(r, d, dp, s, sp, ports);
}

/* The tuple of a flow oriented for direction dir. */
static bool hdr_flow_ok(const struct rule *r, const struct flow *f, int dir)
{
    if (dir == FLOW_TOSERVER) return hdr_ok(r, &f->src, f->sport, &f->dst, f->dport, f->proto);
    return hdr_ok(r, &f->dst, f->dport, &f->src, f->sport, f->proto);
}

static uint8_t l4_class(uint8_t proto)
{
    switch (proto) {
    case 6:
        return DE_L4_TCP;
    case 17:
        return DE_L4_UDP;
    case 1:
        return DE_L4_ICMP4;
    case 58:
        return DE_L4_ICMP6;
    default:
        return DE_L4_OTHER;
    }
}

static bool ipver_ok(const struct rule *r, uint8_t ver)
{
    if (r->proto == RULE_PROTO_IPV4) return ver == 4;
    if (r->proto == RULE_PROTO_IPV6) return ver == 6;
    if (r->proto == RULE_PROTO_PKTHDR) return true;
    return ver != 0;
}

static int app_rule_proto(uint8_t app)
{
    switch (app) {
    case APP_PROTO_HTTP:
        return RULE_PROTO_HTTP;
    case APP_PROTO_DNS:
        return RULE_PROTO_DNS;
    case APP_PROTO_TLS:
        return RULE_PROTO_TLS;
    case APP_PROTO_SSH:
        return RULE_PROTO_SSH;
    default:
        return -1;
    }
}

/* ctx_app: the protocol the inspected object proves (an HTTP transaction is HTTP even before the
 * app layer stores the flow's protocol at the end of the packet), or 0. */
static bool app_ok(const struct de_rule *d, const struct flow *f, uint8_t ctx_app)
{
    const struct rule *r = d->r;
    uint8_t fa = f ? f->app_proto : 0;
    if (ctx_app && (fa == APP_PROTO_UNKNOWN || fa == APP_PROTO_FAILED)) fa = ctx_app;
    if (d->app && fa != d->app) return false;
    /* app-layer-protocol needs the protocol decided (Suricata: unknown matches neither way) */
    if ((d->app_proto_kw || r->app_not) && fa == APP_PROTO_UNKNOWN) return false;
    if (d->app_proto_kw) {
        if (d->app_proto_kw == 0xff || fa != d->app_proto_kw) return false;
    }
    if (r->app_not) {
        int rp = app_rule_proto(fa);
        if (rp >= 0 && (r->app_not & (1ull << rp))) return false;
        if (rp == RULE_PROTO_HTTP && (r->app_not & (1ull << RULE_PROTO_HTTP1))) return false;
    }
    return true;
}

static bool anomaly_present(const struct ectx *e, int id)
{
    const struct packet *p = e->p;
    if (p) {
        for (unsigned i = 0; i < p->n_anom; i++)
            if (p->anom[i] == id) return true;
        const struct detect_thread *dt = e->dt;
        if (dt->anom_pkt == p && dt->anom_pcap_cnt == p->pcap_cnt)
            for (unsigned i = 0; i < dt->n_app_anom; i++)
                if (dt->app_anom[i] == id) return true;
    }
    if (e->http)
        for (unsigned i = 0; i < e->http->n_anomalies; i++)
            if (e->http->anomalies[i] == id) return true;
    if (e->dns)
        for (unsigned i = 0; i < e->dns->nanom; i++)
            if (e->dns->anom[i] == id) return true;
    return false;
}

static bool events_ok(const struct ectx *e, const struct rule *r)
{
    for (uint32_t i = 0; i < r->nev; i++) {
        if (r->ev[i].kind != RULE_EV_ANOMALY) continue;
        if (!anomaly_present(e, r->ev[i].anomaly)) return false;
    }
    return true;
}

static inline bool bit_get(const struct dflow *df, uint32_t b)
{
    return df && (df->bits[b / 64] >> (b % 64)) & 1;
}

static bool flowbits_ok(struct ectx *e, const struct de_rule *d)
{
    const struct detect_engine *de = e->dt->de;
    for (uint32_t k = 0; k < d->fb_n; k++) {
        const struct de_fb *fb = &de->fbs[d->fb_off + k];
        if (fb->cmd != RULE_FB_ISSET && fb->cmd != RULE_FB_ISNOTSET) continue;
        if (!e->f) return false;
        struct dflow *df = ectx_df(e, false);
        bool want = fb->cmd == RULE_FB_ISSET;
        const uint32_t *ids = &de->fb_ids[fb->off];
        bool ok;
        if (fb->op == '|') {
            ok = false;
            for (uint32_t j = 0; j < fb->n && !ok; j++)
                ok = bit_get(df, ids[j]) == want;
        } else {
            ok = true;
            for (uint32_t j = 0; j < fb->n && ok; j++)
                ok = bit_get(df, ids[j]) == want;
        }
        if (!ok) return false;
    }
    return true;
}

static void flowbits_apply(struct ectx *e, const struct de_rule *d)
{
    const struct detect_engine *de = e->dt->de;
    for (uint32_t k = 0; k < d->fb_n; k++) {
        const struct de_fb *fb = &de->fbs[d->fb_off + k];
        if (fb->cmd == RULE_FB_ISSET || fb->cmd == RULE_FB_ISNOTSET) continue;
        struct dflow *df = ectx_df(e, true);
        if (!df) return;
        const uint32_t *ids = &de->fb_ids[fb->off];
        for (uint32_t j = 0; j < fb->n; j++) {
            uint64_t m = 1ull << (ids[j] % 64);
            uint64_t *w = &df->bits[ids[j] / 64];
            if (fb->cmd == RULE_FB_SET)
                *w |= m;
            else if (fb->cmd == RULE_FB_UNSET)
                *w &= ~m;
            else
                *w ^= m;
        }
    }
}

/* ---- packet keywords ----------------------------------------------------------------------------
 */

static bool ip_tos(const struct packet *p, uint64_t *tos)
{
    if (p->l3_off + 2u > p->caplen) return false;
    const uint8_t *h = p->data + p->l3_off;
    if (p->ip_ver == 4) {
        *tos = h[1];
        return true;
    }
    if (p->ip_ver == 6) {
        *tos = (uint64_t)(((h[0] & 0x0f) << 4) | (h[1] >> 4));
        return true;
    }
    return false;
}

static bool ipv4_frag(const struct packet *p, uint16_t *word)
{
    if (p->ip_ver != 4 || p->l3_off + 8u > p->caplen) return false;
    const uint8_t *h = p->data + p->l3_off;
    *word = (uint16_t)(h[6] << 8 | h[7]);
    return true;
}

static bool ipopt_ok(const struct packet *p, uint8_t want)
{
    if (p->ip_ver != 4 || p->ip_hlen <= 20 || p->l3_off + (uint32_t)p->ip_hlen > p->caplen)
        return false;
    static const uint8_t code[] = {7, 0, 1, 68, 130, 133, 131, 137, 136};
    const uint8_t *o = p->data + p->l3_off + 20;
    uint32_t n = p->ip_hlen - 20u, i = 0;
    while (i < n) {
        uint8_t t = o[i];
        if (want == RULE_IPOPT_ANY) return true;
        if (want < sizeof code && t == code[want]) return true;
        if (t == 0) break;
        if (t == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2) break;
        i += o[i + 1];
    }
    return false;
}

static bool flags_match(const struct rule_flags *fl, uint16_t bits, bool frag)
{
    uint16_t v = (uint16_t)(bits & ~fl->ignore);
    switch (fl->mode) {
    case RULE_FLAGS_ANY:
        return (v & fl->bits) != 0;
    case RULE_FLAGS_PLUS:
        if (frag) return (v & fl->bits) == fl->bits && (v - fl->bits) > 0;
        return (v & fl->bits) == fl->bits;
    case RULE_FLAGS_NOT:
        return (v & fl->bits) != fl->bits;
    default:
        return v == fl->bits;
    }
}

static bool stream_size_ok(const struct flow *f, const struct rule_pmatch *pm)
{
    if (!f || f->proto != 6) return false;
    struct stream_dir_info cl, sv;
    if (!stream_dir_info(f, FLOW_TOSERVER, &cl) || !stream_dir_info(f, FLOW_TOCLIENT, &sv))
        return false;
    uint64_t c = cl.offset + (cl.isn_known ? 1 : 0), s = sv.offset + (sv.isn_known ? 1 : 0);
    const struct rule_cmp *cmp = &pm->u.stream_size.cmp;
    switch (pm->u.stream_size.side) {
    case RULE_SS_SERVER:
        return match__cmp(cmp, s);
    case RULE_SS_CLIENT:
        return match__cmp(cmp, c);
    case RULE_SS_BOTH:
        return match__cmp(cmp, s) && match__cmp(cmp, c);
    default:
        return match__cmp(cmp, s) || match__cmp(cmp, c);
    }
}

static bool pm_ok(const struct rule *r, const struct packet *p, const struct flow *f)
{
    for (uint32_t i = 0; i < r->npm; i++) {
        const struct rule_pmatch *pm = &r->pm[i];
        if (pm->kind == RULE_P_STREAM_SIZE) {
            if (!stream_size_ok(f, pm)) return false;
            continue;
        }
        if (!p) return false;
        bool tcp = p->proto == 6 && p->ip_ver && !(p->flags & VG_PKT_INVALID);
        bool icmp = (p->proto == 1 || p->proto == 58) && p->ip_ver;
        uint64_t x;
        uint16_t w;
        switch (pm->kind) {
        case RULE_P_DSIZE: {
            uint32_t pl = p->payload ? p->payload_len : 0;
            /* Suricata's signature mask: these forms need a payload (!N does not match an
             * empty packet) */
            uint8_t op = pm->u.cmp.op;
            if (!pl && (op == RULE_CMP_RANGE || op == RULE_CMP_GT || op == RULE_CMP_NE ||
                        op == RULE_CMP_GE || (op == RULE_CMP_EQ && pm->u.cmp.a > 0)))
                return false;
            if (!match__cmp(&pm->u.cmp, pl)) return false;
            break;
        }
        case RULE_P_TTL:
            if (!p->ip_ver || !match__cmp(&pm->u.cmp, p->ttl)) return false;
            break;
        case RULE_P_TOS:
            if (!ip_tos(p, &x) || !match__cmp(&pm->u.cmp, x)) return false;
            break;
        case RULE_P_IP_ID:
            if (p->ip_ver != 4 || !match__cmp(&pm->u.cmp, p->ip_id)) return false;
            break;
        case RULE_P_IP_PROTO:
            if (!p->ip_ver || !match__cmp(&pm->u.cmp, p->proto)) return false;
            break;
        case RULE_P_TCP_FLAGS:
            if (!tcp || !flags_match(&pm->u.flags, p->tcp_flags, false)) return false;
            break;
        case RULE_P_TCP_SEQ:
            if (!tcp || !match__cmp(&pm->u.cmp, p->tcp_seq)) return false;
            break;
        case RULE_P_TCP_ACK:
            if (!tcp || !match__cmp(&pm->u.cmp, p->tcp_ack)) return false;
            break;
        case RULE_P_TCP_WINDOW:
            if (!tcp || !match__cmp(&pm->u.cmp, p->tcp_win)) return false;
            break;
        case RULE_P_TCP_MSS:
            if (!tcp || !p->tcp_opts.has_mss || !match__cmp(&pm->u.cmp, p->tcp_opts.mss))
                return false;
            break;
        case RULE_P_ICMP_TYPE:
            if (!icmp || !match__cmp(&pm->u.cmp, p->icmp_type)) return false;
            break;
        case RULE_P_ICMP_CODE:
            if (!icmp || !match__cmp(&pm->u.cmp, p->icmp_code)) return false;
            break;
        case RULE_P_ICMP_ID:
        case RULE_P_ICMP_SEQ: {
            bool echo = p->proto == 1 ? (p->icmp_type == 0 || p->icmp_type == 8)
                                      : (p->icmp_type == 128 || p->icmp_type == 129);
            if (!icmp || !echo) return false;
            x = pm->kind == RULE_P_ICMP_ID ? p->icmp_id : p->icmp_seq;
            if (!match__cmp(&pm->u.cmp, x)) return false;
            break;
        }
        case RULE_P_FRAGBITS:
            if (!ipv4_frag(p, &w) || !flags_match(&pm->u.flags, w & 0xe000, true)) return false;
            break;
        case RULE_P_FRAGOFFSET:
            if (!ipv4_frag(p, &w) || !match__cmp(&pm->u.cmp, w & 0x1fff)) return false;
            break;
        case RULE_P_IPOPTS:
            if (!ipopt_ok(p, pm->u.ipopt)) return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

/* ---- thresholds ---------------------------------------------------------------------------------
 */

static uint64_t fnv(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Suricata's ThresholdHandlePacket: true when the match alerts. */
static bool thr_check(struct ectx *e, const struct de_rule *d, const struct rule_threshold *t,
                      uint8_t kind, const struct vg_addr *src, const struct vg_addr *dst)
{
    struct detect_thread *dt = e->dt;
    uint8_t key[32];
    uint8_t klen = 0;
    switch (t->track) {
    case RULE_TRACK_BY_SRC:
        key[0] = src->family;
        memcpy(key + 1, src->a, 16);
        klen = 17;
        break;
    case RULE_TRACK_BY_DST:
        key[0] = dst->family;
        memcpy(key + 1, dst->a, 16);
        klen = 17;
        break;
    case RULE_TRACK_BY_BOTH:
        memcpy(key, src->a, 16);
        memcpy(key + 16, dst->a, 16);
        klen = 32;
        break;
    case RULE_TRACK_BY_FLOW: {
        uint64_t id = e->f ? e->f->flow_id : 0;
        memcpy(key, &id, 8);
        klen = 8;
        break;
    }
    default:
        klen = 0;
        break;
    }
    struct vg_ts ts = e->p ? e->p->ts : (e->f ? e->f->last : (struct vg_ts){0, 0});
    int64_t sec = ts.sec;
    uint32_t usec = ts.nsec / 1000;
    uint64_t h = fnv(key, klen, fnv((const uint8_t *)&d->id, 4, 1469598103934665603ull ^ kind));
    struct thr_ent *slot = NULL, *stale = NULL;
    uint32_t k = (uint32_t)h & dt->thr_mask;
    for (int probe = 0; probe < 32; probe++, k = (k + 1) & dt->thr_mask) {
        struct thr_ent *x = &dt->thr[k];
        if (!x->rule) {
            if (!stale) stale = x;
            break;
        }
        if (x->rule == d->id + 1 && x->kind == kind && x->klen == klen &&
            memcmp(x->key, key, klen) == 0) {
            slot = x;
            break;
        }
        const struct rule_threshold *xt = NULL;
        if (x->rule <= dt->de->nrules) {
            const struct rule *xr = dt->de->rules[x->rule - 1].r;
            xt = x->kind ? &xr->detection_filter : &xr->threshold;
        }
        if (!stale && xt && xt->seconds && sec - x->sec >= (int64_t)xt->seconds) stale = x;
    }
    bool within = slot && (sec - slot->sec) < (int64_t)t->seconds;
    if (!slot) {
        if (!stale) {
            dt->ctr.threshold_full++;
            return true;
        }
        slot = stale;
        memset(slot, 0, sizeof *slot);
        slot->rule = d->id + 1;
        slot->kind = kind;
        slot->klen = klen;
        memcpy(slot->key, key, klen);
        slot->sec = sec;
        slot->usec = usec;
        slot->count = 1;
        switch (t->type) {
        case RULE_THR_LIMIT:
            return true;
        case RULE_THR_THRESHOLD:
            if (t->count == 1) {
                slot->count = 0;
                return true;
            }
            return false;
        case RULE_THR_BOTH:
            return t->count == 1;
        case RULE_THR_BACKOFF:
            slot->next = t->count;
            if (t->count == 1) {
                slot->next = (uint64_t)t->count * t->multiplier;
                return true;
            }
            return false;
        case RULE_THR_DETECTION_FILTER:
            return t->count == 0;
        }
        return true;
    }
    switch (t->type) {
    case RULE_THR_LIMIT:
        if (within) {
            slot->count++;
            return slot->count <= t->count;
        }
        slot->sec = sec;
        slot->count = 1;
        return true;
    case RULE_THR_THRESHOLD:
        if (within) {
            slot->count++;
            if (slot->count >= t->count) {
                slot->count = 0;
                return true;
            }
            return false;
        }
        slot->sec = sec;
        slot->count = 1;
        return t->count == 1 ? (slot->count = 0, true) : false;
    case RULE_THR_BOTH:
        if (within) {
            slot->count++;
            return slot->count == t->count;
        }
        slot->sec = sec;
        slot->count = 1;
        return t->count == 1;
    case RULE_THR_BACKOFF:
        if (slot->count < UINT32_MAX) slot->count++;
        if (slot->count >= slot->next) {
            uint64_t m = t->multiplier ? t->multiplier : 1;
            slot->next = slot->next * m;
            if (slot->next <= slot->count) slot->next = (uint64_t)slot->count + 1;
            return true;
        }
        return false;
    case RULE_THR_DETECTION_FILTER:
        if (within) {
            slot->count++;
            return slot->count > t->count;
        }
        slot->sec = sec;
        slot->count = 1;
        return t->count == 0;
    }
    return true;
}

/* ---- effects of a match -------------------------------------------------------------------------
 */

static void fire(struct ectx *e, const struct de_rule *d, int dir, const struct vg_addr *src,
                 const struct vg_addr *dst)
{
    struct detect_thread *dt = e->dt;
    const struct rule *r = d->r;
    dt->ctr.matches++;
    flowbits_apply(e, d);
    if (e->passed) {
        dt->ctr.pass_suppressed++;
        return;
    }
    if (r->action == RULE_ACTION_PASS) {
        dt->ctr.pass_matches++;
        e->passed = true;
        /* Suricata: a pass rule passes the flow as well */
        struct dflow *df = ectx_df(e, true);
        if (df) df->flags |= DF_PASS;
        return;
    }
    bool ok = true;
    if (r->flags & RULE_F_HAS_THRESHOLD) ok = thr_check(e, d, &r->threshold, 0, src, dst);
    if (ok && (r->flags & RULE_F_HAS_DETECTION_FILTER))
        ok = thr_check(e, d, &r->detection_filter, 1, src, dst);
    if (!ok) {
        dt->ctr.alerts_suppressed++;
        return;
    }
    if (r->flags & RULE_F_NOALERT) {
        dt->ctr.noalert_matches++;
        return;
    }
    struct detect_alert a;
    memset(&a, 0, sizeof a);
    a.r = r;
    a.src = e->src;
    a.f = e->f;
    a.p = e->p;
    a.dir = dir;
    a.stream_match = e->stream_match;
    a.tx_id = e->tx_id;
    a.http = e->http;
    a.dns = e->dns;
    a.tamper = e->tamper;
    a.tls = e->tls;
    a.ssh = e->ssh;
    if (e->f) e->f->alerted = true;
    dt->ctr.alerts++;
    if (dt->fn) dt->fn(dt->ud, &a);
}

/* ---- packets ------------------------------------------------------------------------------------
 */

static const struct match_buf *stream_buf(struct ectx *e);

static bool verify_pkt(struct ectx *e, const struct de_rule *d)
{
    const struct rule *r = d->r;
    const struct packet *p = e->p;
    if (d->kind != DE_K_PKT) return false;
    /* IP-only rules: the first packet of each direction of a flow (every packet without one) */
    if (d->iponly && e->f && e->f->pkts[e->dir] != 1) return false;
    if (d->pdonly && !e->pd_now) return false;
    if (!(d->l4 & l4_class(p->proto)) && p->ip_ver) return false;
    if (!ipver_ok(r, p->ip_ver)) return false;
    if (!p->ip_ver && r->proto != RULE_PROTO_PKTHDR && r->proto != RULE_PROTO_IP) return false;
    if (p->ip_ver && !hdr_ok(r, &p->src, p->sport, &p->dst, p->dport, p->proto)) return false;
    if (!p->ip_ver && !(r->src.any && r->dst.any && r->sport.any && r->dport.any)) return false;
    if (!flow_kw_ok(e, r, e->dir, p)) return false;
    if (!app_ok(d, e->f, 0)) return false;
    if (r->npm && !pm_ok(r, p, e->f)) return false;
    if (d->has_events && !events_ok(e, r)) return false;
    if (d->fb_n && !flowbits_ok(e, d)) return false;
    e->stream_match = false;
    if (d->pkt_list < 0) {
        /* header only (lists that are not pkt_data cannot be inspected on packets) */
        return r->nbuf == 0;
    }
    const struct rule_buffer *b = &r->buf[d->pkt_list];
    struct match_ctx *mc = e->dt->mc;
    bool lim = false, ok = false;
    bool tcp = p->proto == 6 && (d->l4 & DE_L4_TCP);
    match__rule_begin(mc);
    if (tcp && d->tcp_mode != DE_TCP_PKT_ONLY) {
        if (e->has_stream) {
            ok = match__list(mc, r, b, stream_buf(e), &lim);
            if (ok) e->stream_match = true;
        }
        if (!ok && d->tcp_mode == DE_TCP_STREAM_THEN_PKT && e->pay.len && !e->pay_added) {
            match__rule_begin(mc);
            ok = match__list(mc, r, b, &e->pay, &lim);
        }
    } else if (e->pay.len) {
        ok = match__list(mc, r, b, &e->pay, &lim);
    }
    if (lim) e->dt->ctr.backtrack_limit++;
    return ok;
}

void detect_app_anomaly(struct detect_thread *dt, const struct packet *p, int anomaly_id)
{
    if (!dt || !p) return;
    if (dt->anom_pkt != p || dt->anom_pcap_cnt != p->pcap_cnt) {
        dt->anom_pkt = p;
        dt->anom_pcap_cnt = p->pcap_cnt;
        dt->n_app_anom = 0;
    }
    if (dt->n_app_anom < APP_ANOM_MAX) dt->app_anom[dt->n_app_anom++] = (uint16_t)anomaly_id;
}

/* Sets up the stream chunk: the tail of the previous chunk of this direction + the new bytes
 * (kept apart until a rule needs them together: stream_buf). */
static void stream_chunk(struct ectx *e, const struct stream_result *sr)
{
    struct detect_thread *dt = e->dt;
    int dir = e->dir;
    struct dflow *df = ectx_df(e, true);
    uint32_t tl = 0;
    if (df && df->tail_len[dir] && df->tail_end[dir] == sr->data_offset && !sr->gap_len &&
        sr->data_len <= SBUF_MAX)
        tl = df->tail_len[dir];
    else if (df && df->tail_len[dir] && sr->data_len > SBUF_MAX)
        dt->ctr.buffer_truncated++;
    e->tail = tl ? df->tail[dir] : NULL;
    e->tail_len = tl;
    e->data = sr->data;
    e->data_len = sr->data_len;
    e->stream.p = tl ? NULL : sr->data;
    e->stream.len = tl + sr->data_len;
    e->stream.origin = tl;
    e->stream_lazy = tl != 0;
    e->has_stream = true;
    dt->ctr.stream_chunks++;
}

/* The chunk as one buffer (copied on first use). */
static const struct match_buf *stream_buf(struct ectx *e)
{
    if (e->stream_lazy) {
        uint8_t *b = e->dt->sbuf;
        memcpy(b, e->tail, e->tail_len);
        memcpy(b + e->tail_len, e->data, e->data_len);
        e->stream.p = b;
        e->stream_lazy = false;
    }
    return &e->stream;
}

/* Prefilter scan of the chunk: the new bytes in place, and the boundary (the end of the tail
 * that a pattern crossing into the new bytes can start in, plus the first new bytes). */
static void stream_scan(struct ectx *e, const struct de_group *g)
{
    struct detect_thread *dt = e->dt;
    if (!g) return;
    scan(dt, g, e->data, e->data_len);
    if (!e->tail_len || g->max_len < 2) return;
    uint32_t lb = g->max_len - 1;
    uint32_t tl = e->tail_len < lb ? e->tail_len : lb;
    uint32_t hd = e->data_len < lb ? e->data_len : lb;
    uint8_t bnd[2 * DF_TAIL];
    if (tl + hd > sizeof bnd) {
        /* very long patterns: scan the whole chunk */
        const struct match_buf *mb = stream_buf(e);
        scan(dt, g, mb->p, mb->len);
        return;
    }
    memcpy(bnd, e->tail + e->tail_len - tl, tl);
    memcpy(bnd + tl, e->data, hd);
    scan(dt, g, bnd, tl + hd);
}

static void stream_save_tail(struct ectx *e, const struct stream_result *sr)
{
    struct dflow *df = e->df;
    if (!df) return;
    uint8_t *t = df->tail[e->dir];
    uint32_t n;
    if (e->data_len >= DF_TAIL) {
        n = DF_TAIL;
        memcpy(t, e->data + e->data_len - n, n);
    } else {
        /* keep the end of the old tail, then the new bytes */
        uint32_t keep = DF_TAIL - e->data_len;
        if (keep > e->tail_len) keep = e->tail_len;
        memmove(t, e->tail ? e->tail + e->tail_len - keep : t, keep);
        memcpy(t + keep, e->data, e->data_len);
        n = keep + e->data_len;
    }
    df->tail_len[e->dir] = (uint16_t)n;
    df->tail_end[e->dir] = sr->data_offset + sr->data_len;
}

/* Whether this direction of a TCP flow carries TLS application data (a chunk that starts with
 * an application_data record header, on a flow the app layer did not claim): from then on its
 * payload is not inspected, as Suricata does by default for encrypted TLS records. */
static bool encrypted(struct ectx *e, const struct stream_result *sr)
{
    const struct flow *f = e->f;
    uint8_t bit = e->dir == FLOW_TOSERVER ? DF_ENC_TS : DF_ENC_TC;
    struct dflow *df = ectx_df(e, false);
    if (df && (df->flags & bit)) return true;
    if (f->app_proto == APP_PROTO_HTTP || f->app_proto == APP_PROTO_DNS) return false;
    if (!sr || sr->data_len < 5 || sr->gap_len) return false;
    const uint8_t *d = sr->data;
    if (d[0] != 0x17 || d[1] != 0x03 || d[2] > 0x04) return false;
    uint32_t rl = (uint32_t)d[3] << 8 | d[4];
    if (rl == 0 || rl > 18432) return false;
    df = ectx_df(e, true);
    if (df) df->flags |= bit;
    return true;
}

void detect_packet(struct detect_thread *dt, struct flow *f, const struct packet *p, int dir,
                   const struct stream_result *sr)
{
    if (!dt || !p) return;
    const struct detect_engine *de = dt->de;
    dt->ctr.packets++;
    /* a fragment absorbed by defrag: header rules (decoder events) only; its payload is
     * inspected in the reassembled datagram */
    bool frag = (p->flags & VG_PKT_FRAGMENT) != 0;
    struct ectx e;
    memset(&e, 0, sizeof e);
    e.dt = dt;
    e.f = f;
    e.p = p;
    e.dir = f ? dir : FLOW_TOSERVER;
    e.src = DETECT_SRC_PACKET;
    int ds = e.dir;
    bool tcp = p->proto == 6 && p->ip_ver && !(p->flags & VG_PKT_INVALID) && !frag;
    if (p->payload && p->payload_len && !frag) {
        e.pay.p = p->payload;
        e.pay.len = p->payload_len;
    }
    if (f && de->has_pass) {
        const struct dflow *pdf = ectx_df(&e, false);
        if (pdf && (pdf->flags & DF_PASS)) return;
    }
    if (f && f->app_proto != APP_PROTO_UNKNOWN && de->has_pdonly) {
        /* once per flow: the first packet that sees the protocol decided */
        struct dflow *df = ectx_df(&e, true);
        if (df && !(df->flags & DF_PD)) {
            df->flags |= DF_PD;
            e.pd_now = true;
        }
    }
    if (tcp) {
        e.pay_added = f && f->tcp && sr && e.pay.len && sr->retransmitted < e.pay.len;
        if (f && encrypted(&e, sr)) {
            /* Suricata's tls encryption-handling "default": encrypted records get no raw
             * content inspection */
            e.pay.len = 0;
        } else if (sr && sr->data_len && de->has_stream_rules && f) {
            stream_chunk(&e, sr);
        }
    }

    cand_begin(dt);
    uint32_t ctx_mask = 0;
    if (tcp) {
        /* one database for stream and packet-only rules: the chunk is scanned, and the packet
         * payload only when the chunk does not hold all of it */
        const struct de_group *gs = find_group(de, DE_C_TCP_STREAM, ds);
        bool covered = e.has_stream && sr->retransmitted == 0 && sr->data_len >= e.pay.len;
        if (e.has_stream) stream_scan(&e, gs);
        if (e.pay.len && !covered) scan(dt, gs, e.pay.p, e.pay.len);
        if (e.has_stream || (e.pay.len && !e.pay_added)) {
            add_always(dt, DE_A_TCP_STREAM, ds);
            ctx_mask |= 1u << DE_A_TCP_STREAM;
        }
        if (e.pay.len) {
            add_always(dt, DE_A_TCP_PKT, ds);
            ctx_mask |= 1u << DE_A_TCP_PKT;
        }
        add_always(dt, DE_A_HDR_TCP, ds);
        ctx_mask |= 1u << DE_A_HDR_TCP;
    } else {
        if (e.pay.len) {
            scan(dt, find_group(de, DE_C_OTHER_PKT, ds), e.pay.p, e.pay.len);
            add_always(dt, DE_A_OTHER_PKT, ds);
            ctx_mask |= 1u << DE_A_OTHER_PKT;
        }
        add_always(dt, DE_A_HDR_OTHER, ds);
        ctx_mask |= 1u << DE_A_HDR_OTHER;
    }
    if (de->ports[ds].n && p->ip_ver) {
        port_stab(dt, &de->ports[ds], 0, p->dport, ctx_mask);
        port_stab(dt, &de->ports[ds], 1, p->sport, ctx_mask);
    }
    if (p->ip_ver == 4) {
        ip_stab(dt, &de->ip_src, &p->src);
        ip_stab(dt, &de->ip_dst, &p->dst);
    } else if (p->ip_ver == 6) {
        ip6_stab(dt, &de->ip6_src, &p->src);
        ip6_stab(dt, &de->ip6_dst, &p->dst);
    }
    cand_sort(dt);
    for (uint32_t i = 0; i < dt->ncand; i++) {
        const struct de_rule *d = &de->rules[dt->cand[i]];
        if (!verify_pkt(&e, d)) continue;
        fire(&e, d, e.dir, &p->src, &p->dst);
    }
    if (e.has_stream) stream_save_tail(&e, sr);
    /* established from the next packet on */
    if (tcp && f && tcp_handshake_done(f)) {
        struct dflow *df = ectx_df(&e, true);
        if (df) df->flags |= DF_EST;
    }
}

/* ---- HTTP ---------------------------------------------------------------------------------------
 */

struct sb {
    uint8_t *p;
    uint32_t len, cap;
    bool trunc;
};

static void sb_put(struct sb *s, const void *d, uint32_t n)
{
    if (n > s->cap - s->len) {
        n = s->cap - s->len;
        s->trunc = true;
    }
    memcpy(s->p + s->len, d, n);
    s->len += n;
}

static void sb_str(struct sb *s, const struct http_str *x)
{
    if (x->p) sb_put(s, x->p, x->len);
}

static bool name_is(const struct http_str *n, const char *want)
{
    size_t l = strlen(want);
    return n->len == l && strncasecmp(n->p, want, l) == 0;
}

/* The value of header `name` in a header list; several fields are joined with ", " as libhtp
 * does. Returns false when absent. */
static bool header_value(struct detect_thread *dt, const struct http_header *h, uint16_t n,
                         const char *name, const uint8_t **out, uint32_t *len)
{
    int found = 0;
    const struct http_header *first = NULL;
    for (uint16_t i = 0; i < n; i++)
        if (name_is(&h[i].name, name)) {
            if (!found++) first = &h[i];
        }
    if (!found) return false;
    if (found == 1) {
        *out = (const uint8_t *)(first->value.p ? first->value.p : "");
        *len = first->value.len;
        return true;
    }
    struct sb s = {dt->synth, 0, SYNTH_MAX, false};
    int k = 0;
    for (uint16_t i = 0; i < n; i++) {
        if (!name_is(&h[i].name, name)) continue;
        if (k++) sb_put(&s, ", ", 2);
        sb_str(&s, &h[i].value);
    }
    if (s.trunc) dt->ctr.buffer_truncated++;
    *out = s.p;
    *len = s.len;
    return true;
}

/* Suricata's inspection buffer `buf` of transaction tx for side slot (0 request, 1 response).
 * Returns false when the transaction has no such buffer. Built buffers live in dt->synth until
 * the next call. */
static bool http_buffer(struct detect_thread *dt, const struct http_tx *tx, int buf, int slot,
                        const uint8_t **out, uint32_t *len)
{
    const struct http_header *h = slot ? tx->resp_headers : tx->req_headers;
    uint16_t nh = slot ? tx->n_resp_headers : tx->n_req_headers;
    bool have_req = tx->method.p != NULL;
    bool have_resp = tx->resp_protocol.p != NULL || tx->status_str.p != NULL;
    if (slot ? !have_resp : !have_req) return false;
    struct sb s = {dt->synth, 0, SYNTH_MAX, false};
    const struct http_str *x = NULL;
    switch (buf) {
    case RULE_BUF_HTTP_URI:
    case RULE_BUF_HTTP_URI_RAW:
        x = &tx->uri;
        break;
    case RULE_BUF_HTTP_METHOD:
        x = &tx->method;
        break;
    case RULE_BUF_HTTP_PROTOCOL:
        x = slot ? &tx->resp_protocol : &tx->protocol;
        break;
    case RULE_BUF_HTTP_HOST:
        x = &tx->hostname;
        break;
    case RULE_BUF_HTTP_HOST_RAW:
        x = &tx->host;
        break;
    case RULE_BUF_HTTP_USER_AGENT:
        x = &tx->user_agent;
        break;
    case RULE_BUF_HTTP_REFERER:
        x = &tx->referer;
        break;
    case RULE_BUF_HTTP_STAT_CODE:
        x = &tx->status_str;
        break;
    case RULE_BUF_HTTP_STAT_MSG:
        x = &tx->status_msg;
        break;
    case RULE_BUF_HTTP_LOCATION:
        x = &tx->location;
        break;
    case RULE_BUF_HTTP_SERVER:
        x = &tx->server;
        break;
    case RULE_BUF_HTTP_COOKIE:
        if (!slot) {
            x = &tx->cookie;
            break;
        }
        return header_value(dt, h, nh, "Set-Cookie", out, len);
    case RULE_BUF_HTTP_ACCEPT:
        return header_value(dt, h, nh, "Accept", out, len);
    case RULE_BUF_HTTP_ACCEPT_ENC:
        return header_value(dt, h, nh, "Accept-Encoding", out, len);
    case RULE_BUF_HTTP_ACCEPT_LANG:
        return header_value(dt, h, nh, "Accept-Language", out, len);
    case RULE_BUF_HTTP_CONNECTION:
        return header_value(dt, h, nh, "Connection", out, len);
    case RULE_BUF_HTTP_CONTENT_TYPE:
        return header_value(dt, h, nh, "Content-Type", out, len);
    case RULE_BUF_HTTP_CONTENT_LEN:
        return header_value(dt, h, nh, "Content-Length", out, len);
    case RULE_BUF_HTTP_REQUEST_BODY:
        *out = tx->req_body;
        *len = tx->req_body ? tx->req_body_kept : 0;
        return tx->req_body_kept > 0;
    case RULE_BUF_FILE_DATA:
        *out = slot ? tx->resp_body : tx->req_body;
        *len = slot ? tx->resp_body_kept : tx->req_body_kept;
        return *out != NULL && *len > 0;
    case RULE_BUF_HTTP_REQUEST_LINE:
    case RULE_BUF_HTTP_RESPONSE_LINE:
    case RULE_BUF_HTTP_START:
        if (buf == RULE_BUF_HTTP_REQUEST_LINE) slot = 0;
        if (buf == RULE_BUF_HTTP_RESPONSE_LINE) slot = 1;
        if (slot ? !have_resp : !have_req) return false;
        if (!slot) {
            sb_str(&s, &tx->method);
            sb_put(&s, " ", 1);
            sb_str(&s, &tx->uri);
            if (tx->protocol.p) {
                sb_put(&s, " ", 1);
                sb_str(&s, &tx->protocol);
            }
        } else {
            sb_str(&s, &tx->resp_protocol);
            sb_put(&s, " ", 1);
            sb_str(&s, &tx->status_str);
            if (tx->status_msg.p && tx->status_msg.len) {
                sb_put(&s, " ", 1);
                sb_str(&s, &tx->status_msg);
            }
        }
        if (buf == RULE_BUF_HTTP_START) {
            sb_put(&s, "\r\n", 2);
            for (uint16_t i = 0; i < nh; i++) {
                sb_str(&s, &h[i].name);
                sb_put(&s, ": ", 2);
                sb_str(&s, &h[i].value);
                sb_put(&s, "\r\n", 2);
            }
            sb_put(&s, "\r\n", 2);
        }
        break;
    case RULE_BUF_HTTP_HEADER:
    case RULE_BUF_HTTP_HEADER_RAW:
        for (uint16_t i = 0; i < nh; i++) {
            if (buf == RULE_BUF_HTTP_HEADER && name_is(&h[i].name, slot ? "Set-Cookie" : "Cookie"))
                continue;
            sb_str(&s, &h[i].name);
            sb_put(&s, ": ", 2);
            sb_str(&s, &h[i].value);
            sb_put(&s, "\r\n", 2);
        }
        if (buf == RULE_BUF_HTTP_HEADER_RAW) sb_put(&s, "\r\n", 2);
        if (!nh) return false;
        break;
    case RULE_BUF_HTTP_HEADER_NAMES:
        if (!nh) return false;
        sb_put(&s, "\r\n", 2);
        for (uint16_t i = 0; i < nh; i++) {
            sb_str(&s, &h[i].name);
            sb_put(&s, "\r\n", 2);
        }
        sb_put(&s, "\r\n", 2);
        break;
    default:
        return false;
    }
    if (x) {
        if (!x->p) return false;
        *out = (const uint8_t *)x->p;
        *len = x->len;
        return true;
    }
    if (s.trunc) dt->ctr.buffer_truncated++;
    *out = s.p;
    *len = s.len;
    return true;
}

/* The side of the transaction a list of buffer `buf` reads when the rule is inspected in dir. */
static int buf_slot(int buf, int dir)
{
    uint8_t bd = rule_buf_info(buf)->dir;
    if (bd == 1) return 0;
    if (bd == 2) return 1;
    return dir == FLOW_TOCLIENT ? 1 : 0;
}

static bool verify_app_common(struct ectx *e, const struct de_rule *d, int dir)
{
    const struct rule *r = d->r;
    const struct flow *f = e->f;
    if (!(d->l4 & l4_class(f->proto))) return false;
    if (!ipver_ok(r, f->src.family)) return false;
    if (!hdr_flow_ok(r, f, dir)) return false;
    if (!flow_kw_ok(e, r, dir, NULL)) return false;
    if (!app_ok(d, f, e->ctx_app)) return false;
    if (r->npm && !pm_ok(r, e->p, f)) return false;
    if (d->has_events && !events_ok(e, r)) return false;
    if (d->fb_n && !flowbits_ok(e, d)) return false;
    return true;
}

/* The pkt_data list of an app rule: the payload of the packet at hand. */
static bool mixed_pkt_ok(struct ectx *e, const struct rule *r, const struct rule_buffer *b)
{
    const struct packet *p = e->p;
    if (!p || !p->payload || !p->payload_len) return false;
    struct match_buf mb = {p->payload, p->payload_len, 0};
    bool lim = false;
    bool ok = match__list(e->dt->mc, r, b, &mb, &lim);
    if (lim) e->dt->ctr.backtrack_limit++;
    return ok;
}

/* The message of one side as it went over the wire (start line, header fields, body as
 * decoded): what the payload list of an HTTP rule inspects (Suricata inspects it on the stream of
 * that direction). */
static bool http_raw_message(struct detect_thread *dt, const struct http_tx *tx, int slot,
                             const uint8_t **out, uint32_t *len)
{
    struct sb s = {dt->synth2, 0, SYNTH_MAX, false};
    const struct http_header *h = slot ? tx->resp_headers : tx->req_headers;
    uint16_t nh = slot ? tx->n_resp_headers : tx->n_req_headers;
    if (!slot) {
        if (!tx->method.p) return false;
        sb_str(&s, &tx->method);
        sb_put(&s, " ", 1);
        sb_str(&s, &tx->uri);
        if (tx->protocol.p) {
            sb_put(&s, " ", 1);
            sb_str(&s, &tx->protocol);
        }
    } else {
        if (!tx->resp_protocol.p && !tx->status_str.p) return false;
        sb_str(&s, &tx->resp_protocol);
        sb_put(&s, " ", 1);
        sb_str(&s, &tx->status_str);
        if (tx->status_msg.p && tx->status_msg.len) {
            sb_put(&s, " ", 1);
            sb_str(&s, &tx->status_msg);
        }
    }
    sb_put(&s, "\r\n", 2);
    for (uint16_t i = 0; i < nh; i++) {
        sb_str(&s, &h[i].name);
        sb_put(&s, ": ", 2);
        sb_str(&s, &h[i].value);
        sb_put(&s, "\r\n", 2);
    }
    sb_put(&s, "\r\n", 2);
    const uint8_t *body = slot ? tx->resp_body : tx->req_body;
    uint32_t bl = slot ? tx->resp_body_kept : tx->req_body_kept;
    if (body && bl) sb_put(&s, body, bl);
    if (s.trunc) dt->ctr.buffer_truncated++;
    *out = s.p;
    *len = s.len;
    return true;
}

static bool verify_http(struct ectx *e, const struct de_rule *d, int dir)
{
    const struct rule *r = d->r;
    if (!verify_app_common(e, d, dir)) return false;
    struct detect_thread *dt = e->dt;
    match__rule_begin(dt->mc);
    for (uint32_t i = 0; i < r->nbuf; i++) {
        const struct rule_buffer *b = &r->buf[i];
        const struct rule_buf_info *bi = rule_buf_info(b->id);
        if (bi->family == RULE_BF_BASE64) continue;
        const uint8_t *p;
        uint32_t len;
        if (bi->family == RULE_BF_PKT) {
            if (b->ntx || !http_raw_message(dt, e->http, dir == FLOW_TOCLIENT, &p, &len))
                return false;
            struct match_buf mb = {p, len, 0};
            bool lim = false;
            if (!match__list(dt->mc, r, b, &mb, &lim)) return false;
            continue;
        }
        if (!http_buffer(dt, e->http, b->id, buf_slot(b->id, dir), &p, &len)) return false;
        bool trunc = false;
        p = match__transform(dt->mc, 1, b, p, len, &len, &trunc);
        if (trunc) dt->ctr.buffer_truncated++;
        struct match_buf mb = {p, len, 0};
        bool lim = false;
        bool ok = match__list(dt->mc, r, b, &mb, &lim);
        if (lim) dt->ctr.backtrack_limit++;
        if (!ok) return false;
    }
    return true;
}

static void orient(const struct flow *f, int dir, const struct vg_addr **s,
                   const struct vg_addr **d)
{
    *s = dir == FLOW_TOSERVER ? &f->src : &f->dst;
    *d = dir == FLOW_TOSERVER ? &f->dst : &f->src;
}

/* ---- DNS ----------------------------------------------------------------------------------------
 */

static bool dns_list_ok(struct ectx *e, const struct rule *r, const struct rule_buffer *b)
{
    struct detect_thread *dt = e->dt;
    const struct dns_msg *m = e->dns;
    if (b->id != RULE_BUF_DNS_QUERY) return false;
    for (uint16_t q = 0; q < m->nq; q++) {
        const char *name = m->q[q].name ? m->q[q].name : "";
        uint32_t len = (uint32_t)strlen(name);
        bool trunc = false;
        const uint8_t *p = match__transform(dt->mc, 1, b, (const uint8_t *)name, len, &len, &trunc);
        struct match_buf mb = {p, len, 0};
        bool lim = false;
        bool ok = match__list(dt->mc, r, b, &mb, &lim);
        if (lim) dt->ctr.backtrack_limit++;
        if (ok) return true;
    }
    return false;
}

void detect_dns_msg(struct detect_thread *dt, struct flow *f, const struct packet *p, int dir,
                    const struct dns_msg *m, uint64_t tx_id)
{
    if (!dt || !f || !m) return;
    const struct detect_engine *de = dt->de;
    dt->ctr.dns_msgs++;
    struct ectx e;
    memset(&e, 0, sizeof e);
    e.dt = dt;
    e.f = f;
    e.p = p;
    e.dir = dir;
    e.src = DETECT_SRC_DNS;
    e.ctx_app = APP_PROTO_DNS;
    e.dns = m;
    e.tx_id = tx_id;
    /* the message's anomalies are app-layer events of the packet too (packet rules with
     * app-layer-event run after the app layer) */
    for (unsigned i = 0; i < m->nanom && p; i++)
        detect_app_anomaly(dt, p, m->anom[i]);
    if (de->has_pass) {
        const struct dflow *pdf = ectx_df(&e, false);
        if (pdf && (pdf->flags & DF_PASS)) return;
    }
    cand_begin(dt);
    for (uint32_t i = 0; i < de->ngroups; i++) {
        const struct de_group *g = &de->groups[i];
        if (g->cls != DE_C_DNS || !g->db || g->buf != RULE_BUF_DNS_QUERY) continue;
        for (uint16_t q = 0; q < m->nq; q++) {
            const char *name = m->q[q].name ? m->q[q].name : "";
            uint32_t len = (uint32_t)strlen(name);
            const uint8_t *b = (const uint8_t *)name;
            if (g->ntx) {
                struct rule_buffer rb;
                memset(&rb, 0, sizeof rb);
                rb.id = g->buf;
                rb.ntx = g->ntx;
                memcpy(rb.tx, g->tx, sizeof rb.tx);
                bool trunc = false;
                b = match__transform(dt->mc, 0, &rb, b, len, &len, &trunc);
            }
            scan(dt, g, b, len);
        }
    }
    add_always(dt, DE_A_DNS, 0);
    cand_sort(dt);
    for (uint32_t i = 0; i < dt->ncand; i++) {
        const struct de_rule *d = &de->rules[dt->cand[i]];
        if (d->kind != DE_K_DNS) continue;
        const struct rule *r = d->r;
        if (!(d->dirs & (1 << dir))) continue;
        if (!verify_app_common(&e, d, dir)) continue;
        match__rule_begin(dt->mc);
        bool ok = true;
        for (uint32_t k = 0; k < r->nbuf && ok; k++) {
            const struct rule_buffer *b = &r->buf[k];
            uint8_t fam = rule_buf_info(b->id)->family;
            if (fam == RULE_BF_BASE64) continue;
            if (fam == RULE_BF_PKT)
                ok = b->ntx == 0 && mixed_pkt_ok(&e, r, b);
            else
                ok = dns_list_ok(&e, r, b);
        }
        if (!ok) continue;
        const struct vg_addr *s, *t;
        orient(f, dir, &s, &t);
        fire(&e, d, dir, s, t);
    }
}

/* ---- TLS and SSH sessions ----------------------------------------------------------------------
 */

static bool str_buf(const char *p, size_t cap, const uint8_t **out, uint32_t *len)
{
    size_t n = strnlen(p, cap);
    if (!n) return false;
    *out = (const uint8_t *)p;
    *len = (uint32_t)n;
    return true;
}

static bool len_buf(const char *p, uint32_t n, const uint8_t **out, uint32_t *len)
{
    *out = (const uint8_t *)p;
    *len = n;
    return true;
}

/* The TLS inspection buffer `buf` of session s (side is implied by the buffer). */
static bool tls_buffer(const struct ectx *e, int buf, int slot, const uint8_t **out, uint32_t *len)
{
    const struct tls_session *s = e->tls;
    (void)slot;
    bool ch = (s->flags & TLS_SF_CLIENT_HELLO) != 0;
    bool sh = (s->flags & (TLS_SF_SERVER_HELLO | TLS_SF_HRR)) != 0;
    const struct tls_cert *c = s->server_cert;
    switch (buf) {
    case RULE_BUF_TLS_SNI:
        if (!ch || !s->ch.sni_len) return false;
        *out = (const uint8_t *)s->ch.sni;
        *len = s->ch.sni_len;
        return true;
    /* names may hold NUL bytes of their own (an attack): the stored lengths count */
    case RULE_BUF_TLS_CERT_SUBJECT:
        return c && c->subject_len && len_buf(c->subject, c->subject_len, out, len);
    case RULE_BUF_TLS_CERT_ISSUER:
        return c && c->issuer_len && len_buf(c->issuer, c->issuer_len, out, len);
    case RULE_BUF_TLS_CERT_SERIAL:
        return c && c->serial_len && len_buf(c->serial, c->serial_len, out, len);
    case RULE_BUF_TLS_CERT_FINGERPRINT:
        return c && str_buf(c->fingerprint, sizeof c->fingerprint, out, len);
    case RULE_BUF_JA3_HASH:
        return ch && str_buf(s->ch.ja3_hash, sizeof s->ch.ja3_hash, out, len);
    case RULE_BUF_JA3_STRING:
        return ch && str_buf(s->ch.ja3_str, sizeof s->ch.ja3_str, out, len);
    case RULE_BUF_JA3S_HASH:
        return sh && str_buf(s->sh.ja3s_hash, sizeof s->sh.ja3s_hash, out, len);
    case RULE_BUF_JA3S_STRING:
        return sh && str_buf(s->sh.ja3s_str, sizeof s->sh.ja3s_str, out, len);
    case RULE_BUF_JA4_HASH:
        return ch && str_buf(s->ch.ja4, sizeof s->ch.ja4, out, len);
    default:
        return false; /* tls.certs (DER) is not kept by the parser */
    }
}

/* The SSH inspection buffer: proto and software of the side the rule is inspected on (slot 0
 * client, 1 server); the hassh buffers name their side. */
static bool ssh_buffer(const struct ectx *e, int buf, int slot, const uint8_t **out, uint32_t *len)
{
    const struct ssh_session *s = e->ssh;
    const struct ssh_side *side = slot ? &s->server : &s->client;
    switch (buf) {
    case RULE_BUF_SSH_PROTO:
        return (side->flags & SSH_SIDE_BANNER) &&
               str_buf(side->proto_version, sizeof side->proto_version, out, len);
    case RULE_BUF_SSH_SOFTWARE:
        return (side->flags & SSH_SIDE_BANNER) &&
               str_buf(side->software_version, sizeof side->software_version, out, len);
    case RULE_BUF_SSH_HASSH:
        return (s->client.flags & SSH_SIDE_KEXINIT) &&
               str_buf(s->client.hassh, sizeof s->client.hassh, out, len);
    case RULE_BUF_SSH_HASSH_STRING:
        return (s->client.flags & SSH_SIDE_KEXINIT) &&
               str_buf(s->client.hassh_str, sizeof s->client.hassh_str, out, len);
    case RULE_BUF_SSH_HASSH_SERVER:
        return (s->server.flags & SSH_SIDE_KEXINIT) &&
               str_buf(s->server.hassh, sizeof s->server.hassh, out, len);
    case RULE_BUF_SSH_HASSH_SERVER_STRING:
        return (s->server.flags & SSH_SIDE_KEXINIT) &&
               str_buf(s->server.hassh_str, sizeof s->server.hassh_str, out, len);
    default:
        return false;
    }
}

typedef bool (*sess_buffer_fn)(const struct ectx *e, int buf, int slot, const uint8_t **out,
                               uint32_t *len);

static bool verify_sess(struct ectx *e, const struct de_rule *d, int dir, sess_buffer_fn get)
{
    const struct rule *r = d->r;
    if (!verify_app_common(e, d, dir)) return false;
    if (e->tls && r->tls_version >= 0 && e->tls->version != (uint16_t)r->tls_version) return false;
    struct detect_thread *dt = e->dt;
    match__rule_begin(dt->mc);
    for (uint32_t i = 0; i < r->nbuf; i++) {
        const struct rule_buffer *b = &r->buf[i];
        uint8_t fam = rule_buf_info(b->id)->family;
        if (fam == RULE_BF_BASE64) continue;
        if (fam == RULE_BF_PKT) {
            if (b->ntx || !mixed_pkt_ok(e, r, b)) return false;
            continue;
        }
        const uint8_t *p;
        uint32_t len;
        if (!get(e, b->id, buf_slot(b->id, dir), &p, &len)) return false;
        bool trunc = false;
        p = match__transform(dt->mc, 1, b, p, len, &len, &trunc);
        struct match_buf mb = {p, len, 0};
        bool lim = false;
        bool ok = match__list(dt->mc, r, b, &mb, &lim);
        if (lim) dt->ctr.backtrack_limit++;
        if (!ok) return false;
    }
    return true;
}

typedef bool (*sess_verify_fn)(struct ectx *e, const struct de_rule *d, int dir,
                               sess_buffer_fn get);

/* run_sess runs one transaction or session (HTTP, TLS, SSH) through the matcher: the prefilter on
 * every group of class `cls`, the always-checked rules, then full verification of each candidate in
 * one direction. Returns false when a pass verdict on the flow stopped it before any rule ran. */
static bool run_sess(struct ectx *e, uint8_t cls, int always, uint8_t kind, sess_buffer_fn get,
                     sess_verify_fn verify)
{
    struct detect_thread *dt = e->dt;
    const struct detect_engine *de = dt->de;
    if (de->has_pass) {
        const struct dflow *pdf = ectx_df(e, false);
        if (pdf && (pdf->flags & DF_PASS)) return false;
    }
    cand_begin(dt);
    for (uint32_t i = 0; i < de->ngroups; i++) {
        const struct de_group *g = &de->groups[i];
        if (g->cls != cls || !g->db) continue;
        const uint8_t *b;
        uint32_t len;
        if (!get(e, g->buf, g->dir, &b, &len)) continue;
        if (g->ntx) {
            struct rule_buffer rb;
            memset(&rb, 0, sizeof rb);
            rb.id = g->buf;
            rb.ntx = g->ntx;
            memcpy(rb.tx, g->tx, sizeof rb.tx);
            bool trunc = false;
            b = match__transform(dt->mc, 0, &rb, b, len, &len, &trunc);
        }
        scan(dt, g, b, len);
    }
    add_always(dt, always, 0);
    cand_sort(dt);
    for (uint32_t i = 0; i < dt->ncand; i++) {
        const struct de_rule *d = &de->rules[dt->cand[i]];
        if (d->kind != kind) continue;
        for (int dir = 0; dir < 2; dir++) {
            if (!(d->dirs & (1 << dir))) continue;
            if (!verify(e, d, dir, get)) continue;
            const struct vg_addr *s, *t;
            orient(e->f, dir, &s, &t);
            fire(e, d, dir, s, t);
            break;
        }
    }
    return true;
}

/* A TLS/SSH session reached the matcher (counted against rules that found no session). */
static void mark_sess(struct ectx *e)
{
    struct dflow *df = ectx_df(e, true);
    if (df) df->flags |= DF_SESS;
}

static bool http_sess_buffer(const struct ectx *e, int buf, int slot, const uint8_t **out,
                             uint32_t *len)
{
    return http_buffer(e->dt, e->http, buf, slot, out, len);
}

static bool verify_http_sess(struct ectx *e, const struct de_rule *d, int dir, sess_buffer_fn get)
{
    (void)get; /* verify_http reads the transaction's buffers itself */
    return verify_http(e, d, dir);
}

void detect_http_tx(struct detect_thread *dt, struct flow *f, const struct packet *p,
                    const struct http_tx *tx)
{
    if (!dt || !f || !tx) return;
    dt->ctr.http_txs++;
    struct ectx e;
    memset(&e, 0, sizeof e);
    e.dt = dt;
    e.f = f;
    e.p = p;
    e.src = DETECT_SRC_HTTP;
    e.ctx_app = APP_PROTO_HTTP;
    e.http = tx;
    e.tx_id = tx->tx_id;
    run_sess(&e, DE_C_HTTP, DE_A_HTTP, DE_K_HTTP, http_sess_buffer, verify_http_sess);
}



void detect_tls_session(struct detect_thread *dt, struct flow *f, const struct packet *p,
                        const struct tls_session *s)
{
    if (!dt || !f || !s) return;
    dt->ctr.tls_sessions++;
    struct ectx e;
    memset(&e, 0, sizeof e);
    e.dt = dt;
    e.f = f;
    e.p = p;
    e.src = DETECT_SRC_TLS;
    e.ctx_app = APP_PROTO_TLS;
    e.tls = s;
    if (run_sess(&e, DE_C_TLS, DE_A_TLS, DE_K_TLS, tls_buffer, verify_sess)) mark_sess(&e);
}

void detect_ssh_session(struct detect_thread *dt, struct flow *f, const struct packet *p,
                        const struct ssh_session *s)
{
    if (!dt || !f || !s) return;
    dt->ctr.ssh_sessions++;
    struct ectx e;
    memset(&e, 0, sizeof e);
    e.dt = dt;
    e.f = f;
    e.p = p;
    e.src = DETECT_SRC_SSH;
    e.ctx_app = APP_PROTO_SSH;
    e.ssh = s;
    if (run_sess(&e, DE_C_SSH, DE_A_SSH, DE_K_SSH, ssh_buffer, verify_sess)) mark_sess(&e);
}

/* ---- tamper -------------------------------------------------------------------------------------
 */

static bool tamper_ev_ok(const struct rule *r, const struct tamper_finding *fd)
{
    for (uint32_t i = 0; i < r->nev; i++) {
        const struct rule_event *ev = &r->ev[i];
        if (ev->kind != RULE_EV_TAMPER) continue;
        const char *cls = tamper_sig_class(fd->sig), *sub = tamper_sig_subtype(fd->sig);
        if (!cls || strcmp(cls, ev->tclass) != 0) return false;
        if (ev->tsubtype && (!sub || strcmp(sub, ev->tsubtype) != 0)) return false;
    }
    return true;
}

void detect_tamper_finding(struct detect_thread *dt, struct flow *f,
                           const struct tamper_finding *fd)
{
    if (!dt || !f || !fd) return;
    const struct detect_engine *de = dt->de;
    const struct de_list *l = &de->always[DE_A_TAMPER][0];
    if (!l->n) return;
    dt->ctr.tamper_findings++;
    struct ectx e;
    memset(&e, 0, sizeof e);
    e.dt = dt;
    e.f = f;
    e.src = DETECT_SRC_TAMPER;
    e.tamper = fd;
    e.dir = fd->dir;
    for (uint32_t i = 0; i < l->n; i++) {
        const struct de_rule *d = &de->rules[l->id[i]];
        const struct rule *r = d->r;
        if (r->nbuf || r->npm) continue;
        if (!tamper_ev_ok(r, fd)) continue;
        if (!(d->l4 & l4_class(f->proto)) || !ipver_ok(r, f->src.family)) continue;
        if (!hdr_flow_ok(r, f, fd->dir) || !flow_kw_ok(&e, r, fd->dir, NULL)) continue;
        if (!app_ok(d, f, 0)) continue;
        if (d->has_events && !events_ok(&e, r)) continue;
        if (d->fb_n && !flowbits_ok(&e, d)) continue;
        const struct vg_addr *s, *t;
        orient(f, fd->dir, &s, &t);
        fire(&e, d, fd->dir, s, t);
    }
}

/* ---- reload: per-flow state handed to the thread of a new engine ------------------------------ */

/* The flowbit names of an engine by bit number (pointers into its rules). NULL on OOM. */
static const char **fb_names(const struct detect_engine *de)
{
    const char **names = vg_calloc(de->nbits ? de->nbits : 1, sizeof *names);
    if (!names) return NULL;
    for (uint32_t i = 0; i < de->nrules; i++) {
        const struct de_rule *d = &de->rules[i];
        for (uint32_t k = 0; k < d->fb_n && k < d->r->nflowbits; k++) {
            const struct de_fb *fb = &de->fbs[d->fb_off + k];
            for (uint32_t j = 0; j < fb->n && j < d->r->flowbits[k].n; j++) {
                uint32_t id = de->fb_ids[fb->off + j];
                if (id < de->nbits && !names[id]) names[id] = d->r->flowbits[k].names[j];
            }
        }
    }
    return names;
}

int detect_thread_adopt(struct detect_thread *to, const struct detect_thread *from)
{
    if (!to || !from) return VG_OK;
    /* counters go on (alerts, inspections), except what describes the engine */
    uint64_t loaded = to->ctr.rules_loaded, failed = to->ctr.rules_failed;
    to->ctr = from->ctr;
    to->ctr.rules_loaded = loaded;
    to->ctr.rules_failed = failed;
    if (!from->slot || !to->slot) return VG_OK;
    /* old bit number -> new bit number by name (flowbits the new rules no longer use are gone) */
    uint32_t *map = vg_calloc(from->de->nbits ? from->de->nbits : 1, sizeof *map);
    const char **on = fb_names(from->de), **nn = fb_names(to->de);
    int rc = VG_OK;
    if (!map || !on || !nn) {
        rc = VG_ERR_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < from->de->nbits; i++) {
        map[i] = UINT32_MAX;
        for (uint32_t j = 0; on[i] && j < to->de->nbits; j++)
            if (nn[j] && strcmp(on[i], nn[j]) == 0) {
                map[i] = j;
                break;
            }
    }
    for (uint32_t k = 0; k <= from->slot_mask; k++) {
        if (!from->slot[k]) continue;
        const struct dflow *r = rec_at((struct detect_thread *)from, from->slot[k] - 1);
        struct dflow *n = flow_get(to, r->key);
        if (!n) continue; /* the new thread's cap: counted in flow_state_full */
        n->flags = r->flags;
        memcpy(n->tail_len, r->tail_len, sizeof n->tail_len);
        memcpy(n->tail_end, r->tail_end, sizeof n->tail_end);
        memcpy(n->tail, r->tail, sizeof n->tail);
        for (uint32_t b = 0; b < from->de->nbits; b++)
            if ((r->bits[b / 64] >> (b % 64) & 1) && map[b] != UINT32_MAX)
                n->bits[map[b] / 64] |= 1ull << (map[b] % 64);
    }
out:
    vg_free(map);
    vg_free((void *)on);
    vg_free((void *)nn);
    return rc;
}
