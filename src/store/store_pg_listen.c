/* SPDX-License-Identifier: MIT */
/* Change notifications of the PostgreSQL backend: a thread with its own connection LISTENs
 * on the channel that every revision bump NOTIFYs in its transaction (store_pg_sql.c), and
 * calls the watcher on each batch of notifications. Its connection is named
 * "rcauth-listener-<pid>" (pg_stat_activity.application_name). When the connection breaks
 * it reconnects every second, and calls the watcher once more after LISTEN succeeds:
 * notifications sent while it was away are lost, so the watcher re-reads the revision.
 * The periodic re-check in the serve loop covers the time in between. */
#include "store/store_pg_int.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 200 /* how soon a stop request is seen */
#define RECONNECT_PAUSE_MS 1000

struct pg_listener {
    struct pg_store *s;
    store_change_cb cb;
    void *ctx;
    pthread_t thread;
    int stop; /* atomic */
    char app[64];
};

static bool stopping(struct pg_listener *l)
{
    return __atomic_load_n(&l->stop, __ATOMIC_RELAXED) != 0;
}

static void pause_ms(struct pg_listener *l, int ms)
{
    for (int waited = 0; waited < ms && !stopping(l); waited += POLL_MS) {
        struct timespec ts = {0, POLL_MS * 1000L * 1000L};
        nanosleep(&ts, NULL);
    }
}

/* A connection that LISTENs, or NULL. The channel is an identifier, which cannot be a bound
 * parameter: it is our constant. */
static PGconn *listen_connect(struct pg_listener *l)
{
    PGconn *pg = store_pg_connect(l->s, l->app);
    if (!pg)
        return NULL;
    char sql[64];
    snprintf(sql, sizeof(sql), "LISTEN %s", store_pg_channel);
    PGresult *r = PQexecParams(pg, sql, 0, NULL, NULL, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        char err[256];
        store_pg_redact(&l->s->redact, PQerrorMessage(pg), err, sizeof(err));
        log_msg(LOG_WARN, "postgres: LISTEN failed", "error", err, NULL);
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

/* Wait for notifications on pg; false when the connection broke. */
static bool listen_once(struct pg_listener *l, PGconn *pg)
{
    struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
    int n = poll(&p, 1, POLL_MS);
    if (n < 0 && errno != EINTR)
        return false;
    if (n > 0 && !PQconsumeInput(pg))
        return false;
    bool got = false;
    PGnotify *note;
    while ((note = PQnotifies(pg)) != NULL) {
        got = true;
        PQfreemem(note);
    }
    if (got)
        l->cb(l->ctx);
    return PQstatus(pg) == CONNECTION_OK;
}

static void *listener_main(void *arg)
{
    struct pg_listener *l = arg;
    PGconn *pg = NULL;
    while (!stopping(l)) {
        if (!pg) {
            pg = listen_connect(l);
            if (!pg) {
                pause_ms(l, RECONNECT_PAUSE_MS);
                continue;
            }
            log_msg(LOG_INFO, "postgres: listening for changes", "channel", store_pg_channel, NULL);
            l->cb(l->ctx); /* whatever changed while nobody listened */
        }
        if (!listen_once(l, pg)) {
            log_msg(LOG_WARN, "postgres: change listener lost its connection; reconnecting", NULL);
            PQfinish(pg);
            pg = NULL;
            pause_ms(l, RECONNECT_PAUSE_MS);
        }
    }
    PQfinish(pg);
    return NULL;
}

int store_pg_watch(struct store *base, store_change_cb cb, void *ctx)
{
    struct pg_store *s = (struct pg_store *)base;
    if (s->listener)
        return RC_EINVAL;
    struct pg_listener *l = xcalloc(1, sizeof(*l));
    l->s = s;
    l->cb = cb;
    l->ctx = ctx;
    snprintf(l->app, sizeof(l->app), "rcauth-listener-%ld", (long)getpid());
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        log_msg(LOG_ERROR, "postgres: cannot start the change listener", NULL);
        free(l);
        return RC_ESTORE;
    }
    s->listener = l;
    return 0;
}

void store_pg_listener_stop(struct pg_listener *l)
{
    if (!l)
        return;
    __atomic_store_n(&l->stop, 1, __ATOMIC_RELAXED);
    pthread_join(l->thread, NULL);
    free(l);
}
