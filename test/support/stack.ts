/**
 * The example service on real parts: PostgreSQL and Redis (each behind a latency-injecting
 * proxy so tests can slow or cut them), the local OpenAI stand-in, and the service itself
 * in this process on 127.0.0.1.
 */
import { Writable } from 'node:stream';
import { defineService, type DependencyInput, type ServiceDeclaration } from '@bulwark/runtime';
import { API_KEY_ENV, providersInput } from '../../lib/services/providers';
import { startService, type RunningService } from '../../service/server';
import { generateApiKey, startLatencyProxy } from '@bulwark/harness';
import { startOpenAIServer, type OpenAIServer } from '@bulwark/harness';
import { postgresEnv, redisEnv, startPostgres, startRedis, type ThrowawayPostgres, type ThrowawayServer } from '@bulwark/harness';

type LatencyProxy = Awaited<ReturnType<typeof startLatencyProxy>>;

export interface LogRecord {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Stack {
  readonly pg: ThrowawayPostgres;
  readonly redis: ThrowawayServer;
  readonly ai: OpenAIServer;
  readonly pgProxy: LatencyProxy;
  readonly redisProxy: LatencyProxy;
  readonly env: Record<string, string>;
  /** The service's API key (in `env`): writes send it (`apiKeyHeaders` from the harness). */
  readonly apiKey: string;
  readonly logs: LogRecord[];
  service?: RunningService;
  startService(declaration?: ServiceDeclaration, extraEnv?: Record<string, string>): Promise<RunningService>;
  destroy(): Promise<void>;
}

/**
 * The example declaration with health checks fast enough for tests (every 500 ms, recover after
 * 2 healthy checks) and short breaker reset timeouts; thresholds and impacts are unchanged.
 */
export function fastDeclaration(): ServiceDeclaration {
  const deps: Record<string, DependencyInput> = {};
  for (const [name, dep] of Object.entries(providersInput.dependencies)) {
    deps[name] = {
      ...dep,
      breaker: { resetTimeoutMs: 1_000, ...(dep.kind === 'openai' ? { timeoutMs: 1_500 } : {}) },
      healthCheck: { intervalMs: 500, timeoutMs: 500, healthyThreshold: 2 },
      ...(dep.kind === 'postgres' ? { slowThresholdMs: 200 } : {}),
    };
  }
  return defineService({ ...providersInput, dependencies: deps, startup: { timeoutMs: 3_000, checkTimeoutMs: 1_500 } });
}

export async function startStack(): Promise<Stack> {
  const [pg, redis, ai] = await Promise.all([startPostgres(), startRedis(), startOpenAIServer()]);
  const [pgProxy, redisProxy] = await Promise.all([startLatencyProxy({ targetPort: pg.port }), startLatencyProxy({ targetPort: redis.port })]);
  const apiKey = generateApiKey();
  const env: Record<string, string> = {
    // The superuser needs no password (trust): PGPASSWORD is set so the redactor has one to hide.
    ...postgresEnv(pgProxy.port, { password: 'not-a-real-password' }),
    ...redisEnv(redisProxy.port),
    OPENAI_API_KEY: 'sk-test-local-stand-in-key-0001',
    [API_KEY_ENV]: apiKey,
    OPENAI_BASE_URL: ai.baseURL,
    LOG_LEVEL: 'debug',
  };
  const logs: LogRecord[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  const stack: Stack = {
    pg,
    redis,
    ai,
    pgProxy,
    redisProxy,
    env,
    apiKey,
    logs,
    async startService(declaration = fastDeclaration(), extraEnv = {}) {
      stack.service = await startService({
        declaration,
        env: { ...env, ...extraEnv },
        port: 0,
        host: '127.0.0.1',
        admin: { host: '127.0.0.1', port: 0 },
        logDestination: destination,
        nodeMetrics: false,
        exit: (code) => {
          throw new Error(`service asked to exit with code ${code}`);
        },
      });
      return stack.service;
    },
    async destroy() {
      await stack.service?.stop();
      await Promise.all([pgProxy.close(), redisProxy.close()]);
      await Promise.all([pg.destroy(), redis.destroy(), ai.close()]);
    },
  };
  return stack;
}
