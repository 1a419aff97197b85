/* SPDX-License-Identifier: MIT */
/* Authentication of the admin API (SPEC §6): "Authorization: Bearer <admin key>", or the
 * panel's session cookie (admin/session.h), which on a state-changing method must also
 * carry the session's CSRF token and come from our own origin (docs/panel.md). Admin keys
 * are looked up by their keyed hash, so the comparison never touches the key itself. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin_int.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "oauth/revoked_tokens.h"

#define KEY_MAX_LEN 256
#define TOUCH_INTERVAL 60 /* seconds between last_used_at writes for one key */
#define RENEW_INTERVAL 60 /* seconds between renewals of a session cookie (or idle / 2) */

static bool deny(struct http_response *res, const char *why)
{
    http_response_error(res, 401, "invalid_token", why);
    http_response_header(res, "WWW-Authenticate", "Bearer realm=\"rcauth\"");
    return false;
}

static bool forbid(struct http_response *res, const char *why)
{
    http_response_error(res, 403, "forbidden", why);
    return false;
}

int admin_key_lookup(struct app *app, const uint8_t hash[32], struct store_admin_key *out)
{
    struct store *st = app->store;
    int64_t now;
    int rc = st->ops->admin_key_find(st, hash, out);

    if (!rc && out->revoked_at)
        rc = RC_ENOTFOUND;
    if (rc)
        return rc;
    /* The stored time says when we last wrote it: at most one write a minute per key,
     * whichever instance serves the request. */
    now = time_now();
    if (now - out->last_used_at >= TOUCH_INTERVAL && st->ops->admin_key_touch(st, out->id, now))
        log_msg(LOG_WARN, "admin key touch failed", "admin_key_id", out->id, NULL);
    return 0;
}

int admin_key_find(struct app *app, const char *key, uint8_t hash[32], struct store_admin_key *out)
{
    if (!key || !*key || strlen(key) > KEY_MAX_LEN)
        return RC_ENOTFOUND;
    app_hash_secret(app, key, hash);
    return admin_key_lookup(app, hash, out);
}

int admin_key_check(struct app *app, const char *key, char *actor)
{
    struct store_admin_key k;
    uint8_t hash[32];
    int rc = admin_key_find(app, key, hash, &k);

    sodium_memzero(hash, sizeof(hash));
    if (!rc && actor)
        memcpy(actor, k.id, STORE_ID_SIZE);
    return rc;
}

bool admin_refuse_key(const struct http_request *req, struct http_response *res)
{
    /* The route and the address, never what was presented. */
    log_msg(LOG_WARN, "admin authentication failed", "route", req->route ? req->route : "none",
            "remote_addr", req->remote_addr ? req->remote_addr : "", NULL);
    return deny(res, "missing or invalid admin key");
}

static bool is_safe_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

void admin_session_cookie(struct app *app, const struct http_request *req,
                          struct http_response *res, const char *value, int64_t max_age)
{
    bool secure = req->is_tls || strncmp(app->cfg.public_url, "https://", 8) == 0;
    char cookie[ADMIN_SESSION_VALUE_SIZE + 128];

    snprintf(cookie, sizeof(cookie),
             "%s=%s; Path=/admin; Max-Age=%lld; HttpOnly; SameSite=Strict%s", ADMIN_SESSION_COOKIE,
             value, (long long)max_age, secure ? "; Secure" : "");
    http_response_header(res, "Set-Cookie", cookie);
}

/* The admin key behind a live session: the cookie opens, its times hold, it was not signed
 * out, and its key still exists unrevoked. */
static int session_key(struct app *app, const struct http_request *req, struct admin_session *s,
                       struct store_admin_key *key)
{
    char name[ADMIN_SESSION_NAME_SIZE];
    int rc = admin_session_from_cookies(app->server_key, http_header(req, "Cookie"), s);

    if (rc)
        return rc;
    if (!admin_session_is_live(s, time_now(), app->cfg.panel_session_idle,
                               app->cfg.panel_session_lifetime))
        return RC_ENOTFOUND;
    admin_session_name(s, name);
    if (revoked_tokens_has(app->revoked, name))
        return RC_ENOTFOUND;
    return admin_key_lookup(app, s->key_hash, key);
}

/* At most once a RENEW_INTERVAL, or half the idle time when that is shorter. */
void admin_session_renew(struct app *app, const struct http_request *req, struct http_response *res,
                         struct admin_session *s)
{
    int64_t now = time_now(), idle = app->cfg.panel_session_idle;
    int64_t every = idle / 2 < RENEW_INTERVAL ? idle / 2 : RENEW_INTERVAL;
    char value[ADMIN_SESSION_VALUE_SIZE];

    if (now - s->seen_at < every)
        return;
    s->seen_at = now;
    admin_session_seal(app->server_key, s, value);
    admin_session_cookie(app, req, res, value,
                         s->issued_at + app->cfg.panel_session_lifetime - now);
}

bool admin_session_authenticate(struct app *app, const struct http_request *req,
                                struct http_response *res, struct admin_session *s,
                                struct store_admin_key *key)
{
    int rc = session_key(app, req, s, key);

    if (rc == RC_ENOTFOUND)
        return deny(res, "no panel session, or it expired or was signed out");
    if (rc) {
        http_response_error(res, 500, "server_error", "store failure");
        return false;
    }
    /* A cookie is an ambient credential: a state-changing call must prove it comes from
     * the panel itself (OWASP CSRF cheat sheet: synchronizer token + Origin check). */
    if (!is_safe_method(req->method)) {
        if (!admin_origin_is_ours(http_header(req, "Origin"), app->cfg.public_url,
                                  http_header(req, "Host"), req->is_tls))
            return forbid(res, "cross-origin request refused");
        if (!admin_session_csrf_ok(app->server_key, s, http_header(req, "X-CSRF-Token")))
            return forbid(res, "missing or wrong CSRF token");
    }
    return true;
}

bool admin_authenticate(struct app *app, const struct http_request *req, struct http_response *res,
                        char *actor)
{
    struct admin_session s;
    struct store_admin_key k;
    int rc;

    /* Bearer first: it is not ambient, so it needs no CSRF token, and a request that
     * carries both is judged by the key it names. */
    if (!http_header(req, "Authorization") && http_header(req, "Cookie")) {
        if (!admin_session_authenticate(app, req, res, &s, &k))
            return false;
        admin_session_renew(app, req, res, &s);
        memcpy(actor, k.id, STORE_ID_SIZE);
        return true;
    }
    rc = admin_key_check(app, http_bearer(req), actor);
    if (rc == RC_ENOTFOUND)
        return http_bearer(req) ? admin_refuse_key(req, res)
                                : deny(res, "missing or invalid admin key");
    if (rc) {
        http_response_error(res, 500, "server_error", "store failure");
        return false;
    }
    return true;
}
