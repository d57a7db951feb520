/*
 * strtab.c - finding a StreamID's STE through the stream table (SMMUv3
 * sections 3.3.1-3.3.2, 6.3.24 STRTAB_BASE, 6.3.25 STRTAB_BASE_CFG).
 *
 * L = MIN(LOG2SIZE, IDR1.SIDSIZE) is the effective table size, used for
 * the StreamID range check and every index and alignment computation
 * (6.3.25: "the effective LOG2SIZE is MIN(LOG2SIZE, SMMU_IDR1.SIDSIZE)
 * for the purposes of input StreamID range checking and upper/lower/linear
 * Stream table index address calculation").
 *
 *  - sid >= 2^L                                     -> C_BAD_STREAMID
 *  - FMT (CFG[17:16]) = 1 with IDR0.ST_LEVEL = 1 is 2-level; any other
 *    value (or 2-level without ST_LEVEL) behaves as linear (FMT = 0).
 *  - Linear: STE at (ADDR[55:6] with [L+5:0] cleared) + 64 * sid.
 *  - 2-level: SPLIT (CFG[10:6]) in {6, 8, 10}, else 6.  The L1 table of
 *    MAX(1, 2^(L - SPLIT)) 8-byte L1STDs is aligned to MAX(64, its size)
 *    (low bits of ADDR cleared).  L1STD at base + 8 * (sid >> SPLIT):
 *    Span[4:0], L2Ptr[55:6].
 *      Span = 0, or Span > SPLIT + 1 (which covers the reserved 12..31)
 *                                                   -> C_BAD_STREAMID
 *      l2 = sid & (2^SPLIT - 1) >= 2^(Span - 1)     -> C_BAD_STREAMID
 *      STE at L2Ptr (aligned to the L2 table size, 64 * 2^(Span - 1))
 *      + 64 * l2.
 *  - L1STD or STE not backed by guest memory       -> F_STE_FETCH with
 *                                                      FetchAddr
 */
#include <string.h>

#include "bits.h"
#include "strtab.h"

/*
 * Address of the STE of sid in a 2-level table, or 1 with *evt filled.
 */
static int
strtab_2l_addr(const struct gmem *g, uint64_t addr, unsigned l,
    unsigned split, uint32_t sid, uint64_t *ret_addr,
    struct smmu_event *evt)
{
	uint64_t l1size, l1std_addr, l1std, l2ptr, l2;
	unsigned span;

	if (split != 6 && split != 8 && split != 10)
		split = 6;			/* reserved values act as 6 */
	l1size = 8 * (l > split ? (uint64_t)1 << (l - split) : 1);
	if (l1size < 64)
		l1size = 64;
	l1std_addr = (addr & ~(l1size - 1)) + 8 * (uint64_t)(sid >> split);
	if (gmem_read64(g, l1std_addr, &l1std) != 0)
		return smmu_event_config(evt, SMMU_EVT_F_STE_FETCH, l1std_addr,
		    "L1STD is not backed by guest memory");
	span = BITS(l1std, 4, 0);
	if (span == 0)
		return smmu_event_config(evt, SMMU_EVT_C_BAD_STREAMID, 0,
		    "L1STD.Span is 0 (no L2 table)");
	if (span > split + 1)
		return smmu_event_config(evt, SMMU_EVT_C_BAD_STREAMID, 0,
		    "L1STD.Span is greater than SPLIT + 1");
	l2 = sid & bits_low(split);
	if ((l2 >> (span - 1)) != 0)
		return smmu_event_config(evt, SMMU_EVT_C_BAD_STREAMID, 0,
		    "StreamID is beyond the L2 table's Span");
	/* The L2 table is aligned to its size, 64 * 2^(Span - 1). */
	l2ptr = FIELD_ADDR(l1std, 55, 6) & ~bits_low(span - 1 + 6);
	*ret_addr = l2ptr + 64 * l2;
	return 0;
}

int
smmu_strtab_fetch(const struct gmem *g, const struct smmu_features *f,
    uint64_t strtab_base, uint32_t strtab_cfg, uint32_t sid,
    uint64_t dw[8], uint64_t *ret_addr, struct smmu_event *evt)
{
	unsigned log2size = BITS(strtab_cfg, 5, 0);
	unsigned split = BITS(strtab_cfg, 10, 6);
	unsigned fmt = BITS(strtab_cfg, 17, 16);
	unsigned l = log2size < f->sid_bits ? log2size : f->sid_bits;
	uint64_t addr = FIELD_ADDR(strtab_base, 55, 6), ste = 0;

	if (((uint64_t)sid >> l) != 0)
		return smmu_event_config(evt, SMMU_EVT_C_BAD_STREAMID, 0,
		    "StreamID is not below 2^MIN(LOG2SIZE, SIDSIZE)");
	if (fmt == 1 && f->st_2level) {
		if (strtab_2l_addr(g, addr, l, split, sid, &ste, evt) != 0)
			return 1;
	} else {
		/* Linear (FMT = 0, or a value that behaves as 0). */
		ste = (addr & ~bits_low(l + 6)) + 64 * (uint64_t)sid;
	}
	/* One locked read, so an STE the engine writes is never torn. */
	if (gmem_read_words(g, ste, dw, 8) != 0)
		return smmu_event_config(evt, SMMU_EVT_F_STE_FETCH, ste,
		    "STE is not backed by guest memory");
	if (ret_addr != NULL)
		*ret_addr = ste;
	return 0;
}
