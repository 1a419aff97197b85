/* SPDX-License-Identifier: MIT */
/* POST /{account}/introspect (RFC 7662): is this token active, and what is it? The caller is
 * an access of the account (HTTP Basic or body credentials, the token endpoint's rules) or
 * an admin (its key as Bearer). Access tokens are checked by oauth_token_check(), exactly as
 * GET /token checks them; refresh tokens are active while their chain's generation is current
 * and their access live. Anything else — expired, revoked, forged, garbage, another account's
 * — is {"active":false} and nothing more (§2.2), so the answer tells no one why. */
#include "admin/admin.h"
#include "app.h"
#include "common/jsonw.h"
#include "common/timeutil.h"
#include "oauth/client_auth.h"
#include "oauth/errors.h"
#include "oauth/oauth.h"
#include "oauth/refresh.h"
#include "oauth/token_check.h"
#include "oauth/token_request.h"

#include <string.h>

static const char inactive[] = "{\"active\":false}";

/* RFC 7662 §2.1: the endpoint requires authorization. Client credentials (Basic, or a
 * secret in the body) name an access of this account; otherwise a Bearer value is an admin
 * key. A failure is invalid_client (RFC 6749 §5.2), with the challenge of the scheme used. */
static bool caller_ok(struct app *app, const char *account, const struct http_request *req,
                      const struct token_request *tr, struct http_response *res)
{
    if (tr->basic || tr->client_secret) {
        struct cached_access *a = NULL;
        int64_t retry_after = 0;
        int rc = oauth_client_authenticate(app, account, tr, &a, &retry_after);
        if (rc == 0) {
            access_cache_put(app->accesses, a);
            return true;
        }
        oauth_client_auth_respond(res, rc, retry_after, tr->basic);
        return false;
    }
    const char *key = http_bearer(req);
    if (!key || !*key) {
        oauth_error_respond(res, OAUTH_INVALID_CLIENT,
                            "authenticate as an access of this account or with an admin key", true);
        return false;
    }
    int rc = admin_key_check(app, key, NULL);
    if (rc == 0)
        return true;
    if (rc != RC_ENOTFOUND) {
        oauth_store_error_respond(res, rc, "store failure");
        return false;
    }
    int64_t retry = admin_key_failed(app, req->route, req->remote_addr);
    if (retry) {
        oauth_throttled_respond(res, retry);
        return false;
    }
    oauth_error_respond(res, OAUTH_INVALID_CLIENT, "invalid admin key", false);
    http_response_header(res, "WWW-Authenticate", "Bearer realm=\"rcauth\"");
    return false;
}

/* §2.2: the claims under their registered names, plus account. A refresh token (no jti) is
 * no Bearer token and carries no times: it has no token_type, iat or exp. */
static void write_active(const struct token_claims *c, struct http_response *res)
{
    bool access_token = c->jti[0] != '\0';
    struct jsonw w;
    jsonw_init(&w, &res->body);
    jsonw_object_begin(&w);
    jsonw_kv_bool(&w, "active", true);
    jsonw_kv_string(&w, "scope", c->scope);
    jsonw_kv_string(&w, "client_id", c->client_id);
    jsonw_kv_string(&w, "account", c->account);
    if (c->exp)
        jsonw_kv_int(&w, "exp", c->exp);
    if (access_token)
        jsonw_kv_int(&w, "iat", c->iat);
    jsonw_kv_string(&w, "sub", c->client_id);
    jsonw_kv_string(&w, "iss", c->iss);
    if (access_token) {
        jsonw_kv_string(&w, "token_type", "Bearer");
        jsonw_kv_string(&w, "jti", c->jti);
    }
    jsonw_object_end(&w);
    if (jsonw_finish(&w))
        oauth_error_respond(res, OAUTH_SERVER_ERROR, NULL, false);
    else
        res->status = 200;
}

/* true when res holds the answer: the token is active, or it could not be judged. */
static bool answer_access_token(struct app *app, const char *account, const char *token,
                                struct http_response *res)
{
    struct token_check c;
    enum token_check_result r = oauth_token_check(app, token, time_now(), &c);
    bool active = r == TOKEN_CHECK_VALID && !strcmp(c.claims->account, account);
    if (active)
        write_active(c.claims, res);
    else if (r == TOKEN_CHECK_STORE_FAILED)
        token_check_respond(&c, r, res);
    token_check_cleanup(app, &c);
    return active || r == TOKEN_CHECK_STORE_FAILED;
}

/* Active while presenting it would work at the token endpoint: our MAC, its chain at this
 * generation and not revoked, its access live and of this account. Read-only: a spent token
 * shown here does not revoke its chain (only the token endpoint treats that as reuse). */
static bool answer_refresh_token(struct app *app, const char *account, const char *token,
                                 struct http_response *res)
{
    struct refresh_claims c = {0};
    struct cached_access *a = NULL;
    int64_t gen = 0;
    bool revoked = true;
    int rc = refresh_decode(&app->refresh_key, token, &c) ? RC_EINVAL : 0;
    if (!rc)
        rc = app->store->ops->refresh_get(app->store, c.chain_id, &gen, &revoked);
    if (!rc && !revoked && gen == c.generation)
        rc = access_cache_get(app->accesses, c.client_id, false, &a);
    bool active = !rc && a && !a->revoked_at && !strcmp(a->account_id, account);
    bool failed = rc && rc != RC_EINVAL && rc != RC_ENOTFOUND;
    if (failed)
        oauth_store_error_respond(res, rc, NULL);
    if (active) {
        struct token_claims tc = {.scope = c.scope};
        oauth_issuer(app, account, tc.iss, sizeof(tc.iss));
        memcpy(tc.client_id, c.client_id, sizeof(tc.client_id));
        memcpy(tc.account, a->account_id, sizeof(tc.account));
        write_active(&tc, res);
    }
    access_cache_put(app->accesses, a);
    refresh_claims_cleanup(&c);
    return active || failed;
}

void oauth_introspect_handler(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    const char *account = req->params[0];
    struct token_request tr;
    const char *why = NULL;
    if (token_request_parse_about_token(req, &tr, &why)) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST, why, false);
        return;
    }
    if (!caller_ok(app, account, req, &tr, res))
        goto out;
    if (!tr.token || !*tr.token) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST, "token is missing", false);
        goto out;
    }
    /* token_type_hint (§2.1) is not needed: the two kinds cannot be mistaken for each other. */
    if (!answer_access_token(app, account, tr.token, res) &&
        !answer_refresh_token(app, account, tr.token, res)) {
        res->status = 200;
        if (buf_append_str(&res->body, inactive))
            oauth_error_respond(res, OAUTH_SERVER_ERROR, NULL, false);
    }
out:
    token_request_cleanup(&tr);
}
