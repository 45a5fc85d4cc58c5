/**
 * The alert path of the end-to-end suite, as the AWS constructs ship it: the rule file and the alert
 * manager definition are read from a synthesized `MonitoringWorkspace` (the same strings
 * `cdk deploy` hands to Amazon Managed Prometheus), then go through the suite's one documented
 * transformation (harness/src/accelerated-alerting.ts: waits divided by 60, SNS receivers become
 * webhooks to the local receiver standing in for SNS) and run on a real Alertmanager.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MonitoringWorkspace } from '@bulwark/constructs/aws';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';

/** Where the stand-in topic ARNs point: a made-up account and region (nothing is deployed). */
const ENV = { account: '111111111111', region: 'eu-west-1' };

export interface ShippedAlerting {
  /** The rule groups namespace's data: the rule file Amazon Managed Prometheus evaluates. */
  readonly ruleFile: string;
  /** The workspace's alert manager definition (`alertmanager_config: |` …), topic ARNs resolved. */
  readonly alertManagerDefinition: string;
}

/** Resolves `Fn::Join`s and `Ref`s of a synthesized property into text (a Ref becomes an ARN in ENV). */
function resolveText(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (o && 'Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveText).join(sep);
  }
  if (o && 'Ref' in o) return `arn:aws:sns:${ENV.region}:${ENV.account}:${String(o.Ref)}`;
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

export function shippedAlerting(service: ServiceDeclaration): ShippedAlerting {
  const stack = new Stack(new App(), 'Alerting', { env: ENV });
  new MonitoringWorkspace(stack, 'Monitoring', { services: [service] });
  const template = Template.fromStack(stack);
  const [workspace] = Object.values(template.findResources('AWS::APS::Workspace')) as { Properties: Record<string, unknown> }[];
  const [namespace] = Object.values(template.findResources('AWS::APS::RuleGroupsNamespace')) as { Properties: Record<string, unknown> }[];
  return { ruleFile: resolveText(namespace.Properties.Data), alertManagerDefinition: resolveText(workspace.Properties.AlertManagerDefinition) };
}
