/**
 * /metrics render time at 10 000 series: the runtime's metrics (the catalog, Node.js process
 * metrics) filled with HTTP series of many route templates, rendered by the runtime
 * (`metrics.render()`) and, as the baseline, by prom-client's own `registry.metrics()` on the
 * same registry, in one process. The example service's own series count is measured on the
 * running service (bench/service/service.ts).
 */
import { createMetrics } from '../../runtime/src/internal';
import { failToParent, toParent } from '../lib/child';
import { fillToSeries, timeRenders } from '../lib/render';

async function main(): Promise<void> {
  const target = Number(process.argv[2] ?? 10_000);
  const metrics = createMetrics({ service: 'bench', version: '0.0.0' });
  await fillToSeries(metrics, target);
  const result = await timeRenders(
    () => metrics.render(),
    () => metrics.registry.metrics(),
    Number(process.argv[3] ?? 30),
  );
  toParent({ type: 'result', ...result });
  if (!process.send) console.log(JSON.stringify(result, null, 2));
}

if (require.main === module) main().then(() => process.exit(0), failToParent);
