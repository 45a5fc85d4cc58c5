/**
 * Service overview: traffic, errors, latency against the declared objectives, error budget
 * left over the objective window, the degradation level and the busiest endpoints (with the
 * requests the rate limit refused).
 */
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { LABEL, METRICS, UNMATCHED_ENDPOINT, latencyObjectiveBucket } from '@bulwark/runtime/catalog';
import type { DashboardDefinition } from './frame';
import type { Grid } from './layout';
import { levelMappings } from './mappings';
import { COLOR, stat, timeseries, type TimeseriesPanelBuilder } from './panels';
import { aggregate, BUCKET_LABEL, eq, formatNumber, legend, quantile, re, type Scope, seriesName, sumIncrease, sumRate } from './promql';

/** Status codes that count against availability. */
const SERVER_ERROR_STATUS = '5..';

const requests = seriesName(METRICS.httpRequestsTotal);

/** Share of requests answered with a 5xx over `window`; 0 (not "no data") when none failed. */
export function errorRatio(scope: Scope, window?: string): string {
  const errors = sumRate(scope, requests, { matchers: [re(LABEL.status, SERVER_ERROR_STATUS)], window });
  return `(${errors} or vector(0)) / ${sumRate(scope, requests, { window })}`;
}

/**
 * Error budget left over the objective window: 1 − (5xx ratio over the window) / (1 − availability).
 * 100% is untouched, 0 is spent, below 0 is overspent.
 */
export function errorBudgetLeft(scope: Scope, availability: number, windowDays: number): string {
  const window = `${windowDays}d`;
  const errors = sumIncrease(scope, requests, window, { matchers: [re(LABEL.status, SERVER_ERROR_STATUS)] });
  const all = sumIncrease(scope, requests, window);
  return `1 - ((${errors} or vector(0)) / ${all}) / ${formatNumber(budgetFraction(availability))}`;
}

/** Error budget as a fraction of requests, rounded so 1 − 0.995 prints as 0.005. */
function budgetFraction(availability: number): number {
  return Number((1 - availability).toPrecision(12));
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(6))}%`;
}

function panels(service: ServiceDeclaration, scope: Scope, grid: Grid): void {
  const { availability, latency, windowDays } = service.objectives;
  const budget = budgetFraction(availability);
  const latencySeconds = latency.thresholdMs / 1000;
  const dependencies = Object.keys(service.dependencies).length;

  grid.line(
    [
      stat('Request rate', {
        description: 'HTTP requests per second, every endpoint and status.',
        unit: 'reqps',
        query: { expr: sumRate(scope, requests) },
        base: COLOR.info,
        noValue: '0',
      }),
      stat('5xx error ratio', {
        description: `Share of requests answered with a 5xx status. The availability objective (${percent(availability)}) allows ${percent(budget)}.`,
        unit: 'percentunit',
        query: { expr: errorRatio(scope) },
        thresholds: [
          { value: budget / 2, color: COLOR.warn },
          { value: budget, color: COLOR.bad },
        ],
        decimals: 2,
      }),
      stat('p95 latency', {
        description: `95th percentile request latency. Objective: ${percent(latency.target)} of requests faster than ${latency.thresholdMs} ms.`,
        unit: 's',
        query: { expr: quantile(scope, METRICS.httpRequestDurationSeconds, 0.95) },
        thresholds: [{ value: latencySeconds, color: COLOR.bad }],
      }),
      stat(`Error budget left (${windowDays} d)`, {
        description: `Share of the ${windowDays}-day error budget (${percent(budget)} of requests may fail with a 5xx for ${percent(availability)} availability) not yet spent. Below 0 the objective is missed.`,
        unit: 'percentunit',
        query: { expr: errorBudgetLeft(scope, availability, windowDays) },
        base: COLOR.bad,
        thresholds: [
          { value: 0, color: COLOR.warn },
          { value: 0.25, color: COLOR.ok },
        ],
        decimals: 1,
      }),
      stat('Degradation level', {
        description: 'Worst current degradation level among the selected instances.',
        unit: 'none',
        query: { expr: aggregate(scope, 'max', METRICS.degradationLevel.name) },
        mappings: levelMappings(),
        colorBackground: true,
      }),
      stat(`Healthy dependencies (of ${dependencies})`, {
        description: `Declared dependencies every selected instance reports healthy: ${Object.keys(service.dependencies).join(', ') || 'none declared'}.`,
        unit: 'none',
        query: { expr: `count(${aggregate(scope, 'min', METRICS.dependencyUp.name, { by: [LABEL.dependency] })} == 1)` },
        base: COLOR.bad,
        thresholds: [{ value: dependencies, color: COLOR.ok }],
        noValue: '0',
      }),
    ],
    4,
  );

  grid.row('Traffic and errors');
  grid.add(
    timeseries('Requests by status', {
      description: 'Requests per second by HTTP status code.',
      unit: 'reqps',
      queries: [{ expr: sumRate(scope, requests, { by: [LABEL.status] }), legend: legend(LABEL.status) }],
      stacked: true,
    }),
    12,
    8,
  );
  grid.add(
    timeseries('5xx error ratio', {
      description: `Share of requests answered with a 5xx; the dashed line is the error budget (${percent(budget)}) of the ${percent(availability)} availability objective.`,
      unit: 'percentunit',
      queries: [{ expr: errorRatio(scope), legend: '5xx ratio' }],
      min: 0,
      thresholdLines: [{ value: budget, color: COLOR.bad }],
    }),
    12,
    8,
  );
  grid.add(
    timeseries('Error budget burn rate', {
      description: `How fast the error budget burns: 1 spends exactly the ${windowDays}-day budget over ${windowDays} days; above 1 the objective will be missed if it lasts.`,
      unit: 'none',
      queries: [
        { expr: `(${errorRatio(scope, '1h')}) / ${formatNumber(budget)}`, legend: '1 h window' },
        { expr: `(${errorRatio(scope, '6h')}) / ${formatNumber(budget)}`, legend: '6 h window' },
      ],
      min: 0,
      thresholdLines: [{ value: 1, color: COLOR.bad }],
    }),
    12,
    8,
  );
  grid.add(
    timeseries('Requests in flight', {
      description: 'Requests being handled right now, per instance.',
      unit: 'none',
      queries: [{ expr: aggregate(scope, 'sum', METRICS.httpRequestsInFlight.name, { by: [scope.instanceLabel] }), legend: legend(scope.instanceLabel) }],
      min: 0,
    }),
    12,
    8,
  );

  grid.row('Latency');
  grid.add(
    timeseries('Latency p50 / p95 / p99', {
      description: `Request latency quantiles; the dashed line is the latency objective's threshold (${latency.thresholdMs} ms).`,
      unit: 's',
      queries: [0.5, 0.95, 0.99].map((q) => ({ expr: quantile(scope, METRICS.httpRequestDurationSeconds, q), legend: `p${Math.round(q * 100)}` })),
      min: 0,
      thresholdLines: [{ value: latencySeconds, color: COLOR.bad }],
    }),
    12,
    8,
  );
  // The runtime makes the threshold a bucket of its latency histogram, so this ratio is exact.
  const bucket = latencyObjectiveBucket(latency.thresholdMs);
  const duration = METRICS.httpRequestDurationSeconds;
  const fast = sumRate(scope, seriesName(duration, 'bucket'), { matchers: [eq(BUCKET_LABEL, bucket)] });
  grid.add(
    timeseries(`Requests faster than ${latency.thresholdMs} ms`, {
      description: `Share of requests answered within ${latency.thresholdMs} ms; the dashed line is the objective (${percent(latency.target)}).`,
      unit: 'percentunit',
      queries: [{ expr: `${fast} / ${sumRate(scope, seriesName(duration, 'count'))}`, legend: `≤ ${latency.thresholdMs} ms` }],
      max: 1,
      thresholdLines: [{ value: latency.target, color: COLOR.ok }],
      thresholdBase: COLOR.bad,
    }),
    12,
    8,
  );

  grid.row('Endpoints');
  grid.line(
    [
      timeseries('Requests by endpoint', {
        description: `Requests per second by route template (paths matching no declared route count as "${UNMATCHED_ENDPOINT}").`,
        unit: 'reqps',
        queries: [{ expr: sumRate(scope, requests, { by: [LABEL.endpoint] }), legend: legend(LABEL.endpoint) }],
        stacked: true,
      }),
      timeseries('p95 latency by endpoint', {
        description: '95th percentile latency by route template.',
        unit: 's',
        queries: [{ expr: quantile(scope, METRICS.httpRequestDurationSeconds, 0.95, { by: [LABEL.endpoint] }), legend: legend(LABEL.endpoint) }],
        min: 0,
        thresholdLines: [{ value: latencySeconds, color: COLOR.bad }],
      }),
      timeseries('5xx ratio by endpoint', {
        description: 'Share of each route template’s requests answered with a 5xx.',
        unit: 'percentunit',
        queries: [
          {
            expr: `${sumRate(scope, requests, { by: [LABEL.endpoint], matchers: [re(LABEL.status, SERVER_ERROR_STATUS)] })} / ${sumRate(scope, requests, { by: [LABEL.endpoint] })}`,
            legend: legend(LABEL.endpoint),
          },
        ],
        min: 0,
        thresholdLines: [{ value: budget, color: COLOR.bad }],
      }),
      ...(service.rateLimit.requests > 0 ? [rateLimitedPanel(service, scope)] : []),
    ],
    8,
  );
}

/** Requests the per-client rate limit refused (429), by route template; only when the limit is on. */
function rateLimitedPanel(service: ServiceDeclaration, scope: Scope): TimeseriesPanelBuilder {
  const { requests, windowMs } = service.rateLimit;
  return timeseries('Rate-limited requests by endpoint', {
    description:
      `Requests per second refused with 429 by the per-client rate limit (${requests} requests per ${windowMs / 1000} s per client on each instance), by route template. ` +
      `They also count in the request rate and the requests by status.`,
    unit: 'reqps',
    queries: [{ expr: sumRate(scope, seriesName(METRICS.httpRequestsRateLimitedTotal), { by: [LABEL.endpoint] }), legend: legend(LABEL.endpoint) }],
    stacked: true,
    min: 0,
    noValue: '0',
  });
}

export const overviewDashboard: DashboardDefinition = {
  stem: 'overview',
  title: 'Service overview',
  description: 'Traffic, errors, latency and error budget against the declared objectives; degradation level and dependency health.',
  levelAnnotations: true,
  panels: ({ service, scope, grid }) => panels(service, scope, grid),
};
