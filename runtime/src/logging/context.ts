import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What every log line written while handling one request carries. */
export interface RequestContext {
  /** Follows a unit of work across services (taken from `X-Correlation-ID` when sane). */
  readonly correlationId: string;
  /** Unique to this one request in this one process. */
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn(...args)` with `ctx` as the current context; every log line inside carries its ids.
 * Passing args instead of a closure spares an allocation per request on hot paths.
 */
export function runWithContext<A extends unknown[], T>(ctx: RequestContext, fn: (...args: A) => T, ...args: A): T {
  return storage.run(ctx, fn, ...args);
}

/**
 * Makes `ctx` the current context for the rest of this synchronous execution and everything it
 * schedules (AsyncLocalStorage.enterWith). For frameworks whose hooks cannot wrap the handler.
 */
export function enterContext(ctx: RequestContext): void {
  storage.enterWith(ctx);
}

/** The context of the request being handled, or undefined outside any request. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

// Letters, digits and . _ : - only: no spaces, quotes or newlines that could forge log content.
const SANE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The correlation id to use for an incoming request: the caller's `X-Correlation-ID` when it is a
 * sane token, otherwise a new UUID. A repeated header (array) is only accepted when it has one value.
 */
export function acceptCorrelationId(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  if (value !== undefined && value.length <= 128 && SANE_CORRELATION_ID.test(value)) return value;
  return randomUUID();
}

/** A new request id (always generated, never taken from the caller). */
export function newRequestId(): string {
  return randomUUID();
}
