/**
 * What keeps anonymous clients from abusing the example service, on real PostgreSQL and Redis and
 * the local stand-in for the OpenAI API (which counts the completions it is asked for):
 *
 * - writes need the API key (x-api-key; 401 naming the header otherwise, never repeating a key;
 *   reads stay public; no key in any log line);
 * - a provider's AI summary is paid for once per version: cached in Redis, shared by concurrent
 *   requests, written afresh after an update, never a fallback; without Redis it still answers;
 * - the HTTP server's limits: a client trickling its body is cut off (408) at the request timeout,
 *   which does not bound a slow handler; bodies above the largest valid one are refused (413).
 */
import { connect } from 'node:net';
import { createRuntime, defineService, type BulwarkRuntime, type DependencyInput } from '@bulwark/runtime';
import { apiKeyHeaders, waitFor } from '@bulwark/harness';
import type { FastifyInstance } from 'fastify';
import { providersInput, providersService } from '../../lib/services/providers';
import { buildApp, LOAD_BALANCER_IDLE_TIMEOUT_MS, serverLimits, SUMMARY_MODEL, type ServerLimits } from '../../service/app';
import { API_KEY_ENV, API_KEY_HEADER, ApiKey, MIN_API_KEY_LENGTH } from '../../service/auth';
import { SUMMARY_TTL_SECONDS } from '../../service/cache';
import { migrate } from '../../service/migrations';
import { LogCapture } from '../runtime/logging/capture';
import { startStack, type Stack } from '../support/stack';

jest.setTimeout(180_000);

const COMPLETIONS = '/v1/chat/completions';
/** The AI call timeout here: long enough that a slow model answer (below) is never a timeout on a busy machine. */
const AI_TIMEOUT_MS = 8_000;

/** The providers declaration with fast health checks (every 500 ms, recover after 2) for tests. */
function declaration() {
  const deps: Record<string, DependencyInput> = {};
  for (const [name, dep] of Object.entries(providersInput.dependencies)) {
    deps[name] = {
      ...dep,
      breaker: { resetTimeoutMs: 1_000, ...(dep.kind === 'openai' ? { timeoutMs: AI_TIMEOUT_MS } : {}) },
      healthCheck: { intervalMs: 500, timeoutMs: 500, healthyThreshold: 2 },
      ...(dep.kind === 'postgres' ? { slowThresholdMs: 200 } : {}),
    };
  }
  return defineService({ ...providersInput, dependencies: deps, startup: { timeoutMs: 5_000, checkTimeoutMs: 2_000 } });
}

interface App {
  readonly runtime: BulwarkRuntime;
  readonly app: FastifyInstance;
  readonly url: string;
  readonly port: number;
  readonly logs: LogCapture;
}

let stack: Stack;
const apps: App[] = [];

/** The service's app on its own runtime (as service/server.ts builds it), with `env` over the stack's and optional limits. */
async function startApp(options: { env?: Record<string, string>; limits?: Partial<ServerLimits> } = {}): Promise<App> {
  const env = { ...stack.env, ...options.env };
  const logs = new LogCapture();
  const runtime = createRuntime(declaration(), {
    env,
    logDestination: logs,
    nodeMetrics: false,
    admin: false,
    exit: (code) => {
      throw new Error(`the service asked to exit with code ${code}:\n${logs.text.slice(-2_000)}`);
    },
  });
  const app = buildApp(runtime, { env, limits: options.limits });
  await runtime.start();
  await migrate(runtime.postgres('db'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const started = { runtime, app, port, url: `http://127.0.0.1:${port}`, logs };
  apps.push(started);
  return started;
}

function write(url: string, method: 'POST' | 'PUT', path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function createProvider(url: string, name: string): Promise<{ id: number; version: number }> {
  const res = await write(url, 'POST', '/providers', { name, category: 'logistics', city: 'Rosario', description: 'Freight by road.' }, apiKeyHeaders(stack.apiKey));
  expect(res.status).toBe(201);
  return (await res.json()) as { id: number; version: number };
}

async function summary(url: string, id: number): Promise<{ status: number; cache: string | null; body: { summary: string; source: string } }> {
  const res = await fetch(`${url}/providers/${id}/summary`);
  return { status: res.status, cache: res.headers.get('x-cache'), body: (await res.json()) as { summary: string; source: string } };
}

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  for (const a of apps) await a.runtime.stop().catch(() => undefined);
  await stack?.destroy();
});

describe('writes need the API key; reads stay public', () => {
  let svc: App;
  beforeAll(async () => {
    svc = await startApp();
  });

  it('compares keys in constant time on digests: any length is just "no match"; a short or missing key is no key', () => {
    const key = new ApiKey(stack.apiKey);
    expect(key.problem).toBeUndefined();
    expect([key.matches(stack.apiKey), key.matches(`${stack.apiKey}x`), key.matches('x'), key.matches(''), key.matches(undefined)]).toEqual([true, false, false, false, false]);
    expect(new ApiKey('a'.repeat(MIN_API_KEY_LENGTH - 1)).problem).toBe(`${API_KEY_ENV} is shorter than ${MIN_API_KEY_LENGTH} characters`);
    expect(new ApiKey('   ').problem).toBe(`${API_KEY_ENV} is not set`);
    expect(new ApiKey(undefined).matches(undefined)).toBe(false);
  });

  /** The last character changed: same length, wrong key. */
  const flipLast = (k: string) => k.replace(/.$/, (c) => (c === '0' ? '1' : '0'));

  it.each<[string, (key: string) => Record<string, string>]>([
    ['no key', () => ({})],
    ['a wrong key of the same length', (key) => ({ [API_KEY_HEADER]: flipLast(key) })],
    ['the key with more after it', (key) => ({ [API_KEY_HEADER]: `${key}0` })],
    ['the key as a bearer token instead', (key) => ({ authorization: `Bearer ${key}` })],
  ])('401 for %s: names the header, repeats no key, writes nothing', async (_case, headersFor) => {
    const sent = headersFor(stack.apiKey);
    const count = async () => ((await (await fetch(`${svc.url}/providers?q=anonymous&limit=100`)).json()) as { providers: unknown[] }).providers.length;
    const before = await count();
    for (const [method, path] of [['POST', '/providers'], ['PUT', '/providers/1']] as const) {
      const res = await write(svc.url, method, path, { name: 'anonymous write' }, sent);
      const text = await res.text();
      expect({ method, status: res.status }).toEqual({ method, status: 401 });
      expect(res.headers.get('www-authenticate')).toBe(`ApiKey header="${API_KEY_HEADER}"`);
      const body = JSON.parse(text) as { error: string; message: string };
      expect(body.error).toBe(sent[API_KEY_HEADER] === undefined ? 'missing_api_key' : 'invalid_api_key');
      expect(body.message).toContain(API_KEY_HEADER);
      expect(text).not.toContain(stack.apiKey.slice(0, 16));
    }
    expect(await count()).toBe(before);
  });

  it('the key is checked before the body: an anonymous invalid body is 401, not a validation error', async () => {
    const res = await write(svc.url, 'POST', '/providers', { nope: true });
    expect(res.status).toBe(401);
  });

  it('with the key: 201 on create, 200 on update; reads need nothing', async () => {
    const created = await createProvider(svc.url, 'Keyed Freight');
    const updated = await write(svc.url, 'PUT', `/providers/${created.id}`, { city: 'Salta' }, apiKeyHeaders(stack.apiKey));
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ id: created.id, city: 'Salta', version: created.version + 1 });
    const read = await fetch(`${svc.url}/providers/${created.id}`);
    expect(read.status).toBe(200);
    expect((await fetch(`${svc.url}/providers?q=keyed`)).status).toBe(200);
  });

  it('no key, right or wrong, reaches a log line (the access log has every request above)', async () => {
    await svc.runtime.stop();
    const lines = svc.logs.entries;
    expect(lines.filter((l) => l.status === 401).length).toBeGreaterThanOrEqual(8);
    expect(lines.filter((l) => l.status === 201).length).toBeGreaterThanOrEqual(1);
    expect(svc.logs.text).not.toContain(stack.apiKey);
    expect(svc.logs.text).not.toContain(stack.apiKey.slice(0, 16));
  });

  it.each([
    ['unset', ''],
    ['too short', 'short-key'],
  ])('a key that is %s refuses every write (fail closed) and says so once the service is up', async (_case, value) => {
    const svc2 = await startApp({ env: { [API_KEY_ENV]: value, ENABLE_STARTUP_VALIDATION: 'false' } });
    for (const key of [value, stack.apiKey, '']) expect((await write(svc2.url, 'POST', '/providers', { name: 'no key configured' }, { [API_KEY_HEADER]: key })).status).toBe(401);
    expect((await fetch(`${svc2.url}/providers?q=a`)).status).toBe(200);
    const error = svc2.logs.entries.find((l) => l.level === 'error' && String(l.msg).startsWith(API_KEY_ENV));
    expect(error?.msg).toMatch(new RegExp(`^${API_KEY_ENV} is (not set|shorter than ${MIN_API_KEY_LENGTH} characters): every POST and PUT /providers is refused with 401`));
    await svc2.runtime.stop();
    if (value) expect(svc2.logs.text).not.toContain(value);
  });
});

describe('summaries cached in Redis: one OpenAI call per provider version', () => {
  let svc: App;
  beforeAll(async () => {
    svc = await startApp();
  });
  afterEach(async () => {
    stack.ai.setMode('ok');
    stack.redisProxy.setDown(false);
    await waitFor(() => svc.runtime.guard('cache').allowed && svc.runtime.guard('ai').allowed, 30_000, 'cache and AI available again');
  });

  it('two requests → one call; the second is a cache hit with the same summary, kept for the TTL', async () => {
    const p = await createProvider(svc.url, 'Cached Summary Co');
    const calls = stack.ai.requests(COMPLETIONS);
    const first = await summary(svc.url, p.id);
    const second = await summary(svc.url, p.id);
    expect([first.status, first.body.source, first.cache]).toEqual([200, 'ai', 'miss']);
    expect([second.status, second.body.source, second.cache]).toEqual([200, 'ai', 'hit']);
    expect(second.body.summary).toBe(first.body.summary);
    expect(stack.ai.requests(COMPLETIONS) - calls).toBe(1);
    const ttl = await svc.runtime.redis('cache').client.ttl(`summary:${SUMMARY_MODEL}:${p.id}:v${p.version}`);
    expect(ttl).toBeGreaterThan(SUMMARY_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(SUMMARY_TTL_SECONDS);
  });

  it('concurrent requests for an uncached summary share one call', async () => {
    const p = await createProvider(svc.url, 'Popular Provider');
    stack.ai.setCompletionLatency({ min: 300, max: 300 });
    try {
      const calls = stack.ai.requests(COMPLETIONS);
      const answers = await Promise.all(Array.from({ length: 6 }, () => summary(svc.url, p.id)));
      expect(answers.map((a) => [a.status, a.body.source])).toEqual(answers.map(() => [200, 'ai']));
      expect(new Set(answers.map((a) => a.body.summary)).size).toBe(1);
      expect(stack.ai.requests(COMPLETIONS) - calls).toBe(1);
    } finally {
      stack.ai.setCompletionLatency(undefined);
    }
  });

  it('an update makes a new version: its summary is written afresh (one more call), then cached', async () => {
    const p = await createProvider(svc.url, 'Changing Provider');
    const before = await summary(svc.url, p.id);
    const calls = stack.ai.requests(COMPLETIONS);
    const res = await write(svc.url, 'PUT', `/providers/${p.id}`, { description: 'Now also by rail.' }, apiKeyHeaders(stack.apiKey));
    expect(res.status).toBe(200);
    const after = await summary(svc.url, p.id);
    expect([after.body.source, after.cache]).toEqual(['ai', 'miss']);
    expect(after.body.summary).toContain('Now also by rail.'); // the stand-in echoes the record it was given
    expect(after.body.summary).not.toBe(before.body.summary);
    expect((await summary(svc.url, p.id)).cache).toBe('hit');
    expect(stack.ai.requests(COMPLETIONS) - calls).toBe(1);
  });

  it('a fallback is not cached: once OpenAI answers again, the summary is the model\u2019s', async () => {
    const p = await createProvider(svc.url, 'Unlucky Provider');
    stack.ai.setMode('error500');
    const failed = await summary(svc.url, p.id);
    expect([failed.status, failed.body.source]).toEqual([200, 'fallback']);
    expect(await svc.runtime.redis('cache').client.exists(`summary:${SUMMARY_MODEL}:${p.id}:v${p.version}`)).toBe(0);
    stack.ai.setMode('ok');
    await waitFor(() => svc.runtime.guard('ai').allowed, 30_000, 'AI available again');
    const calls = stack.ai.requests(COMPLETIONS);
    const ok = await summary(svc.url, p.id);
    expect([ok.body.source, ok.cache]).toEqual(['ai', 'miss']);
    expect(stack.ai.requests(COMPLETIONS) - calls).toBe(1);
  });

  it('while AI is unavailable (LIMITED) every summary is the fallback, cached or not', async () => {
    const p = await createProvider(svc.url, 'Cached Then Limited');
    expect((await summary(svc.url, p.id)).body.source).toBe('ai');
    stack.ai.setMode('error500');
    await waitFor(() => !svc.runtime.guard('ai').allowed, 30_000, 'AI refused');
    const limited = await summary(svc.url, p.id);
    expect([limited.status, limited.body.source, limited.cache]).toEqual([200, 'fallback', 'bypass']);
  });

  it('Redis down: the cache is bypassed, summaries still answer (each one a call)', async () => {
    const p = await createProvider(svc.url, 'No Cache Provider');
    expect((await summary(svc.url, p.id)).cache).toBe('miss');
    stack.redisProxy.setDown(true);
    const calls = stack.ai.requests(COMPLETIONS);
    const answers = [await summary(svc.url, p.id), await summary(svc.url, p.id)];
    expect(answers.map((a) => [a.status, a.body.source, a.cache])).toEqual([
      [200, 'ai', 'bypass'],
      [200, 'ai', 'bypass'],
    ]);
    expect(stack.ai.requests(COMPLETIONS) - calls).toBe(2);
  });
});

describe('HTTP server limits', () => {
  it('by default: a request timeout, a socket timeout past the slowest handler, keep-alive past the load balancer, a small body limit', () => {
    const limits = serverLimits(providersService);
    const ai = providersService.dependencies.ai!.breaker.timeoutMs;
    expect(limits.connectionTimeoutMs).toBeGreaterThan(ai + providersService.dependencies.db!.breaker.timeoutMs);
    expect(limits.keepAliveTimeoutMs).toBeGreaterThan(LOAD_BALANCER_IDLE_TIMEOUT_MS);
    expect(limits.requestTimeoutMs).toBeGreaterThan(0);
    expect(limits.headersTimeoutMs).toBeLessThanOrEqual(limits.requestTimeoutMs);
    expect(limits.bodyLimitBytes).toBeLessThan(32 * 1024);
  });

  it('refuses limits that cannot work, naming the field', () => {
    const runtime = createRuntime(declaration(), { env: stack.env, logDestination: new LogCapture(), nodeMetrics: false, admin: false, exit: () => undefined });
    expect(() => buildApp(runtime, { env: stack.env, limits: { requestTimeoutMs: 0 } })).toThrow('limits.requestTimeoutMs is 0; use a whole number above 0');
    expect(() => buildApp(runtime, { env: stack.env, limits: { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 } })).toThrow(/limits\.headersTimeoutMs \(20000\) is above limits\.requestTimeoutMs \(10000\)/);
  });

  describe('with a short request timeout', () => {
    const limits = { requestTimeoutMs: 600, headersTimeoutMs: 400 };
    let svc: App;
    beforeAll(async () => {
      svc = await startApp({ limits });
    });

    it('applies the limits to the server', () => {
      const d = serverLimits(svc.runtime.declaration);
      const s = svc.app.server;
      expect([s.requestTimeout, s.headersTimeout, s.timeout, s.keepAliveTimeout]).toEqual([600, 400, d.connectionTimeoutMs, d.keepAliveTimeoutMs]);
    });

    it('cuts off a client that sends its headers, then trickles its body: 408 and the socket closed', async () => {
      const socket = connect(svc.port, '127.0.0.1');
      let received = '';
      socket.setEncoding('latin1').on('data', (d: string) => (received += d));
      socket.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const started = Date.now();
      socket.write(`POST /providers HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${API_KEY_HEADER}: ${stack.apiKey}\r\ncontent-length: 4000\r\n\r\n{"name":"`);
      // One byte every 100 ms: always some activity, never a whole body.
      const trickle = setInterval(() => socket.writable && socket.write('a'), 100);
      try {
        let bound: NodeJS.Timeout | undefined;
        const at = await Promise.race([
          closed,
          new Promise<never>((_r, reject) => (bound = setTimeout(() => reject(new Error(`still open after 20 s; received ${JSON.stringify(received)}`)), 20_000))),
        ]).finally(() => clearTimeout(bound));
        expect(received).toMatch(/^HTTP\/1\.1 408 /);
        expect(at - started).toBeGreaterThanOrEqual(limits.requestTimeoutMs - 50);
      } finally {
        clearInterval(trickle);
        socket.destroy();
      }
    });

    it('does not bound the handler: a summary slower than the request timeout still answers', async () => {
      const p = await createProvider(svc.url, 'Slow Model Provider');
      stack.ai.setCompletionLatency({ min: 1_500, max: 1_600 });
      try {
        const t0 = Date.now();
        const slow = await summary(svc.url, p.id);
        expect([slow.status, slow.body.source]).toEqual([200, 'ai']);
        expect(Date.now() - t0).toBeGreaterThan(limits.requestTimeoutMs);
      } finally {
        stack.ai.setCompletionLatency(undefined);
      }
    });

    it('accepts the largest valid body, refuses one above the limit with 413', async () => {
      const longest = { name: '€'.repeat(200), category: '€'.repeat(60), city: '€'.repeat(100), description: '€'.repeat(2000) };
      // Every character escaped, as some clients send them: the largest form of a valid body.
      const escaped = JSON.stringify(longest).replace(/€/g, '\\u20ac');
      const ok = await fetch(`${svc.url}/providers`, { method: 'POST', headers: { 'content-type': 'application/json', ...apiKeyHeaders(stack.apiKey) }, body: escaped });
      expect(ok.status).toBe(201);
      const tooBig = JSON.stringify({ name: 'big', description: 'x'.repeat(serverLimits(svc.runtime.declaration).bodyLimitBytes) });
      const refused = await fetch(`${svc.url}/providers`, { method: 'POST', headers: { 'content-type': 'application/json', ...apiKeyHeaders(stack.apiKey) }, body: tooBig });
      expect(refused.status).toBe(413);
    });
  });
});
