/* fuzz_stream.c - libFuzzer harness for TCP tracking and reassembly (src/stream/).
 *
 * Input: an 8-byte header choosing the configuration (small memcaps, retention, queue size,
 * mid-stream pick-up) and the initial sequence numbers, then records of 8 bytes each:
 *   [0] bits 0-1 flow (4 flows), bit 2 direction, bit 3 "resend the previous segment of this
 *       direction", bits 4-7 payload-length class (7: the delta is shifted left by 16 bits)
 *   [1] TCP flags
 *   [2..3] signed sequence delta from the sender's highest sequence so far
 *   [4..5] signed ACK delta from the receiver's highest sequence so far
 *   [6] payload length (scaled by the class), [7] window byte (0 = zero window) and TTL
 * followed by that many payload bytes taken from the input (a repeating pattern when it runs out
 * or for lengths above 512; a resent segment repeats its bytes exactly).
 * Invariants checked after every packet: memuse within the global cap, each flow within its cap,
 * delivered offsets continuous per flow and direction (offset == previous end + gap), result and
 * fact pointers readable over their whole lengths, fact fields consistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "stream/stream.h"
#include "stream/stream_int.h"

#define NFLOWS 4

struct track {
    struct flow *f;
    uint64_t end[2];
    uint32_t hi[2]; /* highest sequence sent per direction */
    bool seen[2];
    uint32_t last_seq[2], last_len[2];
    uint8_t last_flags[2];
    bool last_input[2]; /* the last payload came from the input (kept in last_pay) */
    uint8_t last_pay[2][512];
};

static struct stream_ctx *g_sc;
static struct track g_tr[NFLOWS];
static volatile uint8_t g_sink;

static void on_end(struct flow *f, void *ud)
{
    (void)ud;
    for (int i = 0; i < NFLOWS; i++)
        if (g_tr[i].f == f) {
            memset(g_tr[i].end, 0, sizeof g_tr[i].end);
            g_tr[i].f = NULL;
        }
    stream_flow_free(g_sc, f);
}

static void touch(const uint8_t *p, uint32_t n)
{
    uint8_t x = 0;
    for (uint32_t i = 0; i < n; i++)
        x ^= p[i];
    g_sink ^= x;
}

static void check(const struct stream_config *cfg, struct track *tr, const struct packet *p,
                  const struct stream_result *r, int dir)
{
    const struct stream_counters *c = stream_counters(g_sc);
    if (c->memuse > cfg->memcap || c->memuse_max > cfg->memcap) abort();
    if (stream__flow_memuse(tr->f) > cfg->flow_memcap) abort();
    if (r->dir != dir) abort();
    if (r->data_len || r->gap_len) {
        if (r->data_offset != tr->end[dir] + r->gap_len) abort();
        tr->end[dir] = r->data_offset + r->data_len;
    }
    if (r->data_len) {
        if (!r->data) abort();
        touch(r->data, r->data_len);
    }
    if (r->gap_len) {
        bool found = p->n_anom == VG_PKT_MAX_ANOM;
        for (unsigned i = 0; i < p->n_anom; i++)
            found |= p->anom[i] == ANOM_STREAM_SEQ_GAP;
        if (!found) abort();
    }
    if (r->n_facts > STREAM_MAX_FACTS || p->n_anom > VG_PKT_MAX_ANOM) abort();
    if (r->retransmitted > p->payload_len) abort();
    for (unsigned i = 0; i < r->n_facts; i++) {
        const struct stream_fact *f = &r->facts[i];
        if (f->dir != dir) abort();
        if (f->kind == STREAM_FACT_DATA_OVERLAP) {
            if (!f->ov_len || !f->diff_bytes || f->diff_bytes > f->ov_len) abort();
            if (f->second_data != p->payload || f->second_data_len != p->payload_len) abort();
            if (!f->first_data || !f->first_data_len) abort();
            /* The overlap lies within the held first contestant's bytes and this packet. */
            if (f->ov_seq - f->first_data_seq > f->first_data_len ||
                f->ov_seq - f->first_data_seq + f->ov_len > f->first_data_len)
                abort();
            if (f->ov_seq - f->second.seq + f->ov_len > f->second.len) abort();
            touch(f->first_data, f->first_data_len);
            touch(f->second_data, f->second_data_len);
        } else if (f->kind == STREAM_FACT_SYNACK_RACE) {
            if (f->first.seq == f->second.seq || f->first_data || f->second_data) abort();
        } else {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8) return 0;
    struct stream_config cfg;
    stream_config_default(&cfg);
    cfg.memcap = (size_t)(16 + (data[0] & 0x3f) * 16) << 10; /* 16 KiB .. 1 MiB */
    cfg.flow_memcap = (size_t)(2 + (data[1] & 0x7f)) << 10;  /* 2 .. 129 KiB */
    cfg.retain_bytes = 64u << (data[2] & 0x0f);              /* 64 B .. 2 MiB */
    cfg.max_queued_segs = data[3] & 0x1f;
    cfg.midstream = !(data[3] & 0x80);
    uint32_t isn[2];
    isn[0] = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 8 | 0xfff0u; /* near wraps, often */
    isn[1] = (uint32_t)data[6] << 24 | (uint32_t)data[7];
    data += 8;
    size -= 8;

    g_sc = stream_ctx_new(&cfg);
    struct flow_config fc;
    flow_config_default(&fc);
    fc.max_flows = 16;
    struct flow_table *ft = flow_table_new(&fc, on_end, NULL);
    if (!g_sc || !ft) abort();
    memset(g_tr, 0, sizeof g_tr);
    for (int i = 0; i < NFLOWS; i++) {
        g_tr[i].hi[0] = isn[0] + (uint32_t)i * 7919u;
        g_tr[i].hi[1] = isn[1] + (uint32_t)i * 104729u;
    }
    static uint8_t pat[70000];
    if (pat[0] == 0)
        for (unsigned i = 0; i < sizeof pat; i++)
            pat[i] = (uint8_t)(i * 13 + 7);
    static uint8_t pay[70000];

    uint64_t cnt = 0;
    while (size >= 8) {
        const uint8_t *rec = data;
        data += 8;
        size -= 8;
        int fi = rec[0] & 3, dir = (rec[0] >> 2) & 1;
        bool resend = rec[0] & 8;
        unsigned cls = rec[0] >> 4;
        struct track *tr = &g_tr[fi];
        uint8_t fl = rec[1];
        int16_t sd = (int16_t)(rec[2] | rec[3] << 8), ad = (int16_t)(rec[4] | rec[5] << 8);
        uint32_t len = rec[6];
        if (cls >= 12)
            len = len * 256 + rec[6]; /* up to 65535: offload-sized */
        else if (cls >= 8)
            len *= 16;
        uint32_t seq = tr->hi[dir] + (uint32_t)(int32_t)sd;
        if (cls == 7) seq = tr->hi[dir] + ((uint32_t)(uint16_t)sd << 16); /* far, anywhere */
        if (resend && tr->seen[dir]) {
            seq = tr->last_seq[dir];
            len = tr->last_len[dir];
            fl = tr->last_flags[dir];
        }
        /* Payload: from the input when there is enough of it, else the pattern (so that resent
         * segments usually repeat their bytes, and sometimes do not). */
        const uint8_t *pl = pat + (seq % 4096);
        bool from_input = false;
        if (resend && tr->seen[dir] && tr->last_input[dir]) {
            memcpy(pay, tr->last_pay[dir], len);
            pl = pay;
            from_input = true;
        } else if (!resend && len <= size && len <= 512) {
            memcpy(pay, data, len);
            pl = pay;
            from_input = true;
            data += len;
            size -= len;
        }
        struct packet p;
        memset(&p, 0, sizeof p);
        p.ip_ver = 4;
        struct vg_addr a = {4, {10, 0, 0, (uint8_t)(1 + fi)}}, b = {4, {10, 0, 1, 1}};
        p.src = dir ? b : a;
        p.dst = dir ? a : b;
        p.sport = dir ? 443 : (uint16_t)(50000 + fi);
        p.dport = dir ? (uint16_t)(50000 + fi) : 443;
        p.proto = 6;
        p.tcp_seq = seq;
        p.tcp_ack = tr->hi[dir ^ 1] + (uint32_t)(int32_t)ad;
        p.tcp_flags = fl;
        p.tcp_win = rec[7] & 0x80 ? (uint16_t)(rec[7] << 8) : 0;
        if (fl & VG_TCP_SYN && rec[7] & 1) {
            p.tcp_opts.has_wscale = true;
            p.tcp_opts.wscale = rec[7] >> 4;
        }
        p.ttl = rec[7];
        p.payload = len ? pl : NULL;
        p.payload_len = len;
        p.pcap_cnt = ++cnt;
        p.ts.sec = 1700000000 + (int64_t)(cnt / 1000);
        p.caplen = 54 + len;
        int fdir = -1;
        struct flow *f = flow_table_get(ft, &p, &fdir);
        if (!f) abort();
        if (tr->f != f) {
            memset(tr->end, 0, sizeof tr->end);
            tr->f = f;
        }
        struct stream_result r;
        stream_packet(g_sc, f, &p, fdir, &r);
        check(&cfg, tr, &p, &r, fdir);
        uint32_t end = seq + len + ((fl & (VG_TCP_SYN | VG_TCP_FIN)) ? 1u : 0u);
        if (SEQ_GT(end, tr->hi[dir])) tr->hi[dir] = end;
        tr->seen[dir] = true;
        tr->last_seq[dir] = seq;
        tr->last_len[dir] = len;
        tr->last_flags[dir] = fl;
        tr->last_input[dir] = from_input;
        if (from_input) memcpy(tr->last_pay[dir], pay, len);
    }
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    /* Only the pool slabs remain charged once every flow is gone. */
    const struct stream_counters *c = stream_counters(g_sc);
    if (c->memuse % sizeof(struct stream__slab) != 0) abort();
#ifdef FUZZ_STREAM_VERBOSE /* what a seed reaches: build with -DFUZZ_STREAM_VERBOSE, run on it */
    fprintf(stderr,
            "sessions %llu segs %llu retrans %llu overlaps %llu synack_races %llu gaps %llu "
            "queued %llu qfull %llu qdrops %llu memcap %llu/%llu keepalive %llu zwp %llu "
            "invalid %llu unverified %llu\n",
            (unsigned long long)c->sessions, (unsigned long long)c->segments,
            (unsigned long long)c->retransmissions, (unsigned long long)c->overlaps_different,
            (unsigned long long)c->synack_races, (unsigned long long)c->gaps,
            (unsigned long long)c->queued_segments, (unsigned long long)c->queue_full,
            (unsigned long long)c->queue_drops, (unsigned long long)c->memcap_hits,
            (unsigned long long)c->flow_memcap_hits, (unsigned long long)c->keepalives,
            (unsigned long long)c->zero_window_probes, (unsigned long long)c->invalid,
            (unsigned long long)c->unverified_bytes);
#endif
    flow_table_free(ft);
    stream_ctx_free(g_sc);
    g_sc = NULL;
    return 0;
}
