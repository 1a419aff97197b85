/* SPDX-License-Identifier: MIT */
/* Opening the application: data directory, server key, store, catalog extensions, caches.
 * The HTTP server and the background maintenance live in cli/serve.c. */
#include "app.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "oauth/access_cache.h"
#include "oauth/catalog.h"
#include "oauth/refresh.h"
#include "oauth/revoked_tokens.h"
#include "oauth/throttle.h"
#include "oauth/token_cache.h"
#include "oauth/usage.h"
#include "token/token.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SERVER_KEY_HEX 64

static int make_data_dir(const char *dir, char *err, size_t errsz)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return 0;
    snprintf(err, errsz, "cannot create data directory %s: %s", dir, strerror(errno));
    return RC_EIO;
}

static int parse_server_key(const char *hex, uint8_t key[32])
{
    char trimmed[SERVER_KEY_HEX + 1];
    size_t n = strcspn(hex, "\r\n");
    if (n != SERVER_KEY_HEX)
        return RC_EINVAL;
    memcpy(trimmed, hex, n);
    trimmed[n] = '\0';
    int rc = hex_decode(trimmed, key, 32);
    sodium_memzero(trimmed, sizeof(trimmed));
    return rc;
}

/* Create <dir>/server.key with a new random key; RC_ECONFLICT if another process won. */
static int create_key_file(const char *path, uint8_t key[32], char *err, size_t errsz)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return RC_ECONFLICT;
        snprintf(err, errsz, "cannot create %s: %s", path, strerror(errno));
        return RC_EIO;
    }
    char hex[SERVER_KEY_HEX + 2];
    randombytes_buf(key, 32);
    hex_encode(key, 32, hex);
    hex[SERVER_KEY_HEX] = '\n';
    bool ok = write(fd, hex, SERVER_KEY_HEX + 1) == SERVER_KEY_HEX + 1 && fsync(fd) == 0;
    close(fd);
    sodium_memzero(hex, sizeof(hex));
    if (!ok) {
        unlink(path);
        snprintf(err, errsz, "cannot write %s", path);
        return RC_EIO;
    }
    log_msg(LOG_INFO, "created server key", "path", path, NULL);
    return 0;
}

static int read_key_file(const char *path, uint8_t key[32], char *err, size_t errsz)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077)) {
        snprintf(err, errsz, "%s is readable or writable by others (mode %03o): chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
        return RC_EINVAL;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
        return RC_EIO;
    }
    char hex[SERVER_KEY_HEX + 8] = {0};
    size_t n = fread(hex, 1, sizeof(hex) - 1, f);
    fclose(f);
    hex[n] = '\0';
    int rc = parse_server_key(hex, key);
    sodium_memzero(hex, sizeof(hex));
    if (rc)
        snprintf(err, errsz, "%s does not hold 64 hex characters", path);
    return rc;
}

static int stop_at_first(void *ctx, const struct store_signing_key *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 1;
}

/* The store's signing keys were sealed with some server key: a new one cannot be right. */
static int check_store_is_new(struct store *s, char *err, size_t errsz)
{
    bool any = false;
    int rc = s->ops->signing_key_list(s, stop_at_first, &any);
    if (!rc && any) {
        snprintf(err, errsz,
                 "no server key for this store: set RCAUTH_SERVER_KEY (or --data DIR "
                 "holding server.key) to the one its instances use");
        rc = RC_EINVAL;
    }
    return rc;
}

/* RCAUTH_SERVER_KEY, or <data_dir>/server.key, created (with the data directory) only for
 * a store that has no signing key yet. */
static int load_server_key(struct app *app, char *err, size_t errsz)
{
    const char *env = getenv("RCAUTH_SERVER_KEY");
    if (env) {
        if (parse_server_key(env, app->server_key)) {
            snprintf(err, errsz, "RCAUTH_SERVER_KEY must be 64 hex characters");
            return RC_EINVAL;
        }
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/server.key", app->cfg.data_dir);
    if (access(path, F_OK) != 0) {
        int rc = check_store_is_new(app->store, err, errsz);
        if (!rc)
            rc = make_data_dir(app->cfg.data_dir, err, errsz);
        if (!rc)
            rc = create_key_file(path, app->server_key, err, errsz);
        if (rc != RC_ECONFLICT)
            return rc;
    }
    return read_key_file(path, app->server_key, err, errsz);
}

/* Warned about, not refused, unlike a loose server key: deployments that run so must keep
 * running. */
static void warn_if_open(const char *path, const char *shown, mode_t mask, const char *msg)
{
    struct stat st;
    char mode[8];

    if (stat(path, &st) != 0 || !(st.st_mode & mask))
        return;
    snprintf(mode, sizeof(mode), "%03o", (unsigned)(st.st_mode & 0777));
    log_msg(LOG_WARN, msg, "path", shown, "mode", mode, NULL);
}

/* The data directory when it holds the key or the database, and the SQLite file. */
static void warn_loose_modes(const struct app *app, const char *where)
{
    bool sqlite = !store_location_is_pg(app->cfg.db);

    if (sqlite || !getenv("RCAUTH_SERVER_KEY"))
        warn_if_open(app->cfg.data_dir, app->cfg.data_dir, 022,
                     "the data directory is writable by others: chmod 700 it");
    if (sqlite)
        warn_if_open(app->cfg.db, where, 077,
                     "the database is readable or writable by others: chmod 600 it");
}

/* Migrate, or say why not: a schema newer than this binary is never touched. */
static int migrate_store(struct store *s, const char *where, char *err, size_t errsz)
{
    int64_t have = 0, known = store_schema_known(s);
    int rc = s->ops->migrate(s);
    if (rc && s->ops->schema_version(s, &have) == 0 && have > known)
        snprintf(err, errsz,
                 "the store %s has schema version %lld, newer than this rcauth knows (%lld): "
                 "upgrade rcauth",
                 where, (long long)have, (long long)known);
    else if (rc)
        snprintf(err, errsz, "cannot migrate the store %s", where);
    return rc;
}

/* The check every command makes (SPEC §4: every instance sharing a store shares the server
 * key): the store's signing keys unseal with ours. */
static int open_keys(struct app *app, const char *where, char *err, size_t errsz)
{
    int rc = app_open_keys(app);
    if (rc == RC_ECRYPTO)
        snprintf(err, errsz,
                 "the server key does not match the store: use the RCAUTH_SERVER_KEY (or the "
                 "server.key) of its instances");
    else if (rc)
        snprintf(err, errsz, "cannot read the signing keys of the store %s", where);
    return rc;
}

static int add_extra_actions(const char *list, char *err, size_t errsz)
{
    char *copy = xstrdup(list);
    int rc = 0;
    for (char *save = NULL, *a = strtok_r(copy, " ,", &save); a && !rc;
         a = strtok_r(NULL, " ,", &save)) {
        rc = catalog_add(a);
        if (rc == RC_ECONFLICT)
            rc = 0;
        else if (rc)
            snprintf(err, errsz, "bad action name in config: '%s'", a);
    }
    free(copy);
    return rc;
}

int app_open(struct config *cfg, struct app **out, char *err, size_t errsz)
{
    struct app *app = xcalloc(1, sizeof(*app));
    app->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    int rc = 0;

    char where[256];
    store_location_describe(app->cfg.db, where, sizeof(where)); /* no password in messages */
    rc = store_location_check(app->cfg.db, err, errsz);
    if (!rc && !store_location_is_pg(app->cfg.db)) /* the SQLite file lives there */
        rc = make_data_dir(app->cfg.data_dir, err, errsz);
    if (!rc && app->cfg.extra_actions)
        rc = add_extra_actions(app->cfg.extra_actions, err, errsz);
    if (!rc && (rc = store_open(app->cfg.db, &app->store)))
        snprintf(err, errsz, "cannot open the store %s", where);
    if (!rc)
        rc = migrate_store(app->store, where, err, errsz);
    if (!rc)
        rc = load_server_key(app, err, errsz);
    if (!rc) {
        crypto_auth_hmacsha256_init(&app->secret_mac, app->server_key, sizeof(app->server_key));
        refresh_key_init(&app->refresh_key, app->server_key);
    }
    if (!rc)
        warn_loose_modes(app, where);
    if (!rc)
        rc = open_keys(app, where, err, errsz);
    if (rc) {
        app_free(app);
        return rc;
    }
    app->accesses = access_cache_new(app->store, ACCESS_CACHE_CAPACITY);
    app->usage = usage_new();
    app->revoked = revoked_tokens_new();
    app->tokens = token_cache_new(TOKEN_CACHE_ENTRIES, TOKEN_CACHE_BYTES);
    struct throttle_limits limits = {app->cfg.throttle_client, app->cfg.throttle_address,
                                     app->cfg.throttle_window};
    app->throttle = throttle_new(&limits);
    *out = app;
    return 0;
}

int app_open_keys(struct app *app)
{
    if (app->keys)
        return 0;
    return keyring_open(app->store, app->server_key, app->cfg.signing_alg, &app->keys);
}

void app_free(struct app *app)
{
    if (!app)
        return;
    if (app->usage && app->store)
        usage_flush(app->usage, app->store);
    usage_free(app->usage);
    access_cache_free(app->accesses);
    revoked_tokens_free(app->revoked);
    token_cache_free(app->tokens);
    throttle_free(app->throttle);
    keyring_free(app->keys);
    store_close(app->store);
    sodium_memzero(app->server_key, sizeof(app->server_key));
    sodium_memzero(&app->secret_mac, sizeof(app->secret_mac));
    sodium_memzero(&app->refresh_key, sizeof(app->refresh_key));
    config_cleanup(&app->cfg);
    free(app);
}

void app_hash_secret(const struct app *app, const char *secret, uint8_t out[32])
{
    crypto_auth_hmacsha256_state st = app->secret_mac;
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

void app_audit_event(const char *account_id, const char *actor, const char *event,
                     const char *subject, struct store_audit_event *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->account_id, sizeof(out->account_id), "%s", account_id ? account_id : "");
    snprintf(out->actor, sizeof(out->actor), "%s", actor ? actor : "");
    snprintf(out->event, sizeof(out->event), "%s", event);
    snprintf(out->subject, sizeof(out->subject), "%s", subject ? subject : "");
    out->at = time_now();
}

void app_audit(struct app *app, const char *account_id, const char *actor, const char *event,
               const char *subject)
{
    struct store_audit_event e;
    app_audit_event(account_id, actor, event, subject, &e);
    if (app->store->ops->audit_add(app->store, &e))
        log_msg(LOG_ERROR, "audit write failed", "event", event, NULL);
}

void app_changed(struct app *app)
{
    access_cache_invalidate(app->accesses);
}
