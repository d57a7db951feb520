/*
 * domain.c - host-managed translation: a stream table, STEs, CDs and
 * AArch64 translation tables written into a table area of guest memory,
 * as a driver would (SMMUv3 sections 3.3, 5.2, 5.4; Arm ARM D8.2-D8.4;
 * SMMUV3.md sections 2-5).
 *
 * Layout of the area.  A page allocator hands out granule-sized pages: a
 * bitmap of the area's pages, single pages from a FIFO free list (so a
 * freed table is reused as late as possible, see "Freed tables" below),
 * runs of 2^n pages as the lowest run aligned to its size in absolute
 * guest-physical terms (as tables must be).  Pages are zeroed when
 * allocated; a table is only freed once all its descriptors are invalid.
 * In it:
 *  - the stream table: linear (64-byte STEs) when it covers fewer than 7
 *    StreamID bits, else 2-level with SPLIT = 8: an L1 table of L1STDs
 *    and, allocated when the first stream of a group of 256 attaches and
 *    freed when the last detaches, L2 tables of 2^MIN(L, 8) STEs;
 *  - one 64-byte CD per stage-1 stream, packed into shared CD pages;
 *  - per stream a start table (up to 16 concatenated pages for stage 2)
 *    and next-level tables created on map and freed when they empty.
 *
 * Host bookkeeping mirrors only what the tables cannot tell cheaply: which
 * StreamIDs are attached (an array of 256-stream chunks, one per L2
 * table), the ASID/VMID tags in use, the CD slots, and per table page the
 * number of valid descriptors it holds, so an emptied table is found
 * without rescanning it.  Everything else (which addresses are mapped,
 * where, with what permissions) is read back from the descriptors.
 *
 * Two-pass mutations.  map and unmap first run the same walk "dry": it
 * reads the real descriptors, stands in for tables it would create with
 * virtual ones (all invalid, or all leaves for a block it would split),
 * detects overlaps and counts the pages the real run will need.  Only
 * when that succeeds and the allocator has that many pages free does the
 * real run write anything, so a failing call changes nothing.
 *
 * Write order (what a concurrent walker may see).  Every descriptor is
 * one gmem_write64(), single-copy atomic.  A new table is filled before
 * the descriptor that links it is written; a partly unmapped block is
 * replaced by a complete table reproducing it (the same translations)
 * before any of its entries is cleared; an emptied table is unlinked
 * before its page is freed.  STEs and CDs are written with
 * gmem_write_words(), under the gmem shard write locks that the engine's
 * STE/CD fetches take for reading.
 *
 * Freed tables.  A walk that read a table descriptor just before an unmap
 * unlinked and freed that table reads the freed page afterwards: all
 * invalid, a translation fault, as for the new mapping.  It would read
 * something else only if the page had been reused meanwhile, and
 * smmu_invalidate() does not wait for walks in flight (hardware's
 * CMD_SYNC does), so the FIFO free list delays reuse until every other
 * free page has been used.  That narrows the window; closing it needs a
 * grace period from the engine.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "domain.h"
#include "smmu.h"

/* Descriptor bits (Arm ARM D8.3; SMMUV3.md 5.4). */
#define DOM_D_VALID (1ull << 0)
#define DOM_D_TABLE (1ull << 1)		/* table (L < 3) or page (L3) */
#define DOM_D_AF (1ull << 10)
#define DOM_D_NG (1ull << 11)
#define DOM_D_PXN (1ull << 53)
#define DOM_D_XN (1ull << 54)		/* stage-1 UXN, stage-2 XN */
#define DOM_D_SH_OS (2ull << 8)		/* SH[9:8] outer shareable */
#define DOM_D_SH_IS (3ull << 8)		/* SH[9:8] inner shareable */
#define DOM_D_S2AP_R (1ull << 6)
#define DOM_D_S2AP_W (1ull << 7)
/* Everything of a leaf that is not address or type: its attributes. */
#define DOM_D_ATTR_MASK (~(GENMASK64(47, 12) | 3ull))

/* MAIR attributes (Arm ARM D17.2.97): index 0 Normal WB, 1 Device. */
#define DOM_MAIR_NORMAL 0xffull		/* Normal, WB RW-allocate */
#define DOM_MAIR_DEVICE 0x04ull		/* Device-nGnRE */
#define DOM_MAIR (DOM_MAIR_NORMAL | DOM_MAIR_DEVICE << 8)
/* Stage-2 MemAttr[3:0] (SMMUV3.md 5.4). */
#define DOM_S2_NORMAL 0xfull		/* Normal, Inner/Outer WB */
#define DOM_S2_DEVICE 0x1ull		/* Device-nGnRE */

/* 2-level stream tables use SPLIT = 8 (STRTAB_BASE_CFG.SPLIT). */
#define DOM_SPLIT 8
/* Largest stream table a domain builds: 2^24 StreamIDs. */
#define DOM_SID_BITS_MAX 24
/* Tag (ASID/VMID) bitmap covers 16-bit values. */
#define DOM_NR_TAGS 65536
#define DOM_CD_SIZE 64
#define DOM_STE_SIZE 64

/*
 * Page allocator over the table area.  The bitmap is the truth; single
 * pages are handed out from a FIFO free list (a ring of page indexes, at
 * most one entry per page, marked in inring), so a freed table page is
 * reused as late as possible: only after every page freed before it.
 * Entries of pages taken by a multi-page allocation go stale and are
 * skipped when they come out.
 */
struct dom_pool {
	uint64_t base;		/* area_gpa */
	uint64_t npages;
	unsigned shift;		/* granule log2 */
	uint64_t *bits;		/* 1 = page in use (also past npages) */
	uint64_t *inring;	/* 1 = page has an entry in the ring */
	uint64_t nwords;
	uint64_t nused;
	uint32_t *ring;		/* FIFO of free page indexes */
	uint64_t head;		/* next entry out (mod npages) */
	uint64_t count;		/* entries in the ring */
	uint16_t *nvalid;	/* valid descriptors of a (non-root) table */
};

/* Translation geometry of one stream (SMMUV3.md 5.1, 5.3). */
struct dom_geom {
	uint8_t g;		/* granule log2 */
	uint8_t s;		/* index bits per level: g - 3 */
	uint8_t start;		/* start level */
	uint8_t w0;		/* index bits of the start level */
	uint8_t ia;		/* input address bits */
	uint8_t blocks;		/* bit L set: blocks used at level L */
	bool s2;
};

struct dom_stream {
	uint32_t sid;
	uint16_t tag;		/* ASID, and VMID when the SMMU has S2 */
	struct dom_geom geo;
	bool has_window;
	uint64_t win_start;	/* inclusive */
	uint64_t win_end;	/* inclusive */
	uint64_t ste;		/* STE address */
	uint64_t cd;		/* CD address (stage 1, i.e. !geo.s2) */
	uint64_t root;		/* start table */
	unsigned root_pages;
	uint64_t nr_pages;	/* table pages, root included */
	uint64_t mapped;	/* bytes mapped */
};

/* The streams of one L2 stream table (or of the linear table). */
struct dom_chunk {
	uint64_t gpa;		/* the STEs */
	bool has_l2;		/* gpa is valid (linear: always) */
	unsigned nr_attached;
	struct dom_stream *st[];
};

/* A page of CD slots. */
struct dom_cdpage {
	struct dom_cdpage *next;
	uint64_t gpa;
	unsigned nr_used;
	uint64_t used[16];	/* up to 1024 slots (64 KB / 64 B) */
};

struct smmu_domain {
	struct smmu *s;
	struct gmem *g;
	struct smmu_features f;
	struct smmu_domain_cfg cfg;	/* sid_bits resolved */
	pthread_mutex_t lock;
	struct dom_pool pool;
	unsigned pa_bits;	/* output/table addresses stay below 2^it */
	/* Stream table. */
	bool two_level;
	unsigned chunk_bits;	/* log2 StreamIDs per chunk */
	uint64_t strtab;	/* L1 or linear table */
	unsigned strtab_pages;
	uint64_t nr_chunks;
	struct dom_chunk **chunks;
	/* Tags and CDs. */
	unsigned tag_max;
	uint64_t tags[DOM_NR_TAGS / 64];
	struct dom_cdpage *cdpages;
	struct smmu_domain_stats stats;
};

/* Which table a walk step reads: a real one or a dry-run stand-in. */
enum dom_tkind {
	DOM_T_REAL,		/* in guest memory at gpa */
	DOM_T_EMPTY,		/* would be created: all invalid */
	DOM_T_LEAVES		/* would split a block: all valid leaves */
};

struct dom_tbl {
	enum dom_tkind kind;
	uint64_t gpa;
};

/* One map or unmap, dry or real. */
struct dom_op {
	struct dom_stream *st;
	bool dry;
	uint64_t need;		/* pages the real run will allocate */
	uint64_t va0;		/* map: first input address */
	uint64_t pa0;		/* map: its output address */
	uint64_t attrs;		/* map: leaf attribute bits */
	uint64_t unmapped;	/* unmap: bytes that were mapped */
	uint64_t splits;	/* unmap: blocks split */
};

/* State of smmu_domain_foreach(). */
struct dom_fe {
	int (*cb)(void *, const struct smmu_domain_range *);
	void *arg;
	bool have;
	struct smmu_domain_range cur;
};

static const uint64_t dom_zero[512];	/* 4 KiB of zeros */

/* ---- page allocator --------------------------------------------------- */

/* Bytes of one page. */
static inline uint64_t
dom_page(const struct smmu_domain *d)
{
	return (uint64_t)1 << d->pool.shift;
}

/* Index of the page holding gpa. */
static inline uint64_t
pool_index(const struct dom_pool *p, uint64_t gpa)
{
	return (gpa - p->base) >> p->shift;
}

static inline bool
pool_used(const struct dom_pool *p, uint64_t i)
{
	return (p->bits[i / 64] >> (i % 64)) & 1;
}

/* Append free page i to the FIFO unless it already has an entry. */
static void
pool_push(struct dom_pool *p, uint64_t i)
{
	if ((p->inring[i / 64] >> (i % 64)) & 1)
		return;
	p->inring[i / 64] |= 1ull << (i % 64);
	p->ring[(p->head + p->count) % p->npages] = (uint32_t)i;
	p->count++;
}

/* Set up the allocator for npages pages at base; 0 or SMMU_ERR_NOMEM. */
static int
pool_init(struct dom_pool *p, uint64_t base, uint64_t npages, unsigned shift)
{
	uint64_t i;

	p->base = base;
	p->npages = npages;
	p->shift = shift;
	p->nwords = (npages + 63) / 64;
	p->bits = calloc(p->nwords, sizeof(*p->bits));
	p->inring = calloc(p->nwords, sizeof(*p->inring));
	p->ring = calloc(npages, sizeof(*p->ring));
	p->nvalid = calloc(npages, sizeof(*p->nvalid));
	if (p->bits == NULL || p->inring == NULL || p->ring == NULL ||
	    p->nvalid == NULL)
		return SMMU_ERR_NOMEM;
	/* Bits past the end read as used, so scans need no bound check. */
	for (i = npages; i < p->nwords * 64; i++)
		p->bits[i / 64] |= 1ull << (i % 64);
	for (i = 0; i < npages; i++)
		pool_push(p, i);
	return 0;
}

static void
pool_fini(struct dom_pool *p)
{
	free(p->bits);
	free(p->inring);
	free(p->ring);
	free(p->nvalid);
}

/* Mark pages [i, i + n) used or free. */
static void
pool_mark(struct dom_pool *p, uint64_t i, uint64_t n, bool used)
{
	uint64_t k;

	for (k = i; k < i + n; k++) {
		if (used)
			p->bits[k / 64] |= 1ull << (k % 64);
		else
			p->bits[k / 64] &= ~(1ull << (k % 64));
	}
}

/*
 * Find n free pages: one page from the head of the FIFO (dropping stale
 * entries), or for n > 1 (a power of two) the lowest run aligned to n
 * pages in absolute guest-physical terms (a table is aligned to its
 * size).  Returns true with *ret_i.
 */
static bool
pool_find(struct dom_pool *p, uint64_t n, uint64_t *ret_i)
{
	uint64_t i, k, first;

	if (n == 1) {
		while (p->count != 0) {
			i = p->ring[p->head];
			p->head = (p->head + 1) % p->npages;
			p->count--;
			p->inring[i / 64] &= ~(1ull << (i % 64));
			if (!pool_used(p, i)) {
				*ret_i = i;
				return true;
			}
		}
		/* Every free page has an entry: the area is full. */
		return false;
	}
	first = (n - ((p->base >> p->shift) & (n - 1))) & (n - 1);
	for (i = first; i + n <= p->npages; i += n) {
		for (k = 0; k < n && !pool_used(p, i + k); k++)
			;
		if (k == n) {
			*ret_i = i;
			return true;
		}
	}
	return false;
}

/*
 * Zero bytes at gpa: with single-copy atomic 64-bit stores for a
 * translation table (walkers read descriptors lock-free, and one that
 * stalled in a freed table may still read it), else in bulk under the
 * gmem shard locks (stream tables and CDs, which the engine reads under
 * them).  Returns 0 or SMMU_ERR_RANGE.
 */
static int
dom_zero_fill(struct smmu_domain *d, uint64_t gpa, uint64_t bytes,
    bool table)
{
	uint64_t off, len;

	for (off = 0; off < bytes; off += len) {
		if (table) {
			len = 8;
			if (gmem_write64(d->g, gpa + off, 0) != 0)
				return SMMU_ERR_RANGE;
			continue;
		}
		len = bytes - off < sizeof(dom_zero) ? bytes - off :
		    sizeof(dom_zero);
		if (gmem_write(d->g, gpa + off, dom_zero, len) != 0)
			return SMMU_ERR_RANGE;
	}
	return 0;
}

/*
 * Allocate n zeroed pages (see pool_find()) for the domain, for a
 * translation table if table is set (see dom_zero_fill()).  Returns 0
 * with *ret_gpa, SMMU_ERR_NOMEM (area full) or SMMU_ERR_RANGE.
 */
static int
dom_pages_alloc(struct smmu_domain *d, uint64_t n, bool table,
    uint64_t *ret_gpa)
{
	struct dom_pool *p = &d->pool;
	uint64_t i, gpa;

	if (!pool_find(p, n, &i))
		return SMMU_ERR_NOMEM;
	gpa = p->base + (i << p->shift);
	if (dom_zero_fill(d, gpa, n << p->shift, table) != 0) {
		if (n == 1)
			pool_push(p, i);	/* still free */
		return SMMU_ERR_RANGE;
	}
	pool_mark(p, i, n, true);
	memset(&p->nvalid[i], 0, n * sizeof(*p->nvalid));
	p->nused += n;
	if ((p->nused << p->shift) > d->stats.peak_table_bytes)
		d->stats.peak_table_bytes = p->nused << p->shift;
	*ret_gpa = gpa;
	return 0;
}

/* Return n pages at gpa to the allocator. */
static void
dom_pages_free(struct smmu_domain *d, uint64_t gpa, uint64_t n)
{
	struct dom_pool *p = &d->pool;
	uint64_t i = pool_index(p, gpa), k;

	pool_mark(p, i, n, false);
	for (k = i; k < i + n; k++)
		pool_push(p, k);
	p->nused -= n;
}

/* Pages holding a table of bytes (a power of two). */
static uint64_t
dom_bytes_pages(const struct smmu_domain *d, uint64_t bytes)
{
	return bytes <= dom_page(d) ? 1 : bytes >> d->pool.shift;
}

/* ---- descriptors ---------------------------------------------------- */

/* Shift of the region one descriptor at level maps (SMMUV3.md 5.1). */
static inline unsigned
dom_shift(const struct dom_geom *geo, unsigned level)
{
	return geo->g + (3 - level) * geo->s;
}

/* Index bits of a table at level. */
static inline unsigned
dom_index_bits(const struct dom_geom *geo, unsigned level)
{
	return level == geo->start ? geo->w0 : geo->s;
}

/*
 * Address field of a descriptor for pa: [47:g], and for the 64K granule
 * OA[51:48] in bits [15:12] (SMMUV3.md 5.4, common mistake 4).
 */
static inline uint64_t
dom_addr_enc(unsigned g, uint64_t pa)
{
	if (g == 16)
		return (pa & GENMASK64(47, 16)) | (BITS(pa, 51, 48) << 12);
	return pa & GENMASK64(47, g);
}

/* Inverse of dom_addr_enc(). */
static inline uint64_t
dom_addr_dec(unsigned g, uint64_t desc)
{
	if (g == 16)
		return (desc & GENMASK64(47, 16)) | (BITS(desc, 15, 12) << 48);
	return desc & GENMASK64(47, g);
}

/* Write one descriptor (single-copy atomic); 0 or SMMU_ERR_RANGE. */
static inline int
dom_write(struct smmu_domain *d, uint64_t gpa, uint64_t val)
{
	return gmem_write64(d->g, gpa, val) != 0 ? SMMU_ERR_RANGE : 0;
}

/*
 * Write the table descriptor val that links a table just filled: the
 * release fence orders the table's contents before the link, so a walker
 * that follows the link (an address dependency) reads the finished
 * table.
 */
static inline int
dom_link(struct smmu_domain *d, uint64_t gpa, uint64_t val)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return dom_write(d, gpa, val);
}

/*
 * Leaf attribute bits for perm (SMMU_PERM_* | SMMU_DOMAIN_PRIV) and attr
 * on stream st (SMMUV3.md 5.4, 5.5).  Stage 1: AP[2:1] = 00 RW priv,
 * 01 RW all, 10 RO priv, 11 RO all; nG = 1 so entries are ASID-tagged;
 * AttrIndx selects the MAIR entry.  Stage 2: S2AP bit 6 read, bit 7
 * write, MemAttr[5:2].  XN (and PXN) forbid execution.
 */
static uint64_t
dom_leaf_attrs(const struct dom_stream *st, unsigned perm, unsigned attr)
{
	bool dev = attr == SMMU_DOMAIN_ATTR_DEVICE;
	bool x = perm & SMMU_PERM_X, w = perm & SMMU_PERM_W;
	uint64_t v = DOM_D_AF | (dev ? DOM_D_SH_OS : DOM_D_SH_IS);

	if (st->geo.s2) {
		v |= FIELD_PREP(5, 2, dev ? DOM_S2_DEVICE : DOM_S2_NORMAL);
		if (perm & SMMU_PERM_R)
			v |= DOM_D_S2AP_R;
		if (w)
			v |= DOM_D_S2AP_W;
		if (!x)
			v |= DOM_D_XN;
		return v;
	}
	v |= DOM_D_NG | FIELD_PREP(4, 2, dev ? 1 : 0);
	if (perm & SMMU_DOMAIN_PRIV) {
		v |= FIELD_PREP(7, 6, w ? 0 : 2);
		v |= DOM_D_XN;		/* UXN: no user access at all */
		if (!x)
			v |= DOM_D_PXN;
	} else {
		v |= FIELD_PREP(7, 6, w ? 1 : 3);
		if (!x)
			v |= DOM_D_XN | DOM_D_PXN;
	}
	return v;
}

/* Permission and attribute of leaf descriptor desc (dom_leaf_attrs()). */
static void
dom_leaf_perm(const struct dom_stream *st, uint64_t desc, unsigned *perm,
    unsigned *attr)
{
	unsigned p = 0;

	if (st->geo.s2) {
		if (desc & DOM_D_S2AP_R)
			p |= SMMU_PERM_R;
		if (desc & DOM_D_S2AP_W)
			p |= SMMU_PERM_W;
		if (!(desc & DOM_D_XN))
			p |= SMMU_PERM_X;
		/* MemAttr[3:2] = 0b00 is Device. */
		*attr = BITS(desc, 5, 4) == 0 ? SMMU_DOMAIN_ATTR_DEVICE :
		    SMMU_DOMAIN_ATTR_NORMAL;
	} else {
		p = SMMU_PERM_R;
		if (!BIT(desc, 7))
			p |= SMMU_PERM_W;
		if (!BIT(desc, 6)) {
			p |= SMMU_DOMAIN_PRIV;
			if (!(desc & DOM_D_PXN))
				p |= SMMU_PERM_X;
		} else if (!(desc & DOM_D_XN)) {
			p |= SMMU_PERM_X;
		}
		*attr = BITS(desc, 4, 2) == 1 ? SMMU_DOMAIN_ATTR_DEVICE :
		    SMMU_DOMAIN_ATTR_NORMAL;
	}
	*perm = p;
}

/* Read entry idx of table t at level (dry-run stand-ins included). */
static int
dom_tbl_read(const struct smmu_domain *d, const struct dom_tbl *t,
    unsigned idx, unsigned level, uint64_t *ret)
{
	switch (t->kind) {
	case DOM_T_REAL:
		if (gmem_read64(d->g, t->gpa + 8 * (uint64_t)idx, ret) != 0)
			return SMMU_ERR_RANGE;
		return 0;
	case DOM_T_EMPTY:
		*ret = 0;
		return 0;
	default:
		/* A leaf: a page at L3, else a block. */
		*ret = DOM_D_VALID | (level == 3 ? DOM_D_TABLE : 0);
		return 0;
	}
}

/*
 * The next-level table a table descriptor read back from guest memory
 * points to.  It must be a page of the area that is in use: anything else
 * means the area was written behind the domain's back, and using it would
 * index the host-side page arrays out of bounds.  Returns 0 or
 * SMMU_ERR_CORRUPT.
 */
static int
dom_child(const struct smmu_domain *d, const struct dom_geom *geo,
    uint64_t desc, uint64_t *ret_gpa)
{
	const struct dom_pool *p = &d->pool;
	uint64_t gpa = dom_addr_dec(geo->g, desc);

	if (gpa < p->base || pool_index(p, gpa) >= p->npages ||
	    !pool_used(p, pool_index(p, gpa)))
		return SMMU_ERR_CORRUPT;
	*ret_gpa = gpa;
	return 0;
}

/* Count one more (or one less) valid descriptor in non-root table gpa. */
static inline void
dom_nvalid_add(struct smmu_domain *d, const struct dom_stream *st,
    uint64_t gpa, int delta)
{
	if (gpa != st->root)
		d->pool.nvalid[pool_index(&d->pool, gpa)] += delta;
}

/* Allocate one next-level table page for st. */
static int
dom_table_alloc(struct smmu_domain *d, struct dom_stream *st,
    uint64_t *ret_gpa)
{
	int r;

	r = dom_pages_alloc(d, 1, true, ret_gpa);
	if (r != 0)
		return r;
	st->nr_pages++;
	d->stats.tables_allocated++;
	return 0;
}

/* Free next-level table page gpa of st. */
static void
dom_table_free(struct smmu_domain *d, struct dom_stream *st, uint64_t gpa)
{
	dom_pages_free(d, gpa, 1);
	st->nr_pages--;
	d->stats.tables_freed++;
}

/* ---- map ------------------------------------------------------------ */

/*
 * Map [va, end) through table t at level (SMMUV3.md 5.1): a block where
 * the whole entry is covered, the output is aligned and blocks are legal
 * at the level, a page at level 3, else a next-level table (created when
 * missing, linked only once filled).  A dry run reports any valid leaf in
 * the range as SMMU_ERR_EXIST and counts the tables it would create.
 */
static int
dom_map_tbl(struct smmu_domain *d, struct dom_op *op, const struct dom_tbl *t,
    unsigned level, uint64_t va, uint64_t end)
{
	const struct dom_geom *geo = &op->st->geo;
	unsigned shift = dom_shift(geo, level), idx;
	uint64_t span = (uint64_t)1 << shift;
	uint64_t mask = bits_low(dom_index_bits(geo, level));
	uint64_t a, next, desc, pa, child, daddr;
	struct dom_tbl ct;
	int r;

	/* Pages never need a table: nothing to count below. */
	if (op->dry && t->kind == DOM_T_EMPTY && level == 3)
		return 0;
	for (a = va; a < end; a = next) {
		next = (a & ~(span - 1)) + span;
		if (next > end)
			next = end;
		idx = (unsigned)((a >> shift) & mask);
		daddr = t->gpa + 8 * (uint64_t)idx;
		r = dom_tbl_read(d, t, idx, level, &desc);
		if (r != 0)
			return r;
		pa = op->pa0 + (a - op->va0);
		if (desc & DOM_D_VALID) {
			if (level == 3 || !(desc & DOM_D_TABLE))
				return SMMU_ERR_EXIST;
			ct.kind = DOM_T_REAL;
			r = dom_child(d, geo, desc, &ct.gpa);
			if (r == 0)
				r = dom_map_tbl(d, op, &ct, level + 1, a,
				    next);
			if (r != 0)
				return r;
			continue;
		}
		if (level == 3 || (next - a == span &&
		    (pa & (span - 1)) == 0 && (geo->blocks & (1u << level)))) {
			if (op->dry)
				continue;
			r = dom_write(d, daddr, op->attrs |
			    dom_addr_enc(geo->g, pa) | DOM_D_VALID |
			    (level == 3 ? DOM_D_TABLE : 0));
			if (r != 0)
				return r;
			dom_nvalid_add(d, op->st, t->gpa, 1);
			continue;
		}
		if (op->dry) {
			op->need++;
			ct.kind = DOM_T_EMPTY;
			ct.gpa = 0;
			r = dom_map_tbl(d, op, &ct, level + 1, a, next);
			if (r != 0)
				return r;
			continue;
		}
		r = dom_table_alloc(d, op->st, &child);
		if (r != 0)
			return r;
		ct.kind = DOM_T_REAL;
		ct.gpa = child;
		r = dom_map_tbl(d, op, &ct, level + 1, a, next);
		if (r == 0)
			r = dom_link(d, daddr, dom_addr_enc(geo->g, child) |
			    DOM_D_VALID | DOM_D_TABLE);
		if (r != 0)
			return r;
		dom_nvalid_add(d, op->st, t->gpa, 1);
	}
	return 0;
}

/* ---- unmap ---------------------------------------------------------- */

/*
 * Replace the block desc in entry daddr of table t at level by a table
 * of next-level leaves reproducing it (same attributes, consecutive
 * output), written in full before the swap so walkers see the same
 * translations throughout.  Returns 0 with *ret_child.
 */
static int
dom_split(struct smmu_domain *d, struct dom_op *op, uint64_t daddr,
    unsigned level, uint64_t desc, uint64_t *ret_child)
{
	const struct dom_geom *geo = &op->st->geo;
	unsigned cshift = dom_shift(geo, level + 1);
	uint64_t base, attrs, child, i, n = (uint64_t)1 << geo->s;
	int r;

	/*
	 * The level below a block level is always a block level or level 3
	 * for the blocks this module creates (4K: L1 -> L2 -> L3).
	 */
	base = dom_addr_dec(geo->g, desc) & ~bits_low(dom_shift(geo, level));
	attrs = desc & DOM_D_ATTR_MASK;
	r = dom_table_alloc(d, op->st, &child);
	if (r != 0)
		return r;
	for (i = 0; i < n; i++) {
		r = dom_write(d, child + 8 * i, attrs |
		    dom_addr_enc(geo->g, base + (i << cshift)) | DOM_D_VALID |
		    (level + 1 == 3 ? DOM_D_TABLE : 0));
		if (r != 0)
			return r;
	}
	d->pool.nvalid[pool_index(&d->pool, child)] = (uint16_t)n;
	r = dom_link(d, daddr, dom_addr_enc(geo->g, child) | DOM_D_VALID |
	    DOM_D_TABLE);
	if (r != 0)
		return r;
	op->splits++;
	d->stats.splits++;
	*ret_child = child;
	return 0;
}

/*
 * Unmap [va, end) through table t at level: clear leaves wholly inside,
 * split blocks partly inside (dom_split()), recurse into tables and free
 * those left empty (descriptor cleared first).  A dry run only counts
 * the split tables needed.  Adds the bytes that were mapped to
 * op->unmapped.
 */
static int
dom_unmap_tbl(struct smmu_domain *d, struct dom_op *op,
    const struct dom_tbl *t, unsigned level, uint64_t va, uint64_t end)
{
	const struct dom_geom *geo = &op->st->geo;
	unsigned shift = dom_shift(geo, level), idx;
	uint64_t span = (uint64_t)1 << shift;
	uint64_t mask = bits_low(dom_index_bits(geo, level));
	uint64_t a, next, desc, child, daddr;
	struct dom_tbl ct;
	int r;

	for (a = va; a < end; a = next) {
		next = (a & ~(span - 1)) + span;
		if (next > end)
			next = end;
		idx = (unsigned)((a >> shift) & mask);
		daddr = t->gpa + 8 * (uint64_t)idx;
		r = dom_tbl_read(d, t, idx, level, &desc);
		if (r != 0)
			return r;
		if (!(desc & DOM_D_VALID))
			continue;
		if (level < 3 && (desc & DOM_D_TABLE)) {
			r = dom_child(d, geo, desc, &child);
			if (r != 0)
				return r;
		} else if (next - a == span) {
			/* A leaf wholly inside the range. */
			op->unmapped += span;
			if (op->dry)
				continue;
			r = dom_write(d, daddr, 0);
			if (r != 0)
				return r;
			dom_nvalid_add(d, op->st, t->gpa, -1);
			continue;
		} else if (op->dry) {
			/* A block partly inside: it will be split. */
			op->need++;
			ct.kind = DOM_T_LEAVES;
			ct.gpa = 0;
			r = dom_unmap_tbl(d, op, &ct, level + 1, a, next);
			if (r != 0)
				return r;
			continue;
		} else {
			r = dom_split(d, op, daddr, level, desc, &child);
			if (r != 0)
				return r;
		}
		ct.kind = DOM_T_REAL;
		ct.gpa = child;
		r = dom_unmap_tbl(d, op, &ct, level + 1, a, next);
		if (r != 0)
			return r;
		if (op->dry || d->pool.nvalid[pool_index(&d->pool, child)] != 0)
			continue;
		/* Emptied: unlink, then free. */
		r = dom_write(d, daddr, 0);
		if (r != 0)
			return r;
		dom_nvalid_add(d, op->st, t->gpa, -1);
		dom_table_free(d, op->st, child);
	}
	return 0;
}

/* Free every next-level table below table gpa at level (detach). */
static void
dom_free_tree(struct smmu_domain *d, struct dom_stream *st, uint64_t gpa,
    unsigned level)
{
	uint64_t i, n = (uint64_t)1 << dom_index_bits(&st->geo, level);
	uint64_t desc, child;

	if (level == 3)
		return;
	for (i = 0; i < n; i++) {
		if (gmem_read64(d->g, gpa + 8 * i, &desc) != 0)
			return;
		if ((desc & (DOM_D_VALID | DOM_D_TABLE)) !=
		    (DOM_D_VALID | DOM_D_TABLE) ||
		    dom_child(d, &st->geo, desc, &child) != 0)
			continue;
		dom_free_tree(d, st, child, level + 1);
		dom_table_free(d, st, child);
	}
}

/* ---- streams -------------------------------------------------------- */

/* The attached stream sid, or NULL. */
static struct dom_stream *
dom_stream_find(const struct smmu_domain *d, uint32_t sid)
{
	const struct dom_chunk *c;

	if (((uint64_t)sid >> d->cfg.sid_bits) != 0)
		return NULL;
	c = d->chunks[sid >> d->chunk_bits];
	if (c == NULL)
		return NULL;
	return c->st[sid & bits_low(d->chunk_bits)];
}

/* Lowest unattached StreamID; false if every one is attached. */
static bool
dom_sid_find_free(const struct smmu_domain *d, uint32_t *ret)
{
	uint64_t i, k, per = (uint64_t)1 << d->chunk_bits;
	const struct dom_chunk *c;

	for (i = 0; i < d->nr_chunks; i++) {
		c = d->chunks[i];
		if (c == NULL) {
			*ret = (uint32_t)(i << d->chunk_bits);
			return true;
		}
		if (c->nr_attached == per)
			continue;
		for (k = 0; k < per; k++) {
			if (c->st[k] == NULL) {
				*ret = (uint32_t)((i << d->chunk_bits) + k);
				return true;
			}
		}
	}
	return false;
}

/* Take the lowest free ASID/VMID tag (from 1); false if none. */
static bool
dom_tag_alloc(struct smmu_domain *d, uint16_t *ret)
{
	unsigned t;

	for (t = 1; t <= d->tag_max; t++) {
		if (!(d->tags[t / 64] & (1ull << (t % 64)))) {
			d->tags[t / 64] |= 1ull << (t % 64);
			*ret = (uint16_t)t;
			return true;
		}
	}
	return false;
}

static void
dom_tag_free(struct smmu_domain *d, uint16_t t)
{
	d->tags[t / 64] &= ~(1ull << (t % 64));
}

/* Take a 64-byte CD slot (a new CD page when all are full). */
static int
dom_cd_alloc(struct smmu_domain *d, uint64_t *ret_gpa)
{
	unsigned cap = (unsigned)(dom_page(d) / DOM_CD_SIZE), i;
	struct dom_cdpage *p;
	uint64_t gpa;
	int r;

	for (p = d->cdpages; p != NULL; p = p->next)
		if (p->nr_used < cap)
			break;
	if (p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return SMMU_ERR_NOMEM;
		r = dom_pages_alloc(d, 1, false, &gpa);
		if (r != 0) {
			free(p);
			return r;
		}
		p->gpa = gpa;
		p->next = d->cdpages;
		d->cdpages = p;
	}
	for (i = 0; i < cap; i++)
		if (!(p->used[i / 64] & (1ull << (i % 64))))
			break;
	p->used[i / 64] |= 1ull << (i % 64);
	p->nr_used++;
	*ret_gpa = p->gpa + (uint64_t)i * DOM_CD_SIZE;
	return 0;
}

/* Release the CD slot at gpa (and its page once empty). */
static void
dom_cd_free(struct smmu_domain *d, uint64_t gpa)
{
	struct dom_cdpage **pp, *p;
	uint64_t page = gpa & ~(dom_page(d) - 1);
	unsigned i = (unsigned)((gpa - page) / DOM_CD_SIZE);

	for (pp = &d->cdpages; (p = *pp) != NULL; pp = &p->next)
		if (p->gpa == page)
			break;
	if (p == NULL)
		return;
	p->used[i / 64] &= ~(1ull << (i % 64));
	if (--p->nr_used != 0)
		return;
	*pp = p->next;
	dom_pages_free(d, p->gpa, 1);
	free(p);
}

/* Largest input size a stage can use (SMMUV3.md 3, 4: TxSZ ranges). */
static unsigned
dom_ia_max(const struct smmu_domain *d, unsigned stage, unsigned g)
{
	unsigned m;

	if (stage == 1)
		return 48;	/* T0SZ >= 16: IDR5.VAX = 0 */
	/* S2T0SZ >= MAX(16 (12 for 64K), 64 - IAS); 4K/16K stop at 48. */
	m = d->f.oas;
	if (g != 16 && m > 48)
		m = 48;
	return m;
}

/*
 * Geometry of a stream of stage with ia input bits (SMMUV3.md 5.1 for
 * stage 1; 5.3 for stage 2: the deepest start level S2SL0 can encode
 * whose start table resolves at most s + 4 bits, i.e. up to 16
 * concatenated tables).  Returns the S2SL0 encoding (stage 2) or 0, or
 * -1 if no level fits.
 */
static int
dom_geom_init(struct dom_geom *geo, unsigned stage, unsigned g, unsigned ia)
{
	int l, lo, hi;
	unsigned sh;

	memset(geo, 0, sizeof(*geo));
	geo->g = (uint8_t)g;
	geo->s = (uint8_t)(g - 3);
	geo->ia = (uint8_t)ia;
	geo->s2 = stage == 2;
	/* Blocks: 4K at L1 and L2, 16K and 64K at L2 (no 52-bit L1). */
	geo->blocks = (uint8_t)(g == 12 ? (1u << 1 | 1u << 2) : 1u << 2);
	if (stage == 1) {
		geo->start = (uint8_t)(3 - (ia - 1 - g) / geo->s);
		geo->w0 = (uint8_t)(ia - dom_shift(geo, geo->start));
		return 0;
	}
	/* S2SL0 levels: 4K 2/1/0, 16K and 64K 3/2/1 (no STT, no DS). */
	lo = g == 12 ? 0 : 1;
	hi = g == 12 ? 2 : 3;
	for (l = hi; l >= lo; l--) {
		geo->start = (uint8_t)l;
		sh = dom_shift(geo, (unsigned)l);
		if (ia > sh && ia - sh <= geo->s + 4u) {
			geo->w0 = (uint8_t)(ia - sh);
			return hi - l;
		}
	}
	return -1;
}

/* TG0 / S2TG encoding of a granule: 0 4K, 1 64K, 2 16K. */
static unsigned
dom_tg(unsigned g)
{
	return g == 12 ? 0 : g == 16 ? 1 : 2;
}

/*
 * Encode the CD of stage-1 stream st (SMMUV3.md 4): TTB0 only (EPD1 = 1),
 * T0SZ, TG0, walk attributes WBRA inner shareable, IPS = OAS, AA64,
 * R = 1 (record faults), A = 1 (abort, required with TERM_MODEL), ASID.
 */
static void
dom_cd_encode(const struct smmu_domain *d, const struct dom_stream *st,
    uint64_t dw[8])
{
	memset(dw, 0, 8 * sizeof(*dw));
	dw[0] = FIELD_PREP(5, 0, 64 - st->geo.ia) |	/* T0SZ */
	    FIELD_PREP(7, 6, dom_tg(st->geo.g)) |	/* TG0 */
	    FIELD_PREP(9, 8, 1) | FIELD_PREP(11, 10, 1) | /* IR0/OR0 */
	    FIELD_PREP(13, 12, 3) |			/* SH0 inner */
	    FIELD_PREP(30, 30, 1) |			/* EPD1 */
	    FIELD_PREP(31, 31, 1) |			/* V */
	    FIELD_PREP(34, 32, smmu_pa_enc(d->f.oas)) |	/* IPS */
	    FIELD_PREP(41, 41, 1) |			/* AA64 */
	    FIELD_PREP(45, 45, 1) |			/* R */
	    FIELD_PREP(46, 46, 1) |			/* A */
	    FIELD_PREP(63, 48, st->tag);		/* ASID */
	dw[1] = FIELD_ADDR(st->root, 55, 4);		/* TTB0 */
	dw[3] = DOM_MAIR;				/* MAIR0/MAIR1 */
}

/*
 * Encode the STE of st (SMMUV3.md 3): Config S1 (0b101) with a single CD
 * (S1Fmt 0, S1CDMax 0) or S2 (0b110) with S2T0SZ, S2SL0 (sl0), S2TG,
 * S2PS = OAS, S2AA64, S2R = 1 and S2TTB; S2VMID tags both when the SMMU
 * has stage 2.  Table fetch attributes are WBRA inner shareable, SHCFG
 * uses the incoming shareability.
 */
static void
dom_ste_encode(const struct smmu_domain *d, const struct dom_stream *st,
    unsigned sl0, uint64_t dw[8])
{
	memset(dw, 0, 8 * sizeof(*dw));
	dw[1] = FIELD_PREP(45, 44, 1);		/* SHCFG incoming */
	if (d->f.s2p)
		dw[2] = FIELD_PREP(15, 0, st->tag);	/* S2VMID */
	if (!st->geo.s2) {
		dw[0] = FIELD_PREP(0, 0, 1) |		/* V */
		    FIELD_PREP(3, 1, 5) |		/* Config S1 */
		    FIELD_ADDR(st->cd, 55, 6);		/* S1ContextPtr */
		dw[1] |= FIELD_PREP(3, 2, 1) | FIELD_PREP(5, 4, 1) |
		    FIELD_PREP(7, 6, 3);		/* S1CIR/COR/CSH */
		return;
	}
	dw[0] = FIELD_PREP(0, 0, 1) | FIELD_PREP(3, 1, 6);	/* V, S2 */
	dw[2] |= FIELD_PREP(37, 32, 64 - st->geo.ia) |	/* S2T0SZ */
	    FIELD_PREP(39, 38, sl0) |			/* S2SL0 */
	    FIELD_PREP(41, 40, 1) | FIELD_PREP(43, 42, 1) | /* S2IR0/OR0 */
	    FIELD_PREP(45, 44, 3) |			/* S2SH0 */
	    FIELD_PREP(47, 46, dom_tg(st->geo.g)) |	/* S2TG */
	    FIELD_PREP(50, 48, smmu_pa_enc(d->f.oas)) |	/* S2PS */
	    FIELD_PREP(51, 51, 1) |			/* S2AA64 */
	    FIELD_PREP(58, 58, 1);			/* S2R */
	dw[3] = FIELD_ADDR(st->root, 55, 4);		/* S2TTB */
}

/* Issue one invalidation; the ops used here cannot fail on this SMMU. */
static void
dom_inv(struct smmu_domain *d, const struct smmu_inv *inv)
{
	(void)smmu_invalidate(d->s, inv);
}

/* CFGI_STE for sid (SMMUV3.md 9). */
static void
dom_cfgi_ste(struct smmu_domain *d, uint32_t sid)
{
	struct smmu_inv inv;

	memset(&inv, 0, sizeof(inv));
	inv.op = SMMU_INV_CFGI_STE;
	inv.sid = sid;
	inv.leaf = false;
	dom_inv(d, &inv);
}

/*
 * Invalidate the TLB entries of [iova, iova + len) of st: TLBI_NH_VA
 * with its ASID and VMID (stage 1) or TLBI_S2_IPA with its VMID, using
 * the byte-range extension (tg = 0, len).
 */
static void
dom_tlbi_range(struct smmu_domain *d, const struct dom_stream *st,
    uint64_t iova, uint64_t len)
{
	struct smmu_inv inv;

	memset(&inv, 0, sizeof(inv));
	inv.op = st->geo.s2 ? SMMU_INV_TLBI_S2_IPA : SMMU_INV_TLBI_NH_VA;
	inv.vmid = d->f.s2p ? st->tag : 0;
	inv.asid = st->tag;
	inv.addr = iova;
	inv.len = len;
	dom_inv(d, &inv);
}

/* Address of the STE of sid. */
static uint64_t
dom_ste_addr(const struct smmu_domain *d, uint32_t sid)
{
	const struct dom_chunk *c = d->chunks[sid >> d->chunk_bits];

	return c->gpa + DOM_STE_SIZE * (sid & bits_low(d->chunk_bits));
}

/* Free the host chunk and, 2-level, its L2 table (L1STD cleared first). */
static void
dom_chunk_drop(struct smmu_domain *d, uint64_t ci)
{
	struct dom_chunk *c = d->chunks[ci];
	uint64_t bytes = (uint64_t)DOM_STE_SIZE << d->chunk_bits;

	if (c == NULL || !d->two_level)
		return;
	if (c->has_l2) {
		(void)gmem_write64(d->g, d->strtab + 8 * ci, 0);
		dom_cfgi_ste(d, (uint32_t)(ci << d->chunk_bits));
		dom_pages_free(d, c->gpa, dom_bytes_pages(d, bytes));
	}
	free(c);
	d->chunks[ci] = NULL;
}

/* Write the 64-byte STE dw at gpa as V = 0, other words, then V = 1. */
static int
dom_ste_write(struct smmu_domain *d, uint64_t gpa, const uint64_t dw[8])
{
	uint64_t w0 = dw[0] & ~(uint64_t)1;

	if (gmem_write_words(d->g, gpa, &w0, 1) != 0 ||
	    gmem_write_words(d->g, gpa + 8, dw + 1, 7) != 0 ||
	    gmem_write_words(d->g, gpa, dw, 1) != 0)
		return SMMU_ERR_RANGE;
	return 0;
}

/* Fill *ret from st. */
static void
dom_stream_info(const struct smmu_domain *d, const struct dom_stream *st,
    struct smmu_domain_stream *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sid = st->sid;
	ret->stage = st->geo.s2 ? 2 : 1;
	ret->ia_bits = st->geo.ia;
	ret->has_window = st->has_window;
	ret->win_start = st->win_start;
	ret->win_end = st->win_end;
	ret->asid = st->geo.s2 ? 0 : st->tag;
	ret->vmid = d->f.s2p ? st->tag : 0;
	ret->ste_gpa = st->ste;
	ret->cd_gpa = st->geo.s2 ? 0 : st->cd;
	ret->root_gpa = st->root;
	ret->table_bytes = st->nr_pages << d->pool.shift;
	ret->mapped_bytes = st->mapped;
}

/* ---- public API ----------------------------------------------------- */

void
smmu_domain_cfg_default(const struct smmu *s, struct smmu_domain_cfg *ret)
{
	const struct smmu_features *f = smmu_features(s);

	memset(ret, 0, sizeof(*ret));
	ret->stage = f->s1p ? 1 : 2;
	ret->granule = f->granules & SMMU_GRAN_4K ? 12 :
	    f->granules & SMMU_GRAN_16K ? 14 : 16;
	ret->ia_bits = 48;
	if (ret->stage == 2 && f->oas < 48)
		ret->ia_bits = f->oas;
}

/* Validate cfg against the SMMU's features; 0 or an error. */
static int
dom_cfg_check(const struct smmu_features *f, const struct smmu_domain_cfg *c,
    unsigned ia_max)
{
	unsigned gbit;

	if (c->stage != 1 && c->stage != 2)
		return SMMU_ERR_INVAL;
	if (c->granule != 12 && c->granule != 14 && c->granule != 16)
		return SMMU_ERR_INVAL;
	if ((c->stage == 1 && !f->s1p) || (c->stage == 2 && !f->s2p))
		return SMMU_ERR_NOTSUP;
	gbit = c->granule == 12 ? SMMU_GRAN_4K : c->granule == 14 ?
	    SMMU_GRAN_16K : SMMU_GRAN_64K;
	if (!(f->granules & gbit))
		return SMMU_ERR_NOTSUP;
	/* TxSZ <= 39: at least 25 input bits (SMMUV3.md 3, 4). */
	if (c->ia_bits < 25 || c->ia_bits > ia_max)
		return SMMU_ERR_INVAL;
	if (c->sid_bits > f->sid_bits || c->sid_bits > DOM_SID_BITS_MAX)
		return SMMU_ERR_INVAL;
	return 0;
}

struct smmu_domain *
smmu_domain_create(struct smmu *s, uint64_t area_gpa, uint64_t area_size,
    const struct smmu_domain_cfg *cfg, int *ret_err)
{
	struct smmu_domain *d = NULL;
	struct smmu_ctrl ctrl;
	struct smmu_inv inv;
	uint64_t page, bytes, lim;
	unsigned l;
	bool locked = false;
	int err;

	err = SMMU_ERR_INVAL;
	if (s == NULL || cfg == NULL)
		goto fail;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		err = SMMU_ERR_NOMEM;
		goto fail;
	}
	d->s = s;
	d->g = smmu_gmem(s);
	d->f = *smmu_features(s);
	d->cfg = *cfg;
	err = dom_cfg_check(&d->f, cfg,
	    cfg->granule == 12 || cfg->granule == 14 || cfg->granule == 16 ?
	    dom_ia_max(d, cfg->stage, cfg->granule) : 0);
	if (err != 0)
		goto fail;

	/* Descriptors and TTBs address [47:g] (64K: [51:g]) within OAS. */
	d->pa_bits = d->f.oas;
	if (cfg->granule != 16 && d->pa_bits > 48)
		d->pa_bits = 48;
	page = (uint64_t)1 << cfg->granule;
	lim = bits_pow2(d->pa_bits);
	err = SMMU_ERR_INVAL;
	if (area_size == 0 || ((area_gpa | area_size) & (page - 1)) != 0 ||
	    area_size > lim || area_gpa > lim - area_size ||
	    (area_size >> cfg->granule) > UINT32_MAX)
		goto fail;
	err = SMMU_ERR_RANGE;
	if (gmem_host_ptr(d->g, area_gpa, (size_t)area_size) == NULL)
		goto fail;

	err = pool_init(&d->pool, area_gpa, area_size >> cfg->granule,
	    cfg->granule);
	if (err != 0)
		goto fail;
	if (pthread_mutex_init(&d->lock, NULL) != 0) {
		err = SMMU_ERR_NOMEM;
		goto fail;
	}
	locked = true;

	/* The stream table (SMMUV3.md 2). */
	l = cfg->sid_bits != 0 ? cfg->sid_bits :
	    d->f.sid_bits < 16 ? d->f.sid_bits : 16;
	d->cfg.sid_bits = l;
	d->two_level = l >= 7;
	err = SMMU_ERR_INVAL;
	if (d->two_level && !d->f.st_2level)
		goto fail;
	if (d->two_level) {
		d->chunk_bits = l < DOM_SPLIT ? l : DOM_SPLIT;
		bytes = 8ull << (l - d->chunk_bits);
		if (bytes < 64)
			bytes = 64;
	} else {
		d->chunk_bits = l;
		bytes = (uint64_t)DOM_STE_SIZE << l;
	}
	d->nr_chunks = (uint64_t)1 << (l - d->chunk_bits);
	d->chunks = calloc(d->nr_chunks, sizeof(*d->chunks));
	err = SMMU_ERR_NOMEM;
	if (d->chunks == NULL)
		goto fail;
	d->strtab_pages = (unsigned)dom_bytes_pages(d, bytes);
	err = dom_pages_alloc(d, d->strtab_pages, false, &d->strtab);
	if (err != 0)
		goto fail;
	if (!d->two_level) {
		d->chunks[0] = calloc(1, sizeof(struct dom_chunk) +
		    (sizeof(struct dom_stream *) << l));
		err = SMMU_ERR_NOMEM;
		if (d->chunks[0] == NULL)
			goto fail;
		d->chunks[0]->gpa = d->strtab;
		d->chunks[0]->has_l2 = true;
	}

	/* ASIDs and VMIDs are 8-bit without ASID16 / VMID16. */
	d->tag_max = DOM_NR_TAGS - 1;
	if ((d->f.s1p && !d->f.asid16) || (d->f.s2p && !d->f.vmid16))
		d->tag_max = 255;

	/* STRTAB_BASE: ADDR[55:6]; STRTAB_BASE_CFG: LOG2SIZE, SPLIT, FMT. */
	smmu_ctrl_get(s, &ctrl);
	ctrl.strtab_base = FIELD_ADDR(d->strtab, 55, 6);
	ctrl.strtab_base_cfg = (uint32_t)(FIELD_PREP(5, 0, l) |
	    (d->two_level ? FIELD_PREP(10, 6, DOM_SPLIT) |
	    FIELD_PREP(17, 16, 1) : 0));
	ctrl.enabled = true;
	err = smmu_ctrl_set(s, &ctrl);
	if (err != 0)
		goto fail;
	/* A new stream table: drop whatever was cached before. */
	memset(&inv, 0, sizeof(inv));
	inv.op = SMMU_INV_CFGI_ALL;
	dom_inv(d, &inv);
	inv.op = SMMU_INV_TLBI_NSNH_ALL;
	dom_inv(d, &inv);
	d->stats.area_bytes = area_size;
	return d;

fail:
	if (d != NULL) {
		if (d->chunks != NULL && !d->two_level)
			free(d->chunks[0]);
		free(d->chunks);
		pool_fini(&d->pool);
		if (locked)
			pthread_mutex_destroy(&d->lock);
		free(d);
	}
	if (ret_err != NULL)
		*ret_err = err;
	return NULL;
}

void
smmu_domain_destroy(struct smmu_domain *d)
{
	struct dom_cdpage *p, *np;
	uint64_t i, k;

	if (d == NULL)
		return;
	for (i = 0; i < d->nr_chunks; i++) {
		if (d->chunks[i] == NULL)
			continue;
		for (k = 0; k < ((uint64_t)1 << d->chunk_bits); k++)
			free(d->chunks[i]->st[k]);
		free(d->chunks[i]);
	}
	free(d->chunks);
	for (p = d->cdpages; p != NULL; p = np) {
		np = p->next;
		free(p);
	}
	pool_fini(&d->pool);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void
smmu_domain_cfg_get(const struct smmu_domain *d, struct smmu_domain_cfg *ret)
{
	*ret = d->cfg;
}

/*
 * Attach with the lock held: allocate everything first (rolling back on
 * failure), then write L1STD, CD and STE, then CFGI_STE.
 */
static int
dom_attach(struct smmu_domain *d, uint32_t sid, unsigned stage,
    uint64_t ws, uint64_t we, uint32_t *ret_sid)
{
	struct dom_stream *st;
	struct dom_chunk *c;
	uint64_t ci, l2 = 0, dw[8];
	uint64_t l2bytes = (uint64_t)DOM_STE_SIZE << d->chunk_bits;
	unsigned ia;
	int sl0, r;
	bool new_chunk = false, new_l2 = false, new_cd = false;

	if (stage == 0)
		stage = d->cfg.stage;
	if (stage != 1 && stage != 2)
		return SMMU_ERR_INVAL;
	if ((stage == 1 && !d->f.s1p) || (stage == 2 && !d->f.s2p))
		return SMMU_ERR_NOTSUP;
	ia = dom_ia_max(d, stage, d->cfg.granule);
	if (d->cfg.ia_bits < ia)
		ia = d->cfg.ia_bits;
	if ((ws != 0 || we != 0) && (ws > we || (we >> ia) != 0))
		return SMMU_ERR_INVAL;
	if (sid == SMMU_DOMAIN_ANY) {
		if (!dom_sid_find_free(d, &sid))
			return SMMU_ERR_NOMEM;
	} else if (((uint64_t)sid >> d->cfg.sid_bits) != 0) {
		return SMMU_ERR_INVAL;
	} else if (dom_stream_find(d, sid) != NULL) {
		return SMMU_ERR_EXIST;
	}

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return SMMU_ERR_NOMEM;
	st->sid = sid;
	sl0 = dom_geom_init(&st->geo, stage, d->cfg.granule, ia);
	if (sl0 < 0) {
		free(st);
		return SMMU_ERR_INVAL;	/* not reached: ia is checked */
	}
	st->has_window = ws != 0 || we != 0;
	st->win_start = st->has_window ? ws : 0;
	st->win_end = st->has_window ? we : bits_low(ia);
	if (!dom_tag_alloc(d, &st->tag)) {
		free(st);
		return SMMU_ERR_NOMEM;
	}
	ci = sid >> d->chunk_bits;
	c = d->chunks[ci];
	r = SMMU_ERR_NOMEM;
	if (c == NULL) {
		c = calloc(1, sizeof(*c) +
		    (sizeof(struct dom_stream *) << d->chunk_bits));
		if (c == NULL)
			goto fail_tag;
		d->chunks[ci] = c;
		new_chunk = true;
	}
	if (!c->has_l2) {
		/* 2-level: the L2 table, zeroed (all STEs V = 0). */
		r = dom_pages_alloc(d, dom_bytes_pages(d, l2bytes), false,
		    &l2);
		if (r != 0)
			goto fail_chunk;
		new_l2 = true;
	}
	st->root_pages = (unsigned)dom_bytes_pages(d, 8ull << st->geo.w0);
	r = dom_pages_alloc(d, st->root_pages, true, &st->root);
	if (r != 0)
		goto fail_l2;
	st->nr_pages = st->root_pages;
	if (stage == 1) {
		r = dom_cd_alloc(d, &st->cd);
		if (r != 0)
			goto fail_root;
		new_cd = true;
	}

	/* Everything is allocated: write the structures. */
	if (new_l2) {
		/* L1STD: Span = SPLIT + 1 (2^SPLIT STEs), L2Ptr[55:6]. */
		if (gmem_write64(d->g, d->strtab + 8 * ci,
		    FIELD_PREP(4, 0, d->chunk_bits + 1) |
		    FIELD_ADDR(l2, 55, 6)) != 0) {
			r = SMMU_ERR_RANGE;
			goto fail_cd;
		}
		/* Linked: from now on the chunk owns it. */
		c->gpa = l2;
		c->has_l2 = true;
		new_l2 = false;
	}
	st->ste = dom_ste_addr(d, sid);
	if (stage == 1) {
		dom_cd_encode(d, st, dw);
		if (gmem_write_words(d->g, st->cd, dw, 8) != 0) {
			r = SMMU_ERR_RANGE;
			goto fail_cd;
		}
	}
	dom_ste_encode(d, st, (unsigned)sl0, dw);
	r = dom_ste_write(d, st->ste, dw);
	if (r != 0)
		goto fail_cd;
	dom_cfgi_ste(d, sid);

	c->st[sid & bits_low(d->chunk_bits)] = st;
	c->nr_attached++;
	d->stats.nr_streams++;
	if (ret_sid != NULL)
		*ret_sid = sid;
	return 0;

fail_cd:
	if (new_cd)
		dom_cd_free(d, st->cd);
fail_root:
	dom_pages_free(d, st->root, st->root_pages);
fail_l2:
	if (new_l2)
		dom_pages_free(d, l2, dom_bytes_pages(d, l2bytes));
fail_chunk:
	if (new_chunk || (c->nr_attached == 0 && d->two_level))
		dom_chunk_drop(d, ci);
fail_tag:
	dom_tag_free(d, st->tag);
	free(st);
	return r;
}

int
smmu_domain_attach(struct smmu_domain *d, uint32_t sid, unsigned stage,
    uint64_t win_start, uint64_t win_end, uint32_t *ret_sid)
{
	int r;

	pthread_mutex_lock(&d->lock);
	r = dom_attach(d, sid, stage, win_start, win_end, ret_sid);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int
smmu_domain_detach(struct smmu_domain *d, uint32_t sid)
{
	struct dom_stream *st;
	struct dom_chunk *c;
	struct smmu_inv inv;
	uint64_t zero = 0, dw[8];
	int r = 0;

	pthread_mutex_lock(&d->lock);
	st = dom_stream_find(d, sid);
	if (st == NULL) {
		pthread_mutex_unlock(&d->lock);
		return SMMU_ERR_NOENT;
	}
	/* STE.V = 0, then CFGI_STE: no new walk starts from it. */
	if (gmem_write_words(d->g, st->ste, &zero, 1) != 0)
		r = SMMU_ERR_RANGE;
	dom_cfgi_ste(d, sid);
	/* Then the cached translations of its ASID or VMID go. */
	memset(&inv, 0, sizeof(inv));
	inv.op = st->geo.s2 ? SMMU_INV_TLBI_S12_VMALL : SMMU_INV_TLBI_NH_ASID;
	inv.vmid = d->f.s2p ? st->tag : 0;
	inv.asid = st->tag;
	dom_inv(d, &inv);

	memset(dw, 0, sizeof(dw));
	(void)gmem_write_words(d->g, st->ste, dw, 8);
	dom_free_tree(d, st, st->root, st->geo.start);
	dom_pages_free(d, st->root, st->root_pages);
	if (!st->geo.s2) {
		(void)gmem_write_words(d->g, st->cd, dw, 8);
		dom_cd_free(d, st->cd);
	}
	dom_tag_free(d, st->tag);
	c = d->chunks[sid >> d->chunk_bits];
	c->st[sid & bits_low(d->chunk_bits)] = NULL;
	if (--c->nr_attached == 0)
		dom_chunk_drop(d, sid >> d->chunk_bits);
	d->stats.nr_streams--;
	d->stats.mapped_bytes -= st->mapped;
	free(st);
	pthread_mutex_unlock(&d->lock);
	return r;
}

/*
 * Map with the lock held, after the argument checks: a dry run (overlap,
 * pages needed), the capacity check, then the real run.
 */
static int
dom_map(struct smmu_domain *d, struct dom_stream *st, uint64_t iova,
    uint64_t pa, uint64_t size, unsigned perm, unsigned attr)
{
	struct dom_op op;
	struct dom_tbl root = { DOM_T_REAL, st->root };
	int r;

	memset(&op, 0, sizeof(op));
	op.st = st;
	op.dry = true;
	op.va0 = iova;
	op.pa0 = pa;
	op.attrs = dom_leaf_attrs(st, perm, attr);
	r = dom_map_tbl(d, &op, &root, st->geo.start, iova, iova + size);
	if (r != 0)
		return r;
	if (op.need > d->pool.npages - d->pool.nused)
		return SMMU_ERR_NOMEM;
	op.dry = false;
	r = dom_map_tbl(d, &op, &root, st->geo.start, iova, iova + size);
	if (r != 0)
		return r;
	st->mapped += size;
	d->stats.mapped_bytes += size;
	d->stats.maps++;
	return 0;
}

/*
 * Check a map request against st: alignment, input range, window, output
 * range; 0 or SMMU_ERR_INVAL.
 */
static int
dom_map_check(const struct smmu_domain *d, const struct dom_stream *st,
    uint64_t iova, uint64_t pa, uint64_t size)
{
	uint64_t in = bits_pow2(st->geo.ia), out = bits_pow2(d->pa_bits);

	if (size == 0 || ((iova | pa | size) & (dom_page(d) - 1)) != 0)
		return SMMU_ERR_INVAL;
	if (size > in || iova > in - size)
		return SMMU_ERR_INVAL;
	if (iova < st->win_start || iova + size - 1 > st->win_end)
		return SMMU_ERR_INVAL;
	if (size > out || pa > out - size)
		return SMMU_ERR_INVAL;
	return 0;
}

int
smmu_domain_map(struct smmu_domain *d, uint32_t sid, uint64_t iova,
    uint64_t pa, uint64_t size, unsigned perm)
{
	struct dom_stream *st;
	unsigned all = SMMU_PERM_R | SMMU_PERM_W | SMMU_PERM_X |
	    SMMU_DOMAIN_PRIV;
	int r;

	pthread_mutex_lock(&d->lock);
	st = dom_stream_find(d, sid);
	if (st == NULL)
		r = SMMU_ERR_NOENT;
	else if ((perm & ~all) != 0 ||
	    (perm & (SMMU_PERM_R | SMMU_PERM_W)) == 0)
		r = SMMU_ERR_INVAL;
	else
		r = dom_map_check(d, st, iova, pa, size);
	if (r == 0 && st->geo.s2 && (perm & SMMU_DOMAIN_PRIV))
		r = SMMU_ERR_NOTSUP;	/* S2AP has no privilege levels */
	if (r == 0)
		r = dom_map(d, st, iova, pa, size, perm,
		    SMMU_DOMAIN_ATTR_NORMAL);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int
smmu_domain_map_msi(struct smmu_domain *d, uint32_t sid, uint64_t iova,
    uint64_t doorbell)
{
	struct dom_stream *st;
	uint64_t page = dom_page(d), pa = doorbell & ~(page - 1);
	int r;

	pthread_mutex_lock(&d->lock);
	st = dom_stream_find(d, sid);
	if (st == NULL)
		r = SMMU_ERR_NOENT;
	else
		r = dom_map_check(d, st, iova, pa, page);
	if (r == 0)
		r = dom_map(d, st, iova, pa, page, SMMU_PERM_R | SMMU_PERM_W,
		    SMMU_DOMAIN_ATTR_DEVICE);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int
smmu_domain_unmap(struct smmu_domain *d, uint32_t sid, uint64_t iova,
    uint64_t size, uint64_t *ret_unmapped)
{
	struct dom_stream *st;
	struct dom_op op;
	struct dom_tbl root;
	uint64_t in;
	int r = 0;

	pthread_mutex_lock(&d->lock);
	st = dom_stream_find(d, sid);
	if (st == NULL) {
		r = SMMU_ERR_NOENT;
		goto out;
	}
	in = bits_pow2(st->geo.ia);
	if (size == 0 || ((iova | size) & (dom_page(d) - 1)) != 0 ||
	    size > in || iova > in - size) {
		r = SMMU_ERR_INVAL;
		goto out;
	}
	root.kind = DOM_T_REAL;
	root.gpa = st->root;
	memset(&op, 0, sizeof(op));
	op.st = st;
	op.dry = true;
	r = dom_unmap_tbl(d, &op, &root, st->geo.start, iova, iova + size);
	if (r != 0)
		goto out;
	if (op.need > d->pool.npages - d->pool.nused) {
		r = SMMU_ERR_NOMEM;
		goto out;
	}
	memset(&op, 0, sizeof(op));
	op.st = st;
	r = dom_unmap_tbl(d, &op, &root, st->geo.start, iova, iova + size);
	/* Invalidate even after a failed write: part may have changed. */
	if (op.unmapped != 0 || op.splits != 0)
		dom_tlbi_range(d, st, iova, size);
	st->mapped -= op.unmapped;
	d->stats.mapped_bytes -= op.unmapped;
	if (r != 0)
		goto out;
	d->stats.unmaps++;
	if (ret_unmapped != NULL)
		*ret_unmapped = op.unmapped;
out:
	pthread_mutex_unlock(&d->lock);
	return r;
}

/* Report the leaf [va, va + span) -> pa, merging with the pending range. */
static int
dom_fe_emit(struct dom_fe *fe, uint64_t va, uint64_t pa, uint64_t span,
    unsigned perm, unsigned attr)
{
	struct smmu_domain_range *c = &fe->cur;
	int r;

	if (fe->have && c->iova + c->size == va && c->pa + c->size == pa &&
	    c->perm == perm && c->attr == attr) {
		c->size += span;
		return 0;
	}
	if (fe->have) {
		r = fe->cb(fe->arg, c);
		if (r != 0)
			return r;
	}
	fe->have = true;
	c->iova = va;
	c->pa = pa;
	c->size = span;
	c->perm = perm;
	c->attr = attr;
	return 0;
}

/* Walk table gpa at level (covering input from va) in order. */
static int
dom_fe_tbl(struct smmu_domain *d, const struct dom_stream *st,
    struct dom_fe *fe, uint64_t gpa, unsigned level, uint64_t va)
{
	unsigned shift = dom_shift(&st->geo, level), perm, attr;
	uint64_t i, n = (uint64_t)1 << dom_index_bits(&st->geo, level);
	uint64_t desc, a, child;
	int r;

	for (i = 0; i < n; i++) {
		if (gmem_read64(d->g, gpa + 8 * i, &desc) != 0)
			return SMMU_ERR_RANGE;
		if (!(desc & DOM_D_VALID))
			continue;
		a = va + (i << shift);
		if (level < 3 && (desc & DOM_D_TABLE)) {
			r = dom_child(d, &st->geo, desc, &child);
			if (r == 0)
				r = dom_fe_tbl(d, st, fe, child, level + 1, a);
		} else {
			dom_leaf_perm(st, desc, &perm, &attr);
			r = dom_fe_emit(fe, a, dom_addr_dec(st->geo.g, desc) &
			    ~bits_low(shift), (uint64_t)1 << shift, perm, attr);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

int
smmu_domain_foreach(struct smmu_domain *d, uint32_t sid,
    int (*cb)(void *arg, const struct smmu_domain_range *r), void *arg)
{
	struct dom_stream *st;
	struct dom_fe fe;
	int r;

	pthread_mutex_lock(&d->lock);
	st = dom_stream_find(d, sid);
	if (st == NULL) {
		r = SMMU_ERR_NOENT;
		goto out;
	}
	memset(&fe, 0, sizeof(fe));
	fe.cb = cb;
	fe.arg = arg;
	r = dom_fe_tbl(d, st, &fe, st->root, st->geo.start, 0);
	if (r == 0 && fe.have)
		r = cb(arg, &fe.cur);
out:
	pthread_mutex_unlock(&d->lock);
	return r;
}

void
smmu_domain_stats_get(struct smmu_domain *d, struct smmu_domain_stats *ret)
{
	pthread_mutex_lock(&d->lock);
	*ret = d->stats;
	ret->table_bytes = d->pool.nused << d->pool.shift;
	pthread_mutex_unlock(&d->lock);
}

int
smmu_domain_stream_get(struct smmu_domain *d, uint32_t sid,
    struct smmu_domain_stream *ret)
{
	struct dom_stream *st;
	int r = SMMU_ERR_NOENT;

	pthread_mutex_lock(&d->lock);
	st = dom_stream_find(d, sid);
	if (st != NULL) {
		dom_stream_info(d, st, ret);
		r = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

int
smmu_domain_stream_foreach(struct smmu_domain *d,
    int (*cb)(void *arg, const struct smmu_domain_stream *st), void *arg)
{
	struct smmu_domain_stream info;
	const struct dom_chunk *c;
	uint64_t i, k;
	int r = 0;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nr_chunks && r == 0; i++) {
		c = d->chunks[i];
		if (c == NULL)
			continue;
		for (k = 0; k < ((uint64_t)1 << d->chunk_bits) && r == 0;
		    k++) {
			if (c->st[k] == NULL)
				continue;
			dom_stream_info(d, c->st[k], &info);
			r = cb(arg, &info);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}
