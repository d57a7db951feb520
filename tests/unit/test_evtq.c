/*
 * test_evtq.c - the event queue: records written at PROD for recorded
 * faults only, wrap-around, EVENTQEN, EVENTQ_ABT_ERR, the empty ->
 * non-empty interrupt, overflow and OVFLG/OVACKFLG, queue geometry and
 * concurrent faulting translations.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "regs.h"
#include "smmu.h"
#include "suites.h"
#include "tbuild.h"

#define E_RAM_BASE 0x40000000ull
#define E_RAM_SIZE (32ull << 20)
#define E_UNBACKED 0x20000000ull
#define E_DOORBELL 0x08010000ull
#define E_VA 0x7f0000200000ull
#define E_OUT 0x100000000ull

struct efx {
	struct tb *tb;
	struct smmu *s;
	uint64_t strtab;
	uint64_t q;
	unsigned log2;
	unsigned nirq;
	unsigned last_source;
	uint64_t last_addr;
	uint32_t last_data;
};

static void
e_sink(void *arg, unsigned source, uint64_t addr, uint32_t data)
{
	struct efx *fx = arg;

	__atomic_fetch_add(&fx->nirq, 1, __ATOMIC_RELAXED);
	fx->last_source = source;
	fx->last_addr = addr;
	fx->last_data = data;
}

static void
e_wr(struct efx *fx, uint64_t off, unsigned size, uint64_t val)
{
	ck_assert_int_eq(smmu_mmio_write(fx->s, off, size, val), 0);
}

static uint64_t
e_rd(struct efx *fx, uint64_t off)
{
	uint64_t v;

	ck_assert_int_eq(smmu_mmio_read(fx->s, off, 4, &v), 0);
	return v;
}

/*
 * An enabled SMMU (features f or defaults) with an event queue of 2^log2
 * records at q (0: allocate), the EVTQ interrupt to E_DOORBELL, and:
 * sid 1 stage 1 (CD.R = 1) with one page at E_VA; sid 2 the same with
 * CD.R = 0; sid 3 an abort STE.
 */
static void
e_init_feat(struct efx *fx, const struct smmu_features *f, unsigned log2,
    uint64_t q)
{
	struct smmu_features def;
	struct tb_pt pt;
	struct tb_ste ste;
	struct tb_cd cd;
	uint64_t cdp;
	unsigned sid;

	memset(fx, 0, sizeof(*fx));
	fx->tb = tb_create(E_RAM_BASE, E_RAM_SIZE);
	ck_assert_ptr_nonnull(fx->tb);
	if (f == NULL) {
		smmu_features_default(&def);
		f = &def;
	}
	fx->s = smmu_create(f, fx->tb->g, NULL);
	ck_assert_ptr_nonnull(fx->s);
	smmu_set_msi_sink(fx->s, e_sink, fx);
	fx->strtab = tb_strtab_linear(fx->tb, 6);
	ck_assert_int_eq(tb_pt_init(&pt, fx->tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt, E_VA, E_OUT, 3, TB_S1_DEFAULT), 0);
	for (sid = 1; sid <= 2; sid++) {
		cdp = tb_alloc(fx->tb, 64, 64);
		tb_cd_s1(&cd, &pt, sid);
		cd.r = sid == 1;
		tb_put_cd(fx->tb, cdp, &cd);
		tb_ste_s1(&ste, cdp);
		tb_put_ste(fx->tb, fx->strtab + 64 * sid, &ste);
	}
	memset(&ste, 0, sizeof(ste));
	ste.v = true;
	tb_put_ste(fx->tb, fx->strtab + 64 * 3, &ste);
	fx->log2 = log2;
	fx->q = q != 0 ? q : tb_alloc(fx->tb, 32ull << log2, 32ull << log2);
	e_wr(fx, SMMU_R_STRTAB_BASE, 8, fx->strtab);
	e_wr(fx, SMMU_R_STRTAB_BASE_CFG, 4, 6);
	e_wr(fx, SMMU_R_EVENTQ_BASE, 8, fx->q | log2);
	e_wr(fx, SMMU_R_EVENTQ_IRQ_CFG0, 8, E_DOORBELL);
	e_wr(fx, SMMU_R_EVENTQ_IRQ_CFG1, 4, 0xee);
	e_wr(fx, SMMU_R_IRQ_CTRL, 4, SMMU_IRQ_EVENTQ_IRQEN);
	e_wr(fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_EVENTQEN);
}

static void
e_init(struct efx *fx, unsigned log2)
{
	e_init_feat(fx, NULL, log2, 0);
}

static void
e_fini(struct efx *fx)
{
	smmu_destroy(fx->s);
	tb_destroy(fx->tb);
}

/* A faulting translation of stream sid at page n past E_VA. */
static void
e_fault(struct efx *fx, uint32_t sid, unsigned n, struct smmu_event *e)
{
	struct smmu_txn t = { .sid = sid, .access = SMMU_ACC_READ };
	struct smmu_xlate x;

	t.iova = E_VA + 4096ull * (n + 1);
	ck_assert_int_eq(smmu_translate(fx->s, &t, &x, e), SMMU_XLATE_FAULT);
}

/* The record in slot idx. */
static void
e_slot(struct efx *fx, unsigned idx, uint64_t rec[4])
{
	ck_assert_int_eq(gmem_read_words(fx->tb->g, fx->q + 32ull * idx,
	    rec, 4), 0);
}

START_TEST(test_evtq_records)
{
	struct smmu_queue_stats st;
	struct smmu_event e;
	struct efx fx;
	uint64_t rec[4], want[4];
	unsigned i;

	e_init(&fx, 4);
	for (i = 0; i < 3; i++) {
		e_fault(&fx, 1, i, &e);
		ck_assert(e.record);
		ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), i + 1);
		e_slot(&fx, i, rec);
		smmu_event_pack(&e, want);
		ck_assert_mem_eq(rec, want, sizeof(rec));
		/* F_TRANSLATION, StreamID 1; RnW; CLASS = IN; InputAddr. */
		ck_assert_uint_eq(rec[0], 0x10 | 1ull << 32);
		ck_assert_uint_eq(rec[1], 1ull << 35 | 2ull << 40);
		ck_assert_uint_eq(rec[2], E_VA + 4096ull * (i + 1));
		ck_assert_uint_eq(rec[3], 0);
	}
	/* Unrecorded faults write nothing: CD.R = 0, and STE abort. */
	e_fault(&fx, 2, 0, &e);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_TRANSLATION);
	ck_assert(!e.record);
	e_fault(&fx, 3, 0, &e);
	ck_assert_uint_eq(e.type, SMMU_EVT_NONE);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 3);
	e_slot(&fx, 3, rec);
	ck_assert_uint_eq(rec[0] | rec[1] | rec[2] | rec[3], 0);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_recorded, 3);
	ck_assert_uint_eq(st.evt_overflow, 0);
	ck_assert_uint_eq(st.evt_discarded, 0);
	e_fini(&fx);
}
END_TEST

/* A 4-record queue over ten records, consumed in between. */
START_TEST(test_evtq_wrap)
{
	struct smmu_event e;
	struct efx fx;
	uint64_t rec[4];
	uint32_t cons = 0;
	unsigned i, k = 0;

	e_init(&fx, 2);
	for (i = 0; i < 10; i++) {
		e_fault(&fx, 1, i, &e);
		ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), (i + 1) & 7);
		if (i % 3 != 2 && i != 9)
			continue;
		/* Consume: record k is the fault of page k + 1. */
		while (cons != ((i + 1) & 7)) {
			e_slot(&fx, cons & 3, rec);
			ck_assert_uint_eq(rec[2], E_VA + 4096ull * (k + 1));
			cons = (cons + 1) & 7;
			k++;
		}
		e_wr(&fx, SMMU_R_EVENTQ_CONS, 4, cons);
	}
	ck_assert_uint_eq(k, 10);
	ck_assert_uint_eq(cons, 10 & 7);
	e_fini(&fx);
}
END_TEST

START_TEST(test_evtq_disabled)
{
	struct smmu_queue_stats st;
	struct smmu_event e;
	struct efx fx;

	e_init(&fx, 4);
	e_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN);
	e_fault(&fx, 1, 0, &e);
	e_fault(&fx, 1, 1, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 0);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_discarded, 2);
	ck_assert_uint_eq(st.evt_recorded, 0);
	ck_assert_uint_eq(fx.nirq, 0);
	e_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_EVENTQEN);
	e_fault(&fx, 1, 2, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 1);
	ck_assert_uint_eq(fx.nirq, 1);
	e_fini(&fx);
}
END_TEST

/*
 * A queue in unbacked memory: EVENTQ_ABT_ERR (with the GERROR
 * interrupt); records are discarded while it is active; acknowledged, the
 * next write aborts again; with a good base, writes resume.
 */
START_TEST(test_evtq_abort)
{
	struct smmu_queue_stats st;
	struct smmu_event e;
	struct efx fx;
	uint64_t q;

	e_init_feat(&fx, NULL, 4, E_UNBACKED);
	e_wr(&fx, SMMU_R_GERROR_IRQ_CFG0, 8, E_DOORBELL + 0x40);
	e_wr(&fx, SMMU_R_IRQ_CTRL, 4, SMMU_IRQ_EVENTQ_IRQEN |
	    SMMU_IRQ_GERROR_IRQEN);
	e_fault(&fx, 1, 0, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_GERROR),
	    SMMU_GERROR_EVENTQ_ABT_ERR);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 0);
	ck_assert_uint_eq(fx.nirq, 1);
	ck_assert_uint_eq(fx.last_source, SMMU_MSI_GERROR);
	ck_assert_uint_eq(fx.last_addr, E_DOORBELL + 0x40);
	e_fault(&fx, 1, 1, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_GERROR),
	    SMMU_GERROR_EVENTQ_ABT_ERR);
	ck_assert_uint_eq(fx.nirq, 1);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_aborted, 1);
	ck_assert_uint_eq(st.evt_discarded, 1);
	/* Acknowledge: the next record aborts again (GERROR toggles). */
	e_wr(&fx, SMMU_R_GERRORN, 4, SMMU_GERROR_EVENTQ_ABT_ERR);
	e_fault(&fx, 1, 2, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_GERROR), 0);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_GERRORN),
	    SMMU_GERROR_EVENTQ_ABT_ERR);
	ck_assert_uint_eq(fx.nirq, 2);
	/* Move the queue to RAM (EVENTQEN = 0 first) and acknowledge. */
	q = tb_alloc(fx.tb, 512, 512);
	e_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN);
	e_wr(&fx, SMMU_R_EVENTQ_BASE, 8, q | 4);
	e_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_EVENTQEN);
	e_wr(&fx, SMMU_R_GERRORN, 4, 0);
	fx.q = q;
	e_fault(&fx, 1, 3, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 1);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_aborted, 2);
	ck_assert_uint_eq(st.evt_recorded, 1);
	ck_assert_uint_eq(st.gerrors, 2);
	e_fini(&fx);
}
END_TEST

/* The EVTQ interrupt comes only on empty -> non-empty. */
START_TEST(test_evtq_irq_edge)
{
	struct smmu_queue_stats st;
	struct smmu_event e;
	struct efx fx;

	e_init(&fx, 4);
	e_fault(&fx, 1, 0, &e);
	e_fault(&fx, 1, 1, &e);
	e_fault(&fx, 1, 2, &e);
	ck_assert_uint_eq(fx.nirq, 1);
	ck_assert_uint_eq(fx.last_source, SMMU_MSI_EVTQ);
	ck_assert_uint_eq(fx.last_addr, E_DOORBELL);
	ck_assert_uint_eq(fx.last_data, 0xee);
	e_wr(&fx, SMMU_R_EVENTQ_CONS, 4, 2);
	e_fault(&fx, 1, 3, &e);
	ck_assert_uint_eq(fx.nirq, 1);
	e_wr(&fx, SMMU_R_EVENTQ_CONS, 4, 4);
	e_fault(&fx, 1, 4, &e);
	ck_assert_uint_eq(fx.nirq, 2);
	/* With EVENTQ_IRQEN = 0 it is masked (counted, not sent). */
	e_wr(&fx, SMMU_R_EVENTQ_CONS, 4, 5);
	e_wr(&fx, SMMU_R_IRQ_CTRL, 4, 0);
	e_fault(&fx, 1, 5, &e);
	ck_assert_uint_eq(fx.nirq, 2);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].raised, 2);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].sink, 2);
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].masked, 1);
	e_fini(&fx);
}
END_TEST

/*
 * Full queue: the record is dropped and PROD.OVFLG toggles only while it
 * equals CONS.OVACKFLG; PROD keeps OVFLG as it advances.
 */
START_TEST(test_evtq_overflow)
{
	struct smmu_queue_stats st;
	struct smmu_event e;
	struct efx fx;
	uint64_t rec[4];

	e_init(&fx, 1);			/* two records */
	e_fault(&fx, 1, 0, &e);
	e_fault(&fx, 1, 1, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 2);
	e_fault(&fx, 1, 2, &e);		/* lost: OVFLG 0 -> 1 */
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), SMMU_Q_OVFLG | 2);
	e_fault(&fx, 1, 3, &e);		/* lost: not acknowledged yet */
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), SMMU_Q_OVFLG | 2);
	/* Acknowledge without consuming: the next loss toggles again. */
	e_wr(&fx, SMMU_R_EVENTQ_CONS, 4, SMMU_Q_OVFLG);
	e_fault(&fx, 1, 4, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 2);
	/* Consume one (OVACKFLG 1): one fits, PROD keeps OVFLG = 0. */
	e_wr(&fx, SMMU_R_EVENTQ_CONS, 4, SMMU_Q_OVFLG | 1);
	e_fault(&fx, 1, 5, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 3);
	e_slot(&fx, 0, rec);
	ck_assert_uint_eq(rec[2], E_VA + 4096ull * 6);
	e_wr(&fx, SMMU_R_EVENTQ_CONS, 4, 1);	/* OVACKFLG = OVFLG */
	e_fault(&fx, 1, 6, &e);		/* full: 0 == 0, toggles */
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), SMMU_Q_OVFLG | 3);
	e_wr(&fx, SMMU_R_EVENTQ_CONS, 4, SMMU_Q_OVFLG | 3);
	e_fault(&fx, 1, 7, &e);		/* fits, OVFLG kept */
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), SMMU_Q_OVFLG | 0);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_recorded, 4);
	ck_assert_uint_eq(st.evt_overflow, 4);
	e_fini(&fx);
}
END_TEST

/* LOG2SIZE is capped by IDR1.EVENTQS and the base aligned to the size. */
START_TEST(test_evtq_geometry)
{
	struct smmu_queue_stats st;
	struct smmu_features f;
	struct smmu_event e;
	struct efx fx;
	uint64_t q, rec[4];
	unsigned i;

	smmu_features_default(&f);
	f.evtq_log2 = 3;
	e_init_feat(&fx, &f, 3, 0);
	q = tb_alloc(fx.tb, 512, 512);
	e_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN);
	e_wr(&fx, SMMU_R_EVENTQ_BASE, 8, (q + 0xe0) | 6);
	e_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_EVENTQEN);
	fx.q = q;
	for (i = 0; i < 9; i++)
		e_fault(&fx, 1, i, &e);
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), SMMU_Q_OVFLG | 8);
	for (i = 0; i < 8; i++) {
		e_slot(&fx, i, rec);
		ck_assert_uint_eq(rec[2], E_VA + 4096ull * (i + 1));
	}
	e_slot(&fx, 8, rec);		/* beyond the 8-entry queue */
	ck_assert_uint_eq(rec[0] | rec[2], 0);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_recorded, 8);
	ck_assert_uint_eq(st.evt_overflow, 1);
	e_fini(&fx);
}
END_TEST

/* Faulting translations on several threads: every record lands once. */
struct e_thr {
	struct efx *fx;
	unsigned id;
	unsigned n;
	unsigned bad;
};

static void *
e_thread(void *arg)
{
	struct e_thr *t = arg;
	struct smmu_txn tx = { .sid = 1, .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;
	unsigned i;

	for (i = 0; i < t->n; i++) {
		tx.iova = E_VA + ((uint64_t)(t->id * t->n + i + 1) << 12);
		if (smmu_translate(t->fx->s, &tx, &x, &e) != SMMU_XLATE_FAULT)
			t->bad++;
	}
	return NULL;
}

START_TEST(test_evtq_concurrent)
{
	struct smmu_queue_stats st;
	struct e_thr thr[4];
	pthread_t th[4];
	struct efx fx;
	uint64_t rec[4], page;
	uint8_t *seen;
	unsigned i, n = 500;

	e_init(&fx, 12);
	for (i = 0; i < 4; i++) {
		thr[i] = (struct e_thr){ &fx, i, n, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, e_thread,
		    &thr[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_uint_eq(thr[i].bad, 0);
	}
	ck_assert_uint_eq(e_rd(&fx, SMMU_R_EVENTQ_PROD), 4 * n);
	seen = calloc(4 * n + 1, 1);
	ck_assert_ptr_nonnull(seen);
	for (i = 0; i < 4 * n; i++) {
		e_slot(&fx, i, rec);
		ck_assert_uint_eq(rec[0], 0x10 | 1ull << 32);
		page = (rec[2] - E_VA) >> 12;
		ck_assert(page >= 1 && page <= 4 * n);
		ck_assert(!seen[page]);
		seen[page] = 1;
	}
	free(seen);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_recorded, 4 * n);
	ck_assert_uint_eq(fx.nirq, 1);
	e_fini(&fx);
}
END_TEST

Suite *
evtq_suite(void)
{
	Suite *s = suite_create("evtq");
	TCase *tc = tcase_create("event queue");

	tcase_add_test(tc, test_evtq_records);
	tcase_add_test(tc, test_evtq_wrap);
	tcase_add_test(tc, test_evtq_disabled);
	tcase_add_test(tc, test_evtq_abort);
	tcase_add_test(tc, test_evtq_irq_edge);
	tcase_add_test(tc, test_evtq_overflow);
	tcase_add_test(tc, test_evtq_geometry);
	tcase_add_test(tc, test_evtq_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
