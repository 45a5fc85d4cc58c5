/**
 * Safe rollouts and outside-in alarms of ObservedService, in the example stack under both the
 * library's default feature flags and cdk.json's recommended ones; then the props that tune them.
 */
import { App, CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { ALERT, THRESHOLDS, runbookUrl } from '@bulwark/alerts';
import { defineService } from '@bulwark/runtime';
import { providersService } from '../../../lib/services';
import { PROMETHEUS_QUERY_PATH } from '../../../lib/service-stack';
import {
  MonitoringWorkspace,
  ObservedService,
  ServiceAlarms,
  latencyPercentile,
  prometheusWorkspaceFromId,
  type ObservedServiceProps,
} from '@bulwark/constructs/aws';
import { appWith, joinToText, synthProviders, type FlagSet } from './support';

type Json = any;

/** The logical ID of a construct's CloudFormation resource. */
function logicalId(c: IConstruct): string {
  return Stack.of(c).getLogicalId(c instanceof CfnElement ? c : (c.node.defaultChild as CfnElement));
}

/** Resource IDs each resource points at (Ref, Fn::GetAtt, DependsOn, ${X} in Fn::Sub). */
function references(resource: Json): Set<string> {
  const out = new Set<string>((([] as string[]).concat(resource.DependsOn ?? [])));
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof v.Ref === 'string') out.add(v.Ref);
      if (Array.isArray(v['Fn::GetAtt'])) out.add(v['Fn::GetAtt'][0]);
      if (v['Fn::Sub']) for (const m of JSON.stringify(v['Fn::Sub']).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) out.add(m[1]!);
      Object.values(v).forEach(walk);
    }
  };
  walk(resource.Properties);
  return out;
}

/** A dependency cycle among the template's resources (CloudFormation refuses those), or undefined. */
function dependencyCycle(resources: Record<string, Json>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path, id];
    state.set(id, 'visiting');
    for (const next of references(resources[id])) {
      if (!(next in resources)) continue;
      const cycle = visit(next, [...path, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of Object.keys(resources)) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The metrics of a math-expression alarm by id: name, statistic, period. */
function mathMetrics(alarm: Json): Record<string, { name: string; stat: string; period: number; dims: string[]; json: string }> {
  return Object.fromEntries(
    (alarm.Metrics as Json[])
      .filter((m) => m.MetricStat)
      .map((m) => [
        m.Id,
        {
          name: m.MetricStat.Metric.MetricName,
          stat: m.MetricStat.Stat,
          period: m.MetricStat.Period,
          dims: (m.MetricStat.Metric.Dimensions as { Name: string }[]).map((d) => d.Name),
          json: JSON.stringify(m.MetricStat.Metric),
        },
      ]),
  );
}

describe('the dependency cycle check used below', () => {
  it('finds a cycle through Ref, GetAtt and DependsOn, and none in a chain', () => {
    const a = { Properties: { X: { Ref: 'B' } } };
    expect(dependencyCycle({ A: a, B: { Properties: { Y: { 'Fn::GetAtt': ['C', 'Arn'] } } }, C: { DependsOn: ['A'] } })).toEqual(['A', 'B', 'C', 'A']);
    expect(dependencyCycle({ A: a, B: { Properties: {} } })).toBeUndefined();
  });
});

const expression = (alarm: Json) => (alarm.Metrics as Json[]).find((m) => m.ReturnData !== false)!.Expression as string;

describe.each<FlagSet>(['defaults', 'recommended'])('the example stack (%s feature flags)', (flags) => {
  const { stack, template } = synthProviders({}, flags);
  const resources = template.toJSON().Resources as Record<string, Json>;
  const props = (c: IConstruct) => resources[logicalId(c)].Properties;
  const svc = stack.app;
  const deployment = svc.deploymentAlarms!;
  const alarms = svc.alarms!;
  const serviceId = logicalId(svc.fargateService);
  const tgId = logicalId(svc.targetGroup);
  const lbId = logicalId(svc.loadBalancer);
  const critical = { Ref: logicalId(stack.monitoring.criticalTopic) };
  const warning = { Ref: logicalId(stack.monitoring.warningTopic) };

  describe('safe rollouts', () => {
    it('the service rolls back on the circuit breaker and on its two deployment alarms (ROLLBACK_ON_ALARM)', () => {
      const config = props(svc.fargateService).DeploymentConfiguration;
      expect(config.DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
      expect(config.Alarms).toEqual({
        AlarmNames: [{ Ref: logicalId(deployment.errorRatio) }, { Ref: logicalId(deployment.unhealthyHosts) }],
        Enable: true,
        Rollback: true,
      });
      expect(config).toMatchObject({ MinimumHealthyPercent: 100, MaximumPercent: 200 });
    });

    it("rolls back when the targets answer more than 5% 5xx (target group's HTTPCode_Target_5XX_Count / RequestCount) in 2 of 3 minutes", () => {
      const alarm = props(deployment.errorRatio);
      expect(expression(alarm)).toBe('FILL(errors, 0) / requests');
      const m = mathMetrics(alarm);
      expect([m.errors!.name, m.errors!.stat, m.errors!.period]).toEqual(['HTTPCode_Target_5XX_Count', 'Sum', 60]);
      expect([m.requests!.name, m.requests!.stat, m.requests!.period]).toEqual(['RequestCount', 'Sum', 60]);
      for (const metric of Object.values(m)) {
        expect(metric.dims).toEqual(['LoadBalancer', 'TargetGroup']);
        expect(metric.json).toContain(tgId);
      }
      expect(alarm).toMatchObject({
        Threshold: THRESHOLDS.errorRatio,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
      });
    });

    it('rolls back when a target is unhealthy (max UnHealthyHostCount ≥ 1) in 2 of 3 minutes', () => {
      expect(props(deployment.unhealthyHosts)).toMatchObject({
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'UnHealthyHostCount',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
      });
      expect(JSON.stringify(props(deployment.unhealthyHosts).Dimensions)).toContain(tgId);
    });

    it('the deployment alarms page nobody and never read the service (which depends on them)', () => {
      for (const alarm of deployment.alarms) {
        expect(props(alarm).AlarmActions).toBeUndefined();
        expect(props(alarm).OKActions).toBeUndefined();
        expect(references(resources[logicalId(alarm)])).not.toContain(serviceId);
      }
      expect(dependencyCycle(resources)).toBeUndefined();
    });

    it('the deployment alarms are not the paging alarms', () => {
      const paging = new Set(alarms.alarms.map(logicalId));
      for (const alarm of deployment.alarms) expect(paging).not.toContain(logicalId(alarm));
    });
  });

  describe('outside-in alarms', () => {
    it('5xx ratio: (ELB 5xx + target 5xx) / requests of the load balancer > 5% in 3 of 5 minutes pages the critical topic', () => {
      const alarm = props(alarms.errorRatio);
      expect(expression(alarm)).toBe('(FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests');
      const m = mathMetrics(alarm);
      expect(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [v.name, v.stat, v.period, v.dims]]))).toEqual({
        elb5xx: ['HTTPCode_ELB_5XX_Count', 'Sum', 60, ['LoadBalancer']],
        target5xx: ['HTTPCode_Target_5XX_Count', 'Sum', 60, ['LoadBalancer']],
        requests: ['RequestCount', 'Sum', 60, ['LoadBalancer']],
      });
      for (const metric of Object.values(m)) expect(metric.json).toContain(lbId);
      expect(alarm).toMatchObject({
        Threshold: THRESHOLDS.errorRatio,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        TreatMissingData: 'notBreaching',
        AlarmActions: [critical],
        OKActions: [critical],
      });
    });

    it('unhealthy hosts: max UnHealthyHostCount ≥ 1 for 2 minutes pages the critical topic', () => {
      const alarm = props(alarms.unhealthyHosts);
      expect(alarm).toMatchObject({
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'UnHealthyHostCount',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
        AlarmActions: [critical],
        OKActions: [critical],
      });
      expect(JSON.stringify(alarm.Dimensions)).toContain(tgId);
    });

    it('running tasks: DesiredTaskCount − RunningTaskCount ≥ 1 in 3 of 5 minutes, no data breaching, pages the critical topic', () => {
      const alarm = props(alarms.runningTasks);
      expect(expression(alarm)).toBe('desired - running');
      const m = mathMetrics(alarm);
      expect([m.desired!.name, m.desired!.stat, m.running!.name, m.running!.stat]).toEqual(['DesiredTaskCount', 'Maximum', 'RunningTaskCount', 'Minimum']);
      for (const metric of Object.values(m)) {
        expect(metric.period).toBe(60);
        expect(metric.dims).toEqual(['ClusterName', 'ServiceName']);
        expect(metric.json).toContain('"Namespace":"ECS/ContainerInsights"');
        expect(metric.json).toContain(serviceId);
        expect(metric.json).toContain(logicalId(svc.cluster));
      }
      expect(alarm).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        TreatMissingData: 'breaching',
        AlarmActions: [critical],
        OKActions: [critical],
      });
    });

    it('response time: p95 TargetResponseTime above the 100 ms objective for 5 minutes notifies the warning topic', () => {
      expect(providersService.objectives.latency).toEqual({ thresholdMs: 100, target: 0.95 });
      const alarm = props(alarms.responseTime);
      expect(alarm).toMatchObject({
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'TargetResponseTime',
        ExtendedStatistic: 'p95',
        Period: 60,
        Threshold: 0.1,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        TreatMissingData: 'notBreaching',
        AlarmActions: [warning],
        OKActions: [warning],
      });
      expect(JSON.stringify(alarm.Dimensions)).toContain(tgId);
    });

    it("each alarm's description links its runbook", () => {
      expect(props(alarms.errorRatio).AlarmDescription).toContain(`Runbook: ${runbookUrl(ALERT.highErrorRate)}`);
      expect(props(alarms.unhealthyHosts).AlarmDescription).toContain(`Runbook: ${runbookUrl(ALERT.targetDown)}`);
      expect(props(alarms.runningTasks).AlarmDescription).toContain(`Runbook: ${runbookUrl(ALERT.targetDown)}`);
      expect(props(alarms.responseTime).AlarmDescription).toContain(`Runbook: ${runbookUrl(ALERT.highLatency)}`);
      expect(runbookUrl(ALERT.highErrorRate)).toBe('runbooks/HighErrorRate.md');
    });

    it('read no Prometheus metric: only AWS/ApplicationELB and ECS/ContainerInsights', () => {
      const namespaces = new Set<string>();
      for (const alarm of alarms.alarms) {
        for (const m of JSON.stringify(props(alarm)).matchAll(/"Namespace":"([^"]+)"/g)) namespaces.add(m[1]!);
      }
      expect([...namespaces].sort()).toEqual(['AWS/ApplicationELB', 'ECS/ContainerInsights']);
    });

    it("the alert topics' policies let exactly these alarms publish (CloudWatch needs it on a topic with a policy)", () => {
      const statementFor = (topic: sns.ITopic) => {
        const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter((p: Json) =>
          (p.Properties.Topics as Json[]).some((t) => t.Ref === logicalId(topic)),
        ) as Json[];
        // (The critical topic also lets the MonitoringWorkspace's heartbeat alarm publish, in a statement of its own.)
        return (policy.Properties.PolicyDocument.Statement as Json[]).find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com' && s.Sid !== 'AllowTheHeartbeatAlarmToPublish');
      };
      const arnsOf = (list: readonly IConstruct[]) => list.map((a) => ({ 'Fn::GetAtt': [logicalId(a), 'Arn'] }));
      expect(statementFor(stack.monitoring.criticalTopic)).toMatchObject({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: { 'aws:SourceArn': arnsOf([alarms.errorRatio, alarms.unhealthyHosts, alarms.runningTasks]) },
        },
      });
      expect(statementFor(stack.monitoring.warningTopic).Condition.ArnEquals['aws:SourceArn']).toEqual(arnsOf([alarms.responseTime]));
    });
  });

  it('the cluster the construct creates has Container Insights on', () => {
    expect(props(svc.cluster).ClusterSettings).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
  });

  describe('outputs', () => {
    const outputs = template.findOutputs('*');
    const value = (id: string) => outputs[id]!.Value;
    const workspaceId = logicalId(stack.monitoring.workspace);

    it('the service URL is http:// and the load balancer DNS name', () => {
      expect(joinToText(value('ServiceUrl'))).toBe(`http://<GetAtt:${lbId}.DNSName>`);
    });

    it('the Grafana workspace URL', () => {
      expect(joinToText(value('GrafanaUrl'))).toBe(`https://<GetAtt:${logicalId(stack.dashboards.workspace!)}.Endpoint>`);
    });

    it('the Prometheus workspace ID, query and remote write endpoints', () => {
      expect(value('PrometheusWorkspaceId')).toEqual({ 'Fn::GetAtt': [workspaceId, 'WorkspaceId'] });
      expect(joinToText(value('PrometheusQueryUrl'))).toBe(`<GetAtt:${workspaceId}.PrometheusEndpoint>${PROMETHEUS_QUERY_PATH}`);
      expect(joinToText(value('PrometheusRemoteWriteUrl'))).toBe(`<GetAtt:${workspaceId}.PrometheusEndpoint>api/v1/remote_write`);
    });

    it('the alert topic ARNs: critical, warning, heartbeat', () => {
      expect(value('CriticalAlertsTopicArn')).toEqual(critical);
      expect(value('WarningAlertsTopicArn')).toEqual(warning);
      expect(value('HeartbeatTopicArn')).toEqual({ Ref: logicalId(stack.monitoring.heartbeatTopic) });
    });

    it('the database endpoint and credentials secret, the cache endpoint', () => {
      const db = stack.serviceDependencies.databases.db!;
      const cache = stack.serviceDependencies.caches.cache!;
      expect(joinToText(value('DbEndpoint'))).toBe(`<GetAtt:${logicalId(db.instance)}.Endpoint.Address>:<GetAtt:${logicalId(db.instance)}.Endpoint.Port>`);
      expect(value('DbSecretArn')).toEqual({ Ref: logicalId(db.secret) });
      expect(joinToText(value('CacheEndpoint'))).toBe(`<GetAtt:${logicalId(cache.replicationGroup)}.PrimaryEndPoint.Address>:<GetAtt:${logicalId(cache.replicationGroup)}.PrimaryEndPoint.Port>`);
    });

    it('every output is described, and none is exported (no cross-stack coupling)', () => {
      expect(Object.keys(outputs).length).toBe(12);
      for (const o of Object.values(outputs)) {
        expect((o as Json).Description.length).toBeGreaterThan(10);
        expect((o as Json).Export).toBeUndefined();
      }
    });
  });
});

/** The env vars the declaration marks secret: each must come from Secrets Manager. */
const SECRET_VARS = Object.entries(providersService.env).filter(([, v]) => v.secret).map(([k]) => k);

/** An ObservedService alone in a stack, with valid props overridden by `over`. */
function observed(over: (stack: Stack) => Partial<ObservedServiceProps> = () => ({}), flags: FlagSet = 'defaults') {
  const stack = new Stack(appWith(flags), 'S');
  const secrets = Object.fromEntries(
    Object.entries(providersService.env).filter(([, v]) => v.secret).map(([k]) => [k, secretsmanager.Secret.fromSecretNameV2(stack, k, `x/${k}`)]),
  );
  const service = new ObservedService(stack, 'Svc', {
    declaration: providersService,
    image: ecs.ContainerImage.fromRegistry('example/providers:1'),
    workspace: prometheusWorkspaceFromId(stack, 'ws-1'),
    vpc: new ec2.Vpc(stack, 'Vpc'),
    secrets,
    allowInsecureHttp: true,
    ...over(stack),
  });
  return { stack, service, template: Template.fromStack(stack) };
}

describe('ObservedService alarm props', () => {
  it('tune the thresholds and timing', () => {
    const { service, template } = observed((s) => ({
      alarmTopics: { critical: new sns.Topic(s, 'Pager'), warning: new sns.Topic(s, 'Tickets') },
      alarms: { errorRatio: 0.02, unhealthyHosts: 2, latencyThreshold: Duration.millis(250) },
      deploymentAlarms: { errorRatio: 0.1, unhealthyHosts: 3, evaluationPeriods: 5, datapointsToAlarm: 4 },
      runbookBaseUrl: 'https://runbooks.example.com/bulwark',
    }));
    const res = template.toJSON().Resources;
    const p = (c: IConstruct) => res[logicalId(c)].Properties;
    expect(p(service.alarms!.errorRatio).Threshold).toBe(0.02);
    expect(p(service.alarms!.unhealthyHosts).Threshold).toBe(2);
    expect(p(service.alarms!.responseTime).Threshold).toBe(0.25);
    expect(p(service.deploymentAlarms!.errorRatio)).toMatchObject({ Threshold: 0.1, EvaluationPeriods: 5, DatapointsToAlarm: 4 });
    expect(p(service.deploymentAlarms!.unhealthyHosts)).toMatchObject({ Threshold: 3, EvaluationPeriods: 5, DatapointsToAlarm: 4 });
    expect(p(service.alarms!.errorRatio).AlarmDescription).toContain('Runbook: https://runbooks.example.com/bulwark/HighErrorRate.md');
    expect(p(service.alarms!.errorRatio).AlarmActions).toEqual([{ Ref: logicalId(Stack.of(service).node.findChild('Pager')) }]);
  });

  it.each<FlagSet>(['defaults', 'recommended'])('turn the deployment alarms off, keeping the circuit breaker (%s flags)', (flags) => {
    const { service, template } = observed((s) => ({ deploymentAlarms: { enabled: false }, alarmTopics: { critical: new sns.Topic(s, 'C'), warning: new sns.Topic(s, 'W') } }), flags);
    expect(service.deploymentAlarms).toBeUndefined();
    const config = template.toJSON().Resources[logicalId(service.fargateService)].Properties.DeploymentConfiguration;
    expect(config.DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
    expect(config.Alarms?.Enable ?? false).toBe(false);
    // Only the four outside-in alarms are left.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });

  it('turn the outside-in alarms off', () => {
    const { service, template } = observed(() => ({ alarms: { enabled: false } }));
    expect(service.alarms).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
  });

  it("take the latency percentile from the declaration's objective", () => {
    const strict = defineService({ name: 'strict', port: 8080, objectives: { latency: { thresholdMs: 300, target: 0.999 } } });
    const stack = new Stack(new App(), 'P');
    const topics = { critical: new sns.Topic(stack, 'C'), warning: new sns.Topic(stack, 'W') };
    const service = new ObservedService(stack, 'Svc', {
      declaration: strict,
      image: ecs.ContainerImage.fromRegistry('example/strict:1'),
      workspace: prometheusWorkspaceFromId(stack, 'ws-1'),
      vpc: new ec2.Vpc(stack, 'Vpc'),
      secrets: {},
      allowInsecureHttp: true,
      alarmTopics: topics,
    });
    const alarm = Template.fromStack(stack).toJSON().Resources[logicalId(service.alarms!.responseTime)].Properties;
    expect([alarm.ExtendedStatistic, alarm.Threshold]).toEqual(['p99.9', 0.3]);
    expect([latencyPercentile(0.95), latencyPercentile(0.99), latencyPercentile(0.9999)]).toEqual(['p95', 'p99', 'p99.99']);
  });

  it("default to the MonitoringWorkspace's topics", () => {
    const stack = new Stack(new App(), 'M');
    const monitoring = new MonitoringWorkspace(stack, 'Monitoring', { services: [providersService] });
    const service = new ObservedService(stack, 'Svc', {
      declaration: providersService,
      image: ecs.ContainerImage.fromRegistry('example/providers:1'),
      workspace: monitoring,
      vpc: new ec2.Vpc(stack, 'Vpc'),
      secrets: Object.fromEntries(SECRET_VARS.map((k) => [k, secretsmanager.Secret.fromSecretNameV2(stack, k, k)])),
      allowInsecureHttp: true,
    });
    const res = Template.fromStack(stack).toJSON().Resources;
    expect(res[logicalId(service.alarms!.runningTasks)].Properties.AlarmActions).toEqual([{ Ref: logicalId(monitoring.criticalTopic) }]);
    expect(res[logicalId(service.alarms!.responseTime)].Properties.AlarmActions).toEqual([{ Ref: logicalId(monitoring.warningTopic) }]);
  });

  it('warn when nothing would be notified', () => {
    const { stack, service } = observed();
    expect(service.alarms!.errorRatio).toBeDefined();
    Annotations.fromStack(stack).hasWarning('/S/Svc/Alarms', Match.stringLikeRegexp('No alarm topics given: the outside-in alarms change state but notify no one'));
  });

  it("warn, and leave the policy alone, for a topic of another stack (naming this stack's alarms there would tie the stacks in a cycle)", () => {
    const app = new App();
    const shared = new Stack(app, 'Shared');
    const pager = new sns.Topic(shared, 'Pager', { enforceSSL: true });
    const { stack, service } = (() => {
      const s = new Stack(app, 'S');
      const svc = new ObservedService(s, 'Svc', {
        declaration: providersService,
        image: ecs.ContainerImage.fromRegistry('example/providers:1'),
        workspace: prometheusWorkspaceFromId(s, 'ws-1'),
        vpc: new ec2.Vpc(s, 'Vpc'),
        secrets: Object.fromEntries(SECRET_VARS.map((k) => [k, secretsmanager.Secret.fromSecretNameV2(s, k, k)])),
        allowInsecureHttp: true,
        alarmTopics: { critical: pager, warning: pager },
      });
      return { stack: s, service: svc };
    })();
    expect(service.alarms).toBeDefined();
    Annotations.fromStack(stack).hasWarning('/S/Svc/Alarms', Match.stringLikeRegexp('Topic Shared/Pager is not in this stack or is imported: its policy must allow cloudwatch\\.amazonaws\\.com'));
    const statements = Object.values(Template.fromStack(shared).findResources('AWS::SNS::TopicPolicy')).flatMap((p: Json) => p.Properties.PolicyDocument.Statement);
    expect(statements.some((st: Json) => st.Principal?.Service === 'cloudwatch.amazonaws.com')).toBe(false);
  });

  it('ServiceAlarms works on its own, and validates its props naming them', () => {
    const { stack, service } = observed(() => ({ alarms: { enabled: false } }));
    const alarms = new ServiceAlarms(stack, 'Extra', {
      declaration: providersService,
      loadBalancer: service.loadBalancer,
      targetGroup: service.targetGroup,
      service: service.fargateService,
    });
    expect(alarms.alarms).toHaveLength(4);
    expect(
      () =>
        new ServiceAlarms(stack, 'Bad', {
          declaration: providersService,
          loadBalancer: service.loadBalancer,
          targetGroup: service.targetGroup,
          service: service.fargateService,
          errorRatio: 2,
        }),
    ).toThrow(/ServiceAlarms at S\/Bad: props\.errorRatio is 2; use a fraction of requests between 0 and 1/);
  });
});
