import type { PostgresAdapter } from '@bulwark/runtime';

export interface Provider {
  readonly id: number;
  readonly name: string;
  readonly category: string;
  readonly city: string | null;
  readonly description: string;
  readonly version: number;
}

export interface ProviderInput {
  readonly name: string;
  readonly category?: string;
  readonly city?: string | null;
  readonly description?: string;
}

const COLUMNS = 'id::int AS id, name, category, city, description, version';

/** The source of truth: every read and write of providers goes through the PostgreSQL adapter. */
export class ProviderStore {
  constructor(private readonly db: PostgresAdapter) {}

  async get(id: number): Promise<Provider | undefined> {
    const r = await this.db.query<Provider>(`SELECT ${COLUMNS} FROM providers WHERE id = $1`, [id]);
    return r.rows[0];
  }

  async search(q: string, limit: number): Promise<Provider[]> {
    const r = await this.db.query<Provider>(
      `SELECT ${COLUMNS} FROM providers WHERE lower(name) LIKE $1 ORDER BY id LIMIT $2`,
      [`%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`, limit],
    );
    return r.rows;
  }

  /** Inserts the provider and its `created` event in one transaction. */
  async create(input: ProviderInput): Promise<Provider> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query<Provider>(
        `INSERT INTO providers (name, category, city, description) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [input.name, input.category ?? 'general', input.city ?? null, input.description ?? ''],
      );
      const p = r.rows[0] as Provider;
      await tx.query(`INSERT INTO provider_events (provider_id, version, kind) VALUES ($1, $2, 'created')`, [p.id, p.version]);
      return p;
    });
  }

  /** Updates the provider, bumps its version and appends an `updated` event, in one transaction. */
  async update(id: number, input: Partial<ProviderInput>): Promise<Provider | undefined> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query<Provider>(
        `UPDATE providers SET
           name = COALESCE($2, name), category = COALESCE($3, category), city = COALESCE($4, city),
           description = COALESCE($5, description), version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, input.name ?? null, input.category ?? null, input.city ?? null, input.description ?? null],
      );
      const p = r.rows[0];
      if (!p) return undefined;
      await tx.query(`INSERT INTO provider_events (provider_id, version, kind) VALUES ($1, $2, 'updated')`, [p.id, p.version]);
      return p;
    });
  }
}
