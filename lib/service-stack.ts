import { join } from 'node:path';
import { CfnOutput, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime';
import { MonitoringWorkspace, ObservedService, ServiceDashboards, type GrafanaVersion } from '@bulwark/constructs/aws';

/** Path of the Prometheus HTTP API's instant query, under the workspace's endpoint. */
export const PROMETHEUS_QUERY_PATH = 'api/v1/query';

/** The repository root: the Docker build context of the service image. */
const REPO_ROOT = join(__dirname, '..');

/**
 * Never part of the image build context, on top of .dockerignore (which CDK also reads): the
 * staging copy must stay small so `cdk synth` stays fast, and cdk.out must not copy itself.
 */
export const IMAGE_CONTEXT_EXCLUDES = ['node_modules', '**/node_modules', 'cdk.out', 'dist', '**/dist', '.git', '.tmp', 'coverage'];

/**
 * Where a service's image comes from: built from a Dockerfile with this repository as the context
 * (`cdk deploy` builds and pushes it), or an image already in a registry (a tag or a digest).
 */
export type ImageSource = { readonly dockerfile: string } | { readonly registry: string };

export function containerImage(source: ImageSource): ecs.ContainerImage {
  if ('registry' in source) return ecs.ContainerImage.fromRegistry(source.registry);
  return ecs.ContainerImage.fromAsset(REPO_ROOT, { file: source.dockerfile, exclude: IMAGE_CONTEXT_EXCLUDES, platform: Platform.LINUX_AMD64 });
}

export interface ServiceStackProps extends StackProps {
  /** The service this stack deploys. */
  readonly service: ServiceDeclaration;
  /** Where the service's image comes from: a Dockerfile in this repository, or a registry. */
  readonly image: ImageSource;
  /**
   * `create`: the stack creates one Secrets Manager secret per secret env var, named
   * `bulwark/<service>/<VAR>`, with a random placeholder value the operator replaces
   * (`aws secretsmanager put-secret-value`). `import`: the secrets already exist under those names.
   * @default 'create'
   */
  readonly secrets?: 'create' | 'import';
  /** @default DEFAULT_GRAFANA_VERSION */
  readonly grafanaVersion?: GrafanaVersion;
}

/** The example app's stack: deploys one declared service with its monitoring. */
export class ServiceStack extends Stack {
  readonly service: ServiceDeclaration;
  readonly vpc: ec2.Vpc;
  readonly secrets: Readonly<Record<string, secretsmanager.ISecret>>;
  readonly monitoring: MonitoringWorkspace;
  readonly app: ObservedService;
  readonly dashboards: ServiceDashboards;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    this.service = props.service;
    const name = props.service.name;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      flowLogs: {
        rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH })),
        },
      },
    });

    this.secrets = Object.fromEntries(
      Object.entries(props.service.env)
        .filter(([, v]) => v.secret)
        .map(([envVar, v]) => {
          const secretName = `bulwark/${name}/${envVar}`;
          const secret =
            props.secrets === 'import'
              ? secretsmanager.Secret.fromSecretNameV2(this, `Secret${envVar}`, secretName)
              : new secretsmanager.Secret(this, `Secret${envVar}`, {
                  secretName,
                  description: `${envVar} of ${name}${v.description ? ` (${v.description})` : ''}. A random placeholder until the operator puts the real value.`,
                });
          return [envVar, secret];
        }),
    );

    this.monitoring = new MonitoringWorkspace(this, 'Monitoring', { alias: `bulwark-${name}`, services: [props.service] });

    this.app = new ObservedService(this, 'Service', {
      declaration: props.service,
      vpc: this.vpc,
      image: containerImage(props.image),
      workspace: this.monitoring,
      secrets: this.secrets,
      flags: { startupFailOnWarning: false },
      // The outside-in alarms page where the alert manager's alerts go.
      alarmTopics: { critical: this.monitoring.topicFor('critical'), warning: this.monitoring.topicFor('warning') },
    });

    this.dashboards = new ServiceDashboards(this, 'Dashboards', {
      prometheus: this.monitoring,
      services: [props.service],
      grafanaVersion: props.grafanaVersion,
    });

    this.addOutputs();
    this.acknowledgeNagFindings();
  }

  /** What an operator needs after `cdk deploy` (printed by it, and in `aws cloudformation describe-stacks`). */
  private addOutputs(): void {
    const outputs: Record<string, [value: string, description: string]> = {
      ServiceUrl: [this.app.url, `URL of ${this.service.name} (its load balancer)`],
      GrafanaUrl: [this.dashboards.grafanaUrl, 'Amazon Managed Grafana workspace with the generated dashboards'],
      PrometheusWorkspaceId: [this.monitoring.workspaceId, 'Amazon Managed Prometheus workspace ID'],
      PrometheusQueryUrl: [`${this.monitoring.prometheusEndpoint}${PROMETHEUS_QUERY_PATH}`, 'Prometheus query endpoint (SigV4, service aps), e.g. for awscurl'],
      PrometheusRemoteWriteUrl: [this.monitoring.remoteWriteUrl, 'Prometheus remote write endpoint the collector sidecar writes to'],
      CriticalAlertsTopicArn: [this.monitoring.criticalTopic.topicArn, 'SNS topic of critical alerts and alarms: subscribe the pager'],
      WarningAlertsTopicArn: [this.monitoring.warningTopic.topicArn, 'SNS topic of warning alerts and alarms: subscribe the team'],
      HeartbeatTopicArn: [this.monitoring.heartbeatTopic.topicArn, 'SNS topic of the always-firing Heartbeat alert: for a dead man\'s switch, not people'],
    };
    for (const [id, [value, description]] of Object.entries(outputs)) new CfnOutput(this, id, { value, description });
  }

  /** AwsSolutions findings this example accepts, each with the reason (see constructs/README.md). */
  private acknowledgeNagFindings(): void {
    if (Token.isUnresolved(this.region)) {
      Validations.of(this.app.loadBalancer).acknowledge({
        id: 'AwsSolutions-ELB2',
        reason: 'Environment-agnostic example stack: ELB access logs need a concrete region. Give the stack an env ({ region }) and ObservedService turns them on.',
      });
    }
    for (const secret of Object.values(this.secrets)) {
      if (secret instanceof secretsmanager.Secret) {
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: 'Connection strings and an API key issued by other systems: they are rotated where they are issued, then put here; a Secrets Manager rotation Lambda cannot mint them.',
        });
      }
    }
  }
}
