/* tamper.c - the tamper module's context, its pools, the per-packet dispatch and the findings.
 *
 * Per TCP packet: the sender's baseline counts the packet (tamper_baseline.c), the forged-RST
 * rules look at it (tamper_reset.c), the race detectors read the stream's facts (tamper_race.c,
 * and tamper_http.c for overlaps between two HTTP responses), then the per-direction sequence
 * state moves on and the findings already held for this flow learn the packet (the IP ID that
 * follows a contestant).
 * Per UDP packet of a DNS flow: the sender's baseline counts it (the resolver's TTL, IP ID and DF
 * are what a dns_race contestant is judged against), a dns_race finding waiting for this packet
 * learns its direction (tamper_dns.c), and the held findings learn the packet.
 *
 * Findings: one per signature (class, subtype) per flow, with a repeat count; the first occurrence
 * is reported. They are judged (verdicts, confidence) and emitted when the flow ends.
 *
 * Memory (STYLE habit 7): two pools allocated once in tamper_ctx_new - per-flow state and finding
 * slots (each slot holds two payload copies of up to TAMPER_PAYLOAD_MAX bytes). Both are handed out
 * by a high-water mark plus a free list, so untouched entries cost no resident memory. Exhaustion
 * is counted and the flow or the finding goes without; it never stops the sensor.
 */
#include "tamper/tamper.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "core/vg_alloc.h"
#include "tamper/tamper_int.h"

/* ---- signature table ----------------------------------------------------------------------- */

static const struct {
    uint32_t sid, rev;
    const char *cls, *sub, *msg;
    int sev;
} sigs[TAMPER_SIG_COUNT] = {
#define TAMPER_SIG_ROW(id, sid, rev, cls, sub, sev, msg) {sid, rev, cls, sub, msg, sev},
    TAMPER_SIG_MAP(TAMPER_SIG_ROW)
#undef TAMPER_SIG_ROW
};

static bool sig_ok(int sig)
{
    return sig >= 0 && sig < TAMPER_SIG_COUNT;
}
uint32_t tamper_sig_sid(int sig)
{
    return sig_ok(sig) ? sigs[sig].sid : 0;
}
uint32_t tamper_sig_rev(int sig)
{
    return sig_ok(sig) ? sigs[sig].rev : 0;
}
const char *tamper_sig_class(int sig)
{
    return sig_ok(sig) ? sigs[sig].cls : "";
}
const char *tamper_sig_subtype(int sig)
{
    return sig_ok(sig) ? sigs[sig].sub : "";
}
int tamper_sig_severity(int sig)
{
    return sig_ok(sig) ? sigs[sig].sev : 0;
}
const char *tamper_sig_msg(int sig)
{
    return sig_ok(sig) ? sigs[sig].msg : "";
}

const char *tamper_verdict_str(int verdict)
{
    switch (verdict) {
    case TAMPER_VERDICT_GENUINE:
        return "genuine";
    case TAMPER_VERDICT_FORGED:
        return "forged";
    default:
        return "unknown";
    }
}

const char *tamper_field_name(unsigned bit_index)
{
    static const char *const names[] = {
#define TAMPER_FIELD_NAME(id, bit, name) name,
        TAMPER_FIELD_MAP(TAMPER_FIELD_NAME)
#undef TAMPER_FIELD_NAME
    };
    return bit_index < sizeof names / sizeof names[0] ? names[bit_index] : "";
}

/* RFC 9293 section 3.1 and the IANA TCP option registry. */
static const char *opt_name(uint8_t kind)
{
    switch (kind) {
    case 0:
        return "EOL";
    case 1:
        return "NOP";
    case 2:
        return "MSS";
    case 3:
        return "WS";
    case 4:
        return "SACK_PERM";
    case 5:
        return "SACK";
    case 8:
        return "TS";
    case 19:
        return "MD5";
    case 28:
        return "UTO";
    case 29:
        return "AO";
    case 30:
        return "MPTCP";
    case 34:
        return "TFO";
    default:
        return NULL;
    }
}

const char *tamper_options_str(const uint8_t *layout, unsigned len, char *buf, unsigned n)
{
    unsigned pos = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < len && i < 16; i++) {
        char tmp[12];
        const char *name = opt_name(layout[i]);
        if (!name) {
            snprintf(tmp, sizeof tmp, "OPT%u", layout[i]);
            name = tmp;
        }
        size_t l = strlen(name) + (i ? 1 : 0);
        if (pos + l + 1 > n) break;
        if (i) buf[pos++] = ',';
        memcpy(buf + pos, name, strlen(name));
        pos += (unsigned)strlen(name);
        buf[pos] = '\0';
    }
    return buf;
}

/* ---- context and pools --------------------------------------------------------------------- */

void tamper_config_default(struct tamper_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_flows = 65536;
    cfg->max_findings = 4096;
    cfg->race_window_ms = 1000;
    cfg->reorder_ms = 200;
    cfg->max_dns_flows = 16384;
    cfg->min_confidence = 0;
    cfg->max_hosts = 4096;
    cfg->host_age_s = 900;
    cfg->lan_max_bindings = 4096;
    cfg->lan_max_macs = 4096;
}

struct tamper_ctx *tamper_ctx_new_with(const struct tamper_config *cfg)
{
    struct tamper_ctx *ctx = vg_calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    if (cfg)
        ctx->cfg = *cfg;
    else
        tamper_config_default(&ctx->cfg);
    if (!ctx->cfg.max_flows) ctx->cfg.max_flows = 1;
    if (!ctx->cfg.max_findings) ctx->cfg.max_findings = 1;
    ctx->flows = vg_calloc(ctx->cfg.max_flows, sizeof *ctx->flows);
    ctx->slots = vg_calloc(ctx->cfg.max_findings, sizeof *ctx->slots);
    if (!ctx->cfg.host_age_s) ctx->cfg.host_age_s = 900;
    ctx->lan = tamper__lan_new(&ctx->cfg);
    if (!ctx->flows || !ctx->slots || !ctx->lan ||
        tamper__hosts_init(&ctx->hosts, ctx->cfg.max_hosts) != 0) {
        tamper_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

struct tamper_ctx *tamper_ctx_new(void)
{
    return tamper_ctx_new_with(NULL);
}

void tamper_ctx_free(struct tamper_ctx *ctx)
{
    if (!ctx) return;
    vg_free(ctx->flows);
    vg_free(ctx->slots);
    tamper__hosts_free(&ctx->hosts);
    tamper__lan_free(ctx->lan);
    vg_free(ctx);
}

const struct tamper_counters *tamper_counters(const struct tamper_ctx *ctx)
{
    return &ctx->cnt;
}

static struct tamper_flow *flow_get(struct tamper_ctx *ctx)
{
    uint32_t idx;
    if (ctx->flows_free) {
        idx = ctx->flows_free - 1;
        ctx->flows_free = ctx->flows[idx].next_free;
    } else if (ctx->flows_hw < ctx->cfg.max_flows) {
        idx = ctx->flows_hw++;
    } else {
        return NULL;
    }
    struct tamper_flow *tf = &ctx->flows[idx];
    memset(tf, 0, sizeof *tf);
    tamper__base_init(&tf->d[0].b);
    tamper__base_init(&tf->d[1].b);
    return tf;
}

static void flow_put(struct tamper_ctx *ctx, struct tamper_flow *tf)
{
    uint32_t idx = (uint32_t)(tf - ctx->flows);
    if (tf->udp_dns && ctx->dns_flows) ctx->dns_flows--;
    tf->next_free = ctx->flows_free;
    ctx->flows_free = idx + 1;
}

static struct tamper__slot *slot_get(struct tamper_ctx *ctx, uint32_t *idx_out)
{
    uint32_t idx;
    if (ctx->slots_free) {
        idx = ctx->slots_free - 1;
        ctx->slots_free = ctx->slots[idx].next_free;
    } else if (ctx->slots_hw < ctx->cfg.max_findings) {
        idx = ctx->slots_hw++;
    } else {
        return NULL;
    }
    *idx_out = idx;
    return &ctx->slots[idx];
}

static void slot_put(struct tamper_ctx *ctx, uint32_t idx)
{
    ctx->slots[idx].next_free = ctx->slots_free;
    ctx->slots_free = idx + 1;
}

/* ---- findings ------------------------------------------------------------------------------ */

struct tamper__slot *tamper__finding(struct tamper_ctx *ctx, struct flow *f, int sig, int dir)
{
    struct tamper_flow *tf = f->tamper;
    if (!tf || !sig_ok(sig)) return NULL;
    if (tf->slot[sig]) {
        ctx->slots[tf->slot[sig] - 1].fd.count++;
        ctx->cnt.repeats++;
        return NULL;
    }
    uint32_t idx;
    struct tamper__slot *s = slot_get(ctx, &idx);
    if (!s) {
        ctx->cnt.finding_pool_exhausted++;
        return NULL;
    }
    /* Clear all but the payload buffers (only their first payload_len bytes are ever read). */
    for (int i = 0; i < 2; i++)
        memset(&s->fd.c[i], 0, offsetof(struct tamper_contestant, payload));
    s->fd.sig = sig;
    s->fd.dir = dir;
    s->fd.count = 1;
    s->fd.confidence = 0;
    s->fd.ov_seq = s->fd.ov_len = s->fd.diff_bytes = 0;
    memset(&s->fd.baseline, 0, sizeof s->fd.baseline);
    s->fd.n_reasons = 0;
    memset(&s->fd.dns, 0, sizeof s->fd.dns);
    s->fd.n_contestants = 0;
    memset(&s->fd.host, 0, sizeof s->fd.host);
    memset(&s->fd.redirect, 0, sizeof s->fd.redirect);
    memset(&s->pd, 0, sizeof s->pd);
    s->pd.dir = dir;
    s->pd.score_cap = 95;
    tf->slot[sig] = idx + 1;
    return s;
}

void tamper__finding_drop(struct tamper_ctx *ctx, struct flow *f, int sig)
{
    struct tamper_flow *tf = f->tamper;
    if (!tf || !sig_ok(sig) || !tf->slot[sig]) return;
    slot_put(ctx, tf->slot[sig] - 1);
    tf->slot[sig] = 0;
}

bool tamper_take_trigger(struct tamper_ctx *ctx)
{
    if (!ctx || !ctx->trigger) return false;
    ctx->trigger = false;
    return true;
}

void tamper__reason(struct tamper_finding *fd, const char *fmt, ...)
{
    if (fd->n_reasons >= TAMPER_MAX_REASONS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fd->reasons[fd->n_reasons], TAMPER_REASON_LEN, fmt, ap);
    va_end(ap);
    fd->n_reasons++;
}

void tamper__pkt_from_packet(struct tamper__pkt *m, const struct packet *p)
{
    memset(m, 0, sizeof *m);
    m->pcap_cnt = p->pcap_cnt;
    m->ts = p->ts;
    m->seq = p->tcp_seq;
    m->ack = p->tcp_ack;
    m->len = p->payload_len;
    m->ttl = p->ttl;
    m->tcp_flags = p->tcp_flags;
    m->ip_id = p->ip_id;
    m->window = p->tcp_win;
    m->df = p->df;
    m->opts = p->tcp_opts;
}

void tamper__contestant_from_pkt(struct tamper_contestant *c, const struct tamper__pkt *m)
{
    c->pcap_cnt = m->pcap_cnt;
    c->ts = m->ts;
    c->seq = m->seq;
    c->ack = m->ack;
    c->len = m->len;
    c->ttl = m->ttl;
    c->tcp_flags = m->tcp_flags;
    c->ip_id = m->ip_id;
    c->window = m->window;
    c->df = m->df;
    c->opts = m->opts;
    c->payload_len = 0;
    c->payload_seq = m->seq;
    c->payload_truncated = m->len > 0;
}

void tamper__contestant_from_meta(struct tamper_contestant *c, const struct stream_seg_meta *m)
{
    c->pcap_cnt = m->pcap_cnt;
    c->ts = m->ts;
    c->seq = m->seq;
    c->ack = 0;
    c->len = m->len;
    c->ttl = m->ttl;
    c->tcp_flags = m->tcp_flags;
    c->ip_id = m->ip_id;
    c->window = m->window;
    c->df = m->df;
    c->opts = m->opts;
    c->payload_len = 0;
    c->payload_seq = m->seq;
    c->payload_truncated = m->len > 0;
}

void tamper__contestant_payload(struct tamper_contestant *c, const uint8_t *data, uint32_t len,
                                uint32_t seq)
{
    uint32_t n = len > TAMPER_PAYLOAD_MAX ? TAMPER_PAYLOAD_MAX : len;
    if (!data) n = 0;
    if (n) memcpy(c->payload, data, n);
    c->payload_len = n;
    c->payload_seq = seq;
    c->payload_truncated = n < c->len || (n && seq != c->seq);
}

/* ---- per packet ---------------------------------------------------------------------------- */

/* The sequence state that the detectors read as "before this packet" moves on last. */
static void dir_advance(struct tamper__dir *d, const struct packet *p)
{
    if (!(p->tcp_flags & VG_TCP_RST)) {
        uint32_t end = p->tcp_seq + p->payload_len + ((p->tcp_flags & VG_TCP_SYN) ? 1 : 0) +
                       ((p->tcp_flags & VG_TCP_FIN) ? 1 : 0);
        if (!d->seq_known || tamper__seq_gt(end, d->max_seq)) d->max_seq = end;
        d->seq_known = true;
    }
    if (p->tcp_flags & VG_TCP_ACK) {
        if (!d->ack_known || tamper__seq_gt(p->tcp_ack, d->max_ack)) d->max_ack = p->tcp_ack;
        d->ack_known = true;
    }
    if (!(p->tcp_flags & VG_TCP_RST) &&
        (p->payload_len || (p->tcp_flags & (VG_TCP_SYN | VG_TCP_FIN)))) {
        d->seg_end[d->seg_end_pos] = p->tcp_seq + p->payload_len +
                                     ((p->tcp_flags & VG_TCP_SYN) ? 1 : 0) +
                                     ((p->tcp_flags & VG_TCP_FIN) ? 1 : 0);
        d->seg_end_pos = (uint8_t)((d->seg_end_pos + 1) % 8);
        if (d->seg_end_n < 8) d->seg_end_n++;
    }
    if ((p->tcp_flags & (VG_TCP_SYN | VG_TCP_ACK)) == VG_TCP_SYN) d->last_syn_cnt = p->pcap_cnt;
}

/* The held findings learn a packet of their direction that followed them (the IP ID after the
 * second contestant). */
static void held_learn(struct tamper_ctx *ctx, struct tamper_flow *tf, const struct packet *p,
                       int dir)
{
    for (int sig = 0; sig < TAMPER_SIG_COUNT; sig++) {
        if (!tf->slot[sig]) continue;
        struct tamper__slot *s = &ctx->slots[tf->slot[sig] - 1];
        if (s->pd.dir == dir && p->pcap_cnt > s->fd.c[1].pcap_cnt)
            tamper__pending_packet(&s->pd, p);
    }
}

/* A UDP packet: only DNS flows (detected by the app layer, which runs before tamper) get state,
 * and at most cfg.max_dns_flows of them at once, so that DNS traffic cannot take the pool from
 * TCP flows. */
static void udp_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir)
{
    struct tamper_flow *tf = f->tamper;
    if (!tf) {
        if (f->app_proto != APP_PROTO_DNS) return;
        if (ctx->dns_flows >= ctx->cfg.max_dns_flows || !(tf = flow_get(ctx))) {
            ctx->cnt.dns_no_state_pkts++;
            return;
        }
        tf->udp_dns = true;
        ctx->dns_flows++;
        f->tamper = tf;
        ctx->cnt.flows++;
    }
    tamper__inpath_packet(ctx, f, p, dir);
    tamper__base_add(&tf->d[dir].b, &tf->d[dir ^ 1].b, p);
    tamper__dns_packet(ctx, f, p, dir);
    held_learn(ctx, tf, p, dir);
}

void tamper_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir,
                   const struct stream_result *sr)
{
    if (!ctx || !f || !p || (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)) return;
    if (p->proto == 17 && f->proto == 17) {
        udp_packet(ctx, f, p, dir);
        return;
    }
    if (!sr || p->proto != 6) return;
    struct tamper_flow *tf = f->tamper;
    if (!tf) {
        tf = flow_get(ctx);
        if (!tf) {
            ctx->cnt.no_state_pkts++;
            return;
        }
        f->tamper = tf;
        ctx->cnt.flows++;
    }
    struct tamper__dir *d = &tf->d[dir], *peer = &tf->d[dir ^ 1];
    ctx->cnt.facts += sr->n_facts;

    /* 0. in-path: the packet against its sender's baseline without it (tamper_inpath.c) */
    tamper__inpath_packet(ctx, f, p, dir);

    /* 1. the sender's baseline counts the packet (contestant records come from here) */
    tamper__base_add(&d->b, &peer->b, p);
    peer->peer_pkts_since_rst++;

    /* 2. detectors */
    tamper__reset_packet(ctx, f, p, dir);
    tamper__race_packet(ctx, f, p, dir, sr);

    /* 3. the direction's sequence state, and the held findings learn what followed them */
    dir_advance(d, p);
    held_learn(ctx, tf, p, dir);
}

void tamper_flow_end(struct tamper_ctx *ctx, struct flow *f, tamper_emit_fn emit, void *ud)
{
    if (!ctx || !f || !f->tamper) return;
    struct tamper_flow *tf = f->tamper;
    tamper__dns_settle(ctx, f);
    tamper__inpath_flow_end(ctx, f); /* in-path candidates: gated and judged here */
    for (int sig = 0; sig < TAMPER_SIG_COUNT; sig++) {
        if (!tf->slot[sig]) continue;
        uint32_t idx = tf->slot[sig] - 1;
        struct tamper__slot *s = &ctx->slots[idx];
        if (!tamper__inpath_sig(s->fd.sig)) tamper__judge(&s->fd, &s->pd, &tf->d[s->pd.dir].b);
        if (sig == TAMPER_SIG_DNS_RACE) tamper__dns_judge(&s->fd);
        if (s->fd.confidence < ctx->cfg.min_confidence) {
            ctx->cnt.below_threshold++;
        } else {
            if (sig_ok(s->fd.sig)) ctx->cnt.findings[s->fd.sig]++;
            if (emit) emit(f, &s->fd, ud);
        }
        tf->slot[sig] = 0;
        slot_put(ctx, idx);
    }
    flow_put(ctx, tf);
    f->tamper = NULL;
}
