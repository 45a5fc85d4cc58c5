import { ADMIN_ENV, FLAG, flagsToEnv, HEALTH_PATH, PORT_ENV, SHUTDOWN_ENV, TRUSTED_PROXY_HOPS_ENV } from '@bulwark/runtime/catalog';
import { renderRuleFile } from '@bulwark/alerts';
import { renderDashboards } from '@bulwark/dashboards';
import { App } from 'cdk8s';
import { JOB_LABEL, KUBELET_LOG_ROTATION, ObservedServiceChart, renderKubeletLogRotation } from '@bulwark/constructs/k8s';
import { PROVIDERS_KUBERNETES_ENV, providersService } from '../../../lib/services';
import { only, synth, type Manifest } from './support';

interface Probe {
  httpGet: { path: string; port: string };
  periodSeconds: number;
  failureThreshold: number;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional: boolean };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  env: EnvVar[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext: Record<string, unknown>;
  volumes: { name: string; emptyDir?: { sizeLimit?: string } }[];
  automountServiceAccountToken: boolean;
}
interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}
function deploymentSpec(manifests: Manifest[]): DeploymentSpec {
  return only(manifests, 'Deployment').spec as unknown as DeploymentSpec;
}
function container(manifests: Manifest[]): Container {
  return deploymentSpec(manifests).template.spec.containers[0]!;
}
function envByName(manifests: Manifest[]): Map<string, EnvVar> {
  return new Map(container(manifests).env.map((e) => [e.name, e]));
}

describe('ObservedServiceChart: the Deployment', () => {
  const { manifests } = synth();

  it('probes the runtime health endpoints on the admin port: startup and liveness /health/live, readiness /health/ready', () => {
    const c = container(manifests);
    expect(c.ports).toEqual([
      expect.objectContaining({ name: 'http', containerPort: providersService.port }),
      expect.objectContaining({ name: 'admin', containerPort: providersService.admin.port }),
    ]);
    expect(c.startupProbe.httpGet).toEqual(expect.objectContaining({ path: HEALTH_PATH.live, port: 'admin' }));
    expect(c.livenessProbe.httpGet).toEqual(expect.objectContaining({ path: HEALTH_PATH.live, port: 'admin' }));
    expect(c.readinessProbe.httpGet).toEqual(expect.objectContaining({ path: HEALTH_PATH.ready, port: 'admin' }));
  });

  it("binds the admin listener to the pod's IP on the declared admin port, and sets the app port", () => {
    const env = envByName(manifests);
    expect(env.get(ADMIN_ENV.host)).toEqual({ name: ADMIN_ENV.host, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    expect(env.get(ADMIN_ENV.port)).toEqual({ name: ADMIN_ENV.port, value: String(providersService.admin.port) });
    expect(env.get(PORT_ENV)).toEqual({ name: PORT_ENV, value: String(providersService.port) });
  });

  it('trusts one proxy hop behind an ingress controller, none without, or what trustedProxyHops says', () => {
    const hops = (props: Parameters<typeof synth>[0]) => envByName(synth(props).manifests).get(TRUSTED_PROXY_HOPS_ENV)?.value;
    expect(hops({})).toBe('0');
    expect(hops({ appClients: [{ podLabels: { role: 'frontend' } }] })).toBe('0');
    expect(hops({ ingressController: { namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } })).toBe('1');
    expect(hops({ ingressController: { podLabels: { app: 'gateway' } }, trustedProxyHops: 2 })).toBe('2');
  });

  it('gives the startup probe at least the declared startup validation budget', () => {
    const { startupProbe } = container(manifests);
    expect(startupProbe.periodSeconds * startupProbe.failureThreshold).toBeGreaterThanOrEqual(providersService.startup.timeoutMs / 1000);
    const longer = container(synth({ startupGraceSeconds: 120 }).manifests).startupProbe;
    expect(longer.periodSeconds * longer.failureThreshold).toBe(120);
  });

  it('sets resource requests and limits (defaults and props)', () => {
    expect(container(manifests).resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    const custom = container(synth({ resources: { requests: { memory: '300Mi' }, limits: { memory: '1Gi' } } }).manifests).resources;
    expect(custom).toEqual({ requests: { cpu: '100m', memory: '300Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  });

  it('runs non-root on a read-only root filesystem with no privileges, every capability dropped, seccomp RuntimeDefault and /tmp on an emptyDir', () => {
    const spec = deploymentSpec(manifests).template.spec;
    const c = spec.containers[0]!;
    expect(c.securityContext).toEqual(
      expect.objectContaining({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      }),
    );
    expect(c.securityContext.runAsUser).toBeGreaterThan(0);
    expect(spec.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
    expect(spec.automountServiceAccountToken).toBe(false);
    const tmp = c.volumeMounts.find((m) => m.mountPath === '/tmp');
    expect(tmp).toBeDefined();
    expect(spec.volumes.find((v) => v.name === tmp!.name)?.emptyDir).toEqual({ sizeLimit: '64Mi' });
  });

  it('sets every feature flag explicitly, from the flags prop over the runtime defaults', () => {
    const env = envByName(manifests);
    for (const [name, value] of Object.entries(flagsToEnv())) expect(env.get(name)).toEqual({ name, value });
    const off = envByName(synth({ flags: { circuitBreaker: false, startupFailOnWarning: true } }).manifests);
    expect(off.get(FLAG.circuitBreaker)?.value).toBe('false');
    expect(off.get(FLAG.startupFailOnWarning)?.value).toBe('true');
    expect(off.get(FLAG.prometheusMetrics)?.value).toBe('true');
  });

  it('drains before the kubelet kills: shutdown settings explicit, grace period covering them', () => {
    const env = envByName(manifests);
    expect(env.get(SHUTDOWN_ENV.drainDelayMs)?.value).toBe('5000');
    expect(env.get(SHUTDOWN_ENV.timeoutMs)?.value).toBe('10000');
    const dep = manifests.find((m) => m.kind === 'Deployment') as unknown as { spec: { template: { spec: { terminationGracePeriodSeconds: number } } } };
    expect(dep.spec.template.spec.terminationGracePeriodSeconds).toBe(20);
    const custom = synth({ drainDelaySeconds: 0, shutdownTimeoutSeconds: 30 }).manifests;
    expect(envByName(custom).get(SHUTDOWN_ENV.drainDelayMs)?.value).toBe('0');
    expect(() => synth({ drainDelaySeconds: -1 })).toThrow(/drainDelaySeconds/);
  });

  it('takes every env var the declaration marks secret from secretKeyRef of the named Secret, never inline', () => {
    const secretNames = Object.entries(providersService.env).filter(([, d]) => d.secret).map(([n]) => n);
    expect(secretNames.length).toBeGreaterThan(0);
    for (const secretName of ['providers-secrets', 'vault-synced']) {
      const { manifests: m } = synth(secretName === 'providers-secrets' ? {} : { secretName });
      const env = envByName(m);
      for (const name of secretNames) {
        const entry = env.get(name);
        expect(entry?.value).toBeUndefined();
        expect(entry?.valueFrom?.secretKeyRef).toEqual({ name: secretName, key: name, optional: !providersService.env[name]!.required });
      }
      // No Secret object is synthesized: the chart only references it.
      expect(m.filter((x) => x.kind === 'Secret')).toEqual([]);
    }
  });

  it('puts non-secret declared env values in a ConfigMap the container references, and rolls pods when a value changes', () => {
    // The required ones (PGHOST, PGDATABASE, PGUSER) are always there; synth() gives PROVIDERS_KUBERNETES_ENV.
    expect(only(manifests, 'ConfigMap', 'providers-env').data).toEqual(PROVIDERS_KUBERNETES_ENV);
    expect(() => new ObservedServiceChart(new App(), undefined, { service: providersService, image: 'providers:0.1.0' })).toThrow(/env\.PGHOST: is required by the "providers" declaration; give its value in env/);
    const a = synth({ env: { OPENAI_BASE_URL: 'http://openai-proxy.ai.svc:8080/v1' } }).manifests;
    expect(only(a, 'ConfigMap', 'providers-env').data).toEqual({ ...PROVIDERS_KUBERNETES_ENV, OPENAI_BASE_URL: 'http://openai-proxy.ai.svc:8080/v1' });
    expect(envByName(a).get('OPENAI_BASE_URL')).toEqual({
      name: 'OPENAI_BASE_URL',
      valueFrom: { configMapKeyRef: { name: 'providers-env', key: 'OPENAI_BASE_URL' } },
    });
    const b = synth({ env: { OPENAI_BASE_URL: 'http://other:8080/v1' } }).manifests;
    const checksum = (m: Manifest[]) => deploymentSpec(m).template.metadata.annotations?.['bulwark.dev/env-checksum'];
    expect(checksum(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(checksum(b)).not.toBe(checksum(a));
  });

  it('has replicas from props and a selector matching its pod labels', () => {
    const spec = deploymentSpec(synth({ replicas: 3 }).manifests);
    expect(spec.replicas).toBe(3);
    expect(spec.template.metadata.labels).toEqual(expect.objectContaining(spec.selector.matchLabels));
  });
});

describe('ObservedServiceChart: job label, Service and ServiceMonitor', () => {
  const { manifests } = synth();
  const service = only(manifests, 'Service');
  const monitor = only(manifests, 'ServiceMonitor');
  const monitorSpec = monitor.spec as {
    jobLabel: string;
    selector: { matchLabels: Record<string, string> };
    endpoints: { port: string; path: string; interval: string }[];
  };

  it('derives job="<service name>", the job every generated rule and dashboard selects', () => {
    // The operator sets `job` to the value of the Service label named by jobLabel (or, without it, the Service name).
    const job = service.metadata.labels?.[monitorSpec.jobLabel];
    expect(monitorSpec.jobLabel).toBe(JOB_LABEL);
    expect(job).toBe(providersService.name);
    expect(service.metadata.name).toBe(providersService.name);

    const jobsIn = (text: string) => new Set([...text.matchAll(/job=\\?"([^"\\]*)\\?"/g)].map((m) => m[1]));
    expect(jobsIn(renderRuleFile(providersService))).toEqual(new Set([job]));
    for (const json of Object.values(renderDashboards(providersService))) expect(jobsIn(json)).toEqual(new Set([job]));
  });

  it("selects the Service and scrapes /metrics on its admin port, the admin listener's", () => {
    expect(service.metadata.labels).toEqual(expect.objectContaining(monitorSpec.selector.matchLabels));
    const ports = (service.spec as { ports: { name: string; port: number; targetPort: string }[] }).ports;
    expect(monitorSpec.endpoints).toEqual([expect.objectContaining({ port: 'admin', path: HEALTH_PATH.metrics, interval: '30s' })]);
    expect(ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'admin', port: providersService.admin.port, targetPort: 'admin', protocol: 'TCP' },
    ]);
  });

  it('carries the operator selector label: release=kube-prometheus-stack by default, or the prop', () => {
    expect(monitor.metadata.labels).toEqual(expect.objectContaining({ release: 'kube-prometheus-stack' }));
    const custom = only(synth({ serviceMonitorLabels: { release: 'monitoring' }, ruleLabels: { prometheus: 'main' } }).manifests, 'ServiceMonitor');
    expect(custom.metadata.labels).toEqual(expect.objectContaining({ release: 'monitoring' }));
  });
});

describe('ObservedServiceChart: PrometheusRule and dashboards', () => {
  it('labels the PrometheusRule for the ruleSelector (default and prop)', () => {
    expect(only(synth().manifests, 'PrometheusRule').metadata.labels).toEqual(expect.objectContaining({ release: 'kube-prometheus-stack' }));
    const rule = only(synth({ ruleLabels: { role: 'alert-rules' } }).manifests, 'PrometheusRule');
    expect(rule.metadata.labels).toEqual(expect.objectContaining({ role: 'alert-rules' }));
    expect(rule.metadata.labels?.release).toBeUndefined();
  });

  it('puts each dashboard in its own ConfigMap labelled for the sidecar, JSON in data (never annotations), under 1 MiB', () => {
    const dashboards = synth().manifests.filter((m) => m.kind === 'ConfigMap' && m.metadata.name !== 'providers-env');
    expect(dashboards.map((m) => m.metadata.name).sort()).toEqual(
      Object.keys(renderDashboards(providersService)).map((p) => `providers-dashboard-${p.replace(/^.*\//, '').replace(/\.json$/, '')}`).sort(),
    );
    for (const cm of dashboards) {
      expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
      expect(cm.metadata.annotations).toBeUndefined();
      const keys = Object.keys(cm.data ?? {});
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/^providers-[a-z-]+\.json$/);
      expect(Buffer.byteLength(JSON.stringify(cm), 'utf8')).toBeLessThan(1024 * 1024);
    }
  });

  it('uses the dashboard label and namespace props', () => {
    const cms = synth({ dashboardLabel: { name: 'grafana.io/dashboard', value: 'bulwark' }, namespace: 'shop', dashboardNamespace: 'grafana' }).manifests.filter(
      (m) => m.kind === 'ConfigMap' && m.metadata.name !== 'providers-env',
    );
    expect(cms.length).toBeGreaterThan(0);
    for (const cm of cms) {
      expect(cm.metadata.labels?.['grafana.io/dashboard']).toBe('bulwark');
      expect(cm.metadata.labels?.grafana_dashboard).toBeUndefined();
      expect(cm.metadata.namespace).toBe('grafana');
    }
  });
});

describe('ObservedServiceChart: availability and network', () => {
  it('keeps minAvailable pods during drains, selecting the Deployment pods', () => {
    const { manifests } = synth({ replicas: 4, minAvailable: 2 });
    const pdb = only(manifests, 'PodDisruptionBudget').spec as { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    expect(pdb.minAvailable).toBe(2);
    expect(pdb.selector).toEqual(deploymentSpec(manifests).selector);
    expect((only(synth().manifests, 'PodDisruptionBudget').spec as { minAvailable: number }).minAvailable).toBe(1);
  });

  it('puts every object in the namespace prop', () => {
    const { manifests } = synth({ namespace: 'shop' });
    for (const m of manifests) expect(m.metadata.namespace).toBe('shop');
  });
});

describe('kubelet log rotation', () => {
  it('exports the seeds 10 MiB x 3 files and renders them as a KubeletConfiguration fragment', () => {
    expect(KUBELET_LOG_ROTATION).toEqual({ containerLogMaxSize: '10Mi', containerLogMaxFiles: 3 });
    const text = renderKubeletLogRotation();
    expect(text).toContain('kind: KubeletConfiguration');
    expect(text).toContain('containerLogMaxSize: 10Mi');
    expect(text).toContain('containerLogMaxFiles: 3');
    expect(() => renderKubeletLogRotation({ containerLogMaxSize: '10Mi', containerLogMaxFiles: 1 })).toThrow(/containerLogMaxFiles/);
    expect(() => renderKubeletLogRotation({ containerLogMaxSize: 'ten megs', containerLogMaxFiles: 3 })).toThrow(/containerLogMaxSize/);
  });
});
