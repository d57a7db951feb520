/*
 * msi.h - interrupts of the guest-programmed SMMU: the EVTQ, GERROR and
 * CMD_SYNC sources, delivered as MSIs (SMMUv3 sections 3.18, 6.3.19-23,
 * 7.5).  Internal to libsmmu.
 *
 * Owns: struct smmu_msi, the embedder's interrupt sink, the per-source
 * counters and global-error activation with its GERROR interrupt.
 *
 * An MSI is a 32-bit write of DATA to ADDR (EVENTQ/GERROR_IRQ_CFG0/1, or
 * the CMD_SYNC's MSIAddress/MSIData).  If ADDR is backed guest RAM the
 * write is made there (Linux's MSI polling of CMD_SYNC relies on it);
 * otherwise it goes to the sink, and with no sink it aborts, which
 * activates GERROR.MSI_*_ABT_ERR.  With no MSI support (IDR0.MSI = 0) or
 * ADDR = 0 the interrupt is "wired": the sink is called with addr 0.
 * Everything is synchronous, in the raising thread.
 */
#ifndef SMMU_MSI_H
#define SMMU_MSI_H

#include <stdbool.h>
#include <stdint.h>

#include "features.h"
#include "gmem.h"
#include "regs.h"
#include "smmu.h"

struct smmu_msi;

/*
 * Create the interrupt block of an SMMU with features f over guest memory
 * g and register file r (both borrowed).  NULL when out of memory.
 */
struct smmu_msi *
smmu_msi_create(struct gmem *g, struct smmu_regs *r,
    const struct smmu_features *f);

/* Free m.  Accepts NULL.  No other thread may be using it. */
void
smmu_msi_destroy(struct smmu_msi *m);

/* Replace the sink (see smmu_set_msi_sink() in smmu.h). */
void
smmu_msi_set_sink(struct smmu_msi *m, smmu_msi_sink_fn fn, void *arg);

/*
 * Raise the EVTQ or GERROR interrupt: nothing if its IRQ_CTRL enable is
 * clear, else deliver per its *_IRQ_CFG0/1.  A failed delivery activates
 * MSI_EVENTQ_ABT_ERR or MSI_GERROR_ABT_ERR.  Takes irq_lock: the caller
 * may hold cmdq_lock or evtq_lock but not irq_lock or the register lock.
 */
void
smmu_msi_raise(struct smmu_msi *m, unsigned source);

/*
 * Signal the completion of a CMD_SYNC with CS = SIG_IRQ (SMMUv3 4.7.3):
 * msiaddr is dw1 of the command (MSIAddress[55:2] is used), data its
 * MSIData.  A failed MSI activates MSI_CMDQ_ABT_ERR.
 */
void
smmu_msi_sync(struct smmu_msi *m, uint64_t msiaddr, uint32_t data);

/*
 * Activate global error bit (SMMU_GERROR_*) if it is inactive, and then
 * raise the GERROR interrupt unless bit is MSI_GERROR_ABT_ERR (7.5).
 * Returns true if the error was activated.  Same locking as
 * smmu_msi_raise().
 */
bool
smmu_msi_gerror(struct smmu_msi *m, uint32_t bit);

/* Add the per-source counters and the GERROR activations to *ret. */
void
smmu_msi_stats(const struct smmu_msi *m, struct smmu_queue_stats *ret);

#endif /* SMMU_MSI_H */
