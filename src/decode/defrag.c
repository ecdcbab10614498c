/* defrag.c - IPv4 and IPv6 fragment reassembly.
 *
 * References: RFC 791 3.2 (IPv4 fragmentation and reassembly; the key is source, destination,
 * protocol and identification), RFC 815 (hole bookkeeping), RFC 8200 4.5 (IPv6 Fragment header;
 * the key is source, destination and identification; the unfragmentable part comes from the
 * offset-0 fragment), RFC 5722 (overlapping IPv6 fragments), RFC 1858 and RFC 3128 (overlap and
 * tiny-fragment attacks).
 *
 * Policy: "first". Bytes that arrived first are kept; an overlapping fragment only fills holes.
 * Any overlap raises decoder.ipv{4,6}.frag_overlap; when the overlapping bytes differ from the
 * kept ones it also raises frag_overlap_different_data, the signal that two hosts could see two
 * different datagrams (an evasion or an in-path rewrite). The first "last fragment" (MF = 0) fixes
 * the datagram length; data beyond it from later fragments is ignored.
 *
 * Memory, all allocated by decode__defrag_new() and never per packet:
 *   - trackers: a fixed array (defrag_max_trackers) chained into a hash table by index; a new
 *     datagram with no free tracker is dropped and counted (frag_memcap_drops);
 *   - fragment data: defrag_memcap bytes cut into DEFRAG_BLK-byte blocks, a record per stored
 *     range, each record a chain of blocks; a fragment that does not fit is dropped and counted;
 *   - at most DEFRAG_MAX_RECS stored ranges per datagram (tiny-fragment floods);
 *   - untouched memory stays untouched: free lists start empty and grow from a bump index, so a
 *     32 MiB memcap costs nothing until it is used.
 * A tracker lives at most defrag_timeout_s from its first fragment (RFC 791's timer); it is dropped
 * when it is met again after that, or by decode__defrag_expire(), which visits a bounded number of
 * tracker slots per call.
 *
 * A completed datagram is built into ctx->reasm from the stored copies only, so the fragment
 * being decoded may itself live in ctx->reasm (IP fragments inside a reassembled GRE datagram).
 */
#include "decode/decode_int.h"

#include <string.h>
#include <time.h>

#include "core/vg_alloc.h"

#define DEFRAG_BLK 256u
#define DEFRAG_MAX_RECS 256u

/* A stored byte range of one datagram. Index 0 is "none" in every index field. */
struct defrag_rec {
    uint32_t next; /* next range by offset (or the free list) */
    uint32_t blk;  /* first data block */
    uint32_t off;  /* offset in the fragmentable part */
    uint32_t len;
};

struct defrag_tracker {
    uint32_t hnext; /* hash chain (or the free list) */
    uint32_t recs;  /* ranges, sorted by offset, never overlapping */
    uint32_t hdr;   /* record with the offset-0 fragment's header (IPv4) / unfragmentable part */
    uint32_t end;   /* datagram length (fragmentable part) once have_last */
    uint32_t id;
    uint32_t tunnel_id;
    struct vg_ts created;
    uint16_t vlan[VG_PKT_MAX_VLAN];
    uint16_t nrecs;
    uint16_t nh_off; /* IPv6: offset of the next-header byte naming the Fragment header */
    uint8_t family;  /* 0 = slot free */
    uint8_t proto;   /* IPv4: part of the key; IPv6: 0 */
    uint8_t nh;      /* IPv6: the offset-0 fragment's next header */
    bool have_last;
    uint8_t src[16], dst[16];
};

struct decode__defrag {
    struct defrag_tracker *trk; /* [1 .. ntrk] */
    uint32_t ntrk, trk_bump, trk_free;
    uint32_t *bucket; /* nbucket heads, 0 = empty */
    uint32_t bmask;
    struct defrag_rec *rec; /* [1 .. nblk]: every record holds >= 1 block, so nblk suffices */
    uint32_t rec_bump, rec_free;
    uint8_t *blk;       /* block b at blk + (b - 1) * DEFRAG_BLK */
    uint32_t *blk_next; /* [1 .. nblk] */
    uint32_t nblk, blk_bump, blk_free, blk_used;
    uint32_t expire_at; /* next slot decode__defrag_expire() looks at */
    uint32_t seed;
    int64_t timeout_us;
};

struct decode__defrag *decode__defrag_new(const struct decode_config *cfg)
{
    struct decode__defrag *d = vg_calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->ntrk = cfg->defrag_max_trackers;
    uint32_t nb = 1;
    while (nb < d->ntrk && nb < (1u << 30))
        nb <<= 1;
    d->bmask = nb - 1;
    size_t nblk = cfg->defrag_memcap / DEFRAG_BLK;
    if (nblk < 1) nblk = 1;
    if (nblk > UINT32_MAX / 2) nblk = UINT32_MAX / 2;
    d->nblk = (uint32_t)nblk;
    d->timeout_us = (int64_t)cfg->defrag_timeout_s * 1000000;
    /* calloc/malloc of large arrays: the kernel hands out zero pages lazily, and the bump indexes
     * mean nothing is touched before it is used. */
    d->trk = vg_calloc((size_t)d->ntrk + 1, sizeof(*d->trk));
    d->bucket = vg_calloc((size_t)nb, sizeof(*d->bucket));
    d->rec = vg_malloc(((size_t)d->nblk + 1) * sizeof(*d->rec));
    d->blk_next = vg_malloc(((size_t)d->nblk + 1) * sizeof(*d->blk_next));
    d->blk = vg_malloc((size_t)d->nblk * DEFRAG_BLK);
    if (!d->trk || !d->bucket || !d->rec || !d->blk_next || !d->blk) {
        decode__defrag_free(d);
        return NULL;
    }
    /* Hash seed: trackers are keyed by attacker-chosen values; a per-context seed keeps chains
     * from being lined up from the outside. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    d->seed = (uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)d ^ 0x9e3779b9u;
    return d;
}

void decode__defrag_free(struct decode__defrag *d)
{
    if (!d) return;
    vg_free(d->trk);
    vg_free(d->bucket);
    vg_free(d->rec);
    vg_free(d->blk_next);
    vg_free(d->blk);
    vg_free(d);
}

/* --- blocks and records ------------------------------------------------------------------ */

static uint8_t *blk_ptr(struct decode__defrag *d, uint32_t b)
{
    return d->blk + (size_t)(b - 1) * DEFRAG_BLK;
}

static uint32_t blocks_for(uint32_t len)
{
    return (len + DEFRAG_BLK - 1) / DEFRAG_BLK;
}

/* Stores len bytes (> 0) in a new record; the caller has checked that blocks and records are
 * available. */
static uint32_t rec_store(struct decode__defrag *d, const uint8_t *src, uint32_t off, uint32_t len)
{
    uint32_t r;
    if (d->rec_free) {
        r = d->rec_free;
        d->rec_free = d->rec[r].next;
    } else {
        r = ++d->rec_bump;
    }
    struct defrag_rec *rec = &d->rec[r];
    rec->next = 0;
    rec->off = off;
    rec->len = len;
    uint32_t *link = &rec->blk;
    while (len) {
        uint32_t b;
        if (d->blk_free) {
            b = d->blk_free;
            d->blk_free = d->blk_next[b];
        } else {
            b = ++d->blk_bump;
        }
        d->blk_used++;
        uint32_t n = len < DEFRAG_BLK ? len : DEFRAG_BLK;
        memcpy(blk_ptr(d, b), src, n);
        src += n;
        len -= n;
        *link = b;
        link = &d->blk_next[b];
    }
    *link = 0;
    return r;
}

static void rec_release(struct decode__defrag *d, uint32_t r)
{
    uint32_t b = d->rec[r].blk;
    while (b) {
        uint32_t nb = d->blk_next[b];
        d->blk_next[b] = d->blk_free;
        d->blk_free = b;
        d->blk_used--;
        b = nb;
    }
    d->rec[r].next = d->rec_free;
    d->rec_free = r;
}

static bool blocks_available(const struct decode__defrag *d, uint32_t n)
{
    return d->nblk - d->blk_used >= n;
}

/* The block holding byte *pos of record r; *pos becomes the offset inside it. */
static uint32_t rec_seek(const struct decode__defrag *d, uint32_t r, uint32_t *pos)
{
    uint32_t b = d->rec[r].blk;
    for (; *pos >= DEFRAG_BLK; *pos -= DEFRAG_BLK)
        b = d->blk_next[b];
    return b;
}

/* Copies n bytes of record r from byte pos to out. */
static void rec_copy(struct decode__defrag *d, uint32_t r, uint32_t pos, uint32_t n, uint8_t *out)
{
    for (uint32_t b = rec_seek(d, r, &pos); n; b = d->blk_next[b], pos = 0) {
        uint32_t k = DEFRAG_BLK - pos < n ? DEFRAG_BLK - pos : n;
        memcpy(out, blk_ptr(d, b) + pos, k);
        out += k;
        n -= k;
    }
}

/* True when n bytes of record r from byte pos equal cmp. */
static bool rec_equal(struct decode__defrag *d, uint32_t r, uint32_t pos, uint32_t n,
                      const uint8_t *cmp)
{
    for (uint32_t b = rec_seek(d, r, &pos); n; b = d->blk_next[b], pos = 0) {
        uint32_t k = DEFRAG_BLK - pos < n ? DEFRAG_BLK - pos : n;
        if (memcmp(blk_ptr(d, b) + pos, cmp, k) != 0) return false;
        cmp += k;
        n -= k;
    }
    return true;
}

/* --- trackers ---------------------------------------------------------------------------- */

struct defrag_key {
    uint8_t family, proto;
    uint16_t vlan[VG_PKT_MAX_VLAN];
    uint32_t id, tunnel_id;
    const uint8_t *src, *dst;
};

static uint32_t mix32(uint32_t h, uint32_t v)
{
    h ^= v * 0xcc9e2d51u;
    h = (h << 13) | (h >> 19);
    return h * 5 + 0xe6546b64u;
}

static uint32_t key_hash(const struct decode__defrag *d, const struct defrag_key *k)
{
    unsigned alen = k->family == 4 ? 4 : 16;
    uint32_t h = d->seed;
    for (unsigned i = 0; i < alen; i += 4) {
        uint32_t s, t;
        memcpy(&s, k->src + i, 4);
        memcpy(&t, k->dst + i, 4);
        h = mix32(mix32(h, s), t);
    }
    h = mix32(h, k->id);
    h = mix32(h, (uint32_t)k->family << 8 | (k->family == 4 ? k->proto : 0));
    h = mix32(h, (uint32_t)k->vlan[0] << 16 | k->vlan[1]);
    h = mix32(h, (uint32_t)k->vlan[2] << 16 ^ k->tunnel_id);
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return h;
}

static bool key_eq(const struct defrag_tracker *t, const struct defrag_key *k)
{
    unsigned alen = k->family == 4 ? 4 : 16;
    return t->family == k->family && t->id == k->id && t->tunnel_id == k->tunnel_id &&
           (k->family == 6 || t->proto == k->proto) && t->vlan[0] == k->vlan[0] &&
           t->vlan[1] == k->vlan[1] && t->vlan[2] == k->vlan[2] &&
           memcmp(t->src, k->src, alen) == 0 && memcmp(t->dst, k->dst, alen) == 0;
}

static uint32_t trk_bucket(const struct decode__defrag *d, const struct defrag_tracker *t)
{
    struct defrag_key k = {t->family, t->proto,     {t->vlan[0], t->vlan[1], t->vlan[2]},
                           t->id,     t->tunnel_id, t->src,
                           t->dst};
    return key_hash(d, &k) & d->bmask;
}

/* Unlinks tracker i from its chain, releases its memory and puts it on the free list. */
static void trk_drop(struct decode_ctx *ctx, uint32_t i)
{
    struct decode__defrag *d = ctx->defrag;
    struct defrag_tracker *t = &d->trk[i];
    uint32_t *link = &d->bucket[trk_bucket(d, t)];
    while (*link && *link != i)
        link = &d->trk[*link].hnext;
    if (*link == i) *link = t->hnext;
    for (uint32_t r = t->recs; r;) {
        uint32_t nr = d->rec[r].next;
        rec_release(d, r);
        r = nr;
    }
    if (t->hdr) rec_release(d, t->hdr);
    t->family = 0;
    t->hnext = d->trk_free;
    d->trk_free = i;
    ctx->cnt.frag_memuse = (uint64_t)d->blk_used * DEFRAG_BLK;
}

static bool trk_expired(const struct decode__defrag *d, const struct defrag_tracker *t,
                        struct vg_ts now)
{
    return vg_ts_diff_us(now, t->created) > d->timeout_us;
}

void decode__defrag_expire(struct decode_ctx *ctx, struct vg_ts now, unsigned budget)
{
    struct decode__defrag *d = ctx->defrag;
    if (d->trk_bump == 0) return;
    for (unsigned n = 0; n < budget && n < d->trk_bump; n++) {
        if (d->expire_at == 0 || d->expire_at > d->trk_bump) d->expire_at = 1;
        uint32_t i = d->expire_at++;
        if (d->trk[i].family && trk_expired(d, &d->trk[i], now)) {
            trk_drop(ctx, i);
            ctx->cnt.frag_timeouts++;
        }
    }
}

/* Finds the tracker for k, or makes one. 0 when none is free (counted by the caller). */
static uint32_t trk_get(struct decode_ctx *ctx, const struct defrag_key *k, struct vg_ts now)
{
    struct decode__defrag *d = ctx->defrag;
    uint32_t h = key_hash(d, k) & d->bmask;
    for (uint32_t i = d->bucket[h]; i; i = d->trk[i].hnext) {
        if (!key_eq(&d->trk[i], k)) continue;
        if (!trk_expired(d, &d->trk[i], now)) return i;
        trk_drop(ctx, i); /* a stale datagram must not absorb a new one with the same id */
        ctx->cnt.frag_timeouts++;
        break;
    }
    uint32_t i;
    if (!d->trk_free && d->trk_bump == d->ntrk) {
        /* Full: reclaim what has timed out nearby before giving up (bounded work). */
        decode__defrag_expire(ctx, now, 64);
    }
    if (d->trk_free) {
        i = d->trk_free;
        d->trk_free = d->trk[i].hnext;
    } else if (d->trk_bump < d->ntrk) {
        i = ++d->trk_bump;
    } else {
        return 0;
    }
    struct defrag_tracker *t = &d->trk[i];
    memset(t, 0, sizeof(*t));
    t->family = k->family;
    t->proto = k->proto;
    t->id = k->id;
    t->tunnel_id = k->tunnel_id;
    memcpy(t->vlan, k->vlan, sizeof(t->vlan));
    memcpy(t->src, k->src, k->family == 4 ? 4 : 16);
    memcpy(t->dst, k->dst, k->family == 4 ? 4 : 16);
    t->created = now;
    t->hnext = d->bucket[h];
    d->bucket[h] = i;
    return i;
}

/* --- insertion and completion ------------------------------------------------------------ */

struct piece {
    uint32_t off, end;
};

enum insert_result { INS_OK, INS_DROPPED };

/* Adds [off, off+len) of the fragmentable part under the "first" policy. `hdr`/`hlen` is the
 * header to keep when this is the offset-0 fragment. */
static int insert(struct decode_ctx *ctx, struct packet *p, uint32_t ti, const uint8_t *data,
                  uint32_t off, uint32_t len, bool more, const uint8_t *hdr, uint32_t hlen,
                  int anom_overlap, int anom_diff, int anom_ignored)
{
    struct decode__defrag *d = ctx->defrag;
    struct defrag_tracker *t = &d->trk[ti];
    uint32_t end = off + len;

    /* The first last-fragment fixes the length; later data beyond it is not part of the
     * datagram. */
    if (t->have_last && end > t->end) end = off < t->end ? t->end : off;

    struct piece pieces[DEFRAG_MAX_RECS + 1];
    unsigned np = 0;
    bool overlap = false, differ = false;
    uint32_t cur = off;
    for (uint32_t r = t->recs; r && cur < end; r = d->rec[r].next) {
        uint32_t rs = d->rec[r].off, re = rs + d->rec[r].len;
        if (re <= cur) continue;
        if (rs >= end) break;
        uint32_t os = rs > off ? rs : off, oe = re < end ? re : end;
        overlap = true;
        if (!differ && !rec_equal(d, r, os - rs, oe - os, data + (os - off))) differ = true;
        if (rs > cur) pieces[np++] = (struct piece){cur, rs};
        cur = re;
    }
    if (cur < end) pieces[np++] = (struct piece){cur, end};
    if (overlap) decode_add_anomaly(ctx, p, anom_overlap);
    if (differ) decode_add_anomaly(ctx, p, anom_diff);

    uint32_t need = 0;
    for (unsigned i = 0; i < np; i++)
        need += blocks_for(pieces[i].end - pieces[i].off);
    bool want_hdr = off == 0 && !t->hdr;
    if (want_hdr) need += blocks_for(hlen);
    if (t->nrecs + np > DEFRAG_MAX_RECS || !blocks_available(d, need)) {
        ctx->cnt.frag_memcap_drops++;
        decode_add_anomaly(ctx, p, anom_ignored);
        return INS_DROPPED;
    }
    if (want_hdr) t->hdr = rec_store(d, hdr, 0, hlen);
    for (unsigned i = 0; i < np; i++) {
        uint32_t nr = rec_store(d, data + (pieces[i].off - off), pieces[i].off,
                                pieces[i].end - pieces[i].off);
        uint32_t *link = &t->recs;
        while (*link && d->rec[*link].off < pieces[i].off)
            link = &d->rec[*link].next;
        d->rec[nr].next = *link;
        *link = nr;
        t->nrecs++;
    }
    if (!more && !t->have_last) {
        t->have_last = true;
        t->end = off + len;
    }
    ctx->cnt.frag_memuse = (uint64_t)d->blk_used * DEFRAG_BLK;
    return INS_OK;
}

static bool complete(const struct decode__defrag *d, const struct defrag_tracker *t)
{
    if (!t->have_last || !t->hdr) return false;
    uint32_t expect = 0;
    for (uint32_t r = t->recs; r; r = d->rec[r].next) {
        if (d->rec[r].off > expect) return false;
        uint32_t e = d->rec[r].off + d->rec[r].len;
        if (e > expect) expect = e;
        if (expect >= t->end) return true;
    }
    return expect >= t->end;
}

/* Copies the stored ranges, clipped to the datagram length, after `base` in ctx->reasm. */
static void build_payload(struct decode_ctx *ctx, const struct defrag_tracker *t, uint32_t base)
{
    struct decode__defrag *d = ctx->defrag;
    for (uint32_t r = t->recs; r; r = d->rec[r].next) {
        uint32_t ro = d->rec[r].off, rl = d->rec[r].len;
        if (ro >= t->end) break;
        if (ro + rl > t->end) rl = t->end - ro;
        rec_copy(d, r, 0, rl, ctx->reasm + base + ro);
    }
}

static void key_from_packet(struct defrag_key *k, const struct packet *p, uint8_t family,
                            uint8_t proto, uint32_t id)
{
    k->family = family;
    k->proto = proto;
    for (unsigned i = 0; i < VG_PKT_MAX_VLAN; i++)
        k->vlan[i] = i < p->vlan_cnt ? p->vlan[i] : 0;
    k->id = id;
    k->tunnel_id = p->tunnel_id;
    k->src = p->src.a;
    k->dst = p->dst.a;
}

/* Points the packet at the datagram built in ctx->reasm. */
static void switch_to_reasm(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c,
                            uint32_t hlen, uint32_t total)
{
    p->reasm_l2_len = p->l3_off; /* the completing frame's link header, counted in flow bytes */
    p->data = ctx->reasm;
    p->caplen = total;
    /* Offsets are relative to data: the link header stayed behind in p->frame. */
    p->has_eth = false;
    p->l2_off = 0;
    p->l3_off = 0;
    p->l3_len = (uint16_t)(total > 0xffff ? 0xffff : total);
    p->flags = (p->flags & ~(uint32_t)VG_PKT_FRAGMENT) | VG_PKT_REASSEMBLED;
    c->off = hlen;
    c->end = total;
    ctx->l4.l4_len = total - hlen;
}

bool decode__defrag_ipv4(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c,
                         unsigned hlen, uint32_t off, bool more)
{
    struct decode__defrag *d = ctx->defrag;
    struct defrag_key k;
    key_from_packet(&k, p, 4, p->proto, p->ip_id);
    uint32_t ti = trk_get(ctx, &k, p->ts);
    if (!ti) {
        ctx->cnt.frag_memcap_drops++;
        decode_add_anomaly(ctx, p, ANOM_IPV4_FRAG_IGNORED);
        return false;
    }
    const uint8_t *hdr = p->data + p->l3_off;
    if (insert(ctx, p, ti, p->data + c->off, off, c->end - c->off, more, hdr, hlen,
               ANOM_IPV4_FRAG_OVERLAP, ANOM_IPV4_FRAG_OVERLAP_DIFFERENT,
               ANOM_IPV4_FRAG_IGNORED) != INS_OK)
        return false;
    struct defrag_tracker *t = &d->trk[ti];
    if (!complete(d, t)) return false;

    uint32_t h = d->rec[t->hdr].len;
    uint32_t total = h + t->end;
    if (total > 65535) {
        /* Only possible when the first fragment's header is longer than the one that set the
         * length; the per-fragment check in decode_ipv4.c catches the rest. */
        decode_add_anomaly(ctx, p, ANOM_IPV4_FRAG_PKT_TOO_LARGE);
        trk_drop(ctx, ti);
        return false;
    }
    uint8_t *b = ctx->reasm;
    rec_copy(d, t->hdr, 0, h, b);
    build_payload(ctx, t, h);
    /* Total length, no MF and no offset (DF and the reserved bit kept), fresh checksum: the
     * datagram looks like one that was never fragmented. */
    b[2] = (uint8_t)(total >> 8);
    b[3] = (uint8_t)total;
    b[6] &= 0xc0;
    b[7] = 0;
    b[10] = b[11] = 0;
    uint16_t sum = (uint16_t)~decode__csum_fold(decode__csum_add(0, b, h));
    memcpy(b + 10, &sum, 2); /* host-order sum of host-order loads: store as is */
    trk_drop(ctx, ti);
    ctx->cnt.reasm_ipv4++;

    switch_to_reasm(ctx, p, c, h, total);
    p->ip_hlen = (uint16_t)h;
    p->ttl = b[8];
    p->df = (b[6] & 0x40) != 0;
    return true;
}

bool decode__defrag_ipv6(struct decode_ctx *ctx, struct packet *p, struct decode__cur *c,
                         unsigned unfrag, unsigned nh_off, uint8_t nh, uint32_t id, uint32_t off,
                         bool more)
{
    struct decode__defrag *d = ctx->defrag;
    struct defrag_key k;
    key_from_packet(&k, p, 6, 0, id);
    uint32_t ti = trk_get(ctx, &k, p->ts);
    if (!ti) {
        ctx->cnt.frag_memcap_drops++;
        decode_add_anomaly(ctx, p, ANOM_IPV6_FRAG_IGNORED);
        return false;
    }
    struct defrag_tracker *t = &d->trk[ti];
    bool had_hdr = t->hdr != 0;
    if (insert(ctx, p, ti, p->data + c->off, off, c->end - c->off, more, p->data + p->l3_off,
               unfrag, ANOM_IPV6_FRAG_OVERLAP, ANOM_IPV6_FRAG_OVERLAP_DIFFERENT,
               ANOM_IPV6_FRAG_IGNORED) != INS_OK)
        return false;
    if (!had_hdr && t->hdr) {
        /* RFC 8200 4.5: the unfragmentable part and the next header come from the offset-0
         * fragment. */
        t->nh_off = (uint16_t)nh_off;
        t->nh = nh;
    }
    if (!complete(d, t)) return false;

    uint32_t h = d->rec[t->hdr].len;
    uint32_t total = h + t->end;
    if (total - 40 > 65535) {
        decode_add_anomaly(ctx, p, ANOM_IPV6_FRAG_PKT_TOO_LARGE);
        trk_drop(ctx, ti);
        return false;
    }
    uint8_t *b = ctx->reasm;
    rec_copy(d, t->hdr, 0, h, b);
    build_payload(ctx, t, h);
    b[4] = (uint8_t)((total - 40) >> 8);
    b[5] = (uint8_t)(total - 40);
    if (t->nh_off < h) b[t->nh_off] = t->nh; /* the header that named Fragment now names nh */
    trk_drop(ctx, ti);
    ctx->cnt.reasm_ipv6++;

    switch_to_reasm(ctx, p, c, h, total);
    p->ttl = b[7];
    return true;
}
