/* eve_tls.h - the EVE `tls` event (Suricata's field names and types, etc/schema.json
 * properties.tls) from the TLS session of app/tls/tls.h. */
#ifndef VG_EVE_TLS_H
#define VG_EVE_TLS_H

#include "app/tls/tls.h"
#include "flow/flow.h"
#include "output/json_writer.h"

/* Options of eve_tls_ex. */
enum {
    EVE_TLS_VIGIL = 1u << 0, /* vigil.tls: handshake facts Suricata does not log (vigil's own) */
};

/* eve_tls writes one complete tls event: timestamp (latest handshake bytes), flow_id, event_type
 * "tls", vlan, the flow's tuple oriented client → server, proto "TCP" and the `tls` object (see
 * eve_tls_fields). Same as eve_tls_ex(w, f, s, EVE_TLS_VIGIL). */
void eve_tls(struct jw *w, const struct flow *f, const struct tls_session *s);
void eve_tls_ex(struct jw *w, const struct flow *f, const struct tls_session *s, unsigned opts);

/* eve_tls_fields writes only the "tls": {...} member (for alerts on TLS flows): of the server's
 * first certificate subject, issuerdn, subjectaltname, serial, fingerprint, notbefore, notafter;
 * session_resumed (only when true), sni, version (Suricata's strings: "TLSv1", "TLS 1.2",
 * "TLS 1.3", "TLS 1.3 draft-28", "UNDETERMINED" ...), ja3 {hash, string}, ja3s {hash, string},
 * ja4, client_alpns, server_alpns, and client {...} with the client certificate's fields. Absent
 * fields are left out. The writer must be inside an object. */
void eve_tls_fields(struct jw *w, const struct tls_session *s);

#endif
