/**
 * What the service image installs (service/image-deps.ts): the run-time clients and what they need,
 * found in package-lock.json as Node would resolve them, copied from node_modules at the lock's
 * versions. (test/image/service-image.test.ts checks the built image itself.)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRuntimeDependencies, runtimeClosure, type LockEntry, type LockFile } from '../../service/image-deps';

const ROOT = join(__dirname, '..', '..');
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as LockFile;

describe('runtimeClosure', () => {
  it('the image\u2019s clients in this repository\u2019s lock file: themselves and their production dependencies, nothing of the workspace', () => {
    const closure = runtimeClosure(lock, ['pg', 'ioredis', 'openai']);
    expect(closure).toEqual(expect.arrayContaining(['node_modules/pg', 'node_modules/pg-pool', 'node_modules/pg-protocol', 'node_modules/ioredis', 'node_modules/openai']));
    for (const p of closure) {
      expect({ p, link: lock.packages[p]!.link ?? false }).toEqual({ p, link: false });
      expect(p).not.toMatch(/node_modules\/(@bulwark|@types|typescript|jest|esbuild|aws-cdk)/);
    }
    expect(closure.length).toBeLessThan(40);
  });

  const synthetic = (packages: Record<string, LockEntry>): LockFile => ({ packages: { '': {}, ...packages } });

  it('resolves as Node does: a nested copy before the hoisted one; optional dependencies and optional peers only when present', () => {
    const l = synthetic({
      'node_modules/app-client': { version: '1.0.0', dependencies: { shared: '^2' }, optionalDependencies: { native: '1', absent: '1' }, peerDependencies: { peer: '1', extra: '1' }, peerDependenciesMeta: { extra: { optional: true } } },
      'node_modules/app-client/node_modules/shared': { version: '2.0.0' },
      'node_modules/shared': { version: '1.0.0', dev: true } as LockEntry,
      'node_modules/native': { version: '1.0.0', optional: true },
      'node_modules/peer': { version: '1.0.0' },
      'node_modules/extra': { version: '1.0.0' },
    });
    expect(runtimeClosure(l, ['app-client'])).toEqual(['node_modules/app-client', 'node_modules/app-client/node_modules/shared', 'node_modules/native', 'node_modules/peer']);
  });

  it('a required package missing from the lock file is an error naming it and who needs it', () => {
    const l = synthetic({ 'node_modules/app-client': { version: '1.0.0', dependencies: { gone: '1' } } });
    expect(() => runtimeClosure(l, ['app-client'])).toThrow('package-lock.json has no gone, which node_modules/app-client needs; run npm install and commit the lock file');
    expect(() => runtimeClosure(l, ['nope'])).toThrow('package-lock.json has no node_modules/nope');
  });

  it('refuses a workspace link', () => {
    const l = synthetic({ 'node_modules/app-client': { version: '1.0.0', dependencies: { local: '*' } }, 'node_modules/local': { link: true } });
    expect(() => runtimeClosure(l, ['app-client'])).toThrow('node_modules/local (needed by node_modules/app-client) is a workspace link');
  });
});

describe('copyRuntimeDependencies', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-image-deps-'));
    mkdirSync(join(dir, 'root'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const pkg = (path: string, version: string) => {
    mkdirSync(join(dir, 'root', path), { recursive: true });
    writeFileSync(join(dir, 'root', path, 'package.json'), JSON.stringify({ name: path.split('node_modules/').pop(), version }));
    writeFileSync(join(dir, 'root', path, 'index.js'), 'module.exports = 1;\n');
  };
  const writeLock = (packages: Record<string, LockEntry>) => writeFileSync(join(dir, 'root', 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': {}, ...packages } }));

  it('copies each package without its nested node_modules, except the nested packages it needs; skips a missing optional one', () => {
    writeLock({
      'node_modules/app-client': { version: '1.0.0', dependencies: { shared: '^2' }, optionalDependencies: { native: '1' } },
      'node_modules/app-client/node_modules/shared': { version: '2.0.0' },
      'node_modules/native': { version: '1.0.0', optional: true },
    });
    pkg('node_modules/app-client', '1.0.0');
    pkg('node_modules/app-client/node_modules/shared', '2.0.0');
    pkg('node_modules/app-client/node_modules/dev-only', '9.9.9'); // not in the closure: not copied
    const copied = copyRuntimeDependencies(join(dir, 'root'), join(dir, 'out'), ['app-client']);
    expect(copied).toEqual(['node_modules/app-client', 'node_modules/app-client/node_modules/shared']);
    expect(existsSync(join(dir, 'out', 'node_modules/app-client/index.js'))).toBe(true);
    expect(existsSync(join(dir, 'out', 'node_modules/app-client/node_modules/shared/index.js'))).toBe(true);
    expect(existsSync(join(dir, 'out', 'node_modules/app-client/node_modules/dev-only'))).toBe(false);
  });

  it('an installed version other than the lock file\u2019s fails, naming both', () => {
    writeLock({ 'node_modules/app-client': { version: '1.0.0' } });
    pkg('node_modules/app-client', '1.0.1');
    expect(() => copyRuntimeDependencies(join(dir, 'root'), join(dir, 'out'), ['app-client'])).toThrow('node_modules/app-client is installed at 1.0.1, but package-lock.json pins 1.0.0; run npm ci');
  });
});
