/*
 * topo.h - the running topology: VMs, their guest memory and SMMUs.
 *
 * Owns: every VM instance smmud serves (a struct gmem and its SMMU
 * instances, each with a device table), the access rules in force, and
 * reloading (SIGHUP).
 *
 * Publication.  The topology in force is a struct topo_view: an
 * immutable array of VMs plus the conf it came from (access rules,
 * limits).  Workers read the current view with one acquire load and use
 * it without any lock.  A reload (main thread) builds a new view and
 * publishes it with a release store; older views and confs are never
 * freed before topo_destroy(), so a worker still holding one stays safe.
 * VM instances are never destroyed before topo_destroy() either: a reload
 * keeps every running VM (also one removed from the file, which keeps
 * serving until restart, with a warning), because a VMM may be using it.
 *
 * Device tables (Attach/Detach) are the only mutable part of a VM; each
 * SMMU's table has its own rwlock.
 *
 * Thread-safety: topo_create(), topo_reload() and topo_destroy() on the
 * main thread only; everything else from any thread.
 */
#ifndef SMMUD_TOPO_H
#define SMMUD_TOPO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "smmu.h"

#define TOPO_DEV_NAME_MAX 63
#define TOPO_PEER_GROUPS 32
/* "VM/NAME" */
#define TOPO_PATH_MAX (2 * (CONF_NAME_MAX + 1))

/* A device bound to a StreamID by Attach. */
struct topo_dev {
	char name[TOPO_DEV_NAME_MAX + 1];
	uint32_t sid;
	bool has_window;
	uint64_t start;		/* DMA window, inclusive */
	uint64_t end;
};

struct topo_vm;

struct topo_smmu {
	char name[CONF_NAME_MAX + 1];
	char path[TOPO_PATH_MAX];	/* "VM/NAME" */
	enum conf_mode mode;
	unsigned sid_bits;
	struct smmu *smmu;
	struct topo_vm *vm;
	pthread_rwlock_t dev_lock;	/* protects the fields below */
	struct topo_dev *devs;		/* sorted by sid */
	unsigned nr_devs;
	unsigned cap_devs;
};

struct topo_vm {
	char name[CONF_NAME_MAX + 1];
	struct gmem *gmem;
	struct topo_smmu *smmus;
	unsigned nr_smmus;
	const struct conf_vm *conf;	/* the definition it came from */
	pthread_mutex_t share_lock;	/* serializes ShareMemory */
	struct topo_vm *next;		/* every VM ever built */
};

/* An immutable snapshot of the topology in force. */
struct topo_view {
	const struct smmud_conf *conf;	/* rules and limits in force */
	struct topo_vm **vms;
	unsigned nr_vms;
	unsigned generation;		/* 1, then +1 per applied reload */
	struct topo_view *older;	/* kept until topo_destroy() */
};

/* Who is on the other end of a connection (SO_PEERCRED). */
struct topo_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t groups[TOPO_PEER_GROUPS];	/* SO_PEERGROUPS */
	unsigned nr_groups;
};

struct topo;

/*
 * Build the VMs of conf (ownership of conf is transferred, also on
 * failure).  Returns NULL on failure with a message in err.
 */
struct topo *
topo_create(struct smmud_conf *conf, char *err, size_t errlen);

/* Destroy everything.  No other thread may be using t.  Accepts NULL. */
void
topo_destroy(struct topo *t);

/* The view in force (borrowed; valid until topo_destroy()). */
const struct topo_view *
topo_view_get(const struct topo *t);

/*
 * Apply a freshly loaded conf (ownership transferred, also on failure):
 * keep running VMs of the same name unchanged (a notice for each whose
 * definition changed: that needs a restart), build new VMs, keep VMs
 * removed from the file (with a warning), and take over the access rules
 * and limits.  If any new VM cannot be built, nothing changes.  Logs
 * what it does.  Returns 0 or -1.
 */
int
topo_reload(struct topo *t, struct smmud_conf *conf);

/*
 * Whether peer may connect at all under v, and (ret_admin, may be NULL)
 * whether it may use daemon-wide requests.  With no access rules, uid 0
 * and the daemon's own uid may, everybody else may not.
 */
bool
topo_peer_allowed(const struct topo_view *v, const struct topo_peer *peer,
    bool *ret_admin);

/* Whether peer may use vm under v. */
bool
topo_vm_visible(const struct topo_view *v, const struct topo_peer *peer,
    const struct topo_vm *vm);

/*
 * Find the VM called name that peer may use.  Returns 0 with *ret set,
 * -ENOENT (no such VM) or -EACCES (not allowed); err gets a message.
 */
int
topo_vm_find(const struct topo_view *v, const struct topo_peer *peer,
    const char *name, struct topo_vm **ret, char *err, size_t errlen);

/*
 * Find an SMMU by "VM/NAME", or by "NAME" when it is unique among the
 * VMs peer may use.  Returns 0 with *ret set, -ENOENT, -EACCES or
 * -EINVAL (empty or ambiguous name); err gets a message.
 */
int
topo_smmu_find(const struct topo_view *v, const struct topo_peer *peer,
    const char *name, struct topo_smmu **ret, char *err, size_t errlen);

/*
 * Bind device name to a StreamID of s: the requested one (has_sid) if it
 * is below 2^sid_bits and free, else the lowest free one.  window may be
 * NULL; if not, its has_window/start/end are stored.  Returns 0 with
 * *ret_sid set, -EINVAL (bad name, SID out of range, start > end),
 * -EEXIST (name or SID taken) or -ENOSPC (no free SID), with a message.
 */
int
topo_dev_attach(struct topo_smmu *s, const char *name, bool has_sid,
    uint32_t sid, const struct topo_dev *window, uint32_t *ret_sid,
    char *err, size_t errlen);

/*
 * Remove device name from s.  Returns 0 with *ret_sid set, or -ENOENT
 * with a message.
 */
int
topo_dev_detach(struct topo_smmu *s, const char *name, uint32_t *ret_sid,
    char *err, size_t errlen);

/*
 * The DMA window of the device attached as sid, if it has one: returns
 * true with *ret_start and *ret_end set, else false.
 */
bool
topo_dev_window(struct topo_smmu *s, uint32_t sid, uint64_t *ret_start,
    uint64_t *ret_end);

/*
 * Copy the device table of s (sorted by sid).  Returns 0 with *ret (caller
 * frees with free(); NULL when empty) and *ret_nr, or -ENOMEM.
 */
int
topo_dev_list(struct topo_smmu *s, struct topo_dev **ret, unsigned *ret_nr);

/* Whether name is a valid device name: [A-Za-z0-9:._-]{1,63}. */
bool
topo_dev_name_valid(const char *name);

#endif /* SMMUD_TOPO_H */
