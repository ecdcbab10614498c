/* main.c - `vigil` entry point: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *out)
{
    fputs("usage: vigil <command> [options]\n"
          "\n"
          "commands:\n"
          "  analyze   read capture files (pcap, pcapng) and write EVE JSON events\n"
          "  run       capture live traffic (vigil run -i IFACE) and write EVE JSON events\n"
          "  rules     check Suricata rule files (vigil rules check FILE...)\n"
          "  hunt      search past EVE logs for indicators (vigil hunt --ioc FILE EVE.json...)\n"
          "  report    write the HTML report of EVE files (vigil report EVE.json -o report.html)\n"
          "  version   print the version\n"
          "  help      print this help\n"
          "\n"
          "Run 'vigil <command> --help' for a command's options.\n"
          "Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 no input could be read.\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "analyze") == 0) return cli_analyze(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0) return cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "rules") == 0) return cli_rules(argc - 1, argv + 1);
    if (strcmp(cmd, "hunt") == 0) return cli_hunt(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0) return cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "config") == 0) return cli_config(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("vigil %s\n", VIGIL_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "vigil: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
