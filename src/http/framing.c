/* SPDX-License-Identifier: MIT */
/* Refusal of requests whose framing is ambiguous, before any of their body is read.
 * A proxy in front of us and libmicrohttpd could split such a request into different
 * messages (request smuggling, RFC 9112 §11.2): libmicrohttpd reads the first
 * Content-Length of several, prefers Transfer-Encoding to Content-Length, and reads a body
 * of an unknown transfer coding until the connection ends. It also accepts a field name
 * with spaces ("Content-Length : 5"), which a proxy may pass as another field, and joins a
 * folded line (obs-fold, RFC 9112 §5.2) to the field's *name* ("Content-Length:\r\n 5"
 * becomes a field "Content-Length5" with an empty value, so no length at all, and the body
 * is read as the next request). So each of these is refused here, and the server closes the
 * connection after the answer, so that nothing sent after it on the connection is read as a
 * request. */
#include "common/swar.h"
#include "http/http_int.h"

#include <stdbool.h>
#include <stdint.h>
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

static bool is_control(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Whether some byte of w is below 0x20 or is 0x7f. A tab passes here too: the bytes are
 * then looked at one by one. */
static bool word_may_have_control(uint64_t w)
{
    return (swar_bytes_below(w, 0x20) | swar_bytes_equal(w, 0x7f)) != 0;
}

/* RFC 9110 §5.5: a field value holds no control character but HTAB. libmicrohttpd 0.9.75
 * passes a bare CR on in the value (a proxy may read it as a line end and the rest as
 * another field); a NUL it cannot pass on: it cuts the value there. Eight bytes at a time:
 * a bearer token, read on every request of the gate, is most of the bytes here. */
static bool has_control(const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    size_t n = strlen(v), i = 0;
    for (uint64_t w; n - i >= sizeof(w); i += sizeof(w)) {
        memcpy(&w, p + i, sizeof(w));
        if (word_may_have_control(w))
            break;
    }
    for (; i < n; i++)
        if (is_control(p[i]))
            return true;
    return false;
}

/* "chunked", with the optional whitespace around a field value (RFC 9110 §5.5). */
static bool is_chunked(const char *v)
{
    v += strspn(v, " \t");
    if (strncasecmp(v, "chunked", 7))
        return false;
    v += 7;
    return v[strspn(v, " \t")] == '\0';
}

/* 1 when name is field (any case), -1 when it begins so but goes on: a folded line joined
 * to it; else 0. */
static int framing_field(const char *name, const char *field, size_t len)
{
    if (strncasecmp(name, field, len))
        return 0;
    return name[len] ? -1 : 1;
}

int http_framing_check(const char *version, const struct http_kv *headers, size_t n,
                       const char **why)
{
    const char *te = NULL;
    int lengths = 0, codings = 0, hosts = 0;

    for (size_t i = 0; i < n; i++) {
        if (!is_token(headers[i].name)) {
            *why = "a header name is not a token";
            return 400;
        }
        if (has_control(headers[i].value)) {
            *why = "a header value holds a control character";
            return 400;
        }
        int cl = framing_field(headers[i].name, "Content-Length", 14);
        int tc = framing_field(headers[i].name, "Transfer-Encoding", 17);
        if (cl < 0 || tc < 0) {
            *why = "a header line is folded onto Content-Length or Transfer-Encoding";
            return 400;
        }
        if (cl) {
            lengths++;
        } else if (tc) {
            codings++;
            te = headers[i].value; /* read only when it is the one */
        } else if (!strcasecmp(headers[i].name, "Host")) {
            hosts++;
        }
    }
    /* RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, or any with several. */
    if (hosts > 1 || (hosts == 0 && version && !strcmp(version, "HTTP/1.1"))) {
        *why = hosts ? "Host is given more than once" : "Host is missing";
        return 400;
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
    if (te && !is_chunked(te)) {
        *why = "the only transfer coding read is chunked";
        return 501;
    }
    /* Neither: no body (RFC 9112 §6.3), as `curl -X POST` sends a rotation. */
    return 0;
}
