/* rules.c - `vigil rules check [--strict] [--var NAME=VALUE]... [--classification FILE] FILE...`:
 * loads rule files the way the engine will and reports what it could not use.
 *
 * Output (stdout):
 *   rules: N loaded, N skipped (N unsupported, N duplicate) from N file(s)
 *   FILE:LINE: sid N: reason            one line per skipped rule, in file order
 *   skipped by reason:
 *     COUNT  reason                     grouped, most frequent first
 * Exit: 0; 1 with --strict when a rule was skipped or a file could not be read; 2 on usage
 * errors; 3 when no file could be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/vg_status.h"
#include "detect/detect.h"

static void rules_usage(FILE *out)
{
    fputs("usage: vigil rules check [options] FILE...\n"
          "\n"
          "Parses Suricata rule files and reports the rules vigil cannot use, with the reason.\n"
          "\n"
          "options:\n"
          "      --strict               exit 1 when any rule is skipped\n"
          "      --var NAME=VALUE       set a rule variable (repeatable), e.g.\n"
          "                             --var HOME_NET=[10.0.0.0/8] --var HTTP_PORTS=[80,8080]\n"
          "      --classification FILE  a classification.config to use besides the built-in one\n"
          "  -q, --quiet                counts and groups only, not every skipped rule\n"
          "  -h, --help                 this help\n"
          "\n"
          "Exit codes: 0 ok, 1 rules skipped with --strict, 2 usage error, 3 no file readable.\n",
          out);
}

int cli_rules(int argc, char **argv)
{
    if (argc < 2) {
        rules_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        rules_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "vigil rules: unknown action '%s'\n", argv[1]);
        rules_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    argc--;
    argv++;

    enum { OPT_STRICT = 256, OPT_VAR, OPT_CLASS };
    static const struct option longopts[] = {
        {"strict", no_argument, NULL, OPT_STRICT},
        {"var", required_argument, NULL, OPT_VAR},
        {"classification", required_argument, NULL, OPT_CLASS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rule_loader *ld = rule_loader_new(NULL);
    if (!ld) {
        fprintf(stderr, "vigil rules: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    bool strict = false, quiet = false;
    int c, rc = CLI_EXIT_OK;
    struct rule_error err;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_STRICT:
            strict = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            rules_usage(stdout);
            rule_loader_free(ld);
            return CLI_EXIT_OK;
        case OPT_VAR: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                fprintf(stderr, "vigil rules: --var expects NAME=VALUE, got '%s'\n", optarg);
                rule_loader_free(ld);
                return CLI_EXIT_USAGE;
            }
            char name[128];
            size_t n = (size_t)(eq - optarg);
            if (n >= sizeof name) n = sizeof name - 1;
            memcpy(name, optarg, n);
            name[n] = '\0';
            if (rule_loader_set_var(ld, name, eq + 1, &err) != VG_OK) {
                fprintf(stderr, "vigil rules: --var %s: %s\n", name, err.msg);
                rule_loader_free(ld);
                return CLI_EXIT_USAGE;
            }
            break;
        }
        case OPT_CLASS:
            if (rule_loader_load_classification(ld, optarg, &err) != VG_OK) {
                fprintf(stderr, "vigil rules: %s:%u: %s\n", optarg, err.line, err.msg);
                rule_loader_free(ld);
                return CLI_EXIT_USAGE;
            }
            break;
        default:
            fprintf(stderr, "vigil rules: unknown or incomplete option '%s'\n", argv[optind - 1]);
            rules_usage(stderr);
            rule_loader_free(ld);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vigil rules: no rule file given\n");
        rules_usage(stderr);
        rule_loader_free(ld);
        return CLI_EXIT_USAGE;
    }
    int nfiles = argc - optind, nfailed = 0;
    for (int i = optind; i < argc; i++) {
        int lr = rule_loader_load_file(ld, argv[i], &err);
        if (lr == VG_ERR_NOMEM) {
            fprintf(stderr, "vigil rules: %s: out of memory\n", argv[i]);
            rule_loader_free(ld);
            return CLI_EXIT_RUNTIME;
        }
        if (lr != VG_OK) {
            fprintf(stderr, "vigil rules: %s: %s\n", argv[i], err.msg);
            nfailed++;
        }
    }
    const struct rule_loader_stats *st = rule_loader_stats(ld);
    printf("rules: %llu loaded, %llu skipped (%llu unsupported, %llu duplicate) from %d file(s)\n",
           (unsigned long long)st->loaded, (unsigned long long)st->skipped,
           (unsigned long long)st->unsupported, (unsigned long long)st->duplicates,
           nfiles - nfailed);
    if (!quiet) {
        size_t ns;
        const struct rule_skip *sk = rule_loader_skips(ld, &ns);
        for (size_t i = 0; i < ns; i++) {
            if (sk[i].sid)
                printf("%s:%u: sid %u: %s\n", sk[i].file, sk[i].line, sk[i].sid, sk[i].reason);
            else
                printf("%s:%u: sid ?: %s\n", sk[i].file, sk[i].line, sk[i].reason);
        }
        if (st->skips_dropped)
            printf("(%llu more skipped rules not listed)\n", (unsigned long long)st->skips_dropped);
    }
    const struct rule_skip_group *g;
    size_t ng = rule_loader_skip_groups(ld, &g);
    if (ng) {
        printf("skipped by reason:\n");
        size_t show = ng > 50 ? 50 : ng;
        for (size_t i = 0; i < show; i++)
            printf("  %8llu  %s\n", (unsigned long long)g[i].count, g[i].reason);
        if (ng > show) printf("  (%zu more reasons)\n", ng - show);
    }
    if (nfailed == nfiles)
        rc = CLI_EXIT_NO_INPUT;
    else if (strict && (st->skipped || nfailed))
        rc = CLI_EXIT_RUNTIME;
    rule_loader_free(ld);
    return rc;
}
