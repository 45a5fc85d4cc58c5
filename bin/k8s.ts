#!/usr/bin/env node
/**
 * Synthesizes the Kubernetes manifests of every declared service (ObservedServiceChart) into one
 * folder, with a README and the kubelet log-rotation snippet beside them.
 * Run on its own with `npx tsx bin/k8s.ts [outdir]` (default dist/k8s).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ServiceDeclaration } from '@bulwark/runtime';
import { App, YamlOutputType } from 'cdk8s';
import {
  KUBELET_CONFIG_FILE,
  KUBELET_LOG_ROTATION,
  ObservedServiceChart,
  renderKubeletLogRotation,
  renderManifestsReadme,
  type ObservedServiceChartProps,
} from '@bulwark/constructs/k8s';
import { DEPLOYMENTS, SERVICES } from '../lib/services';

const MANIFEST_EXTENSION = '.k8s.yaml';

export interface SynthKubernetesOptions {
  /** The services to synthesize. @default SERVICES */
  readonly services?: readonly ServiceDeclaration[];
  /** Image per service name. @default `<service name>:<declared version>` */
  readonly images?: Readonly<Record<string, string>>;
  /** Extra chart props per service name (everything but `service` and `image`); `env` adds to the deployment's `kubernetesEnv`. */
  readonly chartProps?: Readonly<Record<string, Omit<ObservedServiceChartProps, 'service' | 'image'>>>;
}

/** The image a service is deployed from unless told otherwise: its name tagged with its declared version. */
export function defaultImage(service: ServiceDeclaration): string {
  return `${service.name}:${service.version}`;
}

/**
 * Writes `<service>.k8s.yaml` per service, `README.md` and `node/kubelet-log-rotation.yaml` under
 * `outdir`, removing manifests of services that no longer exist. Returns the written paths.
 */
export function synthKubernetesManifests(outdir = 'dist/k8s', options: SynthKubernetesOptions = {}): string[] {
  const services = options.services ?? SERVICES;
  const app = new App({ outdir, outputFileExtension: MANIFEST_EXTENSION, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const charts = services.map((service) => {
    const props = options.chartProps?.[service.name];
    const deployment = DEPLOYMENTS.find((d) => d.service.name === service.name);
    const env = { ...deployment?.kubernetesEnv, ...props?.env };
    return new ObservedServiceChart(app, service.name, {
      ...deployment?.kubernetesChart,
      ...props,
      ...(Object.keys(env).length ? { env } : {}),
      service,
      image: options.images?.[service.name] ?? defaultImage(service),
    });
  });
  const manifestFiles = charts.map((chart) => `${chart.node.id}${MANIFEST_EXTENSION}`);

  mkdirSync(outdir, { recursive: true });
  for (const existing of readdirSync(outdir)) {
    if (existing.endsWith(MANIFEST_EXTENSION) && !manifestFiles.includes(existing)) rmSync(join(outdir, existing));
  }
  app.synth();

  const kubeletPath = join(outdir, ...KUBELET_CONFIG_FILE.split('/'));
  mkdirSync(dirname(kubeletPath), { recursive: true });
  writeFileSync(kubeletPath, renderKubeletLogRotation(KUBELET_LOG_ROTATION));
  const readmePath = join(outdir, 'README.md');
  writeFileSync(readmePath, renderManifestsReadme(charts, manifestFiles, KUBELET_LOG_ROTATION));

  return [...manifestFiles.map((file) => join(outdir, file)), kubeletPath, readmePath];
}

/** `BULWARK_IMAGE_<NAME>` (name upper-cased, `-` as `_`) overrides a service's image. */
function imagesFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const images: Record<string, string> = {};
  for (const service of SERVICES) {
    const value = env[`BULWARK_IMAGE_${service.name.toUpperCase().replace(/-/g, '_')}`];
    if (value) images[service.name] = value;
  }
  return images;
}

if (require.main === module) {
  const outdir = process.argv[2] ?? 'dist/k8s';
  for (const file of synthKubernetesManifests(outdir, { images: imagesFromEnv(process.env) })) console.log(`wrote ${file}`);
}
