/**
 * The service as a real process: startup validation decides whether it may run at all.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { providersService } from '../../lib/services/providers';
import { freePort, postgresEnv, redisEnv } from '@bulwark/harness';
import { startPostgres, startRedis, type ThrowawayPostgres, type ThrowawayServer } from '@bulwark/harness';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');

interface Exit {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs `service/main.ts` with exactly `env` (plus PATH/HOME), until it exits or `limitMs` passes. */
function runService(env: Record<string, string>, limitMs = 30_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
      cwd: ROOT,
      // ADMIN_PORT=0: an ephemeral admin listener, so parallel tests never contend for the declared one.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', ADMIN_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service still running after ${limitMs} ms:\n${output}`));
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - t0 });
    });
  });
}

describe('service startup', () => {
  let redis: ThrowawayServer;
  let pg: ThrowawayPostgres;
  beforeAll(async () => {
    [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.destroy(), pg?.destroy()]);
  });

  it('exits 1 naming a missing required variable', async () => {
    const r = await runService({ ...redisEnv(redis.port), PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    const fatal = r.output.split('\n').find((l) => l.includes('"level":"fatal"'));
    expect(fatal).toBeDefined();
    expect(fatal).toContain('PGHOST is required but not set');
  });

  it('exits 1 within the validation timeout when the critical database is unreachable, without leaking its password', async () => {
    const closed = await freePort();
    const r = await runService({
      ...postgresEnv(closed, { user: 'app', database: 'app', password: 'hunter2-secret' }),
      ...redisEnv(redis.port),
      PORT: String(await freePort()),
    });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/dependency:db/);
    expect(r.output).not.toContain('hunter2-secret');
    // Bounded by the declared startup budget, plus the process's own start-up (tsx compiles on load).
    expect(r.ms).toBeLessThan(providersService.startup.timeoutMs + 10_000);
  });

  it('exits 1 on an invalid feature flag, naming it and the accepted values', async () => {
    const r = await runService({ ...postgresEnv(pg.port), ENABLE_CIRCUIT_BREAKER: 'yes please' });
    expect(r.code).toBe(1);
    expect(r.output).toContain('ENABLE_CIRCUIT_BREAKER="yes please" is not a boolean; use one of true, false, 1, 0, yes, no, on, off');
  });

  it('with validation switched off, starts despite the missing variable (the seeds’ rollback); telemetry only on the admin port', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ADMIN_PORT: String(adminPort), ...postgresEnv(pg.port), ENABLE_STARTUP_VALIDATION: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 30_000;
      let ready = 0;
      while (Date.now() < deadline && ready !== 200 && child.exitCode === null) {
        ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status, () => 0);
        if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      if (ready !== 200) throw new Error(`service did not come up:\n${output}`);
      const report = (await (await fetch(`http://127.0.0.1:${adminPort}/health`)).json()) as { startup: { status: string } };
      expect(report.startup.status).toBe('skipped');
      // Telemetry answers on the admin listener only; the application's port keeps /health/ready alone.
      expect((await fetch(`http://127.0.0.1:${adminPort}/metrics`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${adminPort}/health/live`)).status).toBe(200);
      for (const path of ['/metrics', '/health', '/health/live']) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(await res.text()).not.toMatch(/degradation_level|"startup"/);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  });
});
