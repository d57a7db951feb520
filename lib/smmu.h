/*
 * smmu.h - libsmmu, the SMMUv3 translation engine: the instance API.
 *
 * Owns: struct smmu, one emulated SMMUv3 over one guest memory (gmem.h).
 * This is the only header the daemon needs for translation; it brings in
 * the public pieces it is built from (err.h, event.h, features.h,
 * gmem.h, stats.h).
 *
 * A translation runs: TLB lookup (tagged by the VMID/ASID of the stream's
 * cached configuration) -> on a miss, configuration from the config cache
 * or from guest memory (stream table -> STE -> CD) -> page-table walk
 * (stage 1, stage 2 or nested) -> TLB insert.  Faults are results: they
 * come back as a struct smmu_event with the fields the architected event
 * record needs and the record/abort decision.
 *
 * Thread-safety: every function may be called concurrently from any
 * number of threads on the same instance, except smmu_destroy().
 * Translations never block on each other; invalidations take per-set
 * locks briefly.  The engine does no I/O and never prints.
 */
#ifndef SMMU_SMMU_H
#define SMMU_SMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "features.h"
#include "gmem.h"
#include "stats.h"

struct smmu;

/* Control state the translation path consults (normally set by regs). */
struct smmu_ctrl {
	bool enabled;		/* CR0.SMMUEN (and CR0ACK.SMMUEN) */
	uint64_t strtab_base;	/* STRTAB_BASE: ADDR[55:6], RA[62] */
	uint32_t strtab_base_cfg; /* STRTAB_BASE_CFG: LOG2SIZE, SPLIT, FMT */
	uint32_t cr2;		/* CR2: E2H[0], RECINVSID[1], PTM[2] */
	uint32_t gbpa;		/* GBPA: ABORT[20] applies when disabled */
};

/* One transaction to translate. */
struct smmu_txn {
	uint32_t sid;		/* StreamID */
	uint32_t ssid;		/* SubstreamID (PASID), if ssv */
	bool ssv;		/* SubstreamID valid */
	uint64_t iova;		/* input address (VA, or IPA for S2-only) */
	unsigned access;	/* SMMU_ACC_* */
};

/* A successful translation. */
struct smmu_xlate {
	uint64_t oa;		/* output (physical) address of iova */
	uint8_t size_log2;	/* the mapping covers 2^size_log2 bytes ... */
	uint64_t base;		/* ... starting at input address base */
	unsigned perm;		/* SMMU_PERM_* for this privilege level */
	bool tlb_hit;		/* answered from the TLB */
	bool bypass;		/* both stages bypassed (identity) */
};

/* smmu_translate() result codes (>= 0). */
#define SMMU_XLATE_OK 0
#define SMMU_XLATE_FAULT 1

/* Invalidation operations, one per CFGI/TLBI command kind. */
enum smmu_inv_op {
	SMMU_INV_CFGI_STE,	/* sid, leaf */
	SMMU_INV_CFGI_STE_RANGE, /* sid, range: 2^(range+1) SIDs */
	SMMU_INV_CFGI_CD,	/* sid, ssid (CD index), leaf */
	SMMU_INV_CFGI_CD_ALL,	/* sid */
	SMMU_INV_CFGI_ALL,
	SMMU_INV_TLBI_NH_ALL,	/* vmid */
	SMMU_INV_TLBI_NH_ASID,	/* vmid, asid */
	SMMU_INV_TLBI_NH_VA,	/* vmid, asid, addr, range fields, leaf */
	SMMU_INV_TLBI_NH_VAA,	/* vmid, addr, range fields, leaf */
	SMMU_INV_TLBI_S2_IPA,	/* vmid, addr (IPA), range fields, leaf */
	SMMU_INV_TLBI_S12_VMALL, /* vmid */
	SMMU_INV_TLBI_NSNH_ALL,
	SMMU_INV_OP_MAX
};

struct smmu_inv {
	enum smmu_inv_op op;
	uint32_t sid;
	uint32_t ssid;
	uint8_t range;		/* CFGI_STE_RANGE.Range (31 = all) */
	bool leaf;		/* Leaf hint */
	uint16_t vmid;
	uint16_t asid;
	uint64_t addr;		/* VA[63:12] or IPA[55:12], low bits ignored */
	uint8_t tg;		/* TG: 0 single address, 1 4K, 2 16K, 3 64K */
	uint8_t num;		/* NUM: (NUM + 1) x 2^SCALE granules */
	uint8_t scale;		/* SCALE */
	uint8_t ttl;		/* TTL: 0 any level, 1..3 leaf level hint */
	/*
	 * Extension for host callers (the Invalidate RPC), never set by
	 * commands: with tg = 0 and len != 0, NH_VA/NH_VAA/S2_IPA cover
	 * the byte range [addr, addr + len) instead of one address.
	 */
	uint64_t len;
};

/*
 * Create an SMMU with features f over guest memory g (borrowed: g must
 * outlive the instance).  The SMMU starts disabled with GBPA = 0 (bypass
 * while disabled, as after reset with GBPA.ABORT = 0).  Returns NULL on
 * failure with *ret_err (if not NULL) set to SMMU_ERR_INVAL (features
 * fail smmu_features_check()) or SMMU_ERR_NOMEM.
 */
struct smmu *
smmu_create(const struct smmu_features *f, struct gmem *g, int *ret_err);

/* Free s.  Accepts NULL.  No other thread may be using s. */
void
smmu_destroy(struct smmu *s);

/* The features s was created with (borrowed). */
const struct smmu_features *
smmu_features(const struct smmu *s);

/* The guest memory s reads (borrowed). */
struct gmem *
smmu_gmem(const struct smmu *s);

/* Read the control state into *ret. */
void
smmu_ctrl_get(const struct smmu *s, struct smmu_ctrl *ret);

/*
 * Replace the control state.  Changing the stream table while enabled is
 * allowed here (the register layer enforces the architectural rules);
 * the configuration cache is not invalidated, as on hardware, so software
 * follows a change with CFGI_ALL.  Returns 0 or SMMU_ERR_INVAL.
 */
int
smmu_ctrl_set(struct smmu *s, const struct smmu_ctrl *c);

/*
 * Translate one transaction.  Returns SMMU_XLATE_OK with *ret filled,
 * SMMU_XLATE_FAULT with *ret_evt filled (sid/ssid/ssv set, record/abort
 * decided; type SMMU_EVT_NONE for a silent abort by STE.Config or GBPA),
 * or SMMU_ERR_INVAL for a malformed request (unknown access bits).
 */
int
smmu_translate(struct smmu *s, const struct smmu_txn *txn,
    struct smmu_xlate *ret, struct smmu_event *ret_evt);

/*
 * Perform one invalidation as the matching command would (SMMUv3
 * section 4.3/4.4).  Returns the number of cached entries dropped (>= 0),
 * or SMMU_ERR_INVAL (unknown op, or range fields that CERROR_ILL would
 * reject: TG != 0 with NUM = SCALE = TTL = 0; with TG = 0 the RES0
 * NUM/SCALE/TTL are ignored) or SMMU_ERR_NOTSUP (the op needs a stage the
 * SMMU lacks, or TG != 0 without RIL).
 */
int
smmu_invalidate(struct smmu *s, const struct smmu_inv *inv);

/* Instance counters, including the TLB and config cache counters. */
void
smmu_stats_get(const struct smmu *s, struct smmu_stats *ret);

/*
 * Counters of stream sid.  Returns 0 or SMMU_ERR_NOENT (never
 * translated).
 */
int
smmu_stream_stats_get(const struct smmu *s, uint32_t sid,
    struct smmu_stats *ret);

/* Call cb for each stream with counters (see smmu_stats_foreach_stream). */
int
smmu_stream_stats_foreach(const struct smmu *s,
    int (*cb)(void *arg, uint32_t sid, const struct smmu_stats *st),
    void *arg);

#endif /* SMMU_SMMU_H */
