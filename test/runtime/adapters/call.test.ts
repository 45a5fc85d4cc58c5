// A real HTTP dependency on 127.0.0.1 (node:http) called with fetch through the generic adapter.
import { createServer, type Server } from 'node:http';
import { BreakerOpenError, type CallAdapter } from '@bulwark/runtime';
import { BreakerRegistry, createCallAdapter, createMetrics, LABEL, measureHealthCheck, METRICS, type RuntimeMetrics } from '../../../runtime/src/internal';
import { captureLogger, metricValue } from '../breakers/helpers';

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

let server: Server;
let base: string;
let status = 200;
let metrics: RuntimeMetrics;
let registry: BreakerRegistry;
let api: CallAdapter;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  status = 200;
  metrics = createMetrics({ nodeMetrics: false });
  const { logger } = captureLogger();
  registry = new BreakerRegistry({ enabled: true, metrics, logger });
  api = createCallAdapter({
    name: 'partner_api',
    kind: 'http',
    breaker: { failureThreshold: 2, resetTimeoutMs: 10_000, successThreshold: 1, timeoutMs: 1_000 },
    breakers: registry,
    metrics,
    logger,
    healthCheck: async (signal) => {
      const res = await fetch(`${base}/health`, { signal });
      if (!res.ok) throw new HttpStatusError(res.status);
    },
  });
});
afterEach(() => registry.shutdown());

const getThing = () =>
  api.instrumentCall('get_thing', async (signal) => {
    const res = await fetch(`${base}/thing`, { signal });
    if (!res.ok) throw new HttpStatusError(res.status);
    return res.json() as Promise<{ ok: boolean }>;
  });
const labels = { [LABEL.dependency]: 'partner_api', [LABEL.operation]: 'get_thing' };

it('records requests and latency; 404s are caller errors; 5xx open the breaker', async () => {
  await expect(getThing()).resolves.toEqual({ ok: true });
  status = 404;
  for (let i = 0; i < 3; i++) await expect(getThing()).rejects.toMatchObject({ status: 404 });
  expect(api.breaker.state).toBe('closed');
  status = 500;
  await expect(getThing()).rejects.toMatchObject({ status: 500 });
  await expect(getThing()).rejects.toMatchObject({ status: 500 });
  expect(api.breaker.state).toBe('open');
  await expect(getThing()).rejects.toBeInstanceOf(BreakerOpenError);
  expect(await metricValue(metrics, METRICS.dependencyRequestsTotal.name, labels)).toBe(7);
  expect(await metricValue(metrics, METRICS.dependencyErrorsTotal.name, { ...labels, [LABEL.errorType]: 'client_error' })).toBe(3);
  expect(await metricValue(metrics, METRICS.dependencyErrorsTotal.name, { ...labels, [LABEL.errorType]: 'server_error' })).toBe(2);
  expect(await metricValue(metrics, METRICS.dependencyErrorsTotal.name, { ...labels, [LABEL.errorType]: 'circuit_open' })).toBe(1);
});

it('healthCheck bypasses the breaker; measureHealthCheck reports ok and latency', async () => {
  api.breaker.open();
  const healthy = await measureHealthCheck(api);
  expect(healthy.ok).toBe(true);
  expect(healthy.seconds).toBeGreaterThan(0);
  status = 503;
  const sick = await measureHealthCheck(api);
  expect(sick).toMatchObject({ ok: false, error: expect.stringContaining('http partner_api health check failed') });
});

it('refuses an unbounded operation label', async () => {
  await expect(api.instrumentCall('/thing/42?x=1', async () => 1)).rejects.toThrow(/not a valid metric label/);
});

it('reports the latency of each successful call to onCallLatency (slowness detection), not of failed ones', async () => {
  const latencies: number[] = [];
  const { logger } = captureLogger();
  const reporting = createCallAdapter({
    name: 'partner_api_2',
    kind: 'http',
    breaker: { failureThreshold: 5, resetTimeoutMs: 10_000, successThreshold: 1, timeoutMs: 1_000 },
    breakers: registry,
    metrics,
    logger,
    healthCheck: async () => undefined,
    onCallLatency: (ms) => latencies.push(ms),
  });
  const call = () =>
    reporting.instrumentCall('get_thing', async (signal) => {
      const res = await fetch(`${base}/thing`, { signal });
      if (!res.ok) throw new HttpStatusError(res.status);
      return res.json() as Promise<{ ok: boolean }>;
    });
  await call();
  status = 500;
  await expect(call()).rejects.toThrow('HTTP 500');
  status = 200;
  await call();
  expect(latencies).toHaveLength(2);
  for (const ms of latencies) expect(ms).toBeGreaterThan(0);
});
