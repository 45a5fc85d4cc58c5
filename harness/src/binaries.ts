/**
 * The programs the harness runs, found before anything starts: a missing one is a clear message
 * naming the Debian package that brings it, never `spawn … ENOENT` with half a stack left running.
 */
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
  ) {
    super(`${binary} is not installed: it comes with the Debian package ${debianPackage} (apt-get install ${debianPackage}; npm run setup:test-deps installs every test dependency)`);
    this.name = 'MissingBinaryError';
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** PostgreSQL's server programs live off PATH in Debian (/usr/lib/postgresql/<version>/bin); the newest wins. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) if (executable(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

/** The full path of `name` on PATH (or in `extraDirs`); throws MissingBinaryError naming the package. */
export function requireBinary(name: string, debianPackage: string, extraDirs: readonly string[] = []): string {
  for (const dir of [...extraDirs, ...(process.env.PATH ?? '').split(delimiter)]) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  throw new MissingBinaryError(name, debianPackage);
}

/** Every program the example stack needs, checked at once (the first missing one throws). */
export function requireStackBinaries(options: { readonly prometheus?: boolean } = {}): void {
  const pg = postgresBinDir();
  requireBinary('redis-server', 'redis-server');
  requireBinary('initdb', 'postgresql', pg ? [pg] : []);
  requireBinary('postgres', 'postgresql', pg ? [pg] : []);
  if (typeof process.getuid === 'function' && process.getuid() === 0) requireBinary('runuser', 'util-linux');
  if (options.prometheus ?? true) requireBinary('prometheus', 'prometheus');
}
