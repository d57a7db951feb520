/*
 * smmuctl.h - smmuctl internals shared by the command parser (smmuctl.c)
 * and the two renderers (output.c for people, output_json.c for scripts),
 * after bgpctl's parser.c / output.c / output_json.c split.
 *
 * smmuctl links only libsmmuclient (smmu_client.h) and json-c: no
 * protobuf or daemon header belongs here.
 */
#ifndef SMMUCTL_H
#define SMMUCTL_H

#include <stddef.h>
#include <stdint.h>

#include "smmu_client.h"

/* Exit statuses (smmuctl(8), EXIT STATUS). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_USAGE 1
#define CTL_EXIT_ERROR 2	/* daemon or connection error */
#define CTL_EXIT_FAULT 3	/* the translation faulted */

/*
 * A renderer: one function per kind of result, each returning 0 or -1
 * (out of memory, or stdout failed).  Each command renders exactly one
 * result; finish() flushes stdout and returns 0 or -1.
 */
struct ctl_output {
	int (*version)(const char *ctl_version, const char *lib_version,
	    const struct smmu_client_info *info);
	int (*attach)(const char *smmu, const char *device, uint32_t sid);
	int (*detach)(const char *smmu, const char *device);
	int (*devices)(const struct smmu_client_device *devs, size_t nr);
	int (*mapping)(const char *smmu, const struct smmu_client_txn *txn,
	    const struct smmu_client_mapping *map);
	int (*fault)(const char *smmu, const struct smmu_client_txn *txn,
	    const struct smmu_client_fault *f);
	int (*invalidate)(const char *smmu, const struct smmu_client_inv *inv,
	    uint64_t dropped);
	int (*stats)(const struct smmu_client_stats *st);
	int (*mem_read)(const char *vm, uint64_t gpa, const uint8_t *data,
	    size_t len);
	int (*mem_write)(const char *vm, uint64_t gpa, size_t len,
	    const char *file);
	int (*finish)(void);
};

extern const struct ctl_output ctl_output_human;	/* output.c */
extern const struct ctl_output ctl_output_json;		/* output_json.c */

/* "rwx" letters with '-' for a missing permission; buf has room for 4. */
const char *
ctl_perm_str(unsigned perm, char *buf);

/* Event record CLASS name: "CD", "TT", "IN" or "?". */
const char *
ctl_class_name(uint32_t cls);

/* Name of an invalidation scope ("all", "sid", ...). */
const char *
ctl_inv_scope_name(enum smmu_client_inv_scope scope);

#endif /* SMMUCTL_H */
