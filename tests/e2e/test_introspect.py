# SPDX-License-Identifier: MIT
"""POST /{ACCOUNT_ID}/introspect (RFC 7662, SPEC §7): who may ask (an access of the account
by HTTP Basic or body credentials, or an admin key as Bearer), what an active token looks
like, and that every kind of dead or foreign token gets exactly {"active":false}."""

import json
import time

import requests

import helpers
from helpers import assert_json_error, jwt_decode
from token_ops import (INACTIVE, admin_bearer, assert_active, assert_inactive, basic,
                       body_creds, introspect, revoke)


def test_active_access_token_fields(base, acct, pair):
    a, b = pair
    t = helpers.get_token(base, acct["id"], a, expires_in=1800, scope="campaign.read")
    _, claims = jwt_decode(t["access_token"])
    d = assert_active(introspect(base, acct["id"], t["access_token"], auth=basic(b)))
    assert d == {
        "active": True,
        "scope": t["scope"],
        "client_id": a["client_id"],
        "account": acct["id"],
        "exp": claims["iat"] + 1800,
        "iat": claims["iat"],
        "sub": a["client_id"],
        "iss": base + "/" + acct["id"],
        "token_type": "Bearer",
        "jti": claims["jti"],
    }, d
    assert claims["iss"] == d["iss"] and claims["exp"] == d["exp"]
    assert abs(d["iat"] - time.time()) < 60


def test_non_expiring_token_has_no_exp(base, acct, pair):
    a, _ = pair
    t = helpers.get_token(base, acct["id"], a, expires_in=0)
    d = assert_active(introspect(base, acct["id"], t["access_token"], auth=basic(a)))
    assert "exp" not in d, d
    assert d["scope"] == "campaign.read flag.list env:*", d


def test_caller_by_body_credentials(base, acct, pair):
    a, b = pair
    t = helpers.get_token(base, acct["id"], a)
    d = assert_active(introspect(base, acct["id"], t["access_token"], data=body_creds(b)))
    assert d["client_id"] == a["client_id"]


def test_caller_by_json_body(base, acct, pair):
    a, b = pair
    t = helpers.get_token(base, acct["id"], a)
    body = dict(body_creds(b), token=t["access_token"])
    assert_active(introspect(base, acct["id"], json_body=body))


def test_caller_by_admin_key(server, base, acct, pair):
    a, _ = pair
    t = helpers.get_token(base, acct["id"], a)
    d = assert_active(introspect(base, acct["id"], t["access_token"],
                                 headers=admin_bearer(server.admin_key)))
    assert d["client_id"] == a["client_id"]
    assert_inactive(introspect(base, acct["id"], "garbage",
                               headers=admin_bearer(server.admin_key)))


def test_token_type_hint_is_only_a_hint(base, acct, pair):
    a, b = pair
    t = helpers.get_token(base, acct["id"], a)
    for hint in ("refresh_token", "access_token", "something_else"):
        assert_active(introspect(base, acct["id"], t["access_token"], auth=basic(b), hint=hint))
        assert_active(introspect(base, acct["id"], t["refresh_token"], auth=basic(b), hint=hint))


def _forged(token):
    """The same claims with another access's client id, signature kept."""
    h, p, s = token.split(".")
    claims = jwt_decode(token)[1]
    claims["client_id"] = claims["sub"] = "00000000-0000-4000-8000-000000000000"
    p2 = helpers.b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    return ".".join([h, p2, s])


def test_every_inactive_kind_is_exactly_active_false(server, admin, base, acct, pair):
    a, b = pair
    other = admin.create_access(acct["id"], actions=["campaign.read"])
    expiring = helpers.get_token(base, acct["id"], a, expires_in=1)["access_token"]
    revoked_single = helpers.get_token(base, acct["id"], a)["access_token"]
    assert revoke(base, acct["id"], revoked_single, auth=basic(a)).status_code == 200
    of_revoked_access = helpers.get_token(base, acct["id"], other)["access_token"]
    admin.revoke(acct["id"], other["client_id"])
    live = helpers.get_token(base, acct["id"], a)["access_token"]
    h, p, s = live.split(".")
    bad_sig = ".".join([h, p, s[:-4] + ("AAAA" if s[-4:] != "AAAA" else "BBBB")])
    b_acct = admin.create_account()
    b_access = admin.create_access(b_acct["id"], actions=["campaign.read"])
    of_other_account = helpers.get_token(base, b_acct["id"], b_access)["access_token"]
    time.sleep(2.1)  # expiring is dead the second its exp passes

    kinds = {
        "expired": expiring,
        "revoked single token": revoked_single,
        "token of a revoked access": of_revoked_access,
        "bad signature": bad_sig,
        "forged claims": _forged(live),
        "garbage": "garbage",
        "three dots": "a.b.c",
        "alg none": helpers.b64url_encode(b'{"alg":"none","typ":"at+jwt"}') + "." + p + ".",
        "another account's token": of_other_account,
        "unknown refresh token": "rt1.e30.AAAA",
    }
    for caller in ({"auth": basic(b)}, {"headers": admin_bearer(server.admin_key)}):
        for kind, token in kinds.items():
            r = introspect(base, acct["id"], token, **caller)
            assert r.status_code == 200, (kind, r.status_code, r.text)
            assert r.json() == INACTIVE, (kind, r.text)
    # the live one next to them is still active: the inactive answers are not a blanket "no"
    assert_active(introspect(base, acct["id"], live, auth=basic(b)))
    # and B's token is active at B, for B's own access
    assert_active(introspect(base, b_acct["id"], of_other_account, auth=basic(b_access)))


def test_refresh_tokens(base, acct, pair):
    a, b = pair
    t = helpers.get_token(base, acct["id"], a, expires_in=600, scope="flag.list")
    d = assert_active(introspect(base, acct["id"], t["refresh_token"], auth=basic(b)))
    assert d == {"active": True, "scope": t["scope"], "client_id": a["client_id"],
                 "account": acct["id"], "sub": a["client_id"],
                 "iss": base + "/" + acct["id"]}, d
    # introspecting does not spend it
    r = helpers.refresh_request(base, acct["id"], a["client_id"], t["refresh_token"])
    t2 = helpers.assert_token_ok(r)
    helpers.record_token_answer(t2)
    # the spent one is inactive — and asking about it does not revoke the chain
    assert_inactive(introspect(base, acct["id"], t["refresh_token"], auth=basic(b)))
    assert_active(introspect(base, acct["id"], t2["refresh_token"], auth=basic(b)))
    # a revoked chain
    assert revoke(base, acct["id"], t2["refresh_token"], auth=basic(a)).status_code == 200
    assert_inactive(introspect(base, acct["id"], t2["refresh_token"], auth=basic(b)))


def test_refresh_token_of_revoked_access_or_other_account(admin, base, acct, pair):
    a, b = pair
    t = helpers.get_token(base, acct["id"], a)
    b_acct = admin.create_account()
    b_access = admin.create_access(b_acct["id"], actions=["campaign.read"])
    assert_inactive(introspect(base, b_acct["id"], t["refresh_token"], auth=basic(b_access)))
    admin.revoke(acct["id"], a["client_id"])
    assert_inactive(introspect(base, acct["id"], t["refresh_token"], auth=basic(b)))


def _assert_invalid_client(r, basic_challenge):
    body = assert_json_error(r, 401, "invalid_client")
    assert "access_token" not in body and "active" not in body
    www = r.headers.get("WWW-Authenticate", "")
    if basic_challenge:
        assert www == 'Basic realm="rcauth"', r.headers
    return body


def test_bad_callers_get_401(server, admin, base, acct, pair):
    a, b = pair
    token = helpers.get_token(base, acct["id"], a)["access_token"]
    wrong = dict(b, client_secret="0" * 64)
    unknown = {"client_id": "00000000-0000-4000-8000-000000000000", "client_secret": "0" * 64}
    b_acct = admin.create_account()
    foreign = admin.create_access(b_acct["id"], actions=["campaign.read"])

    _assert_invalid_client(introspect(base, acct["id"], token), True)
    w = _assert_invalid_client(introspect(base, acct["id"], token, auth=basic(wrong)), True)
    u = _assert_invalid_client(introspect(base, acct["id"], token, auth=basic(unknown)), True)
    assert w == u  # unknown client and wrong secret are indistinguishable
    _assert_invalid_client(introspect(base, acct["id"], token, data=body_creds(wrong)), False)
    _assert_invalid_client(introspect(base, acct["id"], token,
                                      data={"client_id": b["client_id"]}), False)
    # another account's access, with its right secret
    _assert_invalid_client(introspect(base, acct["id"], token, auth=basic(foreign)), True)
    # a bad admin key, or an access token where the admin key goes
    r = introspect(base, acct["id"], token, headers=admin_bearer("rcak_" + "0" * 64))
    _assert_invalid_client(r, False)
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers
    _assert_invalid_client(introspect(base, acct["id"], token, headers=admin_bearer(token)), False)
    # a revoked calling access
    admin.revoke(acct["id"], b["client_id"])
    _assert_invalid_client(introspect(base, acct["id"], token, auth=basic(b)), True)


def test_missing_token_is_400(server, base, acct, pair):
    _, b = pair
    for kw in ({"auth": basic(b)}, {"headers": admin_bearer(server.admin_key)}):
        assert_json_error(introspect(base, acct["id"], **kw), 400, "invalid_request")
        assert_json_error(introspect(base, acct["id"], "", **kw), 400, "invalid_request")


def test_malformed_requests_are_400(base, acct, pair):
    a, b = pair
    token = helpers.get_token(base, acct["id"], a)["access_token"]
    url = "%s/%s/introspect" % (base, acct["id"])
    twice = "token=%s&token=%s" % (token, token)
    r = requests.post(url, data=twice, auth=basic(b), timeout=helpers.HTTP_TIMEOUT,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_json_error(r, 400, "invalid_request")
    r = requests.post(url, data="{not json", auth=basic(b), timeout=helpers.HTTP_TIMEOUT,
                      headers={"Content-Type": "application/json"})
    assert_json_error(r, 400, "invalid_request")
    # credentials both in Basic and in the body
    r = introspect(base, acct["id"], token, auth=basic(b),
                   data={"client_secret": b["client_secret"]})
    assert_json_error(r, 400, "invalid_request")


def test_only_post(base, acct):
    r = requests.get("%s/%s/introspect" % (base, acct["id"]), timeout=helpers.HTTP_TIMEOUT)
    assert_json_error(r, 405)
