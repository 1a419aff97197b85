/* SPDX-License-Identifier: MIT */
/* POST /{account}/token (SPEC §2): client authentication, scope, and issuing an access
 * token (and a refresh token) for the client_credentials and refresh_token grants.
 * The request path reads only memory (the access cache) and performs no SQL write but the
 * refresh chain's compare-and-swap; usage is recorded in memory and flushed later. */
#include "app.h"
#include "common/metrics.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "oauth/access_cache.h"
#include "oauth/client_auth.h"
#include "oauth/errors.h"
#include "oauth/oauth.h"
#include "oauth/refresh.h"
#include "oauth/scope.h"
#include "oauth/token_request.h"
#include "oauth/usage.h"
#include "token/token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_BUF_MAX (64 * 1024)

/* Record usage at most once per USAGE_INTERVAL per cached access: the recorder takes a lock.
 * Threads racing here record it twice, which the recorder folds into one. */
static void note_used(struct app *app, struct cached_access *a, int64_t now)
{
    int64_t last = __atomic_load_n(&a->last_noted, __ATOMIC_RELAXED);
    if (last && now - last < USAGE_INTERVAL)
        return;
    if (usage_note_used(app->usage, a->client_id, now))
        __atomic_store_n(&a->last_noted, now, __ATOMIC_RELAXED);
}

/* Lifetime of the access token: the request's, else the default (0 = no expiry), bounded
 * by the configured maximum. */
static int token_lifetime(const struct app *app, bool given, int64_t asked, int64_t fallback,
                          int64_t *out)
{
    int64_t max = app->cfg.max_token_lifetime;
    int64_t v = given ? asked : fallback;
    if (max && v > max)
        return RC_EINVAL;
    *out = (max && v == 0) ? max : v;
    return 0;
}

static int sign_access_token(struct app *app, const struct cached_access *a, const char *scope,
                             int64_t lifetime, int64_t now, struct buf *out)
{
    struct token_claims c = {0};
    oauth_issuer(app, a->account_id, c.iss, sizeof(c.iss));
    memcpy(c.client_id, a->client_id, sizeof(c.client_id));
    memcpy(c.account, a->account_id, sizeof(c.account));
    c.scope = (char *)scope;
    uint8_t jti[16];
    randombytes_buf(jti, sizeof(jti));
    base64url_encode(jti, sizeof(jti), c.jti);
    c.iat = now;
    c.exp = lifetime ? now + lifetime : 0;
    return token_sign(app->keys, NULL, &c, out);
}

/* Write the success answer (RFC 6749 §5.1). rc_claims is the refresh chain to continue,
 * or NULL for none. */
static void respond_tokens(struct app *app, const struct cached_access *a, const char *scope,
                           int64_t lifetime, const struct refresh_claims *rc_claims,
                           struct http_response *res)
{
    int64_t now = time_now();
    struct buf at, rt;
    buf_init(&at, TOKEN_BUF_MAX);
    buf_init(&rt, TOKEN_BUF_MAX);
    int rc = sign_access_token(app, a, scope, lifetime, now, &at);
    if (!rc && rc_claims)
        rc = refresh_encode(&app->refresh_key, rc_claims, &rt);
    if (rc) {
        log_msg(LOG_ERROR, "cannot sign a token", "error", rc_strerror(rc), NULL);
        /* signing may first record the key's reservation: a store outage is a 503 */
        oauth_store_error_respond(res, rc, "the token could not be signed");
        goto out;
    }
    struct jsonw w;
    jsonw_init(&w, &res->body);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "access_token", buf_str(&at));
    jsonw_kv_string(&w, "token_type", "Bearer");
    jsonw_kv_int(&w, "expires_in", lifetime);
    jsonw_kv_string(&w, "scope", scope);
    if (rc_claims)
        jsonw_kv_string(&w, "refresh_token", buf_str(&rt));
    jsonw_object_end(&w);
    if (jsonw_finish(&w)) {
        oauth_error_respond(res, OAUTH_SERVER_ERROR, NULL, false);
        goto out;
    }
    res->status = 200;
    metrics_inc(METRIC_TOKENS_ISSUED);
    note_used(app, (struct cached_access *)a, now);
out:
    buf_cleanup(&at);
    buf_cleanup(&rt);
}

static void client_credentials(struct app *app, const char *account, const struct token_request *tr,
                               struct http_response *res)
{
    struct cached_access *a = NULL;
    struct granted_scope g = {0};
    struct buf scope;
    buf_init(&scope, TOKEN_BUF_MAX);
    int64_t lifetime;
    int64_t retry_after = 0;
    int rc = oauth_client_authenticate(app, account, tr, &a, &retry_after);
    if (rc) {
        oauth_client_auth_respond(res, rc, retry_after, tr->basic);
        goto out;
    }
    if (token_lifetime(app, tr->has_expires_in, tr->expires_in, 0, &lifetime)) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST,
                            "expires_in is above the server's maximum token lifetime", false);
        goto out;
    }
    const char *asked = tr->scope && strcmp(tr->scope, "*") ? tr->scope : NULL;
    rc = scope_grant(a, asked, app->store, &g);
    if (rc && rc != RC_EINVAL) {
        oauth_store_error_respond(res, rc, NULL);
        goto out;
    }
    if (rc || scope_format(&g, &scope)) {
        oauth_error_respond(res, OAUTH_INVALID_SCOPE,
                            "the scope asks for actions or environments the access does not have",
                            false);
        goto out;
    }
    if (app->cfg.refresh_tokens) {
        struct refresh_claims rcl;
        refresh_claims_init(&rcl, a->client_id, buf_str(&scope), lifetime);
        respond_tokens(app, a, buf_str(&scope), lifetime, &rcl, res);
        refresh_claims_cleanup(&rcl);
    } else {
        respond_tokens(app, a, buf_str(&scope), lifetime, NULL, res);
    }
out:
    scope_cleanup(&g);
    buf_cleanup(&scope);
    access_cache_put(app->accesses, a);
}

/* The chain moves forward in the store; a spent generation revokes the chain. RC_EINVAL when
 * the token is spent or its chain revoked, or the store's error. */
static int advance_chain(struct app *app, struct refresh_claims *c)
{
    enum store_refresh_result result;
    int rc = app->store->ops->refresh_rotate(app->store, c->chain_id, c->client_id, c->generation,
                                             time_now(), &result);
    if (rc)
        return rc;
    if (result == STORE_REFRESH_SPENT)
        log_msg(LOG_WARN, "refresh token reused: chain revoked", "client_id", c->client_id, NULL);
    if (result != STORE_REFRESH_ROTATED)
        return RC_EINVAL;
    c->generation++;
    return 0;
}

/* RFC 6749 §6. The client_secret is optional (SPEC §2) but checked when given. */
static void refresh_grant(struct app *app, const char *account, const struct token_request *tr,
                          struct http_response *res)
{
    struct refresh_claims c = {0};
    struct cached_access *a = NULL;
    int64_t lifetime;
    int rc;
    if (!tr->refresh_token) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST, "refresh_token is missing", false);
        goto out;
    }
    if (tr->client_secret) {
        int64_t retry_after = 0;
        rc = oauth_client_authenticate(app, account, tr, &a, &retry_after);
        if (rc) {
            oauth_client_auth_respond(res, rc, retry_after, tr->basic);
            goto out;
        }
        access_cache_put(app->accesses, a);
        a = NULL;
    }
    rc = refresh_decode(&app->refresh_key, tr->refresh_token, &c) ? RC_EINVAL : 0;
    if (!rc && tr->client_id && strcmp(tr->client_id, c.client_id))
        rc = RC_EINVAL;
    if (!rc)
        rc = access_cache_get(app->accesses, c.client_id, false, &a);
    if (rc && rc != RC_EINVAL && rc != RC_ENOTFOUND) {
        oauth_store_error_respond(res, rc, NULL);
        goto out;
    }
    if (rc || a->revoked_at || strcmp(a->account_id, account)) {
        oauth_error_respond(res, OAUTH_INVALID_GRANT, "the refresh token is invalid", false);
        goto out;
    }
    if (tr->scope && strcmp(tr->scope, "*") && strcmp(tr->scope, c.scope)) {
        oauth_error_respond(res, OAUTH_INVALID_SCOPE,
                            "a refreshed token keeps the scope of the original", false);
        goto out;
    }
    if (token_lifetime(app, tr->has_expires_in, tr->expires_in, c.lifetime, &lifetime)) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST,
                            "expires_in is above the server's maximum token lifetime", false);
        goto out;
    }
    rc = advance_chain(app, &c);
    if (rc == RC_EINVAL) {
        oauth_error_respond(res, OAUTH_INVALID_GRANT,
                            "the refresh token is spent, revoked or unknown", false);
        goto out;
    }
    if (rc) {
        oauth_store_error_respond(res, rc, NULL);
        goto out;
    }
    c.lifetime = lifetime;
    respond_tokens(app, a, c.scope, lifetime, &c, res);
out:
    refresh_claims_cleanup(&c);
    access_cache_put(app->accesses, a);
}

void oauth_token_handler(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    const char *account = req->params[0];
    struct token_request tr;
    const char *why = NULL;
    if (token_request_parse(req, &tr, &why)) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST, why, false);
        return;
    }
    if (!tr.grant_type || !strcmp(tr.grant_type, "client_credentials"))
        client_credentials(app, account, &tr, res);
    else if (!strcmp(tr.grant_type, "refresh_token") && app->cfg.refresh_tokens)
        refresh_grant(app, account, &tr, res);
    else if (!strcmp(tr.grant_type, "refresh_token"))
        oauth_error_respond(res, OAUTH_UNSUPPORTED_GRANT_TYPE,
                            "this server does not issue refresh tokens", false);
    else
        oauth_error_respond(res, OAUTH_UNSUPPORTED_GRANT_TYPE,
                            "grant_type must be client_credentials or refresh_token", false);
    token_request_cleanup(&tr);
}
