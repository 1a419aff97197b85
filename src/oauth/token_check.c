/* SPDX-License-Identifier: MIT */
/* The one check of an access token shared by every endpoint that reads one. Revocation is
 * read from memory: the denylist of single revoked tokens and the access cache, both updated
 * at once by the revoking process and within a second by other processes (store revision).
 * A token seen before skips only its signature check and parsing (the verified-token cache);
 * the key, exp, the denylist and the access are checked on every request, in the same order
 * as for a token seen for the first time, so both give the same verdict. */
#include "oauth/token_check.h"
#include "oauth/errors.h"
#include "oauth/revoked_tokens.h"

#include <string.h>

/* The signature check and the parsing of a token not in the cache: a new, uncached entry. */
static enum token_check_result verify_fully(struct app *app, const char *token, size_t len,
                                            int64_t now, struct verified_token **out)
{
    struct token_claims claims;
    switch (token_verify(app->keys, token, len, now, &claims)) {
    case TOKEN_VALID:
        break;
    case TOKEN_EXPIRED:
        token_claims_cleanup(&claims);
        return TOKEN_CHECK_EXPIRED;
    case TOKEN_BAD_SIGNATURE:
        return TOKEN_CHECK_BAD_SIGNATURE;
    default:
        return TOKEN_CHECK_MALFORMED;
    }
    *out = token_cache_entry_new(app->tokens, token, len, &claims);
    return TOKEN_CHECK_VALID;
}

/* A cached token whose key is no longer published is verified again from scratch: the key
 * may have been retired or dropped (then the token is refused), and an unknown kid makes
 * the ring look at the store, as for any token. */
static struct verified_token *cached(struct app *app, const char *token, size_t len)
{
    struct verified_token *v = token_cache_get(app->tokens, token, len);
    if (v && !keyring_publishes(app->keys, v->claims.kid)) {
        token_cache_remove(app->tokens, v);
        token_cache_put(v);
        v = NULL;
    }
    return v;
}

enum token_check_result oauth_token_check(struct app *app, const char *token, int64_t now,
                                          struct token_check *out)
{
    size_t len = strlen(token);
    memset(out, 0, sizeof(*out));
    struct verified_token *v = cached(app, token, len);
    bool fresh = !v;
    if (fresh) {
        enum token_check_result r = verify_fully(app, token, len, now, &v);
        if (r != TOKEN_CHECK_VALID)
            return r;
    }
    out->token = v;
    out->claims = &v->claims;
    out->scope = &v->scope;
    /* RFC 7519 §4.1.4: not accepted on or after exp; no leeway */
    if (v->claims.exp != 0 && v->claims.exp <= now) {
        token_cache_remove(app->tokens, v); /* for good */
        return TOKEN_CHECK_EXPIRED;
    }
    if (revoked_tokens_has(app->revoked, v->claims.jti))
        return TOKEN_CHECK_REVOKED; /* RFC 7009: this one token */
    int rc = access_cache_get(app->accesses, v->claims.client_id, false, &out->access);
    if (rc && rc != RC_ENOTFOUND) {
        out->store_rc = rc;
        return TOKEN_CHECK_STORE_FAILED;
    }
    if (rc || out->access->revoked_at || strcmp(out->access->account_id, v->claims.account))
        return TOKEN_CHECK_REVOKED;
    if (fresh) {
        /* entries are immutable once shared: the scope is parsed before, and only a token
         * found good in every way is kept */
        if (scope_parse(v->claims.scope, &v->scope))
            return TOKEN_CHECK_MALFORMED;
        token_cache_add(app->tokens, v);
    }
    return TOKEN_CHECK_VALID;
}

void token_check_cleanup(struct app *app, struct token_check *c)
{
    access_cache_put(app->accesses, c->access);
    token_cache_put(c->token);
    memset(c, 0, sizeof(*c));
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
