/**
 * Panel factories on top of the foundation SDK: every panel and every query reads from the
 * dashboard's `${datasource}` variable, and the options a reader needs (legend, units,
 * thresholds, value mappings) are set the same way on every dashboard.
 */
import {
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type Panel,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  GraphDrawStyle,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  LineInterpolation,
  ReduceDataOptionsBuilder,
  SortOrder,
  StackingConfigBuilder,
  StackingMode,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanelBuilder } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Name of the data-source template variable every dashboard declares. */
export const DATASOURCE_VARIABLE = 'datasource';

/** The reference every panel and query uses: whichever Prometheus the viewer picked. */
export const DATASOURCE = { type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` } as const;

export interface Query {
  readonly expr: string;
  /** Legend text; Grafana substitutes `{{label}}`. */
  readonly legend?: string;
}

/** A panel builder the layout can place: the SDK's builders all have these. */
export interface PlaceablePanel extends Builder<Panel> {
  gridPos(gridPos: { x: number; y: number; w: number; h: number }): unknown;
  id(id: number): unknown;
}

export interface Threshold {
  readonly value: number;
  readonly color: string;
}

const COLOR = { ok: 'green', warn: 'orange', bad: 'red', info: 'blue', neutral: 'text' } as const;
export { COLOR };

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function targets(queries: readonly Query[], instant: boolean): DataqueryBuilder[] {
  if (queries.length === 0) throw new Error('a panel needs at least one query');
  if (queries.length > REF_IDS.length) throw new Error(`a panel takes at most ${REF_IDS.length} queries`);
  return queries.map((q, i) => {
    const b = new DataqueryBuilder().datasource(DATASOURCE).refId(REF_IDS[i]).expr(q.expr);
    if (q.legend !== undefined) b.legendFormat(q.legend);
    return instant ? b.instant() : b.range();
  });
}

/** Threshold steps: the base colour, then each step from its value upwards. */
function thresholds(base: string, steps: readonly Threshold[]): ThresholdsConfigBuilder {
  const sorted = [...steps].sort((a, b) => a.value - b.value);
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([{ value: null, color: base }, ...sorted.map((s) => ({ value: s.value, color: s.color }))]);
}

/** Value → text and colour, e.g. 1 → OPTIMAL (green). */
export function valueMappings(entries: readonly { value: number; text: string; color: string }[]): ValueMapping[] {
  const options: Record<string, { text: string; color: string; index: number }> = {};
  entries.forEach((e, index) => {
    options[String(e.value)] = { text: e.text, color: e.color, index };
  });
  return [{ type: MappingType.ValueToText, options }];
}

export interface TimeseriesOptions {
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  readonly min?: number;
  readonly max?: number;
  /** Stack the series (parts of one whole, e.g. requests by status). */
  readonly stacked?: boolean;
  /** Draw bars (counts per interval) instead of lines. */
  readonly bars?: boolean;
  /** Draw dashed lines at these values (an objective, a budget). */
  readonly thresholdLines?: readonly Threshold[];
  /** Colour below the first threshold line (default green: "above the line is bad"). */
  readonly thresholdBase?: string;
  readonly decimals?: number;
  /** Shown when the queries return nothing (e.g. "0" for a count of events that did not happen). */
  readonly noValue?: string;
}

export type { TimeseriesPanelBuilder };

export function timeseries(title: string, o: TimeseriesOptions): TimeseriesPanelBuilder {
  const p = new TimeseriesPanelBuilder()
    .title(title)
    .description(o.description)
    .datasource(DATASOURCE)
    .targets(targets(o.queries, false))
    .unit(o.unit)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
    .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.PaletteClassic))
    .lineWidth(1)
    .fillOpacity(o.stacked || o.bars ? 60 : 10)
    .showPoints(VisibilityMode.Never)
    .spanNulls(false);
  if (o.bars) p.drawStyle(GraphDrawStyle.Bars);
  else p.drawStyle(GraphDrawStyle.Line).lineInterpolation(LineInterpolation.Linear);
  if (o.stacked) p.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  if (o.decimals !== undefined) p.decimals(o.decimals);
  if (o.noValue !== undefined) p.noValue(o.noValue);
  if (o.thresholdLines && o.thresholdLines.length > 0) {
    p.thresholds(thresholds(o.thresholdBase ?? COLOR.ok, o.thresholdLines)).thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
  }
  return p;
}

export interface StatOptions {
  readonly description: string;
  readonly unit: string;
  readonly query: Query;
  /** Colour below the first threshold step. */
  readonly base?: string;
  readonly thresholds?: readonly Threshold[];
  readonly mappings?: ValueMapping[];
  /** Shown when the query returns nothing (e.g. "0" for a count of events that did not happen). */
  readonly noValue?: string;
  readonly decimals?: number;
  /** One value per series, each with its name (e.g. one per breaker). */
  readonly perSeries?: boolean;
  readonly colorBackground?: boolean;
}

export function stat(title: string, o: StatOptions): StatPanelBuilder {
  const p = new StatPanelBuilder()
    .title(title)
    .description(o.description)
    .datasource(DATASOURCE)
    .targets(targets([o.query], true))
    .unit(o.unit)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(BigValueGraphMode.None)
    .colorMode(o.colorBackground ? BigValueColorMode.Background : BigValueColorMode.Value)
    .textMode(o.perSeries ? BigValueTextMode.ValueAndName : BigValueTextMode.Value)
    .thresholds(thresholds(o.base ?? COLOR.ok, o.thresholds ?? []));
  if (o.mappings) p.mappings(o.mappings);
  if (o.noValue !== undefined) p.noValue(o.noValue);
  if (o.decimals !== undefined) p.decimals(o.decimals);
  return p;
}

export interface StateTimelineOptions {
  readonly description: string;
  readonly queries: readonly Query[];
  readonly mappings: ValueMapping[];
}

/** One lane per series, coloured by the mapped state (breaker state, level, up/down, on/off). */
export function stateTimeline(title: string, o: StateTimelineOptions): StateTimelinePanelBuilder {
  return new StateTimelinePanelBuilder()
    .title(title)
    .description(o.description)
    .datasource(DATASOURCE)
    .targets(targets(o.queries, false))
    .mappings(o.mappings)
    .thresholds(thresholds(COLOR.neutral, []))
    .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
    .showValue(VisibilityMode.Auto)
    .mergeValues(true)
    .rowHeight(0.9)
    .fillOpacity(80)
    .lineWidth(0)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Single).sort(SortOrder.None));
}
