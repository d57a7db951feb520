/*
 * test_conf.c - the topology loader (daemon/conf.c), tested directly.
 *
 * Golden error files: tests/integration/conf/NAME.yaml must fail to load
 * with exactly the lines of NAME.err, each prefixed with the file's path
 * and ":" ("@DIR@" stands for the absolute directory of the YAML file).
 * Then the shipped topologies (conf/smmud.yaml, the embedded default and
 * conf/examples/full.yaml) must load with the values they declare, and
 * conf_print() output must load again into an equal conf.
 *
 * Source files are found through SMMU_SRC_DIR (the Makefile sets it),
 * else the current directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"
#include "suites.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

/* ---- helpers --------------------------------------------------------- */

/* SMMU_SRC_DIR/rel, malloc'ed. */
static char *
src_path(const char *rel)
{
	const char *src = getenv("SMMU_SRC_DIR");
	char *s;

	ck_assert_int_ne(asprintf(&s, "%s/%s", src != NULL ? src : ".", rel),
	    -1);
	return s;
}

/* Whole file, NUL-terminated, malloc'ed; length in *ret_len. */
static char *
slurp(const char *path, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	long sz;

	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	ck_assert_int_ge(sz, 0);
	rewind(f);
	buf = malloc((size_t)sz + 1);
	ck_assert_ptr_nonnull(buf);
	len = fread(buf, 1, (size_t)sz, f);
	ck_assert_uint_eq(len, (size_t)sz);
	fclose(f);
	buf[len] = '\0';
	if (ret_len != NULL)
		*ret_len = len;
	return buf;
}

/* Write len bytes of text to path. */
static void
spit(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* conf_print() into a malloc'ed string. */
static char *
print_conf(const struct smmud_conf *c)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	conf_print(c, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Load path, which must succeed. */
static struct smmud_conf *
load_ok(const char *path)
{
	struct smmud_conf *c = NULL;
	char *errs = NULL;
	int rc = conf_load(path, &c, &errs);

	ck_assert_msg(rc == 0, "%s failed to load:\n%s", path,
	    errs != NULL ? errs : "(no errors)");
	ck_assert_ptr_null(errs);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Load text, which must fail; returns the error text (caller frees). */
static char *
load_string_fail(const char *name, const char *text, size_t len)
{
	struct smmud_conf *c = NULL;
	char *errs = NULL;

	ck_assert_int_eq(conf_load_string(name, text, len, &c, &errs), -1);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(errs);
	return errs;
}

/* Number of lines in s. */
static unsigned
count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* A fresh temporary directory, malloc'ed. */
static char *
tmp_dir(void)
{
	const char *t = getenv("TMPDIR");
	char *d;

	ck_assert_int_ne(asprintf(&d, "%s/smmud-conf-XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp"), -1);
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

/* dir/name, malloc'ed. */
static char *
join(const char *dir, const char *name)
{
	char *s;

	ck_assert_int_ne(asprintf(&s, "%s/%s", dir, name), -1);
	return s;
}

/* Compare everything conf_print() shows (not path and line numbers). */
static void
assert_conf_equal(const struct smmud_conf *a, const struct smmud_conf *b)
{
	const struct smmu_features *fa, *fb;
	unsigned i, j;

	ck_assert_str_eq(a->socket, b->socket);
	ck_assert_str_eq(a->state_dir, b->state_dir);
	ck_assert_uint_eq(a->workers, b->workers);
	ck_assert_uint_eq(a->max_frame, b->max_frame);
	ck_assert_uint_eq(a->max_clients, b->max_clients);
	ck_assert_int_eq(a->log_level, b->log_level);
	ck_assert_uint_eq(a->nr_access, b->nr_access);
	for (i = 0; i < a->nr_access; i++) {
		const struct conf_access *x = &a->access[i], *y = &b->access[i];

		ck_assert_int_eq(x->has_uid, y->has_uid);
		ck_assert_int_eq(x->has_gid, y->has_gid);
		if (x->has_uid)
			ck_assert_uint_eq(x->uid, y->uid);
		if (x->has_gid)
			ck_assert_uint_eq(x->gid, y->gid);
		ck_assert_int_eq(x->all_vms, y->all_vms);
		ck_assert_int_eq(x->admin, y->admin);
		ck_assert_uint_eq(x->nr_vms, y->nr_vms);
		for (j = 0; j < x->nr_vms; j++)
			ck_assert_str_eq(x->vms[j], y->vms[j]);
	}
	ck_assert_uint_eq(a->nr_vms, b->nr_vms);
	for (i = 0; i < a->nr_vms; i++) {
		const struct conf_vm *x = &a->vms[i], *y = &b->vms[i];

		ck_assert_str_eq(x->name, y->name);
		ck_assert_uint_eq(x->nr_regions, y->nr_regions);
		for (j = 0; j < x->nr_regions; j++) {
			const struct conf_region *r = &x->regions[j];
			const struct conf_region *s = &y->regions[j];

			ck_assert_str_eq(r->name, s->name);
			ck_assert_uint_eq(r->gpa, s->gpa);
			ck_assert_uint_eq(r->size, s->size);
			ck_assert_int_eq(r->backing, s->backing);
			ck_assert_pstr_eq(r->path, s->path);
			ck_assert_uint_eq(r->offset, s->offset);
			ck_assert_int_eq(r->thp, s->thp);
		}
		ck_assert_uint_eq(x->nr_smmus, y->nr_smmus);
		for (j = 0; j < x->nr_smmus; j++) {
			const struct conf_smmu *s = &x->smmus[j];
			const struct conf_smmu *t = &y->smmus[j];

			ck_assert_str_eq(s->name, t->name);
			ck_assert_int_eq(s->mode, t->mode);
			fa = &s->feat;
			fb = &t->feat;
			ck_assert_int_eq(fa->s1p, fb->s1p);
			ck_assert_int_eq(fa->s2p, fb->s2p);
			ck_assert_uint_eq(fa->granules, fb->granules);
			ck_assert_uint_eq(fa->oas, fb->oas);
			ck_assert_uint_eq(fa->sid_bits, fb->sid_bits);
			ck_assert_uint_eq(fa->ssid_bits, fb->ssid_bits);
			ck_assert_int_eq(fa->st_2level, fb->st_2level);
			ck_assert_int_eq(fa->cd_2level, fb->cd_2level);
			ck_assert_int_eq(fa->asid16, fb->asid16);
			ck_assert_int_eq(fa->vmid16, fb->vmid16);
			ck_assert_int_eq(fa->ril, fb->ril);
			ck_assert_int_eq(fa->had, fb->had);
			ck_assert_int_eq(fa->term_model, fb->term_model);
			ck_assert_int_eq(fa->msi, fb->msi);
			ck_assert_int_eq(fa->coherent, fb->coherent);
			ck_assert_uint_eq(fa->cmdq_log2, fb->cmdq_log2);
			ck_assert_uint_eq(fa->evtq_log2, fb->evtq_log2);
			ck_assert_uint_eq(fa->tlb_entries, fb->tlb_entries);
			ck_assert_int_eq(fa->tlb_policy, fb->tlb_policy);
			ck_assert_uint_eq(fa->cfg_entries, fb->cfg_entries);
			ck_assert_int_eq(s->strtab.present, t->strtab.present);
			ck_assert_uint_eq(s->strtab.base, t->strtab.base);
			ck_assert_uint_eq(s->strtab.log2size,
			    t->strtab.log2size);
			ck_assert_uint_eq(s->strtab.split, t->strtab.split);
			ck_assert_uint_eq(s->strtab.fmt, t->strtab.fmt);
			ck_assert_int_eq(s->strtab.enabled, t->strtab.enabled);
		}
	}
}

/*
 * Print c, load the text back, print again: the texts and the confs
 * must be equal.
 */
static void
assert_round_trip(const struct smmud_conf *c)
{
	struct smmud_conf *c2 = NULL;
	char *a, *b, *errs = NULL;

	a = print_conf(c);
	ck_assert_msg(conf_load_string("<printed>", a, strlen(a), &c2,
	    &errs) == 0, "printed conf does not load:\n%s\n---\n%s", errs, a);
	b = print_conf(c2);
	ck_assert_str_eq(a, b);
	assert_conf_equal(c, c2);
	conf_free(c2);
	free(a);
	free(b);
}

/* ---- golden error files ---------------------------------------------- */

static const char *const golden[] = {
	"bad-access-uid-gid",	/* uid and gid both given */
	"bad-access-vm",	/* access rule naming an unknown VM */
	"bad-anchor",		/* anchor and alias refused */
	"bad-bool",		/* yes/off are not booleans */
	"bad-duplicate-key",	/* repeated top-level key */
	"bad-duplicate-region",	/* region names unique within a VM */
	"bad-duplicate-vm",	/* VM names unique */
	"bad-empty",		/* empty file */
	"bad-features-oas52",	/* smmu_features_check(): 52-bit oas */
	"bad-features-sid",	/* smmu_features_check(): SIDSIZE rule */
	"bad-file-missing",	/* image not on disk (relative path) */
	"bad-file-no-path",	/* backing file without path */
	"bad-many",		/* eight independent errors */
	"bad-misaligned",	/* gpa not 4 KiB aligned */
	"bad-missing",		/* required keys missing */
	"bad-nul",		/* embedded NUL in a scalar */
	"bad-overlap",		/* overlapping regions */
	"bad-policy",		/* unknown TLB policy */
	"bad-quoted-number",	/* "0x40000000" and "true" are strings */
	"bad-ranges",		/* workers 0x1000, oas 47, sid 33, ssid 21 */
	"bad-size-suffix",	/* 512MB */
	"bad-size-wrap",	/* gpa + size wraps */
	"bad-size-zero",	/* size 0 */
	"bad-stages-empty",	/* stages: [] */
	"bad-strtab-outside",	/* strtab base outside every region */
	"bad-strtab-rules",	/* alignment, log2size, 2level, mode, split */
	"bad-syntax",		/* libyaml error with line:col */
	"bad-tab",		/* tab indentation */
	"bad-tag",		/* !!int */
	"bad-top-sequence",	/* document is not a mapping */
	"bad-two-documents",	/* second document */
	"bad-types",		/* collections where scalars are expected */
	"bad-unknown-key",	/* unknown top-level key */
	"bad-unknown-nested",	/* unknown key in tlb */
	"bad-utf8",		/* reader error (byte offset) */
	"bad-version",		/* version 2 */
};

/* Expected text: each line of .err prefixed with "yaml:", @DIR@ = dir. */
static char *
golden_expect(const char *err, const char *yaml, const char *dir)
{
	char *buf = NULL;
	size_t size = 0;
	const char *line, *nl, *at;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	for (line = err; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_msg(nl != NULL, "unterminated line in .err file");
		fprintf(f, "%s:", yaml);
		while ((at = strstr(line, "@DIR@")) != NULL && at < nl) {
			fprintf(f, "%.*s%s", (int)(at - line), line, dir);
			line = at + 5;
		}
		fprintf(f, "%.*s\n", (int)(nl - line), line);
	}
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(test_golden)
{
	struct smmud_conf *c = (struct smmud_conf *)&c;	/* sentinel */
	char *rel, *yaml, *errf, *err, *dir, *want, *errs = NULL;

	ck_assert_int_ne(asprintf(&rel, "tests/integration/conf/%s.yaml",
	    golden[_i]), -1);
	yaml = src_path(rel);
	free(rel);
	ck_assert_int_ne(asprintf(&rel, "tests/integration/conf/%s.err",
	    golden[_i]), -1);
	errf = src_path(rel);
	free(rel);
	err = slurp(errf, NULL);
	dir = src_path("tests/integration/conf");
	rel = realpath(dir, NULL);
	ck_assert_ptr_nonnull(rel);
	want = golden_expect(err, yaml, rel);

	ck_assert_int_eq(conf_load(yaml, &c, &errs), -1);
	/* ret is written only on success. */
	ck_assert_ptr_eq(c, (struct smmud_conf *)&c);
	ck_assert_ptr_nonnull(errs);
	ck_assert_str_eq(errs, want);

	free(errs);
	free(want);
	free(rel);
	free(dir);
	free(err);
	free(errf);
	free(yaml);
}
END_TEST

/* ---- the shipped topologies -------------------------------------------- */

/* The values conf/smmud.yaml declares (the embedded default too). */
static void
assert_default_values(const struct smmud_conf *c)
{
	const struct conf_smmu *s;
	const struct conf_region *r;

	ck_assert_str_eq(c->socket, "run/smmud.sock");
	ck_assert_str_eq(c->state_dir, "run/state");
	ck_assert_uint_eq(c->workers, 2);
	ck_assert_uint_eq(c->max_frame, MIB);
	ck_assert_uint_eq(c->max_clients, 1024);
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert_uint_eq(c->nr_access, 0);
	ck_assert_uint_eq(c->nr_vms, 1);
	ck_assert_str_eq(c->vms[0].name, "vm0");
	ck_assert_uint_eq(c->vms[0].nr_regions, 1);
	r = &c->vms[0].regions[0];
	ck_assert_str_eq(r->name, "ram");
	ck_assert_uint_eq(r->gpa, 0x40000000);
	ck_assert_uint_eq(r->size, 512 * MIB);
	ck_assert_int_eq(r->backing, GMEM_ANON);
	ck_assert_ptr_null(r->path);
	ck_assert_int_eq(r->thp, false);
	ck_assert_uint_eq(c->vms[0].nr_smmus, 1);
	s = &c->vms[0].smmus[0];
	ck_assert_str_eq(s->name, "smmu0");
	ck_assert_int_eq(s->mode, CONF_MODE_GUEST);
	ck_assert(s->feat.s1p && s->feat.s2p);
	ck_assert_uint_eq(s->feat.granules,
	    SMMU_GRAN_4K | SMMU_GRAN_16K | SMMU_GRAN_64K);
	ck_assert_uint_eq(s->feat.oas, 48);
	ck_assert_uint_eq(s->feat.sid_bits, 16);
	ck_assert_uint_eq(s->feat.ssid_bits, 20);
	ck_assert_uint_eq(s->feat.tlb_entries, 4096);
	ck_assert_int_eq(s->feat.tlb_policy, SMMU_TLB_LRU);
	ck_assert_int_eq(s->strtab.present, false);
	ck_assert_ptr_eq(conf_vm_find(c, "vm0"), &c->vms[0]);
	ck_assert_ptr_null(conf_vm_find(c, "vm1"));
}

START_TEST(test_default_file)
{
	char *path = src_path("conf/smmud.yaml");
	struct smmud_conf *c = load_ok(path);

	ck_assert_str_eq(c->path, path);
	ck_assert_uint_eq(c->vms[0].line, 36);
	assert_default_values(c);
	assert_round_trip(c);
	conf_free(c);
	free(path);
}
END_TEST

START_TEST(test_embedded_default)
{
	char *path = src_path("conf/smmud.yaml"), *text, *errs = NULL;
	struct smmud_conf *c = NULL;
	size_t len;

	/* The generated array is the current conf/smmud.yaml. */
	text = slurp(path, &len);
	ck_assert_uint_eq(conf_default_yaml_len, len);
	ck_assert_int_eq(memcmp(conf_default_yaml, text, len), 0);
	ck_assert_int_eq(conf_default_yaml[conf_default_yaml_len], '\0');

	ck_assert_int_eq(conf_load_string("<default>", conf_default_yaml,
	    conf_default_yaml_len, &c, &errs), 0);
	ck_assert_ptr_null(errs);
	ck_assert_str_eq(c->path, "<default>");
	assert_default_values(c);
	assert_round_trip(c);
	conf_free(c);
	free(text);
	free(path);
}
END_TEST

START_TEST(test_full_example)
{
	char *path = src_path("conf/examples/full.yaml");
	struct smmud_conf *c = load_ok(path);
	const struct conf_smmu *s;
	const struct conf_vm *vm;

	ck_assert_str_eq(c->socket, "/run/smmud/smmud.sock");
	ck_assert_str_eq(c->state_dir, "/var/lib/smmud");
	ck_assert_uint_eq(c->workers, 0);
	ck_assert_uint_eq(c->max_frame, MIB);
	ck_assert_uint_eq(c->max_clients, 1024);
	ck_assert_int_eq(c->log_level, LOG_INFO);

	ck_assert_uint_eq(c->nr_access, 2);
	ck_assert(c->access[0].has_uid && !c->access[0].has_gid);
	ck_assert_uint_eq(c->access[0].uid, 1000);
	ck_assert(!c->access[0].all_vms && !c->access[0].admin);
	ck_assert_uint_eq(c->access[0].nr_vms, 1);
	ck_assert_str_eq(c->access[0].vms[0], "vm0");
	ck_assert(c->access[1].has_gid && !c->access[1].has_uid);
	ck_assert_uint_eq(c->access[1].gid, 0);
	ck_assert(c->access[1].all_vms && c->access[1].admin);

	ck_assert_uint_eq(c->nr_vms, 2);
	vm = conf_vm_find(c, "vm0");
	ck_assert_ptr_eq(vm, &c->vms[0]);
	ck_assert_uint_eq(vm->nr_regions, 2);
	ck_assert_int_eq(vm->regions[1].backing, GMEM_SHARED);
	ck_assert_uint_eq(vm->regions[1].gpa, 0x100000000ull);
	ck_assert_uint_eq(vm->regions[1].size, GIB);
	s = &vm->smmus[0];
	ck_assert(s->strtab.present && s->strtab.enabled);
	ck_assert_uint_eq(s->strtab.base, 0x40000000);
	ck_assert_uint_eq(s->strtab.log2size, 8);
	ck_assert_uint_eq(s->strtab.split, 8);
	ck_assert_uint_eq(s->strtab.fmt, 0);
	ck_assert_uint_eq(s->feat.cfg_entries, 1024);

	vm = conf_vm_find(c, "vm1");
	ck_assert_ptr_eq(vm, &c->vms[1]);
	ck_assert_uint_eq(vm->regions[0].size, 2 * GIB);
	ck_assert_int_eq(vm->regions[0].thp, true);
	s = &vm->smmus[0];
	ck_assert_int_eq(s->mode, CONF_MODE_MANAGED);
	ck_assert(!s->feat.s1p && s->feat.s2p);
	ck_assert_uint_eq(s->feat.granules, SMMU_GRAN_4K);
	ck_assert_uint_eq(s->feat.oas, 44);
	ck_assert_uint_eq(s->feat.sid_bits, 8);
	ck_assert_uint_eq(s->feat.ssid_bits, 0);
	ck_assert_uint_eq(s->feat.tlb_entries, 65536);
	ck_assert_int_eq(s->feat.tlb_policy, SMMU_TLB_2Q);
	ck_assert_int_eq(s->strtab.present, false);
	ck_assert_ptr_null(conf_vm_find(c, "vm2"));

	assert_round_trip(c);
	conf_free(c);
	free(path);
}
END_TEST

/* ---- round trips of unusual values ------------------------------------- */

START_TEST(test_round_trip_quoting)
{
	static const char text[] =
	    "version: 1\n"
	    "socket: \"/tmp/a b#c: d\\\"e\\\\f\"\n"
	    "state_dir: '-state'\n"
	    "workers: 256\n"
	    "max_frame: 64M\n"
	    "max_clients: 1\n"
	    "log_level: debug\n"
	    "access:\n"
	    "  - { gid: 4294967294, vms: [-vm, x.y], admin: true }\n"
	    "  - { uid: 0, vms: [] }\n"
	    "vms:\n"
	    "  - name: -vm\n"
	    "    memory:\n"
	    "      - { name: top, gpa: 0xfffffffffffe0000, size: 64K,\n"
	    "          backing: shared }\n"
	    "      - { name: low, gpa: 0, size: 4KiB, thp: true }\n"
	    "    smmus:\n"
	    "      - name: s\n"
	    "        stages: [s2, s1]\n"
	    "        granules: [64k]\n"
	    "        oas: 52\n"
	    "        sid_bits: 6\n"
	    "        ssid_bits: 0\n"
	    "        st_2level: false\n"
	    "        cd_2level: false\n"
	    "        asid16: false\n"
	    "        vmid16: false\n"
	    "        ril: false\n"
	    "        had: false\n"
	    "        term_model: true\n"
	    "        msi: false\n"
	    "        coherent: false\n"
	    "        cmdq_log2: 0\n"
	    "        evtq_log2: 5\n"
	    "        tlb: { entries: 16777216, policy: clock }\n"
	    "        config_cache: 1\n"
	    "        strtab: { base: 0x0, log2size: 6, split: 10,\n"
	    "                  enabled: false }\n"
	    "  - name: x.y\n"
	    "    memory: [ { name: r, gpa: 0x1000, size: 0x1000 } ]\n"
	    "    smmus: [ { name: s, stages: [s1], tlb: { policy: lfu } } ]\n";
	struct smmud_conf *c = NULL;
	char *errs = NULL, *printed;

	ck_assert_msg(conf_load_string("quoting", text, strlen(text), &c,
	    &errs) == 0, "%s", errs);
	ck_assert_str_eq(c->socket, "/tmp/a b#c: d\"e\\f");
	ck_assert_str_eq(c->state_dir, "-state");
	ck_assert_uint_eq(c->max_frame, 64 * MIB);
	ck_assert_int_eq(c->log_level, LOG_DEBUG);
	ck_assert_uint_eq(c->access[0].gid, 4294967294u);
	ck_assert_uint_eq(c->access[1].nr_vms, 0);
	ck_assert(!c->access[1].all_vms);
	ck_assert_uint_eq(c->vms[0].regions[0].gpa, 0xfffffffffffe0000ull);
	ck_assert_uint_eq(c->vms[0].smmus[0].feat.cmdq_log2, 0);
	ck_assert_int_eq(c->vms[0].smmus[0].feat.term_model, true);
	ck_assert_int_eq(c->vms[1].smmus[0].feat.tlb_policy, SMMU_TLB_LFU);
	printed = print_conf(c);
	/* Strings that would not survive as plain scalars are quoted. */
	ck_assert_ptr_nonnull(strstr(printed,
	    "socket: \"/tmp/a b#c: d\\\"e\\\\f\"\n"));
	ck_assert_ptr_nonnull(strstr(printed, "  - name: \"-vm\"\n"));
	ck_assert_ptr_nonnull(strstr(printed, "    vms: [\"-vm\", x.y]\n"));
	ck_assert_ptr_nonnull(strstr(printed, "        size: 0x10000\n"));
	assert_round_trip(c);
	free(printed);
	conf_free(c);
}
END_TEST

/* ---- file images ----------------------------------------------------- */

START_TEST(test_file_image)
{
	static const char fmt[] =
	    "version: 1\n"
	    "vms:\n"
	    "  - name: vm0\n"
	    "    memory:\n"
	    "      - { name: rom, gpa: 0, size: %s, backing: file,\n"
	    "          path: img/rom.bin, offset: 4KiB }\n"
	    "    smmus: [ { name: smmu0 } ]\n";
	char *dir = tmp_dir(), *sub, *img, *yaml, *text, *real, *want;
	char *errs = NULL;
	struct smmud_conf *c = NULL;
	int fd;

	sub = join(dir, "img");
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	img = join(sub, "rom.bin");
	fd = open(img, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 68 * KIB), 0);
	close(fd);
	yaml = join(dir, "topo.yaml");
	real = realpath(dir, NULL);
	ck_assert_ptr_nonnull(real);

	/* The relative path is resolved against the YAML file. */
	ck_assert_int_ne(asprintf(&text, fmt, "64KiB"), -1);
	spit(yaml, text, strlen(text));
	free(text);
	c = load_ok(yaml);
	ck_assert_int_ne(asprintf(&want, "%s/img/rom.bin", real), -1);
	ck_assert_str_eq(c->vms[0].regions[0].path, want);
	ck_assert_uint_eq(c->vms[0].regions[0].offset, 4 * KIB);
	ck_assert_int_eq(c->vms[0].regions[0].backing, GMEM_FILE);
	assert_round_trip(c);
	conf_free(c);
	c = NULL;

	/* 4 KiB + 128 KiB does not fit in 68 KiB. */
	ck_assert_int_ne(asprintf(&text, fmt, "128KiB"), -1);
	spit(yaml, text, strlen(text));
	free(text);
	ck_assert_int_eq(conf_load(yaml, &c, &errs), -1);
	ck_assert_ptr_null(c);
	ck_assert_int_ne(asprintf(&text, "%s:6:17: image '%s' is too small "
	    "(0x11000 bytes, offset + size is 0x21000)\n", yaml, want), -1);
	ck_assert_str_eq(errs, text);
	free(text);
	free(errs);

	ck_assert_int_eq(unlink(yaml), 0);
	ck_assert_int_eq(unlink(img), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	free(want);
	free(real);
	free(yaml);
	free(img);
	free(sub);
	free(dir);
}
END_TEST

/* ---- file-level errors and limits ------------------------------------ */

START_TEST(test_missing_file)
{
	struct smmud_conf *c = NULL;
	char *errs = NULL;

	ck_assert_int_eq(conf_load("/nonexistent-smmud/x.yaml", &c, &errs),
	    -1);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(errs,
	    "/nonexistent-smmud/x.yaml: No such file or directory\n");
	free(errs);
	/* ret_errors may be NULL. */
	ck_assert_int_eq(conf_load("/nonexistent-smmud/x.yaml", &c, NULL),
	    -1);
}
END_TEST

START_TEST(test_directory)
{
	char *dir = tmp_dir(), *errs = NULL, *want;
	struct smmud_conf *c = NULL;

	ck_assert_int_eq(conf_load(dir, &c, &errs), -1);
	ck_assert_int_ne(asprintf(&want, "%s: Is a directory\n", dir), -1);
	ck_assert_str_eq(errs, want);
	ck_assert_int_eq(rmdir(dir), 0);
	free(want);
	free(errs);
	free(dir);
}
END_TEST

/*
 * A topology padded with comments to exactly 1 MiB loads; one byte more
 * is refused before parsing, from a file and from a string.
 */
START_TEST(test_size_cap)
{
	char *dir = tmp_dir(), *path, *buf, *errs = NULL, *want;
	struct smmud_conf *c = NULL;
	size_t len = conf_default_yaml_len;

	buf = malloc(MIB + 2);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, conf_default_yaml, len);
	for (; len < MIB; len++)
		buf[len] = len % 64 == 63 || len == MIB - 1 ? '\n' : '#';
	path = join(dir, "big.yaml");
	spit(path, buf, MIB);
	c = load_ok(path);
	conf_free(c);
	c = NULL;

	buf[MIB] = '\n';
	spit(path, buf, MIB + 1);
	ck_assert_int_eq(conf_load(path, &c, &errs), -1);
	ck_assert_int_ne(asprintf(&want, "%s: file is larger than 1 MiB\n",
	    path), -1);
	ck_assert_str_eq(errs, want);
	free(errs);

	errs = load_string_fail("big", buf, MIB + 1);
	ck_assert_str_eq(errs, "big: file is larger than 1 MiB\n");
	free(errs);

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	free(want);
	free(path);
	free(buf);
	free(dir);
}
END_TEST

/* "[[[...]]]" nested depth times. */
static char *
nested(unsigned depth)
{
	char *s = malloc(2 * (size_t)depth + 1);
	unsigned i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[2 * depth - 1 - i] = ']';
	}
	s[2 * depth] = '\0';
	return s;
}

/*
 * 64 levels are accepted by the parser (then refused by the schema), 65
 * are not; 100000 levels (quadratic in libyaml) fail just as fast.
 */
START_TEST(test_depth_limit)
{
	char *s, *errs;

	s = nested(64);
	errs = load_string_fail("deep", s, strlen(s));
	ck_assert_str_eq(errs,
	    "deep:1:1: the top level must be a mapping, not a sequence\n");
	free(errs);
	free(s);

	s = nested(65);
	errs = load_string_fail("deep", s, strlen(s));
	ck_assert_str_eq(errs, "deep:1:65: nesting deeper than 64 levels\n");
	free(errs);
	free(s);

	s = nested(100000);
	errs = load_string_fail("deep", s, strlen(s));
	ck_assert_str_eq(errs, "deep:1:65: nesting deeper than 64 levels\n");
	free(errs);
	free(s);
}
END_TEST

/* ---- error collection ------------------------------------------------- */

START_TEST(test_multiple_errors)
{
	char *path = src_path("tests/integration/conf/bad-many.yaml");
	struct smmud_conf *c = NULL;
	char *errs = NULL;

	ck_assert_int_eq(conf_load(path, &c, &errs), -1);
	ck_assert_uint_eq(count_lines(errs), 8);
	free(errs);
	free(path);
}
END_TEST

/* 60 unknown keys and no vms: 50 errors shown, then a count of the rest. */
START_TEST(test_error_cap)
{
	static const char first[] = "many:2:1: unknown key 'k0' at top "
	    "level (expected version, socket, state_dir, workers, "
	    "max_frame, max_clients, log_level, access, vms)\n";
	char *buf = NULL, *errs, *last;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	unsigned i;

	ck_assert_ptr_nonnull(f);
	fputs("version: 1\n", f);
	for (i = 0; i < 60; i++)
		fprintf(f, "k%u: 1\n", i);
	ck_assert_int_eq(fclose(f), 0);

	errs = load_string_fail("many", buf, size);
	ck_assert_uint_eq(count_lines(errs), 51);
	ck_assert_int_eq(strncmp(errs, first, strlen(first)), 0);
	/* k49 is the 50th error; k50..k59 and the missing vms are not. */
	ck_assert_ptr_nonnull(strstr(errs, "\nmany:51:1: unknown key 'k49' "));
	ck_assert_ptr_null(strstr(errs, "'k50'"));
	last = strstr(errs, "\nmany: 11 more errors");
	ck_assert_ptr_nonnull(last);
	ck_assert_str_eq(last, "\nmany: 11 more errors not shown\n");
	free(errs);
	free(buf);
}
END_TEST

/* Scalars in messages are cut short and control characters hidden. */
START_TEST(test_message_sanitized)
{
	static const char text[] =
	    "version: 1\n"
	    "log_level: \"\\e[31mred\\ttabbed and a very long value that "
	    "goes on and on\"\n"
	    "vms: []\n";
	char *errs = load_string_fail("s", text, strlen(text));

	ck_assert_str_eq(errs,
	    "s:2:12: unknown log_level \"?[31mred?tabbed and a very long "
	    "value that goes ...\" (expected err, warning, notice, info, "
	    "debug)\n"
	    "s:3:6: 'vms' must list at least one vm\n");
	free(errs);
}
END_TEST

/* Hex and unit forms of sizes and numbers, and their limits. */
START_TEST(test_numbers)
{
	static const char fmt[] =
	    "version: 1\n"
	    "max_frame: %s\n"
	    "vms: [ { name: v, memory: [ { name: r, gpa: 0, size: 4K } ],\n"
	    "         smmus: [ { name: s } ] } ]\n";
	static const struct {
		const char *in;
		uint32_t out;
		const char *err;
	} cases[] = {
		{ "4KiB", 4096, NULL },
		{ "0x1000", 4096, NULL },
		{ "4 K", 4096, NULL },
		{ "0x10M", 16 << 20, NULL },
		{ "64MiB", 64 << 20, NULL },
		{ "4095", 0, "x:2:12: max_frame 4095 out of range "
		    "(4KiB..64MiB)\n" },
		{ "0x4000001", 0, "x:2:12: max_frame 0x4000001 out of range "
		    "(4KiB..64MiB)\n" },
		{ "1Ki", 0, "x:2:12: 'max_frame' must be a size (a number of "
		    "bytes, optionally with K, M, G, T, KiB, MiB, GiB or "
		    "TiB), not '1Ki'\n" },
		{ "-1", 0, "x:2:12: 'max_frame' must be a size (a number of "
		    "bytes, optionally with K, M, G, T, KiB, MiB, GiB or "
		    "TiB), not '-1'\n" },
		{ "0x", 0, "x:2:12: 'max_frame' must be a size (a number of "
		    "bytes, optionally with K, M, G, T, KiB, MiB, GiB or "
		    "TiB), not '0x'\n" },
		{ "16777216TiB", 0, "x:2:12: max_frame 16777216TiB does not "
		    "fit in 64 bits\n" },
		{ "18446744073709551616", 0, "x:2:12: max_frame "
		    "18446744073709551616 does not fit in 64 bits\n" },
	};
	struct smmud_conf *c;
	char *text, *errs;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_ne(asprintf(&text, fmt, cases[i].in), -1);
		c = NULL;
		errs = NULL;
		if (cases[i].err == NULL) {
			ck_assert_msg(conf_load_string("x", text, strlen(text),
			    &c, &errs) == 0, "%s: %s", cases[i].in, errs);
			ck_assert_uint_eq(c->max_frame, cases[i].out);
			conf_free(c);
		} else {
			errs = load_string_fail("x", text, strlen(text));
			ck_assert_str_eq(errs, cases[i].err);
			free(errs);
		}
		free(text);
	}
}
END_TEST

Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("golden");
	tcase_add_loop_test(tc, test_golden, 0,
	    (int)(sizeof(golden) / sizeof(golden[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_test(tc, test_default_file);
	tcase_add_test(tc, test_embedded_default);
	tcase_add_test(tc, test_full_example);
	tcase_add_test(tc, test_round_trip_quoting);
	tcase_add_test(tc, test_file_image);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_size_cap);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_multiple_errors);
	tcase_add_test(tc, test_error_cap);
	tcase_add_test(tc, test_message_sanitized);
	tcase_add_test(tc, test_numbers);
	suite_add_tcase(s, tc);
	return s;
}
