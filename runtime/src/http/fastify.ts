import { performance } from 'node:perf_hooks';
import type { FastifyError, FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { newRequestContext, runWithContext, type RequestContext } from '../logging/context';
import { UNMATCHED_ENDPOINT } from '../metrics/catalog';
import type { RuntimeMetrics } from '../metrics/registry';
import { readinessResponse, type HealthResponse, type HealthSource } from './health';
import { CORRELATION_HEADER, HEALTH_PATH } from './paths';
import { refusalBody } from './respond';
import type { Capability } from '../degradation/levels';
import type { GuardResult } from '../degradation/manager';
import { CLIENT_CLOSED_STATUS, methodLabel, RequestRecorder } from './recorder';
import { rateLimitedBody, takeForRequest, type ClientRateLimit } from './rate-limit';
import { LABEL } from '../metrics/catalog';

export interface BulwarkFastifyOptions {
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  /**
   * When given, the plugin also serves `/health/ready` (for load balancer health checks). Metrics and
   * the full health report are not served here: the runtime's admin listener serves them on a port
   * of its own (or, without the runtime, `createHealthEndpoints` on a server of yours).
   */
  readonly health?: HealthSource;
  /**
   * Install an error handler that logs the error (with its correlation id) and answers 5xx with
   * {error: 'internal_error', correlation_id}: never the error's message, which may carry secrets.
   * @default true
   */
  readonly errorHandler?: boolean;
  /**
   * Recognises errors that mean a dependency cannot serve right now; the error handler answers
   * those with 503 + Retry-After instead of 500 (e.g. the runtime's `dependencyUnavailable`).
   */
  readonly unavailable?: (err: unknown) => { readonly retryAfterSeconds: number; readonly reason: string } | undefined;
  /**
   * The capabilities each route template needs (the declaration's `routeRequires`): those routes are
   * refused with 503 + Retry-After while one is unavailable. Needs `guard`.
   */
  readonly routeRequires?: Readonly<Record<string, readonly Capability[]>>;
  /** Whether a capability is available now (the runtime's `guard`). */
  readonly guard?: (capability: Capability) => GuardResult;
  /**
   * The per-client rate limit (the runtime's, from the declaration's `rateLimit`): a request over
   * its client's allowance is answered 429 + Retry-After before its handler runs, and counted in
   * `http_requests_rate_limited_total`. `/health/ready` is exempt: load balancers probe it.
   */
  readonly rateLimit?: ClientRateLimit;
}

interface TrackedRequest {
  readonly ctx: RequestContext;
  readonly startMs: number;
  recorded: boolean;
}

const TRACKED = Symbol('bulwark.tracked');
type WithTracking = FastifyRequest & { [TRACKED]?: TrackedRequest | null };

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function sendHealth(reply: FastifyReply, response: HealthResponse): FastifyReply {
  reply.code(response.status).headers(response.headers);
  return reply.send(response.body);
}

function registerReadinessRoute(fastify: FastifyInstance, health: HealthSource): void {
  fastify.get(HEALTH_PATH.ready, (_req, reply) => sendHealth(reply, readinessResponse(health)));
}

/**
 * Fastify 5 plugin: correlation context (X-Correlation-ID in and out), HTTP metrics labelled with
 * the route template (`request.routeOptions.url`, 'unmatched' for 404s), one access-log line per
 * request, and optionally `/health/ready`. Hooks apply to the whole instance (skip-override).
 * Keep Fastify's own logger off (`logger: false`, the default): this plugin's access log replaces it.
 */
export const bulwarkFastify: FastifyPluginCallback<BulwarkFastifyOptions> = (fastify, options, done) => {
  const { metrics, logger } = options;
  if (!metrics || !logger) {
    done(new Error('bulwarkFastify: options.metrics and options.logger are required (createMetrics(), createLogger())'));
    return;
  }
  const recorder = new RequestRecorder(metrics, logger);
  const { rateLimit } = options;
  // Declared up front so every request object has the property from the start (Fastify's advice:
  // adding it per request changes the object's shape and slows every access to it).
  if (!fastify.hasRequestDecorator(TRACKED)) fastify.decorateRequest(TRACKED, null);

  const record = (request: WithTracking, status: number): void => {
    const tracked = request[TRACKED];
    if (!tracked || tracked.recorded) return;
    tracked.recorded = true;
    const method = methodLabel(request.method);
    const endpoint = request.routeOptions.url ?? UNMATCHED_ENDPOINT;
    recorder.end(method, endpoint, pathOf(request.url), status, performance.now() - tracked.startMs, tracked.ctx);
  };

  fastify.addHook('onRequest', (request, reply, next) => {
    const ctx = newRequestContext(request.headers[CORRELATION_HEADER]);
    (request as WithTracking)[TRACKED] = { ctx, startMs: performance.now(), recorded: false };
    reply.header(CORRELATION_HEADER, ctx.correlationId);
    recorder.begin();
    // The raw path, not request.routeOptions (a getter that builds an object on every access).
    if (rateLimit && pathOf(request.url) !== HEALTH_PATH.ready) {
      const decision = takeForRequest(rateLimit, request.raw);
      if (!decision.allowed) {
        metrics.httpRequestsRateLimitedTotal.inc({ [LABEL.endpoint]: request.routeOptions.url ?? UNMATCHED_ENDPOINT });
        const { status, retryAfter, body } = rateLimitedBody(decision.retryAfterSeconds);
        // Answered here: the handler and the later hooks never run (onResponse still records it).
        reply.code(status).header('retry-after', retryAfter).send(body);
        return;
      }
    }
    // Everything after this hook (other hooks, the handler, onResponse) runs inside the context.
    runWithContext(ctx, next);
  });

  fastify.addHook('onResponse', (request, reply, next) => {
    record(request, reply.statusCode);
    next();
  });

  fastify.addHook('onRequestAbort', (request, next) => {
    record(request, CLIENT_CLOSED_STATUS);
    next();
  });

  if (options.errorHandler ?? true) {
    fastify.setErrorHandler((error: FastifyError, request, reply) => {
      const unavailable = options.unavailable?.(error);
      if (unavailable) {
        logger.warn({ err: error, method: methodLabel(request.method), path: pathOf(request.url) }, 'request refused: dependency unavailable');
        const { status, retryAfter, body } = refusalBody({ retryAfterSeconds: unavailable.retryAfterSeconds, reason: unavailable.reason });
        return reply.code(status).header('retry-after', retryAfter).send(body);
      }
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      if (status >= 500) {
        logger.error({ err: error, method: methodLabel(request.method), path: pathOf(request.url) }, 'request handler failed');
        const correlationId = (request as WithTracking)[TRACKED]?.ctx.correlationId;
        return reply.code(status).send({ error: 'internal_error', correlation_id: correlationId });
      }
      // Client errors (validation, bad JSON) describe the request, not the service's internals.
      return reply.code(status).send({ error: error.code ?? 'bad_request', message: error.message });
    });
  }

  const { routeRequires, guard } = options;
  if (routeRequires && guard && Object.keys(routeRequires).length > 0) {
    fastify.addHook('preHandler', (request, reply, next) => {
      const needs = request.routeOptions.url === undefined ? undefined : routeRequires[request.routeOptions.url];
      if (needs) refuseUnless(guard, needs, reply, next);
      else next();
    });
  }

  if (options.health) registerReadinessRoute(fastify, options.health);
  done();
};

// Without fastify-plugin: skip-override makes the hooks apply to the instance that registers the plugin.
(bulwarkFastify as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(bulwarkFastify as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'bulwark';

/**
 * A Fastify `preHandler` that refuses the route with 503 + Retry-After while `capability` is
 * unavailable at the current degradation level, e.g.
 * `app.post('/orders', { preHandler: requireCapability(runtime.guard.bind(runtime), 'writes') }, handler)`.
 */
export function requireCapability(
  guard: (capability: Capability) => GuardResult,
  ...capabilities: Capability[]
): (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void {
  return (_request, reply, done) => refuseUnless(guard, capabilities, reply, done);
}

/** Answers 503 + Retry-After when one of `capabilities` is unavailable; otherwise goes on. */
function refuseUnless(guard: (capability: Capability) => GuardResult, capabilities: readonly Capability[], reply: FastifyReply, next: () => void): void {
  for (const capability of capabilities) {
    const g = guard(capability);
    if (!g.allowed) {
      const { status, retryAfter, body } = refusalBody({ status: g.status, retryAfterSeconds: g.retryAfterSeconds, reason: g.reason });
      reply.code(status).header('retry-after', retryAfter).send(body);
      return;
    }
  }
  next();
}
