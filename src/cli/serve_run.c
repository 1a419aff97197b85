/* SPDX-License-Identifier: MIT */
/* The serve loop: wire the routes, start the HTTP server, and notice changes made by other
 * processes (store revision → drop the access cache, load new revoked tokens, reload the
 * signing keys) at once when the store notifies them (PostgreSQL's LISTEN/NOTIFY), and in
 * any case every --recheck-interval seconds, in case a notification was missed. Once a
 * second, refresh the signing keys (a key due to stop verifying), keep the signing key's
 * reservation ahead (--key-reserve), and flush the usage recorder. Signals only set a flag;
 * the main thread does the stopping, and all of the store's maintenance. */
#include "cli/serve.h"
#include "admin/admin.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/timeutil.h"
#include "gate/gate.h"
#include "http/http.h"
#include "oauth/access_cache.h"
#include "oauth/oauth.h"
#include "oauth/revoked_tokens.h"
#include "oauth/usage.h"
#include "token/token.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_BODY (64 * 1024)
#define PEM_MAX (1024 * 1024)

#define TICK_MS 20 /* how soon the main thread acts on a notification */

static volatile sig_atomic_t stop_requested;
/* Set by the store's listener thread; taken by the main loop. */
static int change_notified;

static void on_store_change(void *ctx)
{
    (void)ctx;
    __atomic_store_n(&change_notified, 1, __ATOMIC_RELAXED);
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Each connection holds a descriptor: let the process have as many as it may (the soft
 * limit is often 1024, below --max-connections). */
static void raise_open_files_limit(int max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    /* the store, the log, the listener and a few more need descriptors too */
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)max_connections + 64) {
        char have[24];
        snprintf(have, sizeof(have), "%llu", (unsigned long long)rl.rlim_cur);
        log_msg(LOG_WARN, "the open-files limit is below --max-connections plus 64", "limit", have,
                NULL);
    }
}

/* A PEM file for TLS, whole, into out (capped). Logs and returns non-zero on failure. */
static int read_pem(const char *path, struct buf *out)
{
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    int rc = f ? 0 : RC_EIO;
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_append(out, chunk, n);
    if (f && ferror(f))
        rc = RC_EIO;
    if (f)
        fclose(f);
    sodium_memzero(chunk, sizeof(chunk));
    if (rc || out->len == 0)
        log_msg(LOG_ERROR, "cannot read the TLS file", "path", path, NULL);
    return rc || out->len == 0;
}

static void observe(void *app, const struct http_request *req, int status, int64_t micros)
{
    (void)app;
    metrics_observe(req->route, status, micros);
    /* 501 answers a transfer coding a client made up: not the server's failure */
    enum log_level level = status >= 500 && status != 501 ? LOG_WARN : LOG_DEBUG;
    if (!log_enabled(level))
        return; /* every request comes here: no formatting for nothing */
    char st[8], us[24];
    snprintf(st, sizeof(st), "%d", status);
    snprintf(us, sizeof(us), "%lld", (long long)micros);
    /* The route, not the path: a path or query can carry a token or a secret. */
    log_msg(level, "request", "method", req->method, "route", req->route ? req->route : "none",
            "status", st, "micros", us, NULL);
}

/* React to changes made by other processes, when the store's revision moved. */
static void notice_changes(struct app *app, int64_t *seen_revision)
{
    int64_t rev;
    if (app->store->ops->revision(app->store, &rev) != 0 || rev == *seen_revision)
        return;
    *seen_revision = rev;
    access_cache_invalidate(app->accesses);
    if (revoked_tokens_sync(app->revoked, app->store, time_now())) {
        log_msg(LOG_WARN, "could not load revoked tokens; retrying", NULL);
        *seen_revision = -1;
    }
    if (keyring_refresh(app->keys))
        log_msg(LOG_WARN, "could not reload signing keys", NULL);
}

/* Once a second: keys, pruning, flushing usage. */
static void maintain(struct app *app)
{
    /* every second, not only on a revision: keys also stop verifying as time passes */
    if (keyring_refresh(app->keys))
        log_msg(LOG_WARN, "could not reload signing keys", NULL);
    revoked_tokens_prune(app->revoked, app->store, time_now());
    usage_flush(app->usage, app->store);
    /* a failure here costs nothing yet: token_sign writes the reservation it needs */
    if (keyring_reserve_ahead(app->keys))
        log_msg(LOG_WARN, "could not extend the signing key's reservation", NULL);
}

int serve_run(struct app *app)
{
    char host[256];
    int port;
    if (config_listen_split(app->cfg.listen, host, sizeof(host), &port))
        return 2; /* config_set() let no such value through */
    raise_open_files_limit(app->cfg.max_connections);
    if (keyring_start_signing(app->keys, app->cfg.key_reserve)) {
        log_msg(LOG_ERROR, "cannot load the signing keys", NULL);
        return 1;
    }
    /* Before the first request: a token revoked before a restart must stay refused. */
    if (revoked_tokens_sync(app->revoked, app->store, time_now())) {
        log_msg(LOG_ERROR, "cannot load the revoked tokens", NULL);
        return 1;
    }
    struct http_router *rt = http_router_new();
    oauth_routes_register(rt);
    gate_routes_register(rt);
    token_routes_register(rt);
    admin_routes_register(rt);
    admin_panel_register(rt);

    install_signals();
    struct http_server_config hc = {
        .host = host,
        .port = port,
        .threads = app->cfg.threads,
        .max_body = MAX_BODY,
        .max_connections = (unsigned)app->cfg.max_connections,
        .per_address = (unsigned)app->cfg.max_connections_per_address,
    };
    struct buf cert, key;
    buf_init(&cert, PEM_MAX);
    buf_init(&key, PEM_MAX);
    struct http_server *srv = NULL;
    int rc = app->cfg.tls_cert
                 ? read_pem(app->cfg.tls_cert, &cert) || read_pem(app->cfg.tls_key, &key)
                 : 0;
    if (!rc && app->cfg.tls_cert) {
        hc.tls_cert_pem = buf_str(&cert);
        hc.tls_key_pem = buf_str(&key);
    }
    if (!rc && http_server_start(&hc, rt, app, observe, &srv)) {
        log_msg(LOG_ERROR, "cannot listen", "listen", app->cfg.listen, NULL);
        rc = 1;
    }
    sodium_memzero(key.data, key.len); /* MHD keeps its own copy */
    buf_cleanup(&key);
    buf_cleanup(&cert);
    if (rc) {
        http_router_free(rt);
        return 1;
    }
    config_bind_port(&app->cfg, http_server_port(srv));
    char port_s[8];
    snprintf(port_s, sizeof(port_s), "%d", http_server_port(srv));
    log_msg(LOG_INFO, "listening", "host", host, "port", port_s, "store", app->store->ops->name,
            "public_url", config_public_url(&app->cfg), "signing_alg", keyring_alg(app->keys),
            NULL);

    if (app->store->ops->watch && app->store->ops->watch(app->store, on_store_change, NULL))
        log_msg(LOG_WARN, "no change notifications: relying on the periodic re-check", NULL);
    int64_t seen_revision = -1;
    notice_changes(app, &seen_revision);
    maintain(app);
    int64_t next_recheck = time_mono_us() + app->cfg.recheck_interval_ms * INT64_C(1000);
    int64_t next_maintain = time_mono_us() + 1000000;
    while (!stop_requested) {
        struct timespec ts = {0, TICK_MS * 1000 * 1000};
        nanosleep(&ts, NULL);
        int64_t now = time_mono_us();
        if (__atomic_exchange_n(&change_notified, 0, __ATOMIC_RELAXED) || now >= next_recheck) {
            notice_changes(app, &seen_revision);
            next_recheck = now + app->cfg.recheck_interval_ms * INT64_C(1000);
        }
        if (now >= next_maintain) {
            maintain(app);
            next_maintain = now + 1000000;
        }
    }
    log_msg(LOG_INFO, "stopping: draining requests in flight", NULL);
    http_server_stop(srv);
    http_router_free(rt);
    usage_flush(app->usage, app->store);
    log_msg(LOG_INFO, "stopped", NULL);
    return 0;
}
