/**
 * Dependencies: one section per declared dependency with its call rate, errors by type,
 * latency and health, from the metrics its kind says its calls are counted in (every series
 * carries the dependency's name), and the panels its kind adds (OpenAI: tokens).
 */
import { kindOf, type DependencyDeclaration, type DependencyKindDefinition, type KindPanelSpec } from '@bulwark/runtime/declaration';
import { LABEL, METRICS } from '@bulwark/runtime/catalog';
import type { DashboardDefinition } from './frame';
import type { Grid } from './layout';
import { upMappings } from './mappings';
import { COLOR, stat, stateTimeline, timeseries, type Query } from './panels';
import { dependencyState, eq, legend, quantile, RANGE, type Scope, seriesName, sumIncrease, sumRate } from './promql';

/** The kind of a declared dependency: it says which metrics its calls are counted in and which extra panels it has. */
function kindFor(name: string, d: DependencyDeclaration): DependencyKindDefinition {
  const kind = kindOf(d.kind);
  if (!kind) throw new Error(`dependency "${name}" is of kind "${d.kind}", which is not registered in this process: import the module that registers it`);
  return kind;
}

/** One line describing what the declaration says about a dependency. */
export function describeDependency(name: string, d: DependencyDeclaration): string {
  const slow = d.slowThresholdMs > 0 && d.slowImpact ? `; slower than ${d.slowThresholdMs} ms → ${d.slowImpact}` : '';
  return `${name} (${d.kind}, ${d.critical ? 'critical' : 'optional'}): down → ${d.impact}${slow}`;
}

function dependencySection(scope: Scope, grid: Grid, name: string, d: DependencyDeclaration): void {
  const kind = kindFor(name, d);
  const m = { ...kind.callMetrics, matchers: [eq(LABEL.dependency, name)] };
  const latencyQueries: Query[] = [0.5, 0.95, 0.99].map((q) => ({
    expr: quantile(scope, m.duration, q, { matchers: m.matchers }),
    legend: `p${Math.round(q * 100)}`,
  }));
  const slowLine = d.slowThresholdMs > 0 ? [{ value: d.slowThresholdMs / 1000, color: COLOR.bad }] : [];

  grid.row(`${name} — ${kind.title}${d.critical ? ' (critical)' : ''}`);
  grid.line(
    [
      timeseries(`${name}: calls`, {
        description: `Calls per second by ${m.callsBy.join(' and ')} (${m.calls.name}).`,
        unit: 'ops',
        queries: [{ expr: sumRate(scope, seriesName(m.calls), { by: m.callsBy, matchers: m.matchers }), legend: legend(...m.callsBy) }],
        min: 0,
        stacked: true,
      }),
      timeseries(`${name}: errors by type`, {
        description: `Errors per second by ${m.errorsBy.join(' and ')} (${m.errors.name}).`,
        unit: 'ops',
        queries: [{ expr: sumRate(scope, seriesName(m.errors), { by: m.errorsBy, matchers: m.matchers }), legend: legend(...m.errorsBy) }],
        min: 0,
        stacked: true,
      }),
      timeseries(`${name}: latency`, {
        description: `Call latency quantiles (${m.duration.name}).${slowLine.length ? ` The dashed line is the declared slow threshold (${d.slowThresholdMs} ms → ${d.slowImpact}).` : ''}`,
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
        description: `${METRICS.dependencyUp.name} per instance (disabled when it is not configured): ${describeDependency(name, d)}. Health checks run every ${d.healthCheck.intervalMs} ms; ${d.healthCheck.healthyThreshold} healthy checks in a row recover it.`,
        queries: [
          {
            expr: dependencyState(scope, { by: [scope.instanceLabel], matchers: [eq(LABEL.dependency, name)] }),
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
  for (const panel of kind.panels ?? []) kindPanel(scope, grid, name, panel);
}

/** A panel a kind adds: the rate of one of its counters for this dependency, and its total over the time range. */
function kindPanel(scope: Scope, grid: Grid, name: string, panel: KindPanelSpec): void {
  const series = seriesName(panel.metric);
  const by = [...panel.by];
  const matchers = [eq(LABEL.dependency, name)];
  grid.line(
    [
      timeseries(`${name}: ${panel.title.toLowerCase()}`, {
        description: `${panel.description} (${panel.metric.name})`,
        unit: panel.unit,
        queries: [{ expr: sumRate(scope, series, { by, matchers }), legend: legend(...by) }],
        min: 0,
        stacked: true,
      }),
      stat(`${name}: ${panel.title.toLowerCase()} in the time range`, {
        description: `${panel.metric.name} within the dashboard’s time range, by ${by.join(' and ')}.`,
        unit: panel.unit,
        query: { expr: sumIncrease(scope, series, RANGE, { by, matchers }), legend: legend(...by) },
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
  description: 'Per declared dependency: call rate, errors by type, latency, health and health-check latency, and the panels its kind adds (OpenAI: tokens).',
  appliesTo: (service) => Object.keys(service.dependencies).length > 0,
  levelAnnotations: true,
  panels: ({ service, scope, grid }) => {
    const names = Object.keys(service.dependencies);
    grid.add(
      stat('Dependency health', {
        description: `Whether every selected instance reports each dependency healthy. ${names.map((n) => describeDependency(n, service.dependencies[n])).join('. ')}.`,
        unit: 'none',
        query: { expr: dependencyState(scope, { by: [LABEL.dependency] }), legend: legend(LABEL.dependency) },
        mappings: upMappings(),
        base: COLOR.bad,
        perSeries: true,
        colorBackground: true,
      }),
      24,
      4,
    );
    for (const name of names) dependencySection(scope, grid, name, service.dependencies[name]!);
  },
};
