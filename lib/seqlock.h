/*
 * seqlock.h - a sequence lock with an integrated writer spinlock.
 *
 * Owns nothing but inline helpers, shared by the TLB and the config
 * cache.  Readers never write the lock word, so concurrent readers do not
 * bounce its cache line; a writer makes the sequence odd while it writes.
 * Everything a reader copies under the lock must be read with relaxed
 * atomic loads (seq_load64() and friends) and written by the writer with
 * relaxed atomic stores, so the race the sequence detects is not a data
 * race in the C11 sense (and ThreadSanitizer agrees).
 *
 * Reader:
 *	do {
 *		s = seq_read_begin(&lock);
 *		... copy fields with seq_load*() ...
 *	} while (seq_read_retry(&lock, s));
 * Writer:
 *	seq_write_lock(&lock); ... seq_store*() ...; seq_write_unlock(&lock);
 */
#ifndef SMMU_SEQLOCK_H
#define SMMU_SEQLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t seq_t;

/* Spin-wait hint for the CPU. */
static inline void
seq_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Wait for no writer and return the sequence to validate against. */
static inline seq_t
seq_read_begin(const seq_t *lock)
{
	seq_t s;

	for (;;) {
		s = __atomic_load_n(lock, __ATOMIC_ACQUIRE);
		if (!(s & 1))
			return s;
		seq_cpu_relax();
	}
}

/* True if a writer ran since seq_read_begin() returned s. */
static inline bool
seq_read_retry(const seq_t *lock, seq_t s)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(lock, __ATOMIC_RELAXED) != s;
}

/* Take the writer side: spin until the sequence is even, make it odd. */
static inline void
seq_write_lock(seq_t *lock)
{
	seq_t s;

	for (;;) {
		s = __atomic_load_n(lock, __ATOMIC_RELAXED);
		if (!(s & 1) && __atomic_compare_exchange_n(lock, &s, s + 1,
		    false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		seq_cpu_relax();
	}
	/* Order the odd sequence before the data stores that follow. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Release the writer side: the sequence becomes even again. */
static inline void
seq_write_unlock(seq_t *lock)
{
	__atomic_store_n(lock, __atomic_load_n(lock, __ATOMIC_RELAXED) + 1,
	    __ATOMIC_RELEASE);
}

static inline uint64_t
seq_load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void
seq_store64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline uint32_t
seq_load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void
seq_store32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Copy n 64-bit words out of a seqlocked area (reader side). */
static inline void
seq_copy_out(uint64_t *dst, const uint64_t *src, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* Copy n 64-bit words into a seqlocked area (writer side). */
static inline void
seq_copy_in(uint64_t *dst, const uint64_t *src, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
}

#endif /* SMMU_SEQLOCK_H */
