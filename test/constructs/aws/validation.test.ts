import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { defineService } from '@bulwark/runtime';
import { providersService } from '../../../lib/services';
import {
  InvalidPropError,
  MonitoringWorkspace,
  ObservedService,
  ServiceDashboards,
  prometheusWorkspaceFromId,
  type ObservedServiceProps,
  type ServiceDashboardsProps,
} from '@bulwark/constructs/aws';

/** The env vars the declaration marks secret, in declaration order. */
const SECRET_VARS = Object.entries(providersService.env).filter(([, v]) => v.secret).map(([k]) => k);

/** Builds an ObservedService with valid props (HTTPS with a certificate), overridden by `over`; returns what it threw. */
function observedServiceError(over: (stack: Stack) => Partial<ObservedServiceProps>): Error | undefined {
  return observedService(over).error;
}

function observedService(over: (stack: Stack) => Partial<ObservedServiceProps>): { stack: Stack; error?: Error } {
  const stack = new Stack(new App(), 'S');
  const vpc = new ec2.Vpc(stack, 'Vpc');
  const secrets = Object.fromEntries(
    Object.entries(providersService.env).filter(([, v]) => v.secret).map(([k]) => [k, secretsmanager.Secret.fromSecretNameV2(stack, k, `x/${k}`)]),
  );
  try {
    new ObservedService(stack, 'Svc', {
      declaration: providersService,
      image: ecs.ContainerImage.fromRegistry('example/providers:1'),
      workspace: prometheusWorkspaceFromId(stack, 'ws-1'),
      vpc,
      secrets,
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:111111111111:certificate/abc'),
      ...over(stack),
    });
    return { stack };
  } catch (err) {
    return { stack, error: err as Error };
  }
}

describe('ObservedService refuses props that cannot work, naming the prop', () => {
  it('accepts the valid baseline', () => {
    expect(observedServiceError(() => ({}))).toBeUndefined();
  });

  it.each<[string, (s: Stack) => Partial<ObservedServiceProps>, RegExp]>([
    ['never-expiring logs', () => ({ logRetention: logs.RetentionDays.INFINITE }), /props\.logRetention is INFINITE \("never expire"\)/],
    ['a container port other than the declared one', () => ({ containerPort: 3000 }), /props\.containerPort is 3000 but the declaration "providers" listens on 8080/],
    ['no task', () => ({ desiredCount: 0 }), /props\.desiredCount is 0; use a whole number of tasks, at least 1/],
    ['a fractional task count', () => ({ desiredCount: 1.5 }), /props\.desiredCount is 1\.5/],
    ['a missing secret', () => ({ secrets: {} }), new RegExp(`props\\.secrets has no Secrets Manager secret for ${SECRET_VARS.join(', ')}: every env var "providers" declares secret must come from a secret`)],
    ['a secret as plain environment', () => ({ environment: { PGPASSWORD: 'hunter2' } }), /props\.environment\.PGPASSWORD is a secret env var of "providers"; pass it in props\.secrets/],
    ['a flag as plain environment', () => ({ environment: { ENABLE_CIRCUIT_BREAKER: 'false' } }), /props\.environment\.ENABLE_CIRCUIT_BREAKER is a feature flag; set it with props\.flags/],
    ['a scrape interval below a second', () => ({ scrapeInterval: Duration.millis(500) }), /props\.scrapeInterval is 0\.5 s/],
    ['access logs in an environment-agnostic stack', () => ({ accessLogs: true }), /props\.accessLogs needs a stack with a concrete region/],
    ['an error ratio above 1', () => ({ alarms: { errorRatio: 1.5 } }), /props\.alarms\.errorRatio is 1\.5; use a fraction of requests between 0 and 1, exclusive/],
    ['a negative error ratio', () => ({ alarms: { errorRatio: -0.05 } }), /props\.alarms\.errorRatio is -0\.05; use a fraction/],
    ['a negative unhealthy-hosts threshold', () => ({ alarms: { unhealthyHosts: -1 } }), /props\.alarms\.unhealthyHosts is -1; use a whole number from 1 to 1000/],
    ['a zero latency threshold', () => ({ alarms: { latencyThreshold: Duration.millis(0) } }), /props\.alarms\.latencyThreshold is 0 ms; use a positive duration/],
    ['a deployment error ratio of 0', () => ({ deploymentAlarms: { errorRatio: 0 } }), /props\.deploymentAlarms\.errorRatio is 0; use a fraction of requests between 0 and 1, exclusive/],
    ['a deployment error ratio of 1', () => ({ deploymentAlarms: { errorRatio: 1 } }), /props\.deploymentAlarms\.errorRatio is 1; use a fraction/],
    ['a fractional deployment unhealthy-hosts threshold', () => ({ deploymentAlarms: { unhealthyHosts: 0.5 } }), /props\.deploymentAlarms\.unhealthyHosts is 0\.5; use a whole number/],
    ['no evaluation period', () => ({ deploymentAlarms: { evaluationPeriods: 0 } }), /props\.deploymentAlarms\.evaluationPeriods is 0; use a whole number from 1 to 60/],
    ['more datapoints than periods', () => ({ deploymentAlarms: { evaluationPeriods: 3, datapointsToAlarm: 4 } }), /props\.deploymentAlarms\.datapointsToAlarm is 4, more than the 3 evaluation periods/],
    ['an empty runbook base', () => ({ runbookBaseUrl: ' ' }), /props\.runbookBaseUrl is empty/],
    ['alarm topics with the alarms off', (s) => ({ alarms: { enabled: false }, alarmTopics: { critical: new sns.Topic(s, 'C'), warning: new sns.Topic(s, 'W') } }), /props\.alarmTopics is given but props\.alarms\.enabled is false/],
    [
      'an internet-facing load balancer without a certificate or the opt-out',
      () => ({ certificate: undefined }),
      /props\.certificate is required: an internet-facing load balancer serves HTTPS only\. Give props\.certificate .*, or, for a test environment only, set props\.allowInsecureHttp: true/,
    ],
    ['the opt-out next to a certificate', () => ({ allowInsecureHttp: true }), /props\.allowInsecureHttp is true but props\.certificate is given/],
    ['a TLS policy without a certificate', () => ({ certificate: undefined, internetFacing: false, sslPolicy: elbv2.SslPolicy.TLS13_13 }), /props\.sslPolicy is given without props\.certificate/],
    ['the admin port in environment', () => ({ environment: { ADMIN_PORT: '9000' } }), /props\.environment\.ADMIN_PORT is set from the declaration; change the declared admin\.port instead/],
    ['the admin host in environment', () => ({ environment: { ADMIN_HOST: '0.0.0.0' } }), /props\.environment\.ADMIN_HOST is set by ObservedService to 127\.0\.0\.1: the admin listener \(\/metrics, \/health\) stays inside the task/],
    ['the proxy hops in environment', () => ({ environment: { TRUSTED_PROXY_HOPS: '3' } }), /props\.environment\.TRUSTED_PROXY_HOPS is set by ObservedService to 1: the load balancer is the one proxy/],
    ['the port in environment', () => ({ environment: { PORT: '3000' } }), /props\.environment\.PORT is set from the declaration; change the declared port instead/],
    ['a shutdown setting in environment', () => ({ environment: { SHUTDOWN_TIMEOUT_MS: '1' } }), /props\.environment\.SHUTDOWN_TIMEOUT_MS is set by ObservedService/],
    ['a WAF limit below WAF\'s minimum', () => ({ webAcl: { rateLimit: 5 } }), /props\.webAcl\.rateLimit is 5; use whole requests per window from 10 to 2000000000/],
    ['a fractional WAF limit', () => ({ webAcl: { rateLimit: 100.5 } }), /props\.webAcl\.rateLimit is 100\.5/],
    ['a WAF window WAF does not offer', () => ({ webAcl: { rateLimitWindow: Duration.minutes(3) } }), /props\.webAcl\.rateLimitWindow is 180 s; WAF counts over 60, 120, 300, 600 seconds only/],
    ['an unknown managed rule group', () => ({ webAcl: { managedRuleGroups: ['AWSManagedRulesBotControlRuleSet' as never] } }), /props\.webAcl\.managedRuleGroups\[0\] is "AWSManagedRulesBotControlRuleSet"; use one of AWSManagedRulesAmazonIpReputationList/],
    ['a managed rule group twice', () => ({ webAcl: { managedRuleGroups: ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesCommonRuleSet'] } }), /props\.webAcl\.managedRuleGroups lists AWSManagedRulesCommonRuleSet twice/],
  ])('%s', (_name, over, message) => {
    const err = observedServiceError(over);
    expect(err).toBeInstanceOf(InvalidPropError);
    expect(err!.message).toMatch(message);
    expect(err!.message).toContain('ObservedService at S/Svc');
  });

  it('an undeclared secret', () => {
    const err = observedServiceError((s) => ({
      secrets: {
        ...Object.fromEntries(SECRET_VARS.map((k) => [k, secretsmanager.Secret.fromSecretNameV2(s, `y${k}`, k)])),
        STRIPE_KEY: secretsmanager.Secret.fromSecretNameV2(s, 'stripe', 'stripe'),
      },
    }));
    expect(err!.message).toMatch(/props\.secrets has STRIPE_KEY, which "providers" does not declare as env vars; declare them/);
  });

  describe('secrets from JSON fields ({ secret, field })', () => {
    /** Every secret var from one JSON secret's field of the same name, plus `extra`. */
    const fromFields = (s: Stack, extra: Record<string, unknown> = {}) => {
      const json = secretsmanager.Secret.fromSecretNameV2(s, 'Json', 'x/json');
      return { secrets: { ...Object.fromEntries(SECRET_VARS.map((k) => [k, { secret: json, field: k }])), ...extra } as ObservedServiceProps['secrets'] };
    };

    it('accepts a field of a secret for a secret var, and for a declared non-secret var (PGUSER from the same secret)', () => {
      expect(observedServiceError((s) => fromFields(s))).toBeUndefined();
      expect(observedServiceError((s) => fromFields(s, { PGUSER: { secret: secretsmanager.Secret.fromSecretNameV2(s, 'Db', 'x/db'), field: 'username' } }))).toBeUndefined();
    });

    it.each<[string, (s: Stack) => Partial<ObservedServiceProps>, RegExp]>([
      ['an empty field', (s) => fromFields(s, { PGPASSWORD: { secret: secretsmanager.Secret.fromSecretNameV2(s, 'Db', 'x/db'), field: '' } }), /props\.secrets\.PGPASSWORD\.field is ""; name the JSON key of the secret's value to inject/],
      ['a field with a colon (ECS reads ARN:field:stage:version)', (s) => fromFields(s, { PGPASSWORD: { secret: secretsmanager.Secret.fromSecretNameV2(s, 'Db', 'x/db'), field: 'a:b' } }), /props\.secrets\.PGPASSWORD\.field is "a:b"/],
      ['a field of something that is not a secret', (s) => fromFields(s, { PGPASSWORD: { secret: { name: 'not a secret' } as never, field: 'password' } }), /props\.secrets\.PGPASSWORD\.secret is not a Secrets Manager secret/],
      ['a value that is neither', (s) => fromFields(s, { PGPASSWORD: 'hunter2' as never }), /props\.secrets\.PGPASSWORD is neither a Secrets Manager secret \(ISecret\) nor \{ secret, field \}/],
      ['a variable given both as environment and from a secret', (s) => ({ ...fromFields(s, { PGUSER: { secret: secretsmanager.Secret.fromSecretNameV2(s, 'Db', 'x/db'), field: 'username' } }), environment: { PGUSER: 'app' } }), /props\.environment\.PGUSER is also given in props\.secrets; give each variable once/],
    ])('refuses %s', (_name, over, message) => {
      const err = observedServiceError(over);
      expect(err).toBeInstanceOf(InvalidPropError);
      expect(err!.message).toMatch(message);
      expect(err!.message).not.toContain('hunter2');
    });
  });

  it('an internal load balancer without a certificate, and an internet-facing one with the explicit opt-out (warned about)', () => {
    expect(observedServiceError(() => ({ certificate: undefined, internetFacing: false }))).toBeUndefined();
    const { stack, error } = observedService(() => ({ certificate: undefined, allowInsecureHttp: true }));
    expect(error).toBeUndefined();
    Annotations.fromStack(stack).hasWarning('/S/Svc', Match.stringLikeRegexp('for test environments only\\)\\. Give props\\.certificate'));
  });

  it("a WAF without a limit for a service whose own rate limit is off, and a declared port the collector's health check takes", () => {
    const unlimited = defineService({ name: 'unlimited', port: 8080, rateLimit: { requests: 0 } });
    const build = (declaration: typeof unlimited, webAcl?: ObservedServiceProps['webAcl']) => observedServiceError(() => ({ declaration, secrets: {}, webAcl }));
    expect(build(unlimited, {})!.message).toMatch(/props\.webAcl\.rateLimit is required: "unlimited" switches its own rate limit off \(rateLimit\.requests: 0\)/);
    expect(build(unlimited, { rateLimit: 1000 })).toBeUndefined();
    const clash = defineService({ name: 'clash', port: 8080, admin: { port: 13133 } });
    expect(build(clash)!.message).toMatch(/props\.declaration "clash" declares admin\.port 13133, the port the collector sidecar's health check listens on/);
  });

  it('neither a VPC nor a cluster', () => {
    expect(observedServiceError(() => ({ vpc: undefined }))!.message).toMatch(/props\.vpc or props\.cluster is required/);
  });
});

describe('ServiceDashboards and MonitoringWorkspace refuse bad props', () => {
  function dashboardsError(over: Partial<ServiceDashboardsProps>): Error {
    const stack = new Stack(new App(), 'D');
    try {
      new ServiceDashboards(stack, 'Dash', { prometheus: prometheusWorkspaceFromId(stack, 'ws-1'), services: [providersService], ...over });
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected a validation error');
  }

  it.each<[string, Partial<ServiceDashboardsProps>, RegExp]>([
    ['no service', { services: [] }, /props\.services is empty/],
    ['an unknown Grafana version', { grafanaVersion: '8.4' as never }, /props\.grafanaVersion is "8\.4"; use one of 9\.4, 10\.4, 12\.4/],
    ['a version next to an existing workspace', { grafanaVersion: '10.4', existingWorkspace: { workspaceId: 'g-0123456789', grafanaVersion: '10.4' } }, /props\.grafanaVersion cannot be set with props\.existingWorkspace/],
    ['a malformed workspace ID', { existingWorkspace: { workspaceId: 'grafana-1', grafanaVersion: '10.4' } }, /props\.existingWorkspace\.workspaceId is "grafana-1"/],
    ['never-expiring handler logs', { handlerLogRetention: logs.RetentionDays.INFINITE }, /props\.handlerLogRetention is INFINITE/],
    ['a folder uid Grafana refuses', { folderUid: 'my folder' }, /props\.folderUid is "my folder"/],
  ])('%s', (_name, over, message) => {
    expect(dashboardsError(over).message).toMatch(message);
  });

  it('MonitoringWorkspace: a service listed twice', () => {
    const stack = new Stack(new App(), 'M');
    expect(() => new MonitoringWorkspace(stack, 'Mon', { services: [providersService, providersService] })).toThrow(/props\.services lists "providers" twice/);
  });
});
