/* SPDX-License-Identifier: MIT */
/* Admin-key authentication of the admin API (SPEC §6): "Authorization: Bearer <key>",
 * looked up by its keyed hash, so the comparison never touches the key itself. */
#include <sodium.h>
#include <string.h>

#include "admin/admin_int.h"
#include "oauth/errors.h"
#include "common/log.h"
#include "common/timeutil.h"

#define KEY_MAX_LEN 256
#define TOUCH_INTERVAL 60 /* seconds between last_used_at writes for one key */

static bool deny(struct http_response *res)
{
    http_response_error(res, 401, "invalid_token", "missing or invalid admin key");
    http_response_header(res, "WWW-Authenticate", "Bearer realm=\"rcauth\"");
    return false;
}

int admin_key_check(struct app *app, const char *key, char *actor)
{
    struct store *st = app->store;
    struct store_admin_key k;
    uint8_t hash[32];
    int64_t now;
    int rc;

    if (!key || !*key || strlen(key) > KEY_MAX_LEN)
        return RC_ENOTFOUND;
    app_hash_secret(app, key, hash);
    rc = st->ops->admin_key_find(st, hash, &k);
    sodium_memzero(hash, sizeof(hash));
    if (!rc && k.revoked_at)
        rc = RC_ENOTFOUND;
    if (rc)
        return rc;
    /* The stored time says when we last wrote it: at most one write a minute per key,
     * whichever instance serves the request. */
    now = time_now();
    if (now - k.last_used_at >= TOUCH_INTERVAL && st->ops->admin_key_touch(st, k.id, now))
        log_msg(LOG_WARN, "admin key touch failed", "admin_key_id", k.id, NULL);
    if (actor)
        memcpy(actor, k.id, STORE_ID_SIZE);
    return 0;
}

bool admin_authenticate(struct app *app, const struct http_request *req, struct http_response *res,
                        char *actor)
{
    int rc;
    rc = admin_key_check(app, http_bearer(req), actor);
    if (rc == RC_ENOTFOUND)
        return deny(res);
    if (rc) {
        oauth_store_error_respond(res, rc, "store failure");
        return false;
    }
    return true;
}
