# SPDX-License-Identifier: MIT
"""Off-the-shelf OAuth client libraries that nobody here wrote work unchanged (issue 3):
Python's requests-oauthlib (Debian python3-requests-oauthlib) with BackendApplicationClient
and fetch_token against the form endpoint with HTTP Basic, and Node's openid-client (npm, v6)
discovering the server through its RFC 8414 metadata, then running the client-credentials
grant, introspection and revocation (tests/interop/openid_client.mjs).

A missing library or Node fails these tests with what to install; they never skip."""

import json
import os
import shutil
import subprocess

import pytest

import helpers
from helpers import verify

INTEROP = os.path.join(helpers.REPO_ROOT, "tests", "interop")


def test_requests_oauthlib_backend_application_client(base, acct, access, monkeypatch):
    try:
        from oauthlib.oauth2 import BackendApplicationClient
        from requests_oauthlib import OAuth2Session
    except ImportError as e:
        pytest.fail("requests-oauthlib is missing (%s): run scripts/install-deps.sh, which "
                    "installs Debian's python3-requests-oauthlib" % e, pytrace=False)
    # oauthlib refuses plain HTTP unless told otherwise; the test server is on loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")

    seen = []
    session = OAuth2Session(client=BackendApplicationClient(client_id=access["client_id"]))
    session.hooks["response"].append(lambda r, *a, **kw: seen.append(r.request))
    token = session.fetch_token(token_url="%s/%s/token" % (base, acct["id"]),
                                client_id=access["client_id"],
                                client_secret=access["client_secret"])
    helpers.record_token_answer(dict(token))

    # the library's default: credentials in HTTP Basic, a form body without the secret
    req = seen[0]  # (no message that would print its headers: they hold the secret)
    assert req.headers["Authorization"].startswith("Basic ")
    ctype = req.headers["Content-Type"].split(";")[0]
    assert ctype == "application/x-www-form-urlencoded", ctype
    body = req.body.decode() if isinstance(req.body, bytes) else req.body
    assert "grant_type=client_credentials" in body and access["client_secret"] not in body

    assert token["token_type"] == "Bearer" and token["access_token"], token
    r = verify(base, token["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["client_id"] == access["client_id"]
    # The default token does not expire and says expires_in 0 (SPEC §2), which oauthlib reads
    # as "expired now" before its own Bearer calls; asked with a lifetime (an extra body
    # parameter, passed through by fetch_token), the session's own call works too.
    token = session.fetch_token(token_url="%s/%s/token" % (base, acct["id"]),
                                client_id=access["client_id"],
                                client_secret=access["client_secret"], expires_in="1800")
    helpers.record_token_answer(dict(token))
    assert token["expires_in"] == 1800, token["expires_in"]
    r = session.get(base + "/token", timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200 and r.json()["account"] == acct["id"], r.text


def _node_ready():
    """Node and the locked npm packages of tests/interop, installed with `npm ci` when
    node_modules is missing or older than the lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node/npm not found: run scripts/install-deps.sh (Debian's nodejs and npm)",
                    pytrace=False)
    lock = os.path.join(INTEROP, "package-lock.json")
    installed = os.path.join(INTEROP, "node_modules", ".package-lock.json")
    if not os.path.exists(installed) or os.path.getmtime(installed) < os.path.getmtime(lock):
        cp = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=INTEROP,
                            capture_output=True, text=True, timeout=600)
        if cp.returncode != 0:
            pytest.fail("`npm ci` in tests/interop failed (%d):\n%s%s"
                        % (cp.returncode, cp.stdout, cp.stderr), pytrace=False)
    return node


def test_openid_client_discovery_grant_introspection(base, acct, access):
    node = _node_ready()
    issuer = base + "/" + acct["id"]
    env = dict(os.environ, RCAUTH_ISSUER=issuer, RCAUTH_CLIENT_ID=access["client_id"],
               RCAUTH_CLIENT_SECRET=access["client_secret"])
    cp = subprocess.run([node, "openid_client.mjs"], cwd=INTEROP, env=env, capture_output=True,
                        text=True, timeout=120)
    assert cp.returncode == 0, "openid-client script failed:\n%s%s" % (cp.stdout, cp.stderr)
    out = json.loads(cp.stdout)
    assert set(out) == {"client_secret_basic", "client_secret_post"}, out
    for method, res in out.items():
        helpers.record_token_answer(res["tokens"])
        assert res["metadata"]["issuer"] == issuer, (method, res["metadata"])
        assert res["metadata"]["token_endpoint"] == issuer + "/token"
        tok = res["tokens"]
        assert tok["token_type"].lower() == "bearer" and tok["scope"] == "campaign.read env:*"
        info = res["introspection"]
        assert info["active"] is True, (method, info)
        assert info["client_id"] == access["client_id"] and info["iss"] == issuer, info
        assert info["scope"] == "campaign.read env:*", info
        # revoked through the library's tokenRevocation: inactive there and here
        assert res["afterRevocation"] == {"active": False}, res["afterRevocation"]
        assert verify(base, tok["access_token"]).status_code == 401
