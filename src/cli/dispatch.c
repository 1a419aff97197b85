/* SPDX-License-Identifier: MIT */
/* `rcauth <subcommand>`: finds the subcommand (docs/cli.md), runs it, returns its exit
 * code. Also `rcauth migrate` (opening the app migrates) and the helpers that every
 * subcommand file shares for verbs and output. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli/cli_int.h"
#include "common/log.h"

static const char usage[] =
    "usage: rcauth <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve                         run the server\n"
    "  migrate                       apply the store's schema migrations\n"
    "  admin-key create|list|revoke  manage admin API keys\n"
    "  account create|list           manage accounts\n"
    "  env create|list               manage an account's environments\n"
    "  access create|list|show|revoke|rotate-secret\n"
    "                                manage Remote Control API accesses\n"
    "  keys list|rotate              manage the token signing keys\n"
    "  token request|verify          get or check a token from a running server\n"
    "\n"
    "Store options (every command but token): --data DIR, --db LOC, --config FILE\n"
    "(variables RCAUTH_DATA, RCAUTH_DB, RCAUTH_CONFIG). `rcauth <command> --help` for more.\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n";

static const char migrate_usage[] =
    "usage: rcauth migrate [--data DIR] [--db LOC] [--config FILE]\n"
    "\n"
    "Apply the pending schema migrations of the store (also done at every start).\n";

static const struct cli_verb commands[] = {
    {"serve", cli_serve},         {"migrate", cli_cmd_migrate}, {"admin-key", cli_cmd_admin_key},
    {"account", cli_cmd_account}, {"env", cli_cmd_env},         {"access", cli_cmd_access},
    {"keys", cli_cmd_keys},       {"token", cli_cmd_token},     {NULL, NULL},
};

static int run_from(int argc, char **argv, const struct cli_verb *verbs, const char *group,
                    const char *help)
{
    if (argc < 1) {
        fputs(help, stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
        strcmp(argv[0], "help") == 0) {
        fputs(help, stdout);
        return CLI_OK;
    }
    for (const struct cli_verb *v = verbs; v->name; v++)
        if (strcmp(v->name, argv[0]) == 0)
            return v->fn(argc, argv);
    if (argv[0][0] == '-')
        return cli_error(CLI_USAGE, "unknown option %s (see %s--help)", argv[0], group);
    return cli_error(CLI_USAGE, "unknown command '%s' (see %s--help)", argv[0], group);
}

int cli_main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        puts("rcauth 0.1.0");
        return CLI_OK;
    }
    return run_from(argc - 1, argv + 1, commands, "rcauth ", usage);
}

int cli_run_verb(int argc, char **argv, const struct cli_verb *verbs, const char *group_usage)
{
    char group[64];
    snprintf(group, sizeof(group), "rcauth %s ", argv[0]);
    return run_from(argc - 1, argv + 1, verbs, group, group_usage);
}

int cli_cmd_migrate(int argc, char **argv)
{
    const struct cli_option *tables[] = {cli_store_options, NULL};
    struct cli_args a;
    struct app *app;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, migrate_usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    log_msg(LOG_INFO, "store migrated", "store", app->store->ops->name, NULL);
    app_free(app);
    return CLI_OK;
}

int cli_print_json(struct buf *b, const struct jsonw *w)
{
    if (jsonw_finish(w))
        return cli_error(CLI_FAIL, "output too large");
    if (fwrite(buf_str(b), 1, b->len, stdout) != b->len || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0)
        return cli_error(CLI_FAIL, "cannot write to stdout");
    return CLI_OK;
}

int cli_service_error(int rc, const char *msg)
{
    return cli_error(rc == RC_EINVAL ? CLI_USAGE : CLI_FAIL, "%s", msg);
}
