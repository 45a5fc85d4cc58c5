/**
 * A stall is not a timeout: when this process is blocked past a check's deadline while the
 * dependency's answer arrives, the answer wins. (Node runs expired timers before it reads the I/O
 * that arrived meanwhile, so a timer that fires late would otherwise report a timeout the dependency
 * never caused.) The answer comes from a TCP server in another process on 127.0.0.1, so it really
 * arrives during the stall; the stall is a busy loop right after the request is sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { runWithTimeout, withTimeout } from '../../../runtime/src/internal';

// Generous: on a busy machine the connect alone may take a while before the stall begins.
const TIMEOUT_MS = 3_000;
const STALL_MS = TIMEOUT_MS * 2;
let server: ChildProcess;
let port = 0;

beforeAll(async () => {
  const program = "const s = require('net').createServer((c) => c.on('data', () => c.end('pong'))); s.listen(0, '127.0.0.1', () => console.log(s.address().port));";
  server = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise<number>((resolve, reject) => {
    server.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    server.once('exit', (code) => reject(new Error(`the answering server exited ${code}`)));
  });
});
afterAll(() => {
  server?.kill('SIGKILL');
});

/** Sends "ping", then blocks this process for STALL_MS (the other process answers meanwhile); resolves on the answer. */
function pingThenStall(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.write('ping');
      const until = Date.now() + STALL_MS;
      while (Date.now() < until) {
        /* busy: the event loop cannot run */
      }
    });
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

describe('a check whose answer arrived while this process was stalled past the deadline', () => {
  it('runWithTimeout (health checks, startup checks) takes the answer, not a timeout', async () => {
    await expect(runWithTimeout(pingThenStall, TIMEOUT_MS)).resolves.toBeUndefined();
  });

  it('withTimeout (adapters\' own health checks) takes the answer, not a timeout', async () => {
    await expect(withTimeout(pingThenStall(), TIMEOUT_MS, 'ping')).resolves.toBeUndefined();
  });

  it('a dependency that really does not answer still times out', async () => {
    const never = () => new Promise<void>(() => undefined);
    await expect(runWithTimeout(never, TIMEOUT_MS)).rejects.toThrow(`did not answer within ${TIMEOUT_MS} ms`);
    await expect(withTimeout(never(), TIMEOUT_MS, 'silence')).rejects.toThrow(`silence timed out after ${TIMEOUT_MS} ms`);
  });
});
