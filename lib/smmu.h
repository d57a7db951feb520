/*
 * smmu.h - libsmmu, the SMMUv3 translation engine: the instance API.
 *
 * Owns: struct smmu, one emulated SMMUv3 over one guest memory (gmem.h).
 * This is the only header the daemon needs for translation; it brings in
 * the public pieces it is built from (err.h, event.h, features.h,
 * gmem.h, stats.h).
 *
 * A translation runs: TLB lookup (tagged by the VMID/ASID of the stream's
 * cached configuration) -> on a miss, configuration from the config cache
 * or from guest memory (stream table -> STE -> CD) -> page-table walk
 * (stage 1, stage 2 or nested) -> TLB insert.  Faults are results: they
 * come back as a struct smmu_event with the fields the architected event
 * record needs and the record/abort decision.
 *
 * Thread-safety: every function may be called concurrently from any
 * number of threads on the same instance, except smmu_destroy().
 * Translations never block on each other; invalidations take per-set
 * locks briefly.  The engine does no I/O and never prints.
 */
#ifndef SMMU_SMMU_H
#define SMMU_SMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "features.h"
#include "gmem.h"
#include "stats.h"

struct smmu;

/* Control state the translation path consults (normally set by regs). */
struct smmu_ctrl {
	bool enabled;		/* CR0.SMMUEN (and CR0ACK.SMMUEN) */
	uint64_t strtab_base;	/* STRTAB_BASE: ADDR[55:6], RA[62] */
	uint32_t strtab_base_cfg; /* STRTAB_BASE_CFG: LOG2SIZE, SPLIT, FMT */
	uint32_t cr2;		/* CR2: E2H[0], RECINVSID[1], PTM[2] */
	uint32_t gbpa;		/* GBPA: ABORT[20] applies when disabled */
};

/* One transaction to translate. */
struct smmu_txn {
	uint32_t sid;		/* StreamID */
	uint32_t ssid;		/* SubstreamID (PASID), if ssv */
	bool ssv;		/* SubstreamID valid */
	uint64_t iova;		/* input address (VA, or IPA for S2-only) */
	unsigned access;	/* SMMU_ACC_* */
};

/* A successful translation. */
struct smmu_xlate {
	uint64_t oa;		/* output (physical) address of iova */
	uint8_t size_log2;	/* the mapping covers 2^size_log2 bytes ... */
	uint64_t base;		/* ... starting at input address base */
	unsigned perm;		/* SMMU_PERM_* for this privilege level */
	bool tlb_hit;		/* answered from the TLB */
	bool bypass;		/* both stages bypassed (identity) */
};

/* smmu_translate() result codes (>= 0). */
#define SMMU_XLATE_OK 0
#define SMMU_XLATE_FAULT 1

/* Invalidation operations, one per CFGI/TLBI command kind. */
enum smmu_inv_op {
	SMMU_INV_CFGI_STE,	/* sid, leaf */
	SMMU_INV_CFGI_STE_RANGE, /* sid, range: 2^(range+1) SIDs */
	SMMU_INV_CFGI_CD,	/* sid, ssid (CD index), leaf */
	SMMU_INV_CFGI_CD_ALL,	/* sid */
	SMMU_INV_CFGI_ALL,
	SMMU_INV_TLBI_NH_ALL,	/* vmid */
	SMMU_INV_TLBI_NH_ASID,	/* vmid, asid */
	SMMU_INV_TLBI_NH_VA,	/* vmid, asid, addr, range fields, leaf */
	SMMU_INV_TLBI_NH_VAA,	/* vmid, addr, range fields, leaf */
	SMMU_INV_TLBI_S2_IPA,	/* vmid, addr (IPA), range fields, leaf */
	SMMU_INV_TLBI_S12_VMALL, /* vmid */
	SMMU_INV_TLBI_NSNH_ALL,
	SMMU_INV_OP_MAX
};

struct smmu_inv {
	enum smmu_inv_op op;
	uint32_t sid;
	uint32_t ssid;
	uint8_t range;		/* CFGI_STE_RANGE.Range (31 = all) */
	bool leaf;		/* Leaf hint */
	uint16_t vmid;
	uint16_t asid;
	uint64_t addr;		/* VA[63:12] or IPA[55:12], low bits ignored */
	uint8_t tg;		/* TG: 0 single address, 1 4K, 2 16K, 3 64K */
	uint8_t num;		/* NUM: (NUM + 1) x 2^SCALE granules */
	uint8_t scale;		/* SCALE */
	uint8_t ttl;		/* TTL: 0 any level, 1..3 leaf level hint */
	/*
	 * Extension for host callers (the Invalidate RPC), never set by
	 * commands: with tg = 0 and len != 0, NH_VA/NH_VAA/S2_IPA cover
	 * the byte range [addr, addr + len) instead of one address.
	 */
	uint64_t len;
};

/*
 * Create an SMMU with features f over guest memory g (borrowed: g must
 * outlive the instance).  The SMMU starts disabled with GBPA = 0 (bypass
 * while disabled, as after reset with GBPA.ABORT = 0).  Returns NULL on
 * failure with *ret_err (if not NULL) set to SMMU_ERR_INVAL (features
 * fail smmu_features_check()) or SMMU_ERR_NOMEM.
 */
struct smmu *
smmu_create(const struct smmu_features *f, struct gmem *g, int *ret_err);

/* Free s.  Accepts NULL.  No other thread may be using s. */
void
smmu_destroy(struct smmu *s);

/* The features s was created with (borrowed). */
const struct smmu_features *
smmu_features(const struct smmu *s);

/* The guest memory s reads (borrowed). */
struct gmem *
smmu_gmem(const struct smmu *s);

/* Read the control state into *ret. */
void
smmu_ctrl_get(const struct smmu *s, struct smmu_ctrl *ret);

/*
 * Replace the control state.  Changing the stream table while enabled is
 * allowed here (the register layer enforces the architectural rules);
 * the configuration cache is not invalidated, as on hardware, so software
 * follows a change with CFGI_ALL.  Returns 0 or SMMU_ERR_INVAL.
 */
int
smmu_ctrl_set(struct smmu *s, const struct smmu_ctrl *c);

/*
 * Translate one transaction.  Returns SMMU_XLATE_OK with *ret filled,
 * SMMU_XLATE_FAULT with *ret_evt filled (sid/ssid/ssv set, record/abort
 * decided; type SMMU_EVT_NONE for a silent abort by STE.Config or GBPA),
 * or SMMU_ERR_INVAL for a malformed request (unknown access bits).
 */
int
smmu_translate(struct smmu *s, const struct smmu_txn *txn,
    struct smmu_xlate *ret, struct smmu_event *ret_evt);

/*
 * Perform one invalidation as the matching command would (SMMUv3
 * section 4.3/4.4).  Returns the number of cached entries dropped (>= 0),
 * or SMMU_ERR_INVAL (unknown op, or range fields that CERROR_ILL would
 * reject: TG != 0 with NUM = SCALE = TTL = 0; with TG = 0 the RES0
 * NUM/SCALE/TTL are ignored) or SMMU_ERR_NOTSUP (the op needs a stage the
 * SMMU lacks, or TG != 0 without RIL).
 */
int
smmu_invalidate(struct smmu *s, const struct smmu_inv *inv);

/* Instance counters, including the TLB and config cache counters. */
void
smmu_stats_get(const struct smmu *s, struct smmu_stats *ret);

/*
 * Counters of stream sid.  Returns 0 or SMMU_ERR_NOENT (never
 * translated).
 */
int
smmu_stream_stats_get(const struct smmu *s, uint32_t sid,
    struct smmu_stats *ret);

/* Call cb for each stream with counters (see smmu_stats_foreach_stream). */
int
smmu_stream_stats_foreach(const struct smmu *s,
    int (*cb)(void *arg, uint32_t sid, const struct smmu_stats *st),
    void *arg);

/*
 * ---- Guest-programmed SMMU: register file, queues, interrupts --------
 *
 * A guest's SMMUv3 driver programs the instance through its MMIO window
 * (pages 0 and 1, SMMU_MMIO_SIZE bytes): ID registers derived from the
 * features, the CR0/CR0ACK enables, GBPA, STRTAB_BASE(_CFG), the command
 * and event queues in guest memory, GERROR and the interrupt
 * configuration.  The register file owns the control state: every
 * change of CR0.SMMUEN, GBPA, CR2 or STRTAB_* is pushed with
 * smmu_ctrl_set(), so an embedder that also calls smmu_ctrl_set()
 * directly loses its change at the next such register write.
 *
 * Writing CMDQ_PROD consumes the command queue synchronously, in the
 * writer's thread, before smmu_mmio_write() returns (as do enabling
 * CMDQEN and acknowledging GERROR.CMDQ_ERR).  Translation faults whose
 * smmu_event.record is set are written into the guest's event queue by
 * smmu_translate() itself.  Interrupts (EVTQ, GERROR, CMD_SYNC) are
 * raised synchronously from whichever thread caused them: an MSI whose
 * address is backed guest RAM becomes a 32-bit memory write (how
 * Linux's MSI polling of CMD_SYNC completes); anything else goes to the
 * MSI sink.  All of it is thread-safe: MMIO from several vCPU threads and
 * concurrent faulting translations.
 *
 * Fixed choices: SMMUv3.2 (AIDR = 0x02), no PRI, ATS, stall, Hyp, SEV,
 * BTM, HTTU or ECMDQ; the page-0 aliases of EVENTQ_PROD/CONS
 * (0xA8/0xAC) are RAZ/WI; PRIQ registers are RAZ/WI.
 */

/* Size of the register window: page 0 and page 1 (SMMUv3 6.2). */
#define SMMU_MMIO_SIZE 0x20000u

/* Interrupt sources, numbered as the wire protocol's RegisterEventfd. */
enum smmu_msi_source {
	SMMU_MSI_EVTQ = 0,	/* event queue became non-empty */
	SMMU_MSI_GERROR = 1,	/* a global error became active */
	SMMU_MSI_CMD_SYNC = 2,	/* CMD_SYNC completion, CS = SIG_IRQ */
	SMMU_MSI_PRIQ = 3,	/* never raised: PRI is not offered */
	SMMU_MSI_SOURCE_MAX
};

/* CMDQ_CONS.ERR codes (SMMUv3 7.1), returned by smmu_cmdq_exec(). */
#define SMMU_CERROR_NONE 0
#define SMMU_CERROR_ILL 1	/* illegal or unsupported command */
#define SMMU_CERROR_ABT 2	/* external abort fetching the command */
#define SMMU_CERROR_ATC_INV_SYNC 3

/*
 * Interrupt sink.  Called synchronously, from the thread that raised the
 * interrupt, for every interrupt that is not a write to guest RAM:
 *  - addr != 0: an MSI write of the 32-bit data to addr (for example a
 *    GIC ITS doorbell);
 *  - addr == 0: a wired interrupt (the SMMU has no MSI support, or the
 *    source's MSI address is 0); data is 0.
 * It must be cheap (signal an eventfd, queue a message) and must not
 * call back into the engine; it may be called concurrently from several
 * threads, with engine locks held (the command queue's while a CMD_SYNC
 * completes), so it must not wait for anything a thread inside the
 * engine may be holding.
 */
typedef void (*smmu_msi_sink_fn)(void *arg, unsigned source, uint64_t addr,
    uint32_t data);

/* Counters of one interrupt source. */
struct smmu_msi_stats {
	uint64_t raised;	/* interrupts signalled (enabled sources) */
	uint64_t ram;		/* delivered as a write to guest RAM */
	uint64_t sink;		/* handed to the sink (MSI or wired) */
	uint64_t wired;		/* wired: no MSI address (sink or nobody) */
	uint64_t aborted;	/* MSI write aborted: GERROR.MSI_*_ABT_ERR */
	uint64_t masked;	/* not sent: IRQ_CTRL.*_IRQEN = 0 */
};

/* Counters of the guest-programmed interface. */
struct smmu_queue_stats {
	uint64_t cmds;		/* commands consumed from the queue */
	uint64_t cmd_runs;	/* consumption runs that found work */
	uint64_t cmd_syncs;	/* CMD_SYNCs completed (queue and exec) */
	uint64_t cmd_errors;	/* command errors (CERROR_ILL/ABT) */
	uint64_t cmds_exec;	/* commands run by smmu_cmdq_exec() */
	uint64_t evt_recorded;	/* event records written */
	uint64_t evt_overflow;	/* records dropped: queue full */
	uint64_t evt_discarded;	/* dropped: EVENTQEN = 0 or ABT_ERR */
	uint64_t evt_aborted;	/* record write aborted (EVENTQ_ABT_ERR) */
	uint64_t gerrors;	/* global error activations */
	struct smmu_msi_stats msi[SMMU_MSI_SOURCE_MAX];
};

/*
 * Read the register at offset (0 .. SMMU_MMIO_SIZE - size) with a 4- or
 * 8-byte access aligned to its size.  An 8-byte access to a pair of
 * 32-bit registers reads both (low register in bits [31:0]).  Reserved
 * and unimplemented offsets read as zero.  Returns 0 with *ret set, or
 * SMMU_ERR_INVAL (bad size, alignment or offset).
 */
int
smmu_mmio_read(struct smmu *s, uint64_t offset, unsigned size,
    uint64_t *ret);

/*
 * Write the register at offset (rules as smmu_mmio_read()).  Writes to
 * read-only or reserved registers, and to registers guarded by an enable
 * that is set, are ignored as SMMUv3.2 specifies.  May consume the
 * command queue and raise interrupts before returning.  Returns 0 or
 * SMMU_ERR_INVAL.
 */
int
smmu_mmio_write(struct smmu *s, uint64_t offset, unsigned size,
    uint64_t val);

/*
 * Install the interrupt sink (fn NULL removes it; arg is borrowed).
 * Once this returns, the previous sink is no longer being called and
 * will not be called again.  Without a sink, an MSI to an address that is
 * not guest RAM aborts (GERROR.MSI_*_ABT_ERR) and wired interrupts are
 * dropped.  Must not be called from a sink.
 */
void
smmu_set_msi_sink(struct smmu *s, smmu_msi_sink_fn fn, void *arg);

/* Read the queue, event and interrupt counters into *ret. */
void
smmu_queue_stats_get(const struct smmu *s, struct smmu_queue_stats *ret);

/*
 * Execute n raw 128-bit commands (cmds[2i] = dw0, cmds[2i + 1] = dw1,
 * host order) as the command queue would, independently of the guest's
 * queue, its CMDQEN and GERROR state: invalidations take effect, a
 * CMD_SYNC with CS = SIG_IRQ sends its MSI, prefetches are no-ops.
 * Stops at the first illegal command.  Returns SMMU_CERROR_NONE (0) with
 * *ret_done = n, or SMMU_CERROR_ILL with *ret_done = the index of the
 * failing command (the number executed); SMMU_ERR_INVAL if cmds is NULL
 * with n > 0.  ret_done may be NULL.
 */
int
smmu_cmdq_exec(struct smmu *s, const uint64_t *cmds, unsigned n,
    unsigned *ret_done);

#endif /* SMMU_SMMU_H */
