# SPDX-License-Identifier: MIT
"""What the panel tests share (docs/panel.md): signing in at /admin/session, the headers
every panel answer carries, and Set-Cookie parsing. Written from docs/panel.md."""

import requests

import helpers

SESSION_PATH = "/admin/session"
COOKIE = "rcauth_session"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
ASSETS = ["/admin/", "/admin", "/admin/index.html", "/admin/panel.js", "/admin/panel.css"]


def sign_in(base, key, headers=None):
    """POST the admin key; returns (requests.Session holding the cookie, response)."""
    s = requests.Session()
    r = s.post(base + SESSION_PATH, json={"admin_key": key}, headers=headers or {},
               timeout=helpers.HTTP_TIMEOUT, allow_redirects=False)
    # session cookies and CSRF tokens are credentials too: no log line may hold one
    helpers.record_secret(s.cookies.get(COOKIE))
    if r.status_code == 201:
        helpers.record_secret(r.json().get("csrf_token"))
    return s, r


def signed_in(base, key):
    """A session that signed in: (requests.Session, csrf token)."""
    s, r = sign_in(base, key)
    assert r.status_code == 201, (r.status_code, r.text)
    return s, r.json()["csrf_token"]


def set_cookies(r):
    """The Set-Cookie headers of r, each as (name, value, {attribute lowercased: value})."""
    out = []
    raw = r.raw.headers.getlist("Set-Cookie") if hasattr(r.raw.headers, "getlist") else []
    for line in raw:
        parts = [p.strip() for p in line.split(";")]
        name, _, value = parts[0].partition("=")
        attrs = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip()
        out.append((name, value, attrs))
    return out


def session_cookie(r):
    """(value, attributes) of the one rcauth_session Set-Cookie of r."""
    found = [(v, a) for n, v, a in set_cookies(r) if n == COOKIE]
    assert len(found) == 1, (r.status_code, r.headers)
    return found[0]


def assert_panel_headers(r):
    h = r.headers
    assert h.get("Content-Security-Policy") == CSP, (r.url, h.get("Content-Security-Policy"))
    assert h.get("X-Content-Type-Options") == "nosniff", (r.url, dict(h))
    assert h.get("Referrer-Policy") == "no-referrer", (r.url, dict(h))


def api(s, method, base, path, csrf=None, origin=None, **kw):
    """An admin API call with the session's cookie (no Bearer key)."""
    headers = dict(kw.pop("headers", {}))
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    if origin is not None:
        headers["Origin"] = origin
    return s.request(method, base + "/admin/v1" + path, headers=headers,
                     timeout=helpers.HTTP_TIMEOUT, allow_redirects=False, **kw)
