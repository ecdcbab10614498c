/* eve_intel.h - the EVE alerts of the intel module: indicator matches (`ioc` object) and beacons
 * (`beacon` object), as ../shared/EVE-EXTENSIONS.md specifies them; fields in docs/eve.md.
 *
 * Both are Suricata `alert` events (gid 1, signature ids 8810000-8810006 for indicators by type,
 * 8810100 / 8810101 for beacons by address / by server name), so pipelines keyed on alerts see
 * them; vigil's data lives under the `ioc` / `beacon` keys only.
 */
#ifndef VG_EVE_INTEL_H
#define VG_EVE_INTEL_H

#include "flow/flow.h"
#include "intel/intel.h"
#include "output/json_writer.h"

/* eve_intel_ioc_alert writes one complete alert event for an indicator match in flow f: timestamp
 * and pcap_cnt of the packet that carried it, the tuple oriented by that packet's direction (as
 * Suricata orients alerts), the flow's counters so far, and the `ioc` object (indicator, type,
 * source, matched_on). Appended to w; the caller resets it. */
void eve_intel_ioc_alert(struct jw *w, const struct flow *f, const struct intel_hit *h);

/* eve_intel_beacon_alert writes one complete alert event for a beacon finding: timestamp = the
 * latest connection's start, flow_id of that connection, src_ip the client, dest_ip / dest_port /
 * proto of the latest connection, and the `beacon` object (score, scores{interval, size, duration,
 * histogram}, connections, period_s, jitter_pct, bytes_median, first_seen, last_seen,
 * server_name: null for an address pair). */
void eve_intel_beacon_alert(struct jw *w, const struct beacon_finding *b);

#endif
