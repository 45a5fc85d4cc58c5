/**
 * Real, throwaway servers for tests: redis-server and PostgreSQL on 127.0.0.1 ephemeral
 * ports, each in its own temporary directory. `kill()` stops one abruptly (a crash, for
 * fault tests); `start()` brings it back on the same port with the same data. With `tls`, each
 * accepts only TLS connections (what Amazon RDS with rds.force_ssl and ElastiCache with in-transit
 * encryption do).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * A server's TLS files, in PEM: its certificate, its key and the CA that issued the certificate.
 * The certificate must name DNS:localhost: the server's `url` connects to localhost and verifies it.
 */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

export interface ThrowawayServerOptions {
  /** Accept only TLS connections, with this certificate; without it, only plain ones (the default). */
  readonly tls?: ServerTls;
}

export interface ThrowawayRedisOptions extends ThrowawayServerOptions {
  /**
   * Require AUTH with this password (`--requirepass`, the default user's password: what an
   * ElastiCache AUTH token is); `url` carries it. Without it, no authentication (the default).
   */
  readonly password?: string;
}

function waitExit(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/**
 * redis-server on 127.0.0.1. With `tls`: TLS only (`--port 0 --tls-port`), clients not asked for a
 * certificate, and `url` is `rediss://localhost:<port>` (a client must trust `tls.caFile`). With
 * `password`: AUTH required (`--requirepass`), and `url` carries the password.
 */
export async function startRedis(options: ThrowawayRedisOptions = {}): Promise<ThrowawayServer> {
  const redisServer = requireBinary('redis-server', 'redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-redis-'));
  const { tls } = options;
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const auth = options.password === undefined ? [] : ['--requirepass', options.password];
  const userinfo = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  let child: ChildProcess | undefined;
  const server: ThrowawayServer = {
    port,
    url: tls ? `rediss://${userinfo}localhost:${port}` : `redis://${userinfo}127.0.0.1:${port}`,
    async start() {
      child = spawn(redisServer, [...listen, ...auth, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
        stdio: 'ignore',
      });
      child.on('error', () => undefined); // reported by the wait below timing out; kill() and destroy() still clean up
      await waitFor(() => portOpen(port), 60_000, `redis on ${port}`);
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
  /**
   * Connection string for the `postgres` superuser (trust auth, no password). With `tls`, to
   * localhost over TLS verified against the CA (`sslmode=verify-full&sslrootcert=…`).
   */
  readonly url: string;
}

/**
 * pg_hba.conf of a TLS-only server: no `host` line, so a plain TCP connection finds no entry and is
 * refused. The superuser needs no password (as without TLS); every other role authenticates with
 * its password (SCRAM), over TLS.
 */
const TLS_ONLY_HBA = `# startPostgres({ tls }): TLS only. No "host" line: a connection without TLS matches no entry.
local    all  all                    trust
hostssl  all  postgres  127.0.0.1/32  trust
hostssl  all  all       127.0.0.1/32  scram-sha-256
`;

/** Copies the TLS files into the server's directory, owned by the user PostgreSQL runs as (its key 0600, as it demands). */
function installPostgresTls(tls: ServerTls, dir: string): { cert: string; key: string; ca: string } {
  const tlsDir = join(dir, 'tls');
  mkdirSync(tlsDir, { mode: 0o755 });
  const files = { cert: join(tlsDir, 'server.crt'), key: join(tlsDir, 'server.key'), ca: join(tlsDir, 'root.crt') };
  copyFileSync(tls.certFile, files.cert);
  copyFileSync(tls.keyFile, files.key);
  copyFileSync(tls.caFile, files.ca);
  chmodSync(files.cert, 0o644);
  chmodSync(files.ca, 0o644);
  chmodSync(files.key, 0o600);
  if (isRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    const [uid, gid] = [id('-u'), id('-g')];
    for (const f of [tlsDir, ...Object.values(files)]) chownSync(f, uid, gid);
  }
  return files;
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

/**
 * PostgreSQL on 127.0.0.1. With `tls`: `ssl = on` with that certificate and a pg_hba.conf that
 * accepts only TLS connections (TLS_ONLY_HBA: the superuser without a password, other roles with
 * theirs); `url` connects over TLS.
 */
export async function startPostgres(options: ThrowawayServerOptions = {}): Promise<ThrowawayPostgres> {
  const pgDir = postgresBinDir();
  const binaries = { initdb: requireBinary('initdb', 'postgresql', pgDir ? [pgDir] : []), postgres: requireBinary('postgres', 'postgresql', pgDir ? [pgDir] : []) };
  if (isRoot) requireBinary('runuser', 'util-linux');
  const exe = (n: 'initdb' | 'postgres') => binaries[n];
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgres(exe('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  let tlsFiles: { cert: string; key: string; ca: string } | undefined;
  try {
    execFileSync(initCmd, initArgs, { stdio: 'ignore' });
    if (options.tls) {
      tlsFiles = installPostgresTls(options.tls, dir);
      writeFileSync(join(data, 'pg_hba.conf'), TLS_ONLY_HBA);
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const tlsArgs = tlsFiles ? ['-c', 'ssl=on', '-c', `ssl_cert_file=${tlsFiles.cert}`, '-c', `ssl_key_file=${tlsFiles.key}`, '-c', `ssl_ca_file=${tlsFiles.ca}`] : [];
  let child: ChildProcess | undefined;
  const server: ThrowawayPostgres = {
    port,
    url: tlsFiles
      ? `postgres://postgres@localhost:${port}/postgres?sslmode=verify-full&sslrootcert=${encodeURIComponent(tlsFiles.ca)}`
      : `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      // Run `postgres` in the foreground so SIGKILL is a real crash of the server we started.
      const [cmd, args] = asPostgres(exe('postgres'), [
        '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
        '-c', 'fsync=off', '-c', 'full_page_writes=off', ...tlsArgs,
      ]);
      const started = spawn(cmd, args, { stdio: 'ignore', detached: true });
      child = started;
      // Crash recovery after a SIGKILL can take long on a busy machine: bound generously, but stop at once if it exited.
      await waitFor(
        async () => {
          if (started.exitCode !== null) throw new PostgresExited(port, started.exitCode);
          return acceptsQueries(server.url);
        },
        120_000,
        `postgres on ${port} to accept queries`,
        100,
      ).catch((err: unknown) => {
        throw started.exitCode !== null ? new PostgresExited(port, started.exitCode) : err;
      });
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
      await waitFor(async () => !(await portOpen(port)), 60_000, `postgres on ${port} to stop`);
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

class PostgresExited extends Error {
  constructor(port: number, code: number) {
    super(`postgres on ${port} exited with code ${code} before it accepted queries`);
    this.name = 'PostgresExited';
  }
}
