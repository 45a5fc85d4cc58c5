/**
 * The one transformation the end-to-end suite applies to the generated alerting files before it
 * runs them: every wait is divided by `TIME_SCALE` (60: a minute becomes a second), so a fault
 * that would notify after minutes notifies after seconds. The waits are the rules' `for:` (and
 * `keep_firing_for:`) and Alertmanager's `group_wait`, `group_interval` and `repeat_interval`.
 * Nothing else changes (expressions, labels, annotations, routes, matchers, grouping,
 * inhibitions), except that each receiver's transport (Amazon SNS in the AWS alert manager)
 * becomes a webhook to the local receiver standing in for it.
 */
import { isMap, isScalar, parse, parseDocument, visit } from 'yaml';

export const TIME_SCALE = 60;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const RULE_WAITS = new Set(['for', 'keep_firing_for']);
const ROUTE_WAITS = ['group_wait', 'group_interval', 'repeat_interval'] as const;

/** A Prometheus/Alertmanager duration (`1h30m`, `5m`, `500ms`) in milliseconds. */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: "${text}"`);
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * UNIT_MS[unit], 0);
}

/** Milliseconds as the shortest exact duration (`4m`, `5s`, `500ms`). */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms}ms`;
}

export function scaleDuration(text: string, scale = TIME_SCALE): string {
  return formatDuration(Math.max(1, Math.round(parseDuration(text) / scale)));
}

/** A Prometheus rule file with every `for:` divided by `scale`; comments and everything else kept as they are. */
export function accelerateRuleFile(text: string, scale = TIME_SCALE): string {
  const doc = parseDocument(text);
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && RULE_WAITS.has(String(pair.key.value)) && isScalar(pair.value)) {
        pair.value.value = scaleDuration(String(pair.value.value), scale);
      }
    },
  });
  if (!isMap(doc.contents)) throw new Error('not a rule file: expected a map with "groups"');
  doc.commentBefore = `${doc.commentBefore ?? ''}\nEvery for: divided by ${scale} for a test run (accelerated-alerting.ts).`;
  return doc.toString({ lineWidth: 0 });
}

type Json = Record<string, unknown>;

function scaleRoute(route: Json, scale: number): Json {
  const out: Json = { ...route };
  for (const key of ROUTE_WAITS) if (typeof out[key] === 'string') out[key] = scaleDuration(out[key], scale);
  if (Array.isArray(route.routes)) out.routes = (route.routes as Json[]).map((r) => scaleRoute(r, scale));
  return out;
}

/**
 * The Alertmanager configuration inside an Amazon Managed Prometheus alert manager definition
 * (`alertmanager_config: |` …), ready for a local Alertmanager: waits divided by `scale`, and each
 * receiver's SNS transport replaced by a webhook to `${receiverUrl}/<receiver name>` (keeping its
 * `send_resolved`). A receiver with any other transport is refused: it would not be tested.
 */
export function localAlertmanagerConfig(definition: string, opts: { readonly receiverUrl: string; readonly scale?: number }): Json {
  const scale = opts.scale ?? TIME_SCALE;
  const doc = parse(definition) as { alertmanager_config?: unknown };
  if (typeof doc?.alertmanager_config !== 'string') throw new Error('not an alert manager definition: expected alertmanager_config holding a string');
  const config = parse(doc.alertmanager_config) as Json;
  const receivers = (config.receivers as Json[]).map((r) => {
    const { name, sns_configs: sns, ...rest } = r as { name: string; sns_configs?: Json[] } & Json;
    const others = Object.keys(rest).filter((k) => k.endsWith('_configs'));
    if (others.length) throw new Error(`receiver ${name}: only sns_configs can be stood in for, found ${others.join(', ')}`);
    return {
      name,
      ...rest,
      ...(sns ? { webhook_configs: sns.map((s) => ({ url: `${opts.receiverUrl}/${name}`, send_resolved: (s.send_resolved as boolean | undefined) ?? true })) } : {}),
    };
  });
  return { ...config, route: scaleRoute(config.route as Json, scale), receivers };
}
