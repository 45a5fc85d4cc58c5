import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

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

/** The caller's correlation id when it is a sane token (a repeated header only with one value), else undefined. */
export function saneCorrelationId(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  return value !== undefined && value.length <= 128 && SANE_CORRELATION_ID.test(value) ? value : undefined;
}

/**
 * The correlation id to use for an incoming request: the caller's `X-Correlation-ID` when it is a
 * sane token, otherwise a new id (see newRequestId).
 */
export function acceptCorrelationId(header: string | string[] | undefined): string {
  return saneCorrelationId(header) ?? newRequestId();
}

// Request ids: a random per-process prefix (64 bits, unguessable) and a counter, which makes them
// unique per process without a random UUID per request (~0.15 µs each). Uses only hex digits,
// '-' and base-36 digits, so the id is itself a sane correlation id for the next hop.
const REQUEST_ID_PREFIX = `${randomBytes(8).toString('hex')}-`;
let requestCounter = 0;

/** A new request id (always generated, never taken from the caller): unique within this process. */
export function newRequestId(): string {
  return REQUEST_ID_PREFIX + (++requestCounter).toString(36);
}

/**
 * A context made by newRequestContext: both ids are known to be sane tokens (no character JSON
 * would escape), so the JSON of the two log fields is built once, without JSON.stringify.
 */
export class IncomingRequestContext implements RequestContext {
  /** `,"correlation_id":"…","request_id":"…"` as written on each of the request's log lines. */
  readonly idsJson: string;
  constructor(
    readonly correlationId: string,
    readonly requestId: string,
  ) {
    this.idsJson = `,"correlation_id":"${correlationId}","request_id":"${requestId}"`;
  }
}

/**
 * `,"correlation_id":…,"request_id":…` for a log line: built once for a context made by
 * newRequestContext, JSON-encoded here for any other.
 */
export function contextFieldsJson(ctx: RequestContext): string {
  if (ctx instanceof IncomingRequestContext) return ctx.idsJson;
  return `,"correlation_id":${JSON.stringify(ctx.correlationId)},"request_id":${JSON.stringify(ctx.requestId)}`;
}

/**
 * The context of a new incoming request: a new request id, and the caller's correlation id when
 * sane; otherwise this request starts the unit of work and its request id is the correlation id.
 */
export function newRequestContext(correlationHeader: string | string[] | undefined): RequestContext {
  const requestId = newRequestId();
  return new IncomingRequestContext(saneCorrelationId(correlationHeader) ?? requestId, requestId);
}
