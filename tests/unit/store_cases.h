/* SPDX-License-Identifier: MIT */
/* The unit tests that every store backend must pass, through the store.h interface only:
 * every operation, pagination and totals, conflicts and not-found, revision bumps, audited
 * writes, refresh chain rotation (in sequence, from 8 threads, from several handles and
 * processes), two handles on one database, migrations run twice and at once. Included by
 * test_store_<backend>.c after its fixture, which provides:
 *   struct fixture { char path[]; struct store *s; … }  path: the location (file or URL)
 *   setup(), teardown()                                  a fresh, migrated store per test
 *   count_migrations(location)                           rows of schema_migrations
 *   fresh_location(f, out, size), drop_location(f, loc)  another empty database
 *   self_path, TEST_BINARY                               this binary, run again by a test
 * and then lists STORE_CASES(setup, teardown) in its main(). Static functions only. */
#ifndef RCAUTH_TEST_STORE_CASES_H
#define RCAUTH_TEST_STORE_CASES_H

static int64_t revision(struct store *s)
{
    int64_t r = -1;
    assert_int_equal(s->ops->revision(s, &r), 0);
    return r;
}

static int make_account(struct store *s, const char *id, int64_t created_at)
{
    struct store_account a = {.created_at = created_at};
    snprintf(a.id, sizeof(a.id), "%s", id);
    snprintf(a.name, sizeof(a.name), "name of %s", id);
    return s->ops->account_create(s, &a);
}

static int make_env(struct store *s, const char *account, const char *id, const char *name,
                    bool is_main)
{
    struct store_env e = {.is_main = is_main, .created_at = 100};
    snprintf(e.id, sizeof(e.id), "%s", id);
    snprintf(e.account_id, sizeof(e.account_id), "%s", account);
    snprintf(e.name, sizeof(e.name), "%s", name);
    return s->ops->env_create(s, &e);
}

static int make_access(struct store *s, const char *client_id, const char *account,
                       int64_t created_at)
{
    struct store_access a = {.created_at = created_at};
    snprintf(a.client_id, sizeof(a.client_id), "%s", client_id);
    snprintf(a.account_id, sizeof(a.account_id), "%s", account);
    snprintf(a.name, sizeof(a.name), "access %s", client_id);
    a.environments = "env1 env2";
    a.actions = "project.read flag.write";
    memset(a.secret_hash, 0xab, sizeof(a.secret_hash));
    return s->ops->access_create(s, &a, NULL);
}

static int make_admin_key(struct store *s, const char *id, uint8_t fill, int64_t created_at)
{
    struct store_admin_key k = {.created_at = created_at};
    snprintf(k.id, sizeof(k.id), "%s", id);
    snprintf(k.name, sizeof(k.name), "key %s", id);
    memset(k.key_hash, fill, sizeof(k.key_hash));
    return s->ops->admin_key_create(s, &k, NULL);
}

/* Collects ids of listed rows, "a,b,c", and stops after stop_after rows when non-zero. */
struct ids {
    char text[512];
    int n;
    int stop_after;
};

static int collect(struct ids *ids, const char *id)
{
    size_t len = strlen(ids->text);
    snprintf(ids->text + len, sizeof(ids->text) - len, "%s%s", len ? "," : "", id);
    ids->n++;
    return ids->stop_after && ids->n >= ids->stop_after;
}

static int account_cb(void *ctx, const struct store_account *row)
{
    return collect(ctx, row->id);
}

static int env_cb(void *ctx, const struct store_env *row)
{
    return collect(ctx, row->id);
}

static int access_cb(void *ctx, const struct store_access *row)
{
    return collect(ctx, row->client_id);
}

static int admin_key_cb(void *ctx, const struct store_admin_key *row)
{
    return collect(ctx, row->id);
}

static int signing_key_cb(void *ctx, const struct store_signing_key *row)
{
    return collect(ctx, row->kid);
}

static int audit_cb(void *ctx, const struct store_audit_event *row)
{
    char line[200];
    snprintf(line, sizeof(line), "%s:%s:%lld:%lld:%s", row->event, row->subject, (long long)row->at,
             (long long)row->count, row->detail ? row->detail : "-");
    return collect(ctx, line);
}

/* ---- migrations ---------------------------------------------------------------------- */

static void test_migrate_twice(void **state)
{
    struct fixture *f = *state;
    int n = count_migrations(f->path);
    assert_true(n >= 1);
    int64_t r = revision(f->s);
    assert_int_equal(f->s->ops->migrate(f->s), 0);
    assert_int_equal(f->s->ops->migrate(f->s), 0);
    assert_int_equal(count_migrations(f->path), n);
    assert_int_equal(revision(f->s), r);
}

struct migrate_job {
    const char *path;
    pthread_barrier_t *go;
    int rc;
};

static void *migrate_thread(void *arg)
{
    struct migrate_job *j = arg;
    struct store *s = NULL;
    j->rc = store_open(j->path, &s);
    pthread_barrier_wait(j->go);
    if (j->rc == 0)
        j->rc = s->ops->migrate(s);
    store_close(s);
    return NULL;
}

/* Four handles (as four processes would) migrate a new database at once. */
static void test_migrate_concurrent(void **state)
{
    struct fixture *f = *state;
    char path[200];
    fresh_location(f, path, sizeof(path));
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 4);
    struct migrate_job jobs[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct migrate_job){.path = path, .go = &go};
        assert_int_equal(pthread_create(&t[i], NULL, migrate_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].rc, 0);
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(count_migrations(path), count_migrations(f->path));
    struct store *s;
    assert_int_equal(store_open(path, &s), 0);
    assert_int_equal(revision(s), 0);
    store_close(s);
    drop_location(f, path);
}

/* ---- accounts ------------------------------------------------------------------------ */

static void test_accounts(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    /* created out of order: the list is by created_at, then id */
    assert_int_equal(make_account(s, "acc3", 30), 0);
    assert_int_equal(make_account(s, "acc1", 10), 0);
    assert_int_equal(make_account(s, "acc2b", 20), 0);
    assert_int_equal(make_account(s, "acc2a", 20), 0);
    assert_int_equal(make_account(s, "acc4", 40), 0);
    assert_int_equal(make_account(s, "acc1", 99), RC_ECONFLICT);

    struct store_account a;
    assert_int_equal(s->ops->account_get(s, "acc2a", &a), 0);
    assert_string_equal(a.id, "acc2a");
    assert_string_equal(a.name, "name of acc2a");
    assert_int_equal(a.created_at, 20);
    assert_int_equal(s->ops->account_get(s, "nope", &a), RC_ENOTFOUND);

    struct ids ids = {0};
    int64_t total = -1;
    assert_int_equal(s->ops->account_list(s, 0, 100, account_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "acc1,acc2a,acc2b,acc3,acc4");
    assert_int_equal(total, 5);

    ids = (struct ids){0};
    assert_int_equal(s->ops->account_list(s, 1, 2, account_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "acc2a,acc2b");
    assert_int_equal(total, 5);

    ids = (struct ids){0};
    assert_int_equal(s->ops->account_list(s, 10, 2, account_cb, &ids, &total), 0);
    assert_int_equal(ids.n, 0);
    assert_int_equal(total, 5);

    ids = (struct ids){.stop_after = 2};
    assert_int_equal(s->ops->account_list(s, 0, 100, account_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "acc1,acc2a");

    ids = (struct ids){0};
    assert_int_equal(s->ops->account_list(s, 0, -1, account_cb, &ids, NULL), 0);
    assert_int_equal(ids.n, 5);
}

/* A list callback may read the store (same thread, same connection). */
struct nested {
    struct store *s;
    int found;
};

static int nested_cb(void *ctx, const struct store_account *row)
{
    struct nested *n = ctx;
    struct store_account a;
    int64_t total = 0;
    struct ids ids = {0};
    if (n->s->ops->account_get(n->s, row->id, &a) == 0 &&
        n->s->ops->env_list(n->s, row->id, 0, 10, env_cb, &ids, &total) == 0)
        n->found++;
    return 0;
}

static void test_list_callback_reads(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    assert_int_equal(make_account(s, "a1", 1), 0);
    assert_int_equal(make_account(s, "a2", 2), 0);
    struct nested n = {.s = s};
    int64_t total;
    assert_int_equal(s->ops->account_list(s, 0, 10, nested_cb, &n, &total), 0);
    assert_int_equal(n.found, 2);
    /* and the connection is left usable for writes */
    assert_int_equal(make_account(s, "a3", 3), 0);
}

/* ---- environments -------------------------------------------------------------------- */

static bool env_is_main(struct store *s, const char *account, const char *id)
{
    struct store_env e;
    assert_int_equal(s->ops->env_get(s, account, id, &e), 0);
    return e.is_main;
}

static void test_environments(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    assert_int_equal(make_account(s, "acc", 1), 0);
    assert_int_equal(make_account(s, "other", 2), 0);
    assert_int_equal(make_env(s, "acc", "e1", "production", true), 0);
    assert_int_equal(make_env(s, "acc", "e2", "staging", false), 0);
    assert_int_equal(make_env(s, "other", "o1", "production", true), 0);
    assert_true(env_is_main(s, "acc", "e1"));
    assert_false(env_is_main(s, "acc", "e2"));

    /* conflicts: same name in the account, same id anywhere; a failed create changes nothing */
    assert_int_equal(make_env(s, "acc", "e3", "staging", true), RC_ECONFLICT);
    assert_int_equal(make_env(s, "other", "e1", "qa", false), RC_ECONFLICT);
    assert_true(env_is_main(s, "acc", "e1"));
    /* the parent account must exist */
    assert_int_equal(make_env(s, "ghost", "g1", "production", false), RC_ENOTFOUND);

    /* a new main environment demotes the account's others, not another account's */
    assert_int_equal(make_env(s, "acc", "e3", "qa", true), 0);
    assert_false(env_is_main(s, "acc", "e1"));
    assert_true(env_is_main(s, "acc", "e3"));
    assert_true(env_is_main(s, "other", "o1"));

    struct store_env e;
    assert_int_equal(s->ops->env_get(s, "acc", "e2", &e), 0);
    assert_string_equal(e.account_id, "acc");
    assert_string_equal(e.name, "staging");
    assert_int_equal(e.created_at, 100);
    assert_int_equal(s->ops->env_get(s, "other", "e2", &e), RC_ENOTFOUND);
    assert_int_equal(s->ops->env_get(s, "acc", "zz", &e), RC_ENOTFOUND);

    struct ids ids = {0};
    int64_t total = -1;
    assert_int_equal(s->ops->env_list(s, "acc", 0, 100, env_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "e1,e2,e3");
    assert_int_equal(total, 3);
    ids = (struct ids){0};
    assert_int_equal(s->ops->env_list(s, "acc", 2, 5, env_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "e3");
    assert_int_equal(total, 3);
    ids = (struct ids){0};
    assert_int_equal(s->ops->env_list(s, "nobody", 0, 5, env_cb, &ids, &total), 0);
    assert_int_equal(ids.n, 0);
    assert_int_equal(total, 0);
}

/* ---- accesses ------------------------------------------------------------------------ */

static void test_access_create_get(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    assert_int_equal(make_account(s, "acc", 1), 0);
    assert_int_equal(make_access(s, "c1", "acc", 50), 0);
    assert_int_equal(make_access(s, "c1", "acc", 60), RC_ECONFLICT);
    assert_int_equal(make_access(s, "c2", "ghost", 60), RC_ENOTFOUND);

    struct store_access a;
    assert_int_equal(s->ops->access_get(s, "c1", &a), 0);
    assert_string_equal(a.client_id, "c1");
    assert_string_equal(a.account_id, "acc");
    assert_string_equal(a.name, "access c1");
    assert_string_equal(a.environments, "env1 env2");
    assert_string_equal(a.actions, "project.read flag.write");
    uint8_t h[32];
    memset(h, 0xab, sizeof(h));
    assert_memory_equal(a.secret_hash, h, 32);
    assert_int_equal(a.created_at, 50);
    assert_int_equal(a.last_used_at, 0);
    assert_int_equal(a.revoked_at, 0);
    store_access_cleanup(&a);
    assert_null(a.environments);

    assert_int_equal(s->ops->access_get(s, "nope", &a), RC_ENOTFOUND);
    store_access_cleanup(&a); /* safe after a failed get */

    /* "" = all environments survives the round trip */
    struct store_access all = {.created_at = 70, .environments = "", .actions = "flag.read"};
    snprintf(all.client_id, sizeof(all.client_id), "c-all");
    snprintf(all.account_id, sizeof(all.account_id), "acc");
    snprintf(all.name, sizeof(all.name), "all envs");
    assert_int_equal(s->ops->access_create(s, &all, NULL), 0);
    assert_int_equal(s->ops->access_get(s, "c-all", &a), 0);
    assert_string_equal(a.environments, "");
    assert_string_equal(a.actions, "flag.read");
    store_access_cleanup(&a);
}

static void test_access_revoke_secret_touch(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    assert_int_equal(make_account(s, "acc", 1), 0);
    assert_int_equal(make_access(s, "c1", "acc", 50), 0);
    struct store_access a;

    uint8_t h[32];
    memset(h, 0x11, sizeof(h));
    assert_int_equal(s->ops->access_set_secret(s, "c1", h, NULL), 0);
    assert_int_equal(s->ops->access_get(s, "c1", &a), 0);
    assert_memory_equal(a.secret_hash, h, 32);
    store_access_cleanup(&a);
    assert_int_equal(s->ops->access_set_secret(s, "nope", h, NULL), RC_ENOTFOUND);

    struct store_touch t[] = {{"c1", 500}, {"nope", 400}, {"c1", 400} /* never lowers */};
    assert_int_equal(s->ops->access_touch(s, t, 3), 0);
    assert_int_equal(s->ops->access_touch(s, t, 0), 0);
    assert_int_equal(s->ops->access_get(s, "c1", &a), 0);
    assert_int_equal(a.last_used_at, 500);
    store_access_cleanup(&a);

    assert_int_equal(s->ops->access_revoke(s, "c1", 1000, NULL), 0);
    assert_int_equal(s->ops->access_revoke(s, "c1", 2000, NULL), 0); /* keeps the first time */
    assert_int_equal(s->ops->access_revoke(s, "nope", 2000, NULL), RC_ENOTFOUND);
    assert_int_equal(s->ops->access_get(s, "c1", &a), 0);
    assert_int_equal(a.revoked_at, 1000);
    store_access_cleanup(&a);

    memset(h, 0x22, sizeof(h));
    assert_int_equal(s->ops->access_set_secret(s, "c1", h, NULL), RC_ENOTFOUND); /* revoked */
    assert_int_equal(s->ops->access_get(s, "c1", &a), 0);
    assert_int_equal(a.secret_hash[0], 0x11);
    store_access_cleanup(&a);
}

static void test_access_list(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    assert_int_equal(make_account(s, "acc", 1), 0);
    assert_int_equal(make_account(s, "other", 1), 0);
    assert_int_equal(make_access(s, "c4", "acc", 40), 0);
    assert_int_equal(make_access(s, "c2", "acc", 20), 0);
    assert_int_equal(make_access(s, "c3", "acc", 20), 0);
    assert_int_equal(make_access(s, "c1", "acc", 10), 0);
    assert_int_equal(make_access(s, "x1", "other", 10), 0);
    assert_int_equal(s->ops->access_revoke(s, "c2", 99, NULL), 0);

    struct ids ids = {0};
    int64_t total = -1;
    assert_int_equal(s->ops->access_list(s, "acc", false, 0, 100, access_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "c1,c3,c4");
    assert_int_equal(total, 3);

    ids = (struct ids){0};
    assert_int_equal(s->ops->access_list(s, "acc", true, 0, 100, access_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "c1,c2,c3,c4");
    assert_int_equal(total, 4);

    ids = (struct ids){0};
    assert_int_equal(s->ops->access_list(s, "acc", true, 1, 2, access_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "c2,c3");
    assert_int_equal(total, 4);

    ids = (struct ids){0};
    assert_int_equal(s->ops->access_list(s, "acc", false, 2, 2, access_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "c4");
    assert_int_equal(total, 3);

    ids = (struct ids){.stop_after = 1};
    assert_int_equal(s->ops->access_list(s, "acc", true, 0, 100, access_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "c1");
}

/* ---- admin and signing keys ---------------------------------------------------------- */

static void test_admin_keys(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    assert_int_equal(make_admin_key(s, "k2", 2, 20), 0);
    assert_int_equal(make_admin_key(s, "k1", 1, 10), 0);
    assert_int_equal(make_admin_key(s, "k1", 3, 30), RC_ECONFLICT); /* id */
    assert_int_equal(make_admin_key(s, "k3", 1, 30), RC_ECONFLICT); /* hash */

    uint8_t h[32];
    memset(h, 2, sizeof(h));
    struct store_admin_key k;
    assert_int_equal(s->ops->admin_key_find(s, h, &k), 0);
    assert_string_equal(k.id, "k2");
    assert_string_equal(k.name, "key k2");
    assert_memory_equal(k.key_hash, h, 32);
    assert_int_equal(k.created_at, 20);
    memset(h, 9, sizeof(h));
    assert_int_equal(s->ops->admin_key_find(s, h, &k), RC_ENOTFOUND);

    struct ids ids = {0};
    assert_int_equal(s->ops->admin_key_list(s, admin_key_cb, &ids), 0);
    assert_string_equal(ids.text, "k1,k2");

    assert_int_equal(s->ops->admin_key_touch(s, "k2", 70), 0);
    assert_int_equal(s->ops->admin_key_touch(s, "k2", 60), 0);
    assert_int_equal(s->ops->admin_key_revoke(s, "k2", 80, NULL), 0);
    assert_int_equal(s->ops->admin_key_revoke(s, "k2", 90, NULL), 0);
    assert_int_equal(s->ops->admin_key_revoke(s, "nope", 90, NULL), RC_ENOTFOUND);
    memset(h, 2, sizeof(h));
    assert_int_equal(s->ops->admin_key_find(s, h, &k), 0); /* revoked or not */
    assert_int_equal(k.last_used_at, 70);
    assert_int_equal(k.revoked_at, 80);
}

static void test_signing_keys(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    struct store_signing_key k = {.created_at = 5, .public_len = 32, .sealed_len = 72};
    snprintf(k.kid, sizeof(k.kid), "kid-b");
    snprintf(k.alg, sizeof(k.alg), "EdDSA");
    memset(k.public_key, 7, k.public_len);
    memset(k.sealed_private, 8, k.sealed_len);
    assert_int_equal(s->ops->signing_key_add(s, &k), 0);
    assert_int_equal(s->ops->signing_key_add(s, &k), RC_ECONFLICT);
    snprintf(k.kid, sizeof(k.kid), "kid-a"); /* same time: insertion order */
    snprintf(k.alg, sizeof(k.alg), "ES256");
    k.public_len = 65;
    assert_int_equal(s->ops->signing_key_add(s, &k), 0);
    k.public_len = STORE_PUBKEY_MAX + 1;
    assert_int_equal(s->ops->signing_key_add(s, &k), RC_EINVAL);

    struct ids ids = {0};
    assert_int_equal(s->ops->signing_key_list(s, signing_key_cb, &ids), 0);
    assert_string_equal(ids.text, "kid-b,kid-a");
}

static int signing_key_check(void *ctx, const struct store_signing_key *row)
{
    (void)ctx;
    assert_string_equal(row->alg, "EdDSA");
    assert_int_equal(row->public_len, 32);
    assert_int_equal(row->sealed_len, 72);
    assert_int_equal(row->public_key[31], 7);
    assert_int_equal(row->sealed_private[71], 8);
    assert_int_equal(row->created_at, 5);
    return 1;
}

static void test_signing_key_fields(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    struct store_signing_key k = {.created_at = 5, .public_len = 32, .sealed_len = 72};
    snprintf(k.kid, sizeof(k.kid), "kid");
    snprintf(k.alg, sizeof(k.alg), "EdDSA");
    memset(k.public_key, 7, k.public_len);
    memset(k.sealed_private, 8, k.sealed_len);
    assert_int_equal(s->ops->signing_key_add(s, &k), 0);
    assert_int_equal(s->ops->signing_key_list(s, signing_key_check, NULL), 0);
}

/* ---- revision ------------------------------------------------------------------------ */

static void test_revision_bumps(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    int64_t r = revision(s);
    assert_int_equal(make_account(s, "acc", 1), 0);
    assert_int_equal(revision(s), ++r);
    assert_int_equal(make_account(s, "acc", 1), RC_ECONFLICT); /* rolled back: no bump */
    assert_int_equal(revision(s), r);
    assert_int_equal(make_env(s, "acc", "e1", "prod", true), 0);
    assert_int_equal(revision(s), ++r);
    assert_int_equal(make_access(s, "c1", "acc", 1), 0);
    assert_int_equal(revision(s), ++r);
    uint8_t h[32] = {1};
    assert_int_equal(s->ops->access_set_secret(s, "c1", h, NULL), 0);
    assert_int_equal(revision(s), ++r);
    assert_int_equal(s->ops->access_touch(s, &(struct store_touch){"c1", 5}, 1), 0);
    assert_int_equal(revision(s), r);
    assert_int_equal(s->ops->access_revoke(s, "c1", 5, NULL), 0);
    assert_int_equal(revision(s), ++r);
    assert_int_equal(s->ops->access_revoke(s, "nope", 5, NULL), RC_ENOTFOUND);
    assert_int_equal(revision(s), r);
    assert_int_equal(make_admin_key(s, "k1", 1, 1), 0);
    assert_int_equal(revision(s), ++r);
    assert_int_equal(s->ops->admin_key_touch(s, "k1", 5), 0);
    assert_int_equal(revision(s), r);
    assert_int_equal(s->ops->admin_key_revoke(s, "k1", 5, NULL), 0);
    assert_int_equal(revision(s), ++r);
    struct store_signing_key k = {.public_len = 1, .sealed_len = 1};
    snprintf(k.kid, sizeof(k.kid), "kid");
    snprintf(k.alg, sizeof(k.alg), "EdDSA");
    assert_int_equal(s->ops->signing_key_add(s, &k), 0);
    assert_int_equal(revision(s), ++r);

    enum store_refresh_result res;
    assert_int_equal(s->ops->refresh_rotate(s, "chain", "c1", 0, 5, &res), 0);
    struct store_audit_event e = {.at = 5};
    snprintf(e.event, sizeof(e.event), "access.created");
    assert_int_equal(s->ops->audit_add(s, &e), 0);
    assert_int_equal(s->ops->audit_add_aggregated(s, &e, 2), 0);
    assert_int_equal(revision(s), r);
}

/* ---- audited writes ------------------------------------------------------------------ */

static struct store_audit_event audit_of(const char *account, const char *event,
                                         const char *subject)
{
    struct store_audit_event e = {.at = 77};
    snprintf(e.account_id, sizeof(e.account_id), "%s", account);
    snprintf(e.actor, sizeof(e.actor), "k-admin");
    snprintf(e.event, sizeof(e.event), "%s", event);
    snprintf(e.subject, sizeof(e.subject), "%s", subject);
    return e;
}

static const char *audit_trail(struct store *s, const char *account, struct ids *ids)
{
    int64_t total = 0;
    *ids = (struct ids){0};
    assert_int_equal(s->ops->audit_list(s, account, 0, 100, audit_cb, ids, &total), 0);
    assert_int_equal(total, ids->n);
    return ids->text;
}

/* The event is written with the change, in its transaction: a change that fails leaves no
 * event, and a second revocation (already revoked) leaves none either. */
static void test_audited_writes(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    struct ids ids;
    assert_int_equal(make_account(s, "acc", 1), 0);

    struct store_access a = {.created_at = 5, .environments = "", .actions = "flag.read"};
    snprintf(a.client_id, sizeof(a.client_id), "c1");
    snprintf(a.account_id, sizeof(a.account_id), "acc");
    struct store_audit_event e = audit_of("acc", "access.created", "c1");
    assert_int_equal(s->ops->access_create(s, &a, &e), 0);
    assert_int_equal(s->ops->access_create(s, &a, &e), RC_ECONFLICT);
    snprintf(a.account_id, sizeof(a.account_id), "ghost");
    snprintf(a.client_id, sizeof(a.client_id), "c2");
    e = audit_of("acc", "access.created", "c2");
    assert_int_equal(s->ops->access_create(s, &a, &e), RC_ENOTFOUND);
    assert_string_equal(audit_trail(s, "acc", &ids), "access.created:c1:77:1:-");

    uint8_t h[32] = {9};
    e = audit_of("acc", "access.secret_rotated", "c1");
    assert_int_equal(s->ops->access_set_secret(s, "c1", h, &e), 0);
    e = audit_of("acc", "access.secret_rotated", "nope");
    assert_int_equal(s->ops->access_set_secret(s, "nope", h, &e), RC_ENOTFOUND);
    e = audit_of("acc", "access.revoked", "c1");
    assert_int_equal(s->ops->access_revoke(s, "c1", 80, &e), 0);
    assert_int_equal(s->ops->access_revoke(s, "c1", 90, &e), 0);
    e = audit_of("acc", "access.revoked", "nope");
    assert_int_equal(s->ops->access_revoke(s, "nope", 90, &e), RC_ENOTFOUND);
    assert_int_equal(s->ops->access_set_secret(s, "c1", h, &e), RC_ENOTFOUND); /* revoked */
    assert_string_equal(audit_trail(s, "acc", &ids), "access.revoked:c1:77:1:-,"
                                                     "access.secret_rotated:c1:77:1:-,"
                                                     "access.created:c1:77:1:-");

    struct store_admin_key k = {.created_at = 1};
    snprintf(k.id, sizeof(k.id), "k1");
    e = audit_of("", "admin_key.created", "k1");
    assert_int_equal(s->ops->admin_key_create(s, &k, &e), 0);
    assert_int_equal(s->ops->admin_key_create(s, &k, &e), RC_ECONFLICT);
    e = audit_of("", "admin_key.revoked", "k1");
    assert_int_equal(s->ops->admin_key_revoke(s, "k1", 80, &e), 0);
    assert_int_equal(s->ops->admin_key_revoke(s, "k1", 90, &e), 0);
    assert_int_equal(s->ops->admin_key_revoke(s, "k2", 90, &e), RC_ENOTFOUND);
    assert_string_equal(audit_trail(s, "", &ids),
                        "admin_key.revoked:k1:77:1:-,admin_key.created:k1:77:1:-");
}

struct revoker_of_one {
    struct store *s;
    pthread_barrier_t *go;
    int rc;
};

/* Revoke access token "jti-1" and refresh chain "chain-1", each with its audit event. */
static void *revoke_one_thread(void *arg)
{
    struct revoker_of_one *r = arg;
    struct store_revoked_token t = {.exp = 0, .revoked_at = 5};
    snprintf(t.jti, sizeof(t.jti), "jti-1");
    snprintf(t.client_id, sizeof(t.client_id), "c1");
    struct store_audit_event e = audit_of("acc", "token.revoked", "jti-1");
    if (r->go)
        pthread_barrier_wait(r->go);
    r->rc = r->s->ops->revoked_token_record(r->s, &t, &e);
    e = audit_of("acc", "token.revoked", "chain-1");
    if (r->rc == 0)
        r->rc = r->s->ops->refresh_revoke(r->s, "chain-1", "c1", 5, &e);
    return NULL;
}

static int count_rows(void *ctx, const struct store_revoked_token *t)
{
    (void)t;
    (*(int *)ctx)++;
    return 0;
}

/* One token revoked at once through several handles (instances): one row, one event each
 * for the access token and for the refresh chain; and again later, nothing more. */
static void test_revocations_audited_once(void **state)
{
    struct fixture *f = *state;
    enum { N = 6 };
    struct store *handles[N];
    struct revoker_of_one r[N];
    pthread_t t[N];
    pthread_barrier_t go;
    struct ids ids;
    assert_int_equal(make_account(f->s, "acc", 1), 0);
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(store_open(f->path, &handles[i]), 0);
        r[i] = (struct revoker_of_one){.s = handles[i], .go = &go};
        assert_int_equal(pthread_create(&t[i], NULL, revoke_one_thread, &r[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].rc, 0);
    }
    pthread_barrier_destroy(&go);
    r[0].go = NULL;
    revoke_one_thread(&r[0]); /* once more, later */
    assert_int_equal(r[0].rc, 0);
    for (int i = 0; i < N; i++)
        store_close(handles[i]);
    assert_string_equal(audit_trail(f->s, "acc", &ids),
                        "token.revoked:chain-1:77:1:-,token.revoked:jti-1:77:1:-");
    int rows = 0;
    assert_int_equal(f->s->ops->revoked_token_list(f->s, 0, count_rows, &rows), 0);
    assert_int_equal(rows, 1);
    int64_t gen = -1;
    bool revoked = false;
    assert_int_equal(f->s->ops->refresh_get(f->s, "chain-1", &gen, &revoked), 0);
    assert_true(revoked);
}

/* ---- refresh chains ------------------------------------------------------------------ */

static enum store_refresh_result rotate(struct store *s, const char *chain, int64_t gen)
{
    enum store_refresh_result res = (enum store_refresh_result) - 1;
    assert_int_equal(s->ops->refresh_rotate(s, chain, "client", gen, 100, &res), 0);
    return res;
}

static void test_refresh_sequence(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    assert_int_equal(rotate(s, "ch", 0), STORE_REFRESH_ROTATED);
    assert_int_equal(rotate(s, "ch", 1), STORE_REFRESH_ROTATED);
    assert_int_equal(rotate(s, "ch", 2), STORE_REFRESH_ROTATED);
    assert_int_equal(rotate(s, "ch", 1), STORE_REFRESH_SPENT); /* reuse revokes the chain */
    assert_int_equal(rotate(s, "ch", 3), STORE_REFRESH_REVOKED);
    assert_int_equal(rotate(s, "ch", 1), STORE_REFRESH_REVOKED);

    assert_int_equal(rotate(s, "future", 4), STORE_REFRESH_REVOKED);
    assert_int_equal(rotate(s, "future", 0), STORE_REFRESH_ROTATED);
    assert_int_equal(rotate(s, "future", 7), STORE_REFRESH_REVOKED);
    assert_int_equal(rotate(s, "future", 1), STORE_REFRESH_ROTATED);
    assert_int_equal(rotate(s, "new", 1), STORE_REFRESH_REVOKED); /* absent = generation 0 */
}

#define RACERS 8
#define ROUNDS 10

struct racer {
    struct store *shared; /* NULL: open a handle of its own, as another process would */
    const char *path;
    pthread_barrier_t *go;
    int rotated[ROUNDS];
    int rc;
};

static void *racer_thread(void *arg)
{
    struct racer *r = arg;
    struct store *s = r->shared;
    if (!s)
        r->rc = store_open(r->path, &s);
    for (int i = 0; i < ROUNDS; i++) {
        char chain[32];
        snprintf(chain, sizeof(chain), "race-%d", i);
        enum store_refresh_result res = STORE_REFRESH_REVOKED;
        pthread_barrier_wait(r->go);
        if (r->rc == 0)
            r->rc = s->ops->refresh_rotate(s, chain, "client", 0, 100, &res);
        r->rotated[i] = r->rc == 0 && res == STORE_REFRESH_ROTATED;
    }
    if (!r->shared)
        store_close(s);
    return NULL;
}

static void race(struct fixture *f, bool shared)
{
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, RACERS);
    struct racer racers[RACERS];
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){.shared = shared ? f->s : NULL, .path = f->path, .go = &go};
        assert_int_equal(pthread_create(&t[i], NULL, racer_thread, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    for (int round = 0; round < ROUNDS; round++) {
        int winners = 0;
        for (int i = 0; i < RACERS; i++) {
            assert_int_equal(racers[i].rc, 0);
            winners += racers[i].rotated[round];
        }
        assert_int_equal(winners, 1);
    }
}

static void test_refresh_race_threads(void **state)
{
    race(*state, true);
}

static void test_refresh_race_handles(void **state)
{
    race(*state, false);
}

/* A child process of test_refresh_race_processes (this binary run again, so that it holds
 * nothing of the parent's store state): wait for stdin to close, rotate the chains, exit
 * with the number of ROTATED answers. */
static int rotate_child(const char *path)
{
    struct store *s;
    int won = 0;
    if (store_open(path, &s) != 0)
        return 255;
    char c;
    if (read(STDIN_FILENO, &c, 1) != 0)
        return 254;
    for (int round = 0; round < ROUNDS; round++) {
        char chain[32];
        snprintf(chain, sizeof(chain), "proc-%d", round);
        enum store_refresh_result res;
        if (s->ops->refresh_rotate(s, chain, "client", 0, 100, &res) != 0)
            return 253;
        won += res == STORE_REFRESH_ROTATED;
    }
    store_close(s);
    return won;
}

/* Real processes rotating the same chains: exactly one ROTATED per chain overall. */
static void test_refresh_race_processes(void **state)
{
    struct fixture *f = *state;
    enum { CHILDREN = 4 };
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            dup2(go[0], STDIN_FILENO);
            close(go[0]);
            close(go[1]);
            execl(self_path, TEST_BINARY, "--rotate-child", f->path, (char *)NULL);
            _exit(252);
        }
    }
    close(go[0]);
    usleep(200 * 1000); /* let them open their handles */
    close(go[1]);       /* go */
    int won = 0;
    for (int i = 0; i < CHILDREN; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) <= ROUNDS);
        won += WEXITSTATUS(status);
    }
    assert_int_equal(won, ROUNDS);
    for (int round = 0; round < ROUNDS; round++) {
        char chain[32];
        snprintf(chain, sizeof(chain), "proc-%d", round);
        assert_int_equal(rotate(f->s, chain, 1), STORE_REFRESH_REVOKED);
    }
}

/* ---- audit --------------------------------------------------------------------------- */

static int add_event(struct store *s, const char *account, const char *event, const char *subject,
                     int64_t at, const char *detail)
{
    struct store_audit_event e = {.at = at, .count = 42, .id = 42, .detail = (char *)detail};
    snprintf(e.account_id, sizeof(e.account_id), "%s", account);
    snprintf(e.actor, sizeof(e.actor), "cli");
    snprintf(e.event, sizeof(e.event), "%s", event);
    snprintf(e.subject, sizeof(e.subject), "%s", subject);
    return s->ops->audit_add(s, &e);
}

static int add_failed(struct store *s, const char *account, const char *subject, int64_t at,
                      int64_t count)
{
    struct store_audit_event e = {.at = at};
    snprintf(e.account_id, sizeof(e.account_id), "%s", account);
    snprintf(e.event, sizeof(e.event), "auth.failed");
    snprintf(e.subject, sizeof(e.subject), "%s", subject);
    return s->ops->audit_add_aggregated(s, &e, count);
}

static void test_audit(void **state)
{
    struct store *s = ((struct fixture *)*state)->s;
    assert_int_equal(add_event(s, "acc", "access.created", "c1", 1000, "{\"name\":\"x\"}"), 0);
    assert_int_equal(add_event(s, "acc", "access.revoked", "c1", 1001, NULL), 0);
    assert_int_equal(add_event(s, "", "admin_key.created", "k1", 1002, NULL), 0);
    assert_int_equal(add_failed(s, "acc", "c1", 1205, 1), 0); /* minute 1200 */
    assert_int_equal(add_failed(s, "acc", "c1", 1259, 3), 0); /* same minute */
    assert_int_equal(add_failed(s, "acc", "c2", 1230, 1), 0); /* other subject */
    assert_int_equal(add_failed(s, "acc", "c1", 1260, 2), 0); /* next minute */
    assert_int_equal(add_failed(s, "acc", "c1", 1210, 5), 0); /* back to minute 1200 */
    assert_int_equal(add_failed(s, "acc", "c1", 1210, 0), RC_EINVAL);

    struct ids ids = {0};
    int64_t total = -1;
    assert_int_equal(s->ops->audit_list(s, "acc", 0, 100, audit_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "auth.failed:c1:1260:2:-,"
                                  "auth.failed:c2:1200:1:-,"
                                  "auth.failed:c1:1200:9:-,"
                                  "access.revoked:c1:1001:1:-,"
                                  "access.created:c1:1000:1:{\"name\":\"x\"}");
    assert_int_equal(total, 5);

    ids = (struct ids){0};
    assert_int_equal(s->ops->audit_list(s, "acc", 3, 10, audit_cb, &ids, &total), 0);
    assert_int_equal(ids.n, 2);
    assert_int_equal(total, 5);

    ids = (struct ids){0};
    assert_int_equal(s->ops->audit_list(s, "", 0, 10, audit_cb, &ids, &total), 0);
    assert_string_equal(ids.text, "admin_key.created:k1:1002:1:-");
    assert_int_equal(total, 1);
}

/* ---- several handles, several threads ------------------------------------------------ */

static void test_two_handles(void **state)
{
    struct fixture *f = *state;
    struct store *a = f->s, *b;
    assert_int_equal(store_open(f->path, &b), 0);
    assert_int_equal(b->ops->migrate(b), 0);
    int64_t r = revision(b);
    assert_int_equal(make_account(a, "from-a", 1), 0);
    assert_int_equal(revision(b), r + 1);
    struct store_account acc;
    assert_int_equal(b->ops->account_get(b, "from-a", &acc), 0);
    assert_int_equal(make_account(b, "from-b", 2), 0);
    assert_int_equal(revision(a), r + 2);
    assert_int_equal(a->ops->account_get(a, "from-b", &acc), 0);
    assert_int_equal(make_account(b, "from-a", 3), RC_ECONFLICT);
    assert_int_equal(make_access(a, "c1", "from-b", 1), 0);
    assert_int_equal(b->ops->access_revoke(b, "c1", 9, NULL), 0);
    struct store_access x;
    assert_int_equal(a->ops->access_get(a, "c1", &x), 0);
    assert_int_equal(x.revoked_at, 9);
    store_access_cleanup(&x);
    store_close(b);
}

struct worker {
    struct store *s;
    int id;
    int rc;
};

static void *worker_thread(void *arg)
{
    struct worker *w = arg;
    char id[32];
    for (int i = 0; i < 20 && w->rc == 0; i++) {
        snprintf(id, sizeof(id), "w%d-%d", w->id, i);
        w->rc = make_account(w->s, id, i);
        if (w->rc == 0)
            w->rc = w->s->ops->access_touch(w->s, &(struct store_touch){"none", i}, 1);
    }
    return NULL; /* the thread's connection is closed by the key destructor */
}

static void test_threads_write(void **state)
{
    struct fixture *f = *state;
    int64_t r = revision(f->s);
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){.s = f->s, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, worker_thread, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].rc, 0);
    }
    int64_t total = 0;
    struct ids ids = {0};
    assert_int_equal(f->s->ops->account_list(f->s, 0, 1, account_cb, &ids, &total), 0);
    assert_int_equal(total, 80);
    assert_int_equal(revision(f->s), r + 80);
}

/* The start of main(): run as the child of test_refresh_race_processes, return its exit code;
 * else note this binary's path and return -1 (go on with the tests). */
static int store_cases_start(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--rotate-child") == 0)
        return rotate_child(argv[2]);
    char resolved[PATH_MAX];
    if (realpath(argv[0], resolved))
        snprintf(self_path, sizeof(self_path), "%s", resolved);
    return -1;
}

#define STORE_CASES(setup, teardown)                                                               \
    cmocka_unit_test_setup_teardown(test_migrate_twice, setup, teardown),                          \
        cmocka_unit_test_setup_teardown(test_migrate_concurrent, setup, teardown),                 \
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),                           \
        cmocka_unit_test_setup_teardown(test_list_callback_reads, setup, teardown),                \
        cmocka_unit_test_setup_teardown(test_environments, setup, teardown),                       \
        cmocka_unit_test_setup_teardown(test_access_create_get, setup, teardown),                  \
        cmocka_unit_test_setup_teardown(test_access_revoke_secret_touch, setup, teardown),         \
        cmocka_unit_test_setup_teardown(test_access_list, setup, teardown),                        \
        cmocka_unit_test_setup_teardown(test_admin_keys, setup, teardown),                         \
        cmocka_unit_test_setup_teardown(test_signing_keys, setup, teardown),                       \
        cmocka_unit_test_setup_teardown(test_signing_key_fields, setup, teardown),                 \
        cmocka_unit_test_setup_teardown(test_revision_bumps, setup, teardown),                     \
        cmocka_unit_test_setup_teardown(test_audited_writes, setup, teardown),                     \
        cmocka_unit_test_setup_teardown(test_revocations_audited_once, setup, teardown),           \
        cmocka_unit_test_setup_teardown(test_refresh_sequence, setup, teardown),                   \
        cmocka_unit_test_setup_teardown(test_refresh_race_threads, setup, teardown),               \
        cmocka_unit_test_setup_teardown(test_refresh_race_handles, setup, teardown),               \
        cmocka_unit_test_setup_teardown(test_refresh_race_processes, setup, teardown),             \
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),                              \
        cmocka_unit_test_setup_teardown(test_two_handles, setup, teardown),                        \
        cmocka_unit_test_setup_teardown(test_threads_write, setup, teardown)

#endif
