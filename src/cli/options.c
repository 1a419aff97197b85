/* SPDX-License-Identifier: MIT */
/* Option parsing shared by every subcommand ("--flag value" and "--flag=value"), and the
 * road from flags to an open struct app: flags over RCAUTH_* variables over the INI file
 * (config.c does the layering). */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "common/log.h"
#include "config.h"
#include "store/store.h"

const struct cli_option cli_store_options[] = {
    {.name = "data", .kind = CLI_ARG, .config_name = "data"},
    {.name = "db", .kind = CLI_ARG, .config_name = "db"},
    {.name = "config", .kind = CLI_ARG, .config_name = "config"},
    {.name = NULL},
};

const struct cli_option cli_serve_options[] = {
    {.name = "listen", .kind = CLI_ARG, .config_name = "listen"},
    {.name = "public-url", .kind = CLI_ARG, .config_name = "public-url"},
    {.name = "max-token-lifetime", .kind = CLI_ARG, .config_name = "max-token-lifetime"},
    {.name = "no-refresh-tokens",
     .kind = CLI_NOARG,
     .config_name = "refresh-tokens",
     .config_value = "false"},
    {.name = "threads", .kind = CLI_ARG, .config_name = "threads"},
    {.name = "log-level", .kind = CLI_ARG, .config_name = "log-level"},
    {.name = "signing-alg", .kind = CLI_ARG, .config_name = "signing-alg"},
    {.name = "recheck-interval", .kind = CLI_ARG, .config_name = "recheck-interval"},
    {.name = "throttle-client", .kind = CLI_ARG, .config_name = "throttle-client"},
    {.name = "throttle-address", .kind = CLI_ARG, .config_name = "throttle-address"},
    {.name = "throttle-window", .kind = CLI_ARG, .config_name = "throttle-window"},
    {.name = "tls-cert", .kind = CLI_ARG, .config_name = "tls-cert"},
    {.name = "tls-key", .kind = CLI_ARG, .config_name = "tls-key"},
    {.name = "max-connections", .kind = CLI_ARG, .config_name = "max-connections"},
    {.name = "max-connections-per-address",
     .kind = CLI_ARG,
     .config_name = "max-connections-per-address"},
    {.name = "panel-session-idle", .kind = CLI_ARG, .config_name = "panel-session-idle"},
    {.name = "panel-session-lifetime", .kind = CLI_ARG, .config_name = "panel-session-lifetime"},
    {.name = "key-reserve", .kind = CLI_ARG, .config_name = "key-reserve"},
    {.name = NULL},
};

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("rcauth: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

static const struct cli_option *find_option(const struct cli_option *const *tables,
                                            const char *name, size_t len)
{
    for (; *tables; tables++)
        for (const struct cli_option *o = *tables; o->name; o++)
            if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
                return o;
    return NULL;
}

static bool is_help(const char *s)
{
    return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

/* One "--name[=value]" at argv[*i]; may consume the next argument as its value. */
static int parse_option(int argc, char **argv, int *i, const struct cli_option *const *tables,
                        struct cli_args *out)
{
    const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct cli_option *o = find_option(tables, arg, len);
    const char *value = NULL;
    if (!o)
        return cli_error(CLI_USAGE, "unknown option --%.*s", (int)len, arg);
    if (o->kind == CLI_NOARG && eq)
        return cli_error(CLI_USAGE, "option --%s takes no value", o->name);
    if (o->kind != CLI_NOARG) {
        if (eq)
            value = eq + 1;
        else if (*i + 1 < argc)
            value = argv[++*i];
        else
            return cli_error(CLI_USAGE, "option --%s needs a value", o->name);
    }
    if (out->n >= CLI_MAX_ITEMS)
        return cli_error(CLI_USAGE, "too many options");
    out->opt[out->n] = o;
    out->val[out->n++] = value;
    return 0;
}

static bool given(const struct cli_args *a, const struct cli_option *o)
{
    for (int i = 0; i < a->n; i++)
        if (a->opt[i] == o)
            return true;
    return false;
}

static int check_required(const struct cli_option *const *tables, const struct cli_args *a)
{
    for (; *tables; tables++)
        for (const struct cli_option *o = *tables; o->name; o++)
            if (o->required && !given(a, o))
                return cli_error(CLI_USAGE, "option --%s is required", o->name);
    return 0;
}

int cli_parse(int argc, char **argv, const struct cli_option *const *tables, struct cli_args *out)
{
    bool options_done = false;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < argc && !options_done; i++)
        if (strcmp(argv[i], "--") == 0)
            options_done = true;
        else if (is_help(argv[i]))
            out->help = true;
    options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        int rc;
        if (!options_done && strcmp(s, "--") == 0) {
            options_done = true;
        } else if (!options_done && is_help(s)) {
            continue;
        } else if (!options_done && strncmp(s, "--", 2) == 0) {
            rc = parse_option(argc, argv, &i, tables, out);
            if (rc)
                return out->help ? 0 : rc;
        } else if (!options_done && s[0] == '-' && s[1] != '\0') {
            return out->help ? 0 : cli_error(CLI_USAGE, "unknown option %s", s);
        } else if (out->npos >= CLI_MAX_ITEMS) {
            return cli_error(CLI_USAGE, "too many arguments");
        } else {
            out->pos[out->npos++] = s;
        }
    }
    return out->help ? 0 : check_required(tables, out);
}

int cli_start(int argc, char **argv, const struct cli_option *const *tables, int min_pos,
              int max_pos, const char *usage, struct cli_args *out)
{
    int rc = cli_parse(argc, argv, tables, out);
    if (rc)
        return rc;
    if (out->help) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (out->npos < min_pos)
        return cli_error(CLI_USAGE, "missing argument (see --help)");
    if (out->npos > max_pos)
        return cli_error(CLI_USAGE, "unexpected argument '%s'", out->pos[max_pos]);
    return CLI_CONTINUE;
}

const char *cli_value(const struct cli_args *a, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->opt[i]->name, name) == 0)
            v = a->val[i];
    return v;
}

int cli_values(const struct cli_args *a, const char *name, const char **out, int max)
{
    int k = 0;
    for (int i = 0; i < a->n && k < max; i++)
        if (strcmp(a->opt[i]->name, name) == 0)
            out[k++] = a->val[i];
    return k;
}

bool cli_flag(const struct cli_args *a, const char *name)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->opt[i]->name, name) == 0)
            return true;
    return false;
}

static enum log_level level_of(const char *s)
{
    if (strcmp(s, "debug") == 0)
        return LOG_DEBUG;
    if (strcmp(s, "warn") == 0)
        return LOG_WARN;
    if (strcmp(s, "error") == 0)
        return LOG_ERROR;
    return LOG_INFO;
}

int cli_open_app(const struct cli_args *a, struct app **out)
{
    const char *names[CLI_MAX_ITEMS], *values[CLI_MAX_ITEMS];
    struct config cfg;
    char err[512] = "";
    int n = 0, rc;

    *out = NULL;
    for (int i = 0; i < a->n; i++) {
        if (!a->opt[i]->config_name)
            continue;
        names[n] = a->opt[i]->config_name;
        values[n++] = a->val[i] ? a->val[i] : a->opt[i]->config_value;
    }
    config_init_defaults(&cfg);
    rc = config_load(&cfg, n, names, values, err, sizeof(err));
    if (rc) {
        config_cleanup(&cfg);
        return cli_error(CLI_USAGE, "%s", err);
    }
    log_set_level(level_of(cfg.log_level ? cfg.log_level : "info"));
    if (store_location_check(cfg.db, err, sizeof(err))) { /* err never holds the location */
        config_cleanup(&cfg);
        return cli_error(CLI_USAGE, "%s", err);
    }
    rc = app_open(&cfg, out, err, sizeof(err));
    config_cleanup(&cfg); /* app_open took what it keeps */
    if (rc)
        return cli_error(CLI_FAIL, "%s", *err ? err : "cannot open the store");
    return CLI_OK;
}
