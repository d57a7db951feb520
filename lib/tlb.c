/*
 * tlb.c - the IOTLB: a set-associative cache of leaf translations
 * (SMMUv3 section 3.17 tagging, section 4.4 invalidation).
 *
 * Geometry.  A TLB of capacity C has nsets = ceil(C / SMMU_TLB_WAYS)
 * sets of SMMU_TLB_WAYS ways, so the capacity is rounded up to a multiple
 * of the way count, as tlb.h promises.  The exception is C <= WAYS: one
 * set of exactly C usable ways, so small TLBs show exact policy behaviour
 * over all their entries.  The set of a key is chosen by multiplicative
 * hashing followed by a multiply-shift range reduction ("fastrange"),
 * which needs no power-of-two set count.
 *
 * Keys.  An entry is identified by a 64-bit tag word and a 32-bit id.
 * The tag holds the block base (aligned to at least 4 KiB) with the low
 * 12 bits reused for a valid bit, the entry kind (non-global VA, global
 * VA, IPA) and size_log2; the id holds ASID << 16 | VMID, with the ASID
 * zero for global and IPA entries since those ignore it (so a hit on
 * one of those returns asid 0, which tlb.h allows).  A lookup of an
 * address does not know the size of the block mapping it, so the TLB
 * keeps, per kind, a bitmap of the sizes currently present and probes
 * one set per present size (and, for VA lookups, the global key of a size
 * only if global entries of that size exist).  With only non-global 4 KiB
 * pages present, a lookup probes exactly one set.
 *
 * Concurrency.  Each set is one seqlock (seqlock.h) over its ways: lookups
 * copy a way with relaxed atomic loads and retry if a writer ran, so they
 * never write the lock word; writers (insert, invalidate) take the set's
 * writer lock and store with relaxed atomics.  The only words lookups
 * write are their own per-thread counter slot and the replacement state
 * of the set they hit (the way's rep and, for LRU/2Q, the set's tick),
 * which sits on a cache line of its own: lookups of different sets never
 * share a written line.  How often a hit writes depends on the policy:
 * LRU and 2Q only when the way is not already the newest (so one hot
 * entry hit by many threads is not written), CLOCK only when its
 * reference bit is clear, LFU on every hit.  Exact LRU/LFU thus cost
 * threads that share sets some cache-line traffic; CLOCK scales best.
 *
 * Counters.  "insertions" counts every successful smmu_tlb_insert(),
 * including one that replaces an entry with the same key; "entries" is
 * the sum of the live counts below.
 *
 * Size bitmaps.  A per-(kind, size) live count backs each bitmap bit.
 * Counts move between non-zero values with lock-free CAS; the 0 <-> 1
 * transitions, and only they, take a small TLB-wide spinlock and set the
 * bit before the count becomes 1 and clear it after the count becomes 0.
 * So "count > 0 implies bit set" holds at every instant, and a range
 * invalidation that skips a size whose bit is clear skips no entry.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "seqlock.h"
#include "tlb.h"
#include "tslot.h"

/* Entry kinds (what the tag's kind field holds). */
#define TLB_K_VA 0		/* stage-1/nested, non-global: VMID + ASID */
#define TLB_K_VAG 1		/* stage-1/nested, global (nG = 0): VMID */
#define TLB_K_IPA 2		/* stage-2 only: VMID */
#define TLB_NR_KINDS 3

/* Low bits of the tag word (the block base is at least 4 KiB aligned). */
#define TLB_TAG_VALID 1u
#define TLB_TAG_KIND_SHIFT 1
#define TLB_TAG_SIZE_SHIFT 3
#define TLB_MIN_SIZE 12
#define TLB_MAX_SIZE 63

/*
 * The id word of a way is ASID << 16 | VMID and its 32-bit meta word
 * perm | size_log2 << 16 | level << 24: together, on a little-endian host,
 * exactly the bytes of vmid..level in struct smmu_tlb_entry, so a hit
 * fills them with one store.
 */
#define TLB_META_SIZE_SHIFT 16
#define TLB_META_LEVEL_SHIFT 24

/* Largest capacity accepted (48 bytes an entry: 12 GiB of sets). */
#define TLB_MAX_CAPACITY (1u << 28)

/* 2Q ghost list (A1out) length of a full set. */
#define TLB_GHOSTS (SMMU_TLB_WAYS / 2)

/* Fingerprint lanes: 8 bits a way, all eight in one 64-bit word. */
#define TLB_FP_ONES 0x0101010101010101ULL
#define TLB_FP_LOW 0x7f7f7f7f7f7f7f7fULL

enum {
	TLB_C_HITS,
	TLB_C_MISSES,
	TLB_C_INSERTIONS,
	TLB_C_EVICTIONS,
	TLB_C_INVALIDATIONS,
	TLB_C_NR
};

/*
 * A way: the full key (tag, id) and the payload, seqlock-protected, and
 * the insertion stamp, which only writers use.  Two ways to a cache line.
 */
struct tlb_way {
	uint64_t tag;		/* 0: free */
	uint64_t out;
	uint64_t ipa;
	uint32_t id;
	uint32_t ins;
};

/*
 * One set, six cache lines.  Line 0 holds the sequence, the 8-bit key
 * fingerprints of the eight ways (which find the way without branching on
 * each way) and their meta words; lines 1-4 the ways, whose full key
 * confirms a fingerprint match.  Lookups only read those five lines:
 * everything they write (the replacement state: the set's tick and each
 * way's rep) is on line 5, so two threads hitting different entries of
 * one set never invalidate each other's line 0 or ways.  A miss usually
 * reads line 0 only.
 */
struct tlb_set {
	seq_t seq;
	uint8_t hand;		/* CLOCK hand */
	uint8_t ghost_pos;	/* 2Q: next A1out slot to overwrite */
	uint64_t fp;		/* byte i: way i's fingerprint; 0 = free */
	uint32_t meta[SMMU_TLB_WAYS];
	uint32_t ghost[TLB_GHOSTS];	/* 2Q A1out: key hashes, 0 = empty */
	struct tlb_way way[SMMU_TLB_WAYS] __attribute__((aligned(64)));
	/* Line 5: written by lookups. */
	uint32_t tick __attribute__((aligned(64)));	/* stamp source */
	uint32_t rep[SMMU_TLB_WAYS];	/* policy state: tlb_victim() */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct tlb_set) == 6 * 64, "tlb_set layout");
_Static_assert(TLB_K_VAG == SMMU_TLB_F_GLOBAL && TLB_K_IPA == SMMU_TLB_F_IPA,
    "kind codes double as entry flags");
_Static_assert(offsetof(struct smmu_tlb_entry, vmid) == 24 &&
    offsetof(struct smmu_tlb_entry, asid) == 26 &&
    offsetof(struct smmu_tlb_entry, perm) == 28 &&
    offsetof(struct smmu_tlb_entry, size_log2) == 30 &&
    offsetof(struct smmu_tlb_entry, level) == 31,
    "id and meta words mirror smmu_tlb_entry");

/* One thread's counters, alone on its cache line. */
struct tlb_ctr {
	uint64_t v[TLB_C_NR];
} __attribute__((aligned(64)));

struct smmu_tlb {
	/* Read by every lookup, written rarely. */
	struct tlb_set *sets;
	uint32_t nsets;
	uint32_t nways;		/* usable ways: min(capacity, WAYS) */
	enum smmu_tlb_policy policy;
	uint32_t kin;		/* 2Q: A1in target size */
	uint32_t nghost;	/* 2Q: A1out length */
	uint64_t mask[TLB_NR_KINDS];	/* bit s: entries of size 2^s */
	void *sets_mem;		/* what to free() for sets */

	/* Written by every invalidation, read before every walk. */
	uint64_t gen __attribute__((aligned(64)));

	/* Written by inserts, evictions and invalidations. */
	seq_t size_lock __attribute__((aligned(64)));
	uint32_t count[TLB_NR_KINDS][64];	/* live entries by size */

	struct tlb_ctr ctr[TSLOT_NR + 1];
};

/* What an invalidation removes: see tlb_inv_match(). */
struct tlb_inv {
	unsigned kinds;		/* 1 << TLB_K_* */
	bool any_vmid;
	uint16_t vmid;
	bool any_asid;		/* else non-global VA entries need asid */
	uint16_t asid;
	bool range;
	uint64_t first;		/* inclusive range */
	uint64_t last;
	unsigned ttl;		/* 0: any level */
};

/* Add n to counter c in this thread's slot (see tslot.h). */
static inline void
tlb_count(struct smmu_tlb *t, unsigned c, uint64_t n)
{
	unsigned slot = tslot_get();

	tslot_add(&t->ctr[slot].v[c], n, slot);
}

/* Tag word of a block of kind at base (2^size_log2 aligned). */
static inline uint64_t
tlb_tag(uint64_t base, unsigned size_log2, unsigned kind)
{
	return base | (uint64_t)size_log2 << TLB_TAG_SIZE_SHIFT |
	    (uint64_t)kind << TLB_TAG_KIND_SHIFT | TLB_TAG_VALID;
}

static inline unsigned
tlb_tag_kind(uint64_t tag)
{
	return (tag >> TLB_TAG_KIND_SHIFT) & 3;
}

static inline unsigned
tlb_tag_size(uint64_t tag)
{
	return (tag >> TLB_TAG_SIZE_SHIFT) & 63;
}

/* Id word of a key: the ASID only tags non-global VA entries (3.17). */
static inline uint32_t
tlb_id(unsigned kind, uint16_t vmid, uint16_t asid)
{
	return (kind == TLB_K_VA ? (uint32_t)asid << 16 : 0) | vmid;
}

/* Multiplicative hash of a key; its high 32 bits are well mixed. */
static inline uint64_t
tlb_hash(uint64_t tag, uint32_t id)
{
	return (tag ^ (uint64_t)id * 0x9e3779b97f4a7c15ULL) *
	    0xd6e8feb86659fd93ULL;
}

/*
 * The set of a key with hash h: multiply-shift maps the top 32 bits onto
 * nsets, so mostly the topmost bits choose the set.
 */
static inline struct tlb_set *
tlb_set_of(const struct smmu_tlb *t, uint64_t h)
{
	return &t->sets[((h >> 32) * t->nsets) >> 32];
}

/*
 * The 8-bit fingerprint of a key with hash h (never 0, which marks a free
 * way): bits 32..39, which barely influence the set choice.
 */
static inline uint8_t
tlb_fp(uint64_t h)
{
	uint8_t fp = (uint8_t)(h >> 32);

	return fp + (fp == 0);
}

/* 2Q ghost-list fingerprint of a key (never 0, which marks a free slot). */
static inline uint32_t
tlb_ghost_hash(uint64_t h)
{
	uint32_t g = (uint32_t)(h >> 32);

	return g != 0 ? g : 1;
}

/* Set the fingerprint of way i (writer, lock held). */
static inline void
tlb_fp_set(struct tlb_set *set, unsigned i, uint8_t fp)
{
	unsigned sh = i * 8;

	seq_store64(&set->fp, (seq_load64(&set->fp) &
	    ~((uint64_t)0xff << sh)) | (uint64_t)fp << sh);
}

/*
 * Bit 7 of each byte of x set iff that byte is zero.  Exact (no borrow
 * crosses bytes), unlike the shorter (x - ONES) & ~x form.
 */
static inline uint64_t
tlb_fp_zero(uint64_t x)
{
	return ~(((x & TLB_FP_LOW) + TLB_FP_LOW) | x | TLB_FP_LOW);
}

/*
 * Advance the set's tick and return it, skipping 0 (which rep uses for
 * "never hit" in 2Q).  Lookups call this without the lock (a locked
 * read-modify-write per hit would cost more than it buys), so racing hits
 * may hand out one stamp twice or set the tick back a little; that only
 * blurs the LRU order of entries hit at about the same time, until the
 * tick passes them again.  Single-threaded, the order is exact.
 */
static inline uint32_t
tlb_tick_next(struct tlb_set *set)
{
	uint32_t v = seq_load32(&set->tick) + 1;

	if (v == 0)
		v = 1;
	seq_store32(&set->tick, v);
	return v;
}

/* Record a hit on way i for the replacement policy (no lock held). */
static inline void
tlb_touch(const struct smmu_tlb *t, struct tlb_set *set, unsigned i)
{
	uint32_t *rep = &set->rep[i];
	uint32_t r = seq_load32(rep);

	switch (t->policy) {
	case SMMU_TLB_LRU:
	case SMMU_TLB_2Q:
		/*
		 * Restamp only if not already the newest, so a hot entry
		 * hit from several threads is not written at all.  For 2Q
		 * this also promotes an A1in entry (rep 0) to Am.
		 */
		if (r != seq_load32(&set->tick))
			seq_store32(rep, tlb_tick_next(set));
		break;
	case SMMU_TLB_LFU:
		if (r != UINT32_MAX)
			seq_store32(rep, r + 1);
		break;
	case SMMU_TLB_CLOCK:
		if (r == 0)
			seq_store32(rep, 1);
		break;
	default:
		break;
	}
}

/*
 * Probe the set of (tag, id) and on a hit copy the entry to *ret and
 * return the way's set and index.  The ways whose fingerprint matches are
 * found with SWAR arithmetic on one word rather than a branch per way, so
 * a hit costs no data-dependent misprediction; the first candidate is
 * almost always the way, and its full key decides.
 */
static inline __attribute__((always_inline)) struct tlb_set *
tlb_probe(const struct smmu_tlb *t, uint64_t tag, uint32_t id,
    unsigned size, struct smmu_tlb_entry *ret, unsigned *ret_i)
{
	uint64_t h = tlb_hash(tag, id), pat, m, out, ipa;
	struct tlb_set *set = tlb_set_of(t, h);
	uint32_t meta;
	unsigned i;
	seq_t s;

	/*
	 * A hit will need the replacement line: start its fetch now.  (The
	 * way lines are not prefetched: which one is read is known only from
	 * line 0, and fetching all four measured no faster.)
	 */
	__builtin_prefetch(&set->tick);
	pat = tlb_fp(h) * TLB_FP_ONES;
	do {
		s = seq_read_begin(&set->seq);
		m = tlb_fp_zero(seq_load64(&set->fp) ^ pat);
		for (;;) {
			/* A miss needs no validation: missing is allowed. */
			if (m == 0)
				return NULL;
			i = (unsigned)__builtin_ctzll(m) >> 3;
			if (seq_load64(&set->way[i].tag) == tag &&
			    seq_load32(&set->way[i].id) == id)
				break;
			m &= m - 1;
		}
		out = seq_load64(&set->way[i].out);
		ipa = seq_load64(&set->way[i].ipa);
		meta = seq_load32(&set->meta[i]);
	} while (seq_read_retry(&set->seq, s));

	ret->in = tag & ~bits_low(size);
	ret->out = out;
	ret->ipa = ipa;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{
		uint64_t w = (uint64_t)meta << 32 | id;

		memcpy((char *)ret + offsetof(struct smmu_tlb_entry, vmid), &w,
		    sizeof(w));
	}
#else
	ret->vmid = (uint16_t)id;
	ret->asid = (uint16_t)(id >> 16);
	ret->perm = (uint16_t)meta;
	ret->size_log2 = (uint8_t)(meta >> TLB_META_SIZE_SHIFT);
	ret->level = (uint8_t)(meta >> TLB_META_LEVEL_SHIFT);
#endif
	/* The kind codes are the flag values. */
	ret->flags = (uint8_t)tlb_tag_kind(tag);
	*ret_i = i;
	return set;
}

struct smmu_tlb *
smmu_tlb_create(unsigned capacity, enum smmu_tlb_policy policy)
{
	struct smmu_tlb *t;
	void *p;
	size_t nsets;

	if (capacity < 1 || capacity > TLB_MAX_CAPACITY ||
	    (unsigned)policy >= SMMU_TLB_POLICY_MAX)
		return NULL;
	if (posix_memalign(&p, 64, sizeof(*t)) != 0)
		return NULL;
	t = p;
	memset(t, 0, sizeof(*t));
	nsets = (capacity + SMMU_TLB_WAYS - 1) / SMMU_TLB_WAYS;
	if (nsets > (SIZE_MAX - 63) / sizeof(struct tlb_set)) {
		free(t);
		return NULL;
	}
	/* calloc: a large TLB is zero-filled lazily by the kernel. */
	t->sets_mem = calloc(1, nsets * sizeof(struct tlb_set) + 63);
	if (t->sets_mem == NULL) {
		free(t);
		return NULL;
	}
	t->sets = (struct tlb_set *)(((uintptr_t)t->sets_mem + 63) &
	    ~(uintptr_t)63);
	t->nsets = (uint32_t)nsets;
	t->nways = nsets == 1 ? capacity : SMMU_TLB_WAYS;
	t->policy = policy;
	t->kin = t->nways / 4 > 1 ? t->nways / 4 : 1;
	t->nghost = t->nways / 2 > 1 ? t->nways / 2 : 1;
	return t;
}

void
smmu_tlb_destroy(struct smmu_tlb *t)
{
	if (t == NULL)
		return;
	free(t->sets_mem);
	free(t);
}

/* Look one key up; on a hit fill *ret, update replacement, count it. */
static inline __attribute__((always_inline)) bool
tlb_lookup_key(struct smmu_tlb *t, uint64_t tag, uint32_t id,
    unsigned size, struct smmu_tlb_entry *ret)
{
	struct tlb_set *set;
	unsigned i;

	set = tlb_probe(t, tag, id, size, ret, &i);
	if (set == NULL)
		return false;
	tlb_touch(t, set, i);
	tlb_count(t, TLB_C_HITS, 1);
	return true;
}

/* tlb_lookup_key(), out of line for tlb_lookup_sizes(). */
static __attribute__((noinline)) bool
tlb_lookup_key_call(struct smmu_tlb *t, uint64_t tag, uint32_t id,
    unsigned size, struct smmu_tlb_entry *ret)
{
	return tlb_lookup_key(t, tag, id, size, ret);
}

/*
 * The general lookup: one probe per present size, smallest first, and
 * for VA the global key too when global entries of that size exist.
 * m and g are the size bitmaps of the kind looked up and of global VA
 * entries.
 */
static __attribute__((noinline)) bool
tlb_lookup_sizes(struct smmu_tlb *t, uint64_t m, uint64_t g, unsigned kind,
    uint16_t vmid, uint32_t id, uint64_t addr, struct smmu_tlb_entry *ret)
{
	uint64_t both, base;
	unsigned s;

	for (both = m | g; both != 0; both &= both - 1) {
		s = (unsigned)__builtin_ctzll(both);
		base = addr & ~bits_low(s);
		if ((m >> s & 1) && tlb_lookup_key_call(t,
		    tlb_tag(base, s, kind), id, s, ret))
			return true;
		if ((g >> s & 1) && tlb_lookup_key_call(t,
		    tlb_tag(base, s, TLB_K_VAG), vmid, s, ret))
			return true;
	}
	tlb_count(t, TLB_C_MISSES, 1);
	return false;
}

bool
smmu_tlb_lookup(struct smmu_tlb *t, bool ipa, uint16_t vmid, uint16_t asid,
    uint64_t addr, struct smmu_tlb_entry *ret)
{
	unsigned kind = ipa ? TLB_K_IPA : TLB_K_VA, s;
	uint64_t m, g;
	uint32_t id;

	m = __atomic_load_n(&t->mask[kind], __ATOMIC_RELAXED);
	g = ipa ? 0 : __atomic_load_n(&t->mask[TLB_K_VAG], __ATOMIC_RELAXED);
	id = tlb_id(kind, vmid, asid);
	/* The common case, one mapping size and no global entries: inline. */
	if (__builtin_expect(g == 0 && m != 0 && (m & (m - 1)) == 0, 1)) {
		s = (unsigned)__builtin_ctzll(m);
		if (tlb_lookup_key(t, tlb_tag(addr & ~bits_low(s), s, kind),
		    id, s, ret))
			return true;
		tlb_count(t, TLB_C_MISSES, 1);
		return false;
	}
	return tlb_lookup_sizes(t, m, g, kind, vmid, id, addr, ret);
}

uint64_t
smmu_tlb_gen(const struct smmu_tlb *t)
{
	return __atomic_load_n(&t->gen, __ATOMIC_ACQUIRE);
}

/*
 * One more live entry of (kind, size).  The 0 -> 1 step runs under
 * size_lock and sets the size bit first (seq_cst), so nobody can see a
 * non-zero count while the bit is clear.
 */
static void
tlb_live_inc(struct smmu_tlb *t, unsigned kind, unsigned size)
{
	uint32_t *c = &t->count[kind][size];
	uint32_t v = __atomic_load_n(c, __ATOMIC_RELAXED);

	while (v > 0)
		if (__atomic_compare_exchange_n(c, &v, v + 1, false,
		    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return;
	seq_write_lock(&t->size_lock);
	__atomic_fetch_or(&t->mask[kind], (uint64_t)1 << size,
	    __ATOMIC_SEQ_CST);
	__atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST);
	seq_write_unlock(&t->size_lock);
}

/* One live entry of (kind, size) fewer; 1 -> 0 clears the size bit. */
static void
tlb_live_dec(struct smmu_tlb *t, unsigned kind, unsigned size)
{
	uint32_t *c = &t->count[kind][size];
	uint32_t v = __atomic_load_n(c, __ATOMIC_RELAXED);

	while (v > 1)
		if (__atomic_compare_exchange_n(c, &v, v - 1, false,
		    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return;
	seq_write_lock(&t->size_lock);
	if (__atomic_sub_fetch(c, 1, __ATOMIC_SEQ_CST) == 0)
		__atomic_fetch_and(&t->mask[kind], ~((uint64_t)1 << size),
		    __ATOMIC_SEQ_CST);
	seq_write_unlock(&t->size_lock);
}

/* Age of a stamp relative to the set's tick (wraps like the tick). */
static inline uint32_t
tlb_age(uint32_t tick, uint32_t stamp)
{
	return tick - stamp;
}

/*
 * Choose the way to fill in a full or partly full set (lock held).
 * Invalid ways go first.  Otherwise, per policy:
 *  - LRU: rep is the tick of the last hit (or the insertion); evict the
 *    oldest.
 *  - LFU: rep counts hits since insertion (saturating); evict the fewest,
 *    ties going to the older insertion (ins).  A fresh entry has 0 hits,
 *    so it is the first candidate until it is hit: plain LFU.
 *  - CLOCK: rep is the reference bit, set by a hit; the hand sweeps the
 *    ways clearing set bits (second chance) and evicts the first way
 *    whose bit is clear, then points past it.  New entries start clear.
 *  - 2Q (Johnson & Shasha, simplified to one set): rep = 0 marks the
 *    FIFO A1in queue (ordered by ins), rep != 0 the LRU queue Am (rep is
 *    the last-hit tick).  A hit on an A1in entry promotes it to Am.  The
 *    victim is the oldest A1in entry while A1in holds more than kin =
 *    max(1, ways / 4) entries, else the LRU Am entry, else the oldest
 *    A1in entry.  Evicted A1in keys are remembered in the A1out ghost
 *    list (ways / 2 fingerprints); a key inserted while in A1out goes
 *    straight into Am (see smmu_tlb_insert()).
 */
static unsigned
tlb_victim(struct smmu_tlb *t, struct tlb_set *set)
{
	uint32_t tick = seq_load32(&set->tick), r, best_r = 0, best_age = 0;
	unsigned i, best = 0, nin = 0, nam = 0;
	bool found;

	for (i = 0; i < t->nways; i++)
		if (!(seq_load64(&set->way[i].tag) & TLB_TAG_VALID))
			return i;
	switch (t->policy) {
	case SMMU_TLB_LRU:
		for (i = 0; i < t->nways; i++) {
			r = tlb_age(tick, seq_load32(&set->rep[i]));
			if (i == 0 || r > best_age) {
				best = i;
				best_age = r;
			}
		}
		return best;
	case SMMU_TLB_LFU:
		for (i = 0; i < t->nways; i++) {
			r = seq_load32(&set->rep[i]);
			if (i == 0 || r < best_r || (r == best_r &&
			    tlb_age(tick, set->way[i].ins) > best_age)) {
				best = i;
				best_r = r;
				best_age = tlb_age(tick, set->way[i].ins);
			}
		}
		return best;
	case SMMU_TLB_CLOCK:
		for (;;) {
			i = set->hand;
			set->hand = (uint8_t)((i + 1) % t->nways);
			if (seq_load32(&set->rep[i]) == 0)
				return i;
			seq_store32(&set->rep[i], 0);
		}
	case SMMU_TLB_2Q:
	default:
		for (i = 0; i < t->nways; i++)
			if (seq_load32(&set->rep[i]) == 0)
				nin++;
			else
				nam++;
		/* Oldest A1in if over kin or if Am is empty, else LRU of Am. */
		found = false;
		for (i = 0; i < t->nways; i++) {
			r = seq_load32(&set->rep[i]);
			if ((nin > t->kin || nam == 0) != (r == 0))
				continue;
			r = tlb_age(tick, r == 0 ? set->way[i].ins : r);
			if (!found || r > best_age) {
				best = i;
				best_age = r;
				found = true;
			}
		}
		return best;
	}
}

/* 2Q: remove key fingerprint h from A1out; true if it was there. */
static bool
tlb_ghost_take(const struct smmu_tlb *t, struct tlb_set *set, uint32_t h)
{
	unsigned i;

	for (i = 0; i < t->nghost; i++)
		if (set->ghost[i] == h) {
			set->ghost[i] = 0;
			return true;
		}
	return false;
}

/* 2Q: remember an evicted A1in key in A1out, replacing the oldest. */
static void
tlb_ghost_push(const struct smmu_tlb *t, struct tlb_set *set, uint32_t h)
{
	set->ghost[set->ghost_pos] = h;
	set->ghost_pos = (uint8_t)((set->ghost_pos + 1) % t->nghost);
}

/*
 * The generation check.  A caller reads smmu_tlb_gen(), walks the tables,
 * then inserts.  If a TLBI ran in between, the walk may have read the old
 * tables, and inserting its result after the TLBI finished scanning would
 * resurrect a stale translation.  Every invalidation therefore bumps gen
 * *before* it scans, and the insert compares gen under the target set's
 * writer lock.  Either the invalidation's bump is visible to the insert
 * (dropped), or the insert's locked sequence and size bit are visible to
 * the scan, which then sees (and removes) the entry: each side writes
 * (insert: sequence, size bit; invalidation: gen) and then reads the
 * other's word with seq_cst operations, and in a single total order both
 * reads cannot miss both writes (Dekker).  Seq_cst operations rather than
 * fences, because ThreadSanitizer does not model fences.
 */
bool
smmu_tlb_insert(struct smmu_tlb *t, const struct smmu_tlb_entry *e,
    uint64_t gen)
{
	struct tlb_set *set;
	struct tlb_way *w;
	uint64_t tag, vtag, h;
	uint32_t id, vid, meta, ins;
	unsigned kind, i, s = e->size_log2;
	bool added, am = false;

	if (s < TLB_MIN_SIZE || s > TLB_MAX_SIZE ||
	    (e->in & bits_low(s)) != 0 || e->level > 3)
		return false;
	if (e->flags & SMMU_TLB_F_IPA)
		kind = TLB_K_IPA;
	else if (e->flags & SMMU_TLB_F_GLOBAL)
		kind = TLB_K_VAG;
	else
		kind = TLB_K_VA;
	tag = tlb_tag(e->in, s, kind);
	id = tlb_id(kind, e->vmid, e->asid);
	meta = e->perm | (uint32_t)s << TLB_META_SIZE_SHIFT |
	    (uint32_t)e->level << TLB_META_LEVEL_SHIFT;
	h = tlb_hash(tag, id);
	set = tlb_set_of(t, h);

	seq_write_lock(&set->seq);
	/* Make the locked (odd) sequence part of the seq_cst order. */
	(void)__atomic_fetch_add(&set->seq, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < t->nways; i++)
		if (seq_load64(&set->way[i].tag) == tag &&
		    seq_load32(&set->way[i].id) == id)
			break;
	added = i == t->nways;
	if (added)
		tlb_live_inc(t, kind, s);
	if (__atomic_load_n(&t->gen, __ATOMIC_SEQ_CST) != gen) {
		if (added)
			tlb_live_dec(t, kind, s);
		seq_write_unlock(&set->seq);
		return false;
	}
	if (added) {
		if (t->policy == SMMU_TLB_2Q)
			am = tlb_ghost_take(t, set, tlb_ghost_hash(h));
		i = tlb_victim(t, set);
		vtag = seq_load64(&set->way[i].tag);
		vid = seq_load32(&set->way[i].id);
		if (vtag & TLB_TAG_VALID) {
			if (t->policy == SMMU_TLB_2Q &&
			    seq_load32(&set->rep[i]) == 0)
				tlb_ghost_push(t, set,
				    tlb_ghost_hash(tlb_hash(vtag, vid)));
			tlb_live_dec(t, tlb_tag_kind(vtag), tlb_tag_size(vtag));
			tlb_count(t, TLB_C_EVICTIONS, 1);
		}
	}
	w = &set->way[i];
	seq_store64(&w->tag, tag);
	seq_store32(&w->id, id);
	seq_store64(&w->out, e->out);
	seq_store64(&w->ipa, e->ipa);
	seq_store32(&set->meta[i], meta);
	tlb_fp_set(set, i, tlb_fp(h));
	if (added) {
		/* A replaced key keeps its replacement state. */
		ins = tlb_tick_next(set);
		w->ins = ins;
		switch (t->policy) {
		case SMMU_TLB_LRU:
			seq_store32(&set->rep[i], ins);
			break;
		case SMMU_TLB_2Q:
			seq_store32(&set->rep[i], am ? ins : 0);
			break;
		default:
			seq_store32(&set->rep[i], 0);
			break;
		}
	}
	seq_write_unlock(&set->seq);
	tlb_count(t, TLB_C_INSERTIONS, 1);
	return true;
}

/* True if the way (tag, id, meta) is one inv removes. */
static inline bool
tlb_inv_match(const struct tlb_inv *inv, uint64_t tag, uint32_t id,
    uint32_t meta)
{
	unsigned kind = tlb_tag_kind(tag), s;
	uint64_t base;

	if (!(tag & TLB_TAG_VALID) || !(inv->kinds & (1u << kind)))
		return false;
	if (!inv->any_vmid && (uint16_t)id != inv->vmid)
		return false;
	if (kind == TLB_K_VA && !inv->any_asid && (id >> 16) != inv->asid)
		return false;
	if (inv->ttl != 0 && (meta >> TLB_META_LEVEL_SHIFT) != inv->ttl)
		return false;
	if (inv->range) {
		/* An entry is hit anywhere inside its block (4.4). */
		s = tlb_tag_size(tag);
		base = tag & ~bits_low(s);
		if (base > inv->last || base + bits_low(s) < inv->first)
			return false;
	}
	return true;
}

/*
 * Remove the ways of set that inv matches; returns how many.  A lock-free
 * pre-check skips sets with nothing to remove, so an invalidation does
 * not disturb readers of unaffected sets.
 */
static unsigned
tlb_set_inv(struct smmu_tlb *t, struct tlb_set *set,
    const struct tlb_inv *inv)
{
	unsigned i, n = 0;
	uint64_t tag;
	bool any;
	seq_t s;

	/*
	 * Seq_cst, for the generation argument of smmu_tlb_insert(); a
	 * writer at work or a changed sequence just means taking the lock.
	 * An empty set (all fingerprints 0) is told by line 0 alone.
	 */
	s = __atomic_load_n(&set->seq, __ATOMIC_SEQ_CST);
	if (!(s & 1)) {
		any = false;
		if (seq_load64(&set->fp) != 0)
			for (i = 0; i < t->nways && !any; i++)
				any = tlb_inv_match(inv,
				    seq_load64(&set->way[i].tag),
				    seq_load32(&set->way[i].id),
				    seq_load32(&set->meta[i]));
		if (!any && !seq_read_retry(&set->seq, s))
			return 0;
	}

	seq_write_lock(&set->seq);
	for (i = 0; i < t->nways; i++) {
		tag = seq_load64(&set->way[i].tag);
		if (!tlb_inv_match(inv, tag, seq_load32(&set->way[i].id),
		    seq_load32(&set->meta[i])))
			continue;
		seq_store64(&set->way[i].tag, 0);
		seq_store32(&set->way[i].id, 0);
		tlb_fp_set(set, i, 0);
		tlb_live_dec(t, tlb_tag_kind(tag), tlb_tag_size(tag));
		n++;
	}
	seq_write_unlock(&set->seq);
	return n;
}

/*
 * Range invalidation by probing: for each kind and present size, the set
 * of each aligned block overlapping the range.  Returns false (nothing
 * done) when that takes more probes than a full scan, or when non-global
 * VA entries must be matched for any ASID (their sets depend on it).
 */
static bool
tlb_inv_probe(struct smmu_tlb *t, const struct tlb_inv *inv,
    unsigned *ret_n)
{
	uint64_t m[TLB_NR_KINDS], mk, total = 0, b, first, last;
	unsigned k, s, n = 0;
	uint32_t id;

	for (k = 0; k < TLB_NR_KINDS; k++)
		m[k] = (inv->kinds & (1u << k)) ?
		    __atomic_load_n(&t->mask[k], __ATOMIC_SEQ_CST) : 0;
	if (m[TLB_K_VA] != 0 && inv->any_asid)
		return false;
	for (k = 0; k < TLB_NR_KINDS; k++)
		for (mk = m[k]; mk != 0; mk &= mk - 1) {
			s = (unsigned)__builtin_ctzll(mk);
			total += ((inv->last & ~bits_low(s)) -
			    (inv->first & ~bits_low(s))) >> s;
			total++;
			if (total > t->nsets)
				return false;
		}
	for (k = 0; k < TLB_NR_KINDS; k++) {
		id = tlb_id(k, inv->vmid, inv->asid);
		for (mk = m[k]; mk != 0; mk &= mk - 1) {
			s = (unsigned)__builtin_ctzll(mk);
			first = inv->first & ~bits_low(s);
			last = inv->last & ~bits_low(s);
			for (b = first;; b += (uint64_t)1 << s) {
				n += tlb_set_inv(t, tlb_set_of(t,
				    tlb_hash(tlb_tag(b, s, k), id)), inv);
				if (b == last)
					break;
			}
		}
	}
	*ret_n = n;
	return true;
}

/* Run an invalidation: bump the generation, then remove what inv says. */
static unsigned
tlb_inv_run(struct smmu_tlb *t, const struct tlb_inv *inv)
{
	unsigned n = 0;
	uint32_t i;

	/* Before the scan: see smmu_tlb_insert(). */
	__atomic_fetch_add(&t->gen, 1, __ATOMIC_SEQ_CST);
	if (!inv->range || !tlb_inv_probe(t, inv, &n))
		for (i = 0; i < t->nsets; i++)
			n += tlb_set_inv(t, &t->sets[i], inv);
	if (n != 0)
		tlb_count(t, TLB_C_INVALIDATIONS, n);
	return n;
}

/* Fill the range and TTL of inv; len = 0 is the single address addr. */
static void
tlb_inv_range(struct tlb_inv *inv, uint64_t addr, uint64_t len,
    unsigned ttl)
{
	inv->range = true;
	inv->first = addr;
	if (len == 0)
		inv->last = addr;
	else if (len - 1 > UINT64_MAX - addr)
		inv->last = UINT64_MAX;
	else
		inv->last = addr + (len - 1);
	/* TTL is 2 bits, 1..3 a level; anything else over-invalidates. */
	inv->ttl = ttl <= 3 ? ttl : 0;
}

#define TLB_KINDS_VA ((1u << TLB_K_VA) | (1u << TLB_K_VAG))
#define TLB_KINDS_ALL (TLB_KINDS_VA | (1u << TLB_K_IPA))

unsigned
smmu_tlb_inv_all(struct smmu_tlb *t)
{
	struct tlb_inv inv = { .kinds = TLB_KINDS_ALL, .any_vmid = true,
	    .any_asid = true };

	return tlb_inv_run(t, &inv);
}

unsigned
smmu_tlb_inv_vmid(struct smmu_tlb *t, uint16_t vmid)
{
	struct tlb_inv inv = { .kinds = TLB_KINDS_ALL, .vmid = vmid,
	    .any_asid = true };

	return tlb_inv_run(t, &inv);
}

unsigned
smmu_tlb_inv_nh_all(struct smmu_tlb *t, uint16_t vmid)
{
	struct tlb_inv inv = { .kinds = TLB_KINDS_VA, .vmid = vmid,
	    .any_asid = true };

	return tlb_inv_run(t, &inv);
}

unsigned
smmu_tlb_inv_asid(struct smmu_tlb *t, uint16_t vmid, uint16_t asid)
{
	/* NH_ASID leaves global entries alone (3.17, 4.4.2). */
	struct tlb_inv inv = { .kinds = 1u << TLB_K_VA, .vmid = vmid,
	    .asid = asid };

	return tlb_inv_run(t, &inv);
}

unsigned
smmu_tlb_inv_va(struct smmu_tlb *t, uint16_t vmid, uint16_t asid,
    uint64_t addr, uint64_t len, unsigned ttl)
{
	/* NH_VA must also remove global entries for the address (4.4.2). */
	struct tlb_inv inv = { .kinds = TLB_KINDS_VA, .vmid = vmid,
	    .asid = asid };

	tlb_inv_range(&inv, addr, len, ttl);
	return tlb_inv_run(t, &inv);
}

unsigned
smmu_tlb_inv_vaa(struct smmu_tlb *t, uint16_t vmid, uint64_t addr,
    uint64_t len, unsigned ttl)
{
	struct tlb_inv inv = { .kinds = TLB_KINDS_VA, .vmid = vmid,
	    .any_asid = true };

	tlb_inv_range(&inv, addr, len, ttl);
	return tlb_inv_run(t, &inv);
}

unsigned
smmu_tlb_inv_ipa(struct smmu_tlb *t, uint16_t vmid, uint64_t addr,
    uint64_t len, unsigned ttl)
{
	/* S2_IPA: stage-2-only entries; combined ones need not go (4.4.3). */
	struct tlb_inv inv = { .kinds = 1u << TLB_K_IPA, .vmid = vmid };

	tlb_inv_range(&inv, addr, len, ttl);
	return tlb_inv_run(t, &inv);
}

void
smmu_tlb_count_hit(struct smmu_tlb *t)
{
	tlb_count(t, TLB_C_HITS, 1);
}

void
smmu_tlb_stats(const struct smmu_tlb *t, struct smmu_cache_stats *ret)
{
	uint64_t v[TLB_C_NR] = { 0 }, entries = 0;
	unsigned i, c, k, s;

	for (i = 0; i < TSLOT_NR + 1; i++)
		for (c = 0; c < TLB_C_NR; c++)
			v[c] += __atomic_load_n(&t->ctr[i].v[c],
			    __ATOMIC_RELAXED);
	for (k = 0; k < TLB_NR_KINDS; k++)
		for (s = 0; s < 64; s++)
			entries += __atomic_load_n(&t->count[k][s],
			    __ATOMIC_RELAXED);
	ret->hits = v[TLB_C_HITS];
	ret->misses = v[TLB_C_MISSES];
	ret->insertions = v[TLB_C_INSERTIONS];
	ret->evictions = v[TLB_C_EVICTIONS];
	ret->invalidations = v[TLB_C_INVALIDATIONS];
	ret->entries = entries;
	ret->capacity = (uint64_t)t->nsets * t->nways;
}
