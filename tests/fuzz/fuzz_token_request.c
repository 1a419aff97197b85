/* SPDX-License-Identifier: MIT */
/* libFuzzer: the token request reader (JSON or form body, Basic credentials, expires_in in
 * the query or the body) and its variant for introspection and revocation. Input fields,
 * one per line: Content-Type, Authorization, query string, then the body (the rest). */
#include "fuzz_common.h"
#include "oauth/token_request.h"

#include <assert.h>

static void parse_query(const char *query, struct http_form *form, struct http_request *req)
{
    if (http_form_parse(query, strlen(query), form) == 0) {
        req->query = form->items;
        req->nquery = form->n;
    } else {
        memset(form, 0, sizeof(*form));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *input = fuzz_strndup(data, size);
    char *f[4];
    fuzz_fields(input, f, 4);
    struct http_kv headers[2] = {{"Content-Type", f[0]}, {"Authorization", f[1]}};
    struct http_request req = {.method = "POST",
                               .path = "/a/token",
                               .body = f[3],
                               .body_len = strlen(f[3]),
                               .remote_addr = "127.0.0.1",
                               .headers = headers,
                               .nheaders = 2};
    struct http_form query;
    parse_query(f[2], &query, &req);

    struct token_request tr;
    const char *why = NULL;
    if (token_request_parse(&req, &tr, &why) == 0) {
        assert(!tr.has_expires_in ||
               (tr.expires_in >= 0 && tr.expires_in <= TOKEN_REQUEST_MAX_EXPIRES_IN));
        token_request_cleanup(&tr);
    } else {
        assert(why && *why);
    }
    why = NULL;
    if (token_request_parse_about_token(&req, &tr, &why) == 0)
        token_request_cleanup(&tr);
    else
        assert(why && *why);
    int64_t v;
    (void)token_request_parse_expires_in(f[3], &v);
    http_form_cleanup(&query);
    free(input);
    return 0;
}
