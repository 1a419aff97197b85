/* SPDX-License-Identifier: MIT */
/* The OAuth endpoints: the token endpoint (SPEC §2) and the verification endpoint (§3). */
#ifndef RCAUTH_OAUTH_H
#define RCAUTH_OAUTH_H

#include "http/http.h"

/* Register POST /{account}/token, GET /token and GET /healthz. Handlers take the struct app. */
void oauth_routes_register(struct http_router *rt);

void oauth_token_handler(void *app, const struct http_request *req, struct http_response *res);
void oauth_verify_handler(void *app, const struct http_request *req, struct http_response *res);

#endif
