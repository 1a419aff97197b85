# SPDX-License-Identifier: MIT
"""Acceptance 11: the command line (SPEC §11, docs/cli.md) against the running server's
data dir — account/env/access/admin-key management, token request/verify, exit codes
0/1/2 and one-line error messages on stderr."""

import json
import time
import uuid

import pytest

import helpers
from conftest import make_server
from helpers import assert_json_error, assert_token_error, run_cli, verify


def ok(cp):
    assert cp.returncode == 0, (cp.args, cp.returncode, cp.stdout, cp.stderr)
    return cp.stdout


def one_json(cp):
    out = ok(cp).strip()
    assert out, cp
    return json.loads(out)


def json_lines(cp):
    return [json.loads(line) for line in ok(cp).splitlines() if line.strip()]


def assert_fails(cp, code):
    assert cp.returncode == code, (cp.args, cp.returncode, cp.stdout, cp.stderr)
    lines = [line for line in cp.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, "want one line on stderr, got %r" % cp.stderr
    assert lines[0].startswith("rcauth: "), lines[0]
    return lines[0]


def wait_status(fn, want, timeout=1.5):
    """Poll fn() (a Response) until its status is want; return (response, seconds)."""
    t0 = time.monotonic()
    while True:
        r = fn()
        if r.status_code == want or time.monotonic() - t0 > timeout:
            return r, time.monotonic() - t0
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cli(server):
    def run(*args, env=None):
        return run_cli(list(args), data_dir=server.data_dir, env=env)
    return run


@pytest.fixture(scope="module")
def flow(server, cli):
    acct = one_json(cli("account", "create", "--name", "CLI Corp"))
    env = one_json(cli("env", "create", "--account", acct["id"], "--name", "production", "--main"))
    access = one_json(cli("access", "create", "--account", acct["id"], "--name", "cli access",
                          "--actions", "flag.list campaign.read", "--env", env["id"]))
    helpers.record_secret(access.get("client_secret"))
    return dict(acct=acct, env=env, access=access)


# ---------------------------------------------------------------- exit codes


@pytest.mark.parametrize("args", [
    ["--help"], ["serve", "--help"], ["migrate", "--help"], ["admin-key", "--help"],
    ["admin-key", "create", "--help"], ["admin-key", "list", "--help"],
    ["account", "create", "--help"], ["env", "create", "--help"], ["access", "--help"],
    ["access", "create", "--help"], ["access", "revoke", "--help"], ["keys", "rotate", "--help"],
    ["token", "request", "--help"], ["token", "verify", "--help"],
], ids=lambda a: " ".join(a))
def test_help_exits_0(args):
    cp = run_cli(args)
    assert cp.returncode == 0, (args, cp.returncode, cp.stderr)
    assert (cp.stdout + cp.stderr).strip(), "no help text for %r" % args


@pytest.mark.parametrize("args", [["frobnicate"], ["access", "frobnicate"], ["admin-key", "nope"],
                                  ["token", "mint"]], ids=lambda a: " ".join(a))
def test_unknown_subcommand_exits_2(args):
    assert_fails(run_cli(args), 2)


@pytest.mark.parametrize("args", [
    ["account", "create", "--bogus-flag", "x"],
    ["access", "create", "--account", "abc"],
    ["access", "create", "--account", "abc", "--name", "x"],
    ["access", "show"],
    ["access", "revoke"],
    ["serve", "--recheck-interval", "0"],
    ["serve", "--recheck-interval", "soon"],
    ["serve", "--public-url", "auth.example.com"],
    ["serve", "--public-url", "https://auth.example.com/?x=1"],
    ["serve", "--public-url", "https://auth.example.com/#top"],
    ["serve", "--public-url", "http://"],
    ["env", "create", "--name", "x"],
    ["token", "verify"],
    ["token", "request", "--account", "a", "--client-id", "b", "--client-secret", "c"],
    ["token", "request", "--url", "http://127.0.0.1:9", "--account", "a", "--client-id", "b",
     "--client-secret", "c", "--expires-in", "soon"],
], ids=lambda a: " ".join(a))
def test_usage_errors_exit_2(server, args):
    env = None
    if args[0] != "token":
        args = args + ["--data", server.data_dir]
    assert_fails(run_cli(args, env=env), 2)


def test_revoke_unknown_access_exits_1(cli):
    assert_fails(cli("access", "revoke", str(uuid.uuid4())), 1)


def test_show_unknown_access_exits_1(cli):
    assert_fails(cli("access", "show", str(uuid.uuid4())), 1)


def test_rotate_unknown_access_exits_1(cli):
    assert_fails(cli("access", "rotate-secret", str(uuid.uuid4())), 1)


def test_revoke_unknown_admin_key_exits_1(cli):
    assert_fails(cli("admin-key", "revoke", "no-such-key-id"), 1)


def test_env_for_unknown_account_exits_1(cli):
    assert_fails(cli("env", "create", "--account", "nosuchaccount", "--name", "x"), 1)


def test_access_create_unknown_action_fails(cli, flow):
    cp = cli("access", "create", "--account", flow["acct"]["id"], "--name", "x",
             "--actions", "campaign.read nope.nope")
    assert cp.returncode in (1, 2), cp
    line = assert_fails(cp, cp.returncode)
    assert "nope.nope" in line or "action" in line, line


def test_token_request_wrong_secret_exits_1(server):
    cp = run_cli(["token", "request", "--url", server.base, "--account", "whatever",
                  "--client-id", str(uuid.uuid4()), "--client-secret", "0" * 64])
    assert_fails(cp, 1)


def test_token_verify_bad_token_exits_1(server):
    assert_fails(run_cli(["token", "verify", "--url", server.base, "not.a.token"]), 1)


def test_token_verify_unreachable_server_does_not_print_the_token(server, flow):
    d = helpers.get_token(server.base, flow["acct"]["id"], flow["access"])
    helpers.record_token_answer(d)
    port = helpers.free_port()
    cp = run_cli(["token", "verify", "--url", "http://127.0.0.1:%d" % port, d["access_token"]])
    line = assert_fails(cp, 1)
    assert d["access_token"] not in line and d["access_token"][-20:] not in line, line
    assert "127.0.0.1:%d/token" % port in line, line


def test_token_request_unreachable_server_exits_1():
    port = helpers.free_port()
    cp = run_cli(["token", "request", "--url", "http://127.0.0.1:%d" % port, "--account", "a",
                  "--client-id", str(uuid.uuid4()), "--client-secret", "0" * 64])
    assert_fails(cp, 1)


# ---------------------------------------------------------------- accounts, envs, accesses


def test_account_and_env_json(flow, cli):
    acct, env = flow["acct"], flow["env"]
    assert helpers.XID_RE.match(acct["id"]) and acct["name"] == "CLI Corp", acct
    assert env["is_main"] is True and env["account_id"] == acct["id"] and env["name"] == "production"
    assert any(a["id"] == acct["id"] for a in json_lines(cli("account", "list")))
    assert [e["id"] for e in json_lines(cli("env", "list", "--account", acct["id"]))] == [env["id"]]


def test_account_create_with_id(cli):
    given = "cli-" + uuid.uuid4().hex[:8]
    a = one_json(cli("account", "create", "--name", "mirror", "--id", given))
    assert a["id"] == given


def test_access_create_json(flow):
    a = flow["access"]
    assert helpers.UUID4_RE.match(a["client_id"]), a
    assert helpers.SECRET_RE.match(a["client_secret"]), a
    assert a["actions"] == ["campaign.read", "flag.list"], a
    assert a["environments"] == [flow["env"]["id"]], a
    assert a["account_id"] == flow["acct"]["id"] and a["name"] == "cli access", a


def test_cli_access_works_on_running_server(server, flow):
    d = helpers.get_token(server.base, flow["acct"]["id"], flow["access"])
    assert d["scope"] == "campaign.read flag.list env:" + flow["env"]["id"], d


def test_access_list_and_show_never_print_secret(flow, cli):
    a = flow["access"]
    items = json_lines(cli("access", "list", "--account", flow["acct"]["id"]))
    assert [x["client_id"] for x in items] == [a["client_id"]], items
    shown = one_json(cli("access", "show", a["client_id"]))
    assert shown["client_id"] == a["client_id"] and shown["name"] == "cli access", shown
    for out in (json.dumps(items), json.dumps(shown)):
        assert "client_secret" not in out and a["client_secret"] not in out


def test_data_dir_from_environment(server, flow):
    cp = run_cli(["account", "list"], env=helpers.store_env(server.data_dir))
    assert any(a["id"] == flow["acct"]["id"] for a in json_lines(cp))


# ---------------------------------------------------------------- token request / verify


def test_token_request_prints_token_alone(server, flow):
    a = flow["access"]
    cp = run_cli(["token", "request", "--url", server.base, "--account", flow["acct"]["id"],
                  "--client-id", a["client_id"], "--client-secret", a["client_secret"]])
    tok = ok(cp).strip()
    helpers.record_secret(tok)
    assert "\n" not in tok and helpers.JWT_RE.match(tok), cp.stdout
    v = verify(server.base, tok)
    assert v.status_code == 200 and v.json()["client_id"] == a["client_id"], v.text
    assert v.json()["expires_in"] == 0


def test_token_request_json_scope_expiry_and_env_secret(server, flow):
    a = flow["access"]
    cp = run_cli(["token", "request", "--url", server.base, "--account", flow["acct"]["id"],
                  "--client-id", a["client_id"], "--expires-in", "1800", "--scope", "flag.list",
                  "--json"], env={"RCAUTH_CLIENT_SECRET": a["client_secret"]})
    d = one_json(cp)
    helpers.record_token_answer(d)
    assert d["expires_in"] == 1800, d
    assert d["scope"] == "flag.list env:" + flow["env"]["id"], d
    assert d["token_type"] == "Bearer" and d["access_token"], d


def test_token_verify(server, flow):
    a = flow["access"]
    tok = helpers.get_token(server.base, flow["acct"]["id"], a, expires_in=1800)["access_token"]
    v = one_json(run_cli(["token", "verify", "--url", server.base, tok]))
    assert v["client_id"] == a["client_id"] and v["account"] == flow["acct"]["id"], v
    assert 0 < v["expires_in"] <= 1800 and v["active"] is True, v


# ---------------------------------------------------------------- rotate, revoke


def test_rotate_secret(server, cli, flow):
    acct = flow["acct"]
    a = one_json(cli("access", "create", "--account", acct["id"], "--name", "to-rotate",
                     "--actions", "goal.list"))
    helpers.record_secret(a["client_secret"])
    rot = one_json(cli("access", "rotate-secret", a["client_id"]))
    helpers.record_secret(rot.get("client_secret"))
    assert helpers.SECRET_RE.match(rot["client_secret"]) and rot["client_secret"] != a["client_secret"]
    r, _ = wait_status(lambda: helpers.token_request(server.base, acct["id"], a["client_id"],
                                                     a["client_secret"]), 401)
    assert_token_error(r, 401, "invalid_client")
    helpers.get_token(server.base, acct["id"], {"client_id": a["client_id"],
                                                "client_secret": rot["client_secret"]})


def test_revoke_takes_effect_on_running_server(server, cli, flow):
    acct = flow["acct"]
    a = one_json(cli("access", "create", "--account", acct["id"], "--name", "to-revoke",
                     "--actions", "goal.list"))
    helpers.record_secret(a["client_secret"])
    d = helpers.get_token(server.base, acct["id"], a)
    assert verify(server.base, d["access_token"]).status_code == 200
    ok(cli("access", "revoke", a["client_id"]))
    r, took = wait_status(lambda: verify(server.base, d["access_token"]), 401)
    assert_json_error(r, 401, "invalid_token")
    assert took < 1.0, "revocation by the CLI took %.2f s to reach the server" % took
    assert_token_error(helpers.token_request(server.base, acct["id"], a["client_id"],
                                             a["client_secret"]), 401, "invalid_client")
    listed = json_lines(cli("access", "list", "--account", acct["id"]))
    assert a["client_id"] not in [x["client_id"] for x in listed]
    listed = json_lines(cli("access", "list", "--account", acct["id"], "--include-revoked"))
    gone = [x for x in listed if x["client_id"] == a["client_id"]]
    assert gone and gone[0]["revoked_at"], listed
    # revoking again is fine
    ok(cli("access", "revoke", a["client_id"]))


def test_admin_revoke_after_cli_revoke_takes_effect_at_once():
    """The CLI revoked the access (another process); the admin API's revoke of the same
    access answers 204 and, from then on, the server refuses its tokens, without waiting
    for its periodic re-check (a minute here, so that only the API's revoke can do it)."""
    srv = make_server("cli-twice", extra_args=["--recheck-interval", "60"])
    try:
        admin = srv.admin()
        acct = admin.create_account()
        a = admin.create_access(acct["id"], actions=["goal.list"])
        d = helpers.get_token(srv.base, acct["id"], a)
        assert verify(srv.base, d["access_token"]).status_code == 200  # cached now
        ok(run_cli(["access", "revoke", a["client_id"]], data_dir=srv.data_dir))
        admin.revoke(acct["id"], a["client_id"])
        assert_json_error(verify(srv.base, d["access_token"]), 401, "invalid_token")
    finally:
        srv.stop()


# ---------------------------------------------------------------- admin keys, signing keys


def test_admin_key_list_create_revoke(server, cli):
    key = ok(cli("admin-key", "create", "--name", "second")).strip()
    helpers.record_secret(key)
    assert key and "\n" not in key
    r = server.admin(key).get("/accounts")
    assert r.status_code == 200, r.text
    keys = json_lines(cli("admin-key", "list"))
    names = {k["name"]: k for k in keys}
    assert "test" in names and "second" in names, keys
    for k in keys:
        for f in ("id", "name", "created_at", "last_used_at", "revoked_at"):
            assert f in k, k
    listing = json.dumps(keys)
    assert key not in listing and server.admin_key not in listing
    ok(cli("admin-key", "revoke", names["second"]["id"]))
    r, _ = wait_status(lambda: server.admin(key).get("/accounts"), 401)
    assert_json_error(r, 401, "invalid_token")
    assert server.admin().get("/accounts").status_code == 200  # the other key still works
    again = {k["name"]: k for k in json_lines(cli("admin-key", "list"))}
    assert again["second"]["revoked_at"], again


def test_keys_list(server, cli):
    keys = json_lines(cli("keys", "list"))
    assert keys and all("kid" in k and k.get("alg") in ("EdDSA", "ES256") for k in keys), keys
    for k in keys:
        jwk = k["jwk"] if isinstance(k.get("jwk"), dict) else k
        assert "d" not in jwk and "d" not in k, k
