/**
 * The throwaway Amazon Managed Grafana service account the upload runs as: its role, its name, how
 * long its token lives, and the sweep of accounts that runs stopped before their cleanup left
 * behind. The workspace API is injected (index.ts passes the AWS SDK's, tests a stand-in), so all
 * of this runs anywhere.
 */
import type { MintedToken, TokenMinter } from './handle-event';

/**
 * The workspace API operations the handler calls, and the only ones: the handler's IAM policy
 * allows exactly `grafana:<operation>` for each (service-dashboards.ts), and the Lambda entry can
 * only construct these commands (its SDK type is derived from this list).
 */
export const SERVICE_ACCOUNT_OPERATIONS = [
  'ListWorkspaceServiceAccounts',
  'CreateWorkspaceServiceAccount',
  'CreateWorkspaceServiceAccountToken',
  'DeleteWorkspaceServiceAccount',
] as const;
export type ServiceAccountOperation = (typeof SERVICE_ACCOUNT_OPERATIONS)[number];

/** `grafanaRole` values of CreateWorkspaceServiceAccount: Grafana's Admin, Editor and Viewer. */
export type WorkspaceRole = 'ADMIN' | 'EDITOR' | 'VIEWER';

/**
 * The role the upload runs as. Creating or updating the Prometheus data source needs Grafana's
 * Admin: by default `datasources:create`, `datasources:write` and even `datasources:read` belong
 * to Admin only. Folders and dashboards alone would need Editor.
 */
export const UPLOAD_ROLE: WorkspaceRole = 'ADMIN';

/** Every throwaway account's name starts with this. */
export const SERVICE_ACCOUNT_PREFIX = 'bulwark-dashboards-';

/**
 * Seconds of the invocation the token leaves unused at its end: the token expires first, so a run
 * that overstays fails on its next Grafana call and still has time to delete its account before
 * Lambda stops it.
 */
export const CLEANUP_RESERVE_SECONDS = 15;

/** The shortest token worth minting; less time left in the invocation is an error. */
export const MIN_TOKEN_SECONDS = 60;

/** CreateWorkspaceServiceAccountToken's upper bound for `secondsToLive`. */
const MAX_TOKEN_SECONDS = 2_592_000;

/** Token lifetime of the accounts named before the name carried their expiry (see `accountExpiry`). */
const LEGACY_TOKEN_SECONDS = 900;

/** An Amazon Managed Grafana workspace's service-account API, as the handler uses it. */
export interface WorkspaceServiceAccounts {
  /** Every service account of the workspace. */
  list(workspaceId: string): Promise<{ readonly id: string; readonly name: string }[]>;
  /** Creates an account; returns its id. */
  create(workspaceId: string, name: string, role: WorkspaceRole): Promise<string>;
  /** Creates a token of the account; returns its key. */
  createToken(workspaceId: string, serviceAccountId: string, name: string, secondsToLive: number): Promise<string>;
  /** Deletes the account and its tokens; an account already gone counts as deleted. */
  delete(workspaceId: string, serviceAccountId: string): Promise<void>;
}

export interface TokenMinterOptions {
  /** Milliseconds left before Lambda stops the invocation (its context's `getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
  /** @default UPLOAD_ROLE */
  readonly role?: WorkspaceRole;
  /** @default Date.now */
  readonly now?: () => number;
  /** Progress lines (never given the token). @default - silent */
  readonly log?: (line: string) => void;
}

/**
 * The token lifetime for an invocation with `remainingMs` left: all of it but the cleanup
 * reserve, so the token never outlives the Lambda timeout it was minted under.
 */
export function tokenSecondsToLive(remainingMs: number): number {
  const seconds = Math.min(Math.floor(remainingMs / 1000) - CLEANUP_RESERVE_SECONDS, MAX_TOKEN_SECONDS);
  if (seconds < MIN_TOKEN_SECONDS) {
    throw new Error(
      `only ${Math.floor(remainingMs / 1000)} s are left in this invocation; the upload needs at least ${MIN_TOKEN_SECONDS + CLEANUP_RESERVE_SECONDS} s (raise the handler's timeout)`,
    );
  }
  return seconds;
}

/**
 * `bulwark-dashboards-<deadline, Unix seconds in base 36>-<random>`, the deadline being when the
 * invocation that made the account is stopped at the latest: after it, the account is a leftover.
 */
export function accountName(deadlineSeconds: number, random: string): string {
  return `${SERVICE_ACCOUNT_PREFIX}${deadlineSeconds.toString(36)}-${random}`;
}

const CURRENT_NAME = new RegExp(`^${SERVICE_ACCOUNT_PREFIX}([0-9a-z]+)-[0-9a-z]+$`);
// Earlier handlers named accounts `<prefix><creation ms, base 36: 8 characters><6 random>` and gave
// them 900 s tokens. Such a name has a digit and a creation time after workspace service accounts
// existed; a word someone chose (`bulwark-dashboards-production`) is not read as one.
const LEGACY_NAME = new RegExp(`^${SERVICE_ACCOUNT_PREFIX}(?=[0-9a-z]*[0-9])([0-9a-z]{8})[0-9a-z]{6}$`);
const LEGACY_NAMES_SINCE = Date.UTC(2023, 0, 1);

/**
 * When the account is of no more use (ms): its invocation's deadline, read from its name (for an
 * account of an earlier handler, when its token expired); undefined for a name no handler made.
 */
export function accountExpiry(name: string): number | undefined {
  const current = CURRENT_NAME.exec(name);
  if (current) return parseInt(current[1], 36) * 1000;
  const legacy = LEGACY_NAME.exec(name);
  const created = legacy ? parseInt(legacy[1], 36) : 0;
  // A creation time in the future gives an expiry in the future: such an account is kept.
  return created >= LEGACY_NAMES_SINCE ? created + LEGACY_TOKEN_SECONDS * 1000 : undefined;
}

/**
 * Deletes the accounts earlier runs left behind (stopped before their cleanup): those named by
 * this handler whose invocation is over. One whose invocation may still run belongs to another
 * upload going on now (another stack, same workspace) and is kept. Returns the names deleted.
 */
export async function sweepLeftoverAccounts(
  accounts: WorkspaceServiceAccounts,
  workspaceId: string,
  nowMs: number,
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  const deleted: string[] = [];
  for (const account of await accounts.list(workspaceId)) {
    if (!account.name.startsWith(SERVICE_ACCOUNT_PREFIX)) continue;
    const expiry = accountExpiry(account.name);
    if (expiry === undefined) {
      log(`kept service account ${account.name}: not named by this handler`);
      continue;
    }
    if (expiry > nowMs) continue;
    await accounts.delete(workspaceId, account.id);
    deleted.push(account.name);
  }
  if (deleted.length) log(`deleted ${deleted.length} service accounts left by earlier runs: ${deleted.join(', ')}`);
  return deleted;
}

/**
 * Mints the upload's token: sweeps leftover accounts, then creates an account with `role` and a
 * token that expires before the invocation is stopped. Revoking deletes the account (and its token).
 */
export function createTokenMinter(accounts: WorkspaceServiceAccounts, options: TokenMinterOptions): TokenMinter {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  return async (workspaceId: string): Promise<MintedToken> => {
    await sweepLeftoverAccounts(accounts, workspaceId, now(), log);
    const remainingMs = options.remainingMs();
    const secondsToLive = tokenSecondsToLive(remainingMs);
    const random = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
    const name = accountName(Math.ceil((now() + remainingMs) / 1000), random);
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
