/* SPDX-License-Identifier: MIT */
/* The OAuth endpoints: the token endpoint (SPEC §2), the verification endpoint (§3), and
 * introspection, revocation and server metadata (§7; RFC 7662, 7009, 8414). */
#ifndef RCAUTH_OAUTH_H
#define RCAUTH_OAUTH_H

#include <stddef.h>

#include "http/http.h"

struct app;

/* Size of an issuer identifier, as the iss of a token (struct token_claims). */
#define OAUTH_ISSUER_SIZE 512

/* Register POST /{account}/token, GET /token, POST /{account}/introspect,
 * POST /{account}/revoke, GET /.well-known/oauth-authorization-server/{account} and
 * GET /healthz (liveness) and GET /readyz (the store answers). Handlers take the struct app. */
void oauth_routes_register(struct http_router *rt);

void oauth_token_handler(void *app, const struct http_request *req, struct http_response *res);
void oauth_verify_handler(void *app, const struct http_request *req, struct http_response *res);
void oauth_introspect_handler(void *app, const struct http_request *req, struct http_response *res);
void oauth_revoke_handler(void *app, const struct http_request *req, struct http_response *res);
void oauth_metadata_handler(void *app, const struct http_request *req, struct http_response *res);

/* The issuer identifier of an account: "<public-url>/<account>", the iss of its tokens and
 * the subject of its RFC 8414 metadata. Truncated to size (OAUTH_ISSUER_SIZE fits a token). */
void oauth_issuer(const struct app *app, const char *account, char *out, size_t size);

#endif
