/** Renders rule groups as a reviewable, deterministic YAML rule file. */
import { Document } from 'yaml';
import type { ServiceDeclaration } from '@bulwark/runtime';
import { buildRuleGroups, type BuildOptions } from './rules';
import { isAlertingRule, type Rule, type RuleGroups } from './types';

/** Repository-relative directory of the committed rule files. */
export const RULES_DIR = 'alerts/generated';

export function ruleFileName(service: ServiceDeclaration): string {
  return `${service.name}.rules.yml`;
}

export const REGENERATE_COMMAND = 'npm run monitoring';

/** Fixed key order, whatever order the objects were built in. */
function ordered(rule: Rule): Record<string, unknown> {
  if (isAlertingRule(rule)) {
    const { severity, service, ...rest } = rule.labels;
    return {
      alert: rule.alert,
      expr: rule.expr,
      ...(rule.for ? { for: rule.for } : {}),
      labels: { severity, service, ...sortKeys(rest) },
      annotations: { summary: rule.annotations.summary, description: rule.annotations.description, runbook_url: rule.annotations.runbook_url },
    };
  }
  return { record: rule.record, expr: rule.expr, ...(rule.labels ? { labels: sortKeys(rule.labels) } : {}) };
}

function sortKeys(o: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function renderRuleGroups(groups: RuleGroups, header: string): string {
  const doc = new Document({
    groups: groups.groups.map((g) => ({ name: g.name, ...(g.interval ? { interval: g.interval } : {}), rules: g.rules.map(ordered) })),
  });
  doc.commentBefore = header;
  return doc.toString({ lineWidth: 0, indent: 2, indentSeq: true });
}

/** The rule file for one service: the `groups:` document Prometheus, PrometheusRule and AMP accept. */
export function renderRuleFile(service: ServiceDeclaration, options: BuildOptions = {}): string {
  const header = [
    ` Prometheus rules for the "${service.name}" service.`,
    ` GENERATED from its declaration (lib/services) by alerts/ — do not edit by hand.`,
    ` Regenerate with: ${REGENERATE_COMMAND}`,
  ].join('\n');
  return renderRuleGroups(buildRuleGroups(service, options), header);
}
