/** Reading and changing the output folder: only ever the files Bulwark's manifest says it wrote. */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { UsageError } from './errors';
import { MANIFEST_FILE } from './files';

/** The paths the last `bulwark generate` wrote into `out` (none when it never ran there). */
export function readManifest(out: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(out, MANIFEST_FILE), 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as { files?: unknown };
    if (Array.isArray(parsed.files) && parsed.files.every((f) => typeof f === 'string' && isInside(f))) return parsed.files as string[];
  } catch {
    // falls through to the error below
  }
  throw new UsageError(`${join(out, MANIFEST_FILE)} is not a manifest bulwark generate wrote; restore it from version control or delete it`);
}

/** A relative path that stays inside the output folder. */
function isInside(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.split('/').includes('..');
}

export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}

/** Removes a file and then every folder it leaves empty, up to (not including) `out`. */
export function removeFile(out: string, path: string): void {
  rmSync(join(out, path), { force: true });
  for (let dir = dirname(join(out, path)); relative(out, dir) !== '' && !relative(out, dir).startsWith('..'); dir = dirname(dir)) {
    if (readdirSync(dir).length > 0) break;
    rmdirSync(dir);
  }
}

/** `/`-separated path relative to `out`. */
export function display(out: string, path: string): string {
  return join(out, path).split(sep).join('/');
}
