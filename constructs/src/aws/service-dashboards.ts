import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, CustomResource, Duration, FileSystem, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
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
import { SERVICE_ACCOUNT_OPERATIONS } from './dashboards-handler/service-account';
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

/**
 * How long one upload may run: the handler's Lambda timeout, and so the bound of its Grafana
 * token's life (the handler gives the token what is left of the invocation, less a cleanup reserve).
 */
export const HANDLER_TIMEOUT = Duration.minutes(5);

/**
 * What a Lambda function in a VPC needs to manage its network interfaces (the EC2 actions of AWS's
 * AWSLambdaVPCAccessExecutionRole); EC2 takes no resource ARN for them.
 */
export const LAMBDA_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/**
 * Who may reach a new workspace over the network (sign-in is still required). An address is let
 * in when it is in one of the prefix lists or comes through one of the VPC endpoints.
 */
export interface GrafanaNetworkAccessControl {
  /**
   * Managed prefix lists (`pl-…`) of the addresses allowed.
   * @default - no address is allowed directly
   */
  readonly prefixListIds?: readonly string[];
  /**
   * Interface VPC endpoints (`vpce-…`) of the service `com.amazonaws.<region>.grafana-workspace`
   * through which the workspace may be reached.
   * @default - no VPC endpoint is allowed
   */
  readonly vpceIds?: readonly string[];
}

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
  /**
   * Restricts who can reach the new workspace over the network (not allowed with
   * `existingWorkspace`, whose settings are its own). The upload handler calls the workspace's
   * HTTP API too, so it needs `handlerVpc`: a VPC whose NAT addresses are in one of the prefix
   * lists, or that has one of the listed `grafana-workspace` endpoints (with private DNS).
   * @default - reachable from any address; Grafana sign-in is still required
   */
  readonly networkAccessControl?: GrafanaNetworkAccessControl;
  /**
   * Runs the upload handler in this VPC (needed with `networkAccessControl`). From the selected
   * subnets it must reach the workspace and the Amazon Managed Grafana API
   * (`grafana.<region>.amazonaws.com`: through a NAT gateway or a `grafana` interface endpoint).
   * Its security group allows outbound HTTPS only.
   * @default - outside any VPC
   */
  readonly handlerVpc?: ec2.IVpc;
  /**
   * Subnets of `handlerVpc` for the handler.
   * @default - the VPC's private subnets with egress
   */
  readonly handlerVpcSubnets?: ec2.SubnetSelection;
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
  /** The handler's security group (undefined unless `handlerVpc` is set). */
  readonly handlerSecurityGroup?: ec2.SecurityGroup;
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
        // Both lists are required once the setting is there; an empty one allows none of its kind.
        networkAccessControl: props.networkAccessControl && {
          prefixListIds: [...(props.networkAccessControl.prefixListIds ?? [])],
          vpceIds: [...(props.networkAccessControl.vpceIds ?? [])],
        },
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
    if (props.handlerVpc) {
      this.handlerSecurityGroup = new ec2.SecurityGroup(this, 'HandlerSecurityGroup', {
        vpc: props.handlerVpc,
        description: 'Grafana dashboards upload handler: outbound HTTPS only',
        allowAllOutbound: false,
      });
      this.handlerSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the Grafana workspace and the AWS APIs');
      handlerRole.addToPolicy(new iam.PolicyStatement({ actions: [...LAMBDA_VPC_ACTIONS], resources: ['*'] }));
      acknowledgeNag(
        handlerRole,
        'AwsSolutions-IAM5[Resource::*]',
        'A Lambda function in a VPC must create and delete its network interfaces, and EC2 takes no resource ARN for those actions: only the EC2 actions of AWS\'s AWSLambdaVPCAccessExecutionRole are allowed.',
      );
    }
    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Uploads the generated Grafana dashboards (Bulwark)',
      runtime: HANDLER_RUNTIME,
      handler: 'index.handler',
      code: handlerCode(payload),
      timeout: HANDLER_TIMEOUT,
      memorySize: 256,
      role: handlerRole,
      logGroup: handlerLogs,
      ...(props.handlerVpc ? { vpc: props.handlerVpc, vpcSubnets: props.handlerVpcSubnets, securityGroups: [this.handlerSecurityGroup!] } : {}),
    });
    // A throwaway Admin service account + token per run, deleted at its end (and by the next run
    // if this one is stopped first): exactly the operations the handler calls, on this workspace.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: SERVICE_ACCOUNT_OPERATIONS.map((op) => `grafana:${op}`),
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
      if (props.networkAccessControl) {
        invalidProp(this, 'networkAccessControl', 'only applies to a new workspace, not with props.existingWorkspace (set it on that workspace; props.handlerVpc lets the handler reach it)');
      }
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
    if (props.handlerVpcSubnets && !props.handlerVpc) invalidProp(this, 'handlerVpcSubnets', 'is set without props.handlerVpc; give the VPC they belong to');
    const access = props.networkAccessControl;
    if (access) {
      const lists = [
        ['prefixListIds', access.prefixListIds ?? [], /^pl-[0-9a-f]+$/, 'pl-0123456789abcdef0'],
        ['vpceIds', access.vpceIds ?? [], /^vpce-[0-9a-f]+$/, 'vpce-0123456789abcdef0'],
      ] as const;
      for (const [name, ids, pattern, example] of lists) {
        const bad = ids.find((id) => !Token.isUnresolved(id) && !pattern.test(id));
        if (bad !== undefined) invalidProp(this, `networkAccessControl.${name}`, `has "${bad}"; an ID looks like ${example}`);
      }
      if (lists.every(([, ids]) => ids.length === 0)) {
        invalidProp(this, 'networkAccessControl', 'lists no prefix list and no VPC endpoint, which lets nobody reach the workspace; list at least one of prefixListIds or vpceIds');
      }
      if (!props.handlerVpc) {
        invalidProp(
          this,
          'handlerVpc',
          'is not set but props.networkAccessControl is: outside a VPC the upload handler calls the workspace from addresses no prefix list can name; give a VPC whose NAT addresses are in a listed prefix list or that has a listed grafana-workspace endpoint',
        );
      }
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
 * The directory is named after its content, so synths of the same content share one instead of
 * each leaving a new one in the temporary directory.
 */
function handlerCode(payload: string): lambda.Code {
  const js = readFileSync(HANDLER_BUNDLE);
  const digest = createHash('sha256').update(js).update(payload).digest('hex').slice(0, 32);
  const dir = join(FileSystem.tmpdir, `bulwark-dashboards-handler-${digest}`);
  // dashboards.json is written last: when it is there, both files are complete.
  if (!existsSync(join(dir, DASHBOARDS_FILE))) {
    mkdirSync(dir, { recursive: true });
    writeAtomically(join(dir, 'index.js'), js);
    writeAtomically(join(dir, DASHBOARDS_FILE), payload);
  }
  return lambda.Code.fromAsset(dir);
}

/** Writes through a file of its own and a rename, so a synth running at the same time never reads half a file. */
function writeAtomically(path: string, content: string | Buffer): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
