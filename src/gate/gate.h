/* SPDX-License-Identifier: MIT */
/* The gate (SPEC §7, §9): GET /authorize, which nginx's auth_request (or any proxy that
 * asks an HTTP service before forwarding) calls with the client's Bearer token and the
 * original method and URI, and the route mapper that turns a Remote Control API request
 * into the action, account and environment it needs. The mapper is pure: no socket, no
 * store, no allocation, so it is tested table by table and costs nothing per request. */
#ifndef RCAUTH_GATE_H
#define RCAUTH_GATE_H

#include "common/rc.h"
#include "store/store.h"

struct http_router;

/* What a Remote Control API request needs. */
struct gate_route {
    const char *action;             /* a catalog name (static string), e.g. "campaign.read" */
    char account_id[STORE_ID_SIZE]; /* the {account_id} of the path */
    char env_id[STORE_ID_SIZE];     /* the {env_id} under account_environments/, or "" */
};

/* Map the original method ("GET", "PATCH"…; case-sensitive, RFC 9110 §9.1) and request
 * target (path and optional query, exactly as the client sent it: nginx's $request_uri)
 * to the route of SPEC §9. The query never changes the answer. Nothing is normalised: an
 * empty, "." or ".." segment, a trailing slash, or a byte outside [A-Za-z0-9_.~-] in any
 * segment (so every %-escape) matches no route. Returns 0 and fills out, or RC_ENOTFOUND
 * when no route of the table answers that method and URI (deny). */
int gate_route_map(const char *method, const char *uri, struct gate_route *out) RC_MUST_CHECK;

/* Register /authorize on the router. The handler takes the struct app. */
void gate_routes_register(struct http_router *rt);

#endif
