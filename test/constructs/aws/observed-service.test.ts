import { FLAG, FLAG_DEFAULTS, HEALTH_PATH, SHUTDOWN_ENV } from '../../../runtime/src/internal';
import { parse } from 'yaml';
import { providersService } from '../../../lib/services';
import { APP_CONTAINER_NAME, COLLECTOR_CONFIG_ENV, COLLECTOR_CONTAINER_NAME } from '@bulwark/constructs/aws';
import { joinToText, only, synthProviders } from './support';

// One synth of the example stack shared by every assertion.
const { stack, template } = synthProviders();
const taskDef = only(template, 'AWS::ECS::TaskDefinition');
const containers = taskDef.props.ContainerDefinitions as Record<string, any>[];
const app = containers.find((c) => c.Name === APP_CONTAINER_NAME)!;
const collector = containers.find((c) => c.Name === COLLECTOR_CONTAINER_NAME)!;
const env = (c: Record<string, any>) => Object.fromEntries((c.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
const secretVars = Object.entries(providersService.env).filter(([, v]) => v.secret).map(([k]) => k);
const workspaceId = stack.getLogicalId(stack.monitoring.workspace);

describe('ObservedService: app container', () => {
  it('sets every feature flag explicitly (the runtime defaults unless told otherwise)', () => {
    const e = env(app);
    for (const [key, name] of Object.entries(FLAG)) expect(e[name]).toBe(String(FLAG_DEFAULTS[key as keyof typeof FLAG]));
    expect(e.PORT).toBe(String(providersService.port));
  });

  it('sets the shutdown settings explicitly, the drain ending before ECS stops the container', () => {
    const e = env(app);
    expect(e[SHUTDOWN_ENV.drainDelayMs]).toBe('0');
    expect(Number(e[SHUTDOWN_ENV.timeoutMs])).toBeLessThan(app.StopTimeout * 1000);
  });

  it('takes every secret env var from Secrets Manager (a whole secret, or a JSON field of one), never from plain environment', () => {
    const secrets = app.Secrets as { Name: string; ValueFrom: unknown }[];
    expect(secrets.map((s) => s.Name)).toEqual(expect.arrayContaining(secretVars));
    // A secret's ARN is its Ref; an RDS secret attached to its instance is referenced through the attachment.
    const secretIds = [...Object.keys(template.findResources('AWS::SecretsManager::Secret')), ...Object.keys(template.findResources('AWS::SecretsManager::SecretTargetAttachment'))];
    for (const s of secrets) {
      const text = joinToText(s.ValueFrom);
      expect(text).toMatch(/^<Ref:[A-Za-z0-9]+>(:[A-Za-z]+::)?$/);
      expect(secretIds).toContain(/^<Ref:([A-Za-z0-9]+)>/.exec(text)![1]);
    }
    const envJson = JSON.stringify(app.Environment);
    for (const name of secretVars) expect(Object.keys(env(app))).not.toContain(name);
    for (const id of secretIds) expect(envJson).not.toContain(id);
  });

  it('probes /health/live inside the container', () => {
    expect(app.HealthCheck.Command[0]).toBe('CMD');
    expect(app.HealthCheck.Command.join(' ')).toContain(`http://127.0.0.1:${providersService.port}${HEALTH_PATH.live}`);
    expect(app.PortMappings).toEqual([{ ContainerPort: providersService.port, Protocol: 'tcp' }]);
  });

  it('ships logs with awslogs in non-blocking mode with a bounded buffer', () => {
    for (const c of [app, collector]) {
      expect(c.LogConfiguration.LogDriver).toBe('awslogs');
      expect(c.LogConfiguration.Options).toMatchObject({ mode: 'non-blocking', 'max-buffer-size': '26214400b' /* 25 MiB */ });
    }
  });
});

describe('ObservedService: log groups', () => {
  it('every log group in the stack has a bounded retention', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as { Properties: { RetentionInDays?: number } }[];
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const g of groups) {
      expect(g.Properties.RetentionInDays).toBeDefined();
      expect(g.Properties.RetentionInDays).toBeLessThan(9999);
    }
  });
});

describe('ObservedService: collector sidecar', () => {
  const config = parse(joinToText(env(collector)[COLLECTOR_CONFIG_ENV])) as Record<string, any>;

  it('scrapes the app on localhost at the declared port and metrics path, as job=<service>', () => {
    const [job] = config.receivers.prometheus.config.scrape_configs;
    expect(job.job_name).toBe(providersService.name);
    expect(job.metrics_path).toBe(HEALTH_PATH.metrics);
    expect(job.static_configs).toEqual([{ targets: [`localhost:${providersService.port}`] }]);
  });

  it('remote-writes to the workspace with SigV4 for aps', () => {
    const exporter = config.exporters.prometheusremotewrite;
    expect(exporter.endpoint).toBe(`<GetAtt:${workspaceId}.PrometheusEndpoint>api/v1/remote_write`);
    expect(exporter.auth).toEqual({ authenticator: 'sigv4auth' });
    expect(config.extensions.sigv4auth).toEqual({ region: '<Ref:AWS::Region>', service: 'aps' });
    expect(config.service.extensions).toContain('sigv4auth');
    expect(config.service.pipelines.metrics).toMatchObject({ receivers: ['prometheus'], exporters: ['prometheusremotewrite'] });
  });

  it('does not stop the app when it fails, and restarts in place', () => {
    expect(collector.Essential).toBe(false);
    expect(collector.RestartPolicy).toMatchObject({ Enabled: true });
    expect(app.Essential).toBe(true);
  });
});

describe('ObservedService: IAM', () => {
  it("the task role's only permission is aps:RemoteWrite on the workspace", () => {
    const roleId = stack.getLogicalId(stack.app.taskRole.node.defaultChild as any);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    ) as any[];
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
      { Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: { 'Fn::GetAtt': [workspaceId, 'Arn'] } },
    ]);
    const role = template.toJSON().Resources[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
  });
});

describe('ObservedService: load balancer', () => {
  it('health-checks targets on /health/ready at the declared port', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: HEALTH_PATH.ready,
      Port: providersService.port,
      Matcher: { HttpCode: '200' },
      TargetType: 'ip',
    });
  });

  it('runs the tasks in private subnets with rollback on failed deployments', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
    });
  });
});
