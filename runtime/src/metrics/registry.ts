import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { httpLatencyBuckets, METRICS, type MetricKey, type MetricSpec } from './catalog';
import { installFastCounterChildren, installFastGaugeChildren, installFastHistogramChildren } from './fast';

type LabelsOf<K extends MetricKey> = (typeof METRICS)[K]['labels'][number];
type InstanceOf<K extends MetricKey> = (typeof METRICS)[K]['type'] extends 'counter'
  ? Counter<LabelsOf<K>>
  : (typeof METRICS)[K]['type'] extends 'histogram'
    ? Histogram<LabelsOf<K>>
    : Gauge<LabelsOf<K>>;

export type MetricInstances = { readonly [K in MetricKey]: InstanceOf<K> };

export interface RuntimeMetrics extends MetricInstances {
  /** The runtime's own registry (never prom-client's global one, so two runtimes never collide). */
  readonly registry: Registry;
  /** False when ENABLE_PROMETHEUS_METRICS=false: every metric is a no-op and /metrics answers 404. */
  readonly enabled: boolean;
  /** A metric by name: the catalog's, or one of `extraMetrics` (a team's own kind counts its calls in those). */
  byName(name: string): Counter<string> | Histogram<string> | Gauge<string> | undefined;
  /** Prometheus text exposition of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface CreateMetricsOptions {
  /** @default true */
  readonly enabled?: boolean;
  /** Collect Node.js process metrics (event loop lag, heap, GC, RSS). @default true */
  readonly nodeMetrics?: boolean;
  readonly service?: string;
  readonly version?: string;
  /** The service's latency objective: becomes a bucket of http_request_duration_seconds. @default the catalog's buckets only */
  readonly latencyThresholdMs?: number;
  /** Metrics beyond the catalog's: those the service's own dependency kinds count their calls in. */
  readonly extraMetrics?: readonly MetricSpec[];
}

// A no-op stand-in with every method the runtime calls on a metric, for a switched-off capability.
const NOOP_TIMER = (): number => 0;
const NOOP: Record<string, unknown> = {
  inc: () => undefined,
  dec: () => undefined,
  set: () => undefined,
  observe: () => undefined,
  reset: () => undefined,
  remove: () => undefined,
  zero: () => undefined,
  startTimer: () => NOOP_TIMER,
  get: async () => ({ values: [] }),
};
NOOP.labels = () => NOOP;

function build(spec: MetricSpec, registry: Registry, buckets: readonly number[] | undefined = spec.buckets): unknown {
  const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
  switch (spec.type) {
    // Label-bound children (`metric.labels(...)`) update their series directly: see fast.ts.
    case 'counter': {
      const counter = new Counter(common);
      installFastCounterChildren(counter);
      return counter;
    }
    case 'histogram': {
      const histogram = new Histogram({ ...common, buckets: [...(buckets ?? [])] });
      installFastHistogramChildren(histogram);
      return histogram;
    }
    case 'gauge': {
      const gauge = new Gauge(common);
      installFastGaugeChildren(gauge);
      return gauge;
    }
    default:
      throw new Error(`metric ${spec.name}: type ${spec.type} is not built by the runtime`);
  }
}

/** Creates the catalog's metrics on a fresh registry. Safe to call any number of times. */
export function createMetrics(options: CreateMetricsOptions = {}): RuntimeMetrics {
  const enabled = options.enabled ?? true;
  const registry = new Registry();
  const instances: Record<string, unknown> = {};
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    const buckets = key === 'httpRequestDurationSeconds' && options.latencyThresholdMs !== undefined ? httpLatencyBuckets(options.latencyThresholdMs) : undefined;
    instances[key] = enabled ? build(METRICS[key], registry, buckets) : NOOP;
  }
  const byName = new Map<string, unknown>(Object.entries(instances).map(([key, instance]) => [METRICS[key as MetricKey].name, instance]));
  for (const spec of options.extraMetrics ?? []) {
    if (byName.has(spec.name)) continue;
    byName.set(spec.name, enabled ? build(spec, registry) : NOOP);
  }
  if (enabled) {
    if (options.nodeMetrics ?? true) collectDefaultMetrics({ register: registry });
    (instances.buildInfo as Gauge).set({ service: options.service ?? 'unknown', version: options.version ?? '0.0.0' }, 1);
  }
  return {
    ...(instances as unknown as MetricInstances),
    registry,
    enabled,
    byName: (name) => byName.get(name) as Counter<string> | Histogram<string> | Gauge<string> | undefined,
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
