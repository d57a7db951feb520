/*
 * err.h - status codes returned by every libsmmu entry point.
 *
 * Owns: enum smmu_err and smmu_strerror().  Library functions return an
 * int that is >= 0 on success (sometimes a count or a small result code)
 * and one of the negative values below on failure.  Translation faults
 * are not errors: they are results (see smmu_translate() in smmu.h).
 */
#ifndef SMMU_ERR_H
#define SMMU_ERR_H

enum smmu_err {
	SMMU_OK = 0,
	SMMU_ERR_INVAL = -1,	/* an argument is out of range or malformed */
	SMMU_ERR_NOMEM = -2,	/* an allocation or mapping failed */
	SMMU_ERR_RANGE = -3,	/* address not backed by guest memory */
	SMMU_ERR_OVERLAP = -4,	/* new region overlaps an existing one */
	SMMU_ERR_EXIST = -5,	/* object already exists */
	SMMU_ERR_NOENT = -6,	/* no such object */
	SMMU_ERR_NOTSUP = -7,	/* feature not implemented/advertised */
	SMMU_ERR_IO = -8,	/* a system call on a caller's fd failed */
	SMMU_ERR_BUSY = -9,	/* object in use, or state forbids it */
	SMMU_ERR_AGAIN = -10,	/* compare-and-swap lost; retry */
	SMMU_ERR_CORRUPT = -11,	/* persisted data failed validation */
	SMMU_ERR_MIN = -12	/* one below the lowest valid code */
};

/*
 * Return a static, human-readable description of err (a value from
 * enum smmu_err).  Unknown values give "unknown error".  Thread-safe.
 */
const char *
smmu_strerror(int err);

#endif /* SMMU_ERR_H */
