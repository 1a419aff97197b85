/* SPDX-License-Identifier: MIT */
/* rcauth: process-wide initialisation, then the command line decides. */
#include "cli/cli.h"
#include "common/timeutil.h"

#include <sodium.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fputs("rcauth: libsodium failed to initialise\n", stderr);
        return 1;
    }
    time_init();
    return cli_main(argc, argv);
}
