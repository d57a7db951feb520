/*
 * stats.c - per-thread-slot translation counters (see stats.h).
 *
 * Layout: a statset has STATS_NR_SLOTS exclusive slots plus one shared
 * overflow slot.  A slot holds the instance totals and a 3-level radix
 * tree (9 + 9 + 8 bits of sid >> 6) of leaf pages, each with the counters
 * of 64 consecutive streams.  Only the slot's owner thread allocates
 * nodes and writes counters; it publishes new nodes with release stores,
 * and readers load them with acquire, so a reader sees either no node or
 * a fully zeroed one.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "stats.h"
#include "tslot.h"

#define STATS_NR_SLOTS TSLOT_NR		/* exclusive slots */
_Static_assert(TSLOT_NR == 64, "smmu_stats_ref_hit() hard-codes 64 slots");
#define STATS_SHARED TSLOT_SHARED	/* index of the shared slot */
#define STATS_LEAF_SHIFT 6		/* 64 streams per leaf page */
#define STATS_LEAF_N (1u << STATS_LEAF_SHIFT)
#define STATS_L0_BITS 9
#define STATS_L1_BITS 9
#define STATS_L2_BITS 8

/* Counters of one stream or of the whole instance, in one slot. */
#define stats_block smmu_stats_block

struct stats_leaf {
	struct stats_block s[STATS_LEAF_N];
	uint64_t used;			/* bit i: stream i was counted */
};

struct stats_node {
	void *child[1u << STATS_L1_BITS];
};

struct stats_slot {
	struct stats_block total;
	void *root[1u << STATS_L0_BITS];
} __attribute__((aligned(64)));

struct smmu_statset {
	struct stats_slot *slot[STATS_NR_SLOTS + 1];
	unsigned serial;		/* see stats_memo */
};

/*
 * Per-thread memo of the last leaf page counted into, so a thread that
 * keeps translating for the same streams skips the radix walk.  Leaves
 * live as long as their statset; the statset pointer plus its creation
 * serial (statsets may be freed and a new one allocated at the same
 * address) identify it.
 */
static unsigned stats_next_serial;
static _Thread_local struct {
	const struct smmu_statset *st;
	unsigned serial;
	uint32_t page;
	unsigned slot;
	struct stats_leaf *leaf;
} stats_memo;

unsigned
smmu_stats_fault_index(unsigned type)
{
	if (type <= 0x13)
		return type;
	switch (type) {
	case 0x20: return 0x14;
	case 0x21: return 0x15;
	case 0x24: return 0x16;
	case 0x25: return 0x17;
	default: return SMMU_STATS_NR_FAULTS - 1;
	}
}

unsigned
smmu_stats_fault_type(unsigned idx)
{
	static const unsigned high[] = { 0x20, 0x21, 0x24, 0x25 };

	if (idx <= 0x13)
		return idx;
	if (idx < 0x18)
		return high[idx - 0x14];
	return 0xff;
}

struct smmu_statset *
smmu_stats_create(void)
{
	struct smmu_statset *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	/* The shared slot is written by many threads: allocate it now so
	 * nobody races to create it. */
	st->slot[STATS_SHARED] = aligned_alloc(64, sizeof(struct stats_slot));
	if (st->slot[STATS_SHARED] == NULL) {
		free(st);
		return NULL;
	}
	memset(st->slot[STATS_SHARED], 0, sizeof(struct stats_slot));
	st->serial = __atomic_add_fetch(&stats_next_serial, 1,
	    __ATOMIC_RELAXED);
	return st;
}

/* Free a radix subtree of the given depth (0 = leaf). */
static void
stats_free_tree(void *n, unsigned depth)
{
	struct stats_node *node = n;
	unsigned i, fan;

	if (n == NULL)
		return;
	if (depth > 0) {
		fan = depth == 1 ? 1u << STATS_L2_BITS : 1u << STATS_L1_BITS;
		for (i = 0; i < fan; i++)
			stats_free_tree(node->child[i], depth - 1);
	}
	free(n);
}

void
smmu_stats_destroy(struct smmu_statset *st)
{
	unsigned i, j;

	if (st == NULL)
		return;
	for (i = 0; i <= STATS_NR_SLOTS; i++) {
		if (st->slot[i] == NULL)
			continue;
		for (j = 0; j < (1u << STATS_L0_BITS); j++)
			stats_free_tree(st->slot[i]->root[j], 2);
		free(st->slot[i]);
	}
	free(st);
}

/* Load a published pointer. */
static void *
stats_ptr_get(void *const *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Return child *p, creating a zeroed one of size bytes if absent (owner
 * thread only, or under the shared slot's CAS). */
static void *
stats_ptr_make(void **p, size_t size)
{
	void *n = stats_ptr_get(p), *expected = NULL;

	if (n != NULL)
		return n;
	n = calloc(1, size);
	if (n == NULL)
		return NULL;
	/* CAS so that the shared slot's concurrent writers agree. */
	if (!__atomic_compare_exchange_n(p, &expected, n, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		free(n);
		return expected;
	}
	return n;
}

/* Leaf page holding sid in slot s, created if create is true. */
static struct stats_leaf *
stats_leaf(struct stats_slot *s, uint32_t sid, bool create)
{
	uint32_t p = sid >> STATS_LEAF_SHIFT;
	unsigned i0 = p >> (STATS_L1_BITS + STATS_L2_BITS);
	unsigned i1 = (p >> STATS_L2_BITS) & ((1u << STATS_L1_BITS) - 1);
	unsigned i2 = p & ((1u << STATS_L2_BITS) - 1);
	struct stats_node *n1, *n2;

	if (!create) {
		n1 = stats_ptr_get(&s->root[i0]);
		n2 = n1 != NULL ? stats_ptr_get(&n1->child[i1]) : NULL;
		return n2 != NULL ? stats_ptr_get(&n2->child[i2]) : NULL;
	}
	n1 = stats_ptr_make(&s->root[i0], sizeof(struct stats_node));
	if (n1 == NULL)
		return NULL;
	n2 = stats_ptr_make(&n1->child[i1], sizeof(struct stats_node));
	if (n2 == NULL)
		return NULL;
	return stats_ptr_make(&n2->child[i2], sizeof(struct stats_leaf));
}

/* Count one translation into block b (slot-owner or shared updates). */
static inline __attribute__((always_inline)) void
stats_block_count(struct stats_block *b, unsigned what, unsigned fidx,
    unsigned slot)
{
	tslot_add(&b->translations, 1, slot);
	if (what & SMMU_STATS_HIT)
		tslot_add(&b->tlb_hits, 1, slot);
	if (what & SMMU_STATS_MISS)
		tslot_add(&b->tlb_misses, 1, slot);
	if (what & SMMU_STATS_WALK)
		tslot_add(&b->walks, 1, slot);
	if (what & SMMU_STATS_BYPASS)
		tslot_add(&b->bypassed, 1, slot);
	if (what & SMMU_STATS_FAULT) {
		tslot_add(&b->faults, 1, slot);
		tslot_add(&b->by_type[fidx], 1, slot);
	}
}

/*
 * Slow path of smmu_stats_count(): find (creating) this thread's leaf
 * page for sid and remember it.  Returns NULL only when out of memory;
 * *ret_slot gets the thread's slot either way (0 if even the slot could
 * not be allocated: then *ret_total is NULL too).
 */
static struct stats_leaf *
stats_leaf_find(struct smmu_statset *st, uint32_t sid, unsigned *ret_slot,
    struct stats_block **ret_total)
{
	unsigned idx = tslot_get();
	struct stats_slot *s = stats_ptr_get((void *const *)&st->slot[idx]);
	struct stats_leaf *leaf;

	*ret_slot = idx;
	*ret_total = NULL;
	if (s == NULL) {
		/* Exclusive slots are created by their only writer. */
		s = aligned_alloc(64, sizeof(*s));
		if (s == NULL)
			return NULL;
		memset(s, 0, sizeof(*s));
		__atomic_store_n(&st->slot[idx], s, __ATOMIC_RELEASE);
	}
	*ret_total = &s->total;
	leaf = stats_leaf(s, sid, true);
	if (leaf == NULL)
		return NULL;
	stats_memo.st = st;
	stats_memo.serial = st->serial;
	stats_memo.page = sid >> STATS_LEAF_SHIFT;
	stats_memo.slot = idx;
	stats_memo.leaf = leaf;
	return leaf;
}

int
smmu_stats_ref(struct smmu_statset *st, uint32_t sid,
    struct smmu_stats_ref *ret)
{
	struct stats_block *total;
	struct stats_leaf *leaf;
	unsigned slot;

	if (stats_memo.st == st && stats_memo.serial == st->serial &&
	    stats_memo.page == sid >> STATS_LEAF_SHIFT) {
		leaf = stats_memo.leaf;
		slot = stats_memo.slot;
	} else {
		leaf = stats_leaf_find(st, sid, &slot, &total);
		if (leaf == NULL)
			return SMMU_ERR_NOMEM;
	}
	/* Mark the stream as counted before handing out its block. */
	if (!(tslot_read(&leaf->used) & (1ull << (sid & (STATS_LEAF_N - 1)))))
		__atomic_fetch_or(&leaf->used,
		    1ull << (sid & (STATS_LEAF_N - 1)), __ATOMIC_RELAXED);
	ret->block = &leaf->s[sid & (STATS_LEAF_N - 1)];
	ret->slot = slot;
	return 0;
}

/*
 * Counts go to the stream's block only; the instance totals are summed
 * from the streams when read, so the hot path touches one block.  The
 * slot's own total block only takes counts whose leaf page could not be
 * allocated.
 */
void
smmu_stats_count(struct smmu_statset *st, uint32_t sid, unsigned what,
    unsigned fault_type)
{
	unsigned fidx = 0, slot, i = sid & (STATS_LEAF_N - 1);
	struct stats_block *total;
	struct stats_leaf *leaf;

	if (__builtin_expect(stats_memo.st == st &&
	    stats_memo.serial == st->serial &&
	    stats_memo.page == sid >> STATS_LEAF_SHIFT, 1)) {
		leaf = stats_memo.leaf;
		slot = stats_memo.slot;
	} else {
		leaf = stats_leaf_find(st, sid, &slot, &total);
		if (leaf == NULL) {
			if (total != NULL)
				stats_block_count(total, what,
				    smmu_stats_fault_index(fault_type), slot);
			return;
		}
	}
	if (what & SMMU_STATS_FAULT)
		fidx = smmu_stats_fault_index(fault_type);
	stats_block_count(&leaf->s[i], what, fidx, slot);
	if (__builtin_expect(!(tslot_read(&leaf->used) & (1ull << i)), 0))
		__atomic_fetch_or(&leaf->used, 1ull << i, __ATOMIC_RELAXED);
}

/* Add block b into the public stats *r. */
static void
stats_block_add(struct smmu_stats *r, const struct stats_block *b)
{
	unsigned i;

	r->translations += __atomic_load_n(&b->translations, __ATOMIC_RELAXED);
	r->tlb_hits += __atomic_load_n(&b->tlb_hits, __ATOMIC_RELAXED);
	r->tlb_misses += __atomic_load_n(&b->tlb_misses, __ATOMIC_RELAXED);
	r->walks += __atomic_load_n(&b->walks, __ATOMIC_RELAXED);
	r->faults += __atomic_load_n(&b->faults, __ATOMIC_RELAXED);
	r->bypassed += __atomic_load_n(&b->bypassed, __ATOMIC_RELAXED);
	for (i = 0; i < SMMU_STATS_NR_FAULTS; i++)
		r->fault_by_type[i] += __atomic_load_n(&b->by_type[i],
		    __ATOMIC_RELAXED);
}

/* Add every leaf block of a radix subtree of depth (0 = leaf) into r. */
static void
stats_tree_add(struct smmu_stats *r, void *n, unsigned depth)
{
	struct stats_node *node = n;
	struct stats_leaf *leaf = n;
	unsigned i, fan;

	if (n == NULL)
		return;
	if (depth == 0) {
		for (i = 0; i < STATS_LEAF_N; i++)
			stats_block_add(r, &leaf->s[i]);
		return;
	}
	fan = depth == 1 ? 1u << STATS_L2_BITS : 1u << STATS_L1_BITS;
	for (i = 0; i < fan; i++)
		stats_tree_add(r, stats_ptr_get(&node->child[i]), depth - 1);
}

void
smmu_stats_read(const struct smmu_statset *st, struct smmu_stats *ret)
{
	const struct stats_slot *s;
	unsigned i, j;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i <= STATS_NR_SLOTS; i++) {
		s = stats_ptr_get((void *const *)&st->slot[i]);
		if (s == NULL)
			continue;
		stats_block_add(ret, &s->total);
		for (j = 0; j < (1u << STATS_L0_BITS); j++)
			stats_tree_add(ret, stats_ptr_get(&s->root[j]), 2);
	}
}

/* Sum stream sid over all slots; false if no slot counted it. */
static bool
stats_sum_stream(const struct smmu_statset *st, uint32_t sid,
    struct smmu_stats *ret)
{
	struct stats_slot *s;
	struct stats_leaf *leaf;
	unsigned i, j = sid & (STATS_LEAF_N - 1);
	bool found = false;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i <= STATS_NR_SLOTS; i++) {
		s = stats_ptr_get((void *const *)&st->slot[i]);
		if (s == NULL)
			continue;
		leaf = stats_leaf(s, sid, false);
		if (leaf == NULL ||
		    !(__atomic_load_n(&leaf->used, __ATOMIC_RELAXED) &
		    (1ull << j)))
			continue;
		stats_block_add(ret, &leaf->s[j]);
		found = true;
	}
	return found;
}

int
smmu_stats_read_stream(const struct smmu_statset *st, uint32_t sid,
    struct smmu_stats *ret)
{
	return stats_sum_stream(st, sid, ret) ? 0 : SMMU_ERR_NOENT;
}

/* True if any slot has a leaf page for page index p (sid >> 6). */
static bool
stats_page_used(const struct smmu_statset *st, uint32_t p)
{
	struct stats_slot *s;
	unsigned i;

	for (i = 0; i <= STATS_NR_SLOTS; i++) {
		s = stats_ptr_get((void *const *)&st->slot[i]);
		if (s != NULL && stats_leaf(s, p << STATS_LEAF_SHIFT, false))
			return true;
	}
	return false;
}

/* True if any slot has radix node (i0) or (i0, i1); i1 < 0 for the
 * first level only. */
static bool
stats_node_used(const struct smmu_statset *st, unsigned i0, int i1)
{
	struct stats_slot *s;
	struct stats_node *n;
	unsigned i;

	for (i = 0; i <= STATS_NR_SLOTS; i++) {
		s = stats_ptr_get((void *const *)&st->slot[i]);
		if (s == NULL || (n = stats_ptr_get(&s->root[i0])) == NULL)
			continue;
		if (i1 < 0 || stats_ptr_get(&n->child[i1]) != NULL)
			return true;
	}
	return false;
}

int
smmu_stats_foreach_stream(const struct smmu_statset *st,
    int (*cb)(void *arg, uint32_t sid, const struct smmu_stats *s),
    void *arg)
{
	struct smmu_stats sum;
	unsigned i0, i1, i2, j;
	uint32_t p, sid;
	int r;

	for (i0 = 0; i0 < (1u << STATS_L0_BITS); i0++) {
		if (!stats_node_used(st, i0, -1))
			continue;
		for (i1 = 0; i1 < (1u << STATS_L1_BITS); i1++) {
			if (!stats_node_used(st, i0, (int)i1))
				continue;
			for (i2 = 0; i2 < (1u << STATS_L2_BITS); i2++) {
				p = (uint32_t)i0 << (STATS_L1_BITS +
				    STATS_L2_BITS) | i1 << STATS_L2_BITS | i2;
				if (!stats_page_used(st, p))
					continue;
				for (j = 0; j < STATS_LEAF_N; j++) {
					sid = p << STATS_LEAF_SHIFT | j;
					if (!stats_sum_stream(st, sid, &sum))
						continue;
					r = cb(arg, sid, &sum);
					if (r != 0)
						return r;
				}
			}
		}
	}
	return 0;
}
