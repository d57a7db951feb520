/*
 * test_cfgcache.c - the configuration cache (lib/cfgcache.c): lookups,
 * every CFGI-style invalidation, the generation rule, replacement and
 * counters, and a two-thread lookup/insert/invalidate smoke test.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "cfgcache.h"
#include "suites.h"

/* A configuration whose every field is derived from v. */
static void
cfg_mk(struct smmu_cfg *c, uint32_t v, bool s1, uint32_t cd_index)
{
	memset(c, 0, sizeof(*c));
	c->hot.vmid = (uint16_t)v;
	c->hot.asid = (uint16_t)(v ^ 0xffff);
	c->hot.flags = s1 ? SMMU_CFG_F_S1 | SMMU_CFG_F_S1R : SMMU_CFG_F_S2;
	c->hot.privcfg = v & 3;
	c->hot.instcfg = (v >> 2) & 3;
	c->cd_index = cd_index;
	c->ste.config = s1 ? SMMU_STE_S1 : SMMU_STE_S2;
	c->ste.s1ctxptr = (uint64_t)v << 6;
	c->ste.s2.vmid = (uint16_t)v;
	c->ste.s2.ttb = (uint64_t)v << 12;
	c->cd.mair = ~(uint64_t)v;
	c->cd.asid = (uint16_t)(v ^ 0xffff);
	c->cd.tt[1].ttb = (uint64_t)v << 16;
}

/* An STE derived from v. */
static void
ste_mk(struct smmu_ste *s, uint32_t v)
{
	memset(s, 0, sizeof(*s));
	s->config = SMMU_STE_NESTED;
	s->s1ctxptr = (uint64_t)v << 6;
	s->s2.vmid = (uint16_t)v;
	s->s2.ttb = (uint64_t)v << 12;
}

/* True if (sid, ssid) hits and holds exactly cfg_mk(v, ...). */
static bool
cfg_has(struct smmu_cfgcache *cc, uint32_t sid, uint32_t ssid,
    const struct smmu_cfg *want)
{
	struct smmu_cfg got;

	if (!smmu_cfgcache_lookup(cc, sid, ssid, &got))
		return false;
	ck_assert_mem_eq(&got, want, sizeof(got));
	return true;
}

/* Insert cfg_mk(v, s1, cd) at (sid, ssid) with the current generation. */
static void
cfg_add(struct smmu_cfgcache *cc, uint32_t sid, uint32_t ssid, uint32_t v,
    bool s1, uint32_t cd)
{
	struct smmu_cfg c;

	cfg_mk(&c, v, s1, cd);
	ck_assert(smmu_cfgcache_insert(cc, sid, ssid, &c,
	    smmu_cfgcache_gen(cc)));
}

/* Insert ste_mk(sid) for sid. */
static void
ste_add(struct smmu_cfgcache *cc, uint32_t sid)
{
	struct smmu_ste s;

	ste_mk(&s, sid);
	ck_assert(smmu_cfgcache_ste_insert(cc, sid, &s,
	    smmu_cfgcache_gen(cc)));
}

/* True if the STE of sid is cached (and is ste_mk(sid)). */
static bool
ste_has(struct smmu_cfgcache *cc, uint32_t sid)
{
	struct smmu_ste got, want;

	if (!smmu_cfgcache_ste_lookup(cc, sid, &got))
		return false;
	ste_mk(&want, sid);
	ck_assert_mem_eq(&got, &want, sizeof(got));
	return true;
}

/* Whether (sid, ssid) is cached, without comparing. */
static bool
cfg_hit(struct smmu_cfgcache *cc, uint32_t sid, uint32_t ssid)
{
	struct smmu_cfg_hot h;

	return smmu_cfgcache_lookup_hot(cc, sid, ssid, &h);
}

START_TEST(test_cfgcache_create)
{
	static const unsigned t[][2] = {
		{ 1, 1 }, { 3, 3 }, { 8, 8 }, { 20, 32 }, { 1000, 1024 },
		{ 1024, 1024 },
	};
	struct smmu_cache_stats st;
	struct smmu_cfgcache *cc;
	unsigned i;

	ck_assert_ptr_null(smmu_cfgcache_create(0));
	smmu_cfgcache_destroy(NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cc = smmu_cfgcache_create(t[i][0]);
		ck_assert_ptr_nonnull(cc);
		smmu_cfgcache_stats(cc, &st);
		ck_assert_uint_eq(st.capacity, t[i][1]);
		ck_assert_uint_eq(st.entries, 0);
		ck_assert_uint_eq(st.hits + st.misses + st.insertions, 0);
		smmu_cfgcache_destroy(cc);
	}
}
END_TEST

START_TEST(test_cfgcache_lookup)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(64);
	struct smmu_cfg a, b, c, d;
	struct smmu_cfg_hot h;
	struct smmu_cache_stats st;

	ck_assert_ptr_nonnull(cc);
	cfg_mk(&a, 0x1111, true, 1);
	cfg_mk(&b, 0x2222, false, 0);
	cfg_mk(&c, 0x3333, true, 0);
	cfg_mk(&d, 0x4444, true, 1);
	ck_assert(!cfg_has(cc, 5, 1, &a));
	ck_assert(smmu_cfgcache_insert(cc, 5, 1, &a, smmu_cfgcache_gen(cc)));
	ck_assert(cfg_has(cc, 5, 1, &a));
	ck_assert(smmu_cfgcache_lookup_hot(cc, 5, 1, &h));
	ck_assert_mem_eq(&h, &a.hot, sizeof(h));
	/* Other SSIDs, other StreamIDs, and "no SSID" all miss. */
	ck_assert(!cfg_hit(cc, 5, 2));
	ck_assert(!cfg_hit(cc, 5, 0));
	ck_assert(!cfg_hit(cc, 6, 1));
	ck_assert(!cfg_hit(cc, 5, SMMU_CFG_NO_SSID));
	/* SSV = 0 and SSID 0 are different keys. */
	ck_assert(smmu_cfgcache_insert(cc, 5, SMMU_CFG_NO_SSID, &b,
	    smmu_cfgcache_gen(cc)));
	ck_assert(smmu_cfgcache_insert(cc, 5, 0, &c, smmu_cfgcache_gen(cc)));
	ck_assert(cfg_has(cc, 5, SMMU_CFG_NO_SSID, &b));
	ck_assert(cfg_has(cc, 5, 0, &c));
	ck_assert(cfg_has(cc, 5, 1, &a));
	/* Re-inserting a key replaces its value. */
	ck_assert(smmu_cfgcache_insert(cc, 5, 1, &d, smmu_cfgcache_gen(cc)));
	ck_assert(cfg_has(cc, 5, 1, &d));
	/* The largest SSID and StreamID are keys like any other. */
	ck_assert(smmu_cfgcache_insert(cc, UINT32_MAX, 0xfffff, &a,
	    smmu_cfgcache_gen(cc)));
	ck_assert(cfg_has(cc, UINT32_MAX, 0xfffff, &a));
	ck_assert(!cfg_hit(cc, UINT32_MAX, SMMU_CFG_NO_SSID));
	/* A SubstreamID wider than 20 bits is never cached. */
	ck_assert(!smmu_cfgcache_insert(cc, 5, 1u << 20, &a,
	    smmu_cfgcache_gen(cc)));
	ck_assert(!cfg_hit(cc, 5, 1u << 20));
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.entries, 4);
	ck_assert_uint_eq(st.insertions, 5);
	ck_assert_uint_eq(st.evictions, 0);
	smmu_cfgcache_destroy(cc);
}
END_TEST

START_TEST(test_cfgcache_ste)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(16);
	struct smmu_cache_stats st;
	struct smmu_ste s;

	ck_assert_ptr_nonnull(cc);
	ck_assert(!ste_has(cc, 7));
	ste_add(cc, 7);
	ste_add(cc, UINT32_MAX);
	ck_assert(ste_has(cc, 7));
	ck_assert(ste_has(cc, UINT32_MAX));
	ck_assert(!ste_has(cc, 8));
	/* STEs and resolved configurations are separate tables. */
	ck_assert(!cfg_hit(cc, 7, SMMU_CFG_NO_SSID));
	/* Replacing an STE. */
	ste_mk(&s, 9);
	ck_assert(smmu_cfgcache_ste_insert(cc, 7, &s, smmu_cfgcache_gen(cc)));
	ck_assert(smmu_cfgcache_ste_lookup(cc, 7, &s));
	ck_assert_uint_eq(s.s1ctxptr, 9ull << 6);
	/* Counters describe resolved configurations only. */
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.hits, 0);
	ck_assert_uint_eq(st.misses, 1);
	ck_assert_uint_eq(st.insertions, 0);
	ck_assert_uint_eq(st.entries, 0);
	smmu_cfgcache_destroy(cc);
}
END_TEST

START_TEST(test_cfgcache_inv_ste)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(128);
	struct smmu_cache_stats st;
	uint32_t sid;

	ck_assert_ptr_nonnull(cc);
	for (sid = 10; sid <= 20; sid++) {
		ste_add(cc, sid);
		cfg_add(cc, sid, SMMU_CFG_NO_SSID, sid, false, 0);
		cfg_add(cc, sid, 1, sid + 100, true, 1);
	}
	/* [12, 15): three STEs and their six configurations. */
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, 12, 3), 9);
	for (sid = 10; sid <= 20; sid++) {
		bool keep = sid < 12 || sid >= 15;

		ck_assert_int_eq(ste_has(cc, sid), keep);
		ck_assert_int_eq(cfg_hit(cc, sid, SMMU_CFG_NO_SSID), keep);
		ck_assert_int_eq(cfg_hit(cc, sid, 1), keep);
	}
	/* nr = 0 drops nothing; a range of empty StreamIDs neither. */
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, 11, 0), 0);
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, 21, 1000), 0);
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, 0, 10), 0);
	/* Single StreamID at each end of what is left. */
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, 20, 1), 3);
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, 10, 1), 3);
	ck_assert(ste_has(cc, 11));
	ck_assert(ste_has(cc, 19));
	/* The top StreamID. */
	ste_add(cc, UINT32_MAX);
	cfg_add(cc, UINT32_MAX, 3, 1, true, 3);
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, UINT32_MAX, 1), 2);
	/* A 2^32 range (CFGI_ALL-like): the 6 StreamIDs left. */
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, 0, 1ull << 32), 18);
	ck_assert(!ste_has(cc, 11));
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_eq(st.insertions, 23);
	ck_assert_uint_eq(st.invalidations, 23);
	smmu_cfgcache_destroy(cc);
}
END_TEST

START_TEST(test_cfgcache_inv_cd)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(64);

	ck_assert_ptr_nonnull(cc);
	ste_add(cc, 5);
	ste_add(cc, 6);
	cfg_add(cc, 5, 1, 51, true, 1);
	cfg_add(cc, 5, 2, 52, true, 2);
	cfg_add(cc, 5, SMMU_CFG_NO_SSID, 50, true, 0);	/* S1DSS = 2 */
	cfg_add(cc, 5, 3, 53, false, 1);	/* no stage 1: no CD used */
	cfg_add(cc, 6, 1, 61, true, 1);
	/* CFGI_CD(5, 1): only sid 5's S1 configuration using CD 1. */
	ck_assert_uint_eq(smmu_cfgcache_inv_cd(cc, 5, 1), 1);
	ck_assert(!cfg_hit(cc, 5, 1));
	ck_assert(cfg_hit(cc, 5, 2));
	ck_assert(cfg_hit(cc, 5, SMMU_CFG_NO_SSID));
	ck_assert(cfg_hit(cc, 5, 3));
	ck_assert(cfg_hit(cc, 6, 1));
	ck_assert(ste_has(cc, 5));
	/* CD 0 serves the SSV = 0 traffic. */
	ck_assert_uint_eq(smmu_cfgcache_inv_cd(cc, 5, 0), 1);
	ck_assert(!cfg_hit(cc, 5, SMMU_CFG_NO_SSID));
	ck_assert(cfg_hit(cc, 5, 2));
	/* Nothing left for these. */
	ck_assert_uint_eq(smmu_cfgcache_inv_cd(cc, 5, 1), 0);
	ck_assert_uint_eq(smmu_cfgcache_inv_cd(cc, 7, 2), 0);
	ck_assert(ste_has(cc, 5));
	ck_assert(ste_has(cc, 6));
	smmu_cfgcache_destroy(cc);
}
END_TEST

START_TEST(test_cfgcache_inv_cd_all)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(64);
	struct smmu_cache_stats st;
	uint32_t ssid;

	ck_assert_ptr_nonnull(cc);
	ste_add(cc, 5);
	ste_add(cc, 6);
	for (ssid = 0; ssid < 4; ssid++) {
		cfg_add(cc, 5, ssid, ssid, true, ssid);
		cfg_add(cc, 6, ssid, ssid, true, ssid);
	}
	cfg_add(cc, 5, SMMU_CFG_NO_SSID, 9, false, 0);
	ck_assert_uint_eq(smmu_cfgcache_inv_cd_all(cc, 5), 5);
	for (ssid = 0; ssid < 4; ssid++) {
		ck_assert(!cfg_hit(cc, 5, ssid));
		ck_assert(cfg_hit(cc, 6, ssid));
	}
	ck_assert(!cfg_hit(cc, 5, SMMU_CFG_NO_SSID));
	/* The STE stays until CFGI_STE. */
	ck_assert(ste_has(cc, 5));
	ck_assert(ste_has(cc, 6));
	ck_assert_uint_eq(smmu_cfgcache_inv_cd_all(cc, 5), 0);
	/* CFGI_ALL: 4 configurations and 2 STEs. */
	ck_assert_uint_eq(smmu_cfgcache_inv_all(cc), 6);
	ck_assert(!ste_has(cc, 5));
	ck_assert(!cfg_hit(cc, 6, 0));
	ck_assert_uint_eq(smmu_cfgcache_inv_all(cc), 0);
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_eq(st.invalidations, 9);
	smmu_cfgcache_destroy(cc);
}
END_TEST

START_TEST(test_cfgcache_stale_gen)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(64);
	struct smmu_cache_stats st;
	struct smmu_cfg c;
	struct smmu_ste s;
	uint64_t g;

	ck_assert_ptr_nonnull(cc);
	cfg_mk(&c, 1, true, 0);
	ste_mk(&s, 1);
	/* A fetch starts, a CFGI runs (even one dropping nothing), the
	 * fetch's insert must be dropped. */
	g = smmu_cfgcache_gen(cc);
	ck_assert_uint_eq(smmu_cfgcache_inv_cd_all(cc, 99), 0);
	ck_assert_uint_ne(smmu_cfgcache_gen(cc), g);
	ck_assert(!smmu_cfgcache_insert(cc, 1, 0, &c, g));
	ck_assert(!smmu_cfgcache_ste_insert(cc, 1, &s, g));
	ck_assert(!cfg_hit(cc, 1, 0));
	ck_assert(!ste_has(cc, 1));
	/* Every kind of invalidation moves the generation. */
	g = smmu_cfgcache_gen(cc);
	smmu_cfgcache_inv_ste(cc, 0, 0);
	ck_assert_uint_ne(smmu_cfgcache_gen(cc), g);
	g = smmu_cfgcache_gen(cc);
	smmu_cfgcache_inv_cd(cc, 0, 0);
	ck_assert_uint_ne(smmu_cfgcache_gen(cc), g);
	g = smmu_cfgcache_gen(cc);
	smmu_cfgcache_inv_all(cc);
	ck_assert_uint_ne(smmu_cfgcache_gen(cc), g);
	/* Lookups and inserts do not. */
	g = smmu_cfgcache_gen(cc);
	ck_assert(smmu_cfgcache_insert(cc, 1, 0, &c, g));
	ck_assert(smmu_cfgcache_ste_insert(cc, 1, &s, g));
	ck_assert(cfg_has(cc, 1, 0, &c));
	ck_assert_uint_eq(smmu_cfgcache_gen(cc), g);
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.insertions, 1);
	ck_assert_uint_eq(st.entries, 1);
	smmu_cfgcache_destroy(cc);
}
END_TEST

START_TEST(test_cfgcache_evict_one_set)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(8);
	struct smmu_cache_stats st;
	struct smmu_cfg c;
	unsigned i, hits = 0;

	ck_assert_ptr_nonnull(cc);
	for (i = 0; i < 20; i++)
		cfg_add(cc, i, SMMU_CFG_NO_SSID, i, true, 0);
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.capacity, 8);
	ck_assert_uint_eq(st.entries, 8);
	ck_assert_uint_eq(st.insertions, 20);
	ck_assert_uint_eq(st.evictions, 12);
	for (i = 0; i < 20; i++)
		hits += cfg_hit(cc, i, SMMU_CFG_NO_SSID);
	ck_assert_uint_eq(hits, 8);
	/* The newest entry is never the victim. */
	cfg_mk(&c, 19, true, 0);
	ck_assert(cfg_has(cc, 19, SMMU_CFG_NO_SSID, &c));
	/* After an invalidation a free way is used before any eviction. */
	ck_assert_uint_eq(smmu_cfgcache_inv_ste(cc, 19, 1), 1);
	cfg_add(cc, 100, 0, 100, true, 0);
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.evictions, 12);
	ck_assert_uint_eq(st.entries, 8);
	smmu_cfgcache_destroy(cc);
}
END_TEST

START_TEST(test_cfgcache_evict_bounded)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(64);
	struct smmu_cache_stats st;
	unsigned i, hits = 0;

	ck_assert_ptr_nonnull(cc);
	for (i = 0; i < 1000; i++) {
		cfg_add(cc, i / 4, i % 4, i, true, i % 4);
		if (i % 5 == 0)
			ste_add(cc, i);
	}
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.capacity, 64);
	ck_assert_uint_le(st.entries, 64);
	ck_assert_uint_ge(st.entries, 8);
	ck_assert_uint_eq(st.insertions, 1000);
	ck_assert_uint_eq(st.entries + st.evictions, 1000);
	for (i = 0; i < 1000; i++)
		hits += cfg_hit(cc, i / 4, i % 4);
	ck_assert_uint_eq(hits, st.entries);
	/* CFGI_CD_ALL drops exactly the survivors of StreamID 249. */
	for (hits = 0, i = 0; i < 4; i++)
		hits += cfg_hit(cc, 249, i);
	ck_assert_uint_eq(smmu_cfgcache_inv_cd_all(cc, 249), hits);
	smmu_cfgcache_destroy(cc);
}
END_TEST

START_TEST(test_cfgcache_counters)
{
	struct smmu_cfgcache *cc = smmu_cfgcache_create(16);
	struct smmu_cache_stats st;
	struct smmu_cfg c;
	struct smmu_cfg_hot h;

	ck_assert_ptr_nonnull(cc);
	/* 3 misses. */
	ck_assert(!smmu_cfgcache_lookup(cc, 1, 1, &c));
	ck_assert(!smmu_cfgcache_lookup_hot(cc, 1, 1, &h));
	ck_assert(!smmu_cfgcache_lookup_hot(cc, 2, 1, &h));
	cfg_add(cc, 1, 1, 1, true, 1);
	cfg_add(cc, 2, 1, 2, true, 1);
	/* 4 hits, 1 miss. */
	ck_assert(smmu_cfgcache_lookup(cc, 1, 1, &c));
	ck_assert(smmu_cfgcache_lookup(cc, 2, 1, &c));
	ck_assert(smmu_cfgcache_lookup_hot(cc, 1, 1, &h));
	ck_assert(smmu_cfgcache_lookup_hot(cc, 2, 1, &h));
	ck_assert(!smmu_cfgcache_lookup_hot(cc, 3, 1, &h));
	/* STE lookups are not counted. */
	ste_add(cc, 1);
	ck_assert(ste_has(cc, 1));
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.hits, 4);
	ck_assert_uint_eq(st.misses, 4);
	ck_assert_uint_eq(st.insertions, 2);
	ck_assert_uint_eq(st.evictions, 0);
	ck_assert_uint_eq(st.invalidations, 0);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_eq(st.capacity, 16);
	/* inv_all returns STEs too, but counts configurations. */
	ck_assert_uint_eq(smmu_cfgcache_inv_all(cc), 3);
	smmu_cfgcache_stats(cc, &st);
	ck_assert_uint_eq(st.invalidations, 2);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_eq(st.hits, 4);
	smmu_cfgcache_destroy(cc);
}
END_TEST

/* ---- two threads --------------------------------------------------- */

#define SMOKE_ITERS 20000
#define SMOKE_SIDS 8

struct smoke {
	struct smmu_cfgcache *cc;
	unsigned bad;		/* torn or mixed reads seen by the reader */
};

/* Writer: insert versions of each StreamID, invalidating now and then. */
static void *
smoke_writer(void *arg)
{
	struct smoke *sm = arg;
	struct smmu_cfg c;
	struct smmu_ste s;
	uint64_t g;
	uint32_t i, sid;

	for (i = 0; i < SMOKE_ITERS; i++) {
		sid = i % SMOKE_SIDS;
		g = smmu_cfgcache_gen(sm->cc);
		cfg_mk(&c, i, true, sid);
		(void)smmu_cfgcache_insert(sm->cc, sid, SMMU_CFG_NO_SSID, &c,
		    g);
		ste_mk(&s, i);
		(void)smmu_cfgcache_ste_insert(sm->cc, sid, &s, g);
		switch (i % 64) {
		case 13:
			smmu_cfgcache_inv_ste(sm->cc, sid, 2);
			break;
		case 29:
			smmu_cfgcache_inv_cd(sm->cc, sid, sid);
			break;
		case 41:
			smmu_cfgcache_inv_cd_all(sm->cc, sid);
			break;
		case 63:
			smmu_cfgcache_inv_all(sm->cc);
			break;
		default:
			break;
		}
	}
	return NULL;
}

/* Reader: every hit must be one whole version, never a mix. */
static void
smoke_reader(struct smoke *sm)
{
	struct smmu_cfg c, want;
	struct smmu_cfg_hot h;
	struct smmu_ste s, swant;
	uint32_t i, sid;

	for (i = 0; i < SMOKE_ITERS; i++) {
		sid = i % SMOKE_SIDS;
		if (smmu_cfgcache_lookup(sm->cc, sid, SMMU_CFG_NO_SSID, &c)) {
			cfg_mk(&want, c.cd_index == sid ?
			    (uint32_t)(c.ste.s1ctxptr >> 6) : 0, true, sid);
			if (memcmp(&c, &want, sizeof(c)) != 0)
				sm->bad++;
		}
		if (smmu_cfgcache_lookup_hot(sm->cc, sid, SMMU_CFG_NO_SSID,
		    &h) && ((h.asid ^ h.vmid) != 0xffffu ||
		    h.flags != (SMMU_CFG_F_S1 | SMMU_CFG_F_S1R)))
			sm->bad++;
		if (smmu_cfgcache_ste_lookup(sm->cc, sid, &s)) {
			ste_mk(&swant, (uint32_t)(s.s1ctxptr >> 6));
			if (memcmp(&s, &swant, sizeof(s)) != 0)
				sm->bad++;
		}
	}
}

START_TEST(test_cfgcache_threads)
{
	struct smoke sm = { .cc = smmu_cfgcache_create(SMOKE_SIDS) };
	struct smmu_cache_stats st;
	pthread_t t;

	ck_assert_ptr_nonnull(sm.cc);
	ck_assert_int_eq(pthread_create(&t, NULL, smoke_writer, &sm), 0);
	smoke_reader(&sm);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(sm.bad, 0);
	/* Both threads counted: the reader's two lookups per iteration. */
	smmu_cfgcache_stats(sm.cc, &st);
	ck_assert_uint_eq(st.hits + st.misses, 2 * SMOKE_ITERS);
	ck_assert_uint_le(st.entries, st.capacity);
	smmu_cfgcache_destroy(sm.cc);
}
END_TEST

Suite *
cfgcache_suite(void)
{
	Suite *s = suite_create("cfgcache");
	TCase *tc = tcase_create("cache");
	TCase *tt = tcase_create("threads");

	tcase_add_test(tc, test_cfgcache_create);
	tcase_add_test(tc, test_cfgcache_lookup);
	tcase_add_test(tc, test_cfgcache_ste);
	tcase_add_test(tc, test_cfgcache_inv_ste);
	tcase_add_test(tc, test_cfgcache_inv_cd);
	tcase_add_test(tc, test_cfgcache_inv_cd_all);
	tcase_add_test(tc, test_cfgcache_stale_gen);
	tcase_add_test(tc, test_cfgcache_evict_one_set);
	tcase_add_test(tc, test_cfgcache_evict_bounded);
	tcase_add_test(tc, test_cfgcache_counters);
	suite_add_tcase(s, tc);
	tcase_add_test(tt, test_cfgcache_threads);
	suite_add_tcase(s, tt);
	return s;
}
