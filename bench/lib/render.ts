import type { RuntimeMetrics } from '../../runtime/src/internal';
import { median, percentile } from './stats';

/** Sample lines (not comments) of an exposition: the number of series a scrape ingests. */
export function seriesCount(exposition: string): number {
  let n = 0;
  for (const line of exposition.split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}

const STATUSES = ['200', '404', '500'] as const;

/** Adds HTTP series (3 statuses and one latency histogram per route) until there are `target` series. */
export async function fillToSeries(metrics: RuntimeMetrics, target: number): Promise<number> {
  let count = seriesCount(await metrics.render());
  for (let route = 0; count < target; route++) {
    const endpoint = `/resource${route}/:id`;
    for (const status of STATUSES) metrics.httpRequestsTotal.labels('GET', endpoint, status).inc();
    metrics.httpRequestDurationSeconds.labels('GET', endpoint).observe(0.004 * (route % 50));
    if (route % 5 === 4) count = seriesCount(await metrics.render());
  }
  return seriesCount(await metrics.render());
}

export interface RenderTiming {
  readonly series: number;
  readonly bytes: number;
  /** Median and p95 over iterations, in milliseconds. */
  readonly medianMs: number;
  readonly p95Ms: number;
}

/** Times `render` (warm-up first), alternating with `baseline` so both see the same machine state. */
export async function timeRenders(
  render: () => Promise<string>,
  baseline: () => Promise<string>,
  iterations: number,
): Promise<{ subject: RenderTiming; baseline: RenderTiming }> {
  const sample = await render();
  for (let i = 0; i < 5; i++) {
    await render();
    await baseline();
  }
  const times: number[][] = [[], []];
  const fns = [render, baseline];
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < 2; k++) {
      const which = (i + k) % 2;
      const start = performance.now();
      await fns[which]!();
      times[which]!.push(performance.now() - start);
    }
  }
  const timing = (t: number[]): RenderTiming => ({
    series: seriesCount(sample),
    bytes: Buffer.byteLength(sample),
    medianMs: median(t),
    p95Ms: percentile(t, 95),
  });
  return { subject: timing(times[0]!), baseline: timing(times[1]!) };
}

