import type { IncomingMessage, ServerResponse } from 'node:http';

/** The route both servers answer; the instrumented one labels it with this template. */
export const BENCH_ROUTE = '/providers/:id';

const BODY = JSON.stringify({ id: 42, name: 'Acme Supplies', category: 'logistics', city: 'Valencia', version: 3 });
const BODY_LENGTH = String(Buffer.byteLength(BODY));

/** Counts answered requests so the server can report its own requests per measured window. */
export const served = { count: 0 };

/** The handler under test, identical on both sides: a small JSON answer, no I/O. */
export function benchHandler(_req: IncomingMessage, res: ServerResponse): void {
  served.count++;
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', BODY_LENGTH);
  res.end(BODY);
}
