/**
 * Dependencies: one section per declared dependency with its call rate, errors by type,
 * latency and health, from the metrics the runtime's adapter for its kind emits; OpenAI token
 * use when an OpenAI dependency is declared.
 */
import type { DependencyDeclaration, DependencyKind, ServiceDeclaration } from '@bulwark/runtime/declaration';
import { LABEL, METRICS, type MetricSpec } from '@bulwark/runtime/catalog';
import type { DashboardDefinition } from './frame';
import type { Grid } from './layout';
import { upMappings } from './mappings';
import { COLOR, stat, stateTimeline, timeseries, type Query } from './panels';
import { aggregate, eq, legend, type Matcher, quantile, RANGE, type Scope, seriesName, sumIncrease, sumRate } from './promql';

/** The metrics a dependency's calls are counted in, and how to break them down. */
interface CallMetrics {
  readonly calls: MetricSpec;
  readonly errors: MetricSpec;
  readonly duration: MetricSpec;
  /** Labels to split the call rate by. */
  readonly callsBy: readonly string[];
  /** Labels to split errors by. */
  readonly errorsBy: readonly string[];
  /** Matchers that pick this dependency's series (the generic adapter labels them by dependency). */
  readonly matchers: readonly Matcher[];
  /** Whether other dependencies of the same kind share these series (no dependency label). */
  readonly sharedByKind: boolean;
}

function callMetrics(name: string, kind: DependencyKind): CallMetrics {
  switch (kind) {
    case 'postgres':
      return {
        calls: METRICS.dbQueriesTotal,
        errors: METRICS.dbErrorsTotal,
        duration: METRICS.dbQueryDurationSeconds,
        callsBy: [LABEL.operation],
        errorsBy: [LABEL.errorType],
        matchers: [],
        sharedByKind: true,
      };
    case 'redis':
      return {
        calls: METRICS.redisOperationsTotal,
        errors: METRICS.redisErrorsTotal,
        duration: METRICS.redisOperationDurationSeconds,
        callsBy: [LABEL.operation],
        errorsBy: [LABEL.errorType],
        matchers: [],
        sharedByKind: true,
      };
    case 'openai':
      return {
        calls: METRICS.openaiRequestsTotal,
        errors: METRICS.openaiErrorsTotal,
        duration: METRICS.openaiRequestDurationSeconds,
        callsBy: [LABEL.model, LABEL.operation],
        errorsBy: [LABEL.model, LABEL.errorType],
        matchers: [],
        sharedByKind: true,
      };
    case 's3':
    case 'http':
      return {
        calls: METRICS.dependencyRequestsTotal,
        errors: METRICS.dependencyErrorsTotal,
        duration: METRICS.dependencyRequestDurationSeconds,
        callsBy: [LABEL.operation],
        errorsBy: [LABEL.operation, LABEL.errorType],
        matchers: [eq(LABEL.dependency, name)],
        sharedByKind: false,
      };
  }
}

function sameKindCount(service: ServiceDeclaration, kind: DependencyKind): number {
  return Object.values(service.dependencies).filter((d) => d.kind === kind).length;
}

/** One line describing what the declaration says about a dependency. */
export function describeDependency(name: string, d: DependencyDeclaration): string {
  const slow = d.slowThresholdMs > 0 && d.slowImpact ? `; slower than ${d.slowThresholdMs} ms → ${d.slowImpact}` : '';
  return `${name} (${d.kind}, ${d.critical ? 'critical' : 'optional'}): down → ${d.impact}${slow}`;
}

function dependencySection(service: ServiceDeclaration, scope: Scope, grid: Grid, name: string, d: DependencyDeclaration): void {
  const m = callMetrics(name, d.kind);
  const shared =
    m.sharedByKind && sameKindCount(service, d.kind) > 1 ? ` Every ${d.kind} dependency of ${service.name} shares these series: they have no dependency label.` : '';
  const latencyQueries: Query[] = [0.5, 0.95, 0.99].map((q) => ({
    expr: quantile(scope, m.duration, q, { matchers: m.matchers }),
    legend: `p${Math.round(q * 100)}`,
  }));
  const slowLine = d.slowThresholdMs > 0 ? [{ value: d.slowThresholdMs / 1000, color: COLOR.bad }] : [];

  grid.row(`${name} — ${d.kind}${d.critical ? ' (critical)' : ''}`);
  grid.line(
    [
      timeseries(`${name}: calls`, {
        description: `Calls per second by ${m.callsBy.join(' and ')} (${m.calls.name}).${shared}`,
        unit: 'ops',
        queries: [{ expr: sumRate(scope, seriesName(m.calls), { by: m.callsBy, matchers: m.matchers }), legend: legend(...m.callsBy) }],
        min: 0,
        stacked: true,
      }),
      timeseries(`${name}: errors by type`, {
        description: `Errors per second by ${m.errorsBy.join(' and ')} (${m.errors.name}).${shared}`,
        unit: 'ops',
        queries: [{ expr: sumRate(scope, seriesName(m.errors), { by: m.errorsBy, matchers: m.matchers }), legend: legend(...m.errorsBy) }],
        min: 0,
        stacked: true,
      }),
      timeseries(`${name}: latency`, {
        description: `Call latency quantiles (${m.duration.name}).${slowLine.length ? ` The dashed line is the declared slow threshold (${d.slowThresholdMs} ms → ${d.slowImpact}).` : ''}${shared}`,
        unit: 's',
        queries: latencyQueries,
        min: 0,
        thresholdLines: slowLine,
      }),
    ],
    8,
  );
  grid.line(
    [
      stateTimeline(`${name}: health`, {
        description: `${METRICS.dependencyUp.name} per instance: ${describeDependency(name, d)}. Health checks run every ${d.healthCheck.intervalMs} ms; ${d.healthCheck.healthyThreshold} healthy checks in a row recover it.`,
        queries: [
          {
            expr: aggregate(scope, 'min', METRICS.dependencyUp.name, { by: [scope.instanceLabel], matchers: [eq(LABEL.dependency, name)] }),
            legend: legend(scope.instanceLabel),
          },
        ],
        mappings: upMappings(),
      }),
      timeseries(`${name}: health-check latency`, {
        description: `p95 latency of periodic health checks; the dashed line is the check timeout (${d.healthCheck.timeoutMs} ms).`,
        unit: 's',
        queries: [{ expr: quantile(scope, METRICS.dependencyCheckDurationSeconds, 0.95, { matchers: [eq(LABEL.dependency, name)] }), legend: 'p95' }],
        min: 0,
        thresholdLines: [{ value: d.healthCheck.timeoutMs / 1000, color: COLOR.bad }],
      }),
    ],
    6,
  );
  if (d.kind === 'openai') openaiTokens(scope, grid, name);
}

/** Token use is shared by every OpenAI dependency: the series carry model and type only. */
function openaiTokens(scope: Scope, grid: Grid, name: string): void {
  const tokens = seriesName(METRICS.openaiTokensTotal);
  const by = [LABEL.model, LABEL.tokenType];
  grid.line(
    [
      timeseries(`${name}: tokens by model and type`, {
        description: 'Tokens consumed per second by model and token type (prompt, completion).',
        unit: 'short',
        queries: [{ expr: sumRate(scope, tokens, { by }), legend: legend(...by) }],
        min: 0,
        stacked: true,
      }),
      stat(`${name}: tokens in the time range`, {
        description: 'Tokens consumed within the dashboard’s time range, by model and token type.',
        unit: 'short',
        query: { expr: sumIncrease(scope, tokens, RANGE, { by }), legend: legend(...by) },
        base: COLOR.info,
        perSeries: true,
        noValue: '0',
        decimals: 0,
      }),
    ],
    8,
  );
}

export const dependenciesDashboard: DashboardDefinition = {
  stem: 'dependencies',
  title: 'Dependencies',
  description: 'Per declared dependency: call rate, errors by type, latency, health and health-check latency; OpenAI token use.',
  appliesTo: (service) => Object.keys(service.dependencies).length > 0,
  levelAnnotations: true,
  panels: ({ service, scope, grid }) => {
    const names = Object.keys(service.dependencies);
    grid.add(
      stat('Dependency health', {
        description: `Whether every selected instance reports each dependency healthy. ${names.map((n) => describeDependency(n, service.dependencies[n])).join('. ')}.`,
        unit: 'none',
        query: { expr: aggregate(scope, 'min', METRICS.dependencyUp.name, { by: [LABEL.dependency] }), legend: legend(LABEL.dependency) },
        mappings: upMappings(),
        base: COLOR.bad,
        perSeries: true,
        colorBackground: true,
      }),
      24,
      4,
    );
    for (const name of names) dependencySection(service, scope, grid, name, service.dependencies[name]);
  },
};
