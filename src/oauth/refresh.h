/* SPDX-License-Identifier: MIT */
/* Refresh tokens. A refresh token is self-contained and MACed with a key derived from the
 * server key: "rt1.<base64url(payload)>.<base64url(HMAC-SHA-256)>", payload
 * {"c":client id,"h":chain id,"g":generation,"s":scope,"e":lifetime}. Issuing one writes
 * nothing; only redeeming it moves its chain forward in the store (single use, RFC 6819
 * §5.2.2.3 rotation), where reuse of a spent generation revokes the whole chain. */
#ifndef RCAUTH_REFRESH_H
#define RCAUTH_REFRESH_H

#include <sodium.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rc.h"
#include "store/store.h"

struct refresh_claims {
    char client_id[STORE_CLIENT_ID_SIZE];
    char chain_id[33]; /* 128 random bits, hex */
    int64_t generation;
    char *scope;      /* owned */
    int64_t lifetime; /* expires_in of the access tokens it yields; 0 = no expiry */
};

/* The MAC key of refresh tokens, derived from the server key (domain separation: it is not
 * the key that hashes client secrets), as an HMAC state past the key: made once, at start,
 * and copied for each token. Wipe it with sodium_memzero. */
void refresh_key_init(crypto_auth_hmacsha256_state *key, const uint8_t server_key[32]);

void refresh_claims_cleanup(struct refresh_claims *c);
/* Start a new chain at generation 0 for client_id. scope is copied. */
void refresh_claims_init(struct refresh_claims *c, const char *client_id, const char *scope,
                         int64_t lifetime);
/* Append the encoded token, MACed with key (refresh_key_init), to out. */
int refresh_encode(const crypto_auth_hmacsha256_state *key, const struct refresh_claims *c,
                   struct buf *out) RC_MUST_CHECK;
/* Check the MAC and read the claims; RC_EINVAL for anything that is not a refresh token we
 * issued. out is filled only on success. */
int refresh_decode(const crypto_auth_hmacsha256_state *key, const char *token,
                   struct refresh_claims *out) RC_MUST_CHECK;

#endif
