/**
 * SLO recording rules and multi-window, multi-burn-rate alerts (Google SRE workbook, "Alerting
 * on SLOs"): error and slow-request ratios recorded over 5m…3d, and alerts that page when the
 * budget burns fast (14.4× over 1h and 5m, 6× over 6h and 30m) and open a ticket when it burns
 * slowly (3× over 1d and 2h, 1× over 3d and 6h). The factors are the workbook's, for its 30-day
 * window: 14.4× for 1h spends 2% of a 30-day budget.
 */
import { SLO_PAGE_BURN_RATE, type ServiceDeclaration } from '@bulwark/runtime/declaration';
import { METRICS, LABEL, latencyObjectiveBucket } from '@bulwark/runtime/catalog';
import { num, selector } from './promql';
import type { Severity } from './types';

export const SLO_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SloWindow = (typeof SLO_WINDOWS)[number];

export interface BurnRateCondition {
  readonly long: SloWindow;
  readonly short: SloWindow;
  readonly factor: number;
}

export interface BurnRateAlertSpec {
  /** Page → critical, ticket → warning. */
  readonly severity: Severity;
  readonly kind: 'page' | 'ticket';
  readonly conditions: readonly BurnRateCondition[];
}

export const BURN_RATE_ALERTS: readonly BurnRateAlertSpec[] = [
  {
    severity: 'critical',
    kind: 'page',
    conditions: [
      { long: '1h', short: '5m', factor: SLO_PAGE_BURN_RATE },
      { long: '6h', short: '30m', factor: 6 },
    ],
  },
  {
    severity: 'warning',
    kind: 'ticket',
    conditions: [
      { long: '1d', short: '2h', factor: 3 },
      { long: '3d', short: '6h', factor: 1 },
    ],
  },
];

/** Value of the `status` label matched as a server error. */
export const SERVER_ERROR_STATUS = '5..';

/** Recording rules aggregate to the scrape job: the only label their series keep. */
export const RECORDED_LABELS: readonly string[] = ['job'];

const REQUESTS = METRICS.httpRequestsTotal.name.replace(/_total$/, '');

/** `service:http_requests_errors:ratio_rate5m` — share of requests answered 5xx over the window. */
export function errorRatioRecord(window: SloWindow): string {
  return `service:${REQUESTS}_errors:ratio_rate${window}`;
}

/** `service:http_requests_slow:ratio_rate5m` — share of requests slower than the latency objective. */
export function slowRatioRecord(window: SloWindow): string {
  return `service:${REQUESTS}_slow:ratio_rate${window}`;
}

/** The latency threshold as the `le` label value of its HTTP duration bucket (the runtime adds the bucket). */
export function latencyBucket(service: ServiceDeclaration): string {
  return latencyObjectiveBucket(service.objectives.latency.thresholdMs);
}

export function jobMatcher(service: ServiceDeclaration): { job: string } {
  return { job: service.name };
}

function sumRate(metric: string, matchers: Parameters<typeof selector>[1], window: string): string {
  return `sum by (job) (rate(${selector(metric, matchers)}[${window}]))`;
}

export function errorRatioExpr(service: ServiceDeclaration, window: SloWindow): string {
  const job = jobMatcher(service);
  const errors = sumRate(METRICS.httpRequestsTotal.name, { ...job, [LABEL.status]: { re: SERVER_ERROR_STATUS } }, window);
  const all = sumRate(METRICS.httpRequestsTotal.name, job, window);
  // `or 0 * all` records 0 (not nothing) while requests flow and none failed.
  return `(${errors} or 0 * ${all}) / ${all}`;
}

export function slowRatioExpr(service: ServiceDeclaration, window: SloWindow): string {
  const job = jobMatcher(service);
  const base = METRICS.httpRequestDurationSeconds.name;
  const fast = sumRate(`${base}_bucket`, { ...job, le: latencyBucket(service) }, window);
  const all = sumRate(`${base}_count`, job, window);
  return `1 - (${fast} / ${all})`;
}

/** The burn-rate condition of one alert: long and short windows both above factor × budget, for either pair. */
export function burnRateExpr(record: (w: SloWindow) => string, service: ServiceDeclaration, budget: number, spec: BurnRateAlertSpec): string {
  const job = jobMatcher(service);
  const b = num(budget);
  return spec.conditions
    .map(
      (c) =>
        `(\n  ${selector(record(c.long), job)} > (${num(c.factor)} * ${b})\nand\n  ${selector(record(c.short), job)} > (${num(c.factor)} * ${b})\n)`,
    )
    .join('\nor\n');
}

export function errorBudget(service: ServiceDeclaration): number {
  return Number((1 - service.objectives.availability).toPrecision(12));
}

export function latencyBudget(service: ServiceDeclaration): number {
  return Number((1 - service.objectives.latency.target).toPrecision(12));
}
