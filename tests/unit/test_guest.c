/*
 * test_guest.c - the test guest driver (guestdrv.c) bound directly to the
 * engine: it probes and resets the SMMU the way Linux's arm-smmu-v3 does,
 * then checks translations through its STEs/CDs/page tables, one fault
 * of each kind arriving in its event queue, CMD_SYNC completion by MSI
 * polling and through the MSI sink, a command error and its recovery,
 * event-queue overflow, command-queue wrap-around and stale STEs.
 */
#include <stdlib.h>
#include <string.h>

#include "guestdrv.h"
#include "smmu.h"
#include "suites.h"
#include "tbuild.h"

#define G_RAM_BASE 0x40000000ull
#define G_RAM_SIZE (64ull << 20)
#define G_UNBACKED 0x20000000ull	/* in no region: external abort */
#define G_DB_SYNC 0x08010000ull		/* doorbells: not RAM -> sink */
#define G_DB_EVTQ 0x08010040ull
#define G_DB_GERROR 0x08010080ull
#define G_IOVA 0x7f0000100000ull
#define G_PA 0x100000000ull

/* One interrupt the sink saw. */
struct g_irq {
	unsigned source;
	uint64_t addr;
	uint32_t data;
};

struct gfx {
	struct tb *tb;
	struct smmu *s;
	struct gd gd;
	struct gd_config cfg;
	unsigned nirq;
	struct g_irq irq[64];
};

static void
g_sink(void *arg, unsigned source, uint64_t addr, uint32_t data)
{
	struct gfx *fx = arg;

	if (fx->nirq < 64)
		fx->irq[fx->nirq] = (struct g_irq){ source, addr, data };
	fx->nirq++;
}

static int
g_mmio_read(void *arg, uint64_t off, unsigned size, uint64_t *ret)
{
	struct gfx *fx = arg;

	return smmu_mmio_read(fx->s, off, size, ret);
}

static int
g_mmio_write(void *arg, uint64_t off, unsigned size, uint64_t val)
{
	struct gfx *fx = arg;

	return smmu_mmio_write(fx->s, off, size, val);
}

static int
g_mem_read(void *arg, uint64_t gpa, void *buf, size_t len)
{
	struct gfx *fx = arg;

	return gmem_read(fx->tb->g, gpa, buf, len);
}

static int
g_mem_write(void *arg, uint64_t gpa, const void *buf, size_t len)
{
	struct gfx *fx = arg;

	return gmem_write(fx->tb->g, gpa, buf, len);
}

/* The configuration Linux would pick, with MSIs to doorbells. */
static void
g_config(struct gd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->sid_bits = 16;
	c->strtab_2level = true;
	c->msipoll = true;
	c->sync_doorbell = G_DB_SYNC;
	c->evtq_doorbell = G_DB_EVTQ;
	c->evtq_msi_data = 0xe0;
	c->gerror_doorbell = G_DB_GERROR;
	c->gerror_msi_data = 0xe1;
	c->recinvsid = true;
}

/* Create the SMMU (features f, or defaults), probe but do not reset. */
static void
g_init_feat(struct gfx *fx, const struct smmu_features *f)
{
	struct smmu_features def;
	struct gd_ops ops = {
		.mmio_read = g_mmio_read, .mmio_write = g_mmio_write,
		.mem_read = g_mem_read, .mem_write = g_mem_write, .arg = fx,
	};

	memset(fx, 0, sizeof(*fx));
	fx->tb = tb_create(G_RAM_BASE, G_RAM_SIZE);
	ck_assert_ptr_nonnull(fx->tb);
	if (f == NULL) {
		smmu_features_default(&def);
		f = &def;
	}
	fx->s = smmu_create(f, fx->tb->g, NULL);
	ck_assert_ptr_nonnull(fx->s);
	smmu_set_msi_sink(fx->s, g_sink, fx);
	gd_init(&fx->gd, &ops, G_RAM_BASE, G_RAM_SIZE);
	fx->gd.poll_limit = 1000;
	ck_assert_int_eq(gd_probe(&fx->gd), 0);
	g_config(&fx->cfg);
}

/* Create, probe and reset with fx->cfg as adjusted by the caller. */
static void
g_reset(struct gfx *fx)
{
	ck_assert_int_eq(gd_reset(&fx->gd, &fx->cfg), 0);
}

static void
g_init(struct gfx *fx)
{
	g_init_feat(fx, NULL);
	g_reset(fx);
}

static void
g_fini(struct gfx *fx)
{
	gd_fini(&fx->gd);
	smmu_destroy(fx->s);
	tb_destroy(fx->tb);
}

static int
g_xlate(struct gfx *fx, uint32_t sid, bool ssv, uint32_t ssid,
    uint64_t iova, unsigned access, struct smmu_xlate *x,
    struct smmu_event *e)
{
	struct smmu_txn t = {
		.sid = sid, .ssid = ssid, .ssv = ssv, .iova = iova,
		.access = access,
	};

	memset(x, 0, sizeof(*x));
	memset(e, 0, sizeof(*e));
	return smmu_translate(fx->s, &t, x, e);
}

/*
 * A stage-1 stream sid over a new tree with npages pages at G_IOVA ->
 * G_PA (attrs), CD with asid and IPS ips_bits.  Returns the CD's GPA.
 */
static uint64_t
g_s1_stream(struct gfx *fx, uint32_t sid, struct gd_pt *pt, uint16_t asid,
    unsigned npages, uint64_t attrs, unsigned ips_bits)
{
	uint64_t cd[8], ste[8], cdp;
	unsigned i;

	ck_assert_int_eq(gd_pt_init(&fx->gd, pt), 0);
	for (i = 0; i < npages; i++)
		ck_assert_int_eq(gd_pt_map(&fx->gd, pt, G_IOVA + 4096ull * i,
		    G_PA + 4096ull * i, attrs), 0);
	cdp = gd_alloc(&fx->gd, 64, 64);
	ck_assert_uint_ne(cdp, 0);
	gd_cd_s1(cd, pt, asid, ips_bits);
	ck_assert_int_eq(gd_wwords(&fx->gd, cdp, cd, 8), 0);
	gd_ste_s1(ste, cdp, 0, 0);
	ck_assert_int_eq(gd_ste_install(&fx->gd, sid, ste), 0);
	return cdp;
}

START_TEST(test_guest_probe_reset)
{
	struct smmu_queue_stats st;
	struct gfx fx;
	uint32_t v;

	g_init_feat(&fx, NULL);
	ck_assert(fx.gd.s1p && fx.gd.s2p && fx.gd.msi && fx.gd.coherent);
	ck_assert(fx.gd.ril && fx.gd.st_2level && fx.gd.cd2l);
	ck_assert_uint_eq(fx.gd.sid_bits, 16);
	ck_assert_uint_eq(fx.gd.ssid_bits, 20);
	ck_assert_uint_eq(fx.gd.cmdq_max, 19);
	ck_assert_uint_eq(fx.gd.oas_enc, 5);	/* 48 bits */
	ck_assert_uint_eq(fx.gd.aidr, 2);
	g_reset(&fx);
	ck_assert(fx.gd.msipoll);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_CR0ACK, &v), 0);
	ck_assert_uint_eq(v, GD_CR0_SMMUEN | GD_CR0_CMDQEN | GD_CR0_EVTQEN);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_IRQ_CTRLACK, &v), 0);
	ck_assert_uint_eq(v, GD_IRQ_EVTQ | GD_IRQ_GERROR);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_CR2, &v), 0);
	ck_assert_uint_eq(v, 2);	/* RECINVSID; PTM is RES0 (no BTM) */
	/* CFGI_ALL + SYNC, TLBI_NSNH_ALL + SYNC, both SYNCs by MSI poll. */
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds, 4);
	ck_assert_uint_eq(st.cmd_syncs, 2);
	ck_assert_uint_eq(st.cmd_errors, 0);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].ram, 2);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].sink, 0);
	ck_assert_uint_eq(fx.nirq, 0);
	g_fini(&fx);
}
END_TEST

/* _i = 0: linear stream table (64 streams), 1: 2-level (16 SID bits). */
START_TEST(test_guest_translate)
{
	struct gfx fx;
	struct gd_pt pt;
	struct smmu_xlate x;
	struct smmu_event e;
	struct smmu_queue_stats st;
	uint64_t ste[8], prod;
	uint32_t sid = _i ? 0x1234 : 37, v;

	g_init_feat(&fx, NULL);
	fx.cfg.strtab_2level = _i;
	fx.cfg.sid_bits = _i ? 16 : 6;
	g_reset(&fx);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_STRTAB_BASE_CFG, &v), 0);
	ck_assert_uint_eq(v, _i ? (1u << 16 | 8u << 6 | 16) : 6);

	g_s1_stream(&fx, sid, &pt, 9, 3, GD_PTE_DEFAULT, 48);
	ck_assert_int_eq(g_xlate(&fx, sid, false, 0, G_IOVA + 0x1abc,
	    SMMU_ACC_WRITE, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, G_PA + 0x1abc);
	ck_assert_uint_eq(x.size_log2, 12);
	ck_assert(!x.tlb_hit);
	ck_assert_int_eq(g_xlate(&fx, sid, false, 0, G_IOVA + 0x2008,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, G_PA + 0x2008);
	ck_assert_int_eq(g_xlate(&fx, sid, false, 0, G_IOVA + 0x1000,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);

	/* A bypass stream: identity. */
	gd_ste_bypass(ste);
	ck_assert_int_eq(gd_ste_install(&fx.gd, sid + 1, ste), 0);
	ck_assert_int_eq(g_xlate(&fx, sid + 1, false, 0, 0xdead000,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert(x.bypass);
	ck_assert_uint_eq(x.oa, 0xdead000);
	/* The initial (abort) STEs: no event. */
	ck_assert_int_eq(g_xlate(&fx, sid + 2, false, 0, 0x1000,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_NONE);
	ck_assert_int_eq(smmu_mmio_read(fx.s, GD_EVTQ_PROD, 4, &prod), 0);
	ck_assert_uint_eq(prod, 0);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_recorded, 0);
	ck_assert_uint_eq(st.cmd_errors, 0);
	g_fini(&fx);
}
END_TEST

/* The fault kinds of test_guest_faults, in loop order. */
static const unsigned g_fault_types[] = {
	SMMU_EVT_F_TRANSLATION, SMMU_EVT_F_PERMISSION, SMMU_EVT_F_ACCESS,
	SMMU_EVT_F_ADDR_SIZE, SMMU_EVT_C_BAD_STE, SMMU_EVT_C_BAD_CD,
	SMMU_EVT_C_BAD_SUBSTREAMID, SMMU_EVT_C_BAD_STREAMID,
	SMMU_EVT_F_STE_FETCH, SMMU_EVT_F_CD_FETCH, SMMU_EVT_F_WALK_EABT,
	SMMU_EVT_F_STREAM_DISABLED,
};

/*
 * One intentional fault of kind g_fault_types[_i]: the translation
 * fails with it, and the same record, field by field, arrives in the
 * guest's event queue, followed by the EVTQ MSI.
 */
START_TEST(test_guest_faults)
{
	struct gfx fx;
	struct gd_pt pt;
	struct smmu_xlate x;
	struct smmu_event e, got, want;
	uint64_t rec[4], ste[8], cd[8], cdp, iova = G_IOVA;
	uint32_t sid = 0x321, ssid = 0;
	unsigned type = g_fault_types[_i], access = SMMU_ACC_READ;
	bool ssv = false;

	g_init(&fx);
	memset(&want, 0, sizeof(want));
	want.type = (uint8_t)type;
	switch (type) {
	case SMMU_EVT_F_TRANSLATION:
		g_s1_stream(&fx, sid, &pt, 1, 1, GD_PTE_DEFAULT, 48);
		iova = G_IOVA + 0x5000;		/* not mapped */
		want.evclass = SMMU_EVT_CLASS_IN;
		break;
	case SMMU_EVT_F_PERMISSION:
		g_s1_stream(&fx, sid, &pt, 1, 1, GD_PTE_AF | GD_PTE_NG |
		    GD_PTE_AP_RO, 48);
		access = SMMU_ACC_WRITE;
		want.evclass = SMMU_EVT_CLASS_IN;
		break;
	case SMMU_EVT_F_ACCESS:
		g_s1_stream(&fx, sid, &pt, 1, 1, GD_PTE_NG | GD_PTE_AP_RW,
		    48);
		want.evclass = SMMU_EVT_CLASS_IN;
		break;
	case SMMU_EVT_F_ADDR_SIZE:
		/* Output 0x1_0000_0000 with IPS = 32 bits. */
		g_s1_stream(&fx, sid, &pt, 1, 1, GD_PTE_DEFAULT, 32);
		want.evclass = SMMU_EVT_CLASS_IN;
		break;
	case SMMU_EVT_C_BAD_STE:
		memset(ste, 0, sizeof(ste));	/* V = 0 */
		ck_assert_int_eq(gd_ste_install(&fx.gd, sid, ste), 0);
		break;
	case SMMU_EVT_C_BAD_CD:
		ck_assert_int_eq(gd_pt_init(&fx.gd, &pt), 0);
		cdp = gd_alloc(&fx.gd, 64, 64);
		gd_cd_s1(cd, &pt, 1, 48);
		cd[0] &= ~(1ull << 31);		/* CD.V = 0 */
		ck_assert_int_eq(gd_wwords(&fx.gd, cdp, cd, 8), 0);
		gd_ste_s1(ste, cdp, 0, 0);
		ck_assert_int_eq(gd_ste_install(&fx.gd, sid, ste), 0);
		break;
	case SMMU_EVT_C_BAD_SUBSTREAMID:
		/* An SSID on a stream with S1CDMax = 0. */
		g_s1_stream(&fx, sid, &pt, 1, 1, GD_PTE_DEFAULT, 48);
		ssv = true;
		ssid = 5;
		break;
	case SMMU_EVT_C_BAD_STREAMID:
		sid = 1u << 16;		/* beyond the stream table */
		break;
	case SMMU_EVT_F_STE_FETCH:
		/* L1STD 3 points at memory that is not there. */
		ck_assert_int_eq(gd_l1std_put(&fx.gd, 3, 9, G_UNBACKED), 0);
		ck_assert_int_eq(gd_cfgi_ste(&fx.gd, 0x3aa), 0);
		ck_assert_int_eq(gd_sync(&fx.gd), 0);
		sid = 0x3aa;
		want.fetch_addr = G_UNBACKED + 64 * 0xaa;
		break;
	case SMMU_EVT_F_CD_FETCH:
		gd_ste_s1(ste, G_UNBACKED + 0x1c0, 0, 0);
		ck_assert_int_eq(gd_ste_install(&fx.gd, sid, ste), 0);
		want.fetch_addr = G_UNBACKED + 0x1c0;
		break;
	case SMMU_EVT_F_WALK_EABT:
		/* The level-1 descriptor points at a missing level-2 table. */
		g_s1_stream(&fx, sid, &pt, 1, 0, GD_PTE_DEFAULT, 48);
		ck_assert_int_eq(gd_pt_set_table(&fx.gd, &pt, iova, 1,
		    G_UNBACKED), 0);
		want.fetch_addr = G_UNBACKED + 8 * ((iova >> 21) & 511);
		want.evclass = SMMU_EVT_CLASS_TT;
		break;
	case SMMU_EVT_F_STREAM_DISABLED:
		/* Four CDs, S1DSS = terminate, no SSID. */
		ck_assert_int_eq(gd_pt_init(&fx.gd, &pt), 0);
		cdp = gd_alloc(&fx.gd, 4 * 64, 4 * 64);
		gd_cd_s1(cd, &pt, 1, 48);
		ck_assert_int_eq(gd_wwords(&fx.gd, cdp, cd, 8), 0);
		gd_ste_s1(ste, cdp, 2, 0);
		ck_assert_int_eq(gd_ste_install(&fx.gd, sid, ste), 0);
		break;
	default:
		ck_abort();
	}
	want.sid = sid;
	want.ssv = ssv;
	want.ssid = ssid;
	if (type == SMMU_EVT_F_TRANSLATION || type == SMMU_EVT_F_PERMISSION ||
	    type == SMMU_EVT_F_ACCESS || type == SMMU_EVT_F_ADDR_SIZE ||
	    type == SMMU_EVT_F_WALK_EABT) {
		want.input_addr = iova;
		want.rnw = !(access & SMMU_ACC_WRITE);
	}

	ck_assert_int_eq(g_xlate(&fx, sid, ssv, ssid, iova, access, &x, &e),
	    SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, type);
	ck_assert(e.record);
	ck_assert_int_eq(gd_evtq_pop(&fx.gd, rec), 1);
	smmu_event_unpack(rec, &got);
	ck_assert_uint_eq(got.type, want.type);
	ck_assert_uint_eq(got.sid, want.sid);
	ck_assert_uint_eq(got.ssv, want.ssv);
	ck_assert_uint_eq(got.ssid, want.ssid);
	ck_assert_uint_eq(got.input_addr, want.input_addr);
	ck_assert_uint_eq(got.rnw, want.rnw);
	ck_assert_uint_eq(got.ind, 0);
	ck_assert_uint_eq(got.pnu, 0);
	ck_assert_uint_eq(got.s2, 0);
	ck_assert_uint_eq(got.evclass, want.evclass);
	ck_assert_uint_eq(got.fetch_addr, want.fetch_addr);
	ck_assert_uint_eq(got.ipa, 0);
	/* The record is exactly what smmu_translate() returned. */
	smmu_event_pack(&e, rec + 0);
	smmu_event_unpack(rec, &want);
	ck_assert_mem_eq(&got, &want, sizeof(got));
	ck_assert_int_eq(gd_evtq_pop(&fx.gd, rec), 0);
	/* Empty -> non-empty raised the EVTQ MSI at its doorbell. */
	ck_assert_uint_eq(fx.nirq, 1);
	ck_assert_uint_eq(fx.irq[0].source, SMMU_MSI_EVTQ);
	ck_assert_uint_eq(fx.irq[0].addr, G_DB_EVTQ);
	ck_assert_uint_eq(fx.irq[0].data, 0xe0);
	g_fini(&fx);
}
END_TEST

/* CMD_SYNC completion: by MSI polling (a write into the SYNC's own slot)
 * and, with polling off, as an MSI to a doorbell through the sink. */
START_TEST(test_guest_sync_msi)
{
	struct smmu_queue_stats st;
	struct gfx fx;
	uint64_t slot;
	uint32_t word, cons;

	g_init(&fx);
	slot = fx.gd.cmdq + 16ull * (fx.gd.cmdq_prod &
	    ((1u << fx.gd.cmdq_log2) - 1));
	ck_assert_int_eq(gd_cfgi_all(&fx.gd), 0);
	ck_assert_int_eq(gd_sync(&fx.gd), 0);
	/* The SYNC is the entry after CFGI_ALL; its opcode word is 0 now. */
	ck_assert_int_eq(gd_r32(&fx.gd, slot + 16, &word), 0);
	ck_assert_uint_eq(word, 0);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_CMDQ_CONS, &cons), 0);
	ck_assert_uint_eq(cons, fx.gd.cmdq_prod);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].ram, 3);
	ck_assert_uint_eq(fx.nirq, 0);

	fx.gd.msipoll = false;		/* CS = SIG_IRQ to G_DB_SYNC */
	ck_assert_int_eq(gd_tlbi_nh_asid(&fx.gd, 3), 0);
	ck_assert_int_eq(gd_sync(&fx.gd), 0);
	ck_assert_uint_eq(fx.nirq, 1);
	ck_assert_uint_eq(fx.irq[0].source, SMMU_MSI_CMD_SYNC);
	ck_assert_uint_eq(fx.irq[0].addr, G_DB_SYNC);
	ck_assert_uint_eq(fx.irq[0].data, fx.gd.sync_seq);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].raised, 4);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].sink, 1);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].aborted, 0);
	g_fini(&fx);
}
END_TEST

/* An illegal command stops the queue with GERROR.CMDQ_ERR; fixing it and
 * acknowledging resumes consumption from the fixed entry. */
START_TEST(test_guest_gerror_recovery)
{
	struct smmu_queue_stats st, st2;
	struct gfx fx;
	struct gd_pt pt;
	struct smmu_xlate x;
	struct smmu_event e;
	uint32_t cons, bad, active;
	unsigned err;
	bool on;

	g_init(&fx);
	g_s1_stream(&fx, 7, &pt, 4, 1, GD_PTE_DEFAULT, 48);
	ck_assert_int_eq(g_xlate(&fx, 7, false, 0, G_IOVA, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_int_eq(g_xlate(&fx, 7, false, 0, G_IOVA, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);

	ck_assert_int_eq(gd_cfgi_ste(&fx.gd, 7), 0);
	bad = fx.gd.cmdq_prod;
	ck_assert_int_eq(gd_cmd(&fx.gd, 0x0b, 0), 0);	/* reserved op */
	ck_assert_int_eq(gd_tlbi_nh_va(&fx.gd, 4, G_IOVA), 0);
	ck_assert_int_eq(gd_sync(&fx.gd), GD_ECMDQ);
	ck_assert_int_eq(gd_cmdq_error(&fx.gd, &on, &err, &cons), 0);
	ck_assert(on);
	ck_assert_uint_eq(err, SMMU_CERROR_ILL);
	ck_assert_uint_eq(cons, bad);
	/* The GERROR interrupt went to its doorbell. */
	ck_assert_uint_eq(fx.nirq, 1);
	ck_assert_uint_eq(fx.irq[0].source, SMMU_MSI_GERROR);
	ck_assert_uint_eq(fx.irq[0].addr, G_DB_GERROR);
	ck_assert_uint_eq(fx.irq[0].data, 0xe1);
	/* The TLBI after the bad command has not happened. */
	ck_assert_int_eq(g_xlate(&fx, 7, false, 0, G_IOVA, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);
	/* Nothing is consumed while the error is active. */
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_int_eq(gd_cmd_flush(&fx.gd), 0);
	smmu_queue_stats_get(fx.s, &st2);
	ck_assert_uint_eq(st2.cmds, st.cmds);
	ck_assert_uint_eq(st.cmd_errors, 1);

	/* Linux replaces the bad command and acknowledges. */
	ck_assert_int_eq(gd_cmdq_fix(&fx.gd, 0x01 | (7ull << 32), 0), 0);
	ck_assert_int_eq(gd_gerror_active(&fx.gd, &active), 0);
	ck_assert_uint_eq(active, 0);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_CMDQ_CONS, &cons), 0);
	ck_assert_uint_eq(cons & 0xfffff, fx.gd.cmdq_prod);
	smmu_queue_stats_get(fx.s, &st2);
	ck_assert_uint_eq(st2.cmds, st.cmds + 3);	/* fixed, TLBI, SYNC */
	ck_assert_int_eq(g_xlate(&fx, 7, false, 0, G_IOVA, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(!x.tlb_hit);
	ck_assert_int_eq(gd_cfgi_all(&fx.gd), 0);
	ck_assert_int_eq(gd_sync(&fx.gd), 0);
	g_fini(&fx);
}
END_TEST

/* A 4-entry event queue overflows; OVFLG toggles once per acknowledge. */
START_TEST(test_guest_evtq_overflow)
{
	struct smmu_queue_stats st;
	struct gfx fx;
	struct gd_pt pt;
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t rec[4];
	uint32_t prod;
	unsigned i, n;

	g_init_feat(&fx, NULL);
	fx.cfg.evtq_log2 = 2;
	g_reset(&fx);
	g_s1_stream(&fx, 2, &pt, 1, 1, GD_PTE_DEFAULT, 48);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(g_xlate(&fx, 2, false, 0,
		    G_IOVA + 0x10000 * (i + 1), SMMU_ACC_READ, &x, &e),
		    SMMU_XLATE_FAULT);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_EVTQ_PROD, &prod), 0);
	/* Full (index 0, wrap 1), overflowed. */
	ck_assert_uint_eq(prod, GD_Q_OVF | 4);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_recorded, 4);
	ck_assert_uint_eq(st.evt_overflow, 2);
	for (n = 0; gd_evtq_pop(&fx.gd, rec) == 1; n++) {
		smmu_event_unpack(rec, &e);
		ck_assert_uint_eq(e.input_addr, G_IOVA + 0x10000 * (n + 1));
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(fx.gd.evtq_overflows, 1);
	ck_assert_uint_eq(fx.gd.evtq_cons, GD_Q_OVF | 4);

	/* Fill again: 4 fit, the 5th toggles OVFLG back to 0. */
	for (i = 0; i < 5; i++)
		(void)g_xlate(&fx, 2, false, 0, G_IOVA + 0x100000 * (i + 1),
		    SMMU_ACC_READ, &x, &e);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_EVTQ_PROD, &prod), 0);
	ck_assert_uint_eq(prod, 0);
	/* Not acknowledged: more overflow does not toggle it again. */
	(void)g_xlate(&fx, 2, false, 0, G_IOVA + 0x900000, SMMU_ACC_READ,
	    &x, &e);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_EVTQ_PROD, &prod), 0);
	ck_assert_uint_eq(prod, 0);
	for (n = 0; gd_evtq_pop(&fx.gd, rec) == 1; n++)
		;
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(fx.gd.evtq_overflows, 2);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.evt_recorded, 8);
	ck_assert_uint_eq(st.evt_overflow, 4);
	/* One EVTQ MSI per empty -> non-empty transition. */
	ck_assert_uint_eq(st.msi[SMMU_MSI_EVTQ].raised, 2);
	g_fini(&fx);
}
END_TEST

/* Thousands of commands through an 8-entry command queue. */
START_TEST(test_guest_cmdq_wrap)
{
	struct smmu_queue_stats st0, st;
	struct gfx fx;
	struct gd_pt pt;
	struct smmu_xlate x;
	struct smmu_event e;
	uint32_t cons;
	unsigned i, nsync = 0;

	g_init_feat(&fx, NULL);
	fx.cfg.cmdq_log2 = 3;
	g_reset(&fx);
	g_s1_stream(&fx, 9, &pt, 6, 1, GD_PTE_DEFAULT, 48);
	smmu_queue_stats_get(fx.s, &st0);
	for (i = 0; i < 5000; i++) {
		ck_assert_int_eq(gd_tlbi_nh_va(&fx.gd, 7, G_IOVA +
		    4096ull * i), 0);
		if (i % 13 == 12) {
			ck_assert_int_eq(gd_sync(&fx.gd), 0);
			nsync++;
		}
	}
	/* Warm the TLB, then the last TLBI of the stream drops it. */
	ck_assert_int_eq(g_xlate(&fx, 9, false, 0, G_IOVA, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_int_eq(gd_tlbi_nh_va(&fx.gd, 6, G_IOVA), 0);
	ck_assert_int_eq(gd_sync(&fx.gd), 0);
	nsync++;
	ck_assert_int_eq(g_xlate(&fx, 9, false, 0, G_IOVA, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(!x.tlb_hit);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds - st0.cmds, 5001 + nsync);
	ck_assert_uint_eq(st.cmd_syncs - st0.cmd_syncs, nsync);
	ck_assert_uint_eq(st.cmd_errors, 0);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_CMDQ_CONS, &cons), 0);
	ck_assert_uint_eq(cons, fx.gd.cmdq_prod);
	ck_assert_uint_le(cons, 15);	/* index and wrap bit only */
	g_fini(&fx);
}
END_TEST

/* An STE rewritten without CFGI_STE keeps translating with the cached
 * configuration until CFGI_STE + CMD_SYNC. */
START_TEST(test_guest_stale_ste)
{
	struct gfx fx;
	struct gd_pt pt1, pt2;
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t cd[8], ste[8], cdp;

	g_init(&fx);
	g_s1_stream(&fx, 11, &pt1, 1, 1, GD_PTE_DEFAULT, 48);
	ck_assert_int_eq(g_xlate(&fx, 11, false, 0, G_IOVA + 0x10,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, G_PA + 0x10);

	/* New tables (another output) behind a new CD with ASID 2. */
	ck_assert_int_eq(gd_pt_init(&fx.gd, &pt2), 0);
	ck_assert_int_eq(gd_pt_map(&fx.gd, &pt2, G_IOVA, G_PA + 0x40000000,
	    GD_PTE_DEFAULT), 0);
	cdp = gd_alloc(&fx.gd, 64, 64);
	gd_cd_s1(cd, &pt2, 2, 48);
	ck_assert_int_eq(gd_wwords(&fx.gd, cdp, cd, 8), 0);
	gd_ste_s1(ste, cdp, 0, 0);
	ck_assert_int_eq(gd_ste_put(&fx.gd, 11, ste), 0);
	/* Unrelated commands do not refresh it. */
	ck_assert_int_eq(gd_cfgi_ste(&fx.gd, 12), 0);
	ck_assert_int_eq(gd_sync(&fx.gd), 0);
	ck_assert_int_eq(g_xlate(&fx, 11, false, 0, G_IOVA + 0x10,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, G_PA + 0x10);

	ck_assert_int_eq(gd_cfgi_ste(&fx.gd, 11), 0);
	ck_assert_int_eq(gd_sync(&fx.gd), 0);
	ck_assert_int_eq(g_xlate(&fx, 11, false, 0, G_IOVA + 0x10,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, G_PA + 0x40000010);
	g_fini(&fx);
}
END_TEST

/* Reset twice (a kexec'd kernel finds the SMMU enabled) and disable. */
START_TEST(test_guest_reset_again)
{
	struct gfx fx;
	struct smmu_xlate x;
	struct smmu_event e;
	uint32_t v;

	g_init(&fx);
	g_reset(&fx);
	ck_assert_int_eq(gd_readl(&fx.gd, GD_GBPA, &v), 0);
	ck_assert_uint_eq(v, GD_GBPA_ABORT);	/* set while resetting */
	ck_assert_int_eq(gd_disable(&fx.gd, true), 0);
	ck_assert_int_eq(g_xlate(&fx, 1, false, 0, 0x5000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_NONE);
	ck_assert_int_eq(gd_disable(&fx.gd, false), 0);
	ck_assert_int_eq(g_xlate(&fx, 1, false, 0, 0x5000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.bypass);
	g_fini(&fx);
}
END_TEST

Suite *
guest_suite(void)
{
	Suite *s = suite_create("guest");
	TCase *tc = tcase_create("linux-like driver");

	tcase_add_test(tc, test_guest_probe_reset);
	tcase_add_loop_test(tc, test_guest_translate, 0, 2);
	tcase_add_loop_test(tc, test_guest_faults, 0,
	    sizeof(g_fault_types) / sizeof(g_fault_types[0]));
	tcase_add_test(tc, test_guest_sync_msi);
	tcase_add_test(tc, test_guest_gerror_recovery);
	tcase_add_test(tc, test_guest_evtq_overflow);
	tcase_add_test(tc, test_guest_cmdq_wrap);
	tcase_add_test(tc, test_guest_stale_ste);
	tcase_add_test(tc, test_guest_reset_again);
	suite_add_tcase(s, tc);
	return s;
}
