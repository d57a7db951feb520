/*
 * cmdq.c - command consumption (SMMUv3 chapter 4; 7.1 command queue
 * errors; 3.5.1 queue indexes; 6.3.26-6.3.28 CMDQ_BASE/PROD/CONS).
 *
 * One run, under cmdq_lock: while CMDQEN = 1, CMDQ_ERR is inactive and
 * CONS != PROD, take the contiguous stretch of entries from CONS to PROD
 * or to the end of the queue, read it through one host pointer when it
 * lies in one backed region (else entry by entry with gmem_read_words),
 * execute each command and publish CONS after the stretch.  A CMD_SYNC
 * with CS = SIG_IRQ publishes CONS past itself before its MSI (4.7.3), so
 * Linux's MSI polling, which points MSIAddress at the SYNC's own slot,
 * sees the queue consumed when the word changes.  An error leaves CONS at
 * the failing entry with CONS.ERR set, then activates GERROR.CMDQ_ERR;
 * the GERRORN acknowledge restarts consumption, re-fetching that entry.
 *
 * Decoding follows the command layouts of SMMUv3 4.2-4.7 bit by bit;
 * reserved fields are ignored (4.1.5 allows either).  Commands of
 * features this SMMU does not offer (Hyp, EL3/Secure, ATS, PRI, stall,
 * VMS, DPT) are CERROR_ILL, as are reserved opcodes.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "cmdq.h"

/* Command opcodes (4.1.1). */
#define CMD_PREFETCH_CONFIG 0x01
#define CMD_PREFETCH_ADDR 0x02
#define CMD_CFGI_STE 0x03
#define CMD_CFGI_STE_RANGE 0x04	/* Range = 31: CMD_CFGI_ALL */
#define CMD_CFGI_CD 0x05
#define CMD_CFGI_CD_ALL 0x06
#define CMD_CFGI_VMS_PIDM 0x07
#define CMD_TLBI_NH_ALL 0x10
#define CMD_TLBI_NH_ASID 0x11
#define CMD_TLBI_NH_VA 0x12
#define CMD_TLBI_NH_VAA 0x13
#define CMD_TLBI_EL3_ALL 0x18
#define CMD_TLBI_EL3_VA 0x1a
#define CMD_TLBI_EL2_ALL 0x20
#define CMD_TLBI_EL2_ASID 0x21
#define CMD_TLBI_EL2_VA 0x22
#define CMD_TLBI_EL2_VAA 0x23
#define CMD_TLBI_S12_VMALL 0x28
#define CMD_TLBI_S2_IPA 0x2a
#define CMD_TLBI_NSNH_ALL 0x30
#define CMD_ATC_INV 0x40
#define CMD_PRI_RESP 0x41
#define CMD_RESUME 0x44
#define CMD_STALL_TERM 0x45
#define CMD_SYNC 0x46

/* CMD_SYNC.CS (4.7.3). */
#define CMD_SYNC_CS_NONE 0
#define CMD_SYNC_CS_IRQ 1
#define CMD_SYNC_CS_SEV 2

/* Commands are 16 bytes (4.1.1). */
#define CMDQ_ENTRY_LOG2 4

struct smmu_cmdq {
	struct smmu *s;
	struct smmu_regs *r;
	struct smmu_msi *m;
	struct gmem *g;
	bool s1p, s2p, ril;
	uint16_t asid_mask;	/* 0xff without IDR0.ASID16 (4.4) */
	uint16_t vmid_mask;	/* 0xff without IDR0.VMID16 */
	/* Queue counters: written only under cmdq_lock, once per run, with
	 * relaxed atomic stores (no locked instruction on the hot path). */
	uint64_t cmds;
	uint64_t runs;
	uint64_t syncs;
	uint64_t errors;
	/* smmu_cmdq_exec() counters: relaxed atomic adds. */
	uint64_t exec;
	uint64_t exec_syncs;
};

/* c += v for a counter only its lock holder writes. */
static inline void
cmdq_count(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v,
	    __ATOMIC_RELAXED);
}

/* A CMD_SYNC seen by cmdq_exec_one(). */
struct cmdq_sync {
	bool sync;		/* the command was a CMD_SYNC */
	bool irq;		/* CS = SIG_IRQ: signal completion */
	uint64_t msiaddr;	/* dw1: MSIAddress[55:2] */
	uint32_t msidata;	/* MSIData */
};

/*
 * Address invalidations (TLBI_NH_VA, NH_VAA, S2_IPA) of one kind and tag
 * whose ranges touch are merged into one ranged smmu_invalidate(): they
 * need only have completed at the next CMD_SYNC (4.7.3), so Linux's
 * page-by-page invalidation of an unmapped range costs one TLB pass.
 * Anything else, a CMD_SYNC and the end of a run flush the merge first,
 * so commands still take effect in queue order.
 */
struct cmdq_pend {
	unsigned nr;		/* commands merged; 0: nothing pending */
	struct smmu_inv inv;	/* the first command as decoded */
	uint64_t start, end;	/* covered input range [start, end) */
	bool leaf;		/* every merged command had Leaf = 1 */
};

struct smmu_cmdq *
smmu_cmdq_create(struct smmu *s, struct smmu_regs *r, struct smmu_msi *m)
{
	const struct smmu_features *f = smmu_features(s);
	struct smmu_cmdq *q;

	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->s = s;
	q->r = r;
	q->m = m;
	q->g = smmu_gmem(s);
	q->s1p = f->s1p;
	q->s2p = f->s2p;
	q->ril = f->ril;
	q->asid_mask = f->asid16 ? 0xffff : 0xff;
	q->vmid_mask = f->vmid16 ? 0xffff : 0xff;
	return q;
}

void
smmu_cmdq_destroy(struct smmu_cmdq *q)
{
	free(q);
}

/*
 * Decode the address-range fields of TLBI_NH_VA/NH_VAA/S2_IPA (4.4.1.1):
 * Leaf dw1[0], TTL dw1[9:8], TG dw1[11:10], NUM dw0[16:12], SCALE
 * dw0[24:20] (5 bits: IDR5.DS = 0).  Returns a CERROR code.
 */
static int
cmdq_range(const struct smmu_cmdq *q, uint64_t dw0, uint64_t dw1,
    struct smmu_inv *inv)
{
	inv->leaf = BIT(dw1, 0);
	inv->tg = (uint8_t)BITS(dw1, 11, 10);
	if (inv->tg == 0)
		return SMMU_CERROR_NONE;	/* NUM/SCALE/TTL are RES0 */
	/* Without RIL, TG is RES0: a non-zero value is detected as a
	 * malformed command (4.1.5). */
	if (!q->ril)
		return SMMU_CERROR_ILL;
	inv->ttl = (uint8_t)BITS(dw1, 9, 8);
	inv->num = (uint8_t)BITS(dw0, 16, 12);
	inv->scale = (uint8_t)BITS(dw0, 24, 20);
	/* TTL = 0b01 with the 16 KB granule is reserved without DS and
	 * treated as 0b00 (4.4.1.1). */
	if (inv->tg == 2 && inv->ttl == 1)
		inv->ttl = 0;
	/* A range of NUM = SCALE = TTL = 0 is ILLEGAL (4.4.1.1). */
	if (inv->num == 0 && inv->scale == 0 && inv->ttl == 0)
		return SMMU_CERROR_ILL;
	return SMMU_CERROR_NONE;
}

/*
 * The input range [*ret_start, *ret_end) an address invalidation covers:
 * the 4 KB page of Address for TG = 0 (an entry of any size containing
 * it overlaps that page), else (NUM + 1) x 2^SCALE granules from
 * Address (4.4.1.1).  False if it is not worth merging: too large, or
 * crossing VA[55], where the sign extension of the TLB keys changes.
 */
static bool
cmdq_inv_span(const struct smmu_inv *inv, uint64_t *ret_start,
    uint64_t *ret_end)
{
	static const unsigned tg_shift[4] = { 12, 12, 14, 16 };
	uint64_t start = inv->addr & ~(uint64_t)0xfff, len = 4096;
	unsigned sh;

	if (inv->tg != 0) {
		sh = inv->scale + tg_shift[inv->tg & 3];
		if (sh > 40)
			return false;
		len = ((uint64_t)inv->num + 1) << sh;
	}
	if (start + len <= start || ((start ^ (start + len - 1)) >> 55) != 0)
		return false;
	*ret_start = start;
	*ret_end = start + len;
	return true;
}

/* Perform the pending merged invalidation, if any. */
static void
cmdq_pend_flush(struct smmu_cmdq *q, struct cmdq_pend *pd)
{
	struct smmu_inv inv;

	if (pd->nr == 0)
		return;
	inv = pd->inv;
	if (pd->nr > 1) {
		/* The union, as smmu_inv's byte-range form (TG = 0 with a
		 * length); the TTL hint is dropped: any level goes. */
		inv.addr = pd->start;
		inv.len = pd->end - pd->start;
		inv.tg = 0;
		inv.num = 0;
		inv.scale = 0;
		inv.ttl = 0;
		inv.leaf = pd->leaf;
	}
	(void)smmu_invalidate(q->s, &inv);
	pd->nr = 0;
}

/*
 * Add a validated TLBI_NH_VA/NH_VAA/S2_IPA to the merge: it joins the
 * pending one if it has the same kind, VMID and ASID and its range
 * overlaps or abuts; otherwise the pending one is performed first.
 */
static void
cmdq_pend_add(struct smmu_cmdq *q, struct cmdq_pend *pd,
    const struct smmu_inv *inv)
{
	uint64_t start, end, lo, hi;

	if (!cmdq_inv_span(inv, &start, &end)) {
		cmdq_pend_flush(q, pd);
		(void)smmu_invalidate(q->s, inv);
		return;
	}
	if (pd->nr != 0 && inv->op == pd->inv.op &&
	    inv->vmid == pd->inv.vmid && inv->asid == pd->inv.asid &&
	    start <= pd->end && end >= pd->start) {
		lo = start < pd->start ? start : pd->start;
		hi = end > pd->end ? end : pd->end;
		if (((lo ^ (hi - 1)) >> 55) == 0) {
			pd->start = lo;
			pd->end = hi;
			pd->leaf = pd->leaf && inv->leaf;
			pd->nr++;
			return;
		}
	}
	cmdq_pend_flush(q, pd);
	pd->nr = 1;
	pd->inv = *inv;
	pd->start = start;
	pd->end = end;
	pd->leaf = inv->leaf;
}

/*
 * Execute one command (dw0, dw1 in host order), merging address
 * invalidations into *pd.  Returns SMMU_CERROR_NONE or SMMU_CERROR_ILL; a
 * CMD_SYNC flushes *pd and is reported in *sync for the caller to signal
 * once CONS has passed it.
 */
static int
cmdq_exec_one(struct smmu_cmdq *q, struct cmdq_pend *pd, uint64_t dw0,
    uint64_t dw1, struct cmdq_sync *sync)
{
	struct smmu_inv inv;
	bool ssec = BIT(dw0, 10);	/* SSec: must be 0 on the NS queue */
	uint32_t sid = (uint32_t)BITS(dw0, 63, 32);
	int r;

	memset(&inv, 0, sizeof(inv));
	switch (BITS(dw0, 7, 0)) {
	case CMD_PREFETCH_CONFIG:
	case CMD_PREFETCH_ADDR:
		/* Prefetches are hints (4.2); SSec is still checked. */
		return ssec ? SMMU_CERROR_ILL : SMMU_CERROR_NONE;
	case CMD_CFGI_STE:
		/* 4.3.1: StreamID dw0[63:32], Leaf dw1[0]. */
		if (ssec)
			return SMMU_CERROR_ILL;
		inv.op = SMMU_INV_CFGI_STE;
		inv.sid = sid;
		inv.leaf = BIT(dw1, 0);
		break;
	case CMD_CFGI_STE_RANGE:
		/* 4.3.2: Range dw1[4:0], 2^(Range + 1) StreamIDs aligned
		 * down; Range = 31 is CMD_CFGI_ALL (4.3.6). */
		if (ssec)
			return SMMU_CERROR_ILL;
		inv.op = SMMU_INV_CFGI_STE_RANGE;
		inv.sid = sid;
		inv.range = (uint8_t)BITS(dw1, 4, 0);
		break;
	case CMD_CFGI_CD:
		/* 4.3.3: SubstreamID dw0[31:12] is the CD index, Leaf
		 * dw1[0]; CERROR_ILL without stage 1. */
		if (ssec || !q->s1p)
			return SMMU_CERROR_ILL;
		inv.op = SMMU_INV_CFGI_CD;
		inv.sid = sid;
		inv.ssid = (uint32_t)BITS(dw0, 31, 12);
		inv.leaf = BIT(dw1, 0);
		break;
	case CMD_CFGI_CD_ALL:
		/* 4.3.4: CERROR_ILL without stage 1. */
		if (ssec || !q->s1p)
			return SMMU_CERROR_ILL;
		inv.op = SMMU_INV_CFGI_CD_ALL;
		inv.sid = sid;
		break;
	case CMD_TLBI_NH_ALL:
		/* 4.4.2: VMID dw0[47:32]; stage-1 commands are ILLEGAL
		 * without stage 1. */
		if (!q->s1p)
			return SMMU_CERROR_ILL;
		inv.op = SMMU_INV_TLBI_NH_ALL;
		inv.vmid = (uint16_t)BITS(dw0, 47, 32) & q->vmid_mask;
		break;
	case CMD_TLBI_NH_ASID:
		/* 4.4.2: VMID dw0[47:32], ASID dw0[63:48]. */
		if (!q->s1p)
			return SMMU_CERROR_ILL;
		inv.op = SMMU_INV_TLBI_NH_ASID;
		inv.vmid = (uint16_t)BITS(dw0, 47, 32) & q->vmid_mask;
		inv.asid = (uint16_t)BITS(dw0, 63, 48) & q->asid_mask;
		break;
	case CMD_TLBI_NH_VA:
	case CMD_TLBI_NH_VAA:
		/* 4.4.2: as NH_ASID (NH_VAA without ASID); Address
		 * dw1[63:12] is VA[63:12]. */
		if (!q->s1p)
			return SMMU_CERROR_ILL;
		if (BITS(dw0, 7, 0) == CMD_TLBI_NH_VA) {
			inv.op = SMMU_INV_TLBI_NH_VA;
			inv.asid = (uint16_t)BITS(dw0, 63, 48) &
			    q->asid_mask;
		} else {
			inv.op = SMMU_INV_TLBI_NH_VAA;
		}
		inv.vmid = (uint16_t)BITS(dw0, 47, 32) & q->vmid_mask;
		inv.addr = FIELD_ADDR(dw1, 63, 12);
		r = cmdq_range(q, dw0, dw1, &inv);
		if (r != SMMU_CERROR_NONE)
			return r;
		cmdq_pend_add(q, pd, &inv);
		return SMMU_CERROR_NONE;
	case CMD_TLBI_S12_VMALL:
		/* 4.4.3: VMID; ILLEGAL without stage 2. */
		if (!q->s2p)
			return SMMU_CERROR_ILL;
		inv.op = SMMU_INV_TLBI_S12_VMALL;
		inv.vmid = (uint16_t)BITS(dw0, 47, 32) & q->vmid_mask;
		break;
	case CMD_TLBI_S2_IPA:
		/* 4.4.3: VMID, range fields, IPA dw1[55:12]. */
		if (!q->s2p)
			return SMMU_CERROR_ILL;
		inv.op = SMMU_INV_TLBI_S2_IPA;
		inv.vmid = (uint16_t)BITS(dw0, 47, 32) & q->vmid_mask;
		inv.addr = FIELD_ADDR(dw1, 55, 12);
		r = cmdq_range(q, dw0, dw1, &inv);
		if (r != SMMU_CERROR_NONE)
			return r;
		cmdq_pend_add(q, pd, &inv);
		return SMMU_CERROR_NONE;
	case CMD_TLBI_NSNH_ALL:
		/* 4.4.4: every non-EL2 entry of the Non-secure world. */
		inv.op = SMMU_INV_TLBI_NSNH_ALL;
		break;
	case CMD_SYNC:
		/* 4.7.3: CS dw0[13:12] (3 is reserved: ILL), MSIData
		 * dw0[63:32], MSIAddress dw1[55:2].  SIG_SEV without
		 * IDR0.SEV is SIG_NONE. */
		switch (BITS(dw0, 13, 12)) {
		case CMD_SYNC_CS_IRQ:
			sync->irq = true;
			sync->msiaddr = FIELD_ADDR(dw1, 55, 2);
			sync->msidata = (uint32_t)BITS(dw0, 63, 32);
			break;
		case CMD_SYNC_CS_NONE:
		case CMD_SYNC_CS_SEV:
			break;
		default:
			return SMMU_CERROR_ILL;
		}
		/* Everything before the SYNC completes first. */
		cmdq_pend_flush(q, pd);
		sync->sync = true;
		return SMMU_CERROR_NONE;
	case CMD_CFGI_VMS_PIDM:	/* no MPAM/VMS (4.3.5) */
	case CMD_TLBI_EL3_ALL:	/* Secure command queue only */
	case CMD_TLBI_EL3_VA:
	case CMD_TLBI_EL2_ALL:	/* IDR0.Hyp = 0 (4.4.4) */
	case CMD_TLBI_EL2_ASID:
	case CMD_TLBI_EL2_VA:
	case CMD_TLBI_EL2_VAA:
	case CMD_ATC_INV:	/* IDR0.ATS = 0 (4.5.1) */
	case CMD_PRI_RESP:	/* IDR0.PRI = 0 (4.6.1) */
	case CMD_RESUME:	/* IDR0.STALL_MODEL = 1 (4.7.1) */
	case CMD_STALL_TERM:	/* IDR0.STALL_MODEL = 1 (4.7.2) */
	default:		/* reserved, Secure-only, DPTI, IMPDEF */
		return SMMU_CERROR_ILL;
	}
	cmdq_pend_flush(q, pd);
	r = smmu_invalidate(q->s, &inv);
	return r < 0 ? SMMU_CERROR_ILL : SMMU_CERROR_NONE;
}

/* Read the 64-bit little-endian word at host pointer p (the guest may be
 * writing nearby, so it is one single-copy-atomic load). */
static inline uint64_t
cmdq_ld(const uint64_t *p)
{
	return le64toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

void
smmu_cmdq_consume(struct smmu_cmdq *q)
{
	struct smmu_regs *r = q->r;
	struct cmdq_pend pd = { .nr = 0 };
	struct cmdq_sync sync;
	const uint64_t *p;
	uint64_t base, qaddr, dw[2];
	uint32_t prod, cons, idx, n, i, nr_cmds = 0, nr_syncs = 0;
	unsigned qs;
	int err = SMMU_CERROR_NONE;
	bool ran = false;

	pthread_mutex_lock(&r->cmdq_lock);
	for (;;) {
		/* Commands are processed only while CMDQEN = 1 and no
		 * command queue error is active (4.1.2). */
		if (!(regs_ld32(&r->cr0ack) & SMMU_CR0_CMDQEN) ||
		    smmu_regs_gerror_active(r, SMMU_GERROR_CMDQ_ERR))
			break;
		base = regs_ld64(&r->cmdq_base);
		qs = regs_q_log2(base, r->cmdq_max_log2);
		prod = regs_q_wrapidx(regs_ld32(&r->cmdq_prod), qs);
		cons = regs_ld32(&r->cmdq_cons);
		cons = regs_q_wrapidx(cons, qs) |
		    (cons & SMMU_CMDQ_CONS_ERR_MASK);
		if (regs_q_empty(prod, cons, qs))
			break;
		ran = true;
		/* The stretch from CONS to PROD, or to the end of the queue
		 * when PROD has wrapped.  The distance is taken modulo the
		 * index-and-wrap range, so a PROD written behind CONS (an
		 * over-full queue, CONSTRAINED UNPREDICTABLE) still gives a
		 * bounded run. */
		idx = cons & (uint32_t)bits_low(qs);
		n = (prod - cons) & (uint32_t)bits_low(qs + 1);
		if (n > (1u << qs) - idx)
			n = (1u << qs) - idx;
		qaddr = regs_q_addr(base, qs, CMDQ_ENTRY_LOG2) +
		    ((uint64_t)idx << CMDQ_ENTRY_LOG2);
		p = gmem_host_ptr(q->g, qaddr, (size_t)n << CMDQ_ENTRY_LOG2);
		for (i = 0; i < n; i++) {
			if (p != NULL) {
				dw[0] = cmdq_ld(&p[2 * i]);
				dw[1] = cmdq_ld(&p[2 * i + 1]);
			} else if (gmem_read_words(q->g, qaddr +
			    ((uint64_t)i << CMDQ_ENTRY_LOG2), dw, 2) != 0) {
				/* External abort on the fetch (4.1.3). */
				err = SMMU_CERROR_ABT;
				break;
			}
			sync.sync = false;
			sync.irq = false;
			err = cmdq_exec_one(q, &pd, dw[0], dw[1], &sync);
			if (err != SMMU_CERROR_NONE)
				break;
			if (!sync.sync)
				continue;
			nr_syncs++;
			if (sync.irq) {
				/* Consumed (CONS past it) before the MSI. */
				regs_st32(&r->cmdq_cons,
				    regs_q_add(cons, i + 1, qs));
				smmu_msi_sync(q->m, sync.msiaddr,
				    sync.msidata);
			}
		}
		/* Commands are consumed (CONS moves past them) only once
		 * they have taken effect. */
		cmdq_pend_flush(q, &pd);
		nr_cmds += i;
		cons = regs_q_add(cons, i, qs);
		if (err != SMMU_CERROR_NONE) {
			/* Stop: CONS stays at the failing command, ERR holds
			 * the reason, then CMDQ_ERR becomes active (7.1). */
			cons = (cons & ~SMMU_CMDQ_CONS_ERR_MASK) |
			    ((uint32_t)err << SMMU_CMDQ_CONS_ERR_SHIFT);
			regs_st32(&r->cmdq_cons, cons);
			(void)smmu_msi_gerror(q->m, SMMU_GERROR_CMDQ_ERR);
			break;
		}
		regs_st32(&r->cmdq_cons, cons);
	}
	if (ran) {
		cmdq_count(&q->runs, 1);
		cmdq_count(&q->cmds, nr_cmds);
		cmdq_count(&q->syncs, nr_syncs);
		if (err != SMMU_CERROR_NONE)
			cmdq_count(&q->errors, 1);
	}
	pthread_mutex_unlock(&r->cmdq_lock);
}

int
smmu_cmdq_exec_raw(struct smmu_cmdq *q, const uint64_t *cmds, unsigned n,
    unsigned *ret_done)
{
	struct cmdq_pend pd = { .nr = 0 };
	struct cmdq_sync sync;
	unsigned i, nr_syncs = 0;
	int err = SMMU_CERROR_NONE;

	if (cmds == NULL && n > 0)
		return SMMU_ERR_INVAL;
	for (i = 0; i < n; i++) {
		sync.sync = false;
		sync.irq = false;
		err = cmdq_exec_one(q, &pd, cmds[2 * i], cmds[2 * i + 1],
		    &sync);
		if (err != SMMU_CERROR_NONE)
			break;
		if (sync.sync)
			nr_syncs++;
		if (sync.irq)
			smmu_msi_sync(q->m, sync.msiaddr, sync.msidata);
	}
	cmdq_pend_flush(q, &pd);
	__atomic_fetch_add(&q->exec, i, __ATOMIC_RELAXED);
	__atomic_fetch_add(&q->exec_syncs, nr_syncs, __ATOMIC_RELAXED);
	if (ret_done != NULL)
		*ret_done = i;
	return err;
}

void
smmu_cmdq_stats(const struct smmu_cmdq *q, struct smmu_queue_stats *ret)
{
	ret->cmds = __atomic_load_n(&q->cmds, __ATOMIC_RELAXED);
	ret->cmd_runs = __atomic_load_n(&q->runs, __ATOMIC_RELAXED);
	ret->cmd_syncs = __atomic_load_n(&q->syncs, __ATOMIC_RELAXED) +
	    __atomic_load_n(&q->exec_syncs, __ATOMIC_RELAXED);
	ret->cmd_errors = __atomic_load_n(&q->errors, __ATOMIC_RELAXED);
	ret->cmds_exec = __atomic_load_n(&q->exec, __ATOMIC_RELAXED);
}
