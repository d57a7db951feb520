/*
 * domain.h - host-managed translation for one SMMU instance.
 *
 * Owns: struct smmu_domain, the host-side owner of an SMMU's stream table
 * and of every STE, CD and translation table behind it.  The domain lives
 * in a table area [area_gpa, area_gpa + area_size) of guest memory that
 * the caller reserves for it (a backed gmem region that nothing else
 * writes), and writes there what a driver would: a linear or 2-level
 * stream table (SMMUv3 3.3, programmed into STRTAB_BASE/STRTAB_BASE_CFG
 * and enabled with smmu_ctrl_set()), one STE per attached stream
 * (stage 1 with a single CD, or stage 2), and AArch64 translation tables
 * of the domain's granule with block descriptors wherever alignment
 * allows (Arm ARM D8.3).  The engine's own decoder, walker, TLB and
 * invalidation paths then serve the translations: smmu_translate() is
 * used exactly as for a guest-programmed SMMU.
 *
 * Table memory.  Every structure comes from a page allocator over the
 * area: pages of the granule's size, aligned to it (a multi-page table -
 * a 2-level stream table's L2 table with the 4 KB granule, or up to 16
 * concatenated stage-2 start tables - is a run of pages aligned to its
 * own size).  CDs (64 bytes each) share pages.  Tables that become empty
 * on unmap, and everything a stream owned on detach, go back to the
 * allocator, so after all mappings are removed and all streams detached
 * the bytes in use return to what smmu_domain_create() left.
 *
 * Invalidation.  Every change is made visible before the call returns:
 * STE changes with CFGI_STE, unmaps and block splits with a range TLBI
 * covering the affected input range (TLBI_NH_VA with the stream's ASID
 * and VMID for stage 1, TLBI_S2_IPA with its VMID for stage 2), detach
 * with TLBI_NH_ASID / TLBI_S12_VMALL.  A map only fills invalid
 * descriptors, and the TLB never caches a fault, so it needs no TLBI.
 *
 * Thread-safety.  Each domain has one mutex held by every function below
 * (except create/destroy), so mutations of one domain are serialised.
 * Translations (smmu_translate() on the same SMMU) run concurrently and
 * take no domain lock: every descriptor is written with one single-copy
 * atomic 64-bit store (gmem_write64), new tables are filled before the
 * descriptor linking them is written, a block is split by writing a
 * complete replacement table first and swapping the descriptor, and STEs
 * and CDs are written under the gmem shard write locks (gmem_write_words)
 * so the engine never fetches a torn one.  A translation racing with an
 * unmap of its own address may see the old or the new mapping (as with
 * hardware until the TLBI completes); afterwards it sees the new one.
 * One window remains because smmu_invalidate() does not wait for walks in
 * flight: a walk stalled inside a table that an unmap frees, resuming
 * only after a later call has reused that page, would read the new
 * contents.  Freed pages are reused last (FIFO), which makes this need a
 * stall across many allocations; see domain.c.
 *
 * The domain must be the only writer of the SMMU's control state: a
 * guest register write to CR0/STRTAB_* would replace it (see smmu.h).
 */
#ifndef SMMU_DOMAIN_H
#define SMMU_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "smmu.h"

struct smmu_domain;

/* "Any free StreamID" for smmu_domain_attach(). */
#define SMMU_DOMAIN_ANY UINT32_MAX

/*
 * Extra permission bit for smmu_domain_map(), next to SMMU_PERM_R/W/X
 * (same value as the wire protocol's "privileged only"): stage 1 only,
 * the mapping is accessible to privileged transactions only (AP[1] = 0,
 * execution through PXN instead of UXN).
 */
#define SMMU_DOMAIN_PRIV (1u << 3)

/* Attributes of a reported range (smmu_domain_range.attr). */
#define SMMU_DOMAIN_ATTR_NORMAL 0	/* Normal WB memory */
#define SMMU_DOMAIN_ATTR_DEVICE 1	/* Device-nGnRE (an MSI doorbell) */

/* Creation parameters. */
struct smmu_domain_cfg {
	unsigned stage;		/* default stage of streams: 1 or 2 */
	unsigned granule;	/* log2 of the granule: 12, 14 or 16 */
	/*
	 * Input address size in bits, valid for the default stage.
	 * Stage 1: T0SZ = 64 - ia_bits, so 25..48.  Stage 2: S2T0SZ =
	 * 64 - ia_bits, so 25..MIN(OAS, 48 for 4K/16K, 52 for 64K).  A
	 * stream attached with the other stage uses MIN(ia_bits, that
	 * stage's limit) (an IPA cannot be wider than the OAS).
	 */
	unsigned ia_bits;
	/*
	 * log2 of the number of StreamIDs the stream table covers
	 * (STRTAB_BASE_CFG.LOG2SIZE); 0 means MIN(IDR1.SIDSIZE, 16).
	 * At most MIN(IDR1.SIDSIZE, 24).
	 */
	unsigned sid_bits;
};

/* Counters of a domain. */
struct smmu_domain_stats {
	uint64_t area_bytes;	/* size of the table area */
	uint64_t table_bytes;	/* bytes of the area in use (all kinds) */
	uint64_t peak_table_bytes; /* highest table_bytes seen */
	uint64_t mapped_bytes;	/* bytes mapped, all streams */
	unsigned nr_streams;	/* attached streams */
	uint64_t maps;		/* successful map and map_msi calls */
	uint64_t unmaps;	/* successful unmap calls */
	uint64_t splits;	/* blocks split into next-level tables */
	uint64_t tables_allocated; /* translation tables allocated */
	uint64_t tables_freed;	/* translation tables freed */
};

/* One attached stream. */
struct smmu_domain_stream {
	uint32_t sid;
	unsigned stage;		/* 1 or 2 */
	unsigned ia_bits;	/* its input address size */
	bool has_window;	/* attached with a DMA window */
	uint64_t win_start;	/* DMA window, inclusive; without a window */
	uint64_t win_end;	/* [0, 2^ia_bits - 1] */
	uint16_t asid;		/* CD.ASID (stage 1) */
	uint16_t vmid;		/* STE.S2VMID (0 if the SMMU has no S2) */
	uint64_t ste_gpa;	/* where its STE is */
	uint64_t cd_gpa;	/* its CD (stage 1), else 0 */
	uint64_t root_gpa;	/* TTB0 or S2TTB */
	uint64_t table_bytes;	/* its translation tables (not the CD) */
	uint64_t mapped_bytes;	/* bytes it maps */
};

/* One maximal mapped range, as smmu_domain_foreach() reports it. */
struct smmu_domain_range {
	uint64_t iova;		/* first input address */
	uint64_t pa;		/* output address of iova */
	uint64_t size;		/* bytes */
	unsigned perm;		/* SMMU_PERM_R/W/X | SMMU_DOMAIN_PRIV */
	unsigned attr;		/* SMMU_DOMAIN_ATTR_* */
};

/*
 * Fill *ret with a configuration suited to s: stage 1 if the SMMU has
 * it (else 2), the smallest granule it implements, ia_bits 48 for stage 1
 * or MIN(48, OAS) for stage 2, sid_bits 0.
 */
void
smmu_domain_cfg_default(const struct smmu *s, struct smmu_domain_cfg *ret);

/*
 * Take over s with a table area of guest memory: build an empty stream
 * table in the area (2-level with SPLIT = 8 when the table covers 7 or
 * more StreamID bits, L2 tables allocated on demand; else linear),
 * program STRTAB_BASE / STRTAB_BASE_CFG, enable the SMMU (CR0.SMMUEN)
 * and invalidate all its configuration and TLB caches.  cfg is copied;
 * s is borrowed and must outlive the domain.  Every StreamID translates
 * as C_BAD_STE until attached.
 *
 * area_gpa and area_size must be multiples of the granule, and the area
 * must lie below 2^MIN(OAS, 48) (2^MIN(OAS, 52) for 64K: descriptors and
 * TTBs cannot address more).  Returns NULL with *ret_err (if not NULL):
 *  - SMMU_ERR_INVAL: bad cfg, alignment or area placement;
 *  - SMMU_ERR_NOTSUP: the stage or granule is not implemented by s;
 *  - SMMU_ERR_RANGE: the area is not one backed region of s's gmem;
 *  - SMMU_ERR_NOMEM: host memory, or the area cannot hold the stream
 *    table.
 */
struct smmu_domain *
smmu_domain_create(struct smmu *s, uint64_t area_gpa, uint64_t area_size,
    const struct smmu_domain_cfg *cfg, int *ret_err);

/*
 * Free d's host memory.  Accepts NULL.  No other thread may be using d.
 * The tables in guest memory and the SMMU's control state are left as
 * they are: the SMMU keeps translating through them until the caller
 * changes that (or destroys the SMMU).
 */
void
smmu_domain_destroy(struct smmu_domain *d);

/*
 * Attach a stream: take StreamID sid (or the lowest free one when sid is
 * SMMU_DOMAIN_ANY), give it an empty translation table of stage stage
 * (1, 2, or 0 for the domain's default), and write its CD (stage 1:
 * T0SZ, TG0, EPD1 = 1, IPS = OAS, AA64, R = 1, A = 1, a unique ASID,
 * TTB0, MAIR with Normal WB at index 0 and Device-nGnRE at index 1) and
 * STE (Config S1 with a single CD, or S2 with a unique S2VMID, S2T0SZ,
 * S2SL0, S2TG, S2PS = OAS, S2AA64, S2R = 1, S2TTB), then CFGI_STE.
 * The STE is written with V = 0, then its other words, then V = 1.
 *
 * With win_start = win_end = 0 the stream may map its whole input range;
 * otherwise only inside the inclusive window [win_start, win_end], which
 * must lie in the input range.  Addresses outside what is mapped fault
 * with F_TRANSLATION.  On success the StreamID is stored in *ret_sid (if
 * not NULL).  Returns 0, or with nothing changed:
 *  - SMMU_ERR_INVAL: sid beyond the stream table, stage not 0/1/2, or a
 *    bad window;
 *  - SMMU_ERR_NOTSUP: the SMMU lacks the stage;
 *  - SMMU_ERR_EXIST: sid is already attached;
 *  - SMMU_ERR_NOMEM: no free StreamID or ASID/VMID, the table area is
 *    full, or host memory ran out;
 *  - SMMU_ERR_RANGE: the table area stopped being backed.
 */
int
smmu_domain_attach(struct smmu_domain *d, uint32_t sid, unsigned stage,
    uint64_t win_start, uint64_t win_end, uint32_t *ret_sid);

/*
 * Detach stream sid: STE.V = 0 and CFGI_STE, invalidate its ASID
 * (TLBI_NH_ASID) or VMID (TLBI_S12_VMALL), then free its tables and CD
 * (and its L2 stream table once no stream in it is attached).  The
 * StreamID then translates as C_BAD_STE.  Returns 0, SMMU_ERR_NOENT (not
 * attached) or SMMU_ERR_RANGE (the area stopped being backed).
 */
int
smmu_domain_detach(struct smmu_domain *d, uint32_t sid);

/*
 * Map [iova, iova + size) of stream sid to [pa, pa + size) with perm
 * (SMMU_PERM_R/W/X, plus SMMU_DOMAIN_PRIV on stage 1).  iova, pa and size
 * must be multiples of the granule.  Block descriptors are used wherever
 * iova, pa and the remaining size allow (4K: 1 GB at L1 and 2 MB at L2;
 * 16K: 32 MB at L2; 64K: 512 MB at L2), pages elsewhere; AF = 1.
 * Stage 1: AP from W and PRIV (RW or RO, all or privileged only),
 * UXN/PXN from X, nG = 1, AttrIndx 0 (Normal).  Stage 2: S2AP from R
 * and W, XN from X, MemAttr Normal WB (0xF).  Permissions the format
 * cannot express: stage 1 always grants read, so W alone means R|W.
 * Returns 0, or with nothing changed:
 *  - SMMU_ERR_INVAL: misaligned or empty range, range outside the DMA
 *    window or the input range, pa + size beyond what descriptors can
 *    address, perm with unknown bits or with neither R nor W;
 *  - SMMU_ERR_NOTSUP: SMMU_DOMAIN_PRIV on a stage-2 stream;
 *  - SMMU_ERR_NOENT: sid is not attached;
 *  - SMMU_ERR_EXIST: some page of the range is already mapped;
 *  - SMMU_ERR_NOMEM: the table area cannot hold the new tables;
 *  - SMMU_ERR_RANGE: the table area stopped being backed;
 *  - SMMU_ERR_CORRUPT: a table descriptor in the area no longer points
 *    at a table the domain allocated (the area was written by someone
 *    else); nothing is changed.
 */
int
smmu_domain_map(struct smmu_domain *d, uint32_t sid, uint64_t iova,
    uint64_t pa, uint64_t size, unsigned perm);

/*
 * Map the granule-sized page at iova (a multiple of the granule, inside
 * the window) to the page holding the MSI doorbell address doorbell
 * (e.g. a GITS_TRANSLATER), readable and writable, not executable, as
 * Device-nGnRE memory: stage 1 AttrIndx 1 (MAIR attribute 1 = 0x04),
 * stage 2 MemAttr 0b0001.  The device writes to iova plus the doorbell's
 * offset in its page.  Errors as smmu_domain_map().
 */
int
smmu_domain_map_msi(struct smmu_domain *d, uint32_t sid, uint64_t iova,
    uint64_t doorbell);

/*
 * Unmap [iova, iova + size) of stream sid (multiples of the granule,
 * inside the input range; holes are fine).  A block only partly inside
 * the range is split: replaced by a next-level table reproducing the
 * parts that remain.  Tables left empty are freed and their descriptor
 * cleared.  The TLB entries of the range are invalidated before
 * returning.  The number of bytes that were mapped is stored in
 * *ret_unmapped (if not NULL).  Returns 0, or with nothing changed:
 *  - SMMU_ERR_INVAL: misaligned or empty range, or outside the input
 *    range;
 *  - SMMU_ERR_NOENT: sid is not attached;
 *  - SMMU_ERR_NOMEM: splitting needs more table memory than is free
 *    (counted before anything is freed);
 *  - SMMU_ERR_RANGE: the table area stopped being backed;
 *  - SMMU_ERR_CORRUPT: as for smmu_domain_map().
 */
int
smmu_domain_unmap(struct smmu_domain *d, uint32_t sid, uint64_t iova,
    uint64_t size, uint64_t *ret_unmapped);

/*
 * Walk the tables of stream sid and call cb for each maximal range of
 * contiguous input addresses with contiguous output addresses and equal
 * perm and attr (merging pages, blocks and tables), in ascending iova
 * order.  cb runs with d's lock held and must not call into d.  A non-zero
 * return from cb stops the walk and is returned.  Returns 0,
 * SMMU_ERR_NOENT (not attached), SMMU_ERR_RANGE, SMMU_ERR_CORRUPT (see
 * smmu_domain_map(); ranges before it were reported), or cb's value.
 */
int
smmu_domain_foreach(struct smmu_domain *d, uint32_t sid,
    int (*cb)(void *arg, const struct smmu_domain_range *r), void *arg);

/* Read d's counters into *ret. */
void
smmu_domain_stats_get(struct smmu_domain *d, struct smmu_domain_stats *ret);

/* Describe attached stream sid in *ret.  Returns 0 or SMMU_ERR_NOENT. */
int
smmu_domain_stream_get(struct smmu_domain *d, uint32_t sid,
    struct smmu_domain_stream *ret);

/*
 * Call cb for each attached stream in ascending StreamID order, with d's
 * lock held (cb must not call into d).  A non-zero return from cb stops
 * the walk and is returned; else 0.
 */
int
smmu_domain_stream_foreach(struct smmu_domain *d,
    int (*cb)(void *arg, const struct smmu_domain_stream *st), void *arg);

/* The domain's configuration (with sid_bits resolved) into *ret. */
void
smmu_domain_cfg_get(const struct smmu_domain *d,
    struct smmu_domain_cfg *ret);

#endif /* SMMU_DOMAIN_H */
