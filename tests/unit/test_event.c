/*
 * test_event.c - the 32-byte event record layout (SMMUv3 section 7.3).
 */
#include <string.h>

#include "event.h"
#include "suites.h"

START_TEST(test_pack_translation_fault)
{
	struct smmu_event e = {
		.type = SMMU_EVT_F_TRANSLATION, .ssv = true, .ssid = 0xabcde,
		.sid = 0x12345678, .pnu = true, .ind = false, .rnw = true,
		.s2 = true, .evclass = SMMU_EVT_CLASS_TT,
		.input_addr = 0xffff800012345678ull, .ipa = 0x8765432fffull,
	};
	struct smmu_event u;
	uint64_t r[4];

	smmu_event_pack(&e, r);
	/* dw0: Type[7:0], SSV[11], SubstreamID[31:12], StreamID[63:32]. */
	ck_assert_uint_eq(r[0], 0x12345678abcde810ull);
	/* dw1: PnU[33], RnW[35], S2[39], CLASS[41:40] = 1. */
	ck_assert_uint_eq(r[1], (1ull << 33) | (1ull << 35) | (1ull << 39) |
	    (1ull << 40));
	ck_assert_uint_eq(r[2], 0xffff800012345678ull);
	/* dw3: IPA[55:12]. */
	ck_assert_uint_eq(r[3], 0x8765432000ull);
	smmu_event_unpack(r, &u);
	ck_assert_uint_eq(u.type, e.type);
	ck_assert_uint_eq(u.sid, e.sid);
	ck_assert_uint_eq(u.ssid, e.ssid);
	ck_assert(u.ssv && u.pnu && u.rnw && u.s2 && !u.ind);
	ck_assert_uint_eq(u.evclass, SMMU_EVT_CLASS_TT);
	ck_assert_uint_eq(u.ipa, 0x8765432000ull);
}
END_TEST

START_TEST(test_pack_fetch_and_config)
{
	struct smmu_event e = {
		.type = SMMU_EVT_F_STE_FETCH, .sid = 7,
		.fetch_addr = 0x40001238ull, .input_addr = 0x1000,
	};
	uint64_t r[4];

	smmu_event_pack(&e, r);
	ck_assert_uint_eq(r[0], (7ull << 32) | 0x03);
	ck_assert_uint_eq(r[1], 0);
	ck_assert_uint_eq(r[2], 0);	/* no InputAddr for fetch events */
	ck_assert_uint_eq(r[3], 0x40001238ull);
	/* A stage-1 translation fault has no IPA; TTRnW only for
	 * F_PERMISSION with CLASS = TT. */
	memset(&e, 0, sizeof(e));
	e.type = SMMU_EVT_F_PERMISSION;
	e.evclass = SMMU_EVT_CLASS_TT;
	e.ttrnw = true;
	e.ipa = 0x5000;
	smmu_event_pack(&e, r);
	ck_assert_uint_eq(r[1], (1ull << 40) | (1ull << 44));
	ck_assert_uint_eq(r[3], 0);
	memset(&e, 0, sizeof(e));
	e.type = SMMU_EVT_C_BAD_CD;
	e.sid = 1;
	e.input_addr = 0x1234;
	smmu_event_pack(&e, r);
	ck_assert_uint_eq(r[2], 0);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(smmu_event_name(0x10), "F_TRANSLATION");
	ck_assert_str_eq(smmu_event_name(0x04), "C_BAD_STE");
	ck_assert_str_eq(smmu_event_name(0x0a), "C_BAD_CD");
	ck_assert_str_eq(smmu_event_name(0x13), "F_PERMISSION");
	ck_assert_str_eq(smmu_event_name(0x99), "UNKNOWN");
}
END_TEST

Suite *
event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, test_pack_translation_fault);
	tcase_add_test(tc, test_pack_fetch_and_config);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
