import { instrumentHandler } from '@bulwark/runtime';
import { createHealthEndpoints, createLogger, createMetrics, METRICS, refuse, SecretRedactor, sendJson, type RuntimeMetrics } from '../../../runtime/src/internal';
import { waitFor } from '@bulwark/harness';
import { LogCapture } from '../logging/capture';
import { listen, seriesValue, SwitchableHealth, type Running } from './helpers';

const ROUTES = ['/providers', '/providers/:id', '/orders'];
/** A generated id (runtime/src/logging/context.ts): random per-process prefix, '-', counter. */
const GENERATED_ID = /^[0-9a-f]{16}-[0-9a-z]+$/;

interface Setup {
  metrics: RuntimeMetrics;
  logs: LogCapture;
  health: SwitchableHealth;
  server: Running;
}

async function start(options: { metricsEnabled?: boolean; structured?: boolean } = {}): Promise<Setup> {
  const metrics = createMetrics({ enabled: options.metricsEnabled ?? true, nodeMetrics: false });
  const logs = new LogCapture();
  const logger = createLogger({
    service: 'providers',
    structured: options.structured ?? true,
    level: 'debug',
    destination: logs,
    redactor: new SecretRedactor(['db-password-123']),
    metrics,
  });
  const health = new SwitchableHealth();
  const healthEndpoints = createHealthEndpoints({ metrics, health });
  const handler = instrumentHandler(
    async (req, res) => {
      if (healthEndpoints(req, res)) return;
      const url = req.url ?? '/';
      if (url.startsWith('/providers/boom')) throw new Error('query failed: postgres://app:db-password-123@db/app');
      if (url.startsWith('/providers/reject')) {
        await new Promise((r) => setTimeout(r, 5));
        throw new Error('async failure');
      }
      if (url.startsWith('/orders')) return refuse(res, { retryAfterSeconds: 30, reason: 'database is read-only' });
      logger.info({ step: 'start' }, 'handling');
      await new Promise((r) => setTimeout(r, 5));
      logger.info({ step: 'after await' }, 'still handling');
      sendJson(res, 200, { ok: true });
    },
    { metrics, logger, routes: ROUTES },
  );
  return { metrics, logs, health, server: await listen(handler) };
}

const accessLines = (logs: LogCapture) => logs.entries.filter((e) => e.msg === 'request completed');

describe('instrumentHandler (node:http)', () => {
  let s: Setup;
  afterEach(async () => s?.server.close());

  it('counts requests under the route template and times them, never the raw id', async () => {
    s = await start();
    for (const id of ['1', '2', '3']) expect((await fetch(`${s.server.url}/providers/${id}?q=x`)).status).toBe(200);
    expect((await fetch(`${s.server.url}/no/such/path/999`)).status).toBe(200);
    await waitFor(() => accessLines(s.logs).length === 4, 5000, 'access lines');

    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: '/providers/:id', status: '200' })).toBe(3);
    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: 'unmatched', status: '200' })).toBe(1);
    expect(
      await seriesValue(s.metrics, METRICS.httpRequestDurationSeconds.name, { method: 'GET', endpoint: '/providers/:id' }, `${METRICS.httpRequestDurationSeconds.name}_count`),
    ).toBe(3);
    const sum = await seriesValue(s.metrics, METRICS.httpRequestDurationSeconds.name, { method: 'GET', endpoint: '/providers/:id' }, `${METRICS.httpRequestDurationSeconds.name}_sum`);
    expect(sum).toBeGreaterThan(0.015); // each request awaited 5 ms
    expect(await seriesValue(s.metrics, METRICS.httpRequestsInFlight.name, {})).toBe(0);

    const exposition = await s.metrics.render();
    expect(exposition).not.toMatch(/\/providers\/[123]"/);
    expect(exposition).not.toContain('/no/such');
  });

  it('bounds the method label', async () => {
    s = await start();
    expect((await fetch(`${s.server.url}/providers`, { method: 'PROPFIND' })).status).toBe(200);
    await waitFor(() => accessLines(s.logs).length === 1, 5000, 'access line');
    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'OTHER', endpoint: '/providers', status: '200' })).toBe(1);
  });

  it('echoes a sane correlation id, replaces a malicious or huge one, and tags every line of the request', async () => {
    s = await start();
    const kept = await fetch(`${s.server.url}/providers/1`, { headers: { 'X-Correlation-ID': 'upstream-abc.123' } });
    expect(kept.headers.get('x-correlation-id')).toBe('upstream-abc.123');

    // fetch refuses a raw newline in a header (so does node's parser); quotes and size still get through.
    for (const bad of ['abc","level":"fatal', 'a'.repeat(10 * 1024)]) {
      const res = await fetch(`${s.server.url}/providers/2`, { headers: { 'X-Correlation-ID': bad } });
      expect(res.headers.get('x-correlation-id')).toMatch(GENERATED_ID);
    }
    const fresh = await fetch(`${s.server.url}/providers/3`);
    const freshId = fresh.headers.get('x-correlation-id');
    expect(freshId).toMatch(GENERATED_ID);

    await waitFor(() => accessLines(s.logs).length === 4, 5000, 'access lines');
    expect(s.logs.text).not.toContain('"level":"fatal"');
    expect(s.logs.text).not.toContain('a'.repeat(200));

    const ofRequest = s.logs.entries.filter((e) => e.correlation_id === freshId);
    expect(ofRequest.map((e) => e.msg)).toEqual(['handling', 'still handling', 'request completed']);
    expect(new Set(ofRequest.map((e) => e.request_id)).size).toBe(1);
    const requestIds = new Set(s.logs.entries.map((e) => e.request_id));
    expect(requestIds.size).toBe(4);

    const access = ofRequest[2]!;
    expect(access).toMatchObject({ level: 'info', method: 'GET', endpoint: '/providers/:id', path: '/providers/3', status: 200 });
    expect(typeof access.duration_ms).toBe('number');
  });

  it('turns a thrown or rejected handler into a 500, logs the error redacted, and keeps serving', async () => {
    s = await start();
    const res = await fetch(`${s.server.url}/providers/boom`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'internal_error', correlation_id: res.headers.get('x-correlation-id') });
    expect((await fetch(`${s.server.url}/providers/reject`)).status).toBe(500);
    expect((await fetch(`${s.server.url}/providers/1`)).status).toBe(200);

    await waitFor(() => accessLines(s.logs).length === 3, 5000, 'access lines');
    const failures = s.logs.entries.filter((e) => e.msg === 'request handler failed');
    expect(failures).toHaveLength(2);
    const err = failures[0]!.err as Record<string, string>;
    expect(err.message).toBe('query failed: postgres://app:[REDACTED]@db/app');
    expect(failures[0]!.correlation_id).toBe(res.headers.get('x-correlation-id'));
    expect(s.logs.text).not.toContain('db-password-123');
    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: '/providers/:id', status: '500' })).toBe(2);
  });

  it('refuses with 503, Retry-After and a JSON reason', async () => {
    s = await start();
    const res = await fetch(`${s.server.url}/orders`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toEqual({ error: 'service_unavailable', reason: 'database is read-only', retry_after_seconds: 30 });
  });

  it('serves health endpoints: live stays 200 while ready turns 503; probes log at debug', async () => {
    s = await start();
    let live = await fetch(`${s.server.url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'alive' });
    const ready = await fetch(`${s.server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, level: 'OPTIMAL' });

    s.health.ready = false;
    const notReady = await fetch(`${s.server.url}/health/ready?probe=k8s`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, level: 'EMERGENCY', dependencies: { postgres: { healthy: false } } });
    live = await fetch(`${s.server.url}/health/live`);
    expect(live.status).toBe(200);

    const report = await fetch(`${s.server.url}/health`);
    expect(report.status).toBe(200);
    expect(await report.json()).toMatchObject({ level: 'EMERGENCY', validation: { status: 'passed' } });

    const scrape = await fetch(`${s.server.url}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toBe(s.metrics.contentType);
    expect(await scrape.text()).toContain('http_requests_total{method="GET",endpoint="/health/live",status="200"} 2');

    await waitFor(() => accessLines(s.logs).length === 6, 5000, 'access lines');
    for (const line of accessLines(s.logs)) {
      expect(line.level).toBe('debug');
      expect(String(line.endpoint)).toMatch(/^\/(health|metrics)/);
    }
    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: '/health/ready', status: '503' })).toBe(1);
  });

  it('answers /metrics with 404 when metrics are switched off, and still serves', async () => {
    s = await start({ metricsEnabled: false });
    expect((await fetch(`${s.server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${s.server.url}/providers/1`)).status).toBe(200);
    expect((await fetch(`${s.server.url}/health/live`)).status).toBe(200);
  });

  it('writes plain text access lines when structured logging is off', async () => {
    s = await start({ structured: false });
    const res = await fetch(`${s.server.url}/providers/7?token=abc`);
    const id = res.headers.get('x-correlation-id')!;
    await waitFor(() => s.logs.text.includes('request completed'), 5000, 'access line');
    const line = s.logs.text.split('\n').find((l) => l.includes('request completed'))!;
    expect(line).toMatch(
      new RegExp(`^\\S+Z INFO  \\[providers\\] request completed correlation_id=${id} request_id=\\S+ method=GET endpoint=/providers/:id path=/providers/7 status=200 duration_ms=[\\d.]+$`),
    );
    expect(s.logs.text).not.toContain('token=abc');
  });
});
