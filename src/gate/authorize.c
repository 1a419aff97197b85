/* SPDX-License-Identifier: MIT */
/* GET /authorize (SPEC §7, §12): the subrequest of nginx's auth_request. The token is
 * checked first, by the same oauth_token_check() as GET /token, so a client that must get
 * a new token always hears 401; only then the original request, mapped by
 * gate_route_map(), is compared with what the token grants, and anything it does not grant
 * is 403. Allowed is 204 with who asked, for the upstream. The request's own method, body
 * and query are ignored. No SQL: the keys and the access are read from memory (an access
 * not yet cached is read from the store once, by the access cache). */
#include "gate/gate.h"

#include "app.h"
#include "common/timeutil.h"
#include "http/http.h"
#include "oauth/catalog.h"
#include "oauth/errors.h"
#include "oauth/token_check.h"

#include <stdio.h>
#include <string.h>

/* RFC 6750 §3.1: insufficient_scope is a 403; a request the table does not know is not a
 * question of scope, so it gets the plainer access_denied. */
static void forbid(struct http_response *res, const char *error, const char *description)
{
    http_response_error(res, 403, error, description);
    if (!strcmp(error, "insufficient_scope"))
        http_response_header(res, "WWW-Authenticate", "Bearer error=\"insufficient_scope\"");
}

static bool token_has_env(const struct granted_scope *g, const char *env_id)
{
    if (g->all_envs)
        return true;
    for (int i = 0; i < g->nenvs; i++)
        if (!strcmp(g->envs[i], env_id))
            return true;
    return false;
}

/* The route check, after the token is known good. true when allowed. */
static bool route_allowed(const struct http_request *req, const struct token_check *c,
                          struct http_response *res)
{
    const char *method = http_header(req, "X-Original-Method");
    const char *uri = http_header(req, "X-Original-URI");
    struct gate_route route;
    char why[128];

    if (!method || !uri) {
        forbid(res, "access_denied", "X-Original-Method and X-Original-URI are required");
        return false;
    }
    if (gate_route_map(method, uri, &route)) {
        forbid(res, "access_denied", "no Remote Control API route matches this method and path");
        return false;
    }
    if (strcmp(route.account_id, c->claims->account)) {
        forbid(res, "insufficient_scope", "the token is for another account");
        return false;
    }
    int action = catalog_find(route.action, strlen(route.action));
    if (action < 0 || !action_set_has(&c->scope->actions, action)) {
        snprintf(why, sizeof(why), "the token does not grant %s", route.action);
        forbid(res, "insufficient_scope", why);
        return false;
    }
    if (route.env_id[0] && !token_has_env(c->scope, route.env_id)) {
        forbid(res, "insufficient_scope", "the token does not cover this environment");
        return false;
    }
    return true;
}

static void authorize_handler(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    const char *token = http_bearer(req);
    struct token_check c;

    /* RFC 6750 §3.1: no error code when the request carried no token at all. */
    if (!token || !*token) {
        http_response_error(res, 401, "invalid_token", "a Bearer access token is required");
        http_response_header(res, "WWW-Authenticate", "Bearer");
        return;
    }
    enum token_check_result r = oauth_token_check(app, token, time_now(), &c);
    if (r != TOKEN_CHECK_VALID) {
        token_check_respond(&c, r, res);
    } else if (route_allowed(req, &c, res)) {
        res->status = 204;
        http_response_header(res, "X-Rcauth-Client-Id", c.claims->client_id);
        http_response_header(res, "X-Rcauth-Account", c.claims->account);
    }
    token_check_cleanup(app, &c);
}

void gate_routes_register(struct http_router *rt)
{
    /* nginx's subrequests are always GET (and HEAD is GET to the router); proxies that
     * forward the original method instead (Envoy's ext_authz HTTP service) get the same
     * answer, because only X-Original-Method counts. */
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        http_router_add(rt, methods[i], "/authorize", authorize_handler);
}
