/*
 * cfgcache.h - the configuration cache: decoded STEs and CDs.
 *
 * Owns: struct smmu_cfg (everything needed to translate for one
 * (StreamID, SubstreamID) pair) and the cache holding it.  Entries are
 * dropped only by the explicit invalidations below, which mirror the CFGI
 * commands (SMMUv3 section 4.3), or by replacement when the cache is full.
 * A stream-table or CD change that is not followed by an invalidation
 * therefore keeps using the cached configuration, as hardware may.
 *
 * Two tables are kept, as the spec's configuration caches are: decoded
 * STEs keyed by StreamID, and resolved configurations keyed by
 * (StreamID, SubstreamID).  CFGI_CD drops resolved configurations only;
 * the STE survives until CFGI_STE.  Lookups are lock-free (per-set
 * sequence locks, like the TLB); only successful fetches are cached.
 */
#ifndef SMMU_CFGCACHE_H
#define SMMU_CFGCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "cd.h"
#include "stats.h"
#include "ste.h"

/* Key for transactions without a SubstreamID (SSV = 0). */
#define SMMU_CFG_NO_SSID UINT32_MAX

/*
 * The part of a resolved configuration a TLB hit needs, packed into one
 * 64-bit word so the hot path copies a single word out of the cache.
 */
#define SMMU_CFG_F_S1 (1u << 0)		/* stage 1 translates */
#define SMMU_CFG_F_S2 (1u << 1)		/* stage 2 translates */
#define SMMU_CFG_F_ABORT (1u << 2)	/* STE.Config abort: silent abort */
#define SMMU_CFG_F_TBI0 (1u << 3)	/* CD.TBI0 */
#define SMMU_CFG_F_TBI1 (1u << 4)	/* CD.TBI1 */
#define SMMU_CFG_F_S1R (1u << 5)	/* CD.R: record stage-1 faults */
#define SMMU_CFG_F_S1A (1u << 6)	/* CD.A: abort on stage-1 faults */
#define SMMU_CFG_F_S2R (1u << 7)	/* STE.S2R: record stage-2 faults */

struct smmu_cfg_hot {
	uint16_t vmid;		/* TLB tag: S2VMID when the SMMU has S2P */
	uint16_t asid;		/* TLB tag: CD.ASID when stage 1 translates */
	uint8_t flags;		/* SMMU_CFG_F_* */
	uint8_t privcfg;	/* STE.PRIVCFG */
	uint8_t instcfg;	/* STE.INSTCFG */
	uint8_t pad;		/* zero */
};

/* A resolved configuration for one (SID, SSID). */
struct smmu_cfg {
	struct smmu_cfg_hot hot;	/* must stay first */
	uint32_t cd_index;	/* which CD (for CFGI_CD matching) */
	uint32_t pad;		/* zero */
	struct smmu_ste ste;
	struct smmu_cd cd;	/* valid when hot.flags has SMMU_CFG_F_S1 */
};

struct smmu_cfgcache;

/*
 * Create a cache for about capacity resolved configurations (and as many
 * STEs).  Returns NULL when out of memory or capacity is 0.
 */
struct smmu_cfgcache *
smmu_cfgcache_create(unsigned capacity);

/* Free cc.  Accepts NULL. */
void
smmu_cfgcache_destroy(struct smmu_cfgcache *cc);

/* Invalidation generation; see smmu_tlb_gen() for the pattern. */
uint64_t
smmu_cfgcache_gen(const struct smmu_cfgcache *cc);

/*
 * Look up the resolved configuration of (sid, ssid) (ssid is
 * SMMU_CFG_NO_SSID for SSV = 0).  Copies it to *ret and returns true on a
 * hit.  Thread-safe, lock-free.
 */
bool
smmu_cfgcache_lookup(struct smmu_cfgcache *cc, uint32_t sid, uint32_t ssid,
    struct smmu_cfg *ret);

/*
 * Like smmu_cfgcache_lookup() but copies only the hot word (the TLB-hit
 * path).  Thread-safe, lock-free.
 */
bool
smmu_cfgcache_lookup_hot(struct smmu_cfgcache *cc, uint32_t sid,
    uint32_t ssid, struct smmu_cfg_hot *ret);

/*
 * Insert the resolved configuration of (sid, ssid), unless an
 * invalidation ran since gen was read (then returns false).
 */
bool
smmu_cfgcache_insert(struct smmu_cfgcache *cc, uint32_t sid, uint32_t ssid,
    const struct smmu_cfg *cfg, uint64_t gen);

/* Look up / insert a decoded STE by StreamID, with the same rules. */
bool
smmu_cfgcache_ste_lookup(struct smmu_cfgcache *cc, uint32_t sid,
    struct smmu_ste *ret);
bool
smmu_cfgcache_ste_insert(struct smmu_cfgcache *cc, uint32_t sid,
    const struct smmu_ste *ste, uint64_t gen);

/*
 * Invalidations; each bumps the generation and returns the number of
 * entries (STEs plus resolved configurations) dropped.
 */
/* CFGI_STE / CFGI_STE_RANGE: STEs of sid..sid+nr-1 and everything
 * resolved through them. */
unsigned
smmu_cfgcache_inv_ste(struct smmu_cfgcache *cc, uint32_t sid, uint64_t nr);
/* CFGI_CD: resolved configurations of sid that used CD cd_index. */
unsigned
smmu_cfgcache_inv_cd(struct smmu_cfgcache *cc, uint32_t sid,
    uint32_t cd_index);
/* CFGI_CD_ALL: every resolved configuration of sid (its STE stays). */
unsigned
smmu_cfgcache_inv_cd_all(struct smmu_cfgcache *cc, uint32_t sid);
/* CFGI_ALL: everything. */
unsigned
smmu_cfgcache_inv_all(struct smmu_cfgcache *cc);

/* Counters (hits/misses/insertions count resolved configurations). */
void
smmu_cfgcache_stats(const struct smmu_cfgcache *cc,
    struct smmu_cache_stats *ret);

#endif /* SMMU_CFGCACHE_H */
