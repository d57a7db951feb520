/*
 * test_conformance.c - known answers that do not come from our own code.
 *
 * tests/data/qemu-iommu-testdev.json (copied from the project's shared
 * conformance data) rebuilds QEMU's iommu-testdev qtest: register writes,
 * STE/CD words and page-table descriptors at given guest addresses, and
 * the output address each mode (stage 1, stage 2, nested) must produce.
 * The register writes are applied to the instance's control state here;
 * the register file itself arrives with the MMIO work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "smmu.h"
#include "suites.h"

#define CONF_FILE "qemu-iommu-testdev.json"

/* Parse a "0x..." string member as a number. */
static uint64_t
conf_hex(json_object *o, const char *key)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key %s", key);
	return strtoull(json_object_get_string(v), NULL, 0);
}

/* Load the scenario file from SMMU_TEST_DATA. */
static json_object *
conf_load(void)
{
	const char *dir = getenv("SMMU_TEST_DATA");
	char path[512];
	json_object *root;

	ck_assert_msg(dir != NULL, "SMMU_TEST_DATA is not set");
	snprintf(path, sizeof(path), "%s/%s", dir, CONF_FILE);
	root = json_object_from_file(path);
	ck_assert_msg(root != NULL, "cannot parse %s", path);
	return root;
}

/* Features from "smmu_features". */
static void
conf_features(json_object *root, struct smmu_features *f)
{
	json_object *sf, *v, *a;
	size_t i;

	smmu_features_default(f);
	ck_assert(json_object_object_get_ex(root, "smmu_features", &sf));
	ck_assert(json_object_object_get_ex(sf, "oas", &v));
	f->oas = (unsigned)json_object_get_int(v);
	ck_assert(json_object_object_get_ex(sf, "sid_bits", &v));
	f->sid_bits = (unsigned)json_object_get_int(v);
	ck_assert(json_object_object_get_ex(sf, "stages", &a));
	f->s1p = f->s2p = false;
	for (i = 0; i < json_object_array_length(a); i++) {
		const char *st = json_object_get_string(
		    json_object_array_get_idx(a, i));
		if (strcmp(st, "s1") == 0)
			f->s1p = true;
		else if (strcmp(st, "s2") == 0)
			f->s2p = true;
	}
}

/* Apply the register writes that the translation path consults. */
static void
conf_registers(json_object *root, struct smmu *s)
{
	json_object *regs, *w;
	struct smmu_ctrl c;
	uint64_t off, val;
	size_t i;

	smmu_ctrl_get(s, &c);
	ck_assert(json_object_object_get_ex(root, "register_writes_in_order",
	    &regs));
	for (i = 0; i < json_object_array_length(regs); i++) {
		w = json_object_array_get_idx(regs, i);
		off = conf_hex(w, "offset");
		val = conf_hex(w, "value");
		switch (off) {
		case 0x20:		/* CR0: SMMUEN is bit 0 */
			c.enabled = val & 1;
			break;
		case 0x2c:		/* CR2 */
			c.cr2 = (uint32_t)val;
			break;
		case 0x44:		/* GBPA, applied when Update is set */
			if (val & (1ull << 31))
				c.gbpa = (uint32_t)val & ~(1u << 31);
			break;
		case 0x80:
			c.strtab_base = val;
			break;
		case 0x88:
			c.strtab_base_cfg = (uint32_t)val;
			break;
		default:		/* queues: not used by translation */
			break;
		}
	}
	ck_assert_int_eq(smmu_ctrl_set(s, &c), 0);
}

/* Run one case of the scenario: fresh memory, fresh SMMU. */
static void
conf_run_case(json_object *root, json_object *tc, int want_config)
{
	json_object *mem, *xl, *t, *v;
	struct smmu_features f;
	struct smmu_xlate x;
	struct smmu_event evt;
	struct smmu_txn txn;
	struct gmem *g;
	struct smmu *s;
	size_t i;
	int pass;

	ck_assert(json_object_object_get_ex(tc, "ste_config", &v));
	ck_assert_int_eq(json_object_get_int(v), want_config);
	g = gmem_create();
	ck_assert_ptr_nonnull(g);
	ck_assert(json_object_object_get_ex(root, "guest_ram", &v));
	ck_assert_int_eq(gmem_region_add(g, "ram", conf_hex(v, "gpa"),
	    conf_hex(v, "size"), GMEM_ANON, -1, 0, 0), 0);
	ck_assert(json_object_object_get_ex(tc, "memory_qwords_le", &mem));
	json_object_object_foreach(mem, k, val) {
		ck_assert_int_eq(gmem_write64(g, strtoull(k, NULL, 0),
		    strtoull(json_object_get_string(val), NULL, 0)), 0);
	}
	conf_features(root, &f);
	s = smmu_create(&f, g, NULL);
	ck_assert_ptr_nonnull(s);
	conf_registers(root, s);

	ck_assert(json_object_object_get_ex(tc, "translate", &xl));
	ck_assert_int_gt(json_object_array_length(xl), 0);
	/* Twice: a walk, then the same answer from the TLB. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < json_object_array_length(xl); i++) {
			t = json_object_array_get_idx(xl, i);
			memset(&txn, 0, sizeof(txn));
			ck_assert(json_object_object_get_ex(t, "sid", &v));
			txn.sid = (uint32_t)json_object_get_int(v);
			txn.iova = conf_hex(t, "iova");
			ck_assert(json_object_object_get_ex(t, "access", &v));
			txn.access = strcmp(json_object_get_string(v),
			    "write") == 0 ? SMMU_ACC_WRITE : SMMU_ACC_READ;
			ck_assert_int_eq(smmu_translate(s, &txn, &x, &evt),
			    SMMU_XLATE_OK);
			ck_assert_uint_eq(x.oa, conf_hex(t, "expect_output"));
			ck_assert_int_eq(x.tlb_hit, pass == 1);
			ck_assert_uint_eq(x.size_log2, 12);
		}
	}
	smmu_destroy(s);
	gmem_destroy(g);
}

/* Find the case named name and run it. */
static void
conf_run_named(const char *name, int want_config)
{
	json_object *root = conf_load(), *cases, *tc, *v;
	size_t i;
	bool found = false;

	ck_assert(json_object_object_get_ex(root, "cases", &cases));
	for (i = 0; i < json_object_array_length(cases); i++) {
		tc = json_object_array_get_idx(cases, i);
		ck_assert(json_object_object_get_ex(tc, "name", &v));
		if (strcmp(json_object_get_string(v), name) != 0)
			continue;
		conf_run_case(root, tc, want_config);
		found = true;
	}
	ck_assert_msg(found, "case %s missing from %s", name, CONF_FILE);
	json_object_put(root);
}

START_TEST(test_qemu_stage1)
{
	conf_run_named("qemu-iommu-testdev-stage1", 5);
}
END_TEST

START_TEST(test_qemu_stage2)
{
	conf_run_named("qemu-iommu-testdev-stage2", 6);
}
END_TEST

START_TEST(test_qemu_nested)
{
	conf_run_named("qemu-iommu-testdev-nested", 7);
}
END_TEST

Suite *
conformance_suite(void)
{
	Suite *s = suite_create("conformance");
	TCase *tc = tcase_create("qemu-iommu-testdev");

	tcase_add_test(tc, test_qemu_stage1);
	tcase_add_test(tc, test_qemu_stage2);
	tcase_add_test(tc, test_qemu_nested);
	suite_add_tcase(s, tc);
	return s;
}
