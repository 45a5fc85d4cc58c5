// Real PostgreSQL 15 (harness/src/servers.ts), killed and restarted to show the breaker at work.
import { BreakerOpenError, type PostgresAdapter } from '@bulwark/runtime';
import { BreakerRegistry, createMetrics, createPostgresAdapter, describeSql, LABEL, METRICS, type RuntimeMetrics } from '../../../runtime/src/internal';
import { startPostgres, type ThrowawayPostgres } from '@bulwark/harness';
import { waitFor } from '@bulwark/harness';
import { captureLogger, metricValue, type LogLine } from '../breakers/helpers';

const BREAKER = { failureThreshold: 2, resetTimeoutMs: 300, successThreshold: 1, timeoutMs: 1_000 };

let pg: ThrowawayPostgres;
let metrics: RuntimeMetrics;
let registry: BreakerRegistry;
let db: PostgresAdapter;
let lines: LogLine[];

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(() => pg.destroy());

beforeEach(async () => {
  metrics = createMetrics({ nodeMetrics: false });
  const cap = captureLogger();
  lines = cap.lines;
  registry = new BreakerRegistry({ enabled: true, metrics, logger: cap.logger });
  db = createPostgresAdapter({ name: 'db', connectionString: pg.url, breaker: BREAKER, breakers: registry, metrics, logger: cap.logger });
  await db.query('CREATE TABLE IF NOT EXISTS providers (id int PRIMARY KEY, name text NOT NULL)');
  await db.query('TRUNCATE providers');
});
afterEach(async () => {
  registry.shutdown();
  await db.close();
});

const errors = (operation: string, errorType: string) => metricValue(metrics, METRICS.dbErrorsTotal.name, { [LABEL.operation]: operation, [LABEL.errorType]: errorType });

describe('describeSql', () => {
  it('reads operation and table from the statement, bounded', () => {
    expect(describeSql('SELECT * FROM providers WHERE id = $1')).toEqual({ operation: 'select', table: 'providers' });
    expect(describeSql('  -- note\n/* x */ insert into public."Providers" (id) values (1)')).toEqual({ operation: 'insert', table: 'public.providers' });
    expect(describeSql('UPDATE providers SET name = $1')).toEqual({ operation: 'update', table: 'providers' });
    expect(describeSql('DELETE FROM only providers')).toEqual({ operation: 'delete', table: 'providers' });
    expect(describeSql('SELECT 1')).toEqual({ operation: 'select', table: 'unknown' });
    expect(describeSql('VACUUM')).toEqual({ operation: 'other', table: 'unknown' });
  });
});

it('counts queries and latency by operation and table (explicit labels win)', async () => {
  await db.query('INSERT INTO providers (id, name) VALUES ($1, $2)', [1, 'acme']);
  const res = await db.query<{ name: string }>('SELECT name FROM providers WHERE id = $1', [1]);
  expect(res.rows[0].name).toBe('acme');
  await db.query('SELECT count(*) FROM providers', [], { operation: 'select', table: 'provider_stats' });
  expect(await metricValue(metrics, METRICS.dbQueriesTotal.name, { [LABEL.operation]: 'insert', [LABEL.table]: 'providers' })).toBe(1);
  expect(await metricValue(metrics, METRICS.dbQueriesTotal.name, { [LABEL.operation]: 'select', [LABEL.table]: 'providers' })).toBe(1);
  expect(await metricValue(metrics, METRICS.dbQueriesTotal.name, { [LABEL.operation]: 'select', [LABEL.table]: 'provider_stats' })).toBe(1);
});

it('unique violations and syntax errors are the caller errors: typed, not counted against the breaker', async () => {
  await db.query('INSERT INTO providers (id, name) VALUES (1, $1)', ['a']);
  for (let i = 0; i < 3; i++) await expect(db.query('INSERT INTO providers (id, name) VALUES (1, $1)', ['b'])).rejects.toMatchObject({ code: '23505' });
  await expect(db.query('SELEC nonsense')).rejects.toMatchObject({ code: '42601' });
  expect(db.breaker.state).toBe('closed');
  expect(await errors('insert', 'unique_violation')).toBe(3);
  expect(await errors('other', 'syntax_error')).toBe(1);
  expect(await metricValue(metrics, METRICS.circuitBreakerFailuresTotal.name, { [LABEL.name]: 'db' })).toBe(0);
});

it('transaction commits on success and rolls back everything on failure, without opening the breaker', async () => {
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO providers (id, name) VALUES (1, $1)', ['one']);
    await tx.query('INSERT INTO providers (id, name) VALUES (2, $1)', ['two']);
  });
  await expect(
    db.transaction(async (tx) => {
      await tx.query('INSERT INTO providers (id, name) VALUES (3, $1)', ['three']);
      await tx.query('INSERT INTO providers (id, name) VALUES (1, $1)', ['dup']);
    }),
  ).rejects.toMatchObject({ code: '23505' });
  await expect(
    db.transaction(async (tx) => {
      await tx.query('INSERT INTO providers (id, name) VALUES (4, $1)', ['four']);
      throw new Error('business rule says no');
    }),
  ).rejects.toThrow('business rule says no');
  const { rows } = await db.query<{ id: number }>('SELECT id FROM providers ORDER BY id');
  expect(rows.map((r) => r.id)).toEqual([1, 2]);
  expect(db.breaker.state).toBe('closed');
  expect(await metricValue(metrics, METRICS.circuitBreakerFailuresTotal.name, { [LABEL.name]: 'db' })).toBe(0);
});

it('with PostgreSQL killed: queries fail fast, the breaker opens, errors are typed; after restart it closes', async () => {
  await db.query('SELECT 1');
  await pg.kill();
  for (let i = 0; i < BREAKER.failureThreshold; i++) {
    const started = Date.now();
    await expect(db.query('SELECT id FROM providers')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(BREAKER.timeoutMs + 1_000);
  }
  expect(db.breaker.state).toBe('open');
  await expect(db.query('SELECT id FROM providers')).rejects.toBeInstanceOf(BreakerOpenError);
  expect(await errors('select', 'connection')).toBe(BREAKER.failureThreshold);
  expect(await errors('select', 'circuit_open')).toBe(1);
  await expect(db.healthCheck()).rejects.toThrow(/postgres db health check failed/);
  expect(lines.some((l) => l.dependency === 'db' && l.msg === 'postgres query failed')).toBe(true);

  await pg.start();
  await waitFor(async () => (await db.query('SELECT 1').then(() => true, () => false)) && db.breaker.state === 'closed', 15_000, 'breaker to close');
  await db.healthCheck();
  expect(lines.filter((l) => l.breaker === 'db').map((l) => l.to)).toEqual(['open', 'half-open', 'closed']);
}, 60_000);
