/* eve_tamper.h - the EVE alert of a tamper finding.
 *
 * One `alert` event per finding (Suricata's alert fields, so pipelines keyed on alerts see it)
 * carrying vigil's `tamper` object as specified in EVE-EXTENSIONS.md and docs/tamper.md. The
 * event's src/dest follow the contestants' packets (Suricata orients alerts by packet), its
 * timestamp and pcap_cnt are the second contestant's.
 */
#ifndef VG_EVE_TAMPER_H
#define VG_EVE_TAMPER_H

#include "flow/flow.h"
#include "output/json_writer.h"
#include "tamper/tamper.h"

/* eve_tamper_alert writes one complete event into w (appended; the caller resets w). Payloads are
 * base64 (OpenSSL EVP_EncodeBlock) plus a printable copy (Suricata's payload_printable: bytes
 * outside isprint() other than CR and LF become '.'), at most TAMPER_PAYLOAD_MAX bytes each, with
 * payload_truncated saying when the contestant carried more. */
void eve_tamper_alert(struct jw *w, const struct flow *f, const struct tamper_finding *fd);

/* eve_tamper_alert_ev is eve_tamper_alert plus, when ev is not NULL and the flow's evidence file
 * was written (evidence_flow_write), the top-level "evidence" object (the file and the
 * contestants' packet numbers in it) and "tamper.series" (the sender's kept packets: pcap_cnt,
 * t_us, ttl, ip_id, window, len). See docs/eve.md. */
struct evidence_ctx;
void eve_tamper_alert_ev(struct jw *w, const struct flow *f, const struct tamper_finding *fd,
                         const struct evidence_ctx *ev);

/* eve_tamper_put_alert writes the "alert" member of a built-in tamper signature (gid 1, sid, rev,
 * signature, category, severity): shared by the flow and the LAN findings. */
void eve_tamper_put_alert(struct jw *w, int sig);

#endif
