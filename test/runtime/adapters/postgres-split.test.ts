/**
 * PostgreSQL reached through split settings (libpq's PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGPASSWORD, PGSSLMODE) instead of one URL — what ECS can fill one by one from a generated
 * secret's fields — against a real server; and what startup validation says when one is wrong.
 */
import { startPostgres, type ThrowawayPostgres } from '@bulwark/harness';
import { createRuntime, defineService, StartupValidationError } from '@bulwark/runtime';
import { sslFor } from '../../../runtime/src/internal';
import { LogCapture } from '../logging/capture';

const billing = defineService({ name: 'billing', dependencies: { db: { kind: 'postgres', critical: true, connection: 'split' } } });

describe('PostgreSQL with split connection settings', () => {
  let pg: ThrowawayPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.destroy());

  const envFor = (over: Record<string, string | undefined> = {}) =>
    Object.fromEntries(Object.entries({ PGHOST: '127.0.0.1', PGPORT: String(pg.port), PGDATABASE: 'postgres', PGUSER: 'postgres', PGPASSWORD: 'not-used-by-trust-auth', ...over }).filter(([, v]) => v !== undefined)) as Record<string, string>;

  it('declares each libpq variable in the environment contract, the password as a secret', () => {
    expect(billing.dependencies.db!.connection).toEqual({ host: 'PGHOST', port: 'PGPORT', database: 'PGDATABASE', user: 'PGUSER', password: 'PGPASSWORD', sslmode: 'PGSSLMODE' });
    expect(billing.env).toMatchObject({
      PGHOST: { required: true, secret: false },
      PGPORT: { required: false, secret: false },
      PGUSER: { required: true, secret: false },
      PGPASSWORD: { required: false, secret: true },
    });
  });

  it('connects, queries and passes startup validation', async () => {
    const runtime = createRuntime(billing, { env: envFor(), logDestination: new LogCapture(), nodeMetrics: false });
    const db = runtime.postgres('db');
    const summary = await runtime.start();
    expect(summary.results.find((r) => r.name === 'dependency:db')?.status).toBe('pass');
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await runtime.stop();
  });

  it('names the variable that is missing or malformed, and never shows the password', async () => {
    for (const [over, expected] of [
      [{ PGHOST: undefined }, 'PGHOST is required but not set'],
      [{ PGPORT: 'fifty' }, 'db (postgres) not checked: PGPORT is not a port number'],
    ] as const) {
      const logs = new LogCapture();
      const runtime = createRuntime(billing, { env: envFor(over), logDestination: logs, nodeMetrics: false, exit: () => undefined });
      runtime.postgres('db');
      const err = await runtime.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StartupValidationError);
      expect((err as StartupValidationError).message).toContain(expected);
      expect(logs.text).not.toContain('not-used-by-trust-auth');
      expect(logs.text.length).toBeGreaterThan(0);
      await runtime.stop();
    }
  });

  it('maps libpq sslmode to pg: verify-* check the certificate, require only encrypts', () => {
    expect([undefined, 'disable', 'prefer', 'require', 'verify-ca', 'verify-full'].map(sslFor)).toEqual([
      undefined,
      undefined,
      undefined,
      { rejectUnauthorized: false },
      { rejectUnauthorized: true },
      { rejectUnauthorized: true },
    ]);
  });
});
