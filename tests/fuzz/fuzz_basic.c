/* SPDX-License-Identifier: MIT */
/* libFuzzer: HTTP Basic decoding (RFC 7617 + the form-decoding of RFC 6749 §2.3.1) and the
 * Bearer reader, on an Authorization header value taken from the input. */
#include "fuzz_common.h"
#include "http/http.h"

#include <assert.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_strndup(data, size);
    struct http_kv header = {"Authorization", value};
    struct http_request req = {.method = "POST",
                               .path = "/a/token",
                               .body = "",
                               .remote_addr = "127.0.0.1",
                               .headers = &header,
                               .nheaders = 1};
    char *id = NULL, *secret = NULL;
    int rc = http_basic_parse(&req, &id, &secret);
    if (rc == 0) {
        assert(id && secret);
        assert(strlen(id) + strlen(secret) < size);
    } else {
        assert(!id && !secret);
    }
    free(id);
    free(secret);
    const char *bearer = http_bearer(&req);
    assert(!bearer || (bearer >= value && bearer <= value + size));
    free(value);
    return 0;
}
