import Fastify, { type FastifyInstance } from 'fastify';
import { bulwarkFastify, type BulwarkRuntime, type ServiceDeclaration } from '@bulwark/runtime';
import { ApiKey, requireApiKey } from './auth';
import { ProviderCache, SummaryCache } from './cache';
import { ProviderStore, type ProviderInput } from './providers';
import { ProviderSummaries } from './summaries';

/** The OpenAI model the summaries use (and the startup check retrieves, for free). */
export const SUMMARY_MODEL = 'gpt-4o-mini';

/** The idle timeout of the load balancer in front (an ALB's default, which ObservedService keeps). */
export const LOAD_BALANCER_IDLE_TIMEOUT_MS = 60_000;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } },
} as const;

const providerFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  category: { type: 'string', minLength: 1, maxLength: 60 },
  city: { type: ['string', 'null'], maxLength: 100 },
  description: { type: 'string', maxLength: 2000 },
} as const;

/**
 * The largest valid body: every field at its longest, each character escaped as `\uXXXX` (6 bytes),
 * plus room for the JSON around them. Anything bigger is refused with 413 before it is parsed.
 */
const BODY_LIMIT_BYTES = 6 * Object.values(providerFields).reduce((sum, f) => sum + f.maxLength, 0) + 1_024;

/** How long the HTTP server gives a client, and how much it accepts. */
export interface ServerLimits {
  /**
   * Receiving a whole request, headers and body: a slower client gets 408 and is disconnected. Node
   * stops this clock once the request is in, so it does not bound the handler (see connectionTimeoutMs).
   */
  readonly requestTimeoutMs: number;
  /** Receiving the headers (at most requestTimeoutMs). */
  readonly headersTimeoutMs: number;
  /**
   * Socket inactivity before the connection is destroyed. A handler waiting on OpenAI sends nothing,
   * so this outlasts the slowest handler: every dependency's declared call timeout, plus slack.
   */
  readonly connectionTimeoutMs: number;
  /** An idle keep-alive connection is closed after this: longer than the load balancer's, so it closes first. */
  readonly keepAliveTimeoutMs: number;
  readonly bodyLimitBytes: number;
}

/** The limits for a declaration: its dependencies' call timeouts decide how long a handler may be silent. */
export function serverLimits(declaration: ServiceDeclaration): ServerLimits {
  const calls = Object.values(declaration.dependencies).reduce((sum, d) => sum + d.breaker.timeoutMs, 0);
  return {
    requestTimeoutMs: 15_000,
    headersTimeoutMs: 10_000,
    connectionTimeoutMs: calls + 5_000,
    keepAliveTimeoutMs: LOAD_BALANCER_IDLE_TIMEOUT_MS + 5_000,
    bodyLimitBytes: BODY_LIMIT_BYTES,
  };
}

export interface AppOptions {
  /** Where the API key (API_KEY_ENV) is read from: the runtime's environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default serverLimits(runtime.declaration) */
  readonly limits?: Partial<ServerLimits>;
}

function checkLimits(limits: ServerLimits): void {
  for (const [field, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`limits.${field} is ${value}; use a whole number above 0`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(`limits.headersTimeoutMs (${limits.headersTimeoutMs}) is above limits.requestTimeoutMs (${limits.requestTimeoutMs}); the headers are part of the request`);
  }
}

/**
 * The providers registry on Fastify, instrumented only through the runtime: its plugin (metrics,
 * access log, correlation, readiness, 503 on dependency failures), its adapters and its capability
 * guards. No instrumentation is written here by hand. Reads are public; writes need the API key.
 */
export function buildApp(runtime: BulwarkRuntime, options: AppOptions = {}): FastifyInstance {
  const limits: ServerLimits = { ...serverLimits(runtime.declaration), ...options.limits };
  checkLimits(limits);
  const db = runtime.postgres('db');
  const store = new ProviderStore(db);
  const redis = runtime.redis('cache');
  const cache = new ProviderCache(runtime, redis);
  const summaries = new ProviderSummaries(runtime, runtime.openai('ai', { model: SUMMARY_MODEL }), SUMMARY_MODEL, new SummaryCache(runtime, redis, SUMMARY_MODEL));
  const apiKey = ApiKey.fromEnv(options.env ?? process.env);

  const app = Fastify({
    // Fastify's own logger stays off: the runtime's access log replaces it.
    logger: false,
    return503OnClosing: true,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    bodyLimit: limits.bodyLimitBytes,
    // Node checks the request and header timeouts on this interval (30 s by default, which would let a slow client run long past them).
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: Math.min(1_000, Math.ceil(limits.headersTimeoutMs / 4)) },
  });
  app.register(bulwarkFastify, runtime.fastifyOptions());
  runtime.onShutdown(() => app.close());
  // Said once the service is up (startup validation has already refused a missing key unless switched off).
  app.addHook('onReady', (done) => {
    if (apiKey.problem) runtime.logger.error(`${apiKey.problem}: every POST and PUT /providers is refused with 401; set it to a generated key`);
    done();
  });

  const reads = { preHandler: runtime.requires('business') };
  const writes = { onRequest: requireApiKey(apiKey), preHandler: runtime.requires('business', 'writes') };

  async function readProvider(id: number) {
    const cached = await cache.get(id);
    if (cached.provider) return { provider: cached.provider, cache: cached.outcome };
    const provider = await store.get(id);
    if (provider) await cache.put(provider);
    return { provider, cache: cached.outcome };
  }

  app.get<{ Params: { id: number } }>('/providers/:id', { ...reads, schema: { params: idParams } }, async (req, reply) => {
    const { provider, cache: outcome } = await readProvider(req.params.id);
    reply.header('x-cache', outcome);
    if (!provider) return reply.code(404).send({ error: 'not_found' });
    return provider;
  });

  app.get<{ Querystring: { q?: string; limit?: number } }>(
    '/providers',
    {
      ...reads,
      schema: {
        querystring: {
          type: 'object',
          properties: { q: { type: 'string', maxLength: 100 }, limit: { type: 'integer', minimum: 1, maximum: 100 } },
        },
      },
    },
    async (req) => ({ providers: await store.search(req.query.q ?? '', req.query.limit ?? 20) }),
  );

  app.post<{ Body: ProviderInput }>(
    '/providers',
    { ...writes, schema: { body: { type: 'object', required: ['name'], additionalProperties: false, properties: providerFields } } },
    async (req, reply) => {
      const p = await store.create(req.body);
      return reply.code(201).send(p);
    },
  );

  app.put<{ Params: { id: number }; Body: Partial<ProviderInput> }>(
    '/providers/:id',
    {
      ...writes,
      schema: { params: idParams, body: { type: 'object', minProperties: 1, additionalProperties: false, properties: providerFields } },
    },
    async (req, reply) => {
      const p = await store.update(req.params.id, req.body);
      if (!p) return reply.code(404).send({ error: 'not_found' });
      await cache.evict(p.id);
      return p;
    },
  );

  // x-cache is the summary's: `hit` answered without calling OpenAI.
  app.get<{ Params: { id: number } }>('/providers/:id/summary', { ...reads, schema: { params: idParams } }, async (req, reply) => {
    const { provider } = await readProvider(req.params.id);
    if (!provider) return reply.code(404).send({ error: 'not_found' });
    const { summary, cache: outcome } = await summaries.summarise(provider);
    reply.header('x-cache', outcome);
    return { id: provider.id, ...summary };
  });

  return app;
}
