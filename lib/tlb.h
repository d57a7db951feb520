/*
 * tlb.h - the IOTLB: cached leaf translations.
 *
 * Owns: struct smmu_tlb, a bounded, set-associative cache of translations
 * tagged as SMMUv3 section 3.17 describes:
 *  - stage-1 and nested entries (input = VA) by VMID, and by ASID unless
 *    the leaf descriptor had nG = 0 (a global entry matches any ASID of
 *    the same VMID);
 *  - stage-2-only entries (input = IPA, SMMU_TLB_F_IPA) by VMID only.
 * An entry covers the whole block or page it came from (2^size_log2
 * bytes; a nested entry covers the smaller of the two stages' mappings),
 * so one entry serves every address inside a 1 GiB block.
 *
 * Lookup cost does not depend on the number of entries: an address is
 * hashed, for each mapping size currently present in the TLB, to one set
 * of SMMU_TLB_WAYS entries (so a lookup probes at most a handful of sets).
 * Each set is guarded by a sequence lock: lookups take no lock and write
 * no shared word except the replacement metadata of the entry they hit,
 * so concurrent lookups of different keys do not contend.  Inserts and
 * invalidations lock one set at a time.
 *
 * Replacement is chosen per TLB (LRU, LFU, CLOCK or 2Q) and is exact
 * within a set; a TLB whose capacity is at most SMMU_TLB_WAYS has a single
 * set and so is exactly LRU/LFU/CLOCK/2Q over all its entries.
 *
 * Only leaf translations are cached (there is no walk cache), so the Leaf
 * hint of TLBI commands needs no separate handling: Leaf = 0 and Leaf = 1
 * remove the same entries.  TTL, when non-zero, restricts a VA/IPA
 * invalidation to entries whose leaf is at that level, as the spec allows.
 */
#ifndef SMMU_TLB_H
#define SMMU_TLB_H

#include <stdbool.h>
#include <stdint.h>

#include "features.h"
#include "stats.h"

#define SMMU_TLB_WAYS 8

/* Entry flags. */
#define SMMU_TLB_F_GLOBAL (1u << 0)	/* stage-1 nG = 0: any ASID matches */
#define SMMU_TLB_F_IPA (1u << 1)	/* stage-2-only entry: input is IPA */

struct smmu_tlb_entry {
	uint64_t in;		/* input base (VA or IPA), 2^size_log2 aligned */
	uint64_t out;		/* output (PA) base */
	uint64_t ipa;		/* nested: IPA base of the stage-1 output */
	uint16_t vmid;
	uint16_t asid;		/* ignored for GLOBAL and IPA entries */
	uint16_t perm;		/* SMMU_PTW_P_* vector, see ptw.h */
	uint8_t size_log2;	/* 12..52 */
	uint8_t level;		/* leaf level 0..3 (TTL matching) */
	uint8_t flags;		/* SMMU_TLB_F_* */
};

struct smmu_tlb;

/*
 * Create a TLB of capacity entries (rounded up to a multiple of
 * SMMU_TLB_WAYS; at least 1) using policy.  Returns NULL on bad arguments
 * or when out of memory.
 */
struct smmu_tlb *
smmu_tlb_create(unsigned capacity, enum smmu_tlb_policy policy);

/* Free t.  Accepts NULL.  No other thread may be using t. */
void
smmu_tlb_destroy(struct smmu_tlb *t);

/*
 * Find the entry that maps addr: for ipa = false, a VA entry of vmid whose
 * ASID is asid or which is global; for ipa = true, an IPA entry of vmid.
 * On a hit copies it to *ret, updates the replacement metadata and
 * returns true.  Thread-safe, lock-free.
 */
bool
smmu_tlb_lookup(struct smmu_tlb *t, bool ipa, uint16_t vmid, uint16_t asid,
    uint64_t addr, struct smmu_tlb_entry *ret);

/*
 * Invalidation generation: read it before starting the walk whose result
 * will be inserted, and pass it to smmu_tlb_insert().
 */
uint64_t
smmu_tlb_gen(const struct smmu_tlb *t);

/*
 * Insert e (e->in must be aligned to 2^e->size_log2), evicting per the
 * policy if its set is full; an existing entry with the same tag is
 * replaced.  If any invalidation ran since gen was read, the insert is
 * dropped (the walk may have read tables the invalidation was about), and
 * false is returned.  Thread-safe.
 */
bool
smmu_tlb_insert(struct smmu_tlb *t, const struct smmu_tlb_entry *e,
    uint64_t gen);

/*
 * Invalidations.  Each returns the number of entries removed and bumps
 * the generation.  Ranges are [addr, addr + len) and remove every entry
 * overlapping them; len = 0 means the single address addr.  ttl = 0
 * matches entries at any level, 1..3 only entries whose leaf level is ttl.
 */
/* Everything (TLBI_NSNH_ALL, and the engine's reset). */
unsigned
smmu_tlb_inv_all(struct smmu_tlb *t);
/* Every entry of vmid, VA and IPA (TLBI_S12_VMALL). */
unsigned
smmu_tlb_inv_vmid(struct smmu_tlb *t, uint16_t vmid);
/* Every VA entry of vmid, global or not (TLBI_NH_ALL). */
unsigned
smmu_tlb_inv_nh_all(struct smmu_tlb *t, uint16_t vmid);
/* Non-global VA entries of (vmid, asid) (TLBI_NH_ASID). */
unsigned
smmu_tlb_inv_asid(struct smmu_tlb *t, uint16_t vmid, uint16_t asid);
/* VA entries of vmid with this asid or global, in range (TLBI_NH_VA). */
unsigned
smmu_tlb_inv_va(struct smmu_tlb *t, uint16_t vmid, uint16_t asid,
    uint64_t addr, uint64_t len, unsigned ttl);
/* VA entries of vmid with any asid, in range (TLBI_NH_VAA). */
unsigned
smmu_tlb_inv_vaa(struct smmu_tlb *t, uint16_t vmid, uint64_t addr,
    uint64_t len, unsigned ttl);
/* IPA entries of vmid in range (TLBI_S2_IPA). */
unsigned
smmu_tlb_inv_ipa(struct smmu_tlb *t, uint16_t vmid, uint64_t addr,
    uint64_t len, unsigned ttl);

/*
 * Count a hit that a cache in front of this TLB served (the per-thread
 * micro-TLB of smmu.c), so the hit counter covers every TLB-level hit.
 */
void
smmu_tlb_count_hit(struct smmu_tlb *t);

/* Counters (hits, misses, insertions, evictions, invalidations, ...). */
void
smmu_tlb_stats(const struct smmu_tlb *t, struct smmu_cache_stats *ret);

#endif /* SMMU_TLB_H */
