import type { ServerResponse } from 'node:http';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Writes `body` as a JSON response (unless the response was already ended). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string | number>>,
): void {
  if (res.writableEnded) return;
  const payload = JSON.stringify(body);
  if (!res.headersSent) {
    res.statusCode = status;
    if (headers) for (const name of Object.keys(headers)) res.setHeader(name, headers[name]!);
    res.setHeader('content-type', JSON_TYPE);
    res.setHeader('content-length', Buffer.byteLength(payload));
  }
  res.end(payload);
}

export interface RefusalOptions {
  /** @default 503 */
  readonly status?: number;
  /** When the client may retry, sent as `Retry-After` (whole seconds, rounded up). */
  readonly retryAfterSeconds: number;
  /** Why the request is refused (e.g. "database is read-only"); must not contain secrets. */
  readonly reason: string;
}

const ERROR_BY_STATUS: Readonly<Record<number, string>> = {
  429: 'too_many_requests',
  503: 'service_unavailable',
};

/** The JSON body of a refusal, for frameworks that send bodies themselves (e.g. Fastify's reply). */
export function refusalBody(options: RefusalOptions): { status: number; retryAfter: number; body: Record<string, unknown> } {
  const status = options.status ?? 503;
  if (!Number.isFinite(options.retryAfterSeconds) || options.retryAfterSeconds < 0) {
    throw new Error(`refuse: retryAfterSeconds must be a number of seconds >= 0 (got ${String(options.retryAfterSeconds)})`);
  }
  const retryAfter = Math.ceil(options.retryAfterSeconds);
  return {
    status,
    retryAfter,
    body: { error: ERROR_BY_STATUS[status] ?? 'unavailable', reason: options.reason, retry_after_seconds: retryAfter },
  };
}

/**
 * Refuses a request the service cannot serve right now (default 503), with `Retry-After` and a
 * JSON body {error, reason, retry_after_seconds}: how writes are refused in MINIMAL and business
 * routes in EMERGENCY.
 */
export function refuse(res: ServerResponse, options: RefusalOptions): void {
  const { status, retryAfter, body } = refusalBody(options);
  sendJson(res, status, body, { 'retry-after': retryAfter });
}
