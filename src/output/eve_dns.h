/* eve_dns.h - the EVE `dns` event, in Suricata 8's version-3 format (one event per message:
 * "type": "request" | "response").
 *
 * Field names and shapes follow Suricata's rust/src/dns/log.rs (v3) and are checked against
 * corpus/schema/suricata-eve-schema.json (properties.dns, $defs dns.*). Where vigil differs:
 *   - names and strings are written as the parser's text form (dns.h): bytes outside printable
 *     ASCII appear as \DDD, where Suricata writes raw UTF-8 or \xNN;
 *   - HTTPS/SVCB, DNAME and other records Suricata logs without data get "rdata" text;
 *   - "grouped" lists its types in order of first appearance (Suricata: hash order);
 *   - SRV/SSHFP/SOA objects are written only where the schema has them (answers: all three;
 *     authorities: soa), elsewhere the record gets its "rdata" text.
 */
#ifndef VG_EVE_DNS_H
#define VG_EVE_DNS_H

#include <stdint.h>

#include "app/dns/dns.h"
#include "core/vg_time.h"
#include "flow/flow.h"
#include "output/json_writer.h"

/* What the event needs besides the flow and the message. */
struct dns_log_ctx {
    struct vg_ts ts;   /* time of the packet that completed the message */
    uint64_t pcap_cnt; /* that packet's number in the capture */
    int dir;           /* FLOW_TOSERVER: src is the flow's client; FLOW_TOCLIENT: swapped */
    uint64_t tx_id;    /* per-flow message counter from 0 (Suricata 8: one tx per message) */
};

/* eve_dns writes one complete `dns` event for message m of flow f into w (appending one top-level
 * object; call jw_reset first for a fresh event). */
void eve_dns(struct jw *w, const struct flow *f, const struct dns_msg *m,
             const struct dns_log_ctx *ctx);

/* eve_dns_fields writes only the `"dns": {...}` member (for alerts), without tx_id; w must be
 * inside an open object. */
void eve_dns_fields(struct jw *w, const struct dns_msg *m);

#endif
