/* SPDX-License-Identifier: MIT */
/* `rcauth admin-key create|list|revoke`: the keys of the admin API (SPEC §6). The key is
 * printed once, alone, on stdout; the store keeps only its keyed hash. */
#include <sodium.h>
#include <stdio.h>

#include "admin/admin.h"
#include "app.h"
#include "cli/cli_int.h"

static const char usage[] = "usage: rcauth admin-key create [--name NAME]\n"
                            "       rcauth admin-key list\n"
                            "       rcauth admin-key revoke ID\n"
                            "\n"
                            "Store options: --data DIR, --db LOC, --config FILE.\n";

static int create(int argc, char **argv)
{
    static const struct cli_option own[] = {{.name = "name", .kind = CLI_ARG}, {.name = NULL}};
    const struct cli_option *tables[] = {cli_store_options, own, NULL};
    char err[CLI_ERR_SIZE], key[ADMIN_KEY_SIZE];
    struct store_admin_key k;
    struct cli_args a;
    struct app *app = NULL;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    rc = admin_key_create(app, cli_value(&a, "name"), "cli", &k, key, err, sizeof(err));
    if (rc) {
        rc = cli_service_error(rc, err);
        goto out;
    }
    if (puts(key) == EOF || fflush(stdout) != 0)
        rc = cli_error(CLI_FAIL, "cannot write to stdout");
    sodium_memzero(key, sizeof(key));
out:
    app_free(app);
    return rc;
}

struct printer {
    struct buf b;
    int rc;
};

static int key_row(void *ctx, const struct store_admin_key *row)
{
    struct printer *p = ctx;
    struct jsonw w;
    buf_reset(&p->b);
    jsonw_init(&w, &p->b);
    admin_render_admin_key(&w, row);
    p->rc = cli_print_json(&p->b, &w);
    return p->rc;
}

static int list(int argc, char **argv)
{
    const struct cli_option *tables[] = {cli_store_options, NULL};
    struct printer p = {.rc = 0};
    struct cli_args a;
    struct app *app = NULL;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    buf_init(&p.b, CLI_OUT_MAX);
    rc = app->store->ops->admin_key_list(app->store, key_row, &p);
    if (p.rc)
        rc = p.rc;
    else if (rc)
        rc = cli_error(CLI_FAIL, "cannot list admin keys (%s)", rc_strerror(rc));
    buf_cleanup(&p.b);
    app_free(app);
    return rc;
}

static int revoke(int argc, char **argv)
{
    const struct cli_option *tables[] = {cli_store_options, NULL};
    char err[CLI_ERR_SIZE];
    struct cli_args a;
    struct app *app = NULL;
    int rc = cli_start(argc - 1, argv + 1, tables, 1, 1, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    rc = admin_key_revoke(app, a.pos[0], "cli", err, sizeof(err));
    if (rc)
        rc = cli_error(CLI_FAIL, "%s", err);
    app_free(app);
    return rc;
}

int cli_cmd_admin_key(int argc, char **argv)
{
    static const struct cli_verb verbs[] = {
        {"create", create}, {"list", list}, {"revoke", revoke}, {NULL, NULL}};
    return cli_run_verb(argc, argv, verbs, usage);
}
