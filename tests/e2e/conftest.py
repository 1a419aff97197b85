# SPDX-License-Identifier: MIT
"""Harness for the end-to-end suite: every test module gets its own `build/rcauth serve`
on a fresh SQLite data dir and a free port (so the failed-authentication throttles of one
module cannot spill into another). Server logs are kept until the end of the session, when
test_zz_logs.py checks them for leaked secrets and non-JSON lines."""

import os
import shutil
import tempfile
import uuid

import pytest

import helpers

_ROOT = {}


def _root():
    if "path" not in _ROOT:
        base = os.environ.get("RCAUTH_E2E_TMP") or None
        if base:
            os.makedirs(base, exist_ok=True)
        _ROOT["path"] = tempfile.mkdtemp(prefix="rcauth-e2e-", dir=base)
    return _ROOT["path"]


def pytest_ignore_collect(collection_path, config):
    """test_pg_*.py belong to the PostgreSQL pass only: not collected (rather than skipped)
    on SQLite, so that no skip ever shows in a passing run."""
    return collection_path.name.startswith("test_pg_") and helpers.BACKEND != "postgres"


def pytest_sessionfinish(session, exitstatus):
    path = _ROOT.get("path")
    if path and not os.environ.get("RCAUTH_E2E_KEEP"):
        shutil.rmtree(path, ignore_errors=True)
    elif path:
        print("\nrcauth e2e: kept %s" % path)


def make_server(name, extra_args=None, tls=None, server_class=helpers.Server):
    """A started server_class (a helpers.Server) in its own temp dir (caller stops it); tls
    as helpers.Server's."""
    if not os.path.exists(helpers.RCAUTH_BIN):
        pytest.fail("rcauth binary not found at %s (run `make build` or set RCAUTH_BIN)"
                    % helpers.RCAUTH_BIN, pytrace=False)
    workdir = os.path.join(_root(), "%s-%s" % (name, uuid.uuid4().hex[:6]))
    os.makedirs(workdir)
    srv = server_class(workdir, name, extra_args=extra_args, tls=tls)
    try:
        srv.start()
    except RuntimeError as e:
        srv.kill()
        pytest.fail(str(e), pytrace=False)
    return srv


@pytest.fixture(scope="module")
def server(request):
    srv = make_server(request.module.__name__.rsplit(".", 1)[-1])
    yield srv
    srv.stop()
    srv.kill()


@pytest.fixture(scope="module")
def base(server):
    return server.base


@pytest.fixture(scope="module")
def admin(server):
    return server.admin()


@pytest.fixture
def acct(admin):
    """A fresh account (dict with id) per test."""
    return admin.create_account()


@pytest.fixture
def access(admin, acct):
    """A fresh access of acct with a few actions on all environments."""
    return admin.create_access(acct["id"], actions=["campaign.read", "campaign.toggle",
                                                    "flag.list"])


@pytest.fixture
def pair(admin, acct):
    """Two accesses of acct: the first holds tokens, the second is another access of the
    same account (introspection and revocation tests)."""
    a = admin.create_access(acct["id"], actions=["campaign.read", "flag.list"])
    b = admin.create_access(acct["id"], actions=["campaign.read"])
    return a, b
