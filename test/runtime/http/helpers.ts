import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthSource, RuntimeMetrics } from '../../../runtime/src/internal';

export interface Running {
  readonly url: string;
  close(): Promise<void>;
}

export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Value of one series of a metric in the registry (0 when the series does not exist). */
export async function seriesValue(
  metrics: RuntimeMetrics,
  name: string,
  labels: Record<string, string>,
  metricName = name,
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  const hit = values.find(
    (v) => (v as { metricName?: string }).metricName === metricName || (metricName === name && !(v as { metricName?: string }).metricName)
      ? Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want) && Object.keys(v.labels).length === Object.keys(labels).length
      : false,
  );
  return hit?.value ?? 0;
}

/** A HealthSource whose readiness a test switches. */
export class SwitchableHealth implements HealthSource {
  ready = true;

  readiness(): { ready: boolean; body: Record<string, unknown> } {
    return { ready: this.ready, body: { level: this.ready ? 'OPTIMAL' : 'EMERGENCY', dependencies: { postgres: { healthy: this.ready } } } };
  }

  report(): Record<string, unknown> {
    return { level: this.ready ? 'OPTIMAL' : 'EMERGENCY', dependencies: {}, breakers: {}, validation: { status: 'passed' } };
  }
}
