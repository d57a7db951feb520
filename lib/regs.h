/*
 * regs.h - the SMMUv3 register file: pages 0 and 1 of the MMIO window
 * (SMMUv3 sections 6.2 and 6.3).  Internal to libsmmu.
 *
 * Owns: struct smmu_regs, the architected register state of one SMMU and
 * the locks that order everything the guest-programmed interface does:
 *
 *   cmdq_lock  held while commands are consumed (cmdq.c) and by CR0
 *              writes, so CR0ACK.CMDQEN = 0 means consumption stopped;
 *   evtq_lock  held while an event record is written (evtq.c) and by CR0
 *              writes, so CR0ACK.EVENTQEN = 0 means writes stopped;
 *   irq_lock   held while an EVTQ/GERROR interrupt is checked against
 *              IRQ_CTRL and delivered (msi.c), and by IRQ_CTRL writes, so
 *              IRQ_CTRLACK shows an IRQEN clear only after earlier MSIs
 *              completed (SMMUv3 6.3.15);
 *   lock       the leaf: serializes register updates (read-modify-write,
 *              guards, GERROR activation, the push of the control state
 *              into the instance with smmu_ctrl_set()).
 *
 * Lock order: cmdq_lock -> evtq_lock -> irq_lock -> lock.  Nothing is
 * called with `lock' held except smmu_ctrl_set().  Every register word
 * is read and written with atomic loads and stores, so readers (MMIO
 * reads, the queue consumers) need no lock: writers serialize on `lock'.
 *
 * The register file never calls into cmdq/evtq/msi; smmu_regs_write()
 * returns what the caller must do next (SMMU_REGS_KICK_CMDQ).
 */
#ifndef SMMU_REGS_H
#define SMMU_REGS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bits.h"
#include "features.h"

struct smmu;

/* Register offsets (SMMUv3 6.2, Table 6-2; EVENTQ_PROD/CONS on page 1). */
#define SMMU_R_IDR0 0x000
#define SMMU_R_IDR1 0x004
#define SMMU_R_IDR2 0x008
#define SMMU_R_IDR3 0x00c
#define SMMU_R_IDR4 0x010
#define SMMU_R_IDR5 0x014
#define SMMU_R_IIDR 0x018
#define SMMU_R_AIDR 0x01c
#define SMMU_R_CR0 0x020
#define SMMU_R_CR0ACK 0x024
#define SMMU_R_CR1 0x028
#define SMMU_R_CR2 0x02c
#define SMMU_R_STATUSR 0x040
#define SMMU_R_GBPA 0x044
#define SMMU_R_AGBPA 0x048
#define SMMU_R_IRQ_CTRL 0x050
#define SMMU_R_IRQ_CTRLACK 0x054
#define SMMU_R_GERROR 0x060
#define SMMU_R_GERRORN 0x064
#define SMMU_R_GERROR_IRQ_CFG0 0x068
#define SMMU_R_GERROR_IRQ_CFG1 0x070
#define SMMU_R_GERROR_IRQ_CFG2 0x074
#define SMMU_R_STRTAB_BASE 0x080
#define SMMU_R_STRTAB_BASE_CFG 0x088
#define SMMU_R_CMDQ_BASE 0x090
#define SMMU_R_CMDQ_PROD 0x098
#define SMMU_R_CMDQ_CONS 0x09c
#define SMMU_R_EVENTQ_BASE 0x0a0
#define SMMU_R_EVENTQ_PROD_P0 0x0a8	/* optional alias: RAZ/WI here */
#define SMMU_R_EVENTQ_CONS_P0 0x0ac	/* optional alias: RAZ/WI here */
#define SMMU_R_EVENTQ_IRQ_CFG0 0x0b0
#define SMMU_R_EVENTQ_IRQ_CFG1 0x0b8
#define SMMU_R_EVENTQ_IRQ_CFG2 0x0bc
#define SMMU_R_PRIQ_BASE 0x0c0		/* RAZ/WI: no PRI */
#define SMMU_R_PRIQ_IRQ_CFG0 0x0d0	/* RAZ/WI: no PRI */
#define SMMU_R_EVENTQ_PROD 0x100a8
#define SMMU_R_EVENTQ_CONS 0x100ac

/* CR0 / CR0ACK (6.3.9, 6.3.10). */
#define SMMU_CR0_SMMUEN (1u << 0)
#define SMMU_CR0_PRIQEN (1u << 1)
#define SMMU_CR0_EVENTQEN (1u << 2)
#define SMMU_CR0_CMDQEN (1u << 3)
#define SMMU_CR0_ATSCHK (1u << 4)

/* CR2 (6.3.12). */
#define SMMU_CR2_E2H (1u << 0)
#define SMMU_CR2_RECINVSID (1u << 1)
#define SMMU_CR2_PTM (1u << 2)

/* GBPA (6.3.14). */
#define SMMU_GBPA_ABORT (1u << 20)
#define SMMU_GBPA_UPDATE (1u << 31)

/* IRQ_CTRL / IRQ_CTRLACK (6.3.15, 6.3.16). */
#define SMMU_IRQ_GERROR_IRQEN (1u << 0)
#define SMMU_IRQ_PRIQ_IRQEN (1u << 1)
#define SMMU_IRQ_EVENTQ_IRQEN (1u << 2)

/* GERROR / GERRORN (6.3.17, 6.3.18). */
#define SMMU_GERROR_CMDQ_ERR (1u << 0)
#define SMMU_GERROR_EVENTQ_ABT_ERR (1u << 2)
#define SMMU_GERROR_PRIQ_ABT_ERR (1u << 3)
#define SMMU_GERROR_MSI_CMDQ_ABT_ERR (1u << 4)
#define SMMU_GERROR_MSI_EVENTQ_ABT_ERR (1u << 5)
#define SMMU_GERROR_MSI_PRIQ_ABT_ERR (1u << 6)
#define SMMU_GERROR_MSI_GERROR_ABT_ERR (1u << 7)
#define SMMU_GERROR_SFM_ERR (1u << 8)

/* Queue PROD/CONS words (6.3.27-6.3.28, 6.3.33-6.3.34). */
#define SMMU_Q_IDX_BITS 20		/* WR/RD[19:0]: index and wrap */
#define SMMU_Q_OVFLG (1u << 31)		/* PROD.OVFLG / CONS.OVACKFLG */
#define SMMU_CMDQ_CONS_ERR_SHIFT 24	/* CMDQ_CONS.ERR[30:24] */
#define SMMU_CMDQ_CONS_ERR_MASK (0x7fu << SMMU_CMDQ_CONS_ERR_SHIFT)

/* What the caller of smmu_regs_write() must do next. */
#define SMMU_REGS_KICK_CMDQ (1u << 0)	/* run the command queue */

struct smmu_regs {
	/* Constant after creation. */
	struct smmu *smmu;		/* borrowed: control-state target */
	uint32_t idr[6];		/* IDR0..IDR5 */
	uint32_t iidr, aidr;
	bool msi;			/* IDR0.MSI: *_IRQ_CFG* present */
	unsigned oas;			/* output address bits */
	unsigned cmdq_max_log2;		/* IDR1.CMDQS */
	unsigned evtq_max_log2;		/* IDR1.EVENTQS */

	pthread_mutex_t cmdq_lock;
	pthread_mutex_t evtq_lock;
	pthread_mutex_t irq_lock;
	pthread_mutex_t lock;

	/* Register state: atomic loads/stores only (see above). */
	uint32_t cr0, cr0ack, cr1, cr2;
	uint32_t gbpa;
	uint32_t irq_ctrl, irq_ctrlack;
	uint32_t gerror, gerrorn;
	uint64_t gerror_irq_cfg0;
	uint32_t gerror_irq_cfg1, gerror_irq_cfg2;
	uint64_t strtab_base;
	uint32_t strtab_base_cfg;
	uint64_t cmdq_base;
	uint32_t cmdq_prod, cmdq_cons;
	uint64_t eventq_base;
	uint32_t eventq_prod, eventq_cons;
	uint64_t eventq_irq_cfg0;
	uint32_t eventq_irq_cfg1, eventq_irq_cfg2;
};

/* Atomic accessors for register words (acquire loads, release stores). */
static inline uint32_t
regs_ld32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t
regs_ld64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void
regs_st32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void
regs_st64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * Queue geometry (SMMUv3 3.5.1, 6.3.26): the effective LOG2SIZE is
 * MIN(BASE.LOG2SIZE, the IDR1 maximum); the index is the low qs bits of
 * PROD/CONS and the wrap flag bit qs.
 */
static inline unsigned
regs_q_log2(uint64_t base, unsigned max_log2)
{
	unsigned qs = (unsigned)BITS(base, 4, 0);

	return qs < max_log2 ? qs : max_log2;
}

/*
 * Effective queue address: BASE.ADDR[55:5], aligned down to the larger of
 * the queue size in bytes and 32 (6.3.26, "ADDR").
 */
static inline uint64_t
regs_q_addr(uint64_t base, unsigned qs, unsigned entry_log2)
{
	unsigned align = qs + entry_log2 > 5 ? qs + entry_log2 : 5;

	return FIELD_ADDR(base, 55, 5) & ~bits_low(align);
}

/* Index-and-wrap part of a PROD/CONS word. */
static inline uint32_t
regs_q_wrapidx(uint32_t v, unsigned qs)
{
	return v & (uint32_t)bits_low(qs + 1);
}

/* Empty: index and wrap equal (3.5.1). */
static inline bool
regs_q_empty(uint32_t prod, uint32_t cons, unsigned qs)
{
	return regs_q_wrapidx(prod ^ cons, qs) == 0;
}

/* Full: index equal, wrap different (3.5.1). */
static inline bool
regs_q_full(uint32_t prod, uint32_t cons, unsigned qs)
{
	return regs_q_wrapidx(prod ^ cons, qs) == (1u << qs);
}

/* v advanced by n entries (n <= 2^qs), keeping the bits above the wrap
 * flag (CMDQ_CONS.ERR, EVENTQ_PROD.OVFLG). */
static inline uint32_t
regs_q_add(uint32_t v, uint32_t n, unsigned qs)
{
	uint32_t m = (uint32_t)bits_low(qs + 1);

	return (v & ~m) | ((v + n) & m);
}

/*
 * Create the register file of an SMMU with features f, pushing control
 * changes into s (borrowed; only smmu_ctrl_set() is called on it).  All
 * registers start at their reset values: everything disabled, GBPA = 0
 * (bypass), queues and stream table zero.  Returns NULL when out of
 * memory.
 */
struct smmu_regs *
smmu_regs_create(struct smmu *s, const struct smmu_features *f);

/* Free r.  Accepts NULL.  No other thread may be using it. */
void
smmu_regs_destroy(struct smmu_regs *r);

/*
 * MMIO read and write (the rules of smmu_mmio_read()/smmu_mmio_write()
 * in smmu.h).  smmu_regs_write() returns a mask of SMMU_REGS_KICK_* (>= 0)
 * or SMMU_ERR_INVAL.  Neither takes cmdq_lock, evtq_lock or irq_lock
 * except for CR0 and IRQ_CTRL writes, so the caller must hold none.
 */
int
smmu_regs_read(struct smmu_regs *r, uint64_t off, unsigned size,
    uint64_t *ret);
int
smmu_regs_write(struct smmu_regs *r, uint64_t off, unsigned size,
    uint64_t val);

/* True if the global error bit is active (GERROR[bit] != GERRORN[bit]). */
static inline bool
smmu_regs_gerror_active(const struct smmu_regs *r, uint32_t bit)
{
	return ((regs_ld32(&r->gerror) ^ regs_ld32(&r->gerrorn)) & bit) != 0;
}

/*
 * Activate global error bit: toggle GERROR[bit] only if the error is
 * inactive (6.3.17, "never re-toggle an active error").  Returns true if
 * it was activated (the caller then raises the GERROR interrupt).
 */
bool
smmu_regs_gerror_activate(struct smmu_regs *r, uint32_t bit);

#endif /* SMMU_REGS_H */
