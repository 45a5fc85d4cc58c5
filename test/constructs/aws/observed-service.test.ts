import { ADMIN_DEFAULT_HOST, ADMIN_ENV, FLAG, FLAG_DEFAULTS, HEALTH_PATH, PORT_ENV, SHUTDOWN_ENV, TRUSTED_PROXY_HOPS_ENV } from '../../../runtime/src/internal';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { parse } from 'yaml';
import { providersService } from '../../../lib/services';
import {
  APP_CONTAINER_NAME,
  APP_USER,
  COLLECTOR_CONFIG_ENV,
  COLLECTOR_CONTAINER_NAME,
  COLLECTOR_USER,
  DEFAULT_MANAGED_RULE_GROUPS,
  DEFAULT_SSL_POLICY,
  LOAD_BALANCER_PROXY_HOPS,
  ObservedService,
  SCRATCH_PATH,
  TELEMETRY_PATH_PATTERNS,
  TELEMETRY_RULE_PRIORITY,
  prometheusWorkspaceFromId,
  type ObservedServiceProps,
} from '@bulwark/constructs/aws';
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
const logicalId = (s: Stack, c: { node: { defaultChild?: unknown } }) => s.getLogicalId(c.node.defaultChild as never);
const adminPort = providersService.admin.port;
const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/0e9a3c1b-1111-2222-3333-444455556666';

/** An ALB path pattern as a RegExp: `*` any characters, `?` one (ALB's path-pattern wildcards). */
const albPattern = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/** An ObservedService alone in a stack (standing in for a consumer's), valid props overridden by `over`. */
function observed(over: (stack: Stack) => Partial<ObservedServiceProps>) {
  const s = new Stack(new App(), 'Consumer');
  const secrets = Object.fromEntries(secretVars.map((k) => [k, secretsmanager.Secret.fromSecretNameV2(s, k, `x/${k}`)]));
  const service = new ObservedService(s, 'Svc', {
    declaration: providersService,
    image: ecs.ContainerImage.fromRegistry('example/providers:1'),
    workspace: prometheusWorkspaceFromId(s, 'ws-1'),
    vpc: new ec2.Vpc(s, 'Vpc'),
    secrets,
    ...over(s),
  });
  return { stack: s, service, template: Template.fromStack(s) };
}

describe('ObservedService: app container', () => {
  it('sets every feature flag explicitly (the runtime defaults unless told otherwise)', () => {
    const e = env(app);
    for (const [key, name] of Object.entries(FLAG)) expect(e[name]).toBe(String(FLAG_DEFAULTS[key as keyof typeof FLAG]));
    expect(e[PORT_ENV]).toBe(String(providersService.port));
  });

  it('binds the admin listener to the loopback at the declared admin port, and trusts the one proxy in front (the load balancer)', () => {
    const e = env(app);
    expect(e[ADMIN_ENV.host]).toBe('127.0.0.1');
    expect(ADMIN_DEFAULT_HOST).toBe('127.0.0.1');
    expect(e[ADMIN_ENV.port]).toBe(String(adminPort));
    expect(adminPort).not.toBe(providersService.port);
    expect(e[TRUSTED_PROXY_HOPS_ENV]).toBe('1');
    expect(LOAD_BALANCER_PROXY_HOPS).toBe(1);
    // One hop is right because the load balancer appends the address it saw (pinned, not left to the default).
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.xff_header_processing.mode', Value: 'append' }]),
    });
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

  it('probes /health/live on the admin listener inside the container', () => {
    expect(app.HealthCheck.Command[0]).toBe('CMD');
    expect(app.HealthCheck.Command.join(' ')).toContain(`http://127.0.0.1:${adminPort}${HEALTH_PATH.live}`);
  });

  it('maps the application port only: the admin port is in no port mapping of any container', () => {
    expect(app.PortMappings).toEqual([{ ContainerPort: providersService.port, Protocol: 'tcp' }]);
    for (const c of containers) expect((c.PortMappings ?? []).map((m: { ContainerPort: number }) => m.ContainerPort)).not.toContain(adminPort);
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

  it("scrapes the app's admin listener on 127.0.0.1 at the declared admin port and metrics path, as job=<service>", () => {
    const [job] = config.receivers.prometheus.config.scrape_configs;
    expect(job.job_name).toBe(providersService.name);
    expect(job.metrics_path).toBe(HEALTH_PATH.metrics);
    expect(job.static_configs).toEqual([{ targets: [`127.0.0.1:${adminPort}`] }]);
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

describe('ObservedService: hardened containers', () => {
  const volumes = taskDef.props.Volumes as { Name: string; Host?: unknown }[];

  it.each([
    ['app', app, APP_USER],
    ['collector', collector, COLLECTOR_USER],
  ])('%s: read-only root filesystem, every capability dropped, an init process, a non-root user', (_name, c, user) => {
    expect(c.ReadonlyRootFilesystem).toBe(true);
    expect(c.LinuxParameters).toEqual({ Capabilities: { Drop: ['ALL'] }, InitProcessEnabled: true });
    expect(c.User).toBe(user);
    expect(c.User).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(c.Privileged).toBeUndefined();
  });

  it('runs the app as uid/gid 1000 (the node user of the Node.js images) and the collector as its image\'s aoc user (4317)', () => {
    expect([APP_USER, COLLECTOR_USER]).toEqual(['1000:1000', '4317:4317']);
  });

  it('gives each container a writable /tmp of its own: a task volume with no host path (a bind mount on the task\'s ephemeral storage)', () => {
    const mounts = [app, collector].map((c) => c.MountPoints as { ContainerPath: string; SourceVolume: string; ReadOnly: boolean }[]);
    for (const m of mounts) expect(m).toEqual([{ ContainerPath: SCRATCH_PATH, SourceVolume: expect.any(String), ReadOnly: false }]);
    expect(SCRATCH_PATH).toBe('/tmp');
    const names = mounts.map((m) => m[0]!.SourceVolume);
    expect(new Set(names).size).toBe(2);
    expect(volumes.map((v) => v.Name).sort()).toEqual([...names].sort());
    for (const v of volumes) expect(v).toEqual({ Name: v.Name });
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
  const listenerRules = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule')) as any[];

  it('answers a fixed 404 for /metrics, /health and /health/* with the highest-priority rule, before anything reaches the app', () => {
    expect(listenerRules).toHaveLength(1);
    const rule = listenerRules[0].Properties;
    expect(rule.Priority).toBe(TELEMETRY_RULE_PRIORITY);
    expect(TELEMETRY_RULE_PRIORITY).toBe(1);
    expect(rule.Conditions).toEqual([{ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/health', '/health/*'] } }]);
    expect(rule.Actions).toEqual([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }]);
    expect(rule.ListenerArn).toEqual({ Ref: logicalId(stack, stack.app.listener) });
  });

  it('the 404 rule covers every telemetry path the runtime serves, and stays within an ALB condition\'s three values', () => {
    const patterns = TELEMETRY_PATH_PATTERNS.map(albPattern);
    for (const path of Object.values(HEALTH_PATH)) expect(patterns.some((p) => p.test(path))).toBe(true);
    for (const path of ['/', '/providers', '/providers/1', '/healthz', '/metricsx']) expect(patterns.some((p) => p.test(path))).toBe(false);
    expect(TELEMETRY_PATH_PATTERNS.length).toBeLessThanOrEqual(3);
  });

  it("admits only the application port, only from the load balancer, into the tasks' security group", () => {
    const serviceGroup = stack.getLogicalId(stack.app.connections.securityGroups[0]!.node.defaultChild as never);
    const lbGroup = stack.getLogicalId(stack.app.loadBalancer.connections.securityGroups[0]!.node.defaultChild as never);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r: any) => r.Properties)
      .filter((p: any) => JSON.stringify(p.GroupId) === JSON.stringify({ 'Fn::GetAtt': [serviceGroup, 'GroupId'] }));
    expect(ingress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: providersService.port, ToPort: providersService.port, SourceSecurityGroupId: { 'Fn::GetAtt': [lbGroup, 'GroupId'] } }),
    ]);
    expect(template.toJSON().Resources[serviceGroup].Properties.SecurityGroupIngress).toBeUndefined();
    expect(JSON.stringify(template.findResources('AWS::EC2::SecurityGroup'))).not.toContain(`"FromPort":${adminPort}`);
    expect(JSON.stringify(template.findResources('AWS::EC2::SecurityGroupIngress'))).not.toContain(`"FromPort":${adminPort}`);
  });

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

describe('ObservedService: TLS', () => {
  it('the example without a certificate: plain HTTP on 80 (explicitly allowed), with warnings saying how to add one', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    expect(stack.app.url).toMatch(/^http:\/\//);
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/BulwarkProviders/Service', Match.stringLikeRegexp('allowInsecureHttp: the internet-facing load balancer serves plain HTTP on port 80'));
    annotations.hasWarning('/BulwarkProviders', Match.stringLikeRegexp('-c certificateArn=arn:aws:acm:<region>:<account>:certificate/<id>'));
  });

  describe('with a certificate', () => {
    const tls = observed((s) => ({ certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERTIFICATE_ARN) }));
    const listeners = Object.entries(tls.template.findResources('AWS::ElasticLoadBalancingV2::Listener')) as [string, any][];
    const https = listeners.find(([, l]) => l.Properties.Port === 443)!;
    const http = listeners.find(([, l]) => l.Properties.Port === 80)!;

    it('serves HTTPS on 443 with the certificate and a TLS 1.3/1.2 post-quantum policy, forwarding to the service', () => {
      expect(https[1].Properties).toMatchObject({ Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERTIFICATE_ARN }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09' });
      expect(DEFAULT_SSL_POLICY).toBe('ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09');
      expect(https[1].Properties.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: expect.any(String) } }]);
      expect(tls.service.url).toMatch(/^https:\/\//);
    });

    it('only redirects port 80 to 443 (permanently), and answers 404 for telemetry on the HTTPS listener', () => {
      expect(listeners).toHaveLength(2);
      expect(http[1].Properties.DefaultActions).toEqual([{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }]);
      tls.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', { Priority: TELEMETRY_RULE_PRIORITY, ListenerArn: { Ref: https[0] } });
    });

    it('warns about nothing insecure', () => {
      expect(Annotations.fromStack(tls.stack).findWarning('*', Match.stringLikeRegexp('plain HTTP'))).toEqual([]);
    });

    it('takes another TLS policy when given', () => {
      const { template: t } = observed((s) => ({ certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERTIFICATE_ARN), sslPolicy: elbv2.SslPolicy.TLS13_13 }));
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06' });
    });
  });

  it('an internal load balancer needs no certificate: HTTP on 80 inside the VPC, the same 404 rule, no warning', () => {
    const internal = observed(() => ({ internetFacing: false }));
    internal.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    internal.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    internal.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', { Priority: TELEMETRY_RULE_PRIORITY });
    expect(Annotations.fromStack(internal.stack).findWarning('*', Match.stringLikeRegexp('plain HTTP'))).toEqual([]);
  });
});

describe('ObservedService: AWS WAF', () => {
  const [aclId, acl] = Object.entries(template.findResources('AWS::WAFv2::WebACL'))[0] as [string, any];
  const rules = acl.Properties.Rules as any[];

  it('the example turns it on: a REGIONAL web ACL allowing by default, associated with the load balancer', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    expect(acl.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: { Ref: logicalId(stack, stack.app.loadBalancer) }, WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] } });
    expect(stack.app.webAcl?.webAcl).toBeDefined();
  });

  it('blocks a client IP above twice the declared per-client allowance over a 5-minute window, answering 429 with Retry-After', () => {
    const { requests, windowMs } = providersService.rateLimit;
    const expected = Math.ceil((2 * requests * 300_000) / windowMs);
    expect(expected).toBe(12_000);
    const rate = rules.find((r) => r.Statement.RateBasedStatement)!;
    expect(rate.Statement.RateBasedStatement).toEqual({ AggregateKeyType: 'IP', Limit: expected, EvaluationWindowSec: 300 });
    expect(rate.Action).toEqual({ Block: { CustomResponse: { ResponseCode: 429, ResponseHeaders: [{ Name: 'Retry-After', Value: '300' }] } } });
    expect(stack.app.webAcl!.rateLimit).toBe(expected);
  });

  it('runs the default AWS managed rule groups first, without overriding their actions', () => {
    const managed = rules.filter((r) => r.Statement.ManagedRuleGroupStatement);
    expect(managed.map((r) => r.Statement.ManagedRuleGroupStatement)).toEqual(DEFAULT_MANAGED_RULE_GROUPS.map((name) => ({ VendorName: 'AWS', Name: name })));
    for (const r of managed) expect(r.OverrideAction).toEqual({ None: {} });
    expect(rules.map((r) => r.Priority)).toEqual(rules.map((_r, i) => i));
    expect(rules.at(-1)!.Statement.RateBasedStatement).toBeDefined();
  });

  it('has CloudWatch metrics and sampled requests on for the web ACL and every rule', () => {
    for (const v of [acl.Properties.VisibilityConfig, ...rules.map((r) => r.VisibilityConfig)]) {
      expect(v).toEqual({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: expect.stringMatching(/^providers-[\w-]+$/) });
    }
    expect(new Set(rules.map((r) => r.VisibilityConfig.MetricName)).size).toBe(rules.length);
  });

  it('is off unless asked for (it costs money), and takes a limit, window and rule groups', () => {
    observed(() => ({ allowInsecureHttp: true })).template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    const { template: t, service } = observed(() => ({
      allowInsecureHttp: true,
      webAcl: { rateLimit: 500, rateLimitWindow: Duration.minutes(1), managedRuleGroups: ['AWSManagedRulesCommonRuleSet'] },
    }));
    const custom = (Object.values(t.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties.Rules as any[];
    expect(custom.map((r) => r.Name)).toEqual(['AWSManagedRulesCommonRuleSet', 'RateLimitPerClientIp']);
    expect(custom[1].Statement.RateBasedStatement).toEqual({ AggregateKeyType: 'IP', Limit: 500, EvaluationWindowSec: 60 });
    expect(service.webAcl!.rateLimitWindow.toSeconds()).toBe(60);
  });
});
