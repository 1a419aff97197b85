/* SPDX-License-Identifier: MIT */
/* Unit tests of the PostgreSQL store backend: the cases every backend passes (store_cases.h),
 * each on a fresh database of the server that RCAUTH_TEST_PG names (the URL of its admin
 * database; scripts/test-all.sh starts one), and what is PostgreSQL's own: an unreachable
 * server fails fast, connections closed by the server are reopened, change notifications
 * (LISTEN/NOTIFY) arrive and survive a killed listener, concurrent main environments and
 * revoked tokens keep their guarantees. Without RCAUTH_TEST_PG the tests are skipped, or fail
 * when RCAUTH_TEST_PG_REQUIRED is set (the PostgreSQL pass of `make test`). */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "store/store.h"

/* This binary, run again as the child of test_refresh_race_processes. */
static char self_path[4096] = "/proc/self/exe";
#define TEST_BINARY "test_store_pg"

struct fixture {
    char name[64];  /* the database's name */
    char path[512]; /* its URL */
    struct store *s;
};

/* Run sql on the admin database (or on url); returns the first value of the first row, or
 * "" (static buffer). */
static const char *admin_sql(const char *url, const char *sql)
{
    static char first[256];
    PGconn *pg = PQconnectdb(url ? url : getenv("RCAUTH_TEST_PG"));
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    snprintf(first, sizeof(first), "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(pg);
    return first;
}

/* The URL of database name on the test server: the admin URL with another path. */
static void url_of(const char *name, char *out, size_t size)
{
    const char *admin = getenv("RCAUTH_TEST_PG");
    const char *path = strchr(strstr(admin, "://") + 3, '/');
    int host_len = path ? (int)(path - admin) : (int)strlen(admin);
    snprintf(out, size, "%.*s/%s", host_len, admin, name);
}

static void create_database(char *name, size_t name_size, char *url, size_t url_size)
{
    char sql[128];
    snprintf(name, name_size, "rcauth_unit_%lx_%lx", (long)getpid(), (long)time_mono_us());
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    admin_sql(NULL, sql);
    url_of(name, url, url_size);
}

static void drop_database(const char *name)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    admin_sql(NULL, sql);
}

static int setup(void **state)
{
    if (!getenv("RCAUTH_TEST_PG")) {
        if (getenv("RCAUTH_TEST_PG_REQUIRED"))
            fail_msg("RCAUTH_TEST_PG is not set: no PostgreSQL server to test against");
        skip();
    }
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    create_database(f->name, sizeof(f->name), f->path, sizeof(f->path));
    assert_int_equal(store_open(f->path, &f->s), 0);
    assert_int_equal(f->s->ops->migrate(f->s), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    drop_database(f->name);
    free(f);
    return 0;
}

static int count_migrations(const char *url)
{
    return (int)strtol(admin_sql(url, "SELECT count(*) FROM schema_migrations"), NULL, 10);
}

static void fresh_location(struct fixture *f, char *out, size_t size)
{
    char name[64];
    (void)f;
    create_database(name, sizeof(name), out, size);
}

static void drop_location(struct fixture *f, const char *url)
{
    (void)f;
    drop_database(strrchr(url, '/') + 1);
}

#include "store_cases.h"

/* ---- PostgreSQL's own ------------------------------------------------------------------ */

static void test_unreachable_fails_fast(void **state)
{
    (void)state;
    struct store *s = NULL;
    int64_t t0 = time_mono_us();
    /* nothing listens on port 1 */
    assert_int_equal(store_open("postgresql://rcauth@127.0.0.1:1/nothing", &s), RC_EUNAVAIL);
    assert_null(s);
    assert_true(time_mono_us() - t0 < 3 * 1000000);
}

/* The server ends every session of this database (as a restart does): the next call on each
 * connection reconnects by itself, and nothing fails. */
static void test_reconnects_after_terminate(void **state)
{
    struct fixture *f = *state;
    struct store *s = f->s;
    assert_string_equal(s->ops->name, "postgres");
    assert_int_equal(make_account(s, "before", 1), 0);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '%s' "
             "AND pid <> pg_backend_pid()",
             f->name);
    assert_true(strtol(admin_sql(NULL, sql), NULL, 10) >= 1);
    usleep(100 * 1000);
    assert_int_equal(s->ops->ping(s), 0);
    struct store_account a;
    assert_int_equal(s->ops->account_get(s, "before", &a), 0);
    assert_int_equal(make_account(s, "after", 2), 0);
}

struct notes {
    pthread_mutex_t lock;
    int count;
};

static void on_change(void *ctx)
{
    struct notes *n = ctx;
    pthread_mutex_lock(&n->lock);
    n->count++;
    pthread_mutex_unlock(&n->lock);
}

static int notes_count(struct notes *n)
{
    pthread_mutex_lock(&n->lock);
    int c = n->count;
    pthread_mutex_unlock(&n->lock);
    return c;
}

/* Wait up to ms for more than `above` notifications; true when they came. */
static bool wait_notes(struct notes *n, int above, int ms)
{
    for (int waited = 0; waited < ms; waited += 10) {
        if (notes_count(n) > above)
            return true;
        usleep(10 * 1000);
    }
    return notes_count(n) > above;
}

/* A change committed through another handle (another instance) is notified within a second;
 * a killed listener reconnects and notifies again, since changes may have been missed. */
static void test_watch_notifies(void **state)
{
    struct fixture *f = *state;
    struct notes n = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct store *other;
    assert_int_equal(store_open(f->path, &other), 0);
    assert_int_equal(f->s->ops->watch(f->s, on_change, &n), 0);
    assert_int_equal(f->s->ops->watch(f->s, on_change, &n), RC_EINVAL); /* one watcher */
    assert_true(wait_notes(&n, 0, 3000));                               /* the first LISTEN */
    int seen = notes_count(&n);

    assert_int_equal(make_account(other, "elsewhere", 1), 0);
    assert_true(wait_notes(&n, seen, 1000));
    seen = notes_count(&n);
    /* a touch bumps nothing, so it notifies nothing */
    assert_int_equal(other->ops->access_touch(other, &(struct store_touch){"none", 5}, 1), 0);
    usleep(300 * 1000);
    assert_int_equal(notes_count(&n), seen);

    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE application_name = 'rcauth-listener-%ld'",
             (long)getpid());
    assert_string_equal(admin_sql(NULL, sql), "1");
    assert_true(wait_notes(&n, seen, 3000)); /* back, and says so */
    seen = notes_count(&n);
    assert_int_equal(make_account(other, "again", 2), 0);
    assert_true(wait_notes(&n, seen, 1000));
    store_close(other);
}

struct env_racer {
    struct store *s;
    const char *id;
    pthread_barrier_t *go;
    int rc;
};

static void *env_racer_thread(void *arg)
{
    struct env_racer *r = arg;
    pthread_barrier_wait(r->go);
    r->rc = make_env(r->s, "acc", r->id, r->id, true);
    return NULL;
}

/* Main environments created at once, through separate handles: one stays main. */
static void test_concurrent_main_environments(void **state)
{
    struct fixture *f = *state;
    enum { N = 6 };
    static const char *ids[N] = {"m0", "m1", "m2", "m3", "m4", "m5"};
    struct store *handles[N];
    struct env_racer r[N];
    pthread_t t[N];
    pthread_barrier_t go;
    assert_int_equal(make_account(f->s, "acc", 1), 0);
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(store_open(f->path, &handles[i]), 0);
        r[i] = (struct env_racer){.s = handles[i], .id = ids[i], .go = &go};
        assert_int_equal(pthread_create(&t[i], NULL, env_racer_thread, &r[i]), 0);
    }
    int mains = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].rc, 0);
        store_close(handles[i]);
    }
    for (int i = 0; i < N; i++)
        mains += env_is_main(f->s, "acc", ids[i]);
    assert_int_equal(mains, 1);
    pthread_barrier_destroy(&go);
}

struct revoker {
    struct store *s;
    int id;
    int rc;
};

static void *revoker_thread(void *arg)
{
    struct revoker *r = arg;
    for (int i = 0; i < 25 && r->rc == 0; i++) {
        struct store_revoked_token t = {.exp = 0, .revoked_at = 1};
        snprintf(t.jti, sizeof(t.jti), "jti-%d-%d", r->id, i);
        snprintf(t.client_id, sizeof(t.client_id), "c");
        r->rc = r->s->ops->revoked_token_add(r->s, &t);
    }
    return NULL;
}

struct seq_check {
    int64_t last;
    int n;
    bool ordered;
};

static int seq_cb(void *ctx, const struct store_revoked_token *t)
{
    struct seq_check *c = ctx;
    c->ordered = c->ordered && t->seq > c->last;
    c->last = t->seq;
    c->n++;
    return 0;
}

/* A reader that loads by seq while writers add from several handles never misses a row:
 * seq is handed out in commit order. */
static void test_revoked_tokens_commit_order(void **state)
{
    struct fixture *f = *state;
    enum { N = 4 };
    struct store *handles[N];
    struct revoker r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(store_open(f->path, &handles[i]), 0);
        r[i] = (struct revoker){.s = handles[i], .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, revoker_thread, &r[i]), 0);
    }
    struct seq_check c = {.ordered = true};
    bool done[N] = {false};
    for (int running = N; running > 0;) {
        for (int i = 0; i < N; i++)
            if (!done[i] && pthread_tryjoin_np(t[i], NULL) == 0) {
                done[i] = true;
                running--;
            }
        assert_int_equal(f->s->ops->revoked_token_list(f->s, c.last, seq_cb, &c), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].rc, 0);
        store_close(handles[i]);
    }
    assert_int_equal(f->s->ops->revoked_token_list(f->s, c.last, seq_cb, &c), 0);
    assert_true(c.ordered);
    assert_int_equal(c.n, N * 25);
}

int main(int argc, char **argv)
{
    int child = store_cases_start(argc, argv);
    if (child >= 0)
        return child;
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreachable_fails_fast),
        cmocka_unit_test_setup_teardown(test_reconnects_after_terminate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_notifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_main_environments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_tokens_commit_order, setup, teardown),
        STORE_CASES(setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
