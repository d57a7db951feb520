/*
 * cmdq.h - the guest's command queue: 16-byte commands consumed from
 * guest memory between CMDQ_CONS and CMDQ_PROD (SMMUv3 chapter 4, 7.1,
 * 3.5).  Internal to libsmmu.
 *
 * Owns: struct smmu_cmdq, command decoding, the CERROR rules and the
 * command counters.  Consumption is serialized by the register file's
 * cmdq_lock, taken once per run.
 */
#ifndef SMMU_CMDQ_H
#define SMMU_CMDQ_H

#include <stdint.h>

#include "msi.h"
#include "regs.h"
#include "smmu.h"

struct smmu_cmdq;

/*
 * Create the command queue of s (its features and guest memory), using
 * register file r and interrupts m (all borrowed).  NULL when out of
 * memory.
 */
struct smmu_cmdq *
smmu_cmdq_create(struct smmu *s, struct smmu_regs *r, struct smmu_msi *m);

/* Free q.  Accepts NULL.  No other thread may be using it. */
void
smmu_cmdq_destroy(struct smmu_cmdq *q);

/*
 * Consume commands until the queue is empty, CMDQEN is 0 or an error
 * stops it (CONS at the failing command, CONS.ERR set, GERROR.CMDQ_ERR
 * activated).  Called after a CMDQ_PROD write, CMDQEN 0 -> 1 and a
 * GERRORN write; the caller holds none of the register file's locks.
 */
void
smmu_cmdq_consume(struct smmu_cmdq *q);

/* smmu_cmdq_exec() of smmu.h. */
int
smmu_cmdq_exec_raw(struct smmu_cmdq *q, const uint64_t *cmds, unsigned n,
    unsigned *ret_done);

/* Add the command counters to *ret. */
void
smmu_cmdq_stats(const struct smmu_cmdq *q, struct smmu_queue_stats *ret);

#endif /* SMMU_CMDQ_H */
