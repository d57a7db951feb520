/*
 * test_smmu.c - the instance: configuration resolution, fault selection
 * and priority, TLB use, invalidation semantics, statistics.
 *
 * Every case builds real stream tables, STEs, CDs and page tables in a
 * gmem with the test builder and drives smmu_translate() end to end.
 */
#include <stdlib.h>
#include <string.h>

#include "smmu.h"
#include "suites.h"
#include "tbuild.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (256ull << 20)
#define OUT_BASE 0x80000000ull	/* output addresses (not RAM) */

struct fx {
	struct tb *tb;
	struct smmu *s;
	struct smmu_features f;
	uint64_t strtab;
	unsigned log2size;
};

/* A bench with a linear stream table of 2^log2size STEs, SMMU enabled. */
static void
fx_init_feat(struct fx *fx, unsigned log2size, const struct smmu_features *f)
{
	struct smmu_ctrl c;

	memset(fx, 0, sizeof(*fx));
	fx->tb = tb_create(RAM_BASE, RAM_SIZE);
	ck_assert_ptr_nonnull(fx->tb);
	if (f != NULL)
		fx->f = *f;
	else
		smmu_features_default(&fx->f);
	fx->s = smmu_create(&fx->f, fx->tb->g, NULL);
	ck_assert_ptr_nonnull(fx->s);
	fx->log2size = log2size;
	fx->strtab = tb_strtab_linear(fx->tb, log2size);
	memset(&c, 0, sizeof(c));
	c.enabled = true;
	c.strtab_base = fx->strtab;
	c.strtab_base_cfg = tb_strtab_cfg(log2size, 0, 0);
	ck_assert_int_eq(smmu_ctrl_set(fx->s, &c), 0);
}

static void
fx_init(struct fx *fx)
{
	fx_init_feat(fx, 6, NULL);
}

static void
fx_fini(struct fx *fx)
{
	smmu_destroy(fx->s);
	tb_destroy(fx->tb);
}

static uint64_t
fx_ste(const struct fx *fx, uint32_t sid)
{
	return fx->strtab + 64ull * sid;
}

/* A 4K, 48-bit stage-1 tree with one page iova -> oa mapped (attrs). */
static void
fx_pt(struct fx *fx, struct tb_pt *pt, uint64_t iova, uint64_t oa,
    uint64_t attrs)
{
	ck_assert_int_eq(tb_pt_init(pt, fx->tb, false, 12, 48, -1), 0);
	ck_assert_int_eq(tb_pt_map(pt, iova, oa, 3, attrs), 0);
}

/* Stream sid: stage 1 through a single CD with asid over tree pt. */
static uint64_t
fx_s1_stream(struct fx *fx, uint32_t sid, const struct tb_pt *pt,
    unsigned asid, struct tb_cd *ret_cd)
{
	struct tb_cd cd;
	struct tb_ste ste;
	uint64_t cdaddr = tb_alloc(fx->tb, 64, 64);

	tb_cd_s1(&cd, pt, asid);
	tb_put_cd(fx->tb, cdaddr, &cd);
	tb_ste_s1(&ste, cdaddr);
	tb_put_ste(fx->tb, fx_ste(fx, sid), &ste);
	if (ret_cd != NULL)
		*ret_cd = cd;
	return cdaddr;
}

static int
fx_xlate(struct fx *fx, uint32_t sid, bool ssv, uint32_t ssid, uint64_t iova,
    unsigned access, struct smmu_xlate *x, struct smmu_event *e)
{
	struct smmu_txn t = {
		.sid = sid, .ssid = ssid, .ssv = ssv, .iova = iova,
		.access = access,
	};

	memset(x, 0, sizeof(*x));
	memset(e, 0, sizeof(*e));
	return smmu_translate(fx->s, &t, x, e);
}

static int
fx_inv(struct fx *fx, enum smmu_inv_op op, uint32_t sid)
{
	struct smmu_inv inv = { .op = op, .sid = sid };

	return smmu_invalidate(fx->s, &inv);
}

START_TEST(test_disabled_gbpa)
{
	struct fx fx;
	struct smmu_ctrl c;
	struct smmu_xlate x;
	struct smmu_event e;

	fx_init(&fx);
	smmu_ctrl_get(fx.s, &c);
	c.enabled = false;
	c.gbpa = 0;
	smmu_ctrl_set(fx.s, &c);
	ck_assert_int_eq(fx_xlate(&fx, 3, false, 0, 0x1234, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.bypass);
	ck_assert_uint_eq(x.oa, 0x1234);
	c.gbpa = 1u << 20;	/* GBPA.ABORT */
	smmu_ctrl_set(fx.s, &c);
	ck_assert_int_eq(fx_xlate(&fx, 3, false, 0, 0x1234, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_NONE);
	ck_assert(!e.record);
	ck_assert(e.abort);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_s1_walk_then_hit)
{
	struct fx fx;
	struct tb_pt pt;
	struct smmu_xlate x;
	struct smmu_event e;
	struct smmu_stats st;

	fx_init(&fx);
	fx_pt(&fx, &pt, 0x12345000, OUT_BASE + 0x7000, TB_S1_DEFAULT);
	fx_s1_stream(&fx, 5, &pt, 7, NULL);
	ck_assert_int_eq(fx_xlate(&fx, 5, false, 0, 0x12345abc,
	    SMMU_ACC_WRITE, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x7abc);
	ck_assert_uint_eq(x.size_log2, 12);
	ck_assert_uint_eq(x.base, 0x12345000);
	ck_assert(!x.tlb_hit);
	ck_assert_uint_eq(x.perm, SMMU_PERM_R | SMMU_PERM_W | SMMU_PERM_X);
	ck_assert_int_eq(fx_xlate(&fx, 5, false, 0, 0x12345008,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x7008);
	/* Unmapped page: a recorded stage-1 F_TRANSLATION. */
	ck_assert_int_eq(fx_xlate(&fx, 5, false, 0, 0x22345000,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_TRANSLATION);
	ck_assert_uint_eq(e.sid, 5);
	ck_assert(!e.s2);
	ck_assert(e.rnw);
	ck_assert_uint_eq(e.input_addr, 0x22345000);
	ck_assert(e.record);
	ck_assert(e.abort);

	smmu_stats_get(fx.s, &st);
	ck_assert_uint_eq(st.translations, 3);
	ck_assert_uint_eq(st.tlb_hits, 1);
	ck_assert_uint_eq(st.tlb_misses, 2);
	ck_assert_uint_eq(st.walks, 2);
	ck_assert_uint_eq(st.faults, 1);
	ck_assert_uint_eq(st.fault_by_type[smmu_stats_fault_index(
	    SMMU_EVT_F_TRANSLATION)], 1);
	ck_assert_uint_eq(st.tlb.entries, 1);
	ck_assert_int_eq(smmu_stream_stats_get(fx.s, 5, &st), 0);
	ck_assert_uint_eq(st.translations, 3);
	ck_assert_int_eq(smmu_stream_stats_get(fx.s, 6, &st),
	    SMMU_ERR_NOENT);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_bad_streamid)
{
	struct fx fx;
	struct smmu_ctrl c;
	struct smmu_xlate x;
	struct smmu_event e;

	fx_init(&fx);
	/* LOG2SIZE = 6: sid 64 is beyond the table. */
	ck_assert_int_eq(fx_xlate(&fx, 64, false, 0, 0x1000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_C_BAD_STREAMID);
	ck_assert_uint_eq(e.sid, 64);
	ck_assert(!e.record);	/* CR2.RECINVSID = 0 */
	ck_assert(e.abort);
	smmu_ctrl_get(fx.s, &c);
	c.cr2 = 1u << 1;
	smmu_ctrl_set(fx.s, &c);
	ck_assert_int_eq(fx_xlate(&fx, 64, false, 0, 0x1000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert(e.record);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_ste_kinds)
{
	struct fx fx;
	struct tb_ste ste;
	struct smmu_xlate x;
	struct smmu_event e;

	fx_init(&fx);
	/* sid 1: V = 0 -> C_BAD_STE, recorded. */
	memset(&ste, 0, sizeof(ste));
	tb_put_ste(fx.tb, fx_ste(&fx, 1), &ste);
	ck_assert_int_eq(fx_xlate(&fx, 1, false, 0, 0, SMMU_ACC_READ, &x, &e),
	    SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_C_BAD_STE);
	ck_assert(e.record);
	ck_assert_ptr_nonnull(e.detail);
	/* sid 2: Config = abort -> no event. */
	ste.v = true;
	ste.config = 0;
	tb_put_ste(fx.tb, fx_ste(&fx, 2), &ste);
	ck_assert_int_eq(fx_xlate(&fx, 2, false, 0, 0, SMMU_ACC_READ, &x, &e),
	    SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_NONE);
	ck_assert(!e.record);
	/* sid 3: bypass -> identity, and the OAS still applies. */
	ste.config = 4;
	tb_put_ste(fx.tb, fx_ste(&fx, 3), &ste);
	ck_assert_int_eq(fx_xlate(&fx, 3, false, 0, 0xabc000, SMMU_ACC_WRITE,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.bypass);
	ck_assert_uint_eq(x.oa, 0xabc000);
	ck_assert_int_eq(fx_xlate(&fx, 3, false, 0, 1ull << 48,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_ADDR_SIZE);
	/* sid 4: unbacked STE address -> F_STE_FETCH. */
	{
		struct smmu_ctrl c;

		smmu_ctrl_get(fx.s, &c);
		c.strtab_base = 0x10000000;	/* below RAM */
		smmu_ctrl_set(fx.s, &c);
		ck_assert_int_eq(fx_xlate(&fx, 4, false, 0, 0, SMMU_ACC_READ,
		    &x, &e), SMMU_XLATE_FAULT);
		ck_assert_uint_eq(e.type, SMMU_EVT_F_STE_FETCH);
		ck_assert_uint_eq(e.fetch_addr, 0x10000000 + 4 * 64);
	}
	/* Malformed access bits are an API error, not a fault. */
	ck_assert_int_eq(fx_xlate(&fx, 3, false, 0, 0, 0x100, &x, &e),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(fx_xlate(&fx, 3, false, 0, 0,
	    SMMU_ACC_WRITE | SMMU_ACC_EXEC, &x, &e), SMMU_ERR_INVAL);
	fx_fini(&fx);
}
END_TEST

/* A linear CD table of 2^cdmax CDs, CD i mapping 0x1000 -> OUT + i pages. */
static uint64_t
fx_cd_table(struct fx *fx, unsigned cdmax, struct tb_pt *pts)
{
	uint64_t table = tb_alloc(fx->tb, 64ull << cdmax, 64ull << cdmax);
	struct tb_cd cd;
	unsigned i;

	for (i = 0; i < (1u << cdmax); i++) {
		fx_pt(fx, &pts[i], 0x1000, OUT_BASE + 0x1000ull * (i + 1),
		    TB_S1_DEFAULT);
		tb_cd_s1(&cd, &pts[i], 100 + i);
		tb_put_cd(fx->tb, table + 64ull * i, &cd);
	}
	return table;
}

START_TEST(test_substreams)
{
	struct fx fx;
	struct tb_pt pts[4];
	struct tb_ste ste;
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t table;

	fx_init(&fx);
	table = fx_cd_table(&fx, 2, pts);
	tb_ste_s1(&ste, table);
	ste.s1cdmax = 2;
	ste.s1dss = 0;			/* terminate non-substream traffic */
	tb_put_ste(fx.tb, fx_ste(&fx, 1), &ste);
	ste.s1dss = 1;			/* bypass stage 1 */
	tb_put_ste(fx.tb, fx_ste(&fx, 2), &ste);
	ste.s1dss = 2;			/* use CD 0 */
	tb_put_ste(fx.tb, fx_ste(&fx, 3), &ste);

	/* SSIDs pick their CD. */
	ck_assert_int_eq(fx_xlate(&fx, 1, true, 3, 0x1010, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x4010);
	ck_assert_int_eq(fx_xlate(&fx, 1, true, 1, 0x1010, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x2010);
	/* SSID beyond S1CDMax. */
	ck_assert_int_eq(fx_xlate(&fx, 1, true, 4, 0x1010, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_C_BAD_SUBSTREAMID);
	ck_assert(e.ssv);
	ck_assert_uint_eq(e.ssid, 4);
	/* No SSID: S1DSS decides. */
	ck_assert_int_eq(fx_xlate(&fx, 1, false, 0, 0x1010, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_STREAM_DISABLED);
	ck_assert_int_eq(fx_xlate(&fx, 2, false, 0, 0x1010, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.bypass);
	ck_assert_uint_eq(x.oa, 0x1010);
	ck_assert_int_eq(fx_xlate(&fx, 3, false, 0, 0x1010, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x1010);
	/* With S1DSS = substream0, SSID 0 itself is disabled. */
	ck_assert_int_eq(fx_xlate(&fx, 3, true, 0, 0x1010, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_STREAM_DISABLED);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_two_level_tables)
{
	struct fx fx;
	struct smmu_ctrl c;
	struct tb_pt pts[2];
	struct tb_ste ste;
	struct tb_cd cd;
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t l1, l2, cdl1, cdl2a, cdl2b;
	uint32_t sid = (5u << 8) | 0x21;	/* SPLIT 8: L1 index 5 */

	fx_init(&fx);
	/* 2-level stream table, 16-bit SIDs, SPLIT = 8. */
	l1 = tb_strtab_2l(fx.tb, 16, 8);
	l2 = tb_strtab_2l_add(fx.tb, l1, 5, 9);	/* 256 STEs */
	smmu_ctrl_get(fx.s, &c);
	c.strtab_base = l1;
	c.strtab_base_cfg = tb_strtab_cfg(16, 8, 1);
	smmu_ctrl_set(fx.s, &c);
	/* 2-level CD table with 4K leaves (S1Fmt = 1), S1CDMax = 8:
	 * SSID 2 in leaf 0, SSID 70 in leaf 1. */
	cdl1 = tb_alloc(fx.tb, 8 * 4, 64);
	cdl2a = tb_alloc(fx.tb, 4096, 4096);
	cdl2b = tb_alloc(fx.tb, 4096, 4096);
	tb_w64(fx.tb, cdl1 + 0, cdl2a | 1);
	tb_w64(fx.tb, cdl1 + 8, cdl2b | 1);
	fx_pt(&fx, &pts[0], 0x5000, OUT_BASE + 0x20000, TB_S1_DEFAULT);
	fx_pt(&fx, &pts[1], 0x5000, OUT_BASE + 0x30000, TB_S1_DEFAULT);
	tb_cd_s1(&cd, &pts[0], 11);
	tb_put_cd(fx.tb, cdl2a + 64 * 2, &cd);
	tb_cd_s1(&cd, &pts[1], 12);
	tb_put_cd(fx.tb, cdl2b + 64 * (70 - 64), &cd);
	tb_ste_s1(&ste, cdl1);
	ste.s1fmt = 1;
	ste.s1cdmax = 8;
	tb_put_ste(fx.tb, l2 + 64 * 0x21, &ste);

	ck_assert_int_eq(fx_xlate(&fx, sid, true, 2, 0x5123, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x20123);
	ck_assert_int_eq(fx_xlate(&fx, sid, true, 70, 0x5123, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x30123);
	/* L1CD 2 is invalid: SSID 130 -> C_BAD_SUBSTREAMID. */
	ck_assert_int_eq(fx_xlate(&fx, sid, true, 130, 0x5123, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_C_BAD_SUBSTREAMID);
	/* A SID whose L1STD is invalid -> C_BAD_STREAMID. */
	ck_assert_int_eq(fx_xlate(&fx, (6u << 8) | 1, false, 0, 0x5123,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_C_BAD_STREAMID);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_cfg_stale_until_cfgi)
{
	struct fx fx;
	struct tb_pt pta, ptb;
	struct smmu_xlate x;
	struct smmu_event e;
	struct tb_ste ste;

	fx_init(&fx);
	fx_pt(&fx, &pta, 0x9000, OUT_BASE + 0xa000, TB_S1_DEFAULT);
	fx_pt(&fx, &ptb, 0x9000, OUT_BASE + 0xb000, TB_S1_DEFAULT);
	fx_s1_stream(&fx, 9, &pta, 1, NULL);
	ck_assert_int_eq(fx_xlate(&fx, 9, false, 0, 0x9000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0xa000);
	/* Repoint the stream at another CD (new ASID, other tables)
	 * without CFGI: the cached configuration stays in use, even after
	 * the TLB is flushed. */
	fx_s1_stream(&fx, 9, &ptb, 2, NULL);
	ck_assert_int_ge(fx_inv(&fx, SMMU_INV_TLBI_NSNH_ALL, 0), 1);
	ck_assert_int_eq(fx_xlate(&fx, 9, false, 0, 0x9000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0xa000);
	/* CFGI_CD for another SID does nothing for sid 9. */
	ck_assert_int_eq(fx_inv(&fx, SMMU_INV_CFGI_STE, 8), 0);
	ck_assert_int_eq(fx_xlate(&fx, 9, false, 0, 0x9000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0xa000);
	/* CFGI_STE(9): the new STE and CD are fetched; ASID 2 misses. */
	ck_assert_int_ge(fx_inv(&fx, SMMU_INV_CFGI_STE, 9), 1);
	ck_assert_int_eq(fx_xlate(&fx, 9, false, 0, 0x9000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0xb000);
	ck_assert(!x.tlb_hit);
	/* Now invalidate the STE (V = 0) and CFGI: C_BAD_STE. */
	memset(&ste, 0, sizeof(ste));
	tb_put_ste(fx.tb, fx_ste(&fx, 9), &ste);
	ck_assert_int_eq(fx_xlate(&fx, 9, false, 0, 0x9000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	fx_inv(&fx, SMMU_INV_CFGI_ALL, 0);
	ck_assert_int_eq(fx_xlate(&fx, 9, false, 0, 0x9000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_C_BAD_STE);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_tlb_stale_until_tlbi)
{
	struct fx fx;
	struct tb_pt pt;
	struct smmu_xlate x;
	struct smmu_event e;
	struct smmu_inv inv;
	uint64_t d;

	fx_init(&fx);
	fx_pt(&fx, &pt, 0x40000, OUT_BASE, TB_S1_DEFAULT);
	ck_assert_int_eq(tb_pt_map(&pt, 0x41000, OUT_BASE + 0x1000, 3,
	    TB_S1_DEFAULT), 0);
	fx_s1_stream(&fx, 1, &pt, 33, NULL);
	fx_s1_stream(&fx, 2, &pt, 34, NULL);
	ck_assert_int_eq(fx_xlate(&fx, 1, false, 0, 0x40000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_int_eq(fx_xlate(&fx, 1, false, 0, 0x41000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_int_eq(fx_xlate(&fx, 2, false, 0, 0x40000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	/* Remap 0x40000 in memory: the TLB keeps the old answer. */
	d = tb_pt_desc_addr(&pt, 0x40000, 3);
	tb_w64(fx.tb, d, (OUT_BASE + 0x9000) | TB_S1_DEFAULT | 3);
	ck_assert_int_eq(fx_xlate(&fx, 1, false, 0, 0x40000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);
	ck_assert_uint_eq(x.oa, OUT_BASE);
	/* TLBI_NH_VA for ASID 33 at 0x40000 drops exactly that entry. */
	memset(&inv, 0, sizeof(inv));
	inv.op = SMMU_INV_TLBI_NH_VA;
	inv.asid = 33;
	inv.addr = 0x40000;
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), 1);
	ck_assert_int_eq(fx_xlate(&fx, 1, false, 0, 0x40000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(!x.tlb_hit);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x9000);
	ck_assert_int_eq(fx_xlate(&fx, 1, false, 0, 0x41000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);
	ck_assert_int_eq(fx_xlate(&fx, 2, false, 0, 0x40000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);		/* other ASID untouched */
	ck_assert_uint_eq(x.oa, OUT_BASE);
	/* A range TLBI (TG = 4K, NUM = 1, SCALE = 0: 2 pages) for ASID 34. */
	inv.asid = 34;
	inv.tg = 1;
	inv.num = 1;
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), 1);
	/* TG != 0 with NUM = SCALE = TTL = 0 is CERROR_ILL. */
	inv.num = 0;
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), SMMU_ERR_INVAL);
	/* NH_ASID drops all of ASID 33's entries. */
	memset(&inv, 0, sizeof(inv));
	inv.op = SMMU_INV_TLBI_NH_ASID;
	inv.asid = 33;
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), 2);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_range_needs_ril)
{
	struct smmu_features f;
	struct fx fx;
	struct smmu_inv inv = {
		.op = SMMU_INV_TLBI_NH_VAA, .tg = 1, .num = 3,
	};

	smmu_features_default(&f);
	f.ril = false;
	fx_init_feat(&fx, 6, &f);
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), SMMU_ERR_NOTSUP);
	inv.op = SMMU_INV_OP_MAX;
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), SMMU_ERR_INVAL);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_perm_fault_on_hit)
{
	struct fx fx;
	struct tb_pt pt;
	struct tb_cd cd;
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t cdaddr;

	fx_init(&fx);
	fx_pt(&fx, &pt, 0x7000, OUT_BASE, TB_AF | TB_NG | TB_AP_RO_ALL);
	cdaddr = fx_s1_stream(&fx, 4, &pt, 5, &cd);
	ck_assert_int_eq(fx_xlate(&fx, 4, false, 0, 0x7000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.perm, SMMU_PERM_R | SMMU_PERM_X);
	/* The write is refused from the TLB entry, as a walk would. */
	ck_assert_int_eq(fx_xlate(&fx, 4, false, 0, 0x7008, SMMU_ACC_WRITE,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_PERMISSION);
	ck_assert(!e.s2);
	ck_assert(!e.rnw);
	ck_assert_uint_eq(e.input_addr, 0x7008);
	ck_assert(e.record);
	ck_assert(e.abort);
	/* CD.R = 0 and CD.A = 0: not recorded, completes as RAZ/WI. */
	cd.r = false;
	cd.a = false;
	tb_put_cd(fx.tb, cdaddr, &cd);
	fx_inv(&fx, SMMU_INV_CFGI_ALL, 0);
	ck_assert_int_eq(fx_xlate(&fx, 4, false, 0, 0x7008, SMMU_ACC_WRITE,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert(!e.record);
	ck_assert(!e.abort);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_privcfg_override)
{
	struct fx fx;
	struct tb_pt pt;
	struct tb_ste ste;
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t cdaddr;

	fx_init(&fx);
	/* Privileged-only page. */
	fx_pt(&fx, &pt, 0x3000, OUT_BASE, TB_AF | TB_NG | TB_AP_RW_PRIV);
	cdaddr = fx_s1_stream(&fx, 6, &pt, 9, NULL);
	ck_assert_int_eq(fx_xlate(&fx, 6, false, 0, 0x3000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_PERMISSION);
	ck_assert(!e.pnu);
	ck_assert_int_eq(fx_xlate(&fx, 6, false, 0, 0x3000,
	    SMMU_ACC_READ | SMMU_ACC_PRIV, &x, &e), SMMU_XLATE_OK);
	/* STE.PRIVCFG = 0b11 makes every access privileged. */
	tb_ste_s1(&ste, cdaddr);
	ste.privcfg = 3;
	tb_put_ste(fx.tb, fx_ste(&fx, 6), &ste);
	fx_inv(&fx, SMMU_INV_CFGI_STE, 6);
	ck_assert_int_eq(fx_xlate(&fx, 6, false, 0, 0x3000, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_tbi_shares_entry)
{
	struct fx fx;
	struct tb_pt pt;
	struct tb_cd cd;
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t cdaddr;

	fx_init(&fx);
	fx_pt(&fx, &pt, 0x6000, OUT_BASE, TB_S1_DEFAULT);
	cdaddr = fx_s1_stream(&fx, 7, &pt, 3, &cd);
	/* Without TBI a tagged pointer is not canonical. */
	ck_assert_int_eq(fx_xlate(&fx, 7, false, 0, 0x5a00000000006000ull,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_TRANSLATION);
	cd.tbi0 = true;
	tb_put_cd(fx.tb, cdaddr, &cd);
	fx_inv(&fx, SMMU_INV_CFGI_STE, 7);
	ck_assert_int_eq(fx_xlate(&fx, 7, false, 0, 0x5a00000000006010ull,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x10);
	ck_assert(!x.tlb_hit);
	ck_assert_int_eq(fx_xlate(&fx, 7, false, 0, 0xa500000000006020ull,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0x20);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_s2_and_nested_tags)
{
	struct fx fx;
	struct tb_pt s1, s2;
	struct tb_ste ste;
	struct tb_cd cd;
	struct smmu_xlate x;
	struct smmu_event e;
	struct smmu_inv inv;
	uint64_t cdaddr, ipa_off = 0x100000000ull;

	fx_init(&fx);
	/* Stage 2: IPA = PA + 4 GiB over all of RAM (2 MiB blocks), plus
	 * IPA 0x200000000 -> OUT_BASE (4K page). */
	ck_assert_int_eq(tb_pt_init(&s2, fx.tb, true, 12, 40, 1), 0);
	{
		uint64_t a;

		for (a = RAM_BASE; a < RAM_BASE + RAM_SIZE; a += 2ull << 20)
			ck_assert_int_eq(tb_pt_map(&s2, a + ipa_off, a, 2,
			    TB_S2_DEFAULT), 0);
	}
	ck_assert_int_eq(tb_pt_map(&s2, 0x200000000ull, OUT_BASE, 3,
	    TB_S2_DEFAULT), 0);
	/* Stage 1 tables addressed by IPA. */
	ck_assert_int_eq(tb_pt_init(&s1, fx.tb, false, 12, 48, -1), 0);
	s1.addr_delta = ipa_off;
	ck_assert_int_eq(tb_pt_map(&s1, 0x8000, 0x200000000ull, 3,
	    TB_S1_DEFAULT), 0);
	cdaddr = tb_alloc(fx.tb, 64, 64);
	tb_cd_s1(&cd, &s1, 77);
	tb_put_cd(fx.tb, cdaddr, &cd);
	tb_ste_s2(&ste, &s2, 3);
	tb_ste_nest(&ste, cdaddr + ipa_off);
	tb_put_ste(fx.tb, fx_ste(&fx, 10), &ste);
	tb_ste_s2(&ste, &s2, 3);	/* S2-only stream, same VMID */
	tb_put_ste(fx.tb, fx_ste(&fx, 11), &ste);

	ck_assert_int_eq(fx_xlate(&fx, 10, false, 0, 0x8abc, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0xabc);
	ck_assert_int_eq(fx_xlate(&fx, 11, false, 0, 0x200000abcull,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert_uint_eq(x.oa, OUT_BASE + 0xabc);
	/* TLBI_NH_ALL(VMID 3) drops the nested entry, not the IPA one. */
	memset(&inv, 0, sizeof(inv));
	inv.op = SMMU_INV_TLBI_NH_ALL;
	inv.vmid = 3;
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), 1);
	ck_assert_int_eq(fx_xlate(&fx, 11, false, 0, 0x200000abcull,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	ck_assert(x.tlb_hit);
	/* TLBI_S2_IPA drops the IPA entry. */
	inv.op = SMMU_INV_TLBI_S2_IPA;
	inv.addr = 0x200000000ull;
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), 1);
	/* S12_VMALL drops everything of VMID 3. */
	ck_assert_int_eq(fx_xlate(&fx, 10, false, 0, 0x8abc, SMMU_ACC_READ,
	    &x, &e), SMMU_XLATE_OK);
	ck_assert_int_eq(fx_xlate(&fx, 11, false, 0, 0x200000abcull,
	    SMMU_ACC_READ, &x, &e), SMMU_XLATE_OK);
	inv.op = SMMU_INV_TLBI_S12_VMALL;
	ck_assert_int_eq(smmu_invalidate(fx.s, &inv), 2);
	/* A nested stage-2 fault on the output IPA carries the IPA. */
	ck_assert_int_eq(tb_pt_map(&s1, 0x9000, 0x300000000ull, 3,
	    TB_S1_DEFAULT), 0);
	ck_assert_int_eq(fx_xlate(&fx, 10, false, 0, 0x9010, SMMU_ACC_WRITE,
	    &x, &e), SMMU_XLATE_FAULT);
	ck_assert_uint_eq(e.type, SMMU_EVT_F_TRANSLATION);
	ck_assert(e.s2);
	ck_assert_uint_eq(e.evclass, SMMU_EVT_CLASS_IN);
	ck_assert_uint_eq(e.ipa, 0x300000010ull);
	ck_assert_uint_eq(e.sid, 10);
	fx_fini(&fx);
}
END_TEST

/* Collects the stream ids foreach reports. */
static int
stream_cb(void *arg, uint32_t sid, const struct smmu_stats *st)
{
	uint32_t *seen = arg;

	ck_assert_uint_gt(st->translations, 0);
	seen[seen[0] + 1] = sid;
	seen[0]++;
	return 0;
}

START_TEST(test_stream_stats)
{
	struct fx fx;
	struct smmu_xlate x;
	struct smmu_event e;
	struct smmu_stats st;
	struct tb_ste ste = { .v = true, .config = 4 };
	uint32_t seen[8] = { 0 };

	fx_init(&fx);
	tb_put_ste(fx.tb, fx_ste(&fx, 1), &ste);
	tb_put_ste(fx.tb, fx_ste(&fx, 40), &ste);
	fx_xlate(&fx, 40, false, 0, 0x1000, SMMU_ACC_READ, &x, &e);
	fx_xlate(&fx, 1, false, 0, 0x1000, SMMU_ACC_READ, &x, &e);
	fx_xlate(&fx, 1, false, 0, 0x2000, SMMU_ACC_READ, &x, &e);
	ck_assert_int_eq(smmu_stream_stats_get(fx.s, 1, &st), 0);
	ck_assert_uint_eq(st.translations, 2);
	ck_assert_uint_eq(st.bypassed, 2);
	ck_assert_int_eq(smmu_stream_stats_foreach(fx.s, stream_cb, seen), 0);
	ck_assert_uint_eq(seen[0], 2);
	ck_assert_uint_eq(seen[1], 1);
	ck_assert_uint_eq(seen[2], 40);
	fx_fini(&fx);
}
END_TEST

Suite *
smmu_suite(void)
{
	Suite *s = suite_create("smmu");
	TCase *tc = tcase_create("instance");

	tcase_add_test(tc, test_disabled_gbpa);
	tcase_add_test(tc, test_s1_walk_then_hit);
	tcase_add_test(tc, test_bad_streamid);
	tcase_add_test(tc, test_ste_kinds);
	tcase_add_test(tc, test_substreams);
	tcase_add_test(tc, test_two_level_tables);
	tcase_add_test(tc, test_cfg_stale_until_cfgi);
	tcase_add_test(tc, test_tlb_stale_until_tlbi);
	tcase_add_test(tc, test_range_needs_ril);
	tcase_add_test(tc, test_perm_fault_on_hit);
	tcase_add_test(tc, test_privcfg_override);
	tcase_add_test(tc, test_tbi_shares_entry);
	tcase_add_test(tc, test_s2_and_nested_tags);
	tcase_add_test(tc, test_stream_stats);
	suite_add_tcase(s, tc);
	return s;
}
