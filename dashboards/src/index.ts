/** Grafana dashboards generated from a service declaration with Grafana's foundation SDK: pure functions. */
export { buildDashboards, DASHBOARDS, renderAll, renderDashboards, stableJson } from './render';
export { BULWARK_TAG, dashboardUid, type DashboardDefinition } from './frame';
export { DATASOURCE, DATASOURCE_VARIABLE } from './panels';
export { MEMORY_BUDGET_BYTES } from './runtime';
