/** Fake values for the example service's secret variables, so the runtime's redactor has real work to do. */
export const BENCH_ENV: NodeJS.ProcessEnv = {
  DATABASE_URL: 'postgres://providers:bench-db-password-0001@127.0.0.1:5432/providers',
  REDIS_URL: 'redis://:bench-redis-password-0001@127.0.0.1:6379/0',
  OPENAI_API_KEY: 'sk-bench-not-a-real-key-000000000001',
  LOG_LEVEL: 'info',
};
