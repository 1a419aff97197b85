/* SPDX-License-Identifier: MIT */
/* Tests of the 8 bytes of a word at once, for the scans that look at every byte of a
 * request or an answer ("Bit Twiddling Hacks"). Each mask is nonzero exactly when some byte
 * passes the test; which bits are set says nothing more (a borrow may set one above a byte
 * that passes), so only compare it with zero. */
#ifndef RCAUTH_SWAR_H
#define RCAUTH_SWAR_H

#include <stdint.h>

#define SWAR_ONES UINT64_C(0x0101010101010101)
#define SWAR_HIGH UINT64_C(0x8080808080808080)

/* Some byte of w is below n (n at most 0x80). */
static inline uint64_t swar_bytes_below(uint64_t w, unsigned n)
{
    return (w - SWAR_ONES * n) & ~w & SWAR_HIGH;
}

/* Some byte of w is b. */
static inline uint64_t swar_bytes_equal(uint64_t w, unsigned char b)
{
    return swar_bytes_below(w ^ (SWAR_ONES * b), 1);
}

#endif
