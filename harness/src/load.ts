/**
 * A bounded, gentle load generator for fault tests: it starts `ratePerSecond` requests a second
 * (open loop, so a hanging dependency does not stop the load) with at most `maxInFlight` at once,
 * over fetch's keep-alive connections to 127.0.0.1, and records every outcome: the status, or
 * the kind of connection error (refused, reset, timeout) when there was no response.
 */
import { randomUUID } from 'node:crypto';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface LoadRequest {
  readonly method: HttpMethod;
  readonly path: string;
  /** The route template the request is counted under, e.g. `/providers/:id`. */
  readonly route: string;
  readonly body?: unknown;
  /** More request headers (a write's API key). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Keep the response body (parsed JSON) in the result, e.g. to check writes afterwards. */
  readonly keepBody?: boolean;
}

/** What happened to a request that got no HTTP response. */
export type ConnectionError = 'refused' | 'reset' | 'timeout' | 'other';

export interface LoadResult {
  readonly request: LoadRequest;
  readonly correlationId: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status?: number;
  readonly retryAfter?: string;
  readonly error?: ConnectionError;
  /** The underlying error code (ECONNRESET, UND_ERR_SOCKET, ...), for the report. */
  readonly errorCode?: string;
  readonly body?: unknown;
}

export interface RouteStats {
  readonly total: number;
  /** Count by status code, or by `error:<kind>` for requests without a response. */
  readonly outcomes: Readonly<Record<string, number>>;
}

export interface LoadOptions {
  readonly baseUrl: string;
  /** Picks the next request to send. */
  readonly next: () => LoadRequest;
  /** @default 20 */
  readonly ratePerSecond?: number;
  /** Starts are skipped (and counted) while this many requests are in flight. @default 8 */
  readonly maxInFlight?: number;
  /** A request without a response after this long counts as `timeout`. @default 40000 */
  readonly timeoutMs?: number;
}

export interface LoadGenerator {
  /** Every finished request, in the order they finished. */
  readonly results: readonly LoadResult[];
  readonly inFlight: number;
  /** Starts skipped because `maxInFlight` requests were already in flight. */
  readonly skipped: number;
  /** Stops starting requests (requests in flight carry on). */
  pause(): void;
  resume(): void;
  /** Finished requests per route (optionally only those started in [from, to)). */
  stats(from?: number, to?: number): Record<string, RouteStats>;
  /** Stops starting requests and waits for those in flight to finish. */
  stop(): Promise<void>;
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Classifies a fetch failure: a refused connection is a clean "not here"; a reset broke a request on the wire. */
export function classifyConnectionError(err: unknown): { error: ConnectionError; errorCode?: string } {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { error: 'timeout', errorCode: err.name };
  const code = errorCode(err);
  if (code === 'ECONNREFUSED') return { error: 'refused', errorCode: code };
  // UND_ERR_SOCKET is undici's "other side closed" / "socket hang up": the connection dropped under a request.
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return { error: 'reset', errorCode: code };
  return { error: 'other', errorCode: code ?? (err instanceof Error ? err.message : String(err)) };
}

/** Sends one request the way the load does; never throws. */
export async function sendRequest(baseUrl: string, request: LoadRequest, timeoutMs = 40_000): Promise<LoadResult> {
  const correlationId = `load-${randomUUID()}`;
  const startedAt = Date.now();
  try {
    const res = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: {
        'x-correlation-id': correlationId,
        ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...request.headers,
      },
      body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown;
    if (request.keepBody) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const retryAfter = res.headers.get('retry-after') ?? undefined;
    return { request, correlationId, startedAt, endedAt: Date.now(), status: res.status, retryAfter, body };
  } catch (err) {
    return { request, correlationId, startedAt, endedAt: Date.now(), ...classifyConnectionError(err) };
  }
}

export function outcomeKey(r: LoadResult): string {
  return r.status !== undefined ? String(r.status) : `error:${r.error}`;
}

export function startLoad(options: LoadOptions): LoadGenerator {
  const rate = options.ratePerSecond ?? 20;
  const maxInFlight = options.maxInFlight ?? 8;
  if (!(rate > 0 && rate <= 500)) throw new RangeError(`ratePerSecond must be in (0, 500], got ${rate}`);
  if (!(maxInFlight >= 1)) throw new RangeError(`maxInFlight must be >= 1, got ${maxInFlight}`);
  const results: LoadResult[] = [];
  const pending = new Set<Promise<void>>();
  let skipped = 0;
  let paused = false;
  let stopped = false;

  const tick = () => {
    if (paused || stopped) return;
    if (pending.size >= maxInFlight) {
      skipped++;
      return;
    }
    const p: Promise<void> = sendRequest(options.baseUrl, options.next(), options.timeoutMs).then((r) => {
      results.push(r);
      pending.delete(p);
    });
    pending.add(p);
  };
  const timer = setInterval(tick, 1000 / rate);

  return {
    results,
    get inFlight() {
      return pending.size;
    },
    get skipped() {
      return skipped;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    stats(from = 0, to = Number.POSITIVE_INFINITY) {
      const out: Record<string, { total: number; outcomes: Record<string, number> }> = {};
      for (const r of results) {
        if (r.startedAt < from || r.startedAt >= to) continue;
        const s = (out[r.request.route] ??= { total: 0, outcomes: {} });
        s.total++;
        const key = outcomeKey(r);
        s.outcomes[key] = (s.outcomes[key] ?? 0) + 1;
      }
      return out;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (pending.size) await Promise.all([...pending]);
    },
  };
}
