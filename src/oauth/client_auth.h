/* SPDX-License-Identifier: MIT */
/* Client authentication at an account's endpoints — token, introspection, revocation —
 * with one set of rules (RFC 6749 §2.3.1, SPEC §2): unknown client, wrong secret, revoked
 * access and access of another account fail alike, in body and in time. */
#ifndef RCAUTH_CLIENT_AUTH_H
#define RCAUTH_CLIENT_AUTH_H

#include "app.h"
#include "oauth/access_cache.h"

/* Authenticate client_id/secret (either may be NULL) as a live access of account. On
 * success *out is a cache reference (release with access_cache_put()); otherwise RC_EINVAL,
 * and the failure is noted for the audit trail, or the store's error (RC_EUNAVAIL…) when the
 * access could not be read: no verdict, nothing noted. */
int oauth_client_authenticate(struct app *app, const char *account, const char *client_id,
                              const char *secret, struct cached_access **out) RC_MUST_CHECK;

#endif
