import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { parse } from 'yaml';
import { INHIBIT_RULES, renderRuleFile } from '@bulwark/alerts';
import { providersService } from '../../../lib/services';
import { APS_SERVICE_PRINCIPAL, MonitoringWorkspace } from '@bulwark/constructs/aws';
import { joinToText, only } from './support';

// One stack shared by every assertion: the construct alone, as another stack would use it.
const stack = new Stack(new App(), 'Monitoring');
const monitoring = new MonitoringWorkspace(stack, 'Monitoring', { services: [providersService] });
const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
monitoring.grantQuery(reader);
const template = Template.fromStack(stack);
const workspaceId = stack.getLogicalId(monitoring.workspace);
const workspaceArn = { 'Fn::GetAtt': [workspaceId, 'Arn'] };

describe('MonitoringWorkspace: rules', () => {
  const ns = only(template, 'AWS::APS::RuleGroupsNamespace').props;

  it('carries exactly the generated rule file of the service (the committed, reviewed one)', () => {
    expect(ns.Name).toBe(providersService.name);
    expect(ns.Data).toBe(renderRuleFile(providersService));
    expect(ns.Data).toBe(readFileSync(join(__dirname, '../../../monitoring/providers.rules.yml'), 'utf8'));
  });

  it('points at the workspace by ARN', () => {
    expect(ns.Workspace).toEqual(workspaceArn);
  });
});

describe('MonitoringWorkspace: alert manager', () => {
  const definition = joinToText(only(template, 'AWS::APS::Workspace').props.AlertManagerDefinition);
  const doc = parse(definition) as Record<string, unknown>;
  const config = parse(doc.alertmanager_config as string) as Record<string, any>;
  const topicIds = Object.keys(template.findResources('AWS::SNS::Topic'));

  it('is a document whose only key is alertmanager_config, holding the config as a string', () => {
    expect(Object.keys(doc)).toEqual(['alertmanager_config']);
    expect(typeof doc.alertmanager_config).toBe('string');
  });

  it('routes critical and warning alerts to their own SNS topic, with sigv4.region', () => {
    const routes = config.route.routes as { receiver: string; matchers: string[] }[];
    expect(routes.map((r) => [r.receiver, r.matchers])).toEqual([
      ['critical', ['severity="critical"']],
      ['warning', ['severity="warning"']],
    ]);
    const receivers = Object.fromEntries((config.receivers as any[]).map((r) => [r.name, r.sns_configs[0]]));
    expect(receivers.critical.topic_arn).toBe(`<Ref:${stack.getLogicalId(monitoring.criticalTopic.node.defaultChild as any)}>`);
    expect(receivers.warning.topic_arn).toBe(`<Ref:${stack.getLogicalId(monitoring.warningTopic.node.defaultChild as any)}>`);
    for (const r of Object.values(receivers) as any[]) expect(r.sigv4).toEqual({ region: '<Ref:AWS::Region>' });
    for (const r of Object.values(receivers) as any[]) expect(r.send_resolved).toBe(true);
    expect(topicIds).toHaveLength(2);
  });

  it('inhibits as @bulwark/alerts says: a critical silences the same warning of the same dependency; SystemMinimal silences SystemDegraded', () => {
    expect(config.inhibit_rules).toEqual(INHIBIT_RULES);
    expect(config.inhibit_rules).toEqual([
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname', 'service', 'dependency'] },
      { source_matchers: ['alertname="SystemMinimal"'], target_matchers: ['alertname="SystemDegraded"'], equal: ['service', 'instance'] },
    ]);
    expect(config.route.group_by).toEqual(['alertname', 'service', 'severity']);
  });
});

describe('MonitoringWorkspace: SNS topics', () => {
  it('are encrypted with the KMS key, which has rotation on', () => {
    const keyId = stack.getLogicalId(monitoring.topicKey.node.defaultChild as any);
    template.resourcePropertiesCountIs('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } }, 2);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('the key policy lets aps.amazonaws.com make and use data keys', () => {
    const key = only(template, 'AWS::KMS::Key').props as any;
    const stmt = key.KeyPolicy.Statement.find((s: any) => s.Principal?.Service === APS_SERVICE_PRINCIPAL);
    expect(stmt).toMatchObject({ Effect: 'Allow', Action: ['kms:GenerateDataKey*', 'kms:Decrypt'] });
  });

  it('the topic policies let this workspace (and only it) publish, over TLS only', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as any[];
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      const statements = p.Properties.PolicyDocument.Statement as any[];
      const publish = statements.find((s) => s.Principal?.Service === APS_SERVICE_PRINCIPAL);
      expect(publish).toMatchObject({
        Effect: 'Allow',
        Action: ['sns:Publish', 'sns:GetTopicAttributes'],
        Condition: { ArnEquals: { 'aws:SourceArn': workspaceArn }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      expect(statements.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
    }
  });
});

describe('MonitoringWorkspace: grants', () => {
  it('grantQuery allows only the query actions on the workspace', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(reader.node.defaultChild as any) }],
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'], Resource: workspaceArn }],
      },
    });
  });
});
