import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { APP_USER } from '@bulwark/constructs/aws';
import { providersService } from '../../../lib/services';
import { IMAGE_CONTEXT_EXCLUDES, ServiceStack } from '../../../lib/service-stack';
import { acknowledgements, nagFindings, snapshotOf, stableSnapshotSerializer, synthProviders, type FlagSet } from './support';

expect.addSnapshotSerializer(stableSnapshotSerializer);

// One synth of the example app's stack per flag set, shared by every assertion.
const synths = { defaults: synthProviders({}, 'defaults'), recommended: synthProviders({}, 'recommended') };
const { template } = synths.defaults;
const ROOT = join(__dirname, '../../..');
const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/0e9a3c1b-1111-2222-3333-444455556666';

describe('ServiceStack of the providers service (the example app)', () => {
  // One snapshot: the template `cdk synth` makes, under cdk.json's (recommended) feature flags.
  it('matches the snapshot under the recommended feature flags (asset and content hashes removed)', () => {
    expect(snapshotOf(synths.recommended.stack)).toMatchSnapshot();
  });

  it.each<FlagSet>(['defaults', 'recommended'])('has no unacknowledged AwsSolutions (cdk-nag) finding under the %s feature flags', (flags) => {
    expect(nagFindings(synths[flags].app)).toEqual([]);
  });

  it.each<FlagSet>(['defaults', 'recommended'])('with a concrete account and region (access logs on), has no unacknowledged finding either (%s flags)', (flags) => {
    const regional = synthProviders({ env: { account: '111111111111', region: 'eu-west-1' } }, flags);
    regional.template.resourceCountIs('AWS::S3::Bucket', 1);
    const [lb] = Object.values(regional.template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer')) as { Properties: { LoadBalancerAttributes: unknown[] } }[];
    expect(lb.Properties.LoadBalancerAttributes).toContainEqual({ Key: 'access_logs.s3.enabled', Value: 'true' });
    expect(nagFindings(regional.app)).toEqual([]);
  });

  it.each<FlagSet>(['defaults', 'recommended'])('as deployed for real (concrete account and region, a certificate): HTTPS, the web ACL, hardened containers, no unacknowledged finding (%s flags)', (flags) => {
    const deployed = synthProviders({ env: { account: '111111111111', region: 'eu-west-1' }, certificateArn: CERTIFICATE_ARN }, flags);
    deployed.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERTIFICATE_ARN }] });
    deployed.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, DefaultActions: [Match.objectLike({ Type: 'redirect' })] });
    deployed.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    deployed.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'app', ReadonlyRootFilesystem: true, User: '1000:1000' })]),
    });
    expect(deployed.stack.app.url).toMatch(/^https:/);
    expect(nagFindings(deployed.app)).toEqual([]);
  });

  it('takes the certificate from the certificateArn context (cdk synth -c certificateArn=…) and refuses an ARN that is not one, or of another region', () => {
    const fromContext = new ServiceStack(new App({ context: { certificateArn: CERTIFICATE_ARN } }), 'FromContext', { service: providersService, image: { registry: 'example/providers:1' } });
    expect(fromContext.app.url).toMatch(/^https:/);
    expect(() => synthProviders({ certificateArn: 'arn:aws:iam::111111111111:role/x' })).toThrow(
      /ServiceStack BulwarkProviders: certificateArn is "arn:aws:iam::111111111111:role\/x"; give an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate\/<id>/,
    );
    expect(() => synthProviders({ env: { region: 'us-east-1' }, certificateArn: CERTIFICATE_ARN })).toThrow(/certificateArn is a certificate in eu-west-1, but the stack deploys to us-east-1/);
  });

  it('the flag sets make different templates (so checking both is not checking one twice)', () => {
    expect(synths.recommended.template.toJSON()).not.toEqual(synths.defaults.template.toJSON());
  });

  it.each<FlagSet>(['defaults', 'recommended'])('gives every acknowledged finding a reason a reviewer can check (%s flags)', (flags) => {
    const acks = acknowledgements(synths[flags].app);
    expect(acks.map((a) => a.rule).sort()).toEqual(
      expect.arrayContaining(['Annotation::AwsSolutions-ECS2', 'Annotation::AwsSolutions-EC23', 'Annotation::AwsSolutions-ELB2', 'Annotation::AwsSolutions-SMG4']),
    );
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(60);
  });

  it('creates a blank secret named bulwark/<service>/<VAR> for each secret env var it does not provision (the OpenAI key), no placeholder', () => {
    const named = Object.values(template.findResources('AWS::SecretsManager::Secret')).filter((s: any) => s.Properties.Name);
    const provisioned = Object.keys(synths.defaults.stack.serviceDependencies.secrets);
    const expected = Object.entries(providersService.env).filter(([k, v]) => v.secret && !provisioned.includes(k)).map(([k]) => `bulwark/providers/${k}`);
    expect(named.map((s: any) => s.Properties.Name)).toEqual(expected);
    expect(expected).toEqual(['bulwark/providers/OPENAI_API_KEY']);
    for (const s of named as any[]) expect([s.Properties.SecretString, s.Properties.GenerateSecretString]).toEqual([' ', undefined]);
  });

  it('imports the operator secrets by name instead when asked (the generated credentials stay)', () => {
    const { template: imported, stack } = synthProviders({ secrets: 'import' });
    const names = Object.values(imported.findResources('AWS::SecretsManager::Secret')).map((s: any) => s.Properties.Name);
    expect(names).toEqual([undefined, undefined]);
    expect(stack.secrets.OPENAI_API_KEY!.secretName).toBe('bulwark/providers/OPENAI_API_KEY');
  });

  it('has one rule namespace, one alert manager, one Grafana workspace and the dashboards resource', () => {
    template.resourceCountIs('AWS::APS::Workspace', 1);
    template.resourceCountIs('AWS::APS::RuleGroupsNamespace', 1);
    template.resourceCountIs('AWS::Grafana::Workspace', 1);
    template.resourceCountIs('Custom::GrafanaDashboards', 1);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
  });
});

describe('service/Dockerfile and the image context', () => {
  const dockerfile = readFileSync(join(ROOT, 'service/Dockerfile'), 'utf8');
  const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');

  it('is multi-stage, installs with npm ci (only in the build stage) and runs as the node user (uid/gid 1000, the user the task definition sets)', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^RUN npm ci /m);
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(lastStage).not.toMatch(/^RUN (npm|npx) /m);
    expect(APP_USER).toBe('1000:1000');
    expect(lastStage).toMatch(new RegExp(`^USER (node|${APP_USER})$`, 'm'));
    // Node flags between node and the bundle: service/node-flags.json (test/service/node-flags.test.ts).
    expect(lastStage).toMatch(/^CMD \["node", (?:"--[^"]+", )*"service.js"\]$/m);
  });

  it('exposes the declared port', () => {
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${providersService.port}$`, 'm'));
  });

  it('keeps node_modules, cdk.out, dist and .git out of the context', () => {
    for (const p of ['**/node_modules', '**/dist', 'cdk.out', '.git']) expect(dockerignore).toContain(p);
    for (const p of ['node_modules', 'cdk.out', 'dist', '.git']) expect(IMAGE_CONTEXT_EXCLUDES).toContain(p);
  });
});
