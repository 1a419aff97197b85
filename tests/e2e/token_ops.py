# SPDX-License-Identifier: MIT
"""Calls to the endpoints about a token — introspection (RFC 7662), revocation (RFC 7009) —
and to the RFC 8414 metadata, as a plain RFC client makes them: form bodies, credentials in
HTTP Basic or in the body. Shared by test_introspect, test_revoke, test_metadata and
test_client_libraries."""

import requests

import helpers

INACTIVE = {"active": False}


def basic(access):
    """requests' HTTP Basic auth for an access dict (client_id, client_secret)."""
    return (access["client_id"], access["client_secret"])


def body_creds(access):
    return {"client_id": access["client_id"], "client_secret": access["client_secret"]}


def _post(url, token=None, *, auth=None, data=None, json_body=None, headers=None,
          hint=None):
    if json_body is None:
        data = dict(data or {})
        if token is not None:
            data["token"] = token
        if hint is not None:
            data["token_type_hint"] = hint
    return requests.post(url, data=data, json=json_body, auth=auth, headers=headers,
                         timeout=helpers.HTTP_TIMEOUT, allow_redirects=False)


def introspect(base, account, token=None, **kw):
    """POST /{account}/introspect; kw: auth, data, json_body, headers, hint."""
    return _post("%s/%s/introspect" % (base, account), token, **kw)


def revoke(base, account, token=None, **kw):
    """POST /{account}/revoke; kw as introspect()."""
    return _post("%s/%s/revoke" % (base, account), token, **kw)


def admin_bearer(key):
    return {"Authorization": "Bearer " + key}


def metadata(base, account):
    return requests.get("%s/.well-known/oauth-authorization-server/%s" % (base, account),
                        timeout=helpers.HTTP_TIMEOUT, allow_redirects=False)


def assert_inactive(r):
    """RFC 7662 §2.2: 200 and exactly {"active":false}, nothing else."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert helpers.is_json_ct(r), r.headers
    assert r.json() == INACTIVE, r.text


def assert_active(r):
    assert r.status_code == 200, (r.status_code, r.text)
    assert helpers.is_json_ct(r), r.headers
    helpers.assert_no_cache(r)
    d = r.json()
    assert d.get("active") is True, d
    return d

