import type { ServerResponse } from 'node:http';
import { CORRELATION_HEADER } from './paths';

/**
 * Sets X-Correlation-ID on a response. The value is always a valid header value already (a
 * generated request id, or a caller's id that passed saneCorrelationId), so instead of
 * `setHeader`, whose validation and flattening of the value cost as much as a fifth of a small
 * request's own work, it is written where node:http keeps a response's headers: an object under
 * its internal `kOutHeaders` symbol, `{ [lower-case name]: [name, value] }`. That layout is checked
 * on the first response (the value must read back through `getHeader`); anything else, and any
 * response whose headers are already sent, goes through `setHeader`.
 */
export function setCorrelationHeader(res: ServerResponse, value: string): void {
  if (outHeaders === undefined) outHeaders = findOutHeaders(res, value);
  if (outHeaders === null || res.headersSent) {
    res.setHeader(CORRELATION_HEADER, value);
    return;
  }
  const holder = res as unknown as Record<symbol, Record<string, [string, string]> | null>;
  const headers = holder[outHeaders];
  if (headers === null || headers === undefined) holder[outHeaders] = { __proto__: null, [CORRELATION_HEADER]: [CORRELATION_HEADER, value] } as unknown as Record<string, [string, string]>;
  else headers[CORRELATION_HEADER] = [CORRELATION_HEADER, value];
}

/** undefined: not looked for yet; null: not usable, use setHeader. */
let outHeaders: symbol | null | undefined;

function findOutHeaders(res: ServerResponse, probe: string): symbol | null {
  const symbol = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders');
  if (symbol === undefined || res.headersSent) return null;
  const holder = res as unknown as Record<symbol, unknown>;
  const before = holder[symbol];
  if (before !== null && (typeof before !== 'object' || Object.getPrototypeOf(before) !== null)) return null;
  holder[symbol] = { __proto__: null, [CORRELATION_HEADER]: [CORRELATION_HEADER, probe], ...(before as object | null) };
  const works = res.getHeader(CORRELATION_HEADER) === probe && res.hasHeader(CORRELATION_HEADER);
  holder[symbol] = before;
  return works ? symbol : null;
}
