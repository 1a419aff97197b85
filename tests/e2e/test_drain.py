# SPDX-License-Identifier: MIT
"""SIGTERM drains the requests in flight (issue 7): the server stops accepting at once (new
connections are refused), lets every request it has begun to read or answer finish, answers
each with `Connection: close`, and exits 0 — without waiting for idle keep-alive connections,
and within its drain deadline (about 10 s) even when a request never completes. Each test
has its own server, since each stops it."""

import json
import re
import signal
import socket
import subprocess
import time

import conftest
import helpers

DRAIN_DEADLINE = 10.0


def token_request_bytes(account, access, close=False):
    body = json.dumps({"grant_type": "client_credentials", "client_id": access["client_id"],
                       "client_secret": access["client_secret"]}).encode()
    return (("POST /%s/token?expires_in=60 HTTP/1.1\r\nHost: x\r\n"
             "Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
             % (account, len(body), "Connection: close\r\n" if close else "")).encode() + body)


def read_response(s):
    """One whole response from s: (status, headers lowercased, body); None when the server
    closed or reset the connection first."""
    raw = b""
    try:
        while True:
            head, sep, rest = raw.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                if m and len(rest) >= int(m.group(1)):
                    break
            c = s.recv(65536)
            if not c:
                return None
            raw += c
    except (ConnectionResetError, socket.timeout):
        return None
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, rest[:int(m.group(1))]


def connect(server):
    return socket.create_connection(("127.0.0.1", server.port), timeout=15)


def refused(server):
    """No new connection is served: refused, or reset when the SYN met the listener as it
    was being closed (its backlog is reset then)."""
    try:
        connect(server).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True


def wait_refused(server, timeout=3.0):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if refused(server):
            return True
        time.sleep(0.02)
    return False


def assert_token_answer(resp):
    """A whole 200 with a token; returns its headers."""
    assert resp is not None, "no answer: the request in flight was dropped"
    status, headers, body = resp
    assert status == 200, (status, body[:200])
    d = json.loads(body)
    helpers.record_token_answer(d)
    assert d["access_token"], d
    return headers


def started(name):
    srv = conftest.make_server(name)
    admin = srv.admin()
    acct = admin.create_account()
    access = admin.create_access(acct["id"], actions=["campaign.read"])
    return srv, acct, access


def stopped_within(srv, seconds):
    """Wait for the SIGTERMed server to exit: (exit code, seconds it took)."""
    t0 = time.monotonic()
    try:
        rc = srv.proc.wait(seconds)
    except subprocess.TimeoutExpired:
        rc = None
    return rc, time.monotonic() - t0


def test_sigterm_answers_requests_in_flight_and_refuses_new_ones():
    srv, acct, access = started("drain-in-flight")
    try:
        # 20 keep-alive connections, each known to the server (a first request answered),
        # each with a second request sent just before SIGTERM (answered before the drain
        # begins, or during it)
        busy = []
        for _ in range(20):
            s = connect(srv)
            s.sendall(token_request_bytes(acct["id"], access))
            assert read_response(s)[0] == 200
            busy.append(s)
        # 3 requests whose body is still arriving when SIGTERM comes, and ends 1.5 s later
        slow = []
        for _ in range(3):
            s = connect(srv)
            req = token_request_bytes(acct["id"], access)
            s.sendall(req[:-20])
            slow.append((s, req[-20:]))
        time.sleep(0.3)  # the server has seen their first bytes
        for s in busy:
            s.sendall(token_request_bytes(acct["id"], access))
        t_term = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)

        # new connections are refused while the slow requests are still in flight
        assert wait_refused(srv), "still accepting connections after SIGTERM"
        assert srv.proc.poll() is None, "exited before its requests in flight were done"
        for s in busy:
            assert_token_answer(read_response(s))
        time.sleep(max(0.0, t_term + 1.5 - time.monotonic()))
        assert srv.proc.poll() is None, "exited before its requests in flight were done"
        for s, rest in slow:
            for i in range(0, len(rest), 5):  # the end of the body, slowly
                s.sendall(rest[i:i + 5])
                time.sleep(0.05)
        for s, _ in slow:  # answered during the drain: the connection is not kept
            headers = assert_token_answer(read_response(s))
            assert headers.get("connection", "").lower() == "close", headers
        # every connection is closed after its answer
        for s in busy + [s for s, _ in slow]:
            s.settimeout(5)
            assert s.recv(1) == b"", "a connection stayed open after Connection: close"
            s.close()
        rc, _ = stopped_within(srv, DRAIN_DEADLINE + 5)
        assert rc == 0, rc
        assert time.monotonic() - t_term < DRAIN_DEADLINE, time.monotonic() - t_term
        lines = srv.log_text().splitlines()
        assert any("draining" in line for line in lines), lines[-5:]
        assert not any("drain deadline passed" in line for line in lines), lines[-5:]
    finally:
        srv.stop()
        srv.kill()


def test_idle_keepalive_connections_do_not_delay_the_exit():
    srv, acct, access = started("drain-idle")
    idle = []
    try:
        for _ in range(50):
            s = connect(srv)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(s)[0] == 200
            idle.append(s)
        t_term = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc, took = stopped_within(srv, DRAIN_DEADLINE + 5)
        assert rc == 0, rc
        assert took < 3, "took %.1f s to stop with only idle connections" % took
        for s in idle:  # closed by the server as it went
            s.settimeout(5)
            assert s.recv(1) == b""
        assert time.monotonic() - t_term < DRAIN_DEADLINE
    finally:
        for s in idle:
            s.close()
        srv.stop()
        srv.kill()


def test_a_request_that_never_ends_does_not_hold_the_exit():
    """Its body stops arriving: the server still exits 0, by its deadlines, and meanwhile a
    concurrent request sent after SIGTERM on a known connection is answered."""
    srv, acct, access = started("drain-deadline")
    stuck = connect(srv)
    known = connect(srv)
    try:
        known.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(known)[0] == 200
        stuck.sendall(token_request_bytes(acct["id"], access)[:-10])
        time.sleep(0.3)
        t_term = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        assert wait_refused(srv)
        known.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _ = read_response(known)
        assert status == 200 and headers.get("connection", "").lower() == "close", headers
        rc, _ = stopped_within(srv, DRAIN_DEADLINE + 10)
        assert rc == 0, rc
        total = time.monotonic() - t_term
        assert DRAIN_DEADLINE - 2 < total < DRAIN_DEADLINE + 5, total
        stuck.settimeout(5)
        assert read_response(stuck) is None  # closed unanswered: it never arrived whole
    finally:
        stuck.close()
        known.close()
        srv.stop()
        srv.kill()



class StoreLock:
    """An exclusive lock on the server's accounts, from another connection to its store, so
    that a request creating an account waits in its handler until release()."""

    def __init__(self, srv):
        if helpers.BACKEND == "sqlite":
            import sqlite3
            self.db = sqlite3.connect(srv.data_dir + "/rcauth.db", isolation_level=None)
            self.db.execute("BEGIN EXCLUSIVE")
            self.psql = None
        else:
            url = helpers.store_args(srv.data_dir)[3]
            self.psql = subprocess.Popen(["psql", "-q", url], stdin=subprocess.PIPE, text=True)
            self.psql.stdin.write("BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;\n")
            self.psql.stdin.flush()

    def release(self):
        if self.psql is None:
            self.db.execute("ROLLBACK")
            self.db.close()
        else:
            self.psql.communicate("ROLLBACK;\n", timeout=10)


def test_a_request_in_its_handler_when_the_drain_begins_is_told_to_close():
    """The drain began while the handler waited for the store: its answer still says
    Connection: close (the connection is closed after it)."""
    srv, _, _ = started("drain-in-handler")
    try:
        lock = StoreLock(srv)
        time.sleep(0.5)  # the lock is held before the request comes
        body = json.dumps({"name": "made-while-draining"}).encode()
        s = connect(srv)
        s.sendall(b"POST /admin/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nAuthorization: Bearer " + srv.admin_key.encode()
                  + b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        time.sleep(0.3)  # in its handler, waiting for the lock
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)  # the drain has begun
        lock.release()
        resp = read_response(s)
        assert resp is not None, "no answer: the request in its handler was dropped"
        status, headers, _ = resp
        assert status == 201, resp
        assert headers.get("connection", "").lower() == "close", headers
        rc, took = stopped_within(srv, DRAIN_DEADLINE + 5)
        assert rc == 0 and took < DRAIN_DEADLINE, (rc, took)
    finally:
        srv.kill()
