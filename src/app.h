/* SPDX-License-Identifier: MIT */
/* The running application: the config, the store, the server key, the signing keys and
 * the caches, shared by the HTTP handlers, the admin API and the CLI. */
#ifndef RCAUTH_APP_H
#define RCAUTH_APP_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rc.h"
#include "config.h"
#include "store/store.h"

struct keyring;
struct access_cache;
struct usage_recorder;
struct revoked_tokens;
struct token_cache;
struct throttle;

struct app {
    struct config cfg;
    struct store *store;
    uint8_t server_key[32];
    /* HMAC-SHA-256 states past their key, copied for each MAC (two hash blocks fewer each
     * time): the server key (app_hash_secret), and the refresh tokens' key derived from it
     * (oauth/refresh.h). Secret, like the server key. */
    crypto_auth_hmacsha256_state secret_mac;
    crypto_auth_hmacsha256_state refresh_key;
    struct keyring *keys;          /* the signing keys */
    struct access_cache *accesses; /* in-memory cache of accesses by client id */
    struct usage_recorder *usage;  /* batches last_used_at and auth.failed writes */
    /* Single access tokens revoked (RFC 7009), by jti. */
    struct revoked_tokens *revoked;
    /* Access tokens already verified: their signature is not checked twice. */
    struct token_cache *tokens;
    struct throttle *throttle; /* failed authentications per client id and address */
};

/* Open the store (migrating it; refused when its schema is newer than this binary), read
 * or create the server key (RCAUTH_SERVER_KEY, or <data_dir>/server.key, created 0600 only
 * for a store without signing keys), load the signing keys (which checks that they unseal
 * with the server key: RC_ECRYPTO otherwise), add the config's extra actions to the
 * catalog, and create the caches. Creates no signing key. Caller frees with app_free().
 * Takes ownership of cfg's strings. err receives a one-line message on failure. */
int app_open(struct config *cfg, struct app **out, char *err, size_t errsz) RC_MUST_CHECK;
/* Load the signing keys (app_open() did). */
int app_open_keys(struct app *app) RC_MUST_CHECK;
void app_free(struct app *app);

/* HMAC-SHA-256 of a secret (client secret, admin key) with the server key. */
void app_hash_secret(const struct app *app, const char *secret, uint8_t out[32]);

/* Fill *out with an audit event stamped now, for a store write that records it in its own
 * transaction. account_id may be "" for server-wide events; actor and subject may be NULL. */
void app_audit_event(const char *account_id, const char *actor, const char *event,
                     const char *subject, struct store_audit_event *out);
/* Record an audit event (errors are logged, not returned: auditing never fails a request).
 * account_id may be "" for server-wide events; actor is an admin key id, "cli" or "". */
void app_audit(struct app *app, const char *account_id, const char *actor, const char *event,
               const char *subject);

/* Tell every cache that accesses or admin keys changed (after a write by this process).
 * Other processes notice through the store's revision within a second. */
void app_changed(struct app *app);

#endif
