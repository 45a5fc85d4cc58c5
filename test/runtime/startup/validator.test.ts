import Redis from 'ioredis';
import { Client } from 'pg';
import { defineService, StartupValidationError, type ServiceInput } from '@bulwark/runtime';
import { assertStartupHealthy, createMetrics, describeFailure, LABEL, METRICS, validateStartup, type DependencyCheck, type RuntimeMetrics, type ValidateStartupOptions } from '../../../runtime/src/internal';
import { freePort } from '@bulwark/harness';
import { startPostgres, startRedis, type ThrowawayPostgres, type ThrowawayServer } from '@bulwark/harness';
import { captureLogs, PINO_LEVEL } from '../degradation/log-capture';

const DB_PASSWORD = 'Sup3r-S3cret-pw';
const API_KEY = 'sk-test-abcdefghijklmnop1234';

const SERVICE: ServiceInput = {
  name: 'providers',
  dependencies: {
    db: { kind: 'postgres', critical: true, env: 'DATABASE_URL' },
    cache: { kind: 'redis', critical: false, env: 'REDIS_URL' },
    ai: { kind: 'openai', critical: false, env: 'OPENAI_API_KEY' },
  },
  env: {
    DATABASE_URL: { required: true, description: 'PostgreSQL connection string' },
    REDIS_URL: { required: false },
    OPENAI_API_KEY: { required: false },
    OPENAI_BASE_URL: { required: false, secret: false },
  },
  startup: { timeoutMs: 5_000, checkTimeoutMs: 2_000 },
};

/** The real checks a service runs: a pg connection with SELECT 1 and an ioredis PING, reading the same env. */
function pgCheck(env: NodeJS.ProcessEnv): DependencyCheck {
  return async () => {
    const url = env.DATABASE_URL ?? '';
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_500 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (e) {
      // Drivers and wrappers often put the connection string in their errors: the validator must redact it.
      throw new Error(`cannot connect to ${url}: ${(e as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

function redisCheck(env: NodeJS.ProcessEnv): DependencyCheck {
  return async () => {
    const client = new Redis(env.REDIS_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  };
}

const ok: DependencyCheck = async () => undefined;

function run(overrides: Partial<ValidateStartupOptions> & { env: NodeJS.ProcessEnv; service?: ServiceInput }) {
  const logs = captureLogs();
  const metrics = createMetrics({ nodeMetrics: false });
  const { service, ...rest } = overrides;
  const promise = validateStartup({
    declaration: defineService(service ?? SERVICE),
    checks: {},
    enabled: true,
    failOnWarning: false,
    metrics,
    logger: logs.logger,
    ...rest,
  });
  return { promise, logs, metrics };
}

async function gauge(metrics: RuntimeMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))?.value;
}

describe('validateStartup against real PostgreSQL and Redis', () => {
  let pg: ThrowawayPostgres;
  let redis: ThrowawayServer;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  });

  afterAll(async () => {
    await Promise.all([pg?.destroy(), redis?.destroy()]);
  });

  it('is healthy when every variable is set and every dependency answers', async () => {
    const env = { DATABASE_URL: pg.url, REDIS_URL: redis.url, OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' };
    const { promise, logs, metrics } = run({ env, checks: { db: pgCheck(env), cache: redisCheck(env), ai: ok } });
    const summary = await promise;
    expect(summary).toMatchObject({ status: 'healthy', total_checks: 7, passed: 7, warnings: 0, critical_failures: 0 });
    expect(summary.reason).toBeUndefined();
    expect(summary.results.find((r) => r.name === 'dependency:db')).toMatchObject({ status: 'pass', critical: true });
    expect(summary.results.find((r) => r.name === 'dependency:db')?.message).toMatch(/^db \(postgres\) reachable in \d+ ms$/);
    expect(() => assertStartupHealthy(summary)).not.toThrow();
    expect(describeFailure(summary)).toMatch(/^startup validation passed: 7\/7 checks, 0 warnings, in \d+ ms$/);
    expect(await gauge(metrics, METRICS.startupValidationFailures.name, { [LABEL.level]: 'critical' })).toBe(0);
    expect(await gauge(metrics, METRICS.startupValidationFailures.name, { [LABEL.level]: 'warning' })).toBe(0);
    expect(await gauge(metrics, METRICS.startupValidationDurationSeconds.name)).toBeCloseTo(summary.total_duration_ms / 1000, 5);
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatchObject({ level: PINO_LEVEL.info, status: 'healthy', passed: 7 });
  });

  it('an unreachable critical PostgreSQL (closed port) is unhealthy well within checkTimeoutMs, and its password never shows', async () => {
    const closed = await freePort();
    const env = { DATABASE_URL: `postgres://app:${DB_PASSWORD}@127.0.0.1:${closed}/app`, REDIS_URL: redis.url, OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: 'x' };
    const { promise, logs, metrics } = run({ env, checks: { db: pgCheck(env), cache: redisCheck(env), ai: ok } });
    const summary = await promise;
    expect(summary.status).toBe('unhealthy');
    expect(summary.reason).toBe('critical_failures');
    expect(summary.total_duration_ms).toBeLessThan(2_000);
    const db = summary.results.find((r) => r.name === 'dependency:db');
    expect(db).toMatchObject({ status: 'fail', critical: true });
    expect(db?.message).toMatch(/^db \(postgres\) unreachable: cannot connect to \[REDACTED\]: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(await gauge(metrics, METRICS.startupValidationFailures.name, { [LABEL.level]: 'critical' })).toBe(1);

    const line = describeFailure(summary);
    expect(line).toMatch(/^startup validation failed: 1 critical failure: db \(postgres\) unreachable: /);
    expect(line).not.toContain('\n');
    let thrown: unknown;
    try {
      assertStartupHealthy(summary);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(StartupValidationError);
    expect((thrown as StartupValidationError).summary).toBe(summary);
    expect((thrown as Error).message).toBe(line);

    for (const text of [JSON.stringify(summary), logs.text(), line, (thrown as Error).message]) expect(text).not.toContain(DB_PASSWORD);
    // One line per failure plus the summary line.
    expect(logs.lines.map((l) => [l.level, l.check ?? 'summary'])).toEqual([
      [PINO_LEVEL.error, 'dependency:db'],
      [PINO_LEVEL.error, 'summary'],
    ]);
  });
});

describe('validateStartup environment', () => {
  it('a missing required variable is a critical failure naming it; its dependency is not checked', async () => {
    let called = false;
    const { promise, logs } = run({
      env: { REDIS_URL: 'redis://127.0.0.1:6379', OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: 'x' },
      checks: {
        db: async () => void (called = true),
        cache: ok,
        ai: ok,
      },
    });
    const summary = await promise;
    expect(called).toBe(false);
    expect(summary).toMatchObject({ status: 'unhealthy', critical_failures: 2, warnings: 0 });
    expect(summary.results.find((r) => r.name === 'env:DATABASE_URL')).toMatchObject({
      status: 'fail',
      critical: true,
      message: "DATABASE_URL is required but not set (PostgreSQL connection string); set it in the service's environment",
    });
    expect(summary.results.find((r) => r.name === 'dependency:db')?.message).toBe('db (postgres) not checked: DATABASE_URL is not set');
    expect(describeFailure(summary)).toBe(
      "startup validation failed: 2 critical failures: DATABASE_URL is required but not set (PostgreSQL connection string); set it in the service's environment; db (postgres) not checked: DATABASE_URL is not set",
    );
    expect(logs.lines.filter((l) => l.level === PINO_LEVEL.error)).toHaveLength(3);
  });

  it('a missing optional variable is a warning; the summary stays healthy', async () => {
    const { promise, logs } = run({
      env: { DATABASE_URL: 'postgres://u:p4ssw0rd-x@127.0.0.1:5432/db', OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: 'x' },
      checks: { db: ok, ai: ok, cache: ok },
    });
    const summary = await promise;
    expect(summary).toMatchObject({ status: 'healthy', warnings: 2, critical_failures: 0 });
    expect(summary.results.find((r) => r.name === 'env:REDIS_URL')).toMatchObject({ status: 'warning', critical: false });
    expect(summary.results.find((r) => r.name === 'dependency:cache')).toMatchObject({
      status: 'warning',
      message: 'cache (redis) not checked: REDIS_URL is not set',
    });
    expect(logs.lines.filter((l) => l.level === PINO_LEVEL.warn).map((l) => l.check)).toEqual(['env:REDIS_URL', 'dependency:cache']);
  });

  it('failOnWarning makes warnings fatal, and describeFailure lists them', async () => {
    const { promise } = run({
      env: { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', OPENAI_API_KEY: API_KEY, REDIS_URL: 'redis://127.0.0.1:6379' },
      checks: { db: ok, ai: ok, cache: ok },
      failOnWarning: true,
    });
    const summary = await promise;
    expect(summary).toMatchObject({ status: 'unhealthy', reason: 'warnings', warnings: 1, critical_failures: 0 });
    expect(describeFailure(summary)).toBe(
      'startup validation failed: 1 warning (STARTUP_FAIL_ON_WARNING=true): OPENAI_BASE_URL is not set; the features that need it are off',
    );
    expect(() => assertStartupHealthy(summary)).toThrow(StartupValidationError);
  });

  it.each([
    ['DATABASE_URL', `mysql://root:${DB_PASSWORD}@db:3306/app`, 'PostgreSQL', 'fail'],
    ['DATABASE_URL', `host=db password=${DB_PASSWORD}`, 'PostgreSQL', 'fail'],
    ['REDIS_URL', `http://:${DB_PASSWORD}@cache:6379`, 'Redis', 'warning'],
  ] as const)('a malformed %s is reported by name, never by value', async (variable, value, label, status) => {
    const env: NodeJS.ProcessEnv = {
      DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db',
      REDIS_URL: 'rediss://127.0.0.1:6380',
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: 'x',
      [variable]: value,
    };
    const { promise, logs } = run({ env, checks: { db: ok, cache: ok, ai: ok } });
    const summary = await promise;
    const result = summary.results.find((r) => r.name === `env:${variable}`);
    expect(result).toMatchObject({ status, critical: status === 'fail' });
    expect(result?.message).toMatch(new RegExp(`^${variable} is not a valid ${label} URL; expected the form \\S+ \\(value not shown\\)$`));
    // The hint survives redaction: its password is the placeholder, shown as written.
    expect(result?.message).toContain(variable === 'DATABASE_URL' ? 'postgres://USER:PASSWORD@HOST:5432/DB' : 'redis://:PASSWORD@HOST:6379/0');
    expect(summary.status).toBe(status === 'fail' ? 'unhealthy' : 'healthy');
    for (const text of [JSON.stringify(summary), logs.text(), describeFailure(summary)]) {
      expect(text).not.toContain(DB_PASSWORD);
      expect(text).not.toContain(value);
    }
  });
});

describe('validateStartup dependency checks', () => {
  const env = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', REDIS_URL: 'redis://127.0.0.1:6379', OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: 'x' };

  it('a hanging check is cut at startup.checkTimeoutMs', async () => {
    const { promise } = run({
      env,
      service: { ...SERVICE, startup: { timeoutMs: 1_000, checkTimeoutMs: 100 } },
      checks: { db: () => new Promise<void>(() => undefined), cache: ok, ai: ok },
    });
    const summary = await promise;
    const db = summary.results.find((r) => r.name === 'dependency:db');
    expect(db).toMatchObject({ status: 'fail', critical: true, message: 'db (postgres) did not answer within 100 ms (startup.checkTimeoutMs)' });
    expect(db?.duration_ms).toBeGreaterThanOrEqual(95);
    expect(summary.status).toBe('unhealthy');
  });

  it('runs the dependency checks in parallel', async () => {
    // Each check waits for the other to have started: run one after the other, both would time out.
    let release: Array<() => void> = [];
    const started = { db: false, cache: false };
    const barrier = (me: 'db' | 'cache', other: 'db' | 'cache'): DependencyCheck => async () => {
      started[me] = true;
      release.forEach((r) => r());
      release = [];
      if (!started[other]) await new Promise<void>((r) => release.push(r));
    };
    const { promise } = run({
      env,
      service: { ...SERVICE, startup: { timeoutMs: 1_000, checkTimeoutMs: 500 } },
      checks: { db: barrier('db', 'cache'), cache: barrier('cache', 'db'), ai: ok },
    });
    const summary = await promise;
    expect(summary.results.filter((r) => r.name.startsWith('dependency:')).map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
  });

  it('a failing non-critical dependency is a warning, and an API key in its error is redacted', async () => {
    const { promise, logs } = run({
      env,
      checks: {
        db: ok,
        cache: ok,
        ai: async () => {
          throw new Error(`401 Incorrect API key provided: ${API_KEY}.\nYou can find your API key at https://platform.openai.com`);
        },
      },
    });
    const summary = await promise;
    expect(summary.status).toBe('healthy');
    const ai = summary.results.find((r) => r.name === 'dependency:ai');
    expect(ai).toMatchObject({ status: 'warning', critical: false });
    expect(ai?.message).toBe('ai (openai) unreachable: 401 Incorrect API key provided: [REDACTED]. You can find your API key at https://platform.openai.com');
    expect(logs.text()).not.toContain(API_KEY);
    expect(logs.text()).not.toContain('abcdefghijklmnop');
  });

  it('a dependency with no check is a warning; checks for undeclared dependencies are a programming error', async () => {
    const { promise } = run({ env, checks: { db: ok, cache: ok } });
    const summary = await promise;
    expect(summary.results.find((r) => r.name === 'dependency:ai')).toMatchObject({
      status: 'warning',
      message: 'ai (openai) not checked: no startup check was provided for it',
    });
    await expect(run({ env, checks: { db: ok, queue: ok } }).promise).rejects.toThrow(
      'startup checks given for undeclared dependencies: queue; declared: db, cache, ai',
    );
  });

  it('switched off (ENABLE_STARTUP_VALIDATION=false): skipped, and no check runs', async () => {
    let called = false;
    const { promise, logs, metrics } = run({ env: {}, enabled: false, checks: { db: async () => void (called = true) } });
    const summary = await promise;
    expect(summary).toEqual({
      status: 'skipped',
      reason: 'feature_flag_disabled',
      total_duration_ms: 0,
      total_checks: 0,
      passed: 0,
      warnings: 0,
      critical_failures: 0,
      results: [],
    });
    expect(called).toBe(false);
    expect(describeFailure(summary)).toBe('startup validation skipped (feature_flag_disabled)');
    expect(() => assertStartupHealthy(summary)).not.toThrow();
    expect(logs.lines).toHaveLength(1);
    expect(await gauge(metrics, METRICS.startupValidationFailures.name, { [LABEL.level]: 'critical' })).toBeUndefined();
  });
});
