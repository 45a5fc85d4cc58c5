/**
 * The production dependencies of the service image, from the lock file: the packages the bundle's
 * external modules need at run time (their dependencies, optional dependencies and required peers,
 * transitively), at the paths package-lock.json gives them, copied out of the node_modules `npm ci`
 * installed from it. The image gets exactly the lock file's versions and nothing else, and needs no
 * second install (service/Dockerfile):
 *
 *   node --import tsx service/image-deps.ts <workspace root> <out dir> pg ioredis openai
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';

/** The parts of a package-lock.json (lockfileVersion 2 or 3) this reads. */
export interface LockFile {
  readonly packages: Readonly<Record<string, LockEntry>>;
}

export interface LockEntry {
  readonly version?: string;
  readonly link?: boolean;
  readonly optional?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
}

const NODE_MODULES = 'node_modules/';

/** Where Node finds `name` from the package at `from`: its own node_modules, then each parent's, up to the root's. */
function resolve(lock: LockFile, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}${NODE_MODULES}${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const parent = dir.lastIndexOf(`/${NODE_MODULES}`);
    dir = parent === -1 ? '' : dir.slice(0, parent);
  }
}

/**
 * The lock file paths (`node_modules/pg`, `node_modules/a/node_modules/b`, …) of `roots` and
 * everything they need at run time, sorted. Optional dependencies and optional peers the lock file
 * does not hold are left out; a required one it does not hold is an error naming both packages.
 */
export function runtimeClosure(lock: LockFile, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (path: string, needed: string) => {
    if (seen.has(path)) return;
    const entry = lock.packages[path];
    if (entry?.link) throw new Error(`${path} (needed by ${needed}) is a workspace link; the image takes only packages from the registry`);
    seen.add(path);
    const requiredPeers = Object.keys(entry?.peerDependencies ?? {}).filter((p) => !entry?.peerDependenciesMeta?.[p]?.optional);
    const edges: [string, boolean][] = [
      ...Object.keys(entry?.dependencies ?? {}).map((d): [string, boolean] => [d, true]),
      ...Object.keys(entry?.optionalDependencies ?? {}).map((d): [string, boolean] => [d, false]),
      ...requiredPeers.map((d): [string, boolean] => [d, true]),
    ];
    for (const [name, required] of edges) {
      const found = resolve(lock, path, name);
      if (found) visit(found, path);
      else if (required) throw new Error(`package-lock.json has no ${name}, which ${path} needs; run npm install and commit the lock file`);
    }
  };
  for (const root of roots) {
    const path = `${NODE_MODULES}${root}`;
    if (!lock.packages[path]) throw new Error(`package-lock.json has no ${path}; the image's run-time packages must be in the lock file`);
    visit(path, 'the service');
  }
  return [...seen].sort();
}

/**
 * Copies the closure of `roots` from `root`'s node_modules to the same paths under `out`, each
 * package without its nested node_modules (those it needs are in the closure themselves). An
 * installed version that differs from the lock file's fails the copy. Returns the copied paths.
 */
export function copyRuntimeDependencies(root: string, out: string, roots: readonly string[]): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as LockFile;
  const copied: string[] = [];
  for (const path of runtimeClosure(lock, roots)) {
    const from = join(root, path);
    const entry = lock.packages[path]!;
    if (!existsSync(from)) {
      if (entry.optional) continue; // not for this platform: npm ci skipped it too
      throw new Error(`${path} is in package-lock.json but not installed; run npm ci first`);
    }
    const installed = (JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { version?: string }).version;
    if (installed !== entry.version) throw new Error(`${path} is installed at ${installed}, but package-lock.json pins ${entry.version}; run npm ci`);
    const nested = join(from, 'node_modules');
    cpSync(from, join(out, path), { recursive: true, filter: (src) => src !== nested && !src.startsWith(`${nested}${sep}`) });
    copied.push(path);
  }
  return copied;
}

if (require.main === module) {
  const [root, out, ...roots] = process.argv.slice(2);
  if (!root || !out || roots.length === 0) {
    process.stderr.write('usage: node --import tsx service/image-deps.ts <workspace root> <out dir> <package>...\n');
    process.exit(2);
  }
  const copied = copyRuntimeDependencies(root, out, roots);
  process.stdout.write(`${copied.length} packages from package-lock.json: ${copied.map((p) => p.slice(NODE_MODULES.length)).join(', ')}\n`);
}
