import { createHash } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, CustomResource, Duration, FileSystem, Stack } from 'aws-cdk-lib';
import * as grafana from 'aws-cdk-lib/aws-grafana';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { renderDashboards } from '@bulwark/dashboards';
import type { GrafanaDashboard } from './dashboards-handler/grafana-api';
import { DASHBOARDS_FILE, type DashboardsResourceProperties } from './dashboards-handler/handle-event';
import { invalidProp } from './errors';
import { acknowledgeNag } from './nag';
import { DEFAULT_GRAFANA_VERSION, GRAFANA_SCHEMA_VERSIONS, GRAFANA_VERSIONS, isGrafanaVersion, type GrafanaVersion } from './grafana-versions';
import { grantQuery, type IPrometheusWorkspace } from './prometheus-workspace';

/**
 * Runtime of the upload handler: the newest Node.js Lambda runtime (it ships the AWS SDK v3 the
 * handler's entry requires; the bundle targets the same Node.js 24).
 */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * The upload handler as one JavaScript file, bundled from dashboards-handler/ when this package is
 * built (`npm run build:handler`); the same path from src/aws and dist/aws.
 */
export const HANDLER_BUNDLE = join(__dirname, '..', '..', 'lambda', 'dashboards-handler', 'index.js');

export const DASHBOARDS_RESOURCE_TYPE = 'Custom::GrafanaDashboards';

/** An Amazon Managed Grafana workspace created elsewhere. */
export interface ExistingGrafanaWorkspace {
  /** `g-…` */
  readonly workspaceId: string;
  /** The Grafana version it runs: decides the dashboards' schemaVersion. */
  readonly grafanaVersion: GrafanaVersion;
  /**
   * Its IAM role, to be allowed to query the Prometheus workspace.
   * @default - not granted here: the role must already be allowed aps:QueryMetrics etc.
   */
  readonly role?: iam.IRole;
}

export interface ServiceDashboardsProps {
  /** The Prometheus workspace the dashboards query (added to Grafana as a SigV4 data source). */
  readonly prometheus: IPrometheusWorkspace;
  /** The services whose generated dashboards (dashboards/, `renderDashboards`) are uploaded. */
  readonly services: readonly ServiceDeclaration[];
  /**
   * Upload into this workspace instead of creating one.
   * @default - a new workspace
   */
  readonly existingWorkspace?: ExistingGrafanaWorkspace;
  /**
   * Grafana version of the new workspace (not allowed with `existingWorkspace`, which states its own).
   * @default DEFAULT_GRAFANA_VERSION ('10.4')
   */
  readonly grafanaVersion?: GrafanaVersion;
  /**
   * How people sign in to the new workspace. AWS_SSO needs IAM Identity Center in the account.
   * @default ['AWS_SSO']
   */
  readonly authenticationProviders?: readonly ('AWS_SSO' | 'SAML')[];
  /** @default 'Bulwark' */
  readonly folderTitle?: string;
  /** @default 'bulwark' */
  readonly folderUid?: string;
  /**
   * Uid of the Prometheus data source in Grafana.
   * @default 'bulwark-amp'
   */
  readonly dataSourceUid?: string;
  /** How long the upload handler's logs are kept (bounded). @default RetentionDays.ONE_MONTH */
  readonly handlerLogRetention?: logs.RetentionDays;
}

/**
 * An Amazon Managed Grafana workspace (or an existing one) with the Prometheus workspace as a data
 * source and every generated dashboard uploaded by a custom resource, re-run whenever a
 * dashboard's content changes and undone on stack delete.
 */
export class ServiceDashboards extends Construct {
  /** The workspace this construct created (undefined with `existingWorkspace`). */
  readonly workspace?: grafana.CfnWorkspace;
  readonly workspaceId: string;
  readonly workspaceArn: string;
  /** `https://<workspace endpoint>` */
  readonly grafanaUrl: string;
  readonly grafanaVersion: GrafanaVersion;
  /** The role the new workspace queries Prometheus with (undefined with `existingWorkspace`). */
  readonly workspaceRole?: iam.Role;
  readonly handler: lambda.Function;
  readonly dashboards: CustomResource;
  /** The uploaded dashboards' uids, in upload order. */
  readonly dashboardUids: readonly string[];

  constructor(scope: Construct, id: string, props: ServiceDashboardsProps) {
    super(scope, id);
    this.validate(props);
    const stack = Stack.of(this);
    const files = collectDashboards(props.services);
    this.dashboardUids = files.map((d) => d.uid);

    if (props.existingWorkspace) {
      const existing = props.existingWorkspace;
      this.workspaceId = existing.workspaceId;
      this.grafanaVersion = existing.grafanaVersion;
      this.grafanaUrl = `https://${existing.workspaceId}.grafana-workspace.${stack.region}.${stack.urlSuffix}`;
      if (existing.role) grantQuery(existing.role, props.prometheus);
    } else {
      this.grafanaVersion = props.grafanaVersion ?? DEFAULT_GRAFANA_VERSION;
      this.workspaceRole = new iam.Role(this, 'WorkspaceRole', {
        description: 'Amazon Managed Grafana: query the Bulwark Prometheus workspace',
        assumedBy: new iam.ServicePrincipal('grafana.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      });
      grantQuery(this.workspaceRole, props.prometheus);
      this.workspace = new grafana.CfnWorkspace(this, 'Workspace', {
        name: this.node.path.replace(/[^a-zA-Z0-9-_.~]/g, '-').slice(0, 255),
        description: `Dashboards of ${props.services.map((s) => s.name).join(', ')}`,
        accountAccessType: 'CURRENT_ACCOUNT',
        authenticationProviders: [...(props.authenticationProviders ?? ['AWS_SSO'])],
        permissionType: 'CUSTOMER_MANAGED',
        roleArn: this.workspaceRole.roleArn,
        dataSources: ['PROMETHEUS'],
        grafanaVersion: this.grafanaVersion,
      });
      this.workspaceId = this.workspace.attrId;
      this.grafanaUrl = `https://${this.workspace.attrEndpoint}`;
    }
    this.workspaceArn = stack.formatArn({
      service: 'grafana',
      resource: '/workspaces',
      resourceName: this.workspaceId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    const payload = JSON.stringify(files);
    const contentHash = sha256(payload);
    const retention = props.handlerLogRetention ?? logs.RetentionDays.ONE_MONTH;
    const handlerLogs = new logs.LogGroup(this, 'HandlerLogs', { retention });
    // Roles of their own, writing only to their own log groups (instead of the managed
    // AWSLambdaBasicExecutionRole, which allows any log group).
    const handlerRole = new iam.Role(this, 'HandlerRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    handlerLogs.grantWrite(handlerRole);
    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Uploads the generated Grafana dashboards (Bulwark)',
      runtime: HANDLER_RUNTIME,
      handler: 'index.handler',
      code: handlerCode(payload),
      timeout: Duration.minutes(5),
      memorySize: 256,
      role: handlerRole,
      logGroup: handlerLogs,
    });
    // A throwaway service account + token per deployment, removed right after the uploads.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'grafana:CreateWorkspaceServiceAccount',
          'grafana:CreateWorkspaceServiceAccountToken',
          'grafana:DeleteWorkspaceServiceAccount',
          'grafana:DeleteWorkspaceServiceAccountToken',
        ],
        resources: [this.workspaceArn],
      }),
    );
    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', { retention });
    const providerRole = new iam.Role(this, 'ProviderRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    providerLogs.grantWrite(providerRole);
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });
    acknowledgeNag(
      providerRole,
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.handler.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      'The CDK provider framework may invoke the upload handler by qualified ARN; the wildcard is `<handler ARN>:*`, i.e. versions and aliases of that one function only.',
    );

    const properties: DashboardsResourceProperties = {
      WorkspaceId: this.workspaceId,
      GrafanaUrl: this.grafanaUrl,
      FolderUid: props.folderUid ?? 'bulwark',
      FolderTitle: props.folderTitle ?? 'Bulwark',
      DashboardUids: this.dashboardUids.join(','),
      ContentHash: contentHash,
      MaxSchemaVersion: String(GRAFANA_SCHEMA_VERSIONS[this.grafanaVersion]),
      DataSourceUid: props.dataSourceUid ?? 'bulwark-amp',
      DataSourceName: 'Amazon Managed Prometheus (Bulwark)',
      DataSourceUrl: props.prometheus.prometheusEndpoint,
      DataSourceRegion: stack.region,
      // The generated dashboards' `datasource` variable picks the default Prometheus data source:
      // make ours the default in a workspace we own, never in someone else's.
      DataSourceIsDefault: String(!props.existingWorkspace),
    };
    this.dashboards = new CustomResource(this, 'Dashboards', {
      serviceToken: provider.serviceToken,
      resourceType: DASHBOARDS_RESOURCE_TYPE,
      properties: { ...properties },
    });
  }

  private validate(props: ServiceDashboardsProps): void {
    if (props.services.length === 0) invalidProp(this, 'services', 'is empty; list at least one service declaration');
    if (props.existingWorkspace) {
      if (props.grafanaVersion) invalidProp(this, 'grafanaVersion', 'cannot be set with props.existingWorkspace; set existingWorkspace.grafanaVersion to the version it runs');
      if (props.authenticationProviders) invalidProp(this, 'authenticationProviders', 'only applies to a new workspace, not with props.existingWorkspace');
      if (!/^g-[0-9a-f]{10}$/.test(props.existingWorkspace.workspaceId)) {
        invalidProp(this, 'existingWorkspace.workspaceId', `is "${props.existingWorkspace.workspaceId}"; a Grafana workspace ID looks like g-0123456789`);
      }
    }
    const version = props.existingWorkspace?.grafanaVersion ?? props.grafanaVersion;
    if (version !== undefined && !isGrafanaVersion(version)) {
      const prop = props.existingWorkspace ? 'existingWorkspace.grafanaVersion' : 'grafanaVersion';
      invalidProp(this, prop, `is "${version}"; use one of ${GRAFANA_VERSIONS.join(', ')}`);
    }
    const retention = props.handlerLogRetention;
    if (retention === logs.RetentionDays.INFINITE) invalidProp(this, 'handlerLogRetention', 'is INFINITE; logs must be bounded: pick a RetentionDays period');
    for (const [prop, uid] of [['folderUid', props.folderUid], ['dataSourceUid', props.dataSourceUid]] as const) {
      if (uid !== undefined && !/^[a-zA-Z0-9_-]{1,40}$/.test(uid)) invalidProp(this, prop, `is "${uid}"; use 1-40 letters, digits, - or _`);
    }
  }
}

/** Every generated dashboard of the services, by uid and title as the generator wrote them. */
export function collectDashboards(services: readonly ServiceDeclaration[]): GrafanaDashboard[] {
  const out: GrafanaDashboard[] = [];
  for (const service of services) {
    for (const content of Object.values(renderDashboards(service))) {
      const json = JSON.parse(content) as Record<string, unknown>;
      out.push({ uid: String(json.uid), title: String(json.title), json });
    }
  }
  return out;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The handler as an asset: its JavaScript, compiled when this package is built, next to the
 * dashboards it uploads. Synth only copies the two files; it bundles nothing and needs no Docker.
 */
function handlerCode(payload: string): lambda.Code {
  const dir = FileSystem.mkdtemp('bulwark-dashboards-handler');
  copyFileSync(HANDLER_BUNDLE, join(dir, 'index.js'));
  writeFileSync(join(dir, DASHBOARDS_FILE), payload);
  return lambda.Code.fromAsset(dir);
}
