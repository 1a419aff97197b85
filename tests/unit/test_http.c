/* SPDX-License-Identifier: MIT */
/* Unit tests of the HTTP layer: form and Basic decoding, Bearer extraction, the router's
 * precedence and errors, and a real server on a loopback socket (keep-alive, 413, 404,
 * 405). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- request accessors ---- */

static struct http_request request_with(const struct http_kv *headers, size_t n)
{
    struct http_request r;
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.path = "/";
    r.body = "";
    r.headers = headers;
    r.nheaders = n;
    return r;
}

static void test_header_case_insensitive(void **state)
{
    (void)state;
    struct http_kv h[] = {{"Content-Type", "a"}, {"content-type", "b"}, {"X-One", "1"}};
    struct http_request r = request_with(h, 3);
    assert_string_equal(http_header(&r, "CONTENT-TYPE"), "a");
    assert_string_equal(http_header(&r, "x-one"), "1");
    assert_null(http_header(&r, "X-Two"));
}

static void test_query_count(void **state)
{
    (void)state;
    struct http_kv q[] = {{"a", "1"}, {"b", ""}, {"a", "2"}};
    struct http_request r = request_with(NULL, 0);
    int count = -1;
    r.query = q;
    r.nquery = 3;
    assert_string_equal(http_query(&r, "a", &count), "1");
    assert_int_equal(count, 2);
    assert_string_equal(http_query(&r, "b", &count), "");
    assert_int_equal(count, 1);
    assert_null(http_query(&r, "c", &count));
    assert_int_equal(count, 0);
    assert_null(http_query(&r, "c", NULL));
}

static const char *bearer_of(const char *value)
{
    static struct http_kv h[1];
    static struct http_request r;
    h[0].name = "authorization";
    h[0].value = value;
    r = request_with(h, 1);
    return http_bearer(&r);
}

static void test_bearer(void **state)
{
    (void)state;
    assert_string_equal(bearer_of("Bearer abc.def"), "abc.def");
    assert_string_equal(bearer_of("bEARER   tok"), "tok");
    assert_string_equal(bearer_of("Bearer"), "");
    assert_string_equal(bearer_of("Bearer   "), "");
    assert_string_equal(bearer_of("Bearer undefined"), "undefined");
    assert_null(bearer_of("Basic YTpi"));
    assert_null(bearer_of("Bearerabc"));
    struct http_request none = request_with(NULL, 0);
    assert_null(http_bearer(&none));
}

static void test_response_error_and_headers(void **state)
{
    (void)state;
    struct http_response res;
    http_response_init(&res);
    assert_int_equal(res.status, 200);
    assert_int_equal(buf_append_str(&res.body, "{\"partial\":"), 0);
    http_response_error(&res, 400, "invalid_request", "a \"quoted\" thing");
    assert_int_equal(res.status, 400);
    assert_string_equal(buf_str(&res.body),
                        "{\"error\":\"invalid_request\",\"error_description\":\"a \\\"quoted\\\" "
                        "thing\"}");
    http_response_error(&res, 401, "invalid_client", NULL);
    assert_string_equal(buf_str(&res.body), "{\"error\":\"invalid_client\"}");
    for (int i = 0; i < HTTP_MAX_RESPONSE_HEADERS + 3; i++)
        http_response_header(&res, "X-N", "v");
    assert_int_equal(res.nheaders, HTTP_MAX_RESPONSE_HEADERS);
    http_response_cleanup(&res);
}

/* Header copies live in the response while they fit there, on the heap after (ASan sees
 * that each is freed once); either way they are whole copies. */
static void test_response_headers_long_and_short(void **state)
{
    (void)state;
    struct http_response res;
    char big[HTTP_RESPONSE_HEADER_SPACE];
    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    http_response_init(&res);
    http_response_header(&res, "X-Short", "s");
    http_response_header(&res, "X-Big", big); /* does not fit what is left */
    http_response_header(&res, "X-After", "a");
    char name[8] = "X-Temp", value[8] = "temp";
    http_response_header(&res, name, value);
    memset(name, 0, sizeof(name));
    memset(value, 0, sizeof(value));
    assert_int_equal(res.nheaders, 4);
    assert_string_equal(res.headers[0].value, "s");
    assert_string_equal(res.headers[1].name, "X-Big");
    assert_string_equal(res.headers[1].value, big);
    assert_string_equal(res.headers[2].value, "a");
    assert_string_equal(res.headers[3].name, "X-Temp");
    assert_string_equal(res.headers[3].value, "temp");
    http_response_cleanup(&res);
    http_response_header(&res, "X-Again", "again"); /* cleanup left it reusable */
    assert_string_equal(res.headers[0].value, "again");
    http_response_cleanup(&res);
}

/* ---- forms ---- */

static int parse_str(const char *s, struct http_form *f)
{
    return http_form_parse(s, strlen(s), f);
}

static void test_form_basic(void **state)
{
    (void)state;
    struct http_form f;
    int count = 0;
    assert_int_equal(parse_str("grant_type=client_credentials&scope=a+b%20c&x=%41%62%2B", &f), 0);
    assert_int_equal(f.n, 3);
    assert_string_equal(http_form_get(&f, "grant_type", &count), "client_credentials");
    assert_int_equal(count, 1);
    assert_string_equal(http_form_get(&f, "scope", NULL), "a b c");
    assert_string_equal(http_form_get(&f, "x", NULL), "Ab+");
    assert_null(http_form_get(&f, "nope", &count));
    assert_int_equal(count, 0);
    http_form_cleanup(&f);
}

static void test_form_empty_items_and_duplicates(void **state)
{
    (void)state;
    struct http_form f;
    int count = 0;
    assert_int_equal(parse_str("&&a=1&&flag&a=2&=v&e=&", &f), 0);
    assert_int_equal(f.n, 5);
    assert_string_equal(http_form_get(&f, "a", &count), "1");
    assert_int_equal(count, 2);
    assert_string_equal(http_form_get(&f, "flag", &count), "");
    assert_int_equal(count, 1);
    assert_string_equal(http_form_get(&f, "", NULL), "v");
    assert_string_equal(http_form_get(&f, "e", NULL), "");
    assert_string_equal(f.items[4].name, "e");
    http_form_cleanup(&f);

    assert_int_equal(parse_str("", &f), 0);
    assert_int_equal(f.n, 0);
    http_form_cleanup(&f);
    assert_int_equal(http_form_parse("a=1&b=2", 3, &f), 0); /* len, not strlen */
    assert_int_equal(f.n, 1);
    assert_string_equal(f.items[0].value, "1");
    http_form_cleanup(&f);
}

static void test_form_bad(void **state)
{
    (void)state;
    static const char *bad[] = {"a=%",       "a=%4",    "a=%zz",  "a=%4g&b=1", "%=1",
                                "a=1&b=%00", "a=x%00y", "a%00=1", "a=%0"};
    struct http_form f;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse_str(bad[i], &f), RC_EINVAL);
        assert_null(f.items);
        assert_int_equal(f.n, 0);
    }
    assert_int_equal(http_form_parse("a=1\0b=2", 7, &f), RC_EINVAL);
}

static void test_form_limit(void **state)
{
    (void)state;
    char body[1024] = "";
    size_t len = 0;
    struct http_form f;
    for (int i = 0; i < 64; i++)
        len += (size_t)snprintf(body + len, sizeof(body) - len, "k%d=v&", i);
    assert_int_equal(parse_str(body, &f), 0);
    assert_int_equal(f.n, 64);
    http_form_cleanup(&f);
    snprintf(body + len, sizeof(body) - len, "one=more");
    assert_int_equal(parse_str(body, &f), RC_ELIMIT);
    assert_null(f.items);
}

static void test_url_decode(void **state)
{
    (void)state;
    char a[] = "a+b%2Bc%e2%82%AC";
    char b[] = "a+b";
    char c[] = "100%";
    assert_int_equal(http_url_decode(a, true), 0);
    assert_string_equal(a, "a b+c\xe2\x82\xac");
    assert_int_equal(http_url_decode(b, false), 0);
    assert_string_equal(b, "a+b");
    assert_int_equal(http_url_decode(c, false), RC_EINVAL);
    /* The bytes freed by decoding are zeroed: no encoded copy of a secret stays behind. */
    char d[] = "%41%42xyz";
    assert_int_equal(http_url_decode(d, false), 0);
    assert_memory_equal(d, "ABxyz\0\0\0\0\0", sizeof(d));
}

/* ---- HTTP Basic ---- */

static int basic_of(const char *header, char **id, char **secret)
{
    struct http_kv h[] = {{"Authorization", header}};
    struct http_request r = request_with(h, header ? 1 : 0);
    return http_basic_parse(&r, id, secret);
}

/* "Basic " + base64(plain), standard alphabet with padding. */
static void basic_header(const char *scheme, const char *plain, char *out, size_t size)
{
    size_t n = strlen(scheme);
    assert_true(n + 1 + sodium_base64_ENCODED_LEN(strlen(plain), sodium_base64_VARIANT_ORIGINAL) <=
                size);
    memcpy(out, scheme, n);
    out[n] = ' ';
    sodium_bin2base64(out + n + 1, size - n - 1, (const unsigned char *)plain, strlen(plain),
                      sodium_base64_VARIANT_ORIGINAL);
}

static void expect_basic(const char *header, const char *id, const char *secret)
{
    char *gid = NULL, *gsecret = NULL;
    assert_int_equal(basic_of(header, &gid, &gsecret), 0);
    assert_string_equal(gid, id);
    assert_string_equal(gsecret, secret);
    free(gid);
    free(gsecret);
}

static void expect_basic_rc(const char *header, int rc)
{
    char *id = (char *)1, *secret = (char *)1;
    assert_int_equal(basic_of(header, &id, &secret), rc);
    assert_null(id);
    assert_null(secret);
}

static void test_basic(void **state)
{
    (void)state;
    char h[512];
    basic_header("Basic", "client:secret", h, sizeof(h));
    expect_basic(h, "client", "secret");
    /* Encoded ':' '%' '+' and non-ASCII in both halves (RFC 6749 §2.3.1). */
    basic_header("basic", "my%3Aid%25%2B+%C3%A9:s%3Acr%25t%2B+x%E2%82%AC:y", h, sizeof(h));
    expect_basic(h, "my:id%+ \xc3\xa9", "s:cr%t+ x\xe2\x82\xac:y");
    basic_header("BASIC", "id:", h, sizeof(h));
    expect_basic(h, "id", "");
    expect_basic("Basic    YTpiYw==", "a", "bc");

    basic_header("Basic", "nocolon", h, sizeof(h));
    expect_basic_rc(h, RC_EINVAL);
    basic_header("Basic", "id%zz:secret", h, sizeof(h));
    expect_basic_rc(h, RC_EINVAL);
    basic_header("Basic", "id:sec%00ret", h, sizeof(h));
    expect_basic_rc(h, RC_EINVAL);
    expect_basic_rc("Basic YTpiYw", RC_EINVAL);   /* padding required */
    expect_basic_rc("Basic YT_i-w==", RC_EINVAL); /* base64url alphabet */
    expect_basic_rc("Basic !!!!", RC_EINVAL);
    expect_basic_rc("Basic YTpiYw==garbage", RC_EINVAL);
    expect_basic_rc("Basic AGE6Yg==", RC_EINVAL); /* "\0a:b" */
    expect_basic_rc("Basic", RC_EINVAL);
    expect_basic_rc("Bearer YTpiYw==", RC_ENOTFOUND);
    expect_basic_rc("BasicYTpiYw==", RC_ENOTFOUND);
    expect_basic_rc(NULL, RC_ENOTFOUND);
}

/* ---- router ---- */

struct seen {
    const char *handler;
    int nparams;
    char params[HTTP_MAX_PARAMS][64];
};

static void record(void *app, const struct http_request *req, const char *name)
{
    struct seen *s = app;
    s->handler = name;
    s->nparams = req->nparams;
    for (int i = 0; i < req->nparams; i++)
        snprintf(s->params[i], sizeof(s->params[i]), "%s", req->params[i]);
}

#define HANDLER(name)                                                                              \
    static void h_##name(void *app, const struct http_request *req, struct http_response *res)     \
    {                                                                                              \
        record(app, req, #name);                                                                   \
        assert_int_equal(buf_append_str(&res->body, "{\"h\":\"" #name "\"}"), 0);                  \
    }
HANDLER(verify)
HANDLER(token)
HANDLER(admin_token)
HANDLER(secret)
HANDLER(account)
HANDLER(account_del)
HANDLER(literal_first)
HANDLER(literal_second)

static struct http_router *test_router(void)
{
    struct http_router *rt = http_router_new();
    http_router_add(rt, "GET", "/token", h_verify);
    http_router_add(rt, "POST", "/{account}/token", h_token);
    http_router_add(rt, "POST", "/admin/token", h_admin_token);
    http_router_add(rt, "POST", "/admin/v1/accounts/{a}/accesses/{client_id}/secret", h_secret);
    http_router_add(rt, "GET", "/admin/v1/accounts/{a}", h_account);
    http_router_add(rt, "DELETE", "/admin/v1/accounts/{a}", h_account_del);
    http_router_add(rt, "GET", "/{x}/fixed", h_literal_second);
    http_router_add(rt, "GET", "/fixed/{y}", h_literal_first);
    return rt;
}

static int route(const struct http_router *rt, const char *method, const char *path, struct seen *s,
                 struct http_response *res)
{
    struct http_request req = request_with(NULL, 0);
    req.method = method;
    req.path = path;
    memset(s, 0, sizeof(*s));
    http_response_init(res);
    http_router_dispatch(rt, s, &req, res);
    return res->status;
}

static void test_router_match(void **state)
{
    (void)state;
    struct http_router *rt = test_router();
    struct http_response res;
    struct seen s;

    assert_int_equal(route(rt, "GET", "/token", &s, &res), 200);
    assert_string_equal(s.handler, "verify");
    http_response_cleanup(&res);
    assert_int_equal(route(rt, "HEAD", "/token", &s, &res), 200);
    assert_string_equal(s.handler, "verify");
    http_response_cleanup(&res);

    assert_int_equal(route(rt, "POST", "/acc_1/token", &s, &res), 200);
    assert_string_equal(s.handler, "token");
    assert_int_equal(s.nparams, 1);
    assert_string_equal(s.params[0], "acc_1");
    http_response_cleanup(&res);

    /* More literal segments win, whatever the order of registration. */
    assert_int_equal(route(rt, "POST", "/admin/token", &s, &res), 200);
    assert_string_equal(s.handler, "admin_token");
    assert_int_equal(s.nparams, 0);
    http_response_cleanup(&res);
    /* Same count: the earlier literal wins. */
    assert_int_equal(route(rt, "GET", "/fixed/fixed", &s, &res), 200);
    assert_string_equal(s.handler, "literal_first");
    http_response_cleanup(&res);

    assert_int_equal(route(rt, "POST", "/admin/v1/accounts/A1/accesses/c-2/secret", &s, &res), 200);
    assert_string_equal(s.handler, "secret");
    assert_int_equal(s.nparams, 2);
    assert_string_equal(s.params[0], "A1");
    assert_string_equal(s.params[1], "c-2");
    http_response_cleanup(&res);
    http_router_free(rt);
}

static void expect_error(struct http_response *res, int status, const char *error)
{
    char want[128];
    snprintf(want, sizeof(want), "{\"error\":\"%s\"", error);
    assert_int_equal(res->status, status);
    assert_non_null(strstr(buf_str(&res->body), want));
    assert_true(res->content_type == NULL || strcmp(res->content_type, "application/json") == 0);
}

static void test_router_404(void **state)
{
    (void)state;
    static const char *paths[] = {"//token",
                                  "/token/",
                                  "/acc/token/",
                                  "/nothing",
                                  "",
                                  "/",
                                  "token",
                                  "/acc//token",
                                  "/admin/v1/accounts/",
                                  "/admin/v1/accounts/a/accesses//secret",
                                  "/s3cr3t-in-path/x/y"};
    struct http_router *rt = test_router();
    struct http_response res;
    struct seen s;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        const char *method = strstr(paths[i], "token") ? "POST" : "GET";
        route(rt, method, paths[i], &s, &res);
        assert_null(s.handler);
        expect_error(&res, 404, "not_found");
        assert_string_equal(buf_str(&res.body),
                            "{\"error\":\"not_found\",\"error_description\":\"no such endpoint\"}");
        assert_int_equal(res.nheaders, 0);
        http_response_cleanup(&res);
    }
    http_router_free(rt);
}

HANDLER(short_literal)
HANDLER(long_literal)
HANDLER(param_first)

/* Routes are passed over by their first segment when it is literal: a segment that is a
 * prefix of another, or equal up to its length, must not be taken for it, and a route
 * whose first segment is a parameter is still tried for every path. */
static void test_router_first_segment(void **state)
{
    (void)state;
    struct http_router *rt = http_router_new();
    http_router_add(rt, "GET", "/ab/{x}", h_short_literal);
    http_router_add(rt, "GET", "/abc", h_long_literal);
    http_router_add(rt, "GET", "/{x}/c", h_param_first);
    struct http_response res;
    struct seen s;
    static const struct {
        const char *path, *handler;
    } cases[] = {{"/ab/1", "short_literal"},
                 {"/abc", "long_literal"},
                 {"/ab/c", "short_literal"},
                 {"/abc/c", "param_first"},
                 {"/a/c", "param_first"},
                 {"/abcd/c", "param_first"},
                 {"/ab", NULL},
                 {"/abcd", NULL},
                 {"/a", NULL},
                 {"/", NULL},
                 {"ab/1", NULL},
                 {"abc", NULL}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = route(rt, "GET", cases[i].path, &s, &res);
        if (cases[i].handler) {
            assert_int_equal(status, 200);
            assert_string_equal(s.handler, cases[i].handler);
        } else {
            assert_null(s.handler);
            expect_error(&res, 404, "not_found");
        }
        http_response_cleanup(&res);
    }
    http_router_free(rt);
}

static void test_router_405(void **state)
{
    (void)state;
    struct http_router *rt = test_router();
    struct http_response res;
    struct seen s;

    route(rt, "DELETE", "/token", &s, &res);
    assert_null(s.handler);
    expect_error(&res, 405, "method_not_allowed");
    assert_int_equal(res.nheaders, 1);
    assert_string_equal(res.headers[0].name, "Allow");
    assert_string_equal(res.headers[0].value, "GET, HEAD");
    http_response_cleanup(&res);

    route(rt, "PUT", "/admin/v1/accounts/xyz", &s, &res);
    expect_error(&res, 405, "method_not_allowed");
    assert_string_equal(res.headers[0].value, "GET, DELETE, HEAD");
    assert_null(strstr(buf_str(&res.body), "xyz"));
    http_response_cleanup(&res);

    /* "/token" is matched by GET /token only; POST /{account}/token needs two segments. */
    route(rt, "POST", "/token", &s, &res);
    expect_error(&res, 405, "method_not_allowed");
    assert_string_equal(res.headers[0].value, "GET, HEAD");
    http_response_cleanup(&res);

    route(rt, "GET", "/acc/token", &s, &res);
    expect_error(&res, 405, "method_not_allowed");
    assert_string_equal(res.headers[0].value, "POST");
    http_response_cleanup(&res);
    http_router_free(rt);
}

/* ---- a real server on a loopback socket ---- */

static atomic_int observed;

static void observe(void *app, const struct http_request *req, int status, int64_t micros)
{
    (void)app;
    (void)req;
    (void)status;
    assert_true(micros >= 0);
    atomic_fetch_add(&observed, 1);
}

static void h_hello(void *app, const struct http_request *req, struct http_response *res)
{
    (void)app;
    const char *q = http_query(req, "q", NULL);
    assert_int_equal(buf_appendf(&res->body, "{\"hello\":\"%s\",\"len\":%zu,\"from\":\"%s\"}",
                                 q ? q : "", req->body_len, req->remote_addr),
                     0);
    http_response_header(res, "Cache-Control", "no-store");
}

static int connect_to(int port)
{
    struct sockaddr_in sa;
    struct timeval tv = {.tv_sec = 5};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the server may close early: the answer is what counts */
        data += n;
        len -= (size_t)n;
    }
}

/* Read one response (headers, then Content-Length bytes) into out; returns the status. */
static int read_response(int fd, char *out, size_t size)
{
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        ssize_t n = recv(fd, out + len, size - 1 - len, 0);
        assert_true(n > 0);
        len += (size_t)n;
        out[len] = '\0';
        end = strstr(out, "\r\n\r\n");
    }
    const char *cl = strcasestr(out, "\r\nContent-Length:");
    assert_non_null(cl);
    size_t want = (size_t)(end + 4 - out) + strtoul(cl + 17, NULL, 10);
    assert_true(want < size);
    while (len < want) {
        ssize_t n = recv(fd, out + len, want - len, 0);
        assert_true(n > 0);
        len += (size_t)n;
    }
    out[len] = '\0';
    return (int)strtol(out + 9, NULL, 10);
}

static int exchange(int fd, const char *request, char *out, size_t size)
{
    send_all(fd, request, strlen(request));
    return read_response(fd, out, size);
}

static void assert_json_answer(const char *resp)
{
    assert_non_null(strcasestr(resp, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\n{"));
}

static struct http_server *start_server(struct http_router **rt)
{
    struct http_server_config cfg = {
        .host = "127.0.0.1", .port = 0, .threads = 2, .max_body = 1024 * 1024};
    struct http_server *srv = NULL;
    *rt = http_router_new();
    http_router_add(*rt, "GET", "/hello", h_hello);
    http_router_add(*rt, "POST", "/hello", h_hello);
    assert_int_equal(http_server_start(&cfg, *rt, NULL, observe, &srv), 0);
    assert_true(http_server_port(srv) > 0);
    return srv;
}

static void test_server_keepalive(void **state)
{
    (void)state;
    struct http_router *rt;
    struct http_server *srv = start_server(&rt);
    char resp[8192];
    int fd = connect_to(http_server_port(srv));
    int before = atomic_load(&observed);

    assert_int_equal(
        exchange(fd, "GET /hello?q=one%20two HTTP/1.1\r\nHost: t\r\n\r\n", resp, sizeof(resp)),
        200);
    assert_json_answer(resp);
    assert_non_null(strstr(resp, "{\"hello\":\"one two\",\"len\":0,\"from\":\"127.0.0.1\"}"));
    assert_non_null(strcasestr(resp, "\r\nCache-Control: no-store\r\n"));
    assert_null(strcasestr(resp, "Connection: close"));
    /* The same connection answers a second request, here with a body. */
    assert_int_equal(exchange(fd,
                              "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                              "Content-Type: application/x-www-form-urlencoded\r\n\r\na=b&c",
                              resp, sizeof(resp)),
                     200);
    assert_non_null(strstr(resp, "\"len\":5"));
    assert_null(strcasestr(resp, "Connection: close"));
    /* Query items: '+' is a space, an item without '=' has value "". */
    assert_int_equal(
        exchange(fd, "GET /hello?flag&q=a+b%2B HTTP/1.1\r\nHost: t\r\n\r\n", resp, sizeof(resp)),
        200);
    assert_non_null(strstr(resp, "{\"hello\":\"a b+\""));
    close(fd);
    http_server_stop(srv);
    http_router_free(rt);
    assert_int_equal(atomic_load(&observed) - before, 3);
}

static void test_server_errors(void **state)
{
    (void)state;
    struct http_router *rt;
    struct http_server *srv = start_server(&rt);
    char resp[8192];
    int fd = connect_to(http_server_port(srv));

    assert_int_equal(
        exchange(fd, "GET /nope/secret-ish HTTP/1.1\r\nHost: t\r\n\r\n", resp, sizeof(resp)), 404);
    assert_json_answer(resp);
    assert_non_null(strstr(resp, "\"error\":\"not_found\""));
    assert_null(strstr(resp, "secret-ish"));
    assert_int_equal(exchange(fd, "POST //token HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
                              resp, sizeof(resp)),
                     404);
    assert_json_answer(resp);
    assert_int_equal(exchange(fd, "DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n", resp, sizeof(resp)),
                     405);
    assert_json_answer(resp);
    assert_non_null(strstr(resp, "\"error\":\"method_not_allowed\""));
    assert_non_null(strcasestr(resp, "\r\nAllow: GET, POST, HEAD\r\n"));
    close(fd);

    /* 2 MiB declared and sent: 413 as JSON. */
    size_t big = 2 * 1024 * 1024;
    char *body = malloc(big);
    memset(body, 'a', big);
    fd = connect_to(http_server_port(srv));
    snprintf(resp, sizeof(resp), "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n",
             big);
    send_all(fd, resp, strlen(resp));
    send_all(fd, body, big);
    assert_int_equal(read_response(fd, resp, sizeof(resp)), 413);
    assert_json_answer(resp);
    assert_non_null(strstr(resp, "{\"error\":\"invalid_request\",\"error_description\":"
                                 "\"request body too large\"}"));
    close(fd);

    /* Chunked, so only the running total can tell. */
    fd = connect_to(http_server_port(srv));
    snprintf(resp, sizeof(resp),
             "POST /hello HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    send_all(fd, resp, strlen(resp));
    for (int i = 0; i < 4; i++) {
        snprintf(resp, sizeof(resp), "%zx\r\n", big / 4);
        send_all(fd, resp, strlen(resp));
        send_all(fd, body, big / 4);
        send_all(fd, "\r\n", 2);
    }
    send_all(fd, "0\r\n\r\n", 5);
    assert_int_equal(read_response(fd, resp, sizeof(resp)), 413);
    assert_json_answer(resp);
    close(fd);
    free(body);

    http_server_stop(srv);
    http_router_free(rt);
}

static void test_server_bad_host(void **state)
{
    (void)state;
    struct http_server_config cfg = {.host = "not-an-address", .port = 0, .max_body = 10};
    struct http_router *rt = http_router_new();
    struct http_server *srv = (struct http_server *)1;
    assert_int_equal(http_server_start(&cfg, rt, NULL, NULL, &srv), RC_EINVAL);
    assert_null(srv);
    http_server_stop(NULL);
    http_router_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_case_insensitive),
        cmocka_unit_test(test_query_count),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_response_error_and_headers),
        cmocka_unit_test(test_response_headers_long_and_short),
        cmocka_unit_test(test_form_basic),
        cmocka_unit_test(test_form_empty_items_and_duplicates),
        cmocka_unit_test(test_form_bad),
        cmocka_unit_test(test_form_limit),
        cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_router_match),
        cmocka_unit_test(test_router_404),
        cmocka_unit_test(test_router_first_segment),
        cmocka_unit_test(test_router_405),
        cmocka_unit_test(test_server_keepalive),
        cmocka_unit_test(test_server_errors),
        cmocka_unit_test(test_server_bad_host),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
