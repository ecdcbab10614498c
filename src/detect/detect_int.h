/* detect_int.h - what the files of src/detect share and nobody else uses: the logical rule text
 * with its position map (rule_lexer.c), the parse context the keyword files fill
 * (rule_parser.c), the keyword tables (keywords/kw_*.c) and the address/port resolvers
 * (rule_vars.c). Functions here are module-internal: prefix__name.
 */
#ifndef VG_DETECT_INT_H
#define VG_DETECT_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vg_addr.h"
#include "detect/detect.h"

/* ---- logical rule text (rule_lexer.c) ------------------------------------------------------- */

/* Logical offset `off` starts physical line `line` at column `col` (both 1-based). */
struct rule_seg {
    uint32_t off, line, col;
};

/* One logical rule: physical lines joined at trailing backslashes (the backslash removed), with
 * the map back to file positions. buf is NUL-terminated; it owns its memory. */
struct rule_text {
    char *buf;
    size_t len, cap;
    struct rule_seg *seg;
    uint32_t nseg, segcap;
};

void rule_lexer__text_init(struct rule_text *t);
void rule_lexer__text_fini(struct rule_text *t);
void rule_lexer__text_reset(struct rule_text *t);
/* Appends n bytes that start at file position line:col. Returns VG_OK or VG_ERR_NOMEM. */
int rule_lexer__text_append(struct rule_text *t, const char *p, size_t n, uint32_t line,
                            uint32_t col);
/* File position of a logical offset (clamped to the text). */
void rule_lexer__text_pos(const struct rule_text *t, size_t off, uint32_t *line, uint32_t *col);

/* Splits a file image into logical rules. Comment lines (first non-blank byte '#'), blank lines
 * and whitespace are handled here; the caller gets every other logical line. */
struct rule_lexer {
    const char *data;
    size_t len, pos;
    uint32_t line;     /* next physical line number */
    uint32_t max_line; /* bytes of one logical line */
};

enum rule_lexer_kind {
    RULE_LEX_RULE,    /* t holds a logical line to parse */
    RULE_LEX_TOOLONG, /* a logical line exceeded max_line; it was skipped; t->seg[0] has where */
    RULE_LEX_BINARY,  /* the line holds a NUL byte; skipped */
};

void rule_lexer__init(struct rule_lexer *lx, const char *data, size_t len, uint32_t max_line);
/* Next logical line into t (reset first). Returns VG_OK with *kind set, VG_EOF at the end, or
 * VG_ERR_NOMEM. Work per call is linear in the bytes consumed. */
int rule_lexer__next(struct rule_lexer *lx, struct rule_text *t, int *kind);

/* A token of the rule text: [off, off+len) in the logical text. */
struct rule_tok {
    size_t off, len;
};

/* One option "name[:value];" of the option list. val is absent when has_val is false. The value
 * is raw: escapes are kept, surrounding blanks trimmed. */
struct rule_opt {
    struct rule_tok name;
    struct rule_tok val;
    bool has_val;
};

/* Header word at *pos (blanks skipped): runs to the next blank or '(' outside brackets; blanks
 * inside [ ] belong to the word. Returns false at the end of the header (no word). *deep_at is
 * the offset of the first '[' nested deeper than max_depth (SIZE_MAX if none) and *open tells
 * that a '[' was never closed (the word then runs to the end of the text). */
bool rule_lexer__word(const char *s, size_t len, size_t *pos, struct rule_tok *tok,
                      unsigned max_depth, size_t *deep_at, bool *open);

/* Next option of the option list s[*pos, end): splits at the first ';' not escaped by a
 * backslash. Returns 1 with *o filled, 0 at the end, -1 on an empty option (";;"), with o->name
 * pointing at it. */
int rule_lexer__option(const char *s, size_t end, size_t *pos, struct rule_opt *o);

/* rule_parser.c: parses a logical rule (continuations already joined, positions mapped back
 * through t). Same contract as rule_parser_parse. */
int rule_parser__parse_text(const struct rule_text *t, const struct rule_parse_cfg *cfg,
                            struct rule **out, struct rule_error *err);

/* ---- parse context (rule_parser.c) ---------------------------------------------------------- */

enum rule_seen {
    RULE_SEEN_SID = 1u << 0,
    RULE_SEEN_REV = 1u << 1,
    RULE_SEEN_GID = 1u << 2,
    RULE_SEEN_MSG = 1u << 3,
    RULE_SEEN_CLASSTYPE = 1u << 4,
    RULE_SEEN_PRIORITY = 1u << 5,
    RULE_SEEN_DSIZE = 1u << 6,
    RULE_SEEN_TARGET = 1u << 7,
    RULE_SEEN_APP_PROTO = 1u << 8,
    RULE_SEEN_TLS_VERSION = 1u << 9,
};

#define RULE_MAX_LISTS 64 /* buffer lists per rule */

struct rule_pc {
    struct rule *r;
    const struct rule_text *t;
    const char *s; /* t->buf */
    const struct rule_parse_cfg *cfg;
    const struct rule_limits *lim;
    const struct rule_vars *vars;
    const struct rule_classes *classes;
    struct rule_error *err;
    int status; /* first failure */

    /* matches in rule order; grouped into per-buffer lists when the rule is complete */
    struct rule_match *m;
    size_t nm, capm;
    long last_content;     /* index in m, or -1 */
    long last_match;       /* index in m of the last buffer match, or -1 */
    uint8_t sticky;        /* enum rule_buf: where new matches go */
    int override;          /* >= 0: the next match goes to this buffer instead (uricontent, urilen,
                              pcre buffer modifiers) */
    bool sticky_set;       /* a sticky buffer keyword is in force */
    size_t sticky_off;     /* where it was set */
    uint32_t sticky_count; /* matches added to it since */
    uint8_t ntx;           /* transforms on the sticky buffer in force */
    uint8_t tx[RULE_MAX_TX];
    /* buffer lists: one per (buffer, transforms), in order of first use */
    struct {
        uint8_t id, ntx;
        uint8_t tx[RULE_MAX_TX];
    } inst[RULE_MAX_LISTS];
    uint32_t ninst;
    uint32_t ncontents;
    uint32_t seen; /* enum rule_seen */
    size_t fp_off; /* offset of the fast_pattern option, when set */
    long fp_match; /* index in m of the fast_pattern content, or -1 */
    long dsize_pm; /* index in r->pm of dsize, or -1 */
    size_t dsize_off;
    struct rule_tok opt_name; /* the option being parsed */
};

/* Records the first error (position from the logical offset) and returns status. */
int rule__fail(struct rule_pc *pc, size_t off, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, with "<keyword>: " in front of the message. */
int rule__kwfail(struct rule_pc *pc, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a match to the current buffer (pc->sticky). Returns its index or -1 (error set). */
long rule__add_match(struct rule_pc *pc, uint8_t kind, size_t off);
/* Index of the list for buffer id (with the transforms in force when it is the sticky buffer,
 * else none), created on first use; -1 when there are too many (error set). */
int rule__list_for(struct rule_pc *pc, uint8_t id, bool with_tx, size_t off);
/* Appends a packet-level condition. Returns it or NULL (error set). */
struct rule_pmatch *rule__add_pmatch(struct rule_pc *pc, uint8_t kind);
/* Copies [p, p+n) into a new NUL-terminated string (vg_malloc), or NULL. */
char *rule__strndup(const char *p, size_t n);

/* ---- small parsers shared by the keyword files (rule_parser.c) ------------------------------- */

/* A value split at commas: up to max trimmed fields; returns the count, or -1 when there are more
 * than max. Fields keep their offsets in the logical text. */
int rule__split(const char *s, struct rule_tok val, char sep, struct rule_tok *out, int max);
/* Trims blanks around a token. */
struct rule_tok rule__trim(const char *s, struct rule_tok t);
/* Token equals the word (exactly / case-insensitively). */
bool rule__tok_eq(const char *s, struct rule_tok t, const char *word);
bool rule__tok_ieq(const char *s, struct rule_tok t, const char *word);
/* Strict integers: optional sign (signed only), decimal or 0x hex when hex_ok. */
bool rule__parse_i64(const char *s, struct rule_tok t, int64_t lo, int64_t hi, int64_t *v);
bool rule__parse_u64(const char *s, struct rule_tok t, bool hex_ok, uint64_t max, uint64_t *v);
/* A numeric comparison as used by dsize, ttl, itype, bsize, ...: "N", "=N", "!N", "!=N", "<N",
 * "<=N", ">N", ">=N", "A<>B" and, when dash_range, "A-B" (both exclusive, as Suricata). Returns
 * false with *why set on a malformed or out-of-range value. */
bool rule__parse_cmp(const char *s, struct rule_tok t, uint64_t max, bool dash_range,
                     struct rule_cmp *c, const char **why);
/* A number or the name of a byte_extract variable already defined in the rule. Returns VG_OK, or
 * fails with "<kw>: invalid <what> '...'" (what may be NULL: "invalid value"). */
int rule__parse_num(struct rule_pc *pc, struct rule_tok t, int64_t lo, int64_t hi,
                    struct rule_num *n, const char *what);
/* Decodes a double-quoted value with the escapes \" \\ \; \: into a new string; *out_len set.
 * Fails (error set, returns NULL) when the quotes are missing or an unescaped quote is inside. */
char *rule__unquote(struct rule_pc *pc, struct rule_tok val, size_t *out_len);

/* ---- keyword tables (keywords/kw_*.c) ------------------------------------------------------- */

typedef int (*rule_kw_fn)(struct rule_pc *pc, const struct rule_opt *o, int arg);

enum rule_kw_flags {
    RULE_KW_NOVAL = 1u << 0,  /* takes no value ("nocase;") */
    RULE_KW_VAL = 1u << 1,    /* needs a value */
    RULE_KW_OPTVAL = 1u << 2, /* value optional (fast_pattern) */
};

struct rule_kw {
    const char *name;
    rule_kw_fn fn;
    int arg;
    unsigned flags;
};

extern const struct rule_kw kw_meta__table[];
extern const struct rule_kw kw_content__table[];
extern const struct rule_kw kw_pcre__table[];
extern const struct rule_kw kw_flow__table[];
extern const struct rule_kw kw_byte__table[];
extern const struct rule_kw kw_buffers__table[];
extern const struct rule_kw kw_packet__table[];
extern const struct rule_kw kw_threshold__table[];
extern const struct rule_kw kw_misc__table[];
/* Each table ends with a row whose fn is NULL; rows with a NULL name are skipped. */

/* kw_buffers.c: resolves a sticky buffer keyword (name or alias) to its buffer id, or -1. */
int kw_buffers__lookup(const char *name, size_t len);
/* kw_buffers.c: sticky-buffer keyword handler (arg = enum rule_buf), also used for aliases. */
int kw_buffers__sticky(struct rule_pc *pc, const struct rule_opt *o, int arg);

/* kw_buffers.c: fails when the sticky buffer in force received no match (Suricata: "didn't add
 * matches to it"). Called before a new sticky buffer is set and at finalisation. */
int kw_buffers__check_empty(struct rule_pc *pc);
/* kw_content.c: checks made when the rule is complete (relative chains, dsize/bsize bounds). */
int kw_content__finalize(struct rule_pc *pc);
/* kw_content.c: frees what a content match owns. */
void kw_content__free(struct rule_content *c);
/* kw_pcre.c: frees the compiled code and strings. */
void kw_pcre__free(struct rule_pcre *p);
/* kw_meta.c: the built-in classification table (shared, immutable). */
const struct rule_classes *kw_meta__classes_default(void);

/* ---- addresses, ports, variables (rule_vars.c) ----------------------------------------------- */

/* The built-in defaults (immutable, shared). */
const struct rule_vars *rule_vars__default(void);
/* Parses an address spec (header field) into r->src/dst. On failure returns VG_ERR_FORMAT or
 * VG_ERR_LIMIT, with *why a static or buf message and *why_off the offset in spec. */
int rule_vars__addr(const struct rule_vars *v, const char *spec, size_t len, unsigned max_depth,
                    struct rule_addr *out, char *why, size_t whylen, size_t *why_off);
int rule_vars__ports(const struct rule_vars *v, const char *spec, size_t len, unsigned max_depth,
                     struct rule_ports *out, char *why, size_t whylen, size_t *why_off);
void rule_vars__addr_fini(struct rule_addr *a);
void rule_vars__ports_fini(struct rule_ports *p);

/* ---- compiled engine (rule_compiler.c, prefilter.c, match.c, detect_engine.c) ---------------- */

struct hs_database;
struct hs_scratch;

/* What a rule is evaluated on. */
enum de_kind {
    DE_K_NONE,   /* never matches here (see de_rule.inactive) */
    DE_K_PKT,    /* packets: payload / stream / header only */
    DE_K_HTTP,   /* HTTP transactions */
    DE_K_DNS,    /* DNS messages */
    DE_K_TLS,    /* TLS sessions (handed over by the app layer's tls_session hook) */
    DE_K_SSH,    /* SSH sessions (ssh_session hook) */
    DE_K_TAMPER, /* tamper findings at flow end */
};

/* Why a rule never matches (detect_inactive_reason). */
enum de_inactive {
    DE_IN_PROTO,     /* protocol vigil's layers do not publish (smtp, arp, ...) */
    DE_IN_TLS_SSH,   /* tls.certs: the TLS parser keeps no certificate DER */
    DE_IN_FILE,      /* file.data outside HTTP */
    DE_IN_MIXED_APP, /* buffers of two application protocols */
    DE_IN_COUNT
};

/* L4 classes a rule applies to (de_rule.l4). */
enum { DE_L4_TCP = 1, DE_L4_UDP = 2, DE_L4_ICMP4 = 4, DE_L4_ICMP6 = 8, DE_L4_OTHER = 16 };

/* How a TCP rule's payload list is inspected (Suricata's SIG_FLAG_REQUIRE_STREAM/PACKET). */
enum de_tcp_mode {
    DE_TCP_STREAM_THEN_PKT, /* stream chunk; the packet when its data was not added to the stream */
    DE_TCP_STREAM_ONLY,     /* only_stream, tcp-stream */
    DE_TCP_PKT_ONLY,        /* no_stream, dsize, tcp-pkt */
};

/* Suricata's flowbits ordering classes: setters before readers. */
enum de_fbtype { DE_FB_SET, DE_FB_SET_READ, DE_FB_READ, DE_FB_NONE };

/* A flowbits condition or action with its names interned to bit numbers. */
struct de_fb {
    uint8_t cmd; /* enum rule_flowbit_cmd */
    uint8_t op;  /* '|', '&' or 0 */
    uint16_t n;
    uint32_t off; /* into de->fb_ids */
};

struct de_rule {
    const struct rule *r;
    uint32_t id;      /* evaluation order (index in de->rules) */
    uint8_t kind;     /* enum de_kind */
    uint8_t inactive; /* enum de_inactive when kind == DE_K_NONE */
    uint8_t l4;       /* DE_L4_* mask */
    uint8_t tcp_mode; /* enum de_tcp_mode */
    int8_t pkt_list;  /* index in r->buf of the pkt_data list, or -1 */
    uint8_t fbtype;   /* enum de_fbtype */
    uint8_t app;      /* APP_PROTO_* the flow must have (0: any) */
    uint8_t app_proto_kw; /* app-layer-protocol: APP_PROTO_* required, 0 none, 0xff never */
    uint8_t dirs;     /* candidate directions: bit 0 to_server, bit 1 to_client */
    bool has_events;  /* anomaly event conditions */
    bool has_tamper;  /* vigil.tamper condition */
    bool header_only; /* no buffer list at all */
    bool mixed_pkt;   /* an app rule that also has a pkt_data list */
    bool iponly;      /* Suricata's IP-only rule: first packet of each flow direction only */
    bool pdonly;      /* only app-layer-protocol: the packet that completed protocol detection */
    uint32_t fb_off, fb_n; /* flowbits in de->fbs */
};

/* Contexts a prefilter group serves. */
enum de_class {
    DE_C_TCP_STREAM, /* TCP payload rules: the stream chunk, and packets not covered by it (rules
                        that inspect packets only share the database: one scan per chunk) */
    DE_C_TCP_PKT,    /* (unused: merged into DE_C_TCP_STREAM) */
    DE_C_OTHER_PKT,  /* UDP/ICMP/other packets */
    DE_C_HTTP,       /* an HTTP buffer list (buf + transforms) */
    DE_C_DNS,        /* a DNS buffer list */
    DE_C_TLS,        /* a TLS buffer list (sni, certificate fields, ja3/ja3s/ja4) */
    DE_C_SSH,        /* an SSH buffer list (proto, software, hassh) */
    DE_C_COUNT
};

/* One Vectorscan database: the fast patterns of the rules of one (class, direction[, list]). */
struct de_group {
    uint8_t cls;  /* enum de_class */
    uint8_t dir;  /* 0 to_server, 1 to_client */
    uint8_t buf;  /* app classes: enum rule_buf */
    uint8_t ntx;  /* app classes: transforms */
    uint8_t tx[RULE_MAX_TX];
    uint32_t n;        /* patterns */
    uint32_t max_len;  /* longest pattern: how much look-behind a scan needs */
    uint32_t *rule_of; /* pattern id -> rule id */
    struct hs_database *db;
};

/* Header-only rules found by address: each entry covers [lo, hi] of the IPv4 set of the rule's
 * source (src index) or destination (dst index). */
struct de_ipent {
    uint32_t lo, hi, rule;
};
struct de_ipidx {
    struct de_ipent *e; /* sorted by lo; spans < DE_IP_NARROW */
    uint32_t n;
    uint32_t maxspan;
    struct de_ipent *wide; /* the rest, scanned linearly */
    uint32_t nwide;
};
#define DE_IP_NARROW 65536u

/* The IPv6 part: single addresses (sorted, exact lookup) and small ranges (within one /64,
 * scanned linearly). */
struct de_ip6ent {
    uint8_t lo[16], hi[16];
    uint32_t rule;
};
struct de_ip6idx {
    struct de_ip6ent *single; /* lo == hi, sorted by lo */
    uint32_t nsingle;
    struct de_ip6ent *ranges;
    uint32_t nranges;
};

/* Always-evaluated rule ids (sorted) per context. */
enum de_always {
    DE_A_TCP_STREAM, /* payload rules on TCP without a usable fast pattern */
    DE_A_TCP_PKT,
    DE_A_OTHER_PKT,
    DE_A_HDR_TCP, /* header-only rules on TCP packets */
    DE_A_HDR_OTHER,
    DE_A_HTTP,
    DE_A_DNS,
    DE_A_TAMPER,
    DE_A_TLS,
    DE_A_SSH,
    DE_A_COUNT
};

struct de_list {
    uint32_t *id;
    uint32_t n;
};

/* Rules found by port instead of by pattern: payload rules whose fast pattern is 1-2 bytes (it
 * would hit almost every buffer and halve the scan rate of a whole database) or missing, and
 * header-only rules, when their destination (side 0) or source (side 1) port set is small. */
struct de_portent {
    uint16_t port;
    uint8_t side; /* 0: the packet's destination port, 1: its source port */
    uint8_t ctx;  /* enum de_always context the rule belongs to */
    uint32_t rule;
};
struct de_portidx {
    struct de_portent *e; /* sorted by (side, port, rule) */
    uint32_t n;
};
#define DE_PORT_SMALL 64 /* port sets up to this size are indexed */
#define DE_FP_SHORT 3    /* payload fast patterns of this length or less go to the port index */

struct detect_engine {
    struct de_rule *rules; /* in evaluation order */
    uint32_t nrules;
    struct de_fb *fbs;
    uint32_t nfbs;
    uint32_t *fb_ids;
    uint32_t nfb_ids;
    uint32_t nbits;    /* distinct flowbit names */
    uint32_t fb_words; /* 64-bit words per flow */
    struct de_group *groups;
    uint32_t ngroups;
    struct de_list always[DE_A_COUNT][2]; /* [context][dir] */
    struct de_ipidx ip_src, ip_dst;
    struct de_ip6idx ip6_src, ip6_dst;
    struct de_portidx ports[2]; /* [dir]: payload and header rules by port */
    uint32_t max_list; /* longest match list of any rule (stack sizing) */
    uint32_t flow_state_max, threshold_max;
    uint32_t rules_failed;
    bool has_stream_rules; /* stream tails are worth keeping */
    bool has_tls_rules;
    bool has_pdonly; /* PD-only rules: track protocol detection per flow */
    bool has_pass;   /* pass rules: a flow can be passed */
};

/* ---- prefilter.c: Vectorscan ---------------------------------------------------------------- */

struct pf_pattern {
    const uint8_t *p;
    uint32_t len;
    bool nocase;
};

/* Compiles n literal patterns (ids 0..n-1; bytes escaped as \xNN; HS_FLAG_SINGLEMATCH, and
 * HS_FLAG_CASELESS when nocase) into a block-mode database. Returns VG_OK or VG_ERR_FORMAT /
 * VG_ERR_NOMEM with err set. */
int prefilter__compile(const struct pf_pattern *pats, uint32_t n, struct hs_database **db,
                       char *err, size_t errlen);
void prefilter__db_free(struct hs_database *db);
/* Grows *scratch so that it serves db too (one scratch per thread serves every database). */
int prefilter__scratch_for(struct hs_scratch **scratch, const struct hs_database *db);
void prefilter__scratch_free(struct hs_scratch *scratch);
/* Scans buf with db; on_match(ctx, pattern id) for each pattern found (once per pattern).
 * Returns VG_OK or VG_ERR_FORMAT on a scan error. */
typedef void (*prefilter_match_fn)(void *ctx, uint32_t id);
int prefilter__scan(const struct hs_database *db, struct hs_scratch *scratch, const uint8_t *buf,
                    uint32_t len, prefilter_match_fn on_match, void *ctx);
/* The library version string (part of the cache key). */
const char *prefilter__version(void);

/* Cache of compiled databases: one file per key (64 hex digits of a SHA-256 the caller computed)
 * in dir. The file carries the key and a SHA-256 of its payload, both checked before any
 * database is deserialised; any mismatch or deserialisation error makes the load fail (the caller
 * compiles instead). */
int prefilter__cache_load(const char *path, const uint8_t key[32], struct hs_database **dbs,
                          uint32_t ndb, char *why, size_t whylen);
int prefilter__cache_store(const char *path, const uint8_t key[32],
                           struct hs_database *const *dbs, uint32_t ndb, char *why,
                           size_t whylen);

/* ---- match.c: verification ------------------------------------------------------------------- */

/* Scratch of the content inspection engine (one per thread). */
struct match_ctx;

struct match_ctx *match__ctx_new(const struct detect_engine *de);
void match__ctx_free(struct match_ctx *mc);

/* A buffer to inspect. origin: where the buffer proper starts; the bytes before it are
 * look-behind context only (the tail of the previous stream chunk): absolute positions (depth,
 * offset, startswith, byte_* and isdataat offsets, pcre without /R, the first relative match) are
 * measured from origin, and a match counts only when it reads beyond origin, so a match that lies
 * wholly in bytes inspected before is not reported twice. Unanchored contents may start in the
 * look-behind (a pattern split across two segments). */
struct match_buf {
    const uint8_t *p;
    uint32_t len;
    uint32_t origin;
};

/* match__list inspects list b of rule r against buf. Returns true on a match. Steps are capped
 * (*limited set when the cap stopped it). */
bool match__list(struct match_ctx *mc, const struct rule *r, const struct rule_buffer *b,
                 const struct match_buf *buf, bool *limited);
/* Applies list b's transforms to in (len) into the context's scratch; returns the result (may be
 * `in` itself when there are none). *trunc set when the scratch was too small. */
const uint8_t *match__transform(struct match_ctx *mc, int slot, const struct rule_buffer *b,
                                const uint8_t *in, uint32_t len, uint32_t *out_len, bool *trunc);
/* Resets per-rule state (byte_extract variables) before a rule is inspected. */
void match__rule_begin(struct match_ctx *mc);
uint64_t match__pcre_errors(const struct match_ctx *mc);

/* Numeric helpers shared with detect_engine.c. */
bool match__cmp(const struct rule_cmp *c, uint64_t x);
bool match__addr(const struct rule_addr *a, const struct vg_addr *x);
bool match__port(const struct rule_ports *p, uint16_t x);

#endif
