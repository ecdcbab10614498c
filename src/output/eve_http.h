/* eve_http.h - the EVE `http` event (Suricata's field names and types, etc/schema.json
 * properties.http) from one HTTP/1.x transaction of app/http/http.h. */
#ifndef VG_EVE_HTTP_H
#define VG_EVE_HTTP_H

#include "app/http/http.h"
#include "flow/flow.h"
#include "output/json_writer.h"

/* Options of eve_http_ex. */
enum {
    EVE_HTTP_HEADERS = 1u << 0, /* request_headers / response_headers ([{"name","value"}]) */
    EVE_HTTP_VIGIL = 1u << 1,   /* vigil.http: transaction flags and body lengths (vigil's own) */
};

/* eve_http writes one complete http event: timestamp (request start, or response start when there
 * was no request), flow_id, event_type "http", vlan, the flow's tuple oriented client → server,
 * proto "TCP", tx_id and the `http` object. Same as eve_http_ex(w, f, tx, EVE_HTTP_VIGIL). */
void eve_http(struct jw *w, const struct flow *f, const struct http_tx *tx);
void eve_http_ex(struct jw *w, const struct flow *f, const struct http_tx *tx, unsigned opts);

/* eve_http_fields writes only the "http": {...} member (for alerts on HTTP flows): hostname,
 * http_port, url, http_user_agent, http_content_type (media type of the response, parameters
 * removed, as Suricata), http_refer, http_method, protocol, status (or status_string when the code
 * is not 3 digits), redirect, length (response body bytes as transferred). Absent fields are left
 * out. The writer must be inside an object. */
void eve_http_fields(struct jw *w, const struct http_tx *tx);

#endif
