/* SPDX-License-Identifier: MIT */
/* `rcauth serve`: parse the server's options, open the app, and hand it to serve_run()
 * (serve_run.c), which owns the HTTP server and the maintenance loop. */
#include <stdio.h>

#include "app.h"
#include "cli/cli.h"
#include "cli/serve.h"

static const char usage[] =
    "usage: rcauth serve [--listen HOST:PORT] [--public-url URL]\n"
    "                    [--max-token-lifetime SECONDS] [--no-refresh-tokens]\n"
    "                    [--threads N] [--log-level debug|info|warn|error]\n"
    "                    [--signing-alg EdDSA|ES256] [--recheck-interval SECONDS]\n"
    "                    [--key-reserve SECONDS] [--data DIR] [--db LOC] [--config FILE]\n"
    "\n"
    "Run the authorization server until SIGINT or SIGTERM (requests in flight are\n"
    "finished first). Defaults: --listen 127.0.0.1:8080, --data ./rcauth-data,\n"
    "--public-url http://<listen>, tokens without a maximum lifetime, refresh tokens on,\n"
    "one worker thread per core, tokens signed with EdDSA (a key of the --signing-alg is\n"
    "created when the store has none). Changes made by other instances are picked up at\n"
    "once from PostgreSQL's notifications, and by polling the store every\n"
    "--recheck-interval seconds (default 1) in case one was missed. The store records\n"
    "ahead how long each signing key's tokens may live, --key-reserve seconds (default\n"
    "3600) past now: a superseded key stays published until then plus 10 s, a token that\n"
    "lives longer costs one store write. Logs are JSON lines on stderr.\n"
    "Variables: RCAUTH_LISTEN, RCAUTH_PUBLIC_URL, RCAUTH_DATA, RCAUTH_DB, RCAUTH_CONFIG,\n"
    "RCAUTH_SIGNING_ALG, RCAUTH_RECHECK_INTERVAL, RCAUTH_KEY_RESERVE, RCAUTH_SERVER_KEY\n"
    "(64 hex chars; else DIR/server.key, created 0600).\n";

int cli_serve(int argc, char **argv)
{
    const struct cli_option *tables[] = {cli_store_options, cli_serve_options, NULL};
    struct cli_args a;
    struct app *app = NULL;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    rc = serve_run(app);
    app_free(app);
    return rc;
}
