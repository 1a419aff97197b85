/* SPDX-License-Identifier: MIT */
/* Private to src/token: a signing key in memory, the table of operations of each JWS
 * algorithm (curl vtls style: adding ES256 is one more table, nothing else changes), and
 * the read-side access to the key ring that jwt.c needs. */
#ifndef RCAUTH_TOKEN_KEYRING_INT_H
#define RCAUTH_TOKEN_KEYRING_INT_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/jsonw.h"
#include "store/store.h"
#include "token/token.h"

#define KEY_SIG_MAX 132     /* largest signature of any algorithm (ES512 would be 132) */
#define KEY_PRIVATE_MAX 128 /* largest plain private half; sealed adds nonce + MAC */

struct key;

/* One JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1). */
struct key_alg {
    const char *name; /* the JWS "alg" value, compared exactly (RFC 7515 §4.1.1) */
    /* A fresh key pair into k (k->alg already set): public half in k->pub, kid too. */
    int (*generate)(struct key *k);
    /* Rebuild k from its stored public half and its unsealed private half; RC_ECRYPTO when
     * they do not belong together. On failure k holds nothing to release. */
    int (*load)(struct key *k, const uint8_t *pub, size_t pub_len, const uint8_t *priv,
                size_t priv_len);
    /* The private half to seal; the caller wipes out. */
    int (*export_private)(const struct key *k, uint8_t *out, size_t cap, size_t *len);
    int (*sign)(const struct key *k, const uint8_t *msg, size_t len, uint8_t sig[KEY_SIG_MAX],
                size_t *sig_len);
    /* true only for a valid signature of exactly the algorithm's length. */
    bool (*verify)(const struct key *k, const uint8_t *msg, size_t len, const uint8_t *sig,
                   size_t sig_len);
    /* The key-type members of the public JWK (RFC 7517 §4), e.g. "kty","crv","x". */
    void (*jwk_members)(const struct key *k, struct jsonw *w);
    /* Release what the key holds outside the struct (an EVP_PKEY for ES256); may be NULL.
     * The struct itself is wiped by the caller. */
    void (*release)(struct key *k);
};

/* A signing key in memory. Immutable once published in the ring. */
struct key {
    const struct key_alg *alg;
    char kid[STORE_KID_SIZE];
    int64_t created_at;
    uint8_t pub[STORE_PUBKEY_MAX];
    size_t pub_len;
    union {
        uint8_t ed25519_sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key */
    } priv;
};

/* The algorithm named name (exact match), or NULL when rcauth cannot sign with it. */
const struct key_alg *keyring_alg_find(const char *name);

/* Readers: take the read lock, look keys up, use them, release. The keys found stay valid
 * until keyring_read_unlock(). Never nest. */
void keyring_read_lock(struct keyring *kr);
void keyring_read_unlock(struct keyring *kr);
/* The newest key of alg, or NULL. */
const struct key *keyring_signer(const struct keyring *kr, const struct key_alg *alg);
/* The key with that kid, or NULL. */
const struct key *keyring_find(const struct keyring *kr, const char *kid);

#endif
