import { defineService, type ServiceInput } from '@bulwark/runtime';

/**
 * The example service the seeds were written for: a providers registry with PostgreSQL as
 * the source of truth, Redis as a read cache and OpenAI to summarise a provider.
 */
export const providersInput = {
  name: 'providers',
  version: '0.1.0',
  port: 8080,
  dependencies: {
    db: { kind: 'postgres', critical: true, env: 'DATABASE_URL', slowThresholdMs: 500 },
    cache: { kind: 'redis', critical: false, env: 'REDIS_URL' },
    ai: { kind: 'openai', critical: false, env: 'OPENAI_API_KEY' },
  },
  env: {
    DATABASE_URL: { required: true, secret: true, description: 'PostgreSQL connection string' },
    REDIS_URL: { required: false, secret: true, description: 'Redis connection string' },
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
