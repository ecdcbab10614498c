/* evidence_pcap.c - per-flow evidence pcaps (contract and memory design in evidence_pcap.h).
 *
 * File format: classic libpcap (pcap-savefile(5)), written in host byte order with the
 * nanosecond magic 0xa1b23c4d, version 2.4, snaplen 262144, the flow's link type; one record per
 * kept packet in capture order: ts_sec, ts_nsec, incl_len, orig_len, then the frame bytes.
 *
 * Storage: every copy lives in a chain of fixed 2 KiB slots from one pool (slot_next[] links the
 * chain, a free list links the free slots). Look-back entries and the entries of recorded flows
 * hold the first slot of their chain; handing an entry from the look-back ring to a flow moves the
 * chain without copying.
 */
#include "output/evidence_pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

#define SLOT_SIZE 2048u
#define NO_SLOT UINT32_MAX
#define PIN_BEFORE 4 /* same-direction packets before a trigger that are pinned with it */

struct ev_pkt {
    uint64_t pcap_cnt;
    struct vg_ts ts;
    uint32_t caplen, wirelen;
    uint32_t slot; /* first slot of the copy; NO_SLOT when there are no bytes */
    int32_t linktype;
    uint32_t len; /* L4 payload bytes */
    uint16_t ip_id, window;
    uint8_t dir, ttl, proto;
    bool pinned;
    bool valid; /* the copy exists (false: dropped for want of memory) */
};

struct ev_look {
    struct ev_pkt pkt;
    const struct flow *f;
    uint64_t flow_id;
    bool used;
};

/* What the file holds of one written packet (the packets themselves are released once written):
 * for packet numbers and the report's series. */
struct ev_meta {
    uint64_t pcap_cnt;
    struct vg_ts ts;
    uint32_t len;
    uint16_t ip_id, window;
    uint8_t dir, ttl;
};

/* A recorded flow. Its file is written in pieces (evidence_flow_flush): each piece appends the
 * packets held since the last one, in packet order, and releases them; the file is finished
 * (evidence_flow_write) when the flow ends. Later packets always have higher numbers, so a packet
 * number given in an alert stays true when the file grows. */
struct ev_rec {
    const struct flow *f;
    uint64_t flow_id;
    struct ev_pkt *first, *ring, *pinned;
    struct ev_meta *meta; /* the file's packets in file order (capacity meta_cap) */
    uint32_t n_first, ring_head, n_ring, n_pinned;
    uint32_t n_meta;
    uint32_t n_file; /* packets in the file (n_meta, or more when meta ran out of room) */
    int32_t file_lt; /* the file's link type; -1 before the first piece */
    int write_rc;    /* VG_OK once a piece was written; VG_ERR_IO after a failed write */
    bool finished;   /* flow ended or final write done: no more packets */
    bool used, marked;
    uint32_t next_free;
};

struct evidence_ctx {
    struct evidence_config cfg;
    char *dir;      /* DIR */
    uint8_t *slots; /* n_slots * SLOT_SIZE */
    uint32_t *slot_next;
    uint32_t n_slots, free_head, n_free;
    struct ev_look *look;
    uint32_t look_head; /* next entry to (over)write: the oldest */
    struct ev_rec *recs;
    struct ev_pkt *rec_pkts;
    struct ev_meta *rec_meta;
    uint32_t meta_cap; /* per record */
    uint32_t *scratch; /* one record's entry positions, sorted into file order */
    uint32_t rec_free;
    uint32_t *index; /* open addressing: record number + 1, 0 = empty */
    uint32_t index_mask;
    struct evidence_counters ctr;
};

void evidence_config_default(struct evidence_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->first_n = 32;
    cfg->last_m = 64;
    cfg->pin_max = 16;
    cfg->lookback = 1024;
    cfg->max_flows = 4096;
    cfg->memcap = 64u << 20;
}

/* ---- slots ---- */

static void slots_free(struct evidence_ctx *ev, uint32_t s)
{
    while (s != NO_SLOT) {
        uint32_t nx = ev->slot_next[s];
        ev->slot_next[s] = ev->free_head;
        ev->free_head = s;
        ev->n_free++;
        ev->ctr.memuse -= SLOT_SIZE;
        s = nx;
    }
}

static void pkt_release(struct evidence_ctx *ev, struct ev_pkt *e)
{
    if (e->valid) slots_free(ev, e->slot);
    e->valid = false;
    e->slot = NO_SLOT;
}

/* Frees the oldest look-back entries until `need` slots are free (or the ring is empty). */
static void reclaim_lookback(struct evidence_ctx *ev, uint32_t need)
{
    uint32_t n = ev->cfg.lookback;
    for (uint32_t k = 0; k < n && ev->n_free < need; k++) {
        struct ev_look *l = &ev->look[(ev->look_head + k) % n];
        if (!l->used) continue;
        pkt_release(ev, &l->pkt);
        l->used = false;
    }
}

/* Copies the frame into a new slot chain; false when there is no room (counted). */
static bool pkt_copy(struct evidence_ctx *ev, struct ev_pkt *e, const uint8_t *data, uint32_t n)
{
    uint32_t need = (n + SLOT_SIZE - 1) / SLOT_SIZE;
    if (need > ev->n_free) reclaim_lookback(ev, need);
    if (need > ev->n_free) {
        ev->ctr.memcap_drops++;
        e->valid = false;
        e->slot = NO_SLOT;
        return false;
    }
    uint32_t head = NO_SLOT, prev = NO_SLOT;
    for (uint32_t i = 0; i < need; i++) {
        uint32_t s = ev->free_head;
        ev->free_head = ev->slot_next[s];
        ev->n_free--;
        ev->slot_next[s] = NO_SLOT;
        uint32_t part = n - i * SLOT_SIZE < SLOT_SIZE ? n - i * SLOT_SIZE : SLOT_SIZE;
        memcpy(ev->slots + (size_t)s * SLOT_SIZE, data + (size_t)i * SLOT_SIZE, part);
        if (prev == NO_SLOT)
            head = s;
        else
            ev->slot_next[prev] = s;
        prev = s;
    }
    ev->ctr.memuse += (uint64_t)need * SLOT_SIZE;
    if (ev->ctr.memuse > ev->ctr.memuse_max) ev->ctr.memuse_max = ev->ctr.memuse;
    e->slot = head;
    e->valid = true;
    ev->ctr.packets_copied++;
    return true;
}

/* ---- flow records and their index ---- */

static uint32_t ptr_hash(const struct flow *f)
{
    uint64_t x = (uint64_t)(uintptr_t)f;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (uint32_t)x;
}

static struct ev_rec *rec_find(const struct evidence_ctx *ev, const struct flow *f)
{
    for (uint32_t i = ptr_hash(f) & ev->index_mask;; i = (i + 1) & ev->index_mask) {
        uint32_t v = ev->index[i];
        if (!v) return NULL;
        struct ev_rec *r = &ev->recs[v - 1];
        if (r->f == f && r->flow_id == f->flow_id) return r;
    }
}

static void index_del(struct evidence_ctx *ev, uint32_t recno)
{
    uint32_t m = ev->index_mask;
    uint32_t i = ptr_hash(ev->recs[recno].f) & m;
    while (ev->index[i] != recno + 1)
        i = (i + 1) & m;
    /* backward-shift deletion: no tombstones */
    for (uint32_t j = (i + 1) & m;; j = (j + 1) & m) {
        uint32_t v = ev->index[j];
        if (!v) break;
        uint32_t home = ptr_hash(ev->recs[v - 1].f) & m;
        /* can v move to i? only if its home is not in (i, j] cyclically */
        bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            ev->index[i] = v;
            i = j;
        }
    }
    ev->index[i] = 0;
}

static void rec_push(struct evidence_ctx *ev, struct ev_rec *r, const struct ev_pkt *e)
{
    uint32_t n = ev->cfg.first_n, m = ev->cfg.last_m;
    if (r->n_first < n) {
        r->first[r->n_first++] = *e;
        return;
    }
    if (m == 0) {
        struct ev_pkt x = *e;
        if (x.pinned && r->n_pinned < ev->cfg.pin_max)
            r->pinned[r->n_pinned++] = x;
        else
            pkt_release(ev, &x);
        return;
    }
    if (r->n_ring < m) {
        r->ring[(r->ring_head + r->n_ring) % m] = *e;
        r->n_ring++;
        return;
    }
    struct ev_pkt *old = &r->ring[r->ring_head];
    if (old->pinned && old->valid && r->n_pinned < ev->cfg.pin_max) {
        r->pinned[r->n_pinned++] = *old;
    } else {
        if (old->valid) ev->ctr.ring_evictions++; /* (a written packet was released already) */
        pkt_release(ev, old);
    }
    *old = *e;
    r->ring_head = (r->ring_head + 1) % m;
}

/* Starts recording f: a free record, indexed, holding f's packets from the look-back ring. */
static struct ev_rec *rec_start(struct evidence_ctx *ev, const struct flow *f)
{
    if (ev->rec_free == UINT32_MAX) {
        ev->ctr.flow_pool_exhausted++;
        return NULL;
    }
    uint32_t no = ev->rec_free;
    struct ev_rec *r = &ev->recs[no];
    ev->rec_free = r->next_free;
    r->f = f;
    r->flow_id = f->flow_id;
    r->n_first = r->ring_head = r->n_ring = r->n_pinned = r->n_meta = r->n_file = 0;
    r->file_lt = -1;
    r->finished = r->marked = false;
    r->write_rc = VG_DECLINED;
    r->used = true;
    uint32_t i = ptr_hash(f) & ev->index_mask;
    while (ev->index[i])
        i = (i + 1) & ev->index_mask;
    ev->index[i] = no + 1;
    ev->ctr.flows_recorded++;
    /* adopt, oldest first */
    uint32_t n = ev->cfg.lookback;
    for (uint32_t k = 0; k < n; k++) {
        struct ev_look *l = &ev->look[(ev->look_head + k) % n];
        if (!l->used || l->f != f || l->flow_id != f->flow_id) continue;
        rec_push(ev, r, &l->pkt);
        l->used = false;
    }
    return r;
}

/* Pins the last `k` kept packets of direction dir (the likely first contestant of a race). */
static void pin_recent(struct evidence_ctx *ev, struct ev_rec *r, int dir, unsigned k)
{
    uint32_t m = ev->cfg.last_m;
    for (uint32_t j = r->n_ring; j > 0 && k > 0; j--) {
        struct ev_pkt *e = &r->ring[(r->ring_head + j - 1) % m];
        if (e->dir == dir) {
            e->pinned = true;
            k--;
        }
    }
    /* the first N are never evicted: nothing to pin there */
}

/* ---- public ---- */

struct evidence_ctx *evidence_ctx_new(const struct evidence_config *cfg, char *errbuf,
                                      size_t errlen)
{
    struct evidence_config def;
    if (!cfg) {
        evidence_config_default(&def);
        cfg = &def;
    }
    struct evidence_ctx *ev = vg_calloc(1, sizeof *ev);
    if (!ev) goto oom;
    ev->cfg = *cfg;
    if (ev->cfg.lookback == 0) ev->cfg.lookback = 1;
    if (ev->cfg.max_flows == 0) ev->cfg.max_flows = 1;
    ev->dir = vg_strdup(cfg->dir ? cfg->dir : ".");
    if (!ev->dir) goto oom;
    ev->cfg.dir = ev->dir;
    size_t nslots = cfg->memcap / SLOT_SIZE;
    if (nslots < 64) nslots = 64;
    if (nslots > UINT32_MAX - 1) nslots = UINT32_MAX - 1;
    ev->n_slots = (uint32_t)nslots;
    ev->slots = vg_malloc(nslots * SLOT_SIZE); /* untouched until used: mapped lazily */
    ev->slot_next = vg_malloc(nslots * sizeof *ev->slot_next);
    ev->look = vg_calloc(ev->cfg.lookback, sizeof *ev->look);
    uint32_t per = ev->cfg.first_n + ev->cfg.last_m + ev->cfg.pin_max;
    ev->recs = vg_calloc(ev->cfg.max_flows, sizeof *ev->recs);
    ev->rec_pkts = vg_calloc((size_t)ev->cfg.max_flows * per, sizeof *ev->rec_pkts);
    /* a file may be written in several pieces: room for two full records' worth of packets */
    ev->meta_cap = 2 * per;
    ev->scratch = vg_calloc(per ? per : 1, sizeof *ev->scratch);
    ev->rec_meta = vg_calloc((size_t)ev->cfg.max_flows * ev->meta_cap, sizeof *ev->rec_meta);
    uint32_t isz = 16;
    while (isz < ev->cfg.max_flows * 2u)
        isz <<= 1;
    ev->index = vg_calloc(isz, sizeof *ev->index);
    ev->index_mask = isz - 1;
    if (!ev->slots || !ev->slot_next || !ev->look || !ev->recs || !ev->rec_pkts || !ev->rec_meta || !ev->scratch ||
        !ev->index)
        goto oom;
    for (uint32_t i = 0; i < ev->n_slots; i++)
        ev->slot_next[i] = i + 1 < ev->n_slots ? i + 1 : NO_SLOT;
    ev->free_head = 0;
    ev->n_free = ev->n_slots;
    for (uint32_t i = 0; i < ev->cfg.max_flows; i++) {
        struct ev_rec *r = &ev->recs[i];
        struct ev_pkt *base = ev->rec_pkts + (size_t)i * per;
        r->first = base;
        r->ring = base + ev->cfg.first_n;
        r->pinned = base + ev->cfg.first_n + ev->cfg.last_m;
        r->meta = ev->rec_meta + (size_t)i * ev->meta_cap;
        r->next_free = i + 1 < ev->cfg.max_flows ? i + 1 : UINT32_MAX;
    }
    ev->rec_free = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/evidence", ev->dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        evidence_ctx_free(ev);
        return NULL;
    }
    return ev;
oom:
    snprintf(errbuf, errlen, "evidence: out of memory (memcap %zu bytes)", cfg->memcap);
    evidence_ctx_free(ev);
    return NULL;
}

void evidence_ctx_free(struct evidence_ctx *ev)
{
    if (!ev) return;
    vg_free(ev->slots);
    vg_free(ev->slot_next);
    vg_free(ev->look);
    vg_free(ev->recs);
    vg_free(ev->rec_pkts);
    vg_free(ev->rec_meta);
    vg_free(ev->scratch);
    vg_free(ev->index);
    vg_free(ev->dir);
    vg_free(ev);
}

static void fill_meta(struct ev_pkt *e, int dir, const struct packet *p)
{
    memset(e, 0, sizeof *e);
    e->pcap_cnt = p->pcap_cnt;
    e->ts = p->ts;
    e->caplen = p->frame ? p->frame_len : p->caplen;
    e->wirelen = p->wirelen;
    if (e->wirelen < e->caplen) e->wirelen = e->caplen;
    e->linktype = p->linktype;
    e->dir = (uint8_t)dir;
    e->ttl = p->ttl;
    e->ip_id = p->ip_id;
    e->window = p->tcp_win;
    e->proto = p->proto;
    e->len = p->payload_len;
    e->slot = NO_SLOT;
}

void evidence_packet(struct evidence_ctx *ev, const struct flow *f, int dir, const struct packet *p,
                     bool trigger)
{
    struct ev_rec *r = rec_find(ev, f);
    if (!r && trigger) r = rec_start(ev, f);
    struct ev_pkt e;
    fill_meta(&e, dir, p);
    const uint8_t *bytes = p->frame ? p->frame : p->data;
    if (r) {
        if (r->finished) return; /* a late packet after the file (cannot happen in order) */
        if (trigger) {
            pin_recent(ev, r, dir, PIN_BEFORE);
            e.pinned = true;
        }
        if (!pkt_copy(ev, &e, bytes, e.caplen)) return;
        rec_push(ev, r, &e);
        return;
    }
    struct ev_look *l = &ev->look[ev->look_head];
    if (l->used) pkt_release(ev, &l->pkt);
    l->used = false;
    if (!pkt_copy(ev, &e, bytes, e.caplen)) return;
    l->pkt = e;
    l->f = f;
    l->flow_id = f->flow_id;
    l->used = true;
    ev->look_head = (ev->look_head + 1) % ev->cfg.lookback;
}

void evidence_trigger(struct evidence_ctx *ev, const struct flow *f)
{
    if (!rec_find(ev, f)) rec_start(ev, f);
}

void evidence_mark(struct evidence_ctx *ev, const struct flow *f)
{
    struct ev_rec *r = rec_find(ev, f);
    if (!r) r = rec_start(ev, f);
    if (r) r->marked = true;
}

/* Entry number k of a record: first[], then ring[] oldest first, then pinned[]. */
static struct ev_pkt *entry_at(const struct evidence_ctx *ev, const struct ev_rec *r, uint32_t k)
{
    if (k < r->n_first) return &r->first[k];
    k -= r->n_first;
    if (k < r->n_ring) return &r->ring[(r->ring_head + k) % ev->cfg.last_m];
    k -= r->n_ring;
    return &r->pinned[k];
}

struct sort_arg {
    const struct evidence_ctx *ev;
    const struct ev_rec *r;
};

static int order_cmp(const void *a, const void *b, void *arg)
{
    const struct sort_arg *sa = arg;
    uint64_t x = entry_at(sa->ev, sa->r, *(const uint32_t *)a)->pcap_cnt;
    uint64_t y = entry_at(sa->ev, sa->r, *(const uint32_t *)b)->pcap_cnt;
    return x < y ? -1 : x > y;
}

static void put_u32(uint8_t *b, uint32_t v)
{
    memcpy(b, &v, 4);
}
static void put_u16(uint8_t *b, uint16_t v)
{
    memcpy(b, &v, 2);
}

/* Appends the packets order[0..n) to the file (creating it with its header on the first piece). */
static int write_piece(struct evidence_ctx *ev, struct ev_rec *r, const uint32_t *order, uint32_t n)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/evidence/%llu.pcap", ev->dir, (unsigned long long)r->flow_id);
    bool create = r->write_rc != VG_OK;
    FILE *fp = fopen(path, create ? "wb" : "ab");
    if (!fp) return VG_ERR_IO;
    bool ok = true;
    if (create) {
        uint8_t h[24];
        put_u32(h, 0xa1b23c4du);
        put_u16(h + 4, 2);
        put_u16(h + 6, 4);
        put_u32(h + 8, 0);
        put_u32(h + 12, 0);
        put_u32(h + 16, 262144);
        put_u32(h + 20, (uint32_t)r->file_lt);
        ok = fwrite(h, 1, sizeof h, fp) == sizeof h;
    }
    for (uint32_t i = 0; ok && i < n; i++) {
        const struct ev_pkt *e = entry_at(ev, r, order[i]);
        uint8_t rh[16];
        put_u32(rh, (uint32_t)e->ts.sec);
        put_u32(rh + 4, e->ts.nsec);
        put_u32(rh + 8, e->caplen);
        put_u32(rh + 12, e->wirelen);
        ok = fwrite(rh, 1, sizeof rh, fp) == sizeof rh;
        uint32_t left = e->caplen;
        for (uint32_t s = e->slot; ok && left; s = ev->slot_next[s]) {
            uint32_t part = left < SLOT_SIZE ? left : SLOT_SIZE;
            ok = fwrite(ev->slots + (size_t)s * SLOT_SIZE, 1, part, fp) == part;
            left -= part;
        }
    }
    if (fclose(fp) != 0) ok = false;
    return ok ? VG_OK : VG_ERR_IO;
}

/* Writes the packets held since the last piece, in packet order, then releases them. One link type
 * per file: the first written packet's; others are left out (counted). */
static int flush_rec(struct evidence_ctx *ev, struct ev_rec *r)
{
    if (r->write_rc == VG_ERR_IO) return r->write_rc; /* a broken file is not patched up */
    uint32_t total = r->n_first + r->n_ring + r->n_pinned;
    uint32_t *order = ev->scratch; /* room for first_n + last_m + pin_max entries */
    uint32_t n = 0;
    for (uint32_t k = 0; k < total; k++) {
        struct ev_pkt *e = entry_at(ev, r, k);
        if (!e->valid) continue;
        if (r->file_lt < 0) r->file_lt = e->linktype;
        if (e->linktype != r->file_lt) {
            ev->ctr.linktype_skipped++;
            pkt_release(ev, e);
            continue;
        }
        order[n++] = k;
    }
    if (n == 0) return r->write_rc;
    struct sort_arg sa = {ev, r};
    qsort_r(order, n, sizeof *order, order_cmp, &sa);
    bool first_piece = r->write_rc != VG_OK;
    int rc = write_piece(ev, r, order, n);
    if (rc == VG_OK) {
        if (first_piece) ev->ctr.files_written++;
        for (uint32_t i = 0; i < n; i++) {
            struct ev_pkt *e = entry_at(ev, r, order[i]);
            if (r->n_meta < ev->meta_cap)
                r->meta[r->n_meta++] = (struct ev_meta){e->pcap_cnt, e->ts, e->len, e->ip_id,
                                                        e->window, e->dir, e->ttl};
            r->n_file++;
        }
    } else {
        ev->ctr.file_errors++;
    }
    for (uint32_t i = 0; i < n; i++)
        pkt_release(ev, entry_at(ev, r, order[i]));
    r->write_rc = rc;
    return rc;
}

int evidence_flow_flush(struct evidence_ctx *ev, const struct flow *f)
{
    struct ev_rec *r = rec_find(ev, f);
    if (!r) r = rec_start(ev, f); /* a finding without a trigger: whatever look-back holds */
    if (!r) return VG_DECLINED;
    if (r->finished) return r->write_rc;
    return flush_rec(ev, r);
}

int evidence_flow_write(struct evidence_ctx *ev, const struct flow *f)
{
    struct ev_rec *r = rec_find(ev, f);
    if (!r) r = rec_start(ev, f);
    if (!r) return VG_DECLINED;
    if (r->finished) return r->write_rc;
    flush_rec(ev, r);
    r->finished = true;
    return r->write_rc;
}

int evidence_frames_write(struct evidence_ctx *ev, const char *name, int linktype,
                          const struct evidence_frame *fr, unsigned n)
{
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_') || c - name >= 48) {
            ev->ctr.file_errors++;
            return VG_ERR_IO;
        }
    char path[4300];
    snprintf(path, sizeof path, "%s/evidence/%s.pcap", ev->dir, name);
    FILE *fp = fopen(path, "wb");
    bool ok = fp != NULL;
    uint8_t h[24];
    put_u32(h, 0xa1b23c4du);
    put_u16(h + 4, 2);
    put_u16(h + 6, 4);
    put_u32(h + 8, 0);
    put_u32(h + 12, 0);
    put_u32(h + 16, 262144);
    put_u32(h + 20, (uint32_t)linktype);
    if (ok) ok = fwrite(h, 1, sizeof h, fp) == sizeof h;
    for (unsigned i = 0; ok && i < n; i++) {
        uint8_t rh[16];
        put_u32(rh, (uint32_t)fr[i].ts.sec);
        put_u32(rh + 4, fr[i].ts.nsec);
        put_u32(rh + 8, fr[i].caplen);
        put_u32(rh + 12, fr[i].wirelen);
        ok = fwrite(rh, 1, sizeof rh, fp) == sizeof rh &&
             fwrite(fr[i].data, 1, fr[i].caplen, fp) == fr[i].caplen;
    }
    if (fp && fclose(fp) != 0) ok = false;
    if (ok)
        ev->ctr.files_written++;
    else
        ev->ctr.file_errors++;
    return ok ? VG_OK : VG_ERR_IO;
}

const char *evidence_dir(const struct evidence_ctx *ev)
{
    return ev ? ev->dir : "";
}

static const struct ev_rec *written_rec(const struct evidence_ctx *ev, const struct flow *f)
{
    const struct ev_rec *r = rec_find(ev, f);
    return r && r->write_rc == VG_OK ? r : NULL;
}

uint32_t evidence_packet_number(const struct evidence_ctx *ev, const struct flow *f,
                                uint64_t pcap_cnt)
{
    const struct ev_rec *r = written_rec(ev, f);
    if (!r || pcap_cnt == 0) return 0;
    for (uint32_t i = 0; i < r->n_meta; i++)
        if (r->meta[i].pcap_cnt == pcap_cnt) return i + 1;
    return 0;
}

void evidence_put_json(const struct evidence_ctx *ev, const struct flow *f, struct jw *w,
                       const uint64_t *pcap_cnt, unsigned n)
{
    const struct ev_rec *r = written_rec(ev, f);
    if (!r) return;
    char rel[64];
    snprintf(rel, sizeof rel, "evidence/%llu.pcap", (unsigned long long)f->flow_id);
    jw_obj_open(w, "evidence");
    jw_str(w, "pcap", rel);
    jw_arr_open(w, "packets");
    for (unsigned i = 0; i < n; i++) {
        uint32_t k = evidence_packet_number(ev, f, pcap_cnt[i]);
        if (k)
            jw_uint(w, NULL, k);
        else
            jw_null(w, NULL);
    }
    jw_arr_close(w);
    jw_uint(w, "packets_in_file", r->n_file);
    jw_uint(w, "flow_packets", f->pkts[0] + f->pkts[1]);
    jw_obj_close(w);
}

void evidence_put_series(const struct evidence_ctx *ev, const struct flow *f, struct jw *w, int dir)
{
    const struct ev_rec *r = written_rec(ev, f);
    if (!r) return;
    static const char *const keys[] = {"pcap_cnt", "t_us", "ttl", "ip_id", "window", "len"};
    bool tcp = f->proto == 6;
    jw_obj_open(w, "series");
    jw_str(w, "direction", dir == FLOW_TOSERVER ? "to_server" : "to_client");
    for (unsigned k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (k == 4 && !tcp) continue;
        jw_arr_open(w, keys[k]);
        for (uint32_t i = 0; i < r->n_meta; i++) {
            const struct ev_meta *e = &r->meta[i];
            if (e->dir != dir) continue;
            switch (k) {
            case 0:
                jw_uint(w, NULL, e->pcap_cnt);
                break;
            case 1:
                jw_int(w, NULL, vg_ts_diff_us(e->ts, f->start));
                break;
            case 2:
                jw_uint(w, NULL, e->ttl);
                break;
            case 3:
                jw_uint(w, NULL, e->ip_id);
                break;
            case 4:
                jw_uint(w, NULL, e->window);
                break;
            default:
                jw_uint(w, NULL, e->len);
                break;
            }
        }
        jw_arr_close(w);
    }
    jw_obj_close(w);
}

void evidence_flow_end(struct evidence_ctx *ev, const struct flow *f)
{
    struct ev_rec *r = rec_find(ev, f);
    if (!r) return;
    if (r->marked || r->write_rc == VG_OK) evidence_flow_write(ev, f); /* the rest of a started file */
    uint32_t total = r->n_first + r->n_ring + r->n_pinned;
    for (uint32_t k = 0; k < total; k++)
        pkt_release(ev, entry_at(ev, r, k));
    uint32_t no = (uint32_t)(r - ev->recs);
    index_del(ev, no);
    r->used = false;
    r->f = NULL;
    r->next_free = ev->rec_free;
    ev->rec_free = no;
}

const struct evidence_counters *evidence_counters(const struct evidence_ctx *ev)
{
    return &ev->ctr;
}

void evidence_counters_json(const struct evidence_ctx *ev, struct jw *w, const char *key)
{
    evidence_counters_json_c(&ev->ctr, w, key);
}

void evidence_counters_json_c(const struct evidence_counters *c, struct jw *w, const char *key)
{
    jw_obj_open(w, key);
    jw_uint(w, "flows_recorded", c->flows_recorded);
    jw_uint(w, "flow_pool_exhausted", c->flow_pool_exhausted);
    jw_uint(w, "files_written", c->files_written);
    jw_uint(w, "file_errors", c->file_errors);
    jw_uint(w, "packets_copied", c->packets_copied);
    jw_uint(w, "memcap_drops", c->memcap_drops);
    jw_uint(w, "ring_evictions", c->ring_evictions);
    jw_uint(w, "linktype_skipped", c->linktype_skipped);
    jw_uint(w, "memuse_max", c->memuse_max);
    jw_obj_close(w);
}
