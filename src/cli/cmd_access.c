/* SPDX-License-Identifier: MIT */
/* `rcauth access create|list|show|revoke|rotate-secret`: the Remote Control API accesses,
 * through the same service functions as the admin API. The client secret is printed once
 * (create, rotate-secret) and wiped. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "app.h"
#include "cli/cli_int.h"
#include "common/xmalloc.h"

#define PAGE 1000
#define MAX_WORDS 1024

static const char usage[] =
    "usage: rcauth access create --account ACCOUNT_ID --name NAME --actions \"a b ...\"\n"
    "                            [--env ENV_ID]...\n"
    "       rcauth access list --account ACCOUNT_ID [--include-revoked]\n"
    "       rcauth access show CLIENT_ID\n"
    "       rcauth access revoke CLIENT_ID\n"
    "       rcauth access rotate-secret CLIENT_ID\n"
    "\n"
    "--actions takes catalog names separated by spaces (GET /admin/v1/actions lists them);\n"
    "no --env means every environment of the account, today's and future ones.\n"
    "Store options: --data DIR, --db LOC, --config FILE.\n";

/* Print one access (with its secret when given) as a JSON line. */
static int print_access(const struct store_access *acc, const char *secret)
{
    struct jsonw w;
    struct buf b;
    int rc;
    buf_init(&b, CLI_OUT_MAX);
    jsonw_init(&w, &b);
    admin_render_access(&w, acc, secret);
    rc = cli_print_json(&b, &w);
    if (b.data)
        sodium_memzero(b.data, b.cap);
    buf_cleanup(&b);
    return rc;
}

/* Split every value of the repeatable option name on spaces, in place in a copy (*store,
 * caller frees), into words (up to max). Returns the count. */
static size_t split_words(const struct cli_args *a, const char *name, char **store,
                          const char **words, size_t max)
{
    const char *vals[CLI_MAX_ITEMS];
    int nv = cli_values(a, name, vals, CLI_MAX_ITEMS);
    struct buf all;
    size_t n = 0;
    buf_init(&all, SIZE_MAX / 2);
    for (int i = 0; i < nv; i++)
        if (buf_append_str(&all, vals[i]) || buf_append_char(&all, ' '))
            break;
    *store = buf_steal(&all);
    for (char *p = *store; *p && n < max;) {
        size_t len = strcspn(p, " ,\t");
        if (len)
            words[n++] = p;
        p += len;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int create(int argc, char **argv)
{
    static const struct cli_option own[] = {
        {.name = "account", .kind = CLI_ARG, .required = true},
        {.name = "name", .kind = CLI_ARG, .required = true},
        {.name = "actions", .kind = CLI_ARGS, .required = true},
        {.name = "env", .kind = CLI_ARGS},
        {.name = NULL},
    };
    const struct cli_option *tables[] = {cli_store_options, own, NULL};
    const char **actions = xcalloc(MAX_WORDS, sizeof(*actions));
    const char *envs[CLI_MAX_ITEMS];
    char err[CLI_ERR_SIZE], secret[ADMIN_SECRET_SIZE], *words = NULL;
    struct store_access acc;
    struct cli_args a;
    struct app *app = NULL;
    size_t nactions, nenvs;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        goto out;
    nactions = split_words(&a, "actions", &words, actions, MAX_WORDS);
    nenvs = (size_t)cli_values(&a, "env", envs, CLI_MAX_ITEMS);
    rc = cli_open_app(&a, &app);
    if (rc)
        goto out;
    rc = admin_access_create(app, cli_value(&a, "account"), cli_value(&a, "name"), envs, nenvs,
                             actions, nactions, "cli", &acc, secret, err, sizeof(err));
    if (rc) {
        rc = cli_service_error(rc, err);
        goto out;
    }
    rc = print_access(&acc, secret);
    sodium_memzero(secret, sizeof(secret));
    store_access_cleanup(&acc);
out:
    app_free(app);
    free(words);
    free(actions);
    return rc;
}

struct printer {
    struct buf b;
    int rc;
    int64_t rows;
};

static int access_row(void *ctx, const struct store_access *row)
{
    struct printer *p = ctx;
    struct jsonw w;
    buf_reset(&p->b);
    jsonw_init(&w, &p->b);
    admin_render_access(&w, row, NULL);
    p->rows++;
    p->rc = cli_print_json(&p->b, &w);
    return p->rc;
}

/* Every access of account_id, one JSON line each. */
static int print_all(struct app *app, const char *account_id, bool revoked)
{
    struct store *st = app->store;
    struct printer p = {.rc = 0};
    int64_t total = 0;
    int rc;
    buf_init(&p.b, CLI_OUT_MAX);
    do {
        int64_t before = p.rows;
        rc = st->ops->access_list(st, account_id, revoked, p.rows, PAGE, access_row, &p, &total);
        if (p.rows == before)
            break;
    } while (!rc && !p.rc && p.rows < total);
    buf_cleanup(&p.b);
    if (p.rc)
        return p.rc;
    if (rc)
        return cli_error(CLI_FAIL, "cannot list accesses (%s)", rc_strerror(rc));
    return CLI_OK;
}

static int list(int argc, char **argv)
{
    static const struct cli_option own[] = {
        {.name = "account", .kind = CLI_ARG, .required = true},
        {.name = "include-revoked", .kind = CLI_NOARG},
        {.name = NULL},
    };
    const struct cli_option *tables[] = {cli_store_options, own, NULL};
    char err[CLI_ERR_SIZE];
    struct store_account acc;
    struct cli_args a;
    struct app *app = NULL;
    int rc = cli_start(argc - 1, argv + 1, tables, 0, 0, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    rc = admin_account_get(app, cli_value(&a, "account"), &acc, err, sizeof(err));
    if (rc)
        rc = cli_service_error(rc, err);
    else
        rc = print_all(app, acc.id, cli_flag(&a, "include-revoked"));
    app_free(app);
    return rc;
}

/* show, revoke and rotate-secret: one CLIENT_ID argument. */
static int one_access(int argc, char **argv, int (*op)(struct app *, const char *))
{
    const struct cli_option *tables[] = {cli_store_options, NULL};
    struct cli_args a;
    struct app *app = NULL;
    int rc = cli_start(argc - 1, argv + 1, tables, 1, 1, usage, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = cli_open_app(&a, &app);
    if (rc)
        return rc;
    rc = op(app, a.pos[0]);
    app_free(app);
    return rc;
}

static int show_op(struct app *app, const char *client_id)
{
    char err[CLI_ERR_SIZE];
    struct store_access acc;
    int rc = admin_access_get(app, NULL, client_id, &acc, err, sizeof(err));
    if (rc)
        return cli_service_error(rc, err);
    rc = print_access(&acc, NULL);
    store_access_cleanup(&acc);
    return rc;
}

static int revoke_op(struct app *app, const char *client_id)
{
    char err[CLI_ERR_SIZE];
    int rc = admin_access_revoke(app, NULL, client_id, "cli", err, sizeof(err));
    return rc ? cli_service_error(rc, err) : CLI_OK;
}

static int rotate_op(struct app *app, const char *client_id)
{
    char err[CLI_ERR_SIZE], secret[ADMIN_SECRET_SIZE];
    struct store_access acc;
    int rc =
        admin_access_rotate_secret(app, NULL, client_id, "cli", &acc, secret, err, sizeof(err));
    if (rc)
        return cli_service_error(rc, err);
    rc = print_access(&acc, secret);
    sodium_memzero(secret, sizeof(secret));
    store_access_cleanup(&acc);
    return rc;
}

static int show(int argc, char **argv)
{
    return one_access(argc, argv, show_op);
}

static int revoke(int argc, char **argv)
{
    return one_access(argc, argv, revoke_op);
}

static int rotate(int argc, char **argv)
{
    return one_access(argc, argv, rotate_op);
}

int cli_cmd_access(int argc, char **argv)
{
    static const struct cli_verb verbs[] = {
        {"create", create},        {"list", list}, {"show", show}, {"revoke", revoke},
        {"rotate-secret", rotate}, {NULL, NULL},
    };
    return cli_run_verb(argc, argv, verbs, usage);
}
