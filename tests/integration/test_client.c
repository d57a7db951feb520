/*
 * test_client.c - libsmmuclient against a real smmud (every request, a
 * test VMM sharing a memfd), and against a scripted fake server (what the
 * library does with hostile or broken answers).
 *
 * The page tables the tests build follow SMMUV3.md sections 3-5: a linear
 * stream table, an S1-only STE (Config 0b101), one CD (T0SZ 16, 4 KiB
 * granule, 48-bit IPS, AA64, ASID 1) and a 4-level walk to 4 KiB pages
 * and a 2 MiB block, all little-endian.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "frame.h"
#include "harness.h"
#include "smmu.pb-c.h"
#include "smmu_client.h"
#include "suites.h"

/* ---- topologies ------------------------------------------------------ */

#define RAM 0x40000000ull
#define SHM 0x80000000ull
#define SHM_SIZE (2ull << 20)

/* A guest-mode SMMU with no stream table: disabled, GBPA bypass. */
static const char topo_basic[] =
    "version: 1\n"
    "socket: @SOCK@\n"
    "state_dir: @DIR@\n"
    "workers: 2\n"
    "max_frame: 64KiB\n"
    "vms:\n"
    "  - name: vm0\n"
    "    memory:\n"
    "      - { name: ram, gpa: 0x40000000, size: 64MiB }\n"
    "    smmus:\n"
    "      - name: smmu0\n"
    "        mode: guest\n"
    "        sid_bits: 16\n"
    "        ssid_bits: 8\n";

/*
 * smmu0: a linear stream table of 16 STEs at the start of RAM, enabled;
 * smmu1: the same at the start of a `backing: shared` region that a test
 * VMM provides.
 */
static const char topo_tables[] =
    "version: 1\n"
    "socket: @SOCK@\n"
    "state_dir: @DIR@\n"
    "workers: 2\n"
    "vms:\n"
    "  - name: vm0\n"
    "    memory:\n"
    "      - { name: ram, gpa: 0x40000000, size: 64MiB }\n"
    "      - { name: vmm, gpa: 0x80000000, size: 2MiB, backing: shared }\n"
    "    smmus:\n"
    "      - name: smmu0\n"
    "        mode: guest\n"
    "        sid_bits: 16\n"
    "        ssid_bits: 8\n"
    "        strtab: { base: 0x40000000, log2size: 4, split: 8, "
    "fmt: linear, enabled: true }\n"
    "      - name: smmu1\n"
    "        mode: guest\n"
    "        sid_bits: 16\n"
    "        ssid_bits: 8\n"
    "        strtab: { base: 0x80000000, log2size: 4, split: 8, "
    "fmt: linear, enabled: true }\n";

/* ---- SMMUv3 structures (SMMUV3.md sections 3-5) ---------------------- */

#define T_SID 5
#define T_ASID 1
#define IOVA_PAGE 0x12345000ull		/* -> base + 0x100000 */
#define IOVA_PAGE2 0x12346000ull	/* -> base + 0x101000 */
#define IOVA_BLOCK 0x12600000ull	/* 2 MiB -> base + 0x400000 */
#define IOVA_HOLE 0x12347000ull		/* invalid L3 descriptor */
#define OA_PAGE 0x100000ull
#define OA_PAGE2 0x101000ull
#define OA_NEW 0x102000ull
#define OA_BLOCK 0x400000ull

#define STE_V (1ull << 0)
#define STE_CFG_S1 (5ull << 1)		/* Config 0b101: S1 only */
#define CD_T0SZ(n) ((uint64_t)(n))
#define CD_EPD1 (1ull << 30)
#define CD_V (1ull << 31)
#define CD_IPS_48 (5ull << 32)
#define CD_AA64 (1ull << 41)
#define CD_R (1ull << 45)
#define CD_A (1ull << 46)
#define CD_ASID(a) ((uint64_t)(a) << 48)
#define PTE_TABLE 3ull
#define PTE_AF (1ull << 10)
#define PTE_AP_RW_ALL (1ull << 6)	/* AP[2:1] = 01: RW at EL1 and EL0 */
#define PTE_NG (1ull << 11)		/* ASID-tagged, so TLBI by ASID hits */
#define PTE_PXN (1ull << 53)
#define PTE_UXN (1ull << 54)
#define PTE_LEAF_ATTR (PTE_AF | PTE_AP_RW_ALL | PTE_NG | PTE_PXN | PTE_UXN)
#define PTE_PAGE(oa) ((oa) | PTE_LEAF_ATTR | 3ull)
#define PTE_BLOCK(oa) ((oa) | PTE_LEAF_ATTR | 1ull)

/* Where the tables of one SMMU live, relative to its stream table. */
#define L_CD 0x1000ull
#define L_L0 0x2000ull
#define L_L1 0x3000ull
#define L_L2 0x4000ull
#define L_L3 0x5000ull

/* Index of iova at level lvl of a 4 KiB-granule, 4-level walk. */
static uint64_t
pt_idx(uint64_t iova, int lvl)
{
	return (iova >> (12 + 9 * (3 - lvl))) & 511;
}

typedef void wr64_fn(void *ctx, uint64_t gpa, uint64_t val);

/* The CD's first word: T0SZ 16 (48-bit VA), TG0 4 KiB, TTB1 disabled. */
static uint64_t
cd_dw0(unsigned asid)
{
	return CD_T0SZ(16) | CD_EPD1 | CD_V | CD_IPS_48 | CD_AA64 | CD_R |
	    CD_A | CD_ASID(asid);
}

/* Address of the L3 descriptor of iova for tables at base. */
static uint64_t
pt_l3_addr(uint64_t base, uint64_t iova)
{
	return base + L_L3 + 8 * pt_idx(iova, 3);
}

/*
 * Write the STE of sid, its CD and the page tables mapping IOVA_PAGE,
 * IOVA_PAGE2 and IOVA_BLOCK, for a stream table at base.
 */
static void
tables_build(wr64_fn *wr, void *ctx, uint64_t base, uint32_t sid)
{
	uint64_t ste = base + 64 * sid;
	int i;

	wr(ctx, ste, STE_V | STE_CFG_S1 | (base + L_CD));
	for (i = 1; i < 8; i++)
		wr(ctx, ste + 8 * i, 0);
	wr(ctx, base + L_CD, cd_dw0(T_ASID));
	wr(ctx, base + L_CD + 8, base + L_L0);	/* TTB0 */
	for (i = 2; i < 8; i++)
		wr(ctx, base + L_CD + 8 * i, 0);
	wr(ctx, base + L_L0 + 8 * pt_idx(IOVA_PAGE, 0),
	    (base + L_L1) | PTE_TABLE);
	wr(ctx, base + L_L1 + 8 * pt_idx(IOVA_PAGE, 1),
	    (base + L_L2) | PTE_TABLE);
	wr(ctx, base + L_L2 + 8 * pt_idx(IOVA_PAGE, 2),
	    (base + L_L3) | PTE_TABLE);
	wr(ctx, pt_l3_addr(base, IOVA_PAGE), PTE_PAGE(base + OA_PAGE));
	wr(ctx, pt_l3_addr(base, IOVA_PAGE2), PTE_PAGE(base + OA_PAGE2));
	wr(ctx, base + L_L2 + 8 * pt_idx(IOVA_BLOCK, 2),
	    PTE_BLOCK(base + OA_BLOCK));
}

/* wr64_fn through MemWrite (ctx: the handle). */
static void
wr64_client(void *ctx, uint64_t gpa, uint64_t val)
{
	uint8_t b[8];
	int i, rc;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(val >> (8 * i));
	rc = smmu_client_mem_write(ctx, "vm0", gpa, b, sizeof(b));
	ck_assert_msg(rc == 0, "mem_write 0x%llx: %s",
	    (unsigned long long)gpa, smmu_client_last_error(ctx));
}

/* ---- fixtures -------------------------------------------------------- */

static struct harness hs;
static smmu_client_t *hc;

/* Start smmud on yaml and connect hc to it. */
static void
daemon_up(const char *yaml)
{
	char err[256];
	int rc;

	ck_assert_int_eq(harness_init(&hs, yaml), 0);
	ck_assert_int_eq(harness_start(&hs, NULL, NULL), 0);
	rc = smmu_client_connect(hs.sock, "test-client", 5000, &hc, err,
	    sizeof(err));
	ck_assert_msg(rc == 0, "connect: %d %s", rc, err);
}

static void
setup_basic(void)
{
	daemon_up(topo_basic);
}

static void
setup_tables(void)
{
	daemon_up(topo_tables);
}

static void
teardown(void)
{
	smmu_client_close(hc);
	hc = NULL;
	harness_stop(&hs);
}

/* Translate one read; assert it maps and return the mapping. */
static struct smmu_client_mapping
xlate_ok(const char *smmu, uint32_t sid, uint64_t iova, unsigned access)
{
	struct smmu_client_txn txn = { .sid = sid, .iova = iova,
	    .access = access };
	struct smmu_client_mapping m;
	struct smmu_client_fault f;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = smmu_client_translate(hc, smmu, &txn, &m, &f);
	ck_assert_msg(rc == 0, "translate sid %u iova 0x%llx: rc %d (%s) "
	    "fault %s: %s", sid, (unsigned long long)iova, rc,
	    smmu_client_last_error(hc), rc == 1 ? f.type_name : "-",
	    rc == 1 ? f.detail : "-");
	return m;
}

/* Translate one access; assert it faults and return the fault. */
static struct smmu_client_fault
xlate_fault(const char *smmu, uint32_t sid, uint64_t iova, unsigned access)
{
	struct smmu_client_txn txn = { .sid = sid, .iova = iova,
	    .access = access };
	struct smmu_client_mapping m;
	struct smmu_client_fault f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = smmu_client_translate(hc, smmu, &txn, &m, &f);
	ck_assert_msg(rc == SMMU_CLIENT_FAULT, "translate sid %u iova 0x%llx:"
	    " rc %d (%s), output 0x%llx", sid, (unsigned long long)iova, rc,
	    smmu_client_last_error(hc), (unsigned long long)m.output);
	return f;
}

/* ---- basic topology -------------------------------------------------- */

START_TEST(test_hello)
{
	const struct smmu_client_info *info = smmu_client_info(hc);

	ck_assert_uint_eq(info->protocol_version, 1);
	ck_assert_str_eq(info->server_version, smmu_client_version());
	ck_assert_uint_eq(info->max_frame, 64 * 1024);
	ck_assert_uint_eq(info->nr_vms, 1);
	ck_assert_str_eq(info->vms[0].name, "vm0");
	ck_assert_uint_eq(info->vms[0].nr_smmus, 1);
	ck_assert_str_eq(info->vms[0].smmus[0], "smmu0");
	ck_assert_int_ge(smmu_client_get_fd(hc), 0);
	ck_assert_str_eq(smmu_client_last_error(hc), "");
	ck_assert_int_eq(smmu_client_set_timeout(hc, 2000), 0);
	ck_assert_int_eq(smmu_client_set_timeout(NULL, 2000),
	    SMMU_CLIENT_E_INVAL);
}
END_TEST

START_TEST(test_connect_errors)
{
	smmu_client_t *h = NULL;
	char path[400], err[128];
	int rc;

	(void)snprintf(path, sizeof(path), "%s/none.sock", hs.dir);
	errno = 0;
	rc = smmu_client_connect(path, "x", 1000, &h, err, sizeof(err));
	ck_assert_int_eq(rc, SMMU_CLIENT_E_IO);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err, "No such file or directory");
	ck_assert_ptr_null(h);
	rc = smmu_client_connect(NULL, "x", 1000, &h, err, sizeof(err));
	ck_assert_int_eq(rc, SMMU_CLIENT_E_INVAL);
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	rc = smmu_client_connect(path, "x", 1000, &h, NULL, 0);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_INVAL);
	ck_assert_ptr_null(h);
	/* A second connection alongside the first works. */
	rc = smmu_client_connect(hs.sock, NULL, 0, &h, err, sizeof(err));
	ck_assert_int_eq(rc, 0);
	smmu_client_close(h);
	smmu_client_close(NULL);
}
END_TEST

START_TEST(test_attach_list_detach)
{
	struct smmu_client_window win = { 0x10000, 0x1ffff };
	struct smmu_client_device *devs;
	uint32_t sid, want;
	size_t nr, i;
	int rc;

	/* The lowest free StreamIDs are handed out first. */
	ck_assert_int_eq(smmu_client_attach(hc, "smmu0", "pci-0000:01:00.0",
	    NULL, NULL, &sid), 0);
	ck_assert_uint_eq(sid, 0);
	ck_assert_int_eq(smmu_client_attach(hc, "vm0/smmu0",
	    "pci-0000:02:00.0", NULL, NULL, &sid), 0);
	ck_assert_uint_eq(sid, 1);
	want = 7;
	ck_assert_int_eq(smmu_client_attach(hc, "smmu0", "pci-0000:03:00.0",
	    &want, &win, &sid), 0);
	ck_assert_uint_eq(sid, 7);

	/* Duplicates: the same device, or the same StreamID. */
	rc = smmu_client_attach(hc, "smmu0", "pci-0000:01:00.0", NULL, NULL,
	    &sid);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_EXISTS);
	ck_assert_ptr_nonnull(strstr(smmu_client_last_error(hc),
	    "already attached"));
	rc = smmu_client_attach(hc, "smmu0", "pci-0000:04:00.0", &want, NULL,
	    &sid);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_EXISTS);
	want = 1u << 16;	/* sid_bits 16 */
	rc = smmu_client_attach(hc, "smmu0", "pci-0000:04:00.0", &want, NULL,
	    &sid);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_SERVER_INVAL);
	rc = smmu_client_attach(hc, "nosuch", "pci-0000:04:00.0", NULL, NULL,
	    &sid);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_NOT_FOUND);
	ck_assert_int_eq(smmu_client_attach(hc, NULL, "x", NULL, NULL, &sid),
	    SMMU_CLIENT_E_INVAL);

	ck_assert_int_eq(smmu_client_list_devices(hc, NULL, &devs, &nr), 0);
	ck_assert_uint_eq(nr, 3);
	for (i = 0; i < nr; i++) {
		ck_assert_str_eq(devs[i].smmu, "vm0/smmu0");
		if (strcmp(devs[i].name, "pci-0000:03:00.0") == 0) {
			ck_assert_uint_eq(devs[i].sid, 7);
			ck_assert(devs[i].has_window);
			ck_assert_uint_eq(devs[i].window.start, 0x10000);
			ck_assert_uint_eq(devs[i].window.end, 0x1ffff);
		} else if (strcmp(devs[i].name, "pci-0000:01:00.0") == 0) {
			ck_assert_uint_eq(devs[i].sid, 0);
			ck_assert(!devs[i].has_window);
		} else {
			ck_assert_str_eq(devs[i].name, "pci-0000:02:00.0");
			ck_assert_uint_eq(devs[i].sid, 1);
		}
	}
	smmu_client_devices_free(devs, nr);

	ck_assert_int_eq(smmu_client_detach(hc, "smmu0", "pci-0000:01:00.0"),
	    0);
	ck_assert_int_eq(smmu_client_detach(hc, "smmu0", "pci-0000:01:00.0"),
	    SMMU_CLIENT_E_NOT_FOUND);
	ck_assert_int_eq(smmu_client_list_devices(hc, "vm0/smmu0", &devs,
	    &nr), 0);
	ck_assert_uint_eq(nr, 2);
	smmu_client_devices_free(devs, nr);
	/* The freed StreamID 0 is the next one handed out. */
	ck_assert_int_eq(smmu_client_attach(hc, "smmu0", "pci-0000:05:00.0",
	    NULL, NULL, &sid), 0);
	ck_assert_uint_eq(sid, 0);
	ck_assert_int_eq(smmu_client_list_devices(hc, "nosuch", &devs, &nr),
	    SMMU_CLIENT_E_NOT_FOUND);
	smmu_client_devices_free(NULL, 0);
}
END_TEST

START_TEST(test_bypass)
{
	struct smmu_client_mapping m;

	/* Disabled with GBPA.ABORT = 0: both stages bypassed (identity). */
	m = xlate_ok("smmu0", 3, 0x1234000, SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(m.output, 0x1234000);
	ck_assert(m.bypass);
	m = xlate_ok("vm0/smmu0", 3, 0xfedcba987654ull,
	    SMMU_CLIENT_ACC_WRITE | SMMU_CLIENT_ACC_PRIV);
	ck_assert_uint_eq(m.output, 0xfedcba987654ull);
	ck_assert(m.bypass);
	ck_assert_uint_eq(m.perm & (SMMU_CLIENT_PERM_R | SMMU_CLIENT_PERM_W),
	    SMMU_CLIENT_PERM_R | SMMU_CLIENT_PERM_W);
}
END_TEST

START_TEST(test_window_fault)
{
	struct smmu_client_window win = { 0x1000, 0x1fff };
	struct smmu_client_fault f;
	struct smmu_client_mapping m;
	uint32_t sid = 9;

	ck_assert_int_eq(smmu_client_attach(hc, "smmu0", "dev-win", &sid,
	    &win, NULL), 0);
	f = xlate_fault("smmu0", 9, 0x5000, SMMU_CLIENT_ACC_WRITE);
	ck_assert_uint_eq(f.type, 0x10);
	ck_assert_str_eq(f.type_name, "F_TRANSLATION");
	ck_assert_uint_eq(f.sid, 9);
	ck_assert_uint_eq(f.input_addr, 0x5000);
	ck_assert(!f.rnw);
	ck_assert(!f.recorded);
	ck_assert_ptr_nonnull(strstr(f.detail, "window"));
	m = xlate_ok("smmu0", 9, 0x1800, SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(m.output, 0x1800);
}
END_TEST

START_TEST(test_mem)
{
	size_t len = 256 * 1024, i;	/* four times max_frame: chunked */
	uint8_t *out, *in;
	uint8_t b[16];

	out = malloc(len);
	in = malloc(len);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(in);
	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 8));
	ck_assert_int_eq(smmu_client_mem_write(hc, "vm0", RAM + 0x10000, out,
	    len), 0);
	memset(in, 0, len);
	ck_assert_int_eq(smmu_client_mem_read(hc, "vm0", RAM + 0x10000, in,
	    len), 0);
	ck_assert_mem_eq(in, out, len);
	free(out);
	free(in);

	/* Unbacked addresses, partly or wholly. */
	ck_assert_int_eq(smmu_client_mem_read(hc, "vm0", 0x1000, b,
	    sizeof(b)), SMMU_CLIENT_E_BAD_ADDRESS);
	ck_assert_ptr_nonnull(strstr(smmu_client_last_error(hc),
	    "not backed"));
	ck_assert_int_eq(smmu_client_mem_read(hc, "vm0", RAM + (64 << 20) - 8,
	    b, sizeof(b)), SMMU_CLIENT_E_BAD_ADDRESS);
	ck_assert_int_eq(smmu_client_mem_write(hc, "vm0", 0x1000, b,
	    sizeof(b)), SMMU_CLIENT_E_BAD_ADDRESS);
	ck_assert_int_eq(smmu_client_mem_read(hc, "nosuch", RAM, b,
	    sizeof(b)), SMMU_CLIENT_E_NOT_FOUND);
	ck_assert_int_eq(smmu_client_mem_read(hc, "vm0", ~0ull - 3, b,
	    sizeof(b)), SMMU_CLIENT_E_INVAL);
	ck_assert_int_eq(smmu_client_mem_read(hc, "vm0", RAM, b, 0), 0);
}
END_TEST

START_TEST(test_request_errors)
{
	struct smmu_client_txn txn = { .sid = 1, .iova = 0x1000,
	    .access = 0x10 };
	struct smmu_client_txn *big;
	struct smmu_client_batch_entry *ents;
	struct smmu_client_mapping m;
	struct smmu_client_inv inv = { .scope = SMMU_CLIENT_INV_RANGE };
	size_t n = 20000, i;
	int rc;

	rc = smmu_client_translate(hc, "smmu0", &txn, &m, NULL);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_SERVER_INVAL);
	ck_assert_ptr_nonnull(strstr(smmu_client_last_error(hc),
	    "access bits"));
	rc = smmu_client_translate(hc, "nosuch", &txn, &m, NULL);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_NOT_FOUND);
	ck_assert_int_eq(smmu_client_translate(hc, "smmu0", NULL, &m, NULL),
	    SMMU_CLIENT_E_INVAL);
	ck_assert_int_eq(smmu_client_invalidate(hc, "smmu0", &inv, NULL),
	    SMMU_CLIENT_E_INVAL);
	inv.scope = SMMU_CLIENT_INV_SCOPE_MAX;
	ck_assert_int_eq(smmu_client_invalidate(hc, "smmu0", &inv, NULL),
	    SMMU_CLIENT_E_INVAL);

	/* A batch that cannot fit max_frame (64 KiB) is refused locally. */
	big = calloc(n, sizeof(*big));
	ents = calloc(n, sizeof(*ents));
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(ents);
	for (i = 0; i < n; i++) {
		big[i].sid = 1;
		big[i].iova = 0x100000000ull + i * 0x1000;
	}
	rc = smmu_client_translate_batch(hc, "smmu0", big, n, ents, NULL,
	    NULL);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(smmu_client_last_error(hc),
	    "max_frame"));
	/* ... and the connection is still fine. */
	rc = smmu_client_translate_batch(hc, "smmu0", big, 1000, ents, NULL,
	    NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(ents[999].output, 0x100000000ull + 999 * 0x1000);
	ck_assert_int_eq(smmu_client_translate_batch(hc, "smmu0", big, 0,
	    ents, NULL, NULL), 0);
	free(big);
	free(ents);
}
END_TEST

struct thr_arg {
	smmu_client_t *h;
	unsigned idx;
	int failures;
};

/* Translate bypassed addresses on a shared handle. */
static void *
thr_translate(void *p)
{
	struct thr_arg *a = p;
	struct smmu_client_txn txn = { .sid = 2 };
	struct smmu_client_mapping m;
	unsigned i;

	for (i = 0; i < 200; i++) {
		txn.iova = ((uint64_t)a->idx << 32) + (uint64_t)i * 0x1000;
		if (smmu_client_translate(a->h, "smmu0", &txn, &m, NULL) != 0 ||
		    m.output != txn.iova)
			a->failures++;
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct thr_arg args[4];
	pthread_t t[4];
	unsigned i;

	/* One handle, four threads: the library serializes the calls. */
	for (i = 0; i < 4; i++) {
		args[i].h = hc;
		args[i].idx = i + 1;
		args[i].failures = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, thr_translate,
		    &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(args[i].failures, 0);
	}
}
END_TEST

/* ---- stream table, CDs and page tables ------------------------------- */

START_TEST(test_translate_tables)
{
	struct smmu_client_mapping m;
	struct smmu_client_fault f;

	tables_build(wr64_client, hc, RAM, T_SID);

	m = xlate_ok("smmu0", T_SID, IOVA_PAGE + 0x678, SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(m.output, RAM + OA_PAGE + 0x678);
	ck_assert_uint_eq(m.start, IOVA_PAGE);
	ck_assert_uint_eq(m.size_log2, 12);
	ck_assert_uint_eq(m.perm, SMMU_CLIENT_PERM_R | SMMU_CLIENT_PERM_W);
	ck_assert(!m.tlb_hit);
	ck_assert(!m.bypass);
	/* The same page again comes from the TLB. */
	m = xlate_ok("smmu0", T_SID, IOVA_PAGE + 0x10, SMMU_CLIENT_ACC_WRITE);
	ck_assert_uint_eq(m.output, RAM + OA_PAGE + 0x10);
	ck_assert(m.tlb_hit);
	m = xlate_ok("vm0/smmu0", T_SID, IOVA_PAGE2 + 0xfff,
	    SMMU_CLIENT_ACC_READ | SMMU_CLIENT_ACC_WRITE |
	    SMMU_CLIENT_ACC_PRIV);
	ck_assert_uint_eq(m.output, RAM + OA_PAGE2 + 0xfff);
	/* A 2 MiB block at level 2. */
	m = xlate_ok("smmu0", T_SID, IOVA_BLOCK + 0x12345,
	    SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(m.output, RAM + OA_BLOCK + 0x12345);
	ck_assert_uint_eq(m.start, IOVA_BLOCK);
	ck_assert_uint_eq(m.size_log2, 21);

	/* An invalid L3 descriptor: F_TRANSLATION (SMMUV3.md 5.6). */
	f = xlate_fault("smmu0", T_SID, IOVA_HOLE + 8, SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(f.type, 0x10);
	ck_assert_str_eq(f.type_name, "F_TRANSLATION");
	ck_assert_uint_eq(f.sid, T_SID);
	ck_assert_uint_eq(f.input_addr, IOVA_HOLE + 8);
	ck_assert(f.rnw);
	ck_assert(!f.s2);
	ck_assert(!f.ssv);
	/* An instruction fetch from a UXN page: F_PERMISSION. */
	f = xlate_fault("smmu0", T_SID, IOVA_PAGE,
	    SMMU_CLIENT_ACC_READ | SMMU_CLIENT_ACC_EXEC);
	ck_assert_uint_eq(f.type, 0x13);
	ck_assert_str_eq(f.type_name, "F_PERMISSION");
	ck_assert(f.ind);
	/* An STE with V = 0: C_BAD_STE. */
	f = xlate_fault("smmu0", T_SID + 1, IOVA_PAGE, SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(f.type, 0x04);
	ck_assert_str_eq(f.type_name, "C_BAD_STE");
	ck_assert_uint_eq(f.sid, T_SID + 1);
	/* A StreamID beyond the table (log2size 4). */
	f = xlate_fault("smmu0", 16, IOVA_PAGE, SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(f.type, 0x02);
	ck_assert_str_eq(f.type_name, "C_BAD_STREAMID");
}
END_TEST

START_TEST(test_batch)
{
	struct smmu_client_txn txns[6];
	struct smmu_client_batch_entry ents[6];
	struct smmu_client_fault faults[6];
	uint32_t hits = 99;
	int rc;

	tables_build(wr64_client, hc, RAM, T_SID);
	memset(txns, 0, sizeof(txns));
	txns[0] = (struct smmu_client_txn){ .sid = T_SID,
	    .iova = IOVA_PAGE + 1 };
	txns[1] = (struct smmu_client_txn){ .sid = T_SID,
	    .iova = IOVA_HOLE };
	txns[2] = (struct smmu_client_txn){ .sid = T_SID,
	    .iova = IOVA_PAGE + 2, .access = SMMU_CLIENT_ACC_WRITE };
	txns[3] = (struct smmu_client_txn){ .sid = T_SID,
	    .iova = IOVA_BLOCK + 0x1000 };
	txns[4] = (struct smmu_client_txn){ .sid = T_SID + 1,
	    .iova = IOVA_PAGE };
	txns[5] = (struct smmu_client_txn){ .sid = T_SID,
	    .iova = IOVA_PAGE2 + 3 };
	memset(ents, 0xff, sizeof(ents));
	rc = smmu_client_translate_batch(hc, "smmu0", txns, 6, ents, faults,
	    &hits);
	ck_assert_msg(rc == 2, "batch: %d %s", rc,
	    smmu_client_last_error(hc));
	ck_assert(!ents[0].fault);
	ck_assert_uint_eq(ents[0].output, RAM + OA_PAGE + 1);
	ck_assert_uint_eq(ents[0].size_log2, 12);
	ck_assert_uint_eq(ents[0].perm, SMMU_CLIENT_PERM_R |
	    SMMU_CLIENT_PERM_W);
	ck_assert(ents[1].fault);
	ck_assert_uint_eq(ents[1].output, 0);
	ck_assert(!ents[2].fault);
	ck_assert_uint_eq(ents[2].output, RAM + OA_PAGE + 2);
	ck_assert_uint_eq(ents[3].output, RAM + OA_BLOCK + 0x1000);
	ck_assert_uint_eq(ents[3].size_log2, 21);
	ck_assert(ents[4].fault);
	ck_assert_uint_eq(ents[5].output, RAM + OA_PAGE2 + 3);
	/* Entry 2 hits the TLB entry entry 0 made. */
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(faults[0].index, 1);
	ck_assert_str_eq(faults[0].type_name, "F_TRANSLATION");
	ck_assert_uint_eq(faults[0].input_addr, IOVA_HOLE);
	ck_assert_uint_eq(faults[1].index, 4);
	ck_assert_str_eq(faults[1].type_name, "C_BAD_STE");
	ck_assert_uint_eq(faults[1].sid, T_SID + 1);
	/* Without a faults array. */
	rc = smmu_client_translate_batch(hc, "smmu0", txns, 6, ents, NULL,
	    NULL);
	ck_assert_int_eq(rc, 2);
}
END_TEST

/* Translate IOVA_PAGE twice so the second is a TLB hit. */
static void
tlb_warm(void)
{
	(void)xlate_ok("smmu0", T_SID, IOVA_PAGE, SMMU_CLIENT_ACC_READ);
	ck_assert(xlate_ok("smmu0", T_SID, IOVA_PAGE,
	    SMMU_CLIENT_ACC_READ).tlb_hit);
}

/* Invalidate with inv; the next translation of IOVA_PAGE must walk. */
static void
inv_check(const struct smmu_client_inv *inv, const char *what)
{
	struct smmu_client_mapping m;
	uint64_t dropped = 0;
	int rc;

	tlb_warm();
	rc = smmu_client_invalidate(hc, "smmu0", inv, &dropped);
	ck_assert_msg(rc == 0, "invalidate %s: %d %s", what, rc,
	    smmu_client_last_error(hc));
	ck_assert_msg(dropped >= 1, "invalidate %s dropped nothing", what);
	m = xlate_ok("smmu0", T_SID, IOVA_PAGE, SMMU_CLIENT_ACC_READ);
	ck_assert_msg(!m.tlb_hit, "invalidate %s left the entry", what);
	ck_assert_uint_eq(m.output, RAM + OA_PAGE);
}

START_TEST(test_invalidate_forms)
{
	struct smmu_client_inv inv;
	uint64_t dropped = 99;

	tables_build(wr64_client, hc, RAM, T_SID);
	memset(&inv, 0, sizeof(inv));
	inv.scope = SMMU_CLIENT_INV_ALL;
	inv_check(&inv, "all");
	inv.scope = SMMU_CLIENT_INV_SID;
	inv.sid = T_SID;
	inv_check(&inv, "sid");
	memset(&inv, 0, sizeof(inv));
	inv.scope = SMMU_CLIENT_INV_ASID;
	inv.asid = T_ASID;
	inv.vmid = 0;
	inv_check(&inv, "asid");
	inv.scope = SMMU_CLIENT_INV_VMID;
	inv_check(&inv, "vmid");
	memset(&inv, 0, sizeof(inv));
	inv.scope = SMMU_CLIENT_INV_RANGE;
	inv.iova = IOVA_PAGE;
	inv.size = 0x1000;
	inv.has_asid = true;
	inv.asid = T_ASID;
	inv_check(&inv, "range+asid");
	inv.has_asid = false;
	inv.leaf = true;
	inv_check(&inv, "range");

	/* Another ASID's, or another range's, invalidation leaves it. */
	tlb_warm();
	memset(&inv, 0, sizeof(inv));
	inv.scope = SMMU_CLIENT_INV_ASID;
	inv.asid = T_ASID + 1;
	ck_assert_int_eq(smmu_client_invalidate(hc, "smmu0", &inv, &dropped),
	    0);
	ck_assert_uint_eq(dropped, 0);
	inv.scope = SMMU_CLIENT_INV_RANGE;
	inv.iova = IOVA_BLOCK;
	inv.size = 0x1000;
	ck_assert_int_eq(smmu_client_invalidate(hc, "smmu0", &inv, &dropped),
	    0);
	ck_assert_uint_eq(dropped, 0);
	ck_assert(xlate_ok("smmu0", T_SID, IOVA_PAGE,
	    SMMU_CLIENT_ACC_READ).tlb_hit);

	/* Out of range identifiers are the server's to refuse. */
	inv.scope = SMMU_CLIENT_INV_VMID;
	inv.vmid = 1u << 16;
	ck_assert_int_eq(smmu_client_invalidate(hc, "smmu0", &inv, NULL),
	    SMMU_CLIENT_E_SERVER_INVAL);
	ck_assert_int_eq(smmu_client_invalidate(hc, "nosuch", &inv, NULL),
	    SMMU_CLIENT_E_NOT_FOUND);
}
END_TEST

START_TEST(test_stale_then_invalidate)
{
	struct smmu_client_inv inv;
	struct smmu_client_mapping m;

	tables_build(wr64_client, hc, RAM, T_SID);
	m = xlate_ok("smmu0", T_SID, IOVA_PAGE + 0x20, SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(m.output, RAM + OA_PAGE + 0x20);
	/* Remap the page: hardware may keep using the cached entry ... */
	wr64_client(hc, pt_l3_addr(RAM, IOVA_PAGE), PTE_PAGE(RAM + OA_NEW));
	m = xlate_ok("smmu0", T_SID, IOVA_PAGE + 0x20, SMMU_CLIENT_ACC_READ);
	ck_assert(m.tlb_hit);
	ck_assert_uint_eq(m.output, RAM + OA_PAGE + 0x20);
	/* ... until told. */
	memset(&inv, 0, sizeof(inv));
	inv.scope = SMMU_CLIENT_INV_RANGE;
	inv.iova = IOVA_PAGE;
	inv.size = 0x1000;
	inv.has_asid = true;
	inv.asid = T_ASID;
	ck_assert_int_eq(smmu_client_invalidate(hc, "smmu0", &inv, NULL), 0);
	m = xlate_ok("smmu0", T_SID, IOVA_PAGE + 0x20, SMMU_CLIENT_ACC_READ);
	ck_assert(!m.tlb_hit);
	ck_assert_uint_eq(m.output, RAM + OA_NEW + 0x20);
}
END_TEST

/* Find the FaultCount of type in c, or 0. */
static uint64_t
stats_fault_count(const struct smmu_client_counters *c, uint32_t type)
{
	size_t i;

	for (i = 0; i < c->nr_faults_by_type; i++)
		if (c->faults_by_type[i].type == type)
			return c->faults_by_type[i].count;
	return 0;
}

START_TEST(test_stats)
{
	struct smmu_client_stats *st, *st2;
	const struct smmu_client_smmu_stats *s;
	const struct smmu_client_counters *c;
	size_t i;

	tables_build(wr64_client, hc, RAM, T_SID);
	ck_assert_int_eq(smmu_client_stats(hc, NULL, false, &st), 0);
	ck_assert_uint_eq(st->daemon.workers, 2);
	ck_assert_uint_ge(st->daemon.clients, 1);
	ck_assert_uint_ge(st->daemon.requests, 2);
	ck_assert_uint_eq(st->nr_smmus, 2);
	ck_assert_str_eq(st->smmus[0].smmu, "vm0/smmu0");
	ck_assert_str_eq(st->smmus[1].smmu, "vm0/smmu1");
	ck_assert_uint_eq(st->smmus[0].counters.translations, 0);
	ck_assert_uint_eq(st->smmus[0].tlb.capacity, 4096);

	(void)xlate_ok("smmu0", T_SID, IOVA_PAGE, 0);
	(void)xlate_ok("smmu0", T_SID, IOVA_PAGE + 8, 0);
	(void)xlate_ok("smmu0", T_SID, IOVA_PAGE + 16, 0);
	(void)xlate_fault("smmu0", T_SID, IOVA_HOLE, 0);

	ck_assert_int_eq(smmu_client_stats(hc, "vm0/smmu0", true, &st2), 0);
	ck_assert_uint_gt(st2->daemon.requests, st->daemon.requests);
	ck_assert_uint_eq(st2->nr_smmus, 1);
	s = &st2->smmus[0];
	ck_assert_str_eq(s->smmu, "vm0/smmu0");
	ck_assert_uint_eq(s->counters.translations, 4);
	ck_assert_uint_eq(s->counters.tlb_hits, 2);
	ck_assert_uint_eq(s->counters.tlb_misses, 2);
	ck_assert_uint_eq(s->counters.walks, 2);
	ck_assert_uint_eq(s->counters.faults, 1);
	ck_assert_uint_eq(s->counters.bypassed, 0);
	ck_assert_uint_eq(stats_fault_count(&s->counters, 0x10), 1);
	ck_assert_uint_eq(s->tlb.entries, 1);
	ck_assert_uint_eq(s->nr_streams, 1);
	ck_assert_uint_eq(s->streams[0].sid, T_SID);
	c = &s->streams[0].counters;
	ck_assert_uint_eq(c->translations, 4);
	ck_assert_uint_eq(c->faults, 1);
	for (i = 0; i < c->nr_faults_by_type; i++)
		if (c->faults_by_type[i].type == 0x10)
			ck_assert_str_eq(c->faults_by_type[i].name,
			    "F_TRANSLATION");
	ck_assert_uint_eq(stats_fault_count(c, 0x10), 1);
	smmu_client_stats_free(st);
	smmu_client_stats_free(st2);
	smmu_client_stats_free(NULL);
	ck_assert_int_eq(smmu_client_stats(hc, "nosuch", false, &st),
	    SMMU_CLIENT_E_NOT_FOUND);
}
END_TEST

/* ---- the test VMM ---------------------------------------------------- */

struct vmm {
	uint8_t *mem;		/* its mapping of the shared region */
};

/* wr64_fn into the VMM's own mapping of SHM (little-endian). */
static void
wr64_vmm(void *ctx, uint64_t gpa, uint64_t val)
{
	struct vmm *v = ctx;
	int i;

	for (i = 0; i < 8; i++)
		v->mem[gpa - SHM + i] = (uint8_t)(val >> (8 * i));
}

#define VMM_CHECK(cond, step) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "vmm: step %d failed: %s (%s)\n", step,	\
		    #cond, smmu_client_last_error(h));			\
		_exit(step);						\
	}								\
} while (0)

/*
 * The VMM process: guest RAM is its own memfd; it shares the region with
 * smmud, programs the SMMU's tables in its own mapping and translates.
 */
static void
vmm_main(const char *sock)
{
	struct smmu_client_region reg;
	struct smmu_client_txn txn;
	struct smmu_client_mapping m;
	struct smmu_client_fault f;
	struct smmu_client_inv inv;
	struct smmu_client_stats *st;
	struct vmm v;
	smmu_client_t *h = NULL;
	uint32_t nreg = 0;
	uint8_t b[8];
	int fd, rc;

	rc = smmu_client_connect(sock, "test-vmm", 5000, &h, NULL, 0);
	VMM_CHECK(rc == 0, 1);
	fd = memfd_create("test-vmm-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	VMM_CHECK(fd >= 0, 2);
	VMM_CHECK(ftruncate(fd, (off_t)SHM_SIZE) == 0, 3);
	/* As QEMU's memory-backend-memfd (seal=on): smmud insists. */
	VMM_CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0,
	    3);
	v.mem = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	VMM_CHECK(v.mem != MAP_FAILED, 4);

	/* Not shared yet: the stream table fetch aborts. */
	memset(&txn, 0, sizeof(txn));
	txn.sid = T_SID;
	txn.iova = IOVA_PAGE + 0x44;
	rc = smmu_client_translate(h, "smmu1", &txn, &m, &f);
	VMM_CHECK(rc == SMMU_CLIENT_FAULT && f.type == 0x03, 5);
	VMM_CHECK(smmu_client_mem_read(h, "vm0", SHM, b, sizeof(b)) ==
	    SMMU_CLIENT_E_BAD_ADDRESS, 6);

	reg.gpa = SHM;
	reg.size = SHM_SIZE;
	reg.offset = 0;
	reg.fd = fd;
	rc = smmu_client_share_memory(h, "vm0", &reg, 1, &nreg);
	VMM_CHECK(rc == 0 && nreg == 1, 7);
	/* The caller keeps its fd; smmud has its own reference. */
	VMM_CHECK(close(fd) == 0, 8);

	tables_build(wr64_vmm, &v, SHM, T_SID);
	/* smmud sees the VMM's memory live, with no MemWrite. */
	VMM_CHECK(smmu_client_mem_read(h, "vm0", SHM + L_CD, b, 8) == 0 &&
	    b[0] == 16 && b[3] == 0xc0, 9);
	/* smmu1's decoded config may hold the earlier fetch abort. */
	memset(&inv, 0, sizeof(inv));
	inv.scope = SMMU_CLIENT_INV_ALL;
	VMM_CHECK(smmu_client_invalidate(h, "smmu1", &inv, NULL) == 0, 10);
	rc = smmu_client_translate(h, "smmu1", &txn, &m, &f);
	VMM_CHECK(rc == 0, 11);
	VMM_CHECK(m.output == SHM + OA_PAGE + 0x44 && m.size_log2 == 12, 12);

	/* Change the leaf in its own mapping; invalidate; see it. */
	wr64_vmm(&v, pt_l3_addr(SHM, IOVA_PAGE), PTE_PAGE(SHM + OA_NEW));
	inv.scope = SMMU_CLIENT_INV_RANGE;
	inv.iova = IOVA_PAGE;
	inv.size = 0x1000;
	VMM_CHECK(smmu_client_invalidate(h, "smmu1", &inv, NULL) == 0, 13);
	rc = smmu_client_translate(h, "smmu1", &txn, &m, &f);
	VMM_CHECK(rc == 0 && m.output == SHM + OA_NEW + 0x44, 14);
	/* A leaf made invalid, then invalidate all. */
	wr64_vmm(&v, pt_l3_addr(SHM, IOVA_PAGE), 0);
	inv.scope = SMMU_CLIENT_INV_ALL;
	VMM_CHECK(smmu_client_invalidate(h, "smmu1", &inv, NULL) == 0, 15);
	rc = smmu_client_translate(h, "smmu1", &txn, &m, &f);
	VMM_CHECK(rc == SMMU_CLIENT_FAULT && f.type == 0x10, 16);

	/* Garbage everywhere: faults, and the daemon keeps serving. */
	memset(v.mem + 64 * (T_SID + 1), 0xa5, 64);	/* STE of sid 6 */
	txn.sid = T_SID + 1;
	rc = smmu_client_translate(h, "smmu1", &txn, &m, &f);
	VMM_CHECK(rc == SMMU_CLIENT_FAULT, 17);
	memset(v.mem + L_L2, 0xff, 4096);		/* every L2 entry */
	VMM_CHECK(smmu_client_invalidate(h, "smmu1", &inv, NULL) == 0, 18);
	txn.sid = T_SID;
	txn.iova = IOVA_PAGE2;
	rc = smmu_client_translate(h, "smmu1", &txn, &m, &f);
	VMM_CHECK(rc == SMMU_CLIENT_FAULT, 19);
	txn.iova = IOVA_BLOCK;
	rc = smmu_client_translate(h, "smmu1", &txn, &m, &f);
	VMM_CHECK(rc == SMMU_CLIENT_FAULT, 20);
	memset(v.mem, 0xff, SHM_SIZE);			/* everything */
	VMM_CHECK(smmu_client_invalidate(h, "smmu1", &inv, NULL) == 0, 21);
	rc = smmu_client_translate(h, "smmu1", &txn, &m, &f);
	VMM_CHECK(rc == SMMU_CLIENT_FAULT, 22);
	VMM_CHECK(smmu_client_stats(h, NULL, true, &st) == 0, 23);
	smmu_client_stats_free(st);
	smmu_client_close(h);
	(void)munmap(v.mem, SHM_SIZE);
	_exit(0);
}

START_TEST(test_vmm)
{
	struct smmu_client_mapping m;
	int status;
	pid_t pid;

	tables_build(wr64_client, hc, RAM, T_SID);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		vmm_main(hs.sock);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "test VMM failed at step %d (status 0x%x)",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1, status);
	/* The VMM is gone; its memory stays mapped in smmud. */
	m = xlate_ok("smmu0", T_SID, IOVA_PAGE, SMMU_CLIENT_ACC_READ);
	ck_assert_uint_eq(m.output, RAM + OA_PAGE);
}
END_TEST

START_TEST(test_share_errors)
{
	struct smmu_client_region reg = { SHM, SHM_SIZE, 0, -1 };
	int fd;

	ck_assert_int_eq(smmu_client_share_memory(hc, "vm0", &reg, 1, NULL),
	    SMMU_CLIENT_E_INVAL);
	ck_assert_int_eq(smmu_client_share_memory(hc, "vm0", &reg, 0, NULL),
	    SMMU_CLIENT_E_INVAL);
	fd = memfd_create("small", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	reg.fd = fd;
	/* Too small for the region. */
	ck_assert_int_eq(smmu_client_share_memory(hc, "vm0", &reg, 1, NULL),
	    SMMU_CLIENT_E_SERVER_INVAL);
	/* Not a shared region / no region there. */
	reg.gpa = RAM;
	ck_assert_int_eq(smmu_client_share_memory(hc, "vm0", &reg, 1, NULL),
	    SMMU_CLIENT_E_SERVER_INVAL);
	reg.gpa = 0x1000;
	ck_assert_int_eq(smmu_client_share_memory(hc, "vm0", &reg, 1, NULL),
	    SMMU_CLIENT_E_NOT_FOUND);
	ck_assert_int_eq(close(fd), 0);
	/* The connection is in step after fds were refused. */
	(void)xlate_fault("smmu0", 1, 0x1000, 0);
}
END_TEST

/* ---- a scripted fake server ------------------------------------------ */

struct fake {
	char dir[64];
	char path[128];
	pid_t pid;
};

typedef void fake_fn(int fd);

/* A string literal where protobuf-c wants char * (-Wwrite-strings). */
static char *
fk_str(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = { .c = s };

	return u.m;
}

/* Read exactly len bytes or exit the fake server. */
static void
fk_read_full(int fd, void *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = read(fd, (uint8_t *)buf + off, len - off);
		if (n <= 0)
			_exit(0);	/* the client went away */
		off += (size_t)n;
	}
}

/* Read one request frame. */
static Smmu__V1__Request *
fk_recv(int fd)
{
	uint8_t hdr[FRAME_HDR_LEN], *body;
	Smmu__V1__Request *req;
	uint32_t len;

	fk_read_full(fd, hdr, sizeof(hdr));
	len = frame_hdr_get(hdr);
	body = malloc(len + 1);
	if (body == NULL)
		_exit(1);
	fk_read_full(fd, body, len);
	req = smmu__v1__request__unpack(NULL, len, body);
	free(body);
	if (req == NULL)
		_exit(1);
	return req;
}

/* Write raw bytes. */
static void
fk_write(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(1);
}

/* Send one response frame. */
static void
fk_send(int fd, const Smmu__V1__Response *resp)
{
	uint8_t *buf;
	size_t len;

	if (frame_pack(&resp->base, 1u << 24, &buf, &len) != 0)
		_exit(1);
	fk_write(fd, buf, len);
	free(buf);
}

/* Answer a Hello with protocol proto and one VM "vmx" with SMMU "s0". */
static void
fk_hello_reply(int fd, uint32_t id, uint32_t proto)
{
	Smmu__V1__Response resp;
	Smmu__V1__HelloResult hr;
	Smmu__V1__VmInfo vi, *vip = &vi;
	char *smmus[1] = { fk_str("s0") };

	smmu__v1__response__init(&resp);
	smmu__v1__hello_result__init(&hr);
	smmu__v1__vm_info__init(&vi);
	vi.name = fk_str("vmx");
	vi.n_smmus = 1;
	vi.smmus = smmus;
	hr.protocol_version = proto;
	hr.server_version = fk_str("fake-1");
	hr.max_frame = 4096;
	hr.n_vms = 1;
	hr.vms = &vip;
	resp.id = id;
	resp.body_case = SMMU__V1__RESPONSE__BODY_HELLO;
	resp.hello = &hr;
	fk_send(fd, &resp);
}

/* Push an Event with a fault of type 0x10 (or an MSI when msi). */
static void
fk_push_event(int fd, uint64_t seq, bool msi)
{
	Smmu__V1__Response resp;
	Smmu__V1__Event ev;
	Smmu__V1__Fault f;
	Smmu__V1__Msi m;

	smmu__v1__response__init(&resp);
	smmu__v1__event__init(&ev);
	ev.seq = seq;
	if (msi) {
		smmu__v1__msi__init(&m);
		m.smmu = fk_str("vmx/s0");
		m.source = 2;
		m.address = 0xfee00000;
		m.data = 0x41;
		ev.kind_case = SMMU__V1__EVENT__KIND_MSI;
		ev.msi = &m;
	} else {
		smmu__v1__fault__init(&f);
		f.type = 0x10;
		f.type_name = fk_str("F_TRANSLATION");
		f.sid = 3;
		f.input_addr = 0xdead000;
		ev.kind_case = SMMU__V1__EVENT__KIND_FAULT;
		ev.fault = &f;
	}
	resp.id = 0;
	resp.body_case = SMMU__V1__RESPONSE__BODY_EVENT;
	resp.event = &ev;
	fk_send(fd, &resp);
}

/* Answer a Translate with a mapping of output. */
static void
fk_mapping_reply(int fd, uint32_t id, uint64_t output)
{
	Smmu__V1__Response resp;
	Smmu__V1__TranslateResult tr;
	Smmu__V1__Mapping m;

	smmu__v1__response__init(&resp);
	smmu__v1__translate_result__init(&tr);
	smmu__v1__mapping__init(&m);
	m.output = output;
	m.start = output & ~0xfffull;
	m.size_log2 = 12;
	m.perm = 3;
	tr.outcome_case = SMMU__V1__TRANSLATE_RESULT__OUTCOME_MAPPING;
	tr.mapping = &m;
	resp.id = id;
	resp.body_case = SMMU__V1__RESPONSE__BODY_TRANSLATE;
	resp.translate = &tr;
	fk_send(fd, &resp);
}

/* Wait for the client to hang up, then exit. */
static void
fk_drain(int fd)
{
	uint8_t b[256];

	while (read(fd, b, sizeof(b)) > 0)
		;
	_exit(0);
}

/* Start a fake server running fn on its one connection. */
static void
fake_start(struct fake *fk, fake_fn *fn)
{
	struct sockaddr_un sun;
	int lfd, cfd;

	(void)snprintf(fk->dir, sizeof(fk->dir), "/tmp/smmu-fake.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fk->dir));
	(void)snprintf(fk->path, sizeof(fk->path), "%s/fake.sock", fk->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(fk->path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, fk->path, strlen(fk->path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	fk->pid = fork();
	ck_assert_int_ge(fk->pid, 0);
	if (fk->pid == 0) {
		cfd = accept(lfd, NULL, NULL);
		if (cfd < 0)
			_exit(1);
		(void)close(lfd);
		fn(cfd);
		_exit(0);
	}
	(void)close(lfd);
}

/* Stop the fake server and remove its files. */
static void
fake_stop(struct fake *fk)
{
	int status;

	(void)kill(fk->pid, SIGKILL);
	(void)waitpid(fk->pid, &status, 0);
	(void)unlink(fk->path);
	(void)rmdir(fk->dir);
}

/* Connect to a fake; returns the code, *err the message. */
static int
fake_connect(struct fake *fk, fake_fn *fn, int timeout_ms,
    smmu_client_t **h, char *err, size_t errlen)
{
	fake_start(fk, fn);
	return smmu_client_connect(fk->path, "t", timeout_ms, h, err, errlen);
}

static void
fk_silent(int fd)
{
	Smmu__V1__Request *req = fk_recv(fd);

	smmu__v1__request__free_unpacked(req, NULL);
	fk_drain(fd);
}

static void
fk_close(int fd)
{
	(void)close(fd);
}

static void
fk_oversize(int fd)
{
	static const uint8_t hdr[4] = { 0xf0, 0xff, 0xff, 0x7f };

	smmu__v1__request__free_unpacked(fk_recv(fd), NULL);
	fk_write(fd, hdr, sizeof(hdr));
	fk_drain(fd);
}

static void
fk_garbage(int fd)
{
	static const uint8_t junk[] = { 3, 0, 0, 0, 0xff, 0xff, 0xff };

	smmu__v1__request__free_unpacked(fk_recv(fd), NULL);
	fk_write(fd, junk, sizeof(junk));
	fk_drain(fd);
}

static void
fk_version2(int fd)
{
	Smmu__V1__Request *req = fk_recv(fd);

	fk_hello_reply(fd, req->id, 2);
	smmu__v1__request__free_unpacked(req, NULL);
	fk_drain(fd);
}

static void
fk_refuse(int fd)
{
	Smmu__V1__Request *req = fk_recv(fd);
	Smmu__V1__Response resp;

	smmu__v1__response__init(&resp);
	resp.id = req->id;
	resp.status = SMMU__V1__STATUS__STATUS_PERMISSION_DENIED;
	resp.message = fk_str("uid 4242 may not connect");
	fk_send(fd, &resp);
	smmu__v1__request__free_unpacked(req, NULL);
	fk_drain(fd);
}

START_TEST(test_fake_transport_errors)
{
	struct fake fk;
	smmu_client_t *h = NULL;
	char err[256];
	int rc;

	rc = fake_connect(&fk, fk_silent, 150, &h, err, sizeof(err));
	ck_assert_int_eq(rc, SMMU_CLIENT_E_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(err, "timed out"));
	fake_stop(&fk);

	rc = fake_connect(&fk, fk_close, 2000, &h, err, sizeof(err));
	ck_assert_int_eq(rc, SMMU_CLIENT_E_IO);
	fake_stop(&fk);

	rc = fake_connect(&fk, fk_oversize, 2000, &h, err, sizeof(err));
	ck_assert_int_eq(rc, SMMU_CLIENT_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err, "frame of"));
	fake_stop(&fk);

	rc = fake_connect(&fk, fk_garbage, 2000, &h, err, sizeof(err));
	ck_assert_int_eq(rc, SMMU_CLIENT_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	fake_stop(&fk);

	rc = fake_connect(&fk, fk_version2, 2000, &h, err, sizeof(err));
	ck_assert_int_eq(rc, SMMU_CLIENT_E_VERSION);
	fake_stop(&fk);

	rc = fake_connect(&fk, fk_refuse, 2000, &h, err, sizeof(err));
	ck_assert_int_eq(rc, SMMU_CLIENT_E_DENIED);
	ck_assert_str_eq(err, "permission denied: uid 4242 may not connect");
	fake_stop(&fk);
	ck_assert_ptr_null(h);
}
END_TEST

/*
 * A server that interleaves pushed events, stale answers, connection
 * errors and malformed bodies with its answers, then hangs up.
 */
static void
fk_script(int fd)
{
	Smmu__V1__Request *req;
	Smmu__V1__Response resp;
	Smmu__V1__TranslateResult tr;
	Smmu__V1__TranslateBatchResult br;
	Smmu__V1__StatsResult sr;
	Smmu__V1__Fault f, *fp = &f;
	uint64_t out[2] = { 0x1000, 0 };
	uint32_t sl[2] = { 12, 0 }, perm[2] = { 3, 0 };

	req = fk_recv(fd);			/* Hello */
	fk_push_event(fd, 7, false);
	fk_hello_reply(fd, req->id, 1);
	smmu__v1__request__free_unpacked(req, NULL);

	/* 1: a stale answer and an MSI before the real answer. */
	req = fk_recv(fd);
	fk_mapping_reply(fd, req->id - 1, 0xbad);
	fk_push_event(fd, 8, true);
	fk_mapping_reply(fd, req->id, 0x1234);
	smmu__v1__request__free_unpacked(req, NULL);

	/* 2: a connection-level error (id 0, no event). */
	req = fk_recv(fd);
	smmu__v1__response__init(&resp);
	resp.status = SMMU__V1__STATUS__STATUS_INVALID_ARGUMENT;
	resp.message = fk_str("boom");
	fk_send(fd, &resp);
	smmu__v1__request__free_unpacked(req, NULL);

	/* 3: the wrong body for a Translate. */
	req = fk_recv(fd);
	smmu__v1__response__init(&resp);
	smmu__v1__stats_result__init(&sr);
	resp.id = req->id;
	resp.body_case = SMMU__V1__RESPONSE__BODY_STATS;
	resp.stats = &sr;
	fk_send(fd, &resp);
	smmu__v1__request__free_unpacked(req, NULL);

	/* 4: a TranslateResult with neither mapping nor fault. */
	req = fk_recv(fd);
	smmu__v1__response__init(&resp);
	smmu__v1__translate_result__init(&tr);
	resp.id = req->id;
	resp.body_case = SMMU__V1__RESPONSE__BODY_TRANSLATE;
	resp.translate = &tr;
	fk_send(fd, &resp);
	smmu__v1__request__free_unpacked(req, NULL);

	/* 5: a batch answer one entry short; 6: a fault index out of
	 * range; 7: a good answer with one fault. */
	smmu__v1__translate_batch_result__init(&br);
	smmu__v1__fault__init(&f);
	f.type = 0x10;
	f.type_name = fk_str("F_TRANSLATION");
	br.output = out;
	br.size_log2 = sl;
	br.perm = perm;
	br.faults = &fp;
	smmu__v1__response__init(&resp);
	resp.body_case = SMMU__V1__RESPONSE__BODY_TRANSLATE_BATCH;
	resp.translate_batch = &br;

	req = fk_recv(fd);
	resp.id = req->id;
	br.n_output = 1;
	br.n_size_log2 = br.n_perm = 2;
	fk_send(fd, &resp);
	smmu__v1__request__free_unpacked(req, NULL);

	req = fk_recv(fd);
	resp.id = req->id;
	br.n_output = 2;
	br.n_faults = 1;
	f.index = 2;
	fk_send(fd, &resp);
	smmu__v1__request__free_unpacked(req, NULL);

	req = fk_recv(fd);
	resp.id = req->id;
	f.index = 1;
	br.tlb_hits = 1;
	fk_send(fd, &resp);
	smmu__v1__request__free_unpacked(req, NULL);

	/* 8: hang up mid-request. */
	req = fk_recv(fd);
	smmu__v1__request__free_unpacked(req, NULL);
	(void)close(fd);
}

struct ev_log {
	unsigned n;
	struct smmu_client_event ev[4];
};

static void
ev_cb(void *arg, const struct smmu_client_event *ev)
{
	struct ev_log *log = arg;

	if (log->n < 4)
		log->ev[log->n] = *ev;
	log->n++;
}

START_TEST(test_fake_script)
{
	struct fake fk;
	struct ev_log log;
	struct smmu_client_txn txns[2];
	struct smmu_client_batch_entry ents[2];
	struct smmu_client_fault faults[2];
	struct smmu_client_mapping m;
	const struct smmu_client_info *info;
	smmu_client_t *h;
	uint32_t hits = 0;
	char err[256];
	int rc;

	rc = fake_connect(&fk, fk_script, 2000, &h, err, sizeof(err));
	ck_assert_msg(rc == 0, "connect: %s", err);
	info = smmu_client_info(h);
	ck_assert_str_eq(info->server_version, "fake-1");
	ck_assert_uint_eq(info->max_frame, 4096);
	ck_assert_str_eq(info->vms[0].smmus[0], "s0");

	/* The event pushed before the Hello answer waits in the queue. */
	ck_assert_uint_eq(smmu_client_events_pending(h), 1);
	memset(&log, 0, sizeof(log));
	smmu_client_set_event_cb(h, ev_cb, &log);
	ck_assert_int_eq(smmu_client_process_events(h), 1);
	ck_assert_uint_eq(log.n, 1);
	ck_assert_uint_eq(log.ev[0].seq, 7);
	ck_assert_int_eq(log.ev[0].kind, SMMU_CLIENT_EVENT_FAULT);
	ck_assert_uint_eq(log.ev[0].fault.type, 0x10);
	ck_assert_str_eq(log.ev[0].fault.type_name, "F_TRANSLATION");
	ck_assert_uint_eq(log.ev[0].fault.sid, 3);
	ck_assert_uint_eq(log.ev[0].fault.input_addr, 0xdead000);

	memset(txns, 0, sizeof(txns));
	rc = smmu_client_translate(h, "s0", &txns[0], &m, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(m.output, 0x1234);	/* not the stale 0xbad */
	ck_assert_uint_eq(smmu_client_events_pending(h), 1);
	ck_assert_int_eq(smmu_client_process_events(h), 1);
	ck_assert_int_eq(log.ev[1].kind, SMMU_CLIENT_EVENT_MSI);
	ck_assert_str_eq(log.ev[1].msi.smmu, "vmx/s0");
	ck_assert_uint_eq(log.ev[1].msi.address, 0xfee00000);
	ck_assert_uint_eq(log.ev[1].msi.data, 0x41);
	ck_assert_int_eq(smmu_client_process_events(h), 0);

	rc = smmu_client_translate(h, "s0", &txns[0], &m, NULL);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_SERVER_INVAL);
	ck_assert_str_eq(smmu_client_last_error(h), "invalid argument: boom");
	rc = smmu_client_translate(h, "s0", &txns[0], &m, NULL);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_PROTO);
	rc = smmu_client_translate(h, "s0", &txns[0], &m, NULL);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_PROTO);
	rc = smmu_client_translate_batch(h, "s0", txns, 2, ents, faults,
	    &hits);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_PROTO);
	rc = smmu_client_translate_batch(h, "s0", txns, 2, ents, faults,
	    &hits);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_PROTO);
	rc = smmu_client_translate_batch(h, "s0", txns, 2, ents, faults,
	    &hits);
	ck_assert_int_eq(rc, 1);
	ck_assert(!ents[0].fault);
	ck_assert_uint_eq(ents[0].output, 0x1000);
	ck_assert(ents[1].fault);
	ck_assert_uint_eq(faults[0].index, 1);
	ck_assert_uint_eq(hits, 1);

	/* The server hangs up: the handle is dead from then on. */
	rc = smmu_client_translate(h, "s0", &txns[0], &m, NULL);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_IO);
	ck_assert_str_eq(smmu_client_last_error(h),
	    "connection closed by server");
	rc = smmu_client_translate(h, "s0", &txns[0], &m, NULL);
	ck_assert_int_eq(rc, SMMU_CLIENT_E_IO);
	ck_assert_int_eq(smmu_client_process_events(h), SMMU_CLIENT_E_IO);
	smmu_client_close(h);
	fake_stop(&fk);
}
END_TEST

/* Push more events than the queue holds before answering Hello. */
static void
fk_flood(int fd)
{
	Smmu__V1__Request *req = fk_recv(fd);
	unsigned i;

	for (i = 0; i < SMMU_CLIENT_EVENT_QUEUE + 6; i++)
		fk_push_event(fd, 100 + i, false);
	fk_hello_reply(fd, req->id, 1);
	smmu__v1__request__free_unpacked(req, NULL);
	fk_drain(fd);
}

START_TEST(test_fake_event_overflow)
{
	struct fake fk;
	struct ev_log log;
	smmu_client_t *h;
	char err[256];
	int rc;

	rc = fake_connect(&fk, fk_flood, 2000, &h, err, sizeof(err));
	ck_assert_msg(rc == 0, "connect: %s", err);
	ck_assert_uint_eq(smmu_client_events_pending(h),
	    SMMU_CLIENT_EVENT_QUEUE + 1);
	memset(&log, 0, sizeof(log));
	smmu_client_set_event_cb(h, ev_cb, &log);
	rc = smmu_client_process_events(h);
	ck_assert_int_eq(rc, SMMU_CLIENT_EVENT_QUEUE + 1);
	/* The loss is reported first; the oldest events were kept. */
	ck_assert_int_eq(log.ev[0].kind, SMMU_CLIENT_EVENT_LOST);
	ck_assert_uint_eq(log.ev[0].lost, 6);
	ck_assert_uint_eq(log.ev[1].seq, 100);
	ck_assert_uint_eq(smmu_client_events_pending(h), 0);
	/* Without a callback, events are dropped. */
	smmu_client_set_event_cb(h, NULL, NULL);
	ck_assert_int_eq(smmu_client_process_events(h), 0);
	smmu_client_close(h);
	fake_stop(&fk);
}
END_TEST

START_TEST(test_strerror)
{
	int i;

	for (i = SMMU_CLIENT_E_BAD_ADDRESS; i <= SMMU_CLIENT_FAULT; i++)
		ck_assert_str_ne(smmu_client_strerror(i), "unknown error");
	ck_assert_str_eq(smmu_client_strerror(-1000), "unknown error");
	ck_assert_str_eq(smmu_client_strerror(SMMU_CLIENT_E_NOT_FOUND),
	    "not found");
	ck_assert_str_eq(smmu_client_last_error(NULL), "");
	ck_assert_str_ne(smmu_client_version(), "");
}
END_TEST

Suite *
client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = tcase_create("fake");
	tcase_add_test(tc, test_fake_transport_errors);
	tcase_add_test(tc, test_fake_script);
	tcase_add_test(tc, test_fake_event_overflow);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("basic");
	tcase_add_checked_fixture(tc, setup_basic, teardown);
	/* Each test starts its own smmud (slower under sanitizers). */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_hello);
	tcase_add_test(tc, test_connect_errors);
	tcase_add_test(tc, test_attach_list_detach);
	tcase_add_test(tc, test_bypass);
	tcase_add_test(tc, test_window_fault);
	tcase_add_test(tc, test_mem);
	tcase_add_test(tc, test_request_errors);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_add_checked_fixture(tc, setup_tables, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_translate_tables);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_invalidate_forms);
	tcase_add_test(tc, test_stale_then_invalidate);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_vmm);
	tcase_add_test(tc, test_share_errors);
	suite_add_tcase(s, tc);
	return s;
}
