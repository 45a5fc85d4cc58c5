/**
 * A kind of the team's own (fixtures/queue-kind.ts: a message queue with its own call metrics and
 * a dashboard panel), registered in the module that declares the service, flows everywhere: the
 * declaration takes its defaults, the startup validator checks its URL, the runtime counts its
 * calls in its metrics (/metrics), and `bulwark generate` writes rules and dashboards for it.
 */
import { spawnSync } from 'node:child_process';
import type { Counter } from 'prom-client';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { createRuntime, defineKind, defineService, KindError, kindMetrics, kindOf, registerKind, type BulwarkRuntime } from '@bulwark/runtime';
import { checkPromQL } from '../support/promql-check';
import { readmeSamples } from '../packages/support';
import { LogCapture } from '../runtime/logging/capture';
import { checkout } from './fixtures/checkout';
import { queueKind } from './fixtures/queue-kind';

const ROOT = join(__dirname, '..', '..');

describe('a kind defined and registered by the team', () => {
  it('is the kind the README shows as how to add one', () => {
    expect(readmeSamples(readFileSync(join(ROOT, 'README.md'), 'utf8')).get('lib/queue-kind.ts')).toBe(readFileSync(join(__dirname, 'fixtures', 'queue-kind.ts'), 'utf8'));
  });

  it('is registered and gives a dependency its defaults', () => {
    expect(kindOf('queue')).toBe(queueKind);
    expect(checkout.dependencies.events).toMatchObject({ kind: 'queue', impact: 'DEGRADED', critical: false, provides: [], breaker: { timeoutMs: 2_000, resetTimeoutMs: 15_000 } });
  });

  it('needs its connection variable, and the startup validator checks the URL shape it describes', async () => {
    expect(() => defineService({ name: 'x1', dependencies: { events: { kind: 'queue' } } })).toThrow(
      'dependencies.events.env: is required for a queue dependency: name the environment variable holding its broker URL (e.g. "QUEUE_URL")',
    );
    const runtime = createRuntime(checkout, { env: { DATABASE_URL: 'postgres://127.0.0.1:1/x', EVENTS_URL: 'https://broker.internal' }, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
    runtime.call('events', async () => undefined);
    const summary = await runtime.start().catch((err: { summary?: { results: { name: string; message: string }[] } }) => err.summary);
    const result = summary?.results.find((r) => r.name === 'env:EVENTS_URL');
    expect(result?.message).toBe('EVENTS_URL is not a valid Message queue URL; expected the form amqps://broker.example.com:5671/vhost (value not shown)');
    await runtime.stop();
  });

  describe('in the runtime', () => {
    let runtime: BulwarkRuntime;
    let base = '';
    let admin = '';

    beforeAll(async () => {
      runtime = createRuntime(defineService({ name: 'publisher', dependencies: { events: { kind: 'queue', env: 'EVENTS_URL' } } }), {
        env: { EVENTS_URL: 'amqps://broker.internal:5671/shop' },
        logDestination: new LogCapture(),
        nodeMetrics: false,
        admin: { port: 0 },
      });
      const events = runtime.call('events', async () => undefined);
      const server = runtime.createServer(async (_req, res) => {
        res.end(await events.instrumentCall('publish', async () => 'sent'));
      });
      await runtime.start();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      admin = runtime.adminAddress!.url;
    });
    afterAll(() => runtime.stop());

    it('counts its calls in its own metrics, under the dependency label, and registers its panel metric', async () => {
      expect(await (await fetch(`${base}/`)).text()).toBe('sent');
      (runtime.metrics.byName('queue_dead_letters_total') as Counter<string>).inc({ dependency: 'events' });
      const metrics = await (await fetch(`${admin}/metrics`)).text();
      expect(metrics).toMatch(/^queue_publishes_total\{dependency="events",operation="publish"\} 1$/m);
      expect(metrics).toMatch(/^queue_publish_duration_seconds_count\{dependency="events",operation="publish"\} 1$/m);
      expect(metrics).toMatch(/^queue_dead_letters_total\{dependency="events"\} 1$/m);
      expect(metrics).not.toMatch(/^dependency_requests_total\{/m);
    });

    it('degrades to its declared impact when its breaker opens', async () => {
      const events = runtime.call('events', async () => undefined);
      for (let i = 0; i < 5; i++) await events.instrumentCall('publish', () => Promise.reject(new Error('connection reset'))).catch(() => undefined);
      expect(runtime.degradation.levelName).toBe('DEGRADED');
      expect((await (await fetch(`${admin}/metrics`)).text()).match(/^queue_publish_errors_total\{dependency="events",operation="publish",error_type="[a-z_]+"\} 5$/m)).not.toBeNull();
    });
  });

  it('flows through bulwark generate: rules and dashboards for its dependency, naming its metrics', () => {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    const out = mkdtempSync(join(ROOT, '.tmp', 'kind-'));
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'src', 'main.ts'), 'generate', relative(ROOT, join(__dirname, 'fixtures', 'checkout.ts')), '--out', relative(ROOT, out)], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 600_000,
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      const rules = readFileSync(join(out, 'checkout.rules.yml'), 'utf8');
      expect(rules).toContain('dependency_up{job="checkout", dependency="events"} == 0');
      const dashboard = readFileSync(join(out, 'dashboards', 'checkout', 'dependencies.json'), 'utf8');
      const panels = (JSON.parse(dashboard) as { panels: { title: string; type: string; targets?: { expr: string }[] }[] }).panels;
      expect(panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['db — PostgreSQL (critical)', 'events — Message queue']);
      const exprs = panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
      expect(exprs.some((e) => e.includes('queue_publishes_total{job="checkout",instance=~"$instance",dependency="events"}'))).toBe(true);
      expect(panels.map((p) => p.title)).toContain('events: dead letters');
      // Every query names series the runtime emits: the catalog's and this kind's.
      const known = new Map(kindMetrics(queueKind).map((m) => [m.name, m.labels]));
      expect(exprs.flatMap((e) => checkPromQL(e.replace(/\$instance/g, '.*'), undefined, kindMetrics(queueKind)))).toEqual([]);
      expect(known.size).toBe(4);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('a kind with an adapter of its own', () => {
  it('makes the adapter runtime.dependency returns, with the connection read for it, and health-checks it at startup', async () => {
    const seen: string[] = [];
    const clockKind = registerKind(
      defineKind({
        ...queueKind,
        name: 'clock',
        title: 'Time service',
        connection: { holds: 'endpoint', exampleVariable: 'CLOCK_URL' },
        callMetrics: {
          ...queueKind.callMetrics,
          calls: { ...queueKind.callMetrics.calls, name: 'clock_reads_total' },
          errors: { ...queueKind.callMetrics.errors, name: 'clock_read_errors_total' },
          duration: { ...queueKind.callMetrics.duration, name: 'clock_read_duration_seconds' },
        },
        panels: [],
        adapter: ({ name, base, connection }) => {
          seen.push(`${name} ${connection.value}`);
          return { name, kind: 'clock', breaker: base.breakers.create({ name, ...base.breaker }), healthCheck: async () => void seen.push('checked'), close: async () => undefined };
        },
      }),
    );
    const runtime = createRuntime(defineService({ name: 'timer', dependencies: { clock: { kind: clockKind.name, env: 'CLOCK_URL' } } }), {
      env: { CLOCK_URL: 'tcp://time.internal:37' },
      logDestination: new LogCapture(),
      nodeMetrics: false,
      admin: { port: 0 },
    });
    const clock = runtime.dependency('clock');
    expect(runtime.dependency('clock')).toBe(clock);
    const summary = await runtime.start();
    expect(summary.results.find((r) => r.name === 'dependency:clock')?.status).toBe('pass');
    expect(seen).toEqual(['clock tcp://time.internal:37', 'checked']);
    expect(() => runtime.dependency('missing')).toThrow('dependency "missing" is not declared in service "timer"');
    await runtime.stop();
    const generic = createRuntime(checkout, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    expect(() => generic.dependency('events')).toThrow('dependency "events": kind "queue" has no adapter of its own; use runtime.call("events", healthCheck)');
  });
});

describe('defineKind and registerKind', () => {
  const base = queueKind;

  it('name every problem of a kind definition', () => {
    const bad = () =>
      defineKind({
        ...base,
        name: 'Bad Kind',
        provides: ['teleport' as 'ai'],
        callMetrics: { ...base.callMetrics, calls: { ...base.callMetrics.calls, labels: ['operation'] }, duration: { ...base.callMetrics.duration, buckets: [] } },
      });
    expect(bad).toThrow(KindError);
    expect(bad).toThrow(/name: "Bad Kind" must be 2-31 lowercase letters[\s\S]*provides\[0\]: "teleport" is not one of[\s\S]*callMetrics\.calls\.labels: must include "dependency"[\s\S]*callMetrics\.duration\.buckets: a histogram needs its bucket bounds/);
  });

  it('refuse another kind under a taken name, or a metric name another kind counts in differently', () => {
    expect(registerKind(queueKind)).toBe(queueKind);
    expect(() => registerKind(defineKind({ ...base, title: 'Another queue' }))).toThrow('a kind named "queue" is already registered');
    const clash = defineKind({ ...base, name: 'stream', callMetrics: { ...base.callMetrics, calls: { ...base.callMetrics.calls, labels: ['dependency'] } } });
    expect(() => registerKind(clash)).toThrow('metric queue_publishes_total: kind "queue" already counts in a metric of that name with other labels or type');
    expect(kindOf('stream')).toBeUndefined();
  });
});
