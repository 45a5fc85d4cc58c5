/**
 * The dashboards custom resource's logic against a local node:http server that records every
 * request: it stands in for an Amazon Managed Grafana workspace (no Grafana can run here). The
 * AWS part (minting a service-account token) is injected: the test's minter stands in for
 * CreateWorkspaceServiceAccountToken and records that the token was revoked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { providersService } from '../../../lib/services';
import { collectDashboards } from '@bulwark/constructs/aws';
import {
  GrafanaApiError,
  deleteDashboards,
  forSchemaVersion,
  upsertDashboards,
} from '../../../constructs/src/aws/dashboards-handler/grafana-api';
import { handleDashboardsEvent, type DashboardsResourceProperties } from '../../../constructs/src/aws/dashboards-handler/handle-event';

interface Recorded {
  method: string;
  path: string;
  authorization?: string;
  body?: any;
}

const TOKEN = 'glsa_test-token-0123456789abcdef';

/** A fake Grafana: records requests; `respond` decides each answer (default 200 `{}`). */
class RecordingGrafana {
  readonly requests: Recorded[] = [];
  respond: (r: Recorded) => { status: number; body?: unknown } = () => ({ status: 200, body: {} });
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const r: Recorded = { method: req.method!, path: req.url!, authorization: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined };
        this.requests.push(r);
        const { status, body } = this.respond(r);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}

const grafana = new RecordingGrafana();
beforeAll(() => grafana.start());
afterAll(() => grafana.stop());
beforeEach(() => {
  grafana.requests.length = 0;
  grafana.respond = () => ({ status: 200, body: {} });
});

const dashboards = collectDashboards([providersService]);

describe('upsertDashboards', () => {
  it('posts every dashboard to /api/dashboards/db with overwrite, folder and the bearer token', async () => {
    const uids = await upsertDashboards(grafana.url, TOKEN, dashboards, { folderUid: 'bulwark' });
    expect(uids).toEqual(dashboards.map((d) => d.uid));
    expect(grafana.requests).toHaveLength(dashboards.length);
    grafana.requests.forEach((r, i) => {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/api/dashboards/db');
      expect(r.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.body).toMatchObject({ overwrite: true, folderUid: 'bulwark' });
      expect(r.body.dashboard.uid).toBe(dashboards[i].uid);
      expect(r.body.dashboard.id).toBeNull();
      expect(r.body.dashboard.panels).toEqual(dashboards[i].json.panels);
    });
  });

  it('states the workspace Grafana schemaVersion when the generated one is newer', async () => {
    expect(dashboards[0].json.schemaVersion).toBe(42);
    await upsertDashboards(grafana.url, TOKEN, dashboards.slice(0, 1), { maxSchemaVersion: 39 });
    expect(grafana.requests[0].body.dashboard.schemaVersion).toBe(39);
    expect(forSchemaVersion({ schemaVersion: 36 }, 39)).toEqual({ schemaVersion: 36 });
  });

  it('fails on a Grafana error status with a clear message that does not contain the token', async () => {
    grafana.respond = () => ({ status: 412, body: { message: `version-mismatch (token was ${TOKEN})`, status: 'version-mismatch' } });
    const err = await upsertDashboards(grafana.url, TOKEN, dashboards, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrafanaApiError);
    expect((err as GrafanaApiError).status).toBe(412);
    expect((err as Error).message).toMatch(/^Grafana POST \/api\/dashboards\/db answered HTTP 412: version-mismatch/);
    expect((err as Error).message).not.toContain(TOKEN);
    expect(grafana.requests).toHaveLength(1);
  });
});

describe('deleteDashboards', () => {
  it('deletes each dashboard by uid; an already deleted one is fine', async () => {
    grafana.respond = (r) => (r.path.endsWith(dashboards[1].uid) ? { status: 404, body: { message: 'Dashboard not found' } } : { status: 200, body: {} });
    const uids = dashboards.map((d) => d.uid);
    expect(await deleteDashboards(grafana.url, TOKEN, uids)).toEqual(uids);
    expect(grafana.requests.map((r) => `${r.method} ${r.path}`)).toEqual(uids.map((u) => `DELETE /api/dashboards/uid/${u}`));
    for (const r of grafana.requests) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('fails on a 403 without leaking the token', async () => {
    grafana.respond = () => ({ status: 403, body: { message: 'Access denied' } });
    await expect(deleteDashboards(grafana.url, TOKEN, ['a'])).rejects.toThrow('Grafana DELETE /api/dashboards/uid/a answered HTTP 403: Access denied');
  });
});

describe('handleDashboardsEvent', () => {
  const props = (over: Partial<DashboardsResourceProperties> = {}): DashboardsResourceProperties => ({
    WorkspaceId: 'g-0123456789',
    GrafanaUrl: grafana.url,
    FolderUid: 'bulwark',
    FolderTitle: 'Bulwark',
    DashboardUids: dashboards.map((d) => d.uid).join(','),
    ContentHash: 'h1',
    MaxSchemaVersion: '39',
    DataSourceUid: 'bulwark-amp',
    DataSourceName: 'AMP',
    DataSourceUrl: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/',
    DataSourceRegion: 'eu-west-1',
    DataSourceIsDefault: 'true',
    ...over,
  });
  const minter = () => {
    const calls = { minted: [] as string[], revoked: 0 };
    return { calls, mint: async (ws: string) => (calls.minted.push(ws), { token: TOKEN, revoke: async () => void calls.revoked++ }) };
  };
  const notFound = (prefix: string) => (r: Recorded) => (r.method === 'GET' && r.path.startsWith(prefix) ? { status: 404, body: { message: 'not found' } } : { status: 200, body: {} });

  it('Create: data source, folder and every dashboard, then revokes the token', async () => {
    grafana.respond = (r) => (r.method === 'GET' ? { status: 404, body: { message: 'not found' } } : { status: 200, body: {} });
    const m = minter();
    const result = await handleDashboardsEvent({ RequestType: 'Create', ResourceProperties: props() }, { dashboards, mintToken: m.mint });
    expect(result).toEqual({ PhysicalResourceId: 'grafana-dashboards/g-0123456789/bulwark', Data: { DashboardUids: props().DashboardUids } });
    expect(m.calls).toEqual({ minted: ['g-0123456789'], revoked: 1 });
    const calls = grafana.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(calls).toEqual([
      'GET /api/datasources/uid/bulwark-amp',
      'POST /api/datasources',
      'GET /api/folders/bulwark',
      'POST /api/folders',
      ...dashboards.map(() => 'POST /api/dashboards/db'),
    ]);
    expect(grafana.requests[1].body).toMatchObject({
      uid: 'bulwark-amp',
      type: 'prometheus',
      url: props().DataSourceUrl,
      isDefault: true,
      jsonData: { sigV4Auth: true, sigV4Region: 'eu-west-1' },
    });
    expect(grafana.requests[3].body).toEqual({ uid: 'bulwark', title: 'Bulwark' });
  });

  it('Update: upserts the dashboards and deletes the ones no longer generated', async () => {
    grafana.respond = (r) => (r.path.startsWith('/api/datasources/uid/') ? { status: 200, body: { id: 7 } } : r.path.startsWith('/api/folders/') ? { status: 200, body: { title: 'Bulwark' } } : { status: 200, body: {} });
    const m = minter();
    const old = props({ DashboardUids: `${props().DashboardUids},bulwark-providers-retired` });
    await handleDashboardsEvent(
      { RequestType: 'Update', PhysicalResourceId: 'grafana-dashboards/g-0123456789/bulwark', ResourceProperties: props({ ContentHash: 'h2' }), OldResourceProperties: old },
      { dashboards, mintToken: m.mint },
    );
    const calls = grafana.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toContain('PUT /api/datasources/7');
    expect(calls).not.toContain('POST /api/folders');
    expect(calls.filter((c) => c === 'POST /api/dashboards/db')).toHaveLength(dashboards.length);
    expect(calls[calls.length - 1]).toBe('DELETE /api/dashboards/uid/bulwark-providers-retired');
    expect(m.calls.revoked).toBe(1);
  });

  it('Delete: removes the dashboards, the folder when empty and the data source', async () => {
    grafana.respond = (r) => (r.path.startsWith('/api/search') ? { status: 200, body: [] } : { status: 200, body: {} });
    const m = minter();
    await handleDashboardsEvent({ RequestType: 'Delete', PhysicalResourceId: 'x', ResourceProperties: props() }, { dashboards, mintToken: m.mint });
    const calls = grafana.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(calls).toEqual([
      ...dashboards.map((d) => `DELETE /api/dashboards/uid/${d.uid}`),
      'GET /api/search',
      'DELETE /api/folders/bulwark',
      'DELETE /api/datasources/uid/bulwark-amp',
    ]);
    expect(m.calls.revoked).toBe(1);
  });

  it('revokes the token even when Grafana fails, and the error names the call, not the token', async () => {
    grafana.respond = (r) => (r.path === '/api/dashboards/db' ? { status: 500, body: { message: 'database is locked' } } : notFound('/api/')(r));
    const m = minter();
    const err = await handleDashboardsEvent({ RequestType: 'Create', ResourceProperties: props() }, { dashboards, mintToken: m.mint }).catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe('Grafana POST /api/dashboards/db answered HTTP 500: database is locked');
    expect((err as Error).message).not.toContain(TOKEN);
    expect(m.calls.revoked).toBe(1);
  });
});
