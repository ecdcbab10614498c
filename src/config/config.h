/* config.h - vigil's YAML configuration file (docs/config.md): a loader built on libyaml's event
 * API that fills one plain C struct, and the functions that apply it to the configuration structs
 * of the pipeline modules, the rule loader, the intel context and the outputs.
 *
 * Keys follow Suricata's suricata.yaml names where the concept exists (vars.address-groups,
 * default-rule-path, rule-files, outputs: - eve-log, flow, flow-timeouts, stream, defrag), plus
 * vigil's own sections (intel, tamper, evidence, report, workers, capture, rule-cache,
 * stats-interval). Unknown keys are errors: a typo must not silently change behaviour.
 *
 * Typical use (vigil analyze -c FILE; vigil run -c FILE does the same):
 *
 *     struct vg_config c;
 *     struct vg_config_errors errs;
 *     vg_config_init(&c);                         // every module's defaults
 *     if (vg_config_load(path, &c, &errs) != VG_OK) { vg_config_errors_print(&errs, stderr); ... }
 *     vg_config_apply_engine(&c, &engine_cfg);    // decode, flow, stream, tamper
 *     ... then command-line flags overwrite the fields they name (flags win over the file) ...
 *     vg_config_fini(&c);
 *
 * Hostile input: the file is read whole up to VG_CONFIG_MAX_BYTES; aliases and anchors are
 * rejected (libyaml does not expand them, but a walker would); nesting, entries per mapping and
 * nodes in all are capped; the tree is built with an explicit stack (no recursion on input) and
 * walked along the static schema (recursion bounded by the schema's own depth, 4). Every error
 * names file:line:column. */
#ifndef VG_CONFIG_H
#define VG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "intel/intel.h"
#include "output/eve.h"
#include "output/evidence_pcap.h"
#include "stream/stream.h"
#include "tamper/tamper.h"

#define VG_CONFIG_MAX_BYTES (1u << 20) /* file size */
#define VG_CONFIG_MAX_DEPTH 32         /* nesting of mappings and sequences */
#define VG_CONFIG_MAX_NODES 65536      /* scalars, mappings and sequences in all */
#define VG_CONFIG_MAX_MAP_ENTRIES 2048 /* keys in one mapping */
#define VG_CONFIG_MAX_SCALAR 65536     /* bytes of one value */
#define VG_CONFIG_MAX_LIST 4096        /* entries of one list (rule files, indicator files...) */
#define VG_CONFIG_ERRORS_KEPT 64       /* messages kept; more are counted in `dropped` */

/* One message: an error, or a warning (a key vigil knows but does not use, a missing file). */
struct vg_config_error {
    uint32_t line, col; /* 1-based; 0 when the message is about the whole file */
    bool warning;
    char msg[300];
};

struct vg_config_errors {
    char file[512]; /* the config file, as given */
    struct vg_config_error e[VG_CONFIG_ERRORS_KEPT];
    unsigned n;        /* messages kept in e[] */
    unsigned errors;   /* errors in all (kept or not) */
    unsigned warnings; /* warnings in all */
    unsigned dropped;  /* messages not kept */
};

/* A string value with the place it came from (for messages that come later, e.g. a rule file
 * that cannot be opened). Paths are already resolved against the config file's folder. */
struct vg_config_str {
    char *s;
    uint32_t line, col;
};

struct vg_config_list {
    struct vg_config_str *v;
    size_t n;
};

/* vars.address-groups / vars.port-groups entries, in file order. */
struct vg_config_var {
    char *name;  /* without '$' */
    char *value; /* as written, e.g. "[10.0.0.0/8,!10.1.0.0/16]" */
    bool port;   /* a port group */
    uint32_t line, col;
};

enum vg_capture_method { VG_CAPTURE_AUTO, VG_CAPTURE_AFPACKET, VG_CAPTURE_PCAP };

struct vg_config {
    char *path; /* the file loaded; NULL before vg_config_load */
    char *dir;  /* its folder: relative paths in the file are relative to it */

    /* vars */
    struct vg_config_var *vars;
    size_t n_vars;

    /* rules */
    char *default_rule_path;                  /* as resolved; NULL: the config file's folder */
    struct vg_config_list rule_files;         /* resolved against default-rule-path */
    struct vg_config_str classification_file; /* .s NULL: built-in table */
    char *rule_cache_dir;    /* rule-cache.dir; NULL: the default ($XDG_CACHE_HOME/vigil) */
    bool rule_cache_enabled; /* rule-cache.enabled (default yes) */

    /* outputs: default-log-dir and the eve-log entry */
    char *log_dir;              /* NULL: the CLI default (vigil-out) */
    char *eve_filename;         /* "eve.json" */
    unsigned eve_types;         /* bit (1 << ENG_EV_x); ~0u: all */
    struct eve_sink_config eve; /* rotation, split, Redis (path/host/key point below) */
    bool redis_enabled;
    char *redis_server;
    char *redis_key;

    /* evidence and report */
    bool evidence_enabled;
    struct evidence_config evidence; /* .dir is set by the caller (the output folder) */
    bool report_enabled;

    /* pipeline */
    struct decode_config decode;
    struct flow_config flow;
    uint64_t flow_memcap; /* flow.memcap as given (0: not set); max_flows is derived */
    struct stream_config stream;
    uint64_t stream_memcap_session; /* stream.memcap as given (0: not set) */
    uint64_t stream_memcap_reasm;   /* stream.reassembly.memcap (0: not set); stream.memcap is
                                     * their sum: vigil has one memcap for state and data */
    struct tamper_config tamper;
    double tamper_min_confidence; /* tamper.min-confidence, 0..100; < 0: not set */

    /* intel */
    struct vg_config_list ioc_files;
    struct vg_config_list allowlist_files;
    struct beacon_config beacon;
    bool beacons_enabled;

    /* run time (vigil run) */
    uint32_t workers;                 /* 0: one per core (the live runner decides) */
    uint32_t stats_interval_s;        /* 0: stats only at exit */
    struct vg_config_list interfaces; /* capture.interfaces */
    int capture_method;               /* enum vg_capture_method */
    uint32_t snaplen;                 /* 0: the method's default */
    char *bpf;                        /* NULL: no filter */
    bool promisc;                     /* default yes */
    char *user;                       /* drop privileges to this user after opening; NULL: stay */
};

/* vg_config_init fills c with every module's defaults (what vigil does without a file); nothing
 * is allocated. vg_config_fini frees what a load allocated (safe on an initialised struct). */
void vg_config_init(struct vg_config *c);
void vg_config_fini(struct vg_config *c);

/* vg_config_load reads the YAML file at path into c (which vg_config_init prepared: keys absent
 * from the file keep their value). errs (required) is reset and gets every error and warning with
 * line and column. Returns VG_OK (warnings possible), VG_ERR_IO (the file cannot be read),
 * VG_ERR_FORMAT (errors: c may be partly filled and must still be vg_config_fini'd) or
 * VG_ERR_NOMEM. */
int vg_config_load(const char *path, struct vg_config *c, struct vg_config_errors *errs);
/* The same for a document in memory; name stands for the file in messages and relative paths are
 * resolved against dir (NULL: the current folder). */
int vg_config_load_buffer(const char *name, const char *dir, const char *data, size_t len,
                          struct vg_config *c, struct vg_config_errors *errs);

/* vg_config_check_files adds a warning to errs for each rule, classification and indicator file
 * of c that cannot be read (vigil config check; analyze reports them as errors when it opens
 * them). Returns the number of such files. */
unsigned vg_config_check_files(const struct vg_config *c, struct vg_config_errors *errs);

/* vg_config_errors_print writes "vigil: error: FILE:LINE:COL: message" lines (warnings as
 * "warning"), and a line for dropped messages. */
void vg_config_errors_print(const struct vg_config_errors *errs, FILE *out);

/* vg_config_summary writes a one-line description of c (counts of vars, rule files, outputs...)
 * into buf. */
void vg_config_summary(const struct vg_config *c, char *buf, size_t len);

/* The value syntaxes of the file (also usable for flags): sizes "4096", "512kb", "64mb", "1gb",
 * "1.5 GiB" (multiples of 1024; Suricata's ParseSizeString) and durations "30", "30s", "5m", "1h",
 * "2d" (seconds, at most UINT32_MAX). False on anything else. */
bool vg_config_parse_size(const char *s, uint64_t *out);
bool vg_config_parse_duration(const char *s, uint64_t *out);

/* ---- applying (config_apply.c) ---- */

struct engine_config;
struct rule_loader;
struct rule_error;

/* Copies decode (defrag), flow (max_flows, timeouts), stream and tamper settings and the EVE types
 * into an engine configuration. */
void vg_config_apply_engine(const struct vg_config *c, struct engine_config *ec);
/* Sets every variable of c on the loader, then loads the classification file if any. Returns VG_OK
 * or the first error (err->msg says which variable or file, with the config position). */
int vg_config_apply_rules(const struct vg_config *c, struct rule_loader *ld,
                          struct rule_error *err);
/* Fills an EVE sink configuration from c: rotation, split, Redis. The strings point into c (c
 * must outlive the sink's opening); the path is the caller's (it knows the output folder). */
void vg_config_apply_eve(const struct vg_config *c, struct eve_sink_config *sc);

/* Sets the beacon configuration of an intel context (before any worker exists) and loads the
 * indicator files, then the allowlist files of c, reporting malformed lines through on_err and
 * adding to st (may be NULL). Malformed lines never stop a load. Returns
 * VG_OK, or VG_ERR_IO / VG_ERR_NOMEM with *failed (may be NULL) pointing at the entry (path, line,
 * column) that could not be loaded. The caller adds its own files and calls intel_ctx_build. */
int vg_config_apply_intel(const struct vg_config *c, struct intel_ctx *ctx, ioc_error_fn on_err,
                          void *ud, struct ioc_load_stats *st, const struct vg_config_str **failed);

#endif
