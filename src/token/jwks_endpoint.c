/* SPDX-License-Identifier: MIT */
/* GET /.well-known/jwks.json (RFC 7517 §5, SPEC §7): the public keys a resource server needs
 * to verify rcauth tokens offline — every key that can still have live tokens. The document
 * is built by the key ring when its keys change; answering is a look at the store's
 * revision (rate-limited: a key another instance has just made must be in it) and one copy
 * under the ring's read lock. */
#include "app.h"
#include "http/http.h"
#include "token/token.h"

/* Public and cacheable, unlike every other answer. 60 s bounds how long an offline verifier
 * keeps trusting a retired key; a rotation needs no wait, on any instance, since JWKS
 * clients refetch the set when they meet a kid they do not know (PyJWT's PyJWKClient,
 * jose's createRemoteJWKSet). */
#define JWKS_CACHE_CONTROL "public, max-age=60"

static void jwks_handler(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    (void)req;
    if (!app->keys || keyring_jwks(app->keys, &res->body) != 0) {
        http_response_error(res, 500, "server_error", "the key set is not available");
        return;
    }
    res->status = 200;
    http_response_header(res, "Cache-Control", JWKS_CACHE_CONTROL);
}

void token_routes_register(struct http_router *rt)
{
    http_router_add(rt, "GET", "/.well-known/jwks.json", jwks_handler);
}
