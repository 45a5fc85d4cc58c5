/**
 * A latency objective that is not one of the catalog's buckets (150 ms) works end to end: a real
 * service on the runtime exposes the threshold as a bucket of its latency histogram, and the
 * generated SLO rules and the overview dashboard read exactly that bucket.
 */
import type { AddressInfo } from 'node:net';
import { buildRuleGroups } from '@bulwark/alerts';
import { renderDashboards } from '@bulwark/dashboards';
import { createRuntime, defineService, type BulwarkRuntime } from '@bulwark/runtime';
import { METRICS } from '@bulwark/runtime/catalog';
import { LogCapture } from '../runtime/logging/capture';

const service = defineService({ name: 'quotes', routes: ['/quotes/:id'], objectives: { latency: { thresholdMs: 150, target: 0.99 } } });
const BUCKET = `${METRICS.httpRequestDurationSeconds.name}_bucket`;

describe('a latency objective between two catalog buckets (150 ms)', () => {
  let runtime: BulwarkRuntime;
  let base: string;

  beforeAll(async () => {
    runtime = createRuntime(service, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    const server = runtime.createServer((_req, res) => void res.end('quote'));
    await runtime.start();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => runtime.stop());

  it('is a bucket of the running service’s latency histogram, next to the catalog buckets', async () => {
    expect(METRICS.httpRequestDurationSeconds.buckets).not.toContain(0.15);
    expect(await (await fetch(`${base}/quotes/7`)).text()).toBe('quote');
    const exposition = await (await fetch(`${runtime.adminAddress!.url}/metrics`)).text();
    const series = [...exposition.matchAll(new RegExp(`^${BUCKET}\\{le="([^"]+)",method="GET",endpoint="/quotes/:id"\\} (\\d+)$`, 'gm'))];
    expect(series.map((m) => m[1])).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.15', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    expect(series.at(-1)![2]).toBe('1');
  });

  it('is the bucket the SLO rules and the overview dashboard select', () => {
    const slow = buildRuleGroups(service).groups.flatMap((g) => g.rules).filter((r) => 'record' in r && r.record.startsWith('service:http_requests_slow:'));
    expect(slow.length).toBeGreaterThan(0);
    for (const rule of slow) expect(rule.expr).toContain(`${BUCKET}{job="quotes", le="0.15"}`);
    const overview = renderDashboards(service)['quotes/overview.json']!;
    expect(overview).toContain('le=\\"0.15\\"');
  });
});
