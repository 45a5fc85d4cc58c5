/**
 * The per-client rate limit as a service gets it: the runtime built from a declaration with a small
 * `rateLimit`, serving through the Fastify plugin and through `runtime.createServer` (node:http).
 * A burst from one client gets 429 + Retry-After past its allowance, the limit's metric and the HTTP
 * metrics count the refusals, readiness probes are never limited, and behind a trusted proxy each
 * forwarded client has an allowance of its own.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { bulwarkFastify, createRuntime, defineService, type BulwarkRuntime } from '@bulwark/runtime';
import { FORWARDED_FOR_HEADER, METRICS, TRUSTED_PROXY_HOPS_ENV } from '@bulwark/runtime/catalog';
import { LogCapture } from '../logging/capture';
import { waitFor } from '@bulwark/harness';
import { seriesValue } from './helpers';

const ALLOWANCE = 5;
const WINDOW_MS = 60_000;
const limited = defineService({ name: 'limited', routes: ['/items/:id'], rateLimit: { requests: ALLOWANCE, windowMs: WINDOW_MS } });

interface Served {
  readonly runtime: BulwarkRuntime;
  readonly logs: LogCapture;
  readonly url: string;
  close(): Promise<void>;
}

async function withFastify(env: Record<string, string>): Promise<Served> {
  const logs = new LogCapture();
  const runtime = createRuntime(limited, { env, logDestination: logs, logLevel: 'debug', nodeMetrics: false, admin: { port: 0 } });
  const app: FastifyInstance = Fastify({ logger: false });
  await app.register(bulwarkFastify, runtime.fastifyOptions());
  app.get('/items/:id', async () => ({ ok: true }));
  runtime.onShutdown(() => app.close());
  await runtime.start();
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { runtime, logs, url, close: () => runtime.stop() };
}

async function withNodeHttp(env: Record<string, string>): Promise<Served> {
  const logs = new LogCapture();
  const runtime = createRuntime(limited, { env, logDestination: logs, logLevel: 'debug', nodeMetrics: false, admin: { port: 0 } });
  const server = runtime.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await runtime.start();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { runtime, logs, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => runtime.stop() };
}

describe.each([
  ['the Fastify plugin', withFastify],
  ['runtime.createServer (node:http)', withNodeHttp],
])('the rate limit through %s', (_name, serve) => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it('answers a burst past the allowance with 429 + Retry-After, counts it, and never limits readiness', async () => {
    served = await serve({});
    const { runtime, url } = served;
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < ALLOWANCE + 3; i++) {
      const res = await fetch(`${url}/items/${i}`);
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
      else await res.arrayBuffer();
    }
    expect(statuses).toEqual([...Array<number>(ALLOWANCE).fill(200), 429, 429, 429]);
    // One request's share of the window is 12 s: the first refused request may retry within it
    // (less the time the burst took).
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / ALLOWANCE / 1000);
    expect(await refused!.json()).toEqual({ error: 'rate_limited', retry_after_seconds: retryAfter });

    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/health/ready`)).status).toBe(200);

    const metrics = runtime.metrics;
    expect(await seriesValue(metrics, METRICS.httpRequestsRateLimitedTotal.name, { endpoint: '/items/:id' })).toBe(3);
    expect(await seriesValue(metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: '/items/:id', status: '429' })).toBe(3);
    expect(await seriesValue(metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: '/items/:id', status: '200' })).toBe(ALLOWANCE);
    const scrape = await (await fetch(`${runtime.adminAddress!.url}/metrics`)).text();
    expect(scrape).toContain('http_requests_rate_limited_total{endpoint="/items/:id"} 3');
    // A flooding client must not flood the info stream: its refusals are logged at debug.
    const access = await waitFor(() => {
      const lines = served!.logs.entries.filter((e) => e.msg === 'request completed' && e.endpoint === '/items/:id');
      return lines.length === ALLOWANCE + 3 ? lines : undefined;
    }, 5_000, 'the access lines');
    expect(access.map((l) => [l.status, l.level])).toEqual([...Array.from({ length: ALLOWANCE }, () => [200, 'info']), [429, 'debug'], [429, 'debug'], [429, 'debug']]);
  });

  it('behind one trusted proxy, each forwarded client has its own allowance, whatever it claims further left', async () => {
    served = await serve({ [TRUSTED_PROXY_HOPS_ENV]: '1' });
    const { url } = served;
    const send = (forwardedFor: string) => fetch(`${url}/items/1`, { headers: { [FORWARDED_FOR_HEADER]: forwardedFor } }).then(async (r) => (await r.arrayBuffer(), r.status));
    const first: number[] = [];
    // A client writing its own X-Forwarded-For entries cannot escape its allowance: only the proxy's entry counts.
    for (let i = 0; i < ALLOWANCE + 1; i++) first.push(await send(`10.9.9.${i}, 203.0.113.7`));
    expect(first).toEqual([...Array<number>(ALLOWANCE).fill(200), 429]);
    expect(await send('203.0.113.8')).toBe(200);
  });

  it('an invalid TRUSTED_PROXY_HOPS stops the runtime from being built, naming the variable', async () => {
    await expect(serve({ [TRUSTED_PROXY_HOPS_ENV]: 'all' })).rejects.toThrow('TRUSTED_PROXY_HOPS="all" is not valid');
  });
});

describe('the rate limit switched off', () => {
  it('rateLimit.requests 0 never answers 429', async () => {
    const open = defineService({ name: 'open', routes: ['/items/:id'], rateLimit: { requests: 0 } });
    const runtime = createRuntime(open, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    const server = runtime.createServer((_req, res) => void res.end('ok'));
    await runtime.start();
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const statuses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${url}/items/1`).then(async (r) => (await r.arrayBuffer(), r.status))));
      expect(new Set(statuses)).toEqual(new Set([200]));
    } finally {
      await runtime.stop();
    }
  });
});
