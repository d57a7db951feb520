/*
 * gmem.h - guest physical memory: the only way the engine touches memory.
 *
 * Owns: the set of guest-physical regions of one VM, their host mappings
 * and the 16 shard locks.
 *
 * A region is a non-overlapping [gpa, gpa + size) range backed by
 *  - anonymous memory (reserved with MAP_NORESERVE, so a large declared
 *    region costs no RSS until touched; optionally madvise(MADV_HUGEPAGE)),
 *  - a caller's fd mapped copy-on-write (a file image: writes stay private),
 *  - a caller's fd mapped MAP_SHARED (memory shared with a VMM), or
 *  - nothing yet ("shared later"): reads and writes fail with
 *    SMMU_ERR_RANGE, which the engine reports as an external abort, until
 *    gmem_region_share() maps the VMM's fd over it.
 *
 * Lifetime rules.  Every region keeps its host address range reserved for
 * the life of the gmem, so a racing reader never touches an unmapped page:
 * sharing/unsharing replaces the mapping in place with MAP_FIXED.  Regions
 * may be added at any time (the region list is published with release
 * semantics and old lists are kept until gmem_destroy()); they are never
 * removed before gmem_destroy().
 *
 * Concurrency.  Aligned 1/2/4/8-byte reads and writes are single-copy
 * atomic and take no lock (the guest writes the same memory without our
 * locks anyway).  Multi-word accesses (gmem_read()/gmem_write(): STEs,
 * CDs, event records, bulk copies) hold the read or write lock of every
 * shard they touch, so the engine never observes a torn structure that the
 * engine itself wrote.  Shard = (gpa >> 12) % GMEM_NR_SHARDS: 4 KiB pages
 * are interleaved over the 16 rwlocks.
 *
 * All multi-byte values are little-endian in guest memory, whatever the
 * host byte order.
 */
#ifndef SMMU_GMEM_H
#define SMMU_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GMEM_NR_SHARDS 16
#define GMEM_SHARD_SHIFT 12
#define GMEM_NAME_MAX 63

struct gmem;

enum gmem_backing {
	GMEM_ANON,	/* private anonymous memory, zero-filled */
	GMEM_FILE,	/* caller's fd mapped MAP_PRIVATE (copy-on-write) */
	GMEM_SHARED,	/* caller's fd mapped MAP_SHARED, or unbacked yet */
	GMEM_BACKING_MAX
};

/* Flags for gmem_region_add(). */
#define GMEM_F_THP (1u << 0)	/* anonymous: madvise(MADV_HUGEPAGE) */

/* Description of a region, as returned by gmem_region_get(). */
struct gmem_region_info {
	char name[GMEM_NAME_MAX + 1];
	uint64_t gpa;
	uint64_t size;
	enum gmem_backing backing;
	bool backed;		/* false: shared region with no fd yet */
};

/*
 * Create an empty address space.  Returns NULL if out of memory.
 */
struct gmem *
gmem_create(void);

/*
 * Unmap every region and free the address space.  Accepts NULL.  The
 * caller guarantees no other thread is using g.
 */
void
gmem_destroy(struct gmem *g);

/*
 * Add region [gpa, gpa + size).  gpa and size must be multiples of 4 KiB,
 * size > 0, gpa + size must not overflow, name is copied (at most
 * GMEM_NAME_MAX bytes, must be unique).
 *  - GMEM_ANON: fd must be -1; flags may hold GMEM_F_THP.
 *  - GMEM_FILE: fd is mapped privately at offset (page aligned); the file
 *    must be at least offset + size bytes.  The caller keeps its fd.
 *  - GMEM_SHARED: fd >= 0 maps it shared now (like gmem_region_share());
 *    fd == -1 leaves the region unbacked.
 * Returns 0, SMMU_ERR_INVAL, SMMU_ERR_OVERLAP, SMMU_ERR_EXIST (name),
 * SMMU_ERR_IO (fd too short or not mappable) or SMMU_ERR_NOMEM.
 */
int
gmem_region_add(struct gmem *g, const char *name, uint64_t gpa,
    uint64_t size, enum gmem_backing backing, int fd, uint64_t offset,
    unsigned flags);

/*
 * Map fd (MAP_SHARED, at page-aligned offset, size bytes from there) over
 * the GMEM_SHARED region named name, replacing any previous backing.  The
 * caller keeps its fd (the mapping holds its own reference).  Returns 0,
 * SMMU_ERR_NOENT, SMMU_ERR_INVAL (not a shared region) or SMMU_ERR_IO.
 */
int
gmem_region_share(struct gmem *g, const char *name, int fd,
    uint64_t offset);

/*
 * Drop the backing of a GMEM_SHARED region; it reads as an external
 * abort again.  Returns 0, SMMU_ERR_NOENT or SMMU_ERR_INVAL.
 */
int
gmem_region_unshare(struct gmem *g, const char *name);

/* Number of regions. */
unsigned
gmem_nr_regions(const struct gmem *g);

/*
 * Describe region idx (0-based, sorted by gpa) into *ret.  Returns 0 or
 * SMMU_ERR_NOENT.
 */
int
gmem_region_get(const struct gmem *g, unsigned idx,
    struct gmem_region_info *ret);

/*
 * Single-value little-endian accessors.  An access must lie entirely in
 * one backed region; naturally aligned accesses are single-copy atomic.
 * Return 0 or SMMU_ERR_RANGE (outside every region, or unbacked).
 * *ret is written only on success.
 */
int gmem_read8(const struct gmem *g, uint64_t gpa, uint8_t *ret);
int gmem_read16(const struct gmem *g, uint64_t gpa, uint16_t *ret);
int gmem_read32(const struct gmem *g, uint64_t gpa, uint32_t *ret);
int gmem_read64(const struct gmem *g, uint64_t gpa, uint64_t *ret);
int gmem_write8(struct gmem *g, uint64_t gpa, uint8_t val);
int gmem_write16(struct gmem *g, uint64_t gpa, uint16_t val);
int gmem_write32(struct gmem *g, uint64_t gpa, uint32_t val);
int gmem_write64(struct gmem *g, uint64_t gpa, uint64_t val);

/*
 * Atomically replace the 64-bit word at gpa (8-byte aligned) with desired
 * if it equals expected (both in host order; stored little-endian).  The
 * value seen is stored in *ret_old if ret_old is not NULL.  Returns 0 when
 * swapped, SMMU_ERR_AGAIN when the value differed, SMMU_ERR_INVAL when
 * misaligned, SMMU_ERR_RANGE when unbacked.
 */
int
gmem_cas64(struct gmem *g, uint64_t gpa, uint64_t expected,
    uint64_t desired, uint64_t *ret_old);

/*
 * Copy len bytes between guest memory and buf.  The range may cross shard
 * and region boundaries, but every byte must be backed: on SMMU_ERR_RANGE
 * nothing has been written (gmem_write) or buf is unspecified (gmem_read).
 * Each shard touched is locked (read or write) for the whole copy, in
 * ascending shard order, so a copy is atomic with respect to other
 * gmem_read()/gmem_write() calls.  Returns 0, SMMU_ERR_RANGE or
 * SMMU_ERR_INVAL (len overflow).
 */
int
gmem_read(const struct gmem *g, uint64_t gpa, void *buf, size_t len);
int
gmem_write(struct gmem *g, uint64_t gpa, const void *buf, size_t len);

/*
 * Read n little-endian 64-bit words at gpa (8-byte aligned) into host
 * order, under the shard locks (an STE or CD fetch).  Returns 0 or
 * SMMU_ERR_RANGE / SMMU_ERR_INVAL.
 */
int
gmem_read_words(const struct gmem *g, uint64_t gpa, uint64_t *words,
    unsigned n);

/*
 * Write n 64-bit host-order words at gpa (8-byte aligned) little-endian,
 * under the shard write locks.
 */
int
gmem_write_words(struct gmem *g, uint64_t gpa, const uint64_t *words,
    unsigned n);

/*
 * Callback for gmem_dump(): one run of non-zero 4 KiB pages.  Return 0 to
 * continue, anything else to stop the dump (returned by gmem_dump()).
 */
typedef int (*gmem_dump_cb)(void *arg, uint64_t gpa, const void *data,
    size_t len);

/*
 * Walk the contents of every backed region whose backing is in the mask
 * (1u << GMEM_ANON | ...) in ascending gpa order, calling cb for each run
 * of consecutive 4 KiB pages that are not entirely zero (so a snapshot is
 * sparse).  Pages never touched are not faulted in (mincore() is used to
 * skip non-resident anonymous pages).  Each run is at most 1 MiB.
 * Returns 0, or the first non-zero value returned by cb.
 */
int
gmem_dump(const struct gmem *g, unsigned backing_mask, gmem_dump_cb cb,
    void *arg);

/*
 * Zero every backed region in backing_mask (MADV_DONTNEED for anonymous
 * memory, so RSS returns), before a restore writes the dumped runs back
 * with gmem_write().  Returns 0 or SMMU_ERR_IO.
 */
int
gmem_clear(struct gmem *g, unsigned backing_mask);

/*
 * Host pointer for [gpa, gpa + len) if it lies in one backed region, else
 * NULL.  Borrowed: the address stays mapped until g is destroyed (an
 * unshare replaces the backing in place), but after an unshare it reads
 * zeroes.  No shard lock is taken: use it for single-copy-atomic reads of
 * words the guest owns (the command reader fetches a run of commands this
 * way) or for tooling; multi-word structures the engine writes go through
 * gmem_read()/gmem_write().
 */
void *
gmem_host_ptr(const struct gmem *g, uint64_t gpa, size_t len);

#endif /* SMMU_GMEM_H */
