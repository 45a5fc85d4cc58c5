/**
 * Checks ObservedServiceChart props at construction time and fills in defaults. Every problem
 * names the prop it comes from; all of them are reported at once.
 */
import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { FLAG, type Flags, type FlagKey } from '@bulwark/runtime/catalog';
import {
  imageProblem,
  durationSeconds,
  isDnsLabel,
  isDnsSubdomain,
  isPrometheusDuration,
  labelKeyProblem,
  labelProblems,
  labelValueProblem,
} from './names';
import {
  DEFAULT_DASHBOARD_LABEL,
  DEFAULT_DNS,
  DEFAULT_OPERATOR_LABELS,
  DEFAULT_REPLICAS,
  DEFAULT_RESOURCES,
  DEFAULT_RUN_AS_USER,
  DEFAULT_SCRAPE_INTERVAL,
  DEFAULT_SCRAPE_TIMEOUT,
  DEFAULT_SCRAPER,
  DEFAULT_SERVICE_PORT,
  DEFAULT_STARTUP_GRACE_SECONDS,
  DEFAULT_DRAIN_DELAY_SECONDS,
  DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
  DEFAULT_TMP_SIZE_LIMIT,
  type AppClient,
  type DashboardLabel,
  type Labels,
  type NetworkPeer,
  type ObservedServiceChartProps,
} from './props';
import { resolveDependencyPorts, type DependencyPort } from './dependency-ports';
import { parseQuantity } from './quantity';

export class ObservedServiceChartError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(
      `Invalid ObservedServiceChart props for service "${service}" (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ObservedServiceChartError';
  }
}

/** Props with every default applied, after validation. */
export interface ChartSettings {
  readonly service: ServiceDeclaration;
  readonly image: string;
  readonly namespace?: string;
  readonly replicas: number;
  readonly minAvailable: number;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  readonly containerPort: number;
  readonly servicePort: number;
  readonly flags: Partial<Flags>;
  /** Non-secret env var values, sorted by name. */
  readonly env: Readonly<Record<string, string>>;
  readonly secretName: string;
  /** Env vars the declaration marks secret, sorted, with whether the service needs them. */
  readonly secretEnv: readonly { readonly name: string; readonly required: boolean }[];
  readonly serviceMonitorLabels: Labels;
  readonly scrapeInterval: string;
  readonly scrapeTimeout: string;
  readonly ruleLabels: Labels;
  readonly runbookBaseUrl?: string;
  readonly heartbeat: boolean;
  readonly dashboardLabel: DashboardLabel;
  readonly dashboardNamespace?: string;
  readonly scraper: { readonly namespaceLabels: Labels; readonly podLabels: Labels };
  /** The declaration's `admin.port`: `/metrics` and `/health*`. */
  readonly adminPort: number;
  readonly appClients: readonly AppClient[] | 'any';
  readonly ingressController?: NetworkPeer;
  readonly trustedProxyHops: number;
  /** What the pods may connect to; undefined when `restrictEgress` is false. */
  readonly egress?: EgressSettings;
  readonly runAsUser: number;
  readonly startupGraceSeconds: number;
  readonly drainDelaySeconds: number;
  readonly shutdownTimeoutSeconds: number;
  readonly tmpSizeLimit: string;
}

export interface EgressSettings {
  readonly dns: NetworkPeer;
  /** Every declared dependency with the port it is reached on, sorted by name. */
  readonly dependencies: readonly DependencyPort[];
}

class Problems {
  readonly list: string[] = [];

  add(prop: string, message: string): void {
    this.list.push(`${prop}: ${message}`);
  }

  integer(prop: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return true;
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    this.add(prop, `must be a whole number ${range}, got ${JSON.stringify(value)}`);
    return false;
  }

  labels(prop: string, value: unknown): value is Labels {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.add(prop, `must be a map of label names to values, got ${JSON.stringify(value)}`);
      return false;
    }
    const found = labelProblems(prop, value as Labels);
    this.list.push(...found);
    return found.length === 0;
  }

  /** A NetworkPolicy peer: an object with valid `namespaceLabels`, `podLabels` or both. */
  peer(prop: string, value: NetworkPeer, missing: string): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.add(prop, `must be { namespaceLabels?, podLabels? }, got ${JSON.stringify(value)}`);
      return;
    }
    if (!value.namespaceLabels && !value.podLabels) this.add(prop, `set namespaceLabels, podLabels or both (${missing})`);
    if (value.namespaceLabels) this.labels(`${prop}.namespaceLabels`, value.namespaceLabels);
    if (value.podLabels) this.labels(`${prop}.podLabels`, value.podLabels);
  }

  namespace(prop: string, value: string | undefined): void {
    if (value !== undefined && !isDnsLabel(value)) {
      this.add(prop, `${JSON.stringify(value)} is not a namespace name (lowercase letters, digits and '-', at most 63)`);
    }
  }
}

export function resolveSettings(props: ObservedServiceChartProps): ChartSettings {
  const { service } = props;
  const p = new Problems();

  if (!isDnsLabel(service.name)) p.add('service.name', `${JSON.stringify(service.name)} cannot name a Kubernetes Service (lowercase DNS label)`);

  const versionProblem = labelValueProblem(service.version);
  if (versionProblem) p.add('service.version', `cannot be the app.kubernetes.io/version label: ${versionProblem}`);

  const image = imageProblem(props.image);
  if (image) p.add('image', image);
  p.namespace('namespace', props.namespace);
  p.namespace('dashboardNamespace', props.dashboardNamespace);

  const replicas = props.replicas ?? DEFAULT_REPLICAS;
  const replicasOk = p.integer('replicas', replicas, 1);
  const minAvailable = props.minAvailable ?? Math.max(0, replicas - 1);
  if (p.integer('minAvailable', minAvailable, 0) && replicasOk && minAvailable >= replicas) {
    p.add('minAvailable', `must be below replicas (${replicas}), got ${minAvailable}: otherwise no pod can ever be evicted and node drains hang`);
  }

  const resources = {
    requests: { ...DEFAULT_RESOURCES.requests, ...props.resources?.requests },
    limits: { ...DEFAULT_RESOURCES.limits, ...props.resources?.limits },
  };
  for (const resource of ['cpu', 'memory'] as const) {
    const request = parseQuantity(resources.requests[resource]);
    const limit = parseQuantity(resources.limits[resource]);
    if (request === undefined) p.add(`resources.requests.${resource}`, `${JSON.stringify(resources.requests[resource])} is not a Kubernetes quantity (e.g. ${resource === 'cpu' ? "'250m'" : "'256Mi'"})`);
    if (limit === undefined) p.add(`resources.limits.${resource}`, `${JSON.stringify(resources.limits[resource])} is not a Kubernetes quantity (e.g. ${resource === 'cpu' ? "'1'" : "'512Mi'"})`);
    if (request !== undefined && limit !== undefined && limit < request) {
      p.add(`resources.limits.${resource}`, `${resources.limits[resource]} is below resources.requests.${resource} (${resources.requests[resource]}); raise the limit or lower the request`);
    }
  }

  const containerPort = props.containerPort ?? service.port;
  if (p.integer('containerPort', containerPort, 1, 65535) && containerPort !== service.port) {
    p.add('containerPort', `${containerPort} differs from the declaration's port ${service.port}: the runtime listens on the declared port, so probes and scrapes would fail; change the declaration or drop the prop`);
  }
  const servicePort = props.servicePort ?? DEFAULT_SERVICE_PORT;
  p.integer('servicePort', servicePort, 1, 65535);

  const flags = props.flags ?? {};
  for (const [key, value] of Object.entries(flags)) {
    if (!(key in FLAG)) p.add(`flags.${key}`, `unknown flag; expected one of ${Object.keys(FLAG).join(', ')}`);
    else if (typeof value !== 'boolean') p.add(`flags.${key}`, `must be true or false, got ${JSON.stringify(value)}`);
  }

  const secretName = props.secretName ?? `${service.name}-secrets`;
  if (!isDnsSubdomain(secretName)) p.add('secretName', `${JSON.stringify(secretName)} is not a Secret name (lowercase DNS subdomain)`);
  const env = resolveEnv(service, props.env ?? {}, secretName, p);
  const secretEnv = Object.entries(service.env)
    .filter(([, decl]) => decl.secret)
    .map(([name, decl]) => ({ name, required: decl.required }))
    .sort((a, b) => compare(a.name, b.name));

  const serviceMonitorLabels = props.serviceMonitorLabels ?? DEFAULT_OPERATOR_LABELS;
  p.labels('serviceMonitorLabels', serviceMonitorLabels);
  const ruleLabels = props.ruleLabels ?? DEFAULT_OPERATOR_LABELS;
  p.labels('ruleLabels', ruleLabels);

  const scrapeInterval = props.scrapeInterval ?? DEFAULT_SCRAPE_INTERVAL;
  const scrapeTimeout = props.scrapeTimeout ?? DEFAULT_SCRAPE_TIMEOUT;
  const intervalOk = isPrometheusDuration(scrapeInterval);
  const timeoutOk = isPrometheusDuration(scrapeTimeout);
  if (!intervalOk) p.add('scrapeInterval', `${JSON.stringify(scrapeInterval)} is not a Prometheus duration (e.g. '30s', '1m')`);
  if (!timeoutOk) p.add('scrapeTimeout', `${JSON.stringify(scrapeTimeout)} is not a Prometheus duration (e.g. '10s')`);
  if (intervalOk && timeoutOk && durationSeconds(scrapeTimeout) > durationSeconds(scrapeInterval)) {
    p.add('scrapeTimeout', `${scrapeTimeout} is longer than scrapeInterval (${scrapeInterval}); Prometheus rejects that`);
  }
  if (props.runbookBaseUrl !== undefined && !/^\S+$/.test(props.runbookBaseUrl)) {
    p.add('runbookBaseUrl', `${JSON.stringify(props.runbookBaseUrl)} must be a URL or path without spaces, e.g. 'https://runbooks.example.com/'`);
  }

  const dashboardLabel = props.dashboardLabel ?? DEFAULT_DASHBOARD_LABEL;
  const keyProblem = labelKeyProblem(dashboardLabel.name);
  if (keyProblem) p.add('dashboardLabel.name', keyProblem);
  const valueProblem = labelValueProblem(dashboardLabel.value);
  if (valueProblem) p.add('dashboardLabel.value', valueProblem);

  const scraper = {
    namespaceLabels: props.scraper?.namespaceLabels ?? DEFAULT_SCRAPER.namespaceLabels,
    podLabels: props.scraper?.podLabels ?? DEFAULT_SCRAPER.podLabels,
  };
  p.labels('scraper.namespaceLabels', scraper.namespaceLabels);
  p.labels('scraper.podLabels', scraper.podLabels);

  const adminPort = service.admin.port;
  if (servicePort === adminPort) {
    p.add('servicePort', `${servicePort} is the Service's admin port too (the declaration's admin.port, for the ServiceMonitor); pick another`);
  }
  const appClients = props.appClients ?? [];
  if (appClients !== 'any' && !Array.isArray(appClients)) {
    p.add('appClients', `must be a list of { namespaceLabels?, podLabels? } or 'any', got ${JSON.stringify(appClients)}`);
  } else if (appClients !== 'any') {
    appClients.forEach((client, i) => p.peer(`appClients[${i}]`, client, "appClients: 'any' admits every source"));
  }
  if (props.ingressController !== undefined) p.peer('ingressController', props.ingressController, 'of the ingress controller pods');
  const trustedProxyHops = props.trustedProxyHops ?? (props.ingressController !== undefined ? 1 : 0);
  p.integer('trustedProxyHops', trustedProxyHops, 0);

  const dns = props.dns ?? DEFAULT_DNS;
  p.peer('dns', dns, 'of the cluster DNS pods');
  const { ports: dependencies, problems: portProblems } = resolveDependencyPorts(service, props.dependencyPorts ?? {}, env);
  p.list.push(...portProblems);

  const runAsUser = props.runAsUser ?? DEFAULT_RUN_AS_USER;
  p.integer('runAsUser', runAsUser, 1);

  const startupGraceSeconds = props.startupGraceSeconds ?? DEFAULT_STARTUP_GRACE_SECONDS;
  const startupBudget = Math.ceil(service.startup.timeoutMs / 1000);
  if (p.integer('startupGraceSeconds', startupGraceSeconds, 1) && startupGraceSeconds < startupBudget) {
    p.add('startupGraceSeconds', `${startupGraceSeconds} is shorter than the declaration's startup validation budget (${startupBudget} s): the kubelet would kill pods that are still validating`);
  }

  const drainDelaySeconds = props.drainDelaySeconds ?? DEFAULT_DRAIN_DELAY_SECONDS;
  p.integer('drainDelaySeconds', drainDelaySeconds, 0);
  const shutdownTimeoutSeconds = props.shutdownTimeoutSeconds ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  p.integer('shutdownTimeoutSeconds', shutdownTimeoutSeconds, 1);

  const tmpSizeLimit = props.tmpSizeLimit ?? DEFAULT_TMP_SIZE_LIMIT;
  if (parseQuantity(tmpSizeLimit) === undefined) p.add('tmpSizeLimit', `${JSON.stringify(tmpSizeLimit)} is not a Kubernetes quantity (e.g. '64Mi')`);

  if (p.list.length > 0) throw new ObservedServiceChartError(service.name, p.list);

  return {
    service,
    image: props.image,
    ...(props.namespace !== undefined ? { namespace: props.namespace } : {}),
    replicas,
    minAvailable,
    resources,
    containerPort,
    servicePort,
    flags: flags as Partial<Record<FlagKey, boolean>>,
    env,
    secretName,
    secretEnv,
    serviceMonitorLabels,
    scrapeInterval,
    scrapeTimeout,
    ruleLabels,
    ...(props.runbookBaseUrl !== undefined ? { runbookBaseUrl: props.runbookBaseUrl } : {}),
    heartbeat: props.heartbeat ?? false,
    dashboardLabel,
    ...((props.dashboardNamespace ?? props.namespace) !== undefined ? { dashboardNamespace: props.dashboardNamespace ?? props.namespace } : {}),
    scraper,
    adminPort,
    appClients,
    ...(props.ingressController !== undefined ? { ingressController: props.ingressController } : {}),
    trustedProxyHops,
    ...((props.restrictEgress ?? true) ? { egress: { dns, dependencies } } : {}),
    runAsUser,
    startupGraceSeconds,
    drainDelaySeconds,
    shutdownTimeoutSeconds,
    tmpSizeLimit,
  };
}

/** Non-secret declared vars get their value from props; secret vars must never be passed inline. */
function resolveEnv(service: ServiceDeclaration, env: Readonly<Record<string, string>>, secretName: string, p: Problems): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort(compare)) {
    const declared = service.env[name];
    const value = env[name];
    if (!declared) {
      p.add(`env.${name}`, `not declared in the "${service.name}" declaration's env; declare it there (so the runtime checks it at startup) or drop it`);
    } else if (declared.secret) {
      // Never echo the value: it is a secret.
      p.add(`env.${name}`, `is declared secret and must not be passed inline; put it under key ${name} of the Secret "${secretName}" (secretName)`);
    } else if (typeof value !== 'string') {
      p.add(`env.${name}`, `must be a string, got ${typeof value}`);
    } else {
      out[name] = value;
    }
  }
  for (const [name, declared] of Object.entries(service.env)) {
    if (declared.required && !declared.secret && !(name in env)) {
      p.add(`env.${name}`, `is required by the "${service.name}" declaration; give its value in env`);
    }
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
