import type { Counter, Gauge, Histogram } from 'prom-client';

/**
 * Faster label-bound children for prom-client 15 metrics.
 *
 * prom-client's `metric.labels(...)` child rebuilds the label hash string, re-validates the labels
 * and (histograms) turns the bucket bound into a property name on every call: ~0.2–0.4 µs each,
 * several times per request. The children made here find their series entry once and then
 * update it directly. Every update first checks that the entry is still the one prom-client holds
 * (`reset()`, `remove()`, `zero()` and gauge `set()` replace or drop it); when it is not, the
 * update goes through prom-client's own method, which recreates the entry, and the child finds
 * it again. Invalid values also go through prom-client, so they fail exactly as before.
 */

type LabelValues = Record<string, string | number>;

interface ValueEntry {
  value: number;
}

interface HistogramEntry {
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
}

interface Internals<E> {
  hashMap: Record<string, E | undefined>;
  readonly labelNames: readonly string[];
  readonly sortedLabelNames: readonly string[];
}

interface HistogramInternals extends Internals<HistogramEntry> {
  readonly upperBounds: readonly number[];
}

function looksLikeProm15<E>(metric: unknown): metric is Internals<E> {
  const m = metric as Partial<Internals<E>>;
  return typeof m.hashMap === 'object' && m.hashMap !== null && Array.isArray(m.sortedLabelNames) && Array.isArray(m.labelNames);
}

/** The labels object prom-client's `labels(...args)` builds (positional values or one object). */
function labelsOf(labelNames: readonly string[], args: readonly unknown[]): LabelValues {
  if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) return args[0] as LabelValues;
  const labels: LabelValues = {};
  for (let i = 0; i < labelNames.length; i++) labels[labelNames[i]!] = args[i] as string | number;
  return labels;
}

/** prom-client's series key (util.js fastHashObject). */
function seriesKey(sortedLabelNames: readonly string[], labels: LabelValues): string {
  let key = '';
  for (const name of sortedLabelNames) {
    const value = labels[name];
    if (value !== undefined) key += `${name}:${value},`;
  }
  return key;
}

/** Tracks one series entry of a metric and says whether it is still the live one. */
class EntryRef<E> {
  private map: Record<string, E | undefined> | undefined;
  entry: E | undefined;
  constructor(
    private readonly metric: Internals<E>,
    private readonly key: string,
  ) {}
  /** The live entry, or undefined when prom-client must do the update (and `refresh` after it). */
  live(): E | undefined {
    const entry = this.entry;
    return entry !== undefined && this.metric.hashMap === this.map && this.map[this.key] === entry ? entry : undefined;
  }
  refresh(): void {
    this.map = this.metric.hashMap;
    this.entry = this.map[this.key];
  }
}

export function installFastCounterChildren(counter: Counter<string>): void {
  if (!looksLikeProm15<ValueEntry>(counter)) return;
  const internals = counter;
  const original = counter.labels.bind(counter);
  counter.labels = ((...args: unknown[]) => {
    const child = (original as (...a: unknown[]) => { inc(value?: number): void })(...args); // validates the labels
    const labels = labelsOf(internals.labelNames, args);
    const ref = new EntryRef(internals, seriesKey(internals.sortedLabelNames, labels));
    return {
      inc(value?: number): void {
        const entry = ref.live();
        if (entry !== undefined && (value === undefined || (typeof value === 'number' && value >= 0 && value !== Number.POSITIVE_INFINITY))) {
          entry.value += value ?? 1;
          return;
        }
        child.inc(value);
        ref.refresh();
      },
    };
  }) as Counter<string>['labels'];
}

export function installFastGaugeChildren(gauge: Gauge<string>): void {
  if (!looksLikeProm15<ValueEntry>(gauge)) return;
  const internals = gauge;
  const original = gauge.labels.bind(gauge);
  gauge.labels = ((...args: unknown[]) => {
    const child = (original as (...a: unknown[]) => ReturnType<Gauge<string>['labels']>)(...args);
    const labels = labelsOf(internals.labelNames, args);
    const ref = new EntryRef(internals, seriesKey(internals.sortedLabelNames, labels));
    const add = (delta: number | undefined, sign: 1 | -1, slow: (v?: number) => void): void => {
      const entry = ref.live();
      if (entry !== undefined && (delta === undefined || typeof delta === 'number')) {
        entry.value += sign * (delta ?? 1);
        return;
      }
      slow(delta);
      ref.refresh();
    };
    return {
      ...child,
      inc: (value?: number) => add(value, 1, child.inc),
      dec: (value?: number) => add(value, -1, child.dec),
    };
  }) as Gauge<string>['labels'];
}

export function installFastHistogramChildren(histogram: Histogram<string>): void {
  if (!looksLikeProm15<HistogramEntry>(histogram) || !Array.isArray((histogram as unknown as HistogramInternals).upperBounds)) return;
  const internals = histogram as unknown as HistogramInternals;
  const bounds = internals.upperBounds;
  // The bucket property names prom-client uses (the bound as a string).
  const boundKeys = bounds.map(String);
  const original = histogram.labels.bind(histogram);
  histogram.labels = ((...args: unknown[]) => {
    const child = (original as (...a: unknown[]) => ReturnType<Histogram<string>['labels']>)(...args);
    const labels = labelsOf(internals.labelNames, args);
    const ref = new EntryRef(internals, seriesKey(internals.sortedLabelNames, labels));
    return {
      startTimer: child.startTimer,
      observe(value: number): void {
        const entry = ref.live();
        if (entry !== undefined && Number.isFinite(value)) {
          let i = 0;
          while (i < bounds.length && value > bounds[i]!) i++;
          entry.sum += value;
          entry.count += 1;
          if (i < bounds.length) entry.bucketValues[boundKeys[i]!]! += 1;
          return;
        }
        child.observe(value);
        ref.refresh();
      },
    };
  }) as Histogram<string>['labels'];
}
