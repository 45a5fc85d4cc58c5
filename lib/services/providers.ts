import { defineService, type ServiceInput } from '@bulwark/runtime';

/**
 * The API key `POST` and `PUT /providers` need (service/auth.ts). A secret only the service and its
 * writers share: the example stack generates it into Secrets Manager (lib/service-dependencies.ts).
 */
export const API_KEY_ENV = 'PROVIDERS_API_KEY';
/** The request header writes present the API key in. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * The example service the seeds were written for: a providers registry with PostgreSQL as
 * the source of truth, Redis as a read cache and OpenAI to summarise a provider.
 *
 * PostgreSQL and Redis take their settings split, one variable each (`connection: 'split'`):
 * libpq's PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT and the Redis
 * kind's REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS. That is what the ECS
 * task gets (endpoints as plain values, user and passwords from the generated secrets' fields: ECS
 * cannot compose a URL from them) and what every local run sets too (harness/src/connection-env.ts).
 * Reads are public; writes need the API key in API_KEY_ENV.
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
    [API_KEY_ENV]: { required: true, secret: true, description: `API key that POST and PUT /providers need in the ${API_KEY_HEADER} header` },
  },
  objectives: {
    availability: 0.995,
    latency: { thresholdMs: 100, target: 0.95 },
    windowDays: 30,
  },
  routes: ['/providers', '/providers/:id', '/providers/:id/summary'],
  // 20 requests a second per client on average, bursts up to 1 200: a busy integration stays under
  // it, a script hammering the API (or the OpenAI-backed summaries) does not.
  rateLimit: { requests: 1_200, windowMs: 60_000 },
} as const satisfies ServiceInput;

export const providersService = defineService(providersInput);
