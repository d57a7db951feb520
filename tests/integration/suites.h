/*
 * suites.h - Check suites of the integration runner (a real smmud,
 * driven over its socket).
 */
#ifndef SMMU_ITEST_SUITES_H
#define SMMU_ITEST_SUITES_H

#include <check.h>

Suite *conf_suite(void);	/* --check-config, YAML errors, round trip */
Suite *daemon_suite(void);	/* lifecycle, sd-daemon, signals, bad frames */
Suite *client_suite(void);	/* libsmmuclient: every request, test VMM */
Suite *ctl_suite(void);		/* smmuctl: human and --json output */

#endif /* SMMU_ITEST_SUITES_H */
