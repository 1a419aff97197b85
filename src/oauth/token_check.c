/* SPDX-License-Identifier: MIT */
/* The one check of an access token shared by every endpoint that reads one. Revocation is
 * read from memory: the denylist of single revoked tokens and the access cache, both updated
 * at once by the revoking process and within a second by other processes (store revision). */
#include "oauth/token_check.h"
#include "oauth/errors.h"
#include "oauth/revoked_tokens.h"

#include <string.h>

enum token_check_result oauth_token_check(struct app *app, const char *token, int64_t now,
                                          struct token_check *out)
{
    memset(out, 0, sizeof(*out));
    switch (token_verify(app->keys, token, strlen(token), now, &out->claims)) {
    case TOKEN_VALID:
        break;
    case TOKEN_EXPIRED:
        return TOKEN_CHECK_EXPIRED;
    case TOKEN_BAD_SIGNATURE:
        return TOKEN_CHECK_BAD_SIGNATURE;
    default:
        return TOKEN_CHECK_MALFORMED;
    }
    if (revoked_tokens_has(app->revoked, out->claims.jti))
        return TOKEN_CHECK_REVOKED; /* RFC 7009: this one token */
    int rc = access_cache_get(app->accesses, out->claims.client_id, false, &out->access);
    if (rc && rc != RC_ENOTFOUND) {
        out->store_rc = rc;
        return TOKEN_CHECK_STORE_FAILED;
    }
    if (rc || out->access->revoked_at || strcmp(out->access->account_id, out->claims.account))
        return TOKEN_CHECK_REVOKED;
    if (scope_parse(out->claims.scope, &out->scope))
        return TOKEN_CHECK_MALFORMED;
    return TOKEN_CHECK_VALID;
}

void token_check_cleanup(struct app *app, struct token_check *c)
{
    scope_cleanup(&c->scope);
    access_cache_put(app->accesses, c->access);
    c->access = NULL;
    token_claims_cleanup(&c->claims);
}

const char *token_check_text(enum token_check_result r)
{
    switch (r) {
    case TOKEN_CHECK_VALID:
        return "the token is valid";
    case TOKEN_CHECK_EXPIRED:
        return "the token has expired";
    case TOKEN_CHECK_BAD_SIGNATURE:
        return "the token signature is not valid";
    case TOKEN_CHECK_REVOKED:
        return "the token has been revoked";
    case TOKEN_CHECK_STORE_FAILED:
        return "the token could not be checked";
    default:
        return "the token is malformed";
    }
}

void token_check_respond(const struct token_check *c, enum token_check_result r,
                         struct http_response *res)
{
    if (r == TOKEN_CHECK_STORE_FAILED)
        oauth_store_error_respond(res, c->store_rc, token_check_text(r));
    else
        oauth_error_respond(res, OAUTH_INVALID_TOKEN, token_check_text(r), false);
}
