# SPDX-License-Identifier: MIT
"""Throttling of failed authentications (SPEC §7, issue 7): after 20 failures of one client
id, or 100 from one address, within 60 s, further failures get 429 temporarily_unavailable
with Retry-After until the window ends; other clients and addresses are not slowed, and the
right credentials are never throttled. The same for admin keys, per address."""

import http.client
import json
import re
import socket
import time
import uuid

import pytest
import requests

import helpers
import token_ops
from conftest import make_server

OTHER_ADDR = "127.0.0.2"


def raw_post(server, path, body, headers=None, source=None):
    """POST a JSON body from a chosen source address; returns (status, headers, dict)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10,
                                      source_address=(source, 0) if source else None)
    try:
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        conn.request("POST", path, body=json.dumps(body), headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(data)
    finally:
        conn.close()


def token_body(client_id, secret):
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def assert_throttled(status, headers, body):
    assert status == 429, (status, body)
    assert body["error"] == "temporarily_unavailable", body
    retry = int(headers["retry-after"])
    assert 1 <= retry <= 60, headers
    assert headers.get("cache-control") == "no-store"


def test_brute_force_on_one_client_is_throttled_and_others_are_not(server, admin):
    acct = admin.create_account()
    victim = admin.create_access(acct["id"], actions=["campaign.read"])
    other = admin.create_access(acct["id"], actions=["campaign.read"])
    path = "/%s/token" % acct["id"]
    wrong = token_body(victim["client_id"], "0" * 64)

    statuses = [raw_post(server, path, wrong)[0] for _ in range(20)]
    assert statuses == [401] * 20, statuses
    for _ in range(1000):  # a brute-force run: every further failure is refused
        assert_throttled(*raw_post(server, path, wrong))

    # another client id from another address keeps getting tokens, with no error
    for _ in range(50):
        status, _, body = raw_post(server, path, token_body(other["client_id"],
                                                            other["client_secret"]),
                                   source=OTHER_ADDR)
        assert status == 200 and body["access_token"], body
        helpers.record_token_answer(body)
    # the right secret is never throttled, even from the attacking address
    status, _, body = raw_post(server, path, token_body(victim["client_id"],
                                                        victim["client_secret"]))
    assert status == 200, body
    helpers.record_token_answer(body)

    # logged once, audited as auth.throttled, and no secret in the log
    assert server.log_text().count("client authentication throttled") >= 1
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # written by the once-a-second flush
        items = admin.get("/accounts/%s/audit" % acct["id"],
                          params={"_max_per_page": "1000"}).json()["items"]
        throttled = [e for e in items if e["event"] == "auth.throttled"]
        if sum(e["count"] for e in throttled) >= 1000:
            break
        time.sleep(0.2)
    assert throttled and throttled[0]["subject"] == victim["client_id"], items
    assert sum(e["count"] for e in throttled) >= 1000, throttled
    metrics = requests.get(server.base + "/metrics", timeout=10).text
    m = re.search(r"^rcauth_throttled_total (\d+)$", metrics, re.M)
    assert m and int(m.group(1)) >= 1000, metrics[-500:]


def test_many_unknown_clients_from_one_address_are_throttled(server, admin):
    """Random client ids: no single id reaches 20, the address reaches 100."""
    acct = admin.create_account()
    good = admin.create_access(acct["id"], actions=["flag.list"])
    path = "/%s/token" % acct["id"]
    statuses = [raw_post(server, path, token_body(str(uuid.uuid4()), "f" * 64),
                         source="127.0.0.3")[0] for _ in range(130)]
    assert statuses[:100] == [401] * 100, statuses
    assert set(statuses[100:]) == {429}, statuses
    status, _, body = raw_post(server, path, token_body(good["client_id"], good["client_secret"]),
                               source="127.0.0.4")
    assert status == 200, body
    helpers.record_token_answer(body)


@pytest.fixture
def fresh_server():
    """A server of its own: 127.0.0.1's failures elsewhere in this module do not count."""
    srv = make_server("throttle-fresh")
    yield srv
    srv.stop()
    srv.kill()


def test_introspection_and_revocation_count_and_refuse_too(fresh_server):
    server, admin = fresh_server, fresh_server.admin()
    acct = admin.create_account()
    a = admin.create_access(acct["id"], actions=["flag.list"])
    bad = (a["client_id"], "e" * 64)
    t = helpers.get_token(server.base, acct["id"], a, expires_in=600)["access_token"]
    answers = []
    for i in range(25):
        call = token_ops.introspect if i % 2 else token_ops.revoke
        answers.append(call(server.base, acct["id"], t, auth=bad).status_code)
    assert answers[:20] == [401] * 20 and set(answers[20:]) == {429}, answers
    r = token_ops.introspect(server.base, acct["id"], t, auth=token_ops.basic(a))
    assert r.status_code == 200 and r.json()["active"] is True, r.text


def test_wrong_admin_keys_from_one_address_are_throttled(server):
    statuses = []
    for _ in range(105):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10,
                                          source_address=("127.0.0.5", 0))
        conn.request("GET", "/admin/v1/accounts",
                     headers={"Authorization": "Bearer rcak_" + "1" * 64})
        r = conn.getresponse()
        r.read()
        statuses.append(r.status)
        conn.close()
    assert statuses[:100] == [401] * 100 and set(statuses[100:]) == {429}, statuses
    # the right key still works, from that address too
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10,
                                      source_address=("127.0.0.5", 0))
    conn.request("GET", "/admin/v1/accounts",
                 headers={"Authorization": "Bearer " + server.admin_key})
    assert conn.getresponse().status == 200
    conn.close()
    items = server.admin().get("/audit", params={"_max_per_page": "1000"}).json()["items"]
    assert any(e["event"] == "auth.throttled" and e["subject"] == "127.0.0.5" for e in items)


@pytest.fixture(scope="module")
def short_window():
    srv = make_server("throttle-short", ["--throttle-client", "3", "--throttle-window", "2"])
    yield srv
    srv.stop()
    srv.kill()


def test_the_window_passes_and_limits_are_settings(short_window):
    srv = short_window
    admin = srv.admin()
    acct = admin.create_account()
    a = admin.create_access(acct["id"], actions=["flag.list"])
    path = "/%s/token" % acct["id"]
    wrong = token_body(a["client_id"], "0" * 64)
    t0 = time.monotonic()
    statuses = [raw_post(srv, path, wrong)[0] for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429], statuses
    status, headers, _ = raw_post(srv, path, wrong)
    assert status == 429 and int(headers["retry-after"]) <= 2, headers
    time.sleep(max(0, 2.2 - (time.monotonic() - t0)))
    assert raw_post(srv, path, wrong)[0] == 401  # a new window


def test_zero_turns_a_limit_off():
    srv = make_server("throttle-off", ["--throttle-client", "0", "--throttle-address", "0"])
    try:
        admin = srv.admin()
        acct = admin.create_account()
        a = admin.create_access(acct["id"], actions=["flag.list"])
        wrong = token_body(a["client_id"], "0" * 64)
        statuses = {raw_post(srv, "/%s/token" % acct["id"], wrong)[0] for _ in range(150)}
        assert statuses == {401}, statuses
    finally:
        srv.stop()
        srv.kill()


def test_a_flood_of_garbage_cannot_hide_a_real_clients_failures(fresh_server):
    """Failures at made-up account paths and made-up client ids are many distinct audit
    entries; they must not crowd out the failures of a real access in the same second."""
    server, admin = fresh_server, fresh_server.admin()
    acct = admin.create_account()
    a = admin.create_access(acct["id"], actions=["flag.list"])
    body = json.dumps(token_body(str(uuid.uuid4()), "f" * 64)).encode()
    with socket.socket() as s:  # pipelined in batches: 1300 failures in about a second
        s.bind(("127.0.0.8", 0))
        s.connect(("127.0.0.1", server.port))
        s.settimeout(10)
        for batch in range(13):
            s.sendall(b"".join(b"POST /j%d/token HTTP/1.1\r\nHost: x\r\nContent-Type: "
                               b"application/json\r\nContent-Length: %d\r\n\r\n%s"
                               % (batch * 100 + i, len(body), body) for i in range(100)))
            got = b""
            while got.count(b"HTTP/1.1 ") < 100:
                got += s.recv(65536)
    for _ in range(3):
        status, _, _ = raw_post(server, "/%s/token" % acct["id"],
                                token_body(a["client_id"], "0" * 64), source="127.0.0.9")
        assert status == 401
    deadline = time.monotonic() + 5
    failed = []
    while time.monotonic() < deadline and not failed:
        items = admin.get("/accounts/%s/audit" % acct["id"],
                          params={"_max_per_page": "1000"}).json()["items"]
        failed = [e for e in items if e["event"] == "auth.failed"
                  and e["subject"] == a["client_id"]]
        time.sleep(0.2)
    assert failed and sum(e["count"] for e in failed) == 3, items


def test_a_made_up_client_id_is_throttled_like_a_real_one(fresh_server):
    """SPEC §2: an unknown client and a wrong secret are indistinguishable, throttling
    included: 20 failures of one id, each from another address, then 429, whether the id
    is an access of the account or not."""
    server, admin = fresh_server, fresh_server.admin()
    acct = admin.create_account()
    real = admin.create_access(acct["id"], actions=["flag.list"])["client_id"]
    path = "/%s/token" % acct["id"]
    for n, client_id in enumerate([real, str(uuid.uuid4())]):
        statuses = [raw_post(server, path, token_body(client_id, "0" * 64),
                             source="127.0.%d.%d" % (20 + n, i + 1))[0] for i in range(25)]
        assert statuses == [401] * 20 + [429] * 5, (client_id == real, statuses)


def test_made_up_client_ids_do_not_disturb_real_ones(fresh_server):
    """Thousands of made-up ids from one address (most of them refused for the address
    first) leave a real client's limit exactly where it was."""
    server, admin = fresh_server, fresh_server.admin()
    acct = admin.create_account()
    a = admin.create_access(acct["id"], actions=["flag.list"])
    path = "/%s/token" % acct["id"]
    for _ in range(300):
        raw_post(server, path, token_body(str(uuid.uuid4()), "f" * 64), source="127.0.0.11")
    statuses = [raw_post(server, path, token_body(a["client_id"], "0" * 64),
                         source="127.0.0.12")[0] for _ in range(25)]
    assert statuses == [401] * 20 + [429] * 5, statuses


def test_a_throttled_address_writes_one_log_line_per_window(fresh_server):
    server = fresh_server
    for _ in range(300):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10,
                                          source_address=("127.0.0.13", 0))
        conn.request("GET", "/admin/v1/accounts",
                     headers={"Authorization": "Bearer rcak_" + "3" * 64})
        conn.getresponse().read()
        conn.close()
    lines = [ln for ln in server.log_text().splitlines() if "127.0.0.13" in ln]
    failed = [ln for ln in lines if '"admin authentication failed"' in ln]
    throttled = [ln for ln in lines if '"admin authentication throttled"' in ln]
    assert len(failed) == 100 and len(throttled) == 1, (len(failed), len(throttled))
