/*
 * test_concurrency.c - translations on several threads while another
 * thread invalidates and remaps.
 *
 * Translators check every answer exactly: the mappings they use never
 * change, or change only between two known outputs, so any other value
 * (a torn TLB entry, a stale configuration resurrected after an
 * invalidation, a mixed-up tag) fails the test.  Run it under
 * ThreadSanitizer with `make SAN=thread unit-build` and
 * `CK_FORK=no CK_RUN_SUITE=concurrency build/tsan/tests/unit/smmu-unit`.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "smmu.h"
#include "suites.h"
#include "tbuild.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64ull << 20)
#define NPAGES 64
#define NREADERS 3
#define OUT_A 0x100000000ull
#define OUT_B 0x200000000ull

struct cc {
	struct tb *tb;
	struct smmu *s;
	struct tb_pt pt;
	unsigned iters;
	int stop;		/* atomic */
	int bad;		/* atomic: wrong answers seen */
	int faults;		/* atomic: faults seen on stable pages */
};

/* Page i of the stream: pages < NPAGES/2 are stable at OUT_A + i pages;
 * the others flip between OUT_A and OUT_B. */
static void
cc_init(struct cc *c)
{
	struct smmu_features f;
	struct smmu_ctrl ctl = { .enabled = true };
	struct tb_ste ste;
	struct tb_cd cd;
	uint64_t strtab, cdaddr;
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->iters = getenv("SMMU_TEST_QUICK") != NULL ? 2000 : 40000;
	c->tb = tb_create(RAM_BASE, RAM_SIZE);
	ck_assert_ptr_nonnull(c->tb);
	smmu_features_default(&f);
	f.tlb_entries = 32;	/* small: constant eviction too */
	f.cfg_entries = 4;
	c->s = smmu_create(&f, c->tb->g, NULL);
	ck_assert_ptr_nonnull(c->s);
	ck_assert_int_eq(tb_pt_init(&c->pt, c->tb, false, 12, 48, -1), 0);
	for (i = 0; i < NPAGES; i++)
		ck_assert_int_eq(tb_pt_map(&c->pt, 0x10000000ull + i * 4096ull,
		    OUT_A + i * 4096ull, 3, TB_S1_DEFAULT), 0);
	strtab = tb_strtab_linear(c->tb, 3);
	cdaddr = tb_alloc(c->tb, 64, 64);
	tb_cd_s1(&cd, &c->pt, 3);
	tb_put_cd(c->tb, cdaddr, &cd);
	tb_ste_s1(&ste, cdaddr);
	for (i = 0; i < 8; i++)
		tb_put_ste(c->tb, strtab + 64ull * i, &ste);
	ctl.strtab_base = strtab;
	ctl.strtab_base_cfg = tb_strtab_cfg(3, 0, 0);
	smmu_ctrl_set(c->s, &ctl);
}

static void *
cc_reader(void *arg)
{
	struct cc *c = arg;
	struct smmu_txn t = { .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t a, b;
	unsigned i, p;

	for (i = 0; i < c->iters; i++) {
		p = (i * 7u) % NPAGES;
		t.sid = i % 8;
		t.iova = 0x10000000ull + p * 4096ull + (i & 0xff8);
		if (smmu_translate(c->s, &t, &x, &e) != SMMU_XLATE_OK) {
			__atomic_fetch_add(&c->faults, 1, __ATOMIC_RELAXED);
			continue;
		}
		a = OUT_A + p * 4096ull + (i & 0xff8);
		b = OUT_B + p * 4096ull + (i & 0xff8);
		if (x.oa != a && !(p >= NPAGES / 2 && x.oa == b))
			__atomic_fetch_add(&c->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *
cc_invalidator(void *arg)
{
	struct cc *c = arg;
	struct smmu_inv inv;
	unsigned n = 0, p;
	uint64_t d, out;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		memset(&inv, 0, sizeof(inv));
		switch (n % 4) {
		case 0:
			/* Flip a page in memory, then TLBI it (NH_VA). */
			p = NPAGES / 2 + (n / 4) % (NPAGES / 2);
			d = tb_pt_desc_addr(&c->pt, 0x10000000ull + p * 4096ull,
			    3);
			out = ((n / 4) & 1 ? OUT_B : OUT_A) + p * 4096ull;
			tb_w64(c->tb, d, out | TB_S1_DEFAULT | 3);
			inv.op = SMMU_INV_TLBI_NH_VA;
			inv.asid = 3;
			inv.addr = 0x10000000ull + p * 4096ull;
			break;
		case 1:
			inv.op = SMMU_INV_CFGI_ALL;
			break;
		case 2:
			inv.op = SMMU_INV_TLBI_NH_ASID;
			inv.asid = 3;
			break;
		default:
			inv.op = SMMU_INV_CFGI_STE;
			inv.sid = n % 8;
			break;
		}
		(void)smmu_invalidate(c->s, &inv);
		n++;
	}
	return NULL;
}

START_TEST(test_translate_while_invalidating)
{
	pthread_t r[NREADERS], w;
	struct smmu_stats st;
	struct cc c;
	unsigned i;

	cc_init(&c);
	ck_assert_int_eq(pthread_create(&w, NULL, cc_invalidator, &c), 0);
	for (i = 0; i < NREADERS; i++)
		ck_assert_int_eq(pthread_create(&r[i], NULL, cc_reader, &c),
		    0);
	for (i = 0; i < NREADERS; i++)
		pthread_join(r[i], NULL);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(w, NULL);
	ck_assert_int_eq(c.bad, 0);
	ck_assert_int_eq(c.faults, 0);
	smmu_stats_get(c.s, &st);
	ck_assert_uint_eq(st.translations, (uint64_t)NREADERS * c.iters);
	ck_assert_uint_eq(st.tlb_hits + st.tlb_misses, st.translations);
	ck_assert_uint_gt(st.tlb.invalidations + st.cfg.invalidations, 0);
	smmu_destroy(c.s);
	tb_destroy(c.tb);
}
END_TEST

Suite *
concurrency_suite(void)
{
	Suite *s = suite_create("concurrency");
	TCase *tc = tcase_create("threads");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_translate_while_invalidating);
	suite_add_tcase(s, tc);
	return s;
}
