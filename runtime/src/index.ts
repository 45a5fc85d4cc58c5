/**
 * @bulwark/runtime: what a service author uses. Declare the service (`defineService`), create the
 * runtime from it (`createRuntime`), reach dependencies through its adapters and serve through
 * the Fastify plugin or `runtime.createServer()` (node:http). `/metrics` and `/health*` are served
 * by the runtime's admin listener, on a port of their own.
 *
 * Subpaths that load no client library, logger or metrics registry:
 * `@bulwark/runtime/declaration` (the declaration model) and `@bulwark/runtime/catalog` (every
 * name that crosses a boundary: metrics, labels, flags, endpoints).
 */
export * from './declaration';
export { createRuntime, BulwarkRuntime, type RuntimeOptions, type ShutdownOptions } from './lifecycle/runtime';
export type { PostgresAdapter, PostgresAdapterOptions, QueryLabels, SqlOperation, TransactionClient } from './adapters/postgres';
export type { RedisAdapter } from './adapters/redis';
export type { OpenAIAdapter, OpenAIAdapterError } from './adapters/openai';
export type { CallAdapter } from './adapters/call';
export { bulwarkFastify, type BulwarkFastifyOptions } from './http/fastify';
export { instrumentHandler, type InstrumentOptions, type NodeHandler } from './http/instrument';
export { createHealthEndpoints, type HealthSource } from './http/health';
export type { AdminAddress, AdminListenOptions } from './http/admin';
export { createRouteMatcher } from './http/routes';
export { currentContext } from './logging/context';
export type { Logger } from 'pino';
export type { LevelTransition } from './degradation/manager';
export type { ValidationSummary, ValidationResult } from './startup/validator';
export { StartupValidationError } from './startup/validator';
export { FlagError } from './flags/flags';
export { BreakerOpenError, BreakerTimeoutError, BreakerShutdownError } from './breakers/errors';
