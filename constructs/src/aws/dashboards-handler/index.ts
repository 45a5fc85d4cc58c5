/**
 * Lambda entry of the dashboards custom resource (bundled by esbuild when the package is built; `@aws-sdk/*` stays
 * external: the Lambda Node.js runtime provides the AWS SDK v3, so it is not a project dependency).
 * The only AWS part: the workspace's service-account API, through the SDK (service-account.ts holds the logic).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GrafanaDashboard } from './grafana-api';
import { DASHBOARDS_FILE, handleDashboardsEvent, type DashboardsEvent, type DashboardsResult } from './handle-event';
import { createTokenMinter, type ServiceAccountOperation, type WorkspaceRole, type WorkspaceServiceAccounts } from './service-account';

type Command = new (input: object) => object;

/** The part of `@aws-sdk/client-grafana` used: a client and the commands of SERVICE_ACCOUNT_OPERATIONS, no others. */
type GrafanaSdk = {
  GrafanaClient: new (config: object) => { send(command: object): Promise<Record<string, unknown>> };
} & { [Op in ServiceAccountOperation as `${Op}Command`]: Command };

/** What Lambda passes as the handler's second argument (the part used). */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

function sdkServiceAccounts(): WorkspaceServiceAccounts {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@aws-sdk/client-grafana') as GrafanaSdk;
  const client = new sdk.GrafanaClient({});
  return {
    async list(workspaceId) {
      const out: { id: string; name: string }[] = [];
      let nextToken: string | undefined;
      do {
        const page = (await client.send(new sdk.ListWorkspaceServiceAccountsCommand({ workspaceId, maxResults: 100, nextToken }))) as {
          serviceAccounts?: { id: string; name: string }[];
          nextToken?: string;
        };
        out.push(...(page.serviceAccounts ?? []).map(({ id, name }) => ({ id, name })));
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },
    async create(workspaceId, name, grafanaRole: WorkspaceRole) {
      const account = (await client.send(new sdk.CreateWorkspaceServiceAccountCommand({ workspaceId, name, grafanaRole }))) as { id: string };
      return account.id;
    },
    async createToken(workspaceId, serviceAccountId, name, secondsToLive) {
      const created = (await client.send(
        new sdk.CreateWorkspaceServiceAccountTokenCommand({ workspaceId, serviceAccountId, name, secondsToLive }),
      )) as { serviceAccountToken: { key: string } };
      return created.serviceAccountToken.key;
    },
    async delete(workspaceId, serviceAccountId) {
      try {
        await client.send(new sdk.DeleteWorkspaceServiceAccountCommand({ workspaceId, serviceAccountId }));
      } catch (err) {
        if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
      }
    },
  };
}

function bundledDashboards(): GrafanaDashboard[] {
  return JSON.parse(readFileSync(join(__dirname, DASHBOARDS_FILE), 'utf8')) as GrafanaDashboard[];
}

export async function handler(event: DashboardsEvent, context: LambdaContext): Promise<DashboardsResult> {
  console.log(`${event.RequestType} dashboards in Grafana workspace ${event.ResourceProperties.WorkspaceId}`);
  const log = (line: string) => console.log(line);
  // The token's lifetime comes from the invocation's deadline, i.e. from the function's timeout.
  const mintToken = createTokenMinter(sdkServiceAccounts(), { remainingMs: () => context.getRemainingTimeInMillis(), log });
  return handleDashboardsEvent(event, { dashboards: bundledDashboards(), mintToken, log });
}
