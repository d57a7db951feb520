/*
 * dispatch.c - the request table, its gates, the handlers, one reply path.
 *
 * dispatch_frame() unpacks a Request under a heap budget, looks its body
 * case up in dispatch_table[], runs the gates (still admitted, Hello
 * first, admin only, reserved for later work) in dispatch_gate(), calls the
 * handler, and replies once.  A handler fills the Response body and
 * returns a Status; on an error it leaves a message in x->msg (dispatch_fail())
 * and the body is dropped.  What a Response points at is borrowed (the
 * topology's names, static strings) or lives in the per-request arena
 * (dispatch_alloc()), freed after the reply has been packed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "dispatch.h"
#include "frame.h"
#include "log.h"
#include "smmu.h"
#include "topo.h"

#ifndef SMMUD_VERSION
#define SMMUD_VERSION "0.0.0"
#endif

#define ST(x) SMMU__V1__STATUS__STATUS_##x
#define RQ(x) SMMU__V1__REQUEST__BODY_##x

/* Gates (dispatch_entry.flags). */
#define DISPATCH_HELLO (1u << 0)	/* only after a Hello */
#define DISPATCH_ADMIN (1u << 1)	/* needs an admin access rule */
#define DISPATCH_MUTATES (1u << 2)	/* changes state (logged) */
#define DISPATCH_LATER (1u << 3)	/* reserved: not implemented yet */

#define DISPATCH_HEAP_BUDGET_FRAMES 16	/* unpack heap: 16 x max_frame */
#define DISPATCH_BATCH_MAX 65536		/* TranslateBatch entries */
#define DISPATCH_MEM_OVERHEAD 64	/* MemRead.len <= max_frame - 64 */
#define DISPATCH_ACCESS_KNOWN \
	(SMMU_ACC_READ | SMMU_ACC_WRITE | SMMU_ACC_EXEC | SMMU_ACC_PRIV)
#define DISPATCH_PAGE_SIZE 4096u

/* One block of the per-request arena. */
struct dispatch_block {
	struct dispatch_block *next;
	max_align_t data[];
};

/* Everything one request's handler works with. */
struct dispatch_ctx {
	struct dispatch_client *c;
	const struct topo_view *view;
	uint32_t max_frame;
	bool admin;
	struct dispatch_block *arena;
	char msg[512];			/* error message of the reply */
};

typedef int (*dispatch_fn)(struct dispatch_ctx *x,
    const Smmu__V1__Request *req, Smmu__V1__Response *resp);

struct dispatch_entry {
	const char *name;
	dispatch_fn fn;
	unsigned flags;
};

/* Heap budget for one unpack (protobuf-c's allocator interface). */
struct dispatch_budget {
	size_t left;
};

#define DISPATCH_ALLOC_HDR sizeof(max_align_t)

static struct topo *dispatch_topo;
static struct timespec dispatch_start;

/* protobuf-c stores strings as char *; ours are never modified. */
static inline char *
dispatch_str(const char *s)
{
	return (char *)(uintptr_t)s;
}

/* Zeroed memory freed with the request; NULL if out of memory. */
static void *
dispatch_alloc(struct dispatch_ctx *x, size_t size)
{
	struct dispatch_block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	if ((b = calloc(1, sizeof(*b) + size)) == NULL)
		return NULL;
	b->next = x->arena;
	x->arena = b;
	return b->data;
}

/* dispatch_alloc() for n elements of size bytes, overflow-checked. */
static void *
dispatch_allocarray(struct dispatch_ctx *x, size_t n, size_t size)
{
	if (n == 0)
		n = 1;
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	return dispatch_alloc(x, n * size);
}

static void
dispatch_arena_free(struct dispatch_ctx *x)
{
	struct dispatch_block *b, *next;

	for (b = x->arena; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	x->arena = NULL;
}

/* Record an error message and return status (for "return dispatch_fail()"). */
static int __attribute__((format(printf, 3, 4)))
dispatch_fail(struct dispatch_ctx *x, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	return status;
}

static int
dispatch_oom(struct dispatch_ctx *x)
{
	return dispatch_fail(x, ST(INTERNAL), "out of memory");
}

/* Map a topo lookup error (-errno) to a Status (message already set). */
static int
dispatch_topo_status(int rc)
{
	switch (rc) {
	case -ENOENT:
		return ST(NOT_FOUND);
	case -EACCES:
		return ST(PERMISSION_DENIED);
	case -EEXIST:
		return ST(ALREADY_EXISTS);
	case -ENOSPC:
		return ST(RESOURCE_EXHAUSTED);
	case -EINVAL:
		return ST(INVALID_ARGUMENT);
	default:
		return ST(INTERNAL);
	}
}

/* Look up an SMMU the client may use; a Status (OK or the error). */
static int
dispatch_smmu(struct dispatch_ctx *x, const char *name, struct topo_smmu **ret)
{
	int rc;

	rc = topo_smmu_find(x->view, &x->c->peer, name, ret, x->msg,
	    sizeof(x->msg));
	return rc < 0 ? dispatch_topo_status(rc) : ST(OK);
}

/* Look up a VM the client may use; a Status (OK or the error). */
static int
dispatch_vm(struct dispatch_ctx *x, const char *name, struct topo_vm **ret)
{
	int rc;

	rc = topo_vm_find(x->view, &x->c->peer, name, ret, x->msg,
	    sizeof(x->msg));
	return rc < 0 ? dispatch_topo_status(rc) : ST(OK);
}

/* ---- Hello ------------------------------------------------------- */

/* Copy a client-chosen name, keeping printable ASCII only (for logs). */
static void
dispatch_name_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f && src[i] != '\'') ?
		    src[i] : '?';
	dst[i] = '\0';
}

/* Hello: check the protocol version; list what this client may use. */
static int
dispatch_hello(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__Hello *h = req->hello;
	struct dispatch_client *c = x->c;
	Smmu__V1__HelloResult *hr;
	Smmu__V1__VmInfo *vi, **vis;
	char label[sizeof(c->label)];
	const char *paren;
	struct topo_vm *vm;
	unsigned i, j, n = 0;

	if (h->protocol_version != FRAME_PROTOCOL_VERSION) {
		/* Nothing after this can be understood: close (tmux). */
		c->close = true;
		return dispatch_fail(x, ST(UNSUPPORTED_VERSION), "protocol "
		    "version %u is not supported (this server speaks %u)",
		    h->protocol_version, FRAME_PROTOCOL_VERSION);
	}
	if (!c->hello) {
		/* "client 7 (uid 0, pid 12)" -> "client 7 'qemu' (...)" */
		dispatch_name_copy(c->name, sizeof(c->name), h->client_name);
		if (c->name[0] != '\0' &&
		    (paren = strstr(c->label, " (")) != NULL) {
			(void)snprintf(label, sizeof(label), "%.*s '%s'%s",
			    (int)(paren - c->label), c->label, c->name, paren);
			memcpy(c->label, label, sizeof(c->label));
		}
		log_debug("%s: hello, protocol %u", c->label,
		    h->protocol_version);
	}
	c->hello = true;
	hr = dispatch_alloc(x, sizeof(*hr));
	vis = dispatch_allocarray(x, x->view->nr_vms, sizeof(*vis));
	vi = dispatch_allocarray(x, x->view->nr_vms, sizeof(*vi));
	if (hr == NULL || vis == NULL || vi == NULL)
		return dispatch_oom(x);
	smmu__v1__hello_result__init(hr);
	hr->protocol_version = FRAME_PROTOCOL_VERSION;
	hr->server_version = dispatch_str(SMMUD_VERSION);
	hr->max_frame = x->max_frame;
	for (i = 0; i < x->view->nr_vms; i++) {
		vm = x->view->vms[i];
		if (!topo_vm_visible(x->view, &c->peer, vm))
			continue;
		smmu__v1__vm_info__init(&vi[n]);
		vi[n].name = vm->name;
		vi[n].n_smmus = vm->nr_smmus;
		vi[n].smmus = dispatch_allocarray(x, vm->nr_smmus,
		    sizeof(char *));
		if (vi[n].smmus == NULL)
			return dispatch_oom(x);
		for (j = 0; j < vm->nr_smmus; j++)
			vi[n].smmus[j] = vm->smmus[j].name;
		vis[n] = &vi[n];
		n++;
	}
	hr->n_vms = n;
	hr->vms = vis;
	resp->body_case = SMMU__V1__RESPONSE__BODY_HELLO;
	resp->hello = hr;
	return ST(OK);
}

/* ---- devices ----------------------------------------------------- */

/* Attach: bind a device name to a StreamID of an SMMU. */
static int
dispatch_attach(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__Attach *a = req->attach;
	Smmu__V1__AttachResult *ar;
	struct topo_smmu *s;
	struct topo_dev win;
	uint32_t sid = 0;
	int st, rc;

	if ((st = dispatch_smmu(x, a->smmu, &s)) != ST(OK))
		return st;
	memset(&win, 0, sizeof(win));
	if (a->window != NULL) {
		win.has_window = true;
		win.start = a->window->start;
		win.end = a->window->end;
	}
	rc = topo_dev_attach(s, a->device,
	    a->sid_opt_case == SMMU__V1__ATTACH__SID_OPT_SID, a->sid, &win,
	    &sid, x->msg, sizeof(x->msg));
	if (rc < 0)
		return dispatch_topo_status(rc);
	if ((ar = dispatch_alloc(x, sizeof(*ar))) == NULL)
		return dispatch_oom(x);
	smmu__v1__attach_result__init(ar);
	ar->sid = sid;
	resp->body_case = SMMU__V1__RESPONSE__BODY_ATTACH;
	resp->attach = ar;
	if (win.has_window)
		log_info("%s: attached '%s' to %s as StreamID %u, DMA window "
		    "[0x%llx, 0x%llx]", x->c->label, a->device, s->path, sid,
		    (unsigned long long)win.start,
		    (unsigned long long)win.end);
	else
		log_info("%s: attached '%s' to %s as StreamID %u",
		    x->c->label, a->device, s->path, sid);
	return ST(OK);
}

/* Detach: remove a device binding. */
static int
dispatch_detach(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__Detach *d = req->detach;
	struct topo_smmu *s;
	uint32_t sid;
	int st, rc;

	if ((st = dispatch_smmu(x, d->smmu, &s)) != ST(OK))
		return st;
	rc = topo_dev_detach(s, d->device, &sid, x->msg, sizeof(x->msg));
	if (rc < 0)
		return dispatch_topo_status(rc);
	log_info("%s: detached '%s' (StreamID %u) from %s", x->c->label,
	    d->device, sid, s->path);
	return ST(OK);
}

/* Append the devices of s to the result being built. */
static int
dispatch_list_smmu(struct dispatch_ctx *x, struct topo_smmu *s,
    Smmu__V1__ListDevicesResult *lr, size_t *cap)
{
	Smmu__V1__Device **nd, *dv;
	Smmu__V1__DmaWindow *w;
	struct topo_dev *devs, *copy;
	unsigned i, n;

	if (topo_dev_list(s, &devs, &n) < 0)
		return dispatch_oom(x);
	if (n == 0)
		return ST(OK);
	/* The copy moves into the arena: the reply points into it. */
	copy = dispatch_allocarray(x, n, sizeof(*copy));
	dv = dispatch_allocarray(x, n, sizeof(*dv));
	w = dispatch_allocarray(x, n, sizeof(*w));
	if (copy == NULL || dv == NULL || w == NULL) {
		free(devs);
		return dispatch_oom(x);
	}
	memcpy(copy, devs, n * sizeof(*copy));
	free(devs);
	if (lr->n_devices + n > *cap) {
		*cap = 2 * (lr->n_devices + n);
		nd = dispatch_allocarray(x, *cap, sizeof(*nd));
		if (nd == NULL)
			return dispatch_oom(x);
		if (lr->n_devices > 0)
			memcpy(nd, lr->devices,
			    lr->n_devices * sizeof(*nd));
		lr->devices = nd;
	}
	for (i = 0; i < n; i++) {
		smmu__v1__device__init(&dv[i]);
		dv[i].smmu = s->path;
		dv[i].name = copy[i].name;
		dv[i].sid = copy[i].sid;
		if (copy[i].has_window) {
			smmu__v1__dma_window__init(&w[i]);
			w[i].start = copy[i].start;
			w[i].end = copy[i].end;
			dv[i].window = &w[i];
		}
		lr->devices[lr->n_devices++] = &dv[i];
	}
	return ST(OK);
}

/* ListDevices: one SMMU's devices, or those of every visible SMMU. */
static int
dispatch_list_devices(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__ListDevices *l = req->list_devices;
	Smmu__V1__ListDevicesResult *lr;
	struct topo_smmu *s;
	struct topo_vm *vm;
	size_t cap = 0;
	unsigned i, j;
	int st;

	if ((lr = dispatch_alloc(x, sizeof(*lr))) == NULL)
		return dispatch_oom(x);
	smmu__v1__list_devices_result__init(lr);
	if (l->smmu[0] != '\0') {
		if ((st = dispatch_smmu(x, l->smmu, &s)) != ST(OK))
			return st;
		if ((st = dispatch_list_smmu(x, s, lr, &cap)) != ST(OK))
			return st;
	} else {
		for (i = 0; i < x->view->nr_vms; i++) {
			vm = x->view->vms[i];
			if (!topo_vm_visible(x->view, &x->c->peer, vm))
				continue;
			for (j = 0; j < vm->nr_smmus; j++) {
				st = dispatch_list_smmu(x, &vm->smmus[j], lr,
				    &cap);
				if (st != ST(OK))
					return st;
			}
		}
	}
	resp->body_case = SMMU__V1__RESPONSE__BODY_LIST_DEVICES;
	resp->list_devices = lr;
	return ST(OK);
}

/* ---- translation ------------------------------------------------- */

/* Fill a Fault from an engine event record. */
static void
dispatch_fault_fill(Smmu__V1__Fault *f, const struct smmu_event *e,
    uint32_t idx)
{
	smmu__v1__fault__init(f);
	f->type = e->type;
	f->type_name = dispatch_str(smmu_event_name(e->type));
	f->sid = e->sid;
	f->ssid = e->ssid;
	f->ssv = e->ssv;
	f->input_addr = e->input_addr;
	f->ipa = e->ipa;
	f->fetch_addr = e->fetch_addr;
	f->rnw = e->rnw;
	f->ind = e->ind;
	f->pnu = e->pnu;
	f->s2 = e->s2;
	f->class_ = e->evclass;
	f->recorded = e->record;
	f->abort = e->abort;
	f->detail = dispatch_str(e->detail != NULL ? e->detail : "");
	f->index = idx;
}

/*
 * Translate one transaction, first applying the DMA window of an attached
 * device: outside it the answer is an F_TRANSLATION fault that is not
 * recorded in the guest's event queue (the window is a host-side policy,
 * not guest-visible state) and the engine is not consulted.  Returns
 * SMMU_XLATE_OK, SMMU_XLATE_FAULT or a negative smmu_err.
 */
static int
dispatch_translate_one(struct topo_smmu *s, const struct smmu_txn *txn,
    struct smmu_xlate *xl, struct smmu_event *evt)
{
	uint64_t start, end;
	unsigned acc = txn->access;

	if (topo_dev_window(s, txn->sid, &start, &end) &&
	    (txn->iova < start || txn->iova > end)) {
		memset(evt, 0, sizeof(*evt));
		evt->type = SMMU_EVT_F_TRANSLATION;
		evt->evclass = SMMU_EVT_CLASS_IN;
		evt->sid = txn->sid;
		evt->ssid = txn->ssid;
		evt->ssv = txn->ssv;
		evt->input_addr = txn->iova;
		/* An atomic read-modify-write has RnW = 0 (event.h). */
		evt->rnw = !(acc & SMMU_ACC_WRITE);
		evt->ind = (acc & SMMU_ACC_EXEC) != 0;
		evt->pnu = (acc & SMMU_ACC_PRIV) != 0;
		evt->record = false;
		evt->abort = true;
		evt->detail = "outside the device's DMA window";
		return SMMU_XLATE_FAULT;
	}
	return smmu_translate(s->smmu, txn, xl, evt);
}

/* Translate: one IOVA through an SMMU. */
static int
dispatch_translate(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__Translate *t = req->translate;
	Smmu__V1__TranslateResult *tr;
	Smmu__V1__Mapping *m;
	Smmu__V1__Fault *f;
	struct topo_smmu *s;
	struct smmu_txn txn;
	struct smmu_xlate xl;
	struct smmu_event evt;
	int st, rc;

	if ((st = dispatch_smmu(x, t->smmu, &s)) != ST(OK))
		return st;
	if (t->access & ~DISPATCH_ACCESS_KNOWN)
		return dispatch_fail(x, ST(INVALID_ARGUMENT), "unknown access "
		    "bits 0x%x (known: READ 1, WRITE 2, EXEC 4, PRIV 8)",
		    t->access & ~DISPATCH_ACCESS_KNOWN);
	txn.sid = t->sid;
	txn.ssid = t->ssid;
	txn.ssv = t->ssv;
	txn.iova = t->iova;
	txn.access = t->access != 0 ? t->access : SMMU_ACC_READ;
	rc = dispatch_translate_one(s, &txn, &xl, &evt);
	if (rc < 0)
		return dispatch_fail(x, rc == SMMU_ERR_INVAL ?
		    ST(INVALID_ARGUMENT) : ST(INTERNAL), "%s: translate: %s",
		    s->path, smmu_strerror(rc));
	if ((tr = dispatch_alloc(x, sizeof(*tr))) == NULL)
		return dispatch_oom(x);
	smmu__v1__translate_result__init(tr);
	if (rc == SMMU_XLATE_OK) {
		if ((m = dispatch_alloc(x, sizeof(*m))) == NULL)
			return dispatch_oom(x);
		smmu__v1__mapping__init(m);
		m->output = xl.oa;
		m->start = xl.base;
		m->size_log2 = xl.size_log2;
		m->perm = xl.perm;
		m->tlb_hit = xl.tlb_hit;
		m->bypass = xl.bypass;
		tr->outcome_case = SMMU__V1__TRANSLATE_RESULT__OUTCOME_MAPPING;
		tr->mapping = m;
	} else {
		if ((f = dispatch_alloc(x, sizeof(*f))) == NULL)
			return dispatch_oom(x);
		dispatch_fault_fill(f, &evt, 0);
		tr->outcome_case = SMMU__V1__TRANSLATE_RESULT__OUTCOME_FAULT;
		tr->fault = f;
	}
	resp->body_case = SMMU__V1__RESPONSE__BODY_TRANSLATE;
	resp->translate = tr;
	return ST(OK);
}

/* TranslateBatch: many translations, parallel arrays in and out. */
static int
dispatch_translate_batch(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__TranslateBatch *b = req->translate_batch;
	Smmu__V1__TranslateBatchResult *br;
	Smmu__V1__Fault *f;
	struct topo_smmu *s;
	struct smmu_txn txn;
	struct smmu_xlate xl;
	struct smmu_event evt;
	size_t i, n = b->n_sid;
	int st, rc;

	if ((st = dispatch_smmu(x, b->smmu, &s)) != ST(OK))
		return st;
	if (b->n_iova != n || b->n_access != n)
		return dispatch_fail(x, ST(INVALID_ARGUMENT), "TranslateBatch "
		    "arrays differ in length: %zu sid, %zu iova, %zu access", n,
		    b->n_iova, b->n_access);
	if ((b->n_ssid != 0 && b->n_ssid != n) ||
	    (b->n_ssv != 0 && b->n_ssv != n))
		return dispatch_fail(x, ST(INVALID_ARGUMENT), "TranslateBatch "
		    "ssid and ssv must be empty or have %zu entries (got %zu "
		    "ssid, %zu ssv)", n, b->n_ssid, b->n_ssv);
	if (n > DISPATCH_BATCH_MAX)
		return dispatch_fail(x, ST(RESOURCE_EXHAUSTED),
		    "TranslateBatch of %zu entries exceeds the limit of %d", n,
		    DISPATCH_BATCH_MAX);
	for (i = 0; i < n; i++)
		if (b->access[i] & ~DISPATCH_ACCESS_KNOWN)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "entry "
			    "%zu: unknown access bits 0x%x", i,
			    b->access[i] & ~DISPATCH_ACCESS_KNOWN);
	if ((br = dispatch_alloc(x, sizeof(*br))) == NULL)
		return dispatch_oom(x);
	smmu__v1__translate_batch_result__init(br);
	br->output = dispatch_allocarray(x, n, sizeof(*br->output));
	br->size_log2 = dispatch_allocarray(x, n, sizeof(*br->size_log2));
	br->perm = dispatch_allocarray(x, n, sizeof(*br->perm));
	br->faults = dispatch_allocarray(x, n, sizeof(*br->faults));
	if (br->output == NULL || br->size_log2 == NULL || br->perm == NULL ||
	    br->faults == NULL)
		return dispatch_oom(x);
	br->n_output = br->n_size_log2 = br->n_perm = n;
	for (i = 0; i < n; i++) {
		txn.sid = b->sid[i];
		txn.iova = b->iova[i];
		txn.access = b->access[i] != 0 ? b->access[i] : SMMU_ACC_READ;
		txn.ssid = b->n_ssid != 0 ? b->ssid[i] : 0;
		txn.ssv = b->n_ssv != 0 ? b->ssv[i] : false;
		rc = dispatch_translate_one(s, &txn, &xl, &evt);
		if (rc < 0)
			return dispatch_fail(x, rc == SMMU_ERR_INVAL ?
			    ST(INVALID_ARGUMENT) : ST(INTERNAL),
			    "%s: entry %zu: %s", s->path, i,
			    smmu_strerror(rc));
		if (rc == SMMU_XLATE_OK) {
			br->output[i] = xl.oa;
			br->size_log2[i] = xl.size_log2;
			br->perm[i] = xl.perm;
			if (xl.tlb_hit)
				br->tlb_hits++;
			continue;
		}
		if ((f = dispatch_alloc(x, sizeof(*f))) == NULL)
			return dispatch_oom(x);
		dispatch_fault_fill(f, &evt, (uint32_t)i);
		br->faults[br->n_faults++] = f;
	}
	resp->body_case = SMMU__V1__RESPONSE__BODY_TRANSLATE_BATCH;
	resp->translate_batch = br;
	return ST(OK);
}

/* ---- invalidation ------------------------------------------------ */

/* Invalidate: the structured scopes, as the matching commands. */
static int
dispatch_invalidate(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	static const char *const op_names[] = {
		[SMMU_INV_CFGI_ALL] = "CFGI_ALL",
		[SMMU_INV_CFGI_STE] = "CFGI_STE",
		[SMMU_INV_TLBI_NH_ASID] = "TLBI_NH_ASID",
		[SMMU_INV_TLBI_NH_VA] = "TLBI_NH_VA",
		[SMMU_INV_TLBI_NH_VAA] = "TLBI_NH_VAA",
		[SMMU_INV_TLBI_S12_VMALL] = "TLBI_S12_VMALL",
		[SMMU_INV_TLBI_NSNH_ALL] = "TLBI_NSNH_ALL",
	};
	const Smmu__V1__Invalidate *inv = req->invalidate;
	Smmu__V1__InvalidateResult *ir;
	const Smmu__V1__InvRange *r;
	struct smmu_inv ops[2];
	struct topo_smmu *s;
	uint64_t dropped = 0;
	unsigned i, nr_ops = 0;
	int st, rc;

	if ((st = dispatch_smmu(x, inv->smmu, &s)) != ST(OK))
		return st;
	if (inv->n_raw_commands > 0)
		return dispatch_fail(x, ST(UNIMPLEMENTED), "not implemented "
		    "yet: Invalidate with raw commands (the command queue will "
		    "execute them)");
	memset(ops, 0, sizeof(ops));
	switch (inv->scope_case) {
	case SMMU__V1__INVALIDATE__SCOPE_ALL:
		ops[nr_ops++].op = SMMU_INV_CFGI_ALL;
		ops[nr_ops++].op = SMMU_INV_TLBI_NSNH_ALL;
		break;
	case SMMU__V1__INVALIDATE__SCOPE_SID:
		if ((uint64_t)inv->sid->sid >= 1ull << s->sid_bits)
			return dispatch_fail(x, ST(INVALID_ARGUMENT),
			    "StreamID %u is out of range for %s (sid_bits %u)",
			    inv->sid->sid, s->path, s->sid_bits);
		/*
		 * The stream's configuration, then every TLB entry: the
		 * TLB is tagged by VMID/ASID, not by StreamID, so this is
		 * what a driver does after changing an STE.  Invalidating
		 * more than asked is always architecturally allowed
		 * (SMMUv3 section 4.4: an implementation may invalidate
		 * more entries than a command specifies).
		 */
		ops[nr_ops].op = SMMU_INV_CFGI_STE;
		ops[nr_ops++].sid = inv->sid->sid;
		ops[nr_ops++].op = SMMU_INV_TLBI_NSNH_ALL;
		break;
	case SMMU__V1__INVALIDATE__SCOPE_ASID:
		if (inv->asid->asid > UINT16_MAX ||
		    inv->asid->vmid > UINT16_MAX)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "ASID %u "
			    "/ VMID %u out of range (16 bits)", inv->asid->asid,
			    inv->asid->vmid);
		ops[nr_ops].op = SMMU_INV_TLBI_NH_ASID;
		ops[nr_ops].asid = (uint16_t)inv->asid->asid;
		ops[nr_ops++].vmid = (uint16_t)inv->asid->vmid;
		break;
	case SMMU__V1__INVALIDATE__SCOPE_VMID:
		if (inv->vmid->vmid > UINT16_MAX)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "VMID %u "
			    "out of range (16 bits)", inv->vmid->vmid);
		ops[nr_ops].op = SMMU_INV_TLBI_S12_VMALL;
		ops[nr_ops++].vmid = (uint16_t)inv->vmid->vmid;
		break;
	case SMMU__V1__INVALIDATE__SCOPE_RANGE:
		r = inv->range;
		if (r->size == 0 || r->iova + (r->size - 1) < r->iova)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "bad "
			    "IOVA range 0x%llx + 0x%llx",
			    (unsigned long long)r->iova,
			    (unsigned long long)r->size);
		if (r->vmid > UINT16_MAX ||
		    (r->asid_opt_case == SMMU__V1__INV_RANGE__ASID_OPT_ASID &&
		    r->asid > UINT16_MAX))
			return dispatch_fail(x, ST(INVALID_ARGUMENT),
			    "ASID/VMID out of range (16 bits)");
		if (r->asid_opt_case == SMMU__V1__INV_RANGE__ASID_OPT_ASID) {
			ops[nr_ops].op = SMMU_INV_TLBI_NH_VA;
			ops[nr_ops].asid = (uint16_t)r->asid;
		} else {
			ops[nr_ops].op = SMMU_INV_TLBI_NH_VAA;
		}
		ops[nr_ops].vmid = (uint16_t)r->vmid;
		ops[nr_ops].addr = r->iova;
		ops[nr_ops].len = r->size;	/* tg = 0: a byte range */
		ops[nr_ops++].leaf = r->leaf;
		break;
	default:
		return dispatch_fail(x, ST(INVALID_ARGUMENT), "Invalidate "
		    "needs a scope (all, sid, asid, vmid or range)");
	}
	for (i = 0; i < nr_ops; i++) {
		rc = smmu_invalidate(s->smmu, &ops[i]);
		if (rc < 0)
			return dispatch_fail(x, rc == SMMU_ERR_NOTSUP ?
			    ST(FAILED_PRECONDITION) : ST(INVALID_ARGUMENT),
			    "%s: %s: %s", s->path, op_names[ops[i].op],
			    smmu_strerror(rc));
		dropped += (uint64_t)rc;
	}
	if ((ir = dispatch_alloc(x, sizeof(*ir))) == NULL)
		return dispatch_oom(x);
	smmu__v1__invalidate_result__init(ir);
	ir->dropped = dropped;
	resp->body_case = SMMU__V1__RESPONSE__BODY_INVALIDATE;
	resp->invalidate = ir;
	log_debug("%s: %s: invalidated, %llu entries dropped", x->c->label,
	    s->path, (unsigned long long)dropped);
	return ST(OK);
}

/* ---- statistics -------------------------------------------------- */

/* Resident set size from /proc/self/statm, or 0. */
static uint64_t
dispatch_rss_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	long ps = sysconf(_SC_PAGESIZE);
	FILE *f;

	if ((f = fopen("/proc/self/statm", "re")) == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	(void)fclose(f);
	return (uint64_t)resident * (uint64_t)(ps > 0 ? ps : 4096);
}

/* Fill Counters from engine stats (faults_by_type: non-zero only). */
static int
dispatch_counters_fill(struct dispatch_ctx *x, Smmu__V1__Counters *c,
    const struct smmu_stats *st)
{
	Smmu__V1__FaultCount *fc;
	unsigned i, n = 0;

	smmu__v1__counters__init(c);
	c->translations = st->translations;
	c->tlb_hits = st->tlb_hits;
	c->tlb_misses = st->tlb_misses;
	c->walks = st->walks;
	c->faults = st->faults;
	c->bypassed = st->bypassed;
	for (i = 0; i < SMMU_STATS_NR_FAULTS; i++)
		if (st->fault_by_type[i] != 0)
			n++;
	if (n == 0)
		return ST(OK);
	fc = dispatch_allocarray(x, n, sizeof(*fc));
	c->faults_by_type = dispatch_allocarray(x, n,
	    sizeof(*c->faults_by_type));
	if (fc == NULL || c->faults_by_type == NULL)
		return dispatch_oom(x);
	for (i = 0; i < SMMU_STATS_NR_FAULTS; i++) {
		if (st->fault_by_type[i] == 0)
			continue;
		smmu__v1__fault_count__init(fc);
		fc->type = smmu_stats_fault_type(i);
		fc->name = dispatch_str(smmu_event_name(fc->type));
		fc->count = st->fault_by_type[i];
		c->faults_by_type[c->n_faults_by_type++] = fc++;
	}
	return ST(OK);
}

static void
dispatch_cache_fill(Smmu__V1__CacheStats *c, const struct smmu_cache_stats *st)
{
	smmu__v1__cache_stats__init(c);
	c->hits = st->hits;
	c->misses = st->misses;
	c->insertions = st->insertions;
	c->evictions = st->evictions;
	c->invalidations = st->invalidations;
	c->entries = st->entries;
	c->capacity = st->capacity;
}

/* State of smmu_stream_stats_foreach() callbacks. */
struct dispatch_streams {
	struct dispatch_ctx *x;
	Smmu__V1__SmmuStats *ss;
	size_t cap;		/* 0: counting pass */
	size_t count;
	int status;
};

/* Count streams, or fill one StreamStats per stream. */
static int
dispatch_stream_cb(void *arg, uint32_t sid, const struct smmu_stats *st)
{
	struct dispatch_streams *d = arg;
	Smmu__V1__StreamStats *s;
	Smmu__V1__Counters *c;

	if (d->cap == 0) {
		d->count++;
		return 0;
	}
	if (d->ss->n_streams == d->cap)
		return 1;	/* streams appeared since the counting pass */
	s = dispatch_alloc(d->x, sizeof(*s));
	c = dispatch_alloc(d->x, sizeof(*c));
	if (s == NULL || c == NULL) {
		d->status = dispatch_oom(d->x);
		return 1;
	}
	smmu__v1__stream_stats__init(s);
	s->sid = sid;
	if ((d->status = dispatch_counters_fill(d->x, c, st)) != ST(OK))
		return 1;
	s->counters = c;
	d->ss->streams[d->ss->n_streams++] = s;
	return 0;
}

/* Stats of one SMMU, with per-stream counters if asked. */
static int
dispatch_smmu_stats(struct dispatch_ctx *x, struct topo_smmu *s, bool streams,
    Smmu__V1__SmmuStats **ret)
{
	Smmu__V1__SmmuStats *ss;
	Smmu__V1__Counters *c;
	Smmu__V1__CacheStats *tlb, *cfg;
	struct smmu_stats st;
	struct dispatch_streams d;
	int rc;

	ss = dispatch_alloc(x, sizeof(*ss));
	c = dispatch_alloc(x, sizeof(*c));
	tlb = dispatch_alloc(x, sizeof(*tlb));
	cfg = dispatch_alloc(x, sizeof(*cfg));
	if (ss == NULL || c == NULL || tlb == NULL || cfg == NULL)
		return dispatch_oom(x);
	smmu__v1__smmu_stats__init(ss);
	smmu_stats_get(s->smmu, &st);
	ss->smmu = s->path;
	if ((rc = dispatch_counters_fill(x, c, &st)) != ST(OK))
		return rc;
	ss->counters = c;
	dispatch_cache_fill(tlb, &st.tlb);
	dispatch_cache_fill(cfg, &st.cfg);
	ss->tlb = tlb;
	ss->cfg = cfg;
	if (streams) {
		memset(&d, 0, sizeof(d));
		d.x = x;
		d.ss = ss;
		d.status = ST(OK);
		(void)smmu_stream_stats_foreach(s->smmu, dispatch_stream_cb,
		    &d);
		if (d.count > 0) {
			d.cap = d.count;
			ss->streams = dispatch_allocarray(x, d.cap,
			    sizeof(*ss->streams));
			if (ss->streams == NULL)
				return dispatch_oom(x);
			(void)smmu_stream_stats_foreach(s->smmu,
			    dispatch_stream_cb, &d);
			if (d.status != ST(OK))
				return d.status;
		}
	}
	*ret = ss;
	return ST(OK);
}

/* Stats: the daemon's counters and those of the visible SMMUs. */
static int
dispatch_stats(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__Stats *sr = req->stats;
	Smmu__V1__StatsResult *res;
	Smmu__V1__DaemonStats *ds;
	struct conn_stats cs;
	struct timespec now;
	struct topo_smmu *s;
	struct topo_vm *vm;
	size_t cap = 0;
	unsigned i, j;
	int st;

	res = dispatch_alloc(x, sizeof(*res));
	ds = dispatch_alloc(x, sizeof(*ds));
	if (res == NULL || ds == NULL)
		return dispatch_oom(x);
	smmu__v1__stats_result__init(res);
	smmu__v1__daemon_stats__init(ds);
	conn_stats_get(&cs);
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ds->uptime_ms = (uint64_t)(now.tv_sec - dispatch_start.tv_sec) *
	    1000 + (uint64_t)(now.tv_nsec / 1000000) -
	    (uint64_t)(dispatch_start.tv_nsec / 1000000);
	ds->clients = cs.clients;
	ds->requests = cs.requests;
	ds->errors = cs.errors;
	ds->bytes_in = cs.bytes_in;
	ds->bytes_out = cs.bytes_out;
	ds->workers = cs.workers;
	ds->rss_bytes = dispatch_rss_bytes();
	res->daemon = ds;
	if (sr->smmu[0] != '\0') {
		if ((st = dispatch_smmu(x, sr->smmu, &s)) != ST(OK))
			return st;
		res->smmus = dispatch_alloc(x, sizeof(*res->smmus));
		if (res->smmus == NULL)
			return dispatch_oom(x);
		if ((st = dispatch_smmu_stats(x, s, sr->streams,
		    &res->smmus[0])) != ST(OK))
			return st;
		res->n_smmus = 1;
	} else {
		for (i = 0; i < x->view->nr_vms; i++)
			cap += x->view->vms[i]->nr_smmus;
		res->smmus = dispatch_allocarray(x, cap, sizeof(*res->smmus));
		if (res->smmus == NULL)
			return dispatch_oom(x);
		for (i = 0; i < x->view->nr_vms; i++) {
			vm = x->view->vms[i];
			if (!topo_vm_visible(x->view, &x->c->peer, vm))
				continue;
			for (j = 0; j < vm->nr_smmus; j++) {
				st = dispatch_smmu_stats(x, &vm->smmus[j],
				    sr->streams, &res->smmus[res->n_smmus]);
				if (st != ST(OK))
					return st;
				res->n_smmus++;
			}
		}
	}
	resp->body_case = SMMU__V1__RESPONSE__BODY_STATS;
	resp->stats = res;
	return ST(OK);
}

/* ---- guest memory ------------------------------------------------ */

/* The largest MemRead/MemWrite payload under the max_frame in force. */
static uint32_t
dispatch_mem_max(const struct dispatch_ctx *x)
{
	return x->max_frame > DISPATCH_MEM_OVERHEAD ?
	    x->max_frame - DISPATCH_MEM_OVERHEAD : 0;
}

/* Status for a failed gmem_read()/gmem_write() of [gpa, gpa + len). */
static int
dispatch_mem_fail(struct dispatch_ctx *x, const struct topo_vm *vm, int rc,
    uint64_t gpa, size_t len)
{
	if (rc == SMMU_ERR_RANGE)
		return dispatch_fail(x, ST(BAD_ADDRESS), "%s: guest memory at "
		    "0x%llx (%zu bytes) is not backed", vm->name,
		    (unsigned long long)gpa, len);
	return dispatch_fail(x, ST(INVALID_ARGUMENT), "%s: 0x%llx (%zu bytes): "
	    "%s", vm->name, (unsigned long long)gpa, len, smmu_strerror(rc));
}

/* MemRead: bytes of guest memory. */
static int
dispatch_mem_read(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__MemRead *m = req->mem_read;
	Smmu__V1__MemReadResult *mr;
	struct topo_vm *vm;
	uint8_t *buf;
	int st, rc;

	if ((st = dispatch_vm(x, m->vm, &vm)) != ST(OK))
		return st;
	if (m->len > dispatch_mem_max(x))
		return dispatch_fail(x, ST(INVALID_ARGUMENT), "MemRead of %u "
		    "bytes exceeds max_frame - %d = %u", m->len,
		    DISPATCH_MEM_OVERHEAD, dispatch_mem_max(x));
	mr = dispatch_alloc(x, sizeof(*mr));
	buf = dispatch_alloc(x, m->len);
	if (mr == NULL || buf == NULL)
		return dispatch_oom(x);
	if (m->len > 0 && (rc = gmem_read(vm->gmem, m->gpa, buf,
	    m->len)) < 0)
		return dispatch_mem_fail(x, vm, rc, m->gpa, m->len);
	smmu__v1__mem_read_result__init(mr);
	mr->data.data = buf;
	mr->data.len = m->len;
	resp->body_case = SMMU__V1__RESPONSE__BODY_MEM_READ;
	resp->mem_read = mr;
	return ST(OK);
}

/* MemWrite: store bytes into guest memory. */
static int
dispatch_mem_write(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__MemWrite *m = req->mem_write;
	Smmu__V1__MemWriteResult *mr;
	struct topo_vm *vm;
	int st, rc;

	if ((st = dispatch_vm(x, m->vm, &vm)) != ST(OK))
		return st;
	if (m->data.len > dispatch_mem_max(x))
		return dispatch_fail(x, ST(INVALID_ARGUMENT), "MemWrite of %zu "
		    "bytes exceeds max_frame - %d = %u", m->data.len,
		    DISPATCH_MEM_OVERHEAD, dispatch_mem_max(x));
	if (m->data.len > 0 && (rc = gmem_write(vm->gmem, m->gpa,
	    m->data.data, m->data.len)) < 0)
		return dispatch_mem_fail(x, vm, rc, m->gpa, m->data.len);
	if ((mr = dispatch_alloc(x, sizeof(*mr))) == NULL)
		return dispatch_oom(x);
	smmu__v1__mem_write_result__init(mr);
	resp->body_case = SMMU__V1__RESPONSE__BODY_MEM_WRITE;
	resp->mem_write = mr;
	log_debug("%s: %s: wrote %zu bytes at 0x%llx", x->c->label, vm->name,
	    m->data.len, (unsigned long long)m->gpa);
	return ST(OK);
}

/*
 * Find the `backing: shared` region of vm at exactly [gpa, gpa + size).
 * Returns a Status; on OK the region's name is in *ret.
 */
static int
dispatch_shared_region(struct dispatch_ctx *x, struct topo_vm *vm, uint64_t gpa,
    uint64_t size, struct gmem_region_info *ret)
{
	struct gmem_region_info ri;
	unsigned i, n = gmem_nr_regions(vm->gmem);

	for (i = 0; i < n; i++) {
		if (gmem_region_get(vm->gmem, i, &ri) < 0)
			continue;
		if (gpa < ri.gpa || gpa - ri.gpa >= ri.size)
			continue;
		if (ri.backing != GMEM_SHARED)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "%s: "
			    "region '%s' at 0x%llx is not `backing: shared`",
			    vm->name, ri.name, (unsigned long long)gpa);
		if (ri.gpa != gpa || ri.size != size)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "%s: "
			    "shared region '%s' is [0x%llx, +0x%llx), not "
			    "[0x%llx, +0x%llx)", vm->name, ri.name,
			    (unsigned long long)ri.gpa,
			    (unsigned long long)ri.size,
			    (unsigned long long)gpa, (unsigned long long)size);
		*ret = ri;
		return ST(OK);
	}
	return dispatch_fail(x, ST(NOT_FOUND), "%s: no shared region at 0x%llx",
	    vm->name, (unsigned long long)gpa);
}

/* Check every region of a ShareMemory before mapping any. */
static int
dispatch_share_check(struct dispatch_ctx *x, struct topo_vm *vm,
    const Smmu__V1__ShareMemory *sm, const int *fds,
    struct gmem_region_info *ri)
{
	const Smmu__V1__SharedRegion *r;
	struct stat st;
	size_t i, j;
	int rc, seals;

	for (i = 0; i < sm->n_regions; i++) {
		r = sm->regions[i];
		if ((rc = dispatch_shared_region(x, vm, r->gpa, r->size,
		    &ri[i])) != ST(OK))
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(ri[j].name, ri[i].name) == 0)
				return dispatch_fail(x, ST(INVALID_ARGUMENT),
				    "%s: region '%s' named twice", vm->name,
				    ri[i].name);
		if (r->offset % DISPATCH_PAGE_SIZE != 0)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "%s: "
			    "region '%s': offset 0x%llx is not 4 KiB aligned",
			    vm->name, ri[i].name,
			    (unsigned long long)r->offset);
		if (fstat(fds[i], &st) == -1)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "%s: "
			    "region '%s': fd %zu: %s", vm->name, ri[i].name, i,
			    strerror(errno));
		if (!S_ISREG(st.st_mode))
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "%s: "
			    "region '%s': fd %zu is not a memfd or regular "
			    "file",
			    vm->name, ri[i].name, i);
		/*
		 * A file that can shrink under our MAP_SHARED mapping would
		 * turn the next guest-table read into SIGBUS for the whole
		 * daemon, so the VMM must seal it against shrinking (QEMU's
		 * memory-backend-memfd does so by default, seal=on).
		 */
		seals = fcntl(fds[i], F_GET_SEALS);
		if (seals == -1 || !(seals & F_SEAL_SHRINK))
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "%s: "
			    "region '%s': fd %zu is not sealed against "
			    "shrinking (memfd_create with MFD_ALLOW_SEALING, "
			    "then F_ADD_SEALS F_SEAL_SHRINK)",
			    vm->name, ri[i].name, i);
		if (r->offset + r->size < r->offset ||
		    (uint64_t)st.st_size < r->offset + r->size)
			return dispatch_fail(x, ST(INVALID_ARGUMENT), "%s: "
			    "region '%s': fd %zu has %lld bytes, needs offset "
			    "+ size = 0x%llx", vm->name, ri[i].name, i,
			    (long long)st.st_size,
			    (unsigned long long)(r->offset + r->size));
	}
	return ST(OK);
}

/*
 * ShareMemory: map the VMM's memfds over `backing: shared` regions.  The
 * fds arrived with the frame (SCM_RIGHTS); exactly one per region is
 * taken from the connection's queue, and all are closed on every path
 * (the mappings hold their own references).
 */
static int
dispatch_share_memory(struct dispatch_ctx *x, const Smmu__V1__Request *req,
    Smmu__V1__Response *resp)
{
	const Smmu__V1__ShareMemory *sm = req->share_memory;
	struct gmem_region_info ri[FRAME_MAX_FDS];
	Smmu__V1__ShareMemoryResult *res;
	struct dispatch_client *c = x->c;
	int fds[FRAME_MAX_FDS];
	struct topo_vm *vm;
	size_t i, want = sm->n_regions, got = 0;
	unsigned avail = c->fd_count(c->fd_arg);
	int st, rc;

	/* Take this request's fds first, so every path closes them. */
	while (got < want && got < FRAME_MAX_FDS &&
	    (fds[got] = c->fd_pop(c->fd_arg)) != -1)
		got++;
	if (want == 0) {
		st = dispatch_fail(x, ST(INVALID_ARGUMENT), "ShareMemory names "
		    "no regions");
		goto out;
	}
	if (want > FRAME_MAX_FDS) {
		st = dispatch_fail(x, ST(INVALID_ARGUMENT), "ShareMemory names "
		    "%zu regions; at most %d per request", want, FRAME_MAX_FDS);
		goto out;
	}
	if (got < want) {
		st = dispatch_fail(x, ST(INVALID_ARGUMENT), "ShareMemory names "
		    "%zu regions but %u fds arrived", want, avail);
		goto out;
	}
	if ((st = dispatch_vm(x, sm->vm, &vm)) != ST(OK))
		goto out;
	(void)pthread_mutex_lock(&vm->share_lock);
	st = dispatch_share_check(x, vm, sm, fds, ri);
	for (i = 0; st == ST(OK) && i < want; i++) {
		rc = gmem_region_share(vm->gmem, ri[i].name, fds[i],
		    sm->regions[i]->offset);
		if (rc < 0)
			st = dispatch_fail(x, ST(INTERNAL), "%s: region '%s': "
			    "cannot map the fd: %s (%zu of %zu regions shared)",
			    vm->name, ri[i].name, smmu_strerror(rc), i, want);
	}
	(void)pthread_mutex_unlock(&vm->share_lock);
	if (st != ST(OK))
		goto out;
	if ((res = dispatch_alloc(x, sizeof(*res))) == NULL) {
		st = dispatch_oom(x);
		goto out;
	}
	smmu__v1__share_memory_result__init(res);
	res->regions = (uint32_t)want;
	resp->body_case = SMMU__V1__RESPONSE__BODY_SHARE_MEMORY;
	resp->share_memory = res;
	for (i = 0; i < want; i++)
		log_info("%s: %s: region '%s' [0x%llx, +0x%llx) now backed by "
		    "the VMM's memory", c->label, vm->name, ri[i].name,
		    (unsigned long long)ri[i].gpa,
		    (unsigned long long)ri[i].size);
out:
	for (i = 0; i < got; i++)
		(void)close(fds[i]);
	return st;
}

/* ---- the table --------------------------------------------------- */

static const struct dispatch_entry dispatch_table[] = {
	[RQ(HELLO)] = {
		"Hello", dispatch_hello,
		0
	},
	[RQ(ATTACH)] = {
		"Attach", dispatch_attach,
		DISPATCH_HELLO | DISPATCH_MUTATES
	},
	[RQ(DETACH)] = {
		"Detach", dispatch_detach,
		DISPATCH_HELLO | DISPATCH_MUTATES
	},
	[RQ(LIST_DEVICES)] = {
		"ListDevices", dispatch_list_devices,
		DISPATCH_HELLO
	},
	[RQ(TRANSLATE)] = {
		"Translate", dispatch_translate,
		DISPATCH_HELLO
	},
	[RQ(TRANSLATE_BATCH)] = {
		"TranslateBatch", dispatch_translate_batch,
		DISPATCH_HELLO
	},
	[RQ(INVALIDATE)] = {
		"Invalidate", dispatch_invalidate,
		DISPATCH_HELLO | DISPATCH_MUTATES
	},
	[RQ(STATS)] = {
		"Stats", dispatch_stats,
		DISPATCH_HELLO
	},
	[RQ(MEM_READ)] = {
		"MemRead", dispatch_mem_read,
		DISPATCH_HELLO
	},
	[RQ(MEM_WRITE)] = {
		"MemWrite", dispatch_mem_write,
		DISPATCH_HELLO | DISPATCH_MUTATES
	},
	[RQ(SHARE_MEMORY)] = {
		"ShareMemory", dispatch_share_memory,
		DISPATCH_HELLO | DISPATCH_MUTATES
	},
	[RQ(MMIO_READ)] = {
		"MmioRead", NULL,
		DISPATCH_HELLO | DISPATCH_LATER
	},
	[RQ(MMIO_WRITE)] = {
		"MmioWrite", NULL,
		DISPATCH_HELLO | DISPATCH_MUTATES | DISPATCH_LATER
	},
	[RQ(REGISTER_EVENTFD)] = {
		"RegisterEventfd", NULL,
		DISPATCH_HELLO | DISPATCH_MUTATES | DISPATCH_LATER
	},
	[RQ(MAP)] = {
		"Map", NULL,
		DISPATCH_HELLO | DISPATCH_MUTATES | DISPATCH_LATER
	},
	[RQ(UNMAP)] = {
		"Unmap", NULL,
		DISPATCH_HELLO | DISPATCH_MUTATES | DISPATCH_LATER
	},
	[RQ(MAP_MSI)] = {
		"MapMsi", NULL,
		DISPATCH_HELLO | DISPATCH_MUTATES | DISPATCH_LATER
	},
	[RQ(MAPPINGS)] = {
		"Mappings", NULL,
		DISPATCH_HELLO | DISPATCH_LATER
	},
	[RQ(SNAPSHOT_CREATE)] = {
		"SnapshotCreate", NULL,
		DISPATCH_HELLO | DISPATCH_ADMIN |
		    DISPATCH_MUTATES | DISPATCH_LATER
	},
	[RQ(SNAPSHOT_RESTORE)] = {
		"SnapshotRestore", NULL,
		DISPATCH_HELLO | DISPATCH_ADMIN |
		    DISPATCH_MUTATES | DISPATCH_LATER
	},
	[RQ(SNAPSHOT_LIST)] = {
		"SnapshotList", NULL,
		DISPATCH_HELLO | DISPATCH_ADMIN | DISPATCH_LATER
	},
	[RQ(SNAPSHOT_DELETE)] = {
		"SnapshotDelete", NULL,
		DISPATCH_HELLO | DISPATCH_ADMIN |
		    DISPATCH_MUTATES | DISPATCH_LATER
	},
	[RQ(SNAPSHOT_EXPORT)] = {
		"SnapshotExport", NULL,
		DISPATCH_HELLO | DISPATCH_ADMIN | DISPATCH_LATER
	},
	[RQ(SNAPSHOT_IMPORT)] = {
		"SnapshotImport", NULL,
		DISPATCH_HELLO | DISPATCH_ADMIN |
		    DISPATCH_MUTATES | DISPATCH_LATER
	},
};

#define DISPATCH_TABLE_LEN (sizeof(dispatch_table) / sizeof(dispatch_table[0]))

const char *
dispatch_request_name(unsigned body_case)
{
	if (body_case >= DISPATCH_TABLE_LEN)
		return NULL;
	return dispatch_table[body_case].name;
}

/* ---- unpacking under a heap budget ------------------------------- */

/* protobuf-c allocator: malloc while the request's budget lasts. */
static void *
dispatch_budget_alloc(void *data, size_t size)
{
	struct dispatch_budget *b = data;
	unsigned char *p;

	if (size > b->left || size > SIZE_MAX - DISPATCH_ALLOC_HDR)
		return NULL;
	if ((p = malloc(DISPATCH_ALLOC_HDR + size)) == NULL)
		return NULL;
	memcpy(p, &size, sizeof(size));
	b->left -= size;
	return p + DISPATCH_ALLOC_HDR;
}

static void
dispatch_budget_free(void *data, void *ptr)
{
	struct dispatch_budget *b = data;
	unsigned char *p;
	size_t size;

	if (ptr == NULL)
		return;
	p = (unsigned char *)ptr - DISPATCH_ALLOC_HDR;
	memcpy(&size, p, sizeof(size));
	b->left += size;
	free(p);
}

/* ---- the one reply path ------------------------------------------ */

int
dispatch_reply_error(dispatch_reply_cb reply, void *arg, uint32_t id,
    int status, const char *fmt, ...)
{
	Smmu__V1__Response resp;
	char msg[512];
	va_list ap;

	smmu__v1__response__init(&resp);
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp.id = id;
	resp.status = (Smmu__V1__Status)status;
	resp.message = msg;
	return reply(arg, &resp);
}

void
dispatch_init(struct topo *t)
{
	dispatch_topo = t;
	(void)clock_gettime(CLOCK_MONOTONIC, &dispatch_start);
}

/*
 * The gates every request passes before its handler, in one place: the
 * peer is still admitted, Hello came first, admin rights, not reserved
 * for later work.  Returns ST(OK) or the refusal (message in x->msg).
 */
static int
dispatch_gate(struct dispatch_ctx *x, const struct dispatch_entry *e)
{
	struct dispatch_client *c = x->c;

	if (!topo_peer_allowed(x->view, &c->peer, &x->admin)) {
		/* The access rules changed under a reload. */
		c->close = true;
		return dispatch_fail(x, ST(PERMISSION_DENIED), "uid %u is no "
		    "longer allowed by the access rules",
		    (unsigned)c->peer.uid);
	}
	if ((e->flags & DISPATCH_HELLO) && !c->hello)
		return dispatch_fail(x, ST(FAILED_PRECONDITION), "%s before "
		    "Hello: the first request must be Hello", e->name);
	if ((e->flags & DISPATCH_ADMIN) && !x->admin)
		return dispatch_fail(x, ST(PERMISSION_DENIED), "%s needs an "
		    "admin access rule (uid %u has none)", e->name,
		    (unsigned)c->peer.uid);
	if (e->flags & DISPATCH_LATER)
		return dispatch_fail(x, ST(UNIMPLEMENTED), "not implemented "
		    "yet: %s", e->name);
	return ST(OK);
}

int
dispatch_frame(struct dispatch_client *c, const uint8_t *buf, size_t len,
    uint32_t max_frame, dispatch_reply_cb reply, void *arg)
{
	Smmu__V1__Response resp;
	struct dispatch_budget budget;
	ProtobufCAllocator alloc = {
		.alloc = dispatch_budget_alloc,
		.free = dispatch_budget_free,
		.allocator_data = &budget,
	};
	const struct dispatch_entry *e = NULL;
	struct dispatch_ctx x;
	Smmu__V1__Request *req;
	const char *name = "request";
	int status;

	budget.left = (size_t)DISPATCH_HEAP_BUDGET_FRAMES *
	    (max_frame > 0 ? max_frame : FRAME_DEFAULT_MAX);
	req = smmu__v1__request__unpack(&alloc, len, buf);
	if (req == NULL) {
		/* Framing may be off from here on: stop listening. */
		log_warnx("%s: malformed request (%zu bytes), closing",
		    c->label, len);
		c->close = true;
		(void)dispatch_reply_error(reply, arg, 0,
		    ST(INVALID_ARGUMENT), "malformed request (%zu bytes)",
		    len);
		return ST(INVALID_ARGUMENT);
	}
	smmu__v1__response__init(&resp);
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.view = topo_view_get(dispatch_topo);
	x.max_frame = max_frame;
	if ((unsigned)req->body_case < DISPATCH_TABLE_LEN)
		e = &dispatch_table[req->body_case];
	if (e == NULL || e->name == NULL) {
		/* A newer client's request: say so, keep the connection. */
		status = dispatch_fail(&x, ST(UNIMPLEMENTED), "unknown request "
		    "type (field %d of Request; a newer protocol?)",
		    (int)req->body_case);
	} else {
		name = e->name;
		status = dispatch_gate(&x, e);
		if (status == ST(OK))
			status = e->fn(&x, req, &resp);
		if (status == ST(OK) && (e->flags & DISPATCH_MUTATES))
			log_debug("%s: %s %u done", c->label, name, req->id);
	}
	resp.id = req->id;
	resp.status = (Smmu__V1__Status)status;
	if (status != ST(OK)) {
		/* An error carries its message and no body. */
		resp.body_case = SMMU__V1__RESPONSE__BODY__NOT_SET;
		resp.message = x.msg;
		log_debug("%s: %s %u: %s: %s", c->label, name, req->id,
		    frame_status_name(status), x.msg);
	}
	if (reply(arg, &resp) == -1)
		c->close = true;
	dispatch_arena_free(&x);
	smmu__v1__request__free_unpacked(req, &alloc);
	return status;
}
