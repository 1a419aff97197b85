# SPDX-License-Identifier: MIT
"""POST /{ACCOUNT_ID}/revoke (RFC 7009, SPEC §7): an access revokes one of its own tokens —
at once here, within a second on another process sharing the store, and for good across a
restart — while anything that is not its own live token is answered 200 and left alone."""

import os
import time
import uuid


import helpers
from helpers import assert_json_error, jwt_decode, verify
from token_ops import (admin_bearer, assert_active, assert_inactive, basic, body_creds,
                       introspect, revoke)


def _assert_revoke_ok(r):
    """RFC 7009 §2.2: 200; the body is ignored by clients, ours is {}."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert helpers.is_json_ct(r), r.headers
    assert r.json() == {}, r.text
    helpers.assert_no_cache(r)


def test_revoked_access_token_dies_at_once_others_live(base, acct, pair):
    a, b = pair
    victim = helpers.get_token(base, acct["id"], a, expires_in=1800)
    sibling = helpers.get_token(base, acct["id"], a, expires_in=0)
    assert verify(base, victim["access_token"]).status_code == 200

    _assert_revoke_ok(revoke(base, acct["id"], victim["access_token"], auth=basic(a)))

    r = verify(base, victim["access_token"])
    assert_json_error(r, 401, "invalid_token")
    assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", "")
    assert_json_error(verify(base, None, bearer=victim["access_token"]), 401, "invalid_token")
    assert_inactive(introspect(base, acct["id"], victim["access_token"], auth=basic(b)))
    # the same access's other token, its refresh token, and new tokens still work
    assert verify(base, sibling["access_token"]).status_code == 200
    assert_active(introspect(base, acct["id"], sibling["access_token"], auth=basic(b)))
    r = helpers.refresh_request(base, acct["id"], a["client_id"], victim["refresh_token"])
    fresh = helpers.assert_token_ok(r)
    helpers.record_token_answer(fresh)
    assert verify(base, fresh["access_token"]).status_code == 200
    # revoking again is still 200
    _assert_revoke_ok(revoke(base, acct["id"], victim["access_token"], auth=basic(a)))


def test_body_credentials_and_hint(base, acct, pair):
    a, _ = pair
    t = helpers.get_token(base, acct["id"], a)["access_token"]
    _assert_revoke_ok(revoke(base, acct["id"], t, data=body_creds(a), hint="access_token"))
    assert verify(base, t).status_code == 401
    t = helpers.get_token(base, acct["id"], a)["access_token"]
    # a wrong hint is only a hint (RFC 7009 §2.1)
    _assert_revoke_ok(revoke(base, acct["id"], t, auth=basic(a), hint="refresh_token"))
    assert verify(base, t).status_code == 401
    t = helpers.get_token(base, acct["id"], a)["access_token"]
    r = revoke(base, acct["id"], json_body=dict(body_creds(a), token=t))
    _assert_revoke_ok(r)
    assert verify(base, t).status_code == 401


def test_foreign_tokens_are_left_alone(admin, base, acct, pair):
    a, b = pair
    ta = helpers.get_token(base, acct["id"], a)
    # another access of the same account cannot revoke a's tokens: 200, nothing revoked
    _assert_revoke_ok(revoke(base, acct["id"], ta["access_token"], auth=basic(b)))
    _assert_revoke_ok(revoke(base, acct["id"], ta["refresh_token"], auth=basic(b)))
    # nor can an access of another account, at its own account's endpoint
    other_acct = admin.create_account()
    other = admin.create_access(other_acct["id"], actions=["campaign.read"])
    _assert_revoke_ok(revoke(base, other_acct["id"], ta["access_token"], auth=basic(other)))
    _assert_revoke_ok(revoke(base, other_acct["id"], ta["refresh_token"], auth=basic(other)))
    assert verify(base, ta["access_token"]).status_code == 200
    assert_active(introspect(base, acct["id"], ta["access_token"], auth=basic(a)))
    r = helpers.refresh_request(base, acct["id"], a["client_id"], ta["refresh_token"])
    helpers.record_token_answer(helpers.assert_token_ok(r))


def test_nothing_to_revoke_is_200(base, acct, pair):
    a, _ = pair
    expired = helpers.get_token(base, acct["id"], a, expires_in=1)["access_token"]
    time.sleep(2.1)
    live = helpers.get_token(base, acct["id"], a)["access_token"]
    h, p, s = live.split(".")
    for token in ("garbage", "a.b.c", expired, "rt1.e30.AAAA",
                  ".".join([h, p, s[:-4] + ("AAAA" if s[-4:] != "AAAA" else "BBBB")])):
        _assert_revoke_ok(revoke(base, acct["id"], token, auth=basic(a)))
    assert verify(base, live).status_code == 200


def test_refresh_token_revokes_its_chain(base, acct, pair):
    a, _ = pair
    # never redeemed
    t = helpers.get_token(base, acct["id"], a)
    _assert_revoke_ok(revoke(base, acct["id"], t["refresh_token"], auth=basic(a)))
    r = helpers.refresh_request(base, acct["id"], a["client_id"], t["refresh_token"])
    helpers.assert_token_error(r, 400, "invalid_grant")
    # redeemed once: the current token of the chain
    t = helpers.get_token(base, acct["id"], a)
    t2 = helpers.assert_token_ok(
        helpers.refresh_request(base, acct["id"], a["client_id"], t["refresh_token"]))
    helpers.record_token_answer(t2)
    _assert_revoke_ok(revoke(base, acct["id"], t2["refresh_token"], auth=basic(a),
                             hint="refresh_token"))
    r = helpers.refresh_request(base, acct["id"], a["client_id"], t2["refresh_token"])
    helpers.assert_token_error(r, 400, "invalid_grant")
    # another chain of the same access is untouched
    t3 = helpers.get_token(base, acct["id"], a)
    r = helpers.refresh_request(base, acct["id"], a["client_id"], t3["refresh_token"])
    helpers.record_token_answer(helpers.assert_token_ok(r))


def test_missing_token_is_400(base, acct, pair):
    a, _ = pair
    assert_json_error(revoke(base, acct["id"], auth=basic(a)), 400, "invalid_request")
    assert_json_error(revoke(base, acct["id"], "", auth=basic(a)), 400, "invalid_request")


def test_bad_callers_get_401(server, admin, base, acct, pair):
    a, b = pair
    t = helpers.get_token(base, acct["id"], a)["access_token"]
    wrong = dict(a, client_secret="f" * 64)
    unknown = {"client_id": str(uuid.uuid4()), "client_secret": "f" * 64}
    other_acct = admin.create_account()
    foreign = admin.create_access(other_acct["id"], actions=["campaign.read"])
    cases = [
        {},
        {"auth": basic(wrong)},
        {"auth": basic(unknown)},
        {"data": body_creds(wrong)},
        {"auth": basic(foreign)},  # another account's access
        {"headers": admin_bearer(server.admin_key)},  # revocation is the client's
    ]
    bodies = []
    for kw in cases:
        r = revoke(base, acct["id"], t, **kw)
        bodies.append(assert_json_error(r, 401, "invalid_client"))
        # every 401 names the scheme this endpoint takes (RFC 9110 §15.5.2)
        assert r.headers.get("WWW-Authenticate") == 'Basic realm="rcauth"', (kw, r.headers)
    assert bodies[1] == bodies[2]  # wrong secret and unknown client look the same
    admin.revoke(acct["id"], b["client_id"])
    assert_json_error(revoke(base, acct["id"], t, auth=basic(b)), 401, "invalid_client")
    assert verify(base, t).status_code == 200


def test_audited_without_the_token(admin, base, acct, pair):
    a, _ = pair
    t = helpers.get_token(base, acct["id"], a)
    jti = jwt_decode(t["access_token"])[1]["jti"]
    _assert_revoke_ok(revoke(base, acct["id"], t["access_token"], auth=basic(a)))
    r = admin.get("/accounts/%s/audit" % acct["id"])
    assert r.status_code == 200, r.text
    events = [e for e in r.json()["items"] if e["event"] == "token.revoked"]
    assert [(e["actor"], e["subject"]) for e in events] == [(a["client_id"], jti)], events
    assert t["access_token"] not in r.text


def test_revocation_survives_restart(server, base, acct, pair):
    a, b = pair
    dead = helpers.get_token(base, acct["id"], a, expires_in=0)["access_token"]
    kept = helpers.get_token(base, acct["id"], a, expires_in=0)["access_token"]
    _assert_revoke_ok(revoke(base, acct["id"], dead, auth=basic(a)))
    server.restart()
    assert_json_error(verify(base, dead), 401, "invalid_token")
    assert_inactive(introspect(base, acct["id"], dead, auth=basic(b)))
    assert verify(base, kept).status_code == 200


def _second_server(server):
    """Another rcauth serve on its own port, sharing server's data directory (SQLite)."""
    workdir = os.path.join(os.path.dirname(server.workdir), "second-" + uuid.uuid4().hex[:6])
    os.makedirs(workdir)
    second = helpers.Server(workdir, "second")
    second.data_dir = server.data_dir
    second.admin_key = server.admin_key
    second.start()
    return second


def test_other_process_sees_revocation_within_a_second(server, base, acct, pair):
    a, b = pair
    second = _second_server(server)
    try:
        t = helpers.get_token(base, acct["id"], a)["access_token"]
        other = helpers.get_token(second.base, acct["id"], a)["access_token"]
        assert verify(second.base, t).status_code == 200  # known, cached, valid there
        _assert_revoke_ok(revoke(base, acct["id"], t, auth=basic(a)))
        start = time.monotonic()
        while verify(second.base, t).status_code == 200:
            assert time.monotonic() - start < 5, "second process never refused the token"
            time.sleep(0.02)
        elapsed = time.monotonic() - start
        print("cross-process revocation: %.3f s" % elapsed)
        assert elapsed <= 2.0, "took %.2f s" % elapsed
        assert_json_error(verify(second.base, t), 401, "invalid_token")
        assert_inactive(introspect(second.base, acct["id"], t, auth=basic(b)))
        # and the other way round, for a token issued by the second process
        _assert_revoke_ok(revoke(second.base, acct["id"], other, auth=basic(a)))
        start = time.monotonic()
        while verify(base, other).status_code == 200:
            assert time.monotonic() - start < 5
            time.sleep(0.02)
        assert time.monotonic() - start <= 2.0
    finally:
        second.stop()
        second.kill()


def test_other_process_loads_revocations_at_start(server, base, acct, pair):
    a, _ = pair
    t = helpers.get_token(base, acct["id"], a, expires_in=0)["access_token"]
    _assert_revoke_ok(revoke(base, acct["id"], t, auth=basic(a)))
    second = _second_server(server)
    try:
        assert_json_error(verify(second.base, t), 401, "invalid_token")
    finally:
        second.stop()
        second.kill()

