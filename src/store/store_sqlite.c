/* SPDX-License-Identifier: MIT */
/* The SQLite backend of the store interface (store.h): opening the database file, one
 * connection per thread with its cached statements, transactions that hold up while other
 * processes write the same file (BEGIN IMMEDIATE, retried on SQLITE_BUSY), migrations, and
 * the helpers the operations share. The SQL of every statement is here; the operations are in
 * store_sqlite_tenants.c (accounts, environments, accesses), store_sqlite_keys.c (admin
 * keys, signing keys, refresh chains, audit) and store_sqlite_revoked.c (revocations of
 * single tokens). What is valid input is the callers' business. */
#include "store/store_sqlite_int.h"
#include "store/store_migrations.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A write waits at most about (BUSY_RETRIES + 1) × BUSY_TIMEOUT_MS for a lock held by
 * another process (4.5 s), then fails with 503: it runs on a request thread, and every
 * connection of that thread waits with it. */
#define BUSY_TIMEOUT_MS 1500
/* Retries of a whole transaction once SQLite gave up with SQLITE_BUSY. */
#define BUSY_RETRIES 2

static const char *const sql_text[SQ_COUNT] = {
    [SQ_BEGIN_READ] = "BEGIN",
    [SQ_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_PING] = "SELECT 1",
    [SQ_REVISION_GET] = "SELECT value FROM revision WHERE id = 1",
    [SQ_REVISION_BUMP] = "UPDATE revision SET value = value + 1 WHERE id = 1",
    [SQ_MIGRATION_TABLE] = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                           "PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    [SQ_MIGRATION_APPLIED] = "SELECT 1 FROM schema_migrations WHERE version = ?1",
    [SQ_MIGRATION_RECORD] =
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
    [SQ_MIGRATION_EXISTS] =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    [SQ_MIGRATION_NEWEST] = "SELECT coalesce(max(version), 0) FROM schema_migrations",

    [SQ_ACCOUNT_INSERT] = "INSERT INTO accounts (id, name, created_at) VALUES (?1, ?2, ?3)",
    [SQ_ACCOUNT_GET] = "SELECT id, name, created_at FROM accounts WHERE id = ?1",
    [SQ_ACCOUNT_COUNT] = "SELECT count(*) FROM accounts",
    [SQ_ACCOUNT_LIST] = "SELECT id, name, created_at FROM accounts ORDER BY created_at, id "
                        "LIMIT :limit OFFSET :offset",

    [SQ_ENV_UNSET_MAIN] = "UPDATE environments SET is_main = 0 WHERE account_id = ?1 AND id <> ?2 "
                          "AND is_main <> 0",
    [SQ_ENV_INSERT] = "INSERT INTO environments (id, account_id, name, is_main, created_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)",
    [SQ_ENV_GET] = "SELECT id, account_id, name, is_main, created_at FROM environments "
                   "WHERE account_id = ?1 AND id = ?2",
    [SQ_ENV_COUNT] = "SELECT count(*) FROM environments WHERE account_id = :account",
    [SQ_ENV_LIST] = "SELECT id, account_id, name, is_main, created_at FROM environments "
                    "WHERE account_id = :account ORDER BY created_at, id "
                    "LIMIT :limit OFFSET :offset",

    [SQ_ACCESS_INSERT] = "INSERT INTO accesses (client_id, account_id, name, environments, "
                         "actions, secret_hash, created_at, last_used_at, revoked_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [SQ_ACCESS_GET] = "SELECT client_id, account_id, name, environments, actions, secret_hash, "
                      "created_at, last_used_at, revoked_at FROM accesses WHERE client_id = ?1",
    [SQ_ACCESS_COUNT] = "SELECT count(*) FROM accesses WHERE account_id = :account "
                        "AND (:revoked OR revoked_at = 0)",
    [SQ_ACCESS_LIST] = "SELECT client_id, account_id, name, environments, actions, secret_hash, "
                       "created_at, last_used_at, revoked_at FROM accesses "
                       "WHERE account_id = :account AND (:revoked OR revoked_at = 0) "
                       "ORDER BY created_at, client_id LIMIT :limit OFFSET :offset",
    [SQ_ACCESS_EXISTS] = "SELECT 1 FROM accesses WHERE client_id = ?1",
    [SQ_ACCESS_REVOKE] = "UPDATE accesses SET revoked_at = ?2 WHERE client_id = ?1 "
                         "AND revoked_at = 0",
    [SQ_ACCESS_SET_SECRET] =
        "UPDATE accesses SET secret_hash = ?2 WHERE client_id = ?1 AND revoked_at = 0",
    [SQ_ACCESS_TOUCH] =
        "UPDATE accesses SET last_used_at = ?2 WHERE client_id = ?1 AND last_used_at < ?2",

    [SQ_ADMIN_KEY_INSERT] = "INSERT INTO admin_keys (id, name, key_hash, created_at, "
                            "last_used_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_ADMIN_KEY_FIND] = "SELECT id, name, key_hash, created_at, last_used_at, revoked_at "
                          "FROM admin_keys WHERE key_hash = ?1",
    [SQ_ADMIN_KEY_LIST] = "SELECT id, name, key_hash, created_at, last_used_at, revoked_at "
                          "FROM admin_keys ORDER BY created_at, id LIMIT :limit OFFSET :offset",
    [SQ_ADMIN_KEY_EXISTS] = "SELECT 1 FROM admin_keys WHERE id = ?1",
    [SQ_ADMIN_KEY_REVOKE] =
        "UPDATE admin_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0",
    [SQ_ADMIN_KEY_TOUCH] =
        "UPDATE admin_keys SET last_used_at = ?2 WHERE id = ?1 AND last_used_at < ?2",

    [SQ_SIGNING_KEY_INSERT] = "INSERT INTO signing_keys (kid, alg, public_key, sealed_private, "
                              "created_at, retired_at, max_exp, signed_non_expiring) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQ_SIGNING_KEY_LIST] = "SELECT kid, alg, public_key, sealed_private, created_at, retired_at, "
                            "max_exp, signed_non_expiring FROM signing_keys "
                            "ORDER BY created_at, rowid LIMIT :limit OFFSET :offset",
    [SQ_SIGNING_KEY_NOTE] = "UPDATE signing_keys SET max_exp = max(max_exp, ?2), "
                            "signed_non_expiring = signed_non_expiring | ?3 WHERE kid = ?1",
    [SQ_SIGNING_KEY_EXISTS] = "SELECT 1 FROM signing_keys WHERE kid = ?1",
    [SQ_SIGNING_KEY_RETIRE] =
        "UPDATE signing_keys SET retired_at = ?2 WHERE kid = ?1 AND retired_at = 0",

    [SQ_REFRESH_GET] = "SELECT generation, revoked FROM refresh_chains WHERE chain_id = ?1",
    [SQ_REFRESH_INSERT] = "INSERT INTO refresh_chains (chain_id, client_id, generation, "
                          "revoked, updated_at) VALUES (?1, ?2, ?3, 0, ?4)",
    [SQ_REFRESH_ADVANCE] =
        "UPDATE refresh_chains SET generation = ?2, updated_at = ?3 WHERE chain_id = ?1",
    [SQ_REFRESH_REVOKE] =
        "UPDATE refresh_chains SET revoked = 1, updated_at = ?2 WHERE chain_id = ?1",
    [SQ_REFRESH_REVOKE_UPSERT] =
        "INSERT INTO refresh_chains (chain_id, client_id, generation, revoked, updated_at) "
        "VALUES (?1, ?2, 0, 1, ?3) ON CONFLICT (chain_id) DO UPDATE SET revoked = 1, "
        "updated_at = excluded.updated_at WHERE revoked = 0",

    [SQ_REVOKED_TOKEN_INSERT] = "INSERT INTO revoked_tokens (jti, client_id, exp, revoked_at) "
                                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (jti) DO NOTHING",
    [SQ_REVOKED_TOKEN_LIST] = "SELECT seq, jti, client_id, exp, revoked_at FROM revoked_tokens "
                              "WHERE seq > ?1 ORDER BY seq",
    [SQ_REVOKED_TOKEN_PRUNE] =
        "DELETE FROM revoked_tokens WHERE (exp <> 0 AND exp <= ?1) OR EXISTS (SELECT 1 FROM "
        "accesses a WHERE a.client_id = revoked_tokens.client_id AND a.revoked_at <> 0)",

    [SQ_AUDIT_INSERT] = "INSERT INTO audit_events (account_id, at, actor, event, subject, count, "
                        "detail) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
    [SQ_AUDIT_AGGREGATE] = "INSERT INTO audit_events (account_id, at, actor, event, subject, "
                           "count, detail, aggregated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1) "
                           "ON CONFLICT (account_id, event, subject, at) WHERE aggregated = 1 "
                           "DO UPDATE SET count = count + excluded.count",
    [SQ_AUDIT_COUNT] = "SELECT count(*) FROM audit_events WHERE account_id = :account",
    [SQ_AUDIT_LIST] = "SELECT id, account_id, at, actor, event, subject, count, detail "
                      "FROM audit_events WHERE account_id = :account ORDER BY id DESC "
                      "LIMIT :limit OFFSET :offset",
};

/* ---- waiting ------------------------------------------------------------------------- */

/* Sleep a little longer at each attempt, with jitter so that processes that collided do not
 * collide again in step. */
static void backoff(int attempt)
{
    long us = 2000L * (attempt + 1) + (long)(time_mono_us() % 2000);
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool is_busy(int sqlite_rc)
{
    return (sqlite_rc & 0xff) == SQLITE_BUSY;
}

/* The database is there but cannot serve now: locked past every retry, or its file cannot be
 * opened. Worth retrying later (RC_EUNAVAIL), unlike a failed statement. */
static bool is_unavailable(int sqlite_rc)
{
    int primary = sqlite_rc & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_CANTOPEN;
}

/* ---- connections --------------------------------------------------------------------- */

static int check_wal(void *arg, int ncols, char **vals, char **names)
{
    (void)names;
    bool *wal = arg;
    *wal = ncols == 1 && vals[0] && strcmp(vals[0], "wal") == 0;
    return 0;
}

/* The per-connection settings. Switching a new file to WAL takes a lock that a process doing
 * the same at the same moment may hold, so it is retried. */
static int conn_setup(sqlite3 *db, const char *path)
{
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    bool wal = false;
    int src;
    for (int attempt = 0;; attempt++) {
        src = sqlite3_exec(db, "PRAGMA journal_mode=WAL", check_wal, &wal, NULL);
        if (!is_busy(src) || attempt == BUSY_RETRIES)
            break;
        backoff(attempt);
    }
    if (src == SQLITE_OK && !wal)
        log_msg(LOG_WARN, "sqlite: WAL mode refused, concurrency will suffer", "path", path, NULL);
    if (src == SQLITE_OK)
        src =
            sqlite3_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    return src;
}

static int conn_open(struct sqlite_store *s, struct sqlite_conn **out)
{
    sqlite3 *db = NULL;
    struct sqlite_conn *c = NULL;
    int rc = 0;
    /* NOMUTEX: a connection is only ever used by the thread that opened it. */
    int src = sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src == SQLITE_OK)
        src = conn_setup(db, s->path);
    if (src != SQLITE_OK) {
        char where[256];
        store_location_describe(s->path, where, sizeof(where));
        log_msg(LOG_ERROR, "sqlite: cannot open database", "path", where, "error",
                db ? sqlite3_errmsg(db) : sqlite3_errstr(src), NULL);
        rc = RC_ESTORE;
        goto out;
    }
    c = xcalloc(1, sizeof(*c));
    c->db = db;
    c->owner = s;
    db = NULL;
    *out = c;
out:
    sqlite3_close_v2(db);
    return rc;
}

static void conn_close(struct sqlite_conn *c)
{
    for (int i = 0; i < SQ_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close_v2(c->db);
    free(c);
}

/* pthread key destructor: the thread that owned c is exiting. */
static void conn_release(void *arg)
{
    struct sqlite_conn *c = arg;
    struct sqlite_store *s = c->owner;
    pthread_mutex_lock(&s->lock);
    for (struct sqlite_conn **p = &s->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    conn_close(c);
}

int store_sqlite_conn(struct store *base, struct sqlite_conn **out)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct sqlite_conn *c = pthread_getspecific(s->key);
    if (c) {
        *out = c;
        return 0;
    }
    int rc = conn_open(s, &c);
    if (rc)
        return rc;
    if (pthread_setspecific(s->key, c) != 0) {
        log_msg(LOG_ERROR, "sqlite: cannot keep the thread's connection", NULL);
        conn_close(c);
        return RC_ESTORE;
    }
    pthread_mutex_lock(&s->lock);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->lock);
    *out = c;
    return 0;
}

/* ---- statements ---------------------------------------------------------------------- */

sqlite3_stmt *store_sqlite_stmt(struct sqlite_conn *c, enum store_sqlite_stmt id)
{
    if (c->stmts[id])
        return c->stmts[id];
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v3(c->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (src != SQLITE_OK) {
        c->last_rc = src;
        log_msg(LOG_ERROR, "sqlite: prepare failed", "error", sqlite3_errmsg(c->db), "sql",
                sql_text[id], NULL);
        sqlite3_finalize(st);
        return NULL;
    }
    c->stmts[id] = st;
    return st;
}

int store_sqlite_use(struct store *s, enum store_sqlite_stmt id, struct sqlite_conn **c,
                     sqlite3_stmt **st)
{
    int rc = store_sqlite_conn(s, c);
    if (rc)
        return rc;
    *st = store_sqlite_stmt(*c, id);
    return *st ? 0 : RC_ESTORE;
}

int store_sqlite_err(struct sqlite_conn *c, int sqlite_rc, sqlite3_stmt *st)
{
    c->last_rc = sqlite_rc;
    if (sqlite_rc == SQLITE_CONSTRAINT_PRIMARYKEY || sqlite_rc == SQLITE_CONSTRAINT_UNIQUE)
        return RC_ECONFLICT;
    if (sqlite_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return RC_ENOTFOUND;
    char code[16];
    snprintf(code, sizeof(code), "%d", sqlite_rc);
    log_msg(is_busy(sqlite_rc) ? LOG_WARN : LOG_ERROR, "sqlite: statement failed", "error",
            sqlite3_errmsg(c->db), "code", code, "sql", st ? sqlite3_sql(st) : "", NULL);
    return is_unavailable(sqlite_rc) ? RC_EUNAVAIL : RC_ESTORE;
}

void store_sqlite_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int store_sqlite_bind_err(struct sqlite_conn *c, sqlite3_stmt *st)
{
    int rc = store_sqlite_err(c, sqlite3_extended_errcode(c->db), st);
    store_sqlite_done(st);
    return rc == 0 ? RC_ESTORE : rc;
}

int store_sqlite_exec(struct sqlite_conn *c, sqlite3_stmt *st)
{
    int src = sqlite3_step(st);
    int rc = src == SQLITE_DONE || src == SQLITE_ROW ? 0 : store_sqlite_err(c, src, st);
    store_sqlite_done(st);
    return rc;
}

int store_sqlite_run(struct sqlite_conn *c, enum store_sqlite_stmt id)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, id);
    return st ? store_sqlite_exec(c, st) : RC_ESTORE;
}

int store_sqlite_step_row(struct sqlite_conn *c, sqlite3_stmt *st)
{
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        return 0;
    if (src == SQLITE_DONE)
        return RC_ENOTFOUND;
    return store_sqlite_err(c, src, st);
}

int store_sqlite_exec_retry(struct sqlite_conn *c, sqlite3_stmt *st)
{
    for (int attempt = 0;; attempt++) {
        int src = sqlite3_step(st);
        int rc = src == SQLITE_DONE || src == SQLITE_ROW ? 0 : store_sqlite_err(c, src, st);
        if (rc != RC_EUNAVAIL || !is_busy(src) || attempt == BUSY_RETRIES) {
            store_sqlite_done(st);
            return rc;
        }
        sqlite3_reset(st); /* keeps the bindings for the next attempt */
        backoff(attempt);
    }
}

/* ---- transactions -------------------------------------------------------------------- */

static void rollback(struct sqlite_conn *c)
{
    if (sqlite3_get_autocommit(c->db))
        return; /* SQLite already rolled back, or nothing was begun */
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ROLLBACK);
    if (st) {
        sqlite3_step(st);
        store_sqlite_done(st);
    }
}

static int write_tx_once(struct sqlite_conn *c, store_sqlite_tx_fn fn, void *arg, bool bump)
{
    c->last_rc = SQLITE_OK;
    int rc = store_sqlite_run(c, SQ_BEGIN_WRITE);
    if (rc)
        return rc;
    rc = fn(c, arg);
    if (rc == 0 && bump)
        rc = store_sqlite_run(c, SQ_REVISION_BUMP);
    if (rc == 0)
        rc = store_sqlite_run(c, SQ_COMMIT);
    if (rc)
        rollback(c);
    return rc;
}

int store_sqlite_write_tx(struct store *s, store_sqlite_tx_fn fn, void *arg, bool bump)
{
    struct sqlite_conn *c;
    int rc = store_sqlite_conn(s, &c);
    if (rc)
        return rc;
    /* BEGIN IMMEDIATE takes the write lock up front, so no read is ever upgraded (an upgrade
     * can fail at once with SQLITE_BUSY, busy_timeout or not); what still fails busy after
     * the timeout is retried whole. */
    for (int attempt = 0;; attempt++) {
        rc = write_tx_once(c, fn, arg, bump);
        /* a busy prepare or migration says RC_ESTORE, with last_rc busy */
        bool busy = (rc == RC_EUNAVAIL || rc == RC_ESTORE) && is_busy(c->last_rc);
        if (!busy || attempt == BUSY_RETRIES)
            return busy ? RC_EUNAVAIL : rc;
        backoff(attempt);
    }
}

/* ---- columns ------------------------------------------------------------------------- */

void store_sqlite_col_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

char *store_sqlite_col_strdup(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t)
        return NULL;
    return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

size_t store_sqlite_col_blob(sqlite3_stmt *st, int col, uint8_t *dst, size_t max)
{
    const void *p = sqlite3_column_blob(st, col);
    size_t n = p ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n > max)
        n = max;
    if (n)
        memcpy(dst, p, n);
    return n;
}

/* ---- lists --------------------------------------------------------------------------- */

static int bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    return i > 0 ? sq_text(st, i, v) : SQLITE_OK;
}

static int bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    return i > 0 ? sq_int(st, i, v) : SQLITE_OK;
}

static int bind_list(struct sqlite_conn *c, sqlite3_stmt *st, const struct store_sqlite_list *q)
{
    if (bind_named_text(st, ":account", q->account) ||
        bind_named_int(st, ":revoked", q->include_revoked) ||
        bind_named_int(st, ":limit", q->limit < 0 ? -1 : q->limit) ||
        bind_named_int(st, ":offset", q->offset < 0 ? 0 : q->offset))
        return store_sqlite_bind_err(c, st);
    return 0;
}

static int list_count(struct sqlite_conn *c, const struct store_sqlite_list *q, int64_t *total)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, q->count_stmt);
    if (!st)
        return RC_ESTORE;
    int rc = bind_list(c, st, q);
    if (rc)
        return rc;
    rc = store_sqlite_step_row(c, st);
    if (rc == 0)
        *total = sqlite3_column_int64(st, 0);
    store_sqlite_done(st);
    return rc;
}

static int list_rows(struct sqlite_conn *c, const struct store_sqlite_list *q)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, q->list_stmt);
    if (!st)
        return RC_ESTORE;
    int rc = bind_list(c, st, q);
    while (rc == 0) {
        rc = store_sqlite_step_row(c, st);
        if (rc == 0 && q->row(st, q->arg) != 0)
            break;
    }
    store_sqlite_done(st);
    return rc == RC_ENOTFOUND ? 0 : rc;
}

int store_sqlite_list_run(struct store *s, const struct store_sqlite_list *q, int64_t *total)
{
    struct sqlite_conn *c;
    int rc = store_sqlite_conn(s, &c);
    if (rc)
        return rc;
    /* One read transaction, so that total and rows see the same snapshot; a list run from a
     * callback of another joins it. */
    bool own_tx = sqlite3_get_autocommit(c->db);
    if (own_tx && (rc = store_sqlite_run(c, SQ_BEGIN_READ)) != 0)
        return rc;
    if (total) {
        *total = 0;
        if (q->count_stmt != SQ_COUNT)
            rc = list_count(c, q, total);
    }
    if (rc == 0)
        rc = list_rows(c, q);
    if (own_tx && rc == 0)
        rc = store_sqlite_run(c, SQ_COMMIT);
    if (own_tx && rc)
        rollback(c);
    return rc;
}

/* ---- migrations ---------------------------------------------------------------------- */

static int migration_is_applied(struct sqlite_conn *c, int64_t version, bool *yes)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_MIGRATION_APPLIED);
    if (!st)
        return RC_ESTORE;
    if (sq_int(st, 1, version))
        return store_sqlite_bind_err(c, st);
    int rc = store_sqlite_step_row(c, st);
    store_sqlite_done(st);
    *yes = rc == 0;
    return rc == RC_ENOTFOUND ? 0 : rc;
}

/* In a write transaction: two processes migrating at once take turns, and the second finds
 * the version recorded. */
static int migration_tx(struct sqlite_conn *c, void *arg)
{
    struct store_migration *m = arg;
    bool done = false;
    int rc = store_sqlite_run(c, SQ_MIGRATION_TABLE);
    if (rc == 0)
        rc = migration_is_applied(c, m->version, &done);
    if (rc || done)
        return rc;
    char *err = NULL;
    int src = sqlite3_exec(c->db, m->file->data, NULL, NULL, &err);
    if (src != SQLITE_OK) {
        c->last_rc = src;
        log_msg(LOG_ERROR, "sqlite: migration failed", "name", m->file->name, "error",
                err ? err : sqlite3_errstr(src), NULL);
        sqlite3_free(err);
        return RC_ESTORE;
    }
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_MIGRATION_RECORD);
    if (!st)
        return RC_ESTORE;
    if (sq_int(st, 1, m->version) || sq_text(st, 2, m->file->name) || sq_int(st, 3, time_now()))
        return store_sqlite_bind_err(c, st);
    rc = store_sqlite_exec(c, st);
    m->applied = rc == 0;
    return rc;
}

static int migration_apply(struct store *s, struct store_migration *m)
{
    return store_sqlite_write_tx(s, migration_tx, m, false);
}

/* One integer of statement id (RC_ENOTFOUND: no row). */
static int int_query(struct store *s, enum store_sqlite_stmt id, int64_t *out)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, id, &c, &st);
    if (rc)
        return rc;
    rc = store_sqlite_step_row(c, st);
    if (rc == 0)
        *out = sqlite3_column_int64(st, 0);
    store_sqlite_done(st);
    return rc;
}

/* Read only: a new database has no schema_migrations table yet. */
static int sqlite_schema_version(struct store *s, int64_t *out)
{
    int64_t exists = 0;
    int rc = int_query(s, SQ_MIGRATION_EXISTS, &exists);
    *out = 0;
    if (rc == 0 && exists)
        rc = int_query(s, SQ_MIGRATION_NEWEST, out);
    return rc;
}

static int sqlite_migrate(struct store *s)
{
    return store_migrations_run(s, migration_apply);
}

/* ---- small operations ---------------------------------------------------------------- */

static int sqlite_ping(struct store *s)
{
    struct sqlite_conn *c;
    sqlite3_stmt *st;
    int rc = store_sqlite_use(s, SQ_PING, &c, &st);
    if (rc)
        return rc;
    rc = store_sqlite_step_row(c, st);
    store_sqlite_done(st);
    return rc == RC_ENOTFOUND ? RC_ESTORE : rc;
}

static int sqlite_revision(struct store *s, int64_t *out)
{
    int rc = int_query(s, SQ_REVISION_GET, out);
    return rc == RC_ENOTFOUND ? RC_ESTORE : rc;
}

/* Every thread should be done with the store: connections of live threads are closed here
 * and their keys forgotten. */
static void sqlite_close(struct store *base)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    pthread_mutex_lock(&s->lock);
    struct sqlite_conn *c = s->conns;
    s->conns = NULL;
    pthread_mutex_unlock(&s->lock);
    pthread_setspecific(s->key, NULL);
    pthread_key_delete(s->key); /* no destructor runs for it any more */
    while (c) {
        struct sqlite_conn *next = c->next;
        conn_close(c);
        c = next;
    }
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .migrations = "sqlite/",
    .close = sqlite_close,
    .migrate = sqlite_migrate,
    .schema_version = sqlite_schema_version,
    .ping = sqlite_ping,
    .revision = sqlite_revision,
    .account_create = store_sqlite_account_create,
    .account_get = store_sqlite_account_get,
    .account_list = store_sqlite_account_list,
    .env_create = store_sqlite_env_create,
    .env_get = store_sqlite_env_get,
    .env_list = store_sqlite_env_list,
    .access_create = store_sqlite_access_create,
    .access_get = store_sqlite_access_get,
    .access_list = store_sqlite_access_list,
    .access_revoke = store_sqlite_access_revoke,
    .access_set_secret = store_sqlite_access_set_secret,
    .access_touch = store_sqlite_access_touch,
    .admin_key_create = store_sqlite_admin_key_create,
    .admin_key_find = store_sqlite_admin_key_find,
    .admin_key_list = store_sqlite_admin_key_list,
    .admin_key_revoke = store_sqlite_admin_key_revoke,
    .admin_key_touch = store_sqlite_admin_key_touch,
    .signing_key_add = store_sqlite_signing_key_add,
    .signing_key_list = store_sqlite_signing_key_list,
    .signing_key_note = store_sqlite_signing_key_note,
    .signing_key_retire = store_sqlite_signing_key_retire,
    .refresh_rotate = store_sqlite_refresh_rotate,
    .refresh_get = store_sqlite_refresh_get,
    .refresh_revoke = store_sqlite_refresh_revoke,
    .revoked_token_add = store_sqlite_revoked_token_add,
    .revoked_token_record = store_sqlite_revoked_token_record,
    .revoked_token_list = store_sqlite_revoked_token_list,
    .revoked_token_prune = store_sqlite_revoked_token_prune,
    .audit_add = store_sqlite_audit_add,
    .audit_add_aggregated = store_sqlite_audit_add_aggregated,
    .audit_list = store_sqlite_audit_list,
};

/* Create the file ourselves, so that it is born 0600 (SQLite would use 0644), without
 * touching the process-wide umask; SQLite gives the -wal and -shm files the same mode. */
static int create_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        char msg[128], where[256];
        char *why = strerror_r(errno, msg, sizeof(msg));
        store_location_describe(path, where, sizeof(where));
        log_msg(LOG_ERROR, "sqlite: cannot create database file", "path", where, "error", why,
                NULL);
        return RC_EIO;
    }
    close(fd);
    return 0;
}

int store_sqlite_open(const char *path, struct store **out)
{
    int rc = create_file(path);
    if (rc)
        return rc;
    struct sqlite_store *s = xcalloc(1, sizeof(*s));
    s->base.ops = &sqlite_ops;
    if (pthread_key_create(&s->key, conn_release) != 0) {
        log_msg(LOG_ERROR, "sqlite: no thread key left", NULL);
        free(s);
        return RC_ESTORE;
    }
    s->path = xstrdup(path);
    pthread_mutex_init(&s->lock, NULL);
    struct sqlite_conn *c;
    rc = store_sqlite_conn(&s->base, &c); /* fail now if the file is no database */
    if (rc) {
        sqlite_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}
