# SPDX-License-Identifier: MIT
"""Files on disk (issue 7): the data directory is created 0700 and everything in it 0600
(the server key, the SQLite database and its WAL), whatever the umask; a server key that
others can read stops the server at start."""

import os
import stat

import pytest

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
