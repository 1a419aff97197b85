/* SPDX-License-Identifier: MIT */
/* `rcauth env create|list`: the environments of an account, printed as the admin API
 * renders them (one JSON object per line for lists). */
#include <stdio.h>

#include "admin/admin.h"
#include "app.h"
#include "cli/cli_int.h"

#define PAGE 1000

static const char usage[] =
    "usage: rcauth env create --account ACCOUNT_ID --name NAME [--id ID] [--main]\n"
    "       rcauth env list --account ACCOUNT_ID\n"
    "\n"
    "Store options: --data DIR, --db LOC, --config FILE.\n";

static int create(int argc, char **argv)
{
    static const struct cli_option own[] = {
        {.name = "account", .kind = CLI_ARG, .required = true},
        {.name = "name", .kind = CLI_ARG, .required = true},
        {.name = "id", .kind = CLI_ARG},
        {.name = "main", .kind = CLI_NOARG},
        {.name = NULL},
    };
    const struct cli_option *tables[] = {cli_store_options, own, NULL};
    char err[CLI_ERR_SIZE];
    struct store_env env;
    struct cli_args a;
    struct app *app = NULL;
    struct jsonw w;
    struct buf b;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    rc = admin_env_create(app, cli_value(&a, "account"), cli_value(&a, "id"), cli_value(&a, "name"),
                          cli_flag(&a, "main"), &env, err, sizeof(err));
    if (rc) {
        rc = cli_service_error(rc, err);
        goto out;
    }
    buf_init(&b, CLI_OUT_MAX);
    jsonw_init(&w, &b);
    admin_render_env(&w, &env);
    rc = cli_print_json(&b, &w);
    buf_cleanup(&b);
out:
    app_free(app);
    return rc;
}

struct printer {
    struct buf b;
    int rc;
    int64_t rows;
};

static int env_row(void *ctx, const struct store_env *row)
{
    struct printer *p = ctx;
    struct jsonw w;
    buf_reset(&p->b);
    jsonw_init(&w, &p->b);
    admin_render_env(&w, row);
    p->rows++;
    p->rc = cli_print_json(&p->b, &w);
    return p->rc;
}

static int list(int argc, char **argv)
{
    static const struct cli_option own[] = {
        {.name = "account", .kind = CLI_ARG, .required = true},
        {.name = NULL},
    };
    const struct cli_option *tables[] = {cli_store_options, own, NULL};
    struct printer p = {.rc = 0};
    char err[CLI_ERR_SIZE];
    struct store_account acc;
    struct cli_args a;
    struct app *app = NULL;
    struct store *st;
    int64_t total = 0;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    st = app->store;
    buf_init(&p.b, CLI_OUT_MAX);
    rc = admin_account_get(app, cli_value(&a, "account"), &acc, err, sizeof(err));
    if (rc) {
        rc = cli_service_error(rc, err);
        goto out;
    }
    do {
        int64_t before = p.rows;
        rc = st->ops->env_list(st, acc.id, p.rows, PAGE, env_row, &p, &total);
        if (p.rows == before)
            break;
    } while (!rc && !p.rc && p.rows < total);
    if (p.rc)
        rc = p.rc;
    else if (rc)
        rc = cli_error(CLI_FAIL, "cannot list environments (%s)", rc_strerror(rc));
out:
    buf_cleanup(&p.b);
    app_free(app);
    return rc;
}

int cli_cmd_env(int argc, char **argv)
{
    static const struct cli_verb verbs[] = {{"create", create}, {"list", list}, {NULL, NULL}};
    return cli_run_verb(argc, argv, verbs, usage);
}
