/* SPDX-License-Identifier: MIT */
/* Unit tests of the signing keys of src/token beyond EdDSA basics: ES256 (RFC 7518 §3.4)
 * signatures and their DER <-> R || S conversion, checked against OpenSSL's own encoder;
 * algorithm confusion between EdDSA and ES256 keys; retirement; the lifetime rule, as a pure
 * function and through the ring (keys dropped once their reservation has run out, kept
 * while they may have signed a token without exp); the reservations written ahead of the
 * tokens, and a failure to write one; the SQLite operations and migration behind them; the
 * cost of ES256 per operation. Both algorithms under threads are in test_token.c. */
#include "token_fixture.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <sqlite3.h>

#include "common/embedded.h"
#include "common/log.h"
#include "common/timeutil.h"

static int setup_es256(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->st = fake_new();
    if (ring_open(&f->st->base, "ES256", &f->kr) != 0)
        return -1;
    *state = f;
    return 0;
}

/* The JWKS of kr, parsed. */
static json_t *jwks_of(struct keyring *kr)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(keyring_jwks(kr, &b), 0);
    json_t *doc = json_loads(buf_str(&b), JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(doc);
    buf_cleanup(&b);
    return doc;
}

/* The JWK of kid in the JWKS of kr, or NULL (a new reference). */
static json_t *jwk_of(struct keyring *kr, const char *kid)
{
    json_t *doc = jwks_of(kr), *k, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(doc, "keys"), i, k)
    {
        if (strcmp(json_string_value(json_object_get(k, "kid")), kid) == 0)
            found = json_incref(k);
    }
    json_decref(doc);
    return found;
}

static bool in_jwks(struct keyring *kr, const char *kid)
{
    json_t *k = jwk_of(kr, kid);
    json_decref(k);
    return k != NULL;
}

static size_t decoded_len(const char *s)
{
    uint8_t out[256];
    size_t n = 0;
    assert_int_equal(base64url_decode(s, strlen(s), out, sizeof(out), &n), 0);
    return n;
}

/* ---- ES256 ------------------------------------------------------------------------------- */

static void test_es256_roundtrip(void **state)
{
    struct fx *f = *state;
    struct token_claims out;
    char *t = sign_new(f->kr, NOW + 3600);
    char *kid = kid_of(t);
    char *h = part(t, 0);
    char expect[256];
    snprintf(expect, sizeof(expect), "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", kid);
    assert_string_equal(h, expect);
    assert_int_equal(decoded_len(strrchr(t, '.') + 1), 64); /* raw R || S, not DER */
    assert_int_equal(token_verify(f->kr, t, strlen(t), NOW, &out), TOKEN_VALID);
    assert_string_equal(out.account, "acme");
    assert_int_equal(out.exp, NOW + 3600);
    token_claims_cleanup(&out);

    /* ECDSA signs with a fresh nonce: another signature of the same claims, also valid */
    char *t2 = sign_new(f->kr, NOW + 3600);
    assert_string_not_equal(t, t2);
    assert_int_equal(verify(f->kr, t2), TOKEN_VALID);

    /* any change to the signature fails */
    size_t dot2 = (size_t)(strrchr(t, '.') - t);
    for (size_t i = dot2 + 1; i < strlen(t); i += 7) {
        char *u = strdup(t);
        u[i] = u[i] == 'A' ? 'B' : 'A';
        assert_int_not_equal(verify(f->kr, u), TOKEN_VALID);
        free(u);
    }

    /* the stored key: the uncompressed point, PKCS#8 DER sealed, RFC 7638 kid */
    const struct store_signing_key *row = &f->st->keys[0];
    assert_int_equal(f->st->n, 1);
    assert_string_equal(row->alg, "ES256");
    assert_string_equal(row->kid, kid);
    assert_int_equal(row->public_len, 65);
    assert_int_equal(row->public_key[0], 0x04);
    uint8_t plain[256];
    size_t plain_len = row->sealed_len - 40;
    assert_int_equal(crypto_secretbox_open_easy(plain, row->sealed_private + 24,
                                                row->sealed_len - 24, row->sealed_private,
                                                server_key),
                     0);
    assert_int_equal(plain[0], 0x30); /* a DER SEQUENCE: PrivateKeyInfo */
    assert_true(plain_len > 100 && plain_len <= KEY_PRIVATE_MAX);
    sodium_memzero(plain, sizeof(plain));
    char *x = b64(row->public_key + 1, 32), *y = b64(row->public_key + 33, 32);
    char json[256];
    int n = snprintf(json, sizeof(json),
                     "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
    uint8_t hash[32];
    crypto_hash_sha256(hash, (const uint8_t *)json, (size_t)n);
    char *thumb = b64(hash, 32);
    assert_string_equal(kid, thumb);

    /* the JWK: kty, crv, x, y, kid, alg, use — no private member */
    json_t *jwk = jwk_of(f->kr, kid);
    assert_non_null(jwk);
    assert_int_equal(json_object_size(jwk), 7);
    assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
    assert_string_equal(json_string_value(json_object_get(jwk, "x")), x);
    assert_string_equal(json_string_value(json_object_get(jwk, "y")), y);
    assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "ES256");
    assert_string_equal(json_string_value(json_object_get(jwk, "use")), "sig");
    assert_null(json_object_get(jwk, "d"));
    json_decref(jwk);

    /* a restart: the key is unsealed and parsed again, verifies and signs */
    struct keyring *kr2 = NULL;
    assert_int_equal(ring_open(&f->st->base, "ES256", &kr2), 0);
    assert_int_equal(f->st->n, 1);
    assert_int_equal(verify(kr2, t), TOKEN_VALID);
    char *t3 = sign_new(kr2, 0);
    char *kid3 = kid_of(t3);
    assert_string_equal(kid3, kid);
    assert_int_equal(verify(f->kr, t3), TOKEN_VALID);
    keyring_free(kr2);
    /* a ring that signs with EdDSA verifies ES256 tokens all the same */
    assert_int_equal(ring_open(&f->st->base, "EdDSA", &kr2), 0);
    assert_int_equal(f->st->n, 2); /* it made its own key */
    assert_int_equal(verify(kr2, t), TOKEN_VALID);
    keyring_free(kr2);

    free(thumb);
    free(x);
    free(y);
    free(kid3);
    free(t3);
    free(t2);
    free(h);
    free(kid);
    free(t);
}

/* What OpenSSL's own encoder makes of R || S: the canonical DER our conversion must match. */
static size_t openssl_der(const uint8_t raw[64], uint8_t *out)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
    unsigned char *p = out;
    int n = i2d_ECDSA_SIG(sig, &p);
    assert_true(n > 0 && n <= ES256_DER_MAX);
    ECDSA_SIG_free(sig);
    return (size_t)n;
}

static void check_der_roundtrip(const uint8_t raw[64])
{
    uint8_t der[ES256_DER_MAX], ref[ES256_DER_MAX + 8], back[64];
    size_t n = token_ecdsa_raw_to_der(raw, der);
    size_t m = openssl_der(raw, ref);
    assert_int_equal(n, m);
    assert_memory_equal(der, ref, n);
    assert_int_equal(token_ecdsa_der_to_raw(der, n, back), 0);
    assert_memory_equal(back, raw, 64);
}

static void test_ecdsa_der(void **state)
{
    (void)state;
    uint8_t raw[64];
    uint8_t der[ES256_DER_MAX];
    /* high bit clear, set (a 0x00 pad), leading zero bytes (shorter INTEGERs), tiny, zero */
    static const struct {
        uint8_t r0, r1, s0, s1;
        size_t der_len;
    } cases[] = {
        {0x01, 0x02, 0x7f, 0xff, 70}, {0x80, 0x00, 0xff, 0x01, 72}, {0x00, 0x7f, 0x00, 0x80, 69},
        {0x00, 0x00, 0x00, 0x01, 67}, {0x7f, 0x7f, 0x80, 0x80, 71},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(raw, 0x5a, sizeof(raw));
        raw[0] = cases[i].r0;
        raw[1] = cases[i].r1;
        raw[32] = cases[i].s0;
        raw[33] = cases[i].s1;
        assert_int_equal(token_ecdsa_raw_to_der(raw, der), cases[i].der_len);
        check_der_roundtrip(raw);
    }
    memset(raw, 0, sizeof(raw));
    raw[31] = 5;
    raw[63] = 0x80;
    assert_int_equal(token_ecdsa_raw_to_der(raw, der), 9);
    const uint8_t small[] = {0x30, 0x07, 0x02, 0x01, 0x05, 0x02, 0x02, 0x00, 0x80};
    assert_memory_equal(der, small, sizeof(small));
    check_der_roundtrip(raw);
    memset(raw, 0, sizeof(raw)); /* zero: 02 01 00, refused later by the verifier */
    assert_int_equal(token_ecdsa_raw_to_der(raw, der), 8);
    check_der_roundtrip(raw);

    /* not strict DER → refused */
    static const struct {
        const char *why;
        uint8_t der[12];
        size_t len;
    } bad[] = {
        {"empty", {0}, 0},
        {"short", {0x30}, 1},
        {"not a SEQUENCE", {0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, 8},
        {"length mismatch", {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, 8},
        {"trailing byte", {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00}, 9},
        {"inner trailing", {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00}, 9},
        {"not an INTEGER", {0x30, 0x06, 0x03, 0x01, 0x01, 0x02, 0x01, 0x01}, 8},
        {"negative", {0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01}, 8},
        {"non-minimal", {0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01}, 9},
        {"empty INTEGER", {0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01}, 7},
        {"one INTEGER", {0x30, 0x03, 0x02, 0x01, 0x01}, 5},
        {"long form", {0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, 9},
        {"INTEGER past the end", {0x30, 0x06, 0x02, 0x05, 0x01, 0x02, 0x01, 0x01}, 8},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (token_ecdsa_der_to_raw(bad[i].der, bad[i].len, raw) != RC_EINVAL)
            print_error("accepted: %s\n", bad[i].why);
        assert_int_equal(token_ecdsa_der_to_raw(bad[i].der, bad[i].len, raw), RC_EINVAL);
    }
    /* INTEGERs of 33 bytes without the pad, and of 34 with it: beyond 256 bits */
    uint8_t big[80] = {0x30, 0x46, 0x02, 0x21, 0x01};
    big[2 + 2 + 33] = 0x02;
    big[2 + 2 + 33 + 1] = 0x01;
    big[2 + 2 + 33 + 2] = 0x01;
    big[1] = 2 + 33 + 3;
    assert_int_equal(token_ecdsa_der_to_raw(big, 2 + 2 + 33 + 3, raw), RC_EINVAL);
    memset(big, 0, sizeof(big));
    const uint8_t head[] = {0x30, 0x45, 0x02, 0x22, 0x00, 0x80};
    memcpy(big, head, sizeof(head));
    big[2 + 2 + 34] = 0x02;
    big[2 + 2 + 34 + 1] = 0x01;
    big[2 + 2 + 34 + 2] = 0x01;
    assert_int_equal(token_ecdsa_der_to_raw(big, 2 + 2 + 34 + 3, raw), RC_EINVAL);
    assert_int_equal(token_ecdsa_der_to_raw(big, ES256_DER_MAX + 1, raw), RC_EINVAL);
}

/* Real signatures whose R or S starts with zero bytes (about 1 in 128) go through the
 * shorter DER INTEGERs OpenSSL writes for them, and verify. */
static void test_es256_leading_zeros(void **state)
{
    struct fx *f = *state;
    const uint8_t msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0";
    int zeros = 0;
    keyring_read_lock(f->kr);
    const struct key *k = keyring_signer(f->kr, &key_alg_es256);
    assert_non_null(k);
    for (int i = 0; i < 3000 && zeros < 4; i++) {
        uint8_t sig[KEY_SIG_MAX];
        size_t len = 0;
        assert_int_equal(k->alg->sign(k, msg, sizeof(msg) - 1, sig, &len), 0);
        assert_int_equal(len, ES256_SIG_LEN);
        if (sig[0] != 0 && sig[32] != 0)
            continue;
        zeros++;
        check_der_roundtrip(sig);
        assert_true(k->alg->verify(k, msg, sizeof(msg) - 1, sig, len));
        assert_false(k->alg->verify(k, msg, sizeof(msg) - 2, sig, len));
    }
    keyring_read_unlock(f->kr);
    assert_true(zeros > 0);
}

/* ---- algorithm confusion ----------------------------------------------------------------- */

static void test_cross_alg(void **state)
{
    struct fx *f = *state; /* signs EdDSA */
    char kid_es[STORE_KID_SIZE];
    assert_int_equal(keyring_rotate(f->kr, "ES256", kid_es), 0);
    char *te = sign_alg(f->kr, "ES256", NOW + 60), *td = sign_new(f->kr, NOW + 60);
    char *kid_ed = kid_of(td), *k2 = kid_of(te);
    assert_string_equal(k2, kid_es);
    assert_int_equal(verify(f->kr, te), TOKEN_VALID);
    assert_int_equal(verify(f->kr, td), TOKEN_VALID);

    /* header alg, header kid, the key that really signs → verdict */
    const struct {
        const char *alg, *kid, *signer;
        enum token_verdict v;
    } cases[] = {
        {"ES256", kid_es, kid_ed, TOKEN_BAD_SIGNATURE}, /* EdDSA's 64 bytes as R || S */
        {"EdDSA", kid_ed, kid_es, TOKEN_BAD_SIGNATURE}, /* R || S as an Ed25519 signature */
        {"EdDSA", kid_es, kid_es, TOKEN_BAD_SIGNATURE}, /* valid, but not the key's alg */
        {"ES256", kid_ed, kid_ed, TOKEN_BAD_SIGNATURE},
        {"ES256", kid_es, kid_es, TOKEN_VALID}, /* the forge helper itself is sound */
        {"EdDSA", kid_ed, kid_ed, TOKEN_VALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *h = header_for(cases[i].alg, "at+jwt", cases[i].kid);
        char *ft = forge(f->kr, cases[i].signer, h, GOOD_PAYLOAD);
        assert_int_equal(verify(f->kr, ft), cases[i].v);
        free(ft);
        free(h);
    }

    /* "none" and HS256 with the ES256 public key as the secret: raw point, x, the JWK */
    char *p64 = b64(GOOD_PAYLOAD, strlen(GOOD_PAYLOAD));
    char *h = header_for("none", "at+jwt", kid_es), *h64 = b64(h, strlen(h));
    char tok[4096];
    snprintf(tok, sizeof(tok), "%s.%s.", h64, p64);
    assert_int_equal(verify(f->kr, tok), TOKEN_MALFORMED);
    free(h);
    free(h64);
    h = header_for("HS256", "at+jwt", kid_es);
    h64 = b64(h, strlen(h));
    const struct store_signing_key *row = fake_row(f->st, kid_es);
    json_t *jwk = jwk_of(f->kr, kid_es);
    char *jwk_text = json_dumps(jwk, JSON_COMPACT);
    const char *x = json_string_value(json_object_get(jwk, "x"));
    const struct {
        const void *key;
        size_t len;
    } secrets[] = {
        {row->public_key, row->public_len}, {x, strlen(x)}, {jwk_text, strlen(jwk_text)}};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        char *ft = hs256_forge(h64, p64, secrets[i].key, secrets[i].len);
        assert_int_equal(verify(f->kr, ft), TOKEN_BAD_SIGNATURE);
        free(ft);
    }
    free(jwk_text);
    json_decref(jwk);
    free(h);
    free(h64);
    free(p64);
    free(k2);
    free(kid_ed);
    free(te);
    free(td);
}

/* ---- retirement -------------------------------------------------------------------------- */

static void test_retire(void **state)
{
    struct fx *f = *state; /* signs EdDSA */
    bool newly = true;
    char *t1 = sign_new(f->kr, NOW + 3600), *kid1 = kid_of(t1);
    char kid2[STORE_KID_SIZE];
    assert_int_equal(keyring_rotate(f->kr, NULL, kid2), 0); /* NULL: the ring's alg */
    assert_string_equal(fake_row(f->st, kid2)->alg, "EdDSA");
    char *t2 = sign_new(f->kr, NOW + 3600);

    /* the current key of the ring's algorithm stays; an unknown kid is not found */
    assert_int_equal(keyring_retire(f->kr, kid2, &newly), RC_ECONFLICT);
    assert_false(newly);
    assert_int_equal(keyring_retire(f->kr, "bm90LWEta2lk", &newly), RC_ENOTFOUND);
    assert_int_equal(verify(f->kr, t2), TOKEN_VALID);

    int64_t rev = f->st->revision;
    assert_int_equal(keyring_retire(f->kr, kid1, &newly), 0);
    assert_true(newly);
    assert_true(f->st->revision > rev);
    int64_t at = fake_row(f->st, kid1)->retired_at;
    assert_true(at > 0);
    assert_int_equal(verify(f->kr, t1), TOKEN_BAD_SIGNATURE); /* at once, not expired */
    assert_false(in_jwks(f->kr, kid1));
    assert_true(in_jwks(f->kr, kid2));
    assert_int_equal(verify(f->kr, t2), TOKEN_VALID);
    assert_int_equal(keyring_retire(f->kr, kid1, &newly), 0); /* again: nothing changes */
    assert_false(newly);
    assert_int_equal(fake_row(f->st, kid1)->retired_at, at);

    /* the current key of another algorithm may go: that algorithm then has no key */
    char kid3[STORE_KID_SIZE], kid4[STORE_KID_SIZE];
    assert_int_equal(keyring_rotate(f->kr, "ES256", kid3), 0);
    assert_int_equal(keyring_retire(f->kr, kid3, &newly), 0);
    struct token_claims c;
    struct buf b;
    claims_fill(&c, 0);
    buf_init(&b, 4096);
    assert_int_equal(token_sign(f->kr, "ES256", &c, &b), RC_ENOTFOUND);
    assert_int_equal(keyring_rotate(f->kr, "ES256", kid4), 0);
    assert_int_equal(token_sign(f->kr, "ES256", &c, &b), 0);
    char *k4 = kid_of(buf_str(&b));
    assert_string_equal(k4, kid4);

    /* another process whose algorithm is ES256 retires our current EdDSA key: at its next
     * refresh this signing ring makes a new one rather than fail to sign */
    struct keyring *cli = NULL;
    assert_int_equal(keyring_open(&f->st->base, server_key, "ES256", &cli), 0);
    assert_int_equal(keyring_retire(cli, kid4, &newly), RC_ECONFLICT);
    assert_int_equal(keyring_retire(cli, kid2, &newly), 0);
    size_t n = f->st->n;
    assert_int_equal(keyring_refresh(f->kr), 0);
    assert_int_equal(f->st->n, n + 1);
    assert_int_equal(verify(f->kr, t2), TOKEN_BAD_SIGNATURE);
    char *t5 = sign_new(f->kr, 0), *kid5 = kid_of(t5);
    assert_string_equal(kid5, f->st->keys[n].kid);
    assert_int_equal(keyring_refresh(cli), 0);
    assert_int_equal(verify(cli, t5), TOKEN_VALID);
    keyring_free(cli);

    buf_cleanup(&b);
    token_claims_cleanup(&c);
    free(k4);
    free(t5);
    free(kid5);
    free(t1);
    free(t2);
    free(kid1);
}

/* ---- the lifetime rule ------------------------------------------------------------------- */

static void test_lifetime_rule(void **state)
{
    (void)state;
    struct key_fate f[] = {
        {.alg = "EdDSA", .created_at = 100, .max_exp = 150},       /* dead last token first */
        {.alg = "ES256", .created_at = 200},                       /* the current ES256 */
        {.alg = "EdDSA", .created_at = 300, .max_exp = 1000},      /* its tokens outlive it */
        {.alg = "EdDSA", .created_at = 400, .non_expiring = true}, /* kept until retired */
        {.alg = "EdDSA", .created_at = 500, .max_exp = 9999},      /* the current EdDSA */
        {.alg = "RS512", .created_at = 550},                       /* any alg name is judged */
        {.alg = "RS512", .created_at = 600, .retired_at = 700},    /* retired: no RS512 */
    };
    const size_t n = sizeof(f) / sizeof(f[0]);
    keyring_judge(f, n, 309);
    const int64_t rotated[] = {300, 0, 400, 500, 0, 600, 0};
    const int64_t drop[] = {310, 0, 1010, 0, 0, 610, 0};
    const bool current[] = {false, true, false, false, true, false, false};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f[i].rotated_at, rotated[i]);
        assert_int_equal(f[i].drop_at, drop[i]);
        assert_int_equal(f[i].current, current[i]);
    }
    /* published while now < drop_at: no grace after that, a second is a second */
    const struct {
        int64_t now;
        bool published[7];
    } at[] = {
        {309, {true, true, true, true, true, true, false}},
        {310, {false, true, true, true, true, true, false}},
        {609, {false, true, true, true, true, true, false}},
        {610, {false, true, true, true, true, false, false}},
        {1009, {false, true, true, true, true, false, false}},
        {1010, {false, true, false, true, true, false, false}},
        {INT64_C(1) << 40, {false, true, false, true, true, false, false}},
    };
    for (size_t t = 0; t < sizeof(at) / sizeof(at[0]); t++) {
        keyring_judge(f, n, at[t].now);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(f[i].published, at[t].published[i]);
    }

    /* the newest key retired: its algorithm has no current key, the one before stays
     * superseded (never current again), a retired key never verifies */
    struct key_fate g[] = {
        {.alg = "EdDSA", .created_at = 100, .non_expiring = true, .retired_at = 120},
        {.alg = "EdDSA", .created_at = 200},
        {.alg = "EdDSA", .created_at = 300, .retired_at = 400},
    };
    keyring_judge(g, 3, 305);
    assert_false(g[0].published || g[0].current);
    assert_false(g[1].current);
    assert_true(g[1].published);
    assert_int_equal(g[1].rotated_at, 300);
    assert_int_equal(g[1].drop_at, 300 + KEY_GRACE_SECONDS);
    assert_false(g[2].published || g[2].current);
    assert_int_equal(g[2].rotated_at, 0);

    /* two keys made in the same second: the one listed later is the current one */
    struct key_fate h[] = {{.alg = "ES256", .created_at = 7}, {.alg = "ES256", .created_at = 7}};
    keyring_judge(h, 2, 8);
    assert_false(h[0].current);
    assert_true(h[1].current);
    assert_int_equal(h[0].drop_at, 7 + KEY_GRACE_SECONDS);
}

struct find_info {
    const char *kid;
    struct keyring_key_info info;
    bool found;
};

static int find_info_cb(void *ctx, const struct keyring_key_info *info)
{
    struct find_info *fi = ctx;
    if (strcmp(info->row->kid, fi->kid) != 0)
        return 0;
    fi->info = *info;
    fi->info.row = NULL; /* borrowed only for the call */
    fi->found = true;
    return 1;
}

static struct keyring_key_info info_of(struct keyring *kr, const char *kid)
{
    struct find_info fi = {.kid = kid};
    assert_int_equal(keyring_list(kr, find_info_cb, &fi), 0);
    assert_true(fi.found);
    return fi.info;
}

/* The ring drops a superseded key once its reservation has run out, plus the grace; a key
 * that may have signed a token without exp stays. Time is moved by backdating the rotation
 * and the reservations in the fake store. */
static void test_lifetime_ring(void **state)
{
    struct fx *f = *state;
    int64_t now = time_now();
    char kid2[STORE_KID_SIZE], kid3[STORE_KID_SIZE], kid4[STORE_KID_SIZE];

    /* key 1's reservation ran out 30 s ago; the rotation is 20 s old */
    char *t1 = sign_new(f->kr, now - 30), *kid1 = kid_of(t1);
    assert_int_equal(keyring_rotate(f->kr, "EdDSA", kid2), 0);
    assert_int_equal(verify(f->kr, t1), TOKEN_EXPIRED); /* still known: reserved ahead */
    struct keyring_key_info i1 = info_of(f->kr, kid1);
    assert_true(i1.published && !i1.current);
    assert_true(i1.max_exp >= now + RESERVE); /* the reservation, not the token's exp */
    fake_row(f->st, kid1)->max_exp = now - 30;
    fake_row(f->st, kid2)->created_at = now - 20;
    f->st->revision++;
    assert_int_equal(keyring_refresh(f->kr), 0);
    assert_int_equal(verify(f->kr, t1), TOKEN_BAD_SIGNATURE); /* dropped: unknown kid */
    assert_false(in_jwks(f->kr, kid1));
    i1 = info_of(f->kr, kid1);
    assert_false(i1.published);
    assert_int_equal(i1.rotated_at, now - 20);
    assert_int_equal(i1.drop_at, now - 10);

    /* key 2 signs a token without exp: the store knows before the token exists */
    int notes = f->st->note_calls;
    char *t2 = sign_new(f->kr, 0), *k2 = kid_of(t2);
    assert_string_equal(k2, kid2);
    assert_true(fake_row(f->st, kid2)->signed_non_expiring);
    assert_int_equal(f->st->note_calls, notes + 1);
    assert_int_equal(keyring_rotate(f->kr, "EdDSA", kid3), 0);
    fake_row(f->st, kid2)->max_exp = now - 30;
    fake_row(f->st, kid3)->created_at = now - 20;
    f->st->revision++;
    assert_int_equal(keyring_refresh(f->kr), 0);
    assert_int_equal(verify(f->kr, t2), TOKEN_VALID); /* the flag keeps it */
    struct keyring *other = NULL;                     /* another instance */
    assert_int_equal(ring_open(&f->st->base, "EdDSA", &other), 0);
    assert_int_equal(verify(other, t2), TOKEN_VALID);
    struct keyring_key_info i2 = info_of(other, kid2);
    assert_true(i2.published && i2.signed_non_expiring && i2.drop_at == 0);
    keyring_free(other);

    /* key 3 due to go within a second: the refresh reloads on time alone, no store change */
    char *t3 = sign_new(f->kr, now - 100), *k3 = kid_of(t3);
    assert_int_equal(keyring_rotate(f->kr, "EdDSA", kid4), 0);
    int64_t t0 = time_now();
    fake_row(f->st, k3)->max_exp = now - 100;
    fake_row(f->st, kid4)->created_at = t0 - KEY_GRACE_SECONDS + 1;
    f->st->revision++;
    assert_int_equal(keyring_refresh(f->kr), 0);
    if (time_now() < t0 + 1)
        assert_int_equal(verify(f->kr, t3), TOKEN_EXPIRED);
    int calls = f->st->list_calls;
    while (time_now() < t0 + 1)
        usleep(20 * 1000);
    assert_int_equal(keyring_refresh(f->kr), 0);
    assert_int_equal(f->st->list_calls, calls + 1);
    assert_int_equal(verify(f->kr, t3), TOKEN_BAD_SIGNATURE);
    assert_int_equal(f->st->list_calls, calls + 1); /* unknown now, and still the same set */
    assert_int_equal(keyring_refresh(f->kr), 0);    /* nothing more due: no reload */
    assert_int_equal(f->st->list_calls, calls + 1);
    assert_int_equal(verify(f->kr, t2), TOKEN_VALID);

    free(t1);
    free(kid1);
    free(t2);
    free(k2);
    free(t3);
    free(k3);
}

/* Give the ring's in-memory reservation of kid the value max_exp, through the store. */
static void reservation_reset(struct fx *f, const char *kid, int64_t max_exp)
{
    fake_row(f->st, kid)->max_exp = max_exp;
    f->st->revision++;
    assert_int_equal(keyring_refresh(f->kr), 0);
}

/* A key's max_exp in the store is a reservation written ahead: before token_sign returns a
 * token, the store covers it; tokens within the reservation write nothing, a longer one
 * writes once and moves the reservation a horizon past it, the first token without exp
 * writes the flag once. The background call keeps the signing key's reservation ahead. */
static void test_reservations(void **state)
{
    struct fx *f = *state;
    const char *kid = f->st->keys[0].kid;
    const struct store_signing_key *row = fake_row(f->st, kid);
    int64_t now = time_now();
    /* born reserved for two horizons */
    assert_true(row->max_exp >= now + 2 * RESERVE - 5 && row->max_exp <= now + 2 * RESERVE);
    for (int i = 0; i < 100; i++)
        free(sign_new(f->kr, now + RESERVE));
    assert_int_equal(f->st->note_calls, 0);

    int64_t long_exp = now + 5 * RESERVE;
    free(sign_new(f->kr, long_exp));
    assert_int_equal(f->st->note_calls, 1);
    assert_int_equal(row->max_exp, long_exp + RESERVE);
    free(sign_new(f->kr, long_exp + RESERVE)); /* within the horizon: nothing */
    assert_int_equal(f->st->note_calls, 1);
    free(sign_new(f->kr, long_exp + RESERVE + 1));
    assert_int_equal(f->st->note_calls, 2);
    assert_int_equal(row->max_exp, long_exp + 2 * RESERVE + 1);

    assert_false(row->signed_non_expiring);
    for (int i = 0; i < 3; i++)
        free(sign_new(f->kr, 0));
    assert_int_equal(f->st->note_calls, 3);
    assert_true(row->signed_non_expiring);

    /* what the store holds is what a reload brings back: nothing to write again */
    f->st->revision++;
    assert_int_equal(keyring_refresh(f->kr), 0);
    free(sign_new(f->kr, 0));
    free(sign_new(f->kr, long_exp));
    assert_int_equal(f->st->note_calls, 3);

    /* kept ahead: nothing while a horizon is left, else two horizons from now */
    assert_int_equal(keyring_reserve_ahead(f->kr), 0);
    assert_int_equal(f->st->note_calls, 3);
    now = time_now();
    reservation_reset(f, kid, now + RESERVE + 5);
    assert_int_equal(keyring_reserve_ahead(f->kr), 0);
    assert_int_equal(f->st->note_calls, 3);
    reservation_reset(f, kid, now + RESERVE - 5);
    assert_int_equal(keyring_reserve_ahead(f->kr), 0);
    assert_int_equal(f->st->note_calls, 4);
    assert_true(row->max_exp >= now + 2 * RESERVE);
    assert_int_equal(keyring_reserve_ahead(f->kr), 0);
    assert_int_equal(f->st->note_calls, 4);

    /* a ring that does not sign keeps nothing ahead, and reserves just what it signs */
    struct keyring *cli = NULL;
    assert_int_equal(keyring_open(&f->st->base, server_key, NULL, &cli), 0);
    assert_int_equal(keyring_reserve_ahead(cli), 0);
    assert_int_equal(f->st->note_calls, 4);
    int64_t before = row->max_exp;
    free(sign_new(cli, before + 7));
    assert_int_equal(f->st->note_calls, 5);
    assert_int_equal(row->max_exp, before + 7);
    keyring_free(cli);
}

/* A reservation that cannot be written issues no token: token_sign gives the store's error
 * and leaves out as it was. Tokens already covered are still signed. */
static void test_reserve_failure(void **state)
{
    struct fx *f = *state;
    const struct store_signing_key *row = &f->st->keys[0];
    int64_t now = time_now(), reserved = row->max_exp;
    struct token_claims c;
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(buf_append_str(&b, "x"), 0);
    f->st->note_fail = RC_EUNAVAIL;
    claims_fill(&c, now + 10 * RESERVE);
    assert_int_equal(token_sign(f->kr, NULL, &c, &b), RC_EUNAVAIL);
    c.exp = 0;
    assert_int_equal(token_sign(f->kr, NULL, &c, &b), RC_EUNAVAIL);
    assert_string_equal(buf_str(&b), "x");
    assert_int_equal(row->max_exp, reserved);
    assert_false(row->signed_non_expiring);
    c.exp = now + 60;
    assert_int_equal(token_sign(f->kr, NULL, &c, &b), 0);
    reservation_reset(f, row->kid, now + 60);
    assert_int_equal(keyring_reserve_ahead(f->kr), RC_EUNAVAIL);
    f->st->note_fail = 0;
    buf_reset(&b);
    c.exp = 0;
    assert_int_equal(token_sign(f->kr, NULL, &c, &b), 0);
    assert_true(row->signed_non_expiring);
    assert_int_equal(verify(f->kr, buf_str(&b)), TOKEN_VALID);
    token_claims_cleanup(&c);
    buf_cleanup(&b);
}

/* ---- on the real SQLite store ------------------------------------------------------------ */

struct rows_seen {
    struct store_signing_key rows[8];
    size_t n;
};

static int rows_cb(void *ctx, const struct store_signing_key *row)
{
    struct rows_seen *r = ctx;
    if (r->n < 8)
        r->rows[r->n++] = *row;
    return 0;
}

static struct rows_seen rows_of(struct store *st)
{
    struct rows_seen r = {.n = 0};
    assert_int_equal(st->ops->signing_key_list(st, rows_cb, &r), 0);
    return r;
}

static int64_t store_rev(struct store *st)
{
    int64_t r = 0;
    assert_int_equal(st->ops->revision(st, &r), 0);
    return r;
}

static void test_sqlite_lifetime(void **state)
{
    (void)state;
    struct tmpdb d;
    tmpdb_make(&d);
    struct store *st = sqlite_open(&d);
    struct keyring *kr = NULL;
    assert_int_equal(ring_open(st, "ES256", &kr), 0);
    int64_t rev = store_rev(st);
    char *t = sign_new(kr, 0), *kid = kid_of(t);
    char *t2 = sign_new(kr, NOW);
    /* reserved before the tokens existed, without bumping the revision (reservations do not
     * invalidate every cache) */
    assert_int_equal(store_rev(st), rev);
    struct rows_seen r = rows_of(st);
    assert_int_equal(r.n, 1);
    assert_true(r.rows[0].signed_non_expiring);
    assert_int_equal(r.rows[0].max_exp, NOW + RESERVE);
    /* the note only raises */
    assert_int_equal(st->ops->signing_key_note(st, kid, NOW - 5, false), 0);
    assert_int_equal(st->ops->signing_key_note(st, "unknown", NOW + 5, true), 0);
    r = rows_of(st);
    assert_int_equal(r.rows[0].max_exp, NOW + RESERVE);
    assert_true(r.rows[0].signed_non_expiring);
    /* retire: once, bumping the revision; unknown → not found */
    assert_int_equal(st->ops->signing_key_retire(st, "unknown", 5), RC_ENOTFOUND);
    char kid2[STORE_KID_SIZE];
    assert_int_equal(keyring_rotate(kr, NULL, kid2), 0);
    rev = store_rev(st);
    assert_int_equal(st->ops->signing_key_retire(st, kid, 77), 0);
    assert_int_equal(st->ops->signing_key_retire(st, kid, 88), 0);
    assert_true(store_rev(st) > rev);
    r = rows_of(st);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.rows[0].retired_at, 77);
    assert_int_equal(r.rows[1].retired_at, 0);
    assert_int_equal(keyring_refresh(kr), 0);
    assert_int_equal(verify(kr, t), TOKEN_BAD_SIGNATURE);
    keyring_free(kr);
    store_close(st);

    /* restart: the ES256 key from the file signs, the retired one stays retired */
    st = sqlite_open(&d);
    assert_int_equal(ring_open(st, "ES256", &kr), 0);
    char *t3 = sign_new(kr, 0), *kid3 = kid_of(t3);
    assert_string_equal(kid3, kid2);
    assert_int_equal(verify(kr, t), TOKEN_BAD_SIGNATURE);
    assert_int_equal(rows_of(st).n, 2);
    keyring_free(kr);
    store_close(st);
    tmpdb_remove(&d);
    free(t);
    free(t2);
    free(t3);
    free(kid);
    free(kid3);
}

static const char *migration_sql(const char *name)
{
    for (size_t i = 0; i < store_migration_count; i++)
        if (strcmp(store_migration_files[i].name, name) == 0)
            return store_migration_files[i].data;
    fail_msg("no migration %s", name);
    return NULL;
}

/* A database of version 1 with a key: migration 2 keeps it until retired, since nothing
 * recorded whether it signed tokens that do not expire. */
static void test_migration_keeps_old_keys(void **state)
{
    (void)state;
    struct tmpdb d;
    tmpdb_make(&d);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(d.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, migration_sql("sqlite/001_init.sql"), NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
                     "NOT NULL, applied_at INTEGER NOT NULL);"
                     "INSERT INTO schema_migrations VALUES (1, 'sqlite/001_init.sql', 1);"
                     "INSERT INTO signing_keys (kid, alg, public_key, sealed_private, created_at) "
                     "VALUES ('old', 'EdDSA', x'00', x'00', 5);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    struct store *st = sqlite_open(&d);
    struct rows_seen r = rows_of(st);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.rows[0].kid, "old");
    assert_true(r.rows[0].signed_non_expiring);
    assert_int_equal(r.rows[0].max_exp, 0);
    assert_int_equal(r.rows[0].retired_at, 0);
    /* keys added after the migration start clean */
    struct store_signing_key k = {.kid = "new", .alg = "EdDSA", .created_at = 6};
    k.public_len = 1;
    k.sealed_len = 1;
    assert_int_equal(st->ops->signing_key_add(st, &k), 0);
    r = rows_of(st);
    assert_false(r.rows[1].signed_non_expiring);
    store_close(st);
    tmpdb_remove(&d);
}

/* ---- cost -------------------------------------------------------------------------------- */

static void test_es256_timing(void **state)
{
    struct fx *f = *state;
    enum { N = 2000 };
    struct buf b;
    double sign_us, verify_us;
    buf_init(&b, 4096);
    time_token_ops(f->kr, N, &b, &sign_us, &verify_us);
    printf("ES256 token_sign: %.1f us/op, token_verify: %.1f us/op (%d ops, %zu-byte token)\n",
           sign_us, verify_us, N, b.len);
    buf_cleanup(&b);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    time_init();
    log_set_level(LOG_ERROR); /* key creation is logged at info: too chatty here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_es256_roundtrip, setup_es256, teardown),
        cmocka_unit_test(test_ecdsa_der),
        cmocka_unit_test_setup_teardown(test_es256_leading_zeros, setup_es256, teardown),
        cmocka_unit_test_setup_teardown(test_cross_alg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retire, setup, teardown),
        cmocka_unit_test(test_lifetime_rule),
        cmocka_unit_test_setup_teardown(test_lifetime_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reservations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_failure, setup, teardown),
        cmocka_unit_test(test_sqlite_lifetime),
        cmocka_unit_test(test_migration_keeps_old_keys),
        cmocka_unit_test_setup_teardown(test_es256_timing, setup_es256, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
