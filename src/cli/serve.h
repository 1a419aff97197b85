/* SPDX-License-Identifier: MIT */
/* `rcauth serve`: the HTTP server and its background maintenance. */
#ifndef RCAUTH_SERVE_H
#define RCAUTH_SERVE_H

#include "app.h"

/* Run the server for app until SIGINT or SIGTERM; then drain requests in flight and
 * return 0 (1 when it could not start). */
int serve_run(struct app *app);

#endif
