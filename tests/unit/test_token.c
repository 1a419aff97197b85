/* SPDX-License-Identifier: MIT */
/* Unit tests of src/token: base64url, JWT signing and verification, the key ring (sealing,
 * rotation, reload, JWKS) on an in-memory fake store and on the real SQLite store. Forged
 * tokens are signed with the ring's own keys through keyring_int.h. ES256, the lifetime of
 * keys and their retirement are in test_token_keys.c; the shared helpers in
 * token_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "token/keyring_int.h"
#include "token/token.h"

#include "token_fixture.h"

/* ---- base64url --------------------------------------------------------------------------- */

static void test_b64_vectors(void **state)
{
    (void)state;
    /* RFC 4648 §10, without the padding (§5 / RFC 7515 §2) */
    static const char *const vec[][2] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        char out[16];
        uint8_t back[16];
        size_t n = 99;
        size_t len = strlen(vec[i][0]);
        assert_int_equal(base64url_encoded_len(len), strlen(vec[i][1]));
        base64url_encode((const uint8_t *)vec[i][0], len, out);
        assert_string_equal(out, vec[i][1]);
        assert_int_equal(base64url_decode(out, strlen(out), back, sizeof(back), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, vec[i][0], len);
    }
    /* the two characters that differ from base64: 0xfb 0xff → "+/8=" there, "-_8" here */
    const uint8_t url[] = {0xfb, 0xff};
    char out[8];
    base64url_encode(url, 2, out);
    assert_string_equal(out, "-_8");
    /* every byte value round-trips */
    uint8_t all[256], back[256];
    char enc[400];
    size_t n = 0;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    for (size_t len = 0; len <= 256; len += 37) {
        base64url_encode(all, len, enc);
        assert_int_equal(base64url_decode(enc, strlen(enc), back, sizeof(back), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, all, len);
    }
}

static void test_b64_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==",         /* padding */
        "Zm9v+w",       /* base64's '+' */
        "Zm9v/w",       /* base64's '/' */
        "Zm9 v",        /* whitespace */
        "Zm9v\n",       /* newline */
        "Z",            /* len % 4 == 1 */
        "Zm9vY",        /* len % 4 == 1 */
        "Zh",           /* non-zero trailing bits: "f" is "Zg" */
        "Zm9",          /* non-zero trailing bits: "fo" is "Zm8" */
        "Zm9v\xc3\xa9", /* non-ASCII */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t out[16];
        size_t n = 0;
        assert_int_equal(base64url_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n), RC_EINVAL);
    }
    uint8_t out[16];
    size_t n = 0;
    assert_int_equal(base64url_decode("Zm\0v", 4, out, sizeof(out), &n), RC_EINVAL);
    assert_int_equal(base64url_decode("Zm9vYmFy", 8, out, 5, &n), RC_ELIMIT);
    assert_int_equal(base64url_decode("Zm9vYmFy", 8, out, 6, &n), 0);
    assert_int_equal(n, 6);
}

/* ---- sign and verify --------------------------------------------------------------------- */

static void test_roundtrip(void **state)
{
    struct fx *f = *state;
    struct token_claims c, out;
    claims_fill(&c, NOW + 3600);
    char *t = sign(f->kr, &c);

    char *h = part(t, 0);
    char *kid = kid_of(t);
    char expect[256];
    snprintf(expect, sizeof(expect), "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", kid);
    assert_string_equal(h, expect);
    assert_int_equal(strlen(kid), 43);
    char *p = part(t, 1);
    assert_string_equal(p, "{\"iss\":\"http://127.0.0.1:8080/acme\","
                           "\"sub\":\"4f1c2b9e-0d2a-4c55-9f7e-1b2c3d4e5f60\","
                           "\"client_id\":\"4f1c2b9e-0d2a-4c55-9f7e-1b2c3d4e5f60\","
                           "\"account\":\"acme\",\"scope\":\"campaign.read env:*\","
                           "\"iat\":1799999990,\"jti\":\"jti-0123456789\",\"exp\":1800003600}");

    assert_int_equal(token_verify(f->kr, t, strlen(t), NOW, &out), TOKEN_VALID);
    assert_string_equal(out.iss, c.iss);
    assert_string_equal(out.client_id, c.client_id);
    assert_string_equal(out.account, c.account);
    assert_string_equal(out.scope, c.scope);
    assert_string_equal(out.jti, c.jti);
    assert_int_equal(out.iat, c.iat);
    assert_int_equal(out.exp, c.exp);
    token_claims_cleanup(&out);
    assert_null(out.scope);

    /* the length given is what counts, not a NUL */
    assert_int_equal(token_verify(f->kr, t, strlen(t) - 1, NOW, &out), TOKEN_MALFORMED);
    assert_null(out.scope);

    /* appends: what was in the buffer stays */
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(buf_append_str(&b, "Bearer "), 0);
    assert_int_equal(token_sign(f->kr, "EdDSA", &c, &b), 0);
    assert_int_equal(strncmp(buf_str(&b), "Bearer ey", 9), 0);
    buf_cleanup(&b);
    /* a buffer too small is left as it was */
    buf_init(&b, 64);
    assert_int_equal(buf_append_str(&b, "x"), 0);
    assert_int_equal(token_sign(f->kr, NULL, &c, &b), RC_ELIMIT);
    assert_string_equal(buf_str(&b), "x");
    buf_cleanup(&b);

    free(h);
    free(p);
    free(kid);
    free(t);
    token_claims_cleanup(&c);
}

static void test_expiry(void **state)
{
    struct fx *f = *state;
    struct token_claims out;
    char *t = sign_new(f->kr, NOW - 1);
    assert_int_equal(token_verify(f->kr, t, strlen(t), NOW, &out), TOKEN_EXPIRED);
    assert_string_equal(out.account, "acme"); /* filled on EXPIRED too */
    assert_string_equal(out.scope, "campaign.read env:*");
    assert_int_equal(out.exp, NOW - 1);
    token_claims_cleanup(&out);
    free(t);

    t = sign_new(f->kr, NOW); /* exp == now: expired, no leeway */
    assert_int_equal(verify(f->kr, t), TOKEN_EXPIRED);
    free(t);
    t = sign_new(f->kr, NOW + 1);
    assert_int_equal(verify(f->kr, t), TOKEN_VALID);
    free(t);

    t = sign_new(f->kr, 0); /* does not expire: no exp claim */
    char *p = part(t, 1);
    assert_null(strstr(p, "\"exp\""));
    assert_int_equal(token_verify(f->kr, t, strlen(t), INT64_MAX, &out), TOKEN_VALID);
    assert_int_equal(out.exp, 0);
    token_claims_cleanup(&out);
    free(p);
    free(t);
}

/* Replace character i of t by another of the alphabet. */
static void flip(char *t, size_t i)
{
    t[i] = t[i] == 'A' ? 'B' : 'A';
}

static void test_tampered(void **state)
{
    struct fx *f = *state;
    char *t = sign_new(f->kr, NOW + 60);
    size_t dot1 = (size_t)(strchr(t, '.') - t), dot2 = (size_t)(strrchr(t, '.') - t);
    size_t positions[] = {0, 5, dot1 - 2, dot1 + 1, dot1 + 10, dot2 - 2, dot2 + 1, dot2 + 20};
    for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
        char *u = strdup(t);
        flip(u, positions[i]);
        enum token_verdict v = verify(f->kr, u);
        assert_true(v == TOKEN_BAD_SIGNATURE || v == TOKEN_MALFORMED);
        free(u);
    }
    /* a payload of our own choosing under the original header and signature */
    const char *evil = "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"root\","
                       "\"scope\":\"*\",\"iat\":1,\"jti\":\"j\"}";
    char *forged = b64(evil, strlen(evil));
    char *tok = malloc(strlen(t) + strlen(forged) + 4);
    snprintf(tok, strlen(t) + strlen(forged) + 4, "%.*s.%s%s", (int)dot1, t, forged, t + dot2);
    assert_int_equal(verify(f->kr, tok), TOKEN_BAD_SIGNATURE);
    free(tok);
    free(forged);
    free(t);
}

/* Random edits (a byte changed, a byte dropped, a cut) never give a valid token, and never
 * crash (run under the sanitizers). */
static void test_mutations(void **state)
{
    struct fx *f = *state;
    char *t = sign_new(f->kr, NOW + 60);
    size_t len = strlen(t);
    char *u = malloc(len + 1);
    for (int i = 0; i < 1000; i++) {
        size_t pos = randombytes_uniform((uint32_t)len);
        size_t n = len;
        memcpy(u, t, len + 1);
        switch (i % 3) {
        case 0:
            u[pos] = (char)(u[pos] ^ (1 + randombytes_uniform(255)));
            break;
        case 1:
            memmove(u + pos, u + pos + 1, len - pos);
            n--;
            break;
        default:
            n = pos;
            break;
        }
        struct token_claims out;
        enum token_verdict v = token_verify(f->kr, u, n, NOW, &out);
        assert_int_not_equal(v, TOKEN_VALID);
        assert_null(out.scope);
    }
    free(u);
    free(t);
}

static void test_alg_confusion(void **state)
{
    struct fx *f = *state;
    char *t = sign_new(f->kr, NOW + 60);
    char *kid = kid_of(t);
    char *p64 = b64(GOOD_PAYLOAD, strlen(GOOD_PAYLOAD));

    /* alg none, empty signature (RFC 7519 §6 unsecured JWT) */
    char *h = header_for("none", "at+jwt", kid);
    char *h64 = b64(h, strlen(h));
    char tok[2048];
    snprintf(tok, sizeof(tok), "%s.%s.", h64, p64);
    assert_int_equal(verify(f->kr, tok), TOKEN_MALFORMED);
    /* alg none with some signature */
    snprintf(tok, sizeof(tok), "%s.%s.AAAA", h64, p64);
    assert_int_equal(verify(f->kr, tok), TOKEN_BAD_SIGNATURE);
    free(h);
    free(h64);

    /* HS256 with the public key (raw bytes, then its JWK "x") as the HMAC secret */
    h = header_for("HS256", "at+jwt", kid);
    h64 = b64(h, strlen(h));
    keyring_read_lock(f->kr);
    const struct key *k = keyring_find(f->kr, kid);
    uint8_t pub[32];
    memcpy(pub, k->pub, 32);
    keyring_read_unlock(f->kr);
    char *x = b64(pub, 32);
    const struct {
        const uint8_t *key;
        size_t len;
    } secrets[] = {{pub, 32}, {(const uint8_t *)x, strlen(x)}};
    for (size_t i = 0; i < 2; i++) {
        char *ft = hs256_forge(h64, p64, secrets[i].key, secrets[i].len);
        assert_int_equal(verify(f->kr, ft), TOKEN_BAD_SIGNATURE);
        free(ft);
    }
    free(h);
    free(h64);

    /* a valid Ed25519 signature, but the header names another algorithm or case */
    const char *algs[] = {"eddsa", "Ed25519", "ES256", "EdDSA "};
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        h = header_for(algs[i], "at+jwt", kid);
        char *ft = forge(f->kr, kid, h, GOOD_PAYLOAD);
        assert_int_equal(verify(f->kr, ft), TOKEN_BAD_SIGNATURE);
        free(ft);
        free(h);
    }
    /* the same with the right alg is accepted: the forge helper itself is sound */
    h = header_for("EdDSA", "at+jwt", kid);
    char *ft = forge(f->kr, kid, h, GOOD_PAYLOAD);
    assert_int_equal(verify(f->kr, ft), TOKEN_VALID);
    free(ft);
    free(h);

    /* unknown kid, well formed otherwise */
    h = header_for("EdDSA", "at+jwt", "bm90LWEta2lk");
    h64 = b64(h, strlen(h));
    char *dot2 = strrchr(t, '.');
    snprintf(tok, sizeof(tok), "%s.%s%s", h64, p64, dot2);
    assert_int_equal(verify(f->kr, tok), TOKEN_BAD_SIGNATURE);
    free(h);
    free(h64);

    free(x);
    free(p64);
    free(kid);
    free(t);
}

static void test_typ(void **state)
{
    struct fx *f = *state;
    char *t = sign_new(f->kr, 0);
    char *kid = kid_of(t);
    const struct {
        const char *typ;
        enum token_verdict v;
    } cases[] = {
        {"at+jwt", TOKEN_VALID},
        {"AT+JWT", TOKEN_VALID},
        {"application/at+jwt", TOKEN_VALID},
        {"Application/At+Jwt", TOKEN_VALID},
        {"JWT", TOKEN_MALFORMED},
        {"", TOKEN_MALFORMED},
        {"at+jwt ", TOKEN_MALFORMED},
        {"application/jwt", TOKEN_MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *h = header_for("EdDSA", cases[i].typ, kid);
        char *ft = forge(f->kr, kid, h, GOOD_PAYLOAD);
        assert_int_equal(verify(f->kr, ft), cases[i].v);
        free(ft);
        free(h);
    }
    /* typ missing */
    char h[256];
    snprintf(h, sizeof(h), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", kid);
    char *ft = forge(f->kr, kid, h, GOOD_PAYLOAD);
    assert_int_equal(verify(f->kr, ft), TOKEN_MALFORMED);
    free(ft);
    free(kid);
    free(t);
}

static void test_bad_header(void **state)
{
    struct fx *f = *state;
    char *t = sign_new(f->kr, 0);
    char *kid = kid_of(t);
    /* each header is pre + kid + post */
    static const char *const bad[][2] = {
        {"{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"", "\"}"}, /* dup */
        {"{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"", "\",\"crit\":[\"exp\"]}"},
        {"{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"", "\",\"jwk\":{}}"},
        {"{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"", "\",\"x\":1}"},
        {"{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":[\"", "\"]}"},
        {"{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"", "\",\"typ\":\"at+jwt\"}"},
        {"{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"", "\"} x"},
        {"{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"", "\""},
        {"{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\"}", ""},
        {"[\"EdDSA\",\"", "\"]"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char h[512];
        snprintf(h, sizeof(h), "%s%s%s", bad[i][0], i == 8 ? "" : kid, bad[i][1]);
        char *ft = forge(f->kr, kid, h, GOOD_PAYLOAD);
        if (verify(f->kr, ft) != TOKEN_MALFORMED)
            print_error("header accepted: %s\n", h);
        assert_int_equal(verify(f->kr, ft), TOKEN_MALFORMED);
        free(ft);
    }
    /* other string members are allowed */
    char h[512];
    snprintf(h, sizeof(h), "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"%s\",\"cty\":\"x\"}",
             kid);
    char *ft = forge(f->kr, kid, h, GOOD_PAYLOAD);
    assert_int_equal(verify(f->kr, ft), TOKEN_VALID);
    free(ft);
    free(kid);
    free(t);
}

static void test_bad_claims(void **state)
{
    struct fx *f = *state;
    char *t = sign_new(f->kr, 0);
    char *kid = kid_of(t);
    char *h = header_for("EdDSA", "at+jwt", kid);
    const char *payloads[] = {
        "{\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\",\"iat\":1,"
        "\"jti\":\"j\"}", /* no iss */
        "{\"iss\":\"i\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\",\"iat\":1,"
        "\"jti\":\"j\"}", /* no sub */
        "{\"iss\":\"i\",\"sub\":\"c\",\"account\":\"a\",\"scope\":\"s\",\"iat\":1,"
        "\"jti\":\"j\"}", /* no client_id */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"scope\":\"s\",\"iat\":1,"
        "\"jti\":\"j\"}", /* no account */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"iat\":1,"
        "\"jti\":\"j\"}", /* no scope */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"jti\":\"j\"}", /* no iat */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":1}", /* no jti */
        "{\"iss\":\"i\",\"sub\":\"d\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":1,\"jti\":\"j\"}", /* sub != client_id */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":\"1\",\"jti\":\"j\"}", /* iat a string */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":1.5,\"jti\":\"j\"}", /* iat not an integer */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":1,\"jti\":\"j\",\"exp\":0}", /* exp 0 */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":1,\"jti\":\"j\",\"exp\":null}",
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":1,"
        "\"iat\":1,\"jti\":\"j\"}", /* scope a number */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":1,\"jti\":\"j\",\"account\":\"b\"}", /* duplicate */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\\u0000b\","
        "\"scope\":\"s\",\"iat\":1,\"jti\":\"j\"}", /* NUL */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":1,\"jti\":\"01234567890123456789012345678901234567890\"}", /* too long */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"\",\"scope\":\"s\","
        "\"iat\":1,\"jti\":\"j\"}", /* empty account (found by fuzz_jwt) */
        "{\"iss\":\"i\",\"sub\":\"\",\"client_id\":\"\",\"account\":\"a\",\"scope\":\"s\","
        "\"iat\":1,\"jti\":\"j\"}", /* empty client */
        "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"\","
        "\"iat\":1,\"jti\":\"j\"}", /* empty scope */
        "[1,2]",
        "\"x\"",
        "",
    };
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        char *ft = forge(f->kr, kid, h, payloads[i]);
        struct token_claims out;
        enum token_verdict v = token_verify(f->kr, ft, strlen(ft), NOW, &out);
        if (v != TOKEN_MALFORMED)
            print_error("payload %zu accepted: %s\n", i, payloads[i]);
        assert_int_equal(v, TOKEN_MALFORMED);
        assert_null(out.scope); /* left empty */
        assert_string_equal(out.account, "");
        free(ft);
    }
    free(h);
    free(kid);
    free(t);
}

static void test_shape(void **state)
{
    struct fx *f = *state;
    char *t = sign_new(f->kr, 0);
    char *dot1 = strchr(t, '.'), *dot2 = strrchr(t, '.');
    char buf[4096];
    const char *whole[] = {"", ".", "..", "...", "a.b", "a.b.c.d", "abc"};
    for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
        assert_int_equal(verify(f->kr, whole[i]), TOKEN_MALFORMED);
    snprintf(buf, sizeof(buf), "%s.", t); /* extra dot */
    assert_int_equal(verify(f->kr, buf), TOKEN_MALFORMED);
    snprintf(buf, sizeof(buf), "%s.%s", t, dot2 + 1); /* four parts */
    assert_int_equal(verify(f->kr, buf), TOKEN_MALFORMED);
    snprintf(buf, sizeof(buf), ".%s", t);
    assert_int_equal(verify(f->kr, buf), TOKEN_MALFORMED);
    snprintf(buf, sizeof(buf), "%.*s.%s", (int)(dot1 - t), t, dot1); /* empty payload */
    assert_int_equal(verify(f->kr, buf), TOKEN_MALFORMED);
    snprintf(buf, sizeof(buf), "%.*s", (int)(dot2 - t + 1), t); /* empty signature */
    assert_int_equal(verify(f->kr, buf), TOKEN_MALFORMED);
    snprintf(buf, sizeof(buf), "%s==", t); /* padding */
    assert_int_equal(verify(f->kr, buf), TOKEN_MALFORMED);
    snprintf(buf, sizeof(buf), " %s", t);
    assert_int_equal(verify(f->kr, buf), TOKEN_MALFORMED);
    snprintf(buf, sizeof(buf), "%.*s+%s", (int)(dot2 - t + 1), t, dot2 + 2);
    assert_int_equal(verify(f->kr, buf), TOKEN_MALFORMED);
    /* signature one byte too long */
    snprintf(buf, sizeof(buf), "%sAA", t);
    assert_int_equal(verify(f->kr, buf), TOKEN_BAD_SIGNATURE);

    /* 10 KB of garbage, and 10 KB of dots and base64 letters */
    char *big = malloc(10 * 1024 + 1);
    for (size_t i = 0; i < 10 * 1024; i++)
        big[i] = (char)(i * 7 + 3);
    big[10 * 1024] = 0;
    assert_int_equal(token_verify(f->kr, big, 10 * 1024, NOW, &(struct token_claims){0}),
                     TOKEN_MALFORMED);
    memset(big, 'A', 10 * 1024);
    big[100] = '.';
    big[200] = '.';
    assert_int_equal(verify(f->kr, big), TOKEN_MALFORMED);
    free(big);

    /* a validly signed token longer than the cap (a long header member) */
    char *kid = kid_of(t);
    char *h = malloc(8192);
    snprintf(h, 8192, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"%s\",\"cty\":\"%06000d\"}",
             kid, 0);
    char *ft = forge(f->kr, kid, h, GOOD_PAYLOAD);
    assert_true(strlen(ft) > 8192);
    assert_int_equal(verify(f->kr, ft), TOKEN_MALFORMED);
    free(ft);
    free(h);
    free(kid);
    free(t);
}

static void test_unknown_alg(void **state)
{
    struct fx *f = *state;
    struct token_claims c;
    struct buf b;
    claims_fill(&c, 0);
    buf_init(&b, 4096);
    assert_int_equal(token_sign(f->kr, "RS256", &c, &b), RC_EINVAL);
    assert_int_equal(token_sign(f->kr, "none", &c, &b), RC_EINVAL);
    assert_int_equal(token_sign(f->kr, "es256", &c, &b), RC_EINVAL);    /* names are exact */
    assert_int_equal(token_sign(f->kr, "ES256", &c, &b), RC_ENOTFOUND); /* no key of it yet */
    assert_int_equal(b.len, 0);
    assert_int_equal(keyring_rotate(f->kr, "RS256", NULL), RC_EINVAL);
    assert_int_equal(keyring_rotate(f->kr, "HS256", NULL), RC_EINVAL);
    assert_int_equal(f->st->n, 1);
    struct keyring *kr = (struct keyring *)(uintptr_t)1;
    assert_int_equal(keyring_open(&f->st->base, server_key, "HS256", &kr), RC_EINVAL);
    assert_ptr_equal(kr, (struct keyring *)(uintptr_t)1);
    buf_cleanup(&b);
    token_claims_cleanup(&c);
}

/* ---- the key ring ------------------------------------------------------------------------ */

static void test_stored_key(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->st->n, 1); /* created on first open */
    const struct store_signing_key *row = &f->st->keys[0];
    assert_string_equal(row->alg, "EdDSA");
    assert_int_equal(row->public_len, 32);
    assert_int_equal(row->sealed_len, 24 + 16 + 64);
    assert_int_equal(strlen(row->kid), 43);
    assert_true(row->created_at > 0);
    /* RFC 7638 §3.1 thumbprint, computed here independently */
    char *x = b64(row->public_key, 32);
    char json[128];
    int n = snprintf(json, sizeof(json), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
    uint8_t hash[32];
    crypto_hash_sha256(hash, (const uint8_t *)json, (size_t)n);
    char *kid = b64(hash, 32);
    assert_string_equal(row->kid, kid);
    /* the private half is not in the clear */
    uint8_t sealed_plain_check[64];
    assert_int_equal(crypto_secretbox_open_easy(sealed_plain_check, row->sealed_private + 24, 80,
                                                row->sealed_private, server_key),
                     0);
    assert_memory_equal(sealed_plain_check + 32, row->public_key, 32);
    assert_null(memmem(row->sealed_private, row->sealed_len, sealed_plain_check, 32));
    sodium_memzero(sealed_plain_check, sizeof(sealed_plain_check));
    free(kid);
    free(x);
    /* a second open of the same store creates nothing */
    struct keyring *kr2 = NULL;
    assert_int_equal(ring_open(&f->st->base, "EdDSA", &kr2), 0);
    assert_int_equal(f->st->n, 1);
    keyring_free(kr2);
    keyring_free(NULL);
}

static void test_rotation(void **state)
{
    struct fx *f = *state;
    char *t1 = sign_new(f->kr, NOW + 3600);
    char *kid1 = kid_of(t1);
    char kid2[STORE_KID_SIZE] = "";
    assert_int_equal(keyring_rotate(f->kr, "EdDSA", kid2), 0);
    assert_int_equal(f->st->n, 2);
    assert_string_not_equal(kid1, kid2);
    assert_true(f->st->keys[1].created_at > f->st->keys[0].created_at);
    char *t2 = sign_new(f->kr, NOW + 3600);
    char *k2 = kid_of(t2);
    assert_string_equal(k2, kid2); /* the new key signs at once */
    assert_int_equal(verify(f->kr, t1), TOKEN_VALID);
    assert_int_equal(verify(f->kr, t2), TOKEN_VALID);

    /* a third rotation in the same second still moves forward */
    char kid3[STORE_KID_SIZE];
    assert_int_equal(keyring_rotate(f->kr, "EdDSA", kid3), 0);
    char *t3 = sign_new(f->kr, 0);
    char *k3 = kid_of(t3);
    assert_string_equal(k3, kid3);

    /* a restart: a new ring on the same store verifies every token, signs with the newest */
    struct keyring *kr2 = NULL;
    assert_int_equal(ring_open(&f->st->base, "EdDSA", &kr2), 0);
    assert_int_equal(verify(kr2, t1), TOKEN_VALID);
    assert_int_equal(verify(kr2, t2), TOKEN_VALID);
    assert_int_equal(verify(kr2, t3), TOKEN_VALID);
    char *t4 = sign_new(kr2, 0);
    char *k4 = kid_of(t4);
    assert_string_equal(k4, kid3);
    assert_int_equal(verify(f->kr, t4), TOKEN_VALID);
    keyring_free(kr2);

    free(t1);
    free(t2);
    free(t3);
    free(t4);
    free(kid1);
    free(k2);
    free(k3);
    free(k4);
}

static void test_refresh(void **state)
{
    struct fx *f = *state;
    struct keyring *other = NULL; /* another instance on the same store */
    assert_int_equal(ring_open(&f->st->base, "EdDSA", &other), 0);

    int calls = f->st->list_calls;
    assert_int_equal(keyring_refresh(f->kr), 0);
    assert_int_equal(f->st->list_calls, calls); /* nothing changed: no reload */

    char kid[STORE_KID_SIZE];
    assert_int_equal(keyring_rotate(other, "EdDSA", kid), 0);
    char *t = sign_new(other, 0);
    char *t0 = sign_new(f->kr, 0);
    char *k0 = kid_of(t0);
    assert_string_not_equal(k0, kid); /* not seen yet: the old key signs here */
    assert_int_equal(keyring_refresh(f->kr), 0);
    assert_int_equal(f->st->list_calls, calls + 2); /* rotate's reload, then ours */
    assert_int_equal(verify(f->kr, t), TOKEN_VALID);
    char *t2 = sign_new(f->kr, 0);
    char *k2 = kid_of(t2);
    assert_string_equal(k2, kid); /* the newest key signs here too */
    assert_int_equal(keyring_refresh(f->kr), 0);
    assert_int_equal(f->st->list_calls, calls + 2);

    /* another change to the store (not a key) reloads, harmlessly */
    f->st->revision++;
    assert_int_equal(keyring_refresh(f->kr), 0);
    assert_int_equal(f->st->list_calls, calls + 3);
    assert_int_equal(verify(f->kr, t), TOKEN_VALID);

    keyring_free(other);
    free(t);
    free(t0);
    free(k0);
    free(t2);
    free(k2);
}

/* A structurally sound token naming kid, with a signature no key made. malloc'd. */
static char *unknown_kid_token(const char *kid)
{
    char *h = header_for("EdDSA", "at+jwt", kid);
    char *h64 = b64(h, strlen(h)), *p64 = b64(GOOD_PAYLOAD, strlen(GOOD_PAYLOAD));
    uint8_t sig[64] = {0};
    char *s64 = b64(sig, sizeof(sig));
    size_t n = strlen(h64) + strlen(p64) + strlen(s64) + 3;
    char *t = malloc(n);
    snprintf(t, n, "%s.%s.%s", h64, p64, s64);
    free(h);
    free(h64);
    free(p64);
    free(s64);
    return t;
}

/* At most what the rate limit allows since t0_us (the burst, then one per interval, plus
 * one for the interval under way). */
static void assert_within_limit(int looks, int64_t t0_us)
{
    int64_t allowed = KEYRING_CATCH_UP_BURST + (time_mono_us() - t0_us) / KEYRING_CATCH_UP_US + 1;
    assert_true(looks >= 1);
    assert_true(looks <= allowed);
}

/* A key another instance has just made verifies here at once, and is in the JWKS: a kid the
 * ring does not know makes it look at the store, as does the JWKS. Made-up kids cost at
 * most what the rate limit allows, and a look begun after a miss answers it for free. */
static void test_catch_up(void **state)
{
    struct fx *f = *state;
    struct keyring *other = NULL; /* another instance on the same store */
    assert_int_equal(ring_open(&f->st->base, "EdDSA", &other), 0);
    char kid[STORE_KID_SIZE];
    assert_int_equal(keyring_rotate(other, NULL, kid), 0);
    char *t = sign_new(other, NOW + 60), *k = kid_of(t);
    assert_string_equal(k, kid);
    int revs = f->st->revision_calls, lists = f->st->list_calls;
    assert_int_equal(verify(f->kr, t), TOKEN_VALID);
    assert_int_equal(f->st->list_calls, lists + 1);    /* one reload */
    assert_int_equal(f->st->revision_calls, revs + 2); /* the look's, then the reload's */
    assert_int_equal(verify(f->kr, t), TOKEN_VALID);   /* known now: nothing read */
    assert_int_equal(f->st->revision_calls, revs + 2);
    char *t2 = sign_new(f->kr, 0), *k2 = kid_of(t2);
    assert_string_equal(k2, kid); /* and it signs here too */

    /* the JWKS looks at the store first */
    assert_int_equal(keyring_rotate(other, NULL, kid), 0);
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(keyring_jwks(f->kr, &b), 0);
    assert_non_null(strstr(buf_str(&b), kid));

    /* made-up kids: the store's revision is read at most as the limit allows, and nothing
     * is reloaded since it did not move */
    lists = f->st->list_calls;
    revs = f->st->revision_calls;
    int64_t t0 = time_mono_us();
    for (int i = 0; i < 2000; i++) {
        char made_up[32];
        snprintf(made_up, sizeof(made_up), "made-up-%d", i);
        char *u = unknown_kid_token(made_up);
        assert_int_equal(verify(f->kr, u), TOKEN_BAD_SIGNATURE);
        free(u);
    }
    assert_within_limit(f->st->revision_calls - revs, t0);
    assert_int_equal(f->st->list_calls, lists);
    /* the JWKS has a limit of its own: a flood of unknown kids cannot keep it stale */
    assert_int_equal(keyring_rotate(other, NULL, kid), 0);
    buf_reset(&b);
    assert_int_equal(keyring_jwks(f->kr, &b), 0);
    assert_non_null(strstr(buf_str(&b), kid));
    revs = f->st->revision_calls;
    t0 = time_mono_us();
    for (int i = 0; i < 2000; i++) {
        buf_reset(&b);
        assert_int_equal(keyring_jwks(f->kr, &b), 0);
    }
    assert_within_limit(f->st->revision_calls - revs, t0);

    /* a look begun after the miss (here a refresh) answers it without reading */
    int64_t seen = time_mono_us();
    assert_int_equal(keyring_refresh(f->kr), 0);
    revs = f->st->revision_calls;
    assert_true(keyring_catch_up(f->kr, seen));
    assert_int_equal(f->st->revision_calls, revs);
    /* a slot later, a real new kid is found again */
    assert_int_equal(keyring_rotate(other, NULL, kid), 0);
    char *t3 = sign_new(other, NOW + 60);
    usleep(KEYRING_CATCH_UP_US);
    assert_int_equal(verify(f->kr, t3), TOKEN_VALID);

    buf_cleanup(&b);
    keyring_free(other);
    free(t);
    free(k);
    free(t2);
    free(k2);
    free(t3);
}

/* Two instances create the first key at once: the store ends up with two keys. */
static void test_first_key_race(void **state)
{
    (void)state;
    struct fake_store *a = fake_new(), *b = fake_new();
    struct keyring *kra = NULL, *krb = NULL;
    assert_int_equal(ring_open(&a->base, "EdDSA", &kra), 0);
    assert_int_equal(ring_open(&b->base, "EdDSA", &krb), 0);
    char *tb = sign_new(krb, 0);
    /* b's key lands in a's store too, added after a's own */
    b->keys[0].created_at = a->keys[0].created_at;
    assert_int_equal(fake_key_add(&a->base, &b->keys[0]), 0);
    char *ta = sign_new(kra, 0);
    assert_int_equal(keyring_refresh(kra), 0);
    assert_int_equal(verify(kra, ta), TOKEN_VALID);
    assert_int_equal(verify(kra, tb), TOKEN_VALID);
    /* same created_at: the one listed later signs, in every instance */
    char *t = sign_new(kra, 0);
    char *k = kid_of(t);
    assert_string_equal(k, b->keys[0].kid);
    struct keyring *kr2 = NULL;
    assert_int_equal(ring_open(&a->base, "EdDSA", &kr2), 0);
    assert_int_equal(a->n, 2);
    char *t2 = sign_new(kr2, 0);
    char *k2 = kid_of(t2);
    assert_string_equal(k2, k);
    keyring_free(kr2);
    keyring_free(kra);
    keyring_free(krb);
    free(a);
    free(b);
    free(ta);
    free(tb);
    free(t);
    free(k);
    free(t2);
    free(k2);
}

static void test_wrong_server_key(void **state)
{
    struct fx *f = *state;
    uint8_t other[32];
    memcpy(other, server_key, 32);
    other[31] ^= 1;
    struct keyring *kr = (struct keyring *)(uintptr_t)1;
    fprintf(stderr, "expected log line follows:\n");
    assert_int_equal(keyring_open(&f->st->base, other, NULL, &kr), RC_ECRYPTO);
    assert_ptr_equal(kr, (struct keyring *)(uintptr_t)1); /* untouched */
    assert_int_equal(f->st->n, 1);                        /* no key created */

    /* a refresh that meets a key it cannot unseal keeps the keys it had */
    struct fake_store *st = f->st;
    struct store_signing_key row = st->keys[0];
    row.sealed_private[30] ^= 1;
    row.kid[0] = 'Z';
    char *t = sign_new(f->kr, 0);
    assert_int_equal(fake_key_add(&st->base, &row), 0);
    assert_int_equal(keyring_refresh(f->kr), RC_ECRYPTO);
    assert_int_equal(verify(f->kr, t), TOKEN_VALID);
    free(t);

    /* a stored public half that does not match the private one */
    struct fake_store *st2 = fake_new();
    row = st->keys[0];
    row.public_key[0] ^= 1;
    assert_int_equal(fake_key_add(&st2->base, &row), 0);
    assert_int_equal(keyring_open(&st2->base, server_key, NULL, &kr), RC_ECRYPTO);
    free(st2);
}

static void test_jwks(void **state)
{
    struct fx *f = *state;
    assert_int_equal(keyring_rotate(f->kr, "EdDSA", NULL), 0);
    assert_int_equal(keyring_rotate(f->kr, "EdDSA", NULL), 0);
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(keyring_jwks(f->kr, &b), 0);
    json_error_t err;
    json_t *doc = json_loads(buf_str(&b), JSON_REJECT_DUPLICATES, &err);
    assert_non_null(doc);
    assert_int_equal(json_object_size(doc), 1);
    json_t *keys = json_object_get(doc, "keys");
    assert_int_equal(json_array_size(keys), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *k = json_array_get(keys, i);
        assert_int_equal(json_object_size(k), 6);
        assert_string_equal(json_string_value(json_object_get(k, "kty")), "OKP");
        assert_string_equal(json_string_value(json_object_get(k, "crv")), "Ed25519");
        assert_string_equal(json_string_value(json_object_get(k, "alg")), "EdDSA");
        assert_string_equal(json_string_value(json_object_get(k, "use")), "sig");
        assert_string_equal(json_string_value(json_object_get(k, "kid")), f->st->keys[i].kid);
        const char *x = json_string_value(json_object_get(k, "x"));
        uint8_t pub[32];
        size_t n = 0;
        assert_int_equal(base64url_decode(x, strlen(x), pub, sizeof(pub), &n), 0);
        assert_int_equal(n, 32);
        assert_memory_equal(pub, f->st->keys[i].public_key, 32);
        assert_null(json_object_get(k, "d"));
    }
    /* the member order asked for */
    const char *start = "{\"keys\":[{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"";
    assert_int_equal(strncmp(buf_str(&b), start, strlen(start)), 0);
    json_decref(doc);
    /* a cap too small leaves the buffer as it was */
    struct buf small;
    buf_init(&small, 100);
    assert_int_equal(keyring_jwks(f->kr, &small), RC_ELIMIT);
    assert_int_equal(small.len, 0);
    buf_cleanup(&small);
    buf_cleanup(&b);
}

/* ---- on the real SQLite store ------------------------------------------------------------ */

static void test_sqlite_store(void **state)
{
    (void)state;
    struct tmpdb d;
    tmpdb_make(&d);
    struct store *st = sqlite_open(&d);
    struct keyring *kr = NULL, *other = NULL;
    assert_int_equal(ring_open(st, "EdDSA", &kr), 0);
    assert_int_equal(ring_open(st, "EdDSA", &other), 0); /* a second instance */
    char *t1 = sign_new(kr, NOW + 3600);
    char *kid1 = kid_of(t1);
    char kid2[STORE_KID_SIZE];
    assert_int_equal(keyring_rotate(kr, "EdDSA", kid2), 0);
    char *t2 = sign_new(kr, 0);
    char *k2 = kid_of(t2);
    assert_string_equal(k2, kid2);
    assert_string_not_equal(kid1, kid2);
    /* the other instance verifies the new key's token at once: it looks at the store for a
     * kid it does not know */
    assert_int_equal(verify(other, t2), TOKEN_VALID);
    assert_int_equal(keyring_refresh(other), 0);
    char *t3 = sign_new(other, 0);
    char *k3 = kid_of(t3);
    assert_string_equal(k3, kid2);
    keyring_free(other);
    keyring_free(kr);
    store_close(st);

    /* restart: everything from the file */
    st = sqlite_open(&d);
    assert_int_equal(ring_open(st, "EdDSA", &kr), 0);
    assert_int_equal(verify(kr, t1), TOKEN_VALID);
    assert_int_equal(verify(kr, t2), TOKEN_VALID);
    char *t4 = sign_new(kr, 0);
    char *k4 = kid_of(t4);
    assert_string_equal(k4, kid2);
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(keyring_jwks(kr, &b), 0);
    assert_non_null(strstr(buf_str(&b), kid1));
    assert_non_null(strstr(buf_str(&b), kid2));
    buf_cleanup(&b);
    keyring_free(kr);

    uint8_t wrong[32];
    memcpy(wrong, server_key, 32);
    wrong[0] ^= 0x80;
    assert_int_equal(keyring_open(st, wrong, NULL, &kr), RC_ECRYPTO);
    store_close(st);
    tmpdb_remove(&d);
    free(t1);
    free(t2);
    free(t3);
    free(t4);
    free(kid1);
    free(k2);
    free(k3);
    free(k4);
}

/* ---- threads ----------------------------------------------------------------------------- */

#define WORK_N 200

struct worker {
    struct keyring *kr;
    int failures;
    char kid[WORK_N][STORE_KID_SIZE]; /* what signed each token */
    int64_t exp[WORK_N];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < WORK_N; i++) {
        w->exp[i] = i % 3 ? NOW + i * 100 : 0;
        char *t = sign_alg(w->kr, i % 2 ? "ES256" : "EdDSA", w->exp[i]);
        char *kid = kid_of(t);
        snprintf(w->kid[i], sizeof(w->kid[i]), "%s", kid);
        if (verify(w->kr, t) != TOKEN_VALID)
            w->failures++;
        free(kid);
        free(t);
        if (keyring_refresh(w->kr) != 0)
            w->failures++;
    }
    return NULL;
}

/* Signers of both algorithms, verifiers and refreshers in parallel with rotations of both
 * and the reservations kept ahead. The fake store is not thread-safe, but the ring touches
 * it only under its loader lock. */
static void test_threads(void **state)
{
    struct fx *f = *state;
    pthread_t th[4];
    struct worker *w = calloc(4, sizeof(*w));
    assert_int_equal(keyring_rotate(f->kr, "ES256", NULL), 0);
    for (int i = 0; i < 4; i++) {
        w[i].kr = f->kr;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        assert_int_equal(keyring_rotate(f->kr, i % 2 ? "ES256" : "EdDSA", NULL), 0);
        assert_int_equal(keyring_reserve_ahead(f->kr), 0);
        usleep(2000);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(f->st->n, 8);
    /* every token was covered by its key's reservation in the store */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < WORK_N; j++) {
            const struct store_signing_key *row = fake_row(f->st, w[i].kid[j]);
            assert_non_null(row);
            if (w[i].exp[j])
                assert_true(row->max_exp >= w[i].exp[j]);
            else
                assert_true(row->signed_non_expiring);
        }
    free(w);
}

/* ---- cost -------------------------------------------------------------------------------- */

static void test_timing(void **state)
{
    struct fx *f = *state;
    enum { N = 2000 };
    struct buf b;
    double sign_us, verify_us;
    buf_init(&b, 4096);
    time_token_ops(f->kr, N, &b, &sign_us, &verify_us);
    int64_t t2 = time_mono_us();
    /* the bare Ed25519 operations on the same input, for the overhead of the JWS code */
    uint8_t pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    for (int i = 0; i < N; i++)
        crypto_sign_detached(sig, NULL, (const uint8_t *)b.data, b.len - 87, sk);
    int64_t t3 = time_mono_us();
    for (int i = 0; i < N; i++)
        assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)b.data, b.len - 87, pk),
                         0);
    int64_t t4 = time_mono_us();
    printf("token_sign: %.1f us/op, token_verify: %.1f us/op (%d ops, %zu-byte token); "
           "bare Ed25519 sign %.1f us, verify %.1f us\n",
           sign_us, verify_us, N, b.len, (double)(t3 - t2) / N, (double)(t4 - t3) / N);
    sodium_memzero(sk, sizeof(sk));
    buf_cleanup(&b);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    time_init();
    log_set_level(LOG_WARN); /* key creation is logged at info: too chatty here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_vectors),
        cmocka_unit_test(test_b64_rejects),
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alg_confusion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typ, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_claims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_alg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stored_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catch_up, setup, teardown),
        cmocka_unit_test(test_first_key_race),
        cmocka_unit_test_setup_teardown(test_wrong_server_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jwks, setup, teardown),
        cmocka_unit_test(test_sqlite_store),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
