/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend's admin keys, signing keys and audit trail: the store.h operations
 * on them. Key changes bump the revision (and notify) in their transaction; touches,
 * signing key notes and audit events do not. The connection, transaction and list machinery
 * is in store_pg.c; validation is the callers'. */
#include "store/store_pg_int.h"

#include <string.h>

/* ---- shared by the writes that come with an audit event -------------------------------- */

int store_pg_audit_insert(struct pg_conn *c, const struct store_audit_event *e)
{
    if (!e)
        return 0;
    struct pg_params p = {0};
    pg_text(&p, e->account_id);
    pg_int(&p, e->at);
    pg_text(&p, e->actor);
    pg_text(&p, e->event);
    pg_text(&p, e->subject);
    pg_text(&p, e->detail); /* NULL binds NULL */
    return store_pg_exec(c, PQ_AUDIT_INSERT, &p, NULL);
}

int store_pg_stamp(struct pg_conn *c, void *arg)
{
    const struct store_pg_stamp *st = arg;
    struct pg_params p = {0};
    PGresult *r;
    pg_text(&p, st->id);
    pg_int(&p, st->at);
    int rc = store_pg_exec(c, st->stmt, &p, &r);
    bool stamped = rc == 0 && strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (stamped)
        return store_pg_audit_insert(c, st->audit);
    if (rc)
        return rc;
    p.n = 1;
    rc = store_pg_row(NULL, c, st->exists, &p, &r); /* RC_ENOTFOUND: no such row */
    PQclear(r);
    return rc;
}

/* ---- admin keys ---------------------------------------------------------------------- */

static void admin_key_decode(const PGresult *r, int i, struct store_admin_key *k)
{
    memset(k, 0, sizeof(*k));
    store_pg_col_text(r, i, 0, k->id, sizeof(k->id));
    store_pg_col_text(r, i, 1, k->name, sizeof(k->name));
    store_pg_col_blob(r, i, 2, k->key_hash, sizeof(k->key_hash));
    k->created_at = store_pg_col_int(r, i, 3);
    k->last_used_at = store_pg_col_int(r, i, 4);
    k->revoked_at = store_pg_col_int(r, i, 5);
}

struct admin_key_insert {
    const struct store_admin_key *k;
    const struct store_audit_event *audit;
};

static int admin_key_insert(struct pg_conn *c, void *arg)
{
    const struct admin_key_insert *ins = arg;
    const struct store_admin_key *k = ins->k;
    struct pg_params p = {0};
    pg_text(&p, k->id);
    pg_text(&p, k->name);
    pg_blob(&p, k->key_hash, sizeof(k->key_hash));
    pg_int(&p, k->created_at);
    pg_int(&p, k->last_used_at);
    pg_int(&p, k->revoked_at);
    int rc = store_pg_exec(c, PQ_ADMIN_KEY_INSERT, &p, NULL);
    return rc ? rc : store_pg_audit_insert(c, ins->audit);
}

int store_pg_admin_key_create(struct store *s, const struct store_admin_key *k,
                              const struct store_audit_event *audit)
{
    struct admin_key_insert ins = {.k = k, .audit = audit};
    return store_pg_write_tx(s, admin_key_insert, &ins, true);
}

int store_pg_admin_key_find(struct store *s, const uint8_t key_hash[32],
                            struct store_admin_key *out)
{
    struct pg_params p = {0};
    PGresult *r;
    pg_blob(&p, key_hash, 32);
    int rc = store_pg_row(s, NULL, PQ_ADMIN_KEY_FIND, &p, &r);
    if (rc == 0)
        admin_key_decode(r, 0, out);
    PQclear(r);
    return rc;
}

struct admin_key_rows {
    store_admin_key_cb cb;
    void *ctx;
};

static int admin_key_row(const PGresult *r, int i, void *arg)
{
    struct admin_key_rows *rows = arg;
    struct store_admin_key k;
    admin_key_decode(r, i, &k);
    return rows->cb(rows->ctx, &k);
}

int store_pg_admin_key_list(struct store *s, store_admin_key_cb cb, void *ctx)
{
    struct admin_key_rows rows = {.cb = cb, .ctx = ctx};
    struct store_pg_list q = {.count_stmt = PQ_COUNT,
                              .list_stmt = PQ_ADMIN_KEY_LIST,
                              .limit = -1,
                              .row = admin_key_row,
                              .arg = &rows};
    return store_pg_list_run(s, &q, NULL);
}

int store_pg_admin_key_revoke(struct store *s, const char *id, int64_t at,
                              const struct store_audit_event *audit)
{
    struct store_pg_stamp st = {.stmt = PQ_ADMIN_KEY_REVOKE,
                                .exists = PQ_ADMIN_KEY_EXISTS,
                                .id = id,
                                .at = at,
                                .audit = audit};
    return store_pg_write_tx(s, store_pg_stamp, &st, true);
}

int store_pg_admin_key_touch(struct store *s, const char *id, int64_t at)
{
    struct pg_params p = {0};
    pg_text(&p, id);
    pg_int(&p, at);
    return store_pg_run(s, PQ_ADMIN_KEY_TOUCH, &p, NULL);
}

/* ---- signing keys -------------------------------------------------------------------- */

static int signing_key_insert(struct pg_conn *c, void *arg)
{
    const struct store_signing_key *k = arg;
    struct pg_params p = {0};
    pg_text(&p, k->kid);
    pg_text(&p, k->alg);
    pg_blob(&p, k->public_key, k->public_len);
    pg_blob(&p, k->sealed_private, k->sealed_len);
    pg_int(&p, k->created_at);
    pg_int(&p, k->retired_at);
    pg_int(&p, k->max_exp);
    pg_bool(&p, k->signed_non_expiring);
    return store_pg_exec(c, PQ_SIGNING_KEY_INSERT, &p, NULL);
}

int store_pg_signing_key_add(struct store *s, const struct store_signing_key *k)
{
    if (k->public_len > sizeof(k->public_key) || k->sealed_len > sizeof(k->sealed_private))
        return RC_EINVAL;
    return store_pg_write_tx(s, signing_key_insert, (void *)k, true);
}

struct signing_key_rows {
    store_signing_key_cb cb;
    void *ctx;
};

static int signing_key_row(const PGresult *r, int i, void *arg)
{
    struct signing_key_rows *rows = arg;
    struct store_signing_key k;
    memset(&k, 0, sizeof(k));
    store_pg_col_text(r, i, 0, k.kid, sizeof(k.kid));
    store_pg_col_text(r, i, 1, k.alg, sizeof(k.alg));
    k.public_len = (uint32_t)store_pg_col_blob(r, i, 2, k.public_key, sizeof(k.public_key));
    k.sealed_len = (uint32_t)store_pg_col_blob(r, i, 3, k.sealed_private, sizeof(k.sealed_private));
    k.created_at = store_pg_col_int(r, i, 4);
    k.retired_at = store_pg_col_int(r, i, 5);
    k.max_exp = store_pg_col_int(r, i, 6);
    k.signed_non_expiring = store_pg_col_bool(r, i, 7);
    return rows->cb(rows->ctx, &k);
}

int store_pg_signing_key_list(struct store *s, store_signing_key_cb cb, void *ctx)
{
    struct signing_key_rows rows = {.cb = cb, .ctx = ctx};
    struct store_pg_list q = {.count_stmt = PQ_COUNT,
                              .list_stmt = PQ_SIGNING_KEY_LIST,
                              .limit = -1,
                              .row = signing_key_row,
                              .arg = &rows};
    return store_pg_list_run(s, &q, NULL);
}

/* One autocommit statement that only ever raises the values (store_pg_sql.c). */
int store_pg_signing_key_note(struct store *s, const char *kid, int64_t max_exp, bool non_expiring)
{
    struct pg_params p = {0};
    pg_text(&p, kid);
    pg_int(&p, max_exp);
    pg_bool(&p, non_expiring);
    return store_pg_run(s, PQ_SIGNING_KEY_NOTE, &p, NULL);
}

int store_pg_signing_key_retire(struct store *s, const char *kid, int64_t at)
{
    struct store_pg_stamp st = {
        .stmt = PQ_SIGNING_KEY_RETIRE, .exists = PQ_SIGNING_KEY_EXISTS, .id = kid, .at = at};
    return store_pg_write_tx(s, store_pg_stamp, &st, true);
}

/* ---- audit --------------------------------------------------------------------------- */

int store_pg_audit_add(struct store *s, const struct store_audit_event *e)
{
    struct pg_conn *c;
    int rc = store_pg_conn(s, &c);
    return rc ? rc : store_pg_audit_insert(c, e);
}

/* One upsert on the partial unique index of aggregated rows: atomic without a transaction,
 * whichever instances add to the same minute at once. */
int store_pg_audit_add_aggregated(struct store *s, const struct store_audit_event *e, int64_t count)
{
    if (count < 1)
        return RC_EINVAL;
    int64_t bucket = e->at - ((e->at % 60) + 60) % 60; /* the minute's start, also before 1970 */
    struct pg_params p = {0};
    pg_text(&p, e->account_id);
    pg_int(&p, bucket);
    pg_text(&p, e->actor);
    pg_text(&p, e->event);
    pg_text(&p, e->subject);
    pg_int(&p, count);
    pg_text(&p, e->detail);
    return store_pg_run(s, PQ_AUDIT_AGGREGATE, &p, NULL);
}

struct audit_rows {
    store_audit_cb cb;
    void *ctx;
};

static int audit_row(const PGresult *r, int i, void *arg)
{
    struct audit_rows *rows = arg;
    struct store_audit_event e;
    memset(&e, 0, sizeof(e));
    e.id = store_pg_col_int(r, i, 0);
    store_pg_col_text(r, i, 1, e.account_id, sizeof(e.account_id));
    e.at = store_pg_col_int(r, i, 2);
    store_pg_col_text(r, i, 3, e.actor, sizeof(e.actor));
    store_pg_col_text(r, i, 4, e.event, sizeof(e.event));
    store_pg_col_text(r, i, 5, e.subject, sizeof(e.subject));
    e.count = store_pg_col_int(r, i, 6);
    e.detail = store_pg_col_strdup(r, i, 7);
    int stop = rows->cb(rows->ctx, &e);
    store_audit_event_cleanup(&e);
    return stop;
}

int store_pg_audit_list(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                        store_audit_cb cb, void *ctx, int64_t *total)
{
    struct audit_rows rows = {.cb = cb, .ctx = ctx};
    struct store_pg_list q = {.count_stmt = PQ_AUDIT_COUNT,
                              .list_stmt = PQ_AUDIT_LIST,
                              .account = account_id,
                              .offset = offset,
                              .limit = limit,
                              .row = audit_row,
                              .arg = &rows};
    return store_pg_list_run(s, &q, total);
}
