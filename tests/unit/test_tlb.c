/*
 * test_tlb.c - unit tests of the IOTLB (lib/tlb.c): tagging, block
 * matching, every invalidation kind, the four replacement policies, the
 * generation check, counters, a large fill and a concurrency smoke test.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "suites.h"
#include "tlb.h"

#define SZ_4K 12
#define SZ_64K 16
#define SZ_2M 21
#define SZ_1G 30

/* An entry (flags: 0, GLOBAL or IPA); ipa is derived from in. */
static struct smmu_tlb_entry
mk(uint8_t flags, uint16_t vmid, uint16_t asid, uint64_t in,
    uint8_t size_log2, uint8_t level, uint64_t out)
{
	struct smmu_tlb_entry e;

	memset(&e, 0, sizeof(e));
	e.in = in;
	e.out = out;
	e.ipa = in ^ 0x5a5a000;
	e.vmid = vmid;
	e.asid = asid;
	e.perm = 0x0abc;
	e.size_log2 = size_log2;
	e.level = level;
	e.flags = flags;
	return e;
}

/* Insert e with the current generation; must succeed. */
static void
ins(struct smmu_tlb *t, const struct smmu_tlb_entry *e)
{
	ck_assert(smmu_tlb_insert(t, e, smmu_tlb_gen(t)));
}

static struct smmu_cache_stats
stats(const struct smmu_tlb *t)
{
	struct smmu_cache_stats s;

	memset(&s, 0xff, sizeof(s));
	smmu_tlb_stats(t, &s);
	return s;
}

/* ---- lookup and tagging ------------------------------------------- */

START_TEST(test_create_args)
{
	struct smmu_tlb *t;

	ck_assert_ptr_null(smmu_tlb_create(0, SMMU_TLB_LRU));
	ck_assert_ptr_null(smmu_tlb_create(8, SMMU_TLB_POLICY_MAX));
	ck_assert_ptr_null(smmu_tlb_create(8, (enum smmu_tlb_policy)-1));
	ck_assert_ptr_null(smmu_tlb_create(~0u, SMMU_TLB_LRU));
	smmu_tlb_destroy(NULL);

	t = smmu_tlb_create(1, SMMU_TLB_2Q);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(stats(t).capacity, 1);
	ck_assert_uint_eq(stats(t).entries, 0);
	ck_assert_uint_eq(stats(t).hits, 0);
	smmu_tlb_destroy(t);
	t = smmu_tlb_create(8, SMMU_TLB_CLOCK);
	ck_assert_uint_eq(stats(t).capacity, 8);
	smmu_tlb_destroy(t);
	/* Above one set, capacity rounds up to a multiple of the ways. */
	t = smmu_tlb_create(9, SMMU_TLB_LFU);
	ck_assert_uint_eq(stats(t).capacity, 16);
	smmu_tlb_destroy(t);
	t = smmu_tlb_create(4096, SMMU_TLB_LRU);
	ck_assert_uint_eq(stats(t).capacity, 4096);
	smmu_tlb_destroy(t);
}
END_TEST

START_TEST(test_miss_insert_hit)
{
	struct smmu_tlb *t = smmu_tlb_create(64, SMMU_TLB_LRU);
	struct smmu_tlb_entry e, r;

	ck_assert(!smmu_tlb_lookup(t, false, 1, 5, 0x7abc, &r));
	e = mk(0, 1, 5, 0x7000, SZ_4K, 3, 0xabc000);
	e.ipa = 0x123000;
	e.perm = 0x0fed;
	ins(t, &e);
	memset(&r, 0, sizeof(r));
	ck_assert(smmu_tlb_lookup(t, false, 1, 5, 0x7abc, &r));
	ck_assert_uint_eq(r.in, 0x7000);
	ck_assert_uint_eq(r.out, 0xabc000);
	ck_assert_uint_eq(r.ipa, 0x123000);
	ck_assert_uint_eq(r.vmid, 1);
	ck_assert_uint_eq(r.asid, 5);
	ck_assert_uint_eq(r.perm, 0x0fed);
	ck_assert_uint_eq(r.size_log2, SZ_4K);
	ck_assert_uint_eq(r.level, 3);
	ck_assert_uint_eq(r.flags, 0);
	ck_assert(smmu_tlb_lookup(t, false, 1, 5, 0x7000, &r));
	ck_assert(smmu_tlb_lookup(t, false, 1, 5, 0x7fff, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 1, 5, 0x8000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 1, 5, 0x6fff, &r));
	smmu_tlb_destroy(t);
}
END_TEST

START_TEST(test_blocks)
{
	struct smmu_tlb *t = smmu_tlb_create(64, SMMU_TLB_LRU);
	struct smmu_tlb_entry e, r;
	const uint64_t hi = 0xffff800000000000ULL;

	e = mk(0, 2, 9, 0x200000, SZ_2M, 2, 0x80000000);
	ins(t, &e);
	e = mk(0, 2, 9, 0x40000000, SZ_1G, 1, 0x1c0000000ULL);
	ins(t, &e);
	e = mk(SMMU_TLB_F_GLOBAL, 2, 0, hi, SZ_2M, 2, 0x3000000);
	ins(t, &e);

	ck_assert(smmu_tlb_lookup(t, false, 2, 9, 0x200000, &r));
	ck_assert_uint_eq(r.in, 0x200000);
	ck_assert_uint_eq(r.size_log2, SZ_2M);
	ck_assert(smmu_tlb_lookup(t, false, 2, 9, 0x2abcde, &r));
	ck_assert_uint_eq(r.in, 0x200000);
	ck_assert_uint_eq(r.out, 0x80000000);
	ck_assert(smmu_tlb_lookup(t, false, 2, 9, 0x3fffff, &r));
	ck_assert_uint_eq(r.in, 0x200000);
	ck_assert(!smmu_tlb_lookup(t, false, 2, 9, 0x400000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 2, 9, 0x1fffff, &r));

	ck_assert(smmu_tlb_lookup(t, false, 2, 9, 0x40000000, &r));
	ck_assert_uint_eq(r.in, 0x40000000);
	ck_assert_uint_eq(r.size_log2, SZ_1G);
	ck_assert(smmu_tlb_lookup(t, false, 2, 9, 0x6543210f, &r));
	ck_assert_uint_eq(r.out, 0x1c0000000ULL);
	ck_assert(smmu_tlb_lookup(t, false, 2, 9, 0x7fffffff, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 2, 9, 0x80000000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 2, 9, 0x3fffffff, &r));

	/* A TTB1-range VA (top bits set). */
	ck_assert(smmu_tlb_lookup(t, false, 2, 77, hi + 0x1fffff, &r));
	ck_assert_uint_eq(r.in, hi);
	ck_assert_uint_eq(r.flags, SMMU_TLB_F_GLOBAL);
	ck_assert(!smmu_tlb_lookup(t, false, 2, 77, hi + 0x200000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 2, 77, hi - 1, &r));
	smmu_tlb_destroy(t);
}
END_TEST

START_TEST(test_tags)
{
	struct smmu_tlb *t = smmu_tlb_create(64, SMMU_TLB_LRU);
	struct smmu_tlb_entry e, r;

	/* VA and IPA entries never alias. */
	e = mk(0, 1, 1, 0x1000, SZ_4K, 3, 0x11000);
	ins(t, &e);
	e = mk(SMMU_TLB_F_IPA, 1, 0, 0x2000, SZ_4K, 3, 0x22000);
	ins(t, &e);
	ck_assert(!smmu_tlb_lookup(t, true, 1, 1, 0x1000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 1, 1, 0x2000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 1, 0, 0x2000, &r));
	/* IPA entries ignore the ASID. */
	ck_assert(smmu_tlb_lookup(t, true, 1, 0, 0x2000, &r));
	ck_assert_uint_eq(r.out, 0x22000);
	ck_assert_uint_eq(r.flags, SMMU_TLB_F_IPA);
	ck_assert(smmu_tlb_lookup(t, true, 1, 0x1234, 0x2fff, &r));
	ck_assert_uint_eq(r.out, 0x22000);
	ck_assert(!smmu_tlb_lookup(t, true, 2, 0, 0x2000, &r));
	/* Different VMID or ASID. */
	ck_assert(smmu_tlb_lookup(t, false, 1, 1, 0x1000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 2, 1, 0x1000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 1, 2, 0x1000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 0x101, 1, 0x1000, &r));
	/* A global entry: any ASID of its VMID, no other VMID. */
	e = mk(SMMU_TLB_F_GLOBAL, 3, 0, 0x5000, SZ_4K, 3, 0x55000);
	ins(t, &e);
	ck_assert(smmu_tlb_lookup(t, false, 3, 0, 0x5000, &r));
	ck_assert_uint_eq(r.out, 0x55000);
	ck_assert(smmu_tlb_lookup(t, false, 3, 0xffff, 0x5abc, &r));
	ck_assert_uint_eq(r.out, 0x55000);
	ck_assert_uint_eq(r.flags, SMMU_TLB_F_GLOBAL);
	ck_assert(!smmu_tlb_lookup(t, false, 4, 0, 0x5000, &r));
	ck_assert(!smmu_tlb_lookup(t, true, 3, 0, 0x5000, &r));
	ck_assert_uint_eq(stats(t).entries, 3);
	smmu_tlb_destroy(t);
}
END_TEST

START_TEST(test_insert_invalid)
{
	struct smmu_tlb *t = smmu_tlb_create(64, SMMU_TLB_LRU);
	struct smmu_tlb_entry e;

	e = mk(0, 1, 1, 0x201000, SZ_2M, 2, 0);	/* misaligned */
	ck_assert(!smmu_tlb_insert(t, &e, smmu_tlb_gen(t)));
	e = mk(0, 1, 1, 0x800, 11, 3, 0);	/* below 4 KiB */
	ck_assert(!smmu_tlb_insert(t, &e, smmu_tlb_gen(t)));
	e = mk(0, 1, 1, 0, 64, 0, 0);		/* too large */
	ck_assert(!smmu_tlb_insert(t, &e, smmu_tlb_gen(t)));
	ck_assert_uint_eq(stats(t).insertions, 0);
	ck_assert_uint_eq(stats(t).entries, 0);
	smmu_tlb_destroy(t);
}
END_TEST

START_TEST(test_replace_same_key)
{
	struct smmu_tlb *t = smmu_tlb_create(64, SMMU_TLB_LRU);
	struct smmu_tlb_entry e, r;

	e = mk(0, 1, 1, 0x9000, SZ_4K, 3, 0x1000);
	ins(t, &e);
	e.out = 0x2000;
	e.perm = 0x3f;
	ins(t, &e);
	ck_assert_uint_eq(stats(t).entries, 1);
	ck_assert_uint_eq(stats(t).insertions, 2);
	ck_assert(smmu_tlb_lookup(t, false, 1, 1, 0x9000, &r));
	ck_assert_uint_eq(r.out, 0x2000);
	ck_assert_uint_eq(r.perm, 0x3f);
	ck_assert_uint_eq(smmu_tlb_inv_all(t), 1);
	ck_assert(!smmu_tlb_lookup(t, false, 1, 1, 0x9000, &r));
	smmu_tlb_destroy(t);
}
END_TEST

/* ---- invalidation ------------------------------------------------- */

#define G SMMU_TLB_F_GLOBAL
#define I SMMU_TLB_F_IPA

/* The population every invalidation case starts from (out = unique). */
static const struct {
	uint8_t flags;
	uint16_t vmid, asid;
	uint64_t in;
	uint8_t size, level;
} pop[] = {
	/* 0 */ { 0, 1, 1, 0x10000, SZ_4K, 3 },
	/* 1 */ { 0, 1, 1, 0x200000, SZ_2M, 2 },
	/* 2 */ { 0, 1, 2, 0x11000, SZ_4K, 3 },
	/* 3 */ { G, 1, 0, 0x12000, SZ_4K, 3 },
	/* 4 */ { G, 1, 0, 0x400000, SZ_2M, 2 },
	/* 5 */ { 0, 2, 1, 0x10000, SZ_4K, 3 },
	/* 6 */ { I, 1, 0, 0x10000, SZ_4K, 3 },
	/* 7 */ { I, 1, 0, 0x600000, SZ_2M, 2 },
	/* 8 */ { I, 2, 0, 0x10000, SZ_4K, 3 },
	/* 9 */ { 0, 1, 1, 0x40000000, SZ_1G, 1 },
	/* 10 */ { 0, 1, 1, 0x13000, SZ_4K, 3 },
	/* 11 */ { G, 2, 0, 0x12000, SZ_4K, 3 },
	/* 12 */ { I, 1, 0, 0x80000000, SZ_1G, 1 },
	/* 13 */ { 0, 1, 1, 0x14000, SZ_4K, 3 },
	/* 14 */ { 0, 1, 2, 0x200000, SZ_2M, 2 },
	/* 15 */ { 0, 1, 1, 0x20000, SZ_64K, 3 },
};
#define NPOP (sizeof(pop) / sizeof(pop[0]))
#define ALLPOP ((1u << NPOP) - 1)
#define B(n) (1u << (n))

enum inv_op { OP_ALL, OP_VMID, OP_NH_ALL, OP_ASID, OP_VA, OP_VAA, OP_IPA };

static const struct {
	enum inv_op op;
	uint16_t vmid, asid;
	uint64_t addr, len;
	unsigned ttl;
	unsigned removed;	/* bitmask of pop[] indices */
} inv_cases[] = {
	{ OP_ALL, 0, 0, 0, 0, 0, ALLPOP },
	{ OP_VMID, 1, 0, 0, 0, 0, ALLPOP & ~(B(5) | B(8) | B(11)) },
	{ OP_VMID, 3, 0, 0, 0, 0, 0 },
	/* NH_ALL keeps IPA entries and other VMIDs, takes globals. */
	{ OP_NH_ALL, 1, 0, 0, 0, 0, B(0) | B(1) | B(2) | B(3) | B(4) |
	    B(9) | B(10) | B(13) | B(14) | B(15) },
	/* NH_ASID keeps global entries. */
	{ OP_ASID, 1, 1, 0, 0, 0, B(0) | B(1) | B(9) | B(10) | B(13) |
	    B(15) },
	{ OP_ASID, 2, 1, 0, 0, 0, B(5) },
	/* NH_VA: exclusive end, other ASID kept, global removed. */
	{ OP_VA, 1, 1, 0x11000, 0x2000, 0, B(3) },
	{ OP_VA, 1, 1, 0x13000, 0, 0, B(10) },
	{ OP_VA, 1, 1, 0x12fff, 2, 0, B(3) | B(10) },
	{ OP_VA, 1, 1, 0x3fffff, 0, 0, B(1) },
	{ OP_VA, 1, 2, 0x200000, 0x1000, 0, B(14) },
	{ OP_VA, 1, 1, 0x10000, 0x10000, 0, B(0) | B(3) | B(10) | B(13) },
	{ OP_VA, 1, 1, 0x2ffff, 1, 0, B(15) },
	{ OP_VA, 1, 1, 0x30000, 0x1000, 0, 0 },
	/* Large ranges (a full scan) with TTL. */
	{ OP_VA, 1, 1, 0, 1ULL << 32, 3, B(0) | B(3) | B(10) | B(13) |
	    B(15) },
	{ OP_VA, 1, 1, 0, 1ULL << 32, 2, B(1) | B(4) },
	{ OP_VA, 1, 1, 0, 1ULL << 32, 1, B(9) },
	{ OP_VA, 1, 1, 0, 1ULL << 32, 0, B(0) | B(1) | B(3) | B(4) | B(9) |
	    B(10) | B(13) | B(15) },
	/* A range wrapping past the top of the address space. */
	{ OP_VA, 1, 1, 0xfffffffffffff000ULL, 0x2000, 0, 0 },
	/* NH_VAA: every ASID of the VMID. */
	{ OP_VAA, 1, 0, 0x10000, 0x3000, 0, B(0) | B(2) | B(3) },
	{ OP_VAA, 1, 0, 0, 1ULL << 40, 0, B(0) | B(1) | B(2) | B(3) | B(4) |
	    B(9) | B(10) | B(13) | B(14) | B(15) },
	{ OP_VAA, 1, 0, 0x40000005, 0, 1, B(9) },
	{ OP_VAA, 1, 0, 0x40000005, 0, 3, 0 },
	{ OP_VAA, 2, 0, 0x10000, 0x3000, 0, B(5) | B(11) },
	/* S2_IPA keeps VA entries at the same address. */
	{ OP_IPA, 1, 0, 0x10000, 0, 0, B(6) },
	{ OP_IPA, 1, 0, 0, 1ULL << 40, 2, B(7) },
	{ OP_IPA, 1, 0, 0, 1ULL << 40, 0, B(6) | B(7) | B(12) },
	{ OP_IPA, 1, 0, 0x5ff000, 0x1001, 0, B(7) },
	{ OP_IPA, 1, 0, 0x5ff000, 0x1000, 0, 0 },
	{ OP_IPA, 2, 0, 0x10fff, 0, 3, B(8) },
};

/* Fill t with pop[]; entry i has out = (i + 1) << 32. */
static void
inv_populate(struct smmu_tlb *t)
{
	struct smmu_tlb_entry e;
	unsigned i;

	for (i = 0; i < NPOP; i++) {
		e = mk(pop[i].flags, pop[i].vmid, pop[i].asid, pop[i].in,
		    pop[i].size, pop[i].level, (uint64_t)(i + 1) << 32);
		ins(t, &e);
	}
	ck_assert_uint_eq(stats(t).entries, NPOP);
	ck_assert_uint_eq(stats(t).evictions, 0);
}

/* True if pop[i] is still cached (looked up in the middle of its block). */
static bool
inv_present(struct smmu_tlb *t, unsigned i)
{
	struct smmu_tlb_entry r;
	uint64_t addr = pop[i].in + ((uint64_t)1 << pop[i].size) / 2 + 8;
	/* ASID 0x77 has no entries: only globals answer it. */
	uint16_t asid = pop[i].flags != 0 ? 0x77 : pop[i].asid;

	if (!smmu_tlb_lookup(t, (pop[i].flags & I) != 0, pop[i].vmid, asid,
	    addr, &r))
		return false;
	ck_assert_msg(r.out == (uint64_t)(i + 1) << 32,
	    "lookup for entry %u found another entry %#llx", i,
	    (unsigned long long)r.out);
	return true;
}

START_TEST(test_inv_cases)
{
	struct smmu_tlb *t;
	unsigned i, n = 0, want = 0;
	uint64_t gen;

	/* 128 sets: small ranges probe, large ones scan everything. */
	t = smmu_tlb_create(1024, SMMU_TLB_LRU);
	inv_populate(t);
	for (i = 0; i < NPOP; i++)
		ck_assert_msg(inv_present(t, i), "entry %u missing", i);
	gen = smmu_tlb_gen(t);
	switch (inv_cases[_i].op) {
	case OP_ALL:
		n = smmu_tlb_inv_all(t);
		break;
	case OP_VMID:
		n = smmu_tlb_inv_vmid(t, inv_cases[_i].vmid);
		break;
	case OP_NH_ALL:
		n = smmu_tlb_inv_nh_all(t, inv_cases[_i].vmid);
		break;
	case OP_ASID:
		n = smmu_tlb_inv_asid(t, inv_cases[_i].vmid,
		    inv_cases[_i].asid);
		break;
	case OP_VA:
		n = smmu_tlb_inv_va(t, inv_cases[_i].vmid, inv_cases[_i].asid,
		    inv_cases[_i].addr, inv_cases[_i].len, inv_cases[_i].ttl);
		break;
	case OP_VAA:
		n = smmu_tlb_inv_vaa(t, inv_cases[_i].vmid,
		    inv_cases[_i].addr, inv_cases[_i].len, inv_cases[_i].ttl);
		break;
	case OP_IPA:
		n = smmu_tlb_inv_ipa(t, inv_cases[_i].vmid,
		    inv_cases[_i].addr, inv_cases[_i].len, inv_cases[_i].ttl);
		break;
	}
	ck_assert_uint_ne(smmu_tlb_gen(t), gen);
	for (i = 0; i < NPOP; i++) {
		if (inv_cases[_i].removed & B(i))
			want++;
		ck_assert_msg(inv_present(t, i) ==
		    !(inv_cases[_i].removed & B(i)),
		    "case %d: entry %u should be %s", _i, i,
		    (inv_cases[_i].removed & B(i)) ? "gone" : "kept");
	}
	ck_assert_uint_eq(n, want);
	ck_assert_uint_eq(stats(t).invalidations, want);
	ck_assert_uint_eq(stats(t).entries, NPOP - want);
	smmu_tlb_destroy(t);
}
END_TEST

/* The same cases on a one-set TLB (everything in one set). */
START_TEST(test_inv_one_set)
{
	struct smmu_tlb *t = smmu_tlb_create(8, SMMU_TLB_CLOCK);
	struct smmu_tlb_entry e, r;
	unsigned i;

	for (i = 0; i < 8; i++) {
		e = mk(i & 1 ? G : 0, 1, 1, (uint64_t)i << 21, SZ_2M, 2,
		    (uint64_t)i << 32);
		ins(t, &e);
	}
	/* [4 MiB - 1, 8 MiB]: blocks 1..4. */
	ck_assert_uint_eq(smmu_tlb_inv_va(t, 1, 1, (2 << 21) - 1,
	    (2 << 21) + 2, 0), 4);
	for (i = 0; i < 8; i++)
		ck_assert(smmu_tlb_lookup(t, false, 1, 1,
		    ((uint64_t)i << 21) + 5, &r) == (i < 1 || i > 4));
	ck_assert_uint_eq(smmu_tlb_inv_vaa(t, 1, 0, 0, 0), 1);
	ck_assert_uint_eq(smmu_tlb_inv_nh_all(t, 1), 3);
	ck_assert_uint_eq(stats(t).entries, 0);
	smmu_tlb_destroy(t);
}
END_TEST

/* ---- generation and counters -------------------------------------- */

START_TEST(test_gen)
{
	struct smmu_tlb *t = smmu_tlb_create(64, SMMU_TLB_LRU);
	struct smmu_tlb_entry e, r;
	uint64_t g, g2;

	e = mk(0, 1, 1, 0x4000, SZ_4K, 3, 0x44000);
	g = smmu_tlb_gen(t);
	/* Even an invalidation that removes nothing makes g stale. */
	ck_assert_uint_eq(smmu_tlb_inv_ipa(t, 9, 0x1000, 0, 0), 0);
	ck_assert(!smmu_tlb_insert(t, &e, g));
	ck_assert(!smmu_tlb_lookup(t, false, 1, 1, 0x4000, &r));
	ck_assert_uint_eq(stats(t).insertions, 0);
	ck_assert_uint_eq(stats(t).entries, 0);
	g = smmu_tlb_gen(t);
	ck_assert(smmu_tlb_insert(t, &e, g));
	ck_assert(smmu_tlb_lookup(t, false, 1, 1, 0x4000, &r));

	/* Every invalidation kind bumps the generation. */
	g = smmu_tlb_gen(t);
	(void)smmu_tlb_inv_all(t);
	g2 = smmu_tlb_gen(t);
	ck_assert_uint_ne(g2, g);
	(void)smmu_tlb_inv_vmid(t, 1);
	ck_assert_uint_ne(smmu_tlb_gen(t), g2);
	g2 = smmu_tlb_gen(t);
	(void)smmu_tlb_inv_nh_all(t, 1);
	ck_assert_uint_ne(smmu_tlb_gen(t), g2);
	g2 = smmu_tlb_gen(t);
	(void)smmu_tlb_inv_asid(t, 1, 1);
	ck_assert_uint_ne(smmu_tlb_gen(t), g2);
	g2 = smmu_tlb_gen(t);
	(void)smmu_tlb_inv_va(t, 1, 1, 0, 0, 0);
	ck_assert_uint_ne(smmu_tlb_gen(t), g2);
	g2 = smmu_tlb_gen(t);
	(void)smmu_tlb_inv_vaa(t, 1, 0, 0, 0);
	ck_assert_uint_ne(smmu_tlb_gen(t), g2);
	g2 = smmu_tlb_gen(t);
	(void)smmu_tlb_inv_ipa(t, 1, 0, 0, 0);
	ck_assert_uint_ne(smmu_tlb_gen(t), g2);

	/* A stale replace of an existing key is dropped too. */
	g = smmu_tlb_gen(t);
	ck_assert(smmu_tlb_insert(t, &e, g));
	(void)smmu_tlb_inv_va(t, 7, 7, 0, 0, 0);
	e.out = 0x99000;
	ck_assert(!smmu_tlb_insert(t, &e, g));
	ck_assert(smmu_tlb_lookup(t, false, 1, 1, 0x4000, &r));
	ck_assert_uint_eq(r.out, 0x44000);
	smmu_tlb_destroy(t);
}
END_TEST

START_TEST(test_counters)
{
	struct smmu_tlb *t = smmu_tlb_create(4, SMMU_TLB_LRU);
	struct smmu_tlb_entry e[6], r;
	struct smmu_cache_stats s;
	uint64_t g;
	unsigned i;

	for (i = 0; i < 6; i++)
		e[i] = mk(0, 1, 1, (uint64_t)(i + 1) << 12, SZ_4K, 3,
		    (uint64_t)(i + 1) << 20);
	ck_assert(!smmu_tlb_lookup(t, false, 1, 1, 0x1000, &r));
	for (i = 0; i < 4; i++)
		ins(t, &e[i]);
	ck_assert(smmu_tlb_lookup(t, false, 1, 1, 0x1000, &r));
	ck_assert(smmu_tlb_lookup(t, false, 1, 1, 0x2000, &r));
	ck_assert(!smmu_tlb_lookup(t, false, 1, 1, 0x9000, &r));
	ins(t, &e[4]);		/* evicts e[2], the least recently used */
	ins(t, &e[4]);		/* replaces: no eviction */
	g = smmu_tlb_gen(t);
	ck_assert_uint_eq(smmu_tlb_inv_va(t, 1, 1, 0x4000, 0, 0), 1);
	ck_assert(!smmu_tlb_insert(t, &e[5], g));
	ck_assert_uint_eq(smmu_tlb_inv_asid(t, 1, 1), 3);

	s = stats(t);
	ck_assert_uint_eq(s.hits, 2);
	ck_assert_uint_eq(s.misses, 2);
	ck_assert_uint_eq(s.insertions, 6);
	ck_assert_uint_eq(s.evictions, 1);
	ck_assert_uint_eq(s.invalidations, 4);
	ck_assert_uint_eq(s.entries, 0);
	ck_assert_uint_eq(s.capacity, 4);
	smmu_tlb_destroy(t);
}
END_TEST

/* ---- replacement policies ------------------------------------------ */

/*
 * Run ops on a fresh TLB: an upper-case letter inserts that key, a
 * lower-case one looks it up (must hit).  Then exactly the keys in
 * present must be cached, and each insert beyond them evicted one.
 */
static void
run_script(enum smmu_tlb_policy policy, unsigned cap, const char *ops,
    const char *present)
{
	struct smmu_tlb *t = smmu_tlb_create(cap, policy);
	struct smmu_tlb_entry e, r;
	bool seen[26] = { false };
	unsigned k, ninserts = 0;
	const char *p;
	bool want;

	ck_assert_ptr_nonnull(t);
	for (p = ops; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			k = (unsigned)(*p - 'A');
			e = mk(0, 1, 1, (uint64_t)(k + 1) << 12, SZ_4K, 3,
			    (uint64_t)(k + 1) << 24);
			ins(t, &e);
			ninserts++;
			seen[k] = true;
		} else {
			k = (unsigned)(*p - 'a');
			ck_assert_msg(smmu_tlb_lookup(t, false, 1, 1,
			    (uint64_t)(k + 1) << 12, &r),
			    "%s: %c missing at op %d", ops, *p, (int)(p - ops));
		}
	}
	/* (No script re-inserts a key that is still cached.) */
	ck_assert_uint_eq(stats(t).entries, strlen(present));
	ck_assert_uint_eq(stats(t).evictions, ninserts - strlen(present));
	for (k = 0; k < 26; k++) {
		if (!seen[k])
			continue;
		want = strchr(present, 'A' + (int)k) != NULL;
		ck_assert_msg(smmu_tlb_lookup(t, false, 1, 1,
		    (uint64_t)(k + 1) << 12, &r) == want,
		    "%s policy %d: %c should be %s", ops, policy, 'A' + k,
		    want ? "present" : "evicted");
	}
	smmu_tlb_destroy(t);
}

START_TEST(test_lru)
{
	run_script(SMMU_TLB_LRU, 4, "ABCDE", "BCDE");
	run_script(SMMU_TLB_LRU, 4, "ABCDacbE", "ABCE");
	run_script(SMMU_TLB_LRU, 4, "ABCDacbEaF", "ABEF");
	run_script(SMMU_TLB_LRU, 4, "ABCDdcbaE", "ABCE");
	run_script(SMMU_TLB_LRU, 1, "AaB", "B");
	run_script(SMMU_TLB_LRU, 8, "ABCDEFGHaI", "ACDEFGHI");
}
END_TEST

START_TEST(test_lfu)
{
	run_script(SMMU_TLB_LFU, 4, "ABCDE", "BCDE");
	/* Hits A3 B1 C2 D1: B and D tie, B is older. */
	run_script(SMMU_TLB_LFU, 4, "ABCDaaabccdE", "ACDE");
	/* A fresh entry has no hits: it goes next. */
	run_script(SMMU_TLB_LFU, 4, "ABCDaaabccdEF", "ACDF");
	run_script(SMMU_TLB_LFU, 4, "ABCDaaabccdEFffG", "ACFG");
	run_script(SMMU_TLB_LFU, 4, "ABCDddddE", "BCDE");
}
END_TEST

START_TEST(test_clock)
{
	run_script(SMMU_TLB_CLOCK, 4, "ABCDE", "BCDE");
	/* A and C referenced: the hand spares A, takes B. */
	run_script(SMMU_TLB_CLOCK, 4, "ABCDacE", "ACDE");
	/* Then spares C (clearing it), takes D. */
	run_script(SMMU_TLB_CLOCK, 4, "ABCDacEF", "ACEF");
	/* A lost its second chance on the first sweep. */
	run_script(SMMU_TLB_CLOCK, 4, "ABCDacEFG", "CEFG");
	/* E referenced: spared; C's bit was cleared: taken. */
	run_script(SMMU_TLB_CLOCK, 4, "ABCDacEFGeH", "EFGH");
	/* All referenced: a full sweep, then the hand's way. */
	run_script(SMMU_TLB_CLOCK, 4, "ABCDabcdE", "BCDE");
}
END_TEST

START_TEST(test_2q)
{
	run_script(SMMU_TLB_2Q, 4, "ABCDE", "BCDE");
	/* A hit twice (in Am) outlives never-hit B, C, D (A1in FIFO). */
	run_script(SMMU_TLB_2Q, 4, "AaaBCDE", "ACDE");
	run_script(SMMU_TLB_2Q, 4, "AaaBCDEFG", "AEFG");
	/* B is in A1out: re-inserted straight into Am; C goes. */
	run_script(SMMU_TLB_2Q, 4, "AaaBCDEB", "ABDE");
	/* A1in keeps churning past B. */
	run_script(SMMU_TLB_2Q, 4, "AaaBCDEBFGH", "ABGH");
	/* Without the ghost, B would have been evicted in A1in. */
	run_script(SMMU_TLB_2Q, 4, "AaaCDEBFGH", "AFGH");
	/* A1in at kin (1): the LRU of Am (A) goes. */
	run_script(SMMU_TLB_2Q, 4, "AaaBCDEBFGHgI", "BGHI");
	run_script(SMMU_TLB_2Q, 8, "ABCDEFGHI", "BCDEFGHI");
}
END_TEST

/* ---- scale --------------------------------------------------------- */

START_TEST(test_large)
{
	const unsigned n = 1u << 16;
	struct smmu_tlb *t = smmu_tlb_create(n, SMMU_TLB_LRU);
	struct smmu_tlb_entry e, r;
	struct smmu_cache_stats s;
	unsigned i, hits = 0, bad = 0, inr = 0;
	bool present[120];

	/* (Check's asserts are slow in loops: count, then assert once.) */
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < n; i++) {
		e = mk(0, 7, 3, (uint64_t)i << 12, SZ_4K, 3,
		    ((uint64_t)i << 12) + (1ULL << 40));
		bad += !smmu_tlb_insert(t, &e, smmu_tlb_gen(t));
	}
	ck_assert_uint_eq(bad, 0);
	s = stats(t);
	ck_assert_uint_eq(s.insertions, n);
	ck_assert_uint_eq(s.entries + s.evictions, n);
	/* Hashing into 8-way sets keeps nearly all of a full load. */
	ck_assert_uint_ge(s.entries, n * 9 / 10);
	for (i = 0; i < n; i++) {
		if (!smmu_tlb_lookup(t, false, 7, 3, ((uint64_t)i << 12) + 1,
		    &r))
			continue;
		hits++;
		bad += r.in != (uint64_t)i << 12 ||
		    r.out != r.in + (1ULL << 40);
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(hits, s.entries);
	ck_assert_uint_eq(stats(t).hits, hits);
	ck_assert_uint_eq(stats(t).misses, n - hits);
	for (i = 0; i < 120; i++)
		present[i] = smmu_tlb_lookup(t, false, 7, 3,
		    (uint64_t)i << 12, &r);

	/* A small range invalidation (probing) removes exactly its pages. */
	for (i = 100; i < 116; i++)
		inr += present[i];
	ck_assert_uint_eq(smmu_tlb_inv_va(t, 7, 3, 100 << 12, 16 << 12, 0),
	    inr);
	for (i = 96; i < 120; i++)
		ck_assert(smmu_tlb_lookup(t, false, 7, 3, (uint64_t)i << 12,
		    &r) == (present[i] && (i < 100 || i >= 116)));
	ck_assert_uint_eq(stats(t).entries, s.entries - inr);
	/* Another VMID or ASID removes nothing; the right one all. */
	ck_assert_uint_eq(smmu_tlb_inv_asid(t, 7, 4), 0);
	ck_assert_uint_eq(smmu_tlb_inv_vmid(t, 8), 0);
	ck_assert_uint_eq(smmu_tlb_inv_asid(t, 7, 3), s.entries - inr);
	ck_assert_uint_eq(stats(t).entries, 0);
	smmu_tlb_destroy(t);
}
END_TEST

/* ---- concurrency smoke test ---------------------------------------- */

#define MT_KEYS 64
#define MT_READS 400000
#define MT_ROUNDS 10000

struct mt_ctx {
	struct smmu_tlb *t;
	unsigned bad;		/* inconsistent entries seen */
	unsigned stable_miss;	/* misses of never-invalidated keys */
};

/* Entry of key k (asid 1 stable, asid 2 volatile) at version ver. */
static struct smmu_tlb_entry
mt_entry(uint16_t asid, unsigned k, unsigned ver)
{
	uint64_t in = ((uint64_t)asid << 24) + ((uint64_t)k << 12);
	struct smmu_tlb_entry e;

	e = mk(0, 1, asid, in, SZ_4K, 3, in | (uint64_t)ver << 44);
	e.ipa = in ^ ((uint64_t)ver << 36);
	e.perm = (uint16_t)(ver & 0xfff);
	return e;
}

/* Check every field of r against the version its out encodes. */
static bool
mt_consistent(const struct smmu_tlb_entry *r, uint16_t asid, unsigned k)
{
	uint64_t in = ((uint64_t)asid << 24) + ((uint64_t)k << 12);
	unsigned ver = (unsigned)(r->out >> 44);

	return r->in == in && (r->out & ((1ULL << 44) - 1)) == in &&
	    r->ipa == (in ^ ((uint64_t)ver << 36)) &&
	    r->perm == (ver & 0xfff) && r->asid == asid && r->vmid == 1 &&
	    r->level == 3 && r->size_log2 == SZ_4K && r->flags == 0;
}

static void *
mt_reader(void *arg)
{
	struct mt_ctx *c = arg;
	struct smmu_tlb_entry r;
	unsigned i, k;
	uint16_t asid;

	for (i = 0; i < MT_READS; i++) {
		k = (i * 7) % MT_KEYS;
		asid = (i & 1) ? 2 : 1;
		if (!smmu_tlb_lookup(c->t, false, 1, asid,
		    ((uint64_t)asid << 24) + ((uint64_t)k << 12) + 0x10,
		    &r)) {
			if (asid == 1)
				__atomic_fetch_add(&c->stable_miss, 1,
				    __ATOMIC_RELAXED);
			continue;
		}
		if (!mt_consistent(&r, asid, k))
			__atomic_fetch_add(&c->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *
mt_writer(void *arg)
{
	struct mt_ctx *c = arg;
	struct smmu_tlb_entry e;
	unsigned round, k;
	uint64_t g;

	for (round = 1; round <= MT_ROUNDS; round++) {
		if (round % 50 == 0) {
			(void)smmu_tlb_inv_asid(c->t, 1, 2);
			g = smmu_tlb_gen(c->t);
			for (k = 0; k < MT_KEYS; k++) {
				e = mt_entry(2, k, round);
				(void)smmu_tlb_insert(c->t, &e, g);
			}
			continue;
		}
		k = round % MT_KEYS;
		(void)smmu_tlb_inv_va(c->t, 1, 2, (2 << 24) + (k << 12), 0,
		    0);
		g = smmu_tlb_gen(c->t);
		e = mt_entry(2, k, round);
		(void)smmu_tlb_insert(c->t, &e, g);
		/* And a plain replace of another key. */
		e = mt_entry(2, (k * 5) % MT_KEYS, round);
		(void)smmu_tlb_insert(c->t, &e, smmu_tlb_gen(c->t));
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct mt_ctx c = { .t = smmu_tlb_create(1024, SMMU_TLB_LRU) };
	struct smmu_tlb_entry e;
	pthread_t th[3];
	unsigned k, i;

	ck_assert_ptr_nonnull(c.t);
	for (k = 0; k < MT_KEYS; k++) {
		e = mt_entry(1, k, 1);
		ins(c.t, &e);
		e = mt_entry(2, k, 1);
		ins(c.t, &e);
	}
	ck_assert_int_eq(pthread_create(&th[0], NULL, mt_writer, &c), 0);
	ck_assert_int_eq(pthread_create(&th[1], NULL, mt_reader, &c), 0);
	ck_assert_int_eq(pthread_create(&th[2], NULL, mt_reader, &c), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	ck_assert_uint_eq(c.bad, 0);
	ck_assert_uint_eq(c.stable_miss, 0);
	/* The key set never outgrows the TLB. */
	ck_assert_uint_eq(stats(c.t).evictions, 0);
	ck_assert_uint_eq(stats(c.t).entries, 2 * MT_KEYS);
	smmu_tlb_destroy(c.t);
}
END_TEST

Suite *
tlb_suite(void)
{
	Suite *s = suite_create("tlb");
	TCase *tc;

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_create_args);
	tcase_add_test(tc, test_miss_insert_hit);
	tcase_add_test(tc, test_blocks);
	tcase_add_test(tc, test_tags);
	tcase_add_test(tc, test_insert_invalid);
	tcase_add_test(tc, test_replace_same_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalidate");
	tcase_add_loop_test(tc, test_inv_cases, 0,
	    (int)(sizeof(inv_cases) / sizeof(inv_cases[0])));
	tcase_add_test(tc, test_inv_one_set);
	suite_add_tcase(s, tc);

	tc = tcase_create("gen_counters");
	tcase_add_test(tc, test_gen);
	tcase_add_test(tc, test_counters);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc, test_lru);
	tcase_add_test(tc, test_lfu);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_2q);
	suite_add_tcase(s, tc);

	tc = tcase_create("scale");
	tcase_add_test(tc, test_large);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}
