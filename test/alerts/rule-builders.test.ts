import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { defineService } from '@bulwark/runtime';
import { METRICS } from '../../runtime/src/internal';
import {
  ALERT,
  SLO_WINDOWS,
  buildRuleGroups,
  errorRatioRecord,
  renderRuleFile,
  renderRuleTestFile,
  ruleFileName,
  ruleTestFileName,
  slowRatioRecord,
  type AlertingRule,
  type RuleGroups,
} from '@bulwark/alerts';
import { checkPromQL } from '../support/promql-check';
import { recordedSeries } from '@bulwark/alerts';
import { expandTemplate, goG4, humanize, humanize1024, humanizeDuration, humanizePercentage } from '../../alerts/src/go-template';

// promtool runs synchronously; on a busy machine its test run takes minutes, not seconds.
jest.setTimeout(600_000);

const alerting = (g: RuleGroups): AlertingRule[] => g.groups.flatMap((x) => x.rules).filter((r): r is AlertingRule => 'alert' in r);

const checkout = defineService({
  name: 'checkout',
  dependencies: {
    orders_db: { kind: 'postgres', env: 'ORDERS_DB_URL', critical: true },
    replica: { kind: 'postgres', env: 'REPLICA_URL', impact: 'MINIMAL' },
    sessions: { kind: 'redis', env: 'SESSIONS_URL' },
    payments: { kind: 'http' },
  },
  objectives: { availability: 0.999, latency: { thresholdMs: 250, target: 0.99 } },
  routes: ['/cart', '/cart/:id/pay'],
});

describe('buildRuleGroups', () => {
  it('records error and slow ratios for every SLO window, named service:…:ratio_rate<window>', () => {
    const records = buildRuleGroups(checkout).groups.flatMap((g) => g.rules).flatMap((r) => ('record' in r ? [r.record] : []));
    expect(SLO_WINDOWS).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    expect(records).toEqual([...SLO_WINDOWS.map(errorRatioRecord), ...SLO_WINDOWS.map(slowRatioRecord)]);
    expect(records[0]).toBe('service:http_requests_errors:ratio_rate5m');
  });

  it('burns against 1 - availability and 1 - latency target with the workbook factors', () => {
    const rules = alerting(buildRuleGroups(checkout));
    const [errPage, errTicket] = rules.filter((r) => r.alert === ALERT.errorBudgetBurn);
    expect(errPage.labels.severity).toBe('critical');
    expect(errPage.expr).toContain('service:http_requests_errors:ratio_rate1h{job="checkout"} > (14.4 * 0.001)');
    expect(errPage.expr).toContain('service:http_requests_errors:ratio_rate30m{job="checkout"} > (6 * 0.001)');
    expect(errTicket.labels.severity).toBe('warning');
    expect(errTicket.expr).toContain('service:http_requests_errors:ratio_rate3d{job="checkout"} > (1 * 0.001)');
    const [latPage] = rules.filter((r) => r.alert === ALERT.latencyBudgetBurn);
    expect(latPage.expr).toContain('> (14.4 * 0.01)');
  });

  it('reads the latency SLO off the bucket equal to the threshold, and p99 when the target is 99%', () => {
    const groups = buildRuleGroups(checkout);
    const slow = groups.groups.flatMap((g) => g.rules).find((r) => 'record' in r && r.record === slowRatioRecord('5m'));
    expect(slow?.expr).toContain('le="0.25"');
    const highLatency = alerting(groups).find((r) => r.alert === ALERT.highLatency);
    expect(highLatency?.expr).toMatch(/^histogram_quantile\(0\.99, .* > 0\.25$/);
  });

  it('reads a latency threshold that is not a catalog bucket at its own bucket (the runtime adds it)', () => {
    const odd = defineService({ name: 'odd', objectives: { latency: { thresholdMs: 300, target: 0.95 } } });
    expect(METRICS.httpRequestDurationSeconds.buckets).not.toContain(0.3);
    const slow = buildRuleGroups(odd).groups.flatMap((g) => g.rules).filter((r) => 'record' in r && r.record.startsWith('service:http_requests_slow:'));
    expect(slow.length).toBeGreaterThan(0);
    for (const r of slow) expect(r.expr).toContain('le="0.3"');
  });

  it('pages on a dependency whose loss means EMERGENCY and tickets the others', () => {
    const deps = alerting(buildRuleGroups(checkout)).filter((r) => r.alert === ALERT.dependencyDown);
    const severityOf = (name: string) => deps.find((r) => r.expr.includes(`dependency="${name}"`))?.labels;
    expect(severityOf('orders_db')).toMatchObject({ severity: 'critical', impact: 'EMERGENCY' });
    expect(severityOf('replica')).toMatchObject({ severity: 'warning', impact: 'MINIMAL' });
    expect(severityOf('sessions')).toMatchObject({ severity: 'warning', impact: 'DEGRADED' });
    expect(severityOf('payments')).toMatchObject({ severity: 'warning', impact: 'LIMITED' });
  });

  it('tickets when the rate limit refuses over 5% of requests and over 0.1/s for 10m, stating the declared limit', () => {
    const limited = defineService({ name: 'limited', rateLimit: { requests: 120, windowMs: 30_000 } });
    const [rule] = alerting(buildRuleGroups(limited)).filter((r) => r.alert === ALERT.rateLimitedRequests);
    const rate = (metric: string) => `sum by (job) (rate(${metric}{job="limited"}[5m]))`;
    expect(rule.expr).toBe(
      `${rate(METRICS.httpRequestsRateLimitedTotal.name)} / ${rate(METRICS.httpRequestsTotal.name)} > 0.05 and ${rate(METRICS.httpRequestsRateLimitedTotal.name)} > 0.1`,
    );
    expect(rule).toMatchObject({ for: '10m', labels: { severity: 'warning', service: 'limited' } });
    expect(rule.annotations.description).toContain('120 requests per 30s per client on each instance');
    expect(rule.annotations.description).toContain('TRUSTED_PROXY_HOPS');
  });

  it('has no rate-limit alert when the declaration switches the limit off', () => {
    const open = defineService({ name: 'open', rateLimit: { requests: 0 } });
    expect(alerting(buildRuleGroups(open)).map((r) => r.alert)).not.toContain(ALERT.rateLimitedRequests);
    expect(renderRuleTestFile(open)).not.toContain(ALERT.rateLimitedRequests);
  });

  it('builds for a service without dependencies', () => {
    const lone = defineService({ name: 'lone' });
    const rules = alerting(buildRuleGroups(lone));
    expect(rules.some((r) => r.alert === ALERT.dependencyDown)).toBe(false);
    expect(rules.some((r) => r.alert === ALERT.circuitBreakerOpen)).toBe(true);
  });

  it('points runbooks next to the rule file by default, or at a given base', () => {
    const [first] = alerting(buildRuleGroups(checkout));
    expect(first.annotations.runbook_url).toBe(`runbooks/${first.alert}.md`);
    const [hosted] = alerting(buildRuleGroups(checkout, { runbookBaseUrl: 'https://runbooks.example.test/bulwark' }));
    expect(hosted.annotations.runbook_url).toBe(`https://runbooks.example.test/bulwark/${hosted.alert}.md`);
  });

  it('names only catalog series in every expression of another declaration', () => {
    const groups = buildRuleGroups(checkout);
    const known = recordedSeries(groups);
    expect(groups.groups.flatMap((g) => g.rules).flatMap((r) => checkPromQL(r.expr, known))).toEqual([]);
  });

  it('renders the same bytes every time, with a generated-file header', () => {
    const a = renderRuleFile(checkout);
    expect(renderRuleFile(checkout)).toBe(a);
    expect(a.startsWith('# Prometheus rules for the "checkout" service.\n# GENERATED')).toBe(true);
    expect(a.split('\n')[1]).toBe('# GENERATED by @bulwark/alerts from the service declaration: do not edit by hand.');
    expect(a).toMatch(/\ngroups:\n {2}- name: checkout-slo-recording\n/);
  });
});

describe('generated rules and promtool tests for another declaration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-rules-'));
    mkdirSync(join(dir, 'generated'));
    mkdirSync(join(dir, 'tests'));
    writeFileSync(join(dir, 'generated', ruleFileName(checkout)), renderRuleFile(checkout));
    writeFileSync(join(dir, 'tests', ruleTestFileName(checkout)), renderRuleTestFile(checkout, { ruleFile: `../generated/${ruleFileName(checkout)}` }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pass promtool check rules and promtool test rules', () => {
    const check = spawnSync('promtool', ['check', 'rules', join(dir, 'generated', ruleFileName(checkout))], { encoding: 'utf8', timeout: 600_000 });
    if (check.status !== 0) throw new Error(`promtool check rules failed:\n${check.stdout}${check.stderr}`);
    const test = spawnSync('promtool', ['test', 'rules', ruleTestFileName(checkout)], { cwd: join(dir, 'tests'), encoding: 'utf8', timeout: 600_000 });
    if (test.status !== 0) throw new Error(`promtool test rules failed:\n${test.stdout}${test.stderr}`);
    expect(test.stdout).toContain('SUCCESS');
  });
});

describe('alert template expansion (Prometheus humanize functions)', () => {
  it('formats like Go %.4g and Prometheus humanize*', () => {
    expect(goG4(0.1)).toBe('0.1');
    expect(goG4(242.49999999999997)).toBe('242.5');
    expect(goG4(123456)).toBe('1.235e+05');
    expect(goG4(0.0000123)).toBe('1.23e-05');
    expect(humanizePercentage(0.1)).toBe('10%');
    expect(humanizePercentage(0.0792)).toBe('7.92%');
    expect(humanize1024(600 * 1024 * 1024)).toBe('600Mi');
    expect(humanize1024(2048)).toBe('2ki');
    expect(humanizeDuration(0.2425)).toBe('242.5ms');
    expect(humanizeDuration(90)).toBe('1m 30s');
    expect(humanizeDuration(2.5)).toBe('2.5s');
    expect(humanize(15)).toBe('15');
    expect(humanize(1500)).toBe('1.5k');
    expect(humanize(0.072)).toBe('72m');
  });

  it('expands labels and values, and refuses constructs it does not know', () => {
    expect(expandTemplate('{{ $labels.job }} at {{ $value | humanizePercentage }} ({{ $value }})', { job: 'p' }, 0.25)).toBe('p at 25% (0.25)');
    expect(() => expandTemplate('{{ $labels.nope }}', {}, 1)).toThrow(/no label "nope"/);
    expect(() => expandTemplate('{{ printf "%.2f" $value }}', {}, 1)).toThrow(/not supported/);
  });
});
