/** Reads generated dashboard JSON the way Grafana does: as plain data, not SDK objects. */
import { SERVICES } from '../../lib/services';
import { buildDashboards } from '@bulwark/dashboards';

export interface PanelJson {
  id?: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr?: string; refId?: string; datasource?: { type?: string; uid?: string }; instant?: boolean }[];
  panels?: PanelJson[];
  fieldConfig?: { defaults?: { mappings?: { type: string; options: Record<string, { text?: string; color?: string }> }[]; unit?: string } };
}

export interface VariableJson {
  type: string;
  name: string;
  query?: unknown;
  datasource?: { type?: string; uid?: string };
}

export interface DashboardJson {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  refresh?: string;
  time?: { from: string; to: string };
  panels: PanelJson[];
  templating: { list: VariableJson[] };
  annotations: { list: { builtIn?: number; expr?: string; datasource?: { type?: string; uid?: string } }[] };
}

/** A dashboard as its JSON text parses: what Grafana reads. */
export function asJson(dashboard: object): DashboardJson {
  return JSON.parse(JSON.stringify(dashboard)) as DashboardJson;
}

/** Every dashboard of every declared service: [service, stem, dashboard]. */
export function everyDashboard(): [string, string, DashboardJson][] {
  return SERVICES.flatMap((s) => Object.entries(buildDashboards(s)).map(([stem, d]) => [s.name, stem, asJson(d)] as [string, string, DashboardJson]));
}

/** Panels that show data (rows are layout only), including any nested in collapsed rows. */
export function dataPanels(d: DashboardJson): PanelJson[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

/** Every PromQL expression a dashboard runs: panel targets and annotation queries. */
export function queries(d: DashboardJson): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of dataPanels(d)) {
    for (const t of p.targets ?? []) out.push({ where: `${d.uid} / ${p.title} / ${t.refId}`, expr: t.expr ?? '' });
  }
  for (const a of d.annotations.list) if (a.expr !== undefined) out.push({ where: `${d.uid} / annotation`, expr: a.expr });
  return out;
}

/** Grafana's interval variables replaced by a duration, as a query would reach Prometheus. */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?/g, '5m');
}
