/* SPDX-License-Identifier: MIT */
/* `rcauth account create|list`: accounts, printed as the admin API renders them (one JSON
 * object per line for lists). */
#include <stdio.h>

#include "admin/admin.h"
#include "app.h"
#include "cli/cli_int.h"

#define PAGE 1000

static const char usage[] = "usage: rcauth account create --name NAME [--id ID]\n"
                            "       rcauth account list\n"
                            "\n"
                            "Store options: --data DIR, --db LOC, --config FILE.\n";

static int create(int argc, char **argv)
{
    static const struct cli_option own[] = {
        {.name = "name", .kind = CLI_ARG, .required = true},
        {.name = "id", .kind = CLI_ARG},
        {.name = NULL},
    };
    const struct cli_option *tables[] = {cli_store_options, own, NULL};
    char err[CLI_ERR_SIZE];
    struct store_account acc;
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
    rc = admin_account_create(app, cli_value(&a, "id"), cli_value(&a, "name"), &acc, err,
                              sizeof(err));
    if (rc) {
        rc = cli_service_error(rc, err);
        goto out;
    }
    buf_init(&b, CLI_OUT_MAX);
    jsonw_init(&w, &b);
    admin_render_account(&w, &acc);
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

static int account_row(void *ctx, const struct store_account *row)
{
    struct printer *p = ctx;
    struct jsonw w;
    buf_reset(&p->b);
    jsonw_init(&w, &p->b);
    admin_render_account(&w, row);
    p->rows++;
    p->rc = cli_print_json(&p->b, &w);
    return p->rc;
}

static int list(int argc, char **argv)
{
    const struct cli_option *tables[] = {cli_store_options, NULL};
    struct printer p = {.rc = 0};
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
    do {
        int64_t before = p.rows;
        rc = st->ops->account_list(st, p.rows, PAGE, account_row, &p, &total);
        if (p.rows == before)
            break;
    } while (!rc && !p.rc && p.rows < total);
    if (p.rc)
        rc = p.rc;
    else if (rc)
        rc = cli_error(CLI_FAIL, "cannot list accounts (%s)", rc_strerror(rc));
    buf_cleanup(&p.b);
    app_free(app);
    return rc;
}

int cli_cmd_account(int argc, char **argv)
{
    static const struct cli_verb verbs[] = {{"create", create}, {"list", list}, {NULL, NULL}};
    return cli_run_verb(argc, argv, verbs, usage);
}
