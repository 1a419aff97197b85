/* SPDX-License-Identifier: MIT */
/* Private to src/token: a signing key in memory, the table of operations of each JWS
 * algorithm (curl vtls style: ed25519.c and es256.c each define one), the lifetime rule of
 * keys (lifetime.c), and the read-side access to the key ring that jwt.c needs. */
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
#define KEY_PRIVATE_MAX 200 /* largest plain private half (P-256 PKCS#8 DER: 138 bytes) */
#define KEY_COORD_MAX 66    /* largest coordinate of a public JWK (P-521) */
#define KEY_HEADER_MAX 512  /* its JWS header, base64url: a kid escaped at worst, and more */

struct key;

/* One JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1). */
struct key_alg {
    const char *name; /* the JWS "alg" value, compared exactly (RFC 7515 §4.1.1) */
    /* A fresh key pair into k (k->alg already set): public half in k->pub. */
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
    /* The key-type members of the public JWK (RFC 7517 §4) of a stored public half, in
     * lexicographic order of their names ("crv","kty","x"[,"y"]): that object is exactly
     * what the RFC 7638 thumbprint hashes. RC_EINVAL when pub has the wrong shape. */
    int (*jwk_members)(const uint8_t *pub, size_t pub_len, struct jsonw *w);
    /* Release what the key holds outside the struct (an EVP_PKEY for ES256); may be NULL.
     * The struct itself is wiped by the caller. */
    void (*release)(struct key *k);
};

extern const struct key_alg key_alg_eddsa; /* ed25519.c */
extern const struct key_alg key_alg_es256; /* es256.c */

/* A signing key in memory. Immutable once published in the ring, except its reservation. */
struct key {
    const struct key_alg *alg;
    char kid[STORE_KID_SIZE];
    int64_t created_at;
    uint8_t pub[STORE_PUBKEY_MAX];
    size_t pub_len;
    union {
        uint8_t ed25519_sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key */
        void *evp_pkey;                                 /* ES256: EVP_PKEY * */
    } priv;
    /* The key's reservation in the store as far as this process knows: loaded with the key,
     * raised only after the store accepted a higher one, so never ahead of the store. Read
     * by token_sign under the read lock with atomics (keyring_is_reserved); raised under
     * load_mutex. */
    int64_t reserved_max_exp;
    int reserved_non_expiring;
    /* BASE64URL of the JWS header of the tokens it signs (token_header_encode), the same for
     * all of them: made once. */
    char header[KEY_HEADER_MAX];
};

/* Fill k->header from k->alg and k->kid (jwt.c). RC_ELIMIT when it does not fit. */
int token_header_encode(struct key *k) RC_MUST_CHECK;

/* The algorithm named name (exact match), or NULL when rcauth cannot sign with it. */
const struct key_alg *keyring_alg_find(const char *name);
/* RFC 7638 thumbprint of a stored public half, base64url, into kid (STORE_KID_SIZE). */
int keyring_thumbprint(const struct key_alg *alg, const uint8_t *pub, size_t pub_len,
                       char kid[STORE_KID_SIZE]) RC_MUST_CHECK;

/* Readers: take the read lock, look keys up, use them, release. The keys found stay valid
 * until keyring_read_unlock(). Never nest. */
void keyring_read_lock(struct keyring *kr);
void keyring_read_unlock(struct keyring *kr);
/* The key that signs alg, or NULL. */
const struct key *keyring_signer(const struct keyring *kr, const struct key_alg *alg);
/* The published key with that kid, or NULL. */
const struct key *keyring_find(const struct keyring *kr, const char *kid);
/* The algorithm this process signs with (keyring_open's alg). */
const struct key_alg *keyring_sign_alg(const struct keyring *kr);

/* ---- reservations and freshness (keyring.c) ------------------------------------------- */

/* Whether the store holds a reservation of k covering a token with exp (0 = no exp):
 * max_exp >= exp, or the non-expiring flag. Lock-free; under the read lock that found k. */
bool keyring_is_reserved(const struct key *k, int64_t exp);
/* token_sign's slow path, when the key it found was not reserved for exp: take the loader
 * lock (no key set is swapped while it is held), make sure that the current key of alg is
 * reserved for exp — checking again, another thread may have done it — by writing
 * max_exp = exp + the ring's reserve (or the non-expiring flag) to the store when not, and
 * give that key. On success the caller signs with *k, then calls keyring_reserve_unlock();
 * on failure nothing is held: RC_ENOTFOUND when alg has no current key, or the store's
 * error. */
int keyring_reserve_lock(struct keyring *kr, const struct key_alg *alg, int64_t exp,
                         const struct key **k) RC_MUST_CHECK;
void keyring_reserve_unlock(struct keyring *kr);

/* Looks at the store forced by requests (a token's unknown kid, the JWKS) are rate-limited
 * per ring and per cause: at most this many at once, then one per interval, so that tokens
 * with made-up kids cannot turn into a flood of store reads. */
#define KEYRING_CATCH_UP_BURST 4
#define KEYRING_CATCH_UP_US (100 * 1000)

/* A token names a kid that the ring did not know when it looked it up, at monotonic time
 * seen_us (time_mono_us, taken before the lookup). Another instance may have just made that
 * key: unless a look at the store begun after seen_us already did it, look now (when the
 * rate limit allows; a look in flight is waited for, not repeated), reloading if the store's
 * revision moved. Returns true when the lookup is worth one more try. Thread-safe; never
 * under the read lock. */
bool keyring_catch_up(struct keyring *kr, int64_t seen_us);

/* ---- the lifetime rule (lifetime.c) --------------------------------------------------- */

/* After a newer key of its algorithm exists and its reservation has run out, a key stays
 * this long: other instances pick a rotation up within 5 s (SPEC §4), and until then may
 * still raise the reservation before signing with the old key; a key due to go is judged
 * again on the store's reservation, which by then no one raises any more. */
#define KEY_GRACE_SECONDS 10

/* What the rule needs of one key, and what it decides. */
struct key_fate {
    /* in */
    const char *alg;
    int64_t created_at;
    int64_t retired_at;
    int64_t max_exp;   /* the reservation: no token of the key expires later */
    bool non_expiring; /* it may have signed a token without exp */
    /* out */
    int64_t rotated_at; /* created_at of the next key of its algorithm; 0 = none */
    int64_t drop_at;    /* when it stops being published; 0 = not on its own */
    bool current;       /* signs its algorithm */
    bool published;     /* in the JWKS and verifying */
};

/* Decide the fate of n keys listed oldest first (the store's order) at time now:
 *  - the last key of each algorithm is its current one (it signs), unless retired — then
 *    that algorithm has no current key until a new one is made;
 *  - a retired key is never published;
 *  - an earlier key was superseded (rotated) when the next key of its algorithm was made;
 *    it stays published until drop_at = max(rotated_at, max_exp) + KEY_GRACE_SECONDS, or
 *    until retired when it signed a token that does not expire. */
void keyring_judge(struct key_fate *f, size_t n, int64_t now);

/* ---- ES256 signatures (es256.c) ------------------------------------------------------- */

#define ES256_SIG_LEN 64 /* RFC 7518 §3.4: R || S, 32 bytes each */
#define ES256_DER_MAX 72 /* SEQUENCE of two INTEGERs of up to 33 bytes */

/* A DER ECDSA-Sig-Value (RFC 3279 §2.2.3), as OpenSSL writes it, into the JWS form R || S.
 * Strict DER: RC_EINVAL for anything else, or a value that does not fit 32 bytes. */
int token_ecdsa_der_to_raw(const uint8_t *der, size_t len,
                           uint8_t raw[ES256_SIG_LEN]) RC_MUST_CHECK;
/* R || S into DER (minimal INTEGERs); returns the length written to der. */
size_t token_ecdsa_raw_to_der(const uint8_t raw[ES256_SIG_LEN], uint8_t der[ES256_DER_MAX]);

#endif
