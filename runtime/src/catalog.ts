/**
 * @bulwark/runtime/catalog: every name that crosses a boundary between the runtime and what
 * watches or deploys it (metric and label names, the flags' variables, the health endpoints,
 * the shutdown settings, the admin listener's and the proxies' variables, where the service image keeps the Amazon RDS CA bundle). Pure data: loads
 * no client library, logger or metrics registry.
 */
export * from './metrics/catalog';
export { FLAG, FLAG_DEFAULTS, ACCEPTED_FLAG_VALUES, flagsToEnv, type FlagKey, type FlagName, type Flags } from './flags/flags';
export { HEALTH_PATH, CORRELATION_HEADER, PORT_ENV, ADMIN_ENV, ADMIN_DEFAULT_HOST, TRUSTED_PROXY_HOPS_ENV, FORWARDED_FOR_HEADER } from './http/paths';
export { SHUTDOWN_ENV, SHUTDOWN_DEFAULTS, type ShutdownOptions } from './lifecycle/shutdown-env';
export { RDS_CA_BUNDLE_PATH } from './tls/rds-ca';
