import { COMMON_ERROR_TYPE, isNetworkError } from '../adapters/common';
import { DB_ERROR_TYPE, postgresErrorType } from '../adapters/postgres';
import { BreakerOpenError, BreakerTimeoutError } from '../breakers/errors';

export interface Unavailability {
  readonly retryAfterSeconds: number;
  readonly reason: string;
}

const UNAVAILABLE_DB_TYPES = new Set<string>([COMMON_ERROR_TYPE.connection, COMMON_ERROR_TYPE.timeout, DB_ERROR_TYPE.resources]);

/**
 * Whether an error means "a dependency cannot serve right now" (breaker open, call timed out,
 * connection refused or lost) — answered with 503 + Retry-After, never 500. Returns undefined
 * for anything else (a bug, a bad request).
 */
export function dependencyUnavailable(err: unknown): Unavailability | undefined {
  if (err instanceof BreakerOpenError) {
    return { retryAfterSeconds: Math.max(1, Math.ceil(err.retryAfterMs / 1000)), reason: `${err.breaker} is unavailable (circuit open)` };
  }
  if (err instanceof BreakerTimeoutError) return { retryAfterSeconds: 1, reason: `${err.breaker} did not answer in time` };
  if (isNetworkError(err)) return { retryAfterSeconds: 1, reason: 'a dependency is unreachable' };
  if (err instanceof Error && (err as { code?: unknown }).code !== undefined && UNAVAILABLE_DB_TYPES.has(postgresErrorType(err))) {
    return { retryAfterSeconds: 1, reason: 'the database is unavailable' };
  }
  if (err instanceof Error && /^(Connection terminated|Client has encountered a connection error|Connection is closed)/.test(err.message)) {
    return { retryAfterSeconds: 1, reason: 'a dependency connection was lost' };
  }
  return undefined;
}
