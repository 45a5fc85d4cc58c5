/**
 * Small PromQL builders for dashboard queries. Every metric name comes from a catalog spec and
 * every label from `LABEL`/`TARGET_LABELS`, so a query can only name what the runtime emits.
 */
import { METRICS, TARGET_LABELS, type MetricSpec } from '@bulwark/runtime/catalog';

export const [JOB_LABEL, INSTANCE_LABEL] = TARGET_LABELS;

/** Prometheus's own histogram bucket label (not a runtime label). */
export const BUCKET_LABEL = 'le';

/** Grafana variable holding the selected instances (a regex; `.+` for All). */
export const INSTANCE_VARIABLE = INSTANCE_LABEL;

/** Grafana's interval for `rate()`: at least four scrape intervals, whatever the zoom. */
export const RATE_INTERVAL = '$__rate_interval';
/** Grafana's step: one bar of a "per interval" bar chart. */
export const STEP_INTERVAL = '$__interval';
/** The dashboard's whole time range. */
export const RANGE = '$__range';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

export function eq(label: string, value: string): Matcher {
  return { label, op: '=', value };
}

export function re(label: string, value: string): Matcher {
  return { label, op: '=~', value };
}

/** The series of one service: every selector carries its scrape job and the instance filter. */
export class Scope {
  /** The label that tells instances apart, for per-instance breakdowns. */
  readonly instanceLabel = INSTANCE_LABEL;

  constructor(readonly job: string) {}

  /** `metric{job="…",instance=~"$instance",…}`. */
  select(series: string, matchers: readonly Matcher[] = []): string {
    return selector(series, [eq(JOB_LABEL, this.job), re(INSTANCE_LABEL, `$${INSTANCE_VARIABLE}`), ...matchers]);
  }

  /** `metric{job="…",…}` on every instance (for the instance variable's own query). */
  selectEveryInstance(series: string, matchers: readonly Matcher[] = []): string {
    return selector(series, [eq(JOB_LABEL, this.job), ...matchers]);
  }
}

export type HistogramPart = 'bucket' | 'sum' | 'count';

/** The name of a metric's series; for a histogram, one of its `_bucket`/`_sum`/`_count` series. */
export function seriesName(spec: MetricSpec, part?: HistogramPart): string {
  if (part === undefined) {
    if (spec.type === 'histogram') throw new Error(`${spec.name} is a histogram: name its bucket, sum or count series`);
    return spec.name;
  }
  if (spec.type !== 'histogram') throw new Error(`${spec.name} is a ${spec.type}, not a histogram: it has no _${part} series`);
  return `${spec.name}_${part}`;
}

/** `sum(` or `sum by (a, b) (`. */
function aggregation(op: string, by: readonly string[]): string {
  return by.length > 0 ? `${op} by (${by.join(', ')}) (` : `${op}(`;
}

/** `sum by (…) (rate(metric{…}[window]))`. */
export function sumRate(scope: Scope, series: string, opts: { by?: readonly string[]; matchers?: readonly Matcher[]; window?: string } = {}): string {
  return `${aggregation('sum', opts.by ?? [])}rate(${scope.select(series, opts.matchers)}[${opts.window ?? RATE_INTERVAL}]))`;
}

/** `sum by (…) (increase(metric{…}[window]))`. */
export function sumIncrease(scope: Scope, series: string, window: string, opts: { by?: readonly string[]; matchers?: readonly Matcher[] } = {}): string {
  return `${aggregation('sum', opts.by ?? [])}increase(${scope.select(series, opts.matchers)}[${window}]))`;
}

/** `histogram_quantile(q, sum by (le, …) (rate(metric_bucket{…}[$__rate_interval])))`. */
export function quantile(scope: Scope, spec: MetricSpec, q: number, opts: { by?: readonly string[]; matchers?: readonly Matcher[] } = {}): string {
  const by = [BUCKET_LABEL, ...(opts.by ?? [])];
  return `histogram_quantile(${q}, ${sumRate(scope, seriesName(spec, 'bucket'), { by, matchers: opts.matchers })})`;
}

/** `aggregation by (…) (metric{…})` for a gauge. */
export function aggregate(scope: Scope, op: 'sum' | 'min' | 'max' | 'avg' | 'count', series: string, opts: { by?: readonly string[]; matchers?: readonly Matcher[] } = {}): string {
  return `${aggregation(op, opts.by ?? [])}${scope.select(series, opts.matchers)})`;
}

/**
 * Each dependency's state: 1 up, 0 down, -1 disabled. A disabled (not configured) dependency exports
 * no dependency_up, only dependency_configured 0: it shows as disabled, never as down.
 */
export function dependencyState(scope: Scope, opts: { by: readonly string[]; matchers?: readonly Matcher[] }): string {
  const up = aggregate(scope, 'min', METRICS.dependencyUp.name, opts);
  const configured = aggregate(scope, 'min', METRICS.dependencyConfigured.name, opts);
  return `${up} or (${configured} - 1)`;
}

/** Grafana legend text naming label values: `{{a}} {{b}}`. */
export function legend(...labels: string[]): string {
  return labels.map((l) => `{{${l}}}`).join(' ');
}

/** A number as PromQL and Prometheus's `le` labels print it (0.1, 2.5, 10). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`${n} is not a finite number`);
  return String(n);
}

function selector(series: string, matchers: readonly Matcher[]): string {
  return `${series}{${matchers.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(',')}}`;
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
