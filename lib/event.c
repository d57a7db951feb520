/*
 * event.c - event record names and the 32-byte record layout
 * (SMMUv3 section 7.3).
 */
#include <string.h>

#include "bits.h"
#include "event.h"

const char *
smmu_event_name(unsigned type)
{
	switch (type) {
	case SMMU_EVT_NONE: return "ABORT";
	case SMMU_EVT_F_UUT: return "F_UUT";
	case SMMU_EVT_C_BAD_STREAMID: return "C_BAD_STREAMID";
	case SMMU_EVT_F_STE_FETCH: return "F_STE_FETCH";
	case SMMU_EVT_C_BAD_STE: return "C_BAD_STE";
	case SMMU_EVT_F_BAD_ATS_TREQ: return "F_BAD_ATS_TREQ";
	case SMMU_EVT_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
	case SMMU_EVT_F_TRANSL_FORBIDDEN: return "F_TRANSL_FORBIDDEN";
	case SMMU_EVT_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
	case SMMU_EVT_F_CD_FETCH: return "F_CD_FETCH";
	case SMMU_EVT_C_BAD_CD: return "C_BAD_CD";
	case SMMU_EVT_F_WALK_EABT: return "F_WALK_EABT";
	case SMMU_EVT_F_TRANSLATION: return "F_TRANSLATION";
	case SMMU_EVT_F_ADDR_SIZE: return "F_ADDR_SIZE";
	case SMMU_EVT_F_ACCESS: return "F_ACCESS";
	case SMMU_EVT_F_PERMISSION: return "F_PERMISSION";
	case SMMU_EVT_F_TLB_CONFLICT: return "F_TLB_CONFLICT";
	case SMMU_EVT_F_CFG_CONFLICT: return "F_CFG_CONFLICT";
	case SMMU_EVT_E_PAGE_REQUEST: return "E_PAGE_REQUEST";
	case SMMU_EVT_F_VMS_FETCH: return "F_VMS_FETCH";
	default: return "UNKNOWN";
	}
}

/* True for the four translation faults, which carry the full field set. */
static bool
event_is_xlate(unsigned type)
{
	return type == SMMU_EVT_F_TRANSLATION ||
	    type == SMMU_EVT_F_ADDR_SIZE || type == SMMU_EVT_F_ACCESS ||
	    type == SMMU_EVT_F_PERMISSION;
}

/* True for the events that carry FetchAddr in dw3[55:3]. */
static bool
event_has_fetch(unsigned type)
{
	return type == SMMU_EVT_F_STE_FETCH || type == SMMU_EVT_F_CD_FETCH ||
	    type == SMMU_EVT_F_WALK_EABT || type == SMMU_EVT_F_VMS_FETCH;
}

void
smmu_event_pack(const struct smmu_event *evt, uint64_t rec[4])
{
	bool full = event_is_xlate(evt->type) ||
	    evt->type == SMMU_EVT_F_WALK_EABT;

	memset(rec, 0, 4 * sizeof(rec[0]));
	/* dw0: Type[7:0], SSV[11], SubstreamID[31:12], StreamID[63:32]. */
	rec[0] = FIELD_PREP(7, 0, evt->type) |
	    FIELD_PREP(11, 11, evt->ssv) |
	    FIELD_PREP(31, 12, evt->ssv ? evt->ssid : 0) |
	    FIELD_PREP(63, 32, evt->sid);
	if (full || evt->type == SMMU_EVT_F_UUT ||
	    evt->type == SMMU_EVT_F_TRANSL_FORBIDDEN) {
		/* dw1: PnU[33], InD[34], RnW[35]. */
		rec[1] |= FIELD_PREP(33, 33, evt->pnu) |
		    FIELD_PREP(34, 34, evt->ind) |
		    FIELD_PREP(35, 35, evt->rnw);
		rec[2] = evt->input_addr;
	}
	if (full) {
		/* dw1: S2[39], CLASS[41:40], TTRnW[44] (F_PERMISSION/TT). */
		rec[1] |= FIELD_PREP(39, 39, evt->s2) |
		    FIELD_PREP(41, 40, evt->evclass);
		if (evt->type == SMMU_EVT_F_PERMISSION &&
		    evt->evclass == SMMU_EVT_CLASS_TT)
			rec[1] |= FIELD_PREP(44, 44, evt->ttrnw);
	}
	if (event_has_fetch(evt->type))
		rec[3] = FIELD_ADDR(evt->fetch_addr, 55, 3);
	else if (event_is_xlate(evt->type) && evt->s2)
		rec[3] = FIELD_ADDR(evt->ipa, 55, 12);
}

int
smmu_event_config(struct smmu_event *evt, unsigned type,
    uint64_t fetch_addr, const char *detail)
{
	memset(evt, 0, sizeof(*evt));
	evt->type = (uint8_t)type;
	evt->fetch_addr = fetch_addr;
	evt->detail = detail;
	evt->record = true;
	evt->abort = true;
	return 1;
}

void
smmu_event_unpack(const uint64_t rec[4], struct smmu_event *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->type = BITS(rec[0], 7, 0);
	ret->ssv = BIT(rec[0], 11);
	ret->ssid = BITS(rec[0], 31, 12);
	ret->sid = BITS(rec[0], 63, 32);
	ret->pnu = BIT(rec[1], 33);
	ret->ind = BIT(rec[1], 34);
	ret->rnw = BIT(rec[1], 35);
	ret->s2 = BIT(rec[1], 39);
	ret->evclass = BITS(rec[1], 41, 40);
	ret->ttrnw = BIT(rec[1], 44);
	ret->input_addr = rec[2];
	if (event_has_fetch(ret->type))
		ret->fetch_addr = FIELD_ADDR(rec[3], 55, 3);
	else
		ret->ipa = FIELD_ADDR(rec[3], 55, 12);
}
