#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark fixtures, made over HTTP on running servers, written as request files for
bench/requests.lua (one request a line: METHOD, PATH, BODY, then headers, tab-separated).

  rcauth-accesses BASE ADMIN_KEY OUT N   one account, one environment and N accesses through
                                         the admin API → OUT/issue.req, OUT/envs.tsv
  rcauth-tokens BASE OUT N EXPIRES_IN    N tokens, issued round-robin over OUT/issue.req →
                                         OUT/verify.req, OUT/authorize.req
  rcauth-churn BASE ADMIN_KEY OUT N      N more accesses whose secrets the mixed load rotates
                                         → OUT/churn.req
  rcauth-mix OUT EVERY                   OUT/mixed.req: issue, verify and authorize requests
                                         in turn, and one of churn.req every EVERY requests
  oidc BASE OUT NCLIENTS NTOKENS         node-oidc-provider (bench/peers/oidc/server.mjs) →
                                         OUT/oidc_token.req, OUT/oidc_introspect.req
  glewlwyd BASE OUT NCLIENTS LOW_ITER    Glewlwyd's admin flow: the OIDC plugin, NCLIENTS
                                         clients with the default PBKDF2 cost and NCLIENTS
                                         with LOW_ITER iterations → OUT/glewlwyd.req,
                                         OUT/glewlwyd_low.req
  check BASE FILE STATUS [SUBSTRING]     sends 20 requests of FILE; each must answer STATUS
                                         (and contain SUBSTRING): a server that answers fast
                                         but wrongly must not be measured

Requests go over keep-alive connections from 8 threads, so that 10,000 tokens take seconds.
Any unexpected answer stops the script with a message and exit status 1."""
import base64
import concurrent.futures
import http.client
import json
import os
import random
import sys
import threading
import urllib.parse

WORKERS = 8
ACTIONS = ["campaign.list", "campaign.read", "campaign.toggle", "flag.list", "flag.read"]


def fail(msg):
    sys.exit("setup: " + msg)


class Client:
    """One keep-alive connection per thread to BASE (http://host:port)."""

    def __init__(self, base, headers=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.headers = headers or {}
        self.local = threading.local()

    def call(self, method, path, body=None, headers=None):
        h = dict(self.headers, **(headers or {}))
        if isinstance(body, (dict, list)):
            body, h["Content-Type"] = json.dumps(body), "application/json"
        for attempt in (1, 2):  # once more on a connection the server closed
            c = getattr(self.local, "conn", None)
            if c is None:
                c = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                c.request(method, path, body=body, headers=h)
                r = c.getresponse()
                return r.status, r.read(), r.getheader("Set-Cookie")
            except (http.client.HTTPException, ConnectionError):
                c.close()
                self.local.conn = None
                if attempt == 2:
                    raise

    def ok(self, method, path, body=None, headers=None, status=(200, 201)):
        st, data, _ = self.call(method, path, body, headers)
        if st not in status:
            fail("%s %s answered %d: %s" % (method, path.split("?")[0], st, data[:300]))
        return json.loads(data) if data else None


def pmap(fn, items, workers=WORKERS):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def req_line(method, path, body="", headers=None):
    return "\t".join([method, path, body] + ["%s: %s" % kv for kv in (headers or {}).items()])


def parse_line(line):
    f = line.rstrip("\n").split("\t")
    return f[0], f[1], f[2], dict(h.split(": ", 1) for h in f[3:])


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def read_lines(path):
    with open(path) as f:
        return [line for line in f.read().split("\n") if line]


def basic(client_id, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (client_id, secret)).encode()).decode()


# --- rcauth -----------------------------------------------------------------------------

def issue_line(account, client_id, secret, expires_in):
    body = json.dumps({"grant_type": "client_credentials", "scope": "*", "client_id": client_id,
                       "client_secret": secret}, separators=(",", ":"))
    return req_line("POST", "/%s/token?expires_in=%d" % (account, expires_in), body,
                    {"Content-Type": "application/json"})


def rcauth_accesses(base, admin_key, out, n):
    c = Client(base, {"Authorization": "Bearer " + admin_key})
    acct = c.ok("POST", "/admin/v1/accounts", {"name": "bench"})["id"]
    env = c.ok("POST", "/admin/v1/accounts/%s/environments" % acct,
               {"name": "production", "is_main": True})["id"]

    def make(i):
        a = c.ok("POST", "/admin/v1/accounts/%s/accesses" % acct,
                 {"name": "bench-%d" % i, "actions": ACTIONS})
        return issue_line(acct, a["client_id"], a["client_secret"], 1800)

    write_lines(os.path.join(out, "issue.req"), pmap(make, range(n)))
    write_lines(os.path.join(out, "envs.tsv"), ["%s\t%s" % (acct, env)])


def gate_uri(i, account, env):
    """A Remote Control API route each bench access may use (SPEC §9), four kinds in turn."""
    e = "/v1/accounts/%s/account_environments/%s" % (account, env)
    return [("GET", e + "/campaigns"), ("GET", e + "/campaigns/c%d" % i),
            ("PATCH", e + "/campaigns/c%d/toggle" % i), ("GET", "/v1/accounts/%s/flags" % account)][i % 4]


def rcauth_tokens(base, out, n, expires_in):
    c = Client(base)
    issue = [parse_line(line) for line in read_lines(os.path.join(out, "issue.req"))]
    envs = dict(line.split("\t") for line in read_lines(os.path.join(out, "envs.tsv")))

    def get(i):
        method, path, body, headers = issue[i % len(issue)]
        path = path.split("?")[0] + "?expires_in=%d" % expires_in
        return path.split("/")[1], c.ok(method, path, body, headers)["access_token"]

    tokens = pmap(get, range(n))
    write_lines(os.path.join(out, "verify.req"),
                [req_line("GET", "/token?access_token=" + t) for _, t in tokens])
    lines = []
    for i, (acct, t) in enumerate(tokens):
        method, uri = gate_uri(i, acct, envs[acct])
        lines.append(req_line("GET", "/authorize", "", {
            "Authorization": "Bearer " + t, "X-Original-Method": method, "X-Original-URI": uri}))
    write_lines(os.path.join(out, "authorize.req"), lines)


def rcauth_churn(base, admin_key, out, n):
    auth = {"Authorization": "Bearer " + admin_key}
    c = Client(base, auth)
    acct = read_lines(os.path.join(out, "envs.tsv"))[0].split("\t")[0]

    def make(i):
        cid = c.ok("POST", "/admin/v1/accounts/%s/accesses" % acct,
                   {"name": "churn-%d" % i, "actions": ACTIONS})["client_id"]
        return req_line("POST", "/admin/v1/accounts/%s/accesses/%s/secret" % (acct, cid), "", auth)

    write_lines(os.path.join(out, "churn.req"), pmap(make, range(n)))


def rcauth_mix(out, every):
    parts = [read_lines(os.path.join(out, f)) for f in ("issue.req", "verify.req", "authorize.req")]
    churn = read_lines(os.path.join(out, "churn.req"))
    n = min(len(p) for p in parts)
    mixed = []
    for i in range(n):
        for p in parts:
            mixed.append(p[i])
            if len(mixed) % every == 0:
                mixed.append(churn[(len(mixed) // every) % len(churn)])
    write_lines(os.path.join(out, "mixed.req"), mixed)


# --- node-oidc-provider -------------------------------------------------------------------

def oidc(base, out, nclients, ntokens):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = "grant_type=client_credentials&scope=read%20write"
    lines = [req_line("POST", "/token", body,
                      dict(form, Authorization=basic("bench-%d" % i, "bench-secret-%d" % i)))
             for i in range(nclients)]
    write_lines(os.path.join(out, "oidc_token.req"), lines)
    if not ntokens:
        return
    c = Client(base)
    issue = [parse_line(line) for line in lines]

    def get(i):
        method, path, b, headers = issue[i % len(issue)]
        return c.ok(method, path, b, headers)["access_token"]

    # The resource server introspecting is one client (RFC 7662 §2.1 wants it authenticated).
    rs = dict(form, Authorization=basic("bench-0", "bench-secret-0"))
    write_lines(os.path.join(out, "oidc_introspect.req"),
                [req_line("POST", "/token/introspection", "token=" + t, rs)
                 for t in pmap(get, range(ntokens))])


# --- Glewlwyd -----------------------------------------------------------------------------

def rsa_key_and_cert():
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "glewlwyd-bench")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def glewlwyd(base, out, nclients, low_iterations):
    port = urllib.parse.urlsplit(base).port
    login = Client(base)
    st, data, cookie = login.call("POST", "/api/auth/", {"username": "admin", "password": "password"})
    if st != 200 or not cookie:
        fail("Glewlwyd admin sign-in answered %d: %s" % (st, data[:200]))
    key = login.ok("POST", "/api/key/", headers={"Cookie": cookie.split(";")[0]})["key"]
    c = Client(base, {"Authorization": "token " + key})
    pem, cert = rsa_key_and_cert()
    c.ok("POST", "/api/mod/plugin/", {"module": "oidc", "name": "oidc", "display_name": "oidc",
                                      "parameters": {
        "iss": "http://127.0.0.1:%d" % port, "jwt-type": "rsa", "jwt-key-size": "256",
        "key": pem, "cert": cert, "access-token-duration": 1800,
        "refresh-token-duration": 1209600, "code-duration": 600, "refresh-token-rolling": False,
        "allow-non-oidc": True, "auth-type-code-enabled": False, "auth-type-token-enabled": False,
        "auth-type-id-token-enabled": True, "auth-type-none-enabled": False,
        "auth-type-password-enabled": False, "auth-type-client-enabled": True,
        "auth-type-refresh-enabled": False, "introspection-revocation-allowed": True,
        "introspection-revocation-auth-scope": [],
        "introspection-revocation-allow-target-client": True}})
    c.ok("POST", "/api/scope/", {"name": "read", "display_name": "read", "description": "bench",
                                 "password_required": False})

    def clients(prefix):
        def make(i):
            cid, secret = "%s-%d" % (prefix, i), "%s-secret-%d" % (prefix, i)
            c.ok("POST", "/api/client/?source=database", {
                "client_id": cid, "name": cid, "confidential": True, "password": secret,
                "authorization_type": ["client_credentials"], "scope": ["read"],
                "token_endpoint_auth_method": ["client_secret_basic"], "enabled": True,
                "redirect_uri": []})
            return req_line("POST", "/api/oidc/token", "grant_type=client_credentials&scope=read", {
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": basic(cid, secret)})
        # One at a time: Glewlwyd answers 500 to concurrent client creations on SQLite.
        return pmap(make, range(nclients), workers=1)

    write_lines(os.path.join(out, "glewlwyd.req"), clients("bench"))
    # A stored hash keeps the iteration count it was made with: lower the module's cost, then
    # make other clients (bench-peers.md).
    mod = c.ok("GET", "/api/mod/client/database")
    mod["parameters"]["pbkdf2-iterations"] = low_iterations
    c.ok("PUT", "/api/mod/client/database", mod)
    c.ok("PUT", "/api/mod/client/database/reset")
    write_lines(os.path.join(out, "glewlwyd_low.req"), clients("low"))


# --- check --------------------------------------------------------------------------------

def check(base, path, status, substring=None):
    c = Client(base)
    lines = read_lines(path)
    for line in random.sample(lines, min(20, len(lines))):
        method, p, body, headers = parse_line(line)
        st, data, _ = c.call(method, p, body or None, headers)
        if st != status or (substring and substring.encode() not in data):
            fail("%s: %s %s answered %d, expected %d%s: %s" % (
                os.path.basename(path), method, p.split("?")[0], st, status,
                " with %r" % substring if substring else "", data[:200]))


def main():
    cmds = {
        "rcauth-accesses": (rcauth_accesses, [str, str, str, int]),
        "rcauth-tokens": (rcauth_tokens, [str, str, int, int]),
        "rcauth-churn": (rcauth_churn, [str, str, str, int]),
        "rcauth-mix": (rcauth_mix, [str, int]),
        "oidc": (oidc, [str, str, int, int]),
        "glewlwyd": (glewlwyd, [str, str, int, int]),
        "check": (check, [str, str, int, str]),
    }
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    fn, types = cmds[sys.argv[1]]
    args = sys.argv[2:]
    if not len(types) - (fn is check) <= len(args) <= len(types):
        sys.exit(__doc__)
    fn(*[t(a) for t, a in zip(types, args)])


if __name__ == "__main__":
    main()
