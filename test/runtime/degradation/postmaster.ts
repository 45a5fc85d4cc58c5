import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@bulwark/harness';

/**
 * Works around a race in harness/src/servers.ts: kill() waits for `runuser`, but the killed
 * postmaster is its child, re-parented to PID 1 and left a zombie until PID 1 reaps it (up to
 * ~2 s here). PostgreSQL refuses to start while the PID in its socket lock file still exists
 * ("lock file .s.PGSQL.<port>.lock already exists"), so wait for that PID to be gone.
 */
export async function waitForKilledPostmaster(port: number, timeoutMs = 10_000): Promise<void> {
  const lockName = `.s.PGSQL.${port}.lock`;
  const dir = readdirSync(tmpdir())
    .filter((d) => d.startsWith('bulwark-pg-'))
    .map((d) => join(tmpdir(), d))
    .find((d) => existsSync(join(d, lockName)));
  if (!dir) return;
  const pid = Number(readFileSync(join(dir, lockName), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  await waitFor(() => !existsSync(`/proc/${pid}`), timeoutMs, `killed postmaster ${pid} to be reaped`);
}
