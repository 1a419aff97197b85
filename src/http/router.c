/* SPDX-License-Identifier: MIT */
/* The router: method + path pattern → handler, with "{name}" segments captured into
 * req->params. Matching is segment-exact and never normalises a path: existing clients
 * send "//token" and trailing slashes, and those must get a JSON 404, never a redirect
 * (SPEC §12). What a handler does with its params is its own business. Finishers run over
 * every answer under a path prefix, the router's and the server's own errors included. */
#include "http/http.h"

#include "common/xmalloc.h"

#include <stdlib.h>
#include <string.h>

/* Routes are added at start-up: a plain array scanned per request is fast enough for the
 * few dozen routes of this server and keeps the precedence rule easy to read. A route whose
 * first segment is literal is passed over by comparing that segment alone: most are, and
 * this spares the full match of every route on every request. */
struct route {
    char *method;
    char *pattern;
    http_handler_fn fn;
    int nliterals;
    unsigned literal_mask; /* bit (31 - i) set when segment i is literal, for tie-breaks */
    size_t first_len;      /* of the first segment, after the leading '/' */
    bool first_is_param;
};

struct finisher {
    char *prefix;
    http_handler_fn fn;
};

struct http_router {
    struct route *routes;
    size_t n;
    size_t cap;
    struct finisher *finishers;
    size_t nfinishers;
};

/* Up to this many path bytes are matched in a stack copy; longer ones go to the heap. */
#define PATH_STACK 512

struct http_router *http_router_new(void)
{
    return xcalloc(1, sizeof(struct http_router));
}

void http_router_free(struct http_router *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->n; i++) {
        free(rt->routes[i].method);
        free(rt->routes[i].pattern);
    }
    for (size_t i = 0; i < rt->nfinishers; i++)
        free(rt->finishers[i].prefix);
    free(rt->finishers);
    free(rt->routes);
    free(rt);
}

static bool is_param(const char *seg, size_t len)
{
    return len >= 2 && seg[0] == '{' && seg[len - 1] == '}';
}

static size_t seg_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

/* Count the literal segments of a pattern; the more, the more specific. */
static void rank_pattern(struct route *r)
{
    const char *p = r->pattern[0] == '/' ? r->pattern + 1 : r->pattern;

    for (int i = 0;; i++) {
        size_t n = seg_len(p);
        if (i == 0) {
            r->first_len = n;
            r->first_is_param = is_param(p, n);
        }
        if (!is_param(p, n)) {
            r->nliterals++;
            if (i < 32)
                r->literal_mask |= 1u << (31 - i);
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
}

void http_router_add(struct http_router *rt, const char *method, const char *pattern,
                     http_handler_fn fn)
{
    if (rt->n == rt->cap) {
        rt->cap = rt->cap ? rt->cap * 2 : 16;
        rt->routes = xrealloc(rt->routes, rt->cap * sizeof(*rt->routes));
    }
    struct route *r = &rt->routes[rt->n++];
    memset(r, 0, sizeof(*r));
    r->method = xstrdup(method);
    r->pattern = xstrdup(pattern);
    r->fn = fn;
    rank_pattern(r);
}

/* Match path against pattern segment by segment; when caps is not NULL, it receives where
 * each "{…}" segment starts in path (up to HTTP_MAX_PARAMS) and *ncaps how many. */
static bool match(const char *pattern, char *path, char **caps, int *ncaps)
{
    int np = 0;

    if (*pattern != '/' || *path != '/')
        return false;
    pattern++;
    path++;
    for (;;) {
        size_t pl = seg_len(pattern), sl = seg_len(path);
        if (is_param(pattern, pl)) {
            if (sl == 0)
                return false; /* an empty segment is never a value */
            if (caps && np < HTTP_MAX_PARAMS)
                caps[np] = path;
            np++;
        } else if (pl != sl || memcmp(pattern, path, sl) != 0) {
            return false;
        }
        if (pattern[pl] == '\0' || path[sl] == '\0') {
            if (pattern[pl] != path[sl])
                return false;
            break;
        }
        pattern += pl + 1;
        path += sl + 1;
    }
    if (ncaps)
        *ncaps = np < HTTP_MAX_PARAMS ? np : HTTP_MAX_PARAMS;
    return true;
}

static bool more_specific(const struct route *a, const struct route *b)
{
    if (a->nliterals != b->nliterals)
        return a->nliterals > b->nliterals;
    return a->literal_mask > b->literal_mask; /* the earlier literal wins a tie */
}

static bool method_is(const char *method, const char *want)
{
    return strcmp(method, want) == 0;
}

/* Whether r cannot match a path whose first segment is first (first_len bytes): a literal
 * first segment that differs. A pattern without its leading '/' never matches anyway. */
static bool first_segment_differs(const struct route *r, const char *first, size_t first_len)
{
    return !r->first_is_param &&
           (r->first_len != first_len || memcmp(r->pattern + 1, first, first_len) != 0);
}

/* The most specific route for method and path, or NULL. *path_known tells whether some
 * route matched the path with another method. */
static const struct route *find(const struct http_router *rt, const char *method, char *path,
                                bool *path_known)
{
    const struct route *best = NULL;
    const char *first = path[0] == '/' ? path + 1 : path;
    size_t first_len = seg_len(first);

    for (size_t i = 0; i < rt->n; i++) {
        const struct route *r = &rt->routes[i];
        if (first_segment_differs(r, first, first_len) || !match(r->pattern, path, NULL, NULL))
            continue;
        *path_known = true;
        if (!method_is(r->method, method))
            continue;
        if (!best || more_specific(r, best))
            best = r;
    }
    return best;
}

/* Whether an earlier route for this path already listed r's method. */
static bool listed_before(const struct http_router *rt, size_t i, char *path)
{
    for (size_t j = 0; j < i; j++) {
        if (method_is(rt->routes[j].method, rt->routes[i].method) &&
            match(rt->routes[j].pattern, path, NULL, NULL))
            return true;
    }
    return false;
}

/* RFC 9110 §15.5.6: a 405 lists the methods the resource supports (HEAD with GET). */
static void method_not_allowed(const struct http_router *rt, char *path, struct http_response *res)
{
    struct buf allow;
    bool get = false, head = false;
    int rc = 0;

    buf_init(&allow, 256);
    for (size_t i = 0; i < rt->n && rc == 0; i++) {
        const struct route *r = &rt->routes[i];
        if (!match(r->pattern, path, NULL, NULL) || listed_before(rt, i, path))
            continue;
        get |= method_is(r->method, "GET");
        head |= method_is(r->method, "HEAD");
        if (allow.len)
            rc = buf_append_str(&allow, ", ");
        if (rc == 0)
            rc = buf_append_str(&allow, r->method);
    }
    if (rc == 0 && get && !head)
        rc = buf_append_str(&allow, ", HEAD");
    http_response_error(res, 405, "method_not_allowed",
                        "this method is not allowed on this endpoint");
    http_response_header(res, "Allow", buf_str(&allow));
    buf_cleanup(&allow);
}

static void run(const struct route *r, void *app, struct http_request *req, char *path,
                struct http_response *res)
{
    char *caps[HTTP_MAX_PARAMS] = {0};
    int n = 0;

    match(r->pattern, path, caps, &n);
    /* Cut the captures into strings only now: matching needed the path whole. */
    for (int i = 0; i < n; i++) {
        char *slash = strchr(caps[i], '/');
        if (slash)
            *slash = '\0';
        req->params[i] = caps[i];
    }
    req->nparams = n;
    r->fn(app, req, res);
    /* The captures live in dispatch's copy of the path, gone after it returns. */
    memset(req->params, 0, sizeof(req->params));
    req->nparams = 0;
}

void http_router_dispatch(const struct http_router *rt, void *app, struct http_request *req,
                          struct http_response *res)
{
    char stack[PATH_STACK];
    size_t len = strlen(req->path);
    char *path = len < sizeof(stack) ? stack : xmalloc(len + 1);
    bool path_known = false;
    const struct route *r;

    memcpy(path, req->path, len + 1);
    r = find(rt, req->method, path, &path_known);
    if (!r && method_is(req->method, "HEAD"))
        r = find(rt, "GET", path, &path_known); /* HEAD is GET without a body */
    req->route = r ? r->pattern : NULL;
    if (r)
        run(r, app, req, path, res);
    else if (path_known)
        method_not_allowed(rt, path, res);
    else
        http_response_error(res, 404, "not_found", "no such endpoint");
    if (path != stack)
        free(path);
}

/* A few finishers, added at start-up: grown one at a time. */
void http_router_add_finisher(struct http_router *rt, const char *prefix, http_handler_fn fn)
{
    rt->finishers = xrealloc(rt->finishers, (rt->nfinishers + 1) * sizeof(*rt->finishers));
    rt->finishers[rt->nfinishers].prefix = xstrdup(prefix);
    rt->finishers[rt->nfinishers].fn = fn;
    rt->nfinishers++;
}

/* "/admin" covers "/admin" and "/admin/…", not "/adminx". */
static bool covers(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);

    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void http_router_finish(const struct http_router *rt, void *app, const struct http_request *req,
                        struct http_response *res)
{
    for (size_t i = 0; i < rt->nfinishers; i++) {
        if (covers(rt->finishers[i].prefix, req->path))
            rt->finishers[i].fn(app, req, res);
    }
}
