/* SPDX-License-Identifier: MIT */
/* libFuzzer: the application/x-www-form-urlencoded parser (bodies and query strings) and
 * percent-decoding. Checks that every decoded item is a NUL-terminated string inside what
 * the parser owns, and that decoding never grows a string. */
#include "fuzz_common.h"
#include "http/http.h"

#include <assert.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_strndup(data, size);
    struct http_form form;
    if (http_form_parse(body, size, &form) == 0) {
        assert(form.n <= 64);
        for (size_t i = 0; i < form.n; i++)
            assert(strlen(form.items[i].name) + strlen(form.items[i].value) <= size);
        int count = 0;
        (void)http_form_get(&form, "client_id", &count);
        http_form_cleanup(&form);
    }
    size_t before = strlen(body);
    if (http_url_decode(body, true) == 0)
        assert(strlen(body) <= before);
    free(body);
    return 0;
}
