/*
 * msi.c - interrupt delivery of the guest-programmed SMMU (SMMUv3 3.18,
 * 6.3.15-6.3.23, 4.7.3 CMD_SYNC, 7.5 GERROR).
 *
 * The sink pointer pair is read under a read lock held across the call,
 * so smmu_msi_set_sink() (write lock) returns only once no thread is
 * still inside the old sink.  EVTQ and GERROR interrupts are checked
 * against IRQ_CTRL and delivered under the register file's irq_lock,
 * which IRQ_CTRL writes also take: an acknowledged IRQEN = 0 therefore
 * means no MSI of that source is still in flight (6.3.15).  CMD_SYNC
 * completions have no enable and take no lock but the sink's.
 */
#include <pthread.h>
#include <stdlib.h>

#include "bits.h"
#include "msi.h"

struct smmu_msi {
	struct gmem *g;
	struct smmu_regs *r;
	bool msi;			/* IDR0.MSI */
	uint64_t addr_mask;		/* ADDR[55:2] truncated to the OAS */
	pthread_rwlock_t sink_lock;
	smmu_msi_sink_fn sink;
	void *sink_arg;
	/* Counters, relaxed atomic increments. */
	struct smmu_msi_stats st[SMMU_MSI_SOURCE_MAX];
	uint64_t gerrors;
};

/* Count one event in counter c. */
static inline void
msi_count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

struct smmu_msi *
smmu_msi_create(struct gmem *g, struct smmu_regs *r,
    const struct smmu_features *f)
{
	struct smmu_msi *m;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	if (pthread_rwlock_init(&m->sink_lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	m->g = g;
	m->r = r;
	m->msi = f->msi;
	/* An MSI address is truncated to the OAS (SMMUv3 3.4.3). */
	m->addr_mask = GENMASK64(55, 2) & bits_low(f->oas);
	return m;
}

void
smmu_msi_destroy(struct smmu_msi *m)
{
	if (m == NULL)
		return;
	pthread_rwlock_destroy(&m->sink_lock);
	free(m);
}

void
smmu_msi_set_sink(struct smmu_msi *m, smmu_msi_sink_fn fn, void *arg)
{
	pthread_rwlock_wrlock(&m->sink_lock);
	m->sink = fn;
	m->sink_arg = fn != NULL ? arg : NULL;
	pthread_rwlock_unlock(&m->sink_lock);
}

/* Hand an interrupt to the sink; false if there is none. */
static bool
msi_to_sink(struct smmu_msi *m, unsigned source, uint64_t addr,
    uint32_t data)
{
	bool done = false;

	pthread_rwlock_rdlock(&m->sink_lock);
	if (m->sink != NULL) {
		m->sink(m->sink_arg, source, addr, data);
		done = true;
	}
	pthread_rwlock_unlock(&m->sink_lock);
	if (done)
		msi_count(&m->st[source].sink);
	return done;
}

/*
 * Deliver one interrupt of source.  field is the MSI address field (0:
 * wired).  Returns false if the MSI write aborted.
 */
static bool
msi_deliver(struct smmu_msi *m, unsigned source, uint64_t field,
    uint32_t data)
{
	uint64_t addr;

	msi_count(&m->st[source].raised);
	/* No MSI support, or ADDR = 0: a wired interrupt (3.18, 4.7.3:
	 * "the check for zero applies to the entire field span"). */
	if (!m->msi || (field & GENMASK64(55, 2)) == 0) {
		msi_count(&m->st[source].wired);
		(void)msi_to_sink(m, source, 0, 0);
		return true;
	}
	addr = field & m->addr_mask;
	/* An MSI into guest RAM is a plain 32-bit DMA write (3.18). */
	if (gmem_write32(m->g, addr, data) == 0) {
		msi_count(&m->st[source].ram);
		return true;
	}
	if (msi_to_sink(m, source, addr, data))
		return true;
	msi_count(&m->st[source].aborted);
	return false;
}

void
smmu_msi_raise(struct smmu_msi *m, unsigned source)
{
	struct smmu_regs *r = m->r;
	uint32_t en, data, abt;
	uint64_t addr;
	bool ok;

	if (source == SMMU_MSI_EVTQ) {
		en = SMMU_IRQ_EVENTQ_IRQEN;
		abt = SMMU_GERROR_MSI_EVENTQ_ABT_ERR;
	} else if (source == SMMU_MSI_GERROR) {
		en = SMMU_IRQ_GERROR_IRQEN;
		abt = SMMU_GERROR_MSI_GERROR_ABT_ERR;
	} else {
		return;	/* CMD_SYNC: smmu_msi_sync(); no PRIQ */
	}
	pthread_mutex_lock(&r->irq_lock);
	if (!(regs_ld32(&r->irq_ctrlack) & en)) {
		pthread_mutex_unlock(&r->irq_lock);
		msi_count(&m->st[source].masked);
		return;
	}
	if (source == SMMU_MSI_EVTQ) {
		addr = regs_ld64(&r->eventq_irq_cfg0);
		data = regs_ld32(&r->eventq_irq_cfg1);
	} else {
		addr = regs_ld64(&r->gerror_irq_cfg0);
		data = regs_ld32(&r->gerror_irq_cfg1);
	}
	ok = msi_deliver(m, source, addr, data);
	pthread_mutex_unlock(&r->irq_lock);
	if (!ok)
		(void)smmu_msi_gerror(m, abt);
}

void
smmu_msi_sync(struct smmu_msi *m, uint64_t msiaddr, uint32_t data)
{
	if (!msi_deliver(m, SMMU_MSI_CMD_SYNC, msiaddr, data))
		(void)smmu_msi_gerror(m, SMMU_GERROR_MSI_CMDQ_ABT_ERR);
}

bool
smmu_msi_gerror(struct smmu_msi *m, uint32_t bit)
{
	if (!smmu_regs_gerror_activate(m->r, bit))
		return false;
	msi_count(&m->gerrors);
	/* Every activation raises the GERROR interrupt except that of
	 * MSI_GERROR_ABT_ERR, which would only abort again (7.5). */
	if (bit != SMMU_GERROR_MSI_GERROR_ABT_ERR)
		smmu_msi_raise(m, SMMU_MSI_GERROR);
	return true;
}

void
smmu_msi_stats(const struct smmu_msi *m, struct smmu_queue_stats *ret)
{
	const struct smmu_msi_stats *s;
	unsigned i;

	for (i = 0; i < SMMU_MSI_SOURCE_MAX; i++) {
		s = &m->st[i];
		ret->msi[i].raised = __atomic_load_n(&s->raised,
		    __ATOMIC_RELAXED);
		ret->msi[i].ram = __atomic_load_n(&s->ram, __ATOMIC_RELAXED);
		ret->msi[i].sink = __atomic_load_n(&s->sink, __ATOMIC_RELAXED);
		ret->msi[i].wired = __atomic_load_n(&s->wired,
		    __ATOMIC_RELAXED);
		ret->msi[i].aborted = __atomic_load_n(&s->aborted,
		    __ATOMIC_RELAXED);
		ret->msi[i].masked = __atomic_load_n(&s->masked,
		    __ATOMIC_RELAXED);
	}
	ret->gerrors = __atomic_load_n(&m->gerrors, __ATOMIC_RELAXED);
}
