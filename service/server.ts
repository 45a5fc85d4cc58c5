import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createRuntime, type BulwarkRuntime, type RuntimeOptions, type ServiceDeclaration } from '@bulwark/runtime';
import { PORT_ENV } from '@bulwark/runtime/catalog';
import { providersService } from '../lib/services/providers';
import { buildApp } from './app';
import { migrate } from './migrations';

export interface RunningService {
  readonly runtime: BulwarkRuntime;
  readonly app: FastifyInstance;
  readonly port: number;
  readonly url: string;
  /** The runtime's admin listener (/metrics, /health, /health/live, /health/ready); undefined with `admin: false`. */
  readonly adminUrl: string | undefined;
  stop(): Promise<void>;
}

export interface StartServiceOptions extends RuntimeOptions {
  /** @default PORT from env, else the declaration's port; 0 picks a free one */
  readonly port?: number;
  /** @default 0.0.0.0 in a container; tests pass 127.0.0.1 */
  readonly host?: string;
  /** The declaration to run with. @default providersService (tests pass one with faster health checks) */
  readonly declaration?: ServiceDeclaration;
}

/**
 * Starts the providers service: runtime (flags, validation, checks), migrations, HTTP server.
 * Throws FlagError on invalid flags; on a critical startup failure the runtime exits 1.
 */
export async function startService(options: StartServiceOptions = {}): Promise<RunningService> {
  const env = options.env ?? process.env;
  const declaration = options.declaration ?? providersService;
  const runtime = createRuntime(declaration, options);
  const app = buildApp(runtime, { env });
  await runtime.start();
  await migrateWhenWritable(runtime);
  const port = options.port ?? (env[PORT_ENV] ? Number(env[PORT_ENV]) : declaration.port);
  await app.listen({ port, host: options.host ?? env.HOST ?? '0.0.0.0' });
  const bound = (app.server.address() as AddressInfo).port;
  return { runtime, app, port: bound, url: `http://127.0.0.1:${bound}`, adminUrl: runtime.adminAddress?.url, stop: () => runtime.stop() };
}

/**
 * Migrations need a writable database. When it is down at start (a service declared to start
 * degraded), they run as soon as the database recovers.
 */
async function migrateWhenWritable(runtime: BulwarkRuntime): Promise<void> {
  const db = runtime.postgres('db');
  const run = async () => {
    const ran = await migrate(db);
    if (ran.length) runtime.logger.info({ migrations: ran }, 'schema migrations applied');
  };
  if (runtime.degradation.allows('writes')) return run();
  runtime.logger.warn('schema migrations postponed: the database is not writable yet');
  const off = runtime.degradation.onRecovered((name) => {
    if (name !== 'db') return;
    off();
    run().catch((err: unknown) => runtime.logger.error({ err }, 'schema migrations failed'));
  });
}
