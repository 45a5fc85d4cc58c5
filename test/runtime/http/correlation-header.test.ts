import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setCorrelationHeader } from '../../../runtime/src/http/correlation-header';

/**
 * setCorrelationHeader writes the header where node:http keeps a response's headers instead of
 * calling setHeader: whatever the handler does with headers afterwards must see it as if
 * setHeader had set it, on a real server.
 */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void, id: string): Promise<{ headers: Headers; body: string }> {
  const server = createServer((req, res) => {
    setCorrelationHeader(res, id);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { headers: res.headers, body: await res.text() };
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

describe('setCorrelationHeader', () => {
  it('is sent, and is visible to getHeader/hasHeader/getHeaders/getHeaderNames before it is', async () => {
    let seen: unknown[] = [];
    const { headers } = await serve((_req, res) => {
      seen = [res.getHeader('x-correlation-id'), res.hasHeader('X-Correlation-ID'), res.getHeaders()['x-correlation-id'], res.getHeaderNames()];
      res.setHeader('content-type', 'text/plain');
      res.end('ok');
    }, 'abc-1');
    expect(headers.get('x-correlation-id')).toBe('abc-1');
    expect(headers.get('content-type')).toBe('text/plain');
    expect(seen).toEqual(['abc-1', true, 'abc-1', ['x-correlation-id']]);
  });

  it('merges with writeHead headers, can be replaced or removed by the handler', async () => {
    expect((await serve((_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'), 'id-2')).headers.get('x-correlation-id')).toBe('id-2');
    const replaced = await serve((_req, res) => {
      res.setHeader('X-Correlation-ID', 'handler-chose');
      res.end();
    }, 'id-3');
    expect(replaced.headers.get('x-correlation-id')).toBe('handler-chose');
    const removed = await serve((_req, res) => {
      res.removeHeader('x-correlation-id');
      res.end();
    }, 'id-4');
    expect(removed.headers.get('x-correlation-id')).toBeNull();
  });

  it('sets it on many responses in a row, each with its own value', async () => {
    for (let i = 0; i < 20; i++) {
      const { headers, body } = await serve((_req, res) => res.end(String(res.getHeader('x-correlation-id'))), `id-${i}`);
      expect(headers.get('x-correlation-id')).toBe(`id-${i}`);
      expect(body).toBe(`id-${i}`);
    }
  });
});

describe('setCorrelationHeader where node:http keeps headers differently', () => {
  it('falls back to setHeader, and keeps doing so', () => {
    jest.isolateModules(() => {
      // A fresh copy of the module, whose first response decides the path (as in a new process).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../../../runtime/src/http/correlation-header') as typeof import('../../../runtime/src/http/correlation-header');
      const calls: Array<[string, string]> = [];
      const fake = { headersSent: false, setHeader: (name: string, value: string) => calls.push([name, value]), getHeader: () => undefined, hasHeader: () => false };
      fresh.setCorrelationHeader(fake as never, 'a');
      fresh.setCorrelationHeader(fake as never, 'b');
      expect(calls).toEqual([
        ['x-correlation-id', 'a'],
        ['x-correlation-id', 'b'],
      ]);
    });
  });
});
