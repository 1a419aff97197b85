# SPDX-License-Identifier: MIT
"""GET /metrics (issue 7, SPEC §7): Prometheus text format — requests by route and status,
a latency histogram, tokens issued, authentication failures, throttled requests, cache
hits — and request ids: every answer carries X-Request-Id, and the server's log lines for
that request carry the same request_id."""

import json
import re

import requests

import helpers

LINE = re.compile(r'^([a-z_]+)(\{.*\})? ([0-9.e+-]+)$')


def scrape(base):
    r = requests.get(base + "/metrics", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    values = {}
    for line in r.text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = LINE.match(line)
        assert m, "not an exposition line: %r" % line
        values[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return values


def value(values, name, **labels):
    key = name + ("{" + ",".join('%s="%s"' % kv for kv in labels.items()) + "}" if labels else "")
    return values.get(key, 0.0)


def test_counters_follow_what_happened(server, admin, acct, access):
    before = scrape(server.base)
    for _ in range(3):
        t = helpers.get_token(server.base, acct["id"], access, expires_in=60)["access_token"]
        assert helpers.verify(server.base, t).status_code == 200
    r = helpers.token_request(server.base, acct["id"], access["client_id"], "0" * 64)
    assert r.status_code == 401
    after = scrape(server.base)
    route = "/{account}/token"
    assert value(after, "rcauth_requests_total", route=route, status="200") - \
        value(before, "rcauth_requests_total", route=route, status="200") == 3
    assert value(after, "rcauth_requests_total", route=route, status="401") - \
        value(before, "rcauth_requests_total", route=route, status="401") == 1
    assert value(after, "rcauth_requests_total", route="/token", status="200") - \
        value(before, "rcauth_requests_total", route="/token", status="200") == 3
    assert value(after, "rcauth_tokens_issued_total") - value(before, "rcauth_tokens_issued_total") == 3
    assert value(after, "rcauth_auth_failures_total") - value(before, "rcauth_auth_failures_total") == 1
    assert value(after, "rcauth_access_cache_hits_total") > value(before, "rcauth_access_cache_hits_total")
    # each token verified once went into the verified-token cache
    assert value(after, "rcauth_token_cache_entries") - value(before, "rcauth_token_cache_entries") == 3
    assert value(after, "rcauth_token_cache_bytes") > value(before, "rcauth_token_cache_bytes")


def test_latency_histogram_is_cumulative_and_counts_every_answer(server, admin, acct, access):
    helpers.get_token(server.base, acct["id"], access)
    v = scrape(server.base)
    route = "/{account}/token"
    buckets = sorted(((float(re.search(r'le="([^"]+)"', k).group(1).replace("+Inf", "inf")), n)
                      for k, n in v.items()
                      if k.startswith('rcauth_request_duration_seconds_bucket{route="%s"' % route)))
    counts = [n for _, n in buckets]
    assert buckets[-1][0] == float("inf") and counts == sorted(counts), buckets
    # slow answers are told apart up to the 10 s a request may take to arrive
    assert [b for b, _ in buckets][-5:] == [1.0, 2.5, 5.0, 10.0, float("inf")], buckets
    total = sum(n for k, n in v.items()
                if k.startswith('rcauth_requests_total{route="%s"' % route))
    assert counts[-1] == total == v['rcauth_request_duration_seconds_count{route="%s"}' % route]
    assert v['rcauth_request_duration_seconds_sum{route="%s"}' % route] > 0


def test_metrics_hold_no_path_or_client_id(server, admin, acct, access):
    t = helpers.get_token(server.base, acct["id"], access)["access_token"]
    requests.get(server.base + "/nope/" + access["client_id"], timeout=10)
    text = requests.get(server.base + "/metrics", timeout=10).text
    for secret in (access["client_id"], access["client_secret"], t, acct["id"]):
        assert secret not in text


def test_every_answer_has_a_request_id_and_logs_carry_it(server):
    seen = set()
    for path in ("/healthz", "/nope", "/token?access_token=garbage", "/metrics"):
        r = requests.get(server.base + path, timeout=10)
        rid = r.headers.get("X-Request-Id", "")
        assert re.match(r"^[A-Za-z0-9._-]{1,64}$", rid), (path, r.headers)
        seen.add(rid)
    assert len(seen) == 4
    r = requests.get(server.base + "/nope", headers={"X-Request-Id": "edge-7f3a.1"}, timeout=10)
    assert r.headers["X-Request-Id"] == "edge-7f3a.1"
    for bad in ("has space", "x" * 65, "semi;colon", ""):
        r = requests.get(server.base + "/healthz", headers={"X-Request-Id": bad}, timeout=10)
        assert r.headers["X-Request-Id"] != bad


def test_log_lines_of_a_request_carry_its_id():
    """At debug level every request is logged with its id; a warning the request causes
    (a wrong admin key) carries the same id."""
    from conftest import make_server
    srv = make_server("metrics-debug", ["--log-level", "debug"])
    try:
        r = requests.get(srv.base + "/admin/v1/accounts", timeout=10,
                         headers={"Authorization": "Bearer rcak_" + "2" * 64,
                                  "X-Request-Id": "trace-42"})
        assert r.status_code == 401
        lines = [json.loads(line) for line in srv.log_text().splitlines() if "trace-42" in line]
        msgs = {line["msg"] for line in lines if line.get("request_id") == "trace-42"}
        assert {"request", "admin authentication failed"} <= msgs, lines
    finally:
        srv.stop()
        srv.kill()
