import { Annotations, Duration, RemovalPolicy, Size, SizeRoundingBehavior, Stack, Token } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import {
  ADMIN_DEFAULT_HOST,
  ADMIN_ENV,
  FLAG,
  HEALTH_PATH,
  PORT_ENV,
  SHUTDOWN_ENV,
  TRUSTED_PROXY_HOPS_ENV,
  flagsToEnv,
  type Flags,
} from '@bulwark/runtime/catalog';
import { COLLECTOR_HEALTH_PORT, renderCollectorConfig } from './collector-config';
import { APP_USER, COLLECTOR_USER, hardenedContainerOptions, mountScratch } from './container-hardening';
import { invalidProp } from './errors';
import { MonitoringWorkspace } from './monitoring-workspace';
import { acknowledgeNag } from './nag';
import { grantRemoteWrite, type IPrometheusWorkspace } from './prometheus-workspace';
import {
  DeploymentAlarms,
  ServiceAlarms,
  validateDeploymentAlarmsOptions,
  validateRunbookBaseUrl,
  validateServiceAlarmsOptions,
  type AlarmTopics,
  type DeploymentAlarmsOptions,
  type ServiceAlarmsOptions,
} from './service-alarms';
import { ServiceWebAcl, validateWebAclOptions, type ServiceWebAclOptions } from './web-acl';

/** The ADOT collector image the sidecar runs unless told otherwise (pinned: a moving tag would change deployments silently). */
export const DEFAULT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.42.0';

/** Environment variable the ADOT collector reads its whole configuration from. */
export const COLLECTOR_CONFIG_ENV = 'AOT_CONFIG_CONTENT';

export const APP_CONTAINER_NAME = 'app';
export const COLLECTOR_CONTAINER_NAME = 'otel-collector';

/** Proxies in front of the app that append the client's address to X-Forwarded-For: the load balancer. */
export const LOAD_BALANCER_PROXY_HOPS = 1;

/**
 * Paths the load balancer answers 404 itself, whatever the app would: telemetry is read inside the
 * task (collector, container health check) and by the load balancer's health check, which goes to
 * the targets directly and is not routed by listener rules. At most three: an ALB rule condition
 * takes three values.
 */
export const TELEMETRY_PATH_PATTERNS = [HEALTH_PATH.metrics, HEALTH_PATH.report, `${HEALTH_PATH.report}/*`] as const;

/** Priority of the listener rule that answers 404 for TELEMETRY_PATH_PATTERNS: the highest (evaluated first). */
export const TELEMETRY_RULE_PRIORITY = 1;

/**
 * TLS policy of the HTTPS listener: TLS 1.3 and 1.2 with forward-secret AEAD ciphers only (no CBC,
 * no SHA-1) and hybrid post-quantum key exchange (ML-KEM) for clients that offer it; AWS's
 * recommended policy and the console's default.
 */
export const DEFAULT_SSL_POLICY = elbv2.SslPolicy.TLS13_12_RES_PQ;

/**
 * One JSON field of a Secrets Manager secret: ECS injects that field's value (`valueFrom`
 * `<secret ARN>:<field>::`). E.g. PGPASSWORD from the `password` field of an RDS generated secret:
 * `{ secret: database.secret!, field: 'password' }`.
 */
export interface SecretField {
  /** The secret; its value must be a JSON object holding `field` (ECS fails to start the task otherwise). */
  readonly secret: secretsmanager.ISecret;
  /** The JSON key whose value becomes the variable's value. */
  readonly field: string;
}

/** Where a variable's value comes from in Secrets Manager: a whole secret, or one JSON field of one. */
export type ServiceSecret = secretsmanager.ISecret | SecretField;

/** Whether a `secrets` value names a JSON field (`{ secret, field }`) rather than a whole secret. */
export function isSecretField(value: ServiceSecret): value is SecretField {
  return typeof value === 'object' && value !== null && 'field' in value && 'secret' in value;
}

/** ObservedService's outside-in alarms: `ServiceAlarms` thresholds, and whether to have them. */
export interface ObservedServiceAlarmsOptions extends ServiceAlarmsOptions {
  /**
   * Whether to create the outside-in alarms.
   * @default true
   */
  readonly enabled?: boolean;
}

/** ObservedService's deployment alarms: `DeploymentAlarms` thresholds, and whether ECS watches them. */
export interface ObservedServiceDeploymentAlarmsOptions extends DeploymentAlarmsOptions {
  /**
   * Whether ECS rolls a deployment back on these alarms (the circuit breaker stays on either way).
   * @default true
   */
  readonly enabled?: boolean;
}

export interface ObservedServiceProps {
  /** The service declaration (`defineService`): name, port, env vars, startup budget. */
  readonly declaration: ServiceDeclaration;
  /** The app's image. It must run the Bulwark runtime on Node.js (the container health check runs `node`). */
  readonly image: ecs.ContainerImage;
  /** Where the collector sidecar remote-writes the scraped metrics. */
  readonly workspace: IPrometheusWorkspace;
  /**
   * Values from Secrets Manager, keyed by env var name: a whole secret (`ISecret`), or one JSON field
   * of one (`{ secret, field }`, e.g. PGPASSWORD from an RDS generated secret's `password`). Every env
   * var the declaration marks `secret` must be here; a declared non-secret var may come from a secret
   * too (PGUSER from the same secret's `username`); undeclared vars are refused. ECS injects them as
   * the container's `Secrets`, never as plain environment.
   */
  readonly secrets: Readonly<Record<string, ServiceSecret>>;
  /**
   * The VPC to create the cluster and load balancer in.
   * @default - the cluster's VPC; one of `vpc` and `cluster` is required
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The ECS cluster to run in.
   * @default - a new cluster in `vpc` with Container Insights
   */
  readonly cluster?: ecs.ICluster;
  /**
   * Port the app container listens on. Must equal the declaration's port (the collector scrapes
   * and the load balancer forwards to the declared port).
   * @default declaration.port
   */
  readonly containerPort?: number;
  /**
   * Feature flags (see FLAG in the runtime). Every flag is set explicitly in the container's
   * environment; the ones not given here get the runtime's default.
   * @default - the runtime's defaults (everything on, STARTUP_FAIL_ON_WARNING off)
   */
  readonly flags?: Partial<Flags>;
  /**
   * Further non-secret environment (e.g. OPENAI_BASE_URL). Secret env vars and feature flags are
   * refused here: use `secrets` and `flags`.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Number of tasks. At least 1; 2 or more keeps serving while one task is replaced.
   * @default 2
   */
  readonly desiredCount?: number;
  /** @default 512 (0.5 vCPU) */
  readonly cpu?: number;
  /** @default 1024 */
  readonly memoryLimitMiB?: number;
  /**
   * How long the app and collector logs are kept. Bounded: RetentionDays.INFINITE is refused.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The awslogs driver runs non-blocking (a slow CloudWatch never stalls the app's stdout); this is
   * the in-memory buffer for lines not yet shipped. Lines beyond it are dropped, not blocked on.
   * @default Size.mebibytes(25)
   */
  readonly logMaxBufferSize?: Size;
  /**
   * Image of the OpenTelemetry collector sidecar.
   * @default ContainerImage.fromRegistry(DEFAULT_COLLECTOR_IMAGE)
   */
  readonly collectorImage?: ecs.ContainerImage;
  /**
   * How often the collector scrapes the app's metrics endpoint (1 s to 5 min).
   * @default Duration.seconds(15)
   */
  readonly scrapeInterval?: Duration;
  /**
   * Serve HTTPS on 443 with this certificate (an ACM certificate in the stack's region), with
   * `sslPolicy`; port 80 only redirects to 443. Required for an internet-facing load balancer,
   * unless `allowInsecureHttp` is set.
   * @default - none: an internal load balancer serves HTTP on port 80; an internet-facing one fails synth
   */
  readonly certificate?: acm.ICertificate;
  /**
   * For test environments only: let an internet-facing load balancer serve plain HTTP on port 80,
   * without `certificate`. Everything between clients and the load balancer is then readable and
   * writable by anyone on the path; synth warns.
   * @default false
   */
  readonly allowInsecureHttp?: boolean;
  /**
   * TLS policy of the HTTPS listener (only with `certificate`).
   * @default DEFAULT_SSL_POLICY (`ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09`)
   */
  readonly sslPolicy?: elbv2.SslPolicy;
  /**
   * Whether the load balancer is reachable from the internet.
   * @default true
   */
  readonly internetFacing?: boolean;
  /**
   * An AWS WAF web ACL in front of the load balancer (`ServiceWebAcl`): a per-client-IP rate limit
   * (by default twice the declaration's own allowance, over WAF's default five-minute window) and
   * AWS managed rule groups, with CloudWatch metrics. `{}` turns it on with those defaults. Off by
   * default: a web ACL costs a monthly fee per ACL and per rule, and a fee per million requests.
   * @default - no web ACL
   */
  readonly webAcl?: ServiceWebAclOptions;
  /**
   * Whether the load balancer writes access logs to S3. Needs a stack with a concrete region (ELB
   * writes from a per-region account), so an environment-agnostic stack cannot have them.
   * @default - true when the stack's region is known, false in an environment-agnostic stack
   */
  readonly accessLogs?: boolean;
  /**
   * Bucket for the load balancer's access logs.
   * @default - a new encrypted bucket whose objects expire after the log retention period
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * CloudWatch alarms that see the service from the outside (load balancer, ECS Container
   * Insights), so they fire when the collector or Prometheus does not: 5xx ratio, unhealthy
   * targets, running tasks below desired (critical), target response time above the latency
   * objective (warning). See `ServiceAlarms`. A user-supplied `cluster` needs Container Insights on.
   * @default - on, with ServiceAlarms' default thresholds
   */
  readonly alarms?: ObservedServiceAlarmsOptions;
  /**
   * Where the outside-in alarms notify by severity (on ALARM and OK): give the alert manager's
   * topics so alarms and alerts reach the same people.
   * @default - the workspace's `criticalTopic` / `warningTopic` when `workspace` is a MonitoringWorkspace; otherwise none (the alarms only change state, and synth warns)
   */
  readonly alarmTopics?: AlarmTopics;
  /**
   * Base of the runbook link in each alarm's description (`runbookUrl(ALERT.<name>, base)`).
   * @default RUNBOOK_BASE_URL (`runbooks/`)
   */
  readonly runbookBaseUrl?: string;
  /**
   * Alarms ECS watches while it deploys (ROLLBACK_ON_ALARM, next to the circuit breaker): the
   * target group's 5xx ratio and unhealthy targets, so new tasks that answer 5xx or turn unhealthy
   * after their first checks are rolled back. Separate from `alarms`: no notifications, faster. See `DeploymentAlarms`.
   * @default - on, with DeploymentAlarms' defaults
   */
  readonly deploymentAlarms?: ObservedServiceDeploymentAlarmsOptions;
}

const DEFAULTS = {
  desiredCount: 2,
  cpu: 512,
  memoryLimitMiB: 1024,
  logRetention: logs.RetentionDays.ONE_MONTH,
  logMaxBufferSize: Size.mebibytes(25),
  scrapeInterval: Duration.seconds(15),
} as const;

/** Memory kept for the collector inside the task's memory. */
const COLLECTOR_MEMORY_MIB = 128;

/**
 * The instrumented service on ECS Fargate behind an Application Load Balancer, with an AWS Distro
 * for OpenTelemetry collector sidecar that scrapes its `/metrics` and remote-writes to Amazon
 * Managed Prometheus, feature flags set explicitly, secrets from Secrets Manager and bounded logs.
 * Secure by default: telemetry is served on an admin listener inside the task only (and the load
 * balancer answers 404 for it), an internet-facing load balancer serves HTTPS only, both
 * containers run hardened (read-only root, no capabilities, non-root), and an AWS WAF web ACL is
 * one prop away. Deployments roll back on the circuit breaker and on deployment alarms; outside-in
 * CloudWatch alarms page through the alert manager's topics even when the metrics pipeline is down.
 */
export class ObservedService extends Construct implements ec2.IConnectable {
  readonly declaration: ServiceDeclaration;
  readonly cluster: ecs.ICluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly fargateService: ecs.FargateService;
  readonly appContainer: ecs.ContainerDefinition;
  readonly collectorContainer: ecs.ContainerDefinition;
  readonly appLogGroup: logs.LogGroup;
  readonly collectorLogGroup: logs.LogGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** Where the load balancer's access logs go (undefined when they are off). */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * The role the task's containers run with: allowed `aps:RemoteWrite` on the workspace, nothing
   * else. ECS gives a task's role to every container of the task: the app container can obtain
   * these credentials as the collector does (see the README's IAM note).
   */
  readonly taskRole: iam.IRole;
  /** The AWS WAF web ACL in front of the load balancer (undefined unless `webAcl` is given). */
  readonly webAcl?: ServiceWebAcl;
  /** `http(s)://<load balancer DNS name>` */
  readonly url: string;
  /** The tasks' security group: allow the tasks to reach a database with `db.connections.allowDefaultPortFrom(service)`. */
  readonly connections: ec2.Connections;
  /** The alarms ECS rolls a deployment back on (undefined when `deploymentAlarms.enabled` is false). */
  readonly deploymentAlarms?: DeploymentAlarms;
  /** The outside-in alarms (undefined when `alarms.enabled` is false). */
  readonly alarms?: ServiceAlarms;

  constructor(scope: Construct, id: string, props: ObservedServiceProps) {
    super(scope, id);
    const declaration = props.declaration;
    this.declaration = declaration;
    const port = this.validate(props);

    this.cluster = props.cluster ?? new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const retention = props.logRetention ?? DEFAULTS.logRetention;
    this.appLogGroup = new logs.LogGroup(this, 'AppLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });
    this.collectorLogGroup = new logs.LogGroup(this, 'CollectorLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? DEFAULTS.cpu,
      memoryLimitMiB: props.memoryLimitMiB ?? DEFAULTS.memoryLimitMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.taskRole = this.taskDefinition.taskRole;
    // The narrowest split Fargate allows. ECS serves the task role's credentials to every container
    // of the task (one credentials endpoint, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI in each
    // container; no per-container role exists), so the app container can obtain them too. A role
    // the collector assumed would not help: the app could assume it with the same credentials (the
    // collector's sigv4auth takes no external ID or other secret). What is left is scope: only
    // aps:RemoteWrite, only on this workspace. Isolating it fully needs the collector in a task of
    // its own, scraping the tasks over the VPC, which would expose the admin listener beyond the task.
    grantRemoteWrite(this.taskRole, props.workspace);

    const logDriver = (logGroup: logs.ILogGroup, prefix: string) =>
      ecs.LogDrivers.awsLogs({
        logGroup,
        streamPrefix: prefix,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: props.logMaxBufferSize ?? DEFAULTS.logMaxBufferSize,
      });

    const startPeriod = Duration.millis(Math.min(300_000, declaration.startup.timeoutMs + 10_000));
    const adminPort = declaration.admin.port;
    this.appContainer = this.taskDefinition.addContainer(APP_CONTAINER_NAME, {
      image: props.image,
      essential: true,
      ...hardenedContainerOptions(this, 'AppLinuxParameters', APP_USER),
      // The application's port only: the admin listener binds the task's loopback and is mapped nowhere.
      portMappings: [{ containerPort: port, protocol: ecs.Protocol.TCP }],
      environment: { ...props.environment, ...appEnvironment(port, adminPort, props.flags) },
      secrets: Object.fromEntries(
        Object.entries(props.secrets).map(([name, value]) => [name, isSecretField(value) ? ecs.Secret.fromSecretsManager(value.secret, value.field) : ecs.Secret.fromSecretsManager(value)]),
      ),
      healthCheck: {
        // The runtime image has node but maybe no curl: probe with Node's own fetch.
        command: ['CMD', 'node', '-e', livenessProbe(ADMIN_DEFAULT_HOST, adminPort)],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod,
      },
      logging: logDriver(this.appLogGroup, declaration.name),
      stopTimeout: Duration.seconds(30),
    });
    mountScratch(this.taskDefinition, this.appContainer);

    const scrapeInterval = props.scrapeInterval ?? DEFAULTS.scrapeInterval;
    this.collectorContainer = this.taskDefinition.addContainer(COLLECTOR_CONTAINER_NAME, {
      image: props.collectorImage ?? ecs.ContainerImage.fromRegistry(DEFAULT_COLLECTOR_IMAGE),
      // A collector crash must not stop the service from serving: ECS restarts it in place, and
      // the MetricsAbsent alert fires while no samples arrive.
      essential: false,
      enableRestartPolicy: true,
      restartAttemptPeriod: Duration.seconds(60),
      memoryReservationMiB: COLLECTOR_MEMORY_MIB,
      ...hardenedContainerOptions(this, 'CollectorLinuxParameters', COLLECTOR_USER),
      environment: {
        [COLLECTOR_CONFIG_ENV]: renderCollectorConfig({
          jobName: declaration.name,
          host: ADMIN_DEFAULT_HOST,
          port: adminPort,
          metricsPath: HEALTH_PATH.metrics,
          scrapeIntervalSeconds: scrapeInterval.toSeconds(),
          remoteWriteUrl: props.workspace.remoteWriteUrl,
          region: Stack.of(this).region,
        }),
      },
      healthCheck: {
        command: ['CMD', '/healthcheck'],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      logging: logDriver(this.collectorLogGroup, 'collector'),
    });
    mountScratch(this.taskDefinition, this.collectorContainer);

    const internetFacing = props.internetFacing ?? true;
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.cluster.vpc,
      internetFacing,
      dropInvalidHeaderFields: true,
      // ALB's default, pinned: TRUSTED_PROXY_HOPS=1 relies on it appending the address it saw.
      xffHeaderProcessingMode: elbv2.XffHeaderProcessingMode.APPEND,
    });
    if (props.accessLogs ?? !Token.isUnresolved(Stack.of(this).region)) {
      this.accessLogsBucket =
        props.accessLogsBucket ??
        new s3.Bucket(this, 'AccessLogs', {
          // ALB access logs support SSE-S3 only.
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          enforceSSL: true,
          lifecycleRules: [{ expiration: Duration.days(retention) }],
          removalPolicy: RemovalPolicy.RETAIN,
        });
      if (!props.accessLogsBucket) {
        acknowledgeNag(
          this.accessLogsBucket,
          'AwsSolutions-S1',
          'This bucket only receives the load balancer access logs (written by the ELB log delivery service, read by no application); logging access to it would need yet another log bucket. Public access is blocked and TLS enforced.',
        );
      }
      this.loadBalancer.logAccessLogs(this.accessLogsBucket, declaration.name);
    }

    if (props.certificate) {
      this.listener = this.loadBalancer.addListener('Https', {
        protocol: elbv2.ApplicationProtocol.HTTPS,
        port: 443,
        certificates: [props.certificate],
        sslPolicy: props.sslPolicy ?? DEFAULT_SSL_POLICY,
      });
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
    } else {
      this.listener = this.loadBalancer.addListener('Http', { protocol: elbv2.ApplicationProtocol.HTTP, port: 80 });
      if (internetFacing) {
        Annotations.of(this).addWarningV2(
          '@bulwark/constructs:insecureHttp',
          'props.allowInsecureHttp: the internet-facing load balancer serves plain HTTP on port 80, readable and writable by anyone on the path (for test environments only). Give props.certificate (an ACM certificate in this region) to serve HTTPS on 443 and redirect 80 to it.',
        );
      }
    }
    // Evaluated before the default action: telemetry never reaches the app through the load balancer.
    new elbv2.ApplicationListenerRule(this, 'TelemetryNotFound', {
      listener: this.listener,
      priority: TELEMETRY_RULE_PRIORITY,
      conditions: [elbv2.ListenerCondition.pathPatterns([...TELEMETRY_PATH_PATTERNS])],
      action: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not Found' }),
    });
    if (props.webAcl) {
      this.webAcl = new ServiceWebAcl(this, 'WebAcl', { ...props.webAcl, declaration, loadBalancer: this.loadBalancer });
    }
    // The service is registered below, once the deployment alarms on this target group exist.
    this.targetGroup = this.listener.addTargets('App', {
      protocol: elbv2.ApplicationProtocol.HTTP,
      port,
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        // Readiness, not liveness: a task in EMERGENCY or still validating gets no traffic.
        path: HEALTH_PATH.ready,
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    this.url = `${props.certificate ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;

    // Deployment alarms read only the target group (never the service: that would be a cycle), so
    // they exist before the service and ECS gets their names at creation.
    const { enabled: deploymentAlarmsOn = true, ...deploymentAlarms } = props.deploymentAlarms ?? {};
    if (deploymentAlarmsOn) {
      this.deploymentAlarms = new DeploymentAlarms(this, 'DeploymentAlarms', { ...deploymentAlarms, targetGroup: this.targetGroup, serviceName: declaration.name });
    }
    this.fargateService = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount ?? DEFAULTS.desiredCount,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      // Tasks that never become healthy: the circuit breaker. Tasks that do, then answer 5xx or turn unhealthy: the deployment alarms.
      circuitBreaker: { enable: true, rollback: true },
      deploymentAlarms: this.deploymentAlarms && { alarmNames: this.deploymentAlarms.alarmNames, behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
      healthCheckGracePeriod: startPeriod.plus(Duration.seconds(30)),
      assignPublicIp: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    this.connections = this.fargateService.connections;
    this.targetGroup.addTarget(this.fargateService.loadBalancerTarget({ containerName: APP_CONTAINER_NAME, containerPort: port }));

    const { enabled: alarmsOn = true, ...thresholds } = props.alarms ?? {};
    if (alarmsOn) {
      this.alarms = new ServiceAlarms(this, 'Alarms', {
        ...thresholds,
        declaration,
        loadBalancer: this.loadBalancer,
        targetGroup: this.targetGroup,
        service: this.fargateService,
        topics: props.alarmTopics ?? workspaceTopics(props.workspace),
        runbookBaseUrl: props.runbookBaseUrl,
      });
    }

    acknowledgeNag(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'Only non-secret values are plain environment: the ports and listener settings (PORT, ADMIN_HOST, ADMIN_PORT, TRUSTED_PROXY_HOPS), the shutdown timing, the feature flags (kill switches meant to be read and flipped in the task definition), props.environment and the collector config (no credentials: SigV4 signs with the task role). Every env var the declaration marks secret is validated to come from Secrets Manager (container `Secrets`).',
    );
    acknowledgeNag(
      this.taskDefinition,
      'AwsSolutions-IAM5[Resource::*]',
      'Execution role: ecr:GetAuthorizationToken supports no resource-level permissions (Resource "*") and only issues a registry login; image pulls, log writes and secret reads stay scoped to their ARNs.',
    );
    if (internetFacing) {
      acknowledgeNag(
        this.loadBalancer,
        'AwsSolutions-EC23',
        'An internet-facing load balancer exists to be reached from anywhere on its listener ports (443, and 80 only redirecting to it; 80 alone only when allowInsecureHttp is set for a test environment); the tasks themselves accept traffic only from the load balancer security group, on the application port.',
      );
    }
  }

  /** Checks every prop before anything is built; returns the container port. */
  private validate(props: ObservedServiceProps): number {
    const d = props.declaration;
    if (!props.vpc && !props.cluster) invalidProp(this, 'vpc', 'or props.cluster is required: the service needs a VPC to run in');
    if (props.vpc && props.cluster) invalidProp(this, 'vpc', 'must not be given together with props.cluster (the cluster already has a VPC)');
    if (props.accessLogs && Token.isUnresolved(Stack.of(this).region)) {
      invalidProp(this, 'accessLogs', 'needs a stack with a concrete region (new Stack(app, id, { env: { region } })); ELB access logs cannot be set up in an environment-agnostic stack');
    }
    if (props.accessLogs === false && props.accessLogsBucket) invalidProp(this, 'accessLogsBucket', 'is given but props.accessLogs is false');
    const internetFacing = props.internetFacing ?? true;
    if (internetFacing && !props.certificate && !props.allowInsecureHttp) {
      invalidProp(
        this,
        'certificate',
        'is required: an internet-facing load balancer serves HTTPS only. Give props.certificate (an ACM certificate in this region: HTTPS on 443, port 80 redirects to it), or, for a test environment only, set props.allowInsecureHttp: true to serve plain HTTP on port 80',
      );
    }
    if (props.allowInsecureHttp && props.certificate) invalidProp(this, 'allowInsecureHttp', 'is true but props.certificate is given: with a certificate the load balancer serves HTTPS and port 80 only redirects; drop allowInsecureHttp');
    if (props.sslPolicy && !props.certificate) invalidProp(this, 'sslPolicy', 'is given without props.certificate: a TLS policy needs the HTTPS listener a certificate makes');
    if (props.webAcl) validateWebAclOptions(this, 'webAcl', d, props.webAcl);
    const port = props.containerPort ?? d.port;
    if (port !== d.port) {
      invalidProp(this, 'containerPort', `is ${port} but the declaration "${d.name}" listens on ${d.port}; make them equal (the load balancer forwards to the declared port)`);
    }
    for (const [field, value] of [['port', d.port], ['admin.port', d.admin.port]] as const) {
      if (value === COLLECTOR_HEALTH_PORT) {
        invalidProp(this, 'declaration', `"${d.name}" declares ${field} ${value}, the port the collector sidecar's health check listens on in the same task; declare another port`);
      }
    }
    const desired = props.desiredCount ?? DEFAULTS.desiredCount;
    if (!Number.isInteger(desired) || desired < 1) invalidProp(this, 'desiredCount', `is ${desired}; use a whole number of tasks, at least 1`);
    const retention = props.logRetention ?? DEFAULTS.logRetention;
    if (retention === logs.RetentionDays.INFINITE) {
      invalidProp(this, 'logRetention', 'is INFINITE ("never expire"); logs must be bounded: pick a RetentionDays period such as ONE_MONTH');
    }
    const buffer = props.logMaxBufferSize?.toMebibytes({ rounding: SizeRoundingBehavior.FLOOR });
    if (buffer !== undefined && (buffer < 1 || buffer > 1024)) invalidProp(this, 'logMaxBufferSize', `is ${buffer} MiB; use 1 to 1024 MiB`);
    const scrape = (props.scrapeInterval ?? DEFAULTS.scrapeInterval).toMilliseconds() / 1000;
    if (!Number.isInteger(scrape) || scrape < 1 || scrape > 300) invalidProp(this, 'scrapeInterval', `is ${scrape} s; use whole seconds from 1 to 300`);
    validateServiceAlarmsOptions(this, 'alarms', props.alarms ?? {});
    validateDeploymentAlarmsOptions(this, 'deploymentAlarms', props.deploymentAlarms ?? {});
    validateRunbookBaseUrl(this, 'runbookBaseUrl', props.runbookBaseUrl);
    if (props.alarms?.enabled === false && props.alarmTopics) invalidProp(this, 'alarmTopics', 'is given but props.alarms.enabled is false: nothing would notify them');

    const secretVars = Object.entries(d.env).filter(([, v]) => v.secret).map(([name]) => name);
    const missing = secretVars.filter((name) => !props.secrets[name]);
    if (missing.length) {
      invalidProp(this, 'secrets', `has no Secrets Manager secret for ${missing.join(', ')}: every env var "${d.name}" declares secret must come from a secret, never plain environment`);
    }
    const undeclared = Object.keys(props.secrets).filter((name) => !d.env[name]);
    if (undeclared.length) {
      invalidProp(this, 'secrets', `has ${undeclared.join(', ')}, which "${d.name}" does not declare as env vars; declare them (env: { NAME: { secret: true } }) or drop them`);
    }
    for (const [name, value] of Object.entries(props.secrets)) {
      if (isSecretField(value)) {
        const field: unknown = value.field;
        // ECS reads `<ARN>:<field>:<stage>:<version>`: a field cannot hold a colon.
        if (typeof field !== 'string' || !/^[^:\s]+$/.test(field)) {
          invalidProp(this, `secrets.${name}.field`, `is ${JSON.stringify(field)}; name the JSON key of the secret's value to inject (no spaces or colons), e.g. "password"`);
        }
        if (!isSecret(value.secret)) invalidProp(this, `secrets.${name}.secret`, 'is not a Secrets Manager secret (an ISecret, e.g. secretsmanager.Secret.fromSecretNameV2(...) or an RDS instance\'s secret)');
      } else if (!isSecret(value)) {
        invalidProp(this, `secrets.${name}`, 'is neither a Secrets Manager secret (ISecret) nor { secret, field } naming one of its JSON fields');
      }
    }
    const flagNames: readonly string[] = Object.values(FLAG);
    for (const name of Object.keys(props.environment ?? {})) {
      if (secretVars.includes(name)) invalidProp(this, `environment.${name}`, `is a secret env var of "${d.name}"; pass it in props.secrets instead`);
      if (name in props.secrets) invalidProp(this, `environment.${name}`, 'is also given in props.secrets; give each variable once');
      if (flagNames.includes(name)) invalidProp(this, `environment.${name}`, 'is a feature flag; set it with props.flags instead');
      const setHere = CONSTRUCT_ENV[name];
      if (setHere) invalidProp(this, `environment.${name}`, setHere);
    }
    return port;
  }
}

/** Duck-typed: secrets of another copy of aws-cdk-lib are secrets too. */
function isSecret(value: unknown): value is secretsmanager.ISecret {
  return typeof value === 'object' && value !== null && typeof (value as { secretArn?: unknown }).secretArn === 'string';
}

/** The alert manager's topics, when the workspace is a MonitoringWorkspace. */
function workspaceTopics(workspace: IPrometheusWorkspace): AlarmTopics | undefined {
  return workspace instanceof MonitoringWorkspace ? { critical: workspace.criticalTopic, warning: workspace.warningTopic } : undefined;
}

/** A one-line Node script that exits 0 when the liveness endpoint of the admin listener answers 2xx. */
function livenessProbe(host: string, port: number): string {
  return `fetch('http://${host}:${port}${HEALTH_PATH.live}',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
}

/** The variables ObservedService sets in the app container (besides the flags), each with why `environment` may not. */
const CONSTRUCT_ENV: Readonly<Record<string, string>> = {
  [PORT_ENV]: 'is set from the declaration; change the declared port instead',
  [ADMIN_ENV.port]: 'is set from the declaration; change the declared admin.port instead',
  [ADMIN_ENV.host]: `is set by ObservedService to ${ADMIN_DEFAULT_HOST}: the admin listener (/metrics, /health) stays inside the task, where the collector and the container health check reach it`,
  [TRUSTED_PROXY_HOPS_ENV]: `is set by ObservedService to ${LOAD_BALANCER_PROXY_HOPS}: the load balancer is the one proxy in front of the tasks`,
  [SHUTDOWN_ENV.drainDelayMs]: "is set by ObservedService to fit ECS's stop sequence (deregistration, then SIGTERM)",
  [SHUTDOWN_ENV.timeoutMs]: "is set by ObservedService to end before the container's stop timeout",
};

/** The app container's environment the construct owns: listeners, proxy hops, flags, shutdown. */
function appEnvironment(port: number, adminPort: number, flags: Partial<Flags> | undefined): Record<string, string> {
  return {
    [PORT_ENV]: String(port),
    [ADMIN_ENV.host]: ADMIN_DEFAULT_HOST,
    [ADMIN_ENV.port]: String(adminPort),
    // The load balancer appends the address it saw to X-Forwarded-For: the rate limit's client.
    [TRUSTED_PROXY_HOPS_ENV]: String(LOAD_BALANCER_PROXY_HOPS),
    ...flagsToEnv(flags),
    // ECS takes a stopping task out of the target group (deregistration delay) before SIGTERM,
    // so no drain delay is needed here; the drain itself must end before stopTimeout (30 s).
    [SHUTDOWN_ENV.drainDelayMs]: '0',
    [SHUTDOWN_ENV.timeoutMs]: '20000',
  };
}
