import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ConnectionOptions } from 'node:tls';
import type { Client as PgClient, Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import { loadPeer } from './peer';
import { RDS_CA_BUNDLE_PATH } from '../tls/rds-ca';
import type { Breaker } from '../breakers/breaker';
import { LABEL } from '../metrics/catalog';
import {
  adapterLogging,
  breakerErrorType,
  COMMON_ERROR_TYPE,
  errorFields,
  errorMessage,
  isNetworkError,
  urlSecrets,
  withTimeout,
  type AdapterBaseOptions,
  type DependencyAdapter,
} from './common';
import { CERT_CHAIN_ERRORS, CERT_HOST_ERROR, CERT_VALIDITY_ERRORS } from '../tls/cert-errors';

export const DB_ERROR_TYPE = {
  ...COMMON_ERROR_TYPE,
  uniqueViolation: 'unique_violation',
  foreignKeyViolation: 'foreign_key_violation',
  integrityViolation: 'integrity_violation',
  dataException: 'data_exception',
  syntax: 'syntax_error',
  permissionDenied: 'permission_denied',
  undefinedObject: 'undefined_object',
  serialization: 'serialization_failure',
  resources: 'insufficient_resources',
} as const;

/**
 * SQLSTATE classes where PostgreSQL rejected the statement on its merits: the caller's fault,
 * never a reason to open the breaker. 22 data exception, 23 integrity constraint, 25 invalid
 * transaction state, 40 transaction rollback (serialization failure, deadlock: retry is the
 * caller's call), 42 syntax error or access rule, 44 WITH CHECK OPTION.
 */
const CALLER_SQLSTATE_CLASSES = new Set(['22', '23', '25', '40', '42', '44']);

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  // SQLSTATEs are 5 characters; Node's own 5-letter codes (EPIPE, EPERM) start with E, which no SQLSTATE class does.
  return typeof code === 'string' && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code) ? code : undefined;
}

/** True when PostgreSQL answered with a SQLSTATE of a caller-error class. */
export function isPostgresCallerError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && CALLER_SQLSTATE_CLASSES.has(state.slice(0, 2));
}

export function postgresErrorType(err: unknown): string {
  const fromBreaker = breakerErrorType(err);
  if (fromBreaker) return fromBreaker;
  const state = sqlState(err);
  if (state) {
    if (state === '23505') return DB_ERROR_TYPE.uniqueViolation;
    if (state === '23503') return DB_ERROR_TYPE.foreignKeyViolation;
    if (state === '42601') return DB_ERROR_TYPE.syntax;
    if (state === '42501') return DB_ERROR_TYPE.permissionDenied;
    if (state === '42P01' || state === '42703' || state === '42883') return DB_ERROR_TYPE.undefinedObject;
    if (state === '57014') return DB_ERROR_TYPE.timeout; // statement_timeout / cancelled
    switch (state.slice(0, 2)) {
      case '23':
        return DB_ERROR_TYPE.integrityViolation;
      case '22':
        return DB_ERROR_TYPE.dataException;
      case '42':
        return DB_ERROR_TYPE.syntax;
      case '40':
        return DB_ERROR_TYPE.serialization;
      case '08':
      case '57':
        return DB_ERROR_TYPE.connection;
      case '53':
        return DB_ERROR_TYPE.resources;
      default:
        return DB_ERROR_TYPE.other;
    }
  }
  const fields = errorFields(err);
  if (fields) {
    const msg = fields.message;
    if (msg.includes('Query read timeout') || msg.includes('timeout exceeded when trying to connect') || msg.includes('Connection terminated due to connection timeout')) {
      return DB_ERROR_TYPE.timeout;
    }
    if (isNetworkError(err) || /\b(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EHOSTUNREACH|ENETUNREACH)\b/.test(msg) || msg.includes('Connection terminated') || msg.includes('Client has encountered a connection error') || msg.includes('connection is not open')) {
      return DB_ERROR_TYPE.connection;
    }
  }
  return DB_ERROR_TYPE.other;
}

export type SqlOperation = 'select' | 'insert' | 'update' | 'delete' | 'other';

export interface QueryLabels {
  readonly operation?: SqlOperation;
  readonly table?: string;
}

const UNKNOWN_TABLE = 'unknown';
const MAX_TABLES = 100;
const LEADING_NOISE = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/;
const IDENT = String.raw`((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?)`;
const TABLE_AFTER: Record<Exclude<SqlOperation, 'other'>, RegExp> = {
  select: new RegExp(String.raw`\bfrom\s+(?:only\s+)?${IDENT}`, 'i'),
  insert: new RegExp(String.raw`^insert\s+into\s+${IDENT}`, 'i'),
  update: new RegExp(String.raw`^update\s+(?:only\s+)?${IDENT}`, 'i'),
  delete: new RegExp(String.raw`^delete\s+from\s+(?:only\s+)?${IDENT}`, 'i'),
};

/** The operation and table of a SQL statement, for bounded metric labels ('other' / 'unknown' when unclear). */
export function describeSql(text: string): { operation: SqlOperation; table: string } {
  const sql = text.replace(LEADING_NOISE, '');
  const keyword = /^[A-Za-z]+/.exec(sql)?.[0].toLowerCase();
  const operation: SqlOperation = keyword === 'select' || keyword === 'insert' || keyword === 'update' || keyword === 'delete' ? keyword : 'other';
  if (operation === 'other') return { operation, table: UNKNOWN_TABLE };
  const match = TABLE_AFTER[operation].exec(sql);
  const table = match ? match[1].replace(/"/g, '').toLowerCase() : UNKNOWN_TABLE;
  return { operation, table: /^[a-z_][a-z0-9_$.]{0,62}$/.test(table) ? table : UNKNOWN_TABLE };
}

export interface PostgresAdapterOptions extends AdapterBaseOptions {
  /**
   * postgres:// URL (its password is never logged). pg reads its `sslmode` and `sslrootcert`
   * itself (pg-connection-string): see the runtime README, "Connection settings: PostgreSQL's PG* variables and TLS".
   */
  readonly connectionString?: string;
  /** Instead of `connectionString`: the settings one by one (libpq's PGHOST, PGPORT, …). */
  readonly connection?: PostgresConnectionSettings;
  /** The variable each of `connection`'s settings was read from, for messages. @default libpq's (PGHOST, …, PGSSLROOTCERT) */
  readonly connectionVariables?: Readonly<Partial<Record<keyof PostgresConnectionSettings, string>>>;
  /** Further pg Pool settings; the timeouts default to the breaker timeout so a dead database fails fast. */
  readonly pool?: Omit<PoolConfig, 'connectionString'>;
}

/** A connection given setting by setting; `sslmode` and `sslrootcert` as libpq reads them (see postgresTls). */
export interface PostgresConnectionSettings {
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  readonly sslmode?: string;
  /** A PEM file of the CA certificates to verify the server with, or `system` (the platform's trusted CAs). */
  readonly sslrootcert?: string;
}

/** libpq's variable of each setting: what messages name unless a declaration names others. */
export const LIBPQ_VARIABLES: Readonly<Record<keyof PostgresConnectionSettings, string>> = {
  host: 'PGHOST',
  port: 'PGPORT',
  database: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
};

/** The libpq sslmodes pg can honour (libpq's allow and prefer fall back between TLS and plain: pg cannot). */
export const POSTGRES_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type PostgresSslMode = (typeof POSTGRES_SSL_MODES)[number];

/** What `postgresTls` decided: the mode in effect and pg's `ssl` option, or why the settings cannot be used. */
export type PostgresTls =
  | { readonly ok: true; readonly mode: PostgresSslMode; readonly ssl: false | ConnectionOptions }
  | { readonly ok: false; readonly problems: readonly { readonly setting: 'sslmode' | 'sslrootcert'; readonly message: string }[] };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM file, or why it cannot be used (naming the variable, never the file's content). */
function readRootCertificates(path: string, variable: string): { certs: string[] } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { problem: `${variable} names ${path}, which cannot be read (${typeof code === 'string' ? code : errorMessage(err)}): point ${variable} at a readable PEM file of CA certificates` };
  }
  const certs = text.match(PEM_CERTIFICATE) ?? [];
  if (certs.length === 0) {
    return { problem: `${variable} names ${path}, which holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block): point ${variable} at the CA certificates in PEM form (a DER file converts with openssl x509 -inform der)` };
  }
  for (const [i, pem] of certs.entries()) {
    try {
      new X509Certificate(pem);
    } catch {
      return { problem: `${variable} names ${path}, whose certificate ${i + 1} of ${certs.length} is not a valid X.509 certificate: replace the file with an intact PEM copy of the CA bundle` };
    }
  }
  return { certs };
}

/**
 * pg's `ssl` option for libpq's sslmode and sslrootcert (PGSSLMODE, PGSSLROOTCERT), passed to pg
 * explicitly: pg's own reading of PGSSLMODE from process.env only ever gives `ssl: true`.
 *
 * - unset or `disable`: no TLS (unset stays the default it always was: pg cannot do libpq's `prefer`).
 * - `require`: TLS, the server's certificate not verified, as libpq without a root certificate; with
 *   PGSSLROOTCERT set, libpq verifies the chain (as verify-ca), and so does this.
 * - `verify-ca`: TLS, the chain verified against PGSSLROOTCERT, not the host name.
 * - `verify-full`: TLS, the chain verified against PGSSLROOTCERT and the host name against the
 *   certificate (its DNS or IP subject alternative names).
 *
 * With a PGSSLROOTCERT file, its certificates are the only trust anchors (Node's bundled roots and
 * NODE_EXTRA_CA_CERTS are not used); PGSSLROOTCERT=system (libpq 16) uses those instead and takes
 * verify-full only. Refused, each problem naming the variable and the fix: an unknown mode, `allow`
 * and `prefer`, verify-* without PGSSLROOTCERT, a PGSSLROOTCERT that cannot be read or holds no PEM
 * certificate, and a PGSSLROOTCERT without PGSSLMODE (it would silently connect in plain text).
 */
export function postgresTls(
  settings: { readonly sslmode?: string; readonly sslrootcert?: string },
  variables: { readonly sslmode?: string; readonly sslrootcert?: string } = {},
): PostgresTls {
  const M = variables.sslmode ?? LIBPQ_VARIABLES.sslmode;
  const R = variables.sslrootcert ?? LIBPQ_VARIABLES.sslrootcert;
  const mode = settings.sslmode?.trim() || undefined;
  const root = settings.sslrootcert?.trim() || undefined;
  const refuse = (setting: 'sslmode' | 'sslrootcert', message: string): PostgresTls => ({ ok: false, problems: [{ setting, message }] });
  const bundleHint = `Amazon RDS: the RDS CA bundle, ${RDS_CA_BUNDLE_PATH} in the Bulwark service image`;

  if (mode === undefined || mode === 'disable') {
    if (mode === undefined && root !== undefined) {
      return refuse('sslmode', `${R} is set but ${M} is not, which means no TLS at all: set ${M}=verify-full (or verify-ca) to verify the server against ${R}, or unset ${R}`);
    }
    return { ok: true, mode: 'disable', ssl: false };
  }
  if (mode === 'allow' || mode === 'prefer') {
    return refuse('sslmode', `${M}=${mode} is not supported: libpq falls back between TLS and plain connections there, which pg cannot do; set ${M}=verify-full (TLS, server verified against ${R}), require (TLS, not verified) or disable (no TLS)`);
  }
  if (mode !== 'require' && mode !== 'verify-ca' && mode !== 'verify-full') {
    const shown = /^[A-Za-z_-]{1,24}$/.test(mode) ? `${M}=${mode}` : `${M} (value not shown)`;
    return refuse('sslmode', `${shown} is not an SSL mode: use one of ${POSTGRES_SSL_MODES.join(', ')}`);
  }
  if (root === undefined) {
    if (mode === 'require') return { ok: true, mode, ssl: { rejectUnauthorized: false } };
    return refuse('sslrootcert', `${M}=${mode} verifies the server against the CA certificates in ${R}, which is not set: set ${R} to a PEM file of them (${bundleHint}), or ${R}=system with verify-full for the platform's trusted CAs`);
  }
  if (root === 'system') {
    if (mode !== 'verify-full') return refuse('sslmode', `${R}=system trusts every public CA, so it needs ${M}=verify-full (libpq's rule), not ${mode}: set ${M}=verify-full or point ${R} at a CA file`);
    return { ok: true, mode, ssl: { rejectUnauthorized: true } };
  }
  const read = readRootCertificates(root, R);
  if ('problem' in read) return refuse('sslrootcert', read.problem);
  if (mode === 'verify-full') return { ok: true, mode, ssl: { ca: read.certs, rejectUnauthorized: true } };
  // verify-ca, and require with a root certificate (libpq verifies the chain then too): no host name check.
  return { ok: true, mode: 'verify-ca', ssl: { ca: read.certs, rejectUnauthorized: true, checkServerIdentity: () => undefined } };
}


/** What to do about a TLS failure of a split connection, naming its variables; '' for other errors. */
function tlsHint(err: unknown, tls: PostgresTls | undefined, connection: PostgresConnectionSettings | undefined, variables: Readonly<Record<keyof PostgresConnectionSettings, string>>): string {
  if (!tls?.ok || tls.mode === 'disable' || !connection) return '';
  const code = (err as { code?: unknown } | null)?.code;
  const M = variables.sslmode;
  const R = variables.sslrootcert;
  const root = connection.sslrootcert?.trim();
  if (typeof code === 'string' && CERT_CHAIN_ERRORS.has(code)) {
    if (root === 'system') return ` (${M}=${tls.mode}: the server's certificate does not chain to a CA the platform trusts (${R}=system); point ${R} at the CA bundle that issued it)`;
    return ` (${M}=${tls.mode}: the server's certificate does not chain to a CA in ${R} (${root ?? ''}); point ${R} at the CA bundle that issued it)`;
  }
  if (typeof code === 'string' && CERT_VALIDITY_ERRORS.has(code)) return ` (${M}=${tls.mode}: the server's certificate or its CA is outside its validity period; renew it, or update ${R})`;
  if (code === CERT_HOST_ERROR) {
    return ` (${M}=verify-full: the server's certificate does not name ${variables.host}=${connection.host ?? ''}; connect by a name the certificate holds (its DNS or IP subject alternative names), or set ${M}=verify-ca to verify the chain only)`;
  }
  if (errorMessage(err) === 'The server does not support SSL connections') return ` (${M}=${tls.mode} needs TLS: turn ssl on in the server, or set ${M}=disable)`;
  return '';
}

/** A pg Client that never connects, failing with `message`: what a pool gets when its TLS settings are unusable, so it never falls back to plain text. */
function refusingClient(Base: typeof PgClient, message: string): typeof PgClient {
  return class RefusingClient extends Base {
    connect(): Promise<PgClient>;
    connect(callback: (err: Error) => void): void;
    connect(callback?: (err: Error) => void): Promise<PgClient> | void {
      const err = new Error(message);
      if (!callback) return Promise.reject(err);
      process.nextTick(callback, err);
    }
  };
}

/** What a transaction callback gets: `query` on the transaction's own connection. */
export interface TransactionClient {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[], labels?: QueryLabels): Promise<QueryResult<R>>;
}

export interface PostgresAdapter extends DependencyAdapter {
  readonly kind: 'postgres';
  /** The pool itself; queries on it directly bypass the breaker and metrics. */
  readonly pool: Pool;
  /** One statement through the breaker; operation and table are read from the SQL unless given. */
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[], labels?: QueryLabels): Promise<QueryResult<R>>;
  /**
   * BEGIN … COMMIT on one connection, as ONE breaker call (the breaker timeout bounds the whole
   * transaction). Any error — from a statement or thrown by `fn` — rolls back, so nothing is
   * half-written; on a timeout the connection is destroyed, which makes PostgreSQL roll back.
   */
  transaction<T>(fn: (tx: TransactionClient) => Promise<T>): Promise<T>;
}

class PostgresAdapterImpl implements PostgresAdapter {
  readonly kind = 'postgres' as const;
  readonly name: string;
  readonly pool: Pool;
  readonly breaker: Breaker;
  private readonly log;
  private readonly redact;
  private readonly healthTimeoutMs: number;
  /** Errors that came out of the driver; anything else thrown inside a transaction is the caller's own. */
  private readonly driverErrors = new WeakSet<object>();
  private readonly describeCache = new Map<string, { operation: SqlOperation; table: string }>();
  private readonly tables = new Set<string>();
  private readonly variables: Readonly<Record<keyof PostgresConnectionSettings, string>>;
  private readonly tls?: PostgresTls;

  constructor(private readonly opts: PostgresAdapterOptions) {
    this.name = opts.name;
    const secrets = opts.connectionString ? urlSecrets(opts.connectionString) : opts.connection?.password ? [opts.connection.password] : [];
    ({ log: this.log, redact: this.redact } = adapterLogging(opts, 'postgres', secrets));
    this.healthTimeoutMs = opts.healthCheckTimeoutMs ?? opts.breaker.timeoutMs;
    this.breaker = opts.breakers.create({
      name: opts.name,
      ...opts.breaker,
      isCallerError: (err) => isPostgresCallerError(err) || !(typeof err === 'object' && err !== null && this.driverErrors.has(err)),
    });
    const { Pool: PgPool, Client } = loadPeer<typeof import('pg')>('pg', 'postgres');
    this.variables = { ...LIBPQ_VARIABLES, ...opts.connectionVariables };
    let connection: PoolConfig = { connectionString: opts.connectionString };
    if (opts.connection) {
      const { sslmode, sslrootcert, ...settings } = opts.connection;
      this.tls = postgresTls({ sslmode, sslrootcert }, this.variables);
      // Unusable TLS settings: every connection attempt fails naming them (startup validation reports them first).
      connection = this.tls.ok ? { ...settings, ssl: this.tls.ssl } : { ...settings, ssl: false, Client: refusingClient(Client, this.tls.problems.map((p) => p.message).join('; ')) };
    }
    this.pool = new PgPool({
      connectionTimeoutMillis: opts.breaker.timeoutMs,
      query_timeout: opts.breaker.timeoutMs,
      ...opts.pool,
      ...connection,
    });
    // An idle client whose server went away emits 'error' on the pool; unhandled, it would crash the process.
    this.pool.on('error', (err) => this.log.warn({ err: this.redact(errorMessage(err)) }, 'idle postgres connection lost'));
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[], labels?: QueryLabels): Promise<QueryResult<R>> {
    return this.instrument(text, labels, () => this.driver(this.pool.query<R>(text, params as unknown[] | undefined)), true);
  }

  async transaction<T>(fn: (tx: TransactionClient) => Promise<T>): Promise<T> {
    try {
      return await this.breaker.fire((signal) => this.runTransaction(fn, signal));
    } catch (err) {
      const errorType = postgresErrorType(err);
      // Errors of single statements were counted by their query; count what only the transaction saw.
      if (errorType === DB_ERROR_TYPE.circuitOpen || errorType === DB_ERROR_TYPE.timeout) {
        this.countError('transaction', errorType);
      }
      throw err;
    }
  }

  async healthCheck(): Promise<void> {
    try {
      await withTimeout(this.pool.query('SELECT 1'), this.healthTimeoutMs, `postgres ${this.name} health check`);
    } catch (err) {
      throw new Error(`postgres ${this.name} health check failed: ${this.redact(errorMessage(err))}${tlsHint(err, this.tls, this.opts.connection, this.variables)}`);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async runTransaction<T>(fn: (tx: TransactionClient) => Promise<T>, signal: AbortSignal): Promise<T> {
    const client = await this.driver(this.pool.connect());
    // A checked-out client has no 'error' listener (the pool removes its own): a connection lost between
    // statements would be an uncaught error that ends the process. The next statement fails instead.
    const onLost = (err: Error) => this.log.warn({ err: this.redact(errorMessage(err)) }, 'postgres connection lost during a transaction');
    client.on('error', onLost);
    let released = false;
    const release = (destroy: boolean) => {
      if (released) return;
      released = true;
      client.removeListener('error', onLost);
      client.release(destroy);
    };
    // On the breaker timeout: destroy the connection (PostgreSQL rolls the transaction back) and refuse further statements.
    const onAbort = () => release(true);
    signal.addEventListener('abort', onAbort, { once: true });
    const tx: TransactionClient = {
      query: <R extends QueryResultRow>(text: string, params?: readonly unknown[], labels?: QueryLabels) => {
        if (signal.aborted || released) return Promise.reject(signal.reason ?? new Error('transaction is over'));
        // The transaction as a whole is the breaker call; its statements must not be breaker calls of their own.
        return this.instrument(text, labels, () => this.driver(client.query<R>(text, params as unknown[] | undefined)), false);
      },
    };
    try {
      await this.driver(client.query('BEGIN'));
      const result = await fn(tx);
      await this.driver(client.query('COMMIT'));
      release(false);
      return result;
    } catch (err) {
      await this.rollback(client, released);
      release(true);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async rollback(client: PoolClient, released: boolean): Promise<void> {
    if (released) return;
    try {
      await client.query('ROLLBACK');
    } catch (err) {
      this.log.warn({ err: this.redact(errorMessage(err)) }, 'postgres ROLLBACK failed; the connection is discarded');
    }
  }

  /** Remembers that an error came from the driver, so the breaker can tell it from the caller's own errors. */
  private driver<T>(promise: Promise<T>): Promise<T> {
    return promise.catch((err: unknown) => {
      if (typeof err === 'object' && err !== null) this.driverErrors.add(err);
      throw err;
    });
  }

  private labelsFor(text: string, given: QueryLabels | undefined): { operation: string; table: string } {
    let described = this.describeCache.get(text);
    if (!described) {
      described = describeSql(text);
      if (this.describeCache.size < 1_000) this.describeCache.set(text, described);
    }
    let table = given?.table ?? described.table;
    if (!this.tables.has(table)) {
      if (this.tables.size >= MAX_TABLES || !/^[a-z_][a-z0-9_$.]{0,62}$/.test(table)) table = UNKNOWN_TABLE;
      else this.tables.add(table);
    }
    return { operation: given?.operation ?? described.operation, table };
  }

  private async instrument<T>(text: string, given: QueryLabels | undefined, run: () => Promise<T>, viaBreaker: boolean): Promise<T> {
    const { operation, table } = this.labelsFor(text, given);
    const labels = { [LABEL.dependency]: this.name, [LABEL.operation]: operation, [LABEL.table]: table };
    this.opts.metrics.dbQueriesTotal.inc(labels);
    const start = performance.now();
    const call = this.opts.onCallStart?.();
    try {
      const result = await (viaBreaker ? this.breaker.fire(run) : run());
      const ms = performance.now() - start;
      this.opts.metrics.dbQueryDurationSeconds.observe(labels, ms / 1000);
      this.opts.onCallLatency?.(ms);
      return result;
    } catch (err) {
      const errorType = postgresErrorType(err);
      if (errorType !== DB_ERROR_TYPE.circuitOpen) this.opts.metrics.dbQueryDurationSeconds.observe(labels, (performance.now() - start) / 1000);
      this.countError(operation, errorType);
      if (!isPostgresCallerError(err) && errorType !== DB_ERROR_TYPE.circuitOpen) {
        this.log.warn({ operation, table, errorType, err: this.redact(errorMessage(err)) }, 'postgres query failed');
      }
      throw err;
    } finally {
      if (call !== undefined) this.opts.onCallEnd?.(call);
    }
  }

  private countError(operation: string, errorType: string): void {
    this.opts.metrics.dbErrorsTotal.inc({ [LABEL.dependency]: this.name, [LABEL.operation]: operation, [LABEL.errorType]: errorType });
  }
}

/** A PostgreSQL dependency: pool with fail-fast timeouts, breaker, metrics and logs. */
export function createPostgresAdapter(opts: PostgresAdapterOptions): PostgresAdapter {
  return new PostgresAdapterImpl(opts);
}
