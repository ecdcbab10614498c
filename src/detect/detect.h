/* detect.h - the rule engine's public API: the Suricata rule language parsed into struct rule
 * (rule.h), the rule compiler (rule_compiler.c: groups, Vectorscan prefilter databases, cache)
 * and the matcher (detect_engine.c, match.c: per-worker state, verification, alerts).
 *
 * Typical use:
 *
 *     struct rule_loader *ld = rule_loader_new(NULL);
 *     rule_loader_set_var(ld, "HOME_NET", "[10.0.0.0/8]", &err);
 *     rule_loader_load_file(ld, "emerging-all.rules");   // never aborts on a bad rule
 *     size_t n; struct rule *const *rules = rule_loader_rules(ld, &n);
 *     ...
 *     rule_loader_free(ld);                               // frees the rules too
 *
 * A rule that cannot be used is skipped with its file, line, sid and a reason: "unsupported
 * keyword 'xbits'", "content: unterminated hex block", "duplicate sid 1:2000 (first at x:3)", ...
 * Loading is bounded: line length, options per rule, contents per rule, group nesting and the
 * number of rules are capped (struct rule_limits), so hostile files fail fast with clear errors.
 */
#ifndef VG_DETECT_H
#define VG_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/rule.h"

/* ---- errors --------------------------------------------------------------------------------- */

#define RULE_ERR_MSG 256

/* Where and why a rule (or a config line) was rejected. msg has no position prefix; format it as
 * "%s:%u:%u: %s" (file, line, col, msg). line/col are 1-based; 0 when unknown. */
struct rule_error {
    const char *file; /* not owned: the name given by the caller */
    uint32_t line, col;
    uint32_t sid;     /* the rule's sid when it could be found, else 0 */
    bool unsupported; /* valid Suricata, but a keyword/protocol/event vigil does not handle */
    char msg[RULE_ERR_MSG];
};

/* ---- limits --------------------------------------------------------------------------------- */

struct rule_limits {
    uint32_t max_line;     /* bytes of one rule, continuations included (default 65536) */
    uint32_t max_options;  /* options per rule (256) */
    uint32_t max_contents; /* content matches per rule (128) */
    uint32_t max_rules;    /* rules kept per loader (2,000,000) */
    uint32_t max_depth;    /* nesting of [ ] groups and of variables in variables (16) */
    uint32_t max_skips;    /* skipped rules recorded one by one (200,000; the rest only counted) */
};

/* Fills l with the defaults above. */
void rule_limits_default(struct rule_limits *l);

/* ---- variables (rule_vars.c) ---------------------------------------------------------------- */

/* A table of $NAME -> value, preloaded with Suricata's suricata.yaml defaults (HOME_NET
 * "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", EXTERNAL_NET "!$HOME_NET", HTTP_SERVERS, ...,
 * HTTP_PORTS "80", ...). Address and port variables share the one namespace. */
struct rule_vars;

struct rule_vars *rule_vars_new(void);
void rule_vars_free(struct rule_vars *v);
/* Sets (or replaces) a variable; name without '$'. The value is checked when a rule uses it, so
 * a bad value makes every rule that uses it fail with a message naming the variable.
 * Returns VG_OK, VG_ERR_USAGE (bad name), VG_ERR_LIMIT (too many/too long) or VG_ERR_NOMEM. */
int rule_vars_set(struct rule_vars *v, const char *name, const char *value);
/* The value of a variable, or NULL; valid until the next rule_vars_set/free. */
const char *rule_vars_get(const struct rule_vars *v, const char *name);

/* ---- classification (keywords/kw_meta.c) ---------------------------------------------------- */

/* classtype names, descriptions and priorities. New tables hold Suricata's default
 * classification.config; kw_meta_classes_load adds or replaces entries from a file. */
struct rule_classes;

struct rule_classes *kw_meta_classes_new(void);
void kw_meta_classes_free(struct rule_classes *c);
/* Reads "config classification: name,description,priority" lines (comments and blank lines are
 * ignored). Returns VG_OK, VG_ERR_IO (cannot open) or VG_ERR_FORMAT (err says where). */
int kw_meta_classes_load(struct rule_classes *c, const char *path, struct rule_error *err);
/* Priority (1..255) of a class and its description; -1 / NULL when unknown. */
int kw_meta_classes_lookup(const struct rule_classes *c, const char *name, const char **desc);

/* ---- parsing one rule (rule_parser.c) ------------------------------------------------------- */

struct rule_parse_cfg {
    const struct rule_vars *vars;       /* NULL: built-in defaults */
    const struct rule_classes *classes; /* NULL: built-in defaults */
    const struct rule_limits *limits;   /* NULL: defaults */
    const char *file;                   /* for messages and rule->file; may be NULL */
    uint32_t line;                      /* line of the first byte of text (1 if 0) */
};

/* Parses one rule given as a single logical line (no continuations, no comment). On success
 * *out is a new rule (rule_free); on failure *out is NULL, err says where and why, and the
 * return is VG_ERR_FORMAT (invalid), VG_ERR_UNSUPPORTED (valid Suricata that vigil does not
 * handle), VG_ERR_LIMIT (a cap was hit) or VG_ERR_NOMEM. */
int rule_parser_parse(const char *text, size_t len, const struct rule_parse_cfg *cfg,
                      struct rule **out, struct rule_error *err);

/* ---- loading files (rule_loader.c) ---------------------------------------------------------- */

struct rule_skip {
    const char *file; /* owned by the loader */
    uint32_t line, col;
    uint32_t sid; /* 0 when unknown */
    bool unsupported;
    char *reason; /* the message, without position */
};

struct rule_loader_stats {
    uint64_t files;         /* files read */
    uint64_t files_failed;  /* files that could not be opened or read */
    uint64_t loaded;        /* rules kept */
    uint64_t skipped;       /* rules (or rule-looking lines) not kept */
    uint64_t unsupported;   /* of skipped: valid Suricata that vigil does not handle */
    uint64_t duplicates;    /* of skipped: duplicate gid:sid */
    uint64_t skips_dropped; /* skipped rules counted but not recorded (max_skips reached) */
};

struct rule_loader_cfg {
    const struct rule_limits *limits; /* NULL: defaults */
};

struct rule_loader;

struct rule_loader *rule_loader_new(const struct rule_loader_cfg *cfg);
/* Frees the loader, its rules, skips and tables; NULL is a no-op. */
void rule_loader_free(struct rule_loader *ld);

/* Sets a variable before loading ("HOME_NET", "[10.0.0.0/8]"). Returns VG_OK or an error (see
 * rule_vars_set; err->msg says why). */
int rule_loader_set_var(struct rule_loader *ld, const char *name, const char *value,
                        struct rule_error *err);
/* Replaces or extends the classification table from a classification.config file. */
int rule_loader_load_classification(struct rule_loader *ld, const char *path,
                                    struct rule_error *err);

/* Loads every rule of a file. Bad rules are skipped and recorded, they never stop the load.
 * Returns VG_OK, VG_ERR_IO when the file cannot be opened or read (err says why; counted in
 * files_failed), or VG_ERR_NOMEM. */
int rule_loader_load_file(struct rule_loader *ld, const char *path, struct rule_error *err);
/* Same for text in memory; name is used in messages. */
int rule_loader_load_buffer(struct rule_loader *ld, const char *name, const char *data, size_t len);

const struct rule_loader_stats *rule_loader_stats(const struct rule_loader *ld);
/* The rules kept, in load order; valid until rule_loader_free. */
struct rule *const *rule_loader_rules(const struct rule_loader *ld, size_t *n);
/* The skipped rules recorded, in load order; valid until rule_loader_free. */
const struct rule_skip *rule_loader_skips(const struct rule_loader *ld, size_t *n);

/* Skipped counts by reason, including those past max_skips. The group key is the reason up to
 * its first " (" (details go in parentheses), so "duplicate sid 1:5 (first at a:3)" and similar
 * fall together. Returns the number of groups; *groups is valid until rule_loader_free. */
struct rule_skip_group {
    const char *reason;
    uint64_t count;
};
size_t rule_loader_skip_groups(struct rule_loader *ld, const struct rule_skip_group **groups);

/* ---- the engine: compiled rules (rule_compiler.c) --------------------------------------------
 *
 *     struct detect_engine *de;
 *     struct detect_build_cfg bc = {0};              // default cache directory
 *     detect_engine_build(rules, n, &bc, &de, &info, err, sizeof err);
 *     struct detect_thread *dt = detect_thread_new(de, on_alert, worker);   // one per worker
 *     ... detect_packet(dt, f, p, dir, sr); detect_http_tx(dt, f, p, tx); ...
 *     detect_flow_end(dt, f); detect_thread_free(dt); detect_engine_free(de);
 *
 * The engine is immutable once built and shared by every worker; it points at the rules (it does
 * not copy them): the loader that owns them must outlive the engine. A thread context holds
 * everything that changes: Vectorscan scratch, PCRE2 match data, candidate lists, per-flow state
 * (flowbits, stream tails), threshold tables and counters. Nothing on the per-packet path
 * allocates, except the per-flow state records, which come from a pool grown in chunks up to a cap
 * (exhaustion is counted and degrades: no flowbits and no cross-segment tail for that flow). */

struct detect_engine;
struct detect_thread;
struct flow;
struct packet;
struct stream_result;
struct http_tx;
struct dns_msg;
struct tamper_finding;
struct tls_session;
struct ssh_session;

struct detect_build_cfg {
    const char *cache_dir; /* NULL: $XDG_CACHE_HOME/vigil, else $HOME/.cache/vigil */
    bool no_cache;         /* never read or write the cache */
    uint32_t flow_state_max; /* per-flow state records per worker; 0: 65536 */
    uint32_t threshold_max;  /* threshold/detection_filter entries per worker; 0: 65536 */
    uint32_t rules_failed;   /* rules the loader skipped (only reported in stats.detect) */
};

/* What a build did (for the CLI and the benchmarks). */
struct detect_build_info {
    uint32_t rules;          /* rules given */
    uint32_t active;         /* rules that can match with vigil's layers */
    uint32_t inactive;       /* rules that never match (protocol/buffer vigil does not publish) */
    uint32_t groups;         /* prefilter databases */
    uint32_t patterns;       /* fast patterns in them (a rule may be in several directions) */
    uint32_t no_fast_pattern; /* active rules evaluated without a prefilter (always list) */
    uint32_t ip_indexed;     /* header-only rules found through the address index */
    uint32_t tls_ssh;        /* active rules on TLS/SSH sessions (need the app layer's
                                tls_session / ssh_session hooks to be called) */
    bool cache_used;         /* databases came from the cache */
    bool cache_written;
    double compile_s;        /* seconds spent compiling databases (0 on a cache hit) */
    char cache_path[512];    /* the cache file ("" when the cache is off) */
    char cache_note[160];    /* why the cache was not used or not written ("" when fine) */
    /* Inactive rules by reason (NULL-terminated names, counts). */
    uint32_t inactive_by_reason[8];
};

/* Names of the inactive reasons (index of inactive_by_reason), or NULL past the end. */
const char *detect_inactive_reason(int i);

/* detect_engine_build compiles rules[0..n) (not copied: they must outlive the engine). Returns
 * VG_OK, VG_ERR_NOMEM, or VG_ERR_FORMAT when Vectorscan refused a database (err says why). A
 * cache that cannot be read, is corrupt or was made for other rules/versions is ignored and
 * rebuilt (info->cache_note says so); never fatal. */
int detect_engine_build(struct rule *const *rules, size_t n, const struct detect_build_cfg *cfg,
                        struct detect_engine **out, struct detect_build_info *info, char *err,
                        size_t errlen);
void detect_engine_free(struct detect_engine *de); /* NULL is a no-op */

/* ---- the matcher (detect_engine.c) ---------------------------------------------------------- */

/* Where an alert came from. */
enum detect_alert_src {
    DETECT_SRC_PACKET, /* packet payload, reassembled stream or header-only rule */
    DETECT_SRC_HTTP,   /* an HTTP transaction (a.http valid) */
    DETECT_SRC_DNS,    /* a DNS message (a.dns valid) */
    DETECT_SRC_TAMPER, /* a tamper finding at flow end (a.tamper valid) */
    DETECT_SRC_TLS,    /* a TLS session (a.tls valid) */
    DETECT_SRC_SSH,    /* an SSH session (a.ssh valid) */
};

/* One alert, handed to the alert callback; every pointer is valid only during the call. */
struct detect_alert {
    const struct rule *r;
    int src;                 /* enum detect_alert_src */
    const struct flow *f;    /* may be NULL (packets without a flow) */
    const struct packet *p;  /* the packet being processed; NULL at flow end */
    int dir;                 /* FLOW_TOSERVER / FLOW_TOCLIENT: orientation of the alert */
    bool stream_match;       /* payload matched on the reassembled stream */
    uint64_t tx_id;          /* HTTP/DNS transaction id */
    const struct http_tx *http;
    const struct dns_msg *dns;
    const struct tamper_finding *tamper;
    const struct tls_session *tls;
    const struct ssh_session *ssh;
};

typedef void (*detect_alert_fn)(void *ud, const struct detect_alert *a);

/* Counters of one worker (stats.detect and vigil.stats.detect). */
struct detect_counters {
    uint64_t rules_loaded, rules_failed; /* stats.detect.engines[0] */
    uint64_t alerts;            /* alerts handed to the callback */
    uint64_t alerts_suppressed; /* matches silenced by threshold/detection_filter */
    uint64_t noalert_matches;   /* matches of noalert rules (flowbits only) */
    uint64_t pass_matches;      /* pass rules that matched */
    uint64_t pass_suppressed;   /* matches dropped because a pass rule matched first */
    uint64_t packets, stream_chunks, http_txs, dns_msgs, tamper_findings; /* inspected */
    uint64_t prefilter_scans;   /* Vectorscan scans */
    uint64_t candidates;        /* rules verified */
    uint64_t matches;           /* rules that matched (before thresholds) */
    uint64_t backtrack_limit;   /* inspections stopped at the backtracking step cap */
    uint64_t pcre_errors;       /* PCRE2 match errors (limits hit) */
    uint64_t scan_errors;       /* Vectorscan scan errors */
    uint64_t flow_state_full;   /* per-flow state records unavailable (cap) */
    uint64_t threshold_full;    /* threshold table full: the match alerted unthrottled */
    uint64_t buffer_truncated;  /* a buffer (stream chunk, transform) cut to its scratch size */
    uint64_t tls_sessions, ssh_sessions; /* inspected */
    uint64_t tls_unbound;       /* TLS/SSH flows that ended without their session reaching the
                                   matcher (the app layer did not call its hook) */
};

/* detect_thread_new builds a worker's state for engine de; alerts go to fn(ud, alert). NULL on
 * allocation failure. */
struct detect_thread *detect_thread_new(const struct detect_engine *de, detect_alert_fn fn,
                                        void *ud);
void detect_thread_free(struct detect_thread *dt); /* NULL is a no-op */
/* detect_thread_adopt hands the per-flow state of every flow in `from` (a thread of the engine
 * being replaced by a reload) to `to` (a new thread of the new engine): established/pass/encrypted
 * flags, stream tails, and the flowbits whose names the new rules still use; the counters go on.
 * Thresholds start afresh. Returns VG_OK or VG_ERR_NOMEM (to keeps what was copied). */
int detect_thread_adopt(struct detect_thread *to, const struct detect_thread *from);

/* detect_packet runs the packet rules on p (after the app layer processed it): payload rules on
 * the packet payload and, for TCP, on the in-order bytes sr delivered (with a short tail of the
 * previous bytes, so that a match across two segments is found once); header-only rules through
 * the address index or the always lists. f may be NULL; sr is NULL for non-TCP packets. */
void detect_packet(struct detect_thread *dt, struct flow *f, const struct packet *p, int dir,
                   const struct stream_result *sr);
/* detect_http_tx runs the HTTP rules on one complete transaction (from the app layer's hook);
 * p is the packet that completed it, or NULL at flow end. */
void detect_http_tx(struct detect_thread *dt, struct flow *f, const struct packet *p,
                    const struct http_tx *tx);
/* detect_dns_msg runs the DNS rules on one message of direction dir. */
void detect_dns_msg(struct detect_thread *dt, struct flow *f, const struct packet *p, int dir,
                    const struct dns_msg *m, uint64_t tx_id);
/* detect_app_anomaly records an app-layer anomaly raised while processing p, for app-layer-event
 * rules evaluated on the same packet. */
void detect_app_anomaly(struct detect_thread *dt, const struct packet *p, int anomaly_id);
/* detect_tls_session / detect_ssh_session run the TLS / SSH rules (tls.sni, tls.cert_*, ja3.hash,
 * ja3s.hash, ja4.hash, tls.version; ssh.proto, ssh.software, ssh.hassh*) on a session whose
 * handshake the parser reports complete (TLS_EV_LOG / SSH_EV_LOG), once per session; p is the
 * packet being processed, NULL at flow end. Rules with a flow direction see that side's fields;
 * a rule is inspected in the direction of its buffers (certificates, ja3s: to client; sni, ja3,
 * ja4: to server). */
void detect_tls_session(struct detect_thread *dt, struct flow *f, const struct packet *p,
                        const struct tls_session *s);
void detect_ssh_session(struct detect_thread *dt, struct flow *f, const struct packet *p,
                        const struct ssh_session *s);
/* detect_tamper_finding runs the vigil.tamper rules on one finding (at flow end). */
void detect_tamper_finding(struct detect_thread *dt, struct flow *f,
                           const struct tamper_finding *fd);
/* detect_flow_end releases the per-flow state of f (from the flow-end hook). */
void detect_flow_end(struct detect_thread *dt, struct flow *f);

const struct detect_counters *detect_counters(const struct detect_thread *dt);

#endif
