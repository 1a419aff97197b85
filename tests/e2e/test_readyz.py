# SPDX-License-Identifier: MIT
"""SPEC §7 and §10: GET /readyz says whether the store answers (for load balancers), on both
backends; GET /healthz is the process's liveness. What /readyz says while PostgreSQL is down
is in test_pg_cluster.py."""

import requests

import helpers


def test_readyz_when_the_store_answers(server):
    r = requests.get(server.base + "/readyz", timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert helpers.is_json_ct(r), r.headers
    assert r.json() == {"status": "ready"}


def test_healthz_is_liveness(server):
    r = requests.get(server.base + "/healthz", timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}


def test_readyz_only_answers_get(server):
    r = requests.post(server.base + "/readyz", timeout=helpers.HTTP_TIMEOUT)
    helpers.assert_json_error(r, 405)
