/*
 * guestdrv.h - a test guest driver for an SMMUv3, written the way Linux's
 * arm-smmu-v3 driver probes, resets and drives the hardware
 * (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_device_hw_probe,
 * arm_smmu_device_reset, arm_smmu_cmdq_issue_cmdlist, the event queue
 * thread, the GERROR handler).
 *
 * Every register access and every guest-memory access goes through a
 * struct gd_ops vtable, so the same driver runs directly on the engine
 * (tests/unit/test_guest.c binds smmu_mmio_read/write and gmem) or over
 * the daemon's socket (bind the vtable to the client library's MmioRead,
 * MmioWrite, MemRead and MemWrite).  The driver knows nothing of lib/: it
 * has its own register offsets and field encodings, so it also checks
 * the engine against an independent reading of the specification.
 *
 * Guest memory for the driver's structures (stream table, L2 tables,
 * queues, CDs, page tables) comes from a bump allocator over a RAM range
 * the caller gives; allocations are zeroed through mem_write.  Waits
 * (CR0ACK, GBPA.Update, CMD_SYNC completion, queue space) are polling
 * loops bounded by poll_limit iterations.
 */
#ifndef SMMU_TEST_GUESTDRV_H
#define SMMU_TEST_GUESTDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Transport: each returns 0 or a negative error. */
struct gd_ops {
	int (*mmio_read)(void *arg, uint64_t off, unsigned size,
	    uint64_t *ret);
	int (*mmio_write)(void *arg, uint64_t off, unsigned size,
	    uint64_t val);
	int (*mem_read)(void *arg, uint64_t gpa, void *buf, size_t len);
	int (*mem_write)(void *arg, uint64_t gpa, const void *buf,
	    size_t len);
	void *arg;
};

/* Driver errors (negative). */
#define GD_EIO (-1)		/* a transport call failed */
#define GD_ENOMEM (-2)		/* guest RAM or host memory exhausted */
#define GD_ETIMEDOUT (-3)	/* a poll ran out of iterations */
#define GD_ECMDQ (-4)		/* GERROR.CMDQ_ERR is active */
#define GD_ENODEV (-5)		/* the probe refused the SMMU */
#define GD_EINVAL (-6)		/* bad argument */

/* Register offsets and fields the driver uses (SMMUv3 6.2, 6.3). */
#define GD_IDR0 0x00
#define GD_IDR1 0x04
#define GD_IDR3 0x0c
#define GD_IDR5 0x14
#define GD_AIDR 0x1c
#define GD_CR0 0x20
#define GD_CR0ACK 0x24
#define GD_CR1 0x28
#define GD_CR2 0x2c
#define GD_GBPA 0x44
#define GD_IRQ_CTRL 0x50
#define GD_IRQ_CTRLACK 0x54
#define GD_GERROR 0x60
#define GD_GERRORN 0x64
#define GD_GERROR_IRQ_CFG0 0x68
#define GD_GERROR_IRQ_CFG1 0x70
#define GD_GERROR_IRQ_CFG2 0x74
#define GD_STRTAB_BASE 0x80
#define GD_STRTAB_BASE_CFG 0x88
#define GD_CMDQ_BASE 0x90
#define GD_CMDQ_PROD 0x98
#define GD_CMDQ_CONS 0x9c
#define GD_EVTQ_BASE 0xa0
#define GD_EVTQ_IRQ_CFG0 0xb0
#define GD_EVTQ_IRQ_CFG1 0xb8
#define GD_EVTQ_IRQ_CFG2 0xbc
#define GD_EVTQ_PROD 0x100a8	/* page 1 */
#define GD_EVTQ_CONS 0x100ac

#define GD_CR0_SMMUEN (1u << 0)
#define GD_CR0_EVTQEN (1u << 2)
#define GD_CR0_CMDQEN (1u << 3)
#define GD_GBPA_ABORT (1u << 20)
#define GD_GBPA_UPDATE (1u << 31)
#define GD_IRQ_GERROR (1u << 0)
#define GD_IRQ_EVTQ (1u << 2)
#define GD_GERROR_CMDQ_ERR (1u << 0)
#define GD_Q_OVF (1u << 31)

/* Stage-1 leaf attributes for gd_pt_map() (VMSAv8-64 descriptors). */
#define GD_PTE_AF (1ull << 10)
#define GD_PTE_NG (1ull << 11)
#define GD_PTE_AP_RW (1ull << 6)	/* AP[2:1] = 01: RW at any EL */
#define GD_PTE_AP_RO (3ull << 6)	/* AP[2:1] = 11: RO at any EL */
#define GD_PTE_DEFAULT (GD_PTE_AF | GD_PTE_NG | GD_PTE_AP_RW)

/* How to reset: the choices Linux makes from the IDRs and its options. */
struct gd_config {
	unsigned sid_bits;	/* streams covered (<= IDR1.SIDSIZE) */
	bool strtab_2level;	/* 2-level stream table (needs ST_LEVEL) */
	unsigned split;		/* 2-level SPLIT (0: 8, as Linux) */
	unsigned cmdq_log2;	/* queue sizes (0: 8), capped by the IDRs */
	unsigned evtq_log2;
	bool msipoll;		/* CMD_SYNC by MSI polling if MSI+COHACC */
	uint64_t sync_doorbell;	/* else SIG_IRQ to this (0: SIG_NONE) */
	uint64_t evtq_doorbell;	/* EVENTQ_IRQ_CFG0 (0: no MSI) */
	uint32_t evtq_msi_data;
	uint64_t gerror_doorbell; /* GERROR_IRQ_CFG0 (0: no MSI) */
	uint32_t gerror_msi_data;
	bool recinvsid;		/* CR2.RECINVSID */
	bool bypass;		/* unused streams bypass (else abort) */
};

/* One stage-1 translation table tree: 4 KB granule, 48-bit VA, 4 levels. */
struct gd_pt {
	uint64_t root;
};

struct gd {
	struct gd_ops ops;
	uint64_t ram_next, ram_end;
	unsigned poll_limit;
	/* Probed (arm_smmu_device_hw_probe). */
	uint32_t idr0, idr1, idr3, idr5, aidr;
	bool s1p, s2p, st_2level, cd2l, msi, coherent, ril;
	unsigned sid_bits, ssid_bits, cmdq_max, evtq_max, oas_enc;
	/* Stream table. */
	bool strtab_2l;
	unsigned st_bits, split;
	uint64_t strtab;
	uint64_t *l2;		/* L2 table GPA per L1 index (2-level) */
	unsigned nr_l1;
	bool bypass;
	/* Command queue. */
	uint64_t cmdq;
	unsigned cmdq_log2;
	uint32_t cmdq_prod, cmdq_cons;	/* shadows */
	bool msipoll;
	uint64_t sync_doorbell;
	uint32_t sync_seq;
	/* Event queue. */
	uint64_t evtq;
	unsigned evtq_log2;
	uint32_t evtq_cons;	/* shadow, with OVACKFLG */
	unsigned evtq_overflows;	/* overflow flags seen */
};

/* Prepare gd over RAM [ram_base, ram_base + ram_size); ops is copied. */
void gd_init(struct gd *gd, const struct gd_ops *ops, uint64_t ram_base,
    uint64_t ram_size);
void gd_fini(struct gd *gd);

/* Zeroed guest RAM of size bytes aligned to align; 0 when exhausted. */
uint64_t gd_alloc(struct gd *gd, uint64_t size, uint64_t align);

/* Guest memory and register helpers (little-endian in guest memory). */
int gd_w64(struct gd *gd, uint64_t gpa, uint64_t v);
int gd_r64(struct gd *gd, uint64_t gpa, uint64_t *ret);
int gd_r32(struct gd *gd, uint64_t gpa, uint32_t *ret);
int gd_wwords(struct gd *gd, uint64_t gpa, const uint64_t *w, unsigned n);
int gd_rwords(struct gd *gd, uint64_t gpa, uint64_t *w, unsigned n);
int gd_readl(struct gd *gd, uint64_t off, uint32_t *ret);
int gd_writel(struct gd *gd, uint64_t off, uint32_t v);
int gd_writeq(struct gd *gd, uint64_t off, uint64_t v);

/*
 * Read the ID registers and decide what to use, refusing what Linux
 * refuses (no stage, AArch64 tables unsupported, presets, a command
 * queue of 64 entries or fewer).  Returns 0 or GD_ENODEV / GD_EIO.
 */
int gd_probe(struct gd *gd);

/*
 * arm_smmu_device_reset(): disable, program CR1/CR2, the stream table,
 * the command queue, enable it, invalidate every cached configuration
 * and TLB entry, the event queue, the interrupts, then SMMUEN.  Returns
 * 0 or an error.
 */
int gd_reset(struct gd *gd, const struct gd_config *cfg);

/* Disable everything (CR0 = 0) and set GBPA.ABORT as given. */
int gd_disable(struct gd *gd, bool gbpa_abort);

/* ---- commands -------------------------------------------------------- */

/* Queue one command (waiting for space); PROD is written by gd_sync(). */
int gd_cmd(struct gd *gd, uint64_t dw0, uint64_t dw1);
/* Publish the queued commands (write CMDQ_PROD). */
int gd_cmd_flush(struct gd *gd);
/*
 * Queue a CMD_SYNC, publish, and wait for it: by MSI polling of its own
 * slot, else by CONS passing it.  GD_ECMDQ if a command error stops the
 * queue (the commands stay queued; see gd_cmdq_fix()).
 */
int gd_sync(struct gd *gd);
/* Common commands (each only queued). */
int gd_cfgi_ste(struct gd *gd, uint32_t sid);
int gd_cfgi_all(struct gd *gd);
int gd_cfgi_cd(struct gd *gd, uint32_t sid, uint32_t ssid);
int gd_tlbi_nh_va(struct gd *gd, uint16_t asid, uint64_t va);
int gd_tlbi_nh_asid(struct gd *gd, uint16_t asid);
int gd_tlbi_nsnh_all(struct gd *gd);

/*
 * Command error state: *ret_active = GERROR.CMDQ_ERR active, *ret_err =
 * CMDQ_CONS.ERR, *ret_cons = CMDQ_CONS.RD.  Any pointer may be NULL.
 */
int gd_cmdq_error(struct gd *gd, bool *ret_active, unsigned *ret_err,
    uint32_t *ret_cons);
/*
 * Recover from a command error as Linux's GERROR handler does: replace
 * the command at CONS by (dw0, dw1), then acknowledge CMDQ_ERR in
 * GERRORN so consumption resumes.
 */
int gd_cmdq_fix(struct gd *gd, uint64_t dw0, uint64_t dw1);

/* ---- stream table, STEs, CDs, page tables --------------------------- */

/* GPA of sid's STE, allocating its L2 table if needed; 0 on failure. */
uint64_t gd_ste_addr(struct gd *gd, uint32_t sid);
/* Write an STE to memory only (word 0, with V, last). */
int gd_ste_put(struct gd *gd, uint32_t sid, const uint64_t ste[8]);
/* gd_ste_put() + CFGI_STE + CMD_SYNC. */
int gd_ste_install(struct gd *gd, uint32_t sid, const uint64_t ste[8]);
/* Write an L1 stream table descriptor (2-level) directly. */
int gd_l1std_put(struct gd *gd, unsigned l1idx, unsigned span,
    uint64_t l2ptr);

/* STE encoders (SMMUv3 5.2). */
void gd_ste_abort(uint64_t ste[8]);
void gd_ste_bypass(uint64_t ste[8]);
void gd_ste_s1(uint64_t ste[8], uint64_t cdptr, unsigned s1cdmax,
    unsigned s1dss);
/* A stage-1 CD (SMMUv3 5.4) for pt with asid, IPS = ips_bits. */
void gd_cd_s1(uint64_t cd[8], const struct gd_pt *pt, uint16_t asid,
    unsigned ips_bits);

/* An empty stage-1 tree (4 KB, 48-bit). */
int gd_pt_init(struct gd *gd, struct gd_pt *pt);
/* Map the 4 KB page iova -> pa with leaf attributes attrs (GD_PTE_*). */
int gd_pt_map(struct gd *gd, struct gd_pt *pt, uint64_t iova, uint64_t pa,
    uint64_t attrs);
/*
 * Point the level-lvl (0..2) table descriptor for iova at table, creating
 * the levels above it (for external-abort tests: table may be unbacked).
 */
int gd_pt_set_table(struct gd *gd, struct gd_pt *pt, uint64_t iova,
    unsigned lvl, uint64_t table);

/* ---- event queue and global errors ---------------------------------- */

/*
 * Take one record from the event queue into rec (host-order words).
 * Returns 1, 0 when empty, or an error.  An overflow flag is counted in
 * gd->evtq_overflows and acknowledged (CONS.OVACKFLG = PROD.OVFLG), as
 * Linux's event thread does.
 */
int gd_evtq_pop(struct gd *gd, uint64_t rec[4]);
/* Active global errors (GERROR ^ GERRORN). */
int gd_gerror_active(struct gd *gd, uint32_t *ret);
/* Acknowledge the active errors among bits (toggle GERRORN). */
int gd_gerror_ack(struct gd *gd, uint32_t bits);

#endif /* SMMU_TEST_GUESTDRV_H */
