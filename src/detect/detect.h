/* detect.h - the rule engine's public API. This part: the Suricata rule language, parsed into
 * struct rule (rule.h). Matching (rule compiler, Vectorscan prefilter, verifiers) comes next.
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

#endif
