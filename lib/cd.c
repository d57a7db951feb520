/*
 * cd.c - Context Descriptor decoding and CD-table lookup (SMMUv3 sections
 * 5.4, 5.4.1 and the CD validity rules of 5.4).
 *
 * The SMMU is fixed as lib/features.h describes (AArch64 and little-endian
 * tables only, STALL_MODEL = 1, no HTTU, IDR5.VAX = 0, DS = 0, STT = 0,
 * only NS-EL1 StreamWorlds, so both TTB halves exist).  Every row below
 * makes the CD ILLEGAL (C_BAD_CD) unless it says how a field is folded:
 *
 *   V (dw0[31]) = 0                                 -> ILLEGAL
 *   AA64 (dw0[41]) = 0 (IDR0.TTF = 2)               -> ILLEGAL
 *   ENDI (dw0[15]) = 1 (IDR0.TTENDIAN = LE)         -> ILLEGAL
 *   HD (dw0[42]) or HA (dw0[43]) = 1, HTTU = 0      -> ILLEGAL
 *   S (dw0[44]) = 1 with STE.S1STALLD = 1           -> ILLEGAL
 *   S = 1 with IDR0.STALL_MODEL = 1                 -> ILLEGAL
 *   A (dw0[46]) = 0 with IDR0.TERM_MODEL = 1        -> ILLEGAL
 *   ASID[15:8] (dw0[63:56]) != 0, IDR0.ASID16 = 0   -> ILLEGAL
 *   IPS (dw0[34:32]): eff_IPS = MIN(IPS, OAS); the reserved encoding 7
 *     is taken as OAS                               -> folded
 *   For each of TTB0/TTB1 whose EPDx (dw0[14] / dw0[30]) is 0:
 *     TxSZ (dw0[5:0] / dw0[21:16]) outside [16, 39] -> ILLEGAL
 *     TG0 (dw0[7:6]: 0 4KB, 1 64KB, 2 16KB) = 3     -> ILLEGAL
 *     TG1 (dw0[23:22]: 1 16KB, 2 4KB, 3 64KB) = 0   -> ILLEGAL
 *     TGx granule not in IDR5.GRAN4K/16K/64K        -> ILLEGAL
 *     TTBx (dw1[55:4] / dw2[55:4]) >= 2^eff_IPS     -> ILLEGAL
 *     TTBx above 48 bits with a 4KB/16KB granule    -> ILLEGAL
 *     TTBx bits below the start-table size (8 * 2^w bytes, w = ia -
 *     shift(start level), at least 64 bytes with a 52-bit eff_IPS)
 *                                                   -> taken as 0
 *   A half with EPDx = 1 is not checked; it is decoded as well as it can
 *   be (a reserved or missing granule reads as 4KB, TTB unmasked) and
 *   marked epd.
 *   HAD0 (dw1[1]) / HAD1 (dw2[1]) honoured only with IDR3.HAD, else 0.
 *   Decoded as is: T0SZ/T1SZ, TBI0 (dw0[38]), TBI1 (dw0[39]), AFFD
 *   (dw0[35]), WXN (dw0[36]), PAN (dw0[40]), R (dw0[45]), A, S, ASET
 *   (dw0[47]), ASID (dw0[63:48]), MAIR = dw3 ({MAIR1, MAIR0}).
 *   Not used: UWXN (IGNORED for AArch64), IR/OR/SH, NSCFG, E0PD, AMAIR,
 *   PARTID/PMG.
 */
#include <string.h>

#include "bits.h"
#include "cd.h"
#include "ptw.h"

/* Shift of the region one descriptor maps at level l for granule g. */
static unsigned
cd_level_shift(unsigned g, unsigned l)
{
	return g + (3 - l) * (g - 3);
}

/* IDR5.GRAN* bit of a granule (log2). */
static unsigned
cd_gran_bit(unsigned g)
{
	return g == 12 ? SMMU_GRAN_4K : g == 14 ? SMMU_GRAN_16K :
	    SMMU_GRAN_64K;
}

/*
 * Decode one TTB half from its raw TxSZ, granule (log2; 0 when TGx is
 * reserved), TTBx and EPDx, checking it only when enabled.  Returns NULL
 * or msgs[] naming the rule broken.
 */
static const char *
cd_decode_tt(struct smmu_s1tt *tt, const struct smmu_features *f,
    unsigned tsz, unsigned g, uint64_t ttb, unsigned ips, bool epd,
    const char *const msgs[5])
{
	unsigned ia, l, w;
	uint64_t align;

	tt->epd = epd;
	tt->tsz = tsz;
	if (epd) {
		/* Not checked (SMMUv3 5.4 EPDx); keep a sane geometry. */
		tt->granule = g != 0 && (f->granules & cd_gran_bit(g)) ?
		    g : 12;
		tt->ttb = ttb;
		return NULL;
	}
	if (tsz < 16 || tsz > 39)
		return msgs[0];
	if (g == 0)
		return msgs[1];
	if (!(f->granules & cd_gran_bit(g)))
		return msgs[2];
	if ((ttb >> ips) != 0)
		return msgs[3];
	if (g < 16 && (ttb >> 48) != 0)
		return msgs[4];
	/* Start level = 3 - (ia - 1 - g) / (g - 3) (SMMUv3 5.4, TTBx). */
	ia = 64 - tsz;
	l = 3 - (ia - 1 - g) / (g - 3);
	w = ia - cd_level_shift(g, l);
	align = (uint64_t)8 << w;
	if (ips == 52 && align < 64)
		align = 64;
	tt->granule = g;
	tt->ttb = ttb & ~(align - 1);
	return NULL;
}

int
smmu_cd_decode(const uint64_t dw[8], const struct smmu_features *f,
    const struct smmu_ste *ste, struct smmu_cd *ret, const char **why)
{
	static const char *const msgs0[5] = {
		"CD.T0SZ is outside [16, 39]",
		"CD.TG0 is 3 (reserved)",
		"CD.TG0 selects a granule this SMMU does not implement",
		"CD.TTB0 is outside the effective CD.IPS",
		"CD.TTB0 is above 48 bits with a 4KB or 16KB granule",
	};
	static const char *const msgs1[5] = {
		"CD.T1SZ is outside [16, 39]",
		"CD.TG1 is 0 (reserved)",
		"CD.TG1 selects a granule this SMMU does not implement",
		"CD.TTB1 is outside the effective CD.IPS",
		"CD.TTB1 is above 48 bits with a 4KB or 16KB granule",
	};
	/* TG0: 0 4KB, 1 64KB, 2 16KB; TG1: 1 16KB, 2 4KB, 3 64KB. */
	static const unsigned char tg0[4] = { 12, 16, 14, 0 };
	static const unsigned char tg1[4] = { 0, 14, 12, 16 };
	struct smmu_cd c;
	const char *w = NULL;
	unsigned ips;

	memset(&c, 0, sizeof(c));
	if (!BIT(dw[0], 31)) {
		w = "CD.V is 0";
		goto illegal;
	}
	if (!BIT(dw[0], 41)) {
		w = "CD.AA64 is 0 but only AArch64 tables are supported "
		    "(SMMU_IDR0.TTF = 2)";
		goto illegal;
	}
	if (BIT(dw[0], 15)) {
		w = "CD.ENDI is 1 but SMMU_IDR0.TTENDIAN is little-endian "
		    "only";
		goto illegal;
	}
	if (BIT(dw[0], 42) || BIT(dw[0], 43)) {
		w = "CD.HD or CD.HA is 1 but SMMU_IDR0.HTTU is 0";
		goto illegal;
	}
	if (BIT(dw[0], 44) && ste != NULL && ste->s1stalld) {
		w = "CD.S is 1 but STE.S1STALLD is 1";
		goto illegal;
	}
	if (BIT(dw[0], 44)) {
		w = "CD.S is 1 but SMMU_IDR0.STALL_MODEL is 1 (no stalling)";
		goto illegal;
	}
	if (f->term_model && !BIT(dw[0], 46)) {
		w = "CD.A is 0 but SMMU_IDR0.TERM_MODEL is 1";
		goto illegal;
	}
	if (!f->asid16 && BITS(dw[0], 63, 56) != 0) {
		w = "CD.ASID[15:8] is not 0 but SMMU_IDR0.ASID16 is 0";
		goto illegal;
	}

	/* eff_IPS = MIN(IPS, OAS); reserved encodings act as OAS. */
	ips = smmu_pa_bits(BITS(dw[0], 34, 32));
	if (ips == 0 || ips > f->oas)
		ips = f->oas;

	w = cd_decode_tt(&c.tt[0], f, BITS(dw[0], 5, 0),
	    tg0[BITS(dw[0], 7, 6)], FIELD_ADDR(dw[1], 55, 4), ips,
	    BIT(dw[0], 14), msgs0);
	if (w != NULL)
		goto illegal;
	w = cd_decode_tt(&c.tt[1], f, BITS(dw[0], 21, 16),
	    tg1[BITS(dw[0], 23, 22)], FIELD_ADDR(dw[2], 55, 4), ips,
	    BIT(dw[0], 30), msgs1);
	if (w != NULL)
		goto illegal;
	c.tt[0].tbi = BIT(dw[0], 38);
	c.tt[1].tbi = BIT(dw[0], 39);
	c.tt[0].had = f->had && BIT(dw[1], 1);
	c.tt[1].had = f->had && BIT(dw[2], 1);

	c.mair = dw[3];
	c.asid = BITS(dw[0], 63, 48);
	c.ips = ips;
	c.affd = BIT(dw[0], 35);
	c.wxn = BIT(dw[0], 36);
	c.pan = BIT(dw[0], 40);
	c.record = BIT(dw[0], 45);
	c.abort = BIT(dw[0], 46);
	c.stall = BIT(dw[0], 44);		/* 0: checked above */
	c.aset = BIT(dw[0], 47);
	*ret = c;
	return 0;

illegal:
	if (why != NULL)
		*why = w;
	return SMMU_EVT_C_BAD_CD;
}

/*
 * The PA to read for table address addr of ste: addr itself, or its
 * stage-2 translation (CLASS = CD) when ste is nested.  Returns 0, or 1
 * with *evt holding the stage-2 fault.
 */
static int
cd_table_pa(const struct gmem *g, const struct smmu_ste *ste,
    uint64_t addr, uint64_t *ret_pa, struct smmu_event *evt)
{
	if (ste->config != SMMU_STE_NESTED) {
		*ret_pa = addr;
		return 0;
	}
	if (smmu_ptw_s2_fetch(g, &ste->s2, addr, SMMU_EVT_CLASS_CD, ret_pa,
	    evt) != 0) {
		if (evt->detail == NULL)
			evt->detail = "stage-2 fault translating a CD table "
			    "IPA";
		return 1;
	}
	return 0;
}

int
smmu_cd_fetch(const struct gmem *g, const struct smmu_features *f,
    const struct smmu_ste *ste, uint32_t idx, uint64_t dw[8],
    struct smmu_event *evt)
{
	uint64_t addr = ste->s1ctxptr, pa, l1cd;
	unsigned shift;

	if (ste->s1cdmax == 0) {
		/* Substreams disabled: S1ContextPtr is the single CD. */
		if (idx != 0)
			return smmu_event_config(evt, SMMU_EVT_C_BAD_SUBSTREAMID, 0,
			    "SubstreamID used but STE.S1CDMax is 0");
	} else if ((idx >> ste->s1cdmax) != 0) {
		return smmu_event_config(evt, SMMU_EVT_C_BAD_SUBSTREAMID, 0,
		    "SubstreamID is not below 2^STE.S1CDMax");
	} else if (ste->s1fmt == 0) {
		addr += 64 * (uint64_t)idx;
	} else {
		/* S1Fmt 1: 4KB leaves of 64 CDs; 2: 64KB leaves of 1024. */
		shift = ste->s1fmt == 1 ? 6 : 10;
		addr += 8 * (uint64_t)(idx >> shift);
		if (cd_table_pa(g, ste, addr, &pa, evt) != 0)
			return 1;
		if (gmem_read64(g, pa, &l1cd) != 0)
			return smmu_event_config(evt, SMMU_EVT_F_CD_FETCH, pa,
			    "L1CD is not backed by guest memory");
		if (!BIT(l1cd, 0))
			return smmu_event_config(evt, SMMU_EVT_C_BAD_SUBSTREAMID, 0,
			    "L1CD.V is 0");
		addr = FIELD_ADDR(l1cd, 55, 12) +
		    64 * (uint64_t)(idx & bits_low(shift));
	}
	if (cd_table_pa(g, ste, addr, &pa, evt) != 0)
		return 1;
	if (gmem_read_words(g, pa, dw, 8) != 0)
		return smmu_event_config(evt, SMMU_EVT_F_CD_FETCH, pa,
		    "CD is not backed by guest memory");
	return 0;
}
