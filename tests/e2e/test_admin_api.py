# SPDX-License-Identifier: MIT
"""Acceptance 8: the admin API (SPEC §6, docs/admin-api.md) — authentication on every
route, validation naming the field, 404 for unknown ids, pagination, include_revoked, the
audit trail, and never a secret in anything readable."""

import json
import re
import uuid

import pytest
import requests

import helpers
from helpers import assert_json_error

ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture(scope="module")
def target(admin):
    acct = admin.create_account(name="target")
    env = admin.create_env(acct["id"], name="production", is_main=True)
    access = admin.create_access(acct["id"], actions=["campaign.read"], name="victim")
    return acct, env, access


def admin_key_id(server, name="test"):
    cp = helpers.run_cli(["admin-key", "list"], data_dir=server.data_dir)
    assert cp.returncode == 0, cp.stderr
    for line in cp.stdout.splitlines():
        if line.strip():
            k = json.loads(line)
            if k.get("name") == name:
                return k["id"]
    raise AssertionError("no admin key named %r in %r" % (name, cp.stdout))


# ---------------------------------------------------------------- 401 on every route

ROUTES = [
    ("POST", "/accounts", {"name": "intruder"}),
    ("GET", "/accounts", None),
    ("GET", "/accounts/{a}", None),
    ("POST", "/accounts/{a}/environments", {"name": "intruder-env"}),
    ("GET", "/accounts/{a}/environments", None),
    ("GET", "/actions", None),
    ("POST", "/accounts/{a}/accesses", {"name": "intruder", "actions": ["campaign.read"]}),
    ("GET", "/accounts/{a}/accesses", None),
    ("GET", "/accounts/{a}/accesses/{c}", None),
    ("DELETE", "/accounts/{a}/accesses/{c}", None),
    ("POST", "/accounts/{a}/accesses/{c}/secret", None),
    ("GET", "/accounts/{a}/audit", None),
    ("POST", "/keys/rotate", {}),
    ("GET", "/keys", None),
]

BAD_AUTH = {
    "missing": None,
    "wrong-key": "Bearer " + "x" * 40,
    "undefined": "Bearer undefined",
    "basic": "Basic " + __import__("base64").b64encode(b"admin:admin").decode(),
}


@pytest.mark.parametrize("method,path,body", ROUTES, ids=["%s %s" % (m, p) for m, p, _ in ROUTES])
@pytest.mark.parametrize("auth", list(BAD_AUTH), ids=list(BAD_AUTH))
def test_bad_admin_key_is_401(base, target, method, path, body, auth):
    acct, _, access = target
    url = base + "/admin/v1" + path.replace("{a}", acct["id"]).replace("{c}", access["client_id"])
    headers = {}
    if BAD_AUTH[auth] is not None:
        headers["Authorization"] = BAD_AUTH[auth]
    r = requests.request(method, url, json=body, headers=headers, timeout=10,
                         allow_redirects=False)
    err = assert_json_error(r, 401, "invalid_token")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), dict(r.headers)
    assert "client_secret" not in r.text and "items" not in err


def test_client_credentials_are_not_admin_keys(base, target):
    acct, _, access = target
    token = helpers.get_token(base, acct["id"], access)["access_token"]
    for cred in (token, access["client_secret"], access["client_id"]):
        r = requests.get(base + "/admin/v1/accounts", headers={"Authorization": "Bearer " + cred},
                         timeout=10)
        assert_json_error(r, 401, "invalid_token")


def test_nothing_changed_by_unauthenticated_calls(base, admin, target):
    """Runs after the 401 matrix: the victim access is neither revoked nor rotated, no
    intruder account/access/environment exists, and tokens still verify."""
    acct, _, access = target
    d = helpers.get_token(base, acct["id"], access)
    assert helpers.verify(base, d["access_token"]).status_code == 200
    r = admin.get("/accounts/%s/accesses/%s" % (acct["id"], access["client_id"]))
    assert r.status_code == 200 and r.json()["revoked_at"] is None, r.text
    body = admin.get("/accounts?_max_per_page=1000").text
    assert "intruder" not in body
    assert "intruder" not in admin.get("/accounts/%s/accesses" % acct["id"]).text
    assert "intruder" not in admin.get("/accounts/%s/environments" % acct["id"]).text


def test_good_admin_key_with_lowercase_scheme(base, server):
    r = requests.get(base + "/admin/v1/accounts",
                     headers={"Authorization": "bearer " + server.admin_key}, timeout=10)
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- accounts


def test_create_account_generated_id(admin):
    r = admin.post("/accounts", {"name": "Acme"})
    assert r.status_code == 201, r.text
    assert helpers.is_json_ct(r)
    a = r.json()
    assert helpers.XID_RE.match(a["id"]), a
    assert a["name"] == "Acme" and ISO_RE.match(a["created_at"]), a
    g = admin.get("/accounts/" + a["id"])
    assert g.status_code == 200 and g.json() == a, g.text


def test_create_account_given_id(admin):
    given = "Mirror_" + uuid.uuid4().hex[:10] + "-x"
    r = admin.post("/accounts", {"name": "mirror", "id": given})
    assert r.status_code == 201, r.text
    assert r.json()["id"] == given
    again = admin.post("/accounts", {"name": "mirror2", "id": given})
    assert_json_error(again, 409, "conflict")


def test_create_account_id_64_chars(admin):
    given = ("a" + uuid.uuid4().hex * 2)[:64]
    r = admin.post("/accounts", {"name": "long", "id": given})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("bad_id", ["admin", "token", "authorize", "healthz", "readyz", "metrics",
                                    "bad id", "bad/id", "bad.id", "é", "", "a" * 65, 123, None],
                         ids=lambda v: repr(v)[:20])
def test_account_bad_id(admin, bad_id):
    r = admin.post("/accounts", {"name": "x", "id": bad_id})
    if bad_id is None:
        # null id = no id given is an acceptable reading; anything else is not
        assert r.status_code in (201, 400), r.text
        if r.status_code == 400:
            assert helpers.names_field(assert_json_error(r, 400, "invalid_request"), "id")
        return
    err = assert_json_error(r, 400, "invalid_request")
    assert helpers.names_field(err, "id"), err


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 123}, {"name": None},
                                  {"name": ["x"]}], ids=["missing", "empty", "int", "null", "list"])
def test_account_bad_name(admin, body):
    err = assert_json_error(admin.post("/accounts", body), 400, "invalid_request")
    assert helpers.names_field(err, "name"), err


@pytest.mark.parametrize("raw", ['{"name":', "[]", "name=x", ""])
def test_admin_malformed_body(admin, raw):
    r = admin.post("/accounts", data=raw, headers={"Content-Type": "application/json"})
    assert_json_error(r, 400, "invalid_request")


def test_list_accounts(admin):
    a = admin.create_account(name="listed")
    r = admin.get("/accounts", params={"_max_per_page": "1000"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert isinstance(d["items"], list) and isinstance(d["total_count"], int), d
    assert any(x["id"] == a["id"] for x in d["items"]), d
    assert d["total_count"] >= len(d["items"]) >= 1


# ---------------------------------------------------------------- environments


def test_environment_create_and_list(admin):
    acct = admin.create_account()
    r = admin.post("/accounts/%s/environments" % acct["id"], {"name": "production", "is_main": True})
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["name"] == "production" and e["is_main"] is True and e["account_id"] == acct["id"], e
    assert isinstance(e["id"], str) and e["id"], e
    e2 = admin.create_env(acct["id"], name="staging")
    assert e2["is_main"] is False, e2
    lst = admin.get("/accounts/%s/environments" % acct["id"]).json()
    assert lst["total_count"] == 2 and {x["id"] for x in lst["items"]} == {e["id"], e2["id"]}, lst


@pytest.mark.parametrize("body,field", [({}, "name"), ({"name": ""}, "name"), ({"name": 5}, "name"),
                                        ({"name": "x", "is_main": "yes"}, "is_main")])
def test_environment_bad_fields(admin, body, field):
    acct = admin.create_account()
    err = assert_json_error(admin.post("/accounts/%s/environments" % acct["id"], body), 400,
                            "invalid_request")
    assert helpers.names_field(err, field), err


def test_environment_name_taken(admin):
    acct = admin.create_account()
    admin.create_env(acct["id"], name="production")
    r = admin.post("/accounts/%s/environments" % acct["id"], {"name": "production"})
    assert_json_error(r, 409, "conflict")


# ---------------------------------------------------------------- accesses


def test_create_access_shape(admin):
    acct = admin.create_account()
    env = admin.create_env(acct["id"])
    r = admin.post("/accounts/%s/accesses" % acct["id"],
                   {"name": "CI pipeline", "actions": ["flag.list", "campaign.read"],
                    "environments": [env["id"]]})
    assert r.status_code == 201, r.text
    a = r.json()
    helpers.record_secret(a.get("client_secret"))
    assert helpers.UUID4_RE.match(a["client_id"]), a
    assert helpers.SECRET_RE.match(a["client_secret"]), a
    assert a["account_id"] == acct["id"] and a["name"] == "CI pipeline", a
    assert a["actions"] == ["campaign.read", "flag.list"], a  # catalog order
    assert a["environments"] == [env["id"]], a
    assert ISO_RE.match(a["created_at"]) and a["last_used_at"] is None and a["revoked_at"] is None, a
    p = admin.get("/accounts/%s/accesses/%s" % (acct["id"], a["client_id"]))
    assert p.status_code == 200, p.text
    prev = p.json()
    assert "client_secret" not in prev and a["client_secret"] not in p.text, prev
    for k in ("client_id", "account_id", "name", "environments", "actions", "created_at",
              "last_used_at", "revoked_at"):
        assert prev[k] == a[k], (k, prev, a)


def test_create_access_all_envs_is_empty_list(admin):
    acct = admin.create_account()
    a = admin.create_access(acct["id"], actions=["goal.list"])
    assert a["environments"] == [], a


def test_access_name_200_utf8_chars_ok(admin):
    acct = admin.create_account()
    a = admin.create_access(acct["id"], name="é" * 200)
    assert a["name"] == "é" * 200


def test_last_used_at_set_after_use(base, admin):
    acct = admin.create_account()
    a = admin.create_access(acct["id"])
    helpers.get_token(base, acct["id"], a)
    import time
    deadline = time.time() + 3
    while True:
        p = admin.get("/accounts/%s/accesses/%s" % (acct["id"], a["client_id"])).json()
        if p["last_used_at"] or time.time() > deadline:
            break
        time.sleep(0.2)
    assert p["last_used_at"] and ISO_RE.match(p["last_used_at"]), p


@pytest.mark.parametrize("body,field", [
    ({"actions": ["campaign.read"]}, "name"),
    ({"name": "", "actions": ["campaign.read"]}, "name"),
    ({"name": "x" * 201, "actions": ["campaign.read"]}, "name"),
    ({"name": "é" * 201, "actions": ["campaign.read"]}, "name"),
    ({"name": 123, "actions": ["campaign.read"]}, "name"),
    ({"name": None, "actions": ["campaign.read"]}, "name"),
    ({"name": "x"}, "actions"),
    ({"name": "x", "actions": []}, "actions"),
    ({"name": "x", "actions": ["nope.nope"]}, "actions"),
    ({"name": "x", "actions": ["campaign.read", "campaign.fly"]}, "actions"),
    ({"name": "x", "actions": "campaign.read"}, "actions"),
    ({"name": "x", "actions": [42]}, "actions"),
    ({"name": "x", "actions": ["campaign.read"], "environments": "all"}, "environments"),
    ({"name": "x", "actions": ["campaign.read"], "environments": [7]}, "environments"),
], ids=["name-missing", "name-empty", "name-201", "name-201-utf8", "name-int", "name-null",
        "actions-missing", "actions-empty", "actions-unknown", "actions-one-unknown",
        "actions-string", "actions-int", "envs-string", "envs-int"])
def test_access_bad_fields(admin, body, field):
    acct = admin.create_account()
    r = admin.post("/accounts/%s/accesses" % acct["id"], body)
    err = assert_json_error(r, 400, "invalid_request")
    assert helpers.names_field(err, field), err
    assert "client_secret" not in r.text


def test_access_unknown_environment_named(admin):
    acct = admin.create_account()
    admin.create_env(acct["id"])
    bad = "no-such-env-" + uuid.uuid4().hex[:6]
    r = admin.post("/accounts/%s/accesses" % acct["id"],
                   {"name": "x", "actions": ["campaign.read"], "environments": [bad]})
    err = assert_json_error(r, 400, "invalid_request")
    assert bad in err.get("error_description", ""), err


def test_access_environment_of_another_account_named(admin):
    acct = admin.create_account()
    other = admin.create_account()
    foreign = admin.create_env(other["id"], name="production")
    admin.create_env(acct["id"], name="production")
    r = admin.post("/accounts/%s/accesses" % acct["id"],
                   {"name": "x", "actions": ["campaign.read"], "environments": [foreign["id"]]})
    err = assert_json_error(r, 400, "invalid_request")
    assert foreign["id"] in err.get("error_description", ""), err
    assert admin.get("/accounts/%s/accesses" % acct["id"]).json()["total_count"] == 0


# ---------------------------------------------------------------- 404s


def test_unknown_ids_are_404(admin, target):
    acct, _, access = target
    other = admin.create_account()
    u = str(uuid.uuid4())
    cases = [
        ("GET", "/accounts/nosuchaccount", None),
        ("GET", "/accounts/nosuchaccount/environments", None),
        ("POST", "/accounts/nosuchaccount/environments", {"name": "e"}),
        ("GET", "/accounts/nosuchaccount/accesses", None),
        ("POST", "/accounts/nosuchaccount/accesses", {"name": "n", "actions": ["campaign.read"]}),
        ("GET", "/accounts/nosuchaccount/audit", None),
        ("GET", "/accounts/%s/accesses/%s" % (acct["id"], u), None),
        ("GET", "/accounts/%s/accesses/not-a-uuid" % acct["id"], None),
        ("DELETE", "/accounts/%s/accesses/%s" % (acct["id"], u), None),
        ("POST", "/accounts/%s/accesses/%s/secret" % (acct["id"], u), None),
        # an existing access under the wrong account
        ("GET", "/accounts/%s/accesses/%s" % (other["id"], access["client_id"]), None),
        ("DELETE", "/accounts/%s/accesses/%s" % (other["id"], access["client_id"]), None),
        ("POST", "/accounts/%s/accesses/%s/secret" % (other["id"], access["client_id"]), None),
    ]
    for method, path, body in cases:
        r = admin.request(method, path, json=body)
        err = assert_json_error(r, 404)
        assert err["error"] == "not_found", (method, path, err)
    # the access addressed under the wrong account was neither revoked nor rotated
    helpers.get_token(admin.base, acct["id"], access)


# ---------------------------------------------------------------- pagination


def test_pagination_accesses(admin):
    acct = admin.create_account()
    ids = {admin.create_access(acct["id"])["client_id"] for _ in range(5)}
    seen = []
    for page, want in ((1, 2), (2, 2), (3, 1), (4, 0)):
        r = admin.get("/accounts/%s/accesses" % acct["id"],
                      params={"_page": str(page), "_max_per_page": "2"})
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["total_count"] == 5, d
        assert len(d["items"]) == want, (page, d)
        seen += [x["client_id"] for x in d["items"]]
    assert len(seen) == 5 and set(seen) == ids, seen


def test_pagination_default_100_and_max(admin):
    acct = admin.create_account()
    for i in range(101):
        admin.create_env(acct["id"], name="env-%03d" % i)
    d = admin.get("/accounts/%s/environments" % acct["id"]).json()
    assert d["total_count"] == 101 and len(d["items"]) == 100, (d["total_count"], len(d["items"]))
    d2 = admin.get("/accounts/%s/environments" % acct["id"], params={"_page": "2"}).json()
    assert len(d2["items"]) == 1, d2
    assert d2["items"][0]["id"] not in {x["id"] for x in d["items"]}
    d3 = admin.get("/accounts/%s/environments" % acct["id"], params={"_max_per_page": "1000"}).json()
    assert len(d3["items"]) == 101, len(d3["items"])


@pytest.mark.parametrize("params", [{"_page": "0"}, {"_page": "-1"}, {"_page": "abc"},
                                    {"_max_per_page": "0"}, {"_max_per_page": "abc"},
                                    {"_max_per_page": "-5"}, {"_page": "1.5"}])
def test_pagination_bad_values(admin, target, params):
    acct = target[0]
    err = assert_json_error(admin.get("/accounts/%s/accesses" % acct["id"], params=params), 400,
                            "invalid_request")
    assert helpers.names_field(err, list(params)[0]), err


def test_include_revoked(admin):
    acct = admin.create_account()
    keep = admin.create_access(acct["id"], name="keep")
    gone = admin.create_access(acct["id"], name="gone")
    admin.revoke(acct["id"], gone["client_id"])
    d = admin.get("/accounts/%s/accesses" % acct["id"]).json()
    assert [x["client_id"] for x in d["items"]] == [keep["client_id"]] and d["total_count"] == 1, d
    d = admin.get("/accounts/%s/accesses" % acct["id"], params={"include_revoked": "true"}).json()
    assert d["total_count"] == 2 and len(d["items"]) == 2, d
    by_id = {x["client_id"]: x for x in d["items"]}
    assert by_id[gone["client_id"]]["revoked_at"] and ISO_RE.match(by_id[gone["client_id"]]["revoked_at"])
    assert by_id[keep["client_id"]]["revoked_at"] is None


# ---------------------------------------------------------------- actions, keys


def test_actions_catalog(admin):
    r = admin.get("/actions")
    assert r.status_code == 200, r.text
    d = r.json()
    items = d["items"] if isinstance(d, dict) else d
    names = []
    for it in items:
        names.append(it if isinstance(it, str) else (it.get("name") or it.get("action") or it.get("id")))
    assert names == helpers.CATALOG, names


def test_keys_list_public_only(base, admin, target):
    acct, _, access = target
    t = helpers.get_token(base, acct["id"], access)["access_token"]
    kid = helpers.jwt_decode(t)[0]["kid"]
    r = admin.get("/keys")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert any(k.get("kid") == kid for k in items), items
    for k in items:
        assert k.get("alg") in ("EdDSA", "ES256"), k
        jwk = k["jwk"] if isinstance(k.get("jwk"), dict) else k
        assert "d" not in jwk and "d" not in k, k  # never the private half
        assert "private" not in json.dumps(k).lower(), k


# ---------------------------------------------------------------- audit and secrets


def test_audit_trail_and_no_secret_anywhere(base, server, admin):
    acct = admin.create_account(name="audited")
    a = admin.create_access(acct["id"], name="audited-access", actions=["flag.read"])
    secrets = [a["client_secret"]]
    d = helpers.get_token(base, acct["id"], a)
    secrets += [d["access_token"], d["refresh_token"]]
    secrets.append(admin.rotate(acct["id"], a["client_id"])["client_secret"])
    admin.revoke(acct["id"], a["client_id"])
    secrets.append(server.admin_key)

    r = admin.get("/accounts/%s/audit" % acct["id"], params={"_max_per_page": "1000"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    events = {e["event"]: e for e in items if e.get("subject") == a["client_id"]}
    for name in ("access.created", "access.secret_rotated", "access.revoked"):
        assert name in events, (name, items)
    kid = admin_key_id(server)
    for name in ("access.created", "access.secret_rotated", "access.revoked"):
        e = events[name]
        assert e["actor"] == kid, e
        assert ISO_RE.match(e["at"]), e
        assert "id" in e, e

    bodies = [
        r.text,
        admin.get("/accounts/%s/accesses" % acct["id"], params={"include_revoked": "true"}).text,
        admin.get("/accounts/%s/accesses" % acct["id"]).text,
        admin.get("/accounts/%s/accesses/%s" % (acct["id"], a["client_id"])).text,
        admin.get("/accounts/%s" % acct["id"]).text,
        admin.get("/accounts").text,
        admin.get("/keys").text,
    ]
    for b in bodies:
        assert "client_secret" not in b, b
        for s in secrets:
            assert s not in b, "secret leaked in %s" % b


def test_no_admin_get_body_so_far_holds_a_secret():
    """Every admin GET body this session recorded, against every secret seen so far."""
    with helpers._lock:
        secrets = list(helpers.SECRETS)
        bodies = list(helpers.ADMIN_GET_BODIES)
    assert bodies
    for url, text in bodies:
        leaks = helpers.find_leaks(secrets, text)
        assert not leaks, "GET %s leaks %r" % (url, leaks)


def test_server_audit_has_admin_key_and_signing_key_events(base, server, admin):
    """Events of no account (admin keys, signing keys) are at /admin/v1/audit."""
    r = admin.post("/keys/rotate", {})
    assert r.status_code in (200, 201), r.text
    r = admin.get("/audit", params={"_max_per_page": "1000"})
    assert r.status_code == 200, r.text
    d = r.json()
    events = [e["event"] for e in d["items"]]
    assert "admin_key.created" in events, d
    rotated = [e for e in d["items"] if e["event"] == "keys.rotated"]
    assert rotated and rotated[-1]["actor"] == admin_key_id(server), d
    assert d["total_count"] >= len(d["items"])
    assert helpers.Admin(base, "rcak_" + "0" * 64).get("/audit").status_code == 401


@pytest.mark.parametrize("body,why", [
    (b'{"name":"a","name":"b"}', "duplicate"),
    (b'{"name":"\xff"}', "decode"),
    (b'[' * 3000 + b']' * 3000, "depth"),
    (b'{"name":', "expected"),
    (b'[1,2]', "must be a JSON object"),
], ids=["duplicate", "utf8", "deep", "cut", "array"])
def test_admin_body_errors_say_why(admin, body, why):
    r = admin.post("/accounts", data=body, headers={"Content-Type": "application/json"})
    err = assert_json_error(r, 400, "invalid_request")
    assert why in err["error_description"] and "body" in err["error_description"], err


def test_malformed_sign_in_body_never_quotes_the_key(base, server):
    """jansson quotes the text near an error; the admin key at sign-in must never come back."""
    key = server.admin_key
    for body in ('{"admin_key":"%s' % key, '{"admin_key":"%s",}' % key,
                 '{"admin_key":"%s","admin_key":"%s"}' % (key, key)):
        r = requests.post(base + "/admin/session", data=body, timeout=10,
                          headers={"Content-Type": "application/json", "Origin": base})
        assert r.status_code == 400, (r.status_code, r.text)
        assert key not in r.text and key[:12] not in r.text, r.text
