/*
 * test_ptw.c - the page-table walker (lib/ptw.c): geometry of every
 * granule and start level, blocks, concatenated stage-2 tables, nested
 * walks through a non-identity stage 2, input checks (TTB1, TBI, EPD),
 * every fault type with its event fields, and the permission vectors
 * (SMMUV3.md sections 5 and 7).  Tables are built with tbuild; CDs and
 * stage-2 configurations are written directly as decoded structs.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bits.h"
#include "ptw.h"
#include "suites.h"
#include "tbuild.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64ull << 20)
/* Guest-physical addresses no region backs. */
#define UNBACKED 0x700000000000ull
/* Nested: stage-1 tables live at IPA = PA + DELTA. */
#define DELTA 0x1000000000ull

#define ACC_R SMMU_ACC_READ
#define ACC_W SMMU_ACC_WRITE
#define ACC_X (SMMU_ACC_READ | SMMU_ACC_EXEC)
#define ACC_RW (SMMU_ACC_READ | SMMU_ACC_WRITE)
#define ACC_P SMMU_ACC_PRIV

#define P_PR SMMU_PTW_P_PR
#define P_PW SMMU_PTW_P_PW
#define P_PX SMMU_PTW_P_PX
#define P_UR SMMU_PTW_P_UR
#define P_UW SMMU_PTW_P_UW
#define P_UX SMMU_PTW_P_UX
#define P_ALL SMMU_PTW_P_ALL

/* Assert the type, stage and class of a fault, and that it is explained. */
#define CHECK_FAULT(e, t, st2, cls) do {				\
	ck_assert_uint_eq((e)->type, (t));				\
	ck_assert_uint_eq((e)->s2, (st2));				\
	ck_assert_uint_eq((e)->evclass, (cls));				\
	ck_assert_ptr_nonnull((e)->detail);				\
	ck_assert_uint_eq((e)->sid, 0);					\
	ck_assert_uint_eq((e)->ssid, 0);				\
	ck_assert(!(e)->ssv);						\
} while (0)

static struct tb *tb;

static void
ptw_setup(void)
{
	tb = tb_create(RAM_BASE, RAM_SIZE);
	ck_assert_ptr_nonnull(tb);
}

static void
ptw_teardown(void)
{
	tb_destroy(tb);
	tb = NULL;
}

/* A decoded CD with TTB0 = pt and TTB1 disabled; IPS 48, R = A = 1. */
static struct smmu_cd
cd_for(const struct tb_pt *pt)
{
	struct smmu_cd cd;

	memset(&cd, 0, sizeof(cd));
	cd.tt[0].ttb = tb_pt_ttb(pt);
	cd.tt[0].tsz = (uint8_t)(64 - pt->ia_bits);
	cd.tt[0].granule = (uint8_t)pt->granule;
	cd.tt[1].tsz = 16;
	cd.tt[1].granule = 12;
	cd.tt[1].epd = true;
	cd.ips = 48;
	cd.record = true;
	cd.abort = true;
	return cd;
}

/* A decoded stage-2 configuration for tree pt; S2PS 48, S2R = 1. */
static struct smmu_s2cfg
s2_for(const struct tb_pt *pt)
{
	struct smmu_s2cfg s2;

	memset(&s2, 0, sizeof(s2));
	s2.ttb = tb_pt_ttb(pt);
	s2.tsz = (uint8_t)(64 - pt->ia_bits);
	s2.sl = (uint8_t)pt->start_level;
	s2.granule = (uint8_t)pt->granule;
	s2.ps = 48;
	s2.vmid = 1;
	s2.record = true;
	return s2;
}

/* Walk in through cd / s2 (either may be NULL) with an SMMU OAS. */
static int
walk_oas(const struct smmu_cd *cd, const struct smmu_s2cfg *s2,
    unsigned oas, uint64_t in, unsigned acc, struct smmu_walk *w,
    struct smmu_event *e)
{
	struct smmu_ptw_cfg cfg = {
		.g = tb->g, .s1 = cd, .s2 = s2, .oas = oas,
	};

	memset(w, 0xa5, sizeof(*w));
	memset(e, 0xa5, sizeof(*e));
	return smmu_ptw_walk(&cfg, in, acc, w, e);
}

static int
walk(const struct smmu_cd *cd, const struct smmu_s2cfg *s2, uint64_t in,
    unsigned acc, struct smmu_walk *w, struct smmu_event *e)
{
	return walk_oas(cd, s2, 48, in, acc, w, e);
}

/* Rewrite the descriptor for ia at level of pt with bits set / cleared. */
static void
desc_edit(struct tb_pt *pt, uint64_t ia, unsigned level, uint64_t set,
    uint64_t clear)
{
	uint64_t a = tb_pt_desc_addr(pt, ia, level);

	ck_assert_uint_ne(a, 0);
	tb_w64(tb, a, (tb_r64(tb, a) & ~clear) | set);
}

/* ---- geometry -------------------------------------------------------- */

static const struct {
	unsigned g, ia, level;
} s1_geo[] = {
	{ 12, 48, 0 }, { 12, 39, 1 }, { 12, 30, 2 },
	{ 14, 48, 0 }, { 14, 47, 1 }, { 14, 36, 2 }, { 14, 25, 3 },
	{ 16, 48, 1 }, { 16, 42, 2 }, { 16, 29, 3 },
};

/* Page translation for every granule and stage-1 start level. */
START_TEST(test_s1_granule_levels)
{
	unsigned g = s1_geo[_i].g, ia = s1_geo[_i].ia;
	uint64_t va, oa, off;
	struct tb_pt pt;
	struct smmu_cd cd;
	struct smmu_walk w;
	struct smmu_event e;

	ck_assert_int_eq(tb_pt_init(&pt, tb, false, g, ia, -1), 0);
	ck_assert_uint_eq(pt.start_level, s1_geo[_i].level);
	/* A page using every index bit, the top one included. */
	va = 0xa5c396e17b2d4000ull & bits_low(ia) & ~bits_low(g);
	va |= 1ull << (ia - 1);
	oa = 0x876543210000ull & ~bits_low(g);
	off = 0x1234567ull & bits_low(g);
	ck_assert_int_eq(tb_pt_map(&pt, va, oa, 3, TB_S1_DEFAULT), 0);
	/* A neighbour page elsewhere, so wrong indexing shows. */
	ck_assert_int_eq(tb_pt_map(&pt, va ^ (1ull << g), 0x10000000ull << 4,
	    3, TB_S1_DEFAULT), 0);
	cd = cd_for(&pt);
	ck_assert_int_eq(walk(&cd, NULL, va | off, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, oa | off);
	ck_assert_uint_eq(w.ipa, oa | off);
	ck_assert_uint_eq(w.size_log2, g);
	ck_assert_uint_eq(w.level, 3);
	ck_assert_uint_eq(w.nr_reads, 4 - s1_geo[_i].level);
	ck_assert_uint_eq(w.perm, SMMU_PTW_PERM(P_PR | P_PW | P_UR | P_UW |
	    P_UX, P_ALL));
	ck_assert(!w.global);
	/* The page just above the mapped one is not mapped. */
	ck_assert_int_eq(walk(&cd, NULL, (va ^ (2ull << g)) | off, ACC_R,
	    &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false, SMMU_EVT_CLASS_IN);
}
END_TEST

/* Legal blocks: 4K L1 (1 GiB) and L2 (2 MiB), 16K L2, 64K L2, 64K L1 LPA. */
START_TEST(test_s1_blocks)
{
	static const struct {
		unsigned g, ia, level, oas;
	} c[] = {
		{ 12, 48, 1, 48 }, { 12, 39, 2, 48 }, { 14, 47, 2, 48 },
		{ 16, 48, 2, 48 }, { 16, 48, 1, 52 },
	};
	unsigned i, shift;
	uint64_t va, oa, off;
	struct tb_pt pt;
	struct smmu_cd cd;
	struct smmu_walk w;
	struct smmu_event e;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		tb_destroy(tb);
		tb = tb_create(RAM_BASE, RAM_SIZE);
		ck_assert_ptr_nonnull(tb);
		ck_assert_int_eq(tb_pt_init(&pt, tb, false, c[i].g, c[i].ia,
		    -1), 0);
		shift = tb_level_shift(c[i].g, c[i].level);
		va = (5ull << shift) & bits_low(c[i].ia);
		oa = 3ull << shift;
		off = 0x123456789ull & bits_low(shift);
		ck_assert_int_eq(tb_pt_map(&pt, va, oa, c[i].level,
		    TB_S1_DEFAULT), 0);
		cd = cd_for(&pt);
		ck_assert_int_eq(walk_oas(&cd, NULL, c[i].oas, va | off, ACC_W,
		    &w, &e), 0);
		ck_assert_uint_eq(w.oa, oa | off);
		ck_assert_uint_eq(w.size_log2, shift);
		ck_assert_uint_eq(w.level, c[i].level);
		ck_assert_uint_eq(w.nr_reads, c[i].level - pt.start_level + 1);
	}
	/* The 1 GiB, 2 MiB, 32 MiB and 512 MiB sizes themselves. */
	ck_assert_uint_eq(tb_level_shift(12, 1), 30);
	ck_assert_uint_eq(tb_level_shift(12, 2), 21);
	ck_assert_uint_eq(tb_level_shift(14, 2), 25);
	ck_assert_uint_eq(tb_level_shift(16, 2), 29);
}
END_TEST

/* Blocks at illegal levels and the reserved L3 0b01 are F_TRANSLATION. */
START_TEST(test_s1_illegal_blocks)
{
	static const struct {
		unsigned g, ia, level;
	} c[] = {
		{ 12, 48, 0 }, { 14, 48, 0 }, { 14, 47, 1 }, { 16, 48, 1 },
	};
	unsigned i, shift;
	uint64_t va;
	struct tb_pt pt;
	struct smmu_cd cd;
	struct smmu_walk w;
	struct smmu_event e;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(tb_pt_init(&pt, tb, false, c[i].g, c[i].ia,
		    -1), 0);
		shift = tb_level_shift(c[i].g, c[i].level);
		va = 1ull << shift;
		ck_assert_int_eq(tb_pt_map(&pt, va, 1ull << shift, c[i].level,
		    TB_S1_DEFAULT), 0);
		cd = cd_for(&pt);
		/* 64K L1 without LPA (OAS 48). */
		ck_assert_int_eq(walk(&cd, NULL, va, ACC_R, &w, &e), 1);
		CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false,
		    SMMU_EVT_CLASS_IN);
		ck_assert_uint_eq(e.input_addr, va);
	}
	/* L3 with bits[1:0] = 0b01 is reserved. */
	ck_assert_int_eq(tb_pt_init(&pt, tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 0x5000, 0x9000, 3, TB_S1_DEFAULT), 0);
	cd = cd_for(&pt);
	ck_assert_int_eq(walk(&cd, NULL, 0x5008, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x9008);
	desc_edit(&pt, 0x5000, 3, 0, 2);
	ck_assert_int_eq(walk(&cd, NULL, 0x5008, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false, SMMU_EVT_CLASS_IN);
}
END_TEST

/* TTB bits below the start-table size are ignored. */
START_TEST(test_s1_ttb_low_bits)
{
	struct tb_pt pt;
	struct smmu_cd cd;
	struct smmu_walk w;
	struct smmu_event e;

	/* 4K, ia 39: L1 start table of 512 entries (4 KiB). */
	ck_assert_int_eq(tb_pt_init(&pt, tb, false, 12, 39, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 0x7fc0000000ull, 0x123000, 3,
	    TB_S1_DEFAULT), 0);
	cd = cd_for(&pt);
	cd.tt[0].ttb |= 0xff0;
	ck_assert_int_eq(walk(&cd, NULL, 0x7fc0000abcull, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x123abc);
}
END_TEST

/* ---- stage 2 --------------------------------------------------------- */

static const struct {
	unsigned g, ia, sl, nr_concat;
} s2_geo[] = {
	{ 12, 40, 1, 2 }, { 12, 42, 1, 8 }, { 12, 48, 0, 1 },
	{ 12, 33, 1, 1 }, { 14, 40, 2, 16 }, { 14, 48, 1, 2 },
	{ 16, 44, 2, 4 }, { 16, 46, 2, 16 }, { 16, 48, 1, 1 },
};

/* Concatenated start tables: a page in the last table; beyond S2T0SZ. */
START_TEST(test_s2_concat)
{
	unsigned g = s2_geo[_i].g, ia = s2_geo[_i].ia;
	uint64_t ipa, oa, off;
	struct tb_pt pt;
	struct smmu_s2cfg s2;
	struct smmu_walk w;
	struct smmu_event e;

	ck_assert_int_eq(tb_pt_init(&pt, tb, true, g, ia,
	    (int)s2_geo[_i].sl), 0);
	ck_assert_uint_eq(pt.nr_concat, s2_geo[_i].nr_concat);
	ipa = bits_low(ia) & ~bits_low(g);	/* last page: last table */
	oa = 0x765432100000ull & ~bits_low(g);
	off = 0xfedcba9ull & bits_low(g);
	ck_assert_int_eq(tb_pt_map(&pt, ipa, oa, 3, TB_S2_DEFAULT), 0);
	/* The first page of the first table maps elsewhere. */
	ck_assert_int_eq(tb_pt_map(&pt, 0, 0x20000000ull << 2, 3,
	    TB_S2_DEFAULT), 0);
	s2 = s2_for(&pt);
	ck_assert_int_eq(walk_oas(NULL, &s2, 52, ipa | off, ACC_RW, &w, &e),
	    0);
	ck_assert_uint_eq(w.oa, oa | off);
	ck_assert_uint_eq(w.ipa, ipa | off);
	ck_assert_uint_eq(w.size_log2, g);
	ck_assert_uint_eq(w.level, 3);
	ck_assert_uint_eq(w.nr_reads, 4 - s2_geo[_i].sl);
	ck_assert_uint_eq(w.perm, SMMU_PTW_PERM(P_ALL, P_ALL));
	ck_assert(!w.global);
	ck_assert_int_eq(walk_oas(NULL, &s2, 52, off, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, (0x20000000ull << 2) | off);
	/* An IPA at 2^(64 - S2T0SZ) is out of range. */
	ck_assert_int_eq(walk_oas(NULL, &s2, 52, 1ull << ia, ACC_W, &w, &e),
	    1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, true, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.ipa, 1ull << ia);
	ck_assert_uint_eq(e.input_addr, 1ull << ia);
	ck_assert(!e.rnw);
	ck_assert(e.record);
	ck_assert(e.abort);
}
END_TEST

/* Stage-2 blocks, illegal levels and the reserved L3 encoding. */
START_TEST(test_s2_blocks)
{
	struct tb_pt pt;
	struct smmu_s2cfg s2;
	struct smmu_walk w;
	struct smmu_event e;

	ck_assert_int_eq(tb_pt_init(&pt, tb, true, 12, 48, 0), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 1ull << 30, 7ull << 30, 1,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 3ull << 21, 9ull << 21, 2,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 1ull << 39, 1ull << 39, 0,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 0x4000, 0x8000, 3, TB_S2_DEFAULT), 0);
	s2 = s2_for(&pt);
	ck_assert_int_eq(walk(NULL, &s2, (1ull << 30) + 0x12345678, ACC_R,
	    &w, &e), 0);
	ck_assert_uint_eq(w.oa, (7ull << 30) + 0x12345678);
	ck_assert_uint_eq(w.size_log2, 30);
	ck_assert_uint_eq(w.level, 1);
	ck_assert_uint_eq(w.nr_reads, 2);
	ck_assert_int_eq(walk(NULL, &s2, (3ull << 21) + 0x1abcd, ACC_R,
	    &w, &e), 0);
	ck_assert_uint_eq(w.oa, (9ull << 21) + 0x1abcd);
	ck_assert_uint_eq(w.size_log2, 21);
	ck_assert_uint_eq(w.level, 2);
	/* L0 block: illegal for 4K. */
	ck_assert_int_eq(walk(NULL, &s2, (1ull << 39) + 8, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, true, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.ipa, (1ull << 39) + 8);
	/* L3 0b01. */
	desc_edit(&pt, 0x4000, 3, 0, 2);
	ck_assert_int_eq(walk(NULL, &s2, 0x4000, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, true, SMMU_EVT_CLASS_IN);
}
END_TEST

/* ---- nested ---------------------------------------------------------- */

/*
 * A nested setup: stage 1 (4K, 48-bit, 4 levels) whose tables sit at
 * IPA = PA + DELTA, and stage 2 (4K, 48-bit, SL 0: 4 levels) mapping those
 * IPAs back with pages, plus VA_A -> IPA_A -> PA_A (a page at both
 * stages) and VA_B -> IPA_B with IPA_B unmapped at stage 2.
 */
#define VA_A 0x0000123456789000ull
#define IPA_A 0x0000002345678000ull
#define PA_A 0x0000003456789000ull
#define VA_B 0x0000123456000000ull
#define IPA_B 0x0000002300000000ull

struct nest {
	struct tb_pt s1, s2;
	struct smmu_cd cd;
	struct smmu_s2cfg s2c;
	uint64_t lo, hi;	/* PAs of the stage-1 tables */
};

static void
nest_build(struct nest *n)
{
	uint64_t p;

	ck_assert_int_eq(tb_pt_init(&n->s1, tb, false, 12, 48, -1), 0);
	n->s1.addr_delta = DELTA;
	n->lo = n->s1.root;
	ck_assert_int_eq(tb_pt_map(&n->s1, VA_A, IPA_A, 3, TB_S1_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&n->s1, VA_B, IPA_B, 3, TB_S1_DEFAULT), 0);
	n->hi = tb->next;
	ck_assert_int_eq(tb_pt_init(&n->s2, tb, true, 12, 48, 0), 0);
	for (p = n->lo; p < n->hi; p += 0x1000)
		ck_assert_int_eq(tb_pt_map(&n->s2, p + DELTA, p, 3,
		    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&n->s2, IPA_A, PA_A, 3, TB_S2_DEFAULT), 0);
	n->cd = cd_for(&n->s1);
	n->s2c = s2_for(&n->s2);
	ck_assert_uint_eq(n->cd.tt[0].ttb, n->s1.root + DELTA);
}

/*
 * Map at stage 2 every page of RAM from the first stage-1 table up to the
 * allocator's end that is not mapped yet, after stage-1 tables were added.
 */
static void
nest_sync(struct nest *n)
{
	uint64_t p, a, end = tb->next;

	for (p = n->lo; p < end; p += 0x1000) {
		a = tb_pt_desc_addr(&n->s2, p + DELTA, 3);
		if (a == 0 || tb_r64(tb, a) == 0)
			ck_assert_int_eq(tb_pt_map(&n->s2, p + DELTA, p, 3,
			    TB_S2_DEFAULT), 0);
	}
}

/* IPA of the stage-1 descriptor for va at level. */
static uint64_t
nest_desc_ipa(struct nest *n, uint64_t va, unsigned level)
{
	uint64_t a = tb_pt_desc_addr(&n->s1, va, level);

	ck_assert_uint_ne(a, 0);
	return a + DELTA;
}

/* A nested walk through a non-identity stage 2: 4 x (4 + 1) + 4 reads. */
START_TEST(test_nested_walk)
{
	struct nest n;
	struct smmu_walk w;
	struct smmu_event e;

	nest_build(&n);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A | 0x9ab, ACC_W, &w, &e), 0);
	ck_assert_uint_eq(w.oa, PA_A | 0x9ab);
	ck_assert_uint_eq(w.ipa, IPA_A | 0x9ab);
	ck_assert_uint_eq(w.size_log2, 12);
	ck_assert_uint_eq(w.level, 3);
	ck_assert_uint_eq(w.nr_reads, 24);
	ck_assert_uint_eq(w.perm, SMMU_PTW_PERM(P_PR | P_PW | P_UR | P_UW |
	    P_UX, P_ALL));
	ck_assert(!w.global);
	/* Without stage 2 the same tables are unreachable (IPAs, not PAs). */
	ck_assert_int_eq(walk(&n.cd, NULL, VA_A, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_WALK_EABT, false, SMMU_EVT_CLASS_TT);
	ck_assert_uint_eq(e.fetch_addr, n.s1.root + DELTA + 8 * 0x24);
}
END_TEST

/* Mapping size is the smaller stage's; level is the stage-2 leaf's. */
START_TEST(test_nested_sizes)
{
	struct nest n;
	struct smmu_walk w;
	struct smmu_event e;

	nest_build(&n);
	/* S1 2 MiB block, S2 4K page. */
	ck_assert_int_eq(tb_pt_map(&n.s1, 0x40000000ull, 0x80000000ull, 2,
	    TB_S1_DEFAULT), 0);
	/* S1 page, S2 1 GiB block. */
	ck_assert_int_eq(tb_pt_map(&n.s1, 0x50000000ull, 0xc0005000ull, 3,
	    TB_S1_DEFAULT), 0);
	/* S1 1 GiB block, S2 2 MiB block. */
	ck_assert_int_eq(tb_pt_map(&n.s1, 0x1000000000ull, 0x1100000000ull,
	    1, TB_S1_DEFAULT), 0);
	/* New stage-1 tables must be reachable through stage 2 as well. */
	nest_sync(&n);
	ck_assert_int_eq(tb_pt_map(&n.s2, 0x80003000ull, 0x7000000ull, 3,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&n.s2, 0xc0000000ull, 0x200000000ull, 1,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&n.s2, 0x1100200000ull, 0x300000000ull, 2,
	    TB_S2_DEFAULT), 0);

	ck_assert_int_eq(walk(&n.cd, &n.s2c, 0x40003123ull, ACC_R, &w, &e),
	    0);
	ck_assert_uint_eq(w.ipa, 0x80003123ull);
	ck_assert_uint_eq(w.oa, 0x7000123ull);
	ck_assert_uint_eq(w.size_log2, 12);
	ck_assert_uint_eq(w.level, 3);

	ck_assert_int_eq(walk(&n.cd, &n.s2c, 0x50000fffull, ACC_R, &w, &e),
	    0);
	ck_assert_uint_eq(w.ipa, 0xc0005fffull);
	ck_assert_uint_eq(w.oa, 0x200005fffull);
	ck_assert_uint_eq(w.size_log2, 12);
	ck_assert_uint_eq(w.level, 1);

	ck_assert_int_eq(walk(&n.cd, &n.s2c, 0x1000212345ull, ACC_R, &w, &e),
	    0);
	ck_assert_uint_eq(w.ipa, 0x1100212345ull);
	ck_assert_uint_eq(w.oa, 0x300012345ull);
	ck_assert_uint_eq(w.size_log2, 21);
	ck_assert_uint_eq(w.level, 2);
}
END_TEST

/* Stage-2 faults on a stage-1 table access: CLASS = TT, IPA of it. */
START_TEST(test_nested_table_faults)
{
	struct nest n;
	struct smmu_walk w;
	struct smmu_event e;
	uint64_t ipa;

	/* Table IPA unmapped at stage 2. */
	nest_build(&n);
	ipa = nest_desc_ipa(&n, VA_A, 2);
	tb_w64(tb, tb_pt_desc_addr(&n.s2, ipa, 3), 0);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A | 4, ACC_W, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, true, SMMU_EVT_CLASS_TT);
	ck_assert_uint_eq(e.ipa, ipa);
	ck_assert_uint_eq(e.input_addr, VA_A | 4);
	ck_assert(!e.rnw);
	ck_assert(e.record);
	ck_assert(e.abort);
	/* S2R = 0: not recorded, still aborted (CD.A does not matter). */
	n.s2c.record = false;
	n.cd.abort = false;
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 1);
	ck_assert(!e.record);
	ck_assert(e.abort);
	ck_assert(e.s2);

	/* No stage-2 read permission on a table: TTRnW = 1. */
	ptw_teardown();
	ptw_setup();
	nest_build(&n);
	ipa = nest_desc_ipa(&n, VA_A, 3);
	desc_edit(&n.s2, ipa, 3, 0, TB_S2AP_R);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_W | ACC_P, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, true, SMMU_EVT_CLASS_TT);
	ck_assert(e.ttrnw);
	ck_assert(!e.rnw);
	ck_assert(e.pnu);
	ck_assert_uint_eq(e.ipa, ipa);

	/* S2PTW: a stage-1 table in stage-2 Device memory. */
	ptw_teardown();
	ptw_setup();
	nest_build(&n);
	ipa = nest_desc_ipa(&n, VA_A, 1);
	desc_edit(&n.s2, ipa, 3, 0, 0xfull << 2);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, PA_A);
	n.s2c.ptw = true;
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, true, SMMU_EVT_CLASS_TT);
	ck_assert(e.ttrnw);
	ck_assert_uint_eq(e.ipa, ipa);
	/* MemAttr 0b0001 (Device-nGnRE) is Device too. */
	desc_edit(&n.s2, ipa, 3, 1ull << 2, 0);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, true, SMMU_EVT_CLASS_TT);
	/* Normal memory (MemAttr[3:2] != 0) is fine with S2PTW. */
	desc_edit(&n.s2, ipa, 3, 1ull << 4, 0);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 0);

	/* Stage-2 access flag on a table page. */
	desc_edit(&n.s2, ipa, 3, 0, TB_AF);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ACCESS, true, SMMU_EVT_CLASS_TT);
	ck_assert_uint_eq(e.ipa, ipa);
	n.s2c.affd = true;
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 0);
}
END_TEST

/* The final output IPA unmapped at stage 2: CLASS = IN. */
START_TEST(test_nested_output_fault)
{
	struct nest n;
	struct smmu_walk w;
	struct smmu_event e;

	nest_build(&n);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_B | 0x77, ACC_X, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, true, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.ipa, IPA_B | 0x77);
	ck_assert_uint_eq(e.input_addr, VA_B | 0x77);
	ck_assert(e.rnw);
	ck_assert(e.ind);
	ck_assert(!e.pnu);
	/* Output IPA above eff_IPS: a stage-1 address-size fault. */
	n.cd.ips = 40;
	ck_assert_int_eq(tb_pt_map(&n.s1, 0x7000, 1ull << 40, 3,
	    TB_S1_DEFAULT), 0);
	nest_sync(&n);
	ck_assert_int_eq(walk(&n.cd, &n.s2c, 0x7000, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);
}
END_TEST

/* External aborts on stage-1 descriptors (at their PA) and stage 2. */
START_TEST(test_nested_eabt)
{
	struct nest n;
	struct smmu_walk w;
	struct smmu_event e;
	uint64_t ipa, a;

	/* Stage 2 maps the stage-1 L3 table to an unbacked PA. */
	nest_build(&n);
	ipa = nest_desc_ipa(&n, VA_A, 3);
	a = tb_pt_desc_addr(&n.s2, ipa, 3);
	tb_w64(tb, a, UNBACKED | TB_S2_DEFAULT | 3);
	n.cd.record = false;
	n.cd.abort = false;
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_WALK_EABT, false, SMMU_EVT_CLASS_TT);
	ck_assert_uint_eq(e.fetch_addr, UNBACKED | (ipa & 0xfff));
	ck_assert(e.record);
	ck_assert(e.abort);

	/* A stage-2 table descriptor into unbacked memory. */
	ptw_teardown();
	ptw_setup();
	nest_build(&n);
	ipa = nest_desc_ipa(&n, VA_A, 0);
	a = tb_pt_desc_addr(&n.s2, ipa, 2);
	tb_w64(tb, a, UNBACKED | 3);
	n.s2c.record = false;
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_WALK_EABT, true, SMMU_EVT_CLASS_TT);
	ck_assert_uint_eq(e.fetch_addr, UNBACKED + 8 * ((ipa >> 12) & 511));
	ck_assert_uint_eq(e.ipa, ipa);
	ck_assert(e.record);
	ck_assert(e.abort);
}
END_TEST

/* Stage-1 permission faults come first; the vector is both stages'. */
START_TEST(test_nested_perm)
{
	struct nest n;
	struct smmu_walk w;
	struct smmu_event e;

	nest_build(&n);
	desc_edit(&n.s1, VA_A, 3, TB_AP_RO_ALL, 0);
	desc_edit(&n.s2, IPA_A, 3, 0, TB_S2AP_R);
	/* Both deny the write: stage 1 reports. */
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_W, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, false, SMMU_EVT_CLASS_IN);
	/* Only stage 2 denies the read. */
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, true, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.ipa, IPA_A);
	ck_assert(!e.ttrnw);
	/* Execution is allowed by both. */
	ck_assert_int_eq(walk(&n.cd, &n.s2c, VA_A, ACC_X, &w, &e), 0);
	ck_assert_uint_eq(w.perm, SMMU_PTW_PERM(P_PR | P_PX | P_UR | P_UX,
	    P_PW | P_PX | P_UW | P_UX));
	ck_assert_uint_eq(smmu_ptw_perm_public(w.perm, true), SMMU_PERM_X);
}
END_TEST

/* ---- input checks ---------------------------------------------------- */

/* TTB1 for VA[55] = 1, sign extension, TBI, EPD0/EPD1. */
START_TEST(test_s1_ttb_select)
{
	struct tb_pt pt0, pt1;
	struct smmu_cd cd;
	struct smmu_walk w;
	struct smmu_event e;
	const uint64_t hi_va = 0xffff800012345000ull;
	const uint64_t lo_va = 0x0000800012345000ull;

	ck_assert_int_eq(tb_pt_init(&pt0, tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_init(&pt1, tb, false, 16, 39, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt0, lo_va, 0x1000000, 3, TB_S1_DEFAULT),
	    0);
	/* TTB1 with 39 bits: VA[63:39] all ones. */
	ck_assert_int_eq(tb_pt_map(&pt1, 0xffffffc012340000ull, 0x2000000, 3,
	    TB_S1_DEFAULT), 0);
	cd = cd_for(&pt0);
	cd.tt[1].ttb = tb_pt_ttb(&pt1);
	cd.tt[1].tsz = 64 - 39;
	cd.tt[1].granule = 16;
	cd.tt[1].epd = false;

	/* VA[47] (= bit ia - 1) is an address bit for TTB0. */
	ck_assert_int_eq(walk(&cd, NULL, lo_va | 0x10, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x1000010);
	ck_assert_int_eq(walk(&cd, NULL, 0xffffffc012345678ull, ACC_R, &w,
	    &e), 0);
	ck_assert_uint_eq(w.oa, 0x2005678);
	/* Non-canonical: VA[55] = 0 with VA[48] set; VA[55] = 1, VA[39] 0. */
	ck_assert_int_eq(walk(&cd, NULL, lo_va | (1ull << 48), ACC_R, &w, &e),
	    1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false, SMMU_EVT_CLASS_IN);
	ck_assert_int_eq(walk(&cd, NULL, hi_va, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.input_addr, hi_va);
	ck_assert_int_eq(walk(&cd, NULL, 0x0080000000001000ull, ACC_R, &w,
	    &e), 1);	/* VA[55] = 1, top byte 0: neither range */
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false, SMMU_EVT_CLASS_IN);

	/* Top byte garbage: a fault without TBI, ignored with it. */
	ck_assert_int_eq(walk(&cd, NULL, 0x5a00800012345010ull, ACC_R, &w,
	    &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false, SMMU_EVT_CLASS_IN);
	ck_assert_int_eq(walk(&cd, NULL, 0x12ffffc012345678ull, ACC_R, &w,
	    &e), 1);
	cd.tt[0].tbi = true;
	cd.tt[1].tbi = true;
	ck_assert_int_eq(walk(&cd, NULL, 0x5a00800012345010ull, ACC_R, &w,
	    &e), 0);
	ck_assert_uint_eq(w.oa, 0x1000010);
	ck_assert_int_eq(walk(&cd, NULL, 0x12ffffc012345678ull, ACC_R, &w,
	    &e), 0);
	ck_assert_uint_eq(w.oa, 0x2005678);
	/* TBI does not relax VA[55:ia]. */
	ck_assert_int_eq(walk(&cd, NULL, 0x5a01800012345010ull, ACC_R, &w,
	    &e), 1);
	ck_assert_uint_eq(e.input_addr, 0x5a01800012345010ull);

	/* EPDx: F_TRANSLATION, recorded / aborted as CD.R / CD.A say. */
	cd.tt[1].epd = true;
	cd.record = false;
	cd.abort = false;
	ck_assert_int_eq(walk(&cd, NULL, 0xffffffc012345678ull, ACC_R, &w,
	    &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false, SMMU_EVT_CLASS_IN);
	ck_assert(!e.record);
	ck_assert(!e.abort);
	ck_assert_int_eq(walk(&cd, NULL, lo_va, ACC_R, &w, &e), 0);
	cd.tt[0].epd = true;
	cd.tt[1].epd = false;
	cd.record = true;
	ck_assert_int_eq(walk(&cd, NULL, lo_va, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false, SMMU_EVT_CLASS_IN);
	ck_assert(e.record);
	ck_assert(!e.abort);
	ck_assert_int_eq(walk(&cd, NULL, 0xffffffc012345678ull, ACC_R, &w,
	    &e), 0);
}
END_TEST

/* ---- access flag ----------------------------------------------------- */

/* AF = 0 faults unless AFFD / S2AFFD, before any permission fault. */
START_TEST(test_access_flag)
{
	struct tb_pt p1, p2;
	struct smmu_cd cd;
	struct smmu_s2cfg s2;
	struct smmu_walk w;
	struct smmu_event e;

	ck_assert_int_eq(tb_pt_init(&p1, tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&p1, 0x1000, 0x3000, 3, TB_AP_RO_PRIV), 0);
	cd = cd_for(&p1);
	cd.record = false;
	/* A write to a read-only page with AF = 0: F_ACCESS first. */
	ck_assert_int_eq(walk(&cd, NULL, 0x1000, ACC_W | ACC_P, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ACCESS, false, SMMU_EVT_CLASS_IN);
	ck_assert(!e.record);
	ck_assert(e.abort);
	cd.affd = true;
	ck_assert_int_eq(walk(&cd, NULL, 0x1000, ACC_W | ACC_P, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, false, SMMU_EVT_CLASS_IN);
	ck_assert_int_eq(walk(&cd, NULL, 0x1000, ACC_R | ACC_P, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x3000);
	ck_assert(w.global);

	ck_assert_int_eq(tb_pt_init(&p2, tb, true, 12, 40, 1), 0);
	ck_assert_int_eq(tb_pt_map(&p2, 0x3000, 0x5000, 3,
	    TB_S2AP_R | TB_S2_NORMAL), 0);
	s2 = s2_for(&p2);
	ck_assert_int_eq(walk(NULL, &s2, 0x3000, ACC_W, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ACCESS, true, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.ipa, 0x3000);
	s2.affd = true;
	ck_assert_int_eq(walk(NULL, &s2, 0x3000, ACC_W, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, true, SMMU_EVT_CLASS_IN);
	ck_assert_int_eq(walk(NULL, &s2, 0x3000, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x5000);
	/* Both stages with AFFD; stage 2 maps p1's tables identically. */
	ck_assert_int_eq(tb_pt_map(&p2, RAM_BASE, RAM_BASE, 2,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(walk(&cd, &s2, 0x1004, ACC_R | ACC_P, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x5004);
}
END_TEST

/* ---- permissions ----------------------------------------------------- */

struct perm_case {
	uint64_t attrs;		/* leaf bits besides AF/nG */
	uint64_t tattrs;	/* table-descriptor bits */
	bool wxn, pan, had;
	unsigned vec;		/* expected stage-1 vector */
};

static const struct perm_case s1_perm[] = {
	{ TB_AP_RW_PRIV, 0, 0, 0, 0, P_PR | P_PW | P_PX | P_UX },
	{ TB_AP_RW_ALL, 0, 0, 0, 0, P_PR | P_PW | P_UR | P_UW | P_UX },
	{ TB_AP_RO_PRIV, 0, 0, 0, 0, P_PR | P_PX | P_UX },
	{ TB_AP_RO_ALL, 0, 0, 0, 0, P_PR | P_PX | P_UR | P_UX },
	/* APTable. */
	{ TB_AP_RW_ALL, TB_APTABLE_NOUSER, 0, 0, 0,
	    P_PR | P_PW | P_PX | P_UX },
	{ TB_AP_RW_ALL, TB_APTABLE_RO, 0, 0, 0, P_PR | P_PX | P_UR | P_UX },
	{ TB_AP_RW_ALL, TB_APTABLE_RO | TB_APTABLE_NOUSER, 0, 0, 0,
	    P_PR | P_PX | P_UX },
	{ TB_AP_RW_PRIV, TB_APTABLE_RO, 0, 0, 0, P_PR | P_PX | P_UX },
	{ TB_AP_RO_ALL, TB_APTABLE_NOUSER, 0, 0, 0, P_PR | P_PX | P_UX },
	/* XN bits. */
	{ TB_AP_RW_PRIV | TB_UXN, 0, 0, 0, 0, P_PR | P_PW | P_PX },
	{ TB_AP_RW_PRIV | TB_PXN, 0, 0, 0, 0, P_PR | P_PW | P_UX },
	{ TB_AP_RW_PRIV, TB_UXNTABLE, 0, 0, 0, P_PR | P_PW | P_PX },
	{ TB_AP_RW_PRIV, TB_PXNTABLE, 0, 0, 0, P_PR | P_PW | P_UX },
	{ TB_AP_RO_ALL | TB_UXN | TB_PXN, 0, 0, 0, 0, P_PR | P_UR },
	{ TB_AP_RW_ALL | TB_UXN | TB_PXN, 0, 0, 0, 0,
	    P_PR | P_PW | P_UR | P_UW },
	/* WXN. */
	{ TB_AP_RW_PRIV, 0, 1, 0, 0, P_PR | P_PW | P_UX },
	{ TB_AP_RW_ALL, 0, 1, 0, 0, P_PR | P_PW | P_UR | P_UW },
	{ TB_AP_RO_PRIV, 0, 1, 0, 0, P_PR | P_PX | P_UX },
	{ TB_AP_RO_ALL, 0, 1, 0, 0, P_PR | P_PX | P_UR | P_UX },
	{ TB_AP_RW_ALL, TB_APTABLE_RO, 1, 0, 0, P_PR | P_PX | P_UR | P_UX },
	/* PAN. */
	{ TB_AP_RW_ALL, 0, 0, 1, 0, P_UR | P_UW | P_UX },
	{ TB_AP_RO_ALL, 0, 0, 1, 0, P_PX | P_UR | P_UX },
	{ TB_AP_RW_PRIV, 0, 0, 1, 0, P_PR | P_PW | P_PX | P_UX },
	{ TB_AP_RO_PRIV, 0, 0, 1, 0, P_PR | P_PX | P_UX },
	{ TB_AP_RW_ALL, TB_APTABLE_NOUSER, 0, 1, 0,
	    P_PR | P_PW | P_PX | P_UX },
	/* HAD: table bits ignored. */
	{ TB_AP_RW_ALL, TB_APTABLE_RO | TB_APTABLE_NOUSER | TB_UXNTABLE |
	    TB_PXNTABLE, 0, 0, 1, P_PR | P_PW | P_UR | P_UW | P_UX },
	{ TB_AP_RW_PRIV, TB_UXNTABLE | TB_PXNTABLE, 0, 0, 1,
	    P_PR | P_PW | P_PX | P_UX },
	{ TB_AP_RO_ALL, TB_APTABLE_NOUSER, 0, 0, 1,
	    P_PR | P_PX | P_UR | P_UX },
};

static const unsigned perm_acc[] = {
	ACC_R, ACC_W, ACC_X, ACC_RW,
	ACC_R | ACC_P, ACC_W | ACC_P, ACC_X | ACC_P, ACC_RW | ACC_P,
	0 /* neither read nor write: a read */,
};

/* Vector bits access needs, written out independently of ptw.h. */
static unsigned
perm_need(unsigned acc)
{
	bool p = acc & ACC_P;

	if (acc & SMMU_ACC_EXEC)
		return p ? P_PX : P_UX;
	if ((acc & ACC_RW) == ACC_RW)
		return p ? P_PR | P_PW : P_UR | P_UW;
	if (acc & ACC_W)
		return p ? P_PW : P_UW;
	return p ? P_PR : P_UR;
}

/* Check every access against a page with stage-s vector vec. */
static void
perm_check_all(const struct smmu_cd *cd, const struct smmu_s2cfg *s2,
    uint64_t in, unsigned vec, bool stage2)
{
	struct smmu_walk w;
	struct smmu_event e;
	unsigned i, acc, need;
	int r;

	for (i = 0; i < sizeof(perm_acc) / sizeof(perm_acc[0]); i++) {
		acc = perm_acc[i];
		need = perm_need(acc);
		r = walk(cd, s2, in, acc, &w, &e);
		if ((vec & need) == need) {
			ck_assert_msg(r == 0, "access %#x vec %#x", acc, vec);
			ck_assert_uint_eq(w.perm, stage2 ?
			    SMMU_PTW_PERM(P_ALL, vec) :
			    SMMU_PTW_PERM(vec, P_ALL));
			continue;
		}
		ck_assert_msg(r == 1, "access %#x vec %#x", acc, vec);
		CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, stage2,
		    SMMU_EVT_CLASS_IN);
		ck_assert_uint_eq(e.input_addr, in);
		ck_assert_uint_eq(e.rnw, !(acc & ACC_W));
		ck_assert_uint_eq(e.ind, (acc & SMMU_ACC_EXEC) != 0);
		ck_assert_uint_eq(e.pnu, (acc & ACC_P) != 0);
		ck_assert(!e.ttrnw);
		if (stage2)
			ck_assert_uint_eq(e.ipa, in);
	}
}

/* Every AP x APTable x XN x WXN x PAN x HAD case, every access. */
START_TEST(test_s1_perm)
{
	const struct perm_case *c = &s1_perm[_i];
	struct tb_pt pt;
	struct smmu_cd cd;
	const uint64_t va = 0x12345678000ull;

	ck_assert_int_eq(tb_pt_init(&pt, tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map_ex(&pt, va, 0x9000, 3,
	    c->attrs | TB_AF, c->tattrs), 0);
	cd = cd_for(&pt);
	cd.wxn = c->wxn;
	cd.pan = c->pan;
	cd.tt[0].had = c->had;
	perm_check_all(&cd, NULL, va | 0x44, c->vec, false);
}
END_TEST

/* Table bits on one level only still apply (accumulated on the path). */
START_TEST(test_s1_perm_table_level)
{
	struct tb_pt pt;
	struct smmu_cd cd;
	struct smmu_walk w;
	struct smmu_event e;
	const uint64_t va = 0x12345678000ull;

	ck_assert_int_eq(tb_pt_init(&pt, tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt, va, 0x9000, 3, TB_S1_DEFAULT), 0);
	/* APTable[1] on the L0 entry only. */
	desc_edit(&pt, va, 0, TB_APTABLE_RO, 0);
	desc_edit(&pt, va, 1, TB_UXNTABLE, 0);
	cd = cd_for(&pt);
	ck_assert_int_eq(walk(&cd, NULL, va, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.perm, SMMU_PTW_PERM(P_PR | P_PX | P_UR, P_ALL));
	ck_assert_int_eq(walk(&cd, NULL, va, ACC_W | ACC_P, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, false, SMMU_EVT_CLASS_IN);
	ck_assert(!e.rnw);
	ck_assert(e.pnu);
}
END_TEST

/* nG: global is !nG. */
START_TEST(test_s1_global)
{
	struct tb_pt pt;
	struct smmu_cd cd;
	struct smmu_walk w;
	struct smmu_event e;

	ck_assert_int_eq(tb_pt_init(&pt, tb, false, 14, 36, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 0x4000, 0x8000, 3,
	    TB_AF | TB_AP_RW_ALL), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 0xc000, 0x8000, 3,
	    TB_AF | TB_AP_RW_ALL | TB_NG), 0);
	cd = cd_for(&pt);
	ck_assert_int_eq(walk(&cd, NULL, 0x4000, ACC_R, &w, &e), 0);
	ck_assert(w.global);
	ck_assert_int_eq(walk(&cd, NULL, 0xc000, ACC_R, &w, &e), 0);
	ck_assert(!w.global);
}
END_TEST

/* S2AP read-only / write-only / none, XN, every access. */
START_TEST(test_s2_perm)
{
	static const struct {
		uint64_t attrs;
		unsigned vec;
	} c[] = {
		{ TB_S2AP_R | TB_S2AP_W, P_ALL },
		{ TB_S2AP_R, P_PR | P_PX | P_UR | P_UX },
		{ TB_S2AP_W, P_PW | P_PX | P_UW | P_UX },
		{ TB_S2AP_R | TB_S2AP_W | TB_S2_XN,
		    P_PR | P_PW | P_UR | P_UW },
		{ TB_S2AP_R | TB_S2_XN, P_PR | P_UR },
		{ 0, P_PX | P_UX },
		{ TB_S2_XN, 0 },
	};
	struct tb_pt pt;
	struct smmu_s2cfg s2;
	unsigned i;

	ck_assert_int_eq(tb_pt_init(&pt, tb, true, 16, 42, 2), 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ck_assert_int_eq(tb_pt_map(&pt, (uint64_t)i << 16,
		    0x100000 + ((uint64_t)i << 16), 3,
		    c[i].attrs | TB_AF | TB_S2_NORMAL), 0);
	s2 = s2_for(&pt);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		perm_check_all(NULL, &s2, ((uint64_t)i << 16) | 0x888,
		    c[i].vec, true);
}
END_TEST

/* ---- address size ---------------------------------------------------- */

/* Output and table addresses above eff_IPS / eff_S2PS; S1 bypass. */
START_TEST(test_addr_size)
{
	struct tb_pt p1, p2;
	struct smmu_cd cd;
	struct smmu_s2cfg s2;
	struct smmu_walk w;
	struct smmu_event e;

	ck_assert_int_eq(tb_pt_init(&p1, tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&p1, 0x1000, 1ull << 40, 3,
	    TB_S1_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&p1, 0x2000, (1ull << 40) - 0x1000, 3,
	    TB_S1_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&p1, 0x40000000, 0x5000, 3,
	    TB_S1_DEFAULT), 0);
	cd = cd_for(&p1);
	cd.ips = 40;
	cd.record = false;
	ck_assert_int_eq(walk(&cd, NULL, 0x1000, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);
	ck_assert(!e.record);
	ck_assert_int_eq(walk(&cd, NULL, 0x2fff, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, (1ull << 40) - 1);
	/* Table address above IPS (the L2 table of VA 0x40000000). */
	desc_edit(&p1, 0x40000000, 1, 1ull << 41, 0);
	ck_assert_int_eq(walk(&cd, NULL, 0x40000000, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);
	/* Checked before the access flag. */
	desc_edit(&p1, 0x1000, 3, 0, TB_AF);
	ck_assert_int_eq(walk(&cd, NULL, 0x1000, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);

	/* Stage 2: output and table above S2PS. */
	ck_assert_int_eq(tb_pt_init(&p2, tb, true, 12, 44, 0), 0);
	ck_assert_int_eq(tb_pt_map(&p2, 0x1000, 1ull << 42, 3,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&p2, 0x2000, 0x3000, 3, TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&p2, 0x80000000000ull, 0x3000, 3,
	    TB_S2_DEFAULT), 0);
	s2 = s2_for(&p2);
	s2.ps = 42;
	s2.record = false;
	ck_assert_int_eq(walk(NULL, &s2, 0x1234, ACC_W, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, true, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.ipa, 0x1234);
	ck_assert(!e.record);
	ck_assert(e.abort);
	ck_assert_int_eq(walk(NULL, &s2, 0x2234, ACC_W, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x3234);
	desc_edit(&p2, 0x80000000000ull, 1, 1ull << 43, 0);
	ck_assert_int_eq(walk(NULL, &s2, 0x80000000000ull, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, true, SMMU_EVT_CLASS_IN);

	/* Stage 1 bypassed: input >= 2^OAS, always recorded and aborted. */
	ck_assert_int_eq(walk_oas(NULL, NULL, 44, 1ull << 44, ACC_R, &w, &e),
	    1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.input_addr, 1ull << 44);
	ck_assert(e.record);
	ck_assert(e.abort);
	ck_assert_int_eq(walk_oas(NULL, NULL, 44, (1ull << 44) - 1, ACC_R,
	    &w, &e), 0);
	ck_assert_uint_eq(w.oa, (1ull << 44) - 1);
	ck_assert_uint_eq(w.perm, SMMU_PTW_PERM(P_ALL, P_ALL));
	ck_assert_uint_eq(w.nr_reads, 0);
	/* ... also in front of stage 2. */
	s2.ps = 48;
	ck_assert_int_eq(walk_oas(NULL, &s2, 40, 0x80000000000ull, ACC_R,
	    &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);
	ck_assert(e.record);
}
END_TEST

/* 64K with OA[51:48] in bits [15:12]; 4K with descriptor bit 48 set. */
START_TEST(test_52bit)
{
	struct tb_pt p1, p2;
	struct smmu_cd cd;
	struct smmu_s2cfg s2;
	struct smmu_walk w;
	struct smmu_event e;
	const uint64_t oa = 0x000a123456780000ull;

	ck_assert_int_eq(tb_pt_init(&p1, tb, false, 16, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&p1, 0x30000, oa, 3, TB_S1_DEFAULT), 0);
	ck_assert_uint_eq(tb_r64(tb, tb_pt_desc_addr(&p1, 0x30000, 3)) &
	    0xf000, 0xa000);
	cd = cd_for(&p1);
	cd.ips = 52;
	ck_assert_int_eq(walk_oas(&cd, NULL, 52, 0x3abcd, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, oa | 0xabcd);
	cd.ips = 48;
	ck_assert_int_eq(walk_oas(&cd, NULL, 52, 0x3abcd, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);

	/* Stage 2, 64K, S2PS 52. */
	ck_assert_int_eq(tb_pt_init(&p2, tb, true, 16, 48, 1), 0);
	ck_assert_int_eq(tb_pt_map(&p2, 0x50000, oa, 3, TB_S2_DEFAULT), 0);
	s2 = s2_for(&p2);
	s2.ps = 52;
	ck_assert_int_eq(walk_oas(NULL, &s2, 52, 0x51234, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, oa | 0x1234);
	s2.ps = 48;
	ck_assert_int_eq(walk_oas(NULL, &s2, 52, 0x51234, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, true, SMMU_EVT_CLASS_IN);

	/* 4K: bit 48 is RES0, so over the 48-bit limit even with IPS 52. */
	ptw_teardown();
	ptw_setup();
	ck_assert_int_eq(tb_pt_init(&p1, tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&p1, 0x1000, 0x2000, 3, TB_S1_DEFAULT), 0);
	cd = cd_for(&p1);
	cd.ips = 52;
	desc_edit(&p1, 0x1000, 3, 1ull << 48, 0);
	ck_assert_int_eq(walk_oas(&cd, NULL, 52, 0x1000, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);
	/* Bit 51 (DBM) and bit 50 (GP) are attributes, not address. */
	desc_edit(&p1, 0x1000, 3, 3ull << 50, 1ull << 48);
	ck_assert_int_eq(walk_oas(&cd, NULL, 52, 0x1010, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x2010);
	/* Bit 48 in a 4K table descriptor. */
	desc_edit(&p1, 0x1000, 2, 1ull << 48, 0);
	ck_assert_int_eq(walk_oas(&cd, NULL, 52, 0x1000, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_ADDR_SIZE, false, SMMU_EVT_CLASS_IN);
}
END_TEST

/* ---- external aborts ------------------------------------------------- */

/* A table pointer into unbacked memory, stage 1 and stage 2. */
START_TEST(test_walk_eabt)
{
	struct tb_pt p1, p2;
	struct smmu_cd cd;
	struct smmu_s2cfg s2;
	struct smmu_walk w;
	struct smmu_event e;
	const uint64_t va = 0x0000123456789000ull;

	ck_assert_int_eq(tb_pt_init(&p1, tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&p1, va, 0x1000, 3, TB_S1_DEFAULT), 0);
	desc_edit(&p1, va, 1, UNBACKED, bits_low(48) & ~bits_low(12));
	cd = cd_for(&p1);
	cd.record = false;
	cd.abort = false;
	ck_assert_int_eq(walk(&cd, NULL, va | 0x18, ACC_W, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_WALK_EABT, false, SMMU_EVT_CLASS_TT);
	ck_assert_uint_eq(e.fetch_addr, UNBACKED + 8 * ((va >> 21) & 511));
	ck_assert_uint_eq(e.input_addr, va | 0x18);
	ck_assert(!e.rnw);
	ck_assert(e.record);
	ck_assert(e.abort);

	ck_assert_int_eq(tb_pt_init(&p2, tb, true, 16, 44, 2), 0);
	ck_assert_int_eq(tb_pt_map(&p2, 0x0abcd0000ull, 0x10000, 3,
	    TB_S2_DEFAULT), 0);
	s2 = s2_for(&p2);
	ck_assert_int_eq(walk(NULL, &s2, 0x0abcd0044ull, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.oa, 0x10044);
	desc_edit(&p2, 0x0abcd0000ull, 2, UNBACKED,
	    bits_low(48) & ~bits_low(16));
	s2.record = false;
	ck_assert_int_eq(walk(NULL, &s2, 0x0abcd0044ull, ACC_R, &w, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_WALK_EABT, true, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.fetch_addr, UNBACKED + 8 * (0xabcd & 0x1fff));
	ck_assert_uint_eq(e.ipa, 0x0abcd0044ull);
	ck_assert(e.record);
	ck_assert(e.abort);
}
END_TEST

/* ---- smmu_ptw_s2_fetch ----------------------------------------------- */

/* Stage-2 translation of a CD fetch: PA, and faults with CLASS = CD. */
START_TEST(test_s2_fetch)
{
	struct tb_pt pt;
	struct smmu_s2cfg s2;
	struct smmu_event e;
	uint64_t pa = 0;

	ck_assert_int_eq(tb_pt_init(&pt, tb, true, 12, 40, 1), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 0x8000000ull, 0x1234000, 3,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 0x9000000ull, 0x2000, 3,
	    TB_AF | TB_S2AP_W | TB_S2_NORMAL), 0);
	ck_assert_int_eq(tb_pt_map(&pt, 0xa000000ull, 0x3000, 3,
	    TB_AF | TB_S2AP_R), 0);
	s2 = s2_for(&pt);
	ck_assert_int_eq(smmu_ptw_s2_fetch(tb->g, &s2, 0x8000040ull,
	    SMMU_EVT_CLASS_CD, &pa, &e), 0);
	ck_assert_uint_eq(pa, 0x1234040);
	/* Unmapped. */
	ck_assert_int_eq(smmu_ptw_s2_fetch(tb->g, &s2, 0x7000040ull,
	    SMMU_EVT_CLASS_CD, &pa, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, true, SMMU_EVT_CLASS_CD);
	ck_assert_uint_eq(e.ipa, 0x7000040ull);
	ck_assert(e.rnw);
	ck_assert(e.record);
	ck_assert(e.abort);
	/* No read permission: F_PERMISSION, TTRnW only for CLASS = TT. */
	ck_assert_int_eq(smmu_ptw_s2_fetch(tb->g, &s2, 0x9000000ull,
	    SMMU_EVT_CLASS_CD, &pa, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, true, SMMU_EVT_CLASS_CD);
	ck_assert(!e.ttrnw);
	ck_assert_uint_eq(e.ipa, 0x9000000ull);
	/* Device memory: fine without S2PTW, a fault with it. */
	ck_assert_int_eq(smmu_ptw_s2_fetch(tb->g, &s2, 0xa000100ull,
	    SMMU_EVT_CLASS_CD, &pa, &e), 0);
	ck_assert_uint_eq(pa, 0x3100);
	s2.ptw = true;
	s2.record = false;
	ck_assert_int_eq(smmu_ptw_s2_fetch(tb->g, &s2, 0xa000100ull,
	    SMMU_EVT_CLASS_CD, &pa, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_PERMISSION, true, SMMU_EVT_CLASS_CD);
	ck_assert(!e.record);
	ck_assert(e.abort);
	/* Out of the S2T0SZ range. */
	ck_assert_int_eq(smmu_ptw_s2_fetch(tb->g, &s2, 1ull << 40,
	    SMMU_EVT_CLASS_CD, &pa, &e), 1);
	CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, true, SMMU_EVT_CLASS_CD);
	ck_assert_uint_eq(pa, 0x3100);	/* untouched on failure */
}
END_TEST

/* ---- record / abort and the perm helpers ----------------------------- */

/* Stage-1 faults follow CD.R / CD.A; stage-2 faults S2R, always abort. */
START_TEST(test_record_abort)
{
	struct tb_pt p1, p2;
	struct smmu_cd cd;
	struct smmu_s2cfg s2;
	struct smmu_walk w;
	struct smmu_event e;
	unsigned r, a;

	ck_assert_int_eq(tb_pt_init(&p1, tb, false, 12, 39, -1), 0);
	ck_assert_int_eq(tb_pt_init(&p2, tb, true, 12, 40, 1), 0);
	ck_assert_int_eq(tb_pt_map(&p1, 0x1000, 0x2000, 3, TB_S1_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&p2, RAM_BASE, RAM_BASE, 2,
	    TB_S2_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_map(&p2, 0x2000, 0x2000, 3, TB_S2_DEFAULT), 0);
	cd = cd_for(&p1);
	s2 = s2_for(&p2);
	for (r = 0; r < 2; r++) {
		for (a = 0; a < 2; a++) {
			cd.record = r;
			cd.abort = a;
			s2.record = !r;
			ck_assert_int_eq(walk(&cd, &s2, 0x9000, ACC_R, &w, &e),
			    1);
			CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, false,
			    SMMU_EVT_CLASS_IN);
			ck_assert_uint_eq(e.record, r);
			ck_assert_uint_eq(e.abort, a);
			/* Stage-2 fault on the output (0x2000 unmapped). */
			tb_w64(tb, tb_pt_desc_addr(&p2, 0x2000, 3), 0);
			ck_assert_int_eq(walk(&cd, &s2, 0x1000, ACC_R, &w, &e),
			    1);
			CHECK_FAULT(&e, SMMU_EVT_F_TRANSLATION, true,
			    SMMU_EVT_CLASS_IN);
			ck_assert_uint_eq(e.record, !r);
			ck_assert(e.abort);
			ck_assert_uint_eq(e.ipa, 0x2000);
			ck_assert_int_eq(tb_pt_map(&p2, 0x2000, 0x2000, 3,
			    TB_S2_DEFAULT), 0);
		}
	}
	/* Identity stage 2 over the tables: 3 x (2 + 1) + 3 reads. */
	ck_assert_int_eq(walk(&cd, &s2, 0x1000, ACC_R, &w, &e), 0);
	ck_assert_uint_eq(w.nr_reads, 3 * 3 + 3);
}
END_TEST

/* smmu_ptw_perm_check / smmu_ptw_perm_public of ptw.h. */
START_TEST(test_perm_helpers)
{
	uint16_t p = SMMU_PTW_PERM(P_PR | P_UR | P_UX, P_PR | P_PW | P_UX);

	ck_assert_int_eq(smmu_ptw_perm_check(p, ACC_R | ACC_P), 0);
	ck_assert_int_eq(smmu_ptw_perm_check(p, ACC_W | ACC_P), 1);
	ck_assert_int_eq(smmu_ptw_perm_check(p, ACC_R), 2);
	ck_assert_int_eq(smmu_ptw_perm_check(p, ACC_X), 0);
	ck_assert_int_eq(smmu_ptw_perm_check(p, ACC_X | ACC_P), 1);
	ck_assert_int_eq(smmu_ptw_perm_check(p, 0 | ACC_P), 0);
	ck_assert_uint_eq(smmu_ptw_perm_public(p, true), SMMU_PERM_R);
	ck_assert_uint_eq(smmu_ptw_perm_public(p, false), SMMU_PERM_X);
}
END_TEST

Suite *
ptw_suite(void)
{
	Suite *s = suite_create("ptw");
	TCase *tc;

	tc = tcase_create("geometry");
	tcase_add_checked_fixture(tc, ptw_setup, ptw_teardown);
	tcase_add_loop_test(tc, test_s1_granule_levels, 0,
	    (int)(sizeof(s1_geo) / sizeof(s1_geo[0])));
	tcase_add_test(tc, test_s1_blocks);
	tcase_add_test(tc, test_s1_illegal_blocks);
	tcase_add_test(tc, test_s1_ttb_low_bits);
	tcase_add_loop_test(tc, test_s2_concat, 0,
	    (int)(sizeof(s2_geo) / sizeof(s2_geo[0])));
	tcase_add_test(tc, test_s2_blocks);
	suite_add_tcase(s, tc);

	tc = tcase_create("nested");
	tcase_add_checked_fixture(tc, ptw_setup, ptw_teardown);
	tcase_add_test(tc, test_nested_walk);
	tcase_add_test(tc, test_nested_sizes);
	tcase_add_test(tc, test_nested_table_faults);
	tcase_add_test(tc, test_nested_output_fault);
	tcase_add_test(tc, test_nested_eabt);
	tcase_add_test(tc, test_nested_perm);
	suite_add_tcase(s, tc);

	tc = tcase_create("checks");
	tcase_add_checked_fixture(tc, ptw_setup, ptw_teardown);
	tcase_add_test(tc, test_s1_ttb_select);
	tcase_add_test(tc, test_access_flag);
	tcase_add_test(tc, test_addr_size);
	tcase_add_test(tc, test_52bit);
	tcase_add_test(tc, test_walk_eabt);
	tcase_add_test(tc, test_s2_fetch);
	tcase_add_test(tc, test_record_abort);
	suite_add_tcase(s, tc);

	tc = tcase_create("perm");
	tcase_add_checked_fixture(tc, ptw_setup, ptw_teardown);
	tcase_add_loop_test(tc, test_s1_perm, 0,
	    (int)(sizeof(s1_perm) / sizeof(s1_perm[0])));
	tcase_add_test(tc, test_s1_perm_table_level);
	tcase_add_test(tc, test_s1_global);
	tcase_add_test(tc, test_s2_perm);
	tcase_add_test(tc, test_perm_helpers);
	suite_add_tcase(s, tc);
	return s;
}
