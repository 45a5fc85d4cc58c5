import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { defineService } from '@bulwark/runtime';
import { providersInput, providersService } from '../../../lib/services/providers';
import {
  DASHBOARDS_RESOURCE_TYPE,
  GRAFANA_SCHEMA_VERSIONS,
  HANDLER_TIMEOUT,
  LAMBDA_VPC_ACTIONS,
  MonitoringWorkspace,
  ServiceDashboards,
  collectDashboards,
  prometheusWorkspaceFromId,
  type ServiceDashboardsProps,
} from '@bulwark/constructs/aws';
import { SERVICE_ACCOUNT_OPERATIONS } from '../../../constructs/src/aws/dashboards-handler/service-account';
import { formatFindings, lintTemplate } from '../../support/cfn-template-lint';
import { appWith, joinToText, nagFindings, only } from './support';

function synth(services = [providersService]) {
  const app = new App();
  const stack = new Stack(app, 'Dashboards');
  const monitoring = new MonitoringWorkspace(stack, 'Monitoring');
  const dashboards = new ServiceDashboards(stack, 'Dashboards', { prometheus: monitoring, services });
  const assembly = app.synth();
  return { stack, monitoring, dashboards, template: Template.fromStack(stack), outdir: assembly.directory };
}

// One synthesized stack shared by the assertions below.
const { stack, monitoring, dashboards, template, outdir } = synth();
const resource = only(template, DASHBOARDS_RESOURCE_TYPE).props;
const expected = collectDashboards([providersService]);

describe('ServiceDashboards', () => {
  it('creates a Grafana workspace of the default version, querying Prometheus with its own role', () => {
    const ws = only(template, 'AWS::Grafana::Workspace').props;
    expect(ws).toMatchObject({ GrafanaVersion: '10.4', PermissionType: 'CUSTOMER_MANAGED', AccountAccessType: 'CURRENT_ACCOUNT', DataSources: ['PROMETHEUS'] });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(dashboards.workspaceRole!.node.defaultChild as any) }],
      PolicyDocument: { Statement: [{ Action: ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'], Resource: { 'Fn::GetAtt': [stack.getLogicalId(monitoring.workspace), 'Arn'] } }] },
    });
  });

  it('passes the dashboards, their content hash, the schema limit and the data source to the custom resource', () => {
    expect(resource.DashboardUids).toBe(expected.map((d) => d.uid).join(','));
    expect(resource.ContentHash).toBe(createHash('sha256').update(JSON.stringify(expected)).digest('hex'));
    expect(resource.MaxSchemaVersion).toBe(String(GRAFANA_SCHEMA_VERSIONS['10.4']));
    expect(resource.DataSourceUrl).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(monitoring.workspace), 'PrometheusEndpoint'] });
    expect(resource.DataSourceIsDefault).toBe('true');
  });

  it('bundles the handler (no Docker) with exactly the generated dashboards next to it', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Handler === 'index.handler') as any;
    const assetPath = `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`;
    const bundled = JSON.parse(readFileSync(join(outdir, assetPath, 'dashboards.json'), 'utf8'));
    expect(bundled).toEqual(expected);
    const js = readFileSync(join(outdir, assetPath, 'index.js'), 'utf8');
    expect(js).toContain('require("@aws-sdk/client-grafana")');
  });

  it('lets the handler list, create and delete service accounts and create tokens of that workspace, and nothing else', () => {
    const roleId = stack.getLogicalId(dashboards.handler.role!.node.defaultChild as any);
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => p.Properties.Roles[0].Ref === roleId) as any;
    const grafanaStatements = policy.Properties.PolicyDocument.Statement.filter((s: any) => JSON.stringify(s.Action).includes('grafana:'));
    expect(grafanaStatements).toHaveLength(1);
    // Exactly the operations the handler calls (handler-bundle.test.ts: the bundle sends these and no others).
    expect(grafanaStatements[0].Action).toEqual(SERVICE_ACCOUNT_OPERATIONS.map((op) => `grafana:${op}`));
    expect(grafanaStatements[0].Action).toEqual([
      'grafana:ListWorkspaceServiceAccounts',
      'grafana:CreateWorkspaceServiceAccount',
      'grafana:CreateWorkspaceServiceAccountToken',
      'grafana:DeleteWorkspaceServiceAccount',
    ]);
    expect(JSON.stringify(grafanaStatements[0].Resource)).toContain(':/workspaces/');
    expect(JSON.stringify(policy)).not.toContain('ec2:');
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } });
    expect(JSON.stringify(template.toJSON())).not.toContain('AWSLambdaBasicExecutionRole');
  });

  it('gives the handler HANDLER_TIMEOUT, which bounds its token (the token gets what the invocation has left)', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Handler === 'index.handler') as any;
    expect(fn.Properties.Timeout).toBe(HANDLER_TIMEOUT.toSeconds());
    expect(fn.Properties.VpcConfig).toBeUndefined();
  });

  it('leaves the workspace reachable from any address by default (Grafana sign-in still required)', () => {
    expect(only(template, 'AWS::Grafana::Workspace').props.NetworkAccessControl).toBeUndefined();
  });

  it('a changed dashboard changes the content hash (so CloudFormation re-runs the upload)', () => {
    const other = defineService({ ...providersInput, objectives: { ...providersInput.objectives, latency: { thresholdMs: 250, target: 0.95 } } });
    const changed = only(synth([other]).template, DASHBOARDS_RESOURCE_TYPE).props;
    expect(changed.DashboardUids).toBe(resource.DashboardUids);
    expect(changed.ContentHash).not.toBe(resource.ContentHash);
  });

  it('uploads into an existing workspace by ID, without making its data source the default', () => {
    const s = new Stack(new App(), 'Existing', { env: { region: 'eu-west-1', account: '111111111111' } });
    const d = new ServiceDashboards(s, 'Dashboards', {
      prometheus: prometheusWorkspaceFromId(s, 'ws-1234'),
      services: [providersService],
      existingWorkspace: { workspaceId: 'g-0123456789', grafanaVersion: '12.4' },
    });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Grafana::Workspace', 0);
    expect(joinToText(s.resolve(d.grafanaUrl))).toBe('https://g-0123456789.grafana-workspace.eu-west-1.<Ref:AWS::URLSuffix>');
    const props = only(t, DASHBOARDS_RESOURCE_TYPE).props;
    expect(props).toMatchObject({ WorkspaceId: 'g-0123456789', MaxSchemaVersion: '42', DataSourceIsDefault: 'false' });
    expect(joinToText(props.DataSourceUrl)).toBe('https://aps-workspaces.eu-west-1.<Ref:AWS::URLSuffix>/workspaces/ws-1234/');
  });
});

describe('ServiceDashboards: network access control', () => {
  function synthRestricted(over: Partial<ServiceDashboardsProps> = {}) {
    // cdk.json's flags: AWS CloudFormation Validate's errors fail this synth.
    const s = new Stack(appWith('recommended'), 'Restricted', { env: { region: 'eu-west-1', account: '111111111111' } });
    const vpc = ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      privateSubnetRouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
    });
    const d = new ServiceDashboards(s, 'Dashboards', {
      prometheus: prometheusWorkspaceFromId(s, 'ws-1234'),
      services: [providersService],
      networkAccessControl: { prefixListIds: ['pl-0123456789abcdef0'], vpceIds: ['vpce-0123456789abcdef0'] },
      handlerVpc: vpc,
      ...over,
    });
    return { s, d, t: Template.fromStack(s) };
  }
  const restricted = synthRestricted();

  it('sets both lists on the workspace (an omitted one is empty: none of its kind allowed)', () => {
    expect(only(restricted.t, 'AWS::Grafana::Workspace').props.NetworkAccessControl).toEqual({
      PrefixListIds: ['pl-0123456789abcdef0'],
      VpceIds: ['vpce-0123456789abcdef0'],
    });
    const onlyEndpoints = synthRestricted({ networkAccessControl: { vpceIds: ['vpce-0123456789abcdef0'] } });
    expect(only(onlyEndpoints.t, 'AWS::Grafana::Workspace').props.NetworkAccessControl).toEqual({ PrefixListIds: [], VpceIds: ['vpce-0123456789abcdef0'] });
  });

  it('runs the handler in the VPC, with outbound HTTPS only and the VPC actions Lambda needs', () => {
    const fn = Object.values(restricted.t.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Handler === 'index.handler') as any;
    expect(fn.Properties.VpcConfig.SubnetIds).toEqual(['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1']);
    const sgId = restricted.s.getLogicalId(restricted.d.handlerSecurityGroup!.node.defaultChild as any);
    expect(fn.Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    expect(only(restricted.t, 'AWS::EC2::SecurityGroup').props.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS to the Grafana workspace and the AWS APIs', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
    const roleId = restricted.s.getLogicalId(restricted.d.handler.role!.node.defaultChild as any);
    const policy = Object.values(restricted.t.findResources('AWS::IAM::Policy')).find((p: any) => p.Properties.Roles[0].Ref === roleId) as any;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({ Effect: 'Allow', Action: [...LAMBDA_VPC_ACTIONS].sort(), Resource: '*' });
    expect(JSON.stringify(restricted.t.toJSON())).not.toContain('AWSLambdaVPCAccessExecutionRole');
  });

  it('synthesizes cdk-nag clean (the network-interface wildcard acknowledged on the handler role) and lint clean', () => {
    expect(nagFindings(restricted.d)).toEqual([]);
    expect(formatFindings(lintTemplate(restricted.t.toJSON()))).toBe('');
  });

  it.each<[string, Partial<ServiceDashboardsProps>, RegExp]>([
    ['no handlerVpc', { handlerVpc: undefined }, /props\.handlerVpc is not set but props\.networkAccessControl is: .*give a VPC/],
    ['both lists empty', { networkAccessControl: { prefixListIds: [], vpceIds: [] } }, /props\.networkAccessControl lists no prefix list and no VPC endpoint, which lets nobody reach the workspace/],
    ['a malformed prefix list id', { networkAccessControl: { prefixListIds: ['10.0.0.0/8'] } }, /props\.networkAccessControl\.prefixListIds has "10\.0\.0\.0\/8"; an ID looks like pl-/],
    ['a malformed endpoint id', { networkAccessControl: { vpceIds: ['vpc-0123'] } }, /props\.networkAccessControl\.vpceIds has "vpc-0123"; an ID looks like vpce-/],
    [
      'an existing workspace',
      { existingWorkspace: { workspaceId: 'g-0123456789', grafanaVersion: '10.4' } },
      /props\.networkAccessControl only applies to a new workspace, not with props\.existingWorkspace/,
    ],
  ])('refuses %s, naming the prop and the fix', (_, over, message) => {
    expect(() => synthRestricted(over)).toThrow(message);
  });

  it('refuses handlerVpcSubnets without handlerVpc', () => {
    const s = new Stack(new App(), 'Subnets');
    expect(
      () =>
        new ServiceDashboards(s, 'D', {
          prometheus: prometheusWorkspaceFromId(s, 'ws-1234'),
          services: [providersService],
          handlerVpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        }),
    ).toThrow(/props\.handlerVpcSubnets is set without props\.handlerVpc/);
  });
});

