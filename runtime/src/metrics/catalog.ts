/**
 * The metric catalog: every metric name, type, help text and label set the runtime emits.
 *
 * This is the one home of these names. The runtime builds its prom-client metrics from it,
 * and the alert and dashboard generators import it, so a renamed metric breaks the build
 * instead of silently blinding an alert.
 */

/** Label names that cross a boundary (runtime ↔ rules ↔ dashboards). */
export const LABEL = {
  method: 'method',
  endpoint: 'endpoint',
  status: 'status',
  operation: 'operation',
  table: 'table',
  errorType: 'error_type',
  model: 'model',
  tokenType: 'type',
  name: 'name',
  result: 'result',
  fromState: 'from_state',
  toState: 'to_state',
  fromLevel: 'from_level',
  toLevel: 'to_level',
  dependency: 'dependency',
  flag: 'flag',
  level: 'level',
  service: 'service',
  version: 'version',
  check: 'check',
} as const;

export type LabelName = (typeof LABEL)[keyof typeof LABEL];

/** Labels Prometheus attaches to every scraped series (target labels). */
export const TARGET_LABELS = ['job', 'instance'] as const;

/**
 * Series Prometheus itself writes for every scrape target (not the runtime): `up` is 1 when the
 * last scrape succeeded and 0 when it failed. Rules and dashboards name them from here; they carry
 * the target labels only.
 */
export const SCRAPE_SERIES = {
  up: 'up',
  scrapeDurationSeconds: 'scrape_duration_seconds',
  scrapeSamplesScraped: 'scrape_samples_scraped',
} as const;

/** `circuit_breaker_state` values, by breaker state. */
export const BREAKER_STATE_VALUE = { closed: 0, open: 1, 'half-open': 2 } as const;

/** Value of the `endpoint` label for a request that matched no declared route. */
export const UNMATCHED_ENDPOINT = 'unmatched';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly LabelName[];
  /** Histogram bucket upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
  /** Extra label names a histogram's or summary's series carry (e.g. `le`, `quantile`). */
  readonly seriesLabels?: readonly string[];
}

/** Latency buckets (seconds) tuned to each kind of call: HTTP handlers, DB queries, LLM calls. */
export const BUCKETS = {
  http: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  db: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  openai: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
  dependency: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
} as const;

/**
 * The buckets of `http_request_duration_seconds` for a service: the catalog's, plus its latency
 * objective's threshold, so the share of requests under the objective is read off the histogram at
 * exactly that boundary, whatever whole number of milliseconds it is.
 */
export function httpLatencyBuckets(thresholdMs: number): readonly number[] {
  const threshold = thresholdMs / 1000;
  return [...new Set([...BUCKETS.http, threshold])].sort((a, b) => a - b);
}

/** The `le` label value of the latency objective's bucket, exactly as the runtime writes it. */
export function latencyObjectiveBucket(thresholdMs: number): string {
  return String(thresholdMs / 1000);
}

/** A latency objective must sit below the largest finite HTTP bucket, or slow requests could not be told from fast ones. */
export const MAX_LATENCY_THRESHOLD_MS = Math.max(...BUCKETS.http) * 1000 - 1;

const L = LABEL;

function spec<T extends MetricSpec>(s: T): T {
  return s;
}

/** Metrics the runtime itself registers and updates. */
export const METRICS = {
  httpRequestsTotal: spec({
    name: 'http_requests_total',
    type: 'counter',
    help: 'HTTP requests handled, by method, route template and status code.',
    labels: [L.method, L.endpoint, L.status],
  }),
  httpRequestDurationSeconds: spec({
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP request latency in seconds, by method and route template.',
    labels: [L.method, L.endpoint],
    buckets: BUCKETS.http,
  }),
  httpRequestsInFlight: spec({
    name: 'http_requests_in_flight',
    type: 'gauge',
    help: 'HTTP requests being handled right now.',
    labels: [],
  }),
  httpRequestsRateLimitedTotal: spec({
    name: 'http_requests_rate_limited_total',
    type: 'counter',
    help: 'HTTP requests refused with 429 by the per-client rate limit, by route template (also counted in http_requests_total).',
    labels: [L.endpoint],
  }),
  dbQueriesTotal: spec({
    name: 'db_queries_total',
    type: 'counter',
    help: 'Database queries, by operation and table.',
    labels: [L.dependency, L.operation, L.table],
  }),
  dbQueryDurationSeconds: spec({
    name: 'db_query_duration_seconds',
    type: 'histogram',
    help: 'Database query latency in seconds, by operation and table.',
    labels: [L.dependency, L.operation, L.table],
    buckets: BUCKETS.db,
  }),
  dbErrorsTotal: spec({
    name: 'db_errors_total',
    type: 'counter',
    help: 'Database errors, by operation and error type.',
    labels: [L.dependency, L.operation, L.errorType],
  }),
  redisOperationsTotal: spec({
    name: 'redis_operations_total',
    type: 'counter',
    help: 'Redis commands issued, by operation.',
    labels: [L.dependency, L.operation],
  }),
  redisErrorsTotal: spec({
    name: 'redis_errors_total',
    type: 'counter',
    help: 'Redis command errors, by operation and error type.',
    labels: [L.dependency, L.operation, L.errorType],
  }),
  redisOperationDurationSeconds: spec({
    name: 'redis_operation_duration_seconds',
    type: 'histogram',
    help: 'Redis command latency in seconds, by operation.',
    labels: [L.dependency, L.operation],
    buckets: BUCKETS.db,
  }),
  openaiRequestsTotal: spec({
    name: 'openai_requests_total',
    type: 'counter',
    help: 'OpenAI API requests, by model and operation.',
    labels: [L.dependency, L.model, L.operation],
  }),
  openaiRequestDurationSeconds: spec({
    name: 'openai_request_duration_seconds',
    type: 'histogram',
    help: 'OpenAI API request latency in seconds, by model.',
    labels: [L.dependency, L.model],
    buckets: BUCKETS.openai,
  }),
  openaiErrorsTotal: spec({
    name: 'openai_errors_total',
    type: 'counter',
    help: 'OpenAI API errors, by model and error type.',
    labels: [L.dependency, L.model, L.errorType],
  }),
  openaiTokensTotal: spec({
    name: 'openai_tokens_total',
    type: 'counter',
    help: 'OpenAI tokens consumed, by model and token type (prompt, completion).',
    labels: [L.dependency, L.model, L.tokenType],
  }),
  dependencyRequestsTotal: spec({
    name: 'dependency_requests_total',
    type: 'counter',
    help: 'Calls to a dependency through a generic adapter (s3, http), by dependency and operation.',
    labels: [L.dependency, L.operation],
  }),
  dependencyRequestDurationSeconds: spec({
    name: 'dependency_request_duration_seconds',
    type: 'histogram',
    help: 'Latency in seconds of calls through a generic adapter, by dependency and operation.',
    labels: [L.dependency, L.operation],
    buckets: BUCKETS.dependency,
  }),
  dependencyErrorsTotal: spec({
    name: 'dependency_errors_total',
    type: 'counter',
    help: 'Errors of calls through a generic adapter, by dependency, operation and error type.',
    labels: [L.dependency, L.operation, L.errorType],
  }),
  circuitBreakerState: spec({
    name: 'circuit_breaker_state',
    type: 'gauge',
    help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open.',
    labels: [L.name],
  }),
  circuitBreakerFailuresTotal: spec({
    name: 'circuit_breaker_failures_total',
    type: 'counter',
    help: 'Calls a circuit breaker counted as a dependency failure (errors and timeouts).',
    labels: [L.name],
  }),
  circuitBreakerCallsTotal: spec({
    name: 'circuit_breaker_calls_total',
    type: 'counter',
    help: 'Calls through a circuit breaker, by result (success, failure, timeout, rejected, ignored).',
    labels: [L.name, L.result],
  }),
  circuitBreakerTransitionsTotal: spec({
    name: 'circuit_breaker_transitions_total',
    type: 'counter',
    help: 'Circuit breaker state changes, by breaker and from/to state.',
    labels: [L.name, L.fromState, L.toState],
  }),
  degradationLevel: spec({
    name: 'degradation_level',
    type: 'gauge',
    help: 'Current degradation level: 1 OPTIMAL, 2 DEGRADED, 3 LIMITED, 4 MINIMAL, 5 EMERGENCY.',
    labels: [],
  }),
  degradationTransitionsTotal: spec({
    name: 'degradation_transitions_total',
    type: 'counter',
    help: 'Degradation level changes, by from and to level name.',
    labels: [L.fromLevel, L.toLevel],
  }),
  dependencyUp: spec({
    name: 'dependency_up',
    type: 'gauge',
    help: 'Whether a dependency is healthy: 1 healthy, 0 not. Absent for a disabled (not configured) dependency.',
    labels: [L.dependency],
  }),
  dependencyConfigured: spec({
    name: 'dependency_configured',
    type: 'gauge',
    help: 'Whether a dependency is configured: 1, or 0 when it is disabled (an optional dependency whose connection settings are unset).',
    labels: [L.dependency],
  }),
  dependencyCheckDurationSeconds: spec({
    name: 'dependency_check_duration_seconds',
    type: 'histogram',
    help: 'Latency in seconds of periodic dependency health checks.',
    labels: [L.dependency],
    buckets: BUCKETS.dependency,
  }),
  startupValidationDurationSeconds: spec({
    name: 'startup_validation_duration_seconds',
    type: 'gauge',
    help: 'Wall time of the last startup validation, in seconds.',
    labels: [],
  }),
  startupValidationFailures: spec({
    name: 'startup_validation_failures',
    type: 'gauge',
    help: 'Checks that failed in the last startup validation, by severity (critical, warning).',
    labels: [L.level],
  }),
  featureFlagEnabled: spec({
    name: 'feature_flag_enabled',
    type: 'gauge',
    help: 'Feature flag state: 1 on, 0 off.',
    labels: [L.flag],
  }),
  logLinesTotal: spec({
    name: 'log_lines_total',
    type: 'counter',
    help: 'Log lines written, by level.',
    labels: [L.level],
  }),
  buildInfo: spec({
    name: 'bulwark_build_info',
    type: 'gauge',
    help: 'Always 1; labels carry the service name and runtime version.',
    labels: [L.service, L.version],
  }),
} as const;

export type MetricKey = keyof typeof METRICS;

/**
 * Node.js process metrics from prom-client's `collectDefaultMetrics` that rules and
 * dashboards use. Listed here so queries on them are checked like the runtime's own.
 */
export const NODE_METRICS = {
  processResidentMemoryBytes: spec({
    name: 'process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident memory size in bytes.',
    labels: [],
  }),
  processCpuSecondsTotal: spec({
    name: 'process_cpu_seconds_total',
    type: 'counter',
    help: 'Total user and system CPU time spent in seconds.',
    labels: [],
  }),
  processStartTimeSeconds: spec({
    name: 'process_start_time_seconds',
    type: 'gauge',
    help: 'Start time of the process since unix epoch in seconds.',
    labels: [],
  }),
  eventLoopLagSeconds: spec({
    name: 'nodejs_eventloop_lag_seconds',
    type: 'gauge',
    help: 'Lag of event loop in seconds.',
    labels: [],
  }),
  eventLoopLagP99Seconds: spec({
    name: 'nodejs_eventloop_lag_p99_seconds',
    type: 'gauge',
    help: 'The 99th percentile of the recorded event loop delays.',
    labels: [],
  }),
  heapSizeUsedBytes: spec({
    name: 'nodejs_heap_size_used_bytes',
    type: 'gauge',
    help: 'Process heap size used from Node.js in bytes.',
    labels: [],
  }),
  heapSizeTotalBytes: spec({
    name: 'nodejs_heap_size_total_bytes',
    type: 'gauge',
    help: 'Process heap size from Node.js in bytes.',
    labels: [],
  }),
  gcDurationSeconds: spec({
    name: 'nodejs_gc_duration_seconds',
    type: 'histogram',
    help: 'Garbage collection duration by kind.',
    labels: [],
    seriesLabels: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
  }),
  activeHandlesTotal: spec({
    name: 'nodejs_active_handles_total',
    type: 'gauge',
    help: 'Number of active libuv handles grouped by handle type.',
    labels: [],
  }),
} as const;

/** Every metric name a query may use, with the labels its series carry; `extra`: metrics a team's own kinds add. */
export function catalogSeries(extra: readonly MetricSpec[] = []): Map<string, { spec: MetricSpec; labels: Set<string> }> {
  const out = new Map<string, { spec: MetricSpec; labels: Set<string> }>();
  for (const s of [...Object.values(METRICS), ...Object.values(NODE_METRICS), ...extra] as MetricSpec[]) {
    const base = new Set<string>([...s.labels, ...(s.seriesLabels ?? []), ...TARGET_LABELS]);
    if (s.type === 'histogram') {
      out.set(`${s.name}_bucket`, { spec: s, labels: new Set([...base, 'le']) });
      out.set(`${s.name}_sum`, { spec: s, labels: base });
      out.set(`${s.name}_count`, { spec: s, labels: base });
    } else {
      out.set(s.name, { spec: s, labels: base });
    }
  }
  return out;
}
