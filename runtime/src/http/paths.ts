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
