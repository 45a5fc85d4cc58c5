/**
 * The sample of constructs/aws/README.md, compiled and synthesized so it stays true. Keep the
 * code between the markers identical to the README's (the last test checks it is).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
// --- README sample start ---
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { MonitoringWorkspace, ObservedService, ServiceDashboards } from '../../../constructs/aws';
import { providersService } from '../../../lib/services';

export class MyTeamStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Alert rules generated from the declaration; alerts routed by severity to SNS.
    const monitoring = new MonitoringWorkspace(this, 'Monitoring', { services: [providersService] });
    monitoring.criticalTopic.addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));

    // The service on Fargate, with its metrics collector, secrets and bounded logs.
    const secret = (name: string) => secretsmanager.Secret.fromSecretNameV2(this, name, `providers/${name}`);
    const service = new ObservedService(this, 'Providers', {
      declaration: providersService,
      image: ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.eu-west-1.amazonaws.com/providers:1.4.2'),
      vpc: new ec2.Vpc(this, 'Vpc', { maxAzs: 2 }),
      workspace: monitoring,
      secrets: { DATABASE_URL: secret('DATABASE_URL'), REDIS_URL: secret('REDIS_URL'), OPENAI_API_KEY: secret('OPENAI_API_KEY') },
      flags: { circuitBreaker: true, startupFailOnWarning: false },
      desiredCount: 3,
      logRetention: logs.RetentionDays.THREE_MONTHS,
    });

    // Dashboards uploaded into an existing Amazon Managed Grafana workspace.
    new ServiceDashboards(this, 'Dashboards', {
      prometheus: monitoring,
      services: [providersService],
      existingWorkspace: { workspaceId: 'g-0123456789', grafanaVersion: '10.4' },
    });
    void service;
  }
}
// --- README sample end ---

describe('README sample', () => {
  const app = new App();
  const stack = new MyTeamStack(app, 'MyTeam', { env: { account: '123456789012', region: 'eu-west-1' } });
  const template = Template.fromStack(stack);

  it('synthesizes a service, its monitoring and its dashboards', () => {
    template.resourceCountIs('AWS::ECS::Service', 1);
    template.resourceCountIs('AWS::APS::RuleGroupsNamespace', 1);
    template.resourceCountIs('AWS::Grafana::Workspace', 0);
    template.resourceCountIs('Custom::GrafanaDashboards', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    // A stack with a region gets load balancer access logs.
    template.resourceCountIs('AWS::S3::Bucket', 1);
  });

  it.each(['constructs/aws/README.md', 'README.md'])('is the code %s shows', (file) => {
    const between = (text: string) => text.slice(text.indexOf('// --- README sample start ---'), text.indexOf('// --- README sample end ---'));
    const readme = readFileSync(join(__dirname, '../../..', file), 'utf8').replace(/'\.\.\/constructs\/aws'/g, "'../../../constructs/aws'").replace(/'\.\.\/lib\/services'/g, "'../../../lib/services'");
    expect(between(readme)).toContain('new ObservedService(');
    expect(between(readme)).toBe(between(readFileSync(__filename, 'utf8')));
  });
});
