import Fastify, { type FastifyInstance } from 'fastify';
import { bulwarkFastify, type BulwarkRuntime } from '@bulwark/runtime';
import { ProviderCache } from './cache';
import { ProviderStore, type ProviderInput } from './providers';
import { ProviderSummaries } from './summaries';

/** The OpenAI model the summaries use (and the startup check retrieves, for free). */
export const SUMMARY_MODEL = 'gpt-4o-mini';

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
 * The providers registry on Fastify, instrumented only through the runtime: its plugin (metrics,
 * access log, correlation, health endpoints, 503 on dependency failures), its adapters and its
 * capability guards. No instrumentation is written here by hand.
 */
export function buildApp(runtime: BulwarkRuntime): FastifyInstance {
  const db = runtime.postgres('db');
  const store = new ProviderStore(db);
  const cache = new ProviderCache(runtime, runtime.redis('cache'));
  const summaries = new ProviderSummaries(runtime, runtime.openai('ai', { model: SUMMARY_MODEL }), SUMMARY_MODEL);

  // Fastify's own logger stays off: the runtime's access log replaces it.
  const app = Fastify({ logger: false, return503OnClosing: true });
  app.register(bulwarkFastify, runtime.fastifyOptions());
  runtime.onShutdown(() => app.close());

  const reads = { preHandler: runtime.requires('business') };
  const writes = { preHandler: runtime.requires('business', 'writes') };

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

  app.get<{ Params: { id: number } }>('/providers/:id/summary', { ...reads, schema: { params: idParams } }, async (req, reply) => {
    const { provider } = await readProvider(req.params.id);
    if (!provider) return reply.code(404).send({ error: 'not_found' });
    return { id: provider.id, ...(await summaries.summarise(provider)) };
  });

  return app;
}
