/* report.c - `vigil report EVE.json... [-o report.html]`: the HTML report of EVE files
 * (src/output/report/report.h, docs/report.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "output/report/report.h"

static void report_usage(FILE *out)
{
    fputs(
        "usage: vigil report [options] EVE.json...\n"
        "\n"
        "Writes one self-contained HTML page (no scripts or external resources) from EVE files:\n"
        "summary, timeline of findings, each finding with its evidence, beacons, top talkers and\n"
        "top alerts. Several files (rotated or split outputs) are read as one input.\n"
        "\n"
        "options:\n"
        "  -o, --output FILE    the page to write (default report.html)\n"
        "      --title TEXT     page title (default \"vigil report\")\n"
        "      --max-findings N findings drawn in full, most severe first (default 50)\n"
        "  -h, --help           this help\n"
        "\n"
        "Exit codes: 0 ok, 1 an input could not be read or the page not written, 2 usage error.\n",
        out);
}

/* Evidence paths in EVE are relative to the EVE file's folder. When the page is written
 * elsewhere, links get that folder's absolute path as prefix. */
static void link_base_for(const char *eve, const char *html, char *out, size_t n)
{
    char a[PATH_MAX], b[PATH_MAX], da[PATH_MAX], db[PATH_MAX];
    out[0] = '\0';
    if (!realpath(eve, a)) return;
    char *s = strrchr(a, '/');
    snprintf(da, sizeof da, "%.*s", s ? (int)(s - a) : 0, a);
    /* the page may not exist yet: resolve its folder */
    snprintf(b, sizeof b, "%s", html);
    s = strrchr(b, '/');
    if (s)
        *s = '\0';
    else
        snprintf(b, sizeof b, ".");
    if (!realpath(b, db)) return;
    if (strcmp(da, db) != 0) snprintf(out, n, "file://%s/", da);
}

int cli_report(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"title", required_argument, NULL, 't'},
                                         {"max-findings", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct report_options ro;
    report_options_default(&ro);
    const char *out = "report.html";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 't':
            ro.title = optarg;
            break;
        case 'm': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 100000) {
                fprintf(stderr, "vigil: error: --max-findings: expected 0..100000, not '%s'\n",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            ro.max_findings = (size_t)v;
            break;
        }
        case 'h':
            report_usage(stdout);
            return CLI_EXIT_OK;
        default:
            report_usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vigil: error: report needs at least one EVE file\n");
        report_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    char base[PATH_MAX + 16];
    link_base_for(argv[optind], out, base, sizeof base);
    ro.link_base = base;
    char err[512];
    if (report_write((const char *const *)argv + optind, (size_t)(argc - optind), out, &ro, err,
                     sizeof err) != 0) {
        fprintf(stderr, "vigil: error: report: %s\n", err);
        return CLI_EXIT_RUNTIME;
    }
    printf("vigil report: %s\n", out);
    return CLI_EXIT_OK;
}
