import { performance } from 'node:perf_hooks';
import type { Counter, Histogram } from 'prom-client';
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
  withTimeout,
  type AdapterBaseOptions,
  type DependencyAdapter,
} from './common';

export const CALL_ERROR_TYPE = {
  ...COMMON_ERROR_TYPE,
  clientError: 'client_error',
  serverError: 'server_error',
  throttled: 'throttled',
} as const;

/** The HTTP status an error carries: fetch-style `status`, Node `statusCode`, AWS SDK v3 `$metadata.httpStatusCode`. */
export function errorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; $metadata?: { httpStatusCode?: unknown } };
  for (const v of [e.status, e.statusCode, e.$metadata?.httpStatusCode]) if (typeof v === 'number') return v;
  return undefined;
}

export function callErrorType(err: unknown): string {
  const fromBreaker = breakerErrorType(err);
  if (fromBreaker) return fromBreaker;
  if (isNetworkError(err)) return CALL_ERROR_TYPE.connection;
  const name = errorFields(err)?.name ?? '';
  if (name === 'TimeoutError' || (err as { code?: unknown } | null)?.code === 'ETIMEDOUT') return CALL_ERROR_TYPE.timeout;
  const status = errorStatus(err);
  if (status !== undefined) {
    if (status === 429 || status === 503) return CALL_ERROR_TYPE.throttled;
    if (status >= 500) return CALL_ERROR_TYPE.serverError;
    if (status === 408) return CALL_ERROR_TYPE.timeout;
    if (status >= 400) return CALL_ERROR_TYPE.clientError;
  }
  return CALL_ERROR_TYPE.other;
}

/** Default caller-error rule: a 4xx other than 408 (timeout) and 429 (throttling) is the caller's fault. */
export function isHttpCallerError(err: unknown): boolean {
  const status = errorStatus(err);
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Where a call adapter counts its calls: its kind's call metrics (dependency_* for s3 and http). */
export interface CallMetricInstances {
  readonly calls: Pick<Counter<string>, 'inc'>;
  readonly errors: Pick<Counter<string>, 'inc'>;
  readonly duration: Pick<Histogram<string>, 'observe'>;
}

export interface CallAdapterOptions extends AdapterBaseOptions {
  /** The dependency's kind: s3, http, or a kind of the team's own. */
  readonly kind: string;
  /** @default dependency_requests_total, dependency_errors_total, dependency_request_duration_seconds */
  readonly callMetrics?: CallMetricInstances;
  /** The direct probe used by health checks (bypasses the breaker); reject when unhealthy. */
  readonly healthCheck: (signal: AbortSignal) => Promise<unknown>;
  /** @default isHttpCallerError */
  readonly isCallerError?: (err: unknown) => boolean;
  /** Maps an error to a bounded error_type label. @default callErrorType */
  readonly errorType?: (err: unknown) => string;
  /** Secrets the adapter's logs must never show (keys, tokens). */
  readonly secrets?: readonly string[];
}

export interface CallAdapter extends DependencyAdapter {
  readonly kind: string;
  /** Runs `fn` through the breaker and records its kind's call metrics (calls, errors, latency). */
  instrumentCall<T>(operation: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

class CallAdapterImpl implements CallAdapter {
  readonly kind: string;
  readonly name: string;
  readonly breaker: Breaker;
  private readonly log;
  private readonly redact;
  private readonly errorType: (err: unknown) => string;
  private readonly isCallerError: (err: unknown) => boolean;
  private readonly healthTimeoutMs: number;
  private readonly m: CallMetricInstances;

  constructor(private readonly opts: CallAdapterOptions) {
    this.kind = opts.kind;
    this.name = opts.name;
    ({ log: this.log, redact: this.redact } = adapterLogging(opts, opts.kind, [...(opts.secrets ?? [])]));
    this.errorType = opts.errorType ?? callErrorType;
    this.isCallerError = opts.isCallerError ?? isHttpCallerError;
    this.healthTimeoutMs = opts.healthCheckTimeoutMs ?? opts.breaker.timeoutMs;
    this.breaker = opts.breakers.create({ name: opts.name, ...opts.breaker, isCallerError: this.isCallerError });
    this.m = opts.callMetrics ?? {
      calls: opts.metrics.dependencyRequestsTotal,
      errors: opts.metrics.dependencyErrorsTotal,
      duration: opts.metrics.dependencyRequestDurationSeconds,
    };
  }

  async instrumentCall<T>(operation: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    checkOperation(operation, `${this.kind} ${this.name}`);
    const m = this.m;
    const labels = { [LABEL.dependency]: this.name, [LABEL.operation]: operation };
    m.calls.inc(labels);
    const start = performance.now();
    const call = this.opts.onCallStart?.();
    try {
      // Always hand the signal on: `fn` may declare it or not, the breaker only creates one when it does.
      const result = await this.breaker.fire(fn.length > 0 ? (signal: AbortSignal) => fn(signal) : (fn as () => Promise<T>));
      const ms = performance.now() - start;
      m.duration.observe(labels, ms / 1000);
      this.opts.onCallLatency?.(ms);
      return result;
    } catch (err) {
      const errorType = breakerErrorType(err) ?? this.errorType(err);
      if (errorType !== CALL_ERROR_TYPE.circuitOpen) m.duration.observe(labels, (performance.now() - start) / 1000);
      m.errors.inc({ ...labels, [LABEL.errorType]: errorType });
      if (errorType !== CALL_ERROR_TYPE.circuitOpen && !this.isCallerError(err)) {
        this.log.warn({ operation, errorType, err: this.redact(errorMessage(err)) }, `${this.kind} call failed`);
      }
      throw err;
    } finally {
      if (call !== undefined) this.opts.onCallEnd?.(call);
    }
  }

  async healthCheck(): Promise<void> {
    const controller = new AbortController();
    try {
      await withTimeout(this.opts.healthCheck(controller.signal), this.healthTimeoutMs, `${this.kind} ${this.name} health check`);
    } catch (err) {
      controller.abort();
      throw new Error(`${this.kind} ${this.name} health check failed: ${this.redact(errorMessage(err))}`);
    }
  }

  async close(): Promise<void> {}
}

/** A generic async dependency (S3, an HTTP API, a kind of the team's own): breaker + its kind's call metrics around any call. */
export function createCallAdapter(opts: CallAdapterOptions): CallAdapter {
  return new CallAdapterImpl(opts);
}
