/*
 * suites.h - every Check suite of the unit runner.
 *
 * Each tests/unit/test_<module>.c defines one <module>_suite(); runner.c
 * adds them all to one SRunner, so the closing "Checks: N" line counts
 * every test of the project.
 */
#ifndef SMMU_TEST_SUITES_H
#define SMMU_TEST_SUITES_H

#include <check.h>

Suite *gmem_suite(void);
Suite *event_suite(void);
Suite *strtab_suite(void);
Suite *ste_suite(void);
Suite *cd_suite(void);
Suite *cfgcache_suite(void);
Suite *ptw_suite(void);
Suite *tlb_suite(void);
Suite *stats_suite(void);
Suite *smmu_suite(void);
Suite *conformance_suite(void);
Suite *matrix_suite(void);
Suite *concurrency_suite(void);
Suite *regs_suite(void);
Suite *cmdq_suite(void);
Suite *evtq_suite(void);
Suite *msi_suite(void);
Suite *guest_suite(void);
Suite *domain_suite(void);

#endif /* SMMU_TEST_SUITES_H */
