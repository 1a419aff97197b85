# SPDX-License-Identifier: MIT
"""Acceptance 9: restart on the same data dir — accesses, revocations, signing keys and
refresh tokens survive; a token issued before the restart still verifies."""

import signal

import pytest

import helpers
from helpers import assert_json_error, assert_token_error, assert_token_ok, verify


def _state(server):
    admin = server.admin()
    acct = admin.create_account(name="durable")
    env = admin.create_env(acct["id"], name="production", is_main=True)
    a = admin.create_access(acct["id"], actions=["campaign.read", "flag.list"], name="a")
    b = admin.create_access(acct["id"], actions=["goal.read"], environments=[env["id"]], name="b")
    c = admin.create_access(acct["id"], actions=["goal.read"], name="c")
    st = dict(acct=acct, env=env, a=a, b=b, c=c)
    st["ta0"] = helpers.get_token(server.base, acct["id"], a, expires_in=0)
    st["ta1"] = helpers.get_token(server.base, acct["id"], a, expires_in=1800)
    st["tb"] = helpers.get_token(server.base, acct["id"], b, expires_in=86400)
    st["tc"] = helpers.get_token(server.base, acct["id"], c)
    admin.revoke(acct["id"], c["client_id"])
    st["verified"] = {k: verify(server.base, st[k]["access_token"]).json()
                      for k in ("ta0", "ta1", "tb")}
    return st


def _check_after(server, st):
    base, acct = server.base, st["acct"]
    for k in ("ta0", "ta1", "tb"):
        r = verify(base, st[k]["access_token"])
        assert r.status_code == 200, (k, r.status_code, r.text)
        v, before = r.json(), st["verified"][k]
        for f in ("client_id", "account", "scope", "actions", "environments", "iat", "access_name"):
            assert v[f] == before[f], (k, f, v, before)
    assert verify(base, st["ta0"]["access_token"]).json()["expires_in"] == 0
    assert 0 < verify(base, st["ta1"]["access_token"]).json()["expires_in"] <= 1800
    # the revoked access stays revoked
    assert_json_error(verify(base, st["tc"]["access_token"]), 401, "invalid_token")
    assert_token_error(helpers.token_request(base, acct["id"], st["c"]["client_id"],
                                             st["c"]["client_secret"]), 401, "invalid_client")
    # accesses still issue tokens, which verify
    for key in ("a", "b"):
        d = helpers.get_token(base, acct["id"], st[key], expires_in=1800)
        v = verify(base, d["access_token"])
        assert v.status_code == 200 and v.json()["client_id"] == st[key]["client_id"], v.text
    # the admin key and the store
    admin = server.admin()
    r = admin.get("/accounts/%s/accesses" % acct["id"], params={"include_revoked": "true"})
    assert r.status_code == 200 and r.json()["total_count"] == 3, r.text


def test_restart_after_sigterm(server):
    st = _state(server)
    old_pid = server.proc.pid
    rc = server.stop(signal.SIGTERM, timeout=10)
    assert rc is not None, "server did not exit within 10 s of SIGTERM"
    assert rc in (0, -signal.SIGTERM), "exit code after SIGTERM: %r" % rc
    with pytest.raises(Exception):
        helpers.requests.get(server.base + "/healthz", timeout=1)
    server.start()
    assert server.proc.pid != old_pid
    _check_after(server, st)
    # a refresh token issued before the restart works once after it
    r = helpers.refresh_request(server.base, st["acct"]["id"], st["a"]["client_id"],
                                st["ta1"]["refresh_token"])
    assert_token_ok(r)


def test_restart_after_sigkill(server):
    """Everything acknowledged before a crash is there after it (SQLite WAL)."""
    st = _state(server)
    server.stop(signal.SIGKILL, timeout=10)
    server.start()
    _check_after(server, st)


def test_double_restart_keeps_signing_key(server):
    admin = server.admin()
    acct = admin.create_account()
    a = admin.create_access(acct["id"])
    t = helpers.get_token(server.base, acct["id"], a)["access_token"]
    kid = helpers.jwt_decode(t)[0]["kid"]
    for _ in range(2):
        server.restart()
    assert verify(server.base, t).status_code == 200
    t2 = helpers.get_token(server.base, acct["id"], a)["access_token"]
    assert helpers.jwt_decode(t2)[0]["kid"] == kid
