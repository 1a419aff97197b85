/* SPDX-License-Identifier: MIT */
/* The command line (SPEC §11, docs/cli.md): the subcommand dispatcher, and the option
 * parsing and store opening every subcommand shares (serve included, in serve.c).
 * Exit codes: 0 ok, 1 runtime failure, 2 usage error; a failure prints one line on stderr
 * ("rcauth: …"); --help prints the usage on stdout and exits 0. */
#ifndef RCAUTH_CLI_H
#define RCAUTH_CLI_H

#include <stdbool.h>

struct app;

enum cli_exit { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };
#define CLI_CONTINUE (-1) /* cli_start(): go on with the command */

enum cli_arg_kind {
    CLI_NOARG, /* --flag */
    CLI_ARG,   /* --flag VALUE or --flag=VALUE; the last one given wins */
    CLI_ARGS,  /* like CLI_ARG, may be repeated; every value is kept */
};

/* One long option. Tables end with an entry whose name is NULL. */
struct cli_option {
    const char *name; /* without the leading "--" */
    enum cli_arg_kind kind;
    bool required;
    /* When not NULL, the config_set() option this flag feeds (cli_open_app); a CLI_NOARG
     * flag then sets it to config_value ("--no-refresh-tokens" → "refresh-tokens=false"). */
    const char *config_name;
    const char *config_value;
};

/* --data, --db, --config: every subcommand that opens the store. */
extern const struct cli_option cli_store_options[];
/* --listen, --public-url, --max-token-lifetime, --no-refresh-tokens, --threads,
 * --log-level: serve's own (all feed the config). */
extern const struct cli_option cli_serve_options[];

#define CLI_MAX_ITEMS 64

/* A parsed command line; values borrowed from argv. */
struct cli_args {
    const struct cli_option *opt[CLI_MAX_ITEMS]; /* options in the order given */
    const char *val[CLI_MAX_ITEMS];              /* their values (NULL for CLI_NOARG) */
    int n;
    const char *pos[CLI_MAX_ITEMS]; /* positional arguments */
    int npos;
    bool help; /* -h or --help was given */
};

/* Parse argv[0..argc) (the arguments after the subcommand's name) against tables, a
 * NULL-terminated array of option tables. "--" ends the options. Returns 0, or CLI_USAGE
 * after printing one line on stderr (unknown option, missing value, missing required
 * option — the last not checked when help is set). */
int cli_parse(int argc, char **argv, const struct cli_option *const *tables, struct cli_args *out);
/* The usual start of a command: parse, then on --help print usage on stdout and return
 * CLI_OK; on a usage error (or fewer than min_pos / more than max_pos positional
 * arguments) return CLI_USAGE; otherwise CLI_CONTINUE. */
int cli_start(int argc, char **argv, const struct cli_option *const *tables, int min_pos,
              int max_pos, const char *usage, struct cli_args *out);

/* The last value of option name, or NULL. */
const char *cli_value(const struct cli_args *a, const char *name);
/* Every value of a repeatable option, in order, into out (up to max); returns how many. */
int cli_values(const struct cli_args *a, const char *name, const char **out, int max);
/* true when the CLI_NOARG option name was given. */
bool cli_flag(const struct cli_args *a, const char *name);

/* Build the config (defaults < INI file < RCAUTH_* variables < the flags of a that have a
 * config_name) and open the app. Returns CLI_OK, or CLI_FAIL (bad config: CLI_USAGE) after
 * printing "rcauth: …". *out: caller frees with app_free(). */
int cli_open_app(const struct cli_args *a, struct app **out);

/* Print "rcauth: <message>" on stderr and return code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Entry point: argv[0] is the program, argv[1] the subcommand. Returns the exit code. */
int cli_main(int argc, char **argv);
/* `rcauth serve` (serve.c). argv[0] is "serve", options follow. Returns the exit code. */
int cli_serve(int argc, char **argv);

#endif
