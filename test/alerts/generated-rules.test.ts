/**
 * The committed rule files and their promtool unit tests (monitoring/, written by `bulwark
 * generate`), checked with the real promtool (Debian's prometheus package) and with the PromQL
 * checker against the runtime's metric catalog. test/cli/ checks they are current.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parser } from '@prometheus-io/lezer-promql';
import { FLAG } from '../../runtime/src/internal';
import { SERVICES } from '../../lib/services';
import { checkPromQL } from '../support/promql-check';
import {
  ALERT,
  recordedSeries,
  buildRuleGroups,
  ruleFileName,
  ruleTestFileName,
  type AlertingRule,
  type RuleGroups,
} from '@bulwark/alerts';

// promtool runs synchronously; on a busy machine its test run takes minutes, not seconds.
jest.setTimeout(600_000);

const ROOT = join(__dirname, '..', '..');
/** Where `npm run monitoring` (bulwark generate lib/services) writes the example's files. */
const MONITORING = 'monitoring';
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 600_000 });
  if (r.error) throw new Error(`could not run promtool (Debian package "prometheus"; npm run setup:test-deps): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

function alertingRules(groups: RuleGroups): AlertingRule[] {
  return groups.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r);
}

interface TestFile {
  tests: {
    name: string;
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: { exp_labels: Record<string, string> }[] }[];
  }[];
}

describe.each(SERVICES.map((s) => [s.name, s] as const))('generated alert rules for %s', (_name, service) => {
  const rulePath = `${MONITORING}/${ruleFileName(service)}`;
  const testPath = `${MONITORING}/${ruleTestFileName(service)}`;
  const committed = parse(read(rulePath)) as RuleGroups;
  const rules = alertingRules(committed);

  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', rulePath], ROOT);
    if (r.status !== 0) throw new Error(`promtool check rules ${rulePath} failed:\n${r.output}`);
    expect(r.output).toContain('SUCCESS');
  });

  it('passes its promtool unit tests', () => {
    const r = promtool(['test', 'rules', ruleTestFileName(service)], join(ROOT, MONITORING));
    if (r.status !== 0) throw new Error(`promtool test rules ${testPath} failed:\n${r.output}`);
    expect(r.output).toContain('SUCCESS');
  });

  it('unit-tests every alerting rule firing, and every alert staying silent', () => {
    const tests = (parse(read(testPath)) as TestFile).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const rule of rules) {
      const matchers = [...rule.expr.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as const);
      const fired = tests.some(
        (t) =>
          t.alertname === rule.alert &&
          (t.exp_alerts ?? []).some(
            (e) =>
              Object.entries(rule.labels).every(([k, v]) => e.exp_labels[k] === v) &&
              matchers.every(([k, v]) => !(k in e.exp_labels) || e.exp_labels[k] === v),
          ),
      );
      if (!fired) throw new Error(`no promtool test fires ${rule.alert} ${JSON.stringify(rule.labels)} (${rule.expr})`);
    }
    for (const alert of new Set(rules.map((r) => r.alert))) {
      // The Heartbeat is the one alert that never stays silent; it is tested firing at every step.
      if (alert === ALERT.heartbeat) {
        expect(tests.filter((t) => t.alertname === alert).map((t) => (t.exp_alerts ?? []).length)).toEqual([1, 1, 1]);
        continue;
      }
      expect(tests.some((t) => t.alertname === alert && !(t.exp_alerts ?? []).length)).toBe(true);
    }
  });

  it('names only catalog metrics and labels in every expression', () => {
    const known = recordedSeries(committed);
    const problems = committed.groups.flatMap((g) => g.rules).flatMap((r) => checkPromQL(r.expr, known));
    expect(problems).toEqual([]);
  });

  it('scopes every selector to the service job', () => {
    // The Heartbeat (vector(1)) selects nothing: it proves the pipeline, not the service.
    for (const r of committed.groups.flatMap((g) => g.rules).filter((r) => !('alert' in r && r.alert === ALERT.heartbeat))) {
      const cursor = parser.parse(r.expr).cursor();
      let selectors = 0;
      do {
        if (cursor.name !== 'VectorSelector') continue;
        selectors++;
        const text = r.expr.slice(cursor.from, cursor.to);
        if (!text.includes(`job="${service.name}"`)) throw new Error(`selector ${text} in ${'record' in r ? r.record : r.alert} is not scoped to job="${service.name}"`);
      } while (cursor.next());
      expect(selectors).toBeGreaterThan(0);
    }
  });

  it('labels and annotates every alert', () => {
    for (const r of rules) {
      expect(r.labels.severity).toEqual(r.alert === ALERT.heartbeat ? 'heartbeat' : expect.stringMatching(/^(critical|warning)$/));
      expect(r.labels.service).toBe(service.name);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      if (r.alert !== ALERT.heartbeat) expect(r.annotations.description).toMatch(/\{\{ \$(value|labels\.\w+)/);
      expect(r.annotations.runbook_url).toBe(`runbooks/${r.alert}.md`);
      // The link resolves next to the rule file, where bulwark generate writes the runbooks.
      expect(existsSync(join(ROOT, MONITORING, r.annotations.runbook_url))).toBe(true);
    }
  });

  it('has the corrected seed alerts and the ones the seeds forgot', () => {
    const names = new Set(rules.map((r) => r.alert));
    for (const a of Object.values(ALERT)) expect(names).toContain(a);
    const byName = (a: string) => rules.filter((r) => r.alert === a);
    expect(byName(ALERT.highErrorRate)[0].expr).toMatch(/status=~"5\.\."\S*\[5m\]\)\) \/ sum by \(job\) \(rate\(http_requests_total\{job="[^"]+"\}\[5m\]\)\)/);
    expect(byName(ALERT.highLatency)[0].expr).toContain('histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{');
    expect(byName(ALERT.systemDegraded)[0]).toMatchObject({ for: '5m', labels: { severity: 'warning' } });
    expect(byName(ALERT.systemMinimal)[0]).toMatchObject({ for: '1m', labels: { severity: 'critical' } });
    expect(byName(ALERT.dependencyDown)).toHaveLength(Object.keys(service.dependencies).length);
  });
});

describe('runbooks', () => {
  const runbook = (alert: string) => join(ROOT, 'alerts', 'runbooks', `${alert}.md`);

  it('exist for every alert any service generates', () => {
    const alerts = new Set(SERVICES.flatMap((s) => alertingRules(buildRuleGroups(s)).map((r) => r.alert)));
    const missing = [...alerts].filter((a) => !existsSync(runbook(a)));
    expect(missing).toEqual([]);
  });

  it('name only real feature flags and catalog metrics in their queries', () => {
    const flags = new Set<string>(Object.values(FLAG));
    const recorded = new Set(SERVICES.flatMap((s) => [...recordedSeries(buildRuleGroups(s)).keys()]));
    for (const alert of Object.values(ALERT)) {
      const text = readFileSync(runbook(alert), 'utf8');
      for (const [flag] of text.matchAll(/\b(?:ENABLE|STARTUP)_[A-Z_]+\b/g)) expect(flags).toContain(flag);
      // Backticked queries scoped to a job are PromQL; placeholders like <service> become a value.
      const queries = [...text.matchAll(/`([^`]*job="<service>"[^`]*)`/g)].map((m) => m[1].replace(/<[a-z]+>/g, 'x'));
      const problems = queries.flatMap((q) => checkPromQL(q, recorded));
      if (problems.length) throw new Error(`${alert}.md: ${JSON.stringify(problems, null, 2)}`);
    }
  });
});
