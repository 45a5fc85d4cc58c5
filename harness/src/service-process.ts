/**
 * The example service as a real child process (`node --import tsx service/main.ts`), so signals
 * reach it directly and it reads only its environment, as in production. Its stdout JSON log
 * lines are captured and parsed; anything else it prints is kept as text.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN_ENV, HEALTH_PATH, PORT_ENV } from '@bulwark/runtime/catalog';
import { freePort, sleep } from './ports';

export interface ServiceLogLine {
  readonly level: string | number;
  readonly msg: string;
  readonly time?: number;
  readonly [field: string]: unknown;
}

export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly pid: number;
  readonly port: number;
  /** The application's port: the routes and /health/ready. */
  readonly url: string;
  readonly adminPort: number;
  /** The admin listener: /metrics, /health, /health/live, /health/ready. */
  readonly adminUrl: string;
  /** Every JSON log line printed on stdout so far, in order. */
  readonly logs: readonly ServiceLogLine[];
  /** The same lines as printed, unparsed (a parser that keeps the last duplicate key would hide one). */
  readonly rawLogs: readonly string[];
  /** stdout lines that were not JSON, and everything on stderr. */
  readonly otherOutput: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ServiceExit>;
  readonly running: boolean;
  kill(signal?: NodeJS.Signals): void;
  /** Waits for the exit; rejects after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<ServiceExit>;
  /** Waits for a log line matching `match` (already printed or still to come). */
  waitForLog(match: (line: ServiceLogLine) => boolean, timeoutMs?: number, what?: string): Promise<ServiceLogLine>;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. Safe to call when already exited. */
  stop(graceMs?: number): Promise<ServiceExit>;
}

export interface ServiceProcessOptions {
  /** The service's environment (PGHOST, REDIS_HOST, ...: see connection-env.ts); PORT, HOST, ADMIN_PORT and ADMIN_HOST are set here. */
  readonly env: Readonly<Record<string, string>>;
  /** @default a free port on 127.0.0.1 */
  readonly port?: number;
  /** The admin listener's port. @default a free port on 127.0.0.1 */
  readonly adminPort?: number;
  /** Until the service's port answers. @default 20000 */
  readonly startTimeoutMs?: number;
  /**
   * Wait until the service's port answers (it listens once startup validation passed). false:
   * return as soon as it is spawned, for a test that expects it to fail startup and reads why.
   * @default true
   */
  readonly waitForLive?: boolean;
}

const REPO_ROOT = join(__dirname, '..', '..');
/** What a child needs from ours to run node and tsx at all; nothing else leaks in. */
const INHERITED_ENV = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'] as const;

export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const adminPort = options.adminPort ?? (await freePort());
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  Object.assign(env, options.env, { [PORT_ENV]: String(port), HOST: '127.0.0.1', [ADMIN_ENV.port]: String(adminPort), [ADMIN_ENV.host]: '127.0.0.1' });

  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join('service', 'main.ts')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: ServiceLogLine[] = [];
  const rawLogs: string[] = [];
  const listeners = new Set<() => void>();
  let other = '';
  let partial = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      try {
        logs.push(JSON.parse(line) as ServiceLogLine);
        rawLogs.push(line);
      } catch {
        other += `${line}\n`;
      }
    }
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (other += chunk));

  let exit: ServiceExit | undefined;
  // 'close' (not 'exit') so every byte of stdout has been read when this resolves.
  const exited = new Promise<ServiceExit>((resolve) => {
    child.once('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const proc: ServiceProcess = {
    pid: child.pid ?? -1,
    port,
    url,
    adminPort,
    adminUrl,
    logs,
    rawLogs,
    get otherOutput() {
      return other;
    },
    exited,
    get running() {
      return exit === undefined;
    },
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (exit === undefined) child.kill(signal);
    },
    async waitForExit(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`service pid ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    waitForLog(match, timeoutMs = 10_000, what = 'log line') {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from the service`));
        }, timeoutMs);
        const check = () => {
          const line = logs.find(match);
          if (!line) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(line);
        };
        listeners.add(check);
      });
    },
    async stop(graceMs = 15_000) {
      if (exit !== undefined) return exit;
      child.kill('SIGTERM');
      try {
        return await proc.waitForExit(graceMs);
      } catch {
        child.kill('SIGKILL');
        return exited;
      }
    },
  };

  if (options.waitForLive === false) return proc;
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (exit !== undefined) throw new Error(`service exited during start (${JSON.stringify(exit)}): ${other.slice(-2000)}`);
    // The application's port answers readiness (200 or 503) once the service listens.
    const listening = await fetch(`${url}${HEALTH_PATH.ready}`).then(() => true, () => false);
    if (listening) break;
    if (Date.now() > deadline) {
      await proc.stop(2_000);
      throw new Error(`service on ${port} did not answer ${HEALTH_PATH.ready} in time: ${other.slice(-2000)}`);
    }
    await sleep(100);
  }
  return proc;
}
