/*
 * stats.h - translation counters, per SMMU instance and per stream.
 *
 * Owns: struct smmu_stats and the counter store behind it.  Counting is on
 * the translation hot path, so the store is split into per-thread slots:
 * each thread that translates is given its own slot the first time it
 * counts (up to STATS_NR_SLOTS threads per process; further threads share
 * one overflow slot that uses atomic read-modify-write).  A slot is
 * written only by its thread, with relaxed atomic stores, so counting
 * never bounces a cache line between cores; readers sum all slots.
 * Per-stream counters live in per-slot radix pages of 256 streams,
 * allocated the first time a thread counts for a stream in that page.
 */
#ifndef SMMU_STATS_H
#define SMMU_STATS_H

#include <stdint.h>

/* Fault types counted individually; see smmu_stats_fault_index(). */
#define SMMU_STATS_NR_FAULTS 32

/* Counters of a cache (TLB or configuration cache). */
struct smmu_cache_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t insertions;
	uint64_t evictions;	/* removed to make room */
	uint64_t invalidations;	/* removed by an invalidation */
	uint64_t entries;	/* currently valid */
	uint64_t capacity;
};

struct smmu_stats {
	uint64_t translations;	/* smmu_translate() calls answered */
	uint64_t tlb_hits;
	uint64_t tlb_misses;
	uint64_t walks;		/* page-table walks started */
	uint64_t faults;	/* translations that faulted (any type) */
	uint64_t bypassed;	/* translations that bypassed both stages */
	/* faults by event type code (see smmu_stats_fault_type()) */
	uint64_t fault_by_type[SMMU_STATS_NR_FAULTS];
	/* instance-wide only (zero in per-stream stats): */
	struct smmu_cache_stats tlb;
	struct smmu_cache_stats cfg;
};

/*
 * The counters of one stream (or instance) in one thread slot.  Exposed
 * only so that smmu_stats_ref_hit() can be inlined on the hot path.
 */
struct smmu_stats_block {
	uint64_t translations;
	uint64_t tlb_hits;
	uint64_t tlb_misses;
	uint64_t walks;
	uint64_t faults;
	uint64_t bypassed;
	uint64_t by_type[SMMU_STATS_NR_FAULTS];
};

/* A stream's block in the calling thread's slot (see smmu_stats_ref). */
struct smmu_stats_ref {
	struct smmu_stats_block *block;
	unsigned slot;
};

/* What one translation did: flags for smmu_stats_count(). */
#define SMMU_STATS_HIT (1u << 0)
#define SMMU_STATS_MISS (1u << 1)
#define SMMU_STATS_WALK (1u << 2)
#define SMMU_STATS_FAULT (1u << 3)
#define SMMU_STATS_BYPASS (1u << 4)

struct smmu_statset;

/* Create an empty store.  Returns NULL if out of memory. */
struct smmu_statset *
smmu_stats_create(void);

/* Free the store.  Accepts NULL.  No thread may be counting. */
void
smmu_stats_destroy(struct smmu_statset *st);

/*
 * Count one translation of stream sid: what is SMMU_STATS_* flags and
 * fault_type the event type code when SMMU_STATS_FAULT is set.  Never
 * fails: if a per-stream page cannot be allocated, only the instance
 * totals are counted.  Thread-safe; wait-free except for that allocation.
 */
void
smmu_stats_count(struct smmu_statset *st, uint32_t sid, unsigned what,
    unsigned fault_type);

/*
 * Get the calling thread's counter block for stream sid, for a cache
 * that counts hits without looking the stream up again.  The reference
 * is valid for the calling thread only, for the life of st.  Returns 0,
 * or SMMU_ERR_NOMEM.
 */
int
smmu_stats_ref(struct smmu_statset *st, uint32_t sid,
    struct smmu_stats_ref *ret);

/* Count one TLB hit through a reference from smmu_stats_ref(). */
static inline void
smmu_stats_ref_hit(const struct smmu_stats_ref *r)
{
	uint64_t *t = &r->block->translations, *h = &r->block->tlb_hits;

	if (__builtin_expect(r->slot < 64, 1)) {
		/* The slot is this thread's alone (tslot.h). */
		__atomic_store_n(t, __atomic_load_n(t, __ATOMIC_RELAXED) + 1,
		    __ATOMIC_RELAXED);
		__atomic_store_n(h, __atomic_load_n(h, __ATOMIC_RELAXED) + 1,
		    __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(t, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(h, 1, __ATOMIC_RELAXED);
	}
}

/* Sum all slots into *ret (tlb/cfg members are left zero). */
void
smmu_stats_read(const struct smmu_statset *st, struct smmu_stats *ret);

/*
 * Sum the counters of stream sid into *ret.  Returns 0, or SMMU_ERR_NOENT
 * (from err.h) if no translation was ever counted for sid.
 */
int
smmu_stats_read_stream(const struct smmu_statset *st, uint32_t sid,
    struct smmu_stats *ret);

/*
 * Call cb for every stream with counters, in ascending sid order.  Stops
 * and returns cb's value when it is non-zero; returns 0 otherwise.
 */
int
smmu_stats_foreach_stream(const struct smmu_statset *st,
    int (*cb)(void *arg, uint32_t sid, const struct smmu_stats *s),
    void *arg);

/*
 * Index into fault_by_type for an event type code: the codes 0x00-0x13
 * map to themselves, 0x20 -> 0x14, 0x21 -> 0x15, 0x24 -> 0x16,
 * 0x25 -> 0x17; anything else -> SMMU_STATS_NR_FAULTS - 1.
 */
unsigned
smmu_stats_fault_index(unsigned type);

/* Inverse of smmu_stats_fault_index() (the last index gives 0xff). */
unsigned
smmu_stats_fault_type(unsigned idx);

#endif /* SMMU_STATS_H */
