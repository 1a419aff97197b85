# SPDX-License-Identifier: MIT
"""One token revoked at once, many times, through two server processes on one store (on
SQLite two processes on one data dir, on PostgreSQL two instances on one database): every
call answers 200 (RFC 7009 §2.2), the token is refused everywhere, and the audit trail holds
exactly one token.revoked event for it — for an access token and for a refresh token's
chain alike."""

import concurrent.futures

import pytest
import requests

import helpers
from conftest import make_server


@pytest.fixture(scope="module")
def pair_of_servers(tmp_path_factory):
    a = make_server("revoke-parallel-a")
    workdir = str(tmp_path_factory.mktemp("revoke-parallel-b"))
    b = helpers.Server(workdir, "revoke-parallel-b")
    b.data_dir = a.data_dir  # the same store (and server.key)
    b.admin_key = a.admin_key
    try:
        b.start()
        yield a, b
    finally:
        for s in (a, b):
            s.stop()
            s.kill()


def revoke_at_once(servers, acct, access, token, n=6):
    def revoke(i):
        return requests.post(servers[i % 2].base + "/%s/revoke" % acct["id"],
                             data={"token": token}, timeout=helpers.HTTP_TIMEOUT,
                             auth=(access["client_id"], access["client_secret"]))

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        answers = list(pool.map(revoke, range(n)))
    for r in answers:
        assert r.status_code == 200, r.text


def revoked_events(admin, acct):
    r = admin.get("/accounts/%s/audit" % acct["id"], params={"_max_per_page": 1000})
    assert r.status_code == 200, r.text
    return [e["subject"] for e in r.json()["items"] if e["event"] == "token.revoked"]


def test_parallel_revocations_of_one_token_audit_once(pair_of_servers):
    a, b = pair_of_servers
    admin = a.admin()
    acct = admin.create_account()
    access = admin.create_access(acct["id"], actions=["flag.list"])
    for _ in range(3):
        answer = helpers.get_token(a.base, acct["id"], access)
        revoke_at_once((a, b), acct, access, answer["access_token"])
        for srv in (a, b):
            assert helpers.verify(srv.base, answer["access_token"]).status_code == 401
        revoke_at_once((a, b), acct, access, answer["refresh_token"])
        r = helpers.token_request(b.base, acct["id"], access["client_id"], None,
                                  grant_type="refresh_token", scope=None,
                                  refresh_token=answer["refresh_token"])
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    events = revoked_events(admin, acct)
    print("token.revoked events after 3 x (6 + 6) revocations: %d" % len(events))
    assert len(events) == 6, events
    assert len(set(events)) == 6, events
