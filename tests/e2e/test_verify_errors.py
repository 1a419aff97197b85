# SPDX-License-Identifier: MIT
"""Acceptance 2 (second half) and 4 (401 vs 400 at GET /token): SPEC §3's answers —
expired, revoked, malformed, forged token → 401 invalid_token with
`WWW-Authenticate: Bearer error="invalid_token"`; missing token → 400 invalid_request."""

import json
import time

import pytest

import helpers
from helpers import assert_json_error, b64url_decode, b64url_encode, verify


def assert_invalid_token(r):
    body = assert_json_error(r, 401, "invalid_token")
    www = r.headers.get("WWW-Authenticate", "")
    assert www.startswith("Bearer"), dict(r.headers)
    assert 'error="invalid_token"' in www, www
    return body


@pytest.fixture
def token(base, acct, access):
    return helpers.get_token(base, acct["id"], access, expires_in=0)["access_token"]


def test_valid_token_in_query(base, acct, access, token):
    r = verify(base, token)
    assert r.status_code == 200, (r.status_code, r.text)
    assert helpers.is_json_ct(r), r.headers
    v = r.json()
    assert v["client_id"] == access["client_id"] and v["account"] == acct["id"], v
    assert v["active"] is True, v


def test_valid_token_as_bearer_only(base, acct, access, token):
    r = verify(base, None, bearer=token)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.json()["client_id"] == access["client_id"]


def test_expired_token(base, acct, access):
    d = helpers.get_token(base, acct["id"], access, expires_in=2)
    assert d["expires_in"] == 2, d
    _, payload = helpers.jwt_decode(d["access_token"])
    r = verify(base, d["access_token"])
    assert r.status_code == 200, (r.status_code, r.text)
    # no grace period: dead the second exp passes
    while time.time() < payload["exp"] + 0.2:
        time.sleep(0.05)
    assert_invalid_token(verify(base, d["access_token"]))


def test_expired_token_as_bearer(base, acct, access):
    d = helpers.get_token(base, acct["id"], access, expires_in=1)
    _, payload = helpers.jwt_decode(d["access_token"])
    while time.time() < payload["exp"] + 0.2:
        time.sleep(0.05)
    assert_invalid_token(verify(base, None, bearer=d["access_token"]))


def test_revoked_token(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    t = helpers.get_token(base, acct["id"], a)["access_token"]
    assert verify(base, t).status_code == 200
    admin.revoke(acct["id"], a["client_id"])
    assert_invalid_token(verify(base, t))


@pytest.mark.parametrize("bad", ["abc", "a.b.c", "undefined", "null", "eyJhbGciOiJFZERTQSJ9",
                                 "eyJhbGciOiJFZERTQSJ9.e30.", "...", "x" * 600])
def test_malformed_token(base, bad):
    assert_invalid_token(verify(base, bad))


def test_truncated_token(base, token):
    assert_invalid_token(verify(base, token[:-3]))


def test_token_with_extra_segment(base, token):
    assert_invalid_token(verify(base, token + ".AAAA"))


def _forge_payload(token, **changes):
    h, p, s = token.split(".")
    payload = json.loads(b64url_decode(p))
    payload.update(changes)
    return h + "." + b64url_encode(json.dumps(payload, separators=(",", ":")).encode()) + "." + s


def test_forged_payload_scope(base, token):
    forged = _forge_payload(token, scope=" ".join(helpers.CATALOG) + " env:*")
    helpers.record_secret(forged)
    assert_invalid_token(verify(base, forged))


def test_forged_payload_account(base, admin, token):
    other = admin.create_account()
    forged = _forge_payload(token, account=other["id"])
    helpers.record_secret(forged)
    assert_invalid_token(verify(base, forged))


def test_forged_payload_exp_extended(base, acct, access):
    t = helpers.get_token(base, acct["id"], access, expires_in=60)["access_token"]
    forged = _forge_payload(t, exp=int(time.time()) + 10 ** 7)
    assert_invalid_token(verify(base, forged))


def test_forged_signature_bit_flip(base, token):
    h, p, s = token.split(".")
    sig = bytearray(b64url_decode(s))
    sig[0] ^= 1
    assert_invalid_token(verify(base, h + "." + p + "." + b64url_encode(bytes(sig))))


def test_forged_alg_none(base, token):
    header, _ = helpers.jwt_decode(token)
    _, p, _ = token.split(".")
    h = b64url_encode(json.dumps({"alg": "none", "typ": "at+jwt", "kid": header["kid"]}).encode())
    assert_invalid_token(verify(base, h + "." + p + "."))


def test_forged_alg_hs256_with_kid(base, token):
    import hashlib
    import hmac
    header, _ = helpers.jwt_decode(token)
    _, p, _ = token.split(".")
    h = b64url_encode(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]}).encode())
    sig = hmac.new(header["kid"].encode(), (h + "." + p).encode(), hashlib.sha256).digest()
    assert_invalid_token(verify(base, h + "." + p + "." + b64url_encode(sig)))


def test_forged_unknown_kid(base, token):
    header, _ = helpers.jwt_decode(token)
    _, p, s = token.split(".")
    header["kid"] = "no-such-key"
    h = b64url_encode(json.dumps(header).encode())
    assert_invalid_token(verify(base, h + "." + p + "." + s))


def test_missing_token(base):
    body = assert_json_error(verify(base, None), 400, "invalid_request")
    assert "access_token" not in body


def test_missing_token_with_other_query(base):
    r = helpers.requests.get(base + "/token?foo=bar", timeout=10, allow_redirects=False)
    assert_json_error(r, 400, "invalid_request")


def test_bearer_undefined_without_query(base):
    assert_invalid_token(verify(base, None, bearer="undefined"))


def test_bearer_garbage_without_query(base):
    assert_invalid_token(verify(base, None, bearer="abc.def.ghi"))

