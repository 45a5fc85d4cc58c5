import { BenchChild } from '../lib/child';
import type { CpuPlan } from '../lib/cpus';
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
  /** The servers' entry: the esbuild bundle of bench/http/server.ts, run as the image runs its bundle. */
  readonly server: { readonly file: string; readonly env: NodeJS.ProcessEnv; readonly nodeFlags: readonly string[] };
  /** CPU pinning; undefined: unpinned. */
  readonly cpus: CpuPlan | undefined;
  /**
   * A load process per server, each cycling pre-rendered requests: each server gets more load
   * than it can take (its share of the CPU is the limit, not the load generator) and answers as
   * many requests as it can. @default false: one load process, a new path per request, sends
   * both servers the same load, which neither has to run flat out to keep up with.
   */
  readonly saturate?: boolean;
  /** Requests per second sent to each server; unset: as many as each server answers. */
  readonly rate?: number;
  readonly log: (line: string) => void;
}

/** One server's measured window under load. */
export interface ServerRun {
  readonly mode: ServerMode;
  readonly round: number;
  readonly requests: number;
  readonly cpuUsPerRequest: number;
  readonly systemCpuShare: number;
  /** CPU time over wall time in the window: how busy the server was (1 = one CPU flat out). */
  readonly busyShare: number;
  readonly requestsPerSecond: number;
  readonly rssMaxMb: number;
  readonly loadErrors: number;
  readonly non2xx: number;
}

export interface Comparison {
  readonly baseline: ServerMode;
  readonly subject: ServerMode;
  readonly runs: readonly ServerRun[];
  /** Per round, subject/baseline CPU per request. */
  readonly cpuRatios: readonly number[];
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

type Server = { readonly mode: ServerMode; readonly child: BenchChild; readonly port: number };

async function startServer(mode: ServerMode, opts: CompareOptions): Promise<Server> {
  const child = new BenchChild(opts.server.file, [mode], opts.server.env, opts.server.nodeFlags, opts.cpus?.servers);
  const ready = await child.next<{ type: 'ready'; port: number }>('ready', 30_000);
  return { mode, child, port: ready.port };
}

function runOf(server: Server, round: number, measured: WindowMeasurement, load: LoadResult): ServerRun {
  if (measured.requests === 0) throw new Error(`${server.mode}: no request was served in the measured window`);
  return {
    mode: server.mode,
    round,
    requests: measured.requests,
    cpuUsPerRequest: (measured.cpuUserUs + measured.cpuSystemUs) / measured.requests,
    systemCpuShare: measured.cpuSystemUs / (measured.cpuUserUs + measured.cpuSystemUs),
    busyShare: (measured.cpuUserUs + measured.cpuSystemUs) / 1000 / measured.wallMs,
    requestsPerSecond: (measured.requests / measured.wallMs) * 1000,
    rssMaxMb: measured.rssMaxBytes / 2 ** 20,
    loadErrors: load.errors,
    non2xx: load.non2xx,
  };
}

/**
 * Measures two servers side by side: both run at the same time, on the same CPU, each under its
 * own saturating load from one load-generator process (on another CPU), and each measures its
 * own CPU time and requests over the same window. Whatever the machine does during a window
 * (clock boost, a noisy neighbour on the host, the other vCPU's state) it does to both, so the
 * per-round ratio of CPU per request stays within about ±0.06 where sequential A/B windows swing
 * by ±0.2 on these VMs. The same method on two identical servers reads 1.00 ± 0.02 (the bench's
 * method check).
 */
export async function compareServers(baseline: ServerMode, subject: ServerMode, opts: CompareOptions): Promise<Comparison> {
  const loads = Array.from({ length: opts.saturate ? 2 : 1 }, () => new BenchChild('http/load.ts', [], {}, [], opts.cpus?.load));
  const servers: Server[] = [];
  try {
    await Promise.all(loads.map((l) => l.next('ready', 30_000)));
    servers.push(await startServer(baseline, opts), await startServer(subject, opts));
    const [b, s] = servers as [Server, Server];
    const runs: ServerRun[] = [];
    const cpuRatios: number[] = [];
    const rpsRatios: number[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      const totalMs = opts.warmupMs + opts.durationMs + 500;
      const request = {
        connections: opts.connections,
        durationMs: totalMs,
        paths: opts.paths,
        pathMode: opts.saturate ? ('sequence' as const) : ('per-request' as const),
        ...(opts.rate ? { rate: opts.rate } : {}),
      };
      const urls = servers.map((x) => `http://127.0.0.1:${x.port}`);
      const started = Promise.all(loads.map((l) => l.next('started', 10_000)));
      const results: Promise<LoadResult[]> = opts.saturate
        ? Promise.all(loads.map((l, i) => l.ask<LoadResult & { type: 'result' }>({ type: 'run', url: urls[i]!, ...request }, 'result', totalMs + 30_000)))
        : loads[0]!.ask<{ type: 'results'; results: LoadResult[] }>({ type: 'runMany', urls, ...request }, 'results', totalMs + 30_000).then((r) => r.results);
      await started;
      const window = { type: 'measure', warmupMs: opts.warmupMs, durationMs: opts.durationMs };
      const [mb, ms] = await Promise.all(servers.map((x) => x.child.ask<WindowMeasurement>(window, 'measured', totalMs + 10_000)));
      const loadResults = await results;
      const rb = runOf(b, round, mb!, loadResults[0]!);
      const rs = runOf(s, round, ms!, loadResults[1]!);
      runs.push(rb, rs);
      cpuRatios.push(rs.cpuUsPerRequest / rb.cpuUsPerRequest);
      rpsRatios.push(rs.requestsPerSecond / rb.requestsPerSecond);
      opts.log(
        `  round ${round}/${opts.rounds}: ` +
          [rb, rs].map((r) => `${r.mode} ${r.cpuUsPerRequest.toFixed(2)} µs CPU/request (${Math.round(r.systemCpuShare * 100)}% system), ${Math.round(r.requestsPerSecond)} req/s, ${Math.round(r.busyShare * 100)}% busy`).join('; ') +
          ` → ${cpuRatios.at(-1)!.toFixed(3)}×`,
      );
    }
    const of = (mode: ServerMode, side: Server) => runs.filter((r, i) => r.mode === mode && (i % 2 === 0) === (side === b));
    return {
      baseline,
      subject,
      runs,
      cpuRatios,
      cpuRatio: median(cpuRatios),
      throughputRatio: median(rpsRatios),
      baselineCpuUsPerRequest: median(of(baseline, b).map((r) => r.cpuUsPerRequest)),
      subjectCpuUsPerRequest: median(of(subject, s).map((r) => r.cpuUsPerRequest)),
      baselineRps: median(of(baseline, b).map((r) => r.requestsPerSecond)),
      subjectRps: median(of(subject, s).map((r) => r.requestsPerSecond)),
      subjectRssMaxMb: Math.max(...of(subject, s).map((r) => r.rssMaxMb)),
    };
  } finally {
    await Promise.all([...loads.map((l) => l.stop()), ...servers.map((x) => x.child.stop())]);
  }
}
