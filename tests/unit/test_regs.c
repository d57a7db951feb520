/*
 * test_regs.c - the register file: ID registers from the features,
 * reserved and read-only offsets, access sizes, 64-bit registers as
 * halves, the CR0/CR0ACK, GBPA and IRQ_CTRL handshakes, the guards of
 * CR1/CR2/STRTAB/queue/IRQ_CFG registers, GERRORN, PROD/CONS masks, and
 * translation following SMMUEN, GBPA and STRTAB_*.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "regs.h"
#include "smmu.h"
#include "suites.h"
#include "tbuild.h"

#define R_RAM_BASE 0x40000000ull
#define R_RAM_SIZE (16ull << 20)

struct rfx {
	struct tb *tb;
	struct smmu *s;
};

static void
r_init_feat(struct rfx *fx, const struct smmu_features *f)
{
	struct smmu_features def;

	fx->tb = tb_create(R_RAM_BASE, R_RAM_SIZE);
	ck_assert_ptr_nonnull(fx->tb);
	if (f == NULL) {
		smmu_features_default(&def);
		f = &def;
	}
	fx->s = smmu_create(f, fx->tb->g, NULL);
	ck_assert_ptr_nonnull(fx->s);
}

static void
r_init(struct rfx *fx)
{
	r_init_feat(fx, NULL);
}

static void
r_fini(struct rfx *fx)
{
	smmu_destroy(fx->s);
	tb_destroy(fx->tb);
}

static uint64_t
r_rd(struct rfx *fx, uint64_t off, unsigned size)
{
	uint64_t v = 0xbad;

	ck_assert_int_eq(smmu_mmio_read(fx->s, off, size, &v), 0);
	return v;
}

static void
r_wr(struct rfx *fx, uint64_t off, unsigned size, uint64_t val)
{
	ck_assert_int_eq(smmu_mmio_write(fx->s, off, size, val), 0);
}

START_TEST(test_regs_idr_default)
{
	struct rfx fx;

	r_init(&fx);
	/* S2P, S1P, TTF = 2, COHACC, ASID16, MSI, VMID16, CD2L,
	 * TTENDIAN = 2, STALL_MODEL = 1, ST_LEVEL = 1. */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR0, 4), 0x094c301b);
	/* SIDSIZE 16, SSIDSIZE 20, EVENTQS 19, CMDQS 19, PRIQS 0. */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR1, 4), 0x02730510);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR2, 4), 0);
	/* HAD, RIL, BBML = 2. */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR3, 4), 0x1404);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR4, 4), 0);
	/* OAS = 48 bits (5), GRAN4K/16K/64K. */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR5, 4), 0x75);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IIDR, 4), 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_AIDR, 4), 2);	/* v3.2 */
	/* An 8-byte read of a 32-bit pair: IDR0 | IDR1 << 32. */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR0, 8),
	    0x094c301bull | 0x02730510ull << 32);
	/* Reset state. */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR0, 4), 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR0ACK, 4), 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GBPA, 4), 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STATUSR, 4), 0);
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_idr_features)
{
	struct smmu_features f;
	struct rfx fx;

	smmu_features_default(&f);
	f.s2p = false;
	f.granules = SMMU_GRAN_4K | SMMU_GRAN_64K;
	f.oas = 40;
	f.sid_bits = 6;
	f.ssid_bits = 0;
	f.st_2level = false;
	f.cd_2level = false;
	f.asid16 = false;
	f.vmid16 = false;
	f.ril = false;
	f.had = false;
	f.term_model = true;
	f.msi = false;
	f.coherent = false;
	f.cmdq_log2 = 8;
	f.evtq_log2 = 7;
	r_init_feat(&fx, &f);
	/* S1P, TTF = 2, TTENDIAN = 2, STALL_MODEL = 1, TERM_MODEL. */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR0, 4), 0x0540000a);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR1, 4), 0x01070006);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR3, 4), 0x1000);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IDR5, 4), 0x52);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_AIDR, 4), 1);	/* v3.1 */
	/* Without IDR0.MSI the *_IRQ_CFG registers are RES0. */
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG0, 8, 0x8000000);
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG1, 4, 0x55);
	r_wr(&fx, SMMU_R_GERROR_IRQ_CFG2, 4, 0x3);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_IRQ_CFG0, 8), 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_IRQ_CFG1, 4), 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GERROR_IRQ_CFG2, 4), 0);
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_reserved_and_ro)
{
	static const uint64_t raz[] = {
		0x030, 0x040, 0x048, 0x058, 0x078, 0x0a8, 0x0ac, 0x0c0,
		0x0c8, 0x0cc, 0x0d0, 0x0d8, 0x0dc, 0x100, 0xe00, 0xfd0,
		0xffc, 0x10000, 0x100a0, 0x100c8, 0x100cc, 0x1fffc,
	};
	static const uint64_t ro[] = {
		SMMU_R_IDR0, SMMU_R_IDR1, SMMU_R_IDR3, SMMU_R_IDR5,
		SMMU_R_IIDR, SMMU_R_AIDR, SMMU_R_CR0ACK, SMMU_R_IRQ_CTRLACK,
		SMMU_R_GERROR,
	};
	struct rfx fx;
	uint64_t before;
	unsigned i;

	r_init(&fx);
	for (i = 0; i < sizeof(raz) / sizeof(raz[0]); i++) {
		r_wr(&fx, raz[i], 4, 0xffffffff);
		ck_assert_uint_eq(r_rd(&fx, raz[i], 4), 0);
	}
	/* The page-0 alias of EVENTQ_CONS does not reach page 1. */
	r_wr(&fx, SMMU_R_EVENTQ_BASE, 8, 0x40000000 | 4);
	r_wr(&fx, SMMU_R_EVENTQ_CONS_P0, 4, 3);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_CONS, 4), 0);
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		before = r_rd(&fx, ro[i], 4);
		r_wr(&fx, ro[i], 4, ~before & 0xffffffff);
		ck_assert_uint_eq(r_rd(&fx, ro[i], 4), before);
	}
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_access_sizes)
{
	struct rfx fx;
	uint64_t v;

	r_init(&fx);
	ck_assert_int_eq(smmu_mmio_read(fx.s, SMMU_R_CR0, 1, &v),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_mmio_read(fx.s, SMMU_R_CR0, 2, &v),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_mmio_read(fx.s, SMMU_R_CR0, 16, &v),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_mmio_write(fx.s, SMMU_R_CR0, 3, 1),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_mmio_write(fx.s, SMMU_R_CR0 + 2, 4, 1),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_mmio_read(fx.s, SMMU_R_STRTAB_BASE + 4, 8, &v),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_mmio_read(fx.s, SMMU_MMIO_SIZE, 4, &v),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_mmio_write(fx.s, (uint64_t)1 << 40, 4, 1),
	    SMMU_ERR_INVAL);
	/* The rejected write had no effect. */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR0, 4), 0);
	ck_assert_int_eq(smmu_mmio_read(fx.s, SMMU_MMIO_SIZE - 8, 8, &v), 0);
	ck_assert_uint_eq(v, 0);
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_64bit_halves)
{
	struct rfx fx;

	r_init(&fx);
	/* RA[62] and ADDR[55:6] are kept; everything else is RES0. */
	r_wr(&fx, SMMU_R_STRTAB_BASE, 8, ~(uint64_t)0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STRTAB_BASE, 8),
	    0x40ffffffffffffc0ull);
	r_wr(&fx, SMMU_R_STRTAB_BASE, 4, 0x12345678);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STRTAB_BASE, 8),
	    0x40ffffff12345640ull);
	r_wr(&fx, SMMU_R_STRTAB_BASE + 4, 4, 0x00000abc);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STRTAB_BASE, 8),
	    0x00000abc12345640ull);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STRTAB_BASE, 4), 0x12345640);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STRTAB_BASE + 4, 4), 0xabc);
	/* Queue bases: RA/WA[62], ADDR[55:5], LOG2SIZE[4:0]. */
	r_wr(&fx, SMMU_R_CMDQ_BASE, 8, ~(uint64_t)0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_BASE, 8),
	    0x40ffffffffffffffull);
	r_wr(&fx, SMMU_R_EVENTQ_BASE + 4, 4, 0x80000001);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_BASE, 8), 1ull << 32);
	/* MSI address: ADDR[55:2]. */
	r_wr(&fx, SMMU_R_GERROR_IRQ_CFG0, 8, 0xff000000f8001007ull);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GERROR_IRQ_CFG0, 8),
	    0xf8001004ull);
	/* An 8-byte write to a 32-bit pair writes both. */
	r_wr(&fx, SMMU_R_CMDQ_BASE, 8, 0x40000000 | 4);
	r_wr(&fx, SMMU_R_CMDQ_PROD, 8, 3ull << 32 | 5);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_PROD, 4), 5);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_CONS, 4), 3);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_PROD, 8), 3ull << 32 | 5);
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_cr0_ack)
{
	struct smmu_ctrl c;
	struct rfx fx;

	r_init(&fx);
	/* Only SMMUEN, EVENTQEN and CMDQEN exist; ACK follows at once. */
	r_wr(&fx, SMMU_R_CR0, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR0, 4), 0xd);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR0ACK, 4), 0xd);
	smmu_ctrl_get(fx.s, &c);
	ck_assert(c.enabled);
	r_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_CMDQEN);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR0ACK, 4), SMMU_CR0_CMDQEN);
	smmu_ctrl_get(fx.s, &c);
	ck_assert(!c.enabled);
	/* PRIQEN and ATSCHK are RES0 without PRI and ATS. */
	r_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_PRIQEN | SMMU_CR0_ATSCHK);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR0ACK, 4), 0);
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_guards)
{
	struct smmu_ctrl c;
	struct rfx fx;

	r_init(&fx);
	/* Everything writable while disabled. */
	r_wr(&fx, SMMU_R_CR1, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR1, 4), 0xfff);
	r_wr(&fx, SMMU_R_CR2, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR2, 4), SMMU_CR2_RECINVSID);
	r_wr(&fx, SMMU_R_STRTAB_BASE, 8, 0x40001000);
	r_wr(&fx, SMMU_R_STRTAB_BASE_CFG, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STRTAB_BASE_CFG, 4), 0x307ff);
	smmu_ctrl_get(fx.s, &c);
	ck_assert_uint_eq(c.strtab_base, 0x40001000);
	ck_assert_uint_eq(c.strtab_base_cfg, 0x307ff);
	ck_assert_uint_eq(c.cr2, SMMU_CR2_RECINVSID);

	/* SMMUEN guards CR2, STRTAB_* and CR1.TABLE_*. */
	r_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN);
	r_wr(&fx, SMMU_R_CR2, 4, 0);
	r_wr(&fx, SMMU_R_STRTAB_BASE, 8, 0x40002000);
	r_wr(&fx, SMMU_R_STRTAB_BASE + 4, 4, 1);
	r_wr(&fx, SMMU_R_STRTAB_BASE_CFG, 4, 6);
	r_wr(&fx, SMMU_R_CR1, 4, 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR2, 4), SMMU_CR2_RECINVSID);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STRTAB_BASE, 8), 0x40001000);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_STRTAB_BASE_CFG, 4), 0x307ff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR1, 4), 0xfc0);
	smmu_ctrl_get(fx.s, &c);
	ck_assert(c.enabled);
	ck_assert_uint_eq(c.strtab_base, 0x40001000);

	/* CMDQEN guards CMDQ_BASE/CONS; EVENTQEN EVENTQ_BASE/PROD; either
	 * guards CR1.QUEUE_*. */
	r_wr(&fx, SMMU_R_CMDQ_BASE, 8, 0x40010000 | 4);
	r_wr(&fx, SMMU_R_EVENTQ_BASE, 8, 0x40020000 | 4);
	r_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
	r_wr(&fx, SMMU_R_CMDQ_BASE, 8, 0x40030000 | 2);
	r_wr(&fx, SMMU_R_CMDQ_CONS, 4, 3);
	r_wr(&fx, SMMU_R_EVENTQ_BASE, 8, 0x40040000 | 2);
	r_wr(&fx, SMMU_R_EVENTQ_PROD, 4, 3);
	r_wr(&fx, SMMU_R_CR1, 4, 0x3f);	/* TABLE_* := 0, QUEUE_* kept */
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_BASE, 8), 0x40010004);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_CONS, 4), 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_BASE, 8), 0x40020004);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_PROD, 4), 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR1, 4), 0);
	/* EVENTQ_CONS and CMDQ_PROD stay writable. */
	r_wr(&fx, SMMU_R_EVENTQ_CONS, 4, 0x80000003);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_CONS, 4), 0x80000003);
	r_wr(&fx, SMMU_R_CMDQ_PROD, 4, 0x1f);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_PROD, 4), 0x1f);
	r_wr(&fx, SMMU_R_CR0, 4, 0);
	r_wr(&fx, SMMU_R_CR1, 4, 0x3f);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CR1, 4), 0x3f);
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_queue_masks)
{
	struct smmu_features f;
	struct rfx fx;

	smmu_features_default(&f);
	f.cmdq_log2 = 10;
	f.evtq_log2 = 5;
	r_init_feat(&fx, &f);
	/* LOG2SIZE 3: WR/RD keep index and wrap, bits [19:4] RAZ. */
	r_wr(&fx, SMMU_R_CMDQ_BASE, 8, 0x40000000 | 3);
	r_wr(&fx, SMMU_R_CMDQ_PROD, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_PROD, 4), 0xf);
	r_wr(&fx, SMMU_R_CMDQ_CONS, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_CONS, 4), 0xf);
	/* LOG2SIZE above IDR1.CMDQS is capped at 10: 11 bits. */
	r_wr(&fx, SMMU_R_CMDQ_BASE, 8, 0x40000000 | 31);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_BASE, 8), 0x4000001f);
	r_wr(&fx, SMMU_R_CMDQ_PROD, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_CMDQ_PROD, 4), 0x7ff);
	/* Event queue: OVFLG / OVACKFLG at bit 31 are kept. */
	r_wr(&fx, SMMU_R_EVENTQ_BASE, 8, 0x40000000 | 19);
	r_wr(&fx, SMMU_R_EVENTQ_PROD, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_PROD, 4), 0x8000003f);
	r_wr(&fx, SMMU_R_EVENTQ_CONS, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_CONS, 4), 0x8000003f);
	r_fini(&fx);
}
END_TEST

/* GBPA: Update handshake; translation with SMMUEN = 0 follows it. */
START_TEST(test_regs_gbpa)
{
	struct smmu_txn t = { .sid = 1, .iova = 0x1234,
	    .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;
	struct smmu_ctrl c;
	struct rfx fx;

	r_init(&fx);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert(x.bypass);
	/* Without Update: ignored (v3.2). */
	r_wr(&fx, SMMU_R_GBPA, 4, SMMU_GBPA_ABORT);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GBPA, 4), 0);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	/* With Update: applied, Update reads as 0 again. */
	r_wr(&fx, SMMU_R_GBPA, 4, SMMU_GBPA_UPDATE | SMMU_GBPA_ABORT |
	    0x000f3a15 | 0x40c0c0e0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GBPA, 4), 0x001f3a15);
	smmu_ctrl_get(fx.s, &c);
	ck_assert_uint_eq(c.gbpa, r_rd(&fx, SMMU_R_GBPA, 4));
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e),
	    SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_NONE);
	r_wr(&fx, SMMU_R_GBPA, 4, SMMU_GBPA_UPDATE);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GBPA, 4), 0);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	r_fini(&fx);
}
END_TEST

/* SMMUEN = 1 translates through the stream table STRTAB_* describe. */
START_TEST(test_regs_translate_follows)
{
	struct smmu_txn t = { .sid = 2, .iova = 0x5000,
	    .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;
	struct tb_ste ste;
	struct rfx fx;
	uint64_t strtab;

	r_init(&fx);
	strtab = tb_strtab_linear(fx.tb, 3);
	memset(&ste, 0, sizeof(ste));
	ste.v = true;
	ste.config = 0;			/* abort, no event */
	tb_put_ste(fx.tb, strtab + 2 * 64, &ste);
	r_wr(&fx, SMMU_R_STRTAB_BASE, 8, strtab);
	r_wr(&fx, SMMU_R_STRTAB_BASE_CFG, 4, 3);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert(x.bypass);
	r_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e),
	    SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_NONE);
	/* sid 9 is beyond the 8-entry table: C_BAD_STREAMID. */
	t.sid = 9;
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e),
	    SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_C_BAD_STREAMID);
	ck_assert(!e.record);		/* RECINVSID = 0 */
	r_wr(&fx, SMMU_R_CR0, 4, 0);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert(x.bypass);
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_irq_ctrl_and_cfg)
{
	struct rfx fx;

	r_init(&fx);
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG0, 8, 0x08000040);
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG1, 4, 0x1234);
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG2, 4, 0xff);
	r_wr(&fx, SMMU_R_GERROR_IRQ_CFG1, 4, 0x77);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_IRQ_CFG0, 8), 0x08000040);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_IRQ_CFG1, 4), 0x1234);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_IRQ_CFG2, 4), 0x3f);
	/* IRQ_CTRL: GERROR_IRQEN and EVENTQ_IRQEN; ACK mirrors it. */
	r_wr(&fx, SMMU_R_IRQ_CTRL, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IRQ_CTRL, 4), 0x5);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IRQ_CTRLACK, 4), 0x5);
	/* Guarded by their IRQEN (v3.2): ignored now. */
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG0, 8, 0x08000080);
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG0 + 4, 4, 0x1);
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG1, 4, 0x1);
	r_wr(&fx, SMMU_R_GERROR_IRQ_CFG1, 4, 0x1);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_IRQ_CFG0, 8), 0x08000040);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_IRQ_CFG1, 4), 0x1234);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GERROR_IRQ_CFG1, 4), 0x77);
	/* Only the GERROR one enabled: the EVTQ registers open up. */
	r_wr(&fx, SMMU_R_IRQ_CTRL, 4, SMMU_IRQ_GERROR_IRQEN);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_IRQ_CTRLACK, 4), 1);
	r_wr(&fx, SMMU_R_EVENTQ_IRQ_CFG1, 4, 0x99);
	r_wr(&fx, SMMU_R_GERROR_IRQ_CFG1, 4, 0x99);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_EVENTQ_IRQ_CFG1, 4), 0x99);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GERROR_IRQ_CFG1, 4), 0x77);
	r_fini(&fx);
}
END_TEST

START_TEST(test_regs_gerrorn)
{
	struct rfx fx;

	r_init(&fx);
	/* Implemented error bits only: 0, 2, 4, 5, 7, 8. */
	r_wr(&fx, SMMU_R_GERRORN, 4, 0xffffffff);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GERRORN, 4), 0x1b5);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GERROR, 4), 0);
	r_wr(&fx, SMMU_R_GERRORN, 4, 0);
	ck_assert_uint_eq(r_rd(&fx, SMMU_R_GERRORN, 4), 0);
	r_fini(&fx);
}
END_TEST

/* Several vCPU threads at once: each owns one register; all land. */
struct r_thr {
	struct smmu *s;
	uint64_t off;
	unsigned iters;
	unsigned bad;
};

static void *
r_thread(void *arg)
{
	struct r_thr *t = arg;
	uint64_t v;
	unsigned i;

	for (i = 0; i < t->iters; i++) {
		if (smmu_mmio_write(t->s, t->off, 4, i & 0x3f) != 0 ||
		    smmu_mmio_read(t->s, t->off, 4, &v) != 0 ||
		    v != (i & 0x3f))
			t->bad++;
		if (smmu_mmio_read(t->s, SMMU_R_CR0ACK, 4, &v) != 0)
			t->bad++;
	}
	return NULL;
}

START_TEST(test_regs_concurrent)
{
	struct r_thr thr[3];
	pthread_t th[3];
	struct rfx fx;
	unsigned i;

	r_init(&fx);
	r_wr(&fx, SMMU_R_EVENTQ_BASE, 8, 0x40000000 | 8);
	thr[0] = (struct r_thr){ fx.s, SMMU_R_EVENTQ_CONS, 20000, 0 };
	thr[1] = (struct r_thr){ fx.s, SMMU_R_EVENTQ_IRQ_CFG1, 20000, 0 };
	thr[2] = (struct r_thr){ fx.s, SMMU_R_GERROR_IRQ_CFG2, 20000, 0 };
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, r_thread,
		    &thr[i]), 0);
	/* Meanwhile toggle unrelated enables. */
	for (i = 0; i < 2000; i++) {
		r_wr(&fx, SMMU_R_CR0, 4, i & 1 ? SMMU_CR0_CMDQEN : 0);
		r_wr(&fx, SMMU_R_IRQ_CTRL, 4, 0);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_uint_eq(thr[i].bad, 0);
	}
	r_fini(&fx);
}
END_TEST

Suite *
regs_suite(void)
{
	Suite *s = suite_create("regs");
	TCase *tc = tcase_create("register file");

	tcase_add_test(tc, test_regs_idr_default);
	tcase_add_test(tc, test_regs_idr_features);
	tcase_add_test(tc, test_regs_reserved_and_ro);
	tcase_add_test(tc, test_regs_access_sizes);
	tcase_add_test(tc, test_regs_64bit_halves);
	tcase_add_test(tc, test_regs_cr0_ack);
	tcase_add_test(tc, test_regs_guards);
	tcase_add_test(tc, test_regs_queue_masks);
	tcase_add_test(tc, test_regs_gbpa);
	tcase_add_test(tc, test_regs_translate_follows);
	tcase_add_test(tc, test_regs_irq_ctrl_and_cfg);
	tcase_add_test(tc, test_regs_gerrorn);
	tcase_add_test(tc, test_regs_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
