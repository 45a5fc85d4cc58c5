// The dashboards upload handler, bundled from src/aws/dashboards-handler by `npm run build:handler`. Do not edit by hand.
"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// src/aws/dashboards-handler/index.ts
var index_exports = {};
__export(index_exports, {
  handler: () => handler
});
module.exports = __toCommonJS(index_exports);
var import_node_fs = require("node:fs");
var import_node_path = require("node:path");

// src/aws/dashboards-handler/grafana-api.ts
var GrafanaApiError = class extends Error {
  constructor(method, path, status, detail) {
    super(`Grafana ${method} ${path} answered HTTP ${status}${detail ? `: ${detail}` : ""}`);
    this.method = method;
    this.path = path;
    this.status = status;
    this.name = "GrafanaApiError";
  }
  method;
  path;
  status;
};
var MAX_DETAIL_CHARS = 300;
async function call(grafanaUrl, token, method, path, options = {}) {
  const url = `${grafanaUrl.replace(/\/+$/, "")}${path}`;
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: "application/json",
        ...options.body === void 0 ? {} : { "Content-Type": "application/json" }
      },
      body: options.body === void 0 ? void 0 : JSON.stringify(options.body),
      signal: AbortSignal.timeout(3e4)
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Grafana ${method} ${path} failed: ${redact(reason, token)}`);
  }
  const text = await res.text();
  if (!(options.ok ?? [200]).includes(res.status)) {
    throw new GrafanaApiError(method, path, res.status, redact(errorDetail(text), token));
  }
  return { status: res.status, body: text ? safeJson(text) : void 0 };
}
function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
function errorDetail(text) {
  const parsed = safeJson(text);
  const message = parsed && typeof parsed === "object" && "message" in parsed ? String(parsed.message) : text;
  return message.length > MAX_DETAIL_CHARS ? `${message.slice(0, MAX_DETAIL_CHARS)}\u2026` : message;
}
function redact(text, token) {
  return token ? text.split(token).join("[redacted]") : text;
}
var seg = (s) => encodeURIComponent(s);
function forSchemaVersion(json, maxSchemaVersion) {
  const current = typeof json.schemaVersion === "number" ? json.schemaVersion : void 0;
  if (maxSchemaVersion === void 0 || current === void 0 || current <= maxSchemaVersion) return { ...json };
  return { ...json, schemaVersion: maxSchemaVersion };
}
async function upsertFolder(grafanaUrl, token, folder) {
  const found = await call(grafanaUrl, token, "GET", `/api/folders/${seg(folder.uid)}`, { ok: [200, 404] });
  if (found.status === 404) {
    await call(grafanaUrl, token, "POST", "/api/folders", { body: { uid: folder.uid, title: folder.title } });
    return;
  }
  const existing = found.body;
  if (existing.title !== folder.title) {
    await call(grafanaUrl, token, "PUT", `/api/folders/${seg(folder.uid)}`, { body: { title: folder.title, overwrite: true } });
  }
}
async function upsertDashboards(grafanaUrl, token, dashboards, options = {}) {
  const done = [];
  for (const d of dashboards) {
    const json = forSchemaVersion(d.json, options.maxSchemaVersion);
    await call(grafanaUrl, token, "POST", "/api/dashboards/db", {
      body: {
        // `id: null` + uid: Grafana matches on uid, whatever numeric id the dashboard has there.
        dashboard: { ...json, uid: d.uid, title: d.title, id: null },
        ...options.folderUid ? { folderUid: options.folderUid } : {},
        overwrite: true,
        message: options.message ?? "Deployed by Bulwark"
      }
    });
    done.push(d.uid);
  }
  return done;
}
async function deleteDashboards(grafanaUrl, token, uids) {
  const done = [];
  for (const uid of uids) {
    await call(grafanaUrl, token, "DELETE", `/api/dashboards/uid/${seg(uid)}`, { ok: [200, 404] });
    done.push(uid);
  }
  return done;
}
async function deleteFolderIfEmpty(grafanaUrl, token, uid) {
  const left = await call(grafanaUrl, token, "GET", `/api/search?folderUIDs=${seg(uid)}&limit=1`, { ok: [200, 404] });
  if (left.status === 404 || Array.isArray(left.body) && left.body.length > 0) return false;
  const gone = await call(grafanaUrl, token, "DELETE", `/api/folders/${seg(uid)}`, { ok: [200, 404] });
  return gone.status === 200;
}
var WORKSPACE_ROLE_SIGV4_AUTH = "ec2_iam_role";
async function upsertPrometheusDataSource(grafanaUrl, token, ds) {
  const body = {
    uid: ds.uid,
    name: ds.name,
    type: "prometheus",
    access: "proxy",
    url: ds.url,
    isDefault: ds.isDefault,
    jsonData: { httpMethod: "POST", sigV4Auth: true, sigV4AuthType: WORKSPACE_ROLE_SIGV4_AUTH, sigV4Region: ds.region }
  };
  const found = await call(grafanaUrl, token, "GET", `/api/datasources/uid/${seg(ds.uid)}`, { ok: [200, 404] });
  if (found.status === 404) {
    await call(grafanaUrl, token, "POST", "/api/datasources", { body });
    return;
  }
  const id = found.body.id;
  await call(grafanaUrl, token, "PUT", `/api/datasources/${id}`, { body });
}
async function deleteDataSource(grafanaUrl, token, uid) {
  await call(grafanaUrl, token, "DELETE", `/api/datasources/uid/${seg(uid)}`, { ok: [200, 404] });
}

// src/aws/dashboards-handler/handle-event.ts
var DASHBOARDS_FILE = "dashboards.json";
function physicalId(p) {
  return `grafana-dashboards/${p.WorkspaceId}/${p.FolderUid}`;
}
function splitUids(list) {
  return (list ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}
function dataSource(p) {
  return { uid: p.DataSourceUid, name: p.DataSourceName, url: p.DataSourceUrl, region: p.DataSourceRegion, isDefault: p.DataSourceIsDefault === "true" };
}
async function withToken(workspaceId, deps, work) {
  const log = deps.log ?? (() => void 0);
  const minted = await deps.mintToken(workspaceId);
  let result;
  try {
    result = await work(minted.token);
  } catch (err) {
    await minted.revoke().catch((revokeErr) => log(`could not delete the service account (the next run removes it): ${errorText(revokeErr)}`));
    throw err;
  }
  await minted.revoke();
  return result;
}
function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}
async function handleDashboardsEvent(event, deps) {
  const p = event.ResourceProperties;
  const log = deps.log ?? (() => void 0);
  const url = p.GrafanaUrl;
  const uids = deps.dashboards.map((d) => d.uid);
  const declared = splitUids(p.DashboardUids);
  if (event.RequestType !== "Delete" && declared.join(",") !== uids.join(",")) {
    throw new Error(`the bundled dashboards (${uids.join(", ")}) do not match the resource's DashboardUids (${declared.join(", ")}); redeploy the stack`);
  }
  if (event.RequestType === "Delete") {
    if (!p.WorkspaceId) return { PhysicalResourceId: event.PhysicalResourceId, Data: { DashboardUids: "" } };
    await withToken(p.WorkspaceId, deps, async (token) => {
      await deleteDashboards(url, token, declared);
      const folderGone = await deleteFolderIfEmpty(url, token, p.FolderUid);
      await deleteDataSource(url, token, p.DataSourceUid);
      log(`deleted ${declared.length} dashboards${folderGone ? " and their folder" : ""} and the data source`);
    });
    return { PhysicalResourceId: event.PhysicalResourceId, Data: { DashboardUids: "" } };
  }
  await withToken(p.WorkspaceId, deps, async (token) => {
    await upsertPrometheusDataSource(url, token, dataSource(p));
    await upsertFolder(url, token, { uid: p.FolderUid, title: p.FolderTitle });
    const max = p.MaxSchemaVersion ? Number(p.MaxSchemaVersion) : void 0;
    await upsertDashboards(url, token, deps.dashboards, { folderUid: p.FolderUid, maxSchemaVersion: max });
    if (event.RequestType === "Update") {
      const removed = splitUids(event.OldResourceProperties.DashboardUids).filter((uid) => !uids.includes(uid));
      if (removed.length) await deleteDashboards(url, token, removed);
      log(`removed ${removed.length} dashboards no longer generated`);
    }
    log(`upserted ${uids.length} dashboards into folder ${p.FolderUid}`);
  });
  return { PhysicalResourceId: physicalId(p), Data: { DashboardUids: uids.join(",") } };
}

// src/aws/dashboards-handler/service-account.ts
var UPLOAD_ROLE = "ADMIN";
var SERVICE_ACCOUNT_PREFIX = "bulwark-dashboards-";
var CLEANUP_RESERVE_SECONDS = 15;
var MIN_TOKEN_SECONDS = 60;
var MAX_TOKEN_SECONDS = 2592e3;
var LEGACY_TOKEN_SECONDS = 900;
function tokenSecondsToLive(remainingMs) {
  const seconds = Math.min(Math.floor(remainingMs / 1e3) - CLEANUP_RESERVE_SECONDS, MAX_TOKEN_SECONDS);
  if (seconds < MIN_TOKEN_SECONDS) {
    throw new Error(
      `only ${Math.floor(remainingMs / 1e3)} s are left in this invocation; the upload needs at least ${MIN_TOKEN_SECONDS + CLEANUP_RESERVE_SECONDS} s (raise the handler's timeout)`
    );
  }
  return seconds;
}
function accountName(deadlineSeconds, random) {
  return `${SERVICE_ACCOUNT_PREFIX}${deadlineSeconds.toString(36)}-${random}`;
}
var CURRENT_NAME = new RegExp(`^${SERVICE_ACCOUNT_PREFIX}([0-9a-z]+)-[0-9a-z]+$`);
var LEGACY_NAME = new RegExp(`^${SERVICE_ACCOUNT_PREFIX}(?=[0-9a-z]*[0-9])([0-9a-z]{8})[0-9a-z]{6}$`);
var LEGACY_NAMES_SINCE = Date.UTC(2023, 0, 1);
function accountExpiry(name) {
  const current = CURRENT_NAME.exec(name);
  if (current) return parseInt(current[1], 36) * 1e3;
  const legacy = LEGACY_NAME.exec(name);
  const created = legacy ? parseInt(legacy[1], 36) : 0;
  return created >= LEGACY_NAMES_SINCE ? created + LEGACY_TOKEN_SECONDS * 1e3 : void 0;
}
async function sweepLeftoverAccounts(accounts, workspaceId, nowMs, log = () => void 0) {
  const deleted = [];
  for (const account of await accounts.list(workspaceId)) {
    if (!account.name.startsWith(SERVICE_ACCOUNT_PREFIX)) continue;
    const expiry = accountExpiry(account.name);
    if (expiry === void 0) {
      log(`kept service account ${account.name}: not named by this handler`);
      continue;
    }
    if (expiry > nowMs) continue;
    await accounts.delete(workspaceId, account.id);
    deleted.push(account.name);
  }
  if (deleted.length) log(`deleted ${deleted.length} service accounts left by earlier runs: ${deleted.join(", ")}`);
  return deleted;
}
function createTokenMinter(accounts, options) {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => void 0);
  return async (workspaceId) => {
    await sweepLeftoverAccounts(accounts, workspaceId, now(), log);
    const remainingMs = options.remainingMs();
    const secondsToLive = tokenSecondsToLive(remainingMs);
    const random = Math.random().toString(36).slice(2, 8).padEnd(6, "0");
    const name = accountName(Math.ceil((now() + remainingMs) / 1e3), random);
    const id = await accounts.create(workspaceId, name, options.role ?? UPLOAD_ROLE);
    const revoke = () => accounts.delete(workspaceId, id);
    try {
      const token = await accounts.createToken(workspaceId, id, `deploy-${random}`, secondsToLive);
      log(`service account ${name} (${options.role ?? UPLOAD_ROLE}) with a token for ${secondsToLive} s`);
      return { token, revoke };
    } catch (err) {
      await revoke();
      throw err;
    }
  };
}

// src/aws/dashboards-handler/index.ts
function sdkServiceAccounts() {
  const sdk = require("@aws-sdk/client-grafana");
  const client = new sdk.GrafanaClient({});
  return {
    async list(workspaceId) {
      const out = [];
      let nextToken;
      do {
        const page = await client.send(new sdk.ListWorkspaceServiceAccountsCommand({ workspaceId, maxResults: 100, nextToken }));
        out.push(...(page.serviceAccounts ?? []).map(({ id, name }) => ({ id, name })));
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },
    async create(workspaceId, name, grafanaRole) {
      const account = await client.send(new sdk.CreateWorkspaceServiceAccountCommand({ workspaceId, name, grafanaRole }));
      return account.id;
    },
    async createToken(workspaceId, serviceAccountId, name, secondsToLive) {
      const created = await client.send(
        new sdk.CreateWorkspaceServiceAccountTokenCommand({ workspaceId, serviceAccountId, name, secondsToLive })
      );
      return created.serviceAccountToken.key;
    },
    async delete(workspaceId, serviceAccountId) {
      try {
        await client.send(new sdk.DeleteWorkspaceServiceAccountCommand({ workspaceId, serviceAccountId }));
      } catch (err) {
        if (err.name !== "ResourceNotFoundException") throw err;
      }
    }
  };
}
function bundledDashboards() {
  return JSON.parse((0, import_node_fs.readFileSync)((0, import_node_path.join)(__dirname, DASHBOARDS_FILE), "utf8"));
}
async function handler(event, context) {
  console.log(`${event.RequestType} dashboards in Grafana workspace ${event.ResourceProperties.WorkspaceId}`);
  const log = (line) => console.log(line);
  const mintToken = createTokenMinter(sdkServiceAccounts(), { remainingMs: () => context.getRemainingTimeInMillis(), log });
  return handleDashboardsEvent(event, { dashboards: bundledDashboards(), mintToken, log });
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler
});
