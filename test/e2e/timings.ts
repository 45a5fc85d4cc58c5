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
  /** Dependency back → OPTIMAL seen from outside. */
  recoveryMs?: number;
  readonly recoveryTargetMs?: number;
  note?: string;
}

const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);

export function timingsTable(rows: readonly ScenarioTiming[]): string {
  const lines = [
    '| scenario | level | fault → level | target | fault → alert pending | alert(s) | back → OPTIMAL | target | note |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.level} | ${s(r.detectLevelMs)} | ≤ ${s(r.detectTargetMs)} | ${s(r.detectAlertMs)} | ${r.alerts || '—'} | ${s(r.recoveryMs)} | ${
        r.recoveryTargetMs === undefined ? '—' : `≤ ${s(r.recoveryTargetMs)}`
      } | ${r.note ?? ''} |`,
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
