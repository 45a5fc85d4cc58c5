/**
 * A local Node.js base image for building and running service/Dockerfile where no image registry
 * is reachable: Debian 12 (bookworm) made by debootstrap from the Debian mirror apt already uses,
 * plus the very Node binary running this process (the one .node-version pins, dynamically linked
 * against Debian 12's libraries) and npm, laid out as the official node:<version>-bookworm-slim
 * image lays them out (/usr/local/bin/node, npm and npx; a `node` user, uid/gid 1000). It stands
 * in for that official image.
 *
 * podman's image store is the cache: the image is built only when `podman image exists` says it
 * is missing, one build at a time (a lock file), and the temporary root file system is removed on
 * every exit path.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync, chmodSync, chownSync, closeSync, copyFileSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync,
  openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, unlinkSync, writeSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { requireBinary } from './binaries';
import { podman, podmanImageExists, requirePodman, SBIN_DIRS } from './podman';
import { waitFor } from './ports';

// The podman helper is part of this module's interface (harness/src/index.ts exports this file).
export * from './podman';

/** The Debian release the official node:<version>-bookworm-slim image is built on. */
export const NODE_IMAGE_SUITE = 'bookworm';
export const NODE_IMAGE_REPOSITORY = 'localhost/bulwark-node';
const FALLBACK_MIRROR = 'http://deb.debian.org/debian';
/** Where the image keeps the machine's CA bundle; npm and fetch in it trust it through NODE_EXTRA_CA_CERTS. */
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const ROOTFS_PREFIX = 'bulwark-node-rootfs-';

/** The tag of the base image for the Node running this process, e.g. localhost/bulwark-node:24.22.3. */
export function nodeBaseImageTag(): string {
  return `${NODE_IMAGE_REPOSITORY}:${process.versions.node}`;
}

/**
 * The Debian mirror apt uses on this machine for the main archive (the `URIs:` of a deb822
 * .sources stanza, or a `deb` line of sources.list, naming the bookworm suite), else deb.debian.org.
 */
export function debianMirror(): string {
  const dir = '/etc/apt/sources.list.d';
  const sources = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources')).sort() : [];
  for (const file of sources) {
    for (const stanza of readFileSync(join(dir, file), 'utf8').split(/\n\s*\n/)) {
      const field = (name: string) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1]?.trim().split(/\s+/) ?? [];
      if (!field('Types').includes('deb') || !field('Suites').includes(NODE_IMAGE_SUITE)) continue;
      if (/^Enabled:\s*no\s*$/im.test(stanza)) continue;
      const uri = field('URIs').find((u) => /^https?:\/\//.test(u));
      if (uri) return uri;
    }
  }
  const list = '/etc/apt/sources.list';
  if (existsSync(list)) {
    for (const line of readFileSync(list, 'utf8').split('\n')) {
      // deb [options] URI suite components...
      const m = line.trim().match(/^deb\s+(?:\[[^\]]*\]\s+)?(https?:\/\/\S+)\s+(\S+)/);
      if (m && m[2] === NODE_IMAGE_SUITE) return m[1]!;
    }
  }
  return FALLBACK_MIRROR;
}

/** npm's package directory for this Node: next to the binary (../lib/node_modules/npm) as in a Node release, else the npm on PATH. */
export function npmPackageDir(nodePath = process.execPath): string {
  const candidates = [join(dirname(nodePath), '..', 'lib', 'node_modules', 'npm')];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(join(dir, 'npm'))) continue;
    // …/node_modules/npm/bin/npm-cli.js behind the `npm` symlink
    try {
      candidates.push(join(dirname(realpathSync(join(dir, 'npm'))), '..'));
    } catch {
      /* a dangling link */
    }
  }
  for (const dir of candidates) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'npm' && existsSync(join(dir, 'bin', 'npm-cli.js'))) return realpathSync(dir);
    } catch {
      /* not there */
    }
  }
  throw new Error(`npm not found for the Node base image: looked in ${candidates.join(', ')}`);
}

interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program (argument array, no shell), bounded; rejects with its stderr tail. */
function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout = (stdout + c).slice(-64_000)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-64_000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not start: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      const out = (stderr || stdout).slice(-4_000);
      reject(new Error(`${cmd} ${args.join(' ')} ${timedOut ? `did not finish within ${timeoutMs} ms (killed)` : `failed (exit ${code ?? signal})`}: ${out}`));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Directory shared by every clone of this repository on the machine (as ./nodew's cache). */
function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'bulwark');
}

/**
 * Takes the lock file `path` (it holds the owner's pid); waits while a live process holds it, and
 * takes over one whose owner is gone. Resolves with the release function.
 */
async function acquireLock(path: string, timeoutMs: number, log: (m: string) => void): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  let announced = false;
  await waitFor(
    () => {
      try {
        const fd = openSync(path, 'wx', 0o644);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readPid(path);
      if (owner !== undefined && alive(owner)) {
        if (!announced) log(`waiting for process ${owner}, which is building the Node base image (${path})`);
        announced = true;
        return false;
      }
      if (owner === undefined) return false; // being written this very moment; look again
      // The owner is gone (killed mid-build). Move its lock aside atomically; if what moved is not the
      // dead owner's (another waiter took over in between), put it back.
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
      } catch {
        return false;
      }
      if (readPid(aside) === owner) unlinkSync(aside);
      else {
        try {
          linkSync(aside, path);
        } catch {
          /* a third one holds it now; it wins */
        }
        unlinkSync(aside);
      }
      return false;
    },
    timeoutMs,
    `the Node base image build lock ${path}`,
    1_000,
  );
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (readPid(path) === process.pid) rmSync(path, { force: true });
  };
}

/** Mount points at or under `dir` (debootstrap mounts /proc and /sys in its target while it works), deepest first. */
function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map(unescape);
  return points.filter((p) => p === dir || p.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

/**
 * Removes a root file system: first unmounts anything still mounted inside it (a killed
 * debootstrap leaves /proc and /sys mounted), then removes it without crossing into any other
 * file system, so nothing outside it can be deleted.
 */
export async function removeRootfs(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const real = realpathSync(dir);
  for (const point of mountsUnder(real)) {
    const umount = requireBinary('umount', 'mount', SBIN_DIRS);
    await run(umount, [point], 60_000).catch(() => run(umount, ['-l', point], 60_000)).catch(() => undefined);
  }
  const left = mountsUnder(real);
  if (left.length) throw new Error(`not removing ${real}: still mounted inside it: ${left.join(', ')}`);
  await run(requireBinary('rm', 'coreutils'), ['-rf', '--one-file-system', '--', real], 10 * 60_000);
}

/** Root file systems of builds whose process is gone (killed before its cleanup ran). */
async function removeAbandonedRootfs(log: (m: string) => void): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(name.slice(ROOTFS_PREFIX.length).split('-')[0]);
    if (!name.startsWith(ROOTFS_PREFIX) || !Number.isInteger(pid) || alive(pid)) continue;
    log(`removing ${join(tmpdir(), name)}, left by an interrupted build`);
    await removeRootfs(join(tmpdir(), name)).catch((err: unknown) => log(`could not remove it: ${String(err)}`));
  }
}

/** Adds the `node` user and group (uid/gid 1000, home /home/node), as the official images have. */
function addNodeUser(rootfs: string): void {
  const etc = join(rootfs, 'etc');
  const has = (file: string, re: RegExp) => re.test(readFileSync(join(etc, file), 'utf8'));
  if (has('passwd', /^node:|^[^:]*:[^:]*:1000:/m) || has('group', /^node:|^[^:]*:[^:]*:1000:/m)) {
    throw new Error('the debootstrapped root file system already has a user or group node/1000');
  }
  appendFileSync(join(etc, 'group'), 'node:x:1000:\n');
  appendFileSync(join(etc, 'passwd'), 'node:x:1000:1000::/home/node:/bin/bash\n');
  if (existsSync(join(etc, 'gshadow'))) appendFileSync(join(etc, 'gshadow'), 'node:!::\n');
  if (existsSync(join(etc, 'shadow'))) appendFileSync(join(etc, 'shadow'), `node:!:${Math.floor(Date.now() / 86_400_000)}:0:99999:7:::\n`);
  const home = join(rootfs, 'home', 'node');
  mkdirSync(home, { recursive: true });
  chmodSync(home, 0o755);
  chownSync(home, 1000, 1000);
}

/** Installs the Node binary, npm (with the npm and npx links) and the CA bundle into the root file system. */
function addNode(rootfs: string, npmDir: string): void {
  const bin = join(rootfs, 'usr', 'local', 'bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(process.execPath, join(bin, 'node'));
  chmodSync(join(bin, 'node'), 0o755);
  const npmTarget = join(rootfs, 'usr', 'local', 'lib', 'node_modules', 'npm');
  mkdirSync(dirname(npmTarget), { recursive: true });
  cpSync(npmDir, npmTarget, { recursive: true, verbatimSymlinks: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(bin, 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(bin, 'npx'));
  const ca = join(rootfs, CA_BUNDLE);
  mkdirSync(dirname(ca), { recursive: true });
  copyFileSync(CA_BUNDLE, ca);
  chmodSync(ca, 0o644);
}

/** What the image does not need and is cheap to drop: downloaded .debs, apt's lists and caches, documentation. */
function slim(rootfs: string): void {
  const emptyDir = (rel: string, keep: readonly string[] = []) => {
    const abs = join(rootfs, rel);
    if (!existsSync(abs)) return;
    for (const entry of readdirSync(abs)) if (!keep.includes(entry)) rmSync(join(abs, entry), { recursive: true, force: true });
  };
  // apt expects these directories (and their partial/ and lock) to exist; only their contents go.
  emptyDir('var/cache/apt/archives', ['partial', 'lock']);
  emptyDir('var/lib/apt/lists', ['partial', 'lock']);
  for (const f of existsSync(join(rootfs, 'var/cache/apt')) ? readdirSync(join(rootfs, 'var/cache/apt')) : []) {
    if (f.endsWith('.bin')) rmSync(join(rootfs, 'var/cache/apt', f), { force: true });
  }
  for (const dir of ['usr/share/doc', 'usr/share/man', 'usr/share/info']) emptyDir(dir);
}

export interface NodeBaseImageOptions {
  /** Progress lines (a first build takes minutes). @default silent */
  readonly log?: (message: string) => void;
  /** Bound on waiting for another process's build. @default 25 minutes */
  readonly lockTimeoutMs?: number;
}

async function build(tag: string, log: (m: string) => void): Promise<void> {
  const debootstrap = requireBinary('debootstrap', 'debootstrap', SBIN_DIRS);
  const tar = requireBinary('tar', 'tar');
  if (!existsSync(CA_BUNDLE)) throw new Error(`${CA_BUNDLE} is missing: it comes with the Debian package ca-certificates (apt-get install ca-certificates)`);
  const npmDir = npmPackageDir();
  const mirror = debianMirror();
  await removeAbandonedRootfs(log);
  const rootfs = mkdtempSync(join(tmpdir(), `${ROOTFS_PREFIX}${process.pid}-`));
  try {
    const t0 = Date.now();
    log(`debootstrap --variant=minbase ${NODE_IMAGE_SUITE} from ${mirror} into ${rootfs}`);
    await run(debootstrap, ['--variant=minbase', NODE_IMAGE_SUITE, rootfs, mirror], 20 * 60_000);
    log(`debootstrap done in ${Math.round((Date.now() - t0) / 1000)} s; adding Node ${process.versions.node} (${process.execPath}) and npm (${npmDir})`);
    addNode(rootfs, npmDir);
    addNodeUser(rootfs);
    slim(rootfs);
    // The root file system as a tar stream straight into `podman import` (no shell, no temporary tarball).
    // /proc, /sys and /dev stay empty directories: the container runtime provides them.
    const tarChild = spawn(tar, ['-C', rootfs, '--numeric-owner', '--one-file-system', '--exclude=./proc/*', '--exclude=./sys/*', '--exclude=./dev/*', '-c', '.'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tarErr = '';
    tarChild.stderr.setEncoding('utf8').on('data', (c: string) => (tarErr = (tarErr + c).slice(-4_000)));
    const tarExit = new Promise<number | null>((resolve) => {
      tarChild.on('error', () => resolve(-1));
      tarChild.on('close', (code) => resolve(code));
    });
    try {
      await podman(
        [
          'import',
          '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          '--change', `ENV NODE_VERSION=${process.versions.node}`,
          '--change', `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
          '--change', 'CMD ["node"]',
          '--message', `Debian ${NODE_IMAGE_SUITE} (debootstrap minbase, ${mirror}) with Node ${process.versions.node} and npm`,
          '-', tag,
        ],
        { input: tarChild.stdout, timeoutMs: 15 * 60_000 },
      );
    } catch (err) {
      tarChild.kill('SIGKILL');
      throw err;
    }
    const tarCode = await tarExit;
    if (tarCode !== 0) {
      await podman(['rmi', '-f', tag], { allowFailure: true, timeoutMs: 120_000 });
      throw new Error(`tar of ${rootfs} failed (exit ${tarCode}): ${tarErr}`);
    }
    log(`built ${tag} in ${Math.round((Date.now() - t0) / 1000)} s`);
  } finally {
    await removeRootfs(rootfs);
  }
}

/**
 * The tag of the local Node base image (localhost/bulwark-node:<this Node's version>), built
 * first if podman does not have it. Missing programs (podman, runc, debootstrap) fail with a
 * MissingBinaryError naming their Debian package.
 */
export async function ensureNodeBaseImage(options: NodeBaseImageOptions = {}): Promise<string> {
  const log = options.log ?? (() => undefined);
  requirePodman();
  requireBinary('debootstrap', 'debootstrap', SBIN_DIRS);
  const tag = nodeBaseImageTag();
  if (await podmanImageExists(tag)) return tag;
  const release = await acquireLock(join(cacheDir(), `node-image-${process.versions.node}.lock`), options.lockTimeoutMs ?? 25 * 60_000, log);
  try {
    // Another process may have built it while this one waited.
    if (!(await podmanImageExists(tag))) await build(tag, log);
  } finally {
    release();
  }
  return tag;
}
