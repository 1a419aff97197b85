/* SPDX-License-Identifier: MIT */
/* The HTTP layer: plain-data requests and responses, a router, and the libmicrohttpd
 * server that feeds them. Handlers see no libmicrohttpd type, so they can be called in
 * unit tests with a request built by hand. This layer knows nothing of OAuth or SQL. */
#ifndef RCAUTH_HTTP_H
#define RCAUTH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rc.h"

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_RESPONSE_HEADERS 16
#define HTTP_RESPONSE_HEADER_SPACE 512

struct http_kv {
    const char *name;
    const char *value; /* "" for a query item without '=' */
};

/* Everything borrowed, valid during the handler call. */
struct http_request {
    const char *method; /* "GET", "POST"… */
    const char *path;   /* as sent, not percent-decoded; without the query string */
    const char *body;   /* NUL-terminated, body_len bytes ("" when none) */
    size_t body_len;
    const char *remote_addr; /* "127.0.0.1" */
    bool is_tls;
    const struct http_kv *headers; /* in arrival order; names as sent */
    size_t nheaders;
    const struct http_kv *query; /* decoded query items, in order */
    size_t nquery;
    const char *params[HTTP_MAX_PARAMS]; /* the {…} path segments the route matched */
    int nparams;
    const char *route; /* set by the router: the pattern that answered ("/{account}/token"),
                        * or NULL; logs name the route, never the path, which may hold a
                        * token or a secret */
};

struct http_response {
    int status;
    struct buf body;          /* JSON unless content_type says otherwise */
    const char *content_type; /* static string; default "application/json" */
    struct {
        char *name; /* copies: in header_space, or owned when they did not fit there */
        char *value;
    } headers[HTTP_MAX_RESPONSE_HEADERS];
    int nheaders;
    char header_space[HTTP_RESPONSE_HEADER_SPACE]; /* so that most answers allocate nothing */
    size_t header_space_used;
};

/* First header of that name (case-insensitive), or NULL. */
const char *http_header(const struct http_request *r, const char *name);
/* Value of query item name, or NULL when absent; *count (may be NULL) receives how many
 * times it occurs, so callers can refuse a parameter given twice. */
const char *http_query(const struct http_request *r, const char *name, int *count);

void http_response_init(struct http_response *res);
void http_response_cleanup(struct http_response *res);
/* Add a header (copied). Past HTTP_MAX_RESPONSE_HEADERS it is dropped. */
void http_response_header(struct http_response *res, const char *name, const char *value);
/* A JSON error body {"error":…,"error_description":…}; description may be NULL. */
void http_response_error(struct http_response *res, int status, const char *error,
                         const char *description);

/* application/x-www-form-urlencoded (also used for query strings). */
struct http_form {
    struct http_kv *items; /* owned, names and values decoded ('+' is space) */
    size_t n;
    char *storage; /* in the block of items: the decoded items */
};
/* Items a form body or query may hold; a JSON token request gets as many members. */
#define HTTP_FORM_MAX_ITEMS 64
/* Parse body into form; RC_EINVAL on bad percent-encoding, RC_ELIMIT past
 * HTTP_FORM_MAX_ITEMS items. */
int http_form_parse(const char *body, size_t len, struct http_form *form) RC_MUST_CHECK;
void http_form_cleanup(struct http_form *form);
/* Like http_query, over a form. */
const char *http_form_get(const struct http_form *form, const char *name, int *count);
/* Percent-decode (and '+' to space when plus_is_space) in place; RC_EINVAL on bad escapes
 * or a decoded NUL byte. */
int http_url_decode(char *s, bool plus_is_space) RC_MUST_CHECK;

/* HTTP Basic (RFC 7617) for RFC 6749 §2.3.1: when the Authorization header is
 * "Basic base64(urlenc(id):urlenc(secret))", decode it into id and secret (caller frees,
 * both form-decoded) and return 0. RC_ENOTFOUND when the header is absent or not Basic;
 * RC_EINVAL when it is Basic but malformed. */
int http_basic_parse(const struct http_request *r, char **id, char **secret) RC_MUST_CHECK;
/* The token of "Authorization: Bearer T" (borrowed, may be ""), or NULL. */
const char *http_bearer(const struct http_request *r);

/* Router. Patterns are paths whose segments may be "{name}" (one non-empty segment);
 * matching is exact: no normalisation, "//" matches nothing with an empty segment.
 * A path that matches with another method gets 405 (+ Allow); nothing matches: 404.
 * Both as JSON errors. */
typedef void (*http_handler_fn)(void *app, const struct http_request *req,
                                struct http_response *res);
struct http_router;
struct http_router *http_router_new(void);
void http_router_free(struct http_router *rt);
void http_router_add(struct http_router *rt, const char *method, const char *pattern,
                     http_handler_fn fn);
/* Route req (fills req->params) and run the handler into res (already initialised). */
void http_router_dispatch(const struct http_router *rt, void *app, struct http_request *req,
                          struct http_response *res);
/* fn runs over every answer to a path that is prefix or lies under prefix + "/", whoever
 * made it: a handler, the router (404, 405) or the server (400, 413). For headers that
 * belong to a whole area of paths, errors included (the panel's security headers). */
void http_router_add_finisher(struct http_router *rt, const char *prefix, http_handler_fn fn);
/* Run the finishers whose prefix covers req->path over res; the server calls it once per
 * answer, after dispatch or its own error. */
void http_router_finish(const struct http_router *rt, void *app, const struct http_request *req,
                        struct http_response *res);

/* Server. */
struct http_server_config {
    const char *host;         /* "127.0.0.1" */
    int port;                 /* 0 picks a free port; read it back with http_server_port() */
    int threads;              /* worker threads; 0 = number of cores */
    size_t max_body;          /* larger bodies get 413 */
    unsigned max_connections; /* open connections at once; more wait in the backlog */
    unsigned per_address;     /* open connections from one address; 0 = no cap */
    const char *tls_cert_pem; /* both set: HTTPS only (TLS 1.2 and 1.3); borrowed */
    const char *tls_key_pem;
};
/* Called after each response, for logs and metrics. */
typedef void (*http_observer_fn)(void *app, const struct http_request *req, int status,
                                 int64_t micros);
struct http_server;
int http_server_start(const struct http_server_config *cfg, const struct http_router *rt, void *app,
                      http_observer_fn observer, struct http_server **out) RC_MUST_CHECK;
int http_server_port(const struct http_server *srv);
/* Stop accepting, finish requests in flight, free. NULL is a no-op. */
void http_server_stop(struct http_server *srv);

#endif
