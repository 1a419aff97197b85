/* SPDX-License-Identifier: MIT */
/* Unit tests of the revoked-token denylist (oauth/revoked_tokens.c) and of the store
 * operations behind it and behind refresh-token revocation (store_sqlite_revoked.c): lookups
 * while the table grows under readers, incremental loading by seq from another handle,
 * pruning of expired rows and of rows of revoked accesses, and chains revoked before or after
 * their first redemption. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "oauth/revoked_tokens.h"
#include "sqlite_fixture.h"
#include "store/store.h"

#define NOW 1800000000

static void jti_of(int i, char *out, size_t size)
{
    snprintf(out, size, "jti-%018d", i);
}

/* Add jti_of(from) … jti_of(to - 1); exp_of(i) gives each expiry. */
static void add_range(struct revoked_tokens *t, int from, int to, int64_t (*exp_of)(int))
{
    char jti[STORE_JTI_SIZE];
    for (int i = from; i < to; i++) {
        jti_of(i, jti, sizeof(jti));
        assert_int_equal(revoked_tokens_add(t, jti, exp_of(i)), 0);
    }
}

static int64_t never(int i)
{
    (void)i;
    return 0;
}

static int64_t odd_ones_expire(int i)
{
    return i % 2 ? NOW + i : 0;
}

/* ---- the in-memory table ------------------------------------------------------------ */

static void test_empty_and_bad_input(void **state)
{
    (void)state;
    struct revoked_tokens *t = revoked_tokens_new();
    assert_false(revoked_tokens_has(t, "anything"));
    assert_false(revoked_tokens_has(t, ""));
    assert_int_equal(revoked_tokens_count(t), 0);
    char long_jti[STORE_JTI_SIZE + 1];
    memset(long_jti, 'x', sizeof(long_jti) - 1);
    long_jti[sizeof(long_jti) - 1] = '\0';
    assert_int_equal(revoked_tokens_add(t, "", 0), RC_EINVAL);
    assert_int_equal(revoked_tokens_add(t, long_jti, 0), RC_EINVAL);
    assert_int_equal(revoked_tokens_count(t), 0);
    revoked_tokens_free(t);
    revoked_tokens_free(NULL);
}

static void test_add_and_lookup(void **state)
{
    (void)state;
    struct revoked_tokens *t = revoked_tokens_new();
    char jti[STORE_JTI_SIZE];
    add_range(t, 0, 5000, odd_ones_expire);
    assert_int_equal(revoked_tokens_add(t, "jti-000000000000000007", 0), 0); /* again */
    assert_int_equal(revoked_tokens_count(t), 5000);
    for (int i = 0; i < 5000; i++) {
        jti_of(i, jti, sizeof(jti));
        assert_true(revoked_tokens_has(t, jti));
        jti_of(i + 5000, jti, sizeof(jti));
        assert_false(revoked_tokens_has(t, jti));
    }
    revoked_tokens_free(t);
}

struct reader {
    struct revoked_tokens *t;
    volatile int *stop;
    long misses;
    long lookups;
};

/* Looks up the 100 entries added before it started: they must never be missing while the
 * writer grows the table (rebuilds) under it. */
static void *reader_main(void *arg)
{
    struct reader *r = arg;
    char jti[STORE_JTI_SIZE];
    /* at least one round: on two busy cores a reader may first run after the writer is done */
    do {
        for (int i = 0; i < 100; i++) {
            jti_of(i, jti, sizeof(jti));
            r->misses += !revoked_tokens_has(r->t, jti);
            r->lookups++;
        }
    } while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE));
    return NULL;
}

static void test_readers_during_growth(void **state)
{
    (void)state;
    struct revoked_tokens *t = revoked_tokens_new();
    add_range(t, 0, 100, never);
    volatile int stop = 0;
    struct reader readers[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        readers[i] = (struct reader){.t = t, .stop = &stop};
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &readers[i]), 0);
    }
    add_range(t, 100, 20000, odd_ones_expire);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(readers[i].misses, 0);
        assert_true(readers[i].lookups > 0);
    }
    assert_int_equal(revoked_tokens_count(t), 20000);
    revoked_tokens_free(t);
}

/* ---- the store and loading ---------------------------------------------------------- */

static int64_t revision(struct store *s)
{
    int64_t r = -1;
    assert_int_equal(s->ops->revision(s, &r), 0);
    return r;
}

static void make_access(struct store *s, const char *client_id)
{
    struct store_account a = {.created_at = 1};
    snprintf(a.id, sizeof(a.id), "acct");
    snprintf(a.name, sizeof(a.name), "acct");
    int rc = s->ops->account_create(s, &a);
    assert_true(rc == 0 || rc == RC_ECONFLICT);
    struct store_access x = {.created_at = 1};
    snprintf(x.client_id, sizeof(x.client_id), "%s", client_id);
    snprintf(x.account_id, sizeof(x.account_id), "acct");
    snprintf(x.name, sizeof(x.name), "access");
    x.environments = "";
    x.actions = "flag.read";
    assert_int_equal(s->ops->access_create(s, &x, NULL), 0);
}

static void add_row(struct store *s, const char *jti, const char *client_id, int64_t exp)
{
    struct store_revoked_token row = {.exp = exp, .revoked_at = NOW};
    snprintf(row.jti, sizeof(row.jti), "%s", jti);
    snprintf(row.client_id, sizeof(row.client_id), "%s", client_id);
    assert_int_equal(s->ops->revoked_token_add(s, &row), 0);
}

struct rows {
    char text[256];
    int64_t last_seq;
};

static int collect(void *ctx, const struct store_revoked_token *row)
{
    struct rows *r = ctx;
    assert_true(row->seq > r->last_seq); /* increasing */
    r->last_seq = row->seq;
    size_t n = strlen(r->text);
    snprintf(r->text + n, sizeof(r->text) - n, "%s%s:%lld", n ? "," : "", row->jti,
             (long long)row->exp);
    return 0;
}

static void list(struct store *s, int64_t after, struct rows *out)
{
    memset(out, 0, sizeof(*out));
    out->last_seq = after;
    assert_int_equal(s->ops->revoked_token_list(s, after, collect, out), 0);
}

static void test_store_rows_and_sync(void **state)
{
    struct fixture *f = *state;
    struct store *s = f->s;
    int64_t rev = revision(s);
    add_row(s, "old", "c1", NOW - 10);
    assert_true(revision(s) > rev); /* other processes must notice */
    add_row(s, "live", "c1", NOW + 100);
    add_row(s, "forever", "c2", 0);
    add_row(s, "live", "c1", NOW + 999); /* the same jti again: the first row stays */
    struct rows r;
    list(s, 0, &r);
    assert_string_equal(r.text, "old:1799999990,live:1800000100,forever:0");
    int64_t all = r.last_seq;

    struct revoked_tokens *t = revoked_tokens_new();
    assert_int_equal(revoked_tokens_sync(t, s, NOW), 0);
    assert_false(revoked_tokens_has(t, "old")); /* dead anyway: not loaded */
    assert_true(revoked_tokens_has(t, "live"));
    assert_true(revoked_tokens_has(t, "forever"));
    assert_int_equal(revoked_tokens_count(t), 2);

    /* another process (handle) adds a row: the next sync loads only what is new */
    struct store *other;
    assert_int_equal(store_sqlite_open(f->path, &other), 0);
    add_row(other, "later", "c2", 0);
    store_close(other);
    list(s, all, &r);
    assert_string_equal(r.text, "later:0");
    assert_int_equal(revoked_tokens_sync(t, s, NOW), 0);
    assert_true(revoked_tokens_has(t, "later"));
    assert_int_equal(revoked_tokens_count(t), 3);
    assert_int_equal(revoked_tokens_sync(t, s, NOW), 0);
    assert_int_equal(revoked_tokens_count(t), 3);
    revoked_tokens_free(t);
}

static void test_prune(void **state)
{
    struct fixture *f = *state;
    struct store *s = f->s;
    make_access(s, "c1");
    make_access(s, "c2");
    add_row(s, "expired", "c1", NOW - 1);
    add_row(s, "at-now", "c1", NOW);
    add_row(s, "live", "c1", NOW + 100);
    add_row(s, "forever-c1", "c1", 0);
    add_row(s, "forever-c2", "c2", 0);
    int64_t removed = -1;
    assert_int_equal(s->ops->revoked_token_prune(s, NOW, &removed), 0);
    assert_int_equal(removed, 2); /* a token is dead the second its exp passes */
    assert_int_equal(s->ops->access_revoke(s, "c2", NOW, NULL), 0);
    assert_int_equal(s->ops->revoked_token_prune(s, NOW, &removed), 0);
    assert_int_equal(removed, 1); /* the revoked access's own check refuses its tokens */
    struct rows r;
    list(s, 0, &r);
    assert_string_equal(r.text, "live:1800000100,forever-c1:0");
    /* pruning never hands a seq out again */
    add_row(s, "new", "c1", 0);
    int64_t before = r.last_seq;
    list(s, before, &r);
    assert_string_equal(r.text, "new:0");
}

static void test_memory_sweep(void **state)
{
    struct fixture *f = *state;
    struct revoked_tokens *t = revoked_tokens_new();
    assert_int_equal(revoked_tokens_add(t, "soon", NOW + 10), 0);
    assert_int_equal(revoked_tokens_add(t, "later", NOW + 30), 0);
    assert_int_equal(revoked_tokens_add(t, "never", 0), 0);
    revoked_tokens_prune(t, f->s, NOW + 10);
    assert_false(revoked_tokens_has(t, "soon"));
    assert_true(revoked_tokens_has(t, "later"));
    assert_true(revoked_tokens_has(t, "never"));
    /* at most once a minute */
    revoked_tokens_prune(t, f->s, NOW + 40);
    assert_true(revoked_tokens_has(t, "later"));
    revoked_tokens_prune(t, f->s, NOW + 70);
    assert_false(revoked_tokens_has(t, "later"));
    assert_true(revoked_tokens_has(t, "never"));
    assert_int_equal(revoked_tokens_count(t), 1);
    revoked_tokens_free(t);
}

static void test_refresh_revoke(void **state)
{
    struct fixture *f = *state;
    struct store *s = f->s;
    int64_t gen = -1;
    bool revoked = true;
    enum store_refresh_result res;
    /* never redeemed: generation 0, not stored; revoking stores it revoked */
    assert_int_equal(s->ops->refresh_get(s, "chain-a", &gen, &revoked), 0);
    assert_int_equal(gen, 0);
    assert_false(revoked);
    assert_int_equal(s->ops->refresh_revoke(s, "chain-a", "c1", NOW, NULL), 0);
    assert_int_equal(s->ops->refresh_get(s, "chain-a", &gen, &revoked), 0);
    assert_true(revoked);
    assert_int_equal(s->ops->refresh_rotate(s, "chain-a", "c1", 0, NOW, &res), 0);
    assert_int_equal(res, STORE_REFRESH_REVOKED);
    /* redeemed twice, then revoked, twice */
    assert_int_equal(s->ops->refresh_rotate(s, "chain-b", "c1", 0, NOW, &res), 0);
    assert_int_equal(s->ops->refresh_rotate(s, "chain-b", "c1", 1, NOW, &res), 0);
    assert_int_equal(s->ops->refresh_get(s, "chain-b", &gen, &revoked), 0);
    assert_int_equal(gen, 2);
    assert_false(revoked);
    assert_int_equal(s->ops->refresh_revoke(s, "chain-b", "c1", NOW, NULL), 0);
    assert_int_equal(s->ops->refresh_revoke(s, "chain-b", "c1", NOW + 1, NULL), 0);
    assert_int_equal(s->ops->refresh_get(s, "chain-b", &gen, &revoked), 0);
    assert_int_equal(gen, 2);
    assert_true(revoked);
    assert_int_equal(s->ops->refresh_rotate(s, "chain-b", "c1", 2, NOW, &res), 0);
    assert_int_equal(res, STORE_REFRESH_REVOKED);
}

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_bad_input),
        cmocka_unit_test(test_add_and_lookup),
        cmocka_unit_test(test_readers_during_growth),
        cmocka_unit_test_setup_teardown(test_store_rows_and_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_revoke, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
