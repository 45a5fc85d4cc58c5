import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineService } from '@bulwark/runtime';
import { catalogSeries } from '../../runtime/src/internal';
import { renderAll } from '@bulwark/dashboards';
import { DASHBOARDS_DIR as GENERATED_DIR, WRITERS, generatedDashboardFiles, listGenerated, writeDashboardFiles } from '../../bin/monitoring';
import { SERVICES } from '../../lib/services';

const FIX = 'dashboards/generated is stale: run `npm run monitoring` and commit the result';

describe('committed dashboards', () => {
  const expected = renderAll(SERVICES);

  it('equal what the declarations render, byte for byte', () => {
    const stale: string[] = [];
    for (const [path, text] of Object.entries(expected)) {
      let onDisk: string | undefined;
      try {
        onDisk = readFileSync(join(GENERATED_DIR, path), 'utf8');
      } catch {
        onDisk = undefined;
      }
      if (onDisk !== text) stale.push(`${path} ${onDisk === undefined ? 'is missing' : 'differs'}`);
    }
    if (stale.length > 0) throw new Error(`${FIX}:\n  ${stale.join('\n  ')}`);
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(5);
  });

  it('contain no generated file without a source', () => {
    const stray = listGenerated(GENERATED_DIR).filter((p) => !(p in expected));
    if (stray.length > 0) throw new Error(`dashboards/generated has files no declaration produces (a removed service or dashboard): delete them:\n  ${stray.join('\n  ')}`);
    expect(listGenerated(GENERATED_DIR)).toEqual(Object.keys(expected).sort());
  });
});

describe('npm run monitoring', () => {
  it('runs the dashboard writer, which gives the committed paths and contents', () => {
    expect(WRITERS).toContain(generatedDashboardFiles);
    const files = generatedDashboardFiles(SERVICES);
    expect(files.map((f) => f.path).sort()).toEqual(listGenerated(GENERATED_DIR).map((p) => `dashboards/generated/${p}`));
    for (const f of files) expect({ path: f.path, same: readFileSync(join(__dirname, '..', '..', f.path), 'utf8') === f.content }).toEqual({ path: f.path, same: true });
  });
});

describe('writeDashboardFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-dashboards-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every file, is idempotent, and removes files without a source', () => {
    const services = [defineService({ name: 'alpha', dependencies: { db: { kind: 'postgres' } } })];
    const first = writeDashboardFiles(dir, services);
    expect(first.written.sort()).toEqual(['alpha/circuit-breakers.json', 'alpha/degradation.json', 'alpha/dependencies.json', 'alpha/overview.json', 'alpha/runtime.json']);
    expect(readFileSync(join(dir, 'alpha', 'overview.json'), 'utf8')).toBe(renderAll(services)['alpha/overview.json']);

    mkdirSync(join(dir, 'gone'));
    writeFileSync(join(dir, 'gone', 'overview.json'), '{}\n');
    writeFileSync(join(dir, 'alpha', 'old.json'), '{}\n');
    const second = writeDashboardFiles(dir, services);
    expect(second.written).toEqual([]);
    expect(second.unchanged).toHaveLength(5);
    expect(second.removed.sort()).toEqual(['alpha/old.json', 'gone/overview.json']);
    expect(readdirSync(dir)).toEqual(['alpha']);
  });
});

describe('dashboard sources', () => {
  it('never type a catalog metric name as a string (they come from METRICS / NODE_METRICS)', () => {
    const names = new Set<string>();
    for (const [series, { spec }] of catalogSeries()) {
      names.add(series);
      names.add(spec.name);
    }
    const srcDir = join(__dirname, '..', '..', 'dashboards');
    const offenders: string[] = [];
    for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ts'))) {
      readFileSync(join(srcDir, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/|\/\*)/.test(line)) return;
          for (const n of names) if (new RegExp(`\\b${n}\\b`).test(line)) offenders.push(`${file}:${i + 1}: ${n}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
