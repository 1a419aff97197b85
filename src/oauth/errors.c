/* SPDX-License-Identifier: MIT */
/* The OAuth error table. */
#include "oauth/errors.h"
#include "common/rc.h"

#include <stdio.h>

static const struct {
    const char *code;
    int status;
} table[] = {
    [OAUTH_INVALID_REQUEST] = {"invalid_request", 400},
    [OAUTH_INVALID_CLIENT] = {"invalid_client", 401},
    [OAUTH_INVALID_GRANT] = {"invalid_grant", 400},
    [OAUTH_UNSUPPORTED_GRANT_TYPE] = {"unsupported_grant_type", 400},
    [OAUTH_INVALID_SCOPE] = {"invalid_scope", 400},
    [OAUTH_TEMPORARILY_UNAVAILABLE] = {"temporarily_unavailable", 429},
    [OAUTH_INVALID_TOKEN] = {"invalid_token", 401},
    [OAUTH_SERVER_ERROR] = {"server_error", 500},
    [OAUTH_STORE_UNAVAILABLE] = {"temporarily_unavailable", 503},
};

void oauth_error_respond(struct http_response *res, enum oauth_error e, const char *description,
                         bool basic_used)
{
    http_response_error(res, table[e].status, table[e].code, description);
    if (e == OAUTH_INVALID_CLIENT && basic_used)
        http_response_header(res, "WWW-Authenticate", "Basic realm=\"rcauth\"");
    if (e == OAUTH_INVALID_TOKEN)
        http_response_header(res, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    if (e == OAUTH_STORE_UNAVAILABLE)
        http_response_header(res, "Retry-After", "1"); /* RFC 9110 §10.2.3 */
}

void oauth_throttled_respond(struct http_response *res, int64_t retry_after)
{
    char secs[24];
    snprintf(secs, sizeof(secs), "%lld", (long long)retry_after);
    oauth_error_respond(res, OAUTH_TEMPORARILY_UNAVAILABLE,
                        "too many failed authentications; retry later", false);
    http_response_header(res, "Retry-After", secs);
}

void oauth_store_error_respond(struct http_response *res, int rc, const char *description)
{
    if (rc == RC_EUNAVAIL)
        oauth_error_respond(res, OAUTH_STORE_UNAVAILABLE,
                            "the database cannot be reached; retry shortly", false);
    else
        oauth_error_respond(res, OAUTH_SERVER_ERROR, description, false);
}
