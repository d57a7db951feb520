/*
 * test_strtab.c - stream-table lookup (lib/strtab.c): linear and 2-level
 * tables, StreamID range checks, alignment of the table pointers, and
 * fetch aborts.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "event.h"
#include "features.h"
#include "strtab.h"
#include "suites.h"
#include "tbuild.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (32ull << 20)

/* A recognisable fake STE for sid (strtab does not decode it). */
static void
st_put(struct tb *tb, uint64_t gpa, uint32_t sid)
{
	uint64_t dw[8];
	unsigned i;

	for (i = 0; i < 8; i++)
		dw[i] = ((uint64_t)sid << 8) | i | 0x5a00000000000000ull;
	tb_wwords(tb, gpa, dw, 8);
}

/* Fetch sid and check it is the fake STE of sid at want_addr. */
static void
st_expect(struct tb *tb, const struct smmu_features *f, uint64_t base,
    uint32_t cfg, uint32_t sid, uint64_t want_addr)
{
	struct smmu_event evt;
	uint64_t dw[8], addr = 0;
	unsigned i;
	int r;

	r = smmu_strtab_fetch(tb->g, f, base, cfg, sid, dw, &addr, &evt);
	ck_assert_msg(r == 0, "sid 0x%x: result %d, event 0x%x (%s)", sid, r,
	    evt.type, evt.detail ? evt.detail : "");
	ck_assert_uint_eq(addr, want_addr);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(dw[i],
		    ((uint64_t)sid << 8) | i | 0x5a00000000000000ull);
}

/* Fetch sid and check the fault type (and FetchAddr for F_STE_FETCH). */
static void
st_expect_fault(struct tb *tb, const struct smmu_features *f, uint64_t base,
    uint32_t cfg, uint32_t sid, unsigned type, uint64_t fetch_addr)
{
	struct smmu_event evt;
	uint64_t dw[8], addr = 0x1234;

	ck_assert_int_eq(smmu_strtab_fetch(tb->g, f, base, cfg, sid, dw,
	    &addr, &evt), 1);
	ck_assert_uint_eq(evt.type, type);
	ck_assert_ptr_nonnull(evt.detail);
	ck_assert(evt.abort);
	ck_assert_uint_eq(addr, 0x1234);	/* untouched on failure */
	if (type == SMMU_EVT_F_STE_FETCH)
		ck_assert_uint_eq(evt.fetch_addr, fetch_addr);
}

START_TEST(test_strtab_linear)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_features f;
	struct smmu_event evt;
	uint64_t base, dw[8];
	uint32_t cfg = tb_strtab_cfg(4, 0, 0);
	uint32_t sids[] = { 0, 1, 5, 15 };
	unsigned i;

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	base = tb_strtab_linear(tb, 4);
	for (i = 0; i < 16; i++)
		st_put(tb, base + 64 * i, i);
	for (i = 0; i < 4; i++)
		st_expect(tb, &f, base, cfg, sids[i], base + 64 * sids[i]);
	/* Beyond LOG2SIZE. */
	st_expect_fault(tb, &f, base, cfg, 16, SMMU_EVT_C_BAD_STREAMID, 0);
	st_expect_fault(tb, &f, base, cfg, UINT32_MAX,
	    SMMU_EVT_C_BAD_STREAMID, 0);
	/* ret_addr may be NULL. */
	ck_assert_int_eq(smmu_strtab_fetch(tb->g, &f, base, cfg, 3, dw, NULL,
	    &evt), 0);
	ck_assert_uint_eq(dw[0], (3ull << 8) | 0x5a00000000000000ull);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_strtab_sidsize)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_features f;
	uint64_t base;
	uint32_t cfg = tb_strtab_cfg(4, 0, 0);

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	f.sid_bits = 3;
	f.st_2level = false;
	base = tb_strtab_linear(tb, 4);
	st_put(tb, base + 64 * 7, 7);
	st_put(tb, base + 64 * 8, 8);
	/* L = MIN(LOG2SIZE 4, SIDSIZE 3). */
	st_expect(tb, &f, base, cfg, 7, base + 64 * 7);
	st_expect_fault(tb, &f, base, cfg, 8, SMMU_EVT_C_BAD_STREAMID, 0);
	/* SIDSIZE 0: only StreamID 0 exists. */
	f.sid_bits = 0;
	st_put(tb, base, 0);
	st_expect(tb, &f, base, cfg, 0, base);
	st_expect_fault(tb, &f, base, cfg, 1, SMMU_EVT_C_BAD_STREAMID, 0);
	/* SIDSIZE 32 with LOG2SIZE 32: every StreamID is in range (the
	 * fetch itself runs off RAM). */
	f.sid_bits = 32;
	st_expect_fault(tb, &f, 0, tb_strtab_cfg(32, 0, 0), UINT32_MAX,
	    SMMU_EVT_F_STE_FETCH, 64ull * UINT32_MAX);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_strtab_linear_align)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_features f;
	uint64_t base;
	uint32_t cfg = tb_strtab_cfg(4, 0, 0);

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	base = tb_strtab_linear(tb, 4);		/* 1KB, 1KB aligned */
	st_put(tb, base + 64 * 2, 2);
	/* ADDR[9:6] (below the 1KB table size), [5:0] and RA (bit 62)
	 * are not address bits. */
	st_expect(tb, &f, base | 0x3ff | (1ull << 62), cfg, 2,
	    base + 64 * 2);
	/* With SIDSIZE 2 the effective table is 256 bytes: ADDR[9:8]
	 * count again. */
	f.sid_bits = 2;
	st_put(tb, base + 0x100 + 64 * 2, 0x102);
	{
		struct smmu_event evt;
		uint64_t dw[8], addr;

		ck_assert_int_eq(smmu_strtab_fetch(tb->g, &f, base | 0x1c0,
		    cfg, 2, dw, &addr, &evt), 0);
		ck_assert_uint_eq(addr, base + 0x100 + 64 * 2);
	}
	tb_destroy(tb);
}
END_TEST

/* 2-level tables for SPLIT = 6, 8, 10 (loop index 0..2). */
START_TEST(test_strtab_2level)
{
	static const unsigned splits[] = { 6, 8, 10 };
	unsigned split = splits[_i];
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_features f;
	uint64_t base, l2a, l2b;
	uint32_t cfg = tb_strtab_cfg(16, split, 1);
	uint32_t sid;

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	base = tb_strtab_2l(tb, 16, split);
	/* L1STD #1: a full L2 table (Span = SPLIT + 1). */
	l2a = tb_strtab_2l_add(tb, base, 1, split + 1);
	sid = (1u << split) + 3;
	st_put(tb, l2a + 64 * 3, sid);
	st_expect(tb, &f, base, cfg, sid, l2a + 64 * 3);
	sid = (2u << split) - 1;
	st_put(tb, l2a + 64 * ((1u << split) - 1), sid);
	st_expect(tb, &f, base, cfg, sid, l2a + 64 * ((1u << split) - 1));
	/* L1STD #2: Span 2, two STEs. */
	l2b = tb_strtab_2l_add(tb, base, 2, 2);
	sid = (2u << split) + 1;
	st_put(tb, l2b + 64, sid);
	st_expect(tb, &f, base, cfg, sid, l2b + 64);
	st_expect_fault(tb, &f, base, cfg, (2u << split) + 2,
	    SMMU_EVT_C_BAD_STREAMID, 0);
	/* L1STD #0 was never written: Span 0. */
	st_expect_fault(tb, &f, base, cfg, 5, SMMU_EVT_C_BAD_STREAMID, 0);
	/* Span SPLIT + 2, 12 and 31 are out of range. */
	tb_w64(tb, base + 8 * 3, l2a | (split + 2));
	st_expect_fault(tb, &f, base, cfg, (3u << split),
	    SMMU_EVT_C_BAD_STREAMID, 0);
	tb_w64(tb, base + 8 * 3, l2a | 12);
	st_expect_fault(tb, &f, base, cfg, (3u << split),
	    SMMU_EVT_C_BAD_STREAMID, 0);
	tb_w64(tb, base + 8 * 3, l2a | 31);
	st_expect_fault(tb, &f, base, cfg, (3u << split),
	    SMMU_EVT_C_BAD_STREAMID, 0);
	/* Beyond LOG2SIZE. */
	st_expect_fault(tb, &f, base, cfg, 1u << 16,
	    SMMU_EVT_C_BAD_STREAMID, 0);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_strtab_2level_align)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_features f;
	uint64_t base, l2;
	uint32_t cfg = tb_strtab_cfg(10, 8, 1);

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	/* 4 L1STDs = 32 bytes, aligned to 64: ADDR[5:0] ignored only. */
	base = tb_strtab_2l(tb, 10, 8);
	ck_assert_uint_eq(base & 63, 0);
	/* L2 of Span 3 (4 STEs, 256 bytes); L2Ptr[7:6] below its size are
	 * not address bits. */
	l2 = tb_strtab_2l_add(tb, base, 1, 3);
	tb_w64(tb, base + 8, (l2 | 0xc0) | 3);
	st_put(tb, l2 + 64 * 3, 0x103);
	st_expect(tb, &f, base | 0x38, cfg, 0x103, l2 + 64 * 3);
	/* LOG2SIZE < SPLIT: one L1STD. */
	cfg = tb_strtab_cfg(4, 8, 1);
	tb_w64(tb, base, l2 | 3);
	st_put(tb, l2 + 64 * 2, 2);
	st_expect(tb, &f, base | 0x3f, cfg, 2, l2 + 64 * 2);
	st_expect_fault(tb, &f, base, cfg, 16, SMMU_EVT_C_BAD_STREAMID, 0);
	/* A 16KB L1 table (2048 L1STDs) must be 16KB aligned. */
	f.sid_bits = 17;
	base = tb_strtab_2l(tb, 17, 6);
	ck_assert_uint_eq(base & 0x3fff, 0);
	cfg = tb_strtab_cfg(17, 6, 1);
	l2 = tb_strtab_2l_add(tb, base, 2047, 7);
	st_put(tb, l2 + 64 * 63, 0x1ffff);
	st_expect(tb, &f, base | 0x3ff8, cfg, 0x1ffff, l2 + 64 * 63);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_strtab_split_reserved)
{
	static const unsigned bad[] = { 0, 5, 7, 9, 11, 31 };
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_features f;
	uint64_t base, l2;
	unsigned i;

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	/* Built for SPLIT 6; reserved SPLIT values act as 6. */
	base = tb_strtab_2l(tb, 12, 6);
	l2 = tb_strtab_2l_add(tb, base, 1, 7);
	st_put(tb, l2 + 64 * 3, 67);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		st_expect(tb, &f, base, tb_strtab_cfg(12, bad[i], 1), 67,
		    l2 + 64 * 3);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_strtab_fmt_linear)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_features f;
	uint64_t base;
	unsigned fmt;

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	base = tb_strtab_linear(tb, 6);
	st_put(tb, base + 64 * 33, 33);
	/* FMT 2 and 3 behave as linear. */
	for (fmt = 2; fmt < 4; fmt++)
		st_expect(tb, &f, base, tb_strtab_cfg(6, 6, fmt), 33,
		    base + 64 * 33);
	/* FMT 1 without IDR0.ST_LEVEL: linear too. */
	f.st_2level = false;
	f.sid_bits = 6;
	st_expect(tb, &f, base, tb_strtab_cfg(6, 6, 1), 33, base + 64 * 33);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_strtab_unbacked)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_features f;
	uint64_t base, l2;
	uint32_t cfg;

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	/* Linear table outside RAM. */
	cfg = tb_strtab_cfg(8, 0, 0);
	st_expect_fault(tb, &f, 0x10000000ull, cfg, 0x21,
	    SMMU_EVT_F_STE_FETCH, 0x10000000ull + 64 * 0x21);
	/* A linear table just past the end of RAM. */
	st_expect_fault(tb, &f, RAM_BASE + RAM_SIZE, cfg, 0x10,
	    SMMU_EVT_F_STE_FETCH, RAM_BASE + RAM_SIZE + 0x400);
	/* 2-level: the L1STD outside RAM. */
	cfg = tb_strtab_cfg(16, 8, 1);
	st_expect_fault(tb, &f, 0x10000000ull, cfg, 0x345,
	    SMMU_EVT_F_STE_FETCH, 0x10000000ull + 8 * 3);
	/* 2-level: the L2 table outside RAM. */
	base = tb_strtab_2l(tb, 16, 8);
	tb_w64(tb, base + 8 * 3, 0x20000000ull | 9);
	st_expect_fault(tb, &f, base, cfg, 0x345, SMMU_EVT_F_STE_FETCH,
	    0x20000000ull + 64 * 0x45);
	/* And a good one next to it still works. */
	l2 = tb_strtab_2l_add(tb, base, 4, 9);
	st_put(tb, l2 + 64 * 0x45, 0x445);
	st_expect(tb, &f, base, cfg, 0x445, l2 + 64 * 0x45);
	tb_destroy(tb);
}
END_TEST

Suite *
strtab_suite(void)
{
	Suite *s = suite_create("strtab");
	TCase *tc = tcase_create("fetch");

	tcase_add_test(tc, test_strtab_linear);
	tcase_add_test(tc, test_strtab_sidsize);
	tcase_add_test(tc, test_strtab_linear_align);
	tcase_add_loop_test(tc, test_strtab_2level, 0, 3);
	tcase_add_test(tc, test_strtab_2level_align);
	tcase_add_test(tc, test_strtab_split_reserved);
	tcase_add_test(tc, test_strtab_fmt_linear);
	tcase_add_test(tc, test_strtab_unbacked);
	suite_add_tcase(s, tc);
	return s;
}
