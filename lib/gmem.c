/*
 * gmem.c - guest physical memory: sorted regions, host mappings, the 16
 * shard locks, little-endian accessors, bulk copies, dump and clear.
 *
 * Readers find a region without any lock: the region list is an immutable
 * array published with a release store and read with an acquire load.
 * Adding a region builds a new array; the old one goes on a retire list
 * that gmem_destroy() frees, because a reader may still be searching it.
 * Region structs are likewise freed only by gmem_destroy().
 *
 * The host range of a region stays mapped for the life of the gmem.  A
 * GMEM_SHARED region without a backing is reserved with a private,
 * readable and writable anonymous mapping rather than PROT_NONE: a lock-free
 * accessor that saw the region backed just before gmem_region_unshare()
 * then reads zeroes or writes into a discarded page instead of faulting.
 * gmem_region_share() and gmem_region_unshare() also hold every shard write
 * lock, so a bulk copy sees either the old or the new backing, never both.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gmem.h"

#define GMEM_PAGE_SIZE (1ull << GMEM_SHARD_SHIFT)
#define GMEM_PAGE_MASK (GMEM_PAGE_SIZE - 1)
#define GMEM_DUMP_RUN_MAX (1u << 20)	/* longest run given to a dump cb */
#define GMEM_LINEAR_MAX 4		/* linear search up to this many */
#define GMEM_ALL_SHARDS ((1u << GMEM_NR_SHARDS) - 1)

/* One region; never freed before gmem_destroy(). */
struct gmem_region {
	char name[GMEM_NAME_MAX + 1];
	uint64_t gpa;
	uint64_t size;
	size_t map_len;		/* size rounded up to host pages */
	enum gmem_backing backing;
	uint8_t *host;		/* fixed for the region's life */
	int backed;		/* atomic: 0 while shared but unbacked */
};

/* A search entry: the hot fields copied next to each other. */
struct gmem_slot {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	struct gmem_region *region;
};

/* An immutable, sorted region list. */
struct gmem_rlist {
	struct gmem_rlist *retired;	/* next older list (writer only) */
	unsigned nr;
	struct gmem_slot slot[];
};

/* A shard lock on its own cache line, so shards do not false-share. */
struct gmem_shard {
	pthread_rwlock_t lock;
} __attribute__((aligned(64)));

struct gmem {
	struct gmem_rlist *rlist;	/* atomic: current list */
	struct gmem_rlist *retired;	/* older lists, freed at destroy */
	pthread_mutex_t mutex;		/* serializes add/share/unshare */
	/*
	 * Separate allocation: a const struct gmem * (the read accessors)
	 * must still be able to take the locks without casting away const.
	 */
	struct gmem_shard *shard;
	size_t host_page;		/* sysconf(_SC_PAGESIZE) */
};

/* Copy direction and format of gmem_bulk(). */
enum gmem_op {
	GMEM_OP_READ,
	GMEM_OP_WRITE,
	GMEM_OP_READ_WORDS,
	GMEM_OP_WRITE_WORDS
};

struct gmem *
gmem_create(void)
{
	pthread_rwlockattr_t attr;
	struct gmem *g;
	long ps;
	unsigned i;

	ps = sysconf(_SC_PAGESIZE);
	if (ps <= 0)
		ps = (long)GMEM_PAGE_SIZE;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->host_page = (size_t)ps;
	if ((g->rlist = calloc(1, sizeof(*g->rlist))) == NULL)
		goto fail_g;
	if (posix_memalign((void **)&g->shard, 64,
	    GMEM_NR_SHARDS * sizeof(*g->shard)) != 0)
		goto fail_rlist;
	if (pthread_mutex_init(&g->mutex, NULL) != 0)
		goto fail_shard;
	if (pthread_rwlockattr_init(&attr) != 0)
		goto fail_mutex;
	/*
	 * Prefer writers: the engine's event-record and flag writes must not
	 * starve behind a stream of table walks.  No shard lock is ever taken
	 * recursively, which the non-recursive kind requires.
	 */
	(void)pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (i = 0; i < GMEM_NR_SHARDS; i++) {
		if (pthread_rwlock_init(&g->shard[i].lock, &attr) != 0) {
			while (i-- > 0)
				(void)pthread_rwlock_destroy(&g->shard[i].lock);
			(void)pthread_rwlockattr_destroy(&attr);
			goto fail_mutex;
		}
	}
	(void)pthread_rwlockattr_destroy(&attr);
	return g;

fail_mutex:
	(void)pthread_mutex_destroy(&g->mutex);
fail_shard:
	free(g->shard);
fail_rlist:
	free(g->rlist);
fail_g:
	free(g);
	return NULL;
}

void
gmem_destroy(struct gmem *g)
{
	struct gmem_rlist *rl, *next;
	struct gmem_region *r;
	unsigned i;

	if (g == NULL)
		return;
	rl = g->rlist;
	for (i = 0; i < rl->nr; i++) {
		r = rl->slot[i].region;
		(void)munmap(r->host, r->map_len);
		free(r);
	}
	free(rl);
	for (rl = g->retired; rl != NULL; rl = next) {
		next = rl->retired;
		free(rl);
	}
	for (i = 0; i < GMEM_NR_SHARDS; i++)
		(void)pthread_rwlock_destroy(&g->shard[i].lock);
	free(g->shard);
	(void)pthread_mutex_destroy(&g->mutex);
	free(g);
}

/* The current region list (acquire pairs with the publishing release). */
static inline const struct gmem_rlist *
gmem_rlist_get(const struct gmem *g)
{
	return __atomic_load_n(&g->rlist, __ATOMIC_ACQUIRE);
}

/*
 * The slot whose region contains gpa, or NULL.  Page-table walks call this
 * for every descriptor, so it is a linear scan for a handful of regions
 * and a binary search beyond that.
 */
static inline const struct gmem_slot *
gmem_slot_find(const struct gmem_rlist *rl, uint64_t gpa)
{
	const struct gmem_slot *s;
	unsigned lo, hi, mid;

	if (rl->nr <= GMEM_LINEAR_MAX) {
		for (lo = 0; lo < rl->nr; lo++) {
			s = &rl->slot[lo];
			if (gpa >= s->gpa && gpa - s->gpa < s->size)
				return s;
		}
		return NULL;
	}
	lo = 0;
	hi = rl->nr;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		s = &rl->slot[mid];
		if (gpa < s->gpa)
			hi = mid;
		else if (gpa - s->gpa >= s->size)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/* True if the region currently has a backing (acquire: see its mapping). */
static inline bool
gmem_region_backed(const struct gmem_region *r)
{
	return __atomic_load_n(&r->backed, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Host address of [gpa, gpa + len) if it lies in one backed region, else
 * NULL.  Written so that gpa + len never overflows.
 */
static inline uint8_t *
gmem_xlate(const struct gmem *g, uint64_t gpa, size_t len)
{
	const struct gmem_slot *s;
	uint64_t off;

	s = gmem_slot_find(gmem_rlist_get(g), gpa);
	if (s == NULL)
		return NULL;
	off = gpa - s->gpa;
	if ((uint64_t)len > s->size - off || !gmem_region_backed(s->region))
		return NULL;
	return s->host + off;
}

/* Take the write lock of every shard in mask, in ascending order. */
static void
gmem_lock_shards(const struct gmem *g, unsigned mask, bool write)
{
	unsigned i;

	for (i = 0; i < GMEM_NR_SHARDS; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (write)
			(void)pthread_rwlock_wrlock(&g->shard[i].lock);
		else
			(void)pthread_rwlock_rdlock(&g->shard[i].lock);
	}
}

/* Release the shard locks taken by gmem_lock_shards(). */
static void
gmem_unlock_shards(const struct gmem *g, unsigned mask)
{
	unsigned i;

	for (i = GMEM_NR_SHARDS; i-- > 0;)
		if (mask & (1u << i))
			(void)pthread_rwlock_unlock(&g->shard[i].lock);
}

/* Mask of the shards touched by [gpa, gpa + len), len > 0, no overflow. */
static unsigned
gmem_shard_mask(uint64_t gpa, uint64_t len)
{
	uint64_t first, last, p;
	unsigned mask = 0;

	first = gpa >> GMEM_SHARD_SHIFT;
	last = (gpa + (len - 1)) >> GMEM_SHARD_SHIFT;
	if (last - first >= GMEM_NR_SHARDS - 1)
		return GMEM_ALL_SHARDS;
	for (p = first; p <= last; p++)
		mask |= 1u << (p % GMEM_NR_SHARDS);
	return mask;
}

/* ---- regions ------------------------------------------------------- */

/* The region named name in rl, or NULL. */
static struct gmem_region *
gmem_region_by_name(const struct gmem_rlist *rl, const char *name)
{
	unsigned i;

	for (i = 0; i < rl->nr; i++)
		if (strcmp(rl->slot[i].region->name, name) == 0)
			return rl->slot[i].region;
	return NULL;
}

/*
 * Check that fd is a regular file holding [offset, offset + size): a
 * mapping beyond the end of the file would raise SIGBUS on access, which
 * a guest address must never be able to cause.
 */
static int
gmem_fd_check(int fd, uint64_t offset, uint64_t size)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
		return SMMU_ERR_IO;
	if ((uint64_t)st.st_size < offset + size)
		return SMMU_ERR_IO;
	return 0;
}

/* Map an anonymous, lazily populated range, at fixed if not NULL. */
static void *
gmem_map_anon(void *fixed, size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	if (fixed != NULL)
		flags |= MAP_FIXED;
	return mmap(fixed, len, PROT_READ | PROT_WRITE, flags, -1, 0);
}

/*
 * Map fd shared over r's reservation.  MAP_FIXED replaces the old mapping
 * without the range ever becoming unmapped (we only ever do this over our
 * own reservation).  On failure the reservation is restored.
 */
static int
gmem_map_shared(struct gmem_region *r, int fd, uint64_t offset)
{
	void *p;
	int err, flags;

	if ((err = gmem_fd_check(fd, offset, r->size)) != 0)
		return err;
	/*
	 * A shared writable mapping needs an O_RDWR fd; checking first keeps
	 * the current backing in place instead of losing it to a failed
	 * MAP_FIXED.
	 */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    (flags & O_ACCMODE) != O_RDWR)
		return SMMU_ERR_IO;
	p = mmap(r->host, r->map_len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_FIXED, fd, (off_t)offset);
	if (p == MAP_FAILED) {
		/* The kernel may have dropped the old mapping: re-reserve. */
		__atomic_store_n(&r->backed, 0, __ATOMIC_RELEASE);
		(void)gmem_map_anon(r->host, r->map_len);
		return SMMU_ERR_IO;
	}
	__atomic_store_n(&r->backed, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Create the host mapping of a new region (not yet published). */
static int
gmem_region_map(struct gmem_region *r, int fd, uint64_t offset,
    unsigned flags)
{
	void *p;
	int err;

	switch (r->backing) {
	case GMEM_ANON:
		if ((p = gmem_map_anon(NULL, r->map_len)) == MAP_FAILED)
			return SMMU_ERR_NOMEM;
		r->host = p;
		/* A hint only: EINVAL just means no THP in this kernel. */
		if (flags & GMEM_F_THP)
			(void)madvise(r->host, r->map_len, MADV_HUGEPAGE);
		r->backed = 1;
		return 0;
	case GMEM_FILE:
		if ((err = gmem_fd_check(fd, offset, r->size)) != 0)
			return err;
		/* MAP_NORESERVE: a big image is not charged until written. */
		p = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_NORESERVE, fd, (off_t)offset);
		if (p == MAP_FAILED)
			return SMMU_ERR_IO;
		r->host = p;
		r->backed = 1;
		return 0;
	case GMEM_SHARED:
		if ((p = gmem_map_anon(NULL, r->map_len)) == MAP_FAILED)
			return SMMU_ERR_NOMEM;
		r->host = p;
		r->backed = 0;
		if (fd >= 0 && (err = gmem_map_shared(r, fd, offset)) != 0) {
			(void)munmap(r->host, r->map_len);
			return err;
		}
		return 0;
	default:
		return SMMU_ERR_INVAL;
	}
}

/* Argument checks of gmem_region_add() that need no lock. */
static int
gmem_region_add_check(const char *name, uint64_t gpa, uint64_t size,
    enum gmem_backing backing, int fd, uint64_t offset, unsigned flags)
{
	size_t nlen;

	if (name == NULL || (nlen = strnlen(name, GMEM_NAME_MAX + 1)) == 0 ||
	    nlen > GMEM_NAME_MAX)
		return SMMU_ERR_INVAL;
	if (size == 0 || (gpa & GMEM_PAGE_MASK) || (size & GMEM_PAGE_MASK) ||
	    gpa + size < gpa)
		return SMMU_ERR_INVAL;
	if (flags & ~GMEM_F_THP)
		return SMMU_ERR_INVAL;
	switch (backing) {
	case GMEM_ANON:
		if (fd != -1)
			return SMMU_ERR_INVAL;
		break;
	case GMEM_FILE:
		if (fd < 0 || (flags & GMEM_F_THP))
			return SMMU_ERR_INVAL;
		break;
	case GMEM_SHARED:
		if (fd < -1 || (flags & GMEM_F_THP))
			return SMMU_ERR_INVAL;
		break;
	default:
		return SMMU_ERR_INVAL;
	}
	if (fd >= 0 && ((offset & GMEM_PAGE_MASK) || offset + size < offset ||
	    offset + size > (uint64_t)INT64_MAX))
		return SMMU_ERR_INVAL;
	return 0;
}

int
gmem_region_add(struct gmem *g, const char *name, uint64_t gpa,
    uint64_t size, enum gmem_backing backing, int fd, uint64_t offset,
    unsigned flags)
{
	struct gmem_rlist *old, *rl = NULL;
	struct gmem_region *r = NULL;
	unsigned i, at;
	int err;

	if ((err = gmem_region_add_check(name, gpa, size, backing, fd,
	    offset, flags)) != 0)
		return err;

	(void)pthread_mutex_lock(&g->mutex);
	old = g->rlist;
	if (gmem_region_by_name(old, name) != NULL) {
		err = SMMU_ERR_EXIST;
		goto out;
	}
	/* Insertion point: the first region starting at or above gpa. */
	for (at = 0; at < old->nr && old->slot[at].gpa < gpa; at++)
		;
	if ((at > 0 && old->slot[at - 1].gpa + old->slot[at - 1].size > gpa) ||
	    (at < old->nr && old->slot[at].gpa < gpa + size)) {
		err = SMMU_ERR_OVERLAP;
		goto out;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (rl = malloc(sizeof(*rl) +
	    (old->nr + 1) * sizeof(rl->slot[0]))) == NULL) {
		err = SMMU_ERR_NOMEM;
		goto out;
	}
	/* The host mapping is whole host pages: size must not wrap. */
	if (size > SIZE_MAX - g->host_page) {
		err = SMMU_ERR_NOMEM;
		goto out;
	}
	(void)strcpy(r->name, name);
	r->gpa = gpa;
	r->size = size;
	r->map_len = (size_t)((size + g->host_page - 1) &
	    ~(uint64_t)(g->host_page - 1));
	r->backing = backing;
	if ((err = gmem_region_map(r, fd, offset, flags)) != 0)
		goto out;

	rl->retired = NULL;
	rl->nr = old->nr + 1;
	for (i = 0; i < at; i++)
		rl->slot[i] = old->slot[i];
	rl->slot[at].gpa = gpa;
	rl->slot[at].size = size;
	rl->slot[at].host = r->host;
	rl->slot[at].region = r;
	for (i = at; i < old->nr; i++)
		rl->slot[i + 1] = old->slot[i];
	/* Release: readers that see rl see the region and its mapping. */
	__atomic_store_n(&g->rlist, rl, __ATOMIC_RELEASE);
	old->retired = g->retired;
	g->retired = old;
	r = NULL;
	rl = NULL;
out:
	(void)pthread_mutex_unlock(&g->mutex);
	free(rl);
	free(r);
	return err;
}

int
gmem_region_share(struct gmem *g, const char *name, int fd,
    uint64_t offset)
{
	struct gmem_region *r;
	int err;

	if (name == NULL)
		return SMMU_ERR_NOENT;
	(void)pthread_mutex_lock(&g->mutex);
	if ((r = gmem_region_by_name(g->rlist, name)) == NULL) {
		err = SMMU_ERR_NOENT;
		goto out;
	}
	if (r->backing != GMEM_SHARED || fd < 0 ||
	    (offset & GMEM_PAGE_MASK) || offset + r->size < offset ||
	    offset + r->size > (uint64_t)INT64_MAX) {
		err = SMMU_ERR_INVAL;
		goto out;
	}
	/* All shards: no bulk copy straddles the old and new backing. */
	gmem_lock_shards(g, GMEM_ALL_SHARDS, true);
	err = gmem_map_shared(r, fd, offset);
	gmem_unlock_shards(g, GMEM_ALL_SHARDS);
out:
	(void)pthread_mutex_unlock(&g->mutex);
	return err;
}

int
gmem_region_unshare(struct gmem *g, const char *name)
{
	struct gmem_region *r;
	int err = 0;

	if (name == NULL)
		return SMMU_ERR_NOENT;
	(void)pthread_mutex_lock(&g->mutex);
	if ((r = gmem_region_by_name(g->rlist, name)) == NULL) {
		err = SMMU_ERR_NOENT;
		goto out;
	}
	if (r->backing != GMEM_SHARED) {
		err = SMMU_ERR_INVAL;
		goto out;
	}
	gmem_lock_shards(g, GMEM_ALL_SHARDS, true);
	/* Unbacked first, so accessors stop before the mapping changes. */
	__atomic_store_n(&r->backed, 0, __ATOMIC_RELEASE);
	/*
	 * Replaced in place, so the range is never unmapped; only a kernel
	 * out of memory for a new VMA can make this fail.
	 */
	(void)gmem_map_anon(r->host, r->map_len);
	gmem_unlock_shards(g, GMEM_ALL_SHARDS);
out:
	(void)pthread_mutex_unlock(&g->mutex);
	return err;
}

unsigned
gmem_nr_regions(const struct gmem *g)
{
	return gmem_rlist_get(g)->nr;
}

int
gmem_region_get(const struct gmem *g, unsigned idx,
    struct gmem_region_info *ret)
{
	const struct gmem_rlist *rl = gmem_rlist_get(g);
	const struct gmem_region *r;

	if (idx >= rl->nr)
		return SMMU_ERR_NOENT;
	r = rl->slot[idx].region;
	memset(ret, 0, sizeof(*ret));
	(void)strcpy(ret->name, r->name);
	ret->gpa = r->gpa;
	ret->size = r->size;
	ret->backing = r->backing;
	ret->backed = gmem_region_backed(r);
	return 0;
}

/* ---- single-value accessors ------------------------------------------ */

/*
 * Naturally aligned accesses use relaxed atomics so they are single-copy
 * atomic against the guest and other threads; unaligned ones (which the
 * architecture does not make atomic either) are plain copies.
 */

int
gmem_read8(const struct gmem *g, uint64_t gpa, uint8_t *ret)
{
	uint8_t *p;

	if ((p = gmem_xlate(g, gpa, 1)) == NULL)
		return SMMU_ERR_RANGE;
	*ret = __atomic_load_n(p, __ATOMIC_RELAXED);
	return 0;
}

int
gmem_read16(const struct gmem *g, uint64_t gpa, uint16_t *ret)
{
	uint16_t v;
	uint8_t *p;

	if ((p = gmem_xlate(g, gpa, sizeof(v))) == NULL)
		return SMMU_ERR_RANGE;
	if (gpa & (sizeof(v) - 1))
		memcpy(&v, p, sizeof(v));
	else
		v = __atomic_load_n((uint16_t *)(void *)p, __ATOMIC_RELAXED);
	*ret = le16toh(v);
	return 0;
}

int
gmem_read32(const struct gmem *g, uint64_t gpa, uint32_t *ret)
{
	uint32_t v;
	uint8_t *p;

	if ((p = gmem_xlate(g, gpa, sizeof(v))) == NULL)
		return SMMU_ERR_RANGE;
	if (gpa & (sizeof(v) - 1))
		memcpy(&v, p, sizeof(v));
	else
		v = __atomic_load_n((uint32_t *)(void *)p, __ATOMIC_RELAXED);
	*ret = le32toh(v);
	return 0;
}

int
gmem_read64(const struct gmem *g, uint64_t gpa, uint64_t *ret)
{
	uint64_t v;
	uint8_t *p;

	if ((p = gmem_xlate(g, gpa, sizeof(v))) == NULL)
		return SMMU_ERR_RANGE;
	if (gpa & (sizeof(v) - 1))
		memcpy(&v, p, sizeof(v));
	else
		v = __atomic_load_n((uint64_t *)(void *)p, __ATOMIC_RELAXED);
	*ret = le64toh(v);
	return 0;
}

int
gmem_write8(struct gmem *g, uint64_t gpa, uint8_t val)
{
	uint8_t *p;

	if ((p = gmem_xlate(g, gpa, 1)) == NULL)
		return SMMU_ERR_RANGE;
	__atomic_store_n(p, val, __ATOMIC_RELAXED);
	return 0;
}

int
gmem_write16(struct gmem *g, uint64_t gpa, uint16_t val)
{
	uint16_t v = htole16(val);
	uint8_t *p;

	if ((p = gmem_xlate(g, gpa, sizeof(v))) == NULL)
		return SMMU_ERR_RANGE;
	if (gpa & (sizeof(v) - 1))
		memcpy(p, &v, sizeof(v));
	else
		__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
	return 0;
}

int
gmem_write32(struct gmem *g, uint64_t gpa, uint32_t val)
{
	uint32_t v = htole32(val);
	uint8_t *p;

	if ((p = gmem_xlate(g, gpa, sizeof(v))) == NULL)
		return SMMU_ERR_RANGE;
	if (gpa & (sizeof(v) - 1))
		memcpy(p, &v, sizeof(v));
	else
		__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
	return 0;
}

int
gmem_write64(struct gmem *g, uint64_t gpa, uint64_t val)
{
	uint64_t v = htole64(val);
	uint8_t *p;

	if ((p = gmem_xlate(g, gpa, sizeof(v))) == NULL)
		return SMMU_ERR_RANGE;
	if (gpa & (sizeof(v) - 1))
		memcpy(p, &v, sizeof(v));
	else
		__atomic_store_n((uint64_t *)(void *)p, v, __ATOMIC_RELAXED);
	return 0;
}

int
gmem_cas64(struct gmem *g, uint64_t gpa, uint64_t expected,
    uint64_t desired, uint64_t *ret_old)
{
	uint64_t seen = htole64(expected);
	uint8_t *p;
	bool ok;

	if (gpa & 7)
		return SMMU_ERR_INVAL;
	if ((p = gmem_xlate(g, gpa, sizeof(seen))) == NULL)
		return SMMU_ERR_RANGE;
	/*
	 * Sequentially consistent, like the hardware's atomic AF/dirty-state
	 * updates of translation table descriptors (HTTU).
	 */
	ok = __atomic_compare_exchange_n((uint64_t *)(void *)p, &seen,
	    htole64(desired), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	if (ret_old != NULL)
		*ret_old = le64toh(seen);
	return ok ? 0 : SMMU_ERR_AGAIN;
}

/* ---- bulk copies ----------------------------------------------------- */

/* Copy one chunk that lies in a single region, as op says. */
static void
gmem_copy(uint8_t *host, void *dst, const void *src, size_t len,
    enum gmem_op op)
{
	const uint8_t *s8 = src;
	uint8_t *d8 = dst;
	uint64_t v;
	size_t i;

	switch (op) {
	case GMEM_OP_READ:
		memcpy(dst, host, len);
		break;
	case GMEM_OP_WRITE:
		memcpy(host, src, len);
		break;
	case GMEM_OP_READ_WORDS:
		/* Word by word, so each word is single-copy atomic too. */
		for (i = 0; i < len; i += 8) {
			v = __atomic_load_n((uint64_t *)(void *)(host + i),
			    __ATOMIC_RELAXED);
			v = le64toh(v);
			memcpy(d8 + i, &v, sizeof(v));
		}
		break;
	case GMEM_OP_WRITE_WORDS:
		for (i = 0; i < len; i += 8) {
			memcpy(&v, s8 + i, sizeof(v));
			__atomic_store_n((uint64_t *)(void *)(host + i),
			    htole64(v), __ATOMIC_RELAXED);
		}
		break;
	}
}

/*
 * Copy [gpa, gpa + len) from or to buffer dst/src under the shard locks.
 * Every byte is checked to be backed before anything is copied; the check
 * runs under the locks, which gmem_region_unshare() also takes, so it
 * cannot go stale before the copy.
 */
static int
gmem_bulk(const struct gmem *g, uint64_t gpa, size_t len, void *dst,
    const void *src, enum gmem_op op)
{
	const struct gmem_rlist *rl;
	const struct gmem_slot *s;
	uint64_t cur, left, n, done;
	unsigned mask;
	int err = 0;

	if (len == 0)
		return 0;
	if ((uint64_t)len - 1 > UINT64_MAX - gpa)
		return SMMU_ERR_INVAL;
	mask = gmem_shard_mask(gpa, len);
	rl = gmem_rlist_get(g);
	gmem_lock_shards(g, mask, op == GMEM_OP_WRITE ||
	    op == GMEM_OP_WRITE_WORDS);
	for (cur = gpa, left = len; left > 0; cur += n, left -= n) {
		s = gmem_slot_find(rl, cur);
		if (s == NULL || !gmem_region_backed(s->region)) {
			err = SMMU_ERR_RANGE;
			goto out;
		}
		n = s->size - (cur - s->gpa);
		if (n > left)
			n = left;
	}
	for (cur = gpa, done = 0; done < len; cur += n, done += n) {
		s = gmem_slot_find(rl, cur);
		n = s->size - (cur - s->gpa);
		if (n > len - done)
			n = len - done;
		gmem_copy(s->host + (cur - s->gpa),
		    dst == NULL ? NULL : (uint8_t *)dst + done,
		    src == NULL ? NULL : (const uint8_t *)src + done,
		    (size_t)n, op);
	}
out:
	gmem_unlock_shards(g, mask);
	return err;
}

int
gmem_read(const struct gmem *g, uint64_t gpa, void *buf, size_t len)
{
	return gmem_bulk(g, gpa, len, buf, NULL, GMEM_OP_READ);
}

int
gmem_write(struct gmem *g, uint64_t gpa, const void *buf, size_t len)
{
	return gmem_bulk(g, gpa, len, NULL, buf, GMEM_OP_WRITE);
}

int
gmem_read_words(const struct gmem *g, uint64_t gpa, uint64_t *words,
    unsigned n)
{
	if (gpa & 7)
		return SMMU_ERR_INVAL;
#if SIZE_MAX / 8 < UINT_MAX
	if (n > SIZE_MAX / 8)
		return SMMU_ERR_INVAL;
#endif
	return gmem_bulk(g, gpa, (size_t)n * 8, words, NULL,
	    GMEM_OP_READ_WORDS);
}

int
gmem_write_words(struct gmem *g, uint64_t gpa, const uint64_t *words,
    unsigned n)
{
	if (gpa & 7)
		return SMMU_ERR_INVAL;
#if SIZE_MAX / 8 < UINT_MAX
	if (n > SIZE_MAX / 8)
		return SMMU_ERR_INVAL;
#endif
	return gmem_bulk(g, gpa, (size_t)n * 8, NULL, words,
	    GMEM_OP_WRITE_WORDS);
}

void *
gmem_host_ptr(const struct gmem *g, uint64_t gpa, size_t len)
{
	return gmem_xlate(g, gpa, len);
}

/* ---- dump and clear --------------------------------------------------- */

/* True if the 4 KiB page at p holds only zero bytes. */
static bool
gmem_page_is_zero(const uint8_t *p)
{
	uint64_t acc = 0, v;
	size_t i;

	for (i = 0; i < GMEM_PAGE_SIZE; i += sizeof(v)) {
		memcpy(&v, p + i, sizeof(v));
		acc |= v;
		/* Early exit every cache line: most pages differ early. */
		if ((i & 63) == 56 && acc != 0)
			return false;
	}
	return acc == 0;
}

/* State of one gmem_dump(): the run being gathered in the bounce buffer. */
struct gmem_dump_state {
	gmem_dump_cb cb;
	void *arg;
	uint8_t *buf;		/* GMEM_DUMP_RUN_MAX bytes */
	uint64_t run_gpa;
	size_t run_len;
};

/* Hand the gathered run to the callback; returns its result. */
static int
gmem_dump_flush(struct gmem_dump_state *st)
{
	int rc = 0;

	if (st->run_len > 0)
		rc = st->cb(st->arg, st->run_gpa, st->buf, st->run_len);
	st->run_len = 0;
	return rc;
}

/*
 * Add the page at gpa (host p) to the run if it is not all zero.  The
 * page is checked and copied under its shard read lock, so it is never
 * torn by a concurrent gmem_write().
 */
static int
gmem_dump_page(const struct gmem *g, struct gmem_dump_state *st,
    uint64_t gpa, const uint8_t *p)
{
	unsigned mask = 1u << ((gpa >> GMEM_SHARD_SHIFT) % GMEM_NR_SHARDS);
	int rc;

	/* A run this page cannot extend is complete whatever the page holds. */
	if (st->run_len > 0 && (gpa != st->run_gpa + st->run_len ||
	    st->run_len == GMEM_DUMP_RUN_MAX) &&
	    (rc = gmem_dump_flush(st)) != 0)
		return rc;
	gmem_lock_shards(g, mask, false);
	if (!gmem_page_is_zero(p)) {
		if (st->run_len == 0)
			st->run_gpa = gpa;
		memcpy(st->buf + st->run_len, p, GMEM_PAGE_SIZE);
		st->run_len += GMEM_PAGE_SIZE;
	}
	gmem_unlock_shards(g, mask);
	return 0;
}

/*
 * Dump one region.  Anonymous memory is probed with mincore() one window
 * at a time, so pages never touched stay unpopulated; for file and shared
 * backings mincore() only reports page-cache residency, so they are read.
 */
static int
gmem_dump_region(const struct gmem *g, struct gmem_dump_state *st,
    const struct gmem_region *r)
{
	unsigned char vec[GMEM_DUMP_RUN_MAX / GMEM_PAGE_SIZE];
	uint64_t win, off, woff;
	size_t wlen;
	bool probe;
	int rc;

	for (win = 0; win < r->size; win += wlen) {
		wlen = GMEM_DUMP_RUN_MAX;
		if (wlen > r->size - win)
			wlen = (size_t)(r->size - win);
		probe = r->backing == GMEM_ANON && g->host_page <=
		    GMEM_DUMP_RUN_MAX && mincore(r->host + win, wlen, vec) == 0;
		/* If mincore() fails, read: a dump must not lose data. */
		for (woff = 0; woff < wlen; woff += GMEM_PAGE_SIZE) {
			off = win + woff;
			if (probe && !(vec[woff / g->host_page] & 1))
				continue;
			if ((rc = gmem_dump_page(g, st, r->gpa + off,
			    r->host + off)) != 0)
				return rc;
		}
	}
	return 0;
}

int
gmem_dump(const struct gmem *g, unsigned backing_mask, gmem_dump_cb cb,
    void *arg)
{
	const struct gmem_rlist *rl = gmem_rlist_get(g);
	const struct gmem_region *r;
	struct gmem_dump_state st;
	unsigned i;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	st.cb = cb;
	st.arg = arg;
	if ((st.buf = malloc(GMEM_DUMP_RUN_MAX)) == NULL)
		return SMMU_ERR_NOMEM;
	for (i = 0; i < rl->nr; i++) {
		r = rl->slot[i].region;
		if (!(backing_mask & (1u << r->backing)) ||
		    !gmem_region_backed(r))
			continue;
		if ((rc = gmem_dump_region(g, &st, r)) != 0)
			goto out;
	}
	rc = gmem_dump_flush(&st);
out:
	free(st.buf);
	return rc;
}

int
gmem_clear(struct gmem *g, unsigned backing_mask)
{
	const struct gmem_rlist *rl = gmem_rlist_get(g);
	const struct gmem_region *r;
	uint64_t off;
	unsigned i;
	int err = 0;

	gmem_lock_shards(g, GMEM_ALL_SHARDS, true);
	for (i = 0; i < rl->nr; i++) {
		r = rl->slot[i].region;
		if (!(backing_mask & (1u << r->backing)) ||
		    !gmem_region_backed(r))
			continue;
		if (r->backing == GMEM_ANON) {
			/* Private anonymous memory reads as zero afterwards. */
			if (madvise(r->host, r->map_len, MADV_DONTNEED) != 0)
				err = SMMU_ERR_IO;
			continue;
		}
		/*
		 * MADV_DONTNEED would bring back the file's contents here, so
		 * zero by hand, skipping zero pages so that a private file
		 * mapping is not copied on write for nothing.
		 */
		for (off = 0; off < r->size; off += GMEM_PAGE_SIZE)
			if (!gmem_page_is_zero(r->host + off))
				memset(r->host + off, 0, GMEM_PAGE_SIZE);
	}
	gmem_unlock_shards(g, GMEM_ALL_SHARDS);
	return err;
}
