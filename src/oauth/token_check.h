/* SPDX-License-Identifier: MIT */
/* Is this access token good now? One answer for every endpoint that reads a token —
 * GET /token, introspection, /authorize — so that none of them can be more lenient than
 * another: the signature (by the key its kid names), expiry, the token not revoked on its
 * own (RFC 7009), the access still existing, not revoked and of the token's account, and the
 * scope readable. */
#ifndef RCAUTH_TOKEN_CHECK_H
#define RCAUTH_TOKEN_CHECK_H

#include <stdint.h>

#include "app.h"
#include "http/http.h"
#include "oauth/access_cache.h"
#include "oauth/scope.h"
#include "oauth/token_cache.h"
#include "token/token.h"

enum token_check_result {
    TOKEN_CHECK_VALID = 0,
    TOKEN_CHECK_MALFORMED,
    TOKEN_CHECK_BAD_SIGNATURE,
    TOKEN_CHECK_EXPIRED,
    TOKEN_CHECK_REVOKED,      /* the token or its access is revoked, the access gone or of another
                               * account */
    TOKEN_CHECK_STORE_FAILED, /* the access is not in memory and the store failed to say:
                               * no verdict (store_rc says why) */
};

/* What a valid token says. Filled only on TOKEN_CHECK_VALID; always release it with
 * token_check_cleanup(). */
struct token_check {
    const struct token_claims *claims; /* into token */
    const struct granted_scope *scope; /* into token */
    struct verified_token *token;      /* a counted reference (oauth/token_cache.h) */
    struct cached_access *access;      /* a counted cache reference */
    int store_rc; /* TOKEN_CHECK_STORE_FAILED: the store's error (RC_EUNAVAIL when down) */
};

/* Check token (NUL-terminated) at time now. A token verified before is found in
 * app->tokens and its signature is not checked again; everything else is, every time. */
enum token_check_result oauth_token_check(struct app *app, const char *token, int64_t now,
                                          struct token_check *out);
void token_check_cleanup(struct app *app, struct token_check *c);
/* A short sentence for error_description; never the token. */
const char *token_check_text(enum token_check_result r);
/* Answer a check that is not TOKEN_CHECK_VALID: 401 invalid_token, or for
 * TOKEN_CHECK_STORE_FAILED 503 (database unreachable) or 500. */
void token_check_respond(const struct token_check *c, enum token_check_result r,
                         struct http_response *res);

#endif
