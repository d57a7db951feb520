/*
 * test_cmdq.c - the command queue: the effect of every TLBI and CFGI
 * command (one address, ranges, merged runs), every CERROR_ILL rule,
 * CERROR_ABT on unbacked queue memory, error stop and recovery with
 * re-fetch, CMD_SYNC completion (CONS before the MSI, MSI polling, the
 * sink, CS = NONE/SEV), queue geometry (LOG2SIZE cap, base alignment,
 * wrap), CMDQEN, smmu_cmdq_exec() and concurrent use.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "regs.h"
#include "smmu.h"
#include "suites.h"
#include "tbuild.h"

#define C_RAM_BASE 0x40000000ull
#define C_RAM_SIZE (32ull << 20)
#define C_UNBACKED 0x20000000ull
#define C_DOORBELL 0x08010000ull
#define C_VA 0x7f0000200000ull		/* 8 pages, stage 1 */
#define C_IPA 0x300000000ull		/* 8 pages, stage 2 */
#define C_OUT 0x100000000ull

/* Opcodes (SMMUv3 4.1.1). */
#define OP_PREFETCH_CONFIG 0x01ull
#define OP_PREFETCH_ADDR 0x02ull
#define OP_CFGI_STE 0x03ull
#define OP_CFGI_STE_RANGE 0x04ull
#define OP_CFGI_CD 0x05ull
#define OP_CFGI_CD_ALL 0x06ull
#define OP_NH_ALL 0x10ull
#define OP_NH_ASID 0x11ull
#define OP_NH_VA 0x12ull
#define OP_NH_VAA 0x13ull
#define OP_S12_VMALL 0x28ull
#define OP_S2_IPA 0x2aull
#define OP_NSNH_ALL 0x30ull
#define OP_SYNC 0x46ull

#define SID(x) ((uint64_t)(x) << 32)
#define VMID(x) ((uint64_t)(x) << 32)
#define ASID(x) ((uint64_t)(x) << 48)
#define NUM(x) ((uint64_t)(x) << 12)
#define SCALE(x) ((uint64_t)(x) << 20)
#define TTL(x) ((uint64_t)(x) << 8)
#define TG(x) ((uint64_t)(x) << 10)
#define CS(x) ((uint64_t)(x) << 12)
#define SSEC (1ull << 10)

struct c_irq {
	unsigned source;
	uint64_t addr;
	uint32_t data;
	uint64_t cons;		/* CMDQ_CONS when the sink ran */
};

struct cfx {
	struct tb *tb;
	struct smmu *s;
	uint64_t strtab;
	uint64_t q;
	unsigned log2;
	uint32_t prod;
	unsigned nirq;
	struct c_irq irq[16];
};

static void
c_sink(void *arg, unsigned source, uint64_t addr, uint32_t data)
{
	struct cfx *fx = arg;
	uint64_t cons = 0;

	/* A test-only peek: register reads take no lock. */
	(void)smmu_mmio_read(fx->s, SMMU_R_CMDQ_CONS, 4, &cons);
	if (fx->nirq < 16)
		fx->irq[fx->nirq] = (struct c_irq){ source, addr, data, cons };
	fx->nirq++;
}

static void
c_wr(struct cfx *fx, uint64_t off, unsigned size, uint64_t val)
{
	ck_assert_int_eq(smmu_mmio_write(fx->s, off, size, val), 0);
}

static uint64_t
c_rd(struct cfx *fx, uint64_t off)
{
	uint64_t v;

	ck_assert_int_eq(smmu_mmio_read(fx->s, off, 4, &v), 0);
	return v;
}

/*
 * An enabled SMMU (features f or defaults) with a 64-entry linear stream
 * table and a 2^log2 command queue at q (0: allocate), CMDQEN = 1.
 */
static void
c_init_feat(struct cfx *fx, const struct smmu_features *f, unsigned log2,
    uint64_t q)
{
	struct smmu_features def;

	memset(fx, 0, sizeof(*fx));
	fx->tb = tb_create(C_RAM_BASE, C_RAM_SIZE);
	ck_assert_ptr_nonnull(fx->tb);
	if (f == NULL) {
		smmu_features_default(&def);
		f = &def;
	}
	fx->s = smmu_create(f, fx->tb->g, NULL);
	ck_assert_ptr_nonnull(fx->s);
	smmu_set_msi_sink(fx->s, c_sink, fx);
	fx->strtab = tb_strtab_linear(fx->tb, 6);
	fx->log2 = log2;
	fx->q = q != 0 ? q : tb_alloc(fx->tb, 16ull << log2,
	    16ull << log2 < 32 ? 32 : 16ull << log2);
	c_wr(fx, SMMU_R_STRTAB_BASE, 8, fx->strtab);
	c_wr(fx, SMMU_R_STRTAB_BASE_CFG, 4, 6);
	c_wr(fx, SMMU_R_CMDQ_BASE, 8, fx->q | log2);
	c_wr(fx, SMMU_R_GERROR_IRQ_CFG0, 8, C_DOORBELL + 0x40);
	c_wr(fx, SMMU_R_GERROR_IRQ_CFG1, 4, 0x9e);
	c_wr(fx, SMMU_R_IRQ_CTRL, 4, SMMU_IRQ_GERROR_IRQEN);
	c_wr(fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN);
}

static void
c_init(struct cfx *fx)
{
	c_init_feat(fx, NULL, 6, 0);
}

static void
c_fini(struct cfx *fx)
{
	smmu_destroy(fx->s);
	tb_destroy(fx->tb);
}

/* Write a command at PROD (not yet published). */
static void
c_put(struct cfx *fx, uint64_t dw0, uint64_t dw1)
{
	uint64_t slot = fx->q + 16ull * (fx->prod & ((1u << fx->log2) - 1));

	tb_w64(fx->tb, slot, dw0);
	tb_w64(fx->tb, slot + 8, dw1);
	fx->prod = (fx->prod + 1) & ((2u << fx->log2) - 1);
}

/* Publish PROD. */
static void
c_go(struct cfx *fx)
{
	c_wr(fx, SMMU_R_CMDQ_PROD, 4, fx->prod);
}

static void
c_cmd(struct cfx *fx, uint64_t dw0, uint64_t dw1)
{
	c_put(fx, dw0, dw1);
	c_go(fx);
}

static bool
c_cmdq_err(struct cfx *fx)
{
	return ((c_rd(fx, SMMU_R_GERROR) ^ c_rd(fx, SMMU_R_GERRORN)) &
	    SMMU_GERROR_CMDQ_ERR) != 0;
}

/* ---- the TLBI matrix ------------------------------------------------- */

/*
 * Streams 1 and 2: stage 1 with ASID 1 and 2 over the same 8 pages at
 * C_VA; stream 3: stage 2 with VMID 3 over 8 pages at C_IPA.
 */
static void
c_streams(struct cfx *fx)
{
	struct tb_pt s1, s2;
	struct tb_ste ste;
	struct tb_cd cd;
	uint64_t cdp;
	unsigned i, sid;

	ck_assert_int_eq(tb_pt_init(&s1, fx->tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map_range(&s1, C_VA, C_OUT, 8 * 4096,
	    TB_S1_DEFAULT), 0);
	for (sid = 1; sid <= 2; sid++) {
		cdp = tb_alloc(fx->tb, 64, 64);
		tb_cd_s1(&cd, &s1, sid);
		tb_put_cd(fx->tb, cdp, &cd);
		tb_ste_s1(&ste, cdp);
		tb_put_ste(fx->tb, fx->strtab + 64 * sid, &ste);
	}
	ck_assert_int_eq(tb_pt_init(&s2, fx->tb, true, 12, 40, 1), 0);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(tb_pt_map(&s2, C_IPA + 4096ull * i,
		    C_OUT + 4096ull * i, 3, TB_S2_DEFAULT), 0);
	tb_ste_s2(&ste, &s2, 3);
	tb_put_ste(fx->tb, fx->strtab + 64 * 3, &ste);
}

/* Translate page i of stream sid; returns whether it hit the TLB. */
static bool
c_hit(struct cfx *fx, uint32_t sid, unsigned i)
{
	struct smmu_txn t = { .sid = sid, .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;

	t.iova = (sid == 3 ? C_IPA : C_VA) + 4096ull * i + 8;
	ck_assert_int_eq(smmu_translate(fx->s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, C_OUT + 4096ull * i + 8);
	return x.tlb_hit;
}

/* Bit 8 * (sid - 1) + page: the entries a command must drop. */
#define P(sid, page) (1u << (8 * ((sid) - 1) + (page)))
#define ALLP(sid) (0xffu << (8 * ((sid) - 1)))

struct c_tlbi_case {
	uint64_t cmd[3][2];	/* up to three commands, dw0 = 0 ends */
	uint32_t dropped;
};

static const struct c_tlbi_case c_tlbi_cases[] = {
	/* NH_ALL(VMID 0): every stage-1 entry, not the IPA ones. */
	{ { { OP_NH_ALL, 0 } }, ALLP(1) | ALLP(2) },
	{ { { OP_NH_ASID | ASID(1), 0 } }, ALLP(1) },
	{ { { OP_NH_VA | ASID(1), C_VA + 2 * 4096 } }, P(1, 2) },
	/* Address is VA[63:12]; RES0 bits [7:1] are ignored (but [11:8]
	 * are TG and TTL). */
	{ { { OP_NH_VA | ASID(2), C_VA + 5 * 4096 + 0xfe } }, P(2, 5) },
	{ { { OP_NH_VAA, C_VA + 2 * 4096 } }, P(1, 2) | P(2, 2) },
	/* Ranges: TG = 4 KB, (NUM + 1) * 2^SCALE pages. */
	{ { { OP_NH_VA | ASID(1) | NUM(3), (C_VA + 2 * 4096) | TG(1) } },
	    P(1, 2) | P(1, 3) | P(1, 4) | P(1, 5) },
	{ { { OP_NH_VA | ASID(1) | SCALE(1), (C_VA + 4 * 4096) | TG(1) |
	    TTL(3) } }, P(1, 4) | P(1, 5) },
	{ { { OP_NH_VAA | NUM(1) | SCALE(1), C_VA | TG(1) } },
	    0x0f | 0x0f << 8 },
	{ { { OP_S2_IPA | VMID(3), C_IPA + 4096 } }, P(3, 1) },
	{ { { OP_S2_IPA | VMID(3) | NUM(1) | SCALE(1), C_IPA | TG(1) |
	    1 } }, P(3, 0) | P(3, 1) | P(3, 2) | P(3, 3) },
	{ { { OP_S2_IPA | VMID(4), C_IPA + 4096 } }, 0 },
	{ { { OP_S12_VMALL | VMID(3), 0 } }, ALLP(3) },
	{ { { OP_S12_VMALL | VMID(0), 0 } }, ALLP(1) | ALLP(2) },
	{ { { OP_NSNH_ALL, 0 } }, ALLP(1) | ALLP(2) | ALLP(3) },
	/* Adjacent pages merge; another ASID starts a new run. */
	{ { { OP_NH_VA | ASID(1), C_VA + 4096 },
	    { OP_NH_VA | ASID(1), C_VA + 2 * 4096 },
	    { OP_NH_VA | ASID(2), C_VA + 6 * 4096 } },
	    P(1, 1) | P(1, 2) | P(2, 6) },
	/* Non-adjacent pages of one ASID stay two invalidations. */
	{ { { OP_NH_VA | ASID(1), C_VA + 7 * 4096 },
	    { OP_NH_VA | ASID(1), C_VA },
	    { OP_NH_VA | ASID(1), C_VA + 3 * 4096 } },
	    P(1, 7) | P(1, 0) | P(1, 3) },
	/* Overlapping ranges merge; NH_VA and NH_VAA do not. */
	{ { { OP_NH_VA | ASID(2) | NUM(1), (C_VA + 4096) | TG(1) },
	    { OP_NH_VA | ASID(2), C_VA + 2 * 4096 },
	    { OP_NH_VAA, C_VA + 7 * 4096 } },
	    P(2, 1) | P(2, 2) | P(1, 7) | P(2, 7) },
};

/* Each TLBI (run) drops exactly the entries it names, after CMD_SYNC. */
START_TEST(test_cmdq_tlbi)
{
	const struct c_tlbi_case *tc = &c_tlbi_cases[_i];
	struct cfx fx;
	uint32_t sid, dropped = 0;
	unsigned i;

	c_init(&fx);
	c_streams(&fx);
	for (sid = 1; sid <= 3; sid++)
		for (i = 0; i < 8; i++)
			(void)c_hit(&fx, sid, i);
	for (i = 0; i < 3 && tc->cmd[i][0] != 0; i++)
		c_put(&fx, tc->cmd[i][0], tc->cmd[i][1]);
	c_put(&fx, OP_SYNC, 0);
	c_go(&fx);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), fx.prod);
	ck_assert(!c_cmdq_err(&fx));
	for (sid = 1; sid <= 3; sid++)
		for (i = 0; i < 8; i++)
			if (!c_hit(&fx, sid, i))
				dropped |= P(sid, i);
	ck_assert_uint_eq(dropped, tc->dropped);
	c_fini(&fx);
}
END_TEST

/* ---- configuration invalidation ------------------------------------ */

struct c_cfgi_case {
	uint64_t dw0, dw1;
	bool refreshes;		/* stream 5 sees its new STE/CD */
};

static const struct c_cfgi_case c_cfgi_ste_cases[] = {
	{ OP_CFGI_STE | SID(5), 1, true },
	{ OP_CFGI_STE | SID(5), 0, true },
	{ OP_CFGI_STE | SID(6), 1, false },
	{ OP_CFGI_STE_RANGE | SID(6), 1, true },	/* 4..7 */
	{ OP_CFGI_STE_RANGE | SID(9), 1, false },	/* 8..11 */
	{ OP_CFGI_STE_RANGE | SID(40), 5, true },	/* 0..63 */
	{ OP_CFGI_STE_RANGE, 31, true },		/* CFGI_ALL */
	{ OP_CFGI_CD_ALL | SID(5), 0, false },		/* STE stays */
	{ OP_PREFETCH_CONFIG | SID(5), 0, false },
};

/*
 * Stream 5's STE is rewritten (stage 1 -> bypass) without invalidation:
 * the cached copy stays in use until a command covering it.
 */
START_TEST(test_cmdq_cfgi_ste)
{
	const struct c_cfgi_case *tc = &c_cfgi_ste_cases[_i];
	struct smmu_txn t = { .sid = 5, .iova = C_VA + 8,
	    .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;
	struct tb_pt pt;
	struct tb_ste ste;
	struct tb_cd cd;
	struct cfx fx;
	uint64_t cdp;

	c_init(&fx);
	ck_assert_int_eq(tb_pt_init(&pt, fx.tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt, C_VA, C_OUT, 3, TB_S1_DEFAULT), 0);
	cdp = tb_alloc(fx.tb, 64, 64);
	tb_cd_s1(&cd, &pt, 1);
	tb_put_cd(fx.tb, cdp, &cd);
	tb_ste_s1(&ste, cdp);
	tb_put_ste(fx.tb, fx.strtab + 64 * 5, &ste);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, C_OUT + 8);

	memset(&ste, 0, sizeof(ste));
	ste.v = true;
	ste.config = 4;			/* bypass */
	tb_put_ste(fx.tb, fx.strtab + 64 * 5, &ste);
	c_put(&fx, tc->dw0, tc->dw1);
	c_put(&fx, OP_SYNC, 0);
	c_go(&fx);
	ck_assert(!c_cmdq_err(&fx));
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, tc->refreshes ? C_VA + 8 : C_OUT + 8);
	ck_assert_uint_eq(x.bypass, tc->refreshes);
	c_fini(&fx);
}
END_TEST

/* A CD rewritten in place (new ASID and tables) shows after CFGI_CD or
 * CFGI_CD_ALL of its stream (or an STE invalidation). */
START_TEST(test_cmdq_cfgi_cd)
{
	static const uint64_t cmds[][2] = {
		{ OP_CFGI_CD | SID(5), 1 },		/* SSID 0, Leaf */
		{ OP_CFGI_CD | SID(5), 0 },
		{ OP_CFGI_CD_ALL | SID(5), 0 },
		{ OP_CFGI_STE | SID(5), 1 },
	};
	struct smmu_txn t = { .sid = 5, .iova = C_VA + 8,
	    .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;
	struct tb_pt pt1, pt2;
	struct tb_ste ste;
	struct tb_cd cd;
	struct cfx fx;
	uint64_t cdp;

	c_init(&fx);
	ck_assert_int_eq(tb_pt_init(&pt1, fx.tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt1, C_VA, C_OUT, 3, TB_S1_DEFAULT), 0);
	ck_assert_int_eq(tb_pt_init(&pt2, fx.tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(&pt2, C_VA, C_OUT + 0x10000, 3,
	    TB_S1_DEFAULT), 0);
	cdp = tb_alloc(fx.tb, 64, 64);
	tb_cd_s1(&cd, &pt1, 1);
	tb_put_cd(fx.tb, cdp, &cd);
	tb_ste_s1(&ste, cdp);
	tb_put_ste(fx.tb, fx.strtab + 64 * 5, &ste);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, C_OUT + 8);
	tb_cd_s1(&cd, &pt2, 2);
	tb_put_cd(fx.tb, cdp, &cd);
	c_cmd(&fx, OP_SYNC, 0);
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, C_OUT + 8);
	c_put(&fx, cmds[_i][0], cmds[_i][1]);
	c_put(&fx, OP_SYNC, 0);
	c_go(&fx);
	ck_assert(!c_cmdq_err(&fx));
	ck_assert_int_eq(smmu_translate(fx.s, &t, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, C_OUT + 0x10008);
	c_fini(&fx);
}
END_TEST

/* ---- CERROR_ILL ------------------------------------------------------ */

/* Feature variants for the illegal-command table. */
#define V_DEF 0
#define V_NO_S1 1
#define V_NO_S2 2
#define V_NO_RIL 3

struct c_ill_case {
	unsigned variant;
	uint64_t dw0, dw1;
	bool ill;
};

static const struct c_ill_case c_ill_cases[] = {
	/* SSec = 1 on the Non-secure queue (4.1.6). */
	{ V_DEF, OP_PREFETCH_CONFIG | SSEC, 0, true },
	{ V_DEF, OP_PREFETCH_ADDR | SSEC, 0, true },
	{ V_DEF, OP_CFGI_STE | SSEC, 0, true },
	{ V_DEF, OP_CFGI_STE_RANGE | SSEC, 31, true },
	{ V_DEF, OP_CFGI_CD | SSEC, 0, true },
	{ V_DEF, OP_CFGI_CD_ALL | SSEC, 0, true },
	/* Reserved, Secure-only and unoffered commands. */
	{ V_DEF, 0x00, 0, true },
	{ V_DEF, 0x07, 0, true },	/* CFGI_VMS_PIDM: no MPAM */
	{ V_DEF, 0x08, 0, true },
	{ V_DEF, 0x0f, 0, true },
	{ V_DEF, 0x14, 0, true },
	{ V_DEF, 0x18, 0, true },	/* TLBI_EL3_ALL */
	{ V_DEF, 0x1a, 0, true },	/* TLBI_EL3_VA */
	{ V_DEF, 0x20, 0, true },	/* TLBI_EL2_*: Hyp = 0 */
	{ V_DEF, 0x21, 0, true },
	{ V_DEF, 0x22, 0, true },
	{ V_DEF, 0x23, 0, true },
	{ V_DEF, 0x29, 0, true },
	{ V_DEF, 0x31, 0, true },
	{ V_DEF, 0x40, 0, true },	/* ATC_INV: ATS = 0 */
	{ V_DEF, 0x41, 0, true },	/* PRI_RESP: PRI = 0 */
	{ V_DEF, 0x44, 0, true },	/* RESUME: STALL_MODEL = 1 */
	{ V_DEF, 0x45, 0, true },	/* STALL_TERM */
	{ V_DEF, 0x47, 0, true },
	{ V_DEF, 0x50, 0, true },	/* Secure TLBIs */
	{ V_DEF, 0x5a, 0, true },
	{ V_DEF, 0x60, 0, true },
	{ V_DEF, 0x70, 0, true },	/* DPTI */
	{ V_DEF, 0x73, 0, true },
	{ V_DEF, 0x80, 0, true },	/* IMPLEMENTATION DEFINED */
	{ V_DEF, 0xff, 0, true },
	/* CMD_SYNC: CS = 3 is reserved. */
	{ V_DEF, OP_SYNC | CS(3), 0, true },
	{ V_DEF, OP_SYNC | CS(2), 0, false },
	{ V_DEF, OP_SYNC | CS(0) | 0xffffull << 32, C_DOORBELL, false },
	/* Ranges: NUM = SCALE = TTL = 0 with TG != 0. */
	{ V_DEF, OP_NH_VA | ASID(1), C_VA | TG(1), true },
	{ V_DEF, OP_NH_VAA, C_VA | TG(3), true },
	{ V_DEF, OP_S2_IPA | VMID(1), C_IPA | TG(2), true },
	{ V_DEF, OP_NH_VA | ASID(1), C_VA | TG(1) | TTL(3), false },
	{ V_DEF, OP_NH_VA | ASID(1) | NUM(1), C_VA | TG(1), false },
	{ V_DEF, OP_NH_VA | ASID(1) | SCALE(1), C_VA | TG(1), false },
	/* 16 KB with TTL = 1 is reserved (treated as 0) without DS. */
	{ V_DEF, OP_NH_VA | ASID(1), C_VA | TG(2) | TTL(1), true },
	{ V_DEF, OP_NH_VA | ASID(1), C_VA | TG(2) | TTL(2), false },
	/* With TG = 0, NUM/SCALE/TTL are RES0 and ignored. */
	{ V_DEF, OP_NH_VA | ASID(1) | NUM(5), C_VA | TTL(2), false },
	/* Without stage 1 ... */
	{ V_NO_S1, OP_CFGI_CD | SID(1), 0, true },
	{ V_NO_S1, OP_CFGI_CD_ALL | SID(1), 0, true },
	{ V_NO_S1, OP_NH_ALL, 0, true },
	{ V_NO_S1, OP_NH_ASID, 0, true },
	{ V_NO_S1, OP_NH_VA, C_VA, true },
	{ V_NO_S1, OP_NH_VAA, C_VA, true },
	{ V_NO_S1, OP_CFGI_STE | SID(1), 0, false },
	{ V_NO_S1, OP_S2_IPA | VMID(1), C_IPA, false },
	{ V_NO_S1, OP_NSNH_ALL, 0, false },
	/* ... without stage 2 ... */
	{ V_NO_S2, OP_S12_VMALL | VMID(1), 0, true },
	{ V_NO_S2, OP_S2_IPA | VMID(1), C_IPA, true },
	{ V_NO_S2, OP_NH_ALL, 0, false },
	/* ... and without range invalidation: TG is RES0. */
	{ V_NO_RIL, OP_NH_VA | ASID(1) | NUM(1), C_VA | TG(1), true },
	{ V_NO_RIL, OP_S2_IPA | VMID(1) | NUM(1), C_IPA | TG(1), true },
	{ V_NO_RIL, OP_NH_VA | ASID(1), C_VA, false },
};

/*
 * Between two good commands, the command under test either passes or
 * stops the queue at itself with CERROR_ILL and one GERROR.CMDQ_ERR
 * activation (with its interrupt); the command after it is not run.
 */
START_TEST(test_cmdq_ill)
{
	const struct c_ill_case *tc = &c_ill_cases[_i];
	struct smmu_queue_stats st;
	struct smmu_features f;
	struct cfx fx;
	uint64_t cons;

	smmu_features_default(&f);
	if (tc->variant == V_NO_S1) {
		f.s1p = false;
		f.ssid_bits = 0;
	} else if (tc->variant == V_NO_S2) {
		f.s2p = false;
	} else if (tc->variant == V_NO_RIL) {
		f.ril = false;
	}
	c_init_feat(&fx, &f, 4, 0);
	c_put(&fx, OP_PREFETCH_CONFIG | SID(1), 0);
	c_put(&fx, tc->dw0, tc->dw1);
	c_put(&fx, OP_NSNH_ALL, 0);
	c_go(&fx);
	cons = c_rd(&fx, SMMU_R_CMDQ_CONS);
	smmu_queue_stats_get(fx.s, &st);
	if (!tc->ill) {
		ck_assert_uint_eq(cons, 3);
		ck_assert(!c_cmdq_err(&fx));
		ck_assert_uint_eq(st.cmds, 3);
		ck_assert_uint_eq(fx.nirq, 0);
		c_fini(&fx);
		return;
	}
	ck_assert_uint_eq(cons, (uint64_t)SMMU_CERROR_ILL << 24 | 1);
	ck_assert(c_cmdq_err(&fx));
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_GERROR), SMMU_GERROR_CMDQ_ERR);
	ck_assert_uint_eq(st.cmds, 1);
	ck_assert_uint_eq(st.cmd_errors, 1);
	ck_assert_uint_eq(st.gerrors, 1);
	ck_assert_uint_eq(fx.nirq, 1);
	ck_assert_uint_eq(fx.irq[0].source, SMMU_MSI_GERROR);
	ck_assert_uint_eq(fx.irq[0].addr, C_DOORBELL + 0x40);
	ck_assert_uint_eq(fx.irq[0].data, 0x9e);
	c_fini(&fx);
}
END_TEST

/* ---- errors: abort, stop, recovery ---------------------------------- */

/*
 * A queue in unbacked memory: CERROR_ABT at the first entry.  A queue
 * half in a 4 KB region and half beyond it: the backed entries run, then
 * CERROR_ABT.  A queue over two adjacent regions (no single host
 * pointer): read entry by entry, all of it runs.
 */
START_TEST(test_cmdq_abt)
{
	struct smmu_queue_stats st;
	struct smmu_features f;
	struct cfx fx;
	unsigned i;

	smmu_features_default(&f);
	c_init_feat(&fx, &f, 4, C_UNBACKED);
	fx.prod = 1;			/* nothing can be written there */
	c_go(&fx);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS),
	    (uint64_t)SMMU_CERROR_ABT << 24);
	ck_assert(c_cmdq_err(&fx));
	c_fini(&fx);

	c_init_feat(&fx, &f, 9, 0x60000000);
	ck_assert_int_eq(gmem_region_add(fx.tb->g, "half", 0x60000000, 4096,
	    GMEM_ANON, -1, 0, 0), 0);
	for (i = 0; i < 256; i++)
		c_put(&fx, OP_NSNH_ALL, 0);
	fx.prod += 44;			/* entries 256..299: not backed */
	c_go(&fx);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS),
	    (uint64_t)SMMU_CERROR_ABT << 24 | 256);
	ck_assert(c_cmdq_err(&fx));
	c_fini(&fx);

	c_init_feat(&fx, &f, 9, 0x61000000);
	ck_assert_int_eq(gmem_region_add(fx.tb->g, "lo", 0x61000000, 4096,
	    GMEM_ANON, -1, 0, 0), 0);
	ck_assert_int_eq(gmem_region_add(fx.tb->g, "hi", 0x61001000, 4096,
	    GMEM_ANON, -1, 0, 0), 0);
	for (i = 0; i < 300; i++)
		c_put(&fx, OP_NSNH_ALL, 0);
	c_go(&fx);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 300);
	ck_assert(!c_cmdq_err(&fx));
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds, 300);
	c_fini(&fx);
}
END_TEST

/*
 * While CMDQ_ERR is active nothing is consumed; acknowledging it without
 * a fix fails again (a second activation), fixing the entry in memory
 * and acknowledging resumes at CONS with the re-fetched command.
 */
START_TEST(test_cmdq_error_recovery)
{
	struct smmu_queue_stats st;
	struct cfx fx;
	uint64_t slot;

	c_init(&fx);
	c_put(&fx, OP_NSNH_ALL, 0);
	slot = fx.q + 16ull * fx.prod;
	c_put(&fx, 0x0b, 0);			/* reserved opcode */
	c_put(&fx, OP_NSNH_ALL, 0);
	c_put(&fx, OP_SYNC | CS(1), C_DOORBELL);
	c_go(&fx);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 1ull << 24 | 1);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_GERROR), SMMU_GERROR_CMDQ_ERR);
	ck_assert_uint_eq(fx.nirq, 1);
	/* More PROD writes (and commands) while active: nothing. */
	c_cmd(&fx, OP_NSNH_ALL, 0);
	c_go(&fx);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds, 1);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 1ull << 24 | 1);
	/* Acknowledge without fixing: the same entry fails again. */
	c_wr(&fx, SMMU_R_GERRORN, 4, SMMU_GERROR_CMDQ_ERR);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_GERROR), 0);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_GERRORN), SMMU_GERROR_CMDQ_ERR);
	ck_assert(c_cmdq_err(&fx));
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 1ull << 24 | 1);
	ck_assert_uint_eq(fx.nirq, 2);
	/* Fix it (a prefetch) and acknowledge: the rest runs, the SYNC's
	 * MSI is sent once CONS has passed it. */
	tb_w64(fx.tb, slot, OP_PREFETCH_ADDR | SID(3));
	c_wr(&fx, SMMU_R_GERRORN, 4, 0);
	ck_assert(!c_cmdq_err(&fx));
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS) & 0xfffff, fx.prod);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds, 5);
	ck_assert_uint_eq(st.cmd_errors, 2);
	ck_assert_uint_eq(st.gerrors, 2);
	ck_assert_uint_eq(fx.nirq, 3);
	ck_assert_uint_eq(fx.irq[2].source, SMMU_MSI_CMD_SYNC);
	ck_assert_uint_eq(fx.irq[2].cons & 0xfffff, 4);
	c_fini(&fx);
}
END_TEST

/* ---- CMD_SYNC -------------------------------------------------------- */

START_TEST(test_cmdq_sync_signals)
{
	struct smmu_queue_stats st;
	struct cfx fx;
	uint64_t msiw, slot;
	uint32_t w;

	c_init(&fx);
	msiw = tb_alloc(fx.tb, 64, 64);
	tb_w64(fx.tb, msiw, ~0ull);
	/* Linux MSI polling: MSIAddress = the SYNC's slot, MSIData = 0. */
	c_put(&fx, OP_NSNH_ALL, 0);
	slot = fx.q + 16ull * fx.prod;
	c_put(&fx, OP_SYNC | CS(1) | 3ull << 22 | 0xfull << 24, slot);
	/* To another RAM word, with data; with bits [1:0] ignored. */
	c_put(&fx, OP_SYNC | CS(1) | 0xabcd1234ull << 32, msiw + 4 + 3);
	/* To a doorbell: the sink, after CONS moved past the SYNC. */
	c_put(&fx, OP_SYNC | CS(1) | 0x55ull << 32, C_DOORBELL);
	/* MSIAddress = 0: the wired CMD_SYNC interrupt (sink, addr 0). */
	c_put(&fx, OP_SYNC | CS(1) | 0x66ull << 32, 0);
	/* SIG_NONE and SIG_SEV (no SEV): no signal at all. */
	c_put(&fx, OP_SYNC | CS(0) | 0x77ull << 32, C_DOORBELL);
	c_put(&fx, OP_SYNC | CS(2) | 0x88ull << 32, C_DOORBELL);
	c_go(&fx);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 7);
	ck_assert_int_eq(gmem_read32(fx.tb->g, slot, &w), 0);
	ck_assert_uint_eq(w, 0);
	ck_assert_uint_eq(tb_r64(fx.tb, slot) >> 32, 0);  /* dw0 high kept */
	ck_assert_uint_eq(tb_r64(fx.tb, msiw), 0xabcd1234ffffffffull);
	ck_assert_uint_eq(fx.nirq, 2);
	ck_assert_uint_eq(fx.irq[0].source, SMMU_MSI_CMD_SYNC);
	ck_assert_uint_eq(fx.irq[0].addr, C_DOORBELL);
	ck_assert_uint_eq(fx.irq[0].data, 0x55);
	ck_assert_uint_eq(fx.irq[0].cons, 4);
	ck_assert_uint_eq(fx.irq[1].addr, 0);
	ck_assert_uint_eq(fx.irq[1].data, 0);
	ck_assert_uint_eq(fx.irq[1].cons, 5);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmd_syncs, 6);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].raised, 4);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].ram, 2);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].sink, 2);
	ck_assert_uint_eq(st.msi[SMMU_MSI_CMD_SYNC].wired, 1);
	c_fini(&fx);
}
END_TEST

/* ---- queue geometry -------------------------------------------------- */

/*
 * LOG2SIZE beyond IDR1.CMDQS is capped, the base is aligned down to the
 * queue size, and thousands of commands wrap the queue.
 */
START_TEST(test_cmdq_geometry_wrap)
{
	struct smmu_queue_stats st;
	struct smmu_features f;
	struct cfx fx;
	uint64_t q;
	unsigned i, lap;

	smmu_features_default(&f);
	f.cmdq_log2 = 3;
	c_init_feat(&fx, &f, 3, 0);
	/* Rebase: LOG2SIZE 9 (capped to 3: 128 bytes), ADDR 0x40 above a
	 * 128-byte boundary (ignored). */
	q = tb_alloc(fx.tb, 256, 256);
	c_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN);
	c_wr(&fx, SMMU_R_CMDQ_BASE, 8, (q + 0x40) | 9);
	c_wr(&fx, SMMU_R_CMDQ_PROD, 4, 0);
	c_wr(&fx, SMMU_R_CMDQ_CONS, 4, 0);
	c_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN);
	fx.q = q;
	fx.prod = 0;
	for (lap = 0; lap < 500; lap++) {
		/* 1..8 commands a batch: every split of the wrap. */
		for (i = 0; i <= lap % 8; i++)
			c_put(&fx, OP_NH_VA | ASID(lap & 0xff), C_VA +
			    4096ull * i);
		c_go(&fx);
		ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), fx.prod);
	}
	ck_assert_uint_le(fx.prod, 15);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds, 500 / 8 * 36 + (1 + 2 + 3 + 4));
	ck_assert_uint_eq(st.cmd_errors, 0);
	c_fini(&fx);
}
END_TEST

/* CMDQEN = 0: PROD writes are remembered, CMDQEN 0 -> 1 consumes. */
START_TEST(test_cmdq_enable)
{
	struct smmu_queue_stats st;
	struct cfx fx;

	c_init(&fx);
	c_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN);
	c_put(&fx, OP_NSNH_ALL, 0);
	c_put(&fx, OP_SYNC | CS(1), C_DOORBELL);
	c_go(&fx);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 0);
	ck_assert_uint_eq(fx.nirq, 0);
	c_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 2);
	ck_assert_uint_eq(fx.nirq, 1);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds, 2);
	ck_assert_uint_eq(st.cmd_runs, 1);
	c_fini(&fx);
}
END_TEST

/*
 * A PROD written behind CONS (an over-full queue: CONSTRAINED
 * UNPREDICTABLE) is taken modulo the index range: a bounded run that
 * ends with CONS = PROD, not an endless one.
 */
START_TEST(test_cmdq_prod_behind_cons)
{
	struct smmu_queue_stats st;
	struct cfx fx;
	unsigned i;

	c_init_feat(&fx, NULL, 3, 0);
	for (i = 0; i < 8; i++)
		c_put(&fx, OP_PREFETCH_CONFIG | SID(i), 0);
	c_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN);
	c_wr(&fx, SMMU_R_CMDQ_CONS, 4, 5);
	c_wr(&fx, SMMU_R_CMDQ_PROD, 4, 2);
	c_wr(&fx, SMMU_R_CR0, 4, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN);
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 2);
	ck_assert(!c_cmdq_err(&fx));
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds, 13);		/* (2 - 5) mod 16 */
	c_fini(&fx);
}
END_TEST

/* ---- smmu_cmdq_exec() ------------------------------------------------ */

START_TEST(test_cmdq_exec)
{
	struct smmu_queue_stats st;
	struct cfx fx;
	uint64_t msiw, cmds[8];
	unsigned done = 99;

	c_init(&fx);
	c_streams(&fx);
	(void)c_hit(&fx, 1, 0);
	(void)c_hit(&fx, 2, 0);
	msiw = tb_alloc(fx.tb, 64, 64);
	tb_w64(fx.tb, msiw, ~0ull);
	cmds[0] = OP_NH_ASID | ASID(1);
	cmds[1] = 0;
	cmds[2] = OP_SYNC | CS(1) | 0x1234ull << 32;
	cmds[3] = msiw;
	ck_assert_int_eq(smmu_cmdq_exec(fx.s, cmds, 2, &done),
	    SMMU_CERROR_NONE);
	ck_assert_uint_eq(done, 2);
	ck_assert(!c_hit(&fx, 1, 0));
	ck_assert(c_hit(&fx, 2, 0));
	ck_assert_uint_eq(tb_r64(fx.tb, msiw), 0xffffffff00001234ull);
	/* Stops at the illegal one; what came before took effect. */
	cmds[0] = OP_NH_ASID | ASID(2);
	cmds[1] = 0;
	cmds[2] = OP_NH_VA | ASID(1);
	cmds[3] = C_VA | TG(1);		/* NUM = SCALE = TTL = 0 */
	cmds[4] = OP_NSNH_ALL;
	cmds[5] = 0;
	ck_assert_int_eq(smmu_cmdq_exec(fx.s, cmds, 3, &done),
	    SMMU_CERROR_ILL);
	ck_assert_uint_eq(done, 1);
	ck_assert(!c_hit(&fx, 2, 0));
	ck_assert(c_hit(&fx, 1, 0));
	/* The guest's queue is untouched. */
	ck_assert(!c_cmdq_err(&fx));
	ck_assert_uint_eq(c_rd(&fx, SMMU_R_CMDQ_CONS), 0);
	ck_assert_int_eq(smmu_cmdq_exec(fx.s, NULL, 0, &done), 0);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(smmu_cmdq_exec(fx.s, NULL, 1, &done),
	    SMMU_ERR_INVAL);
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds_exec, 3);
	ck_assert_uint_eq(st.cmds, 0);
	ck_assert_uint_eq(st.cmd_syncs, 1);
	c_fini(&fx);
}
END_TEST

/* ---- concurrency ----------------------------------------------------- */

struct c_thr {
	struct cfx *fx;
	pthread_mutex_t *guest;	/* the guest driver's own queue lock */
	unsigned iters;
	unsigned bad;
	bool translate;
};

/* A vCPU issuing TLBI + CMD_SYNC (MSI poll) batches, or translating. */
static void *
c_thread(void *arg)
{
	struct c_thr *t = arg;
	struct cfx *fx = t->fx;
	struct smmu_txn tx = { .access = SMMU_ACC_READ };
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t slot;
	uint32_t w;
	unsigned i;

	for (i = 0; i < t->iters; i++) {
		if (t->translate) {
			/* No ck_assert off the main thread. */
			tx.sid = 1 + (i & 1);
			tx.iova = C_VA + 4096ull * (i & 7);
			if (smmu_translate(fx->s, &tx, &x, &e) !=
			    SMMU_XLATE_OK || x.oa != C_OUT + 4096ull * (i & 7))
				t->bad++;
			continue;
		}
		pthread_mutex_lock(t->guest);
		c_put(fx, OP_NH_VA | ASID(1 + (i & 1)), C_VA +
		    4096ull * (i & 7));
		slot = fx->q + 16ull * (fx->prod & ((1u << fx->log2) - 1));
		c_put(fx, OP_SYNC | CS(1), slot);
		if (smmu_mmio_write(fx->s, SMMU_R_CMDQ_PROD, 4,
		    fx->prod) != 0 ||
		    gmem_read32(fx->tb->g, slot, &w) != 0 || w != 0)
			t->bad++;
		pthread_mutex_unlock(t->guest);
	}
	return NULL;
}

START_TEST(test_cmdq_concurrent)
{
	pthread_mutex_t guest = PTHREAD_MUTEX_INITIALIZER;
	struct smmu_queue_stats st;
	struct c_thr thr[4];
	pthread_t th[4];
	struct cfx fx;
	unsigned i;

	c_init_feat(&fx, NULL, 5, 0);
	c_streams(&fx);
	for (i = 0; i < 4; i++) {
		thr[i] = (struct c_thr){ &fx, &guest, 3000, 0, i >= 2 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, c_thread,
		    &thr[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_uint_eq(thr[i].bad, 0);
	}
	smmu_queue_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.cmds, 2 * 3000 * 2);
	ck_assert_uint_eq(st.cmd_syncs, 2 * 3000);
	ck_assert_uint_eq(st.cmd_errors, 0);
	pthread_mutex_destroy(&guest);
	c_fini(&fx);
}
END_TEST

Suite *
cmdq_suite(void)
{
	Suite *s = suite_create("cmdq");
	TCase *tc = tcase_create("command queue");

	tcase_add_loop_test(tc, test_cmdq_tlbi, 0,
	    sizeof(c_tlbi_cases) / sizeof(c_tlbi_cases[0]));
	tcase_add_loop_test(tc, test_cmdq_cfgi_ste, 0,
	    sizeof(c_cfgi_ste_cases) / sizeof(c_cfgi_ste_cases[0]));
	tcase_add_loop_test(tc, test_cmdq_cfgi_cd, 0, 4);
	tcase_add_loop_test(tc, test_cmdq_ill, 0,
	    sizeof(c_ill_cases) / sizeof(c_ill_cases[0]));
	tcase_add_test(tc, test_cmdq_abt);
	tcase_add_test(tc, test_cmdq_error_recovery);
	tcase_add_test(tc, test_cmdq_sync_signals);
	tcase_add_test(tc, test_cmdq_geometry_wrap);
	tcase_add_test(tc, test_cmdq_enable);
	tcase_add_test(tc, test_cmdq_prod_behind_cons);
	tcase_add_test(tc, test_cmdq_exec);
	tcase_add_test(tc, test_cmdq_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
