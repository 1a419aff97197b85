/* SPDX-License-Identifier: MIT */
/* What the unit tests of src/token share (test_token.c, test_token_keys.c): an in-memory
 * fake store of signing keys, the ring opened as `rcauth serve` opens it, token helpers
 * (sign, verify, decode, forge with a ring's own key), fixtures, and temporary SQLite files.
 * Functions are static inline so that each test file takes only what it uses. */
#ifndef RCAUTH_TEST_TOKEN_FIXTURE_H
#define RCAUTH_TEST_TOKEN_FIXTURE_H

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
#include <sodium.h>

#include "common/timeutil.h"
#include "token/keyring_int.h"
#include "token/token.h"

#define NOW 1800000000

#define RESERVE 3600 /* the reservation horizon of the rings opened here (--key-reserve) */

/* ---- a fake store: signing keys and the revision only ---------------------------------- */

struct fake_store {
    struct store base;
    struct store_signing_key keys[32];
    size_t n;
    int64_t revision;
    int revision_calls;
    int list_calls;
    int note_calls; /* reservations written (or tried) */
    int note_fail;  /* when non-zero, signing_key_note fails with it */
};

static inline int fake_revision(struct store *s, int64_t *out)
{
    struct fake_store *fs = (struct fake_store *)s;
    fs->revision_calls++;
    *out = fs->revision;
    return 0;
}

static inline int fake_key_add(struct store *s, const struct store_signing_key *k)
{
    struct fake_store *fs = (struct fake_store *)s;
    if (fs->n == sizeof(fs->keys) / sizeof(fs->keys[0]))
        return RC_ELIMIT;
    fs->keys[fs->n++] = *k;
    fs->revision++;
    return 0;
}

static inline int fake_key_list(struct store *s, store_signing_key_cb cb, void *ctx)
{
    struct fake_store *fs = (struct fake_store *)s;
    fs->list_calls++;
    for (size_t i = 0; i < fs->n; i++)
        if (cb(ctx, &fs->keys[i]))
            break;
    return 0;
}

static inline struct store_signing_key *fake_row(struct fake_store *fs, const char *kid)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->keys[i].kid, kid) == 0)
            return &fs->keys[i];
    return NULL;
}

static inline int fake_key_note(struct store *s, const char *kid, int64_t max_exp,
                                bool non_expiring)
{
    struct fake_store *fs = (struct fake_store *)s;
    struct store_signing_key *k = fake_row(fs, kid);
    fs->note_calls++;
    if (fs->note_fail)
        return fs->note_fail;
    if (k && max_exp > k->max_exp)
        k->max_exp = max_exp;
    if (k && non_expiring)
        k->signed_non_expiring = true;
    return 0;
}

static inline int fake_key_retire(struct store *s, const char *kid, int64_t at)
{
    struct fake_store *fs = (struct fake_store *)s;
    struct store_signing_key *k = fake_row(fs, kid);
    if (!k)
        return RC_ENOTFOUND;
    if (!k->retired_at)
        k->retired_at = at;
    fs->revision++;
    return 0;
}

static const struct store_ops fake_ops = {
    .name = "fake",
    .revision = fake_revision,
    .signing_key_add = fake_key_add,
    .signing_key_list = fake_key_list,
    .signing_key_note = fake_key_note,
    .signing_key_retire = fake_key_retire,
};

static inline struct fake_store *fake_new(void)
{
    struct fake_store *fs = calloc(1, sizeof(*fs));
    assert_non_null(fs);
    fs->base.ops = &fake_ops;
    fs->revision = 1;
    return fs;
}

static const uint8_t server_key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                       23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* ---- helpers ----------------------------------------------------------------------------- */

/* A ring on st that signs with alg, as `rcauth serve` opens it. */
static inline int ring_open(struct store *st, const char *alg, struct keyring **out)
{
    int rc = keyring_open(st, server_key, alg, out);
    if (rc == 0 && (rc = keyring_start_signing(*out, RESERVE)) != 0)
        keyring_free(*out);
    return rc;
}

static inline void claims_fill(struct token_claims *c, int64_t exp)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->iss, sizeof(c->iss), "http://127.0.0.1:8080/acme");
    snprintf(c->client_id, sizeof(c->client_id), "4f1c2b9e-0d2a-4c55-9f7e-1b2c3d4e5f60");
    snprintf(c->account, sizeof(c->account), "acme");
    c->scope = strdup("campaign.read env:*");
    snprintf(c->jti, sizeof(c->jti), "jti-0123456789");
    c->iat = NOW - 10;
    c->exp = exp;
}

/* Sign a token for c; returns a malloc'd string. */
static inline char *sign(struct keyring *kr, const struct token_claims *c)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(token_sign(kr, NULL, c, &b), 0);
    return buf_steal(&b);
}

/* A token signed with the current key of alg (NULL = the ring's); malloc'd. */
static inline char *sign_alg(struct keyring *kr, const char *alg, int64_t exp)
{
    struct token_claims c;
    struct buf b;
    claims_fill(&c, exp);
    buf_init(&b, 1 << 16);
    assert_int_equal(token_sign(kr, alg, &c, &b), 0);
    token_claims_cleanup(&c);
    return buf_steal(&b);
}

static inline char *sign_new(struct keyring *kr, int64_t exp)
{
    return sign_alg(kr, NULL, exp);
}

static inline enum token_verdict verify(struct keyring *kr, const char *jwt)
{
    struct token_claims out;
    enum token_verdict v = token_verify(kr, jwt, strlen(jwt), NOW, &out);
    token_claims_cleanup(&out);
    return v;
}

static inline char *b64(const void *data, size_t len)
{
    char *s = malloc(base64url_encoded_len(len) + 1);
    assert_non_null(s);
    base64url_encode(data, len, s);
    return s;
}

/* Decode one part of a token into a malloc'd NUL-terminated string. */
static inline char *part(const char *jwt, int which)
{
    const char *p = jwt;
    for (int i = 0; i < which; i++)
        p = strchr(p, '.') + 1;
    const char *end = strchr(p, '.');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    uint8_t *out = malloc(len + 1);
    size_t n = 0;
    assert_int_equal(base64url_decode(p, len, out, len, &n), 0);
    out[n] = 0;
    return (char *)out;
}

static inline char *kid_of(const char *jwt)
{
    char *h = part(jwt, 0);
    json_t *j = json_loads(h, 0, NULL);
    char *kid = strdup(json_string_value(json_object_get(j, "kid")));
    json_decref(j);
    free(h);
    return kid;
}

/* header.payload signed with the ring's key for kid (any header, any payload). */
static inline char *forge(struct keyring *kr, const char *kid, const char *header,
                          const char *payload)
{
    char *h = b64(header, strlen(header));
    char *p = b64(payload, strlen(payload));
    size_t len = strlen(h) + 1 + strlen(p);
    char *input = malloc(len + 1 + 200);
    snprintf(input, len + 1, "%s.%s", h, p);
    uint8_t sig[KEY_SIG_MAX];
    size_t sig_len = 0;
    keyring_read_lock(kr);
    const struct key *k = keyring_find(kr, kid);
    assert_non_null(k);
    assert_int_equal(k->alg->sign(k, (const uint8_t *)input, len, sig, &sig_len), 0);
    keyring_read_unlock(kr);
    char *s = b64(sig, sig_len);
    snprintf(input + len, 200, ".%s", s);
    free(s);
    free(h);
    free(p);
    return input;
}

/* header64.payload64 MACed with HS256 under secret: the classic forgery with a public key
 * as the HMAC secret. malloc'd. */
static inline char *hs256_forge(const char *h64, const char *p64, const void *secret, size_t len)
{
    size_t n = strlen(h64) + 1 + strlen(p64);
    char *tok = malloc(n + 64);
    snprintf(tok, n + 1, "%s.%s", h64, p64);
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, secret, len);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)tok, n);
    crypto_auth_hmacsha256_final(&st, mac);
    tok[n] = '.';
    base64url_encode(mac, sizeof(mac), tok + n + 1);
    return tok;
}

static inline char *header_for(const char *alg, const char *typ, const char *kid)
{
    char *h = malloc(512);
    snprintf(h, 512, "{\"alg\":\"%s\",\"typ\":\"%s\",\"kid\":\"%s\"}", alg, typ, kid);
    return h;
}

#define GOOD_PAYLOAD                                                                               \
    "{\"iss\":\"i\",\"sub\":\"c\",\"client_id\":\"c\",\"account\":\"a\",\"scope\":\"s\","          \
    "\"iat\":1,\"jti\":\"j\"}"

/* ---- fixtures ---------------------------------------------------------------------------- */

struct fx {
    struct fake_store *st;
    struct keyring *kr;
};

static inline int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->st = fake_new();
    if (ring_open(&f->st->base, "EdDSA", &f->kr) != 0)
        return -1;
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fx *f = *state;
    keyring_free(f->kr);
    free(f->st);
    free(f);
    return 0;
}

/* Sign N tokens with the ring's algorithm, then verify the last one N times: microseconds
 * per operation. tok receives the token. */
static inline void time_token_ops(struct keyring *kr, int n, struct buf *tok, double *sign_us,
                                  double *verify_us)
{
    struct token_claims c, out;
    claims_fill(&c, NOW + 3600);
    int64_t t0 = time_mono_us();
    for (int i = 0; i < n; i++) {
        buf_reset(tok);
        assert_int_equal(token_sign(kr, NULL, &c, tok), 0);
    }
    int64_t t1 = time_mono_us();
    for (int i = 0; i < n; i++) {
        assert_int_equal(token_verify(kr, tok->data, tok->len, NOW, &out), TOKEN_VALID);
        token_claims_cleanup(&out);
    }
    int64_t t2 = time_mono_us();
    *sign_us = (double)(t1 - t0) / n;
    *verify_us = (double)(t2 - t1) / n;
    token_claims_cleanup(&c);
}

/* ---- temporary SQLite files --------------------------------------------------------------- */

struct tmpdb {
    char dir[64];
    char path[96];
};

static inline void tmpdb_make(struct tmpdb *d)
{
    snprintf(d->dir, sizeof(d->dir), "/tmp/rcauth-test-token-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->path, sizeof(d->path), "%s/rcauth.db", d->dir);
}

static inline void tmpdb_remove(struct tmpdb *d)
{
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s%s", d->path, suffix[i]);
        unlink(p);
    }
    rmdir(d->dir);
}

static inline struct store *sqlite_open(const struct tmpdb *d)
{
    struct store *st = NULL;
    assert_int_equal(store_sqlite_open(d->path, &st), 0);
    assert_int_equal(st->ops->migrate(st), 0);
    return st;
}

#endif
