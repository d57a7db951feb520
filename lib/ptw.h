/*
 * ptw.h - the AArch64 (VMSAv8-64) page-table walker.
 *
 * Owns: stage-1, stage-2 and nested walks for 4K, 16K and 64K granules
 * (Arm ARM D8.2-D8.4; SMMUv3 sections 3.4, 5.2, 5.4, 7.3.22) and the
 * permission vector a walk produces.
 *
 * A walk computes every permission of the mapping at once, for both
 * privilege levels and for instruction fetches, folding in AP[2:1],
 * APTable, UXN/PXN/XNTable, WXN, PAN and the implicit "no privileged
 * execution of user-writable memory" rule for stage 1, and S2AP / XN for
 * stage 2.  The vector is what the TLB caches, so a TLB hit can decide
 * any later access without re-walking.
 */
#ifndef SMMU_PTW_H
#define SMMU_PTW_H

#include <stdbool.h>
#include <stdint.h>

#include "cd.h"
#include "event.h"
#include "gmem.h"
#include "ste.h"

/*
 * Permission vector: six bits per stage, privileged/unprivileged x
 * read/write/execute.  A stage that is bypassed grants all six.
 */
#define SMMU_PTW_P_PR (1u << 0)
#define SMMU_PTW_P_PW (1u << 1)
#define SMMU_PTW_P_PX (1u << 2)
#define SMMU_PTW_P_UR (1u << 3)
#define SMMU_PTW_P_UW (1u << 4)
#define SMMU_PTW_P_UX (1u << 5)
#define SMMU_PTW_P_ALL 0x3fu
#define SMMU_PTW_S1(p) ((p) & SMMU_PTW_P_ALL)
#define SMMU_PTW_S2(p) (((p) >> 6) & SMMU_PTW_P_ALL)
#define SMMU_PTW_PERM(s1, s2) \
	((uint16_t)(((s1) & SMMU_PTW_P_ALL) | (((s2) & SMMU_PTW_P_ALL) << 6)))

/* What to walk: either stage may be absent (bypassed). */
struct smmu_ptw_cfg {
	const struct gmem *g;
	const struct smmu_cd *s1;	/* NULL: stage 1 bypassed */
	const struct smmu_s2cfg *s2;	/* NULL: stage 2 bypassed */
	unsigned oas;			/* SMMU OAS in bits (= IAS) */
};

/* Result of a successful walk. */
struct smmu_walk {
	uint64_t oa;		/* output address of the input address */
	uint64_t ipa;		/* nested: the IPA of the input address */
	uint8_t size_log2;	/* mapping size (smaller stage when nested) */
	uint8_t level;		/* leaf level of the last stage walked */
	uint16_t perm;		/* SMMU_PTW_PERM(s1, s2) vector */
	bool global;		/* stage-1 leaf had nG = 0 */
	unsigned nr_reads;	/* descriptors read (for statistics) */
};

/*
 * Translate input address in for a transaction with attributes access
 * (SMMU_ACC_*, after STE.PRIVCFG/INSTCFG overrides) through the stages in
 * cfg.  Returns 0 with *ret filled, or 1 with *evt filled (type, s2,
 * evclass, input_addr = in, ipa, fetch_addr, rnw/ind/pnu, ttrnw, record
 * and abort from CD.R/CD.A or STE.S2R (stage 2 always aborts), detail;
 * the caller fills sid/ssid/ssv).  Checks are made in the order of SMMUv3
 * section 7.3.22: input range and EPD, then per level the fetch (external
 * abort: F_WALK_EABT), descriptor validity (F_TRANSLATION) and address
 * size (F_ADDR_SIZE), then at the leaf F_ACCESS before F_PERMISSION.
 * With stage 1 bypassed, an input at or above 2^oas is F_ADDR_SIZE
 * (S2 = 0, CLASS = IN).  Thread-safe; reads guest memory only.
 */
int
smmu_ptw_walk(const struct smmu_ptw_cfg *cfg, uint64_t in, unsigned access,
    struct smmu_walk *ret, struct smmu_event *evt);

/*
 * Stage-2 translation of ipa for an access made by the SMMU itself (a CD
 * or L1CD fetch: evclass = SMMU_EVT_CLASS_CD; a read).  Same results as
 * smmu_ptw_walk() with the fault marked s2 = 1 and evt->ipa = ipa.
 */
int
smmu_ptw_s2_fetch(const struct gmem *g, const struct smmu_s2cfg *s2,
    uint64_t ipa, unsigned evclass, uint64_t *ret_pa,
    struct smmu_event *evt);

/*
 * Decide access (SMMU_ACC_*) against a permission vector.  Returns 0 if
 * allowed, 1 if stage 1 denies it, 2 if stage 2 denies it (stage 1 is
 * checked first, as a nested walk would fault there first).
 */
static inline int
smmu_ptw_perm_check(uint16_t perm, unsigned access)
{
	unsigned need = 0;
	bool priv = access & SMMU_ACC_PRIV;

	if (access & SMMU_ACC_EXEC)
		need = priv ? SMMU_PTW_P_PX : SMMU_PTW_P_UX;
	else if (!(access & SMMU_ACC_WRITE) || (access & SMMU_ACC_READ))
		need = priv ? SMMU_PTW_P_PR : SMMU_PTW_P_UR;
	if (access & SMMU_ACC_WRITE)
		need |= priv ? SMMU_PTW_P_PW : SMMU_PTW_P_UW;
	if ((SMMU_PTW_S1(perm) & need) != need)
		return 1;
	if ((SMMU_PTW_S2(perm) & need) != need)
		return 2;
	return 0;
}

/*
 * The SMMU_PERM_R/W/X a vector grants at one privilege level (both
 * stages combined), for reporting to clients.
 */
static inline unsigned
smmu_ptw_perm_public(uint16_t perm, bool priv)
{
	unsigned p = SMMU_PTW_S1(perm) & SMMU_PTW_S2(perm);

	if (!priv)
		p >>= 3;
	return p & 7u;	/* PR/PW/PX and UR/UW/UX line up with R/W/X */
}

#endif /* SMMU_PTW_H */
