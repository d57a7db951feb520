/*
 * tbuild.c - test builder: guest RAM, page tables, STEs, CDs, stream
 * tables.  Field positions are SMMUv3 sections 5.2 (STE), 5.4 (CD),
 * 6.3.24 (STRTAB_BASE_CFG), 3.3.2 (L1STD) and Arm ARM D8.3 (descriptors).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tbuild.h"

/* Place x in bits hi..lo (x truncated). */
#define F(hi, lo, x) \
	((((uint64_t)(x)) << (lo)) & \
	    ((~(uint64_t)0 >> (63 - (hi))) & (~(uint64_t)0 << (lo))))

/* Test infrastructure failures are fatal: the test cannot go on. */
static void
tb_die(const char *what, uint64_t gpa)
{
	fprintf(stderr, "tbuild: %s at 0x%llx\n", what,
	    (unsigned long long)gpa);
	abort();
}

struct tb *
tb_create(uint64_t ram_base, uint64_t ram_size)
{
	struct tb *tb = calloc(1, sizeof(*tb));

	if (tb == NULL)
		return NULL;
	tb->g = gmem_create();
	if (tb->g == NULL || gmem_region_add(tb->g, "ram", ram_base,
	    ram_size, GMEM_ANON, -1, 0, 0) != 0) {
		gmem_destroy(tb->g);
		free(tb);
		return NULL;
	}
	tb->ram_base = ram_base;
	tb->ram_size = ram_size;
	tb->next = ram_base;
	return tb;
}

void
tb_destroy(struct tb *tb)
{
	if (tb == NULL)
		return;
	gmem_destroy(tb->g);
	free(tb);
}

uint64_t
tb_alloc(struct tb *tb, uint64_t size, uint64_t align)
{
	uint64_t p;

	if (align < 8)
		align = 8;
	p = (tb->next + align - 1) & ~(align - 1);
	if (p + size > tb->ram_base + tb->ram_size || p + size < p)
		return 0;
	tb->next = p + size;
	/* RAM is fresh anonymous memory: already zero. */
	return p;
}

void
tb_w64(struct tb *tb, uint64_t gpa, uint64_t v)
{
	if (gmem_write64(tb->g, gpa, v) != 0)
		tb_die("write64 failed", gpa);
}

uint64_t
tb_r64(struct tb *tb, uint64_t gpa)
{
	uint64_t v;

	if (gmem_read64(tb->g, gpa, &v) != 0)
		tb_die("read64 failed", gpa);
	return v;
}

void
tb_wwords(struct tb *tb, uint64_t gpa, const uint64_t *w, unsigned n)
{
	if (gmem_write_words(tb->g, gpa, w, n) != 0)
		tb_die("write_words failed", gpa);
}

unsigned
tb_level_shift(unsigned granule, unsigned level)
{
	return granule + (3 - level) * (granule - 3);
}

int
tb_pt_init(struct tb_pt *pt, struct tb *tb, bool stage2, unsigned granule,
    unsigned ia_bits, int start_level)
{
	unsigned s = granule - 3, w, level;
	uint64_t size;

	if (granule != 12 && granule != 14 && granule != 16)
		return -1;
	if (!stage2) {
		level = 3 - (ia_bits - 1 - granule) / s;
		if (start_level >= 0 && (unsigned)start_level != level)
			return -1;
	} else {
		if (start_level < 0 || start_level > 3)
			return -1;
		level = (unsigned)start_level;
	}
	if (ia_bits <= tb_level_shift(granule, level))
		return -1;
	w = ia_bits - tb_level_shift(granule, level);
	if (w < 1 || w > s + (stage2 ? 4 : 0))
		return -1;
	size = 8ull << w;
	*pt = (struct tb_pt){
		.tb = tb,
		.stage2 = stage2,
		.granule = granule,
		.ia_bits = ia_bits,
		.start_level = level,
		.nr_concat = w > s ? 1u << (w - s) : 1,
		.root = tb_alloc(tb, size, size < 64 ? 64 : size),
	};
	return pt->root == 0 ? -1 : 0;
}

/* Index of ia in the table at level (the start table may be wider). */
static uint64_t
tb_pt_index(const struct tb_pt *pt, uint64_t ia, unsigned level)
{
	unsigned shift = tb_level_shift(pt->granule, level);
	unsigned w = level == pt->start_level ?
	    pt->ia_bits - shift : pt->granule - 3;

	return (ia >> shift) & ((1ull << w) - 1);
}

/* Next-level table PA held in table descriptor d. */
static uint64_t
tb_pt_next(const struct tb_pt *pt, uint64_t d)
{
	uint64_t a = d & (((1ull << 48) - 1) & ~((1ull << pt->granule) - 1));

	return a - pt->addr_delta;
}

/* Output-address bits of a leaf for oa (64K: OA[51:48] in [15:12]). */
static uint64_t
tb_pt_oa_bits(const struct tb_pt *pt, uint64_t oa, unsigned shift)
{
	uint64_t d = oa & ((1ull << 48) - 1) & ~((1ull << shift) - 1);

	if (pt->granule == 16)
		d |= ((oa >> 48) & 0xf) << 12;
	return d;
}

int
tb_pt_map_ex(struct tb_pt *pt, uint64_t ia, uint64_t oa, unsigned level,
    uint64_t attrs, uint64_t table_attrs)
{
	unsigned shift = tb_level_shift(pt->granule, level), l;
	uint64_t table = pt->root, daddr, d, next;

	if (level < pt->start_level || level > 3)
		return -1;
	if ((ia | oa) & ((1ull << shift) - 1))
		return -1;
	for (l = pt->start_level; l < level; l++) {
		daddr = table + 8 * tb_pt_index(pt, ia, l);
		d = tb_r64(pt->tb, daddr);
		if ((d & 3) == 3) {
			table = tb_pt_next(pt, d);
			continue;
		}
		if (d & 1)
			return -1;	/* a block is in the way */
		next = tb_alloc(pt->tb, 1ull << pt->granule,
		    1ull << pt->granule);
		if (next == 0)
			return -1;
		tb_w64(pt->tb, daddr, (next + pt->addr_delta) | table_attrs | 3);
		table = next;
	}
	daddr = table + 8 * tb_pt_index(pt, ia, level);
	tb_w64(pt->tb, daddr, tb_pt_oa_bits(pt, oa, shift) | attrs |
	    (level == 3 ? 3 : 1));
	return 0;
}

int
tb_pt_map(struct tb_pt *pt, uint64_t ia, uint64_t oa, unsigned level,
    uint64_t attrs)
{
	return tb_pt_map_ex(pt, ia, oa, level, attrs, 0);
}

int
tb_pt_map_range(struct tb_pt *pt, uint64_t ia, uint64_t oa, uint64_t size,
    uint64_t attrs)
{
	uint64_t off, page = 1ull << pt->granule;

	for (off = 0; off < size; off += page)
		if (tb_pt_map(pt, ia + off, oa + off, 3, attrs) != 0)
			return -1;
	return 0;
}

uint64_t
tb_pt_desc_addr(struct tb_pt *pt, uint64_t ia, unsigned level)
{
	uint64_t table = pt->root, d;
	unsigned l;

	if (level < pt->start_level || level > 3)
		return 0;
	for (l = pt->start_level; l < level; l++) {
		d = tb_r64(pt->tb, table + 8 * tb_pt_index(pt, ia, l));
		if ((d & 3) != 3)
			return 0;
		table = tb_pt_next(pt, d);
	}
	return table + 8 * tb_pt_index(pt, ia, level);
}

uint64_t
tb_pt_ttb(const struct tb_pt *pt)
{
	return pt->root + pt->addr_delta;
}

void
tb_ste_encode(const struct tb_ste *s, uint64_t dw[8])
{
	unsigned i;

	for (i = 0; i < 8; i++)
		dw[i] = 0;
	dw[0] = F(0, 0, s->v) | F(3, 1, s->config) | F(5, 4, s->s1fmt) |
	    (s->s1contextptr & F(55, 6, ~0ull)) | F(63, 59, s->s1cdmax);
	dw[1] = F(1, 0, s->s1dss) | F(3, 2, s->s1cir) | F(5, 4, s->s1cor) |
	    F(7, 6, s->s1csh) | F(19, 19, s->mev) | F(25, 25, s->s2fwb) |
	    F(27, 27, s->s1stalld) | F(29, 28, s->eats) |
	    F(31, 30, s->strw) | F(35, 32, s->memattr) |
	    F(45, 44, s->shcfg) | F(47, 46, s->nscfg) |
	    F(49, 48, s->privcfg) | F(51, 50, s->instcfg);
	dw[2] = F(15, 0, s->s2vmid) | F(37, 32, s->s2t0sz) |
	    F(39, 38, s->s2sl0) | F(47, 46, s->s2tg) | F(50, 48, s->s2ps) |
	    F(51, 51, s->s2aa64) | F(52, 52, s->s2endi) |
	    F(53, 53, s->s2affd) | F(54, 54, s->s2ptw) |
	    F(55, 55, s->s2hd) | F(56, 56, s->s2ha) | F(57, 57, s->s2s) |
	    F(58, 58, s->s2r);
	dw[3] = s->s2ttb & F(55, 4, ~0ull);
}

void
tb_cd_encode(const struct tb_cd *c, uint64_t dw[8])
{
	unsigned i;

	for (i = 0; i < 8; i++)
		dw[i] = 0;
	dw[0] = F(5, 0, c->t0sz) | F(7, 6, c->tg0) | F(9, 8, c->ir0) |
	    F(11, 10, c->or0) | F(13, 12, c->sh0) | F(14, 14, c->epd0) |
	    F(15, 15, c->endi) | F(21, 16, c->t1sz) | F(23, 22, c->tg1) |
	    F(25, 24, c->ir1) | F(27, 26, c->or1) | F(29, 28, c->sh1) |
	    F(30, 30, c->epd1) | F(31, 31, c->v) | F(34, 32, c->ips) |
	    F(35, 35, c->affd) | F(36, 36, c->wxn) | F(37, 37, c->uwxn) |
	    F(38, 38, c->tbi0) | F(39, 39, c->tbi1) | F(40, 40, c->pan) |
	    F(41, 41, c->aa64) | F(42, 42, c->hd) | F(43, 43, c->ha) |
	    F(44, 44, c->s) | F(45, 45, c->r) | F(46, 46, c->a) |
	    F(47, 47, c->aset) | F(63, 48, c->asid);
	dw[1] = F(0, 0, c->nscfg0) | F(1, 1, c->had0) | F(2, 2, c->e0pd0) |
	    (c->ttb0 & F(55, 4, ~0ull));
	dw[2] = F(0, 0, c->nscfg1) | F(1, 1, c->had1) | F(2, 2, c->e0pd1) |
	    (c->ttb1 & F(55, 4, ~0ull));
	dw[3] = c->mair;
}

unsigned
tb_tg0(unsigned granule)
{
	return granule == 12 ? 0 : granule == 16 ? 1 : 2;
}

unsigned
tb_tg1(unsigned granule)
{
	return granule == 14 ? 1 : granule == 12 ? 2 : 3;
}

unsigned
tb_s2tg(unsigned granule)
{
	return granule == 12 ? 0 : granule == 16 ? 1 : 2;
}

unsigned
tb_s2sl0(unsigned granule, unsigned level)
{
	/* 4K: SL0 0/1/2 = L2/L1/L0; 16K and 64K: SL0 0/1/2(/3) = L3/L2/L1(/L0). */
	return granule == 12 ? 2 - level : 3 - level;
}

unsigned
tb_ps(unsigned bits)
{
	switch (bits) {
	case 32: return 0;
	case 36: return 1;
	case 40: return 2;
	case 42: return 3;
	case 44: return 4;
	case 48: return 5;
	default: return 6;
	}
}

void
tb_cd_s1(struct tb_cd *c, const struct tb_pt *pt, unsigned asid)
{
	*c = (struct tb_cd){
		.v = true,
		.aa64 = true,
		.r = true,
		.a = true,
		.asid = asid,
		.t0sz = 64 - pt->ia_bits,
		.tg0 = tb_tg0(pt->granule),
		.epd1 = true,
		.tg1 = tb_tg1(pt->granule),
		.t1sz = 64 - pt->ia_bits,
		.ips = tb_ps(48),
		.ttb0 = tb_pt_ttb(pt),
		.mair = 0xff,
	};
}

void
tb_ste_s1(struct tb_ste *s, uint64_t cdptr)
{
	*s = (struct tb_ste){
		.v = true,
		.config = 5,
		.s1contextptr = cdptr,
	};
}

void
tb_ste_s2(struct tb_ste *s, const struct tb_pt *pt, unsigned vmid)
{
	*s = (struct tb_ste){
		.v = true,
		.config = 6,
		.s2vmid = vmid,
		.s2t0sz = 64 - pt->ia_bits,
		.s2sl0 = tb_s2sl0(pt->granule, pt->start_level),
		.s2tg = tb_s2tg(pt->granule),
		.s2ps = tb_ps(48),
		.s2aa64 = true,
		.s2r = true,
		.s2ttb = tb_pt_ttb(pt),
	};
}

void
tb_ste_nest(struct tb_ste *s, uint64_t cdptr)
{
	s->config = 7;
	s->s1contextptr = cdptr;
}

uint64_t
tb_strtab_linear(struct tb *tb, unsigned log2size)
{
	uint64_t size = 64ull << log2size;

	return tb_alloc(tb, size, size);
}

uint64_t
tb_strtab_2l(struct tb *tb, unsigned log2size, unsigned split)
{
	uint64_t n = log2size > split ? 1ull << (log2size - split) : 1;
	uint64_t size = 8 * n;

	return tb_alloc(tb, size, size < 64 ? 64 : size);
}

uint64_t
tb_strtab_2l_add(struct tb *tb, uint64_t base, unsigned l1idx,
    unsigned span)
{
	uint64_t size = 64ull << (span - 1);
	uint64_t l2 = tb_alloc(tb, size, size);

	if (l2 == 0)
		tb_die("no RAM for L2 stream table", base);
	/* L1STD: Span[4:0], L2Ptr[55:6]. */
	tb_w64(tb, base + 8ull * l1idx, F(4, 0, span) | (l2 & F(55, 6, ~0ull)));
	return l2;
}

uint32_t
tb_strtab_cfg(unsigned log2size, unsigned split, unsigned fmt)
{
	return (uint32_t)(F(5, 0, log2size) | F(10, 6, split) |
	    F(17, 16, fmt));
}

void
tb_put_ste(struct tb *tb, uint64_t gpa, const struct tb_ste *s)
{
	uint64_t dw[8];

	tb_ste_encode(s, dw);
	tb_wwords(tb, gpa, dw, 8);
}

void
tb_put_cd(struct tb *tb, uint64_t gpa, const struct tb_cd *c)
{
	uint64_t dw[8];

	tb_cd_encode(c, dw);
	tb_wwords(tb, gpa, dw, 8);
}
