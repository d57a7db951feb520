/*
 * ptw.c - the AArch64 (VMSAv8-64) page-table walker: stage 1, stage 2 and
 * nested walks for the 4K, 16K and 64K granules (Arm ARM D8.2-D8.4;
 * SMMUv3 sections 3.4, 5.2, 5.4, 7.3.22; SMMUV3.md section 5).
 *
 * Structure.  Each walk first turns the decoded CD / STE fields of a stage
 * into a struct ptw_geom (granule, start level, start-table index width,
 * output-size limit, legal block levels), so the per-level loop in
 * ptw_tables() is only shifts, masks and one gmem_read64() per level.
 * Nothing is allocated and no lock is taken: gmem_read64() is lock-free.
 *
 * Decisions the architecture leaves to us, recorded once here:
 *  - TTBx and S2TTB bits below the start-table size (8 * 2^w bytes,
 *    raised to 64 bytes when the output size is 52 bits) are masked again
 *    here (cheap), so the walk is right whatever the decoder did.
 *  - For the 4K and 16K granules (no DS), descriptor bits [49:48] are
 *    taken as address bits [49:48]: they are RES0, and a set bit puts
 *    the address above the 48-bit limit of those granules, which is an
 *    Address size fault.  Bits [51:50] are NOT taken: in a block or page
 *    descriptor they are DBM and GP (Arm ARM D8.3), which guests set
 *    (Linux sets DBM in every writable CPU PTE, shared by SVA), and in a
 *    table descriptor bit 51 is IGNORED.
 *  - A stage-2 fault on a nested stage-1 descriptor fetch reports the IPA
 *    of the descriptor itself (table IPA + 8 * index), the address whose
 *    stage-2 translation failed; the event keeps IPA[55:12] only.
 *  - A TxSZ / S2T0SZ / S2SL0 / granule combination no walk can use (the
 *    decoders reject them as C_BAD_CD / C_BAD_STE) is reported as a
 *    translation fault of that stage rather than walked.
 */
#include <stddef.h>

#include "bits.h"
#include "ptw.h"

/* Descriptor bits (Arm ARM D8.3; SMMUV3.md 5.4). */
#define PTW_D_VALID (1ull << 0)
#define PTW_D_TABLE (1ull << 1)	/* table (L < 3) or page (L3) */
#define PTW_D_AF (1ull << 10)
#define PTW_D_NG (1ull << 11)
#define PTW_D_PXN (1ull << 53)
#define PTW_D_XN (1ull << 54)	/* stage-1 UXN, stage-2 XN */
#define PTW_D_PXNTABLE (1ull << 59)
#define PTW_D_UXNTABLE (1ull << 60)
#define PTW_D_APTABLE0 (1ull << 61)	/* no unprivileged access */
#define PTW_D_APTABLE1 (1ull << 62)	/* no write */

/* Per-stage walk constants, computed once per walk. */
struct ptw_geom {
	uint64_t base;		/* start table (nested stage 1: IPA) */
	uint64_t amask;		/* descriptor bits that are address */
	uint8_t g;		/* granule log2 */
	uint8_t s;		/* index bits per level below the start */
	uint8_t start;		/* start level */
	uint8_t w0;		/* index bits at the start level */
	uint8_t ia;		/* input address size in bits */
	uint8_t pa;		/* output size limit in bits */
	uint8_t blocks;		/* bit L set: blocks legal at L */
	bool stage2;
};

/* What a stage's table walk found. */
struct ptw_leaf {
	uint64_t oa;		/* output address of the input */
	uint64_t desc;		/* the leaf descriptor */
	uint64_t tbl;		/* OR of the table descriptors */
	unsigned level;		/* leaf level */
	unsigned shift;		/* log2 of the mapping size */
};

/* Stage-2 context for a walk: its constants and decoded STE fields. */
struct ptw_s2 {
	struct ptw_geom geo;
	const struct smmu_s2cfg *cfg;
};

/* Shift of the region one descriptor at level maps (SMMUV3.md 5.1). */
static inline unsigned
ptw_shift(unsigned g, unsigned level)
{
	return g + (3 - level) * (g - 3);
}

/*
 * Fill the fields of a fault found by the walk; the entry point adds the
 * transaction fields and the record/abort flags.
 */
static inline void
ptw_fault(struct smmu_event *evt, unsigned type, bool s2, unsigned evclass,
    const char *detail)
{
	*evt = (struct smmu_event){
		.type = (uint8_t)type,
		.evclass = (uint8_t)evclass,
		.s2 = s2,
		.detail = detail,
	};
}

/*
 * Finish the common part of the geometry: start-table index width, TTB
 * alignment, address mask, output limit and legal block levels.  pa is
 * eff_IPS or eff_S2PS; lpa says 52-bit output (FEAT_LPA) is implemented.
 */
static void
ptw_geom_finish(struct ptw_geom *geo, uint64_t ttb, unsigned pa, bool lpa)
{
	uint64_t tsize;

	geo->s = (uint8_t)(geo->g - 3);
	geo->w0 = (uint8_t)(geo->ia - ptw_shift(geo->g, geo->start));
	/*
	 * Without DS, 4K and 16K addresses stop at 48 bits (SMMUV3.md 5.4);
	 * nothing exceeds 52 (also keeps the shifts below defined).
	 */
	if (pa > 52)
		pa = 52;
	if (geo->g != 16 && pa > 48)
		pa = 48;
	geo->pa = (uint8_t)pa;
	/*
	 * The start table is 8 * 2^w bytes and aligned to that size, at
	 * least 64 bytes with 52-bit addresses (SMMUV3.md 5.1); TTB bits
	 * below are treated as zero.
	 */
	tsize = 8ull << geo->w0;
	if (pa == 52 && tsize < 64)
		tsize = 64;
	geo->base = ttb & GENMASK64(51, 4) & ~(tsize - 1);
	if (geo->g == 16)
		geo->amask = GENMASK64(47, 16);	/* [15:12] added apart */
	else
		geo->amask = GENMASK64(49, geo->g);
	/*
	 * Blocks: 4K at L1/L2, 16K at L2, 64K at L2 and at L1 only with
	 * 52-bit LPA (SMMUV3.md 5.1).
	 */
	switch (geo->g) {
	case 12:
		geo->blocks = 1u << 1 | 1u << 2;
		break;
	case 14:
		geo->blocks = 1u << 2;
		break;
	default:
		geo->blocks = (uint8_t)(1u << 2 | (lpa ? 1u << 1 : 0));
		break;
	}
}

/*
 * Stage-1 geometry of TTBx tt (SMMUV3.md 5.1): start level
 * 3 - (ia - 1 - g) / s.  Returns 0, or -1 for a TxSZ/TGx no walk can use.
 */
static int
ptw_geom_s1(struct ptw_geom *geo, const struct smmu_s1tt *tt, unsigned ips,
    bool lpa)
{
	unsigned g = tt->granule, ia = 64u - tt->tsz, d;

	if ((g != 12 && g != 14 && g != 16) || tt->tsz > 64 || ia > 52 ||
	    ia <= g)
		return -1;
	d = (ia - 1 - g) / (g - 3);
	if (d > 3)
		return -1;
	geo->g = (uint8_t)g;
	geo->ia = (uint8_t)ia;
	geo->start = (uint8_t)(3 - d);
	geo->stage2 = false;
	ptw_geom_finish(geo, tt->ttb, ips, lpa);
	return 0;
}

/*
 * Stage-2 geometry (SMMUV3.md 5.3): start level S2SL0 as decoded, and up
 * to 16 concatenated start tables, so the start index has w in [1, s + 4]
 * bits.  Returns 0, or -1 for a combination no walk can use.
 */
static int
ptw_geom_s2(struct ptw_geom *geo, const struct smmu_s2cfg *s2, bool lpa)
{
	unsigned g = s2->granule, ia = 64u - s2->tsz, shift;

	if ((g != 12 && g != 14 && g != 16) || s2->tsz > 64 || ia > 52 ||
	    s2->sl > 3)
		return -1;
	shift = ptw_shift(g, s2->sl);
	if (ia <= shift || ia - shift > g - 3 + 4)
		return -1;
	geo->g = (uint8_t)g;
	geo->ia = (uint8_t)ia;
	geo->start = s2->sl;
	geo->stage2 = true;
	ptw_geom_finish(geo, s2->ttb, s2->ps, lpa);
	return 0;
}

/* Address held in descriptor d (64K: bits [15:12] are OA[51:48]). */
static inline uint64_t
ptw_desc_addr(const struct ptw_geom *geo, uint64_t d)
{
	uint64_t a = d & geo->amask;

	if (geo->g == 16)
		a |= (d & GENMASK64(15, 12)) << 36;
	return a;
}

static int ptw_s2_xlate(const struct gmem *, const struct ptw_s2 *,
    uint64_t, unsigned, unsigned, struct ptw_leaf *, unsigned *,
    struct smmu_event *, unsigned *);

/*
 * Walk the tables of one stage for input address ia down to its leaf,
 * checking per level the fetch, the descriptor's validity and the address
 * size, in the order of SMMUv3 section 7.3.22.  With nest set (nested
 * stage 1), every descriptor address is an IPA translated by stage 2 with
 * CLASS = TT first.  Returns 0 with *leaf filled, or 1 with *evt filled
 * (s2 = geo->stage2; a stage-2 caller then marks CLASS and IPA).
 */
static int
ptw_tables(const struct gmem *g, const struct ptw_geom *geo, uint64_t ia,
    const struct ptw_s2 *nest, struct ptw_leaf *leaf,
    struct smmu_event *evt, unsigned *nr)
{
	struct ptw_leaf l2;
	uint64_t table = geo->base, idx_mask = bits_low(geo->w0);
	uint64_t daddr, d, out, tbl = 0;
	unsigned level = geo->start, shift = ptw_shift(geo->g, level);
	unsigned v2, reads = 0;

	for (;;) {
		daddr = table + 8 * ((ia >> shift) & idx_mask);
		if (nest != NULL) {
			/* SMMUV3.md 5.7: S1 walk accesses are S2 reads. */
			if (ptw_s2_xlate(g, nest, daddr, SMMU_EVT_CLASS_TT,
			    SMMU_ACC_READ, &l2, &v2, evt, nr) != 0)
				return 1;
			daddr = l2.oa;
		}
		if (gmem_read64(g, daddr, &d) != 0) {
			ptw_fault(evt, SMMU_EVT_F_WALK_EABT, geo->stage2,
			    SMMU_EVT_CLASS_TT,
			    "external abort on a descriptor fetch");
			evt->fetch_addr = daddr;
			return 1;
		}
		reads++;	/* *nr only on success: kept in a register */
		if (!(d & PTW_D_VALID)) {
			ptw_fault(evt, SMMU_EVT_F_TRANSLATION, geo->stage2,
			    SMMU_EVT_CLASS_IN, "invalid descriptor");
			return 1;
		}
		if (level == 3 || !(d & PTW_D_TABLE))
			break;
		/* Table descriptor: next-level table address. */
		table = ptw_desc_addr(geo, d);
		if (table >> geo->pa) {
			ptw_fault(evt, SMMU_EVT_F_ADDR_SIZE, geo->stage2,
			    SMMU_EVT_CLASS_IN,
			    "table address above the output size");
			return 1;
		}
		tbl |= d;
		level++;
		shift -= geo->s;
		idx_mask = bits_low(geo->s);
	}
	if (level == 3) {
		if (!(d & PTW_D_TABLE)) {
			ptw_fault(evt, SMMU_EVT_F_TRANSLATION, geo->stage2,
			    SMMU_EVT_CLASS_IN,
			    "reserved level-3 descriptor (0b01)");
			return 1;
		}
	} else if (!(geo->blocks & (1u << level))) {
		ptw_fault(evt, SMMU_EVT_F_TRANSLATION, geo->stage2,
		    SMMU_EVT_CLASS_IN, "block descriptor at an illegal level");
		return 1;
	}
	out = ptw_desc_addr(geo, d) & ~bits_low(shift);
	if (out >> geo->pa) {
		ptw_fault(evt, SMMU_EVT_F_ADDR_SIZE, geo->stage2,
		    SMMU_EVT_CLASS_IN, "output address above the output size");
		return 1;
	}
	leaf->oa = out | (ia & bits_low(shift));
	leaf->desc = d;
	leaf->tbl = tbl;
	leaf->level = level;
	leaf->shift = shift;
	*nr += reads;
	return 0;
}

/*
 * Stage-2 permission vector of leaf descriptor d (SMMUV3.md 5.5): S2AP
 * bit 6 read and bit 7 write at both privilege levels, XN (bit 54, no
 * XNX) forbids execution at both.
 */
static inline unsigned
ptw_s2_perm(uint64_t d)
{
	unsigned v = 0;

	if (d & (1ull << 6))
		v |= SMMU_PTW_P_PR | SMMU_PTW_P_UR;
	if (d & (1ull << 7))
		v |= SMMU_PTW_P_PW | SMMU_PTW_P_UW;
	if (!(d & PTW_D_XN))
		v |= SMMU_PTW_P_PX | SMMU_PTW_P_UX;
	return v;
}

/*
 * Stage-2 translation of ipa for an access of class evclass: the input
 * range check (S2T0SZ), the walk, F_ACCESS (S2AFFD), then the permission
 * check: the transaction's access for CLASS = IN; for the SMMU's own
 * reads (TT, CD) S2 read permission and, with S2PTW, Normal memory.
 * Returns 0 with *leaf and *vec filled, or 1 with *evt filled as a
 * stage-2 fault (s2 = 1, ipa, evclass).
 */
static int
ptw_s2_xlate(const struct gmem *g, const struct ptw_s2 *st, uint64_t ipa,
    unsigned evclass, unsigned access, struct ptw_leaf *leaf, unsigned *vec,
    struct smmu_event *evt, unsigned *nr)
{
	unsigned v;

	if (ipa >> st->geo.ia) {
		ptw_fault(evt, SMMU_EVT_F_TRANSLATION, true, evclass,
		    "IPA above the S2T0SZ input range");
		goto fault;
	}
	/* The decoder rejects such an S2TTB (C_BAD_STE); a backstop. */
	if (st->geo.base >> st->geo.pa) {
		ptw_fault(evt, SMMU_EVT_F_ADDR_SIZE, true, evclass,
		    "S2TTB above the output size");
		goto fault;
	}
	if (ptw_tables(g, &st->geo, ipa, NULL, leaf, evt, nr) != 0) {
		evt->evclass = (uint8_t)evclass;
		goto fault;
	}
	if (!(leaf->desc & PTW_D_AF) && !st->cfg->affd) {
		ptw_fault(evt, SMMU_EVT_F_ACCESS, true, evclass,
		    "stage-2 access flag is 0");
		goto fault;
	}
	v = ptw_s2_perm(leaf->desc);
	if (evclass == SMMU_EVT_CLASS_IN) {
		if (smmu_ptw_perm_check(SMMU_PTW_PERM(SMMU_PTW_P_ALL, v),
		    access) != 0) {
			ptw_fault(evt, SMMU_EVT_F_PERMISSION, true, evclass,
			    "stage-2 permission");
			goto fault;
		}
	} else {
		if (!(v & SMMU_PTW_P_PR)) {
			ptw_fault(evt, SMMU_EVT_F_PERMISSION, true, evclass,
			    "stage-2 read permission for an SMMU fetch");
			evt->ttrnw = evclass == SMMU_EVT_CLASS_TT;
			goto fault;
		}
		/* S2PTW: MemAttr[3:2] = 0b00 is Device (SMMUV3.md 3). */
		if (st->cfg->ptw && BITS(leaf->desc, 5, 4) == 0) {
			ptw_fault(evt, SMMU_EVT_F_PERMISSION, true, evclass,
			    "S2PTW: SMMU fetch from stage-2 Device memory");
			evt->ttrnw = evclass == SMMU_EVT_CLASS_TT;
			goto fault;
		}
	}
	*vec = v;
	return 0;
fault:
	evt->ipa = ipa;
	return 1;
}

/*
 * Stage-1 permission vector (SMMUV3.md 5.5) of leaf descriptor d reached
 * through table descriptors whose OR is tbl, for a two-privilege regime.
 * APTable, UXNTable and PXNTable are ignored with HADx.  PAN keys on the
 * effective AP[1] (APTable[0] folded in, as the Arm ARM pseudocode does).
 */
static inline unsigned
ptw_s1_perm(uint64_t d, uint64_t tbl, bool had, bool wxn, bool pan)
{
	unsigned v = 0;
	bool ro, ur, uw, ux, px;

	if (had)
		tbl = 0;
	ro = (d & (1ull << 7)) || (tbl & PTW_D_APTABLE1);
	ur = (d & (1ull << 6)) && !(tbl & PTW_D_APTABLE0);
	uw = ur && !ro;
	ux = !(d & PTW_D_XN) && !(tbl & PTW_D_UXNTABLE);
	/* Never execute EL0-writable memory at EL1. */
	px = !(d & PTW_D_PXN) && !(tbl & PTW_D_PXNTABLE) && !uw;
	if (wxn) {
		ux = ux && !uw;
		px = px && ro;
	}
	if (!(pan && ur)) {
		v |= SMMU_PTW_P_PR;
		if (!ro)
			v |= SMMU_PTW_P_PW;
	}
	if (px)
		v |= SMMU_PTW_P_PX;
	if (ur)
		v |= SMMU_PTW_P_UR;
	if (uw)
		v |= SMMU_PTW_P_UW;
	if (ux)
		v |= SMMU_PTW_P_UX;
	return v;
}

/*
 * Stage-1 walk of va (SMMUV3.md 5.2, 5.6): TTB selection by VA[55], EPD,
 * the sign-extension / TBI check, the tables (translated by stage 2 when
 * nest is set), F_ACCESS (AFFD) and the stage-1 permission check.
 * Returns 0 with *leaf and *vec filled, or 1 with *evt filled.
 */
static int
ptw_s1(const struct gmem *g, const struct smmu_cd *cd, bool lpa,
    const struct ptw_s2 *nest, uint64_t va, unsigned access,
    struct ptw_leaf *leaf, unsigned *vec, struct smmu_event *evt,
    unsigned *nr)
{
	const struct smmu_s1tt *tt = &cd->tt[BIT(va, 55)];
	struct ptw_geom geo;
	uint64_t hi, want;
	unsigned v;

	if (tt->epd) {
		ptw_fault(evt, SMMU_EVT_F_TRANSLATION, false,
		    SMMU_EVT_CLASS_IN, "EPDx = 1 for the selected TTBx");
		return 1;
	}
	if (ptw_geom_s1(&geo, tt, cd->ips, lpa) != 0) {
		ptw_fault(evt, SMMU_EVT_F_TRANSLATION, false,
		    SMMU_EVT_CLASS_IN, "unusable TxSZ/TGx");
		return 1;
	}
	/* VA[top:ia] must all equal VA[55]; top = 55 with TBIx, else 63. */
	hi = GENMASK64(tt->tbi ? 55 : 63, geo.ia);
	want = BIT(va, 55) ? hi : 0;
	if ((va & hi) != want) {
		ptw_fault(evt, SMMU_EVT_F_TRANSLATION, false,
		    SMMU_EVT_CLASS_IN, "address outside the TTBx range");
		return 1;
	}
	/* The decoder rejects such a TTB (C_BAD_CD); this is a backstop. */
	if (geo.base >> geo.pa) {
		ptw_fault(evt, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN,
		    "TTB above the output size");
		return 1;
	}
	if (ptw_tables(g, &geo, va, nest, leaf, evt, nr) != 0)
		return 1;
	if (!(leaf->desc & PTW_D_AF) && !cd->affd) {
		ptw_fault(evt, SMMU_EVT_F_ACCESS, false, SMMU_EVT_CLASS_IN,
		    "stage-1 access flag is 0");
		return 1;
	}
	v = ptw_s1_perm(leaf->desc, leaf->tbl, tt->had, cd->wxn, cd->pan);
	if (smmu_ptw_perm_check(SMMU_PTW_PERM(v, SMMU_PTW_P_ALL),
	    access) != 0) {
		ptw_fault(evt, SMMU_EVT_F_PERMISSION, false, SMMU_EVT_CLASS_IN,
		    "stage-1 permission");
		return 1;
	}
	*vec = v;
	return 0;
}

/*
 * Add the transaction fields and the record/abort flags to a fault
 * (SMMUV3.md 7: translation faults follow CD.R/CD.A or STE.S2R, stage 2
 * always aborts, F_WALK_EABT is always recorded and aborts).
 */
static void
ptw_fault_finish(struct smmu_event *evt, uint64_t in, unsigned access,
    const struct smmu_cd *cd, const struct smmu_s2cfg *s2)
{
	evt->input_addr = in;
	evt->rnw = !(access & SMMU_ACC_WRITE);
	evt->ind = (access & SMMU_ACC_EXEC) != 0;
	evt->pnu = (access & SMMU_ACC_PRIV) != 0;
	if (evt->type == SMMU_EVT_F_WALK_EABT) {
		evt->record = true;
		evt->abort = true;
	} else if (evt->s2) {
		evt->record = s2 != NULL && s2->record;
		evt->abort = true;
	} else if (cd != NULL) {
		evt->record = cd->record;
		evt->abort = cd->abort;
	} else {
		/* Stage-1 bypass address-size fault. */
		evt->record = true;
		evt->abort = true;
	}
}

int
smmu_ptw_walk(const struct smmu_ptw_cfg *cfg, uint64_t in, unsigned access,
    struct smmu_walk *ret, struct smmu_event *evt)
{
	struct ptw_s2 s2;
	struct ptw_leaf leaf;
	uint64_t ipa, oa;
	unsigned nr = 0, s1vec = SMMU_PTW_P_ALL, s2vec = SMMU_PTW_P_ALL;
	unsigned size = 12, level = 3;
	bool lpa = cfg->oas == 52, global = false;

	if (cfg->s2 != NULL) {
		s2.cfg = cfg->s2;
		if (ptw_geom_s2(&s2.geo, cfg->s2, lpa) != 0) {
			ptw_fault(evt, SMMU_EVT_F_TRANSLATION, true,
			    SMMU_EVT_CLASS_IN, "unusable S2T0SZ/S2SL0/S2TG");
			goto fault;
		}
	}
	if (cfg->s1 != NULL) {
		if (ptw_s1(cfg->g, cfg->s1, lpa, cfg->s2 != NULL ? &s2 : NULL,
		    in, access, &leaf, &s1vec, evt, &nr) != 0)
			goto fault;
		ipa = leaf.oa;
		size = leaf.shift;
		level = leaf.level;
		global = !(leaf.desc & PTW_D_NG);
	} else {
		/* SMMUV3.md 5.2: bypassed stage 1, input >= 2^IAS. */
		if (cfg->oas < 64 && (in >> cfg->oas)) {
			ptw_fault(evt, SMMU_EVT_F_ADDR_SIZE, false,
			    SMMU_EVT_CLASS_IN,
			    "stage 1 bypassed: input above the OAS");
			goto fault;
		}
		ipa = in;
	}
	oa = ipa;
	if (cfg->s2 != NULL) {
		if (ptw_s2_xlate(cfg->g, &s2, ipa, SMMU_EVT_CLASS_IN, access,
		    &leaf, &s2vec, evt, &nr) != 0)
			goto fault;
		oa = leaf.oa;
		if (cfg->s1 == NULL || leaf.shift < size)
			size = leaf.shift;
		level = leaf.level;
	}
	ret->oa = oa;
	ret->ipa = ipa;
	ret->size_log2 = (uint8_t)size;
	ret->level = (uint8_t)level;
	ret->perm = SMMU_PTW_PERM(s1vec, s2vec);
	ret->global = global;
	ret->nr_reads = nr;
	return 0;
fault:
	ptw_fault_finish(evt, in, access, cfg->s1, cfg->s2);
	return 1;
}

int
smmu_ptw_s2_fetch(const struct gmem *g, const struct smmu_s2cfg *s2,
    uint64_t ipa, unsigned evclass, uint64_t *ret_pa,
    struct smmu_event *evt)
{
	struct ptw_s2 st;
	struct ptw_leaf leaf;
	unsigned nr = 0, vec;

	st.cfg = s2;
	/*
	 * No OAS here: 52-bit LPA (64K level-1 blocks) is assumed exactly
	 * when eff_S2PS is 52, which implies OAS = 52.
	 */
	if (ptw_geom_s2(&st.geo, s2, s2->ps == 52) != 0) {
		ptw_fault(evt, SMMU_EVT_F_TRANSLATION, true, evclass,
		    "unusable S2T0SZ/S2SL0/S2TG");
		evt->ipa = ipa;
		goto fault;
	}
	if (ptw_s2_xlate(g, &st, ipa, evclass, SMMU_ACC_READ, &leaf, &vec,
	    evt, &nr) != 0)
		goto fault;
	*ret_pa = leaf.oa;
	return 0;
fault:
	/* The SMMU's own read; a caller may restate the transaction. */
	ptw_fault_finish(evt, ipa, SMMU_ACC_READ, NULL, s2);
	return 1;
}
