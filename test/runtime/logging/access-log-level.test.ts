import Fastify from 'fastify';
import pino from 'pino';
import { bulwarkFastify, instrumentHandler } from '@bulwark/runtime';
import { ACCESS_LOG_MESSAGE, createLogger, createMetrics, METRICS, newRequestContext, sendJson, UNMATCHED_ENDPOINT } from '../../../runtime/src/internal';
import { RequestRecorder } from '../../../runtime/src/http/recorder';
import { waitFor } from '@bulwark/harness';
import { listen, seriesValue } from '../http/helpers';
import { LogCapture } from './capture';

/**
 * A scanner probing for paths gets a 404 for each: those lines (endpoint `unmatched`, status 404)
 * are written at debug, so they stay out of the info stream; every other answer keeps its level.
 */

const accessLines = (logs: LogCapture) => logs.entries.filter((e) => e.msg === ACCESS_LOG_MESSAGE);

describe('access-log level', () => {
  it.each([
    ['preformatted line', (logs: LogCapture) => logs],
    // A multistream destination makes the recorder write through pino's generic path.
    ['pino line', (logs: LogCapture) => pino.multistream([{ stream: logs, level: 'trace' }])],
  ])('(%s) unmatched 404 at debug; other 4xx, matched 404s and probes as before; 5xx at error', (_path, destinationFor) => {
    const logs = new LogCapture();
    const metrics = createMetrics({ nodeMetrics: false });
    const logger = createLogger({ service: 'providers', structured: true, level: 'debug', destination: destinationFor(logs), metrics });
    const recorder = new RequestRecorder(metrics, logger);
    const cases: Array<[string, number, string]> = [
      [UNMATCHED_ENDPOINT, 404, 'debug'],
      [UNMATCHED_ENDPOINT, 405, 'info'],
      [UNMATCHED_ENDPOINT, 401, 'info'],
      [UNMATCHED_ENDPOINT, 500, 'error'],
      ['/providers/:id', 404, 'info'],
      ['/providers/:id', 403, 'info'],
      ['/providers/:id', 503, 'error'],
      ['/health/live', 200, 'debug'],
    ];
    for (const [endpoint, status] of cases) {
      recorder.begin();
      recorder.end('GET', endpoint, `/x/${status}`, status, 1, newRequestContext(undefined));
    }
    expect(accessLines(logs).map((e) => [e.endpoint, e.status, e.level])).toEqual(cases);
  });

  it('at level info, unmatched 404s are counted but not written', async () => {
    const logs = new LogCapture();
    const metrics = createMetrics({ nodeMetrics: false });
    const recorder = new RequestRecorder(metrics, createLogger({ service: 'providers', structured: true, level: 'info', destination: logs, metrics }));
    for (let i = 0; i < 50; i++) recorder.end('GET', UNMATCHED_ENDPOINT, `/wp-admin/${i}.php`, 404, 1, newRequestContext(undefined));
    recorder.end('GET', '/providers/:id', '/providers/7', 404, 1, newRequestContext(undefined));
    expect(accessLines(logs).map((e) => e.path)).toEqual(['/providers/7']);
    expect(await seriesValue(metrics, METRICS.httpRequestsTotal.name, { method: 'GET', endpoint: UNMATCHED_ENDPOINT, status: '404' })).toBe(50);
  });

  it('through the Fastify plugin: a scanned path is a debug line, a missing record an info line', async () => {
    const logs = new LogCapture();
    const metrics = createMetrics({ nodeMetrics: false });
    const logger = createLogger({ service: 'providers', structured: true, level: 'debug', destination: logs, metrics });
    const app = Fastify({ logger: false });
    try {
      await app.register(bulwarkFastify, { metrics, logger });
      app.get('/providers/:id', async (_request, reply) => reply.code(404).send({ error: 'not_found' }));
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      expect((await fetch(`${url}/.env`)).status).toBe(404);
      expect((await fetch(`${url}/providers/404`)).status).toBe(404);
      await waitFor(() => accessLines(logs).length === 2, 10_000, 'two access lines');
      const byPath = Object.fromEntries(accessLines(logs).map((e) => [e.path, [e.endpoint, e.level]]));
      expect(byPath).toEqual({ '/.env': [UNMATCHED_ENDPOINT, 'debug'], '/providers/404': ['/providers/:id', 'info'] });
    } finally {
      await app.close();
    }
  });

  it('through instrumentHandler (node:http): the same', async () => {
    const logs = new LogCapture();
    const metrics = createMetrics({ nodeMetrics: false });
    const logger = createLogger({ service: 'providers', structured: true, level: 'debug', destination: logs, metrics });
    const server = await listen(instrumentHandler((_req, res) => sendJson(res, 404, { error: 'not_found' }), { metrics, logger, routes: ['/providers/:id'] }));
    try {
      expect((await fetch(`${server.url}/cgi-bin/luci`)).status).toBe(404);
      expect((await fetch(`${server.url}/providers/404`)).status).toBe(404);
      await waitFor(() => accessLines(logs).length === 2, 10_000, 'two access lines');
      const byPath = Object.fromEntries(accessLines(logs).map((e) => [e.path, [e.endpoint, e.level]]));
      expect(byPath).toEqual({ '/cgi-bin/luci': [UNMATCHED_ENDPOINT, 'debug'], '/providers/404': ['/providers/:id', 'info'] });
    } finally {
      await server.close();
    }
  });
});
