/*
 * cd.h - Context Descriptors and CD tables (SMMUv3 sections 5.4, 5.4.1).
 *
 * Owns: struct smmu_cd (a decoded, validated 64-byte CD), CD decoding,
 * and locating a CD through linear or 2-level CD tables (with stage-2
 * translation of the table addresses when the STE is nested).
 */
#ifndef SMMU_CD_H
#define SMMU_CD_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "features.h"
#include "gmem.h"
#include "ste.h"

/* One stage-1 translation table (TTB0 or TTB1 half of the VA space). */
struct smmu_s1tt {
	uint64_t ttb;		/* TTBx, [51:4] */
	uint8_t tsz;		/* TxSZ: this half covers 2^(64 - tsz) bytes */
	uint8_t granule;	/* log2 of TGx: 12, 14 or 16 */
	bool epd;		/* EPDx: no walks through this TTB */
	bool tbi;		/* TBIx: top byte ignored */
	bool had;		/* HADx (with IDR3.HAD): ignore APTable etc. */
};

struct smmu_cd {
	struct smmu_s1tt tt[2];	/* [0] = TTB0 (VA[55] = 0), [1] = TTB1 */
	uint64_t mair;		/* {MAIR1, MAIR0} */
	uint16_t asid;		/* ASID */
	uint8_t ips;		/* MIN(IPS, OAS) in bits */
	bool affd;		/* AFFD */
	bool wxn;		/* WXN */
	bool pan;		/* PAN */
	bool record;		/* R: record stage-1 faults */
	bool abort;		/* A: abort faulting transactions (else RAZ/WI) */
	bool stall;		/* S */
	bool aset;		/* ASET */
};

/*
 * Decode the 64-byte CD dw[0..7] reached through ste (needed for the
 * S1STALLD check) into *ret.  Returns 0, or SMMU_EVT_C_BAD_CD with *why
 * naming the rule.  *ret is written only on success.
 */
int
smmu_cd_decode(const uint64_t dw[8], const struct smmu_features *f,
    const struct smmu_ste *ste, struct smmu_cd *ret, const char **why);

/*
 * Fetch the 64 bytes of CD number idx of ste (idx 0 when the transaction
 * has no SubstreamID or S1CDMax = 0), following S1Fmt: the single CD,
 * a linear table, or a 2-level table through its L1CD.  When ste is
 * nested, S1ContextPtr and L1CD.L2Ptr are IPAs, translated by ste's stage 2
 * with CLASS = CD.  Returns 0 with dw filled, or 1 with *evt filled (type,
 * fetch_addr, s2/ipa/class for stage-2 faults, detail; not sid/ssid):
 *  - C_BAD_SUBSTREAMID: idx >= 2^S1CDMax, or L1CD.V = 0;
 *  - F_CD_FETCH: the L1CD or CD is not backed by guest memory;
 *  - a stage-2 fault (F_TRANSLATION, ...) with s2 = 1, class = CD.
 */
int
smmu_cd_fetch(const struct gmem *g, const struct smmu_features *f,
    const struct smmu_ste *ste, uint32_t idx, uint64_t dw[8],
    struct smmu_event *evt);

#endif /* SMMU_CD_H */
