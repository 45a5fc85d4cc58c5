/**
 * The Amazon Managed Prometheus alert manager definition: alerts routed by their `severity`
 * label to one SNS topic per severity.
 */
import { Document } from 'yaml';

/** The severities the generated rules use, in routing order. */
export const SEVERITIES = ['critical', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertManagerOptions {
  /** Topic ARN per severity. */
  readonly topicArns: Readonly<Record<Severity, string>>;
  /** Region of the topics (SNS receivers in AMP must name it under `sigv4.region`). */
  readonly region: string;
}

/** How often a still-firing alert is sent again, per severity. */
const REPEAT_INTERVAL: Record<Severity, string> = { critical: '1h', warning: '4h' };

/** The Alertmanager configuration itself (what goes under `alertmanager_config:`). */
export function alertManagerConfig(o: AlertManagerOptions): Record<string, unknown> {
  return {
    route: {
      // Anything without a known severity still reaches a human: the warning topic.
      receiver: 'warning',
      group_by: ['alertname', 'service', 'severity'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: REPEAT_INTERVAL.warning,
      routes: SEVERITIES.map((severity) => ({
        receiver: severity,
        matchers: [`severity="${severity}"`],
        repeat_interval: REPEAT_INTERVAL[severity],
      })),
    },
    // A critical alert silences the warning of the same name for the same service.
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['alertname', 'service'],
      },
    ],
    receivers: SEVERITIES.map((severity) => ({
      name: severity,
      sns_configs: [
        {
          topic_arn: o.topicArns[severity],
          sigv4: { region: o.region },
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
