/* SPDX-License-Identifier: MIT */
/* The libmicrohttpd glue: an epoll thread pool that turns each HTTP request into a plain
 * struct http_request, runs the router, and sends the struct http_response back. Body
 * size capping (413), the refusal of ambiguous framing (framing.c), the deadline on a
 * request's arrival and the drain at stop (conns.c) happen here; everything about routes,
 * OAuth and logging of requests is left to the router, the handlers and the observer. */
#include "http/http.h"
#include "http/http_int.h"

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECTION_TIMEOUT_S 30 /* idle time, between requests or within one */
#define DEFAULT_CONNECTION_LIMIT 4096
/* A request must arrive whole (TLS handshake, headers and body: at most 64 KiB) within
 * this of its first byte; at stop, requests in flight get this long to finish. */
#define REQUEST_DEADLINE_US (10 * INT64_C(1000000))
#define DRAIN_DEADLINE_US (10 * INT64_C(1000000))
#define DRAIN_SETTLE_US (200 * INT64_C(1000))
#define DRAIN_POLL_NS (20 * 1000 * 1000)
#define REQUEST_ID_MAX 64
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* Per-connection pool: request line, headers and the read buffer; a request line and headers
 * of up to about 32 KiB in all are read (the longest token, 8 KiB, fits both in the query and
 * as Bearer). libmicrohttpd zeroes the whole pool after every request, so its size is paid on
 * each one: 64 KiB cost 4–5% of the CPU time of issuance. Above 32 KiB libmicrohttpd maps
 * the pool with mmap and unmaps it at close; at 32 KiB or less it comes from malloc, whose
 * arenas keep what hundreds of idle connections used after they are gone. bench/hello_mhd.c
 * uses the same. */
#define CONNECTION_MEMORY (36 * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    const struct http_router *rt;
    void *app;
    http_observer_fn observer;
    size_t max_body;
    int port;
    bool tls;                        /* every connection is HTTPS */
    struct http_conns *conns;        /* the open connections: request deadline, drain */
    bool started;                    /* atomic: libmicrohttpd's start-up is over */
    bool draining;                   /* atomic: stopping; every answer closes its connection */
    struct http_report mhd_problems; /* libmicrohttpd's diagnostics after start-up */
};

/* Requests rarely carry more headers than this: their list needs no allocation. */
#define INLINE_HEADERS 24

struct kv_list {
    struct http_kv *items; /* inline, or owned when more were needed */
    size_t n;
    size_t cap;
    struct http_kv inline_items[INLINE_HEADERS];
};

/* What one request accumulates between the calls of the access handler. */
struct request_state {
    int64_t start_us;
    char *uri;    /* the request target exactly as sent (after the state, in its block), split
                   * at '?' into path and query */
    char *query;  /* into uri, after the '?' ("" when none) */
    bool started; /* the access handler has seen the headers */
    struct http_conn *conn; /* its connection in the server's table */
    struct buf body;
    bool too_large;
    int refused;             /* framing refused: the status to answer (http_framing_check) */
    const char *refused_why; /* … and why */
    int query_rc;            /* http_form_parse() of the query: 0, RC_EINVAL or RC_ELIMIT */
    struct kv_list headers;
    struct http_form query_items;
    char addr[INET6_ADDRSTRLEN];
};

static void kv_push(struct kv_list *l, const char *name, const char *value)
{
    if (!l->items) {
        l->items = l->inline_items;
        l->cap = INLINE_HEADERS;
    }
    if (l->n == l->cap) {
        l->cap *= 2;
        if (l->items == l->inline_items) {
            l->items = xmalloc(l->cap * sizeof(*l->items));
            memcpy(l->items, l->inline_items, sizeof(l->inline_items));
        } else {
            l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
        }
    }
    l->items[l->n].name = name;
    l->items[l->n].value = value ? value : "";
    l->n++;
}

/* The request line and headers are in MHD's pool for the whole request: keep pointers. */
static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    kv_push(cls, key, value);
    return MHD_YES;
}

/* Content-Length above the cap: refuse without reading (MHD itself rejects bad values). */
static bool declared_too_large(struct MHD_Connection *c, size_t max)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end = NULL;
    unsigned long long n;

    if (!cl)
        return false;
    errno = 0;
    n = strtoull(cl, &end, 10);
    return errno == ERANGE || n > max;
}

/* libmicrohttpd percent-decodes the path and the query's arguments for its own use; rcauth
 * reads neither (routes match the target as sent, form.c decodes the query): leave them. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* MHD's URI log callback: called with the request target before MHD percent-decodes it.
 * We keep that raw form, because routes match the path exactly as sent (SPEC §12: nothing
 * is normalised, so "/A%2Ftoken" is not "/A/token") and the query is decoded by our own
 * stricter form parser. The returned state becomes the request's *con_cls. */
static void *state_new(void *cls, const char *uri, struct MHD_Connection *c)
{
    const struct http_server *srv = cls;
    size_t len = uri ? strlen(uri) : 0;
    struct request_state *st = xcalloc(1, sizeof(*st) + len + 1);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    st->start_us = time_mono_us();
    st->conn = ci ? ci->socket_context : NULL;
    if (st->conn)
        http_conn_reading(st->conn, st->start_us);
    st->uri = (char *)(st + 1);
    memcpy(st->uri, uri ? uri : "", len);
    char *q = strchr(st->uri, '?');
    if (q)
        *q++ = '\0';
    st->query = q ? q : st->uri + strlen(st->uri);
    buf_init(&st->body, srv->max_body);
    return st;
}

static void state_free(struct request_state *st)
{
    if (!st)
        return;
    buf_cleanup(&st->body);
    if (st->headers.items != st->headers.inline_items)
        free(st->headers.items);
    http_form_cleanup(&st->query_items);
    free(st);
}

static void take_body(struct request_state *st, const char *data, size_t len)
{
    if (st->too_large)
        return; /* discard the rest */
    if (buf_append(&st->body, data, len) != 0) {
        st->too_large = true;
        buf_cleanup(&st->body);
    }
}

static void client_address(struct MHD_Connection *c, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)size);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)size);
}

static void build_request(const struct http_server *srv, struct request_state *st,
                          struct MHD_Connection *c, const char *method, struct http_request *req)
{
    /* A malformed query (bad escape, encoded NUL, too many items) is answered 400. */
    st->query_rc = http_form_parse(st->query, strlen(st->query), &st->query_items);
    client_address(c, st->addr, sizeof(st->addr));
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->path = st->uri;
    req->body = buf_str(&st->body);
    req->body_len = st->body.len;
    req->remote_addr = st->addr;
    req->is_tls = srv->tls;
    req->headers = st->headers.items;
    req->nheaders = st->headers.n;
    req->query = st->query_rc ? NULL : st->query_items.items;
    req->nquery = st->query_rc ? 0 : st->query_items.n;
}

static struct MHD_Response *to_mhd(struct http_response *res)
{
    size_t len = res->body.len;
    char *data = buf_steal(&res->body);
    struct MHD_Response *mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);

    if (!mr) {
        free(data);
        return NULL;
    }
    for (int i = 0; i < res->nheaders; i++) {
        if (MHD_add_response_header(mr, res->headers[i].name, res->headers[i].value) != MHD_YES)
            log_msg(LOG_WARN, "response header refused", "name", res->headers[i].name, NULL);
    }
    if (len || res->status != 204)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                                res->content_type ? res->content_type : "application/json");
    /* Answers carry tokens, secrets and per-client data: never cached unless a handler
     * says otherwise (RFC 6749 §5.1 asks it of the token endpoint, errors included). */
    if (!MHD_get_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL)) {
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(mr, MHD_HTTP_HEADER_PRAGMA, "no-cache");
    }
    return mr;
}

/* The client's X-Request-Id when it is a plain token (a proxy's id, so logs can be joined),
 * else a new one: a random per-process prefix and a counter. */
static void request_id(const struct http_request *req, char out[REQUEST_ID_MAX + 1])
{
    static uint32_t prefix;
    static uint64_t counter;
    const char *given = http_header(req, "X-Request-Id");
    size_t n = given ? strlen(given) : 0;
    if (n >= 1 && n <= REQUEST_ID_MAX &&
        strspn(given, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n) {
        memcpy(out, given, n + 1);
        return;
    }
    uint32_t p = __atomic_load_n(&prefix, __ATOMIC_RELAXED);
    if (!p) {
        uint32_t fresh = randombytes_random() | 1;
        __atomic_compare_exchange_n(&prefix, &p, fresh, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        p = __atomic_load_n(&prefix, __ATOMIC_RELAXED);
    }
    uint64_t seq = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    /* "%08x-%llx", by hand: snprintf cost more than the rest of this function */
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++)
        out[i] = hex[p >> (28 - 4 * i) & 0xf];
    out[8] = '-';
    int digits = 1;
    while (digits < 16 && seq >> (4 * digits))
        digits++;
    for (int i = 0; i < digits; i++)
        out[9 + i] = hex[seq >> (4 * (digits - 1 - i)) & 0xf];
    out[9 + digits] = '\0';
}

static enum MHD_Result respond(struct http_server *srv, struct request_state *st,
                               struct MHD_Connection *c, const char *method)
{
    struct http_request req;
    struct http_response res;
    struct MHD_Response *mr;
    enum MHD_Result ret = MHD_NO;

    build_request(srv, st, c, method, &req);
    http_response_init(&res);
    char id[REQUEST_ID_MAX + 1];
    request_id(&req, id);
    log_set_request_id(id);
    http_response_header(&res, "X-Request-Id", id);
    if (st->refused)
        http_response_error(&res, st->refused, "invalid_request", st->refused_why);
    else if (st->too_large)
        http_response_error(&res, 413, "invalid_request", "request body too large");
    else if (st->query_rc == RC_ELIMIT)
        http_response_error(&res, 400, "invalid_request", "the query string has too many items");
    else if (st->query_rc)
        http_response_error(&res, 400, "invalid_request", "the query string is malformed");
    else
        http_router_dispatch(srv->rt, srv->app, &req, &res);
    http_router_finish(srv->rt, srv->app, &req, &res);
    /* RFC 9112 §9.6: a server that is going away (a drain may have begun while the handler
     * ran), or that cannot tell where the next request would begin, says so and closes
     * (libmicrohttpd does on this header). */
    if (st->refused || __atomic_load_n(&srv->draining, __ATOMIC_ACQUIRE))
        http_response_header(&res, "Connection", "close");
    mr = to_mhd(&res);
    if (!mr)
        goto out;
    ret = MHD_queue_response(c, (unsigned)res.status, mr);
    MHD_destroy_response(mr);
    if (srv->observer)
        srv->observer(srv->app, &req, res.status, time_mono_us() - st->start_us);
out:
    log_set_request_id(NULL);
    http_response_cleanup(&res);
    return ret;
}

/* libmicrohttpd calls this once when the headers are in, once per piece of body, and once
 * more with *upload_size == 0 when the request is complete. Answering only on that last
 * call keeps the connection alive: an answer on the first call makes MHD close it. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct request_state *st = *con_cls;

    (void)url; /* MHD's percent-decoded copy; we route on st->uri */
    if (!st->started) {
        st->started = true;
        MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &st->headers);
        st->refused =
            http_framing_check(version, st->headers.items, st->headers.n, &st->refused_why);
        st->too_large = !st->refused && declared_too_large(c, srv->max_body);
        /* Refuse bad framing or a declared oversized body at once rather than read it (the
         * client may never send it); answering now makes MHD close the connection, as it
         * must. */
        if (!st->refused && !st->too_large)
            return MHD_YES;
    } else if (*upload_size) {
        take_body(st, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->conn)
        http_conn_answering(st->conn);
    return respond(srv, st, c, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request_state *st = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (st && st->conn)
        http_conn_idle(st->conn);
    state_free(st);
    *con_cls = NULL;
}

/* Every connection is in srv->conns from its accept to its close. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    const union MHD_ConnectionInfo *ci;

    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        /* called before libmicrohttpd closes the socket */
        http_conns_remove(srv->conns, *socket_context);
        *socket_context = NULL;
        return;
    }
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context = ci ? http_conns_add(srv->conns, ci->connect_fd, time_mono_us()) : NULL;
}

/* MHD's own diagnostics go to our JSON log: at start-up as warnings (a bad option, a port
 * in use); afterwards they are about single connections (garbage, resets, timeouts), which
 * anyone can cause at will, so each is at debug level, and a warning at most once a minute
 * counts them. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *srv = cls;
    bool started = __atomic_load_n(&srv->started, __ATOMIC_ACQUIRE);
    char msg[256];
    size_t n;

    if (started) {
        uint64_t count = http_report_add(&srv->mhd_problems, 1, time_mono_us());
        if (count) {
            char cs[24];
            snprintf(cs, sizeof(cs), "%llu", (unsigned long long)count);
            log_msg(LOG_WARN,
                    "libmicrohttpd reported problems with connections (details at "
                    "log level debug)",
                    "count", cs, NULL);
        }
        if (!log_enabled(LOG_DEBUG))
            return;
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    if (n && msg[n - 1] == '\n')
        msg[n - 1] = '\0';
    log_msg(started ? LOG_DEBUG : LOG_WARN, "libmicrohttpd", "detail", msg, NULL);
}

static int parse_address(const char *host, int port, struct sockaddr_storage *ss, unsigned *flags)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (port < 0 || port > 65535)
        return RC_EINVAL;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *flags |= MHD_USE_IPv6;
        return 0;
    }
    return RC_EINVAL;
}

static unsigned pool_size(int threads)
{
    long n = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

int http_server_start(const struct http_server_config *cfg, const struct http_router *rt, void *app,
                      http_observer_fn observer, struct http_server **out)
{
    struct http_server *srv = xcalloc(1, sizeof(*srv));
    struct sockaddr_storage ss;
    /* ITC: how MHD_stop_daemon() wakes the workers once the listener is gone (the drain). */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    struct MHD_OptionItem opts[8];
    int n = 0;
    const union MHD_DaemonInfo *info;
    int rc = RC_EINVAL;

    *out = NULL;
    srv->rt = rt;
    srv->app = app;
    srv->observer = observer;
    srv->max_body = cfg->max_body;
    if (parse_address(cfg->host, cfg->port, &ss, &flags) != 0)
        goto out;
    if (cfg->per_address)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                            (intptr_t)cfg->per_address, NULL};
    if (cfg->tls_cert_pem && cfg->tls_key_pem) {
        flags |= MHD_USE_TLS;
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem};
        /* GnuTLS priorities: its defaults, minus everything older than TLS 1.2 */
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES};
        srv->tls = true;
    }
    opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    rc = RC_EIO;
    srv->conns = http_conns_new(REQUEST_DEADLINE_US);
    if (!srv->conns)
        goto out;
    /* The logger goes first so that MHD reports option errors through it too. */
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, pool_size(cfg->threads),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_connections ? cfg->max_connections : DEFAULT_CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_URI_LOG_CALLBACK, state_new, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!srv->daemon)
        goto out;
    __atomic_store_n(&srv->started, true, __ATOMIC_RELEASE);
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->port;
    *out = srv;
    rc = 0;
out:
    if (rc) {
        log_msg(LOG_ERROR, "cannot start the HTTP server", "host", cfg->host, NULL);
        http_conns_free(srv->conns);
        free(srv);
    }
    return rc;
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

/* Wait until no request has been read or answered for DRAIN_SETTLE_US (a client that got
 * an answer without "Connection: close" just before the drain began may send one more
 * request on its connection: it gets that long to, and is answered), or the drain deadline
 * passes. */
static void drain(struct http_server *srv)
{
    int64_t start = time_mono_us(), quiet_since = start, now;
    size_t busy = 0;

    while ((now = time_mono_us()) - start < DRAIN_DEADLINE_US) {
        busy = http_conns_busy(srv->conns, now);
        if (busy)
            quiet_since = now;
        else if (now - quiet_since >= DRAIN_SETTLE_US)
            return;
        struct timespec ts = {0, DRAIN_POLL_NS};
        nanosleep(&ts, NULL);
    }
    char n[24];
    snprintf(n, sizeof(n), "%zu", busy);
    log_msg(LOG_WARN, "drain deadline passed: closing requests still in flight", "count", n, NULL);
}

/* Close the listening socket under libmicrohttpd's feet: its descriptor number is made to
 * name an eventfd that never becomes ready. The socket's last reference goes, so the kernel
 * takes it out of every worker's epoll set and refuses new connections (those waiting in
 * its backlog are reset); libmicrohttpd closes the eventfd at stop. MHD_quiesce_daemon() is
 * meant for this, but in libmicrohttpd 0.9.75 it races with a worker removing the listener
 * from its own epoll set and then aborts the process ("Failed to remove listen FD from
 * epoll set", seen in about one stop in a thousand); and merely shutting the socket down
 * makes every worker spin on its hang-up. */
static void stop_accepting(struct http_server *srv)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    int quiet = eventfd(0, EFD_CLOEXEC);

    if (quiet < 0 || !info || dup2(quiet, info->listen_fd) < 0)
        log_msg(LOG_WARN, "cannot stop accepting: new connections are served while draining", NULL);
    if (quiet >= 0)
        close(quiet);
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    stop_accepting(srv);
    __atomic_store_n(&srv->draining, true, __ATOMIC_RELEASE);
    drain(srv);
    MHD_stop_daemon(srv->daemon);
    http_conns_free(srv->conns);
    free(srv);
}
