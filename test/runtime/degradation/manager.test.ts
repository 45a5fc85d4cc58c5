import { defineService, LEVEL, type DependencyInput, type LevelTransition } from '@bulwark/runtime';
import { createMetrics, DegradationManager, LABEL, METRICS, SecretRedactor, SLOW_CALLS_TO_DEGRADE, type RuntimeMetrics } from '../../../runtime/src/internal';
import { captureLogs, PINO_LEVEL } from './log-capture';

type Mode = 'ok' | 'fail' | 'slow' | 'hang';

/**
 * Deterministic checks: each dependency answers according to its current mode. "slow"
 * advances the injected clock past the slow threshold instead of sleeping.
 */
function harness(opts: { enabled?: boolean; deps?: Record<string, DependencyInput> } = {}) {
  const declaration = defineService({
    name: 'providers',
    dependencies: opts.deps ?? {
      db: { kind: 'postgres', env: 'DB_URL', critical: true, slowThresholdMs: 500 },
      cache: { kind: 'redis', env: 'CACHE_URL', healthCheck: { intervalMs: 3_000, healthyThreshold: 3 } },
      ai: { kind: 'openai', env: 'AI_API_KEY' },
    },
  });
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const metrics = createMetrics({ nodeMetrics: false });
  const logs = captureLogs();
  const manager = new DegradationManager({
    declaration,
    metrics,
    logger: logs.logger,
    enabled: opts.enabled,
    now: () => clock,
    redactor: new SecretRedactor(['s3cr3t-pass']),
  });
  const modes: Record<string, Mode> = {};
  const calls: Record<string, number> = {};
  for (const name of Object.keys(declaration.dependencies)) {
    modes[name] = 'ok';
    calls[name] = 0;
    manager.register(name, async () => {
      calls[name]++;
      const mode = modes[name];
      if (mode === 'fail') throw new Error(`connect ECONNREFUSED for ${name}`);
      if (mode === 'slow') clock += 800;
      else clock += 5;
      if (mode === 'hang') await new Promise<never>(() => undefined);
    });
  }
  const set = (m: Record<string, Mode>) => Object.assign(modes, m);
  return { manager, metrics, logs, modes, calls, set, declaration };
}

async function metricValue(metrics: RuntimeMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} not registered`);
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return hit?.value;
}

async function transitions(metrics: RuntimeMetrics): Promise<Array<{ from: string; to: string; value: number }>> {
  const { values } = await metrics.degradationTransitionsTotal.get();
  return values.map((v) => ({ from: String(v.labels[LABEL.fromLevel]), to: String(v.labels[LABEL.toLevel]), value: v.value }));
}

describe('DegradationManager levels', () => {
  it('starts OPTIMAL with every dependency healthy', async () => {
    const { manager, metrics } = harness();
    await manager.checkNow();
    expect(manager.levelName).toBe('OPTIMAL');
    expect(manager.level).toBe(LEVEL.OPTIMAL);
    expect(await metricValue(metrics, METRICS.degradationLevel.name)).toBe(1);
    for (const dep of ['db', 'cache', 'ai']) {
      expect(await metricValue(metrics, METRICS.dependencyUp.name, { [LABEL.dependency]: dep })).toBe(1);
    }
  });

  it.each([
    ['cache', 'DEGRADED'],
    ['ai', 'LIMITED'],
    ['db', 'EMERGENCY'],
  ] as const)('%s down alone → %s', async (dep, level) => {
    const { manager, metrics, set } = harness();
    set({ [dep]: 'fail' });
    await manager.checkNow();
    expect(manager.levelName).toBe(level);
    expect(await metricValue(metrics, METRICS.degradationLevel.name)).toBe(LEVEL[level]);
    expect(await metricValue(metrics, METRICS.dependencyUp.name, { [LABEL.dependency]: dep })).toBe(0);
    expect(manager.status()[dep]).toMatchObject({ healthy: false, consecutiveFailures: 1 });
  });

  it('Redis AND OpenAI down is LIMITED, not DEGRADED (the seed got this wrong)', async () => {
    const { manager, set } = harness();
    set({ cache: 'fail', ai: 'fail' });
    await manager.checkNow();
    expect(manager.levelName).toBe('LIMITED');
  });

  it('a slow database is MINIMAL', async () => {
    const { manager, set } = harness();
    set({ db: 'slow' });
    await manager.checkNow('db');
    expect(manager.levelName).toBe('MINIMAL');
    expect(manager.status().db).toMatchObject({ healthy: true, slow: true, lastCheckMs: 800 });
    expect(manager.status().db.lastError).toBe("slow: the health check answered in 800 ms against the 500 ms threshold (after taking out 0 ms of this service's own stalls)");
  });

  it('the worst impact wins, whatever the order of failures', async () => {
    const { manager, set } = harness();
    set({ cache: 'fail', ai: 'fail', db: 'slow' });
    await manager.checkNow();
    expect(manager.levelName).toBe('MINIMAL');
    set({ db: 'fail' });
    await manager.checkNow('db');
    expect(manager.levelName).toBe('EMERGENCY');
    set({ db: 'ok', cache: 'ok' });
    await manager.checkNow();
    await manager.checkNow();
    expect(manager.levelName).toBe('LIMITED'); // ai is still down
  });

  it('a check that does not answer within healthCheck.timeoutMs is a failure', async () => {
    const { manager, set } = harness({
      deps: { db: { kind: 'postgres', env: 'DB_URL', slowThresholdMs: 5, healthCheck: { intervalMs: 1_000, timeoutMs: 30 } } },
    });
    set({ db: 'hang' });
    await manager.checkNow();
    expect(manager.levelName).toBe('EMERGENCY');
    expect(manager.status().db.lastError).toBe('did not answer within 30 ms');
  });
});

describe('DegradationManager recovery', () => {
  it('recovers only after healthyThreshold consecutive healthy checks', async () => {
    const { manager, set, calls } = harness();
    set({ cache: 'fail' }); // cache: healthyThreshold 3
    await manager.checkNow('cache');
    expect(manager.levelName).toBe('DEGRADED');
    set({ cache: 'ok' });
    await manager.checkNow('cache');
    await manager.checkNow('cache');
    expect(manager.levelName).toBe('DEGRADED');
    expect(manager.status().cache).toMatchObject({ healthy: false, consecutiveHealthy: 2 });
    set({ cache: 'fail' });
    await manager.checkNow('cache'); // breaks the streak
    set({ cache: 'ok' });
    await manager.checkNow('cache');
    await manager.checkNow('cache');
    expect(manager.levelName).toBe('DEGRADED');
    await manager.checkNow('cache');
    expect(manager.levelName).toBe('OPTIMAL');
    expect(manager.status().cache).toMatchObject({ healthy: true, slow: false, consecutiveHealthy: 3, consecutiveFailures: 0 });
    expect(manager.status().cache.lastError).toBeUndefined();
    expect(calls.cache).toBe(7);
  });

  it('a flapping dependency does not oscillate the level', async () => {
    const { manager, metrics, set, logs } = harness();
    const seen: string[] = [];
    const sequence: Array<'ok' | 'fail'> = ['fail', 'ok', 'fail', 'ok', 'fail', 'ok', 'fail', 'ok'];
    for (const mode of sequence) {
      set({ db: mode });
      await manager.checkNow('db');
      seen.push(manager.levelName);
    }
    expect(seen).toEqual(Array(sequence.length).fill('EMERGENCY'));
    expect(await transitions(metrics)).toEqual([{ from: 'OPTIMAL', to: 'EMERGENCY', value: 1 }]);
    expect(logs.lines.filter((l) => /^degradation level/.test(l.msg))).toHaveLength(1);
  });

  it('with unhealthyThreshold 2, isolated failures of a healthy dependency do not degrade it', async () => {
    const { manager, set } = harness({ deps: { cache: { kind: 'redis', env: 'CACHE_URL', healthCheck: { unhealthyThreshold: 2 } } } });
    for (const mode of ['fail', 'ok', 'fail', 'ok', 'fail'] as const) {
      set({ cache: mode });
      await manager.checkNow();
      expect(manager.levelName).toBe('OPTIMAL');
    }
    await manager.checkNow(); // second failure in a row
    expect(manager.levelName).toBe('DEGRADED');
  });

  it('a slow database needs healthyThreshold fast checks to leave MINIMAL', async () => {
    const { manager, set } = harness();
    set({ db: 'slow' });
    await manager.checkNow('db');
    set({ db: 'ok' });
    await manager.checkNow('db');
    expect(manager.levelName).toBe('MINIMAL');
    set({ db: 'slow' });
    await manager.checkNow('db');
    set({ db: 'ok' });
    await manager.checkNow('db');
    expect(manager.levelName).toBe('MINIMAL');
    await manager.checkNow('db');
    expect(manager.levelName).toBe('OPTIMAL');
  });

  it('a database that comes back slow goes from EMERGENCY to MINIMAL, not to OPTIMAL', async () => {
    const { manager, set } = harness();
    set({ db: 'fail' });
    await manager.checkNow('db');
    set({ db: 'slow' });
    await manager.checkNow('db');
    expect(manager.levelName).toBe('EMERGENCY');
    await manager.checkNow('db');
    expect(manager.levelName).toBe('MINIMAL');
    expect(manager.status().db).toMatchObject({ healthy: true, slow: true });
  });

  it('markUnhealthy degrades at once, and only checks bring it back', async () => {
    const { manager, metrics, set, calls } = harness();
    const recovered: string[] = [];
    manager.onRecovered((dep) => recovered.push(dep));
    manager.markUnhealthy('db', 'breaker db opened: connect to postgres://app:s3cr3t-pass@db:5432/app failed');
    expect(manager.levelName).toBe('EMERGENCY');
    expect(calls.db).toBe(0);
    expect(await metricValue(metrics, METRICS.dependencyUp.name, { [LABEL.dependency]: 'db' })).toBe(0);
    expect(manager.status().db.lastError).not.toContain('s3cr3t-pass');
    expect(manager.status().db.lastError).toContain('breaker db opened');
    set({ db: 'ok' });
    await manager.checkNow('db');
    expect(manager.levelName).toBe('EMERGENCY');
    expect(recovered).toEqual([]);
    await manager.checkNow('db');
    expect(manager.levelName).toBe('OPTIMAL');
    expect(recovered).toEqual(['db']);
  });

  it('rejects unknown dependencies and double registration with a clear error', async () => {
    const { manager } = harness();
    expect(() => manager.markUnhealthy('dbb', 'x')).toThrow(/"dbb" is not declared in service "providers"; declared: db, cache, ai/);
    expect(() => manager.register('db', async () => undefined)).toThrow(/already has a health check/);
    await expect(manager.checkNow('nope')).rejects.toThrow(/"nope" is not declared/);
  });
});

describe('DegradationManager transitions', () => {
  it('counts every transition with the real from and to levels and sets the gauge', async () => {
    const { manager, metrics, set } = harness();
    set({ db: 'fail' });
    await manager.checkNow();
    expect(await metricValue(metrics, METRICS.degradationLevel.name)).toBe(5);
    set({ db: 'ok' });
    await manager.checkNow();
    await manager.checkNow();
    expect(await metricValue(metrics, METRICS.degradationLevel.name)).toBe(1);
    set({ cache: 'fail' });
    await manager.checkNow();
    const all = await transitions(metrics);
    expect(all).toEqual(
      expect.arrayContaining([
        { from: 'OPTIMAL', to: 'EMERGENCY', value: 1 },
        { from: 'EMERGENCY', to: 'OPTIMAL', value: 1 },
        { from: 'OPTIMAL', to: 'DEGRADED', value: 1 },
      ]),
    );
    expect(all).toHaveLength(3);
    expect(all.every((t) => t.from !== t.to)).toBe(true);
  });

  it('logs one line per transition: warn when worse, info when better, with no secret', async () => {
    const { manager, set, logs } = harness();
    set({ db: 'fail' });
    await manager.checkNow();
    set({ db: 'ok' });
    await manager.checkNow();
    await manager.checkNow();
    const levelLines = logs.lines.filter((l) => /^degradation level/.test(l.msg));
    expect(levelLines.map((l) => [l.level, l.from, l.to])).toEqual([
      [PINO_LEVEL.warn, 'OPTIMAL', 'EMERGENCY'],
      [PINO_LEVEL.info, 'EMERGENCY', 'OPTIMAL'],
    ]);
    expect(levelLines[0].msg).toContain('db (postgres) down → EMERGENCY');
    expect(levelLines[1].reason).toBe('all dependencies healthy');
  });

  it('runs transition handlers; a throwing or rejecting handler is logged and contained', async () => {
    const { manager, set, logs } = harness();
    const seen: LevelTransition[] = [];
    let asyncDone = false;
    manager.onTransition(() => {
      throw new Error('handler exploded with sk-abcdefghijklmnop');
    });
    manager.onTransition(async () => {
      await Promise.resolve();
      throw new Error('async handler exploded');
    });
    manager.onTransition(async (t) => {
      await new Promise((r) => setImmediate(r));
      seen.push(t);
      asyncDone = true;
    });
    set({ ai: 'fail' });
    await expect(manager.checkNow()).resolves.toBeUndefined();
    expect(asyncDone).toBe(true); // checkNow waits for async handlers
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ from: 'OPTIMAL', to: 'LIMITED' });
    expect(seen[0].reason).toContain('ai (openai) down');
    expect(seen[0].at.toISOString()).toBe('2025-01-01T00:00:00.010Z');
    const failures = logs.lines.filter((l) => l.msg === 'degradation transition handler failed');
    expect(failures.map((l) => l.err)).toEqual(['handler exploded with [REDACTED]', 'async handler exploded']);
    expect(manager.levelName).toBe('LIMITED');
  });

  it('unsubscribed handlers no longer run', async () => {
    const { manager, set } = harness();
    const calls: string[] = [];
    const off = manager.onTransition((t) => void calls.push(t.to));
    set({ cache: 'fail' });
    await manager.checkNow();
    off();
    set({ db: 'fail' });
    await manager.checkNow();
    expect(calls).toEqual(['DEGRADED']);
  });
});

describe('DegradationManager capabilities', () => {
  it('allows everything at OPTIMAL', async () => {
    const { manager } = harness();
    await manager.checkNow();
    for (const c of ['business', 'writes', 'ai', 'cache'] as const) {
      expect(manager.allows(c)).toBe(true);
      expect(manager.guard(c)).toEqual({ allowed: true });
    }
  });

  it('cache down: cache refused with the cache check cadence as Retry-After, the rest allowed', async () => {
    const { manager, set } = harness();
    set({ cache: 'fail' });
    await manager.checkNow();
    expect(manager.guard('cache')).toEqual({
      allowed: false,
      status: 503,
      retryAfterSeconds: 9, // 3000 ms × healthyThreshold 3
      reason: 'cache unavailable at level DEGRADED: cache (redis) down',
    });
    expect(manager.allows('ai')).toBe(true);
    expect(manager.allows('writes')).toBe(true);
    expect(manager.allows('business')).toBe(true);
  });

  it('AI refused whenever an openai dependency is down, even when the level is driven by something else', async () => {
    const { manager, set } = harness({
      deps: { db: { kind: 'postgres', env: 'DB_URL' }, ai: { kind: 'openai', env: 'AI_API_KEY', impact: 'DEGRADED' } },
    });
    set({ ai: 'fail' });
    await manager.checkNow();
    expect(manager.levelName).toBe('DEGRADED');
    const g = manager.guard('ai');
    expect(g).toMatchObject({ allowed: false, status: 503, retryAfterSeconds: 10 });
    expect(manager.allows('cache')).toBe(false); // from DEGRADED on
    expect(manager.allows('writes')).toBe(true);
  });

  it('MINIMAL: writes refused (503 + Retry-After), reads allowed', async () => {
    const { manager, set } = harness();
    set({ db: 'slow' });
    await manager.checkNow();
    expect(manager.guard('writes')).toEqual({
      allowed: false,
      status: 503,
      retryAfterSeconds: 10, // default 5000 ms × 2
      reason: 'writes unavailable at level MINIMAL: db (postgres) slow',
    });
    expect(manager.allows('business')).toBe(true);
    expect(manager.allows('ai')).toBe(false);
  });

  it('EMERGENCY: business routes refused', async () => {
    const { manager, set } = harness();
    set({ db: 'fail' });
    await manager.checkNow();
    expect(manager.guard('business')).toMatchObject({ allowed: false, status: 503, retryAfterSeconds: 10 });
    expect(manager.allows('writes')).toBe(false);
  });

  it('Retry-After is at least one second', async () => {
    const { manager, set } = harness({
      deps: { db: { kind: 'postgres', env: 'DB_URL', slowThresholdMs: 50, healthCheck: { intervalMs: 100, timeoutMs: 100, healthyThreshold: 1 } } },
    });
    set({ db: 'fail' });
    await manager.checkNow();
    expect(manager.guard('business')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it('rejects an unknown capability', () => {
    const { manager } = harness();
    expect(() => manager.allows('delete' as 'writes')).toThrow(/unknown capability "delete"; expected one of business, writes, ai, cache/);
  });
});

describe('DegradationManager switched off (ENABLE_GRACEFUL_DEGRADATION=false)', () => {
  it('stays OPTIMAL and allows everything, but still reports dependency_up', async () => {
    const { manager, metrics, set } = harness({ enabled: false });
    set({ db: 'fail', cache: 'fail' });
    await manager.checkNow();
    manager.markUnhealthy('ai', 'breaker opened');
    expect(manager.levelName).toBe('OPTIMAL');
    for (const c of ['business', 'writes', 'ai', 'cache'] as const) expect(manager.guard(c)).toEqual({ allowed: true });
    expect(await metricValue(metrics, METRICS.dependencyUp.name, { [LABEL.dependency]: 'db' })).toBe(0);
    expect(await metricValue(metrics, METRICS.dependencyUp.name, { [LABEL.dependency]: 'cache' })).toBe(0);
    expect(await metricValue(metrics, METRICS.degradationLevel.name)).toBe(1);
    expect(await transitions(metrics)).toEqual([]);
    expect(manager.status().db.healthy).toBe(false);
  });
});

describe('DegradationManager periodic checks', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('checks each dependency every intervalMs, never overlapping, and stop() clears every timer', async () => {
    const { manager, calls, set } = harness();
    manager.start();
    // One timer per dependency, the clock of the service's own stalls and the hang watch.
    expect(jest.getTimerCount()).toBe(5);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(calls).toEqual({ db: 0, cache: 1, ai: 0 });
    await jest.advanceTimersByTimeAsync(2_000);
    expect(calls).toEqual({ db: 1, cache: 1, ai: 1 });

    // A check still running when another is asked for is joined, not duplicated.
    set({ db: 'hang' });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(calls.db).toBe(2);
    const joined = manager.checkNow('db');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls.db).toBe(2);
    await jest.advanceTimersByTimeAsync(1_000); // the 2 s check timeout fires
    await joined;
    expect(manager.levelName).toBe('EMERGENCY');

    await manager.stop();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(calls.db).toBe(2);
  });

  it('a dependency registered after start() is scheduled too', async () => {
    const declaration = defineService({ name: 'late', dependencies: { cache: { kind: 'redis', env: 'CACHE_URL' } } });
    const manager = new DegradationManager({ declaration, metrics: createMetrics({ nodeMetrics: false }), logger: captureLogs().logger });
    manager.start();
    expect(jest.getTimerCount()).toBe(2); // the stall clock and the hang watch only
    let n = 0;
    manager.register('cache', async () => void n++);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(n).toBe(1);
    await manager.stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('DegradationManager slowness from real calls', () => {
  it(`marks the database slow (MINIMAL) after ${SLOW_CALLS_TO_DEGRADE} slow calls in a row, and only then`, async () => {
    const { manager } = harness();
    await manager.checkNow();
    for (let i = 0; i < SLOW_CALLS_TO_DEGRADE - 1; i++) manager.observeLatency('db', 900);
    manager.observeLatency('db', 20); // one fast call resets the streak
    for (let i = 0; i < SLOW_CALLS_TO_DEGRADE - 1; i++) manager.observeLatency('db', 900);
    expect(manager.levelName).toBe('OPTIMAL');
    manager.observeLatency('db', 900);
    expect(manager.levelName).toBe('MINIMAL');
    expect(manager.status().db).toMatchObject({ healthy: true, slow: true });
  });

  it('recovers through health checks, after healthyThreshold fast checks', async () => {
    const { manager } = harness();
    for (let i = 0; i < SLOW_CALLS_TO_DEGRADE; i++) manager.observeLatency('db', 900);
    expect(manager.levelName).toBe('MINIMAL');
    await manager.checkNow('db');
    expect(manager.levelName).toBe('MINIMAL');
    await manager.checkNow('db');
    expect(manager.levelName).toBe('OPTIMAL');
  });

  it('ignores latency of dependencies without a slow threshold', async () => {
    const { manager } = harness();
    for (let i = 0; i < SLOW_CALLS_TO_DEGRADE * 2; i++) manager.observeLatency('cache', 60_000);
    expect(manager.levelName).toBe('OPTIMAL');
  });
});
