import { App } from 'cdk8s';
import { defineService } from '@bulwark/runtime';
import { ObservedServiceChart, ObservedServiceChartError, type ObservedServiceChartProps } from '@bulwark/constructs/k8s';
import { PROVIDERS_KUBERNETES_ENV, providersService } from '../../../lib/services';
import { IMAGE, synth } from './support';

/** The providers chart with `props`, its env the required settings (PROVIDERS_KUBERNETES_ENV) plus `props.env`. */
function construct(props: Partial<ObservedServiceChartProps>): () => ObservedServiceChart {
  return () => new ObservedServiceChart(new App(), undefined, { service: providersService, image: IMAGE, ...props, env: { ...PROVIDERS_KUBERNETES_ENV, ...props.env } });
}

/** The error's problems, each `prop: message`. */
function problems(props: Partial<ObservedServiceChartProps>): string[] {
  try {
    construct(props)();
  } catch (err) {
    if (err instanceof ObservedServiceChartError) return [...err.problems];
    throw err;
  }
  throw new Error('expected the props to be refused');
}

describe('ObservedServiceChart refuses invalid props at construction, naming the prop', () => {
  const cases: [string, Partial<ObservedServiceChartProps>, string, RegExp][] = [
    ['no replicas', { replicas: 0 }, 'replicas', /at least 1/],
    ['fractional replicas', { replicas: 1.5 }, 'replicas', /whole number/],
    ['minAvailable equal to replicas', { replicas: 2, minAvailable: 2 }, 'minAvailable', /below replicas \(2\)/],
    ['minAvailable above replicas', { replicas: 3, minAvailable: 5 }, 'minAvailable', /below replicas/],
    ['a label value with a space', { serviceMonitorLabels: { release: 'kube prometheus' } }, 'serviceMonitorLabels.release', /alphanumeric/],
    ['a label value over 63 characters', { ruleLabels: { release: 'x'.repeat(64) } }, 'ruleLabels.release', /63/],
    ['a bad label key', { ruleLabels: { 'Not A Key!': 'x' } }, 'ruleLabels', /label key/],
    ['a bad dashboard label value', { dashboardLabel: { name: 'grafana_dashboard', value: 'yes please' } }, 'dashboardLabel.value', /alphanumeric/],
    ['a bad scraper selector', { scraper: { podLabels: { app: '-prometheus' } } }, 'scraper.podLabels.app', /alphanumeric/],
    ['an untagged image', { image: 'registry.example.com/providers' }, 'image', /no tag/],
    ['a registry port mistaken for a tag', { image: 'registry.example.com:5000/providers' }, 'image', /no tag/],
    ['the latest tag', { image: 'providers:latest' }, 'image', /latest/],
    ['a memory limit below its request', { resources: { requests: { memory: '512Mi' }, limits: { memory: '256Mi' } } }, 'resources.limits.memory', /below resources\.requests\.memory/],
    ['a cpu limit below its request', { resources: { requests: { cpu: '2' }, limits: { cpu: '500m' } } }, 'resources.limits.cpu', /below/],
    ['a malformed quantity', { resources: { requests: { cpu: 'two cores' } } }, 'resources.requests.cpu', /not a Kubernetes quantity/],
    ['a containerPort other than the declared port', { containerPort: 9090 }, 'containerPort', /declaration's port 8080/],
    ['a bad service port', { servicePort: 70000 }, 'servicePort', /1 to 65535/],
    ['an unknown flag', { flags: { turbo: true } as unknown as ObservedServiceChartProps['flags'] }, 'flags.turbo', /unknown flag/],
    ['an undeclared env var', { env: { NODE_OPTIONS: '--max-old-space-size=400' } }, 'env.NODE_OPTIONS', /not declared/],
    ['a secret env var passed inline', { env: { PGPASSWORD: 'hunter2' } }, 'env.PGPASSWORD', /declared secret/],
    ['a bad Secret name', { secretName: 'Providers_Secrets' }, 'secretName', /Secret name/],
    ['a bad namespace', { namespace: 'Shop' }, 'namespace', /namespace name/],
    ['a bad scrape interval', { scrapeInterval: '30 seconds' }, 'scrapeInterval', /Prometheus duration/],
    ['a scrape timeout longer than the interval', { scrapeInterval: '15s', scrapeTimeout: '1m' }, 'scrapeTimeout', /longer than scrapeInterval/],
    ['running as root', { runAsUser: 0 }, 'runAsUser', /at least 1/],
    ['a startup grace shorter than the startup budget', { startupGraceSeconds: 2 }, 'startupGraceSeconds', /startup validation budget/],
    ['an empty app client', { appClients: [{}] }, 'appClients[0]', /namespaceLabels, podLabels or both/],
    ['a bad tmp size', { tmpSizeLimit: 'big' }, 'tmpSizeLimit', /quantity/],
    ['appClients neither a list nor any', { appClients: 'all' as unknown as ObservedServiceChartProps['appClients'] }, 'appClients', /or 'any'/],
    ['an app client with a bad label', { appClients: [{ podLabels: { role: 'front end' } }] }, 'appClients[0].podLabels.role', /alphanumeric/],
    ['an empty ingress controller', { ingressController: {} }, 'ingressController', /namespaceLabels, podLabels or both/],
    ['an ingress controller with a bad label key', { ingressController: { namespaceLabels: { 'Ingress Nginx': 'x' } } }, 'ingressController.namespaceLabels', /label key/],
    ['an empty DNS selector', { dns: {} }, 'dns', /namespaceLabels, podLabels or both/],
    ['negative trusted proxy hops', { trustedProxyHops: -1 }, 'trustedProxyHops', /at least 0/],
    ['a port for an undeclared dependency', { dependencyPorts: { queue: 5672 } }, 'dependencyPorts.queue', /declares no dependency of that name; declared: ai, cache, db/],
    ['a bad dependency port', { dependencyPorts: { db: 0 } }, 'dependencyPorts.db', /1 to 65535/],
    ['a dependency port other than the one env gives', { env: { PGPORT: '5434' }, dependencyPorts: { db: 5433 } }, 'dependencyPorts.db', /differs from the port env\.PGPORT gives \(5434\)/],
    ['a dependency port variable that is no port', { env: { PGPORT: 'five' } }, 'env.PGPORT', /port of dependency "db": must be a whole number/],
    ["a servicePort equal to the admin port", { servicePort: 9464 }, 'servicePort', /admin port/],
  ];

  it.each(cases)('%s', (_, props, prop, message) => {
    const found = problems(props);
    const mine = found.filter((p) => p.startsWith(`${prop}: `));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(message);
    expect(() => construct(props)()).toThrow(`service "providers"`);
  });

  it('never echoes a secret value passed inline', () => {
    expect(problems({ env: { PGPASSWORD: 'hunter2' } }).join('\n')).not.toContain('hunter2');
  });

  it('reports every problem at once', () => {
    const found = problems({ replicas: 0, image: 'providers', serviceMonitorLabels: { release: 'a b' } });
    expect(found.map((p) => p.slice(0, p.indexOf(':')))).toEqual(['image', 'replicas', 'serviceMonitorLabels.release']);
  });

  it('requires a value for a required non-secret env var of the declaration', () => {
    const orders = defineService({ name: 'orders', env: { REGION: { required: true, secret: false } } });
    const build = (env: Record<string, string>) => () => new ObservedServiceChart(new App(), undefined, { service: orders, image: 'orders:1.0.0', env });
    expect(build({})).toThrow(/env\.REGION: is required/);
    expect(build({ REGION: 'eu-west-1' })).not.toThrow();
  });

  it('accepts valid edge cases: a digest, a registry port with a tag, replicas 1 with minAvailable 0', () => {
    expect(construct({ image: `registry.example.com:5000/providers@sha256:${'a'.repeat(64)}` })).not.toThrow();
    expect(construct({ image: 'registry.example.com:5000/providers:0.1.0' })).not.toThrow();
    expect(synth({ replicas: 1 }).chart.settings.minAvailable).toBe(0);
  });
});
