/**
 * The example service on real processes, as the end-to-end suite and `npm run demo` run it:
 * PostgreSQL and Redis (each behind a latency-injecting TCP proxy, so they can be slowed or cut),
 * the local stand-in for the OpenAI API (there is no internet here), the service as a child
 * process configured only through its environment (with an API key generated for this run, which
 * its writers send), and optionally a real Prometheus scraping it every second with the generated
 * rule file.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { API_KEY_ENV } from '../../service/auth';
import { requireStackBinaries } from './binaries';
import { postgresEnv, redisEnv } from './connection-env';
import { startLatencyProxy, type LatencyProxy } from './latency-proxy';
import { startOpenAIServer, type OpenAIServer } from './openai-server';
import { startPrometheus, type ThrowawayPrometheus } from './prometheus';
import { startPostgres, startRedis, type ThrowawayPostgres, type ThrowawayServer } from './servers';
import { startServiceProcess, type ServiceProcess } from './service-process';

export const RULE_FILE = join(__dirname, '..', '..', 'monitoring', 'providers.rules.yml');
/** The Prometheus job the generated rules and dashboards select (`job="providers"`). */
export const PROMETHEUS_JOB = 'providers';

export interface ProcessStack {
  readonly pg: ThrowawayPostgres;
  readonly redis: ThrowawayServer;
  readonly ai: OpenAIServer;
  readonly pgProxy: LatencyProxy;
  readonly redisProxy: LatencyProxy;
  /** The service's environment (PG* and REDIS_* settings through the proxies, the stand-in's key and URL, the API key). */
  readonly env: Readonly<Record<string, string>>;
  /** The service's API key (API_KEY_ENV), generated for this run: writes send it (`apiKeyHeaders`). */
  readonly apiKey: string;
  readonly service: ServiceProcess;
  readonly prometheus?: ThrowawayPrometheus;
  /** Stops everything started here (service first, with SIGTERM), in an order that leaves nothing behind. */
  destroy(): Promise<void>;
}

export interface ProcessStackOptions {
  /** Start a Prometheus scraping the service with the generated rules. @default true */
  readonly prometheus?: boolean;
  /** LOG_LEVEL of the service. @default info */
  readonly logLevel?: string;
  /** Rule files Prometheus evaluates. @default [RULE_FILE] */
  readonly ruleFiles?: readonly string[];
  /** Alertmanager Prometheus sends its alerts to. @default - none */
  readonly alertmanagerUrl?: string;
  /** More environment for the service (e.g. SHUTDOWN_DRAIN_DELAY_MS). @default - none */
  readonly env?: Readonly<Record<string, string>>;
}

/** A fresh API key, 64 letters and digits like the one the example stack generates. */
export function generateApiKey(): string {
  return randomBytes(32).toString('hex');
}

export async function startProcessStack(options: ProcessStackOptions = {}): Promise<ProcessStack> {
  const started: Array<() => Promise<unknown>> = [];
  const undo = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  // Every program first: a missing one is named before anything starts.
  requireStackBinaries({ prometheus: options.prometheus ?? true });
  try {
    // Started side by side; whatever did start is stopped again if another one failed.
    const settled = await Promise.allSettled([startPostgres(), startRedis(), startOpenAIServer()] as const);
    const [pgR, redisR, aiR] = settled;
    if (pgR.status === 'fulfilled') started.push(() => pgR.value.destroy());
    if (redisR.status === 'fulfilled') started.push(() => redisR.value.destroy());
    if (aiR.status === 'fulfilled') started.push(() => aiR.value.close());
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [pg, redis, ai] = [(pgR as PromiseFulfilledResult<ThrowawayPostgres>).value, (redisR as PromiseFulfilledResult<ThrowawayServer>).value, (aiR as PromiseFulfilledResult<OpenAIServer>).value];
    const [pgProxy, redisProxy] = await Promise.all([startLatencyProxy({ targetPort: pg.port }), startLatencyProxy({ targetPort: redis.port })]);
    started.push(() => pgProxy.close(), () => redisProxy.close());
    const apiKey = generateApiKey();
    const env = {
      ...postgresEnv(pgProxy.port),
      ...redisEnv(redisProxy.port),
      OPENAI_API_KEY: 'sk-local-stand-in-0000000000000000',
      OPENAI_BASE_URL: ai.baseURL,
      [API_KEY_ENV]: apiKey,
      LOG_LEVEL: options.logLevel ?? 'info',
      ...options.env,
    };
    const service = await startServiceProcess({ env });
    started.push(() => service.stop(12_000));
    let prometheus: ThrowawayPrometheus | undefined;
    if (options.prometheus ?? true) {
      prometheus = await startPrometheus({
        targets: [{ job: PROMETHEUS_JOB, port: service.adminPort }],
        ruleFiles: options.ruleFiles ?? [RULE_FILE],
        alertmanagerUrl: options.alertmanagerUrl,
      });
      started.push(() => prometheus!.stop());
    }
    let destroyed: Promise<void> | undefined;
    return { pg, redis, ai, pgProxy, redisProxy, env, apiKey, service, prometheus, destroy: () => (destroyed ??= undo()) };
  } catch (err) {
    await undo();
    throw err;
  }
}
