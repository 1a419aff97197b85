# SPDX-License-Identifier: MIT
"""Acceptance 1: the hosted service's documented requests, verbatim apart from the host,
sent with the real curl (SPEC §2, §3, §4)."""

import json
import os
import shlex
import subprocess
import tempfile
import time

import pytest

import helpers


def run_curl(cmdline):
    """Run a documented curl command line (a shell string) plus -sS -D to capture the
    headers. Returns (status, headers dict lowercased, body bytes)."""
    with tempfile.NamedTemporaryFile(prefix="hdr-", delete=False) as f:
        hdr = f.name
    try:
        cp = subprocess.run(cmdline + " -sS -D " + shlex.quote(hdr), shell=True,
                            capture_output=True, timeout=20, executable="/bin/bash")
        assert cp.returncode == 0, (cp.returncode, cp.stderr)
        with open(hdr, "rb") as f:
            raw = f.read().decode("latin-1")
    finally:
        os.unlink(hdr)
    lines = raw.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers, cp.stdout


def documented_token_curl(host, account, client_id, client_secret, expires_in):
    body = ('{"grant_type":"client_credentials","scope":"*","client_id":"%s","client_secret":"%s"}'
            % (client_id, client_secret))
    return ("curl -X POST 'http://%s/%s/token?expires_in=%d' -H 'Content-Type: application/json' "
            "--data-raw '%s'" % (host, account, expires_in, body))


def documented_verify_curl(host, token):
    return "curl 'http://%s/token?access_token=%s'" % (host, token)


@pytest.fixture(scope="module")
def setup(admin):
    acct = admin.create_account(name="Documented")
    access = admin.create_access(acct["id"], actions=["campaign.read", "campaign.toggle"],
                                 name="CI pipeline")
    return acct, access


def curl_token(server, acct, access, expires_in):
    status, headers, body = run_curl(documented_token_curl(
        server.host, acct["id"], access["client_id"], access["client_secret"], expires_in))
    assert status == 200, (status, body)
    assert headers.get("content-type", "").split(";")[0] == "application/json", headers
    assert headers.get("cache-control") == "no-store", headers
    assert headers.get("pragma") == "no-cache", headers
    assert "content-encoding" not in headers, headers  # curl did not ask for compression
    d = json.loads(body)
    helpers.record_token_answer(d)
    assert isinstance(d.get("access_token"), str) and d["access_token"], d
    assert d.get("token_type") == "Bearer", d
    return d


def curl_verify(server, token):
    status, headers, body = run_curl(documented_verify_curl(server.host, token))
    return status, headers, json.loads(body)


def test_documented_token_expires_in_0_does_not_expire(server, setup):
    acct, access = setup
    d = curl_token(server, acct, access, 0)
    assert d["expires_in"] == 0, d
    assert d["scope"] == "campaign.read campaign.toggle env:*", d
    assert isinstance(d.get("refresh_token"), str) and d["refresh_token"], d
    _, payload = helpers.jwt_decode(d["access_token"])
    assert "exp" not in payload, payload


def test_documented_verify_of_non_expiring_token(server, setup):
    acct, access = setup
    d = curl_token(server, acct, access, 0)
    status, headers, v = curl_verify(server, d["access_token"])
    assert status == 200, (status, v)
    assert headers.get("content-type", "").split(";")[0] == "application/json", headers
    assert v["expires_in"] == 0, v
    assert "exp" not in v, v
    assert v["client_id"] == access["client_id"], v
    assert v["account"] == acct["id"], v
    assert v["active"] is True, v
    assert v["access_name"] == "CI pipeline", v
    assert v["scope"] == "campaign.read campaign.toggle env:*", v
    assert v["actions"] == ["campaign.read", "campaign.toggle"], v
    assert v["environments"] == ["*"], v
    assert isinstance(v["iat"], int) and abs(v["iat"] - time.time()) < 60, v


def test_documented_token_expires_in_1800(server, setup):
    acct, access = setup
    before = int(time.time())
    d = curl_token(server, acct, access, 1800)
    assert d["expires_in"] == 1800, d
    _, payload = helpers.jwt_decode(d["access_token"])
    assert payload["exp"] - payload["iat"] == 1800, payload
    assert before - 2 <= payload["iat"] <= time.time() + 2, payload


def test_documented_verify_counts_down(server, setup):
    acct, access = setup
    d = curl_token(server, acct, access, 1800)
    _, payload = helpers.jwt_decode(d["access_token"])
    time.sleep(2.1)
    status, _, v = curl_verify(server, d["access_token"])
    assert status == 200, (status, v)
    assert 1790 < v["expires_in"] < 1800, v
    assert v["exp"] == payload["exp"], (v, payload)
    assert v["iat"] == payload["iat"], (v, payload)
    assert v["account"] == acct["id"] and v["client_id"] == access["client_id"], v


def test_jwt_header_and_claims(server, setup):
    """SPEC §4: RFC 9068 profile header and claims."""
    acct, access = setup
    d = curl_token(server, acct, access, 1800)
    assert helpers.JWT_RE.match(d["access_token"]), d["access_token"]
    header, payload = helpers.jwt_decode(d["access_token"])
    assert header.get("alg") == "EdDSA", header
    assert header.get("typ") == "at+jwt", header
    assert isinstance(header.get("kid"), str) and header["kid"], header
    assert payload["iss"] == "http://%s/%s" % (server.host, acct["id"]), payload
    assert payload["sub"] == access["client_id"], payload
    assert payload["client_id"] == access["client_id"], payload
    assert payload["account"] == acct["id"], payload
    assert payload["scope"] == "campaign.read campaign.toggle env:*", payload
    assert isinstance(payload["iat"], int), payload
    assert isinstance(payload.get("jti"), str) and payload["jti"], payload


def test_each_token_has_its_own_jti(server, setup):
    acct, access = setup
    jtis = {helpers.jwt_decode(curl_token(server, acct, access, 0)["access_token"])[1]["jti"]
            for _ in range(3)}
    assert len(jtis) == 3, jtis
