/*
 * smmu.c - one SMMUv3 instance: the translation path and invalidation.
 *
 * translate(sid, ssid, iova):
 *   1. SMMU disabled -> GBPA decides: bypass, or abort without an event.
 *   2. Hot configuration word for (sid, ssid) from the config cache; on a
 *      miss the configuration is resolved from guest memory (stream table
 *      -> STE -> CD table -> CD), validated and cached.
 *   3. TLB lookup tagged (VMID, ASID); a hit is checked against the cached
 *      permission vector.
 *   4. On a miss: page-table walk (stage 1, stage 2 or nested) and TLB
 *      insert, guarded by the TLB generation against racing TLBIs.
 * Fault priority follows SMMUv3 section 7.3 ("a transaction produces at
 * most one event", in the order of the configuration checks).
 */
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "cd.h"
#include "cfgcache.h"
#include "cmdq.h"
#include "evtq.h"
#include "msi.h"
#include "ptw.h"
#include "regs.h"
#include "seqlock.h"
#include "smmu.h"
#include "ste.h"
#include "strtab.h"
#include "tlb.h"

/* Fast control flags, read on every translation. */
#define CTRL_F_ENABLED (1u << 0)	/* CR0.SMMUEN */
#define CTRL_F_GBPA_ABORT (1u << 1)	/* GBPA.ABORT (when disabled) */
#define CTRL_F_RECINVSID (1u << 2)	/* CR2.RECINVSID */

#define GBPA_ABORT (1u << 20)
#define CR2_RECINVSID (1u << 1)

struct smmu {
	struct smmu_features feat;
	struct gmem *g;
	struct smmu_tlb *tlb;
	struct smmu_cfgcache *cfg;
	struct smmu_statset *stats;
	uint32_t ctrl_flags;		/* CTRL_F_*, atomic */
	seq_t ctrl_seq;			/* guards ctrl_words */
	uint64_t ctrl_words[3];		/* base, cfg | cr2 << 32, gbpa */
	uint64_t serial;		/* tells instances apart in the uTLB */
	uint64_t epoch;			/* atomic: bumped by invalidations */
	/* Guest-programmed interface (regs.c, msi.c, evtq.c, cmdq.c). */
	struct smmu_regs *regs;
	struct smmu_msi *msi;
	struct smmu_evtq *evtq;
	struct smmu_cmdq *cmdq;
};

/*
 * The per-thread micro-TLB.  Like the micro-TLBs of a hardware TBU, it
 * sits in front of the shared TLB and holds the last translations this
 * thread made, keyed by (instance, StreamID, SubstreamID, 4 KiB input
 * page).  A hit touches only thread-private cache lines: no hash of the
 * config cache, no TLB set, no shared counter.  Every entry carries the
 * instance's invalidation epoch from before the lookup that filled it;
 * smmu_invalidate() and smmu_ctrl_set() bump the epoch first, so after
 * either returns no older entry can be used by any thread.  (Stale use
 * while an invalidation is in flight is what hardware may do too.)
 * Entries are only compared against the caller's instance, never
 * dereferenced, so a destroyed instance's entries are harmless; the
 * serial keeps a new instance at a recycled address from matching them.
 */
#define UTLB_N 64		/* entries a thread, direct-mapped */

struct utlb_entry {
	const struct smmu *s;
	uint64_t serial;
	uint64_t epoch;
	uint64_t page;		/* raw input address >> 12 */
	uint32_t sid;
	uint32_t ssid;		/* SMMU_CFG_NO_SSID without SSV */
	uint64_t out;		/* output base of the mapping */
	uint64_t key_base;	/* TLB-key base (TBI-normalised) */
	struct smmu_cfg_hot hot;	/* PRIVCFG/INSTCFG for overrides */
	uint16_t perm;		/* SMMU_PTW_PERM vector */
	uint8_t size_log2;
	struct smmu_stats_ref stats;
};

static _Thread_local struct utlb_entry utlb[UTLB_N];
static uint64_t smmu_next_serial;

/* The slot of (sid, ssid, page) in this thread's micro-TLB. */
static inline struct utlb_entry *
utlb_slot(uint32_t sid, uint32_t ssid, uint64_t page)
{
	return &utlb[(page ^ sid * 0x9e3779b1u ^ ssid) & (UTLB_N - 1)];
}

/* Forget everything cached from s: bump its epoch (before invalidating
 * the shared structures, see above). */
static inline void
smmu_epoch_bump(struct smmu *s)
{
	__atomic_add_fetch(&s->epoch, 1, __ATOMIC_SEQ_CST);
}

struct smmu *
smmu_create(const struct smmu_features *f, struct gmem *g, int *ret_err)
{
	struct smmu *s;
	int err = SMMU_ERR_NOMEM;

	if (f == NULL || g == NULL || smmu_features_check(f, NULL) != 0) {
		err = SMMU_ERR_INVAL;
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail;
	s->feat = *f;
	s->g = g;
	s->serial = __atomic_add_fetch(&smmu_next_serial, 1,
	    __ATOMIC_RELAXED);
	s->tlb = smmu_tlb_create(f->tlb_entries, f->tlb_policy);
	s->cfg = smmu_cfgcache_create(f->cfg_entries);
	s->stats = smmu_stats_create();
	if (s->tlb == NULL || s->cfg == NULL || s->stats == NULL) {
		smmu_destroy(s);
		goto fail;
	}
	/* The guest-programmed interface: registers, MSIs, queues. */
	s->regs = smmu_regs_create(s, f);
	if (s->regs != NULL)
		s->msi = smmu_msi_create(g, s->regs, f);
	if (s->msi != NULL)
		s->evtq = smmu_evtq_create(g, s->regs, s->msi, f);
	if (s->evtq != NULL)
		s->cmdq = smmu_cmdq_create(s, s->regs, s->msi);
	if (s->cmdq == NULL) {
		smmu_destroy(s);
		goto fail;
	}
	return s;
fail:
	if (ret_err != NULL)
		*ret_err = err;
	return NULL;
}

void
smmu_destroy(struct smmu *s)
{
	if (s == NULL)
		return;
	smmu_cmdq_destroy(s->cmdq);
	smmu_evtq_destroy(s->evtq);
	smmu_msi_destroy(s->msi);
	smmu_regs_destroy(s->regs);
	smmu_stats_destroy(s->stats);
	smmu_cfgcache_destroy(s->cfg);
	smmu_tlb_destroy(s->tlb);
	free(s);
}

const struct smmu_features *
smmu_features(const struct smmu *s)
{
	return &s->feat;
}

struct gmem *
smmu_gmem(const struct smmu *s)
{
	return s->g;
}

void
smmu_ctrl_get(const struct smmu *s, struct smmu_ctrl *ret)
{
	uint64_t w[3];
	seq_t q;

	do {
		q = seq_read_begin(&s->ctrl_seq);
		seq_copy_out(w, s->ctrl_words, 3);
	} while (seq_read_retry(&s->ctrl_seq, q));
	ret->strtab_base = w[0];
	ret->strtab_base_cfg = (uint32_t)w[1];
	ret->cr2 = (uint32_t)(w[1] >> 32);
	ret->gbpa = (uint32_t)w[2];
	ret->enabled = __atomic_load_n(&s->ctrl_flags, __ATOMIC_ACQUIRE) &
	    CTRL_F_ENABLED;
}

int
smmu_ctrl_set(struct smmu *s, const struct smmu_ctrl *c)
{
	uint64_t w[3];
	uint32_t flags = 0;

	w[0] = c->strtab_base;
	w[1] = (uint64_t)c->strtab_base_cfg | (uint64_t)c->cr2 << 32;
	w[2] = c->gbpa;
	if (c->enabled)
		flags |= CTRL_F_ENABLED;
	if (c->gbpa & GBPA_ABORT)
		flags |= CTRL_F_GBPA_ABORT;
	if (c->cr2 & CR2_RECINVSID)
		flags |= CTRL_F_RECINVSID;
	smmu_epoch_bump(s);
	seq_write_lock(&s->ctrl_seq);
	seq_copy_in(s->ctrl_words, w, 3);
	seq_write_unlock(&s->ctrl_seq);
	__atomic_store_n(&s->ctrl_flags, flags, __ATOMIC_RELEASE);
	return 0;
}

/* Start a fault record for txn. */
static void
smmu_fault_init(struct smmu_event *evt, const struct smmu_txn *txn,
    unsigned type, const char *detail)
{
	memset(evt, 0, sizeof(*evt));
	evt->type = (uint8_t)type;
	evt->sid = txn->sid;
	evt->ssv = txn->ssv;
	evt->ssid = txn->ssv ? txn->ssid : 0;
	evt->input_addr = txn->iova;
	evt->rnw = !(txn->access & SMMU_ACC_WRITE);
	evt->ind = (txn->access & SMMU_ACC_EXEC) != 0;
	evt->pnu = (txn->access & SMMU_ACC_PRIV) != 0;
	evt->record = true;
	evt->abort = true;
	evt->detail = detail;
}

/* Stamp the transaction identity onto a fault a lower layer filled. */
static void
smmu_fault_finish(struct smmu_event *evt, const struct smmu_txn *txn)
{
	evt->sid = txn->sid;
	evt->ssv = txn->ssv;
	evt->ssid = txn->ssv ? txn->ssid : 0;
}

/*
 * Resolve the configuration of (sid, ssid) from guest memory, checking it
 * in the order of SMMUv3 section 7.3's event priority.  Returns 0 with
 * *ret filled (and cached), or SMMU_XLATE_FAULT with *evt filled.
 */
static int
smmu_cfg_resolve(struct smmu *s, const struct smmu_txn *txn,
    struct smmu_cfg *ret, struct smmu_event *evt)
{
	uint32_t key = txn->ssv ? txn->ssid : SMMU_CFG_NO_SSID;
	uint64_t dw[8], gen = smmu_cfgcache_gen(s->cfg);
	struct smmu_ctrl ctrl;
	struct smmu_cfg c;
	const char *why = NULL;
	bool s1;
	int r;

	memset(&c, 0, sizeof(c));
	if (!smmu_cfgcache_ste_lookup(s->cfg, txn->sid, &c.ste)) {
		smmu_ctrl_get(s, &ctrl);
		if (smmu_strtab_fetch(s->g, &s->feat, ctrl.strtab_base,
		    ctrl.strtab_base_cfg, txn->sid, dw, NULL, evt) != 0) {
			smmu_fault_finish(evt, txn);
			/* C_BAD_STREAMID is recorded only with CR2.RECINVSID
			 * (SMMUv3 section 6.3.13); the transaction aborts. */
			if (evt->type == SMMU_EVT_C_BAD_STREAMID)
				evt->record = ctrl.cr2 & CR2_RECINVSID;
			else
				evt->record = true;
			evt->abort = true;
			return SMMU_XLATE_FAULT;
		}
		if (smmu_ste_decode(dw, &s->feat, &c.ste, &why) != 0) {
			smmu_fault_init(evt, txn, SMMU_EVT_C_BAD_STE, why);
			return SMMU_XLATE_FAULT;
		}
		(void)smmu_cfgcache_ste_insert(s->cfg, txn->sid, &c.ste, gen);
	}

	switch (c.ste.config) {
	case SMMU_STE_ABORT:
		c.hot.flags = SMMU_CFG_F_ABORT;
		goto done;
	case SMMU_STE_BYPASS:
		goto done;
	case SMMU_STE_S2:
		if (txn->ssv) {
			/* An SSID with stage 1 disabled (SMMUv3 5.4.1). */
			smmu_fault_init(evt, txn, SMMU_EVT_C_BAD_SUBSTREAMID,
			    "SubstreamID given but stage 1 is not enabled");
			return SMMU_XLATE_FAULT;
		}
		c.hot.flags = SMMU_CFG_F_S2;
		goto done;
	default:
		break;
	}

	/* Stage 1 is configured: pick the CD (STE.S1DSS, S1CDMax). */
	s1 = true;
	if (txn->ssv) {
		if (c.ste.s1cdmax == 0 || s->feat.ssid_bits == 0 ||
		    txn->ssid >= (1u << c.ste.s1cdmax)) {
			smmu_fault_init(evt, txn, SMMU_EVT_C_BAD_SUBSTREAMID,
			    "SubstreamID beyond STE.S1CDMax");
			return SMMU_XLATE_FAULT;
		}
		if (txn->ssid == 0 && c.ste.s1dss == 2) {
			/* S1DSS = 0b10: CD 0 serves non-substream traffic,
			 * so SSID 0 is disabled (SMMUv3 5.2, S1DSS). */
			smmu_fault_init(evt, txn, SMMU_EVT_F_STREAM_DISABLED,
			    "SubstreamID 0 with STE.S1DSS = substream0");
			return SMMU_XLATE_FAULT;
		}
		c.cd_index = txn->ssid;
	} else if (c.ste.s1cdmax != 0) {
		switch (c.ste.s1dss) {
		case 1:
			s1 = false;	/* bypass stage 1 */
			break;
		case 2:
			c.cd_index = 0;
			break;
		default:
			smmu_fault_init(evt, txn, SMMU_EVT_F_STREAM_DISABLED,
			    "no SubstreamID and STE.S1DSS = terminate");
			return SMMU_XLATE_FAULT;
		}
	}
	if (s1) {
		r = smmu_cd_fetch(s->g, &s->feat, &c.ste, c.cd_index, dw, evt);
		if (r != 0) {
			smmu_fault_finish(evt, txn);
			evt->input_addr = txn->iova;
			return SMMU_XLATE_FAULT;
		}
		if (smmu_cd_decode(dw, &s->feat, &c.ste, &c.cd, &why) != 0) {
			smmu_fault_init(evt, txn, SMMU_EVT_C_BAD_CD, why);
			return SMMU_XLATE_FAULT;
		}
		c.hot.flags |= SMMU_CFG_F_S1;
		c.hot.asid = c.cd.asid;
		if (c.cd.tt[0].tbi)
			c.hot.flags |= SMMU_CFG_F_TBI0;
		if (c.cd.tt[1].tbi)
			c.hot.flags |= SMMU_CFG_F_TBI1;
		if (c.cd.record)
			c.hot.flags |= SMMU_CFG_F_S1R;
		if (c.cd.abort)
			c.hot.flags |= SMMU_CFG_F_S1A;
	}
	if (c.ste.config == SMMU_STE_NESTED)
		c.hot.flags |= SMMU_CFG_F_S2;
done:
	if (c.hot.flags & SMMU_CFG_F_S2 && c.ste.s2.record)
		c.hot.flags |= SMMU_CFG_F_S2R;
	/* The VMID tags every entry when the SMMU has stage 2, including
	 * stage-1-only streams (SMMUv3 section 3.17, S2VMID). */
	if (s->feat.s2p)
		c.hot.vmid = c.ste.s2.vmid;
	c.hot.privcfg = c.ste.privcfg;
	c.hot.instcfg = c.ste.instcfg;
	(void)smmu_cfgcache_insert(s->cfg, txn->sid, key, &c, gen);
	*ret = c;
	return 0;
}

/*
 * Apply STE.PRIVCFG / STE.INSTCFG to the incoming attributes (SMMUv3
 * section 5.2: 0b0x use incoming, 0b10 unprivileged/data, 0b11
 * privileged/instruction; INSTCFG affects reads only).
 */
static unsigned
smmu_access_override(unsigned access, const struct smmu_cfg_hot *h)
{
	if (h->privcfg == 2)
		access &= ~SMMU_ACC_PRIV;
	else if (h->privcfg == 3)
		access |= SMMU_ACC_PRIV;
	if (!(access & SMMU_ACC_WRITE)) {
		if (h->instcfg == 2)
			access &= ~SMMU_ACC_EXEC;
		else if (h->instcfg == 3)
			access |= SMMU_ACC_EXEC;
	}
	return access;
}

/*
 * The TLB key of a stage-1 input: with TBI for the selected half, the top
 * byte is replaced by the sign extension of VA[55] so tagged pointers
 * share entries (SMMUv3 3.4.1; the walk itself ignores it too).
 */
static inline uint64_t
smmu_va_key(uint64_t va, unsigned flags)
{
	unsigned tbi = (va >> 55) & 1 ? flags & SMMU_CFG_F_TBI1 :
	    flags & SMMU_CFG_F_TBI0;

	if (!tbi)
		return va;
	return (va & GENMASK64(55, 0)) | ((va >> 55) & 1 ?
	    GENMASK64(63, 56) : 0);
}

/* Fill *ret for an identity (bypass) translation. */
static void
smmu_xlate_bypass(struct smmu *s, const struct smmu_txn *txn,
    struct smmu_xlate *ret)
{
	ret->oa = txn->iova;
	ret->size_log2 = (uint8_t)s->feat.oas;
	ret->base = 0;
	ret->perm = SMMU_PERM_R | SMMU_PERM_W | SMMU_PERM_X;
	ret->tlb_hit = false;
	ret->bypass = true;
}

/*
 * Remember a translation in this thread's micro-TLB, tagged with the
 * epoch read before it was looked up.
 */
static void
utlb_fill(struct utlb_entry *u, struct smmu *s, uint64_t epoch,
    const struct smmu_txn *txn, uint32_t ssid_key,
    const struct smmu_cfg_hot *hot, const struct smmu_tlb_entry *e,
    uint64_t key_base)
{
	if (smmu_stats_ref(s->stats, txn->sid, &u->stats) != 0) {
		u->s = NULL;
		return;
	}
	u->s = s;
	u->serial = s->serial;
	u->epoch = epoch;
	u->page = txn->iova >> 12;
	u->sid = txn->sid;
	u->ssid = ssid_key;
	u->out = e->out;
	u->key_base = key_base;
	u->hot = *hot;
	u->perm = e->perm;
	u->size_log2 = e->size_log2;
}

/* Count and return a fault. */
static int
smmu_xlate_fault(struct smmu *s, const struct smmu_txn *txn,
    unsigned what, const struct smmu_event *evt)
{
	smmu_stats_count(s->stats, txn->sid, what | SMMU_STATS_FAULT,
	    evt->type);
	/* Record it in the guest's event queue (SMMUv3 7.2). */
	if (evt->record)
		(void)smmu_evtq_record(s->evtq, evt);
	return SMMU_XLATE_FAULT;
}

/* A permission fault found on a TLB hit, as the walk would report it. */
static int
smmu_xlate_perm_fault(struct smmu *s, const struct smmu_txn *txn,
    const struct smmu_tlb_entry *e, unsigned flags, int stage,
    uint64_t key, struct smmu_event *evt)
{
	uint64_t off = key - e->in;

	smmu_fault_init(evt, txn, SMMU_EVT_F_PERMISSION,
	    stage == 1 ? "stage-1 permissions deny the access" :
	    "stage-2 permissions deny the access");
	evt->evclass = SMMU_EVT_CLASS_IN;
	if (stage == 2) {
		evt->s2 = true;
		evt->ipa = e->flags & SMMU_TLB_F_IPA ? key :
		    e->ipa + off;
		evt->record = flags & SMMU_CFG_F_S2R;
		evt->abort = true;
	} else {
		evt->record = flags & SMMU_CFG_F_S1R;
		evt->abort = flags & SMMU_CFG_F_S1A;
	}
	return smmu_xlate_fault(s, txn, SMMU_STATS_HIT, evt);
}

int
smmu_translate(struct smmu *s, const struct smmu_txn *txn,
    struct smmu_xlate *ret, struct smmu_event *ret_evt)
{
	struct smmu_cfg_hot hot;
	struct smmu_cfg cfg;
	struct smmu_tlb_entry e;
	struct smmu_ptw_cfg pc;
	struct smmu_walk w;
	unsigned ctrl, access, what = 0;
	uint64_t key, gen, mask, epoch, page = txn->iova >> 12;
	uint32_t ssid_key = txn->ssv ? txn->ssid : SMMU_CFG_NO_SSID;
	struct utlb_entry *u;
	bool ipa, have_cfg = false;
	int r;

	if (txn->access & ~(SMMU_ACC_READ | SMMU_ACC_WRITE | SMMU_ACC_EXEC |
	    SMMU_ACC_PRIV) ||
	    (txn->access & SMMU_ACC_EXEC && txn->access & SMMU_ACC_WRITE))
		return SMMU_ERR_INVAL;

	ctrl = __atomic_load_n(&s->ctrl_flags, __ATOMIC_ACQUIRE);
	if (!(ctrl & CTRL_F_ENABLED)) {
		/* SMMUEN = 0: GBPA decides (SMMUv3 section 6.3.14). */
		if (ctrl & CTRL_F_GBPA_ABORT) {
			smmu_fault_init(ret_evt, txn, SMMU_EVT_NONE,
			    "SMMU disabled and GBPA.ABORT = 1");
			ret_evt->record = false;
			return smmu_xlate_fault(s, txn, 0, ret_evt);
		}
		smmu_xlate_bypass(s, txn, ret);
		smmu_stats_count(s->stats, txn->sid, SMMU_STATS_BYPASS, 0);
		return SMMU_XLATE_OK;
	}

	/* The epoch is read before anything is looked up: see utlb. */
	epoch = __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE);
	u = utlb_slot(txn->sid, ssid_key, page);
	if (u->s == s && u->epoch == epoch && u->page == page &&
	    u->sid == txn->sid && u->ssid == ssid_key &&
	    u->serial == s->serial) {
		access = smmu_access_override(txn->access, &u->hot);
		if (smmu_ptw_perm_check(u->perm, access) == 0) {
			mask = bits_low(u->size_log2);
			ret->oa = u->out | (txn->iova & mask);
			ret->size_log2 = u->size_log2;
			ret->base = u->key_base;
			ret->perm = smmu_ptw_perm_public(u->perm,
			    access & SMMU_ACC_PRIV);
			ret->tlb_hit = true;
			ret->bypass = false;
			smmu_stats_ref_hit(&u->stats);
			smmu_tlb_count_hit(s->tlb);
			return SMMU_XLATE_OK;
		}
		/* A permission fault: the slow path reports it. */
	}

	if (!smmu_cfgcache_lookup_hot(s->cfg, txn->sid, ssid_key, &hot)) {
		if (smmu_cfg_resolve(s, txn, &cfg, ret_evt) != 0)
			return smmu_xlate_fault(s, txn, 0, ret_evt);
		hot = cfg.hot;
		have_cfg = true;
	}

	if (hot.flags & SMMU_CFG_F_ABORT) {
		/* STE.Config = 0b0xx: abort, no event (SMMUv3 5.2). */
		smmu_fault_init(ret_evt, txn, SMMU_EVT_NONE,
		    "STE.Config = abort");
		ret_evt->record = false;
		return smmu_xlate_fault(s, txn, what, ret_evt);
	}
	if (!(hot.flags & (SMMU_CFG_F_S1 | SMMU_CFG_F_S2))) {
		/* Both stages bypassed: the input must fit the OAS. */
		if (s->feat.oas < 64 && txn->iova >> s->feat.oas) {
			smmu_fault_init(ret_evt, txn, SMMU_EVT_F_ADDR_SIZE,
			    "bypass input address above the OAS");
			ret_evt->evclass = SMMU_EVT_CLASS_IN;
			return smmu_xlate_fault(s, txn, what, ret_evt);
		}
		smmu_xlate_bypass(s, txn, ret);
		smmu_stats_count(s->stats, txn->sid, what | SMMU_STATS_BYPASS,
		    0);
		return SMMU_XLATE_OK;
	}

	access = smmu_access_override(txn->access, &hot);
	ipa = !(hot.flags & SMMU_CFG_F_S1);
	key = ipa ? txn->iova : smmu_va_key(txn->iova, hot.flags);
	if (smmu_tlb_lookup(s->tlb, ipa, hot.vmid, hot.asid, key, &e)) {
		r = smmu_ptw_perm_check(e.perm, access);
		if (r != 0)
			return smmu_xlate_perm_fault(s, txn, &e, hot.flags, r,
			    key, ret_evt);
		mask = bits_low(e.size_log2);
		ret->oa = e.out | (key & mask);
		ret->size_log2 = e.size_log2;
		ret->base = key & ~mask;
		ret->perm = smmu_ptw_perm_public(e.perm,
		    access & SMMU_ACC_PRIV);
		ret->tlb_hit = true;
		ret->bypass = false;
		smmu_stats_count(s->stats, txn->sid, what | SMMU_STATS_HIT, 0);
		utlb_fill(u, s, epoch, txn, ssid_key, &hot, &e, key & ~mask);
		return SMMU_XLATE_OK;
	}

	/* TLB miss: we need the whole configuration to walk. */
	what = SMMU_STATS_MISS;
	if (!have_cfg && !smmu_cfgcache_lookup(s->cfg, txn->sid,
	    txn->ssv ? txn->ssid : SMMU_CFG_NO_SSID, &cfg)) {
		if (smmu_cfg_resolve(s, txn, &cfg, ret_evt) != 0)
			return smmu_xlate_fault(s, txn, what, ret_evt);
	}
	if (!have_cfg && memcmp(&hot, &cfg.hot, sizeof(hot)) != 0) {
		/* A CFGI and a new fetch ran since the hot lookup: use the
		 * configuration we are about to walk with for the tags. */
		hot = cfg.hot;
		access = smmu_access_override(txn->access, &hot);
		ipa = !(hot.flags & SMMU_CFG_F_S1);
		key = ipa ? txn->iova : smmu_va_key(txn->iova, hot.flags);
	}
	what |= SMMU_STATS_WALK;
	gen = smmu_tlb_gen(s->tlb);
	pc.g = s->g;
	pc.s1 = cfg.hot.flags & SMMU_CFG_F_S1 ? &cfg.cd : NULL;
	pc.s2 = cfg.hot.flags & SMMU_CFG_F_S2 ? &cfg.ste.s2 : NULL;
	pc.oas = s->feat.oas;
	if (smmu_ptw_walk(&pc, txn->iova, access, &w, ret_evt) != 0) {
		smmu_fault_finish(ret_evt, txn);
		return smmu_xlate_fault(s, txn, what, ret_evt);
	}
	mask = bits_low(w.size_log2);
	e.in = key & ~mask;
	e.out = w.oa & ~mask;
	e.ipa = pc.s1 != NULL && pc.s2 != NULL ? w.ipa & ~mask : 0;
	e.vmid = hot.vmid;
	e.asid = hot.asid;
	e.perm = w.perm;
	e.size_log2 = w.size_log2;
	e.level = w.level;
	e.flags = (ipa ? SMMU_TLB_F_IPA : 0) |
	    (!ipa && w.global ? SMMU_TLB_F_GLOBAL : 0);
	if (smmu_tlb_insert(s->tlb, &e, gen))
		utlb_fill(u, s, epoch, txn, ssid_key, &hot, &e, e.in);

	ret->oa = w.oa;
	ret->size_log2 = w.size_log2;
	ret->base = key & ~mask;
	ret->perm = smmu_ptw_perm_public(w.perm, access & SMMU_ACC_PRIV);
	ret->tlb_hit = false;
	ret->bypass = false;
	smmu_stats_count(s->stats, txn->sid, what, 0);
	return SMMU_XLATE_OK;
}

/*
 * Byte range of a TLBI_NH_VA/VAA/S2_IPA (SMMUv3 section 4.4.1, range
 * invalidation: (NUM + 1) x 2^SCALE granules of TG).  Returns 0 with
 * *ret_len (0 = the single address), or an error.
 */
static int
smmu_inv_range(const struct smmu *s, const struct smmu_inv *inv,
    uint64_t *ret_len, unsigned *ret_ttl)
{
	static const unsigned tg_shift[4] = { 0, 12, 14, 16 };

	if (inv->tg == 0) {
		/* NUM/SCALE/TTL are RES0 with TG = 0: ignored. */
		*ret_len = inv->len;
		*ret_ttl = 0;
		return 0;
	}
	if (inv->tg > 3 || inv->scale > 63 || inv->num > 31 || inv->ttl > 3)
		return SMMU_ERR_INVAL;
	if (!s->feat.ril)
		return SMMU_ERR_NOTSUP;
	if (inv->num == 0 && inv->scale == 0 && inv->ttl == 0)
		return SMMU_ERR_INVAL;	/* CERROR_ILL */
	if (inv->scale + tg_shift[inv->tg] >= 58)
		*ret_len = bits_pow2(63);
	else
		*ret_len = ((uint64_t)inv->num + 1) <<
		    (inv->scale + tg_shift[inv->tg]);
	*ret_ttl = inv->ttl;
	return 0;
}

/* TLBI VA operand: VA[63:12], sign-extended from bit 55 like our keys. */
static uint64_t
smmu_inv_va(uint64_t addr)
{
	addr &= ~(uint64_t)0xfff;
	return (addr & GENMASK64(55, 0)) |
	    ((addr >> 55) & 1 ? GENMASK64(63, 56) : 0);
}

int
smmu_invalidate(struct smmu *s, const struct smmu_inv *inv)
{
	uint16_t vmid = s->feat.s2p ? inv->vmid : 0;
	uint64_t len, n;
	unsigned ttl;
	int r;

	smmu_epoch_bump(s);
	switch (inv->op) {
	case SMMU_INV_CFGI_STE:
		return (int)smmu_cfgcache_inv_ste(s->cfg, inv->sid, 1);
	case SMMU_INV_CFGI_STE_RANGE:
		if (inv->range >= 31)
			return (int)smmu_cfgcache_inv_all(s->cfg);
		n = 2ull << inv->range;
		return (int)smmu_cfgcache_inv_ste(s->cfg,
		    (uint32_t)(inv->sid & ~(n - 1)), n);
	case SMMU_INV_CFGI_CD:
		if (!s->feat.s1p)
			return SMMU_ERR_NOTSUP;
		return (int)smmu_cfgcache_inv_cd(s->cfg, inv->sid, inv->ssid);
	case SMMU_INV_CFGI_CD_ALL:
		if (!s->feat.s1p)
			return SMMU_ERR_NOTSUP;
		return (int)smmu_cfgcache_inv_cd_all(s->cfg, inv->sid);
	case SMMU_INV_CFGI_ALL:
		return (int)smmu_cfgcache_inv_all(s->cfg);
	case SMMU_INV_TLBI_NH_ALL:
		if (!s->feat.s1p)
			return SMMU_ERR_NOTSUP;
		return (int)smmu_tlb_inv_nh_all(s->tlb, vmid);
	case SMMU_INV_TLBI_NH_ASID:
		if (!s->feat.s1p)
			return SMMU_ERR_NOTSUP;
		return (int)smmu_tlb_inv_asid(s->tlb, vmid, inv->asid);
	case SMMU_INV_TLBI_NH_VA:
	case SMMU_INV_TLBI_NH_VAA:
		if (!s->feat.s1p)
			return SMMU_ERR_NOTSUP;
		r = smmu_inv_range(s, inv, &len, &ttl);
		if (r != 0)
			return r;
		if (inv->op == SMMU_INV_TLBI_NH_VA)
			return (int)smmu_tlb_inv_va(s->tlb, vmid, inv->asid,
			    smmu_inv_va(inv->addr), len, ttl);
		return (int)smmu_tlb_inv_vaa(s->tlb, vmid,
		    smmu_inv_va(inv->addr), len, ttl);
	case SMMU_INV_TLBI_S2_IPA:
		if (!s->feat.s2p)
			return SMMU_ERR_NOTSUP;
		r = smmu_inv_range(s, inv, &len, &ttl);
		if (r != 0)
			return r;
		return (int)smmu_tlb_inv_ipa(s->tlb, vmid,
		    inv->addr & GENMASK64(55, 12), len, ttl);
	case SMMU_INV_TLBI_S12_VMALL:
		if (!s->feat.s2p)
			return SMMU_ERR_NOTSUP;
		return (int)smmu_tlb_inv_vmid(s->tlb, vmid);
	case SMMU_INV_TLBI_NSNH_ALL:
		return (int)smmu_tlb_inv_all(s->tlb);
	default:
		return SMMU_ERR_INVAL;
	}
}

void
smmu_stats_get(const struct smmu *s, struct smmu_stats *ret)
{
	smmu_stats_read(s->stats, ret);
	smmu_tlb_stats(s->tlb, &ret->tlb);
	smmu_cfgcache_stats(s->cfg, &ret->cfg);
}

int
smmu_stream_stats_get(const struct smmu *s, uint32_t sid,
    struct smmu_stats *ret)
{
	return smmu_stats_read_stream(s->stats, sid, ret);
}

int
smmu_stream_stats_foreach(const struct smmu *s,
    int (*cb)(void *arg, uint32_t sid, const struct smmu_stats *st),
    void *arg)
{
	return smmu_stats_foreach_stream(s->stats, cb, arg);
}

/* ---- guest-programmed interface (regs.c, cmdq.c, evtq.c, msi.c) ---- */

int
smmu_mmio_read(struct smmu *s, uint64_t offset, unsigned size,
    uint64_t *ret)
{
	return smmu_regs_read(s->regs, offset, size, ret);
}

int
smmu_mmio_write(struct smmu *s, uint64_t offset, unsigned size,
    uint64_t val)
{
	int r;

	r = smmu_regs_write(s->regs, offset, size, val);
	if (r < 0)
		return r;
	/* CMDQ_PROD, CMDQEN 0 -> 1 and a CMDQ_ERR acknowledge restart
	 * command consumption (SMMUv3 4.1.2, 7.1). */
	if (r & SMMU_REGS_KICK_CMDQ)
		smmu_cmdq_consume(s->cmdq);
	return 0;
}

void
smmu_set_msi_sink(struct smmu *s, smmu_msi_sink_fn fn, void *arg)
{
	smmu_msi_set_sink(s->msi, fn, arg);
}

void
smmu_queue_stats_get(const struct smmu *s, struct smmu_queue_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	smmu_cmdq_stats(s->cmdq, ret);
	smmu_evtq_stats(s->evtq, ret);
	smmu_msi_stats(s->msi, ret);
}

int
smmu_cmdq_exec(struct smmu *s, const uint64_t *cmds, unsigned n,
    unsigned *ret_done)
{
	return smmu_cmdq_exec_raw(s->cmdq, cmds, n, ret_done);
}
