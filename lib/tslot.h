/*
 * tslot.h - per-thread counter slots, shared by every hot-path counter.
 *
 * Owns: the process-wide assignment of a slot index to each thread that
 * counts.  A counter array with TSLOT_NR + 1 slots (each on its own cache
 * lines) lets the first TSLOT_NR threads update their own slot with a
 * relaxed load + store, so counting on the translation hot path never
 * bounces a cache line between cores; later threads share the last slot
 * (TSLOT_SHARED) with atomic read-modify-writes.  Readers sum all slots.
 * The allocator is the only process-wide mutable state of libsmmu: a
 * thread's index is the same for every SMMU instance and never reused.
 */
#ifndef SMMU_TSLOT_H
#define SMMU_TSLOT_H

#include <stdint.h>

#define TSLOT_NR 64			/* exclusive slots */
#define TSLOT_SHARED TSLOT_NR		/* index of the shared slot */

extern _Thread_local unsigned tslot_self;	/* slot + 1, 0 = none yet */

/* Assign this thread's slot (first count of the thread). */
unsigned
tslot_assign(void);

/* This thread's slot index, 0..TSLOT_SHARED. */
static inline unsigned
tslot_get(void)
{
	unsigned s = tslot_self;

	if (__builtin_expect(s == 0, 0))
		return tslot_assign();
	return s - 1;
}

/* Add n to counter *p, which lives in slot `slot` of its array. */
static inline void
tslot_add(uint64_t *p, uint64_t n, unsigned slot)
{
	if (__builtin_expect(slot < TSLOT_NR, 1))
		__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n,
		    __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

/* Read a counter another thread may be updating. */
static inline uint64_t
tslot_read(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

#endif /* SMMU_TSLOT_H */
