import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import Redis from 'ioredis';
import { startPostgres, startRedis } from '@bulwark/harness';

/** Whether `pid` is a running process (not gone, not a zombie waiting to be reaped). */
function liveProcess(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('throwaway servers', () => {
  it('runs PostgreSQL, survives a kill and restart', async () => {
    const pg = await startPostgres();
    try {
      const c = new Client({ connectionString: pg.url });
      await c.connect();
      expect((await c.query('select 1 as one')).rows[0].one).toBe(1);
      const backend = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      c.on('error', () => undefined); // the server goes away under it
      await pg.kill();
      // Backends run in sessions of their own: the kill must reach them too, not leave one to answer
      // a pooled connection until it notices its postmaster died.
      expect(liveProcess(backend)).toBe(false);
      await expect(c.query('select 1')).rejects.toThrow();
      await c.end().catch(() => undefined);
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
