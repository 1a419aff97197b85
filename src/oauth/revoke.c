/* SPDX-License-Identifier: MIT */
/* POST /{account}/revoke (RFC 7009): an access revokes one of its own tokens. An access
 * token's jti goes into the store and into this process's denylist before the answer, so the
 * very next request here refuses it, and other processes within a second (they load new rows
 * when the store's revision moves). A refresh token revokes its chain. Whatever is not a live
 * token of the caller is answered the same 200 and left alone (§2.2): the answer tells nothing
 * about other clients' tokens. */
#include "app.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "oauth/client_auth.h"
#include "oauth/errors.h"
#include "oauth/oauth.h"
#include "oauth/refresh.h"
#include "oauth/revoked_tokens.h"
#include "oauth/token_request.h"
#include "token/token.h"

#include <string.h>

/* Never the token itself: the jti (or the refresh chain id) names it well enough. The store
 * appends it only when the revocation is new, so that one token revoked at once through
 * several instances is audited once. */
static void audit_revoked(const struct cached_access *caller, const char *name,
                          struct store_audit_event *out)
{
    app_audit_event(caller->account_id, caller->client_id, "token.revoked", name, out);
}

/* An access token signed by us, live, issued to the caller, not revoked yet: record it. An
 * expired one needs nothing. RC_ENOTFOUND when it is no such token. */
static int revoke_access_token(struct app *app, const struct cached_access *caller,
                               const char *token)
{
    struct token_claims c = {0};
    int64_t now = time_now();
    enum token_verdict v = token_verify(app->keys, token, strlen(token), now, &c);
    int rc = RC_ENOTFOUND;
    if (v != TOKEN_VALID)
        goto out;
    if (strcmp(c.client_id, caller->client_id) || strcmp(c.account, caller->account_id) ||
        revoked_tokens_has(app->revoked, c.jti))
        goto out;
    struct store_revoked_token row = {.exp = c.exp, .revoked_at = now};
    struct store_audit_event audit;
    memcpy(row.jti, c.jti, sizeof(row.jti));
    memcpy(row.client_id, c.client_id, sizeof(row.client_id));
    audit_revoked(caller, c.jti, &audit);
    rc = app->store->ops->revoked_token_record(app->store, &row, &audit);
    if (!rc)
        rc = revoked_tokens_add(app->revoked, c.jti, c.exp);
out:
    token_claims_cleanup(&c);
    return rc;
}

/* A refresh token of the caller's whose chain is not revoked yet: revoke the chain. Access
 * tokens it yielded carry no link to it and live on until they expire, are revoked one by
 * one, or their access is. RC_ENOTFOUND when it is no such token. */
static int revoke_refresh_token(struct app *app, const struct cached_access *caller,
                                const char *token)
{
    struct refresh_claims c = {0};
    struct store_audit_event audit;
    int64_t gen;
    bool revoked = true;
    int rc = refresh_decode(&app->refresh_key, token, &c);
    if (!rc && strcmp(c.client_id, caller->client_id))
        rc = RC_ENOTFOUND;
    if (!rc)
        rc = app->store->ops->refresh_get(app->store, c.chain_id, &gen, &revoked);
    if (!rc && revoked)
        rc = RC_ENOTFOUND;
    if (!rc) {
        audit_revoked(caller, c.chain_id, &audit);
        rc = app->store->ops->refresh_revoke(app->store, c.chain_id, c.client_id, time_now(),
                                             &audit);
    }
    refresh_claims_cleanup(&c);
    return rc == RC_EINVAL ? RC_ENOTFOUND : rc;
}

void oauth_revoke_handler(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    const char *account = req->params[0];
    struct cached_access *caller = NULL;
    struct token_request tr;
    const char *why = NULL;
    if (token_request_parse_about_token(req, &tr, &why)) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST, why, false);
        return;
    }
    int64_t retry_after = 0;
    int rc = oauth_client_authenticate(app, account, &tr, &caller, &retry_after);
    if (rc) {
        /* Always the Basic challenge: every 401 names a scheme (RFC 9110 §15.5.2), and an
         * access's credentials are what this endpoint takes, whatever was sent. */
        oauth_client_auth_respond(res, rc, retry_after, true);
        goto out;
    }
    if (!tr.token || !*tr.token) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST, "token is missing", false);
        goto out;
    }
    /* token_type_hint (§2.1) is not needed: the two kinds cannot be mistaken for each other. */
    rc = revoke_access_token(app, caller, tr.token);
    if (rc == RC_ENOTFOUND)
        rc = revoke_refresh_token(app, caller, tr.token);
    if (rc && rc != RC_ENOTFOUND) {
        log_msg(LOG_ERROR, "cannot record a token revocation", "error", rc_strerror(rc), NULL);
        oauth_store_error_respond(res, rc, "the revocation could not be recorded");
        goto out;
    }
    res->status = 200;
    if (buf_append_str(&res->body, "{}"))
        oauth_error_respond(res, OAUTH_SERVER_ERROR, NULL, false);
out:
    access_cache_put(app->accesses, caller);
    token_request_cleanup(&tr);
}
