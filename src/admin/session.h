/* SPDX-License-Identifier: MIT */
/* The panel's sessions (docs/panel.md): a stateless cookie sealed with a key derived from
 * the server key, so that every instance sharing the server key reads it without a table.
 * It carries the session's random id, the keyed hash of the admin key that signed in (the
 * same hash the store looks admin keys up by, so a revoked key ends its sessions), when it
 * was issued and when it was last seen. The CSRF token is an HMAC of the session id.
 * Sign-out puts the session id on the denylist of revoked tokens (oauth/revoked_tokens.h).
 * Pure functions over bytes and strings; the HTTP side is in auth.c and panel_session.c. */
#ifndef RCAUTH_ADMIN_SESSION_H
#define RCAUTH_ADMIN_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rc.h"

#define ADMIN_SESSION_COOKIE "rcauth_session"
#define ADMIN_SESSION_ID_BYTES 16
/* The sealed cookie value: base64url of nonce (24) + MAC (16) + payload (65), + NUL. */
#define ADMIN_SESSION_VALUE_SIZE 144
/* The session's name on the denylist: "session:" + 22 base64url chars + NUL. */
#define ADMIN_SESSION_NAME_SIZE 31
/* The CSRF token: base64url of an HMAC-SHA-256 (43 chars) + NUL. */
#define ADMIN_CSRF_SIZE 44

struct admin_session {
    uint8_t id[ADMIN_SESSION_ID_BYTES];
    uint8_t key_hash[32]; /* HMAC-SHA-256(server key, admin key), as in store_admin_key */
    int64_t issued_at;
    int64_t seen_at; /* the last request that renewed the cookie */
};

/* A new session for the admin key whose keyed hash is key_hash, issued now. */
void admin_session_new(const uint8_t key_hash[32], int64_t now, struct admin_session *out);
/* Seal s into a cookie value (encrypted and authenticated: the client can neither read nor
 * change it). */
void admin_session_seal(const uint8_t server_key[32], const struct admin_session *s,
                        char out[ADMIN_SESSION_VALUE_SIZE]);
/* Open a cookie value sealed by admin_session_seal() under the same server key.
 * RC_EINVAL for anything else (wrong length or alphabet, forged, other server key). */
int admin_session_open(const uint8_t server_key[32], const char *value, size_t len,
                       struct admin_session *out) RC_MUST_CHECK;
/* Find a live session among the Cookie header's values named ADMIN_SESSION_COOKIE (the
 * first one that opens: a look-alike cookie set for a parent domain or a longer path can
 * come first). RC_ENOTFOUND when none opens. Time rules are not checked here. */
int admin_session_from_cookies(const uint8_t server_key[32], const char *cookie_header,
                               struct admin_session *out) RC_MUST_CHECK;
/* true while s may be used at now: before issued_at + lifetime (absolute) and before
 * seen_at + idle (idle), both in seconds. */
bool admin_session_is_live(const struct admin_session *s, int64_t now, int64_t idle,
                           int64_t lifetime);
/* The session's name on the denylist ("session:" + base64url id). */
void admin_session_name(const struct admin_session *s, char out[ADMIN_SESSION_NAME_SIZE]);
/* The CSRF token of the session: base64url(HMAC-SHA-256(key derived from the server key,
 * session id)). */
void admin_session_csrf(const uint8_t server_key[32], const struct admin_session *s,
                        char out[ADMIN_CSRF_SIZE]);
/* true when token (may be NULL) is the session's CSRF token; compared in constant time. */
bool admin_session_csrf_ok(const uint8_t server_key[32], const struct admin_session *s,
                           const char *token);

/* Whether an Origin header value (NULL when absent: allowed) names this server: the origin
 * (scheme://host[:port]) of public_url, or <scheme>://<host> with host the request's Host
 * header and scheme "https" when tls or public_url is https, else "http". "null" and every
 * other origin are refused. */
bool admin_origin_is_ours(const char *origin, const char *public_url, const char *host, bool tls);

#endif
