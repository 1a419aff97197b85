# SPDX-License-Identifier: MIT
"""IPv6: `--listen [::1]:PORT` serves over IPv6, and the public URL made from it (the
issuer of tokens and metadata) keeps the brackets (RFC 3986 §3.2.2): `http://[::1]:PORT`.
An IPv6 address without brackets is a usage error, since its last group could be read as
the port."""

import os
import uuid

import pytest
import requests

import conftest
import helpers


class Ipv6Server(helpers.Server):
    """The harness's server, listening on the IPv6 loopback."""

    @property
    def host(self):
        return "[::1]:%d" % self.port

    @property
    def base(self):
        return "http://[::1]:%d" % self.port


@pytest.fixture(scope="module")
def server6():
    workdir = os.path.join(conftest._root(), "ipv6-%s" % uuid.uuid4().hex[:6])
    os.makedirs(workdir)
    srv = Ipv6Server(workdir, "ipv6")
    try:
        srv.start()
    except RuntimeError as e:
        srv.kill()
        pytest.fail("%s\n(is there an IPv6 loopback, ::1, on this machine?)" % e,
                    pytrace=False)
    yield srv
    srv.stop()
    srv.kill()


def test_token_issued_and_verified_over_ipv6(server6):
    admin = server6.admin()
    acct = admin.create_account()
    access = admin.create_access(acct["id"], actions=["campaign.read"])
    d = helpers.get_token(server6.base, acct["id"], access, expires_in=60)
    _, claims = helpers.jwt_decode(d["access_token"])
    assert claims["iss"] == "http://[::1]:%d/%s" % (server6.port, acct["id"]), claims
    r = helpers.verify(server6.base, d["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["account"] == acct["id"] and r.json()["active"] is True
    # the listener is IPv6 only: nothing answers on the IPv4 loopback at that port
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:%d/healthz" % server6.port, timeout=5)


def test_metadata_issuer_is_the_bracketed_url(server6):
    acct = server6.admin().create_account()
    r = requests.get(server6.base + "/.well-known/oauth-authorization-server/" + acct["id"],
                     timeout=10)
    assert r.status_code == 200, r.text
    meta = r.json()
    root = "http://[::1]:%d" % server6.port
    assert meta["issuer"] == root + "/" + acct["id"], meta
    assert meta["token_endpoint"].startswith(root + "/"), meta
    assert meta["jwks_uri"].startswith(root + "/"), meta


@pytest.mark.parametrize("listen", ["::1:%d", "[::1:%d", "[127.0.0.1]:%d", "[]:%d"])
def test_ipv6_without_brackets_is_a_usage_error(tmp_path, listen):
    port = helpers.free_port()
    cp = helpers.run_cli(["serve", "--listen", listen % port], data_dir=str(tmp_path),
                         timeout=20)
    assert cp.returncode == 2, (cp.returncode, cp.stderr)
    last = cp.stderr.strip().splitlines()[-1]
    assert last.startswith("rcauth: --listen") and "brackets" in last, cp.stderr


@pytest.mark.parametrize("listen", ["localhost:%d", "999.1.1.1:%d", "127.1:%d", "[zz::1]:%d"])
def test_listen_on_a_name_is_a_usage_error(tmp_path, listen):
    """Refused at parsing, saying why, not by a bind that fails without a reason."""
    cp = helpers.run_cli(["serve", "--listen", listen % helpers.free_port()],
                         data_dir=str(tmp_path / "data"), timeout=20)
    assert cp.returncode == 2, (cp.returncode, cp.stderr)
    last = cp.stderr.strip().splitlines()[-1]
    assert last.startswith("rcauth: --listen") and "IP address" in last, cp.stderr
    assert "127.0.0.1:8080" in last and "[::1]:8080" in last, cp.stderr
    assert not (tmp_path / "data").exists()  # refused before opening anything


def test_listen_on_an_ipv4_mapped_address_is_a_usage_error(tmp_path):
    """MHD binds it IPv6-only, where nothing can reach it: the IPv4 form is what works."""
    port = helpers.free_port()
    cp = helpers.run_cli(["serve", "--listen", "[::ffff:127.0.0.1]:%d" % port],
                         data_dir=str(tmp_path), timeout=20)
    assert cp.returncode == 2, (cp.returncode, cp.stderr)
    last = cp.stderr.strip().splitlines()[-1]
    assert "IPv4-mapped" in last and "127.0.0.1:%d" % port in last, cp.stderr


@pytest.mark.parametrize("how", ["env", "file"])
def test_listen_from_the_environment_or_file_is_checked_too(tmp_path, how):
    value = "localhost:%d" % helpers.free_port()
    env = None
    args = ["serve"]
    if how == "env":
        env = {"RCAUTH_LISTEN": value}
    else:
        ini = tmp_path / "rcauth.ini"
        ini.write_text("[server]\nlisten = %s\n" % value)
        args += ["--config", str(ini)]
    cp = helpers.run_cli(args, data_dir=str(tmp_path / "data"), env=env, timeout=20)
    assert cp.returncode == 2, (cp.returncode, cp.stderr)
    assert "IP address" in cp.stderr and value in cp.stderr, cp.stderr
