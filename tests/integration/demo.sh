#!/usr/bin/env bash
# demo.sh - the README tour as a script (`make demo`; also run by the
# integration suite): start smmud on conf/examples/demo.yaml, attach a
# device, write a CD, an STE and 4-level 4 KiB page tables into guest
# memory with smmuctl, translate through them (and fault outside them),
# show the counters, stop the daemon.
#
# Usage: demo.sh BUILD_DIR   (BUILD_DIR holds smmud and smmuctl)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ctl() { echo "$ smmuctl $*"; "$build/smmuctl" -s "$tmp/smmud.sock" "$@"; }

cd "$tmp"
"$build/smmud" -f -c "$src/conf/examples/demo.yaml" 2>"$tmp/smmud.log" &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/smmud.sock" ] && break; sleep 0.05; done

ctl attach smmu0 pci-0000:01:00.0 --sid 1

# Page tables for IOVA 0x10000000 -> PA 0x40800000 (4 KiB, 4 levels):
# L0 at 0x40200000, L1 at 0x40201000, L2 at 0x40202000, L3 at 0x40203000.
ctl mem vm0 write64 0x40200000 0x40201003          # L0[0]: table
ctl mem vm0 write64 0x40201000 0x40202003          # L1[0]: table
ctl mem vm0 write64 0x40202400 0x40203003          # L2[128]: table
ctl mem vm0 write64 0x40203000 0x40800c43          # L3[0]: page, AF, nG, RW
# CD at 0x40100000: T0SZ 16, TG0 4K, EPD1, V, IPS 48 bits, AA64, R, A,
# ASID 1; TTB0 = L0.
ctl mem vm0 write64 0x40100000 0x00016205c0000010 0x40200000
# STE of StreamID 1 (stream table at 0x40000000): V, Config = S1 only,
# S1ContextPtr = the CD.
ctl mem vm0 write64 0x40000040 0x4010000b

ctl translate smmu0 1 0x10000123                   # -> 0x40800123
ctl translate smmu0 1 0x10000456 --access w        # TLB hit
rc=0
ctl translate smmu0 1 0x10001000 || rc=$?          # unmapped: a fault
[ "$rc" -eq 3 ] || { echo "demo: expected a translation fault" >&2; exit 1; }
ctl devices
ctl stats smmu0

kill "$pid"
wait "$pid"
pid=
echo "demo: smmud stopped cleanly" >&2
