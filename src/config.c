/* SPDX-License-Identifier: MIT */
/* Configuration: defaults < INI file < RCAUTH_* environment < command-line flags.
 * Every source goes through config_set(), so one place validates each option. */
#include "config.h"
#include "common/xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PANEL_SESSION_MAX (INT64_C(30) * 86400) /* a month: sessions are not for keeps */

void config_init_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->data_dir = xstrdup("./rcauth-data");
    c->listen = xstrdup("127.0.0.1:8080");
    c->log_level = xstrdup("info");
    c->refresh_tokens = true;
    c->recheck_interval_ms = 250;
    c->throttle_client = 20; /* SPEC §7 */
    c->throttle_address = 100;
    c->throttle_window = 60;
    c->max_connections = 4096;
    c->max_connections_per_address = 128;
    c->signing_alg = xstrdup("EdDSA");
    c->panel_session_idle = 30 * 60;
    c->panel_session_lifetime = 12 * 3600;
    c->key_reserve = 3600;
}

void config_cleanup(struct config *c)
{
    free(c->data_dir);
    free(c->db);
    free(c->listen);
    free(c->public_url);
    free(c->public_url_unbound);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->config_file);
    free(c->log_level);
    free(c->extra_actions);
    free(c->signing_alg);
    memset(c, 0, sizeof(*c));
}

static void set_string(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

static int parse_int(const char *value, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max)
        return RC_EINVAL;
    *out = v;
    return 0;
}

/* Seconds with up to three decimals ("0.25", "2") into milliseconds in [min_ms, max_ms]. */
static int parse_millis(const char *value, int64_t min_ms, int64_t max_ms, int64_t *out)
{
    int64_t whole = 0, frac = 0, scale = 1000;
    const char *p = value;
    if (!isdigit((unsigned char)*p))
        return RC_EINVAL;
    while (isdigit((unsigned char)*p) && whole <= max_ms)
        whole = whole * 10 + (*p++ - '0');
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return RC_EINVAL;
        while (isdigit((unsigned char)*p) && scale > 1) {
            scale /= 10;
            frac += (*p++ - '0') * scale;
        }
    }
    int64_t ms = whole * 1000 + frac;
    if (*p || whole > max_ms || ms < min_ms || ms > max_ms)
        return RC_EINVAL;
    *out = ms;
    return 0;
}

static int parse_bool(const char *value, bool *out)
{
    if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes") ||
        !strcmp(value, "on")) {
        *out = true;
        return 0;
    }
    if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no") ||
        !strcmp(value, "off")) {
        *out = false;
        return 0;
    }
    return RC_EINVAL;
}

int config_listen_split(const char *listen, char *host, size_t size, int *port)
{
    const char *colon = strrchr(listen, ':');
    const char *start = listen, *stop = colon;
    bool bracketed = *listen == '[';

    if (!colon)
        return RC_EINVAL;
    if (bracketed) {
        if (colon[-1] != ']')
            return RC_EINVAL;
        start++;
        stop = colon - 1;
    }
    size_t len = (size_t)(stop - start);
    /* a ':' in the host makes it IPv6, which must be bracketed; brackets hold IPv6 only */
    if (len == 0 || len >= size || (memchr(start, ':', len) != NULL) != bracketed)
        return RC_EINVAL;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!isdigit((unsigned char)colon[1]) || *end || p > 65535)
        return RC_EINVAL;
    memcpy(host, start, len);
    host[len] = '\0';
    *port = (int)p;
    return 0;
}

/* The listener binds an address, never a name: say so here, at parsing, rather than let
 * the bind fail later without a reason. */
static int check_listen(const char *value, char *err, size_t errsz)
{
    char host[256], v4[INET_ADDRSTRLEN];
    struct in6_addr a6;
    struct in_addr a4;
    int port;

    if (config_listen_split(value, host, sizeof(host), &port)) {
        snprintf(err, errsz,
                 "--listen must be HOST:PORT, or [IPV6]:PORT with the address in brackets, "
                 "got '%s'",
                 value);
        return RC_EINVAL;
    }
    if (*value != '[' && inet_pton(AF_INET, host, &a4) == 1)
        return 0;
    if (*value == '[' && inet_pton(AF_INET6, host, &a6) == 1) {
        if (!IN6_IS_ADDR_V4MAPPED(&a6))
            return 0;
        /* MHD binds it as IPv6 only, where it can never be reached ("port 0") */
        inet_ntop(AF_INET, &a6.s6_addr[12], v4, sizeof(v4));
        snprintf(err, errsz,
                 "--listen: '%s' is an IPv4-mapped IPv6 address: use the IPv4 form, %s:%d", value,
                 v4, port);
        return RC_EINVAL;
    }
    snprintf(err, errsz,
             "--listen needs an IP address, such as 127.0.0.1:8080 or [::1]:8080, got '%s'", value);
    return RC_EINVAL;
}

int config_set(struct config *c, const char *name, const char *value, char *err, size_t errsz)
{
    int64_t n;
    if (!strcmp(name, "data")) {
        set_string(&c->data_dir, value);
    } else if (!strcmp(name, "db")) {
        set_string(&c->db, value);
    } else if (!strcmp(name, "listen")) {
        if (check_listen(value, err, errsz))
            return RC_EINVAL;
        set_string(&c->listen, value);
    } else if (!strcmp(name, "public-url")) {
        set_string(&c->public_url, value);
    } else if (!strcmp(name, "config")) {
        set_string(&c->config_file, value);
    } else if (!strcmp(name, "log-level")) {
        if (strcmp(value, "debug") && strcmp(value, "info") && strcmp(value, "warn") &&
            strcmp(value, "error"))
            goto bad;
        set_string(&c->log_level, value);
    } else if (!strcmp(name, "signing-alg")) {
        /* JWS alg names are case-sensitive (RFC 7515 §4.1.1) */
        if (strcmp(value, "EdDSA") && strcmp(value, "ES256"))
            goto bad;
        set_string(&c->signing_alg, value);
    } else if (!strcmp(name, "actions")) {
        set_string(&c->extra_actions, value);
    } else if (!strcmp(name, "max-token-lifetime")) {
        if (parse_int(value, 0, INT64_C(100) * 365 * 86400, &n))
            goto bad;
        c->max_token_lifetime = n;
    } else if (!strcmp(name, "threads")) {
        if (parse_int(value, 0, 256, &n))
            goto bad;
        c->threads = (int)n;
    } else if (!strcmp(name, "throttle-client")) {
        if (parse_int(value, 0, 1000000, &n))
            goto bad;
        c->throttle_client = (int)n;
    } else if (!strcmp(name, "throttle-address")) {
        if (parse_int(value, 0, 1000000, &n))
            goto bad;
        c->throttle_address = (int)n;
    } else if (!strcmp(name, "throttle-window")) {
        if (parse_int(value, 1, 86400, &n))
            goto bad;
        c->throttle_window = (int)n;
    } else if (!strcmp(name, "tls-cert")) {
        set_string(&c->tls_cert, value);
    } else if (!strcmp(name, "tls-key")) {
        set_string(&c->tls_key, value);
    } else if (!strcmp(name, "max-connections")) {
        if (parse_int(value, 1, 100000, &n))
            goto bad;
        c->max_connections = (int)n;
    } else if (!strcmp(name, "max-connections-per-address")) {
        if (parse_int(value, 0, 100000, &n))
            goto bad;
        c->max_connections_per_address = (int)n;
    } else if (!strcmp(name, "recheck-interval")) {
        if (parse_millis(value, 50, 3600 * 1000, &n))
            goto bad;
        c->recheck_interval_ms = n;
    } else if (!strcmp(name, "panel-session-idle")) {
        if (parse_int(value, 1, PANEL_SESSION_MAX, &n))
            goto bad;
        c->panel_session_idle = n;
    } else if (!strcmp(name, "panel-session-lifetime")) {
        if (parse_int(value, 1, PANEL_SESSION_MAX, &n))
            goto bad;
        c->panel_session_lifetime = n;
    } else if (!strcmp(name, "key-reserve")) {
        /* a superseded key stays published up to about twice this: at most 30 days */
        if (parse_int(value, 1, 30 * 86400, &n))
            goto bad;
        c->key_reserve = n;
    } else if (!strcmp(name, "refresh-tokens")) {
        if (parse_bool(value, &c->refresh_tokens))
            goto bad;
    } else {
        snprintf(err, errsz, "unknown option '%s'", name);
        return RC_EINVAL;
    }
    return 0;
bad:
    snprintf(err, errsz, "bad value for %s: '%s'", name, value);
    return RC_EINVAL;
}

/* INI keys are the option names; sections only group them ([server], [tokens], [store]). */
struct ini_ctx {
    struct config *c;
    char *err;
    size_t errsz;
    int rc;
};

static int on_ini_item(void *user, const char *section, const char *name, const char *value)
{
    (void)section;
    struct ini_ctx *ctx = user;
    char key[64];
    snprintf(key, sizeof(key), "%s", name);
    for (char *p = key; *p; p++)
        if (*p == '_')
            *p = '-';
    if (!ctx->rc && !strcmp(key, "config"))
        return 1; /* a file cannot name another file */
    if (!ctx->rc)
        ctx->rc = config_set(ctx->c, key, value, ctx->err, ctx->errsz);
    return ctx->rc == 0;
}

/* Environment variable names: RCAUTH_ + the option name uppercased, '-' as '_'. */
static const char *const env_options[] = {
    "data",
    "db",
    "listen",
    "public-url",
    "config",
    "log-level",
    "actions",
    "max-token-lifetime",
    "threads",
    "refresh-tokens",
    "signing-alg",
    "recheck-interval",
    "throttle-client",
    "throttle-address",
    "throttle-window",
    "tls-cert",
    "tls-key",
    "max-connections",
    "max-connections-per-address",
    "panel-session-idle",
    "panel-session-lifetime",
    "key-reserve",
};

static int apply_env(struct config *c, char *err, size_t errsz)
{
    for (size_t i = 0; i < sizeof(env_options) / sizeof(env_options[0]); i++) {
        char var[64] = "RCAUTH_";
        size_t o = strlen(var);
        for (const char *p = env_options[i]; *p && o < sizeof(var) - 1; p++)
            var[o++] = *p == '-' ? '_' : (char)(*p - ('a' <= *p && *p <= 'z' ? 32 : 0));
        var[o] = '\0';
        const char *v = getenv(var);
        if (v && config_set(c, env_options[i], v, err, errsz))
            return RC_EINVAL;
    }
    return 0;
}

static int apply_file(struct config *c, const char *path, char *err, size_t errsz)
{
    struct ini_ctx ctx = {c, err, errsz, 0};
    int line = ini_parse(path, on_ini_item, &ctx);
    if (ctx.rc)
        return ctx.rc;
    if (line == -1) {
        snprintf(err, errsz, "cannot open config file %s", path);
        return RC_EIO;
    }
    if (line) {
        snprintf(err, errsz, "%s:%d: syntax error", path, line);
        return RC_EINVAL;
    }
    return 0;
}

/* The issuer and every endpoint URL are built on it (RFC 8414 §2: an https URL with no
 * query or fragment; http is allowed for loopback and tests). */
static bool public_url_is_valid(const char *url)
{
    const char *host = !strncmp(url, "https://", 8)  ? url + 8
                       : !strncmp(url, "http://", 7) ? url + 7
                                                     : NULL;
    return host && *host && *host != '/' && !strpbrk(url, "?# \t\r\n");
}

/* The port of an authority "host[:port]" as written (NULL when none): the last ':' after
 * any userinfo and IPv6 brackets. */
static char *authority_port(char *auth, char *end)
{
    char *host = auth;

    for (char *p = auth; p < end; p++)
        if (*p == '@')
            host = p + 1;
    for (char *p = end; p > host; p--)
        if (p[-1] == ']')
            return NULL;
        else if (p[-1] == ':')
            return p - 1;
    return NULL;
}

/* RFC 3986 §6.2.2.1 and §6.2.3, RFC 6454 §6.1: browsers send their Origin with the scheme
 * and host in lower case and without the scheme's default port. The issuer, the metadata
 * and the panel's Origin check all start from public_url, so it takes that form once,
 * here: "HTTPS://Auth.Example.com:443/x" → "https://auth.example.com/x". */
static void normalise_public_url(char *url)
{
    char *auth = strstr(url, "://"), *end, *port;
    unsigned long value = 0;

    if (!auth)
        return;
    auth += 3;
    end = auth + strcspn(auth, "/");
    for (char *p = url; p < end; p++)
        *p = (char)tolower((unsigned char)*p);
    port = authority_port(auth, end);
    if (!port)
        return;
    for (char *p = port + 1; p < end; p++) {
        if (!isdigit((unsigned char)*p) || value > 65535)
            return;
        value = value * 10 + (unsigned long)(*p - '0');
    }
    /* an empty port is the default one too (RFC 3986 §3.2.3) */
    if (port + 1 == end || value == (strncmp(url, "https:", 6) == 0 ? 443UL : 80UL))
        memmove(port, end, strlen(end) + 1);
}

/* "http://" or "https://" + listen's host + ":" + port, listen's own when port < 0, written
 * as a number ("…:08080" names 8080, as clients will). Caller frees. */
static char *listen_url(const struct config *c, int port)
{
    const char *scheme = c->tls_cert ? "https" : "http";
    char host[256];
    int listen_port = 0;
    size_t n = strlen(c->listen) + sizeof("https://:65535");
    char *url = xmalloc(n);

    if (config_listen_split(c->listen, host, sizeof(host), &listen_port))
        host[0] = '\0'; /* config_set() let no such value through */
    bool v6 = strchr(host, ':') != NULL;
    snprintf(url, n, "%s://%s%s%s:%d", scheme, v6 ? "[" : "", host, v6 ? "]" : "",
             port < 0 ? listen_port : port);
    return url;
}

const char *config_public_url(const struct config *c)
{
    return __atomic_load_n(&c->public_url, __ATOMIC_ACQUIRE);
}

void config_bind_port(struct config *c, int port)
{
    char host[256];
    int listen_port;

    if (!c->public_url_derived || c->public_url_unbound ||
        config_listen_split(c->listen, host, sizeof(host), &listen_port) || listen_port != 0)
        return; /* a port of its own, named in the URL already */
    char *url = listen_url(c, port);
    normalise_public_url(url);
    /* handler threads may already read it: the old string stays until config_cleanup() */
    c->public_url_unbound = __atomic_exchange_n(&c->public_url, url, __ATOMIC_ACQ_REL);
}

int config_load(struct config *c, int nflags, const char *const *flag_names,
                const char *const *flag_values, char *err, size_t errsz)
{
    /* The file is named by a flag, else the environment. */
    const char *file = getenv("RCAUTH_CONFIG");
    for (int i = 0; i < nflags; i++)
        if (!strcmp(flag_names[i], "config"))
            file = flag_values[i];
    if (file && apply_file(c, file, err, errsz))
        return RC_EINVAL;
    if (apply_env(c, err, errsz))
        return RC_EINVAL;
    for (int i = 0; i < nflags; i++)
        if (config_set(c, flag_names[i], flag_values[i], err, errsz))
            return RC_EINVAL;

    if (!c->db) {
        size_t n = strlen(c->data_dir) + sizeof("/rcauth.db");
        c->db = xmalloc(n);
        snprintf(c->db, n, "%s/rcauth.db", c->data_dir);
    }
    if (!!c->tls_cert != !!c->tls_key) {
        snprintf(err, errsz, "tls-cert and tls-key go together");
        return RC_EINVAL;
    }
    if (!c->public_url) {
        c->public_url = listen_url(c, -1);
        c->public_url_derived = true;
    }
    /* "http://host/" → "http://host": the issuer is public_url + "/" + account. */
    size_t n = strlen(c->public_url);
    while (n > 0 && c->public_url[n - 1] == '/')
        c->public_url[--n] = '\0';
    normalise_public_url(c->public_url);
    if (!public_url_is_valid(c->public_url)) {
        snprintf(err, errsz,
                 "public-url: must be http:// or https:// and a host, with no query or fragment");
        return RC_EINVAL;
    }
    return 0;
}
