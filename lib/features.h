/*
 * features.h - what one emulated SMMU implements.
 *
 * Owns: struct smmu_features, its defaults and its validation.  The ID
 * registers (IDR0/IDR1/IDR3/IDR5) are derived from it, and the STE/CD
 * checks consult it (e.g. a CD selecting a granule the SMMU lacks is
 * C_BAD_CD).  Fixed choices of this implementation, not configurable:
 * AArch64 tables only (IDR0.TTF = 2), little-endian tables only
 * (IDR0.TTENDIAN = 2), no stall model (IDR0.STALL_MODEL = 1), no HTTU, no
 * ATS/PRI, no Hyp/EL2 StreamWorlds, 48-bit VA (IDR5.VAX = 0), no LPA2
 * (IDR5.DS = 0), no small translation tables (IDR3.STT = 0).
 */
#ifndef SMMU_FEATURES_H
#define SMMU_FEATURES_H

#include <stdbool.h>

/* Granule bits for smmu_features.granules (IDR5.GRAN4K/16K/64K). */
#define SMMU_GRAN_4K (1u << 0)
#define SMMU_GRAN_16K (1u << 1)
#define SMMU_GRAN_64K (1u << 2)

enum smmu_tlb_policy {
	SMMU_TLB_LRU,		/* least recently used */
	SMMU_TLB_LFU,		/* least frequently used (ties: older first) */
	SMMU_TLB_CLOCK,		/* second chance */
	SMMU_TLB_2Q,		/* 2Q: FIFO for new entries, LRU for reused */
	SMMU_TLB_POLICY_MAX
};

struct smmu_features {
	bool s1p;		/* IDR0.S1P: stage 1 */
	bool s2p;		/* IDR0.S2P: stage 2 */
	unsigned granules;	/* SMMU_GRAN_* mask, at least one */
	unsigned oas;		/* output address bits: 32,36,40,42,44,48,52 */
	unsigned sid_bits;	/* IDR1.SIDSIZE, 0..32 */
	unsigned ssid_bits;	/* IDR1.SSIDSIZE, 0..20 */
	bool st_2level;		/* IDR0.ST_LEVEL = 1: 2-level stream tables */
	bool cd_2level;		/* IDR0.CD2L: 2-level CD tables */
	bool asid16;		/* IDR0.ASID16 */
	bool vmid16;		/* IDR0.VMID16 */
	bool ril;		/* IDR3.RIL: range TLBI and TTL */
	bool had;		/* IDR3.HAD: CD.HAD0/HAD1 honoured */
	bool term_model;	/* IDR0.TERM_MODEL: CD.A must be 1 */
	bool msi;		/* IDR0.MSI */
	bool coherent;		/* IDR0.COHACC */
	unsigned cmdq_log2;	/* IDR1.CMDQS, 0..19 */
	unsigned evtq_log2;	/* IDR1.EVENTQS, 0..19 */
	unsigned tlb_entries;	/* TLB capacity (entries), >= 1 */
	enum smmu_tlb_policy tlb_policy;
	unsigned cfg_entries;	/* config cache capacity, >= 1 */
};

/*
 * Fill *f with the defaults: both stages, all granules, 48-bit OAS,
 * 16 SID bits, 20 SSID bits, 2-level stream and CD tables, 16-bit ASID
 * and VMID, RIL, HAD, MSI, coherent, 2^19-entry queues, a 4096-entry LRU
 * TLB and a 1024-entry config cache.
 */
void
smmu_features_default(struct smmu_features *f);

/*
 * Check that f describes an implementable SMMU (at least one stage and
 * granule, a valid OAS, SIDSIZE >= 7 only with 2-level stream tables as
 * IDR1 requires, sizes in range, ...).  Returns 0, or SMMU_ERR_INVAL with
 * *why (if not NULL) set to a static explanation.
 */
int
smmu_features_check(const struct smmu_features *f, const char **why);

/* Bits of an IDR5.OAS/CD.IPS/STE.S2PS encoding; 0 for reserved codes. */
unsigned
smmu_pa_bits(unsigned enc);

/* IDR5.OAS encoding for a number of bits; -1 if not a legal size. */
int
smmu_pa_enc(unsigned bits);

/* Name of a TLB policy ("lru"), or NULL. */
const char *
smmu_tlb_policy_name(enum smmu_tlb_policy p);

#endif /* SMMU_FEATURES_H */
