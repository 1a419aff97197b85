/* SPDX-License-Identifier: MIT */
/* libFuzzer: the scope parser (scopes read back from tokens) and scope narrowing (requested
 * scopes against an access limited to two environments, so no store is needed). Whatever is
 * granted must format to a canonical string that parses back to the same grant. */
#include "fuzz_common.h"
#include "oauth/scope.h"

#include <assert.h>

static void check_round_trip(const struct granted_scope *g)
{
    struct buf b;
    struct granted_scope again = {0};
    buf_init(&b, 1 << 20);
    if (scope_format(g, &b) == 0) {
        const char *s = buf_str(&b);
        assert(!strstr(s, "  ") && s[0] != ' ' && (!b.len || s[b.len - 1] != ' '));
        assert(scope_parse(s, &again) == 0);
        assert(again.all_envs == g->all_envs && again.nenvs == g->nenvs);
        scope_cleanup(&again);
    }
    buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    struct granted_scope g = {0};
    if (scope_parse(s, &g) == 0)
        check_round_trip(&g);
    scope_cleanup(&g);

    static char env1[] = "production", env2[] = "staging";
    static char *envs[] = {env1, env2};
    struct cached_access a = {.client_id = "c", .account_id = "a", .envs = envs, .nenvs = 2};
    for (int i = 0; i < catalog_count(); i += 3)
        action_set_add(&a.actions, i);
    struct granted_scope granted = {0};
    if (scope_grant(&a, s, NULL, &granted) == 0) {
        assert(!granted.all_envs && granted.nenvs <= 2);
        check_round_trip(&granted);
    }
    scope_cleanup(&granted);
    free(s);
    return 0;
}
