import { median } from '../lib/stats';

/** A case of a micro-benchmark: runs `iterations` operations and resolves when they are done. */
export interface MicroCase {
  readonly name: string;
  run(iterations: number): Promise<void> | void;
}

export interface MicroResult {
  readonly name: string;
  /** Median over rounds of CPU nanoseconds per operation (user + system, all threads). */
  readonly nsPerOp: number;
  readonly rounds: readonly number[];
}

/** CPU time of the whole process (every thread: the thread pool's writes count too). */
async function timeOnce(c: MicroCase, iterations: number): Promise<number> {
  const start = process.cpuUsage();
  await c.run(iterations);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / iterations;
}

/**
 * Runs every case once to warm up, then `rounds` times interleaved (case order rotating each
 * round) so that machine noise and GC affect every case alike; reports medians.
 */
export async function compareCases(cases: readonly MicroCase[], iterations: number, rounds: number): Promise<MicroResult[]> {
  for (const c of cases) await timeOnce(c, Math.max(1, Math.floor(iterations / 2)));
  const samples = cases.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length;
      global.gc?.();
      samples[i]!.push(await timeOnce(cases[i]!, iterations));
    }
  }
  return cases.map((c, i) => ({ name: c.name, nsPerOp: median(samples[i]!), rounds: samples[i]! }));
}
