/* cli.h - vigil's subcommands. Exit codes (documented in docs/cli.md):
 *   0  success
 *   1  runtime failure (the output could not be written)
 *   2  usage error (bad flag, missing argument)
 *   3  no input could be read (every capture file failed to open) */
#ifndef VG_CLI_H
#define VG_CLI_H

enum { CLI_EXIT_OK = 0, CLI_EXIT_RUNTIME = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_NO_INPUT = 3 };

int cli_analyze(int argc, char **argv);
int cli_rules(int argc, char **argv);
int cli_hunt(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_config(int argc, char **argv);

#endif
