/* SPDX-License-Identifier: MIT */
/* Unit tests of the failure throttle: limits per kind, the fixed window, independence of
 * keys and kinds, and a flood of distinct keys that the fixed table survives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <sodium.h>

#include "oauth/throttle.h"

#define T0 1800000000

static struct throttle *new_throttle(int per_client, int per_address, int window)
{
    struct throttle_limits l = {per_client, per_address, window};
    return throttle_new(&l);
}

static void test_limit_then_429_until_the_window_ends(void **state)
{
    (void)state;
    struct throttle *t = new_throttle(3, 100, 60);
    bool crossed;
    for (int i = 0; i < 3; i++)
        assert_int_equal(throttle_fail(t, THROTTLE_CLIENT, "c1", T0 + i, &crossed), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_CLIENT, "c1", T0 + 10, &crossed), 50);
    assert_true(crossed); /* the failure that went over: logged once */
    assert_int_equal(throttle_fail(t, THROTTLE_CLIENT, "c1", T0 + 59, &crossed), 1);
    assert_false(crossed);
    /* a new window */
    assert_int_equal(throttle_fail(t, THROTTLE_CLIENT, "c1", T0 + 60, &crossed), 0);
    throttle_free(t);
}

static void test_keys_and_kinds_are_apart(void **state)
{
    (void)state;
    struct throttle *t = new_throttle(1, 2, 60);
    assert_int_equal(throttle_fail(t, THROTTLE_CLIENT, "x", T0, NULL), 0);
    assert_true(throttle_fail(t, THROTTLE_CLIENT, "x", T0, NULL) > 0);
    assert_int_equal(throttle_fail(t, THROTTLE_CLIENT, "y", T0, NULL), 0);
    /* the same string as an address, and as an admin address, counts apart */
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "x", T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADMIN, "x", T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADMIN, "x", T0, NULL), 0);
    assert_true(throttle_fail(t, THROTTLE_ADMIN, "x", T0, NULL) > 0);
    throttle_free(t);
}

static void test_zero_is_no_limit_and_empty_keys_are_ignored(void **state)
{
    (void)state;
    struct throttle *t = new_throttle(0, 1, 60);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(throttle_fail(t, THROTTLE_CLIENT, "c", T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "", T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, NULL, T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "", T0, NULL), 0);
    throttle_free(t);
}

/* A million distinct keys in one window fill the table; the newest keys are still counted
 * and refused. */
static void test_flood_of_keys(void **state)
{
    (void)state;
    struct throttle *t = new_throttle(5, 5, 60);
    char key[32];
    for (int i = 0; i < 1000000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        (void)throttle_fail(t, THROTTLE_CLIENT, key, T0, NULL);
    }
    for (int i = 0; i < 5; i++)
        assert_int_equal(throttle_fail(t, THROTTLE_CLIENT, "last", T0 + 1, NULL), 0);
    assert_true(throttle_fail(t, THROTTLE_CLIENT, "last", T0 + 1, NULL) > 0);
    throttle_free(t);
}

/* One host usually holds a whole IPv6 /64: its addresses share a counter. */
static void test_ipv6_counts_by_64(void **state)
{
    (void)state;
    struct throttle *t = new_throttle(100, 2, 60);
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "2001:db8:1:2::1", T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "2001:db8:1:2:aaaa::9", T0, NULL), 0);
    assert_true(throttle_fail(t, THROTTLE_ADDRESS, "2001:db8:1:2:ffff:1:2:3", T0, NULL) > 0);
    /* another /64, an IPv4 address and a v4-mapped one are their own */
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "2001:db8:1:3::1", T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "10.0.0.1", T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "::ffff:10.0.0.2", T0, NULL), 0);
    assert_int_equal(throttle_fail(t, THROTTLE_ADDRESS, "::ffff:10.0.0.3", T0, NULL), 0);
    throttle_free(t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_then_429_until_the_window_ends),
        cmocka_unit_test(test_keys_and_kinds_are_apart),
        cmocka_unit_test(test_zero_is_no_limit_and_empty_keys_are_ignored),
        cmocka_unit_test(test_flood_of_keys),
        cmocka_unit_test(test_ipv6_counts_by_64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
