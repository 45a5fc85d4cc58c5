/**
 * Connection settings for throwaway servers, one variable each, the way the example service reads
 * them and the ECS task definition gives them: libpq's PG* variables for PostgreSQL and the Redis
 * kind's REDIS_* variables. `port` is the server's, or that of a proxy in front of it.
 */

export interface PostgresEnvOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'postgres' (the throwaway server's own database) */
  readonly database?: string;
  /** @default 'postgres' (its superuser, which needs no password) */
  readonly user?: string;
  /** @default - unset */
  readonly password?: string;
  /** @default - unset (no TLS) */
  readonly sslmode?: string;
  /** @default - unset */
  readonly sslrootcert?: string;
}

/** PGHOST, PGPORT, PGDATABASE, PGUSER and, when given, PGPASSWORD, PGSSLMODE and PGSSLROOTCERT. */
export function postgresEnv(port: number, options: PostgresEnvOptions = {}): Record<string, string> {
  return {
    PGHOST: options.host ?? '127.0.0.1',
    PGPORT: String(port),
    PGDATABASE: options.database ?? 'postgres',
    PGUSER: options.user ?? 'postgres',
    ...(options.password !== undefined ? { PGPASSWORD: options.password } : {}),
    ...(options.sslmode !== undefined ? { PGSSLMODE: options.sslmode } : {}),
    ...(options.sslrootcert !== undefined ? { PGSSLROOTCERT: options.sslrootcert } : {}),
  };
}

export interface RedisEnvOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default - unset (the `default` user) */
  readonly username?: string;
  /** @default - unset (no AUTH) */
  readonly password?: string;
  /** @default false (plain TCP) */
  readonly tls?: boolean;
}

/** REDIS_HOST, REDIS_PORT and, when given, REDIS_USERNAME, REDIS_PASSWORD and REDIS_TLS=true. */
export function redisEnv(port: number, options: RedisEnvOptions = {}): Record<string, string> {
  return {
    REDIS_HOST: options.host ?? '127.0.0.1',
    REDIS_PORT: String(port),
    ...(options.username !== undefined ? { REDIS_USERNAME: options.username } : {}),
    ...(options.password !== undefined ? { REDIS_PASSWORD: options.password } : {}),
    ...(options.tls ? { REDIS_TLS: 'true' } : {}),
  };
}
