/* cli_common.h - what `vigil analyze` and `vigil run` share: finding and loading the -c
 * configuration file, loading rule and indicator files (the configuration's lists first, then the
 * files given as flags), and the value syntaxes of their flags. */
#ifndef VG_CLI_COMMON_H
#define VG_CLI_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "detect/detect.h"
#include "intel/intel.h"

#define CLI_INTEL_FILES_MAX 64 /* --ioc / --beacon-allowlist files (and the config's lists) */

/* -c FILE / --config FILE / --config=FILE / -cFILE, found before the other options are parsed so
 * that the file's values become the defaults the flags then overwrite, whatever their order.
 * short_with_arg lists the command's other short options that take an argument ("or" for
 * analyze's -o and -r), so that a cluster like -qc FILE or -o DIR is read as getopt reads it.
 * -h/--help wins (NULL). *missing: -c without a FILE. */
const char *cli_find_config_arg(int argc, char **argv, const char *short_with_arg, bool *missing);

/* Loads the configuration at path into c (vg_config_init'ed), printing every error and warning as
 * file:line:col. Returns CLI_EXIT_OK, CLI_EXIT_USAGE (errors, unreadable, too many intel files;
 * c is then fini'd) or CLI_EXIT_RUNTIME (out of memory). */
int cli_config_load(const char *path, struct vg_config *c);

/* Loads the indicator files of conf (intel.ioc-files), then ioc[0..n_ioc), then the allowlist
 * files of conf, then allow[0..n_allow) into ctx, printing counts (unless quiet) and malformed
 * lines (file:line:col) on stderr. conf may be NULL. Returns VG_OK, VG_ERR_IO (a file could not
 * be read: named on stderr) or VG_ERR_NOMEM. The caller sets the beacon settings and builds. */
int cli_load_intel(struct intel_ctx *ctx, const struct vg_config *conf, char *const *ioc, int n_ioc,
                   char *const *allow, int n_allow, bool quiet);

struct cli_rules_opts {
    const struct vg_config *conf; /* variables, classification, rule-files (may be NULL) */
    const struct detect_build_cfg *dbc;
    bool quiet;
    /* strict (a reload): refuse the set when it has more invalid rules than max_invalid, printing
     * each as "file:line: why" */
    bool strict;
    uint64_t max_invalid;
};

/* Loads the configuration's rule-files (with its variables and classification file first), then
 * paths[0..n), and builds the matcher. Prints the counts on stderr (unless quiet), each skipped
 * rule as file:line: reason at -v. *invalid (may be NULL) gets the number of invalid rules (not
 * counting unsupported and duplicate ones). Returns CLI_EXIT_OK, CLI_EXIT_USAGE (a file could not
 * be read, a variable is bad, strict refused) or CLI_EXIT_RUNTIME. 0 rules loaded is a warning.
 * With no rule file at all, *ldp and *dep stay NULL and CLI_EXIT_OK is returned. */
int cli_load_rules(const struct cli_rules_opts *o, char *const *paths, int n,
                   struct rule_loader **ldp, struct detect_engine **dep, uint64_t *invalid);

/* "100M", "64k", "1G", "4096", "100MiB": bytes (binary multiples). */
/* cli_eve_path: where eve.json goes - the eve-log filename of the config (NULL: "eve.json"),
 * under outdir unless it is absolute. */
void cli_eve_path(char *buf, size_t n, const char *outdir, const char *filename);
/* "host:port", "[::1]:6379" into host (hostlen bytes) and *port. */
bool cli_parse_hostport(const char *s, char *host, size_t hostlen, uint16_t *port);
/* --eve-types LIST: a mask of (1 << ENG_EV_x). Prints the error; -1 on an unknown name. */
int cli_parse_eve_types(const char *list, unsigned *out);

#endif
