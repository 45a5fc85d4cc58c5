import { BenchChild } from '../lib/child';
import { median } from '../lib/stats';
import type { WindowMeasurement } from '../lib/window';
import type { LoadResult } from './load';
import type { ServerMode } from './server';

export interface CompareOptions {
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly rounds: number;
  readonly paths: readonly string[];
  /** Fixed request rate (req/s) for both servers; unset: saturating load. */
  readonly rate?: number;
  readonly log: (line: string) => void;
}

/** One server's measured window under load. */
export interface ServerRun {
  readonly mode: ServerMode;
  readonly requests: number;
  readonly cpuUsPerRequest: number;
  readonly systemCpuShare: number;
  readonly requestsPerSecond: number;
  readonly rssMaxMb: number;
  readonly loadErrors: number;
  readonly non2xx: number;
}

export interface Comparison {
  readonly baseline: ServerMode;
  readonly subject: ServerMode;
  readonly runs: readonly ServerRun[];
  /** Median over rounds of subject/baseline CPU per request. */
  readonly cpuRatio: number;
  /** Median over rounds of subject/baseline requests per second. */
  readonly throughputRatio: number;
  readonly baselineCpuUsPerRequest: number;
  readonly subjectCpuUsPerRequest: number;
  readonly baselineRps: number;
  readonly subjectRps: number;
  readonly subjectRssMaxMb: number;
}


async function startServer(mode: ServerMode): Promise<{ child: BenchChild; port: number }> {
  const child = new BenchChild('http/server.ts', [mode]);
  const ready = await child.next<{ type: 'ready'; port: number }>('ready', 30_000);
  return { child, port: ready.port };
}

async function loadOnce(
  load: BenchChild,
  server: { child: BenchChild; port: number },
  mode: ServerMode,
  opts: CompareOptions,
): Promise<ServerRun> {
  const totalMs = opts.warmupMs + opts.durationMs + 500;
  const started = load.next('started', 10_000);
  const result = load.ask<LoadResult>(
    { type: 'run', url: `http://127.0.0.1:${server.port}`, connections: opts.connections, durationMs: totalMs, paths: opts.paths, rate: opts.rate },
    'result',
    totalMs + 30_000,
  );
  await started;
  const measured = await server.child.ask<WindowMeasurement>(
    { type: 'measure', warmupMs: opts.warmupMs, durationMs: opts.durationMs },
    'measured',
    totalMs + 10_000,
  );
  const loadResult = await result;
  if (measured.requests === 0) throw new Error(`${mode}: no request was served in the measured window`);
  return {
    mode,
    requests: measured.requests,
    cpuUsPerRequest: (measured.cpuUserUs + measured.cpuSystemUs) / measured.requests,
    systemCpuShare: measured.cpuSystemUs / (measured.cpuUserUs + measured.cpuSystemUs),
    requestsPerSecond: (measured.requests / measured.wallMs) * 1000,
    rssMaxMb: measured.rssMaxBytes / 2 ** 20,
    loadErrors: loadResult.errors,
    non2xx: loadResult.non2xx,
  };
}

/**
 * Measures two servers under the same load, alternately (A B, B A, A B, …) so that drift of the
 * machine affects both; each in its own process, the load generator in a third.
 */
export async function compareServers(baseline: ServerMode, subject: ServerMode, opts: CompareOptions): Promise<Comparison> {
  const servers = new Map<ServerMode, { child: BenchChild; port: number }>();
  const load = new BenchChild('http/load.ts');
  try {
    await load.next('ready', 30_000);
    servers.set(baseline, await startServer(baseline));
    servers.set(subject, await startServer(subject));
    const runs: ServerRun[] = [];
    const cpuRatios: number[] = [];
    const rpsRatios: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? [baseline, subject] : [subject, baseline];
      const byMode = new Map<ServerMode, ServerRun>();
      for (const mode of order) {
        const run = await loadOnce(load, servers.get(mode)!, mode, opts);
        byMode.set(mode, run);
        runs.push(run);
        opts.log(
          `  round ${round + 1}/${opts.rounds} ${mode.padEnd(16)} ${run.cpuUsPerRequest.toFixed(2)} µs CPU/request, ` +
            `(${Math.round(run.systemCpuShare * 100)}% system), ${Math.round(run.requestsPerSecond)} req/s, RSS ${run.rssMaxMb.toFixed(0)} MB`,
        );
      }
      const b = byMode.get(baseline)!;
      const s = byMode.get(subject)!;
      cpuRatios.push(s.cpuUsPerRequest / b.cpuUsPerRequest);
      rpsRatios.push(s.requestsPerSecond / b.requestsPerSecond);
    }
    const of = (mode: ServerMode) => runs.filter((r) => r.mode === mode);
    return {
      baseline,
      subject,
      runs,
      cpuRatio: median(cpuRatios),
      throughputRatio: median(rpsRatios),
      baselineCpuUsPerRequest: median(of(baseline).map((r) => r.cpuUsPerRequest)),
      subjectCpuUsPerRequest: median(of(subject).map((r) => r.cpuUsPerRequest)),
      baselineRps: median(of(baseline).map((r) => r.requestsPerSecond)),
      subjectRps: median(of(subject).map((r) => r.requestsPerSecond)),
      subjectRssMaxMb: Math.max(...of(subject).map((r) => r.rssMaxMb)),
    };
  } finally {
    await Promise.all([load.stop(), ...[...servers.values()].map((s) => s.child.stop())]);
  }
}
