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
    "                    [--throttle-client N] [--throttle-address N] [--throttle-window S]\n"
    "                    [--tls-cert FILE --tls-key FILE] [--max-connections N]\n"
    "                    [--max-connections-per-address N]\n"
    "                    [--panel-session-idle SECONDS] [--panel-session-lifetime SECONDS]\n"
    "                    [--key-reserve SECONDS] [--data DIR] [--db LOC] [--config FILE]\n"
    "\n"
    "Run the authorization server until SIGINT or SIGTERM (new connections are refused\n"
    "at once, requests in flight finished for up to 10 s). Defaults: --listen\n"
    "127.0.0.1:8080 (an IPv6 address in brackets: [::1]:8080), --data ./rcauth-data,\n"
    "--public-url http://<listen>, tokens without a maximum lifetime, refresh tokens on,\n"
    "one worker thread per core, tokens signed with EdDSA (a key of the --signing-alg is\n"
    "created when the store has none), web panel sessions of 1800 s idle and 43200 s at\n"
    "most. Changes made by other instances are picked up at once from PostgreSQL's\n"
    "notifications, and by polling the store every --recheck-interval seconds (0.25)\n"
    "in case one was missed. After 20 failed authentications of one client id, or 100 from\n"
    "one address, within 60 s, further failures get 429 until the window ends (--throttle-*;\n"
    "0 turns a limit off). With --tls-cert and --tls-key (PEM files) it serves HTTPS only,\n"
    "TLS 1.2 and 1.3. At most 4096 connections at once, 128 from one address; a request\n"
    "must arrive whole within 10 s of its first byte, or its connection is closed. The store\n"
    "records ahead how long each signing key's tokens may live, --key-reserve seconds\n"
    "(default 3600) past now: a superseded key stays published until then plus 10 s, and a\n"
    "token that lives longer costs one store write. Logs are JSON lines on stderr. The web\n"
    "panel is at <public-url>/admin/.\n"
    "Variables: RCAUTH_LISTEN, RCAUTH_PUBLIC_URL, RCAUTH_DATA, RCAUTH_DB, RCAUTH_CONFIG,\n"
    "RCAUTH_SIGNING_ALG, RCAUTH_RECHECK_INTERVAL, RCAUTH_KEY_RESERVE, RCAUTH_THROTTLE_CLIENT,\n"
    "RCAUTH_THROTTLE_ADDRESS, RCAUTH_THROTTLE_WINDOW, RCAUTH_TLS_CERT, RCAUTH_TLS_KEY,\n"
    "RCAUTH_MAX_CONNECTIONS, RCAUTH_MAX_CONNECTIONS_PER_ADDRESS, RCAUTH_PANEL_SESSION_IDLE,\n"
    "RCAUTH_PANEL_SESSION_LIFETIME, RCAUTH_SERVER_KEY (64 hex chars; else DIR/server.key,\n"
    "created 0600).\n";

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
