// Real redis-server (harness/src/servers.ts), killed and restarted to show the breaker at work.
import { BreakerOpenError, type RedisAdapter } from '@bulwark/runtime';
import { BreakerRegistry, createMetrics, createRedisAdapter, LABEL, METRICS, type RuntimeMetrics } from '../../../runtime/src/internal';
import { startRedis, type ThrowawayServer } from '@bulwark/harness';
import { waitFor } from '@bulwark/harness';
import { captureLogger, metricSum, metricValue, type LogLine } from '../breakers/helpers';

const BREAKER = { failureThreshold: 3, resetTimeoutMs: 300, successThreshold: 1, timeoutMs: 500 };

let redis: ThrowawayServer;
let metrics: RuntimeMetrics;
let registry: BreakerRegistry;
let adapter: RedisAdapter;
let lines: LogLine[];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.destroy());

beforeEach(async () => {
  metrics = createMetrics({ nodeMetrics: false });
  const cap = captureLogger();
  lines = cap.lines;
  registry = new BreakerRegistry({ enabled: true, metrics, logger: cap.logger });
  adapter = createRedisAdapter({ name: 'cache', url: redis.url, breaker: BREAKER, breakers: registry, metrics, logger: cap.logger, maxReconnectDelayMs: 200 });
  await adapter.healthCheck();
});
afterEach(async () => {
  registry.shutdown();
  await adapter.close();
});

it('runs commands through the breaker and counts operations and latency by command', async () => {
  await adapter.set('k', 'v', 60);
  expect(await adapter.get('k')).toBe('v');
  expect(await adapter.incr('n')).toBe(1);
  expect(await adapter.run('hset', (c) => c.hset('h', 'f', '1'))).toBe(1);
  expect(await adapter.del('k', 'n', 'h')).toBe(3);
  expect(await metricValue(metrics, METRICS.redisOperationsTotal.name, { [LABEL.operation]: 'get' })).toBe(1);
  expect(await metricValue(metrics, METRICS.redisOperationsTotal.name, { [LABEL.operation]: 'hset' })).toBe(1);
  const hist = await metrics.redisOperationDurationSeconds.get();
  expect(hist.values.find((v) => v.metricName?.endsWith('_count') && v.labels.operation === 'set')?.value).toBe(1);
  await expect(adapter.run('GET user:42', (c) => c.get('x'))).rejects.toThrow(/not a valid metric label/);
});

it('a WRONGTYPE reply is the caller error: passed through, not counted against the breaker', async () => {
  await adapter.run('lpush', (c) => c.lpush('list', 'a'));
  for (let i = 0; i < 4; i++) await expect(adapter.get('list')).rejects.toThrow(/WRONGTYPE/);
  expect(adapter.breaker.state).toBe('closed');
  expect(await metricValue(metrics, METRICS.redisErrorsTotal.name, { [LABEL.operation]: 'get', [LABEL.errorType]: 'reply_error' })).toBe(4);
  await adapter.del('list');
});

it('with redis killed: calls fail within the breaker timeout, the breaker opens; after restart it closes again', async () => {
  await redis.kill();
  await waitFor(() => adapter.client.status !== 'ready', 5_000, 'client to notice the outage');
  for (let i = 0; i < BREAKER.failureThreshold; i++) {
    const started = Date.now();
    await expect(adapter.get('k')).rejects.toThrow();
    // Fail fast: no offline queue, no per-command retries (ioredis' defaults would stall here).
    expect(Date.now() - started).toBeLessThan(BREAKER.timeoutMs + 1_000);
  }
  expect(adapter.breaker.state).toBe('open');
  await expect(adapter.get('k')).rejects.toBeInstanceOf(BreakerOpenError);
  expect(await metricValue(metrics, METRICS.redisErrorsTotal.name, { [LABEL.operation]: 'get', [LABEL.errorType]: 'connection' })).toBe(BREAKER.failureThreshold);
  expect(await metricValue(metrics, METRICS.redisErrorsTotal.name, { [LABEL.operation]: 'get', [LABEL.errorType]: 'circuit_open' })).toBe(1);
  await expect(adapter.healthCheck()).rejects.toThrow(/redis cache health check failed/);

  await redis.start();
  await waitFor(() => adapter.client.status === 'ready', 10_000, 'client to reconnect');
  await waitFor(async () => (await adapter.get('k').then(() => true, () => false)) && adapter.breaker.state === 'closed', 10_000, 'breaker to close');
  await adapter.healthCheck();
  expect(lines.filter((l) => l.breaker === 'cache').map((l) => l.to)).toEqual(['open', 'half-open', 'closed']);
  expect(lines.some((l) => l.msg.startsWith('redis connection lost') && l.dependency === 'cache')).toBe(true);
  expect(await metricSum(metrics, METRICS.circuitBreakerTransitionsTotal.name, { [LABEL.name]: 'cache' })).toBe(3);
});

it('never logs the password of the redis URL', async () => {
  const secret = 'hunter2-very-secret';
  // Make redis-server demand another password so AUTH with ours fails and errors reach logs and messages.
  await adapter.run('config', (c) => c.config('SET', 'requirepass', 'the-right-one'));
  const cap = captureLogger();
  const reg = new BreakerRegistry({ enabled: true, metrics: createMetrics({ nodeMetrics: false }), logger: cap.logger });
  const url = `redis://:${secret}@127.0.0.1:${redis.port}`;
  const withPassword = createRedisAdapter({ name: 'secured', url, breaker: BREAKER, breakers: reg, metrics, logger: cap.logger });
  try {
    const err = await withPassword.healthCheck().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/redis secured health check failed/);
    expect((err as Error).message).not.toContain(secret);
    expect(cap.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(cap.lines)).not.toContain(secret);
  } finally {
    reg.shutdown();
    withPassword.client.disconnect();
    await adapter.client.config('SET', 'requirepass', '');
  }
});

it('an unbounded operation label is refused as a rejection naming it, like every other failure', async () => {
  const call = adapter.run('GET user:42', (c) => c.get('x'));
  expect(call).toBeInstanceOf(Promise);
  await expect(call).rejects.toThrow(/GET user:42/);
});

it('reports the latency of each successful command to onCallLatency (slowness detection), not of failed ones', async () => {
  const latencies: number[] = [];
  const cap = captureLogger();
  const reporting = createRedisAdapter({
    name: 'cache2',
    url: redis.url,
    breaker: BREAKER,
    breakers: registry,
    metrics,
    logger: cap.logger,
    maxReconnectDelayMs: 200,
    onCallLatency: (ms) => latencies.push(ms),
  });
  try {
    await reporting.healthCheck(); // connected: the adapter fails fast rather than queueing commands
    await reporting.set('lat', 'v', 60);
    await reporting.get('lat');
    await expect(reporting.run('hset', (c) => c.hset('lat', 'f', '1'))).rejects.toThrow(/WRONGTYPE/);
    expect(latencies).toHaveLength(2);
    for (const ms of latencies) expect(ms).toBeGreaterThan(0);
  } finally {
    await reporting.close();
  }
});
