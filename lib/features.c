/*
 * features.c - defaults and validation of an SMMU's feature description.
 */
#include <stddef.h>

#include "err.h"
#include "features.h"

/* IDR5.OAS encodings 0..6 (SMMUv3 section 6.3.6); 7 (56 bits) is v3.4. */
static const unsigned pa_bits_tab[] = { 32, 36, 40, 42, 44, 48, 52 };

unsigned
smmu_pa_bits(unsigned enc)
{
	if (enc >= sizeof(pa_bits_tab) / sizeof(pa_bits_tab[0]))
		return 0;
	return pa_bits_tab[enc];
}

int
smmu_pa_enc(unsigned bits)
{
	unsigned i;

	for (i = 0; i < sizeof(pa_bits_tab) / sizeof(pa_bits_tab[0]); i++)
		if (pa_bits_tab[i] == bits)
			return (int)i;
	return -1;
}

const char *
smmu_tlb_policy_name(enum smmu_tlb_policy p)
{
	switch (p) {
	case SMMU_TLB_LRU: return "lru";
	case SMMU_TLB_LFU: return "lfu";
	case SMMU_TLB_CLOCK: return "clock";
	case SMMU_TLB_2Q: return "2q";
	default: return NULL;
	}
}

void
smmu_features_default(struct smmu_features *f)
{
	*f = (struct smmu_features){
		.s1p = true,
		.s2p = true,
		.granules = SMMU_GRAN_4K | SMMU_GRAN_16K | SMMU_GRAN_64K,
		.oas = 48,
		.sid_bits = 16,
		.ssid_bits = 20,
		.st_2level = true,
		.cd_2level = true,
		.asid16 = true,
		.vmid16 = true,
		.ril = true,
		.had = true,
		.term_model = false,
		.msi = true,
		.coherent = true,
		.cmdq_log2 = 19,
		.evtq_log2 = 19,
		.tlb_entries = 4096,
		.tlb_policy = SMMU_TLB_LRU,
		.cfg_entries = 1024,
	};
}

/* Largest capacity accepted for the TLB and the config cache. */
#define FEATURES_MAX_ENTRIES (1u << 24)

int
smmu_features_check(const struct smmu_features *f, const char **why)
{
	const char *w = NULL;

	if (!f->s1p && !f->s2p)
		w = "at least one of stage 1 and stage 2 is required";
	else if (f->granules == 0 ||
	    (f->granules & ~(SMMU_GRAN_4K | SMMU_GRAN_16K | SMMU_GRAN_64K)))
		w = "granules must be a non-empty subset of 4k, 16k, 64k";
	else if (smmu_pa_enc(f->oas) < 0)
		w = "oas must be one of 32, 36, 40, 42, 44, 48, 52";
	else if (f->oas == 52 && !(f->granules & SMMU_GRAN_64K))
		w = "a 52-bit oas needs the 64k granule (no LPA2 support)";
	else if (f->sid_bits > 32)
		w = "sid_bits must be 0..32";
	else if (f->ssid_bits > 20)
		w = "ssid_bits must be 0..20";
	else if (f->sid_bits >= 7 && !f->st_2level)
		w = "sid_bits >= 7 requires 2-level stream tables "
		    "(IDR1.SIDSIZE rule)";
	else if (f->ssid_bits > 0 && !f->s1p)
		w = "substreams need stage 1";
	else if (f->cmdq_log2 > 19 || f->evtq_log2 > 19)
		w = "queue sizes are at most 2^19 entries";
	else if (f->tlb_entries < 1 || f->tlb_entries > FEATURES_MAX_ENTRIES)
		w = "tlb entries must be 1..16777216";
	else if (f->cfg_entries < 1 || f->cfg_entries > FEATURES_MAX_ENTRIES)
		w = "config cache entries must be 1..16777216";
	else if ((unsigned)f->tlb_policy >= SMMU_TLB_POLICY_MAX)
		w = "unknown tlb policy";
	if (w == NULL)
		return 0;
	if (why != NULL)
		*why = w;
	return SMMU_ERR_INVAL;
}
