import { performance } from 'node:perf_hooks';
import type { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import { loadPeer } from './peer';
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
  /** postgres:// URL (its password is never logged). */
  readonly connectionString?: string;
  /** Instead of `connectionString`: the settings one by one (libpq's PGHOST, PGPORT, …). */
  readonly connection?: PostgresConnectionSettings;
  /** Further pg Pool settings; the timeouts default to the breaker timeout so a dead database fails fast. */
  readonly pool?: Omit<PoolConfig, 'connectionString'>;
}

/** A connection given setting by setting; `sslmode` as libpq reads it (disable, require, verify-ca, verify-full). */
export interface PostgresConnectionSettings {
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  readonly sslmode?: string;
}

/** pg's `ssl` option for a libpq sslmode: verify-* check the server certificate, require only encrypts. */
export function sslFor(sslmode: string | undefined): PoolConfig['ssl'] {
  switch (sslmode) {
    case undefined:
    case '':
    case 'disable':
    case 'allow':
    case 'prefer':
      return undefined;
    case 'require':
      return { rejectUnauthorized: false };
    default:
      return { rejectUnauthorized: true };
  }
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
    const { Pool: PgPool } = loadPeer<typeof import('pg')>('pg', 'postgres');
    this.pool = new PgPool({
      connectionTimeoutMillis: opts.breaker.timeoutMs,
      query_timeout: opts.breaker.timeoutMs,
      ...opts.pool,
      ...(opts.connection ? { ...splitConfig(opts.connection) } : { connectionString: opts.connectionString }),
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
      throw new Error(`postgres ${this.name} health check failed: ${this.redact(errorMessage(err))}`);
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
function splitConfig({ sslmode, ...settings }: PostgresConnectionSettings): PoolConfig {
  const ssl = sslFor(sslmode);
  return { ...settings, ...(ssl ? { ssl } : {}) };
}

export function createPostgresAdapter(opts: PostgresAdapterOptions): PostgresAdapter {
  return new PostgresAdapterImpl(opts);
}
