/* SPDX-License-Identifier: MIT */
/* Failing fast while PostgreSQL does not answer. libmicrohttpd's worker threads each serve
 * their own connections, so a thread waiting on a hung database delays every request queued
 * on it (/healthz included). The circuit breaker: once a connection attempt fails, or a
 * statement gets no answer in time and the server does not even take its cancellation, the
 * database is marked unavailable and every store call fails at once (RC_EUNAVAIL, a 503)
 * instead of each waiting out its own deadline; a prober thread of its own (never a request)
 * then tries a fresh connection every PROBE_INTERVAL_MS, and closes the breaker when one
 * answers. A statement that times out on a server that takes its cancellation at once is
 * merely slow or blocked on a lock: that trips nothing, and other statements go on.
 *
 * Cancelling (PQcancel) is also what ends the backend of a timed-out statement: one blocked
 * on a lock does not read its socket, so dropping the connection alone leaves it waiting. */
#include "store/store_pg_int.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often the prober tries while the breaker is open. */
#define PROBE_INTERVAL_MS 500
/* A probe's statement, once connected, must answer within this. */
#define PROBE_TIMEOUT_MS 2000
/* How long a timed-out statement waits for the server to take its cancellation. A live
 * server answers in a round trip or two; a hung one never does. */
#define CANCEL_WAIT_MS 300

/* ---- cancelling ------------------------------------------------------------------------ */

/* Shared by the caller and the thread that runs PQcancel() (which may block for as long as
 * the server hangs): whoever lets go last frees it. */
struct cancel_job {
    PGcancel *cancel;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;
    bool taken;
    int refs;
};

static void job_release(struct cancel_job *j)
{
    pthread_mutex_lock(&j->lock);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->lock);
    if (!last)
        return;
    PQfreeCancel(j->cancel);
    pthread_cond_destroy(&j->done_cond);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

static void *cancel_main(void *arg)
{
    struct cancel_job *j = arg;
    char err[256];
    bool taken = PQcancel(j->cancel, err, sizeof(err)) == 1;
    pthread_mutex_lock(&j->lock);
    j->done = true;
    j->taken = taken;
    pthread_cond_signal(&j->done_cond);
    pthread_mutex_unlock(&j->lock);
    job_release(j);
    return NULL;
}

static struct timespec deadline_in(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

bool store_pg_cancel(PGconn *pg)
{
    PGcancel *cancel = PQgetCancel(pg);
    if (!cancel)
        return false;
    struct cancel_job *j = xcalloc(1, sizeof(*j));
    j->cancel = cancel;
    j->refs = 2;
    pthread_mutex_init(&j->lock, NULL);
    cond_init_monotonic(&j->done_cond);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, cancel_main, j) != 0) {
        j->refs = 1;
        j->done = true; /* not taken */
    }
    pthread_attr_destroy(&attr);
    struct timespec until = deadline_in(CANCEL_WAIT_MS);
    pthread_mutex_lock(&j->lock);
    while (!j->done && pthread_cond_timedwait(&j->done_cond, &j->lock, &until) == 0)
        ;
    bool taken = j->done && j->taken;
    pthread_mutex_unlock(&j->lock);
    job_release(j);
    return taken;
}

/* ---- the breaker ----------------------------------------------------------------------- */

void store_pg_breaker_init(struct pg_store *s)
{
    cond_init_monotonic(&s->wake);
}

bool store_pg_breaker_is_open(struct pg_store *s)
{
    return __atomic_load_n(&s->unavailable, __ATOMIC_ACQUIRE) != 0;
}

/* A fresh connection that answers a statement in time. */
static bool probe(struct pg_store *s)
{
    PGconn *pg = store_pg_connect(s, "rcauth");
    bool timed_out = false, ok = false;
    if (pg && PQsendQuery(pg, "SELECT 1")) {
        PGresult *r = store_pg_await(pg, PROBE_TIMEOUT_MS, &timed_out);
        ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
    }
    if (timed_out)
        (void)store_pg_cancel(pg);
    PQfinish(pg);
    return ok;
}

static void *prober_main(void *arg)
{
    struct pg_store *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        if (!store_pg_breaker_is_open(s)) {
            pthread_cond_wait(&s->wake, &s->lock);
            continue;
        }
        struct timespec until = deadline_in(PROBE_INTERVAL_MS);
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
            ;
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->lock);
        bool ok = probe(s);
        pthread_mutex_lock(&s->lock);
        if (ok) {
            __atomic_store_n(&s->unavailable, 0, __ATOMIC_RELEASE);
            log_msg(LOG_INFO, "postgres: the database answers again", "db", s->where, NULL);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

void store_pg_breaker_trip(struct pg_store *s)
{
    pthread_mutex_lock(&s->lock);
    if (!s->prober_started && !s->stopping)
        s->prober_started = pthread_create(&s->prober, NULL, prober_main, s) == 0;
    /* without a prober nothing would close it: then each call waits for itself */
    if (s->prober_started && !store_pg_breaker_is_open(s) && !s->stopping) {
        __atomic_store_n(&s->unavailable, 1, __ATOMIC_RELEASE);
        log_msg(LOG_WARN,
                "postgres: the database cannot be reached or did not answer in time; failing fast "
                "until it does",
                "db", s->where, NULL);
        pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->lock);
}

void store_pg_breaker_stop(struct pg_store *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    bool started = s->prober_started;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    if (started)
        pthread_join(s->prober, NULL);
    pthread_cond_destroy(&s->wake);
}
