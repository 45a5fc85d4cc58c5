/**
 * A real, throwaway Alertmanager on 127.0.0.1 (Debian's `prometheus-alertmanager`), with the
 * configuration it is given, clustering off, state in a temp directory that goes with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './binaries';
import { terminate } from './child-process';
import { freePort, waitFor } from './ports';

/** An alert as Alertmanager's API v2 reports it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
  fingerprint: string;
}

export interface ThrowawayAlertmanager {
  readonly port: number;
  readonly url: string;
  /** Alerts it holds now (active, inhibited and silenced), optionally only those with these labels. */
  alerts(labels?: Readonly<Record<string, string>>): Promise<AlertmanagerAlert[]>;
  stop(): Promise<void>;
}

export async function startAlertmanager(opts: { config: Readonly<Record<string, unknown>> }): Promise<ThrowawayAlertmanager> {
  const alertmanager = requireBinary('prometheus-alertmanager', 'prometheus-alertmanager');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-am-'));
  const configPath = join(dir, 'alertmanager.yml');
  writeFileSync(configPath, JSON.stringify(opts.config)); // JSON is valid YAML
  const child: ChildProcess = spawn(
    alertmanager,
    [
      `--config.file=${configPath}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // One instance: no gossip port, no peers.
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.on('error', () => undefined); // reported by the wait below timing out
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`alertmanager exited ${child.exitCode}: ${stderr}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      20_000,
      'alertmanager ready',
    );
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    url,
    async alerts(labels = {}) {
      const filters = Object.entries(labels).map(([k, v]) => `filter=${encodeURIComponent(`${k}="${v}"`)}`);
      const res = await fetch(`${url}/api/v2/alerts?${['active=true', 'inhibited=true', 'silenced=true', ...filters].join('&')}`);
      if (!res.ok) throw new Error(`alertmanager /api/v2/alerts: ${res.status} ${await res.text()}`);
      return (await res.json()) as AlertmanagerAlert[];
    },
    async stop() {
      await terminate(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
