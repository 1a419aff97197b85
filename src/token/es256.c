/* SPDX-License-Identifier: MIT */
/* ES256 (RFC 7518 §3.4): ECDSA on P-256 with SHA-256, through OpenSSL 3's EVP interface, for
 * verifiers that lack EdDSA. The public half is stored as the uncompressed point
 * 04 || X || Y, the private half as PKCS#8 DER (sealed by the key ring like any other). The
 * parsed EVP_PKEY is kept with the key and shared read-only by every thread, which
 * OpenSSL 3 allows; each signature or verification uses its own EVP_MD_CTX. OpenSSL speaks
 * DER ECDSA signatures, JWS the fixed-size R || S: both conversions are here, strict. */
#include "token/keyring_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#define COORD 32              /* bytes of a P-256 coordinate or scalar */
#define POINT (1 + 2 * COORD) /* 04 || X || Y (SEC 1 §2.3.3) */
#define GROUP "prime256v1"    /* OpenSSL's name of P-256 */

/* ---- DER <-> R || S ------------------------------------------------------------------- */

/* One DER INTEGER (X.690 §8.3) at *p: positive, minimally encoded, at most COORD bytes of
 * value, right-aligned into out. Short-form lengths only: nothing here reaches 128 bytes. */
static int der_uint(const uint8_t **p, const uint8_t *end, uint8_t out[COORD])
{
    const uint8_t *q = *p;
    if (end - q < 2 || q[0] != 0x02)
        return RC_EINVAL;
    size_t len = q[1];
    q += 2;
    if (len == 0 || len > COORD + 1 || (size_t)(end - q) < len)
        return RC_EINVAL;
    if (q[0] & 0x80)
        return RC_EINVAL; /* negative */
    if (len > 1 && q[0] == 0 && !(q[1] & 0x80))
        return RC_EINVAL; /* a leading zero that is not needed */
    if (q[0] == 0 && len > 1) {
        q++;
        len--;
    }
    if (len > COORD)
        return RC_EINVAL;
    memset(out, 0, COORD - len);
    memcpy(out + COORD - len, q, len);
    *p = q + len;
    return 0;
}

int token_ecdsa_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[ES256_SIG_LEN])
{
    const uint8_t *p = der + 2, *end = der + len;
    if (len < 2 || len > ES256_DER_MAX || der[0] != 0x30 || der[1] != len - 2)
        return RC_EINVAL;
    if (der_uint(&p, end, raw) || der_uint(&p, end, raw + COORD) || p != end)
        return RC_EINVAL;
    return 0;
}

/* v (COORD bytes, big-endian) as a minimal DER INTEGER at out; returns its length. */
static size_t der_put_uint(const uint8_t v[COORD], uint8_t *out)
{
    size_t skip = 0;
    while (skip < COORD - 1 && v[skip] == 0)
        skip++;
    size_t len = COORD - skip;
    bool pad = v[skip] & 0x80; /* keep it positive */
    out[0] = 0x02;
    out[1] = (uint8_t)(len + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, v + skip, len);
    return 2 + pad + len;
}

size_t token_ecdsa_raw_to_der(const uint8_t raw[ES256_SIG_LEN], uint8_t der[ES256_DER_MAX])
{
    size_t n = 2;
    n += der_put_uint(raw, der + n);
    n += der_put_uint(raw + COORD, der + n);
    der[0] = 0x30;
    der[1] = (uint8_t)(n - 2);
    return n;
}

/* ---- the EVP glue --------------------------------------------------------------------- */

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256; /* fetched once: a fetch by name at every signature costs a lookup */

static void sha256_fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *md_sha256(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256;
}

/* The uncompressed public point of a P-256 key; RC_ECRYPTO for another curve or type. */
static int public_point(EVP_PKEY *pk, uint8_t out[POINT])
{
    char group[32];
    size_t n = 0;
    if (!EVP_PKEY_is_a(pk, "EC") ||
        !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &n) ||
        strcmp(group, GROUP) != 0)
        return RC_ECRYPTO;
    if (!EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, out, POINT, &n) ||
        n != POINT || out[0] != 0x04)
        return RC_ECRYPTO;
    return 0;
}

static int es256_generate(struct key *k)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!pk || public_point(pk, k->pub) != 0) {
        EVP_PKEY_free(pk);
        return RC_ECRYPTO;
    }
    k->pub_len = POINT;
    k->priv.evp_pkey = pk;
    return 0;
}

/* The private scalar times the generator must be the public point: halves mixed up in the
 * store must not make us publish a key other than the one we sign with. Once, at load. */
static bool pair_matches(EVP_PKEY *pk)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    bool ok = c && EVP_PKEY_pairwise_check(c) == 1;
    EVP_PKEY_CTX_free(c);
    return ok;
}

static int es256_load(struct key *k, const uint8_t *pub, size_t pub_len, const uint8_t *priv,
                      size_t priv_len)
{
    EVP_PKEY *pk = NULL;
    uint8_t point[POINT];
    const unsigned char *p = priv;
    size_t left = priv_len;
    int rc = RC_ECRYPTO;
    OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(&pk, "DER", "PrivateKeyInfo", "EC",
                                                        EVP_PKEY_KEYPAIR, NULL, NULL);
    if (pub_len != POINT || !d || !OSSL_DECODER_from_data(d, &p, &left) || left != 0)
        goto out;
    if (public_point(pk, point) != 0 || CRYPTO_memcmp(point, pub, POINT) != 0 || !pair_matches(pk))
        goto out;
    memcpy(k->pub, pub, POINT);
    k->pub_len = POINT;
    k->priv.evp_pkey = pk;
    pk = NULL;
    rc = 0;
out:
    OSSL_DECODER_CTX_free(d);
    EVP_PKEY_free(pk);
    return rc;
}

static int es256_export_private(const struct key *k, uint8_t *out, size_t cap, size_t *len)
{
    unsigned char *p = out;
    size_t left = cap;
    int rc = RC_ECRYPTO;
    OSSL_ENCODER_CTX *e = OSSL_ENCODER_CTX_new_for_pkey(k->priv.evp_pkey, EVP_PKEY_KEYPAIR, "DER",
                                                        "PrivateKeyInfo", NULL);
    if (e && OSSL_ENCODER_CTX_get_num_encoders(e) > 0 && OSSL_ENCODER_to_data(e, &p, &left)) {
        *len = cap - left;
        rc = 0;
    }
    OSSL_ENCODER_CTX_free(e);
    return rc;
}

static int es256_sign(const struct key *k, const uint8_t *msg, size_t len, uint8_t sig[KEY_SIG_MAX],
                      size_t *sig_len)
{
    uint8_t der[ES256_DER_MAX];
    size_t der_len = sizeof(der);
    const EVP_MD *md = md_sha256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = RC_ECRYPTO;
    if (md && ctx && EVP_DigestSignInit(ctx, NULL, md, NULL, k->priv.evp_pkey) == 1 &&
        EVP_DigestSign(ctx, der, &der_len, msg, len) == 1 &&
        token_ecdsa_der_to_raw(der, der_len, sig) == 0) {
        *sig_len = ES256_SIG_LEN;
        rc = 0;
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

static bool es256_verify(const struct key *k, const uint8_t *msg, size_t len, const uint8_t *sig,
                         size_t sig_len)
{
    uint8_t der[ES256_DER_MAX];
    const EVP_MD *md = md_sha256();
    if (sig_len != ES256_SIG_LEN || !md)
        return false;
    size_t der_len = token_ecdsa_raw_to_der(sig, der);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, k->priv.evp_pkey) == 1 &&
              EVP_DigestVerify(ctx, der, der_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* RFC 7518 §6.2.1: kty "EC", crv "P-256", x and y as 32-byte base64url each. */
static int es256_jwk_members(const uint8_t *pub, size_t pub_len, struct jsonw *w)
{
    char x[64], y[64];
    if (pub_len != POINT || pub[0] != 0x04)
        return RC_EINVAL;
    base64url_encode(pub + 1, COORD, x);
    base64url_encode(pub + 1 + COORD, COORD, y);
    jsonw_kv_string(w, "crv", "P-256");
    jsonw_kv_string(w, "kty", "EC");
    jsonw_kv_string(w, "x", x);
    jsonw_kv_string(w, "y", y);
    return 0;
}

static void es256_release(struct key *k)
{
    EVP_PKEY_free(k->priv.evp_pkey); /* clears the private scalar */
    k->priv.evp_pkey = NULL;
}

const struct key_alg key_alg_es256 = {
    .name = "ES256", /* RFC 7518 §3.1 */
    .generate = es256_generate,
    .load = es256_load,
    .export_private = es256_export_private,
    .sign = es256_sign,
    .verify = es256_verify,
    .jwk_members = es256_jwk_members,
    .release = es256_release,
};
