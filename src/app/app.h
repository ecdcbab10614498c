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
 * The registry (app_registry.c) and the engine glue come with the app-layer integration.
 */
#ifndef VG_APP_H
#define VG_APP_H

enum app_proto_id {
    APP_PROTO_UNKNOWN = 0,
    APP_PROTO_HTTP,
    APP_PROTO_DNS,
    APP_PROTO_TLS,
    APP_PROTO_SSH,
    APP_PROTO_FAILED, /* detection gave up on this flow */
    APP_PROTO_COUNT
};

#endif
