import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { defaultImage, synthKubernetesManifests } from '../../../bin/k8s';
import { KUBELET_LOG_ROTATION } from '@bulwark/constructs/k8s';
import { providersService } from '../../../lib/services';
import { validateManifestFiles, type Manifest } from './support';

describe('synthKubernetesManifests', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-k8s-out-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one manifest file per service, the README and the kubelet snippet, and returns their paths', () => {
    const outdir = join(dir, 'k8s');
    const written = synthKubernetesManifests(outdir);
    expect(written).toEqual([join(outdir, 'providers.k8s.yaml'), join(outdir, 'node', 'kubelet-log-rotation.yaml'), join(outdir, 'README.md')]);
    for (const file of written) expect(existsSync(file)).toBe(true);

    const objects = parseAllDocuments(readFileSync(written[0]!, 'utf8')).map((d) => d.toJS() as Manifest);
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap']));
    const container = (objects.find((o) => o.kind === 'Deployment')!.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!;
    expect(container.image).toBe(defaultImage(providersService));
    expect(validateManifestFiles([written[0]!]).filter((r) => !r.ok)).toEqual([]);

    const kubelet = readFileSync(written[1]!, 'utf8');
    expect(kubelet).toContain(`containerLogMaxSize: ${KUBELET_LOG_ROTATION.containerLogMaxSize}`);
    expect(kubelet).toContain(`containerLogMaxFiles: ${KUBELET_LOG_ROTATION.containerLogMaxFiles}`);
    const readme = readFileSync(written[2]!, 'utf8');
    expect(readme).toContain('providers-secrets');
    expect(readme).toContain('containerLogMaxSize');
    expect(readme).toContain('release: "kube-prometheus-stack"');
  });

  it('uses the given images and chart props, writes the same bytes twice and removes manifests of services that are gone', () => {
    writeFileSync(join(dir, 'retired.k8s.yaml'), 'kind: Deployment\n');
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const options = { images: { providers: 'registry.example.com/providers:9.9.9' }, chartProps: { providers: { replicas: 3 } } };
    const [manifest] = synthKubernetesManifests(dir, options);
    const first = readFileSync(manifest!, 'utf8');
    expect(first).toContain('image: registry.example.com/providers:9.9.9');
    expect(first).toContain('replicas: 3');
    synthKubernetesManifests(dir, options);
    expect(readFileSync(manifest!, 'utf8')).toBe(first);
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'node', 'notes.txt', 'providers.k8s.yaml']);
  });

  it('fails on invalid props before writing any manifest', () => {
    expect(() => synthKubernetesManifests(dir, { chartProps: { providers: { replicas: 0 } } })).toThrow(/replicas: must be a whole number at least 1/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
