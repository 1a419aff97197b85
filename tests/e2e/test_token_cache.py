# SPDX-License-Identifier: MIT
"""The verified-token cache (README, "Design in one page"): a token checked before is not
verified again, yet every check that can change still happens on every request. So a token
that GET /token, introspection and /authorize have all accepted several times (cached) is
refused by all three at once when its access is revoked, when it is revoked on its own
(RFC 7009), when its signing key is retired, and the second its exp passes; and a token
that differs from a cached one in any byte is refused."""

import json
import time

import pytest
import requests

import helpers
from helpers import assert_json_error, b64url_decode, b64url_encode, verify
from token_ops import admin_bearer, basic, introspect, revoke


@pytest.fixture
def gate_access(admin, acct):
    env = admin.create_env(acct["id"], name="production")
    a = admin.create_access(acct["id"], actions=["campaign.read"], environments=[env["id"]])
    return a, env["id"]


def _answers(server, account, env, tok):
    """(GET /token status, introspection answer, /authorize status) for tok."""
    v = verify(server.base, tok)
    r = introspect(server.base, account, tok, headers=admin_bearer(server.admin_key))
    assert r.status_code == 200, (r.status_code, r.text)
    g = requests.get(server.base + "/authorize", timeout=helpers.HTTP_TIMEOUT, headers={
        "Authorization": "Bearer " + tok, "X-Original-Method": "GET",
        "X-Original-URI": "/v1/accounts/%s/account_environments/%s/campaigns/c1" % (account, env)})
    return v.status_code, r.json(), g.status_code


def assert_accepted_repeatedly(server, account, env, tok, times=3):
    for _ in range(times):
        status, answer, gate = _answers(server, account, env, tok)
        assert (status, answer.get("active"), gate) == (200, True, 204), (status, answer, gate)


def assert_refused_everywhere(server, account, env, tok):
    r = verify(server.base, tok)
    assert_json_error(r, 401, "invalid_token")
    assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", "")
    status, answer, gate = _answers(server, account, env, tok)
    assert (status, answer, gate) == (401, {"active": False}, 401), (status, answer, gate)


def test_revoked_access(server, admin, acct, gate_access):
    a, env = gate_access
    tok = helpers.get_token(server.base, acct["id"], a, expires_in=600)["access_token"]
    assert_accepted_repeatedly(server, acct["id"], env, tok)
    admin.revoke(acct["id"], a["client_id"])
    assert_refused_everywhere(server, acct["id"], env, tok)


def test_revoked_token(server, acct, gate_access):
    a, env = gate_access
    tok = helpers.get_token(server.base, acct["id"], a, expires_in=0)["access_token"]
    sibling = helpers.get_token(server.base, acct["id"], a, expires_in=0)["access_token"]
    assert_accepted_repeatedly(server, acct["id"], env, tok)
    assert_accepted_repeatedly(server, acct["id"], env, sibling, times=1)
    r = revoke(server.base, acct["id"], tok, auth=basic(a))
    assert r.status_code == 200, (r.status_code, r.text)
    assert_refused_everywhere(server, acct["id"], env, tok)
    assert_accepted_repeatedly(server, acct["id"], env, sibling, times=1)


def test_expiry(server, acct, gate_access):
    a, env = gate_access
    d = helpers.get_token(server.base, acct["id"], a, expires_in=2)
    exp = helpers.jwt_decode(d["access_token"])[1]["exp"]
    assert_accepted_repeatedly(server, acct["id"], env, d["access_token"])
    # still cached and checked while it lives; dead the second exp passes (no grace)
    while time.time() < exp - 0.3:
        assert verify(server.base, d["access_token"]).status_code == 200
        time.sleep(0.1)
    while time.time() < exp + 0.05:
        time.sleep(0.02)
    assert_refused_everywhere(server, acct["id"], env, d["access_token"])


def test_retired_key(server, acct, gate_access):
    a, env = gate_access
    admin = server.admin()
    old = helpers.get_token(server.base, acct["id"], a, expires_in=600)["access_token"]
    old_kid = helpers.jwt_decode(old)[0]["kid"]
    r = admin.post("/keys/rotate", {})
    assert r.status_code == 200, (r.status_code, r.text)
    new = helpers.get_token(server.base, acct["id"], a, expires_in=600)["access_token"]
    assert helpers.jwt_decode(new)[0]["kid"] != old_kid
    assert_accepted_repeatedly(server, acct["id"], env, old)
    assert_accepted_repeatedly(server, acct["id"], env, new)
    r = admin.delete("/keys/%s" % old_kid)
    assert r.status_code == 204, (r.status_code, r.text)
    assert_refused_everywhere(server, acct["id"], env, old)
    assert_accepted_repeatedly(server, acct["id"], env, new, times=1)


def test_near_copies_of_a_cached_token_are_refused(server, acct, gate_access):
    a, env = gate_access
    tok = helpers.get_token(server.base, acct["id"], a, expires_in=600)["access_token"]
    assert_accepted_repeatedly(server, acct["id"], env, tok)
    h, p, s = tok.split(".")
    sig = bytearray(b64url_decode(s))
    sig[0] ^= 1
    claims = helpers.jwt_decode(tok)[1]
    claims["scope"] = "campaign.read campaign.toggle env:*"
    bigger = b64url_encode(json.dumps(claims).encode())
    for forged in (h + "." + p + "." + b64url_encode(bytes(sig)),  # one bit of the signature
                   h + "." + bigger + "." + s,  # another payload, the same signature
                   tok[:-1],  # cut short
                   tok + "A",  # one more character
                   tok + "."):
        r = verify(server.base, forged)
        assert_json_error(r, 401, "invalid_token")
    assert_accepted_repeatedly(server, acct["id"], env, tok, times=1)
