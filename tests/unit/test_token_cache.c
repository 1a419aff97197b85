/* SPDX-License-Identifier: MIT */
/* Unit tests of the verified-token cache (oauth/token_cache.c) and of oauth_token_check()
 * over it: a hit gives the entry that was added, a miss nothing; tokens whose keyed hashes
 * collide are told apart by their bytes; a full stripe drops its least recently used entry
 * only, and a reader keeps an evicted entry; and a token checked once, so cached, is still
 * refused at once when its key is retired, when it expires, when it is revoked on its own and
 * when its access is revoked — with the cache hit on the way. */
#include "token_fixture.h"

#include <pthread.h>

#include "common/log.h"
#include "oauth/revoked_tokens.h"
#include "oauth/token_cache.c"
#include "oauth/token_check.h"

/* ---- the cache alone ------------------------------------------------------------------- */

/* An entry for token with the hash h (forced: collisions on demand), its claims naming jti. */
static struct verified_token *entry_with_hash(uint64_t h, const char *token, const char *jti)
{
    struct token_claims claims = {0};
    claims.scope = strdup("campaign.read env:*");
    snprintf(claims.jti, sizeof(claims.jti), "%s", jti);
    struct verified_token *v = entry_new_hashed(h, token, strlen(token), &claims);
    assert_null(claims.scope); /* moved */
    assert_int_equal(scope_parse(v->claims.scope, &v->scope), 0);
    return v;
}

static struct verified_token *lookup(struct token_cache *c, uint64_t h, const char *token)
{
    return get_hashed(c, h, token, strlen(token));
}

static void test_hit_and_miss(void **state)
{
    (void)state;
    struct token_cache *c = token_cache_new(1024, 1 << 20);
    struct token_claims claims;
    claims_fill(&claims, NOW + 60);
    const char *tok = "aaa.bbb.ccc";
    assert_null(token_cache_get(c, tok, strlen(tok)));

    struct verified_token *v = token_cache_entry_new(c, tok, strlen(tok), &claims);
    assert_null(token_cache_get(c, tok, strlen(tok))); /* made, not added */
    token_cache_add(c, v);
    struct verified_token *hit = token_cache_get(c, tok, strlen(tok));
    assert_ptr_equal(hit, v);
    assert_string_equal(hit->claims.jti, "jti-0123456789");
    assert_null(token_cache_get(c, "aaa.bbb.ccd", 11));
    assert_null(token_cache_get(c, tok, strlen(tok) - 1)); /* a prefix is another token */
    token_cache_add(c, v);                                 /* twice: one entry */

    struct token_cache_stats st;
    token_cache_stats(c, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 4);
    assert_true(st.bytes > strlen(tok));

    token_cache_remove(c, v);
    assert_null(token_cache_get(c, tok, strlen(tok)));
    assert_string_equal(hit->claims.jti, "jti-0123456789"); /* still ours */
    token_cache_put(hit);
    token_cache_put(v);
    token_cache_free(c);
    token_claims_cleanup(&claims);
}

static void test_colliding_hashes_compare_the_whole_token(void **state)
{
    (void)state;
    struct token_cache *c = token_cache_new(1024, 1 << 20);
    const uint64_t h = 0x1234567887654321u;
    struct verified_token *a = entry_with_hash(h, "header.payload-a.sig", "a");
    struct verified_token *b = entry_with_hash(h, "header.payload-b.sig", "b");
    token_cache_add(c, a);
    token_cache_add(c, b); /* same stripe, same bucket */

    struct verified_token *got = lookup(c, h, "header.payload-a.sig");
    assert_ptr_equal(got, a);
    token_cache_put(got);
    got = lookup(c, h, "header.payload-b.sig");
    assert_ptr_equal(got, b);
    token_cache_put(got);
    /* a forged token that lands on the same index never hits */
    assert_null(lookup(c, h, "header.payload-c.sig"));
    assert_null(lookup(c, h, "header.payload-a.si"));
    assert_null(lookup(c, h, "header.payload-a.sig."));

    token_cache_put(a);
    token_cache_put(b);
    token_cache_free(c);
}

static void test_eviction_drops_the_least_recently_used(void **state)
{
    (void)state;
    /* two entries per stripe; hashes that are multiples of STRIPES all land in stripe 0 */
    struct token_cache *c = token_cache_new(2 * STRIPES, 1 << 20);
    struct verified_token *e1 = entry_with_hash(1 * STRIPES, "t1", "1");
    struct verified_token *e2 = entry_with_hash(2 * STRIPES, "t2", "2");
    struct verified_token *e3 = entry_with_hash(3 * STRIPES, "t3", "3");
    struct verified_token *other = entry_with_hash(1, "t4", "4"); /* stripe 1 */
    token_cache_add(c, other);
    token_cache_add(c, e1);
    token_cache_add(c, e2);
    struct verified_token *got = lookup(c, 1 * STRIPES, "t1"); /* e1 is now the newest */
    assert_ptr_equal(got, e1);
    token_cache_put(got);
    token_cache_add(c, e3); /* the stripe is full: e2 goes, and only e2 */

    assert_null(lookup(c, 2 * STRIPES, "t2"));
    assert_non_null(got = lookup(c, 1 * STRIPES, "t1"));
    token_cache_put(got);
    assert_non_null(got = lookup(c, 3 * STRIPES, "t3"));
    token_cache_put(got);
    assert_non_null(got = lookup(c, 1, "t4")); /* other stripes are left alone */
    token_cache_put(got);
    struct token_cache_stats st;
    token_cache_stats(c, &st);
    assert_int_equal(st.entries, 3);

    /* an evicted entry is still good for whoever holds it */
    assert_string_equal(e2->claims.jti, "2");
    assert_true(action_set_has(&e2->scope.actions, catalog_find("campaign.read", 13)));
    token_cache_put(e1);
    token_cache_put(e2);
    token_cache_put(e3);
    token_cache_put(other);
    token_cache_free(c);
}

static void test_byte_budget(void **state)
{
    (void)state;
    /* room for one entry per stripe by bytes, whatever the entry count allows */
    struct token_cache *c = token_cache_new(1024, STRIPES * (sizeof(struct entry) + 200));
    struct verified_token *e1 = entry_with_hash(STRIPES, "t1", "1");
    struct verified_token *e2 = entry_with_hash(2 * STRIPES, "t2", "2");
    token_cache_add(c, e1);
    token_cache_add(c, e2);
    assert_null(lookup(c, STRIPES, "t1"));
    struct verified_token *got = lookup(c, 2 * STRIPES, "t2");
    assert_ptr_equal(got, e2);
    token_cache_put(got);
    struct token_cache_stats st;
    token_cache_stats(c, &st);
    assert_int_equal(st.entries, 1);
    assert_true(st.bytes <= sizeof(struct entry) + 200);
    token_cache_put(e1);
    token_cache_put(e2);
    token_cache_free(c);
}

struct worker {
    struct token_cache *c;
    unsigned seed;
};

/* Threads looking up, adding and removing 200 tokens in a cache of 64 (evicting all the
 * time); each entry found must be the one of its token (TSan checks the rest). */
static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 20000; i++) {
        char tok[32];
        snprintf(tok, sizeof(tok), "tok-%d", rand_r(&w->seed) % 200);
        struct verified_token *v = token_cache_get(w->c, tok, strlen(tok));
        if (!v) {
            struct token_claims claims = {0};
            snprintf(claims.jti, sizeof(claims.jti), "%s", tok);
            v = token_cache_entry_new(w->c, tok, strlen(tok), &claims);
            token_cache_add(w->c, v);
        } else if (rand_r(&w->seed) % 10 == 0) {
            token_cache_remove(w->c, v);
        }
        if (strcmp(v->claims.jti, tok))
            return "wrong entry";
        token_cache_put(v);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct token_cache *c = token_cache_new(STRIPES, 1 << 20);
    pthread_t t[4];
    struct worker w[4];
    for (unsigned i = 0; i < 4; i++) {
        w[i] = (struct worker){c, i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        pthread_join(t[i], &ret);
        assert_null(ret);
    }
    struct token_cache_stats st;
    token_cache_stats(c, &st);
    assert_true(st.entries <= STRIPES);
    token_cache_free(c);
}

/* ---- oauth_token_check() over the cache -------------------------------------------------- */

#define CLIENT_ID "4f1c2b9e-0d2a-4c55-9f7e-1b2c3d4e5f60" /* claims_fill's */

static int64_t access_revoked_at; /* the one access of the fake store */
static int access_reads;

static int fake_access_get(struct store *s, const char *client_id, struct store_access *out)
{
    (void)s;
    access_reads++;
    if (strcmp(client_id, CLIENT_ID))
        return RC_ENOTFOUND;
    memset(out, 0, sizeof(*out));
    snprintf(out->client_id, sizeof(out->client_id), "%s", CLIENT_ID);
    snprintf(out->account_id, sizeof(out->account_id), "acme");
    snprintf(out->name, sizeof(out->name), "ci");
    out->actions = strdup("campaign.read");
    out->environments = strdup("");
    out->revoked_at = access_revoked_at;
    return 0;
}

static struct store_ops check_ops;

struct check_fx {
    struct fx keys; /* the ring on the fake store */
    struct app app;
};

static int check_setup(void **state)
{
    struct check_fx *f = calloc(1, sizeof(*f));
    check_ops = fake_ops;
    check_ops.access_get = fake_access_get;
    access_revoked_at = 0;
    f->keys.st = fake_new();
    f->keys.st->base.ops = &check_ops;
    if (ring_open(&f->keys.st->base, "EdDSA", &f->keys.kr) != 0)
        return -1;
    f->app.store = &f->keys.st->base;
    f->app.keys = f->keys.kr;
    f->app.accesses = access_cache_new(f->app.store, 64);
    f->app.revoked = revoked_tokens_new();
    f->app.tokens = token_cache_new(TOKEN_CACHE_ENTRIES, TOKEN_CACHE_BYTES);
    *state = f;
    return 0;
}

static int check_teardown(void **state)
{
    struct check_fx *f = *state;
    token_cache_free(f->app.tokens);
    revoked_tokens_free(f->app.revoked);
    access_cache_free(f->app.accesses);
    keyring_free(f->keys.kr);
    free(f->keys.st);
    free(f);
    return 0;
}

static enum token_check_result check(struct app *app, const char *tok, int64_t now)
{
    struct token_check c;
    enum token_check_result r = oauth_token_check(app, tok, now, &c);
    if (r == TOKEN_CHECK_VALID) {
        assert_string_equal(c.claims->client_id, CLIENT_ID);
        assert_true(c.scope->all_envs);
        assert_non_null(c.access);
    }
    token_check_cleanup(app, &c);
    return r;
}

static uint64_t hits(struct app *app)
{
    struct token_cache_stats st;
    token_cache_stats(app->tokens, &st);
    return st.hits;
}

/* Checked once (a miss, then cached) and once more (a hit): valid both times. */
static void check_twice(struct app *app, const char *tok)
{
    uint64_t before = hits(app);
    assert_int_equal(check(app, tok, NOW), TOKEN_CHECK_VALID);
    assert_int_equal(check(app, tok, NOW), TOKEN_CHECK_VALID);
    assert_int_equal(hits(app), before + 1);
}

static void test_check_hits_and_never_caches_failures(void **state)
{
    struct check_fx *f = *state;
    char *tok = sign_new(f->keys.kr, NOW + 60);
    check_twice(&f->app, tok);

    /* a forged twin (one signature bit flipped) is verified, refused, and not cached */
    char *forged = strdup(tok);
    size_t n = strlen(forged);
    forged[n - 2] = forged[n - 2] == 'A' ? 'B' : 'A';
    uint64_t before = hits(&f->app);
    assert_int_equal(check(&f->app, forged, NOW), TOKEN_CHECK_BAD_SIGNATURE);
    assert_int_equal(check(&f->app, forged, NOW), TOKEN_CHECK_BAD_SIGNATURE);
    assert_int_equal(hits(&f->app), before);
    /* neither a token of an unknown access */
    struct token_claims c;
    claims_fill(&c, NOW + 60);
    snprintf(c.client_id, sizeof(c.client_id), "00000000-0000-4000-8000-000000000000");
    char *stranger = sign(f->keys.kr, &c);
    token_claims_cleanup(&c);
    assert_int_equal(check(&f->app, stranger, NOW), TOKEN_CHECK_REVOKED);
    assert_int_equal(check(&f->app, stranger, NOW), TOKEN_CHECK_REVOKED);
    assert_int_equal(hits(&f->app), before);
    struct token_cache_stats st;
    token_cache_stats(f->app.tokens, &st);
    assert_int_equal(st.entries, 1);
    free(stranger);
    free(forged);
    free(tok);
}

static void test_check_retired_key(void **state)
{
    struct check_fx *f = *state;
    char *tok = sign_new(f->keys.kr, NOW + 60);
    check_twice(&f->app, tok);
    char *kid = kid_of(tok);
    char kid2[STORE_KID_SIZE];
    bool newly = false;
    assert_int_equal(keyring_rotate(f->keys.kr, NULL, kid2), 0);
    assert_int_equal(check(&f->app, tok, NOW), TOKEN_CHECK_VALID); /* superseded, published */
    assert_int_equal(keyring_retire(f->keys.kr, kid, &newly), 0);
    assert_true(newly);
    assert_int_equal(check(&f->app, tok, NOW), TOKEN_CHECK_BAD_SIGNATURE);
    assert_int_equal(check(&f->app, tok, NOW), TOKEN_CHECK_BAD_SIGNATURE);
    free(kid);
    free(tok);
}

static void test_check_expiry(void **state)
{
    struct check_fx *f = *state;
    char *tok = sign_new(f->keys.kr, NOW + 60);
    check_twice(&f->app, tok);
    assert_int_equal(check(&f->app, tok, NOW + 59), TOKEN_CHECK_VALID);
    assert_int_equal(check(&f->app, tok, NOW + 60), TOKEN_CHECK_EXPIRED); /* no leeway */
    assert_int_equal(check(&f->app, tok, NOW + 61), TOKEN_CHECK_EXPIRED);
    /* a token without exp stays valid however late */
    char *forever = sign_new(f->keys.kr, 0);
    check_twice(&f->app, forever);
    assert_int_equal(check(&f->app, forever, INT64_MAX), TOKEN_CHECK_VALID);
    free(forever);
    free(tok);
}

static void test_check_denylist_and_access(void **state)
{
    struct check_fx *f = *state;
    char *tok = sign_new(f->keys.kr, NOW + 60);
    check_twice(&f->app, tok);
    assert_int_equal(revoked_tokens_add(f->app.revoked, "jti-0123456789", NOW + 60), 0);
    assert_int_equal(check(&f->app, tok, NOW), TOKEN_CHECK_REVOKED);

    struct token_claims c;
    claims_fill(&c, NOW + 60);
    snprintf(c.jti, sizeof(c.jti), "jti-other");
    char *other = sign(f->keys.kr, &c);
    token_claims_cleanup(&c);
    check_twice(&f->app, other);
    int reads = access_reads;
    access_revoked_at = NOW - 1; /* revoked; the cache learns it as after any admin change */
    access_cache_invalidate(f->app.accesses);
    assert_int_equal(check(&f->app, other, NOW), TOKEN_CHECK_REVOKED);
    assert_int_equal(access_reads, reads + 1);
    free(other);
    free(tok);
}

int main(void)
{
    assert_int_equal(sodium_init() >= 0, 1);
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_miss),
        cmocka_unit_test(test_colliding_hashes_compare_the_whole_token),
        cmocka_unit_test(test_eviction_drops_the_least_recently_used),
        cmocka_unit_test(test_byte_budget),
        cmocka_unit_test(test_threads),
        cmocka_unit_test_setup_teardown(test_check_hits_and_never_caches_failures, check_setup,
                                        check_teardown),
        cmocka_unit_test_setup_teardown(test_check_retired_key, check_setup, check_teardown),
        cmocka_unit_test_setup_teardown(test_check_expiry, check_setup, check_teardown),
        cmocka_unit_test_setup_teardown(test_check_denylist_and_access, check_setup,
                                        check_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
