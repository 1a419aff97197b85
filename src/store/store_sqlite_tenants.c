/* SPDX-License-Identifier: MIT */
/* The SQLite backend's accounts, environments and accesses: the store.h operations on them,
 * each write in one transaction that also bumps the revision (but access_touch). The
 * connection, transaction and list machinery is in store_sqlite.c; validation is the
 * callers'. */
#include "store/store_sqlite_int.h"
#include "common/xmalloc.h"

#include <string.h>

/* ---- accounts ------------------------------------------------------------------------ */

static void account_decode(sqlite3_stmt *st, struct store_account *a)
{
    memset(a, 0, sizeof(*a));
    store_sqlite_col_text(st, 0, a->id, sizeof(a->id));
    store_sqlite_col_text(st, 1, a->name, sizeof(a->name));
    a->created_at = sqlite3_column_int64(st, 2);
}

static int account_insert(struct sqlite_conn *c, void *arg)
{
    const struct store_account *a = arg;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCOUNT_INSERT);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, a->id) || sq_text(st, 2, a->name) || sq_int(st, 3, a->created_at))
        return store_sqlite_bind_err(c, st);
    return store_sqlite_exec(c, st);
}

int store_sqlite_account_create(struct store *s, const struct store_account *a)
{
    return store_sqlite_write_tx(s, account_insert, (void *)a, true);
}

int store_sqlite_account_get(struct store *s, const char *id, struct store_account *out)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_ACCOUNT_GET, &c, &st);
    if (rc)
        return rc;
    if (sq_text(st, 1, id))
        return store_sqlite_bind_err(c, st);
    rc = store_sqlite_step_row(c, st);
    if (rc == 0)
        account_decode(st, out);
    store_sqlite_done(st);
    return rc;
}

struct account_rows {
    store_account_cb cb;
    void *ctx;
};

static int account_row(sqlite3_stmt *st, void *arg)
{
    struct account_rows *r = arg;
    struct store_account a;
    account_decode(st, &a);
    return r->cb(r->ctx, &a);
}

int store_sqlite_account_list(struct store *s, int64_t offset, int64_t limit, store_account_cb cb,
                              void *ctx, int64_t *total)
{
    struct account_rows r = {.cb = cb, .ctx = ctx};
    struct store_sqlite_list q = {.count_stmt = SQ_ACCOUNT_COUNT,
                                  .list_stmt = SQ_ACCOUNT_LIST,
                                  .offset = offset,
                                  .limit = limit,
                                  .row = account_row,
                                  .arg = &r};
    return store_sqlite_list_run(s, &q, total);
}

/* ---- environments -------------------------------------------------------------------- */

static void env_decode(sqlite3_stmt *st, struct store_env *e)
{
    memset(e, 0, sizeof(*e));
    store_sqlite_col_text(st, 0, e->id, sizeof(e->id));
    store_sqlite_col_text(st, 1, e->account_id, sizeof(e->account_id));
    store_sqlite_col_text(st, 2, e->name, sizeof(e->name));
    e->is_main = sqlite3_column_int64(st, 3) != 0;
    e->created_at = sqlite3_column_int64(st, 4);
}

/* Insert, then make it the only main environment of its account when it is main. */
static int env_insert(struct sqlite_conn *c, void *arg)
{
    const struct store_env *e = arg;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ENV_INSERT);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, e->id) || sq_text(st, 2, e->account_id) || sq_text(st, 3, e->name) ||
        sq_int(st, 4, e->is_main) || sq_int(st, 5, e->created_at))
        return store_sqlite_bind_err(c, st);
    int rc = store_sqlite_exec(c, st);
    if (rc || !e->is_main)
        return rc;
    st = store_sqlite_stmt(c, SQ_ENV_UNSET_MAIN);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, e->account_id) || sq_text(st, 2, e->id))
        return store_sqlite_bind_err(c, st);
    return store_sqlite_exec(c, st);
}

int store_sqlite_env_create(struct store *s, const struct store_env *e)
{
    return store_sqlite_write_tx(s, env_insert, (void *)e, true);
}

int store_sqlite_env_get(struct store *s, const char *account_id, const char *env_id,
                         struct store_env *out)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_ENV_GET, &c, &st);
    if (rc)
        return rc;
    if (sq_text(st, 1, account_id) || sq_text(st, 2, env_id))
        return store_sqlite_bind_err(c, st);
    rc = store_sqlite_step_row(c, st);
    if (rc == 0)
        env_decode(st, out);
    store_sqlite_done(st);
    return rc;
}

struct env_rows {
    store_env_cb cb;
    void *ctx;
};

static int env_row(sqlite3_stmt *st, void *arg)
{
    struct env_rows *r = arg;
    struct store_env e;
    env_decode(st, &e);
    return r->cb(r->ctx, &e);
}

int store_sqlite_env_list(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                          store_env_cb cb, void *ctx, int64_t *total)
{
    struct env_rows r = {.cb = cb, .ctx = ctx};
    struct store_sqlite_list q = {.count_stmt = SQ_ENV_COUNT,
                                  .list_stmt = SQ_ENV_LIST,
                                  .account = account_id,
                                  .offset = offset,
                                  .limit = limit,
                                  .row = env_row,
                                  .arg = &r};
    return store_sqlite_list_run(s, &q, total);
}

/* ---- accesses ------------------------------------------------------------------------ */

static char *col_string(sqlite3_stmt *st, int col)
{
    char *v = store_sqlite_col_strdup(st, col);
    return v ? v : xstrdup("");
}

/* The strings are new: release with store_access_cleanup(). */
static void access_decode(sqlite3_stmt *st, struct store_access *a)
{
    memset(a, 0, sizeof(*a));
    store_sqlite_col_text(st, 0, a->client_id, sizeof(a->client_id));
    store_sqlite_col_text(st, 1, a->account_id, sizeof(a->account_id));
    store_sqlite_col_text(st, 2, a->name, sizeof(a->name));
    a->environments = col_string(st, 3);
    a->actions = col_string(st, 4);
    store_sqlite_col_blob(st, 5, a->secret_hash, sizeof(a->secret_hash));
    a->created_at = sqlite3_column_int64(st, 6);
    a->last_used_at = sqlite3_column_int64(st, 7);
    a->revoked_at = sqlite3_column_int64(st, 8);
}

struct access_insert {
    const struct store_access *a;
    const struct store_audit_event *audit;
};

static int access_insert(struct sqlite_conn *c, void *arg)
{
    const struct access_insert *r = arg;
    const struct store_access *a = r->a;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCESS_INSERT);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, a->client_id) || sq_text(st, 2, a->account_id) || sq_text(st, 3, a->name) ||
        sq_text(st, 4, a->environments ? a->environments : "") ||
        sq_text(st, 5, a->actions ? a->actions : "") ||
        sq_blob(st, 6, a->secret_hash, sizeof(a->secret_hash)) || sq_int(st, 7, a->created_at) ||
        sq_int(st, 8, a->last_used_at) || sq_int(st, 9, a->revoked_at))
        return store_sqlite_bind_err(c, st);
    int rc = store_sqlite_exec(c, st);
    return rc ? rc : store_sqlite_audit_insert(c, r->audit);
}

int store_sqlite_access_create(struct store *s, const struct store_access *a,
                               const struct store_audit_event *audit)
{
    struct access_insert r = {.a = a, .audit = audit};
    return store_sqlite_write_tx(s, access_insert, &r, true);
}

int store_sqlite_access_get(struct store *s, const char *client_id, struct store_access *out)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    memset(out, 0, sizeof(*out));
    int rc = store_sqlite_use(s, SQ_ACCESS_GET, &c, &st);
    if (rc)
        return rc;
    if (sq_text(st, 1, client_id))
        return store_sqlite_bind_err(c, st);
    rc = store_sqlite_step_row(c, st);
    if (rc == 0)
        access_decode(st, out);
    store_sqlite_done(st);
    return rc;
}

struct access_rows {
    store_access_cb cb;
    void *ctx;
};

static int access_row(sqlite3_stmt *st, void *arg)
{
    struct access_rows *r = arg;
    struct store_access a;
    access_decode(st, &a);
    int stop = r->cb(r->ctx, &a);
    store_access_cleanup(&a);
    return stop;
}

int store_sqlite_access_list(struct store *s, const char *account_id, bool include_revoked,
                             int64_t offset, int64_t limit, store_access_cb cb, void *ctx,
                             int64_t *total)
{
    struct access_rows r = {.cb = cb, .ctx = ctx};
    struct store_sqlite_list q = {.count_stmt = SQ_ACCESS_COUNT,
                                  .list_stmt = SQ_ACCESS_LIST,
                                  .account = account_id,
                                  .include_revoked = include_revoked,
                                  .offset = offset,
                                  .limit = limit,
                                  .row = access_row,
                                  .arg = &r};
    return store_sqlite_list_run(s, &q, total);
}

int store_sqlite_access_revoke(struct store *s, const char *client_id, int64_t at,
                               const struct store_audit_event *audit)
{
    struct store_sqlite_stamp r = {.stmt = SQ_ACCESS_REVOKE,
                                   .exists = SQ_ACCESS_EXISTS,
                                   .id = client_id,
                                   .at = at,
                                   .audit = audit};
    return store_sqlite_write_tx(s, store_sqlite_stamp, &r, true);
}

struct secret_update {
    const char *client_id;
    const uint8_t *secret_hash;
    const struct store_audit_event *audit;
};

/* RC_ENOTFOUND when no live access has that client id. */
static int secret_update(struct sqlite_conn *c, void *arg)
{
    const struct secret_update *u = arg;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCESS_SET_SECRET);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, u->client_id) || sq_blob(st, 2, u->secret_hash, 32))
        return store_sqlite_bind_err(c, st);
    int rc = store_sqlite_exec(c, st);
    if (rc == 0 && sqlite3_changes(c->db) == 0)
        rc = RC_ENOTFOUND;
    return rc ? rc : store_sqlite_audit_insert(c, u->audit);
}

int store_sqlite_access_set_secret(struct store *s, const char *client_id,
                                   const uint8_t secret_hash[32],
                                   const struct store_audit_event *audit)
{
    struct secret_update u = {.client_id = client_id, .secret_hash = secret_hash, .audit = audit};
    return store_sqlite_write_tx(s, secret_update, &u, true);
}

struct touches {
    const struct store_touch *t;
    size_t n;
};

static int touch_all(struct sqlite_conn *c, void *arg)
{
    const struct touches *u = arg;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCESS_TOUCH);
    if (!st)
        return RC_ESTORE;
    for (size_t i = 0; i < u->n; i++) {
        if (sq_text(st, 1, u->t[i].client_id) || sq_int(st, 2, u->t[i].at))
            return store_sqlite_bind_err(c, st);
        int rc = store_sqlite_exec(c, st);
        if (rc)
            return rc;
    }
    return 0;
}

/* The usage flush: one transaction for the lot (a commit each would cost far more than the
 * updates), no revision bump, nothing to say for an unknown client. */
int store_sqlite_access_touch(struct store *s, const struct store_touch *t, size_t n)
{
    struct touches u = {.t = t, .n = n};
    return n ? store_sqlite_write_tx(s, touch_all, &u, false) : 0;
}
