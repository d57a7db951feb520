/*
 * regs.c - the SMMUv3 register file (SMMUv3 sections 6.2, 6.3).
 *
 * Behaviour chosen where the architecture allows several (SMMUv3.2 rules,
 * AIDR reports v3.2 when range invalidation is offered, v3.1 otherwise):
 *  - CR0 changes are acknowledged synchronously: CR0ACK equals CR0 once
 *    the write returns (6.3.9 "Update"), after any command batch or event
 *    write in progress has finished.  Only SMMUEN, EVENTQEN and CMDQEN
 *    are implemented; PRIQEN, ATSCHK, VMW and DPT_WALK_EN are RES0.
 *  - Guarded registers (CR1 fields, CR2, STRTAB_*, queue bases, CMDQ_CONS,
 *    EVENTQ_PROD, *_IRQ_CFG*) ignore writes while their guard is set.
 *  - GBPA applies a write only with Update = 1 and completes it at once
 *    (Update reads as 0); a write without Update is ignored.
 *  - IRQ_CTRLACK follows IRQ_CTRL once earlier EVTQ/GERROR MSIs completed.
 *  - *_IRQ_CFG* are RES0 without IDR0.MSI; PRIQ registers and the page-0
 *    aliases of EVENTQ_PROD/CONS are RAZ/WI; IIDR is 0 (no JEP106
 *    implementer, so no driver applies an implementation's errata).
 *  - A 64-bit register may be accessed as two 32-bit halves; an 8-byte
 *    access to a pair of 32-bit registers acts on both, low one first.
 */
#include <stdlib.h>

#include "err.h"
#include "regs.h"
#include "smmu.h"

/* Writable bits. */
#define REGS_CR0_MASK \
	(SMMU_CR0_SMMUEN | SMMU_CR0_EVENTQEN | SMMU_CR0_CMDQEN)
#define REGS_CR1_TABLE_MASK 0xfc0u	/* TABLE_SH/OC/IC[11:6] */
#define REGS_CR1_QUEUE_MASK 0x03fu	/* QUEUE_SH/OC/IC[5:0] */
#define REGS_CR2_MASK SMMU_CR2_RECINVSID	/* no Hyp, BTM or ATS */
/* ABORT, INSTCFG, PRIVCFG, SHCFG, ALLOCCFG, MTCFG, MemAttr (6.3.14). */
#define REGS_GBPA_MASK 0x001f3f1fu
#define REGS_IRQ_CTRL_MASK (SMMU_IRQ_GERROR_IRQEN | SMMU_IRQ_EVENTQ_IRQEN)
#define REGS_GERROR_MASK \
	(SMMU_GERROR_CMDQ_ERR | SMMU_GERROR_EVENTQ_ABT_ERR | \
	 SMMU_GERROR_MSI_CMDQ_ABT_ERR | SMMU_GERROR_MSI_EVENTQ_ABT_ERR | \
	 SMMU_GERROR_MSI_GERROR_ABT_ERR | SMMU_GERROR_SFM_ERR)
#define REGS_IRQ_CFG0_MASK GENMASK64(55, 2)	/* ADDR[55:2] */
#define REGS_IRQ_CFG2_MASK 0x3fu		/* SH[5:4], MemAttr[3:0] */
/* STRTAB_BASE: RA[62], ADDR[55:6]; STRTAB_BASE_CFG: FMT, SPLIT, LOG2SIZE. */
#define REGS_STRTAB_BASE_MASK (GENMASK64(62, 62) | GENMASK64(55, 6))
#define REGS_STRTAB_CFG_MASK 0x000307ffu
/* CMDQ_BASE: RA[62]; EVENTQ_BASE: WA[62]; ADDR[55:5], LOG2SIZE[4:0]. */
#define REGS_Q_BASE_MASK (GENMASK64(62, 62) | GENMASK64(55, 0))

struct smmu_regs *
smmu_regs_create(struct smmu *s, const struct smmu_features *f)
{
	struct smmu_regs *r;
	int enc = smmu_pa_enc(f->oas);

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (pthread_mutex_init(&r->cmdq_lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	if (pthread_mutex_init(&r->evtq_lock, NULL) != 0)
		goto fail_evtq;
	if (pthread_mutex_init(&r->irq_lock, NULL) != 0)
		goto fail_irq;
	if (pthread_mutex_init(&r->lock, NULL) != 0)
		goto fail_lock;
	r->smmu = s;
	r->msi = f->msi;
	r->oas = f->oas;
	r->cmdq_max_log2 = f->cmdq_log2;
	r->evtq_max_log2 = f->evtq_log2;

	/*
	 * IDR0 (6.3.1): TTF = 2 (AArch64 tables), TTENDIAN = 2 (little-
	 * endian), STALL_MODEL = 1 (no stall); no BTM, HTTU, Hyp, ATS, SEV,
	 * PRI, ATOS or VMW.
	 */
	r->idr[0] = (uint32_t)(FIELD_PREP(0, 0, f->s2p) |
	    FIELD_PREP(1, 1, f->s1p) | FIELD_PREP(3, 2, 2) |
	    FIELD_PREP(4, 4, f->coherent) | FIELD_PREP(12, 12, f->asid16) |
	    FIELD_PREP(13, 13, f->msi) | FIELD_PREP(18, 18, f->vmid16) |
	    FIELD_PREP(19, 19, f->cd_2level) | FIELD_PREP(22, 21, 2) |
	    FIELD_PREP(25, 24, 1) | FIELD_PREP(26, 26, f->term_model) |
	    FIELD_PREP(28, 27, f->st_2level ? 1 : 0));
	/* IDR1 (6.3.2): sizes; PRIQS = 0, no presets, no ECMDQ. */
	r->idr[1] = (uint32_t)(FIELD_PREP(5, 0, f->sid_bits) |
	    FIELD_PREP(10, 6, f->ssid_bits) |
	    FIELD_PREP(20, 16, f->evtq_log2) |
	    FIELD_PREP(25, 21, f->cmdq_log2));
	/*
	 * IDR3 (6.3.4): HAD, RIL and BBML = 2 (TLB conflicts are never
	 * reported: a lookup returns one of two overlapping entries).
	 */
	r->idr[3] = (uint32_t)(FIELD_PREP(2, 2, f->had) |
	    FIELD_PREP(10, 10, f->ril) | FIELD_PREP(12, 11, 2));
	/* IDR5 (6.3.6): OAS and granules; VAX = 0, DS = 0, STALL_MAX = 0. */
	r->idr[5] = (uint32_t)(FIELD_PREP(2, 0, enc < 0 ? 0 : enc) |
	    FIELD_PREP(4, 4, (f->granules & SMMU_GRAN_4K) != 0) |
	    FIELD_PREP(5, 5, (f->granules & SMMU_GRAN_16K) != 0) |
	    FIELD_PREP(6, 6, (f->granules & SMMU_GRAN_64K) != 0));
	r->iidr = 0;
	/* AIDR (6.3.8): range invalidation is mandatory from v3.2 (4.4.1.1),
	 * so an SMMU without it reports v3.1. */
	r->aidr = f->ril ? 0x02 : 0x01;
	return r;

fail_lock:
	pthread_mutex_destroy(&r->irq_lock);
fail_irq:
	pthread_mutex_destroy(&r->evtq_lock);
fail_evtq:
	pthread_mutex_destroy(&r->cmdq_lock);
	free(r);
	return NULL;
}

void
smmu_regs_destroy(struct smmu_regs *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->irq_lock);
	pthread_mutex_destroy(&r->evtq_lock);
	pthread_mutex_destroy(&r->cmdq_lock);
	free(r);
}

/* True for a 4- or 8-byte access aligned to its size inside the window. */
static bool
regs_access_ok(uint64_t off, unsigned size)
{
	if (size != 4 && size != 8)
		return false;
	if (off & (size - 1))
		return false;
	return off < SMMU_MMIO_SIZE && off + size <= SMMU_MMIO_SIZE;
}

/* The 64-bit register at off (8-aligned), or NULL if off is not one. */
static uint64_t *
regs_ptr64(struct smmu_regs *r, uint64_t off)
{
	switch (off) {
	case SMMU_R_GERROR_IRQ_CFG0:
		return &r->gerror_irq_cfg0;
	case SMMU_R_STRTAB_BASE:
		return &r->strtab_base;
	case SMMU_R_CMDQ_BASE:
		return &r->cmdq_base;
	case SMMU_R_EVENTQ_BASE:
		return &r->eventq_base;
	case SMMU_R_EVENTQ_IRQ_CFG0:
		return &r->eventq_irq_cfg0;
	default:
		return NULL;	/* PRIQ_BASE/PRIQ_IRQ_CFG0: RAZ/WI anyway */
	}
}

/* Value of the 32-bit register at off; reserved offsets read as zero. */
static uint32_t
regs_read32(struct smmu_regs *r, uint64_t off)
{
	switch (off) {
	case SMMU_R_IDR0:
	case SMMU_R_IDR1:
	case SMMU_R_IDR2:
	case SMMU_R_IDR3:
	case SMMU_R_IDR4:
	case SMMU_R_IDR5:
		return r->idr[off / 4];
	case SMMU_R_IIDR:
		return r->iidr;
	case SMMU_R_AIDR:
		return r->aidr;
	case SMMU_R_CR0:
		return regs_ld32(&r->cr0);
	case SMMU_R_CR0ACK:
		return regs_ld32(&r->cr0ack);
	case SMMU_R_CR1:
		return regs_ld32(&r->cr1);
	case SMMU_R_CR2:
		return regs_ld32(&r->cr2);
	case SMMU_R_GBPA:
		return regs_ld32(&r->gbpa);
	case SMMU_R_IRQ_CTRL:
		return regs_ld32(&r->irq_ctrl);
	case SMMU_R_IRQ_CTRLACK:
		return regs_ld32(&r->irq_ctrlack);
	case SMMU_R_GERROR:
		return regs_ld32(&r->gerror);
	case SMMU_R_GERRORN:
		return regs_ld32(&r->gerrorn);
	case SMMU_R_GERROR_IRQ_CFG1:
		return regs_ld32(&r->gerror_irq_cfg1);
	case SMMU_R_GERROR_IRQ_CFG2:
		return regs_ld32(&r->gerror_irq_cfg2);
	case SMMU_R_STRTAB_BASE_CFG:
		return regs_ld32(&r->strtab_base_cfg);
	case SMMU_R_CMDQ_PROD:
		return regs_ld32(&r->cmdq_prod);
	case SMMU_R_CMDQ_CONS:
		return regs_ld32(&r->cmdq_cons);
	case SMMU_R_EVENTQ_IRQ_CFG1:
		return regs_ld32(&r->eventq_irq_cfg1);
	case SMMU_R_EVENTQ_IRQ_CFG2:
		return regs_ld32(&r->eventq_irq_cfg2);
	case SMMU_R_EVENTQ_PROD:
		return regs_ld32(&r->eventq_prod);
	case SMMU_R_EVENTQ_CONS:
		return regs_ld32(&r->eventq_cons);
	default:
		/* STATUSR (DORMANT = 0), AGBPA, PRIQ_*, the page-0 event
		 * queue aliases, PIDR/CIDR and every reserved offset. */
		return 0;
	}
}

int
smmu_regs_read(struct smmu_regs *r, uint64_t off, unsigned size,
    uint64_t *ret)
{
	uint64_t *p;

	if (!regs_access_ok(off, size))
		return SMMU_ERR_INVAL;
	p = regs_ptr64(r, off & ~(uint64_t)7);
	if (p != NULL) {
		if (size == 8)
			*ret = regs_ld64(p);
		else
			*ret = (uint32_t)(regs_ld64(p) >> ((off & 4) * 8));
		return 0;
	}
	if (size == 8)
		*ret = regs_read32(r, off) |
		    (uint64_t)regs_read32(r, off + 4) << 32;
	else
		*ret = regs_read32(r, off);
	return 0;
}

/* Push the control state the translation path uses (lock held). */
static void
regs_push_ctrl(struct smmu_regs *r)
{
	struct smmu_ctrl c;

	c.enabled = (regs_ld32(&r->cr0ack) & SMMU_CR0_SMMUEN) != 0;
	c.strtab_base = regs_ld64(&r->strtab_base);
	c.strtab_base_cfg = regs_ld32(&r->strtab_base_cfg);
	c.cr2 = regs_ld32(&r->cr2);
	c.gbpa = regs_ld32(&r->gbpa);
	(void)smmu_ctrl_set(r->smmu, &c);
}

/* True if CR0 or CR0ACK has any of bits (a field still "enabled"). */
static bool
regs_cr0_any(struct smmu_regs *r, uint32_t bits)
{
	return ((regs_ld32(&r->cr0) | regs_ld32(&r->cr0ack)) & bits) != 0;
}

/*
 * CR0 write (6.3.9).  Taking cmdq_lock and evtq_lock first makes the
 * acknowledge of CMDQEN/EVENTQEN = 0 mean that command consumption and
 * event writes have stopped (6.3.9.3, 6.3.9.4).
 */
static unsigned
regs_write_cr0(struct smmu_regs *r, uint32_t val)
{
	uint32_t old, nv = val & REGS_CR0_MASK;

	pthread_mutex_lock(&r->cmdq_lock);
	pthread_mutex_lock(&r->evtq_lock);
	pthread_mutex_lock(&r->lock);
	old = regs_ld32(&r->cr0ack);
	regs_st32(&r->cr0, nv);
	regs_st32(&r->cr0ack, nv);
	if ((old ^ nv) & SMMU_CR0_SMMUEN)
		regs_push_ctrl(r);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_unlock(&r->evtq_lock);
	pthread_mutex_unlock(&r->cmdq_lock);
	/* CMDQEN 0 -> 1 starts processing what PROD already holds. */
	if (!(old & SMMU_CR0_CMDQEN) && (nv & SMMU_CR0_CMDQEN))
		return SMMU_REGS_KICK_CMDQ;
	return 0;
}

/*
 * CR1 write (6.3.11): TABLE_* are writable only while SMMUEN = 0, QUEUE_*
 * only while every queue is disabled.
 */
static void
regs_write_cr1(struct smmu_regs *r, uint32_t val)
{
	uint32_t cur, wmask = 0;

	pthread_mutex_lock(&r->lock);
	if (!regs_cr0_any(r, SMMU_CR0_SMMUEN))
		wmask |= REGS_CR1_TABLE_MASK;
	if (!regs_cr0_any(r, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN))
		wmask |= REGS_CR1_QUEUE_MASK;
	cur = regs_ld32(&r->cr1);
	regs_st32(&r->cr1, (cur & ~wmask) | (val & wmask));
	pthread_mutex_unlock(&r->lock);
}

/* Store *p = val if none of the CR0 bits guard is set (lock held). */
static bool
regs_guarded_st32(struct smmu_regs *r, uint32_t guard, uint32_t *p,
    uint32_t val)
{
	if (regs_cr0_any(r, guard))
		return false;
	regs_st32(p, val);
	return true;
}

/* True if IRQ_CTRL or IRQ_CTRLACK has bit (an *_IRQ_CFG* guard). */
static bool
regs_irqen_any(struct smmu_regs *r, uint32_t bit)
{
	return ((regs_ld32(&r->irq_ctrl) | regs_ld32(&r->irq_ctrlack)) &
	    bit) != 0;
}

/* Write a 32-bit *_IRQ_CFG1/2 register: RES0 without MSI support, and
 * ignored while its IRQEN is set (6.3.19-6.3.21, v3.2). */
static void
regs_write_irq_cfg(struct smmu_regs *r, uint32_t irqen, uint32_t *p,
    uint32_t val)
{
	if (!r->msi)
		return;
	pthread_mutex_lock(&r->lock);
	if (!regs_irqen_any(r, irqen))
		regs_st32(p, val);
	pthread_mutex_unlock(&r->lock);
}

/* Write a 32-bit register; returns SMMU_REGS_KICK_* bits. */
static unsigned
regs_write32(struct smmu_regs *r, uint64_t off, uint32_t val)
{
	uint32_t old, qmask;
	unsigned qs;

	switch (off) {
	case SMMU_R_CR0:
		return regs_write_cr0(r, val);
	case SMMU_R_CR1:
		regs_write_cr1(r, val);
		return 0;
	case SMMU_R_CR2:
		/* Read-only once SMMUEN is set (6.3.12). */
		pthread_mutex_lock(&r->lock);
		if (regs_guarded_st32(r, SMMU_CR0_SMMUEN, &r->cr2,
		    val & REGS_CR2_MASK))
			regs_push_ctrl(r);
		pthread_mutex_unlock(&r->lock);
		return 0;
	case SMMU_R_GBPA:
		/* A write without Update is IGNORED (6.3.14.1, v3.2); with
		 * Update the new attributes apply at once and Update
		 * reads as 0 again: the update has completed. */
		if (!(val & SMMU_GBPA_UPDATE))
			return 0;
		pthread_mutex_lock(&r->lock);
		regs_st32(&r->gbpa, val & REGS_GBPA_MASK);
		regs_push_ctrl(r);
		pthread_mutex_unlock(&r->lock);
		return 0;
	case SMMU_R_IRQ_CTRL:
		/* irq_lock waits out an MSI in flight, so the ACK of a
		 * cleared IRQEN means no MSI of it is still being sent. */
		pthread_mutex_lock(&r->irq_lock);
		pthread_mutex_lock(&r->lock);
		regs_st32(&r->irq_ctrl, val & REGS_IRQ_CTRL_MASK);
		regs_st32(&r->irq_ctrlack, val & REGS_IRQ_CTRL_MASK);
		pthread_mutex_unlock(&r->lock);
		pthread_mutex_unlock(&r->irq_lock);
		return 0;
	case SMMU_R_GERRORN:
		pthread_mutex_lock(&r->lock);
		old = regs_ld32(&r->gerrorn);
		regs_st32(&r->gerrorn, val & REGS_GERROR_MASK);
		pthread_mutex_unlock(&r->lock);
		/* Acknowledging CMDQ_ERR resumes consumption at CONS, which
		 * re-fetches the failed entry (7.1). */
		if ((old ^ val) & SMMU_GERROR_CMDQ_ERR)
			return SMMU_REGS_KICK_CMDQ;
		return 0;
	case SMMU_R_GERROR_IRQ_CFG1:
		regs_write_irq_cfg(r, SMMU_IRQ_GERROR_IRQEN,
		    &r->gerror_irq_cfg1, val);
		return 0;
	case SMMU_R_GERROR_IRQ_CFG2:
		regs_write_irq_cfg(r, SMMU_IRQ_GERROR_IRQEN,
		    &r->gerror_irq_cfg2, val & REGS_IRQ_CFG2_MASK);
		return 0;
	case SMMU_R_EVENTQ_IRQ_CFG1:
		regs_write_irq_cfg(r, SMMU_IRQ_EVENTQ_IRQEN,
		    &r->eventq_irq_cfg1, val);
		return 0;
	case SMMU_R_EVENTQ_IRQ_CFG2:
		regs_write_irq_cfg(r, SMMU_IRQ_EVENTQ_IRQEN,
		    &r->eventq_irq_cfg2, val & REGS_IRQ_CFG2_MASK);
		return 0;
	case SMMU_R_STRTAB_BASE_CFG:
		/* STRTAB_* are RW only while SMMUEN = 0 (6.3.24-25). */
		pthread_mutex_lock(&r->lock);
		if (regs_guarded_st32(r, SMMU_CR0_SMMUEN, &r->strtab_base_cfg,
		    val & REGS_STRTAB_CFG_MASK))
			regs_push_ctrl(r);
		pthread_mutex_unlock(&r->lock);
		return 0;
	case SMMU_R_CMDQ_PROD:
		/* Always writable; WR bits above the wrap flag are RAZ
		 * (6.3.27).  The hot path: no lock, the consumer re-reads. */
		qs = regs_q_log2(regs_ld64(&r->cmdq_base), r->cmdq_max_log2);
		regs_st32(&r->cmdq_prod, regs_q_wrapidx(val, qs));
		return SMMU_REGS_KICK_CMDQ;
	case SMMU_R_CMDQ_CONS:
		/* RW only while CMDQEN = 0; ERR keeps the SMMU's value
		 * (6.3.28 permits ignoring a written ERR). */
		pthread_mutex_lock(&r->lock);
		qs = regs_q_log2(regs_ld64(&r->cmdq_base), r->cmdq_max_log2);
		old = regs_ld32(&r->cmdq_cons);
		(void)regs_guarded_st32(r, SMMU_CR0_CMDQEN, &r->cmdq_cons,
		    regs_q_wrapidx(val, qs) | (old & SMMU_CMDQ_CONS_ERR_MASK));
		pthread_mutex_unlock(&r->lock);
		return 0;
	case SMMU_R_EVENTQ_PROD:
		/* RW only while EVENTQEN = 0 (6.3.33). */
		pthread_mutex_lock(&r->lock);
		qs = regs_q_log2(regs_ld64(&r->eventq_base),
		    r->evtq_max_log2);
		qmask = (uint32_t)bits_low(qs + 1) | SMMU_Q_OVFLG;
		(void)regs_guarded_st32(r, SMMU_CR0_EVENTQEN,
		    &r->eventq_prod, val & qmask);
		pthread_mutex_unlock(&r->lock);
		return 0;
	case SMMU_R_EVENTQ_CONS:
		/* Software-owned RD and OVACKFLG, always writable. */
		qs = regs_q_log2(regs_ld64(&r->eventq_base),
		    r->evtq_max_log2);
		qmask = (uint32_t)bits_low(qs + 1) | SMMU_Q_OVFLG;
		regs_st32(&r->eventq_cons, val & qmask);
		return 0;
	default:
		/* Read-only (IDRs, CR0ACK, IRQ_CTRLACK, GERROR, ...) and
		 * reserved offsets: the write is ignored. */
		return 0;
	}
}

/*
 * Write the bits wmask of the 64-bit register at off (8-aligned) with
 * val: a full write, or one 32-bit half merged with the other.
 */
static unsigned
regs_write64(struct smmu_regs *r, uint64_t off, uint64_t val, uint64_t wmask)
{
	uint64_t *p = regs_ptr64(r, off), nv;
	uint64_t mask;
	uint32_t guard = 0, irqen = 0;

	switch (off) {
	case SMMU_R_GERROR_IRQ_CFG0:
		if (!r->msi)
			return 0;
		irqen = SMMU_IRQ_GERROR_IRQEN;
		mask = REGS_IRQ_CFG0_MASK;
		break;
	case SMMU_R_EVENTQ_IRQ_CFG0:
		if (!r->msi)
			return 0;
		irqen = SMMU_IRQ_EVENTQ_IRQEN;
		mask = REGS_IRQ_CFG0_MASK;
		break;
	case SMMU_R_STRTAB_BASE:
		guard = SMMU_CR0_SMMUEN;
		mask = REGS_STRTAB_BASE_MASK;
		break;
	case SMMU_R_CMDQ_BASE:
		guard = SMMU_CR0_CMDQEN;	/* 6.3.26 */
		mask = REGS_Q_BASE_MASK;
		break;
	case SMMU_R_EVENTQ_BASE:
		guard = SMMU_CR0_EVENTQEN;	/* 6.3.29 */
		mask = REGS_Q_BASE_MASK;
		break;
	default:
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	if ((guard != 0 && regs_cr0_any(r, guard)) ||
	    (irqen != 0 && regs_irqen_any(r, irqen)))
		goto out;
	nv = (regs_ld64(p) & ~wmask) | (val & wmask);
	regs_st64(p, nv & mask);
	if (off == SMMU_R_STRTAB_BASE)
		regs_push_ctrl(r);
out:
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int
smmu_regs_write(struct smmu_regs *r, uint64_t off, unsigned size,
    uint64_t val)
{
	unsigned shift, act;

	if (!regs_access_ok(off, size))
		return SMMU_ERR_INVAL;
	if (regs_ptr64(r, off & ~(uint64_t)7) != NULL) {
		if (size == 8)
			return (int)regs_write64(r, off, val, ~(uint64_t)0);
		shift = (unsigned)(off & 4) * 8;
		return (int)regs_write64(r, off & ~(uint64_t)7,
		    (val & 0xffffffffu) << shift,
		    (uint64_t)0xffffffffu << shift);
	}
	if (size == 8) {
		act = regs_write32(r, off, (uint32_t)val);
		act |= regs_write32(r, off + 4, (uint32_t)(val >> 32));
		return (int)act;
	}
	return (int)regs_write32(r, off, (uint32_t)val);
}

bool
smmu_regs_gerror_activate(struct smmu_regs *r, uint32_t bit)
{
	uint32_t g;
	bool done = false;

	pthread_mutex_lock(&r->lock);
	g = regs_ld32(&r->gerror);
	if (((g ^ regs_ld32(&r->gerrorn)) & bit) == 0) {
		regs_st32(&r->gerror, g ^ bit);
		done = true;
	}
	pthread_mutex_unlock(&r->lock);
	return done;
}
