import { App } from 'cdk8s';
import { defineKind, defineService, registerKind } from '@bulwark/runtime';
import { METRICS } from '@bulwark/runtime/catalog';
import { ObservedServiceChart, renderManifestsReadme, type ObservedServiceChartProps } from '@bulwark/constructs/k8s';
import { providersService } from '../../../lib/services';
import { admits, letsOut, policyOf, type Endpoint } from './network-policy';
import { only, synth, type Manifest } from './support';

const APP = providersService.port;
const ADMIN = providersService.admin.port;

const prometheus: Endpoint = { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } };
const grafana: Endpoint = { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'grafana' } };
/** A pod in the service's own namespace wearing Prometheus's label: the namespace must match too. */
const impostor: Endpoint = { namespace: 'shop', podLabels: { 'app.kubernetes.io/name': 'prometheus' } };
const ingressNginx: Endpoint = { namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
const frontend: Endpoint = { namespace: 'shop', podLabels: { role: 'frontend' } };
const webTeam: Endpoint = { namespace: 'web', namespaceLabels: { team: 'web' }, podLabels: { app: 'storefront' } };
const outside: Endpoint = {};
const EVERYONE = { prometheus, grafana, impostor, ingressNginx, frontend, webTeam, outside };

const INGRESS_NGINX = { namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' }, podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } };

function policy(props: Partial<ObservedServiceChartProps> = {}) {
  return policyOf(synth({ namespace: 'shop', ...props }).manifests);
}

/** The names of the sources the policy lets reach `port`. */
function admitted(props: Partial<ObservedServiceChartProps>, port: number): string[] {
  const np = policy(props);
  return Object.entries(EVERYONE)
    .filter(([, source]) => admits(np, source, port))
    .map(([name]) => name);
}

describe('NetworkPolicy ingress: only what is named gets in', () => {
  const configurations: [string, Partial<ObservedServiceChartProps>][] = [
    ['the defaults', {}],
    ['an ingress controller and clients', { ingressController: INGRESS_NGINX, appClients: [{ podLabels: { role: 'frontend' } }, { namespaceLabels: { team: 'web' } }] }],
    ["appClients: 'any'", { appClients: 'any' }],
  ];

  it.each(configurations)('admits the admin port (/metrics, /health*) from the scraper only, with %s', (_, props) => {
    expect(admitted(props, ADMIN)).toEqual(['prometheus']);
  });

  it('admits nobody on the app port by default: no rule beyond the scrape', () => {
    expect(admitted({}, APP)).toEqual([]);
    const np = policy();
    expect(np.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
        ports: [{ port: ADMIN, protocol: 'TCP' }],
      },
    ]);
  });

  it('admits the app port from the ingress controller and the named appClients only', () => {
    expect(admitted({ ingressController: INGRESS_NGINX }, APP)).toEqual(['ingressNginx']);
    expect(admitted({ appClients: [{ podLabels: { role: 'frontend' } }] }, APP)).toEqual(['frontend']);
    expect(admitted({ ingressController: INGRESS_NGINX, appClients: [{ podLabels: { role: 'frontend' } }, { namespaceLabels: { team: 'web' } }] }, APP)).toEqual([
      'ingressNginx',
      'frontend',
      'webTeam',
    ]);
  });

  it("admits every source on the app port only when told: appClients: 'any'", () => {
    expect(admitted({ appClients: 'any' }, APP)).toEqual(Object.keys(EVERYONE));
    const open = policy({ appClients: 'any' }).ingress!.find((rule) => rule.from === undefined);
    expect(open?.ports).toEqual([{ port: APP, protocol: 'TCP' }]);
  });

  it('lets the scraper use its selectors from props, and no other port', () => {
    const props = { scraper: { namespaceLabels: { team: 'observability' }, podLabels: { app: 'prom' } } };
    const np = policy(props);
    const custom: Endpoint = { namespace: 'obs', namespaceLabels: { team: 'observability' }, podLabels: { app: 'prom' } };
    expect(admits(np, custom, ADMIN)).toBe(true);
    expect(admits(np, custom, APP)).toBe(false);
    expect(admits(np, prometheus, ADMIN)).toBe(false);
  });

  it('routes every Service port to a pod port the policy guards: admin only from the scraper', () => {
    const { manifests } = synth({ namespace: 'shop', appClients: 'any' });
    const ports = (only(manifests, 'Service').spec as { ports: { name: string; port: number; targetPort: string }[] }).ports;
    const container = (only(manifests, 'Deployment').spec as { template: { spec: { containers: { ports: { name: string; containerPort: number }[] }[] } } })
      .template.spec.containers[0]!;
    const targetOf = (name: string) => container.ports.find((p) => p.name === ports.find((s) => s.name === name)?.targetPort)?.containerPort;
    expect(targetOf('admin')).toBe(ADMIN);
    expect(targetOf('http')).toBe(APP);
    expect(ports.map((p) => p.name)).toEqual(['http', 'admin']);
    expect(Object.values(EVERYONE).filter((s) => admits(policyOf(manifests), s, targetOf('admin')!))).toEqual([prometheus]);
  });
});

describe('NetworkPolicy egress: DNS, the dependencies and HTTPS', () => {
  const dnsPod: Endpoint = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } };
  const database: Endpoint = {};

  it('allows DNS over UDP and TCP 53 to the cluster DNS pods only', () => {
    const np = policy();
    expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(letsOut(np, dnsPod, 53, 'UDP')).toBe(true);
    expect(letsOut(np, dnsPod, 53, 'TCP')).toBe(true);
    expect(letsOut(np, frontend, 53, 'UDP')).toBe(false);
    expect(letsOut(np, outside, 53, 'UDP')).toBe(false);
    expect(np.egress![0]).toEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
  });

  it("allows TCP to the declared dependencies' ports (their kinds' defaults) and 443, to any destination, and nothing else", () => {
    const np = policy();
    for (const port of [5432, 6379, 443]) expect(letsOut(np, database, port)).toBe(true);
    for (const port of [80, 22, 8080, 5433, ADMIN]) expect(letsOut(np, database, port)).toBe(false);
    expect(letsOut(np, database, 5432, 'UDP')).toBe(false);
    expect(np.egress![1]).toEqual({ ports: [443, 5432, 6379].map((port) => ({ port, protocol: 'TCP' })) });
  });

  it('takes a dependency port from dependencyPorts, or from the port variable given in env', () => {
    const moved = policy({ dependencyPorts: { db: 5433, ai: 8080 } });
    expect(letsOut(moved, database, 5433)).toBe(true);
    expect(letsOut(moved, database, 8080)).toBe(true);
    expect(letsOut(moved, database, 5432)).toBe(false);
    const fromEnv = policy({ env: { PGPORT: '5434', REDIS_PORT: '6380' } });
    expect(letsOut(fromEnv, database, 5434)).toBe(true);
    expect(letsOut(fromEnv, database, 6380)).toBe(true);
    expect(letsOut(fromEnv, database, 6379)).toBe(false);
    // 443 stays open for HTTPS APIs whatever the dependencies' ports.
    expect(letsOut(moved, database, 443)).toBe(true);
  });

  it('leaves egress open with restrictEgress: false', () => {
    const np = policy({ restrictEgress: false });
    expect(np.policyTypes).toEqual(['Ingress']);
    expect(np.egress).toBeUndefined();
    expect(letsOut(np, database, 25)).toBe(true);
  });

  it("uses a kind's defaultPort, and assumes HTTPS for a kind without one unless told", () => {
    const broker = registerKind(
      defineKind({
        name: 'k8s-test-broker',
        title: 'Test broker',
        defaultPort: 5671,
        defaults: { breaker: { failureThreshold: 5, resetTimeoutMs: 10_000, successThreshold: 1, timeoutMs: 1_000 }, impact: 'DEGRADED', slowThresholdMs: 0, critical: false },
        provides: [],
        callMetrics: { calls: METRICS.dependencyRequestsTotal, errors: METRICS.dependencyErrorsTotal, duration: METRICS.dependencyRequestDurationSeconds, callsBy: ['operation'], errorsBy: ['operation', 'error_type'] },
      }),
    );
    const orders = defineService({ name: 'orders', dependencies: { events: { kind: broker.name }, payments: { kind: 'http' } } });
    const chart = (props: Partial<ObservedServiceChartProps>) => () => new ObservedServiceChart(new App(), undefined, { service: orders, image: 'orders:1.0.0', ...props });
    const egressPorts = (props: Partial<ObservedServiceChartProps>) => policyOf(chart(props)().toJson() as Manifest[]).egress![1]!.ports!.map((p) => p.port);
    expect(egressPorts({})).toEqual([443, 5671]);
    expect(renderManifestsReadme([chart({})()], ['orders.k8s.yaml'])).toContain(
      'TCP 443 (HTTPS APIs, payments: no port known, HTTPS assumed; set `dependencyPorts.payments` otherwise), 5671 (events) to any destination.',
    );
    expect(egressPorts({ dependencyPorts: { payments: 8443 } })).toEqual([443, 5671, 8443]);
    expect(() => defineKind({ ...broker, name: 'k8s-test-broker-2', defaultPort: 70_000 })).toThrow(/defaultPort: must be a whole number from 1 to 65535/);
  });

  it("takes the port of a dependency's URL given in env: explicit, or the scheme's", () => {
    const billing = defineService({
      name: 'billing',
      dependencies: { payments: { kind: 'http', env: 'PAYMENTS_URL' } },
      env: { PAYMENTS_URL: { required: true, secret: false } },
    });
    const ports = (url: string) =>
      policyOf(new ObservedServiceChart(new App(), undefined, { service: billing, image: 'billing:1.0.0', env: { PAYMENTS_URL: url } }).toJson() as Manifest[]).egress![1]!.ports!.map(
        (p) => p.port,
      );
    expect(ports('http://payments.payments.svc.cluster.local')).toEqual([80, 443]);
    expect(ports('https://payments.example.com:8443/v2')).toEqual([443, 8443]);
    expect(ports('https://payments.example.com')).toEqual([443]);
  });
});

describe("the manifests' README says what is exposed where", () => {
  const readme = (props: Partial<ObservedServiceChartProps>) => renderManifestsReadme([synth(props).chart], ['providers.k8s.yaml']);

  it('names the admin port, its endpoints and its only client, the app port and its clients, and the egress', () => {
    const text = readme({});
    expect(text).toContain(`admin port ${ADMIN} (\`admin\`, Service port ${ADMIN}): \`/metrics\`, \`/health/live\`, \`/health/ready\`, \`/health\`, bound to the pod's IP, only from Prometheus`);
    expect(text).toContain(`app port ${APP} (\`http\`, Service port 80): the application and \`/health/ready\`, from nobody`);
    expect(text).toContain('`TRUSTED_PROXY_HOPS=0`');
    expect(text).toContain('Egress only to DNS (UDP and TCP 53) at namespaces `kubernetes.io/metadata.name: "kube-system"`, pods `k8s-app: "kube-dns"`, and TCP 443 (HTTPS APIs, ai), 5432 (db), 6379 (cache) to any destination.');
  });

  it('follows the props: ingress controller, clients, any source, open egress', () => {
    const fronted = readme({ ingressController: INGRESS_NGINX, appClients: [{ podLabels: { role: 'frontend' } }] });
    expect(fronted).toContain('from the ingress controller (namespaces `kubernetes.io/metadata.name: "ingress-nginx"`, pods `app.kubernetes.io/name: "ingress-nginx"`); pods `role: "frontend"` (`appClients`)');
    expect(fronted).toContain('`TRUSTED_PROXY_HOPS=1`');
    const open = readme({ appClients: 'any', restrictEgress: false });
    expect(open).toContain("from any source, inside the cluster or not (`appClients: 'any'`)");
    expect(open).toContain('Egress is not restricted (`restrictEgress: false`).');
  });
});
