/**
 * Smoke test of `npm run demo`: it starts everything, prints plain status lines when stdin is not
 * a TTY, quits by itself after --duration, exits 0 and leaves nothing running (every port it
 * printed is closed afterwards).
 */
import { spawn } from 'node:child_process';
import { portOpen } from '@bulwark/harness';
import { join } from 'node:path';

jest.setTimeout(240_000);

it('npm run demo -- --duration 15: status lines at OPTIMAL, exit 0, nothing left running', async () => {
  const child = spawn('npx', ['tsx', 'bin/demo.ts', '--duration', '15'], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so a hung demo can be killed with everything under it
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 200_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });

  expect({ exit, stderr: err.replace(/npm warn[^\n]*\n/g, '') }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
  const status = out.split('\n').filter((l) => /^\[\d+s\] [A-Z]+ \| /.test(l));
  expect(status.length).toBeGreaterThanOrEqual(8);
  expect(status.filter((l) => l.includes('] OPTIMAL | ')).length).toBeGreaterThanOrEqual(8);
  expect(status[status.length - 1]).toMatch(/\] OPTIMAL \| db=up cache=up ai=up \| alerts firing - pending - \| breakers closed \| 5s /);
  expect(out).toContain('stopped everything the demo started');

  const portsLine = out.split('\n').find((l) => l.startsWith('ports: '));
  expect(portsLine).toBeDefined();
  const ports = [...portsLine!.matchAll(/(\S+)=(\d+)/g)].map((m) => ({ name: m[1], port: Number(m[2]) }));
  expect(ports.map((p) => p.name)).toEqual(['service', 'admin', 'prometheus', 'postgres', 'redis', 'openai', 'pg-proxy', 'redis-proxy']);
  const stillOpen = [];
  for (const p of ports) if (await portOpen(p.port)) stillOpen.push(p);
  expect(stillOpen).toEqual([]);
});
