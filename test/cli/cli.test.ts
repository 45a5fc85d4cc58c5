/**
 * The `bulwark` CLI as a team runs it (a real process): generate and check on modules written
 * here, staleness, orphans, a refused overwrite, the promtool skip, and every user error exiting 2
 * with one message and no stack trace. Also: this repository's own monitoring/ is current.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// Each run spawns node with tsx, and check runs promtool: minutes, not seconds, on a busy machine.
jest.setTimeout(900_000);

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'cli', 'src', 'main.ts');

// Inside the checkout (ignored by git), so the modules resolve @bulwark/runtime to its sources as every module here does.
mkdirSync(join(ROOT, '.tmp'), { recursive: true });
const work = mkdtempSync(join(ROOT, '.tmp', 'cli-'));
const rel = (path: string) => relative(ROOT, path);
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** PATH without promtool: most cases are not about it, and it takes seconds per service. */
const WITHOUT_PROMTOOL = { ...process.env, PATH: join(work, 'empty-path') };

function bulwark(args: readonly string[], env: NodeJS.ProcessEnv = WITHOUT_PROMTOOL): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 600_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 2, one `bulwark:` message on stderr, no stack trace. */
function expectUserError(run: Run, message: string | RegExp): void {
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 2, stdout: '' });
  expect(run.stderr.startsWith('bulwark: ')).toBe(true);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

function module(name: string, source: string): string {
  const path = join(work, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, source);
  return rel(path);
}

const TWO_SERVICES = `
import { defineService } from '@bulwark/runtime';
export const quotes = defineService({
  name: 'quotes',
  dependencies: { db: { kind: 'postgres', critical: true, env: 'DATABASE_URL' } },
  objectives: { availability: 0.999, latency: { thresholdMs: 150, target: 0.99 } },
  routes: ['/quotes/:id'],
});
export const carts = defineService({ name: 'carts', objectives: { latency: { thresholdMs: 300, target: 0.95 } } });
export const notADeclaration = { name: 'nope' };
`;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('this repository', () => {
  it('has current monitoring files for lib/services (what npm run monitoring writes; test/alerts runs promtool on them)', () => {
    const run = bulwark(['check', 'lib/services', '--out', 'monitoring']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^\d+ files in monitoring are up to date$/m);
    expect(run.status).toBe(0);
  });
});

describe('bulwark generate and check', () => {
  const services = module('team/services.ts', TWO_SERVICES);
  const out = rel(join(work, 'team', 'monitoring'));
  const outDir = join(ROOT, out);

  it('writes rules, promtool tests, dashboards, runbooks and a manifest per service, and says what it wrote', () => {
    const run = bulwark(['generate', services, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const written = files(outDir);
    for (const f of ['carts.rules.yml', 'carts.test.yml', 'quotes.rules.yml', 'quotes.test.yml', 'dashboards/quotes/overview.json', 'dashboards/carts/runtime.json', 'runbooks/DependencyDown.md', 'runbooks/README.md', '.bulwark-manifest.json']) {
      expect(written).toContain(f);
      if (f !== '.bulwark-manifest.json') expect(run.stdout).toContain(`wrote ${out}/${f}`);
    }
    expect(written).not.toContain('dashboards/nope');
    // Every runbook link in the rules resolves next to them.
    for (const rule of ['quotes.rules.yml', 'carts.rules.yml']) {
      const links = [...readFileSync(join(outDir, rule), 'utf8').matchAll(/runbook_url: (\S+)/g)].map((m) => m[1]!);
      expect(links.length).toBeGreaterThan(5);
      for (const link of links) expect({ link, exists: existsSync(join(outDir, link)) }).toEqual({ link, exists: true });
    }
    // The latency objectives are buckets the rules read.
    expect(readFileSync(join(outDir, 'quotes.rules.yml'), 'utf8')).toContain('le="0.15"');
    expect(readFileSync(join(outDir, 'carts.rules.yml'), 'utf8')).toContain('le="0.3"');
  });

  it('writes the same bytes again (nothing changed), and check passes with promtool', () => {
    const before = new Map(files(outDir).map((f) => [f, readFileSync(join(outDir, f), 'utf8')]));
    const again = bulwark(['generate', services, '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('wrote ');
    expect(again.stdout).toContain('0 written');
    expect(new Map(files(outDir).map((f) => [f, readFileSync(join(outDir, f), 'utf8')]))).toEqual(before);
    const check = bulwark(['check', services, '--out', out], process.env);
    expect(check.stdout).toContain('promtool check rules and promtool test rules passed');
    expect(check.status).toBe(0);
  });

  it('says when promtool is not on PATH, and skips it', () => {
    const check = bulwark(['check', services, '--out', out]);
    expect(check.stdout).toContain('promtool not found on PATH: skipped promtool check rules and promtool test rules');
    expect(check.status).toBe(0);
  });

  it('check fails listing each stale and missing file', () => {
    writeFileSync(join(outDir, 'quotes.rules.yml'), `${readFileSync(join(outDir, 'quotes.rules.yml'), 'utf8')}# edited by hand\n`);
    rmSync(join(outDir, 'dashboards', 'carts', 'overview.json'));
    const check = bulwark(['check', services, '--out', out]);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(`stale: ${out}/quotes.rules.yml`);
    expect(check.stdout).toContain(`missing: ${out}/dashboards/carts/overview.json`);
    expect(check.stdout).toContain(`2 files out of date: run bulwark generate ${services} --out ${out}`);
    expect(bulwark(['generate', services, '--out', out]).status).toBe(0);
    expect(bulwark(['check', services, '--out', out]).status).toBe(0);
  });

  it('reports the files of a removed declaration as orphaned, and generate removes only its own files', () => {
    writeFileSync(join(outDir, 'dashboards', 'carts', 'notes.md'), 'our own notes\n');
    const onlyQuotes = module('team/services.ts', TWO_SERVICES.replace(/export const carts = [^\n]*\n/, ''));
    const check = bulwark(['check', onlyQuotes, '--out', out]);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(`orphaned: ${out}/carts.rules.yml (no declaration produces it any more)`);
    expect(check.stdout).toContain(`orphaned: ${out}/dashboards/carts/overview.json`);
    const generate = bulwark(['generate', onlyQuotes, '--out', out]);
    expect(generate.status).toBe(0);
    expect(generate.stdout).toContain(`removed ${out}/carts.test.yml`);
    const left = files(outDir);
    expect(left.filter((f) => f.includes('carts'))).toEqual(['dashboards/carts/notes.md']);
    expect(bulwark(['check', onlyQuotes, '--out', out]).status).toBe(0);
  });

  it('refuses, whole, to overwrite a file it did not write', () => {
    const fresh = join(work, 'fresh');
    mkdirSync(fresh);
    writeFileSync(join(fresh, 'quotes.rules.yml'), 'groups: [] # ours\n');
    const run = bulwark(['generate', services, '--out', rel(fresh)]);
    expectUserError(run, /nothing written: .*fresh\/quotes\.rules\.yml already exists and was not written by bulwark generate/);
    expect(readdirSync(fresh)).toEqual(['quotes.rules.yml']);
    expect(readFileSync(join(fresh, 'quotes.rules.yml'), 'utf8')).toBe('groups: [] # ours\n');
  });

  it('finds declarations made by another copy of @bulwark/runtime', () => {
    const copy = join(work, 'other-runtime');
    cpSync(join(ROOT, 'runtime', 'src'), copy, { recursive: true });
    const viaCopy = module('copy/services.ts', `import { defineService } from '../other-runtime/declaration';\nexport const ledger = defineService({ name: 'ledger' });\n`);
    const run = bulwark(['generate', viaCopy, '--out', rel(join(work, 'copy', 'monitoring'))]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(existsSync(join(work, 'copy', 'monitoring', 'ledger.rules.yml'))).toBe(true);
  });

  it('loads a folder through its index, and JavaScript modules', () => {
    module('folder/index.ts', `export { quotes } from '../team/services';\n`);
    const fromFolder = bulwark(['generate', rel(join(work, 'folder')), '--out', rel(join(work, 'folder', 'monitoring'))]);
    expect(fromFolder.stderr).toBe('');
    expect(fromFolder.status).toBe(0);
    expect(existsSync(join(work, 'folder', 'monitoring', 'quotes.rules.yml'))).toBe(true);
    const mjs = module('plain/services.mjs', `export { quotes as fromJavaScript } from '../team/services.ts';\n`);
    const run = bulwark(['generate', mjs, '--out', rel(join(work, 'plain', 'monitoring'))]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(existsSync(join(work, 'plain', 'monitoring', 'quotes.rules.yml'))).toBe(true);
  });

  it('takes an absolute --out as given, not under the working directory', () => {
    const elsewhere = join(work, 'absolute', 'monitoring');
    const run = bulwark(['generate', module('absolute/services.ts', `export { quotes } from '../team/services';\n`), '--out', elsewhere]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(files(elsewhere)).toContain('quotes.rules.yml');
    expect(run.stdout).toContain(`wrote ${elsewhere}/quotes.rules.yml`);
    expect(existsSync(join(ROOT, elsewhere))).toBe(false);
    expect(bulwark(['check', rel(join(work, 'absolute', 'services.ts')), '--out', elsewhere]).status).toBe(0);
  });
});

describe('user errors exit 2 with one message and no stack trace', () => {
  it('a module that does not exist', () => {
    expectUserError(bulwark(['generate', 'no/such/module.ts']), 'bulwark: no/such/module.ts: no such file or folder');
  });

  it('a module that does not load', () => {
    const broken = module('errors/broken.ts', `import { defineService } from '@bulwark/runtime';\nthrow new Error('database password missing');\nexport const x = defineService({ name: 'xx' });\n`);
    expectUserError(bulwark(['generate', broken]), `bulwark: ${broken} failed to load: database password missing`);
    const syntax = module('errors/syntax.ts', 'export const = ;\n');
    expectUserError(bulwark(['check', syntax]), new RegExp(`^bulwark: ${syntax} failed to load: `));
  });

  it('a module that exports no declaration', () => {
    const none = module('errors/none.ts', 'export const answer = 42;\n');
    expectUserError(bulwark(['generate', none]), `bulwark: ${none} exports no service declaration`);
  });

  it('an invalid declaration, with the message defineService gives', () => {
    const invalid = module('errors/invalid.ts', `import { defineService } from '@bulwark/runtime';\nexport const x = defineService({ name: 'orders', objectives: { latency: { thresholdMs: 20000, target: 0.95 } } });\n`);
    expectUserError(bulwark(['generate', invalid]), 'Invalid service declaration "orders" (1 problem):\n  - objectives.latency.thresholdMs: must be a whole number of milliseconds from 1 to 9999, got 20000');
  });

  it('misuse: no command, an unknown command or option, a missing module, a missing value', () => {
    expectUserError(bulwark(['deploy', 'lib/services']), 'bulwark: unknown command "deploy"; use generate or check');
    expectUserError(bulwark(['generate']), 'bulwark: generate needs the module that exports your service declarations');
    expectUserError(bulwark(['check', 'lib/services', '--force']), 'bulwark: unknown option "--force"');
    expectUserError(bulwark(['check', 'lib/services', '--out']), 'bulwark: --out needs a value');
    const help = bulwark(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('bulwark generate <module> [--out <dir>]');
  });
});
