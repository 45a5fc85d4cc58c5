/** The dashboard generator's sources name every metric through the runtime's catalog. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogSeries } from '@bulwark/runtime/catalog';

describe('dashboard sources', () => {
  it('never type a catalog metric name as a string (they come from METRICS / NODE_METRICS)', () => {
    const names = new Set<string>();
    for (const [series, { spec }] of catalogSeries()) {
      names.add(series);
      names.add(spec.name);
    }
    const srcDir = join(__dirname, '..', '..', 'dashboards', 'src');
    const offenders: string[] = [];
    const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      readFileSync(join(srcDir, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/|\/\*)/.test(line)) return;
          for (const n of names) if (new RegExp(`\\b${n}\\b`).test(line)) offenders.push(`${file}:${i + 1}: ${n}`);
        });
    }
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(offenders).toEqual([]);
  });
});
