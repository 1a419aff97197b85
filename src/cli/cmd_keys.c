/* SPDX-License-Identifier: MIT */
/* `rcauth keys list|rotate|retire`: the token signing keys (SPEC §4), public parts only. A
 * running server picks up a rotation or a retirement by itself within a second or two. The
 * CLI signs nothing, so it never creates a key but by `rotate`. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "app.h"
#include "cli/cli_int.h"

static const char usage[] =
    "usage: rcauth keys list\n"
    "       rcauth keys rotate [--alg EdDSA|ES256]\n"
    "       rcauth keys retire KID\n"
    "\n"
    "list prints one key per line: kid, alg, times, lifetime and public JWK. rotate makes a\n"
    "new key of --alg (default: the --signing-alg) that signs new tokens at once, here and\n"
    "on running servers within seconds; the previous key keeps verifying until the last\n"
    "token it signed expires, or, when it signed tokens that do not expire, until it is\n"
    "retired (a warning says so). retire stops a key at once; the current key of the\n"
    "--signing-alg cannot be retired.\n"
    "\n"
    "Options: --signing-alg EdDSA|ES256 (the server's, default EdDSA), --data DIR, --db LOC,\n"
    "--config FILE.\n";

/* Every keys verb reads the server's algorithm from the same config as `serve`. */
static const struct cli_option keys_options[] = {
    {.name = "signing-alg", .kind = CLI_ARG, .config_name = "signing-alg"},
    {.name = NULL},
};

/* The rendered array, one element per line. */
static int print_lines(const char *array_json)
{
    json_t *arr = json_loads(array_json, 0, NULL), *item;
    size_t i;
    int rc = CLI_OK;
    if (!json_is_array(arr))
        rc = cli_error(CLI_FAIL, "cannot read the key list");
    json_array_foreach(arr, i, item)
    {
        if (rc == CLI_OK && json_dumpf(item, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER))
            rc = cli_error(CLI_FAIL, "cannot write to stdout");
        if (rc == CLI_OK && (fputc('\n', stdout) == EOF || fflush(stdout)))
            rc = cli_error(CLI_FAIL, "cannot write to stdout");
    }
    json_decref(arr);
    return rc;
}

static int list(int argc, char **argv)
{
    const struct cli_option *tables[] = {cli_store_options, keys_options, NULL};
    char err[CLI_ERR_SIZE];
    struct cli_args a;
    struct app *app = NULL;
    int64_t total;
    struct buf b;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app); /* which loads the signing keys */
    if (rc)
        return rc;
    buf_init(&b, CLI_OUT_MAX);
    rc = admin_keys_render(app, NULL, NULL, 0, INT64_MAX, &b, &total, err, sizeof(err));
    rc = rc ? cli_service_error(rc, err) : print_lines(buf_str(&b));
    buf_cleanup(&b);
    app_free(app);
    return rc;
}

/* Each line of warnings as "rcauth: warning: …" on stderr. */
static void print_warnings(const char *warnings)
{
    for (const char *line = warnings; *line;) {
        const char *nl = strchr(line, '\n');
        int n = nl ? (int)(nl - line) : (int)strlen(line);
        fprintf(stderr, "rcauth: warning: %.*s\n", n, line);
        line += n + (nl != NULL);
    }
}

static int rotate(int argc, char **argv)
{
    static const struct cli_option own[] = {{.name = "alg", .kind = CLI_ARG}, {.name = NULL}};
    const struct cli_option *tables[] = {cli_store_options, keys_options, own, NULL};
    char err[CLI_ERR_SIZE], kid[STORE_KID_SIZE];
    struct cli_args a;
    struct app *app = NULL;
    int64_t total;
    struct buf b, warnings;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    buf_init(&b, CLI_OUT_MAX);
    buf_init(&warnings, CLI_OUT_MAX);
    rc = admin_keys_rotate(app, cli_value(&a, "alg"), "cli", kid, &warnings, err, sizeof(err));
    if (!rc)
        rc = admin_keys_render(app, kid, NULL, 0, 1, &b, &total, err, sizeof(err));
    if (rc)
        rc = cli_service_error(rc, err);
    else if (puts(buf_str(&b)) == EOF || fflush(stdout))
        rc = cli_error(CLI_FAIL, "cannot write to stdout");
    if (!rc)
        print_warnings(buf_str(&warnings));
    buf_cleanup(&b);
    buf_cleanup(&warnings);
    app_free(app);
    return rc;
}

static int retire(int argc, char **argv)
{
    const struct cli_option *tables[] = {cli_store_options, keys_options, NULL};
    char err[CLI_ERR_SIZE];
    struct cli_args a;
    struct app *app = NULL;
    int rc = cli_start(argc - 1, argv + 1, tables, 1, 1, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    rc = admin_keys_retire(app, a.pos[0], "cli", err, sizeof(err));
    if (rc)
        rc = cli_error(CLI_FAIL, "%s", err);
    app_free(app);
    return rc;
}

int cli_cmd_keys(int argc, char **argv)
{
    static const struct cli_verb verbs[] = {
        {"list", list}, {"rotate", rotate}, {"retire", retire}, {NULL, NULL}};
    return cli_run_verb(argc, argv, verbs, usage);
}
