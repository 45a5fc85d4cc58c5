/**
 * The Amazon Managed Prometheus alert manager definition: alerts routed by their `severity`
 * label to one SNS topic per severity.
 */
import { Document } from 'yaml';
import { GROUP_BY, GROUP_INTERVAL, GROUP_WAIT, INHIBIT_RULES, ROUTE_TIMING, SEVERITIES, SEVERITY_LABEL, type Severity } from '@bulwark/alerts';

export { SEVERITIES, type Severity };

export interface AlertManagerOptions {
  /** Topic ARN per severity. */
  readonly topicArns: Readonly<Record<Severity, string>>;
  /** Region of the topics (SNS receivers in AMP must name it under `sigv4.region`). */
  readonly region: string;
}

/** The Alertmanager configuration itself (what goes under `alertmanager_config:`). */
export function alertManagerConfig(o: AlertManagerOptions): Record<string, unknown> {
  return {
    route: {
      // Anything without a known severity still reaches a human: the warning topic.
      receiver: 'warning',
      group_by: [...GROUP_BY],
      group_wait: GROUP_WAIT,
      group_interval: GROUP_INTERVAL,
      repeat_interval: ROUTE_TIMING.warning.repeat_interval,
      routes: SEVERITIES.map((severity) => ({
        receiver: severity,
        matchers: [`${SEVERITY_LABEL}="${severity}"`],
        ...ROUTE_TIMING[severity],
      })),
    },
    inhibit_rules: INHIBIT_RULES.map((r) => ({ source_matchers: [...r.source_matchers], target_matchers: [...r.target_matchers], equal: [...r.equal] })),
    receivers: SEVERITIES.map((severity) => ({
      name: severity,
      sns_configs: [
        {
          topic_arn: o.topicArns[severity],
          sigv4: { region: o.region },
          // Stated rather than left to the default: the topics hear when an alert resolves.
          send_resolved: true,
          attributes: { severity },
        },
      ],
    })),
  };
}

/**
 * The definition AMP takes: a YAML document whose only top key is `alertmanager_config`, holding
 * the Alertmanager configuration as a string (not as a nested map).
 */
export function renderAlertManagerDefinition(o: AlertManagerOptions): string {
  const config = new Document(alertManagerConfig(o)).toString({ lineWidth: 0 });
  return new Document({ alertmanager_config: config }).toString({ lineWidth: 0, blockQuote: 'literal' });
}
