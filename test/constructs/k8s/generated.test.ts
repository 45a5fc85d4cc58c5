import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { dashboardDataKey, renderManifestsReadme } from '@bulwark/constructs/k8s';
import { providersService } from '../../../lib/services';
import { only, REPO_ROOT, synth, Yaml, type Manifest } from './support';

const RULE_FILE = join(REPO_ROOT, 'monitoring', `${providersService.name}.rules.yml`);
const DASHBOARD_DIR = join(REPO_ROOT, 'monitoring', 'dashboards', providersService.name);

describe('the chart carries exactly the committed generated monitoring files', () => {
  const { chart, manifests, yaml } = synth();
  // The YAML a user applies, parsed back: what matters is what survives serialisation.
  const applied = parseAllDocuments(yaml).map((d) => d.toJS() as Manifest);

  it('PrometheusRule spec.groups deep-equal the groups of monitoring/<service>.rules.yml, but the Heartbeat (kube-prometheus-stack has its Watchdog)', () => {
    const all = (parse(readFileSync(RULE_FILE, 'utf8')) as { groups: { name: string }[] }).groups;
    const committed = all.filter((g) => g.name !== `${providersService.name}-heartbeat`);
    expect(committed.length).toBe(all.length - 1);
    expect((only(manifests, 'PrometheusRule').spec as { groups: unknown }).groups).toEqual(committed);
    expect((only(applied, 'PrometheusRule').spec as { groups: unknown }).groups).toEqual(committed);
  });

  it('with heartbeat: true, PrometheusRule holds the whole rule file, Heartbeat included', () => {
    const all = (parse(readFileSync(RULE_FILE, 'utf8')) as { groups: unknown[] }).groups;
    const withHeartbeat = synth({ heartbeat: true });
    expect((only(withHeartbeat.manifests, 'PrometheusRule').spec as { groups: unknown }).groups).toEqual(all);
    // The manifests' README says which, and why.
    expect(renderManifestsReadme([chart], ['providers.k8s.yaml'])).toContain("without the always-firing `Heartbeat`: kube-prometheus-stack's own `Watchdog`");
    expect(renderManifestsReadme([withHeartbeat.chart], ['providers.k8s.yaml'])).toContain('with the always-firing `Heartbeat` (severity `heartbeat`)');
  });

  it('each dashboard ConfigMap data equals its monitoring/dashboards/<service>/<stem>.json byte for byte', () => {
    const stems = Object.keys(chart.dashboardConfigMaps);
    expect(stems.length).toBeGreaterThan(0);
    for (const stem of stems) {
      const committed = readFileSync(join(DASHBOARD_DIR, `${stem}.json`));
      const key = dashboardDataKey(chart.settings, stem);
      for (const objects of [manifests, applied]) {
        const data = only(objects, 'ConfigMap', `providers-dashboard-${stem}`).data ?? {};
        expect(Object.keys(data)).toEqual([key]);
        expect(Buffer.from(data[key]!, 'utf8').equals(committed)).toBe(true);
      }
    }
  });
});

describe('synthesis is deterministic', () => {
  it('gives byte-identical YAML on every run, with the explicit names (no construct-path hashes)', () => {
    const first = synth().yaml;
    expect(synth().yaml).toBe(first);
    const names = synth().manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(names).toEqual([
      'ConfigMap/providers-env',
      'Deployment/providers',
      'Service/providers',
      'PodDisruptionBudget/providers',
      'NetworkPolicy/providers',
      'ServiceMonitor/providers',
      'PrometheusRule/providers-rules',
      'ConfigMap/providers-dashboard-overview',
      'ConfigMap/providers-dashboard-dependencies',
      'ConfigMap/providers-dashboard-circuit-breakers',
      'ConfigMap/providers-dashboard-degradation',
      'ConfigMap/providers-dashboard-runtime',
    ]);
  });

  /**
   * The snapshot covers the Kubernetes side. The rule groups and dashboard JSON are replaced by a
   * pointer to their committed file: the tests above compare them exactly, and the alerts and
   * dashboards have their own committed files and tests, so changing them does not churn this snapshot.
   */
  it('matches the snapshot', () => {
    const docs = synth({ env: { OPENAI_BASE_URL: 'http://openai-proxy.ai.svc:8080/v1' } }).manifests.map((m) => {
      if (m.kind === 'PrometheusRule') {
        const groups = (m.spec as { groups: { name: string; rules: unknown[] }[] }).groups;
        return { ...m, spec: { groups: `<${groups.length} groups equal to monitoring/providers.rules.yml: ${groups.map((g) => g.name).join(', ')}>` } };
      }
      if (m.kind === 'ConfigMap' && m.metadata.name.startsWith('providers-dashboard-')) {
        const data = Object.fromEntries(
          Object.keys(m.data ?? {}).map((key) => [key, `<equal to monitoring/dashboards/providers/${key.replace(/^providers-/, '')}>`]),
        );
        return { ...m, data };
      }
      return m;
    });
    expect(Yaml.stringify(...docs)).toMatchSnapshot();
  });
});
