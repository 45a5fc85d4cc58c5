/**
 * Loads a team's module (TypeScript through tsx, or JavaScript) and finds the service declarations
 * among its exports. A declaration is recognised by the brand `defineService` puts on it, which any
 * copy of @bulwark/runtime shares, so the module may resolve a runtime of its own.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isServiceDeclaration, type ServiceDeclaration } from '@bulwark/runtime/declaration';
import { UsageError } from './errors';

const INDEX_FILES = ['index.ts', 'index.mts', 'index.cts', 'index.js', 'index.mjs', 'index.cjs'];
const MODULE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** The file a module argument names: itself, or a folder's index. */
export function resolveModule(module: string, cwd: string): string {
  const path = resolve(cwd, module);
  if (!existsSync(path)) throw new UsageError(`${module}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    const index = INDEX_FILES.map((f) => join(path, f)).find((f) => existsSync(f));
    if (!index) throw new UsageError(`${module} is a folder without an index (${INDEX_FILES.join(', ')})`);
    return index;
  }
  if (!MODULE_FILE.test(path)) throw new UsageError(`${module} is not a .ts, .js or .mjs module`);
  return path;
}

/** The first line of what a module threw while loading; a DeclarationError keeps its list of problems. */
function describeLoadError(err: unknown): string {
  if (err instanceof Error) return err.name === 'DeclarationError' ? err.message : (err.message.split('\n')[0] ?? err.name);
  return String(err);
}

export async function loadDeclarations(module: string, cwd: string = process.cwd()): Promise<ServiceDeclaration[]> {
  const file = resolveModule(module, cwd);
  let namespace: Record<string, unknown>;
  try {
    const { tsImport } = await import('tsx/esm/api');
    namespace = (await tsImport(pathToFileURL(file).href, __filename)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${module} failed to load: ${describeLoadError(err)}`);
  }
  // A CommonJS module's exports arrive as `default` too.
  const candidates = [...Object.values(namespace), ...(namespace.default && typeof namespace.default === 'object' ? Object.values(namespace.default) : [])];
  const found: ServiceDeclaration[] = [];
  for (const value of candidates) if (isServiceDeclaration(value) && !found.includes(value)) found.push(value);
  if (found.length === 0) throw new UsageError(`${module} exports no service declaration: export the value defineService returns (export const orders = defineService({ ... }))`);
  const names = found.map((d) => d.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`${module} exports two different declarations named "${twice}": service names must be unique`);
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
