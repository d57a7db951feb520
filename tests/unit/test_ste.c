/*
 * test_ste.c - STE decoding (lib/ste.c): every Config, every decoded
 * field, every ILLEGAL rule of the table at the top of ste.c, the S2SL0
 * table and the stage-2 concatenation rule.
 */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "event.h"
#include "features.h"
#include "ste.h"
#include "suites.h"
#include "tbuild.h"

/* Decode s for features f; returns decode's result, *why set. */
static int
ste_try(const struct tb_ste *s, const struct smmu_features *f,
    struct smmu_ste *ret, const char **why)
{
	uint64_t dw[8];

	tb_ste_encode(s, dw);
	*why = NULL;
	return smmu_ste_decode(dw, f, ret, why);
}

/* A valid S1-only STE. */
static void
ste_s1(struct tb_ste *s)
{
	*s = (struct tb_ste){
		.v = true,
		.config = 5,
		.s1fmt = 1,
		.s1cdmax = 8,
		.s1dss = 2,
		.s1contextptr = 0x12345640ull,
		.mev = true,
		.privcfg = 2,
		.instcfg = 3,
		.s2vmid = 0x4321,
	};
}

/* A valid S2-only STE: 4KB, 40-bit IPA from level 1 (2 tables). */
static void
ste_s2(struct tb_ste *s)
{
	*s = (struct tb_ste){
		.v = true,
		.config = 6,
		.s2vmid = 0x1234,
		.s2t0sz = 24,
		.s2sl0 = 1,
		.s2tg = 0,
		.s2ps = 5,
		.s2aa64 = true,
		.s2affd = true,
		.s2ptw = true,
		.s2r = true,
		.s2ttb = 0x12347ff0ull,
	};
}

/* A valid nested STE. */
static void
ste_nested(struct tb_ste *s)
{
	struct tb_ste s1;

	ste_s2(s);
	ste_s1(&s1);
	s->config = 7;
	s->s1fmt = s1.s1fmt;
	s->s1cdmax = s1.s1cdmax;
	s->s1dss = s1.s1dss;
	s->s1contextptr = s1.s1contextptr;
}

START_TEST(test_ste_v0)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	smmu_features_default(&f);
	ste_s2(&s);
	s.v = false;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), SMMU_EVT_C_BAD_STE);
	ck_assert_ptr_nonnull(why);
	/* V = 0 wins even over an abort Config. */
	s.config = 0;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), SMMU_EVT_C_BAD_STE);
}
END_TEST

START_TEST(test_ste_abort)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;
	unsigned cfg;

	smmu_features_default(&f);
	for (cfg = 0; cfg < 4; cfg++) {
		/* Garbage everywhere else: nothing is checked. */
		s = (struct tb_ste){
			.v = true, .config = cfg, .s1cdmax = 31, .s2tg = 3,
			.s2s = true, .strw = 1, .s2vmid = 0xffff,
		};
		ste.config = 0xff;
		ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
		ck_assert_uint_eq(ste.config, SMMU_STE_ABORT);
		ck_assert_uint_eq(ste.s2.vmid, 0);
	}
}
END_TEST

START_TEST(test_ste_bypass)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	smmu_features_default(&f);
	f.vmid16 = false;
	s = (struct tb_ste){
		.v = true, .config = 4, .mev = true, .eats = 1,
		.privcfg = 3, .instcfg = 2, .s2vmid = 0x1ff,
		/* ignored stage fields, illegal if they were used */
		.s1cdmax = 31, .s1stalld = true, .s2tg = 3, .s2s = true,
		.s2t0sz = 5, .strw = 1,
	};
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.config, SMMU_STE_BYPASS);
	ck_assert(ste.mev);
	ck_assert_uint_eq(ste.eats, 1);
	ck_assert_uint_eq(ste.privcfg, 3);
	ck_assert_uint_eq(ste.instcfg, 2);
	ck_assert_uint_eq(ste.s2.vmid, 0x1ff);
	ck_assert_uint_eq(ste.s1cdmax, 0);
	ck_assert_uint_eq(ste.s1ctxptr, 0);
	ck_assert_uint_eq(ste.s2.ttb, 0);
	ck_assert_uint_eq(ste.s2.granule, 0);
}
END_TEST

START_TEST(test_ste_s1_fields)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	smmu_features_default(&f);
	ste_s1(&s);
	/* Ignored S2 fields (stage 2 bypassed) may hold anything. */
	s.s2tg = 3;
	s.s2s = true;
	s.s2t0sz = 63;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.config, SMMU_STE_S1);
	ck_assert_uint_eq(ste.s1fmt, 1);
	ck_assert_uint_eq(ste.s1cdmax, 8);
	ck_assert_uint_eq(ste.s1dss, 2);
	ck_assert_uint_eq(ste.s1ctxptr, 0x12345640ull);
	ck_assert(!ste.s1stalld);
	ck_assert(ste.mev);
	ck_assert_uint_eq(ste.strw, 0);
	ck_assert_uint_eq(ste.eats, 0);
	ck_assert_uint_eq(ste.privcfg, 2);
	ck_assert_uint_eq(ste.instcfg, 3);
	/* S2VMID tags S1-only STEs when S2P = 1. */
	ck_assert_uint_eq(ste.s2.vmid, 0x4321);
	ck_assert_uint_eq(ste.s2.ttb, 0);
	ck_assert_uint_eq(ste.s2.tsz, 0);
	ck_assert_uint_eq(ste.s2.granule, 0);
	ck_assert(!ste.s2.record);

	/* S1ContextPtr is dw0[55:6]: the low bits never reach it. */
	s.s1contextptr = 0xffffff3full;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s1ctxptr, 0xffffff00ull);

	/* Without S2P there is no VMID. */
	f.s2p = false;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.vmid, 0);
}
END_TEST

START_TEST(test_ste_s1_folding)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	smmu_features_default(&f);
	ste_s1(&s);
	s.s1fmt = 3;		/* behaves as 0 */
	s.s1dss = 3;		/* behaves as 0 */
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s1fmt, 0);
	ck_assert_uint_eq(ste.s1dss, 0);
	s.s1fmt = 2;
	s.s1dss = 1;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s1fmt, 2);
	ck_assert_uint_eq(ste.s1dss, 1);
	/* STRW = 0 (NS-EL1) is the only legal S1-only world here. */
	ck_assert_uint_eq(ste.strw, 0);
}
END_TEST

START_TEST(test_ste_s2_fields)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	smmu_features_default(&f);
	ste_s2(&s);
	/* Ignored S1 fields (stage 1 bypassed) may hold anything. */
	s.s1cdmax = 31;
	s.s1stalld = true;
	s.s1contextptr = 0xff000000000000ull;
	s.strw = 1;		/* IGNORED when stage 2 is enabled */
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.config, SMMU_STE_S2);
	ck_assert_uint_eq(ste.s1cdmax, 0);
	ck_assert_uint_eq(ste.s1ctxptr, 0);
	ck_assert_uint_eq(ste.strw, 0);
	ck_assert_uint_eq(ste.s2.vmid, 0x1234);
	ck_assert_uint_eq(ste.s2.tsz, 24);
	ck_assert_uint_eq(ste.s2.sl, 1);
	ck_assert_uint_eq(ste.s2.granule, 12);
	ck_assert_uint_eq(ste.s2.ps, 48);
	ck_assert(ste.s2.affd);
	ck_assert(ste.s2.ptw);
	ck_assert(ste.s2.record);
	/* 40-bit IPA from L1: 2 concatenated tables, 8KB aligned. */
	ck_assert_uint_eq(ste.s2.ttb, 0x12346000ull);

	s.s2affd = s.s2ptw = s.s2r = false;
	s.s2ttb = 0x12346000ull;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert(!ste.s2.affd);
	ck_assert(!ste.s2.ptw);
	ck_assert(!ste.s2.record);
	ck_assert_uint_eq(ste.s2.ttb, 0x12346000ull);
}
END_TEST

START_TEST(test_ste_s2_granules)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	smmu_features_default(&f);
	ste_s2(&s);
	/* 64KB, S2SL0 = 1 (L2), 46-bit IPA: 16 tables of 64KB = 1MB. */
	s.s2tg = 1;
	s.s2sl0 = 1;
	s.s2t0sz = 18;
	s.s2ttb = 0x12345670ull;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.granule, 16);
	ck_assert_uint_eq(ste.s2.sl, 2);
	ck_assert_uint_eq(ste.s2.ttb, 0x12300000ull);

	/* 16KB, S2SL0 = 2 (L1), 48-bit IPA: w = 48 - 36 = 12, 32KB. */
	s.s2tg = 2;
	s.s2sl0 = 2;
	s.s2t0sz = 16;
	s.s2ttb = 0x1234fff0ull;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.granule, 14);
	ck_assert_uint_eq(ste.s2.sl, 1);
	ck_assert_uint_eq(ste.s2.ttb, 0x12348000ull);

	/* 4KB, S2SL0 = 0 (L2), 30-bit IPA: w = 9, one 4KB table. */
	s.s2tg = 0;
	s.s2sl0 = 0;
	s.s2t0sz = 34;
	s.s2ttb = 0x12345ff0ull;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.granule, 12);
	ck_assert_uint_eq(ste.s2.sl, 2);
	ck_assert_uint_eq(ste.s2.ttb, 0x12345000ull);
}
END_TEST

START_TEST(test_ste_s2ps)
{
	static const struct {
		unsigned oas, s2ps, want;
	} t[] = {
		{ 48, 0, 32 }, { 48, 1, 36 }, { 48, 2, 40 }, { 48, 3, 42 },
		{ 48, 4, 44 }, { 48, 5, 48 }, { 48, 6, 48 }, { 48, 7, 48 },
		{ 40, 5, 40 }, { 52, 6, 52 }, { 52, 7, 52 }, { 32, 4, 32 },
	};
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		smmu_features_default(&f);
		f.oas = t[i].oas;
		ste_s2(&s);
		s.s2ps = t[i].s2ps;
		s.s2t0sz = 33;		/* 31-bit IPA fits any OAS */
		s.s2ttb = 0x1000;
		ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
		ck_assert_uint_eq(ste.s2.ps, t[i].want);
	}
}
END_TEST

START_TEST(test_ste_s2_ttb_52)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	smmu_features_default(&f);
	f.oas = 52;
	ste_s2(&s);
	/* 64KB from L1 with a 43-bit IPA: w = 1 (16 bytes), but a 52-bit
	 * S2PS aligns the table to at least 64 bytes. */
	s.s2tg = 1;
	s.s2sl0 = 2;
	s.s2t0sz = 21;
	s.s2ps = 6;
	s.s2ttb = 0x1000030ull | (1ull << 50);
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.ps, 52);
	ck_assert_uint_eq(ste.s2.ttb, 0x1000000ull | (1ull << 50));
	/* With a 48-bit S2PS the 16-byte alignment keeps bit 5. */
	s.s2ps = 5;
	s.s2ttb = 0x1000030ull;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.ttb, 0x1000030ull);
	/* 64KB with T0SZ = 12 (52-bit IPA) from L1 is legal at OAS 52. */
	s.s2ps = 6;
	s.s2t0sz = 12;
	s.s2ttb = 0;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.tsz, 12);
}
END_TEST

START_TEST(test_ste_nested_fields)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	smmu_features_default(&f);
	ste_nested(&s);
	s.strw = 3;		/* IGNORED when stage 2 is enabled */
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.config, SMMU_STE_NESTED);
	ck_assert_uint_eq(ste.s1fmt, 1);
	ck_assert_uint_eq(ste.s1cdmax, 8);
	ck_assert_uint_eq(ste.s1dss, 2);
	ck_assert_uint_eq(ste.s1ctxptr, 0x12345640ull);
	ck_assert_uint_eq(ste.strw, 0);
	ck_assert_uint_eq(ste.s2.vmid, 0x1234);
	ck_assert_uint_eq(ste.s2.granule, 12);
	ck_assert_uint_eq(ste.s2.sl, 1);
	ck_assert_uint_eq(ste.s2.tsz, 24);
	ck_assert_uint_eq(ste.s2.ttb, 0x12346000ull);
}
END_TEST

/* One ILLEGAL rule: a valid base STE with exactly one field broken. */
struct ste_bad {
	const char *name;
	void (*base)(struct tb_ste *);
	void (*mut)(struct tb_ste *, struct smmu_features *);
};

static void m_v(struct tb_ste *s, struct smmu_features *f) { s->v = false; }
static void m_nos1p(struct tb_ste *s, struct smmu_features *f)
{ f->s1p = false; f->ssid_bits = 0; s->s1cdmax = 0; }
static void m_nos2p(struct tb_ste *s, struct smmu_features *f)
{ f->s2p = false; }
static void m_strw1(struct tb_ste *s, struct smmu_features *f)
{ s->strw = 1; }
static void m_strw2(struct tb_ste *s, struct smmu_features *f)
{ s->strw = 2; }
static void m_strw3(struct tb_ste *s, struct smmu_features *f)
{ s->strw = 3; }
static void m_s1stalld(struct tb_ste *s, struct smmu_features *f)
{ s->s1stalld = true; }
static void m_cdmax(struct tb_ste *s, struct smmu_features *f)
{ s->s1cdmax = 21; }
static void m_cdmax_ssid(struct tb_ste *s, struct smmu_features *f)
{ f->ssid_bits = 7; }	/* S1CDMax 8 > SSIDSIZE 7 */
static void m_cd2l(struct tb_ste *s, struct smmu_features *f)
{ f->cd_2level = false; }	/* S1Fmt 1 with S1CDMax 8 */
static void m_cd2l_fmt2(struct tb_ste *s, struct smmu_features *f)
{ f->cd_2level = false; s->s1fmt = 2; }
static void m_ctxptr(struct tb_ste *s, struct smmu_features *f)
{ s->s1contextptr = 1ull << 48; }
static void m_ctxptr40(struct tb_ste *s, struct smmu_features *f)
{ f->oas = 40; s->s2ps = 2; s->s1contextptr = 1ull << 40; }
static void m_s2s(struct tb_ste *s, struct smmu_features *f)
{ s->s2s = true; }
static void m_s2aa64(struct tb_ste *s, struct smmu_features *f)
{ s->s2aa64 = false; }
static void m_s2endi(struct tb_ste *s, struct smmu_features *f)
{ s->s2endi = true; }
static void m_s2ha(struct tb_ste *s, struct smmu_features *f)
{ s->s2ha = true; }
static void m_s2hd(struct tb_ste *s, struct smmu_features *f)
{ s->s2hd = true; }
static void m_s2tg3(struct tb_ste *s, struct smmu_features *f)
{ s->s2tg = 3; }
static void m_no4k(struct tb_ste *s, struct smmu_features *f)
{ f->granules = SMMU_GRAN_16K | SMMU_GRAN_64K; }
static void m_no16k(struct tb_ste *s, struct smmu_features *f)
{ f->granules = SMMU_GRAN_4K | SMMU_GRAN_64K; s->s2tg = 2; s->s2sl0 = 1;
  s->s2t0sz = 30; }
static void m_no64k(struct tb_ste *s, struct smmu_features *f)
{ f->granules = SMMU_GRAN_4K | SMMU_GRAN_16K; s->s2tg = 1; }
static void m_t0sz15(struct tb_ste *s, struct smmu_features *f)
{ s->s2t0sz = 15; s->s2sl0 = 2; }
static void m_t0sz40(struct tb_ste *s, struct smmu_features *f)
{ s->s2t0sz = 40; s->s2sl0 = 0; }
static void m_t0sz_ias(struct tb_ste *s, struct smmu_features *f)
{ f->oas = 40; s->s2ps = 2; s->s2t0sz = 23; }	/* 41-bit IPA > IAS */
static void m_t0sz12_4k(struct tb_ste *s, struct smmu_features *f)
{ f->oas = 52; f->granules |= SMMU_GRAN_64K; s->s2t0sz = 12;
  s->s2sl0 = 2; }
static void m_t0sz12_64k48(struct tb_ste *s, struct smmu_features *f)
{ s->s2tg = 1; s->s2sl0 = 2; s->s2t0sz = 12; }	/* OAS 48 */
static void m_sl0_4k(struct tb_ste *s, struct smmu_features *f)
{ s->s2sl0 = 3; }
static void m_sl0_16k(struct tb_ste *s, struct smmu_features *f)
{ s->s2tg = 2; s->s2sl0 = 3; s->s2t0sz = 16; }
static void m_sl0_64k(struct tb_ste *s, struct smmu_features *f)
{ s->s2tg = 1; s->s2sl0 = 3; s->s2t0sz = 16; }
static void m_concat_lo(struct tb_ste *s, struct smmu_features *f)
{ s->s2t0sz = 34; }	/* 4KB L1 needs a 31..43-bit IPA */
static void m_concat_hi(struct tb_ste *s, struct smmu_features *f)
{ s->s2t0sz = 20; }
static void m_s2ttb_ps(struct tb_ste *s, struct smmu_features *f)
{ s->s2ps = 2; s->s2t0sz = 30; s->s2sl0 = 0; s->s2ttb = 1ull << 40; }
static void m_s2ttb_oas(struct tb_ste *s, struct smmu_features *f)
{ s->s2ps = 6; s->s2ttb = 1ull << 48; }	/* S2PS capped to OAS 48 */
static void m_s2ttb_48(struct tb_ste *s, struct smmu_features *f)
{ f->oas = 52; s->s2ps = 6; s->s2ttb = 1ull << 48; }	/* 4KB */
static void m_s2ttb_55(struct tb_ste *s, struct smmu_features *f)
{ s->s2ttb = 1ull << 55; }
static void m_vmid16(struct tb_ste *s, struct smmu_features *f)
{ f->vmid16 = false; s->s2vmid = 0x100; }

static const struct ste_bad ste_bad_tab[] = {
	{ "V = 0", ste_s1, m_v },
	{ "S1 without S1P", ste_s1, m_nos1p },
	{ "nested without S1P", ste_nested, m_nos1p },
	{ "S2 without S2P", ste_s2, m_nos2p },
	{ "nested without S2P", ste_nested, m_nos2p },
	{ "STRW 0b01", ste_s1, m_strw1 },
	{ "STRW 0b10 without Hyp", ste_s1, m_strw2 },
	{ "STRW 0b11", ste_s1, m_strw3 },
	{ "S1STALLD", ste_s1, m_s1stalld },
	{ "S1STALLD nested", ste_nested, m_s1stalld },
	{ "S1CDMax > 20", ste_s1, m_cdmax },
	{ "S1CDMax > SSIDSIZE", ste_s1, m_cdmax_ssid },
	{ "S1Fmt 1 without CD2L", ste_s1, m_cd2l },
	{ "S1Fmt 2 without CD2L", ste_s1, m_cd2l_fmt2 },
	{ "S1ContextPtr >= 2^OAS", ste_s1, m_ctxptr },
	{ "S1ContextPtr >= 2^IAS nested", ste_nested, m_ctxptr40 },
	{ "S2S", ste_s2, m_s2s },
	{ "S2AA64 = 0", ste_s2, m_s2aa64 },
	{ "S2ENDI", ste_s2, m_s2endi },
	{ "S2HA", ste_s2, m_s2ha },
	{ "S2HD", ste_nested, m_s2hd },
	{ "S2TG 3", ste_s2, m_s2tg3 },
	{ "S2TG 4KB unsupported", ste_s2, m_no4k },
	{ "S2TG 16KB unsupported", ste_s2, m_no16k },
	{ "S2TG 64KB unsupported", ste_s2, m_no64k },
	{ "S2T0SZ 15", ste_s2, m_t0sz15 },
	{ "S2T0SZ 40", ste_s2, m_t0sz40 },
	{ "S2T0SZ below 64 - IAS", ste_s2, m_t0sz_ias },
	{ "S2T0SZ 12 with 4KB", ste_s2, m_t0sz12_4k },
	{ "S2T0SZ 12 with 64KB, OAS 48", ste_s2, m_t0sz12_64k48 },
	{ "S2SL0 3 4KB", ste_s2, m_sl0_4k },
	{ "S2SL0 3 16KB", ste_s2, m_sl0_16k },
	{ "S2SL0 3 64KB", ste_s2, m_sl0_64k },
	{ "S2SL0 too few IPA bits", ste_s2, m_concat_lo },
	{ "S2SL0 too many IPA bits", ste_s2, m_concat_hi },
	{ "S2TTB >= 2^S2PS", ste_s2, m_s2ttb_ps },
	{ "S2TTB >= 2^OAS", ste_nested, m_s2ttb_oas },
	{ "S2TTB above 48 bits, 4KB", ste_s2, m_s2ttb_48 },
	{ "S2TTB bit 55", ste_s2, m_s2ttb_55 },
	{ "S2VMID[15:8] without VMID16", ste_s2, m_vmid16 },
	{ "S2VMID[15:8] without VMID16, S1", ste_s1, m_vmid16 },
};

START_TEST(test_ste_illegal)
{
	const struct ste_bad *b = &ste_bad_tab[_i];
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;
	int r;

	smmu_features_default(&f);
	b->base(&s);
	ck_assert_msg(ste_try(&s, &f, &ste, &why) == 0,
	    "base of \"%s\" is not valid: %s", b->name, why);
	b->mut(&s, &f);
	memset(&ste, 0xa5, sizeof(ste));
	r = ste_try(&s, &f, &ste, &why);
	ck_assert_msg(r == SMMU_EVT_C_BAD_STE, "\"%s\" gave %d", b->name, r);
	ck_assert_msg(why != NULL, "\"%s\" has no reason", b->name);
	/* *ret is written only on success. */
	ck_assert_uint_eq(ste.config, 0xa5);
	/* And the NULL why pointer is accepted. */
	{
		uint64_t dw[8];

		tb_ste_encode(&s, dw);
		ck_assert_int_eq(smmu_ste_decode(dw, &f, &ste, NULL),
		    SMMU_EVT_C_BAD_STE);
	}
}
END_TEST

/* The rules' neighbours that must stay legal. */
START_TEST(test_ste_features_legal)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;

	/* No S2P: S1-only and bypass still work. */
	smmu_features_default(&f);
	f.s2p = false;
	ste_s1(&s);
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	s.config = 4;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	/* No S1P: S2-only works. */
	smmu_features_default(&f);
	f.s1p = false;
	f.ssid_bits = 0;
	ste_s2(&s);
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	/* !VMID16 with an 8-bit VMID. */
	smmu_features_default(&f);
	f.vmid16 = false;
	s.s2vmid = 0xff;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.vmid, 0xff);
	/* !CD2L: S1Fmt is IGNORED when S1CDMax = 0, linear is fine. */
	smmu_features_default(&f);
	f.cd_2level = false;
	ste_s1(&s);
	s.s1cdmax = 0;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	s.s1cdmax = 8;
	s.s1fmt = 0;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	s.s1fmt = 3;		/* behaves as 0 */
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	/* S1CDMax = SSIDSIZE is the largest legal value. */
	smmu_features_default(&f);
	f.ssid_bits = 4;
	ste_s1(&s);
	s.s1cdmax = 4;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	s.s1cdmax = 5;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), SMMU_EVT_C_BAD_STE);
	/* S1ContextPtr just below 2^OAS. */
	smmu_features_default(&f);
	ste_s1(&s);
	s.s1contextptr = (1ull << 48) - 64;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s1ctxptr, (1ull << 48) - 64);
	/* OAS 40: T0SZ 24 is the largest IPA. */
	smmu_features_default(&f);
	f.oas = 40;
	ste_s2(&s);
	s.s2ps = 2;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.ps, 40);
	/* 64KB S2TTB above 48 bits is fine with OAS 52. */
	smmu_features_default(&f);
	f.oas = 52;
	ste_s2(&s);
	s.s2tg = 1;
	s.s2sl0 = 2;
	s.s2t0sz = 12;
	s.s2ps = 6;
	s.s2ttb = 1ull << 48;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
	ck_assert_uint_eq(ste.s2.ttb, 1ull << 48);
	/* EATS is IGNORED (no ATS). */
	smmu_features_default(&f);
	ste_s2(&s);
	s.eats = 2;
	ck_assert_int_eq(ste_try(&s, &f, &ste, &why), 0);
}
END_TEST

START_TEST(test_ste_sl0_table)
{
	static const int want[3][4] = {
		{ 2, 1, 0, -1 },	/* 4KB: 3 needs STT */
		{ 3, 2, 1, -1 },	/* 16KB: 3 needs DS */
		{ 3, 2, 1, -1 },	/* 64KB: 3 reserved */
	};
	static const unsigned g[3] = { 12, 14, 16 };
	unsigned i, sl0;

	for (i = 0; i < 3; i++)
		for (sl0 = 0; sl0 < 4; sl0++)
			ck_assert_int_eq(smmu_s2_start_level(sl0, g[i]),
			    want[i][sl0]);
	ck_assert_int_eq(smmu_s2_start_level(0, 13), -1);
	ck_assert_int_eq(smmu_s2_start_level(4, 12), -1);
}
END_TEST

/*
 * g + (3 - L)s < ia <= g + (4 - L)s + 4, capped at 48 bits (OAS 48):
 * the accepted S2T0SZ range of every granule and S2SL0, worked out by
 * hand.
 */
START_TEST(test_ste_concat_edges)
{
	static const struct {
		unsigned tg, sl0, lo, hi;
	} t[] = {
		{ 0, 0, 30, 39 }, { 0, 1, 21, 33 }, { 0, 2, 16, 24 },
		{ 2, 0, 35, 39 }, { 2, 1, 24, 38 }, { 2, 2, 16, 27 },
		{ 1, 0, 31, 39 }, { 1, 1, 18, 34 }, { 1, 2, 16, 21 },
	};
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	const char *why;
	unsigned i, tsz;
	bool ok;
	int r;

	smmu_features_default(&f);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (tsz = 8; tsz < 48; tsz++) {
			ste_s2(&s);
			s.s2tg = t[i].tg;
			s.s2sl0 = t[i].sl0;
			s.s2t0sz = tsz;
			s.s2ttb = 0;
			ok = tsz >= t[i].lo && tsz <= t[i].hi;
			r = ste_try(&s, &f, &ste, &why);
			ck_assert_msg(r == (ok ? 0 : SMMU_EVT_C_BAD_STE),
			    "S2TG %u S2SL0 %u S2T0SZ %u gave %d", t[i].tg,
			    t[i].sl0, tsz, r);
			if (ok)
				ck_assert_uint_eq(ste.s2.tsz, tsz);
		}
	}
}
END_TEST

Suite *
ste_suite(void)
{
	Suite *s = suite_create("ste");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, test_ste_v0);
	tcase_add_test(tc, test_ste_abort);
	tcase_add_test(tc, test_ste_bypass);
	tcase_add_test(tc, test_ste_s1_fields);
	tcase_add_test(tc, test_ste_s1_folding);
	tcase_add_test(tc, test_ste_s2_fields);
	tcase_add_test(tc, test_ste_s2_granules);
	tcase_add_test(tc, test_ste_s2ps);
	tcase_add_test(tc, test_ste_s2_ttb_52);
	tcase_add_test(tc, test_ste_nested_fields);
	tcase_add_loop_test(tc, test_ste_illegal, 0,
	    sizeof(ste_bad_tab) / sizeof(ste_bad_tab[0]));
	tcase_add_test(tc, test_ste_features_legal);
	tcase_add_test(tc, test_ste_sl0_table);
	tcase_add_test(tc, test_ste_concat_edges);
	suite_add_tcase(s, tc);
	return s;
}
