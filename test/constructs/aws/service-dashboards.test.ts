import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { defineService } from '@bulwark/runtime';
import { providersInput, providersService } from '../../../lib/services/providers';
import {
  DASHBOARDS_RESOURCE_TYPE,
  GRAFANA_SCHEMA_VERSIONS,
  MonitoringWorkspace,
  ServiceDashboards,
  collectDashboards,
  prometheusWorkspaceFromId,
} from '@bulwark/constructs/aws';
import { joinToText, only } from './support';

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

  it('lets the handler mint and delete service accounts and tokens of that workspace only', () => {
    const roleId = stack.getLogicalId(dashboards.handler.role!.node.defaultChild as any);
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => p.Properties.Roles[0].Ref === roleId) as any;
    const grafanaStatements = policy.Properties.PolicyDocument.Statement.filter((s: any) => JSON.stringify(s.Action).includes('grafana:'));
    expect(grafanaStatements).toHaveLength(1);
    expect(grafanaStatements[0].Action).toEqual([
      'grafana:CreateWorkspaceServiceAccount',
      'grafana:CreateWorkspaceServiceAccountToken',
      'grafana:DeleteWorkspaceServiceAccount',
      'grafana:DeleteWorkspaceServiceAccountToken',
    ]);
    expect(JSON.stringify(grafanaStatements[0].Resource)).toContain(':/workspaces/');
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } });
    expect(JSON.stringify(template.toJSON())).not.toContain('AWSLambdaBasicExecutionRole');
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
