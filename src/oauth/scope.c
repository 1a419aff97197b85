/* SPDX-License-Identifier: MIT */
/* Scope narrowing and formatting. */
#include "oauth/scope.h"
#include "common/xmalloc.h"

#include <stdlib.h>
#include <string.h>

#define ENV_PREFIX "env:"
#define ENV_PREFIX_LEN 4

void scope_cleanup(struct granted_scope *g)
{
    for (int i = 0; i < g->nenvs; i++)
        free(g->envs[i]);
    free(g->envs);
    memset(g, 0, sizeof(*g));
}

static bool has_env(const struct granted_scope *g, const char *id)
{
    for (int i = 0; i < g->nenvs; i++)
        if (!strcmp(g->envs[i], id))
            return true;
    return false;
}

static void add_env(struct granted_scope *g, const char *id, size_t len)
{
    char *copy = xstrndup(id, len);
    if (has_env(g, copy)) {
        free(copy);
        return;
    }
    g->envs = xrealloc(g->envs, sizeof(char *) * (size_t)(g->nenvs + 1));
    g->envs[g->nenvs++] = copy;
}

/* The items of a scope string: split on spaces, runs of spaces tolerated on input. */
struct items {
    struct action_set actions;
    struct granted_scope envs; /* only envs/nenvs/all_envs used */
    bool any_action, any_env, star;
};

static int split(const char *s, struct items *it)
{
    memset(it, 0, sizeof(*it));
    int n = 0;
    while (*s) {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if (!len)
            break;
        if (++n > SCOPE_MAX_ITEMS)
            return RC_EINVAL;
        if (len == 1 && *s == '*') {
            it->star = true;
        } else if (len > ENV_PREFIX_LEN && !strncmp(s, ENV_PREFIX, ENV_PREFIX_LEN)) {
            it->any_env = true;
            if (len == ENV_PREFIX_LEN + 1 && s[ENV_PREFIX_LEN] == '*')
                it->envs.all_envs = true;
            else
                add_env(&it->envs, s + ENV_PREFIX_LEN, len - ENV_PREFIX_LEN);
        } else {
            int i = catalog_find(s, len);
            if (i < 0)
                return RC_EINVAL;
            action_set_add(&it->actions, i);
            it->any_action = true;
        }
        s += len;
    }
    return 0;
}

static void grant_all_envs(const struct cached_access *a, struct granted_scope *out)
{
    out->all_envs = a->nenvs == 0;
    for (int i = 0; i < a->nenvs; i++)
        add_env(out, a->envs[i], strlen(a->envs[i]));
}

/* The requested env items must lie within the access; kept in the access's order. */
static int grant_envs(const struct cached_access *a, const struct items *it, struct store *st,
                      struct granted_scope *out)
{
    if (it->envs.all_envs) {
        if (a->nenvs != 0 || it->envs.nenvs)
            return RC_EINVAL; /* env:* from a limited access, or env:* mixed with ids */
        out->all_envs = true;
        return 0;
    }
    if (a->nenvs == 0) {
        for (int i = 0; i < it->envs.nenvs; i++) {
            struct store_env e;
            int rc = st->ops->env_get(st, a->account_id, it->envs.envs[i], &e);
            if (rc)
                return rc == RC_ENOTFOUND ? RC_EINVAL : rc;
            add_env(out, it->envs.envs[i], strlen(it->envs.envs[i]));
        }
        return 0;
    }
    for (int i = 0; i < it->envs.nenvs; i++)
        if (!cached_access_has_env(a, it->envs.envs[i]))
            return RC_EINVAL;
    for (int i = 0; i < a->nenvs; i++)
        if (has_env(&it->envs, a->envs[i]))
            add_env(out, a->envs[i], strlen(a->envs[i]));
    return 0;
}

int scope_grant(const struct cached_access *a, const char *requested, struct store *st,
                struct granted_scope *out)
{
    memset(out, 0, sizeof(*out));
    struct items it;
    int rc = split(requested ? requested : "", &it);
    if (!rc && it.star && (it.any_action || it.any_env))
        rc = RC_EINVAL; /* "*" means everything; mixed with items it means nothing clear */
    if (!rc && it.any_action && !action_set_is_subset(&it.actions, &a->actions))
        rc = RC_EINVAL;
    if (!rc) {
        out->actions = it.any_action ? it.actions : a->actions;
        if (it.any_env)
            rc = grant_envs(a, &it, st, out);
        else
            grant_all_envs(a, out);
    }
    scope_cleanup(&it.envs);
    if (rc)
        scope_cleanup(out);
    return rc;
}

int scope_format(const struct granted_scope *g, struct buf *out)
{
    int rc = action_set_format(&g->actions, out);
    bool need_space = !action_set_is_empty(&g->actions);
    if (g->all_envs) {
        if (!rc && need_space)
            rc = buf_append_char(out, ' ');
        if (!rc)
            rc = buf_append_str(out, "env:*");
        return rc;
    }
    for (int i = 0; i < g->nenvs && !rc; i++) {
        if (need_space)
            rc = buf_append_char(out, ' ');
        if (!rc)
            rc = buf_appendf(out, "env:%s", g->envs[i]);
        need_space = true;
    }
    return rc;
}

int scope_parse(const char *scope, struct granted_scope *out)
{
    struct items it;
    memset(out, 0, sizeof(*out));
    int rc = split(scope, &it);
    /* Only canonical scopes are ours: "*" and env:* next to env:<id> never are. */
    if (rc || it.star || (it.envs.all_envs && it.envs.nenvs)) {
        scope_cleanup(&it.envs);
        return RC_EINVAL;
    }
    out->actions = it.actions;
    out->all_envs = it.envs.all_envs;
    out->envs = it.envs.envs;
    out->nenvs = it.envs.nenvs;
    return 0;
}
