/*
 * tbuild.h - test builder: guest RAM, page tables, STEs, CDs and stream
 * tables written into a real gmem, the way a guest driver would.
 *
 * Used by the unit suites and the benchmarks.  Encoders take the raw
 * architected field values (so tests can also build illegal descriptors)
 * and place them at the bit positions of SMMUv3 sections 5.2 and 5.4; they
 * are written independently of lib/ste.c and lib/cd.c on purpose.
 */
#ifndef SMMU_TEST_TBUILD_H
#define SMMU_TEST_TBUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "gmem.h"

/* A gmem with one anonymous RAM region and a bump allocator over it. */
struct tb {
	struct gmem *g;
	uint64_t ram_base;
	uint64_t ram_size;
	uint64_t next;		/* next free GPA */
};

/* Create a test bench with RAM [ram_base, ram_base + ram_size).  NULL on
 * failure. */
struct tb *tb_create(uint64_t ram_base, uint64_t ram_size);
void tb_destroy(struct tb *tb);

/* Allocate size bytes of zeroed RAM aligned to align (power of two);
 * returns the GPA, or 0 when RAM is exhausted. */
uint64_t tb_alloc(struct tb *tb, uint64_t size, uint64_t align);

/* Write/read 64-bit words (fail the test on error: abort()). */
void tb_w64(struct tb *tb, uint64_t gpa, uint64_t v);
uint64_t tb_r64(struct tb *tb, uint64_t gpa);
void tb_wwords(struct tb *tb, uint64_t gpa, const uint64_t *w, unsigned n);

/* ---- page tables --------------------------------------------------- */

/* Stage-1 leaf attribute bits (VMSAv8-64 block/page descriptor). */
#define TB_AF (1ull << 10)
#define TB_NG (1ull << 11)
#define TB_AP_RW_PRIV (0ull << 6)	/* AP[2:1] = 00 */
#define TB_AP_RW_ALL (1ull << 6)	/* AP[2:1] = 01 */
#define TB_AP_RO_PRIV (2ull << 6)	/* AP[2:1] = 10 */
#define TB_AP_RO_ALL (3ull << 6)	/* AP[2:1] = 11 */
#define TB_PXN (1ull << 53)
#define TB_UXN (1ull << 54)
#define TB_S1_DEFAULT (TB_AF | TB_NG | TB_AP_RW_ALL)
/* Table-descriptor bits. */
#define TB_PXNTABLE (1ull << 59)
#define TB_UXNTABLE (1ull << 60)
#define TB_APTABLE_NOUSER (1ull << 61)	/* APTable[0] */
#define TB_APTABLE_RO (1ull << 62)	/* APTable[1] */
/* Stage-2 leaf attribute bits. */
#define TB_S2AP_R (1ull << 6)
#define TB_S2AP_W (1ull << 7)
#define TB_S2_XN (1ull << 54)
#define TB_S2_NORMAL (0xfull << 2)	/* MemAttr = Normal WB */
#define TB_S2_DEFAULT (TB_AF | TB_S2AP_R | TB_S2AP_W | TB_S2_NORMAL)

/* One translation-table tree. */
struct tb_pt {
	struct tb *tb;
	bool stage2;
	unsigned granule;	/* log2: 12, 14, 16 */
	unsigned ia_bits;	/* input address size */
	unsigned start_level;
	unsigned nr_concat;	/* stage 2: concatenated start tables */
	uint64_t root;		/* PA of the start table */
	/* Address written into descriptors for a table at PA p is
	 * p + addr_delta (its IPA when stage-2 maps IPA -> PA - delta). */
	uint64_t addr_delta;
};

/*
 * Prepare an empty tree.  Stage 1: start_level < 0 derives the level
 * from ia_bits (SMMUv3 5.1 rule).  Stage 2: start_level is required and
 * the number of concatenated tables follows from ia_bits.  Returns 0, or
 * -1 if the geometry is impossible.
 */
int tb_pt_init(struct tb_pt *pt, struct tb *tb, bool stage2,
    unsigned granule, unsigned ia_bits, int start_level);

/* Shift of the region one descriptor maps at level for granule g. */
unsigned tb_level_shift(unsigned granule, unsigned level);

/*
 * Map one block (level < 3) or page (level 3) of size 2^tb_level_shift at
 * ia -> oa with leaf attribute bits attrs (TB_*), creating table
 * descriptors (OR-ing table_attrs into newly created ones).  Returns 0, or
 * -1 if ia/oa are misaligned or a conflicting descriptor is in the way.
 */
int tb_pt_map(struct tb_pt *pt, uint64_t ia, uint64_t oa, unsigned level,
    uint64_t attrs);
int tb_pt_map_ex(struct tb_pt *pt, uint64_t ia, uint64_t oa, unsigned level,
    uint64_t attrs, uint64_t table_attrs);

/* Map [ia, ia + size) with pages of the granule (level 3). */
int tb_pt_map_range(struct tb_pt *pt, uint64_t ia, uint64_t oa,
    uint64_t size, uint64_t attrs);

/*
 * GPA of the descriptor for ia at level (the table must exist down to
 * that level), or 0.  Lets tests corrupt or modify single descriptors.
 */
uint64_t tb_pt_desc_addr(struct tb_pt *pt, uint64_t ia, unsigned level);

/* Value for TTBx / S2TTB: root + addr_delta. */
uint64_t tb_pt_ttb(const struct tb_pt *pt);

/* ---- STE / CD encoders --------------------------------------------- */

/* Raw STE fields (SMMUv3 5.2); names follow the spec. */
struct tb_ste {
	bool v;
	unsigned config;	/* 3 bits */
	unsigned s1fmt, s1cdmax, s1dss;
	uint64_t s1contextptr;	/* address, bits [55:6] used */
	unsigned s1cir, s1cor, s1csh;
	bool mev, s2fwb, s1stalld;
	unsigned eats, strw, memattr, shcfg, nscfg, privcfg, instcfg;
	unsigned s2vmid, s2t0sz, s2sl0, s2tg, s2ps;
	bool s2aa64, s2endi, s2affd, s2ptw, s2hd, s2ha, s2s, s2r;
	uint64_t s2ttb;		/* address, bits [51:4] used */
};

/* Raw CD fields (SMMUv3 5.4); tg0 and tg1 are the raw encodings. */
struct tb_cd {
	unsigned t0sz, tg0, ir0, or0, sh0;
	bool epd0, endi, v;
	unsigned t1sz, tg1, ir1, or1, sh1;
	bool epd1;
	unsigned ips;
	bool affd, wxn, uwxn, tbi0, tbi1, pan, aa64, hd, ha, s, r, a, aset;
	unsigned asid;
	bool nscfg0, had0, e0pd0, nscfg1, had1, e0pd1;
	uint64_t ttb0, ttb1;	/* addresses, bits [51:4] used */
	uint64_t mair;
};

void tb_ste_encode(const struct tb_ste *s, uint64_t dw[8]);
void tb_cd_encode(const struct tb_cd *c, uint64_t dw[8]);

/* Raw TG0 / TG1 / S2TG encodings of a granule (log2). */
unsigned tb_tg0(unsigned granule);
unsigned tb_tg1(unsigned granule);
unsigned tb_s2tg(unsigned granule);
/* S2SL0 encoding of a start level for a granule. */
unsigned tb_s2sl0(unsigned granule, unsigned level);
/* IPS/S2PS encoding of an address size in bits (48 -> 5). */
unsigned tb_ps(unsigned bits);

/*
 * A valid CD for stage-1 table pt (TTB0 half; EPD1 = 1): V, AA64, R, A,
 * ASID asid, T0SZ = 64 - ia_bits, TG0, IPS = 48 bits, MAIR = 0xff.
 */
void tb_cd_s1(struct tb_cd *c, const struct tb_pt *pt, unsigned asid);

/* A valid stage-1 STE (Config 0b101) pointing at CD (table) cdptr. */
void tb_ste_s1(struct tb_ste *s, uint64_t cdptr);

/* A valid stage-2 STE (Config 0b110) for tree pt and vmid; S2R = 1. */
void tb_ste_s2(struct tb_ste *s, const struct tb_pt *pt, unsigned vmid);

/* Turn s (made by tb_ste_s2) into nested (Config 0b111) with cdptr. */
void tb_ste_nest(struct tb_ste *s, uint64_t cdptr);

/* ---- stream tables ------------------------------------------------- */

/* A linear stream table of 2^log2size STEs; returns its base. */
uint64_t tb_strtab_linear(struct tb *tb, unsigned log2size);

/* A 2-level stream table's L1 array; returns its base. */
uint64_t tb_strtab_2l(struct tb *tb, unsigned log2size, unsigned split);

/*
 * Allocate an L2 table with Span span (2^(span-1) STEs) for L1 index
 * l1idx of the 2-level table at base, write its L1STD, return the L2 base.
 */
uint64_t tb_strtab_2l_add(struct tb *tb, uint64_t base, unsigned l1idx,
    unsigned span);

/* STRTAB_BASE_CFG value for the given fields. */
uint32_t tb_strtab_cfg(unsigned log2size, unsigned split, unsigned fmt);

/* Write STE s (encoded) at gpa. */
void tb_put_ste(struct tb *tb, uint64_t gpa, const struct tb_ste *s);
/* Write CD c (encoded) at gpa. */
void tb_put_cd(struct tb *tb, uint64_t gpa, const struct tb_cd *c);

#endif /* SMMU_TEST_TBUILD_H */
