/* SPDX-License-Identifier: MIT */
/* `rcauth token request|verify`: a small HTTP client (libcurl) of a running server, for
 * scripts and for trying things out. request speaks the wire-compatible token endpoint
 * (SPEC §2) with a JSON body; verify calls GET /token (SPEC §3). */
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"

#define ANSWER_MAX (1024 * 1024)
#define URL_MAX 8192
#define TIMEOUT_S 30L

static const char usage[] =
    "usage: rcauth token request --url BASE_URL --account ACCOUNT_ID --client-id ID\n"
    "                            [--client-secret S] [--expires-in N] [--scope \"...\"]\n"
    "                            [--json]\n"
    "       rcauth token verify --url BASE_URL TOKEN\n"
    "\n"
    "request prints the access token alone (the whole JSON answer with --json); the secret\n"
    "comes from --client-secret or the RCAUTH_CLIENT_SECRET variable.\n"
    "verify prints the verification answer; an invalid token exits 1.\n";

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    return buf_append(ctx, data, size * n) ? 0 : size * n;
}

/* GET (body NULL) or POST a JSON body to url; the answer into answer, status into *status. */
static int fetch(const char *url, const char *body, struct buf *answer, long *status)
{
    struct curl_slist *headers = NULL;
    CURL *c = curl_easy_init();
    CURLcode cc;
    int rc = CLI_OK;
    if (!c)
        return cli_error(CLI_FAIL, "cannot start the HTTP client");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK)
        rc = cli_error(CLI_FAIL, "%.*s: %s", (int)strcspn(url, "?"),
                       url, /* the query has the token */
                       curl_easy_strerror(cc));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc;
}

/* Base URL without its trailing slashes + "/" + escaped segment + suffix. */
static int build_url(char *out, size_t size, const char *base, const char *segment,
                     const char *suffix)
{
    size_t n = strlen(base);
    char *esc = NULL;
    int len;
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (segment && !(esc = curl_easy_escape(NULL, segment, 0)))
        return cli_error(CLI_FAIL, "out of memory");
    len = snprintf(out, size, "%.*s%s%s%s", (int)n, base, esc ? "/" : "", esc ? esc : "", suffix);
    curl_free(esc);
    if (len < 0 || (size_t)len >= size)
        return cli_error(CLI_USAGE, "URL too long");
    return CLI_OK;
}

/* true for an optional minus sign and digits: the server judges the value itself. */
static bool is_integer(const char *s)
{
    if (*s == '-')
        s++;
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* The JSON body of a client_credentials request (SPEC §2). */
static int request_body(const struct cli_args *a, const char *secret, struct buf *out)
{
    struct jsonw w;
    const char *scope = cli_value(a, "scope");
    jsonw_init(&w, out);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "grant_type", "client_credentials");
    jsonw_kv_string(&w, "client_id", cli_value(a, "client-id"));
    jsonw_kv_string(&w, "client_secret", secret);
    if (scope)
        jsonw_kv_string(&w, "scope", scope);
    jsonw_object_end(&w);
    return jsonw_finish(&w) ? cli_error(CLI_USAGE, "request too large") : CLI_OK;
}

/* Print the answer: the access token alone, or everything with --json. */
static int print_token(const struct buf *answer, bool whole)
{
    json_t *doc;
    const char *token;
    int rc = CLI_OK;
    if (whole) {
        puts(buf_str(answer));
        return fflush(stdout) ? cli_error(CLI_FAIL, "cannot write to stdout") : CLI_OK;
    }
    doc = json_loadb(buf_str(answer), answer->len, 0, NULL);
    token = json_string_value(json_object_get(doc, "access_token"));
    if (!token || !*token)
        rc = cli_error(CLI_FAIL, "the answer carries no access_token");
    else if (puts(token) == EOF || fflush(stdout))
        rc = cli_error(CLI_FAIL, "cannot write to stdout");
    json_decref(doc);
    return rc;
}

/* A non-200 answer: one line on stderr, "rcauth: HTTP <status>: <the server's JSON error>"
 * (newlines folded so scripts read one line), exit 1. */
static int print_failure(const struct buf *answer, long status)
{
    fprintf(stderr, "rcauth: HTTP %ld", status);
    if (answer->len) {
        fputs(": ", stderr);
        for (const char *c = buf_str(answer); *c; c++)
            fputc(*c == '\n' || *c == '\r' ? ' ' : *c, stderr);
    }
    fputc('\n', stderr);
    return CLI_FAIL;
}

static int request_send(const struct cli_args *a, const char *secret)
{
    const char *expires = cli_value(a, "expires-in");
    char suffix[64] = "/token", url[URL_MAX];
    struct buf body, answer;
    long status = 0;
    int rc;
    if (expires && !is_integer(expires))
        return cli_error(CLI_USAGE, "--expires-in must be an integer");
    if (expires && strlen(expires) < 32)
        snprintf(suffix, sizeof(suffix), "/token?expires_in=%s", expires);
    else if (expires)
        return cli_error(CLI_USAGE, "--expires-in is too long");
    rc = build_url(url, sizeof(url), cli_value(a, "url"), cli_value(a, "account"), suffix);
    if (rc)
        return rc;
    buf_init(&body, ANSWER_MAX);
    buf_init(&answer, ANSWER_MAX);
    rc = request_body(a, secret, &body);
    if (!rc)
        rc = fetch(url, buf_str(&body), &answer, &status);
    if (!rc)
        rc = status == 200 ? print_token(&answer, cli_flag(a, "json"))
                           : print_failure(&answer, status);
    if (body.data)
        sodium_memzero(body.data, body.cap);
    buf_cleanup(&body);
    buf_cleanup(&answer);
    return rc;
}

static int request(int argc, char **argv)
{
    static const struct cli_option own[] = {
        {.name = "url", .kind = CLI_ARG, .required = true},
        {.name = "account", .kind = CLI_ARG, .required = true},
        {.name = "client-id", .kind = CLI_ARG, .required = true},
        {.name = "client-secret", .kind = CLI_ARG},
        {.name = "expires-in", .kind = CLI_ARG},
        {.name = "scope", .kind = CLI_ARG},
        {.name = "json", .kind = CLI_NOARG},
        {.name = NULL},
    };
    const struct cli_option *tables[] = {own, NULL};
    const char *secret;
    struct cli_args a;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    secret = cli_value(&a, "client-secret");
    if (!secret)
        secret = getenv("RCAUTH_CLIENT_SECRET");
    if (!secret)
        return cli_error(CLI_USAGE, "--client-secret or RCAUTH_CLIENT_SECRET is required");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = request_send(&a, secret);
    curl_global_cleanup();
    return rc;
}

static int verify_send(const char *base, const char *token)
{
    char url[URL_MAX], *esc = curl_easy_escape(NULL, token, 0);
    struct buf answer;
    long status = 0;
    int rc;
    if (!esc)
        return cli_error(CLI_USAGE, "bad token");
    rc = build_url(url, sizeof(url), base, NULL, "/token?access_token=");
    if (!rc && strlen(url) + strlen(esc) >= sizeof(url))
        rc = cli_error(CLI_USAGE, "token too long");
    if (!rc)
        memcpy(url + strlen(url), esc, strlen(esc) + 1);
    curl_free(esc);
    if (rc)
        return rc;
    buf_init(&answer, ANSWER_MAX);
    rc = fetch(url, NULL, &answer, &status);
    if (!rc && status == 200) {
        if (puts(buf_str(&answer)) == EOF || fflush(stdout))
            rc = cli_error(CLI_FAIL, "cannot write to stdout");
    } else if (!rc) {
        rc = print_failure(&answer, status);
    }
    buf_cleanup(&answer);
    return rc;
}

static int verify(int argc, char **argv)
{
    static const struct cli_option own[] = {
        {.name = "url", .kind = CLI_ARG, .required = true},
        {.name = NULL},
    };
    const struct cli_option *tables[] = {own, NULL};
    struct cli_args a;
    int rc = cli_start(argc - 1, argv + 1, tables, 1, 1, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = verify_send(cli_value(&a, "url"), a.pos[0]);
    curl_global_cleanup();
    return rc;
}

int cli_cmd_token(int argc, char **argv)
{
    static const struct cli_verb verbs[] = {{"request", request}, {"verify", verify}, {NULL, NULL}};
    return cli_run_verb(argc, argv, verbs, usage);
}
