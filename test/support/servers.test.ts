import { Client } from 'pg';
import Redis from 'ioredis';
import { startPostgres, startRedis } from './servers';

describe('throwaway servers', () => {
  it('runs PostgreSQL, survives a kill and restart', async () => {
    const pg = await startPostgres();
    try {
      const c = new Client({ connectionString: pg.url });
      await c.connect();
      expect((await c.query('select 1 as one')).rows[0].one).toBe(1);
      await c.end().catch(() => undefined);
      await pg.kill();
      const dead = new Client({ connectionString: pg.url, connectionTimeoutMillis: 500 });
      await expect(dead.connect()).rejects.toThrow();
      await pg.start();
      const c2 = new Client({ connectionString: pg.url });
      await c2.connect();
      expect((await c2.query('select 2 as two')).rows[0].two).toBe(2);
      await c2.end();
    } finally {
      await pg.destroy();
    }
  });

  it('runs Redis, survives a kill and restart', async () => {
    const r = await startRedis();
    try {
      const client = new Redis(r.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
      await r.kill();
      await r.start();
      const c2 = new Redis(r.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      await c2.connect();
      expect(await c2.set('k', 'v')).toBe('OK');
      c2.disconnect();
    } finally {
      await r.destroy();
    }
  });
});
