/**
 * The runtime inside the example service, against real PostgreSQL and Redis (killed and slowed
 * for real) and the real `openai` SDK talking to a local stand-in for the OpenAI API.
 */
import { Client } from 'pg';
import { LEVEL } from '@bulwark/runtime';
import { apiKeyHeaders, waitFor } from '@bulwark/harness';
import { startStack, type Stack } from '../support/stack';

jest.setTimeout(180_000);

let stack: Stack;
let url: string;
let adminUrl: string;

async function level(): Promise<number> {
  return stack.service!.runtime.degradation.level;
}

async function metric(name: string): Promise<string> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).join('\n');
}

async function createProvider(name: string): Promise<Response> {
  return fetch(`${url}/providers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...apiKeyHeaders(stack.apiKey) },
    body: JSON.stringify({ name, category: 'logistics', city: 'Rosario' }),
  });
}

async function dbCounts(): Promise<{ providers: number; events: number; orphans: number }> {
  const c = new Client({ connectionString: stack.pg.url });
  await c.connect();
  try {
    const r = await c.query(`SELECT
      (SELECT count(*)::int FROM providers) AS providers,
      (SELECT count(*)::int FROM provider_events) AS events,
      (SELECT count(*)::int FROM providers p WHERE NOT EXISTS
         (SELECT 1 FROM provider_events e WHERE e.provider_id = p.id AND e.version = p.version)) AS orphans`);
    return r.rows[0];
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  stack = await startStack();
  const service = await stack.startService();
  url = service.url;
  adminUrl = service.adminUrl!;
});

afterAll(async () => {
  await stack?.destroy();
});

afterEach(async () => {
  // Every scenario leaves the stack healthy for the next one.
  stack.ai.setMode('ok');
  stack.pgProxy.setLatency(0);
  await waitFor(async () => (await level()) === LEVEL.OPTIMAL, 20_000, 'OPTIMAL after the scenario');
});

describe('example service on the runtime', () => {
  it('starts OPTIMAL, serves reads through the cache and writes with their event', async () => {
    expect(await level()).toBe(LEVEL.OPTIMAL);
    const created = await createProvider('Acme Freight');
    expect(created.status).toBe(201);
    const p = (await created.json()) as { id: number };
    const first = await fetch(`${url}/providers/${p.id}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    const second = await fetch(`${url}/providers/${p.id}`);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.headers.get('x-correlation-id')).toMatch(/.+/);
    expect(await metric('http_requests_total{method="GET",endpoint="/providers/:id",status="200"}')).toMatch(/ 2$/);
    expect((await dbCounts()).orphans).toBe(0);
  });

  it('Redis killed → breaker opens, DEGRADED, reads served from PostgreSQL; back → OPTIMAL', async () => {
    const p = (await (await createProvider('Cache Victim')).json()) as { id: number };
    await stack.redis.kill();
    // Reads keep succeeding while Redis is dead; the failures open the cache breaker.
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`${url}/providers/${p.id}`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { name: string }).name).toBe('Cache Victim');
    }
    await waitFor(async () => (await level()) === LEVEL.DEGRADED, 5_000, 'DEGRADED');
    const bypass = await fetch(`${url}/providers/${p.id}`);
    expect(bypass.status).toBe(200);
    expect(bypass.headers.get('x-cache')).toBe('bypass');
    expect(await metric('degradation_level')).toMatch(/degradation_level 2/);
    expect(await metric('redis_errors_total')).toMatch(/error_type="(connection|circuit_open)"/);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200); // DEGRADED still serves traffic
    await stack.redis.start();
    await waitFor(async () => (await level()) === LEVEL.OPTIMAL, 10_000, 'OPTIMAL after Redis is back');
    expect(stack.service!.runtime.breakers.get('cache')!.state).toBe('closed');
    expect(await metric('degradation_transitions_total')).toContain('from_level="DEGRADED",to_level="OPTIMAL"');
  });

  it('OpenAI answering 500 → LIMITED and summaries answer with the fallback', async () => {
    const p = (await (await createProvider('Summarised SA')).json()) as { id: number };
    const ok = (await (await fetch(`${url}/providers/${p.id}/summary`)).json()) as { source: string };
    expect(ok.source).toBe('ai');
    // Providers with no summary yet: a cached one would answer without calling OpenAI at all.
    const fresh = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => ((await (await createProvider(`Unsummarised ${i}`)).json()) as { id: number }).id));
    const completionsBefore = stack.ai.requests('/v1/chat/completions');
    stack.ai.setMode('error500');
    for (const id of fresh) {
      const r = await fetch(`${url}/providers/${id}/summary`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { source: string }).source).toBe('fallback');
    }
    await waitFor(async () => (await level()) === LEVEL.LIMITED, 5_000, 'LIMITED');
    // Down by its breaker or by its health check, whichever saw it first: the outcome is what counts.
    expect(stack.service!.runtime.degradation.status().ai?.state).toBe('down');
    // Every completion that met a 500 is counted. (On a busy machine the health check can mark OpenAI
    // down before any summary calls it; then no completion is attempted and the fallback is all there is.)
    if (stack.ai.requests('/v1/chat/completions') > completionsBefore) {
      expect(await metric('openai_errors_total')).toContain('error_type="server_error"');
    }
    // The health check proved the key with a free call; it never spent tokens on a completion.
    const fallback = (await (await fetch(`${url}/providers/${p.id}/summary`)).json()) as { source: string; summary: string };
    expect(fallback).toMatchObject({ source: 'fallback', summary: expect.stringContaining('Summarised SA') });
  });

  it('OpenAI hanging → calls time out at the breaker timeout and callers get the fallback', async () => {
    const p = (await (await createProvider('Slow Thinker')).json()) as { id: number };
    stack.ai.setMode('hang');
    const t0 = Date.now();
    const r = await fetch(`${url}/providers/${p.id}/summary`);
    const took = Date.now() - t0;
    expect(((await r.json()) as { source: string }).source).toBe('fallback');
    // Bounded by the declared per-call timeout (1.5 s in the test declaration), not by the SDK's 10 minutes.
    expect(took).toBeLessThan(5_000);
    expect(await metric('openai_errors_total')).toContain('error_type="timeout"');
  });

  it('PostgreSQL slowed → MINIMAL: reads served, writes refused with 503 + Retry-After, nothing half-written', async () => {
    const p = (await (await createProvider('Read Only Ltd')).json()) as { id: number };
    const before = await dbCounts();
    stack.pgProxy.setLatency(120);
    await waitFor(async () => (await level()) === LEVEL.MINIMAL, 10_000, 'MINIMAL');
    const read = await fetch(`${url}/providers/${p.id}`);
    expect(read.status).toBe(200);
    const write = await createProvider('Refused Inc');
    expect(write.status).toBe(503);
    expect(Number(write.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await write.json()).toMatchObject({ error: 'service_unavailable' });
    const update = await fetch(`${url}/providers/${p.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...apiKeyHeaders(stack.apiKey) },
      body: JSON.stringify({ name: 'Changed' }),
    });
    expect(update.status).toBe(503);
    stack.pgProxy.setLatency(0);
    await waitFor(async () => (await level()) === LEVEL.OPTIMAL, 10_000, 'OPTIMAL');
    const after = await dbCounts();
    expect(after).toEqual(before); // no refused write reached the database, none half-applied
  });

  it('PostgreSQL killed → EMERGENCY: ready 503, live 200, business routes 503, never 500', async () => {
    await stack.pg.kill();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${url}/providers/1`)).status);
    expect(statuses.every((s) => s === 503)).toBe(true);
    await waitFor(async () => (await level()) === LEVEL.EMERGENCY, 5_000, 'EMERGENCY');
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ level: LEVEL.EMERGENCY, level_name: 'EMERGENCY' });
    expect((await fetch(`${adminUrl}/health/live`)).status).toBe(200);
    const business = await fetch(`${url}/providers?q=a`);
    expect(business.status).toBe(503);
    expect(business.headers.get('retry-after')).toMatch(/^\d+$/);
    const report = (await (await fetch(`${adminUrl}/health`)).json()) as { dependencies: Record<string, { healthy: boolean }> };
    expect(report.dependencies.db.healthy).toBe(false);
    await stack.pg.start();
    await waitFor(async () => (await level()) === LEVEL.OPTIMAL, 15_000, 'OPTIMAL after PostgreSQL is back');
    expect((await createProvider('After The Storm')).status).toBe(201);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  });

  it('Redis and OpenAI down together → LIMITED (the worst impact), not DEGRADED', async () => {
    await stack.redis.kill();
    stack.ai.setMode('error500');
    await waitFor(async () => (await level()) === LEVEL.LIMITED, 10_000, 'LIMITED');
    await stack.redis.start();
    stack.ai.setMode('ok');
  });

  it('no log line carries a secret', () => {
    const text = JSON.stringify(stack.logs);
    expect(text).not.toContain('not-a-real-password');
    expect(text).not.toContain(stack.env.OPENAI_API_KEY);
    expect(stack.logs.some((l) => l.msg.includes('circuit breaker'))).toBe(true);
  });
});
