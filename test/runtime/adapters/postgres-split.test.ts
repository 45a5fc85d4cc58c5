/**
 * PostgreSQL reached through split settings (libpq's PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGPASSWORD, PGSSLMODE, PGSSLROOTCERT) instead of one URL — what ECS can fill one by one from a
 * generated secret's fields — against a real server; and what startup validation says when one is
 * wrong. TLS against a real TLS-only server: test/service/tls.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type ThrowawayPostgres } from '@bulwark/harness';
import { createRuntime, defineService, StartupValidationError } from '@bulwark/runtime';
import { postgresTls } from '../../../runtime/src/internal';
import { LogCapture } from '../logging/capture';

const billing = defineService({ name: 'billing', dependencies: { db: { kind: 'postgres', critical: true, connection: 'split' } } });

describe('PostgreSQL with split connection settings', () => {
  let pg: ThrowawayPostgres;
  // Files PGSSLROOTCERT may name: one that is not PEM, one with a broken certificate.
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-pg-split-'));
  const notPem = join(dir, 'not-pem.crt');
  const brokenPem = join(dir, 'broken.pem');
  writeFileSync(notPem, 'this is not a certificate\n');
  writeFileSync(brokenPem, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const envFor = (over: Record<string, string | undefined> = {}) =>
    Object.fromEntries(Object.entries({ PGHOST: '127.0.0.1', PGPORT: String(pg.port), PGDATABASE: 'postgres', PGUSER: 'postgres', PGPASSWORD: 'not-used-by-trust-auth', ...over }).filter(([, v]) => v !== undefined)) as Record<string, string>;

  it('declares each libpq variable in the environment contract, the password as a secret', () => {
    expect(billing.dependencies.db!.connection).toEqual({ host: 'PGHOST', port: 'PGPORT', database: 'PGDATABASE', user: 'PGUSER', password: 'PGPASSWORD', sslmode: 'PGSSLMODE', sslrootcert: 'PGSSLROOTCERT' });
    expect(billing.env).toMatchObject({
      PGHOST: { required: true, secret: false },
      PGPORT: { required: false, secret: false },
      PGUSER: { required: true, secret: false },
      PGPASSWORD: { required: false, secret: true },
      PGSSLROOTCERT: { required: false, secret: false },
    });
  });

  it('connects, queries and passes startup validation', async () => {
    const runtime = createRuntime(billing, { env: envFor(), logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
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
      [{ PGSSLMODE: 'verfy-full' }, 'db (postgres) not checked: PGSSLMODE=verfy-full is not an SSL mode: use one of disable, require, verify-ca, verify-full'],
      [{ PGSSLMODE: 'prefer' }, 'db (postgres) not checked: PGSSLMODE=prefer is not supported: libpq falls back between TLS and plain connections there, which pg cannot do'],
      [{ PGSSLMODE: 'verify-full' }, 'db (postgres) not checked: PGSSLMODE=verify-full verifies the server against the CA certificates in PGSSLROOTCERT, which is not set: set PGSSLROOTCERT to a PEM file of them'],
      [{ PGSSLMODE: 'verify-ca', PGSSLROOTCERT: join(dir, 'missing.pem') }, `db (postgres) not checked: PGSSLROOTCERT names ${join(dir, 'missing.pem')}, which cannot be read (ENOENT)`],
      [{ PGSSLMODE: 'verify-full', PGSSLROOTCERT: notPem }, `PGSSLROOTCERT names ${notPem}, which holds no PEM certificate`],
      [{ PGSSLMODE: 'verify-full', PGSSLROOTCERT: brokenPem }, `PGSSLROOTCERT names ${brokenPem}, whose certificate 1 of 1 is not a valid X.509 certificate`],
      [{ PGSSLROOTCERT: brokenPem }, 'PGSSLROOTCERT is set but PGSSLMODE is not, which means no TLS at all: set PGSSLMODE=verify-full (or verify-ca)'],
      [{ PGSSLMODE: 'require', PGSSLROOTCERT: 'system' }, 'PGSSLROOTCERT=system trusts every public CA, so it needs PGSSLMODE=verify-full'],
    ] as const) {
      const logs = new LogCapture();
      const runtime = createRuntime(billing, { env: envFor(over), logDestination: logs, nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
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

  it('reports a TLS problem on the variable too, and the adapter refuses to connect rather than fall back to plain text', async () => {
    const logs = new LogCapture();
    const runtime = createRuntime(billing, { env: envFor({ PGSSLMODE: 'verify-full' }), logDestination: logs, nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
    const db = runtime.postgres('db');
    // The server accepts plain connections, yet none is made: every attempt fails naming the setting.
    await expect(db.pool.query('SELECT 1')).rejects.toThrow('PGSSLMODE=verify-full verifies the server against the CA certificates in PGSSLROOTCERT, which is not set');
    await expect(db.healthCheck()).rejects.toThrow('postgres db health check failed: PGSSLMODE=verify-full');
    const summary = await runtime.start().then(
      () => undefined,
      (e: unknown) => (e as StartupValidationError).summary,
    );
    expect(summary?.results.find((r) => r.name === 'env:PGSSLROOTCERT')).toMatchObject({ status: 'warning', message: expect.stringContaining('PGSSLMODE=verify-full verifies the server') });
    expect(summary?.results.find((r) => r.name === 'dependency:db')).toMatchObject({ status: 'fail', critical: true });
    await runtime.stop();
  });

  it('names the variables a declaration chose in TLS problems', async () => {
    const own = defineService({ name: 'billing', dependencies: { db: { kind: 'postgres', critical: true, connection: { sslmode: 'DB_SSLMODE', sslrootcert: 'DB_CA' } } } });
    const runtime = createRuntime(own, { env: { ...envFor(), DB_SSLMODE: 'verify-ca' }, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
    runtime.postgres('db');
    const err = await runtime.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).toContain('db (postgres) not checked: DB_SSLMODE=verify-ca verifies the server against the CA certificates in DB_CA, which is not set');
    await runtime.stop();
  });

  it('maps libpq sslmode and sslrootcert to pg: disable and unset plain, require encrypts, verify-* check the chain against the root certificates, verify-full the host too', () => {
    const pem = readFirstCertificate();
    const ok = (settings: { sslmode?: string; sslrootcert?: string }) => {
      const tls = postgresTls(settings);
      if (!tls.ok) throw new Error(tls.problems.map((p) => p.message).join('; '));
      return { mode: tls.mode, ssl: tls.ssl === false ? false : { ...tls.ssl, checkServerIdentity: tls.ssl.checkServerIdentity ? 'skipped' : 'default' } };
    };
    expect(ok({})).toEqual({ mode: 'disable', ssl: false });
    expect(ok({ sslmode: ' ' })).toEqual({ mode: 'disable', ssl: false });
    expect(ok({ sslmode: 'disable' })).toEqual({ mode: 'disable', ssl: false });
    expect(ok({ sslmode: 'disable', sslrootcert: '/nowhere.pem' })).toEqual({ mode: 'disable', ssl: false });
    expect(ok({ sslmode: 'require' })).toEqual({ mode: 'require', ssl: { rejectUnauthorized: false, checkServerIdentity: 'default' } });
    // libpq: require with a root certificate verifies the chain, as verify-ca.
    expect(ok({ sslmode: 'require', sslrootcert: pem.path })).toEqual({ mode: 'verify-ca', ssl: { ca: [pem.text], rejectUnauthorized: true, checkServerIdentity: 'skipped' } });
    expect(ok({ sslmode: 'verify-ca', sslrootcert: pem.path })).toEqual({ mode: 'verify-ca', ssl: { ca: [pem.text], rejectUnauthorized: true, checkServerIdentity: 'skipped' } });
    expect(ok({ sslmode: 'verify-full', sslrootcert: pem.path })).toEqual({ mode: 'verify-full', ssl: { ca: [pem.text], rejectUnauthorized: true, checkServerIdentity: 'default' } });
    // libpq 16's sslrootcert=system: the platform's trusted CAs (Node's roots and NODE_EXTRA_CA_CERTS), verify-full only.
    expect(ok({ sslmode: 'verify-full', sslrootcert: 'system' })).toEqual({ mode: 'verify-full', ssl: { rejectUnauthorized: true, checkServerIdentity: 'default' } });
    for (const refused of [{ sslmode: 'allow' }, { sslmode: 'no-verify' }, { sslmode: 'VERIFY-FULL' }, { sslmode: 'verify-ca' }, { sslmode: 'verify-ca', sslrootcert: 'system' }, { sslrootcert: pem.path }]) {
      expect({ refused, ok: postgresTls(refused).ok }).toEqual({ refused, ok: false });
    }
    // A value that does not look like a mode (a secret in the wrong field) is not repeated.
    const odd = postgresTls({ sslmode: 'hunter2 secret!' });
    expect(odd.ok ? '' : odd.problems[0]!.message).toBe('PGSSLMODE (value not shown) is not an SSL mode: use one of disable, require, verify-ca, verify-full');
  });

  /** The first certificate of a PEM file this test writes: any valid certificate will do. */
  function readFirstCertificate(): { path: string; text: string } {
    const text = CERTIFICATE.trim();
    const path = join(dir, 'ca.pem');
    writeFileSync(path, `# a comment line before the certificate, as CA bundles have\n${text}\n`);
    return { path, text };
  }
});

// A self-signed CA certificate (CN=bulwark-test-ca, EC P-256, valid 2026-2126), made once with
// openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 36500 -subj /CN=bulwark-test-ca; its key is gone.
const CERTIFICATE = `
-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUClWSwUFBkBYIDIayILBtVN10pBAwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPYnVsd2Fyay10ZXN0LWNhMCAXDTI2MTEzMDAzMjAyMloYDzIx
MjYxMTA2MDMyMDIyWjAaMRgwFgYDVQQDDA9idWx3YXJrLXRlc3QtY2EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAATjo7+Xd0+b/1jyl6CS0WwcGK0rJS1tIqBF7l0X
8C13yvIMzWoY1JkdVrknz17uVIQsqGJ9EjVaFh4QDICtU17Wo1MwUTAdBgNVHQ4E
FgQUiiLUiyszdcFvkGRnhfWH2oa5tbEwHwYDVR0jBBgwFoAUiiLUiyszdcFvkGRn
hfWH2oa5tbEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBlqHbN
yHRf5nPlc0+fRl9Q0dlsAsMRp6/TkLFfl49iZwIhAPEC5D38sh1DV7waGRUZ01zl
6flyrqYKoiutbo/nZm4G
-----END CERTIFICATE-----
`;
