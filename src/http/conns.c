/* SPDX-License-Identifier: MIT */
/* The open connections of a server, for two jobs libmicrohttpd does not do: a deadline on
 * the time a request takes to arrive, and knowing when the requests in flight are done
 * (the drain at SIGTERM).
 *
 * libmicrohttpd's connection timeout counts idle time only: a client that sends one byte of
 * its headers every few seconds (slowloris) keeps its connection, and its 32 KiB, forever,
 * and a few hundred of them from a few addresses hold every connection the server has.
 * Here a request must arrive whole within the deadline of its first byte, or its socket is
 * shut down, which makes libmicrohttpd close the connection on its next look at it; a
 * connection's first request, within the deadline of its accept, so that connections that
 * send nothing at all are not held for the whole idle timeout either. Idle time between
 * requests (keep-alive) stays libmicrohttpd's to bound.
 *
 * The first byte of a request is seen by the kernel, not by libmicrohttpd's callbacks, which
 * start at the complete request line: the sweeper compares the socket's received-byte count
 * (TCP_INFO) with the count noted when the connection went idle (one getsockopt per answer).
 * The request-line callback starts the clock too, for a request whose bytes came in before
 * the note (a pipelined one). Workers change a connection's state with one atomic word; the
 * sweeper walks the table under its lock, and libmicrohttpd forgets a connection here before
 * it closes its socket, so a shut-down descriptor is never another's. */
#include "http/http_int.h"

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define REPORT_INTERVAL_US (60 * INT64_C(1000000))

/* A connection's state and, when reading, the time its request began (when idle, the
 * count of its answers), in one word: start_us << STATE_BITS | state, so that no reader
 * sees the start of another state, and no compare-and-swap of the sweeper mistakes a new
 * idle period for the one it looked at. */
enum conn_state {
    CONN_NEW,       /* accepted, nothing received yet: the deadline runs, but not busy */
    CONN_IDLE,      /* idle since rx_noted bytes */
    CONN_READING,   /* a request is arriving: the deadline runs */
    CONN_ANSWERING, /* the request is in: being handled and sent */
    CONN_CLOSING,   /* shut down by the sweeper */
};
#define STATE_BITS 3
#define STATE_MASK ((UINT64_C(1) << STATE_BITS) - 1)

struct http_conn {
    struct http_conn *prev, *next; /* under the table's lock */
    int fd;
    uint64_t word;     /* atomic */
    uint64_t rx_noted; /* atomic, written before word turns idle */
    int64_t answers;   /* atomic */
};

struct http_conns {
    pthread_mutex_t lock; /* the list, and the sweeper's pass over it */
    pthread_cond_t wake;
    struct http_conn *head;
    int64_t deadline_us;
    bool stopping;
    pthread_t thread;
    struct http_report closed; /* connections shut down, for the log */
};

static enum conn_state state_of(uint64_t w)
{
    return (enum conn_state)(w & STATE_MASK);
}

static uint64_t word_of(enum conn_state s, int64_t start_us)
{
    return (uint64_t)start_us << STATE_BITS | (uint64_t)s;
}

/* Move c to word `to` unless its state is one of `keep` (a bit per state). */
static void move_unless(struct http_conn *c, unsigned keep, uint64_t to)
{
    uint64_t w = __atomic_load_n(&c->word, __ATOMIC_ACQUIRE);
    while (
        !(keep & 1u << state_of(w)) &&
        !__atomic_compare_exchange_n(&c->word, &w, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ;
}

/* Bytes the kernel has received on fd (RFC 4898 tcpEStatsAppHCThruOctetsReceived). */
static uint64_t received_bytes(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
        return 0; /* then always 0: only the request line starts the clock */
    return ti.tcpi_bytes_received;
}

void http_conn_reading(struct http_conn *c, int64_t now_us)
{
    uint64_t w = __atomic_load_n(&c->word, __ATOMIC_ACQUIRE);
    for (;;) {
        enum conn_state s = state_of(w);
        /* a first byte seen by the sweeper keeps its earlier start, as does the accept */
        if (s == CONN_READING || s == CONN_CLOSING)
            return;
        int64_t start = s == CONN_NEW ? (int64_t)(w >> STATE_BITS) : now_us;
        if (__atomic_compare_exchange_n(&c->word, &w, word_of(CONN_READING, start), false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
}

void http_conn_answering(struct http_conn *c)
{
    move_unless(c, 1u << CONN_CLOSING, word_of(CONN_ANSWERING, 0));
}

void http_conn_idle(struct http_conn *c)
{
    int64_t n = __atomic_add_fetch(&c->answers, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&c->rx_noted, received_bytes(c->fd), __ATOMIC_RELAXED);
    move_unless(c, 1u << CONN_CLOSING, word_of(CONN_IDLE, n));
}

/* One connection's step of a pass: start or cut. True when it is shut down now. */
static bool step(struct http_conns *t, struct http_conn *c, int64_t now_us)
{
    uint64_t w = __atomic_load_n(&c->word, __ATOMIC_ACQUIRE);

    switch (state_of(w)) {
    case CONN_IDLE:
        if (received_bytes(c->fd) > __atomic_load_n(&c->rx_noted, __ATOMIC_RELAXED))
            __atomic_compare_exchange_n(&c->word, &w, word_of(CONN_READING, now_us), false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
        return false;
    case CONN_NEW:
        /* its first bytes make it busy (a drain waits for it), with the clock of its accept */
        if (now_us - (int64_t)(w >> STATE_BITS) < t->deadline_us) {
            if (received_bytes(c->fd) > 0)
                __atomic_compare_exchange_n(&c->word, &w, word_of(CONN_READING, w >> STATE_BITS),
                                            false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
            return false;
        }
        /* nothing, or not a whole request, arrived in time: as for a request */
        __attribute__((fallthrough));
    case CONN_READING:
        if (now_us - (int64_t)(w >> STATE_BITS) < t->deadline_us ||
            !__atomic_compare_exchange_n(&c->word, &w, word_of(CONN_CLOSING, 0), false,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return false;
        /* libmicrohttpd sees the end of the stream, closes the connection and calls
         * http_conns_remove() before closing the descriptor, which waits for our lock */
        shutdown(c->fd, SHUT_RDWR);
        return true;
    default:
        return false;
    }
}

static void pass(struct http_conns *t, int64_t now_us, int *closed, size_t *busy)
{
    for (struct http_conn *c = t->head; c; c = c->next) {
        if (step(t, c, now_us))
            (*closed)++;
        enum conn_state s = state_of(__atomic_load_n(&c->word, __ATOMIC_ACQUIRE));
        if (s == CONN_READING || s == CONN_ANSWERING)
            (*busy)++;
    }
}

/* A pass under the table's lock: the connections busy after it; *closed is set. */
static size_t locked_pass(struct http_conns *t, int64_t now_us, int *closed)
{
    size_t busy = 0;

    *closed = 0;
    pthread_mutex_lock(&t->lock);
    pass(t, now_us, closed, &busy);
    pthread_mutex_unlock(&t->lock);
    return busy;
}

int http_conns_sweep(struct http_conns *t, int64_t now_us)
{
    int closed;
    locked_pass(t, now_us, &closed);
    return closed;
}

size_t http_conns_busy(struct http_conns *t, int64_t now_us)
{
    int closed;
    return locked_pass(t, now_us, &closed);
}

uint64_t http_report_add(struct http_report *r, uint64_t n, int64_t now_us)
{
    if (!n)
        return 0;
    __atomic_add_fetch(&r->count, n, __ATOMIC_RELAXED);
    int64_t next = __atomic_load_n(&r->next_us, __ATOMIC_RELAXED);
    if (now_us < next ||
        !__atomic_compare_exchange_n(&r->next_us, &next, now_us + REPORT_INTERVAL_US, false,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return 0;
    return __atomic_exchange_n(&r->count, 0, __ATOMIC_RELAXED);
}

static void *sweeper(void *arg)
{
    struct http_conns *t = arg;
    struct timespec ts;

    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += HTTP_CONNS_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&t->wake, &t->lock, &ts);
        int closed = 0;
        size_t busy = 0;
        int64_t now = time_mono_us();
        pass(t, now, &closed, &busy);
        uint64_t report = http_report_add(&t->closed, (uint64_t)closed, now);
        if (report) {
            char n[24], s[24];
            snprintf(n, sizeof(n), "%llu", (unsigned long long)report);
            snprintf(s, sizeof(s), "%lld", (long long)(t->deadline_us / 1000000));
            pthread_mutex_unlock(&t->lock);
            log_msg(LOG_WARN, "connections closed: their request did not arrive in time", "count",
                    n, "deadline_seconds", s, NULL);
            pthread_mutex_lock(&t->lock);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

struct http_conns *http_conns_new(int64_t deadline_us)
{
    struct http_conns *t = xcalloc(1, sizeof(*t));
    pthread_condattr_t ca;

    t->deadline_us = deadline_us;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&t->thread, NULL, sweeper, t) != 0) {
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

void http_conns_free(struct http_conns *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stopping = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    while (t->head)
        http_conns_remove(t, t->head);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

struct http_conn *http_conns_add(struct http_conns *t, int fd, int64_t now_us)
{
    struct http_conn *c = xcalloc(1, sizeof(*c));

    c->fd = fd;
    c->word = word_of(CONN_NEW, now_us);
    pthread_mutex_lock(&t->lock);
    c->next = t->head;
    if (t->head)
        t->head->prev = c;
    t->head = c;
    pthread_mutex_unlock(&t->lock);
    return c;
}

void http_conns_remove(struct http_conns *t, struct http_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&t->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&t->lock);
    free(c);
}
