import { isIP } from 'node:net';
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
import { FALSE_VALUES, TRUE_VALUES } from '../flags/flags';
import { CERT_CHAIN_ERRORS, CERT_HOST_ERROR, CERT_VALIDITY_ERRORS } from '../tls/cert-errors';

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
  /** redis:// or rediss:// URL (its password is never logged). One of `url` and `connection`. */
  readonly url?: string;
  /** Instead of `url`: the settings one by one (REDIS_HOST, REDIS_PORT, …, see RedisConnectionSettings). */
  readonly connection?: RedisConnectionSettings;
  /** The variable each of `connection`'s settings was read from, for messages. @default REDIS_VARIABLES */
  readonly connectionVariables?: Readonly<Partial<Record<keyof RedisConnectionSettings, string>>>;
  /** TCP connect timeout in ms. @default min(breaker.timeoutMs, 2000) */
  readonly connectTimeoutMs?: number;
  /** Upper bound of the background reconnect backoff, in ms. @default 2000 */
  readonly maxReconnectDelayMs?: number;
  /** Further ioredis options; the fail-fast ones below always win. */
  readonly redisOptions?: Omit<RedisOptions, 'enableOfflineQueue' | 'maxRetriesPerRequest' | 'retryStrategy' | 'connectTimeout'>;
}

/** A connection given setting by setting: what a platform fills from an endpoint and an AUTH token secret's field. */
export interface RedisConnectionSettings {
  readonly host?: string;
  /** @default 6379 */
  readonly port?: number;
  /** An ACL user (Redis 6+, ElastiCache RBAC); without it AUTH authenticates the `default` user with `password` alone. */
  readonly username?: string;
  /** The AUTH token or the ACL user's password: a secret, never logged. */
  readonly password?: string;
  /**
   * `true` (or 1, yes, on): TLS, the server's certificate verified against the CAs this process trusts
   * (Node's bundled roots, which Amazon ElastiCache's certificates chain to, plus NODE_EXTRA_CA_CERTS)
   * and its host name; unset, `false` (0, no, off): plain TCP. Read with redisTls.
   */
  readonly tls?: string;
}

/** The variable of each setting unless a declaration names others. */
export const REDIS_VARIABLES: Readonly<Record<keyof RedisConnectionSettings, string>> = {
  host: 'REDIS_HOST',
  port: 'REDIS_PORT',
  username: 'REDIS_USERNAME',
  password: 'REDIS_PASSWORD',
  tls: 'REDIS_TLS',
};

/** What REDIS_TLS may say: the runtime's boolean words (as the feature flags take them), any case. */
export const REDIS_TLS_VALUES = { on: TRUE_VALUES, off: FALSE_VALUES } as const;

/** Whether TLS is on, or why the setting cannot be used (naming the variable; an odd value is not repeated). */
export function redisTls(value: string | undefined, variable: string = REDIS_VARIABLES.tls): { readonly ok: true; readonly tls: boolean } | { readonly ok: false; readonly problems: readonly { readonly setting: 'tls'; readonly message: string }[] } {
  const v = value?.trim().toLowerCase();
  if (!v) return { ok: true, tls: false };
  if (REDIS_TLS_VALUES.on.includes(v)) return { ok: true, tls: true };
  if (REDIS_TLS_VALUES.off.includes(v)) return { ok: true, tls: false };
  const shown = /^[A-Za-z0-9_-]{1,24}$/.test(value!.trim()) ? `${variable}=${value!.trim()}` : `${variable} (value not shown)`;
  const accepted = [...REDIS_TLS_VALUES.on, ...REDIS_TLS_VALUES.off].join(', ');
  return { ok: false, problems: [{ setting: 'tls', message: `${shown} is not true or false: use one of ${accepted} (true: TLS, the server's certificate verified; false or unset: plain TCP)` }] };
}


/**
 * Errors no reconnect can cure (authentication refused, a server certificate that does not verify):
 * a health check reports them at once instead of waiting for a connection that will not come.
 */
function isConfigurationError(err: unknown): boolean {
  const e = errorFields(err);
  if (!e) return false;
  if (/^(NOAUTH|WRONGPASS)\b/.test(e.message) || e.message.includes('invalid password')) return true;
  return typeof e.code === 'string' && (CERT_CHAIN_ERRORS.has(e.code) || CERT_VALIDITY_ERRORS.has(e.code) || e.code === CERT_HOST_ERROR);
}

/** What to do about an authentication or TLS failure of a split connection, naming its variables; '' otherwise. */
function redisHint(err: unknown, connection: RedisConnectionSettings | undefined, variables: Readonly<Record<keyof RedisConnectionSettings, string>>): string {
  const e = errorFields(err);
  if (!e || !connection) return '';
  if (/^NOAUTH\b/.test(e.message)) return ` (the server requires authentication: set ${variables.password})`;
  if (/^WRONGPASS\b/.test(e.message) || e.message.includes('invalid password')) {
    const who = connection.username ? `${variables.username} and ${variables.password} do` : `${variables.password} does`;
    return ` (${who} not match what the server expects: the AUTH token, or the ACL user's password)`;
  }
  if (typeof e.code === 'string' && (CERT_CHAIN_ERRORS.has(e.code) || CERT_VALIDITY_ERRORS.has(e.code))) {
    return ` (${variables.tls}=true: the server's certificate does not verify against the CAs this process trusts, Node's bundled roots (which Amazon ElastiCache's chain to) and NODE_EXTRA_CA_CERTS; for a private CA, add it with NODE_EXTRA_CA_CERTS)`;
  }
  if (e.code === CERT_HOST_ERROR) {
    return ` (${variables.tls}=true: the server's certificate does not name ${variables.host}=${connection.host ?? ''}; connect by a name the certificate holds)`;
  }
  return '';
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
export function createRedisClient(
  target: string | RedisOptions,
  opts: Pick<RedisAdapterOptions, 'connectTimeoutMs' | 'maxReconnectDelayMs' | 'redisOptions' | 'breaker'> & { readonly lazyConnect?: boolean },
): Redis {
  const maxDelay = opts.maxReconnectDelayMs ?? 2_000;
  const { Redis: RedisClient } = loadPeer<typeof import('ioredis')>('ioredis', 'redis');
  const options: RedisOptions = {
    ...opts.redisOptions,
    ...(typeof target === 'string' ? {} : target),
    ...(opts.lazyConnect ? { lazyConnect: true } : {}),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: opts.connectTimeoutMs ?? Math.min(opts.breaker.timeoutMs, 2_000),
    // How long a closing socket may linger before it is destroyed (ioredis' 2 s default keeps a process alive on shutdown).
    disconnectTimeout: Math.min(opts.breaker.timeoutMs, 2_000),
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay),
  };
  return typeof target === 'string' ? new RedisClient(target, options) : new RedisClient(options);
}

/** ioredis' connection options for split settings; TLS (when on) verifies the server against Node's trusted CAs and the host name. */
function splitClientOptions(connection: RedisConnectionSettings, tls: boolean, redisOptions: RedisAdapterOptions['redisOptions']): RedisOptions {
  const host = connection.host?.trim();
  return {
    ...(host ? { host } : {}),
    ...(connection.port !== undefined ? { port: connection.port } : {}),
    ...(connection.username ? { username: connection.username } : {}),
    ...(connection.password ? { password: connection.password } : {}),
    // SNI takes a name, never an address; either way Node checks the certificate against the host.
    // REDIS_TLS decides: a `tls` in redisOptions only adds to it (a test's CA), never turns it on.
    tls: tls ? { ...(host && !isIP(host) ? { servername: host } : {}), ...redisOptions?.tls, rejectUnauthorized: true } : undefined,
  };
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
  private readonly variables: Readonly<Record<keyof RedisConnectionSettings, string>>;
  /** Why this adapter never connects (unusable TLS settings): every command and check fails with it. */
  private readonly refusal?: string;
  private down = false;

  constructor(private readonly opts: RedisAdapterOptions) {
    this.name = opts.name;
    const secrets = opts.connection ? (opts.connection.password ? [opts.connection.password] : []) : urlSecrets(opts.url);
    ({ log: this.log, redact: this.redact } = adapterLogging(opts, 'redis', secrets));
    this.healthTimeoutMs = opts.healthCheckTimeoutMs ?? opts.breaker.timeoutMs;
    this.breaker = opts.breakers.create({
      name: opts.name,
      ...opts.breaker,
      isCallerError: (err) => redisErrorType(err) === REDIS_ERROR_TYPE.reply,
    });
    this.variables = { ...REDIS_VARIABLES, ...opts.connectionVariables };
    if (opts.connection) {
      const tls = redisTls(opts.connection.tls, this.variables.tls);
      // Unusable TLS settings: never connect (no fall back to plain text); every call fails naming them.
      if (!tls.ok) this.refusal = tls.problems.map((p) => p.message).join('; ');
      this.client = createRedisClient(splitClientOptions(opts.connection, tls.ok && tls.tls, opts.redisOptions), { ...opts, lazyConnect: !tls.ok || opts.redisOptions?.lazyConnect });
    } else {
      this.client = createRedisClient(opts.url ?? '', opts);
    }
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
    let stopWaiting: () => void = () => undefined;
    const check = async () => {
      if (this.refusal) throw new Error(this.refusal);
      if (this.client.status !== 'ready') {
        // Without an offline queue a PING before the connection is ready fails at once; wait for it instead.
        // Refused authentication or an unverifiable certificate will not cure itself: report it at once.
        await new Promise<void>((resolve, reject) => {
          const off = () => {
            this.client.off('ready', onReady);
            this.client.off('end', onEnd);
            this.client.off('error', onError);
          };
          const onReady = () => {
            off();
            resolve();
          };
          const onEnd = () => {
            off();
            reject(new Error('redis connection ended'));
          };
          const onError = (err: unknown) => {
            if (!isConfigurationError(err)) return;
            off();
            reject(err);
          };
          stopWaiting = off;
          this.client.once('ready', onReady);
          this.client.once('end', onEnd);
          this.client.on('error', onError);
        });
      }
      const reply = await this.client.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
    };
    try {
      await withTimeout(check(), this.healthTimeoutMs, `redis ${this.name} health check`);
    } catch (err) {
      throw new Error(`redis ${this.name} health check failed: ${this.redact(errorMessage(err))}${redisHint(err, this.opts.connection, this.variables)}`);
    } finally {
      stopWaiting();
    }
  }

  async close(): Promise<void> {
    this.client.removeAllListeners('ready');
    // A client that never connected (lazy, refused settings): QUIT would connect first.
    if (this.client.status === 'wait') return this.client.disconnect();
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
      const value = await this.breaker.fire(() => (this.refusal ? Promise.reject(new Error(this.refusal)) : fn(this.client)));
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
