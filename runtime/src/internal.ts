/**
 * Everything the runtime defines, for this repository's own tests and benchmarks. Not part of the
 * package's exports: what a service uses is in index.ts, declaration/index.ts and catalog.ts.
 */
export * from './declaration';
export * from './metrics/catalog';
export * from './metrics/registry';
export * from './flags/flags';
export * from './degradation/levels';
export * from './http/paths';
export * from './secrets/redact';
export { BreakerOpenError, BreakerTimeoutError, BreakerShutdownError } from './breakers/errors';
export { neverAbortedSignal, type Breaker, type BreakerOptions, type BreakerState } from './breakers/breaker';
export { BreakerRegistry, type BreakerRegistryOptions, type BreakerSnapshot, type BreakerStateChange } from './breakers/registry';
export * from './degradation/manager';
export { runWithTimeout, CheckTimeoutError } from './degradation/check';
export { measureHealthCheck, withTimeout, COMMON_ERROR_TYPE, type AdapterBaseOptions, type AdapterContext, type DependencyAdapter } from './adapters/common';
export { createRedisAdapter, createRedisClient, redisErrorType, redisTls, REDIS_ERROR_TYPE, REDIS_TLS_VALUES, REDIS_VARIABLES, type RedisAdapter, type RedisAdapterOptions, type RedisConnectionSettings } from './adapters/redis';
export {
  createPostgresAdapter,
  postgresTls,
  LIBPQ_VARIABLES,
  POSTGRES_SSL_MODES,
  type PostgresTls,
  type PostgresConnectionSettings,
  describeSql,
  isPostgresCallerError,
  postgresErrorType,
  DB_ERROR_TYPE,
  type PostgresAdapter,
  type PostgresAdapterOptions,
  type QueryLabels,
  type SqlOperation,
  type TransactionClient,
} from './adapters/postgres';
export {
  createOpenAIAdapter,
  isOpenAICallerError,
  openAIErrorType,
  retryAfterMs,
  NO_MODEL,
  OPENAI_ERROR_TYPE,
  OPENAI_OPERATION,
  type OpenAIAdapter,
  type OpenAIAdapterError,
  type OpenAIAdapterOptions,
} from './adapters/openai';
export { createCallAdapter, callErrorType, errorStatus, isHttpCallerError, CALL_ERROR_TYPE, type CallAdapter, type CallAdapterOptions } from './adapters/call';
export * from './startup/validator';
export * from './logging/context';
export * from './logging/destination';
export * from './logging/logger';
export { isSensitiveKey, type SerializedError } from './logging/redaction';
export * from './http/routes';
export * from './http/respond';
export * from './http/health';
export * from './http/instrument';
export * from './http/fastify';
export { CLIENT_CLOSED_STATUS, OTHER_METHOD, ACCESS_LOG_MESSAGE } from './http/recorder';
export * from './lifecycle/runtime';
export * from './lifecycle/unavailable';
export * from './lifecycle/shutdown-env';
