import { DeclarationError, defineService, isServiceDeclaration, KIND_DEFAULTS, type ServiceInput } from '@bulwark/runtime';

function problemsOf(input: unknown): readonly string[] {
  try {
    defineService(input as ServiceInput);
  } catch (e) {
    expect(e).toBeInstanceOf(DeclarationError);
    return (e as DeclarationError).problems;
  }
  throw new Error('expected defineService to throw');
}

describe('defineService', () => {
  it('fills the seeds’ defaults per dependency kind', () => {
    const s = defineService({
      name: 'orders',
      dependencies: { db: { kind: 'postgres', env: 'DB_URL' }, cache: { kind: 'redis', env: 'CACHE_URL' }, ai: { kind: 'openai', env: 'AI_API_KEY' } },
    });
    expect(s.port).toBe(8080);
    expect(s.dependencies.ai.breaker).toMatchObject({ failureThreshold: 5, resetTimeoutMs: 60_000 });
    expect(s.dependencies.db.breaker).toMatchObject({ failureThreshold: 3, resetTimeoutMs: 30_000 });
    expect(s.dependencies.cache.breaker).toMatchObject({ failureThreshold: 5, resetTimeoutMs: 20_000 });
    expect(s.dependencies.db).toMatchObject({ critical: true, impact: 'EMERGENCY', slowImpact: 'MINIMAL' });
    expect(s.dependencies.cache).toMatchObject({ critical: false, impact: 'DEGRADED' });
    expect(s.dependencies.ai.impact).toBe('LIMITED');
    expect(s.dependencies.db.healthCheck.intervalMs).toBe(5_000);
    expect(s.startup.timeoutMs).toBeLessThanOrEqual(5_000);
    expect(KIND_DEFAULTS.redis.breaker.failureThreshold).toBe(5);
  });

  it('names the path and the accepted values for a bad kind', () => {
    const problems = problemsOf({ name: 'orders', dependencies: { cache: { kind: 'redsi' } } });
    expect(problems).toEqual(['dependencies.cache.kind: "redsi" is not one of postgres, redis, openai, s3, http']);
  });

  it('lists every problem at once, each with its path', () => {
    const problems = problemsOf({
      name: 'Orders Service',
      port: 70000,
      dependencies: {
        db: { kind: 'postgres', env: 'DB_URL', breaker: { failureThreshold: 0 }, impact: 'BROKEN' },
        ai: { kind: 'openai', env: 'AI_API_KEY', healthCheck: { intervalMs: 1000, timeoutMs: 5000 } },
      },
      objectives: { availability: 99.5 },
      env: { 'bad-name': true },
      surprise: 1,
    });
    const text = problems.join('\n');
    expect(text).toContain('name: "Orders Service" must be');
    expect(text).toContain('port: must be a whole number from 1 to 65535, got 70000');
    expect(text).toContain('dependencies.db.breaker.failureThreshold: must be a whole number from 1');
    expect(text).toContain('dependencies.db.impact: "BROKEN" is not one of DEGRADED, LIMITED, MINIMAL, EMERGENCY');
    expect(text).toContain('dependencies.ai.healthCheck.timeoutMs: 5000 exceeds intervalMs 1000');
    expect(text).toContain('objectives.availability: must be a number between 0 and 1 exclusive (e.g. 0.995), got 99.5');
    expect(text).toContain('env.bad-name: is not an environment variable name');
    expect(text).toContain('surprise: unknown field; expected one of name, version');
    expect(problems.length).toBe(8);
  });

  it('the error message carries every problem and the service name', () => {
    expect(() => defineService({ name: 'orders', dependencies: { x: { kind: 'ftp' as never } } })).toThrow(
      /Invalid service declaration "orders" \(1 problem\):\n {2}- dependencies\.x\.kind: "ftp" is not one of/,
    );
  });

  it('requires a kind and rejects unknown dependency fields', () => {
    const problems = problemsOf({ name: 'orders', dependencies: { db: { critical: true, retries: 3 } } });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dependencies\.db\.retries: unknown field/),
        expect.stringMatching(/^dependencies\.db\.kind: is required/),
      ]),
    );
  });

  it('adds a dependency’s connection variable to the environment contract as a secret', () => {
    const s = defineService({ name: 'orders', dependencies: { db: { kind: 'postgres', env: 'DATABASE_URL' } } });
    expect(s.env.DATABASE_URL).toEqual({ required: true, secret: true });
  });

  it('treats key/url-looking env vars as secrets unless told otherwise', () => {
    const s = defineService({ name: 'orders', env: { OPENAI_API_KEY: true, LOG_LEVEL: false, PUBLIC_URL: { secret: false } } });
    expect(s.env.OPENAI_API_KEY).toEqual({ required: true, secret: true });
    expect(s.env.LOG_LEVEL).toEqual({ required: false, secret: false });
    expect(s.env.PUBLIC_URL.secret).toBe(false);
  });

  it('is JSON-serialisable and frozen', () => {
    const s = defineService({ name: 'orders', dependencies: { db: { kind: 'postgres', env: 'DB_URL' } }, routes: ['/orders/:id'] });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(Object.isFrozen(s.dependencies.db.breaker)).toBe(true);
  });

  it('rejects duplicate and relative routes', () => {
    expect(problemsOf({ name: 'orders', routes: ['/a', '/a', 'b'] })).toEqual([
      'routes[1]: "/a" is listed twice',
      'routes[2]: "b" must be a path template starting with /, without spaces, query or fragment',
    ]);
    expect(problemsOf({ name: 'orders', routes: ['/orders/:', '/a b', '/x?y=1'] })).toEqual([
      'routes[0]: "/orders/:" has a ":" segment without a parameter name; write e.g. "/orders/:id"',
      'routes[1]: "/a b" must be a path template starting with /, without spaces, query or fragment',
      'routes[2]: "/x?y=1" must be a path template starting with /, without spaces, query or fragment',
    ]);
  });

  it('accepts any whole-millisecond latency threshold below the largest HTTP bucket, and refuses the rest naming the limit', () => {
    expect(defineService({ name: 'orders', objectives: { latency: { thresholdMs: 150, target: 0.95 } } }).objectives.latency.thresholdMs).toBe(150);
    expect(defineService({ name: 'orders', objectives: { latency: { thresholdMs: 9999, target: 0.95 } } }).objectives.latency.thresholdMs).toBe(9999);
    expect(problemsOf({ name: 'orders', objectives: { latency: { thresholdMs: 10_000, target: 0.95 } } })).toEqual([
      'objectives.latency.thresholdMs: must be a whole number of milliseconds from 1 to 9999, got 10000 (the largest bucket of http_request_duration_seconds is 10000 ms: a slower objective could not be told apart)',
    ]);
    expect(problemsOf({ name: 'orders', objectives: { latency: { thresholdMs: 12.5, target: 0.95 } } })[0]).toMatch(/^objectives\.latency\.thresholdMs: must be a whole number/);
  });

  it('refuses objectives whose error budget the page-level burn-rate alert could never reach, or too small to test', () => {
    expect(problemsOf({ name: 'orders', objectives: { availability: 0.99999 } })).toEqual([
      'objectives.availability: 0.99999 is above 0.9999: the generated promtool tests cannot model an error budget below 0.01% of requests',
    ]);
    expect(defineService({ name: 'orders', objectives: { availability: 0.931, latency: { thresholdMs: 100, target: 0.95 } } }).objectives.availability).toBe(0.931);
    expect(problemsOf({ name: 'orders', objectives: { availability: 0.9, latency: { thresholdMs: 100, target: 0.5 } } })).toEqual([
      'objectives.availability: 0.9 leaves a budget of 10% of requests; the SLO alerts page at 14.4× the budget rate, which no budget above 6.94% can reach: use 0.9306 or more',
      'objectives.latency.target: 0.5 leaves a budget of 50% of requests; the SLO alerts page at 14.4× the budget rate, which no budget above 6.94% can reach: use 0.9306 or more',
    ]);
  });

  it('refuses env variables the runtime and its deployments own, and connection kinds without env', () => {
    expect(
      problemsOf({
        name: 'orders',
        env: { PORT: true, ENABLE_CIRCUIT_BREAKER: false, SHUTDOWN_TIMEOUT_MS: { required: false } },
        dependencies: { db: { kind: 'postgres' }, cache: { kind: 'redis', env: 'ENABLE_PROMETHEUS_METRICS' }, api: { kind: 'http' } },
      }),
    ).toEqual([
      'env.PORT: is reserved: deployments set it from the declared port; remove it from env',
      'env.ENABLE_CIRCUIT_BREAKER: is reserved: it is a feature flag: deployments set every flag explicitly; remove it from env',
      'env.SHUTDOWN_TIMEOUT_MS: is reserved: it is a shutdown setting the runtime reads and deployments set; remove it from env',
      'dependencies.db.env: is required for a postgres dependency: name the environment variable holding its connection URL (e.g. "DATABASE_URL"), or connection: \'split\' for PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT',
      'dependencies.cache.env: "ENABLE_PROMETHEUS_METRICS" is reserved: it is a feature flag: deployments set every flag explicitly; name another variable',
    ]);
  });

  it('takes provided capabilities from the kind, lets a dependency declare its own, and refuses a route need nothing provides', () => {
    const s = defineService({ name: 'orders', dependencies: { ai: { kind: 'openai', env: 'AI_KEY' }, llm: { kind: 'http', provides: ['ai', 'cache'] }, db: { kind: 'postgres', env: 'DB_URL', provides: [] } } });
    expect([s.dependencies.ai!.provides, s.dependencies.llm!.provides, s.dependencies.db!.provides]).toEqual([['ai'], ['ai', 'cache'], []]);
    expect(
      problemsOf({
        name: 'orders',
        dependencies: { api: { kind: 'http', provides: ['teleport' as 'ai'] } },
        routes: ['/a', { path: '/a/summary', requires: ['ai', 'writes'] }, { path: '/b', requires: 'cache' as unknown as ['cache'] }, { path: '/c', need: ['ai'] } as never],
      }),
    ).toEqual([
      'dependencies.api.provides[0]: "teleport" is not one of writes, ai, cache, business',
      'routes[1].requires[0]: "ai" is provided by no dependency; add provides: [\'ai\'] to the dependency that serves it',
      'routes[2].requires: must be a list of capabilities (writes, ai, cache, business), got "cache"',
      'routes[3].need: unknown field; expected one of path, requires',
    ]);
  });

  it('takes split connection settings where the kind has them, with default or own variable names', () => {
    const own = defineService({ name: 'orders', dependencies: { db: { kind: 'postgres', connection: { host: 'DB_HOST', password: 'DB_PASSWORD' } } } });
    expect(own.dependencies.db!.connection).toEqual({ host: 'DB_HOST', port: 'PGPORT', database: 'PGDATABASE', user: 'PGUSER', password: 'DB_PASSWORD', sslmode: 'PGSSLMODE', sslrootcert: 'PGSSLROOTCERT' });
    expect(own.env.DB_PASSWORD).toEqual({ required: false, secret: true });
    expect(
      problemsOf({
        name: 'orders',
        dependencies: {
          a: { kind: 'postgres', env: 'A_URL', connection: 'split' },
          b: { kind: 'openai', connection: 'split' },
          c: { kind: 'postgres', connection: { hostname: 'X' } as never },
          d: { kind: 'postgres', connection: { host: 'PORT' } },
          e: { kind: 'postgres' },
        },
      }),
    ).toEqual([
      'dependencies.a.connection: cannot go with env: give one URL variable (env) or the split settings (connection), not both',
      'dependencies.b.connection: a dependency of kind openai takes no split connection settings; name its variable with env',
      'dependencies.c.connection.hostname: unknown field; expected one of host, port, database, user, password, sslmode, sslrootcert',
      'dependencies.d.connection.host: "PORT" is reserved: deployments set it from the declared port; name another variable',
      'dependencies.e.env: is required for a postgres dependency: name the environment variable holding its connection URL (e.g. "DATABASE_URL"), or connection: \'split\' for PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT',
    ]);
  });

  it('gives telemetry a port of its own and every client a rate limit, by default, and checks both', () => {
    const d = defineService({ name: 'orders' });
    expect(d.admin).toEqual({ port: 9464 });
    expect(d.rateLimit).toEqual({ requests: 600, windowMs: 60_000 });
    expect(defineService({ name: 'orders', port: 3000, admin: { port: 3001 }, rateLimit: { requests: 0 } })).toMatchObject({ admin: { port: 3001 }, rateLimit: { requests: 0, windowMs: 60_000 } });
    expect(
      problemsOf({ name: 'orders', port: 9000, admin: { port: 9000, path: '/m' } as never, rateLimit: { requests: -1, windowMs: 10 }, env: { ADMIN_PORT: true, TRUSTED_PROXY_HOPS: true } }),
    ).toEqual([
      'admin.path: unknown field; expected one of port',
      "admin.port: 9000 is the application's port too; give /metrics and /health a port of their own (default 9464)",
      'rateLimit.requests: must be a whole number from 0 to 1000000, got -1',
      'rateLimit.windowMs: must be a whole number from 1000 to 86400000, got 10',
      'env.ADMIN_PORT: is reserved: deployments set it from the declared admin.port; remove it from env',
      'env.TRUSTED_PROXY_HOPS: is reserved: deployments set how many proxies stand in front of the service; remove it from env',
    ]);
  });

  it('brands what it returns, so a declaration is recognised whichever copy of the package made it', () => {
    const s = defineService({ name: 'orders' });
    expect(isServiceDeclaration(s)).toBe(true);
    expect(isServiceDeclaration({ ...s })).toBe(false);
    expect(isServiceDeclaration(JSON.parse(JSON.stringify(s)))).toBe(false);
    expect(JSON.stringify(s)).not.toContain('bulwark');
    expect(Object.keys(s)).toEqual(['name', 'version', 'port', 'admin', 'rateLimit', 'dependencies', 'env', 'objectives', 'startup', 'routes', 'routeRequires']);
    // The brand is a registered symbol: another copy of the runtime creates the same one.
    expect(Object.getOwnPropertySymbols(s)).toEqual([Symbol.for('@bulwark/runtime.service-declaration')]);
  });

  it('requires slowImpact to go with slowThresholdMs and to stay under the check timeout', () => {
    const problems = problemsOf({ name: 'orders', dependencies: { c: { kind: 'redis', env: 'C_URL', slowThresholdMs: 5000 } } });
    expect(problems.join('\n')).toContain('dependencies.c.slowImpact: is required when slowThresholdMs is set');
    expect(problems.join('\n')).toContain('dependencies.c.slowThresholdMs: 5000 must be below healthCheck.timeoutMs 2000');
  });
});
