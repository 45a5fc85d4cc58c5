/**
 * The dashboards custom resource's logic against local stand-ins for what cannot run here:
 *
 * - `StandInGrafana`, a node:http server in place of an Amazon Managed Grafana workspace's HTTP API.
 *   It records every request and, like Grafana, checks the caller's role first: each endpoint the
 *   handler calls needs the permission Grafana's HTTP API reference lists for it, and Grafana's
 *   default RBAC role definitions give `datasources:read|create|write|delete` to Admin only,
 *   `folders:create|write|delete` and `dashboards:create|write|delete` to Editor and Admin, and
 *   folder reads and search to every role. Without the permission Grafana answers 403 with
 *   "You'll need additional permissions to perform this action. Permissions needed: <action>";
 *   an unknown token gets 401. An endpoint it does not model answers 501, so the handler cannot
 *   call one unnoticed. What it answers past the role check is up to each test (`respond`).
 * - `StandInServiceAccounts`, in place of the workspace's service-account API
 *   (CreateWorkspaceServiceAccount & co.): accounts with a role, tokens it registers with the
 *   Grafana stand-in under that role and drops with their account, AWS's `secondsToLive` bounds.
 *   For the bundled Lambda entry, a stand-in `@aws-sdk/client-grafana` module (the Lambda runtime
 *   provides the real one) passes its commands to it in the AWS API's shapes, paginated.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providersService } from '../../../lib/services';
import { HANDLER_BUNDLE, HANDLER_TIMEOUT, collectDashboards } from '@bulwark/constructs/aws';
import {
  GrafanaApiError,
  deleteDashboards,
  forSchemaVersion,
  upsertDashboards,
  upsertFolder,
} from '../../../constructs/src/aws/dashboards-handler/grafana-api';
import { DASHBOARDS_FILE, handleDashboardsEvent, type DashboardsEvent, type DashboardsResourceProperties } from '../../../constructs/src/aws/dashboards-handler/handle-event';
import {
  CLEANUP_RESERVE_SECONDS,
  SERVICE_ACCOUNT_PREFIX,
  UPLOAD_ROLE,
  accountName,
  createTokenMinter,
  tokenSecondsToLive,
  type WorkspaceRole,
  type WorkspaceServiceAccounts,
} from '../../../constructs/src/aws/dashboards-handler/service-account';

interface Recorded {
  method: string;
  path: string;
  authorization?: string;
  body?: any;
}

const TOKEN = 'glsa_test-token-0123456789abcdef';

type GrafanaRole = 'Viewer' | 'Editor' | 'Admin';
const RANK: Record<GrafanaRole, number> = { Viewer: 0, Editor: 1, Admin: 2 };
/** The Grafana role an Amazon Managed Grafana service account of this `grafanaRole` has. */
const GRAFANA_ROLE: Record<WorkspaceRole, GrafanaRole> = { VIEWER: 'Viewer', EDITOR: 'Editor', ADMIN: 'Admin' };

/** Grafana's permission for each endpoint the handler calls, and the lowest basic role that has it by default. */
const GRAFANA_RULES: readonly { method: string; path: RegExp; permission: string; role: GrafanaRole }[] = [
  { method: 'GET', path: /^\/api\/datasources\/uid\/[^/]+$/, permission: 'datasources:read', role: 'Admin' },
  { method: 'POST', path: /^\/api\/datasources$/, permission: 'datasources:create', role: 'Admin' },
  { method: 'PUT', path: /^\/api\/datasources\/[^/]+$/, permission: 'datasources:write', role: 'Admin' },
  { method: 'DELETE', path: /^\/api\/datasources\/uid\/[^/]+$/, permission: 'datasources:delete', role: 'Admin' },
  { method: 'GET', path: /^\/api\/folders\/[^/]+$/, permission: 'folders:read', role: 'Viewer' },
  { method: 'POST', path: /^\/api\/folders$/, permission: 'folders:create', role: 'Editor' },
  { method: 'PUT', path: /^\/api\/folders\/[^/]+$/, permission: 'folders:write', role: 'Editor' },
  { method: 'DELETE', path: /^\/api\/folders\/[^/]+$/, permission: 'folders:delete', role: 'Editor' },
  { method: 'POST', path: /^\/api\/dashboards\/db$/, permission: 'any of dashboards:create, dashboards:write', role: 'Editor' },
  { method: 'DELETE', path: /^\/api\/dashboards\/uid\/[^/]+$/, permission: 'dashboards:delete', role: 'Editor' },
  { method: 'GET', path: /^\/api\/search$/, permission: 'dashboards:read', role: 'Viewer' },
];

/** Stands in for a Grafana workspace's HTTP API: role checks as Grafana makes them, then `respond` (default 200 `{}`). */
class StandInGrafana {
  readonly requests: Recorded[] = [];
  /** Tokens Grafana accepts, with the role of their service account. */
  readonly tokens = new Map<string, GrafanaRole>();
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
        const { status, body } = this.authorize(r) ?? this.respond(r);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Grafana's answer when the caller may not make this call; undefined when it may. */
  private authorize(r: Recorded): { status: number; body: unknown } | undefined {
    const role = this.tokens.get((r.authorization ?? '').replace(/^Bearer /, ''));
    if (!role) return { status: 401, body: { message: 'Invalid API key' } };
    const path = r.path.split('?')[0];
    const rule = GRAFANA_RULES.find((x) => x.method === r.method && x.path.test(path));
    if (!rule) return { status: 501, body: { message: `the Grafana stand-in does not model ${r.method} ${path}` } };
    if (RANK[role] >= RANK[rule.role]) return undefined;
    return {
      status: 403,
      body: { accessErrorId: 'ACE0000000000', message: `You'll need additional permissions to perform this action. Permissions needed: ${rule.permission}`, title: 'Access denied' },
    };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}

/** Stands in for the workspace's service-account API (Amazon Managed Grafana): accounts, their tokens in the Grafana stand-in. */
class StandInServiceAccounts implements WorkspaceServiceAccounts {
  readonly accounts = new Map<string, { name: string; role: WorkspaceRole; tokens: string[] }>();
  /** secondsToLive of every token created. */
  readonly tokenSeconds: number[] = [];
  failTokenCreation = false;
  private nextId = 1;

  constructor(private readonly grafana: StandInGrafana) {}

  /** An account made earlier (by an earlier run or someone else), without tokens. */
  seed(name: string): void {
    this.accounts.set(String(this.nextId++), { name, role: 'ADMIN', tokens: [] });
  }

  names(): string[] {
    return [...this.accounts.values()].map((a) => a.name).sort();
  }

  async list(workspaceId: string) {
    this.checkWorkspace(workspaceId);
    return [...this.accounts].map(([id, a]) => ({ id, name: a.name }));
  }

  async create(workspaceId: string, name: string, role: WorkspaceRole) {
    this.checkWorkspace(workspaceId);
    if (this.names().includes(name)) throw Object.assign(new Error(`a service account named ${name} exists`), { name: 'ConflictException' });
    const id = String(this.nextId++);
    this.accounts.set(id, { name, role, tokens: [] });
    return id;
  }

  async createToken(workspaceId: string, serviceAccountId: string, _name: string, secondsToLive: number) {
    this.checkWorkspace(workspaceId);
    if (!Number.isInteger(secondsToLive) || secondsToLive < 1 || secondsToLive > 2_592_000) {
      throw Object.assign(new Error(`secondsToLive ${secondsToLive} is not within 1..2592000`), { name: 'ValidationException' });
    }
    if (this.failTokenCreation) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const account = this.accounts.get(serviceAccountId);
    if (!account) throw Object.assign(new Error(`no service account ${serviceAccountId}`), { name: 'ResourceNotFoundException' });
    const key = `glsa_${randomBytes(16).toString('hex')}`;
    account.tokens.push(key);
    this.grafana.tokens.set(key, GRAFANA_ROLE[account.role]);
    this.tokenSeconds.push(secondsToLive);
    return key;
  }

  async delete(workspaceId: string, serviceAccountId: string) {
    this.checkWorkspace(workspaceId);
    const account = this.accounts.get(serviceAccountId);
    if (!account) return;
    for (const t of account.tokens) this.grafana.tokens.delete(t);
    this.accounts.delete(serviceAccountId);
  }

  private checkWorkspace(workspaceId: string): void {
    if (workspaceId !== 'g-0123456789') throw Object.assign(new Error(`no workspace ${workspaceId}`), { name: 'ResourceNotFoundException' });
  }
}

const grafana = new StandInGrafana();
beforeAll(() => grafana.start());
afterAll(() => grafana.stop());
beforeEach(() => {
  grafana.requests.length = 0;
  grafana.tokens.clear();
  grafana.tokens.set(TOKEN, 'Admin');
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

/** The custom resource's properties, as the construct passes them, pointed at the Grafana stand-in. */
const resourceProperties = (over: Partial<DashboardsResourceProperties> = {}): DashboardsResourceProperties => ({
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

describe('handleDashboardsEvent', () => {
  const props = resourceProperties;
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

describe('the Grafana stand-in answers as Grafana does for the caller\'s role', () => {
  const as = (role: GrafanaRole) => {
    const token = `glsa_${role.toLowerCase()}-0123456789abcdef`;
    grafana.tokens.set(token, role);
    return token;
  };
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${grafana.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { message?: string } };
  };

  it.each<GrafanaRole>(['Viewer', 'Editor'])('%s token: may neither read, create, update nor delete a data source (403)', async (role) => {
    const token = as(role);
    const answers = [
      await call(token, 'GET', '/api/datasources/uid/bulwark-amp'),
      await call(token, 'POST', '/api/datasources', { uid: 'bulwark-amp', type: 'prometheus' }),
      await call(token, 'PUT', '/api/datasources/7', { uid: 'bulwark-amp', type: 'prometheus' }),
      await call(token, 'DELETE', '/api/datasources/uid/bulwark-amp'),
    ];
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403]);
    expect(answers.map((a) => a.body.message?.replace(/^.*Permissions needed: /, ''))).toEqual([
      'datasources:read',
      'datasources:create',
      'datasources:write',
      'datasources:delete',
    ]);
    expect(answers[1].body.message).toBe("You'll need additional permissions to perform this action. Permissions needed: datasources:create");
  });

  it('an Editor token may create folders and dashboards; a Viewer token may not', async () => {
    grafana.respond = (r) => (r.method === 'GET' ? { status: 404, body: { message: 'not found' } } : { status: 200, body: {} });
    const editor = as('Editor');
    await upsertFolder(grafana.url, editor, { uid: 'bulwark', title: 'Bulwark' });
    expect(await upsertDashboards(grafana.url, editor, dashboards.slice(0, 1), { folderUid: 'bulwark' })).toEqual([dashboards[0].uid]);

    const viewer = as('Viewer');
    await expect(upsertFolder(grafana.url, viewer, { uid: 'bulwark', title: 'Bulwark' })).rejects.toThrow(
      "Grafana POST /api/folders answered HTTP 403: You'll need additional permissions to perform this action. Permissions needed: folders:create",
    );
    await expect(upsertDashboards(grafana.url, viewer, dashboards.slice(0, 1))).rejects.toMatchObject({ status: 403, path: '/api/dashboards/db' });
  });

  it('refuses an unknown token (401) and an endpoint it does not model (501)', async () => {
    expect((await call('glsa_unknown', 'GET', '/api/folders/bulwark')).status).toBe(401);
    expect((await call(TOKEN, 'GET', '/api/datasources')).status).toBe(501);
  });
});

describe('the upload\'s service account (createTokenMinter)', () => {
  const WORKSPACE = 'g-0123456789';
  const props = (): DashboardsResourceProperties => resourceProperties({ WorkspaceId: WORKSPACE });
  // A whole invocation left, as when Lambda has just started the handler.
  const fullInvocation = () => HANDLER_TIMEOUT.toMilliseconds();
  let accounts: StandInServiceAccounts;
  beforeEach(() => {
    accounts = new StandInServiceAccounts(grafana);
    // Nothing exists yet in the workspace: every GET finds nothing.
    grafana.respond = (r) => (r.method === 'GET' && !r.path.startsWith('/api/search') ? { status: 404, body: { message: 'not found' } } : { status: 200, body: r.path.startsWith('/api/search') ? [] : {} });
  });

  it(`is ${UPLOAD_ROLE} (Grafana's Admin): a Create, an Update and a Delete pass Grafana's role checks; the account is gone after each`, async () => {
    expect(UPLOAD_ROLE).toBe('ADMIN');
    const mintToken = createTokenMinter(accounts, { remainingMs: fullInvocation });
    await handleDashboardsEvent({ RequestType: 'Create', ResourceProperties: props() }, { dashboards, mintToken });
    expect(accounts.names()).toEqual([]);
    await handleDashboardsEvent(
      { RequestType: 'Update', PhysicalResourceId: 'p', ResourceProperties: { ...props(), ContentHash: 'h2' }, OldResourceProperties: props() },
      { dashboards, mintToken },
    );
    await handleDashboardsEvent({ RequestType: 'Delete', PhysicalResourceId: 'p', ResourceProperties: props() }, { dashboards, mintToken });
    expect(accounts.names()).toEqual([]);
    // Every call was one the stand-in models, and none was refused.
    expect(grafana.requests.length).toBeGreaterThan(dashboards.length * 2);
    expect(grafana.requests.filter((r) => r.method === 'POST' && r.path === '/api/datasources')).toHaveLength(2);
    // Deleting an account drops its tokens: none is left that Grafana accepts but the fixture's own.
    expect([...grafana.tokens.keys()]).toEqual([TOKEN]);
  });

  it('an EDITOR account would fail: Grafana refuses it the data source (403), and the account is still deleted', async () => {
    const log: string[] = [];
    const mintToken = createTokenMinter(accounts, { remainingMs: fullInvocation, role: 'EDITOR', log: (l) => log.push(l) });
    const err = await handleDashboardsEvent({ RequestType: 'Create', ResourceProperties: props() }, { dashboards, mintToken }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrafanaApiError);
    expect((err as GrafanaApiError).status).toBe(403);
    expect((err as Error).message).toBe(
      "Grafana GET /api/datasources/uid/bulwark-amp answered HTTP 403: You'll need additional permissions to perform this action. Permissions needed: datasources:read",
    );
    expect(log.join('\n')).toMatch(/\(EDITOR\)/);
    // The account went, and its token with it.
    expect(accounts.names()).toEqual([]);
    expect([...grafana.tokens.keys()]).toEqual([TOKEN]);
  });

  it('lives less than the Lambda timeout: the token gets what the invocation has left, less the cleanup reserve', async () => {
    const mintToken = createTokenMinter(accounts, { remainingMs: fullInvocation });
    const minted = await mintToken(WORKSPACE);
    expect(accounts.tokenSeconds).toEqual([HANDLER_TIMEOUT.toSeconds() - CLEANUP_RESERVE_SECONDS]);
    expect(accounts.tokenSeconds[0]).toBeLessThan(HANDLER_TIMEOUT.toSeconds());
    expect(tokenSecondsToLive(HANDLER_TIMEOUT.toMilliseconds())).toBe(accounts.tokenSeconds[0]);
    // An invocation that has run for a while gets a shorter token.
    expect(tokenSecondsToLive(120_500)).toBe(120 - CLEANUP_RESERVE_SECONDS);
    await minted.revoke();
    expect(accounts.names()).toEqual([]);
  });

  it('refuses to start with too little of the invocation left, before creating any account', async () => {
    const mintToken = createTokenMinter(accounts, { remainingMs: () => 40_000 });
    await expect(mintToken(WORKSPACE)).rejects.toThrow(/only 40 s are left in this invocation; the upload needs at least 75 s \(raise the handler's timeout\)/);
    expect(accounts.names()).toEqual([]);
  });

  it('removes the accounts of runs stopped before their cleanup; keeps live ones and names it did not make', async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const s = (ms: number) => Math.floor(ms / 1000);
    const expired = accountName(s(now - 60_000), 'aaaaaa');
    const running = accountName(s(now + 120_000), 'bbbbbb');
    // An account of the earlier handler (creation ms in base 36 + random, 900 s token), an hour old.
    const legacy = `${SERVICE_ACCOUNT_PREFIX}${(now - 3_600_000).toString(36)}c1d2e3`;
    const legacyRecent = `${SERVICE_ACCOUNT_PREFIX}${(now - 60_000).toString(36)}f4g5h6`;
    const chosen = [`${SERVICE_ACCOUNT_PREFIX}manual`, `${SERVICE_ACCOUNT_PREFIX}maintenanceops`, `${SERVICE_ACCOUNT_PREFIX}a1b2c3d4e5f6g7`];
    for (const name of [expired, running, legacy, legacyRecent, ...chosen, 'grafana-admin']) accounts.seed(name);
    const log: string[] = [];
    const mintToken = createTokenMinter(accounts, { remainingMs: fullInvocation, now: () => now, log: (l) => log.push(l) });
    const minted = await mintToken(WORKSPACE);
    const kept = [running, legacyRecent, ...chosen, 'grafana-admin'];
    const ours = accounts.names().find((n) => !kept.includes(n));
    expect(accounts.names()).toEqual([...kept, ours].sort());
    // Ours is named with its invocation's deadline, so a later run sweeps it only once that is past.
    expect(ours).toBe(accountName(s(now + HANDLER_TIMEOUT.toMilliseconds()), ours!.slice(-6)));
    expect(log.join('\n')).toContain(`deleted 2 service accounts left by earlier runs: ${expired}, ${legacy}`);
    expect(log.join('\n')).toContain(`kept service account ${SERVICE_ACCOUNT_PREFIX}manual: not named by this handler`);
    await minted.revoke();
    expect(accounts.names()).not.toContain(ours);
  });

  it('deletes the account when its token cannot be created', async () => {
    accounts.failTokenCreation = true;
    const mintToken = createTokenMinter(accounts, { remainingMs: fullInvocation });
    await expect(mintToken(WORKSPACE)).rejects.toThrow('Rate exceeded');
    expect(accounts.names()).toEqual([]);
  });

  it('a revoke that fails after a failed upload does not hide the upload\'s error', async () => {
    grafana.respond = (r) =>
      r.path === '/api/dashboards/db' ? { status: 500, body: { message: 'database is locked' } } : r.method === 'GET' ? { status: 404, body: { message: 'not found' } } : { status: 200, body: {} };
    const log: string[] = [];
    const mintToken = async () => ({ token: TOKEN, revoke: () => Promise.reject(new Error('AccessDeniedException: not authorized')) });
    await expect(handleDashboardsEvent({ RequestType: 'Create', ResourceProperties: props() }, { dashboards, mintToken, log: (l) => log.push(l) })).rejects.toThrow(
      'Grafana POST /api/dashboards/db answered HTTP 500: database is locked',
    );
    expect(log).toContain('could not delete the service account (the next run removes it): AccessDeniedException: not authorized');
  });

  it('a revoke that fails after a successful upload fails the run (an account left behind is noticed)', async () => {
    const mintToken = async () => ({ token: TOKEN, revoke: () => Promise.reject(new Error('AccessDeniedException: not authorized')) });
    await expect(handleDashboardsEvent({ RequestType: 'Create', ResourceProperties: props() }, { dashboards, mintToken })).rejects.toThrow(
      'AccessDeniedException: not authorized',
    );
    expect(grafana.requests.filter((r) => r.path === '/api/dashboards/db')).toHaveLength(dashboards.length);
  });
});

/**
 * Stands in for `@aws-sdk/client-grafana` (the Lambda runtime provides the real one): each command
 * goes to the test's stand-in for the workspace's service-account API.
 */
const SDK_STAND_IN = `
const api = () => globalThis.__bulwarkGrafanaApiStandIn;
const commands = {};
for (const op of ${JSON.stringify([
  'ListWorkspaceServiceAccounts',
  'CreateWorkspaceServiceAccount',
  'CreateWorkspaceServiceAccountToken',
  'DeleteWorkspaceServiceAccount',
  'DeleteWorkspaceServiceAccountToken',
])}) {
  commands[op + 'Command'] = class { constructor(input) { this.op = op; this.input = input; } };
}
class GrafanaClient { async send(command) { return api()(command.op, command.input); } }
module.exports = { GrafanaClient, ...commands };
`;

describe('the bundled Lambda entry, with a stand-in for the AWS SDK', () => {
  let dir = '';
  let accounts: StandInServiceAccounts;
  const sent: { op: string; input: any }[] = [];
  const logged: string[] = [];
  const PAGE = 2;

  /** The service-account API in the AWS API's shapes, two accounts a page. */
  const awsApi = async (op: string, input: any): Promise<unknown> => {
    sent.push({ op, input });
    switch (op) {
      case 'ListWorkspaceServiceAccounts': {
        const all = await accounts.list(input.workspaceId);
        const from = Number(input.nextToken ?? 0);
        const next = from + Math.min(PAGE, input.maxResults ?? PAGE);
        return { serviceAccounts: all.slice(from, next).map((a) => ({ ...a, grafanaRole: 'ADMIN', isDisabled: 'false' })), nextToken: next < all.length ? String(next) : undefined };
      }
      case 'CreateWorkspaceServiceAccount': {
        if (!['ADMIN', 'EDITOR', 'VIEWER'].includes(input.grafanaRole)) throw Object.assign(new Error(`grafanaRole ${input.grafanaRole} is not ADMIN|EDITOR|VIEWER`), { name: 'ValidationException' });
        return { id: await accounts.create(input.workspaceId, input.name, input.grafanaRole), name: input.name, grafanaRole: input.grafanaRole, workspaceId: input.workspaceId };
      }
      case 'CreateWorkspaceServiceAccountToken': {
        const key = await accounts.createToken(input.workspaceId, input.serviceAccountId, input.name, input.secondsToLive);
        return { serviceAccountId: input.serviceAccountId, serviceAccountToken: { id: '1', key, name: input.name }, workspaceId: input.workspaceId };
      }
      case 'DeleteWorkspaceServiceAccount': {
        if (!accounts.accounts.has(input.serviceAccountId)) throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
        await accounts.delete(input.workspaceId, input.serviceAccountId);
        return { serviceAccountId: input.serviceAccountId, workspaceId: input.workspaceId };
      }
      default:
        throw new Error(`the handler sent ${op}, which its IAM policy does not allow`);
    }
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-handler-entry-'));
    copyFileSync(HANDLER_BUNDLE, join(dir, 'index.js'));
    writeFileSync(join(dir, DASHBOARDS_FILE), JSON.stringify(dashboards));
    const sdk = join(dir, 'node_modules', '@aws-sdk', 'client-grafana');
    mkdirSync(sdk, { recursive: true });
    writeFileSync(join(sdk, 'package.json'), JSON.stringify({ name: '@aws-sdk/client-grafana', main: 'index.js' }));
    writeFileSync(join(sdk, 'index.js'), SDK_STAND_IN);
    (globalThis as Record<string, unknown>).__bulwarkGrafanaApiStandIn = awsApi;
  });
  afterAll(() => {
    delete (globalThis as Record<string, unknown>).__bulwarkGrafanaApiStandIn;
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    accounts = new StandInServiceAccounts(grafana);
    sent.length = 0;
    logged.length = 0;
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
    grafana.respond = (r) => (r.method === 'GET' ? { status: 404, body: { message: 'not found' } } : { status: 200, body: {} });
  });
  afterEach(() => jest.restoreAllMocks());

  it('sweeps leftovers across pages, uploads as ADMIN with a token inside the timeout, deletes its account, logs no token', async () => {
    const longAgo = Math.floor(Date.now() / 1000) - 3600;
    const leftovers = [1, 2, 3].map((i) => accountName(longAgo, `old00${i}`));
    for (const name of ['grafana-admin', ...leftovers]) accounts.seed(name);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(join(dir, 'index.js')) as { handler: (e: DashboardsEvent, c: { getRemainingTimeInMillis(): number }) => Promise<unknown> };
    const props = resourceProperties();
    const result = await handler({ RequestType: 'Create', ResourceProperties: props }, { getRemainingTimeInMillis: () => HANDLER_TIMEOUT.toMilliseconds() });
    expect(result).toEqual({ PhysicalResourceId: 'grafana-dashboards/g-0123456789/bulwark', Data: { DashboardUids: props.DashboardUids } });

    expect(sent.filter((c) => c.op === 'ListWorkspaceServiceAccounts')).toHaveLength(2);
    const created = sent.find((c) => c.op === 'CreateWorkspaceServiceAccount')!;
    expect(created.input).toMatchObject({ workspaceId: 'g-0123456789', grafanaRole: 'ADMIN' });
    expect(created.input.name.startsWith(SERVICE_ACCOUNT_PREFIX)).toBe(true);
    expect(sent.find((c) => c.op === 'CreateWorkspaceServiceAccountToken')!.input.secondsToLive).toBe(HANDLER_TIMEOUT.toSeconds() - CLEANUP_RESERVE_SECONDS);
    expect(accounts.names()).toEqual(['grafana-admin']);
    expect(sent.map((c) => c.op).filter((op) => op === 'DeleteWorkspaceServiceAccount')).toHaveLength(leftovers.length + 1);
    expect(grafana.requests.filter((r) => r.path === '/api/dashboards/db')).toHaveLength(dashboards.length);

    const tokens = grafana.requests.map((r) => (r.authorization ?? '').replace(/^Bearer /, ''));
    expect(logged.length).toBeGreaterThan(2);
    for (const line of logged) for (const t of new Set(tokens)) expect(line).not.toContain(t);
  });
});

