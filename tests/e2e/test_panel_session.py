# SPDX-License-Identifier: MIT
"""The panel's sessions over HTTP, without a browser (docs/panel.md): sign-in with an admin
key, the cookie's attributes, the admin API reached with the cookie instead of a Bearer
key, CSRF token and Origin refusals on state-changing calls, sign-out (also across a
restart), expiry (idle and absolute), and a wrong key at sign-in counted as a failed admin
authentication that logs no secret."""

import http.client
import json
import time

import pytest
import requests

import helpers
from conftest import make_server
from helpers import assert_json_error, assert_no_cache
from token_ops import metadata
from panel_ops import (COOKIE, SESSION_PATH, api, assert_panel_headers, session_cookie,
                       sign_in, signed_in)


def failed_admin_auth_lines(server):
    return [json.loads(ln) for ln in server.log_text().splitlines()
            if '"admin authentication failed"' in ln]


def with_cookie(value):
    """A bare session sending one cookie by hand (no jar, no path rules)."""
    s = requests.Session()
    s.headers["Cookie"] = "%s=%s" % (COOKIE, value)
    return s


# ---------------------------------------------------------------- sign-in


def test_sign_in_sets_a_strict_http_only_cookie_and_answers_the_csrf_token(server, base):
    s, r = sign_in(base, server.admin_key)
    assert r.status_code == 201, r.text
    assert_panel_headers(r)
    assert_no_cache(r)
    d = r.json()
    assert helpers.XID_RE.match(d["admin_key_id"]), d
    assert d["admin_key_name"] == "test"
    assert len(d["csrf_token"]) == 43 and helpers.URLSAFE_RE.match(d["csrf_token"])
    assert d["idle_timeout"] == 1800
    assert server.admin_key not in r.text
    value, attrs = session_cookie(r)
    assert value and server.admin_key not in value
    assert attrs.get("path") == "/admin"
    assert "httponly" in attrs
    assert attrs.get("samesite") == "Strict"
    assert attrs.get("max-age") == str(12 * 3600)
    assert "secure" not in attrs  # the public URL is http:// here
    assert "domain" not in attrs  # host-only


def test_the_session_answers_itself_back(server, base):
    s, csrf = signed_in(base, server.admin_key)
    r = s.get(base + SESSION_PATH, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200
    assert_panel_headers(r)
    assert_no_cache(r)
    assert r.json()["csrf_token"] == csrf


def test_each_sign_in_is_its_own_session(server, base):
    _, a = sign_in(base, server.admin_key)
    _, b = sign_in(base, server.admin_key)
    assert session_cookie(a)[0] != session_cookie(b)[0]
    assert a.json()["csrf_token"] != b.json()["csrf_token"]


def test_a_wrong_key_at_sign_in_is_a_failed_admin_authentication(server, base):
    wrong = "rcak_" + "f" * 64
    helpers.record_secret(wrong)  # test_zz_logs checks that no log line holds it
    before = len(failed_admin_auth_lines(server))
    s, r = sign_in(base, wrong)
    body = assert_json_error(r, 401, "invalid_token")
    assert_panel_headers(r)
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert "Set-Cookie" not in r.headers
    assert wrong not in r.text and "rcak_" not in body.get("error_description", "")
    lines = failed_admin_auth_lines(server)
    assert len(lines) == before + 1
    assert lines[-1]["route"] == SESSION_PATH and lines[-1]["level"] == "warn"
    assert wrong not in server.log_text()
    # the same as a wrong Bearer key on the API
    r = requests.get(base + "/admin/v1/accounts", headers={"Authorization": "Bearer " + wrong},
                     timeout=helpers.HTTP_TIMEOUT)
    assert_json_error(r, 401)
    assert len(failed_admin_auth_lines(server)) == before + 2


@pytest.mark.parametrize("body", [None, "", "[]", '{"admin_key": 5}', '{"key": "x"}', "{"])
def test_a_malformed_sign_in_is_400(base, body):
    r = requests.post(base + SESSION_PATH, data=body, timeout=helpers.HTTP_TIMEOUT)
    assert_json_error(r, 400, "invalid_request")
    assert_panel_headers(r)
    assert "Set-Cookie" not in r.headers


def test_a_revoked_admin_key_cannot_sign_in_and_its_sessions_end(server, base):
    key = server.create_admin_key(name="short-lived")
    s, csrf = signed_in(base, key)
    assert api(s, "GET", base, "/accounts").status_code == 200
    key_id = s.get(base + SESSION_PATH).json()["admin_key_id"]
    cp = helpers.run_cli(["admin-key", "revoke", key_id], data_dir=server.data_dir)
    assert cp.returncode == 0, cp.stderr
    assert_json_error(api(s, "GET", base, "/accounts"), 401)
    assert_json_error(s.get(base + SESSION_PATH), 401)
    assert_json_error(sign_in(base, key)[1], 401)


def test_sign_in_from_another_origin_is_refused(server, base):
    s, r = sign_in(base, server.admin_key, headers={"Origin": "https://evil.example"})
    assert_json_error(r, 403)
    assert "Set-Cookie" not in r.headers


# ---------------------------------------------------------------- the API with the cookie


def test_the_cookie_reads_the_admin_api_without_a_token(server, base):
    s, _ = signed_in(base, server.admin_key)
    r = api(s, "GET", base, "/actions")
    assert r.status_code == 200 and r.json()["total_count"] >= 40


def test_panel_actions_are_audited_under_the_admin_key(server, base, admin):
    s, csrf = signed_in(base, server.admin_key)
    key_id = s.get(base + SESSION_PATH).json()["admin_key_id"]
    r = api(s, "POST", base, "/accounts", csrf, json={"name": "panel-audit"})
    assert r.status_code == 201, r.text
    acct = r.json()["id"]
    r = api(s, "POST", base, "/accounts/%s/accesses" % acct, csrf,
            json={"name": "p", "actions": ["flag.list"]})
    assert r.status_code == 201, r.text
    helpers.record_secret(r.json()["client_secret"])
    client_id = r.json()["client_id"]
    assert api(s, "DELETE", base, "/accounts/%s/accesses/%s" % (acct, client_id),
               csrf).status_code == 204
    events = admin.get("/accounts/%s/audit" % acct).json()["items"]
    for name in ("access.created", "access.revoked"):
        e = next(x for x in events if x["event"] == name)
        assert e["actor"] == key_id and e["subject"] == client_id


@pytest.mark.parametrize("origin", [None, "same-host", "public-url"])
def test_a_state_changing_call_with_the_token_from_our_origin_is_accepted(server, base, origin):
    s, csrf = signed_in(base, server.admin_key)
    o = {None: None, "same-host": "http://" + server.host, "public-url": base}[origin]
    r = api(s, "POST", base, "/accounts", csrf, origin=o, json={"name": "ok"})
    assert r.status_code == 201, r.text


def test_our_origin_through_another_host_name_is_ours_too(server, base):
    # a browser that reached the server as localhost sends that Host and that Origin
    _, r = sign_in(base, server.admin_key)
    s, csrf = with_cookie(session_cookie(r)[0]), r.json()["csrf_token"]
    host = "localhost:%d" % server.port
    r = api(s, "POST", base, "/accounts", csrf, origin="http://" + host,
            headers={"Host": host}, json={"name": "ok"})
    assert r.status_code == 201, r.text


BAD_CSRF = {
    "missing": lambda csrf, other: None,
    "empty": lambda csrf, other: "",
    "wrong": lambda csrf, other: "A" * 43,
    "truncated": lambda csrf, other: csrf[:-1],
    "another session's": lambda csrf, other: other,
}


@pytest.mark.parametrize("case", list(BAD_CSRF))
@pytest.mark.parametrize("method,path,body", [
    ("POST", "/accounts", {"name": "csrf"}),
    ("DELETE", "/accounts/{a}/accesses/{c}", None),
    ("POST", "/accounts/{a}/accesses/{c}/secret", None),
    ("POST", "/keys/rotate", {}),
])
def test_a_state_changing_call_without_the_right_csrf_token_is_403(server, base, admin, case,
                                                                     method, path, body):
    acct = admin.create_account()
    a = admin.create_access(acct["id"])
    s, csrf = signed_in(base, server.admin_key)
    _, other = signed_in(base, server.admin_key)
    token = BAD_CSRF[case](csrf, other)
    r = api(s, method, base, path.format(a=acct["id"], c=a["client_id"]), token,
            json=body)
    err = assert_json_error(r, 403, "forbidden")
    assert "CSRF" in err["error_description"]
    # nothing happened: the access still works with its old secret
    helpers.get_token(base, acct["id"], a)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:1",
                                    "https://127.0.0.1:{port}", "http://127.0.0.1:{port}.evil"])
def test_a_state_changing_call_from_another_origin_is_403(server, base, origin):
    s, csrf = signed_in(base, server.admin_key)
    r = api(s, "POST", base, "/accounts", csrf, origin=origin.format(port=server.port),
            json={"name": "cross"})
    err = assert_json_error(r, 403, "forbidden")
    assert "origin" in err["error_description"]


def post_with_headers(server, path, body, headers):
    """POST with a list of (name, value) headers, repeated names kept (requests merges
    them): (status, parsed JSON body)."""
    c = http.client.HTTPConnection(server.host, timeout=helpers.HTTP_TIMEOUT)
    try:
        c.putrequest("POST", path)
        for name, value in headers + [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))]:
            c.putheader(name, value)
        c.endheaders(body.encode())
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


def test_two_origin_headers_are_refused(server, base):
    # RFC 6454 §7.3: a user agent sends at most one Origin; checking only the first of two
    # would let a foreign second one through to anything that reads the last
    s, csrf = signed_in(base, server.admin_key)
    cookie = ("Cookie", "%s=%s" % (COOKIE, s.cookies.get(COOKIE)))
    ours = "http://" + server.host
    for pair in ((ours, "https://evil.example"), ("https://evil.example", ours), (ours, ours)):
        origins = [("Origin", pair[0]), ("Origin", pair[1])]
        status, err = post_with_headers(server, "/admin/v1/accounts", '{"name":"two"}',
                                        [cookie, ("X-CSRF-Token", csrf)] + origins)
        assert status == 403 and "origin" in err["error_description"], (pair, status, err)
        body = json.dumps({"admin_key": server.admin_key})
        status, err = post_with_headers(server, SESSION_PATH, body, origins)
        assert status == 403 and err["error"] == "forbidden", (pair, status, err)
    # one Origin of ours is fine, so the refusals were about the second one
    status, _ = post_with_headers(server, "/admin/v1/accounts", '{"name":"one"}',
                                  [cookie, ("X-CSRF-Token", csrf), ("Origin", ours)])
    assert status == 201


def test_reads_need_no_csrf_token(server, base):
    s, _ = signed_in(base, server.admin_key)
    assert api(s, "GET", base, "/accounts", origin="https://evil.example").status_code == 200


def test_bearer_calls_need_no_csrf_token_and_win_over_the_cookie(server, base):
    s, csrf = signed_in(base, server.admin_key)
    r = requests.post(base + "/admin/v1/accounts", json={"name": "bearer"},
                      headers={"Authorization": "Bearer " + server.admin_key,
                               "Origin": "https://evil.example"}, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 201, r.text
    # a wrong Bearer key is refused even next to a valid session cookie and its token
    r = api(s, "GET", base, "/accounts", headers={"Authorization": "Bearer nope"})
    assert_json_error(r, 401)


def test_a_tampered_or_foreign_cookie_is_401(server, base):
    _, r = sign_in(base, server.admin_key)
    value, _ = session_cookie(r)
    flipped = value[:40] + ("A" if value[40] != "A" else "B") + value[41:]
    for v in (flipped, value[:-2], value + "AA", "", "x" * len(value)):
        assert_json_error(api(with_cookie(v), "GET", base, "/accounts"), 401)
    # a session of another server (another server key) means nothing here
    other = make_server("panel-other")
    try:
        _, r2 = sign_in(other.base, other.admin_key)
        v2, _ = session_cookie(r2)
    finally:
        other.stop()
        other.kill()
    assert_json_error(api(with_cookie(v2), "GET", base, "/accounts"), 401)
    # our own, sent by hand, works (so the refusals above were about the value)
    assert api(with_cookie(value), "GET", base, "/accounts").status_code == 200


# ---------------------------------------------------------------- sign-out


def test_sign_out_needs_the_csrf_token(server, base):
    s, csrf = signed_in(base, server.admin_key)
    assert_json_error(s.delete(base + SESSION_PATH), 403)
    assert_json_error(s.delete(base + SESSION_PATH, headers={"X-CSRF-Token": csrf,
                                                             "Origin": "https://evil.example"}), 403)
    assert api(s, "GET", base, "/accounts").status_code == 200


def test_sign_out_ends_the_session_for_good(server, base):
    s, csrf = signed_in(base, server.admin_key)
    keep, _ = signed_in(base, server.admin_key)
    value = s.cookies.get(COOKIE)
    r = s.delete(base + SESSION_PATH, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204 and r.content == b""
    assert_panel_headers(r)
    cleared, attrs = session_cookie(r)
    assert cleared == "" and attrs.get("max-age") == "0" and attrs.get("path") == "/admin"
    old = with_cookie(value)
    assert_json_error(api(old, "GET", base, "/accounts"), 401)
    assert_json_error(old.get(base + SESSION_PATH), 401)
    assert_json_error(api(old, "POST", base, "/accounts", csrf, json={"name": "x"}), 401)
    # signing out again with the dead cookie: 401, and the cookie is cleared again
    r = old.delete(base + SESSION_PATH, headers={"X-CSRF-Token": csrf})
    assert_json_error(r, 401)
    assert session_cookie(r)[1].get("max-age") == "0"
    # another session of the same key lives on
    assert api(keep, "GET", base, "/accounts").status_code == 200
    # and the sign-out outlives a restart (it is in the store, not only in memory)
    server.restart()
    assert_json_error(api(old, "GET", base, "/accounts"), 401)
    assert api(keep, "GET", base, "/accounts").status_code == 200


# ---------------------------------------------------------------- expiry


IDLE, LIFETIME = 2, 6


@pytest.fixture(scope="module")
def short_server():
    srv = make_server("panel-short", ["--panel-session-idle", str(IDLE),
                                      "--panel-session-lifetime", str(LIFETIME)])
    yield srv
    srv.stop()
    srv.kill()


def test_an_idle_session_expires(short_server):
    base = short_server.base
    s, _ = signed_in(base, short_server.admin_key)
    assert api(s, "GET", base, "/accounts").status_code == 200
    # times are whole seconds: IDLE + 1.2 s after the last use is past the limit whatever
    # the fraction of a second at the start
    time.sleep(IDLE + 1.2)
    assert_json_error(api(s, "GET", base, "/accounts"), 401)
    assert_json_error(s.get(base + SESSION_PATH), 401)


def test_a_used_session_is_renewed_until_its_absolute_end(short_server):
    base = short_server.base
    s, _ = signed_in(base, short_server.admin_key)
    start = time.monotonic()
    first = s.cookies.get(COOKIE)
    renewals = 0
    ended = None
    # used every 0.7 s, it outlives its idle limit many times over, but not its lifetime
    while time.monotonic() - start < LIFETIME + 1.0:
        time.sleep(0.7)
        elapsed = time.monotonic() - start
        r = api(s, "GET", base, "/accounts")
        if elapsed < LIFETIME - 1:
            assert r.status_code == 200, (elapsed, r.text)
        if r.status_code == 401 and ended is None:
            ended = elapsed
        if "Set-Cookie" in r.headers and r.status_code == 200:
            renewals += 1
            _, attrs = session_cookie(r)
            assert 0 < int(attrs["max-age"]) <= LIFETIME and attrs.get("samesite") == "Strict"
    assert renewals >= 3 and s.cookies.get(COOKIE) != first
    assert ended is not None and LIFETIME - 1 <= ended <= LIFETIME + 0.9, ended


# ---------------------------------------------------------------- behind TLS


def test_the_cookie_is_secure_when_the_public_url_is_https():
    srv = make_server("panel-https", ["--public-url", "https://auth.example.test"])
    try:
        _, r = sign_in(srv.base, srv.admin_key)
        value, attrs = session_cookie(r)
        assert "secure" in attrs
        s = with_cookie(value)
        csrf = r.json()["csrf_token"]
        # the public URL's origin is ours; its http:// twin is not
        ok = api(s, "POST", srv.base, "/accounts", csrf, origin="https://auth.example.test",
                 json={"name": "tls"})
        assert ok.status_code == 201, ok.text
        no = api(s, "POST", srv.base, "/accounts", csrf, origin="http://auth.example.test",
                 json={"name": "tls"})
        assert_json_error(no, 403)
    finally:
        srv.stop()
        srv.kill()


@pytest.mark.parametrize("flag,value", [("--panel-session-idle", "0"),
                                        ("--panel-session-lifetime", "-1"),
                                        ("--panel-session-idle", "1h"),
                                        ("--panel-session-lifetime", str(31 * 86400))])
def test_bad_session_durations_are_usage_errors(tmp_path, flag, value):
    cp = helpers.run_cli(["serve", flag, value, "--listen", "127.0.0.1:0"],
                         data_dir=str(tmp_path))
    assert cp.returncode == 2, (cp.returncode, cp.stderr)
    assert flag.lstrip("-") in cp.stderr


@pytest.mark.parametrize("given,origin", [
    ("https://auth.example.com:443", "https://auth.example.com"),
    ("HTTPS://Auth.Example.COM:443/", "https://auth.example.com"),
    ("http://auth.example.com:80", "http://auth.example.com"),
    ("HTTP://AUTH.example.com", "http://auth.example.com"),
    ("https://[::1]:443", "https://[::1]"),
])
def test_a_default_port_or_capitals_in_the_public_url_are_normalised(given, origin):
    # Browsers send the Origin without a default port and in lower case (RFC 6454 §6.1):
    # the public URL is normalised once, so sign-in, the issuer and the metadata agree.
    srv = make_server("panel-default-port", ["--public-url", given])
    try:
        _, r = sign_in(srv.base, srv.admin_key, headers={"Origin": origin})
        assert r.status_code == 201, r.text
        # the cookie is Secure under an https public URL: sent by hand over plain http
        s, csrf = with_cookie(session_cookie(r)[0]), r.json()["csrf_token"]
        r = api(s, "POST", srv.base, "/accounts", csrf, origin=origin, json={"name": "port"})
        assert r.status_code == 201, r.text
        acct = r.json()["id"]
        r = api(s, "POST", srv.base, "/accounts/%s/accesses" % acct, csrf, origin=origin,
                json={"name": "p", "actions": ["flag.list"]})
        assert r.status_code == 201, r.text
        helpers.record_secret(r.json()["client_secret"])
        issuer = origin + "/" + acct
        t = helpers.get_token(srv.base, acct, r.json())
        assert helpers.jwt_decode(t["access_token"])[1]["iss"] == issuer
        doc = metadata(srv.base, acct).json()
        assert doc["issuer"] == issuer and doc["token_endpoint"] == issuer + "/token", doc
        assert doc["jwks_uri"] == origin + "/.well-known/jwks.json", doc
        # the port no browser sends is not another origin of ours
        _, r = sign_in(srv.base, srv.admin_key, headers={"Origin": origin + ":8443"})
        assert_json_error(r, 403)
    finally:
        srv.stop()
        srv.kill()
