/* eve_alert.h - the EVE `alert` event of a rule match (Suricata's output-json-alert.c fields,
 * etc/schema.json properties.alert), and the detect counters of the stats event. */
#ifndef VG_EVE_ALERT_H
#define VG_EVE_ALERT_H

#include "detect/detect.h"
#include "output/json_writer.h"

/* eve_alert writes one complete alert event into w (appended; the caller resets w):
 * timestamp (the packet's, else the flow's last), flow_id, pcap_cnt, event_type "alert", vlan,
 * src/dest in the orientation of the packet (packet alerts) or of the inspected direction
 * (transactions, findings), proto, tx_id (app-layer alerts), direction ("to_server" /
 * "to_client"), alert {action, gid, signature_id, rev, signature, category, severity, metadata},
 * app_proto, the app-layer record (http via eve_http_fields, dns via eve_dns_fields, tls and ssh
 * via eve_tls_fields / eve_ssh_fields) and flow
 * {pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, start}. action is "allowed" for
 * every action (vigil runs as an IDS; pass rules never alert). */
void eve_alert(struct jw *w, const struct detect_alert *a);

/* The `detect` member of stats (Suricata's stats.detect: alert, alert_queue_overflow,
 * alerts_suppressed) and vigil's own detect counters (for vigil.stats.detect). The writer must
 * be inside an object. */
void eve_alert_stats(struct jw *w, const struct detect_counters *c);
void eve_alert_stats_vigil(struct jw *w, const struct detect_counters *c);

#endif
