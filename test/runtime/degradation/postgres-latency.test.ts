import { Client } from 'pg';
import { defineService } from '@bulwark/runtime';
import { createMetrics, DegradationManager, LABEL, METRICS, type DependencyCheck } from '../../../runtime/src/internal';
import { startLatencyProxy, type LatencyProxy } from '@bulwark/harness';
import { waitFor } from '@bulwark/harness';
import { startPostgres, type ThrowawayPostgres } from '@bulwark/harness';
import { captureLogs } from './log-capture';
import { waitForKilledPostmaster } from './postmaster';

/** The health check a service would register for its database: a real `pg` connection running SELECT 1. */
function selectOne(port: number): DependencyCheck {
  return async () => {
    const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2_500 });
    client.on('error', () => undefined); // a dropped connection also rejects the pending call, which is what counts
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

describe('DegradationManager against a real PostgreSQL behind a latency proxy', () => {
  let pg: ThrowawayPostgres;
  let proxy: LatencyProxy;

  beforeAll(async () => {
    pg = await startPostgres();
    proxy = await startLatencyProxy({ targetPort: pg.port });
  });

  afterAll(async () => {
    await proxy?.close();
    await pg?.destroy();
  });

  it('slow → MINIMAL, killed → EMERGENCY, restored → OPTIMAL after healthyThreshold checks', async () => {
    const declaration = defineService({
      name: 'providers',
      dependencies: {
        db: { kind: 'postgres', env: 'DB_URL', critical: true, slowThresholdMs: 250, healthCheck: { intervalMs: 5_000, timeoutMs: 4_000, healthyThreshold: 2 } },
      },
    });
    const metrics = createMetrics({ nodeMetrics: false });
    const logs = captureLogs();
    const manager = new DegradationManager({ declaration, metrics, logger: logs.logger });
    const recovered: string[] = [];
    manager.onRecovered((d) => recovered.push(d));
    manager.register('db', selectOne(proxy.port));

    try {
      await manager.checkNow();
      expect(manager.levelName).toBe('OPTIMAL');

      // Each round trip now waits 300 ms each way: a new connection plus SELECT 1 takes well over 250 ms.
      proxy.setLatency(300);
      await manager.checkNow();
      expect(manager.levelName).toBe('MINIMAL');
      expect(manager.status().db).toMatchObject({ healthy: true, slow: true });
      expect(manager.status().db.lastCheckMs).toBeGreaterThan(250);
      expect(manager.allows('writes')).toBe(false);
      expect(manager.allows('business')).toBe(true);

      proxy.setLatency(0);
      await pg.kill();
      await manager.checkNow();
      expect(manager.levelName).toBe('EMERGENCY');
      expect(manager.status().db.healthy).toBe(false);
      expect(manager.guard('business')).toMatchObject({ allowed: false, status: 503, retryAfterSeconds: 10 });

      await waitForKilledPostmaster(pg.port);
      await pg.start();
      // The port opens before recovery ends ("the database system is starting up"): wait until it answers queries.
      await waitFor(() => selectOne(pg.port)().then(() => true), 15_000, 'PostgreSQL to accept queries');
      await manager.checkNow();
      expect(manager.levelName).toBe('EMERGENCY'); // one healthy check is not enough
      await manager.checkNow();
      expect(manager.levelName).toBe('OPTIMAL');
      expect(recovered).toEqual(['db']);

      const { values } = await metrics.degradationTransitionsTotal.get();
      expect(values.map((v) => `${v.labels[LABEL.fromLevel]}→${v.labels[LABEL.toLevel]}=${v.value}`).sort()).toEqual([
        'EMERGENCY→OPTIMAL=1',
        'MINIMAL→EMERGENCY=1',
        'OPTIMAL→MINIMAL=1',
      ]);
      const up = await metrics.dependencyUp.get();
      expect(up.values.find((v) => v.labels[LABEL.dependency] === 'db')?.value).toBe(1);
      const rendered = await metrics.render();
      expect(rendered).toContain(`${METRICS.dependencyCheckDurationSeconds.name}_count{${LABEL.dependency}="db"} 5`);
    } finally {
      await manager.stop();
      proxy.setLatency(0);
    }
  });
});
