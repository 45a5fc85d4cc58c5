import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { checkPromQL } from '../support/promql-check';
import { everyDashboard, queries, substituteGrafanaVariables } from './support';

const dashboards = everyDashboard();
const all = dashboards.flatMap(([service, , d]) => queries(d).map((q) => ({ ...q, service })));

describe('dashboard queries', () => {
  it('finds the queries of every dashboard (so the checks below are not vacuous)', () => {
    expect(dashboards.map(([service, stem]) => `${service}/${stem}`)).toEqual([
      'providers/overview',
      'providers/dependencies',
      'providers/circuit-breakers',
      'providers/degradation',
      'providers/runtime',
    ]);
    for (const [, stem, d] of dashboards) expect({ stem, enough: queries(d).length > 3 }).toEqual({ stem, enough: true });
  });

  it('every query parses and names only catalog metrics and the labels they carry', () => {
    const problems = all.flatMap((q) => checkPromQL(substituteGrafanaVariables(q.expr)).map((p) => `${q.where}: ${p.message} in ${p.expr}`));
    expect(problems).toEqual([]);
  });

  it("every query parses with the real Prometheus parser (promtool)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-dash-'));
    try {
      const file = join(dir, 'queries.yml');
      const rules = all.map((q, i) => ({ record: `dashboard_query_${i}`, expr: substituteGrafanaVariables(q.expr) }));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
      const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 20_000 });
      expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every selector is scoped to the service job and the instance variable', () => {
    for (const q of all) {
      const selectors = q.expr.match(/[a-z_:]+\{[^}]*\}/g) ?? [];
      expect({ where: q.where, selectors: selectors.length }).not.toEqual({ where: q.where, selectors: 0 });
      for (const s of selectors) {
        expect({ where: q.where, s, job: s.includes(`job="${q.service}"`) }).toEqual({ where: q.where, s, job: true });
        expect({ where: q.where, s, instance: s.includes('instance=~"$instance"') }).toEqual({ where: q.where, s, instance: true });
      }
    }
  });

  it('quantiles aggregate bucket rates by le (the seed computed them on the raw histogram)', () => {
    const quantiles = all.filter((q) => q.expr.includes('histogram_quantile'));
    expect(quantiles.length).toBeGreaterThan(5);
    for (const q of quantiles) {
      expect({ where: q.where, expr: q.expr }).toEqual({
        where: q.where,
        expr: expect.stringMatching(/^histogram_quantile\(0\.\d+, sum by \(le(, [a-z_]+)*\) \(rate\([a-z_]+_bucket\{[^}]*\}\[\$__rate_interval\]\)\)\)$/),
      });
    }
    // Bucket series are only ever read through rate().
    for (const q of all) for (const m of q.expr.matchAll(/(\w+)\(([a-z_]+_bucket)\{/g)) expect({ where: q.where, fn: m[1] }).toEqual({ where: q.where, fn: 'rate' });
  });

  it('the error ratio divides 5xx by all requests (the seed alerted on an absolute 5xx rate)', () => {
    const ratio = all.find((q) => q.where.includes('5xx error ratio'));
    expect(ratio?.expr).toMatch(/^\(sum\(rate\(http_requests_total\{[^}]*status=~"5\.\."\}\[\$__rate_interval\]\)\) or vector\(0\)\) \/ sum\(rate\(http_requests_total\{job="providers",instance=~"\$instance"\}\[\$__rate_interval\]\)\)$/);
  });

  it('a query with a typo fails the check (the check can fail)', () => {
    const ratio = all.find((q) => q.where.includes('5xx error ratio'))!;
    const broken = ratio.expr.replace('http_requests_total', 'http_request_total');
    expect(checkPromQL(substituteGrafanaVariables(broken)).map((p) => p.message).join('\n')).toContain('unknown metric "http_request_total"');
  });
});
