/*
 * ste.h - Stream Table Entry decoding (SMMUv3 section 5.2).
 *
 * Owns: struct smmu_ste (a decoded, validated 64-byte STE) and
 * struct smmu_s2cfg (the stage-2 translation parameters it carries).
 * Decoding is bit-exact and checks every rule of the SteIllegal
 * pseudocode that applies to the features this SMMU implements; see the
 * table at the top of ste.c.
 */
#ifndef SMMU_STE_H
#define SMMU_STE_H

#include <stdbool.h>
#include <stdint.h>

#include "features.h"

/* STE.Config, dw0[3:1], folded to what the SMMU does. */
enum smmu_ste_config {
	SMMU_STE_ABORT,		/* 0b0xx: abort, no event */
	SMMU_STE_BYPASS,	/* 0b100 */
	SMMU_STE_S1,		/* 0b101: stage 1 only */
	SMMU_STE_S2,		/* 0b110: stage 2 only */
	SMMU_STE_NESTED		/* 0b111: stage 1 then stage 2 */
};

/* Stage-2 translation parameters (STE dw2/dw3). */
struct smmu_s2cfg {
	uint64_t ttb;		/* S2TTB, dw3[51:4] (start-table base) */
	uint16_t vmid;		/* S2VMID, dw2[15:0] */
	uint8_t tsz;		/* S2T0SZ: input size is 64 - tsz */
	uint8_t sl;		/* start level 0..3 from S2SL0 and S2TG */
	uint8_t granule;	/* log2 of the S2TG granule: 12, 14 or 16 */
	uint8_t ps;		/* MIN(S2PS, OAS) in bits */
	bool affd;		/* S2AFFD: AF = 0 never faults */
	bool ptw;		/* S2PTW: S1 walks to Device memory fault */
	bool record;		/* S2R: record stage-2 faults */
};

struct smmu_ste {
	uint8_t config;		/* enum smmu_ste_config */
	uint8_t s1fmt;		/* S1Fmt (3 treated as 0) */
	uint8_t s1cdmax;	/* S1CDMax: log2 of the number of CDs */
	uint8_t s1dss;		/* S1DSS (3 treated as 0) */
	uint8_t strw;		/* STRW */
	uint8_t eats;		/* EATS (ignored: no ATS) */
	uint8_t privcfg;	/* PRIVCFG: 0/1 incoming, 2 unpriv, 3 priv */
	uint8_t instcfg;	/* INSTCFG: 0/1 incoming, 2 data, 3 instr */
	bool s1stalld;		/* S1STALLD */
	bool mev;		/* MEV */
	uint64_t s1ctxptr;	/* S1ContextPtr, dw0[55:6] << 6 */
	struct smmu_s2cfg s2;	/* stage 2; s2.vmid also tags S1-only */
};

/*
 * Decode the 64-byte STE dw[0..7] (host-order words) for an SMMU with
 * features f into *ret.  Returns 0 when the STE is usable (including
 * Config = abort), or SMMU_EVT_C_BAD_STE when it is ILLEGAL, with *why (if
 * not NULL) pointing at a static string naming the rule (for example
 * "S2TG selects a granule the SMMU does not implement").  *ret is written
 * only on success.
 */
int
smmu_ste_decode(const uint64_t dw[8], const struct smmu_features *f,
    struct smmu_ste *ret, const char **why);

/*
 * Stage-2 start level for S2SL0 and a granule (log2), or -1 if reserved
 * (SMMUv3 section 5.2, S2SL0 table; no STT, no DS).
 */
int
smmu_s2_start_level(unsigned s2sl0, unsigned granule);

#endif /* SMMU_STE_H */
