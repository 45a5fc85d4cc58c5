/**
 * Lambda entry of the dashboards custom resource (bundled by esbuild when the package is built; `@aws-sdk/*` stays
 * external: the Lambda Node.js runtime provides the AWS SDK v3, so it is not a project dependency).
 * The only AWS part: mint a short-lived Grafana token through a throwaway workspace service account.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GrafanaDashboard } from './grafana-api';
import { DASHBOARDS_FILE, handleDashboardsEvent, type DashboardsEvent, type DashboardsResult, type MintedToken } from './handle-event';

/** Seconds the token lives: long enough for the uploads, short enough to be worthless if it leaked. */
const TOKEN_SECONDS_TO_LIVE = 900;

interface GrafanaSdk {
  GrafanaClient: new (config: object) => { send(command: object): Promise<Record<string, unknown>> };
  CreateWorkspaceServiceAccountCommand: new (input: object) => object;
  CreateWorkspaceServiceAccountTokenCommand: new (input: object) => object;
  DeleteWorkspaceServiceAccountCommand: new (input: object) => object;
}

async function mintToken(workspaceId: string): Promise<MintedToken> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@aws-sdk/client-grafana') as GrafanaSdk;
  const client = new sdk.GrafanaClient({});
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const account = (await client.send(
    new sdk.CreateWorkspaceServiceAccountCommand({ workspaceId, name: `bulwark-dashboards-${suffix}`, grafanaRole: 'EDITOR' }),
  )) as { id: string };
  const deleteAccount = () => client.send(new sdk.DeleteWorkspaceServiceAccountCommand({ workspaceId, serviceAccountId: account.id }));
  try {
    const created = (await client.send(
      new sdk.CreateWorkspaceServiceAccountTokenCommand({
        workspaceId,
        serviceAccountId: account.id,
        name: `deploy-${suffix}`,
        secondsToLive: TOKEN_SECONDS_TO_LIVE,
      }),
    )) as { serviceAccountToken: { key: string } };
    // Deleting the service account deletes its token with it.
    return { token: created.serviceAccountToken.key, revoke: async () => void (await deleteAccount()) };
  } catch (err) {
    await deleteAccount();
    throw err;
  }
}

function bundledDashboards(): GrafanaDashboard[] {
  return JSON.parse(readFileSync(join(__dirname, DASHBOARDS_FILE), 'utf8')) as GrafanaDashboard[];
}

export async function handler(event: DashboardsEvent): Promise<DashboardsResult> {
  console.log(`${event.RequestType} dashboards in Grafana workspace ${event.ResourceProperties.WorkspaceId}`);
  return handleDashboardsEvent(event, { dashboards: bundledDashboards(), mintToken, log: (line) => console.log(line) });
}
