/**
 * The server under test, in its own process: `bare` (the handler on node:http), `instrumented`
 * (the same handler through the runtime's `createServer`: metrics, one access-log line,
 * correlation, health routes), `fastify-bare` and `fastify-bulwark` (a Fastify route without and
 * with the runtime's plugin), and the points of reference, each the bare handler plus one
 * common way of doing part of the job: `ref-prom-client` (a prom-client counter and histogram,
 * labels as objects), `ref-pino-line` (one pino line per request) and `ref-pino-http` (pino-http),
 * the last two writing to /dev/null through pino's documented asynchronous destination. It measures its own CPU (process.cpuUsage deltas) and requests over
 * the window the parent asks for, and reports them over IPC.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import pino from 'pino';
import pinoHttp from 'pino-http';
import { Counter, Histogram, Registry } from 'prom-client';
import { bulwarkFastify, createRuntime } from '@bulwark/runtime';
import { createLogDestination, DEFAULT_LOG_BUFFERING, LABEL, METRICS } from '../../runtime/src/internal';
import { providersService } from '../../lib/services/providers';
import { BENCH_ENV } from '../lib/env';
import { failToParent, onParentMessage, toParent } from '../lib/child';
import { measureWindow } from '../lib/window';
import { BENCH_ROUTE, benchHandler, served } from './handler';

export const SERVER_MODES = ['bare', 'instrumented', 'fastify-bare', 'fastify-bulwark', 'ref-prom-client', 'ref-pino-line', 'ref-pino-http'] as const;
export type ServerMode = (typeof SERVER_MODES)[number];

/**
 * The runtime as the example service gets it (its declaration: routes, secrets), except that its
 * log lines go to /dev/null instead of stdout, through the same sonic-boom destination with the
 * same buffering as the runtime's default: every line is really formatted and written.
 */
function runtimeForBench() {
  return createRuntime(providersService, { env: BENCH_ENV, logDestination: createLogDestination('/dev/null', DEFAULT_LOG_BUFFERING), admin: { port: 0 } });
}

const FASTIFY_BODY = { id: 42, name: 'Acme Supplies', category: 'logistics', city: 'Valencia', version: 3 };

/** pino's documented asynchronous destination (sonic-boom, 4 KB), to /dev/null. */
function referenceLogger() {
  return pino(pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 }));
}

function referenceHandler(mode: ServerMode): RequestListener | undefined {
  switch (mode) {
    case 'ref-prom-client': {
      const registry = new Registry();
      const requests = new Counter({ name: METRICS.httpRequestsTotal.name, help: 'requests', labelNames: [LABEL.method, LABEL.endpoint, LABEL.status], registers: [registry] });
      const duration = new Histogram({ name: METRICS.httpRequestDurationSeconds.name, help: 'duration', labelNames: [LABEL.method, LABEL.endpoint], registers: [registry] });
      return (req, res) => {
        const start = performance.now();
        benchHandler(req, res);
        const method = req.method ?? 'GET';
        requests.inc({ [LABEL.method]: method, [LABEL.endpoint]: BENCH_ROUTE, [LABEL.status]: String(res.statusCode) });
        duration.observe({ [LABEL.method]: method, [LABEL.endpoint]: BENCH_ROUTE }, (performance.now() - start) / 1000);
      };
    }
    case 'ref-pino-line': {
      const logger = referenceLogger();
      return (req, res) => {
        const start = performance.now();
        benchHandler(req, res);
        logger.info({ method: req.method, path: req.url, status: res.statusCode, duration_ms: performance.now() - start }, 'request completed');
      };
    }
    case 'ref-pino-http': {
      const middleware = pinoHttp({ logger: referenceLogger() });
      return (req, res) => {
        middleware(req, res);
        benchHandler(req, res);
      };
    }
    default:
      return undefined;
  }
}

async function listen(mode: ServerMode): Promise<{ port: number; close: () => Promise<void> }> {
  const reference = referenceHandler(mode);
  if (mode === 'bare' || mode === 'instrumented' || reference) {
    const server: Server = reference ? createServer(reference) : mode === 'bare' ? createServer(benchHandler) : runtimeForBench().createServer(benchHandler);
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as AddressInfo).port,
      close: () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    };
  }
  const app = Fastify({ logger: false });
  if (mode === 'fastify-bulwark') {
    const runtime = runtimeForBench();
    await app.register(bulwarkFastify, runtime.fastifyOptions());
  }
  app.get(BENCH_ROUTE, async () => {
    served.count++;
    return FASTIFY_BODY;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

async function main(): Promise<void> {
  const mode = process.argv[2] as ServerMode;
  if (!SERVER_MODES.includes(mode)) throw new Error(`bench server: mode must be one of ${SERVER_MODES.join(', ')} (got ${String(mode)})`);
  const server = await listen(mode);
  onParentMessage(async (m) => {
    if (m.type === 'measure') toParent(await measureWindow(() => served.count, Number(m.warmupMs), Number(m.durationMs)));
    else if (m.type === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
  toParent({ type: 'ready', port: server.port });
  if (!process.send) {
    // Run by hand (e.g. `node --cpu-prof --import tsx bench/http/server.ts instrumented`): print the
    // port, and exit normally on Ctrl-C so that --cpu-prof writes its profile.
    process.stdout.write(`${mode} listening on http://127.0.0.1:${server.port}\n`);
    process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
  }
}

main().catch(failToParent);
