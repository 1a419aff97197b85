/* SPDX-License-Identifier: MIT */
/* Reading a token request (SPEC §2): a JSON or form body, credentials in the body or in
 * HTTP Basic, expires_in in the query or the body. Pure parsing: no store, no crypto. */
#ifndef RCAUTH_TOKEN_REQUEST_H
#define RCAUTH_TOKEN_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

/* expires_in beyond this is refused as invalid_request (100 years). */
#define TOKEN_REQUEST_MAX_EXPIRES_IN (INT64_C(100) * 365 * 86400)

struct token_request {
    char *grant_type; /* owned; NULL when absent */
    char *scope;
    char *client_id;
    char *client_secret; /* wiped on cleanup */
    char *refresh_token;
    char *token;           /* introspection and revocation (RFC 7662 §2.1, RFC 7009 §2.1) */
    char *token_type_hint; /* idem: only a hint */
    bool has_expires_in;
    int64_t expires_in;
    bool basic;              /* the credentials came in HTTP Basic */
    const char *remote_addr; /* borrowed from the request: who sent it, for throttling */
};

/* Parse req into out. RC_EINVAL with *why set to a static description for every case of
 * invalid_request: malformed body, unsupported content type, a parameter given twice,
 * credentials both in Basic and in the body, bad expires_in. */
int token_request_parse(const struct http_request *req, struct token_request *out,
                        const char **why) RC_MUST_CHECK;
/* The same for a request about a token (introspection, revocation): the same body forms and
 * client credential rules; expires_in is not read. */
int token_request_parse_about_token(const struct http_request *req, struct token_request *out,
                                    const char **why) RC_MUST_CHECK;
void token_request_cleanup(struct token_request *r);

/* Parse an expires_in value: decimal digits only, 0 ≤ v ≤ TOKEN_REQUEST_MAX_EXPIRES_IN. */
int token_request_parse_expires_in(const char *s, int64_t *out) RC_MUST_CHECK;

#endif
