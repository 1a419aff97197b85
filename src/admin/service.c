/* SPDX-License-Identifier: MIT */
/* The admin operations shared by the HTTP API and the command line: accounts,
 * environments, accesses and admin keys. Each validates its input, writes through the
 * store, audits (SPEC §6) and tells the caches. Secrets live only in the caller's buffer
 * and as a keyed hash in the store. Signing keys are in keys.c. */
#include "admin/admin.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "common/ids.h"
#include "common/timeutil.h"

#define JOIN_MAX (64 * 1024)

static int say(char *err, size_t errsz, int rc, const char *msg)
{
    if (errsz)
        snprintf(err, errsz, "%s", msg);
    return rc;
}

/* A store failure as a message; RC_ENOTFOUND / RC_ECONFLICT keep their own. */
static int store_fail(char *err, size_t errsz, int rc, const char *what)
{
    if (rc == RC_ENOTFOUND || rc == RC_ECONFLICT)
        return say(err, errsz, rc, what);
    if (rc == RC_EUNAVAIL)
        return say(err, errsz, rc, "the database cannot be reached; retry shortly");
    if (errsz)
        snprintf(err, errsz, "store failure (%s)", rc_strerror(rc));
    return rc;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

int admin_account_get(struct app *app, const char *id, struct store_account *out, char *err,
                      size_t errsz)
{
    struct store *st = app->store;
    int rc = st->ops->account_get(st, id, out);
    return rc ? store_fail(err, errsz, rc, "account not found") : 0;
}

int admin_account_create(struct app *app, const char *id, const char *name,
                         struct store_account *out, char *err, size_t errsz)
{
    struct store *st = app->store;
    int rc;
    memset(out, 0, sizeof(*out));
    if (id) {
        rc = admin_check_id("id", id, true, err, errsz);
        if (rc)
            return rc;
        copy_str(out->id, sizeof(out->id), id);
    } else {
        id_xid_new(out->id);
    }
    rc = admin_check_name("name", name, strlen(name), err, errsz);
    if (rc)
        return rc;
    copy_str(out->name, sizeof(out->name), name);
    out->created_at = time_now();
    rc = st->ops->account_create(st, out);
    return rc ? store_fail(err, errsz, rc, "id: an account with this id already exists") : 0;
}

int admin_env_create(struct app *app, const char *account_id, const char *id, const char *name,
                     bool is_main, struct store_env *out, char *err, size_t errsz)
{
    struct store *st = app->store;
    struct store_account acc;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = admin_account_get(app, account_id, &acc, err, errsz);
    if (rc)
        return rc;
    if (id) {
        rc = admin_check_id("id", id, false, err, errsz);
        if (rc)
            return rc;
        copy_str(out->id, sizeof(out->id), id);
    } else {
        id_xid_new(out->id);
    }
    rc = admin_check_name("name", name, strlen(name), err, errsz);
    if (rc)
        return rc;
    copy_str(out->account_id, sizeof(out->account_id), account_id);
    copy_str(out->name, sizeof(out->name), name);
    out->is_main = is_main;
    out->created_at = time_now();
    rc = st->ops->env_create(st, out);
    return rc ? store_fail(err, errsz, rc, "an environment with this id or name already exists")
              : 0;
}

/* Every id of the space-separated list must be an environment of account_id. */
static int check_envs_exist(struct app *app, const char *account_id, const char *list, char *err,
                            size_t errsz)
{
    struct store *st = app->store;
    char id[STORE_ID_SIZE];
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        struct store_env env;
        int rc;
        size_t k = n < sizeof(id) ? n : sizeof(id) - 1; /* ids were checked: k == n */
        memcpy(id, p, k);
        id[k] = '\0';
        rc = st->ops->env_get(st, account_id, id, &env);
        if (rc == RC_ENOTFOUND) {
            if (errsz)
                snprintf(err, errsz, "environments: unknown environment \"%s\"", id);
            return RC_EINVAL;
        }
        if (rc)
            return store_fail(err, errsz, rc, "");
        p += n;
        p += *p == ' ';
    }
    return 0;
}

/* Validate the access's fields into out->name, out->actions, out->environments. */
static int access_fields(struct app *app, const char *account_id, const char *name,
                         const char *const *envs, size_t nenvs, const char *const *actions,
                         size_t nactions, struct store_access *out, char *err, size_t errsz)
{
    struct action_set set;
    struct buf b;
    int rc = admin_check_name("name", name, strlen(name), err, errsz);
    if (rc)
        return rc;
    copy_str(out->name, sizeof(out->name), name);
    rc = admin_actions_parse(actions, nactions, &set, err, errsz);
    if (rc)
        return rc;
    buf_init(&b, JOIN_MAX);
    rc = action_set_format(&set, &b);
    out->actions = buf_steal(&b);
    if (rc)
        return say(err, errsz, rc, "actions: too long");
    rc = admin_envs_join(envs, nenvs, &b, err, errsz);
    out->environments = buf_steal(&b);
    if (rc)
        return rc;
    return check_envs_exist(app, account_id, out->environments, err, errsz);
}

int admin_access_create(struct app *app, const char *account_id, const char *name,
                        const char *const *envs, size_t nenvs, const char *const *actions,
                        size_t nactions, const char *actor, struct store_access *out,
                        char secret_out[ADMIN_SECRET_SIZE], char *err, size_t errsz)
{
    struct store *st = app->store;
    struct store_account acc;
    int rc;
    memset(out, 0, sizeof(*out));
    secret_out[0] = '\0';
    rc = admin_account_get(app, account_id, &acc, err, errsz);
    if (rc)
        return rc;
    rc = access_fields(app, account_id, name, envs, nenvs, actions, nactions, out, err, errsz);
    if (rc)
        goto out;
    copy_str(out->account_id, sizeof(out->account_id), account_id);
    id_uuid_new(out->client_id);
    id_secret_new(secret_out);
    app_hash_secret(app, secret_out, out->secret_hash);
    out->created_at = time_now();
    struct store_audit_event audit;
    app_audit_event(account_id, actor, "access.created", out->client_id, &audit);
    rc = st->ops->access_create(st, out, &audit);
    if (rc) {
        rc = store_fail(err, errsz, rc, "client id collision, try again");
        goto out;
    }
    app_changed(app);
out:
    if (rc) {
        sodium_memzero(secret_out, ADMIN_SECRET_SIZE);
        store_access_cleanup(out);
    }
    return rc;
}

int admin_access_get(struct app *app, const char *account_id, const char *client_id,
                     struct store_access *out, char *err, size_t errsz)
{
    struct store *st = app->store;
    int rc;
    memset(out, 0, sizeof(*out));
    if (!id_is_uuid(client_id))
        return say(err, errsz, RC_ENOTFOUND, "access not found");
    rc = st->ops->access_get(st, client_id, out);
    if (rc)
        return store_fail(err, errsz, rc, "access not found");
    if (account_id && strcmp(out->account_id, account_id) != 0) {
        store_access_cleanup(out);
        return say(err, errsz, RC_ENOTFOUND, "access not found");
    }
    return 0;
}

int admin_access_revoke(struct app *app, const char *account_id, const char *client_id,
                        const char *actor, char *err, size_t errsz)
{
    struct store *st = app->store;
    struct store_access a;
    int rc = admin_access_get(app, account_id, client_id, &a, err, errsz);
    if (rc)
        return rc;
    if (a.revoked_at) {
        /* Revoking is final and idempotent. Another process may have revoked it (the CLI):
         * this one's cache may not know yet, so it forgets the access now. */
        app_changed(app);
        goto out;
    }
    /* audited once, by whichever process revokes first */
    struct store_audit_event audit;
    app_audit_event(a.account_id, actor, "access.revoked", a.client_id, &audit);
    rc = st->ops->access_revoke(st, a.client_id, audit.at, &audit);
    if (rc) {
        rc = store_fail(err, errsz, rc, "access not found");
        goto out;
    }
    app_changed(app);
out:
    store_access_cleanup(&a);
    return rc;
}

int admin_access_rotate_secret(struct app *app, const char *account_id, const char *client_id,
                               const char *actor, struct store_access *out,
                               char secret_out[ADMIN_SECRET_SIZE], char *err, size_t errsz)
{
    struct store *st = app->store;
    struct store_access a;
    int rc;
    secret_out[0] = '\0';
    if (out)
        memset(out, 0, sizeof(*out));
    rc = admin_access_get(app, account_id, client_id, &a, err, errsz);
    if (rc)
        return rc;
    if (a.revoked_at) {
        rc = say(err, errsz, RC_ECONFLICT, "access is revoked");
        goto out;
    }
    id_secret_new(secret_out);
    app_hash_secret(app, secret_out, a.secret_hash);
    struct store_audit_event audit;
    app_audit_event(a.account_id, actor, "access.secret_rotated", a.client_id, &audit);
    rc = st->ops->access_set_secret(st, a.client_id, a.secret_hash, &audit);
    if (rc) {
        rc = store_fail(err, errsz, rc, "access not found");
        goto out;
    }
    app_changed(app);
out:
    sodium_memzero(a.secret_hash, sizeof(a.secret_hash));
    if (rc)
        sodium_memzero(secret_out, ADMIN_SECRET_SIZE);
    if (!rc && out)
        *out = a; /* hands the owned lists over */
    else
        store_access_cleanup(&a);
    return rc;
}

int admin_key_create(struct app *app, const char *name, const char *actor,
                     struct store_admin_key *out, char key_out[ADMIN_KEY_SIZE], char *err,
                     size_t errsz)
{
    struct store *st = app->store;
    char secret[ID_SECRET_LEN + 1];
    int rc;
    memset(out, 0, sizeof(*out));
    key_out[0] = '\0';
    if (name && *name) {
        rc = admin_check_name("name", name, strlen(name), err, errsz);
        if (rc)
            return rc;
        copy_str(out->name, sizeof(out->name), name);
    }
    id_xid_new(out->id);
    id_secret_new(secret);
    snprintf(key_out, ADMIN_KEY_SIZE, "%s%s", ADMIN_KEY_PREFIX, secret);
    sodium_memzero(secret, sizeof(secret));
    app_hash_secret(app, key_out, out->key_hash);
    out->created_at = time_now();
    struct store_audit_event audit;
    app_audit_event("", actor, "admin_key.created", out->id, &audit);
    rc = st->ops->admin_key_create(st, out, &audit);
    if (rc) {
        sodium_memzero(key_out, ADMIN_KEY_SIZE);
        return store_fail(err, errsz, rc, "admin key id collision, try again");
    }
    app_changed(app);
    return 0;
}

struct key_lookup {
    const char *id;
    struct store_admin_key found;
    bool ok;
};

static int key_lookup_cb(void *ctx, const struct store_admin_key *row)
{
    struct key_lookup *l = ctx;
    if (strcmp(row->id, l->id) != 0)
        return 0;
    l->found = *row;
    l->ok = true;
    return 1;
}

int admin_key_revoke(struct app *app, const char *id, const char *actor, char *err, size_t errsz)
{
    struct store *st = app->store;
    struct key_lookup l = {.id = id};
    int rc = st->ops->admin_key_list(st, key_lookup_cb, &l);
    if (rc)
        return store_fail(err, errsz, rc, "");
    if (!l.ok)
        return say(err, errsz, RC_ENOTFOUND, "admin key not found");
    if (l.found.revoked_at)
        return 0;
    struct store_audit_event audit;
    app_audit_event("", actor, "admin_key.revoked", id, &audit);
    rc = st->ops->admin_key_revoke(st, id, audit.at, &audit);
    if (rc)
        return store_fail(err, errsz, rc, "admin key not found");
    app_changed(app);
    return 0;
}
