import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createShapeChecker } from './strict-shapes';
import { REPO_ROOT, synth, validateManifestFiles, Yaml, type Manifest } from './support';

describe('synthesized manifests against the Kubernetes and Prometheus Operator schemas', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-k8s-schema-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, yaml: string): string {
    const path = join(dir, name);
    writeFileSync(path, yaml);
    return path;
  }

  it('validates every object of the default chart and of a chart using every prop', () => {
    const defaults = write('defaults.k8s.yaml', synth().yaml);
    const everything = write(
      'everything.k8s.yaml',
      synth({
        namespace: 'shop',
        replicas: 3,
        minAvailable: 2,
        resources: { requests: { cpu: '250m', memory: '300Mi' }, limits: { cpu: '2', memory: '1Gi' } },
        servicePort: 8080,
        flags: { circuitBreaker: false },
        env: { OPENAI_BASE_URL: 'http://openai-proxy:8080/v1' },
        secretName: 'providers-from-vault',
        serviceMonitorLabels: { release: 'prom' },
        scrapeInterval: '15s',
        scrapeTimeout: '5s',
        ruleLabels: { release: 'prom', role: 'alert-rules' },
        runbookBaseUrl: 'https://runbooks.example.com/',
        dashboardLabel: { name: 'grafana_dashboard', value: 'bulwark' },
        dashboardNamespace: 'grafana',
        scraper: { namespaceLabels: { 'kubernetes.io/metadata.name': 'observability' }, podLabels: { app: 'prometheus' } },
        appClients: [{ namespaceLabels: { team: 'web' } }, { podLabels: { role: 'gateway' } }],
        ingressController: { namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' }, podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
        trustedProxyHops: 2,
        dns: { namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' }, podLabels: { 'k8s-app': 'coredns' } },
        dependencyPorts: { db: 5433, ai: 8080 },
        runAsUser: 1000,
        startupGraceSeconds: 90,
        tmpSizeLimit: '128Mi',
      }).yaml,
    );
    const open = write('open.k8s.yaml', synth({ appClients: 'any', restrictEgress: false }).yaml);
    const results = validateManifestFiles([defaults, everything, open]);
    const kinds = new Set(results.map((r) => r.kind));
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap']) {
      expect(kinds).toContain(kind);
    }
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(3 * 11);
  });

  it('rejects a manifest with a bad field: an invalid duration, a wrong type, a bad quantity', () => {
    const docs = parseAllDocuments(synth().yaml).map((d) => d.toJS() as Manifest & { spec: Record<string, unknown> });
    const monitor = structuredClone(docs.find((d) => d.kind === 'ServiceMonitor')!);
    (monitor.spec.endpoints as { interval: string }[])[0]!.interval = 'thirty seconds';
    const deployment = structuredClone(docs.find((d) => d.kind === 'Deployment')!);
    deployment.spec.replicas = 'two';
    const rule = structuredClone(docs.find((d) => d.kind === 'PrometheusRule')!);
    const alerting = (rule.spec.groups as { rules: { alert?: string; for?: string }[] }[]).flatMap((g) => g.rules).find((r) => r.alert && r.for);
    alerting!.for = '5 minutes';
    const limited = structuredClone(docs.find((d) => d.kind === 'Deployment')!);
    const containers = (limited.spec.template as { spec: { containers: { resources: { limits: Record<string, string> } }[] } }).spec.containers;
    containers[0]!.resources.limits.memory = 'half a gig';

    const results = validateManifestFiles([write('bad.k8s.yaml', Yaml.stringify(monitor, deployment, rule, limited))]);
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false]);
    expect(results[0]!.error).toMatch(/endpoints\/0\/interval/);
    expect(results[1]!.error).toMatch(/spec\/replicas must be integer/);
    expect(results[2]!.error).toMatch(/rules\/\d+\/for/);
    expect(results[3]!.error).toMatch(/limits\/memory/);
  });

  describe('strictly: no field the Kubernetes and Prometheus Operator declarations do not have', () => {
    const shapes = createShapeChecker(REPO_ROOT);
    const everything = synth({
      namespace: 'shop',
      env: { OPENAI_BASE_URL: 'http://openai-proxy:8080/v1' },
      appClients: [{ podLabels: { role: 'gateway' } }],
      ingressController: { namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
    });

    it('finds none in any object of the chart, the NetworkPolicy egress and the admin ports included', () => {
      const manifests = parseAllDocuments(everything.yaml).map((d) => d.toJS() as Manifest);
      expect(new Set(manifests.map((m) => m.kind)).size).toBeGreaterThanOrEqual(7);
      const policy = manifests.find((m) => m.kind === 'NetworkPolicy')!.spec as { egress?: unknown[]; ingress?: unknown[] };
      expect(policy.egress?.length).toBeGreaterThan(0);
      expect(policy.ingress?.length).toBe(2);
      expect(manifests.flatMap((m) => shapes.unknownFields(m).map((f) => `${m.kind} ${m.metadata.name}: ${f}`))).toEqual([]);
    });

    it('finds a misspelled field in a NetworkPolicy egress rule', () => {
      const docs = parseAllDocuments(everything.yaml).map((d) => d.toJS() as Manifest & { spec: Record<string, unknown> });
      const policy = structuredClone(docs.find((d) => d.kind === 'NetworkPolicy')!);
      (policy.spec.egress as Record<string, unknown>[])[0]!.too = [];
      expect(shapes.unknownFields(policy)).toEqual(['spec.egress[0].too']);
    });

    it('finds a misspelled field wherever it is, and leaves maps (labels, data) alone', () => {
      const docs = parseAllDocuments(everything.yaml).map((d) => d.toJS() as Manifest & { spec: Record<string, unknown> });
      const deployment = structuredClone(docs.find((d) => d.kind === 'Deployment')!);
      const container = (deployment.spec.template as { spec: { containers: Record<string, unknown>[] } }).spec.containers[0]!;
      container.portz = [{ containerPort: 8080 }];
      (deployment.metadata.labels as Record<string, string>)['any-label'] = 'fine';
      const monitor = structuredClone(docs.find((d) => d.kind === 'ServiceMonitor')!);
      (monitor.spec.endpoints as Record<string, unknown>[])[0]!.intervall = '30s';
      expect(shapes.unknownFields(deployment)).toEqual(['spec.template.spec.containers[0].portz']);
      expect(shapes.unknownFields(monitor)).toEqual(['spec.endpoints[0].intervall']);
    });
  });
});
