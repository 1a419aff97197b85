/* SPDX-License-Identifier: MIT */
/* HTTP Basic credentials (RFC 7617) as RFC 6749 §2.3.1 uses them: the client id and
 * secret are form-encoded before being joined by ':' and base64-encoded. This file only
 * decodes; checking the credentials is the OAuth layer's job. */
#include "http/http.h"

#include "common/xmalloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 7617 §2: credentials = "Basic" 1*SP token68, scheme case-insensitive. Returns the
 * token68 (possibly "") or NULL when the header does not use the Basic scheme. */
static const char *basic_token(const char *value)
{
    if (strncasecmp(value, "Basic", 5) != 0)
        return NULL;
    value += 5;
    if (*value != '\0' && *value != ' ')
        return NULL;
    while (*value == ' ')
        value++;
    return value;
}

/* Standard base64 with padding (RFC 4648 §4, not base64url) into a fresh NUL-terminated
 * buffer of capacity *cap. */
static int decode_base64(const char *b64, char **out, size_t *cap)
{
    size_t len = strlen(b64);
    size_t bin_len = 0;
    const char *end = NULL;

    *cap = len / 4 * 3 + 3;
    *out = xmalloc(*cap);
    if (sodium_base642bin((unsigned char *)*out, *cap - 1, b64, len, NULL, &bin_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + len)
        return RC_EINVAL;
    (*out)[bin_len] = '\0';
    if (strlen(*out) != bin_len)
        return RC_EINVAL; /* a NUL byte inside the credentials */
    return 0;
}

/* Split "id:secret" at the first ':' (ids cannot contain one unencoded; secrets can) and
 * form-decode both halves in place. */
static int split_credentials(char *plain, char **id, char **secret)
{
    char *colon = strchr(plain, ':');

    if (!colon)
        return RC_EINVAL;
    *colon = '\0';
    if (http_url_decode(plain, true) != 0 || http_url_decode(colon + 1, true) != 0)
        return RC_EINVAL;
    *id = xstrdup(plain);
    *secret = xstrdup(colon + 1);
    return 0;
}

int http_basic_parse(const struct http_request *r, char **id, char **secret)
{
    const char *value = http_header(r, "Authorization");
    const char *token = value ? basic_token(value) : NULL;
    char *plain = NULL;
    size_t cap = 0;
    int rc;

    *id = NULL;
    *secret = NULL;
    if (!token)
        return RC_ENOTFOUND;
    rc = decode_base64(token, &plain, &cap);
    if (rc)
        goto out;
    rc = split_credentials(plain, id, secret);
out:
    sodium_memzero(plain, cap);
    free(plain);
    return rc;
}
