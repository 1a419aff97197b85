# SPDX-License-Identifier: MIT
"""HTTPS (issue 7): with --tls-cert and --tls-key the server speaks TLS 1.2 and 1.3 only.
curl --cacert obtains and verifies a token; plain HTTP and TLS 1.1 to the TLS port are
refused; the issuer is https; the panel's cookie is Secure. Also the per-address connection
cap, which keeps one address from holding every connection."""

import json
import os
import socket
import subprocess
import time

import pytest
import requests

import helpers
from conftest import make_server


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    cp = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    return cert, key


@pytest.fixture(scope="module")
def tls_server(tls_files):
    srv = make_server("tls", tls=tls_files)
    yield srv
    srv.stop()
    srv.kill()


def curl(*args):
    cp = subprocess.run(["curl", "-sS", "--max-time", "10"] + list(args), capture_output=True,
                        text=True)
    return cp.returncode, cp.stdout, cp.stderr


def test_curl_with_cacert_gets_and_verifies_a_token(tls_server, tls_files):
    admin = tls_server.admin()
    acct = admin.create_account()
    a = admin.create_access(acct["id"], actions=["campaign.read"])
    body = json.dumps({"grant_type": "client_credentials", "scope": "*",
                       "client_id": a["client_id"], "client_secret": a["client_secret"]})
    rc, out, err = curl("--cacert", tls_files[0], "-X", "POST",
                        "%s/%s/token?expires_in=1800" % (tls_server.base, acct["id"]),
                        "-H", "Content-Type: application/json", "--data-raw", body)
    assert rc == 0, err
    d = json.loads(out)
    helpers.record_token_answer(d)
    assert helpers.jwt_decode(d["access_token"])[1]["iss"] == "%s/%s" % (tls_server.base,
                                                                        acct["id"])
    rc, out, err = curl("--cacert", tls_files[0],
                        "%s/token?access_token=%s" % (tls_server.base, d["access_token"]))
    assert rc == 0, err
    assert json.loads(out)["client_id"] == a["client_id"], out


def test_plain_http_to_the_tls_port_is_refused(tls_server):
    r = None
    try:
        r = requests.get("http://127.0.0.1:%d/healthz" % tls_server.port, timeout=5)
    except requests.RequestException:
        pass
    assert r is None, (r.status_code, r.text)


def test_tls_1_1_is_refused_and_1_2_accepted(tls_server, tls_files):
    rc, _, err = curl("--cacert", tls_files[0], "--tls-max", "1.1", tls_server.base + "/healthz")
    assert rc != 0, "TLS 1.1 accepted"
    rc, out, err = curl("--cacert", tls_files[0], "--tlsv1.2", "--tls-max", "1.2",
                        tls_server.base + "/healthz")
    assert rc == 0 and json.loads(out)["status"] == "ok", err


def test_unknown_ca_is_refused_by_the_client(tls_server):
    rc, _, _ = curl(tls_server.base + "/healthz")
    assert rc == 60  # curl: peer certificate cannot be authenticated


def test_panel_cookie_is_secure_under_tls(tls_server):
    r = requests.post(tls_server.base + "/admin/session", json={"admin_key": tls_server.admin_key},
                      headers={"Origin": tls_server.base}, verify=tls_server.verify, timeout=10)
    assert r.status_code in (200, 201), r.text
    cookie = r.headers.get("Set-Cookie", "")
    assert "; Secure" in cookie, cookie


def test_cert_without_key_is_a_usage_error(tls_files):
    cp = helpers.run_cli(["serve", "--tls-cert", tls_files[0], "--listen", "127.0.0.1:1"],
                         data_dir="/nonexistent-rcauth")
    assert cp.returncode == 2, (cp.returncode, cp.stderr)


def test_unreadable_cert_fails_to_start(tmp_path):
    cp = helpers.run_cli(["serve", "--tls-cert", str(tmp_path / "nope.pem"), "--tls-key",
                          str(tmp_path / "nope.pem"), "--listen", "127.0.0.1:0"],
                         data_dir=str(tmp_path / "data"))
    assert cp.returncode == 1, (cp.returncode, cp.stderr)
    assert "cannot read the TLS file" in cp.stderr


def test_one_address_cannot_hold_every_connection():
    srv = make_server("conn-cap", ["--max-connections-per-address", "8"])
    held = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", srv.port))
            held.append(s)
        time.sleep(0.2)
        extra = socket.socket()
        extra.settimeout(3)
        extra.bind(("127.0.0.2", 0))
        extra.connect(("127.0.0.1", srv.port))
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            got = extra.recv(100)
        except (ConnectionResetError, socket.timeout):
            got = b""
        extra.close()
        assert got == b"", got  # the ninth from that address is closed unanswered
        # another address is served at once
        r = requests.get(srv.base + "/healthz", timeout=2)
        assert r.status_code == 200
    finally:
        for s in held:
            s.close()
        srv.stop()
        srv.kill()
