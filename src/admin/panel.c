/* SPDX-License-Identifier: MIT */
/* The web panel's assets (SPEC §8): the files of web/, compiled into the binary by
 * scripts/embed.py, served under /admin/ with a strong ETag (the SHA-256 of the content)
 * and "Cache-Control: no-cache", so a browser revalidates each time and gets a 304 until
 * the binary changes. The page is also answered at /admin (no redirect anywhere, SPEC §12).
 * Every answer under /admin carries the panel's security headers. The session endpoints are in
 * panel_session.c; what the page calls is the admin API, authenticated by auth.c. */
#include <stdio.h>
#include <string.h>

#include "admin/admin_int.h"
#include "common/embedded.h"

#define ASSET_DIR "web/" /* embedded names are "web/<file>" */
#define PANEL_ROOT "/admin"
#define INDEX "index.html"
#define PATTERN_SIZE 256

/* No inline script or style anywhere in web/: everything comes from our own files. */
static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                          "base-uri 'none'; form-action 'self'";

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
};

/* The security headers of every answer under /admin (a router finisher, so that the
 * router's 404 and 405, the server's 400 and 413 and the admin API's JSON carry them too):
 * nothing runs or loads but our own files, no framing (clickjacking), no MIME sniffing (a
 * JSON answer holding an admin-chosen name is never taken for HTML), no Referer. */
static void panel_headers(void *appv, const struct http_request *req, struct http_response *res)
{
    (void)appv;
    (void)req;
    http_response_header(res, "Content-Security-Policy", csp);
    http_response_header(res, "X-Content-Type-Options", "nosniff");
    http_response_header(res, "Referrer-Policy", "no-referrer");
}

static const char *content_type(const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && strcmp(name + n - e, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

bool admin_etag_matches(const char *if_none_match, const char *etag)
{
    size_t elen = strlen(etag);

    for (const char *p = if_none_match ? if_none_match : ""; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        const char *tag = p;
        size_t tlen = n;
        while (tlen && (tag[tlen - 1] == ' ' || tag[tlen - 1] == '\t'))
            tlen--;
        if (tlen == 1 && tag[0] == '*')
            return true;
        if (tlen > 2 && strncmp(tag, "W/", 2) == 0) { /* weak comparison, §8.8.3.2 */
            tag += 2;
            tlen -= 2;
        }
        if (tlen == elen && memcmp(tag, etag, elen) == 0)
            return true;
        p += n;
    }
    return false;
}

/* The asset a registered path names; "/admin" and "/admin/" are the page. */
static const struct embedded_file *asset_of(const char *path)
{
    const char *file = path + strlen(PANEL_ROOT);

    file = *file == '/' ? file + 1 : file;
    if (!*file)
        file = INDEX;
    for (size_t i = 0; i < admin_panel_count; i++) {
        if (strcmp(admin_panel_files[i].name + strlen(ASSET_DIR), file) == 0)
            return &admin_panel_files[i];
    }
    return NULL;
}

static void asset_get(void *appv, const struct http_request *req, struct http_response *res)
{
    const struct embedded_file *f = asset_of(req->path);
    char etag[80];

    (void)appv;
    if (!f) {
        http_response_error(res, 404, "not_found", "no such endpoint");
        return;
    }
    snprintf(etag, sizeof(etag), "\"%s\"", f->sha256);
    http_response_header(res, "ETag", etag);
    http_response_header(res, "Cache-Control", "no-cache");
    res->content_type = content_type(f->name);
    /* RFC 9110 §13.1.2: a match means 304, without a body. */
    if (admin_etag_matches(http_header(req, "If-None-Match"), etag)) {
        res->status = 304;
        return;
    }
    if (buf_append(&res->body, f->data, f->len)) {
        http_response_error(res, 500, "server_error", "asset too large");
        return;
    }
    res->status = 200;
}

void admin_panel_register(struct http_router *rt)
{
    char pattern[PATTERN_SIZE];

    http_router_add(rt, "GET", PANEL_ROOT, asset_get);
    http_router_add(rt, "GET", PANEL_ROOT "/", asset_get);
    for (size_t i = 0; i < admin_panel_count; i++) {
        snprintf(pattern, sizeof(pattern), PANEL_ROOT "/%s",
                 admin_panel_files[i].name + strlen(ASSET_DIR));
        http_router_add(rt, "GET", pattern, asset_get);
    }
    admin_routes_panel_session(rt);
    http_router_add_finisher(rt, PANEL_ROOT, panel_headers);
}
