/**
 * What `bulwark generate` writes for a set of declarations, by path relative to the output folder:
 *
 *   <service>.rules.yml             Prometheus rule groups
 *   <service>.test.yml              promtool tests of them (run from this folder)
 *   dashboards/<service>/<x>.json   Grafana dashboards
 *   runbooks/<Alert>.md             one runbook per alert the rules contain, and an index
 *   .bulwark-manifest.json          the list of the files above: what a later run may remove
 */
import { ALERT, buildRuleGroups, isAlertingRule, renderRuleFile, renderRuleTestFile, ruleFileName, ruleTestFileName, RUNBOOKS_INDEX, runbook } from '@bulwark/alerts';
import { renderAll } from '@bulwark/dashboards';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';

export const MANIFEST_FILE = '.bulwark-manifest.json';

export interface RenderOptions {
  readonly runbookBaseUrl?: string;
}

export function renderFiles(services: readonly ServiceDeclaration[], options: RenderOptions = {}): Map<string, string> {
  const build = options.runbookBaseUrl ? { runbookBaseUrl: options.runbookBaseUrl } : {};
  const files = new Map<string, string>();
  const alerts = new Set<string>();
  for (const service of services) {
    files.set(ruleFileName(service), renderRuleFile(service, build));
    files.set(ruleTestFileName(service), renderRuleTestFile(service, build));
    for (const group of buildRuleGroups(service, build).groups) for (const rule of group.rules) if (isAlertingRule(rule)) alerts.add(rule.alert);
  }
  for (const [path, json] of Object.entries(renderAll(services))) files.set(`dashboards/${path}`, json);
  const known: readonly string[] = Object.values(ALERT);
  for (const alert of [...alerts].sort()) if (known.includes(alert)) files.set(`runbooks/${alert}.md`, runbook(alert));
  files.set(`runbooks/${RUNBOOKS_INDEX}`, runbook(RUNBOOKS_INDEX));
  const sorted = new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  sorted.set(MANIFEST_FILE, renderManifest([...sorted.keys()]));
  return sorted;
}

export function renderManifest(paths: readonly string[]): string {
  return `${JSON.stringify({ generatedBy: 'bulwark generate', files: [...paths].sort() }, null, 2)}\n`;
}
