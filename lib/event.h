/*
 * event.h - SMMUv3 event (fault) records.
 *
 * Owns: struct smmu_event, the decoded form of the 32-byte event record of
 * SMMUv3 section 7.3, the event type codes, their names, and packing to
 * and from the architected layout.  Every fault the engine finds is
 * described by one struct smmu_event; whether it is written to the guest's
 * event queue is decided by the `record` flag (CD.R / STE.S2R for
 * translation faults, always for configuration errors, never for
 * STE.Config = abort), and whether the transaction is aborted or completes
 * as RAZ/WI by `abort` (CD.A; stage 2 always aborts).
 */
#ifndef SMMU_EVENT_H
#define SMMU_EVENT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Transaction attributes (smmu_txn.access).  A transaction with neither
 * READ nor WRITE is treated as a read.  EXEC marks an instruction fetch
 * (InD = 1; reads only), PRIV a privileged access (PnU = 1).  READ|WRITE
 * is an atomic read-modify-write and needs both permissions; its event
 * record has RnW = 0.
 */
#define SMMU_ACC_READ (1u << 0)
#define SMMU_ACC_WRITE (1u << 1)
#define SMMU_ACC_EXEC (1u << 2)
#define SMMU_ACC_PRIV (1u << 3)

/* Permissions granted by a translation (smmu_xlate.perm). */
#define SMMU_PERM_R (1u << 0)
#define SMMU_PERM_W (1u << 1)
#define SMMU_PERM_X (1u << 2)

/* Event type codes, SMMUv3 section 7.3 (Table 7-?: "Event records"). */
enum smmu_evt_type {
	SMMU_EVT_NONE = 0x00,		/* silent abort (STE.Config 0b0xx) */
	SMMU_EVT_F_UUT = 0x01,
	SMMU_EVT_C_BAD_STREAMID = 0x02,
	SMMU_EVT_F_STE_FETCH = 0x03,
	SMMU_EVT_C_BAD_STE = 0x04,
	SMMU_EVT_F_BAD_ATS_TREQ = 0x05,
	SMMU_EVT_F_STREAM_DISABLED = 0x06,
	SMMU_EVT_F_TRANSL_FORBIDDEN = 0x07,
	SMMU_EVT_C_BAD_SUBSTREAMID = 0x08,
	SMMU_EVT_F_CD_FETCH = 0x09,
	SMMU_EVT_C_BAD_CD = 0x0a,
	SMMU_EVT_F_WALK_EABT = 0x0b,
	SMMU_EVT_F_TRANSLATION = 0x10,
	SMMU_EVT_F_ADDR_SIZE = 0x11,
	SMMU_EVT_F_ACCESS = 0x12,
	SMMU_EVT_F_PERMISSION = 0x13,
	SMMU_EVT_F_TLB_CONFLICT = 0x20,
	SMMU_EVT_F_CFG_CONFLICT = 0x21,
	SMMU_EVT_E_PAGE_REQUEST = 0x24,
	SMMU_EVT_F_VMS_FETCH = 0x25,
	SMMU_EVT_TYPE_MAX = 0x100
};

/* Event record CLASS field, dw1[41:40]. */
enum smmu_evt_class {
	SMMU_EVT_CLASS_CD = 0,	/* fetching a CD (nested stage 2) */
	SMMU_EVT_CLASS_TT = 1,	/* fetching a translation table descriptor */
	SMMU_EVT_CLASS_IN = 2	/* the transaction's input address */
};

struct smmu_event {
	uint8_t type;		/* enum smmu_evt_type */
	uint8_t evclass;	/* enum smmu_evt_class */
	bool ssv;		/* SubstreamID valid */
	bool rnw;		/* 1 = read */
	bool ind;		/* 1 = instruction fetch */
	bool pnu;		/* 1 = privileged */
	bool s2;		/* 1 = fault in stage 2 */
	bool ttrnw;		/* F_PERMISSION, CLASS = TT: 1 = read */
	bool record;		/* write it to the event queue */
	bool abort;		/* abort the transaction (else RAZ/WI) */
	uint32_t sid;		/* StreamID */
	uint32_t ssid;		/* SubstreamID (valid if ssv) */
	uint64_t input_addr;	/* InputAddr, the full 64-bit input */
	uint64_t ipa;		/* IPA (stage-2 faults) */
	uint64_t fetch_addr;	/* FetchAddr (*_FETCH, F_WALK_EABT) */
	const char *detail;	/* static text: which rule, or NULL */
};

/*
 * Name of an event type ("F_TRANSLATION"), or "UNKNOWN".  Static string.
 */
const char *
smmu_event_name(unsigned type);

/*
 * Pack evt into the architected 32-byte record (four little-endian words
 * in host order, rec[0] = dw0).  Fields not used by the type are zero;
 * IPA is written only for stage-2 faults and FetchAddr only for the fetch
 * events, as SMMUv3 section 7.3 lists.
 */
void
smmu_event_pack(const struct smmu_event *evt, uint64_t rec[4]);

/*
 * Fill *evt with a configuration-structure fault (fetch abort or invalid
 * stream/CD table entry) of type, at fetch_addr (0 if none): every other
 * field cleared, always recorded and aborting (SMMUv3 section 7.3:
 * configuration errors are always recorded).  Returns 1, the "fault"
 * result of the fetch functions, so callers can `return` it.
 */
int
smmu_event_config(struct smmu_event *evt, unsigned type,
    uint64_t fetch_addr, const char *detail);

/*
 * Unpack an architected 32-byte record into *ret (the inverse of
 * smmu_event_pack(); record/abort/detail are cleared).
 */
void
smmu_event_unpack(const uint64_t rec[4], struct smmu_event *ret);

#endif /* SMMU_EVENT_H */
