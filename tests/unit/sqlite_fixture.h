/* SPDX-License-Identifier: MIT */
/* The cmocka fixture of the unit tests that need a SQLite store: a fresh, migrated database
 * in its own temporary directory per test, removed afterwards. Included by test files only
 * (static functions). */
#ifndef RCAUTH_TEST_SQLITE_FIXTURE_H
#define RCAUTH_TEST_SQLITE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/rcauth-test-sqlite-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/rcauth.db", f->dir);
    assert_int_equal(store_sqlite_open(f->path, &f->s), 0);
    assert_int_equal(f->s->ops->migrate(f->s), 0);
    *state = f;
    return 0;
}

static void remove_db(const char *dir, const char *path)
{
    char p[160];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    rmdir(dir);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    remove_db(f->dir, f->path);
    free(f);
    return 0;
}

#endif
