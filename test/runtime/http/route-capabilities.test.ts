/**
 * Capabilities a dependency provides, and routes that declare what they need: an LLM reached
 * through an `http` dependency provides `ai`; while it is down, the route that requires `ai` is
 * refused with 503 + Retry-After — through the node:http server and through the Fastify plugin
 * alike — and every other route is served.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { bulwarkFastify, createRuntime, defineService, type BulwarkRuntime } from '@bulwark/runtime';
import { LogCapture } from '../logging/capture';

const assistant = defineService({
  name: 'assistant',
  dependencies: { llm: { kind: 'http', impact: 'DEGRADED', provides: ['ai'] } },
  routes: ['/notes/:id', { path: '/notes/:id/summary', requires: ['ai'] }],
});

function runtimeFor(): BulwarkRuntime {
  const runtime = createRuntime(assistant, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
  runtime.call('llm', async () => undefined);
  return runtime;
}

async function expectRefusedOnlyWhileDown(runtime: BulwarkRuntime, base: string): Promise<void> {
  expect((await fetch(`${base}/notes/1/summary`)).status).toBe(200);
  runtime.degradation.markUnhealthy('llm', 'llm unreachable');
  // DEGRADED is below the level that refuses `ai` (LIMITED): the provider being down is what refuses it.
  expect(runtime.degradation.levelName).toBe('DEGRADED');
  const refused = await fetch(`${base}/notes/1/summary`);
  expect(refused.status).toBe(503);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await refused.json()) as { reason: string }).reason).toContain('llm');
  expect((await fetch(`${base}/notes/1`)).status).toBe(200);
}

describe('declared route capabilities', () => {
  it('come from the kind by default and can be declared per dependency', () => {
    expect(assistant.dependencies.llm!.provides).toEqual(['ai']);
    expect(assistant.routeRequires).toEqual({ '/notes/:id/summary': ['ai'] });
    expect(defineService({ name: 'cache-user', dependencies: { c: { kind: 'redis', env: 'C_URL' } } }).dependencies.c!.provides).toEqual(['cache']);
  });

  it('are refused by the node:http server while their provider is down', async () => {
    const runtime = runtimeFor();
    const server = runtime.createServer((_req, res) => void res.end('ok'));
    await runtime.start();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await expectRefusedOnlyWhileDown(runtime, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await runtime.stop();
    }
  });

  it('are refused by the Fastify plugin while their provider is down', async () => {
    const runtime = runtimeFor();
    const app = Fastify({ logger: false });
    await app.register(bulwarkFastify, runtime.fastifyOptions());
    app.get('/notes/:id', async () => 'note');
    app.get('/notes/:id/summary', async () => 'summary');
    runtime.onShutdown(() => app.close());
    await runtime.start();
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await expectRefusedOnlyWhileDown(runtime, `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    } finally {
      await runtime.stop();
    }
  });
});
