# SPDX-License-Identifier: MIT
"""Acceptance 2 (first half): every row of SPEC §2's error table except 429 — status,
error code, WWW-Authenticate on Basic, and Cache-Control/Pragma on every answer."""

import base64
import json
import uuid

import pytest

import helpers
from helpers import assert_token_error, assert_token_ok, post_token


def basic(client_id, secret):
    raw = ("%s:%s" % (client_id, secret)).encode()
    return "Basic " + base64.b64encode(raw).decode()


def creds_body(access, **extra):
    b = {"grant_type": "client_credentials", "scope": "*",
         "client_id": access["client_id"], "client_secret": access["client_secret"]}
    b.update(extra)
    return b


def raw_json(base, account, text, params=None, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return post_token(base, "/%s/token" % account, params=params, data=text.encode(), headers=h)


# ---------------------------------------------------------------- success has the headers


def test_success_has_no_store_headers(base, acct, access):
    r = helpers.token_request(base, acct["id"], access["client_id"], access["client_secret"])
    assert_token_ok(r)


# ---------------------------------------------------------------- 400 invalid_request


@pytest.mark.parametrize("text", [
    '{"grant_type":"client_credentials",',
    '{"grant_type":"client_credentials" "scope":"*"}',
    "not json at all",
    "[]",
    '"client_credentials"',
    "",
], ids=["truncated", "missing-comma", "garbage", "array", "string", "empty"])
def test_malformed_json_body(base, acct, access, text):
    r = raw_json(base, acct["id"], text)
    assert_token_error(r, 400, "invalid_request")


def test_malformed_form_body(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"],
                   data="grant_type=client_credentials&client_id=%zz&client_secret=x",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_token_error(r, 400, "invalid_request")


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_unsupported_content_type(base, acct, access, ctype):
    r = post_token(base, "/%s/token" % acct["id"], data=json.dumps(creds_body(access)),
                   headers={"Content-Type": ctype})
    assert_token_error(r, 400, "invalid_request")


def test_expires_in_twice_in_query(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"] + "?expires_in=0&expires_in=0",
                   json_body=creds_body(access))
    assert_token_error(r, 400, "invalid_request")


def test_expires_in_twice_in_query_different_values(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"] + "?expires_in=1800&expires_in=60",
                   json_body=creds_body(access))
    assert_token_error(r, 400, "invalid_request")


def test_parameter_twice_in_json_body(base, acct, access):
    text = ('{"grant_type":"client_credentials","client_id":"%s","client_id":"%s",'
            '"client_secret":"%s"}' % (access["client_id"], access["client_id"],
                                       access["client_secret"]))
    r = raw_json(base, acct["id"], text)
    assert_token_error(r, 400, "invalid_request")


def test_scope_twice_in_json_body(base, acct, access):
    text = ('{"grant_type":"client_credentials","scope":"*","scope":"campaign.read",'
            '"client_id":"%s","client_secret":"%s"}' % (access["client_id"],
                                                       access["client_secret"]))
    r = raw_json(base, acct["id"], text)
    assert_token_error(r, 400, "invalid_request")


def test_parameter_twice_in_form_body(base, acct, access):
    data = ("grant_type=client_credentials&client_id=%s&client_secret=%s&client_secret=%s"
            % (access["client_id"], access["client_secret"], access["client_secret"]))
    r = post_token(base, "/%s/token" % acct["id"], data=data,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_token_error(r, 400, "invalid_request")


def test_expires_in_in_query_and_json_body(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"], params={"expires_in": "1800"},
                   json_body=creds_body(access, expires_in=1800))
    assert_token_error(r, 400, "invalid_request")


def test_expires_in_in_query_and_form_body(base, acct, access):
    data = ("grant_type=client_credentials&client_id=%s&client_secret=%s&expires_in=0"
            % (access["client_id"], access["client_secret"]))
    r = post_token(base, "/%s/token" % acct["id"], params={"expires_in": "0"}, data=data,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_token_error(r, 400, "invalid_request")


def test_expires_in_in_body_alone_is_accepted(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"], json_body=creds_body(access, expires_in=1800))
    d = assert_token_ok(r)
    assert d["expires_in"] == 1800, d


def test_credentials_in_basic_and_json_body(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"], json_body=creds_body(access),
                   headers={"Authorization": basic(access["client_id"], access["client_secret"])})
    assert_token_error(r, 400, "invalid_request")


def test_credentials_in_basic_and_form_body(base, acct, access):
    data = ("grant_type=client_credentials&client_id=%s&client_secret=%s"
            % (access["client_id"], access["client_secret"]))
    r = post_token(base, "/%s/token" % acct["id"], data=data,
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "Authorization": basic(access["client_id"], access["client_secret"])})
    assert_token_error(r, 400, "invalid_request")


@pytest.mark.parametrize("value", ["-1", "-1800", "1.5", "abc", "", "1e3", "0x10", "18OO", "-0",
                                   "-0.0", "0.0", "1.0", "+0"])
def test_bad_expires_in_query(base, acct, access, value):
    r = post_token(base, "/%s/token?expires_in=%s" % (acct["id"], value),
                   json_body=creds_body(access))
    assert_token_error(r, 400, "invalid_request")


@pytest.mark.parametrize("value", [-1, 1.5, "abc", "", True, [1800]],
                         ids=["neg", "float", "abc", "empty", "bool", "array"])
def test_bad_expires_in_json_body(base, acct, access, value):
    r = post_token(base, "/%s/token" % acct["id"], json_body=creds_body(access, expires_in=value))
    assert_token_error(r, 400, "invalid_request")


@pytest.mark.parametrize("value", ["-0", "-0.0", "0.0", "1.0", "1e3", "-0e0", "0E0"])
def test_expires_in_json_number_is_digits_only(base, acct, access, value):
    """As in the query: jansson reads -0 as the integer 0, which never expires."""
    text = json.dumps(creds_body(access))[:-1] + ', "expires_in": %s}' % value
    assert_token_error(raw_json(base, acct["id"], text), 400, "invalid_request")
    escaped = text.replace('"expires_in"', '"expires\\u005fin"')
    assert_token_error(raw_json(base, acct["id"], escaped), 400, "invalid_request")


@pytest.mark.parametrize("extra", [
    '"expires_in": 0', '"expires_in":0', '"expires_in" :\n 0 ',
    '"expires\\u005fin": 0',
    '"x": {"expires_in": -0}, "expires_in": 0',
    '"note": "\\"expires_in\\": -0, ", "expires_in": 0',
    '"a": [-0, "]", {"b": "}"}], "expires_in": 0',
], ids=["spaced", "tight", "newline", "escaped", "nested", "in-a-string", "arrays"])
def test_expires_in_json_zero_is_accepted(base, acct, access, extra):
    text = json.dumps(creds_body(access))[:-1] + ", " + extra + "}"
    d = assert_token_ok(raw_json(base, acct["id"], text))
    assert d["expires_in"] == 0 and "exp" not in helpers.jwt_decode(d["access_token"])[1], d


def test_json_body_of_64_members_but_not_65(base, acct, access):
    """The same cap as a form body's or a query's."""
    body = creds_body(access)
    body.update({"x%d" % i: i for i in range(64 - len(body))})
    assert_token_ok(post_token(base, "/%s/token" % acct["id"], json_body=body))
    body["one_more"] = 1
    r = post_token(base, "/%s/token" % acct["id"], json_body=body)
    assert "too many" in assert_token_error(r, 400, "invalid_request")["error_description"]
    body.update({"k%d" % i: i for i in range(5000)})  # compact, under the 64 KiB body cap
    r = raw_json(base, acct["id"], json.dumps(body, separators=(",", ":")))
    assert "too many" in assert_token_error(r, 400, "invalid_request")["error_description"]


# ---------------------------------------------------------------- 401 invalid_client


def _comparable(r):
    # everything but what differs for every answer (the date, the request's own id)
    h = {k.lower(): v for k, v in r.headers.items() if k.lower() not in ("date", "x-request-id")}
    return r.status_code, h, r.content


def test_unknown_client(base, acct, access):
    r = helpers.token_request(base, acct["id"], str(uuid.uuid4()), access["client_secret"])
    assert_token_error(r, 401, "invalid_client")


def test_unknown_client_not_a_uuid(base, acct, access):
    r = helpers.token_request(base, acct["id"], "not-a-client", access["client_secret"])
    assert_token_error(r, 401, "invalid_client")


def test_wrong_secret(base, acct, access):
    r = helpers.token_request(base, acct["id"], access["client_id"], "0" * 64)
    assert_token_error(r, 401, "invalid_client")


def test_wrong_secret_of_other_length(base, acct, access):
    r = helpers.token_request(base, acct["id"], access["client_id"], access["client_secret"][:-1])
    assert_token_error(r, 401, "invalid_client")


def test_unknown_client_and_wrong_secret_identical_json(base, admin, acct):
    a1 = admin.create_access(acct["id"], actions=["flag.list"])
    r_wrong = helpers.token_request(base, acct["id"], a1["client_id"], "f" * 64)
    r_unknown = helpers.token_request(base, acct["id"], str(uuid.uuid4()), "f" * 64)
    assert_token_error(r_wrong, 401, "invalid_client")
    assert _comparable(r_wrong) == _comparable(r_unknown)


def test_unknown_client_and_wrong_secret_identical_basic(base, admin, acct):
    a1 = admin.create_access(acct["id"], actions=["flag.list"])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r_wrong = post_token(base, "/%s/token" % acct["id"], data="grant_type=client_credentials",
                         headers=dict(form, Authorization=basic(a1["client_id"], "e" * 64)))
    r_unknown = post_token(base, "/%s/token" % acct["id"], data="grant_type=client_credentials",
                           headers=dict(form, Authorization=basic(str(uuid.uuid4()), "e" * 64)))
    assert_token_error(r_wrong, 401, "invalid_client")
    assert r_wrong.headers.get("WWW-Authenticate", "").startswith('Basic realm="rcauth"'), \
        dict(r_wrong.headers)
    assert _comparable(r_wrong) == _comparable(r_unknown)


def test_wrong_secret_in_basic_has_www_authenticate(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"], data="grant_type=client_credentials",
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "Authorization": basic(access["client_id"], "1" * 64)})
    assert_token_error(r, 401, "invalid_client")
    assert r.headers.get("WWW-Authenticate", "").startswith('Basic realm="rcauth"'), dict(r.headers)


def test_revoked_access(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    helpers.get_token(base, acct["id"], a)
    admin.revoke(acct["id"], a["client_id"])
    r = helpers.token_request(base, acct["id"], a["client_id"], a["client_secret"])
    assert_token_error(r, 401, "invalid_client")


def test_revoked_access_basic(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    admin.revoke(acct["id"], a["client_id"])
    r = post_token(base, "/%s/token" % acct["id"], data="grant_type=client_credentials",
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "Authorization": basic(a["client_id"], a["client_secret"])})
    assert_token_error(r, 401, "invalid_client")
    assert r.headers.get("WWW-Authenticate", "").startswith('Basic realm="rcauth"'), dict(r.headers)


def test_access_of_another_account(base, admin, acct, access):
    other = admin.create_account()
    r = helpers.token_request(base, other["id"], access["client_id"], access["client_secret"])
    assert_token_error(r, 401, "invalid_client")
    # and it still works on its own account's path
    assert_token_ok(helpers.token_request(base, acct["id"], access["client_id"],
                                          access["client_secret"]))


def test_access_of_another_account_basic(base, admin, acct, access):
    other = admin.create_account()
    r = post_token(base, "/%s/token" % other["id"], data="grant_type=client_credentials",
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "Authorization": basic(access["client_id"], access["client_secret"])})
    assert_token_error(r, 401, "invalid_client")
    assert r.headers.get("WWW-Authenticate", "").startswith('Basic realm="rcauth"'), dict(r.headers)


def test_unknown_account_path_issues_nothing(base, acct, access):
    r = helpers.token_request(base, "no-such-account", access["client_id"],
                              access["client_secret"])
    assert r.status_code in (401, 404), (r.status_code, r.text)
    body = helpers.assert_json_error(r, r.status_code)
    assert "access_token" not in body


# ---------------------------------------------------------------- unsupported_grant_type


@pytest.mark.parametrize("grant", ["password", "authorization_code", "implicit",
                                   "urn:ietf:params:oauth:grant-type:jwt-bearer"])
def test_unsupported_grant_type(base, acct, access, grant):
    r = helpers.token_request(base, acct["id"], access["client_id"], access["client_secret"],
                              grant_type=grant)
    assert_token_error(r, 400, "unsupported_grant_type")


def test_grant_type_defaults_to_client_credentials(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"],
                   json_body={"client_id": access["client_id"],
                              "client_secret": access["client_secret"]})
    assert_token_ok(r)


# ---------------------------------------------------------------- invalid_scope


@pytest.mark.parametrize("scope", ["project.delete", "campaign.read project.delete",
                                   "nope.nope", "campaign", "env:no-such-env",
                                   "campaign.read env:no-such-env"])
def test_scope_outside_access(base, acct, access, scope):
    r = helpers.token_request(base, acct["id"], access["client_id"], access["client_secret"],
                              scope=scope)
    assert_token_error(r, 400, "invalid_scope")


def test_scope_env_of_another_account(base, admin, acct, access):
    other = admin.create_account()
    env = admin.create_env(other["id"])
    r = helpers.token_request(base, acct["id"], access["client_id"], access["client_secret"],
                              scope="env:" + env["id"])
    assert_token_error(r, 400, "invalid_scope")


def test_scope_env_outside_limited_access(base, admin, acct):
    e1 = admin.create_env(acct["id"])
    e2 = admin.create_env(acct["id"])
    a = admin.create_access(acct["id"], actions=["campaign.read"], environments=[e1["id"]])
    r = helpers.token_request(base, acct["id"], a["client_id"], a["client_secret"],
                              scope="env:" + e2["id"])
    assert_token_error(r, 400, "invalid_scope")


# ---------------------------------------------------------------- invalid_grant


def test_refresh_unknown_token(base, acct, access):
    r = helpers.refresh_request(base, acct["id"], access["client_id"], "A" * 43)
    assert_token_error(r, 400, "invalid_grant")


def test_refresh_spent_token(base, acct, access):
    d = helpers.get_token(base, acct["id"], access)
    r1 = helpers.refresh_request(base, acct["id"], access["client_id"], d["refresh_token"])
    assert_token_ok(r1)
    r2 = helpers.refresh_request(base, acct["id"], access["client_id"], d["refresh_token"])
    assert_token_error(r2, 400, "invalid_grant")


def test_refresh_token_of_revoked_access(base, admin, acct):
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    d = helpers.get_token(base, acct["id"], a)
    admin.revoke(acct["id"], a["client_id"])
    r = helpers.refresh_request(base, acct["id"], a["client_id"], d["refresh_token"])
    assert_token_error(r, 400, "invalid_grant")


def test_refresh_token_of_another_client(base, admin, acct, access):
    other = admin.create_access(acct["id"], actions=["campaign.read"])
    d = helpers.get_token(base, acct["id"], access)
    r = helpers.refresh_request(base, acct["id"], other["client_id"], d["refresh_token"])
    assert_token_error(r, 400, "invalid_grant")


def test_refresh_missing_token(base, acct, access):
    r = post_token(base, "/%s/token" % acct["id"],
                   json_body={"grant_type": "refresh_token", "client_id": access["client_id"]})
    assert r.status_code == 400, (r.status_code, r.text)
    body = assert_token_error(r, 400, None)
    assert body["error"] in ("invalid_request", "invalid_grant"), body


def test_refresh_grant_when_refresh_tokens_are_off():
    """--no-refresh-tokens: no refresh_token in the answer, and the grant is unsupported."""
    from conftest import make_server
    srv = make_server("no-refresh", ["--no-refresh-tokens"])
    try:
        admin = srv.admin()
        acct = admin.create_account()
        a = admin.create_access(acct["id"], actions=["flag.read"])
        d = helpers.get_token(srv.base, acct["id"], a)
        assert "refresh_token" not in d, d
        r = helpers.refresh_request(srv.base, acct["id"], a["client_id"], "rt1.x.y",
                                    client_secret=a["client_secret"])
        assert_token_error(r, 400, "unsupported_grant_type")
    finally:
        srv.stop()
        srv.kill()
