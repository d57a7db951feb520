/*
 * test_gmem.c - guest memory: regions, little-endian accessors, bulk
 * copies across shards and regions, compare-and-swap, lazily populated
 * anonymous memory, copy-on-write file images, VMM-shared memory, sparse
 * dump, clear/restore and a torn-record concurrency smoke test.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "gmem.h"
#include "suites.h"

#define PG 4096ull
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define ALL_BACKINGS ((1u << GMEM_ANON) | (1u << GMEM_FILE) | \
	(1u << GMEM_SHARED))

/* ---- helpers --------------------------------------------------------- */

/* A gmem with one anonymous region, or a failed test. */
static struct gmem *
new_gmem_anon(const char *name, uint64_t gpa, uint64_t size)
{
	struct gmem *g = gmem_create();

	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(gmem_region_add(g, name, gpa, size, GMEM_ANON, -1, 0,
	    0), 0);
	return g;
}

/* Resident set size in bytes, from /proc/self/statm. */
static long long
rss_bytes(void)
{
	long long size = 0, res = -1;
	FILE *f;

	f = fopen("/proc/self/statm", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%lld %lld", &size, &res), 2);
	fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

/* Number of resident host pages in [p, p + len) (page-aligned p). */
static size_t
resident_pages(void *p, size_t len)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), n, i, count = 0;
	unsigned char *vec;

	n = (len + ps - 1) / ps;
	vec = malloc(n);
	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(mincore(p, len, vec), 0);
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/*
 * A temporary regular file holding data, opened with mode; the file and
 * its directory are removed at once (the fd keeps the inode), so a failing
 * test leaves nothing behind.
 */
static int
tmp_file(const void *data, size_t len, int mode)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	const char *tmp = getenv("TMPDIR");
	int fd, rfd;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/gmemXXXXXX", tmp),
	    (int)sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/img", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	rfd = mode == O_RDWR ? fd : open(path, mode | O_CLOEXEC);
	ck_assert_int_ge(rfd, 0);
	if (rfd != fd)
		close(fd);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	return rfd;
}

/* Byte i of the pattern of new_memfd() with seed. */
static uint8_t
pat(size_t i, uint8_t seed)
{
	return (uint8_t)(i * 13 + seed);
}

/* A memfd of len bytes holding pat(i, seed). */
static int
new_memfd(size_t len, uint8_t seed)
{
	uint8_t *buf;
	size_t i;
	int fd;

	fd = memfd_create("gmem-test", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < len; i++)
		buf[i] = pat(i, seed);
	ck_assert_int_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	free(buf);
	return fd;
}

/* One run reported by gmem_dump(). */
struct run {
	uint64_t gpa;
	size_t len;
	uint8_t *data;
};

/* Everything a gmem_dump() reported. */
struct runs {
	struct run *v;
	unsigned n;
	unsigned calls;
	unsigned stop_at;	/* return 42 on call stop_at (from 1) */
	unsigned bad;		/* runs misaligned or over 1 MiB */
};

/* gmem_dump() callback that copies each run. */
static int
collect_cb(void *arg, uint64_t gpa, const void *data, size_t len)
{
	struct runs *rs = arg;
	struct run *v;

	rs->calls++;
	if (rs->stop_at != 0 && rs->calls == rs->stop_at)
		return 42;
	if ((gpa & (PG - 1)) || len == 0 || (len & (PG - 1)) || len > MIB)
		rs->bad++;
	v = realloc(rs->v, (rs->n + 1) * sizeof(*v));
	ck_assert_ptr_nonnull(v);
	rs->v = v;
	v[rs->n].gpa = gpa;
	v[rs->n].len = len;
	v[rs->n].data = malloc(len);
	ck_assert_ptr_nonnull(v[rs->n].data);
	memcpy(v[rs->n].data, data, len);
	rs->n++;
	return 0;
}

/* Free what collect_cb() gathered. */
static void
runs_free(struct runs *rs)
{
	unsigned i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i].data);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* ---- regions ---------------------------------------------------------- */

START_TEST(test_create_empty)
{
	struct gmem_region_info info;
	struct gmem *g = gmem_create();
	uint64_t v = 7;

	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(gmem_nr_regions(g), 0);
	ck_assert_int_eq(gmem_region_get(g, 0, &info), SMMU_ERR_NOENT);
	ck_assert_int_eq(gmem_read64(g, 0, &v), SMMU_ERR_RANGE);
	ck_assert_uint_eq(v, 7);
	ck_assert_ptr_null(gmem_host_ptr(g, 0, 1));
	gmem_destroy(g);
	gmem_destroy(NULL);
}
END_TEST

START_TEST(test_add_errors)
{
	char longname[GMEM_NAME_MAX + 2], maxname[GMEM_NAME_MAX + 1];
	struct gmem_region_info info;
	struct gmem *g = gmem_create();

	ck_assert_ptr_nonnull(g);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(maxname, 'y', sizeof(maxname) - 1);
	maxname[sizeof(maxname) - 1] = '\0';

	/* Alignment and size. */
	ck_assert_int_eq(gmem_region_add(g, "a", 0x1800, PG, GMEM_ANON, -1,
	    0, 0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "a", 0x1000, PG + 8, GMEM_ANON,
	    -1, 0, 0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "a", 0x1000, 0, GMEM_ANON, -1, 0,
	    0), SMMU_ERR_INVAL);
	/* gpa + size overflows (ends exactly at 2^64). */
	ck_assert_int_eq(gmem_region_add(g, "a", UINT64_MAX - PG + 1, PG,
	    GMEM_ANON, -1, 0, 0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "a", UINT64_MAX - PG + 1,
	    2 * PG, GMEM_ANON, -1, 0, 0), SMMU_ERR_INVAL);
	/* Names. */
	ck_assert_int_eq(gmem_region_add(g, longname, 0x1000, PG, GMEM_ANON,
	    -1, 0, 0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "", 0x1000, PG, GMEM_ANON, -1, 0,
	    0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, NULL, 0x1000, PG, GMEM_ANON, -1,
	    0, 0), SMMU_ERR_INVAL);
	/* Backing, fd and flags. */
	ck_assert_int_eq(gmem_region_add(g, "a", 0x1000, PG, GMEM_BACKING_MAX,
	    -1, 0, 0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "a", 0x1000, PG, GMEM_ANON, 0, 0,
	    0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "a", 0x1000, PG, GMEM_FILE, -1, 0,
	    0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "a", 0x1000, PG, GMEM_SHARED, -2,
	    0, 0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "a", 0x1000, PG, GMEM_ANON, -1, 0,
	    0x80), SMMU_ERR_INVAL);
	ck_assert_uint_eq(gmem_nr_regions(g), 0);

	/* The longest legal name, and the topmost legal region. */
	ck_assert_int_eq(gmem_region_add(g, maxname, 0x1000, PG, GMEM_ANON,
	    -1, 0, 0), 0);
	ck_assert_int_eq(gmem_region_add(g, "top", UINT64_MAX - 2 * PG + 1,
	    PG, GMEM_ANON, -1, 0, GMEM_F_THP), 0);
	ck_assert_int_eq(gmem_write8(g, UINT64_MAX - PG, 0x5a), 0);
	ck_assert_int_eq(gmem_write8(g, UINT64_MAX - PG + 1, 0x5a),
	    SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_region_get(g, 0, &info), 0);
	ck_assert_str_eq(info.name, maxname);

	/* Duplicate name, even with a free range. */
	ck_assert_int_eq(gmem_region_add(g, "top", 0x100000, PG, GMEM_ANON,
	    -1, 0, 0), SMMU_ERR_EXIST);
	ck_assert_uint_eq(gmem_nr_regions(g), 2);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_add_overlap)
{
	struct gmem *g = new_gmem_anon("mid", 0x10000, 0x4000);

	/* Same range, start inside, end inside, containing, contained. */
	ck_assert_int_eq(gmem_region_add(g, "b", 0x10000, 0x4000, GMEM_ANON,
	    -1, 0, 0), SMMU_ERR_OVERLAP);
	ck_assert_int_eq(gmem_region_add(g, "b", 0x13000, 0x2000, GMEM_ANON,
	    -1, 0, 0), SMMU_ERR_OVERLAP);
	ck_assert_int_eq(gmem_region_add(g, "b", 0xf000, 0x2000, GMEM_ANON,
	    -1, 0, 0), SMMU_ERR_OVERLAP);
	ck_assert_int_eq(gmem_region_add(g, "b", 0x8000, 0x10000, GMEM_ANON,
	    -1, 0, 0), SMMU_ERR_OVERLAP);
	ck_assert_int_eq(gmem_region_add(g, "b", 0x11000, 0x1000, GMEM_ANON,
	    -1, 0, 0), SMMU_ERR_OVERLAP);
	ck_assert_uint_eq(gmem_nr_regions(g), 1);
	/* Exactly adjacent on both sides is fine. */
	ck_assert_int_eq(gmem_region_add(g, "lo", 0xf000, 0x1000, GMEM_ANON,
	    -1, 0, 0), 0);
	ck_assert_int_eq(gmem_region_add(g, "hi", 0x14000, 0x1000, GMEM_ANON,
	    -1, 0, 0), 0);
	ck_assert_uint_eq(gmem_nr_regions(g), 3);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_region_get_order)
{
	static const char *const add[] = { "e", "b", "f", "a", "d", "c" };
	struct gmem_region_info info;
	struct gmem *g = gmem_create();
	unsigned i;
	uint8_t v;

	ck_assert_ptr_nonnull(g);
	/* Region "a" + k: gpa 0x10000 * (k + 1), k + 1 pages. */
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(gmem_region_add(g, add[i],
		    0x10000 * (uint64_t)(add[i][0] - 'a' + 1),
		    PG * (uint64_t)(add[i][0] - 'a' + 1), GMEM_ANON, -1, 0,
		    0), 0);
	ck_assert_uint_eq(gmem_nr_regions(g), 6);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(gmem_region_get(g, i, &info), 0);
		ck_assert_uint_eq(info.gpa, 0x10000 * (i + 1));
		ck_assert_uint_eq(info.size, PG * (i + 1));
		ck_assert_int_eq(info.name[0], 'a' + (int)i);
		ck_assert_int_eq(info.name[1], '\0');
		ck_assert_int_eq(info.backing, GMEM_ANON);
		ck_assert(info.backed);
		/* Binary search (more than four regions) finds each one. */
		ck_assert_int_eq(gmem_write8(g, info.gpa + info.size - 1,
		    (uint8_t)i), 0);
		ck_assert_int_eq(gmem_read8(g, info.gpa + info.size - 1, &v),
		    0);
		ck_assert_uint_eq(v, i);
		ck_assert_int_eq(gmem_read8(g, info.gpa + info.size, &v),
		    SMMU_ERR_RANGE);
		ck_assert_int_eq(gmem_read8(g, info.gpa - 1, &v),
		    SMMU_ERR_RANGE);
	}
	memset(&info, 0xa5, sizeof(info));
	ck_assert_int_eq(gmem_region_get(g, 6, &info), SMMU_ERR_NOENT);
	ck_assert_uint_eq(info.gpa, 0xa5a5a5a5a5a5a5a5ull);
	gmem_destroy(g);
}
END_TEST

/* ---- single-value accessors ------------------------------------------ */

START_TEST(test_le_roundtrip)
{
	struct gmem *g = new_gmem_anon("ram", 0x100000, 4 * PG);
	uint64_t base = 0x100000, v64 = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;
	uint8_t b[8];
	unsigned i;

	ck_assert_int_eq(gmem_write64(g, base, 0x0102030405060708ull), 0);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(gmem_read8(g, base + i, &b[i]), 0);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(b[i], 8 - i);
	ck_assert_int_eq(gmem_read64(g, base, &v64), 0);
	ck_assert_uint_eq(v64, 0x0102030405060708ull);
	ck_assert_int_eq(gmem_read32(g, base, &v32), 0);
	ck_assert_uint_eq(v32, 0x05060708);
	ck_assert_int_eq(gmem_read32(g, base + 4, &v32), 0);
	ck_assert_uint_eq(v32, 0x01020304);
	ck_assert_int_eq(gmem_read16(g, base + 6, &v16), 0);
	ck_assert_uint_eq(v16, 0x0102);

	ck_assert_int_eq(gmem_write32(g, base + 16, 0xa1b2c3d4), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(gmem_read8(g, base + 16 + i, &b[i]), 0);
	ck_assert_uint_eq(b[0], 0xd4);
	ck_assert_uint_eq(b[1], 0xc3);
	ck_assert_uint_eq(b[2], 0xb2);
	ck_assert_uint_eq(b[3], 0xa1);

	ck_assert_int_eq(gmem_write16(g, base + 32, 0xbeef), 0);
	ck_assert_int_eq(gmem_read8(g, base + 32, &b[0]), 0);
	ck_assert_int_eq(gmem_read8(g, base + 33, &b[1]), 0);
	ck_assert_uint_eq(b[0], 0xef);
	ck_assert_uint_eq(b[1], 0xbe);
	ck_assert_int_eq(gmem_read16(g, base + 32, &v16), 0);
	ck_assert_uint_eq(v16, 0xbeef);

	ck_assert_int_eq(gmem_write8(g, base + 40, 0x7f), 0);
	ck_assert_int_eq(gmem_read8(g, base + 40, &b[0]), 0);
	ck_assert_uint_eq(b[0], 0x7f);

	/* Bytes written one by one read back as a little-endian word. */
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(gmem_write8(g, base + 48 + i,
		    (uint8_t)(0x10 + i)), 0);
	ck_assert_int_eq(gmem_read64(g, base + 48, &v64), 0);
	ck_assert_uint_eq(v64, 0x1716151413121110ull);
	/* The same bytes, through the bulk path. */
	ck_assert_int_eq(gmem_read(g, base + 48, b, 8), 0);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(b[i], 0x10 + i);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_unaligned)
{
	struct gmem *g = new_gmem_anon("ram", 0x100000, 2 * PG);
	uint64_t base = 0x100000, v64 = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;
	uint8_t b;

	ck_assert_int_eq(gmem_write64(g, base + 3, 0x8877665544332211ull), 0);
	ck_assert_int_eq(gmem_read8(g, base + 3, &b), 0);
	ck_assert_uint_eq(b, 0x11);
	ck_assert_int_eq(gmem_read8(g, base + 10, &b), 0);
	ck_assert_uint_eq(b, 0x88);
	ck_assert_int_eq(gmem_read64(g, base + 3, &v64), 0);
	ck_assert_uint_eq(v64, 0x8877665544332211ull);
	ck_assert_int_eq(gmem_read32(g, base + 5, &v32), 0);
	ck_assert_uint_eq(v32, 0x66554433);
	ck_assert_int_eq(gmem_read16(g, base + 9, &v16), 0);
	ck_assert_uint_eq(v16, 0x8877);

	/* Unaligned across a page (and shard) boundary inside the region. */
	ck_assert_int_eq(gmem_write64(g, base + PG - 3, 0x0123456789abcdefull),
	    0);
	ck_assert_int_eq(gmem_read8(g, base + PG, &b), 0);
	ck_assert_uint_eq(b, 0x89);
	ck_assert_int_eq(gmem_read64(g, base + PG - 3, &v64), 0);
	ck_assert_uint_eq(v64, 0x0123456789abcdefull);
	ck_assert_int_eq(gmem_write32(g, base + PG - 1, 0xcafef00d), 0);
	ck_assert_int_eq(gmem_read32(g, base + PG - 1, &v32), 0);
	ck_assert_uint_eq(v32, 0xcafef00d);
	ck_assert_int_eq(gmem_write16(g, base + PG - 1, 0xabcd), 0);
	ck_assert_int_eq(gmem_read16(g, base + PG - 1, &v16), 0);
	ck_assert_uint_eq(v16, 0xabcd);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_range_errors)
{
	struct gmem *g = new_gmem_anon("ram", 0x100000, PG);
	uint64_t end = 0x100000 + PG, v64 = 0x5555;
	uint32_t v32 = 0x5555;
	uint16_t v16 = 0x5555;
	uint64_t words[2];
	uint8_t b = 0x55, buf[16];

	/* Straddling the end of the region. */
	ck_assert_int_eq(gmem_read64(g, end - 4, &v64), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read32(g, end - 2, &v32), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read16(g, end - 1, &v16), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_write64(g, end - 4, 1), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_write32(g, end - 2, 1), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_write16(g, end - 1, 1), SMMU_ERR_RANGE);
	/* Nothing of the failed writes landed. */
	ck_assert_int_eq(gmem_read8(g, end - 1, &b), 0);
	ck_assert_uint_eq(b, 0);
	/* The last bytes themselves are fine. */
	ck_assert_int_eq(gmem_write64(g, end - 8, 1), 0);
	ck_assert_int_eq(gmem_read64(g, end - 8, &v64), 0);
	ck_assert_uint_eq(v64, 1);

	/* Outside every region: outputs untouched. */
	v64 = 0x5555;
	b = 0x55;
	ck_assert_int_eq(gmem_read64(g, end, &v64), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read32(g, 0, &v32), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read16(g, 0x100000 - 2, &v16), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read8(g, 0x100000 - 1, &b), SMMU_ERR_RANGE);
	ck_assert_uint_eq(v64, 0x5555);
	ck_assert_uint_eq(v32, 0x5555);
	ck_assert_uint_eq(v16, 0x5555);
	ck_assert_uint_eq(b, 0x55);
	ck_assert_int_eq(gmem_write8(g, end, 1), SMMU_ERR_RANGE);
	/* Near 2^64: gpa + len wraps. */
	ck_assert_int_eq(gmem_read64(g, UINT64_MAX - 3, &v64),
	    SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_write64(g, UINT64_MAX, 1), SMMU_ERR_RANGE);
	ck_assert_uint_eq(v64, 0x5555);
	ck_assert_int_eq(gmem_read(g, UINT64_MAX - 3, buf, 8),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_write(g, 0x100000, buf, SIZE_MAX),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_read(g, end - 8, buf, 16), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read(g, end - 8, buf, 0), 0);
	ck_assert_int_eq(gmem_read_words(g, UINT64_MAX - 7, words, 2),
	    SMMU_ERR_INVAL);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_host_ptr)
{
	struct gmem *g = new_gmem_anon("ram", 0x100000, 2 * PG);
	uint8_t *p, b = 0;

	ck_assert_int_eq(gmem_region_add(g, "next", 0x100000 + 2 * PG, PG,
	    GMEM_ANON, -1, 0, 0), 0);
	p = gmem_host_ptr(g, 0x100010, 16);
	ck_assert_ptr_nonnull(p);
	p[0] = 0x42;
	ck_assert_int_eq(gmem_read8(g, 0x100010, &b), 0);
	ck_assert_uint_eq(b, 0x42);
	ck_assert_ptr_eq(gmem_host_ptr(g, 0x100000, 2 * PG),
	    p - 0x10);
	/* Adjacent regions are separate mappings: no pointer across. */
	ck_assert_ptr_null(gmem_host_ptr(g, 0x100000 + 2 * PG - 8, 16));
	ck_assert_ptr_null(gmem_host_ptr(g, 0x100000, 3 * PG));
	ck_assert_ptr_null(gmem_host_ptr(g, 0xff000, 8));
	ck_assert_ptr_null(gmem_host_ptr(g, 0x100008, SIZE_MAX));
	gmem_destroy(g);
}
END_TEST

/* ---- bulk copies ------------------------------------------------------ */

START_TEST(test_bulk_shards)
{
	const uint64_t base = 0x40000000, len = 18 * PG + 100;
	struct gmem *g = new_gmem_anon("ram", base, 32 * PG);
	uint8_t *in, *out, b;
	uint64_t i, at = base + PG - 37;

	in = malloc(len);
	out = malloc(len);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	for (i = 0; i < len; i++)
		in[i] = (uint8_t)(i * 7 + 1);
	/* 18+ pages from an odd offset: every shard, one of them twice. */
	ck_assert_int_eq(gmem_write(g, at, in, len), 0);
	memset(out, 0, len);
	ck_assert_int_eq(gmem_read(g, at, out, len), 0);
	ck_assert_mem_eq(out, in, len);
	/* Byte-exact placement, checked through another path. */
	for (i = 0; i < len; i += 997) {
		ck_assert_int_eq(gmem_read8(g, at + i, &b), 0);
		ck_assert_uint_eq(b, in[i]);
	}
	ck_assert_int_eq(gmem_read8(g, at - 1, &b), 0);
	ck_assert_uint_eq(b, 0);
	ck_assert_int_eq(gmem_read8(g, at + len, &b), 0);
	ck_assert_uint_eq(b, 0);
	/* A small copy across one page boundary. */
	ck_assert_int_eq(gmem_read(g, base + 2 * PG - 3, out, 6), 0);
	ck_assert_mem_eq(out, in + (base + 2 * PG - 3 - at), 6);
	free(in);
	free(out);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_bulk_regions)
{
	const uint64_t a = 0x200000, b = a + 2 * PG, c = b + 2 * PG + PG;
	uint8_t in[3 * PG], orig[3 * PG], out[3 * PG], byte;
	struct gmem *g = new_gmem_anon("a", a, 2 * PG);
	unsigned i;

	/* a and b adjacent, then a one-page gap, then c. */
	ck_assert_int_eq(gmem_region_add(g, "b", b, 2 * PG, GMEM_ANON, -1, 0,
	    0), 0);
	ck_assert_int_eq(gmem_region_add(g, "c", c, 2 * PG, GMEM_ANON, -1, 0,
	    0), 0);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5a);

	/* Across the a/b boundary. */
	ck_assert_int_eq(gmem_write(g, b - PG - 5, in, sizeof(in)), 0);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(gmem_read(g, b - PG - 5, out, sizeof(out)), 0);
	ck_assert_mem_eq(out, in, sizeof(out));
	ck_assert_int_eq(gmem_read8(g, b, &byte), 0);
	ck_assert_uint_eq(byte, in[PG + 5]);
	ck_assert_int_eq(gmem_read8(g, b - 1, &byte), 0);
	ck_assert_uint_eq(byte, in[PG + 4]);
	memcpy(orig, in, sizeof(in));

	/* Across the gap between b and c: RANGE and nothing written. */
	memset(in, 0xee, sizeof(in));
	ck_assert_int_eq(gmem_write(g, c - PG - 16, in, PG + 32),
	    SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_write(g, b + PG, in, 3 * PG), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read(g, b - PG - 5, out, sizeof(out)), 0);
	ck_assert_mem_eq(out, orig, sizeof(out));
	ck_assert_int_eq(gmem_read8(g, b + 2 * PG - 1, &byte), 0);
	ck_assert_uint_eq(byte, 0);
	ck_assert_int_eq(gmem_read8(g, c, &byte), 0);
	ck_assert_uint_eq(byte, 0);
	ck_assert_int_eq(gmem_read(g, c - 8, out, 16), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_write_words(g, c - 8, (uint64_t *)(void *)in,
	    2), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read8(g, c, &byte), 0);
	ck_assert_uint_eq(byte, 0);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_words)
{
	const uint64_t a = 0x200000, b = a + PG;
	struct gmem *g = new_gmem_anon("a", a, PG);
	uint64_t w[8], r[8], v;
	unsigned i;
	uint8_t byte;

	ck_assert_int_eq(gmem_region_add(g, "b", b, PG, GMEM_ANON, -1, 0, 0),
	    0);
	for (i = 0; i < 8; i++)
		w[i] = 0x1111111111111111ull * i + 0x0102030405060708ull;
	/* Straddles a/b (and shards 0/1). */
	ck_assert_int_eq(gmem_write_words(g, b - 32, w, 8), 0);
	ck_assert_int_eq(gmem_read8(g, b - 32, &byte), 0);
	ck_assert_uint_eq(byte, 0x08);
	ck_assert_int_eq(gmem_read8(g, b - 25, &byte), 0);
	ck_assert_uint_eq(byte, 0x01);
	ck_assert_int_eq(gmem_read64(g, b + 24, &v), 0);
	ck_assert_uint_eq(v, w[7]);
	memset(r, 0, sizeof(r));
	ck_assert_int_eq(gmem_read_words(g, b - 32, r, 8), 0);
	ck_assert_mem_eq(r, w, sizeof(w));
	ck_assert_int_eq(gmem_read_words(g, b - 32, r, 0), 0);

	ck_assert_int_eq(gmem_read_words(g, b - 28, r, 2), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_write_words(g, b + 4, w, 2), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_read_words(g, b + PG - 8, r, 2),
	    SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_write_words(g, b + PG - 8, w, 2),
	    SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read64(g, b + PG - 8, &v), 0);
	ck_assert_uint_eq(v, 0);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_cas64)
{
	struct gmem *g = new_gmem_anon("ram", 0x300000, PG);
	uint64_t old = 0x77, v;
	uint8_t b;

	ck_assert_int_eq(gmem_write64(g, 0x300008, 0x1000000000000400ull), 0);
	/* Success: the old value is reported, the new one stored LE. */
	ck_assert_int_eq(gmem_cas64(g, 0x300008, 0x1000000000000400ull,
	    0x1000000000000401ull, &old), 0);
	ck_assert_uint_eq(old, 0x1000000000000400ull);
	ck_assert_int_eq(gmem_read8(g, 0x300008, &b), 0);
	ck_assert_uint_eq(b, 0x01);
	ck_assert_int_eq(gmem_read8(g, 0x30000f, &b), 0);
	ck_assert_uint_eq(b, 0x10);
	/* Failure: nothing stored, the value seen is reported. */
	old = 0;
	ck_assert_int_eq(gmem_cas64(g, 0x300008, 0x1000000000000400ull,
	    0xdead, &old), SMMU_ERR_AGAIN);
	ck_assert_uint_eq(old, 0x1000000000000401ull);
	ck_assert_int_eq(gmem_read64(g, 0x300008, &v), 0);
	ck_assert_uint_eq(v, 0x1000000000000401ull);
	ck_assert_int_eq(gmem_cas64(g, 0x300008, 0x1000000000000401ull, 5,
	    NULL), 0);
	ck_assert_int_eq(gmem_read64(g, 0x300008, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(gmem_cas64(g, 0x300008, 4, 6, NULL),
	    SMMU_ERR_AGAIN);
	/* Misaligned, and out of range: old untouched. */
	old = 0x77;
	ck_assert_int_eq(gmem_cas64(g, 0x30000c, 5, 6, &old),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_cas64(g, 0x300001, 5, 6, &old),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_cas64(g, 0x301000, 0, 6, &old),
	    SMMU_ERR_RANGE);
	ck_assert_uint_eq(old, 0x77);
	ck_assert_int_eq(gmem_read64(g, 0x300008, &v), 0);
	ck_assert_uint_eq(v, 5);
	gmem_destroy(g);
}
END_TEST

/* ---- backings ---------------------------------------------------------- */

START_TEST(test_anon_lazy_rss)
{
	const long long slack = 4 * (long long)MIB;
	const uint64_t base = 0x100000000ull, size = 4 * GIB;
	struct gmem_region_info info;
	long long rss0, rss1, rss2;
	struct gmem *g = gmem_create();
	uint8_t *p, b = 1;

	ck_assert_ptr_nonnull(g);
	rss0 = rss_bytes();
	ck_assert_int_eq(gmem_region_add(g, "ram", base, size, GMEM_ANON, -1,
	    0, 0), 0);
	rss1 = rss_bytes();
	ck_assert_int_lt(rss1 - rss0, slack);
	ck_assert_int_eq(gmem_region_get(g, 0, &info), 0);
	ck_assert_uint_eq(info.size, size);

	/* Reading the top byte of the region is fine (and zero). */
	ck_assert_int_eq(gmem_read8(g, base + size - 1, &b), 0);
	ck_assert_uint_eq(b, 0);
	p = gmem_host_ptr(g, base + 2 * GIB, PG);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(resident_pages(p, PG), 0);
	ck_assert_int_eq(gmem_write64(g, base + 2 * GIB + 8, 0xabcdef), 0);
	rss2 = rss_bytes();
	ck_assert_uint_eq(resident_pages(p, PG), 1);
	ck_assert_int_ge(rss2 - rss1, (long long)PG);
	ck_assert_int_lt(rss2 - rss1, slack);

	/* gmem_clear() gives the page back and it reads as zero. */
	ck_assert_int_eq(gmem_clear(g, 1u << GMEM_ANON), 0);
	ck_assert_uint_eq(resident_pages(p, PG), 0);
	ck_assert_int_eq(gmem_read8(g, base + 2 * GIB + 8, &b), 0);
	ck_assert_uint_eq(b, 0);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_file_cow)
{
	const size_t flen = 3 * PG;
	uint8_t img[3 * PG], out[2 * PG], disk[3 * PG], b;
	struct gmem_region_info info;
	struct gmem *g = gmem_create();
	uint64_t v;
	size_t i;
	int fd, fd2;

	ck_assert_ptr_nonnull(g);
	for (i = 0; i < flen; i++)
		img[i] = (uint8_t)(i * 31 + 7);
	fd = tmp_file(img, flen, O_RDWR);
	fd2 = dup(fd);
	ck_assert_int_ge(fd2, 0);
	/* Map the file's pages 1..2 at 0x500000. */
	ck_assert_int_eq(gmem_region_add(g, "img", 0x500000, 2 * PG,
	    GMEM_FILE, fd2, PG, 0), 0);
	ck_assert_int_eq(gmem_region_get(g, 0, &info), 0);
	ck_assert_int_eq(info.backing, GMEM_FILE);
	ck_assert(info.backed);
	/* The mapping outlives the caller's fd. */
	ck_assert_int_eq(close(fd2), 0);
	ck_assert_int_eq(gmem_read(g, 0x500000, out, sizeof(out)), 0);
	ck_assert_mem_eq(out, img + PG, 2 * PG);
	ck_assert_int_eq(gmem_read64(g, 0x500000 + 16, &v), 0);
	ck_assert_uint_eq(v & 0xff, img[PG + 16]);

	/* Writes are private to the gmem. */
	ck_assert_int_eq(gmem_write64(g, 0x500000, 0x0123456789abcdefull), 0);
	memset(out, 0xcc, PG);
	ck_assert_int_eq(gmem_write(g, 0x500000 + PG - 8, out, PG), 0);
	ck_assert_int_eq(gmem_read64(g, 0x500000, &v), 0);
	ck_assert_uint_eq(v, 0x0123456789abcdefull);
	ck_assert_int_eq(gmem_read8(g, 0x500000 + 2 * PG - 9, &b), 0);
	ck_assert_uint_eq(b, 0xcc);
	ck_assert_int_eq(gmem_read8(g, 0x500000 + 2 * PG - 8, &b), 0);
	ck_assert_uint_eq(b, img[3 * PG - 8]);

	/* The file itself is untouched. */
	ck_assert_int_eq(pread(fd, disk, flen, 0), (ssize_t)flen);
	ck_assert_mem_eq(disk, img, flen);
	ck_assert_int_eq(close(fd), 0);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_file_errors)
{
	uint8_t img[2 * PG];
	struct gmem *g = gmem_create();
	int fd, pfd[2];

	ck_assert_ptr_nonnull(g);
	memset(img, 0x11, sizeof(img));
	fd = tmp_file(img, sizeof(img), O_RDWR);
	/* Too short: size, or offset + size, beyond the end of the file. */
	ck_assert_int_eq(gmem_region_add(g, "f", 0, 3 * PG, GMEM_FILE, fd, 0,
	    0), SMMU_ERR_IO);
	ck_assert_int_eq(gmem_region_add(g, "f", 0, 2 * PG, GMEM_FILE, fd, PG,
	    0), SMMU_ERR_IO);
	/* Misaligned offset, THP on a file. */
	ck_assert_int_eq(gmem_region_add(g, "f", 0, PG, GMEM_FILE, fd, 512,
	    0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_add(g, "f", 0, PG, GMEM_FILE, fd, 0,
	    GMEM_F_THP), SMMU_ERR_INVAL);
	/* Not a regular file. */
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(gmem_region_add(g, "f", 0, PG, GMEM_FILE, pfd[0], 0,
	    0), SMMU_ERR_IO);
	ck_assert_int_eq(gmem_region_add(g, "f", 0, PG, GMEM_SHARED, pfd[0],
	    0, 0), SMMU_ERR_IO);
	close(pfd[0]);
	close(pfd[1]);
	ck_assert_uint_eq(gmem_nr_regions(g), 0);
	/* Exactly long enough. */
	ck_assert_int_eq(gmem_region_add(g, "f", 0, PG, GMEM_FILE, fd, PG,
	    0), 0);
	close(fd);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_shared)
{
	const uint64_t base = 0x800000, size = 16 * PG;
	struct gmem_region_info info;
	uint8_t *ma, *mb, buf[3 * PG], b;
	struct gmem *g = new_gmem_anon("ram", 0, PG);
	uint64_t v = 0x5555;
	int fa, fb, fshort, fro;
	size_t i;

	fa = new_memfd(size, 1);
	fb = new_memfd(2 * size, 2);
	ma = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	mb = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0);
	ck_assert_ptr_ne(ma, MAP_FAILED);
	ck_assert_ptr_ne(mb, MAP_FAILED);

	/* Declared but unbacked: external abort. */
	ck_assert_int_eq(gmem_region_add(g, "vmm", base, size, GMEM_SHARED,
	    -1, 0, 0), 0);
	ck_assert_int_eq(gmem_region_get(g, 1, &info), 0);
	ck_assert_str_eq(info.name, "vmm");
	ck_assert_int_eq(info.backing, GMEM_SHARED);
	ck_assert(!info.backed);
	ck_assert_int_eq(gmem_read64(g, base, &v), SMMU_ERR_RANGE);
	ck_assert_uint_eq(v, 0x5555);
	ck_assert_int_eq(gmem_write8(g, base + 1, 1), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_read(g, base, buf, 16), SMMU_ERR_RANGE);
	ck_assert_int_eq(gmem_cas64(g, base, 0, 1, NULL), SMMU_ERR_RANGE);
	ck_assert_ptr_null(gmem_host_ptr(g, base, 8));

	/* Shared: both sides see each other's writes. */
	ck_assert_int_eq(gmem_region_share(g, "vmm", fa, 0), 0);
	ck_assert_int_eq(gmem_region_get(g, 1, &info), 0);
	ck_assert(info.backed);
	ck_assert_int_eq(gmem_read8(g, base + 100, &b), 0);
	ck_assert_uint_eq(b, pat(100, 1));
	memcpy(ma + 64, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	ck_assert_int_eq(gmem_read64(g, base + 64, &v), 0);
	ck_assert_uint_eq(v, 0x0102030405060708ull);
	ck_assert_int_eq(gmem_write32(g, base + 128, 0xa1b2c3d4), 0);
	ck_assert_mem_eq(ma + 128, "\xd4\xc3\xb2\xa1", 4);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0xf0 ^ i);
	ck_assert_int_eq(gmem_write(g, base + PG + 3, buf, sizeof(buf)), 0);
	ck_assert_mem_eq(ma + PG + 3, buf, sizeof(buf));

	/* A failed re-share (short fd, read-only fd) keeps the backing. */
	fshort = new_memfd(PG, 3);
	ck_assert_int_eq(gmem_region_share(g, "vmm", fshort, 0), SMMU_ERR_IO);
	fro = tmp_file(ma, size, O_RDONLY);
	ck_assert_int_eq(gmem_region_share(g, "vmm", fro, 0), SMMU_ERR_IO);
	ck_assert_int_eq(gmem_read64(g, base + 64, &v), 0);
	ck_assert_uint_eq(v, 0x0102030405060708ull);

	/* Unshared: aborts again; the VMM's memory keeps its contents. */
	ck_assert_int_eq(gmem_region_unshare(g, "vmm"), 0);
	ck_assert_int_eq(gmem_region_get(g, 1, &info), 0);
	ck_assert(!info.backed);
	v = 0x5555;
	ck_assert_int_eq(gmem_read64(g, base + 64, &v), SMMU_ERR_RANGE);
	ck_assert_uint_eq(v, 0x5555);
	ck_assert_int_eq(gmem_write32(g, base + 128, 0), SMMU_ERR_RANGE);
	ck_assert_mem_eq(ma + 128, "\xd4\xc3\xb2\xa1", 4);
	ck_assert_int_eq(gmem_region_unshare(g, "vmm"), 0);

	/* Another memfd, at an offset. */
	ck_assert_int_eq(gmem_region_share(g, "vmm", fb, size), 0);
	ck_assert_int_eq(gmem_read8(g, base + 5, &b), 0);
	ck_assert_uint_eq(b, pat(size + 5, 2));
	ck_assert_int_eq(gmem_write16(g, base + 2, 0x1234), 0);
	ck_assert_mem_eq(mb + size + 2, "\x34\x12", 2);
	/* Replaced directly by the first one, without unsharing. */
	ck_assert_int_eq(gmem_region_share(g, "vmm", fa, 0), 0);
	ck_assert_int_eq(gmem_read64(g, base + 64, &v), 0);
	ck_assert_uint_eq(v, 0x0102030405060708ull);

	/* Errors. */
	ck_assert_int_eq(gmem_region_share(g, "nope", fa, 0), SMMU_ERR_NOENT);
	ck_assert_int_eq(gmem_region_unshare(g, "nope"), SMMU_ERR_NOENT);
	ck_assert_int_eq(gmem_region_share(g, "ram", fa, 0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_unshare(g, "ram"), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_share(g, "vmm", fa, 100),
	    SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_share(g, "vmm", -1, 0), SMMU_ERR_INVAL);
	ck_assert_int_eq(gmem_region_share(g, "vmm", fb, size + PG),
	    SMMU_ERR_IO);

	/* Shared at add time; the caller may close its fd at once. */
	ck_assert_int_eq(gmem_region_add(g, "vmm2", base + size, size,
	    GMEM_SHARED, fb, 0, 0), 0);
	ck_assert_int_eq(gmem_region_get(g, 2, &info), 0);
	ck_assert(info.backed);
	close(fb);
	ck_assert_int_eq(gmem_write8(g, base + size + 9, 0x99), 0);
	ck_assert_uint_eq(mb[9], 0x99);
	/* A bulk copy across the two shared regions. */
	ck_assert_int_eq(gmem_read(g, base + size - 8, buf, 16), 0);
	ck_assert_mem_eq(buf, ma + size - 8, 8);
	ck_assert_mem_eq(buf + 8, mb, 8);

	munmap(ma, size);
	munmap(mb, 2 * size);
	close(fa);
	close(fshort);
	close(fro);
	gmem_destroy(g);
}
END_TEST

/* ---- dump, clear, restore ---------------------------------------------- */

START_TEST(test_dump_sparse)
{
	const uint64_t base = 0x40000000, size = 2048 * PG;
	static const struct {
		uint64_t page, nr;
	} want[] = {
		{ 0, 3 }, { 5, 1 }, { 100, 256 }, { 356, 44 }, { 2047, 2 },
	};
	struct gmem *g = new_gmem_anon("lo", base, size);
	struct runs rs;
	uint8_t *check;
	uint64_t p;
	unsigned i;

	memset(&rs, 0, sizeof(rs));
	ck_assert_int_eq(gmem_region_add(g, "hi", base + size, 4 * PG,
	    GMEM_ANON, -1, 0, 0), 0);
	ck_assert_int_eq(gmem_write8(g, base, 1), 0);
	ck_assert_int_eq(gmem_write8(g, base + 2 * PG - 1, 2), 0);
	ck_assert_int_eq(gmem_write32(g, base + 2 * PG + 2048, 0xdeadbeef),
	    0);
	/* Touched but all zero: not reported. */
	ck_assert_int_eq(gmem_write64(g, base + 3 * PG, 0), 0);
	ck_assert_int_eq(gmem_write64(g, base + 5 * PG + 8, 0x55), 0);
	/* 300 pages: more than one 1 MiB run. */
	for (p = 100; p < 400; p++)
		ck_assert_int_eq(gmem_write64(g, base + p * PG + (p & 0xff8),
		    p), 0);
	/* The last page of "lo" and the first of "hi" are one run. */
	ck_assert_int_eq(gmem_write8(g, base + size - 1, 0xfe), 0);
	ck_assert_int_eq(gmem_write8(g, base + size, 0xfd), 0);

	ck_assert_int_eq(gmem_dump(g, ALL_BACKINGS, collect_cb, &rs), 0);
	ck_assert_uint_eq(rs.bad, 0);
	ck_assert_uint_eq(rs.n, 5);
	ck_assert_uint_eq(rs.calls, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_uint_eq(rs.v[i].gpa, base + want[i].page * PG);
		ck_assert_uint_eq(rs.v[i].len, want[i].nr * PG);
		check = malloc(rs.v[i].len);
		ck_assert_ptr_nonnull(check);
		ck_assert_int_eq(gmem_read(g, rs.v[i].gpa, check,
		    rs.v[i].len), 0);
		ck_assert_mem_eq(rs.v[i].data, check, rs.v[i].len);
		free(check);
	}
	ck_assert_uint_eq(rs.v[0].data[0], 1);
	ck_assert_uint_eq(rs.v[0].data[2 * PG - 1], 2);
	ck_assert_mem_eq(rs.v[0].data + 2 * PG + 2048, "\xef\xbe\xad\xde", 4);
	ck_assert_uint_eq(rs.v[3].data[(399 - 356) * PG + (399 & 0xff8)],
	    399 & 0xff);
	ck_assert_uint_eq(rs.v[4].data[PG - 1], 0xfe);
	ck_assert_uint_eq(rs.v[4].data[PG], 0xfd);
	runs_free(&rs);

	/* Masks: no anonymous region selected, nothing reported. */
	ck_assert_int_eq(gmem_dump(g, 1u << GMEM_FILE, collect_cb, &rs), 0);
	ck_assert_uint_eq(rs.calls, 0);
	/* A non-zero callback result stops the dump and is returned. */
	rs.stop_at = 2;
	ck_assert_int_eq(gmem_dump(g, ALL_BACKINGS, collect_cb, &rs), 42);
	ck_assert_uint_eq(rs.calls, 2);
	ck_assert_uint_eq(rs.n, 1);
	runs_free(&rs);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_dump_no_fault)
{
	const uint64_t base = 0x80000000ull, size = 256 * MIB;
	struct gmem *g = new_gmem_anon("ram", base, size);
	size_t before, after;
	struct runs rs;
	uint8_t *host;

	memset(&rs, 0, sizeof(rs));
	host = gmem_host_ptr(g, base, size);
	ck_assert_ptr_nonnull(host);
	ck_assert_int_eq(gmem_write64(g, base + 7 * PG, 1), 0);
	ck_assert_int_eq(gmem_write64(g, base + 100 * MIB, 2), 0);
	ck_assert_int_eq(gmem_write64(g, base + size - 8, 3), 0);
	/* With THP a touch may populate more than 4 KiB; count, don't guess. */
	before = resident_pages(host, size);
	ck_assert_uint_ge(before, 3);
	ck_assert_int_eq(gmem_dump(g, 1u << GMEM_ANON, collect_cb, &rs), 0);
	after = resident_pages(host, size);
	ck_assert_uint_eq(after, before);
	ck_assert_uint_eq(rs.n, 3);
	ck_assert_uint_eq(rs.v[0].gpa, base + 7 * PG);
	ck_assert_uint_eq(rs.v[1].gpa, base + 100 * MIB);
	ck_assert_uint_eq(rs.v[2].gpa, base + size - PG);
	ck_assert_uint_eq(rs.v[2].len, PG);
	ck_assert_uint_eq(rs.v[2].data[PG - 8], 3);
	runs_free(&rs);
	gmem_destroy(g);
}
END_TEST

START_TEST(test_clear_restore)
{
	const uint64_t anon = 0x100000, file = 0x800000, shm = 0x900000;
	const size_t asz = 64 * PG, fsz = 8 * PG, ssz = 8 * PG;
	uint8_t *orig_a, *orig_f, *orig_s, *now, *ms, img[8 * PG];
	struct gmem *g = new_gmem_anon("anon", anon, asz);
	struct runs rs;
	unsigned i;
	int fd, mfd;

	memset(&rs, 0, sizeof(rs));
	for (i = 0; i < fsz; i++)
		img[i] = (i / PG == 3) ? 0 : (uint8_t)(i * 3 + 1);
	fd = tmp_file(img, fsz, O_RDWR);
	mfd = new_memfd(ssz, 9);
	ms = mmap(NULL, ssz, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ck_assert_ptr_ne(ms, MAP_FAILED);
	ck_assert_int_eq(gmem_region_add(g, "file", file, fsz, GMEM_FILE, fd,
	    0, 0), 0);
	ck_assert_int_eq(gmem_region_add(g, "shm", shm, ssz, GMEM_SHARED, mfd,
	    0, 0), 0);
	for (i = 0; i < 64; i += 3)
		ck_assert_int_eq(gmem_write64(g, anon + i * PG + i * 8,
		    0x1000 + i), 0);
	ck_assert_int_eq(gmem_write64(g, file + 5 * PG, 0), 0);

	orig_a = malloc(asz);
	orig_f = malloc(fsz);
	orig_s = malloc(ssz);
	now = malloc(asz);
	ck_assert(orig_a && orig_f && orig_s && now);
	ck_assert_int_eq(gmem_read(g, anon, orig_a, asz), 0);
	ck_assert_int_eq(gmem_read(g, file, orig_f, fsz), 0);
	ck_assert_int_eq(gmem_read(g, shm, orig_s, ssz), 0);
	ck_assert_int_eq(gmem_dump(g, ALL_BACKINGS, collect_cb, &rs), 0);
	ck_assert_uint_eq(rs.bad, 0);

	/* Clearing only anonymous memory leaves the others alone. */
	ck_assert_int_eq(gmem_clear(g, 1u << GMEM_ANON), 0);
	ck_assert_uint_eq(resident_pages(gmem_host_ptr(g, anon, asz), asz),
	    0);
	ck_assert_int_eq(gmem_read(g, file, now, fsz), 0);
	ck_assert_mem_eq(now, orig_f, fsz);
	/* Clear everything: all reads as zero, the file on disk is intact. */
	ck_assert_int_eq(gmem_clear(g, ALL_BACKINGS), 0);
	memset(img, 0, sizeof(img));
	ck_assert_int_eq(gmem_read(g, anon, now, asz), 0);
	for (i = 0; i < asz; i += fsz)
		ck_assert_mem_eq(now + i, img, fsz);
	ck_assert_int_eq(gmem_read(g, file, now, fsz), 0);
	ck_assert_mem_eq(now, img, fsz);
	ck_assert_int_eq(gmem_read(g, shm, now, ssz), 0);
	ck_assert_mem_eq(now, img, ssz);
	ck_assert_mem_eq(ms, img, ssz);
	ck_assert_int_eq(pread(fd, img, fsz, 0), (ssize_t)fsz);
	ck_assert_uint_eq(img[1], 4);

	/* Restore: write the runs back. */
	for (i = 0; i < rs.n; i++)
		ck_assert_int_eq(gmem_write(g, rs.v[i].gpa, rs.v[i].data,
		    rs.v[i].len), 0);
	ck_assert_int_eq(gmem_read(g, anon, now, asz), 0);
	ck_assert_mem_eq(now, orig_a, asz);
	ck_assert_int_eq(gmem_read(g, file, now, fsz), 0);
	ck_assert_mem_eq(now, orig_f, fsz);
	ck_assert_int_eq(gmem_read(g, shm, now, ssz), 0);
	ck_assert_mem_eq(now, orig_s, ssz);
	ck_assert_mem_eq(ms, orig_s, ssz);

	runs_free(&rs);
	free(orig_a);
	free(orig_f);
	free(orig_s);
	free(now);
	munmap(ms, ssz);
	close(mfd);
	close(fd);
	gmem_destroy(g);
}
END_TEST

/* ---- concurrency -------------------------------------------------------- */

#define REC_WORDS 8
#define REC_ITERS 200000	/* enough to tear unlocked copies on 2 cores */
#define REC_ITERS_QUICK 20000	/* SMMU_TEST_QUICK=1 (valgrind), TSan */
#define REC_WRITERS 2
#define REC_READERS 2

/* Records at a shard boundary and inside one page. */
static const uint64_t rec_gpa[] = { 0x10000 + PG - 32, 0x10000 + 2 * PG };

struct rec_arg {
	struct gmem *g;
	pthread_barrier_t *start;	/* all threads begin together */
	unsigned id;
	unsigned torn;		/* reader: records with unequal words */
	unsigned errors;	/* accessor failures */
	int done;		/* atomic: the thread has finished */
	unsigned iters;
};

/*
 * Iterations of the concurrency tests: fewer under valgrind and TSan,
 * which are slow and (TSan) see a missing lock without any luck needed.
 */
static unsigned
rec_iters(void)
{
	const char *q = getenv("SMMU_TEST_QUICK");

#ifdef __SANITIZE_THREAD__
	q = "1";
#endif
	return q != NULL && strcmp(q, "1") == 0 ? REC_ITERS_QUICK : REC_ITERS;
}

/* Write records whose words are all equal to (id << 32 | i). */
static void *
rec_writer(void *p)
{
	struct rec_arg *a = p;
	uint64_t w[REC_WORDS];
	unsigned i, j;

	(void)pthread_barrier_wait(a->start);
	for (i = 0; i < a->iters; i++) {
		for (j = 0; j < REC_WORDS; j++)
			w[j] = (uint64_t)(a->id + 1) << 32 | i;
		if (gmem_write_words(a->g, rec_gpa[i & 1], w, REC_WORDS) != 0)
			a->errors++;
	}
	return NULL;
}

/* Read records and count those whose words differ. */
static void *
rec_reader(void *p)
{
	struct rec_arg *a = p;
	uint64_t w[REC_WORDS];
	unsigned i, j;

	(void)pthread_barrier_wait(a->start);
	for (i = 0; i < a->iters; i++) {
		if (gmem_read_words(a->g, rec_gpa[i & 1], w, REC_WORDS) != 0) {
			a->errors++;
			continue;
		}
		for (j = 1; j < REC_WORDS; j++)
			if (w[j] != w[0]) {
				a->torn++;
				break;
			}
	}
	return NULL;
}

START_TEST(test_concurrent_records)
{
	struct rec_arg arg[REC_WRITERS + REC_READERS];
	pthread_t th[REC_WRITERS + REC_READERS];
	struct gmem *g = new_gmem_anon("ram", 0x10000, 4 * PG);
	pthread_barrier_t start;
	uint64_t w[REC_WORDS];
	unsigned i, j;

	ck_assert_int_eq(pthread_barrier_init(&start, NULL,
	    REC_WRITERS + REC_READERS), 0);
	for (i = 0; i < REC_WRITERS + REC_READERS; i++) {
		memset(&arg[i], 0, sizeof(arg[i]));
		arg[i].g = g;
		arg[i].start = &start;
		arg[i].iters = rec_iters();
		arg[i].id = i;
	}
	for (i = 0; i < REC_WRITERS + REC_READERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL,
		    i < REC_WRITERS ? rec_writer : rec_reader, &arg[i]), 0);
	for (i = 0; i < REC_WRITERS + REC_READERS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	(void)pthread_barrier_destroy(&start);
	for (i = 0; i < REC_WRITERS + REC_READERS; i++) {
		ck_assert_uint_eq(arg[i].errors, 0);
		ck_assert_uint_eq(arg[i].torn, 0);
	}
	/* Each record ends as one writer's last record for it. */
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(gmem_read_words(g, rec_gpa[i], w, REC_WORDS),
		    0);
		for (j = 1; j < REC_WORDS; j++)
			ck_assert_uint_eq(w[j], w[0]);
		ck_assert_uint_eq(w[0] & 0xffffffff, arg[0].iters - 2 + i);
	}
	gmem_destroy(g);
}
END_TEST

/* Write 64-bit values whose halves are equal, lock-free. */
static void *
word_writer(void *p)
{
	struct rec_arg *a = p;
	uint64_t i;

	for (i = 0; i < a->iters * 4ull; i++)
		if (gmem_write64(a->g, 0x10008, i << 32 | i) != 0)
			a->errors++;
	return NULL;
}

START_TEST(test_concurrent_word)
{
	struct gmem *g = new_gmem_anon("ram", 0x10000, PG);
	struct rec_arg wa;
	pthread_t th;
	unsigned i, torn = 0, errors = 0;
	uint64_t v;

	memset(&wa, 0, sizeof(wa));
	wa.g = g;
	wa.iters = rec_iters();
	ck_assert_int_eq(pthread_create(&th, NULL, word_writer, &wa), 0);
	for (i = 0; i < wa.iters * 4; i++) {
		if (gmem_read64(g, 0x10008, &v) != 0)
			errors++;
		else if (v >> 32 != (v & 0xffffffff))
			torn++;
	}
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_eq(wa.errors, 0);
	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(torn, 0);
	gmem_destroy(g);
}
END_TEST

#define ADD_NR 64

/* Add ADD_NR one-page regions, highest gpa first, while others look up. */
static void *
region_adder(void *p)
{
	struct rec_arg *a = p;
	char name[16];
	unsigned i;

	for (i = ADD_NR; i > 0; i--) {
		(void)snprintf(name, sizeof(name), "r%u", i);
		if (gmem_region_add(a->g, name, (uint64_t)i * 0x10000, PG,
		    GMEM_ANON, -1, 0, 0) != 0)
			a->errors++;
	}
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(test_concurrent_add)
{
	struct gmem *g = new_gmem_anon("r0", 0, PG);
	struct gmem_region_info info;
	unsigned i, nr, prev = 1, bad = 0;
	struct rec_arg aa;
	int done;
	pthread_t th;
	uint8_t b;

	memset(&aa, 0, sizeof(aa));
	aa.g = g;
	ck_assert_int_eq(gmem_write8(g, 0, 0x33), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, region_adder, &aa), 0);
	do {
		done = __atomic_load_n(&aa.done, __ATOMIC_ACQUIRE);
		nr = gmem_nr_regions(g);
		if (nr < prev)
			bad++;
		prev = nr;
		/* Every region published so far is complete and usable. */
		for (i = 0; i < nr; i++) {
			if (gmem_region_get(g, i, &info) != 0 ||
			    gmem_read8(g, info.gpa + PG - 1, &b) != 0)
				bad++;
		}
		if (gmem_read8(g, 0, &b) != 0 || b != 0x33)
			bad++;
	} while (!done);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_eq(aa.errors, 0);
	ck_assert_uint_eq(bad, 0);
	for (i = 0; i <= ADD_NR; i++) {
		ck_assert_int_eq(gmem_region_get(g, i, &info), 0);
		ck_assert_uint_eq(info.gpa, (uint64_t)i * 0x10000);
	}
	gmem_destroy(g);
}
END_TEST

Suite *
gmem_suite(void)
{
	Suite *s = suite_create("gmem");
	TCase *tc;

	tc = tcase_create("regions");
	tcase_add_test(tc, test_create_empty);
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_add_overlap);
	tcase_add_test(tc, test_region_get_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_test(tc, test_le_roundtrip);
	tcase_add_test(tc, test_unaligned);
	tcase_add_test(tc, test_range_errors);
	tcase_add_test(tc, test_host_ptr);
	tcase_add_test(tc, test_bulk_shards);
	tcase_add_test(tc, test_bulk_regions);
	tcase_add_test(tc, test_words);
	tcase_add_test(tc, test_cas64);
	suite_add_tcase(s, tc);

	tc = tcase_create("backing");
	tcase_add_test(tc, test_anon_lazy_rss);
	tcase_add_test(tc, test_file_cow);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_shared);
	suite_add_tcase(s, tc);

	tc = tcase_create("dump");
	tcase_add_test(tc, test_dump_sparse);
	tcase_add_test(tc, test_dump_no_fault);
	tcase_add_test(tc, test_clear_restore);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_test(tc, test_concurrent_records);
	tcase_add_test(tc, test_concurrent_word);
	tcase_add_test(tc, test_concurrent_add);
	suite_add_tcase(s, tc);
	return s;
}
