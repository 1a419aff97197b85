/* SPDX-License-Identifier: MIT */
/* Unit tests of the SQLite store backend: the cases every backend passes (store_cases.h) on a
 * fresh database file in its own temporary directory per test, and what is SQLite's own: the
 * file's mode, WAL side files, a file that is no database. */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/log.h"
#include "store/store.h"

/* This binary, run again as the child of test_refresh_race_processes. */
static char self_path[4096] = "/proc/self/exe";
#define TEST_BINARY "test_store_sqlite"

#include "sqlite_fixture.h"

static int count_migrations(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM schema_migrations", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void fresh_location(struct fixture *f, char *out, size_t size)
{
    snprintf(out, size, "%s/fresh.db", f->dir);
}

static void drop_location(struct fixture *f, const char *path)
{
    remove_db(f->dir, path); /* the directory stays: the fixture's own file is in it */
}

#include "store_cases.h"

/* ---- open and migrate ---------------------------------------------------------------- */

static void test_open_mode_and_errors(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_string_equal(f->s->ops->name, "sqlite");
    assert_int_equal(f->s->ops->ping(f->s), 0);
    /* WAL mode, and SQLite's side files inherit the database's mode */
    assert_int_equal(make_account(f->s, "acc", 1), 0);
    char side[200];
    snprintf(side, sizeof(side), "%s-wal", f->path);
    assert_int_equal(stat(side, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(side, sizeof(side), "%s-shm", f->path);
    assert_int_equal(stat(side, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    struct store *s = NULL;
    char p[200];
    snprintf(p, sizeof(p), "%s/missing/dir/x.db", f->dir);
    assert_int_not_equal(store_sqlite_open(p, &s), 0); /* the directory is not created */
    assert_null(s);

    snprintf(p, sizeof(p), "%s/garbage.db", f->dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database file at all. ", fp);
    fclose(fp);
    assert_int_equal(store_sqlite_open(p, &s), RC_ESTORE);
    unlink(p);

    store_close(NULL); /* no-op */
}

/* A URL's user and password never reach a message. */
static void test_location_describe(void **state)
{
    (void)state;
    char out[128];
    store_location_describe("postgres://app:s3cr%40t@db.example:5432/rcauth?sslmode=require", out,
                            sizeof(out));
    assert_string_equal(out, "postgres://db.example:5432/rcauth");
    store_location_describe("postgresql://db/x", out, sizeof(out));
    assert_string_equal(out, "postgresql://db/x");
    store_location_describe("/var/lib/rcauth/rcauth.db", out, sizeof(out));
    assert_string_equal(out, "/var/lib/rcauth/rcauth.db");
    assert_true(store_location_is_pg("postgresql://x/y"));
    assert_false(store_location_is_pg("./postgres.db"));
}

int main(int argc, char **argv)
{
    int child = store_cases_start(argc, argv);
    if (child >= 0)
        return child;
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_mode_and_errors, setup, teardown),
        cmocka_unit_test(test_location_describe),
        STORE_CASES(setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
