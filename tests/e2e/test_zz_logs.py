# SPDX-License-Identifier: MIT
"""Runs last (file order): the logs of every server this session started.
SPEC §7: every line one JSON object (start-up lines too); never a secret or a whole token
in a log line — checked against every client secret, admin key, refresh token and access
token the suite saw."""

import json
import os
import re

import pytest

import helpers


@pytest.fixture(scope="module")
def logs(server):
    # this module's own server has served nothing yet; give it one request of each kind
    admin = server.admin()
    acct = admin.create_account()
    a = admin.create_access(acct["id"])
    d = helpers.get_token(server.base, acct["id"], a)
    helpers.verify(server.base, d["access_token"], bearer=d["refresh_token"])
    helpers.token_request(server.base, acct["id"], a["client_id"], a["client_secret"] + "0")
    helpers.refresh_request(server.base, acct["id"], a["client_id"], d["refresh_token"])
    server.stop()
    out = {}
    for path in helpers.LOG_FILES:
        if os.path.exists(path):
            with open(path, "r", errors="replace") as f:
                out[path] = f.read()
    return out


def test_every_server_wrote_a_log(logs):
    assert logs
    for path, text in logs.items():
        assert text.strip(), "empty log %s" % path


def test_every_log_line_is_one_json_object(logs):
    bad = []
    for path, text in logs.items():
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for i, line in enumerate(lines, 1):
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
            except ValueError:
                bad.append("%s:%d: %r" % (os.path.basename(os.path.dirname(path)), i, line[:200]))
    assert not bad, "%d non-JSON log lines, first: %s" % (len(bad), "\n".join(bad[:10]))


def test_no_secret_or_token_in_any_log(logs):
    with helpers._lock:
        secrets = list(helpers.SECRETS)
    assert secrets
    found = []
    for path, text in logs.items():
        for v in helpers.find_leaks(secrets, text):
            line = next(ln for ln in text.split("\n") if v in ln)
            found.append("%s: %s… in %r" % (os.path.basename(os.path.dirname(path)), v[:12],
                                           line[:300]))
    assert not found, "%d leaks, first: %s" % (len(found), "\n".join(found[:10]))


def test_no_admin_get_body_holds_a_secret():
    with helpers._lock:
        secrets = list(helpers.SECRETS)
        bodies = list(helpers.ADMIN_GET_BODIES)
    for url, text in bodies:
        leaks = helpers.find_leaks(secrets, text)
        assert not leaks, "GET %s leaks %r" % (url, [v[:12] for v in leaks])


def test_no_secret_token_or_client_id_in_any_metrics(logs):
    """Every server's /metrics as it stopped: aggregates by route only."""
    with helpers._lock:
        secrets = list(helpers.SECRETS)
        texts = list(helpers.METRICS_TEXTS)
    assert texts
    for name, text in texts:
        assert "rcauth_requests_total" in text, name
        leaks = helpers.find_leaks(secrets, text)
        assert not leaks, "metrics of %s leak %r" % (name, [v[:12] for v in leaks])
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-", text), name
