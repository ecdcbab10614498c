/* intel.h - threat intelligence: known-bad indicators (IOCs) matched against what the pipeline
 * publishes, and beacon scoring (RITA's method) over the connection history of a capture.
 *
 * Three layers, each usable alone:
 *   - ioc_set (ioc.c, ioc_load.c): an immutable set of indicators loaded from plain lists, CSV
 *     files with a type column, and STIX 2.1 bundles; IPv4/IPv6 addresses and CIDRs in sorted
 *     disjoint ranges (longest prefix wins), binary search under a 2^16-entry index; domains
 *     (exact and as parent of subdomains), URLs, JA3, JA4 and certificate SHA-1 in one hash
 *     table. Also used for the beacon allowlist.
 *   - beacon (beacon.c): RITA's beacon subscores (interval, size, histogram, duration) over the
 *     connections of each (client, server) and (client, server name) pair, kept in a bounded table
 *     and scored once at the end of the input.
 *   - intel_ctx / intel_worker (intel.c): the immutable context the CLI loads (indicators,
 *     allowlist, beacon configuration) and the per-worker state the engine drives from its hooks:
 *     flow creation (addresses), app-layer transactions (DNS, HTTP, TLS), flow end (beacon
 *     records), end of input (beacon scoring). Findings go to the engine through struct
 *     intel_hooks; this module never writes output (output is downstream of it).
 *
 * Indicator formats, normalisation and the matching rules: docs/intel.md. The EVE objects (`ioc`,
 * `beacon`): ../shared/EVE-EXTENSIONS.md, written by output/eve_intel.c.
 */
#ifndef VG_INTEL_H
#define VG_INTEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/dns/dns.h"
#include "app/http/http.h"
#include "app/tls/tls.h"
#include "core/vg_addr.h"
#include "core/vg_time.h"
#include "decode/packet.h"
#include "flow/flow.h"

/* ==== indicators ============================================================================ */

/* Indicator types. IPv4/IPv6 entries are addresses or CIDR prefixes. */
enum ioc_type {
    IOC_IPV4 = 0,
    IOC_IPV6,
    IOC_DOMAIN,
    IOC_URL,
    IOC_JA3,
    IOC_JA4,
    IOC_CERT_SHA1,
    IOC_TYPE_COUNT
};
#define IOC_TYPE_GUESS (-1) /* ioc_set_add: guess the type from the text */
#define IOC_NONE UINT32_MAX /* "no match" / "no entry" */

/* EVE names: "ipv4", "ipv6", "domain", "url", "ja3", "ja4", "cert_sha1". */
const char *ioc_type_name(int type);

/* ioc_type_parse maps a type column or STIX object name to a type: the EVE names, plus "ip",
 * "cidr", "ipv4-addr", "ipv6-addr", "ip-dst", "ip-src", "domain-name", "hostname", "fqdn", "uri",
 * "link", "ja3-fingerprint-md5", "ja3_hash", "ja4-fingerprint", "sha1", "x509-fingerprint-sha1",
 * "cert-sha1", "certificate_sha1" (case-insensitive). "" and "auto" give IOC_TYPE_GUESS (guess from
 * the value). -2 for an unknown name. */
int ioc_type_parse(const char *s, size_t n);

/* A load error: which file, line (1-based) and column (1-based, 0 when not known), and why. */
struct ioc_error {
    const char *file;
    unsigned line, col;
    bool warning; /* well-formed but not loaded (an unsupported STIX observable): not an error */
    char msg[200];
};
typedef void (*ioc_error_fn)(void *ud, const struct ioc_error *e);

struct ioc_load_stats {
    uint64_t lines;      /* indicator lines / STIX indicator objects looked at */
    uint64_t added;      /* new entries */
    uint64_t duplicates; /* merged into an entry loaded earlier (first source kept) */
    uint64_t errors;     /* malformed lines or objects, each reported through ioc_error_fn */
    uint64_t skipped; /* well-formed but not loaded: revoked STIX indicators, non-STIX patterns */
    uint64_t by_type[IOC_TYPE_COUNT]; /* of `added` */
    uint64_t prefixes;                /* of `added`: IPv4/IPv6 CIDRs shorter than a host address */
};

struct ioc_set;

/* ioc_set_new returns an empty set (NULL on OOM); ioc_set_free(NULL) is a no-op. */
struct ioc_set *ioc_set_new(void);
void ioc_set_free(struct ioc_set *s);

/* ioc_set_source registers a source name (a file path) and returns its index for ioc_set_add, or
 * -1 on OOM (at most 65535 sources). The name is copied. */
int ioc_set_source(struct ioc_set *s, const char *name);

/* ioc_set_add adds one indicator given as text (len bytes, not NUL-terminated). type is an enum
 * ioc_type, or IOC_TYPE_GUESS to classify it (docs/intel.md lists the rules). The text is refanged
 * ("hxxp", "[.]", "(.)", "[:]") and normalised (addresses as inet_ntop writes them, CIDR host bits
 * cleared, /32 and /128 written as plain addresses; domains and URL hosts lowercased without a
 * trailing dot or a leading "*."; hex lowercased, colons removed from certificate SHA-1s).
 * Returns VG_OK (added), VG_DECLINED (a duplicate of an entry already in the set: that entry and
 * its source are kept), VG_ERR_FORMAT (malformed: err gets the reason, NUL-terminated),
 * VG_ERR_NOMEM, or VG_ERR_USAGE after ioc_set_build. *type_out (may be NULL) gets the type. */
int ioc_set_add(struct ioc_set *s, int type, const char *text, size_t len, int source,
                uint32_t line, int *type_out, char *err, size_t errlen);

/* ioc_classify returns the type text would get from ioc_set_add (type: an enum ioc_type to check,
 * or IOC_TYPE_GUESS), or -1 with the reason in err when it is malformed. Adds nothing. */
int ioc_classify(int type, const char *text, size_t len, char *err, size_t errlen);

/* ioc_set_build freezes the set: the address ranges are built. Afterwards the set is read-only and
 * may be shared by threads. Returns VG_OK or VG_ERR_NOMEM. Matching an unbuilt set finds no
 * address. */
int ioc_set_build(struct ioc_set *s);

/* Entries in the set, in total and of one type. */
size_t ioc_set_count(const struct ioc_set *s);
size_t ioc_set_count_type(const struct ioc_set *s, int type);
/* Bytes of memory the set holds (its arrays), for the benchmark. */
size_t ioc_set_memory(const struct ioc_set *s);

/* An entry's normalised text (NUL-terminated, valid for the set's life), its type, and its source
 * as "file:line" written into buf (cap bytes); the source functions return buf. */
const char *ioc_entry_text(const struct ioc_set *s, uint32_t id);
int ioc_entry_type(const struct ioc_set *s, uint32_t id);
const char *ioc_entry_source(const struct ioc_set *s, uint32_t id, char *buf, size_t cap);

/* Matching. Each returns the entry id, or IOC_NONE.
 * ioc_match_addr: the longest IPv4/IPv6 prefix (or address) that contains a.
 * ioc_match_addr_text: the same for an address written as text (EVE); not an address → IOC_NONE.
 * ioc_match_domain: name (any case, an optional trailing dot) or its closest parent that is a
 *   listed domain: "a.b.evil.com" matches "evil.com", "notevil.com" does not.
 * ioc_match_url: a listed URL equal to host + path-and-query, or to host + path (the query cut
 *   off); uri may be origin-form ("/x?y") or absolute-form ("http://host/x").
 * ioc_match_hash: a JA3 / JA4 / certificate SHA-1 (type), case-insensitive, colons ignored. */
uint32_t ioc_match_addr(const struct ioc_set *s, const struct vg_addr *a);
uint32_t ioc_match_addr_text(const struct ioc_set *s, const char *text, size_t len);
uint32_t ioc_match_domain(const struct ioc_set *s, const char *name, size_t len);
uint32_t ioc_match_url(const struct ioc_set *s, const char *host, size_t hlen, const char *uri,
                       size_t ulen);
uint32_t ioc_match_hash(const struct ioc_set *s, int type, const char *text, size_t len);

/* ---- loading (ioc_load.c) ---- */

enum ioc_format { IOC_FMT_AUTO = 0, IOC_FMT_LIST, IOC_FMT_CSV, IOC_FMT_STIX };

/* ioc_load_buffer parses len bytes named `name` (used in sources and errors) into s. AUTO picks
 * STIX when the first non-blank byte is '{', CSV when the first line that is not blank or a
 * comment starts with the header "indicator," (or "value,"), else a plain list. Every malformed
 * line (or STIX indicator) goes to on_err (may be NULL) and is counted; the rest still loads.
 * allowed is a bit mask of (1u << type) that the caller accepts (0 = every type); an indicator of
 * another type is an error. Returns VG_OK (even with malformed lines), VG_ERR_FORMAT when the
 * whole input is unusable (a STIX file that is not JSON, a CSV without an indicator column),
 * VG_ERR_NOMEM. st (may be NULL) is added to. */
int ioc_load_buffer(struct ioc_set *s, const char *name, const char *data, size_t len, int fmt,
                    unsigned allowed, ioc_error_fn on_err, void *ud, struct ioc_load_stats *st);
/* ioc_load_file reads path whole and calls ioc_load_buffer; VG_ERR_IO (reported through on_err
 * with line 0) when it cannot be read. */
int ioc_load_file(struct ioc_set *s, const char *path, int fmt, unsigned allowed,
                  ioc_error_fn on_err, void *ud, struct ioc_load_stats *st);

/* ==== beacons (beacon.c) ==================================================================== */

/* Scoring follows RITA v5 (activecm/rita, analysis/beacons.go, the successor of pkg/beacon):
 * defaults are RITA's default_config.hjson. */
struct beacon_config {
    double w_interval, w_size, w_duration, w_histogram; /* weights, each 0..1, sum 1 (0.25 each) */
    double threshold;                                   /* findings at or above this score (0.8) */
    uint32_t min_connections;     /* distinct connection start seconds a pair needs (4) */
    uint32_t max_connections;     /* pairs with this many connections or more are not beacons, as
                                     RITA's "total_count < 86400" (86400) */
    uint32_t max_pairs;           /* pairs tracked at once (200000); more are counted and dropped */
    uint32_t max_per_pair;        /* connections kept per pair (86400); more are counted */
    uint64_t max_records;         /* connections kept in all (4000000, 16 bytes each) */
    uint32_t hist_bins;           /* histogram bins over the capture (24) */
    double hist_mode_sensitivity; /* 0.05 */
    uint32_t hist_bimodal_outliers; /* 1 */
    uint32_t hist_bimodal_min_bins; /* 11 */
    uint32_t dur_min_bins;          /* 6 */
    uint32_t dur_ideal_bins;        /* 12 */
};
void beacon_config_default(struct beacon_config *cfg);
/* beacon_config_check: VG_OK, or VG_ERR_USAGE with a reason in err (weights out of range or not
 * summing to 1 within 1e-6, threshold outside 0..1, zero bins). */
int beacon_config_check(const struct beacon_config *cfg, char *err, size_t errlen);

/* ---- RITA's pieces, exposed for the unit tests (inputs sorted ascending) ---- */

/* Bowley skewness (Q1 + Q3 - 2 Q2) / (Q3 - Q1) with quartiles as montanaflynn/stats computes them
 * (medians of the lower and upper halves, the median excluded for odd n); skew 0 when Q3 - Q1 < 10
 * or Q2 equals Q1 or Q3. Returns the score 1 - |skew|; *skew (may be NULL) gets the skew. n >= 3.*/
double beacon_bowley_score(const double *sorted, size_t n, double *skew);
/* Median absolute deviation score (median - MAD) / median, clamped at 0; default_score when the
 * median is below 1. *mad (may be NULL) gets the MAD. n >= 1. */
double beacon_mad_score(const double *sorted, size_t n, double default_score, double *mad);
/* (bowley + mad) / 2 rounded to 3 decimals: RITA's calculateStatisticalScore. */
double beacon_stat_score(const double *sorted, size_t n, double default_mad_score);
/* Median of sorted values. */
double beacon_median(const double *sorted, size_t n);

/* The histogram subscore: ts (seconds, sorted, n >= 1) counted into cfg->hist_bins equal bins over
 * [dmin, dmax] (dmax > dmin); score = max(coefficient-of-variation score, bimodal fit score).
 * *total_bars gets the non-empty bins, *longest_run the longest run of non-empty bins (wrapping
 * around). Returns VG_OK or VG_ERR_USAGE. */
int beacon_histogram_score(const struct beacon_config *cfg, int64_t dmin, int64_t dmax,
                           const int64_t *ts, size_t n, double *score, int *total_bars,
                           int *longest_run);
/* The duration subscore: 0 unless total_bars >= cfg->dur_min_bins, else max(coverage of the
 * capture by [first, last], longest_run / cfg->dur_ideal_bins), each capped at 1. */
double beacon_duration_score(const struct beacon_config *cfg, int64_t dmin, int64_t dmax,
                             int64_t first, int64_t last, int total_bars, int longest_run);

struct beacon_scores {
    double score; /* weighted, rounded to 3 decimals */
    double interval, size, duration, histogram;
    uint32_t connections;  /* connections scored */
    double period_s;       /* median interval between connection starts */
    double jitter_pct;     /* 100 * IQR / median of those intervals */
    uint64_t bytes_median; /* median bytes client → server per connection */
};

/* beacon_score_series scores one pair: start times ts_us (microseconds, any order) and bytes per
 * connection, n of each, in a capture spanning [dmin, dmax] (seconds). Interval statistics use
 * whole seconds, as RITA. Returns VG_OK, VG_DECLINED when the pair cannot be scored (fewer than
 * cfg->min_connections distinct start seconds or fewer than 3 non-zero intervals, or an empty
 * capture span), VG_ERR_NOMEM. */
int beacon_score_series(const struct beacon_config *cfg, int64_t dmin, int64_t dmax,
                        const int64_t *ts_us, const uint32_t *bytes, size_t n,
                        struct beacon_scores *out);

/* ---- the per-worker table of pairs ---- */

struct beacon_finding {
    bool by_name;                  /* a (client, server name) pair; else (client, server address) */
    struct vg_addr client, server; /* server: of the latest connection */
    const char *server_name;       /* by_name: the name (NUL-terminated); else NULL */
    uint8_t proto;                 /* of the latest connection */
    uint16_t dport;                /* of the latest connection */
    uint64_t flow_id;              /* of the latest connection */
    struct vg_ts first_seen, last_seen; /* starts of the first and the latest connection */
    bool capped;                        /* connections were dropped by max_per_pair / max_records */
    struct beacon_scores s;
};
typedef void (*beacon_finding_fn)(void *ud, const struct beacon_finding *b);

struct beacon_counters {
    uint64_t connections;     /* flows recorded */
    uint64_t failed;          /* flows not recorded: TCP without a completed handshake, no reply */
    uint64_t allowlisted;     /* flows (or their name) skipped by the allowlist */
    uint64_t pairs;           /* pairs tracked */
    uint64_t pairs_dropped;   /* connections of new pairs refused: max_pairs reached */
    uint64_t capped_per_pair; /* connections dropped: max_per_pair */
    uint64_t capped_total;    /* connections dropped: max_records */
    uint64_t scored, too_few, too_many, findings;
};

struct beacon_table;

/* beacon_table_new: cfg copied; allow (may be NULL, not owned, must outlive the table) is the
 * allowlist: flows with an allowlisted address are not recorded, names allowlisted (or a parent)
 * are not paired. NULL on OOM. */
struct beacon_table *beacon_table_new(const struct beacon_config *cfg, const struct ioc_set *allow);
void beacon_table_free(struct beacon_table *t);

/* beacon_name_ref returns a reference to the (client, name) pair for a flow whose server name is
 * name (an HTTP Host, a TLS SNI), creating it; IOC_NONE when the name is allowlisted, empty, or
 * the table is full. Pass the reference to beacon_table_add at flow end. */
uint32_t beacon_name_ref(struct beacon_table *t, const struct vg_addr *client, const char *name,
                         size_t len);
/* beacon_table_time widens the capture span [dmin, dmax] by a time seen (every flow start). */
void beacon_table_time(struct beacon_table *t, struct vg_ts ts);
/* beacon_table_add records an ended flow: TCP with a completed handshake or UDP with a reply
 * (others count as failed); into its (client, server) pair and, when name_ref is not IOC_NONE,
 * into that (client, name) pair. */
void beacon_table_add(struct beacon_table *t, const struct flow *f, uint32_t name_ref);
/* beacon_table_score scores every pair (name pairs first; the connections of a name pair that
 * could be scored are left out of their address pair, as RITA does for SNI beacons) and hands each
 * finding at or above the threshold to fn, highest score first (ties in pair order). Returns the
 * number of findings. Call once. */
unsigned beacon_table_score(struct beacon_table *t, beacon_finding_fn fn, void *ud);
const struct beacon_counters *beacon_counters(const struct beacon_table *t);

/* ==== engine glue (intel.c) ================================================================= */

/* Signature ids (gid 1; EVE-EXTENSIONS.md range, 8810000+ for intel). */
#define INTEL_GID 1
#define INTEL_SID_IOC_BASE 8810000 /* + enum ioc_type: 8810000 ipv4 ... 8810006 cert_sha1 */
#define INTEL_SID_BEACON_ADDR 8810100
#define INTEL_SID_BEACON_NAME 8810101
#define INTEL_CATEGORY_IOC "Indicator match"
#define INTEL_CATEGORY_BEACON "Command and control"

/* intel_sig_msg returns the signature text of a sid above ("VIGIL INTEL ..."). */
const char *intel_sig_msg(uint32_t sid);

/* The immutable context: loaded by the CLI, shared by the workers. */
struct intel_ctx {
    struct ioc_set *iocs;  /* NULL when no --ioc was given */
    struct ioc_set *allow; /* beacon allowlist; NULL when none */
    struct beacon_config beacon;
    bool beacon_enabled; /* score beacons at the end of input (analyze: true) */
};

/* intel_ctx_new returns a context with the default beacon configuration, beacons enabled, no
 * indicators. intel_ctx_free frees the sets too. */
struct intel_ctx *intel_ctx_new(void);
void intel_ctx_free(struct intel_ctx *ctx);
/* intel_ctx_load_ioc / _allowlist load one file (any format; the allowlist accepts addresses,
 * CIDRs and domains only). Errors go to on_err; st is added to. Call intel_ctx_build when done. */
int intel_ctx_load_ioc(struct intel_ctx *ctx, const char *path, ioc_error_fn on_err, void *ud,
                       struct ioc_load_stats *st);
int intel_ctx_load_allowlist(struct intel_ctx *ctx, const char *path, ioc_error_fn on_err, void *ud,
                             struct ioc_load_stats *st);
int intel_ctx_build(struct intel_ctx *ctx);

/* One indicator match. Strings are valid during the hook call only. */
struct intel_hit {
    uint32_t ioc;           /* entry id in ctx->iocs */
    int type;               /* enum ioc_type */
    const char *indicator;  /* the entry's normalised text */
    const char *source;     /* "file:line" */
    const char *matched_on; /* "src_ip", "dest_ip", "dns.query", "dns.answer", "http.host",
                               "http.url", "tls.sni", "tls.certificate", "tls.ja3",
                               "tls.ja4", "tls.fingerprint" */
    struct vg_ts ts;        /* the packet's time (flow end: the flow's last) */
    uint64_t pcap_cnt;      /* 0 when not known */
    int dir;                /* FLOW_TOSERVER / FLOW_TOCLIENT of the packet that carried it */
};

struct intel_hooks {
    void (*ioc)(void *ud, struct flow *f, const struct intel_hit *h);
    void (*beacon)(void *ud, const struct beacon_finding *b);
    void *ud;
};

struct intel_counters {
    uint64_t lookups;         /* indicator lookups made */
    uint64_t hits;            /* matches, before de-duplication per (flow, indicator) */
    uint64_t alerts;          /* hits handed to the ioc hook */
    uint64_t flow_state_full; /* flows whose state could not be kept (dedup or name lost) */
    uint64_t beacons;         /* beacon findings handed to the beacon hook */
};

struct intel_worker;

/* intel_worker_new: per-worker state (hooks copied); ctx not owned and must outlive it. NULL on
 * OOM. intel_worker_free(NULL) is a no-op. */
struct intel_worker *intel_worker_new(const struct intel_ctx *ctx, const struct intel_hooks *hooks);
void intel_worker_free(struct intel_worker *w);

/* Several workers (engine workers.c), one beacon table: the connections of one client to one
 * server *name* can end on different workers (address-pair dispatch keeps only (client, server
 * address) pairs together). intel_shared_new makes the table (NULL on OOM), shared by the workers
 * made with intel_worker_new_shared; they take its mutex at flow granularity (a server name, a flow
 * end), never per packet. intel_finish of such a worker only adds its time span; once every worker
 * has finished, intel_finish_shared(one worker) scores the table through that worker's hooks (once;
 * later calls do nothing). intel_shared_free after the workers. intel_beacon_counters of any of
 * them reads the shared table's counters. */
struct intel_shared;
struct intel_shared *intel_shared_new(const struct intel_ctx *ctx);
void intel_shared_free(struct intel_shared *sh);
struct intel_worker *intel_worker_new_shared(const struct intel_ctx *ctx,
                                             const struct intel_hooks *hooks,
                                             struct intel_shared *sh);
void intel_finish_shared(struct intel_worker *w);
/* intel_flow_new checks a new flow's two addresses (matched_on "src_ip" / "dest_ip", src being the
 * client) and widens the beacon capture span. p: the flow's first packet (may be NULL). */
void intel_flow_new(struct intel_worker *w, struct flow *f, const struct packet *p);
/* App-layer transactions: HTTP hostname (domain) and hostname + uri (URL), the HTTP hostname also
 * names the server for beacons; DNS question names, answer owner names, CNAME/DNAME targets and
 * A/AAAA addresses; TLS SNI (also the beacon server name), JA3, JA4, the server certificate's
 * SHA-1, subject CN and DNS SANs. p may be NULL (flow end). */
void intel_http(struct intel_worker *w, struct flow *f, const struct packet *p,
                const struct http_tx *tx);
void intel_dns(struct intel_worker *w, struct flow *f, const struct packet *p, int dir,
               const struct dns_msg *m);
void intel_tls(struct intel_worker *w, struct flow *f, const struct packet *p,
               const struct tls_session *s);
/* intel_flow_end records the flow for beacon scoring and forgets its per-flow state. */
void intel_flow_end(struct intel_worker *w, struct flow *f);
/* intel_finish scores the beacons (when enabled) through the beacon hook. Call once, after every
 * flow has ended. */
void intel_finish(struct intel_worker *w);

const struct intel_counters *intel_counters(const struct intel_worker *w);
const struct beacon_counters *intel_beacon_counters(const struct intel_worker *w);

#endif
