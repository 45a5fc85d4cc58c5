/**
 * The load generator, in its own process: autocannon with a fixed number of connections for a
 * fixed time against 127.0.0.1. Paths are cycled per request (e.g. different provider ids), and
 * with `latencies` every response time is kept so exact percentiles can be reported.
 */
import autocannon from 'autocannon';
import { failToParent, onParentMessage, toParent } from '../lib/child';
import { percentile } from '../lib/stats';

export interface LoadRequest {
  readonly type: 'run';
  readonly url: string;
  readonly connections: number;
  readonly durationMs: number;
  readonly paths: readonly string[];
  readonly latencies?: boolean;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  readonly rate?: number;
}

export type LoadResult = {
  readonly type: 'result';
  readonly requests: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number } | null;
};

function run(req: LoadRequest): Promise<LoadResult> {
  let next = 0;
  const paths = req.paths;
  const times: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: req.url,
        connections: req.connections,
        duration: req.durationMs / 1000,
        ...(req.rate ? { overallRate: req.rate } : {}),
        requests: [
          {
            method: 'GET',
            setupRequest: (r) => ({ ...r, path: paths[next++ % paths.length]! }),
          },
        ],
      },
      (err, result) => {
        if (err) {
          reject(err);
          return;
        }
        const total = result.requests.total;
        resolve({
          type: 'result',
          requests: total,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          requestsPerSecond: total / (req.durationMs / 1000),
          latencyMs: req.latencies
            ? { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), max: percentile(times, 100) }
            : null,
        });
      },
    );
    if (req.latencies) instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
    toParent({ type: 'started' });
  });
}

onParentMessage(async (m) => {
  if (m.type === 'run') toParent(await run(m as unknown as LoadRequest));
  else if (m.type === 'stop') process.exit(0);
});
process.on('uncaughtException', failToParent);
toParent({ type: 'ready' });
