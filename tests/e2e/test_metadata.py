# SPDX-License-Identifier: MIT
"""GET /.well-known/oauth-authorization-server/{ACCOUNT_ID} (RFC 8414, SPEC §7): one
document per account issuer, whose issuer is the iss of that account's tokens, and whose
every URL works as given."""

import json

import pytest
import requests

import conftest
import helpers
from helpers import assert_json_error, jwt_decode, verify
from token_ops import assert_active, basic, metadata

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _doc(base, account):
    r = metadata(base, account)
    assert r.status_code == 200, (r.status_code, r.text)
    assert helpers.is_json_ct(r), r.headers
    return r


def test_document_fields(base, acct):
    r = _doc(base, acct["id"])
    issuer = base + "/" + acct["id"]
    assert r.json() == {
        "issuer": issuer,
        "token_endpoint": issuer + "/token",
        "introspection_endpoint": issuer + "/introspect",
        "revocation_endpoint": issuer + "/revoke",
        "jwks_uri": base + "/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials", "refresh_token"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "scopes_supported": helpers.CATALOG,
    }, r.text
    # public, and only for a short while (the document changes with the configuration)
    cc = r.headers.get("Cache-Control", "").replace(" ", "")
    assert cc == "public,max-age=300", r.headers


def test_issuer_is_the_tokens_iss(base, acct, access):
    doc = _doc(base, acct["id"]).json()
    t = helpers.get_token(base, acct["id"], access)
    assert jwt_decode(t["access_token"])[1]["iss"] == doc["issuer"]


def test_every_endpoint_works_as_given(base, acct, access):
    doc = _doc(base, acct["id"]).json()
    r = requests.post(doc["token_endpoint"], data={"grant_type": "client_credentials"},
                      auth=basic(access), timeout=helpers.HTTP_TIMEOUT)
    t = helpers.assert_token_ok(r)
    helpers.record_token_answer(t)
    assert verify(base, t["access_token"]).status_code == 200
    r = requests.post(doc["introspection_endpoint"], data={"token": t["access_token"]},
                      auth=basic(access), timeout=helpers.HTTP_TIMEOUT)
    assert assert_active(r)["client_id"] == access["client_id"]
    r = requests.post(doc["revocation_endpoint"], data={"token": t["access_token"]},
                      auth=basic(access), timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert verify(base, t["access_token"]).status_code == 401


def test_jwks_uri_answers(base, acct, access):
    doc = _doc(base, acct["id"]).json()
    kid = jwt_decode(helpers.get_token(base, acct["id"], access)["access_token"])[0]["kid"]
    r = requests.get(doc["jwks_uri"], timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, (r.status_code, r.text)
    assert kid in [k.get("kid") for k in r.json()["keys"]], r.text


def test_unknown_account_is_json_404(base):
    for account in ("nosuchaccount", "dc95ic0hou7vuck3npg0", "a%2Fb"):
        r = metadata(base, account)
        assert_json_error(r, 404)
    # the issuer-less document does not exist: there is one per account
    r = requests.get(base + "/.well-known/oauth-authorization-server",
                     timeout=helpers.HTTP_TIMEOUT, allow_redirects=False)
    assert_json_error(r, 404)


def test_public_url_and_refresh_setting():
    srv = conftest.make_server("metadata-public-url", [
        "--public-url", "https://auth.example.com/", "--no-refresh-tokens"])
    try:
        a = srv.admin()
        acct = a.create_account()
        access = a.create_access(acct["id"], actions=["flag.read"])
        doc = _doc(srv.base, acct["id"]).json()
        issuer = "https://auth.example.com/" + acct["id"]
        assert doc["issuer"] == issuer, doc
        assert doc["token_endpoint"] == issuer + "/token", doc
        assert doc["jwks_uri"] == "https://auth.example.com/.well-known/jwks.json", doc
        assert doc["grant_types_supported"] == ["client_credentials"], doc
        t = helpers.get_token(srv.base, acct["id"], access)
        assert "refresh_token" not in t
        assert jwt_decode(t["access_token"])[1]["iss"] == issuer
    finally:
        srv.stop()
        srv.kill()


class AnyPortServer(helpers.Server):
    """Started with --listen 127.0.0.1:0: its port is the one its "listening" line names."""

    @property
    def host(self):
        return "127.0.0.1:0"

    @property
    def base(self):
        for line in reversed(self.log_text().splitlines()):
            entry = json.loads(line)
            if entry.get("msg") == "listening":
                return "http://127.0.0.1:%s" % entry["port"]
        return "http://127.0.0.1:1"  # not listening yet: refused, start() retries


def test_port_0_public_url_names_the_bound_port():
    """The default public URL is made from --listen: with port 0, the port bound, not ":0"."""
    srv = conftest.make_server("port0", server_class=AnyPortServer)
    try:
        root = srv.base
        assert not root.endswith(":0") and not root.endswith(":1"), root
        a = srv.admin()
        acct = a.create_account()
        access = a.create_access(acct["id"], actions=["flag.read"])
        doc = _doc(root, acct["id"]).json()
        issuer = root + "/" + acct["id"]
        assert doc["issuer"] == issuer, doc
        assert doc["token_endpoint"] == issuer + "/token", doc
        assert doc["jwks_uri"] == root + "/.well-known/jwks.json", doc
        t = helpers.get_token(root, acct["id"], access)
        assert jwt_decode(t["access_token"])[1]["iss"] == issuer
        assert requests.get(doc["jwks_uri"], timeout=helpers.HTTP_TIMEOUT).status_code == 200
    finally:
        srv.stop()
        srv.kill()


class ZeroPaddedPortServer(helpers.Server):
    """Started with its port written with leading zeros (--listen 127.0.0.1:0PORT)."""

    @property
    def host(self):
        return "127.0.0.1:0%d" % self.port


def test_a_zero_padded_listen_port_is_named_as_a_number():
    """Clients write the port as a number: the issuer must match what they configure."""
    srv = conftest.make_server("padded", server_class=ZeroPaddedPortServer)
    try:
        acct = srv.admin().create_account()
        doc = _doc(srv.base, acct["id"]).json()
        assert doc["issuer"] == "http://127.0.0.1:%d/%s" % (srv.port, acct["id"]), doc
    finally:
        srv.stop()
        srv.kill()
