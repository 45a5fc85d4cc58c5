/**
 * Real, throwaway servers for tests: redis-server and PostgreSQL on 127.0.0.1 ephemeral
 * ports, each in its own temporary directory. `kill()` stops one abruptly (a crash, for
 * fault tests); `start()` brings it back on the same port with the same data.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { postgresBinDir, requireBinary } from './binaries';
import { freePort, portOpen, waitFor } from './ports';

/** True once PostgreSQL accepts queries (after a crash it opens its port before recovery ends). */
async function acceptsQueries(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface ThrowawayServer {
  readonly port: number;
  readonly url: string;
  /** Starts (or restarts) the server on its port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it abruptly (SIGKILL). */
  kill(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

function waitExit(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

export async function startRedis(): Promise<ThrowawayServer> {
  const redisServer = requireBinary('redis-server', 'redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-redis-'));
  let child: ChildProcess | undefined;
  const server: ThrowawayServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
        stdio: 'ignore',
      });
      child.on('error', () => undefined); // reported by the wait below timing out; kill() and destroy() still clean up
      await waitFor(() => portOpen(port), 10_000, `redis on ${port}`);
    },
    async kill() {
      child?.kill('SIGKILL');
      await waitExit(child);
    },
    async destroy() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await startOrClean(server);
  return server;
}

/** Starts a server; on failure stops whatever did start and removes its files before rethrowing. */
async function startOrClean<T extends ThrowawayServer>(server: T): Promise<void> {
  try {
    await server.start();
  } catch (err) {
    await server.destroy().catch(() => undefined);
    throw err;
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  // initdb and postgres refuse to run as root.
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export interface ThrowawayPostgres extends ThrowawayServer {
  /** Connection string for the `postgres` superuser (trust auth, no password). */
  readonly url: string;
}

/** `pid` and every process descending from it (Linux /proc), parents before children. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the parenthesised command name: state, ppid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

export async function startPostgres(): Promise<ThrowawayPostgres> {
  const pgDir = postgresBinDir();
  const binaries = { initdb: requireBinary('initdb', 'postgresql', pgDir ? [pgDir] : []), postgres: requireBinary('postgres', 'postgresql', pgDir ? [pgDir] : []) };
  if (isRoot) requireBinary('runuser', 'util-linux');
  const exe = (n: 'initdb' | 'postgres') => binaries[n];
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgres(exe('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  try {
    execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let child: ChildProcess | undefined;
  const server: ThrowawayPostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      // Run `postgres` in the foreground so SIGKILL is a real crash of the server we started.
      const [cmd, args] = asPostgres(exe('postgres'), [
        '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
        '-c', 'fsync=off', '-c', 'full_page_writes=off',
      ]);
      child = spawn(cmd, args, { stdio: 'ignore', detached: true });
      await waitFor(() => acceptsQueries(server.url), 30_000, `postgres on ${port} to accept queries`, 100);
    },
    async kill() {
      if (child?.pid) {
        // Backends call setsid(), so the process group (runuser and the postmaster) misses them: an
        // orphaned backend would go on answering a pooled connection for a moment. Kill the whole tree.
        for (const pid of [...processTree(child.pid)].reverse()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }
      await waitExit(child);
      await waitFor(async () => !(await portOpen(port)), 10_000, `postgres on ${port} to stop`);
      // A killed postmaster can linger as a zombie for a moment while its pid and socket lock files still
      // name it; remove both so a restart on the same port does not stop at "lock file already exists".
      rmSync(join(data, 'postmaster.pid'), { force: true });
      rmSync(join(dir, `.s.PGSQL.${port}.lock`), { force: true });
    },
    async destroy() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await startOrClean(server);
  return server;
}
