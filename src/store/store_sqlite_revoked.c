/* SPDX-License-Identifier: MIT */
/* The SQLite backend's revocations of single tokens (RFC 7009): refresh chains revoked by
 * their client, and the revoked access tokens that every process keeps in memory and loads
 * incrementally by seq. Recording a revoked access token bumps the revision in its
 * transaction, which is how other processes learn that there is something to load. */
#include "store/store_sqlite_int.h"

#include <string.h>

int store_sqlite_refresh_get(struct store *s, const char *chain_id, int64_t *generation,
                             bool *revoked)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_REFRESH_GET, &c, &st);
    if (rc)
        return rc;
    if (sq_text(st, 1, chain_id))
        return store_sqlite_bind_err(c, st);
    *generation = 0;
    *revoked = false;
    rc = store_sqlite_step_row(c, st);
    if (rc == 0) {
        *generation = sqlite3_column_int64(st, 0);
        *revoked = sqlite3_column_int64(st, 1) != 0;
    }
    store_sqlite_done(st);
    return rc == RC_ENOTFOUND ? 0 : rc;
}

/* Run the bound statement st, then append audit when it changed a row (the first of
 * concurrent revokers: the others' upsert or insert changes nothing). */
static int exec_audit_if_changed(struct sqlite_conn *c, sqlite3_stmt *st,
                                 const struct store_audit_event *audit)
{
    int rc = store_sqlite_exec(c, st);
    if (rc == 0 && sqlite3_changes(c->db) > 0)
        rc = store_sqlite_audit_insert(c, audit);
    return rc;
}

struct chain_revoke {
    const char *chain_id;
    const char *client_id;
    int64_t at;
    const struct store_audit_event *audit;
};

static int chain_revoke_tx(struct sqlite_conn *c, void *arg)
{
    const struct chain_revoke *v = arg;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REFRESH_REVOKE_UPSERT);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, v->chain_id) || sq_text(st, 2, v->client_id) || sq_int(st, 3, v->at))
        return store_sqlite_bind_err(c, st);
    return exec_audit_if_changed(c, st, v->audit);
}

/* One upsert, which changes nothing for a chain revoked before; a chain never redeemed is
 * stored revoked. */
int store_sqlite_refresh_revoke(struct store *s, const char *chain_id, const char *client_id,
                                int64_t at, const struct store_audit_event *audit)
{
    struct chain_revoke v = {chain_id, client_id, at, audit};
    return store_sqlite_write_tx(s, chain_revoke_tx, &v, false);
}

struct token_revoke {
    const struct store_revoked_token *t;
    const struct store_audit_event *audit;
};

static int revoked_token_insert(struct sqlite_conn *c, void *arg)
{
    const struct token_revoke *v = arg;
    const struct store_revoked_token *t = v->t;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REVOKED_TOKEN_INSERT);
    if (!st)
        return RC_ESTORE;
    if (sq_text(st, 1, t->jti) || sq_text(st, 2, t->client_id) || sq_int(st, 3, t->exp) ||
        sq_int(st, 4, t->revoked_at))
        return store_sqlite_bind_err(c, st);
    return exec_audit_if_changed(c, st, v->audit);
}

int store_sqlite_revoked_token_record(struct store *s, const struct store_revoked_token *t,
                                      const struct store_audit_event *audit)
{
    struct token_revoke v = {t, audit};
    return store_sqlite_write_tx(s, revoked_token_insert, &v, true);
}

int store_sqlite_revoked_token_add(struct store *s, const struct store_revoked_token *t)
{
    return store_sqlite_revoked_token_record(s, t, NULL);
}

/* One statement, so one snapshot: no transaction needed. */
int store_sqlite_revoked_token_list(struct store *s, int64_t after_seq, store_revoked_token_cb cb,
                                    void *ctx)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_REVOKED_TOKEN_LIST, &c, &st);
    if (rc)
        return rc;
    if (sq_int(st, 1, after_seq))
        return store_sqlite_bind_err(c, st);
    while ((rc = store_sqlite_step_row(c, st)) == 0) {
        struct store_revoked_token t;
        memset(&t, 0, sizeof(t));
        t.seq = sqlite3_column_int64(st, 0);
        store_sqlite_col_text(st, 1, t.jti, sizeof(t.jti));
        store_sqlite_col_text(st, 2, t.client_id, sizeof(t.client_id));
        t.exp = sqlite3_column_int64(st, 3);
        t.revoked_at = sqlite3_column_int64(st, 4);
        if (cb(ctx, &t) != 0)
            break;
    }
    store_sqlite_done(st);
    return rc == RC_ENOTFOUND ? 0 : rc;
}

int store_sqlite_revoked_token_prune(struct store *s, int64_t now, int64_t *removed)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_REVOKED_TOKEN_PRUNE, &c, &st);
    if (rc)
        return rc;
    if (sq_int(st, 1, now))
        return store_sqlite_bind_err(c, st);
    rc = store_sqlite_exec_retry(c, st);
    if (removed)
        *removed = rc == 0 ? sqlite3_changes(c->db) : 0;
    return rc;
}
