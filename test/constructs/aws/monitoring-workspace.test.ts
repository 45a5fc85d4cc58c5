import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { parse } from 'yaml';
import { INHIBIT_RULES, renderRuleFile } from '@bulwark/alerts';
import { providersService } from '../../../lib/services';
import { APS_SERVICE_PRINCIPAL, CLOUDWATCH_SERVICE_PRINCIPAL, MonitoringWorkspace } from '@bulwark/constructs/aws';
import { requireBinary } from '@bulwark/harness';
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

  it('routes critical, warning and heartbeat alerts to their own SNS topic, with sigv4.region', () => {
    const routes = config.route.routes as { receiver: string; matchers: string[] }[];
    expect(routes.map((r) => [r.receiver, r.matchers])).toEqual([
      ['critical', ['severity="critical"']],
      ['warning', ['severity="warning"']],
      ['heartbeat', ['severity="heartbeat"']],
    ]);
    const receivers = Object.fromEntries((config.receivers as any[]).map((r) => [r.name, r.sns_configs[0]]));
    expect(receivers.critical.topic_arn).toBe(`<Ref:${stack.getLogicalId(monitoring.criticalTopic.node.defaultChild as any)}>`);
    expect(receivers.warning.topic_arn).toBe(`<Ref:${stack.getLogicalId(monitoring.warningTopic.node.defaultChild as any)}>`);
    expect(receivers.heartbeat.topic_arn).toBe(`<Ref:${stack.getLogicalId(monitoring.heartbeatTopic.node.defaultChild as any)}>`);
    for (const r of Object.values(receivers) as any[]) expect(r.sigv4).toEqual({ region: '<Ref:AWS::Region>' });
    for (const r of Object.values(receivers) as any[]) expect(r.send_resolved).toBe(true);
    expect(topicIds).toHaveLength(3);
  });

  it('sends the heartbeat at once and then every minute; the on-call routes keep their own pace', () => {
    const routes = Object.fromEntries((config.route.routes as any[]).map((r) => [r.receiver, r]));
    expect(routes.heartbeat).toMatchObject({ group_wait: '0s', group_interval: '1m', repeat_interval: '1m' });
    expect(routes.critical.repeat_interval).toBe('1h');
    expect(routes.warning.repeat_interval).toBe('4h');
  });

  describe('with the real amtool', () => {
    const amtool = requireBinary('amtool', 'prometheus-alertmanager');
    let dir = '';
    let file = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'bulwark-amtool-'));
      file = join(dir, 'alertmanager.yml');
      // Deploy-time references become stand-in ARNs; everything else is the definition's own text.
      writeFileSync(file, (doc.alertmanager_config as string).replace(/<Ref:([^>]+)>/g, (_, id: string) => (id === 'AWS::Region' ? 'eu-west-1' : `arn:aws:sns:eu-west-1:111111111111:${id}`)));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('check-config accepts the definition', () => {
      const out = execFileSync(amtool, ['check-config', file], { encoding: 'utf8' });
      expect(out).toMatch(/SUCCESS/);
      expect(out).toMatch(/3 receivers/);
      expect(out).toMatch(/2 inhibit rules/);
    });

    it.each([
      ['alertname=Heartbeat severity=heartbeat service=providers', 'heartbeat'],
      ['alertname=DependencyDown severity=critical service=providers dependency=db', 'critical'],
      ['alertname=DependencyDown severity=warning service=providers dependency=cache', 'warning'],
      ['alertname=Unknown service=providers', 'warning'],
    ])('routes test: %s → %s', (labels, receiver) => {
      const out = execFileSync(amtool, ['config', 'routes', 'test', `--config.file=${file}`, ...labels.split(' ')], { encoding: 'utf8' });
      expect(out.trim()).toBe(receiver);
    });
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
    template.resourcePropertiesCountIs('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } }, 3);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('the key policy lets aps.amazonaws.com make and use data keys from this account; the workspace scoping is the topic policies\'', () => {
    const key = only(template, 'AWS::KMS::Key').props as any;
    const stmt = key.KeyPolicy.Statement.filter((s: any) => s.Principal?.Service === APS_SERVICE_PRINCIPAL);
    // Amazon Managed Prometheus documents no aws:SourceArn reaching KMS when its alert manager
    // publishes: a condition on it could silently drop every alert, so only the topic policies
    // (checked below) name the workspace.
    expect(stmt).toEqual([
      {
        Sid: 'AllowAmazonManagedPrometheusToPublishToEncryptedTopics',
        Effect: 'Allow',
        Principal: { Service: APS_SERVICE_PRINCIPAL },
        Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  it('the key policy lets CloudWatch alarms make and use data keys (else their notifications fail silently)', () => {
    const key = only(template, 'AWS::KMS::Key').props as any;
    const stmt = key.KeyPolicy.Statement.find((s: any) => s.Principal?.Service === CLOUDWATCH_SERVICE_PRINCIPAL);
    expect(stmt).toMatchObject({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('the topic policies let this workspace (and only it) publish, over TLS only', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as any[];
    expect(policies).toHaveLength(3);
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

describe('MonitoringWorkspace: heartbeat alarm (the dead man\'s switch)', () => {
  const alarm = only(template, 'AWS::CloudWatch::Alarm').props as any;
  const topicRef = (t: unknown) => ({ Ref: stack.getLogicalId((t as { node: { defaultChild: any } }).node.defaultChild) });

  it('watches the heartbeat topic\'s published messages per 5 minutes; no data breaches', () => {
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfMessagesPublished',
      Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [stack.getLogicalId(monitoring.heartbeatTopic.node.defaultChild as any), 'TopicName'] } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
    });
  });

  it('pages the critical topic (and says when it is back), linking its runbook', () => {
    expect(alarm.AlarmActions).toEqual([topicRef(monitoring.criticalTopic)]);
    expect(alarm.OKActions).toEqual([topicRef(monitoring.criticalTopic)]);
    expect(alarm.AlarmDescription).toContain('runbooks/Heartbeat.md');
    expect(alarm.AlarmDescription).toContain('10 minutes');
  });

  it('the critical topic\'s policy lets this alarm (and only it) publish', () => {
    const criticalId = stack.getLogicalId(monitoring.criticalTopic.node.defaultChild as any);
    const policy = (Object.values(template.findResources('AWS::SNS::TopicPolicy')) as any[]).find((p) => p.Properties.Topics.some((t: any) => t.Ref === criticalId));
    const stmt = (policy.Properties.PolicyDocument.Statement as any[]).find((s) => s.Principal?.Service === CLOUDWATCH_SERVICE_PRINCIPAL);
    expect(stmt).toMatchObject({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [stack.getLogicalId(monitoring.heartbeatAlarm.node.defaultChild as any), 'Arn'] } } },
    });
  });

  it('refuses a silence that SNS metrics cannot measure, naming the prop', () => {
    const s = new Stack(new App(), 'Bad');
    expect(() => new MonitoringWorkspace(s, 'M', { heartbeatSilence: Duration.minutes(7) })).toThrow(/heartbeatSilence.*whole number of 5 minutes/);
  });
});

describe('MonitoringWorkspace: logs', () => {
  const group = only(template, 'AWS::Logs::LogGroup');

  it('sends the workspace\'s rule and alert manager logs (failed alert deliveries among them) to its own log group', () => {
    const ws = only(template, 'AWS::APS::Workspace').props as any;
    expect(ws.LoggingConfiguration).toEqual({ LogGroupArn: { 'Fn::GetAtt': [group.id, 'Arn'] } });
    expect(group.id).toBe(stack.getLogicalId(monitoring.logGroup.node.defaultChild as any));
  });

  it('keeps them a month by default, under /aws/vendedlogs/ (the prefix that keeps the account\'s log resource policy small), gone with the stack', () => {
    expect(group.props.RetentionInDays).toBe(30);
    expect(group.props.LogGroupName).toMatch(/^\/aws\/vendedlogs\/prometheus\/Monitoring[A-Za-z0-9]+$/);
    expect(group.props.KmsKeyId).toBeUndefined();
    expect(template.toJSON().Resources[group.id].DeletionPolicy).toBe('Delete');
    // Amazon Managed Prometheus adds the group to the account's log resource policy itself.
    template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
  });

  it('takes a bounded logRetention and refuses an unbounded one, naming the prop', () => {
    const s = new Stack(new App(), 'Retention');
    new MonitoringWorkspace(s, 'M', { logRetention: logs.RetentionDays.THREE_MONTHS });
    expect(only(Template.fromStack(s), 'AWS::Logs::LogGroup').props.RetentionInDays).toBe(90);
    expect(() => new MonitoringWorkspace(new Stack(new App(), 'Forever'), 'M', { logRetention: logs.RetentionDays.INFINITE })).toThrow(
      /props\.logRetention is INFINITE; logs must be bounded/,
    );
  });

  it('names the group after the stack name too: the same construct path deployed as two stacks does not collide', () => {
    const names = ['monitoring-dev', 'monitoring-prod'].map((stackName) => {
      const s = new Stack(new App(), 'Monitoring', { stackName });
      new MonitoringWorkspace(s, 'Monitoring');
      return only(Template.fromStack(s), 'AWS::Logs::LogGroup').props.LogGroupName as string;
    });
    expect(names[0]).toMatch(/^\/aws\/vendedlogs\/prometheus\/monitoringdev[A-Za-z0-9]+$/);
    expect(names[1]).toMatch(/^\/aws\/vendedlogs\/prometheus\/monitoringprod[A-Za-z0-9]+$/);
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
