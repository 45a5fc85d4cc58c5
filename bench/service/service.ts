/**
 * The example service in its own process, as `npm run service` runs it (startService with the
 * providers declaration), on the real PostgreSQL, Redis and OpenAI stand-in the parent started;
 * only its log lines go to /dev/null (same destination and buffering as its default stdout).
 * It reports its CPU, requests and peak RSS over a measured window, and times /metrics
 * rendering at its own series count.
 */
import type { AddressInfo } from 'node:net';
import { createLogDestination, DEFAULT_LOG_BUFFERING } from '../../runtime/src/internal';
import { startService } from '../../service/server';
import { failToParent, onParentMessage, toParent } from '../lib/child';
import { measureWindow } from '../lib/window';
import { timeRenders } from '../lib/render';

async function main(): Promise<void> {
  const env = JSON.parse(process.env.BENCH_SERVICE_ENV ?? '{}') as Record<string, string>;
  const svc = await startService({
    env,
    port: 0,
    host: '127.0.0.1',
    admin: { host: '127.0.0.1', port: 0 },
    logDestination: createLogDestination('/dev/null', DEFAULT_LOG_BUFFERING),
    exit: (code) => {
      throw new Error(`the service asked to exit with code ${code} (see its startup validation)`);
    },
  });
  let served = 0;
  svc.app.server.on('request', () => served++);
  onParentMessage(async (m) => {
    if (m.type === 'measure') toParent(await measureWindow(() => served, Number(m.warmupMs), Number(m.durationMs)));
    else if (m.type === 'render') {
      const metrics = svc.runtime.metrics;
      const timing = await timeRenders(() => metrics.render(), () => metrics.registry.metrics(), Number(m.iterations ?? 30));
      toParent({ type: 'rendered', ...timing });
    } else if (m.type === 'stop') {
      await svc.stop();
      process.exit(0);
    }
  });
  toParent({ type: 'ready', port: (svc.app.server.address() as AddressInfo).port });
}

main().catch(failToParent);
