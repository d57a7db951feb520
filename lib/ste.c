/*
 * ste.c - Stream Table Entry decoding and validation (SMMUv3 section 5.2
 * and the SteIllegal pseudocode of 5.2.2).
 *
 * The SMMU this decodes for is fixed as lib/features.h describes: AArch64
 * tables only (IDR0.TTF = 2), little-endian only (IDR0.TTENDIAN = 2),
 * STALL_MODEL = 1, no HTTU, no ATS/PRI, no Hyp, IDR5.VAX = 0, DS = 0,
 * STT = 0, IAS = OAS.  Every row below makes the STE ILLEGAL
 * (C_BAD_STE), unless it says how a field is folded instead.
 *
 *  Always:
 *   V (dw0[0]) = 0                                  -> ILLEGAL
 *   Config (dw0[3:1]) = 0b0xx                       -> usable, ABORT; no
 *                                                      other field checked
 *   Config = 0b100                                  -> usable, BYPASS;
 *                                                      only MEV, EATS,
 *                                                      PRIVCFG, INSTCFG
 *                                                      and S2VMID decoded
 *   Config = 0b1x1 with IDR0.S1P = 0                -> ILLEGAL
 *   Config = 0b11x with IDR0.S2P = 0                -> ILLEGAL
 *  STRW (dw1[31:30]), checked only for Config = 0b101 (it is IGNORED
 *  when stage 2 is enabled: the world is NS-EL1):
 *   STRW = 0bx1 (reserved)                          -> ILLEGAL
 *   STRW = 0b10 (NS-EL2) with IDR0.Hyp = 0          -> ILLEGAL
 *  Stage 1 enabled (Config = 0b1x1):
 *   S1STALLD (dw1[27]) = 1 with STALL_MODEL != 0    -> ILLEGAL
 *   S1CDMax (dw0[63:59]) > IDR1.SSIDSIZE            -> ILLEGAL
 *   S1Fmt (dw0[5:4]) in {1, 2}, IDR0.CD2L = 0,
 *     S1CDMax != 0                                  -> ILLEGAL
 *   S1ContextPtr (dw0[55:6]) >= 2^OAS (= 2^IAS)     -> ILLEGAL
 *   S1Fmt = 3                                       -> treated as 0
 *   S1DSS (dw1[1:0]) = 3                            -> treated as 0
 *  Stage 2 enabled (Config = 0b11x):
 *   S2S (dw2[57]) = 1 with STALL_MODEL = 1          -> ILLEGAL
 *   S2AA64 (dw2[51]) = 0 (VMSAv8-32, TTF = 2)       -> ILLEGAL
 *   S2ENDI (dw2[52]) = 1 (TTENDIAN = LE only)       -> ILLEGAL
 *   S2HA (dw2[56]) or S2HD (dw2[55]) = 1, HTTU = 0  -> ILLEGAL
 *   S2TG (dw2[47:46]) = 3 (reserved)                -> ILLEGAL
 *   S2TG granule not in IDR5.GRAN4K/16K/64K         -> ILLEGAL
 *   S2PS (dw2[50:48]): eff_S2PS = MIN(S2PS, OAS); the reserved
 *     encoding 7 is taken as OAS                    -> folded
 *   S2T0SZ (dw2[37:32]) outside [MAX(16, 64 - IAS), 39]
 *     (lower bound 12 instead of 16 for 64KB)       -> ILLEGAL
 *   S2SL0 (dw2[39:38]) reserved for the granule
 *     (4KB: 3 needs STT; 16KB: 3 needs DS; 64KB: 3) -> ILLEGAL
 *   S2SL0/S2T0SZ/S2TG inconsistent:
 *     not g + (3 - L)s < ia <= g + (4 - L)s + 4
 *     (ia = 64 - S2T0SZ, s = g - 3; the ia caps of 48 bits for 4KB/16KB
 *     and of 52 bits for 64KB with OAS = 52 follow from the S2T0SZ
 *     range above)                                  -> ILLEGAL
 *   S2TTB (dw3[55:4]) >= 2^eff_S2PS                 -> ILLEGAL
 *   S2TTB above 48 bits with a 4KB/16KB granule     -> ILLEGAL
 *   S2TTB bits below the (concatenated) start-table size -> taken as 0
 *  VMID:
 *   s2.vmid = S2VMID (dw2[15:0]) whenever IDR0.S2P = 1, also for S1-only
 *   STEs (it tags their TLB entries).  With IDR0.VMID16 = 0 and
 *   S2VMID[15:8] != 0 in a translating STE (Config 0b101/0b11x)
 *                                                   -> ILLEGAL
 *  Not checked: EATS (IGNORED without IDR0.ATS; decoded raw), and the
 *  attribute fields (S1CIR/COR/CSH, MemAttr, SHCFG, NSCFG, S2IR0/OR0/
 *  SH0, S2FWB, S2PTW's Device check is the walker's), which do not change
 *  what this emulator does.
 */
#include <string.h>

#include "bits.h"
#include "event.h"
#include "features.h"
#include "ste.h"

/* STE.Config values (dw0[3:1]). */
#define STE_CFG_S1 1u		/* bit 0: stage 1 translates */
#define STE_CFG_S2 2u		/* bit 1: stage 2 translates */
#define STE_CFG_EN 4u		/* bit 2: traffic passes */

int
smmu_s2_start_level(unsigned s2sl0, unsigned granule)
{
	static const int lvl4k[4] = { 2, 1, 0, -1 };	/* 3: STT only */
	static const int lvl16k[4] = { 3, 2, 1, -1 };	/* 3: DS only */
	static const int lvl64k[4] = { 3, 2, 1, -1 };	/* 3: reserved */

	if (s2sl0 > 3)
		return -1;
	switch (granule) {
	case 12:
		return lvl4k[s2sl0];
	case 14:
		return lvl16k[s2sl0];
	case 16:
		return lvl64k[s2sl0];
	default:
		return -1;
	}
}

/* Shift of the region one descriptor maps at level l for granule g. */
static unsigned
ste_level_shift(unsigned g, unsigned l)
{
	return g + (3 - l) * (g - 3);
}

/*
 * Decode the stage-1 fields (Config 0b1x1) into *s; returns NULL or the
 * rule the STE breaks.
 */
static const char *
ste_decode_s1(const uint64_t dw[8], const struct smmu_features *f,
    struct smmu_ste *s)
{
	unsigned fmt = BITS(dw[0], 5, 4);
	unsigned cdmax = BITS(dw[0], 63, 59);
	uint64_t ptr = FIELD_ADDR(dw[0], 55, 6);

	/* STALL_MODEL = 1: stall configurations are ILLEGAL. */
	if (BIT(dw[1], 27))
		return "STE.S1STALLD is 1 but SMMU_IDR0.STALL_MODEL is not 0";
	if (cdmax > f->ssid_bits)
		return "STE.S1CDMax is greater than SMMU_IDR1.SSIDSIZE";
	if ((fmt == 1 || fmt == 2) && !f->cd_2level && cdmax != 0)
		return "STE.S1Fmt selects a 2-level CD table but "
		    "SMMU_IDR0.CD2L is 0";
	/* A PA, or an IPA when nested; IAS = OAS here. */
	if ((ptr >> f->oas) != 0)
		return "STE.S1ContextPtr is outside the OAS/IAS";
	s->s1fmt = fmt == 3 ? 0 : fmt;		/* 0b11 behaves as 0b00 */
	s->s1cdmax = cdmax;
	s->s1dss = BITS(dw[1], 1, 0);
	if (s->s1dss == 3)
		s->s1dss = 0;			/* 0b11 behaves as 0b00 */
	s->s1stalld = BIT(dw[1], 27);	/* 0: checked above */
	s->s1ctxptr = ptr;
	return NULL;
}

/*
 * Decode the stage-2 fields (Config 0b11x) into *s2 (all but the VMID);
 * returns NULL or the rule the STE breaks.
 */
static const char *
ste_decode_s2(const uint64_t dw[8], const struct smmu_features *f,
    struct smmu_s2cfg *s2)
{
	unsigned g, gbit, ps, tsz, mintsz, ia, s, l, w;
	uint64_t ttb, align;
	int lvl;

	if (BIT(dw[2], 57))
		return "STE.S2S is 1 but SMMU_IDR0.STALL_MODEL is 1 "
		    "(no stalling)";
	if (!BIT(dw[2], 51))
		return "STE.S2AA64 is 0 but only AArch64 tables are "
		    "supported (SMMU_IDR0.TTF = 2)";
	if (BIT(dw[2], 52))
		return "STE.S2ENDI is 1 but SMMU_IDR0.TTENDIAN is "
		    "little-endian only";
	if (BIT(dw[2], 55) || BIT(dw[2], 56))
		return "STE.S2HD or STE.S2HA is 1 but SMMU_IDR0.HTTU is 0";

	switch (BITS(dw[2], 47, 46)) {		/* S2TG */
	case 0:
		g = 12;
		gbit = SMMU_GRAN_4K;
		break;
	case 1:
		g = 16;
		gbit = SMMU_GRAN_64K;
		break;
	case 2:
		g = 14;
		gbit = SMMU_GRAN_16K;
		break;
	default:
		return "STE.S2TG is 3 (reserved)";
	}
	if (!(f->granules & gbit))
		return "STE.S2TG selects a granule this SMMU does not "
		    "implement";

	/* eff_S2PS = MIN(S2PS, OAS); reserved encodings act as OAS. */
	ps = smmu_pa_bits(BITS(dw[2], 50, 48));
	if (ps == 0 || ps > f->oas)
		ps = f->oas;

	/* VAX = 0, no STT: [MAX(16, 64 - IAS), 39]; 12 for 64KB. */
	tsz = BITS(dw[2], 37, 32);
	mintsz = g == 16 ? 12 : 16;
	if (64 - f->oas > mintsz)
		mintsz = 64 - f->oas;
	if (tsz < mintsz || tsz > 39)
		return "STE.S2T0SZ is outside [MAX(16, 64 - IAS), 39]";

	lvl = smmu_s2_start_level(BITS(dw[2], 39, 38), g);
	if (lvl < 0)
		return "STE.S2SL0 is reserved for the S2TG granule";
	l = (unsigned)lvl;

	/*
	 * SMMUv3 5.2 S2SL0: the start level resolves at least one bit and
	 * at most s + 4 bits (up to 16 concatenated tables).
	 */
	ia = 64 - tsz;
	s = g - 3;
	if (ia <= ste_level_shift(g, l) || ia > g + (4 - l) * s + 4)
		return "STE.S2SL0 is inconsistent with STE.S2T0SZ and "
		    "STE.S2TG";

	ttb = FIELD_ADDR(dw[3], 55, 4);
	if ((ttb >> ps) != 0)
		return "STE.S2TTB is outside the effective STE.S2PS";
	if (g < 16 && (ttb >> 48) != 0)
		return "STE.S2TTB is above 48 bits with a 4KB or 16KB "
		    "granule";
	/* The start table (all concatenated tables) is size aligned. */
	w = ia - ste_level_shift(g, l);
	align = (uint64_t)8 << w;
	if (ps == 52 && align < 64)
		align = 64;
	ttb &= ~(align - 1);

	s2->ttb = ttb;
	s2->tsz = tsz;
	s2->sl = l;
	s2->granule = g;
	s2->ps = ps;
	s2->affd = BIT(dw[2], 53);
	s2->ptw = BIT(dw[2], 54);
	s2->record = BIT(dw[2], 58);
	return NULL;
}

int
smmu_ste_decode(const uint64_t dw[8], const struct smmu_features *f,
    struct smmu_ste *ret, const char **why)
{
	struct smmu_ste s;
	const char *w = NULL;
	unsigned config, strw, vmid;

	memset(&s, 0, sizeof(s));
	if (!BIT(dw[0], 0)) {
		w = "STE.V is 0";
		goto illegal;
	}
	config = BITS(dw[0], 3, 1);
	if (!(config & STE_CFG_EN)) {
		/* 0b0xx: abort without an event; nothing else matters. */
		s.config = SMMU_STE_ABORT;
		*ret = s;
		return 0;
	}
	if ((config & STE_CFG_S1) && !f->s1p) {
		w = "STE.Config enables stage 1 but SMMU_IDR0.S1P is 0";
		goto illegal;
	}
	if ((config & STE_CFG_S2) && !f->s2p) {
		w = "STE.Config enables stage 2 but SMMU_IDR0.S2P is 0";
		goto illegal;
	}
	switch (config) {
	case 4:
		s.config = SMMU_STE_BYPASS;
		break;
	case 5:
		s.config = SMMU_STE_S1;
		break;
	case 6:
		s.config = SMMU_STE_S2;
		break;
	default:
		s.config = SMMU_STE_NESTED;
		break;
	}

	s.mev = BIT(dw[1], 19);
	s.eats = BITS(dw[1], 29, 28);		/* IGNORED: IDR0.ATS = 0 */
	s.privcfg = BITS(dw[1], 49, 48);
	s.instcfg = BITS(dw[1], 51, 50);

	/* STRW is used only by S1-only STEs (0b11x is always NS-EL1). */
	if (config == 5) {
		strw = BITS(dw[1], 31, 30);
		if (strw & 1) {
			w = "STE.STRW is reserved (0bx1)";
			goto illegal;
		}
		if (strw == 2) {
			w = "STE.STRW selects NS-EL2 but SMMU_IDR0.Hyp is 0";
			goto illegal;
		}
		s.strw = strw;
	}

	if (config & STE_CFG_S1) {
		w = ste_decode_s1(dw, f, &s);
		if (w != NULL)
			goto illegal;
	}
	if (config & STE_CFG_S2) {
		w = ste_decode_s2(dw, f, &s.s2);
		if (w != NULL)
			goto illegal;
	}

	/* S2VMID tags every NS-EL1 translation when S2P = 1. */
	if (f->s2p) {
		vmid = BITS(dw[2], 15, 0);
		if (config != 4 && !f->vmid16 && BITS(vmid, 15, 8) != 0) {
			w = "STE.S2VMID[15:8] is not 0 but SMMU_IDR0.VMID16 "
			    "is 0";
			goto illegal;
		}
		s.s2.vmid = vmid;
	}
	*ret = s;
	return 0;

illegal:
	if (why != NULL)
		*why = w;
	return SMMU_EVT_C_BAD_STE;
}
