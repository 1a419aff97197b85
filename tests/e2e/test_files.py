# SPDX-License-Identifier: MIT
"""Files on disk (issue 7): the data directory is created 0700 and everything in it 0600
(the server key, the SQLite database and its WAL), whatever the umask; a server key that
others can read stops the server at start; a data directory others can write, or a database
others can read, only gets a warning (deployments that run so keep running)."""

import json
import os
import stat
import uuid

import pytest
import requests

import conftest
import helpers


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_dir_and_files_are_private(tmp_path):
    data = tmp_path / "data"
    old = os.umask(0o002)  # a permissive umask must not leak into the files
    try:
        cp = helpers.run_cli(["admin-key", "create", "--name", "modes"], data_dir=str(data))
    finally:
        os.umask(old)
    assert cp.returncode == 0, cp.stderr
    helpers.record_secret(cp.stdout.strip())
    assert mode(data) == 0o700, oct(mode(data))
    for name in os.listdir(data):
        assert mode(data / name) == 0o600, (name, oct(mode(data / name)))
    assert "server.key" in os.listdir(data)
    if helpers.BACKEND == "sqlite":
        assert "rcauth.db" in os.listdir(data)


@pytest.mark.parametrize("bad", [0o640, 0o604, 0o644, 0o620, 0o602])
def test_a_server_key_others_can_read_stops_the_server(tmp_path, bad):
    data = tmp_path / "data"
    cp = helpers.run_cli(["admin-key", "create"], data_dir=str(data))
    assert cp.returncode == 0, cp.stderr
    helpers.record_secret(cp.stdout.strip())
    os.chmod(data / "server.key", bad)
    cp = helpers.run_cli(["serve", "--listen", "127.0.0.1:0"], data_dir=str(data))
    assert cp.returncode == 1, (cp.returncode, cp.stderr)
    assert "by others" in cp.stderr and "chmod 600" in cp.stderr, cp.stderr


def test_files_of_a_serving_server_are_private(server, admin):
    admin.create_account()  # something written: the WAL exists on SQLite
    names = os.listdir(server.data_dir)
    assert names
    for name in names:  # (the harness made the directory itself: its mode is the harness's)
        assert mode(os.path.join(server.data_dir, name)) == 0o600, (name, names)


def warnings(text):
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [e for e in lines if e.get("level") == "warn"]


def loose_server(chmods):
    """A server started after chmod of (name in its data dir or "", mode) pairs."""
    workdir = os.path.join(conftest._root(), "loose-%s" % uuid.uuid4().hex[:6])
    os.makedirs(workdir)
    srv = helpers.Server(workdir, "loose")
    srv.admin_key = srv.create_admin_key()  # creates the data dir's files
    for name, m in chmods:
        os.chmod(os.path.join(srv.data_dir, name), m)
    return srv.start()


def test_a_data_dir_others_can_write_is_served_with_a_warning():
    srv = loose_server([("", 0o777)])
    try:
        r = requests.get(srv.base + "/healthz", timeout=helpers.HTTP_TIMEOUT)
        assert r.status_code == 200, r.text
        found = [w for w in warnings(srv.log_text()) if "data directory" in w["msg"]]
        assert len(found) == 1, srv.log_text()
        assert found[0]["path"] == srv.data_dir and found[0]["mode"] == "777", found
        assert "chmod 700" in found[0]["msg"], found
    finally:
        srv.stop()
        srv.kill()


@pytest.mark.parametrize("bad", [0o644, 0o666], ids=oct)
def test_a_database_others_can_read_is_served_with_a_warning(bad):
    sqlite = helpers.BACKEND == "sqlite"  # on PostgreSQL, no file: no warning either
    srv = loose_server([("rcauth.db", bad)] if sqlite else [])
    try:
        assert srv.admin().create_account()["id"]  # served, and written to
        found = [w for w in warnings(srv.log_text()) if "database" in w["msg"]]
        assert len(found) == (1 if sqlite else 0), srv.log_text()
        if not sqlite:
            return
        assert found[0]["path"].endswith("rcauth.db") and found[0]["mode"] == "%o" % bad, found
        assert "chmod 600" in found[0]["msg"], found
    finally:
        srv.stop()
        srv.kill()


def test_a_private_data_dir_gets_no_warning(server):
    assert not [w for w in warnings(server.log_text()) if "by others" in w["msg"]], \
        server.log_text()
