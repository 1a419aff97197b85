# SPDX-License-Identifier: MIT
"""Requests whose framing a proxy in front and the server could read differently (request
smuggling, RFC 9112 §6.1, §6.3, §11.2) are refused before their body is read: Content-Length
twice (equal values too), Content-Length with Transfer-Encoding, Transfer-Encoding twice or
other than chunked (501), a header name that is not a token, a line folded onto
Content-Length or Transfer-Encoding (libmicrohttpd 0.9.75 would read no length, and the body
as the next request), a control character in a value. Each gets a JSON error and
`Connection: close`, the connection is closed, and a request pipelined behind it is never
run. Also: a flood of garbage connections costs the log a few lines, not one per
connection (libmicrohttpd's own diagnostics are at debug level once the server runs)."""

import json
import re
import socket
import time
import uuid

import pytest
import requests


def raw_exchange(server, data, timeout=10):
    """Send data on a fresh connection and read until the server closes it (it must, within
    timeout: a socket timeout fails the test). Returns every byte received."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # answered and closed before reading it all
        raw = b""
        while True:
            c = s.recv(65536)
            if not c:
                return raw
            raw += c


def first_response(raw):
    """(status, headers lowercased, body) of the first response in raw."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), raw[:300]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, rest[:int(headers.get("content-length", "0"))]


def create_account_request(server, name, framing=b"", body=None):
    """POST /admin/v1/accounts creating `name`, with `framing` header lines (each ending in
    CRLF) in place of the usual Content-Length, and `body` as sent (default: the JSON)."""
    if body is None:
        body = json.dumps({"name": name}).encode()
    return (b"POST /admin/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + server.admin_key.encode() + b"\r\n" + framing
            + b"\r\n" + body)


def account_names(admin):
    r = admin.get("/accounts", params={"_max_per_page": "1000"})
    assert r.status_code == 200, r.text
    return {a["name"] for a in r.json()["items"]}


def chunked(data):
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)


def cl(n):
    return b"Content-Length: %d\r\n" % n


TE = b"Transfer-Encoding: chunked\r\n"

# (id, framing header lines, body of the first request, status wanted). The body is a JSON
# account of the first request's name, or {name} where the case needs it chunked.
CASES = [
    ("two-equal-lengths", lambda b: cl(len(b)) + cl(len(b)), lambda b: b, 400),
    ("two-different-lengths", lambda b: cl(len(b)) + cl(2), lambda b: b, 400),
    ("length-and-chunked", lambda b: cl(len(b)) + TE, lambda b: b, 400),
    ("chunked-and-length", lambda b: TE + cl(len(chunked(b))), chunked, 400),
    ("chunked-twice", lambda b: TE + TE, chunked, 400),
    ("gzip", lambda b: b"Transfer-Encoding: gzip\r\n", lambda b: b, 501),
    ("gzip-then-chunked", lambda b: b"Transfer-Encoding: gzip, chunked\r\n", chunked, 501),
    ("chunked-then-identity", lambda b: b"Transfer-Encoding: chunked, identity\r\n", chunked, 501),
    ("space-before-colon", lambda b: b"Content-Length : %d\r\n" % len(b), lambda b: b, 400),
    ("space-in-name", lambda b: cl(len(b)) + b"X Forwarded: 1\r\n", lambda b: b, 400),
    ("tab-in-name", lambda b: cl(len(b)) + b"X\tA: 1\r\n", lambda b: b, 400),
    ("bracket-in-name", lambda b: cl(len(b)) + b"X[1]: 1\r\n", lambda b: b, 400),
    ("utf8-in-name", lambda b: cl(len(b)) + b"X-\xc3\xa9: 1\r\n", lambda b: b, 400),
    ("length-folded", lambda b: b"Content-Length:\r\n %d\r\n" % len(b), lambda b: b, 400),
    ("length-value-folded", lambda b: b"Content-Length: 0\r\n %d\r\n" % len(b), lambda b: b,
     400),
    ("coding-folded", lambda b: b"Transfer-Encoding:\r\n chunked\r\n", chunked, 400),
    ("bare-cr-in-value", lambda b: cl(len(b)) + b"X-A: a\rContent-Length: 0\r\n", lambda b: b,
     400),
]


@pytest.mark.parametrize("framing,make_body,status", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_ambiguous_framing_is_refused_and_nothing_behind_it_runs(server, admin, framing,
                                                                  make_body, status):
    first, behind = "framed-" + uuid.uuid4().hex[:8], "behind-" + uuid.uuid4().hex[:8]
    json_body = json.dumps({"name": first}).encode()
    body = make_body(json_body)
    pipelined = create_account_request(server, behind, cl(len(json.dumps({"name": behind}))))
    raw = raw_exchange(server, create_account_request(server, first, framing(json_body), body)
                       + pipelined)
    got, headers, answer = first_response(raw)
    assert got == status, (got, raw[:400])
    assert headers.get("content-type", "").startswith("application/json"), headers
    assert json.loads(answer)["error"] == "invalid_request", answer
    assert headers.get("connection", "").lower() == "close", headers
    # the server closed the connection after one answer, and ran neither request
    assert len(re.findall(rb"HTTP/1\.1 \d{3} ", raw)) == 1, raw[:800]
    names = account_names(admin)
    assert first not in names and behind not in names


@pytest.mark.parametrize("coding", [b"chunked", b"Chunked"])
def test_chunked_alone_and_a_plain_length_still_work(server, admin, coding):
    """The control: the same requests with one well-formed framing are read and run, and
    the connection stays open for the next one."""
    a, b = "chunked-" + uuid.uuid4().hex[:8], "plain-" + uuid.uuid4().hex[:8]
    req_a = create_account_request(server, a, b"Transfer-Encoding: " + coding + b"\r\n",
                                   chunked(json.dumps({"name": a}).encode()))
    body_b = json.dumps({"name": b}).encode()
    req_b = create_account_request(server, b, cl(len(body_b)) + b"Connection: close\r\n", body_b)
    raw = raw_exchange(server, req_a + req_b)
    assert [int(s) for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)] == [201, 201], raw[:800]
    assert {a, b} <= account_names(admin)


def test_a_post_without_a_length_has_no_body(server, admin):
    """RFC 9112 §6.3: neither Content-Length nor Transfer-Encoding means no body; that is how
    `curl -X POST` sends a secret rotation. It is answered, and the connection stays open."""
    acct = admin.create_account()
    access = admin.create_access(acct["id"], actions=["flag.read"])
    rotate = (b"POST /admin/v1/accounts/%s/accesses/%s/secret HTTP/1.1\r\nHost: x\r\n"
              b"Authorization: Bearer %s\r\n\r\n" % (acct["id"].encode(),
                                                     access["client_id"].encode(),
                                                     server.admin_key.encode()))
    raw = raw_exchange(server, rotate + b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
    assert [int(s) for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)] == [200, 200], raw[:800]
    secret = json.loads(first_response(raw)[2])["client_secret"]
    assert re.fullmatch("[0-9a-f]{64}", secret) and secret != access["client_secret"]


def test_a_folded_length_cannot_smuggle_a_request(server):
    """The body of a request whose Content-Length is folded is exactly a second request:
    it must not run (here: GET /metrics, whose answer would show)."""
    smuggled = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    for fold in (b"Content-Length:\r\n %d\r\n", b"Content-Length: 0\r\n %d\r\n"):
        raw = raw_exchange(server, b"POST /acct/token HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\n" + fold % len(smuggled)
                           + b"\r\n" + smuggled)
        assert first_response(raw)[0] == 400, raw[:300]
        assert len(re.findall(rb"HTTP/1\.1 \d{3} ", raw)) == 1, raw[:800]
        assert b"rcauth_" not in raw, raw[:800]


@pytest.mark.parametrize("hosts,status", [([], 400), (["x", "y"], 400), (["x", "x"], 400),
                                          (["x"], 200)], ids=["none", "two", "twice", "one"])
def test_http_1_1_wants_exactly_one_host(server, hosts, status):
    """RFC 9112 §3.2; HTTP/1.0 needs none."""
    head = b"".join(b"Host: %s\r\n" % h.encode() for h in hosts)
    raw = raw_exchange(server, b"GET /healthz HTTP/1.1\r\n" + head + b"Connection: close\r\n\r\n")
    got, headers, body = first_response(raw)
    assert got == status, raw[:300]
    if status == 400:
        assert json.loads(body)["error"] == "invalid_request", body
        assert headers.get("connection", "").lower() == "close", headers
    raw = raw_exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 "), raw[:300]


def test_garbage_flood_leaves_the_log_short(server):
    """500 connections of garbage that libmicrohttpd itself refuses (a header line without a
    colon, a bad request line): each used to write a warning to the log."""
    before = len(server.log_text().splitlines())
    for i in range(500):
        junk = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here %d\r\n\r\n" % i if i % 2
                else b"\x16\x03\x01 garbage %d\r\n\r\n" % i)
        raw_exchange(server, junk)
    # the server still answers, and says once that it saw problems
    assert requests.get(server.base + "/healthz", timeout=10).status_code == 200
    time.sleep(0.5)
    lines = server.log_text().splitlines()[before:]
    assert len(lines) < 20, "%d log lines for 500 garbage connections, first: %s" % (
        len(lines), "\n".join(lines[:5]))
    # (at most once a minute: maybe for an earlier test of this module)
    assert any("libmicrohttpd" in line and json.loads(line)["level"] == "warn"
               for line in server.log_text().splitlines())
