import { defineService, type ServiceInput } from '@bulwark/runtime';

/**
 * The example service the seeds were written for: a providers registry with PostgreSQL as
 * the source of truth, Redis as a read cache and OpenAI to summarise a provider.
 *
 * PostgreSQL and Redis take their settings split, one variable each (`connection: 'split'`):
 * libpq's PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT and the Redis
 * kind's REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS. That is what the ECS
 * task gets (endpoints as plain values, user and passwords from the generated secrets' fields: ECS
 * cannot compose a URL from them) and what every local run sets too (harness/src/connection-env.ts).
 */
export const providersInput = {
  name: 'providers',
  version: '0.1.0',
  port: 8080,
  dependencies: {
    db: { kind: 'postgres', critical: true, connection: 'split', slowThresholdMs: 500 },
    cache: { kind: 'redis', critical: false, connection: 'split' },
    ai: { kind: 'openai', critical: false, env: 'OPENAI_API_KEY' },
  },
  env: {
    OPENAI_API_KEY: { required: false, secret: true, description: 'OpenAI API key' },
    OPENAI_BASE_URL: { required: false, secret: false, description: 'OpenAI-compatible API base URL' },
  },
  objectives: {
    availability: 0.995,
    latency: { thresholdMs: 100, target: 0.95 },
    windowDays: 30,
  },
  routes: ['/providers', '/providers/:id', '/providers/:id/summary'],
} as const satisfies ServiceInput;

export const providersService = defineService(providersInput);
