import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { providersService } from '../../../lib/services';
import { IMAGE_CONTEXT_EXCLUDES } from '../../../lib/service-stack';
import { acknowledgements, nagFindings, snapshotOf, stableSnapshotSerializer, synthProviders, type FlagSet } from './support';

expect.addSnapshotSerializer(stableSnapshotSerializer);

// One synth of the example app's stack per flag set, shared by every assertion.
const synths = { defaults: synthProviders({}, 'defaults'), recommended: synthProviders({}, 'recommended') };
const { template } = synths.defaults;
const ROOT = join(__dirname, '../../..');

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

  it('is multi-stage, installs with npm ci and runs as the node user', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^RUN npm ci /m);
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER node$/m);
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
