/* SPDX-License-Identifier: MIT */
/* Refusal of requests whose framing is ambiguous, before any of their body is read.
 * A proxy in front of us and libmicrohttpd could split such a request into different
 * messages (request smuggling, RFC 9112 §11.2): libmicrohttpd reads the first
 * Content-Length of several, prefers Transfer-Encoding to Content-Length, and reads a body
 * of an unknown transfer coding until the connection ends. It also accepts a field name
 * with spaces ("Content-Length : 5"), which a proxy may pass as another field. So each of
 * these is refused here, and the server closes the connection after the answer, so that
 * nothing sent after it on the connection is read as a request. */
#include "http/http_int.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 §5.1 and §5.6.2: field-name = token = 1*tchar. */
static bool is_token(const char *s)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t n = strlen(s);
    return n > 0 && strspn(s, tchar) == n;
}

int http_framing_check(const struct http_kv *headers, size_t n, const char **why)
{
    const char *te = NULL;
    int lengths = 0, codings = 0;

    for (size_t i = 0; i < n; i++) {
        if (!is_token(headers[i].name)) {
            *why = "a header name is not a token";
            return 400;
        }
        if (!strcasecmp(headers[i].name, "Content-Length")) {
            lengths++;
        } else if (!strcasecmp(headers[i].name, "Transfer-Encoding")) {
            codings++;
            te = headers[i].value; /* read only when it is the one */
        }
    }
    /* RFC 9112 §6.3: several Content-Length values are an unrecoverable framing error
     * (equal ones too: the proxy in front may have kept another). */
    if (lengths > 1) {
        *why = "Content-Length is given more than once";
        return 400;
    }
    if (codings > 1) {
        *why = "Transfer-Encoding is given more than once";
        return 400;
    }
    /* RFC 9112 §6.1: a request with both may be rejected, and its connection must close. */
    if (lengths && codings) {
        *why = "Content-Length and Transfer-Encoding are both given";
        return 400;
    }
    /* RFC 9112 §6.1: a transfer coding the server does not understand is 501. chunked is
     * the only one read (RFC 9112 §7: coding names are case-insensitive). */
    if (te && strcasecmp(te, "chunked") != 0) {
        *why = "the only transfer coding read is chunked";
        return 501;
    }
    return 0;
}
