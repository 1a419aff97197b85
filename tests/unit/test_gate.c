/* SPDX-License-Identifier: MIT */
/* Unit tests of the gate's route mapper (SPEC §9, §12): every row of the route table under
 * every method, then each gate behaviour of §12 as its own case (query strings, PUT and
 * PATCH, empty segments, flags/usage, trailing slashes, encoded characters, unknown
 * methods), and the /authorize answers that need no token check. No store, no sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gate/gate.h"
#include "http/http.h"

#define A "/v1/accounts/acc_1"
#define E A "/account_environments/env-9"

/* ---- the table, written out from SPEC §9 (not from the code) ---- */

/* One route and the action each method column asks for; NULL = empty cell (deny). */
struct expect_row {
    const char *path;
    const char *env; /* the environment the token must cover, "" when none */
    const char *get, *post, *update, *del;
};

static const struct expect_row table[] = {
    {A "/projects", "", "project.list", "project.create", NULL, NULL},
    {A "/projects/p1", "", "project.read", NULL, "project.update", "project.delete"},
    {A "/projects/p1/toggle", "", NULL, NULL, "project.toggle", NULL},
    {A "/flags", "", "flag.list", "flag.create", NULL, NULL},
    {A "/flags/f1", "", "flag.read", NULL, "flag.update", "flag.delete"},
    {A "/flags/usage", "", "flag_usage.list", "flag_usage.create", NULL, NULL},
    {E "/flags_usage", "env-9", "flag_usage.list", "flag_usage.create", NULL, NULL},
    {A "/targeting_keys", "", "targeting_key.list", "targeting_key.create", NULL, NULL},
    {A "/targeting_keys/k1", "", "targeting_key.read", NULL, "targeting_key.update",
     "targeting_key.delete"},
    {A "/account_environments", "", "environment.list", NULL, NULL, NULL},
    {E, "env-9", "environment.read", NULL, NULL, NULL},
    {E "/panic", "env-9", NULL, NULL, "environment.panic", NULL},
    {E "/users", "env-9", "environment.user.list", NULL, "environment.user.put",
     "environment.user.delete"},
    {E "/campaigns", "env-9", "campaign.list", "campaign.create", NULL, NULL},
    {E "/campaigns/c1", "env-9", "campaign.read", NULL, "campaign.update", "campaign.delete"},
    {E "/campaigns/c1/toggle", "env-9", NULL, NULL, "campaign.toggle", NULL},
    {E "/goals", "env-9", "goal.list", "goal.create", NULL, NULL},
    {E "/goals/g1", "env-9", "goal.read", NULL, "goal.update", "goal.delete"},
    {E "/campaigns/c1/variation_groups", "env-9", "variation_group.list", "variation_group.create",
     NULL, NULL},
    {E "/campaigns/c1/variation_groups/vg1", "env-9", "variation_group.read", NULL,
     "variation_group.update", "variation_group.delete"},
    {E "/campaigns/c1/variation_groups/vg1/variations", "env-9", "variation.list",
     "variation.create", NULL, NULL},
    {E "/campaigns/c1/variation_groups/vg1/variations/v1", "env-9", "variation.read", NULL,
     "variation.update", "variation.delete"},
};

/* Assert that method + uri map to action (NULL: deny) with account acc_1 and env. */
static void expect(const char *method, const char *uri, const char *action, const char *env)
{
    struct gate_route r;
    int rc = gate_route_map(method, uri, &r);
    if (!action) {
        if (rc != RC_ENOTFOUND)
            fail_msg("%s %s: want deny, got %s", method, uri, r.action);
        assert_null(r.action);
        return;
    }
    if (rc != 0)
        fail_msg("%s %s: want %s, got deny", method, uri, action);
    assert_string_equal(r.action, action);
    assert_string_equal(r.account_id, "acc_1");
    assert_string_equal(r.env_id, env);
}

static void expect_deny(const char *method, const char *uri)
{
    expect(method, uri, NULL, "");
}

static void test_every_row_every_method(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct expect_row *t = &table[i];
        expect("GET", t->path, t->get, t->env);
        expect("HEAD", t->path, t->get, t->env);
        expect("POST", t->path, t->post, t->env);
        expect("PUT", t->path, t->update, t->env);
        expect("PATCH", t->path, t->update, t->env);
        expect("DELETE", t->path, t->del, t->env);
    }
}

/* ---- SPEC §12, the gate ---- */

static void test_query_string_never_changes_the_action(void **state)
{
    (void)state;
    expect("GET", E "/campaigns?_page=0", "campaign.list", "env-9");
    expect("GET", E "/campaigns?_max_per_page=9999", "campaign.list", "env-9");
    expect("GET", E "/campaigns?_page=1&_max_per_page=9999", "campaign.list", "env-9");
    expect("DELETE", E "/users?emails[]=a@example.com&emails[]=b@example.com",
           "environment.user.delete", "env-9");
    expect("PUT", E "/users?emails%5B%5D=a%40example.com", "environment.user.put", "env-9");
    /* Whatever the query looks like, it is not part of the path. */
    expect("GET", E "/campaigns?/../../flags", "campaign.list", "env-9");
    expect("GET", E "/campaigns/c1?", "campaign.read", "env-9");
    expect("PATCH", E "/campaigns/c1/toggle?x=%2F//", "campaign.toggle", "env-9");
    expect("GET", A "/flags/usage?_page=2", "flag_usage.list", "");
}

static void test_put_and_patch_are_both_update(void **state)
{
    (void)state;
    const char *const methods[] = {"PUT", "PATCH"};
    for (int i = 0; i < 2; i++) {
        expect(methods[i], A "/projects/p1", "project.update", "");
        expect(methods[i], A "/flags/f1", "flag.update", "");
        expect(methods[i], E "/goals/g1", "goal.update", "env-9");
        /* where §9 names another action, it wins over .update */
        expect(methods[i], E "/users", "environment.user.put", "env-9");
        expect(methods[i], E "/campaigns/c1/toggle", "campaign.toggle", "env-9");
        expect(methods[i], A "/projects/p1/toggle", "project.toggle", "");
        expect(methods[i], E "/panic", "environment.panic", "env-9");
        /* a collection has no update */
        expect_deny(methods[i], E "/campaigns");
    }
}

static void test_empty_segments_match_nothing(void **state)
{
    (void)state;
    expect_deny("PATCH", E "/campaigns//toggle");
    expect_deny("GET", E "/campaigns//c1");
    expect_deny("GET", "/v1/accounts//projects");
    expect_deny("GET", "//v1/accounts/acc_1/projects");
    expect_deny("GET", "/v1//accounts/acc_1/projects");
    expect_deny("GET", A "//projects");
    expect_deny("GET", A "/account_environments//campaigns");
    expect_deny("GET", "/v1/accounts/acc_1/account_environments/env-9//campaigns");
}

static void test_trailing_slash_matches_nothing(void **state)
{
    (void)state;
    expect_deny("GET", A "/projects/");
    expect_deny("GET", E "/campaigns/");
    expect_deny("GET", E "/campaigns/c1/");
    expect_deny("PATCH", E "/campaigns/c1/toggle/");
    expect_deny("GET", A "/");
    expect_deny("GET", E "/");
    expect_deny("GET", A "/projects/?_page=1");
}

static void test_flags_usage_is_never_a_flag(void **state)
{
    (void)state;
    expect("GET", A "/flags/usage", "flag_usage.list", "");
    expect("POST", A "/flags/usage", "flag_usage.create", "");
    /* not flag.update / flag.delete / flag.read of a flag called "usage" */
    expect_deny("PATCH", A "/flags/usage");
    expect_deny("PUT", A "/flags/usage");
    expect_deny("DELETE", A "/flags/usage");
    expect_deny("GET", A "/flags/usage/x");
    /* other ids near it are flags */
    expect("GET", A "/flags/usage2", "flag.read", "");
    expect("GET", A "/flags/Usage", "flag.read", "");
    expect("GET", A "/flags/flags_usage", "flag.read", "");
    /* E/flags_usage likewise, and no E/flags */
    expect("GET", E "/flags_usage", "flag_usage.list", "env-9");
    expect_deny("DELETE", E "/flags_usage");
    expect_deny("GET", E "/flags_usage/x");
    expect_deny("GET", E "/flags");
    expect_deny("GET", A "/flags_usage");
}

static void test_encoded_and_odd_characters_match_nothing(void **state)
{
    (void)state;
    expect_deny("GET", E "/campaigns/c%31");
    expect_deny("GET", E "/campaigns%2Fc1");
    expect_deny("GET", A "/account_environments/env%2D9/campaigns");
    expect_deny("GET", "/v1/accounts/acc%5F1/projects");
    expect_deny("GET", "/v1/%61ccounts/acc_1/projects");
    expect_deny("GET", A "/projects/%2e%2e");
    expect_deny("GET", A "/projects/p1;x=1");
    expect_deny("GET", A "/projects;/p1");
    expect_deny("GET", A "/projects/p 1");
    expect_deny("GET", A "/projects/p+1");
    expect_deny("GET", A "/projects/p1#frag");
    expect_deny("GET", A "/projects/p\xc3\xa9");
    expect_deny("GET", A "/projects/p\\1");
    expect_deny("GET", A "/projects/p@1");
    /* dot segments an upstream would resolve */
    expect_deny("GET", A "/projects/.");
    expect_deny("GET", A "/projects/..");
    expect_deny("GET", E "/campaigns/../../../flags");
    expect_deny("GET", "/v1/accounts/../accounts/acc_1/projects");
    expect_deny("GET", A "/./projects");
    expect_deny("GET", "/v1/accounts/./projects");
    /* but dots and tildes inside an id are plain characters */
    expect("GET", A "/projects/p.1", "project.read", "");
    expect("GET", A "/projects/...", "project.read", "");
    expect("GET", A "/projects/~p-1_X", "project.read", "");
}

static void test_unknown_methods_are_denied(void **state)
{
    (void)state;
    const char *const methods[] = {"OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get",
                                   "Get",     "post",  "",        "GET ",     "PATCHX"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        expect_deny(methods[i], E "/campaigns");
        expect_deny(methods[i], E "/campaigns/c1");
        expect_deny(methods[i], A "/flags/usage");
    }
}

static void test_unknown_routes_are_denied(void **state)
{
    (void)state;
    expect_deny("GET", "");
    expect_deny("GET", "/");
    expect_deny("GET", "v1/accounts/acc_1/projects");
    expect_deny("GET", "/v1");
    expect_deny("GET", "/v1/accounts");
    expect_deny("GET", "/v1/accounts/acc_1");
    expect_deny("GET", "/v2/accounts/acc_1/projects");
    expect_deny("GET", "/V1/accounts/acc_1/projects");
    expect_deny("GET", "/v1/Accounts/acc_1/projects");
    expect_deny("GET", "/v1/account/acc_1/projects");
    expect_deny("GET", A "/Projects");
    expect_deny("GET", A "/campaigns");
    expect_deny("GET", A "/goals");
    expect_deny("GET", A "/users");
    expect_deny("PATCH", A "/panic");
    expect_deny("GET", E "/projects");
    expect_deny("GET", E "/targeting_keys");
    expect_deny("GET", A "/projects/p1/campaigns");
    expect_deny("GET", E "/campaigns/c1/variations");
    expect_deny("GET", E "/campaigns/c1/variation_groups/vg1/variations/v1/x");
    expect_deny("GET", E "/goals/g1/toggle");
    expect_deny("PATCH", E "/goals/g1/toggle");
    expect_deny("GET", E "/users/u1");
    expect_deny("GET", E "/panic");
    expect_deny("POST", E "/campaigns/c1/toggle");
    /* POST on an item, DELETE and update on a collection */
    expect_deny("POST", E "/campaigns/c1");
    expect_deny("DELETE", E "/campaigns");
    expect_deny("DELETE", A "/account_environments");
    expect_deny("POST", A "/account_environments");
    expect_deny("DELETE", E);
    /* a path longer than any route */
    expect_deny("GET", E "/campaigns/c1/variation_groups/vg1/variations/v1/a/b/c/d/e/f/g/h");
    expect_deny("GET", "/admin/v1/accounts");
    expect_deny("GET", "/acc_1/token");
}

static void test_ids_and_their_lengths(void **state)
{
    (void)state;
    char uri[512];
    char id64[65], id65[66];
    struct gate_route r;

    memset(id64, 'a', 64);
    id64[64] = '\0';
    memset(id65, 'b', 65);
    id65[65] = '\0';

    snprintf(uri, sizeof(uri), "/v1/accounts/%s/account_environments/%s/goals", id64, id64);
    assert_int_equal(gate_route_map("GET", uri, &r), 0);
    assert_string_equal(r.account_id, id64);
    assert_string_equal(r.env_id, id64);
    assert_string_equal(r.action, "goal.list");

    /* longer than any account or environment id can be */
    snprintf(uri, sizeof(uri), "/v1/accounts/%s/projects", id65);
    assert_int_equal(gate_route_map("GET", uri, &r), RC_ENOTFOUND);
    snprintf(uri, sizeof(uri), "/v1/accounts/%s/account_environments/%s/goals", id64, id65);
    assert_int_equal(gate_route_map("GET", uri, &r), RC_ENOTFOUND);
    assert_null(r.action);
    assert_string_equal(r.account_id, "");

    /* other ids have no such cap */
    snprintf(uri, sizeof(uri), A "/projects/%s%s%s", id65, id65, id65);
    assert_int_equal(gate_route_map("GET", uri, &r), 0);
    assert_string_equal(r.action, "project.read");

    /* the environment of an item is its own segment, not the item's */
    assert_int_equal(gate_route_map("GET", A "/account_environments/x/campaigns/y", &r), 0);
    assert_string_equal(r.env_id, "x");
    assert_int_equal(gate_route_map("GET", A "/account_environments", &r), 0);
    assert_string_equal(r.env_id, "");
}

/* ---- /authorize answers that come before any token check ---- */

static void authorize(const char *method, const char *authorization, struct http_response *res)
{
    struct http_router *rt = http_router_new();
    struct http_kv h[] = {{"Authorization", authorization},
                          {"X-Original-Method", "GET"},
                          {"X-Original-URI", E "/campaigns"}};
    struct http_request req;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = "/authorize";
    req.body = "";
    req.headers = authorization ? h : h + 1;
    req.nheaders = authorization ? 3 : 2;
    gate_routes_register(rt);
    http_response_init(res);
    http_router_dispatch(rt, NULL, &req, res); /* no token: the app is never touched */
    http_router_free(rt);
}

static const char *header_of(const struct http_response *res, const char *name)
{
    for (int i = 0; i < res->nheaders; i++)
        if (!strcmp(res->headers[i].name, name))
            return res->headers[i].value;
    return NULL;
}

static void test_authorize_without_a_token_is_401(void **state)
{
    (void)state;
    const char *const auth[] = {NULL, "Bearer", "Bearer ", "Bearer    ", "Basic YTpi", "Token x"};
    const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
        for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++) {
            struct http_response res;
            authorize(methods[m], auth[i], &res);
            assert_int_equal(res.status, 401);
            /* RFC 6750 §3.1: no error code when no token was presented */
            assert_string_equal(header_of(&res, "WWW-Authenticate"), "Bearer");
            assert_non_null(strstr(buf_str(&res.body), "\"error\":\"invalid_token\""));
            http_response_cleanup(&res);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_every_method),
        cmocka_unit_test(test_query_string_never_changes_the_action),
        cmocka_unit_test(test_put_and_patch_are_both_update),
        cmocka_unit_test(test_empty_segments_match_nothing),
        cmocka_unit_test(test_trailing_slash_matches_nothing),
        cmocka_unit_test(test_flags_usage_is_never_a_flag),
        cmocka_unit_test(test_encoded_and_odd_characters_match_nothing),
        cmocka_unit_test(test_unknown_methods_are_denied),
        cmocka_unit_test(test_unknown_routes_are_denied),
        cmocka_unit_test(test_ids_and_their_lengths),
        cmocka_unit_test(test_authorize_without_a_token_is_401),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
