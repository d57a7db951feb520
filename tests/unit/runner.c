/*
 * runner.c - the single Check runner for all unit suites.
 *
 * Environment: CK_RUN_SUITE / CK_RUN_CASE select (Check's own),
 * SMMU_TEST_DATA points at tests/data (set by the Makefile),
 * SMMU_TEST_QUICK=1 shrinks the long matrices (used under valgrind).
 */
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

typedef Suite *(*suite_fn)(void);

/*
 * Suites not written yet are weak references, so the runner links while
 * modules land one by one.  runner_missing counts them, and a non-zero
 * count fails the run: a suite that silently vanished must not pass.
 */
#pragma weak gmem_suite
#pragma weak event_suite
#pragma weak strtab_suite
#pragma weak ste_suite
#pragma weak cd_suite
#pragma weak cfgcache_suite
#pragma weak ptw_suite
#pragma weak tlb_suite
#pragma weak stats_suite
#pragma weak smmu_suite
#pragma weak conformance_suite
#pragma weak matrix_suite
#pragma weak concurrency_suite
#pragma weak regs_suite
#pragma weak cmdq_suite
#pragma weak evtq_suite
#pragma weak msi_suite
#pragma weak guest_suite
#pragma weak domain_suite

int
main(void)
{
	static const struct {
		const char *name;
		suite_fn fn;
	} suites[] = {
		{ "gmem", gmem_suite },
		{ "event", event_suite },
		{ "strtab", strtab_suite },
		{ "ste", ste_suite },
		{ "cd", cd_suite },
		{ "cfgcache", cfgcache_suite },
		{ "ptw", ptw_suite },
		{ "tlb", tlb_suite },
		{ "stats", stats_suite },
		{ "smmu", smmu_suite },
		{ "conformance", conformance_suite },
		{ "matrix", matrix_suite },
		{ "concurrency", concurrency_suite },
		{ "regs", regs_suite },
		{ "cmdq", cmdq_suite },
		{ "evtq", evtq_suite },
		{ "msi", msi_suite },
		{ "guest", guest_suite },
		{ "domain", domain_suite },
	};
	SRunner *sr = NULL;
	unsigned i, missing = 0;
	int failed;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (suites[i].fn == NULL) {
			fprintf(stderr, "runner: suite %s is not built\n",
			    suites[i].name);
			missing++;
			continue;
		}
		if (sr == NULL)
			sr = srunner_create(suites[i].fn());
		else
			srunner_add_suite(sr, suites[i].fn());
	}
	if (sr == NULL)
		return EXIT_FAILURE;
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (missing != 0)
		fprintf(stderr, "runner: %u suite(s) missing\n", missing);
	return failed == 0 && missing == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
