/* app.h - the application layer: protocol detection by content and resumable parsers.
 *
 * Shape of every parser (one folder per protocol: src/app/<proto>/, one registration entry each):
 *   - <proto>_probe(data, len, dir): VG_OK "this is mine", VG_DECLINED "not mine", VG_AGAIN "need
 *     more bytes" — content decides, never the port.
 *   - <proto>_state_new(cfg) / <proto>_state_free(st): per-flow state, from a pool or one allocation
 *     per flow (never per packet).
 *   - <proto>_parse(st, dir, data, len, ts, emit, ud): feeds in-order bytes of one direction; the
 *     bytes may arrive one at a time (nginx-style resumable state machine: state saved between
 *     calls, no re-scanning of earlier bytes beyond a bounded header buffer). Completed
 *     transactions are handed to emit(ud, tx) and are valid only during that call.
 *   - <proto>_gap(st, dir, len): bytes were lost; the parser resynchronises or gives up on the flow.
 *   - <proto>_flush(st, emit, ud): at flow end, hands over the transactions that are still open.
 *   - Malformed messages become anomaly ids (core/vg_anomaly.h, type "applayer") reported through
 *     the transaction or a callback, never a crash.
 *
 * The glue (app.c) detects the protocol of each flow from its first bytes, owns the per-flow
 * parser state (flow->app), and hands what the parsers complete to the engine through struct
 * app_hooks: the app layer never writes output itself (output is downstream of it).
 */
#ifndef VG_APP_H
#define VG_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/packet.h"
#include "flow/flow.h"
#include "stream/stream.h"

enum app_proto_id {
    APP_PROTO_UNKNOWN = 0,
    APP_PROTO_HTTP,
    APP_PROTO_DNS,
    APP_PROTO_TLS,
    APP_PROTO_SSH,
    APP_PROTO_FAILED, /* detection gave up on this flow */
    APP_PROTO_COUNT
};

/* EVE names: "http", "dns", "tls", "ssh", "failed"; NULL for unknown. */
const char *app_proto_name(int proto);

struct http_tx;
struct dns_msg;
struct dns_response_pair;
struct tls_session;
struct ssh_session;

/* What the app layer hands to the engine. Every pointer is valid only during the call. `p` is the
 * packet being processed, or NULL when the call comes from the flow's end (flush). */
struct app_hooks {
    void (*http_tx)(void *ud, struct flow *f, const struct packet *p, const struct http_tx *tx);
    void (*dns_msg)(void *ud, struct flow *f, const struct packet *p, int dir,
                    const struct dns_msg *m, uint64_t tx_id);
    void (*dns_pair)(void *ud, struct flow *f, const struct dns_response_pair *pair);
    void (*anomaly)(void *ud, struct flow *f, const struct packet *p, int anomaly_id);
    void *ud;
    /* Appended for the rule matcher: a TLS / SSH session, once, when the parser reports its
     * handshake complete (TLS_EV_LOG / SSH_EV_LOG) or at the flow's end; NULL when unused. */
    void (*tls_session)(void *ud, struct flow *f, const struct packet *p,
                        const struct tls_session *s);
    void (*ssh_session)(void *ud, struct flow *f, const struct packet *p,
                        const struct ssh_session *s);
};

struct app_counters {
    uint64_t flows[APP_PROTO_COUNT]; /* flows detected per protocol (FAILED: gave up) */
    uint64_t state_nomem;            /* parser state could not be allocated */
    uint64_t probe_bytes_max;        /* detection gave up because the probe buffer filled */
};

struct app_ctx;

/* app_ctx_new: per-worker context (parse arena, counters). hooks is copied. NULL on OOM. */
struct app_ctx *app_ctx_new(const struct app_hooks *hooks);
void app_ctx_free(struct app_ctx *ctx);

/* app_packet runs the app layer for one packet of flow f: for TCP, the in-order bytes in sr
 * (sr->data, after sr->gap_len lost bytes); for UDP, the datagram's payload. */
void app_packet(struct app_ctx *ctx, struct flow *f, const struct packet *p, int dir,
                const struct stream_result *sr);

/* app_flow_end hands over what the flow's parser still holds (through the hooks, p = NULL) and
 * frees flow->app. */
void app_flow_end(struct app_ctx *ctx, struct flow *f);

const struct app_counters *app_counters(const struct app_ctx *ctx);

#endif
