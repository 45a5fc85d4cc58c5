import pino, { type Logger } from 'pino';
import type { RuntimeMetrics } from '../../../runtime/src/internal';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger writing JSON lines into an array (pino's destination-stream API, synchronous). */
export function captureLogger(level: pino.Level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export const PINO_WARN = 40;
export const PINO_INFO = 30;

/** The value of one series of a catalog metric, read back from the runtime's registry (0 when absent). */
export async function metricValue(metrics: RuntimeMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want));
  return hit ? hit.value : 0;
}

/** The sum of every series of a metric matching `labels` (e.g. a counter summed over error types). */
export async function metricSum(metrics: RuntimeMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Records every timer created through the global timer functions and which are still pending. */
export function trackTimers(): { pending(): number; restore(): void } {
  const live = new Set<unknown>();
  const origSetTimeout = global.setTimeout;
  const origSetInterval = global.setInterval;
  const origClearTimeout = global.clearTimeout;
  const origClearInterval = global.clearInterval;
  const g = global as unknown as Record<string, unknown>;
  g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle: unknown = origSetTimeout(
      (...a: unknown[]) => {
        live.delete(handle);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.add(handle);
    return handle;
  };
  g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle = origSetInterval(fn, ms, ...args);
    live.add(handle);
    return handle;
  };
  g.clearTimeout = (h: NodeJS.Timeout | undefined) => {
    live.delete(h);
    origClearTimeout(h);
  };
  g.clearInterval = (h: NodeJS.Timeout | undefined) => {
    live.delete(h);
    origClearInterval(h);
  };
  return {
    pending: () => live.size,
    restore() {
      g.setTimeout = origSetTimeout;
      g.setInterval = origSetInterval;
      g.clearTimeout = origClearTimeout;
      g.clearInterval = origClearInterval;
    },
  };
}
