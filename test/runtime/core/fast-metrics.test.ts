import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createMetrics, METRICS, type MetricKey, type MetricSpec } from '../../../runtime/src/internal';
import {
  installFastCounterChildren,
  installFastGaugeChildren,
  installFastHistogramChildren,
} from '../../../runtime/src/metrics/fast';

/**
 * runtime/src/metrics/fast.ts replaces prom-client's label-bound children with ones that update
 * the series entry directly. These tests drive the same seeded random sequence of operations —
 * valid and invalid — through a fast metric and a plain prom-client metric with the same spec,
 * and require the same outcome (result or exact error) and byte-identical exposition text.
 */

type Kind = 'counter' | 'gauge' | 'histogram';
type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;
type Child = Record<string, (...args: unknown[]) => unknown>;
type Labels = Record<string, string | number>;

/** Small seeded PRNG (mulberry32): the same seed gives the same sequence on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 'ok' or the thrown error's class and message: both sides must fail in exactly the same way. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof Error ? `${err.constructor.name}: ${err.message}` : `thrown ${String(err)}`;
  }
}

function plainTwin(kind: Kind, name: string, help: string, labelNames: readonly string[], buckets?: readonly number[]): AnyMetric {
  const common = { name, help, labelNames: [...labelNames], registers: [new Registry()] };
  if (kind === 'counter') return new Counter(common);
  if (kind === 'gauge') return new Gauge(common);
  return new Histogram({ ...common, buckets: [...(buckets ?? [])] });
}

async function exposition(metric: AnyMetric): Promise<string> {
  // One registry per metric here, except catalog metrics, which share createMetrics' registry.
  const registry = (metric as unknown as { registers?: Registry[] }).registers?.[0];
  if (registry) return registry.getSingleMetricAsString((metric as unknown as { name: string }).name);
  throw new Error('metric without a registry');
}

interface Case {
  readonly kind: Kind;
  readonly fast: AnyMetric;
  readonly plain: AnyMetric;
  readonly labelNames: readonly string[];
  readonly render: { fast: () => Promise<string>; plain: () => Promise<string> };
  /** Bucket bounds (histograms): observed exactly and just either side. */
  readonly bounds: readonly number[];
}

function catalogCase(key: MetricKey): Case {
  const metrics = createMetrics({ nodeMetrics: false });
  const spec: MetricSpec = METRICS[key];
  const fast = metrics[key] as unknown as AnyMetric;
  const plain = plainTwin(spec.type as Kind, spec.name, spec.help, spec.labels, spec.buckets);
  return {
    kind: spec.type as Kind,
    fast,
    plain,
    labelNames: spec.labels,
    render: { fast: () => metrics.registry.getSingleMetricAsString(spec.name), plain: () => exposition(plain) },
    bounds: spec.buckets ?? [],
  };
}

/** A metric outside the catalog (e.g. a two-label gauge, which the catalog has none of). */
function directCase(kind: Kind, labelNames: readonly string[], buckets: readonly number[] = []): Case {
  const fast = plainTwin(kind, `fast_${kind}`, 'fast children', labelNames, buckets);
  const plain = plainTwin(kind, `fast_${kind}`, 'fast children', labelNames, buckets);
  if (kind === 'counter') installFastCounterChildren(fast as Counter<string>);
  else if (kind === 'gauge') installFastGaugeChildren(fast as Gauge<string>);
  else installFastHistogramChildren(fast as Histogram<string>);
  return { kind, fast, plain, labelNames, render: { fast: () => exposition(fast), plain: () => exposition(plain) }, bounds: buckets };
}

const LABEL_VALUES: ReadonlyArray<string | number> = ['a', 'b', 'GET', '/v1/x', 200, '200'];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** Label arguments for labels()/remove(): positional, or one object in declared, reversed or partial order, sometimes invalid. */
function labelArgs(rand: () => number, labelNames: readonly string[], allowInvalid: boolean): unknown[] {
  const values = labelNames.map(() => pick(rand, LABEL_VALUES));
  const shape = rand();
  if (labelNames.length === 0) return shape < 0.8 || !allowInvalid ? [] : [{ bogus: 'x' }];
  if (shape < 0.35) return values;
  const entries = labelNames.map((name, i) => [name, values[i]] as const);
  if (shape < 0.55) return [Object.fromEntries(entries)];
  if (shape < 0.75) return [Object.fromEntries([...entries].reverse())];
  if (shape < 0.82 && labelNames.length > 1) return [Object.fromEntries(entries.slice(1))]; // partial: a series with fewer labels
  if (!allowInvalid) return values;
  if (shape < 0.9) return [Object.fromEntries([...entries, ['bogus', 'x']])]; // unknown label name
  return values.slice(1); // wrong number of positional values
}

/** Labels as the first argument of metric.inc/set/observe (object form), or nothing for label-less metrics. */
function labelObject(rand: () => number, labelNames: readonly string[]): Labels | undefined {
  if (labelNames.length === 0) return undefined;
  const args = labelArgs(rand, labelNames, true);
  if (args.length === 1 && typeof args[0] === 'object') return args[0] as Labels;
  return Object.fromEntries(labelNames.map((name, i) => [name, args[i] as string | number]).filter(([, v]) => v !== undefined));
}

// Values: mostly valid, with the invalid ones prom-client rejects (or accepts) in its own way.
const COUNTER_VALUES: unknown[] = [undefined, undefined, undefined, 1, 0, 2.5, 0.1, 1e6, -1, Number.POSITIVE_INFINITY, '3', null, NaN];
const GAUGE_VALUES: unknown[] = [undefined, undefined, 1, 0, -2.5, 0.1, 7, 1e9, Number.NEGATIVE_INFINITY, '3', null, NaN];
function histogramValues(bounds: readonly number[]): unknown[] {
  const near = bounds.flatMap((b) => [b, b * (1 - 1e-12), b * (1 + 1e-12)]);
  return [...near, 0, -1, 1e9, 0.0001, Number.POSITIVE_INFINITY, NaN, '0.5', undefined];
}

interface ChildPair {
  fast: Child;
  plain: Child;
}

/** Runs `steps` random operations on both metrics; compares outcomes every step and expositions every few. */
async function runSequence(c: Case, seed: number, steps: number): Promise<{ ok: number; failed: number }> {
  const rand = prng(seed);
  const children: ChildPair[] = [];
  const counts = { ok: 0, failed: 0 };
  const fast = c.fast as unknown as Child;
  const plain = c.plain as unknown as Child;
  const values = c.kind === 'counter' ? COUNTER_VALUES : c.kind === 'gauge' ? GAUGE_VALUES : histogramValues(c.bounds);
  const rareValue = (): unknown => {
    // NaN poisons a series until it is reset or removed: keep it rare.
    const v = pick(rand, values);
    return typeof v === 'number' && Number.isNaN(v) && rand() < 0.8 ? 1 : v;
  };

  const both = (label: string, op: (m: Child) => unknown): void => {
    const a = outcome(() => op(fast));
    const b = outcome(() => op(plain));
    if (a !== b) throw new Error(`step "${label}" (seed ${seed}): fast gave "${a}", prom-client gave "${b}"`);
    if (a === 'ok') counts.ok++;
    else counts.failed++;
  };

  for (let step = 0; step < steps; step++) {
    const r = rand();
    if (r < 0.12 || children.length === 0) {
      const args = labelArgs(rand, c.labelNames, true);
      const pair: Partial<ChildPair> = {};
      both(`labels(${JSON.stringify(args)})`, (m) => {
        const child = (m.labels as (...a: unknown[]) => Child)(...args);
        if (m === fast) pair.fast = child;
        else pair.plain = child;
      });
      if (pair.fast && pair.plain) children.push(pair as ChildPair);
    } else if (r < 0.72) {
      const pair = pick(rand, children);
      const value = rareValue();
      const method =
        c.kind === 'histogram' ? 'observe' : c.kind === 'counter' ? 'inc' : pick(rand, ['inc', 'inc', 'dec', 'dec', 'set'] as const);
      const useValue = c.kind === 'histogram' || method === 'set' || rand() < 0.6;
      both(`child.${method}(${String(value)})`, (m) => {
        const child = m === fast ? pair.fast : pair.plain;
        return useValue ? child[method]!(value) : child[method]!();
      });
    } else if (r < 0.84) {
      const labels = labelObject(rand, c.labelNames);
      const value = rareValue();
      const method = c.kind === 'histogram' ? 'observe' : c.kind === 'counter' ? 'inc' : pick(rand, ['inc', 'dec', 'set'] as const);
      both(`metric.${method}(${JSON.stringify(labels)}, ${String(value)})`, (m) =>
        labels === undefined ? m[method]!(value) : m[method]!(labels, value),
      );
    } else if (r < 0.91) {
      const args = labelArgs(rand, c.labelNames, true);
      both(`remove(${JSON.stringify(args)})`, (m) => m.remove!(...args));
    } else if (r < 0.95 && c.kind === 'histogram') {
      const labels = labelObject(rand, c.labelNames) ?? {};
      both(`zero(${JSON.stringify(labels)})`, (m) => m.zero!(labels));
    } else if (r < 0.975) {
      both('reset()', (m) => m.reset!());
    }
    if (step % 3 === 0 || step === steps - 1) {
      const [fastText, plainText] = await Promise.all([c.render.fast(), c.render.plain()]);
      if (fastText !== plainText) {
        // Shows the first differing step with a readable diff.
        expect({ step, seed, text: fastText }).toEqual({ step, seed, text: plainText });
      }
    }
  }
  return counts;
}

const SEEDS = [1, 7, 2024];
const STEPS = 1500;

describe('fast label-bound children (runtime/src/metrics/fast.ts) behave exactly like prom-client', () => {
  const catalogKeys: MetricKey[] = ['httpRequestsTotal', 'httpRequestDurationSeconds', 'httpRequestsInFlight', 'circuitBreakerState', 'degradationLevel', 'dbQueryDurationSeconds'];

  it.each(catalogKeys)('createMetrics().%s: same outcomes and byte-identical exposition over random sequences', async (key) => {
    for (const seed of SEEDS) {
      const c = catalogCase(key);
      // The shortcut is installed (labels is an own property, not prom-client's prototype method).
      expect(Object.prototype.hasOwnProperty.call(c.fast, 'labels')).toBe(true);
      const counts = await runSequence(c, seed, STEPS);
      // The sequence exercised both successful updates and rejected ones.
      expect(counts.ok).toBeGreaterThan(STEPS / 3);
      expect(counts.failed).toBeGreaterThan(0);
      expect(await c.render.fast()).toBe(await c.render.plain());
    }
  });

  it.each([
    ['counter', ['method', 'endpoint', 'status']],
    ['gauge', ['method', 'endpoint']],
    ['histogram', ['operation', 'table']],
  ] as const)('a %s outside the catalog with labels %j: same outcomes and exposition', async (kind, labelNames) => {
    for (const seed of SEEDS) {
      const c = directCase(kind, labelNames, kind === 'histogram' ? [0.001, 0.01, 0.1, 1, 10] : []);
      const counts = await runSequence(c, seed, STEPS);
      expect(counts.ok).toBeGreaterThan(STEPS / 3);
      expect(await c.render.fast()).toBe(await c.render.plain());
    }
  });

  it('a child made before reset(), remove(), zero() or set() keeps updating the re-created series', async () => {
    const m = createMetrics({ nodeMetrics: false });
    const requests = m.httpRequestsTotal.labels('GET', '/x', '200');
    const duration = m.httpRequestDurationSeconds.labels('GET', '/x');
    const breaker = m.circuitBreakerState.labels('redis');
    const render = () => m.render();

    requests.inc();
    requests.inc(2);
    duration.observe(0.2);
    breaker.inc(5);
    m.httpRequestsTotal.reset();
    m.httpRequestDurationSeconds.reset();
    requests.inc();
    duration.observe(0.3);
    breaker.set(1); // gauge set() replaces the series entry
    breaker.inc();
    let text = await render();
    expect(text).toMatch(/^http_requests_total\{method="GET",endpoint="\/x",status="200"\} 1$/m);
    expect(text).toContain('http_request_duration_seconds_count{method="GET",endpoint="/x"} 1\n');
    expect(text).toContain('http_request_duration_seconds_sum{method="GET",endpoint="/x"} 0.3\n');
    expect(text).toContain('circuit_breaker_state{name="redis"} 2\n');

    m.httpRequestsTotal.remove('GET', '/x', '200');
    m.httpRequestDurationSeconds.zero({ method: 'GET', endpoint: '/x' });
    m.circuitBreakerState.remove({ name: 'redis' });
    requests.inc(4);
    duration.observe(0.1);
    breaker.dec();
    text = await render();
    expect(text).toContain('http_requests_total{method="GET",endpoint="/x",status="200"} 4\n');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",endpoint="/x"} 1\n');
    expect(text).toContain('http_request_duration_seconds_sum{method="GET",endpoint="/x"} 0.1\n');
    expect(text).toContain('circuit_breaker_state{name="redis"} -1\n');

    // A series re-created by the metric's own method (not the child) is the one the child then updates.
    m.httpRequestsTotal.reset();
    m.httpRequestsTotal.inc({ method: 'GET', endpoint: '/x', status: '200' }, 10);
    requests.inc();
    expect(await render()).toContain('http_requests_total{method="GET",endpoint="/x",status="200"} 11\n');
  });

  it('invalid values throw exactly as prom-client does, and leave the series untouched', async () => {
    const c = catalogCase('httpRequestsTotal');
    const fast = (c.fast as Counter<string>).labels('GET', '/x', '200');
    const plain = (c.plain as Counter<string>).labels('GET', '/x', '200');
    fast.inc();
    plain.inc();
    for (const bad of [-1, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
      expect(() => fast.inc(bad)).toThrow();
      expect(outcome(() => fast.inc(bad))).toBe(outcome(() => plain.inc(bad)));
    }
    expect(await c.render.fast()).toBe(await c.render.plain());
    expect(await c.render.fast()).toMatch(/^http_requests_total\{method="GET",endpoint="\/x",status="200"\} 1$/m);

    const h = catalogCase('httpRequestDurationSeconds');
    const fastH = (h.fast as Histogram<string>).labels('GET', '/x');
    const plainH = (h.plain as Histogram<string>).labels('GET', '/x');
    for (const bad of [NaN, Number.POSITIVE_INFINITY, '0.5' as unknown as number]) {
      expect(() => fastH.observe(bad)).toThrow(TypeError);
      expect(outcome(() => fastH.observe(bad))).toBe(outcome(() => plainH.observe(bad)));
    }
    expect(await h.render.fast()).toBe(await h.render.plain());
  });

  it('leaves metrics whose internals are not prom-client 15 shaped alone (prom-client methods stay in use)', () => {
    const labels = () => ({ inc: () => undefined });
    const shapes: Array<Record<string, unknown>> = [
      { labels }, // no internals at all
      { labels, hashMap: null, labelNames: [], sortedLabelNames: [] },
      { labels, hashMap: {}, labelNames: ['a'] }, // no sortedLabelNames
      { labels, hashMap: {}, sortedLabelNames: ['a'] }, // no labelNames
    ];
    for (const shape of shapes) {
      installFastCounterChildren(shape as unknown as Counter<string>);
      installFastGaugeChildren(shape as unknown as Gauge<string>);
      installFastHistogramChildren(shape as unknown as Histogram<string>);
      expect(shape.labels).toBe(labels);
    }
    // A histogram without the bucket bounds array keeps prom-client's children too.
    const histogramLike = { labels, hashMap: {}, labelNames: ['a'], sortedLabelNames: ['a'], upperBounds: undefined };
    installFastHistogramChildren(histogramLike as unknown as Histogram<string>);
    expect(histogramLike.labels).toBe(labels);
  });

  it('a series store it cannot read by key makes every update go through prom-client (still correct)', async () => {
    // A prom-client counter whose series store is hidden behind a Map-like object: entries are
    // never found by key, so the child must fall back on every call.
    const fast = directCase('counter', ['method']);
    const counter = fast.fast as Counter<string>;
    const child = counter.labels('GET');
    const plainChild = (fast.plain as Counter<string>).labels('GET');
    for (let i = 0; i < 5; i++) {
      child.inc(i);
      plainChild.inc(i);
      // Simulate a store the child cannot track: swap the map object for an equal copy each time.
      const internals = counter as unknown as { hashMap: Record<string, unknown> };
      internals.hashMap = { ...internals.hashMap };
    }
    expect(await fast.render.fast()).toBe(await fast.render.plain());
    expect(await fast.render.fast()).toMatch(/^fast_counter\{method="GET"\} 10$/m);
  });
});
