/*
 * test_msi.c - interrupts: EVTQ, GERROR and CMD_SYNC MSIs into guest RAM
 * or to the sink, aborted MSIs (GERROR.MSI_*_ABT_ERR, and no GERROR
 * interrupt for MSI_GERROR_ABT_ERR), IRQ_CTRL gating, wired interrupts,
 * OAS truncation, replacing the sink, IRQ_CTRL waiting for an MSI in
 * flight, and MSIs raised from several threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regs.h"
#include "smmu.h"
#include "suites.h"
#include "tbuild.h"

#define M_RAM_BASE 0x40000000ull
#define M_RAM_SIZE (16ull << 20)
#define M_DOORBELL 0x08010000ull
#define M_VA 0x7f0000200000ull

struct m_irq {
	unsigned source;
	uint64_t addr;
	uint32_t data;
};

struct mfx {
	struct tb *tb;
	struct smmu *s;
	uint64_t evtq, cmdq, ram_msi;
	uint32_t prod;
	unsigned nirq;
	struct m_irq irq[16];
};

static void
m_sink(void *arg, unsigned source, uint64_t addr, uint32_t data)
{
	struct mfx *fx = arg;

	if (fx->nirq < 16)
		fx->irq[fx->nirq] = (struct m_irq){ source, addr, data };
	fx->nirq++;
}

static void
m_wr(struct mfx *fx, uint64_t off, unsigned size, uint64_t val)
{
	ck_assert_int_eq(smmu_mmio_write(fx->s, off, size, val), 0);
}

static uint64_t
m_rd(struct mfx *fx, uint64_t off)
{
	uint64_t v;

	ck_assert_int_eq(smmu_mmio_read(fx->s, off, 4, &v), 0);
	return v;
}

/*
 * An enabled SMMU with a stage-1 stream 1 (faults recorded), an event
 * queue, a command queue, both interrupts enabled but not configured,
 * and the sink installed.
 */
static void
m_init_feat(struct mfx *fx, const struct smmu_features *f)
{
	struct smmu_features def;
	struct tb_pt pt;
	struct tb_ste ste;
	struct tb_cd cd;
	uint64_t strtab, cdp;

	memset(fx, 0, sizeof(*fx));
	fx->tb = tb_create(M_RAM_BASE, M_RAM_SIZE);
	ck_assert_ptr_nonnull(fx->tb);
	if (f == NULL) {
		smmu_features_default(&def);
		f = &def;
	}
	fx->s = smmu_create(f, fx->tb->g, NULL);
	ck_assert_ptr_nonnull(fx->s);
	smmu_set_msi_sink(fx->s, m_sink, fx);
	strtab = tb_strtab_linear(fx->tb, 4);
	ck_assert_int_eq(tb_pt_init(&pt, fx->tb, false, 12, 48, -1), 0);
	cdp = tb_alloc(fx->tb, 64, 64);
	tb_cd_s1(&cd, &pt, 1);
	tb_put_cd(fx->tb, cdp, &cd);
	tb_ste_s1(&ste, cdp);
	tb_put_ste(fx->tb, strtab + 64, &ste);
	fx->evtq = tb_alloc(fx->tb, 32 << 4, 32 << 4);
	fx->cmdq = tb_alloc(fx->tb, 16 << 6, 16 << 6);
	fx->ram_msi = tb_alloc(fx->tb, 64, 64);
	m_wr(fx, SMMU_R_STRTAB_BASE, 8, strtab);
	m_wr(fx, SMMU_R_STRTAB_BASE_CFG, 4, 4);
	m_wr(fx, SMMU_R_EVENTQ_BASE, 8, fx->evtq | 4);
	m_wr(fx, SMMU_R_CMDQ_BASE, 8, fx->cmdq | 6);
	m_wr(fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_EVENTQEN |
	    SMMU_CR0_CMDQEN);
}

static void
m_init(struct mfx *fx)
{
	m_init_feat(fx, NULL);
}

static void
m_fini(struct mfx *fx)
{
	smmu_destroy(fx->s);
	tb_destroy(fx->tb);
}

/* Program one source's MSI (EVTQ or GERROR) and enable it. */
static void
m_cfg(struct mfx *fx, unsigned source, uint64_t addr, uint32_t data)
{
	uint64_t ctrl = m_rd(fx, SMMU_R_IRQ_CTRL);
	uint32_t en = source == SMMU_MSI_EVTQ ? SMMU_IRQ_EVENTQ_IRQEN :
	    SMMU_IRQ_GERROR_IRQEN;

	m_wr(fx, SMMU_R_IRQ_CTRL, 4, ctrl & ~en);
	if (source == SMMU_MSI_EVTQ) {
		m_wr(fx, SMMU_R_EVENTQ_IRQ_CFG0, 8, addr);
		m_wr(fx, SMMU_R_EVENTQ_IRQ_CFG1, 4, data);
	} else {
		m_wr(fx, SMMU_R_GERROR_IRQ_CFG0, 8, addr);
		m_wr(fx, SMMU_R_GERROR_IRQ_CFG1, 4, data);
	}
	m_wr(fx, SMMU_R_IRQ_CTRL, 4, ctrl | en);
}

/* A recorded fault into an empty event queue (consumed afterwards). */
static void
m_fault(struct mfx *fx)
{
	struct smmu_txn t = { .sid = 1, .iova = M_VA,
	    .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;

	ck_assert_int_eq(smmu_translate(fx->s, &t, &x, &e),
	    SMMU_XLATE_FAULT);
	m_wr(fx, SMMU_R_EVENTQ_CONS, 4, m_rd(fx, SMMU_R_EVENTQ_PROD));
}

/* Run a CMD_SYNC with CS = SIG_IRQ through the command queue. */
static void
m_sync(struct mfx *fx, uint64_t addr, uint32_t data)
{
	uint64_t slot = fx->cmdq + 16ull * (fx->prod & 63);

	tb_w64(fx->tb, slot, 0x46 | 1ull << 12 | (uint64_t)data << 32);
	tb_w64(fx->tb, slot + 8, addr);
	fx->prod = (fx->prod + 1) & 127;
	m_wr(fx, SMMU_R_CMDQ_PROD, 4, fx->prod);
}

static uint32_t
m_ram32(struct mfx *fx, uint64_t gpa)
{
	uint32_t v;

	ck_assert_int_eq(gmem_read32(fx->tb->g, gpa, &v), 0);
	return v;
}

START_TEST(test_msi_to_ram)
{
	struct smmu_queue_stats st;
	struct mfx fx;

	m_init(&fx);
	m_cfg(&fx, SMMU_MSI_EVTQ, fx.ram_msi, 0x1111);
	m_fault(&fx);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi), 0x1111);
	m_sync(&fx, fx.ram_msi + 4, 0x2222);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi + 4), 0x2222);
	/* GERROR: an illegal command. */
	m_cfg(&fx, SMMU_MSI_GERROR, fx.ram_msi + 8, 0x3333);
	tb_w64(fx.tb, fx.cmdq + 16ull * fx.prod, 0xff);
	fx.prod++;
	m_wr(&fx, SMMU_R_CMDQ_PROD, 4, fx.prod);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi + 8), 0x3333);
	ck_assert_uint_eq(fx.nirq, 0);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].raised, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].ram, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].ram, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_GERROR].ram, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_PRIQ].raised, 0);
	m_fini(&fx);
}
END_TEST

START_TEST(test_msi_to_sink)
{
	struct smmu_queue_stats st;
	struct mfx fx;

	m_init(&fx);
	m_cfg(&fx, SMMU_MSI_EVTQ, M_DOORBELL, 0x41);
	m_cfg(&fx, SMMU_MSI_GERROR, M_DOORBELL + 4, 0x42);
	m_fault(&fx);
	m_sync(&fx, M_DOORBELL + 8, 0x43);
	tb_w64(fx.tb, fx.cmdq + 16ull * fx.prod, 0xff);
	fx.prod++;
	m_wr(&fx, SMMU_R_CMDQ_PROD, 4, fx.prod);
	ck_assert_uint_eq(fx.nirq, 3);
	ck_assert_uint_eq(fx.irq[0].source, SMMU_MSI_EVTQ);
	ck_assert_uint_eq(fx.irq[0].addr, M_DOORBELL);
	ck_assert_uint_eq(fx.irq[0].data, 0x41);
	ck_assert_uint_eq(fx.irq[1].source, SMMU_MSI_CMD_SYNC);
	ck_assert_uint_eq(fx.irq[1].addr, M_DOORBELL + 8);
	ck_assert_uint_eq(fx.irq[1].data, 0x43);
	ck_assert_uint_eq(fx.irq[2].source, SMMU_MSI_GERROR);
	ck_assert_uint_eq(fx.irq[2].addr, M_DOORBELL + 4);
	ck_assert_uint_eq(fx.irq[2].data, 0x42);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].sink, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_GERROR].sink, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].sink, 1);
	m_fini(&fx);
}
END_TEST

/*
 * No sink and not RAM: the MSI aborts and activates its MSI_*_ABT_ERR,
 * whose GERROR interrupt goes out, except for MSI_GERROR_ABT_ERR.
 */
START_TEST(test_msi_abort)
{
	struct smmu_queue_stats st;
	struct mfx fx;

	m_init(&fx);
	smmu_set_msi_sink(fx.s, NULL, NULL);
	m_cfg(&fx, SMMU_MSI_GERROR, fx.ram_msi, 0x77);
	m_cfg(&fx, SMMU_MSI_EVTQ, M_DOORBELL, 0x41);
	m_fault(&fx);
	ck_assert_uint_eq(m_rd(&fx, SMMU_R_GERROR),
	    SMMU_GERROR_MSI_EVENTQ_ABT_ERR);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi), 0x77);
	/* Still active: a second abort does not re-toggle or re-signal. */
	tb_w64(fx.tb, fx.ram_msi, 0);
	m_fault(&fx);
	ck_assert_uint_eq(m_rd(&fx, SMMU_R_GERROR),
	    SMMU_GERROR_MSI_EVENTQ_ABT_ERR);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi), 0);
	/* CMD_SYNC to nowhere: MSI_CMDQ_ABT_ERR. */
	m_sync(&fx, M_DOORBELL, 1);
	ck_assert_uint_eq(m_rd(&fx, SMMU_R_GERROR),
	    SMMU_GERROR_MSI_EVENTQ_ABT_ERR | SMMU_GERROR_MSI_CMDQ_ABT_ERR);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi), 0x77);
	/* The GERROR MSI itself to nowhere: MSI_GERROR_ABT_ERR, and no
	 * further GERROR interrupt for it. */
	m_cfg(&fx, SMMU_MSI_GERROR, M_DOORBELL + 4, 0x78);
	m_wr(&fx, SMMU_R_GERRORN, 4, SMMU_GERROR_MSI_EVENTQ_ABT_ERR);
	m_fault(&fx);
	ck_assert_uint_eq(m_rd(&fx, SMMU_R_GERROR),
	    SMMU_GERROR_MSI_CMDQ_ABT_ERR | SMMU_GERROR_MSI_GERROR_ABT_ERR);
	ck_assert_uint_eq((m_rd(&fx, SMMU_R_GERROR) ^
	    m_rd(&fx, SMMU_R_GERRORN)), SMMU_GERROR_MSI_EVENTQ_ABT_ERR |
	    SMMU_GERROR_MSI_CMDQ_ABT_ERR | SMMU_GERROR_MSI_GERROR_ABT_ERR);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].aborted, 3);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].aborted, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_GERROR].raised, 3);
	ck_assert_uint_eq(st.msi[SMMU_MSI_GERROR].ram, 2);
	ck_assert_uint_eq(st.msi[SMMU_MSI_GERROR].aborted, 1);
	ck_assert_uint_eq(st.gerrors, 4);
	m_fini(&fx);
}
END_TEST

/* IRQ_CTRL enables gate EVTQ and GERROR, not CMD_SYNC. */
START_TEST(test_msi_gating)
{
	struct smmu_queue_stats st;
	struct mfx fx;

	m_init(&fx);
	m_cfg(&fx, SMMU_MSI_EVTQ, M_DOORBELL, 1);
	m_cfg(&fx, SMMU_MSI_GERROR, M_DOORBELL + 4, 2);
	m_wr(&fx, SMMU_R_IRQ_CTRL, 4, 0);
	m_fault(&fx);
	tb_w64(fx.tb, fx.cmdq, 0xff);
	fx.prod = 1;
	m_wr(&fx, SMMU_R_CMDQ_PROD, 4, 1);
	ck_assert_uint_eq(fx.nirq, 0);
	ck_assert_uint_eq(m_rd(&fx, SMMU_R_GERROR), SMMU_GERROR_CMDQ_ERR);
	tb_w64(fx.tb, fx.cmdq, 0x46 | 1ull << 12 | 9ull << 32);
	tb_w64(fx.tb, fx.cmdq + 8, M_DOORBELL + 8);
	m_wr(&fx, SMMU_R_GERRORN, 4, SMMU_GERROR_CMDQ_ERR);
	ck_assert_uint_eq(fx.nirq, 1);
	ck_assert_uint_eq(fx.irq[0].source, SMMU_MSI_CMD_SYNC);
	ck_assert_uint_eq(fx.irq[0].data, 9);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].masked, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_GERROR].masked, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].raised, 0);
	m_fini(&fx);
}
END_TEST

/* ADDR = 0, MSIAddress = 0, or no MSI support: wired interrupts. */
START_TEST(test_msi_wired)
{
	struct smmu_queue_stats st;
	struct smmu_features f;
	struct mfx fx;

	m_init(&fx);
	m_cfg(&fx, SMMU_MSI_EVTQ, 0, 5);
	m_fault(&fx);
	m_sync(&fx, 0, 6);
	ck_assert_uint_eq(fx.nirq, 2);
	ck_assert_uint_eq(fx.irq[0].source, SMMU_MSI_EVTQ);
	ck_assert_uint_eq(fx.irq[0].addr, 0);
	ck_assert_uint_eq(fx.irq[0].data, 0);
	ck_assert_uint_eq(fx.irq[1].source, SMMU_MSI_CMD_SYNC);
	ck_assert_uint_eq(fx.irq[1].addr, 0);
	/* No sink: a wired interrupt is not an abort. */
	smmu_set_msi_sink(fx.s, NULL, NULL);
	m_sync(&fx, 0, 6);
	ck_assert_uint_eq(m_rd(&fx, SMMU_R_GERROR), 0);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].wired, 2);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].sink, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].aborted, 0);
	m_fini(&fx);

	smmu_features_default(&f);
	f.msi = false;
	m_init_feat(&fx, &f);
	m_cfg(&fx, SMMU_MSI_EVTQ, fx.ram_msi, 5);	/* RES0: ignored */
	m_fault(&fx);
	m_sync(&fx, fx.ram_msi + 4, 6);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi), 0);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi + 4), 0);
	ck_assert_uint_eq(fx.nirq, 2);
	ck_assert_uint_eq(fx.irq[0].addr, 0);
	ck_assert_uint_eq(fx.irq[1].source, SMMU_MSI_CMD_SYNC);
	ck_assert_uint_eq(fx.irq[1].addr, 0);
	m_fini(&fx);
}
END_TEST

/* An MSI address is truncated to the OAS. */
START_TEST(test_msi_oas)
{
	struct smmu_features f;
	struct mfx fx;

	smmu_features_default(&f);
	f.oas = 40;
	m_init_feat(&fx, &f);
	m_sync(&fx, (1ull << 44) | fx.ram_msi, 0xabc);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi), 0xabc);
	m_cfg(&fx, SMMU_MSI_EVTQ, (1ull << 50) | (fx.ram_msi + 4), 0xdef);
	m_fault(&fx);
	ck_assert_uint_eq(m_ram32(&fx, fx.ram_msi + 4), 0xdef);
	ck_assert_uint_eq(fx.nirq, 0);
	m_fini(&fx);
}
END_TEST

static void
m_sink2(void *arg, unsigned source, uint64_t addr, uint32_t data)
{
	unsigned *n = arg;

	(*n)++;
}

START_TEST(test_msi_sink_swap)
{
	struct mfx fx;
	unsigned n2 = 0;

	m_init(&fx);
	m_sync(&fx, M_DOORBELL, 1);
	smmu_set_msi_sink(fx.s, m_sink2, &n2);
	m_sync(&fx, M_DOORBELL, 2);
	m_sync(&fx, M_DOORBELL, 3);
	ck_assert_uint_eq(fx.nirq, 1);
	ck_assert_uint_eq(n2, 2);
	smmu_set_msi_sink(fx.s, NULL, &n2);
	m_sync(&fx, M_DOORBELL, 4);
	ck_assert_uint_eq(n2, 2);
	ck_assert_uint_eq(m_rd(&fx, SMMU_R_GERROR),
	    SMMU_GERROR_MSI_CMDQ_ABT_ERR);
	m_fini(&fx);
}
END_TEST

/* A sink that blocks until released, to hold an MSI in flight. */
struct m_block {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool entered, release, ctrl_done;
	struct smmu *s;
};

static void
m_block_sink(void *arg, unsigned source, uint64_t addr, uint32_t data)
{
	struct m_block *b = arg;

	pthread_mutex_lock(&b->mu);
	b->entered = true;
	pthread_cond_broadcast(&b->cv);
	while (!b->release)
		pthread_cond_wait(&b->cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
}

static void *
m_fault_thread(void *arg)
{
	struct m_block *b = arg;
	struct smmu_txn t = { .sid = 1, .iova = M_VA,
	    .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;

	(void)smmu_translate(b->s, &t, &x, &e);
	return NULL;
}

static void *
m_ctrl_thread(void *arg)
{
	struct m_block *b = arg;

	(void)smmu_mmio_write(b->s, SMMU_R_IRQ_CTRL, 4, 0);
	pthread_mutex_lock(&b->mu);
	b->ctrl_done = true;
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/*
 * IRQ_CTRL clearing EVENTQ_IRQEN completes only after the MSI in flight
 * (SMMUv3 6.3.15): the write stays blocked while the sink runs.
 */
START_TEST(test_msi_irq_ctrl_waits)
{
	struct m_block b = { .mu = PTHREAD_MUTEX_INITIALIZER,
	    .cv = PTHREAD_COND_INITIALIZER };
	pthread_t tf, tc;
	struct mfx fx;
	bool done;

	m_init(&fx);
	b.s = fx.s;
	m_cfg(&fx, SMMU_MSI_EVTQ, M_DOORBELL, 1);
	smmu_set_msi_sink(fx.s, m_block_sink, &b);
	ck_assert_int_eq(pthread_create(&tf, NULL, m_fault_thread, &b), 0);
	pthread_mutex_lock(&b.mu);
	while (!b.entered)
		pthread_cond_wait(&b.cv, &b.mu);
	pthread_mutex_unlock(&b.mu);
	ck_assert_int_eq(pthread_create(&tc, NULL, m_ctrl_thread, &b), 0);
	usleep(50000);
	pthread_mutex_lock(&b.mu);
	done = b.ctrl_done;
	b.release = true;
	pthread_cond_broadcast(&b.cv);
	pthread_mutex_unlock(&b.mu);
	ck_assert(!done);
	ck_assert_int_eq(pthread_join(tf, NULL), 0);
	ck_assert_int_eq(pthread_join(tc, NULL), 0);
	ck_assert(b.ctrl_done);
	ck_assert_uint_eq(m_rd(&fx, SMMU_R_IRQ_CTRLACK), 0);
	smmu_set_msi_sink(fx.s, NULL, NULL);
	m_fini(&fx);
	pthread_mutex_destroy(&b.mu);
	pthread_cond_destroy(&b.cv);
}
END_TEST

/* CMD_SYNC MSIs from several threads while the sink is swapped. */
struct m_thr {
	struct smmu *s;
	unsigned n;
	unsigned bad;
};

static void *
m_exec_thread(void *arg)
{
	struct m_thr *t = arg;
	uint64_t cmd[2] = { 0x46 | 1ull << 12, M_DOORBELL };
	unsigned i, done;

	for (i = 0; i < t->n; i++)
		if (smmu_cmdq_exec(t->s, cmd, 1, &done) != 0 || done != 1)
			t->bad++;
	return NULL;
}

static void
m_count_sink(void *arg, unsigned source, uint64_t addr, uint32_t data)
{
	uint64_t *n = arg;

	__atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
}

START_TEST(test_msi_concurrent)
{
	struct smmu_queue_stats st;
	struct m_thr thr[3];
	pthread_t th[3];
	uint64_t na = 0, nb = 0;
	struct mfx fx;
	unsigned i;

	m_init(&fx);
	smmu_set_msi_sink(fx.s, m_count_sink, &na);
	for (i = 0; i < 3; i++) {
		thr[i] = (struct m_thr){ fx.s, 5000, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, m_exec_thread,
		    &thr[i]), 0);
	}
	for (i = 0; i < 300; i++)
		smmu_set_msi_sink(fx.s, m_count_sink, i & 1 ? &na : &nb);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_uint_eq(thr[i].bad, 0);
	}
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].raised, 15000);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].sink, 15000);
	ck_assert_uint_eq(na + nb, 15000);
	ck_assert_uint_eq(st.cmd_syncs, 15000);
	m_fini(&fx);
}
END_TEST

Suite *
msi_suite(void)
{
	Suite *s = suite_create("msi");
	TCase *tc = tcase_create("interrupts");

	tcase_add_test(tc, test_msi_to_ram);
	tcase_add_test(tc, test_msi_to_sink);
	tcase_add_test(tc, test_msi_abort);
	tcase_add_test(tc, test_msi_gating);
	tcase_add_test(tc, test_msi_wired);
	tcase_add_test(tc, test_msi_oas);
	tcase_add_test(tc, test_msi_sink_swap);
	tcase_add_test(tc, test_msi_irq_ctrl_waits);
	tcase_add_test(tc, test_msi_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
