/*
 * strtab.h - Stream table lookup (SMMUv3 sections 3.3, 6.3.24-25).
 *
 * Owns: finding and fetching the STE of a StreamID through a linear or
 * 2-level stream table described by STRTAB_BASE and STRTAB_BASE_CFG.
 */
#ifndef SMMU_STRTAB_H
#define SMMU_STRTAB_H

#include <stdint.h>

#include "event.h"
#include "features.h"
#include "gmem.h"

/*
 * Fetch the 64-byte STE of sid (host-order words into dw[0..7]) from the
 * stream table whose registers hold strtab_base (STRTAB_BASE: ADDR[55:6])
 * and strtab_cfg (STRTAB_BASE_CFG: LOG2SIZE[5:0], SPLIT[10:6],
 * FMT[17:16]).  Returns 0, or 1 with *evt filled (type, fetch_addr,
 * detail; not sid/ssid):
 *  - C_BAD_STREAMID: sid >= 2^MIN(LOG2SIZE, SIDSIZE); 2-level: the L1STD
 *    Span is 0 or out of range, or the sid is beyond the L2 table;
 *  - F_STE_FETCH: the L1STD or STE is not backed by guest memory.
 * On success the STE's address is stored in *ret_addr if not NULL.
 */
int
smmu_strtab_fetch(const struct gmem *g, const struct smmu_features *f,
    uint64_t strtab_base, uint32_t strtab_cfg, uint32_t sid,
    uint64_t dw[8], uint64_t *ret_addr, struct smmu_event *evt);

#endif /* SMMU_STRTAB_H */
