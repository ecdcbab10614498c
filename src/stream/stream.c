/* stream.c - the stream context: configuration, counters, memory accounting, the pool of per-flow
 * TCP state, anomalies, and the read-only views (stream_dir_info, stream_counters).
 *
 * Memory: every byte the module holds is charged to the global memcap (ctx->ctr.memuse) and, when
 * it belongs to a flow, to that flow's memcap (t->memuse): the slabs of state structs, the
 * retained/queue buffers, the queue arrays and the metadata rings. A refused charge is counted and
 * degrades that flow (see stream_segments.c); nothing here ever stops the sensor.
 * The state structs come from slabs of STREAM_SLAB_ITEMS, allocated when the free list is empty
 * (amortised: one malloc per 64 flows, none per packet) and kept until stream_ctx_free, so a slab
 * stays charged to the global memcap while the ctx lives (HAProxy's pools habit).
 */
#include <string.h>

#include "core/vg_alloc.h"
#include "stream/stream_int.h"

void stream_config_default(struct stream_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->memcap = (size_t)256 << 20;
    cfg->flow_memcap = (size_t)1 << 20;
    cfg->retain_bytes = 65536;
    cfg->max_queued_segs = 256;
    cfg->midstream = true;
}

struct stream_ctx *stream_ctx_new(const struct stream_config *cfg)
{
    struct stream_ctx *ctx = vg_calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    if (cfg)
        ctx->cfg = *cfg;
    else
        stream_config_default(&ctx->cfg);
    /* Per-flow charges are kept in 32 bits; a flow must at least afford its own state. */
    if (ctx->cfg.flow_memcap > UINT32_MAX) ctx->cfg.flow_memcap = UINT32_MAX;
    if (ctx->cfg.flow_memcap < sizeof(struct stream_tcp))
        ctx->cfg.flow_memcap = sizeof(struct stream_tcp);
    if (ctx->cfg.retain_bytes > (1u << 28)) ctx->cfg.retain_bytes = 1u << 28;
    if (ctx->cfg.max_queued_segs > STREAM_QUEUE_LIMIT)
        ctx->cfg.max_queued_segs = STREAM_QUEUE_LIMIT;
    /* A direction's buffer holds the retained bytes plus what is queued beyond them; it must at
     * least take one retained window and one maximal (64 KiB) segment after it. */
    uint32_t r = ctx->cfg.retain_bytes;
    ctx->buf_max = 2 * r > r + 65536 ? 2 * r : r + 65536;
    return ctx;
}

void stream_ctx_free(struct stream_ctx *ctx)
{
    if (!ctx) return;
    struct stream__slab *s = ctx->slabs;
    while (s) {
        struct stream__slab *n = s->next;
        vg_free(s);
        s = n;
    }
    vg_free(ctx);
}

const struct stream_counters *stream_counters(const struct stream_ctx *ctx)
{
    return &ctx->ctr;
}

/* stream__add_anomaly records anomaly `id` on p once (a second overlap in the same packet is the
 * same event) and counts it; the count is kept even when p's anomaly list is full. */
void stream__add_anomaly(struct stream_ctx *ctx, struct packet *p, int id)
{
    if (id >= STREAM_ANOM_FIRST && id < STREAM_ANOM_FIRST + STREAM_ANOM_COUNT)
        ctx->ctr.anomalies[id - STREAM_ANOM_FIRST]++;
    for (unsigned i = 0; i < p->n_anom; i++)
        if (p->anom[i] == id) return;
    if (p->n_anom < VG_PKT_MAX_ANOM) p->anom[p->n_anom++] = (uint16_t)id;
}

/* stream__mem_reserve charges n bytes to the global memcap and, when t is given, to t's flow
 * memcap. Returns false (and counts the hit) when either would be exceeded; nothing is charged
 * then. */
bool stream__mem_reserve(struct stream_ctx *ctx, struct stream_tcp *t, size_t n)
{
    if (n > ctx->cfg.memcap || ctx->ctr.memuse > ctx->cfg.memcap - n) {
        ctx->ctr.memcap_hits++;
        return false;
    }
    if (t && (n > ctx->cfg.flow_memcap || t->memuse > ctx->cfg.flow_memcap - n)) {
        ctx->ctr.flow_memcap_hits++;
        return false;
    }
    ctx->ctr.memuse += n;
    if (ctx->ctr.memuse > ctx->ctr.memuse_max) ctx->ctr.memuse_max = ctx->ctr.memuse;
    if (t) t->memuse += (uint32_t)n;
    return true;
}

void stream__mem_release(struct stream_ctx *ctx, struct stream_tcp *t, size_t n)
{
    ctx->ctr.memuse -= n;
    if (t) t->memuse -= (uint32_t)n;
}

/* stream__tcp_get hands out a zeroed state struct from the pool, growing the pool by one slab
 * when it is empty and the global memcap allows. NULL when it does not. */
struct stream_tcp *stream__tcp_get(struct stream_ctx *ctx)
{
    if (!ctx->free_list) {
        if (!stream__mem_reserve(ctx, NULL, sizeof(struct stream__slab))) return NULL;
        struct stream__slab *s = vg_malloc(sizeof *s);
        if (!s) {
            stream__mem_release(ctx, NULL, sizeof(struct stream__slab));
            return NULL;
        }
        s->next = ctx->slabs;
        ctx->slabs = s;
        for (unsigned i = STREAM_SLAB_ITEMS; i-- > 0;) {
            s->items[i].pool_next = ctx->free_list;
            ctx->free_list = &s->items[i];
        }
    }
    struct stream_tcp *t = ctx->free_list;
    ctx->free_list = t->pool_next;
    memset(t, 0, sizeof *t);
    /* The struct itself counts against the flow's own cap (the slab is already charged to the
     * global one). */
    t->memuse = sizeof *t;
    return t;
}

void stream__tcp_put(struct stream_ctx *ctx, struct stream_tcp *t)
{
    t->pool_next = ctx->free_list;
    ctx->free_list = t;
}

void stream_flow_free(struct stream_ctx *ctx, struct flow *f)
{
    if (!ctx || !f || !f->tcp) return;
    stream__release_all(ctx, f->tcp);
    stream__tcp_put(ctx, f->tcp);
    f->tcp = NULL;
}

uint32_t stream__flow_memuse(const struct flow *f)
{
    return f && f->tcp ? f->tcp->memuse : 0;
}

bool stream_dir_info(const struct flow *f, int dir, struct stream_dir_info *out)
{
    memset(out, 0, sizeof *out);
    if (!f || !f->tcp || (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)) return false;
    const struct stream_tcp *t = f->tcp;
    const struct stream_half *h = &t->half[dir];
    out->isn_known = h->flags & HALF_ISN;
    out->isn = h->isn;
    out->next_seq = h->next_seq;
    out->max_seq = h->max_seq;
    out->last_ack = h->last_ack;
    out->fin_seen = h->flags & HALF_FIN;
    out->rst_seen = h->flags & HALF_RST;
    out->fin_seq = h->fin_seq;
    out->delivered = h->delivered;
    out->window_known = h->flags & HALF_WIN;
    out->window = h->win;
    out->midstream = t->flags & TCP_MIDSTREAM;
    out->offset = h->next_off;
    return true;
}
