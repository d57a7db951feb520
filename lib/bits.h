/*
 * bits.h - bit-field helpers for decoding architected little-endian words.
 *
 * Owns nothing but inline helpers.  Field positions are written exactly as
 * the SMMUv3 specification prints them ("dw0[55:6]" becomes
 * BITS(dw[0], 55, 6)), so decode sites can be checked against the spec
 * by eye.
 */
#ifndef SMMU_BITS_H
#define SMMU_BITS_H

#include <stdint.h>

/* Mask of bits hi..lo inclusive (hi >= lo, hi <= 63). */
#define GENMASK64(hi, lo) \
	((~(uint64_t)0 >> (63 - (hi))) & (~(uint64_t)0 << (lo)))

/* Value of bits hi..lo of v, shifted down to bit 0. */
#define BITS(v, hi, lo) \
	(((uint64_t)(v) & GENMASK64(hi, lo)) >> (lo))

/* Bit n of v as 0 or 1. */
#define BIT(v, n) (((uint64_t)(v) >> (n)) & 1u)

/* Bits hi..lo of v kept in place (an address field such as [55:12]). */
#define FIELD_ADDR(v, hi, lo) ((uint64_t)(v) & GENMASK64(hi, lo))

/* Place value x into bits hi..lo (x is truncated to the field width). */
#define FIELD_PREP(hi, lo, x) \
	(((uint64_t)(x) << (lo)) & GENMASK64(hi, lo))

/* 2^n as uint64_t, with n = 64 giving 0 (the "whole space" case). */
static inline uint64_t
bits_pow2(unsigned n)
{
	return n >= 64 ? 0 : (uint64_t)1 << n;
}

/* Mask of the low n bits; n = 64 gives all ones. */
static inline uint64_t
bits_low(unsigned n)
{
	return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

#endif /* SMMU_BITS_H */
