/* SPDX-License-Identifier: MIT */
/* The error convention shared by every module: a function that can fail returns 0 or a
 * negative enum rc_err, and hands its results back through out-parameters. */
#ifndef RCAUTH_RC_H
#define RCAUTH_RC_H

enum rc_err {
    RC_OK = 0,
    RC_EINVAL = -1,    /* bad input */
    RC_ENOTFOUND = -2, /* no such row / thing */
    RC_ECONFLICT = -3, /* already exists, or a concurrent change won */
    RC_ESTORE = -4,    /* the database failed */
    RC_EIO = -5,       /* file or socket failed */
    RC_ECRYPTO = -6,   /* a crypto primitive failed, or a signature did not verify */
    RC_ELIMIT = -7,    /* a size or count cap was hit */
    RC_EUNAVAIL = -8,  /* the database cannot be reached now (down, restarting, timed out):
                        * worth retrying, answered 503 */
};

#define RC_MUST_CHECK __attribute__((warn_unused_result))

/* A short constant name for an error code, for logs. */
const char *rc_strerror(int err);

#endif
