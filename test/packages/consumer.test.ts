/**
 * Bulwark as a team gets it: every package built and packed, then installed from the tarballs
 * into projects outside this checkout, next to pinned aws-cdk-lib, constructs, cdk8s and
 * TypeScript from the registry (npm's cache, so no network is needed once this repository is
 * installed). The infrastructure project compiles the README's samples as its own files and
 * synthesizes them; the service project has the runtime alone and serves with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { freePort, waitFor } from '@bulwark/harness';
import { buildAndPack, installedVersion, PACKAGES, readmeSamples, REPO_ROOT, run, type PackageFolder, type Packed } from './support';

jest.setTimeout(1_800_000);

const work = mkdtempSync(join(tmpdir(), 'bulwark-consumer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let packed: Packed[] = [];
const tarball = (folder: PackageFolder): string => packed.find((p) => p.folder === folder)!.tarball;

beforeAll(() => {
  mkdirSync(join(work, 'packs'));
  packed = buildAndPack(join(work, 'packs'));
});

/** Every README whose marked samples are files of a team's project (the same path must show the same code). */
const README_FILES = ['README.md', 'runtime/README.md', 'alerts/README.md', 'dashboards/README.md', 'constructs/README.md'];
const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const manifest = (folder: PackageFolder) => JSON.parse(read(`${folder}/package.json`)) as Record<string, unknown> & { version: string };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Sources that are not part of a package: the tests' barrel, and the Lambda entry (shipped bundled in lambda/). */
const NOT_SHIPPED: Record<PackageFolder, readonly string[]> = {
  runtime: ['internal.ts'],
  alerts: [],
  dashboards: [],
  constructs: ['aws/dashboards-handler/index.ts'],
  cli: [],
};
const EXTRA_FILES: Record<PackageFolder, readonly string[]> = {
  runtime: [],
  alerts: readdirSync(join(REPO_ROOT, 'alerts', 'runbooks')).map((f) => `runbooks/${f}`),
  dashboards: [],
  constructs: ['lambda/dashboards-handler/index.js'],
  cli: [],
};

describe('the packed packages', () => {
  it('are the five published packages, one version', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(Object.values(PACKAGES).sort());
    const versions = new Set((Object.keys(PACKAGES) as PackageFolder[]).map((f) => manifest(f).version));
    expect([...versions]).toHaveLength(1);
    expect([...versions][0]).toMatch(/^0\.\d+\.\d+$/);
  });

  it.each(Object.keys(PACKAGES) as PackageFolder[])('%s holds exactly its compiled modules, declarations and README (no sources, tests, maps or caches)', (folder) => {
    const src = join(REPO_ROOT, folder, 'src');
    const compiled = sources(src)
      .map((file) => relative(src, file).split('\\').join('/'))
      .filter((file) => !NOT_SHIPPED[folder].includes(file))
      .flatMap((file) => [`dist/${file.replace(/\.ts$/, '.js')}`, `dist/${file.replace(/\.ts$/, '.d.ts')}`]);
    const expected = ['package.json', 'README.md', ...EXTRA_FILES[folder], ...compiled].sort();
    expect(packed.find((p) => p.folder === folder)!.files).toEqual(expected);
  });

  it.each(Object.keys(PACKAGES) as PackageFolder[])('%s says what it is: name, license, keywords, files, exports with types, engines', (folder) => {
    const pkg = manifest(folder) as Record<string, unknown>;
    expect(pkg.name).toBe(PACKAGES[folder]);
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('Apache-2.0');
    expect((pkg.keywords as string[]).length).toBeGreaterThan(2);
    expect((pkg.engines as Record<string, string>).node).toMatch(/^\^24\./);
    const files = packed.find((p) => p.folder === folder)!.files;
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, string | { types: string; default: string }>)) {
      if (typeof target === 'string') continue;
      expect({ subpath, types: files.includes(target.types.replace(/^\.\//, '')), js: files.includes(target.default.replace(/^\.\//, '')) }).toEqual({ subpath, types: true, js: true });
    }
  });

  it('constructs: aws-cdk-lib and constructs are caret peers, cdk8s optional peers of the k8s entry', () => {
    const pkg = manifest('constructs') as unknown as { peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional?: boolean }>; dependencies: Record<string, string> };
    for (const peer of ['aws-cdk-lib', 'constructs', 'cdk8s', 'cdk8s-plus-31']) expect(pkg.peerDependencies[peer]).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(pkg.peerDependenciesMeta.cdk8s?.optional).toBe(true);
    expect(pkg.peerDependenciesMeta['cdk8s-plus-31']?.optional).toBe(true);
    expect(pkg.peerDependenciesMeta['aws-cdk-lib']).toBeUndefined();
    for (const dep of ['aws-cdk-lib', 'constructs', 'cdk8s', 'esbuild', 'tsx']) expect(pkg.dependencies[dep]).toBeUndefined();
  });
});

describe('an infrastructure project that installs the packages', () => {
  const project = join(work, 'infra');
  const samples = new Map<string, string>();
  for (const readme of README_FILES) {
    for (const [path, code] of readmeSamples(read(readme))) {
      if (samples.has(path) && samples.get(path) !== code) throw new Error(`${readme} shows ${path} differently from another README: keep the samples identical`);
      samples.set(path, code);
    }
  }
  let synthOutput = '';

  beforeAll(() => {
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'team-infra',
          private: true,
          dependencies: {
            '@bulwark/runtime': `file:${tarball('runtime')}`,
            '@bulwark/alerts': `file:${tarball('alerts')}`,
            '@bulwark/dashboards': `file:${tarball('dashboards')}`,
            '@bulwark/constructs': `file:${tarball('constructs')}`,
            '@bulwark/cli': `file:${tarball('cli')}`,
            'aws-cdk-lib': installedVersion('aws-cdk-lib'),
            constructs: installedVersion('constructs'),
            cdk8s: installedVersion('cdk8s'),
            'cdk8s-plus-31': installedVersion('cdk8s-plus-31'),
            typescript: installedVersion('typescript'),
            '@types/node': installedVersion('@types/node'),
          },
        },
        null,
        2,
      ),
    );
    // What `tsc --init` and `cdk init` give, with nodenext resolution.
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true, outDir: 'build', types: ['node'] }, exclude: ['node_modules', 'build', 'cdk.out', 'dist'] }, null, 2),
    );
    for (const [path, code] of samples) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), code);
    }
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, timeoutMs: 600_000 });
  });

  it("has the READMEs' declaration, kind, service, AWS stack and app, cdk8s app and generator scripts as its own files", () => {
    expect([...samples.keys()].sort()).toEqual(['bin/app.ts', 'bin/k8s.ts', 'lib/orders-stack.ts', 'lib/orders.ts', 'lib/queue-kind.ts', 'scripts/dashboards.ts', 'scripts/rules.ts', 'src/main.ts']);
    expect(samples.get('lib/orders-stack.ts')).toContain("from '@bulwark/constructs/aws'");
    expect(samples.get('bin/k8s.ts')).toContain("from '@bulwark/constructs/k8s'");
  });

  it('type-checks with strict nodenext settings', () => {
    run('npx', ['tsc', '-p', '.'], { cwd: project, timeoutMs: 600_000 });
    expect(existsSync(join(project, 'build', 'bin', 'app.js'))).toBe(true);
  });

  it('synthesizes the AWS app: rule groups for job="orders", the ECS service, the dashboards upload', () => {
    const outdir = join(project, 'cdk.out');
    synthOutput = run('node', ['build/bin/app.js'], { cwd: project, timeoutMs: 600_000, env: { ...process.env, CDK_OUTDIR: outdir } });
    const template = JSON.parse(readFileSync(join(outdir, 'Orders.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const resources = Object.values(template.Resources);
    const namespaces = resources.filter((r) => r.Type === 'AWS::APS::RuleGroupsNamespace');
    expect(namespaces.map((n) => n.Properties.Name)).toEqual(['orders']);
    expect(String(namespaces[0]!.Properties.Data)).toContain('job="orders"');
    expect(resources.filter((r) => r.Type === 'AWS::ECS::Service')).toHaveLength(1);
    expect(resources.filter((r) => r.Type === 'Custom::GrafanaDashboards')).toHaveLength(1);
    // The upload handler arrives compiled: synth copies it next to the dashboards and bundles nothing.
    expect(synthOutput).not.toMatch(/Bundling asset/);
    const handlerAsset = readdirSync(outdir).map((d) => join(outdir, d)).find((d) => existsSync(join(d, 'dashboards.json')));
    expect(handlerAsset && readdirSync(handlerAsset).sort()).toEqual(['dashboards.json', 'index.js']);
    const uploaded = JSON.parse(readFileSync(join(handlerAsset!, 'dashboards.json'), 'utf8')) as { uid: string }[];
    expect(uploaded.length).toBeGreaterThanOrEqual(4);
  });

  it('synthesizes the cdk8s app: a PrometheusRule and a ServiceMonitor for the orders service', () => {
    run('node', ['build/bin/k8s.js'], { cwd: project, timeoutMs: 600_000 });
    const docs = parseAllDocuments(readFileSync(join(project, 'dist', 'orders.k8s.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
    const kinds = docs.map((d) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ServiceMonitor', 'PrometheusRule']));
    const rule = docs.find((d) => d.kind === 'PrometheusRule')!;
    expect(JSON.stringify(rule.spec)).toContain('job=\\"orders\\"');
    expect(docs.find((d) => d.kind === 'ServiceMonitor')!.metadata.name).toBe('orders');
  });

  it("writes the orders service's rule file, promtool tests and dashboards with the generators' READMEs' scripts", () => {
    run('node', ['build/scripts/rules.js'], { cwd: project, timeoutMs: 600_000 });
    run('node', ['build/scripts/dashboards.js'], { cwd: project, timeoutMs: 600_000 });
    expect(readFileSync(join(project, 'generated', 'orders.rules.yml'), 'utf8')).toContain('job="orders"');
    expect(readFileSync(join(project, 'generated', 'tests', 'orders.test.yml'), 'utf8')).toContain('../orders.rules.yml');
    const overview = JSON.parse(readFileSync(join(project, 'generated', 'dashboards', 'orders', 'overview.json'), 'utf8')) as { uid: string };
    expect(overview.uid).toBe('bulwark-orders-overview');
  });

  it('generates and checks its own monitoring files with npx bulwark, and promtool passes them', () => {
    const generate = run('npx', ['bulwark', 'generate', 'lib/orders.ts'], { cwd: project, timeoutMs: 600_000 });
    expect(generate).toContain('wrote monitoring/orders.rules.yml');
    const rules = readFileSync(join(project, 'monitoring', 'orders.rules.yml'), 'utf8');
    // 300 ms is not one of the catalog's buckets: the runtime adds it, and the SLO rules read it.
    expect(rules).toContain('http_request_duration_seconds_bucket{job="orders", le="0.3"}');
    for (const link of [...rules.matchAll(/runbook_url: (\S+)/g)].map((m) => m[1]!)) expect({ link, exists: existsSync(join(project, 'monitoring', link)) }).toEqual({ link, exists: true });
    expect(run('npx', ['bulwark', 'check', 'lib/orders.ts'], { cwd: project, timeoutMs: 600_000 })).toContain('promtool check rules and promtool test rules passed');
    const promtool = run('promtool', ['test', 'rules', 'orders.test.yml'], { cwd: join(project, 'monitoring'), timeoutMs: 600_000 });
    expect(promtool).toContain('SUCCESS');
  });
});

describe('a service project that installs the runtime alone', () => {
  const project = join(work, 'service');
  let child: ChildProcess | undefined;

  beforeAll(() => {
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'tiny-service', private: true, dependencies: { '@bulwark/runtime': `file:${tarball('runtime')}` } }, null, 2),
    );
    writeFileSync(
      join(project, 'service.js'),
      [
        "const { createRuntime, defineService } = require('@bulwark/runtime');",
        '',
        "const tiny = defineService({ name: 'tiny', port: 8080, routes: ['/hello/:name'] });",
        'const runtime = createRuntime(tiny);',
        "const server = runtime.createServer((req, res) => res.end('hello'));",
        'runtime.start().then(() => {',
        "  server.listen(Number(process.env.PORT), '127.0.0.1');",
        '  runtime.installSignalHandlers();',
        '});',
        '',
      ].join('\n'),
    );
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, timeoutMs: 600_000 });
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
  });

  it('installs no CDK, cdk8s, constructs or Grafana packages', () => {
    const modules = readdirSync(join(project, 'node_modules'));
    for (const name of ['aws-cdk-lib', 'cdk8s', 'cdk8s-plus-31', 'constructs', '@grafana']) expect({ name, installed: modules.includes(name) }).toEqual({ name, installed: false });
    expect(modules).toContain('@bulwark');
    expect(readdirSync(join(project, 'node_modules', '@bulwark'))).toEqual(['runtime']);
  });

  it('loads no logger, metrics or client library through the declaration and catalog subpaths, and no client library through the root', () => {
    const loaded = (entry: string): string[] => {
      const script = `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)))`;
      const out = run(process.execPath, ['-e', script], { cwd: project, timeoutMs: 30_000 });
      return (JSON.parse(out) as string[]).map((p) => relative(join(project, 'node_modules'), p).split('/').slice(0, 2).join('/'));
    };
    const packagesOf = (entry: string) => new Set(loaded(entry).map((p) => (p.startsWith('@') ? p : p.split('/')[0]!)));
    for (const entry of ['@bulwark/runtime/declaration', '@bulwark/runtime/catalog']) {
      expect({ entry, packages: [...packagesOf(entry)] }).toEqual({ entry, packages: ['@bulwark/runtime'] });
    }
    const root = packagesOf('@bulwark/runtime');
    expect(root.has('pino') && root.has('prom-client') && root.has('opossum')).toBe(true);
    for (const peer of ['pg', 'ioredis', 'openai', 'fastify']) expect({ peer, loaded: root.has(peer) }).toEqual({ peer, loaded: false });
  });

  it('serves /health/ready on its port and /metrics on the admin listener only, and stops on SIGTERM', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    child = spawn(process.execPath, ['service.js'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', PORT: String(port), ADMIN_PORT: String(adminPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    const ready = await waitFor(async () => {
      const res = await fetch(`${base}/health/ready`).catch(() => undefined);
      return res?.status === 200 ? ((await res.json()) as { status?: string; level_name?: string }) : undefined;
    }, 30_000, `the service on port ${port} to be ready (output: ${output})`);
    expect(ready).toMatchObject({ status: 'ready', level_name: 'OPTIMAL' });

    expect(await (await fetch(`${base}/hello/team`)).text()).toBe('hello');
    expect(await (await fetch(`${base}/metrics`)).text()).toBe('hello'); // the application's handler, not telemetry
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(metrics).toContain('http_requests_total{method="GET",endpoint="/hello/:name",status="200"} 1');
    expect(metrics).toMatch(/^degradation_level 1$/m);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Log lines are written in batches; shutdown flushes the last ones.
    const lines = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { service?: string; msg?: string; endpoint?: string });
    expect(lines.every((l) => l.service === 'tiny')).toBe(true);
    expect(lines.some((l) => l.endpoint === '/hello/:name')).toBe(true);
  });
});
