/* SPDX-License-Identifier: MIT */
/* Unit tests of reading a scope back from a token (scope_parse) and of the canonical form
 * (scope_format): only what rcauth itself writes is accepted, and it reads back the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oauth/scope.h"

static void assert_round_trip(const char *scope)
{
    struct granted_scope g;
    struct buf b;
    assert_int_equal(scope_parse(scope, &g), 0);
    buf_init(&b, 4096);
    assert_int_equal(scope_format(&g, &b), 0);
    assert_string_equal(buf_str(&b), scope);
    buf_cleanup(&b);
    scope_cleanup(&g);
}

static void test_canonical_scopes_read_back(void **state)
{
    (void)state;
    assert_round_trip("campaign.read campaign.toggle env:*");
    assert_round_trip("flag.list env:production env:staging");
    assert_round_trip("project.list environment.user.delete env:e1");
}

static void assert_refused(const char *scope)
{
    struct granted_scope g;
    assert_int_equal(scope_parse(scope, &g), RC_EINVAL);
    assert_int_equal(g.nenvs, 0);
    assert_null(g.envs);
}

static void test_what_rcauth_never_writes_is_refused(void **state)
{
    (void)state;
    assert_refused("* env:*");               /* the request shorthand is not a grant */
    assert_refused("campaign.fly env:*");    /* unknown action */
    assert_refused("flag.list env:* env:a"); /* env:* next to ids (found by fuzz_scope) */
    assert_refused("flag.list env:a env:*");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_scopes_read_back),
        cmocka_unit_test(test_what_rcauth_never_writes_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
