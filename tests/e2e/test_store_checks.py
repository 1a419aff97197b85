# SPDX-License-Identifier: MIT
"""What every command checks when it opens the store, on either backend: that the server key
is the one the store's signing keys were sealed with (SPEC §4: every instance sharing a
store shares it) — a command with another key, or with none for a store that already has
keys, fails (exit 1, "rcauth: …" last on stderr) instead of writing secrets that every
instance would reject, and creates no server.key; and that the schema is not newer than
this binary's migrations — such a store is neither migrated nor served."""

import os
import secrets
import sqlite3

import pytest

import helpers
from helpers import run_cli

COMMANDS = [
    ["admin-key", "create", "--name", "wrong key"],
    ["account", "create", "--name", "wrong key"],
    ["account", "list"],
    ["keys", "list"],
    ["migrate"],
]


def last_line(cp):
    lines = [x for x in cp.stderr.splitlines() if x.strip()]
    assert lines and lines[-1].startswith("rcauth: "), cp.stderr
    return lines[-1]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:2]) for a in COMMANDS])
def test_another_server_key_is_refused(server, args):
    other = secrets.token_hex(32)
    cp = run_cli(args, data_dir=server.data_dir, env={"RCAUTH_SERVER_KEY": other})
    assert cp.returncode == 1, (cp.returncode, cp.stdout, cp.stderr)
    assert "the server key does not match the store" in last_line(cp)
    assert cp.stdout == "", cp.stdout  # no admin key, no account printed
    assert other not in cp.stderr


def test_no_server_key_for_a_store_with_keys(server, tmp_path):
    """Another data dir on the same store (on PostgreSQL, the same database; on SQLite, a
    copy of the database file) without server.key: refused, and none is created."""
    data = tmp_path / "data"
    data.mkdir()
    if helpers.BACKEND == "postgres":
        helpers.use_database(str(data), helpers.store_args(server.data_dir)[3])
    else:  # a consistent copy, WAL included
        src = sqlite3.connect(os.path.join(server.data_dir, "rcauth.db"))
        dst = sqlite3.connect(str(data / "rcauth.db"))
        src.backup(dst)
        dst.close()
        src.close()
    for args in COMMANDS:
        cp = run_cli(args, data_dir=str(data))
        assert cp.returncode == 1, (args, cp.returncode, cp.stdout, cp.stderr)
        assert "no server key for this store" in last_line(cp)
        assert not (data / "server.key").exists()
    # the right key in the environment opens it
    with open(os.path.join(server.data_dir, "server.key")) as f:
        key = f.read().strip()
    cp = run_cli(["account", "list"], data_dir=str(data), env={"RCAUTH_SERVER_KEY": key})
    assert cp.returncode == 0, cp.stderr


def record_future_version(data_dir, version):
    sql = ("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, "
           "'%03d_future.sql', 0)" % (version, version))
    if helpers.BACKEND == "postgres":
        helpers.psql(sql, helpers.store_args(data_dir)[3])
        return
    db = sqlite3.connect(os.path.join(data_dir, "rcauth.db"))
    db.execute(sql)
    db.commit()
    db.close()


def test_schema_newer_than_the_binary_is_refused(tmp_path):
    data = str(tmp_path / "data")
    os.makedirs(data)
    cp = run_cli(["migrate"], data_dir=data)
    assert cp.returncode == 0, cp.stderr
    record_future_version(data, 999)
    port = helpers.free_port()
    for args in (["migrate"], ["serve", "--listen", "127.0.0.1:%d" % port],
                 ["admin-key", "create"]):
        cp = run_cli(args, data_dir=data, timeout=15)
        assert cp.returncode == 1, (args, cp.returncode, cp.stdout, cp.stderr)
        line = last_line(cp)
        assert "schema version 999, newer than this rcauth knows (" in line, line
        assert "upgrade rcauth" in line
        assert cp.stdout == ""
