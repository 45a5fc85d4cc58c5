/**
 * A real, throwaway Prometheus on 127.0.0.1 (Debian's `prometheus`), scraping the given
 * targets every second and evaluating the given rule files every second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { requireBinary } from './binaries';
import { terminate } from './child-process';
import { freePort, waitFor } from './ports';

export interface PrometheusTarget {
  readonly job: string;
  readonly port: number;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

export interface ThrowawayPrometheus {
  readonly port: number;
  readonly url: string;
  /** Instant query; returns the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Every alert currently pending or firing. */
  alerts(): Promise<PrometheusAlert[]>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  readonly targets: readonly PrometheusTarget[];
  readonly ruleFiles?: readonly string[];
  /** Alertmanager to send alerts to (e.g. http://127.0.0.1:9093). @default - none: alerts stay in Prometheus */
  readonly alertmanagerUrl?: string;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<ThrowawayPrometheus> {
  const prometheus = requireBinary('prometheus', 'prometheus');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-prom-'));
  const rules = (opts.ruleFiles ?? []).map((f) => {
    const dest = join(dir, basename(f));
    copyFileSync(f, dest);
    return dest;
  });
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '900ms' },
    rule_files: rules,
    scrape_configs: opts.targets.map((t) => ({ job_name: t.job, static_configs: [{ targets: [`127.0.0.1:${t.port}`] }] })),
    ...(opts.alertmanagerUrl ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [new URL(opts.alertmanagerUrl).host] }] }] } } : {}),
  };
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(configPath, JSON.stringify(config)); // JSON is valid YAML
  const child: ChildProcess = spawn(
    prometheus,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  child.on('error', () => undefined); // reported by the wait below timing out
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 20_000, 'prometheus ready');
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  }

  return {
    port,
    url,
    async query(expr) {
      const data = await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return data.result;
    },
    async alerts() {
      return (await api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts;
    },
    async stop() {
      await terminate(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
