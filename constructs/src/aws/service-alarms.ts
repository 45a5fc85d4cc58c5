/**
 * CloudWatch alarms of an ObservedService that see the service from the outside (the load
 * balancer and ECS), so they keep working when the metrics collector, Amazon Managed Prometheus or
 * its alert manager do not: `ServiceAlarms` pages through the alert manager's SNS topics, and
 * `DeploymentAlarms` are what ECS watches to roll a deployment back.
 */
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { ALERT, RUNBOOK_BASE_URL, THRESHOLDS, runbookUrl } from '@bulwark/alerts';
import { invalidProp } from './errors';
import { CLOUDWATCH_SERVICE_PRINCIPAL } from './monitoring-workspace';


/** Every alarm here evaluates one-minute datapoints (the load balancer and Container Insights publish per minute). */
export const ALARM_PERIOD = Duration.minutes(1);

/** Where the alarms of each severity notify: the topics the alert manager routes to (`MonitoringWorkspace.topicFor`). */
export interface AlarmTopics {
  /** Pages: 5xx ratio, unhealthy targets, running tasks below desired. */
  readonly critical: sns.ITopic;
  /** Tickets: response time above the latency objective. */
  readonly warning: sns.ITopic;
}

/** Thresholds of the outside-in alarms (`ServiceAlarms`). */
export interface ServiceAlarmsOptions {
  /**
   * Share of requests answered 5xx (by the load balancer or the targets) above which
   * `errorRatio` alarms, in 3 of 5 minutes. Between 0 and 1, exclusive.
   * @default THRESHOLDS.errorRatio (0.05, the threshold of the HighErrorRate alert)
   */
  readonly errorRatio?: number;
  /**
   * Unhealthy targets at or above which `unhealthyHosts` alarms, in 2 consecutive minutes. A whole number, at least 1.
   * @default 1
   */
  readonly unhealthyHosts?: number;
  /**
   * Target response time above which `responseTime` alarms (at the objective's percentile, in
   * 5 consecutive minutes).
   * @default - the declared latency objective: `objectives.latency.thresholdMs`
   */
  readonly latencyThreshold?: Duration;
}

export interface ServiceAlarmsProps extends ServiceAlarmsOptions {
  /** The service declaration: its name and latency objective. */
  readonly declaration: ServiceDeclaration;
  /** The load balancer in front of the service (its only target group is the service's). */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The service's target group. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** The ECS service. Its cluster must have Container Insights on (RunningTaskCount, DesiredTaskCount). */
  readonly service: ecs.IBaseService;
  /**
   * Where the alarms notify (on ALARM and on OK, like the alert manager's resolved notifications).
   * When a topic is in this stack, its policy is extended so these alarms (and only they) may publish.
   * @default - no notifications: the alarms only change state (a warning says so)
   */
  readonly topics?: AlarmTopics;
  /**
   * Base of the runbook link in each alarm's description.
   * @default RUNBOOK_BASE_URL (`runbooks/`, where `bulwark generate` writes them)
   */
  readonly runbookBaseUrl?: string;
}

/**
 * Outside-in alarms of a service behind an Application Load Balancer on ECS: they read only
 * AWS/ApplicationELB and ECS/ContainerInsights metrics, so they fire even when the metrics
 * pipeline (collector → Prometheus → alert manager) is down. Critical ones go to
 * `topics.critical`, warnings to `topics.warning`; each description links its runbook.
 */
export class ServiceAlarms extends Construct {
  /** (ELB 5xx + target 5xx) / requests above `errorRatio` in 3 of 5 minutes. Critical; missing data is not breaching (no requests, nothing failed). */
  readonly errorRatio: cloudwatch.Alarm;
  /** Max UnHealthyHostCount at or above `unhealthyHosts` for 2 minutes. Critical; missing data is not breaching (no targets registered is `runningTasks`' to report). */
  readonly unhealthyHosts: cloudwatch.Alarm;
  /** DesiredTaskCount − RunningTaskCount ≥ 1 in 3 of 5 minutes. Critical; missing data is breaching (Container Insights reports every minute: silence means nobody can see the tasks). */
  readonly runningTasks: cloudwatch.Alarm;
  /** TargetResponseTime at the objective's percentile above its threshold for 5 minutes. Warning; missing data is not breaching (no requests, nothing slow). */
  readonly responseTime: cloudwatch.Alarm;
  /** Every alarm above. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    validateServiceAlarmsOptions(this, '', props);
    validateRunbookBaseUrl(this, 'runbookBaseUrl', props.runbookBaseUrl);
    const name = props.declaration.name;
    const base = props.runbookBaseUrl ?? RUNBOOK_BASE_URL;
    const lb = props.loadBalancer.metrics;
    const tg = props.targetGroup.metrics;
    const minute = { period: ALARM_PERIOD };

    const errorRatio = props.errorRatio ?? THRESHOLDS.errorRatio;
    this.errorRatio = new cloudwatch.Alarm(this, 'ErrorRatio', {
      alarmDescription:
        `More than ${percent(errorRatio)} of the requests to ${name} answered 5xx (load balancer and target errors over RequestCount) ` +
        `in 3 of the last 5 minutes. Seen by the load balancer, so it fires even when the metrics collector or Prometheus is down. ` +
        `Runbook: ${runbookUrl(ALERT.highErrorRate, base)}`,
      metric: new cloudwatch.MathExpression({
        expression: '(FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests',
        usingMetrics: {
          elb5xx: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { ...minute, statistic: cloudwatch.Stats.SUM }),
          target5xx: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { ...minute, statistic: cloudwatch.Stats.SUM }),
          requests: lb.requestCount({ ...minute, statistic: cloudwatch.Stats.SUM }),
        },
        label: '5xx ratio',
        period: ALARM_PERIOD,
      }),
      threshold: errorRatio,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const unhealthy = props.unhealthyHosts ?? 1;
    this.unhealthyHosts = new cloudwatch.Alarm(this, 'UnhealthyHosts', {
      alarmDescription:
        `${unhealthy} or more targets of ${name} failed the load balancer's readiness check for 2 minutes: tasks down, unreachable, ` +
        `or not ready (still validating, or in EMERGENCY). Runbook: ${runbookUrl(ALERT.targetDown, base)}`,
      metric: tg.unhealthyHostCount({ ...minute, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: unhealthy,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const taskMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: { ClusterName: props.service.cluster.clusterName, ServiceName: props.service.serviceName },
        statistic,
        period: ALARM_PERIOD,
      });
    this.runningTasks = new cloudwatch.Alarm(this, 'RunningTasks', {
      alarmDescription:
        `Fewer tasks of ${name} running than desired in 3 of the last 5 minutes (Container Insights RunningTaskCount vs DesiredTaskCount): ` +
        `tasks crash, fail their health checks or cannot be placed. No data counts as breaching: it means Container Insights is off ` +
        `on the cluster or the service is gone. Runbook: ${runbookUrl(ALERT.targetDown, base)}`,
      metric: new cloudwatch.MathExpression({
        expression: 'desired - running',
        usingMetrics: {
          desired: taskMetric('DesiredTaskCount', cloudwatch.Stats.MAXIMUM),
          running: taskMetric('RunningTaskCount', cloudwatch.Stats.MINIMUM),
        },
        label: 'tasks missing',
        period: ALARM_PERIOD,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    const { thresholdMs, target } = props.declaration.objectives.latency;
    const latency = props.latencyThreshold ?? Duration.millis(thresholdMs);
    const percentile = latencyPercentile(target);
    this.responseTime = new cloudwatch.Alarm(this, 'ResponseTime', {
      alarmDescription:
        `${percentile} target response time of ${name} above ${latency.toMilliseconds()} ms for 5 minutes ` +
        `(objectives.latency: ${percent(target)} of requests within ${thresholdMs} ms), seen by the load balancer. ` +
        `Runbook: ${runbookUrl(ALERT.highLatency, base)}`,
      metric: tg.targetResponseTime({ ...minute, statistic: percentile }),
      threshold: latency.toMilliseconds() / 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.alarms = [this.errorRatio, this.unhealthyHosts, this.runningTasks, this.responseTime];
    if (props.topics) {
      this.notify(props.topics.critical, [this.errorRatio, this.unhealthyHosts, this.runningTasks]);
      this.notify(props.topics.warning, [this.responseTime]);
    } else {
      Annotations.of(this).addWarningV2(
        '@bulwark/constructs:ServiceAlarms.noTopics',
        'No alarm topics given: the outside-in alarms change state but notify no one. Pass the alert manager topics (ObservedService alarmTopics).',
      );
    }
  }

  /** Notifies `topic` on ALARM and OK, and lets these alarms publish to it. */
  private notify(topic: sns.ITopic, alarms: readonly cloudwatch.Alarm[]): void {
    const action = new cloudwatchActions.SnsAction(topic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    allowAlarmsToPublish(this, topic, alarms);
  }
}

/**
 * A topic with a resource policy (every topic with `enforceSSL`, and MonitoringWorkspace's) lets
 * CloudWatch publish only when the policy says so. The statement names these alarms' ARNs. A topic
 * of another stack or imported cannot be changed here: its owner must allow cloudwatch.amazonaws.com
 * (and, for an encrypted topic, the key policy too).
 */
function allowAlarmsToPublish(scope: Construct, topic: sns.ITopic, alarms: readonly cloudwatch.Alarm[]): void {
  const stack = Stack.of(scope);
  const statement = new iam.PolicyStatement({
    sid: `AllowAlarmsOf${pascal(scope.node.path)}ToPublish`,
    principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE_PRINCIPAL)],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnEquals: { 'aws:SourceArn': alarms.map((a) => a.alarmArn) },
    },
  });
  // A statement naming this stack's alarms in another stack's policy would make the stacks depend on each other.
  const added = Stack.of(topic) === stack && topic.addToResourcePolicy(statement).statementAdded;
  if (!added) {
    Annotations.of(scope).addWarningV2(
      '@bulwark/constructs:ServiceAlarms.topicPolicy',
      `Topic ${topic.node.path} is not in this stack or is imported: its policy must allow ${CLOUDWATCH_SERVICE_PRINCIPAL} to sns:Publish ` +
        '(and its KMS key policy to use the key, if encrypted), or these alarms cannot notify.',
    );
  }
}

/** Thresholds and timing of the deployment alarms (`DeploymentAlarms`). */
export interface DeploymentAlarmsOptions {
  /**
   * Share of the requests the targets answer 5xx (HTTPCode_Target_5XX_Count / RequestCount of the
   * target group) above which a deployment is rolled back. Between 0 and 1, exclusive.
   * @default THRESHOLDS.errorRatio (0.05)
   */
  readonly errorRatio?: number;
  /**
   * Unhealthy targets at or above which a deployment is rolled back. A whole number, at least 1.
   * @default 1
   */
  readonly unhealthyHosts?: number;
  /**
   * One-minute datapoints each alarm looks at. ECS derives the deployment's bake time (how long it
   * keeps watching after the new tasks are in) from this. 1 to 60.
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Datapoints out of `evaluationPeriods` that must breach. 1 to `evaluationPeriods`.
   * @default 2
   */
  readonly datapointsToAlarm?: number;
}

export interface DeploymentAlarmsProps extends DeploymentAlarmsOptions {
  /** The service's target group: the alarms read only its metrics, never the ECS service's (that would be a dependency cycle). */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** Name of the service, for the descriptions. */
  readonly serviceName: string;
}

/**
 * The alarms ECS watches during a deployment (`deploymentAlarms` with ROLLBACK_ON_ALARM): the
 * target group's 5xx ratio and unhealthy targets. They have no actions: rolling back is their
 * action, and nobody is paged for a deployment that undid itself. They are separate from the
 * paging `ServiceAlarms` because they judge only the targets (the new tasks' answers), react
 * faster (2 of 3 minutes), and their timing sets the deployment's bake time.
 */
export class DeploymentAlarms extends Construct {
  /** Target 5xx / target group requests above `errorRatio`. Missing data is not breaching: no traffic is no reason to roll back. */
  readonly errorRatio: cloudwatch.Alarm;
  /** Max UnHealthyHostCount at or above `unhealthyHosts`. Missing data is not breaching: ECS's own circuit breaker covers tasks that never start. */
  readonly unhealthyHosts: cloudwatch.Alarm;
  /** Every alarm above. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DeploymentAlarmsProps) {
    super(scope, id);
    validateDeploymentAlarmsOptions(this, '', props);
    const tg = props.targetGroup.metrics;
    const minute = { period: ALARM_PERIOD };
    const evaluationPeriods = props.evaluationPeriods ?? 3;
    const datapointsToAlarm = props.datapointsToAlarm ?? 2;
    const window = `${datapointsToAlarm} of ${evaluationPeriods} minutes`;

    const errorRatio = props.errorRatio ?? THRESHOLDS.errorRatio;
    this.errorRatio = new cloudwatch.Alarm(this, 'ErrorRatio', {
      alarmDescription:
        `Deployment alarm of ${props.serviceName} (ECS rolls the deployment back; nobody is paged): the targets answered more than ` +
        `${percent(errorRatio)} of requests 5xx in ${window}.`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(errors, 0) / requests',
        usingMetrics: {
          errors: tg.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { ...minute, statistic: cloudwatch.Stats.SUM }),
          requests: tg.requestCount({ ...minute, statistic: cloudwatch.Stats.SUM }),
        },
        label: 'target 5xx ratio',
        period: ALARM_PERIOD,
      }),
      threshold: errorRatio,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const unhealthy = props.unhealthyHosts ?? 1;
    this.unhealthyHosts = new cloudwatch.Alarm(this, 'UnhealthyHosts', {
      alarmDescription:
        `Deployment alarm of ${props.serviceName} (ECS rolls the deployment back; nobody is paged): ${unhealthy} or more targets ` +
        `failed the readiness check in ${window}.`,
      metric: tg.unhealthyHostCount({ ...minute, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: unhealthy,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [this.errorRatio, this.unhealthyHosts];
  }

  /** The alarm names to give ECS (`deploymentAlarms.alarmNames`). */
  get alarmNames(): string[] {
    return this.alarms.map((a) => a.alarmName);
  }
}

/**
 * Checks `ServiceAlarmsOptions`, naming each as `<prefix>.<prop>` (or `<prop>`). Used by the
 * construct itself and by ObservedService before it builds anything.
 * @internal
 */
export function validateServiceAlarmsOptions(scope: IConstruct, prefix: string, o: ServiceAlarmsOptions): void {
  checkRatio(scope, join(prefix, 'errorRatio'), o.errorRatio);
  checkWhole(scope, join(prefix, 'unhealthyHosts'), o.unhealthyHosts, 1, 1000);
  if (o.latencyThreshold && !Token.isUnresolved(o.latencyThreshold.toMilliseconds())) {
    const ms = o.latencyThreshold.toMilliseconds();
    if (!(ms > 0)) invalidProp(scope, join(prefix, 'latencyThreshold'), `is ${ms} ms; use a positive duration (the response time above which the service is too slow)`);
  }
}

/**
 * Checks `DeploymentAlarmsOptions`, naming each as `<prefix>.<prop>` (or `<prop>`).
 * @internal
 */
export function validateDeploymentAlarmsOptions(scope: IConstruct, prefix: string, o: DeploymentAlarmsOptions): void {
  checkRatio(scope, join(prefix, 'errorRatio'), o.errorRatio);
  checkWhole(scope, join(prefix, 'unhealthyHosts'), o.unhealthyHosts, 1, 1000);
  checkWhole(scope, join(prefix, 'evaluationPeriods'), o.evaluationPeriods, 1, 60);
  const periods = o.evaluationPeriods ?? 3;
  checkWhole(scope, join(prefix, 'datapointsToAlarm'), o.datapointsToAlarm, 1, 60);
  const datapoints = o.datapointsToAlarm ?? 2;
  if (datapoints > periods) {
    invalidProp(scope, join(prefix, 'datapointsToAlarm'), `is ${datapoints}, more than the ${periods} evaluation periods; use at most ${periods}`);
  }
}

/**
 * Checks a runbook base URL prop.
 * @internal
 */
export function validateRunbookBaseUrl(scope: IConstruct, prop: string, v: string | undefined): void {
  if (v !== undefined && !Token.isUnresolved(v) && !v.trim()) {
    invalidProp(scope, prop, 'is empty; leave it out for RUNBOOK_BASE_URL (`runbooks/`) or give the base the runbooks are published under');
  }
}

/** `p95` for 0.95: the CloudWatch percentile statistic of a latency objective's target (at most two decimals, as CloudWatch takes them). */
export function latencyPercentile(target: number): string {
  return `p${+(target * 100).toFixed(2)}`;
}

function checkRatio(scope: IConstruct, prop: string, v: number | undefined): void {
  if (v === undefined || Token.isUnresolved(v)) return;
  if (!(v > 0 && v < 1)) invalidProp(scope, prop, `is ${v}; use a fraction of requests between 0 and 1, exclusive (0.05 is 5%)`);
}

function checkWhole(scope: IConstruct, prop: string, v: number | undefined, min: number, max: number): void {
  if (v === undefined || Token.isUnresolved(v)) return;
  if (!Number.isInteger(v) || v < min || v > max) invalidProp(scope, prop, `is ${v}; use a whole number from ${min} to ${max}`);
}

function join(prefix: string, prop: string): string {
  return prefix ? `${prefix}.${prop}` : prop;
}

function percent(fraction: number): string {
  return `${+(fraction * 100).toFixed(2)}%`;
}

function pascal(path: string): string {
  return path.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _sep: string, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');
}
