/* SPDX-License-Identifier: MIT */
/* Store rows as the admin API's JSON objects (docs/admin-api.md). The CLI prints the same
 * objects, one per line. Nothing here ever writes a secret hash. */
#include "admin/admin.h"

#include <string.h>

void admin_render_words(struct jsonw *w, const char *key, const char *words)
{
    jsonw_key(w, key);
    jsonw_array_begin(w);
    for (const char *p = words ? words : ""; *p;) {
        size_t n = strcspn(p, " ");
        if (n)
            jsonw_string_len(w, p, n);
        p += n;
        while (*p == ' ')
            p++;
    }
    jsonw_array_end(w);
}

void admin_render_account(struct jsonw *w, const struct store_account *a)
{
    jsonw_object_begin(w);
    jsonw_kv_string(w, "id", a->id);
    jsonw_kv_string(w, "name", a->name);
    jsonw_kv_time(w, "created_at", a->created_at);
    jsonw_object_end(w);
}

void admin_render_env(struct jsonw *w, const struct store_env *e)
{
    jsonw_object_begin(w);
    jsonw_kv_string(w, "id", e->id);
    jsonw_kv_string(w, "account_id", e->account_id);
    jsonw_kv_string(w, "name", e->name);
    jsonw_kv_bool(w, "is_main", e->is_main);
    jsonw_kv_time(w, "created_at", e->created_at);
    jsonw_object_end(w);
}

void admin_render_access(struct jsonw *w, const struct store_access *a, const char *secret)
{
    jsonw_object_begin(w);
    jsonw_kv_string(w, "client_id", a->client_id);
    if (secret)
        jsonw_kv_string(w, "client_secret", secret);
    jsonw_kv_string(w, "account_id", a->account_id);
    jsonw_kv_string(w, "name", a->name);
    admin_render_words(w, "environments", a->environments);
    admin_render_words(w, "actions", a->actions);
    jsonw_kv_time(w, "created_at", a->created_at);
    jsonw_kv_time(w, "last_used_at", a->last_used_at);
    jsonw_kv_time(w, "revoked_at", a->revoked_at);
    jsonw_object_end(w);
}

void admin_render_admin_key(struct jsonw *w, const struct store_admin_key *k)
{
    jsonw_object_begin(w);
    jsonw_kv_string(w, "id", k->id);
    jsonw_kv_string(w, "name", k->name);
    jsonw_kv_time(w, "created_at", k->created_at);
    jsonw_kv_time(w, "last_used_at", k->last_used_at);
    jsonw_kv_time(w, "revoked_at", k->revoked_at);
    jsonw_object_end(w);
}

void admin_render_audit(struct jsonw *w, const struct store_audit_event *e)
{
    jsonw_object_begin(w);
    jsonw_kv_int(w, "id", e->id);
    jsonw_kv_time(w, "at", e->at);
    jsonw_kv_string(w, "actor", e->actor);
    jsonw_kv_string(w, "event", e->event);
    jsonw_kv_string(w, "subject", e->subject);
    jsonw_kv_int(w, "count", e->count);
    jsonw_object_end(w);
}
