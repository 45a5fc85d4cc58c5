/**
 * Degradation (seed 004's "Degradation Status"): the level over time, transitions by from/to
 * level, the feature flags (kill switches) and the dependency health the level is derived from.
 */
import { LEVEL } from '@bulwark/runtime/declaration';
import { LABEL, METRICS } from '@bulwark/runtime/catalog';
import type { DashboardDefinition } from './frame';
import { describeDependency } from './dependencies';
import { flagMappings, levelMappings, upMappings } from './mappings';
import { COLOR, stat, stateTimeline, timeseries } from './panels';
import { aggregate, dependencyState, legend, RANGE, seriesName, STEP_INTERVAL, sumIncrease } from './promql';

export const degradationDashboard: DashboardDefinition = {
  stem: 'degradation',
  title: 'Degradation',
  description: 'Degradation level (1 OPTIMAL … 5 EMERGENCY) over time, transitions, feature flags and the dependency health behind the level.',
  levelAnnotations: true,
  panels: ({ service, scope, grid }) => {
    const level = METRICS.degradationLevel.name;
    const transitions = seriesName(METRICS.degradationTransitionsTotal);
    const impacts = Object.entries(service.dependencies).map(([n, d]) => describeDependency(n, d));
    const impactText = impacts.length > 0 ? ` Declared impacts — ${impacts.join('; ')}.` : '';
    grid.line(
      [
        stat('Current level', {
          description: `Worst current degradation level among the selected instances.${impactText}`,
          unit: 'none',
          query: { expr: aggregate(scope, 'max', level) },
          mappings: levelMappings(),
          colorBackground: true,
        }),
        stat('Time below OPTIMAL', {
          description: 'Share of the time range during which at least one selected instance was degraded (level above OPTIMAL).',
          unit: 'percentunit',
          query: { expr: `avg_over_time((${aggregate(scope, 'max', level)} > bool ${LEVEL.OPTIMAL})[${RANGE}:])` },
          thresholds: [
            { value: 0.001, color: COLOR.warn },
            { value: 0.05, color: COLOR.bad },
          ],
          decimals: 2,
        }),
        stat('Transitions in the time range', {
          description: 'Level changes within the time range, all instances together.',
          unit: 'short',
          query: { expr: `${sumIncrease(scope, transitions, RANGE)} or vector(0)` },
          base: COLOR.info,
          decimals: 0,
        }),
        stat('Dependencies down', {
          description: 'Declared dependencies that at least one selected instance reports unhealthy right now.',
          unit: 'none',
          query: { expr: `count(${aggregate(scope, 'min', METRICS.dependencyUp.name, { by: [LABEL.dependency] })} == 0) or vector(0)` },
          thresholds: [{ value: 1, color: COLOR.bad }],
        }),
      ],
      4,
    );
    grid.add(
      stateTimeline('Level over time', {
        description: `Degradation level of each instance.${impactText}`,
        queries: [{ expr: aggregate(scope, 'max', level, { by: [scope.instanceLabel] }), legend: legend(scope.instanceLabel) }],
        mappings: levelMappings(),
      }),
      24,
      6,
    );
    grid.line(
      [
        timeseries('Transitions by from → to level', {
          description: 'Level changes per interval, by the level left and the level entered.',
          unit: 'short',
          queries: [
            {
              expr: sumIncrease(scope, transitions, STEP_INTERVAL, { by: [LABEL.fromLevel, LABEL.toLevel] }),
              legend: `${legend(LABEL.fromLevel)} → ${legend(LABEL.toLevel)}`,
            },
          ],
          bars: true,
          min: 0,
          decimals: 0,
        }),
        stateTimeline('Dependency health', {
          description: `Whether every selected instance reports each dependency healthy; the level is the worst impact among unhealthy dependencies.${impactText}`,
          queries: [{ expr: dependencyState(scope, { by: [LABEL.dependency] }), legend: legend(LABEL.dependency) }],
          mappings: upMappings(),
        }),
      ],
      8,
    );
    grid.add(
      stateTimeline('Feature flags', {
        description: 'Kill switches from the environment (ENABLE_* and STARTUP_FAIL_ON_WARNING): off on any selected instance shows as off. A switched-off capability is a pass-through.',
        queries: [{ expr: aggregate(scope, 'min', METRICS.featureFlagEnabled.name, { by: [LABEL.flag] }), legend: legend(LABEL.flag) }],
        mappings: flagMappings(),
      }),
      24,
      7,
    );
  },
};
