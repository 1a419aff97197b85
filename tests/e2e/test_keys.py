# SPDX-License-Identifier: MIT
"""Signing keys against the real binary (SPEC §4, §6, §7): ES256 selectable per server,
rotation by the CLI on a running server's data dir and by the admin API (tokens signed
before and after both verify, both kids in the JWKS, the new key signing within 5 s),
retirement, the lifetime of superseded keys (dropped once their reservation has run out,
kept while they signed a token that does not expire, with a warning), reservations written
before the token is answered and surviving a SIGKILL, two instances on one store (a key made
by one verifies on the other at once: GET /token, introspection, /authorize, the JWKS with
PyJWT), forged tokens, and keys across a restart."""

import calendar
import concurrent.futures
import hashlib
import hmac
import json
import os
import re
import signal
import threading
import time
import uuid

import pytest
import requests

try:
    import jwt
except ImportError:  # test_jwt_libraries.py says what to install
    jwt = None

import helpers
import token_ops
from conftest import make_server
from helpers import assert_json_error, run_cli, verify

ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# ---------------------------------------------------------------- helpers


def jwks(base):
    r = requests.get(base + "/.well-known/jwks.json", timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def jwks_kids(base):
    return [k["kid"] for k in jwks(base)["keys"]]


def header_of(token):
    return helpers.jwt_decode(token)[0]


def kid_of(token):
    return header_of(token)["kid"]


def new_access(server):
    admin = server.admin()
    acct = admin.create_account()
    return acct, admin.create_access(acct["id"], actions=["campaign.read"])


def token(server, acct, access, expires_in=600):
    return helpers.get_token(server.base, acct["id"], access,
                             expires_in=expires_in)["access_token"]


def assert_valid(base, tok):
    r = verify(base, tok)
    assert r.status_code == 200, (r.status_code, r.text, header_of(tok))
    return r.json()


def assert_refused(base, tok):
    r = verify(base, tok)
    assert_json_error(r, 401, "invalid_token")
    assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", "")


def _elsewhere(server, tok):
    """(introspection answer, /authorize status) for tok, as an admin and as the gate."""
    account = helpers.jwt_decode(tok)[1].get("account", "x")
    r = token_ops.introspect(server.base, account, tok,
                             headers=token_ops.admin_bearer(server.admin_key))
    assert r.status_code == 200, (r.status_code, r.text)
    g = requests.get(server.base + "/authorize", timeout=helpers.HTTP_TIMEOUT, headers={
        "Authorization": "Bearer " + tok, "X-Original-Method": "GET",
        "X-Original-URI": "/v1/accounts/%s/account_environments/e1/campaigns/c1" % account})
    return r.json(), g.status_code


def assert_valid_everywhere(server, tok):
    """GET /token, introspection and the gate all accept tok (a campaign.read token)."""
    assert_valid(server.base, tok)
    answer, gate = _elsewhere(server, tok)
    assert answer.get("active") is True and gate == 204, (answer, gate, header_of(tok))


def assert_refused_everywhere(server, tok):
    assert_refused(server.base, tok)
    answer, gate = _elsewhere(server, tok)
    assert answer == {"active": False} and gate == 401, (answer, gate)


def cli(server, *args):
    return run_cli(list(args), data_dir=server.data_dir)


def cli_retire(server, kid, *opts):
    """`keys retire KID`, with `--` first: a kid (base64url) may begin with '-'."""
    return run_cli(["keys", "retire"] + list(opts) + helpers.store_args(server.data_dir)
                   + ["--", kid])


def cli_ok(cp):
    assert cp.returncode == 0, (cp.args, cp.returncode, cp.stdout, cp.stderr)
    return cp.stdout


def cli_keys(server):
    return {k["kid"]: k for k in
            (json.loads(line) for line in cli_ok(cli(server, "keys", "list")).splitlines())}


def api_keys(server):
    r = server.admin().get("/keys", params={"_max_per_page": "1000"})
    assert r.status_code == 200, r.text
    return {k["kid"]: k for k in r.json()["items"]}


def rotate_api(server, alg=None):
    r = server.admin().post("/keys/rotate", {} if alg is None else {"alg": alg})
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def wait_until(fn, timeout, step=0.05):
    """Poll fn() until it returns a true value; return (value, seconds) or fail."""
    t0 = time.monotonic()
    while True:
        v = fn()
        if v:
            return v, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            pytest.fail("condition not met within %.1f s" % timeout)
        time.sleep(step)


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def b64(data):
    return helpers.b64url_encode(data)


def forge(header, payload, signature=b""):
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    p = b64(json.dumps(payload, separators=(",", ":")).encode())
    return "%s.%s.%s" % (h, p, b64(signature) if isinstance(signature, bytes) else signature)


def hs256(header, payload, secret):
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    p = b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(secret, ("%s.%s" % (h, p)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (h, p, b64(mac))


@pytest.fixture(scope="module")
def es_server():
    srv = make_server("keys-es256", ["--signing-alg", "ES256"])
    yield srv
    srv.stop()
    srv.kill()


# A small reservation horizon: a superseded key that signed only short tokens goes within
# about 2 x RESERVE + 10 s of the rotation.
RESERVE = 2


@pytest.fixture
def fresh():
    """A server of its own, for tests that retire keys or wait for them to go."""
    srv = make_server("keys-fresh", ["--key-reserve", str(RESERVE)])
    yield srv
    srv.stop()
    srv.kill()


def second_instance(srv):
    """Another rcauth serve with srv's options on srv's data dir (on PostgreSQL, the same
    database): two instances sharing one store."""
    workdir = os.path.join(os.path.dirname(srv.workdir), "b-" + uuid.uuid4().hex[:6])
    os.makedirs(workdir)
    other = helpers.Server(workdir, srv.name + "-b", extra_args=srv.extra_args)
    other.data_dir = srv.data_dir
    other.admin_key = srv.admin_key
    other.start()
    return other


# ---------------------------------------------------------------- ES256 per server


def test_es256_server_signs_es256(es_server):
    acct, access = new_access(es_server)
    tok = token(es_server, acct, access)
    h = header_of(tok)
    assert h == {"alg": "ES256", "typ": "at+jwt", "kid": h["kid"]}, h
    assert len(helpers.b64url_decode(tok.split(".")[2])) == 64  # R || S, not DER
    v = assert_valid(es_server.base, tok)
    assert v["account"] == acct["id"] and v["client_id"] == access["client_id"], v
    keys = jwks(es_server.base)["keys"]
    mine = [k for k in keys if k["kid"] == h["kid"]]
    assert len(mine) == 1, keys
    k = mine[0]
    assert (k["kty"], k["crv"], k["alg"], k["use"]) == ("EC", "P-256", "ES256", "sig"), k
    assert len(helpers.b64url_decode(k["x"])) == 32 and len(helpers.b64url_decode(k["y"])) == 32
    assert "d" not in k
    # the kid is the RFC 7638 thumbprint of the JWK
    canon = json.dumps({"crv": k["crv"], "kty": k["kty"], "x": k["x"], "y": k["y"]},
                       separators=(",", ":"), sort_keys=True)
    assert b64(hashlib.sha256(canon.encode()).digest()) == k["kid"]
    # a server configured for ES256 made no EdDSA key
    assert {x["alg"] for x in keys} == {"ES256"}, keys
    assert any('"signing_alg":"ES256"' in line for line in es_server.log_text().splitlines())


def test_jwks_endpoint_is_public_json_and_cacheable(es_server):
    r = requests.get(es_server.base + "/.well-known/jwks.json", timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200
    assert helpers.is_json_ct(r), r.headers
    assert r.headers.get("Cache-Control") == "public, max-age=60", r.headers
    assert "Pragma" not in r.headers
    doc = r.json()
    assert list(doc) == ["keys"] and doc["keys"], doc
    for k in doc["keys"]:
        assert set(k) <= {"kty", "crv", "x", "y", "kid", "alg", "use"}, k
    r = requests.post(es_server.base + "/.well-known/jwks.json", timeout=helpers.HTTP_TIMEOUT)
    assert_json_error(r, 405)


def test_bad_key_reserve_is_a_usage_error(tmp_path):
    for v in ("0", "-5", "1h", "", "2592001"):
        cp = run_cli(["serve", "--key-reserve", v, "--listen", "127.0.0.1:1"],
                     data_dir=str(tmp_path))
        assert cp.returncode == 2, (v, cp.returncode, cp.stderr)
        assert "key-reserve" in cp.stderr, cp.stderr
    cp = run_cli(["serve", "--listen", "127.0.0.1:1"], data_dir=str(tmp_path),
                 env={"RCAUTH_KEY_RESERVE": "never"})
    assert cp.returncode == 2 and "key-reserve" in cp.stderr, (cp.returncode, cp.stderr)


def test_bad_signing_alg_is_a_usage_error(tmp_path):
    for alg in ("HS256", "es256", "none", ""):
        cp = run_cli(["serve", "--signing-alg", alg, "--listen", "127.0.0.1:1"],
                     data_dir=str(tmp_path))
        assert cp.returncode == 2, (alg, cp.returncode, cp.stderr)
        assert "signing-alg" in cp.stderr, cp.stderr
    cp = run_cli(["keys", "list"], data_dir=str(tmp_path), env={"RCAUTH_SIGNING_ALG": "RS256"})
    assert cp.returncode == 2, (cp.returncode, cp.stderr)


# ---------------------------------------------------------------- rotation


def test_cli_rotation_reaches_the_running_server_within_5s(server):
    acct, access = new_access(server)
    before = token(server, acct, access)
    old_kid = kid_of(before)
    new = json.loads(cli_ok(cli(server, "keys", "rotate")))
    t0 = time.monotonic()
    assert new["alg"] == "EdDSA" and new["current"] is True and new["kid"] != old_kid, new
    assert new["jwk"]["kid"] == new["kid"] and "d" not in new["jwk"], new

    def signed_with_new():
        t = token(server, acct, access)
        return t if kid_of(t) == new["kid"] else None

    after, _ = wait_until(signed_with_new, timeout=6)
    elapsed = time.monotonic() - t0
    print("\nnew key signing %.2f s after `keys rotate` returned" % elapsed)
    assert elapsed < 5, elapsed
    assert_valid(server.base, before)
    assert_valid(server.base, after)
    kids = jwks_kids(server.base)
    assert old_kid in kids and new["kid"] in kids, kids
    keys = api_keys(server)
    assert keys[old_kid]["current"] is False and keys[old_kid]["published"] is True
    assert ISO_RE.match(keys[old_kid]["rotated_at"]), keys[old_kid]
    assert keys[new["kid"]]["current"] is True and keys[new["kid"]]["rotated_at"] is None


def test_api_rotation(server):
    admin = server.admin()
    acct, access = new_access(server)
    before = token(server, acct, access)
    new = rotate_api(server)  # the server's algorithm: EdDSA
    assert new["alg"] == "EdDSA" and isinstance(new["warnings"], list), new
    after = token(server, acct, access)  # the rotating server signs with it at once
    assert kid_of(after) == new["kid"], (header_of(after), new)
    assert_valid_everywhere(server, before)
    assert_valid_everywhere(server, after)
    assert {kid_of(before), new["kid"]} <= set(jwks_kids(server.base))

    # an ES256 key on an EdDSA server: published for verifiers, but this server signs EdDSA
    es = rotate_api(server, "ES256")
    assert es["alg"] == "ES256" and es["jwk"]["kty"] == "EC" and es["current"] is True, es
    assert es["kid"] in jwks_kids(server.base)
    assert header_of(token(server, acct, access))["alg"] == "EdDSA"

    r = admin.get("/audit", params={"_max_per_page": "1000"})
    rotated = [e for e in r.json()["items"] if e["event"] == "keys.rotated"]
    assert {new["kid"], es["kid"]} <= {e["subject"] for e in rotated}, rotated


@pytest.mark.parametrize("body", [{"alg": "HS256"}, {"alg": "es256"}, {"alg": 5},
                                  {"alg": "none"}, [1]])
def test_rotate_refuses_other_algs(server, body):
    n = len(api_keys(server))
    r = server.admin().post("/keys/rotate", body)
    err = assert_json_error(r, 400, "invalid_request")
    assert "alg" in err.get("error_description", "") or "body" in err.get("error_description", "")
    assert len(api_keys(server)) == n


def test_cli_rotate_refuses_other_algs(server):
    cp = cli(server, "keys", "rotate", "--alg", "RS256")
    assert cp.returncode == 2, (cp.returncode, cp.stderr)
    assert cp.stderr.startswith("rcauth: ") and "alg" in cp.stderr, cp.stderr


def test_key_listing_shape(server):
    via_cli, via_api = cli_keys(server), api_keys(server)
    assert set(via_cli) == set(via_api), (via_cli, via_api)
    fields = {"kid", "alg", "created_at", "current", "published", "rotated_at", "retired_at",
              "max_exp", "signed_non_expiring", "verifies_until", "jwk"}
    for kid, k in via_api.items():
        assert set(k) == fields, k
        assert set(via_cli[kid]) == fields
        assert k["jwk"]["kid"] == kid and k["jwk"]["alg"] == k["alg"], k
        assert "d" not in k["jwk"] and "sealed" not in json.dumps(k), k
        assert ISO_RE.match(k["created_at"]), k
    for alg in {k["alg"] for k in via_api.values()}:
        assert sum(1 for k in via_api.values() if k["alg"] == alg and k["current"]) == 1
    r = server.admin().get("/keys", params={"_max_per_page": "1"})
    assert r.status_code == 200 and len(r.json()["items"]) == 1, r.text
    assert r.json()["total_count"] == len(via_api)


# ---------------------------------------------------------------- retirement


def test_retire(fresh):
    admin = fresh.admin()
    acct, access = new_access(fresh)
    old = token(fresh, acct, access, expires_in=3600)
    old_kid = kid_of(old)
    new = rotate_api(fresh)
    after = token(fresh, acct, access)

    # the current key of the server's algorithm cannot go
    r = admin.delete("/keys/%s" % new["kid"])
    err = assert_json_error(r, 409, "conflict")
    assert "rotate" in err["error_description"], err
    cp = cli_retire(fresh, new["kid"])
    assert cp.returncode == 1 and cp.stderr.startswith("rcauth: "), (cp.returncode, cp.stderr)
    assert_valid(fresh.base, after)

    assert_json_error(admin.delete("/keys/bm90LWEta2lk"), 404, "not_found")
    assert cli_retire(fresh, "bm90LWEta2lk").returncode == 1

    r = admin.delete("/keys/%s" % old_kid)
    assert r.status_code == 204, (r.status_code, r.text)
    assert_refused(fresh.base, old)  # at once, long before its exp
    assert old_kid not in jwks_kids(fresh.base)
    assert_valid(fresh.base, after)
    assert admin.delete("/keys/%s" % old_kid).status_code == 204  # again: nothing changes
    k = api_keys(fresh)[old_kid]
    assert ISO_RE.match(k["retired_at"]) and k["published"] is False, k
    r = admin.get("/audit", params={"_max_per_page": "1000"})
    retired = [e for e in r.json()["items"] if e["event"] == "keys.retired"]
    assert [e["subject"] for e in retired] == [old_kid], retired
    assert retired[0]["actor"] != "cli" and retired[0]["actor"], retired

    # the CLI retires on the running server's data dir: the server stops within a second
    newer = rotate_api(fresh)
    cli_ok(cli_retire(fresh, new["kid"]))
    wait_until(lambda: verify(fresh.base, after).status_code == 401, timeout=3)
    assert_refused(fresh.base, after)
    assert new["kid"] not in jwks_kids(fresh.base)
    assert kid_of(token(fresh, acct, access)) == newer["kid"]


# ---------------------------------------------------------------- lifetime


def test_superseded_keys_live_as_long_as_their_tokens(fresh):
    """Key A signs a token that does not expire, key B only a 1-second token, on a server
    reserving RESERVE seconds ahead. After two rotations B leaves the JWKS 10 s after its
    reservation ran out; A stays (with a warning at each rotation) until it is retired."""
    acct, access = new_access(fresh)
    forever = token(fresh, acct, access, expires_in=0)
    kid_a = kid_of(forever)
    # recorded before the token was answered: the CLI reads only the store
    assert cli_keys(fresh)[kid_a]["signed_non_expiring"] is True

    b = rotate_api(fresh)
    warned = [w for w in b["warnings"] if kid_a in w]
    assert len(warned) == 1 and "retire" in warned[0], b["warnings"]
    short = token(fresh, acct, access, expires_in=1)
    assert kid_of(short) == b["kid"]

    cp = cli(fresh, "keys", "rotate")
    c = json.loads(cli_ok(cp))
    assert kid_a in cp.stderr and "warning" in cp.stderr, cp.stderr
    assert b["kid"] not in cp.stderr, cp.stderr  # B signed nothing that lasts
    # once the server signs with C, no one raises B's reservation any more
    wait_until(lambda: kid_of(token(fresh, acct, access, expires_in=1)) == c["kid"], timeout=5)

    kb = api_keys(fresh)[b["kid"]]
    assert kb["published"] and not kb["current"] and not kb["signed_non_expiring"], kb
    rotated, reserved = epoch(kb["rotated_at"]), epoch(kb["max_exp"])
    exp = helpers.jwt_decode(short)[1]["exp"]
    assert exp <= reserved <= rotated + 2 * RESERVE + 2, kb  # covers its token, no more
    until = epoch(kb["verifies_until"])
    assert until == max(rotated, reserved) + 10, kb

    _, waited = wait_until(lambda: b["kid"] not in jwks_kids(fresh.base), timeout=25,
                           step=0.2)
    gone_at = time.time()
    assert gone_at >= until - 1, (gone_at, until)  # not before its time
    assert gone_at <= until + 3, (gone_at, until)  # and at most a refresh later
    assert_refused(fresh.base, short)
    assert kid_a in jwks_kids(fresh.base)
    assert_valid(fresh.base, forever)
    ka = api_keys(fresh)[kid_a]
    assert ka["published"] and ka["signed_non_expiring"] and ka["verifies_until"] is None, ka
    assert api_keys(fresh)[b["kid"]]["published"] is False

    # only retiring A ends its tokens
    assert fresh.admin().delete("/keys/%s" % kid_a).status_code == 204
    assert_refused(fresh.base, forever)
    assert kid_a not in jwks_kids(fresh.base)


def test_reservation_covers_each_token_before_it_is_answered(fresh):
    """max_exp in the store (the CLI reads nothing else) covers every token the moment it is
    answered: short ones through the reservation kept ahead, longer ones through a write
    made before signing; and the old key verifies until then (plus the grace) after a
    rotation. The first token without exp sets the flag before it is answered."""
    acct, access = new_access(fresh)
    latest = 0
    for expires_in in (1, RESERVE, 60, 3600, 30):
        tok = token(fresh, acct, access, expires_in=expires_in)
        exp = helpers.jwt_decode(tok)[1]["exp"]
        latest = max(latest, exp)
        k = cli_keys(fresh)[kid_of(tok)]
        assert epoch(k["max_exp"]) >= exp and not k["signed_non_expiring"], (expires_in, k)
    new = rotate_api(fresh)
    old = api_keys(fresh)[kid_of(tok)]
    assert old["published"] and not old["current"], old
    assert epoch(old["verifies_until"]) >= latest + 10, (latest, old)
    forever = token(fresh, acct, access, expires_in=0)
    assert kid_of(forever) == new["kid"]
    assert cli_keys(fresh)[new["kid"]]["signed_non_expiring"] is True


# ---------------------------------------------------------------- crashes


CRASH_CASES = [(alg, expires_in) for alg in ("EdDSA", "ES256") for expires_in in (3600, 0)]


def test_a_killed_server_loses_nothing_its_keys_signed():
    """The reviewer's repro, for both algorithms, with a 1-hour token and with one that does
    not expire: issue, SIGKILL within a second, `keys rotate` with the CLI, restart. The
    token must still verify after the old key's 10 s of grace, since the store knew how long
    its key had to live before the token was answered."""
    runs = []
    try:
        for alg, expires_in in CRASH_CASES:
            srv = make_server("keys-crash-%s-%d" % (alg, expires_in), ["--signing-alg", alg])
            runs.append([srv, None, None])
        for run, (alg, expires_in) in zip(runs, CRASH_CASES):
            srv = run[0]
            acct, access = new_access(srv)
            run[1] = token(srv, acct, access, expires_in=expires_in)
            srv.stop(signal.SIGKILL)
            rotated = json.loads(cli_ok(cli(srv, "keys", "rotate", "--alg", alg)))
            assert rotated["kid"] != kid_of(run[1]), rotated
            run[2] = time.monotonic()
            srv.start()
            assert_valid(srv.base, run[1])
        time.sleep(max(0.0, runs[-1][2] + 10 + 3 - time.monotonic()))
        for (srv, tok, _), (alg, expires_in) in zip(runs, CRASH_CASES):
            r = verify(srv.base, tok)
            assert r.status_code == 200, (alg, expires_in, r.status_code, r.text,
                                          cli_keys(srv).get(kid_of(tok)))
            assert kid_of(tok) in jwks_kids(srv.base), (alg, expires_in)
            k = cli_keys(srv)[kid_of(tok)]
            assert k["published"] and not k["current"], k
            if expires_in:
                assert epoch(k["max_exp"]) >= helpers.jwt_decode(tok)[1]["exp"], k
            else:
                assert k["signed_non_expiring"] is True, k
    finally:
        for srv, _, _ in runs:
            srv.stop()
            srv.kill()


# ---------------------------------------------------------------- two instances, one store


@pytest.fixture(scope="module", params=["EdDSA", "ES256"])
def pair(request):
    """Two instances on one store, signing with the param's algorithm."""
    a = make_server("keys-pair-" + request.param, ["--signing-alg", request.param])
    b = second_instance(a)
    yield a, b, request.param
    for srv in (b, a):
        srv.stop()
        srv.kill()


def _jwks_clients(*servers):
    if jwt is None:
        pytest.fail("PyJWT is missing: install Debian's python3-jwt (scripts/install-deps.sh "
                    "does)", pytrace=False)
    return {srv.base: jwt.PyJWKClient(srv.base + "/.well-known/jwks.json", cache_keys=False)
            for srv in servers}


def _refusals(issuer, verifier, acct, access, alg, clients):
    """Issue a token on issuer; every way verifier can refuse it: GET /token, introspection
    with the admin key, /authorize, and PyJWT with the verifier's JWKS. Returns (kid, list
    of refusals)."""
    tok = token(issuer, acct, access, expires_in=600)
    bad = []
    r = verify(verifier.base, tok)
    if r.status_code != 200:
        bad.append("GET /token %d" % r.status_code)
    answer, gate = _elsewhere(verifier, tok)
    if answer.get("active") is not True:
        bad.append("introspection %s" % answer)
    if gate != 204:
        bad.append("/authorize %d" % gate)
    try:
        key = clients[verifier.base].get_signing_key_from_jwt(tok)
        jwt.decode(tok, key.key, algorithms=[alg], options={"verify_aud": False})
    except Exception as e:  # noqa: BLE001 - any failure of the offline verifier counts
        bad.append("PyJWT %s: %s" % (type(e).__name__, e))
    return kid_of(tok), bad


def _hammer(a, b, acct, access, alg, seconds, skip_kid=None):
    """Four threads issue on one instance and verify on the other, both ways, for
    seconds. Returns (kids seen, refusals of tokens not signed by skip_kid, count)."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    seen, refused, count = set(), [], [0]

    def worker(n):
        clients = _jwks_clients(a, b)  # fetched now: the sets they cache may go stale
        for srv in (a, b):
            clients[srv.base].get_jwk_set()
        i = 0
        while time.monotonic() < stop:
            issuer, verifier = (a, b) if (i + n) % 2 == 0 else (b, a)
            kid, bad = _refusals(issuer, verifier, acct, access, alg, clients)
            with lock:
                count[0] += 1
                seen.add(kid)
                if bad and kid != skip_kid:
                    refused.append((issuer.name, verifier.name, kid, bad))
            i += 1

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for f in [pool.submit(worker, n) for n in range(4)]:
            f.result()
    return seen, refused, count[0]


def test_a_key_made_on_one_instance_verifies_on_the_other_at_once(pair):
    """Rotate on A (admin API, then the CLI), retire the current key (each instance then
    makes a replacement): tokens issued on either instance verify on the other at once,
    every way, while the other has not looked at the store on its own yet (about once a
    second on SQLite)."""
    a, b, alg = pair
    acct, access = new_access(a)
    other_alg = "ES256" if alg == "EdDSA" else "EdDSA"

    # the admin API: A signs with the new key on its next request
    rotated = rotate_api(a, alg)
    seen, refused, n = _hammer(a, b, acct, access, alg, 1.5)
    assert not refused, (len(refused), n, refused[:5])
    assert rotated["kid"] in seen, (rotated, seen)

    # the CLI: A and B start signing with it when they look at the store
    rotated = json.loads(cli_ok(cli(a, "keys", "rotate", "--alg", alg)))
    seen, refused, n = _hammer(a, b, acct, access, alg, 2.0)
    assert not refused, (len(refused), n, refused[:5])
    assert rotated["kid"] in seen, (rotated, seen)

    # retiring the current key: A and B each make a replacement when they look at the store
    # (tokens still signed by the retired key are refused, rightly)
    kids_before = set(api_keys(a))
    cli_ok(cli_retire(a, rotated["kid"], "--signing-alg", other_alg))
    seen, refused, n = _hammer(a, b, acct, access, alg, 2.0, skip_kid=rotated["kid"])
    assert not refused, (len(refused), n, refused[:5])
    replacements = set(api_keys(a)) - kids_before
    assert replacements and seen & replacements, (seen, replacements)
    print("\n%s: %d tokens after the retirement, none refused by the other instance" % (alg, n))


def test_made_up_kids_are_refused_and_cheap(pair):
    """A burst of tokens naming kids no key has: every one refused, and the instance keeps
    answering real tokens meanwhile (the looks at the store they cause are rate-limited:
    the unit tests count them)."""
    a, b, alg = pair
    acct, access = new_access(a)
    real = token(a, acct, access)
    h, p = helpers.jwt_decode(real)
    sig = real.split(".")[2]
    t0 = time.monotonic()
    with requests.Session() as s:
        for i in range(300):
            fake = forge(dict(h, kid=b64(os.urandom(32))), p, sig)
            r = verify(b.base, fake, session=s)
            assert r.status_code == 401, (r.status_code, r.text)
            if i % 50 == 0:
                assert verify(b.base, real, session=s).status_code == 200
    took = time.monotonic() - t0
    print("\n300 made-up kids refused in %.2f s" % took)
    assert took < 10, took
    assert_valid_everywhere(b, real)


# ---------------------------------------------------------------- forgeries


def test_forged_tokens_are_refused(server):
    acct, access = new_access(server)
    real = token(server, acct, access)
    assert_valid(server.base, real)
    h, p = helpers.jwt_decode(real)
    sig = helpers.b64url_decode(real.split(".")[2])
    kid = h["kid"]
    jwk = [k for k in jwks(server.base)["keys"] if k["kid"] == kid][0]
    es = rotate_api(server, "ES256")  # an ES256 key the server publishes but does not sign with
    es_point = b"\x04" + helpers.b64url_decode(es["jwk"]["x"]) + helpers.b64url_decode(
        es["jwk"]["y"])

    forged = {
        "alg none, no signature": forge(dict(h, alg="none"), p),
        "alg none, real signature": forge(dict(h, alg="none"), p, sig),
        "unknown kid": forge(dict(h, kid="bm90LWEta2lk"), p, sig),
        "no kid": forge({"alg": "EdDSA", "typ": "at+jwt"}, p, sig),
        "ES256 header on an EdDSA signature": forge(dict(h, alg="ES256"), p, sig),
        "ES256 key named, EdDSA signature": forge(dict(h, alg="ES256", kid=es["kid"]), p, sig),
        "EdDSA header, ES256 kid": forge(dict(h, kid=es["kid"]), p, sig),
        "tampered claims": forge(h, dict(p, account="someone-else"), sig),
    }
    secrets = {
        "public key bytes": helpers.b64url_decode(jwk["x"]),
        "JWK x": jwk["x"].encode(),
        "JWK JSON": json.dumps(jwk).encode(),
        "ES256 point": es_point,
        "ES256 x": es["jwk"]["x"].encode(),
    }
    for name, secret in secrets.items():
        for k in (kid, es["kid"]):
            forged["HS256 with the %s (%s)" % (name, k[:6])] = hs256(dict(h, alg="HS256", kid=k),
                                                                     p, secret)
    for name, tok in forged.items():
        try:
            assert_refused_everywhere(server, tok)
        except AssertionError as e:
            raise AssertionError("%s: %s" % (name, e))
        r = verify(server.base, None, bearer=tok)
        assert r.status_code == 401, (name, r.status_code, r.text)
    assert_valid_everywhere(server, real)


# ---------------------------------------------------------------- restart


def test_keys_survive_a_restart(es_server):
    acct, access = new_access(es_server)
    t1 = token(es_server, acct, access)
    new = rotate_api(es_server)
    assert new["alg"] == "ES256", new
    t2 = token(es_server, acct, access)
    assert kid_of(t2) == new["kid"]
    kids = jwks_kids(es_server.base)
    listing = cli_keys(es_server)
    es_server.restart()
    assert jwks_kids(es_server.base) == kids
    assert_valid(es_server.base, t1)
    assert_valid(es_server.base, t2)
    t3 = token(es_server, acct, access)
    assert kid_of(t3) == new["kid"]  # the newest, not a new one
    again = cli_keys(es_server)
    assert set(again) == set(listing)
    for kid, k in listing.items():
        assert again[kid]["jwk"] == k["jwk"] and again[kid]["created_at"] == k["created_at"]
