/* config.c - `vigil config check FILE`: loads a configuration file (docs/config.md) the way
 * `vigil analyze -c FILE` does and prints either "OK" with a one-line summary or every error as
 * FILE:LINE:COLUMN: message. Files the configuration names (rules, indicators, classification)
 * that cannot be read are warnings here: analyze reports them as errors when it opens them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "core/vg_status.h"

static void config_usage(FILE *out)
{
    fputs("usage: vigil config check [-q] FILE\n"
          "\n"
          "Checks a vigil configuration file (YAML; see docs/config.md): syntax, key names, types\n"
          "and ranges, variables (address and port groups), and that the files it names exist.\n"
          "Prints \"OK\" and a summary, or each problem as FILE:LINE:COLUMN: message.\n"
          "\n"
          "options:\n"
          "  -q, --quiet   print errors only (no OK line, no warnings)\n"
          "  -h, --help    this help\n"
          "\n"
          "Exit codes: 0 valid (warnings possible), 1 invalid or unreadable, 2 usage error.\n",
          out);
}

int cli_config(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        config_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "vigil: error: config: unknown subcommand '%s' (check)\n", argv[1]);
        config_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool quiet = false;
    int c;
    optind = 1;
    argc--, argv++; /* "check" is argv[0] now */
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = true;
            break;
        case 'h':
            config_usage(stdout);
            return CLI_EXIT_OK;
        default:
            config_usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "vigil: error: config check needs exactly one FILE\n");
        config_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *path = argv[optind];
    struct vg_config cfg;
    struct vg_config_errors errs;
    vg_config_init(&cfg);
    int rc = vg_config_load(path, &cfg, &errs);
    if (rc == VG_OK) vg_config_check_files(&cfg, &errs);
    if (quiet) {
        /* errors only */
        struct vg_config_errors only = errs;
        only.n = 0;
        for (unsigned i = 0; i < errs.n; i++)
            if (!errs.e[i].warning) only.e[only.n++] = errs.e[i];
        vg_config_errors_print(&only, stderr);
    } else {
        vg_config_errors_print(&errs, stderr);
    }
    int exit_rc;
    if (rc == VG_OK) {
        if (!quiet) {
            char sum[600];
            vg_config_summary(&cfg, sum, sizeof sum);
            printf("OK %s: %s", path, sum);
            if (errs.warnings) printf("; %u warning(s)", errs.warnings);
            printf("\n");
        }
        exit_rc = CLI_EXIT_OK;
    } else {
        if (rc == VG_ERR_NOMEM)
            fprintf(stderr, "vigil: error: %s: out of memory\n", path);
        else
            fprintf(stderr, "vigil: %s: %u error(s)\n", path, errs.errors);
        exit_rc = CLI_EXIT_RUNTIME;
    }
    vg_config_fini(&cfg);
    return exit_rc;
}
