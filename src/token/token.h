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
/* Encode and append to out; RC_ELIMIT past its cap (then out is unchanged). */
int base64url_append(struct buf *out, const void *in, size_t len) RC_MUST_CHECK;
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
    int64_t exp;              /* 0 = does not expire (no "exp" claim) */
    char kid[STORE_KID_SIZE]; /* not a claim: the header's kid, set by token_verify() to the
                               * key that verified the token; token_sign() ignores it */
};
void token_claims_cleanup(struct token_claims *c);

enum token_verdict {
    TOKEN_VALID = 0,
    TOKEN_MALFORMED,     /* not three base64url parts, bad JSON, missing claim, wrong typ */
    TOKEN_BAD_SIGNATURE, /* unknown, retired or dropped kid, header alg other than the key's,
                          * or the key's algorithm does not verify the signature */
    TOKEN_EXPIRED,       /* exp <= now */
};

struct keyring;
struct http_router;
struct jsonw;

/* Load the keys of the store that verify, unsealing private halves with server_key (32
 * bytes, copied). alg ("EdDSA" or "ES256"; NULL = "EdDSA") is what this process signs with
 * (--signing-alg): the default of token_sign() and keyring_rotate(), and the one whose
 * current key keyring_retire() refuses. Creates no key. RC_EINVAL for another alg. Caller
 * frees. */
int keyring_open(struct store *st, const uint8_t server_key[32], const char *alg,
                 struct keyring **out) RC_MUST_CHECK;
void keyring_free(struct keyring *kr);
/* This process issues tokens: when the store has no current key of the ring's algorithm,
 * create one, now and at every later keyring_refresh() (after an admin retired it); and keep
 * the reservation of that key (keyring_reserve_ahead) `reserve` seconds ahead of now, so
 * that tokens living up to `reserve` seconds cost no store write. */
int keyring_start_signing(struct keyring *kr, int64_t reserve) RC_MUST_CHECK;
/* The algorithm this process signs with ("EdDSA" or "ES256"). */
const char *keyring_alg(const struct keyring *kr);
/* Look at the store: reload when another process changed it, or when a key is due to stop
 * verifying by the lifetime rule (thread-safe; cheap when nothing is due). Call about once
 * a second: a rotation elsewhere is signing here within that time. */
int keyring_refresh(struct keyring *kr) RC_MUST_CHECK;
/* Keep the reservation of the current key this process signs with ahead: when the store's
 * max_exp of that key (as far as this process knows) is less than now + reserve, raise it
 * to now + 2 x reserve. Call about once a second; does nothing unless the ring signs. */
int keyring_reserve_ahead(struct keyring *kr) RC_MUST_CHECK;
/* Create a new key of alg ("EdDSA" or "ES256"; NULL = the ring's), store it, and make it
 * the current key of that algorithm; the previous one keeps verifying until none of its
 * tokens can be live. kid_out (STORE_KID_SIZE) may be NULL. RC_EINVAL for another alg. */
int keyring_rotate(struct keyring *kr, const char *alg, char *kid_out) RC_MUST_CHECK;
/* Retire key kid: it stops verifying and leaves the JWKS at once here, within a second on
 * other instances. *newly is false when it was already retired (nothing changes).
 * RC_ENOTFOUND for an unknown kid; RC_ECONFLICT when it is the current key of the ring's
 * algorithm (rotate first). */
int keyring_retire(struct keyring *kr, const char *kid, bool *newly) RC_MUST_CHECK;
/* Append the JWKS document {"keys":[…]} (RFC 7517 §5): the public halves of the keys that
 * verify, after a look at the store (rate-limited) so that a key another instance has just
 * made is in it. All or nothing (RC_ELIMIT past out's cap). */
int keyring_jwks(struct keyring *kr, struct buf *out) RC_MUST_CHECK;

/* One key of the store and its fate now, for listings. */
struct keyring_key_info {
    const struct store_signing_key *row; /* borrowed: kid, alg, public half, created_at,
                                          * retired_at; the sealed half is no one's business */
    int64_t rotated_at;                  /* a newer key of its algorithm was made; 0 = none */
    int64_t max_exp;          /* its reservation: every token it signed expires by then */
    bool signed_non_expiring; /* it may have signed a token without exp */
    bool current;             /* it signs its algorithm */
    bool published;           /* in the JWKS, verifying */
    int64_t drop_at;          /* when it stops verifying on its own; 0 = not on its own */
};
typedef int (*keyring_list_cb)(void *ctx, const struct keyring_key_info *info);
/* Every key of the store, oldest first, retired and dropped ones included; cb returns
 * non-zero to stop. */
int keyring_list(struct keyring *kr, keyring_list_cb cb, void *ctx) RC_MUST_CHECK;
/* The public JWK of a stored key as one object: key-type members, "kid", "alg", "use";
 * null for an algorithm rcauth does not know (a newer version's key). */
void keyring_write_jwk(const struct store_signing_key *row, struct jsonw *w);

/* Register GET /.well-known/jwks.json (jwks_endpoint.c). The handler takes the struct app,
 * whose keys must be open. */
void token_routes_register(struct http_router *rt);

/* Sign claims as a JWT with the current key of alg (NULL = the ring's): header
 * {"alg":…,"typ":"at+jwt","kid":…}. Appends the compact JWS to out. Thread-safe. Before a
 * token exists, the store holds a reservation of its key covering it (max_exp >= its exp,
 * or the key's non-expiring flag), so that the key outlives it even across a crash; when
 * the reservation does not cover it yet, it is written first (outside the read lock), and
 * its failure is returned: no token. RC_ENOTFOUND when alg has no current key. */
int token_sign(struct keyring *kr, const char *alg, const struct token_claims *c,
               struct buf *out) RC_MUST_CHECK;
/* Verify a compact JWS: the kid picks the key, the key's algorithm checks the signature,
 * then typ "at+jwt" and the claims are read, and exp is compared with now. A kid the ring
 * does not know makes it look at the store (rate-limited) and check again: another instance
 * may have just made that key.
 * On TOKEN_VALID and TOKEN_EXPIRED, out is filled (caller cleans it up); otherwise out is
 * left empty. Thread-safe. */
enum token_verdict token_verify(struct keyring *kr, const char *jwt, size_t len, int64_t now,
                                struct token_claims *out);
/* Whether the key kid is published now (verifies): false once retired or dropped by the
 * lifetime rule. Memory only (the read lock): no look at the store. Thread-safe. */
bool keyring_publishes(struct keyring *kr, const char *kid);

#endif
