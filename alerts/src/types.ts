/**
 * Prometheus rule-file shapes. The same `groups` list is what a Prometheus rule file, the
 * Prometheus Operator's PrometheusRule `spec.groups` and an Amazon Managed Prometheus rule
 * groups namespace all accept.
 */

/**
 * Where an alert is routed: `critical` pages, `warning` makes a ticket, `heartbeat` is the
 * always-firing dead man's switch of the alerting pipeline (never a person).
 */
export type Severity = 'critical' | 'warning' | 'heartbeat';

/** The severity of the always-firing Heartbeat: routed to machines, never to a person. */
export const HEARTBEAT_SEVERITY = 'heartbeat' satisfies Severity;

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  /** Prometheus duration the condition must hold before the alert fires (omitted: at once). */
  readonly for?: string;
  readonly labels: Readonly<Record<string, string>> & { readonly severity: Severity; readonly service: string };
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    readonly runbook_url: string;
  };
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

export interface RuleGroups {
  readonly groups: readonly RuleGroup[];
}

export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return 'alert' in rule;
}
