import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuntimeMetrics } from '../metrics/registry';
import { HEALTH_PATH } from './paths';
import { sendJson } from './respond';

/** What the health endpoints report; implemented by the runtime's degradation manager. */
export interface HealthSource {
  /** Whether the service should receive traffic, and the body of /health/ready (level, dependencies). */
  readiness(): { ready: boolean; body: Record<string, unknown> };
  /** The full report of /health: level, dependencies, breakers, last validation summary. */
  report(): Record<string, unknown>;
}

export interface HealthEndpointOptions {
  readonly metrics: RuntimeMetrics;
  readonly health: HealthSource;
}

/** A response any framework can send: status, JSON body or exposition text, headers. */
export interface HealthResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** A JSON value, or the Prometheus text when `text` is true. */
  readonly body: unknown;
  readonly text?: boolean;
}

const NO_STORE = { 'cache-control': 'no-store' } as const;

/** The health paths as route templates (each is its own `endpoint` label value). */
export const HEALTH_ROUTES: readonly string[] = Object.values(HEALTH_PATH);

const PROBE_PATHS = new Set<string>(HEALTH_ROUTES);

/** Whether a route template is a probe/scrape path (its access-log line is written at debug level). */
export function isProbeEndpoint(endpoint: string): boolean {
  return PROBE_PATHS.has(endpoint);
}

/** GET /health/live: answers as long as the process can answer at all; never asks a dependency. */
export function livenessResponse(): HealthResponse {
  return { status: 200, headers: NO_STORE, body: { status: 'alive' } };
}

/** GET /health/ready: 200 or 503 with {ready, level, dependencies, ...}. */
export function readinessResponse(health: HealthSource): HealthResponse {
  try {
    const { ready, body } = health.readiness();
    return { status: ready ? 200 : 503, headers: NO_STORE, body: { ready, ...body } };
  } catch {
    return { status: 503, headers: NO_STORE, body: { ready: false, error: 'readiness could not be determined' } };
  }
}

/** GET /health: the full report. */
export function reportResponse(health: HealthSource): HealthResponse {
  try {
    return { status: 200, headers: NO_STORE, body: health.report() };
  } catch {
    return { status: 500, headers: NO_STORE, body: { error: 'health report could not be built' } };
  }
}

/** GET /metrics: Prometheus text; 404 when metrics are switched off (ENABLE_PROMETHEUS_METRICS=false). */
export async function metricsResponse(metrics: RuntimeMetrics): Promise<HealthResponse> {
  if (!metrics.enabled) return { status: 404, headers: NO_STORE, body: { error: 'not_found', reason: 'metrics are disabled' } };
  try {
    return { status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.render(), text: true };
  } catch {
    return { status: 500, headers: NO_STORE, body: { error: 'metrics could not be rendered' } };
  }
}

function send(res: ServerResponse, response: HealthResponse): void {
  if (!response.text) {
    sendJson(res, response.status, response.body, response.headers);
    return;
  }
  if (res.writableEnded) return;
  const text = String(response.body);
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * Serves /metrics, /health/live, /health/ready and /health for plain node:http. Returns true when
 * it answered the request (GET or HEAD on one of those paths), false to let the caller route it.
 */
export function createHealthEndpoints(options: HealthEndpointOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { metrics, health } = options;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    switch (path) {
      case HEALTH_PATH.live:
        send(res, livenessResponse());
        return true;
      case HEALTH_PATH.ready:
        send(res, readinessResponse(health));
        return true;
      case HEALTH_PATH.report:
        send(res, reportResponse(health));
        return true;
      case HEALTH_PATH.metrics:
        void metricsResponse(metrics).then((response) => send(res, response));
        return true;
      default:
        return false;
    }
  };
}
