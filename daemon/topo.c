/*
 * topo.c - building, publishing and reloading the running topology.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "smmu.h"
#include "topo.h"

/*
 * STRTAB_BASE_CFG fields (SMMUv3 section 6.3.24): LOG2SIZE[5:0],
 * SPLIT[10:6], FMT[17:16].
 */
#define TOPO_STRTAB_CFG_SPLIT_SHIFT 6
#define TOPO_STRTAB_CFG_FMT_SHIFT 16

struct topo {
	struct topo_view *view;		/* atomic: the view in force */
	struct topo_vm *vms;		/* every VM ever built */
};

/* snprintf into err (if not NULL), for the error paths. */
static void __attribute__((format(printf, 3, 4)))
topo_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Free one VM instance (half-built ones too). */
static void
topo_vm_free(struct topo_vm *vm)
{
	unsigned i;

	if (vm == NULL)
		return;
	for (i = 0; i < vm->nr_smmus; i++) {
		smmu_destroy(vm->smmus[i].smmu);
		(void)pthread_rwlock_destroy(&vm->smmus[i].dev_lock);
		free(vm->smmus[i].devs);
	}
	free(vm->smmus);
	gmem_destroy(vm->gmem);
	(void)pthread_mutex_destroy(&vm->share_lock);
	free(vm);
}

/* Add the guest memory region r to vm's gmem. */
static int
topo_region_add(struct topo_vm *vm, const struct conf_region *r, char *err,
    size_t errlen)
{
	int fd = -1, rc;
	unsigned flags = 0;

	switch (r->backing) {
	case GMEM_ANON:
		if (r->thp)
			flags |= GMEM_F_THP;
		break;
	case GMEM_FILE:
		/* A copy-on-write image: the mapping keeps its own ref. */
		fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (fd == -1) {
			topo_err(err, errlen, "%s: region '%s': cannot open "
			    "'%s': %s", vm->name, r->name, r->path,
			    strerror(errno));
			return -1;
		}
		break;
	case GMEM_SHARED:
		/* Unbacked until the VMM's ShareMemory. */
		break;
	default:
		topo_err(err, errlen, "%s: region '%s': unknown backing %d",
		    vm->name, r->name, (int)r->backing);
		return -1;
	}
	rc = gmem_region_add(vm->gmem, r->name, r->gpa, r->size, r->backing,
	    fd, r->backing == GMEM_FILE ? r->offset : 0, flags);
	if (fd != -1)
		(void)close(fd);
	if (rc < 0) {
		topo_err(err, errlen, "%s: region '%s' [0x%llx, 0x%llx): %s",
		    vm->name, r->name, (unsigned long long)r->gpa,
		    (unsigned long long)(r->gpa + r->size), smmu_strerror(rc));
		return -1;
	}
	return 0;
}

/* Create the SMMU instance described by cs into ts. */
static int
topo_smmu_init(struct topo_vm *vm, struct topo_smmu *ts,
    const struct conf_smmu *cs, char *err, size_t errlen)
{
	struct smmu_ctrl ctrl;
	int rc = 0;

	memcpy(ts->name, cs->name, sizeof(ts->name));
	(void)snprintf(ts->path, sizeof(ts->path), "%s/%s", vm->name,
	    cs->name);
	ts->mode = cs->mode;
	ts->sid_bits = cs->feat.sid_bits;
	ts->vm = vm;
	if (pthread_rwlock_init(&ts->dev_lock, NULL) != 0) {
		topo_err(err, errlen, "%s: cannot create a lock", ts->path);
		return -1;
	}
	ts->smmu = smmu_create(&cs->feat, vm->gmem, &rc);
	if (ts->smmu == NULL) {
		topo_err(err, errlen, "%s: cannot create the SMMU: %s",
		    ts->path, smmu_strerror(rc));
		return -1;
	}
	if (!cs->strtab.present)
		return 0;
	/* As a booted guest driver would have left the registers. */
	smmu_ctrl_get(ts->smmu, &ctrl);
	ctrl.strtab_base = cs->strtab.base;
	ctrl.strtab_base_cfg = cs->strtab.log2size |
	    cs->strtab.split << TOPO_STRTAB_CFG_SPLIT_SHIFT |
	    cs->strtab.fmt << TOPO_STRTAB_CFG_FMT_SHIFT;
	ctrl.enabled = cs->strtab.enabled;
	if ((rc = smmu_ctrl_set(ts->smmu, &ctrl)) < 0) {
		topo_err(err, errlen, "%s: stream table: %s", ts->path,
		    smmu_strerror(rc));
		return -1;
	}
	return 0;
}

/* Build one VM from its definition. */
static struct topo_vm *
topo_vm_build(const struct conf_vm *cv, char *err, size_t errlen)
{
	struct topo_vm *vm;
	unsigned i;

	if ((vm = calloc(1, sizeof(*vm))) == NULL) {
		topo_err(err, errlen, "%s: out of memory", cv->name);
		return NULL;
	}
	memcpy(vm->name, cv->name, sizeof(vm->name));
	vm->conf = cv;
	if (pthread_mutex_init(&vm->share_lock, NULL) != 0) {
		free(vm);
		topo_err(err, errlen, "%s: cannot create a lock", cv->name);
		return NULL;
	}
	if ((vm->gmem = gmem_create()) == NULL) {
		topo_err(err, errlen, "%s: out of memory", cv->name);
		goto fail;
	}
	for (i = 0; i < cv->nr_regions; i++)
		if (topo_region_add(vm, &cv->regions[i], err, errlen) == -1)
			goto fail;
	if (cv->nr_smmus > 0) {
		vm->smmus = calloc(cv->nr_smmus, sizeof(*vm->smmus));
		if (vm->smmus == NULL) {
			topo_err(err, errlen, "%s: out of memory", cv->name);
			goto fail;
		}
	}
	for (i = 0; i < cv->nr_smmus; i++) {
		/* Counted first: topo_vm_free() cleans up a failed one. */
		vm->nr_smmus++;
		if (topo_smmu_init(vm, &vm->smmus[i], &cv->smmus[i], err,
		    errlen) == -1)
			goto fail;
	}
	return vm;
fail:
	topo_vm_free(vm);
	return NULL;
}

/* Free a view and the conf it owns. */
static void
topo_view_free(struct topo_view *v)
{
	if (v == NULL)
		return;
	conf_free((struct smmud_conf *)(uintptr_t)v->conf);
	free(v->vms);
	free(v);
}

struct topo *
topo_create(struct smmud_conf *conf, char *err, size_t errlen)
{
	struct topo *t;
	struct topo_view *v;
	struct topo_vm *vm;
	unsigned i;

	t = calloc(1, sizeof(*t));
	v = calloc(1, sizeof(*v));
	if (t == NULL || v == NULL) {
		free(t);
		free(v);
		conf_free(conf);
		topo_err(err, errlen, "out of memory");
		return NULL;
	}
	v->conf = conf;
	v->generation = 1;
	t->view = v;
	if (conf->nr_vms > 0 &&
	    (v->vms = calloc(conf->nr_vms, sizeof(*v->vms))) == NULL) {
		topo_err(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < conf->nr_vms; i++) {
		if ((vm = topo_vm_build(&conf->vms[i], err, errlen)) == NULL)
			goto fail;
		vm->next = t->vms;
		t->vms = vm;
		v->vms[v->nr_vms++] = vm;
	}
	return t;
fail:
	topo_destroy(t);
	return NULL;
}

void
topo_destroy(struct topo *t)
{
	struct topo_view *v, *older;
	struct topo_vm *vm, *next;

	if (t == NULL)
		return;
	for (v = t->view; v != NULL; v = older) {
		older = v->older;
		topo_view_free(v);
	}
	for (vm = t->vms; vm != NULL; vm = next) {
		next = vm->next;
		topo_vm_free(vm);
	}
	free(t);
}

const struct topo_view *
topo_view_get(const struct topo *t)
{
	return __atomic_load_n(&t->view, __ATOMIC_ACQUIRE);
}

/* Whether two optional strings are equal. */
static bool
topo_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Whether two SMMU feature sets are equal (field by field: no padding). */
static bool
topo_feat_equal(const struct smmu_features *a, const struct smmu_features *b)
{
	return a->s1p == b->s1p && a->s2p == b->s2p &&
	    a->granules == b->granules && a->oas == b->oas &&
	    a->sid_bits == b->sid_bits && a->ssid_bits == b->ssid_bits &&
	    a->st_2level == b->st_2level && a->cd_2level == b->cd_2level &&
	    a->asid16 == b->asid16 && a->vmid16 == b->vmid16 &&
	    a->ril == b->ril && a->had == b->had &&
	    a->term_model == b->term_model && a->msi == b->msi &&
	    a->coherent == b->coherent && a->cmdq_log2 == b->cmdq_log2 &&
	    a->evtq_log2 == b->evtq_log2 &&
	    a->tlb_entries == b->tlb_entries &&
	    a->tlb_policy == b->tlb_policy &&
	    a->cfg_entries == b->cfg_entries;
}

/* Whether two VM definitions describe the same instance. */
static bool
topo_conf_vm_equal(const struct conf_vm *a, const struct conf_vm *b)
{
	const struct conf_region *ra, *rb;
	const struct conf_smmu *sa, *sb;
	unsigned i;

	if (a->nr_regions != b->nr_regions || a->nr_smmus != b->nr_smmus)
		return false;
	for (i = 0; i < a->nr_regions; i++) {
		ra = &a->regions[i];
		rb = &b->regions[i];
		if (strcmp(ra->name, rb->name) != 0 || ra->gpa != rb->gpa ||
		    ra->size != rb->size || ra->backing != rb->backing ||
		    !topo_str_equal(ra->path, rb->path) ||
		    ra->offset != rb->offset || ra->thp != rb->thp)
			return false;
	}
	for (i = 0; i < a->nr_smmus; i++) {
		sa = &a->smmus[i];
		sb = &b->smmus[i];
		if (strcmp(sa->name, sb->name) != 0 || sa->mode != sb->mode ||
		    !topo_feat_equal(&sa->feat, &sb->feat) ||
		    sa->strtab.present != sb->strtab.present)
			return false;
		if (sa->strtab.present &&
		    (sa->strtab.base != sb->strtab.base ||
		    sa->strtab.log2size != sb->strtab.log2size ||
		    sa->strtab.split != sb->strtab.split ||
		    sa->strtab.fmt != sb->strtab.fmt ||
		    sa->strtab.enabled != sb->strtab.enabled))
			return false;
	}
	return true;
}

/* The VM named name in view v, or NULL. */
static struct topo_vm *
topo_view_vm(const struct topo_view *v, const char *name)
{
	unsigned i;

	for (i = 0; i < v->nr_vms; i++)
		if (strcmp(v->vms[i]->name, name) == 0)
			return v->vms[i];
	return NULL;
}

/* Log the global settings of c that only a restart can change. */
static void
topo_reload_restart_keys(const struct smmud_conf *old,
    const struct smmud_conf *c)
{
	if (!topo_str_equal(old->socket, c->socket))
		log_warnx("socket: changes need a restart, ignoring");
	if (old->workers != c->workers)
		log_warnx("workers: changes need a restart, ignoring");
	if (!topo_str_equal(old->state_dir, c->state_dir))
		log_warnx("state_dir: changes need a restart, ignoring");
}

int
topo_reload(struct topo *t, struct smmud_conf *conf)
{
	const struct topo_view *old = topo_view_get(t);
	struct topo_view *v;
	struct topo_vm *vm, *built = NULL, *next;
	char err[512];
	unsigned i, nr_new = 0;

	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->vms = calloc(conf->nr_vms + old->nr_vms,
	    sizeof(*v->vms))) == NULL) {
		log_warnx("reload: out of memory");
		goto fail;
	}
	v->conf = conf;
	v->generation = old->generation + 1;
	/* Build every new VM first, so a failure changes nothing. */
	for (i = 0; i < conf->nr_vms; i++) {
		vm = topo_view_vm(old, conf->vms[i].name);
		if (vm != NULL) {
			if (!topo_conf_vm_equal(vm->conf, &conf->vms[i]))
				log_notice("%s: changes need a restart, "
				    "ignoring", vm->name);
		} else {
			vm = topo_vm_build(&conf->vms[i], err, sizeof(err));
			if (vm == NULL) {
				log_errx("reload: %s", err);
				goto fail;
			}
			vm->next = built;
			built = vm;
			nr_new++;
		}
		v->vms[v->nr_vms++] = vm;
	}
	for (i = 0; i < old->nr_vms; i++) {
		if (conf_vm_find(conf, old->vms[i]->name) != NULL)
			continue;
		log_warnx("%s: removed from the configuration but still "
		    "running until restart", old->vms[i]->name);
		v->vms[v->nr_vms++] = old->vms[i];
	}
	topo_reload_restart_keys(old->conf, conf);
	/* Commit: the new VMs join the owner list, the view goes live. */
	for (vm = built; vm != NULL; vm = next) {
		next = vm->next;
		log_info("%s: started", vm->name);
		vm->next = t->vms;
		t->vms = vm;
	}
	v->older = (struct topo_view *)(uintptr_t)old;
	__atomic_store_n(&t->view, v, __ATOMIC_RELEASE);
	log_info("reload: applied '%s' (generation %u, %u new VM%s)",
	    conf->path != NULL ? conf->path : "?", v->generation, nr_new,
	    nr_new == 1 ? "" : "s");
	return 0;
fail:
	for (vm = built; vm != NULL; vm = next) {
		next = vm->next;
		topo_vm_free(vm);
	}
	if (v != NULL)
		free(v->vms);
	free(v);
	conf_free(conf);
	log_errx("reload failed, keeping the running topology");
	return -1;
}

/* Whether rule r applies to peer. */
static bool
topo_rule_matches(const struct conf_access *r, const struct topo_peer *p)
{
	unsigned i;

	if (r->has_uid && r->uid == p->uid)
		return true;
	if (!r->has_gid)
		return false;
	if (r->gid == p->gid)
		return true;
	for (i = 0; i < p->nr_groups; i++)
		if (r->gid == p->groups[i])
			return true;
	return false;
}

/* Default rule (no access list): root and the daemon's own user. */
static bool
topo_peer_default(const struct topo_peer *p)
{
	return p->uid == 0 || p->uid == getuid();
}

bool
topo_peer_allowed(const struct topo_view *v, const struct topo_peer *peer,
    bool *ret_admin)
{
	const struct smmud_conf *c = v->conf;
	bool allowed = false, admin = false;
	unsigned i;

	if (c->nr_access == 0) {
		allowed = admin = topo_peer_default(peer);
	} else {
		for (i = 0; i < c->nr_access; i++) {
			if (!topo_rule_matches(&c->access[i], peer))
				continue;
			allowed = true;
			if (c->access[i].admin)
				admin = true;
		}
	}
	if (ret_admin != NULL)
		*ret_admin = admin;
	return allowed;
}

bool
topo_vm_visible(const struct topo_view *v, const struct topo_peer *peer,
    const struct topo_vm *vm)
{
	const struct smmud_conf *c = v->conf;
	const struct conf_access *r;
	unsigned i, j;

	if (c->nr_access == 0)
		return topo_peer_default(peer);
	for (i = 0; i < c->nr_access; i++) {
		r = &c->access[i];
		if (!topo_rule_matches(r, peer))
			continue;
		if (r->all_vms)
			return true;
		for (j = 0; j < r->nr_vms; j++)
			if (strcmp(r->vms[j], vm->name) == 0)
				return true;
	}
	return false;
}

int
topo_vm_find(const struct topo_view *v, const struct topo_peer *peer,
    const char *name, struct topo_vm **ret, char *err, size_t errlen)
{
	struct topo_vm *vm;

	if (name == NULL || *name == '\0') {
		topo_err(err, errlen, "no VM named (empty name)");
		return -ENOENT;
	}
	if ((vm = topo_view_vm(v, name)) == NULL) {
		topo_err(err, errlen, "no VM '%s'", name);
		return -ENOENT;
	}
	if (!topo_vm_visible(v, peer, vm)) {
		topo_err(err, errlen, "uid %u may not use VM '%s'",
		    (unsigned)peer->uid, name);
		return -EACCES;
	}
	*ret = vm;
	return 0;
}

/* The SMMU called name in vm, or NULL. */
static struct topo_smmu *
topo_vm_smmu(struct topo_vm *vm, const char *name)
{
	unsigned i;

	for (i = 0; i < vm->nr_smmus; i++)
		if (strcmp(vm->smmus[i].name, name) == 0)
			return &vm->smmus[i];
	return NULL;
}

int
topo_smmu_find(const struct topo_view *v, const struct topo_peer *peer,
    const char *name, struct topo_smmu **ret, char *err, size_t errlen)
{
	char vmname[CONF_NAME_MAX + 1];
	const char *slash;
	struct topo_smmu *s, *found = NULL;
	struct topo_vm *vm;
	size_t len;
	unsigned i;
	int rc;

	if (name == NULL || *name == '\0') {
		topo_err(err, errlen, "no SMMU named (empty name)");
		return -EINVAL;
	}
	if ((slash = strchr(name, '/')) != NULL) {
		len = (size_t)(slash - name);
		if (len == 0 || len >= sizeof(vmname)) {
			topo_err(err, errlen, "bad SMMU name '%s': expected "
			    "VM/NAME or NAME", name);
			return -EINVAL;
		}
		memcpy(vmname, name, len);
		vmname[len] = '\0';
		if ((rc = topo_vm_find(v, peer, vmname, &vm, err,
		    errlen)) < 0)
			return rc;
		if ((s = topo_vm_smmu(vm, slash + 1)) == NULL) {
			topo_err(err, errlen, "no SMMU '%s' among %s's SMMUs",
			    slash + 1, vm->name);
			return -ENOENT;
		}
		*ret = s;
		return 0;
	}
	for (i = 0; i < v->nr_vms; i++) {
		vm = v->vms[i];
		if (!topo_vm_visible(v, peer, vm) ||
		    (s = topo_vm_smmu(vm, name)) == NULL)
			continue;
		if (found != NULL) {
			topo_err(err, errlen, "SMMU name '%s' is ambiguous "
			    "(%s, %s, ...): use VM/NAME", name, found->path,
			    s->path);
			return -EINVAL;
		}
		found = s;
	}
	if (found == NULL) {
		topo_err(err, errlen, "no SMMU '%s' among the VMs this client "
		    "may use", name);
		return -ENOENT;
	}
	*ret = found;
	return 0;
}

bool
topo_dev_name_valid(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= TOPO_DEV_NAME_MAX)
			return false;
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == ':' || name[i] == '.' || name[i] == '_' ||
		    name[i] == '-')
			continue;
		return false;
	}
	return i > 0;
}

/* Index of the first device with sid >= sid (binary search). */
static unsigned
topo_dev_lower(const struct topo_smmu *s, uint32_t sid)
{
	unsigned lo = 0, hi = s->nr_devs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->devs[mid].sid < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
topo_dev_attach(struct topo_smmu *s, const char *name, bool has_sid,
    uint32_t sid, const struct topo_dev *window, uint32_t *ret_sid,
    char *err, size_t errlen)
{
	uint64_t limit = 1ull << s->sid_bits;
	struct topo_dev *d;
	unsigned i, pos;
	int rc = 0;

	if (!topo_dev_name_valid(name)) {
		topo_err(err, errlen, "bad device name '%.80s': expected 1 to "
		    "%d of A-Z a-z 0-9 : . _ -", name, TOPO_DEV_NAME_MAX);
		return -EINVAL;
	}
	if (has_sid && sid >= limit) {
		topo_err(err, errlen, "StreamID %u is out of range for %s "
		    "(sid_bits %u: 0 to %llu)", sid, s->path, s->sid_bits,
		    (unsigned long long)(limit - 1));
		return -EINVAL;
	}
	if (window != NULL && window->has_window &&
	    window->start > window->end) {
		topo_err(err, errlen, "bad DMA window [0x%llx, 0x%llx]: start "
		    "is above end", (unsigned long long)window->start,
		    (unsigned long long)window->end);
		return -EINVAL;
	}
	(void)pthread_rwlock_wrlock(&s->dev_lock);
	for (i = 0; i < s->nr_devs; i++) {
		if (strcmp(s->devs[i].name, name) == 0) {
			topo_err(err, errlen, "device '%s' is already attached "
			    "to %s as StreamID %u", name, s->path,
			    s->devs[i].sid);
			rc = -EEXIST;
			goto out;
		}
	}
	if (has_sid) {
		pos = topo_dev_lower(s, sid);
		if (pos < s->nr_devs && s->devs[pos].sid == sid) {
			topo_err(err, errlen, "StreamID %u of %s is already "
			    "used by device '%s'", sid, s->path,
			    s->devs[pos].name);
			rc = -EEXIST;
			goto out;
		}
	} else {
		/* The lowest free SID: the first gap in the sorted table. */
		for (pos = 0; pos < s->nr_devs; pos++)
			if (s->devs[pos].sid != pos)
				break;
		if ((uint64_t)pos >= limit) {
			topo_err(err, errlen, "no free StreamID on %s "
			    "(sid_bits %u)", s->path, s->sid_bits);
			rc = -ENOSPC;
			goto out;
		}
		sid = pos;
	}
	if (s->nr_devs == s->cap_devs) {
		unsigned cap = s->cap_devs ? 2 * s->cap_devs : 8;

		d = reallocarray(s->devs, cap, sizeof(*d));
		if (d == NULL) {
			topo_err(err, errlen, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
		s->devs = d;
		s->cap_devs = cap;
	}
	memmove(&s->devs[pos + 1], &s->devs[pos],
	    (s->nr_devs - pos) * sizeof(*s->devs));
	d = &s->devs[pos];
	memset(d, 0, sizeof(*d));
	(void)snprintf(d->name, sizeof(d->name), "%s", name);
	d->sid = sid;
	if (window != NULL && window->has_window) {
		d->has_window = true;
		d->start = window->start;
		d->end = window->end;
	}
	/* Atomic: topo_dev_window() peeks at it without the lock. */
	__atomic_store_n(&s->nr_devs, s->nr_devs + 1, __ATOMIC_RELAXED);
	*ret_sid = sid;
out:
	(void)pthread_rwlock_unlock(&s->dev_lock);
	return rc;
}

int
topo_dev_detach(struct topo_smmu *s, const char *name, uint32_t *ret_sid,
    char *err, size_t errlen)
{
	unsigned i;
	int rc = -ENOENT;

	(void)pthread_rwlock_wrlock(&s->dev_lock);
	for (i = 0; i < s->nr_devs; i++) {
		if (strcmp(s->devs[i].name, name) != 0)
			continue;
		*ret_sid = s->devs[i].sid;
		memmove(&s->devs[i], &s->devs[i + 1],
		    (s->nr_devs - i - 1) * sizeof(*s->devs));
		__atomic_store_n(&s->nr_devs, s->nr_devs - 1,
		    __ATOMIC_RELAXED);
		rc = 0;
		break;
	}
	(void)pthread_rwlock_unlock(&s->dev_lock);
	if (rc < 0)
		topo_err(err, errlen, "no device '%.80s' attached to %s", name,
		    s->path);
	return rc;
}

bool
topo_dev_window(struct topo_smmu *s, uint32_t sid, uint64_t *ret_start,
    uint64_t *ret_end)
{
	unsigned pos;
	bool found = false;

	/* The common case, no devices, takes no lock. */
	if (__atomic_load_n(&s->nr_devs, __ATOMIC_RELAXED) == 0)
		return false;
	(void)pthread_rwlock_rdlock(&s->dev_lock);
	pos = topo_dev_lower(s, sid);
	if (pos < s->nr_devs && s->devs[pos].sid == sid &&
	    s->devs[pos].has_window) {
		*ret_start = s->devs[pos].start;
		*ret_end = s->devs[pos].end;
		found = true;
	}
	(void)pthread_rwlock_unlock(&s->dev_lock);
	return found;
}

int
topo_dev_list(struct topo_smmu *s, struct topo_dev **ret, unsigned *ret_nr)
{
	struct topo_dev *d = NULL;
	unsigned n;

	(void)pthread_rwlock_rdlock(&s->dev_lock);
	n = s->nr_devs;
	if (n > 0) {
		if ((d = calloc(n, sizeof(*d))) == NULL) {
			(void)pthread_rwlock_unlock(&s->dev_lock);
			return -ENOMEM;
		}
		memcpy(d, s->devs, n * sizeof(*d));
	}
	(void)pthread_rwlock_unlock(&s->dev_lock);
	*ret = d;
	*ret_nr = n;
	return 0;
}
