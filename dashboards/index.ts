/**
 * Grafana dashboards generated from a service declaration with Grafana's foundation SDK.
 * `npm run monitoring` writes them to dashboards/generated/<service>/<dashboard>.json.
 */
import type { ServiceDeclaration } from '@bulwark/runtime';
import { SERVICES } from '../lib/services';
import { GENERATED_DIR, renderAll, writeDashboardFiles, type WriteResult } from './write';

export { buildDashboards, DASHBOARDS, renderDashboards, stableJson } from './render';
export { BULWARK_TAG, dashboardUid, type DashboardDefinition } from './frame';
export { DATASOURCE, DATASOURCE_VARIABLE } from './panels';
export { MEMORY_BUDGET_BYTES } from './runtime';
export { GENERATED_DIR, listGenerated, renderAll, type WriteResult } from './write';

/** Writes the dashboards of every service in SERVICES under `outDir` (default: dashboards/generated). */
export function writeDashboards(outDir: string = GENERATED_DIR): WriteResult {
  return writeDashboardFiles(outDir, SERVICES);
}

/** Repository-relative folder of the committed dashboards. */
export const GENERATED_PATH = 'dashboards/generated';

/** The writer `npm run monitoring` runs: every service's dashboard files, by repository-relative path. */
export function generatedDashboardFiles(services: readonly ServiceDeclaration[]): { path: string; content: string }[] {
  return Object.entries(renderAll(services)).map(([path, content]) => ({ path: `${GENERATED_PATH}/${path}`, content }));
}
