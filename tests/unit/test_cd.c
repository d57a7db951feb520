/*
 * test_cd.c - CD decoding and CD-table lookup (lib/cd.c): decoded fields,
 * every ILLEGAL rule of the table at the top of cd.c, and smmu_cd_fetch
 * through single CDs, linear and 2-level tables, and nested stage 2.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "cd.h"
#include "event.h"
#include "features.h"
#include "ste.h"
#include "suites.h"
#include "tbuild.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (32ull << 20)

/* Decode c for features f reached through ste (NULL: a plain S1 STE). */
static int
cd_try(const struct tb_cd *c, const struct smmu_features *f,
    const struct smmu_ste *ste, struct smmu_cd *ret, const char **why)
{
	struct smmu_ste plain;
	uint64_t dw[8];

	if (ste == NULL) {
		memset(&plain, 0, sizeof(plain));
		plain.config = SMMU_STE_S1;
		ste = &plain;
	}
	tb_cd_encode(c, dw);
	*why = NULL;
	return smmu_cd_decode(dw, f, ste, ret, why);
}

/* A valid CD with both halves enabled. */
static void
cd_valid(struct tb_cd *c)
{
	*c = (struct tb_cd){
		.v = true,
		.aa64 = true,
		/* TTB0: 4KB, 39-bit VA: start level 1, a 4KB table. */
		.t0sz = 25,
		.tg0 = 0,
		.ttb0 = 0x80000ff0ull,
		/* TTB1: 64KB (TG1 = 3), 44-bit VA: level 1, 32 bytes. */
		.t1sz = 20,
		.tg1 = 3,
		.ttb1 = 0x90000ff0ull,
		.ips = 5,
		.affd = true,
		.wxn = true,
		.tbi0 = true,
		.pan = true,
		.r = true,
		.a = true,
		.aset = true,
		.asid = 0xbeef,
		.had0 = true,
		.mair = 0x0011223344556677ull,
	};
}

START_TEST(test_cd_fields)
{
	struct smmu_features f;
	struct smmu_cd cd;
	struct tb_cd c;
	const char *why;

	smmu_features_default(&f);
	cd_valid(&c);
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[0].tsz, 25);
	ck_assert_uint_eq(cd.tt[0].granule, 12);
	ck_assert_uint_eq(cd.tt[0].ttb, 0x80000000ull);
	ck_assert(!cd.tt[0].epd);
	ck_assert(cd.tt[0].tbi);
	ck_assert(cd.tt[0].had);
	ck_assert_uint_eq(cd.tt[1].tsz, 20);
	ck_assert_uint_eq(cd.tt[1].granule, 16);
	ck_assert_uint_eq(cd.tt[1].ttb, 0x90000fe0ull);
	ck_assert(!cd.tt[1].epd);
	ck_assert(!cd.tt[1].tbi);
	ck_assert(!cd.tt[1].had);
	ck_assert_uint_eq(cd.mair, 0x0011223344556677ull);
	ck_assert_uint_eq(cd.asid, 0xbeef);
	ck_assert_uint_eq(cd.ips, 48);
	ck_assert(cd.affd);
	ck_assert(cd.wxn);
	ck_assert(cd.pan);
	ck_assert(cd.record);
	ck_assert(cd.abort);
	ck_assert(!cd.stall);
	ck_assert(cd.aset);

	/* The opposite value of every flag. */
	c.affd = c.wxn = c.tbi0 = c.pan = c.r = c.a = c.aset = false;
	c.had0 = false;
	c.tbi1 = c.had1 = true;
	c.uwxn = true;		/* IGNORED for AArch64 tables */
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert(!cd.affd);
	ck_assert(!cd.wxn);
	ck_assert(!cd.tt[0].tbi);
	ck_assert(cd.tt[1].tbi);
	ck_assert(!cd.tt[0].had);
	ck_assert(cd.tt[1].had);
	ck_assert(!cd.pan);
	ck_assert(!cd.record);
	ck_assert(!cd.abort);
	ck_assert(!cd.aset);

	/* HADx is honoured only with IDR3.HAD. */
	f.had = false;
	c.had0 = true;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert(!cd.tt[0].had);
	ck_assert(!cd.tt[1].had);
}
END_TEST

START_TEST(test_cd_tg_encodings)
{
	/* TG0: 0 4KB, 1 64KB, 2 16KB.  TG1: 1 16KB, 2 4KB, 3 64KB. */
	static const unsigned tg0[3][2] = { { 0, 12 }, { 1, 16 }, { 2, 14 } };
	static const unsigned tg1[3][2] = { { 1, 14 }, { 2, 12 }, { 3, 16 } };
	struct smmu_features f;
	struct smmu_cd cd;
	struct tb_cd c;
	const char *why;
	unsigned i;

	smmu_features_default(&f);
	for (i = 0; i < 3; i++) {
		cd_valid(&c);
		c.tg0 = tg0[i][0];
		c.tg1 = tg1[i][0];
		c.ttb0 = c.ttb1 = 0x100000;
		ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
		ck_assert_uint_eq(cd.tt[0].granule, tg0[i][1]);
		ck_assert_uint_eq(cd.tt[1].granule, tg1[i][1]);
	}
}
END_TEST

START_TEST(test_cd_ips)
{
	static const struct {
		unsigned oas, ips, want;
	} t[] = {
		{ 48, 0, 32 }, { 48, 1, 36 }, { 48, 2, 40 }, { 48, 3, 42 },
		{ 48, 4, 44 }, { 48, 5, 48 }, { 48, 6, 48 }, { 48, 7, 48 },
		{ 44, 5, 44 }, { 52, 6, 52 }, { 52, 7, 52 },
	};
	struct smmu_features f;
	struct smmu_cd cd;
	struct tb_cd c;
	const char *why;
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		smmu_features_default(&f);
		f.oas = t[i].oas;
		cd_valid(&c);
		c.ips = t[i].ips;
		c.ttb0 = c.ttb1 = 0x1000;
		ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
		ck_assert_uint_eq(cd.ips, t[i].want);
	}
}
END_TEST

START_TEST(test_cd_ttb_masking)
{
	struct smmu_features f;
	struct smmu_cd cd;
	struct tb_cd c;
	const char *why;

	smmu_features_default(&f);
	cd_valid(&c);
	/* 16KB, 48-bit VA: start level 0 with a 2-entry (16-byte) table. */
	c.tg0 = 2;
	c.t0sz = 16;
	c.ttb0 = 0x12345678ull;
	/* 4KB, 40-bit VA: start level 0, 2 entries. */
	c.tg1 = 2;
	c.t1sz = 24;
	c.ttb1 = 0x1234567full;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[0].ttb, 0x12345670ull);
	ck_assert_uint_eq(cd.tt[1].ttb, 0x12345670ull);
	/* 4KB, 48-bit VA: level 0, 512 entries: 4KB aligned. */
	c.t1sz = 16;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[1].ttb, 0x12345000ull);
	/* 64KB, 48-bit VA: level 1, 64 entries: 512 bytes. */
	c.tg1 = 3;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[1].ttb, 0x12345600ull);
	/* 64KB, 43-bit VA, 52-bit IPS: 16 bytes, raised to 64. */
	f.oas = 52;
	c.ips = 6;
	c.t1sz = 21;
	c.ttb1 = 0x10030ull | (1ull << 50);
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[1].ttb, 0x10000ull | (1ull << 50));
	ck_assert_uint_eq(cd.ips, 52);
}
END_TEST

START_TEST(test_cd_epd)
{
	struct smmu_features f;
	struct smmu_cd cd;
	struct tb_cd c;
	const char *why;

	smmu_features_default(&f);
	cd_valid(&c);
	/* TTB1 disabled: every TTB1 field would be ILLEGAL. */
	c.epd1 = true;
	c.t1sz = 0;
	c.tg1 = 0;
	c.ttb1 = 1ull << 55;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert(cd.tt[1].epd);
	ck_assert(!cd.tt[0].epd);
	ck_assert_uint_eq(cd.tt[1].tsz, 0);
	ck_assert_uint_eq(cd.tt[1].granule, 12);
	ck_assert_uint_eq(cd.tt[1].ttb, 1ull << 55);
	ck_assert_uint_eq(cd.tt[0].ttb, 0x80000000ull);
	/* Same for TTB0, with an unsupported granule. */
	cd_valid(&c);
	f.granules = SMMU_GRAN_4K | SMMU_GRAN_64K;
	c.epd0 = true;
	c.t0sz = 63;
	c.tg0 = 2;
	c.ttb0 = 1ull << 49;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert(cd.tt[0].epd);
	ck_assert_uint_eq(cd.tt[0].tsz, 63);
	ck_assert_uint_eq(cd.tt[0].granule, 12);
	/* A disabled half with a usable granule keeps it. */
	c.tg0 = 1;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[0].granule, 16);
	/* Both halves disabled is legal. */
	c.epd1 = true;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert(cd.tt[0].epd && cd.tt[1].epd);
	/* Enabling TTB0 again makes its garbage count. */
	c.epd0 = false;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), SMMU_EVT_C_BAD_CD);
}
END_TEST

/* One ILLEGAL rule: cd_valid() with exactly one thing broken. */
struct cd_bad {
	const char *name;
	void (*mut)(struct tb_cd *, struct smmu_features *, struct smmu_ste *);
};

static void m_v(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->v = false; }
static void m_aa64(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->aa64 = false; }
static void m_endi(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->endi = true; }
static void m_hd(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->hd = true; }
static void m_ha(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->ha = true; }
static void m_s(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->s = true; }
static void m_s_stalld(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->s = true; s->s1stalld = true; }
static void m_term(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { f->term_model = true; c->a = false; }
static void m_asid16(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { f->asid16 = false; c->asid = 0x1ff; }
static void m_t0sz15(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->t0sz = 15; }
static void m_t0sz40(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->t0sz = 40; }
static void m_t0sz12(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { f->oas = 52; c->tg0 = 1; c->t0sz = 12; }
static void m_tg0(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->tg0 = 3; }
static void m_tg0_gran(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { f->granules = SMMU_GRAN_16K | SMMU_GRAN_64K; }
static void m_ttb0_ips(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->ips = 2; c->ttb0 = 1ull << 40; }
static void m_ttb0_oas(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->ips = 6; c->ttb0 = 1ull << 48; }
static void m_ttb0_48(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { f->oas = 52; c->ips = 6; c->ttb0 = 1ull << 48; }
static void m_t1sz15(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->t1sz = 15; }
static void m_t1sz40(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->t1sz = 40; }
static void m_tg1(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->tg1 = 0; }
static void m_tg1_gran(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { f->granules = SMMU_GRAN_4K | SMMU_GRAN_16K; }
static void m_ttb1_ips(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->ips = 1; c->ttb0 = 0; c->ttb1 = 1ull << 36; }
static void m_ttb1_55(struct tb_cd *c, struct smmu_features *f,
    struct smmu_ste *s) { c->ttb1 = 1ull << 55; }

static const struct cd_bad cd_bad_tab[] = {
	{ "V = 0", m_v },
	{ "AA64 = 0", m_aa64 },
	{ "ENDI", m_endi },
	{ "HD", m_hd },
	{ "HA", m_ha },
	{ "S with STALL_MODEL 1", m_s },
	{ "S with STE.S1STALLD", m_s_stalld },
	{ "TERM_MODEL with A = 0", m_term },
	{ "ASID[15:8] without ASID16", m_asid16 },
	{ "T0SZ 15", m_t0sz15 },
	{ "T0SZ 40", m_t0sz40 },
	{ "T0SZ 12 (VAX = 0)", m_t0sz12 },
	{ "TG0 3", m_tg0 },
	{ "TG0 granule unsupported", m_tg0_gran },
	{ "TTB0 >= 2^IPS", m_ttb0_ips },
	{ "TTB0 >= 2^OAS", m_ttb0_oas },
	{ "TTB0 above 48 bits, 4KB", m_ttb0_48 },
	{ "T1SZ 15", m_t1sz15 },
	{ "T1SZ 40", m_t1sz40 },
	{ "TG1 0", m_tg1 },
	{ "TG1 granule unsupported", m_tg1_gran },
	{ "TTB1 >= 2^IPS", m_ttb1_ips },
	{ "TTB1 bit 55", m_ttb1_55 },
};

START_TEST(test_cd_illegal)
{
	const struct cd_bad *b = &cd_bad_tab[_i];
	struct smmu_features f;
	struct smmu_ste ste;
	struct smmu_cd cd;
	struct tb_cd c;
	const char *why;
	uint64_t dw[8];
	int r;

	smmu_features_default(&f);
	memset(&ste, 0, sizeof(ste));
	ste.config = SMMU_STE_S1;
	cd_valid(&c);
	ck_assert_msg(cd_try(&c, &f, &ste, &cd, &why) == 0,
	    "base of \"%s\" is not valid: %s", b->name, why);
	b->mut(&c, &f, &ste);
	memset(&cd, 0xa5, sizeof(cd));
	r = cd_try(&c, &f, &ste, &cd, &why);
	ck_assert_msg(r == SMMU_EVT_C_BAD_CD, "\"%s\" gave %d", b->name, r);
	ck_assert_msg(why != NULL, "\"%s\" has no reason", b->name);
	ck_assert_uint_eq(cd.asid, 0xa5a5);	/* untouched on failure */
	tb_cd_encode(&c, dw);
	ck_assert_int_eq(smmu_cd_decode(dw, &f, &ste, &cd, NULL),
	    SMMU_EVT_C_BAD_CD);
}
END_TEST

/* The legal neighbours of the feature-dependent rules. */
START_TEST(test_cd_features_legal)
{
	struct smmu_features f;
	struct smmu_cd cd;
	struct tb_cd c;
	const char *why;

	smmu_features_default(&f);
	f.term_model = true;
	cd_valid(&c);
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	/* TERM_MODEL = 0 allows A = 0 (RAZ/WI on faults). */
	f.term_model = false;
	c.a = false;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert(!cd.abort);
	/* An 8-bit ASID without ASID16. */
	f.asid16 = false;
	c.asid = 0xff;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.asid, 0xff);
	/* 64KB TTB above 48 bits with OAS 52. */
	smmu_features_default(&f);
	f.oas = 52;
	cd_valid(&c);
	c.ips = 6;
	c.ttb1 = 1ull << 51;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[1].ttb, 1ull << 51);
	/* TxSZ edges 16 and 39. */
	smmu_features_default(&f);
	cd_valid(&c);
	c.t0sz = 16;
	c.t1sz = 39;
	c.ttb0 = c.ttb1 = 0;
	ck_assert_int_eq(cd_try(&c, &f, NULL, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[0].tsz, 16);
	ck_assert_uint_eq(cd.tt[1].tsz, 39);
}
END_TEST

/* ---- smmu_cd_fetch ------------------------------------------------- */

/* Write a CD with ASID asid (otherwise cd_valid()) at gpa. */
static void
cd_put(struct tb *tb, uint64_t gpa, unsigned asid)
{
	struct tb_cd c;

	cd_valid(&c);
	c.asid = asid;
	tb_put_cd(tb, gpa, &c);
}

/* Expected dw[0] of cd_put(asid). */
static uint64_t
cd_dw0(unsigned asid)
{
	struct tb_cd c;
	uint64_t dw[8];

	cd_valid(&c);
	c.asid = asid;
	tb_cd_encode(&c, dw);
	return dw[0];
}

/* An S1 STE for a CD table at ptr. */
static struct smmu_ste
ste_mk(uint64_t ptr, unsigned fmt, unsigned cdmax)
{
	struct smmu_ste s;

	memset(&s, 0, sizeof(s));
	s.config = SMMU_STE_S1;
	s.s1ctxptr = ptr;
	s.s1fmt = fmt;
	s.s1cdmax = cdmax;
	return s;
}

/* Fetch idx and check it returns the CD of asid. */
static void
cd_expect(struct tb *tb, const struct smmu_ste *s, uint32_t idx,
    unsigned asid)
{
	struct smmu_features f;
	struct smmu_event evt;
	uint64_t dw[8];
	int r;

	smmu_features_default(&f);
	r = smmu_cd_fetch(tb->g, &f, s, idx, dw, &evt);
	ck_assert_msg(r == 0, "CD %u: result %d, event 0x%x (%s)", idx, r,
	    evt.type, evt.detail ? evt.detail : "");
	ck_assert_uint_eq(dw[0], cd_dw0(asid));
	ck_assert_uint_eq(dw[3], 0x0011223344556677ull);
}

/* Fetch idx and check the fault type (and fetch_addr for F_CD_FETCH). */
static void
cd_expect_fault(struct tb *tb, const struct smmu_ste *s, uint32_t idx,
    unsigned type, uint64_t fetch_addr)
{
	struct smmu_features f;
	struct smmu_event evt;
	uint64_t dw[8];

	smmu_features_default(&f);
	ck_assert_int_eq(smmu_cd_fetch(tb->g, &f, s, idx, dw, &evt), 1);
	ck_assert_uint_eq(evt.type, type);
	ck_assert_ptr_nonnull(evt.detail);
	ck_assert(evt.record && evt.abort);
	if (type == SMMU_EVT_F_CD_FETCH)
		ck_assert_uint_eq(evt.fetch_addr, fetch_addr);
}

START_TEST(test_cd_fetch_single)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_ste s;
	uint64_t cd;

	ck_assert_ptr_nonnull(tb);
	cd = tb_alloc(tb, 64, 64);
	cd_put(tb, cd, 7);
	cd_put(tb, cd + 64, 8);
	/* S1CDMax = 0: S1Fmt is IGNORED, the pointer is the CD. */
	s = ste_mk(cd, 2, 0);
	cd_expect(tb, &s, 0, 7);
	cd_expect_fault(tb, &s, 1, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	cd_expect_fault(tb, &s, 0xfffff, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	/* Unbacked CD. */
	s = ste_mk(0x10000040ull, 0, 0);
	cd_expect_fault(tb, &s, 0, SMMU_EVT_F_CD_FETCH, 0x10000040ull);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_cd_fetch_linear)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_ste s;
	uint64_t t;
	unsigned i;

	ck_assert_ptr_nonnull(tb);
	t = tb_alloc(tb, 64 * 16, 64 * 16);
	for (i = 0; i < 16; i++)
		cd_put(tb, t + 64 * i, 0x100 + i);
	s = ste_mk(t, 0, 4);
	for (i = 0; i < 16; i++)
		cd_expect(tb, &s, i, 0x100 + i);
	cd_expect_fault(tb, &s, 16, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	cd_expect_fault(tb, &s, 1u << 19, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	/* S1Fmt 3 was folded to 0 by the STE decoder: linear. */
	/* A linear table running off the end of RAM. */
	s = ste_mk(RAM_BASE + RAM_SIZE - 64 * 4, 0, 4);
	cd_expect_fault(tb, &s, 4, SMMU_EVT_F_CD_FETCH, RAM_BASE + RAM_SIZE);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_cd_fetch_2l_4k)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_ste s;
	uint64_t l1, l2a, l2b;

	ck_assert_ptr_nonnull(tb);
	/* S1CDMax 8: 256 CDs, 4 L1CDs. */
	l1 = tb_alloc(tb, 64, 64);
	l2a = tb_alloc(tb, 4096, 4096);
	l2b = tb_alloc(tb, 4096, 4096);
	cd_put(tb, l2a + 64 * 5, 0x45);
	cd_put(tb, l2a + 64 * 63, 0x7f);
	cd_put(tb, l2b + 64 * 0, 0xc0);
	/* L1CD: V[0], L2Ptr[55:12]; bits [11:1] are not address bits. */
	tb_w64(tb, l1 + 8 * 1, l2a | 0xffe | 1);
	tb_w64(tb, l1 + 8 * 3, l2b | 1);
	tb_w64(tb, l1 + 8 * 2, l2b);	/* V = 0 */
	s = ste_mk(l1, 1, 8);
	cd_expect(tb, &s, 64 + 5, 0x45);
	cd_expect(tb, &s, 64 + 63, 0x7f);
	cd_expect(tb, &s, 192, 0xc0);
	cd_expect_fault(tb, &s, 0, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	cd_expect_fault(tb, &s, 128 + 1, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	cd_expect_fault(tb, &s, 256, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	/* S1CDMax <= 6: only L1CD #0 is used. */
	tb_w64(tb, l1, l2b | 1);
	cd_put(tb, l2b + 64 * 5, 0x55);
	s = ste_mk(l1, 1, 3);
	cd_expect(tb, &s, 5, 0x55);
	cd_expect_fault(tb, &s, 8, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	/* An L2 table outside RAM, then an L1 table outside RAM. */
	tb_w64(tb, l1 + 8 * 2, 0x20000000ull | 1);
	s = ste_mk(l1, 1, 8);
	cd_expect_fault(tb, &s, 128 + 9, SMMU_EVT_F_CD_FETCH,
	    0x20000000ull + 64 * 9);
	s = ste_mk(0x10000000ull, 1, 8);
	cd_expect_fault(tb, &s, 130, SMMU_EVT_F_CD_FETCH,
	    0x10000000ull + 8 * 2);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_cd_fetch_2l_64k)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	struct smmu_ste s;
	uint64_t l1, l2;

	ck_assert_ptr_nonnull(tb);
	/* S1CDMax 12: 4096 CDs, 4 L1CDs of 1024 CDs each. */
	l1 = tb_alloc(tb, 64, 64);
	l2 = tb_alloc(tb, 65536, 65536);
	cd_put(tb, l2 + 64 * 1000, 0x3e8);
	cd_put(tb, l2 + 64 * 1023, 0x3ff);
	tb_w64(tb, l1 + 8 * 2, l2 | 1);
	s = ste_mk(l1, 2, 12);
	cd_expect(tb, &s, 2048 + 1000, 0x3e8);
	cd_expect(tb, &s, 2048 + 1023, 0x3ff);
	cd_expect_fault(tb, &s, 1024 + 1000, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	cd_expect_fault(tb, &s, 4096, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	/* S1CDMax <= 10: L1CD #0 only. */
	tb_w64(tb, l1, l2 | 1);
	s = ste_mk(l1, 2, 10);
	cd_expect(tb, &s, 1000, 0x3e8);
	tb_destroy(tb);
}
END_TEST

/* A nested STE whose stage 2 maps IPA [ipa, ipa + size) to pa. */
static struct smmu_ste
ste_nested_mk(struct tb *tb, uint64_t ipa, uint64_t pa, uint64_t size,
    uint64_t cdptr_ipa, unsigned fmt, unsigned cdmax)
{
	struct smmu_features f;
	struct smmu_ste ste;
	struct tb_ste s;
	struct tb_pt pt;
	const char *why = NULL;
	uint64_t dw[8];

	smmu_features_default(&f);
	/* 4KB, 40-bit IPA from level 1 (two concatenated tables). */
	ck_assert_int_eq(tb_pt_init(&pt, tb, true, 12, 40, 1), 0);
	ck_assert_int_eq(tb_pt_map_range(&pt, ipa, pa, size,
	    TB_S2_DEFAULT), 0);
	tb_ste_s2(&s, &pt, 9);
	tb_ste_nest(&s, cdptr_ipa);
	s.s1fmt = fmt;
	s.s1cdmax = cdmax;
	tb_ste_encode(&s, dw);
	ck_assert_msg(smmu_ste_decode(dw, &f, &ste, &why) == 0, "%s", why);
	ck_assert_uint_eq(ste.config, SMMU_STE_NESTED);
	return ste;
}

START_TEST(test_cd_fetch_nested)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	const uint64_t ipa = 0x4000000000ull;	/* far from RAM_BASE */
	struct smmu_features f;
	struct smmu_event evt;
	struct smmu_ste s;
	uint64_t pa, dw[8];

	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	/* 64KB of RAM seen at IPA ipa: a 2-level table (L1 + one L2). */
	pa = tb_alloc(tb, 0x10000, 0x10000);
	/* L1CD #1 at IPA ipa + 8 -> L2 at IPA ipa + 0x2000. */
	tb_w64(tb, pa + 8, (ipa + 0x2000) | 1);
	cd_put(tb, pa + 0x2000 + 64 * 3, 0x1003);
	/* A linear table of 4 CDs at IPA ipa + 0x4000. */
	cd_put(tb, pa + 0x4000 + 64 * 2, 0x2002);
	s = ste_nested_mk(tb, ipa, pa, 0x10000, ipa, 1, 8);
	cd_expect(tb, &s, 64 + 3, 0x1003);
	s.s1ctxptr = ipa + 0x4000;
	s.s1fmt = 0;
	s.s1cdmax = 2;
	cd_expect(tb, &s, 2, 0x2002);

	/* The CD table's IPA is not mapped by stage 2. */
	s.s1ctxptr = ipa + 0x100000;
	ck_assert_int_eq(smmu_cd_fetch(tb->g, &f, &s, 1, dw, &evt), 1);
	ck_assert_uint_eq(evt.type, SMMU_EVT_F_TRANSLATION);
	ck_assert(evt.s2);
	ck_assert_uint_eq(evt.evclass, SMMU_EVT_CLASS_CD);
	ck_assert_uint_eq(evt.ipa, ipa + 0x100000 + 64);
	/* The L2 pointer's IPA is not mapped: the fault names it. */
	tb_w64(tb, pa + 16, (ipa + 0x200000) | 1);
	s.s1ctxptr = ipa;
	s.s1fmt = 1;
	s.s1cdmax = 8;
	ck_assert_int_eq(smmu_cd_fetch(tb->g, &f, &s, 128 + 4, dw, &evt), 1);
	ck_assert_uint_eq(evt.type, SMMU_EVT_F_TRANSLATION);
	ck_assert(evt.s2);
	ck_assert_uint_eq(evt.evclass, SMMU_EVT_CLASS_CD);
	ck_assert_uint_eq(evt.ipa, ipa + 0x200000 + 64 * 4);
	/* L1CD.V = 0 through stage 2 is still C_BAD_SUBSTREAMID. */
	cd_expect_fault(tb, &s, 192, SMMU_EVT_C_BAD_SUBSTREAMID, 0);
	tb_destroy(tb);
}
END_TEST

START_TEST(test_cd_fetch_nested_unbacked)
{
	struct tb *tb = tb_create(RAM_BASE, RAM_SIZE);
	const uint64_t ipa = 0x4000000000ull;
	struct smmu_ste s;

	ck_assert_ptr_nonnull(tb);
	/* Stage 2 maps the CD page to a PA outside every region. */
	s = ste_nested_mk(tb, ipa, 0x30000000ull, 0x1000, ipa, 0, 0);
	cd_expect_fault(tb, &s, 0, SMMU_EVT_F_CD_FETCH, 0x30000000ull);
	s.s1ctxptr = ipa + 0x40;
	cd_expect_fault(tb, &s, 0, SMMU_EVT_F_CD_FETCH, 0x30000040ull);
	/* The L1CD read aborts: FetchAddr is the PA read, not the IPA. */
	s.s1fmt = 1;
	s.s1cdmax = 8;
	s.s1ctxptr = ipa;
	cd_expect_fault(tb, &s, 130, SMMU_EVT_F_CD_FETCH, 0x30000010ull);
	tb_destroy(tb);
}
END_TEST

Suite *
cd_suite(void)
{
	Suite *s = suite_create("cd");
	TCase *tc = tcase_create("decode");
	TCase *tf = tcase_create("fetch");

	tcase_add_test(tc, test_cd_fields);
	tcase_add_test(tc, test_cd_tg_encodings);
	tcase_add_test(tc, test_cd_ips);
	tcase_add_test(tc, test_cd_ttb_masking);
	tcase_add_test(tc, test_cd_epd);
	tcase_add_loop_test(tc, test_cd_illegal, 0,
	    sizeof(cd_bad_tab) / sizeof(cd_bad_tab[0]));
	tcase_add_test(tc, test_cd_features_legal);
	suite_add_tcase(s, tc);
	tcase_add_test(tf, test_cd_fetch_single);
	tcase_add_test(tf, test_cd_fetch_linear);
	tcase_add_test(tf, test_cd_fetch_2l_4k);
	tcase_add_test(tf, test_cd_fetch_2l_64k);
	tcase_add_test(tf, test_cd_fetch_nested);
	tcase_add_test(tf, test_cd_fetch_nested_unbacked);
	suite_add_tcase(s, tf);
	return s;
}
