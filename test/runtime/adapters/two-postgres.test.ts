/**
 * Two dependencies of one kind stay apart: a service with two PostgreSQL databases (a primary and a
 * reporting replica, two real servers) counts each one's queries under its own `dependency` label,
 * and when the replica is killed the level, dependency_up and the generated DependencyDown alert in
 * a real Prometheus all name the replica, not the primary.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRuleFile, ruleFileName } from '@bulwark/alerts';
import { startPostgres, startPrometheus, waitFor, type ThrowawayPostgres, type ThrowawayPrometheus } from '@bulwark/harness';
import { createRuntime, defineService, type BulwarkRuntime } from '@bulwark/runtime';
import { LogCapture } from '../logging/capture';

jest.setTimeout(300_000);

const ledger = defineService({
  name: 'ledger',
  dependencies: {
    primary: { kind: 'postgres', critical: true, env: 'PRIMARY_URL', healthCheck: { intervalMs: 1_000, timeoutMs: 800, healthyThreshold: 1 } },
    reports: { kind: 'postgres', critical: false, impact: 'LIMITED', env: 'REPORTS_URL', healthCheck: { intervalMs: 1_000, timeoutMs: 800, healthyThreshold: 1 } },
  },
});

describe('two PostgreSQL dependencies of one service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-two-pg-'));
  let primary: ThrowawayPostgres;
  let reports: ThrowawayPostgres;
  let runtime: BulwarkRuntime;
  let server: Server;
  let prometheus: ThrowawayPrometheus | undefined;
  let base = '';
  let admin = '';

  beforeAll(async () => {
    [primary, reports] = await Promise.all([startPostgres(), startPostgres()]);
    runtime = createRuntime(ledger, { env: { PRIMARY_URL: primary.url, REPORTS_URL: reports.url }, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    const dbs = { primary: runtime.postgres('primary'), reports: runtime.postgres('reports') };
    server = runtime.createServer(async (req, res) => {
      const db = req.url === '/report' ? dbs.reports : dbs.primary;
      try {
        await db.query('SELECT 1 AS one');
        res.end('ok');
      } catch {
        res.statusCode = 503;
        res.end();
      }
    });
    await runtime.start();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    admin = runtime.adminAddress!.url;
    writeFileSync(join(dir, ruleFileName(ledger)), renderRuleFile(ledger));
    prometheus = await startPrometheus({ targets: [{ job: ledger.name, port: runtime.adminAddress!.port }], ruleFiles: [join(dir, ruleFileName(ledger))] });
  });

  afterAll(async () => {
    await runtime?.stop();
    await prometheus?.stop();
    await Promise.all([primary?.destroy(), reports?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts each database’s queries under its own dependency label', async () => {
    expect(await (await fetch(`${base}/order`)).text()).toBe('ok');
    expect(await (await fetch(`${base}/report`)).text()).toBe('ok');
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    for (const name of ['primary', 'reports']) {
      expect(metrics).toMatch(new RegExp(`^db_queries_total\\{dependency="${name}",operation="select",table="[^"]*"\\} 1$`, 'm'));
    }
  });

  it('when the replica dies: the level, dependency_up and DependencyDown name the replica only', async () => {
    await reports.kill();
    await waitFor(() => runtime.degradation.levelName === 'LIMITED', 30_000, 'the level to reach LIMITED');
    const status = runtime.degradation.status();
    expect({ primary: status.primary?.healthy, reports: status.reports?.healthy }).toEqual({ primary: true, reports: false });
    expect(await (await fetch(`${base}/order`)).text()).toBe('ok');

    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/^dependency_up\{dependency="reports"\} 0$/m);
    expect(metrics).toMatch(/^dependency_up\{dependency="primary"\} 1$/m);

    const alerts = await waitFor(
      async () => {
        const found = (await prometheus!.alerts()).filter((a) => a.labels.alertname === 'DependencyDown');
        return found.length > 0 ? found : undefined;
      },
      60_000,
      'DependencyDown to go pending in Prometheus',
      250,
    );
    expect(alerts.map((a) => a.labels.dependency)).toEqual(['reports']);
    expect(alerts[0]!.labels).toMatchObject({ job: 'ledger', severity: 'warning', impact: 'LIMITED' });
  });
});
