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
};
