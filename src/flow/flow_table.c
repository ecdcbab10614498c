/* flow_table.c - see flow.h for the design. */
#include "flow/flow.h"

#include <stddef.h>
#include <string.h>
/* XXH3 inlined: the key is 48 bytes of fixed size, and the inlined, size-specialised hash costs
 * a fraction of the call into libxxhash (the same function, so the same values and flow ids). */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/vg_alloc.h"

#define NIL UINT32_MAX

struct slot {
    uint32_t idx; /* pool position, NIL when empty */
    uint32_t tag; /* low 32 bits of the flow hash: home slot and a cheap pre-compare */
};

struct lru {
    uint32_t head, tail;
};

struct flow_table {
    struct flow_config cfg;
    struct flow *pool;
    uint32_t free_head; /* free list through lru_next */
    uint32_t used;
    struct slot *slots;
    uint32_t mask;     /* slots in use - 1: the index grows with the flows (index_grow) */
    uint32_t max_mask; /* slots allocated - 1 */
    struct lru lru[FLOW_TC_COUNT];
    flow_end_fn on_end;
    void *ud;
    struct flow_counters ctr;
};

/* The normalised key that is hashed: lower (address, port) end first. */
struct hkey {
    uint8_t lo[16], hi[16];
    uint16_t plo, phi;
    uint8_t proto, family, vlan_cnt, pad;
    uint16_t vlan[2];
    uint32_t tunnel_id;
};

/* The key view of a packet, in packet orientation. */
struct pkey {
    const struct vg_addr *src, *dst;
    uint16_t sport, dport;
    uint8_t proto, vlan_cnt;
    uint16_t vlan[2];
    uint32_t tunnel_id;
    uint64_t vlan_tunnel; /* vlan[0], vlan[1], tunnel_id as the last word of struct hkey */
};

void flow_config_default(struct flow_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_flows = 262144;
    /* Suricata's defaults (suricata.yaml flow-timeouts). */
    cfg->timeout_s[FLOW_TC_TCP_NEW] = 60;
    cfg->timeout_s[FLOW_TC_TCP_EST] = 600;
    cfg->timeout_s[FLOW_TC_TCP_CLOSED] = 60;
    cfg->timeout_s[FLOW_TC_UDP_NEW] = 30;
    cfg->timeout_s[FLOW_TC_UDP_EST] = 300;
    cfg->timeout_s[FLOW_TC_ICMP] = 300;
    cfg->timeout_s[FLOW_TC_OTHER] = 300;
}

static bool is_icmp(uint8_t proto) { return proto == 1 || proto == 58; }

static bool icmp_is_echo(const struct packet *p)
{
    if (p->proto == 1) return p->icmp_type == 8 || p->icmp_type == 0;
    return p->icmp_type == 128 || p->icmp_type == 129;
}

/* ICMP: echo request and reply share the flow through the identifier; other messages use 0. */
static void packet_key(const struct packet *p, struct pkey *k)
{
    k->src = &p->src;
    k->dst = &p->dst;
    k->proto = p->proto;
    if (p->proto == 6 || p->proto == 17 || p->proto == 132) {
        k->sport = p->sport;
        k->dport = p->dport;
    } else if (is_icmp(p->proto) && icmp_is_echo(p)) {
        k->sport = k->dport = p->icmp_id;
    } else {
        k->sport = k->dport = 0;
    }
    k->vlan_cnt = p->vlan_cnt > 2 ? 2 : p->vlan_cnt;
    k->vlan[0] = k->vlan_cnt > 0 ? p->vlan[0] : 0;
    k->vlan[1] = k->vlan_cnt > 1 ? p->vlan[1] : 0;
    k->tunnel_id = p->tunnel_id;
    k->vlan_tunnel = k->vlan[0] | (uint64_t)k->vlan[1] << 16 | (uint64_t)k->tunnel_id << 32;
}

/* vg_addr_eq as two 64-bit compares: gcc leaves the 16-byte memcmp a library call, and this runs
 * for every packet. */
static inline bool addr_eq(const struct vg_addr *x, const struct vg_addr *y)
{
    uint64_t a[2], b[2];
    memcpy(a, x->a, 16);
    memcpy(b, y->a, 16);
    return x->family == y->family && ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

/* The sign of vg_addr_cmp (family, then memcmp of the 16 bytes) without the library call:
 * memcmp order is the order of the bytes read as big-endian words. */
static inline uint64_t be64(const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}
static inline int addr_cmp(const struct vg_addr *x, const struct vg_addr *y)
{
    if (x->family != y->family) return x->family < y->family ? -1 : 1;
    uint64_t a = be64(x->a), b = be64(y->a);
    if (a == b) {
        a = be64(x->a + 8);
        b = be64(y->a + 8);
    }
    return a < b ? -1 : a > b;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
_Static_assert(sizeof(struct hkey) == 48 && offsetof(struct hkey, plo) == 32 &&
                   offsetof(struct hkey, vlan) == 40,
               "key_hash builds struct hkey as six 64-bit words");
#endif

static uint64_t key_hash(const struct pkey *k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* The same 48 bytes as struct hkey below (so the same hash and flow ids), built as six
     * 64-bit words: the field-by-field stores of the struct made XXH3's 64-bit loads wait for
     * store forwarding, which failed (a stall of a dozen cycles per packet in the profile). */
    int c = addr_cmp(k->src, k->dst);
    bool fwd = c < 0 || (c == 0 && k->sport <= k->dport);
    const struct vg_addr *lo = fwd ? k->src : k->dst, *hi = fwd ? k->dst : k->src;
    uint64_t w[6];
    memcpy(&w[0], lo->a, 16);
    memcpy(&w[2], hi->a, 16);
    uint64_t plo = fwd ? k->sport : k->dport, phi = fwd ? k->dport : k->sport;
    w[4] = plo | phi << 16 | (uint64_t)k->proto << 32 | (uint64_t)k->src->family << 40 |
           (uint64_t)k->vlan_cnt << 48;
    w[5] = k->vlan_tunnel; /* one 64-bit store and load: the three fields loaded apart from
                            * their stores were merged by the compiler into a load that
                            * store forwarding could not serve */
    return XXH3_64bits(w, sizeof w);
#else
    struct hkey h;
    memset(&h, 0, sizeof h);
    int c = vg_addr_cmp(k->src, k->dst);
    bool fwd = c < 0 || (c == 0 && k->sport <= k->dport);
    const struct vg_addr *lo = fwd ? k->src : k->dst, *hi = fwd ? k->dst : k->src;
    memcpy(h.lo, lo->a, 16);
    memcpy(h.hi, hi->a, 16);
    h.plo = fwd ? k->sport : k->dport;
    h.phi = fwd ? k->dport : k->sport;
    h.proto = k->proto;
    h.family = k->src->family;
    h.vlan_cnt = k->vlan_cnt;
    h.vlan[0] = k->vlan[0];
    h.vlan[1] = k->vlan[1];
    h.tunnel_id = k->tunnel_id;
    return XXH3_64bits(&h, sizeof h);
#endif
}

/* Returns FLOW_TOSERVER / FLOW_TOCLIENT when the packet belongs to f, -1 otherwise. */
static int key_match(const struct flow *f, const struct pkey *k)
{
    if (f->proto != k->proto || f->vlan_cnt != k->vlan_cnt || f->vlan[0] != k->vlan[0] ||
        f->vlan[1] != k->vlan[1] || f->tunnel_id != k->tunnel_id)
        return -1;
    if (f->sport == k->sport && f->dport == k->dport && addr_eq(&f->src, k->src) &&
        addr_eq(&f->dst, k->dst))
        return FLOW_TOSERVER;
    if (f->sport == k->dport && f->dport == k->sport && addr_eq(&f->src, k->dst) &&
        addr_eq(&f->dst, k->src))
        return FLOW_TOCLIENT;
    return -1;
}

/* The index starts with this many slots and doubles whenever it would be more than half full,
 * up to 2 x max_flows. Why: every packet reads one random slot, and an index sized for the
 * memcap (4 MB by default) makes that read a cache miss even when a few thousand flows are
 * active; an index sized to the flows actually present stays in the CPU caches. It is the same
 * allocation throughout (only a prefix is in use), so growing cannot fail. */
#define INDEX_MIN_SLOTS (1u << 14)

/* Doubles the slots in use and re-inserts every flow (they are all on the LRU lists). Costs
 * O(active flows), each time the number of flows doubles. Index order is invisible outside:
 * lookups go by key, expiry and flush by the LRU lists. */
static void index_grow(struct flow_table *ft)
{
    uint32_t n = (ft->mask + 1) * 2;
    ft->mask = n - 1;
    memset(ft->slots, 0xff, (size_t)n * sizeof *ft->slots);
    for (int c = 0; c < FLOW_TC_COUNT; c++) {
        for (uint32_t idx = ft->lru[c].head; idx != NIL; idx = ft->pool[idx].lru_next) {
            struct flow *f = &ft->pool[idx];
            uint32_t i = (uint32_t)f->hash & ft->mask;
            while (ft->slots[i].idx != NIL) i = (i + 1) & ft->mask;
            ft->slots[i].idx = idx;
            ft->slots[i].tag = (uint32_t)f->hash;
            f->slot = i;
        }
    }
}

struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn on_end, void *ud)
{
    struct flow_table *ft = vg_calloc(1, sizeof *ft);
    if (!ft) return NULL;
    if (cfg)
        ft->cfg = *cfg;
    else
        flow_config_default(&ft->cfg);
    if (ft->cfg.max_flows < 16) ft->cfg.max_flows = 16;
    if (ft->cfg.max_flows > (1u << 30)) ft->cfg.max_flows = 1u << 30;
    uint32_t nslots = 1;
    while (nslots < ft->cfg.max_flows * 2u) nslots <<= 1;
    ft->max_mask = nslots - 1;
    ft->mask = (nslots < INDEX_MIN_SLOTS ? nslots : INDEX_MIN_SLOTS) - 1;
    ft->pool = vg_calloc(ft->cfg.max_flows, sizeof *ft->pool);
    ft->slots = vg_malloc((size_t)nslots * sizeof *ft->slots);
    if (!ft->pool || !ft->slots) {
        flow_table_free(ft);
        return NULL;
    }
    memset(ft->slots, 0xff, ((size_t)ft->mask + 1) * sizeof *ft->slots);
    /* The free list is threaded lazily: positions >= used were never handed out. */
    ft->free_head = NIL;
    for (int i = 0; i < FLOW_TC_COUNT; i++) ft->lru[i].head = ft->lru[i].tail = NIL;
    ft->on_end = on_end;
    ft->ud = ud;
    return ft;
}

void flow_table_free(struct flow_table *ft)
{
    if (!ft) return;
    vg_free(ft->pool);
    vg_free(ft->slots);
    vg_free(ft);
}

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
    struct lru *l = &ft->lru[f->tclass];
    if (f->lru_prev != NIL)
        ft->pool[f->lru_prev].lru_next = f->lru_next;
    else
        l->head = f->lru_next;
    if (f->lru_next != NIL)
        ft->pool[f->lru_next].lru_prev = f->lru_prev;
    else
        l->tail = f->lru_prev;
}

static void lru_append(struct flow_table *ft, struct flow *f, uint32_t idx)
{
    struct lru *l = &ft->lru[f->tclass];
    f->lru_next = NIL;
    f->lru_prev = l->tail;
    if (l->tail != NIL)
        ft->pool[l->tail].lru_next = idx;
    else
        l->head = idx;
    l->tail = idx;
}

/* Backward-shift deletion from the linear-probing index (Knuth 6.4, algorithm R). */
static void index_remove(struct flow_table *ft, uint32_t i)
{
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & ft->mask;
        if (ft->slots[j].idx == NIL) break;
        uint32_t k = ft->slots[j].tag & ft->mask;
        bool movable = (i <= j) ? (k <= i || k > j) : (k <= i && k > j);
        if (movable) {
            ft->slots[i] = ft->slots[j];
            ft->pool[ft->slots[i].idx].slot = i;
            i = j;
        }
    }
    ft->slots[i].idx = NIL;
}

static void flow_end(struct flow_table *ft, struct flow *f, int reason)
{
    uint32_t idx = (uint32_t)(f - ft->pool);
    f->end_reason = (uint8_t)reason;
    switch (reason) {
    case FLOW_END_TIMEOUT: ft->ctr.ended_timeout++; break;
    case FLOW_END_FORCED: ft->ctr.ended_forced++; break;
    case FLOW_END_SHUTDOWN: ft->ctr.ended_shutdown++; break;
    case FLOW_END_TCP_REUSE: ft->ctr.ended_tcp_reuse++; break;
    }
    if (ft->on_end) ft->on_end(f, ft->ud);
    lru_unlink(ft, f);
    index_remove(ft, f->slot);
    f->lru_next = ft->free_head;
    ft->free_head = idx;
    ft->ctr.active--;
}

static uint32_t tclass_of(const struct flow *f)
{
    if (f->proto == 6) {
        switch (f->tcp_state) {
        case FLOW_TCP_NONE:
            return f->pkts[FLOW_TOCLIENT] && f->pkts[FLOW_TOSERVER] ? FLOW_TC_TCP_EST
                                                                    : FLOW_TC_TCP_NEW;
        case FLOW_TCP_SYN_SENT:
        case FLOW_TCP_SYN_RECV: return FLOW_TC_TCP_NEW;
        case FLOW_TCP_CLOSED: return FLOW_TC_TCP_CLOSED;
        default: return FLOW_TC_TCP_EST;
        }
    }
    if (f->proto == 17)
        return f->pkts[FLOW_TOCLIENT] && f->pkts[FLOW_TOSERVER] ? FLOW_TC_UDP_EST : FLOW_TC_UDP_NEW;
    if (is_icmp(f->proto)) return FLOW_TC_ICMP;
    return FLOW_TC_OTHER;
}

static bool expired(const struct flow_table *ft, const struct flow *f, struct vg_ts now)
{
    int64_t idle = now.sec - f->last.sec - (now.nsec < f->last.nsec ? 1 : 0);
    return idle >= (int64_t)ft->cfg.timeout_s[f->tclass];
}

/* Emergency eviction: end the flow whose deadline (last + class timeout) is earliest among the
 * heads of the LRU lists. */
static bool evict_one(struct flow_table *ft)
{
    struct flow *best = NULL;
    int64_t best_deadline = 0;
    for (int c = 0; c < FLOW_TC_COUNT; c++) {
        if (ft->lru[c].head == NIL) continue;
        struct flow *f = &ft->pool[ft->lru[c].head];
        int64_t d = f->last.sec + ft->cfg.timeout_s[c];
        if (!best || d < best_deadline) {
            best = f;
            best_deadline = d;
        }
    }
    if (!best) return false;
    flow_end(ft, best, FLOW_END_FORCED);
    return true;
}

static void update_tcp_state(struct flow *f, const struct packet *p, int dir)
{
    uint8_t fl = p->tcp_flags;
    if (fl & VG_TCP_RST) {
        f->tcp_state = FLOW_TCP_CLOSED;
        return;
    }
    switch (f->tcp_state) {
    case FLOW_TCP_NONE:
        if ((fl & (VG_TCP_SYN | VG_TCP_ACK)) == VG_TCP_SYN)
            f->tcp_state = FLOW_TCP_SYN_SENT;
        else if (fl & VG_TCP_SYN)
            f->tcp_state = FLOW_TCP_SYN_RECV;
        else if (f->pkts[0] && f->pkts[1])
            f->tcp_state = FLOW_TCP_ESTABLISHED; /* picked up mid-stream, both sides talking */
        break;
    case FLOW_TCP_SYN_SENT:
        if ((fl & (VG_TCP_SYN | VG_TCP_ACK)) == (VG_TCP_SYN | VG_TCP_ACK) && dir == FLOW_TOCLIENT)
            f->tcp_state = FLOW_TCP_SYN_RECV;
        break;
    case FLOW_TCP_SYN_RECV:
        if (dir == FLOW_TOSERVER && (fl & VG_TCP_ACK) && !(fl & VG_TCP_SYN))
            f->tcp_state = FLOW_TCP_ESTABLISHED;
        break;
    default: break;
    }
    if (fl & VG_TCP_FIN) {
        bool other_fin = f->tcp_flags[dir ^ 1] & VG_TCP_FIN;
        f->tcp_state = other_fin ? FLOW_TCP_CLOSED : FLOW_TCP_FIN_WAIT1;
    }
}

static struct flow *flow_create(struct flow_table *ft, const struct packet *p, const struct pkey *k,
                                uint64_t hash)
{
    if (ft->free_head == NIL && ft->used == ft->cfg.max_flows) {
        ft->ctr.memcap_hits++;
        if (!evict_one(ft)) return NULL;
    }
    /* Keep the index at most half full, counting the new flow (before it joins an LRU list,
     * which index_grow walks). */
    if ((ft->ctr.active + 1) * 2 > (uint64_t)ft->mask + 1 && ft->mask < ft->max_mask)
        index_grow(ft);
    uint32_t idx;
    if (ft->free_head != NIL) {
        idx = ft->free_head;
        ft->free_head = ft->pool[idx].lru_next;
    } else {
        idx = ft->used++;
    }
    struct flow *f = &ft->pool[idx];
    memset(f, 0, sizeof *f);
    /* A first TCP packet with SYN+ACK comes from the server. */
    bool swap = p->proto == 6 && (p->tcp_flags & (VG_TCP_SYN | VG_TCP_ACK)) ==
                                     (VG_TCP_SYN | VG_TCP_ACK);
    f->src = swap ? *k->dst : *k->src;
    f->dst = swap ? *k->src : *k->dst;
    f->sport = swap ? k->dport : k->sport;
    f->dport = swap ? k->sport : k->dport;
    f->proto = k->proto;
    f->vlan_cnt = k->vlan_cnt;
    f->vlan[0] = k->vlan[0];
    f->vlan[1] = k->vlan[1];
    f->tunnel_id = k->tunnel_id;
    f->hash = hash;
    f->start = p->ts;
    f->last = p->ts;
    f->first_pcap_cnt = p->pcap_cnt;
    uint64_t idseed[2] = {hash, (uint64_t)p->ts.sec * 1000000000u + p->ts.nsec};
    f->flow_id = XXH3_64bits(idseed, sizeof idseed) & ((1ull << 52) - 1);
    if (is_icmp(p->proto)) {
        f->icmp_type = p->icmp_type;
        f->icmp_code = p->icmp_code;
    }
    f->tclass = FLOW_TC_OTHER; /* placed on its real list after the first update */
    lru_append(ft, f, idx);

    uint32_t i = (uint32_t)hash & ft->mask;
    while (ft->slots[i].idx != NIL) i = (i + 1) & ft->mask;
    ft->slots[i].idx = idx;
    ft->slots[i].tag = (uint32_t)hash;
    f->slot = i;

    ft->ctr.total++;
    ft->ctr.active++;
    if (ft->ctr.active > ft->ctr.active_max) ft->ctr.active_max = ft->ctr.active;
    switch (p->proto) {
    case 6: ft->ctr.tcp++; break;
    case 17: ft->ctr.udp++; break;
    case 1: ft->ctr.icmpv4++; break;
    case 58: ft->ctr.icmpv6++; break;
    default: ft->ctr.other++;
    }
    return f;
}

static struct flow *lookup(struct flow_table *ft, const struct pkey *k, uint64_t hash, int *dir)
{
    uint32_t tag = (uint32_t)hash;
    for (uint32_t i = tag & ft->mask;; i = (i + 1) & ft->mask) {
        const struct slot *s = &ft->slots[i];
        if (s->idx == NIL) return NULL;
        if (s->tag != tag) continue;
        struct flow *f = &ft->pool[s->idx];
        int d = key_match(f, k);
        if (d >= 0) {
            *dir = d;
            return f;
        }
    }
}

struct flow *flow_table_get(struct flow_table *ft, const struct packet *p, int *dir)
{
    /* No flow for non-IP, unreassembled fragments and malformed packets (junk must not fill the
     * table; Suricata does the same). */
    if (p->ip_ver == 0 || (p->flags & (VG_PKT_FRAGMENT | VG_PKT_INVALID))) {
        ft->ctr.no_flow++;
        return NULL;
    }
    struct pkey k;
    packet_key(p, &k);
    uint64_t hash = key_hash(&k);
    struct flow *f = lookup(ft, &k, hash, dir);
    if (f && expired(ft, f, p->ts)) {
        flow_end(ft, f, FLOW_END_TIMEOUT);
        f = NULL;
    } else if (f && p->proto == 6 && f->tcp_state == FLOW_TCP_CLOSED &&
               (p->tcp_flags & (VG_TCP_SYN | VG_TCP_ACK)) == VG_TCP_SYN) {
        flow_end(ft, f, FLOW_END_TCP_REUSE); /* a new connection on the same ports */
        f = NULL;
    }
    if (!f) {
        f = flow_create(ft, p, &k, hash);
        if (!f) return NULL;
        *dir = key_match(f, &k);
    }
    int d = *dir;
    f->pkts[d]++;
    f->bytes[d] += p->caplen + p->reasm_l2_len;
    if (vg_ts_cmp(p->ts, f->last) > 0) f->last = p->ts;
    if (p->proto == 6) {
        f->tcp_flags[d] |= p->tcp_flags;
        update_tcp_state(f, p, d);
    } else if (is_icmp(p->proto) && d == FLOW_TOCLIENT && !f->resp_icmp_seen) {
        f->resp_icmp_seen = true;
        f->resp_icmp_type = p->icmp_type;
        f->resp_icmp_code = p->icmp_code;
    }
    /* Move to the tail of its (possibly new) class list: most recently active. A flow that is
     * already the tail of the right list stays (same result, and no writes to its neighbours,
     * which are random other flows: cache misses). */
    uint8_t tc = (uint8_t)tclass_of(f);
    if (tc != f->tclass || f->lru_next != NIL) {
        uint32_t idx = (uint32_t)(f - ft->pool);
        lru_unlink(ft, f);
        f->tclass = tc;
        lru_append(ft, f, idx);
    }
    return f;
}

unsigned flow_table_expire(struct flow_table *ft, struct vg_ts now, unsigned budget)
{
    unsigned ended = 0;
    for (int c = 0; c < FLOW_TC_COUNT && budget; c++) {
        while (budget && ft->lru[c].head != NIL) {
            struct flow *f = &ft->pool[ft->lru[c].head];
            budget--;
            if (!expired(ft, f, now)) break;
            flow_end(ft, f, FLOW_END_TIMEOUT);
            ended++;
        }
    }
    return ended;
}

void flow_table_flush(struct flow_table *ft, int reason)
{
    for (;;) {
        struct flow *oldest = NULL;
        for (int c = 0; c < FLOW_TC_COUNT; c++) {
            if (ft->lru[c].head == NIL) continue;
            struct flow *f = &ft->pool[ft->lru[c].head];
            if (!oldest || vg_ts_cmp(f->last, oldest->last) < 0 ||
                (vg_ts_cmp(f->last, oldest->last) == 0 && f->flow_id < oldest->flow_id))
                oldest = f;
        }
        if (!oldest) return;
        flow_end(ft, oldest, reason);
    }
}

const struct flow_counters *flow_table_counters(const struct flow_table *ft) { return &ft->ctr; }

const char *flow_end_reason_str(int reason)
{
    switch (reason) {
    case FLOW_END_TIMEOUT: return "timeout";
    case FLOW_END_FORCED: return "forced";
    case FLOW_END_SHUTDOWN: return "shutdown";
    case FLOW_END_TCP_REUSE: return "tcp_reuse";
    }
    return "unknown";
}

const char *flow_state_str(const struct flow *f)
{
    if (f->proto == 6) {
        if (f->tcp_state == FLOW_TCP_CLOSED) return "closed";
        if (f->tcp_state >= FLOW_TCP_ESTABLISHED) return "established";
        if (f->tcp_state == FLOW_TCP_NONE && f->pkts[0] && f->pkts[1]) return "established";
        return "new";
    }
    return f->pkts[FLOW_TOSERVER] && f->pkts[FLOW_TOCLIENT] ? "established" : "new";
}

const char *flow_tcp_state_str(int s)
{
    static const char *const names[] = {"none",       "syn_sent", "syn_recv", "established",
                                         "fin_wait1", "closing",  "closed"};
    return s >= 0 && s <= FLOW_TCP_CLOSED ? names[s] : "none";
}
