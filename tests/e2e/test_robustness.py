# SPDX-License-Identifier: MIT
"""Acceptance 4: SPEC §12, one test (or more) per kind of behaviour the existing clients
need: JSON errors on every path, //token, negative expires_in, 401 vs 400 at GET /token,
single-spaced scopes, leftover headers at verification, no redirects, URL-safe tokens,
error bodies that never echo a secret, token or client id."""

import http.client
import json
import socket
import time

import pytest
import requests

import helpers
from helpers import assert_json_error, assert_token_error, post_token, verify


def req(method, url, **kw):
    kw.setdefault("timeout", 10)
    kw.setdefault("allow_redirects", False)
    return requests.request(method, url, **kw)


# ---------------------------------------------------------------- JSON errors everywhere


@pytest.mark.parametrize("method,path", [
    ("GET", "/nope"),
    ("GET", "/v1/accounts/x/projects"),
    ("POST", "/nope/nope/nope"),
    ("GET", "/favicon.ico"),
    ("GET", "/.well-known/nope"),
    ("PUT", "/some/where"),
])
def test_unknown_route_is_json_404(base, method, path):
    r = req(method, base + path)
    assert_json_error(r, 404)


def test_unknown_account_subroute_is_json_404(base, acct):
    assert_json_error(req("POST", base + "/%s/nope" % acct["id"], json={}), 404)


def test_unknown_admin_route_is_json_404(base, server):
    r = req("GET", base + "/admin/v1/nope",
            headers={"Authorization": "Bearer " + server.admin_key})
    assert_json_error(r, 404)


@pytest.mark.parametrize("method,path", [
    ("GET", "/{acc}/token"),
    ("PUT", "/{acc}/token"),
    ("DELETE", "/{acc}/token"),
    ("PATCH", "/{acc}/token"),
    ("DELETE", "/token"),
    ("PUT", "/token"),
    ("PATCH", "/token"),
    ("POST", "/healthz"),
])
def test_wrong_method_is_json_405(base, acct, method, path):
    r = req(method, base + path.replace("{acc}", acct["id"]))
    body = assert_json_error(r, 405)
    assert "access_token" not in body


def test_wrong_method_with_credentials_issues_nothing(base, acct, access):
    r = req("GET", base + "/%s/token" % acct["id"],
            params={"client_id": access["client_id"], "client_secret": access["client_secret"],
                    "grant_type": "client_credentials"})
    body = assert_json_error(r, 405)
    assert "access_token" not in body


# ---------------------------------------------------------------- POST //token


@pytest.mark.parametrize("path", ["//token", "//token?expires_in=0", "//token?expires_in=1800"])
def test_missing_account_id_is_json_404(base, server, access, path):
    body = {"grant_type": "client_credentials", "scope": "*",
            "client_id": access["client_id"], "client_secret": access["client_secret"]}
    r = post_token(base, path, json_body=body)
    err = assert_json_error(r, 404)
    assert "access_token" not in err and "access_token" not in r.text
    assert req("GET", base + "/healthz").status_code == 200
    assert server.alive()


def test_missing_account_id_with_empty_credentials(base, server):
    # a client left unconfigured
    r = post_token(base, "//token?expires_in=0",
                   json_body={"grant_type": "client_credentials", "scope": "*",
                              "client_id": "", "client_secret": ""})
    assert_json_error(r, 404)
    assert server.alive()


# ---------------------------------------------------------------- negative expires_in


@pytest.mark.parametrize("value", ["-1", "-86400", "-0.5"])
def test_negative_expires_in_is_invalid_request(base, acct, access, value):
    r = post_token(base, "/%s/token?expires_in=%s" % (acct["id"], value),
                   json_body={"grant_type": "client_credentials", "scope": "*",
                              "client_id": access["client_id"],
                              "client_secret": access["client_secret"]})
    assert_token_error(r, 400, "invalid_request")


# ---------------------------------------------------------------- 401 vs 400 at GET /token


def _assert_401(r):
    assert_json_error(r, 401, "invalid_token")
    assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", "")


def test_verify_expired_is_401(base, acct, access):
    import time
    d = helpers.get_token(base, acct["id"], access, expires_in=1)
    exp = helpers.jwt_decode(d["access_token"])[1]["exp"]
    while time.time() < exp + 0.2:
        time.sleep(0.05)
    _assert_401(verify(base, d["access_token"]))


def test_verify_revoked_is_401(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["flag.read"])
    t = helpers.get_token(base, acct["id"], a)["access_token"]
    admin.revoke(acct["id"], a["client_id"])
    _assert_401(verify(base, t))


def test_verify_malformed_is_401(base):
    _assert_401(verify(base, "not-a-token"))


def test_verify_forged_is_401(base, acct, access):
    t = helpers.get_token(base, acct["id"], access)["access_token"]
    h, p, s = t.split(".")
    payload = json.loads(helpers.b64url_decode(p))
    payload["client_id"] = payload["sub"] = "00000000-0000-4000-8000-000000000000"
    forged = h + "." + helpers.b64url_encode(json.dumps(payload).encode()) + "." + s
    _assert_401(verify(base, forged))


def test_verify_bearer_undefined_is_401(base):
    _assert_401(verify(base, None, bearer="undefined"))


def test_verify_missing_token_is_400(base):
    assert_json_error(verify(base, None), 400, "invalid_request")


# ---------------------------------------------------------------- scope strings


def _assert_scope_string(s):
    assert isinstance(s, str) and helpers.SCOPE_RE.match(s), repr(s)
    items = s.split(" ")
    assert all(items) and len(items) == len(set(items)), repr(s)
    for item in items:
        assert item == "env:*" or item.startswith("env:") or item in helpers.CATALOG, item


@pytest.mark.parametrize("scope", ["*", None, "campaign.read", "env:*",
                                   "flag.list  campaign.toggle"])
def test_scope_single_spaced(base, admin, acct, scope):
    e1 = admin.create_env(acct["id"])
    e2 = admin.create_env(acct["id"])
    a = admin.create_access(acct["id"], actions=["flag.list", "campaign.read", "campaign.toggle",
                                                 "environment.user.put"])
    if scope == "env:*":
        scope = "env:%s env:%s" % (e1["id"], e2["id"])
    r = helpers.token_request(base, acct["id"], a["client_id"], a["client_secret"], scope=scope)
    if r.status_code == 400 and scope and "  " in scope:
        # refusing a doubled space is acceptable; accepting it must still answer clean scopes
        assert_token_error(r, 400, "invalid_scope")
        return
    d = helpers.assert_token_ok(r)
    _assert_scope_string(d["scope"])
    _assert_scope_string(helpers.jwt_decode(d["access_token"])[1]["scope"])
    v = verify(base, d["access_token"]).json()
    _assert_scope_string(v["scope"])
    assert v["scope"] == d["scope"]


def test_scope_single_spaced_limited_envs(base, admin, acct):
    envs = [admin.create_env(acct["id"]) for _ in range(3)]
    a = admin.create_access(acct["id"], actions=["goal.list", "goal.read"],
                            environments=[e["id"] for e in envs])
    d = helpers.get_token(base, acct["id"], a)
    _assert_scope_string(d["scope"])
    items = d["scope"].split(" ")
    assert items[:2] == ["goal.list", "goal.read"], d
    assert sorted(items[2:]) == sorted("env:" + e["id"] for e in envs), d


# ---------------------------------------------------------------- leftovers at verification


LEFTOVERS = [
    {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "0"},
    {"Content-Type": "application/json"},
    {"Content-Type": "application/json", "Content-Length": "0"},
    {"Authorization": "Bearer stale.token.value"},
    {"Authorization": "Bearer undefined", "Content-Type": "application/x-www-form-urlencoded",
     "Content-Length": "0"},
    {"Accept": "*/*", "Accept-Encoding": "gzip, deflate, br", "User-Agent": "axios/1.6.0"},
]


@pytest.mark.parametrize("extra", LEFTOVERS, ids=["form-cl0", "json", "json-cl0", "stale-bearer",
                                                  "all", "client-headers"])
def test_verify_leftover_headers_same_answer(base, acct, access, extra):
    t = helpers.get_token(base, acct["id"], access, expires_in=0)["access_token"]
    plain = verify(base, t)
    assert plain.status_code == 200, plain.text
    r = verify(base, t, headers=extra)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.json() == plain.json()


def test_verify_leftover_stale_bearer_of_other_account_same_answer(base, admin, acct, access):
    other_acct = admin.create_account()
    other = admin.create_access(other_acct["id"], actions=["goal.list"])
    stale = helpers.get_token(base, other_acct["id"], other)["access_token"]
    admin.revoke(other_acct["id"], other["client_id"])
    t = helpers.get_token(base, acct["id"], access, expires_in=0)["access_token"]
    plain = verify(base, t).json()
    r = verify(base, t, bearer=stale,
               headers={"Content-Type": "application/x-www-form-urlencoded",
                        "Content-Length": "0"})
    assert r.status_code == 200, r.text
    assert r.json() == plain


def test_verify_leftovers_on_invalid_token_same_answer(base):
    plain = verify(base, "garbage")
    r = verify(base, "garbage", headers={"Content-Type": "application/json"})
    assert plain.status_code == r.status_code == 401
    assert plain.json() == r.json()


# ---------------------------------------------------------------- no redirects


@pytest.mark.parametrize("method,path,auth", [
    ("GET", "/token/", False),
    ("GET", "//token", False),
    ("POST", "//token", False),
    ("POST", "/{acc}/token/", False),
    ("POST", "/{acc}//token", False),
    ("GET", "/admin/v1/accounts/", True),
    ("GET", "/admin/v1//accounts", True),
    ("GET", "/admin/v1/actions/", True),
    ("GET", "/admin", False),
    ("GET", "/healthz/", False),
])
def test_no_redirects(base, server, acct, method, path, auth):
    headers = {"Authorization": "Bearer " + server.admin_key} if auth else {}
    r = req(method, base + path.replace("{acc}", acct["id"]), headers=headers)
    assert not (300 <= r.status_code < 400), (r.status_code, dict(r.headers))
    assert "Location" not in r.headers, dict(r.headers)
    if r.status_code >= 400:
        assert_json_error(r, r.status_code)


@pytest.mark.parametrize("path", ["/token/", "//token", "/{acc}/token/", "/{acc}//token"])
def test_no_path_normalisation(base, acct, access, path):
    body = {"grant_type": "client_credentials", "scope": "*",
            "client_id": access["client_id"], "client_secret": access["client_secret"]}
    r = post_token(base, path.replace("{acc}", acct["id"]), json_body=body)
    err = assert_json_error(r, 404)
    assert "access_token" not in err


# ---------------------------------------------------------------- URL-safe tokens


def test_tokens_url_safe(base, admin, acct):
    envs = [admin.create_env(acct["id"]) for _ in range(2)]
    a = admin.create_access(acct["id"], actions=helpers.CATALOG[:17],
                            environments=[e["id"] for e in envs], name="ünïcødé ✓ name")
    for i in range(40):
        d = helpers.get_token(base, acct["id"], a, expires_in=[0, 1800, 43200, 7][i % 4])
        assert helpers.JWT_RE.match(d["access_token"]), d["access_token"]
        assert helpers.URLSAFE_RE.match(d["refresh_token"]), d["refresh_token"]
        # travels unescaped in the query
        assert verify(base, d["access_token"]).status_code == 200


# ---------------------------------------------------------------- no echo in error bodies


def _assert_no_echo(r, *values):
    for v in values:
        assert v not in r.text, "error body echoes %r: %s" % (v, r.text)


def test_error_bodies_never_echo_credentials(base, admin, acct, access):
    cid, sec = access["client_id"], access["client_secret"]
    cases = [
        helpers.token_request(base, acct["id"], cid, "a" * 64),
        helpers.token_request(base, acct["id"], cid, sec, scope="project.delete"),
        helpers.token_request(base, acct["id"], cid, sec, grant_type="password"),
        helpers.token_request(base, acct["id"], cid, sec, expires_in="-" + sec[:8]),
        post_token(base, "/%s/token" % acct["id"], data='{"client_id":"%s","client_secret":"%s"'
                   % (cid, sec), headers={"Content-Type": "application/json"}),
        post_token(base, "/%s/token" % acct["id"], data="client_id=%s&client_secret=%s" % (cid, sec),
                   headers={"Content-Type": "text/plain"}),
        post_token(base, "//token", json_body={"client_id": cid, "client_secret": sec}),
    ]
    other = admin.create_account()
    cases.append(helpers.token_request(base, other["id"], cid, sec))
    for r in cases:
        assert r.status_code >= 400, (r.status_code, r.text)
        _assert_no_echo(r, cid, sec, "a" * 64)


def test_error_bodies_never_echo_client_id_unknown(base, acct):
    import uuid
    cid = str(uuid.uuid4())
    r = helpers.token_request(base, acct["id"], cid, "b" * 64)
    assert_token_error(r, 401, "invalid_client")
    _assert_no_echo(r, cid, "b" * 64)


def test_error_bodies_never_echo_refresh_token(base, acct, access):
    d = helpers.get_token(base, acct["id"], access)
    helpers.refresh_request(base, acct["id"], access["client_id"], d["refresh_token"])
    r = helpers.refresh_request(base, acct["id"], access["client_id"], d["refresh_token"])
    assert_token_error(r, 400, "invalid_grant")
    _assert_no_echo(r, d["refresh_token"], access["client_id"])


def test_verify_errors_never_echo_token(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["flag.read"])
    t = helpers.get_token(base, acct["id"], a)["access_token"]
    h, p, s = t.split(".")
    forged = h + "." + p + "." + s[::-1]
    r = verify(base, forged)
    assert r.status_code == 401
    _assert_no_echo(r, forged, p, s[::-1], a["client_id"])
    admin.revoke(acct["id"], a["client_id"])
    r = verify(base, t)
    assert r.status_code == 401
    _assert_no_echo(r, t, p, s, a["client_id"])


# ---------------------------------------------------------------- the target as sent


def raw_request(base, method, target, body=None, headers=None):
    """Send the request target byte for byte (requests and curl re-quote and collapse)."""
    conn = http.client.HTTPConnection(base.split("//")[1], timeout=10)
    conn.request(method, target, body=body, headers=headers or {})
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    return r.status, text


@pytest.mark.parametrize("path", ["/{acc}%2Ftoken", "/{acc}/tok%65n", "/x/../{acc}/token",
                                  "/{acc}/./token", "/{acc}/token/."])
def test_percent_encoded_or_dotted_path_is_not_normalised(base, acct, access, path):
    """Routes match the path exactly as sent: an encoded slash or letter, or a dot segment,
    is another path."""
    body = json.dumps({"grant_type": "client_credentials", "client_id": access["client_id"],
                       "client_secret": access["client_secret"]})
    status, text = raw_request(base, "POST", path.replace("{acc}", acct["id"]), body,
                               {"Content-Type": "application/json"})
    assert status == 404, (status, text)
    assert "access_token" not in text
    assert json.loads(text)["error"]


def test_percent_encoded_account_id_is_another_account(base, acct, access):
    body = json.dumps({"client_id": access["client_id"],
                       "client_secret": access["client_secret"]})
    encoded = "%%%02X" % ord(acct["id"][0]) + acct["id"][1:]
    status, text = raw_request(base, "POST", "/%s/token" % encoded, body,
                               {"Content-Type": "application/json"})
    assert status == 401 and json.loads(text)["error"] == "invalid_client", (status, text)


def test_percent_encoded_query_is_decoded(base, acct, access):
    d = helpers.get_token(base, acct["id"], access)
    r = post_token(base, "/%s/token?expires_in=%%31%%38%%30%%30" % acct["id"],
                   json_body={"client_id": access["client_id"],
                              "client_secret": access["client_secret"]})
    assert helpers.assert_token_ok(r)["expires_in"] == 1800
    token = d["access_token"].replace(".", "%2E")
    r = requests.get(base + "/token?access_token=" + token, timeout=10)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("query", ["access_token=%ZZ", "access_token=%", "access_token=a%00b",
                                   "expires_in=1&access_token=%G1"])
def test_malformed_query_is_json_400(base, query):
    status, text = raw_request(base, "GET", "/token?" + query)
    assert status == 400, (status, text)
    assert json.loads(text)["error"] == "invalid_request"


@pytest.mark.parametrize("method,path", [("GET", "/nope"), ("PUT", "/token"),
                                         ("GET", "/token"), ("GET", "/healthz"),
                                         ("GET", "/admin/v1/accounts")])
def test_every_answer_is_not_cacheable(base, method, path):
    """Answers carry tokens and per-client data; errors included, none may be cached."""
    helpers.assert_no_cache(req(method, base + path))


def test_too_many_query_items_says_so(base):
    status, text = raw_request(base, "GET", "/token?" + "&".join("a%d=1" % i for i in range(100)))
    assert status == 400, (status, text)
    body = json.loads(text)
    assert body["error"] == "invalid_request" and "too many" in body["error_description"], body


def test_declared_oversized_body_is_refused_at_once(base, acct):
    """A Content-Length above the cap gets 413 without waiting for a body that may never
    come."""
    host, port = base.split("//")[1].split(":")
    t0 = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(("POST /%s/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: 99999999999\r\n\r\n{" % acct["id"]).encode())
        data = s.recv(4096).decode(errors="replace")
    assert time.monotonic() - t0 < 3
    assert data.startswith("HTTP/1.1 413"), data
    assert json.loads(data.split("\r\n\r\n", 1)[1])["error"] == "invalid_request"
