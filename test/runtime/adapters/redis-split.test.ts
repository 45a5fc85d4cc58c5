/**
 * Redis reached through split settings (REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD,
 * REDIS_TLS) instead of one URL — what ECS can fill from an ElastiCache endpoint and an AUTH token
 * secret's field — against a real redis-server that requires AUTH (`--requirepass`), with an ACL
 * user too; and what startup validation says when a setting is wrong. TLS against a real TLS-only
 * Redis: test/service/tls.test.ts.
 */
import Redis from 'ioredis';
import { startRedis, type ThrowawayServer } from '@bulwark/harness';
import { createRuntime, defineService, StartupValidationError, type ValidationSummary } from '@bulwark/runtime';
import { redisTls } from '../../../runtime/src/internal';
import { LogCapture } from '../logging/capture';

const PASSWORD = 'auth-token-0123456789abcdef';
const USER_PASSWORD = 'acl-user-password-fedcba9876';

const shop = defineService({
  name: 'shop',
  dependencies: { cache: { kind: 'redis', critical: false, connection: 'split' } },
  startup: { timeoutMs: 20_000, checkTimeoutMs: 15_000 },
});
const critical = defineService({
  name: 'shop',
  dependencies: { cache: { kind: 'redis', critical: true, connection: 'split' } },
  startup: { timeoutMs: 20_000, checkTimeoutMs: 15_000 },
});

describe('Redis with split connection settings', () => {
  let redis: ThrowawayServer;
  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
    // An ACL user besides the default one (ElastiCache RBAC works the same way: a user name and its password).
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await admin.connect();
      await admin.call('ACL', 'SETUSER', 'app', 'on', `>${USER_PASSWORD}`, '~*', '+@all');
    } finally {
      admin.disconnect();
    }
  });
  afterAll(() => redis?.destroy());

  const envFor = (over: Record<string, string | undefined> = {}) =>
    Object.fromEntries(Object.entries({ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port), REDIS_PASSWORD: PASSWORD, ...over }).filter(([, v]) => v !== undefined)) as Record<string, string>;

  /** Starts a runtime with `env`; its startup summary (whether or not it passed), and the logs. */
  async function start(env: Record<string, string>, declaration = shop): Promise<{ summary: ValidationSummary; message?: string; logs: string; state?: string }> {
    const logs = new LogCapture();
    const runtime = createRuntime(declaration, { env, logDestination: logs, nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
    const cache = runtime.redis('cache');
    try {
      const summary = await runtime.start();
      if (summary.results.find((r) => r.name === 'dependency:cache')?.status === 'pass') {
        await cache.set('split:key', 'value', 60);
        expect(await cache.get('split:key')).toBe('value');
      }
      const state = (runtime.report().dependencies as Record<string, { state: string }>).cache?.state;
      return { summary, logs: logs.text, state };
    } catch (err) {
      const e = err as StartupValidationError;
      return { summary: e.summary, message: e.message, logs: logs.text };
    } finally {
      await runtime.stop();
    }
  }

  it('declares each variable in the environment contract, the password as a secret, nothing required of an optional cache', () => {
    expect(shop.dependencies.cache!.connection).toEqual({ host: 'REDIS_HOST', port: 'REDIS_PORT', username: 'REDIS_USERNAME', password: 'REDIS_PASSWORD', tls: 'REDIS_TLS' });
    expect(shop.env).toEqual({
      REDIS_HOST: { required: false, secret: false },
      REDIS_PORT: { required: false, secret: false },
      REDIS_USERNAME: { required: false, secret: false },
      REDIS_PASSWORD: { required: false, secret: true },
      REDIS_TLS: { required: false, secret: false },
    });
    expect(critical.env.REDIS_HOST).toEqual({ required: true, secret: false });
  });

  it('authenticates with the AUTH token (REDIS_PASSWORD), passes startup validation and serves commands; the token is never logged', async () => {
    const r = await start(envFor());
    expect(r.summary.status).toBe('healthy');
    expect(r.summary.results.find((x) => x.name === 'dependency:cache')).toMatchObject({ status: 'pass' });
    expect(r.state).toBe('healthy');
    expect(r.logs.length).toBeGreaterThan(0);
    expect(r.logs).not.toContain(PASSWORD);
  });

  it('authenticates as an ACL user (REDIS_USERNAME and REDIS_PASSWORD)', async () => {
    const r = await start(envFor({ REDIS_USERNAME: 'app', REDIS_PASSWORD: USER_PASSWORD }));
    expect(r.summary.results.find((x) => x.name === 'dependency:cache')).toMatchObject({ status: 'pass' });
    expect(r.logs).not.toContain(USER_PASSWORD);
  });

  it('names what to set when authentication is refused, at once rather than after the check timeout, never showing a password', async () => {
    for (const [over, expected] of [
      [{ REDIS_PASSWORD: undefined }, 'NOAUTH Authentication required. (the server requires authentication: set REDIS_PASSWORD)'],
      [{ REDIS_PASSWORD: 'not-the-token-0000' }, "(REDIS_PASSWORD does not match what the server expects: the AUTH token, or the ACL user's password)"],
      [{ REDIS_USERNAME: 'app', REDIS_PASSWORD: 'not-the-password-0000' }, "(REDIS_USERNAME and REDIS_PASSWORD do not match what the server expects: the AUTH token, or the ACL user's password)"],
    ] as const) {
      const started = Date.now();
      const r = await start(envFor(over), critical);
      expect({ over, status: r.summary.status }).toEqual({ over, status: 'unhealthy' });
      expect(r.message).toContain('cache (redis) unreachable: redis cache health check failed:');
      expect(r.message).toContain(expected);
      // Well within the 15 s check timeout: refused authentication is reported when it happens.
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const secret of [PASSWORD, USER_PASSWORD, 'not-the-token-0000', 'not-the-password-0000']) expect(r.logs).not.toContain(secret);
    }
  });

  it('names a malformed port or TLS setting, and never connects in plain text with unusable TLS settings', async () => {
    const port = await start(envFor({ REDIS_PORT: 'sixty' }), critical);
    expect(port.message).toContain('cache (redis) not checked: REDIS_PORT is not a port number');

    const tls = await start(envFor({ REDIS_TLS: 'maybe' }), critical);
    expect(tls.message).toContain('cache (redis) not checked: REDIS_TLS=maybe is not true or false: use one of true, 1, yes, on, false, 0, no, off');
    expect(tls.summary.results.find((r) => r.name === 'env:REDIS_TLS')).toMatchObject({ status: 'warning', message: expect.stringContaining('REDIS_TLS=maybe is not true or false') });

    // The adapter itself: every call fails naming the setting, and the server never sees a connection.
    const logs = new LogCapture();
    const runtime = createRuntime(shop, { env: envFor({ REDIS_TLS: 'maybe' }), logDestination: logs, nodeMetrics: false, admin: { port: 0 }, exit: () => undefined });
    const cache = runtime.redis('cache');
    try {
      await expect(cache.get('k')).rejects.toThrow('REDIS_TLS=maybe is not true or false');
      await expect(cache.healthCheck()).rejects.toThrow('redis cache health check failed: REDIS_TLS=maybe is not true or false');
      expect(cache.client.status).toBe('wait');
    } finally {
      await runtime.stop();
    }
  });

  it('an optional cache without REDIS_HOST (unset or blank) is disabled, not down', async () => {
    for (const host of [undefined, ' ']) {
      const r = await start(envFor({ REDIS_HOST: host }));
      expect(r.summary.status).toBe('healthy');
      expect(r.state).toBe('disabled');
    }
  });

  it('reads REDIS_TLS as the runtime reads its flags: true, 1, yes, on and false, 0, no, off, any case; unset or blank is plain TCP', () => {
    for (const v of ['true', 'TRUE', ' on ', '1', 'yes']) expect(redisTls(v)).toEqual({ ok: true, tls: true });
    for (const v of [undefined, '', ' ', 'false', 'Off', '0', 'no']) expect(redisTls(v)).toEqual({ ok: true, tls: false });
    expect(redisTls('rediss')).toMatchObject({ ok: false });
    // A value that does not look like a word (a secret in the wrong variable) is not repeated.
    const odd = redisTls('hunter2 secret!', 'CACHE_TLS');
    expect(odd.ok ? '' : odd.problems[0]!.message).toMatch(/^CACHE_TLS \(value not shown\) is not true or false/);
  });
});
