import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** What a deployment needs to know about an Amazon Managed Prometheus workspace. */
export interface IPrometheusWorkspace {
  /** `ws-…` */
  readonly workspaceId: string;
  /** `arn:<partition>:aps:<region>:<account>:workspace/ws-…` */
  readonly workspaceArn: string;
  /** The workspace's Prometheus endpoint, ending with `/` (`https://aps-workspaces.<region>.amazonaws.com/workspaces/ws-…/`). */
  readonly prometheusEndpoint: string;
  /** `<prometheusEndpoint>api/v1/remote_write` */
  readonly remoteWriteUrl: string;
}

/** The remote-write path under a workspace's Prometheus endpoint. */
export const REMOTE_WRITE_PATH = 'api/v1/remote_write';

/** APS actions a dashboard data source needs to read a workspace (no writes, no admin). */
export const APS_QUERY_ACTIONS = ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'] as const;

/** An existing workspace (created elsewhere) by its ID, in the stack's region and account. */
export function prometheusWorkspaceFromId(scope: IConstruct, workspaceId: string): IPrometheusWorkspace {
  const stack = Stack.of(scope);
  const prometheusEndpoint = `https://aps-workspaces.${stack.region}.${stack.urlSuffix}/workspaces/${workspaceId}/`;
  return {
    workspaceId,
    workspaceArn: stack.formatArn({ service: 'aps', resource: 'workspace', resourceName: workspaceId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    prometheusEndpoint,
    remoteWriteUrl: `${prometheusEndpoint}${REMOTE_WRITE_PATH}`,
  };
}

/** Lets `grantee` remote-write samples to the workspace, and nothing else. */
export function grantRemoteWrite(grantee: iam.IGrantable, workspace: IPrometheusWorkspace): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: ['aps:RemoteWrite'], resourceArns: [workspace.workspaceArn] });
}

/** Lets `grantee` query the workspace (PromQL, series, labels, metadata). */
export function grantQuery(grantee: iam.IGrantable, workspace: IPrometheusWorkspace): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: [...APS_QUERY_ACTIONS], resourceArns: [workspace.workspaceArn] });
}

