# SPDX-License-Identifier: MIT
"""Helpers for the black-box end-to-end suite: a server process, an admin client, the
token-endpoint and verification calls shaped like the existing clients, JWT decoding, and
a registry of every secret/token the suite has seen (checked against the server logs at
the end, SPEC §7).

Written from /work/shared/SPEC.md, docs/cli.md and docs/admin-api.md, not from the code."""

import base64
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

import requests

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RCAUTH_BIN = os.environ.get("RCAUTH_BIN") or os.path.join(REPO_ROOT, "build", "rcauth")
if not os.path.isabs(RCAUTH_BIN):
    RCAUTH_BIN = os.path.join(REPO_ROOT, RCAUTH_BIN)

HTTP_TIMEOUT = 10

# The store every server of the session uses: "sqlite" (a data dir each) or "postgres" (a
# fresh database each, on the server RCAUTH_TEST_PG names; scripts/test-all.sh starts one).
BACKEND = os.environ.get("RCAUTH_E2E_BACKEND", "sqlite")
PG_ADMIN_URL = os.environ.get("RCAUTH_TEST_PG", "")

# SPEC §5, in catalog order.
CATALOG = """
project.list project.create project.read project.update project.toggle project.delete
campaign.list campaign.create campaign.read campaign.update campaign.toggle campaign.delete
variation_group.list variation_group.create variation_group.read variation_group.update variation_group.delete
variation.list variation.create variation.read variation.update variation.delete
flag.list flag.create flag.read flag.update flag.delete
flag_usage.list flag_usage.create
goal.list goal.create goal.read goal.update goal.delete
targeting_key.list targeting_key.create targeting_key.read targeting_key.update targeting_key.delete
environment.list environment.read environment.panic
environment.user.list environment.user.put environment.user.delete
""".split()

UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SECRET_RE = re.compile(r"^[0-9a-f]{64}$")
XID_RE = re.compile(r"^[0-9a-v]{20}$")
JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
URLSAFE_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
SCOPE_RE = re.compile(r"^[^ ]+( [^ ]+)*$")


def catalog_order(actions):
    return [a for a in CATALOG if a in set(actions)]


# --------------------------------------------------------------------------------------
# Registry of everything secret the suite saw, and of every admin GET body.

_lock = threading.Lock()
SECRETS = set()  # client secrets, admin keys, refresh tokens, whole access tokens
ADMIN_GET_BODIES = []  # (url, text) of every admin GET answer
LOG_FILES = []  # every server log file of the session
METRICS_TEXTS = []  # /metrics of every server, scraped as it stops


def record_secret(value):
    if isinstance(value, str) and value:
        with _lock:
            SECRETS.add(value)


def record_token_answer(data):
    """Record access_token and refresh_token of a token-endpoint answer (dict)."""
    if isinstance(data, dict):
        record_secret(data.get("access_token"))
        record_secret(data.get("refresh_token"))
        record_secret(data.get("client_secret"))


def find_leaks(values, text):
    """Return the values that occur in text. Fast for thousands of values over megabytes:
    each value is first looked up by its longest [A-Za-z0-9_-] run among the same-length
    windows of the text's runs, then confirmed by a plain search."""
    leaks = []
    by_len = {}
    direct = []
    for v in values:
        runs = re.findall(r"[A-Za-z0-9_-]+", v)
        best = max(runs, key=len) if runs else ""
        if len(best) >= 16:
            by_len.setdefault(len(best), []).append((best, v))
        else:
            direct.append(v)
    text_runs = [r for r in re.findall(r"[A-Za-z0-9_-]+", text) if len(r) >= 16]
    for length, items in by_len.items():
        windows = set()
        for r in text_runs:
            if len(r) >= length:
                for i in range(len(r) - length + 1):
                    windows.add(r[i:i + length])
        for best, v in items:
            if best in windows and v in text:
                leaks.append(v)
    for v in direct:
        if v in text:
            leaks.append(v)
    return leaks


# --------------------------------------------------------------------------------------
# The server process.


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCAUTH_")}
    if extra:
        env.update(extra)
    return env


# --------------------------------------------------------------------------------------
# The store of a data dir: on PostgreSQL, each data dir (which keeps the server key) gets
# its own database, created on first use; servers and CLI runs on the same data dir share it.

_DB_OF_DATA_DIR = {}


def psql_path():
    found = shutil.which("psql") or sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1:]
    if not found:
        raise RuntimeError("psql not found: is PostgreSQL installed?")
    return found if isinstance(found, str) else found[0]


def pg_url(dbname, server_url=None):
    """The URL of database dbname on the server of server_url (default: the test server)."""
    u = urllib.parse.urlsplit(server_url or PG_ADMIN_URL)
    return urllib.parse.urlunsplit(u._replace(path="/" + dbname))


def psql(sql, url=None, timeout=30):
    """Run sql on the test server (the admin database by default); return stdout lines."""
    cp = subprocess.run([psql_path(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
                         url or PG_ADMIN_URL], capture_output=True, text=True, timeout=timeout)
    if cp.returncode != 0:
        raise RuntimeError("psql failed (%d): %s" % (cp.returncode, cp.stderr.strip()))
    return [line for line in cp.stdout.splitlines() if line]


def new_database():
    """A fresh, empty database on the test server; returns its URL."""
    if not PG_ADMIN_URL:
        raise RuntimeError("RCAUTH_E2E_BACKEND=postgres needs RCAUTH_TEST_PG, the URL of a "
                           "PostgreSQL server's admin database (scripts/test-all.sh starts one)")
    name = "rcauth_e2e_" + uuid.uuid4().hex[:12]
    psql("CREATE DATABASE %s" % name)
    return pg_url(name)


def store_args(data_dir):
    """The store options of a server or CLI run on data_dir: --data, and --db on PostgreSQL."""
    if BACKEND != "postgres":
        return ["--data", data_dir]
    key = os.path.abspath(data_dir)
    with _lock:
        db = _DB_OF_DATA_DIR.get(key)
    if db is None:
        db = new_database()
        with _lock:
            db = _DB_OF_DATA_DIR.setdefault(key, db)
    return ["--data", data_dir, "--db", db]


def use_database(data_dir, url):
    """Make servers and CLI runs on data_dir use the database at url (PostgreSQL)."""
    with _lock:
        _DB_OF_DATA_DIR[os.path.abspath(data_dir)] = url


class PgServer:
    """A PostgreSQL server of our own (scripts/pg-test.sh), that a test may stop and start."""

    SCRIPT = os.path.join(REPO_ROOT, "scripts", "pg-test.sh")

    def __init__(self):
        # not under the suite's temp dir: the unprivileged server user must reach it
        self.dir = tempfile.mkdtemp(prefix="rcauth-pg-")
        self.url = None

    def _run(self, *args):
        cp = subprocess.run([self.SCRIPT] + list(args) + [self.dir], capture_output=True,
                            text=True, timeout=120)
        if cp.returncode != 0:
            raise RuntimeError("pg-test.sh %s failed: %s" % (" ".join(args), cp.stderr))
        return cp.stdout.strip()

    def start(self):
        self.url = self._run("start")
        return self.url

    def stop(self):
        self._run("stop")

    def destroy(self):
        self._run("destroy")

    def database_url(self, name):
        return pg_url(name, self.url)


def store_env(data_dir):
    """The same as store_args(), as RCAUTH_DATA and RCAUTH_DB variables."""
    args = store_args(data_dir)
    return dict(zip(["RCAUTH_DATA", "RCAUTH_DB"], args[1::2]))


def run_cli(args, data_dir=None, env=None, timeout=30, input=None):
    """Run build/rcauth with args (list); the store options of data_dir (store_args) are
    appended when data_dir is given and the caller did not pass --data. Returns
    CompletedProcess (text)."""
    argv = [RCAUTH_BIN] + list(args)
    if data_dir is not None and "--data" not in args:
        argv += store_args(data_dir)
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                        env=clean_env(env), input=input)
    # under a sanitizer build (make test's second pass) a report fails the test that ran it
    for mark in SANITIZER_MARKS:
        assert mark not in cp.stderr, "%s reported by %s:\n%s" % (mark, args, cp.stderr)
    return cp


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")


class Server:
    """One rcauth daemon on a fresh data dir, restartable on the same dir and port."""

    def __init__(self, workdir, name="srv", extra_args=None, env=None, tls=None):
        """tls: (cert_path, key_path) to serve HTTPS; the cert is then also the CA that
        this harness trusts."""
        self.workdir = workdir
        self.tls = tls
        self.name = name
        self.data_dir = os.path.join(workdir, "data")
        # 0700 as rcauth makes it: a group-writable one (umask 002) gets a warning at start
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        self.log_path = os.path.join(workdir, "server.log")
        LOG_FILES.append(self.log_path)
        self.port = free_port()
        self.extra_args = list(extra_args or [])
        if tls:
            self.extra_args += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        self.env = dict(env or {})
        self.proc = None
        self._log = None
        self.admin_key = None

    @property
    def base(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    @property
    def verify(self):
        """What requests' verify= needs for this server."""
        return self.tls[0] if self.tls else True

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    def create_admin_key(self, name="test"):
        cp = run_cli(["admin-key", "create", "--name", name], data_dir=self.data_dir,
                     env=self.env)
        if cp.returncode != 0:
            raise RuntimeError("admin-key create failed (%d): %s%s"
                               % (cp.returncode, cp.stdout, cp.stderr))
        key = cp.stdout.strip()
        if not key or "\n" in key:
            raise RuntimeError("admin-key create printed %r, want the key alone" % cp.stdout)
        record_secret(key)
        return key

    def log_text(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, timeout=10):
        if self.admin_key is None:
            self.admin_key = self.create_admin_key()
        deadline = time.monotonic() + timeout
        last_err = None
        for attempt in range(3):
            self._log = open(self.log_path, "ab")
            argv = ([RCAUTH_BIN, "serve"] + store_args(self.data_dir)
                    + ["--listen", self.host] + self.extra_args)
            self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=clean_env(self.env))
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_err = "server exited with %s" % self.proc.returncode
                    break
                try:
                    r = requests.get(self.base + "/healthz", timeout=1, verify=self.verify)
                    if r.status_code == 200:
                        return self
                    last_err = "healthz answered %d" % r.status_code
                except requests.RequestException as e:
                    last_err = str(e)
                time.sleep(0.05)
            else:
                break
            # exited early: maybe the port was still taken; retry a couple of times
            self._log.close()
            time.sleep(0.5)
        self.kill()
        raise RuntimeError("rcauth serve did not become healthy within %ds (%s); log:\n%s"
                           % (timeout, last_err, self.log_text()))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stop with sig; return the exit code (None if it had to be killed). Its /metrics
        are kept first, for the leak check of test_zz_logs."""
        if self.proc is None:
            return None
        try:
            r = requests.get(self.base + "/metrics", timeout=2, verify=self.verify)
            with _lock:
                METRICS_TEXTS.append((self.name, r.text))
        except requests.RequestException:
            pass
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        else:
            rc = self.proc.returncode
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def restart(self, timeout=10):
        rc = self.stop()
        self.start(timeout)
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def admin(self, key=None):
        a = Admin(self.base, self.admin_key if key is None else key)
        a.verify = self.verify
        return a


# --------------------------------------------------------------------------------------
# Admin API client.


class Admin:
    def __init__(self, base, key):
        self.base = base
        self.key = key
        self.s = requests.Session()
        self.verify = True  # a CA file for a TLS server (per request: REQUESTS_CA_BUNDLE
        # would override a session setting)
        if key is not None:
            self.s.headers["Authorization"] = "Bearer " + key

    def url(self, path):
        return self.base + "/admin/v1" + path

    def request(self, method, path, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        kw.setdefault("verify", self.verify)
        r = self.s.request(method, self.url(path), **kw)
        if method == "GET":
            with _lock:
                ADMIN_GET_BODIES.append((r.url, r.text))
        if r.status_code in (200, 201):
            try:
                record_token_answer(r.json())
            except ValueError:
                pass
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        if body is not None:
            kw["json"] = body
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # conveniences that assert success

    def create_account(self, name=None, id=None):
        body = {"name": name or ("acct-" + uuid.uuid4().hex[:8])}
        if id is not None:
            body["id"] = id
        r = self.post("/accounts", body)
        assert r.status_code == 201, (r.status_code, r.text)
        return r.json()

    def create_env(self, account, name=None, is_main=None):
        body = {"name": name or ("env-" + uuid.uuid4().hex[:8])}
        if is_main is not None:
            body["is_main"] = is_main
        r = self.post("/accounts/%s/environments" % account, body)
        assert r.status_code == 201, (r.status_code, r.text)
        return r.json()

    def create_access(self, account, actions=("campaign.read",), environments=None, name=None):
        body = {"name": name or ("access-" + uuid.uuid4().hex[:8]), "actions": list(actions)}
        if environments is not None:
            body["environments"] = list(environments)
        r = self.post("/accounts/%s/accesses" % account, body)
        assert r.status_code == 201, (r.status_code, r.text)
        d = r.json()
        record_secret(d.get("client_secret"))
        return d

    def revoke(self, account, client_id):
        r = self.delete("/accounts/%s/accesses/%s" % (account, client_id))
        assert r.status_code == 204, (r.status_code, r.text)
        return r

    def rotate(self, account, client_id):
        r = self.post("/accounts/%s/accesses/%s/secret" % (account, client_id))
        assert r.status_code == 200, (r.status_code, r.text)
        d = r.json()
        record_secret(d.get("client_secret"))
        return d


# --------------------------------------------------------------------------------------
# Token endpoint and verification, shaped like the existing clients.


def post_token(base, path, *, params=None, json_body=None, data=None, headers=None,
               auth=None, session=None):
    """Low-level POST to a token path; records any issued token. Never follows redirects."""
    s = session or requests
    r = s.post(base + path, params=params, json=json_body, data=data, headers=headers,
               auth=auth, timeout=HTTP_TIMEOUT, allow_redirects=False)
    if r.status_code == 200:
        try:
            record_token_answer(r.json())
        except ValueError:
            pass
    return r


def token_request(base, account, client_id, client_secret, expires_in=None, scope="*",
                  grant_type="client_credentials", headers=None, session=None, **extra):
    """JSON body like the existing clients; expires_in in the query string. scope=None
    leaves it out."""
    body = {"grant_type": grant_type}
    if scope is not None:
        body["scope"] = scope
    if client_id is not None:
        body["client_id"] = client_id
    if client_secret is not None:
        body["client_secret"] = client_secret
    body.update(extra)
    params = None if expires_in is None else {"expires_in": str(expires_in)}
    return post_token(base, "/%s/token" % account, params=params, json_body=body,
                      headers=headers, session=session)


def get_token(base, account, access, expires_in=None, scope="*", **kw):
    """Issue a token for an access dict (client_id, client_secret); assert 200."""
    r = token_request(base, account, access["client_id"], access["client_secret"],
                      expires_in=expires_in, scope=scope, **kw)
    assert r.status_code == 200, (r.status_code, r.text)
    d = r.json()
    assert d.get("access_token"), d
    return d


def refresh_request(base, account, client_id, refresh_token, client_secret=None, session=None):
    body = {"grant_type": "refresh_token", "client_id": client_id,
            "refresh_token": refresh_token}
    if client_secret is not None:
        body["client_secret"] = client_secret
    return post_token(base, "/%s/token" % account, json_body=body, session=session)


def verify(base, token, bearer=None, headers=None, session=None):
    """GET /token?access_token=T (token unescaped in the query, as clients send it)."""
    s = session or requests
    h = dict(headers or {})
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    url = base + "/token" if token is None else base + "/token?access_token=" + token
    return s.get(url, headers=h, timeout=HTTP_TIMEOUT, allow_redirects=False)


# --------------------------------------------------------------------------------------
# JWT and assertion helpers.


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_decode(token):
    """Return (header, payload) without checking the signature."""
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def assert_json_error(r, status, error=None):
    assert r.status_code == status, (r.status_code, r.headers, r.text)
    ct = r.headers.get("Content-Type", "")
    assert ct.split(";")[0].strip().lower() == "application/json", (ct, r.text)
    try:
        body = r.json()
    except ValueError:
        raise AssertionError("error body is not JSON: %r" % r.text)
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"], body
    if error is not None:
        assert body["error"] == error, (status, body)
    if "error_description" in body:
        assert isinstance(body["error_description"], str), body
    return body


def assert_no_cache(r):
    assert r.headers.get("Cache-Control", "").replace(" ", "").lower() == "no-store", \
        (r.status_code, dict(r.headers))
    assert r.headers.get("Pragma", "").lower() == "no-cache", (r.status_code, dict(r.headers))


def assert_token_error(r, status, error):
    body = assert_json_error(r, status, error)
    assert isinstance(body.get("error_description"), str), body
    assert_no_cache(r)
    assert "access_token" not in body
    return body


def assert_token_ok(r):
    assert r.status_code == 200, (r.status_code, r.text)
    ct = r.headers.get("Content-Type", "")
    assert ct.split(";")[0].strip().lower() == "application/json", ct
    assert_no_cache(r)
    d = r.json()
    assert isinstance(d.get("access_token"), str) and d["access_token"], d
    assert d.get("token_type") == "Bearer", d
    return d


def is_json_ct(r):
    return r.headers.get("Content-Type", "").split(";")[0].strip().lower() == "application/json"


def new_env_setup(admin, n_envs=0, actions=("campaign.read",), **kw):
    acct = admin.create_account()
    envs = [admin.create_env(acct["id"]) for _ in range(n_envs)]
    access = admin.create_access(acct["id"], actions=actions, **kw)
    return acct, envs, access


def names_field(err, field):
    """True when the error_description names `field` as a word ("id" does not match
    "invalid")."""
    desc = err.get("error_description", "") if isinstance(err, dict) else str(err)
    return re.search(r"(?<![A-Za-z0-9_.])%s(?![A-Za-z0-9_])" % re.escape(field), desc) is not None
