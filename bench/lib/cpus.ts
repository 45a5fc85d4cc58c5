import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Where the HTTP comparison runs its processes: the load generator on one CPU, the servers on another. */
export interface CpuPlan {
  readonly load: string;
  readonly servers: string;
}

/**
 * With two or more CPUs and taskset (Linux), the load generator gets the first CPU and both
 * servers share the last one, so the scheduler cannot move a server onto the load generator's CPU
 * mid-window. Undefined elsewhere: the comparison still runs, unpinned, and says so.
 */
export function cpuPlan(): CpuPlan | undefined {
  const cpus = availableParallelism();
  if (process.platform !== 'linux' || cpus < 2) return undefined;
  if (spawnSync('taskset', ['-c', '0', 'true']).status !== 0) return undefined;
  return { load: '0', servers: String(cpus - 1) };
}
