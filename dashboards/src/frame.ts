/**
 * What every Bulwark dashboard shares: a fixed uid from the service name, tags, links to its
 * sibling dashboards, the `datasource` and `instance` variables, and annotations.
 */
import { createHash } from 'node:crypto';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { METRICS } from '@bulwark/runtime/catalog';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  TimePickerBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { Grid } from './layout';
import { DATASOURCE, DATASOURCE_VARIABLE } from './panels';
import { INSTANCE_LABEL, INSTANCE_VARIABLE, Scope, STEP_INTERVAL, legend } from './promql';

/** Tag on every generated dashboard (and what the sibling links search for). */
export const BULWARK_TAG = 'bulwark';

/** Grafana's limit on a dashboard uid. */
const MAX_UID_LENGTH = 40;

/**
 * `bulwark-<service>-<dashboard>` when it fits Grafana's 40 characters, else a readable prefix
 * plus a hash of both names: fixed for a given service and dashboard, never random.
 */
export function dashboardUid(service: string, stem: string): string {
  const readable = `${BULWARK_TAG}-${service}-${stem}`;
  if (readable.length <= MAX_UID_LENGTH) return readable;
  const hash = createHash('sha256').update(`${service}/${stem}`).digest('hex').slice(0, 10);
  return `${readable.slice(0, MAX_UID_LENGTH - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

export interface DashboardContext {
  readonly service: ServiceDeclaration;
  /** Selectors scoped to the service's scrape job and the chosen instances. */
  readonly scope: Scope;
  readonly grid: Grid;
}

export interface DashboardDefinition {
  /** File stem and uid suffix, e.g. `overview`. */
  readonly stem: string;
  readonly title: string;
  readonly description: string;
  /** Also tag the dashboard with this (e.g. `slo`). */
  readonly extraTags?: readonly string[];
  /** Whether the service gets this dashboard at all (e.g. only with declared dependencies). */
  readonly appliesTo?: (service: ServiceDeclaration) => boolean;
  /** Whether to mark degradation-level changes on every time-series panel. */
  readonly levelAnnotations?: boolean;
  readonly panels: (ctx: DashboardContext) => void;
}

const REFRESH = '30s';
const TIME_RANGE = { from: 'now-3h', to: 'now' };
const REFRESH_INTERVALS = ['10s', '30s', '1m', '5m', '15m', '30m', '1h'];

export function buildDashboard(service: ServiceDeclaration, def: DashboardDefinition): Dashboard {
  const scope = new Scope(service.name);
  const grid = new Grid();
  def.panels({ service, scope, grid });

  const d = new DashboardBuilder(`${service.name} · ${def.title}`)
    .uid(dashboardUid(service.name, def.stem))
    .description(def.description)
    .tags([BULWARK_TAG, service.name, ...(def.extraTags ?? [])])
    .timezone('browser')
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh(REFRESH)
    .time(TIME_RANGE)
    .timepicker(new TimePickerBuilder().refreshIntervals(REFRESH_INTERVALS))
    .link(
      new DashboardLinkBuilder(`${service.name} dashboards`)
        .type(DashboardLinkType.Dashboards)
        .tags([BULWARK_TAG, service.name])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .targetBlank(false)
        .icon('external link')
        .tooltip('')
        .url(''),
    )
    .withVariable(
      new DatasourceVariableBuilder(DATASOURCE_VARIABLE)
        .label('Data source')
        .description('The Prometheus that scrapes this service (any works: queries select the scrape job themselves).')
        .type(DATASOURCE.type),
    )
    .withVariable(
      new QueryVariableBuilder(INSTANCE_VARIABLE)
        .label('Instance')
        .description(`Instances of ${service.name} (scrape targets of job "${service.name}").`)
        .datasource(DATASOURCE)
        .query(`label_values(${scope.selectEveryInstance(METRICS.buildInfo.name)}, ${INSTANCE_LABEL})`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.+'),
    )
    .annotation(
      new AnnotationQueryBuilder()
        .name('Annotations & Alerts')
        .builtIn(1)
        .type('dashboard')
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)'),
    );
  if (def.levelAnnotations) {
    d.annotation(
      new AnnotationQueryBuilder()
        .name('Degradation level changes')
        .datasource(DATASOURCE)
        .enable(true)
        .hide(false)
        .iconColor('orange')
        .expr(levelChangeExpr(scope))
        .step('1m')
        .titleFormat(`Degradation level changed on ${legend(INSTANCE_LABEL)}`),
    );
  }
  grid.applyTo(d);
  return withDefaultPlacement(d.build());
}

/**
 * The SDK puts links and annotation toggles in the "controls menu" (a dropdown that only recent
 * Grafana 12 releases have); without a placement they show in the dashboard's top bar, where a
 * reader finds the sibling dashboards and the level-change toggle in every Grafana 12.
 */
function withDefaultPlacement(dashboard: Dashboard): Dashboard {
  for (const link of dashboard.links ?? []) delete link.placement;
  for (const annotation of dashboard.annotations?.list ?? []) delete annotation.placement;
  return dashboard;
}

/** Instances whose degradation level changed within the step. */
export function levelChangeExpr(scope: Scope): string {
  return `max by (${INSTANCE_LABEL}) (changes(${scope.select(METRICS.degradationLevel.name)}[${STEP_INTERVAL}])) > 0`;
}
