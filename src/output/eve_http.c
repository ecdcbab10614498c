/* eve_http.c - the EVE `http` event. Field names, types and order follow Suricata's
 * output-json-http.c and etc/schema.json (properties.http); vigil's own data goes under `vigil`. */
#include "output/eve_http.h"

#include <string.h>

#include "core/vg_addr.h"
#include "core/vg_time.h"

_Static_assert((int)HTTP_DIR_TOSERVER == (int)FLOW_TOSERVER &&
                   (int)HTTP_DIR_TOCLIENT == (int)FLOW_TOCLIENT,
               "http and flow direction values must agree");

static void put_str(struct jw *w, const char *key, struct http_str s)
{
    if (s.p) jw_strn(w, key, s.p, s.len);
}

static void put_ts(struct jw *w, const char *key, struct vg_ts ts)
{
    char b[VG_TS_BUFLEN];
    size_t n = vg_ts_format(ts, b);
    jw_strn(w, key, b, n);
}

/* The media type without parameters: "text/html; charset=utf-8" -> "text/html". */
static void put_media_type(struct jw *w, const char *key, struct http_str s)
{
    if (!s.p) return;
    size_t n = 0;
    while (n < s.len && s.p[n] != ';')
        n++;
    while (n && (s.p[n - 1] == ' ' || s.p[n - 1] == '\t'))
        n--;
    jw_strn(w, key, s.p, n);
}

static void put_headers(struct jw *w, const char *key, const struct http_header *h, unsigned n)
{
    if (!n || !h) return; /* the schema wants at least one item */
    jw_arr_open(w, key);
    for (unsigned i = 0; i < n; i++) {
        jw_obj_open(w, NULL);
        jw_strn(w, "name", h[i].name.p, h[i].name.len);
        jw_strn(w, "value", h[i].value.p, h[i].value.len);
        jw_obj_close(w);
    }
    jw_arr_close(w);
}

static void http_object(struct jw *w, const struct http_tx *tx, unsigned opts)
{
    jw_obj_open(w, "http");
    put_str(w, "hostname", tx->hostname);
    if (tx->host_port >= 0) jw_uint(w, "http_port", (uint64_t)tx->host_port);
    put_str(w, "url", tx->uri);
    put_str(w, "http_user_agent", tx->user_agent);
    put_media_type(w, "http_content_type", tx->resp_content_type);
    put_str(w, "http_refer", tx->referer);
    put_str(w, "http_method", tx->method);
    put_str(w, "protocol", tx->protocol);
    if (tx->status > 0)
        jw_uint(w, "status", (uint64_t)tx->status);
    else if (tx->status_str.p && tx->status_str.len)
        jw_strn(w, "status_string", tx->status_str.p, tx->status_str.len);
    put_str(w, "redirect", tx->location);
    jw_uint(w, "length", tx->resp_body_wire);
    if (opts & EVE_HTTP_HEADERS) {
        put_headers(w, "request_headers", tx->req_headers, tx->n_req_headers);
        put_headers(w, "response_headers", tx->resp_headers, tx->n_resp_headers);
    }
    jw_obj_close(w);
}

void eve_http_fields(struct jw *w, const struct http_tx *tx)
{
    http_object(w, tx, 0);
}

static const struct {
    uint32_t bit;
    const char *name;
} g_flags[] = {
    {HTTP_TXF_REQ_CHUNKED, "request_chunked"},
    {HTTP_TXF_RESP_CHUNKED, "response_chunked"},
    {HTTP_TXF_REQ_GZIP, "request_gzip"},
    {HTTP_TXF_RESP_GZIP, "response_gzip"},
    {HTTP_TXF_REQ_DEFLATE, "request_deflate"},
    {HTTP_TXF_RESP_DEFLATE, "response_deflate"},
    {HTTP_TXF_REQ_HDR_TRUNC, "request_headers_truncated"},
    {HTTP_TXF_RESP_HDR_TRUNC, "response_headers_truncated"},
    {HTTP_TXF_REQ_BODY_TRUNC, "request_body_truncated"},
    {HTTP_TXF_RESP_BODY_TRUNC, "response_body_truncated"},
    {HTTP_TXF_REQ_GAP, "request_gap"},
    {HTTP_TXF_RESP_GAP, "response_gap"},
    {HTTP_TXF_REQ_INCOMPLETE, "request_incomplete"},
    {HTTP_TXF_RESP_INCOMPLETE, "response_incomplete"},
    {HTTP_TXF_NO_REQUEST, "no_request"},
    {HTTP_TXF_NO_RESPONSE, "no_response"},
    {HTTP_TXF_CONTINUE, "continue"},
    {HTTP_TXF_TUNNEL, "tunnel"},
    {HTTP_TXF_UPGRADE, "upgrade"},
    {HTTP_TXF_REQ_DECODE_LIMIT, "request_decode_limit"},
    {HTTP_TXF_RESP_DECODE_LIMIT, "response_decode_limit"},
    {HTTP_TXF_REQ_DECODE_ERROR, "request_decode_error"},
    {HTTP_TXF_RESP_DECODE_ERROR, "response_decode_error"},
    {HTTP_TXF_RESP_CLOSE_DELIMITED, "response_close_delimited"},
    {HTTP_TXF_FOLDED, "folded"},
    {HTTP_TXF_BODILESS, "bodiless"},
    {HTTP_TXF_LAX_FRAMING, "lax_framing"},
};

static void vigil_object(struct jw *w, const struct http_tx *tx)
{
    jw_obj_open(w, "vigil");
    jw_obj_open(w, "http");
    if (tx->flags) {
        jw_arr_open(w, "flags");
        for (size_t i = 0; i < sizeof g_flags / sizeof g_flags[0]; i++)
            if (tx->flags & g_flags[i].bit) jw_str(w, NULL, g_flags[i].name);
        jw_arr_close(w);
    }
    jw_uint(w, "request_body_len", tx->req_body_len);
    jw_uint(w, "response_body_len", tx->resp_body_len);
    if (tx->resp_body_decoded != tx->resp_body_len)
        jw_uint(w, "response_body_decoded", tx->resp_body_decoded);
    if (tx->req_body_decoded != tx->req_body_len)
        jw_uint(w, "request_body_decoded", tx->req_body_decoded);
    put_str(w, "request_header_order", tx->req_header_order);
    put_str(w, "response_header_order", tx->resp_header_order);
    jw_obj_close(w);
    jw_obj_close(w);
}

void eve_http_ex(struct jw *w, const struct flow *f, const struct http_tx *tx, unsigned opts)
{
    char a[VG_ADDR_STRLEN];
    bool has_req = tx->req_ts.sec || tx->req_ts.nsec;
    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", has_req ? tx->req_ts : tx->resp_ts);
    jw_uint(w, "flow_id", f->flow_id);
    jw_str(w, "event_type", "http");
    if (f->vlan_cnt) {
        jw_arr_open(w, "vlan");
        for (unsigned i = 0; i < f->vlan_cnt && i < 2; i++)
            jw_uint(w, NULL, f->vlan[i]);
        jw_arr_close(w);
    }
    jw_str(w, "src_ip", vg_addr_str(&f->src, a));
    jw_uint(w, "src_port", f->sport);
    jw_str(w, "dest_ip", vg_addr_str(&f->dst, a));
    jw_uint(w, "dest_port", f->dport);
    jw_str(w, "proto", "TCP");
    jw_uint(w, "tx_id", tx->tx_id);
    http_object(w, tx, opts);
    if (opts & EVE_HTTP_VIGIL) vigil_object(w, tx);
    jw_obj_close(w);
}

void eve_http(struct jw *w, const struct flow *f, const struct http_tx *tx)
{
    eve_http_ex(w, f, tx, EVE_HTTP_VIGIL);
}
