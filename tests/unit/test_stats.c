/*
 * test_stats.c - per-thread-slot counters: totals, per stream, foreach,
 * and counts from several threads adding up exactly.
 */
#include <pthread.h>
#include <string.h>

#include "err.h"
#include "event.h"
#include "stats.h"
#include "suites.h"

START_TEST(test_counts)
{
	struct smmu_statset *st = smmu_stats_create();
	struct smmu_stats s;

	ck_assert_ptr_nonnull(st);
	smmu_stats_count(st, 3, SMMU_STATS_HIT, 0);
	smmu_stats_count(st, 3, SMMU_STATS_MISS | SMMU_STATS_WALK, 0);
	smmu_stats_count(st, 0xfffffffe, SMMU_STATS_MISS | SMMU_STATS_FAULT,
	    SMMU_EVT_F_PERMISSION);
	smmu_stats_count(st, 0xfffffffe, SMMU_STATS_FAULT, 0x25);
	smmu_stats_read(st, &s);
	ck_assert_uint_eq(s.translations, 4);
	ck_assert_uint_eq(s.tlb_hits, 1);
	ck_assert_uint_eq(s.tlb_misses, 2);
	ck_assert_uint_eq(s.walks, 1);
	ck_assert_uint_eq(s.faults, 2);
	ck_assert_uint_eq(s.fault_by_type[smmu_stats_fault_index(0x13)], 1);
	ck_assert_uint_eq(s.fault_by_type[smmu_stats_fault_index(0x25)], 1);
	ck_assert_uint_eq(smmu_stats_fault_type(smmu_stats_fault_index(0x25)),
	    0x25);
	ck_assert_int_eq(smmu_stats_read_stream(st, 3, &s), 0);
	ck_assert_uint_eq(s.translations, 2);
	ck_assert_uint_eq(s.faults, 0);
	ck_assert_int_eq(smmu_stats_read_stream(st, 0xfffffffe, &s), 0);
	ck_assert_uint_eq(s.faults, 2);
	ck_assert_int_eq(smmu_stats_read_stream(st, 4, &s), SMMU_ERR_NOENT);
	smmu_stats_destroy(st);
}
END_TEST

#define NTHREADS 4
#define NCOUNT 20000

static void *
stats_worker(void *arg)
{
	struct smmu_statset *st = arg;
	unsigned i;

	for (i = 0; i < NCOUNT; i++)
		smmu_stats_count(st, i % 3, SMMU_STATS_HIT, 0);
	return NULL;
}

START_TEST(test_threads_sum_exactly)
{
	struct smmu_statset *st = smmu_stats_create();
	pthread_t t[NTHREADS];
	struct smmu_stats s;
	unsigned i;

	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, stats_worker,
		    st), 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	smmu_stats_read(st, &s);
	ck_assert_uint_eq(s.translations, NTHREADS * NCOUNT);
	ck_assert_uint_eq(s.tlb_hits, NTHREADS * NCOUNT);
	ck_assert_int_eq(smmu_stats_read_stream(st, 1, &s), 0);
	/* i % 3 == 1 for (NCOUNT + 1) / 3 values of i per thread. */
	ck_assert_uint_eq(s.translations, NTHREADS * ((NCOUNT + 1) / 3));
	smmu_stats_destroy(st);
}
END_TEST

static int
stats_collect(void *arg, uint32_t sid, const struct smmu_stats *s)
{
	uint32_t *v = arg;

	v[++v[0]] = sid;
	return v[0] == 3 ? 42 : 0;	/* stop after three */
}

START_TEST(test_foreach_order_and_stop)
{
	struct smmu_statset *st = smmu_stats_create();
	uint32_t v[8] = { 0 };
	static const uint32_t sids[] = { 1u << 31, 70, 5, 1u << 20, 64 };
	unsigned i;

	for (i = 0; i < 5; i++)
		smmu_stats_count(st, sids[i], SMMU_STATS_HIT, 0);
	ck_assert_int_eq(smmu_stats_foreach_stream(st, stats_collect, v), 42);
	ck_assert_uint_eq(v[0], 3);
	ck_assert_uint_eq(v[1], 5);
	ck_assert_uint_eq(v[2], 64);
	ck_assert_uint_eq(v[3], 70);
	smmu_stats_destroy(st);
}
END_TEST

Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("counters");

	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_threads_sum_exactly);
	tcase_add_test(tc, test_foreach_order_and_stop);
	suite_add_tcase(s, tc);
	return s;
}
