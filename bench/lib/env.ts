import { TRUSTED_PROXY_HOPS_ENV } from '@bulwark/runtime/catalog';

/**
 * The servers under load run as behind a load balancer: one trusted proxy, whose X-Forwarded-For
 * entry names the client. The load generator spreads its requests over BENCH_CLIENTS addresses
 * there, so the per-client rate limit does its real work on every request (a bucket per client)
 * without refusing any: the bench load comes from one process, not from one abusive client.
 */
export const BEHIND_ONE_PROXY = { [TRUSTED_PROXY_HOPS_ENV]: '1' } as const;

/** Simulated clients behind the proxy. */
export const BENCH_CLIENTS = 4096;

/** The X-Forwarded-For value of the i-th request: one of BENCH_CLIENTS addresses, in turn. */
export function benchClientAddress(i: number): string {
  const n = i % BENCH_CLIENTS;
  return `10.${(n >> 8) & 255}.${n & 255}.1`;
}

/** Fake values for the example service's secret variables, so the runtime's redactor has real work to do. */
export const BENCH_ENV: NodeJS.ProcessEnv = {
  PGHOST: '127.0.0.1',
  PGPORT: '5432',
  PGDATABASE: 'providers',
  PGUSER: 'providers',
  PGPASSWORD: 'bench-db-password-0001',
  REDIS_HOST: '127.0.0.1',
  REDIS_PORT: '6379',
  REDIS_PASSWORD: 'bench-redis-password-0001',
  OPENAI_API_KEY: 'sk-bench-not-a-real-key-000000000001',
  LOG_LEVEL: 'info',
  ...BEHIND_ONE_PROXY,
};
