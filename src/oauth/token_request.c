/* SPDX-License-Identifier: MIT */
/* Token request parsing: JSON (what the existing clients send) and form (RFC 6749 §4.4).
 * Introspection and revocation requests are read by the same code, so that their bodies and
 * client credentials follow the very same rules. */
#include "oauth/token_request.h"
#include "common/xmalloc.h"

#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The body parameters we read; anything else is ignored (RFC 6749 §3.2). */
enum param {
    P_GRANT_TYPE,
    P_SCOPE,
    P_CLIENT_ID,
    P_CLIENT_SECRET,
    P_REFRESH_TOKEN,
    P_EXPIRES_IN,
    P_TOKEN,
    P_TOKEN_TYPE_HINT,
    P_COUNT
};
static const char *const param_names[P_COUNT] = {
    "grant_type",    "scope",      "client_id", "client_secret",
    "refresh_token", "expires_in", "token",     "token_type_hint",
};

/* Collected values before they are moved into the request. */
struct params {
    char *v[P_COUNT];
    int n; /* the names read: param_names[0, n) */
};

static void params_cleanup(struct params *p)
{
    for (int i = 0; i < P_COUNT; i++) {
        if (p->v[i]) {
            sodium_memzero(p->v[i], strlen(p->v[i]));
            free(p->v[i]);
        }
    }
}

static const char bad_expires_in[] =
    "expires_in must be a whole number of seconds from 0 to 3153600000 (100 years)";

int token_request_parse_expires_in(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 12)
        return RC_EINVAL;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return RC_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (v > TOKEN_REQUEST_MAX_EXPIRES_IN)
        return RC_EINVAL;
    *out = v;
    return 0;
}

/* Media type without parameters, case-insensitive (RFC 9110 §8.3.1). */
static bool is_media_type(const char *header, const char *type)
{
    size_t n = strlen(type);
    if (strncasecmp(header, type, n))
        return false;
    const char *rest = header + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

/* A JSON value as a parameter string: strings as they are; expires_in may be an integer. */
static int json_param(int i, json_t *v, char **out)
{
    if (json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strlen(s) != json_string_length(v))
            return RC_EINVAL; /* embedded NUL */
        *out = xstrdup(s);
        return 0;
    }
    if (i == P_EXPIRES_IN && json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0)
            return RC_EINVAL;
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%lld", (long long)n);
        *out = xstrdup(tmp);
        return 0;
    }
    return RC_EINVAL;
}

/* jansson reads -0 as the integer 0, but as the real -0.0 when told to read integers as
 * reals: read the body so once more, only when expires_in is 0. SPEC §2: expires_in has no
 * sign, as in the query. */
static bool is_minus_zero(const struct http_request *req, json_t *v)
{
    if (!json_is_integer(v) || json_integer_value(v) != 0)
        return false;
    json_t *reals = json_loadb(req->body, req->body_len, JSON_DECODE_INT_AS_REAL, NULL);
    json_t *r = json_object_get(reals, "expires_in");
    bool minus = !json_is_real(r) || signbit(json_real_value(r));
    json_decref(reals);
    return minus;
}

static int parse_json(const struct http_request *req, struct params *p, const char **why)
{
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = 0;
    if (!json_is_object(root)) {
        /* jansson refuses numbers it cannot hold: valid JSON, but not a valid request */
        *why = root                             ? "the body must be a JSON object"
               : strstr(jerr.text, "duplicate") ? "a parameter is given twice"
               : strstr(jerr.text, "too big") || strstr(jerr.text, "overflow")
                   ? "a number in the body is out of range"
                   : "the body is not valid JSON";
        rc = RC_EINVAL;
        goto out;
    }
    /* the same cap as a form body's */
    if (json_object_size(root) > HTTP_FORM_MAX_ITEMS) {
        *why = "the JSON body has too many members";
        rc = RC_EINVAL;
        goto out;
    }
    for (int i = 0; i < p->n && !rc; i++) {
        json_t *v = json_object_get(root, param_names[i]);
        if (v && (json_param(i, v, &p->v[i]) || (i == P_EXPIRES_IN && is_minus_zero(req, v)))) {
            *why = i == P_EXPIRES_IN ? bad_expires_in
                                     : "a parameter has the wrong type (strings expected)";
            rc = RC_EINVAL;
        }
    }
out:
    json_decref(root);
    return rc;
}

static int parse_form(const struct http_request *req, struct params *p, const char **why)
{
    struct http_form form;
    int frc = http_form_parse(req->body, req->body_len, &form);
    if (frc) {
        *why = frc == RC_ELIMIT ? "the form body has too many items" : "the form body is malformed";
        return RC_EINVAL;
    }
    int rc = 0;
    for (int i = 0; i < p->n && !rc; i++) {
        int count = 0;
        const char *v = http_form_get(&form, param_names[i], &count);
        if (count > 1) {
            *why = "a parameter is given twice";
            rc = RC_EINVAL;
        } else if (v) {
            p->v[i] = xstrdup(v);
        }
    }
    http_form_cleanup(&form);
    return rc;
}

static int parse_body(const struct http_request *req, struct params *p, const char **why)
{
    const char *type = http_header(req, "Content-Type");
    /* An empty JSON document is malformed; an empty form or no body at all is not (Basic
     * credentials and every default). */
    if (type && is_media_type(type, "application/json"))
        return parse_json(req, p, why);
    if (req->body_len == 0)
        return 0;
    if (type && is_media_type(type, "application/x-www-form-urlencoded"))
        return parse_form(req, p, why);
    *why = "unsupported content type: send application/json or "
           "application/x-www-form-urlencoded";
    return RC_EINVAL;
}

/* expires_in from the query or the body, not both. */
static int read_expires_in(const struct http_request *req, const struct params *p,
                           struct token_request *out, const char **why)
{
    int count = 0;
    const char *q = http_query(req, "expires_in", &count);
    if (count > 1 || (q && p->v[P_EXPIRES_IN])) {
        *why = "expires_in is given twice";
        return RC_EINVAL;
    }
    const char *v = q ? q : p->v[P_EXPIRES_IN];
    if (!v)
        return 0;
    if (token_request_parse_expires_in(v, &out->expires_in)) {
        *why = bad_expires_in;
        return RC_EINVAL;
    }
    out->has_expires_in = true;
    return 0;
}

/* RFC 6749 §2.3.1: Basic credentials; a client must not use two methods at once. A body
 * client_id equal to the Basic one is tolerated (some libraries always send it). */
static int read_basic(const struct http_request *req, struct params *p, struct token_request *out,
                      const char **why)
{
    char *id = NULL, *secret = NULL;
    int rc = http_basic_parse(req, &id, &secret);
    if (rc == RC_ENOTFOUND)
        return 0;
    if (rc) {
        *why = "malformed HTTP Basic credentials";
        return RC_EINVAL;
    }
    if (p->v[P_CLIENT_SECRET] || (p->v[P_CLIENT_ID] && strcmp(p->v[P_CLIENT_ID], id))) {
        *why = "client credentials are given both in HTTP Basic and in the body";
        rc = RC_EINVAL;
    } else {
        free(p->v[P_CLIENT_ID]);
        p->v[P_CLIENT_ID] = id;
        p->v[P_CLIENT_SECRET] = secret;
        id = secret = NULL;
        out->basic = true;
    }
    if (secret)
        sodium_memzero(secret, strlen(secret));
    free(id);
    free(secret);
    return rc;
}

/* Where each string parameter goes in the request. */
static char **param_slot(struct token_request *r, int i)
{
    char **slots[P_COUNT] = {
        [P_GRANT_TYPE] = &r->grant_type,
        [P_SCOPE] = &r->scope,
        [P_CLIENT_ID] = &r->client_id,
        [P_CLIENT_SECRET] = &r->client_secret,
        [P_REFRESH_TOKEN] = &r->refresh_token,
        [P_TOKEN] = &r->token,
        [P_TOKEN_TYPE_HINT] = &r->token_type_hint,
    };
    return slots[i];
}

/* A token request reads the parameters before P_TOKEN, as it always did; a request about a
 * token reads them all. */
static int parse(const struct http_request *req, bool about_token, struct token_request *out,
                 const char **why)
{
    memset(out, 0, sizeof(*out));
    out->remote_addr = req->remote_addr ? req->remote_addr : "";
    struct params p = {.n = about_token ? P_COUNT : P_TOKEN};
    int rc = parse_body(req, &p, why);
    if (!rc && !about_token)
        rc = read_expires_in(req, &p, out, why);
    if (!rc)
        rc = read_basic(req, &p, out, why);
    for (int i = 0; i < P_COUNT && !rc; i++) {
        char **slot = param_slot(out, i);
        if (slot) {
            *slot = p.v[i];
            p.v[i] = NULL;
        }
    }
    params_cleanup(&p);
    if (rc)
        token_request_cleanup(out);
    return rc;
}

int token_request_parse(const struct http_request *req, struct token_request *out, const char **why)
{
    return parse(req, false, out, why);
}

int token_request_parse_about_token(const struct http_request *req, struct token_request *out,
                                    const char **why)
{
    return parse(req, true, out, why);
}

void token_request_cleanup(struct token_request *r)
{
    for (int i = 0; i < P_COUNT; i++) {
        char **slot = param_slot(r, i);
        if (slot && *slot) {
            sodium_memzero(*slot, strlen(*slot));
            free(*slot);
            *slot = NULL;
        }
    }
}
