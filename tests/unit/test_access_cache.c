/* SPDX-License-Identifier: MIT */
/* Unit tests of the access cache (oauth/access_cache.c) over a fake store: an entry is read
 * once and then served from memory, with its name, environments and actions; fresh reads go
 * to the store; a full cache drops its least recently used entries, not everything; an
 * invalidation empties it while readers keep their entries, and a store read begun before an
 * invalidation is not cached; threads reading, dropping and invalidating at once (TSan). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oauth/access_cache.h"

/* ---- a fake store of accesses "id-<n>" ------------------------------------------------ */

struct fake {
    struct store base;
    int reads;                   /* atomic */
    struct access_cache *during; /* invalidated in the middle of the next read, when set */
    const char *name, *envs, *actions;
};

static int fake_access_get(struct store *s, const char *client_id, struct store_access *out)
{
    struct fake *f = (struct fake *)s;
    __atomic_add_fetch(&f->reads, 1, __ATOMIC_RELAXED);
    if (strncmp(client_id, "id-", 3))
        return RC_ENOTFOUND;
    memset(out, 0, sizeof(*out));
    snprintf(out->client_id, sizeof(out->client_id), "%s", client_id);
    snprintf(out->account_id, sizeof(out->account_id), "acme");
    snprintf(out->name, sizeof(out->name), "%s", f->name ? f->name : client_id);
    out->environments = strdup(f->envs ? f->envs : "");
    out->actions = strdup(f->actions ? f->actions : "campaign.read");
    if (f->during) {
        access_cache_invalidate(f->during);
        f->during = NULL;
    }
    return 0;
}

static const struct store_ops fake_ops = {.name = "fake", .access_get = fake_access_get};

static struct fake *fake_new(void)
{
    struct fake *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->base.ops = &fake_ops;
    return f;
}

static void id_of(int i, char *out, size_t size)
{
    snprintf(out, size, "id-%d", i);
}

/* Get id i and release it at once; returns the store reads it cost. */
static int touch(struct access_cache *c, struct fake *f, int i)
{
    char id[32];
    struct cached_access *a = NULL;
    int before = f->reads;
    id_of(i, id, sizeof(id));
    assert_int_equal(access_cache_get(c, id, false, &a), 0);
    assert_string_equal(a->client_id, id);
    access_cache_put(c, a);
    return f->reads - before;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_read_once_then_from_memory(void **state)
{
    (void)state;
    struct fake *f = fake_new();
    f->name = "CI pipeline \xc3\xa9";
    f->envs = " prod  staging ";
    f->actions = "campaign.read no.such.action flag.list";
    struct access_cache *c = access_cache_new(&f->base, 1024);
    struct cached_access *a = NULL, *b = NULL;
    assert_int_equal(access_cache_get(c, "id-1", false, &a), 0);
    assert_int_equal(f->reads, 1);
    assert_string_equal(a->name, "CI pipeline \xc3\xa9");
    assert_string_equal(a->account_id, "acme");
    assert_int_equal(a->nenvs, 2);
    assert_string_equal(a->envs[0], "prod");
    assert_string_equal(a->envs[1], "staging");
    assert_true(cached_access_has_env(a, "staging"));
    assert_false(cached_access_has_env(a, "stag"));
    assert_true(action_set_has(&a->actions, catalog_find("campaign.read", 13)));
    assert_true(action_set_has(&a->actions, catalog_find("flag.list", 9)));
    assert_false(action_set_has(&a->actions, catalog_find("flag.read", 9)));

    assert_int_equal(access_cache_get(c, "id-1", false, &b), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(f->reads, 1);
    access_cache_put(c, b);
    /* fresh: the store again, and the new row replaces the old one */
    assert_int_equal(access_cache_get(c, "id-1", true, &b), 0);
    assert_int_equal(f->reads, 2);
    assert_ptr_not_equal(a, b);
    assert_string_equal(a->name, "CI pipeline \xc3\xa9"); /* the old one lives on for us */
    access_cache_put(c, a);
    assert_int_equal(access_cache_get(c, "id-1", false, &a), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(access_cache_count(c), 1);

    assert_int_equal(access_cache_get(c, "nobody", false, &b), RC_ENOTFOUND);
    assert_int_equal(access_cache_count(c), 1);
    access_cache_put(c, a);
    access_cache_put(c, b); /* the same entry, held twice */
    access_cache_free(c);
    free(f);
}

static void test_all_environments(void **state)
{
    (void)state;
    struct fake *f = fake_new();
    struct access_cache *c = access_cache_new(&f->base, 1024);
    struct cached_access *a = NULL;
    assert_int_equal(access_cache_get(c, "id-2", false, &a), 0);
    assert_int_equal(a->nenvs, 0);
    assert_null(a->envs);
    assert_true(cached_access_has_env(a, "anything"));
    access_cache_put(c, a);
    access_cache_free(c);
    free(f);
}

static void test_full_cache_drops_least_recently_used(void **state)
{
    (void)state;
    struct fake *f = fake_new();
    const int capacity = 64 * 4; /* four per stripe */
    struct access_cache *c = access_cache_new(&f->base, (size_t)capacity);
    for (int i = 0; i < 10 * capacity; i++) {
        assert_int_equal(touch(c, f, i), 1);
        assert_true(access_cache_count(c) <= (size_t)capacity);
        assert_int_equal(touch(c, f, 0), 0); /* id-0, used all the time, always stays */
    }
    /* never emptied at once: nearly full after all that */
    assert_true(access_cache_count(c) > (size_t)capacity / 2);
    /* the most recent ones are there, the oldest were dropped */
    assert_int_equal(touch(c, f, 10 * capacity - 1), 0);
    assert_int_equal(touch(c, f, 1), 1);
    access_cache_free(c);
    free(f);
}

static void test_invalidate(void **state)
{
    (void)state;
    struct fake *f = fake_new();
    struct access_cache *c = access_cache_new(&f->base, 1024);
    for (int i = 0; i < 100; i++)
        touch(c, f, i);
    struct cached_access *a = NULL;
    assert_int_equal(access_cache_get(c, "id-7", false, &a), 0);
    access_cache_invalidate(c);
    assert_int_equal(access_cache_count(c), 0);
    assert_string_equal(a->name, "id-7"); /* a reader keeps its entry */
    access_cache_put(c, a);
    assert_int_equal(touch(c, f, 7), 1);

    /* a row read while an invalidation happens is handed out, but not kept */
    f->during = c;
    assert_int_equal(touch(c, f, 8), 1);
    assert_int_equal(access_cache_count(c), 0);
    assert_int_equal(touch(c, f, 8), 1);
    assert_int_equal(touch(c, f, 8), 0);
    access_cache_free(c);
    free(f);
}

struct worker {
    struct access_cache *c;
    struct fake *f;
    int seed;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    unsigned seed = (unsigned)w->seed;
    for (int i = 0; i < 20000; i++) {
        char id[32];
        struct cached_access *a = NULL;
        id_of(rand_r(&seed) % 300, id, sizeof(id));
        if (access_cache_get(w->c, id, rand_r(&seed) % 50 == 0, &a) == 0) {
            if (strcmp(a->client_id, id) || strcmp(a->name, id))
                return "wrong entry";
            access_cache_put(w->c, a);
        }
        if (rand_r(&seed) % 2000 == 0)
            access_cache_invalidate(w->c);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct fake *f = fake_new();
    struct access_cache *c = access_cache_new(&f->base, 64 * 2); /* evicting all the time */
    pthread_t t[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){c, f, i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        pthread_join(t[i], &ret);
        assert_null(ret);
    }
    assert_true(access_cache_count(c) <= 128);
    access_cache_free(c);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_once_then_from_memory),
        cmocka_unit_test(test_all_environments),
        cmocka_unit_test(test_full_cache_drops_least_recently_used),
        cmocka_unit_test(test_invalidate),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
