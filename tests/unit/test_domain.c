/*
 * test_domain.c - host-managed translation: stream table, STE and CD
 * construction, map/unmap with blocks, splits and table freeing, exact
 * TLB invalidation, MSI pages, foreach, exhaustion, and random map/unmap
 * sequences checked against a reference model.
 *
 * Everything is verified through the engine itself: smmu_translate() on
 * the SMMU the domain programs, and the STE/CD decoders on the words it
 * wrote.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "cd.h"
#include "domain.h"
#include "smmu.h"
#include "ste.h"
#include "suites.h"
#include "tbuild.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64ull << 20)
#define AREA_SIZE (16ull << 20)
#define OUT_BASE 0x100000000ull		/* output addresses (not RAM) */

/*
 * Fail with a message unless cond.  Unlike ck_assert*, a passing check
 * costs nothing: Check writes a mark point to its pipe for every passing
 * assertion, which would dominate the random sequences.
 */
#define FX_CHECK(cond, ...) do {					\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

#define PR SMMU_PERM_R
#define PW SMMU_PERM_W
#define PX SMMU_PERM_X
#define PP SMMU_DOMAIN_PRIV

struct fx {
	struct tb *tb;
	struct smmu *s;
	struct smmu_domain *d;
	struct smmu_features f;
	struct smmu_domain_cfg cfg;
	uint64_t area;
	uint64_t page;
	uint64_t bytes0;	/* table bytes after create */
};

/* Granules and stages of the loop tests: index i = stage * 3 + gran. */
static const unsigned fx_gran[3] = { 12, 14, 16 };

/* A domain over a fresh SMMU (features f, or the defaults). */
static void
fx_init_ex(struct fx *fx, const struct smmu_features *f, unsigned stage,
    unsigned granule, unsigned ia, uint64_t area_size)
{
	struct smmu_domain_stats st;
	int err = 0;

	memset(fx, 0, sizeof(*fx));
	fx->tb = tb_create(RAM_BASE, RAM_SIZE);
	ck_assert_ptr_nonnull(fx->tb);
	if (f != NULL)
		fx->f = *f;
	else
		smmu_features_default(&fx->f);
	fx->s = smmu_create(&fx->f, fx->tb->g, NULL);
	ck_assert_ptr_nonnull(fx->s);
	fx->area = tb_alloc(fx->tb, area_size, 1ull << 16);
	ck_assert_uint_ne(fx->area, 0);
	smmu_domain_cfg_default(fx->s, &fx->cfg);
	fx->cfg.stage = stage;
	fx->cfg.granule = granule;
	fx->cfg.ia_bits = ia;
	fx->d = smmu_domain_create(fx->s, fx->area, area_size, &fx->cfg,
	    &err);
	ck_assert_msg(fx->d != NULL, "create: %s", smmu_strerror(err));
	fx->page = 1ull << granule;
	smmu_domain_stats_get(fx->d, &st);
	fx->bytes0 = st.table_bytes;
}

static void
fx_init(struct fx *fx, unsigned stage, unsigned granule, unsigned ia)
{
	fx_init_ex(fx, NULL, stage, granule, ia, AREA_SIZE);
}

static void
fx_fini(struct fx *fx)
{
	smmu_domain_destroy(fx->d);
	smmu_destroy(fx->s);
	tb_destroy(fx->tb);
}

static uint64_t
fx_bytes(struct fx *fx)
{
	struct smmu_domain_stats st;

	smmu_domain_stats_get(fx->d, &st);
	return st.table_bytes;
}

/* Translate; returns SMMU_XLATE_OK or SMMU_XLATE_FAULT. */
static int
fx_xlate(struct fx *fx, uint32_t sid, uint64_t iova, unsigned access,
    struct smmu_xlate *x, struct smmu_event *e)
{
	struct smmu_txn t = { .sid = sid, .iova = iova, .access = access };

	memset(x, 0, sizeof(*x));
	memset(e, 0, sizeof(*e));
	return smmu_translate(fx->s, &t, x, e);
}

/* iova must translate to oa with a mapping of 2^size_log2 and perm. */
static void
fx_ok(struct fx *fx, uint32_t sid, uint64_t iova, unsigned access,
    uint64_t oa, unsigned size_log2, unsigned perm)
{
	struct smmu_xlate x;
	struct smmu_event e;
	int r;

	r = fx_xlate(fx, sid, iova, access, &x, &e);
	FX_CHECK(r == SMMU_XLATE_OK, "sid %u iova 0x%llx: fault %s (%s)",
	    sid, (unsigned long long)iova, smmu_event_name(e.type),
	    e.detail != NULL ? e.detail : "");
	FX_CHECK(x.oa == oa, "iova 0x%llx -> 0x%llx, want 0x%llx",
	    (unsigned long long)iova, (unsigned long long)x.oa,
	    (unsigned long long)oa);
	FX_CHECK(x.size_log2 == size_log2, "iova 0x%llx: size 2^%u, want "
	    "2^%u", (unsigned long long)iova, x.size_log2, size_log2);
	FX_CHECK(x.perm == perm, "iova 0x%llx: perm %#x, want %#x",
	    (unsigned long long)iova, x.perm, perm);
}

/* iova must fault with type. */
static void
fx_fault(struct fx *fx, uint32_t sid, uint64_t iova, unsigned access,
    unsigned type)
{
	struct smmu_xlate x;
	struct smmu_event e;
	int r;

	r = fx_xlate(fx, sid, iova, access, &x, &e);
	FX_CHECK(r == SMMU_XLATE_FAULT, "sid %u iova 0x%llx: no fault "
	    "(-> 0x%llx)", sid, (unsigned long long)iova,
	    (unsigned long long)x.oa);
	FX_CHECK(e.type == type, "iova 0x%llx: %s, want %s",
	    (unsigned long long)iova, smmu_event_name(e.type),
	    smmu_event_name(type));
}

/* Collected foreach ranges. */
struct fx_ranges {
	unsigned n;
	struct smmu_domain_range r[64];
};

static int
fx_range_cb(void *arg, const struct smmu_domain_range *r)
{
	struct fx_ranges *rs = arg;

	if (rs->n == 64)
		return 1;
	rs->r[rs->n++] = *r;
	return 0;
}

static void
fx_ranges(struct fx *fx, uint32_t sid, struct fx_ranges *rs)
{
	memset(rs, 0, sizeof(*rs));
	ck_assert_int_eq(smmu_domain_foreach(fx->d, sid, fx_range_cb, rs), 0);
}

/* The STE words of sid, fetched as the engine would. */
static void
fx_ste(struct fx *fx, uint32_t sid, uint64_t dw[8])
{
	struct smmu_domain_stream info;

	ck_assert_int_eq(smmu_domain_stream_get(fx->d, sid, &info), 0);
	ck_assert_int_eq(gmem_read_words(fx->tb->g, info.ste_gpa, dw, 8), 0);
}

/*
 * The leaf descriptor for iova of sid, found by walking the tables by
 * hand from the decoded STE/CD (independently of the domain's walker);
 * 0 if none.  *ret_level gets its level.
 */
static uint64_t
fx_leaf(struct fx *fx, uint32_t sid, uint64_t iova, unsigned *ret_level)
{
	struct smmu_domain_stream info;
	struct smmu_ste ste;
	struct smmu_cd cd;
	uint64_t dw[8], cdw[8], table, desc;
	unsigned g, ia, level, shift, bits;

	fx_ste(fx, sid, dw);
	ck_assert_int_eq(smmu_ste_decode(dw, &fx->f, &ste, NULL), 0);
	ck_assert_int_eq(smmu_domain_stream_get(fx->d, sid, &info), 0);
	if (ste.config == SMMU_STE_S2) {
		g = ste.s2.granule;
		ia = 64 - ste.s2.tsz;
		level = ste.s2.sl;
		table = ste.s2.ttb;
	} else {
		ck_assert_int_eq(gmem_read_words(fx->tb->g, info.cd_gpa, cdw,
		    8), 0);
		ck_assert_int_eq(smmu_cd_decode(cdw, &fx->f, &ste, &cd, NULL),
		    0);
		g = cd.tt[0].granule;
		ia = 64 - cd.tt[0].tsz;
		level = 3 - (ia - 1 - g) / (g - 3);
		table = cd.tt[0].ttb;
	}
	ck_assert_uint_eq(table, info.root_gpa);
	shift = g + (3 - level) * (g - 3);
	bits = ia - shift;
	for (;;) {
		ck_assert_int_eq(gmem_read64(fx->tb->g, table + 8 *
		    ((iova >> shift) & ((1ull << bits) - 1)), &desc), 0);
		if (!(desc & 1))
			return 0;
		if (level == 3 || !(desc & 2))
			break;
		table = desc & GENMASK64(47, g);
		level++;
		shift -= g - 3;
		bits = g - 3;
	}
	*ret_level = level;
	return desc;
}

/* ---- creation ------------------------------------------------------- */

START_TEST(test_domain_create_errors)
{
	struct smmu_features f;
	struct smmu_domain_cfg c;
	struct smmu_ctrl ctrl;
	struct tb *tb;
	struct smmu *s;
	struct smmu_domain *d;
	uint64_t area;
	int err;

	tb = tb_create(RAM_BASE, RAM_SIZE);
	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	f.granules = SMMU_GRAN_4K | SMMU_GRAN_64K;
	f.s2p = false;
	s = smmu_create(&f, tb->g, NULL);
	ck_assert_ptr_nonnull(s);
	area = tb_alloc(tb, 1ull << 20, 1ull << 16);

	smmu_domain_cfg_default(s, &c);
	ck_assert_uint_eq(c.stage, 1);
	ck_assert_uint_eq(c.granule, 12);
	ck_assert_uint_eq(c.ia_bits, 48);

#define BAD(field, val, want, a, sz) do {				\
	struct smmu_domain_cfg b = c;					\
	b.field = (val);						\
	err = 0;							\
	ck_assert_ptr_null(smmu_domain_create(s, (a), (sz), &b, &err));	\
	ck_assert_int_eq(err, (want));					\
} while (0)
	BAD(stage, 0, SMMU_ERR_INVAL, area, 1ull << 20);
	BAD(stage, 3, SMMU_ERR_INVAL, area, 1ull << 20);
	BAD(stage, 2, SMMU_ERR_NOTSUP, area, 1ull << 20);  /* no S2P */
	BAD(granule, 13, SMMU_ERR_INVAL, area, 1ull << 20);
	BAD(granule, 14, SMMU_ERR_NOTSUP, area, 1ull << 20);
	BAD(ia_bits, 24, SMMU_ERR_INVAL, area, 1ull << 20);
	BAD(ia_bits, 49, SMMU_ERR_INVAL, area, 1ull << 20);
	BAD(sid_bits, 17, SMMU_ERR_INVAL, area, 1ull << 20);
	BAD(ia_bits, 48, SMMU_ERR_INVAL, area + 0x800, 1ull << 19);
	BAD(ia_bits, 48, SMMU_ERR_INVAL, area, 0);
	BAD(granule, 16, SMMU_ERR_INVAL, area + 0x1000, 1ull << 19);
	/* Not guest memory at all. */
	BAD(ia_bits, 48, SMMU_ERR_RANGE, 0x1000000000ull, 1ull << 20);
#undef BAD

	/* A good one programs and enables the stream table. */
	d = smmu_domain_create(s, area, 1ull << 20, &c, &err);
	ck_assert_ptr_nonnull(d);
	smmu_ctrl_get(s, &ctrl);
	ck_assert(ctrl.enabled);
	ck_assert_uint_eq(ctrl.strtab_base, area);
	/* LOG2SIZE 16, SPLIT 8, FMT 2-level. */
	ck_assert_uint_eq(ctrl.strtab_base_cfg, 16u | 8u << 6 | 1u << 16);
	smmu_domain_destroy(d);
	smmu_domain_destroy(NULL);
	smmu_destroy(s);
	tb_destroy(tb);
}
END_TEST

/* ---- attach / detach ------------------------------------------------ */

START_TEST(test_domain_attach_detach)
{
	struct fx fx;
	struct smmu_domain_stream info;
	struct smmu_domain_stats st;
	struct smmu_ste ste;
	struct smmu_cd cd;
	uint64_t dw[8], cdw[8], b1;
	uint32_t sid;
	const char *why = NULL;

	fx_init(&fx, 1, 12, 48);
	/* Nothing attached: no L2 stream table (L1STD.Span = 0). */
	fx_fault(&fx, 0, 0, SMMU_ACC_READ, SMMU_EVT_C_BAD_STREAMID);

	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_uint_eq(sid, 0);
	b1 = fx_bytes(&fx);
	/* L2 stream table (16 KB), root table and CD page: 6 pages. */
	ck_assert_uint_eq(b1 - fx.bytes0, 6 * 4096);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_uint_eq(sid, 1);
	/* Second stream: one more root page, the CD page is shared. */
	ck_assert_uint_eq(fx_bytes(&fx) - b1, 4096);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 100, 2, 0, 0, &sid), 0);
	ck_assert_uint_eq(sid, 100);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 100, 0, 0, 0, &sid),
	    SMMU_ERR_EXIST);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 1u << 16, 0, 0, 0, &sid),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 5, 3, 0, 0, &sid),
	    SMMU_ERR_INVAL);
	/* Windows: end before start, beyond the input range. */
	ck_assert_int_eq(smmu_domain_attach(fx.d, 5, 0, 0x2000, 0x1000,
	    &sid), SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 5, 0, 0, 1ull << 48,
	    &sid), SMMU_ERR_INVAL);
	smmu_domain_stats_get(fx.d, &st);
	ck_assert_uint_eq(st.nr_streams, 3);

	/* Stage-1 STE and CD, bit-exact and legal for the decoders. */
	fx_ste(&fx, 1, dw);
	ck_assert_uint_eq(dw[0] & 0xf, 1 | 5 << 1);	/* V, Config S1 */
	ck_assert_uint_eq(dw[0] >> 59, 0);		/* S1CDMax */
	ck_assert_int_eq(smmu_ste_decode(dw, &fx.f, &ste, &why), 0);
	ck_assert_uint_eq(ste.config, SMMU_STE_S1);
	ck_assert_int_eq(smmu_domain_stream_get(fx.d, 1, &info), 0);
	ck_assert_uint_eq(ste.s1ctxptr, info.cd_gpa);
	ck_assert_uint_eq(ste.s2.vmid, info.vmid);
	ck_assert_int_eq(gmem_read_words(fx.tb->g, info.cd_gpa, cdw, 8), 0);
	ck_assert_int_eq(smmu_cd_decode(cdw, &fx.f, &ste, &cd, &why), 0);
	ck_assert_uint_eq(cd.tt[0].tsz, 16);
	ck_assert_uint_eq(cd.tt[0].granule, 12);
	ck_assert(!cd.tt[0].epd);
	ck_assert(cd.tt[1].epd);
	ck_assert_uint_eq(cd.tt[0].ttb, info.root_gpa);
	ck_assert_uint_eq(cd.ips, 48);
	ck_assert(cd.record && cd.abort);
	ck_assert_uint_eq(cd.asid, info.asid);
	ck_assert_uint_eq(cd.mair & 0xffff, 0x04ff);
	ck_assert_uint_eq(BITS(cdw[0], 41, 41), 1);	/* AA64 */
	/* ASIDs are unique per stream. */
	{
		struct smmu_domain_stream i0;

		ck_assert_int_eq(smmu_domain_stream_get(fx.d, 0, &i0), 0);
		ck_assert_uint_ne(i0.asid, info.asid);
		ck_assert_uint_ne(i0.cd_gpa, info.cd_gpa);
	}

	/* Stage-2 STE. */
	fx_ste(&fx, 100, dw);
	ck_assert_uint_eq(dw[0] & 0xf, 1 | 6 << 1);	/* V, Config S2 */
	ck_assert_int_eq(smmu_ste_decode(dw, &fx.f, &ste, &why), 0);
	ck_assert_uint_eq(ste.config, SMMU_STE_S2);
	ck_assert_int_eq(smmu_domain_stream_get(fx.d, 100, &info), 0);
	ck_assert_uint_eq(info.stage, 2);
	ck_assert_uint_eq(ste.s2.tsz, 16);
	ck_assert_uint_eq(ste.s2.sl, 0);		/* 4K, 48 bits: L0 */
	ck_assert_uint_eq(BITS(dw[2], 39, 38), 2);	/* S2SL0 */
	ck_assert_uint_eq(ste.s2.granule, 12);
	ck_assert_uint_eq(ste.s2.ps, 48);
	ck_assert(ste.s2.record);
	ck_assert_uint_eq(ste.s2.ttb, info.root_gpa);
	ck_assert_uint_eq(ste.s2.vmid, info.vmid);
	ck_assert_uint_eq(info.cd_gpa, 0);

	/* Attached but nothing mapped: translation faults. */
	fx_fault(&fx, 0, 0x1000, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	fx_fault(&fx, 100, 0x1000, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);

	/* Detach frees the SID for reuse (lowest free first). */
	ck_assert_int_eq(smmu_domain_detach(fx.d, 1), 0);
	ck_assert_int_eq(smmu_domain_detach(fx.d, 1), SMMU_ERR_NOENT);
	ck_assert_int_eq(smmu_domain_stream_get(fx.d, 1, &info),
	    SMMU_ERR_NOENT);
	fx_fault(&fx, 1, 0x1000, SMMU_ACC_READ, SMMU_EVT_C_BAD_STE);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_uint_eq(sid, 1);

	/* Another L2 group: its L2 table comes and goes with its stream. */
	b1 = fx_bytes(&fx);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 0x1234, 0, 0, 0, &sid), 0);
	ck_assert_uint_eq(fx_bytes(&fx) - b1, 5 * 4096);
	fx_fault(&fx, 0x1234, 0, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	fx_fault(&fx, 0x1235, 0, SMMU_ACC_READ, SMMU_EVT_C_BAD_STE);
	ck_assert_int_eq(smmu_domain_detach(fx.d, 0x1234), 0);
	ck_assert_uint_eq(fx_bytes(&fx), b1);
	/* L1STD cleared: Span 0 is C_BAD_STREAMID. */
	fx_fault(&fx, 0x1234, 0, SMMU_ACC_READ, SMMU_EVT_C_BAD_STREAMID);

	ck_assert_int_eq(smmu_domain_detach(fx.d, 0), 0);
	ck_assert_int_eq(smmu_domain_detach(fx.d, 1), 0);
	ck_assert_int_eq(smmu_domain_detach(fx.d, 100), 0);
	ck_assert_uint_eq(fx_bytes(&fx), fx.bytes0);
	smmu_domain_stats_get(fx.d, &st);
	ck_assert_uint_eq(st.nr_streams, 0);
	fx_fini(&fx);
}
END_TEST

/* A linear stream table when the SMMU has fewer than 7 SID bits. */
START_TEST(test_domain_linear)
{
	struct smmu_features f;
	struct smmu_ctrl ctrl;
	struct fx fx;
	uint32_t sid;

	smmu_features_default(&f);
	f.sid_bits = 5;
	f.st_2level = false;
	fx_init_ex(&fx, &f, 2, 12, 40, AREA_SIZE);
	smmu_ctrl_get(fx.s, &ctrl);
	ck_assert_uint_eq(ctrl.strtab_base_cfg, 5);	/* linear, 32 STEs */
	ck_assert_uint_eq(fx.bytes0, 4096);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 31, 0, 0, 0, &sid), 0);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 32, 0, 0, 0, &sid),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, 31, 0x200000, OUT_BASE,
	    0x200000, PR | PW), 0);
	fx_ok(&fx, 31, 0x212345, SMMU_ACC_WRITE, OUT_BASE + 0x12345, 21,
	    PR | PW);
	/* 4K, 40 bits: start level 1 with two concatenated tables. */
	ck_assert_int_eq(smmu_domain_map(fx.d, 31, (1ull << 40) - 4096,
	    OUT_BASE, 4096, PR), 0);
	fx_ok(&fx, 31, (1ull << 40) - 8, SMMU_ACC_READ, OUT_BASE + 4088, 12,
	    PR);
	fx_fault(&fx, 31, 1ull << 40, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	ck_assert_int_eq(smmu_domain_detach(fx.d, 31), 0);
	ck_assert_uint_eq(fx_bytes(&fx), fx.bytes0);
	fx_fini(&fx);
}
END_TEST

/* A table area at guest-physical address 0, with pages reused a lot. */
START_TEST(test_domain_area_zero)
{
	struct smmu_features f;
	struct smmu_domain_cfg c;
	struct smmu_domain_stats st;
	struct smmu_xlate x;
	struct smmu_event e;
	struct smmu_txn t = { .access = SMMU_ACC_READ };
	struct smmu_domain *d;
	struct smmu *s;
	struct tb *tb;
	uint64_t b0;
	uint32_t sid, sids[8];
	unsigned round, i;

	tb = tb_create(0, 4ull << 20);
	ck_assert_ptr_nonnull(tb);
	smmu_features_default(&f);
	s = smmu_create(&f, tb->g, NULL);
	ck_assert_ptr_nonnull(s);
	smmu_domain_cfg_default(s, &c);
	d = smmu_domain_create(s, 0, 1ull << 20, &c, NULL);
	ck_assert_ptr_nonnull(d);
	smmu_domain_stats_get(d, &st);
	b0 = st.table_bytes;
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 8; i++) {
			/* Alternate stages and L2 stream-table groups. */
			ck_assert_int_eq(smmu_domain_attach(d, i * 300 +
			    round, 1 + (i + round) % 2, 0, 0, &sid), 0);
			sids[i] = sid;
			ck_assert_int_eq(smmu_domain_map(d, sid, 0x10000 *
			    (i + 1), OUT_BASE + 0x1000 * i, 0x1000, PR), 0);
		}
		for (i = 0; i < 8; i++) {
			t.sid = sids[i];
			t.iova = 0x10000 * (i + 1) + 4;
			ck_assert_int_eq(smmu_translate(s, &t, &x, &e),
			    SMMU_XLATE_OK);
			ck_assert_uint_eq(x.oa, OUT_BASE + 0x1000 * i + 4);
		}
		for (i = 0; i < 8; i++)
			ck_assert_int_eq(smmu_domain_detach(d,
			    sids[(i * 3) % 8]), 0);
		smmu_domain_stats_get(d, &st);
		ck_assert_uint_eq(st.table_bytes, b0);
		ck_assert_uint_eq(st.nr_streams, 0);
	}
	smmu_domain_destroy(d);
	smmu_destroy(s);
	tb_destroy(tb);
}
END_TEST

/* ---- map / unmap per stage and granule ----------------------------- */

START_TEST(test_domain_map_basic)
{
	unsigned stage = (unsigned)_i / 3 + 1, g = fx_gran[_i % 3];
	uint64_t page = 1ull << g;
	unsigned bl = g + (g - 3);	/* log2 of the L2 block */
	unsigned rw = PR | PW;
	uint64_t b0, base, iova, pa, un, desc;
	unsigned level = 0;
	struct fx fx;
	struct fx_ranges rs;
	uint32_t sid;

	fx_init(&fx, stage, g, 48);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	b0 = fx_bytes(&fx);

	/* One L2 block plus a page on each side. */
	base = 4ull << bl;
	pa = OUT_BASE + (8ull << bl);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, base - page,
	    pa - page, (1ull << bl) + 2 * page, rw), 0);
	fx_ok(&fx, sid, base - page + 0x10, SMMU_ACC_READ, pa - page + 0x10,
	    g, rw);
	fx_ok(&fx, sid, base + 0x123458, SMMU_ACC_WRITE, pa + 0x123458, bl,
	    rw);
	fx_ok(&fx, sid, base + (1ull << bl), SMMU_ACC_READ,
	    pa + (1ull << bl), g, rw);
	/* The descriptors themselves: a level-2 block, level-3 pages. */
	desc = fx_leaf(&fx, sid, base, &level);
	ck_assert_uint_eq(level, 2);
	ck_assert_uint_eq(desc & 3, 1);
	ck_assert_uint_eq(desc & GENMASK64(47, bl), pa);
	ck_assert_uint_eq(BIT(desc, 10), 1);			/* AF */
	ck_assert_uint_eq(BITS(desc, 9, 8), 3); /* SH IS */
	if (stage == 1) {
		ck_assert_uint_eq(BITS(desc, 7, 6), 1); /* AP RW */
		ck_assert_uint_eq(BITS(desc, 4, 2), 0); /* AttrIndx */
		ck_assert_uint_eq(BIT(desc, 11), 1);		/* nG */
		ck_assert_uint_eq(BITS(desc, 54, 53), 3);	/* UXN PXN */
	} else {
		ck_assert_uint_eq(BITS(desc, 7, 6), 3); /* S2AP */
		ck_assert_uint_eq(BITS(desc, 5, 2), 0xf);	/* MemAttr */
		ck_assert_uint_eq(BIT(desc, 54), 1);		/* XN */
	}
	desc = fx_leaf(&fx, sid, base - page, &level);
	ck_assert_uint_eq(level, 3);
	ck_assert_uint_eq(desc & 3, 3);
	ck_assert_uint_eq(desc & GENMASK64(47, g), pa - page);
	/* Unaligned output: pages only, even over an aligned input. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 16ull << bl,
	    OUT_BASE + page, 1ull << bl, PR), 0);
	fx_ok(&fx, sid, (16ull << bl) + (1ull << bl) - 1, SMMU_ACC_READ,
	    OUT_BASE + page + (1ull << bl) - 1, g, PR);

	/* Overlaps are refused and change nothing. */
	b0 = fx_bytes(&fx);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, base + page, OUT_BASE,
	    page, PR), SMMU_ERR_EXIST);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, base - 2 * page,
	    OUT_BASE, 2 * page, PR), SMMU_ERR_EXIST);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE,
	    32ull << bl, PR), SMMU_ERR_EXIST);
	ck_assert_uint_eq(fx_bytes(&fx), b0);
	fx_fault(&fx, sid, 0, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	fx_fault(&fx, sid, base - 2 * page, SMMU_ACC_READ,
	    SMMU_EVT_F_TRANSLATION);

	/* Argument checks. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x800, OUT_BASE, page,
	    PR), SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE + 8, page,
	    PR), SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE, 0, PR),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE, page, 0),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE, page, PX),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE, page, 16),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, (1ull << 48) - page,
	    OUT_BASE, 2 * page, PR), SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, (1ull << 48) - page,
	    2 * page, PR), SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid + 1, 0, OUT_BASE, page,
	    PR), SMMU_ERR_NOENT);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE, page,
	    PR | PP), stage == 2 ? SMMU_ERR_NOTSUP : 0);
	if (stage == 1) {
		ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 0, page, &un),
		    0);
		ck_assert_uint_eq(un, page);
	}
	/* The top page of the input range. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, (1ull << 48) - page,
	    OUT_BASE, page, PR | PW | PX), 0);
	fx_ok(&fx, sid, (1ull << 48) - 1, SMMU_ACC_EXEC, OUT_BASE + page - 1,
	    g, PR | PW | PX);

	/* Partial unmap of the block splits it. */
	iova = base + 3 * page;
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, iova, page, &un), 0);
	ck_assert_uint_eq(un, page);
	fx_fault(&fx, sid, iova, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	fx_ok(&fx, sid, iova - 8, SMMU_ACC_READ, pa + 3 * page - 8, g,
	    rw);
	fx_ok(&fx, sid, iova + page, SMMU_ACC_READ, pa + 4 * page, g,
	    rw);
	fx_ok(&fx, sid, base + (1ull << bl) - 8, SMMU_ACC_READ,
	    pa + (1ull << bl) - 8, g, rw);
	/* Holes are fine and count nothing. */
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, iova, page, &un), 0);
	ck_assert_uint_eq(un, 0);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, iova, 0, &un),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 1ull << 48, page, &un),
	    SMMU_ERR_INVAL);
	/* foreach sees the split block as two ranges around the hole. */
	fx_ranges(&fx, sid, &rs);
	ck_assert_uint_eq(rs.n, 4);
	ck_assert_uint_eq(rs.r[0].iova, base - page);
	ck_assert_uint_eq(rs.r[0].pa, pa - page);
	ck_assert_uint_eq(rs.r[0].size, 4 * page);
	ck_assert_uint_eq(rs.r[0].perm, rw);
	ck_assert_uint_eq(rs.r[0].attr, SMMU_DOMAIN_ATTR_NORMAL);
	ck_assert_uint_eq(rs.r[1].iova, iova + page);
	ck_assert_uint_eq(rs.r[1].size, (1ull << bl) - 3 * page);

	/* Unmap everything: tables go back to the allocator. */
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 0, 1ull << 48, &un), 0);
	ck_assert_uint_eq(un, (2ull << bl) + 2 * page);
	fx_ranges(&fx, sid, &rs);
	ck_assert_uint_eq(rs.n, 0);
	ck_assert_int_eq(smmu_domain_detach(fx.d, sid), 0);
	ck_assert_uint_eq(fx_bytes(&fx), fx.bytes0);
	fx_fini(&fx);
}
END_TEST

/* 4K 1 GB blocks at level 1 and their split down to pages. */
START_TEST(test_domain_map_1g)
{
	struct fx fx;
	struct smmu_domain_stats st;
	uint64_t gb = 1ull << 30, mb2 = 1ull << 21, un;
	uint32_t sid;

	fx_init(&fx, (unsigned)_i + 1, 12, 48);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 3 * gb, OUT_BASE,
	    2 * gb, PR | PW), 0);
	fx_ok(&fx, sid, 4 * gb + 0x1234567, SMMU_ACC_WRITE,
	    OUT_BASE + gb + 0x1234567, 30, PR | PW);
	/* Root + one L1 table: blocks need nothing else. */
	smmu_domain_stats_get(fx.d, &st);
	ck_assert_uint_eq(st.tables_allocated, 1);
	/* One page out of the middle of the first block. */
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 3 * gb + 5 * mb2 +
	    0x3000, 0x1000, &un), 0);
	ck_assert_uint_eq(un, 0x1000);
	smmu_domain_stats_get(fx.d, &st);
	ck_assert_uint_eq(st.splits, 2);	/* 1G -> 2M -> 4K */
	fx_fault(&fx, sid, 3 * gb + 5 * mb2 + 0x3000, SMMU_ACC_READ,
	    SMMU_EVT_F_TRANSLATION);
	fx_ok(&fx, sid, 3 * gb + 5 * mb2 + 0x2008, SMMU_ACC_READ,
	    OUT_BASE + 5 * mb2 + 0x2008, 12, PR | PW);
	fx_ok(&fx, sid, 3 * gb + 7 * mb2 + 8, SMMU_ACC_READ,
	    OUT_BASE + 7 * mb2 + 8, 21, PR | PW);
	fx_ok(&fx, sid, 4 * gb + 8, SMMU_ACC_READ, OUT_BASE + gb + 8, 30,
	    PR | PW);
	ck_assert_uint_eq(fx_bytes(&fx) - fx.bytes0 -
	    (6 - (_i == 1 ? 1 : 0)) * 4096, 3 * 4096);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 3 * gb, 2 * gb, &un),
	    0);
	ck_assert_uint_eq(un, 2 * gb - 0x1000);
	smmu_domain_stats_get(fx.d, &st);
	ck_assert_uint_eq(st.tables_freed, st.tables_allocated);
	ck_assert_int_eq(smmu_domain_detach(fx.d, sid), 0);
	ck_assert_uint_eq(fx_bytes(&fx), fx.bytes0);
	fx_fini(&fx);
}
END_TEST

/* Permissions: read-only, execute, privileged-only (stage 1). */
START_TEST(test_domain_perms)
{
	unsigned stage = (unsigned)_i / 3 + 1, g = fx_gran[_i % 3];
	uint64_t p = 1ull << g;
	struct fx fx;
	struct fx_ranges rs;
	uint32_t sid;

	fx_init(&fx, stage, g, 48);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE, p, PR), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, p, OUT_BASE + p, p,
	    PR | PW), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 2 * p, OUT_BASE + 2 * p,
	    p, PR | PX), 0);
	fx_ok(&fx, sid, 8, SMMU_ACC_READ, OUT_BASE + 8, g, PR);
	fx_fault(&fx, sid, 8, SMMU_ACC_WRITE, SMMU_EVT_F_PERMISSION);
	fx_fault(&fx, sid, 8, SMMU_ACC_EXEC, SMMU_EVT_F_PERMISSION);
	fx_ok(&fx, sid, p + 8, SMMU_ACC_WRITE, OUT_BASE + p + 8, g, PR | PW);
	fx_fault(&fx, sid, p + 8, SMMU_ACC_EXEC, SMMU_EVT_F_PERMISSION);
	fx_ok(&fx, sid, 2 * p + 8, SMMU_ACC_EXEC, OUT_BASE + 2 * p + 8, g,
	    PR | PX);
	fx_fault(&fx, sid, 2 * p + 8, SMMU_ACC_WRITE, SMMU_EVT_F_PERMISSION);
	if (stage == 1) {
		/* Privileged only: unprivileged accesses fault. */
		ck_assert_int_eq(smmu_domain_map(fx.d, sid, 3 * p,
		    OUT_BASE + 3 * p, p, PR | PW | PP), 0);
		ck_assert_int_eq(smmu_domain_map(fx.d, sid, 4 * p,
		    OUT_BASE + 4 * p, p, PR | PX | PP), 0);
		fx_fault(&fx, sid, 3 * p, SMMU_ACC_READ,
		    SMMU_EVT_F_PERMISSION);
		fx_ok(&fx, sid, 3 * p, SMMU_ACC_WRITE | SMMU_ACC_PRIV,
		    OUT_BASE + 3 * p, g, PR | PW);
		fx_fault(&fx, sid, 3 * p, SMMU_ACC_EXEC | SMMU_ACC_PRIV,
		    SMMU_EVT_F_PERMISSION);
		fx_ok(&fx, sid, 4 * p, SMMU_ACC_EXEC | SMMU_ACC_PRIV,
		    OUT_BASE + 4 * p, g, PR | PX);
		fx_fault(&fx, sid, 4 * p, SMMU_ACC_EXEC,
		    SMMU_EVT_F_PERMISSION);
		fx_fault(&fx, sid, 4 * p, SMMU_ACC_WRITE | SMMU_ACC_PRIV,
		    SMMU_EVT_F_PERMISSION);
		/* W alone means RW on stage 1. */
		ck_assert_int_eq(smmu_domain_map(fx.d, sid, 5 * p,
		    OUT_BASE + 5 * p, p, PW), 0);
		fx_ok(&fx, sid, 5 * p, SMMU_ACC_READ, OUT_BASE + 5 * p, g,
		    PR | PW);
	} else {
		/* Write-only exists at stage 2. */
		ck_assert_int_eq(smmu_domain_map(fx.d, sid, 5 * p,
		    OUT_BASE + 5 * p, p, PW), 0);
		fx_ok(&fx, sid, 5 * p, SMMU_ACC_WRITE, OUT_BASE + 5 * p, g,
		    PW);
		fx_fault(&fx, sid, 5 * p, SMMU_ACC_READ,
		    SMMU_EVT_F_PERMISSION);
	}
	fx_ranges(&fx, sid, &rs);
	ck_assert_uint_eq(rs.n, stage == 1 ? 6 : 4);
	ck_assert_uint_eq(rs.r[0].perm, PR);
	ck_assert_uint_eq(rs.r[1].perm, PR | PW);
	ck_assert_uint_eq(rs.r[2].perm, PR | PX);
	if (stage == 1) {
		ck_assert_uint_eq(rs.r[3].perm, PR | PW | PP);
		ck_assert_uint_eq(rs.r[4].perm, PR | PX | PP);
		ck_assert_uint_eq(rs.r[5].perm, PR | PW);
	} else {
		ck_assert_uint_eq(rs.r[3].perm, PW);
	}
	fx_fini(&fx);
}
END_TEST

/* DMA windows. */
START_TEST(test_domain_window)
{
	unsigned stage = (unsigned)_i + 1;
	uint64_t ws = 0x10000000, we = 0x1fffffff;
	struct smmu_domain_stream info;
	struct fx fx;
	uint32_t sid;

	fx_init(&fx, stage, 12, 40);
	ck_assert_int_eq(smmu_domain_attach(fx.d, 7, 0, ws, we, &sid), 0);
	ck_assert_uint_eq(sid, 7);
	ck_assert_int_eq(smmu_domain_stream_get(fx.d, 7, &info), 0);
	ck_assert(info.has_window);
	ck_assert_uint_eq(info.win_start, ws);
	ck_assert_uint_eq(info.win_end, we);
	ck_assert_uint_eq(info.ia_bits, 40);
	ck_assert_int_eq(smmu_domain_map(fx.d, 7, ws - 0x1000, OUT_BASE,
	    0x2000, PR), SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, 7, we + 1 - 0x1000, OUT_BASE,
	    0x2000, PR), SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, 7, 0, OUT_BASE, 0x1000, PR),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map(fx.d, 7, ws, OUT_BASE, we + 1 - ws,
	    PR | PW), 0);
	fx_ok(&fx, 7, ws + 0x123456, SMMU_ACC_READ, OUT_BASE + 0x123456, 21,
	    PR | PW);
	fx_fault(&fx, 7, ws - 8, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	fx_fault(&fx, 7, we + 1, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	/* Without a window: the whole input range, reported as such. */
	ck_assert_int_eq(smmu_domain_attach(fx.d, 8, 0, 0, 0, &sid), 0);
	ck_assert_int_eq(smmu_domain_stream_get(fx.d, 8, &info), 0);
	ck_assert(!info.has_window);
	ck_assert_uint_eq(info.win_end, (1ull << 40) - 1);
	fx_fini(&fx);
}
END_TEST

/* Unmap and block splits invalidate exactly what changed. */
START_TEST(test_domain_tlb_exact)
{
	unsigned stage = (unsigned)_i / 3 + 1, g = fx_gran[_i % 3];
	uint64_t p = 1ull << g, blk = 1ull << (g + g - 3);
	struct smmu_xlate x;
	struct smmu_event e;
	struct fx fx;
	uint64_t un;
	uint32_t sid, sid2;

	fx_init(&fx, stage, g, 48);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid2), 0);
	/* Pages A, B and a block; the same IOVAs on another stream. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0, OUT_BASE, 2 * p,
	    PR | PW), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, blk, OUT_BASE + blk, blk,
	    PR | PW), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid2, 0, OUT_BASE + blk * 4,
	    2 * p, PR), 0);
	/* Populate the TLB. */
	ck_assert_int_eq(fx_xlate(&fx, sid, 0, SMMU_ACC_READ, &x, &e), 0);
	ck_assert_int_eq(fx_xlate(&fx, sid, p, SMMU_ACC_READ, &x, &e), 0);
	ck_assert_int_eq(fx_xlate(&fx, sid, blk + p, SMMU_ACC_READ, &x, &e),
	    0);
	ck_assert_int_eq(fx_xlate(&fx, sid2, 0, SMMU_ACC_READ, &x, &e), 0);
	ck_assert_int_eq(fx_xlate(&fx, sid, p, SMMU_ACC_READ, &x, &e), 0);
	ck_assert(x.tlb_hit);
	/* Unmap A: A faults at once, B and the other stream still hit. */
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 0, p, &un), 0);
	ck_assert_uint_eq(un, p);
	fx_fault(&fx, sid, 0, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	ck_assert_int_eq(fx_xlate(&fx, sid, p, SMMU_ACC_READ, &x, &e), 0);
	ck_assert(x.tlb_hit);
	ck_assert_int_eq(fx_xlate(&fx, sid2, 0, SMMU_ACC_READ, &x, &e), 0);
	ck_assert(x.tlb_hit);
	ck_assert_uint_eq(x.oa, OUT_BASE + blk * 4);
	/* Split the cached block: the hole faults, the rest re-walks. */
	ck_assert_int_eq(fx_xlate(&fx, sid, blk + 2 * p, SMMU_ACC_READ, &x,
	    &e), 0);
	ck_assert(x.tlb_hit);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, blk + p, p, &un), 0);
	fx_fault(&fx, sid, blk + p, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	ck_assert_int_eq(fx_xlate(&fx, sid, blk + 2 * p, SMMU_ACC_READ, &x,
	    &e), 0);
	ck_assert(!x.tlb_hit);
	ck_assert_uint_eq(x.size_log2, g);
	ck_assert_uint_eq(x.oa, OUT_BASE + blk + 2 * p);
	/* Detach: the other stream's entries stay. */
	ck_assert_int_eq(smmu_domain_detach(fx.d, sid), 0);
	fx_fault(&fx, sid, p, SMMU_ACC_READ, SMMU_EVT_C_BAD_STE);
	ck_assert_int_eq(fx_xlate(&fx, sid2, 0, SMMU_ACC_READ, &x, &e), 0);
	ck_assert(x.tlb_hit);
	/* Re-attached with fresh tables: nothing stale survives. */
	ck_assert_int_eq(smmu_domain_attach(fx.d, sid, 0, 0, 0, NULL), 0);
	fx_fault(&fx, sid, p, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	fx_fault(&fx, sid, blk + 2 * p, SMMU_ACC_READ,
	    SMMU_EVT_F_TRANSLATION);
	fx_fini(&fx);
}
END_TEST

/* MSI doorbell pages: Device memory, RW, not executable. */
START_TEST(test_domain_msi)
{
	unsigned stage = (unsigned)_i / 3 + 1, g = fx_gran[_i % 3];
	uint64_t p = 1ull << g, db = 0x8090040ull, iova = 0xfee00000ull;
	struct smmu_domain_stream info;
	struct fx_ranges rs;
	struct fx fx;
	uint64_t desc, cdw[8];
	unsigned level = 0;
	uint32_t sid;

	fx_init(&fx, stage, g, 48);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_int_eq(smmu_domain_map_msi(fx.d, sid, iova + 8, db),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(smmu_domain_map_msi(fx.d, sid, iova, db), 0);
	ck_assert_int_eq(smmu_domain_map_msi(fx.d, sid, iova, db),
	    SMMU_ERR_EXIST);
	fx_ok(&fx, sid, iova + (db & (p - 1)), SMMU_ACC_WRITE, db, g,
	    PR | PW);
	fx_fault(&fx, sid, iova, SMMU_ACC_EXEC, SMMU_EVT_F_PERMISSION);
	fx_ranges(&fx, sid, &rs);
	ck_assert_uint_eq(rs.n, 1);
	ck_assert_uint_eq(rs.r[0].iova, iova);
	ck_assert_uint_eq(rs.r[0].pa, db & ~(p - 1));
	ck_assert_uint_eq(rs.r[0].size, p);
	ck_assert_uint_eq(rs.r[0].attr, SMMU_DOMAIN_ATTR_DEVICE);
	/* A normal page right after it does not merge with it. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, iova + p,
	    (db & ~(p - 1)) + p, p, PR | PW), 0);
	fx_ranges(&fx, sid, &rs);
	ck_assert_uint_eq(rs.n, 2);
	ck_assert_uint_eq(rs.r[1].attr, SMMU_DOMAIN_ATTR_NORMAL);
	/* The page descriptor: stage 2 MemAttr 0b0001, stage 1 AttrIndx 1
	 * with MAIR attribute 1 = 0x04; AF, RW, never executable. */
	desc = fx_leaf(&fx, sid, iova, &level);
	ck_assert_uint_eq(level, 3);
	ck_assert_uint_eq(desc & 3, 3);
	ck_assert_uint_eq(BIT(desc, 10), 1);		/* AF */
	ck_assert_uint_eq(BIT(desc, 54), 1);		/* (U)XN */
	ck_assert_uint_eq(desc & GENMASK64(47, g), db & ~(p - 1));
	if (stage == 2) {
		ck_assert_uint_eq(BITS(desc, 5, 2), 0x1); /* MemAttr */
		ck_assert_uint_eq(BITS(desc, 7, 6), 3); /* S2AP */
	} else {
		ck_assert_uint_eq(BITS(desc, 4, 2), 1); /* AttrIndx */
		ck_assert_uint_eq(BITS(desc, 7, 6), 1); /* AP RW */
		ck_assert_uint_eq(BIT(desc, 11), 1);		/* nG */
		ck_assert_uint_eq(BIT(desc, 53), 1);		/* PXN */
		ck_assert_int_eq(smmu_domain_stream_get(fx.d, sid, &info),
		    0);
		ck_assert_int_eq(gmem_read_words(fx.tb->g, info.cd_gpa,
		    cdw, 8), 0);
		ck_assert_uint_eq(BITS(cdw[3], 15, 8), 0x04);	/* MAIR1 */
		ck_assert_uint_eq(BITS(cdw[3], 7, 0), 0xff);
	}
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, iova, 2 * p, NULL), 0);
	fx_fault(&fx, sid, iova, SMMU_ACC_WRITE, SMMU_EVT_F_TRANSLATION);
	fx_fini(&fx);
}
END_TEST

/* foreach merges contiguous ranges and stops on request. */
static int
fx_stop_cb(void *arg, const struct smmu_domain_range *r)
{
	unsigned *n = arg;

	(void)r;
	return ++*n == 2 ? 42 : 0;
}

START_TEST(test_domain_foreach)
{
	struct fx fx;
	struct fx_ranges rs;
	unsigned n = 0;
	uint32_t sid;

	fx_init(&fx, 1, 12, 48);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	/* Pages + a 2M block + pages, contiguous: one range. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x1ff000, OUT_BASE +
	    0x1ff000, 0x1000, PR | PW), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x200000, OUT_BASE +
	    0x200000, 0x200000, PR | PW), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x400000, OUT_BASE +
	    0x400000, 0x3000, PR | PW), 0);
	/* Contiguous input, discontiguous output. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x403000, OUT_BASE,
	    0x1000, PR | PW), 0);
	/* Same output continuation but another permission. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x404000, OUT_BASE +
	    0x1000, 0x1000, PR), 0);
	/* Far away, across top-level entries. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x8000000000ull,
	    OUT_BASE + 0x2000, 0x1000, PR), 0);
	fx_ranges(&fx, sid, &rs);
	ck_assert_uint_eq(rs.n, 4);
	ck_assert_uint_eq(rs.r[0].iova, 0x1ff000);
	ck_assert_uint_eq(rs.r[0].pa, OUT_BASE + 0x1ff000);
	ck_assert_uint_eq(rs.r[0].size, 0x204000);
	ck_assert_uint_eq(rs.r[0].perm, PR | PW);
	ck_assert_uint_eq(rs.r[1].iova, 0x403000);
	ck_assert_uint_eq(rs.r[1].size, 0x1000);
	ck_assert_uint_eq(rs.r[2].iova, 0x404000);
	ck_assert_uint_eq(rs.r[2].perm, PR);
	/* Contiguous in and out with equal perm: merged with [2]. */
	ck_assert_uint_eq(rs.r[3].iova, 0x8000000000ull);
	ck_assert_int_eq(smmu_domain_foreach(fx.d, sid, fx_stop_cb, &n), 42);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(smmu_domain_foreach(fx.d, sid + 1, fx_stop_cb, &n),
	    SMMU_ERR_NOENT);
	fx_fini(&fx);
}
END_TEST

/* The table area runs out: NOMEM, and nothing changes. */
START_TEST(test_domain_nomem)
{
	struct fx fx;
	struct fx_ranges rs, rs2;
	struct smmu_domain_stream info;
	uint64_t b, un, i, iova;
	uint32_t sid;
	int r = 0;

	/* 16 pages: L1 stream table, L2 (4), CD, root = 7 in use. */
	fx_init_ex(&fx, NULL, 1, 12, 48, 16 * 4096);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_uint_eq(fx_bytes(&fx), 7 * 4096);
	/* A 2M block (L1 + L2 tables) and the page before it (L3). */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x200000, OUT_BASE,
	    0x200000, PR | PW), 0);
	ck_assert_uint_eq(fx_bytes(&fx), 9 * 4096);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x1ff000, OUT_BASE +
	    0x1ff000, 0x1000, PR), 0);
	ck_assert_uint_eq(fx_bytes(&fx), 10 * 4096);
	/* Pages 512 GB apart need 3 tables each: 6 left -> 2 fit. */
	for (i = 1; i < 8; i++) {
		iova = i << 39;
		b = fx_bytes(&fx);
		fx_ranges(&fx, sid, &rs);
		r = smmu_domain_map(fx.d, sid, iova, OUT_BASE, 0x1000, PR);
		if (r != 0)
			break;
	}
	ck_assert_int_eq(r, SMMU_ERR_NOMEM);
	ck_assert_uint_eq(i, 3);
	ck_assert_uint_eq(b, 16 * 4096);
	ck_assert_uint_eq(fx_bytes(&fx), b);
	fx_ranges(&fx, sid, &rs2);
	ck_assert_uint_eq(rs2.n, rs.n);
	ck_assert(memcmp(&rs, &rs2, sizeof(rs)) == 0);
	fx_fault(&fx, sid, iova, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	/* Full, but a page next to an existing one needs no table. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, (1ull << 39) + 0x1000,
	    OUT_BASE, 0x1000, PR), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x400000, OUT_BASE,
	    0x1000, PR), SMMU_ERR_NOMEM);
	/*
	 * Unmapping [0x1ff000, 0x202000) would clear the page first, then
	 * split the block, which needs a page: refused before anything
	 * changes; the page and the block still translate.
	 */
	fx_ranges(&fx, sid, &rs);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 0x1ff000, 0x3000, &un),
	    SMMU_ERR_NOMEM);
	fx_ranges(&fx, sid, &rs2);
	ck_assert(memcmp(&rs, &rs2, sizeof(rs)) == 0);
	fx_ok(&fx, sid, 0x1ff000, SMMU_ACC_READ, OUT_BASE + 0x1ff000, 12, PR);
	fx_ok(&fx, sid, 0x201000, SMMU_ACC_READ, OUT_BASE + 0x1000, 21,
	    PR | PW);
	/* Attach needs pages too. */
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), SMMU_ERR_NOMEM);
	ck_assert_int_eq(smmu_domain_stream_get(fx.d, 1, &info),
	    SMMU_ERR_NOENT);
	ck_assert_uint_eq(fx_bytes(&fx), 16 * 4096);
	sid = 0;
	/* Free the page at 2 << 39 (its three tables go), then split. */
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 2ull << 39, 0x1000,
	    &un), 0);
	ck_assert_uint_eq(fx_bytes(&fx), 13 * 4096);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 0x1ff000, 0x3000, &un),
	    0);
	ck_assert_uint_eq(un, 0x3000);
	/* The page's L3 table emptied and went; the split took one. */
	ck_assert_uint_eq(fx_bytes(&fx), 13 * 4096);
	fx_fault(&fx, sid, 0x1ff000, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	fx_fault(&fx, sid, 0x201000, SMMU_ACC_READ, SMMU_EVT_F_TRANSLATION);
	fx_ok(&fx, sid, 0x202000, SMMU_ACC_READ, OUT_BASE + 0x2000, 12,
	    PR | PW);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 0, 1ull << 48, &un), 0);
	ck_assert_int_eq(smmu_domain_detach(fx.d, sid), 0);
	ck_assert_uint_eq(fx_bytes(&fx), fx.bytes0);
	fx_fini(&fx);
}
END_TEST

/* xorshift64*: deterministic, seeded per configuration. */
static uint64_t
fx_rand(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Tables overwritten behind the domain's back: refused, no crash. */
START_TEST(test_domain_corrupt)
{
	struct smmu_domain_stream info;
	struct fx_ranges rs;
	struct fx fx;
	uint64_t un;
	uint32_t sid;

	fx_init(&fx, 1, 12, 48);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x1000, OUT_BASE, 0x1000,
	    PR), 0);
	ck_assert_int_eq(smmu_domain_stream_get(fx.d, sid, &info), 0);
	/* Root entry 0 now points at a table outside the area. */
	ck_assert_int_eq(gmem_write64(fx.tb->g, info.root_gpa,
	    (fx.area + AREA_SIZE + 0x1000) | 3), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 0x2000, OUT_BASE, 0x1000,
	    PR), SMMU_ERR_CORRUPT);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, 0, 0x10000, &un),
	    SMMU_ERR_CORRUPT);
	memset(&rs, 0, sizeof(rs));
	ck_assert_int_eq(smmu_domain_foreach(fx.d, sid, fx_range_cb, &rs),
	    SMMU_ERR_CORRUPT);
	/* Elsewhere the stream still works, and detach goes through. */
	ck_assert_int_eq(smmu_domain_map(fx.d, sid, 1ull << 40, OUT_BASE,
	    0x1000, PR), 0);
	fx_ok(&fx, sid, 1ull << 40, SMMU_ACC_READ, OUT_BASE, 12, PR);
	ck_assert_int_eq(smmu_domain_detach(fx.d, sid), 0);
	fx_fini(&fx);
}
END_TEST

/* ---- concurrent translations ---------------------------------------- */

/* What the translator thread checks. */
struct fx_conc {
	struct fx *fx;
	uint32_t sid;
	int stop;		/* atomic: main thread is done */
	int bad;		/* atomic: an impossible result was seen */
	unsigned nr_split;	/* atomic: blocks of CONC_SPLIT mapped */
	uint64_t nr;		/* translations made */
};

#define CONC_BLK 0x200000ull		/* a 2M block, never unmapped ... */
#define CONC_HOLE 0x5000ull		/* ... except this page of it */
#define CONC_R2 0x40000000ull		/* mapped and unmapped whole */
#define CONC_SPLIT 0x80000000ull	/* one more block split per round */

/*
 * Translate addresses of the blocks, their holes and region R2 until
 * told to stop.  Every mapping is iova -> OUT_BASE + iova[29:0].  Block
 * pages other than the hole must always translate (splits are hitless);
 * the rest either fault or give the right output.
 */
static void *
fx_conc_thread(void *arg)
{
	struct fx_conc *c = arg;
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t seed = 12345, off, iova;
	unsigned k;
	bool must;
	int r;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		off = (fx_rand(&seed) % 512) << 12;
		k = __atomic_load_n(&c->nr_split, __ATOMIC_ACQUIRE);
		switch (c->nr++ % 4) {
		case 0:
			iova = CONC_R2 + off;
			break;
		case 1:
			iova = CONC_BLK + CONC_HOLE;
			break;
		case 2:
			iova = CONC_BLK + off;
			break;
		default:
			iova = k == 0 ? CONC_BLK + off : CONC_SPLIT +
			    (fx_rand(&seed) % k) * 0x200000 + off;
			break;
		}
		must = (iova & 0x1fffff) != CONC_HOLE && iova < CONC_R2;
		must = must || (iova >= CONC_SPLIT &&
		    (iova & 0x1fffff) != CONC_HOLE);
		r = fx_xlate(c->fx, c->sid, iova, SMMU_ACC_READ, &x, &e);
		if (r == SMMU_XLATE_OK) {
			if (x.oa != OUT_BASE + (iova & 0x3fffffff))
				__atomic_store_n(&c->bad, 1, __ATOMIC_RELEASE);
		} else if (e.type != SMMU_EVT_F_TRANSLATION || must) {
			__atomic_store_n(&c->bad, 2, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

START_TEST(test_domain_concurrent)
{
	struct fx_conc c;
	struct fx fx;
	pthread_t t;
	uint64_t un, b;
	unsigned i, n;

	n = getenv("SMMU_TEST_QUICK") != NULL ? 40 : 300;
	fx_init(&fx, 1, 12, 48);
	memset(&c, 0, sizeof(c));
	c.fx = &fx;
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &c.sid), 0);
	ck_assert_int_eq(smmu_domain_map(fx.d, c.sid, CONC_BLK,
	    OUT_BASE + CONC_BLK, 0x200000, PR), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, fx_conc_thread, &c), 0);
	for (i = 0; i < n; i++) {
		/* The first unmap splits the block; then page churn. */
		FX_CHECK(smmu_domain_unmap(fx.d, c.sid, CONC_BLK + CONC_HOLE,
		    0x1000, &un) == 0 && un == 0x1000, "unmap hole");
		FX_CHECK(smmu_domain_map(fx.d, c.sid, CONC_BLK + CONC_HOLE,
		    OUT_BASE + CONC_BLK + CONC_HOLE, 0x1000, PR) == 0,
		    "map hole");
		/* A fresh block, published, then split under readers. */
		b = CONC_SPLIT + (uint64_t)i * 0x200000;
		FX_CHECK(smmu_domain_map(fx.d, c.sid, b, OUT_BASE +
		    (b & 0x3fffffff), 0x200000, PR) == 0, "map split block");
		__atomic_store_n(&c.nr_split, i + 1, __ATOMIC_RELEASE);
		FX_CHECK(smmu_domain_unmap(fx.d, c.sid, b + CONC_HOLE, 0x1000,
		    &un) == 0 && un == 0x1000, "split block");
		/* R2 as a block or as pages (a table), then gone. */
		if (i % 2 == 0) {
			FX_CHECK(smmu_domain_map(fx.d, c.sid, CONC_R2,
			    OUT_BASE, 0x200000, PR) == 0, "map r2 block");
		} else {
			FX_CHECK(smmu_domain_map(fx.d, c.sid, CONC_R2,
			    OUT_BASE, 0x100000, PR) == 0 &&
			    smmu_domain_map(fx.d, c.sid, CONC_R2 + 0x100000,
			    OUT_BASE + 0x100000, 0x100000, PR) == 0,
			    "map r2 pages");
		}
		FX_CHECK(smmu_domain_unmap(fx.d, c.sid, CONC_R2, 0x200000,
		    &un) == 0 && un == 0x200000, "unmap r2");
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(__atomic_load_n(&c.bad, __ATOMIC_ACQUIRE), 0);
	ck_assert_int_eq(smmu_domain_unmap(fx.d, c.sid, 0, 1ull << 48, &un),
	    0);
	ck_assert_uint_eq(un, 0x200000 + (uint64_t)n * 0x1ff000);
	ck_assert_int_eq(smmu_domain_detach(fx.d, c.sid), 0);
	ck_assert_uint_eq(fx_bytes(&fx), fx.bytes0);
	fx_fini(&fx);
}
END_TEST

/* ---- random sequences against a reference model -------------------- */

/* The model: one entry per page of the window. */
struct fx_model {
	uint64_t pa;
	unsigned perm;		/* 0 = unmapped */
};

/* Per configuration of the random test. */
struct fx_rcfg {
	unsigned stage, g, ia;
};

static const struct fx_rcfg fx_rcfgs[] = {
	{ 1, 12, 39 },	/* start level 1 */
	{ 1, 14, 48 },	/* start level 0, 2-entry root */
	{ 1, 16, 48 },
	{ 2, 12, 40 },	/* 2 concatenated start tables */
	{ 2, 14, 40 },	/* 16 concatenated start tables */
	{ 2, 16, 48 },
};

/* Public permission the engine reports for a model perm. */
static unsigned
fx_pub(unsigned perm)
{
	return perm & (PR | PW | PX);
}

/*
 * Check iova (page index i of the window) against the model.  Returns 1
 * if it translated through a block, else 0.
 */
static int
fx_check_page(struct fx *fx, uint32_t sid, const struct fx_model *m,
    uint64_t np, uint64_t wbase, uint64_t i)
{
	struct smmu_xlate x;
	struct smmu_event e;
	uint64_t iova = wbase + (i << fx->cfg.granule) + 8, b, l;
	unsigned acc;
	int r;

	if (m[i].perm == 0) {
		fx_fault(fx, sid, iova, SMMU_ACC_READ,
		    SMMU_EVT_F_TRANSLATION);
		return 0;
	}
	acc = m[i].perm & PR ? SMMU_ACC_READ : SMMU_ACC_WRITE;
	if (m[i].perm & PP)
		acc |= SMMU_ACC_PRIV;
	r = fx_xlate(fx, sid, iova, acc, &x, &e);
	FX_CHECK(r == SMMU_XLATE_OK, "page %llu: %s",
	    (unsigned long long)i, smmu_event_name(e.type));
	FX_CHECK(x.oa == m[i].pa + 8, "page %llu: 0x%llx want 0x%llx",
	    (unsigned long long)i, (unsigned long long)x.oa,
	    (unsigned long long)m[i].pa + 8);
	FX_CHECK(x.perm == fx_pub(m[i].perm), "page %llu: perm %#x want %#x",
	    (unsigned long long)i, x.perm, fx_pub(m[i].perm));
	if (x.size_log2 == fx->cfg.granule)
		return 0;
	/* A block: its first and last page agree with the model. */
	FX_CHECK(x.size_log2 == 2 * fx->cfg.granule - 3, "page %llu: size "
	    "2^%u", (unsigned long long)i, x.size_log2);
	b = (x.base - wbase) >> fx->cfg.granule;
	l = b + (1ull << (x.size_log2 - fx->cfg.granule)) - 1;
	FX_CHECK(l < np && m[b].perm == m[i].perm && m[l].perm == m[i].perm &&
	    m[b].pa + ((i - b) << fx->cfg.granule) == m[i].pa &&
	    m[l].pa - ((l - i) << fx->cfg.granule) == m[i].pa,
	    "page %llu: block [%llu, %llu] disagrees with the model",
	    (unsigned long long)i, (unsigned long long)b,
	    (unsigned long long)l);
	return 1;
}

/* Compare foreach with the model's maximal ranges. */
struct fx_cmp {
	const struct fx_model *m;
	uint64_t np, wbase, i;
	unsigned g;
};

static int
fx_cmp_cb(void *arg, const struct smmu_domain_range *r)
{
	struct fx_cmp *c = arg;
	uint64_t i, n;

	/* Skip unmapped model pages up to the range. */
	while (c->i < c->np && c->m[c->i].perm == 0)
		c->i++;
	FX_CHECK(c->i < c->np, "range 0x%llx beyond the model",
	    (unsigned long long)r->iova);
	FX_CHECK(r->iova == c->wbase + (c->i << c->g) &&
	    r->pa == c->m[c->i].pa && r->perm == c->m[c->i].perm &&
	    r->attr == SMMU_DOMAIN_ATTR_NORMAL,
	    "range 0x%llx: model page %llu differs",
	    (unsigned long long)r->iova, (unsigned long long)c->i);
	n = r->size >> c->g;
	FX_CHECK(c->i + n <= c->np, "range 0x%llx too long",
	    (unsigned long long)r->iova);
	for (i = 1; i < n; i++)
		FX_CHECK(c->m[c->i + i].perm == r->perm &&
		    c->m[c->i + i].pa == r->pa + (i << c->g),
		    "range 0x%llx: page %llu differs",
		    (unsigned long long)r->iova, (unsigned long long)i);
	c->i += n;
	/* Maximal: the next model page does not continue the range. */
	FX_CHECK(c->i >= c->np || c->m[c->i].perm != r->perm ||
	    c->m[c->i].pa != r->pa + r->size, "range 0x%llx not maximal",
	    (unsigned long long)r->iova);
	return 0;
}

static void
fx_check_all(struct fx *fx, uint32_t sid, const struct fx_model *m,
    uint64_t np, uint64_t wbase)
{
	struct fx_cmp c = { m, np, wbase, 0, fx->cfg.granule };

	FX_CHECK(smmu_domain_foreach(fx->d, sid, fx_cmp_cb, &c) == 0,
	    "foreach failed");
	while (c.i < np && m[c.i].perm == 0)
		c.i++;
	FX_CHECK(c.i == np, "model page %llu mapped but not reported",
	    (unsigned long long)c.i);
}

START_TEST(test_domain_random)
{
	const struct fx_rcfg *rc = &fx_rcfgs[_i];
	static const unsigned perms1[] = { PR, PR | PW, PR | PX,
	    PR | PW | PX, PR | PP, PR | PW | PP };
	static const unsigned perms2[] = { PR, PW, PR | PW, PR | PX,
	    PR | PW | PX, PW | PX };
	unsigned g = rc->g, bshift = 2 * g - 3, perm, nops, op;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1);
	uint64_t bpages = 1ull << (bshift - g), np = 4 * bpages;
	uint64_t wbase, first, n, i, pa, un, want, k, nblk = 0, nmapped = 0;
	struct fx_model *m;
	struct fx fx;
	uint32_t sid;
	bool overlap;
	int r;

	nops = getenv("SMMU_TEST_QUICK") != NULL ? 300 : 4000;
	if (g == 16)
		nops /= 2;	/* 512 MB blocks: many pages per check */
	fx_init(&fx, rc->stage, g, rc->ia);
	ck_assert_int_eq(smmu_domain_attach(fx.d, SMMU_DOMAIN_ANY, 0, 0, 0,
	    &sid), 0);
	/* The window sits at the top of the input range. */
	wbase = (1ull << rc->ia) - (np << g);
	m = calloc(np, sizeof(*m));
	ck_assert_ptr_nonnull(m);

	for (op = 0; op < nops; op++) {
		bool big = fx_rand(&seed) % 8 == 0, map;

		/*
		 * Small ranges anywhere, mapping while less than half of the
		 * window is mapped and unmapping more otherwise; block-sized
		 * ones aligned to a block slot (the window has 4): mapped
		 * into an empty slot when there is one, else unmapped whole
		 * or in part (splitting blocks).
		 */
		if (big) {
			for (k = 0; k < 4; k++) {
				for (i = k * bpages; i < (k + 1) * bpages; i++)
					if (m[i].perm != 0)
						break;
				if (i == (k + 1) * bpages)
					break;
			}
			map = k < 4;
			first = (map ? k : fx_rand(&seed) % 4) * bpages;
			n = bpages;
			if (map && fx_rand(&seed) % 2)
				n += fx_rand(&seed) % (bpages / 2);
			if (!map && fx_rand(&seed) % 2) {
				first += fx_rand(&seed) % bpages;
				n = 1 + fx_rand(&seed) % bpages;
			}
		} else {
			map = fx_rand(&seed) % 10 < (nmapped * 2 < np ? 6 : 4);
			first = fx_rand(&seed) % np;
			n = 1 + fx_rand(&seed) % 24;
		}
		if (first + n > np)
			n = np - first;
		if (map) {
			perm = rc->stage == 1 ? perms1[fx_rand(&seed) % 6] :
			    perms2[fx_rand(&seed) % 6];
			pa = OUT_BASE + ((fx_rand(&seed) % 4096) <<
			    (big ? bshift : g));
			overlap = false;
			for (i = first; i < first + n; i++)
				overlap = overlap || m[i].perm != 0;
			r = smmu_domain_map(fx.d, sid, wbase + (first << g),
			    pa, n << g, perm);
			FX_CHECK(r == (overlap ? SMMU_ERR_EXIST : 0),
			    "op %u: map returned %d", op, r);
			if (!overlap) {
				for (i = 0; i < n; i++) {
					m[first + i].pa = pa + (i << g);
					m[first + i].perm = perm;
				}
				nmapped += n;
			}
		} else {
			want = 0;
			for (i = first; i < first + n; i++) {
				if (m[i].perm != 0) {
					want += 1ull << g;
					nmapped--;
				}
				m[i].perm = 0;
			}
			r = smmu_domain_unmap(fx.d, sid, wbase + (first << g),
			    n << g, &un);
			FX_CHECK(r == 0 && un == want, "op %u: unmap returned "
			    "%d, %llu bytes, want %llu", op, r,
			    (unsigned long long)un, (unsigned long long)want);
		}
		/* Every touched page, and one either side. */
		k = first > 0 ? first - 1 : 0;
		for (i = k; i < first + n + 1 && i < np; i++)
			nblk += fx_check_page(&fx, sid, m, np, wbase, i);
		if (op % 64 == 63)
			fx_check_all(&fx, sid, m, np, wbase);
	}
	fx_check_all(&fx, sid, m, np, wbase);
	/* Everything out: only the stream's own structures remain. */
	ck_assert_int_eq(smmu_domain_unmap(fx.d, sid, wbase, np << g, &un), 0);
	memset(m, 0, np * sizeof(*m));
	for (i = 0; i < np; i++)
		fx_check_page(&fx, sid, m, np, wbase, i);
	{
		struct smmu_domain_stream info;
		struct smmu_domain_stats st;

		ck_assert_int_eq(smmu_domain_stream_get(fx.d, sid, &info), 0);
		ck_assert_uint_eq(info.mapped_bytes, 0);
		ck_assert_uint_eq(info.table_bytes,
		    rc->stage == 2 && g != 16 ?
		    (g == 12 ? 2ull : 16ull) << g : 1ull << g);
		smmu_domain_stats_get(fx.d, &st);
		ck_assert_uint_eq(st.tables_freed, st.tables_allocated);
		ck_assert_uint_eq(st.mapped_bytes, 0);
		/* The sequence did exercise blocks and their splitting. */
		ck_assert_uint_gt(nblk, 0);
		ck_assert_uint_gt(st.splits, 0);
	}
	ck_assert_int_eq(smmu_domain_detach(fx.d, sid), 0);
	ck_assert_uint_eq(fx_bytes(&fx), fx.bytes0);
	free(m);
	fx_fini(&fx);
}
END_TEST

Suite *
domain_suite(void)
{
	Suite *s = suite_create("domain");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_domain_create_errors);
	tcase_add_test(tc, test_domain_attach_detach);
	tcase_add_test(tc, test_domain_linear);
	tcase_add_test(tc, test_domain_area_zero);
	tcase_add_loop_test(tc, test_domain_map_basic, 0, 6);
	tcase_add_loop_test(tc, test_domain_map_1g, 0, 2);
	tcase_add_loop_test(tc, test_domain_perms, 0, 6);
	tcase_add_loop_test(tc, test_domain_window, 0, 2);
	tcase_add_loop_test(tc, test_domain_tlb_exact, 0, 6);
	tcase_add_loop_test(tc, test_domain_msi, 0, 6);
	tcase_add_test(tc, test_domain_foreach);
	tcase_add_test(tc, test_domain_nomem);
	tcase_add_test(tc, test_domain_corrupt);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrent");
	tcase_add_test(tc, test_domain_concurrent);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_loop_test(tc, test_domain_random, 0,
	    (int)(sizeof(fx_rcfgs) / sizeof(fx_rcfgs[0])));
	suite_add_tcase(s, tc);
	return s;
}
