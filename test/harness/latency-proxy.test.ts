import { createConnection, createServer, type Server } from 'node:net';
import { Client } from 'pg';
import { startLatencyProxy, type LatencyProxy } from '@bulwark/harness';
import { startPostgres, type ThrowawayPostgres } from '@bulwark/harness';

function pgClient(port: number): Client {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined); // an idle client whose connection drops emits 'error'; the test asserts on queries instead
  return client;
}

async function timedSelect(client: Client): Promise<number> {
  const started = Date.now();
  const { rows } = await client.query('SELECT 1 AS one');
  expect(rows[0].one).toBe(1);
  return Date.now() - started;
}

describe('latency proxy in front of a real PostgreSQL', () => {
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

  it('a SELECT 1 through the proxy gets slower after setLatency(300)', async () => {
    const client = pgClient(proxy.port);
    try {
      await client.connect();
      const baseline = await timedSelect(client);
      proxy.setLatency(300);
      const slowed = await timedSelect(client);
      // The query and its answer each wait 300 ms: a lower bound, so it cannot flake on a busy machine.
      expect(slowed).toBeGreaterThanOrEqual(590);
      expect(slowed).toBeGreaterThan(baseline);
    } finally {
      proxy.setLatency(0);
      await client.end().catch(() => undefined);
    }
  });

  it('setDown(true) drops open connections and refuses new ones; setDown(false) serves again', async () => {
    const client = pgClient(proxy.port);
    await client.connect();
    await timedSelect(client);
    proxy.setDown(true);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);

    const refused = pgClient(proxy.port);
    await expect(refused.connect()).rejects.toThrow();
    await refused.end().catch(() => undefined);

    proxy.setDown(false);
    const again = pgClient(proxy.port);
    try {
      await again.connect();
      await timedSelect(again);
    } finally {
      await again.end().catch(() => undefined);
    }
  });
});

describe('latency proxy ordering', () => {
  let echo: Server;
  let proxy: LatencyProxy;

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s)); // a real TCP echo server
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const address = echo.address();
    if (!address || typeof address === 'string') throw new Error('echo server has no port');
    proxy = await startLatencyProxy({ targetPort: address.port });
  });

  afterAll(async () => {
    await proxy?.close();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  it('keeps every byte in order while the latency changes mid-stream', async () => {
    const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
    await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    const done = new Promise<void>((r) => socket.once('end', () => r()));

    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      // Lowering the latency must not let later chunks overtake earlier ones.
      if (i === 50) proxy.setLatency(150);
      if (i === 100) proxy.setLatency(0);
      if (i === 150) proxy.setLatency(40);
      const line = `chunk-${i};`;
      sent.push(line);
      socket.write(line);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    socket.end();
    await done;
    socket.destroy();
    expect(Buffer.concat(received).toString()).toBe(sent.join(''));
  });

  it('rejects a negative latency', () => {
    expect(() => proxy.setLatency(-1)).toThrow(/latency must be a number of ms >= 0/);
  });
});
