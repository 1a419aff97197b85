/* SPDX-License-Identifier: MIT */
/* Client authentication at an account's endpoints — token, introspection, revocation —
 * with one set of rules (RFC 6749 §2.3.1, SPEC §2): unknown client, wrong secret, revoked
 * access and access of another account fail alike, in body and in time. */
#ifndef RCAUTH_CLIENT_AUTH_H
#define RCAUTH_CLIENT_AUTH_H

#include "app.h"
#include "oauth/access_cache.h"
#include "oauth/token_request.h"

/* Authenticate the client credentials of tr (client_id, client_secret; either may be NULL)
 * as a live access of account. On success *out is a cache reference (release with
 * access_cache_put()). A failure is noted for the audit trail and counted by the throttle
 * (per client id and per tr->remote_addr): RC_EINVAL, or RC_ELIMIT with *retry_after set
 * once one of them is over its limit. The store's error (RC_EUNAVAIL…) when the access could
 * not be read: no verdict, nothing noted. Success is never throttled. */
int oauth_client_authenticate(struct app *app, const char *account, const struct token_request *tr,
                              struct cached_access **out, int64_t *retry_after) RC_MUST_CHECK;

/* Answer a failed oauth_client_authenticate(): 401 invalid_client (with the Basic challenge
 * when basic), 429 temporarily_unavailable with Retry-After, or the store's error. */
void oauth_client_auth_respond(struct http_response *res, int rc, int64_t retry_after, bool basic);

#endif
