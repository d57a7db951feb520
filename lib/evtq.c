/*
 * evtq.c - writing event records into the guest's event queue (SMMUv3
 * 7.2 "Event queue recorded faults and events", 3.5.1 queue indexes,
 * 6.3.29-6.3.34 EVENTQ_BASE/PROD/CONS).
 *
 * Under evtq_lock: check that the queue is writable, compute the slot
 * from EVENTQ_BASE (effective LOG2SIZE capped by IDR1.EVENTQS, base
 * aligned to the queue size), write the four little-endian words, then
 * publish the new PROD (keeping OVFLG).  The EVTQ interrupt is raised
 * after PROD is visible (3.18: data before the interrupt), outside the
 * lock.
 */
#include <stdlib.h>

#include "evtq.h"

/* Event records are 32 bytes (7.3). */
#define EVTQ_ENTRY_LOG2 5

struct smmu_evtq {
	struct gmem *g;
	struct smmu_regs *r;
	struct smmu_msi *m;
	/* Counters, relaxed atomic increments. */
	uint64_t recorded;
	uint64_t overflow;
	uint64_t discarded;
	uint64_t aborted;
};

struct smmu_evtq *
smmu_evtq_create(struct gmem *g, struct smmu_regs *r, struct smmu_msi *m,
    const struct smmu_features *f)
{
	struct smmu_evtq *q;

	(void)f;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->g = g;
	q->r = r;
	q->m = m;
	return q;
}

void
smmu_evtq_destroy(struct smmu_evtq *q)
{
	free(q);
}

/* Count one event in counter c. */
static inline void
evtq_count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* True while records may be written: EVENTQEN = 1 and no abort error. */
static bool
evtq_writable(const struct smmu_regs *r)
{
	return (regs_ld32(&r->cr0ack) & SMMU_CR0_EVENTQEN) &&
	    !smmu_regs_gerror_active(r, SMMU_GERROR_EVENTQ_ABT_ERR);
}

int
smmu_evtq_record(struct smmu_evtq *q, const struct smmu_event *evt)
{
	struct smmu_regs *r = q->r;
	uint64_t rec[4], base, addr;
	uint32_t prod, cons;
	unsigned qs;
	bool was_empty;

	/* Cheap early out for an SMMU whose queue is off (host-managed
	 * instances never enable it). */
	if (!evtq_writable(r)) {
		evtq_count(&q->discarded);
		return SMMU_EVTQ_DISCARDED;
	}
	smmu_event_pack(evt, rec);

	pthread_mutex_lock(&r->evtq_lock);
	if (!evtq_writable(r)) {
		pthread_mutex_unlock(&r->evtq_lock);
		evtq_count(&q->discarded);
		return SMMU_EVTQ_DISCARDED;
	}
	base = regs_ld64(&r->eventq_base);
	qs = regs_q_log2(base, r->evtq_max_log2);
	prod = regs_ld32(&r->eventq_prod);
	cons = regs_ld32(&r->eventq_cons);
	if (regs_q_full(prod, cons, qs)) {
		/* Full: the record is lost; signal the overflow once per
		 * acknowledge by toggling OVFLG if it equals OVACKFLG
		 * (7.2, 6.3.33). */
		if ((prod & SMMU_Q_OVFLG) == (cons & SMMU_Q_OVFLG))
			regs_st32(&r->eventq_prod, prod ^ SMMU_Q_OVFLG);
		pthread_mutex_unlock(&r->evtq_lock);
		evtq_count(&q->overflow);
		return SMMU_EVTQ_OVERFLOW;
	}
	addr = regs_q_addr(base, qs, EVTQ_ENTRY_LOG2) +
	    ((uint64_t)(prod & (uint32_t)bits_low(qs)) << EVTQ_ENTRY_LOG2);
	if (gmem_write_words(q->g, addr, rec, 4) != 0) {
		/* An external abort on the queue write: EVENTQ_ABT_ERR,
		 * and nothing more is written until it is acknowledged. */
		(void)smmu_msi_gerror(q->m, SMMU_GERROR_EVENTQ_ABT_ERR);
		pthread_mutex_unlock(&r->evtq_lock);
		evtq_count(&q->aborted);
		return SMMU_EVTQ_ABORTED;
	}
	was_empty = regs_q_empty(prod, cons, qs);
	/* Only the index moves; bits above it (OVFLG) are kept and bits
	 * between the wrap flag and bit 19 read as zero. */
	regs_st32(&r->eventq_prod, regs_q_add(prod & ((uint32_t)bits_low(qs +
	    1) | SMMU_Q_OVFLG), 1, qs));
	pthread_mutex_unlock(&r->evtq_lock);
	evtq_count(&q->recorded);
	if (was_empty)
		smmu_msi_raise(q->m, SMMU_MSI_EVTQ);
	return SMMU_EVTQ_WRITTEN;
}

void
smmu_evtq_stats(const struct smmu_evtq *q, struct smmu_queue_stats *ret)
{
	ret->evt_recorded = __atomic_load_n(&q->recorded, __ATOMIC_RELAXED);
	ret->evt_overflow = __atomic_load_n(&q->overflow, __ATOMIC_RELAXED);
	ret->evt_discarded = __atomic_load_n(&q->discarded, __ATOMIC_RELAXED);
	ret->evt_aborted = __atomic_load_n(&q->aborted, __ATOMIC_RELAXED);
}
