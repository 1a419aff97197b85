/* SPDX-License-Identifier: MIT */
/* OAuth errors as data (RFC 6749 §5.2, RFC 6750 §3.1): one table gives each its code and
 * status; oauth_error_respond() writes the JSON body and the headers. */
#ifndef RCAUTH_OAUTH_ERRORS_H
#define RCAUTH_OAUTH_ERRORS_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

enum oauth_error {
    OAUTH_INVALID_REQUEST,
    OAUTH_INVALID_CLIENT,
    OAUTH_INVALID_GRANT,
    OAUTH_UNSUPPORTED_GRANT_TYPE,
    OAUTH_INVALID_SCOPE,
    OAUTH_TEMPORARILY_UNAVAILABLE,
    OAUTH_INVALID_TOKEN,
    OAUTH_SERVER_ERROR,
    OAUTH_STORE_UNAVAILABLE, /* the database cannot be reached: 503, with Retry-After */
};

/* Write the error into res. basic_used adds WWW-Authenticate: Basic to invalid_client
 * (RFC 6749 §5.2); invalid_token always gets WWW-Authenticate: Bearer (RFC 6750 §3). */
void oauth_error_respond(struct http_response *res, enum oauth_error e, const char *description,
                         bool basic_used);

/* A store failure rc as an answer: 503 temporarily_unavailable (and Retry-After) when the
 * database cannot be reached (RC_EUNAVAIL), else 500 server_error saying description (NULL
 * for a generic one). For every endpoint, the admin API's too, so that a client or a load
 * balancer can tell "retry shortly" from a fault. */
/* 429 temporarily_unavailable with Retry-After: retry_after seconds (SPEC §2, §7). */
void oauth_throttled_respond(struct http_response *res, int64_t retry_after);

void oauth_store_error_respond(struct http_response *res, int rc, const char *description);

#endif
