/**
 * Node.js runtime: event-loop lag, heap, resident memory against the memory budget, GC, CPU,
 * handles, restarts, log volume and startup validation.
 */
import { LABEL, METRICS, NODE_METRICS } from '@bulwark/runtime/catalog';
import { SCRAPE_SERIES } from '@bulwark/runtime/catalog';
import type { DashboardDefinition } from './frame';
import { COLOR, stat, timeseries } from './panels';
import { aggregate, legend, RANGE, seriesName, sumRate } from './promql';

/** Resident memory budget per instance (seed 000: "< 500 MB memory usage"). */
export const MEMORY_BUDGET_BYTES = 500 * 1024 * 1024;

/** The label prom-client's GC histogram splits collections by (major, minor, incremental, weakcb). */
const GC_KIND_LABEL = gcKindLabel();

function gcKindLabel(): string {
  const label = NODE_METRICS.gcDurationSeconds.seriesLabels[0];
  if (!label) throw new Error(`${NODE_METRICS.gcDurationSeconds.name} lists no series label for the GC kind in the catalog`);
  return label;
}

export const runtimeDashboard: DashboardDefinition = {
  stem: 'runtime',
  title: 'Node.js runtime',
  description: `Event-loop lag, heap and resident memory against the ${MEMORY_BUDGET_BYTES / 1024 / 1024} MiB budget, GC, CPU, handles, restarts, logs and startup validation.`,
  panels: ({ service, scope, grid }) => {
    const instance = scope.instanceLabel;
    const perInstance = legend(instance);
    const rss = NODE_METRICS.processResidentMemoryBytes.name;
    const startTime = NODE_METRICS.processStartTimeSeconds.name;
    const startupBudgetSeconds = service.startup.timeoutMs / 1000;

    grid.line(
      [
        stat('Instances up', {
          description: `Scrape targets of job "${service.name}" whose last scrape succeeded, of those selected.`,
          unit: 'none',
          query: { expr: `sum(${scope.select(SCRAPE_SERIES.up)})` },
          base: COLOR.bad,
          thresholds: [{ value: 1, color: COLOR.ok }],
          noValue: '0',
        }),
        stat('Uptime (youngest instance)', {
          description: 'Time since the most recently started selected instance started.',
          unit: 's',
          query: { expr: `min(time() - ${scope.select(startTime)})` },
          base: COLOR.info,
        }),
        stat('Restarts in the time range', {
          description: 'Process starts within the time range, all selected instances together (a replaced task or pod counts as a new instance, not a restart).',
          unit: 'short',
          query: { expr: `sum(changes(${scope.select(startTime)}[${RANGE}]))` },
          thresholds: [{ value: 1, color: COLOR.warn }],
          noValue: '0',
          decimals: 0,
        }),
        stat('Peak resident memory', {
          description: `Largest resident memory among the selected instances, against the ${MEMORY_BUDGET_BYTES / 1024 / 1024} MiB budget.`,
          unit: 'bytes',
          query: { expr: aggregate(scope, 'max', rss) },
          thresholds: [
            { value: MEMORY_BUDGET_BYTES * 0.8, color: COLOR.warn },
            { value: MEMORY_BUDGET_BYTES, color: COLOR.bad },
          ],
        }),
        stat('Event-loop lag p99 (worst)', {
          description: 'Highest p99 event-loop delay among the selected instances.',
          unit: 's',
          query: { expr: aggregate(scope, 'max', NODE_METRICS.eventLoopLagP99Seconds.name) },
          thresholds: [
            { value: 0.1, color: COLOR.warn },
            { value: 0.5, color: COLOR.bad },
          ],
        }),
        stat('Startup validation', {
          description: `Wall time of the last startup validation (slowest selected instance); the budget is ${startupBudgetSeconds} s.`,
          unit: 's',
          query: { expr: aggregate(scope, 'max', METRICS.startupValidationDurationSeconds.name) },
          thresholds: [
            { value: startupBudgetSeconds * 0.8, color: COLOR.warn },
            { value: startupBudgetSeconds, color: COLOR.bad },
          ],
        }),
      ],
      4,
    );
    grid.line(
      [
        timeseries('Event-loop lag', {
          description: 'Event-loop lag per instance, sampled and as the p99 of recorded delays; sustained lag delays every request.',
          unit: 's',
          queries: [
            { expr: scope.select(NODE_METRICS.eventLoopLagSeconds.name), legend: `${perInstance} lag` },
            { expr: scope.select(NODE_METRICS.eventLoopLagP99Seconds.name), legend: `${perInstance} p99` },
          ],
          min: 0,
        }),
        timeseries('Heap used / total', {
          description: 'V8 heap used and heap size per instance.',
          unit: 'bytes',
          queries: [
            { expr: scope.select(NODE_METRICS.heapSizeUsedBytes.name), legend: `${perInstance} used` },
            { expr: scope.select(NODE_METRICS.heapSizeTotalBytes.name), legend: `${perInstance} total` },
          ],
          min: 0,
        }),
      ],
      8,
    );
    grid.line(
      [
        timeseries('Resident memory vs budget', {
          description: `Resident set size per instance; the dashed line is the ${MEMORY_BUDGET_BYTES / 1024 / 1024} MiB budget.`,
          unit: 'bytes',
          queries: [{ expr: scope.select(rss), legend: perInstance }],
          min: 0,
          thresholdLines: [{ value: MEMORY_BUDGET_BYTES, color: COLOR.bad }],
        }),
        timeseries('CPU', {
          description: 'CPU time per second per instance (1 = one full core).',
          unit: 'percentunit',
          queries: [{ expr: sumRate(scope, NODE_METRICS.processCpuSecondsTotal.name, { by: [instance] }), legend: perInstance }],
          min: 0,
        }),
      ],
      8,
    );
    grid.line(
      [
        timeseries('GC time by kind', {
          description: 'Share of wall time spent in garbage collection, by GC kind.',
          unit: 'percentunit',
          queries: [{ expr: sumRate(scope, seriesName(NODE_METRICS.gcDurationSeconds, 'sum'), { by: [GC_KIND_LABEL] }), legend: legend(GC_KIND_LABEL) }],
          min: 0,
          stacked: true,
        }),
        timeseries('Active handles', {
          description: 'Active libuv handles (sockets, timers, files) per instance; a steady climb is a leak.',
          unit: 'short',
          queries: [{ expr: scope.select(NODE_METRICS.activeHandlesTotal.name), legend: perInstance }],
          min: 0,
        }),
      ],
      8,
    );
    grid.line(
      [
        timeseries('Log lines by level', {
          description: 'Log lines written per second, by level.',
          unit: 'short',
          queries: [{ expr: sumRate(scope, seriesName(METRICS.logLinesTotal), { by: [LABEL.level] }), legend: legend(LABEL.level) }],
          min: 0,
          stacked: true,
        }),
        timeseries('Startup validation failures', {
          description: 'Checks that failed in the last startup validation, by severity, per instance.',
          unit: 'short',
          queries: [{ expr: aggregate(scope, 'max', METRICS.startupValidationFailures.name, { by: [LABEL.level, instance] }), legend: `${perInstance} ${legend(LABEL.level)}` }],
          min: 0,
          decimals: 0,
        }),
      ],
      8,
    );
  },
};
