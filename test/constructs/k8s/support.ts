/** Helpers for the cdk8s chart tests: synthesize a chart, find objects, run the schema validator. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { App, Yaml } from 'cdk8s';
import { ObservedServiceChart, type ObservedServiceChartProps } from '@bulwark/constructs/k8s';
import { PROVIDERS_KUBERNETES_ENV, providersService } from '../../../lib/services';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const IMAGE = 'registry.example.com/providers:0.1.0';

/** The parts of a synthesized object the tests read; `spec`/`data` are narrowed where used. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
}

export interface Synthesized {
  readonly chart: ObservedServiceChart;
  readonly manifests: Manifest[];
  readonly yaml: string;
}

/** The providers chart with `props`; its env holds the required settings (PROVIDERS_KUBERNETES_ENV) plus `props.env`. */
export function synth(props: Partial<ObservedServiceChartProps> = {}): Synthesized {
  const app = new App();
  const chart = new ObservedServiceChart(app, undefined, { service: providersService, image: IMAGE, ...props, env: { ...PROVIDERS_KUBERNETES_ENV, ...props.env } });
  const manifests = chart.toJson() as Manifest[];
  return { chart, manifests, yaml: app.synthYaml() };
}

export function only(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

export { Yaml };

export interface ValidationResult {
  readonly file: string;
  readonly index: number;
  readonly kind: string;
  readonly name?: string;
  readonly ok: boolean;
  readonly error?: string;
}

const VALIDATOR = join(__dirname, 'validate-manifests.mjs');

/**
 * Validates manifest files against the kubernetes-models and Prometheus Operator schemas. Those
 * packages are ESM-only (jest cannot require them), so a real `node` process runs the validator.
 */
export function validateManifestFiles(files: readonly string[]): ValidationResult[] {
  const run = spawnSync(process.execPath, [VALIDATOR, ...files], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`validator exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as ValidationResult[];
}
