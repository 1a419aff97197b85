# SPDX-License-Identifier: MIT
"""What --db (RCAUTH_DB, db = in the INI file) accepts, on either backend: a postgres:// or
postgresql:// URL (the scheme in any case) or a SQLite file path. Anything else is a usage
error (exit 2) that never echoes the value, which may hold a password, and creates nothing:
another scheme (named), a libpq key=value string, a URL that libpq cannot parse or would
read otherwise than written (a password's '@' or '/' left unencoded)."""

import os
import secrets
import subprocess

import pytest

import helpers

PW = "S3cr3t-" + secrets.token_hex(5)


def run(args, cwd, env=None):
    cp = subprocess.run([helpers.RCAUTH_BIN] + args, capture_output=True, text=True,
                        timeout=30, cwd=cwd, env=helpers.clean_env(env))
    return cp


COMMANDS = [["migrate"], ["serve", "--listen", "127.0.0.1:0"], ["admin-key", "create"],
            ["account", "list"]]

# (value, what the one-line message says)
REFUSED = [
    ("postgres://rcauth:%s@[::1/rcauth" % PW, "IPv6"),
    ("postgres://rcauth:%s%%@127.0.0.1:5432/rcauth" % PW, "'%'"),
    ("postgres://rcauth:%s@127.0.0.1:5432/rcauth?sslmode" % PW, "query parameter"),
    ("postgres://rcauth:%s@oops@127.0.0.1:5432/rcauth" % PW, "holds '@'"),
    ("postgres://rcauth:%s/x@127.0.0.1:5432/rcauth" % PW, "holds '@'"),
    ("postgres://rcauth:%s/127.0.0.1/rcauth" % PW, "port is not a number"),
    ("mysql://rcauth:%s@127.0.0.1/rcauth" % PW, "unsupported scheme 'mysql'"),
    ("host=127.0.0.1 user=rcauth password=%s dbname=rcauth" % PW, "key=value"),
]


@pytest.mark.parametrize("value,says", REFUSED, ids=[s for _, s in REFUSED])
def test_refused_with_usage_error_never_echoed(tmp_path, value, says):
    for args in COMMANDS:
        for how in ("flag", "env", "ini"):
            env, extra = {}, []
            if how == "flag":
                extra = ["--db", value]
            elif how == "env":
                env = {"RCAUTH_DB": value}
            else:
                ini = tmp_path / "rcauth.ini"
                ini.write_text("db = %s\n" % value)
                extra = ["--config", str(ini)]
            cp = run(args + extra, cwd=str(tmp_path), env=env)
            out = cp.stdout + cp.stderr
            assert cp.returncode == 2, (args, how, cp.returncode, out)
            lines = cp.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("rcauth: "), (args, how, out)
            assert says in lines[0], (says, lines[0])
            assert PW not in out and "rcauth:" + PW not in out, out
            # nothing was created: no data dir, no SQLite file named after the value
            assert sorted(os.listdir(tmp_path)) in ([], ["rcauth.ini"]), os.listdir(tmp_path)


@pytest.mark.parametrize("scheme", ["Postgres", "POSTGRESQL", "postgreSQL"])
def test_scheme_in_any_case_is_postgres(tmp_path, scheme):
    """RFC 3986 §3.1: schemes are case-insensitive. Nothing listens on port 1: the command
    fails to connect to PostgreSQL (exit 1) rather than make a SQLite file of the URL."""
    url = "%s://rcauth:%s@127.0.0.1:1/rcauth" % (scheme, PW)
    cp = run(["migrate", "--db", url], cwd=str(tmp_path),
             env={"RCAUTH_SERVER_KEY": secrets.token_hex(32)})
    out = cp.stdout + cp.stderr
    assert cp.returncode == 1, out
    assert cp.stderr.splitlines()[-1] == "rcauth: cannot open the store %s://127.0.0.1:1/rcauth" \
        % scheme, out
    assert PW not in out and "Connection refused" in out, out
    assert os.listdir(tmp_path) == []


def test_path_with_equals_after_a_slash_is_a_file(tmp_path):
    """Only a value whose first '=' comes before any '/' is taken for key=value: a directory
    with '=' in its name still holds a SQLite store."""
    d = tmp_path / "a=b"
    d.mkdir()
    cp = run(["migrate", "--db", str(d / "rcauth.db"), "--data", str(d)], cwd=str(tmp_path))
    assert cp.returncode == 0, cp.stderr
    assert (d / "rcauth.db").exists()
