/* SPDX-License-Identifier: MIT */
/* The SQLite backend's admin keys, signing keys, refresh chains and audit trail: the store.h
 * operations on them. Key changes bump the revision in their transaction; touches, signing
 * key notes, refresh rotations and audit events do not. The connection, transaction and list
 * machinery is in store_sqlite.c; validation is the callers'. */
#include "store/store_sqlite_int.h"
#include "common/xmalloc.h"

#include <string.h>

/* ---- admin keys ---------------------------------------------------------------------- */

static void admin_key_decode(sqlite3_stmt *st, struct store_admin_key *k)
{
    memset(k, 0, sizeof(*k));
    store_sqlite_col_text(st, 0, k->id, sizeof(k->id));
    store_sqlite_col_text(st, 1, k->name, sizeof(k->name));
    store_sqlite_col_blob(st, 2, k->key_hash, sizeof(k->key_hash));
    k->created_at = sqlite3_column_int64(st, 3);
    k->last_used_at = sqlite3_column_int64(st, 4);
    k->revoked_at = sqlite3_column_int64(st, 5);
}

struct admin_key_insert {
    const struct store_admin_key *k;
    const struct store_audit_event *audit;
};

static int admin_key_insert(struct sqlite_conn *c, void *arg)
{
    const struct admin_key_insert *r = arg;
    const struct store_admin_key *k = r->k;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ADMIN_KEY_INSERT);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, k->id) || sq_text(st, 2, k->name) ||
        sq_blob(st, 3, k->key_hash, sizeof(k->key_hash)) || sq_int(st, 4, k->created_at) ||
        sq_int(st, 5, k->last_used_at) || sq_int(st, 6, k->revoked_at))
        return store_sqlite_bind_err(c, st);
    int rc = store_sqlite_exec(c, st);
    return rc ? rc : store_sqlite_audit_insert(c, r->audit);
}

int store_sqlite_admin_key_create(struct store *s, const struct store_admin_key *k,
                                  const struct store_audit_event *audit)
{
    struct admin_key_insert r = {.k = k, .audit = audit};
    return store_sqlite_write_tx(s, admin_key_insert, &r, true);
}

int store_sqlite_admin_key_find(struct store *s, const uint8_t key_hash[32],
                                struct store_admin_key *out)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_ADMIN_KEY_FIND, &c, &st);
    if (rc)
        return rc;
    if (sq_blob(st, 1, key_hash, 32))
        return store_sqlite_bind_err(c, st);
    rc = store_sqlite_step_row(c, st);
    if (rc == 0)
        admin_key_decode(st, out);
    store_sqlite_done(st);
    return rc;
}

struct admin_key_rows {
    store_admin_key_cb cb;
    void *ctx;
};

static int admin_key_row(sqlite3_stmt *st, void *arg)
{
    struct admin_key_rows *r = arg;
    struct store_admin_key k;
    admin_key_decode(st, &k);
    return r->cb(r->ctx, &k);
}

int store_sqlite_admin_key_list(struct store *s, store_admin_key_cb cb, void *ctx)
{
    struct admin_key_rows r = {.cb = cb, .ctx = ctx};
    struct store_sqlite_list q = {.count_stmt = SQ_COUNT,
                                  .list_stmt = SQ_ADMIN_KEY_LIST,
                                  .limit = -1,
                                  .row = admin_key_row,
                                  .arg = &r};
    return store_sqlite_list_run(s, &q, NULL);
}

int store_sqlite_stamp(struct sqlite_conn *c, void *arg)
{
    const struct store_sqlite_stamp *r = arg;
    sqlite3_stmt *st = store_sqlite_stmt(c, r->stmt);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, r->id) || sq_int(st, 2, r->at))
        return store_sqlite_bind_err(c, st);
    int rc = store_sqlite_exec(c, st);
    if (rc == 0 && sqlite3_changes(c->db) == 1)
        return store_sqlite_audit_insert(c, r->audit);
    if (rc)
        return rc;
    if (!(st = store_sqlite_stmt(c, r->exists)))
        return RC_ESTORE;
    if (sq_text(st, 1, r->id))
        return store_sqlite_bind_err(c, st);
    rc = store_sqlite_step_row(c, st); /* RC_ENOTFOUND: no such row; 0: stamped before */
    store_sqlite_done(st);
    return rc;
}

int store_sqlite_admin_key_revoke(struct store *s, const char *id, int64_t at,
                                  const struct store_audit_event *audit)
{
    struct store_sqlite_stamp r = {.stmt = SQ_ADMIN_KEY_REVOKE,
                                   .exists = SQ_ADMIN_KEY_EXISTS,
                                   .id = id,
                                   .at = at,
                                   .audit = audit};
    return store_sqlite_write_tx(s, store_sqlite_stamp, &r, true);
}

int store_sqlite_admin_key_touch(struct store *s, const char *id, int64_t at)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_ADMIN_KEY_TOUCH, &c, &st);
    if (rc)
        return rc;
    if (sq_text(st, 1, id) || sq_int(st, 2, at))
        return store_sqlite_bind_err(c, st);
    return store_sqlite_exec_retry(c, st);
}

/* ---- signing keys -------------------------------------------------------------------- */

static int signing_key_insert(struct sqlite_conn *c, void *arg)
{
    const struct store_signing_key *k = arg;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SIGNING_KEY_INSERT);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, k->kid) || sq_text(st, 2, k->alg) ||
        sq_blob(st, 3, k->public_key, k->public_len) ||
        sq_blob(st, 4, k->sealed_private, k->sealed_len) || sq_int(st, 5, k->created_at) ||
        sq_int(st, 6, k->retired_at) || sq_int(st, 7, k->max_exp) ||
        sq_int(st, 8, k->signed_non_expiring))
        return store_sqlite_bind_err(c, st);
    return store_sqlite_exec(c, st);
}

int store_sqlite_signing_key_add(struct store *s, const struct store_signing_key *k)
{
    if (k->public_len > sizeof(k->public_key) || k->sealed_len > sizeof(k->sealed_private))
        return RC_EINVAL;
    return store_sqlite_write_tx(s, signing_key_insert, (void *)k, true);
}

struct signing_key_rows {
    store_signing_key_cb cb;
    void *ctx;
};

static int signing_key_row(sqlite3_stmt *st, void *arg)
{
    struct signing_key_rows *r = arg;
    struct store_signing_key k;
    memset(&k, 0, sizeof(k));
    store_sqlite_col_text(st, 0, k.kid, sizeof(k.kid));
    store_sqlite_col_text(st, 1, k.alg, sizeof(k.alg));
    k.public_len = (uint32_t)store_sqlite_col_blob(st, 2, k.public_key, sizeof(k.public_key));
    k.sealed_len =
        (uint32_t)store_sqlite_col_blob(st, 3, k.sealed_private, sizeof(k.sealed_private));
    k.created_at = sqlite3_column_int64(st, 4);
    k.retired_at = sqlite3_column_int64(st, 5);
    k.max_exp = sqlite3_column_int64(st, 6);
    k.signed_non_expiring = sqlite3_column_int64(st, 7) != 0;
    return r->cb(r->ctx, &k);
}

int store_sqlite_signing_key_list(struct store *s, store_signing_key_cb cb, void *ctx)
{
    struct signing_key_rows r = {.cb = cb, .ctx = ctx};
    struct store_sqlite_list q = {.count_stmt = SQ_COUNT,
                                  .list_stmt = SQ_SIGNING_KEY_LIST,
                                  .limit = -1,
                                  .row = signing_key_row,
                                  .arg = &r};
    return store_sqlite_list_run(s, &q, NULL);
}

/* One autocommit statement that only ever raises the values: no read-modify-write, so
 * instances flushing at once need no transaction. */
int store_sqlite_signing_key_note(struct store *s, const char *kid, int64_t max_exp,
                                  bool non_expiring)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_SIGNING_KEY_NOTE, &c, &st);
    if (rc)
        return rc;
    if (sq_text(st, 1, kid) || sq_int(st, 2, max_exp) || sq_int(st, 3, non_expiring))
        return store_sqlite_bind_err(c, st);
    return store_sqlite_exec_retry(c, st);
}

int store_sqlite_signing_key_retire(struct store *s, const char *kid, int64_t at)
{
    struct store_sqlite_stamp r = {
        .stmt = SQ_SIGNING_KEY_RETIRE, .exists = SQ_SIGNING_KEY_EXISTS, .id = kid, .at = at};
    return store_sqlite_write_tx(s, store_sqlite_stamp, &r, true);
}

/* ---- refresh chains ------------------------------------------------------------------ */

struct rotation {
    const char *chain_id;
    const char *client_id;
    int64_t presented;
    int64_t at;
    enum store_refresh_result result;
};

/* The chain's generation and revoked flag; RC_ENOTFOUND when it does not exist yet. */
static int chain_read(struct sqlite_conn *c, const char *chain_id, int64_t *gen, bool *revoked)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REFRESH_GET);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, chain_id))
        return store_sqlite_bind_err(c, st);
    int rc = store_sqlite_step_row(c, st);
    if (rc == 0) {
        *gen = sqlite3_column_int64(st, 0);
        *revoked = sqlite3_column_int64(st, 1) != 0;
    }
    store_sqlite_done(st);
    return rc;
}

/* SQ_REFRESH_INSERT (new chain at generation 1), _ADVANCE (to gen) or _REVOKE. */
static int chain_write(struct sqlite_conn *c, enum store_sqlite_stmt id, const struct rotation *r,
                       int64_t gen)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, id);
    if (!st)
        return RC_ESTORE;
    int b = sq_text(st, 1, r->chain_id);
    if (b == SQLITE_OK && id == SQ_REFRESH_INSERT)
        b = sq_text(st, 2, r->client_id) || sq_int(st, 3, gen) || sq_int(st, 4, r->at);
    else if (b == SQLITE_OK && id == SQ_REFRESH_ADVANCE)
        b = sq_int(st, 2, gen) || sq_int(st, 3, r->at);
    else if (b == SQLITE_OK)
        b = sq_int(st, 2, r->at);
    if (b != SQLITE_OK)
        return store_sqlite_bind_err(c, st);
    return store_sqlite_exec(c, st);
}

/* Read and write under the write lock (BEGIN IMMEDIATE): of callers presenting the same
 * generation, in any thread or process, exactly one sees it current. */
static int rotate(struct sqlite_conn *c, void *arg)
{
    struct rotation *r = arg;
    int64_t gen = 0;
    bool revoked = false;
    int rc = chain_read(c, r->chain_id, &gen, &revoked);
    bool exists = rc == 0;
    if (rc && rc != RC_ENOTFOUND)
        return rc;
    if (revoked || r->presented > gen) {
        r->result = STORE_REFRESH_REVOKED; /* a generation from the future is no better */
        return 0;
    }
    if (r->presented < gen) {
        r->result = STORE_REFRESH_SPENT;
        return chain_write(c, SQ_REFRESH_REVOKE, r, gen);
    }
    r->result = STORE_REFRESH_ROTATED;
    return chain_write(c, exists ? SQ_REFRESH_ADVANCE : SQ_REFRESH_INSERT, r, gen + 1);
}

int store_sqlite_refresh_rotate(struct store *s, const char *chain_id, const char *client_id,
                                int64_t presented_gen, int64_t at,
                                enum store_refresh_result *result)
{
    struct rotation r = {
        .chain_id = chain_id, .client_id = client_id, .presented = presented_gen, .at = at};
    int rc = store_sqlite_write_tx(s, rotate, &r, false);
    if (rc == 0)
        *result = r.result;
    return rc;
}

/* ---- audit --------------------------------------------------------------------------- */

static int audit_bind(struct sqlite_conn *c, sqlite3_stmt *st, const struct store_audit_event *e,
                      int64_t at)
{
    if (sq_text(st, 1, e->account_id) || sq_int(st, 2, at) || sq_text(st, 3, e->actor) ||
        sq_text(st, 4, e->event) || sq_text(st, 5, e->subject))
        return store_sqlite_bind_err(c, st);
    return 0;
}

/* SQ_AUDIT_INSERT bound for e. */
static int audit_insert_bind(struct sqlite_conn *c, const struct store_audit_event *e,
                             sqlite3_stmt **out)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AUDIT_INSERT);
    if (!st)
        return RC_ESTORE;
    int rc = audit_bind(c, st, e, e->at);
    if (rc)
        return rc;
    if (sq_text(st, 6, e->detail)) /* NULL binds NULL */
        return store_sqlite_bind_err(c, st);
    *out = st;
    return 0;
}

int store_sqlite_audit_insert(struct sqlite_conn *c, const struct store_audit_event *e)
{
    sqlite3_stmt *st;
    if (!e)
        return 0;
    int rc = audit_insert_bind(c, e, &st);
    return rc ? rc : store_sqlite_exec(c, st);
}

int store_sqlite_audit_add(struct store *s, const struct store_audit_event *e)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_conn(s, &c);
    if (rc == 0)
        rc = audit_insert_bind(c, e, &st);
    return rc ? rc : store_sqlite_exec_retry(c, st);
}

/* One upsert on the partial unique index of aggregated rows: atomic without a transaction. */
int store_sqlite_audit_add_aggregated(struct store *s, const struct store_audit_event *e,
                                      int64_t count)
{
    if (count < 1)
        return RC_EINVAL;
    int64_t bucket = e->at - ((e->at % 60) + 60) % 60; /* the minute's start, also before 1970 */
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_AUDIT_AGGREGATE, &c, &st);
    if (rc == 0)
        rc = audit_bind(c, st, e, bucket);
    if (rc)
        return rc;
    if (sq_int(st, 6, count) || sq_text(st, 7, e->detail))
        return store_sqlite_bind_err(c, st);
    return store_sqlite_exec_retry(c, st);
}

struct audit_rows {
    store_audit_cb cb;
    void *ctx;
};

static int audit_row(sqlite3_stmt *st, void *arg)
{
    struct audit_rows *r = arg;
    struct store_audit_event e;
    memset(&e, 0, sizeof(e));
    e.id = sqlite3_column_int64(st, 0);
    store_sqlite_col_text(st, 1, e.account_id, sizeof(e.account_id));
    e.at = sqlite3_column_int64(st, 2);
    store_sqlite_col_text(st, 3, e.actor, sizeof(e.actor));
    store_sqlite_col_text(st, 4, e.event, sizeof(e.event));
    store_sqlite_col_text(st, 5, e.subject, sizeof(e.subject));
    e.count = sqlite3_column_int64(st, 6);
    e.detail = store_sqlite_col_strdup(st, 7);
    int stop = r->cb(r->ctx, &e);
    store_audit_event_cleanup(&e);
    return stop;
}

int store_sqlite_audit_list(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                            store_audit_cb cb, void *ctx, int64_t *total)
{
    struct audit_rows r = {.cb = cb, .ctx = ctx};
    struct store_sqlite_list q = {.count_stmt = SQ_AUDIT_COUNT,
                                  .list_stmt = SQ_AUDIT_LIST,
                                  .account = account_id,
                                  .offset = offset,
                                  .limit = limit,
                                  .row = audit_row,
                                  .arg = &r};
    return store_sqlite_list_run(s, &q, total);
}
