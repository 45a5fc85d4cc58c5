import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const SRC = join(__dirname, '..', '..', '..', 'runtime', 'src');
const pkg = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)|require\('([^']+)'\)/g;

describe('runtime package boundaries', () => {
  const allowed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);

  it.each(files(SRC).map((f) => [relative(SRC, f), f]))('%s imports only its own files, node:, and its declared packages', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec) continue;
      if (spec.startsWith('.')) {
        expect(resolve(file, '..', spec).startsWith(SRC)).toBe(true);
      } else if (!spec.startsWith('node:')) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        expect({ file: _name, imports: name, declared: allowed.has(name ?? '') }).toEqual({ file: _name, imports: name, declared: true });
      }
    }
    expect(text).not.toMatch(/aws-cdk-lib|cdk8s/);
  });
});
