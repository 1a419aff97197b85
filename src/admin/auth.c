/* SPDX-License-Identifier: MIT */
/* Authentication of the admin API (SPEC §6): "Authorization: Bearer <admin key>", or else
 * the panel's session cookie (checked by panel_session.c, docs/panel.md). Admin keys are
 * looked up by their keyed hash, so the comparison never touches the key itself. */
#include <sodium.h>
#include <string.h>

#include "admin/admin_int.h"
#include "common/metrics.h"
#include "oauth/errors.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "oauth/throttle.h"

#define KEY_MAX_LEN 256
#define TOUCH_INTERVAL 60 /* seconds between last_used_at writes for one key */

bool admin_deny(struct http_response *res, const char *why)
{
    http_response_error(res, 401, "invalid_token", why);
    http_response_header(res, "WWW-Authenticate", "Bearer realm=\"rcauth\"");
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

int64_t admin_key_failed(struct app *app, const char *route, const char *remote_addr)
{
    const char *addr = remote_addr ? remote_addr : "";
    bool crossed = false;
    metrics_inc(METRIC_AUTH_FAILURES);
    int64_t retry = throttle_fail(app->throttle, THROTTLE_ADMIN, addr, time_now(), &crossed);
    /* The route and the address, never what was presented; once the address is throttled,
     * one line for the window rather than one per attempt (a flood must not flood the log). */
    if (!retry)
        log_msg(LOG_WARN, "admin authentication failed", "route", route ? route : "none",
                "remote_addr", addr, NULL);
    if (retry)
        metrics_inc(METRIC_THROTTLED);
    if (crossed) {
        log_msg(LOG_WARN, "admin authentication throttled", "remote_addr", addr, NULL);
        app_audit(app, "", "", "auth.throttled", addr);
    }
    return retry;
}

bool admin_refuse_key(struct app *app, const struct http_request *req, struct http_response *res)
{
    int64_t retry = admin_key_failed(app, req->route, req->remote_addr);
    if (retry) {
        oauth_throttled_respond(res, retry);
        return false;
    }
    return admin_deny(res, "missing or invalid admin key");
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
        return http_bearer(req) ? admin_refuse_key(app, req, res)
                                : admin_deny(res, "missing or invalid admin key");
    if (rc) {
        oauth_store_error_respond(res, rc, "store failure");
        return false;
    }
    return true;
}
