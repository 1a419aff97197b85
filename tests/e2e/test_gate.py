# SPDX-License-Identifier: MIT
"""GET /authorize called directly, as nginx's auth_request subrequest calls it (SPEC §7,
§9, §12): 204 with X-Rcauth-Client-Id and X-Rcauth-Account when the token allows the
original request; 401 (get a new token) for a missing, `undefined`, garbage, forged,
expired or revoked token; 403 for a good token that lacks the action, the environment or
the account, for an unknown route and for missing X-Original-* headers. Never a redirect;
every refusal a JSON object. Written from SPEC.md and docs/nginx.md."""

import json
import time

import pytest
import requests

import helpers
from helpers import assert_json_error

ACTIONS = ["campaign.list", "campaign.read"]


@pytest.fixture(scope="module")
def world(base, admin):
    """An account with two environments, a token for campaign.list + campaign.read on the
    first only, and a second account."""
    acct = admin.create_account()
    env1 = admin.create_env(acct["id"], name="production")
    env2 = admin.create_env(acct["id"], name="staging")
    access = admin.create_access(acct["id"], actions=ACTIONS, environments=[env1["id"]])
    token = helpers.get_token(base, acct["id"], access)["access_token"]
    other = admin.create_account()
    return {"acct": acct["id"], "env1": env1["id"], "env2": env2["id"], "access": access,
            "token": token, "other": other["id"]}


def authorize(base, token, method=None, uri=None, http_method="GET", headers=None, **kw):
    """Call /authorize like nginx: Bearer token, X-Original-Method, X-Original-URI. None
    leaves a header out."""
    h = {}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if method is not None:
        h["X-Original-Method"] = method
    if uri is not None:
        h["X-Original-URI"] = uri
    h.update(headers or {})
    r = requests.request(http_method, base + "/authorize", headers=h, allow_redirects=False,
                         timeout=helpers.HTTP_TIMEOUT, **kw)
    assert not 300 <= r.status_code < 400, (r.status_code, r.headers)
    return r


def campaigns(w, env="env1", rest=""):
    return "/v1/accounts/%s/account_environments/%s/campaigns%s" % (w["acct"], w[env], rest)


def assert_allowed(r, w, client_id=None):
    assert r.status_code == 204, (r.status_code, r.text)
    assert r.headers.get("X-Rcauth-Client-Id") == (client_id or w["access"]["client_id"]), \
        dict(r.headers)
    assert r.headers.get("X-Rcauth-Account") == w["acct"], dict(r.headers)
    assert r.content == b"", r.content


def assert_401(r, presented=True):
    body = assert_json_error(r, 401, "invalid_token")
    www = r.headers.get("WWW-Authenticate", "")
    # RFC 6750 §3: a challenge always; an error code only when a token was presented
    if presented:
        assert www == 'Bearer error="invalid_token"', www
    else:
        assert www == "Bearer", www
    assert "X-Rcauth-Client-Id" not in r.headers, dict(r.headers)
    return body


def assert_403(r, error=None):
    body = assert_json_error(r, 403, error)
    assert "X-Rcauth-Client-Id" not in r.headers, dict(r.headers)
    return body


# ---- allowed ------------------------------------------------------------------------


def test_allowed_list_and_read(base, world):
    w = world
    assert_allowed(authorize(base, w["token"], "GET", campaigns(w)), w)
    assert_allowed(authorize(base, w["token"], "GET", campaigns(w, rest="/c123")), w)
    assert_allowed(authorize(base, w["token"], "HEAD", campaigns(w, rest="/c123")), w)


def test_allowed_answer_is_not_cached(base, world):
    r = authorize(base, world["token"], "GET", campaigns(world))
    assert_allowed(r, world)
    helpers.assert_no_cache(r)


def test_query_string_never_changes_the_action(base, world):
    w = world
    for q in ("?_page=0", "?_max_per_page=9999", "?_page=1&_max_per_page=9999",
              "?emails[]=a@example.com&emails[]=b@example.com", "?",
              "?x=/../../flags%2F", "?access_token=whatever"):
        assert_allowed(authorize(base, w["token"], "GET", campaigns(w) + q), w)
        assert_403(authorize(base, w["token"], "GET", campaigns(w, "env2") + q))
        assert_403(authorize(base, w["token"], "POST", campaigns(w) + q))


def test_put_and_patch_both_mean_update(base, admin, world):
    w = world
    a = admin.create_access(w["acct"], actions=["campaign.update"])
    t = helpers.get_token(base, w["acct"], a)["access_token"]
    for m in ("PUT", "PATCH"):
        assert_allowed(authorize(base, t, m, campaigns(w, rest="/c1")), w, a["client_id"])
        # .update is not .toggle, and the collection has no update
        assert_403(authorize(base, t, m, campaigns(w, rest="/c1/toggle")))
        assert_403(authorize(base, t, m, campaigns(w)))
        assert_403(authorize(base, w["token"], m, campaigns(w, rest="/c1")))


def test_flags_usage_is_not_a_flag(base, admin, world):
    w = world
    a = admin.create_access(w["acct"], actions=["flag.read", "flag.update", "flag.delete"])
    t = helpers.get_token(base, w["acct"], a)["access_token"]
    usage = "/v1/accounts/%s/flags/usage" % w["acct"]
    assert_allowed(authorize(base, t, "GET", "/v1/accounts/%s/flags/f1" % w["acct"]), w,
                   a["client_id"])
    for m in ("GET", "POST", "PATCH", "DELETE"):
        assert_403(authorize(base, t, m, usage))
    b = admin.create_access(w["acct"], actions=["flag_usage.list"])
    tb = helpers.get_token(base, w["acct"], b)["access_token"]
    assert_allowed(authorize(base, tb, "GET", usage), w, b["client_id"])


def test_all_environments_token_covers_new_environments(base, admin, world):
    w = world
    a = admin.create_access(w["acct"], actions=["campaign.toggle"])
    t = helpers.get_token(base, w["acct"], a)["access_token"]
    later = admin.create_env(w["acct"])
    for env in (w["env1"], w["env2"], later["id"]):
        uri = "/v1/accounts/%s/account_environments/%s/campaigns/c1/toggle" % (w["acct"], env)
        assert_allowed(authorize(base, t, "PATCH", uri), w, a["client_id"])


def test_narrowed_token_is_held_to_its_scope(base, admin, world):
    w = world
    a = admin.create_access(w["acct"], actions=ACTIONS, environments=[w["env1"], w["env2"]])
    t = helpers.get_token(base, w["acct"], a, scope="campaign.list env:%s" % w["env2"])
    t = t["access_token"]
    assert_allowed(authorize(base, t, "GET", campaigns(w, "env2")), w, a["client_id"])
    assert_403(authorize(base, t, "GET", campaigns(w, "env1")), "insufficient_scope")
    assert_403(authorize(base, t, "GET", campaigns(w, "env2", "/c1")), "insufficient_scope")


def test_method_body_and_query_of_the_check_itself_are_ignored(base, world):
    w = world
    uri = campaigns(w, rest="/c1")
    for http_method in ("POST", "PUT", "PATCH", "DELETE"):
        assert_allowed(authorize(base, w["token"], "GET", uri, http_method=http_method,
                                 json={"x": 1}), w)
        assert_403(authorize(base, w["token"], "DELETE", uri, http_method=http_method,
                             data="a=b", headers={"Content-Type":
                                                  "application/x-www-form-urlencoded"}))
    r = requests.head(base + "/authorize", headers={"Authorization": "Bearer " + w["token"],
                      "X-Original-Method": "GET", "X-Original-URI": uri}, timeout=10)
    assert r.status_code == 204 and r.headers.get("X-Rcauth-Account") == w["acct"], r.headers
    r = requests.get(base + "/authorize?_page=1", headers={
        "Authorization": "Bearer " + w["token"], "X-Original-Method": "PATCH",
        "X-Original-URI": uri}, timeout=10, allow_redirects=False)
    assert_403(r)


# ---- 401: get a new token --------------------------------------------------------------


def test_no_token_is_401(base, world):
    uri = campaigns(world)
    assert_401(authorize(base, None, "GET", uri), presented=False)
    assert_401(authorize(base, "", "GET", uri), presented=False)
    for auth in ("Basic Zm9vOmJhcg==", "Bearer"):
        assert_401(authorize(base, None, "GET", uri, headers={"Authorization": auth}),
                   presented=False)
    # the token is read from the Authorization header only (RFC 6750 §2.1)
    r = requests.get(base + "/authorize?access_token=" + world["token"],
                     headers={"X-Original-Method": "GET", "X-Original-URI": uri}, timeout=10)
    assert_401(r, presented=False)


def test_bearer_undefined_and_garbage_are_401(base, world):
    uri = campaigns(world)
    for t in ("undefined", "null", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
              world["token"] + "x", world["token"].split(".", 1)[1]):
        assert_401(authorize(base, t, "GET", uri))


def test_forged_token_is_401(base, world):
    h, p, s = world["token"].split(".")
    payload = helpers.jwt_decode(world["token"])[1]
    payload["scope"] = "campaign.toggle env:*"
    forged = ".".join([h, helpers.b64url_encode(json.dumps(payload).encode()), s])
    assert_401(authorize(base, forged, "PATCH", campaigns(world, rest="/c1/toggle")))
    flipped = s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]
    assert_401(authorize(base, ".".join([h, p, flipped]), "GET", campaigns(world)))


def test_expired_token_is_401(base, admin, world):
    w = world
    d = helpers.get_token(base, w["acct"], w["access"], expires_in=1)
    exp = helpers.jwt_decode(d["access_token"])[1]["exp"]
    assert_allowed(authorize(base, d["access_token"], "GET", campaigns(w)), w)
    while time.time() < exp + 0.2:
        time.sleep(0.05)
    assert_401(authorize(base, d["access_token"], "GET", campaigns(w)))


def test_revoked_token_is_401_at_once(base, admin, world):
    w = world
    a = admin.create_access(w["acct"], actions=ACTIONS)
    t = helpers.get_token(base, w["acct"], a)["access_token"]
    assert_allowed(authorize(base, t, "GET", campaigns(w)), w, a["client_id"])
    admin.revoke(w["acct"], a["client_id"])
    assert_401(authorize(base, t, "GET", campaigns(w)))


def test_other_credentials_as_bearer_are_401(base, server, world):
    w = world
    d = helpers.get_token(base, w["acct"], w["access"])
    for t in (d["refresh_token"], server.admin_key, w["access"]["client_secret"]):
        assert_401(authorize(base, t, "GET", campaigns(w)))


def test_token_is_checked_before_the_route(base, world):
    # a client must hear "get a new token" whatever it asked for
    assert_401(authorize(base, "undefined", "GET", "/nowhere"))
    assert_401(authorize(base, "undefined", None, None))
    assert_401(authorize(base, None, "TRACE", "//"), presented=False)


# ---- 403: not allowed ------------------------------------------------------------------


def test_wrong_action_is_403(base, world):
    w = world
    body = assert_403(authorize(base, w["token"], "PATCH", campaigns(w, rest="/c1/toggle")),
                      "insufficient_scope")
    assert "campaign.toggle" in body.get("error_description", ""), body
    for m, rest in (("POST", ""), ("DELETE", "/c1"), ("PATCH", "/c1")):
        assert_403(authorize(base, w["token"], m, campaigns(w, rest=rest)), "insufficient_scope")
    assert_403(authorize(base, w["token"], "GET", "/v1/accounts/%s/flags" % w["acct"]),
               "insufficient_scope")


def test_wrong_environment_is_403(base, world):
    w = world
    r = authorize(base, w["token"], "GET", campaigns(w, "env2"))
    assert_403(r, "insufficient_scope")
    assert 'error="insufficient_scope"' in r.headers.get("WWW-Authenticate", ""), r.headers
    assert_403(authorize(base, w["token"], "GET", campaigns(w, "env2", "/c1")))
    unknown = "/v1/accounts/%s/account_environments/nope/campaigns" % w["acct"]
    assert_403(authorize(base, w["token"], "GET", unknown))


def test_wrong_account_is_403(base, world):
    w = world
    for acct in (w["other"], w["acct"].upper(), w["acct"] + "0"):
        uri = "/v1/accounts/%s/account_environments/%s/campaigns" % (acct, w["env1"])
        assert_403(authorize(base, w["token"], "GET", uri), "insufficient_scope")


def test_unknown_route_is_403(base, world):
    w = world
    a = "/v1/accounts/%s" % w["acct"]
    for m, uri in (("GET", "/"), ("GET", "/admin/v1/accounts"), ("GET", a),
                   ("GET", a + "/campaigns"),
                   ("GET", campaigns(w) + "/"),  # trailing slash
                   ("GET", campaigns(w, rest="//c1")),  # empty segment
                   ("PATCH", campaigns(w, rest="//toggle")),
                   ("GET", campaigns(w, rest="/c%31")),  # any %-escape
                   ("GET", campaigns(w, rest="/../campaigns")),
                   ("OPTIONS", campaigns(w)), ("TRACE", campaigns(w)), ("get", campaigns(w))):
        assert_403(authorize(base, w["token"], m, uri), "access_denied")


def test_missing_original_headers_is_403(base, world):
    w = world
    assert_403(authorize(base, w["token"], None, campaigns(w)), "access_denied")
    assert_403(authorize(base, w["token"], "GET", None), "access_denied")
    assert_403(authorize(base, w["token"], None, None), "access_denied")


# ---- never a redirect ------------------------------------------------------------------


def test_no_redirects_around_the_endpoint(base, world):
    h = {"Authorization": "Bearer " + world["token"], "X-Original-Method": "GET",
         "X-Original-URI": campaigns(world)}
    for path in ("/authorize/", "//authorize", "/authorize/x", "/Authorize"):
        r = requests.get(base + path, headers=h, allow_redirects=False, timeout=10)
        assert_json_error(r, 404)
