# SPDX-License-Identifier: MIT
"""Acceptance 5: RFC 6749 §2.3.1 HTTP Basic — base64(urlenc(id):urlenc(secret)), with the
form-encoding decoded — and the form body (application/x-www-form-urlencoded)."""

import base64
import urllib.parse

import pytest

import helpers
from helpers import assert_token_error, assert_token_ok, post_token

FORM = "application/x-www-form-urlencoded"


def basic_raw(userpass):
    return "Basic " + base64.b64encode(userpass.encode()).decode()


def pct_all(s, fmt="%%%02X"):
    return "".join(fmt % ord(c) for c in s)


def send_basic(base, acct, authz, body="grant_type=client_credentials", params=None):
    return post_token(base, "/%s/token" % acct["id"], params=params, data=body,
                      headers={"Content-Type": FORM, "Authorization": authz})


def assert_issued_to(r, access):
    d = assert_token_ok(r)
    assert helpers.jwt_decode(d["access_token"])[1]["client_id"] == access["client_id"], d
    return d


def test_basic_plain(base, acct, access):
    r = send_basic(base, acct, basic_raw("%s:%s" % (access["client_id"], access["client_secret"])))
    assert_issued_to(r, access)


def test_basic_client_id_dash_escaped_uppercase(base, acct, access):
    cid = access["client_id"].replace("-", "%2D")
    r = send_basic(base, acct, basic_raw("%s:%s" % (cid, access["client_secret"])))
    assert_issued_to(r, access)


def test_basic_client_id_dash_escaped_lowercase(base, acct, access):
    cid = access["client_id"].replace("-", "%2d")
    r = send_basic(base, acct, basic_raw("%s:%s" % (cid, access["client_secret"])))
    assert_issued_to(r, access)


def test_basic_secret_hex_letters_escaped(base, acct, access):
    sec = "".join("%%%02X" % ord(c) if c in "abcdef" else c for c in access["client_secret"])
    assert "%6" in sec
    r = send_basic(base, acct, basic_raw("%s:%s" % (access["client_id"], sec)))
    assert_issued_to(r, access)


def test_basic_everything_escaped(base, acct, access):
    r = send_basic(base, acct, basic_raw("%s:%s" % (pct_all(access["client_id"]),
                                                    pct_all(access["client_secret"], "%%%02x"))))
    assert_issued_to(r, access)


def test_basic_with_expires_in_query_and_scope(base, acct, access):
    r = send_basic(base, acct, basic_raw("%s:%s" % (access["client_id"], access["client_secret"])),
                   body="grant_type=client_credentials&scope=campaign.read+flag.list",
                   params={"expires_in": "1800"})
    d = assert_issued_to(r, access)
    assert d["expires_in"] == 1800, d
    assert d["scope"] == "campaign.read flag.list env:*", d


def test_basic_scheme_case_insensitive(base, acct, access):
    authz = basic_raw("%s:%s" % (access["client_id"], access["client_secret"]))
    r = send_basic(base, acct, "basic" + authz[len("Basic"):])
    assert_issued_to(r, access)


@pytest.mark.parametrize("where", ["id", "secret"])
@pytest.mark.parametrize("bad", ["%zz", "%2", "%"])
def test_basic_bad_escape(base, acct, access, where, bad):
    cid, sec = access["client_id"], access["client_secret"]
    if where == "id":
        cid = cid[:8] + bad + cid[8:]
    else:
        sec = sec[:10] + bad + sec[10:]
    r = send_basic(base, acct, basic_raw("%s:%s" % (cid, sec)))
    assert r.status_code in (400, 401), (r.status_code, r.text)
    body = assert_token_error(r, r.status_code, None)
    assert body["error"] == ("invalid_request" if r.status_code == 400 else "invalid_client"), body


@pytest.mark.parametrize("authz", ["Basic !!!notbase64!!!", "Basic ", "Basic bm9jb2xvbg=="])
def test_basic_malformed(base, acct, access, authz):
    r = send_basic(base, acct, authz)
    assert r.status_code in (400, 401), (r.status_code, r.text)
    body = assert_token_error(r, r.status_code, None)
    assert body["error"] in ("invalid_request", "invalid_client"), body


def test_basic_and_body_credentials(base, acct, access):
    body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                   "client_id": access["client_id"],
                                   "client_secret": access["client_secret"]})
    r = send_basic(base, acct, basic_raw("%s:%s" % (access["client_id"], access["client_secret"])),
                   body=body)
    assert_token_error(r, 400, "invalid_request")


def test_basic_and_body_client_secret_only(base, acct, access):
    body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                   "client_secret": access["client_secret"]})
    r = send_basic(base, acct, basic_raw("%s:%s" % (access["client_id"], access["client_secret"])),
                   body=body)
    assert_token_error(r, 400, "invalid_request")


def test_form_body_credentials(base, acct, access):
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "*",
                                   "client_id": access["client_id"],
                                   "client_secret": access["client_secret"]})
    r = post_token(base, "/%s/token" % acct["id"], params={"expires_in": "0"}, data=body,
                   headers={"Content-Type": FORM})
    d = assert_issued_to(r, access)
    assert d["expires_in"] == 0 and d["scope"] == "campaign.read campaign.toggle flag.list env:*", d


def test_form_body_with_charset_and_encoded_scope(base, acct, access):
    body = ("grant_type=client_credentials&scope=campaign.toggle%%20campaign.read&client_id=%s"
            "&client_secret=%s&expires_in=1800" % (access["client_id"].replace("-", "%2D"),
                                                   access["client_secret"]))
    r = post_token(base, "/%s/token" % acct["id"], data=body,
                   headers={"Content-Type": FORM + "; charset=UTF-8"})
    d = assert_issued_to(r, access)
    assert d["expires_in"] == 1800, d
    assert d["scope"] == "campaign.read campaign.toggle env:*", d


def test_form_body_wrong_secret(base, acct, access):
    body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                   "client_id": access["client_id"], "client_secret": "9" * 64})
    r = post_token(base, "/%s/token" % acct["id"], data=body, headers={"Content-Type": FORM})
    assert_token_error(r, 401, "invalid_client")


def test_form_refresh_with_basic(base, acct, access):
    d = helpers.get_token(base, acct["id"], access)
    body = urllib.parse.urlencode({"grant_type": "refresh_token",
                                   "refresh_token": d["refresh_token"]})
    r = send_basic(base, acct, basic_raw("%s:%s" % (access["client_id"], access["client_secret"])),
                   body=body)
    d2 = assert_issued_to(r, access)
    assert d2["refresh_token"] != d["refresh_token"]
