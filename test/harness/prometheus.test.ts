import { createServer, type Server } from 'node:http';
import { startPrometheus } from '@bulwark/harness';
import { waitFor } from '@bulwark/harness';

describe('throwaway prometheus', () => {
  it('scrapes a target on 127.0.0.1 and answers queries', async () => {
    let scrapes = 0;
    const target: Server = createServer((_req, res) => {
      scrapes++;
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end('# TYPE demo_value gauge\ndemo_value 42\n');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const port = (target.address() as { port: number }).port;
    const prom = await startPrometheus({ targets: [{ job: 'demo', port }] });
    try {
      const result = await waitFor(async () => {
        const r = await prom.query('demo_value{job="demo"}');
        return r.length ? r : undefined;
      }, 20_000, 'first sample');
      expect(result?.[0]?.value[1]).toBe('42');
      expect(scrapes).toBeGreaterThan(0);
    } finally {
      await prom.stop();
      target.close();
    }
  }, 40_000);
});
