/*
 * bench_cmdq.c - the guest-programmed interface: command-queue throughput
 * and the engine-internal part of MSI delivery latency.  Prints figures;
 * it is not a pass/fail test.
 *
 *  - commands consumed per second: batches of B TLBI_NH_VA followed by
 *    one CMD_SYNC (CS = SIG_IRQ, MSIAddress = the SYNC's own slot, data 0:
 *    Linux's MSI polling), one CMDQ_PROD write per batch, with an empty
 *    TLB and with a full one (4096 entries of the invalidated VMID/ASID);
 *  - latency from the CMDQ_PROD write of a lone CMD_SYNC to its MSI
 *    reaching the sink; from smmu_cmdq_exec() of a CMD_SYNC to the sink;
 *    from a faulting smmu_translate() to the EVTQ MSI reaching the sink
 *    (record written first).  Each includes one clock_gettime() pair.
 *
 * The command ring is filled once; per batch only the CMD_SYNC slot is
 * rewritten (the MSI clears its first word), so the guest's share of the
 * work stays out of the figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "regs.h"
#include "smmu.h"
#include "tbuild.h"

#define BC_RAM_BASE 0x40000000ull
#define BC_RAM_SIZE (64ull << 20)
#define BC_DOORBELL 0x08020040ull	/* not RAM: goes to the sink */
#define BC_IOVA 0x7f0000000000ull
#define BC_OTHER_IOVA 0x100000000000ull	/* TLBIs miss the entries */
#define BC_QLOG2 12
#define BC_NPAGES 4096
#define BC_LAT_ITERS 200000

static double
bc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The bench SMMU: sid 1 is stage 1 over BC_NPAGES pages, ASID 1. */
struct bc {
	struct tb *tb;
	struct smmu *s;
	uint64_t cmdq, evtq;
	uint64_t *ring;			/* host view of the ring */
	uint32_t prod;
	uint64_t tlbi_va;		/* VA the ring's TLBIs start at */
	double t_sink;			/* set by the sink */
	unsigned sinks;
};

static void
bc_sink(void *arg, unsigned source, uint64_t addr, uint32_t data)
{
	struct bc *b = arg;

	(void)source;
	(void)addr;
	(void)data;
	b->t_sink = bc_now_ns();
	b->sinks++;
}

static void
bc_w(struct bc *b, uint64_t off, unsigned size, uint64_t val)
{
	if (smmu_mmio_write(b->s, off, size, val) != 0)
		abort();
}

static void
bc_init(struct bc *b)
{
	struct smmu_features f;
	struct tb_pt pt;
	struct tb_ste ste;
	struct tb_cd cd;
	uint64_t strtab, cdp;
	unsigned i;

	memset(b, 0, sizeof(*b));
	b->tb = tb_create(BC_RAM_BASE, BC_RAM_SIZE);
	if (b->tb == NULL)
		abort();
	smmu_features_default(&f);
	f.tlb_entries = BC_NPAGES;
	b->s = smmu_create(&f, b->tb->g, NULL);
	if (b->s == NULL)
		abort();
	smmu_set_msi_sink(b->s, bc_sink, b);
	strtab = tb_strtab_linear(b->tb, 4);
	if (tb_pt_init(&pt, b->tb, false, 12, 48, -1) != 0)
		abort();
	for (i = 0; i < BC_NPAGES; i++)
		if (tb_pt_map(&pt, BC_IOVA + i * 4096ull,
		    0x100000000ull + i * 4096ull, 3, TB_S1_DEFAULT) != 0)
			abort();
	cdp = tb_alloc(b->tb, 64, 64);
	tb_cd_s1(&cd, &pt, 1);
	tb_put_cd(b->tb, cdp, &cd);
	tb_ste_s1(&ste, cdp);
	tb_put_ste(b->tb, strtab + 64, &ste);

	b->cmdq = tb_alloc(b->tb, 16ull << BC_QLOG2, 16ull << BC_QLOG2);
	b->evtq = tb_alloc(b->tb, 32ull << 4, 32ull << 4);
	b->ring = gmem_host_ptr(b->tb->g, b->cmdq, 16ull << BC_QLOG2);
	if (b->ring == NULL)
		abort();
	bc_w(b, SMMU_R_STRTAB_BASE, 8, strtab);
	bc_w(b, SMMU_R_STRTAB_BASE_CFG, 4, tb_strtab_cfg(4, 0, 0));
	bc_w(b, SMMU_R_CMDQ_BASE, 8, b->cmdq | BC_QLOG2);
	bc_w(b, SMMU_R_EVENTQ_BASE, 8, b->evtq | 4);
	bc_w(b, SMMU_R_EVENTQ_IRQ_CFG0, 8, BC_DOORBELL);
	bc_w(b, SMMU_R_IRQ_CTRL, 4, SMMU_IRQ_EVENTQ_IRQEN);
	bc_w(b, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN |
	    SMMU_CR0_EVENTQEN);
}

static void
bc_fini(struct bc *b)
{
	smmu_destroy(b->s);
	tb_destroy(b->tb);
}

/* Fill every ring slot with TLBI_NH_VA(VMID 0, ASID 1, a spread VA). */
static void
bc_fill_tlbi(struct bc *b, uint64_t va)
{
	unsigned i;

	b->tlbi_va = va;
	for (i = 0; i < (1u << BC_QLOG2); i++) {
		b->ring[2 * i] = 0x12 | (1ull << 48);
		b->ring[2 * i + 1] = va + (uint64_t)(i & (BC_NPAGES - 1)) *
		    4096;
	}
}

/* Load the TLB with every page of sid 1. */
static void
bc_fill_tlb(struct bc *b)
{
	struct smmu_txn t = { .sid = 1, .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event ev;
	unsigned i;

	for (i = 0; i < BC_NPAGES; i++) {
		t.iova = BC_IOVA + i * 4096ull;
		if (smmu_translate(b->s, &t, &x, &ev) != SMMU_XLATE_OK)
			abort();
	}
}

/*
 * Consume batches of ntlbi TLBI_NH_VA + CMD_SYNC for secs; returns
 * commands per second.  *bad counts SYNCs whose MSI did not land.
 */
static double
bc_throughput(struct bc *b, unsigned ntlbi, double secs, unsigned *bad)
{
	uint32_t mask = (1u << (BC_QLOG2 + 1)) - 1, qmask = mask >> 1;
	uint64_t cmds = 0, slot;
	uint32_t sync;
	double t0, t1, deadline;
	unsigned i;

	*bad = 0;
	t0 = bc_now_ns();
	deadline = t0 + secs * 1e9;
	do {
		for (i = 0; i < 256; i++) {
			sync = (b->prod + ntlbi) & mask;
			slot = sync & qmask;
			/* CMD_SYNC, CS = SIG_IRQ, MSIData 0, MSIAddress =
			 * its own slot. */
			b->ring[2 * slot] = 0x46 | (1ull << 12);
			b->ring[2 * slot + 1] = b->cmdq + slot * 16;
			b->prod = (sync + 1) & mask;
			bc_w(b, SMMU_R_CMDQ_PROD, 4, b->prod);
			if ((uint32_t)b->ring[2 * slot] != 0)
				(*bad)++;
			/* Back to a TLBI for the next lap. */
			b->ring[2 * slot] = 0x12 | (1ull << 48);
			b->ring[2 * slot + 1] = b->tlbi_va +
			    (slot & (BC_NPAGES - 1)) * 4096;
			cmds += ntlbi + 1;
		}
		t1 = bc_now_ns();
	} while (t1 < deadline);
	return cmds / (t1 - t0) * 1e9;
}

/* Sort helper for the latency samples. */
static int
bc_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Print min/median/mean of n samples (ns). */
static void
bc_print_lat(const char *name, double *v, unsigned n)
{
	double sum = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		sum += v[i];
	qsort(v, n, sizeof(*v), bc_cmp);
	printf("%-46s min %6.0f ns  median %6.0f ns  mean %6.0f ns  "
	    "p99 %6.0f ns\n", name, v[0], v[n / 2], sum / n,
	    v[(unsigned)(n * 0.99)]);
}

/* Latency from a CMDQ_PROD write of a lone CMD_SYNC to its sink call. */
static void
bc_lat_sync(struct bc *b, double *v, unsigned n)
{
	uint32_t mask = (1u << (BC_QLOG2 + 1)) - 1, qmask = mask >> 1;
	unsigned i, before;
	double t0;

	for (i = 0; i < n; i++) {
		b->ring[2 * (b->prod & qmask)] = 0x46 | (1ull << 12) |
		    ((uint64_t)i << 32);
		b->ring[2 * (b->prod & qmask) + 1] = BC_DOORBELL;
		b->prod = (b->prod + 1) & mask;
		before = b->sinks;
		t0 = bc_now_ns();
		bc_w(b, SMMU_R_CMDQ_PROD, 4, b->prod);
		if (b->sinks != before + 1)
			abort();
		v[i] = b->t_sink - t0;
	}
}

/* Latency from smmu_cmdq_exec() of a CMD_SYNC to its sink call. */
static void
bc_lat_exec(struct bc *b, double *v, unsigned n)
{
	uint64_t cmd[2] = { 0x46 | (1ull << 12), BC_DOORBELL };
	unsigned i, done;
	double t0;

	for (i = 0; i < n; i++) {
		t0 = bc_now_ns();
		if (smmu_cmdq_exec(b->s, cmd, 1, &done) != 0 || done != 1)
			abort();
		v[i] = b->t_sink - t0;
	}
}

/* Latency from a faulting translation to the EVTQ MSI's sink call. */
static void
bc_lat_fault(struct bc *b, double *v, unsigned n)
{
	struct smmu_txn t = { .sid = 1, .access = SMMU_ACC_READ,
	    .iova = BC_OTHER_IOVA };
	struct smmu_xlate x;
	struct smmu_event ev;
	uint64_t prod;
	unsigned i, before;
	double t0;

	for (i = 0; i < n; i++) {
		before = b->sinks;
		t0 = bc_now_ns();
		if (smmu_translate(b->s, &t, &x, &ev) != SMMU_XLATE_FAULT)
			abort();
		if (b->sinks != before + 1)
			abort();
		v[i] = b->t_sink - t0;
		/* Consume the record: the queue is empty again. */
		if (smmu_mmio_read(b->s, SMMU_R_EVENTQ_PROD, 4, &prod) != 0)
			abort();
		bc_w(b, SMMU_R_EVENTQ_CONS, 4, prod);
	}
}

void
bench_cmdq_run(double secs)
{
	static const unsigned batch[] = { 1, 7, 31, 63, 255 };
	struct smmu_queue_stats st;
	struct bc b;
	double *v, t0, clk, r;
	unsigned i, bad;

	bc_init(&b);
	printf("cmdq: TLBI_NH_VA x B + CMD_SYNC (MSI poll), one CMDQ_PROD "
	    "write per batch, 2^%u-entry queue\n", BC_QLOG2);
	bc_fill_tlbi(&b, BC_OTHER_IOVA);
	for (i = 0; i < sizeof(batch) / sizeof(batch[0]); i++) {
		r = bc_throughput(&b, batch[i], secs, &bad);
		printf("  B = %3u, empty TLB          %8.2f M commands/s%s\n",
		    batch[i], r / 1e6, bad ? "  MSI MISSING" : "");
	}
	bc_fill_tlb(&b);
	for (i = 0; i < sizeof(batch) / sizeof(batch[0]); i++) {
		r = bc_throughput(&b, batch[i], secs, &bad);
		printf("  B = %3u, TLB 4096 entries   %8.2f M commands/s%s\n",
		    batch[i], r / 1e6, bad ? "  MSI MISSING" : "");
	}

	v = calloc(BC_LAT_ITERS, sizeof(*v));
	if (v == NULL)
		abort();
	t0 = bc_now_ns();
	for (i = 0; i < 1000000; i++)
		(void)bc_now_ns();
	clk = (bc_now_ns() - t0) / 1e6;
	printf("msi latency (engine-internal; clock_gettime costs %.0f ns, "
	    "included once)\n", clk);
	bc_lat_sync(&b, v, BC_LAT_ITERS);
	bc_print_lat("  CMDQ_PROD write (CMD_SYNC) -> sink", v, BC_LAT_ITERS);
	bc_lat_exec(&b, v, BC_LAT_ITERS);
	bc_print_lat("  smmu_cmdq_exec(CMD_SYNC) -> sink", v, BC_LAT_ITERS);
	bc_lat_fault(&b, v, BC_LAT_ITERS);
	bc_print_lat("  faulting translate -> record -> EVTQ sink", v,
	    BC_LAT_ITERS);
	free(v);
	smmu_queue_stats_get(b.s, &st);
	printf("  (%llu commands in %llu runs, %llu syncs, %llu errors, "
	    "%llu events)\n", (unsigned long long)st.cmds,
	    (unsigned long long)st.cmd_runs,
	    (unsigned long long)st.cmd_syncs,
	    (unsigned long long)st.cmd_errors,
	    (unsigned long long)st.evt_recorded);
	bc_fini(&b);
}
