/*
 * cfgcache.c - the configuration cache: decoded STEs by StreamID and
 * resolved configurations by (StreamID, SubstreamID) (SMMUv3 sections
 * 3.17, 4.3 CFGI_*, 5.2 and 5.4.1 notes on structure caching).
 *
 * Each of the two tables is set-associative: a key hashes to one set of
 * at most CFG_WAYS ways, guarded by a sequence lock (lib/seqlock.h).
 * Lookups take no lock and write nothing shared: they copy the words of
 * the matching way with relaxed atomic loads and retry if a writer ran.
 * The hot lookup (the TLB-hit path) copies only the first word, the
 * packed struct smmu_cfg_hot.  Values are stored as arrays of 64-bit
 * words, word-major within a set (word w of way i at
 * val[w * CFG_WAYS + i]), so the hot words of a set sit next to its keys.
 *
 * Replacement inside a full set is round-robin (a cursor only writers
 * touch), so a lookup never writes replacement state.  Invalidations are
 * not hot: they scan every set, locking only sets holding a candidate.
 *
 * Hit/miss counting must not bounce a shared line either: counters live
 * in per-thread slots (tslot.h), one 64-byte slot a thread.
 */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfgcache.h"
#include "seqlock.h"
#include "tslot.h"

#define CFG_WAYS 8			/* ways per set */
#define CFG_KEY_VALID (1ull << 63)	/* key 0 = empty way */
#define CFG_KEY_NO_SSID (1ull << 20)	/* SSV = 0 (SSIDs are 20 bits) */
#define CFG_WORDS (sizeof(struct smmu_cfg) / 8)
#define CFG_STE_WORDS (sizeof(struct smmu_ste) / 8)

static_assert(sizeof(struct smmu_cfg_hot) == 8,
    "the hot part of a configuration is one word");
static_assert(offsetof(struct smmu_cfg, hot) == 0,
    "the hot word comes first");
static_assert(sizeof(struct smmu_cfg) % 8 == 0,
    "configurations are stored as 64-bit words");
static_assert(sizeof(struct smmu_ste) % 8 == 0,
    "STEs are stored as 64-bit words");
static_assert(offsetof(struct smmu_cfg, cd_index) + 4 <= 16,
    "CFGI_CD matching reads the first two words only");

/*
 * One set.  key[] fills the first cache line; seq, the cursor and the
 * hot words follow.  Every set has CFG_WAYS ways, so lookups scan a
 * constant number of keys and index values with a constant stride; a
 * cache smaller than CFG_WAYS inserts into its first ways only, and the
 * other keys stay 0 (empty) forever.
 */
struct cfg_set {
	uint64_t key[CFG_WAYS];	/* CFG_KEY_VALID | key, or 0 */
	seq_t seq;
	uint32_t next;		/* round-robin victim (writers only) */
	uint64_t val[];		/* val[word * CFG_WAYS + way] */
};

/* One table: nsets sets of stride bytes each. */
struct cfg_tab {
	unsigned char *sets;
	size_t stride;
	uint64_t mask;		/* nsets - 1 (nsets is a power of two) */
	unsigned ways;		/* ways used by inserts, <= CFG_WAYS */
	unsigned words;
};

/* Value word w of way i of a set. */
#define CFG_VAL(set, w, i) (&(set)->val[(w) * CFG_WAYS + (i)])

/* Hit/miss counters of one thread, alone in a cache line. */
struct cfg_slot {
	_Alignas(64) uint64_t hits;
	uint64_t misses;
};

struct smmu_cfgcache {
	struct cfg_tab cfg;		/* resolved, by (sid, ssid) */
	struct cfg_tab ste;		/* decoded STEs, by sid */
	_Alignas(64) uint64_t gen;	/* bumped by every invalidation */
	/* Resolved-table counters, changed under a set lock (atomics). */
	_Alignas(64) uint64_t insertions;
	uint64_t evictions;
	uint64_t invalidations;
	uint64_t entries;
	/* Per-thread hit/miss slots; the last one is the shared overflow. */
	struct cfg_slot slot[TSLOT_NR + 1];
};

/* Invalidation selectors. */
enum cfg_inv_kind {
	CFG_INV_SIDS,		/* sids in [lo, lo + nr) */
	CFG_INV_CD,		/* sid lo: S1 configurations of cd_index */
	CFG_INV_ALL
};

struct cfg_inv {
	enum cfg_inv_kind kind;
	uint64_t lo;
	uint64_t nr;
	uint32_t cd_index;
};

/* Count a resolved-configuration hit or miss in this thread's slot. */
static inline void
cfg_count(struct smmu_cfgcache *cc, bool hit)
{
	unsigned id = tslot_get();
	struct cfg_slot *sl = &cc->slot[id];

	tslot_add(hit ? &sl->hits : &sl->misses, 1, id);
}

/* Key of (sid, ssid); false if ssid is no 20-bit SubstreamID. */
static inline bool
cfg_key(uint32_t sid, uint32_t ssid, uint64_t *ret)
{
	uint64_t enc;

	if (ssid == SMMU_CFG_NO_SSID)
		enc = CFG_KEY_NO_SSID;
	else if ((ssid >> 20) != 0)
		return false;
	else
		enc = ssid;
	*ret = CFG_KEY_VALID | enc << 32 | sid;
	return true;
}

/* StreamID of a key of either table. */
static inline uint32_t
cfg_key_sid(uint64_t key)
{
	return (uint32_t)key;
}

/* The set key hashes to (a 64-bit finalizer mixes the SSID bits in). */
static inline struct cfg_set *
cfg_tab_set(const struct cfg_tab *t, uint64_t key)
{
	uint64_t h = key;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (struct cfg_set *)(void *)(t->sets + (h & t->mask) * t->stride);
}

/* Set number i of t. */
static inline struct cfg_set *
cfg_tab_set_at(const struct cfg_tab *t, uint64_t i)
{
	return (struct cfg_set *)(void *)(t->sets + i * t->stride);
}

/* Allocate table t for about capacity entries of words words each. */
static int
cfg_tab_init(struct cfg_tab *t, unsigned capacity, unsigned words)
{
	uint64_t nsets = 1, need;
	size_t stride, size;

	t->ways = capacity < CFG_WAYS ? capacity : CFG_WAYS;
	need = ((uint64_t)capacity + t->ways - 1) / t->ways;
	while (nsets < need)
		nsets <<= 1;
	stride = offsetof(struct cfg_set, val) +
	    (size_t)CFG_WAYS * words * sizeof(uint64_t);
	stride = (stride + 63) & ~(size_t)63;
	if (nsets > SIZE_MAX / stride)
		return -1;
	size = (size_t)nsets * stride;
	t->sets = aligned_alloc(64, size);
	if (t->sets == NULL)
		return -1;
	memset(t->sets, 0, size);
	t->stride = stride;
	t->mask = nsets - 1;
	t->words = words;
	return 0;
}

/*
 * Copy the first n words of key's value out of t into out.  Lock-free:
 * retries while a writer changes the set.  Returns true on a hit.
 */
static inline bool
cfg_tab_lookup(const struct cfg_tab *t, uint64_t key, uint64_t *out,
    unsigned n)
{
	const struct cfg_set *set = cfg_tab_set(t, key);
	unsigned i, w;
	bool hit;
	seq_t s;

	do {
		s = seq_read_begin(&set->seq);
		hit = false;
		for (i = 0; i < CFG_WAYS; i++) {
			if (seq_load64(&set->key[i]) != key)
				continue;
			for (w = 0; w < n; w++)
				out[w] = seq_load64(CFG_VAL(set, w, i));
			hit = true;
			break;
		}
	} while (seq_read_retry(&set->seq, s));
	return hit;
}

/*
 * Insert or replace key with val (t->words words), unless an
 * invalidation ran since gen was read.  *evicted tells whether a valid
 * entry of another key was dropped, *added whether the table grew.
 *
 * Why the generation: a caller reads gen, then fetches and decodes the
 * STE/CD from guest memory, then inserts.  If a CFGI ran in between, the
 * fetch may have read the structure before the guest's update, and
 * inserting it would re-install the stale configuration after the CFGI
 * had completed.  Invalidations bump gen before they scan, and the insert
 * compares gen while holding its set's lock, so either the insert sees
 * the new gen and is dropped, or it finished before the scan locked this
 * set and the scan removes it.
 */
static bool
cfg_tab_insert(struct smmu_cfgcache *cc, struct cfg_tab *t, uint64_t key,
    const uint64_t *val, uint64_t gen, bool *evicted, bool *added)
{
	struct cfg_set *set = cfg_tab_set(t, key);
	unsigned i, w, way, ways = t->ways, free = ways;
	uint64_t k;

	*evicted = *added = false;
	/* Cheap early drop that does not disturb readers of the set. */
	if (__atomic_load_n(&cc->gen, __ATOMIC_ACQUIRE) != gen)
		return false;
	seq_write_lock(&set->seq);
	if (__atomic_load_n(&cc->gen, __ATOMIC_ACQUIRE) != gen) {
		seq_write_unlock(&set->seq);
		return false;
	}
	way = ways;
	for (i = 0; i < ways; i++) {
		k = seq_load64(&set->key[i]);
		if (k == key) {
			way = i;
			break;
		}
		if (k == 0 && free == ways)
			free = i;
	}
	if (way == ways) {
		if (free < ways) {
			way = free;
		} else {
			way = set->next;
			set->next = (way + 1) % ways;
			*evicted = true;
		}
		*added = !*evicted;
	}
	seq_store64(&set->key[way], key);
	for (w = 0; w < t->words; w++)
		seq_store64(CFG_VAL(set, w, way), val[w]);
	seq_write_unlock(&set->seq);
	return true;
}

/* True if key (of either table) is selected by inv, looking at the key
 * alone. */
static inline bool
cfg_inv_key(const struct cfg_inv *inv, uint64_t key)
{
	uint64_t sid = cfg_key_sid(key);

	if (key == 0)
		return false;
	switch (inv->kind) {
	case CFG_INV_SIDS:
		return sid >= inv->lo && sid - inv->lo < inv->nr;
	case CFG_INV_CD:
		return sid == inv->lo;
	default:
		return true;
	}
}

/* True if way i of set (locked) is selected by inv. */
static bool
cfg_inv_match(const struct cfg_set *set, unsigned i,
    const struct cfg_inv *inv)
{
	uint64_t w[CFG_WORDS];
	struct smmu_cfg cfg;

	if (!cfg_inv_key(inv, seq_load64(&set->key[i])))
		return false;
	if (inv->kind != CFG_INV_CD)
		return true;
	/* CFGI_CD: only configurations that used that CD. */
	memset(w, 0, sizeof(w));
	w[0] = seq_load64(CFG_VAL(set, 0, i));
	w[1] = seq_load64(CFG_VAL(set, 1, i));
	memcpy(&cfg, w, sizeof(cfg));
	return (cfg.hot.flags & SMMU_CFG_F_S1) &&
	    cfg.cd_index == inv->cd_index;
}

/*
 * Drop every entry of t that inv selects; returns how many.  A set is
 * first read lock-free and locked only if a key may match, so readers of
 * unrelated sets are not disturbed (a writer still in a set makes the
 * read retry, so an entry inserted before the gen bump is seen).
 */
static unsigned
cfg_tab_inv(struct cfg_tab *t, const struct cfg_inv *inv)
{
	struct cfg_set *set;
	unsigned i, n = 0;
	uint64_t si;
	bool cand;
	seq_t s;

	for (si = 0; si <= t->mask; si++) {
		set = cfg_tab_set_at(t, si);
		do {
			s = seq_read_begin(&set->seq);
			cand = false;
			for (i = 0; i < CFG_WAYS && !cand; i++)
				cand = cfg_inv_key(inv,
				    seq_load64(&set->key[i]));
		} while (seq_read_retry(&set->seq, s));
		if (!cand)
			continue;
		seq_write_lock(&set->seq);
		for (i = 0; i < CFG_WAYS; i++) {
			if (cfg_inv_match(set, i, inv)) {
				seq_store64(&set->key[i], 0);
				n++;
			}
		}
		seq_write_unlock(&set->seq);
	}
	return n;
}

struct smmu_cfgcache *
smmu_cfgcache_create(unsigned capacity)
{
	struct smmu_cfgcache *cc;

	if (capacity == 0)
		return NULL;
	cc = aligned_alloc(64, sizeof(*cc));
	if (cc == NULL)
		return NULL;
	memset(cc, 0, sizeof(*cc));
	if (cfg_tab_init(&cc->cfg, capacity, CFG_WORDS) != 0 ||
	    cfg_tab_init(&cc->ste, capacity, CFG_STE_WORDS) != 0) {
		smmu_cfgcache_destroy(cc);
		return NULL;
	}
	return cc;
}

void
smmu_cfgcache_destroy(struct smmu_cfgcache *cc)
{
	if (cc == NULL)
		return;
	free(cc->cfg.sets);
	free(cc->ste.sets);
	free(cc);
}

uint64_t
smmu_cfgcache_gen(const struct smmu_cfgcache *cc)
{
	return __atomic_load_n(&cc->gen, __ATOMIC_ACQUIRE);
}

bool
smmu_cfgcache_lookup(struct smmu_cfgcache *cc, uint32_t sid, uint32_t ssid,
    struct smmu_cfg *ret)
{
	uint64_t key, w[CFG_WORDS];
	bool hit;

	hit = cfg_key(sid, ssid, &key) &&
	    cfg_tab_lookup(&cc->cfg, key, w, CFG_WORDS);
	cfg_count(cc, hit);
	if (hit)
		memcpy(ret, w, sizeof(*ret));
	return hit;
}

bool
smmu_cfgcache_lookup_hot(struct smmu_cfgcache *cc, uint32_t sid,
    uint32_t ssid, struct smmu_cfg_hot *ret)
{
	uint64_t key, w;
	bool hit;

	hit = cfg_key(sid, ssid, &key) &&
	    cfg_tab_lookup(&cc->cfg, key, &w, 1);
	cfg_count(cc, hit);
	if (hit)
		memcpy(ret, &w, sizeof(*ret));
	return hit;
}

bool
smmu_cfgcache_insert(struct smmu_cfgcache *cc, uint32_t sid, uint32_t ssid,
    const struct smmu_cfg *cfg, uint64_t gen)
{
	uint64_t key, w[CFG_WORDS];
	bool evicted, added;

	if (!cfg_key(sid, ssid, &key))
		return false;
	memcpy(w, cfg, sizeof(w));
	if (!cfg_tab_insert(cc, &cc->cfg, key, w, gen, &evicted, &added))
		return false;
	__atomic_fetch_add(&cc->insertions, 1, __ATOMIC_RELAXED);
	if (evicted)
		__atomic_fetch_add(&cc->evictions, 1, __ATOMIC_RELAXED);
	if (added)
		__atomic_fetch_add(&cc->entries, 1, __ATOMIC_RELAXED);
	return true;
}

bool
smmu_cfgcache_ste_lookup(struct smmu_cfgcache *cc, uint32_t sid,
    struct smmu_ste *ret)
{
	uint64_t w[CFG_STE_WORDS];

	if (!cfg_tab_lookup(&cc->ste, CFG_KEY_VALID | sid, w, CFG_STE_WORDS))
		return false;
	memcpy(ret, w, sizeof(*ret));
	return true;
}

bool
smmu_cfgcache_ste_insert(struct smmu_cfgcache *cc, uint32_t sid,
    const struct smmu_ste *ste, uint64_t gen)
{
	uint64_t w[CFG_STE_WORDS];
	bool evicted, added;

	memcpy(w, ste, sizeof(w));
	return cfg_tab_insert(cc, &cc->ste, CFG_KEY_VALID | sid, w, gen,
	    &evicted, &added);
}

/*
 * Run invalidation inv over the resolved table and, when ste is true,
 * the STE table.  The generation is bumped first (see cfg_tab_insert).
 */
static unsigned
cfg_invalidate(struct smmu_cfgcache *cc, const struct cfg_inv *inv,
    bool ste)
{
	unsigned n;

	__atomic_add_fetch(&cc->gen, 1, __ATOMIC_SEQ_CST);
	n = cfg_tab_inv(&cc->cfg, inv);
	__atomic_fetch_add(&cc->invalidations, n, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&cc->entries, n, __ATOMIC_RELAXED);
	if (ste)
		n += cfg_tab_inv(&cc->ste, inv);
	return n;
}

unsigned
smmu_cfgcache_inv_ste(struct smmu_cfgcache *cc, uint32_t sid, uint64_t nr)
{
	struct cfg_inv inv = { .kind = CFG_INV_SIDS, .lo = sid, .nr = nr };

	return cfg_invalidate(cc, &inv, true);
}

unsigned
smmu_cfgcache_inv_cd(struct smmu_cfgcache *cc, uint32_t sid,
    uint32_t cd_index)
{
	struct cfg_inv inv = {
		.kind = CFG_INV_CD, .lo = sid, .cd_index = cd_index
	};

	return cfg_invalidate(cc, &inv, false);
}

unsigned
smmu_cfgcache_inv_cd_all(struct smmu_cfgcache *cc, uint32_t sid)
{
	/* Every resolved configuration of sid; its STE stays. */
	struct cfg_inv inv = { .kind = CFG_INV_SIDS, .lo = sid, .nr = 1 };

	return cfg_invalidate(cc, &inv, false);
}

unsigned
smmu_cfgcache_inv_all(struct smmu_cfgcache *cc)
{
	struct cfg_inv inv = { .kind = CFG_INV_ALL };

	return cfg_invalidate(cc, &inv, true);
}

void
smmu_cfgcache_stats(const struct smmu_cfgcache *cc,
    struct smmu_cache_stats *ret)
{
	unsigned i;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i <= TSLOT_NR; i++) {
		ret->hits += __atomic_load_n(&cc->slot[i].hits,
		    __ATOMIC_RELAXED);
		ret->misses += __atomic_load_n(&cc->slot[i].misses,
		    __ATOMIC_RELAXED);
	}
	ret->insertions = __atomic_load_n(&cc->insertions, __ATOMIC_RELAXED);
	ret->evictions = __atomic_load_n(&cc->evictions, __ATOMIC_RELAXED);
	ret->invalidations = __atomic_load_n(&cc->invalidations,
	    __ATOMIC_RELAXED);
	ret->entries = __atomic_load_n(&cc->entries, __ATOMIC_RELAXED);
	ret->capacity = (uint64_t)cc->cfg.ways * (cc->cfg.mask + 1);
}
