/**
 * The kinds Bulwark ships: PostgreSQL, Redis and OpenAI (each with an adapter of its own) and the
 * generic `s3` and `http` kinds (any async call through `runtime.call`). PostgreSQL and Redis also
 * take their settings split, one variable each (libpq's PG*, REDIS_HOST and the like). Breaker defaults: OpenAI
 * opens after 5 failures and retries after 60 s, PostgreSQL after 3 and 30 s, Redis after 5 and 20 s.
 */
import { METRICS } from '../metrics/catalog';
import { defineKind, registerKind, type DependencyKindDefinition } from './kind';

// The adapters' error classification, loaded on first use: describing a kind loads no adapter code.
/* eslint-disable @typescript-eslint/no-require-imports */
const postgres = () => require('../adapters/postgres') as typeof import('../adapters/postgres');
const redis = () => require('../adapters/redis') as typeof import('../adapters/redis');
const openai = () => require('../adapters/openai') as typeof import('../adapters/openai');
const call = () => require('../adapters/call') as typeof import('../adapters/call');
/* eslint-enable @typescript-eslint/no-require-imports */

const GENERIC_CALLS = {
  calls: METRICS.dependencyRequestsTotal,
  errors: METRICS.dependencyErrorsTotal,
  duration: METRICS.dependencyRequestDurationSeconds,
  callsBy: ['operation'],
  errorsBy: ['operation', 'error_type'],
} as const;

export const POSTGRES_KIND = defineKind({
  name: 'postgres',
  title: 'PostgreSQL',
  defaultPort: 5432,
  defaults: {
    breaker: { failureThreshold: 3, resetTimeoutMs: 30_000, successThreshold: 1, timeoutMs: 3_000 },
    impact: 'EMERGENCY',
    slowImpact: 'MINIMAL',
    slowThresholdMs: 500,
    critical: true,
  },
  connection: {
    holds: 'connection URL',
    exampleVariable: 'DATABASE_URL',
    urlSchemes: ['postgres:', 'postgresql:'],
    urlExample: 'postgres://USER:PASSWORD@HOST:5432/DB',
    // libpq's variables: what ECS can fill one by one from a generated secret's JSON fields.
    split: {
      host: { variable: 'PGHOST', required: true },
      port: { variable: 'PGPORT', required: false, integer: true },
      database: { variable: 'PGDATABASE', required: true },
      user: { variable: 'PGUSER', required: true },
      password: { variable: 'PGPASSWORD', required: false, secret: true },
      sslmode: { variable: 'PGSSLMODE', required: false },
      // A PEM file of the CAs to verify the server with (RDS: RDS_CA_BUNDLE_PATH in the service image).
      sslrootcert: { variable: 'PGSSLROOTCERT', required: false },
    },
    // PGSSLMODE and PGSSLROOTCERT together, as libpq reads them (postgresTls): checked at startup.
    checkSplit: (settings, variables) => {
      const tls = postgres().postgresTls({ sslmode: settings.sslmode, sslrootcert: settings.sslrootcert }, variables);
      return tls.ok ? [] : tls.problems;
    },
  },
  provides: [],
  callMetrics: { calls: METRICS.dbQueriesTotal, errors: METRICS.dbErrorsTotal, duration: METRICS.dbQueryDurationSeconds, callsBy: ['operation'], errorsBy: ['error_type'] },
  isCallerError: (err) => postgres().isPostgresCallerError(err),
  errorType: (err) => postgres().postgresErrorType(err),
  adapter: ({ base, connection, dependency }, options) => {
    const { createPostgresAdapter } = postgres();
    const pool = options?.pool as import('../adapters/postgres').PostgresAdapterOptions['pool'];
    const s = connection.settings;
    if (!s) return createPostgresAdapter({ ...base, connectionString: connection.value ?? '', pool });
    const settings = { host: s.host, database: s.database, user: s.user, password: s.password, sslmode: s.sslmode, sslrootcert: s.sslrootcert, ...(s.port ? { port: Number(s.port) } : {}) };
    return createPostgresAdapter({ ...base, connection: settings, connectionVariables: dependency.connection, pool });
  },
});

export const REDIS_KIND = defineKind({
  name: 'redis',
  title: 'Redis',
  defaultPort: 6379,
  defaults: { breaker: { failureThreshold: 5, resetTimeoutMs: 20_000, successThreshold: 1, timeoutMs: 500 }, impact: 'DEGRADED', slowThresholdMs: 0, critical: false },
  connection: {
    holds: 'connection URL',
    exampleVariable: 'REDIS_URL',
    urlSchemes: ['redis:', 'rediss:'],
    urlExample: 'redis://:PASSWORD@HOST:6379/0',
    // What ECS can fill one by one: the endpoint as plain values, the AUTH token from a secret's field.
    split: {
      host: { variable: 'REDIS_HOST', required: true },
      port: { variable: 'REDIS_PORT', required: false, integer: true },
      // An ACL user (Redis 6+, ElastiCache RBAC); without one, AUTH is the default user's (an AUTH token).
      username: { variable: 'REDIS_USERNAME', required: false },
      password: { variable: 'REDIS_PASSWORD', required: false, secret: true },
      // true: TLS with the server's certificate verified (ElastiCache in-transit encryption); unset or false: plain TCP.
      tls: { variable: 'REDIS_TLS', required: false },
    },
    checkSplit: (settings, variables) => {
      const tls = redis().redisTls(settings.tls, variables.tls);
      return tls.ok ? [] : tls.problems;
    },
  },
  provides: ['cache'],
  callMetrics: { calls: METRICS.redisOperationsTotal, errors: METRICS.redisErrorsTotal, duration: METRICS.redisOperationDurationSeconds, callsBy: ['operation'], errorsBy: ['error_type'] },
  isCallerError: () => false,
  errorType: (err) => redis().redisErrorType(err),
  adapter: ({ base, connection, dependency }) => {
    const { createRedisAdapter } = redis();
    const s = connection.settings;
    if (!s) return createRedisAdapter({ ...base, url: connection.value ?? '' });
    const settings = { host: s.host, username: s.username, password: s.password, tls: s.tls, ...(s.port ? { port: Number(s.port) } : {}) };
    return createRedisAdapter({ ...base, connection: settings, connectionVariables: dependency.connection });
  },
});

export const OPENAI_KIND = defineKind({
  name: 'openai',
  title: 'OpenAI',
  defaultPort: 443,
  defaults: { breaker: { failureThreshold: 5, resetTimeoutMs: 60_000, successThreshold: 1, timeoutMs: 30_000 }, impact: 'LIMITED', slowThresholdMs: 0, critical: false },
  connection: { holds: 'API key', exampleVariable: 'OPENAI_API_KEY' },
  provides: ['ai'],
  callMetrics: { calls: METRICS.openaiRequestsTotal, errors: METRICS.openaiErrorsTotal, duration: METRICS.openaiRequestDurationSeconds, callsBy: ['model', 'operation'], errorsBy: ['model', 'error_type'] },
  panels: [{ title: 'Tokens', description: 'Tokens per second, by model and type (prompt, completion).', metric: METRICS.openaiTokensTotal, by: ['model', 'type'], unit: 'short' }],
  isCallerError: (err) => openai().isOpenAICallerError(err),
  errorType: (err) => openai().openAIErrorType(err),
  adapter: ({ base, connection, env }, options) =>
    openai().createOpenAIAdapter({
      ...base,
      // An unset key (an optional dependency) must not stop the service: its health check reports
      // it, the dependency counts as down and its capability is refused instead.
      apiKey: connection.value || 'unset',
      model: String(options?.model ?? ''),
      baseURL: (options?.baseURL as string | undefined) ?? (env.OPENAI_BASE_URL || undefined),
    }),
});

export const S3_KIND = defineKind({
  name: 's3',
  title: 'S3',
  defaultPort: 443,
  defaults: { breaker: { failureThreshold: 5, resetTimeoutMs: 60_000, successThreshold: 1, timeoutMs: 10_000 }, impact: 'LIMITED', slowThresholdMs: 0, critical: false },
  provides: [],
  callMetrics: GENERIC_CALLS,
  isCallerError: (err) => call().isHttpCallerError(err),
  errorType: (err) => call().callErrorType(err),
});

export const HTTP_KIND = defineKind({
  name: 'http',
  title: 'HTTP API',
  defaults: { breaker: { failureThreshold: 5, resetTimeoutMs: 30_000, successThreshold: 1, timeoutMs: 5_000 }, impact: 'LIMITED', slowThresholdMs: 0, critical: false },
  provides: [],
  callMetrics: GENERIC_CALLS,
  isCallerError: (err) => call().isHttpCallerError(err),
  errorType: (err) => call().callErrorType(err),
});

export const BUILTIN_KINDS: readonly DependencyKindDefinition[] = [POSTGRES_KIND, REDIS_KIND, OPENAI_KIND, S3_KIND, HTTP_KIND];
for (const kind of BUILTIN_KINDS) registerKind(kind);
