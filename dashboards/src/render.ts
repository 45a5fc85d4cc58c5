/**
 * Turns a service declaration into dashboard JSON files: deterministic (fixed uids, sorted keys,
 * no timestamps or random ids) so regenerating gives byte-identical files and diffs are reviewable.
 */
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { circuitBreakersDashboard } from './circuit-breakers';
import { degradationDashboard } from './degradation';
import { dependenciesDashboard } from './dependencies';
import { buildDashboard, type DashboardDefinition } from './frame';
import { overviewDashboard } from './overview';
import { runtimeDashboard } from './runtime';

/** Every dashboard a service gets, in the order they are listed. */
export const DASHBOARDS: readonly DashboardDefinition[] = [
  overviewDashboard,
  dependenciesDashboard,
  circuitBreakersDashboard,
  degradationDashboard,
  runtimeDashboard,
];

/** The dashboards of one service, by file stem (e.g. `overview`). */
export function buildDashboards(service: ServiceDeclaration): Record<string, Dashboard> {
  const out: Record<string, Dashboard> = {};
  for (const def of DASHBOARDS) {
    if (def.appliesTo && !def.appliesTo(service)) continue;
    out[def.stem] = buildDashboard(service, def);
  }
  return out;
}

/** The dashboards of one service as file contents, by path relative to the output folder (`<service>/<stem>.json`). */
export function renderDashboards(service: ServiceDeclaration): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [stem, dashboard] of Object.entries(buildDashboards(service))) {
    out[`${service.name}/${stem}.json`] = stableJson(dashboard);
  }
  return out;
}

/** Every file the services produce, by path relative to the output folder (`/`-separated). */
export function renderAll(services: readonly ServiceDeclaration[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const service of services) {
    for (const [path, text] of Object.entries(renderDashboards(service))) {
      if (path in out) throw new Error(`two services render ${path}: service names must be unique`);
      out[path] = text;
    }
  }
  return out;
}

/** Pretty JSON (2-space indent), object keys sorted at every depth, trailing newline. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
