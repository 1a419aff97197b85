/* SPDX-License-Identifier: MIT */
/* What every admin handler needs between HTTP and the service layer: JSON bodies (parsed
 * with jansson, any Content-Type, unknown members ignored), typed members with errors
 * naming the field, query parameters of lists, and replies (docs/admin-api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "oauth/errors.h"
#include "common/xmalloc.h"

#define MSG_SIZE 256

void admin_reply_invalid(struct http_response *res, const char *msg)
{
    http_response_error(res, 400, "invalid_request", msg);
}

void admin_reply_rc(struct http_response *res, int rc, const char *msg)
{
    switch (rc) {
    case RC_EINVAL:
        admin_reply_invalid(res, msg);
        break;
    case RC_ENOTFOUND:
        http_response_error(res, 404, "not_found", msg);
        break;
    case RC_ECONFLICT:
        http_response_error(res, 409, "conflict", msg);
        break;
    default:
        oauth_store_error_respond(res, rc, msg && *msg ? msg : "internal error");
        break;
    }
}

void admin_reply_json(struct http_response *res, int status, const struct jsonw *w)
{
    if (jsonw_finish(w)) {
        http_response_error(res, 500, "server_error", "response too large");
        return;
    }
    res->status = status;
}

static bool invalid_field(struct http_response *res, const char *field, const char *why)
{
    char msg[MSG_SIZE];
    snprintf(msg, sizeof(msg), "%s: %s", field, why);
    admin_reply_invalid(res, msg);
    return false;
}

bool admin_body_object(const struct http_request *req, struct http_response *res, bool empty_ok,
                       json_t **out)
{
    json_error_t jerr;
    size_t i = 0;
    *out = NULL;
    while (i < req->body_len && strchr(" \t\r\n", req->body[i]))
        i++;
    if (i == req->body_len && empty_ok) {
        *out = json_object();
        return true;
    }
    *out = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out) {
        /* jansson's words say what is wrong (duplicate key, invalid UTF-8, nesting too
         * deep…); its "near '…'" quotes the body, which may hold a key (panel sign-in): cut */
        char *near = strstr(jerr.text, " near ");
        if (near)
            *near = '\0';
        char why[200];
        snprintf(why, sizeof(why), "is not valid JSON: %s (at character %d)", jerr.text,
                 jerr.position);
        return invalid_field(res, "body", why);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return invalid_field(res, "body", "must be a JSON object");
    }
    return true;
}

bool admin_field_string(json_t *obj, const char *field, bool required, struct http_response *res,
                        const char **out)
{
    json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return invalid_field(res, field, "is required");
        return true;
    }
    if (!json_is_string(v))
        return invalid_field(res, field, "must be a string");
    *out = json_string_value(v);
    return true;
}

bool admin_field_bool(json_t *obj, const char *field, struct http_response *res, bool *out)
{
    json_t *v = json_object_get(obj, field);
    *out = false;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v))
        return invalid_field(res, field, "must be true or false");
    *out = json_is_true(v);
    return true;
}

bool admin_field_strings(json_t *obj, const char *field, bool required, struct http_response *res,
                         const char ***out, size_t *n)
{
    json_t *v = json_object_get(obj, field), *item;
    size_t i;
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) {
        if (required)
            return invalid_field(res, field, "is required");
        return true;
    }
    if (!json_is_array(v))
        return invalid_field(res, field, "must be an array of strings");
    if (json_array_size(v) > ADMIN_MAX_LIST_ITEMS)
        return invalid_field(res, field, "too many items");
    *out = xcalloc(json_array_size(v) + 1, sizeof(**out));
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item)) {
            free(*out);
            *out = NULL;
            return invalid_field(res, field, "must be an array of strings");
        }
        (*out)[i] = json_string_value(item);
    }
    *n = json_array_size(v);
    return true;
}

bool admin_page_from_request(const struct http_request *req, struct http_response *res,
                             struct admin_page *out)
{
    char msg[MSG_SIZE];
    int np = 0, nm = 0;
    const char *page = http_query(req, "_page", &np);
    const char *per = http_query(req, "_max_per_page", &nm);
    if (admin_page_parse(page, np, per, nm, out, msg, sizeof(msg))) {
        admin_reply_invalid(res, msg);
        return false;
    }
    return true;
}

bool admin_account_from_path(struct app *app, const struct http_request *req, int i,
                             struct http_response *res, struct store_account *out)
{
    char msg[MSG_SIZE];
    int rc = admin_account_get(app, req->params[i], out, msg, sizeof(msg));
    if (rc) {
        admin_reply_rc(res, rc, msg);
        return false;
    }
    return true;
}

void admin_list_begin(struct jsonw *w, struct http_response *res)
{
    buf_reset(&res->body);
    jsonw_init(w, &res->body);
    jsonw_object_begin(w);
    jsonw_key(w, "items");
    jsonw_array_begin(w);
}

void admin_list_end(struct jsonw *w, struct http_response *res, int64_t total)
{
    jsonw_array_end(w);
    jsonw_kv_int(w, "total_count", total);
    jsonw_object_end(w);
    admin_reply_json(res, 200, w);
}
