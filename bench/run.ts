/**
 * `npm run bench`: what the runtime costs, as ratios to a baseline measured in the same run.
 * Writes bench/results.json and the table in bench/README.md; prints PASS/MISS per target.
 * Always exits 0 when it could measure (a missed target is reported, not an error).
 *
 *   npm run bench                 full run (~3 minutes on 2 cores)
 *   npm run bench -- --quick      shorter windows, for trying changes (results still written)
 *   npm run bench -- --only=http,breaker,logger,render,startup,service
 */
import { join } from 'node:path';
import { providersService } from '../lib/services/providers';
import { apiKeyHeaders, generateApiKey, startOpenAIServer, type OpenAIServer } from '@bulwark/harness';
import { API_KEY_ENV } from '../service/auth';
import { postgresEnv, redisEnv, startPostgres, startRedis, type ThrowawayServer } from '@bulwark/harness';
import { compareServers, type CompareOptions, type Comparison } from './http/compare';
import { cpuPlan } from './lib/cpus';
import type { LoadResult } from './http/load';
import { BenchChild, killAllChildren } from './lib/child';
import { bundleLikeTheImage } from './service/bundle';
import { machine, measurement, writeResults, type BenchResults, type Measurement } from './lib/results';
import { round } from './lib/stats';
import { BEHIND_ONE_PROXY } from './lib/env';
import type { WindowMeasurement } from './lib/window';
import type { MicroResult } from './micro/timing';
import type { RenderTiming } from './lib/render';
import type { StartupTiming } from './service/startup';

const PHASES = ['http', 'fastify', 'breaker', 'logger', 'render', 'startup', 'service'] as const;
type Phase = (typeof PHASES)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = new Set<string>(onlyArg ? onlyArg.slice('--only='.length).split(',') : PHASES);
for (const p of only) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only: unknown phase "${p}"; phases: ${PHASES.join(', ')}`);

/** Load settings: fixed connections per server and window length, after a warm-up; side-by-side rounds. */
const LOAD = quick
  ? { connections: 10, warmupMs: 1_000, durationMs: 2_500, rounds: 2, fastifyRounds: 1, checkRounds: 1, referenceRounds: 1, saturatedRounds: 1 }
  : { connections: 10, warmupMs: 1_500, durationMs: 5_000, rounds: 7, fastifyRounds: 3, checkRounds: 3, referenceRounds: 3, saturatedRounds: 3 };

/** The issue's points of reference ("for scale"), each the bare handler plus one common way of doing part of the job. */
const REFERENCES = [
  { mode: 'ref-prom-client', what: 'prom-client counter + histogram', issue: 1.09 },
  { mode: 'ref-pino-line', what: 'one pino line', issue: 1.27 },
  { mode: 'ref-pino-http', what: 'pino-http', issue: 1.6 },
] as const;
const MICRO = quick ? { breakerCalls: 50_000, logLines: 50_000, rounds: 3, renders: 10 } : { breakerCalls: 200_000, logLines: 200_000, rounds: 7, renders: 30 };
/** Every bench request asks for a different provider id, as real traffic does (no cache of a single path). */
const BENCH_PATHS = Array.from({ length: 100_000 }, (_, i) => `/providers/${i + 1}`);
const SEEDED_PROVIDERS = 100;

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const measurements: Measurement[] = [];
const failures: { phase: string; error: string }[] = [];

function add(m: Measurement): void {
  measurements.push(m);
  const verdict = m.pass === null ? 'info' : m.pass ? 'PASS' : 'MISS';
  const ratio = m.ratio === null ? '' : ` (${m.ratio.toFixed(2)}× ${m.baseline?.name})`;
  log(`  [${verdict}] ${m.description}: ${m.value} ${m.unit}${ratio}`);
}

// ---- HTTP instrumentation ---------------------------------------------------------------------

function httpMeasurements(c: Comparison, prefix: string, what: string, target: boolean): void {
  const runs = { runs: c.runs.map((r) => ({ ...r, cpuUsPerRequest: round(r.cpuUsPerRequest), requestsPerSecond: Math.round(r.requestsPerSecond), busyShare: round(r.busyShare), systemCpuShare: round(r.systemCpuShare), rssMaxMb: round(r.rssMaxMb) })) };
  add(
    measurement({
      id: `${prefix}.cpu_per_request`,
      description: `${what}: server CPU per request`,
      value: c.subjectCpuUsPerRequest,
      unit: 'µs',
      baseline: { name: c.baseline, value: round(c.baselineCpuUsPerRequest), unit: 'µs' },
      ratio: round(c.cpuRatio),
      target: target ? { on: 'ratio', max: 1.35, source: 'issue: ≤ 1.35× the bare server (median of per-round ratios)' } : null,
      details: {
        method: 'side by side: both servers at once on one CPU, each under its own load from one load process on another CPU',
        connections: LOAD.connections,
        warmupMs: LOAD.warmupMs,
        durationMs: LOAD.durationMs,
        perRoundRatios: c.cpuRatios.map((r) => round(r)),
        ...runs,
      },
    }),
  );
  add(
    measurement({
      id: `${prefix}.throughput`,
      description: `${what}: throughput`,
      value: Math.round(c.subjectRps),
      unit: 'req/s',
      baseline: { name: c.baseline, value: Math.round(c.baselineRps), unit: 'req/s' },
      ratio: round(c.throughputRatio),
      target: null,
    }),
  );
}

/** The HTTP servers run from an esbuild bundle with the image's node flags, as the service image runs. */
let httpServerBundle: Awaited<ReturnType<typeof bundleLikeTheImage>> | undefined;

async function httpOptions(rounds: number): Promise<CompareOptions> {
  httpServerBundle ??= await bundleLikeTheImage('bench/http/server.ts');
  const cpus = cpuPlan();
  return { ...LOAD, rounds, paths: BENCH_PATHS, server: httpServerBundle, cpus, log };
}

function describeSetup(opts: CompareOptions): string {
  const pinning = opts.cpus ? `servers on CPU ${opts.cpus.servers}, load on CPU ${opts.cpus.load}` : 'unpinned (no taskset or one CPU)';
  return `${opts.rounds} side-by-side rounds of ${opts.durationMs / 1000} s, ${opts.connections} connections each, ${pinning}`;
}

async function referenceRuns(rounds: number, saturate: boolean, prefix: string): Promise<void> {
  for (const ref of REFERENCES) {
    const c = await compareServers('bare', ref.mode, { ...(await httpOptions(rounds)), saturate });
    add(
      measurement({
        id: `${prefix}.${ref.mode}.cpu_per_request`,
        description: `for scale: ${ref.what}${saturate ? ' at saturation' : ''}, server CPU per request (issue: ${ref.issue}×)`,
        value: round(c.subjectCpuUsPerRequest),
        unit: 'µs',
        baseline: { name: 'bare', value: round(c.baselineCpuUsPerRequest), unit: 'µs' },
        ratio: round(c.cpuRatio),
        target: null,
        details: { perRoundRatios: c.cpuRatios.map((r) => round(r)), issueRatio: ref.issue },
      }),
    );
  }
}

async function httpPhase(): Promise<void> {
  const check = await httpOptions(LOAD.checkRounds);
  log(`HTTP method check: two identical bare node:http servers under the same load, ${describeSetup(check)}`);
  const same = await compareServers('bare', 'bare', check);
  add(
    measurement({
      id: 'http.method_check',
      description: 'method check: bare node:http vs an identical bare server, CPU per request',
      value: round(same.subjectCpuUsPerRequest),
      unit: 'µs',
      baseline: { name: 'bare', value: round(same.baselineCpuUsPerRequest), unit: 'µs' },
      ratio: round(same.cpuRatio),
      target: null,
      details: { perRoundRatios: same.cpuRatios.map((r) => round(r)) },
    }),
  );
  const opts = await httpOptions(LOAD.rounds);
  log(`HTTP instrumentation: bare node:http vs runtime.createServer under the same load, ${describeSetup(opts)}`);
  const c = await compareServers('bare', 'instrumented', opts);
  httpMeasurements(c, 'http.node', 'node:http + runtime (metrics, access log, correlation)', true);
  log(`HTTP points of reference under the same load, ${LOAD.referenceRounds} rounds each`);
  await referenceRuns(LOAD.referenceRounds, false, 'http.ref');

  const saturated = { ...(await httpOptions(LOAD.saturatedRounds)), saturate: true };
  log(`HTTP at saturation (a load process per server; each server answers as fast as its CPU share allows), ${describeSetup(saturated)}`);
  const sat = await compareServers('bare', 'instrumented', saturated);
  httpMeasurements(sat, 'http.saturated.node', 'node:http + runtime at saturation', false);
  await referenceRuns(LOAD.saturatedRounds, true, 'http.saturated.ref');
}

async function fastifyPhase(): Promise<void> {
  const opts = await httpOptions(LOAD.fastifyRounds);
  log(`HTTP instrumentation on Fastify: bare route vs bulwarkFastify plugin, ${describeSetup(opts)}`);
  const c = await compareServers('fastify-bare', 'fastify-bulwark', opts);
  httpMeasurements(c, 'http.fastify', 'Fastify + bulwarkFastify plugin', false);
}

// ---- micro-benchmarks (each in its own process) ----------------------------------------------

async function micro<T extends Record<string, unknown>>(entry: string, argv: string[], timeoutMs: number): Promise<T> {
  const child = new BenchChild(entry, argv);
  try {
    return (await child.next<{ type: 'result' } & T>('result', timeoutMs)) as T;
  } finally {
    await child.stop(1_000);
  }
}

function byName(results: readonly MicroResult[], name: string): MicroResult {
  const r = results.find((x) => x.name === name);
  if (!r) throw new Error(`micro-benchmark result "${name}" missing`);
  return r;
}

async function breakerPhase(): Promise<void> {
  log('Breaker: sequential awaited calls, in one process');
  const { results } = await micro<{ results: MicroResult[] }>('micro/breaker.ts', [String(MICRO.breakerCalls), String(MICRO.rounds)], 120_000);
  const direct = byName(results, 'direct');
  const same = byName(results, 'opossum-same-options');
  const defaults = byName(results, 'opossum-defaults');
  const runtime = byName(results, 'runtime');
  const ns = (r: MicroResult) => round(r.nsPerOp, 0);
  add(
    measurement({
      id: 'breaker.vs_opossum',
      description: 'breaker-protected call vs bare opossum (same options)',
      value: ns(runtime),
      unit: 'ns/call',
      baseline: { name: 'opossum, same options', value: ns(same), unit: 'ns/call' },
      target: { on: 'ratio', max: 1.2, source: 'issue: ≤ 1.2× bare opossum with the same options' },
      details: { rounds: runtime.rounds.map((x) => round(x, 0)), opossumRounds: same.rounds.map((x) => round(x, 0)) },
    }),
  );
  add(
    measurement({
      id: 'breaker.vs_direct',
      description: 'breaker-protected call vs a direct call',
      value: ns(runtime),
      unit: 'ns/call',
      baseline: { name: 'direct call', value: ns(direct), unit: 'ns/call' },
      target: null,
      details: { overheadNs: round(runtime.nsPerOp - direct.nsPerOp, 0) },
    }),
  );
  add(
    measurement({
      id: 'breaker.opossum_defaults',
      description: 'bare opossum with its defaults (rolling percentiles, snapshots) vs the runtime’s options',
      value: ns(defaults),
      unit: 'ns/call',
      baseline: { name: 'opossum, runtime options', value: ns(same), unit: 'ns/call' },
      target: null,
    }),
  );
}

async function loggerPhase(): Promise<void> {
  log('Logger: access-log-shaped lines in a request context, in one process');
  const { results } = await micro<{ results: MicroResult[] }>('micro/logger.ts', [String(MICRO.logLines), String(MICRO.rounds)], 180_000);
  const pinoR = byName(results, 'pino');
  const runtime = byName(results, 'runtime');
  add(
    measurement({
      id: 'logger.lines_per_second',
      description: 'log lines per CPU-second through the runtime’s logger',
      value: Math.round(1e9 / runtime.nsPerOp),
      unit: 'lines/s',
      baseline: { name: 'bare pino, async 4 KB sonic-boom', value: Math.round(1e9 / pinoR.nsPerOp), unit: 'lines/s' },
      target: null,
      details: { runtimeNsPerLine: round(runtime.nsPerOp, 0), pinoNsPerLine: round(pinoR.nsPerOp, 0) },
    }),
  );
}

function renderMeasurement(id: string, description: string, t: { subject: RenderTiming; baseline: RenderTiming }, maxMs: number, source: string): Measurement {
  return measurement({
    id,
    description: `${description} (${t.subject.series.toLocaleString('en-US')} series)`,
    value: round(t.subject.medianMs),
    unit: 'ms',
    baseline: { name: 'prom-client registry.metrics()', value: round(t.baseline.medianMs), unit: 'ms' },
    target: { on: 'value', max: maxMs, source },
    details: { series: t.subject.series, bytes: t.subject.bytes, p95Ms: round(t.subject.p95Ms), baselineP95Ms: round(t.baseline.p95Ms) },
  });
}

async function renderPhase(): Promise<void> {
  log('/metrics render at 10 000 series, in one process');
  const t = await micro<{ subject: RenderTiming; baseline: RenderTiming }>('micro/render.ts', ['10000', String(MICRO.renders)], 120_000);
  add(renderMeasurement('metrics.render_10k', '/metrics render', t, 20, 'issue: ≤ 20 ms at 10 000 series'));
}

// ---- the example service on real dependencies ------------------------------------------------

interface Dependencies {
  readonly pg: ThrowawayServer;
  readonly redis: ThrowawayServer;
  readonly ai: OpenAIServer;
  readonly env: Record<string, string>;
}

let deps: Dependencies | undefined;

async function dependencies(): Promise<Dependencies> {
  if (deps) return deps;
  const [pg, redis, ai] = await Promise.all([startPostgres(), startRedis(), startOpenAIServer()]);
  deps = {
    pg,
    redis,
    ai,
    env: { ...postgresEnv(pg.port), ...redisEnv(redis.port), OPENAI_API_KEY: 'sk-bench-local-stand-in-key-0001', OPENAI_BASE_URL: ai.baseURL, [API_KEY_ENV]: generateApiKey(), LOG_LEVEL: 'info', ...BEHIND_ONE_PROXY },
  };
  return deps;
}

async function startupPhase(): Promise<void> {
  log('Startup validation: healthy dependencies (5 starts), then OpenAI hanging');
  const { env } = await dependencies();
  const child = new BenchChild('service/startup.ts', ['5'], { BENCH_SERVICE_ENV: JSON.stringify(env) });
  let r: { type: 'result'; healthy: StartupTiming[]; hanging: StartupTiming; declaredCheckTimeoutMs: number };
  try {
    r = await child.next<typeof r>('result', 120_000);
  } finally {
    await child.stop(1_000);
  }
  const walls = r.healthy.map((h) => h.wallMs);
  const sorted = [...walls].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  add(
    measurement({
      id: 'startup.healthy',
      description: 'startup validation, healthy PostgreSQL, Redis, OpenAI (median of 5 starts)',
      value: round(median, 1),
      unit: 'ms',
      baseline: null,
      target: { on: 'value', max: 1000, source: 'issue: ≤ 1 s (seed: 5 s)' },
      details: { wallMs: walls.map((w) => round(w, 1)), validationMs: r.healthy.map((h) => h.validationMs), statuses: r.healthy.map((h) => h.status) },
    }),
  );
  add(
    measurement({
      id: 'startup.hanging_dependency',
      description: 'startup validation, OpenAI hanging',
      value: round(r.hanging.wallMs, 1),
      unit: 'ms',
      baseline: { name: 'declared startup.checkTimeoutMs', value: r.declaredCheckTimeoutMs, unit: 'ms' },
      target: { on: 'ratio', max: 1.1, source: 'issue: bounded by the declared timeout (≤ 1.1× it, for scheduling)' },
      details: { status: r.hanging.status, validationMs: r.hanging.validationMs, notPassed: r.hanging.failed },
    }),
  );
}

async function seed(url: string, apiKey: string): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < SEEDED_PROVIDERS; i++) {
    const res = await fetch(`${url}/providers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...apiKeyHeaders(apiKey) },
      body: JSON.stringify({ name: `Bench Provider ${i}`, category: 'logistics', city: 'Valencia', description: 'Seeded by the bench.' }),
    });
    if (res.status !== 201) throw new Error(`seeding a provider answered ${res.status}: ${await res.text()}`);
    ids.push(((await res.json()) as { id: number }).id);
  }
  for (const id of ids) await (await fetch(`${url}/providers/${id}`)).arrayBuffer(); // into the cache
  return ids;
}

async function servicePhase(): Promise<void> {
  log(`Example service under load: GET /providers/:id (cached reads), ${LOAD.connections} connections, ${LOAD.durationMs / 1000} s`);
  const { env } = await dependencies();
  // Run as the image runs it: one esbuild bundle on plain node (tsx alone would add ~35 MB of RSS).
  const bundle = await bundleLikeTheImage('bench/service/service.ts');
  const service = new BenchChild(bundle.file, [], { ...bundle.env, BENCH_SERVICE_ENV: JSON.stringify(env) }, bundle.nodeFlags);
  const load = new BenchChild('http/load.ts');
  try {
    const { port } = await service.next<{ type: 'ready'; port: number }>('ready', 60_000);
    await load.next('ready', 30_000);
    const url = `http://127.0.0.1:${port}`;
    const ids = await seed(url, env[API_KEY_ENV]!);
    const paths = ids.map((id) => `/providers/${id}`);
    // Warm-up run, then the measured run (latencies of every response) with the server's window inside it.
    await load.ask<LoadResult>({ type: 'run', url, connections: LOAD.connections, durationMs: LOAD.warmupMs, paths }, 'result', LOAD.warmupMs + 30_000);
    const started = load.next('started', 10_000);
    const result = load.ask<LoadResult>(
      { type: 'run', url, connections: LOAD.connections, durationMs: LOAD.durationMs, paths, latencies: true },
      'result',
      LOAD.durationMs + 30_000,
    );
    await started;
    const window = await service.ask<WindowMeasurement>({ type: 'measure', warmupMs: 0, durationMs: LOAD.durationMs - 200 }, 'measured', LOAD.durationMs + 10_000);
    const loadResult = await result;
    const rendered = await service.ask<{ type: 'rendered'; subject: RenderTiming; baseline: RenderTiming }>(
      { type: 'render', iterations: MICRO.renders },
      'rendered',
      60_000,
    );
    const latency = loadResult.latencyMs!;
    const failed = loadResult.errors + loadResult.non2xx;
    const details = {
      requests: loadResult.requests,
      requestsPerSecond: Math.round(loadResult.requestsPerSecond),
      latencyMs: latency,
      cpuUsPerRequest: round((window.cpuUserUs + window.cpuSystemUs) / Math.max(1, window.requests)),
    };
    add(
      measurement({
        id: 'service.p95_latency',
        description: 'example service: p95 latency of GET /providers/:id (cached) under load',
        value: round(latency.p95, 2),
        unit: 'ms',
        baseline: null,
        target: { on: 'value', max: 100, source: 'seed 000: < 100 ms p95' },
        details,
      }),
    );
    add(
      measurement({
        id: 'service.error_rate',
        description: 'example service: errors and non-2xx under load',
        value: round((100 * failed) / Math.max(1, loadResult.requests), 3),
        unit: '%',
        baseline: null,
        target: { on: 'value', max: 1, source: 'seed 000: < 1% error rate' },
        details: { errors: loadResult.errors, timeouts: loadResult.timeouts, non2xx: loadResult.non2xx },
      }),
    );
    add(
      measurement({
        id: 'service.rss',
        description: 'example service: peak RSS under load',
        value: round(window.rssMaxBytes / 2 ** 20, 1),
        unit: 'MB',
        baseline: null,
        target: { on: 'value', max: 150, source: 'issue: ≤ 150 MB (seed: 500 MB)' },
        details: { runAs: `${['node', ...bundle.nodeFlags, 'service.js'].join(' ')} (esbuild bundle, as service/Dockerfile)`, atEndOfWindowMb: window.memoryMb },
      }),
    );
    add(renderMeasurement('metrics.render_service', '/metrics render of the example service after the load', rendered, 3, 'issue: ≤ 3 ms'));
  } finally {
    await Promise.all([service.stop(10_000), load.stop(1_000)]);
    bundle.remove();
  }
}

// ---- main ---------------------------------------------------------------------------------------

const RUNNERS: Record<Phase, () => Promise<void>> = {
  http: httpPhase,
  fastify: fastifyPhase,
  breaker: breakerPhase,
  logger: loggerPhase,
  render: renderPhase,
  startup: startupPhase,
  service: servicePhase,
};

async function main(): Promise<number> {
  const started = Date.now();
  const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  log(`bench: ${command} (${machine().cpu}, ${machine().cores} cores, Node ${process.version}); declaration: ${providersService.name}`);
  try {
    for (const phase of PHASES) {
      if (!only.has(phase)) continue;
      try {
        await RUNNERS[phase]();
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        failures.push({ phase, error });
        log(`  [FAIL] phase ${phase} could not run: ${error}`);
      }
    }
  } finally {
    killAllChildren();
    httpServerBundle?.remove();
    if (deps) await Promise.all([deps.pg.destroy(), deps.redis.destroy(), deps.ai.close()]).catch(() => undefined);
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    command,
    machine: machine(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    measurements,
    failures,
  };
  writeResults(results, join(__dirname, 'results.json'), join(__dirname, 'README.md'));
  const missed = measurements.filter((m) => m.pass === false);
  log(`\n${measurements.filter((m) => m.pass).length} PASS, ${missed.length} MISS, ${measurements.filter((m) => m.pass === null).length} for scale only; ${failures.length} phase(s) failed`);
  for (const m of missed) log(`  MISS ${m.id}: ${m.value} ${m.unit}${m.ratio !== null ? ` (${m.ratio}×)` : ''}, target ${JSON.stringify(m.target)}`);
  log('results: bench/results.json, table: bench/README.md');
  // A phase that could not run at all is an error of the bench; a missed target is a result.
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    killAllChildren();
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
