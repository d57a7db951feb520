/*
 * err.c - human-readable text for enum smmu_err.
 */
#include "err.h"

static const char *const err_text[] = {
	[-SMMU_OK] = "success",
	[-SMMU_ERR_INVAL] = "invalid argument",
	[-SMMU_ERR_NOMEM] = "out of memory",
	[-SMMU_ERR_RANGE] = "address not backed by guest memory",
	[-SMMU_ERR_OVERLAP] = "region overlaps an existing region",
	[-SMMU_ERR_EXIST] = "already exists",
	[-SMMU_ERR_NOENT] = "no such object",
	[-SMMU_ERR_NOTSUP] = "not supported",
	[-SMMU_ERR_IO] = "I/O error",
	[-SMMU_ERR_BUSY] = "busy",
	[-SMMU_ERR_AGAIN] = "compare-and-swap failed, try again",
	[-SMMU_ERR_CORRUPT] = "data failed validation",
};

const char *
smmu_strerror(int err)
{
	if (err > 0 || err <= SMMU_ERR_MIN)
		return "unknown error";
	return err_text[-err];
}
