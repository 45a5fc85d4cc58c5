export { measureHealthCheck, withTimeout, COMMON_ERROR_TYPE, type AdapterBaseOptions, type AdapterContext, type DependencyAdapter } from './common';
export { createRedisAdapter, createRedisClient, redisErrorType, REDIS_ERROR_TYPE, type RedisAdapter, type RedisAdapterOptions } from './redis';
export {
  createPostgresAdapter,
  describeSql,
  isPostgresCallerError,
  postgresErrorType,
  DB_ERROR_TYPE,
  type PostgresAdapter,
  type PostgresAdapterOptions,
  type QueryLabels,
  type SqlOperation,
  type TransactionClient,
} from './postgres';
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
} from './openai';
export { createCallAdapter, callErrorType, errorStatus, isHttpCallerError, CALL_ERROR_TYPE, type CallAdapter, type CallAdapterOptions } from './call';
