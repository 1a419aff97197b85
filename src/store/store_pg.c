/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend of the store interface (store.h), on libpq: one connection per
 * thread that uses the store (the HTTP worker threads, the maintenance thread, the listener)
 * — a pool sized to the worker threads that never needs a lock to lend a connection — each
 * with its statements prepared once; round trips bounded in time, so that a database that is
 * down or hung costs a request a few seconds at most (RC_EUNAVAIL), never a hang; and
 * reconnection: a connection the server closed (restart, terminated backend) is noticed
 * before its next use and opened again. Transactions, migrations and the ops table are here;
 * the operations are in store_pg_tenants.c, store_pg_keys.c and store_pg_revoked.c, the SQL
 * in store_pg_sql.c, the change listener (LISTEN/NOTIFY) in store_pg_listen.c. */
#include "store/store_migrations.h"
#include "store/store_pg_int.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A statement's answer must come within this (store.h: "within seconds"). Every statement
 * of ours touches a few rows by index: a live server answers in milliseconds, and a worker
 * thread waiting longer delays every request queued on it. */
#define QUERY_TIMEOUT_MS 2000
/* A migration may rewrite a large table. */
#define MIGRATION_TIMEOUT_MS (10 * 60 * 1000)
/* Whole-transaction retries after a serialisation failure or a deadlock. */
#define TX_RETRIES 5

/* ---- connecting ---------------------------------------------------------------------- */

/* Notices ("relation already exists, skipping") would go to stderr, whose lines must be
 * JSON: keep them at debug level. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    log_msg(LOG_DEBUG, "postgres: notice", "message", message, NULL);
}

/* libpq's message, its first line, without the URL's secrets. */
static void error_text(const struct pg_store *s, PGconn *pg, char *out, size_t size)
{
    store_pg_redact(&s->redact, pg ? PQerrorMessage(pg) : "out of memory", out, size);
}

PGconn *store_pg_connect(struct pg_store *s, const char *app)
{
    /* Defaults first, then the URI (expanded from dbname), whose settings win; then the
     * application name, which must stay ours: the listener is found by it. */
    const char *keys[] = {"connect_timeout",  "keepalives_idle",  "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout", "client_encoding",
                          "dbname",           "application_name", NULL};
    const char *values[] = {"2", "10", "5", "3", "10000", "UTF8", s->conninfo, app, NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (pg && PQstatus(pg) == CONNECTION_OK) {
        PQsetNoticeProcessor(pg, on_notice, NULL);
        return pg;
    }
    char err[256];
    error_text(s, pg, err, sizeof(err));
    log_msg(LOG_WARN, "postgres: cannot connect", "db", s->where, "error", err, NULL);
    PQfinish(pg);
    return NULL;
}

static void conn_drop(struct pg_conn *c)
{
    PQfinish(c->pg);
    c->pg = NULL;
    memset(c->prepared, 0, sizeof(c->prepared));
}

/* A failed attempt opens the breaker: other threads then fail at once instead of each
 * waiting for an attempt of its own (up to connect_timeout against a hung server). */
static int conn_reconnect(struct pg_conn *c)
{
    c->pg = store_pg_connect(c->owner, "rcauth");
    if (!c->pg) {
        store_pg_breaker_trip(c->owner);
        return RC_EUNAVAIL;
    }
    return 0;
}

/* An idle connection has nothing to read: anything there is the server's goodbye (it was
 * restarted, or this backend terminated: a FATAL message, then end of file), or at worst a
 * stray notice, which costs a reconnection. libpq itself would only notice at the next
 * statement, which would then fail. */
static bool conn_is_stale(struct pg_conn *c)
{
    if (PQstatus(c->pg) != CONNECTION_OK)
        return true;
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        return PQtransactionStatus(c->pg) != PQTRANS_INTRANS; /* nested in a list: in use */
    struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};
    return poll(&p, 1, 0) != 0;
}

static void conn_free(struct pg_conn *c)
{
    PQfinish(c->pg);
    free(c);
}

/* pthread key destructor: the thread that owned c is exiting. */
static void conn_release(void *arg)
{
    struct pg_conn *c = arg;
    struct pg_store *s = c->owner;
    pthread_mutex_lock(&s->lock);
    for (struct pg_conn **p = &s->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    conn_free(c);
}

int store_pg_conn(struct store *base, struct pg_conn **out)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = pthread_getspecific(s->key);
    if (!c) {
        c = xcalloc(1, sizeof(*c));
        c->owner = s;
        if (pthread_setspecific(s->key, c) != 0) {
            log_msg(LOG_ERROR, "postgres: cannot keep the thread's connection", NULL);
            free(c);
            return RC_ESTORE;
        }
        pthread_mutex_lock(&s->lock);
        c->next = s->conns;
        s->conns = c;
        pthread_mutex_unlock(&s->lock);
    }
    if (store_pg_breaker_is_open(s))
        return RC_EUNAVAIL;
    if (c->pg && conn_is_stale(c)) {
        log_msg(LOG_INFO, "postgres: connection closed by the server; reconnecting", NULL);
        conn_drop(c);
    }
    int rc = c->pg ? 0 : conn_reconnect(c);
    if (rc == 0)
        *out = c;
    return rc;
}

/* ---- parameters ---------------------------------------------------------------------- */

static void param(struct pg_params *p, const char *v, int len, int format)
{
    if (p->n >= PG_MAX_PARAMS)
        abort(); /* a statement of ours with too many parameters: a bug */
    p->values[p->n] = v;
    p->lengths[p->n] = len;
    p->formats[p->n] = format;
    p->n++;
}

void pg_text(struct pg_params *p, const char *v)
{
    param(p, v, 0, 0);
}

void pg_int(struct pg_params *p, int64_t v)
{
    if (p->n < PG_MAX_PARAMS)
        snprintf(p->ints[p->n], sizeof(p->ints[p->n]), "%lld", (long long)v);
    param(p, p->ints[p->n], 0, 0);
}

void pg_bool(struct pg_params *p, bool v)
{
    param(p, v ? "true" : "false", 0, 0);
}

void pg_blob(struct pg_params *p, const void *v, size_t len)
{
    param(p, v, (int)len, 1); /* binary: bytea as it is */
}

/* ---- round trips --------------------------------------------------------------------- */

/* Wait for a whole result, until deadline (monotonic µs). false on timeout (*timed_out
 * set) or a lost connection. */
static bool wait_ready(PGconn *pg, int64_t deadline, bool *timed_out)
{
    while (PQisBusy(pg)) {
        int64_t left_ms = (deadline - time_mono_us()) / 1000;
        if (left_ms <= 0) {
            *timed_out = true;
            return false;
        }
        struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
        int n = poll(&p, 1, (int)left_ms);
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0 && !PQconsumeInput(pg))
            return false;
    }
    return true;
}

PGresult *store_pg_await(PGconn *pg, int timeout_ms, bool *timed_out)
{
    int64_t deadline = time_mono_us() + (int64_t)timeout_ms * 1000;
    PGresult *kept = NULL;
    *timed_out = false;
    for (;;) {
        if (!wait_ready(pg, deadline, timed_out)) {
            PQclear(kept);
            return NULL;
        }
        PGresult *r = PQgetResult(pg);
        if (!r)
            return kept;
        if (kept && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
            PQclear(r);
        } else {
            PQclear(kept);
            kept = r;
        }
    }
}

static bool sqlstate_is(const char *state, const char *prefix)
{
    return strncmp(state, prefix, strlen(prefix)) == 0;
}

/* Worth retrying later: connection exceptions (class 08), the server shutting down or
 * starting (57P0x), too many connections, a cancelled (timed out) statement, a lock not
 * available, serialisation failures and deadlocks (class 40). */
static bool sqlstate_unavailable(const char *state)
{
    return sqlstate_is(state, "08") || sqlstate_is(state, "57P0") || sqlstate_is(state, "53300") ||
           sqlstate_is(state, "57014") || sqlstate_is(state, "55P03") || sqlstate_is(state, "40");
}

/* Map the result r of running statement what on c to an enum rc_err. */
static int check_result(struct pg_conn *c, PGresult *r, const char *what)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return 0;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "");
    if (sqlstate_is(c->sqlstate, "23505"))
        return RC_ECONFLICT;
    if (sqlstate_is(c->sqlstate, "23503"))
        return RC_ENOTFOUND;
    char err[256];
    if (r && PQresultErrorMessage(r)[0])
        store_pg_redact(&c->owner->redact, PQresultErrorMessage(r), err, sizeof(err));
    else
        error_text(c->owner, c->pg, err, sizeof(err));
    bool lost = !r || PQstatus(c->pg) != CONNECTION_OK;
    bool unavailable = lost || sqlstate_unavailable(c->sqlstate);
    log_msg(unavailable ? LOG_WARN : LOG_ERROR, "postgres: statement failed", "error",
            r              ? err
            : c->timed_out ? "no answer in time"
                           : "the connection was lost",
            "sqlstate", c->sqlstate, "sql", what, NULL);
    /* A backend blocked (on a lock) would outlive the dropped connection: cancel first. A
     * server that does not even take the cancellation is hung: fail fast from now on. */
    if (c->timed_out && !store_pg_cancel(c->pg))
        store_pg_breaker_trip(c->owner);
    if (lost)
        conn_drop(c); /* its state is unknown: the next use starts afresh */
    return unavailable ? RC_EUNAVAIL : RC_ESTORE;
}

int store_pg_exec(struct pg_conn *c, enum store_pg_stmt id, const struct pg_params *p,
                  PGresult **res)
{
    char name[16];
    PGresult *r;
    int rc;
    if (res)
        *res = NULL;
    c->sqlstate[0] = '\0';
    c->timed_out = false;
    if (!c->pg)
        return RC_EUNAVAIL; /* lost earlier in this transaction */
    snprintf(name, sizeof(name), "rc%d", (int)id);
    if (!c->prepared[id]) {
        r = PQsendPrepare(c->pg, name, store_pg_sql[id], 0, NULL)
                ? store_pg_await(c->pg, QUERY_TIMEOUT_MS, &c->timed_out)
                : NULL;
        rc = check_result(c, r, store_pg_sql[id]);
        PQclear(r);
        if (rc)
            return rc;
        c->prepared[id] = true;
    }
    int n = p ? p->n : 0;
    r = PQsendQueryPrepared(c->pg, name, n, p ? p->values : NULL, p ? p->lengths : NULL,
                            p ? p->formats : NULL, 0)
            ? store_pg_await(c->pg, QUERY_TIMEOUT_MS, &c->timed_out)
            : NULL;
    rc = check_result(c, r, store_pg_sql[id]);
    if (rc == 0 && res)
        *res = r;
    else
        PQclear(r);
    return rc;
}

int store_pg_run(struct store *s, enum store_pg_stmt id, const struct pg_params *p, PGresult **res)
{
    struct pg_conn *c;
    if (res)
        *res = NULL;
    int rc = store_pg_conn(s, &c);
    return rc ? rc : store_pg_exec(c, id, p, res);
}

int store_pg_run_count(struct store *s, enum store_pg_stmt id, const struct pg_params *p,
                       int64_t *n)
{
    PGresult *r;
    int rc = store_pg_run(s, id, p, &r);
    if (rc == 0)
        *n = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return rc;
}

int store_pg_row(struct store *s, struct pg_conn *c, enum store_pg_stmt id,
                 const struct pg_params *p, PGresult **res)
{
    *res = NULL;
    int rc = c ? store_pg_exec(c, id, p, res) : store_pg_run(s, id, p, res);
    if (rc == 0 && PQntuples(*res) == 0) {
        PQclear(*res);
        *res = NULL;
        rc = RC_ENOTFOUND;
    }
    return rc;
}

/* ---- transactions -------------------------------------------------------------------- */

static void rollback(struct pg_conn *c)
{
    if (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE &&
        store_pg_exec(c, PQ_ROLLBACK, NULL, NULL) != 0)
        conn_drop(c);
}

static int write_tx_once(struct pg_conn *c, store_pg_tx_fn fn, void *arg, bool bump)
{
    int rc = store_pg_exec(c, PQ_BEGIN, NULL, NULL);
    if (rc == 0 && bump)
        rc = store_pg_exec(c, PQ_REVISION_BUMP, NULL, NULL);
    if (rc == 0)
        rc = fn(c, arg);
    if (rc == 0)
        rc = store_pg_exec(c, PQ_COMMIT, NULL, NULL);
    if (rc) {
        char state[sizeof(c->sqlstate)]; /* what failed, not the rollback, decides a retry */
        memcpy(state, c->sqlstate, sizeof(state));
        rollback(c);
        memcpy(c->sqlstate, state, sizeof(state));
    }
    return rc;
}

int store_pg_write_tx(struct store *s, store_pg_tx_fn fn, void *arg, bool bump)
{
    for (int attempt = 0;; attempt++) {
        struct pg_conn *c;
        int rc = store_pg_conn(s, &c);
        if (rc)
            return rc;
        rc = write_tx_once(c, fn, arg, bump);
        if (rc != RC_EUNAVAIL || !sqlstate_is(c->sqlstate, "40") || attempt == TX_RETRIES)
            return rc;
    }
}

/* ---- columns ------------------------------------------------------------------------- */

void store_pg_col_text(const PGresult *r, int row, int col, char *dst, size_t size)
{
    size_t n = (size_t)PQgetlength(r, row, col);
    if (n >= size)
        n = size - 1;
    memcpy(dst, PQgetvalue(r, row, col), n);
    dst[n] = '\0';
}

char *store_pg_col_strdup(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return xstrndup(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

int64_t store_pg_col_int(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool store_pg_col_bool(const PGresult *r, int row, int col)
{
    return PQgetvalue(r, row, col)[0] == 't';
}

size_t store_pg_col_blob(const PGresult *r, int row, int col, uint8_t *dst, size_t max)
{
    size_t n = 0;
    unsigned char *v = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    if (!v)
        return 0;
    if (n > max)
        n = max;
    memcpy(dst, v, n);
    PQfreemem(v);
    return n;
}

/* ---- lists --------------------------------------------------------------------------- */

static void list_filters(const struct store_pg_list *q, struct pg_params *p)
{
    memset(p, 0, sizeof(*p));
    if (q->account)
        pg_text(p, q->account);
    if (q->revoked_filter)
        pg_bool(p, q->include_revoked);
}

static int list_count(struct pg_conn *c, const struct store_pg_list *q, int64_t *total)
{
    struct pg_params p;
    PGresult *r;
    list_filters(q, &p);
    int rc = store_pg_row(NULL, c, q->count_stmt, &p, &r);
    if (rc == 0)
        *total = store_pg_col_int(r, 0, 0);
    PQclear(r);
    return rc;
}

static int list_rows(struct pg_conn *c, const struct store_pg_list *q)
{
    struct pg_params p;
    PGresult *r;
    list_filters(q, &p);
    if (q->limit < 0)
        pg_text(&p, NULL); /* LIMIT NULL: no limit */
    else
        pg_int(&p, q->limit);
    pg_int(&p, q->offset < 0 ? 0 : q->offset);
    int rc = store_pg_exec(c, q->list_stmt, &p, &r);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        if (q->row(r, i, q->arg) != 0)
            break;
    PQclear(r);
    return rc;
}

int store_pg_list_run(struct store *s, const struct store_pg_list *q, int64_t *total)
{
    struct pg_conn *c;
    int rc = store_pg_conn(s, &c);
    if (rc)
        return rc;
    /* One snapshot, so that total and rows agree; a list run from a callback of another
     * joins it. */
    bool own_tx = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    if (own_tx && (rc = store_pg_exec(c, PQ_BEGIN_READ, NULL, NULL)) != 0)
        return rc;
    if (total) {
        *total = 0;
        if (q->count_stmt != PQ_COUNT)
            rc = list_count(c, q, total);
    }
    if (rc == 0)
        rc = list_rows(c, q);
    if (own_tx && rc == 0)
        rc = store_pg_exec(c, PQ_COMMIT, NULL, NULL);
    if (own_tx && rc)
        rollback(c);
    return rc;
}

/* ---- migrations ---------------------------------------------------------------------- */

/* The file's statements, as one simple query: DDL without parameters, inside the
 * migration's transaction. */
static int migration_script(struct pg_conn *c, const struct store_migration *m)
{
    c->timed_out = false;
    PGresult *r = PQsendQuery(c->pg, m->file->data)
                      ? store_pg_await(c->pg, MIGRATION_TIMEOUT_MS, &c->timed_out)
                      : NULL;
    int rc = check_result(c, r, m->file->name);
    PQclear(r);
    return rc;
}

/* Under a transaction-level advisory lock: instances migrating at once take turns, and the
 * later ones find the version recorded. PostgreSQL's DDL is transactional: a migration
 * that fails leaves nothing behind. */
static int migration_tx(struct pg_conn *c, void *arg)
{
    struct store_migration *m = arg;
    struct pg_params p = {0};
    PGresult *r = NULL;
    int rc = store_pg_exec(c, PQ_MIGRATION_LOCK, NULL, NULL);
    if (rc == 0)
        rc = store_pg_exec(c, PQ_MIGRATION_TABLE, NULL, NULL);
    pg_int(&p, m->version);
    if (rc == 0)
        rc = store_pg_exec(c, PQ_MIGRATION_APPLIED, &p, &r);
    bool done = rc == 0 && PQntuples(r) > 0;
    PQclear(r);
    if (rc || done)
        return rc;
    rc = migration_script(c, m);
    pg_text(&p, m->file->name);
    pg_int(&p, time_now());
    if (rc == 0)
        rc = store_pg_exec(c, PQ_MIGRATION_RECORD, &p, NULL);
    m->applied = rc == 0;
    return rc;
}

static int migration_apply(struct store *s, struct store_migration *m)
{
    return store_pg_write_tx(s, migration_tx, m, false);
}

/* Read only: a new database has no schema_migrations table yet. */
static int pg_schema_version(struct store *s, int64_t *out)
{
    PGresult *r;
    *out = 0;
    int rc = store_pg_row(s, NULL, PQ_MIGRATION_EXISTS, NULL, &r);
    bool exists = rc == 0 && store_pg_col_bool(r, 0, 0);
    PQclear(r);
    if (!exists)
        return rc;
    rc = store_pg_row(s, NULL, PQ_MIGRATION_NEWEST, NULL, &r);
    if (rc == 0)
        *out = store_pg_col_int(r, 0, 0);
    PQclear(r);
    return rc;
}

static int pg_migrate(struct store *s)
{
    return store_migrations_run(s, migration_apply);
}

/* ---- small operations ---------------------------------------------------------------- */

static int pg_ping(struct store *s)
{
    struct pg_conn *c;
    int rc = store_pg_conn(s, &c);
    return rc ? rc : store_pg_exec(c, PQ_PING, NULL, NULL);
}

static int pg_revision(struct store *s, int64_t *out)
{
    PGresult *r;
    int rc = store_pg_row(s, NULL, PQ_REVISION_GET, NULL, &r);
    if (rc == 0)
        *out = store_pg_col_int(r, 0, 0);
    PQclear(r);
    return rc == RC_ENOTFOUND ? RC_ESTORE : rc;
}

/* Every thread should be done with the store: the listener is stopped, connections of live
 * threads are closed here and their keys forgotten. */
static void pg_close(struct store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    store_pg_listener_stop(s->listener);
    store_pg_breaker_stop(s);
    pthread_mutex_lock(&s->lock);
    struct pg_conn *c = s->conns;
    s->conns = NULL;
    pthread_mutex_unlock(&s->lock);
    pthread_setspecific(s->key, NULL);
    pthread_key_delete(s->key); /* no destructor runs for it any more */
    while (c) {
        struct pg_conn *next = c->next;
        conn_free(c);
        c = next;
    }
    pthread_mutex_destroy(&s->lock);
    store_pg_redact_cleanup(&s->redact);
    free(s->conninfo);
    free(s);
}

static const struct store_ops pg_ops = {
    .name = "postgres",
    .migrations = "pg/",
    .close = pg_close,
    .migrate = pg_migrate,
    .schema_version = pg_schema_version,
    .ping = pg_ping,
    .revision = pg_revision,
    .watch = store_pg_watch,
    .account_create = store_pg_account_create,
    .account_get = store_pg_account_get,
    .account_list = store_pg_account_list,
    .env_create = store_pg_env_create,
    .env_get = store_pg_env_get,
    .env_list = store_pg_env_list,
    .access_create = store_pg_access_create,
    .access_get = store_pg_access_get,
    .access_list = store_pg_access_list,
    .access_revoke = store_pg_access_revoke,
    .access_set_secret = store_pg_access_set_secret,
    .access_touch = store_pg_access_touch,
    .admin_key_create = store_pg_admin_key_create,
    .admin_key_find = store_pg_admin_key_find,
    .admin_key_list = store_pg_admin_key_list,
    .admin_key_revoke = store_pg_admin_key_revoke,
    .admin_key_touch = store_pg_admin_key_touch,
    .signing_key_add = store_pg_signing_key_add,
    .signing_key_list = store_pg_signing_key_list,
    .signing_key_note = store_pg_signing_key_note,
    .signing_key_retire = store_pg_signing_key_retire,
    .refresh_rotate = store_pg_refresh_rotate,
    .refresh_get = store_pg_refresh_get,
    .refresh_revoke = store_pg_refresh_revoke,
    .revoked_token_add = store_pg_revoked_token_add,
    .revoked_token_record = store_pg_revoked_token_record,
    .revoked_token_list = store_pg_revoked_token_list,
    .revoked_token_prune = store_pg_revoked_token_prune,
    .audit_add = store_pg_audit_add,
    .audit_add_aggregated = store_pg_audit_add_aggregated,
    .audit_list = store_pg_audit_list,
};

int store_pg_open(const char *conninfo, struct store **out)
{
    char why[256];
    if (store_pg_url_check(conninfo, why, sizeof(why))) {
        log_msg(LOG_ERROR, "postgres: cannot use the URL", "error", why, NULL);
        return RC_EINVAL;
    }
    struct pg_store *s = xcalloc(1, sizeof(*s));
    s->base.ops = &pg_ops;
    if (pthread_key_create(&s->key, conn_release) != 0) {
        log_msg(LOG_ERROR, "postgres: no thread key left", NULL);
        free(s);
        return RC_ESTORE;
    }
    s->conninfo = store_pg_url_normalize(conninfo);
    store_location_describe(conninfo, s->where, sizeof(s->where));
    store_pg_redact_init(&s->redact, conninfo);
    pthread_mutex_init(&s->lock, NULL);
    store_pg_breaker_init(s);
    struct pg_conn *c;
    int rc = store_pg_conn(&s->base, &c); /* fail now if the server cannot be reached */
    if (rc) {
        pg_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}
