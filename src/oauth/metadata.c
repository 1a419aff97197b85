/* SPDX-License-Identifier: MIT */
/* GET /.well-known/oauth-authorization-server/{account} (RFC 8414): the metadata of one
 * account's issuer, "<public-url>/<account>" — the iss of the tokens that account's token
 * endpoint signs — so that a client given only the issuer finds the endpoints (§3: the
 * well-known segment goes between the host and the issuer's path). */
#include "app.h"
#include "common/jsonw.h"
#include "oauth/catalog.h"
#include "oauth/errors.h"
#include "oauth/oauth.h"

#include <stdio.h>

#define URL_SIZE (OAUTH_ISSUER_SIZE + 32) /* the issuer and an endpoint's path */

/* The document changes only with the server's configuration (public URL, refresh tokens,
 * extra actions), which takes a restart: a client or proxy may keep it a few minutes. */
#define METADATA_CACHE_CONTROL "public, max-age=300"

void oauth_issuer(const struct app *app, const char *account, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", config_public_url(&app->cfg), account);
}

static void kv_url(struct jsonw *w, const char *key, const char *base, const char *suffix)
{
    char url[URL_SIZE];
    snprintf(url, sizeof(url), "%s%s", base, suffix);
    jsonw_kv_string(w, key, url);
}

static void kv_strings(struct jsonw *w, const char *key, const char *const *items, int n)
{
    jsonw_key(w, key);
    jsonw_array_begin(w);
    for (int i = 0; i < n; i++)
        jsonw_string(w, items[i]);
    jsonw_array_end(w);
}

/* RFC 8414 §2. No authorization endpoint: no grant here uses one, so response_types_supported
 * (required) is the empty list and code_challenge_methods_supported is left out. Introspection
 * also takes an admin key as Bearer, which has no registered method name to list. */
static void write_metadata(const struct app *app, const char *issuer, struct jsonw *w)
{
    static const char *const grants[] = {"client_credentials", "refresh_token"};
    static const char *const auth_methods[] = {"client_secret_basic", "client_secret_post"};
    jsonw_object_begin(w);
    jsonw_kv_string(w, "issuer", issuer);
    kv_url(w, "token_endpoint", issuer, "/token");
    kv_url(w, "introspection_endpoint", issuer, "/introspect");
    kv_url(w, "revocation_endpoint", issuer, "/revoke");
    kv_url(w, "jwks_uri", config_public_url(&app->cfg), "/.well-known/jwks.json");
    kv_strings(w, "grant_types_supported", grants, app->cfg.refresh_tokens ? 2 : 1);
    kv_strings(w, "response_types_supported", NULL, 0);
    kv_strings(w, "token_endpoint_auth_methods_supported", auth_methods, 2);
    kv_strings(w, "introspection_endpoint_auth_methods_supported", auth_methods, 2);
    kv_strings(w, "revocation_endpoint_auth_methods_supported", auth_methods, 2);
    jsonw_key(w, "scopes_supported");
    jsonw_array_begin(w);
    for (int i = 0; i < catalog_count(); i++)
        jsonw_string(w, catalog_name(i));
    jsonw_array_end(w);
    jsonw_object_end(w);
}

void oauth_metadata_handler(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    const char *account = req->params[0];
    struct store_account a;
    int rc = app->store->ops->account_get(app->store, account, &a);
    if (rc == RC_ENOTFOUND) {
        http_response_error(res, 404, "not_found", "no such account");
        return;
    }
    if (rc) {
        oauth_store_error_respond(res, rc, "store failure");
        return;
    }
    char issuer[OAUTH_ISSUER_SIZE];
    oauth_issuer(app, a.id, issuer, sizeof(issuer));
    struct jsonw w;
    jsonw_init(&w, &res->body);
    write_metadata(app, issuer, &w);
    if (jsonw_finish(&w)) {
        oauth_error_respond(res, OAUTH_SERVER_ERROR, NULL, false);
        return;
    }
    res->status = 200;
    http_response_header(res, "Cache-Control", METADATA_CACHE_CONTROL);
}
