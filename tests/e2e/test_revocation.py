# SPDX-License-Identifier: MIT
"""Acceptance 7: revocation (immediate and final), secret rotation, refresh-token rotation
with reuse detection (SPEC §1, §2, §6)."""

import helpers
from helpers import assert_json_error, assert_token_error, assert_token_ok, verify


def test_revoke_kills_everything_at_once(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read", "flag.list"])
    forever = helpers.get_token(base, acct["id"], a, expires_in=0)
    expiring = helpers.get_token(base, acct["id"], a, expires_in=1800)
    narrowed = helpers.get_token(base, acct["id"], a, expires_in=43200, scope="flag.list")
    for d in (forever, expiring, narrowed):
        assert verify(base, d["access_token"]).status_code == 200

    admin.revoke(acct["id"], a["client_id"])

    # the very next request
    for d in (forever, expiring, narrowed):
        r = verify(base, d["access_token"])
        assert_json_error(r, 401, "invalid_token")
        assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", "")
        r = verify(base, None, bearer=d["access_token"])
        assert_json_error(r, 401, "invalid_token")
    r = helpers.refresh_request(base, acct["id"], a["client_id"], forever["refresh_token"])
    assert_token_error(r, 400, "invalid_grant")
    r = helpers.token_request(base, acct["id"], a["client_id"], a["client_secret"])
    assert_token_error(r, 401, "invalid_client")


def test_revoke_is_final_and_idempotent(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    admin.revoke(acct["id"], a["client_id"])
    r = admin.delete("/accounts/%s/accesses/%s" % (acct["id"], a["client_id"]))
    assert r.status_code == 204, (r.status_code, r.text)
    # rotating a revoked access's secret must not bring it back
    r = admin.post("/accounts/%s/accesses/%s/secret" % (acct["id"], a["client_id"]))
    if r.status_code == 200:
        new = r.json()["client_secret"]
        helpers.record_secret(new)
        r2 = helpers.token_request(base, acct["id"], a["client_id"], new)
        assert_token_error(r2, 401, "invalid_client")
    else:
        assert r.status_code in (400, 404, 409), (r.status_code, r.text)
    r = helpers.token_request(base, acct["id"], a["client_id"], a["client_secret"])
    assert_token_error(r, 401, "invalid_client")
    prev = admin.get("/accounts/%s/accesses/%s" % (acct["id"], a["client_id"]))
    assert prev.status_code == 200, prev.text
    assert prev.json()["revoked_at"], prev.json()


def test_revoke_one_access_leaves_others(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    b = admin.create_access(acct["id"], actions=["campaign.read"])
    ta = helpers.get_token(base, acct["id"], a)["access_token"]
    tb = helpers.get_token(base, acct["id"], b)["access_token"]
    admin.revoke(acct["id"], a["client_id"])
    assert verify(base, ta).status_code == 401
    r = verify(base, tb)
    assert r.status_code == 200 and r.json()["client_id"] == b["client_id"], r.text
    helpers.get_token(base, acct["id"], b)


def test_revoke_unknown_is_404(admin, acct):
    import uuid
    r = admin.delete("/accounts/%s/accesses/%s" % (acct["id"], uuid.uuid4()))
    assert_json_error(r, 404)


def test_rotate_secret(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    helpers.get_token(base, acct["id"], a)
    rot = admin.rotate(acct["id"], a["client_id"])
    assert rot["client_id"] == a["client_id"], rot
    assert helpers.SECRET_RE.match(rot["client_secret"]), rot
    assert rot["client_secret"] != a["client_secret"]
    r = helpers.token_request(base, acct["id"], a["client_id"], a["client_secret"])
    assert_token_error(r, 401, "invalid_client")
    d = helpers.get_token(base, acct["id"], {"client_id": a["client_id"],
                                             "client_secret": rot["client_secret"]})
    v = verify(base, d["access_token"])
    assert v.status_code == 200 and v.json()["client_id"] == a["client_id"], v.text


def test_rotate_secret_twice_only_last_works(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    s1 = admin.rotate(acct["id"], a["client_id"])["client_secret"]
    s2 = admin.rotate(acct["id"], a["client_id"])["client_secret"]
    assert len({a["client_secret"], s1, s2}) == 3
    for old in (a["client_secret"], s1):
        r = helpers.token_request(base, acct["id"], a["client_id"], old)
        assert_token_error(r, 401, "invalid_client")
    helpers.get_token(base, acct["id"], {"client_id": a["client_id"], "client_secret": s2})


def test_rotate_unknown_is_404(admin, acct):
    import uuid
    r = admin.post("/accounts/%s/accesses/%s/secret" % (acct["id"], uuid.uuid4()))
    assert_json_error(r, 404)


def test_refresh_works_once_then_reuse_revokes_chain(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    d0 = helpers.get_token(base, acct["id"], a, expires_in=1800)
    assert d0.get("refresh_token"), d0

    r1 = helpers.refresh_request(base, acct["id"], a["client_id"], d0["refresh_token"])
    d1 = assert_token_ok(r1)
    assert d1["access_token"] != d0["access_token"]
    assert d1.get("refresh_token") and d1["refresh_token"] != d0["refresh_token"], d1
    v = verify(base, d1["access_token"])
    assert v.status_code == 200 and v.json()["client_id"] == a["client_id"], v.text

    # reuse of the spent one: refused, and the whole chain dies
    r2 = helpers.refresh_request(base, acct["id"], a["client_id"], d0["refresh_token"])
    assert_token_error(r2, 400, "invalid_grant")
    r3 = helpers.refresh_request(base, acct["id"], a["client_id"], d1["refresh_token"])
    assert_token_error(r3, 400, "invalid_grant")

    # the access itself is not revoked
    helpers.get_token(base, acct["id"], a)


def test_refresh_chain_of_three(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    d = helpers.get_token(base, acct["id"], a)
    tokens = [d]
    for _ in range(3):
        r = helpers.refresh_request(base, acct["id"], a["client_id"], tokens[-1]["refresh_token"],
                                    client_secret=a["client_secret"])
        tokens.append(assert_token_ok(r))
    assert len({t["refresh_token"] for t in tokens}) == 4
    assert len({t["access_token"] for t in tokens}) == 4
    # reuse the first → the newest also dies
    r = helpers.refresh_request(base, acct["id"], a["client_id"], tokens[0]["refresh_token"])
    assert_token_error(r, 400, "invalid_grant")
    r = helpers.refresh_request(base, acct["id"], a["client_id"], tokens[-1]["refresh_token"])
    assert_token_error(r, 400, "invalid_grant")


def test_refresh_with_wrong_secret_is_invalid_client(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    d = helpers.get_token(base, acct["id"], a)
    r = helpers.refresh_request(base, acct["id"], a["client_id"], d["refresh_token"],
                                client_secret="c" * 64)
    assert_token_error(r, 401, "invalid_client")


def test_refresh_chains_are_independent(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    c1 = helpers.get_token(base, acct["id"], a)
    c2 = helpers.get_token(base, acct["id"], a)
    assert_token_ok(helpers.refresh_request(base, acct["id"], a["client_id"], c1["refresh_token"]))
    r = helpers.refresh_request(base, acct["id"], a["client_id"], c1["refresh_token"])
    assert_token_error(r, 400, "invalid_grant")
    # the other chain of the same access still works
    assert_token_ok(helpers.refresh_request(base, acct["id"], a["client_id"], c2["refresh_token"]))


def test_refresh_with_old_secret_after_rotation_is_invalid_client(base, admin, acct):
    """client_secret is optional in a refresh request but checked if given: the secret
    replaced by a rotation is refused."""
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    d = helpers.get_token(base, acct["id"], a)
    admin.rotate(acct["id"], a["client_id"])
    r = helpers.refresh_request(base, acct["id"], a["client_id"], d["refresh_token"],
                                client_secret=a["client_secret"])
    assert_token_error(r, 401, "invalid_client")
