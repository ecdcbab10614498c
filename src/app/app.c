/* app.c - protocol detection by content and the per-flow parser glue.
 *
 * Protocols: HTTP, TLS, SSH and DNS over TCP; DNS over UDP.
 * Detection (TCP): the first bytes of each direction are kept in a small probe buffer (APP_PROBE_MAX
 * per direction) and offered to every parser's probe in registry order. The first VG_OK decides;
 * when every probe declines, or the buffer fills while some still say VG_AGAIN, the flow is marked
 * "failed" (as Suricata logs it) and no parser runs. Once decided, the buffered bytes of both
 * directions are fed to the parser, then every later in-order chunk.
 * Detection (UDP): each datagram is offered to the DNS probe until one is accepted; the first
 * datagram that is not DNS marks the flow failed.
 */
#include "app/app.h"

#include <string.h>

#include "app/dns/dns.h"
#include "app/http/http.h"
#include "app/ssh/ssh.h"
#include "app/tls/tls.h"
#include "core/vg_alloc.h"
#include "core/vg_status.h"

#define APP_PROBE_MAX 512
#define DNS_ARENA_BYTES (256u << 10)

struct app_flow {
    uint8_t proto; /* enum app_proto_id */
    uint16_t probe_len[2];
    uint8_t probe[2][APP_PROBE_MAX];
    bool dead[2];  /* the parser declined this direction: stop feeding it */
    struct http_state *http;
    struct dns_tcp_state *dns_tcp;
    struct tls_state *tls;
    struct ssh_state *ssh;
    struct dns_txn_table *dns_txn;
    uint64_t dns_tx_id;
};

struct app_ctx {
    struct app_hooks hooks;
    struct dns_arena arena;
    uint8_t *arena_buf;
    struct app_counters ctr;
    /* Per call: what the parser callbacks need to reach the hooks. */
    struct flow *cur_flow;
    const struct packet *cur_pkt;
};

const char *app_proto_name(int proto)
{
    switch (proto) {
    case APP_PROTO_HTTP: return "http";
    case APP_PROTO_DNS: return "dns";
    case APP_PROTO_TLS: return "tls";
    case APP_PROTO_SSH: return "ssh";
    case APP_PROTO_FAILED: return "failed";
    }
    return NULL;
}

struct app_ctx *app_ctx_new(const struct app_hooks *hooks)
{
    struct app_ctx *ctx = vg_calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->arena_buf = vg_malloc(DNS_ARENA_BYTES);
    if (!ctx->arena_buf) {
        vg_free(ctx);
        return NULL;
    }
    dns_arena_init(&ctx->arena, ctx->arena_buf, DNS_ARENA_BYTES);
    if (hooks) ctx->hooks = *hooks;
    return ctx;
}

void app_ctx_free(struct app_ctx *ctx)
{
    if (!ctx) return;
    vg_free(ctx->arena_buf);
    vg_free(ctx);
}

const struct app_counters *app_counters(const struct app_ctx *ctx) { return &ctx->ctr; }

/* ---- parser callbacks -------------------------------------------------------------------------- */

static void on_http_tx(void *ud, const struct http_tx *tx)
{
    struct app_ctx *ctx = ud;
    if (ctx->hooks.http_tx) ctx->hooks.http_tx(ctx->hooks.ud, ctx->cur_flow, ctx->cur_pkt, tx);
}

static void on_dns_pair(void *ud, const struct dns_response_pair *pair)
{
    struct app_ctx *ctx = ud;
    if (ctx->hooks.dns_pair) ctx->hooks.dns_pair(ctx->hooks.ud, ctx->cur_flow, pair);
}

/* One complete DNS message (UDP datagram or TCP-framed): pair it, then log it. */
static void dns_message(struct app_ctx *ctx, int dir, struct dns_msg *m)
{
    struct flow *f = ctx->cur_flow;
    struct app_flow *af = f->app;
    const struct packet *p = ctx->cur_pkt;
    if (!af->dns_txn) af->dns_txn = dns_txn_new(NULL);
    if (af->dns_txn && p) {
        struct dns_pkt_meta meta = {p->ts, p->pcap_cnt, p->ip_ver, p->ttl, p->ip_id};
        struct dns_txn_result res;
        dns_txn_observe(af->dns_txn, m, &meta, on_dns_pair, ctx, &res);
    }
    if (ctx->hooks.dns_msg) ctx->hooks.dns_msg(ctx->hooks.ud, f, p, dir, m, af->dns_tx_id);
    af->dns_tx_id++;
}

static void on_dns_tcp_msg(void *ud, int dir, struct dns_msg *m, int status, const uint8_t *raw,
                           size_t rawlen)
{
    (void)status, (void)raw, (void)rawlen;
    dns_message(ud, dir, m);
}

static void on_tls_event(void *ud, const struct tls_session *s, const struct tls_event *ev)
{
    struct app_ctx *ctx = ud;
    if (ev->kind == TLS_EV_LOG && ctx->hooks.tls_session)
        ctx->hooks.tls_session(ctx->hooks.ud, ctx->cur_flow, ctx->cur_pkt, s);
}

static void on_ssh_event(void *ud, const struct ssh_session *s, const struct ssh_event *ev)
{
    struct app_ctx *ctx = ud;
    if (ev->kind == SSH_EV_LOG && ctx->hooks.ssh_session)
        ctx->hooks.ssh_session(ctx->hooks.ud, ctx->cur_flow, ctx->cur_pkt, s);
}

/* Hands the anomalies a parser queued to the engine. */
static void report_anomalies(struct app_ctx *ctx, struct app_flow *af)
{
    uint16_t ids[16];
    unsigned n = 0;
    if (af->http) n = http_take_anomalies(af->http, ids, 16);
    else if (af->tls) n = tls_take_anomalies(af->tls, ids, 16);
    else if (af->ssh) n = ssh_take_anomalies(af->ssh, ids, 16);
    for (unsigned i = 0; i < n; i++)
        if (ctx->hooks.anomaly) ctx->hooks.anomaly(ctx->hooks.ud, ctx->cur_flow, ctx->cur_pkt, ids[i]);
}

/* ---- TCP ----------------------------------------------------------------------------------- */

static void feed_tcp(struct app_ctx *ctx, struct app_flow *af, int dir, const uint8_t *d,
                     uint32_t n, struct vg_ts ts)
{
    if (!n || af->dead[dir]) return;
    switch (af->proto) {
    case APP_PROTO_HTTP:
        if (http_parse(af->http, dir, d, n, ts, on_http_tx, ctx) == VG_DECLINED) af->dead[dir] = true;
        report_anomalies(ctx, af);
        break;
    case APP_PROTO_TLS:
        if (tls_parse(af->tls, dir, d, n, ts, on_tls_event, ctx) == VG_DECLINED) af->dead[dir] = true;
        report_anomalies(ctx, af);
        break;
    case APP_PROTO_SSH:
        if (ssh_parse(af->ssh, dir, d, n, ts, on_ssh_event, ctx) == VG_DECLINED) af->dead[dir] = true;
        report_anomalies(ctx, af);
        break;
    case APP_PROTO_DNS: dns_tcp_parse(af->dns_tcp, dir, d, n, ts, on_dns_tcp_msg, ctx); break;
    default: break;
    }
}

static bool start_parser(struct app_ctx *ctx, struct app_flow *af, int proto)
{
    af->proto = (uint8_t)proto;
    switch (proto) {
    case APP_PROTO_HTTP: af->http = http_state_new(NULL); return af->http != NULL;
    case APP_PROTO_DNS: af->dns_tcp = dns_tcp_state_new(&ctx->arena); return af->dns_tcp != NULL;
    case APP_PROTO_TLS: af->tls = tls_state_new(NULL); return af->tls != NULL;
    case APP_PROTO_SSH: af->ssh = ssh_state_new(NULL); return af->ssh != NULL;
    }
    return false;
}

/* Runs the probes on direction dir's buffered bytes: the detected protocol, APP_PROTO_FAILED, or
 * APP_PROTO_UNKNOWN to wait for more. */
static int detect_tcp(const struct app_flow *af, int dir)
{
    const uint8_t *b = af->probe[dir];
    size_t n = af->probe_len[dir];
    bool again = false;
    int rc = http_probe(b, n, dir);
    if (rc == VG_OK) return APP_PROTO_HTTP;
    again |= rc == VG_AGAIN;
    rc = tls_probe(b, n, dir);
    if (rc == VG_OK) return APP_PROTO_TLS;
    again |= rc == VG_AGAIN;
    rc = ssh_probe(b, n, dir);
    if (rc == VG_OK) return APP_PROTO_SSH;
    again |= rc == VG_AGAIN;
    rc = dns_probe_tcp(b, n);
    if (rc == VG_OK) return APP_PROTO_DNS;
    again |= rc == VG_AGAIN;
    if (again && n < APP_PROBE_MAX) return APP_PROTO_UNKNOWN;
    return APP_PROTO_FAILED;
}

static void tcp_bytes(struct app_ctx *ctx, struct flow *f, struct app_flow *af, int dir,
                      const struct stream_result *sr, struct vg_ts ts)
{
    if (sr->gap_len && af->proto != APP_PROTO_UNKNOWN) {
        if (af->proto == APP_PROTO_HTTP) http_gap(af->http, dir, sr->gap_len);
        if (af->proto == APP_PROTO_DNS) dns_tcp_gap(af->dns_tcp, dir, sr->gap_len);
        if (af->proto == APP_PROTO_TLS) tls_gap(af->tls, dir, sr->gap_len);
        if (af->proto == APP_PROTO_SSH) ssh_gap(af->ssh, dir, sr->gap_len);
    }
    if (!sr->data_len) return;
    if (af->proto != APP_PROTO_UNKNOWN) {
        feed_tcp(ctx, af, dir, sr->data, sr->data_len, ts);
        return;
    }
    if (sr->gap_len) { /* bytes lost before detection: the start is unknown, give up */
        af->proto = APP_PROTO_FAILED;
        ctx->ctr.flows[APP_PROTO_FAILED]++;
        return;
    }
    uint32_t room = APP_PROBE_MAX - af->probe_len[dir];
    uint32_t take = sr->data_len < room ? sr->data_len : room;
    memcpy(af->probe[dir] + af->probe_len[dir], sr->data, take);
    af->probe_len[dir] = (uint16_t)(af->probe_len[dir] + take);
    int proto = detect_tcp(af, dir);
    if (proto == APP_PROTO_UNKNOWN) return;
    if (proto == APP_PROTO_FAILED) {
        if (af->probe_len[dir] >= APP_PROBE_MAX) ctx->ctr.probe_bytes_max++;
        af->proto = APP_PROTO_FAILED;
        ctx->ctr.flows[APP_PROTO_FAILED]++;
        return;
    }
    if (!start_parser(ctx, af, proto)) {
        ctx->ctr.state_nomem++;
        af->proto = APP_PROTO_FAILED;
        return;
    }
    ctx->ctr.flows[proto]++;
    (void)f;
    /* The other direction's early bytes first (a server banner, say), then this one's, then the
     * rest of this chunk that did not fit the probe buffer. */
    int other = dir ^ 1;
    feed_tcp(ctx, af, other, af->probe[other], af->probe_len[other], ts);
    feed_tcp(ctx, af, dir, af->probe[dir], af->probe_len[dir], ts);
    if (take < sr->data_len) feed_tcp(ctx, af, dir, sr->data + take, sr->data_len - take, ts);
}

/* ---- UDP ----------------------------------------------------------------------------------- */

static void udp_datagram(struct app_ctx *ctx, struct app_flow *af, const struct packet *p, int dir)
{
    if (!p->payload || !p->payload_len) return;
    if (af->proto == APP_PROTO_UNKNOWN) {
        if (dns_probe_udp(p->payload, p->payload_len) != VG_OK) {
            af->proto = APP_PROTO_FAILED;
            ctx->ctr.flows[APP_PROTO_FAILED]++;
            return;
        }
        af->proto = APP_PROTO_DNS;
        ctx->ctr.flows[APP_PROTO_DNS]++;
    }
    if (af->proto != APP_PROTO_DNS) return;
    struct dns_msg m;
    dns_arena_reset(&ctx->arena);
    dns_parse_message(p->payload, p->payload_len, &m, &ctx->arena);
    dns_msg_check_dir(&m, dir);
    dns_message(ctx, dir, &m);
}

void app_packet(struct app_ctx *ctx, struct flow *f, const struct packet *p, int dir,
                const struct stream_result *sr)
{
    if (f->proto != 6 && f->proto != 17) return;
    struct app_flow *af = f->app;
    if (af && af->proto == APP_PROTO_FAILED) return;
    if (f->proto == 6 && (!sr || (!sr->data_len && !sr->gap_len))) return;
    if (f->proto == 17 && !p->payload_len) return;
    if (!af) {
        af = vg_calloc(1, sizeof *af);
        if (!af) {
            ctx->ctr.state_nomem++;
            return;
        }
        f->app = af;
    }
    ctx->cur_flow = f;
    ctx->cur_pkt = p;
    if (f->proto == 6)
        tcp_bytes(ctx, f, af, dir, sr, p->ts);
    else
        udp_datagram(ctx, af, p, dir);
    f->app_proto = af->proto;
    ctx->cur_flow = NULL;
    ctx->cur_pkt = NULL;
}

void app_flow_end(struct app_ctx *ctx, struct flow *f)
{
    struct app_flow *af = f->app;
    if (!af) return;
    ctx->cur_flow = f;
    ctx->cur_pkt = NULL;
    if (af->http) {
        http_flush(af->http, on_http_tx, ctx);
        report_anomalies(ctx, af);
        http_state_free(af->http);
    }
    if (af->tls) {
        tls_flush(af->tls, on_tls_event, ctx);
        report_anomalies(ctx, af);
        tls_state_free(af->tls);
    }
    if (af->ssh) {
        ssh_flush(af->ssh, on_ssh_event, ctx);
        report_anomalies(ctx, af);
        ssh_state_free(af->ssh);
    }
    dns_tcp_state_free(af->dns_tcp);
    dns_txn_free(af->dns_txn);
    vg_free(af);
    f->app = NULL;
    ctx->cur_flow = NULL;
}
