/* SPDX-License-Identifier: MIT */
/* What server.c uses from the other files of the HTTP layer and nobody else needs: the
 * framing checks done before a body is read (framing.c), and the table of open connections
 * that bounds the time a request may take to arrive and tells the drain when the requests
 * in flight are done (conns.c). Neither knows libmicrohttpd: they see header lists and
 * socket descriptors. */
#ifndef RCAUTH_HTTP_INT_H
#define RCAUTH_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

/* Headers that make a request's framing ambiguous, which front ends and this server could
 * read differently (request smuggling, RFC 9112 §6.3, §11.2): Content-Length given twice,
 * Content-Length with Transfer-Encoding, Transfer-Encoding given twice or other than
 * "chunked", a field name that is not a token (RFC 9110 §5.1) or that a folded line was
 * joined to, a value holding a control character, Host missing (HTTP/1.1) or given twice.
 * 0 when none; else the status to answer (400, or 501 for a transfer coding we do not know)
 * and a constant description in *why. The connection must be closed after the answer. */
int http_framing_check(const char *version, const struct http_kv *headers, size_t n,
                       const char **why);

/* The open connections of one server. Each is new (accepted, nothing received: its first
 * request must arrive whole within deadline_us of the accept), idle (between requests: its
 * idle time is libmicrohttpd's connection timeout), reading a request (from its first byte:
 * at most deadline_us to arrive whole, after which the sweeper shuts the socket down), or
 * answering (read whole, being handled and sent). A thread sweeps the table every
 * HTTP_CONNS_TICK_MS. */
#define HTTP_CONNS_TICK_MS 250
struct http_conns;
struct http_conn;

/* Start the table and its sweeper thread; NULL when the thread cannot start. Free with
 * http_conns_free(), after the server has stopped (no connection left). */
struct http_conns *http_conns_new(int64_t deadline_us);
void http_conns_free(struct http_conns *t);

/* A new connection on socket fd, accepted at now_us: its first request must arrive whole
 * within the deadline of that (caller keeps the handle until http_conns_remove). */
struct http_conn *http_conns_add(struct http_conns *t, int fd, int64_t now_us);
/* The connection closed: forget it (before its socket is closed, so that the sweeper never
 * shuts down a descriptor reused by another connection). NULL is a no-op. */
void http_conns_remove(struct http_conns *t, struct http_conn *c);

/* The request line is in: the clock runs, from now unless a first byte was seen earlier. */
void http_conn_reading(struct http_conn *c, int64_t now_us);
/* The request is read whole: no deadline while it is answered. */
void http_conn_answering(struct http_conn *c);
/* The answer is sent (or the request given up): idle until the next byte arrives. */
void http_conn_idle(struct http_conn *c);

/* One pass of the sweeper at now_us: idle connections that received bytes start reading;
 * reading ones past the deadline are shut down. Returns how many were shut down. */
int http_conns_sweep(struct http_conns *t, int64_t now_us);
/* The same pass; returns how many connections are then reading or answering a request. */
size_t http_conns_busy(struct http_conns *t, int64_t now_us);

/* Events reported in the log at the first, then at most once a minute, each report with the
 * count since the previous one: so that a flood cannot fill the log. Lock-free; zeroed. */
struct http_report {
    int64_t next_us;
    uint64_t count;
};
/* Count n events at now_us: the count to report now, or 0 when no report is due. */
uint64_t http_report_add(struct http_report *r, uint64_t n, int64_t now_us);

#endif
