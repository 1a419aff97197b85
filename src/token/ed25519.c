/* SPDX-License-Identifier: MIT */
/* EdDSA with Ed25519 (RFC 8037) through libsodium: the key ring's default algorithm. The
 * private half sealed in the store is libsodium's 64-byte secret key (seed || public key). */
#include "token/keyring_int.h"

#include <string.h>

static int ed25519_generate(struct key *k)
{
    if (crypto_sign_keypair(k->pub, k->priv.ed25519_sk) != 0)
        return RC_ECRYPTO;
    k->pub_len = crypto_sign_PUBLICKEYBYTES;
    return 0;
}

/* Rebuilding the key pair from the seed proves that both halves belong together. */
static int ed25519_load(struct key *k, const uint8_t *pub, size_t pub_len, const uint8_t *priv,
                        size_t priv_len)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    int rc = RC_ECRYPTO;
    if (pub_len != crypto_sign_PUBLICKEYBYTES || priv_len != crypto_sign_SECRETKEYBYTES)
        goto out;
    /* the seed is the first half of libsodium's secret key */
    if (crypto_sign_seed_keypair(pk, k->priv.ed25519_sk, priv) != 0)
        goto out;
    if (sodium_memcmp(pk, pub, sizeof(pk)) != 0 ||
        sodium_memcmp(k->priv.ed25519_sk, priv, priv_len) != 0)
        goto out;
    memcpy(k->pub, pub, pub_len);
    k->pub_len = pub_len;
    rc = 0;
out:
    if (rc)
        sodium_memzero(k->priv.ed25519_sk, sizeof(k->priv.ed25519_sk));
    return rc;
}

static int ed25519_export_private(const struct key *k, uint8_t *out, size_t cap, size_t *len)
{
    if (cap < crypto_sign_SECRETKEYBYTES)
        return RC_ELIMIT;
    memcpy(out, k->priv.ed25519_sk, crypto_sign_SECRETKEYBYTES);
    *len = crypto_sign_SECRETKEYBYTES;
    return 0;
}

static int ed25519_sign(const struct key *k, const uint8_t *msg, size_t len,
                        uint8_t sig[KEY_SIG_MAX], size_t *sig_len)
{
    unsigned long long n = 0;
    if (crypto_sign_detached(sig, &n, msg, len, k->priv.ed25519_sk) != 0)
        return RC_ECRYPTO;
    *sig_len = (size_t)n;
    return 0;
}

static bool ed25519_verify(const struct key *k, const uint8_t *msg, size_t len, const uint8_t *sig,
                           size_t sig_len)
{
    return sig_len == crypto_sign_BYTES && crypto_sign_verify_detached(sig, msg, len, k->pub) == 0;
}

/* RFC 8037 §2: an OKP key with crv "Ed25519" and the public key in x. */
static int ed25519_jwk_members(const uint8_t *pub, size_t pub_len, struct jsonw *w)
{
    char x[64];
    if (pub_len != crypto_sign_PUBLICKEYBYTES)
        return RC_EINVAL;
    base64url_encode(pub, pub_len, x);
    jsonw_kv_string(w, "crv", "Ed25519");
    jsonw_kv_string(w, "kty", "OKP");
    jsonw_kv_string(w, "x", x);
    return 0;
}

const struct key_alg key_alg_eddsa = {
    .name = "EdDSA", /* RFC 8037 §3.1 */
    .generate = ed25519_generate,
    .load = ed25519_load,
    .export_private = ed25519_export_private,
    .sign = ed25519_sign,
    .verify = ed25519_verify,
    .jwk_members = ed25519_jwk_members,
    .release = NULL,
};
