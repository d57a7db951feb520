/*
 * evtq.h - the guest's event queue: 32-byte fault records written into
 * guest memory at EVENTQ_PROD (SMMUv3 sections 7.2-7.4, 3.5).  Internal
 * to libsmmu.
 *
 * Owns: struct smmu_evtq and its counters.  Records are serialized by the
 * register file's evtq_lock, so concurrent faulting translations each get
 * their own slot.
 */
#ifndef SMMU_EVTQ_H
#define SMMU_EVTQ_H

#include "event.h"
#include "features.h"
#include "gmem.h"
#include "msi.h"
#include "regs.h"
#include "smmu.h"

struct smmu_evtq;

/* What smmu_evtq_record() did with a record. */
enum smmu_evtq_result {
	SMMU_EVTQ_WRITTEN = 0,	/* written at PROD, PROD advanced */
	SMMU_EVTQ_DISCARDED,	/* EVENTQEN = 0 or EVENTQ_ABT_ERR active */
	SMMU_EVTQ_OVERFLOW,	/* queue full: dropped, OVFLG updated */
	SMMU_EVTQ_ABORTED,	/* write aborted: EVENTQ_ABT_ERR activated */
	SMMU_EVTQ_RESULT_MAX
};

/*
 * Create the event queue of an SMMU with features f over g, r and m (all
 * borrowed).  NULL when out of memory.
 */
struct smmu_evtq *
smmu_evtq_create(struct gmem *g, struct smmu_regs *r, struct smmu_msi *m,
    const struct smmu_features *f);

/* Free q.  Accepts NULL.  No other thread may be using it. */
void
smmu_evtq_destroy(struct smmu_evtq *q);

/*
 * Write evt (packed by smmu_event_pack()) into the event queue, as SMMUv3
 * 7.2 describes: only while the queue is writable (EVENTQEN = 1, no
 * EVENTQ_ABT_ERR); a full queue drops the record and toggles PROD.OVFLG
 * if OVFLG == CONS.OVACKFLG; an empty -> non-empty transition raises the
 * EVTQ interrupt.  Does not look at evt->record (the caller decides).
 * Returns an enum smmu_evtq_result.  Thread-safe; takes evtq_lock.
 */
int
smmu_evtq_record(struct smmu_evtq *q, const struct smmu_event *evt);

/* Add the event counters to *ret. */
void
smmu_evtq_stats(const struct smmu_evtq *q, struct smmu_queue_stats *ret);

#endif /* SMMU_EVTQ_H */
