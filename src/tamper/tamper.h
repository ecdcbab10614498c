/* tamper.h - path-integrity detectors: someone on the path changed the traffic.
 *
 * This header is a starting contract; the tamper module's owner extends it (finding structure,
 * baselines). Fixed points the engine relies on:
 *   - tamper_ctx_new/free (per worker), tamper_packet (every packet that has a flow, after stream),
 *     tamper_flow_end (from the flow-end hook: emits the flow's held findings through the callback,
 *     then frees flow->tamper), tamper_counters.
 *   - Findings are held per flow, one per (class, subtype) with a repeat count, and emitted when the
 *     flow ends (so each carries its final count); see docs/tamper.md.
 */
#ifndef VG_TAMPER_H
#define VG_TAMPER_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/packet.h"
#include "flow/flow.h"
#include "stream/stream.h"

struct tamper_ctx;
struct tamper_finding; /* defined below by the module owner */

typedef void (*tamper_emit_fn)(const struct flow *f, const struct tamper_finding *fd, void *ud);

struct tamper_ctx *tamper_ctx_new(void);
void tamper_ctx_free(struct tamper_ctx *ctx);

/* tamper_packet: p has flow f (never NULL here) in direction dir; sr is the stream result for TCP
 * packets and NULL otherwise. */
void tamper_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir,
                   const struct stream_result *sr);

/* tamper_flow_end emits f's findings (if any) through emit, then frees f->tamper. */
void tamper_flow_end(struct tamper_ctx *ctx, struct flow *f, tamper_emit_fn emit, void *ud);

#endif
