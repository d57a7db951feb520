/*
 * bench.h - benchmark groups linked into the one smmu-bench binary.
 *
 * bench_engine.c holds main(); every other bench_<area>.c exposes one
 * bench_<area>_run(secs) that prints its figures, each measured for about
 * secs seconds.
 */
#ifndef SMMU_BENCH_H
#define SMMU_BENCH_H

/* Command-queue throughput and MSI delivery latency (bench_cmdq.c). */
void bench_cmdq_run(double secs);

#endif /* SMMU_BENCH_H */
