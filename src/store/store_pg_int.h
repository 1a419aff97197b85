/* SPDX-License-Identifier: MIT */
/* Private to the PostgreSQL backend (store_pg*.c): the handle, the per-thread connection with
 * its prepared statements, the statement ids, bound parameters, and the helpers the
 * backend's files share (round trips bounded in time, error mapping, transactions, column
 * reads, paged lists). Nothing outside src/store/store_pg*.c includes it. */
#ifndef RCAUTH_STORE_PG_INT_H
#define RCAUTH_STORE_PG_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

/* Every statement the backend runs, prepared once per connection (SQL in store_pg_sql.c). */
enum store_pg_stmt {
    PQ_BEGIN,
    PQ_BEGIN_READ,
    PQ_COMMIT,
    PQ_ROLLBACK,
    PQ_PING,
    PQ_REVISION_GET,
    PQ_REVISION_BUMP,
    PQ_MIGRATION_LOCK,
    PQ_MIGRATION_TABLE,
    PQ_MIGRATION_APPLIED,
    PQ_MIGRATION_RECORD,
    PQ_MIGRATION_EXISTS,
    PQ_MIGRATION_NEWEST,
    PQ_ACCOUNT_INSERT,
    PQ_ACCOUNT_GET,
    PQ_ACCOUNT_COUNT,
    PQ_ACCOUNT_LIST,
    PQ_ENV_UNSET_MAIN,
    PQ_ENV_INSERT,
    PQ_ENV_GET,
    PQ_ENV_COUNT,
    PQ_ENV_LIST,
    PQ_ACCESS_INSERT,
    PQ_ACCESS_GET,
    PQ_ACCESS_EXISTS,
    PQ_ACCESS_COUNT,
    PQ_ACCESS_LIST,
    PQ_ACCESS_REVOKE,
    PQ_ACCESS_SET_SECRET,
    PQ_ACCESS_TOUCH,
    PQ_ADMIN_KEY_INSERT,
    PQ_ADMIN_KEY_FIND,
    PQ_ADMIN_KEY_LIST,
    PQ_ADMIN_KEY_EXISTS,
    PQ_ADMIN_KEY_REVOKE,
    PQ_ADMIN_KEY_TOUCH,
    PQ_SIGNING_KEY_INSERT,
    PQ_SIGNING_KEY_LIST,
    PQ_SIGNING_KEY_NOTE,
    PQ_SIGNING_KEY_EXISTS,
    PQ_SIGNING_KEY_RETIRE,
    PQ_REFRESH_GET,
    PQ_REFRESH_START,
    PQ_REFRESH_ADVANCE,
    PQ_REFRESH_REVOKE,
    PQ_REFRESH_REVOKE_UPSERT,
    PQ_REVOKED_TOKEN_INSERT,
    PQ_REVOKED_TOKEN_LIST,
    PQ_REVOKED_TOKEN_PRUNE,
    PQ_AUDIT_INSERT,
    PQ_AUDIT_AGGREGATE,
    PQ_AUDIT_COUNT,
    PQ_AUDIT_LIST,
    PQ_COUNT /* number of statements; also "none" where a statement is optional */
};

/* The SQL of statement id (store_pg_sql.c). */
extern const char *const store_pg_sql[PQ_COUNT];

/* The NOTIFY channel that PQ_REVISION_BUMP signals (store_pg_sql.c). */
extern const char store_pg_channel[];

struct pg_store;
struct pg_listener;

/* One thread's connection, used only by the thread that opened it; closed at thread exit
 * (pthread key destructor) or by close(). pg is NULL while the database is unreachable: the
 * next use reconnects. */
struct pg_conn {
    PGconn *pg;
    struct pg_store *owner;
    struct pg_conn *next; /* in owner->conns */
    bool prepared[PQ_COUNT];
    char sqlstate[6]; /* SQLSTATE of the last failed statement, "" when none */
    bool timed_out;   /* the last statement got no answer in time */
};

/* The strings of a URL that no message may show: the URL itself, its user and password
 * (as written, and as libpq decodes them), longest first (store_pg_url.c). */
#define PG_REDACT_MAX 8
struct pg_redact {
    char *items[PG_REDACT_MAX]; /* owned */
    int n;
};
void store_pg_redact_init(struct pg_redact *r, const char *url);
void store_pg_redact_cleanup(struct pg_redact *r);
/* The first line of in, with every item of r replaced by "***", into out (always
 * NUL-terminated). For every text that comes from libpq or the server. */
void store_pg_redact(const struct pg_redact *r, const char *in, char *out, size_t size);
/* A copy of url (caller frees) with its scheme in lower case, as libpq wants it. */
char *store_pg_url_normalize(const char *url);

struct pg_store {
    struct store base; /* first: a struct store * is a struct pg_store * */
    char *conninfo;    /* owned; never logged (it may hold a password) */
    char where[256];   /* conninfo without user and password, for messages */
    struct pg_redact redact;
    pthread_key_t key; /* this thread's struct pg_conn */
    pthread_mutex_t lock;
    struct pg_conn *conns; /* every open connection, under lock */
    /* The circuit breaker (store_pg_breaker.c): set (atomic) while the database does not
     * answer, and every call fails at once with RC_EUNAVAIL instead of waiting on its own
     * connection; the prober thread clears it when a probe succeeds. Under lock: */
    int unavailable;
    bool stopping;
    bool prober_started;
    pthread_t prober;
    pthread_cond_t wake;          /* the prober's: the breaker opened, or close() */
    struct pg_listener *listener; /* NULL until watch() */
};

/* Connect a new libpq connection for s with application_name app ("rcauth" for the pool,
 * "rcauth-listener-<pid>" for the listener). NULL (logged) when it fails. */
PGconn *store_pg_connect(struct pg_store *s, const char *app);
/* The result of the command just sent on pg (its first error, else its last result), or
 * NULL when no answer came within timeout_ms (*timed_out set) or the connection broke. */
PGresult *store_pg_await(PGconn *pg, int timeout_ms, bool *timed_out);

/* The circuit breaker (store_pg_breaker.c), closed; store_pg_breaker_stop() undoes it. */
void store_pg_breaker_init(struct pg_store *s);
/* Open it: the database did not answer (a
 * connection attempt failed, or a statement timed out and its cancellation was not taken);
 * logged once per opening. */
void store_pg_breaker_trip(struct pg_store *s);
/* true while it is open: fail at once. */
bool store_pg_breaker_is_open(struct pg_store *s);
/* Stop the prober thread, if any (close()). s->lock must still be usable. */
void store_pg_breaker_stop(struct pg_store *s);
/* Ask the server to cancel the statement running on pg (PQcancel), so that its backend ends
 * rather than wait on (a lock) with nobody to answer; true when the server took the request
 * within a short wait (then it is alive, merely slow or blocked). pg stays the caller's. */
bool store_pg_cancel(PGconn *pg);

/* Bound parameters of one statement, as libpq takes them (text, or binary for blobs). */
#define PG_MAX_PARAMS 10
struct pg_params {
    int n;
    const char *values[PG_MAX_PARAMS];
    int lengths[PG_MAX_PARAMS];
    int formats[PG_MAX_PARAMS];
    char ints[PG_MAX_PARAMS][24];
};

/* Append a parameter. Values are borrowed: they must outlive the statement's execution. A
 * NULL text is SQL NULL. */
void pg_text(struct pg_params *p, const char *v);
void pg_int(struct pg_params *p, int64_t v);
void pg_bool(struct pg_params *p, bool v);
void pg_blob(struct pg_params *p, const void *v, size_t len);

/* This thread's connection, opened (or reopened, when the server closed it) on demand.
 * RC_EUNAVAIL when the database cannot be reached. */
int store_pg_conn(struct store *s, struct pg_conn **out) RC_MUST_CHECK;
/* Run statement id (prepared on c on first use) with p (NULL: no parameters), waiting a few
 * seconds at most. On success *res (may be NULL: cleared) receives the result, which the
 * caller PQclear()s; on failure *res is NULL (so PQclear(*res) is always right). Errors:
 * RC_ECONFLICT (unique violation), RC_ENOTFOUND (foreign key violation: the parent row is missing),
 * RC_EUNAVAIL (connection lost or timed out; c is then closed), RC_ESTORE (anything else, logged
 * with the statement's SQL, never its parameters). */
int store_pg_exec(struct pg_conn *c, enum store_pg_stmt id, const struct pg_params *p,
                  PGresult **res) RC_MUST_CHECK;
/* store_pg_exec() on this thread's connection, outside any transaction. */
int store_pg_run(struct store *s, enum store_pg_stmt id, const struct pg_params *p,
                 PGresult **res) RC_MUST_CHECK;
/* Run statement id and take its number of affected rows into *n. */
int store_pg_run_count(struct store *s, enum store_pg_stmt id, const struct pg_params *p,
                       int64_t *n) RC_MUST_CHECK;
/* Run a query that returns at most one row: 0 with *res holding it, RC_ENOTFOUND (nothing
 * to clear) when there is none. c NULL: this thread's connection. */
int store_pg_row(struct store *s, struct pg_conn *c, enum store_pg_stmt id,
                 const struct pg_params *p, PGresult **res) RC_MUST_CHECK;

/* A body run inside a transaction on c; returns 0 or a negative enum rc_err. */
typedef int (*store_pg_tx_fn)(struct pg_conn *c, void *arg);
/* Run fn in BEGIN … COMMIT (rolled back when fn fails). With bump, the revision is bumped
 * and NOTIFY sent first: that takes the revision row's lock, which serialises every
 * revision-bumping transaction of every process until it commits, as SQLite's write lock
 * does; the notification is delivered at commit, and only if it commits. Retried whole on a
 * serialisation failure or deadlock. */
int store_pg_write_tx(struct store *s, store_pg_tx_fn fn, void *arg, bool bump) RC_MUST_CHECK;

/* Columns of row of r, as text results: copy (always NUL-terminated), new string (NULL for
 * SQL NULL; caller frees), integer, boolean, bytea (at most max bytes; returns the count). */
void store_pg_col_text(const PGresult *r, int row, int col, char *dst, size_t size);
char *store_pg_col_strdup(const PGresult *r, int row, int col);
int64_t store_pg_col_int(const PGresult *r, int row, int col);
bool store_pg_col_bool(const PGresult *r, int row, int col);
size_t store_pg_col_blob(const PGresult *r, int row, int col, uint8_t *dst, size_t max);

/* A paged list: count_stmt (or PQ_COUNT for none) gives *total, list_stmt the rows. Both
 * take the filters as their first parameters — account ($1) when not NULL, then
 * include_revoked when revoked_filter — and list_stmt then limit and offset. row() decodes
 * row i of r and calls the caller's callback; non-zero stops. */
struct store_pg_list {
    enum store_pg_stmt count_stmt;
    enum store_pg_stmt list_stmt;
    const char *account; /* NULL when unused */
    bool revoked_filter;
    bool include_revoked;
    int64_t offset;
    int64_t limit; /* negative: no limit */
    int (*row)(const PGresult *r, int i, void *arg);
    void *arg;
};
/* Run a list in one read-only snapshot. total may be NULL. Callbacks may read the store. */
int store_pg_list_run(struct store *s, const struct store_pg_list *q, int64_t *total) RC_MUST_CHECK;

/* A revocation or retirement, in a write transaction by store_pg_stamp(): stmt stamps row $1
 * with time $2 when it is not stamped yet; exists then tells an unknown id (RC_ENOTFOUND)
 * from a row stamped before (0). audit (may be NULL) is appended only when this call
 * stamped the row. */
struct store_pg_stamp {
    enum store_pg_stmt stmt;
    enum store_pg_stmt exists;
    const char *id;
    int64_t at;
    const struct store_audit_event *audit;
};
int store_pg_stamp(struct pg_conn *c, void *arg) RC_MUST_CHECK;
/* Append e (count 1) on c, in the caller's transaction; NULL appends nothing. */
int store_pg_audit_insert(struct pg_conn *c, const struct store_audit_event *e) RC_MUST_CHECK;

/* The change listener (store_pg_listen.c): its own connection LISTENing on store_pg_channel,
 * in its own thread, reconnecting after a failure. */
int store_pg_watch(struct store *s, store_change_cb cb, void *ctx) RC_MUST_CHECK;
/* Stop and join the listener thread; NULL is a no-op. */
void store_pg_listener_stop(struct pg_listener *l);

/* The operations, by file: store_pg_tenants.c (accounts, environments, accesses),
 * store_pg_keys.c (admin keys, signing keys, audit), store_pg_revoked.c (refresh chains,
 * revoked tokens). */
int store_pg_account_create(struct store *s, const struct store_account *a) RC_MUST_CHECK;
int store_pg_account_get(struct store *s, const char *id, struct store_account *out) RC_MUST_CHECK;
int store_pg_account_list(struct store *s, int64_t offset, int64_t limit, store_account_cb cb,
                          void *ctx, int64_t *total) RC_MUST_CHECK;
int store_pg_env_create(struct store *s, const struct store_env *e) RC_MUST_CHECK;
int store_pg_env_get(struct store *s, const char *account_id, const char *env_id,
                     struct store_env *out) RC_MUST_CHECK;
int store_pg_env_list(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                      store_env_cb cb, void *ctx, int64_t *total) RC_MUST_CHECK;
int store_pg_access_create(struct store *s, const struct store_access *a,
                           const struct store_audit_event *audit) RC_MUST_CHECK;
int store_pg_access_get(struct store *s, const char *client_id,
                        struct store_access *out) RC_MUST_CHECK;
int store_pg_access_list(struct store *s, const char *account_id, bool include_revoked,
                         int64_t offset, int64_t limit, store_access_cb cb, void *ctx,
                         int64_t *total) RC_MUST_CHECK;
int store_pg_access_revoke(struct store *s, const char *client_id, int64_t at,
                           const struct store_audit_event *audit) RC_MUST_CHECK;
int store_pg_access_set_secret(struct store *s, const char *client_id,
                               const uint8_t secret_hash[32],
                               const struct store_audit_event *audit) RC_MUST_CHECK;
int store_pg_access_touch(struct store *s, const struct store_touch *t, size_t n) RC_MUST_CHECK;

int store_pg_admin_key_create(struct store *s, const struct store_admin_key *k,
                              const struct store_audit_event *audit) RC_MUST_CHECK;
int store_pg_admin_key_find(struct store *s, const uint8_t key_hash[32],
                            struct store_admin_key *out) RC_MUST_CHECK;
int store_pg_admin_key_list(struct store *s, store_admin_key_cb cb, void *ctx) RC_MUST_CHECK;
int store_pg_admin_key_revoke(struct store *s, const char *id, int64_t at,
                              const struct store_audit_event *audit) RC_MUST_CHECK;
int store_pg_admin_key_touch(struct store *s, const char *id, int64_t at) RC_MUST_CHECK;
int store_pg_signing_key_add(struct store *s, const struct store_signing_key *k) RC_MUST_CHECK;
int store_pg_signing_key_list(struct store *s, store_signing_key_cb cb, void *ctx) RC_MUST_CHECK;
int store_pg_signing_key_note(struct store *s, const char *kid, int64_t max_exp,
                              bool non_expiring) RC_MUST_CHECK;
int store_pg_signing_key_retire(struct store *s, const char *kid, int64_t at) RC_MUST_CHECK;
int store_pg_audit_add(struct store *s, const struct store_audit_event *e) RC_MUST_CHECK;
int store_pg_audit_add_aggregated(struct store *s, const struct store_audit_event *e,
                                  int64_t count) RC_MUST_CHECK;
int store_pg_audit_list(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                        store_audit_cb cb, void *ctx, int64_t *total) RC_MUST_CHECK;

int store_pg_refresh_rotate(struct store *s, const char *chain_id, const char *client_id,
                            int64_t presented_gen, int64_t at,
                            enum store_refresh_result *result) RC_MUST_CHECK;
int store_pg_refresh_get(struct store *s, const char *chain_id, int64_t *generation,
                         bool *revoked) RC_MUST_CHECK;
int store_pg_refresh_revoke(struct store *s, const char *chain_id, const char *client_id,
                            int64_t at, const struct store_audit_event *audit) RC_MUST_CHECK;
int store_pg_revoked_token_add(struct store *s, const struct store_revoked_token *t) RC_MUST_CHECK;
int store_pg_revoked_token_record(struct store *s, const struct store_revoked_token *t,
                                  const struct store_audit_event *audit) RC_MUST_CHECK;
int store_pg_revoked_token_list(struct store *s, int64_t after_seq, store_revoked_token_cb cb,
                                void *ctx) RC_MUST_CHECK;
int store_pg_revoked_token_prune(struct store *s, int64_t now, int64_t *removed) RC_MUST_CHECK;

#endif
