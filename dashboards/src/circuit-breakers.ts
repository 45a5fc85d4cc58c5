/**
 * Circuit breakers (seed 004's "Circuit Breakers Status"): each breaker's state over time,
 * failures, state transitions and calls by result, with the declared thresholds in the
 * descriptions.
 */
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { LABEL, METRICS } from '@bulwark/runtime/catalog';
import type { DashboardDefinition } from './frame';
import { BREAKER_STATE, breakerStateMappings } from './mappings';
import { stat, stateTimeline, timeseries } from './panels';
import { aggregate, legend, type Scope, seriesName, STEP_INTERVAL, sumIncrease, sumRate } from './promql';

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The declared settings of every dependency's breaker, one sentence each. */
export function describeBreakers(service: ServiceDeclaration): string {
  const lines = Object.entries(service.dependencies).map(
    ([name, d]) =>
      `${name}: opens after ${d.breaker.failureThreshold} consecutive failures, probes after ${seconds(d.breaker.resetTimeoutMs)}, closes after ${d.breaker.successThreshold} successful probe${d.breaker.successThreshold > 1 ? 's' : ''}, call timeout ${seconds(d.breaker.timeoutMs)}`,
  );
  return lines.length > 0 ? `Declared breakers — ${lines.join('; ')}.` : 'No dependencies declared.';
}

/**
 * Each breaker's worst state across instances. The values are not ordered by severity
 * (open = 1, half-open = 2), so "open anywhere" is taken first and `max` only decides between
 * half-open and closed.
 */
export function worstState(scope: Scope): string {
  const state = scope.select(METRICS.circuitBreakerState.name);
  return `max by (${LABEL.name}) (${state} == ${BREAKER_STATE.open}) or max by (${LABEL.name}) (${state})`;
}

export const circuitBreakersDashboard: DashboardDefinition = {
  stem: 'circuit-breakers',
  title: 'Circuit breakers',
  description: 'Circuit breaker state per dependency over time (closed / open / half-open), failures, transitions and calls by result.',
  levelAnnotations: true,
  panels: ({ service, scope, grid }) => {
    const declared = describeBreakers(service);
    const state = METRICS.circuitBreakerState.name;
    grid.add(
      stat('Current state', {
        description: `Worst current state of each breaker across the selected instances: open if any instance has it open, else half-open if any is probing, else closed. ${declared}`,
        unit: 'none',
        query: { expr: worstState(scope), legend: legend(LABEL.name) },
        mappings: breakerStateMappings(),
        perSeries: true,
        colorBackground: true,
      }),
      24,
      4,
    );
    grid.add(
      stateTimeline('State over time', {
        description: `State of each breaker on each instance. ${declared}`,
        queries: [{ expr: aggregate(scope, 'max', state, { by: [LABEL.name, scope.instanceLabel] }), legend: legend(LABEL.name, scope.instanceLabel) }],
        mappings: breakerStateMappings(),
      }),
      24,
      8,
    );
    grid.line(
      [
        timeseries('Failures', {
          description: 'Calls each breaker counted as a dependency failure (errors and timeouts), per second.',
          unit: 'ops',
          queries: [{ expr: sumRate(scope, seriesName(METRICS.circuitBreakerFailuresTotal), { by: [LABEL.name] }), legend: legend(LABEL.name) }],
          min: 0,
        }),
        timeseries('Transitions', {
          description: 'State changes per interval, by breaker and from → to state.',
          unit: 'short',
          queries: [
            {
              expr: sumIncrease(scope, seriesName(METRICS.circuitBreakerTransitionsTotal), STEP_INTERVAL, { by: [LABEL.name, LABEL.fromState, LABEL.toState] }),
              legend: `${legend(LABEL.name)}: ${legend(LABEL.fromState)} → ${legend(LABEL.toState)}`,
            },
          ],
          bars: true,
          min: 0,
          decimals: 0,
        }),
      ],
      8,
    );
    grid.add(
      timeseries('Calls by result', {
        description: 'Calls through each breaker per second, by result (success, failure, timeout, rejected while open, ignored).',
        unit: 'ops',
        queries: [{ expr: sumRate(scope, seriesName(METRICS.circuitBreakerCallsTotal), { by: [LABEL.name, LABEL.result] }), legend: `${legend(LABEL.name)} ${legend(LABEL.result)}` }],
        min: 0,
        stacked: true,
      }),
      24,
      8,
    );
  },
};
