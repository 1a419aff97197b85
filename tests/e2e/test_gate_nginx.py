# SPDX-License-Identifier: MIT
"""Issue 3's gate acceptance with a real nginx: Debian's nginx runs the documented
docs/nginx/rcauth-gate.conf in front of a small upstream API, and lets through exactly the
requests the token allows (SPEC §7, §9, §12). No nginx installed is a failure, not a skip."""

import http.client
import json
import os
import re
import uuid

import pytest
from requests.structures import CaseInsensitiveDict

import helpers
from helpers import assert_json_error
from nginx_gate import GATE_CONF, Nginx, UpstreamAPI


@pytest.fixture(scope="module")
def api():
    a = UpstreamAPI()
    yield a
    a.stop()


@pytest.fixture(scope="module")
def nginx(server, api):
    n = Nginx(os.path.join(server.workdir, "nginx"), server.port, api.port)
    n.start()
    yield n
    n.stop()


@pytest.fixture(scope="module")
def world(base, admin):
    acct = admin.create_account()
    env1 = admin.create_env(acct["id"], name="production")
    env2 = admin.create_env(acct["id"], name="staging")
    return {"acct": acct["id"], "env1": env1["id"], "env2": env2["id"]}


def grant(base, admin, w, actions, environments=None):
    a = admin.create_access(w["acct"], actions=actions, environments=environments)
    return a, helpers.get_token(base, w["acct"], a)["access_token"]


def campaigns(w, env="env1", rest=""):
    return "/v1/accounts/%s/account_environments/%s/campaigns%s" % (w["acct"], w[env], rest)


class Answer:
    """What a client got: enough of a requests.Response for the helpers' assertions."""

    def __init__(self, resp, test_id):
        self.test_id = test_id  # how the upstream knows this request
        self.status_code = resp.status
        self.headers = CaseInsensitiveDict()
        for k, v in resp.getheaders():  # a repeated header shows as "a, b", as in requests
            self.headers[k] = self.headers[k] + ", " + v if k in self.headers else v
        self.content = resp.read()
        self.text = self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text)


def call(nginx, method, target, token=None, headers=None, body=None):
    """One request with the request target exactly as given: http.client sends it as it is,
    where requests would resolve dot segments and re-escape the query first."""
    test_id = uuid.uuid4().hex
    h = dict(headers or {}, **{"X-Test-Id": test_id})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=helpers.HTTP_TIMEOUT)
    try:
        conn.request(method, target, body=body, headers=h)
        r = Answer(conn.getresponse(), test_id)
    finally:
        conn.close()
    assert not 300 <= r.status_code < 400, (r.status_code, r.headers)
    return r


def upstream_saw(api, r):
    """What the upstream received of the request that got answer r, or None."""
    return next((s for s in api.seen if s["test_id"] == r.test_id), None)


def assert_passed(r, api, method, path, client_id, account):
    """The upstream answered, and saw the request as sent and who sent it."""
    assert r.status_code == 200, (r.status_code, r.text)
    seen = upstream_saw(api, r)
    assert seen is not None, r.text
    assert seen["method"] == method and seen["path"] == path, seen
    assert seen["client_id"] == client_id, seen
    assert seen["account"] == account, seen
    assert seen["x_rcauth_headers"] == 2, seen
    return seen


def assert_refused(r, api, status, error):
    """nginx answered status with a JSON error, and the upstream never saw the request."""
    assert_json_error(r, status, error)
    assert upstream_saw(api, r) is None, upstream_saw(api, r)
    return r


def test_acceptance(base, admin, nginx, api, world):
    """The issue's acceptance, step by step."""
    w = world
    a, t = grant(base, admin, w, ["campaign.list", "campaign.read"], [w["env1"]])
    n = len(api.seen)

    r = call(nginx, "GET", campaigns(w), t)
    assert_passed(r, api, "GET", campaigns(w), a["client_id"], w["acct"])
    r = call(nginx, "GET", campaigns(w, rest="/c42"), t)
    assert_passed(r, api, "GET", campaigns(w, rest="/c42"), a["client_id"], w["acct"])
    assert len(api.seen) == n + 2

    # the same on another environment
    assert_refused(call(nginx, "GET", campaigns(w, "env2"), t), api, 403, None)
    assert_refused(call(nginx, "GET", campaigns(w, "env2", "/c42"), t), api, 403, None)
    # an action the token lacks
    assert_refused(call(nginx, "PATCH", campaigns(w, rest="/c42/toggle"), t), api, 403, None)
    # no token
    r = assert_refused(call(nginx, "GET", campaigns(w)), api, 401, None)
    assert r.headers.get("WWW-Authenticate") == "Bearer", r.headers
    assert len(api.seen) == n + 2

    # revoked through the admin API: the very next request is 401
    admin.revoke(w["acct"], a["client_id"])
    r = assert_refused(call(nginx, "GET", campaigns(w), t), api, 401, "invalid_token")
    assert r.headers.get("WWW-Authenticate") == 'Bearer error="invalid_token"', r.headers
    assert len(api.seen) == n + 2


def test_refusals_are_json_and_401_keeps_the_challenge(base, admin, nginx, api, world):
    w = world
    _, t = grant(base, admin, w, ["campaign.read"], [w["env1"]])
    for token in ("undefined", "garbage.token.here", t + "x"):
        r = assert_refused(call(nginx, "GET", campaigns(w, rest="/c1"), token), api, 401,
                           "invalid_token")
        assert r.headers.get("WWW-Authenticate") == 'Bearer error="invalid_token"', r.headers
    r = assert_refused(call(nginx, "GET", campaigns(w, "env2", "/c1"), t), api, 403,
                       "insufficient_scope")
    assert "WWW-Authenticate" not in r.headers, r.headers


def test_methods_and_bodies_reach_the_upstream(base, admin, nginx, api, world):
    """The check uses the original method; the body is not sent to rcauth but still goes
    to the upstream."""
    w = world
    a, t = grant(base, admin, w, ["campaign.create", "campaign.update", "campaign.delete",
                                  "campaign.toggle"])
    body = '{"name":"summer sale","type":"ab"}'
    r = call(nginx, "POST", campaigns(w), t, body=body,
             headers={"Content-Type": "application/json"})
    seen = assert_passed(r, api, "POST", campaigns(w), a["client_id"], w["acct"])
    assert seen["body_len"] == len(body), seen
    for m in ("PUT", "PATCH"):
        r = call(nginx, m, campaigns(w, "env2", "/c1"), t, body='{"name":"x"}')
        assert_passed(r, api, m, campaigns(w, "env2", "/c1"), a["client_id"], w["acct"])
        r = call(nginx, m, campaigns(w, "env2", "/c1/toggle"), t, body='{"state":"active"}')
        assert_passed(r, api, m, campaigns(w, "env2", "/c1/toggle"), a["client_id"], w["acct"])
    r = call(nginx, "DELETE", campaigns(w, rest="/c1"), t)
    assert_passed(r, api, "DELETE", campaigns(w, rest="/c1"), a["client_id"], w["acct"])
    # campaign.create does not allow reading
    assert_refused(call(nginx, "GET", campaigns(w), t), api, 403, None)


def test_query_string_passes_and_never_changes_the_action(base, admin, nginx, api, world):
    w = world
    a, t = grant(base, admin, w, ["campaign.list", "environment.user.delete"], [w["env1"]])
    for q in ("?_page=0", "?_max_per_page=9999", "?_page=2&_max_per_page=50"):
        r = call(nginx, "GET", campaigns(w) + q, t)
        assert_passed(r, api, "GET", campaigns(w) + q, a["client_id"], w["acct"])
        assert_refused(call(nginx, "GET", campaigns(w, rest="/c1") + q, t), api, 403, None)
    users = "/v1/accounts/%s/account_environments/%s/users?emails[]=a@example.com" % (
        w["acct"], w["env1"])
    r = call(nginx, "DELETE", users, t)
    assert_passed(r, api, "DELETE", users, a["client_id"], w["acct"])


def test_nothing_is_normalised(base, admin, nginx, api, world):
    """nginx itself merges slashes and decodes escapes to pick a location; the gate checks
    the request target as sent, and the upstream receives that same target."""
    w = world
    a, t = grant(base, admin, w, ["campaign.read", "campaign.toggle"], [w["env1"]])
    dodges = [
        campaigns(w, rest="//c1"),
        campaigns(w, rest="/c1/"),
        campaigns(w, rest="/c1//toggle"),
        campaigns(w, rest="/c%31"),
        campaigns(w, rest="/c1/%2e%2e/c2"),
        # env2 is not covered; resolved, this path would be env1's
        campaigns(w, "env2", "/../../%s/campaigns/c1" % w["env1"]),
        "/v1/accounts/%s//account_environments/%s/campaigns/c1" % (w["acct"], w["env1"]),
    ]
    for path in dodges:
        method = "PATCH" if path.endswith("toggle") else "GET"
        r = call(nginx, method, path, t)
        assert_refused(r, api, 403, None)
    r = call(nginx, "GET", campaigns(w, rest="/c.1~x"), t)
    assert_passed(r, api, "GET", campaigns(w, rest="/c.1~x"), a["client_id"], w["acct"])


def test_client_cannot_forge_the_gate_headers(base, admin, nginx, api, world):
    w = world
    a, t = grant(base, admin, w, ["campaign.read"], [w["env1"]])
    # its own X-Original-* headers do not reach rcauth: the real request is checked
    forged = {"X-Original-Method": "GET", "X-Original-URI": campaigns(w, rest="/c1")}
    assert_refused(call(nginx, "DELETE", campaigns(w, rest="/c1"), t, headers=forged), api,
                   403, None)
    assert_refused(call(nginx, "GET", campaigns(w, "env2", "/c1"), t, headers=forged), api,
                   403, None)
    # its own X-Rcauth-* headers do not reach the upstream: rcauth's answer does
    r = call(nginx, "GET", campaigns(w, rest="/c1"), t,
             headers={"X-Rcauth-Client-Id": "someone-else", "X-Rcauth-Account": "other"})
    assert_passed(r, api, "GET", campaigns(w, rest="/c1"), a["client_id"], w["acct"])


def test_the_gate_itself_is_not_reachable(base, admin, nginx, api, world):
    w = world
    _, t = grant(base, admin, w, ["campaign.read"])
    # the internal location answers 404 to a client; it never reaches rcauth or the API
    r = call(nginx, "GET", "/_rcauth", t)
    assert r.status_code == 404, (r.status_code, r.text)
    # anything outside the route table is refused before the upstream
    for path in ("/", "/authorize", "/v1/accounts/%s" % w["acct"], "/favicon.ico"):
        assert_refused(call(nginx, "GET", path, t), api, 403, None)


def test_method_override_headers_never_reach_the_api(base, admin, nginx, api, world):
    """A read-only token must not become a DELETE through a framework's override header."""
    w = world
    a, t = grant(base, admin, w, ["campaign.read"])
    override = {"X-HTTP-Method-Override": "DELETE", "X-HTTP-Method": "DELETE",
                "X-Method-Override": "DELETE"}
    r = call(nginx, "GET", campaigns(w, rest="/c1"), t, headers=override)
    seen = assert_passed(r, api, "GET", campaigns(w, rest="/c1"), a["client_id"], w["acct"])
    leaked = [h for h in seen["header_names"] if "method" in h]
    assert not leaked, seen["header_names"]


@pytest.mark.parametrize("method,target,headers,status", [
    ("GET", "/_rcauth", {}, 404),
    ("TRACE", "/v1/accounts/a/projects", {}, 405),
    ("get", "/v1/accounts/a/projects", {}, 400),
    ("GET", "/v1/accounts/a/projects", {"X-Big": "a" * 70000}, 400),
    ("POST", "/v1/accounts/a/projects", {"Content-Length": "99999999"}, 413),
])
def test_nginx_own_errors_are_json(nginx, api, method, target, headers, status):
    """What nginx refuses by itself (before or without asking rcauth) is JSON too."""
    conn = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=helpers.HTTP_TIMEOUT)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == status, (resp.status, body[:200])
    assert resp.getheader("Content-Type", "").startswith("application/json"), resp.getheaders()
    assert json.loads(body)["error"], body


def test_rcauth_down_fails_closed(base, admin, server, nginx, api, world):
    """Runs last in this module: stops and restarts the module's rcauth."""
    w = world
    a, t = grant(base, admin, w, ["campaign.list"])
    assert call(nginx, "GET", campaigns(w), t).status_code == 200
    server.stop()
    try:
        r = call(nginx, "GET", campaigns(w), t)
        assert_refused(r, api, 500, "server_error")
    finally:
        server.start()
    r = call(nginx, "GET", campaigns(w), t)
    assert_passed(r, api, "GET", campaigns(w), a["client_id"], w["acct"])


def test_doc_excerpts_are_from_the_tested_file():
    """docs/nginx.md quotes the config it explains: every line of its nginx blocks must be a
    line of docs/nginx/rcauth-gate.conf, the file these tests run."""
    with open(os.path.join(helpers.REPO_ROOT, "docs", "nginx.md")) as f:
        doc = f.read()
    with open(GATE_CONF) as f:
        conf = {line.strip() for line in f}
    blocks = re.findall(r"```nginx\n(.*?)```", doc, re.S)
    assert blocks, "docs/nginx.md has no nginx block"
    for block in blocks:
        for line in block.splitlines():
            assert not line.strip() or line.strip() in conf, line
