/*
 * guestdrv.c - a test guest driver for an SMMUv3 in the manner of Linux's
 * arm-smmu-v3 (see guestdrv.h).  Field positions are those of SMMUv3
 * sections 5.2 (STE), 5.4 (CD), 3.3.2 (L1STD), 4.x (commands), 6.3
 * (registers) and 7.3 (event records), written out here independently of
 * lib/.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "guestdrv.h"

/* Place x in bits hi..lo (x truncated). */
#define GD_F(hi, lo, x) \
	((((uint64_t)(x)) << (lo)) & \
	    ((~(uint64_t)0 >> (63 - (hi))) & (~(uint64_t)0 << (lo))))
#define GD_GET(v, hi, lo) \
	(((uint64_t)(v) >> (lo)) & (~(uint64_t)0 >> (63 - (hi) + (lo))))

/* Command opcodes and fields (4.1.1, 4.7.3). */
#define GD_OP_CFGI_STE 0x03
#define GD_OP_CFGI_ALL 0x04
#define GD_OP_CFGI_CD 0x05
#define GD_OP_TLBI_NH_ASID 0x11
#define GD_OP_TLBI_NH_VA 0x12
#define GD_OP_TLBI_NSNH_ALL 0x30
#define GD_OP_SYNC 0x46
#define GD_SYNC_CS_IRQ 1ull
#define GD_SYNC_MSH_ISH 3ull
#define GD_SYNC_MSIATTR_OIWB 0xfull

#define GD_STRTAB_SPLIT 8	/* Linux's STRTAB_SPLIT */
#define GD_PAGE 4096u

/* Cap x at max. */
static unsigned
gd_min(unsigned x, unsigned max)
{
	return x < max ? x : max;
}

void
gd_init(struct gd *gd, const struct gd_ops *ops, uint64_t ram_base,
    uint64_t ram_size)
{
	memset(gd, 0, sizeof(*gd));
	gd->ops = *ops;
	gd->ram_next = ram_base;
	gd->ram_end = ram_base + ram_size;
	gd->poll_limit = 100000;
}

void
gd_fini(struct gd *gd)
{
	free(gd->l2);
	gd->l2 = NULL;
}

uint64_t
gd_alloc(struct gd *gd, uint64_t size, uint64_t align)
{
	static const uint8_t zero[GD_PAGE];
	uint64_t p, off, n;

	if (align < 8)
		align = 8;
	p = (gd->ram_next + align - 1) & ~(align - 1);
	if (p + size > gd->ram_end || p + size < p)
		return 0;
	gd->ram_next = p + size;
	/* The guest cannot assume fresh memory is zero (over a socket it
	 * may have been used before). */
	for (off = 0; off < size; off += n) {
		n = size - off < GD_PAGE ? size - off : GD_PAGE;
		if (gd->ops.mem_write(gd->ops.arg, p + off, zero, n) != 0)
			return 0;
	}
	return p;
}

int
gd_w64(struct gd *gd, uint64_t gpa, uint64_t v)
{
	v = htole64(v);
	return gd->ops.mem_write(gd->ops.arg, gpa, &v, 8) ? GD_EIO : 0;
}

int
gd_r64(struct gd *gd, uint64_t gpa, uint64_t *ret)
{
	uint64_t v;

	if (gd->ops.mem_read(gd->ops.arg, gpa, &v, 8) != 0)
		return GD_EIO;
	*ret = le64toh(v);
	return 0;
}

int
gd_r32(struct gd *gd, uint64_t gpa, uint32_t *ret)
{
	uint32_t v;

	if (gd->ops.mem_read(gd->ops.arg, gpa, &v, 4) != 0)
		return GD_EIO;
	*ret = le32toh(v);
	return 0;
}

int
gd_wwords(struct gd *gd, uint64_t gpa, const uint64_t *w, unsigned n)
{
	uint64_t buf[8];
	unsigned i, k;

	for (i = 0; i < n; i += k) {
		for (k = 0; k < 8 && i + k < n; k++)
			buf[k] = htole64(w[i + k]);
		if (gd->ops.mem_write(gd->ops.arg, gpa + 8ull * i, buf,
		    8ull * k) != 0)
			return GD_EIO;
	}
	return 0;
}

int
gd_rwords(struct gd *gd, uint64_t gpa, uint64_t *w, unsigned n)
{
	unsigned i;

	if (gd->ops.mem_read(gd->ops.arg, gpa, w, 8ull * n) != 0)
		return GD_EIO;
	for (i = 0; i < n; i++)
		w[i] = le64toh(w[i]);
	return 0;
}

int
gd_readl(struct gd *gd, uint64_t off, uint32_t *ret)
{
	uint64_t v;

	if (gd->ops.mmio_read(gd->ops.arg, off, 4, &v) != 0)
		return GD_EIO;
	*ret = (uint32_t)v;
	return 0;
}

int
gd_writel(struct gd *gd, uint64_t off, uint32_t v)
{
	return gd->ops.mmio_write(gd->ops.arg, off, 4, v) ? GD_EIO : 0;
}

int
gd_writeq(struct gd *gd, uint64_t off, uint64_t v)
{
	return gd->ops.mmio_write(gd->ops.arg, off, 8, v) ? GD_EIO : 0;
}

/* arm_smmu_write_reg_sync(): write val, then poll ack until it reads
 * val. */
static int
gd_write_reg_sync(struct gd *gd, uint32_t val, uint64_t reg, uint64_t ack)
{
	uint32_t v;
	unsigned i;
	int r;

	if ((r = gd_writel(gd, reg, val)) != 0)
		return r;
	for (i = 0; i < gd->poll_limit; i++) {
		if ((r = gd_readl(gd, ack, &v)) != 0)
			return r;
		if (v == val)
			return 0;
	}
	return GD_ETIMEDOUT;
}

/* Poll GBPA until Update is clear. */
static int
gd_gbpa_wait(struct gd *gd, uint32_t *ret)
{
	unsigned i;
	int r;

	for (i = 0; i < gd->poll_limit; i++) {
		if ((r = gd_readl(gd, GD_GBPA, ret)) != 0)
			return r;
		if (!(*ret & GD_GBPA_UPDATE))
			return 0;
	}
	return GD_ETIMEDOUT;
}

/* arm_smmu_update_gbpa(): wait, write with Update, wait again. */
static int
gd_update_gbpa(struct gd *gd, uint32_t set, uint32_t clr)
{
	uint32_t reg;
	int r;

	if ((r = gd_gbpa_wait(gd, &reg)) != 0)
		return r;
	reg = (reg & ~clr) | set;
	if ((r = gd_writel(gd, GD_GBPA, reg | GD_GBPA_UPDATE)) != 0)
		return r;
	return gd_gbpa_wait(gd, &reg);
}

int
gd_probe(struct gd *gd)
{
	int r;

	if ((r = gd_readl(gd, GD_IDR0, &gd->idr0)) != 0 ||
	    (r = gd_readl(gd, GD_IDR1, &gd->idr1)) != 0 ||
	    (r = gd_readl(gd, GD_IDR3, &gd->idr3)) != 0 ||
	    (r = gd_readl(gd, GD_IDR5, &gd->idr5)) != 0 ||
	    (r = gd_readl(gd, GD_AIDR, &gd->aidr)) != 0)
		return r;
	/* IDR0: stages, table format and endianness, features. */
	gd->s2p = GD_GET(gd->idr0, 0, 0);
	gd->s1p = GD_GET(gd->idr0, 1, 1);
	if (!gd->s1p && !gd->s2p)
		return GD_ENODEV;	/* "no translation support!" */
	if (!(GD_GET(gd->idr0, 3, 2) & 2))
		return GD_ENODEV;	/* "AArch64 table format not supp." */
	if (GD_GET(gd->idr0, 22, 21) == 3)
		return GD_ENODEV;	/* big-endian tables only */
	gd->coherent = GD_GET(gd->idr0, 4, 4);
	gd->msi = GD_GET(gd->idr0, 13, 13);
	gd->cd2l = GD_GET(gd->idr0, 19, 19);
	gd->st_2level = GD_GET(gd->idr0, 28, 27) == 1;
	/* IDR1: "embedded implementation not supported" with presets. */
	if (GD_GET(gd->idr1, 30, 28) != 0)
		return GD_ENODEV;
	gd->cmdq_max = (unsigned)GD_GET(gd->idr1, 25, 21);
	gd->evtq_max = (unsigned)GD_GET(gd->idr1, 20, 16);
	/* Linux batches 64 commands: it wants a bigger queue. */
	if (gd->cmdq_max <= 6)
		return GD_ENODEV;
	gd->ssid_bits = (unsigned)GD_GET(gd->idr1, 10, 6);
	gd->sid_bits = (unsigned)GD_GET(gd->idr1, 5, 0);
	if (gd->sid_bits <= GD_STRTAB_SPLIT)
		gd->st_2level = false;
	gd->ril = GD_GET(gd->idr3, 10, 10);
	gd->oas_enc = (unsigned)GD_GET(gd->idr5, 2, 0);
	return 0;
}

/* Write num STEs of value ste (the initial STEs) at gpa. */
static int
gd_init_stes(struct gd *gd, uint64_t gpa, unsigned num)
{
	uint64_t ste[8], *buf;
	unsigned i, j;
	int r;

	if (gd->bypass)
		gd_ste_bypass(ste);
	else
		gd_ste_abort(ste);
	buf = calloc(num, sizeof(ste));
	if (buf == NULL)
		return GD_ENOMEM;
	for (i = 0; i < num; i++)
		for (j = 0; j < 8; j++)
			buf[8 * i + j] = htole64(ste[j]);
	r = gd->ops.mem_write(gd->ops.arg, gpa, buf, num * sizeof(ste)) ?
	    GD_EIO : 0;
	free(buf);
	return r;
}

/* arm_smmu_init_strtab(): linear, or 2-level with L2 tables on demand. */
static int
gd_init_strtab(struct gd *gd, const struct gd_config *cfg)
{
	uint64_t size;

	gd->st_bits = gd_min(cfg->sid_bits, gd->sid_bits);
	gd->strtab_2l = cfg->strtab_2level && gd->st_2level;
	gd->split = cfg->split != 0 ? cfg->split : GD_STRTAB_SPLIT;
	if (gd->strtab_2l) {
		if (gd->st_bits < gd->split)
			gd->st_bits = gd->split;
		gd->nr_l1 = 1u << (gd->st_bits - gd->split);
		size = gd->nr_l1 * 8ull;
		gd->strtab = gd_alloc(gd, size, size < 64 ? 64 : size);
		free(gd->l2);
		gd->l2 = calloc(gd->nr_l1, sizeof(*gd->l2));
		if (gd->strtab == 0 || gd->l2 == NULL)
			return GD_ENOMEM;
		return 0;
	}
	size = 64ull << gd->st_bits;
	gd->strtab = gd_alloc(gd, size, size);
	if (gd->strtab == 0)
		return GD_ENOMEM;
	return gd_init_stes(gd, gd->strtab, 1u << gd->st_bits);
}

/* STRTAB_BASE_CFG for the table (6.3.25). */
static uint32_t
gd_strtab_cfg(const struct gd *gd)
{
	if (gd->strtab_2l)
		return (uint32_t)(GD_F(17, 16, 1) | GD_F(10, 6, gd->split) |
		    GD_F(5, 0, gd->st_bits));
	return (uint32_t)GD_F(5, 0, gd->st_bits);
}

int
gd_disable(struct gd *gd, bool gbpa_abort)
{
	int r;

	if ((r = gd_write_reg_sync(gd, 0, GD_CR0, GD_CR0ACK)) != 0)
		return r;
	return gd_update_gbpa(gd, gbpa_abort ? GD_GBPA_ABORT : 0,
	    gbpa_abort ? 0 : GD_GBPA_ABORT);
}

/* arm_smmu_setup_irqs() with arm_smmu_setup_msis(). */
static int
gd_setup_irqs(struct gd *gd, const struct gd_config *cfg)
{
	uint32_t en = 0;
	int r;

	if ((r = gd_write_reg_sync(gd, 0, GD_IRQ_CTRL, GD_IRQ_CTRLACK)) != 0)
		return r;
	/* Clear the MSI address registers, then program them. */
	if ((r = gd_writeq(gd, GD_GERROR_IRQ_CFG0, 0)) != 0 ||
	    (r = gd_writeq(gd, GD_EVTQ_IRQ_CFG0, 0)) != 0)
		return r;
	if (gd->msi) {
		if ((r = gd_writeq(gd, GD_EVTQ_IRQ_CFG0,
		    cfg->evtq_doorbell)) != 0 ||
		    (r = gd_writel(gd, GD_EVTQ_IRQ_CFG1,
		    cfg->evtq_msi_data)) != 0 ||
		    (r = gd_writel(gd, GD_EVTQ_IRQ_CFG2, 1)) != 0 ||
		    (r = gd_writeq(gd, GD_GERROR_IRQ_CFG0,
		    cfg->gerror_doorbell)) != 0 ||
		    (r = gd_writel(gd, GD_GERROR_IRQ_CFG1,
		    cfg->gerror_msi_data)) != 0 ||
		    (r = gd_writel(gd, GD_GERROR_IRQ_CFG2, 1)) != 0)
			return r;
	}
	en = GD_IRQ_EVTQ | GD_IRQ_GERROR;
	return gd_write_reg_sync(gd, en, GD_IRQ_CTRL, GD_IRQ_CTRLACK);
}

int
gd_reset(struct gd *gd, const struct gd_config *cfg)
{
	uint32_t reg, enables;
	uint64_t qsize;
	int r;

	gd->bypass = cfg->bypass;
	gd->msipoll = cfg->msipoll && gd->msi && gd->coherent;
	gd->sync_doorbell = cfg->sync_doorbell;

	/* arm_smmu_init_structures(): queues and stream table. */
	gd->cmdq_log2 = gd_min(cfg->cmdq_log2 ? cfg->cmdq_log2 : 8,
	    gd->cmdq_max);
	qsize = 16ull << gd->cmdq_log2;
	gd->cmdq = gd_alloc(gd, qsize, qsize < 32 ? 32 : qsize);
	gd->evtq_log2 = gd_min(cfg->evtq_log2 ? cfg->evtq_log2 : 8,
	    gd->evtq_max);
	qsize = 32ull << gd->evtq_log2;
	gd->evtq = gd_alloc(gd, qsize, qsize < 32 ? 32 : qsize);
	if (gd->cmdq == 0 || gd->evtq == 0)
		return GD_ENOMEM;
	if ((r = gd_init_strtab(gd, cfg)) != 0)
		return r;

	/* "SMMU currently enabled! Resetting...": abort while we work. */
	if ((r = gd_readl(gd, GD_CR0, &reg)) != 0)
		return r;
	if ((reg & GD_CR0_SMMUEN) &&
	    (r = gd_update_gbpa(gd, GD_GBPA_ABORT, 0)) != 0)
		return r;
	if ((r = gd_write_reg_sync(gd, 0, GD_CR0, GD_CR0ACK)) != 0)
		return r;

	/* CR1: inner-shareable write-back tables and queues; CR2. */
	reg = (uint32_t)(GD_F(11, 10, 3) | GD_F(9, 8, 1) | GD_F(7, 6, 1) |
	    GD_F(5, 4, 3) | GD_F(3, 2, 1) | GD_F(1, 0, 1));
	if ((r = gd_writel(gd, GD_CR1, reg)) != 0)
		return r;
	reg = (1u << 2) | (cfg->recinvsid ? 1u << 1 : 0);	/* PTM */
	if ((r = gd_writel(gd, GD_CR2, reg)) != 0)
		return r;

	/* Stream table. */
	if ((r = gd_writeq(gd, GD_STRTAB_BASE, (1ull << 62) |
	    gd->strtab)) != 0 ||
	    (r = gd_writel(gd, GD_STRTAB_BASE_CFG, gd_strtab_cfg(gd))) != 0)
		return r;

	/* Command queue: base | RA | LOG2SIZE, then PROD and CONS. */
	gd->cmdq_prod = gd->cmdq_cons = 0;
	if ((r = gd_writeq(gd, GD_CMDQ_BASE, (1ull << 62) | gd->cmdq |
	    gd->cmdq_log2)) != 0 ||
	    (r = gd_writel(gd, GD_CMDQ_PROD, 0)) != 0 ||
	    (r = gd_writel(gd, GD_CMDQ_CONS, 0)) != 0)
		return r;
	enables = GD_CR0_CMDQEN;
	if ((r = gd_write_reg_sync(gd, enables, GD_CR0, GD_CR0ACK)) != 0)
		return r;

	/* Invalidate any cached configuration and stale TLB entries. */
	if ((r = gd_cfgi_all(gd)) != 0 || (r = gd_sync(gd)) != 0 ||
	    (r = gd_tlbi_nsnh_all(gd)) != 0 || (r = gd_sync(gd)) != 0)
		return r;

	/* Event queue (PROD/CONS on page 1). */
	gd->evtq_cons = 0;
	if ((r = gd_writeq(gd, GD_EVTQ_BASE, (1ull << 62) | gd->evtq |
	    gd->evtq_log2)) != 0 ||
	    (r = gd_writel(gd, GD_EVTQ_PROD, 0)) != 0 ||
	    (r = gd_writel(gd, GD_EVTQ_CONS, 0)) != 0)
		return r;
	enables |= GD_CR0_EVTQEN;
	if ((r = gd_write_reg_sync(gd, enables, GD_CR0, GD_CR0ACK)) != 0)
		return r;

	if ((r = gd_setup_irqs(gd, cfg)) != 0)
		return r;

	/* Enable the SMMU interface. */
	enables |= GD_CR0_SMMUEN;
	return gd_write_reg_sync(gd, enables, GD_CR0, GD_CR0ACK);
}

/* ---- command queue -------------------------------------------------- */

/* Queue arithmetic on index + wrap (3.5.1). */
static uint32_t
gd_q_inc(uint32_t v, unsigned log2)
{
	return (v + 1) & ((2u << log2) - 1);
}

static bool
gd_q_full(uint32_t prod, uint32_t cons, unsigned log2)
{
	uint32_t m = (1u << log2) - 1;

	return (prod & m) == (cons & m) && (prod & ~m) != (cons & ~m);
}

/* Refresh the CONS shadow; GD_ECMDQ if a command error is active. */
static int
gd_cmdq_sync_cons(struct gd *gd)
{
	uint32_t cons, g, gn;
	int r;

	if ((r = gd_readl(gd, GD_CMDQ_CONS, &cons)) != 0)
		return r;
	gd->cmdq_cons = cons & ((2u << gd->cmdq_log2) - 1);
	if ((r = gd_readl(gd, GD_GERROR, &g)) != 0 ||
	    (r = gd_readl(gd, GD_GERRORN, &gn)) != 0)
		return r;
	return ((g ^ gn) & GD_GERROR_CMDQ_ERR) ? GD_ECMDQ : 0;
}

int
gd_cmd_flush(struct gd *gd)
{
	return gd_writel(gd, GD_CMDQ_PROD, gd->cmdq_prod);
}

int
gd_cmd(struct gd *gd, uint64_t dw0, uint64_t dw1)
{
	uint64_t cmd[2] = { dw0, dw1 };
	uint32_t idx;
	unsigned i;
	int r;

	/* queue_has_space(): publish what we have and poll CONS. */
	for (i = 0; gd_q_full(gd->cmdq_prod, gd->cmdq_cons, gd->cmdq_log2);
	    i++) {
		if (i >= gd->poll_limit)
			return GD_ETIMEDOUT;
		if (i == 0 && (r = gd_cmd_flush(gd)) != 0)
			return r;
		if ((r = gd_cmdq_sync_cons(gd)) != 0)
			return r;
	}
	idx = gd->cmdq_prod & ((1u << gd->cmdq_log2) - 1);
	if ((r = gd_wwords(gd, gd->cmdq + 16ull * idx, cmd, 2)) != 0)
		return r;
	gd->cmdq_prod = gd_q_inc(gd->cmdq_prod, gd->cmdq_log2);
	return 0;
}

/* queue_consumed(): true once CONS has moved past the entry at pos
 * (index and wrap). */
static bool
gd_q_consumed(const struct gd *gd, uint32_t pos)
{
	uint32_t w = 1u << gd->cmdq_log2, m = w - 1, c = gd->cmdq_cons;

	if ((c & w) == (pos & w))
		return (c & m) > (pos & m);
	return (c & m) <= (pos & m);
}

int
gd_sync(struct gd *gd)
{
	uint64_t dw0, dw1;
	uint32_t pos, word;
	unsigned i;
	int r;

	/* arm_smmu_cmdq_build_sync_cmd(). */
	pos = gd->cmdq_prod;
	dw0 = GD_OP_SYNC;
	dw1 = 0;
	if (gd->msipoll) {
		/* MSI to the SYNC's own slot, data 0: poll its first word. */
		dw0 |= GD_F(13, 12, GD_SYNC_CS_IRQ) |
		    GD_F(23, 22, GD_SYNC_MSH_ISH) |
		    GD_F(27, 24, GD_SYNC_MSIATTR_OIWB);
		dw1 = gd->cmdq + 16ull * (pos & ((1u << gd->cmdq_log2) - 1));
	} else if (gd->sync_doorbell != 0) {
		dw0 |= GD_F(13, 12, GD_SYNC_CS_IRQ) |
		    GD_F(63, 32, ++gd->sync_seq);
		dw1 = gd->sync_doorbell;
	}
	if ((r = gd_cmd(gd, dw0, dw1)) != 0 || (r = gd_cmd_flush(gd)) != 0)
		return r;
	for (i = 0; i < gd->poll_limit; i++) {
		if (gd->msipoll) {
			/* arm_smmu_cmdq_poll_until_msi(). */
			if ((r = gd_r32(gd, dw1, &word)) != 0)
				return r;
			if (word == 0) {
				/* The MSI comes after CONS passed the SYNC. */
				if ((r = gd_cmdq_sync_cons(gd)) != 0)
					return r;
				return gd_q_consumed(gd, pos) ? 0 : GD_EIO;
			}
			/* Not in Linux: give up early on a command error. */
			if ((i & 63) == 63 &&
			    (r = gd_cmdq_sync_cons(gd)) != 0)
				return r;
		} else {
			/* __arm_smmu_cmdq_poll_until_consumed(). */
			r = gd_cmdq_sync_cons(gd);
			if (gd_q_consumed(gd, pos))
				return 0;
			if (r != 0)
				return r;
		}
	}
	return GD_ETIMEDOUT;
}

int
gd_cfgi_ste(struct gd *gd, uint32_t sid)
{
	/* CMD_CFGI_STE, Leaf = 1 (4.3.1). */
	return gd_cmd(gd, GD_OP_CFGI_STE | GD_F(63, 32, sid), 1);
}

int
gd_cfgi_all(struct gd *gd)
{
	/* CMD_CFGI_STE_RANGE with Range = 31 (4.3.6). */
	return gd_cmd(gd, GD_OP_CFGI_ALL, 31);
}

int
gd_cfgi_cd(struct gd *gd, uint32_t sid, uint32_t ssid)
{
	return gd_cmd(gd, GD_OP_CFGI_CD | GD_F(31, 12, ssid) |
	    GD_F(63, 32, sid), 1);
}

int
gd_tlbi_nh_va(struct gd *gd, uint16_t asid, uint64_t va)
{
	/* VMID 0 (stage 1 only), Leaf = 1, TG = 0: one address. */
	return gd_cmd(gd, GD_OP_TLBI_NH_VA | GD_F(63, 48, asid),
	    (va & ~0xfffull) | 1);
}

int
gd_tlbi_nh_asid(struct gd *gd, uint16_t asid)
{
	return gd_cmd(gd, GD_OP_TLBI_NH_ASID | GD_F(63, 48, asid), 0);
}

int
gd_tlbi_nsnh_all(struct gd *gd)
{
	return gd_cmd(gd, GD_OP_TLBI_NSNH_ALL, 0);
}

int
gd_cmdq_error(struct gd *gd, bool *ret_active, unsigned *ret_err,
    uint32_t *ret_cons)
{
	uint32_t cons, g, gn;
	int r;

	if ((r = gd_readl(gd, GD_CMDQ_CONS, &cons)) != 0 ||
	    (r = gd_readl(gd, GD_GERROR, &g)) != 0 ||
	    (r = gd_readl(gd, GD_GERRORN, &gn)) != 0)
		return r;
	if (ret_active != NULL)
		*ret_active = ((g ^ gn) & GD_GERROR_CMDQ_ERR) != 0;
	if (ret_err != NULL)
		*ret_err = (unsigned)GD_GET(cons, 30, 24);
	if (ret_cons != NULL)
		*ret_cons = (uint32_t)GD_GET(cons, 19, 0);
	return 0;
}

int
gd_cmdq_fix(struct gd *gd, uint64_t dw0, uint64_t dw1)
{
	uint64_t cmd[2] = { dw0, dw1 };
	uint32_t cons;
	int r;

	/* arm_smmu_cmdq_skip_err(): overwrite the bad command ... */
	if ((r = gd_cmdq_error(gd, NULL, NULL, &cons)) != 0)
		return r;
	cons &= (1u << gd->cmdq_log2) - 1;
	if ((r = gd_wwords(gd, gd->cmdq + 16ull * cons, cmd, 2)) != 0)
		return r;
	/* ... and arm_smmu_gerror_handler() acknowledges. */
	return gd_gerror_ack(gd, GD_GERROR_CMDQ_ERR);
}

/* ---- stream table and descriptors ----------------------------------- */

int
gd_l1std_put(struct gd *gd, unsigned l1idx, unsigned span, uint64_t l2ptr)
{
	/* L1STD: Span[4:0], L2Ptr[55:6] (3.3.2). */
	return gd_w64(gd, gd->strtab + 8ull * l1idx, GD_F(4, 0, span) |
	    (l2ptr & 0x00ffffffffffffc0ull));
}

uint64_t
gd_ste_addr(struct gd *gd, uint32_t sid)
{
	unsigned l1idx, n;
	uint64_t l2;

	if (sid >> gd->st_bits)
		return 0;
	if (!gd->strtab_2l)
		return gd->strtab + 64ull * sid;
	l1idx = sid >> gd->split;
	if (gd->l2[l1idx] == 0) {
		/* arm_smmu_init_l2_strtab(): 2^SPLIT STEs, Span SPLIT+1. */
		n = 1u << gd->split;
		l2 = gd_alloc(gd, 64ull * n, 64ull * n);
		if (l2 == 0 || gd_init_stes(gd, l2, n) != 0 ||
		    gd_l1std_put(gd, l1idx, gd->split + 1, l2) != 0)
			return 0;
		gd->l2[l1idx] = l2;
	}
	return gd->l2[l1idx] + 64ull * (sid & ((1u << gd->split) - 1));
}

int
gd_ste_put(struct gd *gd, uint32_t sid, const uint64_t ste[8])
{
	uint64_t a = gd_ste_addr(gd, sid);
	int r;

	if (a == 0)
		return GD_ENOMEM;
	/* Words 1..7 first, word 0 (V, Config) last, as a hitless update
	 * from an invalid STE does. */
	if ((r = gd_wwords(gd, a + 8, ste + 1, 7)) != 0)
		return r;
	return gd_w64(gd, a, ste[0]);
}

int
gd_ste_install(struct gd *gd, uint32_t sid, const uint64_t ste[8])
{
	int r;

	if ((r = gd_ste_put(gd, sid, ste)) != 0 ||
	    (r = gd_cfgi_ste(gd, sid)) != 0)
		return r;
	return gd_sync(gd);
}

void
gd_ste_abort(uint64_t ste[8])
{
	memset(ste, 0, 64);
	ste[0] = 1;			/* V, Config = 0b000: abort */
}

void
gd_ste_bypass(uint64_t ste[8])
{
	memset(ste, 0, 64);
	ste[0] = 1 | GD_F(3, 1, 4);	/* V, Config = 0b100 */
	ste[1] = GD_F(45, 44, 1);	/* SHCFG: use incoming */
}

void
gd_ste_s1(uint64_t ste[8], uint64_t cdptr, unsigned s1cdmax,
    unsigned s1dss)
{
	memset(ste, 0, 64);
	/* V, Config = 0b101 (S1 translate, S2 bypass), S1Fmt = linear,
	 * S1ContextPtr[55:6], S1CDMax[63:59]. */
	ste[0] = 1 | GD_F(3, 1, 5) | (cdptr & 0x00ffffffffffffc0ull) |
	    GD_F(63, 59, s1cdmax);
	/* S1DSS, S1CIR/S1COR = WBRA, S1CSH = ISH, STRW = NS-EL1. */
	ste[1] = GD_F(1, 0, s1dss) | GD_F(3, 2, 1) | GD_F(5, 4, 1) |
	    GD_F(7, 6, 3);
}

void
gd_cd_s1(uint64_t cd[8], const struct gd_pt *pt, uint16_t asid,
    unsigned ips_bits)
{
	static const unsigned ips_tab[] = { 32, 36, 40, 42, 44, 48, 52 };
	unsigned ips;

	for (ips = 0; ips < 6 && ips_tab[ips] < ips_bits; ips++)
		;
	memset(cd, 0, 64);
	/* arm_smmu_make_s1_cd(): T0SZ = 16, TG0 = 4 KB, IRGN0/ORGN0 =
	 * WBWA, SH0 = ISH, EPD1, V, IPS, AA64, R, A, ASID. */
	cd[0] = GD_F(5, 0, 16) | GD_F(7, 6, 0) | GD_F(9, 8, 1) |
	    GD_F(11, 10, 1) | GD_F(13, 12, 3) | GD_F(30, 30, 1) |
	    GD_F(31, 31, 1) | GD_F(34, 32, ips) | GD_F(41, 41, 1) |
	    GD_F(45, 45, 1) | GD_F(46, 46, 1) | GD_F(63, 48, asid);
	cd[1] = pt->root & 0x000ffffffffffff0ull;	/* TTB0[51:4] */
	cd[3] = 0xff;		/* MAIR: attr 0 = Normal WB */
}

int
gd_pt_init(struct gd *gd, struct gd_pt *pt)
{
	pt->root = gd_alloc(gd, GD_PAGE, GD_PAGE);
	return pt->root != 0 ? 0 : GD_ENOMEM;
}

/* Descriptor address for iova at level lvl, creating tables down to it. */
static int
gd_pt_walk(struct gd *gd, struct gd_pt *pt, uint64_t iova, unsigned lvl,
    uint64_t *ret)
{
	uint64_t table = pt->root, da, d;
	unsigned l;
	int r;

	for (l = 0;; l++) {
		da = table + 8 * ((iova >> (39 - 9 * l)) & 511);
		if (l == lvl) {
			*ret = da;
			return 0;
		}
		if ((r = gd_r64(gd, da, &d)) != 0)
			return r;
		if ((d & 3) != 3) {
			table = gd_alloc(gd, GD_PAGE, GD_PAGE);
			if (table == 0)
				return GD_ENOMEM;
			if ((r = gd_w64(gd, da, table | 3)) != 0)
				return r;
		} else {
			table = d & 0x0000fffffffff000ull;
		}
	}
}

int
gd_pt_map(struct gd *gd, struct gd_pt *pt, uint64_t iova, uint64_t pa,
    uint64_t attrs)
{
	uint64_t da;
	int r;

	if ((r = gd_pt_walk(gd, pt, iova, 3, &da)) != 0)
		return r;
	/* Page descriptor: 0b11 at level 3, AttrIndx 0. */
	return gd_w64(gd, da, (pa & 0x0000fffffffff000ull) | attrs | 3);
}

int
gd_pt_set_table(struct gd *gd, struct gd_pt *pt, uint64_t iova,
    unsigned lvl, uint64_t table)
{
	uint64_t da;
	int r;

	if (lvl > 2)
		return GD_EINVAL;
	if ((r = gd_pt_walk(gd, pt, iova, lvl, &da)) != 0)
		return r;
	return gd_w64(gd, da, (table & 0x0000fffffffff000ull) | 3);
}

/* ---- event queue and GERROR ----------------------------------------- */

int
gd_evtq_pop(struct gd *gd, uint64_t rec[4])
{
	uint32_t prod, m = (2u << gd->evtq_log2) - 1;
	int r;

	if ((r = gd_readl(gd, GD_EVTQ_PROD, &prod)) != 0)
		return r;
	/* queue_sync_prod_in(): an overflow since the last acknowledge;
	 * queue_sync_cons_ovf(): acknowledge it with OVACKFLG. */
	if ((prod ^ gd->evtq_cons) & GD_Q_OVF) {
		gd->evtq_overflows++;
		gd->evtq_cons ^= GD_Q_OVF;
		if ((r = gd_writel(gd, GD_EVTQ_CONS, gd->evtq_cons)) != 0)
			return r;
	}
	if (((prod ^ gd->evtq_cons) & m) == 0)
		return 0;
	if ((r = gd_rwords(gd, gd->evtq + 32ull * (gd->evtq_cons &
	    ((1u << gd->evtq_log2) - 1)), rec, 4)) != 0)
		return r;
	gd->evtq_cons = (gd->evtq_cons & GD_Q_OVF) |
	    ((gd->evtq_cons + 1) & m);
	if ((r = gd_writel(gd, GD_EVTQ_CONS, gd->evtq_cons)) != 0)
		return r;
	return 1;
}

int
gd_gerror_active(struct gd *gd, uint32_t *ret)
{
	uint32_t g, gn;
	int r;

	if ((r = gd_readl(gd, GD_GERROR, &g)) != 0 ||
	    (r = gd_readl(gd, GD_GERRORN, &gn)) != 0)
		return r;
	*ret = g ^ gn;
	return 0;
}

int
gd_gerror_ack(struct gd *gd, uint32_t bits)
{
	uint32_t gn, active;
	int r;

	if ((r = gd_gerror_active(gd, &active)) != 0 ||
	    (r = gd_readl(gd, GD_GERRORN, &gn)) != 0)
		return r;
	return gd_writel(gd, GD_GERRORN, gn ^ (active & bits));
}
