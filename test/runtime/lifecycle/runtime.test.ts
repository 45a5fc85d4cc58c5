import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { BreakerShutdownError, createRuntime, defineService, LEVEL, type BulwarkRuntime } from '@bulwark/runtime';
import { SHUTDOWN_ENV, shutdownFromEnv } from '../../../runtime/src/internal';
import { LogCapture } from '../logging/capture';
import { freePort } from '@bulwark/harness';

const decl = defineService({ name: 'lifecycle', routes: ['/slow', '/never'] });

function listen(runtime: BulwarkRuntime, handler: Parameters<BulwarkRuntime['createServer']>[0]) {
  const server = runtime.createServer(handler);
  return new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
}

/** A request on its own connection; resolves with status or the socket error code. */
function get(port: number, path: string): Promise<{ status?: number; error?: string; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, body: '' }));
    req.end();
  });
}

describe('runtime lifecycle', () => {
  it('two runtimes in one process (tests, hot reload) do not collide', () => {
    const a = createRuntime(decl, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    const b = createRuntime(decl, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    expect(a.metrics.registry).not.toBe(b.metrics.registry);
    expect(a.flags.circuitBreaker).toBe(true);
  });

  it('names an undeclared dependency and a kind mismatch', () => {
    const r = createRuntime(defineService({ name: 'xy', dependencies: { db: { kind: 'postgres', env: 'DATABASE_URL' } } }), {
      env: {},
      logDestination: new LogCapture(),
      nodeMetrics: false,
      admin: { port: 0 },
    });
    expect(() => r.redis('cache')).toThrow('dependency "cache" is not declared in service "xy"; declared: db');
    expect(() => r.redis('db')).toThrow('dependency "db" is declared with kind "postgres", not "redis"');
  });

  it('stops in order: readiness fails first, in-flight requests finish, then everything is released and flushed', async () => {
    const logs = new LogCapture();
    const runtime = createRuntime(decl, { env: {}, logDestination: logs, nodeMetrics: false, admin: { port: 0 }, shutdown: { drainDelayMs: 400, timeoutMs: 5_000 } });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const port = await listen(runtime, async (req, res) => {
      if (req.url === '/slow') await released;
      res.end('done');
    });
    await runtime.start();
    const admin = runtime.adminAddress!.port;
    expect((await get(port, '/health/ready')).status).toBe(200);
    const breaker = runtime.breakers.create({ name: 'extra', failureThreshold: 1, resetTimeoutMs: 1000, successThreshold: 1, timeoutMs: 100 });

    const inFlight = get(port, '/slow');
    await new Promise((r) => setTimeout(r, 50));
    const stopped = runtime.stop();
    const ready = await get(port, '/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'stopping' });
    expect((await get(admin, '/health/live')).status).toBe(200); // liveness never fails on shutdown
    expect((await get(admin, '/health/ready')).status).toBe(503);
    release();
    expect(await inFlight).toEqual({ status: 200, body: 'done' });
    await stopped;
    expect((await get(port, '/health/ready')).error).toBe('ECONNREFUSED');
    expect((await get(admin, '/health/live')).error).toBe('ECONNREFUSED');
    await expect(breaker.fire(async () => 1)).rejects.toBeInstanceOf(BreakerShutdownError);
    const msgs = logs.entries.map((e) => e.msg);
    expect(msgs.indexOf('shutting down: readiness now fails')).toBeLessThan(msgs.indexOf('stopped'));
    expect(msgs[msgs.length - 1]).toBe('stopped');
  });

  it('a request that never finishes cannot hold shutdown past its hard timeout', async () => {
    const logs = new LogCapture();
    const runtime = createRuntime(decl, { env: {}, logDestination: logs, nodeMetrics: false, admin: { port: 0 }, shutdown: { timeoutMs: 300 } });
    const port = await listen(runtime, () => new Promise<void>(() => undefined));
    await runtime.start();
    const stuck = get(port, '/never');
    await new Promise((r) => setTimeout(r, 50));
    await runtime.stop();
    expect((await stuck).error).toBeDefined();
    expect(logs.entries.some((e) => e.msg === 'shutdown timeout passed; closing the remaining connections')).toBe(true);
  });

  it('reports level, flags, breakers and the startup summary on /health', async () => {
    const runtime = createRuntime(decl, {
      env: { ENABLE_CIRCUIT_BREAKER: 'false' },
      logDestination: new LogCapture(),
      nodeMetrics: false,
      admin: { port: 0 },
    });
    await listen(runtime, (_req, res) => void res.end());
    try {
      await runtime.start();
      const admin = runtime.adminAddress!.port;
      const report = JSON.parse((await get(admin, '/health')).body);
      expect(report).toMatchObject({
        service: 'lifecycle',
        level: LEVEL.OPTIMAL,
        level_name: 'OPTIMAL',
        flags: { circuitBreaker: false, prometheusMetrics: true },
        startup: { status: 'healthy', critical_failures: 0 },
      });
      const metrics = (await get(admin, '/metrics')).body;
      expect(metrics).toContain('feature_flag_enabled{flag="ENABLE_CIRCUIT_BREAKER"} 0');
      expect(metrics).toContain('feature_flag_enabled{flag="ENABLE_PROMETHEUS_METRICS"} 1');
    } finally {
      await runtime.stop();
    }
  });

  it('metrics switched off: /metrics answers 404 and the service still serves', async () => {
    const runtime = createRuntime(decl, { env: { ENABLE_PROMETHEUS_METRICS: 'false' }, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    const port = await listen(runtime, (_req, res) => void res.end('ok'));
    try {
      await runtime.start();
      expect((await get(runtime.adminAddress!.port, '/metrics')).status).toBe(404);
      expect(await get(port, '/slow')).toEqual({ status: 200, body: 'ok' });
    } finally {
      await runtime.stop();
    }
  });
});

describe('the admin listener', () => {
  it('serves telemetry on its own port; the application port serves /health/ready and the application only', async () => {
    const runtime = createRuntime(decl, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    const port = await listen(runtime, (req, res) => void res.end(`app:${req.url}`));
    try {
      expect(runtime.adminAddress).toBeUndefined();
      await runtime.start();
      const admin = runtime.adminAddress!;
      expect(admin.host).toBe('127.0.0.1');
      expect(admin.url).toBe(`http://127.0.0.1:${admin.port}`);
      expect(admin.port).not.toBe(port);
      for (const path of ['/metrics', '/health', '/health/live']) {
        expect(await get(port, path)).toEqual({ status: 200, body: `app:${path}` });
        expect((await get(admin.port, path)).status).toBe(200);
      }
      expect(JSON.parse((await get(port, '/health/ready')).body)).toMatchObject({ ready: true, level_name: 'OPTIMAL' });
      expect(JSON.parse((await get(port, '/health/ready?probe=lb')).body)).toMatchObject({ ready: true });
      expect(await get(port, '/health/readyz')).toEqual({ status: 200, body: 'app:/health/readyz' });
      expect((await get(admin.port, '/metrics')).body).toContain('degradation_level 1');
      expect((await get(admin.port, '/slow')).status).toBe(404);
    } finally {
      await runtime.stop();
    }
  });

  it('binds where ADMIN_HOST and ADMIN_PORT say', async () => {
    const wanted = await freePort();
    const runtime = createRuntime(decl, { env: { ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(wanted) }, logDestination: new LogCapture(), nodeMetrics: false });
    try {
      await runtime.start();
      expect(runtime.adminAddress).toMatchObject({ host: '127.0.0.1', port: wanted });
      expect((await get(wanted, '/health/live')).status).toBe(200);
    } finally {
      await runtime.stop();
    }
  });

  it('an invalid ADMIN_PORT stops the runtime from being built; a port in use fails start naming the variables', async () => {
    expect(() => createRuntime(decl, { env: { ADMIN_PORT: 'metrics' }, logDestination: new LogCapture(), nodeMetrics: false })).toThrow(
      'ADMIN_PORT="metrics" is not valid; use a port number from 0 to 65535 (unset means the declared admin.port 9464)',
    );
    const first = createRuntime(decl, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } });
    await first.start();
    const taken = first.adminAddress!.port;
    const exits: number[] = [];
    const second = createRuntime(decl, { env: {}, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: taken }, exit: (code) => exits.push(code) });
    try {
      await expect(second.start()).rejects.toThrow(`the admin listener (/metrics, /health) cannot listen on 127.0.0.1:${taken}: the port is in use; set ADMIN_PORT`);
    } finally {
      await first.stop();
    }
  });

  it('admin: false serves no admin listener', async () => {
    const runtime = createRuntime(decl, { env: { ADMIN_PORT: 'ignored' }, logDestination: new LogCapture(), nodeMetrics: false, admin: false });
    try {
      await runtime.start();
      expect(runtime.adminAddress).toBeUndefined();
    } finally {
      await runtime.stop();
    }
  });
});

describe('shutdown settings from the environment', () => {
  it('reads SHUTDOWN_DRAIN_DELAY_MS and SHUTDOWN_TIMEOUT_MS, defaulting to 0 and 10 s', () => {
    expect(shutdownFromEnv({})).toEqual({ drainDelayMs: 0, timeoutMs: 10_000 });
    expect(shutdownFromEnv({ [SHUTDOWN_ENV.drainDelayMs]: '5000', [SHUTDOWN_ENV.timeoutMs]: '20000' })).toEqual({ drainDelayMs: 5_000, timeoutMs: 20_000 });
  });

  it('an invalid value stops the runtime from being built, naming the variable and the range', () => {
    expect(() => createRuntime(decl, { env: { SHUTDOWN_DRAIN_DELAY_MS: 'soon' }, logDestination: new LogCapture(), nodeMetrics: false, admin: { port: 0 } })).toThrow(
      'SHUTDOWN_DRAIN_DELAY_MS="soon" is not valid; use a whole number of milliseconds from 0 to 300000 (unset means 0)',
    );
  });
});

describe('starting degraded when the declaration allows it', () => {
  it('a critical dependency down at start: the service starts at its impact level and is not ready', async () => {
    const closed = await freePort();
    const degraded = defineService({
      name: 'lifecycle',
      dependencies: { db: { kind: 'postgres', critical: true, env: 'DATABASE_URL' } },
      startup: { onCriticalFailure: 'degraded', checkTimeoutMs: 1_000, timeoutMs: 2_000 },
    });
    const exits: number[] = [];
    const runtime = createRuntime(degraded, {
      env: { DATABASE_URL: `postgres://app:pw-never-logged@127.0.0.1:${closed}/app` },
      logDestination: new LogCapture(),
      nodeMetrics: false,
      admin: { port: 0 },
      exit: (code) => void exits.push(code),
    });
    runtime.postgres('db');
    try {
      const summary = await runtime.start();
      expect(summary.status).toBe('unhealthy');
      expect(exits).toEqual([]);
      expect(runtime.degradation.levelName).toBe('EMERGENCY');
      expect(runtime.readiness().ready).toBe(false);
    } finally {
      await runtime.stop();
    }
  });
});
