/* http.h - HTTP/1.0 and HTTP/1.1 over one TCP connection: an incremental, resumable parser of both
 * directions that pairs requests with responses and hands over one transaction per exchange.
 *
 * RFC 9110 (HTTP semantics), RFC 9112 (HTTP/1.1 message syntax: request/status line, field lines,
 * obs-fold, chunked transfer coding, message body length), RFC 1945 (HTTP/1.0), RFC 1950/1951/1952
 * (zlib, deflate, gzip content codings).
 *
 * Shape (app/app.h): http_probe, http_state_new/free, http_parse, http_gap, http_flush. Bytes may
 * arrive in any split, one at a time included: the parser keeps a state per direction (nginx's
 * ngx_http_parse.c habit) and never re-reads bytes except the header block, which accumulates in a
 * bounded per-direction buffer (cfg.header_buf_max, 16 KiB by default).
 *
 * Directions: HTTP_DIR_TOSERVER (0, requests) and HTTP_DIR_TOCLIENT (1, responses); the values are
 * those of FLOW_TOSERVER and FLOW_TOCLIENT in flow/flow.h.
 *
 * Memory: one state per flow (one allocation, buffers grown on demand up to their caps and kept for
 * the life of the flow), one allocation per transaction at most (transactions are recycled through
 * a small per-flow free list, so a keep-alive connection allocates nothing in the steady state).
 */
#ifndef VG_HTTP_H
#define VG_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vg_time.h"

enum { HTTP_DIR_TOSERVER = 0, HTTP_DIR_TOCLIENT = 1 };

#define HTTP_MAX_HEADERS 64  /* header fields kept per message; more are counted, not kept */
#define HTTP_MAX_ANOMALIES 8 /* anomaly ids kept per transaction; more are counted */

/* A byte string inside the transaction. p is NULL when the field is absent; otherwise p[len] is a
 * NUL byte, so p can be used as a C string when the value holds no NUL of its own. */
struct http_str {
    const char *p;
    uint32_t len;
};

struct http_header {
    struct http_str name; /* as sent (case kept) */
    struct http_str
        value; /* leading/trailing whitespace removed, each obs-fold replaced by one SP */
};

/* Transaction flags (struct http_tx.flags). */
enum {
    HTTP_TXF_REQ_CHUNKED = 1u << 0,     /* request body used the chunked transfer coding */
    HTTP_TXF_RESP_CHUNKED = 1u << 1,    /* response body used the chunked transfer coding */
    HTTP_TXF_REQ_GZIP = 1u << 2,        /* request body was gzip-decoded */
    HTTP_TXF_RESP_GZIP = 1u << 3,       /* response body was gzip-decoded */
    HTTP_TXF_REQ_DEFLATE = 1u << 4,     /* request body was deflate-decoded */
    HTTP_TXF_RESP_DEFLATE = 1u << 5,    /* response body was deflate-decoded */
    HTTP_TXF_REQ_HDR_TRUNC = 1u << 6,   /* request header block exceeded the buffer or count */
    HTTP_TXF_RESP_HDR_TRUNC = 1u << 7,  /* same for the response */
    HTTP_TXF_REQ_BODY_TRUNC = 1u << 8,  /* request body longer than the excerpt kept */
    HTTP_TXF_RESP_BODY_TRUNC = 1u << 9, /* response body longer than the excerpt kept */
    HTTP_TXF_REQ_GAP = 1u << 10,        /* bytes of the request were lost (http_gap) */
    HTTP_TXF_RESP_GAP = 1u << 11,       /* bytes of the response were lost */
    HTTP_TXF_REQ_INCOMPLETE = 1u << 12, /* the request had not ended when the tx was handed over */
    HTTP_TXF_RESP_INCOMPLETE = 1u << 13,
    HTTP_TXF_NO_REQUEST = 1u << 14,  /* a response that matched no request */
    HTTP_TXF_NO_RESPONSE = 1u << 15, /* handed over without a response (flush, eviction) */
    HTTP_TXF_CONTINUE = 1u << 16,    /* a 1xx interim response (100-continue) was seen */
    HTTP_TXF_TUNNEL = 1u << 17,      /* CONNECT answered with 2xx: the connection is a tunnel */
    HTTP_TXF_UPGRADE = 1u << 18,     /* 101 Switching Protocols: no more HTTP on this flow */
    HTTP_TXF_REQ_DECODE_LIMIT = 1u << 19, /* decompressed request body hit cfg.decomp_limit */
    HTTP_TXF_RESP_DECODE_LIMIT = 1u << 20,
    HTTP_TXF_REQ_DECODE_ERROR = 1u << 21, /* the compressed request body was corrupt */
    HTTP_TXF_RESP_DECODE_ERROR = 1u << 22,
    HTTP_TXF_RESP_CLOSE_DELIMITED = 1u << 23, /* response body ran until the connection closed */
    HTTP_TXF_FOLDED = 1u << 24,               /* a header used obs-fold (either direction) */
    HTTP_TXF_BODILESS = 1u << 25,             /* HEAD / 1xx / 204 / 304: no response body by rule */
    HTTP_TXF_LAX_FRAMING = 1u << 26, /* the response was framed by libhtp's lenient rules: a header
                                        block ended by "SP LF" or a bare CR, a status line that is
                                        not "HTTP/d.d", chunked framing abandoned (either dir) */
};

/* One request/response exchange. Handed to http_tx_fn; every pointer in it (strings, header arrays,
 * body excerpts) is valid only during that call: copy what you need to keep. */
struct http_tx {
    uint64_t tx_id;       /* 0, 1, 2 … in request order within the flow (Suricata's tx_id) */
    struct vg_ts req_ts;  /* time of the first byte of the request line (zero: no request) */
    struct vg_ts resp_ts; /* first byte of the final response's status line (zero: none) */
    uint32_t flags;       /* HTTP_TXF_* */

    /* request */
    struct http_str method, uri, protocol; /* uri raw as sent; protocol e.g. "HTTP/1.1" */
    struct http_str host;                  /* Host header, raw */
    struct http_str hostname; /* lowercased host without port or userinfo; from an absolute-form URI
                                 when there is one, else from Host */
    int32_t host_port;        /* port in that authority, -1 when absent or invalid */
    struct http_str user_agent, referer, cookie, req_content_type;
    int64_t req_content_length;            /* Content-Length value, -1 absent or invalid */
    const struct http_header *req_headers; /* in order, at most HTTP_MAX_HEADERS */
    uint16_t n_req_headers;
    uint16_t req_headers_dropped;     /* fields not kept (count or buffer limit) */
    struct http_str req_header_order; /* lowercased names of the kept fields joined by ',' */
    uint64_t req_body_wire;    /* body bytes as transferred, chunk framing and trailers included */
    uint64_t req_body_len;     /* body length after transfer decoding (de-chunked) */
    uint64_t req_body_decoded; /* after content decoding (== req_body_len when not compressed) */
    const uint8_t *req_body;   /* first bytes of the decoded body (cfg.body_keep at most) */
    uint32_t req_body_kept;

    /* response (final response; 1xx interim responses only set HTTP_TXF_CONTINUE) */
    struct http_str resp_protocol, status_str, status_msg; /* status_str: the code as sent */
    int32_t status;                                        /* 100..999; 0 none or not 3 digits */
    struct http_str location, server, resp_content_type;
    int64_t resp_content_length; /* -1 absent or invalid */
    const struct http_header *resp_headers;
    uint16_t n_resp_headers;
    uint16_t resp_headers_dropped;
    struct http_str resp_header_order;
    uint64_t resp_body_wire, resp_body_len, resp_body_decoded;
    const uint8_t *resp_body;
    uint32_t resp_body_kept;

    /* vg_anomaly ids (type "applayer") met in this exchange, first HTTP_MAX_ANOMALIES kept, each
     * once; n_anomalies_dropped counts the rest. */
    uint16_t anomalies[HTTP_MAX_ANOMALIES];
    uint8_t n_anomalies;
    uint8_t n_anomalies_dropped;
};

typedef void (*http_tx_fn)(void *ud, const struct http_tx *tx);

struct http_config {
    uint32_t header_buf_max; /* bytes of one header block kept per direction (16384) */
    uint32_t body_keep;      /* decoded body bytes kept per message for rules (4096) */
    uint32_t decomp_limit;   /* decompressed bytes produced per body at most (1 MiB) */
    uint32_t bomb_ratio;     /* decompressed/compressed ratio that makes a limit hit a bomb (100) */
    uint16_t max_open_tx;    /* requests waiting for a response per flow (32); more evicts oldest */
};

/* Per-flow counters; the engine sums them into its stats. */
struct http_counters {
    uint64_t requests, responses, interim, txs;
    uint64_t unmatched_responses, evicted;
    uint64_t gzip, deflate, decode_errors, decode_limits, bombs;
    uint64_t header_overflows, gaps, gave_up, tunnels, nomem;
};

struct http_state;

void http_config_default(struct http_config *cfg);

/* http_probe looks at the first bytes of one direction. dir HTTP_DIR_TOSERVER tests for a request
 * line (a method token of 1-20 letters, SP, a URI, and " HTTP/" in the first line; a well-known
 * method followed by " /" is enough), HTTP_DIR_TOCLIENT for a status line ("HTTP/1."), any other
 * value for either. Returns VG_OK (HTTP), VG_DECLINED (not HTTP) or VG_AGAIN (need more bytes). */
int http_probe(const uint8_t *data, size_t len, int dir);

/* http_state_new returns the per-flow state (cfg copied; NULL means defaults) or NULL when out of
 * memory. http_state_free(NULL) is a no-op; it does not hand over open transactions (flush first).
 */
struct http_state *http_state_new(const struct http_config *cfg);
void http_state_free(struct http_state *st);

/* http_parse feeds the next in-order bytes of direction dir (any split). Completed transactions go
 * to emit(ud, tx) during the call, in request order. ts is the time of these bytes; it stamps the
 * messages that start in them. Returns VG_OK, or VG_DECLINED when this direction is no longer
 * parsed (CONNECT tunnel, 101 upgrade, or the bytes were not HTTP: an anomaly says why); the caller
 * may stop feeding it. VG_ERR_USAGE for a NULL state or a bad dir. */
int http_parse(struct http_state *st, int dir, const uint8_t *data, size_t len, struct vg_ts ts,
               http_tx_fn emit, void *ud);

/* http_gap tells that len bytes of direction dir were lost. Inside a body of known length the
 * parser skips them (the tx gets HTTP_TXF_*_GAP); elsewhere the message in progress is closed and
 * the parser resynchronises on the next line that starts a request (or a status line). The effect
 * is applied at the next http_parse or http_flush call, which hands over what it completes. */
int http_gap(struct http_state *st, int dir, size_t len);

/* http_flush ends the flow: a close-delimited response body ends normally, any other message in
 * progress is closed as incomplete, and every open transaction goes to emit, oldest first. After it
 * the state accepts no more bytes (http_parse returns VG_DECLINED). */
void http_flush(struct http_state *st, http_tx_fn emit, void *ud);

/* http_take_anomalies moves the anomaly ids that belong to no transaction (junk instead of a
 * request or status line, a message abandoned before it had a transaction) into out, at most max of
 * them, and returns how many. Call after http_parse / http_flush. */
unsigned http_take_anomalies(struct http_state *st, uint16_t *out, unsigned max);

/* Counters of this flow; valid until http_state_free. */
const struct http_counters *http_counters(const struct http_state *st);

#endif
