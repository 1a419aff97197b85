# SPDX-License-Identifier: MIT
"""The panel's assets (SPEC §8, docs/panel.md): served from the binary under /admin/ (and
the page at /admin, never a redirect), with strong ETags and 304 on If-None-Match, the
security headers on every answer, and nothing that runs inline or comes from elsewhere."""

import hashlib
import re

import pytest
import requests

import helpers
from helpers import assert_json_error
from panel_ops import ASSETS, assert_panel_headers

TYPES = {"html": "text/html", "js": "text/javascript", "css": "text/css"}


def get(base, path, **kw):
    return requests.get(base + path, timeout=helpers.HTTP_TIMEOUT, allow_redirects=False, **kw)


def kind(path):
    return "html" if path in ("/admin", "/admin/") else path.rsplit(".", 1)[-1]


@pytest.mark.parametrize("path", ASSETS)
def test_asset_answers_with_type_headers_and_revalidation(base, path):
    r = get(base, path)
    assert r.status_code == 200, (path, r.status_code)
    assert r.headers["Content-Type"].split(";")[0] == TYPES[kind(path)], r.headers
    assert_panel_headers(r)
    # revalidated every time (ETag), not stored blindly, and not no-store
    assert r.headers.get("Cache-Control") == "no-cache", r.headers
    assert r.content


@pytest.mark.parametrize("path", ASSETS)
def test_head_has_the_same_headers_and_no_body(base, path):
    r = requests.head(base + path, timeout=helpers.HTTP_TIMEOUT, allow_redirects=False)
    assert r.status_code == 200 and r.content == b""
    assert_panel_headers(r)
    assert r.headers["ETag"] == get(base, path).headers["ETag"]


def test_the_page_is_answered_at_admin_without_a_redirect(base):
    a, b = get(base, "/admin"), get(base, "/admin/")
    assert a.status_code == b.status_code == 200
    assert a.content == b.content == get(base, "/admin/index.html").content
    assert b'<script src="/admin/panel.js"' in a.content


@pytest.mark.parametrize("path", ASSETS)
def test_etag_is_strong_and_is_the_sha256_of_the_content(base, path):
    r = get(base, path)
    etag = r.headers["ETag"]
    assert not etag.startswith("W/"), etag
    assert etag == '"%s"' % hashlib.sha256(r.content).hexdigest()


def test_assets_have_distinct_etags(base):
    tags = {get(base, p).headers["ETag"] for p in ("/admin/", "/admin/panel.js", "/admin/panel.css")}
    assert len(tags) == 3


@pytest.mark.parametrize("path", ASSETS)
def test_if_none_match_gives_304_with_the_headers_and_no_body(base, path):
    etag = get(base, path).headers["ETag"]
    for inm in (etag, "W/" + etag, '"nope", ' + etag, "*"):
        r = get(base, path, headers={"If-None-Match": inm})
        assert r.status_code == 304, (inm, r.status_code)
        assert r.content == b""
        assert r.headers["ETag"] == etag
        assert r.headers.get("Cache-Control") == "no-cache"
        assert_panel_headers(r)


def test_a_stale_etag_gets_the_content(base):
    for inm in ('"0000"', '"%s"' % ("0" * 64), "W/\"x\""):
        r = get(base, "/admin/panel.js", headers={"If-None-Match": inm})
        assert r.status_code == 200 and r.content, inm


@pytest.mark.parametrize("path", ["/admin/nope.js", "/admin/panel.js/", "/admin//",
                                  "/adminx", "/admin/web/panel.js", "/Admin/"])
def test_unknown_panel_paths_are_json_404(base, path):
    assert_json_error(get(base, path), 404)


def test_other_methods_on_assets_are_json_405(base):
    r = requests.post(base + "/admin/", data="x", timeout=helpers.HTTP_TIMEOUT,
                      allow_redirects=False)
    assert_json_error(r, 405)
    assert "GET" in r.headers.get("Allow", "")


# Every answer under /admin carries the panel's security headers, the router's and the
# server's own errors included, and the JSON API's answers too (docs/panel.md).
ERRORS_UNDER_ADMIN = [
    ("PUT", "/admin/session", None, 405),
    ("PATCH", "/admin/panel.js", None, 405),
    ("POST", "/admin/", "x", 405),
    ("DELETE", "/admin", None, 405),
    ("GET", "/admin/PANEL.JS", None, 404),
    ("GET", "/admin/nope.js", None, 404),
    ("HEAD", "/admin/nope.js", None, 404),
    ("GET", "/admin//", None, 404),
    ("GET", "/admin/?a=%00", None, 400),
    ("POST", "/admin/session", "{" + " " * 200000 + "}", 413),
    ("GET", "/admin/v1/nope", None, 404),
    ("GET", "/admin/v1/accounts", None, 401),
    ("PUT", "/admin/v1/accounts", "{}", 405),
    ("POST", "/admin/v1/accounts", "{" + " " * 200000 + "}", 413),
]


@pytest.mark.parametrize("method,path,body,status", ERRORS_UNDER_ADMIN,
                         ids=["%s %s %d" % (m, p, s) for m, p, _, s in ERRORS_UNDER_ADMIN])
def test_errors_under_admin_carry_the_security_headers(base, method, path, body, status):
    r = requests.request(method, base + path, data=body, timeout=helpers.HTTP_TIMEOUT,
                         allow_redirects=False)
    assert r.status_code == status, (r.status_code, r.text)
    assert_panel_headers(r)


def test_the_security_headers_stay_under_admin(base):
    for path in ("/adminx", "/healthz", "/Admin/"):
        r = get(base, path)
        assert "Content-Security-Policy" not in r.headers, (path, r.headers)


def test_the_page_runs_nothing_inline_and_loads_nothing_from_elsewhere(base):
    html = get(base, "/admin/").text
    # every <script> has a src of ours; no <style>, no style= or on…= attributes
    for tag in re.findall(r"<script\b[^>]*>", html, re.I):
        assert re.search(r'\bsrc="/admin/[^"]+"', tag), tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html, re.I), "inline script"
    assert not re.search(r"<style\b", html, re.I)
    assert not re.search(r"\sstyle\s*=", html, re.I)
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)
    for path in ("/admin/", "/admin/panel.js", "/admin/panel.css"):
        text = get(base, path).text
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), path
        assert "@import" not in text and "url(" not in text, path
    # what panel.js writes into the DOM goes through textContent, never innerHTML
    js = re.sub(r"^\s*//.*$", "", get(base, "/admin/panel.js").text, flags=re.M)
    assert not re.search(r"\.innerHTML|\beval\(|\b(local|session)Storage\s*[.\[]", js)
