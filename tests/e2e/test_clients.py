# SPDX-License-Identifier: MIT
"""Acceptance 3: requests shaped like the existing CLI clients (SPEC §2, §3, §12,
PITFALLS "The existing clients of the hosted service")."""

import gzip
import json

import pytest
import requests

import helpers
from helpers import assert_token_ok, post_token, verify

CLIENT_HEADERS = {"Accept": "*/*", "Accept-Encoding": "gzip, deflate, br",
                  "User-Agent": "flagship-cli/1.0"}


def body_of(access, order=None, scope="*"):
    items = [("grant_type", "client_credentials"), ("scope", scope),
             ("client_id", access["client_id"]), ("client_secret", access["client_secret"])]
    if scope is None:
        items = [kv for kv in items if kv[0] != "scope"]
    if order == "reversed":
        items.reverse()
    return dict(items)


def send_raw(base, acct, text, headers=None, params=None):
    h = dict(CLIENT_HEADERS)
    h["Content-Type"] = "application/json"
    h.update(headers or {})
    return post_token(base, "/%s/token" % acct["id"], params=params, data=text.encode(), headers=h)


def assert_client_success(r):
    assert r.status_code == 200, (r.status_code, r.text)  # exactly 200, never 201
    d = assert_token_ok(r)
    assert r.headers.get("Content-Encoding") in (None, "gzip"), dict(r.headers)
    return d


def test_compact_json(base, acct, access):
    assert_client_success(send_raw(base, acct, json.dumps(body_of(access), separators=(",", ":")),
                                   params={"expires_in": "0"}))


def test_pretty_printed_json(base, acct, access):
    assert_client_success(send_raw(base, acct, json.dumps(body_of(access), indent=2) + "\n",
                                   params={"expires_in": "1800"}))


def test_pretty_printed_json_crlf_tabs(base, acct, access):
    text = json.dumps(body_of(access), indent="\t").replace("\n", "\r\n")
    assert_client_success(send_raw(base, acct, text))


def test_keys_in_another_order(base, acct, access):
    text = json.dumps(body_of(access, order="reversed"))
    assert text.startswith('{"client_secret"')
    assert_client_success(send_raw(base, acct, text, params={"expires_in": "0"}))


def test_scope_absent(base, acct, access):
    d = assert_client_success(send_raw(base, acct, json.dumps(body_of(access, scope=None))))
    assert d["scope"] == "campaign.read campaign.toggle flag.list env:*", d


def test_grant_type_and_scope_absent(base, acct, access):
    text = json.dumps({"client_id": access["client_id"], "client_secret": access["client_secret"]})
    assert_client_success(send_raw(base, acct, text))


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8",
                                   "application/json;charset=UTF-8", "Application/JSON"])
def test_json_content_type_variants(base, acct, access, ctype):
    assert_client_success(send_raw(base, acct, json.dumps(body_of(access)),
                                   headers={"Content-Type": ctype}))


@pytest.mark.parametrize("expires_in", [0, 1800, 43200, 86400, 31536000, 7])
def test_expires_in_values_seen(base, acct, access, expires_in):
    d = assert_client_success(send_raw(base, acct, json.dumps(body_of(access)),
                                       params={"expires_in": str(expires_in)}))
    assert d["expires_in"] == expires_in, d
    _, payload = helpers.jwt_decode(d["access_token"])
    if expires_in == 0:
        assert "exp" not in payload, payload
    else:
        assert payload["exp"] - payload["iat"] == expires_in, payload


@pytest.mark.parametrize("authz", ["Bearer ", "Bearer", "Bearer undefined", "Bearer null",
                                   "Bearer abc.def.ghi"])
def test_stale_or_empty_bearer_ignored(base, acct, access, authz):
    d = assert_client_success(send_raw(base, acct, json.dumps(body_of(access)),
                                       headers={"Authorization": authz},
                                       params={"expires_in": "0"}))
    assert helpers.jwt_decode(d["access_token"])[1]["client_id"] == access["client_id"]


def test_old_revoked_token_as_bearer_ignored(base, admin, acct, access):
    old = admin.create_access(acct["id"], actions=["campaign.read"])
    old_token = helpers.get_token(base, acct["id"], old)["access_token"]
    admin.revoke(acct["id"], old["client_id"])
    d = assert_client_success(send_raw(base, acct, json.dumps(body_of(access)),
                                       headers={"Authorization": "Bearer " + old_token}))
    assert helpers.jwt_decode(d["access_token"])[1]["client_id"] == access["client_id"]


def test_own_previous_token_as_bearer_ignored(base, acct, access):
    prev = helpers.get_token(base, acct["id"], access, expires_in=1800)["access_token"]
    d = assert_client_success(send_raw(base, acct, json.dumps(body_of(access)),
                                       headers={"Authorization": "Bearer " + prev}))
    assert d["access_token"] != prev


def test_valid_token_of_other_access_as_bearer_does_not_authenticate(base, admin, acct, access):
    """A Bearer never carries client credentials: with a wrong secret in the body, a valid
    Bearer token of another access must not rescue the request."""
    other = admin.create_access(acct["id"], actions=["project.list"])
    other_token = helpers.get_token(base, acct["id"], other)["access_token"]
    text = json.dumps({"grant_type": "client_credentials", "client_id": access["client_id"],
                       "client_secret": "0" * 64})
    r = send_raw(base, acct, text, headers={"Authorization": "Bearer " + other_token})
    helpers.assert_token_error(r, 401, "invalid_client")


def test_refresh_request_like_clients(base, acct, access):
    """Refresh requests carry no query string at all, and the stored token as Bearer."""
    d = helpers.get_token(base, acct["id"], access, expires_in=1800)
    text = json.dumps({"grant_type": "refresh_token", "client_id": access["client_id"],
                       "refresh_token": d["refresh_token"]})
    d2 = assert_client_success(send_raw(base, acct, text,
                                        headers={"Authorization": "Bearer " + d["access_token"]}))
    assert d2["access_token"] != d["access_token"]
    assert d2.get("refresh_token") and d2["refresh_token"] != d["refresh_token"], d2


# ---------------------------------------------------------------- verification


def test_verify_query_wins_over_revoked_bearer(base, admin, acct, access):
    old = admin.create_access(acct["id"], actions=["campaign.read"])
    old_token = helpers.get_token(base, acct["id"], old)["access_token"]
    admin.revoke(acct["id"], old["client_id"])
    t = helpers.get_token(base, acct["id"], access)["access_token"]
    r = verify(base, t, bearer=old_token, headers=CLIENT_HEADERS)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.json()["client_id"] == access["client_id"]


def test_verify_query_wins_over_other_valid_bearer(base, admin, acct, access):
    other_acct = admin.create_account()
    other = admin.create_access(other_acct["id"], actions=["project.list"])
    other_token = helpers.get_token(base, other_acct["id"], other)["access_token"]
    t = helpers.get_token(base, acct["id"], access)["access_token"]
    r = verify(base, t, bearer=other_token, headers=CLIENT_HEADERS)
    assert r.status_code == 200, (r.status_code, r.text)
    v = r.json()
    assert v["client_id"] == access["client_id"] and v["account"] == acct["id"], v


def test_verify_query_garbage_with_valid_bearer_checks_query(base, acct, access):
    t = helpers.get_token(base, acct["id"], access)["access_token"]
    r = verify(base, "garbage", bearer=t, headers=CLIENT_HEADERS)
    helpers.assert_json_error(r, 401, "invalid_token")


@pytest.mark.parametrize("authz", ["Bearer ", "Bearer undefined"])
def test_verify_query_with_empty_or_undefined_bearer(base, acct, access, authz):
    t = helpers.get_token(base, acct["id"], access)["access_token"]
    r = helpers.requests.get(base + "/token?access_token=" + t,
                             headers=dict(CLIENT_HEADERS, Authorization=authz),
                             timeout=10, allow_redirects=False)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.json()["client_id"] == access["client_id"]


# ---------------------------------------------------------------- compression


def raw_answer(method, url, headers, **kw):
    """Send with exactly these Accept-Encoding semantics; return (response, raw bytes)."""
    s = requests.Session()
    s.headers.pop("Accept-Encoding", None)
    r = s.request(method, url, headers=headers, stream=True, timeout=10,
                  allow_redirects=False, **kw)
    raw = r.raw.read(decode_content=False)
    return r, raw


def decoded_json(r, raw):
    enc = r.headers.get("Content-Encoding")
    assert enc in (None, "gzip", "identity"), "Content-Encoding %r" % enc
    if enc == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def token_post_args(acct, access):
    return dict(data=json.dumps(body_of(access)).encode())


@pytest.mark.parametrize("ae", ["gzip, deflate, br", "gzip", "br;q=1.0, gzip;q=0.8, *;q=0.1"])
def test_token_answer_plain_or_gzip(base, acct, access, ae):
    r, raw = raw_answer("POST", base + "/%s/token" % acct["id"],
                        {"Content-Type": "application/json", "Accept-Encoding": ae},
                        **token_post_args(acct, access))
    assert r.status_code == 200, (r.status_code, raw[:200])
    d = decoded_json(r, raw)
    helpers.record_token_answer(d)
    assert d["access_token"]


@pytest.mark.parametrize("ae", [None, "deflate, br", "br", "deflate", "identity"])
def test_token_answer_not_compressed_unless_gzip_asked(base, acct, access, ae):
    h = {"Content-Type": "application/json"}
    if ae is not None:
        h["Accept-Encoding"] = ae
    r, raw = raw_answer("POST", base + "/%s/token" % acct["id"], h,
                        **token_post_args(acct, access))
    assert r.status_code == 200, (r.status_code, raw[:200])
    assert r.headers.get("Content-Encoding") in (None, "identity"), dict(r.headers)
    d = json.loads(raw)
    helpers.record_token_answer(d)
    assert d["access_token"]


@pytest.mark.parametrize("ae", ["gzip, deflate, br", "deflate, br", None])
def test_verify_answer_plain_or_gzip(base, acct, access, ae):
    t = helpers.get_token(base, acct["id"], access)["access_token"]
    h = {"Authorization": "Bearer undefined"}
    if ae is not None:
        h["Accept-Encoding"] = ae
    r, raw = raw_answer("GET", base + "/token?access_token=" + t, h)
    assert r.status_code == 200, (r.status_code, raw[:200])
    if ae is None or "gzip" not in ae:
        assert r.headers.get("Content-Encoding") in (None, "identity"), dict(r.headers)
    assert decoded_json(r, raw)["client_id"] == access["client_id"]


@pytest.mark.parametrize("ae", ["gzip, deflate, br", "deflate, br"])
def test_error_answer_plain_or_gzip(base, acct, access, ae):
    r, raw = raw_answer("POST", base + "/%s/token" % acct["id"],
                        {"Content-Type": "application/json", "Accept-Encoding": ae},
                        data=b'{"grant_type":')
    assert r.status_code == 400, (r.status_code, raw[:200])
    if "gzip" not in ae:
        assert r.headers.get("Content-Encoding") in (None, "identity"), dict(r.headers)
    assert decoded_json(r, raw)["error"] == "invalid_request"
