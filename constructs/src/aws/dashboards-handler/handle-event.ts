/**
 * What the dashboards custom resource does on Create/Update/Delete, with the Grafana token minting
 * injected (the Lambda entry passes the AWS SDK one; tests pass their own).
 */
import {
  deleteDashboards,
  deleteDataSource,
  deleteFolderIfEmpty,
  upsertDashboards,
  upsertFolder,
  upsertPrometheusDataSource,
  type GrafanaDashboard,
  type PrometheusDataSource,
} from './grafana-api';

/** File next to the bundled handler holding the dashboards to upload (a GrafanaDashboard[] as JSON). */
export const DASHBOARDS_FILE = 'dashboards.json';

/** The custom resource's properties, as CloudFormation passes them (every value a string). */
export interface DashboardsResourceProperties {
  readonly WorkspaceId: string;
  /** `https://<workspace endpoint>` */
  readonly GrafanaUrl: string;
  readonly FolderUid: string;
  readonly FolderTitle: string;
  /** Dashboard uids in this deployment, comma-separated (on Update, the old list says what to remove). */
  readonly DashboardUids: string;
  /** sha256 of the dashboards' content: a new value is what makes CloudFormation run an Update. */
  readonly ContentHash: string;
  /** Newest schemaVersion the workspace's Grafana loads ('' = no limit). */
  readonly MaxSchemaVersion: string;
  readonly DataSourceUid: string;
  readonly DataSourceName: string;
  readonly DataSourceUrl: string;
  readonly DataSourceRegion: string;
  /** 'true' | 'false' */
  readonly DataSourceIsDefault: string;
}

/** The subset of a CloudFormation custom resource event (via the CDK Provider framework) used here. */
export type DashboardsEvent =
  | { readonly RequestType: 'Create'; readonly ResourceProperties: DashboardsResourceProperties }
  | {
      readonly RequestType: 'Update';
      readonly PhysicalResourceId: string;
      readonly ResourceProperties: DashboardsResourceProperties;
      readonly OldResourceProperties: DashboardsResourceProperties;
    }
  | { readonly RequestType: 'Delete'; readonly PhysicalResourceId: string; readonly ResourceProperties: DashboardsResourceProperties };

export interface DashboardsResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly DashboardUids: string };
}

/** A Grafana API token valid for a short time, and how to revoke it. */
export interface MintedToken {
  readonly token: string;
  revoke(): Promise<void>;
}

export type TokenMinter = (workspaceId: string) => Promise<MintedToken>;

export interface HandlerDeps {
  /** The dashboards bundled with the handler. */
  readonly dashboards: readonly GrafanaDashboard[];
  readonly mintToken: TokenMinter;
  /** Progress lines (never given the token). @default - silent */
  readonly log?: (line: string) => void;
}

export function physicalId(p: DashboardsResourceProperties): string {
  return `grafana-dashboards/${p.WorkspaceId}/${p.FolderUid}`;
}

export function splitUids(list: string | undefined): string[] {
  return (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function dataSource(p: DashboardsResourceProperties): PrometheusDataSource {
  return { uid: p.DataSourceUid, name: p.DataSourceName, url: p.DataSourceUrl, region: p.DataSourceRegion, isDefault: p.DataSourceIsDefault === 'true' };
}

/**
 * Runs `work` with a freshly minted token and always revokes it afterwards. When `work` failed,
 * its error is the one reported (a failed revoke is logged: the next run sweeps the account);
 * otherwise a failed revoke fails the run, so an account left behind does not go unnoticed.
 */
async function withToken<T>(workspaceId: string, deps: HandlerDeps, work: (token: string) => Promise<T>): Promise<T> {
  const log = deps.log ?? (() => undefined);
  const minted = await deps.mintToken(workspaceId);
  let result: T;
  try {
    result = await work(minted.token);
  } catch (err) {
    await minted.revoke().catch((revokeErr: unknown) => log(`could not delete the service account (the next run removes it): ${errorText(revokeErr)}`));
    throw err;
  }
  await minted.revoke();
  return result;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function handleDashboardsEvent(event: DashboardsEvent, deps: HandlerDeps): Promise<DashboardsResult> {
  const p = event.ResourceProperties;
  const log = deps.log ?? (() => undefined);
  const url = p.GrafanaUrl;
  const uids = deps.dashboards.map((d) => d.uid);
  const declared = splitUids(p.DashboardUids);
  if (event.RequestType !== 'Delete' && declared.join(',') !== uids.join(',')) {
    throw new Error(`the bundled dashboards (${uids.join(', ')}) do not match the resource's DashboardUids (${declared.join(', ')}); redeploy the stack`);
  }

  if (event.RequestType === 'Delete') {
    // A failed Create leaves no workspace/token to work with; nothing of ours exists then.
    if (!p.WorkspaceId) return { PhysicalResourceId: event.PhysicalResourceId, Data: { DashboardUids: '' } };
    await withToken(p.WorkspaceId, deps, async (token) => {
      await deleteDashboards(url, token, declared);
      const folderGone = await deleteFolderIfEmpty(url, token, p.FolderUid);
      await deleteDataSource(url, token, p.DataSourceUid);
      log(`deleted ${declared.length} dashboards${folderGone ? ' and their folder' : ''} and the data source`);
    });
    return { PhysicalResourceId: event.PhysicalResourceId, Data: { DashboardUids: '' } };
  }

  await withToken(p.WorkspaceId, deps, async (token) => {
    await upsertPrometheusDataSource(url, token, dataSource(p));
    await upsertFolder(url, token, { uid: p.FolderUid, title: p.FolderTitle });
    const max = p.MaxSchemaVersion ? Number(p.MaxSchemaVersion) : undefined;
    await upsertDashboards(url, token, deps.dashboards, { folderUid: p.FolderUid, maxSchemaVersion: max });
    if (event.RequestType === 'Update') {
      const removed = splitUids(event.OldResourceProperties.DashboardUids).filter((uid) => !uids.includes(uid));
      if (removed.length) await deleteDashboards(url, token, removed);
      log(`removed ${removed.length} dashboards no longer generated`);
    }
    log(`upserted ${uids.length} dashboards into folder ${p.FolderUid}`);
  });
  // Same workspace and folder keep the same physical id; a change replaces (and CloudFormation deletes the old one).
  return { PhysicalResourceId: physicalId(p), Data: { DashboardUids: uids.join(',') } };
}
