/* SPDX-License-Identifier: MIT */
/* base64url without padding (RFC 4648 §5), as JWS uses it (RFC 7515 §2). The decoder is
 * strict: one spelling per byte string, so a token cannot be altered without changing its
 * text. Callers size the buffers; nothing here allocates. */
#include "token/token.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of c in the alphabet, or -1. */
static int value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

size_t base64url_encoded_len(size_t len)
{
    static const size_t tail[3] = {0, 2, 3};
    return len / 3 * 4 + tail[len % 3];
}

void base64url_encode(const uint8_t *in, size_t len, char *out)
{
    size_t i = 0;
    char *o = out;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = alphabet[v >> 6 & 63];
        *o++ = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = alphabet[v >> 6 & 63];
    }
    *o = '\0';
}

int base64url_append(struct buf *out, const void *in, size_t len)
{
    size_t n = base64url_encoded_len(len);
    char *at = buf_extend(out, n);
    if (!at)
        return RC_ELIMIT;
    base64url_encode(in, len, at); /* its NUL lands on the one buf_extend wrote */
    return 0;
}

/* Decoded size of len chars, or SIZE_MAX when no byte string encodes to that many: one
 * leftover char carries only 6 bits (RFC 4648 §4, the final quantum). */
static size_t decoded_len(size_t len)
{
    static const size_t tail[4] = {0, SIZE_MAX, 1, 2};
    if (tail[len % 4] == SIZE_MAX)
        return SIZE_MAX;
    return len / 4 * 3 + tail[len % 4];
}

int base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    size_t n = decoded_len(len);
    if (n == SIZE_MAX)
        return RC_EINVAL;
    if (n > out_cap)
        return RC_ELIMIT;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = value((unsigned char)in[i]);
        if (v < 0)
            return RC_EINVAL; /* '=', '+', '/', whitespace, NUL… */
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* RFC 4648 §3.5: the pad bits of the last char must be zero, or two texts would decode
     * to the same bytes. */
    if (acc != 0)
        return RC_EINVAL;
    *out_len = o;
    return 0;
}
