# SPDX-License-Identifier: MIT
"""Acceptance 6: scope narrowing (SPEC §2) — checked in the token answer, the verification
answer (scope, actions, environments) and the JWT payload."""

import pytest

import helpers
from helpers import assert_token_error, verify

ACTIONS = ["flag.list", "campaign.toggle", "project.list", "campaign.read",
           "environment.user.delete"]  # deliberately not in catalog order
ORDERED = ["project.list", "campaign.read", "campaign.toggle", "flag.list",
           "environment.user.delete"]


@pytest.fixture(scope="module")
def world(admin):
    acct = admin.create_account(name="scopes")
    envs = [admin.create_env(acct["id"], name="env%d" % i) for i in range(3)]
    all_envs = admin.create_access(acct["id"], actions=ACTIONS)
    two_envs = admin.create_access(acct["id"], actions=ACTIONS,
                                   environments=[envs[0]["id"], envs[1]["id"]])
    other = admin.create_account(name="other")
    other_env = admin.create_env(other["id"], name="production")
    return dict(acct=acct, envs=envs, all=all_envs, two=two_envs, other_env=other_env)


def check_everywhere(base, world, access, scope, want_actions, want_envs):
    """Issue with `scope`; the token answer, JWT and verification must agree on exactly
    want_actions (catalog order) and want_envs (['*'] or ids)."""
    d = helpers.get_token(base, world["acct"]["id"], access, scope=scope)
    env_part = ["env:*"] if want_envs == ["*"] else ["env:" + e for e in want_envs]
    want_scope = " ".join(want_actions + env_part)
    assert d["scope"] == want_scope, (scope, d["scope"])
    _, payload = helpers.jwt_decode(d["access_token"])
    assert payload["scope"] == want_scope, payload
    r = verify(base, d["access_token"])
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["scope"] == want_scope, v
    assert v["actions"] == want_actions, v
    assert v["environments"] == want_envs, v
    return d


def test_star_gives_everything_in_catalog_order(base, world):
    check_everywhere(base, world, world["all"], "*", ORDERED, ["*"])


def test_absent_scope_is_star(base, world):
    check_everywhere(base, world, world["all"], None, ORDERED, ["*"])


def test_action_subset(base, world):
    check_everywhere(base, world, world["all"], "flag.list campaign.read",
                     ["campaign.read", "flag.list"], ["*"])


def test_single_action(base, world):
    check_everywhere(base, world, world["all"], "environment.user.delete",
                     ["environment.user.delete"], ["*"])


def test_action_subset_keeps_limited_envs(base, world):
    e = world["envs"]
    check_everywhere(base, world, world["two"], "campaign.toggle",
                     ["campaign.toggle"], [e[0]["id"], e[1]["id"]])


def test_env_subset_of_all_envs_access(base, world):
    e = world["envs"]
    check_everywhere(base, world, world["all"], "env:" + e[2]["id"], ORDERED, [e[2]["id"]])


def test_env_subset_of_limited_access(base, world):
    e = world["envs"]
    check_everywhere(base, world, world["two"], "env:" + e[1]["id"], ORDERED, [e[1]["id"]])


def test_env_and_action_subset(base, world):
    e = world["envs"]
    check_everywhere(base, world, world["two"], "campaign.read env:%s project.list" % e[0]["id"],
                     ["project.list", "campaign.read"], [e[0]["id"]])


def test_limited_access_star_lists_its_envs(base, world):
    e = world["envs"]
    check_everywhere(base, world, world["two"], "*", ORDERED, [e[0]["id"], e[1]["id"]])


def test_env_star_on_all_envs_access(base, world):
    check_everywhere(base, world, world["all"], "env:*", ORDERED, ["*"])


def test_future_environment_covered_by_all_envs_access(base, admin, world):
    new_env = admin.create_env(world["acct"]["id"], name="created-later")
    check_everywhere(base, world, world["all"], "env:" + new_env["id"], ORDERED, [new_env["id"]])


def test_future_environment_not_covered_by_limited_access(base, admin, world):
    new_env = admin.create_env(world["acct"]["id"], name="created-later-2")
    r = helpers.token_request(base, world["acct"]["id"], world["two"]["client_id"],
                              world["two"]["client_secret"], scope="env:" + new_env["id"])
    assert_token_error(r, 400, "invalid_scope")


@pytest.mark.parametrize("scope", [
    "project.delete",
    "campaign.read project.delete",
    "unknown.action",
    "env:no-such-env",
    "env:{other}",
    "campaign.read env:{e2}",
    "env:*",
])
def test_outside_limited_access_is_invalid_scope(base, world, scope):
    scope = scope.replace("{other}", world["other_env"]["id"]).replace(
        "{e2}", world["envs"][2]["id"])
    r = helpers.token_request(base, world["acct"]["id"], world["two"]["client_id"],
                              world["two"]["client_secret"], scope=scope)
    assert_token_error(r, 400, "invalid_scope")


@pytest.mark.parametrize("scope", ["project.delete", "env:{other}", "flag.list goal.list"])
def test_outside_all_envs_access_is_invalid_scope(base, world, scope):
    scope = scope.replace("{other}", world["other_env"]["id"])
    r = helpers.token_request(base, world["acct"]["id"], world["all"]["client_id"],
                              world["all"]["client_secret"], scope=scope)
    assert_token_error(r, 400, "invalid_scope")


def test_access_with_no_environments_gets_env_star(base, admin, world):
    a = admin.create_access(world["acct"]["id"], actions=["goal.read"], environments=[])
    check_everywhere(base, world, a, "*", ["goal.read"], ["*"])


def test_refresh_keeps_narrowed_scope(base, world):
    e = world["envs"]
    d = check_everywhere(base, world, world["two"], "campaign.read env:" + e[1]["id"],
                         ["campaign.read"], [e[1]["id"]])
    r = helpers.refresh_request(base, world["acct"]["id"], world["two"]["client_id"],
                                d["refresh_token"])
    d2 = helpers.assert_token_ok(r)
    assert d2["scope"] == d["scope"], (d, d2)
    assert helpers.jwt_decode(d2["access_token"])[1]["scope"] == d["scope"]
