/**
 * bin/app.ts deploys every declaration in lib/services, one stack each, each with its own image:
 * proven here with the providers service (built from service/Dockerfile) and a second declaration
 * whose image comes from a registry.
 */
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { defineService } from '@bulwark/runtime';
import { buildExampleApp, stackId } from '../../../lib/example-app';
import { DEPLOYMENTS, SERVICES, type ServiceDeployment } from '../../../lib/services';

const orders = defineService({
  name: 'orders-api',
  port: 9090,
  dependencies: { db: { kind: 'postgres', critical: true, env: 'ORDERS_DATABASE_URL' } },
  env: { ORDERS_DATABASE_URL: { required: true, secret: true } },
});
const ORDERS_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:2.0.1';

function appImage(template: Template): unknown {
  const [def] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as { Properties: { ContainerDefinitions: { Name: string; Image: unknown }[] } }[];
  return def!.Properties.ContainerDefinitions.find((c) => c.Name === 'app')!.Image;
}

describe('the example app', () => {
  it('deploys every declaration of lib/services, one stack per service', () => {
    expect(SERVICES).toEqual(DEPLOYMENTS.map((d) => d.service));
    const stacks = buildExampleApp(new App(), DEPLOYMENTS);
    expect(stacks.map((s) => s.stackName)).toEqual(SERVICES.map((s) => stackId(s.name)));
    expect(stackId('providers')).toBe('BulwarkProviders');
    expect(stackId('orders-api')).toBe('BulwarkOrdersApi');
  });

  it('gives two declarations a stack each, each with its own image, rules and dashboards', () => {
    const deployments: ServiceDeployment[] = [...DEPLOYMENTS, { service: orders, image: { registry: ORDERS_IMAGE } }];
    const [providers, ordersStack] = buildExampleApp(new App(), deployments);
    expect([providers!.stackName, ordersStack!.stackName]).toEqual(['BulwarkProviders', 'BulwarkOrdersApi']);

    const providersTemplate = Template.fromStack(providers!);
    const ordersTemplate = Template.fromStack(ordersStack!);
    // providers: an image asset built from service/Dockerfile; orders-api: the registry image as given.
    expect(JSON.stringify(appImage(providersTemplate))).toContain('cdk-hnb659fds-container-assets');
    expect(appImage(ordersTemplate)).toBe(ORDERS_IMAGE);
    for (const [template, name, port] of [[providersTemplate, 'providers', 8080], [ordersTemplate, 'orders-api', 9090]] as const) {
      template.hasResourceProperties('AWS::APS::RuleGroupsNamespace', { Name: name });
      template.resourceCountIs('Custom::GrafanaDashboards', 1);
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: port });
    }
    ordersTemplate.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'bulwark/orders-api/ORDERS_DATABASE_URL' });
  });

  it('serves HTTPS with the certificate of `-c certificateArn=…`; without one, plain HTTP explicitly, with a warning saying how to add it', () => {
    const arn = 'arn:aws:acm:eu-west-1:111111111111:certificate/abc';
    const [secure] = buildExampleApp(new App({ context: { certificateArn: arn } }), DEPLOYMENTS);
    const secureTemplate = Template.fromStack(secure!);
    secureTemplate.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: arn }] });
    expect(Annotations.fromStack(secure!).findWarning('*', Match.stringLikeRegexp('plain HTTP'))).toEqual([]);

    const [plain] = buildExampleApp(new App(), DEPLOYMENTS);
    const plainTemplate = Template.fromStack(plain!);
    plainTemplate.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    plainTemplate.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTPS' }, 0);
    Annotations.fromStack(plain!).hasWarning(`/${plain!.stackName}`, Match.stringLikeRegexp('synthesize with -c certificateArn='));
    // Both ways, the web ACL is on.
    for (const t of [secureTemplate, plainTemplate]) t.resourceCountIs('AWS::WAFv2::WebACL', 1);
  });
});
