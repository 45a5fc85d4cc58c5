/** HTTP paths the runtime serves; deployments point probes and scrapes at these. */
export const HEALTH_PATH = {
  metrics: '/metrics',
  live: '/health/live',
  ready: '/health/ready',
  report: '/health',
} as const;

/** Header carrying the correlation ID in and out of a request. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** The variable deployments set to the declared port; the service listens on it. */
export const PORT_ENV = 'PORT';

/**
 * Where the admin listener (`/metrics`, `/health*`) binds. Deployments set both: the ECS task binds
 * 127.0.0.1 (its collector sidecar and container health check share the task's network), a pod
 * binds its own IP (Prometheus and the kubelet reach it there). Unset: 127.0.0.1 and the declared
 * admin port.
 */
export const ADMIN_ENV = { host: 'ADMIN_HOST', port: 'ADMIN_PORT' } as const;
export const ADMIN_DEFAULT_HOST = '127.0.0.1';

/**
 * How many proxies in front of the service append the address they saw to X-Forwarded-For (an
 * Application Load Balancer or an ingress controller: 1). The rate limit's client is the address
 * the outermost trusted proxy saw; unset or 0: the connection's own address.
 */
export const TRUSTED_PROXY_HOPS_ENV = 'TRUSTED_PROXY_HOPS';

/** Header each trusted proxy appends the address it saw to (read with TRUSTED_PROXY_HOPS). */
export const FORWARDED_FOR_HEADER = 'x-forwarded-for';
