/* SPDX-License-Identifier: MIT */
/* Client authentication: the keyed hash of the presented secret compared in constant time
 * with the access's, and the same work for an unknown client. Counting failures is the usage
 * recorder's job; answering them is the endpoints'. */
#include "oauth/client_auth.h"
#include "common/metrics.h"
#include "common/ids.h"
#include "common/timeutil.h"
#include "common/log.h"
#include "oauth/errors.h"
#include "oauth/throttle.h"
#include "oauth/usage.h"

#include <sodium.h>
#include <string.h>

/* Hash of a secret nobody holds, compared against when the client id is unknown, so an
 * unknown client and a wrong secret cost the same (SPEC §2). */
static const uint8_t dummy_hash[32];

static bool secret_matches(const struct app *app, const char *secret, const uint8_t hash[32])
{
    uint8_t got[32];
    app_hash_secret(app, secret ? secret : "", got);
    bool ok = sodium_memcmp(got, hash, 32) == 0;
    sodium_memzero(got, sizeof(got));
    return ok && secret;
}

/* Count a failure against the address, then the client id (SPEC §7); RC_ELIMIT when either
 * is over its limit. Crossing a limit is logged once per window; every refusal is audited.
 * Every client id is counted, an access of the account or not, so that the answers do not
 * tell which ids exist (SPEC §2); an address over its limit counts no id, so that it cannot
 * push real counters out of the table with made-up ids. */
static int throttled(struct app *app, const char *account, const char *client_id, bool ours,
                     const char *addr, int64_t now, int64_t *retry_after)
{
    bool by_client = false, by_addr = false;
    int64_t r2 = throttle_fail(app->throttle, THROTTLE_ADDRESS, addr, now, &by_addr);
    int64_t r1 = r2 ? 0 : throttle_fail(app->throttle, THROTTLE_CLIENT, client_id, now, &by_client);
    /* a made-up id is not logged: it is whatever the client chose to send */
    if (by_client || by_addr)
        log_msg(LOG_WARN, "client authentication throttled", "account", account, "client_id",
                by_client && ours ? client_id : "", "remote_addr", addr, NULL);
    *retry_after = r1 > r2 ? r1 : r2;
    if (!*retry_after)
        return RC_EINVAL;
    metrics_inc(METRIC_THROTTLED);
    usage_note_throttled(app->usage, account, ours ? client_id : "", now);
    return RC_ELIMIT;
}

/* After a mismatch the store is read once more, so that a secret rotated by another process
 * works at once; an unknown client pays a second hash too, so that both failures cost the
 * same (SPEC §2). A failure is recorded under the client id only when it is an access of that
 * account, so that random ids cannot grow the audit trail. */
int oauth_client_authenticate(struct app *app, const char *account, const struct token_request *tr,
                              struct cached_access **out, int64_t *retry_after)
{
    const char *client_id = tr->client_id, *secret = tr->client_secret;
    struct cached_access *a = NULL;
    int rc = client_id && id_is_uuid(client_id)
                 ? access_cache_get(app->accesses, client_id, false, &a)
                 : RC_ENOTFOUND;
    bool known = rc == 0;
    bool ok = secret_matches(app, secret, known ? a->secret_hash : dummy_hash) && known;
    if (!ok && known) {
        access_cache_put(app->accesses, a);
        a = NULL;
        rc = access_cache_get(app->accesses, client_id, true, &a);
        known = rc == 0;
        ok = secret_matches(app, secret, known ? a->secret_hash : dummy_hash) && known;
    } else if (!ok) {
        (void)secret_matches(app, secret, dummy_hash); /* an unknown client pays two hashes too */
    }
    /* Without the store there is no verdict: not a failed authentication either. */
    if (rc && rc != RC_ENOTFOUND)
        return rc;
    bool ours = known && !strcmp(a->account_id, account);
    if (ok && ours && !a->revoked_at) {
        *out = a;
        return 0;
    }
    int64_t now = time_now();
    metrics_inc(METRIC_AUTH_FAILURES);
    usage_note_failure(app->usage, account, ours ? client_id : "", now);
    access_cache_put(app->accesses, a);
    return throttled(app, account, client_id, ours, tr->remote_addr, now, retry_after);
}

void oauth_client_auth_respond(struct http_response *res, int rc, int64_t retry_after, bool basic)
{
    if (rc == RC_EINVAL)
        oauth_error_respond(res, OAUTH_INVALID_CLIENT, "client authentication failed", basic);
    else if (rc == RC_ELIMIT)
        oauth_throttled_respond(res, retry_after);
    else
        oauth_store_error_respond(res, rc, NULL);
}
