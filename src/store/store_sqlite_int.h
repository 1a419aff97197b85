/* SPDX-License-Identifier: MIT */
/* Private to the SQLite backend (store_sqlite*.c): the handle, the per-thread connection with
 * its cached statements, the SQL of every statement, and the helpers the backend's files
 * share (transactions with retry on SQLITE_BUSY, error mapping, column copies, paged lists).
 * Nothing outside src/store/store_sqlite*.c includes it. */
#ifndef RCAUTH_STORE_SQLITE_INT_H
#define RCAUTH_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Every statement the backend runs, prepared once per connection (SQL in store_sqlite.c). */
enum store_sqlite_stmt {
    SQ_BEGIN_READ,
    SQ_BEGIN_WRITE,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_PING,
    SQ_REVISION_GET,
    SQ_REVISION_BUMP,
    SQ_MIGRATION_TABLE,
    SQ_MIGRATION_APPLIED,
    SQ_MIGRATION_RECORD,
    SQ_MIGRATION_EXISTS,
    SQ_MIGRATION_NEWEST,
    SQ_ACCOUNT_INSERT,
    SQ_ACCOUNT_GET,
    SQ_ACCOUNT_COUNT,
    SQ_ACCOUNT_LIST,
    SQ_ENV_UNSET_MAIN,
    SQ_ENV_INSERT,
    SQ_ENV_GET,
    SQ_ENV_COUNT,
    SQ_ENV_LIST,
    SQ_ACCESS_INSERT,
    SQ_ACCESS_GET,
    SQ_ACCESS_COUNT,
    SQ_ACCESS_LIST,
    SQ_ACCESS_EXISTS,
    SQ_ACCESS_REVOKE,
    SQ_ACCESS_SET_SECRET,
    SQ_ACCESS_TOUCH,
    SQ_ADMIN_KEY_INSERT,
    SQ_ADMIN_KEY_FIND,
    SQ_ADMIN_KEY_LIST,
    SQ_ADMIN_KEY_EXISTS,
    SQ_ADMIN_KEY_REVOKE,
    SQ_ADMIN_KEY_TOUCH,
    SQ_SIGNING_KEY_INSERT,
    SQ_SIGNING_KEY_LIST,
    SQ_SIGNING_KEY_NOTE,
    SQ_SIGNING_KEY_EXISTS,
    SQ_SIGNING_KEY_RETIRE,
    SQ_REFRESH_GET,
    SQ_REFRESH_INSERT,
    SQ_REFRESH_ADVANCE,
    SQ_REFRESH_REVOKE,
    SQ_REFRESH_REVOKE_UPSERT,
    SQ_REVOKED_TOKEN_INSERT,
    SQ_REVOKED_TOKEN_LIST,
    SQ_REVOKED_TOKEN_PRUNE,
    SQ_AUDIT_INSERT,
    SQ_AUDIT_AGGREGATE,
    SQ_AUDIT_COUNT,
    SQ_AUDIT_LIST,
    SQ_COUNT /* number of statements; also "none" where a statement is optional */
};

struct sqlite_store;

/* One thread's connection. Used only by the thread that opened it, closed at thread exit
 * (pthread key destructor) or by close(), whichever comes first. */
struct sqlite_conn {
    sqlite3 *db;
    struct sqlite_store *owner;
    struct sqlite_conn *next; /* in owner->conns */
    int last_rc;              /* extended code of the last failure, for the busy retry */
    sqlite3_stmt *stmts[SQ_COUNT];
};

struct sqlite_store {
    struct store base; /* first: a struct store * is a struct sqlite_store * */
    char *path;        /* owned */
    pthread_key_t key; /* this thread's struct sqlite_conn */
    pthread_mutex_t lock;
    struct sqlite_conn *conns; /* every open connection, under lock */
};

/* A body run inside a transaction on c; returns 0 or a negative enum rc_err. */
typedef int (*store_sqlite_tx_fn)(struct sqlite_conn *c, void *arg);

/* This thread's connection, opened on first use. */
int store_sqlite_conn(struct store *s, struct sqlite_conn **out) RC_MUST_CHECK;
/* The cached statement id of c, prepared on first use; NULL (logged) when it fails. */
sqlite3_stmt *store_sqlite_stmt(struct sqlite_conn *c, enum store_sqlite_stmt id);
/* Map a failed SQLite result to an enum rc_err: RC_ECONFLICT for primary key and unique
 * violations, RC_ENOTFOUND for foreign key ones (the parent row is missing), else RC_ESTORE,
 * logged with SQLite's message and st's SQL (never its parameters). st may be NULL. */
int store_sqlite_err(struct sqlite_conn *c, int sqlite_rc, sqlite3_stmt *st) RC_MUST_CHECK;
/* Reset st and clear its bindings, releasing what it holds. */
void store_sqlite_done(sqlite3_stmt *st);
/* Step st, which returns no rows we need, then reset it. 0 or the mapped error. */
int store_sqlite_exec(struct sqlite_conn *c, sqlite3_stmt *st) RC_MUST_CHECK;
/* Run the cached statement id, which takes no parameters. */
int store_sqlite_run(struct sqlite_conn *c, enum store_sqlite_stmt id) RC_MUST_CHECK;
/* Run fn in BEGIN IMMEDIATE … COMMIT on this thread's connection (rolled back when fn fails),
 * bumping the revision in the same transaction when bump is set. The whole transaction is
 * retried when SQLite still answers SQLITE_BUSY after its busy timeout or without waiting. */
int store_sqlite_write_tx(struct store *s, store_sqlite_tx_fn fn, void *arg,
                          bool bump) RC_MUST_CHECK;
/* Step a single-statement write (autocommit), retrying on SQLITE_BUSY; resets st. */
int store_sqlite_exec_retry(struct sqlite_conn *c, sqlite3_stmt *st) RC_MUST_CHECK;
/* This thread's connection and its cached statement id, ready for binding. */
int store_sqlite_use(struct store *s, enum store_sqlite_stmt id, struct sqlite_conn **c,
                     sqlite3_stmt **st) RC_MUST_CHECK;
/* Step st once: 0 with a row current, RC_ENOTFOUND when there is none, or the mapped error.
 * The caller reads the row, then calls store_sqlite_done(st). */
int store_sqlite_step_row(struct sqlite_conn *c, sqlite3_stmt *st) RC_MUST_CHECK;
/* A bind on st failed: log it, reset st, return RC_ESTORE. */
int store_sqlite_bind_err(struct sqlite_conn *c, sqlite3_stmt *st) RC_MUST_CHECK;

/* Bind shorthands; they return SQLite codes so that a chain of them can be joined with ||.
 * Text and blobs are bound SQLITE_STATIC: they must outlive the statement's step. */
static inline int sq_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static inline int sq_int(sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st, i, v);
}

static inline int sq_blob(sqlite3_stmt *st, int i, const void *v, size_t len)
{
    return sqlite3_bind_blob(st, i, v, (int)len, SQLITE_STATIC);
}

/* Copy column col of the current row into dst (size bytes, always NUL-terminated). */
void store_sqlite_col_text(sqlite3_stmt *st, int col, char *dst, size_t size);
/* Column col as a new string; NULL when the column is NULL. Caller frees. */
char *store_sqlite_col_strdup(sqlite3_stmt *st, int col);
/* Copy at most max bytes of blob column col into dst; returns the bytes copied. */
size_t store_sqlite_col_blob(sqlite3_stmt *st, int col, uint8_t *dst, size_t max);

/* A paged list: count_stmt (or SQ_COUNT for none) gives *total, list_stmt the rows. Named
 * parameters :account, :revoked, :limit and :offset are bound where the statements have
 * them. row() decodes the current row and calls the caller's callback; non-zero stops. */
struct store_sqlite_list {
    enum store_sqlite_stmt count_stmt;
    enum store_sqlite_stmt list_stmt;
    const char *account; /* NULL when unused */
    bool include_revoked;
    int64_t offset;
    int64_t limit; /* negative: no limit */
    int (*row)(sqlite3_stmt *st, void *arg);
    void *arg;
};
/* Run a list in one read transaction (joins the caller's if one is open). total may be NULL.
 * Callbacks may read from the store (other than by running the same list again, whose cached
 * statement is in use) but must not write to it from the same thread. */
int store_sqlite_list_run(struct store *s, const struct store_sqlite_list *q,
                          int64_t *total) RC_MUST_CHECK;

/* A revocation or retirement, run in a write transaction by store_sqlite_stamp(): stmt stamps
 * row ?1 with time ?2 when it is not stamped yet; exists then tells an unknown id
 * (RC_ENOTFOUND) from a row stamped before (0). audit (may be NULL) is appended only when
 * this call stamped the row, so that concurrent revocations are audited once. */
struct store_sqlite_stamp {
    enum store_sqlite_stmt stmt;
    enum store_sqlite_stmt exists;
    const char *id;
    int64_t at;
    const struct store_audit_event *audit;
};
int store_sqlite_stamp(struct sqlite_conn *c, void *arg) RC_MUST_CHECK;
/* Append e (count 1) on c, in the caller's transaction; NULL appends nothing. */
int store_sqlite_audit_insert(struct sqlite_conn *c,
                              const struct store_audit_event *e) RC_MUST_CHECK;

/* The operations, by file: store_sqlite_tenants.c (accounts, environments, accesses) and
 * store_sqlite_keys.c (admin keys, signing keys, refresh chains, audit). */
int store_sqlite_account_create(struct store *s, const struct store_account *a) RC_MUST_CHECK;
int store_sqlite_account_get(struct store *s, const char *id,
                             struct store_account *out) RC_MUST_CHECK;
int store_sqlite_account_list(struct store *s, int64_t offset, int64_t limit, store_account_cb cb,
                              void *ctx, int64_t *total) RC_MUST_CHECK;
int store_sqlite_env_create(struct store *s, const struct store_env *e) RC_MUST_CHECK;
int store_sqlite_env_get(struct store *s, const char *account_id, const char *env_id,
                         struct store_env *out) RC_MUST_CHECK;
int store_sqlite_env_list(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                          store_env_cb cb, void *ctx, int64_t *total) RC_MUST_CHECK;
int store_sqlite_access_create(struct store *s, const struct store_access *a,
                               const struct store_audit_event *audit) RC_MUST_CHECK;
int store_sqlite_access_get(struct store *s, const char *client_id,
                            struct store_access *out) RC_MUST_CHECK;
int store_sqlite_access_list(struct store *s, const char *account_id, bool include_revoked,
                             int64_t offset, int64_t limit, store_access_cb cb, void *ctx,
                             int64_t *total) RC_MUST_CHECK;
int store_sqlite_access_revoke(struct store *s, const char *client_id, int64_t at,
                               const struct store_audit_event *audit) RC_MUST_CHECK;
int store_sqlite_access_set_secret(struct store *s, const char *client_id,
                                   const uint8_t secret_hash[32],
                                   const struct store_audit_event *audit) RC_MUST_CHECK;
int store_sqlite_access_touch(struct store *s, const struct store_touch *t, size_t n) RC_MUST_CHECK;

int store_sqlite_admin_key_create(struct store *s, const struct store_admin_key *k,
                                  const struct store_audit_event *audit) RC_MUST_CHECK;
int store_sqlite_admin_key_find(struct store *s, const uint8_t key_hash[32],
                                struct store_admin_key *out) RC_MUST_CHECK;
int store_sqlite_admin_key_list(struct store *s, store_admin_key_cb cb, void *ctx) RC_MUST_CHECK;
int store_sqlite_admin_key_revoke(struct store *s, const char *id, int64_t at,
                                  const struct store_audit_event *audit) RC_MUST_CHECK;
int store_sqlite_admin_key_touch(struct store *s, const char *id, int64_t at) RC_MUST_CHECK;
int store_sqlite_signing_key_add(struct store *s, const struct store_signing_key *k) RC_MUST_CHECK;
int store_sqlite_signing_key_list(struct store *s, store_signing_key_cb cb,
                                  void *ctx) RC_MUST_CHECK;
int store_sqlite_signing_key_note(struct store *s, const char *kid, int64_t max_exp,
                                  bool non_expiring) RC_MUST_CHECK;
int store_sqlite_signing_key_retire(struct store *s, const char *kid, int64_t at) RC_MUST_CHECK;
int store_sqlite_refresh_rotate(struct store *s, const char *chain_id, const char *client_id,
                                int64_t presented_gen, int64_t at,
                                enum store_refresh_result *result) RC_MUST_CHECK;
/* store_sqlite_revoked.c: revoking refresh chains and single access tokens (RFC 7009). */
int store_sqlite_refresh_get(struct store *s, const char *chain_id, int64_t *generation,
                             bool *revoked) RC_MUST_CHECK;
int store_sqlite_refresh_revoke(struct store *s, const char *chain_id, const char *client_id,
                                int64_t at, const struct store_audit_event *audit) RC_MUST_CHECK;
int store_sqlite_revoked_token_add(struct store *s,
                                   const struct store_revoked_token *t) RC_MUST_CHECK;
int store_sqlite_revoked_token_record(struct store *s, const struct store_revoked_token *t,
                                      const struct store_audit_event *audit) RC_MUST_CHECK;
int store_sqlite_revoked_token_list(struct store *s, int64_t after_seq, store_revoked_token_cb cb,
                                    void *ctx) RC_MUST_CHECK;
int store_sqlite_revoked_token_prune(struct store *s, int64_t now, int64_t *removed) RC_MUST_CHECK;
int store_sqlite_audit_add(struct store *s, const struct store_audit_event *e) RC_MUST_CHECK;
int store_sqlite_audit_add_aggregated(struct store *s, const struct store_audit_event *e,
                                      int64_t count) RC_MUST_CHECK;
int store_sqlite_audit_list(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                            store_audit_cb cb, void *ctx, int64_t *total) RC_MUST_CHECK;

#endif
