#!/usr/bin/env node
/**
 * `npm run service`: the providers service, configured only from the environment
 * (PORT, HOST; ADMIN_PORT, ADMIN_HOST for /metrics and /health; TRUSTED_PROXY_HOPS; PostgreSQL's PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT;
 * Redis' REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS; OPENAI_API_KEY,
 * OPENAI_BASE_URL; LOG_LEVEL, the shutdown settings and the feature flags).
 */
import { FlagError } from '@bulwark/runtime';
import { startService } from './server';

startService()
  .then((svc) => {
    svc.runtime.installSignalHandlers();
    svc.runtime.logger.info({ port: svc.port, admin: svc.runtime.adminAddress }, 'listening');
  })
  .catch((err: unknown) => {
    // Flag errors come before the logger exists; everything else was already logged by the runtime.
    const message = err instanceof FlagError ? err.message : `startup failed: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  });
