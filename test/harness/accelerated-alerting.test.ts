/**
 * The end-to-end suite's one transformation of the generated alerting files: waits divided by
 * TIME_SCALE, SNS receivers turned into webhooks to the local stand-in, and nothing else changed.
 * The Alertmanager configuration it makes is checked by the real `amtool check-config`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { accelerateRuleFile, formatDuration, localAlertmanagerConfig, parseDuration, requireBinary, RULE_FILE, scaleDuration, TIME_SCALE } from '@bulwark/harness';
import { renderAlertManagerDefinition } from '@bulwark/constructs/aws';

type Json = Record<string, unknown>;

const definition = renderAlertManagerDefinition({
  topicArns: {
    critical: 'arn:aws:sns:eu-west-1:111111111111:critical',
    warning: 'arn:aws:sns:eu-west-1:111111111111:warning',
    heartbeat: 'arn:aws:sns:eu-west-1:111111111111:heartbeat',
  },
  region: 'eu-west-1',
});
const shipped = parse((parse(definition) as { alertmanager_config: string }).alertmanager_config) as Json;
const local = localAlertmanagerConfig(definition, { receiverUrl: 'http://127.0.0.1:9999' });

/** A config with its waits and receivers' transports taken out: what must be the same on both sides. */
function withoutWaitsAndTransports(config: Json): Json {
  const route = (r: Json): Json => {
    const { group_wait: _w, group_interval: _i, repeat_interval: _r, routes, ...rest } = r;
    return { ...rest, ...(Array.isArray(routes) ? { routes: (routes as Json[]).map(route) } : {}) };
  };
  const receivers = (config.receivers as Json[]).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith('_configs'))));
  return { ...config, route: route(config.route as Json), receivers };
}

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1d', 86_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('formats the shortest exact unit', () => {
    expect([4 * 60_000, 5_000, 500, 90_000, 3_600_000].map(formatDuration)).toEqual(['4m', '5s', '500ms', '90s', '1h']);
  });

  it('divides by the time scale: a minute becomes a second', () => {
    expect(TIME_SCALE).toBe(60);
    expect(['1m', '5m', '30s', '4h'].map((d) => scaleDuration(d))).toEqual(['1s', '5s', '500ms', '4m']);
  });

  it('refuses what is not a duration', () => {
    expect(() => parseDuration('5 minutes')).toThrow('not a duration: "5 minutes"');
    expect(() => parseDuration('')).toThrow('not a duration');
  });
});

describe('accelerateRuleFile', () => {
  const original = parse(readFileSync(RULE_FILE, 'utf8')) as { groups: { rules: Json[] }[] };
  const accelerated = parse(accelerateRuleFile(readFileSync(RULE_FILE, 'utf8'))) as { groups: { rules: Json[] }[] };

  it('divides every for: by the time scale', () => {
    const fors = (f: typeof original) => f.groups.flatMap((g) => g.rules.filter((r) => r.for).map((r) => `${String(r.alert)}:${String(r.for)}`));
    expect(fors(original).length).toBeGreaterThan(5);
    expect(fors(accelerated)).toEqual(fors(original).map((f) => f.replace(/:(.+)$/, (_, d: string) => `:${scaleDuration(d)}`)));
  });

  it('changes nothing else: expressions, labels, annotations and groups are the same', () => {
    const strip = (f: typeof original) => f.groups.map((g) => ({ ...g, rules: g.rules.map(({ for: _f, ...r }) => r) }));
    expect(strip(accelerated)).toEqual(strip(original));
  });
});

describe('localAlertmanagerConfig', () => {
  it('divides group_wait, group_interval and repeat_interval by the time scale, on every route', () => {
    const route = local.route as Json & { routes: Json[] };
    expect([route.group_wait, route.group_interval, route.repeat_interval]).toEqual(['500ms', '5s', '4m']);
    expect(route.routes.map((r) => [r.receiver, r.group_wait, r.group_interval, r.repeat_interval])).toEqual([
      ['critical', undefined, undefined, '1m'],
      ['warning', undefined, undefined, '4m'],
      ['heartbeat', '1ms', '1s', '1s'],
    ]);
  });

  it('posts each receiver to the local stand-in for SNS, resolved notifications included', () => {
    expect((local.receivers as Json[]).map((r) => [r.name, r.webhook_configs, r.sns_configs])).toEqual([
      ['critical', [{ url: 'http://127.0.0.1:9999/critical', send_resolved: true }], undefined],
      ['warning', [{ url: 'http://127.0.0.1:9999/warning', send_resolved: true }], undefined],
      ['heartbeat', [{ url: 'http://127.0.0.1:9999/heartbeat', send_resolved: true }], undefined],
    ]);
  });

  it('keeps routes, matchers, grouping and inhibitions exactly as shipped', () => {
    expect(withoutWaitsAndTransports(local)).toEqual(withoutWaitsAndTransports(shipped));
    expect(local.inhibit_rules).toEqual(shipped.inhibit_rules);
    expect((local.inhibit_rules as Json[]).length).toBeGreaterThan(0);
  });

  it('is a configuration the real Alertmanager accepts (amtool check-config)', () => {
    const amtool = requireBinary('amtool', 'prometheus-alertmanager');
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-amtool-'));
    try {
      const file = join(dir, 'alertmanager.yml');
      writeFileSync(file, JSON.stringify(local));
      const out = execFileSync(amtool, ['check-config', file], { encoding: 'utf8' });
      expect(out).toMatch(/SUCCESS/);
      expect(out).toMatch(/3 receivers/);
      expect(out).toMatch(/2 inhibit rules/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a receiver whose transport it cannot stand in for', () => {
    const withEmail = `alertmanager_config: |\n  route: { receiver: mail }\n  receivers:\n    - name: mail\n      email_configs: [{ to: a@example.com }]\n`;
    expect(() => localAlertmanagerConfig(withEmail, { receiverUrl: 'http://127.0.0.1:1' })).toThrow('receiver mail: only sns_configs can be stood in for, found email_configs');
    expect(() => localAlertmanagerConfig('route: {}', { receiverUrl: 'http://127.0.0.1:1' })).toThrow('not an alert manager definition');
  });
});
