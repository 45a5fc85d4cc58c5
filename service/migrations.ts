import type { PostgresAdapter } from '@bulwark/runtime';

/** Schema migrations, applied in order at start; each runs once, inside a transaction. */
export const MIGRATIONS: readonly { readonly id: number; readonly sql: string }[] = [
  {
    id: 1,
    sql: `
      CREATE TABLE providers (
        id          BIGSERIAL PRIMARY KEY,
        name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        category    TEXT NOT NULL DEFAULT 'general',
        city        TEXT,
        description TEXT NOT NULL DEFAULT '',
        version     INTEGER NOT NULL DEFAULT 1,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX providers_name_idx ON providers (lower(name));
      -- Every write appends an event in the same transaction: a half-applied write would show as
      -- a provider version without its event (the e2e suite checks there is none).
      CREATE TABLE provider_events (
        id          BIGSERIAL PRIMARY KEY,
        provider_id BIGINT NOT NULL REFERENCES providers (id),
        version     INTEGER NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('created', 'updated')),
        at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (provider_id, version)
      );`,
  },
];

/** Applies pending migrations; a concurrent start waits on the advisory lock instead of racing. */
export async function migrate(db: PostgresAdapter): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(4242)', [], { operation: 'other', table: 'schema_migrations' });
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = await tx.query<{ id: number }>('SELECT id FROM schema_migrations');
    const applied = new Set(done.rows.map((r) => r.id));
    const ran: number[] = [];
    for (const m of MIGRATIONS) {
      if (applied.has(m.id)) continue;
      await tx.query(m.sql, [], { operation: 'other', table: 'schema_migrations' });
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      ran.push(m.id);
    }
    return ran;
  });
}
