import { performance } from 'node:perf_hooks';
import type { Redis, RedisOptions } from 'ioredis';
import { loadPeer } from './peer';
import type { Breaker } from '../breakers/breaker';
import { LABEL } from '../metrics/catalog';
import {
  adapterLogging,
  breakerErrorType,
  checkOperation,
  COMMON_ERROR_TYPE,
  errorFields,
  errorMessage,
  isNetworkError,
  urlSecrets,
  withTimeout,
  type AdapterBaseOptions,
  type DependencyAdapter,
} from './common';

export const REDIS_ERROR_TYPE = {
  ...COMMON_ERROR_TYPE,
  /** A command Redis rejected on its merits (WRONGTYPE, syntax): the caller's fault. */
  reply: 'reply_error',
  /** Redis answered but cannot serve (OOM, LOADING, READONLY, BUSY, MASTERDOWN). */
  server: 'server_error',
} as const;

// Replies that mean Redis itself is in trouble, not the command.
const SERVER_REPLY = /^(OOM|LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MISCONF)\b/;

export function redisErrorType(err: unknown): string {
  const fromBreaker = breakerErrorType(err);
  if (fromBreaker) return fromBreaker;
  const e = errorFields(err);
  if (e) {
    if (e.name === 'ReplyError') return SERVER_REPLY.test(e.message) ? REDIS_ERROR_TYPE.server : REDIS_ERROR_TYPE.reply;
    if (
      isNetworkError(err) ||
      e.name === 'MaxRetriesPerRequestError' ||
      e.message.startsWith("Stream isn't writeable") ||
      e.message.startsWith('Connection is closed')
    ) {
      return REDIS_ERROR_TYPE.connection;
    }
    if (e.code === 'ETIMEDOUT') return REDIS_ERROR_TYPE.timeout;
  }
  return REDIS_ERROR_TYPE.other;
}

export interface RedisAdapterOptions extends AdapterBaseOptions {
  /** redis:// or rediss:// URL (its password is never logged). */
  readonly url: string;
  /** TCP connect timeout in ms. @default min(breaker.timeoutMs, 2000) */
  readonly connectTimeoutMs?: number;
  /** Upper bound of the background reconnect backoff, in ms. @default 2000 */
  readonly maxReconnectDelayMs?: number;
  /** Further ioredis options; the fail-fast ones below always win. */
  readonly redisOptions?: Omit<RedisOptions, 'enableOfflineQueue' | 'maxRetriesPerRequest' | 'retryStrategy' | 'connectTimeout'>;
}

export interface RedisAdapter extends DependencyAdapter {
  readonly kind: 'redis';
  /** The fail-fast ioredis client (no offline queue, no per-command retries). Calls on it directly bypass the breaker and metrics. */
  readonly client: Redis;
  /**
   * Runs commands through the breaker with metrics. `operation` is the metric label (usually
   * the command name, e.g. "hgetall"); keep it a fixed string.
   */
  run<T>(operation: string, fn: (client: Redis) => Promise<T>): Promise<T>;
  get(key: string): Promise<string | null>;
  /** SET, with an expiry in seconds when `ttlSeconds` is given. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(...keys: string[]): Promise<number>;
  exists(...keys: string[]): Promise<number>;
  incr(key: string): Promise<number>;
  expire(key: string, seconds: number): Promise<boolean>;
  mget(...keys: string[]): Promise<(string | null)[]>;
}

/**
 * A Redis client that fails fast: ioredis by default queues commands while disconnected and
 * retries each up to 20 times, so with Redis down requests would stall instead of failing into
 * the breaker. Here a command fails at once while disconnected, and the client reconnects in
 * the background with a bounded backoff.
 */
export function createRedisClient(url: string, opts: Pick<RedisAdapterOptions, 'connectTimeoutMs' | 'maxReconnectDelayMs' | 'redisOptions' | 'breaker'>): Redis {
  const maxDelay = opts.maxReconnectDelayMs ?? 2_000;
  const { Redis: RedisClient } = loadPeer<typeof import('ioredis')>('ioredis', 'redis');
  return new RedisClient(url, {
    ...opts.redisOptions,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: opts.connectTimeoutMs ?? Math.min(opts.breaker.timeoutMs, 2_000),
    // How long a closing socket may linger before it is destroyed (ioredis' 2 s default keeps a process alive on shutdown).
    disconnectTimeout: Math.min(opts.breaker.timeoutMs, 2_000),
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay),
  });
}

interface OperationMetrics {
  readonly ops: { inc(): void };
  readonly duration: { observe(v: number): void };
}

class RedisAdapterImpl implements RedisAdapter {
  readonly kind = 'redis' as const;
  readonly name: string;
  readonly client: Redis;
  readonly breaker: Breaker;
  private readonly byOperation = new Map<string, OperationMetrics>();
  private readonly log;
  private readonly redact;
  private readonly healthTimeoutMs: number;
  private down = false;

  constructor(private readonly opts: RedisAdapterOptions) {
    this.name = opts.name;
    ({ log: this.log, redact: this.redact } = adapterLogging(opts, 'redis', urlSecrets(opts.url)));
    this.healthTimeoutMs = opts.healthCheckTimeoutMs ?? opts.breaker.timeoutMs;
    this.breaker = opts.breakers.create({
      name: opts.name,
      ...opts.breaker,
      isCallerError: (err) => redisErrorType(err) === REDIS_ERROR_TYPE.reply,
    });
    this.client = createRedisClient(opts.url, opts);
    // Without an 'error' listener ioredis prints every reconnect failure to stderr; log the first of each outage.
    this.client.on('error', (err: unknown) => {
      const fields = { err: this.redact(errorMessage(err)) };
      if (this.down) this.log.debug(fields, 'redis connection error');
      else this.log.warn(fields, 'redis connection lost; commands fail fast while it reconnects');
      this.down = true;
    });
    this.client.on('ready', () => {
      if (this.down) this.log.info('redis connection restored');
      this.down = false;
    });
  }

  run<T>(operation: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    let m: OperationMetrics;
    try {
      m = this.metricsFor(operation);
    } catch (err) {
      return Promise.reject(err); // an invalid operation label rejects like every other failure, never throws
    }
    return this.execute(operation, m, fn);
  }

  get(key: string): Promise<string | null> {
    return this.execute('get', this.metricsFor('get'), (c) => c.get(key));
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    await this.execute('set', this.metricsFor('set'), (c) => (ttlSeconds === undefined ? c.set(key, value) : c.set(key, value, 'EX', ttlSeconds)));
  }

  del(...keys: string[]): Promise<number> {
    return this.execute('del', this.metricsFor('del'), (c) => c.del(...keys));
  }

  exists(...keys: string[]): Promise<number> {
    return this.execute('exists', this.metricsFor('exists'), (c) => c.exists(...keys));
  }

  incr(key: string): Promise<number> {
    return this.execute('incr', this.metricsFor('incr'), (c) => c.incr(key));
  }

  async expire(key: string, seconds: number): Promise<boolean> {
    return (await this.execute('expire', this.metricsFor('expire'), (c) => c.expire(key, seconds))) === 1;
  }

  mget(...keys: string[]): Promise<(string | null)[]> {
    return this.execute('mget', this.metricsFor('mget'), (c) => c.mget(...keys));
  }

  async healthCheck(): Promise<void> {
    const check = async () => {
      if (this.client.status !== 'ready') {
        // Without an offline queue a PING before the connection is ready fails at once; wait for it instead.
        await new Promise<void>((resolve, reject) => {
          const onReady = () => {
            this.client.off('end', onEnd);
            resolve();
          };
          const onEnd = () => {
            this.client.off('ready', onReady);
            reject(new Error('redis connection ended'));
          };
          this.client.once('ready', onReady);
          this.client.once('end', onEnd);
        });
      }
      const reply = await this.client.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
    };
    try {
      await withTimeout(check(), this.healthTimeoutMs, `redis ${this.name} health check`);
    } catch (err) {
      throw new Error(`redis ${this.name} health check failed: ${this.redact(errorMessage(err))}`);
    }
  }

  async close(): Promise<void> {
    this.client.removeAllListeners('ready');
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private metricsFor(operation: string): OperationMetrics {
    let m = this.byOperation.get(operation);
    if (!m) {
      checkOperation(operation, `redis ${this.name}`);
      const labels = { [LABEL.dependency]: this.name, [LABEL.operation]: operation };
      m = {
        ops: this.opts.metrics.redisOperationsTotal.labels(labels),
        duration: this.opts.metrics.redisOperationDurationSeconds.labels(labels),
      };
      this.byOperation.set(operation, m);
    }
    return m;
  }

  private async execute<T>(operation: string, m: OperationMetrics, fn: (client: Redis) => Promise<T>): Promise<T> {
    m.ops.inc();
    const start = performance.now();
    const call = this.opts.onCallStart?.();
    try {
      const value = await this.breaker.fire(() => fn(this.client));
      const ms = performance.now() - start;
      m.duration.observe(ms / 1000);
      this.opts.onCallLatency?.(ms);
      return value;
    } catch (err) {
      const errorType = redisErrorType(err);
      if (errorType !== REDIS_ERROR_TYPE.circuitOpen) m.duration.observe((performance.now() - start) / 1000);
      this.opts.metrics.redisErrorsTotal.inc({ [LABEL.dependency]: this.name, [LABEL.operation]: operation, [LABEL.errorType]: errorType });
      if (errorType !== REDIS_ERROR_TYPE.circuitOpen && errorType !== REDIS_ERROR_TYPE.reply) {
        this.log.warn({ operation, errorType, err: this.redact(errorMessage(err)) }, 'redis command failed');
      }
      throw err;
    } finally {
      if (call !== undefined) this.opts.onCallEnd?.(call);
    }
  }
}

/** A Redis dependency: fail-fast client, breaker, metrics and logs. */
export function createRedisAdapter(opts: RedisAdapterOptions): RedisAdapter {
  return new RedisAdapterImpl(opts);
}
