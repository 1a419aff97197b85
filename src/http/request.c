/* SPDX-License-Identifier: MIT */
/* Request accessors (headers, query items, the Bearer token) and the response object with
 * its JSON error shape. Parsing of form bodies lives in form.c, HTTP Basic in basic.c;
 * turning a response into bytes on the wire is server.c's job. */
#include "http/http.h"

#include "common/jsonw.h"
#include "common/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Responses are built in memory: bound them like every other buffer. */
#define RESPONSE_MAX_BODY (16u * 1024 * 1024)

const char *http_header(const struct http_request *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    }
    return NULL;
}

const char *http_query(const struct http_request *r, const char *name, int *count)
{
    const char *first = NULL;
    int n = 0;

    for (size_t i = 0; i < r->nquery; i++) {
        if (strcmp(r->query[i].name, name) != 0)
            continue;
        if (!first)
            first = r->query[i].value ? r->query[i].value : "";
        n++;
    }
    if (count)
        *count = n;
    return first;
}

/* RFC 7235 §2.1: credentials = auth-scheme [ 1*SP token68 ]; the scheme is
 * case-insensitive. Returns what follows the scheme and its spaces, or NULL when the
 * header does not use that scheme. */
static const char *after_scheme(const char *value, const char *scheme)
{
    size_t n = strlen(scheme);

    if (strncasecmp(value, scheme, n) != 0)
        return NULL;
    value += n;
    if (*value != '\0' && *value != ' ')
        return NULL;
    while (*value == ' ')
        value++;
    return value;
}

const char *http_bearer(const struct http_request *r)
{
    const char *v = http_header(r, "Authorization");

    if (!v)
        return NULL;
    return after_scheme(v, "Bearer");
}

void http_response_init(struct http_response *res)
{
    memset(res, 0, sizeof(*res));
    res->status = 200;
    buf_init(&res->body, RESPONSE_MAX_BODY);
}

static bool in_header_space(const struct http_response *res, const char *p)
{
    uintptr_t a = (uintptr_t)p, start = (uintptr_t)res->header_space;
    return a >= start && a < start + sizeof(res->header_space);
}

static void free_header_copy(struct http_response *res, char *p)
{
    if (!in_header_space(res, p))
        free(p);
}

void http_response_cleanup(struct http_response *res)
{
    buf_cleanup(&res->body);
    for (int i = 0; i < res->nheaders; i++) {
        free_header_copy(res, res->headers[i].name);
        free_header_copy(res, res->headers[i].value);
    }
    res->nheaders = 0;
    res->header_space_used = 0;
}

static char *header_copy(struct http_response *res, const char *s)
{
    size_t n = strlen(s) + 1;
    if (n > sizeof(res->header_space) - res->header_space_used)
        return xstrdup(s);
    char *p = res->header_space + res->header_space_used;
    memcpy(p, s, n);
    res->header_space_used += n;
    return p;
}

void http_response_header(struct http_response *res, const char *name, const char *value)
{
    if (res->nheaders >= HTTP_MAX_RESPONSE_HEADERS)
        return;
    res->headers[res->nheaders].name = header_copy(res, name);
    res->headers[res->nheaders].value = header_copy(res, value);
    res->nheaders++;
}

void http_response_error(struct http_response *res, int status, const char *error,
                         const char *description)
{
    struct jsonw w;

    res->status = status;
    res->content_type = NULL;
    buf_reset(&res->body);
    jsonw_init(&w, &res->body);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "error", error);
    if (description)
        jsonw_kv_string(&w, "error_description", description);
    jsonw_object_end(&w);
    /* Only the cap can fail, and a short error object is far below it. */
    if (jsonw_finish(&w) != 0)
        buf_reset(&res->body);
}
