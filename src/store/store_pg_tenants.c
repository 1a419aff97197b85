/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend's accounts, environments and accesses: the store.h operations on
 * them, each write in one transaction that also bumps the revision and notifies (but
 * access_touch). The connection, transaction and list machinery is in store_pg.c;
 * validation is the callers'. */
#include "store/store_pg_int.h"
#include "common/xmalloc.h"

#include <string.h>

/* ---- accounts ------------------------------------------------------------------------ */

static void account_decode(const PGresult *r, int i, struct store_account *a)
{
    memset(a, 0, sizeof(*a));
    store_pg_col_text(r, i, 0, a->id, sizeof(a->id));
    store_pg_col_text(r, i, 1, a->name, sizeof(a->name));
    a->created_at = store_pg_col_int(r, i, 2);
}

static int account_insert(struct pg_conn *c, void *arg)
{
    const struct store_account *a = arg;
    struct pg_params p = {0};
    pg_text(&p, a->id);
    pg_text(&p, a->name);
    pg_int(&p, a->created_at);
    return store_pg_exec(c, PQ_ACCOUNT_INSERT, &p, NULL);
}

int store_pg_account_create(struct store *s, const struct store_account *a)
{
    return store_pg_write_tx(s, account_insert, (void *)a, true);
}

int store_pg_account_get(struct store *s, const char *id, struct store_account *out)
{
    struct pg_params p = {0};
    PGresult *r;
    pg_text(&p, id);
    int rc = store_pg_row(s, NULL, PQ_ACCOUNT_GET, &p, &r);
    if (rc == 0)
        account_decode(r, 0, out);
    PQclear(r);
    return rc;
}

struct account_rows {
    store_account_cb cb;
    void *ctx;
};

static int account_row(const PGresult *r, int i, void *arg)
{
    struct account_rows *rows = arg;
    struct store_account a;
    account_decode(r, i, &a);
    return rows->cb(rows->ctx, &a);
}

int store_pg_account_list(struct store *s, int64_t offset, int64_t limit, store_account_cb cb,
                          void *ctx, int64_t *total)
{
    struct account_rows rows = {.cb = cb, .ctx = ctx};
    struct store_pg_list q = {.count_stmt = PQ_ACCOUNT_COUNT,
                              .list_stmt = PQ_ACCOUNT_LIST,
                              .offset = offset,
                              .limit = limit,
                              .row = account_row,
                              .arg = &rows};
    return store_pg_list_run(s, &q, total);
}

/* ---- environments -------------------------------------------------------------------- */

static void env_decode(const PGresult *r, int i, struct store_env *e)
{
    memset(e, 0, sizeof(*e));
    store_pg_col_text(r, i, 0, e->id, sizeof(e->id));
    store_pg_col_text(r, i, 1, e->account_id, sizeof(e->account_id));
    store_pg_col_text(r, i, 2, e->name, sizeof(e->name));
    e->is_main = store_pg_col_bool(r, i, 3);
    e->created_at = store_pg_col_int(r, i, 4);
}

/* Insert, then make it the only main environment of its account when it is main. The
 * revision lock taken first serialises this with any other environment creation, so two
 * main environments created at once cannot both stay main. */
static int env_insert(struct pg_conn *c, void *arg)
{
    const struct store_env *e = arg;
    struct pg_params p = {0};
    pg_text(&p, e->id);
    pg_text(&p, e->account_id);
    pg_text(&p, e->name);
    pg_bool(&p, e->is_main);
    pg_int(&p, e->created_at);
    int rc = store_pg_exec(c, PQ_ENV_INSERT, &p, NULL);
    if (rc || !e->is_main)
        return rc;
    struct pg_params u = {0};
    pg_text(&u, e->account_id);
    pg_text(&u, e->id);
    return store_pg_exec(c, PQ_ENV_UNSET_MAIN, &u, NULL);
}

int store_pg_env_create(struct store *s, const struct store_env *e)
{
    return store_pg_write_tx(s, env_insert, (void *)e, true);
}

int store_pg_env_get(struct store *s, const char *account_id, const char *env_id,
                     struct store_env *out)
{
    struct pg_params p = {0};
    PGresult *r;
    pg_text(&p, account_id);
    pg_text(&p, env_id);
    int rc = store_pg_row(s, NULL, PQ_ENV_GET, &p, &r);
    if (rc == 0)
        env_decode(r, 0, out);
    PQclear(r);
    return rc;
}

struct env_rows {
    store_env_cb cb;
    void *ctx;
};

static int env_row(const PGresult *r, int i, void *arg)
{
    struct env_rows *rows = arg;
    struct store_env e;
    env_decode(r, i, &e);
    return rows->cb(rows->ctx, &e);
}

int store_pg_env_list(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                      store_env_cb cb, void *ctx, int64_t *total)
{
    struct env_rows rows = {.cb = cb, .ctx = ctx};
    struct store_pg_list q = {.count_stmt = PQ_ENV_COUNT,
                              .list_stmt = PQ_ENV_LIST,
                              .account = account_id,
                              .offset = offset,
                              .limit = limit,
                              .row = env_row,
                              .arg = &rows};
    return store_pg_list_run(s, &q, total);
}

/* ---- accesses ------------------------------------------------------------------------ */

static char *col_string(const PGresult *r, int i, int col)
{
    char *v = store_pg_col_strdup(r, i, col);
    return v ? v : xstrdup("");
}

/* The strings are new: release with store_access_cleanup(). */
static void access_decode(const PGresult *r, int i, struct store_access *a)
{
    memset(a, 0, sizeof(*a));
    store_pg_col_text(r, i, 0, a->client_id, sizeof(a->client_id));
    store_pg_col_text(r, i, 1, a->account_id, sizeof(a->account_id));
    store_pg_col_text(r, i, 2, a->name, sizeof(a->name));
    a->environments = col_string(r, i, 3);
    a->actions = col_string(r, i, 4);
    store_pg_col_blob(r, i, 5, a->secret_hash, sizeof(a->secret_hash));
    a->created_at = store_pg_col_int(r, i, 6);
    a->last_used_at = store_pg_col_int(r, i, 7);
    a->revoked_at = store_pg_col_int(r, i, 8);
}

struct access_insert {
    const struct store_access *a;
    const struct store_audit_event *audit;
};

static int access_insert(struct pg_conn *c, void *arg)
{
    const struct access_insert *ins = arg;
    const struct store_access *a = ins->a;
    struct pg_params p = {0};
    pg_text(&p, a->client_id);
    pg_text(&p, a->account_id);
    pg_text(&p, a->name);
    pg_text(&p, a->environments ? a->environments : "");
    pg_text(&p, a->actions ? a->actions : "");
    pg_blob(&p, a->secret_hash, sizeof(a->secret_hash));
    pg_int(&p, a->created_at);
    pg_int(&p, a->last_used_at);
    pg_int(&p, a->revoked_at);
    int rc = store_pg_exec(c, PQ_ACCESS_INSERT, &p, NULL);
    return rc ? rc : store_pg_audit_insert(c, ins->audit);
}

int store_pg_access_create(struct store *s, const struct store_access *a,
                           const struct store_audit_event *audit)
{
    struct access_insert ins = {.a = a, .audit = audit};
    return store_pg_write_tx(s, access_insert, &ins, true);
}

int store_pg_access_get(struct store *s, const char *client_id, struct store_access *out)
{
    struct pg_params p = {0};
    PGresult *r;
    memset(out, 0, sizeof(*out));
    pg_text(&p, client_id);
    int rc = store_pg_row(s, NULL, PQ_ACCESS_GET, &p, &r);
    if (rc == 0)
        access_decode(r, 0, out);
    PQclear(r);
    return rc;
}

struct access_rows {
    store_access_cb cb;
    void *ctx;
};

static int access_row(const PGresult *r, int i, void *arg)
{
    struct access_rows *rows = arg;
    struct store_access a;
    access_decode(r, i, &a);
    int stop = rows->cb(rows->ctx, &a);
    store_access_cleanup(&a);
    return stop;
}

int store_pg_access_list(struct store *s, const char *account_id, bool include_revoked,
                         int64_t offset, int64_t limit, store_access_cb cb, void *ctx,
                         int64_t *total)
{
    struct access_rows rows = {.cb = cb, .ctx = ctx};
    struct store_pg_list q = {.count_stmt = PQ_ACCESS_COUNT,
                              .list_stmt = PQ_ACCESS_LIST,
                              .account = account_id,
                              .revoked_filter = true,
                              .include_revoked = include_revoked,
                              .offset = offset,
                              .limit = limit,
                              .row = access_row,
                              .arg = &rows};
    return store_pg_list_run(s, &q, total);
}

int store_pg_access_revoke(struct store *s, const char *client_id, int64_t at,
                           const struct store_audit_event *audit)
{
    struct store_pg_stamp r = {.stmt = PQ_ACCESS_REVOKE,
                               .exists = PQ_ACCESS_EXISTS,
                               .id = client_id,
                               .at = at,
                               .audit = audit};
    return store_pg_write_tx(s, store_pg_stamp, &r, true);
}

struct secret_update {
    const char *client_id;
    const uint8_t *secret_hash;
    const struct store_audit_event *audit;
};

/* RC_ENOTFOUND when no live access has that client id. */
static int secret_update(struct pg_conn *c, void *arg)
{
    const struct secret_update *u = arg;
    struct pg_params p = {0};
    PGresult *r;
    pg_text(&p, u->client_id);
    pg_blob(&p, u->secret_hash, 32);
    int rc = store_pg_exec(c, PQ_ACCESS_SET_SECRET, &p, &r);
    if (rc == 0 && strcmp(PQcmdTuples(r), "0") == 0)
        rc = RC_ENOTFOUND;
    PQclear(r);
    return rc ? rc : store_pg_audit_insert(c, u->audit);
}

int store_pg_access_set_secret(struct store *s, const char *client_id,
                               const uint8_t secret_hash[32], const struct store_audit_event *audit)
{
    struct secret_update u = {.client_id = client_id, .secret_hash = secret_hash, .audit = audit};
    return store_pg_write_tx(s, secret_update, &u, true);
}

struct touches {
    const struct store_touch *t;
    size_t n;
};

static int touch_all(struct pg_conn *c, void *arg)
{
    const struct touches *u = arg;
    for (size_t i = 0; i < u->n; i++) {
        struct pg_params p = {0};
        pg_text(&p, u->t[i].client_id);
        pg_int(&p, u->t[i].at);
        int rc = store_pg_exec(c, PQ_ACCESS_TOUCH, &p, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

/* The usage flush: one transaction for the lot, no revision bump, nothing to say for an
 * unknown client. */
int store_pg_access_touch(struct store *s, const struct store_touch *t, size_t n)
{
    struct touches u = {.t = t, .n = n};
    return n ? store_pg_write_tx(s, touch_all, &u, false) : 0;
}
