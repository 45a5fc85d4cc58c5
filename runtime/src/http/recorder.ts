import type { Logger } from 'pino';
import type { RuntimeMetrics } from '../metrics/registry';
import type { RequestContext } from '../logging/context';
import { jsonString, millisJson, preformattedLineWriter, type PreformattedLineWriter } from '../logging/line';
import { UNMATCHED_ENDPOINT } from '../metrics/catalog';
import { isProbeEndpoint } from './health';
import { RATE_LIMITED_STATUS } from './rate-limit';

/** `method` label values; anything else is counted as OTHER so the label stays bounded. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);
export const OTHER_METHOD = 'OTHER';

/** Status recorded for a request the client abandoned before the response was complete (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;

export function methodLabel(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
}

interface MethodSeries {
  readonly duration: { observe(seconds: number): void };
  readonly requests: Map<number, { inc(): void }>;
  /** Level of the access-log line for a non-5xx answer (probes and scrapes: debug). */
  readonly level: 'info' | 'debug';
  /** The `unmatched` endpoint: its 404s (scanners probing for paths) are logged at debug. */
  readonly unmatched: boolean;
  /** `,"method":…,"endpoint":…` of the preformatted access-log line (both redacted once, as pino would). */
  readonly fieldsJson: string;
}

/** One access-log line; every string in it is either bounded or validated, except `path`. */
interface AccessLogLine {
  correlation_id: string;
  request_id: string;
  method: string;
  endpoint: string;
  path: string;
  status: number;
  duration_ms: number;
}

export const ACCESS_LOG_MESSAGE = 'request completed';

/**
 * Records a finished request: `http_requests_total`, `http_request_duration_seconds`,
 * `http_requests_in_flight` and one access-log line. Label-bound metric children are made once per
 * (endpoint, method, status) and reused, which is what keeps the per-request cost low.
 */
export class RequestRecorder {
  private readonly series = new Map<string, Map<string, MethodSeries>>();
  /** Set for the runtime's own loggers: the access line is written preformatted (same line, less work). */
  private readonly lines: PreformattedLineWriter | undefined;
  private readonly inFlight: { inc(): void; dec(): void };

  constructor(
    private readonly metrics: RuntimeMetrics,
    private readonly logger: Logger,
  ) {
    this.lines = preformattedLineWriter(logger);
    this.inFlight = metrics.httpRequestsInFlight.labels();
  }

  begin(): void {
    this.inFlight.inc();
  }

  end(method: string, endpoint: string, path: string, status: number, durationMs: number, ctx: RequestContext): void {
    this.inFlight.dec();
    const series = this.seriesFor(endpoint, method);
    series.duration.observe(durationMs / 1000);
    let requests = series.requests.get(status);
    if (requests === undefined) {
      requests = this.metrics.httpRequestsTotal.labels(method, endpoint, String(status));
      series.requests.set(status, requests);
    }
    requests.inc();

    // Probes and scrapes arrive every few seconds, and a scanner sends 404s for unknown paths by
    // the thousand: keep them out of the info-level stream.
    // Rate-limited requests are counted (http_requests_rate_limited_total) and alerted on: one info
    // line each would let the flooding client flood the logs too.
    const level = status >= 500 && series.level === 'info' ? 'error' : (status === 404 && series.unmatched) || status === RATE_LIMITED_STATUS ? 'debug' : series.level;
    const lines = this.lines;
    if (lines !== undefined) {
      if (!lines.isLevelEnabled(level)) return;
      // Same fields, order and redaction as the object below; only `path` comes from the client.
      const fields = `${series.fieldsJson},"path":${jsonString(lines.redactUncached(path))},"status":${status},"duration_ms":${millisJson(durationMs)}`;
      lines.write(level, ctx, fields, ACCESS_LOG_MESSAGE);
      return;
    }
    const line: AccessLogLine = {
      correlation_id: ctx.correlationId,
      request_id: ctx.requestId,
      method,
      endpoint,
      path,
      status,
      duration_ms: Math.round(durationMs * 1000) / 1000,
    };
    this.logger[level](line, ACCESS_LOG_MESSAGE);
  }

  private seriesFor(endpoint: string, method: string): MethodSeries {
    let byMethod = this.series.get(endpoint);
    if (byMethod === undefined) this.series.set(endpoint, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (series === undefined) {
      const redact = this.lines?.redact ?? ((text: string) => text);
      series = {
        duration: this.metrics.httpRequestDurationSeconds.labels(method, endpoint),
        requests: new Map(),
        level: isProbeEndpoint(endpoint) ? 'debug' : 'info',
        unmatched: endpoint === UNMATCHED_ENDPOINT,
        fieldsJson: `,"method":${JSON.stringify(redact(method))},"endpoint":${JSON.stringify(redact(endpoint))}`,
      };
      byMethod.set(method, series);
    }
    return series;
  }
}
