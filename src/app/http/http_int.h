/* http_int.h - state shared by the files of the HTTP parser (http_parser.c: byte state machines,
 * http_tx.c: transactions and request/response pairing, http_body.c: body decoding). Not for use
 * outside src/app/http/.
 */
#ifndef VG_HTTP_INT_H
#define VG_HTTP_INT_H

#include <zlib.h>

#include "app/http/http.h"

/* Parser states of one direction (see http_parser.c for the transitions). */
enum http__st {
    HS_IDLE,      /* between messages: skip empty lines */
    HS_RESYNC,    /* after a gap or a framing error: skip to the next LF, then try HS_IDLE */
    HS_RQ_METHOD, /* request line */
    HS_RQ_SP1,
    HS_RQ_URI,
    HS_RQ_SP2,
    HS_RQ_PROTO,
    HS_RQ_TAIL, /* whitespace after the protocol */
    HS_RQ_CR,
    HS_RS_PROTO, /* status line */
    HS_RS_PJUNK, /* "HTTP" followed by something other than a version: read as the version */
    HS_RS_SP1,
    HS_RS_STATUS,
    HS_RS_REASON,
    HS_RS_CR,
    HS_H_LINE, /* field lines (headers and trailers) */
    HS_H_NAME,
    HS_H_NAME_WS,
    HS_H_NAME_CR, /* a name line ended without colon: a fold may continue it (libhtp) */
    HS_H_NAME_NL,
    HS_H_OWS,
    HS_H_VALUE,
    HS_H_CR,
    HS_H_END_CR,
    HS_H_SKIP,
    HS_H_LWS, /* a field line starting with SP/HT: a fold, or "SP LF" ending the block */
    HS_H_LWS_NL, /* after "SP LF": an LF next makes that the end, else the SP LF line is */
    HS_B_LENGTH, /* bodies */
    HS_B_CLOSE,
    HS_C_SIZE,
    HS_C_SIZE_WS,
    HS_C_EXT,
    HS_C_SIZE_CR,
    HS_C_DATA,
    HS_C_DATA_CR,
    HS_C_DATA_LF,
    HS_CONNECT_WAIT, /* request side after CONNECT: wait for the answer */
    HS_DEAD,         /* tunnel, upgrade, flushed, or gave up: bytes are ignored */
};

/* Header fields the parser itself needs or publishes as named transaction fields. */
enum http__hk {
    HK_NONE,
    HK_HOST,
    HK_UA,
    HK_REFERER,
    HK_COOKIE,
    HK_CTYPE,
    HK_LOCATION,
    HK_SERVER,
    HK_CL,
    HK_TE,
    HK_CE,
    HK_COUNT
};

enum http__enc { HENC_NONE, HENC_GZIP, HENC_DEFLATE, HENC_UNSUPPORTED };

/* Content codings decoded per body at most (libhtp's response-body-decompress-layer-limit; the
 * suricata-verify http-evader cases use 3). More listed codings: the first ones are decoded. */
#define HTTP_CE_LAYERS 3
/* Input bytes a layer keeps until it has produced output: replayed when the first format fails. */
#define HTTP_ZHOLD 256

/* One content-coding layer of a body (see http_body.c). */
struct http__zl {
    uint8_t enc;      /* declared coding: HENC_GZIP or HENC_DEFLATE */
    uint8_t mode;     /* ZL_* in http_body.c */
    uint8_t fmt;      /* format being tried: ZF_* in http_body.c */
    uint8_t tried;    /* bit set of the formats tried */
    uint8_t hold_ovf; /* the hold filled up before any output */
    uint16_t nhold;
    uint64_t out; /* bytes produced */
    uint64_t pos; /* input bytes the current format has consumed (from the body's start) */
    uint8_t hold[HTTP_ZHOLD];
};

/* Decoding of one message body: de-chunked bytes in, excerpt and counters out. */
struct http__body {
    uint8_t enc;     /* enum http__enc of the first listed coding (flags, counters) */
    uint8_t nlayers; /* content codings to undo; layers[0] was applied first */
    uint8_t stop;    /* decoding stopped (limit): later bytes only count */
    struct http__zl layers[HTTP_CE_LAYERS];
    uint64_t len;     /* de-chunked bytes */
    uint64_t decoded; /* bytes after content decoding */
    uint8_t *keep;    /* excerpt storage (not owned); NULL: keep nothing */
    uint32_t keep_cap, kept;
};

struct http__hdr {
    uint32_t no, nl, vo, vl; /* offsets/lengths of name and value in the direction's buffer */
};

struct http__dir {
    uint8_t state;   /* enum http__st */
    uint8_t is_resp; /* 1 for the response direction */
    uint8_t resync;  /* junk at a message start is skipped silently instead of giving up */
    uint8_t after_bodiless; /* the last response had no body by rule (HEAD, 204, 304) */
    uint8_t in_trailer, in_body, hdr_open, line_ovf, fold_sp;
    uint8_t sl_ovf, hdr_trunc, too_many, sp_count, pidx, major, minor, nomem;
    uint8_t kind;           /* enum http__hk of the open field */
    uint8_t nm_len;         /* bytes in nm */
    char nm[24];            /* lowercased name of the open field (first 23 bytes) */
    uint8_t cv_len, cv_bad; /* value scratch of the open Content-Length field */
    char cv[40];
    uint8_t tok_len, tok_ovf; /* current token of a Transfer-/Content-Encoding value */
    char tok[16];
    uint8_t te_m, te_has_chunked; /* "chunked" matcher over the TE values (NULs and case ignored) */
    uint8_t ce_mg, ce_md, ce_tok; /* "gzip" / "deflate" matchers of the current CE token */
    uint8_t nenc, enc_over;       /* content codings listed (up to HTTP_CE_LAYERS), beyond */
    uint8_t encs[HTTP_CE_LAYERS];
    struct vg_ts ts; /* time of the message's first byte */
    uint32_t
        mflags; /* HTTP_TXF_REQ_* flags of this message (the RESP_ flag is the REQ_ one << 1) */
    uint32_t xflags; /* other HTTP_TXF_* flags of this message, ORed into the tx as they are */
    uint64_t pending_gap;

    /* header block: start line then fields, stored NUL-terminated; grows to cfg.header_buf_max */
    char *buf;
    uint32_t len, cap;
    uint32_t f_off[3], f_end[3]; /* start-line fields: method/uri/proto or proto/status/reason */
    uint32_t line_off, name_off, val_off, trim_end;
    struct http__hdr h[HTTP_MAX_HEADERS];
    uint16_t nh, dropped, n_trailers;
    int32_t status; /* response: the 3-digit code, 0 when missing or invalid */
    struct {
        uint32_t off, len;
        uint8_t set;
    } known[HK_COUNT];

    /* framing facts from the header block */
    int64_t cl;     /* Content-Length, -1 none */
    uint8_t cl_bad; /* invalid or conflicting Content-Length */
    uint8_t te_present, te_chunked_last, te_bad, ce_count;
    uint8_t enc; /* enum http__enc */

    /* body */
    uint64_t remaining; /* bytes left in a Content-Length body or a chunk */
    uint64_t chunk_size;
    uint8_t chunk_digits, chunk_ext;
    uint64_t wire; /* body bytes incl. chunk framing */
    struct http__body body;
    z_stream *zs[HTTP_CE_LAYERS]; /* per layer, lazily created, reset per body */
    uint8_t zinit[HTTP_CE_LAYERS]; /* zs[i] holds an initialised inflate stream */
    uint8_t *keep; /* response excerpt storage (body_keep bytes), lazily allocated */

    /* anomalies of the message before it has a transaction */
    uint16_t anom[HTTP_MAX_ANOMALIES];
    uint8_t nanom, nanom_dropped;
};

/* A transaction and its storage (one allocation, recycled). */
struct http__txn {
    struct http_tx tx; /* first: the public part */
    struct http__txn *next;
    uint8_t in_fifo, req_done, resp_matched, resp_done;
    uint32_t cap;  /* bytes in arena */
    uint8_t *keep; /* request body excerpt storage inside arena; NULL: none */
    uint32_t keep_cap;
    /* arena: the request's header array, its copied header block, then the body excerpt */
    _Alignas(16) char arena[];
};

struct http_state {
    struct http_config cfg;
    struct http__dir d[2];
    struct http__txn *head, *tail; /* FIFO of open transactions, oldest first */
    unsigned n_open;
    struct http__txn *req_cur;  /* transaction the request side is filling (its body) */
    struct http__txn *resp_cur; /* transaction the response in progress belongs to */
    struct http__txn *free_list;
    unsigned n_free;
    uint64_t next_id;
    struct vg_ts now; /* ts of the current http_parse call */
    http_tx_fn emit;
    void *ud;
    struct http_header resp_h[HTTP_MAX_HEADERS]; /* response headers handed out with a tx */
    uint16_t anom[16]; /* anomalies with no transaction, for http_take_anomalies */
    uint8_t nanom;
    struct http_counters c;
};

/* http_parser.c */
void http__anom(struct http_state *st, struct http__dir *d, int id);
void http__state_anom(struct http_state *st, int id);

/* http_tx.c: called by the byte machines at message boundaries */
void http__req_head_done(struct http_state *st, struct http__dir *d);
void http__req_done(struct http_state *st, struct http__dir *d, uint32_t flags);
void http__resp_msg_start(struct http_state *st);
void http__resp_head_done(struct http_state *st, struct http__dir *d);
void http__resp_done(struct http_state *st, struct http__dir *d, int force);
void http__interim_done(struct http_state *st, struct http__dir *d);
void http__emit_all(struct http_state *st);
void http__txn_free_all(struct http_state *st);
void http__tx_add_anom(struct http_tx *tx, int id);

/* http_body.c */
void http__body_begin(struct http_state *st, struct http__dir *d, uint8_t *keep, uint32_t keep_cap);
void http__body_data(struct http_state *st, struct http__dir *d, const uint8_t *p, size_t n);
void http__body_gap(struct http_state *st, struct http__dir *d, uint64_t n);
void http__body_fini(struct http_state *st, struct http__dir *d);

#endif
