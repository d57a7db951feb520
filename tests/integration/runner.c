/*
 * runner.c - the Check runner for the integration suites.
 *
 * Needs SMMU_BUILD_DIR (the Makefile sets it) to find smmud and smmuctl.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

typedef Suite *(*suite_fn)(void);

/* Suites still being written are weak; a missing one fails the run. */
#pragma weak conf_suite
#pragma weak daemon_suite
#pragma weak client_suite
#pragma weak ctl_suite

int
main(void)
{
	static const struct {
		const char *name;
		suite_fn fn;
	} suites[] = {
		{ "conf", conf_suite },
		{ "daemon", daemon_suite },
		{ "client", client_suite },
		{ "ctl", ctl_suite },
	};
	SRunner *sr = NULL;
	unsigned i, missing = 0;
	int failed;

	/* A test writing to a daemon that just died must see EPIPE. */
	signal(SIGPIPE, SIG_IGN);
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
