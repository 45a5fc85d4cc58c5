/**
 * TLS as on AWS, against real servers that accept nothing else: a PostgreSQL with `ssl = on` and a
 * pg_hba.conf without a single `host` line (Amazon RDS with verification: PGSSLMODE=verify-full and
 * the CA bundle in PGSSLROOTCERT) and a Redis listening only on its TLS port and requiring AUTH
 * (ElastiCache with in-transit encryption and an AUTH token: REDIS_TLS=true, REDIS_PASSWORD).
 * Certificates come from a throwaway CA made here with openssl; the server certificate names
 * DNS:localhost and IP:127.0.0.1.
 *
 * Proves: the example service (service/main.ts, its real declaration), started as a real process
 * with its environment shaped exactly as the ECS task definition gives it, reaches OPTIMAL and
 * writes and reads through its cache, without its database password or Redis AUTH token in any log
 * line; the servers refuse plain connections; verify-full with another CA fails startup naming the
 * problem (even though NODE_EXTRA_CA_CERTS trusts the right CA: PGSSLROOTCERT's certificates are the
 * only trust anchors); verify-full checks the host name and verify-ca does not; require encrypts
 * without verifying; a DATABASE_URL with sslmode and sslrootcert gets TLS from pg itself; REDIS_TLS
 * verifies the server's certificate chain and host name and never falls back to plain text.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  apiKeyHeaders,
  generateApiKey,
  postgresEnv,
  redisEnv,
  requireBinary,
  startPostgres,
  startRedis,
  startServiceProcess,
  waitFor,
  type ServerTls,
  type ServiceProcess,
  type ThrowawayPostgres,
  type ThrowawayServer,
} from '@bulwark/harness';
import { createRuntime, defineService, type ValidationSummary } from '@bulwark/runtime';
import { RDS_CA_BUNDLE_PATH } from '@bulwark/runtime/catalog';
import { API_KEY_ENV } from '../../lib/services/providers';
import { LogCapture } from '../runtime/logging/capture';
import { synthProviders } from '../constructs/aws/support';

interface ContainerDefinition {
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
}

/** From spawn to /health/ready 200, or to exit: tsx compiles on load, and the machine is shared. */
const PROCESS_LIMIT_MS = 120_000;

interface Ca {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A throwaway CA (EC P-256, valid two days). */
function makeCa(dir: string, name: string, openssl: string): Ca {
  const ca = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  execFileSync(openssl, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ca.keyFile, '-out', ca.certFile,
    '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ], { stdio: 'pipe' });
  return ca;
}

/** A server certificate issued by `ca`, naming `sans` (e.g. DNS:localhost, IP:127.0.0.1). */
function makeServerCert(dir: string, name: string, ca: Ca, sans: string, openssl: string): ServerTls {
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${sans}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  execFileSync(openssl, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost'], { stdio: 'pipe' });
  execFileSync(openssl, ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', '1', '-days', '2', '-extfile', ext, '-out', certFile], { stdio: 'pipe' });
  return { certFile, keyFile, caFile: ca.certFile };
}

/** Everything the service printed: its JSON log lines, then anything else. */
const outputOf = (service: ServiceProcess): string => `${service.rawLogs.join('\n')}\n${service.otherOutput}`;

/** The example service (service/main.ts) as a real process with exactly `env` (plus PATH, HOME, PORT and HOST), once it is live. */
function runService(env: Record<string, string>): Promise<ServiceProcess> {
  return startServiceProcess({ env, startTimeoutMs: PROCESS_LIMIT_MS });
}

/** The same, returned as soon as it is spawned: for a run expected to fail startup. */
function spawnService(env: Record<string, string>): Promise<ServiceProcess> {
  return startServiceProcess({ env, waitForLive: false });
}

/** Resolves with `promise`, or rejects naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('TLS to PostgreSQL and Redis, as on AWS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-tls-'));
  const password = `pw-${randomBytes(12).toString('hex')}`;
  /** The Redis AUTH token (ElastiCache's, from a generated secret's field). */
  const authToken = `token-${randomBytes(16).toString('hex')}`;
  const runs: ServiceProcess[] = [];
  let ca: Ca;
  let otherCa: Ca;
  /** A certificate from the right CA that names only DNS:localhost, for the host name check. */
  let dnsOnly: ServerTls;
  let pg: ThrowawayPostgres | undefined;
  let redis: ThrowawayServer | undefined;

  beforeAll(async () => {
    const openssl = requireBinary('openssl', 'openssl');
    ca = makeCa(dir, 'bulwark-test-ca', openssl);
    otherCa = makeCa(dir, 'bulwark-other-ca', openssl);
    const tls = makeServerCert(dir, 'server', ca, 'DNS:localhost,IP:127.0.0.1', openssl);
    dnsOnly = makeServerCert(dir, 'dns-only', ca, 'DNS:localhost', openssl);
    await Promise.all([startPostgres({ tls }).then((s) => (pg = s)), startRedis({ tls, password: authToken }).then((s) => (redis = s))]);
    // The role the service connects as: a password, checked with SCRAM over TLS (pg_hba), and its own database.
    const admin = new Client({ connectionString: pg!.url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE app LOGIN PASSWORD '${password}'`);
      await admin.query('CREATE DATABASE providers OWNER app');
    } finally {
      await admin.end();
    }
  });

  afterAll(async () => {
    await Promise.all(runs.map((r) => r.stop(15_000)));
    await Promise.all([pg?.destroy(), redis?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The environment of the ECS task (lib/service-dependencies.ts): libpq's split variables, the
   * Redis endpoint with its AUTH token and TLS on, an OPENAI_API_KEY that is blank until the
   * operator puts one (one space: Secrets Manager stores no empty string), and the generated API key.
   */
  const apiKey = generateApiKey();
  const taskEnv = (over: Record<string, string> = {}): Record<string, string> => ({
    ...postgresEnv(pg!.port, { host: 'localhost', database: 'providers', user: 'app', password, sslmode: 'verify-full', sslrootcert: ca.certFile }),
    ...redisEnv(redis!.port, { host: 'localhost', password: authToken, tls: true }),
    OPENAI_API_KEY: ' ',
    [API_KEY_ENV]: apiKey,
    // Stands in for Amazon's root CAs, which Node trusts by default and which ElastiCache's
    // certificate chains to: here it is what lets the Redis TLS connection verify.
    NODE_EXTRA_CA_CERTS: ca.certFile,
    ...over,
  });

  it('that environment is the synthesized task definition\'s: the same connection variables, the same fixed values', () => {
    const { template } = synthProviders();
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as { Properties: { ContainerDefinitions: ContainerDefinition[] } }[];
    const app = task.Properties.ContainerDefinitions.find((c) => (c.Secrets ?? []).length > 0)!;
    const plain = Object.fromEntries((app.Environment ?? []).map((e) => [e.Name, e.Value]));
    const fromSecrets = (app.Secrets ?? []).map((e) => e.Name);
    const connection = (name: string) => /^(PG|REDIS_|OPENAI_API_KEY$)/.test(name) || name === API_KEY_ENV;
    const local = taskEnv();
    expect(Object.keys(local).filter(connection).sort()).toEqual([...Object.keys(plain), ...fromSecrets].filter(connection).sort());
    // Values the task fixes (not endpoints, ports or credentials) are the ones used here.
    expect({ PGSSLMODE: plain.PGSSLMODE, REDIS_TLS: plain.REDIS_TLS, PGDATABASE: plain.PGDATABASE }).toEqual({
      PGSSLMODE: local.PGSSLMODE,
      REDIS_TLS: local.REDIS_TLS,
      PGDATABASE: local.PGDATABASE,
    });
    // The CA bundle path is the image's (here a throwaway CA file stands in for it).
    expect(plain.PGSSLROOTCERT).toBe(RDS_CA_BUNDLE_PATH);
    expect(fromSecrets).toEqual(expect.arrayContaining(['PGUSER', 'PGPASSWORD', 'REDIS_PASSWORD', 'OPENAI_API_KEY', API_KEY_ENV]));
  });

  it('refuses plain connections: PostgreSQL finds no pg_hba.conf entry, Redis has no plain port', async () => {
    const plain = new Client({ host: '127.0.0.1', port: pg!.port, user: 'postgres', database: 'postgres', ssl: false, connectionTimeoutMillis: 30_000 });
    await expect(plain.connect()).rejects.toThrow('no pg_hba.conf entry for host "127.0.0.1", user "postgres", database "postgres", no encryption');
    await plain.end().catch(() => undefined);

    // A plain PING on Redis's only port: the TLS listener closes the connection without a reply.
    const socket = createConnection({ host: '127.0.0.1', port: redis!.port }, () => socket.write('PING\r\n'));
    try {
      const reply = await within(
        new Promise<string>((resolve) => {
          let got = '';
          socket.on('data', (d) => (got += d.toString('latin1')));
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(got));
        }),
        60_000,
        'Redis closing a plain connection',
      );
      expect(reply).not.toContain('PONG');
    } finally {
      socket.destroy();
    }
  });

  it('runs the example service with the ECS task environment: OPTIMAL, writes and cached reads over TLS, no password in any log line', async () => {
    const service = await runService(taskEnv());
    runs.push(service);
    const ready = await waitFor(
      async () => {
        if (!service.running) throw new Error(`the service exited: ${outputOf(service).slice(-3000)}`);
        const res = await fetch(`${service.url}/health/ready`).catch(() => undefined);
        return res?.status === 200 ? ((await res.json()) as { status: string; level_name: string }) : undefined;
      },
      PROCESS_LIMIT_MS,
      'the service to be ready',
      200,
    );
    expect(ready).toMatchObject({ status: 'ready', level_name: 'OPTIMAL' });
    const health = (await (await fetch(`${service.adminUrl}/health`)).json()) as { level_name: string; dependencies: Record<string, { state: string }> };
    expect(health.level_name).toBe('OPTIMAL');
    expect(Object.fromEntries(Object.entries(health.dependencies).map(([name, d]) => [name, d.state]))).toEqual({ db: 'healthy', cache: 'healthy', ai: 'disabled' });

    const created = await fetch(`${service.url}/providers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...apiKeyHeaders(apiKey) },
      body: JSON.stringify({ name: 'Acme TLS', category: 'logistics', city: 'Rosario' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const first = await fetch(`${service.url}/providers/${id}`);
    expect([first.status, first.headers.get('x-cache')]).toEqual([200, 'miss']);
    const second = await fetch(`${service.url}/providers/${id}`);
    expect([second.status, second.headers.get('x-cache')]).toEqual([200, 'hit']);
    expect(await second.json()).toMatchObject({ id, name: 'Acme TLS', city: 'Rosario' });

    // The service's own connections, as PostgreSQL sees them: all over TLS.
    const admin = new Client({ connectionString: pg!.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ tls: boolean }>("SELECT s.ssl AS tls FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'app'");
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.tls)).toBe(true);
    } finally {
      await admin.end();
    }

    await service.stop(15_000);
    expect((await service.exited).code).toBe(0);
    const output = outputOf(service);
    expect(output).toContain('"msg":"listening"');
    expect(output).not.toContain(password);
    expect(output).not.toContain(authToken);
  });

  it('fails startup with verify-full against another CA, naming the problem, although NODE_EXTRA_CA_CERTS trusts the right one', async () => {
    const service = await spawnService(taskEnv({ PGSSLROOTCERT: otherCa.certFile }));
    runs.push(service);
    expect((await within(service.exited, PROCESS_LIMIT_MS, 'the service exiting')).code).toBe(1);
    const output = outputOf(service);
    const fatal = output.split('\n').find((l) => l.includes('"level":"fatal"'));
    expect(fatal).toContain('db (postgres) unreachable');
    expect(fatal).toContain(`PGSSLMODE=verify-full: the server's certificate does not chain to a CA in PGSSLROOTCERT (${otherCa.certFile}); point PGSSLROOTCERT at the CA bundle that issued it`);
    expect(output).not.toContain(password);
  });

  it("checks Redis's certificate against REDIS_HOST: a certificate naming only DNS:localhost, reached by IP, leaves the cache down, naming why", async () => {
    const other = await startRedis({ tls: dnsOnly, password: authToken });
    try {
      const service = await runService(taskEnv({ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(other.port) }));
      runs.push(service);
      // The cache is optional: the service starts without it, and its startup check says what is wrong.
      const line = await service.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('cache (redis) unreachable'), PROCESS_LIMIT_MS, 'the cache check result');
      expect(line.msg).toContain("Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list");
      expect(line.msg).toContain("(REDIS_TLS=true: the server's certificate does not name REDIS_HOST=127.0.0.1; connect by a name the certificate holds)");
      // The periodic checks confirm it (the level does not move on the startup check alone).
      await waitFor(
        async () => {
          const health = (await (await fetch(`${service.adminUrl}/health`)).json()) as { dependencies: Record<string, { state: string }> };
          return health.dependencies.cache?.state === 'down';
        },
        PROCESS_LIMIT_MS,
        'the cache to be down',
        200,
      );
      await service.stop(15_000);
      expect(outputOf(service)).not.toContain(authToken);
    } finally {
      await other.destroy();
    }
  });

  describe('in process', () => {
    const billing = defineService({ name: 'billing', dependencies: { db: { kind: 'postgres', critical: true, connection: 'split' } } });

    /** Starts a runtime with the task environment (plus `over`); its summary, and whether its connection is TLS. */
    async function connect(over: Record<string, string>): Promise<{ summary: ValidationSummary; message?: string; tls?: boolean; logs: string }> {
      const logs = new LogCapture();
      const runtime = createRuntime(billing, { env: taskEnv(over), logDestination: logs, nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
      const db = runtime.postgres('db');
      try {
        const summary = await runtime.start();
        const { rows } = await db.query<{ tls: boolean }>('SELECT ssl AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
        return { summary, tls: rows[0]?.tls, logs: logs.text };
      } catch (err) {
        const e = err as Error & { summary: ValidationSummary };
        return { summary: e.summary, message: e.message, logs: logs.text };
      } finally {
        await runtime.stop();
      }
    }

    it('verify-full checks the host name against the certificate; verify-ca checks only the chain', async () => {
      // The certificate names IP:127.0.0.1 as well as DNS:localhost: both verify.
      expect(await connect({ PGHOST: '127.0.0.1' })).toMatchObject({ summary: { status: 'healthy' }, tls: true });
      // A server whose certificate (from the same CA) names only DNS:localhost, reached by its IP address.
      const other = await startPostgres({ tls: dnsOnly });
      try {
        const byIp = { PGHOST: '127.0.0.1', PGPORT: String(other.port), PGUSER: 'postgres', PGDATABASE: 'postgres', PGPASSWORD: '' };
        const full = await connect(byIp);
        expect(full.summary.status).toBe('unhealthy');
        expect(full.message).toContain("Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list");
        expect(full.message).toContain("(PGSSLMODE=verify-full: the server's certificate does not name PGHOST=127.0.0.1; connect by a name the certificate holds");
        expect(await connect({ ...byIp, PGSSLMODE: 'verify-ca' })).toMatchObject({ summary: { status: 'healthy' }, tls: true });
        expect(await connect({ ...byIp, PGHOST: 'localhost' })).toMatchObject({ summary: { status: 'healthy' }, tls: true });
      } finally {
        await other.destroy();
      }
      // verify-ca still checks the chain.
      const wrongCa = await connect({ PGSSLMODE: 'verify-ca', PGSSLROOTCERT: otherCa.certFile });
      expect(wrongCa.message).toContain(`(PGSSLMODE=verify-ca: the server's certificate does not chain to a CA in PGSSLROOTCERT (${otherCa.certFile}); point PGSSLROOTCERT at the CA bundle that issued it)`);
      expect(wrongCa.logs).not.toContain(password);
    });

    it('require encrypts without verifying the server; disable is refused by the TLS-only server', async () => {
      // Nothing in this process trusts the test CA (NODE_EXTRA_CA_CERTS is only in the runtime's env
      // object here), so a verifying connection would fail: require connects, encrypted, unverified.
      expect(await connect({ PGSSLMODE: 'require', PGSSLROOTCERT: '' })).toMatchObject({ summary: { status: 'healthy' }, tls: true });
      const system = await connect({ PGSSLROOTCERT: 'system' });
      expect(system.message).toContain("(PGSSLMODE=verify-full: the server's certificate does not chain to a CA the platform trusts (PGSSLROOTCERT=system); point PGSSLROOTCERT at the CA bundle that issued it)");
      const plain = await connect({ PGSSLMODE: 'disable', PGSSLROOTCERT: '' });
      expect(plain.message).toContain('no pg_hba.conf entry for host "127.0.0.1", user "app", database "providers", no encryption');
    });

    it("REDIS_TLS=true verifies the server's chain (here nothing trusts the test CA: the check fails naming why); without it nothing is served over plain text", async () => {
      const shop = defineService({ name: 'shop', dependencies: { cache: { kind: 'redis', critical: true, connection: 'split' } }, startup: { timeoutMs: 10_000, checkTimeoutMs: 5_000 } });
      const start = async (over: Record<string, string>) => {
        const logs = new LogCapture();
        // NODE_EXTRA_CA_CERTS in this env object reaches no TLS code: only a process's own start reads it.
        const runtime = createRuntime(shop, { env: taskEnv(over), logDestination: logs, nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
        runtime.redis('cache');
        try {
          const summary = await runtime.start().then(
            (s) => s,
            (e: { summary: ValidationSummary }) => e.summary,
          );
          return { summary, logs: logs.text };
        } finally {
          await runtime.stop();
        }
      };
      const untrusted = await start({});
      expect(untrusted.summary.status).toBe('unhealthy');
      const check = untrusted.summary.results.find((r) => r.name === 'dependency:cache')!;
      expect(check.message).toContain('self-signed certificate in certificate chain');
      expect(check.message).toContain("(REDIS_TLS=true: the server's certificate does not verify against the CAs this process trusts, Node's bundled roots (which Amazon ElastiCache's chain to) and NODE_EXTRA_CA_CERTS; for a private CA, add it with NODE_EXTRA_CA_CERTS)");
      const plain = await start({ REDIS_TLS: 'false' });
      expect(plain.summary.status).toBe('unhealthy');
      expect(plain.summary.results.find((r) => r.name === 'dependency:cache')).toMatchObject({ status: 'fail' });
      for (const run of [untrusted, plain]) expect(run.logs).not.toContain(authToken);
    });

    it('leaves a DATABASE_URL to pg: its sslmode and sslrootcert give verified TLS', async () => {
      const withUrl = defineService({ name: 'billing', dependencies: { db: { kind: 'postgres', critical: true, env: 'DATABASE_URL' } } });
      const url = (root: string) => `postgres://app:${password}@localhost:${pg!.port}/providers?sslmode=verify-full&sslrootcert=${encodeURIComponent(root)}`;
      for (const [root, healthy] of [[ca.certFile, true], [otherCa.certFile, false]] as const) {
        const logs = new LogCapture();
        const runtime = createRuntime(withUrl, { env: { DATABASE_URL: url(root) }, logDestination: logs, nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
        const db = runtime.postgres('db');
        const summary = await runtime.start().then(
          (s) => s,
          (e: { summary: ValidationSummary }) => e.summary,
        );
        expect({ root, status: summary.status }).toEqual({ root, status: healthy ? 'healthy' : 'unhealthy' });
        if (healthy) expect((await db.query<{ tls: boolean }>('SELECT ssl AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows).toEqual([{ tls: true }]);
        await runtime.stop();
        expect(logs.text).not.toContain(password);
      }
    });
  });
});
