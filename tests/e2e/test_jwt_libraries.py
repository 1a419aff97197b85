# SPDX-License-Identifier: MIT
"""A JWT library nobody here wrote verifies rcauth tokens offline, with keys fetched from
the server's JWKS (SPEC §4, §7; issue 3 acceptance): Debian's python3-jwt (PyJWT, with
python3-cryptography for EdDSA and ES256), through PyJWKClient on /.well-known/jwks.json,
algorithms pinned, iss and exp checked, typ at+jwt in the header. It must refuse a tampered
token, a token of the other algorithm than the one pinned, and an expired one. A missing
package is a failure, never a skip: scripts/install-deps.sh installs both."""

import json
import time

import pytest
import requests

import helpers
from conftest import make_server

try:
    import jwt
    import jwt.api_jwt
    from jwt import algorithms as jwt_algorithms
except ImportError as e:  # pragma: no cover - the failure below says what to install
    jwt = None
    IMPORT_ERROR = str(e)


def library():
    if jwt is None:
        pytest.fail("PyJWT is missing (%s): install Debian's python3-jwt "
                    "(scripts/install-deps.sh does)" % IMPORT_ERROR, pytrace=False)
    if not jwt_algorithms.has_crypto:
        pytest.fail("PyJWT cannot do EdDSA/ES256 without python3-cryptography: install it "
                    "(scripts/install-deps.sh does)", pytrace=False)
    return jwt


@pytest.fixture(scope="module")
def es_server():
    srv = make_server("jwtlib-es256", ["--signing-alg", "ES256"])
    yield srv
    srv.stop()
    srv.kill()


@pytest.fixture(params=["EdDSA", "ES256"])
def signer(request, server, es_server):
    """(server, alg): the default server signs EdDSA, the other ES256."""
    return (server if request.param == "EdDSA" else es_server), request.param


def issue(srv, expires_in=600):
    admin = srv.admin()
    acct = admin.create_account()
    access = admin.create_access(acct["id"], actions=["campaign.read", "flag.list"])
    tok = helpers.get_token(srv.base, acct["id"], access, expires_in=expires_in)["access_token"]
    return acct, access, tok


def decode(lib, srv, tok, alg, issuer):
    """Verify tok as a resource server would: key by kid from the JWKS, alg pinned."""
    client = lib.PyJWKClient(srv.base + "/.well-known/jwks.json")
    key = client.get_signing_key_from_jwt(tok)
    return lib.api_jwt.decode_complete(tok, key.key, algorithms=[alg], issuer=issuer,
                                       options={"require": ["iss", "exp", "iat", "sub"]})


def test_pyjwt_verifies_rcauth_tokens(signer):
    lib = library()
    srv, alg = signer
    acct, access, tok = issue(srv)
    issuer = srv.base + "/" + acct["id"]
    full = decode(lib, srv, tok, alg, issuer)
    assert full["header"]["typ"] == "at+jwt", full["header"]
    assert full["header"]["alg"] == alg, full["header"]
    claims = full["payload"]
    assert claims["iss"] == issuer and claims["account"] == acct["id"], claims
    assert claims["client_id"] == access["client_id"] == claims["sub"], claims
    assert claims["scope"] == "campaign.read flag.list env:*", claims
    assert 590 <= claims["exp"] - time.time() <= 601, claims

    # a wrong issuer, the other algorithm pinned, a tampered payload or signature: refused
    with pytest.raises(lib.InvalidIssuerError):
        decode(lib, srv, tok, alg, srv.base + "/someone-else")
    other = "ES256" if alg == "EdDSA" else "EdDSA"
    with pytest.raises(lib.InvalidAlgorithmError):
        decode(lib, srv, tok, other, issuer)
    h, p, s = tok.split(".")
    evil = dict(claims, account="root")
    evil_p = helpers.b64url_encode(json.dumps(evil, separators=(",", ":")).encode())
    with pytest.raises(lib.InvalidSignatureError):
        decode(lib, srv, "%s.%s.%s" % (h, evil_p, s), alg, issuer)
    sig = bytearray(helpers.b64url_decode(s))
    sig[5] ^= 1
    with pytest.raises(lib.InvalidSignatureError):
        decode(lib, srv, "%s.%s.%s" % (h, p, helpers.b64url_encode(bytes(sig))), alg, issuer)


def test_pyjwt_reads_every_published_key(signer):
    lib = library()
    srv, alg = signer
    doc = requests.get(srv.base + "/.well-known/jwks.json", timeout=helpers.HTTP_TIMEOUT).json()
    keys = lib.PyJWKSet.from_dict(doc).keys
    assert [k.key_id for k in keys] == [k["kid"] for k in doc["keys"]] and keys, doc
    kind = {"EdDSA": jwt_algorithms.OKPAlgorithm, "ES256": jwt_algorithms.ECAlgorithm}[alg]
    assert any(isinstance(k.Algorithm, kind) for k in keys), doc
    assert all(k.public_key_use == "sig" for k in keys), doc


def test_pyjwt_refuses_an_expired_token(signer):
    lib = library()
    srv, alg = signer
    acct, _, tok = issue(srv, expires_in=1)
    time.sleep(2.1)
    with pytest.raises(lib.ExpiredSignatureError):
        decode(lib, srv, tok, alg, srv.base + "/" + acct["id"])


def test_pyjwt_after_rotation(signer):
    """Tokens signed before and after a rotation both verify offline: the client refetches
    the JWKS when it meets the new kid."""
    lib = library()
    srv, alg = signer
    acct, access, before = issue(srv)
    client = lib.PyJWKClient(srv.base + "/.well-known/jwks.json")
    client.get_signing_key_from_jwt(before)  # the set is now cached in the client
    r = srv.admin().post("/keys/rotate", {"alg": alg})
    assert r.status_code == 200, r.text
    after = helpers.get_token(srv.base, acct["id"], access, expires_in=600)["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == r.json()["kid"]
    issuer = srv.base + "/" + acct["id"]
    for tok in (before, after):
        key = client.get_signing_key_from_jwt(tok)
        claims = lib.decode(tok, key.key, algorithms=[alg], issuer=issuer)
        assert claims["client_id"] == access["client_id"]
