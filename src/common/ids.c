/* SPDX-License-Identifier: MIT */
/* Id and secret generation, hex coding. */
#include "common/ids.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

static const char hex_digits[] = "0123456789abcdef";

void hex_encode(const uint8_t *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digits[in[i] >> 4];
        out[2 * i + 1] = hex_digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *in, uint8_t *out, size_t len)
{
    if (strlen(in) != 2 * len)
        return RC_EINVAL;
    for (size_t i = 0; i < len; i++) {
        int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return RC_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void id_xid_new(char *out)
{
    /* 12 bytes: 4 of seconds (big-endian, so ids sort by creation) and 8 random,
     * written as 20 base32hex digits like xid. */
    static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
    uint8_t raw[12];
    uint32_t t = (uint32_t)time(NULL);
    raw[0] = (uint8_t)(t >> 24);
    raw[1] = (uint8_t)(t >> 16);
    raw[2] = (uint8_t)(t >> 8);
    raw[3] = (uint8_t)t;
    randombytes_buf(raw + 4, 8);
    /* 96 bits → 20 digits of 5 bits (the last one carries 1 bit of padding). */
    unsigned acc = 0, bits = 0, o = 0;
    for (size_t i = 0; i < sizeof(raw); i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits)
        out[o++] = b32[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

void id_uuid_new(char *out)
{
    uint8_t r[16];
    randombytes_buf(r, sizeof(r));
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char h[33];
    hex_encode(r, 16, h);
    memcpy(out, h, 8);
    out[8] = '-';
    memcpy(out + 9, h + 8, 4);
    out[13] = '-';
    memcpy(out + 14, h + 12, 4);
    out[18] = '-';
    memcpy(out + 19, h + 16, 4);
    out[23] = '-';
    memcpy(out + 24, h + 20, 12);
    out[36] = '\0';
}

void id_secret_new(char *out)
{
    uint8_t r[32];
    randombytes_buf(r, sizeof(r));
    hex_encode(r, sizeof(r), out);
    sodium_memzero(r, sizeof(r));
}

bool id_is_uuid(const char *s)
{
    if (strlen(s) != ID_UUID_LEN)
        return false;
    for (int i = 0; i < ID_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (hex_value(s[i]) < 0) {
            return false;
        }
    }
    return true;
}

bool id_is_valid_name_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

uint32_t id_hash(const char *id)
{
    uint32_t h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h;
}
