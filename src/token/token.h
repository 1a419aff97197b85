/* SPDX-License-Identifier: MIT */
/* Access tokens: JWTs (RFC 9068 profile) signed with our own small JWS code, and the key
 * ring that holds the signing keys (RFC 7515/7517/8037). The key, never the header's
 * "alg", decides how a signature is checked. */
#ifndef RCAUTH_TOKEN_H
#define RCAUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rc.h"
#include "store/store.h"

/* base64url without padding (RFC 4648 §5). */
size_t base64url_encoded_len(size_t len);
/* Encode into out (base64url_encoded_len(len) + 1 bytes); NUL-terminates. */
void base64url_encode(const uint8_t *in, size_t len, char *out);
/* Decode; RC_EINVAL on a char outside the alphabet, padding, or an impossible length;
 * RC_ELIMIT when out_cap is too small. *out_len receives the byte count. */
int base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_cap,
                     size_t *out_len) RC_MUST_CHECK;

/* The claims rcauth puts in an access token. */
struct token_claims {
    char iss[512];
    char client_id[STORE_CLIENT_ID_SIZE]; /* also "sub" */
    char account[STORE_ID_SIZE];
    char *scope; /* owned: "campaign.read env:*" */
    char jti[40];
    int64_t iat;
    int64_t exp; /* 0 = does not expire (no "exp" claim) */
};
void token_claims_cleanup(struct token_claims *c);

enum token_verdict {
    TOKEN_VALID = 0,
    TOKEN_MALFORMED,     /* not three base64url parts, bad JSON, missing claim, wrong typ */
    TOKEN_BAD_SIGNATURE, /* unknown kid, or the key's algorithm does not verify it */
    TOKEN_EXPIRED,       /* exp <= now */
};

struct keyring;

/* Load the keys from the store, unsealing private halves with server_key (32 bytes,
 * copied). When the store has no key yet, create an EdDSA one. Caller frees. */
int keyring_open(struct store *st, const uint8_t server_key[32],
                 struct keyring **out) RC_MUST_CHECK;
void keyring_free(struct keyring *kr);
/* Reload from the store if another process added keys (thread-safe; cheap when nothing
 * changed). */
int keyring_refresh(struct keyring *kr) RC_MUST_CHECK;
/* Create a new key of alg ("EdDSA" or "ES256"), store it, and make it the signing key
 * of that algorithm. kid_out (STORE_KID_SIZE) may be NULL. */
int keyring_rotate(struct keyring *kr, const char *alg, char *kid_out) RC_MUST_CHECK;
/* Append the JWKS document {"keys":[…]} (public halves only). */
int keyring_jwks(struct keyring *kr, struct buf *out) RC_MUST_CHECK;

/* Sign claims as a JWT with the newest key of alg (NULL = "EdDSA"): header
 * {"alg":…,"typ":"at+jwt","kid":…}. Appends the compact JWS to out. Thread-safe. */
int token_sign(struct keyring *kr, const char *alg, const struct token_claims *c,
               struct buf *out) RC_MUST_CHECK;
/* Verify a compact JWS: the kid picks the key, the key's algorithm checks the signature,
 * then typ "at+jwt" and the claims are read, and exp is compared with now.
 * On TOKEN_VALID and TOKEN_EXPIRED, out is filled (caller cleans it up); otherwise out is
 * left empty. Thread-safe. */
enum token_verdict token_verify(struct keyring *kr, const char *jwt, size_t len, int64_t now,
                                struct token_claims *out);

#endif
