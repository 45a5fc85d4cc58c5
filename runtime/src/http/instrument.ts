import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { newRequestContext, runWithContext, type RequestContext } from '../logging/context';
import type { RuntimeMetrics } from '../metrics/registry';
import { HEALTH_ROUTES } from './health';
import { CORRELATION_HEADER } from './paths';
import { setCorrelationHeader } from './correlation-header';
import { CLIENT_CLOSED_STATUS, methodLabel, RequestRecorder } from './recorder';
import { sendJson } from './respond';
import { createRouteMatcher, type RouteMatcher } from './routes';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface InstrumentOptions {
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  /** Route templates of the business endpoints (e.g. the declaration's `routes`); health paths are added. */
  readonly routes: readonly string[];
}

class Instrumentation {
  readonly recorder: RequestRecorder;
  readonly matchRoute: RouteMatcher;

  constructor(
    readonly handler: NodeHandler,
    readonly logger: Logger,
    metrics: RuntimeMetrics,
    routes: readonly string[],
  ) {
    this.recorder = new RequestRecorder(metrics, logger);
    this.matchRoute = createRouteMatcher([...routes, ...HEALTH_ROUTES]);
  }

  /** Records the finished request; 'close' fires once per response, after 'finish' or when the client goes away first. */
  finish(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, startMs: number): void {
    const method = methodLabel(req.method);
    const url = req.url ?? '/';
    const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED_STATUS;
    this.recorder.end(method, this.matchRoute(method, url), pathOf(url), status, performance.now() - startMs, ctx);
  }

  fail(err: unknown, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
    this.logger.error({ err, method: methodLabel(req.method), path: pathOf(req.url) }, 'request handler failed');
    if (!res.headersSent) {
      sendJson(res, 500, { error: 'internal_error', correlation_id: ctx.correlationId });
    } else if (!res.writableEnded) {
      // Part of the body is out: cut the connection so the client cannot take it as complete.
      res.destroy();
    }
  }
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function invoke(instrumentation: Instrumentation, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
  try {
    const result = instrumentation.handler(req, res);
    if (result !== undefined && typeof result.then === 'function') {
      result.then(undefined, (err: unknown) => instrumentation.fail(err, req, res, ctx));
    }
  } catch (err) {
    instrumentation.fail(err, req, res, ctx);
  }
}

/**
 * Wraps a node:http request handler: runs it in a correlation context (X-Correlation-ID in and
 * out), records the HTTP metrics under the route template, writes one access-log line when the
 * response ends, and turns a thrown or rejected handler into a 500 instead of a crash.
 */
export function instrumentHandler(handler: NodeHandler, options: InstrumentOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const instrumentation = new Instrumentation(handler, options.logger, options.metrics, options.routes);
  return (req, res) => {
    const startMs = performance.now();
    const ctx = newRequestContext(req.headers[CORRELATION_HEADER]);
    setCorrelationHeader(res, ctx.correlationId);
    instrumentation.recorder.begin();
    // A closure rather than state stored on `res`: adding a property to node's response objects
    // goes through V8's slow megamorphic path on every request.
    res.on('close', () => instrumentation.finish(req, res, ctx, startMs));
    runWithContext(ctx, invoke, instrumentation, req, res, ctx);
  };
}
