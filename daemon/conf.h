/*
 * conf.h - the smmud topology file (YAML), parsed and validated.
 *
 * Owns: struct smmud_conf and its loading from YAML with libyaml's event
 * API.  Every problem is reported as "file:line:column: message" (1-based,
 * from libyaml marks); loading collects all errors it can find and fails
 * at the end.  Unknown keys, duplicate keys, duplicate names, overlapping
 * memory regions, bad sizes and feature combinations that
 * smmu_features_check() rejects are errors.  Anchors/aliases, documents
 * deeper than 64 levels, more than one document and files above 1 MiB
 * are refused.  The schema is documented in smmud.yaml(5).
 *
 * A loaded conf is immutable; SIGHUP loads a fresh one and the daemon
 * swaps it in only if it loaded cleanly.
 */
#ifndef SMMUD_CONF_H
#define SMMUD_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "features.h"
#include "gmem.h"

#define CONF_NAME_MAX 63

enum conf_mode {
	CONF_MODE_GUEST,	/* the guest's driver programs the SMMU */
	CONF_MODE_MANAGED	/* the host programs it (Attach/Map) */
};

/* A guest memory region. */
struct conf_region {
	char name[CONF_NAME_MAX + 1];
	uint64_t gpa;
	uint64_t size;
	enum gmem_backing backing;
	char *path;		/* GMEM_FILE: image path (resolved) */
	uint64_t offset;	/* GMEM_FILE: offset in the image */
	bool thp;		/* anonymous: transparent huge pages */
	unsigned line;		/* where it was declared (for messages) */
};

/* Pre-configured stream table (as a booted guest driver leaves it). */
struct conf_strtab {
	bool present;
	uint64_t base;
	unsigned log2size;
	unsigned split;
	unsigned fmt;		/* 0 linear, 1 2-level */
	bool enabled;		/* CR0.SMMUEN = 1 at start */
};

struct conf_smmu {
	char name[CONF_NAME_MAX + 1];
	enum conf_mode mode;
	struct smmu_features feat;
	struct conf_strtab strtab;
	unsigned line;
};

struct conf_vm {
	char name[CONF_NAME_MAX + 1];
	struct conf_region *regions;
	unsigned nr_regions;
	struct conf_smmu *smmus;
	unsigned nr_smmus;
	unsigned line;
};

/* One access rule: a peer matching uid (or gid) may use vms. */
struct conf_access {
	bool has_uid;
	uid_t uid;
	bool has_gid;
	gid_t gid;
	bool all_vms;		/* vms: all (or the key omitted) */
	char **vms;		/* names, validated against conf_vm */
	unsigned nr_vms;
	bool admin;		/* may use daemon-wide requests */
};

struct smmud_conf {
	char *path;		/* file it came from, or "<default>" */
	char *socket;		/* listening socket path */
	char *state_dir;	/* snapshots and runtime state */
	unsigned workers;	/* worker threads (0 in the file = cores) */
	uint32_t max_frame;	/* bytes */
	unsigned max_clients;	/* simultaneous connections */
	int log_level;		/* syslog priority: LOG_ERR .. LOG_DEBUG */
	struct conf_access *access;
	unsigned nr_access;	/* 0: default (root and our own uid) */
	struct conf_vm *vms;
	unsigned nr_vms;
};

/*
 * Load and validate the topology in file path.  On success stores a new
 * conf in *ret and returns 0.  On failure returns -1 and, if ret_errors is
 * not NULL, stores a malloc'ed string with one "path:line:col: message"
 * line per error (caller frees).
 */
int
conf_load(const char *path, struct smmud_conf **ret, char **ret_errors);

/*
 * Same, from a string (name is used in messages, e.g. "<default>").
 */
int
conf_load_string(const char *name, const char *text, size_t len,
    struct smmud_conf **ret, char **ret_errors);

/* The embedded default topology (conf/smmud.yaml at build time). */
extern const char conf_default_yaml[];
extern const size_t conf_default_yaml_len;

/* Free a conf.  Accepts NULL. */
void
conf_free(struct smmud_conf *c);

/*
 * Print c as canonical YAML (every key, sizes in bytes as hex) such that
 * loading the output gives an equal conf (the round-trip test).
 */
void
conf_print(const struct smmud_conf *c, FILE *out);

/* Find a VM by name; NULL if none. */
const struct conf_vm *
conf_vm_find(const struct smmud_conf *c, const char *name);

#endif /* SMMUD_CONF_H */
