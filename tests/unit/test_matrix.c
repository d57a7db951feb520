/*
 * test_matrix.c - page-table conformance matrix in the style of Linux's
 * io-pgtable selftests.
 *
 * For each granule (4K, 16K, 64K) x input size (32..48 bits) x output size
 * (>= input) x stage (1, 2): map one page or block of every size the
 * granule allows, 1 GiB apart, translate inside each (walk, then TLB
 * hit), unmap each one in turn (invalid descriptor + TLBI) and check that
 * exactly it faults, and map the largest block at the very top of the
 * input range.  Stage 2 starts as deep as the concatenation rule allows,
 * so the small and medium input sizes walk concatenated start tables.
 * Everything goes through smmu_translate(): stream table, STE, CD, config
 * cache, walker and TLB.
 */
#include <stdlib.h>
#include <string.h>

#include "smmu.h"
#include "suites.h"
#include "tbuild.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64ull << 20)

static const unsigned mx_ias[] = { 32, 36, 40, 42, 44, 48 };
static const unsigned mx_oas[] = { 32, 36, 40, 42, 44, 48, 52 };

/* Leaf levels with legal blocks or pages for a granule (no LPA2). */
static unsigned
mx_levels(unsigned g, unsigned oas, unsigned *levels)
{
	unsigned n = 0;

	if (g == 12)
		levels[n++] = 1;
	if (g == 16 && oas == 52)
		levels[n++] = 1;	/* 4 TiB blocks need 52-bit LPA */
	levels[n++] = 2;
	levels[n++] = 3;
	return n;
}

/*
 * Deepest legal stage-2 start level for ia (concatenation up to 16) that
 * still leaves room for blocks of level max_level.
 */
static unsigned
mx_s2_level(unsigned g, unsigned ia, unsigned max_level)
{
	unsigned s = g - 3, shift;
	int l;

	for (l = (int)max_level; l >= 0; l--) {
		shift = tb_level_shift(g, (unsigned)l);
		if (ia > shift && ia - shift <= s + 4)
			return (unsigned)l;
	}
	/* The input is too small for blocks that large: start deeper. */
	for (l = 3; l > (int)max_level; l--) {
		shift = tb_level_shift(g, (unsigned)l);
		if (ia > shift && ia - shift <= s + 4)
			return (unsigned)l;
	}
	return 0;
}

/* Output address for mapping i of 2^shift bytes, inside the OA range. */
static uint64_t
mx_oa(unsigned oas, unsigned i, unsigned shift)
{
	uint64_t oa = (1ull << (oas - 1)) + ((uint64_t)i << 28) +
	    0x123456789000ull;

	oa &= (1ull << oas) - 1;
	return oa & ~((1ull << shift) - 1);
}

struct mx {
	struct tb *tb;
	struct smmu *s;
	struct tb_pt pt;
	bool stage2;
	unsigned g, ia, oas;
};

/* Build the SMMU and an empty tree for one combination. */
static void
mx_init(struct mx *m, bool stage2, unsigned g, unsigned ia, unsigned oas)
{
	struct smmu_features f;
	struct smmu_ctrl c = { .enabled = true };
	struct tb_ste ste;
	struct tb_cd cd;
	uint64_t strtab, cdaddr;

	memset(m, 0, sizeof(*m));
	m->stage2 = stage2;
	m->g = g;
	m->ia = ia;
	m->oas = oas;
	m->tb = tb_create(RAM_BASE, RAM_SIZE);
	ck_assert_ptr_nonnull(m->tb);
	smmu_features_default(&f);
	f.oas = oas;
	m->s = smmu_create(&f, m->tb->g, NULL);
	ck_assert_ptr_nonnull(m->s);
	strtab = tb_strtab_linear(m->tb, 2);
	c.strtab_base = strtab;
	c.strtab_base_cfg = tb_strtab_cfg(2, 0, 0);
	smmu_ctrl_set(m->s, &c);
	if (stage2) {
		unsigned levels[3];

		mx_levels(g, oas, levels);
		ck_assert_int_eq(tb_pt_init(&m->pt, m->tb, true, g, ia,
		    (int)mx_s2_level(g, ia, levels[0])), 0);
		tb_ste_s2(&ste, &m->pt, 1);
		ste.s2ps = tb_ps(oas);
	} else {
		ck_assert_int_eq(tb_pt_init(&m->pt, m->tb, false, g, ia, -1),
		    0);
		tb_cd_s1(&cd, &m->pt, 1);
		cd.ips = tb_ps(oas);
		cdaddr = tb_alloc(m->tb, 64, 64);
		tb_put_cd(m->tb, cdaddr, &cd);
		tb_ste_s1(&ste, cdaddr);
	}
	tb_put_ste(m->tb, strtab + 64, &ste);	/* sid 1 */
}

static void
mx_fini(struct mx *m)
{
	smmu_destroy(m->s);
	tb_destroy(m->tb);
}

/* Translate iova on sid 1; returns the fault type or 0 with *oa. */
static int
mx_xlate(struct mx *m, uint64_t iova, uint64_t *oa, bool *hit,
    uint8_t *size_log2)
{
	struct smmu_txn t = { .sid = 1, .iova = iova, .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;

	if (smmu_translate(m->s, &t, &x, &e) != SMMU_XLATE_OK)
		return e.type;
	*oa = x.oa;
	*hit = x.tlb_hit;
	*size_log2 = x.size_log2;
	return 0;
}

/* Invalidate the TLB entry for iova of the current stage. */
static void
mx_tlbi(struct mx *m, uint64_t iova)
{
	/* Stage-1-only streams are tagged with their STE's S2VMID (0). */
	struct smmu_inv inv = {
		.op = m->stage2 ? SMMU_INV_TLBI_S2_IPA : SMMU_INV_TLBI_NH_VAA,
		.vmid = m->stage2 ? 1 : 0, .addr = iova,
	};

	ck_assert_int_eq(smmu_invalidate(m->s, &inv), 1);
}

/* Run the whole scenario for one combination; returns the number of
 * concatenated start tables the tree used. */
static unsigned
mx_run(bool stage2, unsigned g, unsigned ia, unsigned oas)
{
	unsigned levels[3], n, i, j, shift;
	uint64_t iova[3], oa[3], got, off, top;
	uint8_t size;
	bool hit;
	struct mx m;
	unsigned concat;

	mx_init(&m, stage2, g, ia, oas);
	n = mx_levels(g, oas, levels);
	for (i = 0; i < n; i++) {
		shift = tb_level_shift(g, levels[i]);
		iova[i] = (uint64_t)i << 30;
		if (shift > 30)		/* a 4 TiB block: place it at 4 TiB */
			iova[i] = 1ull << shift;
		if (iova[i] + (1ull << shift) > (1ull << ia) ||
		    levels[i] < m.pt.start_level) {
			iova[i] = ~0ull;	/* does not fit this input */
			continue;
		}
		oa[i] = mx_oa(oas, i, shift);
		ck_assert_msg(tb_pt_map(&m.pt, iova[i], oa[i], levels[i],
		    stage2 ? TB_S2_DEFAULT : TB_S1_DEFAULT) == 0,
		    "map level %u", levels[i]);
	}
	for (i = 0; i < n; i++) {
		if (iova[i] == ~0ull)
			continue;
		shift = tb_level_shift(g, levels[i]);
		off = ((1ull << shift) - 1) & 0x5a5a5a5a5a5ull;
		ck_assert_int_eq(mx_xlate(&m, iova[i] + off, &got, &hit,
		    &size), 0);
		ck_assert_uint_eq(got, oa[i] + off);
		ck_assert_uint_eq(size, shift);
		ck_assert(!hit);
		ck_assert_int_eq(mx_xlate(&m, iova[i] + (off ^ 0x18), &got,
		    &hit, &size), 0);
		ck_assert_uint_eq(got, oa[i] + (off ^ 0x18));
		ck_assert(hit);
	}
	/* Unmap each mapping in turn: it faults, the others still map. */
	for (i = 0; i < n; i++) {
		if (iova[i] == ~0ull)
			continue;
		tb_w64(m.tb, tb_pt_desc_addr(&m.pt, iova[i], levels[i]), 0);
		mx_tlbi(&m, iova[i]);
		ck_assert_int_eq(mx_xlate(&m, iova[i], &got, &hit, &size),
		    SMMU_EVT_F_TRANSLATION);
		for (j = i + 1; j < n; j++) {
			if (iova[j] == ~0ull)
				continue;
			ck_assert_int_eq(mx_xlate(&m, iova[j], &got, &hit,
			    &size), 0);
			ck_assert_uint_eq(got, oa[j]);
		}
	}
	/* The largest block at the very top of the input range. */
	shift = tb_level_shift(g, levels[0]);
	if (shift < ia && levels[0] >= m.pt.start_level) {
		top = (1ull << ia) - (1ull << shift);
		ck_assert_int_eq(tb_pt_map(&m.pt, top, mx_oa(oas, 7, shift),
		    levels[0], stage2 ? TB_S2_DEFAULT : TB_S1_DEFAULT), 0);
		ck_assert_int_eq(mx_xlate(&m, (1ull << ia) - 8, &got, &hit,
		    &size), 0);
		ck_assert_uint_eq(got, mx_oa(oas, 7, shift) +
		    (1ull << shift) - 8);
		/* One past the top is outside the input range; for stage 2
		 * with IPA size = OAS it is already beyond the IAS of the
		 * bypassed stage 1 (SMMUv3 3.4.3: F_ADDR_SIZE). */
		ck_assert_int_eq(mx_xlate(&m, 1ull << ia, &got, &hit, &size),
		    stage2 && ia == oas ? SMMU_EVT_F_ADDR_SIZE :
		    SMMU_EVT_F_TRANSLATION);
	}
	concat = m.pt.nr_concat;
	mx_fini(&m);
	return concat;
}

/* Every input/output size pair for one granule and stage. */
static void
mx_granule(bool stage2, unsigned g)
{
	unsigned i, j, runs = 0, concat = 0;

	for (i = 0; i < sizeof(mx_ias) / sizeof(mx_ias[0]); i++) {
		for (j = 0; j < sizeof(mx_oas) / sizeof(mx_oas[0]); j++) {
			if (mx_oas[j] < mx_ias[i])
				continue;
			if (mx_oas[j] == 52 && g != 16)
				continue;	/* 52 bits need 64K (LPA) */
			if (mx_run(stage2, g, mx_ias[i], mx_oas[j]) > 1)
				concat++;
			runs++;
		}
	}
	ck_assert_uint_gt(runs, 20);
	/* Stage 2 must have walked concatenated start tables. */
	if (stage2)
		ck_assert_uint_gt(concat, 0);
}

START_TEST(test_s1_4k) { mx_granule(false, 12); } END_TEST
START_TEST(test_s1_16k) { mx_granule(false, 14); } END_TEST
START_TEST(test_s1_64k) { mx_granule(false, 16); } END_TEST
START_TEST(test_s2_4k) { mx_granule(true, 12); } END_TEST
START_TEST(test_s2_16k) { mx_granule(true, 14); } END_TEST
START_TEST(test_s2_64k) { mx_granule(true, 16); } END_TEST

Suite *
matrix_suite(void)
{
	Suite *s = suite_create("matrix");
	TCase *tc = tcase_create("io-pgtable");

	/* Under valgrind every combination is slow; Check's timeout is
	 * scaled by CK_TIMEOUT_MULTIPLIER there. */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_s1_4k);
	tcase_add_test(tc, test_s1_16k);
	tcase_add_test(tc, test_s1_64k);
	tcase_add_test(tc, test_s2_4k);
	tcase_add_test(tc, test_s2_16k);
	tcase_add_test(tc, test_s2_64k);
	suite_add_tcase(s, tc);
	return s;
}
