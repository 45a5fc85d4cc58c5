import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { ALERT, HEARTBEAT_SILENCE_MINUTES, RUNBOOK_BASE_URL, renderRuleFile, runbookUrl } from '@bulwark/alerts';
import { renderAlertManagerDefinition, type Severity } from './alertmanager-config';
import { invalidProp } from './errors';
import { REMOTE_WRITE_PATH, grantQuery, grantRemoteWrite, type IPrometheusWorkspace } from './prometheus-workspace';

/** The service principal Amazon Managed Prometheus's alert manager publishes to SNS as. */
export const APS_SERVICE_PRINCIPAL = 'aps.amazonaws.com';
/** The service principal CloudWatch alarms publish to SNS as. */
export const CLOUDWATCH_SERVICE_PRINCIPAL = 'cloudwatch.amazonaws.com';
/** SNS sends its topic metrics to CloudWatch every five minutes. */
const SNS_METRIC_PERIOD = Duration.minutes(5);

export interface MonitoringWorkspaceProps {
  /**
   * Alias of the workspace (shown in the console).
   * @default - the construct path
   */
  readonly alias?: string;
  /**
   * Services whose generated alert rules (alerts/, `renderRuleFile`) the workspace evaluates:
   * one rule groups namespace per service, named after it. More can be added with `addService`.
   * @default - none
   */
  readonly services?: readonly ServiceDeclaration[];
  /**
   * KMS key encrypting the alert topics. Its policy is extended so the Prometheus service can use it.
   * @default - a new key with rotation enabled
   */
  readonly topicKey?: kms.IKey;
  /**
   * How long the heartbeat topic may receive nothing before `heartbeatAlarm` pages the critical
   * topic (the always-firing `Heartbeat` alert is published every minute). A whole number of
   * 5 minutes: SNS reports its metrics per 5 minutes.
   * @default Duration.minutes(10)
   */
  readonly heartbeatSilence?: Duration;
  /**
   * Base of the runbook link in the heartbeat alarm's description.
   * @default RUNBOOK_BASE_URL (`runbooks/`)
   */
  readonly runbookBaseUrl?: string;
  /**
   * How long the workspace's rule-evaluation and alert-manager logs (warnings and errors, e.g. an
   * alert SNS did not accept) are kept (bounded).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * An Amazon Managed Prometheus workspace with the generated alert rules of each service and an
 * alert manager that routes alerts by severity to KMS-encrypted SNS topics (subscribe people or
 * pagers to `criticalTopic` / `warningTopic`). The always-firing `Heartbeat` alert goes to
 * `heartbeatTopic`, and a CloudWatch alarm on that topic (`heartbeatAlarm`, missing data breaching)
 * pages the critical topic when heartbeats stop: the dead man's switch of the whole chain
 * (rules evaluated → alert manager → SNS), which does not depend on that chain.
 */
export class MonitoringWorkspace extends Construct implements IPrometheusWorkspace {
  readonly workspace: aps.CfnWorkspace;
  readonly workspaceId: string;
  readonly workspaceArn: string;
  readonly prometheusEndpoint: string;
  readonly remoteWriteUrl: string;
  readonly topicKey: kms.IKey;
  readonly criticalTopic: sns.Topic;
  readonly warningTopic: sns.Topic;
  /** Where the alert manager publishes the always-firing `Heartbeat` alert: for machines, not people. */
  readonly heartbeatTopic: sns.Topic;
  /** Pages the critical topic when the heartbeat topic has received nothing for `heartbeatSilence`. */
  readonly heartbeatAlarm: cloudwatch.Alarm;
  /** Where the workspace logs rule-evaluation and alert-manager warnings and errors (failed alert deliveries among them). */
  readonly logGroup: logs.LogGroup;
  private readonly namespaces = new Map<string, aps.CfnRuleGroupsNamespace>();

  constructor(scope: Construct, id: string, props: MonitoringWorkspaceProps = {}) {
    super(scope, id);
    const names = (props.services ?? []).map((s) => s.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) invalidProp(this, 'services', `lists "${duplicate}" twice; each service gets one rule groups namespace`);
    const silence = props.heartbeatSilence ?? Duration.minutes(HEARTBEAT_SILENCE_MINUTES);
    const silenceMinutes = silence.toMinutes({ integral: false });
    if (!Number.isInteger(silenceMinutes / 5) || silenceMinutes < 5) {
      invalidProp(this, 'heartbeatSilence', `is ${silenceMinutes} minutes; use a whole number of 5 minutes (at least 5): SNS reports its metrics per 5 minutes`);
    }
    if (props.logRetention === logs.RetentionDays.INFINITE) invalidProp(this, 'logRetention', 'is INFINITE; logs must be bounded: pick a RetentionDays period');

    const key =
      props.topicKey ??
      new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: `Encrypts the alert topics of ${this.node.path}` });
    this.topicKey = key;
    // SNS needs the publisher to be able to make and use data keys for an encrypted topic. Amazon
    // Managed Prometheus documents this statement without conditions and does not document that
    // aws:SourceArn reaches KMS when its alert manager publishes (for some publishers, e.g.
    // EventBridge, SNS documents that it does not: such a condition silently drops every message).
    // So the workspace is pinned by the topic policies below (aws:SourceArn = this workspace),
    // which every publish passes first; the key keeps aws:SourceAccount, as SNS's guidance for
    // AWS-service publishers has it. Should delivery ever stop, the heartbeat alarm pages.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAmazonManagedPrometheusToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal(APS_SERVICE_PRINCIPAL)],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    // Without this, CloudWatch alarm notifications to an encrypted topic fail silently.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE_PRINCIPAL)],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    const topic = (severity: Severity) =>
      new sns.Topic(this, `${severity[0].toUpperCase()}${severity.slice(1)}Alerts`, {
        displayName: `${severity} alerts`,
        masterKey: key,
        enforceSSL: true,
      });
    this.criticalTopic = topic('critical');
    this.warningTopic = topic('warning');
    this.heartbeatTopic = topic('heartbeat');

    // No resource policy here: Amazon Managed Prometheus adds the group to the account's CloudWatch
    // Logs resource policy itself (with the deploying role's logs:PutResourcePolicy), and names
    // under /aws/vendedlogs/ keep that policy within its 5,120 characters. The group goes with the
    // stack: a kept one would block re-creating it under the same name.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Unique per stack name and construct path.
      logGroupName: `/aws/vendedlogs/prometheus/${Names.uniqueResourceName(this, { maxLength: 200 })}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const region = Stack.of(this).region;
    this.workspace = new aps.CfnWorkspace(this, 'Workspace', {
      alias: props.alias ?? this.node.path.replace(/\//g, '-'),
      alertManagerDefinition: renderAlertManagerDefinition({
        topicArns: { critical: this.criticalTopic.topicArn, warning: this.warningTopic.topicArn, heartbeat: this.heartbeatTopic.topicArn },
        region,
      }),
      // The log group's ARN attribute ends with `:*`, the form the workspace expects.
      loggingConfiguration: { logGroupArn: this.logGroup.logGroupArn },
    });
    this.workspaceId = this.workspace.attrWorkspaceId;
    this.workspaceArn = this.workspace.attrArn;
    this.prometheusEndpoint = this.workspace.attrPrometheusEndpoint;
    this.remoteWriteUrl = `${this.prometheusEndpoint}${REMOTE_WRITE_PATH}`;

    for (const t of [this.criticalTopic, this.warningTopic, this.heartbeatTopic]) {
      t.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisPrometheusWorkspaceToPublish',
          principals: [new iam.ServicePrincipal(APS_SERVICE_PRINCIPAL)],
          actions: ['sns:Publish', 'sns:GetTopicAttributes'],
          resources: [t.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
            ArnEquals: { 'aws:SourceArn': this.workspaceArn },
          },
        }),
      );
    }

    this.heartbeatAlarm = new cloudwatch.Alarm(this, 'HeartbeatMissing', {
      alarmDescription:
        `No Heartbeat alert reached ${this.node.path}'s heartbeat topic for ${silenceMinutes} minutes: rules are not evaluated, ` +
        `the alert manager is not sending or SNS is not accepting, so no other alert can reach anyone. ` +
        `Runbook: ${runbookUrl(ALERT.heartbeat, props.runbookBaseUrl ?? RUNBOOK_BASE_URL)}`,
      metric: this.heartbeatTopic.metricNumberOfMessagesPublished({ period: SNS_METRIC_PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: silenceMinutes / 5,
      datapointsToAlarm: silenceMinutes / 5,
      // No data is exactly what a dead pipeline looks like.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const page = new cloudwatchActions.SnsAction(this.criticalTopic);
    this.heartbeatAlarm.addAlarmAction(page);
    this.heartbeatAlarm.addOkAction(page);
    // The topic has a resource policy, so CloudWatch may publish to it only where the policy says so.
    this.criticalTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowTheHeartbeatAlarmToPublish',
        principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE_PRINCIPAL)],
        actions: ['sns:Publish'],
        resources: [this.criticalTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnEquals: { 'aws:SourceArn': this.heartbeatAlarm.alarmArn },
        },
      }),
    );

    for (const service of props.services ?? []) this.addService(service);
  }

  /** The topic alerts of this severity go to. */
  topicFor(severity: Severity): sns.ITopic {
    return { critical: this.criticalTopic, warning: this.warningTopic, heartbeat: this.heartbeatTopic }[severity];
  }

  /** Adds the service's generated rule file as a rule groups namespace named after the service. */
  addService(service: ServiceDeclaration): aps.CfnRuleGroupsNamespace {
    if (this.namespaces.has(service.name)) invalidProp(this, 'services', `already has a rule groups namespace for "${service.name}"`);
    const namespace = new aps.CfnRuleGroupsNamespace(this, `Rules-${service.name}`, {
      name: service.name,
      // The namespace takes the workspace ARN, not its ID.
      workspace: this.workspaceArn,
      data: renderRuleFile(service),
    });
    this.namespaces.set(service.name, namespace);
    return namespace;
  }

  /** The rule groups namespace of a service added with `services`/`addService`. */
  ruleGroupsNamespace(serviceName: string): aps.CfnRuleGroupsNamespace | undefined {
    return this.namespaces.get(serviceName);
  }

  /** Lets `grantee` remote-write samples to the workspace. */
  grantRemoteWrite(grantee: iam.IGrantable): iam.Grant {
    return grantRemoteWrite(grantee, this);
  }

  /** Lets `grantee` query the workspace (what a dashboard data source needs). */
  grantQuery(grantee: iam.IGrantable): iam.Grant {
    return grantQuery(grantee, this);
  }
}

