import Fastify, { type FastifyInstance } from 'fastify';
import { bulwarkFastify } from '@bulwark/runtime';
import { createLogger, createMetrics, METRICS, SecretRedactor, type RuntimeMetrics } from '../../../runtime/src/internal';
import { waitFor } from '@bulwark/harness';
import { LogCapture } from '../logging/capture';
import { seriesValue, SwitchableHealth } from './helpers';

interface Setup {
  app: FastifyInstance;
  url: string;
  metrics: RuntimeMetrics;
  logs: LogCapture;
  health: SwitchableHealth;
}

async function start(metricsEnabled = true): Promise<Setup> {
  const metrics = createMetrics({ enabled: metricsEnabled, nodeMetrics: false });
  const logs = new LogCapture();
  const logger = createLogger({ service: 'providers', structured: true, level: 'debug', destination: logs, metrics, redactor: new SecretRedactor(['s3cr3t-value']) });
  const health = new SwitchableHealth();
  // Fastify's own logger stays off: the plugin's access log replaces it.
  const app = Fastify({ logger: false });
  await app.register(bulwarkFastify, { metrics, logger, health });
  app.get('/providers/:id', async (request) => {
    logger.info({ id: (request.params as { id: string }).id }, 'loading provider');
    await new Promise((r) => setTimeout(r, 5));
    logger.info('loaded');
    return { ok: true };
  });
  app.get('/boom', async () => {
    throw new Error('cannot reach db with s3cr3t-value');
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, metrics, logs, health };
}

const accessLines = (logs: LogCapture) => logs.entries.filter((e) => e.msg === 'request completed');

describe('bulwarkFastify plugin', () => {
  let s: Setup;
  afterEach(async () => s?.app.close());

  it('counts by route template, unmatched for 404s, and tags every line of a request with its ids', async () => {
    s = await start();
    const res = await fetch(`${s.url}/providers/42?x=1`, { headers: { 'X-Correlation-ID': 'from-gateway-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('from-gateway-1');
    expect((await fetch(`${s.url}/nothing/here/7`)).status).toBe(404);
    const injected = await fetch(`${s.url}/providers/43`, { headers: { 'X-Correlation-ID': 'x'.repeat(10 * 1024) } });
    expect(injected.headers.get('x-correlation-id')).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);

    await waitFor(() => accessLines(s.logs).length === 3, 5000, 'access lines');
    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: '/providers/:id', status: '200' })).toBe(2);
    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: 'unmatched', status: '404' })).toBe(1);
    expect(
      await seriesValue(s.metrics, METRICS.httpRequestDurationSeconds.name, { method: 'GET', endpoint: '/providers/:id' }, `${METRICS.httpRequestDurationSeconds.name}_count`),
    ).toBe(2);
    expect(await seriesValue(s.metrics, METRICS.httpRequestsInFlight.name, {})).toBe(0);
    const exposition = await s.metrics.render();
    expect(exposition).not.toContain('/providers/42');
    expect(exposition).not.toContain('/nothing');

    const ofRequest = s.logs.entries.filter((e) => e.correlation_id === 'from-gateway-1');
    expect(ofRequest.map((e) => e.msg)).toEqual(['loading provider', 'loaded', 'request completed']);
    expect(new Set(ofRequest.map((e) => e.request_id)).size).toBe(1);
    expect(ofRequest[2]).toMatchObject({ endpoint: '/providers/:id', path: '/providers/42', status: 200, method: 'GET' });
  });

  it('answers a throwing handler with 500 without its message, logs it redacted, and keeps serving', async () => {
    s = await start();
    const res = await fetch(`${s.url}/boom`);
    expect(res.status).toBe(500);
    const id = res.headers.get('x-correlation-id');
    expect(await res.json()).toEqual({ error: 'internal_error', correlation_id: id });
    expect((await fetch(`${s.url}/providers/1`)).status).toBe(200);
    await waitFor(() => accessLines(s.logs).length === 2, 5000, 'access lines');
    const failure = s.logs.entries.find((e) => e.msg === 'request handler failed')!;
    expect(failure.correlation_id).toBe(id);
    expect((failure.err as Record<string, string>).message).toBe('cannot reach db with [REDACTED]');
    expect(s.logs.text).not.toContain('s3cr3t-value');
    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: '/boom', status: '500' })).toBe(1);
  });

  it('serves /health/ready only: it follows the source and logs at debug; telemetry is not on the application port', async () => {
    s = await start();
    expect((await fetch(`${s.url}/health/ready`)).status).toBe(200);
    s.health.ready = false;
    const ready = await fetch(`${s.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, level: 'EMERGENCY' });
    for (const path of ['/metrics', '/health', '/health/live']) {
      const res = await fetch(`${s.url}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
      expect(await res.text()).not.toContain('http_requests_total');
    }
    expect(await seriesValue(s.metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: '/health/ready', status: '503' })).toBe(1);
    await waitFor(() => accessLines(s.logs).length === 5, 5000, 'access lines');
    expect(accessLines(s.logs).filter((l) => l.endpoint === '/health/ready').every((l) => l.level === 'debug')).toBe(true);
  });
});
