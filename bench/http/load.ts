/**
 * The load generator, in its own process: autocannon with a fixed number of connections for a
 * fixed time against 127.0.0.1, each request to the next of `paths` (e.g. different provider
 * ids); with `latencies` every response time is kept so exact percentiles can be reported.
 */
import autocannon from 'autocannon';
import { failToParent, onParentMessage, toParent } from '../lib/child';
import { percentile } from '../lib/stats';
import { FORWARDED_FOR_HEADER } from '@bulwark/runtime/catalog';
import { BENCH_CLIENTS, benchClientAddress } from '../lib/env';

export interface LoadRequest {
  readonly type: 'run';
  readonly url: string;
  readonly connections: number;
  readonly durationMs: number;
  readonly paths: readonly string[];
  readonly latencies?: boolean;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  readonly rate?: number;
  /**
   * 'per-request' (default): each request gets the next path as it is sent, as a client with
   * real ids does; this costs the load generator about as much CPU as a bare server spends
   * answering. 'sequence': the requests are rendered once and cycled by each connection, which
   * makes the load generator about twice as fast, enough to saturate the servers.
   */
  readonly pathMode?: 'per-request' | 'sequence';
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

function run(req: LoadRequest, started?: { count: number }): Promise<LoadResult> {
  const times: number[] = [];
  const paths = req.paths;
  let next = 0;
  // Requests carry the X-Forwarded-For of one of BENCH_CLIENTS clients in turn (see BEHIND_ONE_PROXY).
  const forwarded = (i: number) => ({ [FORWARDED_FOR_HEADER]: benchClientAddress(i) });
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: req.url,
        connections: req.connections,
        duration: req.durationMs / 1000,
        ...(req.rate ? { overallRate: req.rate } : {}),
        requests:
          req.pathMode === 'sequence'
            ? Array.from({ length: BENCH_CLIENTS }, (_, i) => ({ method: 'GET' as const, path: req.paths[i % Math.min(1000, req.paths.length)]!, headers: forwarded(i) }))
            : [{ method: 'GET', setupRequest: (r) => ({ ...r, path: paths[next % paths.length]!, headers: { ...r.headers, ...forwarded(next++) } }) }],
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
    if (started === undefined) toParent({ type: 'started' });
    else if (++started.count === 1) toParent({ type: 'started' });
  });
}

/** Loads several servers at once (one autocannon instance each, same settings), for side-by-side measurement. */
export interface LoadManyRequest extends Omit<LoadRequest, 'type' | 'url'> {
  readonly type: 'runMany';
  readonly urls: readonly string[];
}

onParentMessage(async (m) => {
  if (m.type === 'run') toParent(await run(m as unknown as LoadRequest));
  else if (m.type === 'runMany') {
    const req = m as unknown as LoadManyRequest;
    const started = { count: 0 };
    const results = await Promise.all(req.urls.map((url) => run({ ...req, type: 'run', url }, started)));
    toParent({ type: 'results', results });
  }
  else if (m.type === 'stop') process.exit(0);
});
process.on('uncaughtException', failToParent);
toParent({ type: 'ready' });
