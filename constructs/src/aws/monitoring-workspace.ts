import { Stack } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { renderRuleFile } from '@bulwark/alerts';
import { renderAlertManagerDefinition, type Severity } from './alertmanager-config';
import { invalidProp } from './errors';
import { REMOTE_WRITE_PATH, grantQuery, grantRemoteWrite, type IPrometheusWorkspace } from './prometheus-workspace';

/** The service principal Amazon Managed Prometheus's alert manager publishes to SNS as. */
export const APS_SERVICE_PRINCIPAL = 'aps.amazonaws.com';

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
}

/**
 * An Amazon Managed Prometheus workspace with the generated alert rules of each service and an
 * alert manager that routes alerts by severity to KMS-encrypted SNS topics (subscribe people or
 * pagers to `criticalTopic` / `warningTopic`).
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
  private readonly namespaces = new Map<string, aps.CfnRuleGroupsNamespace>();

  constructor(scope: Construct, id: string, props: MonitoringWorkspaceProps = {}) {
    super(scope, id);
    const names = (props.services ?? []).map((s) => s.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) invalidProp(this, 'services', `lists "${duplicate}" twice; each service gets one rule groups namespace`);

    const key =
      props.topicKey ??
      new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: `Encrypts the alert topics of ${this.node.path}` });
    this.topicKey = key;
    // SNS needs the publisher to be able to make and use data keys for an encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAmazonManagedPrometheusToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal(APS_SERVICE_PRINCIPAL)],
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

    const region = Stack.of(this).region;
    this.workspace = new aps.CfnWorkspace(this, 'Workspace', {
      alias: props.alias ?? this.node.path.replace(/\//g, '-'),
      alertManagerDefinition: renderAlertManagerDefinition({
        topicArns: { critical: this.criticalTopic.topicArn, warning: this.warningTopic.topicArn },
        region,
      }),
    });
    this.workspaceId = this.workspace.attrWorkspaceId;
    this.workspaceArn = this.workspace.attrArn;
    this.prometheusEndpoint = this.workspace.attrPrometheusEndpoint;
    this.remoteWriteUrl = `${this.prometheusEndpoint}${REMOTE_WRITE_PATH}`;

    for (const t of [this.criticalTopic, this.warningTopic]) {
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
    for (const service of props.services ?? []) this.addService(service);
  }

  /** The topic alerts of this severity go to. */
  topicFor(severity: Severity): sns.ITopic {
    return severity === 'critical' ? this.criticalTopic : this.warningTopic;
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

