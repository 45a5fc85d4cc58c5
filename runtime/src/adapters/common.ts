import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Breaker } from '../breakers/breaker';
import { BreakerOpenError, BreakerTimeoutError } from '../breakers/errors';
import type { BreakerRegistry } from '../breakers/registry';
import type { BreakerSettings, DependencyKind } from '../declaration/types';
import type { RuntimeMetrics } from '../metrics/registry';
import { SecretRedactor } from '../secrets/redact';
import { deadline } from '../degradation/check';

/** What every adapter needs from the runtime. */
export interface AdapterContext {
  readonly breakers: BreakerRegistry;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  /** Extra redaction for log lines; each adapter also redacts its own URL password or API key. */
  readonly redactor?: SecretRedactor;
}

export interface AdapterBaseOptions extends AdapterContext {
  /** The dependency's name in the declaration; also the breaker's name and the `dependency` log field. */
  readonly name: string;
  readonly breaker: BreakerSettings;
  /** Time a health check may take, in ms. @default breaker.timeoutMs */
  readonly healthCheckTimeoutMs?: number;
  /** Called with the latency (ms) of every successful call; the runtime feeds it to the degradation manager's slowness detection. */
  readonly onCallLatency?: (ms: number) => void;
  /** Called as a call starts; its result goes to onCallEnd when it ends, however it ends (the runtime watches for hangs). */
  readonly onCallStart?: () => number;
  readonly onCallEnd?: (call: number) => void;
}

/** The part of every adapter the startup validator and the degradation manager use. */
export interface DependencyAdapter {
  readonly name: string;
  readonly kind: DependencyKind;
  readonly breaker: Breaker;
  /** A direct probe that BYPASSES the breaker; resolves when healthy, rejects (with a redacted message) when not. */
  healthCheck(): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** error_type values shared by every adapter (each adds its own). */
export const COMMON_ERROR_TYPE = {
  circuitOpen: 'circuit_open',
  timeout: 'timeout',
  connection: 'connection',
  other: 'other',
} as const;

/** Runs a health check and measures it: `{ ok, seconds, error }`, never throws. */
export async function measureHealthCheck(adapter: Pick<DependencyAdapter, 'healthCheck'>): Promise<{ ok: boolean; seconds: number; error?: string }> {
  const start = performance.now();
  try {
    await adapter.healthCheck();
    return { ok: true, seconds: (performance.now() - start) / 1000 };
  } catch (err) {
    return { ok: false, seconds: (performance.now() - start) / 1000, error: errorMessage(err) };
  }
}

/**
 * Rejects with a timeout error when `promise` does not settle within `ms` (an answer that arrived
 * while this process was stalled still counts: see `deadline`); clears its timer either way.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = deadline(ms, () => reject(new Error(`${what} timed out after ${ms} ms`)));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The fields of an error-like value. Duck-typed on purpose: errors raised by Node's core (socket
 * errors) come from another realm than the caller's `Error` under some runners, so `instanceof` misses them.
 */
export function errorFields(err: unknown): { name: string; message: string; code?: unknown } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  if (typeof e.message !== 'string') return undefined;
  return { name: typeof e.name === 'string' ? e.name : 'Error', message: e.message, code: e.code };
}

export function errorMessage(err: unknown): string {
  const e = errorFields(err);
  if (e) return e.message || e.name;
  return String(err);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** True for Node socket errors (refused, reset, unreachable). */
export function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** circuit_open / timeout for the breaker's own errors, undefined otherwise. */
export function breakerErrorType(err: unknown): string | undefined {
  if (err instanceof BreakerOpenError) return COMMON_ERROR_TYPE.circuitOpen;
  if (err instanceof BreakerTimeoutError) return COMMON_ERROR_TYPE.timeout;
  return undefined;
}

/** Secrets found in a connection URL (its password), for a SecretRedactor. */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const u = new URL(url);
    return u.password ? [u.password, decodeURIComponent(u.password)] : [];
  } catch {
    return [];
  }
}

/** The dependency's child logger and a redact function covering the adapter's own secrets too. */
export function adapterLogging(opts: AdapterBaseOptions, kind: DependencyKind, secrets: string[]): { log: Logger; redact: (text: string) => string } {
  const own = new SecretRedactor(secrets);
  const extra = opts.redactor;
  return {
    log: opts.logger.child({ dependency: opts.name, kind }),
    redact: (text) => own.redact(extra ? extra.redact(text) : text),
  };
}

/** Label values must stay bounded: an operation name is a short identifier written in code. */
const OPERATION_RE = /^[a-z][a-z0-9_.]{0,47}$/;
export function checkOperation(operation: string, dependency: string): string {
  if (!OPERATION_RE.test(operation)) {
    throw new Error(
      `${dependency}: operation ${JSON.stringify(operation.slice(0, 60))} is not a valid metric label; use a short lowercase name like "get" or "put_object" (letters, digits, _ and .)`,
    );
  }
  return operation;
}
