/**
 * Every synthesized CloudFormation template, linted: 0 errors.
 *
 * This stands in for cfn-lint, which cannot be installed here: it is a Python package, PyPI is not
 * reachable from this machine or from CI, and Debian (bookworm) does not package it (the npm
 * package named `cfn-lint` is an unrelated 2018 linter with an outdated spec). Instead
 * test/support/cfn-template-lint.ts checks the templates against the CloudFormation resource
 * specification aws-cdk-lib itself is generated from (`@aws-cdk/aws-service-spec`, pinned in
 * package.json), reporting each finding under the id of the cfn-lint rule it corresponds to.
 *
 * Covered (cfn-lint error rules):
 * - E1001 top-level sections; E2001/E2002 parameters have a valid Type;
 * - E3001 resource entries (Type present, only known resource attributes); E3006 the resource type
 *   exists in the specification (cfn-lint v0 reported this as E3001);
 * - E3002 every property exists for its type, nested property types and tags included;
 * - E3003 required properties are present (custom resources: ServiceToken);
 * - E3012 values have the specified type where they are literals (string, integer, number, boolean,
 *   list, map, JSON, nested property types, unions), in cfn-lint's default non-strict mode
 *   (numbers and booleans pass as strings, "true"/"false" as booleans, numeric strings as numbers);
 *   intrinsic functions are accepted where a value goes when what they give fits (a list from
 *   Fn::Split/Fn::GetAZs/Fn::Cidr or a list-typed GetAtt/parameter, a string from
 *   Fn::Join/Fn::Sub/Fn::Base64/Fn::ImportValue); both branches of Fn::If are checked;
 * - E3030 literal values are among the specification's allowed values, where it lists them;
 * - E1012 Ref names a parameter, a resource or a pseudo parameter; E1010 Fn::GetAtt names a
 *   resource and an attribute its type has; E1019 every ${name} of Fn::Sub resolves; E1011
 *   Fn::FindInMap names a mapping; the shapes of Fn::Join (E1022), Fn::Select (E1017), Fn::Split
 *   (E1018), Fn::GetAZs (E1015), Fn::Base64 (E1021), Fn::Cidr (E1024), Fn::ImportValue (E1016), Fn::If
 *   (E1028) — references are checked everywhere, inside JSON policy documents too;
 * - E3005 DependsOn names resources of the template (not the resource itself);
 * - E3035/E3036 DeletionPolicy/UpdateReplacePolicy values; E8002 every Condition used is defined;
 * - E6001/E6002/E6003 outputs: known keys, a Value, a string (a list-valued function is not), an
 *   export with a Name.
 * Not covered: regional availability of resource types (E3006 per region) and everything that
 * needs the registry schemas' JSON-schema details (patterns, string lengths, number ranges,
 * oneOf/dependentRequired relationships between properties, E3004 circular dependencies as a
 * graph), IAM policy grammar (E3510-style), value formats (ARNs, CIDRs, ...), SAM transforms,
 * and every warning (W*) and informational (I*) rule: no best-practice advice, no deprecated
 * property or runtime warnings.
 *
 * A second, independent check runs the same templates through AWS CloudFormation Validate: AWS's
 * offline engine (WebAssembly) that implements cfn-lint's rules (E/W ids of cfn-lint) against the
 * registry schemas, bundled with aws-cdk-lib and public as its `CloudFormationValidatePlugin`.
 * aws-cdk-lib runs it on every synth; cdk.json's `@aws-cdk/core:validateAgainstDefaultRules` makes
 * its errors fail `cdk synth`, without the flag they are warnings. Here it runs explicitly, under
 * either flag set and on the consumer-style stacks, with the plugin's own configuration (warnings
 * and up, CDK's list of ignored rules such as W3005), and no error or fatal finding may be left.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CloudFormationValidatePlugin, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { defineService } from '@bulwark/runtime';
import { AWS_MANAGED_RULE_GROUPS, MonitoringWorkspace, ObservedService, ServiceDashboards, prometheusWorkspaceFromId } from '@bulwark/constructs/aws';
import { buildExampleApp } from '../../../lib/example-app';
import { DEPLOYMENTS, providersService } from '../../../lib/services';
import { formatFindings, lintTemplate, specResource, type LintFinding } from '../../support/cfn-template-lint';
import { CDK_JSON_CONTEXT, appWith, type FlagSet } from './support';

type Json = any;

let validator: CloudFormationValidatePlugin | undefined;
const workDir = mkdtempSync(join(tmpdir(), 'bulwark-cfn-lint-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** AWS CloudFormation Validate's error and fatal findings of the templates (one engine for the file). */
function cloudFormationValidateErrors(app: App, templates: { stack: Stack; json: Json }[]): string[] {
  validator ??= new CloudFormationValidatePlugin();
  const stackTemplates = templates.map(({ stack, json }) => {
    const templatePath = join(workDir, `${stack.artifactId}-${Math.random().toString(36).slice(2)}.template.json`);
    writeFileSync(templatePath, JSON.stringify(json));
    return { stackConstructPath: stack.node.path, templatePath, accountId: undefined, region: undefined };
  });
  const report = validator.validate({ templatePaths: stackTemplates.map((t) => t.templatePath), stackTemplates, appConstruct: app });
  return report.violations
    .filter((v) => v.severity === 'error' || v.severity === 'fatal')
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.resourceLogicalId ?? r.constructPath ?? '?'} ${v.description}`));
}

/** Both linters find nothing in any of the stacks' templates (and no template is empty). */
function expectClean(stacks: readonly Stack[]): void {
  expect(stacks.length).toBeGreaterThan(0);
  const templates = stacks.map((stack) => ({ stack, json: Template.fromStack(stack).toJSON() as Json }));
  for (const { stack, json } of templates) {
    expect(Object.keys(json.Resources ?? {}).length).toBeGreaterThan(0);
    // The stack's name leads the message, so a failure names the template and every finding.
    expect(`${stack.stackName}:\n${formatFindings(lintTemplate(json))}`).toBe(`${stack.stackName}:\n`);
  }
  expect(cloudFormationValidateErrors(stacks[0]!.node.root as App, templates)).toEqual([]);
}

/** Imported secrets for every secret env var of the providers declaration. */
function importedSecrets(stack: Stack): Record<string, secretsmanager.ISecret> {
  return Object.fromEntries(Object.entries(providersService.env).filter(([, v]) => v.secret).map(([k]) => [k, secretsmanager.Secret.fromSecretNameV2(stack, k, `x/${k}`)]));
}

describe('cfn lint: the example app (bin/app.ts), every stack', () => {
  it.each<FlagSet>(['recommended', 'defaults'])('has no finding under the %s feature flags', (flags) => {
    expectClean(buildExampleApp(appWith(flags), DEPLOYMENTS));
  });

  it('has no finding with a certificate (cdk synth -c certificateArn=…): HTTPS, the redirect, the web ACL', () => {
    const stacks = buildExampleApp(new App({ context: { ...CDK_JSON_CONTEXT, certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc' } }), DEPLOYMENTS);
    Template.fromStack(stacks[0]!).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTPS' });
    expectClean(stacks);
  });

  it('has no finding with the secrets imported (cdk synth -c secrets=import)', () => {
    expectClean(buildExampleApp(new App({ context: { ...CDK_JSON_CONTEXT, secrets: 'import' } }), DEPLOYMENTS));
  });

  it('has no finding with a second declaration whose image comes from a registry', () => {
    const orders = defineService({
      name: 'orders-api',
      port: 9090,
      dependencies: { db: { kind: 'postgres', critical: true, env: 'ORDERS_DATABASE_URL' } },
      env: { ORDERS_DATABASE_URL: { required: true, secret: true } },
    });
    const stacks = buildExampleApp(appWith('recommended'), [...DEPLOYMENTS, { service: orders, image: { registry: 'example/orders-api:2.0.1' } }]);
    expect(stacks).toHaveLength(DEPLOYMENTS.length + 1);
    expectClean(stacks);
  });
});

describe('cfn lint: the constructs alone, in a consumer stack', () => {
  it.each<FlagSet>(['defaults', 'recommended'])('MonitoringWorkspace, with query and remote-write grants (%s flags)', (flags) => {
    const stack = new Stack(appWith(flags), 'Monitoring');
    const monitoring = new MonitoringWorkspace(stack, 'Monitoring', { services: [providersService], runbookBaseUrl: 'https://runbooks.example.com' });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    monitoring.grantQuery(role);
    monitoring.grantRemoteWrite(role);
    expectClean([stack]);
  });

  it.each<FlagSet>(['defaults', 'recommended'])('ObservedService with its own VPC, alarm topics, HTTPS and a web ACL with every managed rule group (%s flags)', (flags) => {
    const stack = new Stack(appWith(flags), 'Observed');
    new ObservedService(stack, 'Svc', {
      declaration: providersService,
      image: ecs.ContainerImage.fromRegistry('example/providers:1'),
      workspace: prometheusWorkspaceFromId(stack, 'ws-1'),
      vpc: new ec2.Vpc(stack, 'Vpc'),
      secrets: importedSecrets(stack),
      alarmTopics: { critical: new sns.Topic(stack, 'Pager'), warning: new sns.Topic(stack, 'Tickets') },
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:111111111111:certificate/abc'),
      webAcl: { rateLimit: 2000, rateLimitWindow: Duration.minutes(10), managedRuleGroups: [...AWS_MANAGED_RULE_GROUPS] },
    });
    expectClean([stack]);
  });

  it('ObservedService next to a MonitoringWorkspace (its topics), on a cluster of the consumer, HTTP (allowInsecureHttp)', () => {
    const stack = new Stack(new App(), 'ObservedMonitored');
    const monitoring = new MonitoringWorkspace(stack, 'Monitoring', { services: [providersService] });
    new ObservedService(stack, 'Svc', {
      declaration: providersService,
      image: ecs.ContainerImage.fromRegistry('example/providers:1'),
      workspace: monitoring,
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 }) }),
      secrets: importedSecrets(stack),
      allowInsecureHttp: true,
    });
    expectClean([stack]);
  });

  it('ObservedService behind an internal load balancer with the default web ACL, in a stack with a concrete region', () => {
    const stack = new Stack(appWith('recommended'), 'Internal', { env: { account: '111111111111', region: 'eu-west-1' } });
    new ObservedService(stack, 'Svc', {
      declaration: providersService,
      image: ecs.ContainerImage.fromRegistry('example/providers:1'),
      workspace: prometheusWorkspaceFromId(stack, 'ws-1'),
      vpc: new ec2.Vpc(stack, 'Vpc'),
      secrets: importedSecrets(stack),
      internetFacing: false,
      webAcl: {},
    });
    expectClean([stack]);
  });

  it('ServiceDashboards with a MonitoringWorkspace, and into an existing Grafana workspace', () => {
    const app = new App();
    const withWorkspace = new Stack(app, 'Dashboards');
    new ServiceDashboards(withWorkspace, 'Dashboards', { prometheus: new MonitoringWorkspace(withWorkspace, 'Monitoring'), services: [providersService] });
    const existing = new Stack(app, 'Existing', { env: { region: 'eu-west-1', account: '111111111111' } });
    new ServiceDashboards(existing, 'Dashboards', {
      prometheus: prometheusWorkspaceFromId(existing, 'ws-1234'),
      services: [providersService],
      existingWorkspace: { workspaceId: 'g-0123456789', grafanaVersion: '12.4' },
    });
    expectClean([withWorkspace, existing]);
  });
});

// ---------------------------------------------------------------------------------------------
// The linter itself: it catches what it claims to, and passes what is valid.

/** A small valid template: a bucket, a role that may read it, a queue, a condition and an output. */
function goodTemplate(): Json {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: { Env: { Type: 'String', Default: 'dev' }, Subnets: { Type: 'List<AWS::EC2::Subnet::Id>' } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] } },
    Resources: {
      Bucket: {
        Type: 'AWS::S3::Bucket',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BucketName: { 'Fn::Sub': 'logs-${AWS::AccountId}-${Env}-${!Literal}' },
          VersioningConfiguration: { Status: 'Enabled' },
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: 'true', IgnorePublicAcls: true, RestrictPublicBuckets: true },
          ObjectLockEnabled: { 'Fn::If': ['IsProd', true, { Ref: 'AWS::NoValue' }] },
          Tags: [{ Key: 'env', Value: { Ref: 'Env' } }],
        },
      },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          Policies: [
            {
              PolicyName: 'read',
              PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/*']] } }] },
            },
          ],
        },
      },
      Queue: { Type: 'AWS::SQS::Queue', Condition: 'NotProd', DependsOn: ['Role'], Properties: { VisibilityTimeout: '60', DelaySeconds: 5 } },
      Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'x', SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '10.0.0.0/8' }] } },
      Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: { Ref: 'Subnets' }, SecurityGroups: [{ 'Fn::GetAtt': ['Group', 'GroupId'] }] } },
      Custom: { Type: 'Custom::Thing', Properties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:f', Anything: { goes: [1] } } },
    },
    Outputs: {
      BucketArn: { Description: 'the bucket', Value: { 'Fn::GetAtt': 'Bucket.Arn' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}-bucket' } } },
      Thing: { Value: { 'Fn::GetAtt': ['Custom', 'Whatever'] }, Condition: 'IsProd' },
    },
  };
}

/** The good template changed by `edit`, linted: rule and path of every finding. */
function lintEdited(edit: (t: Json) => void): { rule: string; path: string }[] {
  const t = goodTemplate();
  edit(t);
  return lintTemplate(t).map((f: LintFinding) => ({ rule: f.rule, path: f.path }));
}

describe('the template linter', () => {
  it('loads the CloudFormation specification (resource types, their properties and attributes)', () => {
    const taskDef = specResource('AWS::ECS::TaskDefinition');
    expect(taskDef?.properties.ContainerDefinitions).toBeDefined();
    expect(Object.keys(taskDef!.attributes)).toContain('TaskDefinitionArn');
    expect(specResource('AWS::ECS::NoSuchThing')).toBeUndefined();
  });

  it('AWS CloudFormation Validate, as run here, reports an error for a misspelled property and a number where a boolean goes', () => {
    // Not validated on synth (it would print the same findings as warnings): only by the call below.
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Bad');
    const bucket = new s3.CfnBucket(stack, 'Bucket');
    bucket.addPropertyOverride('BucketNmae', 'x');
    bucket.addPropertyOverride('PublicAccessBlockConfiguration.BlockPublicAcls', 1);
    const errors = cloudFormationValidateErrors(app, [{ stack, json: Template.fromStack(stack).toJSON() }]);
    expect(errors).toEqual([expect.stringMatching(/^\S*3002 Bucket .*BucketNmae/), expect.stringMatching(/^\S*3012 Bucket .*BlockPublicAcls/)]);
  });

  it('finds nothing in a valid template (intrinsics, conditions, Fn::If with AWS::NoValue, custom resources)', () => {
    expect(formatFindings(lintTemplate(goodTemplate()))).toBe('');
  });

  it.each<[string, (t: Json) => void, { rule: string; path: string }[]]>([
    ['a misspelled property (E3002)', (t) => void (t.Resources.Bucket.Properties.BucketNmae = 'x'), [{ rule: 'E3002', path: 'Resources/Bucket/Properties/BucketNmae' }]],
    [
      'a misspelled property of a nested property type (E3002)',
      (t) => void (t.Resources.Group.Properties.SecurityGroupIngress[0].FromPot = 1),
      [{ rule: 'E3002', path: 'Resources/Group/Properties/SecurityGroupIngress/0/FromPot' }],
    ],
    ['a missing required property (E3003)', (t) => void delete t.Resources.Role.Properties.AssumeRolePolicyDocument, [{ rule: 'E3003', path: 'Resources/Role/Properties/AssumeRolePolicyDocument' }]],
    [
      'a missing required property of a nested property type (E3003)',
      (t) => void delete t.Resources.Role.Properties.Policies[0].PolicyName,
      [{ rule: 'E3003', path: 'Resources/Role/Properties/Policies/0/PolicyName' }],
    ],
    ['a custom resource without a ServiceToken (E3003)', (t) => void delete t.Resources.Custom.Properties.ServiceToken, [{ rule: 'E3003', path: 'Resources/Custom/Properties/ServiceToken' }]],
    [
      'a number where a boolean goes (E3012)',
      (t) => void (t.Resources.Bucket.Properties.PublicAccessBlockConfiguration.BlockPublicAcls = 1),
      [{ rule: 'E3012', path: 'Resources/Bucket/Properties/PublicAccessBlockConfiguration/BlockPublicAcls' }],
    ],
    ['a word where an integer goes (E3012)', (t) => void (t.Resources.Queue.Properties.DelaySeconds = 'five'), [{ rule: 'E3012', path: 'Resources/Queue/Properties/DelaySeconds' }]],
    ['an object where a list goes (E3012)', (t) => void (t.Resources.Bucket.Properties.Tags = { Key: 'a', Value: 'b' }), [{ rule: 'E3012', path: 'Resources/Bucket/Properties/Tags' }]],
    ['a list where a string goes (E3012)', (t) => void (t.Resources.Group.Properties.GroupDescription = ['x']), [{ rule: 'E3012', path: 'Resources/Group/Properties/GroupDescription' }]],
    ['a function giving a string where a list goes (E3012)', (t) => void (t.Resources.Lb.Properties.Subnets = { 'Fn::Join': [',', ['a', 'b']] }), [{ rule: 'E3012', path: 'Resources/Lb/Properties/Subnets/Fn::Join' }]],
    ['a wrong type in a branch of Fn::If (E3012)', (t) => void (t.Resources.Bucket.Properties.ObjectLockEnabled['Fn::If'][1] = 7), [{ rule: 'E3012', path: 'Resources/Bucket/Properties/ObjectLockEnabled/Fn::If/1' }]],
    ['a value the specification does not allow (E3030)', (t) => void (t.Resources.Bucket.Properties.VersioningConfiguration.Status = 'On'), [{ rule: 'E3030', path: 'Resources/Bucket/Properties/VersioningConfiguration/Status' }]],
    ['a Ref to nothing (E1012)', (t) => void (t.Resources.Bucket.Properties.Tags[0].Value = { Ref: 'Envv' }), [{ rule: 'E1012', path: 'Resources/Bucket/Properties/Tags/0/Value/Ref' }]],
    [
      'a Ref to nothing inside a policy document (E1012)',
      (t) => void (t.Resources.Role.Properties.Policies[0].PolicyDocument.Statement[0].Resource = { Ref: 'Nothing' }),
      [{ rule: 'E1012', path: 'Resources/Role/Properties/Policies/0/PolicyDocument/Statement/0/Resource/Ref' }],
    ],
    ['a GetAtt of an unknown attribute (E1010)', (t) => void (t.Outputs.BucketArn.Value = { 'Fn::GetAtt': ['Bucket', 'Arnn'] }), [{ rule: 'E1010', path: 'Outputs/BucketArn/Value/Fn::GetAtt' }]],
    ['a GetAtt of an unknown resource (E1010)', (t) => void (t.Resources.Lb.Properties.SecurityGroups[0]['Fn::GetAtt'][0] = 'Grop'), [{ rule: 'E1010', path: 'Resources/Lb/Properties/SecurityGroups/0/Fn::GetAtt' }]],
    ['a Sub of an unknown name (E1019)', (t) => void (t.Resources.Bucket.Properties.BucketName = { 'Fn::Sub': 'logs-${Envv}' }), [{ rule: 'E1019', path: 'Resources/Bucket/Properties/BucketName/Fn::Sub' }]],
    ['an unknown resource type (E3006)', (t) => void (t.Resources.Queue.Type = 'AWS::SQS::Queu'), [{ rule: 'E3006', path: 'Resources/Queue/Type' }]],
    ['an unknown resource attribute (E3001)', (t) => void (t.Resources.Queue.DependOn = 'Role'), [{ rule: 'E3001', path: 'Resources/Queue/DependOn' }]],
    ['a DependsOn of nothing (E3005)', (t) => void (t.Resources.Queue.DependsOn = ['Role', 'Rolle']), [{ rule: 'E3005', path: 'Resources/Queue/DependsOn/1' }]],
    ['an undefined condition (E8002)', (t) => void (t.Resources.Queue.Condition = 'IsStaging'), [{ rule: 'E8002', path: 'Resources/Queue/Condition' }]],
    ['an undefined condition in Fn::If (E8002)', (t) => void (t.Resources.Bucket.Properties.ObjectLockEnabled['Fn::If'][0] = 'IsStaging'), [{ rule: 'E8002', path: 'Resources/Bucket/Properties/ObjectLockEnabled/Fn::If/0' }]],
    ['an invalid DeletionPolicy (E3035)', (t) => void (t.Resources.Bucket.DeletionPolicy = 'Keep'), [{ rule: 'E3035', path: 'Resources/Bucket/DeletionPolicy' }]],
    ['an output without a Value (E6002)', (t) => void delete t.Outputs.Thing.Value, [{ rule: 'E6002', path: 'Outputs/Thing/Value' }]],
    ['an output whose value is a list (E6003)', (t) => void (t.Outputs.Thing.Value = { 'Fn::GetAZs': '' }), [{ rule: 'E6003', path: 'Outputs/Thing/Value/Fn::GetAZs' }]],
    ['an output with an unknown key (E6001)', (t) => void (t.Outputs.Thing.Descripton = 'x'), [{ rule: 'E6001', path: 'Outputs/Thing/Descripton' }]],
    ['an invalid parameter type (E2002)', (t) => void (t.Parameters.Env.Type = 'Strin'), [{ rule: 'E2002', path: 'Parameters/Env/Type' }]],
    ['an unknown top-level section (E1001)', (t) => void (t.Output = {}), [{ rule: 'E1001', path: 'Output' }]],
  ])('catches %s', (_name, edit, expected) => {
    expect(lintEdited(edit)).toEqual(expected);
  });
});
