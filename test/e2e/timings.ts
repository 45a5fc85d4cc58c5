/** Detection and recovery times measured by the end-to-end suite, printed and written as a Markdown table. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ScenarioTiming {
  readonly scenario: string;
  readonly level: string;
  /** Fault injected → level change seen from outside (/health/ready). */
  detectLevelMs?: number;
  readonly detectTargetMs: number;
  /** The generated alert(s) expected pending, and fault → first of them pending in Prometheus. */
  readonly alerts: string;
  detectAlertMs?: number;
  /** The notifications expected through Alertmanager, and fault → the last of them received. */
  readonly notifications?: string;
  notifiedMs?: number;
  /** Dependency back → OPTIMAL seen from outside. */
  recoveryMs?: number;
  readonly recoveryTargetMs?: number;
  /** Dependency back → the last expected notification received as resolved. */
  resolvedMs?: number;
  note?: string;
}

const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
/** A measured time against its target: reported, judged on a quiet machine, never asserted tightly. */
const judged = (ms: number | undefined, target: number | undefined) => (ms === undefined || target === undefined ? s(ms) : `${s(ms)}${ms > target ? ' (over)' : ''}`);

export function timingsTable(rows: readonly ScenarioTiming[]): string {
  const lines = [
    '| scenario | level | fault → level | target | fault → alert pending | alert(s) | fault → notified | notification(s) → receiver | back → OPTIMAL | target | back → resolved notified | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.level} | ${judged(r.detectLevelMs, r.detectTargetMs)} | ≤ ${s(r.detectTargetMs)} | ${s(r.detectAlertMs)} | ${r.alerts || '—'} | ${s(r.notifiedMs)} | ${
        r.notifications || '—'
      } | ${judged(r.recoveryMs, r.recoveryTargetMs)} | ${r.recoveryTargetMs === undefined ? '—' : `≤ ${s(r.recoveryTargetMs)}`} | ${s(r.resolvedMs)} | ${r.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

export function writeTimings(path: string, title: string, rows: readonly ScenarioTiming[], extra: readonly string[] = []): string {
  const text = [`# ${title}`, '', `Measured ${new Date().toISOString()}.`, '', timingsTable(rows), '', ...extra, ''].join('\n');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return text;
}
