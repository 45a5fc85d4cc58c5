import { join } from 'node:path';
import { Annotations, Arn, ArnFormat, CfnOutput, SecretValue, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime';
import { MonitoringWorkspace, ObservedService, ServiceDashboards, type GrafanaVersion, type ServiceSecret } from '@bulwark/constructs/aws';
import { pascal, ServiceDependencies, type ServiceDependenciesOptions } from './service-dependencies';

/** Path of the Prometheus HTTP API's instant query, under the workspace's endpoint. */
export const PROMETHEUS_QUERY_PATH = 'api/v1/query';

/** The context key of the load balancer's certificate: `cdk synth -c certificateArn=arn:aws:acm:…`. */
export const CERTIFICATE_ARN_CONTEXT = 'certificateArn';

/** An ACM certificate ARN: `arn:<partition>:acm:<region>:<account>:certificate/<id>`. */
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;

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
   * The secret env vars the stack does not provision (ServiceDependencies' `operatorVariables`: the
   * providers service's OPENAI_API_KEY). `create`: one Secrets Manager secret each, named
   * `bulwark/<service>/<VAR>`, blank (one space, which the runtime reads as not set: an optional
   * dependency stays disabled, a required variable fails startup) until the operator puts the value
   * (`aws secretsmanager put-secret-value`). `import`: the secrets already exist under those names.
   * @default 'create'
   */
  readonly secrets?: 'create' | 'import';
  /**
   * The databases and caches the stack provisions for the service's split PostgreSQL and Redis
   * dependencies: deletion protection, what `cdk destroy` keeps (a final snapshot), sizes, ports.
   * @default - ServiceDependencies' defaults: deletion protection on, SNAPSHOT on removal, Multi-AZ
   */
  readonly serviceDependencies?: ServiceDependenciesOptions;
  /** @default DEFAULT_GRAFANA_VERSION */
  readonly grafanaVersion?: GrafanaVersion;
  /**
   * ARN of the ACM certificate (in the stack's region) the load balancer serves HTTPS with.
   * Without one, the stack still synthesizes, with the load balancer on plain HTTP
   * (`allowInsecureHttp`, for test environments only) and a warning saying how to add it.
   * @default - the `certificateArn` context value (`cdk synth -c certificateArn=arn:aws:acm:…`), else none
   */
  readonly certificateArn?: string;
}

/**
 * The example app's stack: deploys one declared service with its monitoring and what its
 * dependencies need (ServiceDependencies: RDS for PostgreSQL, ElastiCache for Redis, created
 * before the ECS service and reachable only from it); the remaining secrets are the operator's.
 */
export class ServiceStack extends Stack {
  readonly service: ServiceDeclaration;
  readonly vpc: ec2.Vpc;
  /** The databases and caches of the service's dependencies, and the settings its task gets for them. */
  readonly serviceDependencies: ServiceDependencies;
  /** The secrets the operator fills (ServiceDependencies' `operatorVariables`), by env var. */
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
      // Tasks in Private (out through the NAT gateway), databases and caches in Data: no route to or from the internet.
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: {
        rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH })),
        },
      },
    });

    this.serviceDependencies = new ServiceDependencies(this, 'Dependencies', { ...props.serviceDependencies, declaration: props.service, vpc: this.vpc });

    this.secrets = Object.fromEntries(
      this.serviceDependencies.operatorVariables.map((envVar) => {
        const v = props.service.env[envVar]!;
        const secretName = `bulwark/${name}/${envVar}`;
        const secret =
          props.secrets === 'import'
            ? secretsmanager.Secret.fromSecretNameV2(this, `Secret${envVar}`, secretName)
            : new secretsmanager.Secret(this, `Secret${envVar}`, {
                secretName,
                description: `${envVar} of ${name}${v.description ? ` (${v.description})` : ''}. Blank (one space: Secrets Manager stores no empty value) until the operator puts the value; the service reads blank as not set.`,
                // Not a placeholder: blank is "not configured" to the runtime (an optional dependency is disabled).
                secretStringValue: SecretValue.unsafePlainText(' '),
              });
        return [envVar, secret];
      }),
    );
    const secrets: Record<string, ServiceSecret> = { ...this.serviceDependencies.secrets, ...this.secrets };

    this.monitoring = new MonitoringWorkspace(this, 'Monitoring', { alias: `bulwark-${name}`, services: [props.service] });

    const certificate = this.certificate(props.certificateArn ?? this.node.tryGetContext(CERTIFICATE_ARN_CONTEXT));
    this.app = new ObservedService(this, 'Service', {
      declaration: props.service,
      vpc: this.vpc,
      image: containerImage(props.image),
      workspace: this.monitoring,
      environment: this.serviceDependencies.environment,
      secrets,
      flags: { startupFailOnWarning: false },
      // The outside-in alarms page where the alert manager's alerts go.
      alarmTopics: { critical: this.monitoring.topicFor('critical'), warning: this.monitoring.topicFor('warning') },
      ...(certificate ? { certificate } : { allowInsecureHttp: true }),
      // A rate limit per client IP in front of the app's own, and the default managed rule groups.
      webAcl: {},
    });

    this.serviceDependencies.connectFrom(this.app);

    this.dashboards = new ServiceDashboards(this, 'Dashboards', {
      prometheus: this.monitoring,
      services: [props.service],
      grafanaVersion: props.grafanaVersion,
    });

    this.addOutputs();
    this.acknowledgeNagFindings();
  }

  /**
   * The load balancer's certificate from its ARN (checked), or none: then the example runs on plain
   * HTTP so that `cdk synth` works without an account, and says how to add one.
   */
  private certificate(arn: unknown): acm.ICertificate | undefined {
    if (arn === undefined || arn === null || arn === '') {
      Annotations.of(this).addWarningV2(
        'bulwark:example:noCertificate',
        `No certificate: the load balancer serves plain HTTP, for a test environment only. Request an ACM certificate for your domain in this stack's region and synthesize with -c ${CERTIFICATE_ARN_CONTEXT}=arn:aws:acm:<region>:<account>:certificate/<id>: HTTPS on 443, port 80 redirecting to it.`,
      );
      return undefined;
    }
    if (typeof arn !== 'string' || !CERTIFICATE_ARN.test(arn)) {
      throw new Error(`ServiceStack ${this.node.path}: ${CERTIFICATE_ARN_CONTEXT} is ${JSON.stringify(arn)}; give an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id>`);
    }
    const region = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).region;
    if (!Token.isUnresolved(this.region) && region !== this.region) {
      throw new Error(`ServiceStack ${this.node.path}: ${CERTIFICATE_ARN_CONTEXT} is a certificate in ${region}, but the stack deploys to ${this.region}; a load balancer serves only certificates of its own region: request or import one there`);
    }
    return acm.Certificate.fromCertificateArn(this, 'Certificate', arn);
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
    for (const [dep, db] of Object.entries(this.serviceDependencies.databases)) {
      outputs[`${pascal(dep)}Endpoint`] = [`${db.instance.dbInstanceEndpointAddress}:${db.instance.dbInstanceEndpointPort}`, `PostgreSQL of the ${dep} dependency (PGHOST:PGPORT), reachable only from the service's tasks`];
      outputs[`${pascal(dep)}SecretArn`] = [db.secret.secretArn, `Generated credentials (username, password) of the PostgreSQL of the ${dep} dependency: PGUSER and PGPASSWORD of the tasks`];
    }
    for (const [dep, cache] of Object.entries(this.serviceDependencies.caches)) {
      outputs[`${pascal(dep)}Endpoint`] = [`${cache.replicationGroup.attrPrimaryEndPointAddress}:${cache.replicationGroup.attrPrimaryEndPointPort}`, `Primary endpoint of the Valkey of the ${dep} dependency (REDIS_HOST:REDIS_PORT, TLS and AUTH), reachable only from the service's tasks`];
    }
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
          reason: 'Values the operator puts (the OpenAI API key): issued and rotated by another system, then put here; a Secrets Manager rotation Lambda cannot mint them.',
        });
      }
    }
  }
}
