/* SPDX-License-Identifier: MIT */
/* What every libFuzzer target shares: a NUL-terminated copy of the input (so that ASan sees
 * any read past its end), and splitting one input into several fields at '\n', which lets
 * one target drive a function of several strings. */
#ifndef RCAUTH_FUZZ_COMMON_H
#define RCAUTH_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Caller frees. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Cut s in place into at most n fields at '\n'; the last field keeps the rest (and any
 * further '\n'). Missing fields are "". Returns how many were present. */
static inline int fuzz_fields(char *s, char **out, int n)
{
    int got = 0;
    for (int i = 0; i < n; i++)
        out[i] = (char *)"";
    while (s && got < n) {
        out[got++] = s;
        char *nl = got < n ? strchr(s, '\n') : NULL;
        if (nl)
            *nl++ = '\0';
        s = nl;
    }
    return got;
}

#endif
