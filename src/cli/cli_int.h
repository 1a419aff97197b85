/* SPDX-License-Identifier: MIT */
/* Private to src/cli: the subcommands dispatch.c calls, and helpers they share. */
#ifndef RCAUTH_CLI_INT_H
#define RCAUTH_CLI_INT_H

#include "cli/cli.h"
#include "common/buf.h"
#include "common/jsonw.h"

#define CLI_ERR_SIZE 512
#define CLI_OUT_MAX (1024 * 1024)

/* Subcommands: argv[0] is the subcommand's name ("account"…). Return the exit code. */
int cli_cmd_migrate(int argc, char **argv);
int cli_cmd_admin_key(int argc, char **argv);
int cli_cmd_account(int argc, char **argv);
int cli_cmd_env(int argc, char **argv);
int cli_cmd_access(int argc, char **argv);
int cli_cmd_keys(int argc, char **argv);
int cli_cmd_token(int argc, char **argv);

/* A group's verbs: {"create", fn}…, ended by {NULL, NULL}. fn gets argv[0] = the verb. */
struct cli_verb {
    const char *name;
    int (*fn)(int argc, char **argv);
};
/* Run the verb argv[1] of group argv[0]; usage on --help (exit 0) or when the verb is
 * missing or unknown (stderr, exit 2). */
int cli_run_verb(int argc, char **argv, const struct cli_verb *verbs, const char *usage);

/* Print the JSON written into b (by w) as one line on stdout. CLI_OK, or CLI_FAIL. */
int cli_print_json(struct buf *b, const struct jsonw *w);
/* The exit code and message for a failed admin_* service call: validation errors
 * (RC_EINVAL) are usage errors (2), the rest runtime failures (1). */
int cli_service_error(int rc, const char *msg);

#endif
